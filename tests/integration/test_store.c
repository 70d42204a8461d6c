/* The record store against a real Postgres: migrations applied once under concurrency,
 * gap-free outbox sequences under concurrent writers and rollbacks, reconnect after the
 * server drops the connection, named queries prepared once per connection (again after a
 * reconnect) or sent as text when preparing is off, a transaction begun with its first
 * statement (hf_store_begin_exec) and statements sent with the COMMIT (hf_store_defer), all
 * or nothing; a transaction that adds events marked as it commits (hf_store_marked: the relay
 * reads its outbox then, not after every turn of the service's loop), and the transactions
 * numbered as they begin (hf_store_tx_serial). */
#include "hf_log.h"
#include "hf_outbox.h"
#include "hf_store.h"
#include "hf_test.h"
#include <sys/wait.h>

static const hf_migration_t s_migrations[] = {
    {1, "001_t.sql", "CREATE TABLE t (id int PRIMARY KEY, v text);"},
    {2, "002_t.sql", "ALTER TABLE t ADD COLUMN w int NOT NULL DEFAULT 0;"},
    {0, NULL, NULL}};

static int64_t s_count(hf_store_t *st, const char *sql)
{
    PGresult *r = hf_store_exec(st, sql, 0, NULL);
    if (r == NULL) {
        fprintf(stderr, "query failed: %s\n", hf_store_error(st));
        return -1;
    }
    int64_t n = hf_pg_int(r, 0, 0);
    PQclear(r);
    return n;
}

static void test_concurrent_migrations(const char *url)
{
    /* four instances start at once: each migration must be applied exactly once */
    for (int i = 0; i < 4; i++) {
        if (fork() == 0) {
            hf_store_t *st = hf_store_new(url, "mig");
            int rc =
                hf_store_connect_wait(st, 5000) == 0 && hf_store_migrate(st, s_migrations) == 0;
            if (!rc)
                fprintf(stderr, "child migrate failed: %s\n", hf_store_error(st));
            hf_store_destroy(&st);
            _exit(rc ? 0 : 1);
        }
    }
    int failures = 0, status;
    while (wait(&status) > 0)
        failures += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_INT(failures, 0);
    hf_store_t *st = hf_store_new(url, "mig");
    CHECK_INT(hf_store_connect(st), 0);
    CHECK_INT(s_count(st, "SELECT count(*) FROM migrations WHERE component = 'mig'"), 2);
    /* the framework's own: outbox, its epoch, revoked sessions */
    CHECK_INT(s_count(st, "SELECT count(*) FROM migrations WHERE component = 'framework'"), 3);
    /* a bad migration fails with its name in the message and leaves nothing behind */
    hf_migration_t bad[] = {s_migrations[0],
                            s_migrations[1],
                            {3, "003_bad.sql", "CREATE TABLE u (id int); SELECT nonsense;"},
                            {0, NULL, NULL}};
    CHECK_INT(hf_store_migrate(st, bad), -1);
    CHECK(strstr(hf_store_error(st), "003_bad.sql") != NULL);
    CHECK_INT(
        s_count(st, "SELECT count(*) FROM pg_tables WHERE schemaname = 'mig' AND tablename = 'u'"),
        0);
    hf_store_destroy(&st);
}

