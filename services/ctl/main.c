/* huifang: the command-line client. This file holds the global flags, the one table of
 * commands and the dispatch; every command lives in one of the ctl_*.c files that ctl.h
 * lists. The exit code is the service's Reply.status (see ctl.h and README.md). */
#include "ctl.h"
#include "ctl_calllog.h"
#include "ctl_campaign.h"
#include "ctl_complaint.h"
#include "ctl_letters.h"
#include "ctl_occasion.h"
#include "ctl_points.h"

#include "hf_replica.h"
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
     "[--heartbeats] [--unmasked]",
     "prints the event stream of all five services as JSON lines, personal data masked",
     "  --from-seq N    first replay each producer's stored events from sequence N on\n"
     "  --topic PREFIX  only topics starting with PREFIX (\"intake.\", "
     "\"scheduler.task_claimed\")\n"
     "  --count N       stop after N events\n"
     "  --follow        keep printing live events (the default without --from-seq)\n"
     "  --no-follow     stop when the replay has caught up (the default with --from-seq)\n"
     "  --heartbeats    also print the producers' heartbeats\n"
     "  --unmasked      names, phones, addresses and free text in clear (role manager or\n"
     "                  admin; refused with exit 4 otherwise)\n"
     "Names, phones, addresses, dates of birth and free text are masked (W*** F***,\n"
     "139****5678, [12 chars]); the table of fields is in common/src/hf_mask.c.\n"
     "Ctrl-C stops it cleanly.\n"},
    {"events", "export", ctl_events_export,
     "events export --output FILE.jsonl [--since TIME] [--until TIME] [--topic PREFIX] "
     "[--force] [--unmasked]",
     "writes the stored events of all five services in a time range as JSON lines, masked",
     "  --output FILE   the file to write (\"-\" for stdout); written whole or not at all,\n"
     "                  created with mode 0600; an existing file is refused (exit 4)\n"
     "  --force         replace an existing FILE (and a FILE.part left by an interrupted\n"
     "                  export)\n"
     "  --unmasked      personal data in clear (role manager or admin; exit 4 otherwise)\n"
     "  --since TIME    events that occurred at or after TIME (default: the first)\n"
     "  --until TIME    events that occurred before TIME (default: the last)\n"
     "  --topic PREFIX  only topics starting with PREFIX (\"calllog.\", \"intake.lead_\")\n"
     "TIME is RFC 3339 or local \"YYYY-MM-DD[ HH:MM]\" in HUIFANG_TZ. Events come per\n"
     "producer in sequence order, the same objects as `events tail` (masked the same way);\n"
     "a summary goes to stderr.\n"},
    /* ---- people and sessions ---- */
    {"login", NULL, ctl_login, "login [LOGIN] [--password-stdin]",
     "signs in: the session is kept in a file only you can read",
     "Asks for the password (or reads one line from stdin with --password-stdin) and keeps the\n"
     "session in $HUIFANG_STATE_DIR/session (mode 0600). HUIFANG_TOKEN, when set, is sent\n"
     "instead. Exit 6 after a wrong password; from the third wrong one in a row the next try\n"
     "must wait (2, 4, 8 ... s) and the tenth locks the account for 15 minutes.\n"
     "  --password-stdin   read the password from stdin (scripts)\n"},
    {"logout", NULL, ctl_logout, "logout", "ends the session here and in every service", ""},
    {"whoami", NULL, ctl_whoami, "whoami", "who the session says you are, where, until when",
     "Exit 6 when there is no session, or it has expired or was revoked.\n"},
    {"user", "add", ctl_user_add,
     "user add LOGIN --role ROLE [--name NAME] [--branches B1,B2] [--password-stdin]",
     "adds a person who may sign in (managers: the agents of their branch; admins: anyone)",
     "  --role ROLE      phone, consult, visit, doctor, deliver, lead, head, manager (an agent\n"
     "                   of that id and role must exist in the branch), hq (reads its\n"
     "                   branches, changes nothing) or admin (everything, every branch)\n"
     "  --branches LIST  the branches (default --branch; an agent has exactly one)\n"
     "  --password-stdin read the first password from stdin\n" CTL_IDEM_HELP},
    {"user", "passwd", ctl_user_passwd, "user passwd [LOGIN] [--password-stdin]",
     "changes your password (or, for a manager or admin, someone's): their sessions end",
     "Without LOGIN: your own (the current password first). With --password-stdin: the lines\n"
     "of stdin (current then new for your own, new for someone else's).\n" CTL_IDEM_HELP},
    {"user", "disable", ctl_user_disable, "user disable LOGIN",
     "disables a person: refused by every service within a second", CTL_IDEM_HELP},
    {"user", "enable", ctl_user_enable, "user enable LOGIN", "enables a disabled person again",
     CTL_IDEM_HELP},
    {"user", "list", ctl_user_list, "user list", "the people you may manage", ""},
    {"session", "keygen", ctl_session_keygen, "session keygen --dir DIR [--force]",
     "makes the session signing key pair (session.key for intake, session.pub for all)", ""},
    {"session", "mint", ctl_session_mint,
     "session mint --key FILE --login LOGIN --role ROLE [--branches B1,B2] [--ttl-ms MS]",
     "prints a session signed with the key itself, without intake (scripts, break-glass)",
     "For whoever holds intake's secret signing key (and could sign any session anyway): the\n"
     "session names \"signing-key\" as the one acting. Use it as HUIFANG_TOKEN.\n"},

    {"queue", "stats", ctl_queue_stats, "queue stats",
     "shows due / leased / overdue / planned tasks per branch", ""},
    {"queue", "rebuild", ctl_queue_rebuild, "queue rebuild [--branch CODE]",
     "rebuilds the scheduler's due-index in Redis from Postgres",
     "  --branch CODE   the branch to rebuild (default: --branch / HUIFANG_BRANCH; when\n"
     "                  neither is set, the scheduler rebuilds every branch)\n" CTL_IDEM_HELP},
    {"keys", "gen", ctl_keys_gen, "keys gen --dir DIR [--force] NAME...",
     "makes a CURVE keypair for each principal",
     "  --dir DIR   the keys directory (created mode 0700), later HUIFANG_KEYS_DIR\n"
     "  --force     replace a keypair that exists (default: refuse, exit 2)\n"
     "Writes DIR/NAME.key (the secret, mode 0600: copy it only to the machine that is NAME)\n"
     "and DIR/NAME.pub (the public key, mode 0644: every NAME.pub in a service's keys\n"
     "directory may connect to it). A service's NAME is its name (intake, scheduler, ...);\n"
     "a client's is what its HUIFANG_CURVE_NAME says (the CLI's default: cli).\n"},
    {"clock", "show", ctl_clock_show, "clock show",
     "shows the manual test clock (exit 3 when it is not in use)",
     "The manual clock is the file $HUIFANG_CLOCK_FILE (default /tmp/huifang.clock), read\n"
     "by every service started with HUIFANG_CLOCK=manual.\n"},
    {"clock", "set", ctl_clock_set, "clock set TIME", "sets the manual test clock",
     "TIME is RFC 3339 (2026-11-23T08:00:00Z) or local \"YYYY-MM-DD[ HH:MM[:SS]]\" in\n"
     "HUIFANG_TZ (default " HF_DEFAULT_TZ "), or \"now\" for the real time.\n"},
    {"clock", "advance", ctl_clock_advance, "clock advance DURATION",
     "moves the manual test clock forward",
     "DURATION is a number with a unit, combined freely: 90s, 15m, 2h, 10d, 1w, 1d12h.\n"},

    /* ---- organisation ---- */
    {"branch", "add", ctl_branch_add,
     "branch add CODE --name NAME [--tz ZONE] [--windows 11:30-14:00,18:00-20:00] "
     "[--lead-plans CHANNEL=PLAN,...|none]",
     "adds a branch",
     "  --name NAME      the branch's name (required)\n"
     "  --tz ZONE        IANA time zone (default " HF_DEFAULT_TZ ")\n"
     "  --windows LIST   call windows in the branch's zone (default: the "
     "service's)\n"
     "  --lead-plans L   the conversion plan a lead without a purchase starts, per channel:\n"
     "                   counter=new-lead,consult=consult-not-converted,mail=none; a channel\n"
     "                   not named keeps the default (consult: consult-not-converted, every\n"
     "                   other: new-lead); none alone: no plan for any channel. A plan that\n"
     "                   does not exist is refused (exit 2)\n" CTL_IDEM_HELP},
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
    {"branch", "list", ctl_branch_list, "branch list", "lists every branch", ""},
    {"agent", "list", ctl_agent_list, "agent list [--role ROLE] [--active yes|no]",
     "lists the branch's agents",
     "  --role ROLE       only agents of this role\n"
     "  --active yes|no   only active (yes) or deactivated (no) agents (default both)\n"},
    {"agent", "edit", ctl_agent_edit,
     "agent edit ID [--name NAME] [--role ROLE] [--regions R1,R2] [--daily-calls N] "
     "[--daily-visits N] [--active yes|no]",
     "changes an agent; every service's copy follows",
     "Only the flags given change (at least one); they are checked as agent add checks them.\n"
     "--regions replaces the list. --active no is agent deactivate; yes brings them back.\n"
     "A role or region change applies to tasks handed out from then on.\n" CTL_IDEM_HELP},
    {"agent", "deactivate", ctl_agent_deactivate, "agent deactivate ID",
     "deactivates an agent: the scheduler hands them no new task",
     "The agent stays in the archive, the lists (agent list --active no) and the reports.\n"
     "The tasks waiting in their bags (and callbacks promised to them) go back to the queue\n"
     "for colleagues; a task they hold stays theirs until logged, released or skipped (a\n"
     "released one goes to the queue too). agent edit ID --active yes brings them "
     "back.\n" CTL_IDEM_HELP},
    {"product", "list", ctl_product_list, "product list", "lists the branch's products", ""},
    {"product", "edit", ctl_product_edit,
     "product edit CODE [--name NAME] [--days-per-unit N] [--price YUAN] [--plan TEMPLATE]",
     "changes a product; every service's copy follows",
     "Only the flags given change (at least one). A plan must exist (see plan list).\n"
     "Purchases already recorded keep their price, supply and plan; new ones use the "
     "change.\n" CTL_IDEM_HELP},

    {"rules", "show", ctl_rules_show, "rules show",
     "shows the branch's loyalty tiers and stages (its own or the defaults)", ""},
    {"tier", "set", ctl_tier_set,
     "tier set gold|silver|member --min-spend YUAN [--min-purchases N]",
     "sets a loyalty tier's thresholds for the branch; every customer's tier follows",
     "A customer is in the first of gold, silver, member whose thresholds (total spend over\n"
     "every purchase, and number of purchases) it meets, else regular. The first change makes\n"
     "the branch's own copy of the defaults.\n"
     "  --min-spend YUAN     the total spend from which the tier applies (required)\n"
     "  --min-purchases N    and the number of purchases, 0..10000 (default 0)\n" CTL_IDEM_HELP},
    {"stage", "set", ctl_stage_set,
     "stage set CODE [--from N] [--to N] [--unit month|day] [--label TEXT]",
     "sets a stage rule for the branch (T0..T5 by default, from the reference date)",
     "A customer's stage is the first rule, by code, whose range holds the age since the\n"
     "reference date (--ref-date, else the baby's birth, else the due date). Ages before the\n"
     "reference date are negative (T0, pregnant, is --to -1).\n"
     "  --from N, --to N     inclusive bounds of the age; leave one out for an open end\n"
     "  --unit month|day     what the age counts (default month: completed months)\n"
     "  --label TEXT         what the stage means\n" CTL_IDEM_HELP},
    {"stage", "remove", ctl_stage_remove, "stage remove CODE", "removes a stage rule of the branch",
     CTL_IDEM_HELP},

    /* ---- intake ---- */
    {"lead", "add", ctl_lead_add,
     "lead add --name NAME --phone PHONE --channel CHANNEL [--region R] [--address A] "
     "[--gender f|m] [--birth DATE] [--age N] [--ref-date DATE] [--collector ID] [--source TEXT] "
     "[--referrer WHO] [--note TEXT] [--collected-at TIME] [--route TEXT] [--condition TEXT] "
     "[--baby-name N] [--baby-sex f|m] [--baby-birth DATE] [--due-date DATE] [--brand B] "
     "[--feeding breast|formula|mixed] [--employer E] [--hobbies H] [--health TEXT] "
     "[--windows 11:30-14:00,18:00-20:00] [--plan TEMPLATE|none] [--language TAG]",
     "registers a lead; a known phone merges into the existing customer and says so",
     "  --channel CHANNEL   counter | consult | clinic | hospital | mail | referral | other\n"
     "  --referrer WHO      for channel referral: by whom (a customer, a relative, an\n"
     "                      organisation); required with that channel\n"
     "  --collector ID      who collected the lead (counter clerks are paid per form);\n"
     "  --source TEXT       where: the store, hospital or event\n"
     "  --collected-at TIME when it was collected (default now)\n"
     "  --gender f|m, --birth DATE (not in the future) or --age N, --address, --route (how to\n"
     "  get there for a home visit), --condition (symptoms), --region (one the branch's agents\n"
     "  cover), --windows (the customer's own call windows)\n"
     "  infant formula: --baby-name, --baby-sex, --baby-birth or --due-date, --brand (the\n"
     "  one in use), --feeding; members: --employer (former), --hobbies, --health\n"
     "  --language TAG      the language of the customer's letters, a BCP 47 tag (zh, en,\n"
     "                      zh-Hant); default: the branch's\n"
     "  --ref-date DATE     the date stages count from (default: the baby's birth or due date)\n"
     "  --plan TEMPLATE     the conversion plan the lead starts (default: the branch's for the\n"
     "                      channel, new-lead unless branch add --lead-plans said otherwise;\n"
     "                      none: no plan); a template that does not exist is refused (exit 2).\n"
     "                      A customer who has bought starts none: their purchase's plan\n"
     "                      follows them, and a later purchase ends the conversion plan\n"
     "A known phone merges: the source joins the customer's history and new fields fill\n"
     "empty ones. Prints \"customer ID NAME PHONE\" (masked); --json prints the "
     "LeadResult.\n" CTL_IDEM_HELP},
    {"lead", "import", ctl_lead_import,
     "lead import FILE.csv [--channel CHANNEL] [--rejects FILE] [--encoding auto|utf-8|gb18030] "
     "[--collector ID] [--source TEXT] [--batch N] [--plan TEMPLATE|none]",
     "imports a CSV of leads of any size; importing it again adds nothing",
     "The first line names the columns, in English or Chinese: name/姓名 and phone/电话 are\n"
     "required; channel/渠道, region, address, gender/性别, birth, age, collector, source,\n"
     "collected_at, referrer, route, condition, baby_name, baby_sex, baby_birth, due_date,\n"
     "brand, feeding, employer, hobbies, health, note and windows are read when present.\n"
     "  --channel CHANNEL   for rows without a channel (required without that column)\n"
     "  --collector ID, --source TEXT   for rows without them\n"
     "  --rejects FILE      where rejected lines go, with their line numbers and reasons\n"
     "                      (default FILE.rejects.csv); fix it and import it as it is\n"
     "  --encoding E        auto (default: UTF-8, else GB18030 as spreadsheets save it;\n"
     "                      UTF-16 with a BOM) or any iconv name\n"
     "  --batch N           rows per request, 1..10000 (default 2000)\n"
     "  --plan TEMPLATE     the conversion plan of every lead (default: the branch's per\n"
     "                      channel; none: no plan; an unknown template is refused, exit 2).\n"
     "                      Flexible steps spread over their window: the days with the\n"
     "                      fewest planned tasks fill first\n"
     "Shows progress on a terminal and ends with read, added, merged, rejected and already\n"
     "imported. Each row is recorded once: a row seen before (the same content, from any\n"
     "file) is skipped, so an interrupted import is finished by running it again.\n"},
    {"customer", "find", ctl_customer_find, "customer find QUERY",
     "finds customers by any of their phones, or by the start of their name", ""},
    {"customer", "show", ctl_customer_show, "customer show ID",
     "shows a customer's profile, current stage, purchases and lead sources", ""},
    {"customer", "edit", ctl_customer_edit,
     "customer edit ID [--name NAME] [--region R] [--address A] [--windows LIST] "
     "[--gender f|m] [--birth DATE] [--age N] [--ref-date DATE] [--route TEXT] "
     "[--condition TEXT] [--baby-name N] [--baby-sex f|m] [--baby-birth DATE] [--due-date DATE] "
     "[--brand B] [--feeding breast|formula|mixed] [--employer E] [--hobbies H] [--health TEXT] "
     "[--language TAG] [--clear FIELD,...]",
     "changes a customer's card; the change is kept in its history and reaches every service",
     "The flags are lead add's, checked the same way (a region one of the branch's agents\n"
     "covers, windows like 11:30-14:00,18:00-20:00, dates within their bounds). Only the\n"
     "flags given change; each field that differs is recorded with its old value, who and\n"
     "when (customer show lists the changes). Phones: customer phone add.\n"
     "  --clear F1,F2   empties fields, by their flag names (windows: back to the branch's\n"
     "                  call windows; address, region, birth, age, ...); not the "
     "name\n" CTL_IDEM_HELP},
    {"customer", "phone", ctl_customer_phone,
     "customer phone add ID PHONE [--relation self|spouse|child|parent|other]",
     "adds a phone to a customer (a phone of another customer is refused: merge them)",
     "  --relation R   whose phone it is (default other)\n" CTL_IDEM_HELP},
    {"customer", "merge", ctl_customer_merge, "customer merge KEEP OTHER",
     "merges customer OTHER into KEEP: one person, one archive entry",
     "Every phone, lead source and purchase of OTHER moves to KEEP (purchases numbered again\n"
     "by date); KEEP's empty fields are filled from OTHER's; an opt-out or a refusal on\n"
     "either card holds for KEEP. OTHER remains only as a pointer to KEEP.\n" CTL_IDEM_HELP},
    {"customer", "opt-out", ctl_customer_opt_out, "customer opt-out ID [--reason TEXT]",
     "records that the customer wants no more contact", CTL_IDEM_HELP},
    {"customer", "dnd", ctl_customer_dnd,
     "customer dnd ID --until DATE --reason hospital|confinement|due-date|other | --clear",
     "do not disturb until a date (in hospital, confinement month, near the due date)",
     "  --until DATE    the last day not to call (today or later, within a year)\n"
     "  --reason R      hospital | confinement | due-date | other\n"
     "  --clear         ends the period now\n" CTL_IDEM_HELP},
    {"customer", "card", ctl_customer_card,
     "customer card ID new|one-on-one|customer|void [--reason REASON]",
     "changes a customer's card type by hand (void needs its reason)",
     "  --reason R   for void: invalid-phone | out-of-area | unanswered | hostile | refused\n"
     "A card becomes customer with a purchase (which also reopens a void card).\n" CTL_IDEM_HELP},
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

    {"audit", NULL, ctl_audit,
     "audit [--customer ID] [--user LOGIN] [--since TIME] [--until TIME] [--limit N]",
     "shows who read or changed customers' personal data (the audit trail), oldest first",
     "  --customer ID   rows naming this customer\n"
     "  --user LOGIN    rows of this person (the actor)\n"
     "  --since TIME    at or after TIME\n"
     "  --until TIME    before TIME\n"
     "  --limit N       at most N rows, 1..1000 (default 100)\n"
     "TIME is RFC 3339 or local \"YYYY-MM-DD[ HH:MM]\" in HUIFANG_TZ. The rows are those of\n"
     "--branch (every branch when none is given). Every command that reads or changes a\n"
     "customer's personal data writes one row in the same transaction: who, when, which\n"
     "branch, service and command, and which customers. With --json: one object per row.\n"},

    /* ---- plans and daily work ---- */
    {"plan", "list", ctl_plan_list, "plan list", "lists the follow-up plan templates", ""},
    {"plan", "show", ctl_plan_show, "plan show TEMPLATE", "shows a plan template's steps", ""},
    {"plan", "add", ctl_plan_add, "plan add CODE --name NAME",
     "adds a plan template to the branch (no branch: to the defaults)",
     "A branch's own template of a default's code starts as a copy of the default's steps and\n"
     "overrides it for that branch. Without --branch / HUIFANG_BRANCH the defaults change.\n"
     "New plans use the change at once; plans already started keep their steps.\n"
     "  --name NAME   what the template is for (required)\n" CTL_IDEM_HELP},
    {"plan", "step", ctl_plan_step,
     "plan step CODE --step N --anchor purchase|supply_end|previous|ref_date --offset D "
     "[--window D] [--repeat D] --purpose P --channel phone|visit|letter|wechat --role R "
     "| plan step CODE --step N --remove",
     "adds, changes or removes one step of a plan template",
     "  --step N       the step's number, 1..99 (steps run in this order)\n"
     "  --anchor A     the day it counts from: purchase, supply_end, previous (the step\n"
     "                 before) or ref_date (the customer's reference date)\n"
     "  --offset D     days after the anchor, -365..3650 (negative: before)\n"
     "  --window D     a flexible step: anywhere in offset .. offset+D, where there is room\n"
     "  --repeat D     again every D days until the supply ends\n"
     "  --purpose P    care, usage, reaction, effect, repurchase, visit, new-lead, ...\n"
     "  --channel C    phone | visit | letter | wechat\n"
     "  --role R       who does it: phone | consult | visit | doctor | deliver | lead | head |\n"
     "                 manager\n"
     "  --remove       removes step N\n"
     "On a branch without its own version the default is copied to the branch "
     "first.\n" CTL_IDEM_HELP},
    {"agent", "absent", ctl_agent_absent,
     "agent absent ID --date DATE | --from DATE [--until DATE]",
     "marks an agent absent; their date bag moves to colleagues of the same role and region",
     "  --date DATE    one day (YYYY-MM-DD, the branch's zone)\n"
     "  --from DATE    the first day; --until DATE the last (default: --from)\n"
     "Tasks no colleague has room for go back to the queue for the next day.\n" CTL_IDEM_HELP},
    {"supervisor", "alerts", ctl_supervisor_alerts, "supervisor alerts [--all]",
     "lists the scheduler's supervisor alerts (missed callbacks, unvisited members)",
     "  --all   acknowledged alerts too\n"
     "Without --branch / HUIFANG_BRANCH: every branch.\n"},
    {"supervisor", "ack", ctl_supervisor_ack, "supervisor ack ID",
     "acknowledges a supervisor alert (--as names who)", CTL_IDEM_HELP},
    {"worklist", NULL, ctl_worklist, "worklist [--agent ID | --all] [--date DATE]",
     "shows an agent's date bag, or a day ahead the bag as it would be filled",
     "  --agent ID    the agent (default --as / HUIFANG_AGENT)\n"
     "  --all         every agent's bag (supervisors: lead, head, manager; say who with --as)\n"
     "  --date DATE   the bag's date YYYY-MM-DD, today or tomorrow (default today, in the\n"
     "                branch's zone); a day\n"
     "                ahead (tomorrow, up to a year) previews the bag from what is planned\n"
     "                for it, with each agent's load against capacity\n"},
    {"task", "next", ctl_task_next, "task next [--agent ID]",
     "claims the agent's next task and shows the customer's context (phone unmasked)",
     "  --agent ID    the agent (default --as / HUIFANG_AGENT)\n" CTL_IDEM_HELP},
    {"task", "show", ctl_task_show, "task show ID", "shows a task with its customer's context", ""},
    {"task", "release", ctl_task_release, "task release ID",
     "gives a claimed task back: it returns to the same agent's date bag",
     "The claim ends (a call log of it is refused) and the task is assigned again in the\n"
     "bag it came from, where task next hands it out again. To give an agent's bag to\n"
     "colleagues, use agent absent. Only the agent holding it or a supervisor (lead, head,\n"
     "manager; say who with --as) may: exit 4 otherwise, and for a task not "
     "claimed.\n" CTL_IDEM_HELP},
    {"task", "skip", ctl_task_skip, "task skip ID --reason TEXT",
     "ends a claimed task unworked: done, outcome skipped, with the reason",
     "  --reason TEXT   why (required, at most 200 bytes)\n"
     "The plan goes on with its next step. Only the agent holding it or a supervisor (lead,\n"
     "head, manager; say who with --as) may: exit 4 otherwise, and for a task not "
     "claimed.\n" CTL_IDEM_HELP},
    {"call", "log", ctl_call_log,
     "call log --task ID --outcome OUTCOME [--effect good|none|adverse] [--order QTY "
     "[--order-product CODE] [--delivery home|store [--delivery-address A]]] "
     "[--callback-at TIME] [--next DATE] [--dose T] [--timing T] [--other-medicines T] "
     "[--diet T] [--advice T] [--event NAME] [--event-accepted] [--typical-case [--consent]] "
     "[--referral-name N --referral-phone P] [--note TEXT] [--channel phone|letter|wechat] "
     "[--duration SECONDS] [--started-at TIME]",
     "records the contact of a claimed task: outcome, usage, effect, order, referral, ...",
     "  --outcome OUTCOME     a code of the branch's outcome list (huifang outcome list):\n"
     "                        connected | no-answer | busy | wrong-number | not-in-service |\n"
     "                        refused | hostile | callback | ...\n"
     "  --channel C           phone | letter | wechat (default: the task's channel)\n"
     /* clang-format off */
     CTL_CONTACT_HELP
     "Only the task's holder (or a lead, head or manager) logs it, once per claim.\n"
     /* clang-format on */
     CTL_IDEM_HELP},
    {"call", "review", ctl_call_review,
     "call review list [--date DATE] [--agent ID] | call review score CONTACT --score 1..5 "
     "[--note TEXT] | call review rate PERCENT",
     "quality checks: the day's sample of every agent's calls, a supervisor's scores",
     "  list    draws (once, deterministically) and shows the day's sample: PERCENT of each\n"
     "          agent's phone calls of DATE (default today), rounded up\n"
     "  score   a supervisor (lead, head, manager: --as) scores a call 1..5, once\n"
     "  rate    sets the branch's sample, 0..100 percent (default 10)\n" CTL_IDEM_HELP},
    {"visit", "log", ctl_visit_log,
     "visit log --task ID --outcome OUTCOME [--bp SYS/DIA] [--pulse N] [--symptoms TEXT] "
     "[--findings TEXT] [--effect good|none|adverse] [--advice TEXT] [--next DATE] [--note TEXT] "
     "[...the contact flags of call log]",
     "records a home visit (the patient service sheet of a visitor or doctor)",
     "  --bp SYS/DIA          blood pressure in mmHg, e.g. 130/85; --pulse N a minute\n"
     "  --symptoms TEXT       what the patient reports; --findings TEXT what the visitor "
     "saw\n" CTL_CONTACT_HELP CTL_IDEM_HELP},
    {"outcome", "list", ctl_outcome_list, "outcome list",
     "lists the branch's outcome codes with their flags", ""},
    {"outcome", "add", ctl_outcome_add, "outcome add CODE --name NAME [--flags LIST]",
     "adds an outcome code to the branch (a supervisor, or ops without --as)",
     "  --flags LIST   comma-separated: human-answered, contacted, sale, do-not-call,\n"
     "                 unworkable, callback, completed (none: an attempt nobody "
     "answered)\n" CTL_IDEM_HELP},
    {"consult", "log", ctl_consult_log,
     "consult log --name NAME --phone PHONE --complaint TEXT --media SOURCE "
     "--outcome bought|not-bought [--product CODE --quantity N [--delivery home|store]] "
     "[--gender f|m] [--age N] [--address A] [--region R] | consult log --regulator --name NAME "
     "--unit UNIT --contact CONTACT [--position P] [--phone PHONE] [--complaint TEXT]",
     "records an inbound consultation call (bought: a shipping notice; a regulator: an alert)",
     "  --media SOURCE      the advertisement or medium that brought the caller\n"
     "  --outcome           bought (intake records the purchase; a home delivery entry opens)\n"
     "                      or not-bought (intake registers a lead with callbacks)\n"
     "  --regulator         a market regulator or consumer association: recorded with\n"
     "                      --unit, --position and --contact and escalated to the "
     "manager\n" CTL_IDEM_HELP},
    {"consult", "list", ctl_consult_list, "consult list [--date DATE] [--regulator]",
     "lists the day's consultation calls", ""},
    /* before "alerts" alone, which would take "alerts ack" as its own */
    {"alerts", "ack", ctl_alerts_ack, "alerts ack ID [--note TEXT]",
     "a manager (--as) acknowledges a call log alert (a regulator's call), once",
     "  --note TEXT   what was done about it\n"
     "Only the role the alert was raised to (manager) may; a second ack exits 4 naming who\n"
     "acknowledged it and when.\n" CTL_IDEM_HELP},
    {"alerts", NULL, ctl_alerts, "alerts",
     "lists the call log's alerts to the manager (calls from regulators)", ""},
    {"contact", "list", ctl_contact_list,
     "contact list --customer ID [--limit N] [--before CONTACT]",
     "a customer's contacts (calls, visits, letters, messages), newest first",
     "  --limit N         at most N (1..200, default 50)\n"
     "  --before CONTACT  older than this contact (the next page)\n"},
    {"delivery", "list", ctl_delivery_list, "delivery list [--pending]", "shows the delivery book",
     ""},
    {"delivery", "done", ctl_delivery_done, "delivery done ID",
     "the deliverer (--as) marks a delivery delivered; never twice (exit 4)", CTL_IDEM_HELP},
