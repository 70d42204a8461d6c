/* The framework's consumer side, against real Postgres and ZeroMQ: a stand-in producer
 * ("scheduler": the service loop with nothing but an outbox, into which this test writes
 * events) and a probe consumer that handles one kind of event (customer_screened: a row in
 * its table hit) and has no handler for another (plan_ended).
 *
 * Events without a handler are passed in memory and their sequence stored once per burst,
 * not one transaction each; this proves that costs nothing in exactness:
 *  A. a mix of both kinds: every handled event applied once, the stored sequence reaches
 *     the producer's last;
 *  B. the probe killed (SIGKILL) right after a burst, so its stored sequence may lag behind
 *     what it passed: after a restart, nothing is applied twice and nothing is missed;
 *  C. two probe instances on one stored sequence while a burst comes in: each handled event
 *     applied exactly once;
 *  D. and the point of it: the stored sequence was written about once per handled event,
 *     not once per event;
 *  E. an event whose handler fails the same way every time (a constraint) is set aside in
 *     the dead letters with the store's reason after five tries, and the stream goes on;
 *  F. events a handler holds to apply together in the batch hook (task_assigned: as
 *     reporting's calls), one of which fails there every time and is named
 *     (hf_service_event_failed): the held events before it are committed, it goes on its own
 *     and to the dead letters after five tries, the ones after it are applied — each once. */
#include "hf_bus.h"
#include "hf_log.h"
#include "hf_outbox.h"
#include "hf_service.h"
#include "hf_store.h"
#include "hf_test.h"
#include "hf_test_stack.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static char s_url[256];

static const hf_migration_t s_none[] = {{0, NULL, NULL}};
static const hf_migration_t s_probe_migrations[] = {
    {1, "001_hit.sql", "CREATE TABLE hit (seq bigint NOT NULL, customer_id bigint NOT NULL)"},
    {0, NULL, NULL}};
static const hf_command_t s_no_commands[] = {{0, NULL, false, 0}};
static const hf_service_def_t s_producer = {.name = "scheduler",
                                            .summary = "a stand-in producer",
                                            .migrations = s_none,
                                            .commands = s_no_commands};
static const hf_service_def_t s_probe = {.name = "probe",
                                         .summary = "a consumer under test",
                                         .migrations = s_probe_migrations,
                                         .commands = s_no_commands};

/* The one handled kind: a row per application (no UNIQUE: a second application shows). */
static int s_on_screened(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a)
{
    (void)self;
    (void)a;
    char seq[24], id[24];
    const char *p[] = {hf_pg_i64(seq, (int64_t)env->seq),
                       hf_pg_i64(id, env->customer_screened->customer_id)};
    return hf_store_run(hf_service_store(svc), "INSERT INTO hit (seq, customer_id) VALUES ($1, $2)",
                        2, p) == 0
               ? 0
               : -1;
}

/* A handler that fails the same way every time with the store connected (a NOT NULL
 * column): the event is a poison one, to be set aside after a few tries. */
static int s_on_completed(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a)
{
    (void)self;
    (void)a;
    char seq[24];
    const char *p[] = {hf_pg_i64(seq, (int64_t)env->seq)};
    return hf_store_run(hf_service_store(svc),
                        "INSERT INTO hit (seq, customer_id) VALUES ($1, NULL)", 1, p) == 0
               ? 0
               : -1;
}

/* task_assigned held (its sequence and task), applied by the batch hook: a hit each, but
 * task 99 fails there every time, named to the framework. */
#define HELD_MAX 1000
static uint64_t s_held_seq[HELD_MAX];
static int64_t s_held_task[HELD_MAX];
static int s_nheld;

static int s_held_write(hf_service_t *svc)
{
    int rc = 0;
    for (int i = 0; i < s_nheld && rc == 0; i++) {
        if (s_held_task[i] == 99) {
            hf_service_event_failed(svc, s_held_seq[i]);
            rc = -1;
            break;
        }
        char seq[24], id[24];
        const char *p[] = {hf_pg_i64(seq, (int64_t)s_held_seq[i]), hf_pg_i64(id, s_held_task[i])};
        rc = hf_store_run(hf_service_store(svc),
                          "INSERT INTO hit (seq, customer_id) VALUES ($1, $2)", 2, p);
    }
    s_nheld = 0;
    return rc == 0 ? 0 : -1;
}