static void test_outbox_sequence(const char *url)
{
    hf_store_t *st = hf_store_new(url, "obx");
    CHECK_INT(hf_store_connect(st), 0);
    CHECK_INT(hf_store_migrate(st, NULL), 0);
    /* a rolled-back event gives its number back */
    Huifang__V1__Heartbeat hb = HUIFANG__V1__HEARTBEAT__INIT;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_HEARTBEAT;
    env.heartbeat = &hb;
    CHECK_INT(hf_store_begin(st), 0);
    CHECK_INT(hf_outbox_append(st, "obx", &env), 1);
    hf_store_rollback(st);
    CHECK_INT(hf_store_begin(st), 0);
    CHECK_INT(hf_outbox_append(st, "obx", &env), 1);
    CHECK_INT(hf_store_commit(st), 0);
    hf_store_destroy(&st);

    /* four writers, fifty transactions each, one in five rolled back */
    for (int w = 0; w < 4; w++) {
        if (fork() == 0) {
            hf_store_t *s = hf_store_new(url, "obx");
            int bad = hf_store_connect(s) != 0;
            for (int i = 0; i < 50 && !bad; i++) {
                hf_envelope_t e = HUIFANG__V1__ENVELOPE__INIT;
                Huifang__V1__Heartbeat h = HUIFANG__V1__HEARTBEAT__INIT;
                e.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_HEARTBEAT;
                e.heartbeat = &h;
                bad |= hf_store_begin(s) != 0 || hf_outbox_append(s, "obx", &e) < 0;
                if (i % 5 == 4)
                    hf_store_rollback(s);
                else
                    bad |= hf_store_commit(s) != 0;
            }
            hf_store_destroy(&s);
            _exit(bad);
        }
    }
    int failures = 0, status;
    while (wait(&status) > 0)
        failures += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_INT(failures, 0);
    st = hf_store_new(url, "obx");
    CHECK_INT(hf_store_connect(st), 0);
    /* 1 + 4 * 40 committed, numbered 1..161 with no gap */
    CHECK_INT(s_count(st, "SELECT count(*) FROM outbox"), 161);
    CHECK_INT(s_count(st, "SELECT max(seq) FROM outbox"), 161);
    CHECK_INT(hf_outbox_last_seq(st, "obx"), 161);
    hf_outbox_row_t rows[200];
    int n = 0;
    CHECK_INT(hf_outbox_read(st, "obx", 150, 200, rows, &n), 0);
    CHECK_INT(n, 11);
    CHECK_INT(rows[0].seq, 151);
    hf_envelope_t *back = huifang__v1__envelope__unpack(NULL, rows[0].len, rows[0].body);
    CHECK(back != NULL);
    if (back) {
        CHECK_INT(back->seq, 151);
        CHECK_STR(back->producer, "obx");
        CHECK_STR(back->event_id, "obx:151");
        huifang__v1__envelope__free_unpacked(back, NULL);
    }
    CHECK_STR(rows[0].topic, "obx.heartbeat");
    hf_outbox_rows_free(rows, n);
    hf_store_destroy(&st);
}

/* A bigint[]'s text form, as parameters take it: the widest values fit the length given. */
static void test_i64_array(void)
{
    const int64_t v[] = {1, -2, INT64_MAX, INT64_MIN};
    char out[HF_PG_I64_ARRAY_LEN(4)];
    CHECK_STR(hf_pg_i64_array(out, v, 4), "{1,-2,9223372036854775807,-9223372036854775808}");
    CHECK_STR(hf_pg_i64_array(out, v, 0), "{}");
}

static void test_reconnect(const char *url)
{
    hf_store_t *st = hf_store_new(url, "rec");
    CHECK_INT(hf_store_connect(st), 0);
    CHECK_INT(s_count(st, "SELECT (current_setting('jit') = 'off')::int"), 1);
    int pid = PQbackendPID(hf_store_conn(st));
    /* the server drops us (as on a restart); outside a transaction the next statement
     * reconnects and goes through */
    PGconn *admin = PQconnectdb(url);
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", pid);
    PQclear(PQexec(admin, sql));
    CHECK_INT(s_count(st, "SELECT 41 + 1"), 42);
    CHECK(PQbackendPID(hf_store_conn(st)) != pid);
    /* the session's settings are made again on the new connection: UTC, and no JIT
     * compiling (hf_store.c, S_SESSION_SETS) */
    CHECK_INT(s_count(st, "SELECT (current_setting('jit') = 'off'"
                          " AND current_setting('TimeZone') = 'UTC')::int"),
              1);
    /* BEGIN goes with the transaction's first statement: a loss before that (nothing of the
     * transaction had reached the server) is connected again, the statement goes through */
    CHECK_INT(hf_store_begin(st), 0);
    pid = PQbackendPID(hf_store_conn(st));
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", pid);
    PQclear(PQexec(admin, sql));
    CHECK_INT(s_count(st, "SELECT 40 + 3"), 43);
    CHECK(PQbackendPID(hf_store_conn(st)) != pid);
    CHECK(PQtransactionStatus(hf_store_conn(st)) == PQTRANS_INTRANS);
    /* inside a transaction under way the loss is reported, never papered over */
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", PQbackendPID(hf_store_conn(st)));
    PQclear(PQexec(admin, sql));
    CHECK(hf_store_exec(st, "SELECT 1", 0, NULL) == NULL);
    CHECK(hf_store_unavailable(st));
    hf_store_rollback(st);
    CHECK_INT(s_count(st, "SELECT 7"), 7);
    CHECK(!hf_store_unavailable(st));
    PQfinish(admin);
    /* a refused connection is a clear, non-fatal error */
    hf_store_t *down = hf_store_new("postgresql://huifang@127.0.0.1:1/none", "x");
    CHECK_INT(hf_store_connect(down), -1);
    CHECK(strstr(hf_store_error(down), "could not connect") != NULL);
    CHECK(hf_store_unavailable(down));
    hf_store_destroy(&down);
    hf_store_destroy(&st);
}

