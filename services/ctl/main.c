/* huifang: the command-line client. This file holds the global flags, the one table of
 * commands and the dispatch; every command lives in ctl_org.c, ctl_intake.c, ctl_work.c or
 * ctl_ops.c. The exit code is the service's Reply.status (see ctl.h and README.md). */
#include "ctl.h"

#include "hf_time.h"

#include <stdlib.h>
#include <string.h>

#define CTL_IDEM_HELP                                                                              \
    "  --idempotency-key K  the key that makes a retry safe (default: a new random key)\n"

/* The commands, grouped as `huifang --help` lists them. */
static const ctl_command_t s_commands[] = {
    /* ---- system and ops ---- */
    {"ping", NULL, ctl_ping, "ping",
     "asks the five services for their version, uptime, round trip and clock",
     "Prints one row per service: version, uptime, round trip, clock, last event sequence and\n"
     "instance. Each service gets one try of --timeout ms; the services are asked at once.\n"
     "Exits 0 when all five answered, 5 otherwise (naming the ones that did not).\n"
     "With --json: one object per service, with round_trip_ms, endpoint and answered.\n"},
    {"events", "tail", ctl_events_tail,
     "events tail [--from-seq N] [--topic PREFIX] [--count N] [--follow|--no-follow] "
     "[--heartbeats]",
     "prints the event stream of all five services as JSON lines",
     "  --from-seq N    first replay each producer's stored events from sequence N on\n"
     "  --topic PREFIX  only topics starting with PREFIX (\"intake.\", "
     "\"scheduler.task_claimed\")\n"
     "  --count N       stop after N events\n"
     "  --follow        keep printing live events (the default without --from-seq)\n"
     "  --no-follow     stop when the replay has caught up (the default with --from-seq)\n"
     "  --heartbeats    also print the producers' heartbeats\n"
     "Ctrl-C stops it cleanly.\n"},
    {"queue", "stats", ctl_queue_stats, "queue stats",
     "shows due / leased / overdue / planned tasks per branch", ""},
    {"queue", "rebuild", ctl_queue_rebuild, "queue rebuild [--branch CODE]",
     "rebuilds the scheduler's due-index in Redis from Postgres",
     "  --branch CODE   the branch to rebuild (default: --branch / HUIFANG_BRANCH; when\n"
     "                  neither is set, the scheduler rebuilds every branch)\n" CTL_IDEM_HELP},
    {"clock", "show", ctl_clock_show, "clock show",
     "shows the manual test clock (exit 3 when it is not in use)",
     "The manual clock is the file $HUIFANG_CLOCK_FILE (default /tmp/huifang.clock), read\n"
     "by every service started with HUIFANG_CLOCK=manual.\n"},
    {"clock", "set", ctl_clock_set, "clock set TIME", "sets the manual test clock",
     "TIME is RFC 3339 (2026-11-23T08:00:00Z) or local \"YYYY-MM-DD[ HH:MM[:SS]]\" in\n"
     "HUIFANG_TZ (default Asia/Shanghai), or \"now\" for the real time.\n"},
    {"clock", "advance", ctl_clock_advance, "clock advance DURATION",
     "moves the manual test clock forward",
     "DURATION is a number with a unit, combined freely: 90s, 15m, 2h, 10d, 1w, 1d12h.\n"},

    /* ---- organisation ---- */
    {"branch", "add", ctl_branch_add,
     "branch add CODE --name NAME [--tz ZONE] [--windows 11:30-14:00,18:00-20:00]",
     "adds a branch",
     "  --name NAME      the branch's name (required)\n"
     "  --tz ZONE        IANA time zone (default Asia/Shanghai)\n"
     "  --windows LIST   call windows in the branch's zone (default: the "
     "service's)\n" CTL_IDEM_HELP},
    {"agent", "add", ctl_agent_add,
     "agent add ID --name NAME --role ROLE [--regions R1,R2] [--daily-calls 40] "
     "[--daily-visits 8]",
     "adds an agent to the branch",
     "  --name NAME         the agent's name (required)\n"
     "  --role ROLE         phone | consult | visit | doctor | deliver | lead | head | manager\n"
     "  --regions R1,R2     the regions the agent covers\n"
     "  --daily-calls N     calls a day, 0..1000 (default 40)\n"
     "  --daily-visits N    home visits a day, 0..100 (default 8)\n" CTL_IDEM_HELP},
    {"product", "add", ctl_product_add,
     "product add CODE --name NAME --days-per-unit N --price YUAN [--plan TEMPLATE]",
     "adds a product to the branch",
     "  --name NAME          the product's name (required)\n"
     "  --days-per-unit N    how many days one unit lasts, 1..3650 (required)\n"
     "  --price YUAN         unit price in yuan, at most two decimals: 128 or 128.50 "
     "(required)\n"
     "  --plan TEMPLATE      the follow-up plan a purchase starts (see plan list)\n" CTL_IDEM_HELP},

    /* ---- intake ---- */
    {"lead", "add", ctl_lead_add,
     "lead add --name NAME --phone PHONE --channel CHANNEL [--region R] [--address A] "
     "[--gender f|m] [--birth DATE] [--ref-date DATE] [--collector ID] [--source TEXT] "
     "[--note TEXT] [--collected-at TIME]",
     "registers a lead; a known phone merges into the existing customer and says so",
     "  --channel CHANNEL   counter | consult | clinic | hospital | mail | referral | other\n"
     "  --gender f|m        --birth DATE, --ref-date DATE (YYYY-MM-DD)\n"
     "  --collector ID      who collected the lead; --source TEXT: where\n"
     "  --collected-at TIME when it was collected (default now)\n"
     "Prints \"customer ID NAME PHONE\" (masked); --json prints the LeadResult.\n" CTL_IDEM_HELP},
    {"customer", "find", ctl_customer_find, "customer find QUERY",
     "finds customers by phone or name", ""},
    {"customer", "show", ctl_customer_show, "customer show ID",
     "shows a customer's profile and purchases", ""},
    {"purchase", "add", ctl_purchase_add,
     "purchase add --customer ID --product CODE --quantity N [--date DATE] [--plan TEMPLATE] "
     "[--price YUAN]",
     "records a purchase, which starts its follow-up plan",
     "  --customer ID     the customer (required)\n"
     "  --product CODE    the product (required)\n"
     "  --quantity N      units bought, 1..10000 (required)\n"
     "  --date DATE       purchase date YYYY-MM-DD (default today in the branch's zone)\n"
     "  --plan TEMPLATE   overrides the product's plan\n"
     "  --price YUAN      the price paid in total (default unit price × quantity)\n" CTL_IDEM_HELP},

    /* ---- plans and daily work ---- */
    {"plan", "list", ctl_plan_list, "plan list", "lists the follow-up plan templates", ""},
    {"plan", "show", ctl_plan_show, "plan show TEMPLATE", "shows a plan template's steps", ""},
    {"worklist", NULL, ctl_worklist, "worklist [--agent ID] [--date DATE]",
     "shows an agent's date bag",
     "  --agent ID    the agent (default --as / HUIFANG_AGENT)\n"
     "  --date DATE   the bag's date YYYY-MM-DD (default today in the branch's zone)\n"},
    {"task", "next", ctl_task_next, "task next [--agent ID]",
     "claims the agent's next task and shows the customer's context (phone unmasked)",
     "  --agent ID    the agent (default --as / HUIFANG_AGENT)\n" CTL_IDEM_HELP},
    {"task", "show", ctl_task_show, "task show ID", "shows a task with its customer's context", ""},
    {"call", "log", ctl_call_log,
     "call log --task ID --outcome OUTCOME [--effect good|none|adverse] [--order QTY] "
     "[--delivery home|store] [--callback-at TIME] [--next DATE] [--note TEXT] "
     "[--channel phone] [--duration SECONDS] [--started-at TIME]",
     "records the outcome of a contact",
     "  --outcome OUTCOME   connected | no-answer | busy | wrong-number | refused | callback\n"
     "  --effect E          good | none | adverse\n"
     "  --order QTY         units ordered, 1..10000; --delivery home | store\n"
     "  --callback-at TIME  when the customer asked to be called back\n"
     "  --next DATE         the next follow-up date the agent chose (YYYY-MM-DD)\n"
     "  --channel C         phone (default) | visit | letter | wechat\n"
     "  --duration SECONDS  the call's length, 0..86400\n"
     "TIME is RFC 3339 or local \"YYYY-MM-DD HH:MM\" in HUIFANG_TZ.\n" CTL_IDEM_HELP},
};