static int s_on_assigned(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a)
{
    (void)self;
    (void)a;
    if (s_nheld == HELD_MAX && s_held_write(svc) != 0)
        return -1;
    s_held_seq[s_nheld] = env->seq;
    s_held_task[s_nheld] = env->task_assigned->task ? env->task_assigned->task->id : 0;
    s_nheld++;
    return 0;
}

static int s_batch(hf_service_t *svc, void *self, bool commit)
{
    (void)self;
    if (!commit) {
        s_nheld = 0;
        return 0;
    }
    return s_held_write(svc);
}

static const hf_event_handler_t s_probe_handlers[] = {
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_SCREENED, s_on_screened},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_COMPLETED, s_on_completed},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_ASSIGNED, s_on_assigned},
    {0, NULL}};

static int s_subscribe(hf_service_t *svc, const hf_service_def_t *def)
{
    (void)def;
    hf_service_on_batch(svc, s_batch);
    return hf_service_subscribe(svc, "scheduler", s_probe_handlers);
}

static pid_t s_start(const hf_service_def_t *def, const char *bind, const char *events)
{
    static const char *const env[] = {"HUIFANG_HEARTBEAT_MS=200", "HUIFANG_LOG_LEVEL=warn",
                                      "HUIFANG_CLOCK=real", NULL};
    hf_test_child_t child = {s_url, bind, events, env, def == &s_probe ? s_subscribe : NULL};
    return hf_test_start(def, &child);
}

/* The first value of a query on the probe's schema as an integer (-1 on failure). */
static int64_t s_num(const char *sql)
{
    hf_store_t *st = hf_store_new(s_url, "probe");
    int64_t v = -1;
    if (hf_store_connect(st) == 0) {
        PGresult *res = hf_store_exec(st, sql, 0, NULL);
        if (res && PQntuples(res) == 1)
            v = hf_pg_int(res, 0, 0);
        if (res)
            PQclear(res);
    }
    hf_store_destroy(&st);
    return v;
}

/* Appends n events to the stand-in producer's outbox in one transaction: every k-th (from
 * the first) handled, the others not. Returns how many handled. */
static int s_produce(int n, int k)
{
    hf_store_t *st = hf_store_new(s_url, "scheduler");
    CHECK(hf_store_connect(st) == 0);
    CHECK(hf_store_begin(st) == 0);
    int handled = 0;
    for (int i = 0; i < n; i++) {
        hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
        env.branch = "BJ01";
        Huifang__V1__CustomerScreened cs = HUIFANG__V1__CUSTOMER_SCREENED__INIT;
        Huifang__V1__PlanEnded pe = HUIFANG__V1__PLAN_ENDED__INIT;
        if (i % k == 0) {
            cs.customer_id = 1000 + i;
            cs.reason = "unanswered";
            env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_SCREENED;
            env.customer_screened = &cs;
            handled++;
        } else {
            pe.plan_id = i;
            pe.state = "archived";
            pe.reason = "supply-used-up";
            env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_PLAN_ENDED;
            env.plan_ended = &pe;
        }
        CHECK(hf_outbox_append(st, "scheduler", &env) > 0);
    }
    CHECK(hf_store_commit(st) == 0);
    hf_store_destroy(&st);
    return handled;
}

