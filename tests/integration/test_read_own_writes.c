/* Read your own writes across services, against real Postgres and ZeroMQ: a stand-in
 * producer ("scheduler": the service loop with one write command that emits an event) and a
 * probe that consumes it (each customer_screened event is a row in its table hit) and
 * answers one read command with the number of rows it has applied.
 *
 *  A. a write's reply names its event: producer, sequence, and the stream's epoch (the one
 *     ping shows); a retry with the same idempotency key names the same place; the event
 *     takes its number as the write commits (the producer's counter row is not locked while
 *     the command runs);
 *  B. a read carrying that place ('after') is answered after the event is applied;
 *  C. the producer paused, an event committed but not delivered: a read naming it is held
 *     (no answer while the event is missing; the probe still answers other requests), and
 *     answered — with the event applied — once the producer delivers;
 *  D. the producer gone for good: the read is answered UNAVAILABLE after read_wait_ms, the
 *     error naming the producer and both sequences;
 *  (and, on the side, a command whose statement fails with the store up answers INTERNAL,
 *  never UNAVAILABLE "safe to retry");
 *  E. places the probe cannot judge are ignored at once: a producer it does not consume,
 *     another epoch, a sequence past the producer's last (after a catch-up); too many
 *     places and a truncated list are bad input;
 *  F. a catch-up under way when a read is parked, ended by a replay the producer answered
 *     before the read's event was committed, says nothing about that event: the read stays
 *     held until the event is applied (it was answered at once without it, and the national
 *     day's agents were handed the same task twice);
 *  G. another instance of the probe applying the same events (here: the test, holding the
 *     probe's stored sequence locked): the probe does not wait for that lock — it goes on
 *     answering requests (it used to stop its loop until the lock was let go) — and a read
 *     naming an event that other instance applies is answered once it commits, the event
 *     applied there once and not again here;
 *  H. a read parked for an event while a queue of slow requests waits: the event is applied
 *     and the read answered within a few of them (a turn of the loop had taken up to 100
 *     requests before the events it had received: a saturated scheduler's parked claims timed
 *     out into retries). */
#include "hf_bus.h"
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_outbox.h"
#include "hf_service.h"
#include "hf_store.h"
#include "hf_test.h"
#include "hf_test_stack.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#define READ_WAIT_MS 4000

static char s_url[256];
static char s_probe_ep[64], s_probe_events[64], s_producer_ep[64];

static const hf_migration_t s_none[] = {{0, NULL, NULL}};
static const hf_migration_t s_probe_migrations[] = {
    {1, "001_hit.sql", "CREATE TABLE hit (seq bigint NOT NULL, customer_id bigint NOT NULL)"},
    {0, NULL, NULL}};

/* The producer's one command: emits a customer_screened event. */
static int s_screen(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                    hf_arena_t *arena)
{
    (void)self;
    (void)req;
    (void)arena;
    Huifang__V1__CustomerScreened cs = HUIFANG__V1__CUSTOMER_SCREENED__INIT;
    cs.customer_id = 42;
    cs.reason = "unanswered";
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_SCREENED;
    env.customer_screened = &cs;
    if (hf_service_emit(svc, &env) != 0)
        return hf_fail(rep, arena, HF_INTERNAL, NULL, "emit");
    /* the event takes its sequence number as the transaction commits: until then another
     * writer of this producer (another instance) is not held up by the counter row */
    hf_store_t *other = hf_store_new(s_url, "scheduler");
    PGresult *res = hf_store_connect(other) == 0
                        ? hf_store_exec(other,
                                        "SELECT last_seq FROM outbox_seq WHERE producer ="
                                        " 'scheduler' FOR UPDATE NOWAIT",
                                        0, NULL)
                        : NULL;
    rep->note = res ? "counter free" : "counter locked";
    if (res)
        PQclear(res);
    hf_store_destroy(&other);
    return HF_OK;
}

