/* bench_natday: the agents of the national day (tests/bench/national_day/run.sh). Many
 * concurrent clients, each a thread with its own connections (hf_client, as `huifang` makes
 * them), work the agents of AGENTS_FILE ("BRANCH AGENT" a line): for each agent, `task next`
 * (TaskNext to a scheduler, with a session of that agent signed here with the stack's
 * session key) until the bag is empty, and a `call log` (CallLog to calllog) of every task
 * claimed, the outcome drawn from a realistic mix (connected, no-answer, busy, wrong-number,
 * refused), a connected call ordering now and then (order_qty, the product NATDAY_PRODUCT)
 * or reporting an adverse effect (which files a complaint by itself).
 *
 *   bench_natday [--serve] AGENTS_FILE
 *
 * One round works every agent's bag until it is empty and prints one line of counts. With
 * --serve the clients (threads and their connections, the CURVE handshakes done once) stay for
 * the whole day: each line "go" on stdin runs a round and answers its counts line; end of
 * input ends it.
 *
 * Environment: NATDAY_CLIENTS (threads, default 8, at most MAX_CLIENTS: each has its two
 * connections), NATDAY_PRODUCT (default NAT30),
 * NATDAY_SCHEDULERS (comma-separated command endpoints of the scheduler instances, the
 * clients spread over them; default the stack's one), NATDAY_CALLLOGS (the same for calllog),
 * NATDAY_SEED (the outcome draw),
 * HUIFANG_SESSION_KEY_FILE, HUIFANG_CURVE / HUIFANG_KEYS_DIR like the CLI's.
 * Output: one line of counts a round "claimed=N logged=N ... errors=N" (with the round trips'
 * percentiles next_p50_us, next_p99_us, log_p50_us, log_p99_us); exit 1 when errors > 0. */
#include "hf_bus.h"
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_service.h"
#include "hf_session.h"
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <zmq.h>

#define MAX_ENDPOINTS 8
#define MAX_CLIENTS 4096
/* the round trips' histogram: HIST_STEPS buckets an octave of microseconds */
#define HIST_STEPS 8
#define HIST_N (32 * HIST_STEPS)

enum {
    C_CLAIMED,
    C_LOGGED,
    C_CONNECTED,
    C_NOANSWER,
    C_BUSY,
    C_WRONG,
    C_REFUSED,
    C_ORDERS,
    C_UNITS,
    C_ADVERSE,
    C_CONFLICT,
    C_ERRORS,
    C_NEXT_US,
    C_LOG_US,
    C_EMPTY,
    C_RETRIES,
    C_COUNT
};
static const char *const s_names[C_COUNT] = {"claimed", "logged",       "connected", "no_answer",
                                             "busy",    "wrong_number", "refused",   "orders",
                                             "units",   "adverse",      "conflicts", "errors",
                                             "next_us", "log_us",       "empty",     "retries"};

typedef struct {
    char branch[32];
    char agent[64];
    char *token; /* the agent's session, signed at its first round: an agent signs in once a
                  * shift, not every hour */
} agent_t;

static agent_t *s_agents;
static int s_n_agents;
static atomic_int s_next_agent;
static atomic_uint s_calls;
static atomic_long s_count[C_COUNT];
static uint8_t s_sk[crypto_sign_SECRETKEYBYTES];
static char s_sched[MAX_ENDPOINTS][256];
static int s_n_sched;
static char s_calllog[MAX_ENDPOINTS][256];
static int s_n_calllog;
static const char *s_product;
static unsigned s_seed;
static atomic_long s_hist[2][HIST_N]; /* [0] task next, [1] call log */

static void s_hist_add(int which, int64_t us)
{
    int oct = 0;
    while (oct < 31 && (us >> (oct + 1)) > 0)
        oct++;
    int64_t lo = (int64_t)1 << oct;
    int b = oct * HIST_STEPS + (int)((us > lo ? us - lo : 0) * HIST_STEPS / lo);
    atomic_fetch_add(&s_hist[which][b < HIST_N ? b : HIST_N - 1], 1);
}

