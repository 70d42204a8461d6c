/* hf_store: one libpq connection with reconnect, transactions and migrations. */
#include "hf_store.h"
#include "hf_clock.h"
#include "hf_log.h"
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* A statement of a pipeline (s_pipeline): its text and text parameters, or a named query
 * (prepared when preparing is on). */
typedef struct {
    const char *sql;
    int n;
    const char **params;
    const hf_query_t *q;
    const int *lengths, *formats; /* binary parameters, as PQexecParams takes them */
    int result_format;
} s_stmt_t;

/* The statement texts run without a name (hf_store_exec and the others taking SQL text) are
 * prepared too, each under a name of its own, so that Postgres parses and plans one only
 * the first times it runs on a connection rather than at every execution (parsing and
 * planning were ~a quarter of the services' Postgres CPU in the national day). A text is
 * named at its second run, so that one run once (a list of rows of a size seen once) costs
 * no PREPARE; at most S_TEXTS are named and S_TEXTS_SEEN remembered a store (a statement
 * built with a varying number of rows would otherwise grow the table without end), the ones
 * beyond go unnamed, as before, and so do the ones run with hf_store_exec_unprepared. The
 * table never grows: a slot's query stays where it is while the store lives. */
#define S_TEXTS 256       /* named at most */
#define S_TEXTS_SEEN 1024 /* remembered at most */
#define S_TEXT_SLOTS 2048 /* a power of two, twice S_TEXTS_SEEN */
#define S_TEXT_MAX 4096   /* longer texts (built lists of rows) go unnamed */

/* Every session's settings, after its search_path. UTC: times are epoch milliseconds and
 * local days are computed from the tz database, never by the server's zone. jit off: the
 * statements are short lookups and writes of a few rows, and a plan's cost estimate over
 * the threshold (jit_above_cost) had Postgres compile one to machine code at every run —
 * the scheduler's hourly look for unvisited members took ~380 ms of compiling for 0.06 ms
 * of work at 100,000 customers (the national day's auto_explain, issue 14). deploy/sql/
 * roles.sql gives the service roles the same defaults, for a pooler's server connections. */
#define S_SESSION_SETS "SET TIME ZONE 'UTC'; SET jit = off"

typedef struct {
    char *text; /* NULL: an empty slot */
    uint64_t hash;
    char name[24]; /* "hf_text_<n>", once named (its second run) */
    hf_query_t q;  /* name and text, as a named query */
} s_text_t;

/* The marker of a text run unprepared on purpose (hf_store_exec_unprepared,
 * hf_store_defer_unprepared): planned for its parameters at every execution. */
static const hf_query_t s_unprepared = {NULL, NULL};

struct hf_store_t {
    char *conninfo;
    char *password; /* overrides the conninfo's password when set */
    char *schema;
    PGconn *conn;
    bool in_tx;
    bool begin_pending; /* begun, BEGIN not sent yet: it goes with the first statement */
    uint64_t tx_serial; /* transactions begun (hf_store_tx_serial) */
    bool mark_pending;  /* the open transaction is marked (hf_store_mark) */
    uint64_t marked;    /* hf_store_marked */
    bool unavailable;
    bool refused;  /* the last connect was refused for the role or its password */
    long connects; /* connections made (a second one is a reconnect) */
    /* hf_store_round_trips, hf_store_statements: what was sent, connecting left out */
    uint64_t round_trips, statements;
    char error[512];
    char sqlstate[8];
    bool prepare;    /* named queries and texts are prepared (hf_store_set_prepare) */
    char **prepared; /* the names prepared on this connection: an open-addressing set */
    size_t nprepared, prepared_cap;
    s_text_t *texts; /* S_TEXT_SLOTS slots, allocated at the first text; kept across connections */
    int ntexts, nseen;  /* texts named, texts remembered */
    s_stmt_t *deferred; /* statements sent with the next commit (hf_store_defer) */
    int ndeferred, deferred_cap;
    hf_store_end_fn end_fn; /* hf_store_on_end */
    void *end_ctx;
    bool flushing; /* end_fn is running (hf_store_flush) */
};

hf_store_t *hf_store_new(const char *conninfo, const char *schema)
{
    hf_store_t *self = calloc(1, sizeof *self);
    if (self == NULL)
        abort();
    self->conninfo = strdup(conninfo);
    self->schema = strdup(schema);
    self->prepare = true;
    return self;
}

/* Forgets the statements deferred to the next commit. */
static void s_deferred_drop(hf_store_t *self)
{
    for (int i = 0; i < self->ndeferred; i++) {
        for (int k = 0; k < self->deferred[i].n; k++)
            free((char *)self->deferred[i].params[k]);
        free(self->deferred[i].params);
        free((char *)self->deferred[i].sql);
    }
    self->ndeferred = 0;
}

void hf_store_destroy(hf_store_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    hf_store_t *self = *self_p;
    if (self->conn)
        PQfinish(self->conn);
    free(self->conninfo);
    if (self->password) {
        memset(self->password, 0, strlen(self->password));
        free(self->password);
    }
    free(self->schema);
    for (size_t i = 0; i < self->prepared_cap; i++)
        free(self->prepared[i]);
    free(self->prepared);
    for (int i = 0; self->texts && i < S_TEXT_SLOTS; i++)
        free(self->texts[i].text);
    free(self->texts);
    s_deferred_drop(self);
    free(self->deferred);
    free(self);
    *self_p = NULL;
}