/* The probe's one command: how many events it has applied, in the note. */
static int s_count_hits(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *arena)
{
    (void)self;
    (void)req;
    PGresult *res = hf_store_exec(hf_service_store(svc), "SELECT count(*) FROM hit", 0, NULL);
    if (res == NULL)
        return hf_fail(rep, arena, HF_UNAVAILABLE, NULL, "store");
    rep->note = hf_arena_printf(arena, "%lld", (long long)hf_pg_int(res, 0, 0));
    PQclear(res);
    return HF_OK;
}

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

/* A command that gives up after a failed statement the way many handlers do: a bare
 * UNAVAILABLE, nothing said. */
static int s_bad_sql(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                     hf_arena_t *arena)
{
    (void)self;
    (void)req;
    (void)rep;
    (void)arena;
    PGresult *res =
        hf_store_exec(hf_service_store(svc), "SELECT nothing FROM no_such_table", 0, NULL);
    if (res == NULL)
        return HF_UNAVAILABLE;
    PQclear(res);
    return HF_OK;
}

/* The probe's slow command: 20 ms in the store (a claim on a busy store), for H. */
static int s_slow(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                  hf_arena_t *arena)
{
    (void)self;
    (void)req;
    PGresult *res = hf_store_exec(hf_service_store(svc), "SELECT pg_sleep(0.02)", 0, NULL);
    if (res == NULL)
        return hf_fail(rep, arena, HF_UNAVAILABLE, NULL, "store");
    PQclear(res);
    rep->note = "slow";
    return HF_OK;
}

static const hf_command_t s_producer_commands[] = {
    {HUIFANG__V1__REQUEST__COMMAND_PLAN_ADD, s_screen, true, 0},
    {HUIFANG__V1__REQUEST__COMMAND_QUEUE_REBUILD, s_bad_sql, true, 0},
    {0, NULL, false, 0}};
static const hf_command_t s_probe_commands[] = {
    {HUIFANG__V1__REQUEST__COMMAND_QUEUE_STATS, s_count_hits, false, 0},
    {HUIFANG__V1__REQUEST__COMMAND_QUEUE_REBUILD, s_slow, false, 0},
    {0, NULL, false, 0}};
static const hf_service_def_t s_producer = {.name = "scheduler",
                                            .summary = "a stand-in producer",
                                            .migrations = s_none,
                                            .commands = s_producer_commands};
static const hf_service_def_t s_probe = {.name = "probe",
                                         .summary = "a consumer under test",
                                         .migrations = s_probe_migrations,
                                         .commands = s_probe_commands};
static const hf_event_handler_t s_probe_handlers[] = {
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_SCREENED, s_on_screened}, {0, NULL}};

static int s_subscribe(hf_service_t *svc, const hf_service_def_t *def)
{
    (void)def;
    return hf_service_subscribe(svc, "scheduler", s_probe_handlers);
}

static pid_t s_start(const hf_service_def_t *def)
{
    /* no ZeroMQ I/O thread may live across the fork: one holding a lock (the allocator's,
     * ASan's) at that instant would leave the child blocked on it for ever. Every socket of
     * this process is closed between calls, so the context can end here. */
    hf_bus_shutdown();
    char wait[64];
    snprintf(wait, sizeof wait, "HUIFANG_READ_WAIT_MS=%d", READ_WAIT_MS);
    const char *env[] = {"HUIFANG_HEARTBEAT_MS=200", "HUIFANG_LOG_LEVEL=warn", "HUIFANG_CLOCK=real",
                         wait, NULL};
    hf_test_child_t child = {s_url, s_probe_ep, s_probe_events, env,
                             def == &s_probe ? s_subscribe : NULL};
    return hf_test_start(def, &child);
}

/* One call; the reply (caller frees) or NULL when nobody answered in time. */
static hf_reply_t *s_call(const char *endpoint, hf_request_t *req, int timeout_ms)
{
    hf_client_t *c = hf_client_new(endpoint, timeout_ms, 1);
    hf_reply_t *rep = NULL;
    if (hf_client_call(c, req, &rep) != 0)
        rep = NULL;
    hf_client_destroy(&c);
    return rep;
}

