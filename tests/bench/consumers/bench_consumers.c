/* bench_consumers: the parts of the consumers' benchmark (run.sh) that need the library.
 *
 *   bench_consumers produce URL N              append N events to intake's outbox: a
 *                                              branch_upserted (branch BENCH) when the outbox
 *                                              is empty, then leads as an import makes them
 *                                              (89% lead_registered: a new customer each, 10%
 *                                              lead_merged, 1% lead_rejected; 3 channels, 4
 *                                              sources, 8 collectors, 20 regions), 10,000 a
 *                                              transaction by COPY, each row as
 *                                              hf_outbox_append writes it
 *   bench_consumers raw URL INTAKE_EP          the raw ceiling: every event of intake's outbox
 *                                              read as a consumer gets them (replays of 2,000
 *                                              over the wire, each envelope unpacked) and as
 *                                              the producer reads them (hf_outbox_read); events/s
 *   bench_consumers catchup URL REP_EP SEQ     while reporting catches up to intake's SEQ: a
 *                                              ping after another and a report every 200 ms;
 *                                              prints the catch-up time (from the first answer),
 *                                              events/s, the longest ping gap and report time
 *   bench_consumers idle REP_EP SECONDS        the same pings with nothing to apply (the
 *                                              machine's own share of a gap)
 *   bench_consumers latency URL INTAKE_EP RATE SECONDS
 *                                              intake's own `product add` (one event each, the
 *                                              product_upserted) at RATE/s, at a branch added
 *                                              first; a second thread polls reporting's stored
 *                                              sequence every 0.5 ms; latency = applied (seen) -
 *                                              the command sent (its commit comes later, so this
 *                                              bounds commit -> applied from above)
 *
 * Sessions and CURVE are off (HUIFANG_AUTH=off, HUIFANG_CURVE=off on the services): the
 * benchmark measures the consumer. */
#include "hf_bus.h"
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_outbox.h"
#include "hf_service.h"
#include "hf_store.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define BRANCH "BENCH"

static int64_t s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int s_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static hf_store_t *s_store(const char *url, const char *schema)
{
    hf_store_t *st = hf_store_new(url, schema);
    if (hf_store_connect_wait(st, 10000) != 0) {
        fprintf(stderr, "bench_consumers: %s\n", hf_store_error(st));
        exit(1);
    }
    return st;
}

static int64_t s_num(hf_store_t *st, const char *sql)
{
    PGresult *res = hf_store_exec(st, sql, 0, NULL);
    if (res == NULL) {
        fprintf(stderr, "bench_consumers: %s\n", hf_store_error(st));
        exit(1);
    }
    int64_t v = PQntuples(res) ? hf_pg_int(res, 0, 0) : 0;
    PQclear(res);
    return v;
}

/* Fills env (and the parts it points at, in *k) with lead number id: with mix, as intake's
 * import of a sheet makes them (tests/bench/intake_import/gen.awk): one in a hundred
 * rejected (lead_rejected), one in ten the repeat of an earlier person (lead_merged, into
 * customer id - 1), the rest a new person (lead_registered, customer id); without, always
 * the last. */
typedef struct {
    char region[8], collector[16];
    Huifang__V1__Customer cu;
    Huifang__V1__LeadRegistered lr;
    Huifang__V1__LeadMerged lm;
    Huifang__V1__LeadRejected lj;
} s_lead_parts_t;