void hf_store_set_password(hf_store_t *self, const char *password)
{
    free(self->password);
    self->password = password && *password ? strdup(password) : NULL;
}

bool hf_store_refused(const hf_store_t *self)
{
    return self->refused;
}

/* True when a connect failure cannot heal by waiting: a wrong password, an unknown role, a
 * missing password or a pg_hba.conf that lets this role nowhere. */
static bool s_auth_refused(const char *msg)
{
    return strstr(msg, "password authentication failed") || strstr(msg, "no password supplied") ||
           strstr(msg, "no pg_hba.conf entry") ||
           (strstr(msg, "role \"") && strstr(msg, "does not exist")) ||
           strstr(msg, "permission denied for database");
}

const char *hf_store_error(const hf_store_t *self)
{
    return self->error;
}

const char *hf_store_sqlstate(const hf_store_t *self)
{
    return self->sqlstate;
}

long hf_store_connects(const hf_store_t *self)
{
    return self->connects;
}

uint64_t hf_store_round_trips(const hf_store_t *self)
{
    return self->round_trips;
}

uint64_t hf_store_statements(const hf_store_t *self)
{
    return self->statements;
}

bool hf_store_unavailable(const hf_store_t *self)
{
    return self->unavailable;
}

PGconn *hf_store_conn(hf_store_t *self)
{
    return self->conn;
}

bool hf_store_in_tx(const hf_store_t *self)
{
    return self->in_tx;
}

uint64_t hf_store_tx_serial(const hf_store_t *self)
{
    return self->tx_serial;
}

void hf_store_mark(hf_store_t *self)
{
    if (self->in_tx)
        self->mark_pending = true;
    else
        self->marked++;
}

uint64_t hf_store_marked(const hf_store_t *self)
{
    return self->marked;
}

/* Keeps libpq's message without its trailing newline. */
static void s_set_error(hf_store_t *self, const char *what, const char *msg)
{
    char clean[400];
    snprintf(clean, sizeof clean, "%s", msg ? msg : "");
    size_t n = strlen(clean);
    while (n > 0 && (clean[n - 1] == '\n' || clean[n - 1] == ' '))
        clean[--n] = '\0';
    snprintf(self->error, sizeof self->error, "%s: %s", what, clean);
}

/* Quiets libpq's NOTICE messages ("schema already exists"); they are not errors. */
static void s_notice_ignore(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

int hf_store_connect(hf_store_t *self)
{
    if (self->conn) {
        PQfinish(self->conn);
        self->conn = NULL;
    }
    self->in_tx = false;
    self->begin_pending = false;
    s_deferred_drop(self);
    self->sqlstate[0] = '\0';
    /* a new connection has none of the old one's prepared statements */
    for (size_t i = 0; i < self->prepared_cap; i++) {
        free(self->prepared[i]);
        self->prepared[i] = NULL;
    }
    self->nprepared = 0;
    /* a short connect timeout so that a down store fails a request quickly */
    /* later keys override the URL's; the password is passed only when one was given */
    const char *keys[] = {"dbname", "connect_timeout", "application_name", "password", NULL};
    char app[64];
    snprintf(app, sizeof app, "huifang-%s", self->schema);
    const char *vals[] = {self->conninfo, "3", app, self->password, NULL};
    if (self->password == NULL)
        keys[3] = NULL;
    self->conn = PQconnectdbParams(keys, vals, 1);
    self->refused = false;
    if (self->conn == NULL || PQstatus(self->conn) != CONNECTION_OK) {
        s_set_error(self, "could not connect to the store",
                    self->conn ? PQerrorMessage(self->conn) : "out of memory");
        self->refused = self->conn && s_auth_refused(PQerrorMessage(self->conn));
        self->unavailable = true;
        if (self->conn) {
            PQfinish(self->conn);
            self->conn = NULL;
        }
        return -1;
    }
    PQsetNoticeProcessor(self->conn, s_notice_ignore, NULL);
    self->connects++;
    /* the schema name comes from code, not input; quote it anyway. A service role finds its
     * schema made for it (deploy/sql/database.sql) and may not create one: only a missing
     * schema is created (by a superuser, e.g. the integration tests). */
    char *ident = PQescapeIdentifier(self->conn, self->schema, strlen(self->schema));
    char sql[256];
    const char *name[] = {self->schema};
    PGresult *res = PQexecParams(self->conn, "SELECT 1 FROM pg_namespace WHERE nspname = $1", 1,
                                 NULL, name, NULL, NULL, 0);
    bool exists = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0;
    PQclear(res);
    if (exists)
        snprintf(sql, sizeof sql, "SET search_path TO %s; " S_SESSION_SETS, ident);
    else
        snprintf(sql, sizeof sql,
                 "CREATE SCHEMA IF NOT EXISTS %s; SET search_path TO %s; " S_SESSION_SETS, ident,
                 ident);
    PQfreemem(ident);
    res = PQexec(self->conn, sql);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK && !exists &&
        strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE) ? PQresultErrorField(res, PG_DIAG_SQLSTATE)
                                                         : "",
               "42501") == 0) {
        /* a role without CREATE on the database, and nobody made its schema */
        char why[400];
        snprintf(why, sizeof why,
                 "schema %s does not exist and this role may not create it (run "
                 "deploy/sql/database.sql as the superuser): %s",
                 self->schema, PQerrorMessage(self->conn));
        s_set_error(self, "could not prepare the session", why);
        PQclear(res);
        PQfinish(self->conn);
        self->conn = NULL;
        self->refused = true;
        self->unavailable = true;
        return -1;
    }
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        /* concurrent CREATE SCHEMA IF NOT EXISTS can race; setting the path is what matters */
        PQclear(res);
        ident = PQescapeIdentifier(self->conn, self->schema, strlen(self->schema));
        snprintf(sql, sizeof sql, "SET search_path TO %s; " S_SESSION_SETS, ident);
        PQfreemem(ident);
        res = PQexec(self->conn, sql);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            s_set_error(self, "could not prepare the session", PQerrorMessage(self->conn));
            rc = -1;
        }
    }
    PQclear(res);
    self->unavailable = rc != 0;
    return rc;
}