/* The producer's write command, under an idempotency key. */
static hf_reply_t *s_write(const char *key)
{
    Huifang__V1__PlanAdd pa = HUIFANG__V1__PLAN_ADD__INIT;
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    req.branch = "BJ01";
    req.idempotency_key = (char *)key;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_PLAN_ADD;
    req.plan_add = &pa;
    return s_call(s_producer_ep, &req, 5000);
}

/* A probe read carrying n places. */
static void s_read_request(hf_request_t *req, Huifang__V1__QueueStats *qs,
                           Huifang__V1__StreamPosition **after, size_t n)
{
    huifang__v1__request__init(req);
    huifang__v1__queue_stats__init(qs);
    req->command_case = HUIFANG__V1__REQUEST__COMMAND_QUEUE_STATS;
    req->queue_stats = qs;
    req->after = after;
    req->n_after = n;
}

static hf_reply_t *s_read_after(const char *producer, uint64_t seq, const char *epoch,
                                int timeout_ms)
{
    Huifang__V1__StreamPosition p = HUIFANG__V1__STREAM_POSITION__INIT;
    p.producer = (char *)producer;
    p.seq = seq;
    p.epoch = (char *)epoch;
    Huifang__V1__StreamPosition *list[] = {&p};
    hf_request_t req;
    Huifang__V1__QueueStats qs;
    s_read_request(&req, &qs, list, 1);
    return s_call(s_probe_ep, &req, timeout_ms);
}

/* Appends one event to the producer's outbox directly (as its command would, but with
 * nobody to publish it while the producer is paused or gone). Returns its sequence. */
static int64_t s_append_direct(void)
{
    hf_store_t *st = hf_store_new(s_url, "scheduler");
    int64_t seq = -1;
    if (hf_store_connect(st) == 0 && hf_store_begin(st) == 0) {
        Huifang__V1__CustomerScreened cs = HUIFANG__V1__CUSTOMER_SCREENED__INIT;
        cs.customer_id = 43;
        cs.reason = "unanswered";
        hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
        env.branch = "BJ01";
        env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_SCREENED;
        env.customer_screened = &cs;
        seq = hf_outbox_append(st, "scheduler", &env);
        if (seq < 0 || hf_store_commit(st) != 0)
            seq = -1;
    }
    hf_store_destroy(&st);
    return seq;
}

/* A REQ socket to the probe, connected (the handshake done, so that what it sends later goes
 * straight to the probe's side of the connection), or NULL. */
static void *s_probe_socket(void)
{
    void *sock = zmq_socket(hf_bus_context(), ZMQ_REQ);
    int linger = 0, immediate = 1;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sock, ZMQ_IMMEDIATE, &immediate, sizeof immediate);
    zmq_connect(sock, s_probe_ep);
    zmq_pollitem_t out = {sock, 0, ZMQ_POLLOUT, 0};
    if (zmq_poll(&out, 1, 5000) != 1) {
        zmq_close(sock);
        return NULL;
    }
    return sock;
}

/* Sends on sock a read naming the producer's event seq. */
static bool s_send_read(void *sock, const char *id, uint64_t seq, const char *epoch)
{
    Huifang__V1__StreamPosition p = HUIFANG__V1__STREAM_POSITION__INIT;
    p.producer = "scheduler";
    p.seq = seq;
    p.epoch = (char *)epoch;
    Huifang__V1__StreamPosition *list[] = {&p};
    hf_request_t req;
    Huifang__V1__QueueStats qs;
    s_read_request(&req, &qs, list, 1);
    req.request_id = (char *)id;
    size_t len = huifang__v1__request__get_packed_size(&req);
    uint8_t *buf = malloc(len);
    huifang__v1__request__pack(&req, buf);
    bool sent = zmq_send(sock, buf, len, 0) == (int)len;
    free(buf);
    return sent;
}