#define CTL_NCOMMANDS ((int)(sizeof s_commands / sizeof s_commands[0]))

/* The heading printed before a group that opens a section of the command list. */
static const char *s_section(const char *group)
{
    static const struct {
        const char *group;
        const char *title;
    } sections[] = {{"ping", "System and ops:"},
                    {"branch", "Organisation:"},
                    {"lead", "Intake:"},
                    {"plan", "Plans and daily work:"},
                    {NULL, NULL}};
    for (int i = 0; sections[i].group; i++)
        if (strcmp(sections[i].group, group) == 0)
            return sections[i].title;
    return NULL;
}

static void s_print_help(FILE *out)
{
    fprintf(
        out,
        "huifang — the Huifang after-sales follow-up client\n\n"
        "Usage: huifang [--branch CODE] [--as AGENT] [--json] [--timeout MS] COMMAND "
        "[ARGS]\n\n"
        "Global flags:\n"
        "  --branch CODE   the branch (default HUIFANG_BRANCH)\n"
        "  --as AGENT      the agent acting (default HUIFANG_AGENT)\n"
        "  --json          JSON output: one object per result, one line per list element\n"
        "  --timeout MS    how long each try of a call waits, 1..600000 (default 5000)\n"
        "  --help          this text; `huifang COMMAND --help` (or `huifang help COMMAND`) for\n"
        "                  one command\n\n");
    for (int i = 0; i < CTL_NCOMMANDS; i++) {
        const ctl_command_t *c = &s_commands[i];
        const char *section = s_section(c->group);
        if (section && (i == 0 || strcmp(s_commands[i - 1].group, c->group) != 0))
            fprintf(out, "%s%s\n", i ? "\n" : "", section);
        fprintf(out, "  huifang %s\n      %s\n", c->usage, c->summary);
    }
    fprintf(out,
            "\nExit codes: 0 done; 1 internal error; 2 bad input (nothing changed); 3 not found;\n"
            "4 conflict (already claimed, already logged, not allowed); 5 a service or store is\n"
            "unavailable (nothing changed, safe to retry).\n\n"
            "Environment: HUIFANG_BRANCH, HUIFANG_AGENT; HUIFANG_TZ (zone for shown and typed\n"
            "times, default Asia/Shanghai); HUIFANG_PORT_BASE (default 7100) or\n"
            "HUIFANG_<SERVICE>_ENDPOINT / HUIFANG_<SERVICE>_EVENTS for the services' addresses;\n"
            "HUIFANG_CLOCK_FILE (the manual clock, default /tmp/huifang.clock).\n");
}