/* Appends a task_completed (the poison event) and then n customer_screened. */
static void s_produce_poison(int n)
{
    hf_store_t *st = hf_store_new(s_url, "scheduler");
    CHECK(hf_store_connect(st) == 0);
    CHECK(hf_store_begin(st) == 0);
    Huifang__V1__Task t = HUIFANG__V1__TASK__INIT;
    t.id = 77;
    Huifang__V1__TaskCompleted tc = HUIFANG__V1__TASK_COMPLETED__INIT;
    tc.task = &t;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = "BJ01";
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_COMPLETED;
    env.task_completed = &tc;
    CHECK(hf_outbox_append(st, "scheduler", &env) > 0);
    for (int i = 0; i < n; i++) {
        Huifang__V1__CustomerScreened cs = HUIFANG__V1__CUSTOMER_SCREENED__INIT;
        cs.customer_id = 5000 + i;
        cs.reason = "unanswered";
        hf_envelope_t e = HUIFANG__V1__ENVELOPE__INIT;
        e.branch = "BJ01";
        e.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_SCREENED;
        e.customer_screened = &cs;
        CHECK(hf_outbox_append(st, "scheduler", &e) > 0);
    }
    CHECK(hf_store_commit(st) == 0);
    hf_store_destroy(&st);
}

/* Appends n task_assigned of tasks 1..n, task 99's (the one failing in the hook) after the
 * first half of them, in one transaction. */
static void s_produce_held(int n)
{
    hf_store_t *st = hf_store_new(s_url, "scheduler");
    CHECK(hf_store_connect(st) == 0);
    CHECK(hf_store_begin(st) == 0);
    for (int i = 0; i <= n; i++) {
        Huifang__V1__Task t = HUIFANG__V1__TASK__INIT;
        t.id = i == n / 2 ? 99 : i < n / 2 ? i + 1 : i;
        t.agent = "A001";
        Huifang__V1__TaskAssigned ta = HUIFANG__V1__TASK_ASSIGNED__INIT;
        ta.task = &t;
        hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
        env.branch = "BJ01";
        env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_ASSIGNED;
        env.task_assigned = &ta;
        CHECK(hf_outbox_append(st, "scheduler", &env) > 0);
    }
    CHECK(hf_store_commit(st) == 0);
    hf_store_destroy(&st);
}

/* Waits (up to 20 s) until the probe's stored sequence for scheduler reaches seq. */
static bool s_wait_stored(int64_t seq)
{
    int64_t got = -1;
    for (int i = 0; i < 400; i++) {
        got = s_num("SELECT last_seq FROM consumer_offset WHERE producer = 'scheduler'");
        if (got == seq)
            return true;
        usleep(50000);
    }
    fprintf(stderr, "stored sequence %lld, want %lld\n", (long long)got, (long long)seq);
    return false;
}

/* Waits (up to 20 s) until no other backend is connected to the test's database: a backend
 * that ends reports its statistics before it leaves pg_stat_activity, so pg_stat_user_tables
 * then counts all of the exited probes' writes (a fixed pause can be too short on a loaded
 * machine). */
static bool s_wait_backends_gone(void)
{
    int64_t n = -1;
    for (int i = 0; i < 400; i++) {
        n = s_num("SELECT count(*) FROM pg_stat_activity"
                  " WHERE datname = current_database() AND pid <> pg_backend_pid()");
        if (n == 0)
            return true;
        usleep(50000);
    }
    fprintf(stderr, "%lld other backends still connected\n", (long long)n);
    return false;
}

/* Every handled event applied exactly once: as many rows as handled, none twice. */
static void s_check_hits(int want)
{
    CHECK_INT(s_num("SELECT count(*) FROM hit"), want);
    CHECK_INT(s_num("SELECT count(DISTINCT seq) FROM hit"), want);
}

/* The probe's two instances' endpoints: the probe has no port of its own in the table */
static char s_bind1[64], s_events1[64], s_bind2[64], s_events2[64];

/* Starts the producer and the probe on this block of ports; true when both run. */
static bool s_up(int base, void *arg)
{
    pid_t *kids = arg;
    snprintf(s_bind1, sizeof s_bind1, "tcp://127.0.0.1:%d", base + 45);
    snprintf(s_events1, sizeof s_events1, "tcp://127.0.0.1:%d", base + 46);
    snprintf(s_bind2, sizeof s_bind2, "tcp://127.0.0.1:%d", base + 47);
    snprintf(s_events2, sizeof s_events2, "tcp://127.0.0.1:%d", base + 48);
    kids[0] = s_start(&s_producer, NULL, NULL);
    kids[1] = s_start(&s_probe, s_bind1, s_events1);
    return hf_test_settled(kids, 2, 700);
}