static void s_lead_env(hf_envelope_t *env, s_lead_parts_t *k, int64_t id, bool mix)
{
    static const char *channels[] = {"counter", "phone", "event"};
    static const char *sources[] = {"flyer", "referral", "walk-in", "web"};
    snprintf(k->region, sizeof k->region, "r%02d", (int)(id % 20) + 1);
    snprintf(k->collector, sizeof k->collector, "C%02d", (int)(id % 8) + 1);
    huifang__v1__customer__init(&k->cu);
    k->cu.id = id;
    k->cu.branch = BRANCH;
    k->cu.region = k->region;
    k->cu.card_type = "new";
    huifang__v1__lead_registered__init(&k->lr);
    k->lr.customer = &k->cu;
    k->lr.channel = (char *)channels[id % 3];
    k->lr.source = (char *)sources[id % 4];
    k->lr.collector = k->collector;
    k->lr.collected_at_ms = hf_clock_now_ms();
    huifang__v1__envelope__init(env);
    env->branch = BRANCH;
    env->payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_REGISTERED;
    env->lead_registered = &k->lr;
    if (mix && id % 100 == 0) {
        huifang__v1__lead_rejected__init(&k->lj);
        k->lj.field = "phone";
        k->lj.reason = "not a phone number";
        k->lj.channel = k->lr.channel;
        k->lj.source = k->lr.source;
        k->lj.collector = k->collector;
        k->lj.origin = "lead_import";
        env->payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_REJECTED;
        env->lead_rejected = &k->lj;
    } else if (mix && id % 10 == 5) {
        k->cu.id = id - 1;
        snprintf(k->region, sizeof k->region, "r%02d", (int)((id - 1) % 20) + 1);
        huifang__v1__lead_merged__init(&k->lm);
        k->lm.customer = &k->cu;
        k->lm.channel = k->lr.channel;
        k->lm.source = k->lr.source;
        k->lm.collector = k->collector;
        k->lm.collected_at_ms = k->lr.collected_at_ms;
        env->payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_MERGED;
        env->lead_merged = &k->lm;
    }
}

/* Appends n lead_registered events (customers base..) to the outbox with one COPY, exactly
 * as hf_outbox_append writes each: the envelope with its sequence, event id and time, the
 * topic, and the counter row moved on. Inside the open transaction. 0 or -1. */
static int s_leads_copy(hf_store_t *st, int64_t base, int n)
{
    PGresult *res = hf_store_exec(
        st, "SELECT last_seq FROM outbox_seq WHERE producer = 'intake' FOR UPDATE", 0, NULL);
    if (res == NULL || PQntuples(res) != 1) {
        if (res)
            PQclear(res);
        return -1;
    }
    int64_t seq = hf_pg_int(res, 0, 0);
    PQclear(res);
    size_t cap = (size_t)n * 700 + 64, len = 0;
    char *data = malloc(cap);
    uint8_t body[1024];
    for (int i = 0; i < n; i++) {
        hf_envelope_t env;
        s_lead_parts_t k;
        s_lead_env(&env, &k, base + i, true);
        char event_id[48], topic[160];
        seq++;
        snprintf(event_id, sizeof event_id, "intake:%lld", (long long)seq);
        env.producer = "intake";
        env.seq = (uint64_t)seq;
        env.event_id = event_id;
        env.occurred_at_ms = hf_clock_now_ms();
        env.correlation_id = "";
        size_t blen = huifang__v1__envelope__pack(&env, body);
        hf_envelope_topic(&env, topic, sizeof topic);
        len += (size_t)snprintf(data + len, cap - len, "intake\t%lld\t%s\t%s\t\\\\x",
                                (long long)seq, topic, BRANCH);
        for (size_t b = 0; b < blen; b++)
            len += (size_t)snprintf(data + len, cap - len, "%02x", body[b]);
        len += (size_t)snprintf(data + len, cap - len, "\t%lld\n", (long long)env.occurred_at_ms);
    }
    int64_t copied = hf_store_copy_in(
        st, "COPY outbox (producer, seq, topic, branch, body, created_at_ms) FROM STDIN", data,
        len);
    free(data);
    if (copied != n)
        return -1;
    char seqtxt[24];
    const char *p[] = {hf_pg_i64(seqtxt, seq)};
    return hf_store_run(st, "UPDATE outbox_seq SET last_seq = $1 WHERE producer = 'intake'", 1, p);
}

