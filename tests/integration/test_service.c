/* A real service (intake's library, in a child process) over real ZeroMQ and Postgres:
 * ping, commands in one transaction, idempotency keys, bad input changing nothing, a
 * truncated protobuf, an unknown command, concurrent adds of one phone, the outbox relay
 * on the PUB socket, replay from a sequence, and a clean stop on SIGTERM. */
#include "hf_bus.h"
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_service.h"
#include "hf_store.h"
#include "hf_test.h"
#include "intake.h"
#include <signal.h>
#include <sys/wait.h>
#include <zmq.h>

static char s_endpoint[64];
static char s_events[64];

static pid_t s_start_intake(const char *url)
{
    pid_t pid = fork();
    if (pid == 0) {
        hf_bus_after_fork();
        setenv("HUIFANG_INTAKE_STORE_URL", url, 1);
        char *argv[] = {"huifang-intake", NULL};
        hf_service_t *svc = NULL;
        if (hf_service_new(&svc, &intake_def, NULL, 1, argv) != 0)
            _exit(3);
        hf_service_run(svc);
        hf_service_destroy(&svc);
        _exit(0);
    }
    return pid;
}

/* Sends one request; returns the reply (caller frees) or NULL when nobody answered. */
static hf_reply_t *s_call(hf_request_t *req)
{
    hf_client_t *c = hf_client_new(s_endpoint, 5000, 2);
    hf_reply_t *rep = NULL;
    if (hf_client_call(c, req, &rep) != 0)
        rep = NULL;
    hf_client_destroy(&c);
    return rep;
}

static hf_reply_t *s_add_lead(const char *key, const char *name, const char *phone)
{
    Huifang__V1__LeadAdd l = HUIFANG__V1__LEAD_ADD__INIT;
    l.name = (char *)name;
    l.phone = (char *)phone;
    l.channel = "counter";
    l.region = "chaoyang";
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    req.branch = "BJ01";
    req.idempotency_key = (char *)key;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_LEAD_ADD;
    req.lead_add = &l;
    return s_call(&req);
}

static int64_t s_count(const char *url, const char *sql)
{
    hf_store_t *st = hf_store_new(url, "intake");
    int64_t n = -1;
    if (hf_store_connect(st) == 0) {
        PGresult *r = hf_store_exec(st, sql, 0, NULL);
        if (r) {
            n = hf_pg_int(r, 0, 0);
            PQclear(r);
        }
    }
    hf_store_destroy(&st);
    return n;
}

