/* hf_service: the shape every service shares. It loads configuration, connects and migrates
 * the store, binds one ROUTER for commands and one PUB for events, relays the outbox in
 * sequence order with a heartbeat carrying the last sequence, consumes other producers'
 * events exactly once (with gap detection and replay), runs timers, and stops cleanly on
 * SIGTERM. One thread, one zmq_poll loop whose timeout is the next timer deadline.
 *
 * Every command runs in one Postgres transaction: the handler's writes and the events it
 * emits commit together or not at all; a request with an idempotency key that was already
 * answered gets the stored reply again with no second effect.
 *
 * Read your own writes across services: the reply of a command that emitted events carries
 * the place of the last one (Reply.written: producer, sequence, the stream's epoch). A
 * request may carry such places (Request.after); a service that consumes that producer holds
 * the request, without holding up its loop, until its copy has applied the event, and
 * answers UNAVAILABLE when that takes longer than read_wait_ms.
 *
 * Metrics and health: every service serves /metrics (Prometheus text), /healthz and /readyz
 * over HTTP on metrics_bind (HUIFANG_<SERVICE>_METRICS_BIND, command port + 8), from a
 * libmicrohttpd thread reading what the loop counts (hf_metrics.h; the rules in the top
 * README's Operations). A service adds its own series to hf_service_metrics(). A consumer's
 * lag (huifang_consumer_lag_events / _seconds) is learnt out of band as well as from the
 * heartbeats: at most every second it pings the producer (no waiting: a DEALER of its own)
 * for its last committed sequence, so a consumer whose unread events hold the heartbeats
 * back still knows how far behind it is; behind for a second or more it logs consumer_behind
 * (producer, events, seconds; again every 10 s), back to 0 consumer_caught_up. */
#ifndef HF_SERVICE_H
#define HF_SERVICE_H
#include "hf_arena.h"
#include "hf_bus.h"
#include "hf_config.h"
#include "hf_metrics.h"
#include "hf_session.h"
#include "hf_store.h"
#include "hf_wire.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hf_service_t hf_service_t;

/* A command handler. Runs inside a transaction on hf_service_store(svc); fills rep (memory
 * from arena) and returns rep's status: HF_OK commits, anything else rolls back. */
typedef int (*hf_command_fn)(hf_service_t *svc, void *self, const hf_request_t *req,
                             hf_reply_t *rep, hf_arena_t *arena);

/* A command of a service's table. The framework refuses a request before the handler runs
 * when its session is missing, expired, tampered or revoked (UNAUTHENTICATED), when the
 * person's role is not in roles, when the person is hq and the command writes, or when the
 * request's branch is not one of the person's (FORBIDDEN). A handler sees the request's
 * actor and branch as the session says: the client's word is overwritten. */
typedef struct {
    int command; /* HUIFANG__V1__REQUEST__COMMAND_* */
    hf_command_fn fn;
    bool writes;    /* true: idempotency key honoured, reply stored */
    unsigned roles; /* HF_ROLE_* bits (hf_session.h) that may run it */
} hf_command_t;

/* A command's answer before its transaction, where one can be given from reads alone (an
 * agent's empty ask): fn runs after the session's checks, outside any transaction, with no
 * idempotency row claimed (hf_service_request_key names the key; a check must not answer
 * for a key that holds a stored reply). It returns HF_OK to run the command as usual (rep
 * untouched), or a failure with rep filled: that reply is sent, nothing written. A check of
 * a command that does not write may answer it in full too: HF_OK with rep's result set is
 * sent as the command's reply (masked for hq as a command's is), its audit row written by
 * the check itself (hf_service_audit_params) in the round trip of its reads. */
typedef struct {
    int command; /* HUIFANG__V1__REQUEST__COMMAND_* */
    hf_command_fn fn;
} hf_command_check_t;

/* A peer ask a command makes before it runs (hf_command_ask_t): fills q, the request to send
 * to the peer, from req as the session's checks left it (q's memory from arena or req: the
 * framework keeps a copy of q); it goes as the same person (the framework applies
 * hf_service_forward). Returns 1 to ask, 0 to ask nothing (the
 * handler runs at once and asks for itself, if it needs to). */
typedef int (*hf_ask_fn)(hf_service_t *svc, void *self, const hf_request_t *req, hf_request_t *q,
                         hf_arena_t *arena);

