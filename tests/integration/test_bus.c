/* hf_client against a real ZeroMQ ROUTER on loopback (this test plays the service):
 *  - answered calls share one connection (the ROUTER sees one peer), so a service calling a
 *    peer does not open a TCP connection per request;
 *  - a try that was not answered is followed by one on a fresh connection (lazy pirate), and
 *    the next call is answered;
 *  - with a connect wait, a call to an endpoint nobody listens on fails after that wait,
 *    not after the whole timeout; without one, it waits the timeout (both far apart: no
 *    measurement of speed, only of which of the two happened);
 *  - a call in two halves (hf_client_send, hf_client_take: a consumer's replay) takes its
 *    answer only once it came, and keeps the connection;
 *  - every try says until when it is awaited (Request.answer_by_ms, the real clock): its own
 *    timeout from when it was sent, a second try its own, or the earlier bound the request
 *    carried (an ask made for a request), which the caller's request keeps. */
#include "hf_bus.h"
#include "hf_clock.h"
#include "hf_test.h"
#include <pthread.h>
#include <unistd.h>
#include <zmq.h>

typedef struct {
    void *router;
    int drop; /* how many requests to read and not answer, first */
    int seen; /* requests received */
    char peers[8][256];
    size_t peer_len[8];
    int npeers; /* distinct routing ids seen */
    /* each request's Request.answer_by_ms (the first 8), and the real clock when it came */
    int64_t answer_by[8];
    int64_t got_at[8];
} s_server_t;

/* Serves until `seen` reaches total: drops the first `drop` requests, answers the rest. */
static void s_serve(s_server_t *s, int total)
{
    while (s->seen < total) {
        zmq_pollitem_t it = {s->router, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 5000) <= 0)
            return;
        zmq_msg_t id, empty, body;
        zmq_msg_init(&id);
        zmq_msg_init(&empty);
        zmq_msg_init(&body);
        zmq_msg_recv(&id, s->router, 0);
        zmq_msg_recv(&empty, s->router, 0);
        zmq_msg_recv(&body, s->router, 0);
        bool known = false;
        for (int i = 0; i < s->npeers; i++)
            known = known || (s->peer_len[i] == zmq_msg_size(&id) &&
                              memcmp(s->peers[i], zmq_msg_data(&id), zmq_msg_size(&id)) == 0);
        if (!known && s->npeers < 8 && zmq_msg_size(&id) <= sizeof s->peers[0]) {
            memcpy(s->peers[s->npeers], zmq_msg_data(&id), zmq_msg_size(&id));
            s->peer_len[s->npeers++] = zmq_msg_size(&id);
        }
        hf_request_t *req =
            huifang__v1__request__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body));
        if (s->seen < 8) {
            s->answer_by[s->seen] = req ? req->answer_by_ms : -1;
            s->got_at[s->seen] = hf_clock_real_ms();
        }
        s->seen++;
        if (s->seen > s->drop) {
            hf_reply_t rep = HUIFANG__V1__REPLY__INIT;
            rep.request_id = req ? req->request_id : "";
            uint8_t buf[256];
            size_t len = huifang__v1__reply__pack(&rep, buf);
            zmq_send(s->router, zmq_msg_data(&id), zmq_msg_size(&id), ZMQ_SNDMORE);
            zmq_send(s->router, "", 0, ZMQ_SNDMORE);
            zmq_send(s->router, buf, len, 0);
        }
        if (req)
            huifang__v1__request__free_unpacked(req, NULL);
        zmq_msg_close(&id);
        zmq_msg_close(&empty);
        zmq_msg_close(&body);
    }
}

typedef struct {
    s_server_t *server;
    int total;
} s_job_t;

static void *s_serve_thread(void *arg)
{
    s_job_t *job = arg;
    s_serve(job->server, job->total);
    return NULL;
}

static int s_call(hf_client_t *c)
{
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    Huifang__V1__Ping ping = HUIFANG__V1__PING__INIT;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_PING;
    req.ping = &ping;
    hf_reply_t *rep = NULL;
    int rc = hf_client_call(c, &req, &rep);
    if (rep)
        huifang__v1__reply__free_unpacked(rep, NULL);
    return rc;
}