int hf_store_connect_wait(hf_store_t *self, int wait_ms)
{
    int64_t deadline = hf_clock_mono_ms() + wait_ms;
    for (;;) {
        if (hf_store_connect(self) == 0)
            return 0;
        if (self->refused || hf_clock_mono_ms() >= deadline)
            return -1;
        struct timespec pause = {0, 250 * 1000000L};
        nanosleep(&pause, NULL);
    }
}

/* Records a failed result's message and SQLSTATE; notes a lost connection. */
static void s_note_failure(hf_store_t *self, PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    snprintf(self->sqlstate, sizeof self->sqlstate, "%s", state ? state : "");
    s_set_error(self, "store error",
                res && PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res)
                                                    : PQerrorMessage(self->conn));
    /* class 08 is connection exception; 57P01..57P03 are admin shutdown / cannot connect */
    bool lost = PQstatus(self->conn) != CONNECTION_OK || strncmp(self->sqlstate, "08", 2) == 0 ||
                strncmp(self->sqlstate, "57P", 3) == 0;
    self->unavailable = lost;
}

void hf_store_set_prepare(hf_store_t *self, bool on)
{
    self->prepare = on;
}

static uint64_t s_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

/* The slot of name in the set of prepared names: its own, or the empty one it would take. */
static char **s_prepared_slot(hf_store_t *self, const char *name)
{
    size_t mask = self->prepared_cap - 1;
    for (size_t i = s_hash(name) & mask;; i = (i + 1) & mask)
        if (self->prepared[i] == NULL || strcmp(self->prepared[i], name) == 0)
            return &self->prepared[i];
}

/* Adds name to the set (grown to keep it at most half full). */
static void s_prepared_add(hf_store_t *self, const char *name)
{
    if (2 * (self->nprepared + 1) > self->prepared_cap) {
        char **old = self->prepared;
        size_t old_cap = self->prepared_cap;
        self->prepared_cap = old_cap ? 2 * old_cap : 128;
        self->prepared = calloc(self->prepared_cap, sizeof *self->prepared);
        if (self->prepared == NULL)
            abort();
        for (size_t i = 0; i < old_cap; i++)
            if (old[i])
                *s_prepared_slot(self, old[i]) = old[i];
        free(old);
    }
    char **slot = s_prepared_slot(self, name);
    if ((*slot = strdup(name)) == NULL)
        abort();
    self->nprepared++;
}

/* Prepares q on this connection unless it was; 0, or -1 with the failure noted. A prepared
 * statement outlives the transaction it was made in, even one that rolls back. */
static int s_prepare(hf_store_t *self, const hf_query_t *q)
{
    if (self->prepared_cap > 0 && *s_prepared_slot(self, q->name) != NULL)
        return 0;
    self->round_trips++;
    PGresult *res = PQprepare(self->conn, q->name, q->sql, 0, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        s_note_failure(self, res);
        PQclear(res);
        return -1;
    }
    PQclear(res);
    s_prepared_add(self, q->name);
    return 0;
}

/* Whether sql is a statement worth preparing: one that reads or writes rows (not BEGIN,
 * COMMIT, SET or a definition), of a bounded length. */