static int s_produce(const char *url, int n)
{
    hf_store_t *st = s_store(url, "intake");
    int64_t last = hf_outbox_last_seq(st, "intake");
    int64_t base = s_num(st, "SELECT 1000000 + count(*) FROM outbox WHERE producer = 'intake'");
    int64_t t0 = s_now_us();
    int done = 0;
    if (last <= 0) {
        Huifang__V1__Branch b = HUIFANG__V1__BRANCH__INIT;
        b.code = BRANCH;
        b.name = "Bench";
        b.tz = "Asia/Shanghai";
        Huifang__V1__BranchUpserted bu = HUIFANG__V1__BRANCH_UPSERTED__INIT;
        bu.branch = &b;
        hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
        env.branch = BRANCH;
        env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_BRANCH_UPSERTED;
        env.branch_upserted = &bu;
        if (hf_store_begin(st) != 0 || hf_outbox_append(st, "intake", &env) <= 0 ||
            hf_store_commit(st) != 0)
            goto fail;
        done++;
    }
    while (done < n) {
        int k = n - done < 10000 ? n - done : 10000;
        if (hf_store_begin(st) != 0 || s_leads_copy(st, base + done, k) != 0 ||
            hf_store_commit(st) != 0)
            goto fail;
        done += k;
    }
    printf("produced %d events in %.2f s\n", n, (double)(s_now_us() - t0) / 1e6);
    hf_store_destroy(&st);
    return 0;
fail:
    fprintf(stderr, "bench_consumers: produce: %s\n", hf_store_error(st));
    return 1;
}

static hf_client_t *s_client(const char *endpoint, const char *server)
{
    hf_client_t *c = hf_client_new(endpoint, 5000, 1);
    hf_client_set_server(c, server);
    return c;
}

static int s_raw(const char *url, const char *endpoint)
{
    /* over the wire, as a consumer fetches them */
    hf_client_t *c = s_client(endpoint, "intake");
    uint64_t from = 1, got = 0;
    int64_t t0 = s_now_us();
    for (;;) {
        Huifang__V1__Replay q = HUIFANG__V1__REPLAY__INIT;
        q.from_seq = from;
        q.limit = 2000;
        hf_request_t req = HUIFANG__V1__REQUEST__INIT;
        req.command_case = HUIFANG__V1__REQUEST__COMMAND_REPLAY;
        req.replay = &q;
        req.actor = "reporting";
        hf_reply_t *rep = NULL;
        if (hf_client_call(c, &req, &rep) != 0 || rep->status != HF_OK) {
            fprintf(stderr, "bench_consumers: replay failed\n");
            return 1;
        }
        size_t n = rep->replay->n_envelopes;
        for (size_t i = 0; i < n; i++) {
            hf_envelope_t *env =
                hf_envelope_unpack(rep->replay->envelopes[i].data, rep->replay->envelopes[i].len);
            if (env) {
                from = env->seq + 1;
                huifang__v1__envelope__free_unpacked(env, NULL);
            }
        }
        got += n;
        uint64_t last = rep->replay->last_seq;
        huifang__v1__reply__free_unpacked(rep, NULL);
        if (n == 0 || from > last)
            break;
    }
    double wire_s = (double)(s_now_us() - t0) / 1e6;
    hf_client_destroy(&c);
    /* in the producer's own store reads, as its replay and relay do */
    hf_store_t *st = s_store(url, "intake");
    static hf_outbox_row_t rows[2000];
    uint64_t after = 0, read = 0;
    t0 = s_now_us();
    for (;;) {
        int n = 0;
        if (hf_outbox_read(st, "intake", after, 2000, rows, &n) != 0 || n == 0)
            break;
        after = rows[n - 1].seq;
        read += (uint64_t)n;
        hf_outbox_rows_free(rows, n);
    }
    double sql_s = (double)(s_now_us() - t0) / 1e6;
    printf("raw ceiling: %llu events over the wire (replay) in %.2f s = %.0f events/s; "
           "%llu read from the outbox in %.2f s = %.0f events/s\n",
           (unsigned long long)got, wire_s, (double)got / wire_s, (unsigned long long)read, sql_s,
           (double)read / sql_s);
    printf("RAW_WIRE %.0f\nRAW_SQL %.0f\n", (double)got / wire_s, (double)read / sql_s);
    hf_store_destroy(&st);
    return 0;
}

