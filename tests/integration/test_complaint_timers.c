/* The complaint service's timers against real Postgres and Redis (its library, in this
 * process, on the manual clock): a card's next threshold goes into the "sla" due-queue and
 * comes back when due; a timer claimed by an instance that died returns when its lease
 * expires and is applied once, and the dead instance coming back late applies nothing; the
 * history's unique index refuses a second warning of one period; a jump of three days over
 * fifty cards escalates each three times; a lost Redis (no epoch) is rebuilt from Postgres;
 * with Redis down the timers wait instead of failing. */
#include "complaint_internal.h"
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_test.h"
#include "hf_time.h"
#include <hiredis/hiredis.h>

#define BR "ITC1"
#define H (3600 * 1000LL)

static hf_service_t *s_svc;
static complaint_t s_self;
static hf_arena_t *s_arena;
static char s_clock_file[128];

static void s_clock_set(int64_t ms)
{
    if (hf_clock_file_write(s_clock_file, ms) != 0)
        abort();
}

static void s_sql(const char *sql)
{
    if (hf_store_run(hf_service_store(s_svc), sql, 0, NULL) != 0) {
        fprintf(stderr, "%s: %s\n", sql, hf_store_error(hf_service_store(s_svc)));
        abort();
    }
}

static int64_t s_num(const char *sql)
{
    PGresult *r = hf_store_exec(hf_service_store(s_svc), sql, 0, NULL);
    int64_t n = r && PQntuples(r) ? hf_pg_int(r, 0, 0) : -1;
    if (r)
        PQclear(r);
    return n;
}

static int64_t s_file_in(const char *branch, int64_t customer)
{
    hf_store_t *st = hf_service_store(s_svc);
    complaint_new_t n = {.branch = branch,
                         .customer_id = customer,
                         .category = "attitude",
                         .severity = "normal",
                         .channel = "phone",
                         .location = "",
                         .description = "integration",
                         .plan = "",
                         .agent = "A1",
                         .filed_by = "A1",
                         .actor = "A1",
                         .opened_at_ms = hf_clock_now_ms()};
    complaint_card_t *card = NULL;
    int64_t id = -1;
    if (hf_store_begin(st) == 0 && complaint_card_open(s_svc, &n, s_arena, &card) == 0 && card &&
        hf_store_commit(st) == 0)
        id = card->c->id;
    else
        hf_store_rollback(st);
    hf_arena_reset(s_arena);
    return id;
}

static int64_t s_file(int64_t customer)
{
    return s_file_in(BR, customer);
}

static int64_t s_queued(void)
{
    int64_t due = 0, leased = 0, overdue = 0, queued = 0;
    if (hf_queue_stats(s_self.queue, BR, hf_clock_now_ms(), 0, &due, &leased, &overdue, &queued) !=
        0)
        return -1;
    return queued + leased;
}

/* Fires until nothing is due (each round also re-indexes). */
static void s_settle(void)
{
    for (int i = 0; i < 50; i++) {
        complaint_index(s_svc, &s_self);
        if (complaint_fire(s_svc, &s_self) <= 0)
            break;
    }
    complaint_index(s_svc, &s_self);
}

