/* ctl: the shared context and helpers of `huifang`, the command-line client.
 *
 * main.c owns the command table and the global flags; the commands live one function each in
 * ctl_org.c (organisation), ctl_intake.c (leads, customers, purchases; the lead importer it
 * drives is ctl_import.c, a library of its own), ctl_work.c (bags, tasks, plans, queues),
 * ctl_sched.c (plan edits, absences, supervisor alerts), ctl_calllog.c (visits, outcomes,
 * consultations, alerts, deliveries, reviews), ctl_complaint.c (complaints, returns),
 * ctl_report.c (reports, attribution), ctl_session.c (sign-in, people, session keys) and
 * ctl_ops.c (ping, events, clock, CURVE keys); ctl_positions.c keeps the places of this
 * client's writes; ctl.c holds what they share: flag parsing, strict number parsing, the call
 * to a service with its error handling, and output (aligned tables, masked phones, local
 * times). A command function returns the process's exit code, which is also the Reply.status
 * number of the service that answered. */
#ifndef CTL_H
#define CTL_H

#include "ctl_positions.h"
#include "hf_arena.h"
#include "hf_bus.h"
#include "hf_wire.h"
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* ---- services ---------------------------------------------------------------------------- */

typedef enum {
    CTL_INTAKE,
    CTL_SCHEDULER,
    CTL_CALLLOG,
    CTL_COMPLAINT,
    CTL_REPORTING,
    CTL_SERVICES /* the count */
} ctl_service_t;

/* The services' names, as hf_endpoint_commands() and the event producers know them. */
extern const char *const ctl_service_names[CTL_SERVICES];

/* ---- the context ------------------------------------------------------------------------- */

typedef struct ctl_t ctl_t;
/* A command: argv holds the words after the command's name. Returns the exit code. */
typedef int (*ctl_fn)(ctl_t *ctl, int argc, char **argv);

typedef struct {
    const char *group; /* "branch" */
    const char *verb;  /* "add", or NULL when the group alone is the command */
    ctl_fn fn;
    const char *usage;   /* "branch add CODE --name NAME [--tz ZONE] ..." */
    const char *summary; /* one line for the command list */
    const char *help;    /* the flags and what they mean, for `--help` */
} ctl_command_t;

struct ctl_t {
    const char *branch;                 /* --branch or HUIFANG_BRANCH; "" when neither */
    const char *actor;                  /* --as or HUIFANG_AGENT; sent as Request.actor */
    bool json;                          /* --json: JSON lines instead of tables */
    int timeout_ms;                     /* --timeout: per try of a call to a service */
    bool timeout_given;                 /* --timeout was on the command line */
    const char *tz;                     /* HUIFANG_TZ: the zone times are shown and read in */
    const ctl_command_t *command;       /* the command being run, for its --help */
    int exit;                           /* the exit code after ctl_parse() or a helper said stop */
    hf_client_t *clients[CTL_SERVICES]; /* created on first use */
    hf_arena_t *arena;                  /* strings that live until the process ends */
    ctl_positions_t *positions;         /* places seen in replies (read your own writes) */
    const char *session;                /* the session sent with every request (ctl_session.c) */
    int session_state;                  /* 0 not looked up yet, 1 looked up, 2 sending as is */
    int session_exit;                   /* not 0: --as failed with this exit, send nothing */
    const char *session_kept;           /* the file the --as session came from, or NULL */
};

/* Prints the command's usage and help to out. */
void ctl_command_help(const ctl_command_t *command, FILE *out);
/* The command's name as typed ("branch add"), from the arena. */
const char *ctl_command_name(ctl_t *ctl);

/* Applies global flag name (without "--") with value (NULL for --json). Returns 0, or -1
 * with ctl->exit set after a message when the value is bad. */
int ctl_global_set(ctl_t *ctl, const char *name, const char *value);
/* 1 when name is a global flag that takes a value, 0 when it is a switch, -1 when it is
 * not a global flag. */
int ctl_global_kind(const char *name);

/* ---- flags ------------------------------------------------------------------------------- */

typedef enum { CTL_VALUE, CTL_SWITCH } ctl_opt_kind_t;

typedef struct {
    const char *name; /* without "--": "phone" */
    ctl_opt_kind_t kind;
    const char *value; /* set by ctl_parse(): the value, "" for a switch given, or NULL */
} ctl_opt_t;

