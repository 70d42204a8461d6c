/* bench_natday: the agents of the national day (tests/bench/national_day/run.sh). Many
 * concurrent clients, each with its own connections (hf_client, as `huifang` makes them),
 * work the agents of AGENTS_FILE ("BRANCH AGENT" a line): for each agent, `task next`
 * (TaskNext to a scheduler, with a session of that agent signed here with the stack's
 * session key) until the bag is empty, and a `call log` (CallLog to calllog) of every task
 * claimed, the outcome drawn from a realistic mix (connected, no-answer, busy, wrong-number,
 * refused), a connected call ordering now and then (order_qty, the product NATDAY_PRODUCT)
 * or reporting an adverse effect (which files a complaint by itself).
 *
 *   bench_natday [--serve] AGENTS_FILE
 *
 * One round works every agent's bag until it is empty and prints one line of counts. With
 * --serve the clients (their connections, the CURVE handshakes done once) stay for the whole
 * day: each line "go" on stdin runs a round and answers its counts line; end of input ends it.
 *
 * A client is a small state machine, not a thread: it has one request in flight at a time
 * (its agent's claim, or the log of the task claimed), sent with hf_client_send and taken
 * with hf_client_take when its socket signals, so every agent still works its own bag
 * sequentially (claim, log, claim...) and all of them concurrently. NATDAY_THREADS threads
 * (default 1) drive the clients, each its share of them from one epoll set of their sockets,
 * and after each batch of answers sleeps NATDAY_GATHER_US (default 2000) so that the next
 * answers gather: one wake for several, and their next requests reach ZeroMQ's I/O thread
 * together (0: each answer handled as it comes). Until the eleventh round every client was
 * a thread of its own blocked in hf_client_call: 1,000 threads at a tenth of the chain, each
 * woken for each reply, 0.33 ms of the machine's CPU a call in this process. (Not zmq_poll
 * over the clients' sockets: it asks every socket for its events, a system call each, at
 * every wake.)
 *
 * Environment: NATDAY_CLIENTS (clients, default 8, at most MAX_CLIENTS: each has its two
 * connections), NATDAY_THREADS (the threads driving them, default 1, at most MAX_THREADS),
 * NATDAY_GATHER_US (the sleep after a batch of answers, µs, 0-100000),
 * NATDAY_PRODUCT (default NAT30),
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
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define MAX_ENDPOINTS 8
#define MAX_CLIENTS 4096
#define MAX_THREADS 64
/* the round trips' histogram: HIST_STEPS buckets an octave of microseconds */
#define HIST_STEPS 8
#define HIST_N (32 * HIST_STEPS)
/* a try's bound, as hf_client_new(..., 30000, 1) gave hf_client_call: no answer in 30 s is
 * an error of the agent's round */
#define TRY_MS 30000
/* UNAVAILABLE answers taken again (then the answer is an error) */
#define MAX_RETRIES 20

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

/* ---- a client: two connections and the agent it works ------------------------------------- */

typedef enum { S_IDLE, S_CLAIM, S_LOG } step_t;

typedef struct client_t client_t;

/* A connection and the socket of it the thread's epoll set watches: hf_client keeps one
 * socket while its requests are answered and opens a fresh one after a failed try. */
typedef struct {
    hf_client_t *cl;
    client_t *owner;
    void *sock; /* the socket watched, NULL when none */
    int fd;     /* its ZMQ_FD in the epoll set, -1 when none */
} conn_t;

struct client_t {
    conn_t sched;
    conn_t calllog;
    agent_t *agent;      /* the agent worked, NULL when idle */
    step_t step;         /* the request in flight */
    conn_t *waiting;     /* the connection it went on, NULL when none */
    int retries;         /* UNAVAILABLE answers taken again for this claim or log */
    int64_t t0_us;       /* when the claim or log began (its retries included) */
    int64_t deadline_us; /* when the try in flight fails */
    char key[40];        /* the request's idempotency key */
    int64_t task_id;     /* the task claimed (S_LOG) */
    int kind;            /* C_CONNECTED...C_REFUSED: the log's outcome */
    const char *outcome; /* the CallLog's fields drawn for the task */
    const char *effect;
    int32_t order_qty;
    /* the agent's own last write (Request.after of its next claim) */
    char producer[32];
    char epoch[128];
    int64_t seq;
};