static bool s_text_preparable(const char *sql)
{
    static const char *const firsts[] = {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"};
    while (isspace((unsigned char)*sql) || *sql == '(')
        sql++;
    for (size_t i = 0; i < sizeof firsts / sizeof *firsts; i++) {
        size_t n = strlen(firsts[i]);
        if (strncasecmp(sql, firsts[i], n) == 0 && !isalnum((unsigned char)sql[n]) && sql[n] != '_')
            return strnlen(sql, S_TEXT_MAX + 1) <= S_TEXT_MAX;
    }
    return false;
}

/* The named query a statement text runs as when preparing is on: its slot's, named the second
 * time the text runs (a text run once, such as a list of rows of a size seen once, costs no
 * PREPARE and takes no name); NULL when it goes unnamed (preparing off, its first run, not a
 * statement worth preparing, or the table full). */
static const hf_query_t *s_text_query(hf_store_t *self, const char *sql)
{
    if (!self->prepare || sql == NULL)
        return NULL;
    if (self->texts == NULL && (self->texts = calloc(S_TEXT_SLOTS, sizeof *self->texts)) == NULL)
        abort();
    uint64_t h = s_hash(sql);
    for (size_t i = h & (S_TEXT_SLOTS - 1);; i = (i + 1) & (S_TEXT_SLOTS - 1)) {
        s_text_t *t = &self->texts[i];
        if (t->text == NULL) {
            /* the first run: remembered, unnamed */
            if (self->nseen < S_TEXTS_SEEN && s_text_preparable(sql)) {
                if ((t->text = strdup(sql)) == NULL)
                    abort();
                t->hash = h;
                self->nseen++;
            }
            return NULL;
        }
        if (t->hash != h || strcmp(t->text, sql) != 0)
            continue;
        if (t->q.name == NULL) {
            if (self->ntexts >= S_TEXTS)
                return NULL;
            snprintf(t->name, sizeof t->name, "hf_text_%d", self->ntexts++);
            t->q = (hf_query_t){t->name, t->text};
        }
        return &t->q;
    }
}

/* One try of sql, or of the named query q when q is given and preparing is on. */
static PGresult *s_exec_once(hf_store_t *self, const hf_query_t *q, const char *sql, int n,
                             const char *const *values, const int *lengths, const int *formats,
                             int result_format)
{
    PGresult *res;
    if (q == &s_unprepared)
        q = NULL;
    else if (q == NULL)
        q = s_text_query(self, sql);
    if (q != NULL && self->prepare && s_prepare(self, q) != 0)
        return NULL;
    self->round_trips++;
    self->statements++;
    if (q != NULL && self->prepare) {
        res = PQexecPrepared(self->conn, q->name, n, values, lengths, formats, result_format);
    } else {
        res = PQexecParams(self->conn, sql, n, NULL, values, lengths, formats, result_format);
    }
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        self->unavailable = false;
        self->sqlstate[0] = '\0';
        return res;
    }
    s_note_failure(self, res);
    PQclear(res);
    return NULL;
}

static int s_pipeline(hf_store_t *self, const s_stmt_t *stmts, int n, PGresult **last,
                      PGresult **each);

/* The first statement of a transaction begun (hf_store_begin): BEGIN and it in one round
 * trip. A link found broken before anything was sent or kept is connected again and the
 * two sent again (nothing had taken effect), as a BEGIN on its own would have been. */
static PGresult *s_exec_begin(hf_store_t *self, const s_stmt_t *stmt)
{
    for (int attempt = 0;; attempt++) {
        if ((self->conn == NULL || PQstatus(self->conn) != CONNECTION_OK) &&
            (self->ndeferred > 0 || hf_store_connect(self) != 0)) {
            if (self->ndeferred > 0) {
                snprintf(self->error, sizeof self->error, "store connection lost in a transaction");
                self->unavailable = true;
            }
            self->in_tx = true; /* the caller rolls back */
            return NULL;
        }
        self->in_tx = true;
        self->begin_pending = true;
        s_stmt_t stmts[] = {{"BEGIN", 0, NULL, NULL, NULL, NULL, 0}, *stmt};
        PGresult *res = NULL;
        int rc = s_pipeline(self, stmts, 2, &res, NULL);
        bool lost = rc != 0 && self->unavailable;
        if (!lost || attempt == 1 || self->ndeferred > 0) {
            /* begun (a failed statement leaves it aborted: the caller rolls back) */
            self->begin_pending = false;
            return rc == 0 ? res : NULL;
        }
        hf_warn("store_reconnect", "reason=\"%s\"", self->error);
        if (self->conn) {
            PQfinish(self->conn);
            self->conn = NULL;
        }
    }
}

/* The link, before a statement that does not begin a transaction: a broken one is connected
 * again outside a transaction; inside one it is an error (what was sent is lost). 0 or -1. */
static int s_ready(hf_store_t *self)
{
    if (self->conn != NULL && PQstatus(self->conn) == CONNECTION_OK)
        return 0;
    if (self->in_tx) {
        snprintf(self->error, sizeof self->error, "store connection lost in a transaction");
        self->unavailable = true;
        return -1;
    }
    return hf_store_connect(self);
}

/* Sends BEGIN now when it is still pending (for the statements that do not go through
 * s_exec). 0 or -1. */
static int s_begin_now(hf_store_t *self)
{
    if (!self->begin_pending)
        return 0;
    s_stmt_t stmt = {"SELECT 1", 0, NULL, NULL, NULL, NULL, 0};
    PGresult *res = s_exec_begin(self, &stmt);
    if (res == NULL)
        return -1;
    PQclear(res);
    return 0;
}

/* sql (or the named query q) with a reconnect outside a transaction. */
static PGresult *s_exec(hf_store_t *self, const hf_query_t *q, const char *sql, int n,
                        const char *const *values, const int *lengths, const int *formats,
                        int result_format)
{
    if (self->begin_pending) {
        s_stmt_t stmt = {sql, n, (const char **)values, q, lengths, formats, result_format};
        return s_exec_begin(self, &stmt);
    }
    if (s_ready(self) != 0)
        return NULL;
    PGresult *res = s_exec_once(self, q, sql, n, values, lengths, formats, result_format);
    if (res == NULL && self->unavailable && !self->in_tx) {
        /* outside a transaction the statement did not take effect or is safe to repeat: the
         * callers' writes all run inside transactions */
        hf_warn("store_reconnect", "reason=\"%s\"", self->error);
        if (hf_store_connect(self) == 0)
            res = s_exec_once(self, q, sql, n, values, lengths, formats, result_format);
    }
    return res;
}