/* A command whose handler needs an answer of another service (calllog's call_log: the task,
 * from the scheduler) without holding the loop while it waits: once the request passed the
 * session's checks, the framework sends the ask on a free client of a small pool for peer
 * (HF_ASK_POOL at once; a request finding none free waits, parked, for one), holds the
 * request, serves others meanwhile, and runs the command when the answer comes, or when the
 * peer did not answer after peer_timeout_ms a try (two tries, as hf_client_call makes); the
 * handler reads what came with hf_service_asked(). The ask goes before the handler has looked
 * at anything, the idempotency key included: a retry of a command answered before asks too,
 * unless this instance remembers storing that key's reply (its last HF_ASK_KEYS keys). */
typedef struct {
    int command;      /* HUIFANG__V1__REQUEST__COMMAND_* */
    const char *peer; /* "scheduler": the service asked */
    hf_ask_fn fn;
} hf_command_ask_t;

/* An event handler, run inside the transaction that also records the producer's sequence.
 * Returns 0 (applied), -1 (transient failure: rolled back, retried later) or -2 (the event
 * cannot be applied: logged to the dead-letter table and skipped). */
typedef int (*hf_event_fn)(hf_service_t *svc, void *self, const hf_envelope_t *env,
                           hf_arena_t *arena);

typedef struct {
    int payload; /* HUIFANG__V1__ENVELOPE__PAYLOAD_* */
    hf_event_fn fn;
} hf_event_handler_t;

/* A timer callback; runs outside any transaction. Returns 0; 1 when it stopped with work
 * left (it runs again as soon as the loop has served what is waiting, not an interval
 * later); or -1 after logging. */
typedef int (*hf_timer_fn)(hf_service_t *svc, void *self);

/* The configuration entries every service has (store, redis, endpoints, clock, log). */
extern const hf_config_entry_t hf_service_config[];

/* One producer whose events a service consumes, and its handlers (ends with {0, NULL}). */
typedef struct {
    const char *producer; /* "intake" */
    const hf_event_handler_t *handlers;
} hf_subscription_t;

/* A timer: fn runs every <the integer setting named interval> milliseconds. */
typedef struct {
    const char *interval; /* a setting of the service, e.g. "tick_ms" */
    hf_timer_fn fn;
} hf_service_timer_t;

/* Describes a service before it runs. The fields after commands are what hf_service_main()
 * does around the loop; a service without an object, subscriptions or timers leaves them 0. */
typedef struct {
    const char *name;                /* "intake": schema, producer and topic prefix */
    const char *summary;             /* one line for --help */
    const hf_config_entry_t *config; /* the service's own settings, or NULL */
    const hf_migration_t *migrations;
    const hf_command_t *commands;     /* ends with {0, NULL, false} */
    const hf_command_check_t *checks; /* ends with {0, NULL}; NULL for none */
    const hf_command_ask_t *asks;     /* ends with {0, NULL, NULL}; NULL for none */
    /* commands (HUIFANG__V1__REQUEST__COMMAND_*, ends with 0; NULL for none) whose handler
     * claims the request's idempotency key itself, in its first statement, instead of the
     * framework's statement before it runs (hf_service_key_claimed, hf_service_claim_key) */
    const int *claims_key;
    /* the service's own object, handed to every handler and timer as self: self_size zeroed
     * bytes, filled by init (after the service is made, before it subscribes; 0 or -1 after
     * logging) and emptied by release (after the service is destroyed) */
    size_t self_size;
    int (*init)(hf_service_t *svc, void *self);
    void (*release)(void *self);
    const hf_subscription_t *subscriptions; /* ends with {NULL, NULL}; NULL for none */
    /* a string setting naming which of the subscriptions' producers to consume ("a,b", or
     * "none"); NULL: all of them */
    const char *consume;
    const hf_service_timer_t *timers; /* ends with {NULL, NULL}; NULL for none */
    /* glibc's M_TRIM_THRESHOLD and M_MMAP_THRESHOLD (bytes) for a service whose requests
     * allocate and free megabytes; 0 keeps the library's default */
    int malloc_trim_threshold;
    int malloc_mmap_threshold;
} hf_service_def_t;

/* Loads configuration from argv/environment, sets up logging and the clock, connects and
 * migrates the store, binds the sockets. Returns 0 and *out; 1 after --help; -1 after a
 * clear message on stderr (bad configuration, store unreachable, address in use). */
int hf_service_new(hf_service_t **out, const hf_service_def_t *def, void *self, int argc,
                   char **argv);