static void test_claim_and_lease(int64_t t0)
{
    int64_t id = s_file(1);
    CHECK(id > 0);
    CHECK_INT(complaint_index(s_svc, &s_self), 1);
    CHECK_INT(s_queued(), 1);
    /* nothing due yet */
    CHECK_INT(complaint_fire(s_svc, &s_self), 0);
    /* 12 h: the warning, once, and its event in the outbox */
    s_clock_set(t0 + 12 * H);
    CHECK_INT(complaint_fire(s_svc, &s_self), 1);
    CHECK_INT(complaint_index(s_svc, &s_self), 1);
    CHECK_INT(s_num("SELECT count(*) FROM complaint_history WHERE change = 'warning-50'"), 1);
    CHECK_INT(s_num("SELECT count(*) FROM outbox WHERE topic LIKE 'complaint.complaint_changed%'"),
              1);
    CHECK_INT(s_num("SELECT next_timer_ms FROM complaint"), t0 + 18 * H);
    CHECK_INT(s_queued(), 1);

    /* 18 h: an instance claims the timer and dies holding the lease */
    s_clock_set(t0 + 18 * H);
    int64_t ids[4];
    int n = 0;
    CHECK_INT(hf_queue_claim(s_self.queue, BR, hf_clock_now_ms(), 30000, 4, ids, NULL, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(complaint_fire(s_svc, &s_self), 0);
    CHECK_INT(s_num("SELECT count(*) FROM complaint_history WHERE change = 'warning-75'"), 0);
    /* its lease expires: the timer comes back and is applied */
    s_clock_set(t0 + 18 * H + 31000);
    CHECK_INT(complaint_fire(s_svc, &s_self), 1);
    CHECK_INT(s_num("SELECT count(*) FROM complaint_history WHERE change = 'warning-75'"), 1);
    /* the dead instance comes back late: under the row lock it finds nothing to do */
    hf_store_t *st = hf_service_store(s_svc);
    complaint_card_t *card = NULL;
    CHECK_INT(hf_store_begin(st), 0);
    CHECK_INT(complaint_card_load(st, id, true, false, s_arena, &card), 0);
    CHECK_INT(complaint_card_catch_up(s_svc, card, hf_clock_now_ms(), s_arena), 0);
    CHECK_INT(hf_store_commit(st), 0);
    hf_arena_reset(s_arena);
    CHECK_INT(s_num("SELECT count(*) FROM complaint_history WHERE change = 'warning-75'"), 1);
    CHECK_INT(s_num("SELECT count(*) FROM outbox WHERE topic LIKE 'complaint.complaint_changed%'"),
              2);
    /* and a second warning of one period cannot be written at all */
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO complaint_history (complaint_id, at_ms, change, level, owner, period_no)"
             " VALUES (%lld, 0, 'warning-75', 0, 'A1', 1)",
             (long long)id);
    CHECK_INT(hf_store_run(st, sql, 0, NULL), -1);
    CHECK_STR(hf_store_sqlstate(st), "23505");

    /* 24 h: the head */
    s_clock_set(t0 + 24 * H + 31000);
    s_settle();
    CHECK_INT(s_num("SELECT level FROM complaint"), 1);
    CHECK_INT(s_num("SELECT count(*) FROM complaint WHERE owner = 'H1'"), 1);
    CHECK_INT(
        s_num("SELECT count(*) FROM outbox WHERE topic LIKE 'complaint.complaint_escalated%'"), 1);
}

static void test_jump(int64_t t1)
{
    s_clock_set(t1);
    s_sql("UPDATE complaint SET state = 'resolved', run_from_ms = 0, next_timer_ms = 0,"
          " due_at_ms = 0, indexed = false");
    complaint_index(s_svc, &s_self);
    CHECK_INT(s_queued(), 0); /* a stopped clock leaves the queue */
    for (int i = 0; i < 50; i++)
        CHECK(s_file(100 + i) > 0);
    CHECK_INT(complaint_index(s_svc, &s_self), 50);
    CHECK_INT(s_queued(), 50);
    s_clock_set(t1 + 72 * H);
    s_settle();
    /* each: nine thresholds in order, three escalations, the department at the end */
    CHECK_INT(s_num("SELECT count(*) FROM (SELECT complaint_id FROM complaint_history"
                    " WHERE change <> 'opened' GROUP BY complaint_id HAVING count(*) = 9"
                    " AND count(*) FILTER (WHERE change = 'escalated') = 3) x"),
              50);
    CHECK_INT(s_num("SELECT count(*) FROM complaint WHERE level = 3 AND owner = 'customer-service'"
                    " AND state = 'open'"),
              50);
    /* the history is in time order for every card */
    CHECK_INT(
        s_num("SELECT count(*) FROM (SELECT at_ms < lag(at_ms) OVER (PARTITION BY complaint_id"
              " ORDER BY id) AS back FROM complaint_history) x WHERE back"),
        0);
    CHECK_INT(s_queued(), 50);
}

static void test_rebuild(const char *redis_url)
{
    /* what a FLUSHDB does to us, for our branch only (the database is shared): the queue and
     * the epoch key (hf_queue.c names it) are gone */
    CHECK_INT(hf_queue_clear(s_self.queue, BR), 0);
    char host[64] = "127.0.0.1", password[256] = "";
    int port = 6379, db = 0;
    const char *at = strrchr(redis_url, '@'); /* redis://:password@host:port/db */
    if (at && strncmp(redis_url, "redis://:", 9) == 0)
        snprintf(password, sizeof password, "%.*s", (int)(at - redis_url - 9), redis_url + 9);
    sscanf(at ? at + 1 : redis_url + strlen("redis://"), "%63[^:]:%d/%d", host, &port, &db);
    redisContext *r = redisConnect(host, port);
    redisReply *x;
    if (password[0]) {
        x = redisCommand(r, "AUTH %s", password);
        freeReplyObject(x);
    }
    x = redisCommand(r, "SELECT %d", db);
    freeReplyObject(x);
    x = redisCommand(r, "DEL hf:sla:epoch");
    freeReplyObject(x);
    redisFree(r);
    CHECK_INT(s_queued(), 0);
    CHECK_INT(complaint_index(s_svc, &s_self), 50);
    CHECK_INT(s_queued(), 50);
    CHECK_INT(complaint_index(s_svc, &s_self), 0); /* marked: no second rebuild */
}

/* How many warnings at 50 % the cards of branch have had. */
static int64_t s_warned(const char *branch)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM complaint_history h JOIN complaint c ON c.id = h.complaint_id"
             " WHERE c.branch = '%s' AND h.change = 'warning-50'",
             branch);
    return s_num(sql);
}

