/* intake's points, against real Postgres: the award for an attended event
 * (intake_points_award_event, which the campaign code calls when attendance is taken — no
 * command of its own reaches it), run in the caller's transaction on an in-process intake.
 *
 * An award gives the branch's per-event points (the defaults, then the branch's own rule)
 * once per customer and campaign; the ledger's deltas add up to the balance and each award
 * is a points_earned event in the outbox; an award in a transaction rolled back leaves
 * nothing; what a return left owed is settled by the award first; missing ids are refused. */
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_test.h"
#include "intake_internal.h"

static hf_service_t *s_svc;
static hf_arena_t *s_arena;

static int64_t s_int(const char *sql)
{
    PGresult *res = hf_store_exec(hf_service_store(s_svc), sql, 0, NULL);
    CHECK(res != NULL && PQntuples(res) == 1);
    int64_t v = res && PQntuples(res) == 1 ? hf_pg_int(res, 0, 0) : -1;
    if (res)
        PQclear(res);
    return v;
}

static void s_run(const char *sql)
{
    CHECK(hf_store_run(hf_service_store(s_svc), sql, 0, NULL) == 0);
}

/* One award in its own transaction, committed (or rolled back). */
static int s_award(int64_t customer, int64_t campaign, bool commit)
{
    hf_store_t *st = hf_service_store(s_svc);
    CHECK(hf_store_begin(st) == 0);
    int got = intake_points_award_event(s_svc, st, "BJ01", customer, campaign, "door", s_arena);
    if (got >= 0 && commit)
        CHECK(hf_store_commit(st) == 0);
    else
        hf_store_rollback(st);
    hf_arena_reset(s_arena);
    return got;
}

static int64_t s_events(void)
{
    return s_int("SELECT count(*) FROM outbox WHERE producer = 'intake' AND topic LIKE "
                 "'intake.points_earned/%'");
}

static void test_award(void)
{
    int64_t events = s_events();
    CHECK_INT(s_award(42, 7, true), 100); /* the default: 100 per attended event */
    CHECK_INT(s_award(42, 7, true), 0);   /* once per customer and campaign */
    CHECK_INT(s_award(42, 8, true), 100);
    CHECK_INT(s_award(43, 7, true), 100); /* another customer of the same event */
    CHECK_INT(s_int("SELECT balance FROM points_account WHERE customer_id = 42"), 200);
    CHECK_INT(s_int("SELECT sum(delta) FROM points_ledger WHERE customer_id = 42"), 200);
    CHECK_INT(s_int("SELECT count(*) FROM points_ledger WHERE customer_id = 42 AND reason = 'event'"
                    " AND reference IN ('campaign:7', 'campaign:8') AND actor = 'door'"),
              2);
    CHECK_INT(s_events() - events, 3);

    /* the branch's own rule */
    s_run("INSERT INTO points_rule (branch, per_yuan, per_event) VALUES ('BJ01', 1, 250)");
    CHECK_INT(s_award(42, 9, true), 250);
    CHECK_INT(s_int("SELECT balance FROM points_account WHERE customer_id = 42"), 450);

    /* rolled back with the caller's transaction: nothing stays */
    CHECK_INT(s_award(42, 10, false), 250);
    CHECK_INT(s_int("SELECT count(*) FROM points_ledger WHERE reference = 'campaign:10'"), 0);
    CHECK_INT(s_int("SELECT balance FROM points_account WHERE customer_id = 42"), 450);

    /* what a return left owed is settled first: 300 owed, 250 awarded -> 0 reach the balance */
    s_run("UPDATE points_account SET balance = 0, owed = 300 WHERE customer_id = 43");
    s_run("INSERT INTO points_ledger (customer_id, branch, delta, reason, reference,"
          " balance_after, owed_after, points, shortfall, actor, at_ms) VALUES"
          " (43, 'BJ01', -100, 'return', 'return:1', 0, 300, 400, 300, 'M001', 0)");
    CHECK_INT(s_award(43, 11, true), 250);
    CHECK_INT(s_int("SELECT balance FROM points_account WHERE customer_id = 43"), 0);
    CHECK_INT(s_int("SELECT owed FROM points_account WHERE customer_id = 43"), 50);
    CHECK_INT(s_int("SELECT delta FROM points_ledger WHERE reference = 'campaign:11'"), 0);
    CHECK_INT(s_award(43, 12, true), 250);
    CHECK_INT(s_int("SELECT balance FROM points_account WHERE customer_id = 43"), 200);
    CHECK_INT(s_int("SELECT owed FROM points_account WHERE customer_id = 43"), 0);
    CHECK_INT(s_int("SELECT sum(delta) FROM points_ledger WHERE customer_id = 43"), 200);

    /* missing ids: refused, nothing written */
    CHECK_INT(s_award(0, 13, true), -1);
    CHECK_INT(s_award(42, 0, true), -1);
    CHECK_INT(s_int("SELECT count(*) FROM points_ledger WHERE reference = 'campaign:13'"), 0);
}

int main(void)
{
    hf_log_init("test_intake_points", "warn");
    setenv("HUIFANG_CURVE", "off", 1);
    char url[256];
    hf_test_create_db("intake_points", url);
    /* nothing connects to this intake: ports the kernel picks, never one taken */
    setenv("HUIFANG_INTAKE_BIND", "tcp://127.0.0.1:*", 1);
    setenv("HUIFANG_INTAKE_EVENTS_BIND", "tcp://127.0.0.1:*", 1);
    setenv("HUIFANG_INTAKE_STORE_URL", url, 1);
    setenv("HUIFANG_STORE_URL", url, 1);
    setenv("HUIFANG_INTAKE_CONSUME", "none", 1);
    setenv("HUIFANG_CLOCK", "real", 1);
    setenv("HUIFANG_LOG_LEVEL", "error", 1);
    s_arena = hf_arena_new();
    char *argv[] = {"huifang-intake", NULL};
    if (hf_service_new(&s_svc, &intake_def, NULL, 1, argv) != 0) {
        fprintf(stderr, "could not start intake's service\n");
        hf_test_drop_db(url);
        return 2;
    }
    TEST_CASE(test_award);
    hf_service_destroy(&s_svc);
    hf_arena_destroy(&s_arena);
    hf_test_drop_db(url);
    TEST_DONE();
}