PGresult *hf_store_execv(hf_store_t *self, const char *sql, int n, const char *const *values,
                         const int *lengths, const int *formats, int result_format)
{
    return s_exec(self, NULL, sql, n, values, lengths, formats, result_format);
}

PGresult *hf_store_query(hf_store_t *self, const hf_query_t *q, int nparams,
                         const char *const *params)
{
    return s_exec(self, q, q->sql, nparams, params, NULL, NULL, 0);
}

int hf_store_query_run(hf_store_t *self, const hf_query_t *q, int nparams,
                       const char *const *params)
{
    PGresult *res = hf_store_query(self, q, nparams, params);
    if (res == NULL)
        return -1;
    PQclear(res);
    return 0;
}

PGresult *hf_store_exec(hf_store_t *self, const char *sql, int nparams, const char *const *params)
{
    return hf_store_execv(self, sql, nparams, params, NULL, NULL, 0);
}

PGresult *hf_store_exec_unprepared(hf_store_t *self, const char *sql, int nparams,
                                   const char *const *params)
{
    return s_exec(self, &s_unprepared, sql, nparams, params, NULL, NULL, 0);
}

int hf_store_run(hf_store_t *self, const char *sql, int nparams, const char *const *params)
{
    PGresult *res = hf_store_exec(self, sql, nparams, params);
    if (res == NULL)
        return -1;
    PQclear(res);
    return 0;
}

int hf_store_script(hf_store_t *self, const char *sql)
{
    if (s_begin_now(self) != 0)
        return -1;
    if (self->conn == NULL || PQstatus(self->conn) != CONNECTION_OK) {
        if (self->in_tx || hf_store_connect(self) != 0)
            return -1;
    }
    self->round_trips++;
    self->statements++;
    PGresult *res = PQexec(self->conn, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        s_note_failure(self, res);
        PQclear(res);
        return -1;
    }
    PQclear(res);
    return 0;
}

int64_t hf_store_copy_in(hf_store_t *self, const char *sql, const char *data, size_t len)
{
    if (s_begin_now(self) != 0)
        return -1;
    if (s_ready(self) != 0)
        return -1;
    self->round_trips++;
    self->statements++;
    PGresult *res = PQexec(self->conn, sql);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        s_note_failure(self, res);
        PQclear(res);
        /* a statement that was not a COPY may have left results behind */
        while ((res = PQgetResult(self->conn)) != NULL)
            PQclear(res);
        return -1;
    }
    PQclear(res);
    /* in pieces: PQputCopyData takes an int length */
    const size_t piece = 1u << 20;
    int ok = 1;
    for (size_t at = 0; at < len && ok == 1; at += piece) {
        size_t n = len - at < piece ? len - at : piece;
        ok = PQputCopyData(self->conn, data + at, (int)n);
    }
    if (ok == 1)
        ok = PQputCopyEnd(self->conn, NULL);
    else
        PQputCopyEnd(self->conn, "the client could not send the data");
    int64_t rows = -1;
    res = PQgetResult(self->conn);
    if (ok == 1 && PQresultStatus(res) == PGRES_COMMAND_OK) {
        rows = strtoll(PQcmdTuples(res), NULL, 10);
        self->unavailable = false;
        self->sqlstate[0] = '\0';
    } else {
        s_note_failure(self, res);
    }
    PQclear(res);
    while ((res = PQgetResult(self->conn)) != NULL)
        PQclear(res);
    return rows;
}

int hf_store_begin(hf_store_t *self)
{
    if (self->in_tx) {
        snprintf(self->error, sizeof self->error, "programming error: nested transaction");
        return -1;
    }
    /* BEGIN goes with the transaction's first statement (s_exec_begin): a round trip less */
    if ((self->conn == NULL || PQstatus(self->conn) != CONNECTION_OK) &&
        hf_store_connect(self) != 0)
        return -1;
    self->tx_serial++;
    self->in_tx = true;
    self->begin_pending = true;
    return 0;
}

/* A pipeline of up to this many statements keeps their named queries on the stack. */
#define S_PIPELINE_FEW 32

/* Sends the n statements in one libpq pipeline with one sync and reads every answer: one
 * round trip. Returns 0, with *last the last statement's result when last is given and
 * each[i] the i-th statement's when each is given, or -1 with the first failure noted (the
 * statements after a failed one were skipped; nothing returned). */