static int s_catchup(const char *url, const char *endpoint, int64_t target)
{
    hf_store_t *st = s_store(url, "reporting");
    hf_client_t *c = s_client(endpoint, "reporting");
    hf_client_t *rc = s_client(endpoint, "reporting");
    int64_t start = s_now_us(), first = 0, last_answer = 0, max_gap = 0, max_ping = 0;
    int64_t max_report = 0, next_report = 0, next_poll = 0, done_at = 0, applied = 0;
    long pings = 0, reports = 0, failed = 0;
    while (s_now_us() - start < 120 * 1000000LL) {
        Huifang__V1__Ping ping = HUIFANG__V1__PING__INIT;
        hf_request_t req = HUIFANG__V1__REQUEST__INIT;
        req.command_case = HUIFANG__V1__REQUEST__COMMAND_PING;
        req.ping = &ping;
        hf_reply_t *rep = NULL;
        int64_t t = s_now_us();
        if (hf_client_call(c, &req, &rep) == 0) {
            int64_t now = s_now_us();
            huifang__v1__reply__free_unpacked(rep, NULL);
            if (first == 0)
                first = now;
            else if (now - last_answer > max_gap)
                max_gap = now - last_answer;
            if (now - t > max_ping)
                max_ping = now - t;
            last_answer = now;
            pings++;
        } else if (first) {
            failed++;
        }
        if (first == 0) {
            usleep(2000);
            continue;
        }
        int64_t now = s_now_us();
        if (now >= next_report) {
            Huifang__V1__ReportRequest rr = HUIFANG__V1__REPORT_REQUEST__INIT;
            rr.name = "collection";
            hf_request_t q = HUIFANG__V1__REQUEST__INIT;
            q.command_case = HUIFANG__V1__REQUEST__COMMAND_REPORT;
            q.report = &rr;
            q.branch = BRANCH;
            hf_reply_t *r = NULL;
            int64_t t1 = s_now_us();
            if (hf_client_call(rc, &q, &r) == 0) {
                int64_t ms = s_now_us() - t1;
                if (ms > max_report)
                    max_report = ms;
                reports++;
                huifang__v1__reply__free_unpacked(r, NULL);
            } else {
                failed++;
            }
            next_report = s_now_us() + 200000;
        }
        if (now >= next_poll) {
            applied = s_num(st, "SELECT last_seq FROM consumer_offset WHERE producer = 'intake'");
            if (applied >= target) {
                done_at = s_now_us();
                break;
            }
            next_poll = now + 20000;
        }
    }
    if (done_at == 0) {
        printf("catch-up: not done in 120 s (applied %lld of %lld)\n", (long long)applied,
               (long long)target);
        return 1;
    }
    double s = (double)(done_at - first) / 1e6;
    printf("catch-up: %lld events in %.2f s from the first answer (%.2f s from launch) = %.0f "
           "events/s; %ld pings, longest gap between answers %.1f ms, slowest ping %.1f ms; "
           "%ld reports, slowest %.1f ms; %ld unanswered\n",
           (long long)target, s, (double)(done_at - start) / 1e6, (double)target / s, pings,
           (double)max_gap / 1000.0, (double)max_ping / 1000.0, reports,
           (double)max_report / 1000.0, failed);
    printf("CATCHUP_S %.2f\nAPPLY_RATE %.0f\nPING_GAP_MS %.1f\nREPORT_MS %.1f\nUNANSWERED %ld\n", s,
           (double)target / s, (double)max_gap / 1000.0, (double)max_report / 1000.0, failed);
    hf_client_destroy(&c);
    hf_client_destroy(&rc);
    hf_store_destroy(&st);
    return 0;
}

/* Pings reporting one after another for seconds with nothing to apply: the same figures as
 * during the catch-up, for the machine's own share of them. */