/* ---- reports ---- */
#define CTL_REPORT_FORMAT_HELP                                                                     \
    "  --format F      table (default) | csv (one \"# title\" line before each table) |\n"         \
    "                  json (one object per row, with report, branch, period and table)\n"         \
    "  --branches B1,B2 | --all   headquarters (hq, admin): these branches, or all of yours,\n"    \
    "                  side by side, one row per branch and a TOTAL row\n"                         \
    "Figures are computed by the reporting service from its read models, in the branch's\n"        \
    "time zone; the definitions are in services/reporting/README.md.\n"
    {"report", "agent-daily", ctl_report,
     "report agent-daily [--date DATE] [--agent ID] [--format table|csv|json]",
     "per agent for a day: tasks due, attempts, contacts, orders, consultations, visits",
     "  --date DATE     the day YYYY-MM-DD (default today in the branch's zone)\n"
     "  --agent ID      this agent only\n" CTL_REPORT_FORMAT_HELP},
    {"report", "branch-weekly", ctl_report,
     "report branch-weekly [--week 2026-W47] [--format table|csv|json]",
     "the branch's week: agents, plan steps on time/late/missed, cards out, card funnel",
     "  --week W        ISO week YYYY-Www, Monday to Sunday (default this "
     "week)\n" CTL_REPORT_FORMAT_HELP},
    {"report", "collection", ctl_report, "report collection [--week 2026-W47] [--format F]",
     "leads collected by channel, source and collector, with duplicates and rejects",
     "  --week W        ISO week YYYY-Www (default this week)\n" CTL_REPORT_FORMAT_HELP},
    {"report", "repurchase", ctl_report,
     "report repurchase [--month 2026-11] [--days N] [--format F]",
     "for supplies ending in the month, the share repurchased within N days",
     "  --month M       YYYY-MM (default this month)\n"
     "  --days N        days after the supply end, 0..366 (default 30)\n" CTL_REPORT_FORMAT_HELP},
    {"report", "complaints", ctl_report, "report complaints [--week 2026-W47] [--format F]",
     "complaints opened, resolved in time, breaches, escalations, returns and refunds",
     "  --week W        ISO week YYYY-Www (default this week)\n" CTL_REPORT_FORMAT_HELP},
    {"report", "sales-attribution", ctl_report,
     "report sales-attribution [--month 2026-11] [--format F]",
     "follow-up orders by the terminal of the customer's region; agents' commission",
     "  --month M       YYYY-MM (default this month)\n"
     "Set the data with `huifang attribution terminal` and `huifang attribution "
     "rate`.\n" CTL_REPORT_FORMAT_HELP},
    {"attribution", "show", ctl_attribution_show, "attribution show",
     "shows the branch's region-to-terminal mapping and commission rate", ""},
    {"attribution", "terminal", ctl_attribution_terminal, "attribution terminal REGION TERMINAL",
     "counts the region's follow-up orders for a terminal (store)", CTL_IDEM_HELP},
    {"attribution", "unmap", ctl_attribution_unmap, "attribution unmap REGION",
     "removes the region's terminal", CTL_IDEM_HELP},
    {"attribution", "rate", ctl_attribution_rate, "attribution rate PERCENT",
     "sets the commission paid on follow-up orders, 0..100 with two decimals (5, 2.5)",
     CTL_IDEM_HELP},

    /* ---- complaints and returns (ctl_complaint.c) ---- */
    {"complaint", "file", ctl_complaint_file,
     "complaint file --customer ID --category CATEGORY --text TEXT [--severity low|normal|high] "
     "[--channel CH] [--location WHERE] [--plan TEXT] [--owner AGENT]",
     "files a complaint card; its resolution clock starts now",
     "  --category C     product-effect | adverse-reaction | attitude | delivery | price | other\n"
     "  --text TEXT      what the customer complains about (kept out of logs and events)\n"
     "  --severity S     low | normal (default) | high (default for adverse-reaction)\n"
     "  --channel CH     phone (default) | visit | counter | consult | wechat | letter | event |\n"
     "                   other\n"
     "  --location WHERE where it happened or was received; --plan TEXT how it will be solved\n"
     "  --owner AGENT    the agent answering for it (default: --as)\n"
     "The period (24 h unless the branch set another, see complaint config) warns at 50% and\n"
     "75%; at the end the complaint escalates: agent -> head -> manager -> customer-service\n"
     "department, each level with a fresh period.\n" CTL_IDEM_HELP},
    {"complaint", "list", ctl_complaint_list,
     "complaint list [--open] [--overdue] [--customer ID] [--limit N]",
     "lists the branch's complaints (newest first)",
     "  --open       only complaints not resolved or closed\n"
     "  --overdue    only running clocks, the first to breach first (LEFT below zero: past due)\n"
     "  --customer   one customer's; --limit N at most N (default 200)\n"},
    {"complaint", "show", ctl_complaint_show, "complaint show ID",
     "shows a complaint with its text, clock and history (warnings, escalations, changes)", ""},
    {"complaint", "start", ctl_complaint_start, "complaint start ID",
     "starts work on an open or reopened complaint", CTL_IDEM_HELP},
    {"complaint", "wait", ctl_complaint_wait, "complaint wait ID",
     "waits on the customer: the clock stops", CTL_IDEM_HELP},
    {"complaint", "resume", ctl_complaint_resume, "complaint resume ID",
     "the customer answered: the clock runs again, the due time moved by the wait", CTL_IDEM_HELP},
    {"complaint", "resolve", ctl_complaint_resolve, "complaint resolve ID --resolution TEXT",
     "resolves a complaint: the clock stops, the customer's follow-ups resume",
     "  --resolution TEXT   how it was solved (required)\n" CTL_IDEM_HELP},
    {"complaint", "close", ctl_complaint_close, "complaint close ID", "closes a resolved complaint",
     CTL_IDEM_HELP},
    {"complaint", "reopen", ctl_complaint_reopen, "complaint reopen ID",
     "reopens a resolved or closed complaint with a fresh period at its level", CTL_IDEM_HELP},
    {"complaint", "risks", ctl_complaint_risks, "complaint risks",
     "lists the customers flagged as a word-of-mouth risk, for the head's attention",
     "A customer is flagged once when a contact refuses to buy again (outcome refused or\n"
     "hostile, or a repurchase call answered without an order or a callback) while the latest\n"
     "effect the customer reported, on that contact or before, is none.\n"},
    {"complaint", "config", ctl_complaint_config, "complaint config",
     "shows the branch's resolution periods, business hours and return policy", ""},
    {"complaint", "sla", ctl_complaint_sla,
     "complaint sla --hours H [--category C] [--business-hours] [--wait-hours W|none]",
     "sets the resolution period of a category in the branch (head, manager or ops)",
     "  --hours H          1..720 hours per level\n"
     "  --category C       a category, or * for every category without its own (default *)\n"
     "  --business-hours   count the branch's business hours only (see complaint calendar)\n"
     "  --wait-hours W     how long a card may wait on the customer before its clock runs\n"
     "                     again (1..720 wall-clock hours, or none; default 72)\n"
     "New complaints get the new period; filed ones keep theirs.\n" CTL_IDEM_HELP},
    {"complaint", "calendar", ctl_complaint_calendar,
     "complaint calendar --day HH:MM-HH:MM [--lunch HH:MM-HH:MM | --no-lunch] [--workdays 1-5] "
     "[--holidays DATE,DATE|none]",
     "sets the branch's business hours for clocks that count them (head, manager or ops)",
     "  --day        the working day in the branch's zone, e.g. 09:00-18:00\n"
     "  --lunch      the lunch break (default 12:00-13:00); --no-lunch for none\n"
     "  --workdays   ISO weekdays, 1 Monday .. 7 Sunday: 1-5 (default), 1-6, 1,2,3,4,5\n"
     "  --holidays   replaces the branch's holidays (none: no holidays); kept when "
     "absent\n" CTL_IDEM_HELP},
    {"return", "request", ctl_return_request,
     "return request --purchase ID --used QTY --packaging intact|opened --reason TEXT",
     "asks for a return of a purchase; a manager decides",
     "The refund is the price paid, minus the unit price times the quantity used, minus the\n"
     "packaging fee when opened (see return policy), never below zero.\n" CTL_IDEM_HELP},
    {"return", "approve", ctl_return_approve, "return approve ID [--reason TEXT]",
     "approves a return (a manager only: --as); the purchase's remaining follow-ups end",
     CTL_IDEM_HELP},
    {"return", "reject", ctl_return_reject, "return reject ID --reason TEXT",
     "rejects a return (a manager only: --as)", CTL_IDEM_HELP},
    {"return", "list", ctl_return_list, "return list [--pending]",
     "lists the branch's return requests (--pending: waiting for a manager)", ""},
    {"return", "policy", ctl_return_policy,
     "return policy [--opened-fee YUAN] [--opened-percent P]",
     "sets the packaging fee kept when the packaging is opened (head, manager or ops)",
     "  --opened-fee YUAN     a fixed amount\n"
     "  --opened-percent P    a share of the price paid, 0..100\n"
     "The two add up; the one not given is zero. Returns requested later use the new "
     "fee.\n" CTL_IDEM_HELP},
    /* ---- campaigns and segments ---- */
    {"segment", "add", ctl_segment_add, "segment add NAME [FILTERS]",
     "saves a segment: a filter over the archive, evaluated afresh whenever it is used",
     CTL_SEGMENT_HELP "Prints today's count. A name is unique in the branch.\n" CTL_IDEM_HELP},
    {"segment", "preview", ctl_segment_preview, "segment preview [FILTERS]",
     "counts what a filter matches today, with a few masked sample rows; stores nothing",
     CTL_SEGMENT_HELP},
    {"segment", "list", ctl_segment_list, "segment list", "the branch's segments and their filters",
     ""},
    {"segment", "show", ctl_segment_show, "segment show ID",
     "a segment's filter and how many customers it matches today", ""},
    {"campaign", "add", ctl_campaign_add,
     "campaign add --name WHAT --place WHERE --at \"YYYY-MM-DD HH:MM\" --segment ID "
     "[--capacity N] [--invite-days 5] [--bought-within 14]",
     "an event whose segment is invited by phone over the days before it",
     "  --at TIME           local time in the branch's zone; must lie ahead\n"
     "  --capacity N        seats (checkins stop there); 0 or none: no limit\n"
     "  --segment ID        the segment invited (its customers today); nobody matching is an "
     "error\n"
     "  --invite-days N     invitation calls spread over the N days before the day before the "
     "event\n"
     "                      (that day is the reminders'; 1..30, default 5)\n"
     "  --bought-within N   the campaign report counts purchases up to N days after the event "
     "(default 14)\n"
     "An invitation logged with outcome accepted gets a reminder call the day before; a\n"
     "customer checked in at the door gets a thank-you call the day after.\n" CTL_IDEM_HELP},
    {"campaign", "list", ctl_campaign_list, "campaign list",
     "the branch's campaigns: invited, accepted, declined, attended", ""},
    {"campaign", "show", ctl_campaign_show, "campaign show ID", "one campaign and its figures", ""},
    {"campaign", "checkin", ctl_campaign_checkin, "campaign checkin CAMPAIGN CUSTOMER",
     "records a customer at the door (from the event's day; never past its capacity)",
     "A customer not invited is checked in as a walk-in.\n" CTL_IDEM_HELP},
    {"report", "campaign", ctl_report, "report campaign --campaign ID [--days N] [--format F]",
     "a campaign's funnel: invited, accepted, attended, bought within N days of the event",
     "  --campaign ID   the campaign\n"
     "  --days N        days after the event a purchase counts (default the campaign's, "
     "14)\n" CTL_REPORT_FORMAT_HELP},

    /* ---- occasions, contact caps, letters and WeChat ---- */
    {"letters", "print", ctl_letters_print,
     "letters print [--date DATE] [--out FILE] [--format csv]",
     "the day's letters as a CSV mail-merge file: names and postal addresses",
     "Lists the branch's tasks on the letter channel due that day (still to send), with the\n"
     "customer's name, postal address, region, the step's purpose and the product, as CSV\n"
     "(RFC 4180, UTF-8): task_id,customer_id,name,address,region,purpose,product,date,language "
     "(the\n"
     "customer's BCP 47 tag, empty = the branch's).\n"
     "A customer without an address is left out and counted on stderr. Letters never go\n"
     "into an agent's date bag and take no phone capacity.\n"
     "  --date DATE     the day YYYY-MM-DD (default today in the branch's zone)\n"
     "  --out FILE      write the file (mode 0600) instead of stdout\n"
     "  --format csv    the only format: print the letters with a word processor's mail\n"
     "                  merge (no PDF is made)\n"},
    {"letters", "sent", ctl_letters_sent, "letters sent [--date DATE]",
     "logs the day's letters as sent: a contact on channel letter each, the tasks done",
     "Every letter `letters print` lists for the day becomes a contact (channel letter,\n"
     "outcome sent); the scheduler then marks its task done. Logging the day again logs\n"
     "nothing twice.\n"
     "  --date DATE     the day YYYY-MM-DD (default today)\n" CTL_IDEM_HELP},
    {"occasion", "rule add", ctl_occasion_rule_add,
     "occasion rule add OCCASION [--days-before N] [--purpose P] [--script TEXT] "
     "[--card-type T] [--tier T] [--regions R1,R2]",
     "adds a care-call rule: a birthday, festival or weather greeting (manager)",
     "OCCASION is birthday, festival:NAME (see occasion festivals) or weather:KIND\n"
     "(cold-snap, heat-wave, typhoon, rainstorm; run by occasion trigger). Every local day\n"
     "the branch's customers due are given a call on the day, DAYS before the date, inside\n"
     "their windows and the weekly contact cap (never opted out or do-not-disturb).\n"
     "Someone born on 29 February is greeted on 28 February in other years.\n"
     "  --days-before N    0..30 (default 0; weather rules: 0)\n"
     "  --purpose P        the task's purpose (default care)\n"
     "  --script TEXT      the talking points the agent sees (at most 500 bytes)\n"
     "  --card-type T      only new, one-on-one or customer cards\n"
     "  --tier T           only gold, silver, member or regular\n"
     "  --regions R1,R2    only customers of these regions\n"
     "  --segment ID       only the members of a saved segment (segment list)\n" CTL_IDEM_HELP},
    {"occasion", "rule list", ctl_occasion_rule_list, "occasion rule list",
     "lists the branch's occasion rules in force", ""},
    {"occasion", "rule remove", ctl_occasion_rule_remove, "occasion rule remove ID",
     "removes an occasion rule (manager); calls already planned stay", CTL_IDEM_HELP},
    {"occasion", "trigger", ctl_occasion_trigger, "occasion trigger KIND --regions R1,R2",
     "runs the branch's weather:KIND rules now for the customers of the regions named",
     "KIND: cold-snap, heat-wave, typhoon or rainstorm; the branch needs a rule for it\n"
     "(occasion rule add weather:KIND --script ...). Calls are made today, inside the\n"
     "customers' windows and the weekly contact cap. Supervisors (lead, head, manager).\n"
     "  --regions R1,R2    the regions hit (required)\n" CTL_IDEM_HELP},
    {"occasion", "festivals", ctl_occasion_festivals, "occasion festivals [--year YYYY]",
     "the festivals' dates in a year (lunar ones from ICU's Chinese calendar)",
     "  --year YYYY        1901..2099 (default: this year)\n"},
    {"occasion", "cap set", ctl_occasion_cap_set, "occasion cap set --per-week N | --reset",
     "sets the branch's weekly contact cap (manager); every plan and occasion keeps it",
     "A customer gets at most N calls (phone tasks put into date bags; visits, letters and\n"
     "WeChat are not counted) from Monday to Sunday in the branch's zone. A plan step over\n"
     "it moves to the next Monday; an occasion greeting is merged into a call already\n"
     "planned that day, or dropped. Callbacks and promised follow-ups are never held, but\n"
     "count.\n"
     "  --per-week N       1..50 (default 2)\n"
     "  --reset            back to the default\n" CTL_IDEM_HELP},
    {"occasion", "cap", ctl_occasion_cap_show, "occasion cap",
     "shows the weekly contact cap: at most N contacts a customer in an ISO week", ""},

    /* ---- points and gifts ---- */
    {"points", "show", ctl_points_show, "points show CUSTOMER [--limit N]",
     "a customer's points: the balance and the ledger that explains it",
     "Prints the balance, what was earned, redeemed and taken back by returns, what is owed\n"
     "(points a return could not take back: later earnings settle them first), then the\n"
     "ledger, newest first: reason (purchase | event | redeem | return | adjust), reference,\n"
     "delta and the balance after it.\n"
     "  --limit N   ledger rows, 1..1000 (default 100)\n"},
    {"points", "redeem", ctl_points_redeem,
     "points redeem CUSTOMER (--points N --item TEXT | --gift CODE)",
     "redeems points for a gift or a free service; never below a zero balance",
     "  --points N    points to take, above zero and at most the balance (exit 2 otherwise,\n"
     "                nothing changed)\n"
     "  --item TEXT   what the customer gets (\"massage voucher\", \"free check-up\")\n"
     "  --gift CODE   a gift of the branch's catalogue (`huifang gift list`): its price in\n"
     "                points, unless --points says the same\n" CTL_IDEM_HELP},
    {"points", "rules", ctl_points_rules, "points rules [--per-yuan N] [--per-event N]",
     "shows or sets the branch's earning rules (manager)",
     "  --per-yuan N   points per whole yuan paid, 0..100 (default 1)\n"
     "  --per-event N  points per attended event, 0..100000 (default 100)\n"
     "Setting one makes the branch's own rules (the other keeps its current "
     "value).\n" CTL_IDEM_HELP},
    {"gift", "add", ctl_gift_add, "gift add CODE --name NAME --points N",
     "adds a gift to the branch's catalogue, with its price in points (manager)", CTL_IDEM_HELP},
    {"gift", "list", ctl_gift_list, "gift list", "the branch's gift catalogue", ""},
    {"report", "points", ctl_report, "report points [--month 2026-11] [--format F]",
     "points issued, redeemed and taken back in the month, and outstanding at its end",
     "  --month M       YYYY-MM (default this month)\n"
     "Outstanding is every balance of the branch at the month's end: issued minus redeemed\n"
     "minus taken back, over all time.\n" CTL_REPORT_FORMAT_HELP},
    /* member care: occasions (issue 16) */
    {"report", "occasions", ctl_report, "report occasions [--month 2026-11] [--format F]",
     "the month's occasion greetings: due, made, merged into a call, dropped",
     "  --month M       YYYY-MM (default this month), by the local day of the calls\n"
     "Per occasion (birthday, festival:NAME, weather:KIND): the customers intake found due,\n"
     "the greeting calls made, the greetings merged into a call planned that day, those\n"
     "dropped by the weekly contact cap and those dropped otherwise (opted out, void, do not\n"
     "disturb, the day passed).\n" CTL_REPORT_FORMAT_HELP},

};