/* The upper end of the bucket holding the q-th quantile, in microseconds. */
static long s_hist_quantile(int which, double q)
{
    long n = 0;
    for (int b = 0; b < HIST_N; b++)
        n += atomic_load(&s_hist[which][b]);
    if (n == 0)
        return 0;
    long want = (long)(q * (double)n + 0.999), seen = 0;
    for (int b = 0; b < HIST_N; b++) {
        seen += atomic_load(&s_hist[which][b]);
        if (seen >= want) {
            long lo = 1L << (b / HIST_STEPS);
            return lo + lo * (b % HIST_STEPS + 1) / HIST_STEPS;
        }
    }
    return 0;
}

/* A session of agent (role phone, its branch), as intake would sign it. */
static char *s_token(const agent_t *a)
{
    Huifang__V1__SessionClaims c = HUIFANG__V1__SESSION_CLAIMS__INIT;
    char *branches[1] = {(char *)a->branch};
    c.login = (char *)a->agent;
    c.role = "phone";
    c.name = (char *)a->agent;
    c.n_branches = 1;
    c.branches = branches;
    c.issued_ms = hf_clock_real_ms();
    c.expires_ms = c.issued_ms + 8L * 3600 * 1000;
    unsigned char id[16];
    char jti[33];
    randombytes_buf(id, sizeof id);
    sodium_bin2hex(jti, sizeof jti, id, sizeof id);
    c.jti = jti;
    return hf_session_sign(&c, s_sk);
}

static int64_t s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A draw per call (a no-answer comes back in the same window and is rung again, with a
 * fresh draw). */
static unsigned s_draw(int64_t task_id, unsigned salt)
{
    uint64_t x = (uint64_t)task_id * 0x9E3779B97F4A7C15ull ^ ((uint64_t)(s_seed + salt) << 32);
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 29;
    return (unsigned)(x % 1000);
}