int main(void)
{
    hf_log_init("test_service", "warn");
    /* about the service's logic, not the wire: plain sockets (test_curve covers CURVE) */
    setenv("HUIFANG_CURVE", "off", 1);
    char url[256];
    hf_test_create_db("service", url);
    /* a block of 50 ports below the ephemeral range and the e2e tests' slots; another block
     * when one of these is taken (the child cannot bind and exits at once) */
    pid_t child = 0;
    int started;
    for (int attempt = 0; attempt < 5; attempt++) {
        char base[16];
        snprintf(base, sizeof base, "%d", 12000 + (int)((getpid() + attempt * 53) % 160) * 50);
        setenv("HUIFANG_PORT_BASE", base, 1);
        hf_endpoint_commands("intake", s_endpoint, sizeof s_endpoint);
        hf_endpoint_events("intake", s_events, sizeof s_events);
        child = s_start_intake(url);
        usleep(700000);
        if (waitpid(child, &started, WNOHANG) == 0)
            break;
        child = 0;
    }
    CHECK(child > 0);
    if (child == 0) {
        hf_test_drop_db(url);
        TEST_DONE();
    }
    /* subscribe before anything happens, to see the relay publish */
    void *sub = zmq_socket(hf_bus_context(), ZMQ_SUB);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "intake.", 7);
    zmq_connect(sub, s_events);
    hf_request_t ping = HUIFANG__V1__REQUEST__INIT;
    ping.command_case = HUIFANG__V1__REQUEST__COMMAND_PING;
    Huifang__V1__Ping pp = HUIFANG__V1__PING__INIT;
    ping.ping = &pp;
    hf_reply_t *rep = NULL;
    for (int i = 0; i < 50 && rep == NULL; i++)
        rep = s_call(&ping);
    CHECK(rep != NULL);
    if (rep == NULL) {
        kill(child, SIGKILL);
        TEST_DONE();
    }
    CHECK_INT(rep->status, HF_OK);
    CHECK_STR(rep->ping->service, "intake");
    huifang__v1__reply__free_unpacked(rep, NULL);
    /* a heartbeat proves the subscription is live before anything is published (a
     * subscriber that joins late misses messages: that is what replay is for) */
    zmq_pollitem_t hb = {sub, 0, ZMQ_POLLIN, 0};
    bool heard = false;
    while (!heard && zmq_poll(&hb, 1, 5000) > 0) {
        char topic[128] = "";
        int n = zmq_recv(sub, topic, sizeof topic - 1, 0);
        zmq_msg_t body;
        zmq_msg_init(&body);
        zmq_msg_recv(&body, sub, 0);
        zmq_msg_close(&body);
        heard = n > 0 && strncmp(topic, "intake.heartbeat", 16) == 0;
    }
    CHECK(heard);

    /* a branch, then the same code again: a conflict */
    Huifang__V1__Branch b = HUIFANG__V1__BRANCH__INIT;
    b.code = "BJ01";
    b.name = "Beijing";
    b.tz = "Asia/Shanghai";
    b.windows = "09:00-12:00,14:00-20:00";
    Huifang__V1__BranchAdd ba = HUIFANG__V1__BRANCH_ADD__INIT;
    ba.branch = &b;
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_BRANCH_ADD;
    req.branch_add = &ba;
    rep = s_call(&req);
    CHECK(rep && rep->status == HF_OK);
    huifang__v1__reply__free_unpacked(rep, NULL);
    rep = s_call(&req);
    CHECK(rep && rep->status == HF_CONFLICT);
    huifang__v1__reply__free_unpacked(rep, NULL);

    /* the same idempotency key twice: one customer, one source row, the same answer */
    hf_reply_t *r1 = s_add_lead("key-1", "Wang Fang", "138 1234 5678");
    hf_reply_t *r2 = s_add_lead("key-1", "Wang Fang", "138 1234 5678");
    CHECK(r1 && r2 && r1->status == HF_OK && r2->status == HF_OK);
    if (r1 && r2 && r1->lead && r2->lead) {
        CHECK_INT(r2->lead->customer->id, r1->lead->customer->id);
        CHECK_STR(r1->lead->customer->phone, "13812345678");
        CHECK(!r1->lead->merged);
    }
    CHECK_INT(s_count(url, "SELECT count(*) FROM lead_source"), 1);
    huifang__v1__reply__free_unpacked(r1, NULL);
    huifang__v1__reply__free_unpacked(r2, NULL);

    /* a known phone under a new key merges */
    r1 = s_add_lead("key-2", "Wang F.", "+86 13812345678");
    CHECK(r1 && r1->status == HF_OK && r1->lead && r1->lead->merged);
    CHECK(r1 && strstr(r1->note, "merged into customer") != NULL);
    huifang__v1__reply__free_unpacked(r1, NULL);
    CHECK_INT(s_count(url, "SELECT count(*) FROM customer"), 1);

    /* bad input names the field and changes nothing */
    r1 = s_add_lead("key-3", "Li Lei", "12345");
    CHECK(r1 && r1->status == HF_BAD_INPUT);
    CHECK(r1 && strcmp(r1->field, "phone") == 0);
    huifang__v1__reply__free_unpacked(r1, NULL);
    r1 = s_add_lead("key-4", "", "13900001111");
    CHECK(r1 && r1->status == HF_BAD_INPUT && strcmp(r1->field, "name") == 0);
    huifang__v1__reply__free_unpacked(r1, NULL);
    CHECK_INT(s_count(url, "SELECT count(*) FROM customer"), 1);
    CHECK_INT(s_count(url, "SELECT count(*) FROM outbox"), 3);

    /* concurrent adds of one new phone: one customer, the others merged */
    for (int i = 0; i < 4; i++) {
        if (fork() == 0) {
            hf_bus_after_fork();
            char key[32];
            snprintf(key, sizeof key, "conc-%d", i);
            hf_reply_t *r = s_add_lead(key, "Zhao", "13700000000");
            int ok = r && r->status == HF_OK;
            if (r)
                huifang__v1__reply__free_unpacked(r, NULL);
            _exit(ok ? 0 : 1);
        }
    }
    int status, failures = 0;
    for (int i = 0; i < 4; i++) {
        wait(&status);
        failures += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    CHECK_INT(failures, 0);
    CHECK_INT(s_count(url, "SELECT count(*) FROM customer WHERE phone = '13700000000'"), 1);
    CHECK_INT(s_count(url, "SELECT count(*) FROM lead_source ls JOIN customer c ON c.id ="
                           " ls.customer_id WHERE c.phone = '13700000000'"),
              4);

    /* a truncated protobuf and an unknown command: clear errors, no crash */
    void *raw = zmq_socket(hf_bus_context(), ZMQ_REQ);
    int linger = 0;
    zmq_setsockopt(raw, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(raw, s_endpoint);
    unsigned char junk[] = {0x0a, 0x50, 'x'}; /* a string field claiming 80 bytes */
    zmq_send(raw, junk, sizeof junk, 0);
    zmq_msg_t m;
    zmq_msg_init(&m);
    CHECK(zmq_msg_recv(&m, raw, 0) >= 0);
    hf_reply_t *bad = huifang__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    CHECK(bad && bad->status == HF_BAD_INPUT && strcmp(bad->field, "request") == 0);
    if (bad)
        huifang__v1__reply__free_unpacked(bad, NULL);
    zmq_msg_close(&m);
    zmq_close(raw);
    hf_request_t wrong = HUIFANG__V1__REQUEST__INIT;
    Huifang__V1__CallLog cl = HUIFANG__V1__CALL_LOG__INIT;
    wrong.command_case = HUIFANG__V1__REQUEST__COMMAND_CALL_LOG;
    wrong.call_log = &cl;
    rep = s_call(&wrong);
    CHECK(rep && rep->status == HF_BAD_INPUT && strstr(rep->error, "not served") != NULL);
    if (rep)
        huifang__v1__reply__free_unpacked(rep, NULL);

    /* live events on the PUB socket with their topics */
    int live = 0;
    zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
    /* heartbeats keep coming: listen for a bounded time, a little longer than needed */
    int64_t until = hf_clock_mono_ms() + 2500;
    while (hf_clock_mono_ms() < until && zmq_poll(&it, 1, 500) >= 0) {
        if (!(it.revents & ZMQ_POLLIN))
            continue;
        char topic[128] = "";
        int n = zmq_recv(sub, topic, sizeof topic - 1, 0);
        if (n > 0)
            topic[n] = '\0';
        zmq_msg_t body;
        zmq_msg_init(&body);
        zmq_msg_recv(&body, sub, 0);
        zmq_msg_close(&body);
        if (strncmp(topic, "intake.heartbeat", 16) == 0 ||
            strncmp(topic, "intake.branch_", 14) == 0)
            continue;
        CHECK(strncmp(topic, "intake.lead_", 12) == 0 && strstr(topic, "/BJ01") != NULL);
        live++;
    }
    CHECK_INT(live, 6); /* registered, merged, then one registered and three merged */

    /* replay from 2 gives every committed event after the first, in order */
    Huifang__V1__Replay rq = HUIFANG__V1__REPLAY__INIT;
    rq.from_seq = 2;
    rq.limit = 100;
    hf_request_t rr = HUIFANG__V1__REQUEST__INIT;
    rr.command_case = HUIFANG__V1__REQUEST__COMMAND_REPLAY;
    rr.replay = &rq;
    rep = s_call(&rr);
    CHECK(rep && rep->status == HF_OK && rep->replay);
    if (rep && rep->replay) {
        CHECK_INT(rep->replay->n_envelopes, 6);
        CHECK_INT(rep->replay->last_seq, 7);
        for (size_t i = 0; i < rep->replay->n_envelopes; i++) {
            hf_envelope_t *e = huifang__v1__envelope__unpack(NULL, rep->replay->envelopes[i].len,
                                                             rep->replay->envelopes[i].data);
            CHECK(e && e->seq == i + 2);
            if (e)
                huifang__v1__envelope__free_unpacked(e, NULL);
        }
    }
    if (rep)
        huifang__v1__reply__free_unpacked(rep, NULL);

    /* SIGTERM: a clean stop */
    kill(child, SIGTERM);
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    zmq_close(sub);
    hf_bus_shutdown();
    hf_test_drop_db(url);
    TEST_DONE();
}