int main(void)
{
    hf_log_init("test_consumer", "warn");
    /* about the service's logic, not the wire: plain sockets (test_curve covers CURVE) */
    setenv("HUIFANG_CURVE", "off", 1);
    hf_test_create_db("consumer", s_url);
    /* a block of 50 ports; another block when one of these is taken (a child that cannot
     * bind exits at once) */
    pid_t kids[2] = {0, 0};
    bool up = hf_test_ports(41, 0, s_up, kids);
    pid_t producer = kids[0], probe = kids[1];
    CHECK(up);
    if (!up) {
        hf_test_drop_db(s_url);
        TEST_DONE();
    }

    /* A: 300 events, one in ten handled */
    TEST_STEP("A: 300 events, one in ten handled");
    int handled = s_produce(300, 10);
    int64_t total = 300;
    CHECK(s_wait_stored(total));
    s_check_hits(handled);

    /* B: killed right after a burst of 500 (its stored sequence may lag), then restarted */
    TEST_STEP("B: killed right after a burst of 500 (its stored ...");
    handled += s_produce(500, 25);
    total += 500;
    usleep(300000);
    hf_test_stop(probe, SIGKILL);
    probe = s_start(&s_probe, s_bind1, s_events1);
    CHECK(s_wait_stored(total));
    s_check_hits(handled);

    /* C: a second instance beside the first while 1000 more come in */
    TEST_STEP("C: a second instance beside the first while 1000 more ...");
    pid_t probe2 = s_start(&s_probe, s_bind2, s_events2);
    usleep(500000);
    for (int i = 0; i < 4; i++) {
        handled += s_produce(250, 3);
        total += 250;
    }
    CHECK(s_wait_stored(total));
    s_check_hits(handled);

    hf_test_stop(probe2, SIGTERM);

    /* E: an event whose handler fails deterministically goes to the dead letters with the
     * store's reason after a bounded number of tries, and the stream moves on */
    TEST_STEP("E: an event whose handler fails deterministically goes ...");
    s_produce_poison(3);
    handled += 3;
    total += 4;
    CHECK(s_wait_stored(total));
    s_check_hits(handled);
    CHECK_INT(s_num("SELECT count(*) FROM dead_letter WHERE reason LIKE 'handler failed 5 times:%'"
                    " AND reason LIKE '%null value%'"),
              1);

    /* F: held events, one of them failing in the batch hook, named */
    TEST_STEP("F: held events, one of them failing in the batch hook, named");
    s_produce_held(10);
    CHECK(s_wait_stored(total + 11));
    CHECK_INT(s_num("SELECT count(*) FROM hit WHERE customer_id BETWEEN 1 AND 10"), 10);
    CHECK_INT(s_num("SELECT count(DISTINCT seq) FROM hit WHERE customer_id BETWEEN 1 AND 10"), 10);
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM dead_letter WHERE seq = %lld"
             " AND reason LIKE 'handler failed 5 times:%%'",
             (long long)total + 6);
    CHECK_INT(s_num(sql), 1);
    CHECK_INT(s_num("SELECT count(*) FROM dead_letter"), 2);
    handled += 10;
    total += 11;

    hf_test_stop(probe, SIGTERM);
    hf_test_stop(producer, SIGTERM);

    /* the point of it: far fewer writes of the stored sequence than events, and than
     * handled events too: a burst is applied in batches, each storing the sequence once (it
     * was once per handled event, and once per event before that). The probes have exited,
     * so their backends' statistics are in once the backends are gone. */
    CHECK(s_wait_backends_gone());
    int64_t writes = s_num("SELECT n_tup_upd FROM pg_stat_user_tables"
                           " WHERE schemaname = 'probe' AND relname = 'consumer_offset'");
    fprintf(stderr, "events %lld, handled %d, stored sequence written %lld times\n",
            (long long)total, handled, (long long)writes);
    CHECK(writes >= 1 && writes < handled / 4);
    hf_test_drop_db(s_url);
    TEST_DONE();
}