static int s_idle(const char *endpoint, int seconds)
{
    hf_client_t *c = s_client(endpoint, "reporting");
    int64_t start = s_now_us(), last = 0, max_gap = 0, max_ping = 0;
    long pings = 0;
    while (s_now_us() - start < (int64_t)seconds * 1000000) {
        Huifang__V1__Ping ping = HUIFANG__V1__PING__INIT;
        hf_request_t req = HUIFANG__V1__REQUEST__INIT;
        req.command_case = HUIFANG__V1__REQUEST__COMMAND_PING;
        req.ping = &ping;
        hf_reply_t *rep = NULL;
        int64_t t = s_now_us();
        if (hf_client_call(c, &req, &rep) != 0)
            return 1;
        huifang__v1__reply__free_unpacked(rep, NULL);
        int64_t now = s_now_us();
        if (last && now - last > max_gap)
            max_gap = now - last;
        if (now - t > max_ping)
            max_ping = now - t;
        last = now;
        pings++;
    }
    printf("idle: %ld pings in %d s, longest gap between answers %.1f ms, slowest ping %.1f ms\n",
           pings, seconds, (double)max_gap / 1000.0, (double)max_ping / 1000.0);
    printf("IDLE_GAP_MS %.1f\n", (double)max_gap / 1000.0);
    hf_client_destroy(&c);
    return 0;
}

/* The latency run's shared state: the producer threads fill sent_at[i] and seqs[i] and then
 * set done[i]; the poller reads them in order, and notes when each of intake's events from
 * base on is published (pub[seq - base]). */
typedef struct {
    const char *url;
    int n;
    uint64_t base;                       /* intake's first sequence of the run */
    int64_t *sent_at, *seqs, *lat, *pub; /* pub: when the event was seen published */
    atomic_bool *done;
    const char *endpoint;
    int64_t start, period;
    atomic_int seen;
    atomic_bool stop, failed;
} s_lat_t;

/* Clients sending at once: one is enough while a product add's round trip (~0.5 ms on this
 * VM) stays under 1/RATE; more send the same rate interleaved. */
#define S_LAT_PRODUCERS 1

/* Events one command may write (a product add: its product_upserted; room for more). */
#define S_LAT_EVENTS 4

static void *s_poller(void *arg)
{
    s_lat_t *L = arg;
    hf_store_t *st = s_store(L->url, "reporting");
    /* intake's stream too, to tell the producer's part (sent -> published) from the
     * consumer's */
    char ep[256];
    void *sub = zmq_socket(hf_bus_context(), ZMQ_SUB);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "intake.", 7);
    zmq_connect(sub, hf_endpoint_events("intake", ep, sizeof ep));
    uint64_t span = (uint64_t)L->n * S_LAT_EVENTS;
    int seen = 0;
    while (!atomic_load(&L->stop) && seen < L->n) {
        zmq_msg_t topic, body;
        zmq_msg_init(&topic);
        zmq_msg_init(&body);
        while (zmq_msg_recv(&topic, sub, ZMQ_DONTWAIT) >= 0 && zmq_msg_recv(&body, sub, 0) >= 0) {
            hf_envelope_t *env = hf_envelope_unpack(zmq_msg_data(&body), zmq_msg_size(&body));
            if (env && env->seq >= L->base && env->seq - L->base < span &&
                L->pub[env->seq - L->base] == 0)
                L->pub[env->seq - L->base] = s_now_us();
            if (env)
                huifang__v1__envelope__free_unpacked(env, NULL);
        }
        zmq_msg_close(&topic);
        zmq_msg_close(&body);
        if (seen < L->n && atomic_load(&L->done[seen])) {
            int64_t applied =
                s_num(st, "SELECT last_seq FROM consumer_offset WHERE producer = 'intake'");
            int64_t at = s_now_us();
            while (seen < L->n && atomic_load(&L->done[seen]) && L->seqs[seen] <= applied) {
                L->lat[seen] = at - L->sent_at[seen];
                seen++;
            }
            atomic_store(&L->seen, seen);
        }
        usleep(500);
    }
    zmq_close(sub);
    hf_store_destroy(&st);
    return NULL;
}

/* One command to intake as ops (sessions are off in this benchmark). Returns the reply, or
 * NULL after a message. */