static void s_work_agent(hf_client_t *sched, hf_client_t *calllog, agent_t *a)
{
    /* one client works an agent in a round, and the rounds meet at barriers: no race */
    if (a->token == NULL)
        a->token = s_token(a);
    const char *token = a->token;
    if (token == NULL) {
        atomic_fetch_add(&s_count[C_ERRORS], 1);
        return;
    }
    Huifang__V1__StreamPosition pos = HUIFANG__V1__STREAM_POSITION__INIT;
    char producer[32] = "", epoch[128] = "";
    pos.producer = producer;
    pos.epoch = epoch;
    for (;;) {
        char key[40];
        hf_bus_new_id(key);
        hf_request_t req = HUIFANG__V1__REQUEST__INIT;
        req.branch = (char *)a->branch;
        req.actor = (char *)a->agent;
        req.session = (char *)token;
        req.idempotency_key = key;
        /* read your own writes, as `huifang` does: the claim after a call log waits until
         * the scheduler has applied that log (else it hands out the same task again) */
        Huifang__V1__StreamPosition *after[1] = {&pos};
        if (pos.seq > 0) {
            req.n_after = 1;
            req.after = after;
        }
        Huifang__V1__TaskNext next = HUIFANG__V1__TASK_NEXT__INIT;
        next.agent = (char *)a->agent;
        req.command_case = HUIFANG__V1__REQUEST__COMMAND_TASK_NEXT;
        req.task_next = &next;
        hf_reply_t *rep = NULL;
        int64_t t0 = s_now_us();
        int rc = hf_client_call(sched, &req, &rep);
        /* the scheduler holds a claim a few seconds for the log before it; past that it says
         * UNAVAILABLE, "nothing changed, safe to retry": the agent asks again */
        for (int w = 0; rc == 0 && rep->status == HUIFANG__V1__STATUS__UNAVAILABLE && w < 20; w++) {
            atomic_fetch_add(&s_count[C_RETRIES], 1);
            huifang__v1__reply__free_unpacked(rep, NULL);
            rep = NULL;
            hf_bus_new_id(key);
            rc = hf_client_call(sched, &req, &rep);
        }
        int64_t took = s_now_us() - t0;
        atomic_fetch_add(&s_count[C_NEXT_US], took);
        s_hist_add(0, took);
        if (rc != 0) {
            atomic_fetch_add(&s_count[C_ERRORS], 1);
            break;
        }
        if (rep->status == HUIFANG__V1__STATUS__NOT_FOUND) {
            atomic_fetch_add(&s_count[C_EMPTY], 1);
            huifang__v1__reply__free_unpacked(rep, NULL);
            break; /* the bag is empty for now */
        }
        if (rep->status != HUIFANG__V1__STATUS__OK || rep->task == NULL ||
            rep->task->task == NULL) {
            fprintf(stderr, "bench_natday: task next %s/%s: status %d %s\n", a->branch, a->agent,
                    (int)rep->status, rep->error ? rep->error : "");
            atomic_fetch_add(&s_count[C_ERRORS], 1);
            huifang__v1__reply__free_unpacked(rep, NULL);
            break;
        }
        int64_t task_id = rep->task->task->id;
        huifang__v1__reply__free_unpacked(rep, NULL);
        atomic_fetch_add(&s_count[C_CLAIMED], 1);

        /* the mix: 55 % connected, 27 % no answer, 8 % busy, 2 % wrong number, 8 % refused;
         * a connected call orders 1-3 units 12 % of the time, reports an adverse effect
         * 0.5 % of the time (a complaint) */
        unsigned call = (unsigned)atomic_fetch_add(&s_calls, 1);
        unsigned d = s_draw(task_id, 1 + 16 * call);
        Huifang__V1__CallLog log = HUIFANG__V1__CALL_LOG__INIT;
        log.task_id = task_id;
        int kind;
        if (d < 550) {
            log.outcome = "connected";
            kind = C_CONNECTED;
            unsigned e = s_draw(task_id, 2 + 16 * call);
            if (e < 5) {
                log.effect = "adverse";
                atomic_fetch_add(&s_count[C_ADVERSE], 1);
            } else if (e < 125) {
                log.effect = "good";
                log.order_qty = 1 + (int32_t)(e % 3);
                log.order_product = (char *)s_product;
                log.delivery = "store";
            } else {
                log.effect = e < 600 ? "good" : "none";
            }
        } else if (d < 820) {
            log.outcome = "no-answer";
            kind = C_NOANSWER;
        } else if (d < 900) {
            log.outcome = "busy";
            kind = C_BUSY;
        } else if (d < 920) {
            log.outcome = "wrong-number";
            kind = C_WRONG;
        } else {
            log.outcome = "refused";
            kind = C_REFUSED;
        }
        hf_bus_new_id(key);
        req.n_after = 0;
        req.after = NULL;
        req.command_case = HUIFANG__V1__REQUEST__COMMAND_CALL_LOG;
        req.call_log = &log;
        rep = NULL;
        t0 = s_now_us();
        rc = hf_client_call(calllog, &req, &rep);
        /* calllog asks the scheduler for the task first; when that answer does not come in
         * its bound it says UNAVAILABLE, "nothing recorded, safe to retry": the agent logs
         * again, with the same key (a log that did get recorded answers the same) */
        for (int w = 0; rc == 0 && rep->status == HUIFANG__V1__STATUS__UNAVAILABLE && w < 20; w++) {
            atomic_fetch_add(&s_count[C_RETRIES], 1);
            huifang__v1__reply__free_unpacked(rep, NULL);
            rep = NULL;
            rc = hf_client_call(calllog, &req, &rep);
        }
        took = s_now_us() - t0;
        atomic_fetch_add(&s_count[C_LOG_US], took);
        s_hist_add(1, took);
        if (rc != 0) {
            atomic_fetch_add(&s_count[C_ERRORS], 1);
            break;
        }
        if (rep->status == HUIFANG__V1__STATUS__OK) {
            if (rep->written && rep->written->seq > 0) {
                snprintf(producer, sizeof producer, "%s", rep->written->producer);
                snprintf(epoch, sizeof epoch, "%s", rep->written->epoch);
                pos.seq = rep->written->seq;
            }
            atomic_fetch_add(&s_count[C_LOGGED], 1);
            atomic_fetch_add(&s_count[kind], 1);
            if (log.order_qty > 0) {
                atomic_fetch_add(&s_count[C_ORDERS], 1);
                atomic_fetch_add(&s_count[C_UNITS], log.order_qty);
            }
        } else {
            fprintf(stderr, "bench_natday: call log %s/%s task %lld: status %d %s\n", a->branch,
                    a->agent, (long long)task_id, (int)rep->status, rep->error ? rep->error : "");
            atomic_fetch_add(
                &s_count[rep->status == HUIFANG__V1__STATUS__CONFLICT ? C_CONFLICT : C_ERRORS], 1);
        }
        huifang__v1__reply__free_unpacked(rep, NULL);
    }
}