/* A branch that gets its first complaint while the timers keep the branch list in memory:
 * its first timer fires at the first tick after it is due, as every other branch's, though
 * the list was made before the branch existed (the put moved the branch set's version); and
 * an idle tick asks Redis one thing, the wake index, not the branch set as well (SMEMBERS,
 * until the fifteenth round). */
static void test_new_branch(int64_t t2)
{
    s_clock_set(t2);
    s_settle();
    /* the list is made; an idle tick is one command */
    uint64_t c0 = hf_queue_commands(s_self.queue);
    CHECK_INT(complaint_fire(s_svc, &s_self), 0);
    CHECK_INT((int)(hf_queue_commands(s_self.queue) - c0), 1);
    CHECK(s_self.branches_listed);

    s_sql("INSERT INTO branch (code, tz) VALUES ('ITC2', 'Asia/Shanghai')");
    s_sql("INSERT INTO agent (branch, id, role) VALUES ('ITC2', 'A1', 'phone')");
    CHECK_INT(hf_queue_clear(s_self.queue, "ITC2"), 0);
    CHECK(s_file_in("ITC2", 2001) > 0);
    CHECK_INT(complaint_index(s_svc, &s_self), 1);
    s_clock_set(t2 + 12 * H);
    CHECK(complaint_fire(s_svc, &s_self) >= 1);
    CHECK_INT(s_warned("ITC2"), 1);
    s_settle();
    CHECK_INT(hf_queue_clear(s_self.queue, "ITC2"), 0);
}

/* The safety net: a branch the set's version does not announce (put by a Huifang older
 * than the version) is listed within COMPLAINT_BRANCHES_REFRESH_MS all the same, and its
 * timer fired then; before that listing it is not looked at. The version is made to miss
 * the branch by telling the timers it was already seen. */