static hf_reply_t *s_intake_call(hf_client_t *c, hf_request_t *req)
{
    req->branch = "LAT1";
    hf_reply_t *r = NULL;
    if (hf_client_call(c, req, &r) != 0) {
        fprintf(stderr, "bench_consumers: intake did not answer\n");
        return NULL;
    }
    if (r->status != HF_OK) {
        fprintf(stderr, "bench_consumers: intake answered %d: %s\n", (int)r->status, r->error);
        huifang__v1__reply__free_unpacked(r, NULL);
        return NULL;
    }
    return r;
}

/* A producer of the latency run: commands first, first + S_LAT_PRODUCERS, ... each at its
 * due time. The event is intake's own (a command of intake's commits it), so intake's relay
 * publishes it as its commit returns, as it does every event intake writes. */
typedef struct {
    s_lat_t *L;
    int first;
} s_producer_t;

static void *s_producer(void *arg)
{
    const s_producer_t *me = arg;
    s_lat_t *L = me->L;
    hf_client_t *c = s_client(L->endpoint, "intake");
    for (int i = me->first; i < L->n && !atomic_load(&L->failed); i += S_LAT_PRODUCERS) {
        int64_t due = L->start + (int64_t)i * L->period, now = s_now_us();
        if (due > now)
            usleep((useconds_t)(due - now));
        char code[16];
        snprintf(code, sizeof code, "LAT%06d", i);
        Huifang__V1__Product pr = HUIFANG__V1__PRODUCT__INIT;
        pr.code = code;
        pr.name = "Latency";
        pr.days_per_unit = 30;
        Huifang__V1__ProductAdd pa = HUIFANG__V1__PRODUCT_ADD__INIT;
        pa.product = &pr;
        hf_request_t req = HUIFANG__V1__REQUEST__INIT;
        req.command_case = HUIFANG__V1__REQUEST__COMMAND_PRODUCT_ADD;
        req.product_add = &pa;
        L->sent_at[i] = s_now_us();
        hf_reply_t *r = s_intake_call(c, &req);
        uint64_t seq = r && r->written ? r->written->seq : 0;
        if (r)
            huifang__v1__reply__free_unpacked(r, NULL);
        if (seq < L->base) {
            if (r)
                fprintf(stderr, "bench_consumers: product add %d named no event of this run\n", i);
            atomic_store(&L->failed, true);
            break;
        }
        L->seqs[i] = (int64_t)seq;
        atomic_store(&L->done[i], true);
    }
    hf_client_destroy(&c);
    return NULL;
}