static int s_pipeline(hf_store_t *self, const s_stmt_t *stmts, int n, PGresult **last,
                      PGresult **each)
{
    PGconn *conn = self->conn;
    if (last)
        *last = NULL;
    for (int i = 0; each && i < n; i++)
        each[i] = NULL;
    /* named queries and texts are prepared first (once a connection; a round trip each time
     * then) */
    const hf_query_t *few[S_PIPELINE_FEW];
    const hf_query_t **named = n <= S_PIPELINE_FEW ? few : malloc(sizeof *named * (size_t)n);
    if (named == NULL)
        abort();
    for (int i = 0; i < n; i++) {
        named[i] = stmts[i].q == &s_unprepared ? NULL
                   : stmts[i].q                ? stmts[i].q
                                               : s_text_query(self, stmts[i].sql);
        if (named[i] && self->prepare && conn && PQstatus(conn) == CONNECTION_OK &&
            s_prepare(self, named[i]) != 0) {
            if (named != few)
                free(named);
            return -1;
        }
    }
    if (conn == NULL || PQstatus(conn) != CONNECTION_OK || PQenterPipelineMode(conn) != 1) {
        s_set_error(self, "store error",
                    conn ? PQerrorMessage(conn) : "store connection lost in a transaction");
        self->unavailable = conn == NULL || PQstatus(conn) != CONNECTION_OK;
        if (named != few)
            free(named);
        return -1;
    }
    int rc = 0, sent = 0;
    for (; sent < n; sent++) {
        const s_stmt_t *m = &stmts[sent];
        const hf_query_t *q = named[sent];
        int ok = q && self->prepare
                     ? PQsendQueryPrepared(conn, q->name, m->n, m->params, m->lengths, m->formats,
                                           m->result_format)
                     : PQsendQueryParams(conn, q ? q->sql : m->sql, m->n, NULL, m->params,
                                         m->lengths, m->formats, m->result_format);
        if (ok != 1)
            break;
    }
    bool synced = PQpipelineSync(conn) == 1;
    self->round_trips++;
    self->statements += (uint64_t)sent;
    if (sent < n || !synced) {
        s_note_failure(self, NULL);
        rc = -1;
    }
    /* each statement's results up to a NULL, then the sync's */
    for (int i = 0; i < sent && synced; i++) {
        int got = 0;
        PGresult *res;
        while ((res = PQgetResult(conn)) != NULL) {
            got++;
            ExecStatusType st = PQresultStatus(res);
            if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
                if (rc == 0 && st != PGRES_PIPELINE_ABORTED)
                    s_note_failure(self, res);
                rc = -1;
                PQclear(res);
            } else if (last && i == n - 1 && *last == NULL) {
                *last = res;
            } else if (each && each[i] == NULL) {
                each[i] = res;
            } else {
                PQclear(res);
            }
        }
        if (got == 0) {
            /* the link broke */
            if (rc == 0)
                s_note_failure(self, NULL);
            rc = -1;
            synced = false;
        }
    }
    for (int guard = 0; synced && guard < 4; guard++) {
        PGresult *res = PQgetResult(conn);
        if (res == NULL)
            continue;
        bool sync = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
        PQclear(res);
        if (sync)
            break;
    }
    PQexitPipelineMode(conn);
    if (named != few)
        free(named);
    if (rc == 0) {
        self->unavailable = false;
        self->sqlstate[0] = '\0';
    } else {
        if (last && *last) {
            PQclear(*last);
            *last = NULL;
        }
        for (int i = 0; each && i < n; i++) {
            PQclear(each[i]);
            each[i] = NULL;
        }
    }
    return rc;
}

PGresult *hf_store_begin_exec(hf_store_t *self, const char *sql, int nparams,
                              const char *const *params)
{
    if (self->in_tx) {
        snprintf(self->error, sizeof self->error, "programming error: nested transaction");
        return NULL;
    }
    if ((self->conn == NULL || PQstatus(self->conn) != CONNECTION_OK) &&
        hf_store_connect(self) != 0)
        return NULL;
    self->tx_serial++;
    s_stmt_t stmts[] = {{"BEGIN", 0, NULL, NULL, NULL, NULL, 0},
                        {sql, nparams, (const char **)params, NULL, NULL, NULL, 0}};
    PGresult *res = NULL;
    int rc = s_pipeline(self, stmts, 2, &res, NULL);
    /* a failed statement leaves the transaction open and aborted: the caller rolls back */
    self->in_tx = self->conn && PQtransactionStatus(self->conn) != PQTRANS_IDLE;
    return rc == 0 ? res : NULL;
}

/* Keeps sql (a text; q &s_unprepared for one never prepared) for the next commit. */
static int s_defer(hf_store_t *self, const char *sql, int nparams, const char *const *params,
                   const hf_query_t *q)
{
    if (self->ndeferred == self->deferred_cap) {
        int cap = self->deferred_cap ? 2 * self->deferred_cap : 64;
        s_stmt_t *grown = realloc(self->deferred, sizeof *grown * (size_t)cap);
        if (grown == NULL)
            abort();
        self->deferred = grown;
        self->deferred_cap = cap;
    }
    const char **copy = calloc((size_t)(nparams ? nparams : 1), sizeof *copy);
    if (copy == NULL)
        abort();
    for (int k = 0; k < nparams; k++)
        if (params[k] && (copy[k] = strdup(params[k])) == NULL)
            abort();
    char *text = strdup(sql);
    if (text == NULL)
        abort();
    self->deferred[self->ndeferred++] = (s_stmt_t){text, nparams, copy, q, NULL, NULL, 0};
    return 0;
}

int hf_store_defer(hf_store_t *self, const char *sql, int nparams, const char *const *params)
{
    return s_defer(self, sql, nparams, params, NULL);
}

int hf_store_defer_unprepared(hf_store_t *self, const char *sql, int nparams,
                              const char *const *params)
{
    return s_defer(self, sql, nparams, params, &s_unprepared);
}