int main(void)
{
    void *ctx = hf_bus_context();
    s_server_t server = {.router = zmq_socket(ctx, ZMQ_ROUTER)};
    int linger = 0;
    zmq_setsockopt(server.router, ZMQ_LINGER, &linger, sizeof linger);
    CHECK(zmq_bind(server.router, "tcp://127.0.0.1:*") == 0);
    char endpoint[64];
    size_t elen = sizeof endpoint;
    zmq_getsockopt(server.router, ZMQ_LAST_ENDPOINT, endpoint, &elen);

    /* five answered calls, one connection */
    hf_client_t *c = hf_client_new(endpoint, 2000, 2);
    s_job_t job = {&server, 5};
    pthread_t th;
    pthread_create(&th, NULL, s_serve_thread, &job);
    for (int i = 0; i < 5; i++)
        CHECK_INT(s_call(c), 0);
    pthread_join(th, NULL);
    CHECK_INT(server.seen, 5);
    CHECK_INT(server.npeers, 1);
    hf_client_destroy(&c);

    /* the first request is dropped: its second try comes on a fresh connection and is
     * answered, and the next call keeps using that one */
    server = (s_server_t){.router = server.router, .drop = 1};
    c = hf_client_new(endpoint, 300, 2);
    job.total = 3;
    pthread_create(&th, NULL, s_serve_thread, &job);
    CHECK_INT(s_call(c), 0);
    CHECK_INT(s_call(c), 0);
    pthread_join(th, NULL);
    CHECK_INT(server.seen, 3);
    CHECK_INT(server.npeers, 2);
    hf_client_destroy(&c);

    /* each try's bound: sent with the try's timeout from then (300 ms), on the real clock;
     * the try dropped and its second try each have their own, 300 ms apart at least */
    server = (s_server_t){.router = server.router, .drop = 1};
    c = hf_client_new(endpoint, 300, 2);
    job.total = 2;
    pthread_create(&th, NULL, s_serve_thread, &job);
    int64_t before = hf_clock_real_ms();
    CHECK_INT(s_call(c), 0);
    int64_t after = hf_clock_real_ms();
    pthread_join(th, NULL);
    CHECK_INT(server.seen, 2);
    for (int i = 0; i < 2; i++) {
        CHECK(server.answer_by[i] >= before + 300 && server.answer_by[i] <= after + 300);
        CHECK(server.answer_by[i] <= server.got_at[i] + 300);
    }
    CHECK(server.answer_by[1] >= server.answer_by[0] + 290);
    hf_client_destroy(&c);

    /* a request that carries a bound earlier than the try's keeps it; a later one gives way
     * to the try's; either way the caller's request is left as it was */
    server = (s_server_t){.router = server.router};
    c = hf_client_new(endpoint, 2000, 1);
    job.total = 2;
    pthread_create(&th, NULL, s_serve_thread, &job);
    {
        hf_request_t q = HUIFANG__V1__REQUEST__INIT;
        Huifang__V1__Ping qp = HUIFANG__V1__PING__INIT;
        q.command_case = HUIFANG__V1__REQUEST__COMMAND_PING;
        q.ping = &qp;
        int64_t early = hf_clock_real_ms() + 100, late = hf_clock_real_ms() + 600000;
        hf_reply_t *r = NULL;
        q.answer_by_ms = early;
        CHECK_INT(hf_client_call(c, &q, &r), 0);
        CHECK(q.answer_by_ms == early);
        if (r)
            huifang__v1__reply__free_unpacked(r, NULL);
        r = NULL;
        q.answer_by_ms = late;
        before = hf_clock_real_ms();
        CHECK_INT(hf_client_call(c, &q, &r), 0);
        after = hf_clock_real_ms();
        CHECK(q.answer_by_ms == late);
        if (r)
            huifang__v1__reply__free_unpacked(r, NULL);
        pthread_join(th, NULL);
        CHECK_INT(server.seen, 2);
        CHECK(server.answer_by[0] == early);
        CHECK(server.answer_by[1] >= before + 2000 && server.answer_by[1] <= after + 2000);
    }
    hf_client_destroy(&c);

    /* a call in two halves: sent, nothing to take before the answer, the answer taken once
     * it came (the socket polled), the connection kept for the next call; a request given up
     * leaves nothing awaited */
    server = (s_server_t){.router = server.router};
    c = hf_client_new(endpoint, 2000, 1);
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    Huifang__V1__Ping ping = HUIFANG__V1__PING__INIT;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_PING;
    req.ping = &ping;
    req.request_id = "async-1";
    hf_reply_t *rep = NULL;
    CHECK(hf_client_pending(c) == NULL);
    int64_t sent_from = hf_clock_real_ms();
    CHECK_INT(hf_client_send(c, &req), 0);
    int64_t sent_by = hf_clock_real_ms();
    CHECK(req.answer_by_ms == 0); /* the caller's request unchanged */
    CHECK(hf_client_pending(c) != NULL);
    CHECK_INT(hf_client_take(c, &rep), 0);
    job.total = 2;
    pthread_create(&th, NULL, s_serve_thread, &job);
    zmq_pollitem_t it = {hf_client_pending(c), 0, ZMQ_POLLIN, 0};
    CHECK_INT(zmq_poll(&it, 1, 5000), 1);
    CHECK_INT(hf_client_take(c, &rep), 1);
    CHECK(rep != NULL && strcmp(rep->request_id, "async-1") == 0);
    if (rep)
        huifang__v1__reply__free_unpacked(rep, NULL);
    CHECK(hf_client_pending(c) == NULL);
    CHECK_INT(hf_client_take(c, &rep), -1);
    CHECK_INT(s_call(c), 0);
    pthread_join(th, NULL);
    CHECK_INT(server.seen, 2);
    CHECK_INT(server.npeers, 1);
    /* the half call's bound is its timeout from its send, as a call's */
    CHECK(server.answer_by[0] >= sent_from + 2000 && server.answer_by[0] <= sent_by + 2000);
    req.request_id = "async-2";
    CHECK_INT(hf_client_send(c, &req), 0);
    hf_client_abandon(c);
    CHECK(hf_client_pending(c) == NULL);
    CHECK_INT(hf_client_take(c, &rep), -1);
    hf_client_destroy(&c);
    zmq_close(server.router);

    /* nobody listens on port 1: with a connect wait of 100 ms a call with a 3 s timeout
     * gives up long before the timeout; without one, a call waits its timeout (1 s) */
    c = hf_client_new("tcp://127.0.0.1:1", 3000, 1);
    hf_client_set_connect_wait(c, 100);
    int64_t t0 = hf_clock_mono_ms();
    CHECK_INT(s_call(c), -1);
    int64_t fast = hf_clock_mono_ms() - t0;
    hf_client_destroy(&c);
    c = hf_client_new("tcp://127.0.0.1:1", 1000, 1);
    t0 = hf_clock_mono_ms();
    CHECK_INT(s_call(c), -1);
    int64_t slow = hf_clock_mono_ms() - t0;
    hf_client_destroy(&c);
    fprintf(stderr, "no listener: %lld ms with a connect wait of 100 ms, %lld ms without\n",
            (long long)fast, (long long)slow);
    CHECK(fast < 1500);
    CHECK(slow >= 950);
    hf_bus_shutdown();
    TEST_DONE();
}