static void s_print_group_help(const char *group, FILE *out)
{
    fprintf(out, "Usage:\n");
    for (int i = 0; i < CTL_NCOMMANDS; i++)
        if (strcmp(s_commands[i].group, group) == 0)
            fprintf(out, "  huifang %s\n      %s\n", s_commands[i].usage, s_commands[i].summary);
    fprintf(out, "\n`huifang %s VERB --help` explains one of them.\n", group);
}

static bool s_group_known(const char *group)
{
    for (int i = 0; i < CTL_NCOMMANDS; i++)
        if (strcmp(s_commands[i].group, group) == 0)
            return true;
    return false;
}

/* Finds the command argv names; sets *used to the number of words its name took. */
static const ctl_command_t *s_find_command(int argc, char **argv, int *used)
{
    for (int i = 0; i < CTL_NCOMMANDS; i++) {
        const ctl_command_t *c = &s_commands[i];
        if (strcmp(c->group, argv[0]) != 0)
            continue;
        if (c->verb == NULL) {
            *used = 1;
            return c;
        }
        if (argc > 1 && strcmp(c->verb, argv[1]) == 0) {
            *used = 2;
            return c;
        }
    }
    return NULL;
}

/* `huifang help [COMMAND [VERB]]` */
static int s_help_command(int argc, char **argv)
{
    if (argc == 0) {
        s_print_help(stdout);
        return HF_OK;
    }
    int used = 0;
    const ctl_command_t *c = s_find_command(argc, argv, &used);
    if (c != NULL) {
        ctl_command_help(c, stdout);
        return HF_OK;
    }
    if (s_group_known(argv[0])) {
        s_print_group_help(argv[0], stdout);
        return HF_OK;
    }
    ctl_error("unknown command '%s' (see huifang --help)", argv[0]);
    return HF_BAD_INPUT;
}