/* How many named queries the store's connection has prepared (the texts aside). */
static int64_t s_prepared(hf_store_t *st)
{
    return s_count(
        st, "SELECT count(*) FROM pg_prepared_statements WHERE name NOT LIKE 'hf\\_text\\_%'");
}

/* How many statements with this very text the store's connection has prepared. */
static int64_t s_prepared_text(hf_store_t *st, const char *text)
{
    const char *p[] = {text};
    PGresult *r = hf_store_exec(st,
                                "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1"
                                " AND name LIKE 'hf\\_text\\_%'",
                                1, p);
    if (r == NULL)
        return -1;
    int64_t n = hf_pg_int(r, 0, 0);
    PQclear(r);
    return n;
}

/* The backend's count of executions of a statement text (pg_stat_statements is not loaded
 * in the tests: the parse count is read from the server's own statistics instead). */

static const hf_query_t s_q_sum = {"test_sum", "SELECT $1::int + $2::int"};
static const hf_query_t s_q_bad = {"test_bad", "SELECT nonsense FROM nowhere"};

static void test_named_queries(const char *url)
{
    const char *p[] = {"40", "2"};
    hf_store_t *st = hf_store_new(url, "named");
    CHECK_INT(hf_store_connect(st), 0);
    /* prepared the first time it runs, by name after that */
    PGresult *r = hf_store_query(st, &s_q_sum, 2, p);
    CHECK(r != NULL && hf_pg_int(r, 0, 0) == 42);
    PQclear(r);
    CHECK_INT(hf_store_query_run(st, &s_q_sum, 2, p), 0);
    CHECK_INT(s_prepared(st), 1);
    CHECK_INT(s_count(st, "SELECT count(*) FROM pg_prepared_statements WHERE name = 'test_sum'"),
              1);
    /* a bad statement fails with the store's reason, and prepares nothing */
    CHECK(hf_store_query(st, &s_q_bad, 0, NULL) == NULL);
    CHECK_STR(hf_store_sqlstate(st), "42P01");
    CHECK_INT(s_prepared(st), 1);
    /* a new connection prepares it again */
    PGconn *admin = PQconnectdb(url);
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", PQbackendPID(hf_store_conn(st)));
    PQclear(PQexec(admin, sql));
    r = hf_store_query(st, &s_q_sum, 2, p);
    CHECK(r != NULL && hf_pg_int(r, 0, 0) == 42);
    PQclear(r);
    CHECK_INT(s_prepared(st), 1);
    /* inside a transaction too, and the statement outlives a rollback */
    CHECK_INT(hf_store_connect(st), 0);
    CHECK_INT(hf_store_begin(st), 0);
    CHECK_INT(hf_store_query_run(st, &s_q_sum, 2, p), 0);
    hf_store_rollback(st);
    CHECK_INT(hf_store_query_run(st, &s_q_sum, 2, p), 0);
    CHECK_INT(s_prepared(st), 1);
    /* off (a pooler in transaction mode): the same query as text, nothing prepared */
    hf_store_set_prepare(st, false);
    CHECK_INT(hf_store_connect(st), 0);
    r = hf_store_query(st, &s_q_sum, 2, p);
    CHECK(r != NULL && hf_pg_int(r, 0, 0) == 42);
    PQclear(r);
    CHECK_INT(s_prepared(st), 0);
    PQfinish(admin);
    hf_store_destroy(&st);
}