/* Closes everything in reverse order; idempotent, sets *self_p to NULL. */
void hf_service_destroy(hf_service_t **self_p);
/* Called by a consumer around each transaction that applies a batch of events (or one):
 * with commit true inside it, after the handlers and before it commits (a handler may keep
 * what it adds up in memory and write it once here; 0, or -1 to roll the batch back and try
 * it again later); with commit false after it was rolled back (forget what was kept). */
typedef int (*hf_batch_fn)(hf_service_t *svc, void *self, bool commit);
/* Sets the batch hook (NULL: none). Call before hf_service_run(). */
void hf_service_on_batch(hf_service_t *svc, hf_batch_fn fn);
/* For a handler that holds its event to apply it with later ones (returning 0) and learns
 * only later — in a later event's handler, or in the batch hook — that it fails as its handler
 * would have (-1: an event it needs is on its way): names that event by its sequence, before
 * that handler or the hook returns -1. The batch is rolled back, the events before the named
 * one are applied again and committed, and it goes on its own, its failures counted as its
 * handler's (then the dead letters), as when its handler fails at once. */
void hf_service_event_failed(hf_service_t *svc, uint64_t seq);
/* Consumes every event of producer ("intake") through handlers (ends with {0, NULL}); events
 * without a handler only advance the sequence. Call before hf_service_run(). */
int hf_service_subscribe(hf_service_t *svc, const char *producer,
                         const hf_event_handler_t *handlers);
/* The last sequence of producer's stream this instance knows to be applied — by itself, or by
 * another instance of the service, learnt from the stored sequence — or 0 when it does not
 * consume producer. It moves only after what the events wrote is committed: a copy kept in
 * memory of what producer's events write (read from the store while it had one value) is
 * current while it keeps that value. */
uint64_t hf_service_applied(hf_service_t *svc, const char *producer);
/* Runs fn every interval_ms (real time) while the service runs. Each round completed counts in
 * huifang_timer_rounds_total{timer="<name>"} (timers of one name share the series): ops see a
 * timer that stopped, and a test that moved the manual clock waits for rounds that began
 * after the move instead of for a quiet stretch. */
int hf_service_every(hf_service_t *svc, const char *name, int interval_ms, hf_timer_fn fn);
/* Subscribes svc to def's subscriptions (those its consume setting names) and starts def's
 * timers. Returns 0, or -1 after a message on stderr. */
int hf_service_attach(hf_service_t *svc, const hf_service_def_t *def);
/* The whole life of a service process, the body of every main(): applies def's malloc
 * settings, makes the service (hf_service_new), its object (init), subscribes and starts
 * timers (hf_service_attach), runs the loop, then destroys the service and releases the
 * object. Returns the process's exit status: 0 after a clean stop or --help, 1 when the
 * service could not start. */
int hf_service_main(const hf_service_def_t *def, int argc, char **argv);
/* Runs the loop until SIGTERM/SIGINT or hf_service_stop(); returns 0. */
int hf_service_run(hf_service_t *svc);
/* Asks the loop to stop after the current message. */
void hf_service_stop(hf_service_t *svc);

/* Emits env (payload set by the caller) inside the current transaction: branch and
 * correlation id default to the current request's. Returns 0 or -1. */
int hf_service_emit(hf_service_t *svc, hf_envelope_t *env);
/* Tells the service that the current command appended events to its outbox by another path
 * than hf_service_emit() (hf_outbox_copy_many), the last with sequence seq, so that its
 * reply says where they are (Reply.written). Outside a command it does nothing. */
void hf_service_emitted(hf_service_t *svc, uint64_t seq);
/* ---- the audit trail (PIPL Art. 54) ----
 * Every command that reads or changes a customer's personal data calls hf_service_audit()
 * once: one row in audit.access, inside the command's transaction, naming who (the request's
 * actor, and the role and on-behalf-of the session gave), when, the branch, this service, the
 * command and which customers. A failed insert fails the command: the framework then rolls
 * back whatever the handler did, even if the handler ignored the -1. audit.access is made by
 * the deploy bootstrap (restricted grants); hf_service_new() creates it when it is missing
 * (stacks and tests connecting as a superuser). */

/* Records that the current command read or changed customers[0..n) (n may be 0: the command
 * touched personal data but no customer matched). Returns 0, or -1 with the error kept on
 * the store and the command marked to fail. Outside a command it does nothing and returns 0. */