static void test_branches_refresh(int64_t t3)
{
    s_clock_set(t3);
    s_settle();
    s_sql("INSERT INTO branch (code, tz) VALUES ('ITC3', 'Asia/Shanghai')");
    s_sql("INSERT INTO agent (branch, id, role) VALUES ('ITC3', 'A1', 'phone')");
    CHECK_INT(hf_queue_clear(s_self.queue, "ITC3"), 0);
    CHECK(s_file_in("ITC3", 3001) > 0);
    CHECK_INT(complaint_index(s_svc, &s_self), 1);
    int64_t version = -1;
    CHECK_INT(hf_queue_waiting_listed(s_self.queue, NULL, 0, t3, NULL, &version), 0);
    CHECK(version != s_self.branches_version);
    s_self.branches_version = version;
    s_clock_set(t3 + 12 * H);
    complaint_fire(s_svc, &s_self);
    CHECK_INT(s_warned("ITC3"), 0);
    /* COMPLAINT_BRANCHES_REFRESH_MS later */
    s_self.branches_next_mono = hf_clock_mono_ms();
    CHECK(complaint_fire(s_svc, &s_self) >= 1);
    CHECK_INT(s_warned("ITC3"), 1);
    s_settle();
    CHECK_INT(hf_queue_clear(s_self.queue, "ITC3"), 0);
}

static void test_redis_down(void)
{
    complaint_t down = {0};
    down.queue = hf_queue_new("redis://127.0.0.1:1/0", "sla");
    down.claim_batch = 10;
    down.lease_ms = 30000;
    down.queue_ok = true;
    CHECK_INT(complaint_index(s_svc, &down), -1);
    CHECK(!down.queue_ok);
    CHECK_INT(complaint_fire(s_svc, &down), 0);
    /* filing goes on: the card waits, unindexed, for Redis */
    int64_t id = s_file(999);
    CHECK(id > 0);
    CHECK_INT(s_num("SELECT count(*) FROM complaint WHERE NOT indexed"), 1);
    complaint_release(&down);
    CHECK_INT(complaint_index(s_svc, &s_self), 1);
}

int main(void)
{
    hf_log_init("test_complaint_timers", "warn");
    /* about the service's logic, not the wire: plain sockets (test_curve covers CURVE) */
    setenv("HUIFANG_CURVE", "off", 1);
    char url[256];
    hf_test_create_db("complaint_timers", url);
    const char *redis = hf_test_env("HUIFANG_TEST_REDIS_URL");
    snprintf(s_clock_file, sizeof s_clock_file, "/tmp/hf-test-complaint-timers-%d.clock",
             (int)getpid());
    /* nothing connects to this instance: any free port will do */
    setenv("HUIFANG_COMPLAINT_BIND", "tcp://127.0.0.1:*", 1);
    setenv("HUIFANG_COMPLAINT_EVENTS_BIND", "tcp://127.0.0.1:*", 1);
    setenv("HUIFANG_COMPLAINT_STORE_URL", url, 1);
    setenv("HUIFANG_REDIS_URL", redis, 1);
    setenv("HUIFANG_CLOCK", "manual", 1);
    setenv("HUIFANG_CLOCK_FILE", s_clock_file, 1);
    setenv("HUIFANG_LOG_LEVEL", "error", 1);
    int64_t t0;
    if (hf_time_parse("2026-11-02 10:00", "Asia/Shanghai", &t0) != 0)
        return 2;
    s_clock_set(t0);
    s_arena = hf_arena_new();
    char *argv[] = {"huifang-complaint", NULL};
    if (hf_service_new(&s_svc, &complaint_def, &s_self, 1, argv) != 0) {
        fprintf(stderr, "could not start the complaint service\n");
        return 2;
    }
    complaint_init(&s_self, s_svc);
    hf_queue_clear(s_self.queue, BR);
    s_sql("INSERT INTO branch (code, tz) VALUES ('" BR "', 'Asia/Shanghai')");
    s_sql("INSERT INTO agent (branch, id, role) VALUES ('" BR "', 'A1', 'phone'),"
          " ('" BR "', 'H1', 'head')");

    TEST_CASE(test_claim_and_lease, t0);
    TEST_CASE(test_jump, t0 + 100 * H);
    TEST_CASE(test_rebuild, redis);
    TEST_CASE(test_new_branch, t0 + 200 * H);
    TEST_CASE(test_branches_refresh, t0 + 300 * H);
    TEST_CASE(test_redis_down);

    hf_queue_clear(s_self.queue, BR);
    hf_service_destroy(&s_svc);
    complaint_release(&s_self);
    hf_arena_destroy(&s_arena);
    unlink(s_clock_file);
    hf_test_drop_db(url);
    TEST_DONE();
}