/* The rounds: every client waits at s_start, works agents until none is left, and meets the
 * others at s_end, where main prints the round's counts. */
static pthread_barrier_t s_start, s_end;
static atomic_bool s_quit;

static void *s_client(void *arg)
{
    int no = (int)(intptr_t)arg;
    hf_client_t *sched = hf_client_new(s_sched[no % s_n_sched], 30000, 1);
    hf_client_set_server(sched, "scheduler");
    hf_client_t *calllog = hf_client_new(s_calllog[no % s_n_calllog], 30000, 1);
    hf_client_set_server(calllog, "calllog");
    for (;;) {
        pthread_barrier_wait(&s_start);
        if (atomic_load(&s_quit))
            break;
        for (;;) {
            int i = atomic_fetch_add(&s_next_agent, 1);
            if (i >= s_n_agents)
                break;
            s_work_agent(sched, calllog, &s_agents[i]);
        }
        pthread_barrier_wait(&s_end);
    }
    hf_client_destroy(&sched);
    hf_client_destroy(&calllog);
    return NULL;
}

/* Runs one round with the clients and prints its counts; true when it had errors. */
static bool s_round(void)
{
    atomic_store(&s_next_agent, 0);
    for (int i = 0; i < C_COUNT; i++)
        atomic_store(&s_count[i], 0);
    for (int w = 0; w < 2; w++)
        for (int b = 0; b < HIST_N; b++)
            atomic_store(&s_hist[w][b], 0);
    pthread_barrier_wait(&s_start);
    pthread_barrier_wait(&s_end);
    for (int i = 0; i < C_COUNT; i++)
        printf("%s%s=%ld", i ? " " : "", s_names[i], atomic_load(&s_count[i]));
    printf(" next_p50_us=%ld next_p99_us=%ld log_p50_us=%ld log_p99_us=%ld\n",
           s_hist_quantile(0, 0.5), s_hist_quantile(0, 0.99), s_hist_quantile(1, 0.5),
           s_hist_quantile(1, 0.99));
    fflush(stdout);
    return atomic_load(&s_count[C_ERRORS]) > 0;
}

static int s_load_agents(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    int cap = 1024;
    s_agents = malloc(sizeof *s_agents * (size_t)cap);
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (s_n_agents == cap) {
            cap *= 2;
            s_agents = realloc(s_agents, sizeof *s_agents * (size_t)cap);
        }
        agent_t *a = &s_agents[s_n_agents];
        a->token = NULL;
        if (sscanf(line, "%31s %63s", a->branch, a->agent) == 2)
            s_n_agents++;
    }
    fclose(f);
    return 0;
}

/* The endpoints a list in env names ("a,b"), else the service's own: how many (>= 1). */
static int s_endpoints(const char *env, const char *service, char out[MAX_ENDPOINTS][256])
{
    const char *eps = getenv(env);
    if (eps == NULL || *eps == '\0') {
        hf_endpoint_commands(service, out[0], sizeof out[0]);
        return 1;
    }
    char buf[MAX_ENDPOINTS * 256];
    snprintf(buf, sizeof buf, "%s", eps);
    char *save = NULL;
    int n = 0;
    for (char *t = strtok_r(buf, ",", &save); t && n < MAX_ENDPOINTS;
         t = strtok_r(NULL, ",", &save))
        snprintf(out[n++], sizeof out[0], "%s", t);
    if (n == 0) { /* only commas */
        hf_endpoint_commands(service, out[0], sizeof out[0]);
        n = 1;
    }
    return n;
}