/* Initialisers for ctl_opt_t tables (kept on one line each). */
/* clang-format off */
#define CTL_OPT(name) {(name), CTL_VALUE, NULL}
#define CTL_FLAG(name) {(name), CTL_SWITCH, NULL}
/* Every command that changes something accepts an explicit idempotency key. */
#define CTL_OPT_IDEMPOTENCY CTL_OPT("idempotency-key")
#define CTL_OPT_END {NULL, CTL_VALUE, NULL}
/* clang-format on */

/* Parses the command's words: flags declared in opts ("--name VALUE" or "--name=VALUE"),
 * global flags (--json, --branch, --as, --timeout) and exactly as many positional arguments
 * as pos_names names (a NULL-terminated list, or NULL for none) into pos. "--" ends the
 * flags. Returns 0; or -1 with ctl->exit set: 0 after printing --help, 2 after a message
 * naming the bad flag or the missing argument. */
int ctl_parse(ctl_t *ctl, int argc, char **argv, ctl_opt_t *opts, const char *const *pos_names,
              const char **pos);
/* The value of flag name, or NULL when it was not given (or given empty). */
const char *ctl_opt(const ctl_opt_t *opts, const char *name);
/* True when switch name was given. */
bool ctl_switch(const ctl_opt_t *opts, const char *name);
/* The value of a required flag; NULL with ctl->exit = 2 after "--name is required". */
const char *ctl_require(ctl_t *ctl, const ctl_opt_t *opts, const char *name);

/* ---- validation (each prints "huifang: <label> ..." and sets ctl->exit = 2 on failure) --- */

/* Parses a whole number from min to max, strictly (no sign unless min < 0, no spaces, no
 * trailing text). label is what the message names: "--quantity" or "ID". */
int ctl_parse_long(ctl_t *ctl, const char *label, const char *text, long min, long max, long *out);
/* Parses an id: a whole number from 1 up. */
int ctl_parse_id(ctl_t *ctl, const char *label, const char *text, int64_t *out);
/* Parses an amount in yuan with at most two decimals ("12", "12.5", "12.50") into fen. */
int ctl_parse_yuan(ctl_t *ctl, const char *label, const char *text, int64_t *fen);
/* Checks a local date "YYYY-MM-DD". */
int ctl_check_date(ctl_t *ctl, const char *label, const char *text);
/* Parses an instant (RFC 3339, or local "YYYY-MM-DD[ HH:MM[:SS]]" in ctl->tz) to UTC ms. */
int ctl_parse_time(ctl_t *ctl, const char *label, const char *text, int64_t *ms);
/* Checks that text is one of the words of choices ("f|m"). */
int ctl_check_choice(ctl_t *ctl, const char *label, const char *text, const char *choices);
/* Checks that the branch is known (from --branch or HUIFANG_BRANCH). */
int ctl_need_branch(ctl_t *ctl);

/* ---- calls ------------------------------------------------------------------------------- */

/* Fills a read-only request: branch and actor from the context. */
void ctl_request_init(ctl_t *ctl, hf_request_t *req);
/* Fills a changing request: as ctl_request_init(), plus the idempotency key from
 * --idempotency-key in opts or a new random one. Returns 0, or -1 with ctl->exit = 2. */
int ctl_request_change(ctl_t *ctl, hf_request_t *req, const ctl_opt_t *opts);
/* Sends req to service svc and waits for the answer; req carries the places in the other
 * services' event streams this client has seen (ctl_positions), so svc answers once its
 * copies have caught up with them, and a reply's own place is noted for the next command.
 * Returns 0 with *rep set (status OK,
 * result_case as expected unless expect is 0; the caller frees it with ctl_reply_free), or
 * the exit code after printing why on stderr: 5 when the service did not answer, the
 * reply's status (with the service's error) otherwise, 1 for a reply without the result.
 * In human mode a reply's note is printed on stderr. */
int ctl_call(ctl_t *ctl, ctl_service_t svc, hf_request_t *req, int expect, hf_reply_t **rep);
/* Frees a reply; idempotent, sets *rep_p to NULL. */
void ctl_reply_free(hf_reply_t **rep_p);
/* Prints a command's answer (a table, key: value lines, or --json). */
typedef void (*ctl_print_fn)(ctl_t *ctl, const hf_reply_t *rep);
/* ctl_call(), then print(ctl, reply) when it answered, stdout flushed and the reply freed:
 * HF_OK, or ctl_call()'s exit code. */