static int s_latency(const char *url, const char *endpoint, int rate, int seconds)
{
    hf_store_t *prod = s_store(url, "intake");
    hf_client_t *c = s_client(endpoint, "intake");
    s_lat_t L = {.url = url, .n = rate * seconds};
    /* the branch the products are added at */
    Huifang__V1__Branch br = HUIFANG__V1__BRANCH__INIT;
    br.code = "LAT1";
    br.name = "Latency";
    br.tz = "Asia/Shanghai";
    Huifang__V1__BranchAdd ba = HUIFANG__V1__BRANCH_ADD__INIT;
    ba.branch = &br;
    hf_request_t breq = HUIFANG__V1__REQUEST__INIT;
    breq.command_case = HUIFANG__V1__REQUEST__COMMAND_BRANCH_ADD;
    breq.branch_add = &ba;
    hf_reply_t *r = s_intake_call(c, &breq);
    if (!r)
        return 1;
    huifang__v1__reply__free_unpacked(r, NULL);
    L.base = (uint64_t)hf_outbox_last_seq(prod, "intake") + 1;
    L.sent_at = calloc((size_t)L.n, sizeof *L.sent_at);
    L.lat = calloc((size_t)L.n, sizeof *L.lat);
    L.seqs = calloc((size_t)L.n, sizeof *L.seqs);
    L.pub = calloc((size_t)L.n * S_LAT_EVENTS, sizeof *L.pub);
    L.done = calloc((size_t)L.n, sizeof *L.done);
    L.endpoint = endpoint;
    pthread_t poller;
    pthread_create(&poller, NULL, s_poller, &L);
    L.period = 1000000 / rate;
    L.start = s_now_us();
    pthread_t producers[S_LAT_PRODUCERS];
    s_producer_t me[S_LAT_PRODUCERS];
    for (int t = 0; t < S_LAT_PRODUCERS; t++) {
        me[t] = (s_producer_t){.L = &L, .first = t};
        pthread_create(&producers[t], NULL, s_producer, &me[t]);
    }
    for (int t = 0; t < S_LAT_PRODUCERS; t++)
        pthread_join(producers[t], NULL);
    int rc = atomic_load(&L.failed) ? 1 : 0;
    int n = 0;
    while (n < L.n && atomic_load(&L.done[n]))
        n++;
    double span = n > 1 ? (double)(L.sent_at[n - 1] - L.start) / 1e6 : 0.0;
    int64_t wait_until = s_now_us() + 30 * 1000000LL;
    while (rc == 0 && atomic_load(&L.seen) < n && s_now_us() < wait_until)
        usleep(10000);
    atomic_store(&L.stop, true);
    pthread_join(poller, NULL);
    int seen = atomic_load(&L.seen);
    if (rc == 0 && seen > 0) {
        qsort(L.lat, (size_t)seen, sizeof *L.lat, s_cmp);
        int npub = 0;
        int64_t *pubs = calloc((size_t)n, sizeof *pubs);
        for (int i = 0; i < n; i++) {
            uint64_t k = (uint64_t)L.seqs[i] - L.base;
            int64_t at = k < (uint64_t)L.n * S_LAT_EVENTS ? L.pub[k] : 0;
            if (at > 0)
                pubs[npub++] = at - L.sent_at[i];
        }
        qsort(pubs, (size_t)npub, sizeof *pubs, s_cmp);
        if (npub)
            printf("of which sent to intake -> published by intake: p50 %.1f ms, p99 %.1f ms "
                   "(%d seen)\n",
                   (double)pubs[npub / 2] / 1000.0, (double)pubs[npub * 99 / 100] / 1000.0, npub);
        free(pubs);
        double p50 = (double)L.lat[seen / 2] / 1000.0;
        double p99 = (double)L.lat[seen * 99 / 100] / 1000.0;
        double achieved = span > 0 ? n / span : 0.0;
        printf("latency: %d product adds at %.0f/s (asked %d/s), sent to intake -> applied at "
               "reporting: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d of %d seen)\n",
               n, achieved, rate, p50, p99, (double)L.lat[seen - 1] / 1000.0, seen, n);
        printf("LAT_P50_MS %.1f\nLAT_P99_MS %.1f\nLAT_RATE %.0f\n", p50, p99, achieved);
    }
    hf_client_destroy(&c);
    hf_store_destroy(&prod);
    free(L.sent_at);
    free(L.lat);
    free(L.seqs);
    free(L.pub);
    free(L.done);
    return rc == 0 && seen == L.n ? 0 : 1;
}

int main(int argc, char **argv)
{
    hf_log_init("bench_consumers", "warn");
    char err[512];
    if (hf_bus_curve_init(false, NULL, "cli", err, sizeof err) != 0) {
        fprintf(stderr, "bench_consumers: %s\n", err);
        return 2;
    }
    if (argc == 4 && strcmp(argv[1], "produce") == 0)
        return s_produce(argv[2], atoi(argv[3]));
    if (argc == 4 && strcmp(argv[1], "raw") == 0)
        return s_raw(argv[2], argv[3]);
    if (argc == 5 && strcmp(argv[1], "catchup") == 0)
        return s_catchup(argv[2], argv[3], atoll(argv[4]));
    if (argc == 4 && strcmp(argv[1], "idle") == 0)
        return s_idle(argv[2], atoi(argv[3]));
    if (argc == 6 && strcmp(argv[1], "latency") == 0)
        return s_latency(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
    fprintf(stderr, "usage: bench_consumers produce URL N | raw URL INTAKE_EP | catchup URL "
                    "REP_EP SEQ | idle REP_EP SECONDS | latency URL INTAKE_EP RATE SECONDS\n");
    return 2;
}
