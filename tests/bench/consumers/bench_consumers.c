/* bench_consumers: the parts of the consumers' benchmark (run.sh) that need the library.
 *
 *   bench_consumers produce URL N              append N events to intake's outbox: a
 *                                              branch_upserted (branch BENCH) when the outbox
 *                                              is empty, then lead_registered events (a new
 *                                              customer each; 3 channels, 4 sources, 8
 *                                              collectors, 20 regions), 1,000 a transaction,
 *                                              exactly as intake writes them (hf_outbox_append)
 *   bench_consumers raw URL INTAKE_EP          the raw ceiling: every event of intake's outbox
 *                                              read as a consumer gets them (replays of 2,000
 *                                              over the wire, each envelope unpacked) and as
 *                                              the producer reads them (hf_outbox_read); events/s
 *   bench_consumers catchup URL REP_EP SEQ     while reporting catches up to intake's SEQ: a
 *                                              ping after another and a report every 200 ms;
 *                                              prints the catch-up time (from the first answer),
 *                                              events/s, the longest ping gap and report time
 *   bench_consumers latency URL INTAKE_EP RATE SECONDS
 *                                              one event a commit at RATE/s; after each commit
 *                                              a ping to intake (its loop then publishes at once,
 *                                              as it does after a command of its own); polls
 *                                              reporting's stored sequence every 0.5 ms;
 *                                              latency = applied (seen) - commit returned
 *
 * Sessions and CURVE are off (HUIFANG_AUTH=off, HUIFANG_CURVE=off on the services): the
 * benchmark measures the consumer. */
#include "hf_bus.h"
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_outbox.h"
#include "hf_store.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* Appends one lead_registered of customer id (inside the open transaction). */
static int s_lead(hf_store_t *st, int64_t id)
{
    static const char *channels[] = {"counter", "phone", "event"};
    static const char *sources[] = {"flyer", "referral", "walk-in", "web"};
    char region[8], collector[16];
    snprintf(region, sizeof region, "r%02d", (int)(id % 20) + 1);
    snprintf(collector, sizeof collector, "C%02d", (int)(id % 8) + 1);
    Huifang__V1__Customer cu = HUIFANG__V1__CUSTOMER__INIT;
    cu.id = id;
    cu.branch = BRANCH;
    cu.region = region;
    cu.card_type = "new";
    Huifang__V1__LeadRegistered lr = HUIFANG__V1__LEAD_REGISTERED__INIT;
    lr.customer = &cu;
    lr.channel = (char *)channels[id % 3];
    lr.source = (char *)sources[id % 4];
    lr.collector = collector;
    lr.collected_at_ms = hf_clock_now_ms();
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = BRANCH;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_REGISTERED;
    env.lead_registered = &lr;
    return hf_outbox_append(st, "intake", &env) > 0 ? 0 : -1;
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
        if (hf_store_begin(st) != 0)
            goto fail;
        for (int k = 0; k < 1000 && done < n; k++, done++)
            if (s_lead(st, base + done) != 0)
                goto fail;
        if (hf_store_commit(st) != 0)
            goto fail;
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

static int s_latency(const char *url, const char *endpoint, int rate, int seconds)
{
    hf_store_t *prod = s_store(url, "intake");
    hf_store_t *rep_st = s_store(url, "reporting");
    hf_client_t *c = s_client(endpoint, "intake");
    int n = rate * seconds;
    int64_t *commit = calloc((size_t)n, sizeof *commit), *lat = calloc((size_t)n, sizeof *lat);
    int64_t *seqs = calloc((size_t)n, sizeof *seqs);
    int64_t base = s_num(prod, "SELECT 2000000000 + count(*) FROM outbox");
    int sent = 0, seen = 0;
    int64_t period = 1000000 / rate, start = s_now_us(), next_poll = start;
    while (seen < n && s_now_us() - start < (int64_t)(seconds + 30) * 1000000) {
        int64_t now = s_now_us();
        if (sent < n && now >= start + (int64_t)sent * period) {
            if (hf_store_begin(prod) != 0 || s_lead(prod, base + sent) != 0) {
                fprintf(stderr, "bench_consumers: %s\n", hf_store_error(prod));
                return 1;
            }
            int64_t seq = s_num(prod, "SELECT last_seq FROM outbox_seq WHERE producer = 'intake'");
            if (hf_store_commit(prod) != 0)
                return 1;
            commit[sent] = s_now_us();
            seqs[sent++] = seq;
            Huifang__V1__Ping ping = HUIFANG__V1__PING__INIT;
            hf_request_t req = HUIFANG__V1__REQUEST__INIT;
            req.command_case = HUIFANG__V1__REQUEST__COMMAND_PING;
            req.ping = &ping;
            hf_reply_t *r = NULL;
            if (hf_client_call(c, &req, &r) == 0)
                huifang__v1__reply__free_unpacked(r, NULL);
        }
        now = s_now_us();
        if (now >= next_poll && seen < sent) {
            int64_t applied =
                s_num(rep_st, "SELECT last_seq FROM consumer_offset WHERE producer = 'intake'");
            int64_t at = s_now_us();
            while (seen < sent && seqs[seen] <= applied) {
                lat[seen] = at - commit[seen];
                seen++;
            }
            next_poll = at + 500;
        }
        int64_t wake = sent < n ? start + (int64_t)sent * period : next_poll;
        if (next_poll < wake)
            wake = next_poll;
        now = s_now_us();
        if (wake > now)
            usleep((useconds_t)(wake - now));
    }
    double span = (double)(commit[sent ? sent - 1 : 0] - start) / 1e6;
    qsort(lat, (size_t)seen, sizeof *lat, s_cmp);
    if (seen == 0)
        return 1;
    double p50 = (double)lat[seen / 2] / 1000.0, p99 = (double)lat[seen * 99 / 100] / 1000.0;
    printf("latency: %d events at %.0f/s (asked %d/s), commit at intake -> applied at reporting: "
           "p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d of %d seen)\n",
           sent, span > 0 ? sent / span : 0.0, rate, p50, p99, (double)lat[seen - 1] / 1000.0, seen,
           sent);
    printf("LAT_P50_MS %.1f\nLAT_P99_MS %.1f\nLAT_RATE %.0f\n", p50, p99,
           span > 0 ? sent / span : 0.0);
    hf_client_destroy(&c);
    hf_store_destroy(&prod);
    hf_store_destroy(&rep_st);
    free(commit);
    free(lat);
    free(seqs);
    return seen == sent ? 0 : 1;
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
    if (argc == 6 && strcmp(argv[1], "latency") == 0)
        return s_latency(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
    fprintf(stderr, "usage: bench_consumers produce URL N | raw URL INTAKE_EP | catchup URL "
                    "REP_EP SEQ | latency URL INTAKE_EP RATE SECONDS\n");
    return 2;
}