int hf_store_query_all(hf_store_t *self, int n, const hf_query_t *const *qs, const int *nparams,
                       const char *const *const *params, PGresult **res)
{
    for (int i = 0; i < n; i++)
        res[i] = NULL;
    /* the first statements of a transaction begun: BEGIN goes in their round trip (as with
     * s_exec_begin; a link found broken before anything of it was sent is connected again) */
    int b = self->begin_pending ? 1 : 0;
    if (b && self->ndeferred == 0 &&
        (self->conn == NULL || PQstatus(self->conn) != CONNECTION_OK)) {
        if (hf_store_connect(self) != 0)
            return -1;
    } else if (s_ready(self) != 0) {
        return -1;
    }
    s_stmt_t *stmts = calloc((size_t)(n + b ? n + b : 1), sizeof *stmts);
    PGresult **all = calloc((size_t)(n + b ? n + b : 1), sizeof *all);
    if (stmts == NULL || all == NULL)
        abort();
    if (b)
        stmts[0] = (s_stmt_t){"BEGIN", 0, NULL, NULL, NULL, NULL, 0};
    for (int i = 0; i < n; i++)
        stmts[b + i] =
            (s_stmt_t){qs[i]->sql, nparams[i], (const char **)params[i], qs[i], NULL, NULL, 0};
    int rc = s_pipeline(self, stmts, n + b, NULL, all);
    /* begun once BEGIN has gone (a failure after it: aborted, the caller rolls back); one
     * that failed as it was prepared sent nothing, and BEGIN is still to go */
    if (b && self->conn && PQtransactionStatus(self->conn) != PQTRANS_IDLE)
        self->begin_pending = false;
    if (b && all[0])
        PQclear(all[0]);
    for (int i = 0; i < n; i++)
        res[i] = all[b + i];
    free(all);
    free(stmts);
    return rc;
}

void hf_store_on_end(hf_store_t *self, hf_store_end_fn fn, void *ctx)
{
    self->end_fn = fn;
    self->end_ctx = ctx;
}

int hf_store_flush(hf_store_t *self)
{
    if (self->end_fn == NULL || self->flushing || !self->in_tx)
        return 0;
    self->flushing = true;
    int rc = self->end_fn(self, self->end_ctx, true);
    self->flushing = false;
    return rc;
}

int hf_store_commit(hf_store_t *self)
{
    if (hf_store_flush(self) != 0) {
        hf_store_rollback(self);
        return -1;
    }
    if (self->mark_pending) {
        /* counted as the COMMIT goes: the watcher looks once this call has returned */
        self->mark_pending = false;
        self->marked++;
    }
    if (self->begin_pending && self->ndeferred == 0) {
        /* nothing was sent: nothing to commit */
        self->begin_pending = false;
        self->in_tx = false;
        return 0;
    }
    if (self->begin_pending) {
        /* only kept statements: BEGIN first, in the same round trip */
        hf_store_defer(self, "BEGIN", 0, NULL);
        s_stmt_t begin = self->deferred[self->ndeferred - 1];
        memmove(self->deferred + 1, self->deferred,
                sizeof *self->deferred * (size_t)(self->ndeferred - 1));
        self->deferred[0] = begin;
        self->begin_pending = false;
    }
    PGresult *res;
    if (self->ndeferred == 0) {
        res = hf_store_exec(self, "COMMIT", 0, NULL);
    } else {
        /* the deferred statements and the COMMIT in one round trip */
        hf_store_defer(self, "COMMIT", 0, NULL);
        if (s_pipeline(self, self->deferred, self->ndeferred, &res, NULL) != 0)
            res = NULL;
        s_deferred_drop(self);
        if (res == NULL && self->conn && PQstatus(self->conn) == CONNECTION_OK &&
            PQtransactionStatus(self->conn) != PQTRANS_IDLE) {
            self->round_trips++;
            self->statements++;
            PQclear(PQexec(self->conn, "ROLLBACK"));
        }
    }
    self->in_tx = false;
    if (res == NULL)
        return -1;
    /* COMMIT of an aborted transaction answers ROLLBACK, not an error: treat it as one */
    int rc = strcmp(PQcmdStatus(res), "COMMIT") == 0 ? 0 : -1;
    if (rc != 0)
        snprintf(self->error, sizeof self->error, "the transaction was rolled back");
    PQclear(res);
    return rc;
}

void hf_store_rollback(hf_store_t *self)
{
    self->begin_pending = false;
    self->mark_pending = false;
    s_deferred_drop(self);
    if (self->end_fn && !self->flushing)
        self->end_fn(self, self->end_ctx, false);
    if (self->conn && PQstatus(self->conn) == CONNECTION_OK &&
        PQtransactionStatus(self->conn) != PQTRANS_IDLE) {
        self->round_trips++;
        self->statements++;
        PGresult *res = PQexec(self->conn, "ROLLBACK");
        PQclear(res);
    }
    self->in_tx = false;
}

/* ---- migrations ---- */