/* Statement texts (hf_store_exec and the like) are prepared too, once a connection, under a
 * name of their own, from their second run: a statement that reads or writes rows, not BEGIN
 * or SET; at most 256 texts a store, the rest go unnamed, and so do the ones run with
 * hf_store_exec_unprepared / hf_store_defer_unprepared; none when preparing is off. */
static void test_text_statements(const char *url)
{
    hf_store_t *st = hf_store_new(url, "texts");
    CHECK_INT(hf_store_connect(st), 0);
    CHECK_INT(hf_store_script(st, "CREATE TABLE k (k text PRIMARY KEY, n int NOT NULL)"), 0);
    TEST_STEP("once a connection");
    const char *add = "INSERT INTO k (k, n) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE"
                      " SET n = k.n + EXCLUDED.n RETURNING n";
    const char *p1[] = {"a", "1"}, *p2[] = {"a", "2"};
    for (int i = 0; i < 3; i++) {
        PGresult *r = hf_store_exec(st, add, 2, i == 1 ? p2 : p1);
        CHECK(r != NULL && hf_pg_int(r, 0, 0) == (i == 0 ? 1 : i == 1 ? 3 : 4));
        PQclear(r);
        /* its first run unnamed; named at its second */
        CHECK_INT(s_prepared_text(st, add), i == 0 ? 0 : 1);
    }
    const char *set = "SET application_name = 'texts'";
    CHECK_INT(hf_store_run(st, set, 0, NULL), 0);
    CHECK_INT(hf_store_run(st, set, 0, NULL), 0);
    const char *ps[] = {set};
    PGresult *r = hf_store_exec(
        st, "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", 1, ps);
    CHECK(r != NULL && hf_pg_int(r, 0, 0) == 0);
    PQclear(r);
    TEST_STEP("in a transaction and sent with its COMMIT");
    const char *bump = "UPDATE k SET n = n + $2 WHERE k = $1";
    CHECK_INT(hf_store_begin(st), 0);
    CHECK_INT(hf_store_defer(st, bump, 2, p2), 0);
    CHECK_INT(hf_store_defer(st, bump, 2, p1), 0);
    CHECK_INT(hf_store_commit(st), 0);
    CHECK_INT(s_count(st, "SELECT n FROM k WHERE k = 'a'"), 7);
    CHECK_INT(s_prepared_text(st, bump), 1);
    TEST_STEP("a failing text: the store's reason, nothing prepared, nothing changed");
    const char *bad = "UPDATE missing SET n = n + 1 WHERE k = $1";
    CHECK_INT(hf_store_begin(st), 0);
    CHECK_INT(hf_store_run(st, bump, 2, p1), 0);
    CHECK_INT(hf_store_run(st, bad, 1, p1), -1);
    CHECK_STR(hf_store_sqlstate(st), "42P01");
    hf_store_rollback(st);
    CHECK_INT(s_count(st, "SELECT n FROM k WHERE k = 'a'"), 7);
    CHECK_INT(s_prepared_text(st, bad), 0);
    TEST_STEP("prepared again on a new connection");
    PGconn *admin = PQconnectdb(url);
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", PQbackendPID(hf_store_conn(st)));
    PQclear(PQexec(admin, sql));
    PQfinish(admin);
    r = hf_store_exec(st, add, 2, p1);
    CHECK(r != NULL && hf_pg_int(r, 0, 0) == 8);
    PQclear(r);
    CHECK_INT(s_prepared_text(st, add), 1);
    TEST_STEP("at most 256 texts a store; the rest still run, unnamed");
    hf_store_t *many = hf_store_new(url, "texts");
    CHECK_INT(hf_store_connect(many), 0);
    char text[64];
    int right = 0;
    for (int i = 0; i < 600; i++) {
        snprintf(text, sizeof text, "SELECT $1::int + %d", i / 2); /* each twice */
        const char *v[] = {"1000"};
        r = hf_store_exec(many, text, 1, v);
        right += r != NULL && hf_pg_int(r, 0, 0) == 1000 + i / 2;
        PQclear(r);
    }
    CHECK_INT(right, 600);
    /* counted on the connection itself: the count's own text would be the 257th */
    r = PQexec(hf_store_conn(many), "SELECT count(*) FROM pg_prepared_statements");
    CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && hf_pg_int(r, 0, 0) == 256);
    PQclear(r);
    hf_store_destroy(&many);
    TEST_STEP("unprepared on purpose: planned at every run");
    const char *fresh = "UPDATE k SET n = n + $2 WHERE k = $1 AND n >= 0";
    for (int i = 0; i < 3; i++)
        CHECK_INT(hf_store_run(st, "SELECT 1", 0, NULL), 0);
    for (int i = 0; i < 3; i++) {
        r = hf_store_exec_unprepared(st, fresh, 2, p1);
        CHECK(r != NULL && strcmp(PQcmdTuples(r), "1") == 0);
        PQclear(r);
    }
    CHECK_INT(hf_store_begin(st), 0);
    CHECK_INT(hf_store_defer_unprepared(st, fresh, 2, p1), 0);
    CHECK_INT(hf_store_defer_unprepared(st, fresh, 2, p1), 0);
    CHECK_INT(hf_store_commit(st), 0);
    CHECK_INT(s_count(st, "SELECT n FROM k WHERE k = 'a'"), 13);
    const char *pf[] = {fresh};
    r = hf_store_exec(st, "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", 1,
                      pf);
    CHECK(r != NULL && hf_pg_int(r, 0, 0) == 0);
    PQclear(r);
    TEST_STEP("off (a pooler in transaction mode): every text unnamed");
    hf_store_t *off = hf_store_new(url, "texts");
    hf_store_set_prepare(off, false);
    CHECK_INT(hf_store_connect(off), 0);
    for (int i = 0; i < 2; i++) {
        r = hf_store_exec(off, add, 2, p1);
        CHECK(r != NULL && hf_pg_int(r, 0, 0) == 14 + i);
        PQclear(r);
    }
    CHECK_INT(s_count(off, "SELECT count(*) FROM pg_prepared_statements"), 0);
    hf_store_destroy(&off);
    hf_store_destroy(&st);
}