int main(int argc, char **argv)
{
    bool serve = argc == 3 && strcmp(argv[1], "--serve") == 0;
    if (argc != 2 && !serve) {
        fprintf(stderr, "usage: bench_natday [--serve] AGENTS_FILE\n");
        return 2;
    }
    const char *file = argv[argc - 1];
    hf_log_init("bench_natday", "warn");
    if (sodium_init() < 0 || s_load_agents(file) != 0) {
        fprintf(stderr, "bench_natday: cannot read %s\n", file);
        return 2;
    }
    char err[1024];
    const char *keyfile = getenv("HUIFANG_SESSION_KEY_FILE");
    if (keyfile == NULL || hf_session_load_secret(keyfile, s_sk, err, sizeof err) != 0) {
        fprintf(stderr, "bench_natday: HUIFANG_SESSION_KEY_FILE: %s\n", keyfile ? err : "not set");
        return 2;
    }
    const char *env = getenv("HUIFANG_CURVE");
    bool curve = !(env && strcmp(env, "off") == 0);
    if (hf_bus_curve_init(curve, getenv("HUIFANG_KEYS_DIR"), "cli", err, sizeof err) != 0) {
        fprintf(stderr, "bench_natday: %s\n", err);
        return 2;
    }
    s_n_sched = s_endpoints("NATDAY_SCHEDULERS", "scheduler", s_sched);
    s_n_calllog = s_endpoints("NATDAY_CALLLOGS", "calllog", s_calllog);
    s_product = getenv("NATDAY_PRODUCT") ? getenv("NATDAY_PRODUCT") : "NAT30";
    s_seed = getenv("NATDAY_SEED") ? (unsigned)atoi(getenv("NATDAY_SEED")) : 14;
    int clients = getenv("NATDAY_CLIENTS") ? atoi(getenv("NATDAY_CLIENTS")) : 8;
    if (clients < 1)
        clients = 1;
    if (clients > MAX_CLIENTS)
        clients = MAX_CLIENTS;
    /* two sockets a client (ZeroMQ allows 1,023 a context unless told), each a connection
     * and a mailbox: a descriptor budget of about five a client */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)clients * 5 + 64) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)clients * 5 + 64) {
        fprintf(stderr, "bench_natday: %d clients need %d file descriptors, the limit is %ld\n",
                clients, clients * 5 + 64, (long)rl.rlim_cur);
        return 2;
    }
    zmq_ctx_set(hf_bus_context(), ZMQ_MAX_SOCKETS, clients * 2 + 16);

    pthread_barrier_init(&s_start, NULL, (unsigned)clients + 1);
    pthread_barrier_init(&s_end, NULL, (unsigned)clients + 1);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_t *th = malloc(sizeof *th * (size_t)clients);
    for (int i = 0; i < clients; i++)
        if (pthread_create(&th[i], &attr, s_client, (void *)(intptr_t)i) != 0) {
            fprintf(stderr, "bench_natday: cannot start client %d of %d\n", i + 1, clients);
            return 2;
        }
    pthread_attr_destroy(&attr);
    bool errors = false;
    if (serve) {
        char line[64];
        while (fgets(line, sizeof line, stdin))
            if (strncmp(line, "go", 2) == 0)
                errors |= s_round();
    } else {
        errors = s_round();
    }
    atomic_store(&s_quit, true);
    pthread_barrier_wait(&s_start);
    for (int i = 0; i < clients; i++)
        pthread_join(th[i], NULL);
    free(th);
    pthread_barrier_destroy(&s_start);
    pthread_barrier_destroy(&s_end);
    for (int i = 0; i < s_n_agents; i++)
        free(s_agents[i].token);
    free(s_agents);
    sodium_memzero(s_sk, sizeof s_sk);
    hf_bus_shutdown();
    return errors ? 1 : 0;
}