/* The framework's own tables, in every service's schema. Append, never edit. */
static const hf_migration_t s_framework[] = {
    {1, "framework/001_outbox.sql",
     "CREATE TABLE outbox_seq (producer text PRIMARY KEY, last_seq bigint NOT NULL);\n"
     "CREATE TABLE outbox (producer text NOT NULL, seq bigint NOT NULL, topic text NOT NULL,\n"
     "  branch text NOT NULL, body bytea NOT NULL, created_at_ms bigint NOT NULL,\n"
     "  PRIMARY KEY (producer, seq));\n"
     "CREATE TABLE consumer_offset (producer text PRIMARY KEY, last_seq bigint NOT NULL);\n"
     "CREATE TABLE dead_letter (producer text NOT NULL, seq bigint NOT NULL,\n"
     "  reason text NOT NULL, body bytea NOT NULL, at_ms bigint NOT NULL,\n"
     "  PRIMARY KEY (producer, seq));\n"
     "CREATE TABLE idempotency (key text PRIMARY KEY, command text NOT NULL, reply bytea,\n"
     "  created_at timestamptz NOT NULL DEFAULT now());\n"},
    /* the stream's epoch: a random id made with the counter row, so that a position in
     * this stream (producer, seq) can be told from one in a stream of another database
     * that happens to bear the same producer name (read your own writes, hf_service.c) */
    {2, "framework/002_outbox_epoch.sql",
     "ALTER TABLE outbox_seq ADD COLUMN epoch text NOT NULL DEFAULT gen_random_uuid()::text;\n"},
    /* revoked sessions (hf_session.h), so that a restarted service still refuses them: per
     * login the time before which its sessions are void (jti ''), or one session (jti) */
    {3, "framework/003_session_revoked.sql",
     "CREATE TABLE session_revoked (login text NOT NULL, jti text NOT NULL DEFAULT '',\n"
     "  not_before_ms bigint NOT NULL, expires_ms bigint NOT NULL DEFAULT 0,\n"
     "  PRIMARY KEY (login, jti));\n"},
    {0, NULL, NULL}};

/* Applies one list of migrations for component; 0 or -1. */
static int s_apply(hf_store_t *self, const char *component, const hf_migration_t *list)
{
    for (const hf_migration_t *m = list; m && m->sql; m++) {
        char version[16];
        snprintf(version, sizeof version, "%d", m->version);
        const char *p[] = {component, version, m->name};
        /* each migration in a transaction of its own, under the schema's lock taken inside
         * it (pg_advisory_xact_lock): concurrent instances wait there and then find it done.
         * A lock that lives only in the transaction works through a transaction pooler
         * (PgBouncer in transaction mode), where a session lock would be taken on one
         * server connection and "released" on another. */
        if (hf_store_begin(self) != 0)
            return -1;
        PGresult *res = NULL;
        const char *ps[] = {self->schema};
        if (hf_store_run(self, "SELECT pg_advisory_xact_lock(hashtext('huifang.migrate.' || $1))",
                         1, ps) != 0 ||
            (res = hf_store_exec(self,
                                 "SELECT 1 FROM migrations WHERE component = $1 AND version = $2",
                                 2, p)) == NULL) {
            hf_store_rollback(self);
            return -1;
        }
        bool done = PQntuples(res) > 0;
        PQclear(res);
        if (done) {
            hf_store_rollback(self);
            continue;
        }
        if (hf_store_script(self, m->sql) != 0 ||
            hf_store_run(self,
                         "INSERT INTO migrations (component, version, name) VALUES ($1, $2, $3)", 3,
                         p) != 0) {
            char why[512];
            snprintf(why, sizeof why, "migration %.80s failed: %.400s", m->name, self->error);
            hf_store_rollback(self);
            memcpy(self->error, why, sizeof self->error);
            return -1;
        }
        if (hf_store_commit(self) != 0)
            return -1;
        hf_info("migrated", "schema=%s migration=%s", self->schema, m->name);
    }
    return 0;
}

int hf_store_migrate(hf_store_t *self, const hf_migration_t *migrations)
{
    const char *p[] = {self->schema};
    /* one lock per schema, held by a transaction (see s_apply): concurrent instances wait,
     * then find the work done */
    if (hf_store_begin(self) != 0)
        return -1;
    if (hf_store_run(self, "SELECT pg_advisory_xact_lock(hashtext('huifang.migrate.' || $1))", 1,
                     p) != 0 ||
        hf_store_run(self,
                     "CREATE TABLE IF NOT EXISTS migrations (component text NOT NULL,"
                     " version int NOT NULL, name text NOT NULL,"
                     " applied_at timestamptz NOT NULL DEFAULT now(),"
                     " PRIMARY KEY (component, version))",
                     0, NULL) != 0) {
        hf_store_rollback(self);
        return -1;
    }
    if (hf_store_commit(self) != 0)
        return -1;
    if (s_apply(self, "framework", s_framework) != 0)
        return -1;
    return s_apply(self, self->schema, migrations);
}

/* ---- result helpers ---- */

const char *hf_pg_str(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return "";
    return PQgetvalue(res, row, col);
}

int64_t hf_pg_int(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return 0;
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

bool hf_pg_bool(const PGresult *res, int row, int col)
{
    const char *v = hf_pg_str(res, row, col);
    return v[0] == 't' || v[0] == '1';
}

const char *hf_pg_i64(char *buf, int64_t v)
{
    snprintf(buf, 24, "%" PRId64, v);
    return buf;
}

const char *hf_pg_i64_array(char *out, const int64_t *v, size_t n)
{
    size_t len = HF_PG_I64_ARRAY_LEN(n), o = 0;
    out[o++] = '{';
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(out + o, len - o, "%s%" PRId64, i ? "," : "", v[i]);
    out[o++] = '}';
    out[o] = '\0';
    return out;
}

char *hf_pg_bytea_text(const void *bytes, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char *out = malloc(2 * len + 3);
    if (out == NULL)
        return NULL;
    const uint8_t *b = bytes;
    out[0] = '\\';
    out[1] = 'x';
    for (size_t i = 0; i < len; i++) {
        out[2 + 2 * i] = digits[b[i] >> 4];
        out[3 + 2 * i] = digits[b[i] & 15];
    }
    out[2 + 2 * len] = '\0';
    return out;
}