static int s_run(ctl_t *ctl, int argc, char **argv)
{
    /* global flags come first; the first word that is not a flag names the command */
    int i = 1;
    for (; i < argc && strncmp(argv[i], "-", 1) == 0; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            s_print_help(stdout);
            return HF_OK;
        }
        if (strcmp(a, "--version") == 0) {
            printf("huifang %s\n", HF_VERSION);
            return HF_OK;
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            ctl_error("unknown flag %s (see huifang --help)", a);
            return HF_BAD_INPUT;
        }
        const char *eq = strchr(a + 2, '=');
        char name[32];
        size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
        int kind = -1;
        if (len < sizeof name) {
            memcpy(name, a + 2, len);
            name[len] = '\0';
            kind = ctl_global_kind(name);
        }
        if (kind < 0) {
            ctl_error("unknown flag %s (see huifang --help)", a);
            return HF_BAD_INPUT;
        }
        const char *value = NULL;
        if (kind == 1) {
            if (eq) {
                value = eq + 1;
            } else if (i + 1 < argc) {
                value = argv[++i];
            } else {
                ctl_error("--%s needs a value", name);
                return HF_BAD_INPUT;
            }
        } else if (eq) {
            ctl_error("--%s takes no value", name);
            return HF_BAD_INPUT;
        }
        if (ctl_global_set(ctl, name, value) != 0)
            return ctl->exit;
    }
    if (i >= argc) {
        s_print_help(stderr);
        return HF_BAD_INPUT;
    }
    argc -= i;
    argv += i;
    if (strcmp(argv[0], "help") == 0)
        return s_help_command(argc - 1, argv + 1);

    int used = 0;
    const ctl_command_t *c = s_find_command(argc, argv, &used);
    if (c == NULL) {
        if (!s_group_known(argv[0])) {
            ctl_error("unknown command '%s' (see huifang --help)", argv[0]);
            return HF_BAD_INPUT;
        }
        if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            s_print_group_help(argv[0], stdout);
            return HF_OK;
        }
        if (argc == 1)
            ctl_error("%s needs a verb", argv[0]);
        else
            ctl_error("unknown command '%s %s'", argv[0], argv[1]);
        s_print_group_help(argv[0], stderr);
        return HF_BAD_INPUT;
    }
    ctl->command = c;
    return c->fn(ctl, argc - used, argv + used);
}

int main(int argc, char **argv)
{
    ctl_t ctl = {0};
    ctl.arena = hf_arena_new();
    const char *env = getenv("HUIFANG_BRANCH");
    ctl.branch = env ? env : "";
    env = getenv("HUIFANG_AGENT");
    ctl.actor = env ? env : "";
    ctl.timeout_ms = 5000;
    env = getenv("HUIFANG_TZ");
    ctl.tz = env && *env ? env : "Asia/Shanghai";

    int rc;
    if (!hf_tz_valid(ctl.tz)) {
        ctl_error("HUIFANG_TZ names no known time zone: '%s'", ctl.tz);
        rc = HF_BAD_INPUT;
    } else {
        rc = s_run(&ctl, argc, argv);
    }

    for (int i = 0; i < CTL_SERVICES; i++)
        hf_client_destroy(&ctl.clients[i]);
    hf_bus_shutdown();
    hf_arena_destroy(&ctl.arena);
    fflush(stdout);
    return rc;
}