static void test_pipelined_transaction(const char *url)
{
    hf_store_t *st = hf_store_new(url, "piped");
    CHECK_INT(hf_store_connect(st), 0);
    CHECK_INT(hf_store_script(st, "CREATE TABLE c (k text PRIMARY KEY, n int NOT NULL)"), 0);
    /* BEGIN and a statement in one: its rows, inside the transaction */
    const char *k[] = {"a"};
    PGresult *r = hf_store_begin_exec(st, "INSERT INTO c (k, n) VALUES ($1, 1) RETURNING n", 1, k);
    CHECK(r != NULL && PQntuples(r) == 1 && hf_pg_int(r, 0, 0) == 1);
    if (r)
        PQclear(r);
    CHECK(hf_store_in_tx(st));
    /* deferred: nothing sent until the commit, then every one with it */
    const char *p1[] = {"a", "4"}, *p2[] = {"b", "2"};
    const char *up = "INSERT INTO c (k, n) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE"
                     " SET n = c.n + EXCLUDED.n";
    CHECK_INT(hf_store_defer(st, up, 2, p1), 0);
    CHECK_INT(hf_store_defer(st, up, 2, p2), 0);
    CHECK_INT(s_count(st, "SELECT count(*) FROM c"), 1);
    CHECK_INT(hf_store_commit(st), 0);
    CHECK(!hf_store_in_tx(st));
    CHECK_INT(s_count(st, "SELECT sum(n) FROM c"), 7);
    /* a deferred statement that fails fails the commit: nothing of the transaction stays */
    r = hf_store_begin_exec(st, "UPDATE c SET n = n + 100 WHERE k = $1", 1, k);
    CHECK(r != NULL);
    if (r)
        PQclear(r);
    CHECK_INT(hf_store_defer(st, up, 2, p2), 0);
    CHECK_INT(hf_store_defer(st, "INSERT INTO missing VALUES ($1)", 1, k), 0);
    CHECK_INT(hf_store_defer(st, up, 2, p2), 0);
    CHECK_INT(hf_store_commit(st), -1);
    CHECK_STR(hf_store_sqlstate(st), "42P01");
    CHECK(!hf_store_in_tx(st));
    CHECK_INT(s_count(st, "SELECT sum(n) FROM c"), 7);
    /* a rollback forgets what was deferred */
    CHECK_INT(hf_store_begin(st), 0);
    CHECK_INT(hf_store_defer(st, up, 2, p2), 0);
    hf_store_rollback(st);
    CHECK_INT(hf_store_begin(st), 0);
    CHECK_INT(hf_store_commit(st), 0);
    CHECK_INT(s_count(st, "SELECT sum(n) FROM c"), 7);
    /* a first statement failing as it runs: the transaction was begun, the caller rolls it
     * back */
    CHECK(hf_store_begin_exec(st, "INSERT INTO c (k, n) VALUES ('z', 1), ('z', 2)", 0, NULL) ==
          NULL);
    CHECK_STR(hf_store_sqlstate(st), "23505");
    CHECK(hf_store_in_tx(st));
    hf_store_rollback(st);
    CHECK_INT(s_count(st, "SELECT count(*) FROM c"), 2);
    /* one failing as it is prepared (before BEGIN is sent): no transaction was begun */
    CHECK(hf_store_begin_exec(st, "SELECT * FROM missing", 0, NULL) == NULL);
    CHECK_STR(hf_store_sqlstate(st), "42P01");
    if (hf_store_in_tx(st))
        hf_store_rollback(st);
    CHECK_INT(s_count(st, "SELECT count(*) FROM c"), 2);
    /* reads sent together as a transaction's first statements: BEGIN goes in their round
     * trip, and they see the transaction (its snapshot, its locks) */
    static const hf_query_t q_n = {"piped_n", "SELECT n FROM c WHERE k = $1 FOR UPDATE"};
    static const hf_query_t q_all = {"piped_all", "SELECT count(*) FROM c"};
    const hf_query_t *qs[] = {&q_n, &q_all};
    const int np[] = {1, 0};
    const char *const *ps[] = {k, NULL};
    PGresult *two[2];
    CHECK_INT(hf_store_query_all(st, 2, qs, np, ps, two), 0); /* prepares them: not counted */
    PQclear(two[0]);
    PQclear(two[1]);
    CHECK_INT(hf_store_begin(st), 0);
    uint64_t trips = hf_store_round_trips(st);
    CHECK_INT(hf_store_query_all(st, 2, qs, np, ps, two), 0);
    CHECK_INT((int64_t)(hf_store_round_trips(st) - trips), 1);
    CHECK(PQntuples(two[0]) == 1 && hf_pg_int(two[0], 0, 0) == 5 && hf_pg_int(two[1], 0, 0) == 2);
    PQclear(two[0]);
    PQclear(two[1]);
    CHECK(PQtransactionStatus(hf_store_conn(st)) == PQTRANS_INTRANS);
    CHECK_INT(hf_store_commit(st), 0);
    CHECK(PQtransactionStatus(hf_store_conn(st)) == PQTRANS_IDLE);
    /* one that fails as it is prepared, first in a transaction: nothing was sent, the
     * transaction is still to begin and rolls back cleanly */
    static const hf_query_t q_bad = {"piped_bad", "SELECT * FROM missing"};
    const hf_query_t *bad[] = {&q_bad};
    const int np0[] = {0};
    const char *const *ps0[] = {NULL};
    CHECK_INT(hf_store_begin(st), 0);
    CHECK_INT(hf_store_query_all(st, 1, bad, np0, ps0, two), -1);
    CHECK_STR(hf_store_sqlstate(st), "42P01");
    hf_store_rollback(st);
    CHECK_INT(s_count(st, "SELECT count(*) FROM c"), 2);
    hf_store_destroy(&st);
}