int hf_service_audit(hf_service_t *svc, const int64_t *customers, size_t n);
/* The values of the row hf_service_audit() writes for customers[0..n), in the order of its
 * columns — actor, on_behalf_of, role, branch, service, command, customers (as a bigint[]'s
 * text, written into ids: HF_PG_I64_ARRAY_LEN(n) bytes), request_id —, for a handler that writes
 * the row itself in a statement of its own (INSERT INTO audit.access (actor, on_behalf_of, role,
 * branch, service, command, customers, request_id) VALUES (..., $7::bigint[], $8), as a CTE:
 * a statement less); the strings live as long as the request. 0, or -1 outside a command or
 * with ids too small. */
int hf_service_audit_values(hf_service_t *svc, const int64_t *customers, size_t n, char *ids,
                            size_t idslen, const char *values[8]);
/* The audit row of a read answered outside a transaction in one round trip (a check,
 * hf_command_check_t): a statement of the service's own, HF_AUDIT_INSERT_SELECT followed by
 * the customers (a bigint[]) and the FROM ... WHERE ... that finds them, sent with the reads
 * (hf_store_query_all: one implicit transaction), with the row's values but its customers as
 * its parameters $1..$7 (actor, on_behalf_of, role, branch, service, command, request_id),
 * which hf_service_audit_params() fills into p. It returns true, or false outside a command
 * (nothing to audit, as hf_service_audit does nothing then). The strings live while the
 * command runs. */
#define HF_AUDIT_NPARAMS 7
#define HF_AUDIT_INSERT_SELECT                                                                     \
    "INSERT INTO audit.access (actor, on_behalf_of, role, branch, service, command,"               \
    " request_id, customers) SELECT $1, $2, $3, $4, $5, $6, $7, "
bool hf_service_audit_params(const hf_service_t *svc, const char *p[HF_AUDIT_NPARAMS]);
/* Sets the role and the "on behalf of" person recorded in the audit rows of the current
 * request (both "" by default, reset before every request); the strings must outlive the
 * request. NULL leaves a value "". */
void hf_service_set_identity(hf_service_t *svc, const char *role, const char *on_behalf_of);
/* Creates audit.access (with its indexes and the trigger refusing UPDATE and DELETE) when it
 * does not exist yet; does nothing, and needs no CREATE privilege, when it does. 0 or -1. */
int hf_audit_ensure(hf_store_t *store);

/* The service's store (inside a handler: in the handler's transaction). */
hf_store_t *hf_service_store(hf_service_t *svc);
/* The service's configuration. */
const hf_config_t *hf_service_config_of(hf_service_t *svc);
/* The service's name. */
const char *hf_service_name(const hf_service_t *svc);
/* The verified session of the command running now, or NULL (checks off, or a command that
 * needs none). */
const Huifang__V1__SessionClaims *hf_service_session(const hf_service_t *svc);
/* The role of the person running the current command ("manager"), "" when there is none. */
const char *hf_service_role(const hf_service_t *svc);
/* Inside a command (intake, which owns the accounts): voids sessions as r says, here at
 * once and, through the table session_revoked, after a restart; the caller emits r as the
 * person_revoked event for every other service. Returns 0 or -1 (store error). */
int hf_service_revoke(hf_service_t *svc, const Huifang__V1__PersonRevoked *r);
/* Verifies a session token outside the command's own check (a login that acts for someone
 * else checks the admin's session itself). Returns the claims (valid until the next check)
 * or NULL with *why set; NULL with HF_SESSION_OK when sessions are off. */
const Huifang__V1__SessionClaims *hf_service_verify(hf_service_t *svc, const char *token,
                                                    hf_session_status_t *why);
/* Inside a command: commit what it wrote even though it answers a failure (a wrong
 * password counts toward the lock-out). */
void hf_service_commit_anyway(hf_service_t *svc);
/* The running command's idempotency key as stored ("actor/command/key"), or NULL when it has
 * none or does not write. */
const char *hf_service_request_key(const hf_service_t *svc);
/* For a command of the service's claims_key, whose handler claims its idempotency key itself
 * (the row the framework would insert: idempotency (key, command) = hf_service_request_key()
 * and hf_request_command_name(), by INSERT ... ON CONFLICT (key) DO NOTHING) in its first
 * statement, before anything else it does could answer or change anything: tells the
 * framework what the claim found. fresh: the row was added (or there is no key); false: the
 * key was answered before, and the handler returns at once (its status and reply are not
 * used): the framework rolls back and sends the stored reply, as it would have. A handler of
 * such a command that answers HF_OK without claiming fails (INTERNAL, rolled back). */
