/* hf_store: the Postgres record store. One connection per service instance, with reconnect,
 * transactions, parameterised statements only, and numbered migrations applied under an
 * advisory lock. Every statement runs with search_path set to the service's own schema. */
#ifndef HF_STORE_H
#define HF_STORE_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

/* One numbered migration; arrays end with {0, NULL, NULL}. Generated from sql/NNN_*.sql. */
typedef struct {
    int version;
    const char *name;
    const char *sql;
} hf_migration_t;

typedef struct hf_store_t hf_store_t;

/* Creates a store for conninfo (a postgresql:// URL or key=value string) and schema; does
 * not connect yet. Never returns NULL. */
hf_store_t *hf_store_new(const char *conninfo, const char *schema);
/* Closes the connection and frees the store; idempotent, sets *self_p to NULL. */
void hf_store_destroy(hf_store_t **self_p);
/* Connects (or reconnects), creating the schema if needed and setting search_path.
 * Returns 0, or -1 with the reason in hf_store_error(). */
int hf_store_connect(hf_store_t *self);
/* Keeps trying hf_store_connect() for up to wait_ms; returns 0 or -1. */
int hf_store_connect_wait(hf_store_t *self, int wait_ms);
/* Sets the password sent when connecting (a HUIFANG_*_STORE_PASSWORD setting), overriding one
 * in the conninfo; NULL or "" sends none (libpq may then use PGPASSFILE). */
void hf_store_set_password(hf_store_t *self, const char *password);
/* True when the last connect failed because the store refused the role or its password
 * (hf_store_connect_wait then gives up at once: waiting would not help). */
bool hf_store_refused(const hf_store_t *self);
/* How many connections were made so far (each one after the first is a reconnect). */
long hf_store_connects(const hf_store_t *self);
/* Round trips to Postgres so far (a statement, a pipeline of them, a PREPARE each count one)
 * and statements sent (each of a pipeline counts, BEGIN and COMMIT too; what connecting
 * sends does not): what a command costs is the difference across it. */
uint64_t hf_store_round_trips(const hf_store_t *self);
uint64_t hf_store_statements(const hf_store_t *self);
/* True when the last failure was a lost or refused connection (retry later). */
bool hf_store_unavailable(const hf_store_t *self);
/* The last error message ("" when none); owned by the store. */
const char *hf_store_error(const hf_store_t *self);
/* The SQLSTATE of the last failed statement ("" when none), e.g. "23505". */
const char *hf_store_sqlstate(const hf_store_t *self);
/* The connection, for code that needs libpq directly (COPY); owned by the store. */
PGconn *hf_store_conn(hf_store_t *self);

/* Runs sql with text parameters (NULL entries are SQL NULL). Returns the result (caller
 * PQclear()s it) when the statement succeeded, or NULL with the error kept on the store.
 * Outside a transaction a lost connection is re-established and the statement retried once. */
PGresult *hf_store_exec(hf_store_t *self, const char *sql, int nparams, const char *const *params);
/* hf_store_exec() with libpq's full parameter form: lengths and formats (1 = binary, for
 * bytea) may be NULL; result_format 1 asks for binary results. */
PGresult *hf_store_execv(hf_store_t *self, const char *sql, int n, const char *const *values,
                         const int *lengths, const int *formats, int result_format);
/* hf_store_exec() for a text never prepared, planned for its parameters at every execution:
 * for a statement whose plan must follow the table as it grows (a plan made while a table was
 * small, as in a rebuild, and cached would scan it whole until Postgres next analyzes it).
 * Every other text is prepared once a connection from its second run (see
 * hf_store_set_prepare). */
PGresult *hf_store_exec_unprepared(hf_store_t *self, const char *sql, int nparams,
                                   const char *const *params);
/* Like hf_store_exec() for statements whose rows are not needed; returns 0 or -1. */
int hf_store_run(hf_store_t *self, const char *sql, int nparams, const char *const *params);
/* Runs sql (possibly several statements, no parameters); returns 0 or -1. */
int hf_store_script(hf_store_t *self, const char *sql);
/* Runs one COPY ... FROM STDIN statement (no parameters) with data[0..len) as its whole
 * input, in the format the statement names (text unless it says otherwise): for many rows at
 * once it is cheaper for Postgres than INSERT ... SELECT FROM unnest(arrays). Inside a
 * transaction it is part of it. Returns the number of rows copied, or -1 with the error kept
 * (the transaction, if any, is then aborted). Never retried. */
int64_t hf_store_copy_in(hf_store_t *self, const char *sql, const char *data, size_t len);

/* A named query: one of a service's statements, kept with the others in its <svc>_sql.h so
 * that its SQL can be reviewed in one place. */
typedef struct {
    const char *name; /* unique among every query a connection runs: "<svc>_<what>" */
    const char *sql;
} hf_query_t;

/* Whether statements are prepared: on (the default), a named query is prepared the first
 * time it runs on a connection and executed by name after that (prepared again after a
 * reconnect); a text run with hf_store_exec() and the like (deferred ones too) is prepared
 * the second time it runs, under a name of its own ("hf_text_<n>"; only a statement that
 * reads or writes rows, of at most 4,096 bytes; 256 texts a store at most, the rest and
 * the ones run with hf_store_exec_unprepared() go unnamed). Off, every text is sent with
 * every execution, for a pooler in transaction mode that does not keep prepared statements
 * (PgBouncer before 1.21). The services set it from HUIFANG_PG_PREPARE. */