/* The reply waiting on sock (within ms), or NULL. */
static hf_reply_t *s_take_reply(void *sock, int ms)
{
    zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, ms) != 1)
        return NULL;
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    hf_reply_t *r = NULL;
    if (zmq_msg_recv(&msg, sock, 0) >= 0)
        r = huifang__v1__reply__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
    zmq_msg_close(&msg);
    return r;
}

static bool s_note_is(const hf_reply_t *rep, const char *want)
{
    return rep && rep->status == HF_OK && rep->note && strcmp(rep->note, want) == 0;
}

#define FLOOD 150

/* H: sends FLOOD slow requests to the probe on a DEALER, waits for the first reply (the probe
 * is then in a turn of them), lets the paused producer go on (its event reaches the probe),
 * and counts the slow replies that come before the reply on held (*out: that reply, or NULL
 * after 10 s). */
static int s_flood_then_count(pid_t producer, void *held, hf_reply_t **out)
{
    *out = NULL;
    void *d = zmq_socket(hf_bus_context(), ZMQ_DEALER);
    int linger = 0, hwm = 0;
    zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(d, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_connect(d, s_probe_ep);
    zmq_pollitem_t out_item = {d, 0, ZMQ_POLLOUT, 0};
    int slow = -1;
    if (zmq_poll(&out_item, 1, 5000) != 1)
        goto done;
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    Huifang__V1__QueueRebuild qr = HUIFANG__V1__QUEUE_REBUILD__INIT;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_QUEUE_REBUILD;
    req.queue_rebuild = &qr;
    size_t len = huifang__v1__request__get_packed_size(&req);
    uint8_t *buf = malloc(len);
    huifang__v1__request__pack(&req, buf);
    for (int i = 0; i < FLOOD; i++) {
        zmq_send(d, "", 0, ZMQ_SNDMORE);
        zmq_send(d, buf, len, 0);
    }
    free(buf);
    slow = 0;
    bool released = false;
    for (int64_t end = hf_clock_mono_ms() + 10000; hf_clock_mono_ms() < end;) {
        zmq_pollitem_t items[2] = {{held, 0, ZMQ_POLLIN, 0}, {d, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 2, 1000) <= 0)
            continue;
        if (items[0].revents & ZMQ_POLLIN) {
            *out = s_take_reply(held, 0);
            break;
        }
        zmq_msg_t m;
        zmq_msg_init(&m);
        zmq_msg_recv(&m, d, 0); /* the empty delimiter */
        if (zmq_msg_more(&m))
            zmq_msg_recv(&m, d, 0);
        zmq_msg_close(&m);
        slow++;
        if (!released) {
            kill(producer, SIGCONT); /* the probe is in its turn of slow requests now */
            released = true;
        }
    }
    if (!released)
        kill(producer, SIGCONT);
done:
    zmq_close(d);
    return slow;
}

/* Starts the producer and the probe on this block of ports; true when both run. */
static bool s_up(int base, void *arg)
{
    pid_t *kids = arg;
    snprintf(s_probe_ep, sizeof s_probe_ep, "tcp://127.0.0.1:%d", base + 45);
    snprintf(s_probe_events, sizeof s_probe_events, "tcp://127.0.0.1:%d", base + 46);
    hf_endpoint_commands("scheduler", s_producer_ep, sizeof s_producer_ep);
    kids[0] = s_start(&s_producer);
    kids[1] = s_start(&s_probe);
    return hf_test_settled(kids, 2, 700);
}

int main(void)
{
    hf_log_init("test_read_own_writes", "warn");
    /* about the service's logic, not the wire: plain sockets (test_curve covers CURVE) */
    setenv("HUIFANG_CURVE", "off", 1);
    hf_test_create_db("ryow", s_url);
    /* a block of 50 ports; another block when one is taken */
    pid_t kids[2] = {0, 0};
    bool up = hf_test_ports(37, 0, s_up, kids);
    pid_t producer = kids[0], probe = kids[1];
    CHECK(up);
    if (!up) {
        hf_test_drop_db(s_url);
        TEST_DONE();
    }

    /* A: the write names its event; ping shows the same epoch; a retry names the same place */
    TEST_STEP("A: the write names its event");
    hf_reply_t *w = s_write("write-1");
    CHECK(w && w->status == HF_OK && w->written);
    if (w == NULL || w->written == NULL) {
        hf_test_stop(probe, SIGKILL);
        hf_test_stop(producer, SIGKILL);
        TEST_DONE();
    }
    CHECK_STR(w->written->producer, "scheduler");
    CHECK_INT(w->written->seq, 1);
    CHECK_STR(w->note, "counter free");
    CHECK_INT(strlen(w->written->epoch), 36);
    char epoch[40];
    snprintf(epoch, sizeof epoch, "%s", w->written->epoch);
    huifang__v1__reply__free_unpacked(w, NULL);
    w = s_write("write-1");
    CHECK(w && w->written && w->written->seq == 1 && strcmp(w->written->epoch, epoch) == 0);
    if (w)
        huifang__v1__reply__free_unpacked(w, NULL);
    hf_request_t ping = HUIFANG__V1__REQUEST__INIT;
    Huifang__V1__Ping pp = HUIFANG__V1__PING__INIT;
    ping.command_case = HUIFANG__V1__REQUEST__COMMAND_PING;
    ping.ping = &pp;
    hf_reply_t *r = s_call(s_producer_ep, &ping, 5000);
    CHECK(r && r->ping && strcmp(r->ping->epoch, epoch) == 0);
    if (r)
        huifang__v1__reply__free_unpacked(r, NULL);

    /* (a failed statement with the store up is an internal error, exit 1, never "safe to
     * retry": the framework tells a bare UNAVAILABLE from a lost connection) */
    hf_request_t bad = HUIFANG__V1__REQUEST__INIT;
    Huifang__V1__QueueRebuild qr = HUIFANG__V1__QUEUE_REBUILD__INIT;
    bad.command_case = HUIFANG__V1__REQUEST__COMMAND_QUEUE_REBUILD;
    bad.queue_rebuild = &qr;
    r = s_call(s_producer_ep, &bad, 5000);
    CHECK(r && r->status == HF_INTERNAL);
    if (r) {
        CHECK(strstr(r->error, "failed on a store error") != NULL);
        CHECK(strstr(r->error, "safe to retry") == NULL);
        CHECK(r->written == NULL);
        huifang__v1__reply__free_unpacked(r, NULL);
    }

    /* B: a read after the write sees it */
    TEST_STEP("B: a read after the write sees it");
    r = s_read_after("scheduler", 1, epoch, 10000);
    CHECK(s_note_is(r, "1"));
    if (r)
        huifang__v1__reply__free_unpacked(r, NULL);

    /* C: the producer paused with event 2 committed: the read naming it is held */
    TEST_STEP("C: the producer paused with event 2 committed: the read ...");
    kill(producer, SIGSTOP);
    CHECK_INT(s_append_direct(), 2);
    Huifang__V1__StreamPosition p2 = HUIFANG__V1__STREAM_POSITION__INIT;
    p2.producer = "scheduler";
    p2.seq = 2;
    p2.epoch = epoch;
    Huifang__V1__StreamPosition *list2[] = {&p2};
    hf_request_t held;
    Huifang__V1__QueueStats qs;
    s_read_request(&held, &qs, list2, 1);
    held.request_id = "held-1";
    size_t len = huifang__v1__request__get_packed_size(&held);
    uint8_t *buf = malloc(len);
    huifang__v1__request__pack(&held, buf);
    void *sock = zmq_socket(hf_bus_context(), ZMQ_REQ);
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(sock, s_probe_ep);
    int64_t t0 = hf_clock_mono_ms();
    CHECK(zmq_send(sock, buf, len, 0) == (int)len);
    free(buf);
    /* no answer while the event is missing: the bound is READ_WAIT_MS, so half a second of
     * silence is the request being held, not a slow answer */
    zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
    CHECK_INT(zmq_poll(&item, 1, 500), 0);
    /* meanwhile the probe serves a read that names nothing */
    hf_request_t plain;
    Huifang__V1__QueueStats qs2;
    s_read_request(&plain, &qs2, NULL, 0);
    r = s_call(s_probe_ep, &plain, 3000);
    CHECK(s_note_is(r, "1"));
    if (r)
        huifang__v1__reply__free_unpacked(r, NULL);
    kill(producer, SIGCONT);
    int n = zmq_poll(&item, 1, READ_WAIT_MS + 2000);
    CHECK_INT(n, 1);
    if (n == 1) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        zmq_msg_recv(&msg, sock, 0);
        r = huifang__v1__reply__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
        zmq_msg_close(&msg);
        CHECK(r && strcmp(r->request_id, "held-1") == 0);
        CHECK(s_note_is(r, "2")); /* answered with the event applied */
        if (r && !s_note_is(r, "2"))
            fprintf(stderr, "held read: status %d error \"%s\" note \"%s\"\n", (int)r->status,
                    r->error, r->note);
        if (r)
            huifang__v1__reply__free_unpacked(r, NULL);
        fprintf(stderr, "held read answered after %lld ms\n", (long long)(hf_clock_mono_ms() - t0));
    }
    zmq_close(sock);

    /* D: the producer gone, event 3 committed and never delivered: UNAVAILABLE after the
     * bound, naming the producer and both sequences */
    TEST_STEP("D: the producer gone, event 3 committed and never ...");
    hf_test_stop(producer, SIGKILL);
    CHECK_INT(s_append_direct(), 3);
    t0 = hf_clock_mono_ms();
    r = s_read_after("scheduler", 3, epoch, READ_WAIT_MS + 5000);
    int64_t waited = hf_clock_mono_ms() - t0;
    CHECK(r && r->status == HF_UNAVAILABLE);
    if (r) {
        CHECK_STR(r->field, "after");
        CHECK(strstr(r->error, "scheduler event 3") != NULL);
        CHECK(strstr(r->error, "applied up to 2") != NULL);
        fprintf(stderr, "unavailable after %lld ms: %s\n", (long long)waited, r->error);
        huifang__v1__reply__free_unpacked(r, NULL);
    }
    CHECK(waited >= READ_WAIT_MS - 100 && waited < READ_WAIT_MS + 3000);

    /* E: what the probe cannot judge is ignored at once, even with the producer gone */
    TEST_STEP("E: what the probe cannot judge is ignored at once, even ...");
    r = s_read_after("nosuch", 999, "x", 3000);
    CHECK(s_note_is(r, "2"));
    if (r)
        huifang__v1__reply__free_unpacked(r, NULL);
    r = s_read_after("scheduler", 999999, "another-epoch", 3000);
    CHECK(s_note_is(r, "2"));
    if (r)
        huifang__v1__reply__free_unpacked(r, NULL);
    r = s_read_after("", 5, "", 3000);
    CHECK(s_note_is(r, "2"));
    if (r)
        huifang__v1__reply__free_unpacked(r, NULL);
    /* too many places: bad input, naming the field */
    Huifang__V1__StreamPosition many[17], *manyp[17];
    for (int i = 0; i < 17; i++) {
        huifang__v1__stream_position__init(&many[i]);
        many[i].producer = "scheduler";
        many[i].seq = 1;
        manyp[i] = &many[i];
    }
    hf_request_t toomany;
    Huifang__V1__QueueStats qs3;
    s_read_request(&toomany, &qs3, manyp, 17);
    r = s_call(s_probe_ep, &toomany, 3000);
    CHECK(r && r->status == HF_BAD_INPUT && strcmp(r->field, "after") == 0);
    if (r)
        huifang__v1__reply__free_unpacked(r, NULL);
    /* a truncated place (field 5 claims 16 bytes, 2 follow): a malformed request */
    sock = zmq_socket(hf_bus_context(), ZMQ_REQ);
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(sock, s_probe_ep);
    unsigned char junk[] = {0x2a, 0x10, 0x0a, 0x01};
    zmq_send(sock, junk, sizeof junk, 0);
    item.socket = sock;
    CHECK_INT(zmq_poll(&item, 1, 3000), 1);
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) >= 0) {
        r = huifang__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        CHECK(r && r->status == HF_BAD_INPUT && strcmp(r->field, "request") == 0);
        if (r)
            huifang__v1__reply__free_unpacked(r, NULL);
    }
    zmq_msg_close(&m);
    zmq_close(sock);

    /* the producer back (same database, same epoch): event 3 arrives, and a place past the
     * producer's last is ignored once a catch-up has shown it is past */
    producer = s_start(&s_producer);
    r = s_read_after("scheduler", 3, epoch, READ_WAIT_MS + 5000);
    CHECK(s_note_is(r, "3"));
    if (r)
        huifang__v1__reply__free_unpacked(r, NULL);
    t0 = hf_clock_mono_ms();
    r = s_read_after("scheduler", 1000000, epoch, READ_WAIT_MS + 5000);
    waited = hf_clock_mono_ms() - t0;
    CHECK(s_note_is(r, "3"));
    CHECK(waited < READ_WAIT_MS);
    if (r)
        huifang__v1__reply__free_unpacked(r, NULL);

    /* F: the producer paused, event 4 committed: a read naming it is held, and after its
     * grace (100 ms) the probe asks the paused producer for a replay */
    TEST_STEP("F: a catch-up ended by a replay asked for before the park ...");
    void *sa = s_probe_socket(), *sb = s_probe_socket();
    CHECK(sa != NULL && sb != NULL);
    kill(producer, SIGSTOP);
    CHECK_INT(s_append_direct(), 4);
    CHECK(sa && s_send_read(sa, "held-4", 4, epoch));
    item.socket = sa;
    CHECK_INT(zmq_poll(&item, 1, 300), 0); /* held; the replay asked for meanwhile */
    /* the probe paused, the producer answers that replay (event 4, its last) into the probe's
     * connection: the second ping answered comes from a later turn of its loop than the
     * replay's answer */
    kill(probe, SIGSTOP);
    kill(producer, SIGCONT);
    for (int i = 0; i < 2; i++) {
        r = s_call(s_producer_ep, &ping, 5000);
        CHECK(r && r->status == HF_OK);
        if (r)
            huifang__v1__reply__free_unpacked(r, NULL);
    }
    /* the producer paused again, event 5 committed, and a read naming it waiting for the
     * probe: when the probe goes on, the replay's answer (asked for before event 5 was
     * committed) ends its catch-up after that read was parked */
    kill(producer, SIGSTOP);
    CHECK_INT(s_append_direct(), 5);
    CHECK(sb && s_send_read(sb, "held-5", 5, epoch));
    kill(probe, SIGCONT);
    r = sa ? s_take_reply(sa, 5000) : NULL;
    CHECK(r && strcmp(r->request_id, "held-4") == 0 && s_note_is(r, "4"));
    if (r)
        huifang__v1__reply__free_unpacked(r, NULL);
    /* event 5 is not delivered: no answer (before, at once: "4", without event 5) */
    r = sb ? s_take_reply(sb, 700) : NULL;
    CHECK(r == NULL);
    if (r) {
        fprintf(stderr, "read of event 5 answered early: status %d note \"%s\" error \"%s\"\n",
                (int)r->status, r->note, r->error);
        huifang__v1__reply__free_unpacked(r, NULL);
    }
    kill(producer, SIGCONT);
    r = sb ? s_take_reply(sb, READ_WAIT_MS + 2000) : NULL;
    CHECK(r && strcmp(r->request_id, "held-5") == 0 && s_note_is(r, "5"));
    if (r)
        huifang__v1__reply__free_unpacked(r, NULL);
    if (sa)
        zmq_close(sa);
    if (sb)
        zmq_close(sb);

    /* G: the test plays another instance of the probe, in the middle of applying event 6 */
    TEST_STEP("G: the stored sequence locked by another instance ...");
    hf_store_t *other = hf_store_new(s_url, "probe");
    PGresult *lk = NULL;
    if (hf_store_connect(other) == 0 && hf_store_begin(other) == 0)
        lk = hf_store_exec(other,
                           "SELECT last_seq FROM consumer_offset WHERE producer = 'scheduler'"
                           " FOR UPDATE",
                           0, NULL);
    CHECK(lk && PQntuples(lk) == 1 && hf_pg_int(lk, 0, 0) == 5);
    if (lk)
        PQclear(lk);
    void *sg = s_probe_socket();
    CHECK(sg != NULL);
    w = s_write("write-g");
    CHECK(w && w->status == HF_OK && w->written && w->written->seq == 6);
    if (w)
        huifang__v1__reply__free_unpacked(w, NULL);
    CHECK(sg && s_send_read(sg, "held-6", 6, epoch));
    /* for a second and a half (event 6 reaches the probe within it), every read is answered
     * at once, without event 6 */
    Huifang__V1__QueueStats qs4;
    s_read_request(&plain, &qs4, NULL, 0);
    int answered = 0, early = 0;
    for (int64_t end = hf_clock_mono_ms() + 1500; hf_clock_mono_ms() < end;) {
        r = s_call(s_probe_ep, &plain, 1000);
        if (s_note_is(r, "5"))
            answered++;
        else
            early++;
        if (r)
            huifang__v1__reply__free_unpacked(r, NULL);
        if (r == NULL)
            break;
    }
    CHECK(answered >= 3);
    CHECK_INT(early, 0);
    /* the read naming event 6 is held meanwhile */
    r = sg ? s_take_reply(sg, 0) : NULL;
    CHECK(r == NULL);
    if (r)
        huifang__v1__reply__free_unpacked(r, NULL);
    /* the other instance applies event 6 and commits: the held read is answered with it, and
     * the probe does not apply it a second time */
    CHECK_INT(hf_store_run(other, "INSERT INTO hit (seq, customer_id) VALUES (6, 42)", 0, NULL), 0);
    CHECK_INT(hf_store_run(other,
                           "UPDATE consumer_offset SET last_seq = 6 WHERE producer = 'scheduler'",
                           0, NULL),
              0);
    CHECK_INT(hf_store_commit(other), 0);
    hf_store_destroy(&other);
    r = sg ? s_take_reply(sg, 3000) : NULL;
    CHECK(r && strcmp(r->request_id, "held-6") == 0 && s_note_is(r, "6"));
    if (r)
        huifang__v1__reply__free_unpacked(r, NULL);
    if (sg)
        zmq_close(sg);
    r = s_read_after("scheduler", 6, epoch, 3000);
    CHECK(s_note_is(r, "6"));
    if (r)
        huifang__v1__reply__free_unpacked(r, NULL);

    /* H: the probe busy with a queue of slow requests while a read is parked for event 7:
     * the event is applied, and the read answered, within a few of them */
    TEST_STEP("H: a parked read is not starved by a queue of slow requests");
    void *sh = s_probe_socket();
    CHECK(sh != NULL);
    kill(producer, SIGSTOP);
    CHECK_INT(s_append_direct(), 7);
    CHECK(sh && s_send_read(sh, "held-7", 7, epoch));
    item.socket = sh;
    CHECK_INT(zmq_poll(&item, 1, 300), 0); /* parked */
    int slow_before = s_flood_then_count(producer, sh, &r);
    CHECK(r && strcmp(r->request_id, "held-7") == 0 && s_note_is(r, "7"));
    if (r)
        huifang__v1__reply__free_unpacked(r, NULL);
    /* a turn of the loop took up to 100 requests (2 s of them here) before the events it
     * had meanwhile received: the read came after ~100 of them */
    fprintf(stderr, "H: %d slow replies before the parked read's\n", slow_before);
    CHECK(slow_before >= 1 && slow_before < 40);
    if (sh)
        zmq_close(sh);

    hf_test_stop(probe, SIGTERM);
    hf_test_stop(producer, SIGTERM);
    hf_test_drop_db(s_url);
    TEST_DONE();
}