void hf_service_key_claimed(hf_service_t *svc, bool fresh);
/* Inside a command: the handler reserved n sequence numbers of the service's own stream in a
 * statement of its own, last the last of them — the counter row moved as hf_outbox_reserve()
 * moves it (producer hf_service_name(), by n; the row then stays locked to the commit) —, so
 * that the events it emits take them at the commit instead of a statement (a round trip) of
 * the framework's there. More events than reserved take the next numbers, fewer give the rest
 * back, each with a statement then: the numbers stay gap-free and in commit order whatever
 * was emitted. Forgotten when the transaction ends. */
void hf_service_events_reserved(hf_service_t *svc, int n, int64_t last);
/* The same claim made with the framework's own statement, for a handler's path that has no
 * statement of its own to fold it into: 0 (claimed, or no key), 1 (answered before: return at
 * once, as above) or -1 (a store error: return HF_UNAVAILABLE). */
int hf_service_claim_key(hf_service_t *svc);
/* Inside a command: a request q to another service goes as the same person (the session of
 * the command running now), and is awaited no longer than the command's own sender waits for
 * its answer (q's Request.answer_by_ms made the command's when that is earlier). */
void hf_service_forward(const hf_service_t *svc, hf_request_t *q);
/* Prints the service's command x role table (markdown rows) to stdout: `--roles`. */
void hf_service_print_roles(const hf_service_def_t *def);
/* The principal that sent the request being handled, as the ZAP handler named its CURVE key
 * ("svc:intake", "client:cli", "client:gateway"); "" outside a request or when CURVE is off
 * (HUIFANG_CURVE=off). Valid until the handler returns. */
const char *hf_service_caller(const hf_service_t *svc);
/* The service's metrics registry (hf_metrics.h): a service adds its own series there (the
 * scheduler's claims); NULL before hf_service_new() made it. */
hf_metrics_t *hf_service_metrics(hf_service_t *svc);
/* The labels every series of this service carries: service="intake". */
const char *hf_service_metric_labels(const hf_service_t *svc);
/* A client for peer service name's command endpoint (owned by the service, created on
 * first use). */
hf_client_t *hf_service_peer(hf_service_t *svc, const char *name);

/* Inside a command of def->asks: what its ask of the peer came to. 1 and *reply (owned by
 * the framework, valid while the command runs) when the peer answered (whatever its status);
 * 0 when it was asked and did not answer (the handler answers UNAVAILABLE, as for a failed
 * hf_client_call); -1 when nothing was asked for this request (its ask fn said so, the
 * service held as many requests as it may, or a test drives the handler directly): the
 * handler asks for itself. */
int hf_service_asked(const hf_service_t *svc, const hf_reply_t **reply);

/* Peer endpoints from the environment: HUIFANG_<NAME>_ENDPOINT (commands) and
 * HUIFANG_<NAME>_EVENTS (events), defaulting to tcp://127.0.0.1:<port_base + offset>. */
const char *hf_endpoint_commands(const char *service, char *out, int outlen);
/* HUIFANG_<NAME>_ENDPOINT may be a comma-separated list of the command endpoints of a peer's
 * instances (the scheduler scaled out): hf_endpoint_commands gives its first, for what talks to
 * one instance; the asks of def->asks spread over them all. */
#define HF_ENDPOINT_LEN 256
#define HF_PEER_ENDPOINTS 8
/* The endpoints of service's list into out (at most max): how many (>= 1; the default when
 * the variable is unset), or -1 with the reason, naming the variable, in err (an empty
 * element, more than max, one of HF_ENDPOINT_LEN characters or more). */
int hf_endpoint_commands_list(const char *service, char out[][HF_ENDPOINT_LEN], int max, char *err,
                              size_t errlen);
const char *hf_endpoint_events(const char *service, char *out, int outlen);

/* The longest path of an ipc:// endpoint: a Unix socket's sun_path (108 bytes on Linux)
 * less its NUL. */
#define HF_IPC_PATH_MAX 107

/* 0 when endpoint can be bound or connected to as far as its form goes; -1 for an ipc://
 * endpoint whose path is empty or longer than HF_IPC_PATH_MAX, with the reason in why
 * (whylen bytes; HF_ENDPOINT_WHY_LEN hold every reason) written to follow the endpoint
 * (" with no path", ": its path is ..."). Other transports are left to libzmq. */
#define HF_ENDPOINT_WHY_LEN 128
int hf_endpoint_check(const char *endpoint, char *why, int whylen);

#endif