void hf_store_set_prepare(hf_store_t *self, bool on);
/* Runs a named query, as hf_store_exec() runs its SQL (same result, errors and retry). */
PGresult *hf_store_query(hf_store_t *self, const hf_query_t *q, int nparams,
                         const char *const *params);
/* hf_store_query() for statements whose rows are not needed; returns 0 or -1. */
int hf_store_query_run(hf_store_t *self, const hf_query_t *q, int nparams,
                       const char *const *params);

/* Runs n named queries in one round trip (libpq's pipeline mode), qs[i] with nparams[i]
 * parameters params[i]: 0 and res[i] each one's result (the caller PQclear()s them), or -1
 * with the first failure kept and nothing returned (inside a transaction it is then
 * aborted). For reads whose parameters do not depend on each other's answers. Not retried on
 * a lost link. */
int hf_store_query_all(hf_store_t *self, int n, const hf_query_t *const *qs, const int *nparams,
                       const char *const *const *params, PGresult **res);
/* BEGIN / COMMIT / ROLLBACK. Each returns 0 or -1; rollback never fails on a lost link. */
int hf_store_begin(hf_store_t *self);
int hf_store_commit(hf_store_t *self);
void hf_store_rollback(hf_store_t *self);
/* BEGIN and then sql, in one round trip (libpq's pipeline mode): sql's result (the caller
 * PQclear()s it), in the transaction begun; or NULL with the error kept, and then, when
 * hf_store_in_tx() says the transaction was begun, the caller rolls it back. */
PGresult *hf_store_begin_exec(hf_store_t *self, const char *sql, int nparams,
                              const char *const *params);
/* Keeps sql and its parameters (copies) to be sent with the transaction's COMMIT: hf_store_commit()
 * then sends every statement kept and the COMMIT in one round trip (libpq's pipeline mode), and
 * fails (rolled back) if any of them fails; hf_store_rollback() forgets them. For writes whose
 * answer is not needed (counters added to). Returns 0. */
int hf_store_defer(hf_store_t *self, const char *sql, int nparams, const char *const *params);
/* hf_store_defer() for a text never prepared (as hf_store_exec_unprepared()). */
int hf_store_defer_unprepared(hf_store_t *self, const char *sql, int nparams,
                              const char *const *params);
/* What runs as a transaction ends (hf_store_on_end): commit true before its COMMIT is sent
 * (its writes still part of the transaction; -1 fails the commit, rolled back), false after a
 * rollback. */
typedef int (*hf_store_end_fn)(hf_store_t *self, void *ctx, bool commit);
/* Sets the store's end hook (one a store; NULL: none). The services' framework keeps the
 * events a transaction emits and gives them their sequence numbers in it, last. */
void hf_store_on_end(hf_store_t *self, hf_store_end_fn fn, void *ctx);
/* Runs the end hook now, inside the open transaction (as a commit would first): for a
 * writer whose next rows must follow what it kept (hf_outbox). 0 or -1. */
int hf_store_flush(hf_store_t *self);
/* True between begin and commit/rollback. */
bool hf_store_in_tx(const hf_store_t *self);
/* The number of transactions begun on this store (hf_store_begin, hf_store_begin_exec), the
 * open one included: what one transaction wrote is told apart from the next's by it (a memo
 * of a table kept in memory, not to be filled from a transaction that wrote the table and may
 * still roll back). */
uint64_t hf_store_tx_serial(const hf_store_t *self);
/* Marks the open transaction (outside one: the store, at once) as one a watcher waits for:
 * hf_outbox's writers mark each transaction that adds events, and the service's relay reads
 * its outbox when hf_store_marked() has moved instead of after every turn of its loop. */
void hf_store_mark(hf_store_t *self);
/* How many marked transactions this store has sent to commit (or written outside one): a
 * commit that fails counts too (a link lost at the COMMIT leaves it unknown). */
uint64_t hf_store_marked(const hf_store_t *self);

/* Applies migrations not yet recorded in the schema's migrations table, each in its own
 * transaction, under an advisory lock so that concurrent instances apply each once. The
 * framework's own tables (outbox, consumer offsets, idempotency keys) come first. */
int hf_store_migrate(hf_store_t *self, const hf_migration_t *migrations);

/* Result helpers: the value at (row, col) as text ("" for NULL), as int64, as bool. */
const char *hf_pg_str(const PGresult *res, int row, int col);
int64_t hf_pg_int(const PGresult *res, int row, int col);
bool hf_pg_bool(const PGresult *res, int row, int col);
/* Formats an int64 as decimal text into buf (24 bytes) and returns buf, for parameters. */
const char *hf_pg_i64(char *buf, int64_t v);
/* The bytes a bigint[]'s text form of n values needs at most ("{1,2,3}": 20 digits and a
 * comma a value, the braces and the terminator). */
#define HF_PG_I64_ARRAY_LEN(n) (3 + (size_t)(n)*21)
/* Formats v[0..n) as a bigint[]'s text form ("{1,2,3}", "{}") into out, of at least
 * HF_PG_I64_ARRAY_LEN(n) bytes, and returns out, for parameters. */
const char *hf_pg_i64_array(char *out, const int64_t *v, size_t n);
/* bytes as bytea's text form ("\\x" and two hex digits a byte), for a text parameter (such as
 * hf_store_defer's); malloc'd, NULL when out of memory. */
char *hf_pg_bytea_text(const void *bytes, size_t len);

#endif
