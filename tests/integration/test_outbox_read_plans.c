/* The relay's read of the outbox (hf_outbox_read) as Postgres plans it, against real Postgres
 * (issue 14: every relay's read was planned again at every run, its generic plan never
 * used). In the store's own session, as a relay runs it (prepared by the store at its second
 * run), on the statistics of an empty outbox with rows put in after them (a store's first
 * load), then on a full day's (100,000 rows, analyzed):
 *  - Postgres keeps the generic plan after its five custom ones (pg_prepared_statements of
 *    the same connection: generic_plans grows, custom_plans stays at 5);
 *  - that plan walks outbox_pkey from the position: no sequential scan, no sort;
 *  - the rows are the ones asked for: past the position, in order, at most max of them, and
 *    a gap in the numbers (a row deleted) is read past, not stopped at. */
#include "hf_log.h"
#include "hf_outbox.h"
#include "hf_store.h"
#include "hf_test.h"
#include <stdlib.h>
#include <string.h>

#define PRODUCER "obr"
#define RUNS 12

static int64_t s_int(hf_store_t *st, const char *sql)
{
    PGresult *res = hf_store_exec(st, sql, 0, NULL);
    CHECK(res != NULL);
    if (res == NULL)
        return -1;
    int64_t v = PQntuples(res) ? hf_pg_int(res, 0, 0) : -1;
    PQclear(res);
    return v;
}

/* Runs the read RUNS times from after (max rows), checking each run's rows: after + 1 on,
 * in order, gap-free but for the one number skipped (0: none), want rows. */
static void s_reads(hf_store_t *st, uint64_t after, int max, uint64_t skipped, int want)
{
    static hf_outbox_row_t rows[500];
    for (int run = 0; run < RUNS; run++) {
        int n = -1;
        CHECK_INT(hf_outbox_read(st, PRODUCER, after, max, rows, &n), 0);
        CHECK_INT(n, want);
        uint64_t next = after + 1;
        for (int i = 0; i < n; i++) {
            if (next == skipped)
                next++;
            CHECK_INT((long long)rows[i].seq, (long long)next);
            CHECK_STR(rows[i].topic, "t");
            next++;
        }
        hf_outbox_rows_free(rows, n > 0 ? n : 0);
    }
}

/* The read's prepared statement on this connection: its name (into name), its generic and
 * custom plans so far. */
static void s_prepared(hf_store_t *st, char *name, size_t size, int64_t *generic, int64_t *custom)
{
    PGresult *res = hf_store_exec(st,
                                  "SELECT name, generic_plans, custom_plans FROM"
                                  " pg_prepared_statements WHERE statement LIKE"
                                  " 'SELECT seq, topic, body FROM %outbox%'",
                                  0, NULL);
    CHECK(res != NULL);
    CHECK(res != NULL && PQntuples(res) == 1);
    if (res != NULL && PQntuples(res) == 1) {
        snprintf(name, size, "%s", hf_pg_str(res, 0, 0));
        *generic = hf_pg_int(res, 0, 1);
        *custom = hf_pg_int(res, 0, 2);
    } else {
        snprintf(name, size, "none");
        *generic = *custom = -1;
    }
    PQclear(res);
}

/* The plan the prepared read now runs with (EXPLAIN EXECUTE: the generic one once kept),
 * checked: outbox read through outbox_pkey, never whole, never sorted. */
static void s_plan_checked(hf_store_t *st, const char *name, const char *when)
{
    char sql[160];
    snprintf(sql, sizeof sql, "EXPLAIN EXECUTE %s('" PRODUCER "', 10, 500)", name);
    PGresult *res = hf_store_exec(st, sql, 0, NULL);
    CHECK(res != NULL);
    if (res == NULL)
        return;
    char plan[4096] = "";
    size_t len = 0;
    for (int r = 0; r < PQntuples(res); r++)
        len += (size_t)snprintf(plan + len, len < sizeof plan ? sizeof plan - len : 0, "%s\n",
                                hf_pg_str(res, r, 0));
    PQclear(res);
    bool ok = strstr(plan, "Index Scan using outbox_pkey") != NULL &&
              strstr(plan, "Seq Scan") == NULL && strstr(plan, "Sort") == NULL;
    if (!ok)
        fprintf(stderr, "%s: the read's plan:\n%s", when, plan);
    CHECK(ok);
}

static void test_read_plans(const char *url)
{
    hf_store_t *st = hf_store_new(url, PRODUCER);
    CHECK_INT(hf_store_connect(st), 0);
    CHECK_INT(hf_store_migrate(st, NULL), 0);
    char name[64];
    int64_t generic = 0, custom = 0;

    TEST_STEP("empty outbox analyzed, rows put in after");
    CHECK_INT(hf_store_run(st, "ANALYZE outbox", 0, NULL), 0);
    CHECK_INT(hf_store_run(st,
                           "INSERT INTO outbox (producer, seq, topic, branch, body, created_at_ms)"
                           " SELECT '" PRODUCER "', i, 't', '', '\\x00', 0"
                           " FROM generate_series(1, 2000) i",
                           0, NULL),
              0);
    s_reads(st, 1990, 500, 0, 10);
    s_reads(st, 0, 500, 0, 500);
    s_prepared(st, name, sizeof name, &generic, &custom);
    if (generic <= 0 || custom > 5)
        fprintf(stderr, "night: generic plans %lld, custom plans %lld\n", (long long)generic,
                (long long)custom);
    CHECK(generic > 0);
    CHECK(custom <= 5);
    s_plan_checked(st, name, "night");

    TEST_STEP("a day's outbox analyzed, a row deleted");
    CHECK_INT(hf_store_run(st,
                           "INSERT INTO outbox (producer, seq, topic, branch, body, created_at_ms)"
                           " SELECT '" PRODUCER "', i, 't', '', '\\x00', 0"
                           " FROM generate_series(2001, 100000) i",
                           0, NULL),
              0);
    CHECK_INT(hf_store_run(st, "DELETE FROM outbox WHERE seq = 99995", 0, NULL), 0);
    CHECK_INT(hf_store_run(st, "ANALYZE outbox", 0, NULL), 0);
    int64_t generic_night = generic;
    s_reads(st, 99990, 500, 99995, 9);
    s_reads(st, 99990, 3, 99995, 3);
    s_prepared(st, name, sizeof name, &generic, &custom);
    if (generic < generic_night + 2 * RUNS || custom > 5)
        fprintf(stderr, "day: generic plans %lld (%lld at night), custom plans %lld\n",
                (long long)generic, (long long)generic_night, (long long)custom);
    CHECK(generic >= generic_night + 2 * RUNS);
    CHECK(custom <= 5);
    s_plan_checked(st, name, "day");
    CHECK_INT(s_int(st, "SELECT count(*) FROM outbox"), 99999);
    hf_store_destroy(&st);
}

int main(void)
{
    hf_log_init("test_outbox_read_plans", "warn");
    char url[256];
    hf_test_create_db("outbox_read_plans", url);
    TEST_CASE(test_read_plans, url);
    hf_test_drop_db(url);
    TEST_DONE();
}