static void test_marked(const char *url)
{
    hf_store_t *st = hf_store_new(url, "marked");
    CHECK_INT(hf_store_connect(st), 0);
    CHECK_INT(hf_store_migrate(st, NULL), 0);
    uint64_t m = hf_store_marked(st), t = hf_store_tx_serial(st);
    TEST_STEP("no events");
    CHECK_INT(hf_store_begin(st), 0);
    CHECK_INT(hf_store_tx_serial(st), t + 1);
    CHECK_INT(s_count(st, "SELECT 1"), 1);
    CHECK_INT(hf_store_commit(st), 0);
    CHECK_INT(hf_store_marked(st), m);
    TEST_STEP("events");
    CHECK_INT(hf_store_begin(st), 0);
    CHECK_INT(hf_outbox_reserve(st, "marked", 2), 2);
    CHECK_INT(hf_store_marked(st), m); /* not before it commits */
    CHECK_INT(hf_store_commit(st), 0);
    CHECK_INT(hf_store_marked(st), m + 1);
    TEST_STEP("rolled back");
    PGresult *r = hf_store_begin_exec(st, "SELECT 1", 0, NULL);
    CHECK(r != NULL);
    if (r)
        PQclear(r);
    CHECK_INT(hf_store_tx_serial(st), t + 3);
    CHECK_INT(hf_outbox_reserve(st, "marked", 1), 3);
    hf_store_rollback(st);
    CHECK_INT(hf_store_marked(st), m + 1);
    CHECK_INT(hf_store_begin(st), 0);
    CHECK_INT(hf_store_commit(st), 0);
    CHECK_INT(hf_store_marked(st), m + 1); /* the rollback's mark is not carried over */
    hf_store_destroy(&st);
}