/* A thread driving clients: its share, its epoll set, its counts of the round (summed by
 * main at the round's end, so no counter's cache line is shared between threads). */
typedef struct {
    pthread_t th;
    int epfd;
    client_t *clients;
    int n_clients;
    int busy;       /* clients working an agent */
    conn_t **ready; /* connections answered before their socket could signal it */
    int n_ready;
    int ready_cap;
    long count[C_COUNT];
    long hist[2][HIST_N]; /* [0] task next, [1] call log */
} driver_t;

static agent_t *s_agents;
static int s_n_agents;
static atomic_int s_next_agent;
static atomic_uint s_calls;
static long s_count[C_COUNT];
static long s_hist[2][HIST_N];
static uint8_t s_sk[crypto_sign_SECRETKEYBYTES];
static char s_sched[MAX_ENDPOINTS][256];
static int s_n_sched;
static char s_calllog[MAX_ENDPOINTS][256];
static int s_n_calllog;
static const char *s_product;
static unsigned s_seed;
static long s_gather_us; /* NATDAY_GATHER_US */

static void s_hist_add(long *hist, int64_t us)
{
    int oct = 0;
    while (oct < 31 && (us >> (oct + 1)) > 0)
        oct++;
    int64_t lo = (int64_t)1 << oct;
    int b = oct * HIST_STEPS + (int)((us > lo ? us - lo : 0) * HIST_STEPS / lo);
    hist[b < HIST_N ? b : HIST_N - 1]++;
}