#define CTL_NCOMMANDS ((int)(sizeof s_commands / sizeof s_commands[0]))

/* The heading printed before a group that opens a section of the command list. */
static const char *s_section(const char *group)
{
    static const struct {
        const char *group;
        const char *title;
    } sections[] = {{"ping", "System and ops:"}, {"branch", "Organisation:"},
                    {"lead", "Intake:"},         {"plan", "Plans and daily work:"},
                    {"report", "Reports:"},      {NULL, NULL}};
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
            "times, default " HF_DEFAULT_TZ "); HUIFANG_PORT_BASE (default 7100) or\n"
            "HUIFANG_<SERVICE>_ENDPOINT / HUIFANG_<SERVICE>_EVENTS for the services' addresses;\n"
            "HUIFANG_CLOCK_FILE (the manual clock, default /tmp/huifang.clock);\n"
            "HUIFANG_STATE_DIR (where the places of this client's writes are kept, so the next\n"
            "command waits for them: default $XDG_RUNTIME_DIR/huifang, else ~/.cache/huifang);\n"
            "HUIFANG_KEYS_DIR (the CURVE keys directory: this client's NAME.key and NAME.pub and\n"
            "the services' .pub files, see `huifang keys gen`); HUIFANG_CURVE_NAME (this\n"
            "client's key name, default cli); HUIFANG_CURVE (on, the default; off: plain\n"
            "sockets, only for benchmarks against services started with HUIFANG_CURVE=off).\n");
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
        /* a verb of two words ("rule add": huifang occasion rule add) */
        const char *sp = strchr(c->verb, ' ');
        size_t n = sp ? (size_t)(sp - c->verb) : 0;
        if (sp && argc > 2 && strncmp(c->verb, argv[1], n) == 0 && argv[1][n] == '\0' &&
            strcmp(sp + 1, argv[2]) == 0) {
            *used = 3;
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
    ctl.tz = env && *env ? env : HF_DEFAULT_TZ;
    ctl.positions = ctl_positions_new(NULL);
    /* the client's CURVE identity; a problem is reported when a command needs the wire */
    env = getenv("HUIFANG_CURVE");
    bool curve = !(env && strcmp(env, "off") == 0);
    if (!curve)
        fprintf(stderr, "huifang: warning: HUIFANG_CURVE=off: talking to the services in clear "
                        "text (for benchmarks only)\n");
    const char *keys = getenv("HUIFANG_KEYS_DIR");
    const char *name = getenv("HUIFANG_CURVE_NAME");
    hf_bus_curve_init(curve, keys, name && *name ? name : "cli", NULL, 0);

    int rc;
    if (!hf_tz_valid(ctl.tz)) {
        ctl_error("HUIFANG_TZ names no known time zone: '%s'", ctl.tz);
        rc = HF_BAD_INPUT;
    } else {
        rc = s_run(&ctl, argc, argv);
    }

    /* the places this command's replies named, for the next command (written at exit) */
    ctl_positions_destroy(&ctl.positions);
    for (int i = 0; i < CTL_SERVICES; i++)
        hf_client_destroy(&ctl.clients[i]);
    hf_bus_shutdown();
    hf_arena_destroy(&ctl.arena);
    fflush(stdout);
    return rc;
}