/* hf_store_round_trips / hf_store_statements: what each call sent, as a command's log line
 * reports it (store_trips, store_statements) */
static void test_counts(const char *url)
{
    hf_store_t *st = hf_store_new(url, "counted");
    hf_store_set_prepare(st, false); /* (a PREPARE would be a round trip more) */
    CHECK_INT(hf_store_connect(st), 0);
    CHECK_INT(hf_store_script(st, "CREATE TABLE IF NOT EXISTS c (k text PRIMARY KEY)"), 0);
    uint64_t t = hf_store_round_trips(st), n = hf_store_statements(st);
    /* BEGIN with the first statement, then one alone, then two deferred with the COMMIT */
    const char *k1[] = {"a"}, *k2[] = {"b"}, *k3[] = {"c"};
    CHECK_INT(hf_store_begin(st), 0);
    CHECK_INT(hf_store_run(st, "INSERT INTO c VALUES ($1)", 1, k1), 0);
    CHECK_INT(hf_store_run(st, "INSERT INTO c VALUES ($1)", 1, k2), 0);
    CHECK_INT(hf_store_defer(st, "INSERT INTO c VALUES ($1)", 1, k3), 0);
    CHECK_INT(hf_store_defer(st, "DELETE FROM c WHERE k = $1", 1, k1), 0);
    CHECK_INT(hf_store_commit(st), 0);
    CHECK_INT(hf_store_round_trips(st) - t, 3);
    CHECK_INT(hf_store_statements(st) - n, 6);
    /* a transaction that sent nothing costs nothing; a rollback is one */
    t = hf_store_round_trips(st);
    n = hf_store_statements(st);
    CHECK_INT(hf_store_begin(st), 0);
    CHECK_INT(hf_store_commit(st), 0);
    CHECK_INT(hf_store_round_trips(st) - t, 0);
    CHECK_INT(hf_store_begin(st), 0);
    CHECK_INT(hf_store_run(st, "DELETE FROM c", 0, NULL), 0);
    hf_store_rollback(st);
    CHECK_INT(hf_store_round_trips(st) - t, 2);
    CHECK_INT(hf_store_statements(st) - n, 3);
    hf_store_destroy(&st);
}

int main(void)
{
    hf_log_init("test_store", "warn");
    char url[256];
    hf_test_create_db("store", url);
    TEST_CASE(test_concurrent_migrations, url);
    TEST_CASE(test_outbox_sequence, url);
    TEST_CASE(test_i64_array);
    TEST_CASE(test_reconnect, url);
    TEST_CASE(test_named_queries, url);
    TEST_CASE(test_text_statements, url);
    TEST_CASE(test_pipelined_transaction, url);
    TEST_CASE(test_marked, url);
    TEST_CASE(test_counts, url);
    hf_test_drop_db(url);
    TEST_DONE();
}