/* The upper end of the bucket holding the q-th quantile, in microseconds. */
static long s_hist_quantile(const long *hist, double q)
{
    long n = 0;
    for (int b = 0; b < HIST_N; b++)
        n += hist[b];
    if (n == 0)
        return 0;
    long want = (long)(q * (double)n + 0.999), seen = 0;
    for (int b = 0; b < HIST_N; b++) {
        seen += hist[b];
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

/* ---- the requests ------------------------------------------------------------------------- */

/* Stops watching conn's socket, which hf_client closed (a failed try). Its descriptor may be
 * gone already (epoll forgot it then) or not yet (ZeroMQ's reaper closes it a moment later):
 * either way it is no longer ours to watch. */
static void s_forget(driver_t *d, conn_t *conn)
{
    if (conn->fd >= 0)
        epoll_ctl(d->epfd, EPOLL_CTL_DEL, conn->fd, NULL);
    conn->fd = -1;
    conn->sock = NULL;
}

/* Sends c's request of its step (a try; the key chosen by the caller) on conn and waits for
 * the answer from the thread's loop. Returns 0, or -1 when it could not be sent (the try
 * failed). */
static int s_send(driver_t *d, client_t *c, conn_t *conn)
{
    agent_t *a = c->agent;
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    req.branch = a->branch;
    req.actor = a->agent;
    req.session = a->token;
    req.idempotency_key = c->key;
    Huifang__V1__StreamPosition pos = HUIFANG__V1__STREAM_POSITION__INIT;
    Huifang__V1__StreamPosition *after[1] = {&pos};
    Huifang__V1__TaskNext next = HUIFANG__V1__TASK_NEXT__INIT;
    Huifang__V1__CallLog log = HUIFANG__V1__CALL_LOG__INIT;
    if (c->step == S_CLAIM) {
        /* read your own writes, as `huifang` does: the claim after a call log waits until
         * the scheduler has applied that log (else it hands out the same task again) */
        if (c->seq > 0) {
            pos.producer = c->producer;
            pos.epoch = c->epoch;
            pos.seq = c->seq;
            req.n_after = 1;
            req.after = after;
        }
        next.agent = a->agent;
        req.command_case = HUIFANG__V1__REQUEST__COMMAND_TASK_NEXT;
        req.task_next = &next;
    } else {
        log.task_id = c->task_id;
        log.outcome = (char *)c->outcome;
        if (c->effect)
            log.effect = (char *)c->effect;
        if (c->order_qty > 0) {
            log.order_qty = c->order_qty;
            log.order_product = (char *)s_product;
            log.delivery = "store";
        }
        req.command_case = HUIFANG__V1__REQUEST__COMMAND_CALL_LOG;
        req.call_log = &log;
    }
    if (hf_client_send(conn->cl, &req) != 0) {
        s_forget(d, conn);
        return -1;
    }
    void *sock = hf_client_pending(conn->cl);
    if (sock != conn->sock) {
        /* a new socket (the first, or one after a failed try): watched from now on, edge-
         * triggered, so that the connection idle while the agent waits on the other one
         * never wakes the thread again for a command left in its mailbox */
        s_forget(d, conn);
        size_t flen = sizeof conn->fd;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.ptr = conn};
        if (zmq_getsockopt(sock, ZMQ_FD, &conn->fd, &flen) != 0 ||
            epoll_ctl(d->epfd, EPOLL_CTL_ADD, conn->fd, &ev) != 0) {
            conn->fd = -1;
            hf_client_abandon(conn->cl);
            return -1;
        }
        conn->sock = sock;
    }
    c->waiting = conn;
    c->deadline_us = s_now_us() + (int64_t)TRY_MS * 1000;
    /* ZMQ_FD signals a change, not a state: asking for the events once after the send drains
     * the socket's mailbox and puts its inbound pipe to sleep, so that the answer's arrival
     * does signal it (what zmq_poll's first pass did for hf_client_call) */
    int events = 0;
    size_t elen = sizeof events;
    if (zmq_getsockopt(sock, ZMQ_EVENTS, &events, &elen) != 0) {
        hf_client_abandon(conn->cl);
        s_forget(d, conn);
        c->waiting = NULL;
        return -1;
    }
    if ((events & ZMQ_POLLIN) && d->n_ready < d->ready_cap) /* answered already: no edge */
        d->ready[d->n_ready++] = conn;
    return 0;
}

/* Begins a claim of c's agent (a fresh key a try: the scheduler's UNAVAILABLE is "nothing
 * changed"). Returns as s_send. */
static int s_claim(driver_t *d, client_t *c, bool first)
{
    c->step = S_CLAIM;
    if (first) {
        c->retries = 0;
        c->t0_us = s_now_us();
    }
    hf_bus_new_id(c->key);
    return s_send(d, c, &c->sched);
}

/* Draws the log of the task claimed and sends it (one key for its tries: calllog's
 * UNAVAILABLE is "nothing recorded", and a log that was recorded answers the same). */
static int s_log(driver_t *d, client_t *c)
{
    /* the mix: 55 % connected, 27 % no answer, 8 % busy, 2 % wrong number, 8 % refused;
     * a connected call orders 1-3 units 12 % of the time, reports an adverse effect
     * 0.5 % of the time (a complaint) */
    unsigned call = (unsigned)atomic_fetch_add_explicit(&s_calls, 1, memory_order_relaxed);
    unsigned r = s_draw(c->task_id, 1 + 16 * call);
    c->effect = NULL;
    c->order_qty = 0;
    if (r < 550) {
        c->outcome = "connected";
        c->kind = C_CONNECTED;
        unsigned e = s_draw(c->task_id, 2 + 16 * call);
        if (e < 5) {
            c->effect = "adverse";
            d->count[C_ADVERSE]++;
        } else if (e < 125) {
            c->effect = "good";
            c->order_qty = 1 + (int32_t)(e % 3);
        } else {
            c->effect = e < 600 ? "good" : "none";
        }
    } else if (r < 820) {
        c->outcome = "no-answer";
        c->kind = C_NOANSWER;
    } else if (r < 900) {
        c->outcome = "busy";
        c->kind = C_BUSY;
    } else if (r < 920) {
        c->outcome = "wrong-number";
        c->kind = C_WRONG;
    } else {
        c->outcome = "refused";
        c->kind = C_REFUSED;
    }
    c->step = S_LOG;
    c->retries = 0;
    c->t0_us = s_now_us();
    hf_bus_new_id(c->key);
    return s_send(d, c, &c->calllog);
}

/* Takes the next agent for c until one has a request in flight, or none is left (c idle). */
static void s_next(driver_t *d, client_t *c)
{
    for (;;) {
        int i = atomic_fetch_add(&s_next_agent, 1);
        if (i >= s_n_agents) {
            c->agent = NULL;
            c->step = S_IDLE;
            d->busy--;
            return;
        }
        agent_t *a = &s_agents[i];
        /* one client works an agent in a round, and the rounds meet at barriers: no race */
        if (a->token == NULL)
            a->token = s_token(a);
        if (a->token == NULL) {
            d->count[C_ERRORS]++;
            continue;
        }
        c->agent = a;
        c->producer[0] = c->epoch[0] = '\0';
        c->seq = 0;
        if (s_claim(d, c, true) == 0)
            return;
        /* not sent: the try failed, as hf_client_call's -1 */
        int64_t took = s_now_us() - c->t0_us;
        d->count[C_NEXT_US] += took;
        s_hist_add(d->hist[0], took);
        d->count[C_ERRORS]++;
    }
}

/* The step that follows c's answer rep (NULL: the try failed, no answer in its bound or
 * garbage). Ends with c's next request in flight, or c on its next agent, or idle. */
static void s_answer(driver_t *d, client_t *c, hf_reply_t *rep)
{
    agent_t *a = c->agent;
    for (;;) {
        if (c->step == S_CLAIM) {
            /* the scheduler holds a claim a few seconds for the log before it; past that it
             * says UNAVAILABLE, "nothing changed, safe to retry": the agent asks again */
            if (rep && rep->status == HUIFANG__V1__STATUS__UNAVAILABLE &&
                c->retries < MAX_RETRIES) {
                c->retries++;
                d->count[C_RETRIES]++;
                huifang__v1__reply__free_unpacked(rep, NULL);
                rep = NULL;
                if (s_claim(d, c, false) == 0)
                    return;
                continue; /* not sent: rep NULL, the claim failed */
            }
            int64_t took = s_now_us() - c->t0_us;
            d->count[C_NEXT_US] += took;
            s_hist_add(d->hist[0], took);
            if (rep == NULL) {
                d->count[C_ERRORS]++;
                break;
            }
            if (rep->status == HUIFANG__V1__STATUS__NOT_FOUND) {
                d->count[C_EMPTY]++;
                huifang__v1__reply__free_unpacked(rep, NULL);
                break; /* the bag is empty for now */
            }
            if (rep->status != HUIFANG__V1__STATUS__OK || rep->task == NULL ||
                rep->task->task == NULL) {
                fprintf(stderr, "bench_natday: task next %s/%s: status %d %s\n", a->branch,
                        a->agent, (int)rep->status, rep->error ? rep->error : "");
                d->count[C_ERRORS]++;
                huifang__v1__reply__free_unpacked(rep, NULL);
                break;
            }
            c->task_id = rep->task->task->id;
            huifang__v1__reply__free_unpacked(rep, NULL);
            rep = NULL;
            d->count[C_CLAIMED]++;
            if (s_log(d, c) == 0)
                return;
            continue; /* not sent: the log failed */
        }
        /* the log's answer: calllog asks the scheduler for the task first; when that answer
         * does not come in its bound it says UNAVAILABLE, "nothing recorded, safe to retry":
         * the agent logs again, with the same key */
        if (rep && rep->status == HUIFANG__V1__STATUS__UNAVAILABLE && c->retries < MAX_RETRIES) {
            c->retries++;
            d->count[C_RETRIES]++;
            huifang__v1__reply__free_unpacked(rep, NULL);
            rep = NULL;
            if (s_send(d, c, &c->calllog) == 0)
                return;
            continue;
        }
        int64_t took = s_now_us() - c->t0_us;
        d->count[C_LOG_US] += took;
        s_hist_add(d->hist[1], took);
        if (rep == NULL) {
            d->count[C_ERRORS]++;
            break;
        }
        if (rep->status == HUIFANG__V1__STATUS__OK) {
            if (rep->written && rep->written->seq > 0) {
                snprintf(c->producer, sizeof c->producer, "%s", rep->written->producer);
                snprintf(c->epoch, sizeof c->epoch, "%s", rep->written->epoch);
                c->seq = rep->written->seq;
            }
            d->count[C_LOGGED]++;
            d->count[c->kind]++;
            if (c->order_qty > 0) {
                d->count[C_ORDERS]++;
                d->count[C_UNITS] += c->order_qty;
            }
        } else {
            fprintf(stderr, "bench_natday: call log %s/%s task %lld: status %d %s\n", a->branch,
                    a->agent, (long long)c->task_id, (int)rep->status,
                    rep->error ? rep->error : "");
            d->count[rep->status == HUIFANG__V1__STATUS__CONFLICT ? C_CONFLICT : C_ERRORS]++;
        }
        huifang__v1__reply__free_unpacked(rep, NULL);
        rep = NULL;
        if (s_claim(d, c, true) == 0)
            return;
        /* not sent: the claim failed (the loop's next turn counts it) */
    }
    s_next(d, c); /* this agent is done for the round */
}

/* Fails every try past its bound (a scan a second: the bound is 30 s). */
static void s_expire(driver_t *d, int64_t now)
{
    for (int i = 0; i < d->n_clients; i++) {
        client_t *c = &d->clients[i];
        if (c->waiting == NULL || c->deadline_us > now)
            continue;
        hf_client_abandon(c->waiting->cl);
        s_forget(d, c->waiting);
        c->waiting = NULL;
        s_answer(d, c, NULL);
    }
}

/* ---- the rounds ----------------------------------------------------------------------------- */

/* Every driver waits at s_start, works agents until none is left and its clients are idle,
 * and meets the others at s_end, where main sums and prints the round's counts. */
static pthread_barrier_t s_start, s_end;
static atomic_bool s_quit;

/* conn's socket signalled: its answer, if that is what came, and the client's next step. */
static void s_ready(driver_t *d, conn_t *conn)
{
    client_t *c = conn->owner;
    if (c->waiting != conn)
        return; /* the connection idle while its agent waits on the other one */
    hf_reply_t *rep = NULL;
    int rc = hf_client_take(conn->cl, &rep);
    if (rc == 0)
        return; /* not the answer yet (another command of the socket's) */
    if (rc < 0)
        s_forget(d, conn); /* hf_client closed the socket */
    c->waiting = NULL;
    s_answer(d, c, rc == 1 ? rep : NULL);
}

static void s_round_work(driver_t *d)
{
    memset(d->count, 0, sizeof d->count);
    memset(d->hist, 0, sizeof d->hist);
    d->busy = d->n_clients;
    for (int i = 0; i < d->n_clients; i++)
        s_next(d, &d->clients[i]);
    struct epoll_event evs[256];
    int64_t scan = s_now_us() + 1000000;
    while (d->busy > 0) {
        int n = 0;
        if (d->n_ready == 0) {
            n = epoll_wait(d->epfd, evs, (int)(sizeof evs / sizeof evs[0]), 1000);
            if (n < 0 && errno != EINTR) {
                fprintf(stderr, "bench_natday: epoll_wait: %s\n", strerror(errno));
                abort();
            }
        }
        for (int k = 0; k < n; k++)
            s_ready(d, evs[k].data.ptr);
        while (d->n_ready > 0)
            s_ready(d, d->ready[--d->n_ready]);
        int64_t now = s_now_us();
        if (now >= scan) {
            s_expire(d, now);
            scan = now + 1000000;
        }
        if (s_gather_us > 0 && d->busy > 0) {
            /* let the next answers gather: one wake of this thread for several of them,
             * and the requests that follow them go to the I/O thread together */
            struct timespec ts = {0, s_gather_us * 1000L};
            nanosleep(&ts, NULL);
        }
    }
}

static void *s_driver(void *arg)
{
    driver_t *d = arg;
    for (;;) {
        pthread_barrier_wait(&s_start);
        if (atomic_load(&s_quit))
            break;
        s_round_work(d);
        pthread_barrier_wait(&s_end);
    }
    return NULL;
}

/* Runs one round with the drivers and prints its counts; true when it had errors. */
static bool s_round(driver_t *drivers, int n_drivers)
{
    atomic_store(&s_next_agent, 0);
    pthread_barrier_wait(&s_start);
    pthread_barrier_wait(&s_end);
    memset(s_count, 0, sizeof s_count);
    memset(s_hist, 0, sizeof s_hist);
    for (int t = 0; t < n_drivers; t++) {
        for (int i = 0; i < C_COUNT; i++)
            s_count[i] += drivers[t].count[i];
        for (int w = 0; w < 2; w++)
            for (int b = 0; b < HIST_N; b++)
                s_hist[w][b] += drivers[t].hist[w][b];
    }
    for (int i = 0; i < C_COUNT; i++)
        printf("%s%s=%ld", i ? " " : "", s_names[i], s_count[i]);
    printf(" next_p50_us=%ld next_p99_us=%ld log_p50_us=%ld log_p99_us=%ld\n",
           s_hist_quantile(s_hist[0], 0.5), s_hist_quantile(s_hist[0], 0.99),
           s_hist_quantile(s_hist[1], 0.5), s_hist_quantile(s_hist[1], 0.99));
    fflush(stdout);
    return s_count[C_ERRORS] > 0;
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
    s_gather_us = getenv("NATDAY_GATHER_US") ? atol(getenv("NATDAY_GATHER_US")) : 2000;
    if (s_gather_us < 0 || s_gather_us > 100000)
        s_gather_us = 2000;
    /* the answers' memory comes and goes a request at a time: a heap that never gives its top
     * back saves the system calls that shrink and grow it again (mprotect, in a thread's
     * arena) */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    int threads = getenv("NATDAY_THREADS") ? atoi(getenv("NATDAY_THREADS")) : 1;
    if (threads < 1)
        threads = 1;
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    if (threads > clients)
        threads = clients;
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

    /* the clients, client i on the schedulers' and calllogs' endpoint i (modulo their
     * number) as before, driven by thread i modulo threads */
    driver_t *drivers = calloc((size_t)threads, sizeof *drivers);
    if (drivers == NULL) {
        fprintf(stderr, "bench_natday: out of memory\n");
        return 2;
    }
    for (int t = 0; t < threads; t++) {
        drivers[t].clients = calloc((size_t)(clients / threads + 1), sizeof(client_t));
        drivers[t].ready_cap = 2 * (clients / threads + 1);
        drivers[t].ready = calloc((size_t)drivers[t].ready_cap, sizeof(conn_t *));
        drivers[t].epfd = epoll_create1(EPOLL_CLOEXEC);
        if (drivers[t].clients == NULL || drivers[t].ready == NULL || drivers[t].epfd < 0) {
            fprintf(stderr, "bench_natday: cannot set up driver %d of %d\n", t + 1, threads);
            return 2;
        }
    }
    for (int i = 0; i < clients; i++) {
        driver_t *d = &drivers[i % threads];
        client_t *c = &d->clients[d->n_clients++];
        c->sched.cl = hf_client_new(s_sched[i % s_n_sched], TRY_MS, 1);
        hf_client_set_server(c->sched.cl, "scheduler");
        c->calllog.cl = hf_client_new(s_calllog[i % s_n_calllog], TRY_MS, 1);
        hf_client_set_server(c->calllog.cl, "calllog");
        c->sched.owner = c->calllog.owner = c;
        c->sched.fd = c->calllog.fd = -1;
    }

    pthread_barrier_init(&s_start, NULL, (unsigned)threads + 1);
    pthread_barrier_init(&s_end, NULL, (unsigned)threads + 1);
    for (int t = 0; t < threads; t++)
        if (pthread_create(&drivers[t].th, NULL, s_driver, &drivers[t]) != 0) {
            fprintf(stderr, "bench_natday: cannot start driver %d of %d\n", t + 1, threads);
            return 2;
        }
    bool errors = false;
    if (serve) {
        char line[64];
        while (fgets(line, sizeof line, stdin))
            if (strncmp(line, "go", 2) == 0)
                errors |= s_round(drivers, threads);
    } else {
        errors = s_round(drivers, threads);
    }
    atomic_store(&s_quit, true);
    pthread_barrier_wait(&s_start);
    for (int t = 0; t < threads; t++) {
        pthread_join(drivers[t].th, NULL);
        for (int i = 0; i < drivers[t].n_clients; i++) {
            hf_client_destroy(&drivers[t].clients[i].sched.cl);
            hf_client_destroy(&drivers[t].clients[i].calllog.cl);
        }
        free(drivers[t].clients);
        free(drivers[t].ready);
        close(drivers[t].epfd);
    }
    free(drivers);
    pthread_barrier_destroy(&s_start);
    pthread_barrier_destroy(&s_end);
    for (int i = 0; i < s_n_agents; i++)
        free(s_agents[i].token);
    free(s_agents);
    sodium_memzero(s_sk, sizeof s_sk);
    hf_bus_shutdown();
    return errors ? 1 : 0;
}