int ctl_call_print(ctl_t *ctl, ctl_service_t svc, hf_request_t *req, int expect,
                   ctl_print_fn print);
/* The client for service svc (owned by the context, created on first use). */
hf_client_t *ctl_client(ctl_t *ctl, ctl_service_t svc, int tries);
/* 0 when this client's CURVE identity is ready (or HUIFANG_CURVE=off); else the exit code
 * (2) after printing why (no HUIFANG_KEYS_DIR, no cli.key, a secret others may read). */
int ctl_curve_check(void);

/* ---- output ------------------------------------------------------------------------------ */

/* Prints "huifang: <message>" on stderr. */
void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "huifang: <message>" on stderr, sets ctl->exit to code and returns -1. */
int ctl_fail(ctl_t *ctl, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prints msg as one JSON line on stdout. */
void ctl_json(const ProtobufCMessage *msg);
/* Prints "key  value" with the key padded to a column, for one record's details. */
void ctl_kv(const char *key, const char *value);

/* Strings from the arena, for table cells. */
const char *ctl_fmt(ctl_t *ctl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s, or "-" when s is NULL or empty. */
const char *ctl_str(const char *s);
/* Instant ms as local "YYYY-MM-DD HH:MM" in ctl->tz, or "-" when 0. */
const char *ctl_local_time(ctl_t *ctl, int64_t ms);
/* The phone masked ("138****5678"), or "-". */
const char *ctl_phone_masked(ctl_t *ctl, const char *phone);
/* The name masked ("张**", "W*** F***"), or "-". */
const char *ctl_name_masked(ctl_t *ctl, const char *name);
/* Whether the signed-in person may see personal data in clear (names, phones, addresses,
 * free text) where a command offers --unmasked: the one place that decides it. */
bool ctl_may_see_personal(ctl_t *ctl);
/* The refusal of --unmasked to a person who may not see personal data: exit 4. Returns
 * -1 with ctl->exit set, after the message. */
int ctl_refuse_unmasked(ctl_t *ctl);
/* Fen as yuan with two decimals ("12.50"). */
const char *ctl_yuan(ctl_t *ctl, int64_t fen);

/* A table printed with aligned columns (UTF-8 aware; CJK characters count two columns). */
typedef struct ctl_table_t ctl_table_t;
/* Creates a table with ncols columns whose headers follow. Never returns NULL. */
ctl_table_t *ctl_table_new(int ncols, ...);
/* Adds one row of ncols strings (NULL shows as "-"); the table copies them. */
void ctl_table_add(ctl_table_t *self, ...);
/* Prints the table to stdout. */
void ctl_table_print(const ctl_table_t *self);
/* Frees the table; idempotent, sets *self_p to NULL. */
void ctl_table_destroy(ctl_table_t **self_p);

/* Prints a customer's profile as key-value lines; the phones are masked unless unmasked
 * (the agent is about to call). */
void ctl_print_customer(ctl_t *ctl, const Huifang__V1__Customer *c, bool unmasked);
/* Prints purchases as a table. */
void ctl_print_purchases(ctl_t *ctl, Huifang__V1__Purchase **list, size_t n);

/* ---- the commands ------------------------------------------------------------------------ */

/* ctl_session.c: sessions and people */
/* Puts the session on req: HUIFANG_TOKEN or the login file, or for --as a session of that
 * person signed for the admin (asked of intake once, then kept). */
void ctl_session_attach(ctl_t *ctl, hf_request_t *req);
/* After a refusal of a kept --as session (revoked: the agent changed): forgets it and puts a
 * new one on req. True when there is a new one to try. */
bool ctl_session_renew(ctl_t *ctl, hf_request_t *req);
int ctl_login(ctl_t *ctl, int argc, char **argv);
int ctl_logout(ctl_t *ctl, int argc, char **argv);
int ctl_whoami(ctl_t *ctl, int argc, char **argv);
int ctl_user_add(ctl_t *ctl, int argc, char **argv);
int ctl_user_passwd(ctl_t *ctl, int argc, char **argv);
int ctl_user_disable(ctl_t *ctl, int argc, char **argv);
int ctl_user_enable(ctl_t *ctl, int argc, char **argv);
int ctl_user_list(ctl_t *ctl, int argc, char **argv);
int ctl_session_keygen(ctl_t *ctl, int argc, char **argv);
/* The role of the signed-in person as intake verifies it ("" when not signed in). */
const char *ctl_session_role(ctl_t *ctl);
int ctl_session_mint(ctl_t *ctl, int argc, char **argv);

int ctl_branch_add(ctl_t *ctl, int argc, char **argv);
int ctl_agent_add(ctl_t *ctl, int argc, char **argv);
int ctl_product_add(ctl_t *ctl, int argc, char **argv);
int ctl_branch_list(ctl_t *ctl, int argc, char **argv);
int ctl_agent_list(ctl_t *ctl, int argc, char **argv);
int ctl_product_list(ctl_t *ctl, int argc, char **argv);
int ctl_agent_edit(ctl_t *ctl, int argc, char **argv);
int ctl_agent_deactivate(ctl_t *ctl, int argc, char **argv);
int ctl_product_edit(ctl_t *ctl, int argc, char **argv);
int ctl_rules_show(ctl_t *ctl, int argc, char **argv);
int ctl_tier_set(ctl_t *ctl, int argc, char **argv);
int ctl_stage_set(ctl_t *ctl, int argc, char **argv);
int ctl_stage_remove(ctl_t *ctl, int argc, char **argv);

int ctl_lead_add(ctl_t *ctl, int argc, char **argv);
int ctl_customer_find(ctl_t *ctl, int argc, char **argv);
int ctl_customer_show(ctl_t *ctl, int argc, char **argv);
int ctl_customer_edit(ctl_t *ctl, int argc, char **argv);
int ctl_purchase_add(ctl_t *ctl, int argc, char **argv);
int ctl_lead_import(ctl_t *ctl, int argc, char **argv);
int ctl_customer_phone(ctl_t *ctl, int argc, char **argv);
int ctl_customer_merge(ctl_t *ctl, int argc, char **argv);
int ctl_customer_opt_out(ctl_t *ctl, int argc, char **argv);
int ctl_customer_dnd(ctl_t *ctl, int argc, char **argv);
int ctl_customer_card(ctl_t *ctl, int argc, char **argv);
int ctl_audit(ctl_t *ctl, int argc, char **argv);

int ctl_worklist(ctl_t *ctl, int argc, char **argv);
int ctl_task_next(ctl_t *ctl, int argc, char **argv);
int ctl_task_show(ctl_t *ctl, int argc, char **argv);
int ctl_task_release(ctl_t *ctl, int argc, char **argv);
int ctl_task_skip(ctl_t *ctl, int argc, char **argv);
int ctl_call_log(ctl_t *ctl, int argc, char **argv);
int ctl_plan_list(ctl_t *ctl, int argc, char **argv);
int ctl_plan_show(ctl_t *ctl, int argc, char **argv);
int ctl_queue_stats(ctl_t *ctl, int argc, char **argv);
int ctl_queue_rebuild(ctl_t *ctl, int argc, char **argv);
/* Prints one plan template (its steps as a table, or JSON). */
void ctl_print_plan(ctl_t *ctl, const Huifang__V1__PlanTemplate *tpl);
int ctl_plan_add(ctl_t *ctl, int argc, char **argv);
int ctl_plan_step(ctl_t *ctl, int argc, char **argv);
int ctl_agent_absent(ctl_t *ctl, int argc, char **argv);
int ctl_supervisor_alerts(ctl_t *ctl, int argc, char **argv);
int ctl_supervisor_ack(ctl_t *ctl, int argc, char **argv);

int ctl_ping(ctl_t *ctl, int argc, char **argv);
/* `huifang keys gen --dir DIR [--force] NAME...`: a CURVE keypair per name (hf_keys). */
int ctl_keys_gen(ctl_t *ctl, int argc, char **argv);
int ctl_events_tail(ctl_t *ctl, int argc, char **argv);
int ctl_events_export(ctl_t *ctl, int argc, char **argv);

/* ctl_report.c: the reports and the attribution settings */
int ctl_report(ctl_t *ctl, int argc, char **argv);
int ctl_attribution_show(ctl_t *ctl, int argc, char **argv);
int ctl_attribution_terminal(ctl_t *ctl, int argc, char **argv);
int ctl_attribution_unmap(ctl_t *ctl, int argc, char **argv);
int ctl_attribution_rate(ctl_t *ctl, int argc, char **argv);
int ctl_clock_show(ctl_t *ctl, int argc, char **argv);
int ctl_clock_set(ctl_t *ctl, int argc, char **argv);
int ctl_clock_advance(ctl_t *ctl, int argc, char **argv);

#endif
