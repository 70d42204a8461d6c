/* hf_service: the loop every service runs. See hf_service.h for the contract.
 *
 * Event flow, producer side: a command's handler writes its state and calls
 * hf_service_emit(), which appends to the outbox inside the same transaction. After commit
 * the relay reads committed outbox rows past the last one it published and publishes them
 * in sequence order; once a second it publishes a heartbeat carrying the last committed
 * sequence, so a consumer that lost the tail of the stream learns it is behind.
 *
 * Consumer side: events received (live, or fetched by a replay) are held in order and
 * applied in batches: one transaction applies many events and moves the consumer's stored
 * sequence for that producer once, under a row lock, so each event takes effect exactly
 * once even with several instances (an instance that finds the lock taken does not wait
 * for it: the other is applying the same events; it tries again a moment later and finds
 * them applied). A handler failing inside a batch rolls the batch back;
 * the events before it are applied again and committed, and the failing one goes on its
 * own (s_sub_apply), whose failures are counted as before (a poison event goes to the dead
 * letters). A service may keep what its handlers add up and write it once a batch
 * (hf_service_on_batch; hf_store_defer sends it with the commit). A batch costs two round
 * trips of its own: BEGIN with the lock on the stored sequence, and the commit with the
 * sequence stored. A turn of the loop runs handlers for at most HF_SLICE_MS, and a replay's
 * answer is awaited by the loop's poll, not by a call, so requests are served while a
 * consumer catches up. An event this service has no handler for changes nothing, so a run
 * of them only moves the sequence in memory; the stored sequence catches up once per burst
 * of messages (s_sub_flush). That is safe: the sequence in memory passed every event up to it, each
 * either applied (its transaction stored its sequence) or found applied by another
 * instance (the stored sequence was at least as far), or one without a handler; so an event
 * with a handler may be applied on top of a stored sequence that lags behind the one in
 * memory, and a restart from a lagging stored sequence only replays events that change
 * nothing. An event past the next expected one, a heartbeat ahead of us, or a start-up
 * means a gap: we ask the producer's ROUTER for a replay.
 *
 * Read your own writes: a command's reply names the place of the last event it emitted
 * (producer, sequence and the stream's epoch, a random id kept with the outbox counter row).
 * A request carrying such places ('after') is parked here, not served, while a consumer of
 * ours has not applied one of them: the loop goes on serving other requests and events, and
 * answers the parked request as soon as the consumer gets there. The event normally arrives
 * on the live stream within milliseconds; if it has not after HF_AFTER_GRACE_MS the consumer
 * asks for a replay (the gap logic's catch-up). A place this service cannot judge is ignored:
 * a producer it does not consume, another epoch (a state file that outlived its database),
 * or a sequence still ahead of the producer's own last after a catch-up that began once the
 * request was parked (a restored backup). After read_wait_ms the request is answered
 * UNAVAILABLE, naming the producer and both sequences. */
#include "hf_service.h"
#include "hf_clock.h"
#include "hf_keys.h"
#include "hf_log.h"
#include "hf_mask.h"
#include "hf_metrics.h"
#include "hf_outbox.h"
#include "hf_zap.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define HF_MAX_SUBS 8
#define HF_MAX_TIMERS 8
#define HF_MAX_PEERS 8
#define HF_RELAY_BATCH 500
/* A producer hands out at most HF_REPLAY_BATCH events a replay, and no more than
 * HF_REPLAY_BYTES of them but one. A consumer asks for HF_FETCH_BATCH events a replay
 * without waiting for them (the first in a turn of the loop of its own, each next one as
 * soon as the last one's are held: the producer reads them while the consumer applies; its
 * loop only unpacks the answer), and holds up to HF_PEND_MAX received events. It applies up
 * to HF_APPLY_BATCH events a transaction, and a turn of the loop runs handlers for at most
 * HF_SLICE_MS (then commits what they did) before it serves requests again. (Sizing batches
 * by their recent cost was tried: a commit's cost under load is mostly per batch, not per
 * event, so smaller batches only lowered the rate.) */
#define HF_REPLAY_BATCH 2000
#define HF_REPLAY_BYTES (2 << 20)
#define HF_FETCH_BATCH 1000
#define HF_PEND_MAX 2000
#define HF_APPLY_BATCH 500
#define HF_SLICE_MS 30
#define HF_RELAY_IDLE_MS 50
#define HF_MAX_PARKED 4096    /* requests held for their 'after' places at once (an agent each) */
#define HF_MAX_AFTER 16       /* 'after' places a request may carry */
#define HF_AFTER_GRACE_MS 100 /* how long the live stream may take before we ask for a replay */
#define HF_EPOCH_LEN 40
/* A command of def->asks: its ask of a peer goes on one of HF_ASK_POOL clients of that peer
 * (of HF_ASK_PEERS peers at most), one request in flight each; HF_ASK_TRIES tries of
 * peer_timeout_ms, as hf_client_call makes. A request that finds no client free waits for one,
 * parked; at most HF_MAX_PARKED are held for their asks (beyond that a request runs at once
 * and its handler asks for itself, holding the loop as before). The keys whose replies this
 * instance stored for such commands, the last HF_ASK_KEYS, are remembered (as hashes) so that
 * a retry of one answered here is not asked of the peer first. */
#define HF_ASK_POOL 32
/* a peer of several instances (HUIFANG_<PEER>_ENDPOINT a list) has HF_ASK_POOL clients for each
 * of them, as many as one instance alone had, up to HF_ASK_POOL_MAX in all */
#define HF_ASK_POOL_MAX 128
#define HF_ASK_PEERS 4
#define HF_ASK_TRIES 2
#define HF_ASK_KEYS 1024
/* A batch that finds its stored sequence locked by another instance (applying the same
 * events) leaves them to it, takes what it has committed as applied, and tries again after
 * HF_BUSY_RETRY_MS, serving requests meanwhile. */
#define HF_BUSY_RETRY_MS 2

/* A consumer's lag is learnt out of band too: at most every HF_PROBE_MS it sends the producer
 * a ping (which answers the last committed sequence) without waiting for the answer, and
 * forgets one not answered within HF_PROBE_TIMEOUT_MS. It remembers when the producer was
 * first known past a position (HF_SEEN_MAX of them, thinned out when full). A consumer behind
 * for HF_BEHIND_LOG_AFTER_MS logs consumer_behind, again every HF_BEHIND_LOG_EVERY_MS while it
 * is, and consumer_caught_up once back to 0. See s_sub_lag. */
#define HF_PROBE_MS 1000
#define HF_PROBE_TIMEOUT_MS 5000
#define HF_SEEN_MAX 128
#define HF_BEHIND_LOG_AFTER_MS 1000
#define HF_BEHIND_LOG_EVERY_MS 10000

/* The producer was first known to be at seq (or further) at monotonic ms at. */
typedef struct {
    uint64_t seq;
    int64_t at;
} s_seen_t;

/* An event emitted in the open transaction, packed without its sequence number. */
typedef struct {
    uint8_t *body;
    size_t len;
} s_emit_t;

/* An event received (live or replayed) and held until it is applied. */
typedef struct {
    hf_envelope_t *env; /* unpacked, owned */
    uint8_t *body;      /* the packed bytes (for the dead letters), owned */
    size_t len;
} s_pend_t;

typedef struct {
    char producer[32];
    const hf_event_handler_t *handlers;
    void *sock;
    hf_client_t *replay;
    uint64_t applied;       /* last sequence applied or passed (no handler) */
    uint64_t stored;        /* the stored sequence, as last written or read */
    uint64_t producer_last; /* the producer's last sequence from its heartbeat */
    bool need_catchup;
    bool quiet;           /* as s_pool_t's: nothing to read when last asked, and not read since */
    int64_t next_catchup; /* monotonic ms */
    int backoff_ms;       /* grows while the producer does not answer */
    char epoch[HF_EPOCH_LEN]; /* the producer's stream id, "" until heard */
    uint64_t wanted;          /* the highest sequence a parked request waits for */
    int64_t wanted_by;        /* monotonic ms: then ask for a replay if still behind; 0: none */
    unsigned caught_up;       /* catch-ups completed */
    uint64_t fetches;         /* replays asked for, ever (their numbers: 1, 2, ...) */
    uint64_t caught_up_fetch; /* the number of the replay that completed the last catch-up */
    uint64_t failing;         /* the event whose handler failed with the store connected */
    int failures;             /* how many times in a row it did */
    /* when the catch-up going on began (monotonic ms, 0: none); see s_sub_lag */
    int64_t mark_at;
    /* the events held, in sequence order from pend[phead] to pend[ptail - 1] (HF_PEND_MAX) */
    s_pend_t *pend;
    int phead, ptail;
    bool replay_done;     /* the last replay reached the producer's end */
    bool replay_more;     /* the last replay did not: the next one goes on from it */
    bool fetching;        /* a replay asked for, its answer awaited (s_sub_fetch_take) */
    uint64_t fetch_from;  /* its first sequence */
    int64_t fetch_t0;     /* monotonic ms: when it was asked for */
    int64_t next_apply;   /* monotonic ms: when to try the held events again after a failure */
    int apply_backoff_ms; /* grows while they fail */
    hf_series_t *m_lag_events, *m_lag_seconds, *m_applied, *m_dead, *m_batch;
    /* the producer's position learnt out of band, and the lag it gives (s_sub_lag) */
    void *probe;         /* a DEALER to the producer's ROUTER, for its ping; NULL until used */
    char probe_id[40];   /* the request id of the ping not answered yet, "" when none */
    int64_t probe_sent;  /* monotonic ms the last ping went */
    uint64_t probe_last; /* the producer's last committed sequence, by its last answer */
    s_seen_t seen[HF_SEEN_MAX]; /* when the producer was first known past each position */
    int nseen;
    int64_t behind_logged; /* monotonic ms of the last consumer_behind line; 0: none since */
    int64_t behind_since;  /* monotonic ms it fell behind, for consumer_caught_up */
} s_sub_t;

/* An event whose handler fails this many times in a row with the store connected (a
 * constraint, bad data, a bug: it would fail forever) goes to the dead letters and the
 * stream moves on; a lost connection is retried for as long as it takes. */
#define HF_EVENT_MAX_FAILURES 5
/* A handler may also fail because an event of another producer is still to come (reporting
 * waits for a contact's customer). Consumers catching up take turns of HF_SLICE_MS, so one
 * may get far ahead of another: while another consumer of the service is behind, an event
 * gets this many tries (the pauses between them grow to 4 s: about a minute) first. */
#define HF_EVENT_MAX_FAILURES_WAITING 20

/* A request held until the consumers have applied the events it names (Request.after). */
/* A request taken off the ROUTER and held, not served yet (parked or asking). */
typedef struct {
    zmq_msg_t frames[8]; /* the routing frames and the body, moved from the ROUTER */
    int nframes;
    hf_request_t *req; /* unpacked, owned */
    int64_t t0;        /* monotonic ms when it came */
    int64_t t0_us;     /* the same in monotonic microseconds, for the latency */
    /* monotonic ms when its sender's bound (Request.answer_by_ms) and the slack have passed,
     * so the loop wakes to let it go (s_expired_ms decides, on the real clock); 0: none */
    int64_t expires;
} s_held_t;

typedef struct {
    s_held_t h;
    int64_t deadline;          /* monotonic ms when it is answered UNAVAILABLE */
    uint64_t gen[HF_MAX_SUBS]; /* each consumer's replays asked for when it was parked */
} s_parked_t;

/* A request held for the answer of its ask of a peer (def->asks). */
typedef struct {
    s_held_t h;
    hf_request_t *q;  /* the ask, owned (a copy of what the ask fn filled) */
    int pool;         /* svc->pools[pool]: the peer asked */
    int slot;         /* the pool's client its ask is in flight on; -1: waiting for one */
    int tries;        /* tries sent */
    int last_ep;      /* the endpoint of the pool its last try went to; -1: none yet */
    int64_t due;      /* monotonic ms: the try in flight is given up */
    int64_t deadline; /* monotonic ms: a request still waiting for a client is answered */
} s_asking_t;

/* The clients of one peer for the asks (created on first use), and whose ask each carries.
 * A peer of several instances (HUIFANG_<PEER>_ENDPOINT a list) has client k talk to endpoint
 * k % neps, and an ask takes the next free client after the last one taken: the asks go
 * round the instances, and a second try goes to another instance than the first. */
typedef struct {
    char name[32];
    hf_client_t *clients[HF_ASK_POOL_MAX];
    s_asking_t *busy[HF_ASK_POOL_MAX]; /* NULL: free */
    bool ready[HF_ASK_POOL_MAX];       /* the poll said its answer is there */
    /* libzmq's last word on the client's socket (ZMQ_EVENTS) was "nothing to read" and the
     * socket was not used since: the loop polls its descriptor alone (s_poll_item) */
    bool quiet[HF_ASK_POOL_MAX];
    char eps[HF_PEER_ENDPOINTS][HF_ENDPOINT_LEN];
    int neps;
    int size;  /* clients in use: HF_ASK_POOL an endpoint, at most HF_ASK_POOL_MAX */
    int next;  /* the client an ask looks at first */
    int nbusy; /* how many of busy[] carry an ask: a full pool is not searched */
} s_pool_t;

typedef struct {
    int interval_ms;
    hf_timer_fn fn;
    int64_t next;        /* monotonic ms */
    hf_series_t *rounds; /* huifang_timer_rounds_total of its name */
} s_timer_t;

typedef struct {
    char name[32];
    hf_client_t *client;
} s_peer_t;

struct hf_service_t {
    const hf_service_def_t *def;
    void *self;
    uint32_t jitter; /* xorshift state: spreads retries of services started together */
    hf_config_t *config;
    hf_config_entry_t own[6];
    char env_store[64], env_store_password[64], env_bind[64], env_events_bind[64], def_bind[64],
        def_events_bind[64];
    char env_metrics_bind[64], def_metrics_bind[64];
    hf_store_t *store;
    void *router;
    void *pub;
    char instance[64];
    int64_t started_mono;
    uint64_t published; /* last sequence this instance published */
    int64_t next_heartbeat;
    int heartbeat_ms;
    const hf_request_t *cur_req;
    const hf_envelope_t *cur_env;
    /* the identity the audit rows of the current request record (hf_service_set_identity) */
    const char *cur_role;
    const char *cur_on_behalf_of;
    bool audit_failed;        /* an audit row of the running command could not be written */
    char epoch[HF_EPOCH_LEN]; /* this producer's stream id (hf_outbox_epoch) */
    uint64_t cmd_last_seq;    /* the last sequence the running command emitted, 0: none */
    /* the events the open transaction emitted, numbered and written as it commits
     * (s_emits_end): the counter row is held for the commit only */
    s_emit_t *emits;
    int nemits, emits_cap;
    /* numbers the open transaction's command reserved itself (hf_service_events_reserved):
     * how many, and the last */
    int reserved_n;
    int64_t reserved_last;
    int read_wait_ms; /* how long a parked request waits */
    /* requests taken up past their sender's bound (Request.answer_by_ms) and this slack are
     * not run (s_expired_ms); the counter by command, and the rate-limited log line's state:
     * how many since the last line, the last one's command and lateness, when it was */
    int expired_slack_ms;
    hf_series_t **m_expired; /* [HF_M_COMMANDS], made on first use */
    uint64_t expired_unlogged;
    const char *expired_last_command;
    int64_t expired_last_late_ms;
    int64_t expired_logged_at; /* monotonic ms; 0: never */
    s_parked_t *parked[HF_MAX_PARKED];
    int nparked;
    s_sub_t subs[HF_MAX_SUBS];
    int nsubs;
    int sub_turn;         /* which consumer applies first in this turn of the loop */
    hf_batch_fn batch_fn; /* hf_service_on_batch */
    /* the event a handler or the batch hook named as the one that failed
     * (hf_service_event_failed), 0: none; cleared before each try of a batch or an event */
    uint64_t failed_seq;
    s_timer_t timers[HF_MAX_TIMERS];
    int ntimers;
    s_peer_t peers[HF_MAX_PEERS];
    int npeers;
    /* the asks of def->asks: the requests held for them (in the order they came), the pools
     * they go on, what the running command's ask came to (hf_service_asked), and the keys
     * answered here (hashes, a ring) */
    s_asking_t *asking[HF_MAX_PARKED];
    int nasking;
    s_pool_t pools[HF_ASK_PEERS];
    int npools;
    enum { S_ASK_NONE, S_ASK_UNANSWERED, S_ASK_ANSWERED } ask_state;
    const hf_reply_t *ask_reply;
    uint64_t ask_keys[HF_ASK_KEYS];
    int ask_keys_next;
    hf_series_t *m_asking; /* huifang_requests_asking */
    hf_arena_t *arena;
    hf_zap_t *zap;   /* the ZAP handler of the process's context; NULL: CURVE off */
    char caller[96]; /* the principal of the request being answered ("" outside) */
    bool stopping;
    /* sessions: off only where the operator said so (benchmarks), never by default */
    bool auth;
    hf_verifier_t *verifier;
    const Huifang__V1__SessionClaims *claims; /* the running command's, or NULL */
    bool commit_anyway;                       /* the running command's failure commits */
    const char *cur_key;                      /* the running command's idempotency key */
    /* whether the running command's key is claimed (a handler of def->claims_key claims it
     * itself: hf_service_key_claimed) */
    enum { S_KEY_CLAIMED, S_KEY_PENDING, S_KEY_SEEN } key_state;
    /* ---- metrics and health (hf_metrics: the HTTP listener reads them from its thread) */
    hf_metrics_t *metrics;
    char mlabels[48];          /* service="intake" */
    hf_series_t **m_requests;  /* [HF_M_COMMANDS * HF_M_STATUSES], made on first use */
    hf_series_t **m_latency;   /* [HF_M_COMMANDS] */
    hf_series_t *m_refused[2]; /* unauthenticated, forbidden */
    hf_series_t *m_published, *m_outbox_depth, *m_relay_lag, *m_store_reconnects;
    hf_series_t *m_busy;        /* seconds the loop worked, not waiting in its poll */
    int64_t relay_caught_up_at; /* monotonic ms the relay last had nothing pending */
    int64_t next_sample;        /* monotonic ms of the next s_metrics_sample */
    int ready_lag_ms;
    atomic_int phase;            /* S_STARTING, S_RUNNING, S_STOPPING */
    atomic_llong loop_tick;      /* monotonic ms the loop last turned */
    pthread_mutex_t health_lock; /* guards not_ready */
    char not_ready[200];         /* why /readyz says 503, "" when ready */
};

enum { S_STARTING, S_RUNNING, S_STOPPING };
#define HF_M_COMMANDS 256      /* command numbers of the Request oneof are below */
#define HF_M_STATUSES 8        /* Status values 0..7 */
#define HF_LOOP_STALL_MS 30000 /* /healthz fails when the loop has not turned for this */
#define HF_SAMPLE_MS 100       /* how often the loop copies its state for a scrape */

static volatile sig_atomic_t s_signalled = 0;

static void s_parked_free(s_parked_t **self_p);
static void s_asking_free(s_asking_t **self_p);
static void s_ask_key_note(hf_service_t *svc, int command, const char *key);
static void s_pend_pop(s_sub_t *sub, int n);
static uint64_t s_pend_last(const s_sub_t *sub);
static int s_emits_end(hf_store_t *st, void *ctx, bool commit);
static void s_emits_drop(hf_service_t *svc);

static void s_on_signal(int sig)
{
    (void)sig;
    s_signalled = 1;
}

static void s_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

const hf_config_entry_t hf_service_config[] = {
    {"redis_url", "HUIFANG_REDIS_URL", NULL, "redis://127.0.0.1:16379/0", HF_CFG_STR, 0, 0, true,
     "Redis holding the due-queues (redis://[:password@]host:port/db)"},
    {"redis_password", "HUIFANG_REDIS_PASSWORD", NULL, "", HF_CFG_STR, 0, 0, true,
     "Redis's password (requirepass), sent with AUTH; give it as HUIFANG_REDIS_PASSWORD_FILE"},
    {"redis_sentinels", "HUIFANG_REDIS_SENTINELS", NULL, "", HF_CFG_STR, 0, 0, false,
     "Redis Sentinel: host:port,... of the sentinels to ask for the master (empty: the url's "
     "host); the url then gives only the database"},
    {"redis_master_name", "HUIFANG_REDIS_MASTER_NAME", NULL, "huifang", HF_CFG_STR, 0, 0, false,
     "the master's name as the sentinels know it (with HUIFANG_REDIS_SENTINELS)"},
    {"clock", "HUIFANG_CLOCK", NULL, "real", HF_CFG_STR, 0, 0, false,
     "real, or manual for tests and demos (driven by `huifang clock`)"},
    {"clock_file", "HUIFANG_CLOCK_FILE", NULL, HF_CLOCK_DEFAULT_FILE, HF_CFG_STR, 0, 0, false,
     "the manual clock's file, shared by every process on the host"},
    {"log_level", "HUIFANG_LOG_LEVEL", NULL, "info", HF_CFG_STR, 0, 0, false,
     "debug | info | warn | error"},
    {"store_wait_ms", "HUIFANG_STORE_WAIT_MS", NULL, "10000", HF_CFG_INT, 0, 600000, false,
     "how long start-up waits for the store before giving up"},
    {"pg_prepare", "HUIFANG_PG_PREPARE", NULL, "on", HF_CFG_STR, 0, 0, false,
     "on: a service's named queries are prepared once per store connection; off: their text "
     "is sent every time (a pooler in transaction mode, such as PgBouncer 1.18)"},
    {"heartbeat_ms", "HUIFANG_HEARTBEAT_MS", NULL, "1000", HF_CFG_INT, 50, 60000, false,
     "how often the last event sequence is announced"},
    {"peer_timeout_ms", "HUIFANG_PEER_TIMEOUT_MS", NULL, "3000", HF_CFG_INT, 100, 60000, false,
     "how long a call to another service waits for an answer"},
    {"read_wait_ms", "HUIFANG_READ_WAIT_MS", NULL, "3000", HF_CFG_INT, 100, 60000, false,
     "how long a request naming events it must see ('after', read your own writes) waits for "
     "them to be applied here before it is answered UNAVAILABLE"},
    {"expired_slack_ms", "HUIFANG_EXPIRED_SLACK_MS", NULL, "500", HF_CFG_INT, 0, 3600000, false,
     "a request taken up (from the queue, or from where it was held) later than the time its "
     "sender waits until (Request.answer_by_ms) plus this is answered UNAVAILABLE at once, not "
     "run: nobody reads its answer. The slack covers the clocks of two hosts (NTP's error); 0: "
     "as soon as it expired"},
    {"session_public_key_file", "HUIFANG_SESSION_PUBLIC_KEY_FILE", NULL, "", HF_CFG_STR, 0, 0,
     false,
     "the public half of intake's session signing key (huifang session keygen): every "
     "request's session is verified with it"},
    {"auth", "HUIFANG_AUTH", NULL, "on", HF_CFG_STR, 0, 0, false,
     "on: every command but ping, replay and login needs a valid session; off: the client's "
     "actor is believed (benchmarks only, never a branch)"},
    {"keys_dir", "HUIFANG_KEYS_DIR", NULL, "", HF_CFG_STR, 0, 0, false,
     "the CURVE keys directory: NAME.pub of every principal allowed to connect (the "
     "allow-list, read again when it changes) and this service's own NAME.key (mode 0600); "
     "made by `huifang keys gen`"},
    {"curve_name", "HUIFANG_CURVE_NAME", NULL, "", HF_CFG_STR, 0, 0, false,
     "the name of this process's own keypair in the keys directory (default: the service's "
     "name)"},
    {"curve", "HUIFANG_CURVE", NULL, "on", HF_CFG_STR, 0, 0, false,
     "on: every socket uses CURVE with the ZAP allow-list; off: plain sockets, anyone on the "
     "network may talk to the service (benchmarks and tests only)"},
    {"ready_lag_ms", "HUIFANG_READY_LAG_MS", NULL, "30000", HF_CFG_INT, 1000, 86400000, false,
     "/readyz answers 503 while a consumer has been behind its producer (or not yet caught "
     "up since start) for longer than this"},
    {"max_message_bytes", "HUIFANG_MAX_MESSAGE_BYTES", NULL, "8388608", HF_CFG_INT, 65536,
     1073741824, false,
     "the largest command accepted (ZMQ_MAXMSGSIZE of the ROUTER): a bigger one drops the "
     "sender's connection before it is read. The largest legitimate request is a lead import "
     "batch: 2000 rows by default (about 0.3 MiB), at most 10000 (under 2 MiB)"},
    HF_CONFIG_END};

/* ---- endpoints ---- */

static int s_port_offset(const char *service)
{
    static const struct {
        const char *name;
        int offset;
    } table[] = {{"intake", 1},     {"scheduler", 11}, {"calllog", 21},
                 {"complaint", 31}, {"reporting", 41}, {NULL, 0}};
    for (int i = 0; table[i].name; i++)
        if (strcmp(table[i].name, service) == 0)
            return table[i].offset;
    return 91;
}

static const char *s_endpoint(const char *service, const char *suffix, int extra, char *out,
                              int outlen)
{
    char env[64];
    snprintf(env, sizeof env, "HUIFANG_%s_%s", service, suffix);
    for (char *c = env; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
    const char *v = getenv(env);
    if (v && *v) {
        snprintf(out, (size_t)outlen, "%s", v);
        return out;
    }
    char def[64];
    snprintf(def, sizeof def, "tcp://127.0.0.1:{port_base+%d}", s_port_offset(service) + extra);
    return hf_config_expand(def, out, outlen);
}

const char *hf_endpoint_commands(const char *service, char *out, int outlen)
{
    s_endpoint(service, "ENDPOINT", 0, out, outlen);
    char *comma = strchr(out, ',');
    if (comma)
        *comma = '\0'; /* a list's first (hf_endpoint_commands_list has them all) */
    return out;
}

int hf_endpoint_commands_list(const char *service, char out[][HF_ENDPOINT_LEN], int max, char *err,
                              size_t errlen)
{
    char env[64];
    snprintf(env, sizeof env, "HUIFANG_%s_ENDPOINT", service);
    for (char *c = env; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
    const char *v = getenv(env);
    if (v == NULL || *v == '\0') {
        s_endpoint(service, "ENDPOINT", 0, out[0], HF_ENDPOINT_LEN);
        return 1;
    }
    int n = 0;
    for (const char *p = v;; p++) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0) {
            snprintf(err, errlen, "%s: an empty endpoint in the list \"%s\"", env, v);
            return -1;
        }
        if (n == max) {
            snprintf(err, errlen, "%s: more than %d endpoints in the list", env, max);
            return -1;
        }
        if (len >= HF_ENDPOINT_LEN) {
            snprintf(err, errlen, "%s: endpoint %d of the list is longer than %d characters", env,
                     n + 1, HF_ENDPOINT_LEN - 1);
            return -1;
        }
        memcpy(out[n], p, len);
        out[n++][len] = '\0';
        if (end == NULL)
            return n;
        p = end;
    }
}

const char *hf_endpoint_events(const char *service, char *out, int outlen)
{
    return s_endpoint(service, "EVENTS", 1, out, outlen);
}

_Static_assert(sizeof(((struct sockaddr_un *)0)->sun_path) == HF_IPC_PATH_MAX + 1,
               "HF_IPC_PATH_MAX is sun_path less its NUL");

int hf_endpoint_check(const char *endpoint, char *why, int whylen)
{
    /* a Unix socket's address holds its path in sun_path (108 bytes on Linux, the NUL
     * included); libzmq refuses a longer one only when it binds or connects, which for a
     * peer is after start-up, and quietly then (the socket just never connects) */
    if (strncmp(endpoint, "ipc://", 6) != 0)
        return 0;
    size_t len = strlen(endpoint + 6);
    if (len >= 1 && len <= HF_IPC_PATH_MAX)
        return 0;
    /* the reason only: the endpoint, as long as a setting may be, is the caller's to print */
    if (len == 0)
        snprintf(why, (size_t)whylen, " with no path");
    else
        snprintf(why, (size_t)whylen,
                 ": its path is %zu bytes, longer than the %d a Unix socket's address holds "
                 "(choose a shorter folder)",
                 len, HF_IPC_PATH_MAX);
    return -1;
}

/* 0 when endpoint, the value of setting env, passes hf_endpoint_check(); else -1 after
 * saying so on stderr. */
static int s_endpoint_usable(const char *program, const char *env, const char *endpoint)
{
    char why[HF_ENDPOINT_WHY_LEN];
    if (hf_endpoint_check(endpoint, why, sizeof why) == 0)
        return 0;
    fprintf(stderr, "%s: bad configuration: %s is %s%s\n", program, env, endpoint, why);
    return -1;
}

/* Checks where this service listens and where it may reach each peer (every service's
 * HUIFANG_<NAME>_ENDPOINT, each element of a list, and _EVENTS that is set): 0, or -1 after
 * a message naming the setting. At start-up, before the store is reached. */
static int s_endpoints_check(hf_service_t *svc, const char *program)
{
    static const char *const peers[] = {"intake",    "scheduler", "calllog",
                                        "complaint", "reporting", NULL};
    char err[512];
    const char *own[][2] = {{svc->env_bind, hf_config_str(svc->config, "bind")},
                            {svc->env_events_bind, hf_config_str(svc->config, "events_bind")}};
    for (int i = 0; i < 2; i++)
        if (s_endpoint_usable(program, own[i][0], own[i][1]) != 0)
            return -1;
    for (int i = 0; peers[i]; i++) {
        char env[48];
        snprintf(env, sizeof env, "HUIFANG_%s_EVENTS", peers[i]);
        for (char *c = env; *c; c++)
            if (*c >= 'a' && *c <= 'z')
                *c = (char)(*c - 'a' + 'A');
        const char *v = getenv(env);
        if (v && *v && s_endpoint_usable(program, env, v) != 0)
            return -1;
        /* the commands' endpoint may list a peer's instances: each element checked */
        char eps[HF_PEER_ENDPOINTS][HF_ENDPOINT_LEN];
        int n = hf_endpoint_commands_list(peers[i], eps, HF_PEER_ENDPOINTS, err, sizeof err);
        if (n < 0) {
            fprintf(stderr, "%s: bad configuration: %s\n", program, err);
            return -1;
        }
        memcpy(env + strlen(env) - strlen("EVENTS"), "ENDPOINT", sizeof "ENDPOINT");
        for (int k = 0; k < n; k++)
            if (s_endpoint_usable(program, env, eps[k]) != 0)
                return -1;
        if (n > 1)
            hf_info("peer_endpoints", "peer=%s endpoints=%d", peers[i], n);
    }
    return 0;
}

/* ---- the audit trail ---- */

/* audit.access exactly as the deploy bootstrap makes it. The existence checks read the
 * catalogs (no privilege needed), so a service whose role may only INSERT passes through; the
 * advisory lock and the caught duplicates cover services starting together on an empty
 * database. The trigger is added when missing and this role may (else a notice). */
static const char s_audit_ddl[] =
    "DO $audit$\n"
    "BEGIN\n"
    "  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
    "    ON n.oid = c.relnamespace WHERE n.nspname = 'audit' AND c.relname = 'access') THEN\n"
    "    PERFORM pg_advisory_xact_lock(hashtext('huifang.audit'));\n"
    "    BEGIN\n"
    "      CREATE SCHEMA IF NOT EXISTS audit;\n"
    "      CREATE TABLE IF NOT EXISTS audit.access (id bigserial primary key,"
    " at timestamptz not null default now(), actor text not null,"
    " on_behalf_of text not null default '', role text not null default '',"
    " branch text not null default '', service text not null, command text not null,"
    " customers bigint[] not null default '{}', request_id text not null default '');\n"
    "      CREATE INDEX IF NOT EXISTS access_at ON audit.access (at);\n"
    "      CREATE INDEX IF NOT EXISTS access_customers ON audit.access USING gin (customers);\n"
    "    EXCEPTION WHEN duplicate_table OR duplicate_object OR duplicate_schema"
    " OR unique_violation THEN NULL;\n"
    "    END;\n"
    "  END IF;\n"
    "  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c"
    "    ON c.oid = t.tgrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    "    WHERE n.nspname = 'audit' AND c.relname = 'access'"
    "    AND t.tgname = 'access_append_only') THEN\n"
    "    PERFORM pg_advisory_xact_lock(hashtext('huifang.audit'));\n"
    "    BEGIN\n"
    "      CREATE OR REPLACE FUNCTION audit.refuse_change() RETURNS trigger"
    " LANGUAGE plpgsql AS $f$ BEGIN RAISE EXCEPTION 'audit.access is append-only: % refused',"
    " TG_OP USING ERRCODE = 'insufficient_privilege'; END $f$;\n"
    "      CREATE TRIGGER access_append_only BEFORE UPDATE OR DELETE ON audit.access"
    " FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();\n"
    "    EXCEPTION WHEN insufficient_privilege THEN\n"
    "      RAISE NOTICE 'audit.access has no append-only trigger and this role may not add it';\n"
    "    WHEN duplicate_object OR unique_violation THEN NULL;\n"
    "    END;\n"
    "  END IF;\n"
    "END\n"
    "$audit$;\n";

int hf_audit_ensure(hf_store_t *store)
{
    return hf_store_script(store, s_audit_ddl);
}

void hf_service_set_identity(hf_service_t *svc, const char *role, const char *on_behalf_of)
{
    svc->cur_role = role;
    svc->cur_on_behalf_of = on_behalf_of;
}

int hf_service_audit_values(hf_service_t *svc, const int64_t *customers, size_t n, char *ids,
                            size_t idslen, const char *values[8])
{
    const hf_request_t *req = svc->cur_req;
    if (req == NULL || idslen < HF_PG_I64_ARRAY_LEN(n))
        return -1;
    hf_pg_i64_array(ids, customers, n);
    /* the same values as a check's audit row (hf_service_audit_params), the customers added
     * before the request id */
    const char *p[HF_AUDIT_NPARAMS];
    hf_service_audit_params(svc, p);
    for (int i = 0; i < 6; i++)
        values[i] = p[i];
    values[6] = ids;
    values[7] = p[6];
    return 0;
}

int hf_service_audit(hf_service_t *svc, const int64_t *customers, size_t n)
{
    const hf_request_t *req = svc->cur_req;
    if (req == NULL)
        return 0;
    size_t cap = HF_PG_I64_ARRAY_LEN(n);
    char *ids = malloc(cap);
    const char *p[8];
    if (ids == NULL || hf_service_audit_values(svc, customers, n, ids, cap, p) != 0) {
        free(ids);
        svc->audit_failed = true;
        return -1;
    }
    static const char insert[] = "INSERT INTO audit.access (actor, on_behalf_of, role, branch,"
                                 " service, command, customers, request_id)"
                                 " VALUES ($1, $2, $3, $4, $5, $6, $7::bigint[], $8)";
    /* inside the command's transaction the row goes with its COMMIT (one round trip less): a
     * failure then rolls the command back, and the reply says it could not commit */
    int rc = hf_store_in_tx(svc->store) ? hf_store_defer(svc->store, insert, 8, p)
                                        : hf_store_run(svc->store, insert, 8, p);
    free(ids);
    if (rc != 0) {
        svc->audit_failed = true;
        hf_error("audit_failed", "command=%s reason=\"%s\"", hf_request_command_name(req),
                 hf_store_error(svc->store));
        return -1;
    }
    return 0;
}

bool hf_service_audit_params(const hf_service_t *svc, const char *p[HF_AUDIT_NPARAMS])
{
    const hf_request_t *req = svc->cur_req;
    if (req == NULL)
        return false;
    /* the values hf_service_audit() writes, in HF_AUDIT_INSERT_SELECT's order */
    p[0] = req->actor ? req->actor : "";
    p[1] = svc->cur_on_behalf_of ? svc->cur_on_behalf_of : "";
    p[2] = svc->cur_role ? svc->cur_role : "";
    p[3] = req->branch ? req->branch : "";
    p[4] = svc->def->name;
    p[5] = hf_request_command_name(req);
    p[6] = req->request_id ? req->request_id : "";
    return true;
}

/* ---- accessors ---- */

hf_store_t *hf_service_store(hf_service_t *svc)
{
    return svc->store;
}

const hf_config_t *hf_service_config_of(hf_service_t *svc)
{
    return svc->config;
}

const Huifang__V1__SessionClaims *hf_service_session(const hf_service_t *svc)
{
    return svc->claims;
}

const char *hf_service_role(const hf_service_t *svc)
{
    return svc->claims ? svc->claims->role : "";
}

const char *hf_service_name(const hf_service_t *svc)
{
    return svc->def->name;
}

const char *hf_service_caller(const hf_service_t *svc)
{
    return svc->caller;
}

void hf_service_stop(hf_service_t *svc)
{
    svc->stopping = true;
}

hf_client_t *hf_service_peer(hf_service_t *svc, const char *name)
{
    for (int i = 0; i < svc->npeers; i++)
        if (strcmp(svc->peers[i].name, name) == 0)
            return svc->peers[i].client;
    if (svc->npeers == HF_MAX_PEERS)
        return NULL;
    char ep[256];
    s_peer_t *p = &svc->peers[svc->npeers++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->client = hf_client_new(hf_endpoint_commands(name, ep, sizeof ep),
                              (int)hf_config_int(svc->config, "peer_timeout_ms"), 2);
    hf_client_set_server(p->client, name);
    return p->client;
}

/* ---- metrics and health ----
 *
 * The loop is the only writer: a request's outcome and latency as it is answered, an event
 * as it is applied, and every HF_SAMPLE_MS a copy of what only the loop may read (the
 * consumers' places, the store's state) into gauges and the readiness reason. The HTTP
 * listener (hf_metrics, its own thread) reads the registry under its mutex and the health
 * fields through atomics and health_lock; it never touches the store or a socket of ours.
 *
 * Readiness: 503 while the service starts or stops, while the store failed on its last use,
 * or while a consumer has been behind its producer (or has not caught up since start) for
 * longer than ready_lag_ms. A consumer's lag in time is how long ago the producer was first
 * known (heartbeat, replay, or its ping, asked out of band: s_sub_lag) to be past the last
 * event the consumer has applied. A steady stream a few milliseconds behind thus shows a lag
 * near zero, a stalled one a lag that grows. */

static const double s_latency_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                           0.025,  0.05,  0.1,    0.25,  1};

static int64_t s_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const char *s_status_label(int status)
{
    static const char *const names[HF_M_STATUSES] = {
        "ok",       "internal",    "bad_input",       "not_found",
        "conflict", "unavailable", "unauthenticated", "forbidden"};
    return status >= 0 && status < HF_M_STATUSES ? names[status] : "other";
}

/* The counter of requests for this command and status (cached per command number). */
static hf_series_t *s_requests_series(hf_service_t *svc, int command, const char *name, int status)
{
    bool cached = command >= 0 && command < HF_M_COMMANDS && status >= 0 &&
                  status < HF_M_STATUSES && svc->m_requests;
    hf_series_t **slot = cached ? &svc->m_requests[command * HF_M_STATUSES + status] : NULL;
    if (slot && *slot)
        return *slot;
    char labels[160];
    snprintf(labels, sizeof labels, "%s,command=\"%s\",status=\"%s\"", svc->mlabels, name,
             s_status_label(status));
    hf_series_t *series = hf_metrics_counter(
        svc->metrics, "huifang_requests_total",
        "Commands answered, by command and reply status (counted on completion)", labels);
    if (slot)
        *slot = series;
    return series;
}

static hf_series_t *s_latency_series(hf_service_t *svc, int command, const char *name)
{
    bool cached = command >= 0 && command < HF_M_COMMANDS && svc->m_latency;
    if (cached && svc->m_latency[command])
        return svc->m_latency[command];
    char labels[128];
    snprintf(labels, sizeof labels, "%s,command=\"%s\"", svc->mlabels, name);
    hf_series_t *series = hf_metrics_histogram(
        svc->metrics, "huifang_request_duration_seconds",
        "Time from a command's arrival to its reply being sent (waiting for 'after' places "
        "included)",
        labels, s_latency_buckets, (int)(sizeof s_latency_buckets / sizeof *s_latency_buckets));
    if (cached)
        svc->m_latency[command] = series;
    return series;
}

/* Counts one answered request. req NULL: the body was not a Request. */
static void s_metrics_request(hf_service_t *svc, const hf_request_t *req, int status, int64_t t0_us)
{
    if (svc->metrics == NULL)
        return;
    int command = req ? (int)req->command_case : -1;
    const char *name = req ? hf_request_command_name(req) : "malformed";
    if (*name == '\0')
        name = "none";
    double seconds = (double)(s_mono_us() - t0_us) / 1e6;
    hf_series_add(s_requests_series(svc, command, name, status), 1);
    hf_series_observe(s_latency_series(svc, command, name), seconds);
}

/* The counter of requests of this command not run because they expired (cached per command
 * number). */
static hf_series_t *s_expired_series(hf_service_t *svc, int command, const char *name)
{
    bool cached = command >= 0 && command < HF_M_COMMANDS && svc->m_expired;
    if (cached && svc->m_expired[command])
        return svc->m_expired[command];
    char labels[128];
    snprintf(labels, sizeof labels, "%s,command=\"%s\"", svc->mlabels, name);
    hf_series_t *series = hf_metrics_counter(
        svc->metrics, "huifang_requests_expired_total",
        "Requests answered UNAVAILABLE without being run because their sender had stopped "
        "waiting (Request.answer_by_ms and HUIFANG_EXPIRED_SLACK_MS passed while they queued "
        "or were held); also counted in huifang_requests_total as unavailable",
        labels);
    if (cached)
        svc->m_expired[command] = series;
    return series;
}

static void s_metrics_refused(hf_service_t *svc, int which)
{
    hf_series_add(svc->m_refused[which], 1);
}

static double s_zap_refused(void *arg)
{
    const hf_zap_t *zap = arg;
    return zap ? (double)hf_zap_refused(zap) : 0;
}

/* Sessions whose signature was checked: each session once, while the verifier's cache keeps
 * it (hf_session.c); a figure near the requests' count says the cache is not holding them. */
static double s_signature_checks(void *arg)
{
    const hf_service_t *svc = arg;
    return svc->verifier ? (double)hf_verifier_signature_checks(svc->verifier) : 0;
}

/* The series of one consumer, made when it subscribes. */
static void s_metrics_sub(hf_service_t *svc, s_sub_t *sub)
{
    char labels[128];
    snprintf(labels, sizeof labels, "%s,producer=\"%s\"", svc->mlabels, sub->producer);
    sub->m_lag_events = hf_metrics_gauge(
        svc->metrics, "huifang_consumer_lag_events",
        "Events the producer has committed (as last heard: its ping, heartbeat or a replay) "
        "that this consumer has not applied yet",
        labels);
    sub->m_lag_seconds = hf_metrics_gauge(
        svc->metrics, "huifang_consumer_lag_seconds",
        "How long ago the producer was first known past the last event this consumer has "
        "applied (0 when caught up)",
        labels);
    sub->m_applied = hf_metrics_counter(
        svc->metrics, "huifang_events_applied_total",
        "Events of the producer consumed in sequence (applied by a handler or passed)", labels);
    sub->m_dead = hf_metrics_counter(
        svc->metrics, "huifang_dead_letters_total",
        "Events set aside in the dead_letter table after failing again and again", labels);
    static const double batch_bounds[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
    sub->m_batch =
        hf_metrics_histogram(svc->metrics, "huifang_consumer_batch_size",
                             "Events of the producer applied by one consumer transaction", labels,
                             batch_bounds, (int)(sizeof batch_bounds / sizeof batch_bounds[0]));
}

/* ---- a consumer's lag, learnt out of band ----
 *
 * The producer's position comes with its heartbeats, on the event stream behind the events:
 * a consumer holding HF_PEND_MAX events stops reading the stream and, until it has applied
 * them, learns nothing of what waits behind them (a consumer far behind would read a lag of
 * at most the events it holds, 0 once it has applied them). So each consumer also asks the
 * producer itself: a ping (which answers the producer's last committed sequence and its
 * epoch; no session needed) at most every HF_PROBE_MS, on a DEALER of its own. The ping goes
 * with ZMQ_DONTWAIT and nothing is queued while no connection is up; the answer is read
 * when it has come, at the next sample; so the loop never waits for it. */

static void s_probe_close(s_sub_t *sub)
{
    if (sub->probe)
        zmq_close(sub->probe);
    sub->probe = NULL;
    sub->probe_id[0] = '\0';
}

static int s_probe_open(s_sub_t *sub)
{
    char ep[256];
    sub->probe = zmq_socket(hf_bus_context(), ZMQ_DEALER);
    if (sub->probe == NULL)
        return -1;
    int zero = 0, one = 1, hwm = 4;
    int64_t max = 64 * 1024;
    zmq_setsockopt(sub->probe, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sub->probe, ZMQ_IMMEDIATE, &one, sizeof one);
    zmq_setsockopt(sub->probe, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sub->probe, ZMQ_MAXMSGSIZE, &max, sizeof max);
    if (hf_bus_curve_client(sub->probe, sub->producer) != 0 ||
        zmq_connect(sub->probe, hf_endpoint_commands(sub->producer, ep, sizeof ep)) != 0) {
        s_probe_close(sub);
        return -1;
    }
    return 0;
}

/* Reads the answers that have come: the one to the ping awaited gives the producer's last
 * committed sequence (an answer of another stream than the one we follow is left to the
 * heartbeat and the replay, which handle a new stream). */
static void s_probe_read(s_sub_t *sub)
{
    while (sub->probe) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, sub->probe, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            return;
        }
        bool more = zmq_msg_more(&msg);
        hf_reply_t *rep = more || zmq_msg_size(&msg) == 0
                              ? NULL
                              : hf_reply_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg));
        zmq_msg_close(&msg);
        if (rep == NULL)
            continue; /* the empty delimiter frame, or garbage */
        if (rep->request_id && strcmp(rep->request_id, sub->probe_id) == 0) {
            sub->probe_id[0] = '\0';
            const Huifang__V1__PingResult *r = rep->ping;
            if (rep->status == HF_OK && rep->result_case == HUIFANG__V1__REPLY__RESULT_PING &&
                (sub->epoch[0] == '\0' || r->epoch == NULL || strcmp(r->epoch, sub->epoch) == 0))
                sub->probe_last = r->last_seq;
        }
        huifang__v1__reply__free_unpacked(rep, NULL);
    }
}

/* Sends a ping when none is awaited (or the last was not answered within
 * HF_PROBE_TIMEOUT_MS) and the last went HF_PROBE_MS ago or more. */
static void s_probe_send(hf_service_t *svc, s_sub_t *sub, int64_t now)
{
    if (now - sub->probe_sent < HF_PROBE_MS ||
        (sub->probe_id[0] && now - sub->probe_sent < HF_PROBE_TIMEOUT_MS))
        return;
    if (sub->probe == NULL && s_probe_open(sub) != 0)
        return;
    sub->probe_sent = now;
    Huifang__V1__Ping ping = HUIFANG__V1__PING__INIT;
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_PING;
    req.ping = &ping;
    req.actor = (char *)svc->def->name;
    char id[40];
    hf_bus_new_id(id);
    req.request_id = id;
    uint8_t buf[256];
    size_t len = huifang__v1__request__get_packed_size(&req);
    if (len > sizeof buf)
        return;
    huifang__v1__request__pack(&req, buf);
    /* the empty frame a REQ would send, so the ROUTER's answer comes back the same way */
    if (zmq_send(sub->probe, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return; /* no connection up (the producer is down): nothing queued, try again later */
    zmq_send(sub->probe, buf, len, ZMQ_DONTWAIT);
    snprintf(sub->probe_id, sizeof sub->probe_id, "%s", id);
}

/* Notes that the producer is known to be at seq: the first time it is past the last position
 * noted, that time is kept. A producer seen going back (a restored database) starts anew. */
static void s_seen_note(s_sub_t *sub, uint64_t seq, int64_t now)
{
    if (sub->nseen && seq < sub->seen[sub->nseen - 1].seq)
        sub->nseen = 0;
    if (seq <= sub->applied || (sub->nseen && seq == sub->seen[sub->nseen - 1].seq))
        return;
    if (sub->nseen == HF_SEEN_MAX) {
        /* thinned out, the first kept: a lag read later may come out shorter by the gap */
        for (int k = 1; 2 * k < sub->nseen; k++)
            sub->seen[k] = sub->seen[2 * k];
        sub->nseen = (sub->nseen + 1) / 2;
    }
    sub->seen[sub->nseen++] = (s_seen_t){seq, now};
}

/* A consumer's lag: the events the producer has committed, as far as we know (heartbeat,
 * replay or ping), that it has not applied; and *lag_ms, how long since the producer was
 * first known past the last event applied: at least the age of the oldest event not applied,
 * less by up to HF_PROBE_MS. While a catch-up goes on (a gap, the start) it is behind without
 * knowing by how much: the time counts from the catch-up's start too. */
static uint64_t s_sub_lag(s_sub_t *sub, int64_t now, int64_t *lag_ms)
{
    uint64_t known = sub->producer_last > sub->probe_last ? sub->producer_last : sub->probe_last;
    s_seen_note(sub, known, now);
    int drop = 0;
    while (drop < sub->nseen && sub->seen[drop].seq <= sub->applied)
        drop++;
    if (drop) {
        sub->nseen -= drop;
        memmove(sub->seen, sub->seen + drop, (size_t)sub->nseen * sizeof *sub->seen);
    }
    int64_t since = sub->nseen ? sub->seen[0].at : 0;
    if (!sub->need_catchup)
        sub->mark_at = 0;
    else if (sub->mark_at == 0)
        sub->mark_at = now;
    if (sub->mark_at && (since == 0 || sub->mark_at < since))
        since = sub->mark_at;
    *lag_ms = since ? now - since : 0;
    return known > sub->applied ? known - sub->applied : 0;
}

/* Says so in the log when a consumer has been behind for HF_BEHIND_LOG_AFTER_MS (again every
 * HF_BEHIND_LOG_EVERY_MS while it is), and when it is back to 0. A catch-up that knows of no
 * event to apply yet (a service started before its producer, which replay_unavailable says
 * already) is let run HF_BEHIND_LOG_EVERY_MS first: a stack starting in any order is no news. */
static void s_sub_lag_log(s_sub_t *sub, uint64_t lag, int64_t lag_ms, int64_t now)
{
    int64_t after = lag > 0 ? HF_BEHIND_LOG_AFTER_MS : HF_BEHIND_LOG_EVERY_MS;
    if (lag_ms >= after &&
        (sub->behind_logged == 0 || now - sub->behind_logged >= HF_BEHIND_LOG_EVERY_MS)) {
        if (sub->behind_logged == 0)
            sub->behind_since = now - lag_ms;
        sub->behind_logged = now;
        hf_warn("consumer_behind",
                "producer=%s events=%llu seconds=%.1f applied=%llu producer_last=%llu%s",
                sub->producer, (unsigned long long)lag, (double)lag_ms / 1000.0,
                (unsigned long long)sub->applied, (unsigned long long)(sub->applied + lag),
                sub->need_catchup ? " catching_up=yes" : "");
    } else if (sub->behind_logged && lag == 0 && lag_ms == 0) {
        sub->behind_logged = 0;
        hf_info("consumer_caught_up", "producer=%s applied=%llu behind_s=%.1f", sub->producer,
                (unsigned long long)sub->applied, (double)(now - sub->behind_since) / 1000.0);
    }
}

/* Copies the loop's state for the listener: the consumers' lag, the store's state, the
 * readiness reason. At most every HF_SAMPLE_MS unless force. */
static void s_metrics_sample(hf_service_t *svc, bool force)
{
    int64_t now = hf_clock_mono_ms();
    atomic_store(&svc->loop_tick, (long long)now);
    if (svc->metrics == NULL || (!force && now < svc->next_sample))
        return;
    svc->next_sample = now + HF_SAMPLE_MS;
    hf_series_set(svc->m_asking, (double)svc->nasking);
    char why[sizeof svc->not_ready] = "";
    if (hf_store_unavailable(svc->store))
        snprintf(why, sizeof why, "the store is unavailable: %s", hf_store_error(svc->store));
    long connects = hf_store_connects(svc->store);
    hf_series_set(svc->m_store_reconnects, connects > 1 ? (double)(connects - 1) : 0);
    for (int i = 0; i < svc->nsubs; i++) {
        s_sub_t *sub = &svc->subs[i];
        s_probe_read(sub);
        s_probe_send(svc, sub, now);
        int64_t lag_ms = 0;
        uint64_t lag = s_sub_lag(sub, now, &lag_ms);
        hf_series_set(sub->m_lag_events, (double)lag);
        hf_series_set(sub->m_lag_seconds, (double)lag_ms / 1000.0);
        s_sub_lag_log(sub, lag, lag_ms, now);
        if (why[0] == '\0' && lag_ms > svc->ready_lag_ms)
            snprintf(why, sizeof why,
                     "the consumer of %s has been behind for %lld s (applied %llu, the "
                     "producer's last known %llu; limit HUIFANG_READY_LAG_MS=%d)",
                     sub->producer, (long long)(lag_ms / 1000), (unsigned long long)sub->applied,
                     (unsigned long long)(sub->applied + lag), svc->ready_lag_ms);
    }
    pthread_mutex_lock(&svc->health_lock);
    snprintf(svc->not_ready, sizeof svc->not_ready, "%s", why);
    pthread_mutex_unlock(&svc->health_lock);
}

/* /healthz and /readyz, from the listener's thread. */
static bool s_health(void *arg, bool readiness, char *why, size_t whylen)
{
    hf_service_t *svc = arg;
    int phase = atomic_load(&svc->phase);
    if (phase == S_STARTING) {
        snprintf(why, whylen, "starting");
        return false;
    }
    if (phase == S_STOPPING) {
        snprintf(why, whylen, "stopping");
        return false;
    }
    long long idle = (long long)hf_clock_mono_ms() - atomic_load(&svc->loop_tick);
    if (idle > HF_LOOP_STALL_MS) {
        snprintf(why, whylen, "the loop has not turned for %lld s", idle / 1000);
        return false;
    }
    if (!readiness)
        return true;
    pthread_mutex_lock(&svc->health_lock);
    bool ready = svc->not_ready[0] == '\0';
    if (!ready)
        snprintf(why, whylen, "%s", svc->not_ready);
    pthread_mutex_unlock(&svc->health_lock);
    return ready;
}

/* Makes the registry and the framework's series; 0 or -1. */
static int s_metrics_init(hf_service_t *svc)
{
    svc->ready_lag_ms = (int)hf_config_int(svc->config, "ready_lag_ms");
    snprintf(svc->mlabels, sizeof svc->mlabels, "service=\"%s\"", svc->def->name);
    svc->metrics = hf_metrics_new();
    svc->m_requests = calloc(HF_M_COMMANDS * HF_M_STATUSES, sizeof *svc->m_requests);
    svc->m_latency = calloc(HF_M_COMMANDS, sizeof *svc->m_latency);
    svc->m_expired = calloc(HF_M_COMMANDS, sizeof *svc->m_expired);
    if (svc->metrics == NULL || svc->m_requests == NULL || svc->m_latency == NULL ||
        svc->m_expired == NULL)
        return -1;
    hf_metrics_t *m = svc->metrics;
    const char *l = svc->mlabels;
    char labels[128];
    snprintf(labels, sizeof labels, "%s,version=\"%s\"", l, HF_VERSION);
    hf_series_set(
        hf_metrics_gauge(m, "huifang_build_info", "Always 1; the labels name the build", labels),
        1);
    /* every command of the table is known in advance: its series exist at 0 */
    hf_request_t probe = HUIFANG__V1__REQUEST__INIT;
    probe.command_case = HUIFANG__V1__REQUEST__COMMAND_PING;
    s_requests_series(svc, (int)probe.command_case, hf_request_command_name(&probe), HF_OK);
    s_latency_series(svc, (int)probe.command_case, hf_request_command_name(&probe));
    for (const hf_command_t *c = svc->def->commands; c && c->fn; c++) {
        probe.command_case = (Huifang__V1__Request__CommandCase)c->command;
        s_requests_series(svc, c->command, hf_request_command_name(&probe), HF_OK);
        s_latency_series(svc, c->command, hf_request_command_name(&probe));
        s_expired_series(svc, c->command, hf_request_command_name(&probe)); /* never a ping */
    }
    static const char *const reasons[2] = {"unauthenticated", "forbidden"};
    for (int i = 0; i < 2; i++) {
        snprintf(labels, sizeof labels, "%s,reason=\"%s\"", l, reasons[i]);
        svc->m_refused[i] = hf_metrics_counter(
            m, "huifang_requests_refused_total",
            "Commands refused before their handler ran: no valid session (unauthenticated), "
            "or a role or branch that may not (forbidden)",
            labels);
    }
    hf_metrics_fn(m, true, "huifang_zap_refused_total",
                  "CURVE handshakes the ZAP handler refused (a key not in the allow-list)", l,
                  s_zap_refused, NULL);
    hf_metrics_fn(m, true, "huifang_session_signatures_checked_total",
                  "Session signatures verified (a session not in the verifier's cache: seen for "
                  "the first time, or again after the cache let it go)",
                  l, s_signature_checks, svc);
    svc->m_published = hf_metrics_counter(m, "huifang_events_published_total",
                                          "Events of this producer's outbox published", l);
    svc->m_outbox_depth =
        hf_metrics_gauge(m, "huifang_outbox_depth_events",
                         "Committed outbox events not yet published, at the last heartbeat", l);
    svc->m_relay_lag = hf_metrics_gauge(
        m, "huifang_outbox_relay_lag_seconds",
        "Time since the outbox relay last had nothing left to publish, at the last heartbeat", l);
    svc->m_store_reconnects = hf_metrics_counter(
        m, "huifang_store_reconnects_total",
        "Connections to Postgres made again after the first (a lost connection)", l);
    svc->m_busy = hf_metrics_counter(
        m, "huifang_loop_busy_seconds_total",
        "Time the service's loop spent working (commands, events, timers, the relay, and the "
        "waits on Postgres and on other services they make) rather than waiting for work: "
        "its rate is the loop's utilisation, 1 when saturated",
        l);
    svc->m_asking = hf_metrics_gauge(
        m, "huifang_requests_asking",
        "Requests held for the answer of another service they asked (calllog's call_log: the "
        "task, from the scheduler), the loop serving others meanwhile",
        l);
    hf_metrics_fn(m, false, "process_resident_memory_bytes", "Resident memory size in bytes", NULL,
                  hf_metrics_process_rss, NULL);
    return 0;
}

/* Starts the HTTP listener on metrics_bind ("off": none). 0, or -1 after a message. */
static int s_metrics_listen(hf_service_t *svc, const char *program)
{
    const char *bind = hf_config_str(svc->config, "metrics_bind");
    if (strcmp(bind, "off") == 0 || *bind == '\0')
        return 0;
    char err[400];
    if (hf_metrics_listen(svc->metrics, bind, s_health, svc, err, sizeof err) != 0) {
        fprintf(stderr, "%s: metrics (%s): %s\n", program, svc->env_metrics_bind, err);
        return -1;
    }
    hf_info("metrics_listening", "address=%s port=%d", bind, hf_metrics_port(svc->metrics));
    return 0;
}

hf_metrics_t *hf_service_metrics(hf_service_t *svc)
{
    return svc->metrics;
}

const char *hf_service_metric_labels(const hf_service_t *svc)
{
    return svc->mlabels;
}

/* ---- construction ---- */

/* Builds the settings whose variable names carry the service's name. */
static void s_build_own_config(hf_service_t *svc)
{
    char upper[32];
    snprintf(upper, sizeof upper, "%s", svc->def->name);
    for (char *c = upper; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
    snprintf(svc->env_store, sizeof svc->env_store, "HUIFANG_%s_STORE_URL", upper);
    snprintf(svc->env_store_password, sizeof svc->env_store_password, "HUIFANG_%s_STORE_PASSWORD",
             upper);
    snprintf(svc->env_bind, sizeof svc->env_bind, "HUIFANG_%s_BIND", upper);
    snprintf(svc->env_events_bind, sizeof svc->env_events_bind, "HUIFANG_%s_EVENTS_BIND", upper);
    snprintf(svc->env_metrics_bind, sizeof svc->env_metrics_bind, "HUIFANG_%s_METRICS_BIND", upper);
    int off = s_port_offset(svc->def->name);
    /* commands at +off, events at +off+1, metrics at +off+8: inside a test's block of 50 */
    snprintf(svc->def_metrics_bind, sizeof svc->def_metrics_bind, "127.0.0.1:{port_base+%d}",
             off + 8);
    snprintf(svc->def_bind, sizeof svc->def_bind, "tcp://127.0.0.1:{port_base+%d}", off);
    snprintf(svc->def_events_bind, sizeof svc->def_events_bind, "tcp://127.0.0.1:{port_base+%d}",
             off + 1);
    hf_config_entry_t own[6] = {
        {"store_url", svc->env_store, "HUIFANG_STORE_URL",
         "postgresql://huifang@127.0.0.1:15432/huifang", HF_CFG_STR, 0, 0, true,
         "Postgres holding this service's schema (connect as the service's own role, "
         "huifang_<service>)"},
        {"store_password", svc->env_store_password, "HUIFANG_STORE_PASSWORD", "", HF_CFG_STR, 0, 0,
         true,
         "the store role's password, overriding one in the URL; give it as "
         "HUIFANG_<SERVICE>_STORE_PASSWORD_FILE"},
        {"bind", svc->env_bind, NULL, svc->def_bind, HF_CFG_STR, 0, 0, false,
         "where the command ROUTER listens"},
        {"events_bind", svc->env_events_bind, NULL, svc->def_events_bind, HF_CFG_STR, 0, 0, false,
         "where the event PUB listens"},
        {"metrics_bind", svc->env_metrics_bind, "HUIFANG_METRICS_BIND", svc->def_metrics_bind,
         HF_CFG_STR, 0, 0, false,
         "host:port of the HTTP listener for Prometheus (/metrics) and the probes (/healthz, "
         "/readyz); port 0 picks a free one; off: none (benchmarks running several instances "
         "side by side)"},
        HF_CONFIG_END};
    memcpy(svc->own, own, sizeof own);
}

static void *s_bind(hf_service_t *svc, int type, const char *endpoint)
{
    void *sock = zmq_socket(hf_bus_context(), type);
    if (sock == NULL)
        return NULL;
    int linger = 200;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    /* a command bigger than the cap drops its connection before a byte of it is stored; a
     * PUB only ever receives subscriptions (a topic prefix) */
    int64_t max =
        type == ZMQ_ROUTER ? (int64_t)hf_config_int(svc->config, "max_message_bytes") : 64 * 1024;
    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
    if (hf_bus_curve_serve(sock) != 0) {
        fprintf(stderr, "huifang-%s: could not make %s a CURVE server: %s\n", svc->def->name,
                endpoint, zmq_strerror(zmq_errno()));
        zmq_close(sock);
        return NULL;
    }
    if (type == ZMQ_PUB) {
        /* a slow subscriber drops messages rather than stalling us: replay recovers them.
         * HUIFANG_PUB_SNDHWM lets tests shrink the queue to prove exactly that. */
        const char *env = getenv("HUIFANG_PUB_SNDHWM");
        int hwm = env && *env ? atoi(env) : 100000;
        zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
        if (env && *env) {
            /* the kernel's socket buffer would hold what the high-water mark lets go */
            int buf = 4096;
            zmq_setsockopt(sock, ZMQ_SNDBUF, &buf, sizeof buf);
        }
    }
    if (zmq_bind(sock, endpoint) != 0) {
        fprintf(stderr, "huifang-%s: could not listen on %s: %s\n", svc->def->name, endpoint,
                zmq_strerror(zmq_errno()));
        zmq_close(sock);
        return NULL;
    }
    return sock;
}

/* Reads the session settings: auth on needs the public key. 0, or -1 after a message. */
static int s_auth_init(hf_service_t *svc, const char *program)
{
    const char *mode = hf_config_str(svc->config, "auth");
    if (strcmp(mode, "off") == 0) {
        svc->auth = false;
        hf_warn("auth_off", "reason=\"HUIFANG_AUTH=off: every client is believed about who it"
                            " is; for benchmarks only\"");
        return 0;
    }
    if (strcmp(mode, "on") != 0) {
        fprintf(stderr, "%s: bad configuration: auth (HUIFANG_AUTH) is \"%s\", not on or off\n",
                program, mode);
        return -1;
    }
    const char *path = hf_config_str(svc->config, "session_public_key_file");
    if (*path == '\0') {
        fprintf(stderr,
                "%s: bad configuration: HUIFANG_SESSION_PUBLIC_KEY_FILE is not set: sessions "
                "cannot be verified (huifang session keygen --dir DIR makes the key pair)\n",
                program);
        return -1;
    }
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    char err[512];
    if (hf_session_load_public(path, pk, err, sizeof err) != 0) {
        fprintf(stderr, "%s: bad configuration: HUIFANG_SESSION_PUBLIC_KEY_FILE: %s\n", program,
                err);
        return -1;
    }
    svc->auth = true;
    svc->verifier = hf_verifier_new(pk);
    return 0;
}

/* Loads the revoked sessions that may still be presented. 0 or -1. */
static int s_revocations_load(hf_service_t *svc)
{
    if (svc->verifier == NULL)
        return 0;
    /* what no session can be presented for any more goes first: a logout's session that has
     * ended, a person's cut-off older than the longest session */
    int64_t now_ms = hf_clock_real_ms();
    char now[24], oldest[24];
    const char *pp[] = {hf_pg_i64(now, now_ms), hf_pg_i64(oldest, now_ms - HF_SESSION_MAX_TTL_MS)};
    if (hf_store_run(svc->store,
                     "DELETE FROM session_revoked WHERE (jti <> '' AND expires_ms < $1)"
                     " OR (jti = '' AND not_before_ms < $2)",
                     2, pp) != 0)
        return -1;
    PGresult *res = hf_store_exec(
        svc->store, "SELECT login, jti, not_before_ms, expires_ms FROM session_revoked", 0, NULL);
    if (res == NULL)
        return -1;
    for (int i = 0; i < PQntuples(res); i++)
        hf_verifier_revoke(svc->verifier, hf_pg_str(res, i, 0), hf_pg_int(res, i, 2),
                           hf_pg_str(res, i, 1), hf_pg_int(res, i, 3));
    PQclear(res);
    return 0;
}

int hf_service_revoke(hf_service_t *svc, const Huifang__V1__PersonRevoked *r)
{
    if (r->login == NULL || *r->login == '\0')
        return 0;
    if (svc->verifier)
        hf_verifier_revoke(svc->verifier, r->login, r->not_before_ms, r->jti, r->expires_ms);
    char nb[24], ex[24];
    const char *p[] = {r->login, r->jti ? r->jti : "", hf_pg_i64(nb, r->not_before_ms),
                       hf_pg_i64(ex, r->expires_ms)};
    return hf_store_run(svc->store,
                        "INSERT INTO session_revoked (login, jti, not_before_ms, expires_ms)"
                        " VALUES ($1, $2, $3, $4) ON CONFLICT (login, jti) DO UPDATE SET"
                        " not_before_ms = GREATEST(session_revoked.not_before_ms,"
                        " EXCLUDED.not_before_ms), expires_ms = EXCLUDED.expires_ms",
                        4, p);
}

/* Start-up self-test of the fail-closed handshake: a throw-away client with a random key
 * connects to sock (a server socket of ours) and must be refused by the ZAP handler.
 * Returns 0 when it was refused, -1 (message on stderr) when it was let in or nothing
 * could be proved within a few seconds. */
static int s_self_test(hf_service_t *svc, void *sock, int client_type, const char *what)
{
    char ep[256];
    size_t eplen = sizeof ep;
    if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, ep, &eplen) != 0)
        return -1;
    /* a wildcard bind is reached on loopback */
    char target[300];
    const char *star = strstr(ep, "://0.0.0.0:");
    if (star == NULL)
        star = strstr(ep, "://*:");
    if (star)
        snprintf(target, sizeof target, "%.*s://127.0.0.1%s", (int)(star - ep), ep,
                 strchr(star + 3, ':'));
    else
        snprintf(target, sizeof target, "%s", ep);
    char server_pub[HF_KEY_Z85_LEN + 1], pub[HF_KEY_Z85_LEN + 1], sec[HF_KEY_Z85_LEN + 1];
    char why[900];
    if (hf_keys_read_public(hf_bus_keys_dir(), hf_bus_curve_name(), server_pub, why, sizeof why) !=
            0 ||
        zmq_curve_keypair(pub, sec) != 0) {
        fprintf(stderr, "huifang-%s: CURVE self-test: %s\n", svc->def->name, why);
        return -1;
    }
    int rc = -1, linger = 0;
    void *client = zmq_socket(hf_bus_context(), client_type);
    void *mon = zmq_socket(hf_bus_context(), ZMQ_PAIR);
    char mon_ep[64];
    snprintf(mon_ep, sizeof mon_ep, "inproc://hf-self-test-%p", (void *)client);
    const char *verdict = "no handshake result within 5 s";
    if (client == NULL || mon == NULL)
        goto cleanup;
    zmq_setsockopt(client, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(mon, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(client, ZMQ_CURVE_SERVERKEY, server_pub, HF_KEY_Z85_LEN);
    zmq_setsockopt(client, ZMQ_CURVE_PUBLICKEY, pub, HF_KEY_Z85_LEN);
    zmq_setsockopt(client, ZMQ_CURVE_SECRETKEY, sec, HF_KEY_Z85_LEN);
    if (zmq_socket_monitor(client, mon_ep,
                           ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0 ||
        zmq_connect(mon, mon_ep) != 0 || zmq_connect(client, target) != 0)
        goto cleanup;
    int64_t deadline = hf_clock_mono_ms() + 5000;
    for (;;) {
        int64_t left = deadline - hf_clock_mono_ms();
        if (left <= 0)
            break;
        zmq_pollitem_t item = {mon, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&item, 1, (long)left);
        if (n < 0 && zmq_errno() == EINTR)
            continue;
        if (n <= 0)
            break;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, mon, 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        uint16_t event = 0;
        uint32_t value = 0;
        if (zmq_msg_size(&m) >= 6) {
            memcpy(&event, zmq_msg_data(&m), 2);
            memcpy(&value, (uint8_t *)zmq_msg_data(&m) + 2, 4);
        }
        int more = zmq_msg_more(&m);
        zmq_msg_close(&m);
        while (more) { /* the endpoint frame */
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, mon, 0) < 0)
                more = 0;
            else
                more = zmq_msg_more(&m);
            zmq_msg_close(&m);
        }
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            verdict = "a client with a random key was let in (is a ZAP handler enforced?)";
            break;
        }
        if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && value == 400) {
            rc = 0;
            break;
        }
        verdict = "the handshake failed for another reason than the allow-list";
    }
cleanup:
    memset(sec, 0, sizeof sec);
    if (client) {
        zmq_socket_monitor(client, NULL, 0);
        zmq_close(client);
    }
    if (mon)
        zmq_close(mon);
    if (rc != 0)
        fprintf(stderr,
                "huifang-%s: refusing to start: the CURVE self-test of the %s at %s "
                "failed: %s\n",
                svc->def->name, what, target, verdict);
    else
        hf_info("curve_self_test",
                "socket=\"%s\" endpoint=%s result=refused note=\"a random "
                "key was refused: the zap_refused line before is this test\"",
                what, target);
    return rc;
}

/* Sets up the process's CURVE identity and starts the ZAP handler, before any bind. */
static int s_curve_start(hf_service_t *svc, const char *program)
{
    const char *mode = hf_config_str(svc->config, "curve");
    if (strcmp(mode, "on") != 0 && strcmp(mode, "off") != 0) {
        fprintf(stderr,
                "%s: bad configuration: curve (HUIFANG_CURVE) is \"%s\", not on or "
                "off\n",
                program, mode);
        return -1;
    }
    hf_bus_set_max_reply(HF_BUS_MAX_REPLY_BYTES);
    if (strcmp(mode, "off") == 0) {
        hf_bus_curve_init(false, NULL, NULL, NULL, 0);
        hf_warn("curve_off",
                "reason=\"HUIFANG_CURVE=off: commands and events travel in clear "
                "text and ANYONE who reaches the ports may send commands; for benchmarks and "
                "tests only\"");
        return 0;
    }
    const char *name = hf_config_str(svc->config, "curve_name");
    if (*name == '\0')
        name = svc->def->name;
    char err[1024];
    if (hf_bus_curve_init(true, hf_config_str(svc->config, "keys_dir"), name, err, sizeof err) !=
        0) {
        fprintf(stderr, "%s: bad configuration: %s\n", program, err);
        return -1;
    }
    svc->zap = hf_zap_new(hf_bus_context(), hf_config_str(svc->config, "keys_dir"));
    if (svc->zap == NULL) {
        fprintf(stderr, "%s: could not start the ZAP handler (see the log)\n", program);
        return -1;
    }
    return 0;
}

int hf_service_new(hf_service_t **out, const hf_service_def_t *def, void *self, int argc,
                   char **argv)
{
    *out = NULL;
    hf_service_t *svc = calloc(1, sizeof *svc);
    if (svc == NULL)
        return -1;
    svc->def = def;
    pthread_mutex_init(&svc->health_lock, NULL);
    atomic_init(&svc->phase, S_STARTING);
    atomic_init(&svc->loop_tick, 0);
    svc->jitter = ((uint32_t)getpid() * 2654435761u) ^ (uint32_t)hf_clock_mono_ms() ^ 0x9e3779b9u;
    if (svc->jitter == 0)
        svc->jitter = 1;
    svc->self = self;
    /* a peer (Redis, a subscriber) that drops its connection must not kill us mid-write */
    signal(SIGPIPE, SIG_IGN);
    /* a stop asked for while starting (a migration, the first admin's password hash) is
     * a clean stop as soon as the loop would begin */
    s_catch_signals();
    svc->started_mono = hf_clock_mono_ms();
    s_build_own_config(svc);
    char program[48];
    snprintf(program, sizeof program, "huifang-%s", def->name);
    const hf_config_entry_t *tables[] = {svc->own, hf_service_config, def->config, NULL};
    int rc = hf_config_load(&svc->config, program, def->summary, tables, argc, argv);
    if (rc != 0) {
        free(svc);
        return rc;
    }
    hf_log_init(def->name, hf_config_str(svc->config, "log_level"));
    if (hf_clock_init(hf_config_str(svc->config, "clock"),
                      hf_config_str(svc->config, "clock_file")) != 0) {
        fprintf(stderr,
                "%s: bad configuration: clock (HUIFANG_CLOCK) is \"%s\", not real or manual\n",
                program, hf_config_str(svc->config, "clock"));
        goto fail;
    }
    char host[32];
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    snprintf(svc->instance, sizeof svc->instance, "%s/%d", host, (int)getpid());
    svc->heartbeat_ms = (int)hf_config_int(svc->config, "heartbeat_ms");
    svc->read_wait_ms = (int)hf_config_int(svc->config, "read_wait_ms");
    svc->expired_slack_ms = (int)hf_config_int(svc->config, "expired_slack_ms");
    hf_config_log(svc->config);
    if (s_endpoints_check(svc, program) != 0)
        goto fail;
    if (s_auth_init(svc, program) != 0)
        goto fail;
    if (s_metrics_init(svc) != 0) {
        fprintf(stderr, "%s: out of memory\n", program);
        goto fail;
    }

    svc->store = hf_store_new(hf_config_str(svc->config, "store_url"), def->name);
    hf_store_on_end(svc->store, s_emits_end, svc);
    hf_store_set_password(svc->store, hf_config_str(svc->config, "store_password"));
    const char *prepare = hf_config_str(svc->config, "pg_prepare");
    if (strcmp(prepare, "on") != 0 && strcmp(prepare, "off") != 0) {
        fprintf(stderr,
                "%s: bad configuration: pg_prepare (HUIFANG_PG_PREPARE) is \"%s\", not on or off\n",
                program, prepare);
        goto fail;
    }
    hf_store_set_prepare(svc->store, strcmp(prepare, "on") == 0);
    if (hf_store_connect_wait(svc->store, (int)hf_config_int(svc->config, "store_wait_ms")) != 0) {
        if (hf_store_refused(svc->store))
            fprintf(stderr,
                    "%s: %s (the store refused the role or its password: see %s and "
                    "%s_FILE)\n",
                    program, hf_store_error(svc->store), svc->env_store, svc->env_store_password);
        else
            fprintf(stderr, "%s: %s (is Postgres running? see HUIFANG_STORE_URL)\n", program,
                    hf_store_error(svc->store));
        goto fail;
    }
    if (hf_store_migrate(svc->store, def->migrations) != 0) {
        fprintf(stderr, "%s: could not migrate schema %s: %s\n", program, def->name,
                hf_store_error(svc->store));
        goto fail;
    }
    if (s_revocations_load(svc) != 0) {
        fprintf(stderr, "%s: %s\n", program, hf_store_error(svc->store));
        goto fail;
    }
    if (hf_audit_ensure(svc->store) != 0) {
        fprintf(stderr, "%s: could not find or create the audit table audit.access: %s\n", program,
                hf_store_error(svc->store));
        goto fail;
    }
    int64_t last = hf_outbox_last_seq(svc->store, def->name);
    if (last < 0 || hf_outbox_epoch(svc->store, def->name, svc->epoch, sizeof svc->epoch) != 0) {
        fprintf(stderr, "%s: %s\n", program, hf_store_error(svc->store));
        goto fail;
    }
    /* events committed before we started were published by an earlier run, or will be
     * replayed to whoever missed them: the heartbeat tells consumers where we are */
    svc->published = (uint64_t)last;
    if (s_curve_start(svc, program) != 0)
        goto fail;
    svc->router = s_bind(svc, ZMQ_ROUTER, hf_config_str(svc->config, "bind"));
    if (svc->router == NULL)
        goto fail;
    svc->pub = s_bind(svc, ZMQ_PUB, hf_config_str(svc->config, "events_bind"));
    if (svc->pub == NULL)
        goto fail;
    if (svc->zap && (s_self_test(svc, svc->router, ZMQ_DEALER, "command ROUTER") != 0 ||
                     s_self_test(svc, svc->pub, ZMQ_SUB, "event PUB") != 0))
        goto fail;
    /* the ZAP handler exists now (NULL with CURVE off): its refusals are read at each
     * scrape */
    hf_metrics_fn(svc->metrics, true, "huifang_zap_refused_total", NULL, svc->mlabels,
                  s_zap_refused, svc->zap);
    if (s_metrics_listen(svc, program) != 0)
        goto fail;
    svc->arena = hf_arena_new();
    *out = svc;
    return 0;
fail:
    hf_service_destroy(&svc);
    return -1;
}

void hf_service_destroy(hf_service_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    hf_service_t *svc = *self_p;
    /* the listener first: its thread reads the service's health fields */
    hf_metrics_destroy(&svc->metrics);
    free(svc->m_requests);
    free(svc->m_latency);
    free(svc->m_expired);
    pthread_mutex_destroy(&svc->health_lock);
    for (int i = 0; i < svc->nparked; i++)
        s_parked_free(&svc->parked[i]);
    for (int i = 0; i < svc->nasking; i++)
        s_asking_free(&svc->asking[i]);
    for (int i = 0; i < svc->npools; i++)
        for (int k = 0; k < HF_ASK_POOL_MAX; k++)
            hf_client_destroy(&svc->pools[i].clients[k]);
    for (int i = 0; i < svc->nsubs; i++) {
        if (svc->subs[i].sock)
            zmq_close(svc->subs[i].sock);
        hf_client_destroy(&svc->subs[i].replay);
        s_probe_close(&svc->subs[i]);
        if (svc->subs[i].pend) {
            s_pend_pop(&svc->subs[i], svc->subs[i].ptail - svc->subs[i].phead);
            free(svc->subs[i].pend);
        }
    }
    for (int i = 0; i < svc->npeers; i++)
        hf_client_destroy(&svc->peers[i].client);
    if (svc->pub)
        zmq_close(svc->pub);
    if (svc->router)
        zmq_close(svc->router);
    hf_zap_destroy(&svc->zap); /* after the sockets it serves, before the context ends */
    hf_store_destroy(&svc->store);
    s_emits_drop(svc);
    free(svc->emits);
    hf_config_destroy(&svc->config);
    hf_arena_destroy(&svc->arena);
    hf_verifier_destroy(&svc->verifier);
    free(svc);
    *self_p = NULL;
    hf_bus_shutdown();
}

/* ---- producing ---- */

int hf_service_emit(hf_service_t *svc, hf_envelope_t *env)
{
    if (!hf_store_in_tx(svc->store)) {
        hf_error("emit_outside_transaction", "payload=%s", hf_envelope_payload_name(env));
        return -1;
    }
    if (env->branch == NULL || env->branch[0] == '\0') {
        if (svc->cur_req && svc->cur_req->branch)
            env->branch = svc->cur_req->branch;
        else if (svc->cur_env && svc->cur_env->branch)
            env->branch = svc->cur_env->branch;
    }
    if (env->correlation_id == NULL || env->correlation_id[0] == '\0') {
        if (svc->cur_req && svc->cur_req->request_id)
            env->correlation_id = svc->cur_req->request_id;
        else if (svc->cur_env && svc->cur_env->correlation_id)
            env->correlation_id = svc->cur_env->correlation_id;
    }
    /* kept, packed, until the transaction commits (s_emits_end): its sequence number is
     * taken then, so the counter row is not held while the rest of the transaction runs */
    hf_outbox_defaults(env, svc->def->name);
    if (svc->nemits == svc->emits_cap) {
        int cap = svc->emits_cap ? 2 * svc->emits_cap : 64;
        s_emit_t *grown = realloc(svc->emits, sizeof *grown * (size_t)cap);
        if (grown == NULL)
            abort();
        svc->emits = grown;
        svc->emits_cap = cap;
    }
    size_t len = huifang__v1__envelope__get_packed_size(env);
    uint8_t *body = malloc(len ? len : 1);
    if (body == NULL)
        abort();
    huifang__v1__envelope__pack(env, body);
    svc->emits[svc->nemits++] = (s_emit_t){body, len};
    return 0;
}

static void s_emits_drop(hf_service_t *svc)
{
    for (int i = 0; i < svc->nemits; i++)
        free(svc->emits[i].body);
    svc->nemits = 0;
    svc->reserved_n = 0;
}

void hf_service_events_reserved(hf_service_t *svc, int n, int64_t last)
{
    if (hf_store_in_tx(svc->store) && n > 0) {
        svc->reserved_n = n;
        svc->reserved_last = last;
    }
}

/* The last of the n sequence numbers the transaction's events take: reserved now, or what its
 * command reserved itself (hf_service_events_reserved) with the difference taken or given
 * back, the counter row being this transaction's since. -1 on a store error. */
static int64_t s_emits_reserve(hf_service_t *svc, hf_store_t *st, int n)
{
    const char *producer = svc->def->name;
    int r = svc->reserved_n;
    svc->reserved_n = 0;
    if (r == 0)
        return hf_outbox_reserve(st, producer, n);
    if (n == r) {
        hf_store_mark(st); /* as hf_outbox_reserve does: the relay reads once this commits */
        return svc->reserved_last;
    }
    int64_t last = hf_outbox_reserve(st, producer, n - r);
    if (last >= 0 && last != svc->reserved_last + (n - r)) {
        hf_error("outbox_reserved", "producer=%s reserved=%d last=%lld emitted=%d now=%lld",
                 producer, r, (long long)svc->reserved_last, n, (long long)last);
        return -1;
    }
    return last;
}

/* The store's end hook (hf_store_on_end): at a commit, the events the transaction emitted
 * take their sequence numbers — the counter row moved by their number in one statement,
 * whose row lock then serialises this producer's writers until the commit, so sequences
 * stay gap-free and commit in order (hf_outbox.h) — and their rows, one INSERT however many
 * they are (hf_outbox_defer_rows), go with the COMMIT (hf_store_defer). Sets cmd_last_seq to the
 * last one when a command runs. At a rollback they are forgotten. 0 or -1. */
static int s_emits_end(hf_store_t *st, void *ctx, bool commit)
{
    hf_service_t *svc = ctx;
    int n = svc->nemits;
    if (!commit || (n == 0 && svc->reserved_n == 0)) {
        s_emits_drop(svc);
        return 0;
    }
    const char *producer = svc->def->name;
    int64_t last = s_emits_reserve(svc, st, n);
    if (last < 0 || n == 0) {
        /* (n 0: the numbers reserved were all given back) */
        s_emits_drop(svc);
        return last < 0 ? -1 : 0;
    }
    /* each event numbered and packed again with its number (the bodies name it), then all
     * of their rows one statement (hf_outbox_defer_rows) */
    int rc = 0;
    hf_envelope_t **envs = calloc((size_t)n, sizeof *envs);
    hf_outbox_new_t *rows = calloc((size_t)n, sizeof *rows);
    char(*topics)[160] = malloc(sizeof *topics * (size_t)n);
    char event_id[96];
    if (envs == NULL || rows == NULL || topics == NULL)
        rc = -1;
    for (int i = 0; i < n && rc == 0; i++) {
        int64_t seq = last - n + 1 + i;
        hf_envelope_t *env = envs[i] =
            huifang__v1__envelope__unpack(NULL, svc->emits[i].len, svc->emits[i].body);
        if (env == NULL) {
            rc = -1;
            break;
        }
        snprintf(event_id, sizeof event_id, "%s:%lld", producer, (long long)seq);
        char *unpacked_id = env->event_id;
        env->seq = (uint64_t)seq;
        env->event_id = event_id;
        hf_envelope_topic(env, topics[i], sizeof topics[i]);
        size_t len = huifang__v1__envelope__get_packed_size(env);
        uint8_t *body = malloc(len ? len : 1);
        if (body)
            huifang__v1__envelope__pack(env, body);
        env->event_id = unpacked_id;
        rows[i] =
            (hf_outbox_new_t){topics[i], env->branch, body, len, (int64_t)env->occurred_at_ms};
        if (body == NULL)
            rc = -1;
    }
    if (rc == 0 && hf_outbox_defer_rows(st, producer, last - n + 1, rows, n) != 0)
        rc = -1;
    for (int i = 0; envs && rows && i < n; i++) {
        free((uint8_t *)rows[i].body);
        if (envs[i])
            huifang__v1__envelope__free_unpacked(envs[i], NULL);
    }
    free(envs);
    free(rows);
    free(topics);
    s_emits_drop(svc);
    if (rc == 0 && svc->cur_req)
        hf_service_emitted(svc, (uint64_t)last);
    return rc;
}

void hf_service_emitted(hf_service_t *svc, uint64_t seq)
{
    if (svc->cur_req && seq > svc->cmd_last_seq)
        svc->cmd_last_seq = seq;
}

/* Publishes committed outbox rows past the last one published; returns how many. */
static int s_relay(hf_service_t *svc)
{
    static hf_outbox_row_t rows[HF_RELAY_BATCH];
    int total = 0;
    for (;;) {
        int n = 0;
        if (hf_outbox_read(svc->store, svc->def->name, svc->published, HF_RELAY_BATCH, rows, &n) !=
            0)
            return total;
        for (int i = 0; i < n; i++) {
            zmq_send(svc->pub, rows[i].topic, strlen(rows[i].topic), ZMQ_SNDMORE);
            zmq_send(svc->pub, rows[i].body, rows[i].len, 0);
            svc->published = rows[i].seq;
        }
        hf_series_add(svc->m_published, n);
        hf_outbox_rows_free(rows, n);
        total += n;
        if (n < HF_RELAY_BATCH)
            return total;
    }
}

static void s_heartbeat(hf_service_t *svc)
{
    int64_t last = hf_outbox_last_seq(svc->store, svc->def->name);
    if (last < 0)
        return;
    /* catch the relay up first so the heartbeat never runs ahead of what we published */
    if ((uint64_t)last > svc->published)
        s_relay(svc);
    int64_t now = hf_clock_mono_ms();
    uint64_t depth = (uint64_t)last > svc->published ? (uint64_t)last - svc->published : 0;
    if (depth == 0 || svc->relay_caught_up_at == 0)
        svc->relay_caught_up_at = now;
    hf_series_set(svc->m_outbox_depth, (double)depth);
    hf_series_set(svc->m_relay_lag, (double)(now - svc->relay_caught_up_at) / 1000.0);
    Huifang__V1__Heartbeat hb = HUIFANG__V1__HEARTBEAT__INIT;
    hb.last_seq = (uint64_t)last;
    hb.epoch = svc->epoch;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.producer = (char *)svc->def->name;
    env.occurred_at_ms = hf_clock_now_ms();
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_HEARTBEAT;
    env.heartbeat = &hb;
    uint8_t buf[256];
    size_t len = huifang__v1__envelope__pack(&env, buf);
    char topic[64];
    hf_envelope_topic(&env, topic, sizeof topic);
    zmq_send(svc->pub, topic, strlen(topic), ZMQ_SNDMORE);
    zmq_send(svc->pub, buf, len, 0);
}

/* ---- commands ---- */

static int s_ping(hf_service_t *svc, hf_reply_t *rep, hf_arena_t *arena)
{
    Huifang__V1__PingResult *r = hf_new(arena, Huifang__V1__PingResult);
    huifang__v1__ping_result__init(r);
    r->service = (char *)svc->def->name;
    r->version = HF_VERSION;
    r->uptime_ms = hf_clock_mono_ms() - svc->started_mono;
    r->now_ms = hf_clock_now_ms();
    r->clock = hf_clock_is_manual() ? "manual" : "real";
    int64_t last = hf_outbox_last_seq(svc->store, svc->def->name);
    r->last_seq = last > 0 ? (uint64_t)last : 0;
    r->instance = svc->instance;
    r->epoch = svc->epoch;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_PING;
    rep->ping = r;
    if (last < 0)
        return hf_fail(rep, arena, HF_UNAVAILABLE, NULL, "the store is unavailable: %s",
                       hf_store_error(svc->store));
    return HF_OK;
}

static int s_replay(hf_service_t *svc, const hf_request_t *req, hf_reply_t *rep, hf_arena_t *arena)
{
    static hf_outbox_row_t rows[HF_REPLAY_BATCH];
    const Huifang__V1__Replay *q = req->replay;
    int limit = q->limit > 0 && q->limit <= HF_REPLAY_BATCH ? (int)q->limit : HF_REPLAY_BATCH;
    uint64_t from = q->from_seq > 0 ? q->from_seq : 1;
    int n = 0;
    if (hf_outbox_read(svc->store, svc->def->name, from - 1, limit, rows, &n) != 0)
        return hf_fail(rep, arena, HF_UNAVAILABLE, NULL, "the store is unavailable: %s",
                       hf_store_error(svc->store));
    Huifang__V1__ReplayResult *r = hf_new(arena, Huifang__V1__ReplayResult);
    huifang__v1__replay_result__init(r);
    /* at most HF_REPLAY_BYTES (but one event), well inside a message's limit */
    size_t bytes = 0;
    int keep = 0;
    while (keep < n && (keep == 0 || bytes + rows[keep].len <= HF_REPLAY_BYTES))
        bytes += rows[keep++].len;
    r->n_envelopes = (size_t)keep;
    r->envelopes = hf_new_array(arena, ProtobufCBinaryData, n);
    for (int i = 0; i < keep; i++) {
        uint8_t *copy = hf_arena_alloc(arena, rows[i].len);
        memcpy(copy, rows[i].body, rows[i].len);
        r->envelopes[i].data = copy;
        r->envelopes[i].len = rows[i].len;
    }
    hf_outbox_rows_free(rows, n);
    int64_t last = hf_outbox_last_seq(svc->store, svc->def->name);
    r->last_seq = last > 0 ? (uint64_t)last : 0;
    r->epoch = svc->epoch;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_REPLAY;
    rep->replay = r;
    return HF_OK;
}

/* Replaces a string field of an unpacked request (system allocator) with a copy of value. */
static void s_request_set(char **field, const char *value)
{
    char *copy = strdup(value);
    if (copy == NULL)
        return;
    if (*field && *field != protobuf_c_empty_string)
        free(*field);
    *field = copy;
}

/* A replay asked for by a person (`events export`, `events tail` catching up) hands out the
 * events' names, phones and notes: one audit row per batch that held any, with no customer
 * ids (the envelopes are not decoded here). A consuming service's replay (its actor is a
 * service's name) is the services' own plumbing and is not audited. The row is written on
 * its own (a replay runs outside a transaction); when it cannot be, nothing is handed out. */
static void s_audit_replay(hf_service_t *svc, const hf_request_t *req, hf_reply_t *rep,
                           hf_arena_t *arena)
{
    static const char *const services[] = {"intake",    "scheduler", "calllog",
                                           "complaint", "reporting", NULL};
    if (rep->status != HF_OK || rep->replay == NULL || rep->replay->n_envelopes == 0)
        return;
    /* with CURVE, who asks is the key's principal, not what the request says */
    const char *caller = hf_service_caller(svc);
    if (strncmp(caller, "svc:", 4) == 0)
        return;
    for (int i = 0; *caller == '\0' && services[i]; i++)
        if (req->actor && strcmp(req->actor, services[i]) == 0)
            return;
    if (*caller)
        s_request_set(&((hf_request_t *)req)->actor, caller);
    svc->cur_req = req;
    int rc = hf_service_audit(svc, NULL, 0);
    svc->cur_req = NULL;
    svc->audit_failed = false;
    if (rc != 0) {
        rep->result_case = HUIFANG__V1__REPLY__RESULT__NOT_SET;
        rep->replay = NULL;
        hf_fail(rep, arena, HF_UNAVAILABLE, NULL,
                "the %s service could not write the audit row of this replay; nothing handed"
                " out, safe to retry",
                svc->def->name);
    }
}

static const hf_command_t *s_find_command(hf_service_t *svc, int command)
{
    for (const hf_command_t *c = svc->def->commands; c && c->fn; c++)
        if (c->command == command)
            return c;
    return NULL;
}

/* Marks a reply as "store unavailable" when the store failed under the handler. */
static void s_check_store(hf_service_t *svc, hf_reply_t *rep, hf_arena_t *arena)
{
    if (hf_store_unavailable(svc->store) && rep->status != HF_BAD_INPUT)
        hf_fail(rep, arena, HF_UNAVAILABLE, NULL,
                "the store is unavailable, nothing changed, safe to retry: %s",
                hf_store_error(svc->store));
}

/* A handler that gave up after a failed statement returns UNAVAILABLE with nothing said (the
 * habit of many): with the store connected, the statement itself failed — a constraint, a
 * bug, bad data — and a retry would fail the same way. That is an internal error (exit 1),
 * logged with the store's message (hf_log masks personal data in it); the client is told
 * where to look, never "safe to retry". Exit 5 stays for a lost connection (s_check_store)
 * and for what a handler explained itself (a peer service that did not answer). */
static void s_check_bare_failure(hf_service_t *svc, const hf_request_t *req, hf_reply_t *rep,
                                 hf_arena_t *arena)
{
    if (rep->status != HF_UNAVAILABLE || (rep->error && *rep->error) ||
        hf_store_unavailable(svc->store))
        return;
    const char *name = hf_request_command_name(req);
    hf_error("command_failed", "command=%s reason=\"%s\"", name, hf_store_error(svc->store));
    hf_fail(rep, arena, HF_INTERNAL, NULL,
            "the %s service failed on a store error (in its log as command_failed); nothing"
            " changed",
            svc->def->name);
}

static int s_idempotency_stored(hf_service_t *svc, const char *key, hf_reply_t **stored);

/* Looks up an idempotency key inside the open transaction. Returns 1 and the stored reply
 * (in *stored, unpacked) when the key was answered before; 0 when this request now owns the
 * key; -1 on a store error. */
/* The key's row made for req's command inside the open transaction: 1 made now, 0 there
 * already (answered, or being answered), -1 on a store error. */
static int s_idempotency_insert(hf_service_t *svc, const char *key, const hf_request_t *req)
{
    const char *p[] = {key, hf_request_command_name(req)};
    PGresult *res = hf_store_exec(svc->store,
                                  "INSERT INTO idempotency (key, command) VALUES ($1, $2)"
                                  " ON CONFLICT (key) DO NOTHING RETURNING 1",
                                  2, p);
    if (res == NULL)
        return -1;
    int made = PQntuples(res) > 0;
    PQclear(res);
    return made;
}

static int s_idempotency_claim(hf_service_t *svc, const char *key, const hf_request_t *req,
                               hf_reply_t **stored)
{
    int made = s_idempotency_insert(svc, key, req);
    if (made != 0)
        return made < 0 ? -1 : 0;
    return s_idempotency_stored(svc, key, stored);
}

/* The reply stored for a key answered before, read inside the open transaction: 1 and
 * *stored (unpacked), or -1 (none stored yet, or a store error). */
static int s_idempotency_stored(hf_service_t *svc, const char *key, hf_reply_t **stored)
{
    const char *p[] = {key};
    PGresult *res = hf_store_execv(svc->store, "SELECT reply FROM idempotency WHERE key = $1", 1, p,
                                   NULL, NULL, 1);
    if (res == NULL)
        return -1;
    int rc = -1;
    if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
        *stored = huifang__v1__reply__unpack(NULL, (size_t)PQgetlength(res, 0, 0),
                                             (const uint8_t *)PQgetvalue(res, 0, 0));
        rc = *stored ? 1 : -1;
    }
    PQclear(res);
    return rc;
}

static int s_idempotency_store(hf_service_t *svc, const char *key, const hf_reply_t *rep)
{
    size_t len = huifang__v1__reply__get_packed_size(rep);
    uint8_t *buf = malloc(len ? len : 1);
    if (buf == NULL)
        return -1;
    huifang__v1__reply__pack(rep, buf);
    /* sent with the COMMIT that follows (one round trip less; a failure rolls it back) */
    char *hex = hf_pg_bytea_text(buf, len);
    free(buf);
    if (hex == NULL)
        return -1;
    const char *vals[] = {key, hex};
    int rc =
        hf_store_defer(svc->store, "UPDATE idempotency SET reply = $2 WHERE key = $1", 2, vals);
    free(hex);
    return rc;
}

/* Checks the request's session against what cmd allows (roles HF_ROLE_KEY for ping and
 * replay) and, when it passes, makes the request's actor the session's person and its
 * branch one of theirs. Returns true, or false with rep filled (UNAUTHENTICATED or
 * FORBIDDEN). Sessions follow the real time, never a manual clock. */
static bool s_authorize(hf_service_t *svc, hf_request_t *req, unsigned roles, bool writes,
                        hf_reply_t *rep, hf_arena_t *arena)
{
    svc->claims = NULL;
    if (!svc->auth || (roles & HF_ROLE_KEY))
        return true;
    const Huifang__V1__SessionClaims *c = NULL;
    hf_session_status_t st = hf_verifier_check(svc->verifier, req->session, hf_clock_real_ms(), &c);
    const char *name = hf_request_command_name(req);
    if (st != HF_SESSION_OK) {
        hf_warn("not_signed_in", "command=%s reason=\"%s\"", name, hf_session_status_text(st));
        s_metrics_refused(svc, 0);
        hf_fail(rep, arena, HF_UNAUTHENTICATED, "session", "not signed in: %s",
                hf_session_status_text(st));
        return false;
    }
    unsigned bit = hf_role_bit(c->role);
    if (!(roles & bit) || (bit == HF_ROLE_HQ && writes)) {
        char need[160];
        hf_roles_describe(roles & ~(unsigned)(writes ? HF_ROLE_HQ : 0), need, sizeof need);
        hf_warn("forbidden", "command=%s actor=%s role=%s", name, c->login, c->role);
        s_metrics_refused(svc, 1);
        hf_fail(rep, arena, HF_FORBIDDEN, "role", "not allowed: %s needs the role %s; %s is %s",
                name, need, c->login, c->role);
        return false;
    }
    if (*req->branch == '\0' && c->n_branches == 1) {
        s_request_set(&req->branch, c->branches[0]);
    } else if (*req->branch != '\0' && !hf_session_in_branch(c, req->branch)) {
        hf_warn("forbidden", "command=%s actor=%s branch=%s reason=\"not the person's branch\"",
                name, c->login, req->branch);
        s_metrics_refused(svc, 1);
        hf_fail(rep, arena, HF_FORBIDDEN, "branch", "not allowed: %s does not act in branch %s",
                c->login, req->branch);
        return false;
    }
    if (strcmp(req->actor, c->login) != 0)
        s_request_set(&req->actor, c->login);
    svc->claims = c;
    hf_service_set_identity(svc, c->role, c->on_behalf_of); /* for the audit rows */
    return true;
}

const Huifang__V1__SessionClaims *hf_service_verify(hf_service_t *svc, const char *token,
                                                    hf_session_status_t *why)
{
    const Huifang__V1__SessionClaims *c = NULL;
    *why = HF_SESSION_OK;
    if (svc->verifier == NULL)
        return NULL;
    *why = hf_verifier_check(svc->verifier, token, hf_clock_real_ms(), &c);
    return c;
}

void hf_service_forward(const hf_service_t *svc, hf_request_t *q)
{
    if (svc->cur_req && svc->cur_req->session)
        q->session = svc->cur_req->session;
    /* the ask is awaited no longer than the request it is made for (hf_client makes each
     * try's bound the earlier of this and its own timeout) */
    int64_t by = svc->cur_req ? svc->cur_req->answer_by_ms : 0;
    if (by > 0 && (q->answer_by_ms <= 0 || by < q->answer_by_ms))
        q->answer_by_ms = by;
}

void hf_service_commit_anyway(hf_service_t *svc)
{
    svc->commit_anyway = true;
}

const char *hf_service_request_key(const hf_service_t *svc)
{
    return svc->cur_key;
}

void hf_service_key_claimed(hf_service_t *svc, bool fresh)
{
    if (svc->key_state == S_KEY_PENDING)
        svc->key_state = fresh ? S_KEY_CLAIMED : S_KEY_SEEN;
}

int hf_service_claim_key(hf_service_t *svc)
{
    if (svc->key_state != S_KEY_PENDING || svc->cur_req == NULL)
        return 0;
    int made = s_idempotency_insert(svc, svc->cur_key, svc->cur_req);
    if (made < 0)
        return -1;
    bool fresh = made > 0;
    hf_service_key_claimed(svc, fresh);
    return fresh ? 0 : 1;
}

/* Whether the handler of command claims its idempotency key itself (def->claims_key). */
static bool s_claims_key(const hf_service_t *svc, int command)
{
    for (const int *c = svc->def->claims_key; c && *c; c++)
        if (*c == command)
            return true;
    return false;
}

/* The command's check before its transaction, or NULL. */
static hf_command_fn s_find_check(const hf_service_t *svc, int command)
{
    for (const hf_command_check_t *c = svc->def->checks; c && c->fn; c++)
        if (c->command == command)
            return c->fn;
    return NULL;
}

/* The answer when an idempotency key's row could not be read or claimed: the store's
 * failure when it has one, else the key taken by a request still being handled. */
static void s_key_unsettled(hf_service_t *svc, hf_reply_t *rep, hf_arena_t *arena)
{
    s_check_store(svc, rep, arena);
    if (rep->status == HF_OK)
        hf_fail(rep, arena, HF_CONFLICT, "idempotency_key",
                "a request with this idempotency key is already being handled");
}

/* Runs one command in one transaction; fills rep. *replay_reply is set when a stored reply
 * for the same idempotency key is to be sent instead. */
static void s_run_command(hf_service_t *svc, hf_request_t *req, hf_reply_t *rep, hf_arena_t *arena,
                          hf_reply_t **replay_reply)
{
    svc->claims = NULL;
    if (req->command_case == HUIFANG__V1__REQUEST__COMMAND_PING) {
        s_ping(svc, rep, arena);
        return;
    }
    /* a replay carries every branch's records: only for clients whose CURVE key is allowed
     * (every socket refuses others at the handshake) */
    if (req->command_case == HUIFANG__V1__REQUEST__COMMAND_REPLAY) {
        s_replay(svc, req, rep, arena);
        s_audit_replay(svc, req, rep, arena);
        return;
    }
    const hf_command_t *cmd = s_find_command(svc, (int)req->command_case);
    if (cmd == NULL) {
        const char *name = hf_request_command_name(req);
        hf_warn("unknown_command", "command=%s", *name ? name : "none");
        hf_fail(rep, arena, HF_BAD_INPUT, "command", "command %s is not served by the %s service",
                *name ? name : "(none)", svc->def->name);
        return;
    }
    if (!s_authorize(svc, req, cmd->roles ? cmd->roles : HF_ROLE_ADMIN, cmd->writes, rep, arena))
        return;
    bool keyed = cmd->writes && req->idempotency_key && req->idempotency_key[0];
    /* a key belongs to its person and command: another's key finds nothing of theirs */
    const char *key = keyed ? hf_arena_printf(arena, "%s/%s/%s", req->actor,
                                              hf_request_command_name(req), req->idempotency_key)
                            : NULL;
    hf_command_fn check = s_find_check(svc, (int)req->command_case);
    if (check) {
        svc->cur_req = req;
        svc->cur_key = key;
        int st = check(svc, svc->self, req, rep, arena);
        svc->cur_req = NULL;
        svc->cur_key = NULL;
        if (st != HF_OK) {
            rep->status = (Huifang__V1__Status)st;
            return;
        }
        if (!cmd->writes && rep->result_case != HUIFANG__V1__REPLY__RESULT__NOT_SET) {
            /* a read answered in full by its check (its audit row written with its reads) */
            rep->status = HF_OK;
            if (svc->claims && strcmp(svc->claims->role, "hq") == 0)
                hf_mask_message(&rep->base, arena);
            return;
        }
    }
    if (hf_store_begin(svc->store) != 0) {
        s_check_store(svc, rep, arena);
        if (rep->status == HF_OK)
            hf_fail(rep, arena, HF_INTERNAL, NULL, "%s", hf_store_error(svc->store));
        return;
    }
    bool own_claim = keyed && s_claims_key(svc, (int)req->command_case);
    svc->key_state = own_claim ? S_KEY_PENDING : S_KEY_CLAIMED;
    if (keyed && !own_claim) {
        int seen = s_idempotency_claim(svc, key, req, replay_reply);
        if (seen != 0) {
            hf_store_rollback(svc->store);
            if (seen < 0)
                s_key_unsettled(svc, rep, arena);
            else
                s_ask_key_note(svc, (int)req->command_case, key);
            return;
        }
    }
    svc->cur_req = req;
    svc->cmd_last_seq = 0;
    svc->commit_anyway = false;
    svc->audit_failed = false;
    svc->cur_key = key;
    int status = cmd->fn(svc, svc->self, req, rep, arena);
    svc->cur_key = NULL;
    if (svc->key_state == S_KEY_SEEN) {
        /* the handler's claim found the key answered before: its stored reply, as above */
        svc->cur_req = NULL;
        svc->key_state = S_KEY_CLAIMED;
        int seen = s_idempotency_stored(svc, key, replay_reply);
        hf_store_rollback(svc->store);
        rep->result_case = HUIFANG__V1__REPLY__RESULT__NOT_SET;
        rep->status = HUIFANG__V1__STATUS__OK;
        if (seen < 0)
            s_key_unsettled(svc, rep, arena);
        else
            s_ask_key_note(svc, (int)req->command_case, key);
        return;
    }
    if (svc->key_state == S_KEY_PENDING && status == HF_OK) {
        hf_error("key_not_claimed", "command=%s", hf_request_command_name(req));
        rep->result_case = HUIFANG__V1__REPLY__RESULT__NOT_SET;
        status = hf_fail(rep, arena, HF_INTERNAL, NULL,
                         "the %s service did not claim the idempotency key of %s; nothing"
                         " changed",
                         svc->def->name, hf_request_command_name(req));
    }
    svc->key_state = S_KEY_CLAIMED;
    /* the events it emitted take their sequence numbers now (the reply names the last) */
    bool numbered = status != HF_OK || svc->audit_failed || hf_store_flush(svc->store) == 0;
    svc->cur_req = NULL;
    if (status == HF_OK && svc->audit_failed) {
        /* no read or change of personal data without its audit row */
        rep->result_case = HUIFANG__V1__REPLY__RESULT__NOT_SET;
        rep->note = NULL;
        status = hf_fail(rep, arena, HF_INTERNAL, NULL,
                         "the %s service could not write the audit row (in its log as"
                         " audit_failed); nothing changed",
                         svc->def->name);
    }
    rep->status = (Huifang__V1__Status)status;
    if (status != HF_OK && svc->commit_anyway && !keyed) {
        svc->commit_anyway = false;
        rep->result_case = HUIFANG__V1__REPLY__RESULT__NOT_SET;
        if (hf_store_commit(svc->store) != 0)
            hf_store_rollback(svc->store);
        return;
    }
    if (status != HF_OK) {
        s_check_store(svc, rep, arena);
        s_check_bare_failure(svc, req, rep, arena);
        hf_store_rollback(svc->store);
        return;
    }
    if (svc->cmd_last_seq > 0) {
        /* set before the reply is stored: a retry with the same key learns the place too */
        Huifang__V1__StreamPosition *w = hf_new(arena, Huifang__V1__StreamPosition);
        huifang__v1__stream_position__init(w);
        w->producer = (char *)svc->def->name;
        w->seq = svc->cmd_last_seq;
        w->epoch = svc->epoch;
        rep->written = w;
    }
    /* hq reads its branches' records masked: names, phones, addresses and notes */
    if (svc->claims && strcmp(svc->claims->role, "hq") == 0)
        hf_mask_message(&rep->base, arena);
    if (!numbered || (keyed && s_idempotency_store(svc, key, rep) != 0) ||
        hf_store_commit(svc->store) != 0) {
        hf_store_rollback(svc->store);
        rep->written = NULL;
        rep->result_case = HUIFANG__V1__REPLY__RESULT__NOT_SET;
        s_check_store(svc, rep, arena);
        if (rep->status == HF_OK)
            hf_fail(rep, arena, HF_INTERNAL, NULL, "could not commit: %s",
                    hf_store_error(svc->store));
    } else if (keyed) {
        s_ask_key_note(svc, (int)req->command_case, key);
    }
}

/* ---- requests whose sender stopped waiting (Request.answer_by_ms) ----
 *
 * hf_client says with every try until when it waits for the answer (the real clock: the
 * services of the tests run on a manual one). An overloaded service (thousands of requests
 * queued in its ROUTER) used to serve every one of them, long after their clients had given
 * up and sent them again on a fresh socket: work nobody read, at the worst moment. A request
 * taken up past its bound plus the slack — from the queue (s_handle_request), from where it
 * was held for its 'after' places (s_serve_parked) or for its ask of a peer (s_ask_serve,
 * s_ask_finish) — is answered UNAVAILABLE at once: no check, handler, ask or statement runs,
 * so nothing changed and a retry with the same idempotency key runs as the first would
 * have. A ping is always answered (health checks). */

/* How many ms past its sender's bound req is when that is more than the slack (it expired),
 * else 0: no bound, a ping, or still in time. */
static int64_t s_expired_ms(const hf_service_t *svc, const hf_request_t *req)
{
    if (req == NULL || req->answer_by_ms <= 0 ||
        req->command_case == HUIFANG__V1__REQUEST__COMMAND_PING)
        return 0;
    int64_t late = hf_clock_real_ms() - req->answer_by_ms;
    return late > svc->expired_slack_ms ? late : 0;
}

/* Logs how many requests expired since the last line (at most one line a second: an
 * overloaded service sheds thousands; no id, branch or person in it). */
static void s_expired_log(hf_service_t *svc, int64_t now)
{
    if (svc->expired_unlogged == 0)
        return;
    hf_warn("requests_expired",
            "count=%llu since_ms=%lld last_command=%s late_ms=%lld slack_ms=%d "
            "reason=\"their senders had stopped waiting; not run\"",
            (unsigned long long)svc->expired_unlogged,
            (long long)(svc->expired_logged_at ? now - svc->expired_logged_at : 0),
            svc->expired_last_command, (long long)svc->expired_last_late_ms, svc->expired_slack_ms);
    svc->expired_unlogged = 0;
    svc->expired_logged_at = now;
}

/* Fills rep with the answer of req, expired late ms ago (held_ms: how long this service held
 * it after taking it from the queue), and counts it. */
static void s_expire(hf_service_t *svc, const hf_request_t *req, int64_t late, int64_t held_ms,
                     hf_reply_t *rep)
{
    const char *name = hf_request_command_name(req);
    if (*name == '\0')
        name = "none";
    if (held_ms > 0)
        hf_fail(rep, svc->arena, HF_UNAVAILABLE, "answer_by_ms",
                "the request expired while it waited in the %s service (%lld ms held here): "
                "its sender stopped waiting for the answer %lld ms ago; nothing changed, safe "
                "to retry",
                svc->def->name, (long long)held_ms, (long long)late);
    else
        hf_fail(rep, svc->arena, HF_UNAVAILABLE, "answer_by_ms",
                "the request expired while it waited in the %s service's queue: its sender "
                "stopped waiting for the answer %lld ms before it was taken up; nothing "
                "changed, safe to retry",
                svc->def->name, (long long)late);
    if (svc->metrics)
        hf_series_add(s_expired_series(svc, (int)req->command_case, name), 1);
    svc->expired_unlogged++;
    svc->expired_last_command = name;
    svc->expired_last_late_ms = late;
    int64_t now = hf_clock_mono_ms();
    if (svc->expired_logged_at == 0 || now - svc->expired_logged_at >= 1000)
        s_expired_log(svc, now);
}

/* Runs req (NULL: it was not a Request protobuf of body_size bytes) unless rep already holds
 * an answer (status set), and sends the reply after the routing frames; counts it (t0_us:
 * monotonic microseconds when it came). Frees req. */
static void s_answer(hf_service_t *svc, zmq_msg_t *frames, int nframes, hf_request_t *req,
                     size_t body_size, hf_reply_t *rep, int64_t t0_us)
{
    hf_arena_t *arena = svc->arena;
    hf_reply_t *stored = NULL;
    bool run = rep->status == HUIFANG__V1__STATUS__OK; /* else answered already */
    uint64_t trips = 0, statements = 0;
    /* who sent it, as the ZAP handler named the key of its connection */
    const char *user = zmq_msg_gets(&frames[nframes - 1], "User-Id");
    snprintf(svc->caller, sizeof svc->caller, "%s", user ? user : "");
    if (req == NULL) {
        hf_warn("bad_request", "bytes=%zu reason=\"not a Request protobuf\"", body_size);
        hf_fail(rep, arena, HF_BAD_INPUT, "request",
                "malformed request: %zu bytes that are not a Request protobuf (truncated?)",
                body_size);
    } else {
        rep->request_id = req->request_id;
        trips = hf_store_round_trips(svc->store);
        statements = hf_store_statements(svc->store);
        if (run)
            s_run_command(svc, req, rep, arena, &stored);
        /* what the command cost the store (its log line): the figure a change of its
         * statements is measured and tested by */
        trips = hf_store_round_trips(svc->store) - trips;
        statements = hf_store_statements(svc->store) - statements;
        svc->cur_role = NULL; /* the identity was this request's */
        svc->cur_on_behalf_of = NULL;
    }
    hf_reply_t *out = rep;
    char *stored_id = NULL;
    if (stored) {
        stored_id = stored->request_id;
        stored->request_id = req->request_id; /* the retry's id, so the client matches it */
        out = stored;
    }
    size_t len = huifang__v1__reply__get_packed_size(out);
    uint8_t *buf = hf_arena_alloc(arena, len ? len : 1);
    huifang__v1__reply__pack(out, buf);
    for (int i = 0; i < nframes - 1; i++)
        zmq_send(svc->router, zmq_msg_data(&frames[i]), zmq_msg_size(&frames[i]), ZMQ_SNDMORE);
    zmq_send(svc->router, buf, len, 0);
    s_metrics_request(svc, req, (int)out->status, t0_us);
    int64_t ms = (s_mono_us() - t0_us) / 1000;
    if (req && req->command_case != HUIFANG__V1__REQUEST__COMMAND_PING &&
        req->command_case != HUIFANG__V1__REQUEST__COMMAND_REPLAY)
        hf_info("command",
                "command=%s status=%d actor=%s branch=%s ms=%lld store_trips=%llu"
                " store_statements=%llu%s%s%s",
                hf_request_command_name(req), (int)out->status, req->actor, req->branch,
                (long long)ms, (unsigned long long)trips, (unsigned long long)statements,
                stored ? " replayed=idempotent" : "", req->n_after ? " after=yes" : "",
                out->status != HF_OK ? " error=\"see reply\"" : "");
    if (stored) {
        stored->request_id = stored_id;
        huifang__v1__reply__free_unpacked(stored, NULL);
    }
    svc->claims = NULL; /* they belong to the verifier's cache, and to this command only */
    if (req)
        huifang__v1__request__free_unpacked(req, NULL);
    hf_arena_reset(arena);
    svc->caller[0] = '\0';
}

/* ---- asks of a peer made before a command runs (def->asks) ----
 *
 * A command whose handler needs another service's answer (calllog's call_log: the task, from
 * the scheduler) used to wait for it inside the handler, holding the loop: every request,
 * event and timer of the service waited with it. Here the ask goes out before the command
 * runs, on a client of a small pool for that peer, and the request is held while the loop
 * serves others; its answer (or the lack of one after the tries) is handed to the handler,
 * which then runs as it did (hf_service_asked). The ask is sent once the request passed the
 * session's checks — a refusal is answered at once, as before — but before the handler has
 * looked at anything: a record the handler refuses before it would have asked, and a retry
 * whose key was answered before, were asked for nothing (the reply is the same). A retry of a
 * key this instance answered is known (its hash remembered) and is not asked first. */

static uint64_t s_key_hash(const char *key)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *c = (const unsigned char *)key; *c; c++)
        h = (h ^ *c) * 1099511628211ull;
    return h ? h : 1;
}

static const hf_command_ask_t *s_find_ask(const hf_service_t *svc, int command)
{
    for (const hf_command_ask_t *a = svc->def->asks; a && a->fn; a++)
        if (a->command == command)
            return a;
    return NULL;
}

/* Remembers that the reply of key (a command of def->asks) is stored. */
static void s_ask_key_note(hf_service_t *svc, int command, const char *key)
{
    if (key == NULL || s_find_ask(svc, command) == NULL)
        return;
    svc->ask_keys[svc->ask_keys_next] = s_key_hash(key);
    svc->ask_keys_next = (svc->ask_keys_next + 1) % HF_ASK_KEYS;
}

/* Whether key's reply is known to be stored (a hash that matches by chance only costs the
 * handler an ask of its own). */
static bool s_ask_key_known(const hf_service_t *svc, const char *key)
{
    uint64_t h = s_key_hash(key);
    for (int i = 0; i < HF_ASK_KEYS; i++)
        if (svc->ask_keys[i] == h)
            return true;
    return false;
}

int hf_service_asked(const hf_service_t *svc, const hf_reply_t **reply)
{
    *reply = NULL;
    if (svc->ask_state == S_ASK_NONE)
        return -1;
    if (svc->ask_state == S_ASK_UNANSWERED)
        return 0;
    *reply = svc->ask_reply;
    return 1;
}

/* The pool of peer's clients (made on first use), or -1 when HF_ASK_PEERS are in use. */
static int s_pool_of(hf_service_t *svc, const char *peer)
{
    for (int i = 0; i < svc->npools; i++)
        if (strcmp(svc->pools[i].name, peer) == 0)
            return i;
    if (svc->npools == HF_ASK_PEERS)
        return -1;
    s_pool_t *p = &svc->pools[svc->npools];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", peer);
    char err[512];
    p->neps = hf_endpoint_commands_list(peer, p->eps, HF_PEER_ENDPOINTS, err, sizeof err);
    if (p->neps < 1) { /* checked at start (s_endpoints_check): not reached */
        hf_endpoint_commands(peer, p->eps[0], sizeof p->eps[0]);
        p->neps = 1;
    }
    p->size = HF_ASK_POOL * p->neps < HF_ASK_POOL_MAX ? HF_ASK_POOL * p->neps : HF_ASK_POOL_MAX;
    return svc->npools++;
}

/* Holds a request taken off the ROUTER: its frames moved in, req owned from now on. */
static void s_held_take(s_held_t *h, zmq_msg_t *frames, int nframes, hf_request_t *req, int64_t t0,
                        int64_t t0_us)
{
    for (int i = 0; i < nframes; i++) {
        zmq_msg_init(&h->frames[i]);
        zmq_msg_move(&h->frames[i], &frames[i]);
    }
    h->nframes = nframes;
    h->req = req;
    h->t0 = t0;
    h->t0_us = t0_us;
    h->expires = 0;
}

/* Notes when a held request's bound and the slack pass, on the monotonic clock (the loop's
 * poll wakes then; again when it woke and the real clock said not yet: a clock stepped back
 * must not make the loop spin). */
static void s_held_expiry(const hf_service_t *svc, s_held_t *h)
{
    if (h->req && h->req->answer_by_ms > 0 &&
        h->req->command_case != HUIFANG__V1__REQUEST__COMMAND_PING)
        h->expires = hf_clock_mono_ms() +
                     (h->req->answer_by_ms + svc->expired_slack_ms - hf_clock_real_ms()) + 1;
}

/* Lets go of what a held request still owns (its frames; its request unless handed on). */
static void s_held_release(s_held_t *h)
{
    for (int i = 0; i < h->nframes; i++)
        zmq_msg_close(&h->frames[i]);
    if (h->req)
        huifang__v1__request__free_unpacked(h->req, NULL);
    h->nframes = 0;
    h->req = NULL;
}

static void s_asking_free(s_asking_t **self_p)
{
    s_asking_t *a = *self_p;
    if (a == NULL)
        return;
    s_held_release(&a->h);
    if (a->q)
        huifang__v1__request__free_unpacked(a->q, NULL);
    free(a);
    *self_p = NULL;
}

/* Sends a's ask (its next try) on a free client of its pool: 1 sent, 0 no client free, -1
 * the send failed (a try used). */
static int s_ask_send(hf_service_t *svc, s_asking_t *a)
{
    s_pool_t *pool = &svc->pools[a->pool];
    /* every client busy (a slow peer, hundreds of asks waiting): nothing to look for — the
     * dispatch tries each waiting ask at every turn, and a search of the whole pool for each
     * was most of calllog's own CPU at a tenth of the national day */
    if (pool->nbusy >= pool->size)
        return 0;
    int slot = -1, other = -1;
    for (int i = 0; i < pool->size && other < 0; i++) {
        int k = ((pool->neps > 1 ? pool->next : 0) + i) % pool->size;
        if (pool->busy[k] != NULL)
            continue;
        if (slot < 0)
            slot = k;
        if (pool->neps < 2 || a->last_ep < 0 || k % pool->neps != a->last_ep)
            other = k;
    }
    if (other >= 0)
        slot = other; /* a retry goes to another instance while one has a client free */
    if (slot < 0)
        return 0;
    pool->next = (slot + 1) % pool->size;
    if (pool->clients[slot] == NULL) {
        pool->clients[slot] = hf_client_new(pool->eps[slot % pool->neps],
                                            (int)hf_config_int(svc->config, "peer_timeout_ms"), 1);
        hf_client_set_server(pool->clients[slot], pool->name);
    }
    a->last_ep = slot % pool->neps;
    a->tries++;
    if (hf_client_send(pool->clients[slot], a->q) != 0)
        return -1;
    pool->busy[slot] = a;
    pool->nbusy++;
    pool->ready[slot] = false;
    pool->quiet[slot] = false;
    a->slot = slot;
    a->due = hf_clock_mono_ms() + hf_config_int(svc->config, "peer_timeout_ms");
    return 1;
}

/* Runs the command of the held request asking[i] with what its ask came to (reply: the
 * peer's answer, consumed; NULL: none), answers it and lets it go. */
static void s_ask_finish(hf_service_t *svc, int i, hf_reply_t *reply)
{
    s_asking_t *a = svc->asking[i];
    memmove(&svc->asking[i], &svc->asking[i + 1], (size_t)(svc->nasking - i - 1) * sizeof a);
    svc->asking[--svc->nasking] = NULL;
    if (a->slot >= 0) {
        svc->pools[a->pool].busy[a->slot] = NULL;
        svc->pools[a->pool].nbusy--;
        a->slot = -1;
    }
    hf_reply_t rep = HUIFANG__V1__REPLY__INIT;
    /* its sender gave up meanwhile: the command is not run, with the answer or without */
    int64_t late = s_expired_ms(svc, a->h.req);
    if (late > 0)
        s_expire(svc, a->h.req, late, hf_clock_mono_ms() - a->h.t0, &rep);
    else if (reply == NULL)
        hf_warn("peer_unanswered", "command=%s peer=%s tries=%d ms=%lld",
                hf_request_command_name(a->h.req), svc->pools[a->pool].name, a->tries,
                (long long)(hf_clock_mono_ms() - a->h.t0));
    svc->ask_state = reply ? S_ASK_ANSWERED : S_ASK_UNANSWERED;
    svc->ask_reply = reply;
    hf_request_t *req = a->h.req;
    a->h.req = NULL; /* s_answer frees it */
    s_answer(svc, a->h.frames, a->h.nframes, req, 0, &rep, a->h.t0_us);
    svc->ask_state = S_ASK_NONE;
    svc->ask_reply = NULL;
    if (reply)
        huifang__v1__reply__free_unpacked(reply, NULL);
    s_asking_free(&a);
}

/* Sends the asks waiting for a client, in the order their requests came, while clients are
 * free; a request whose sends failed every try is answered. */
static void s_ask_dispatch(hf_service_t *svc)
{
    for (int i = 0; i < svc->nasking;) {
        s_asking_t *a = svc->asking[i];
        int sent = a->slot < 0 ? s_ask_send(svc, a) : 1;
        while (sent < 0 && a->tries < HF_ASK_TRIES)
            sent = s_ask_send(svc, a);
        if (sent < 0) {
            s_ask_finish(svc, i, NULL);
            continue;
        }
        i++;
    }
}

/* Holds req (frames moved, req owned) for the answer of its ask when its command has one:
 * returns 1 (held, or answered already), or 0 when the caller answers it as usual (no ask:
 * another command, a refusal by the session's checks filled into rep, a key answered here
 * before, the ask fn said none, or no room). */
static int s_ask_first(hf_service_t *svc, zmq_msg_t *frames, int nframes, hf_request_t *req,
                       int64_t t0, int64_t t0_us, hf_reply_t *rep)
{
    if (req == NULL || rep->status != HUIFANG__V1__STATUS__OK)
        return 0;
    const hf_command_ask_t *ask = s_find_ask(svc, (int)req->command_case);
    const hf_command_t *cmd = ask ? s_find_command(svc, (int)req->command_case) : NULL;
    if (cmd == NULL || svc->nasking == HF_MAX_PARKED)
        return 0;
    hf_arena_t *arena = svc->arena;
    /* the session's checks as the command's own (s_run_command checks again: the claims are
     * the verifier's until its next check, and a session may end while the ask is out) */
    bool ok =
        s_authorize(svc, req, cmd->roles ? cmd->roles : HF_ROLE_ADMIN, cmd->writes, rep, arena);
    int pool = ok ? s_pool_of(svc, ask->peer) : -1;
    bool known =
        ok && cmd->writes && req->idempotency_key && req->idempotency_key[0] &&
        s_ask_key_known(svc, hf_arena_printf(arena, "%s/%s/%s", req->actor,
                                             hf_request_command_name(req), req->idempotency_key));
    hf_request_t *copy = NULL;
    if (pool >= 0 && !known) {
        hf_request_t q = HUIFANG__V1__REQUEST__INIT;
        svc->cur_req = req;
        int want = ask->fn(svc, svc->self, req, &q, arena);
        hf_service_forward(svc, &q);
        svc->cur_req = NULL;
        if (want) {
            size_t len = huifang__v1__request__get_packed_size(&q);
            uint8_t *buf = hf_arena_alloc(arena, len ? len : 1);
            huifang__v1__request__pack(&q, buf);
            copy = hf_request_unpack(buf, len);
        }
    }
    svc->claims = NULL;
    svc->cur_role = NULL;
    svc->cur_on_behalf_of = NULL;
    s_asking_t *a = copy ? calloc(1, sizeof *a) : NULL;
    if (a == NULL) {
        if (copy)
            huifang__v1__request__free_unpacked(copy, NULL);
        return 0; /* answered as usual; the arena is reset with the answer */
    }
    hf_arena_reset(arena);
    s_held_take(&a->h, frames, nframes, req, t0, t0_us);
    s_held_expiry(svc, &a->h);
    a->q = copy;
    a->pool = pool;
    a->slot = -1;
    a->last_ep = -1;
    a->deadline = hf_clock_mono_ms() + HF_ASK_TRIES * hf_config_int(svc->config, "peer_timeout_ms");
    svc->asking[svc->nasking++] = a;
    s_ask_dispatch(svc);
    return 1;
}

/* Takes the answers come, gives up tries past their time (another try, or the request is
 * answered without), and sends what waits for a client. stopping: every request held is
 * answered now, with the answer if it is there. */
static void s_ask_serve(hf_service_t *svc, bool stopping)
{
    int64_t now = hf_clock_mono_ms();
    for (int i = 0; i < svc->nasking;) {
        s_asking_t *a = svc->asking[i];
        if (a->h.expires && now >= a->h.expires) {
            if (s_expired_ms(svc, a->h.req) > 0) {
                /* its sender gave up: the ask in flight is given up too (its answer, if it
                 * comes, is dropped with the socket), the request answered (s_ask_finish) */
                if (a->slot >= 0)
                    hf_client_abandon(svc->pools[a->pool].clients[a->slot]);
                s_ask_finish(svc, i, NULL);
                continue;
            }
            s_held_expiry(svc, &a->h);
        }
        if (a->slot < 0) {
            if (stopping || now >= a->deadline) {
                s_ask_finish(svc, i, NULL);
                continue;
            }
            i++;
            continue;
        }
        s_pool_t *pool = &svc->pools[a->pool];
        hf_client_t *c = pool->clients[a->slot];
        int taken = 0;
        hf_reply_t *reply = NULL;
        if (pool->ready[a->slot] || stopping)
            taken = hf_client_take(c, &reply);
        pool->ready[a->slot] = false;
        if (taken > 0) {
            s_ask_finish(svc, i, reply);
            continue;
        }
        if (taken == 0 && now < a->due && !stopping) {
            i++;
            continue;
        }
        /* no answer in time, or garbage: this try is over */
        hf_client_abandon(c);
        pool->busy[a->slot] = NULL;
        pool->nbusy--;
        a->slot = -1;
        if (stopping || a->tries >= HF_ASK_TRIES) {
            s_ask_finish(svc, i, NULL);
            continue;
        }
        a->deadline = now + hf_config_int(svc->config, "peer_timeout_ms");
        i++;
    }
    if (!stopping)
        s_ask_dispatch(svc);
}

/* ---- read your own writes: requests held for their 'after' places ---- */

static s_sub_t *s_find_sub(hf_service_t *svc, const char *producer)
{
    for (int i = 0; producer && i < svc->nsubs; i++)
        if (strcmp(svc->subs[i].producer, producer) == 0)
            return &svc->subs[i];
    return NULL;
}

uint64_t hf_service_applied(hf_service_t *svc, const char *producer)
{
    const s_sub_t *sub = s_find_sub(svc, producer);
    return sub ? sub->applied : 0;
}

/* Where a request's 'after' places stand. Returns 0 when every place this service can judge
 * is applied, 1 when one is not yet (*wait and *wait_seq name it), or -1 with rep filled
 * when the list is bad input. gen: each consumer's replays asked for when the request was
 * parked, or NULL when it was not parked yet; a place still ahead after a catch-up completed
 * by a replay asked for since (so answered after the place's event was committed, if it was)
 * is past the producer's own last and is ignored. A catch-up under way at the park that
 * ends with a replay asked for before it says nothing about the place. */
static int s_after_state(hf_service_t *svc, const hf_request_t *req, const uint64_t *gen,
                         hf_reply_t *rep, s_sub_t **wait, uint64_t *wait_seq)
{
    if (req->n_after > HF_MAX_AFTER) {
        hf_fail(rep, svc->arena, HF_BAD_INPUT, "after",
                "after holds %zu places, at most %d are allowed", req->n_after, HF_MAX_AFTER);
        return -1;
    }
    int state = 0;
    for (size_t i = 0; i < req->n_after; i++) {
        const Huifang__V1__StreamPosition *p = req->after[i];
        /* a producer we do not consume (or no name) is not ours to judge */
        s_sub_t *sub = p ? s_find_sub(svc, p->producer) : NULL;
        if (sub == NULL || p->seq == 0 || p->seq <= sub->applied)
            continue;
        if (p->epoch && p->epoch[0] && sub->epoch[0] && strcmp(p->epoch, sub->epoch) != 0)
            continue; /* a place in another stream (another database): meaningless here */
        if (gen && sub->caught_up_fetch > gen[sub - svc->subs]) {
            if (sub->applied < p->seq)
                hf_warn("after_ignored",
                        "producer=%s seq=%llu applied=%llu producer_last=%llu "
                        "reason=\"past the producer's last event\"",
                        sub->producer, (unsigned long long)p->seq, (unsigned long long)sub->applied,
                        (unsigned long long)sub->producer_last);
            continue;
        }
        if (state == 0) {
            *wait = sub;
            *wait_seq = p->seq;
        }
        state = 1;
    }
    return state;
}

static void s_parked_free(s_parked_t **self_p)
{
    s_parked_t *p = *self_p;
    if (p == NULL)
        return;
    s_held_release(&p->h);
    free(p);
    *self_p = NULL;
}

/* Holds req (frames moved, req owned) until the consumer sub has applied seq. Returns 0, or
 * -1 when there is no room (the caller answers). */
static int s_park(hf_service_t *svc, zmq_msg_t *frames, int nframes, hf_request_t *req, int64_t t0,
                  int64_t t0_us, s_sub_t *sub, uint64_t seq)
{
    if (svc->nparked == HF_MAX_PARKED)
        return -1;
    s_parked_t *p = calloc(1, sizeof *p);
    if (p == NULL)
        return -1;
    s_held_take(&p->h, frames, nframes, req, t0, t0_us);
    s_held_expiry(svc, &p->h);
    p->deadline = t0 + svc->read_wait_ms;
    for (int i = 0; i < svc->nsubs; i++)
        p->gen[i] = svc->subs[i].fetches;
    svc->parked[svc->nparked++] = p;
    /* one grace period per wait: a place ignored earlier (past the producer's last) must not
     * make every later park ask for a replay at once. An event received and held (not yet
     * applied: a loaded loop) needs no replay */
    if (seq <= s_pend_last(sub)) {
        /* held: the drain gets there */
    } else if (sub->wanted_by == 0) {
        sub->wanted = seq;
        sub->wanted_by = t0 + HF_AFTER_GRACE_MS;
    } else if (seq > sub->wanted) {
        sub->wanted = seq;
    }
    hf_debug("request_held", "command=%s producer=%s seq=%llu applied=%llu",
             hf_request_command_name(req), sub->producer, (unsigned long long)seq,
             (unsigned long long)sub->applied);
    return 0;
}

/* Answers the parked requests whose places are applied now, or whose time is up. */
static void s_serve_parked(hf_service_t *svc)
{
    int64_t now = hf_clock_mono_ms();
    for (int i = 0; i < svc->nparked;) {
        s_parked_t *p = svc->parked[i];
        hf_reply_t rep = HUIFANG__V1__REPLY__INIT;
        s_sub_t *sub = NULL;
        uint64_t seq = 0;
        /* its sender gave up while it waited for its events: answered, not run */
        int64_t late = 0;
        if (p->h.expires && now >= p->h.expires && (late = s_expired_ms(svc, p->h.req)) <= 0)
            s_held_expiry(svc, &p->h);
        int state = late > 0 ? 2 : s_after_state(svc, p->h.req, p->gen, &rep, &sub, &seq);
        if (state == 2)
            s_expire(svc, p->h.req, late, now - p->h.t0, &rep);
        if (state == 1 && now < p->deadline && !s_signalled && !svc->stopping) {
            i++;
            continue;
        }
        if (state == 1) {
            hf_warn("after_timeout",
                    "command=%s producer=%s seq=%llu applied=%llu "
                    "producer_last=%llu ms=%lld",
                    hf_request_command_name(p->h.req), sub->producer, (unsigned long long)seq,
                    (unsigned long long)sub->applied, (unsigned long long)sub->producer_last,
                    (long long)(now - p->h.t0));
            hf_fail(&rep, svc->arena, HF_UNAVAILABLE, "after",
                    "the %s service has not yet applied %s event %llu (it has applied up to "
                    "%llu; %s's last known is %llu) after %lld ms; nothing changed, safe to retry",
                    svc->def->name, sub->producer, (unsigned long long)seq,
                    (unsigned long long)sub->applied, sub->producer,
                    (unsigned long long)sub->producer_last, (long long)(now - p->h.t0));
        }
        hf_request_t *req = p->h.req;
        p->h.req = NULL; /* s_answer frees it, or the ask holds it */
        if (state != 0 || s_signalled || svc->stopping ||
            !s_ask_first(svc, p->h.frames, p->h.nframes, req, p->h.t0, p->h.t0_us, &rep))
            s_answer(svc, p->h.frames, p->h.nframes, req, 0, &rep, p->h.t0_us);
        s_parked_free(&svc->parked[i]);
        svc->parked[i] = svc->parked[--svc->nparked];
        svc->parked[svc->nparked] = NULL;
    }
}

/* Receives one request from the ROUTER and answers it, or parks it (Request.after). */
/* Takes one request off the ROUTER (without waiting) and serves, parks or holds it. Returns
 * 1, or 0 when none was waiting. */
static int s_handle_request(hf_service_t *svc)
{
    zmq_msg_t frames[8];
    int nframes = 0;
    int more = 1;
    while (more && nframes < 8) {
        zmq_msg_init(&frames[nframes]);
        if (zmq_msg_recv(&frames[nframes], svc->router, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&frames[nframes]);
            break;
        }
        more = zmq_msg_more(&frames[nframes]);
        nframes++;
    }
    if (nframes == 0)
        return 0;
    while (more) { /* more frames than any client sends: drain and drop */
        zmq_msg_t junk;
        zmq_msg_init(&junk);
        if (zmq_msg_recv(&junk, svc->router, 0) < 0)
            more = 0;
        else
            more = zmq_msg_more(&junk);
        zmq_msg_close(&junk);
    }
    if (nframes < 2)
        goto cleanup;

    hf_reply_t rep = HUIFANG__V1__REPLY__INIT;
    zmq_msg_t *body = &frames[nframes - 1];
    int64_t t0 = hf_clock_mono_ms(), t0_us = s_mono_us();
    hf_request_t *req = hf_request_unpack(zmq_msg_data(body), zmq_msg_size(body));
    /* its sender stopped waiting while it queued (an overloaded service): answered at once,
     * not run — no check, handler, ask or statement for an answer nobody reads */
    int64_t late = s_expired_ms(svc, req);
    if (late > 0) {
        s_expire(svc, req, late, 0, &rep);
        s_answer(svc, frames, nframes, req, zmq_msg_size(body), &rep, t0_us);
        goto cleanup;
    }
    /* a ping never waits. A replay waits only when it names places: a consumer catching up
     * never does, so no two loops wait on each other; `huifang events tail` does, so that
     * the events a write caused here (plan_started after intake's purchase_recorded) are
     * in the stream it reads */
    if (req && req->n_after && req->command_case != HUIFANG__V1__REQUEST__COMMAND_PING) {
        s_sub_t *sub = NULL;
        uint64_t seq = 0;
        int state = s_after_state(svc, req, NULL, &rep, &sub, &seq);
        if (state == 1 && s_park(svc, frames, nframes, req, t0, t0_us, sub, seq) == 0)
            goto cleanup;
        if (state == 1)
            hf_fail(&rep, svc->arena, HF_UNAVAILABLE, "after",
                    "the %s service holds %d requests waiting for events already; nothing "
                    "changed, safe to retry",
                    svc->def->name, svc->nparked);
    }
    if (s_ask_first(svc, frames, nframes, req, t0, t0_us, &rep))
        goto cleanup;
    s_answer(svc, frames, nframes, req, zmq_msg_size(body), &rep, t0_us);
cleanup:
    for (int i = 0; i < nframes; i++)
        zmq_msg_close(&frames[i]);
    return 1;
}

/* ---- consuming ---- */

/* Loads the stored sequence for a subscription, creating its row. */
static int s_sub_load(hf_service_t *svc, s_sub_t *sub)
{
    const char *p[] = {sub->producer};
    if (hf_store_run(svc->store,
                     "INSERT INTO consumer_offset (producer, last_seq) VALUES ($1, 0)"
                     " ON CONFLICT DO NOTHING",
                     1, p) != 0)
        return -1;
    PGresult *res =
        hf_store_exec(svc->store, "SELECT last_seq FROM consumer_offset WHERE producer = $1", 1, p);
    if (res == NULL)
        return -1;
    sub->applied = sub->stored = (uint64_t)hf_pg_int(res, 0, 0);
    PQclear(res);
    return 0;
}

/* Stores the sequence passed in memory (events without a handler) when it is ahead of the
 * stored one; never moves the stored one back. 0, or -1 (tried again at the next flush). */
/* ms spread over [ms/2, 3ms/2] by the service's own xorshift (no shared state, no lock). */
static int s_jittered(hf_service_t *svc, int ms)
{
    uint32_t x = svc->jitter;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    svc->jitter = x;
    return ms / 2 + (int)(x % (uint32_t)(ms + 1));
}

static int s_sub_flush(hf_service_t *svc, s_sub_t *sub)
{
    if (sub->applied <= sub->stored)
        return 0;
    char seqtxt[24];
    const char *p[] = {sub->producer, hf_pg_i64(seqtxt, (int64_t)sub->applied)};
    if (hf_store_run(
            svc->store,
            "UPDATE consumer_offset SET last_seq = $2 WHERE producer = $1 AND last_seq < $2", 2,
            p) != 0) {
        hf_warn("offset_flush_failed", "producer=%s seq=%llu reason=\"%s\"", sub->producer,
                (unsigned long long)sub->applied, hf_store_error(svc->store));
        return -1;
    }
    sub->stored = sub->applied;
    return 0;
}

void hf_service_event_failed(hf_service_t *svc, uint64_t seq)
{
    svc->failed_seq = seq;
}

void hf_service_on_batch(hf_service_t *svc, hf_batch_fn fn)
{
    svc->batch_fn = fn;
}

int hf_service_subscribe(hf_service_t *svc, const char *producer,
                         const hf_event_handler_t *handlers)
{
    if (svc->nsubs == HF_MAX_SUBS)
        return -1;
    s_sub_t *sub = &svc->subs[svc->nsubs];
    memset(sub, 0, sizeof *sub);
    snprintf(sub->producer, sizeof sub->producer, "%s", producer);
    sub->handlers = handlers;
    char ep[256];
    sub->sock = zmq_socket(hf_bus_context(), ZMQ_SUB);
    if (sub->sock == NULL)
        return -1;
    /* HUIFANG_SUB_RCVHWM lets tests make the socket drop messages, to prove replay works */
    const char *hwm_env = getenv("HUIFANG_SUB_RCVHWM");
    if (hwm_env && *hwm_env) {
        int hwm = atoi(hwm_env), buf = 4096;
        zmq_setsockopt(sub->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
        zmq_setsockopt(sub->sock, ZMQ_RCVBUF, &buf, sizeof buf);
    }
    /* a subscriber is a CURVE client of the producer like any other: events are readable
     * by authenticated principals only */
    int64_t max = hf_bus_max_reply();
    zmq_setsockopt(sub->sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
    int ivl = (int)hf_config_int(svc->config, "peer_timeout_ms");
    zmq_setsockopt(sub->sock, ZMQ_HANDSHAKE_IVL, &ivl, sizeof ivl);
    if (hf_bus_curve_client(sub->sock, producer) != 0) {
        fprintf(stderr, "huifang-%s: no CURVE key for the %s events (%s/%s.pub)\n", svc->def->name,
                producer, hf_bus_keys_dir(), producer);
        zmq_close(sub->sock);
        return -1;
    }
    char prefix[48];
    snprintf(prefix, sizeof prefix, "%s.", producer);
    zmq_setsockopt(sub->sock, ZMQ_SUBSCRIBE, prefix, strlen(prefix));
    if (zmq_connect(sub->sock, hf_endpoint_events(producer, ep, sizeof ep)) != 0) {
        fprintf(stderr, "huifang-%s: bad events endpoint for %s: %s\n", svc->def->name, producer,
                ep);
        zmq_close(sub->sock);
        return -1;
    }
    /* a replay request waits briefly: the loop serves nothing else meanwhile, and a producer
     * that is down is retried with a growing pause instead */
    long timeout = hf_config_int(svc->config, "peer_timeout_ms");
    sub->replay = hf_client_new(hf_endpoint_commands(producer, ep, sizeof ep),
                                (int)(timeout < 1000 ? timeout : 1000), 1);
    hf_client_set_server(sub->replay, producer);
    /* a producer that is down costs the loop 100 ms a try, not the whole timeout */
    hf_client_set_connect_wait(sub->replay, 100);
    if (s_sub_load(svc, sub) != 0) {
        hf_error("subscribe_failed", "producer=%s reason=\"%s\"", producer,
                 hf_store_error(svc->store));
        zmq_close(sub->sock);
        hf_client_destroy(&sub->replay);
        return -1;
    }
    sub->need_catchup = true; /* whatever happened while we were away */
    sub->pend = calloc(HF_PEND_MAX, sizeof *sub->pend);
    if (sub->pend == NULL)
        abort();
    s_metrics_sub(svc, sub);
    svc->nsubs++;
    hf_info("subscribed", "producer=%s applied=%llu endpoint=%s", producer,
            (unsigned long long)sub->applied, ep);
    return 0;
}

/* The framework's own handler of intake's person_revoked: remembered for a restart. */
static int s_on_person_revoked(hf_service_t *svc, void *self, const hf_envelope_t *env,
                               hf_arena_t *arena)
{
    (void)self;
    (void)arena;
    return hf_service_revoke(svc, env->person_revoked) == 0 ? 0 : -1;
}

static hf_event_fn s_find_handler(const s_sub_t *sub, int payload)
{
    for (const hf_event_handler_t *h = sub->handlers; h && h->fn; h++)
        if (h->payload == payload)
            return h->fn;
    return NULL;
}

/* The handler of an event for this consumer, or NULL (the event only advances the sequence). */
static hf_event_fn s_event_fn(const s_sub_t *sub, const hf_envelope_t *env)
{
    hf_event_fn fn = s_find_handler(sub, (int)env->payload_case);
    if (fn == NULL && env->payload_case == HUIFANG__V1__ENVELOPE__PAYLOAD_PERSON_REVOKED &&
        strcmp(sub->producer, "intake") == 0)
        fn = s_on_person_revoked;
    return fn;
}

/* The service's batch hook (hf_service_on_batch): commit true inside the transaction before
 * it commits, false after it was rolled back. 0 or -1. */
static int s_batch_end(hf_service_t *svc, bool commit)
{
    return svc->batch_fn ? svc->batch_fn(svc, svc->self, commit) : 0;
}

/* Rolls the consumer's transaction back and tells the batch hook. */
static void s_sub_rollback(hf_service_t *svc)
{
    hf_store_rollback(svc->store);
    s_batch_end(svc, false);
}

/* Reads the consumer's stored sequence, locked in the open transaction or as committed; 0
 * and *last, or -1. */
static int s_sub_stored(hf_service_t *svc, const s_sub_t *sub, bool lock, uint64_t *last)
{
    const char *p[] = {sub->producer};
    PGresult *res =
        hf_store_exec(svc->store,
                      lock ? "SELECT last_seq FROM consumer_offset WHERE producer = $1 FOR UPDATE"
                           : "SELECT last_seq FROM consumer_offset WHERE producer = $1",
                      1, p);
    if (res == NULL || PQntuples(res) != 1) {
        if (res)
            PQclear(res);
        return -1;
    }
    *last = (uint64_t)hf_pg_int(res, 0, 0);
    PQclear(res);
    return 0;
}

/* Begins the consumer's transaction and locks its stored sequence in one round trip; 0 and
 * *last, or -1 (rolled back). With skip, a sequence another instance holds locked (it is
 * applying the same events) is not waited for: 1 (rolled back) with *last what that one has
 * committed so far (read in the same statement), and the caller leaves the events to it and
 * tries again shortly (see HF_BUSY_RETRY_MS). */
static int s_sub_begin_lock(hf_service_t *svc, s_sub_t *sub, uint64_t *last, bool skip)
{
    const char *p[] = {sub->producer};
    /* with skip: the sequence locked (NULL when another instance holds it: the row is made at
     * subscribe, never deleted) and, beside it, the sequence committed */
    PGresult *res = hf_store_begin_exec(
        svc->store,
        skip ? "SELECT (SELECT last_seq FROM consumer_offset WHERE producer = $1"
               " FOR UPDATE SKIP LOCKED), (SELECT last_seq FROM consumer_offset"
               " WHERE producer = $1)"
             : "SELECT last_seq FROM consumer_offset WHERE producer = $1 FOR UPDATE",
        1, p);
    if (res != NULL && skip && PQntuples(res) == 1 && PQgetisnull(res, 0, 0)) {
        if (!PQgetisnull(res, 0, 1))
            *last = (uint64_t)hf_pg_int(res, 0, 1);
        PQclear(res);
        s_sub_rollback(svc);
        return 1;
    }
    if (res == NULL || PQntuples(res) != 1) {
        if (res)
            PQclear(res);
        s_sub_rollback(svc);
        return -1;
    }
    *last = (uint64_t)hf_pg_int(res, 0, 0);
    PQclear(res);
    return 0;
}

/* Sets a poison event aside in the open transaction, for inspection. */
static void s_dead_letter(hf_service_t *svc, s_sub_t *sub, const hf_envelope_t *env,
                          const uint8_t *body, size_t len, const char *why)
{
    char seqtxt[24], at[24];
    const char *vals[] = {sub->producer, hf_pg_i64(seqtxt, (int64_t)env->seq), why,
                          (const char *)body, hf_pg_i64(at, hf_clock_now_ms())};
    int lens[] = {0, 0, 0, (int)len, 0};
    int fmts[] = {0, 0, 0, 1, 0};
    PGresult *r = hf_store_execv(svc->store,
                                 "INSERT INTO dead_letter (producer, seq, reason, body, at_ms)"
                                 " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                                 5, vals, lens, fmts, 0);
    if (r)
        PQclear(r);
    hf_error("event_dead_letter", "producer=%s seq=%llu payload=%s reason=\"%s\"", sub->producer,
             (unsigned long long)env->seq, hf_envelope_payload_name(env), why);
    hf_series_add(sub->m_dead, 1);
}

/* Stores seq as the consumer's sequence and commits, in one round trip with what the batch
 * hook deferred (hf_store_defer); 0, or -1 (rolled back). */
static int s_sub_commit(hf_service_t *svc, s_sub_t *sub, uint64_t seq)
{
    char seqtxt[24];
    const char *up[] = {sub->producer, hf_pg_i64(seqtxt, (int64_t)seq)};
    if (s_batch_end(svc, true) != 0 ||
        hf_store_defer(svc->store, "UPDATE consumer_offset SET last_seq = $2 WHERE producer = $1",
                       2, up) != 0 ||
        hf_store_commit(svc->store) != 0) {
        s_sub_rollback(svc);
        return -1;
    }
    return 0;
}

/* Applies one event exactly once, in a transaction of its own, counting its handler's
 * failures: the path of an event that failed inside a batch, which goes to the dead letters
 * after HF_EVENT_MAX_FAILURES tries. Returns 0 when applied or already applied, 1 when it is
 * ahead of the next expected sequence (a gap), -1 on a failure (retried later). */
static int s_sub_apply(hf_service_t *svc, s_sub_t *sub, const hf_envelope_t *env,
                       const uint8_t *body, size_t len)
{
    if (env->seq <= sub->applied)
        return 0;
    if (env->seq > sub->applied + 1)
        return 1;
    hf_event_fn fn = s_event_fn(sub, env);
    if (fn == NULL) {
        sub->applied = env->seq; /* nothing to do: stored by the next flush */
        hf_series_add(sub->m_applied, 1);
        return 0;
    }
    hf_store_t *st = svc->store;
    uint64_t last = 0;
    if (s_sub_begin_lock(svc, sub, &last, false) != 0)
        return -1;
    if (env->seq <= last) {
        /* another instance applied it meanwhile */
        s_sub_rollback(svc);
        sub->applied = sub->stored = last;
        return 0;
    }
    /* last < seq - 1: the events between were passed in memory (none with a handler), by
     * us or by another instance that has not flushed yet; see the top of the file */
    svc->failed_seq = 0;
    svc->cur_env = env;
    int rc = fn(svc, svc->self, env, svc->arena);
    svc->cur_env = NULL;
    hf_arena_reset(svc->arena);
    char why[512] = "handler rejected the event";
    bool committed = false;
    if (rc == 0) {
        /* a handler that held its event (hf_service_event_failed) may learn that it fails
         * only in the batch hook, before the commit: then it is the handler's failure */
        if (s_sub_commit(svc, sub, env->seq) == 0)
            committed = true;
        else if (svc->failed_seq == env->seq && !hf_store_unavailable(st))
            rc = -1;
        else
            return -1;
    }
    if (rc == -1) {
        bool lost = hf_store_unavailable(st);
        int tries = HF_EVENT_MAX_FAILURES;
        for (int i = 0; i < svc->nsubs; i++) {
            const s_sub_t *o = &svc->subs[i];
            if (o != sub && (o->need_catchup || o->ptail > o->phead))
                tries = HF_EVENT_MAX_FAILURES_WAITING;
        }
        snprintf(why, sizeof why, "handler failed %d times: %s", tries, hf_store_error(st));
        s_sub_rollback(svc);
        if (sub->failing != env->seq) {
            sub->failing = env->seq;
            sub->failures = 0;
        }
        if (lost || ++sub->failures < tries) {
            hf_warn("event_retry", "producer=%s seq=%llu payload=%s try=%d reason=\"%s\"",
                    sub->producer, (unsigned long long)env->seq, hf_envelope_payload_name(env),
                    lost ? 0 : sub->failures, hf_store_error(st));
            return -1;
        }
        /* the same failure every time: a poison event, set aside in a transaction of its own
         * (still ours to take only while the stored sequence is behind it) */
        if (hf_store_begin(st) != 0)
            return -1;
        if (s_sub_stored(svc, sub, true, &last) != 0 || last >= env->seq) {
            s_sub_rollback(svc);
            return -1;
        }
        rc = -2;
    }
    if (rc == -2) {
        /* a poison event must not stop the stream: keep it for inspection and move on */
        s_dead_letter(svc, sub, env, body, len, why);
    }
    if (!committed && s_sub_commit(svc, sub, env->seq) != 0)
        return -1;
    if (sub->failing == env->seq) {
        sub->failing = 0;
        sub->failures = 0;
    }
    sub->applied = sub->stored = env->seq;
    hf_series_add(sub->m_applied, 1);
    hf_series_observe(sub->m_batch, 1);
    return 0;
}

/* Drops the first n held events. */
static void s_pend_pop(s_sub_t *sub, int n)
{
    for (int i = 0; i < n && sub->phead < sub->ptail; i++) {
        s_pend_t *e = &sub->pend[sub->phead++];
        huifang__v1__envelope__free_unpacked(e->env, NULL);
        free(e->body);
        e->env = NULL;
        e->body = NULL;
    }
    if (sub->phead == sub->ptail)
        sub->phead = sub->ptail = 0;
}

/* The last sequence held, or the last applied when none is. */
static uint64_t s_pend_last(const s_sub_t *sub)
{
    return sub->ptail > sub->phead ? sub->pend[sub->ptail - 1].env->seq : sub->applied;
}

/* Room for one more held event (moving the held ones to the front when needed). */
static bool s_pend_room(s_sub_t *sub)
{
    if (sub->ptail < HF_PEND_MAX)
        return true;
    if (sub->phead == 0)
        return false;
    memmove(sub->pend, sub->pend + sub->phead,
            (size_t)(sub->ptail - sub->phead) * sizeof *sub->pend);
    sub->ptail -= sub->phead;
    sub->phead = 0;
    return true;
}

/* Holds an event (env owned from here, body copied) at the tail; false when full. */
static bool s_pend_push(s_sub_t *sub, hf_envelope_t *env, const void *body, size_t len)
{
    if (!s_pend_room(sub))
        return false;
    uint8_t *copy = malloc(len ? len : 1);
    if (copy == NULL)
        return false;
    memcpy(copy, body, len);
    sub->pend[sub->ptail++] = (s_pend_t){env, copy, len};
    return true;
}

/* A revocation takes effect in memory as soon as it is received, whoever stores it: every
 * instance refuses the session within the event's trip, even one whose sibling applied the
 * event to the shared table. */
static void s_revoke_now(hf_service_t *svc, const s_sub_t *sub, const hf_envelope_t *env)
{
    if (env->payload_case == HUIFANG__V1__ENVELOPE__PAYLOAD_PERSON_REVOKED &&
        strcmp(sub->producer, "intake") == 0 && svc->verifier)
        hf_verifier_revoke(svc->verifier, env->person_revoked->login,
                           env->person_revoked->not_before_ms, env->person_revoked->jti,
                           env->person_revoked->expires_ms);
}

/* The place among ev[0..n) of the event named failed (hf_service_event_failed), or -1. */
static int s_failed_index(const hf_service_t *svc, const s_pend_t *ev, int n)
{
    for (int i = 0; svc->failed_seq && i < n; i++)
        if (ev[i].env->seq == svc->failed_seq)
            return i;
    return -1;
}

/* Applies held events from the head in one transaction: at most max, and no more once the
 * monotonic clock reaches until. Returns 0 with *taken the events consumed (applied, passed
 * or found applied by another instance); 1 when the head is past the next expected sequence
 * (a gap); 2 when another instance holds the stored sequence locked (nothing consumed: the
 * events stay held, tried again at sub->next_apply); -1 on a transient failure (nothing
 * consumed: rolled back); -2 when the handler of
 * the event after the *taken consumed ones failed with the store connected: the ones before
 * it were applied again without it and committed (see s_sub_drain). */
static int s_sub_apply_batch(hf_service_t *svc, s_sub_t *sub, int max, int64_t until, int *taken)
{
    *taken = 0;
    s_pend_t *ev = sub->pend + sub->phead;
    int n = sub->ptail - sub->phead;
    if (n > max)
        n = max;
    /* events already applied (a replay overlapping the live stream) go without a word */
    int skip = 0;
    while (skip < n && ev[skip].env->seq <= sub->applied)
        skip++;
    if (skip) {
        *taken = skip;
        return 0;
    }
    if (n == 0)
        return 0;
    if (ev[0].env->seq > sub->applied + 1)
        return 1;
    /* a run without handlers needs no transaction: it moves the sequence in memory */
    bool any = false;
    int run = 0;
    for (; run < n && !any; run++) {
        if (run > 0 && ev[run].env->seq != ev[run - 1].env->seq + 1)
            break;
        any = s_event_fn(sub, ev[run].env) != NULL;
    }
    if (!any) {
        sub->applied = ev[run - 1].env->seq;
        hf_series_add(sub->m_applied, run);
        *taken = run;
        return 0;
    }
    hf_store_t *st = svc->store;
    int limit = n, failed = -1;
    int64_t t_begin = hf_clock_mono_ms();
    for (;;) {
        uint64_t last = 0;
        /* another instance applying these events holds the stored sequence: the loop does not
         * wait for it (it serves requests meanwhile), learns what that one has committed, and
         * tries again after HF_BUSY_RETRY_MS */
        int lk = s_sub_begin_lock(svc, sub, &last, true);
        if (lk == 1) {
            /* what it has committed so far counts as applied here too (as below, when a
             * batch finds its events applied): a request parked for one of them goes now */
            if (last > sub->applied)
                sub->applied = sub->stored = last;
            return 2;
        }
        if (lk != 0)
            return -1;
        uint64_t cur = sub->applied > last ? sub->applied : last;
        int k = 0, count = 0, rc = 0;
        svc->failed_seq = 0;
        while (k < limit) {
            const hf_envelope_t *env = ev[k].env;
            if (env->seq > cur + 1)
                break; /* a gap: the events before it are committed, the loop asks for the rest */
            if (env->seq == cur + 1) {
                hf_event_fn fn = s_event_fn(sub, env);
                if (fn) {
                    svc->cur_env = env;
                    rc = fn(svc, svc->self, env, svc->arena);
                    svc->cur_env = NULL;
                    hf_arena_reset(svc->arena);
                    if (rc == -1)
                        break;
                    if (rc == -2)
                        s_dead_letter(svc, sub, env, ev[k].body, ev[k].len,
                                      "handler rejected the event");
                }
                cur = env->seq;
                count++;
            }
            k++;
            /* the time slice is used: commit what was applied, the loop serves requests */
            if (failed < 0 && hf_clock_mono_ms() >= until)
                break;
        }
        if (rc == -1) {
            bool lost = hf_store_unavailable(st);
            s_sub_rollback(svc);
            /* an event held by its handler and found failing later: it is the one */
            int held = s_failed_index(svc, ev, k);
            if (held >= 0)
                k = held;
            if (lost || k == 0)
                return lost ? -1 : -2; /* -2 with nothing taken: the head fails on its own */
            /* apply the ones before it again, without it; then it goes on its own */
            failed = k;
            limit = k;
            continue;
        }
        int64_t t_end = hf_clock_mono_ms();
        if (count == 0) {
            /* nothing of ours: another instance applied them, or the head was a gap */
            s_sub_rollback(svc);
            if (last > sub->applied)
                sub->applied = sub->stored = last;
            *taken = k;
            return 0;
        }
        if (s_sub_commit(svc, sub, cur) != 0) {
            /* the batch hook found an event held by its handler failing (rolled back): as
             * a handler's failure above, the ones before it again, then it on its own */
            int held = s_failed_index(svc, ev, k);
            if (held < 0 || hf_store_unavailable(st))
                return -1;
            if (held == 0)
                return -2;
            failed = held;
            limit = held;
            continue;
        }
        int64_t t_done = hf_clock_mono_ms();
        if (t_done - t_begin > HF_SLICE_MS * 2)
            hf_info("consumer_batch_slow", "producer=%s events=%d ms=%lld commit_ms=%lld",
                    sub->producer, count, (long long)(t_done - t_begin),
                    (long long)(t_done - t_end));
        sub->applied = sub->stored = cur;
        hf_series_add(sub->m_applied, count);
        hf_series_observe(sub->m_batch, count);
        *taken = k;
        return failed >= 0 ? -2 : 0;
    }
}

/* Applies held events, batch after batch, until none is held or the monotonic clock reaches
 * until. A handler failing inside a batch: the batch is rolled back, the events before the
 * failing one are applied again and committed, and the failing one goes on its own through
 * s_sub_apply, which counts its failures (and sets it aside as a poison event after
 * HF_EVENT_MAX_FAILURES); so nothing is lost or applied twice. Returns 0, or -1 after a
 * failure (the events stay held; the next try is at sub->next_apply). */
static int s_sub_drain(hf_service_t *svc, s_sub_t *sub, int64_t until)
{
    while (sub->ptail > sub->phead) {
        int rc, taken = 0;
        const s_pend_t *head = &sub->pend[sub->phead];
        if (sub->failing && head->env->seq == sub->failing) {
            rc = s_sub_apply(svc, sub, head->env, head->body, head->len);
            taken = rc == 0 ? 1 : 0;
        } else {
            rc = s_sub_apply_batch(svc, sub, HF_APPLY_BATCH, until, &taken);
            if (rc == -2) {
                s_pend_pop(sub, taken);
                taken = 0;
                head = &sub->pend[sub->phead];
                rc = s_sub_apply(svc, sub, head->env, head->body, head->len);
                taken = rc == 0 ? 1 : 0;
            }
        }
        s_pend_pop(sub, taken);
        if (rc == 2) {
            sub->next_apply = hf_clock_mono_ms() + HF_BUSY_RETRY_MS;
            return 0;
        }
        if (rc == 1) {
            /* the held events skip a number: let the replay bring them in order */
            hf_info("gap_detected", "producer=%s applied=%llu got=%llu", sub->producer,
                    (unsigned long long)sub->applied,
                    (unsigned long long)sub->pend[sub->phead].env->seq);
            s_pend_pop(sub, sub->ptail - sub->phead);
            sub->need_catchup = true;
            sub->replay_done = false;
            return 0;
        }
        if (rc < 0) {
            sub->apply_backoff_ms = sub->apply_backoff_ms ? sub->apply_backoff_ms * 2 : 250;
            if (sub->apply_backoff_ms > 4000)
                sub->apply_backoff_ms = 4000;
            sub->next_apply = hf_clock_mono_ms() + s_jittered(svc, sub->apply_backoff_ms);
            return -1;
        }
        sub->apply_backoff_ms = 0;
        if (hf_clock_mono_ms() >= until)
            break;
    }
    return 0;
}

/* Keeps the producer's stream id as its heartbeat or a replay tells it. */
static void s_sub_learn_epoch(s_sub_t *sub, const char *epoch)
{
    if (epoch == NULL || epoch[0] == '\0' || strcmp(epoch, sub->epoch) == 0)
        return;
    if (sub->epoch[0])
        hf_warn("producer_epoch_changed", "producer=%s was=%s now=%s", sub->producer, sub->epoch,
                epoch);
    snprintf(sub->epoch, sizeof sub->epoch, "%s", epoch);
}

/* How long a replay's answer is awaited (as the replay client's timeout). */
static int64_t s_fetch_timeout(hf_service_t *svc)
{
    long timeout = hf_config_int(svc->config, "peer_timeout_ms");
    return timeout < 1000 ? timeout : 1000;
}

/* Asks the producer for the events after the last one held (or applied, when none is) and
 * returns without waiting: s_sub_fetch_take holds them when they come, so that the events
 * held meanwhile are applied while the producer reads the next ones. 0, or -1 on a
 * failure. */
static int s_sub_fetch_send(hf_service_t *svc, s_sub_t *sub)
{
    /* at the start of a catch-up (none is held), re-read the stored sequence (ours first):
     * another instance may have applied some (went on from the last replay, a batch finds
     * those by its lock and passes them) */
    if (!sub->replay_more && (s_sub_flush(svc, sub) != 0 || s_sub_load(svc, sub) != 0))
        return -1;
    Huifang__V1__Replay q = HUIFANG__V1__REPLAY__INIT;
    q.from_seq = s_pend_last(sub) + 1;
    q.limit = HF_FETCH_BATCH;
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_REPLAY;
    req.replay = &q;
    req.actor = (char *)svc->def->name;
    sub->fetch_t0 = hf_clock_mono_ms();
    if (hf_client_send(sub->replay, &req) != 0) {
        hf_warn("replay_unavailable", "producer=%s from=%llu", sub->producer,
                (unsigned long long)q.from_seq);
        return -1;
    }
    sub->fetching = true;
    sub->fetch_from = q.from_seq;
    sub->fetches++;
    return 0;
}

/* Holds the events of the replay asked for, if its answer has come. Returns 0 when that was
 * the end of the producer's stream, 1 when there is more to fetch, 2 when the answer has not
 * come yet, -1 on a failure (no answer in time, or an error). */
static int s_sub_fetch_take(hf_service_t *svc, s_sub_t *sub)
{
    hf_reply_t *rep = NULL;
    int taken = hf_client_take(sub->replay, &rep);
    if (taken == 0 && hf_clock_mono_ms() < sub->fetch_t0 + s_fetch_timeout(svc))
        return 2;
    sub->fetching = false;
    if (taken <= 0) {
        hf_client_abandon(sub->replay);
        hf_warn("replay_unavailable", "producer=%s from=%llu", sub->producer,
                (unsigned long long)sub->fetch_from);
        return -1;
    }
    if (rep->status != HF_OK || rep->result_case != HUIFANG__V1__REPLY__RESULT_REPLAY) {
        hf_warn("replay_failed", "producer=%s status=%d error=\"%s\"", sub->producer,
                (int)rep->status, rep->error);
        huifang__v1__reply__free_unpacked(rep, NULL);
        return -1;
    }
    Huifang__V1__ReplayResult *r = rep->replay;
    int rc = 0;
    uint64_t got = 0;
    /* the events held were dropped since it was asked for (a gap): ask again from them */
    bool stale = sub->fetch_from > s_pend_last(sub) + 1;
    for (size_t i = 0; i < r->n_envelopes && rc == 0 && !stale; i++) {
        hf_envelope_t *env = hf_envelope_unpack(r->envelopes[i].data, r->envelopes[i].len);
        if (env == NULL) {
            hf_error("replay_garbage", "producer=%s", sub->producer);
            rc = -1;
            break;
        }
        s_revoke_now(svc, sub, env);
        if (env->seq <= s_pend_last(sub)) {
            /* held already: the live stream brought it while the replay was asked for */
            huifang__v1__envelope__free_unpacked(env, NULL);
            continue;
        }
        if (env->seq != s_pend_last(sub) + 1 ||
            !s_pend_push(sub, env, r->envelopes[i].data, r->envelopes[i].len)) {
            /* the producer skipped a number (should never happen), or no room */
            huifang__v1__envelope__free_unpacked(env, NULL);
            rc = got ? 1 : -1;
            break;
        }
        got = env->seq;
    }
    if (r->last_seq > sub->producer_last)
        sub->producer_last = r->last_seq;
    s_sub_learn_epoch(sub, r->epoch);
    if (rc == 0)
        rc = stale || (r->n_envelopes && s_pend_last(sub) < r->last_seq) ? 1 : 0;
    if (r->n_envelopes)
        hf_info("replayed", "producer=%s events=%zu from=%llu producer_last=%llu ms=%lld",
                sub->producer, r->n_envelopes, (unsigned long long)sub->fetch_from,
                (unsigned long long)r->last_seq, (long long)(hf_clock_mono_ms() - sub->fetch_t0));
    huifang__v1__reply__free_unpacked(rep, NULL);
    return rc;
}

/* What a replay came to (s_sub_fetch_take, or -1 when it could not be asked for). */
static void s_sub_fetched(hf_service_t *svc, s_sub_t *sub, int rc, int64_t now)
{
    sub->replay_more = rc > 0;
    if (rc >= 0) {
        sub->replay_done = rc == 0;
        sub->next_catchup = now; /* more to fetch: at once */
        return;
    }
    /* 250 ms, doubling to 4 s while the producer does not answer, each wait drawn from half
     * to one and a half times that: two services that consume each other and started
     * together would otherwise ask each other for a replay at the same instants, for ever */
    sub->backoff_ms = sub->backoff_ms ? sub->backoff_ms * 2 : 250;
    if (sub->backoff_ms > 4000)
        sub->backoff_ms = 4000;
    sub->next_catchup = hf_clock_mono_ms() + s_jittered(svc, sub->backoff_ms);
}

/* Receives what the producer published, holding its events in order for s_sub_drain; stops
 * when nothing more is waiting or HF_PEND_MAX events are held. */
static void s_sub_on_message(hf_service_t *svc, s_sub_t *sub)
{
    for (int n = 0; n < HF_PEND_MAX; n++) {
        if (!s_pend_room(sub))
            return;
        zmq_msg_t topic, body;
        zmq_msg_init(&topic);
        if (zmq_msg_recv(&topic, sub->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&topic);
            return;
        }
        zmq_msg_init(&body);
        if (!zmq_msg_more(&topic) || zmq_msg_recv(&body, sub->sock, 0) < 0) {
            zmq_msg_close(&topic);
            zmq_msg_close(&body);
            continue;
        }
        hf_envelope_t *env = hf_envelope_unpack(zmq_msg_data(&body), zmq_msg_size(&body));
        uint64_t last = s_pend_last(sub);
        if (env == NULL) {
            hf_warn("bad_event", "producer=%s bytes=%zu", sub->producer, zmq_msg_size(&body));
        } else if (env->payload_case == HUIFANG__V1__ENVELOPE__PAYLOAD_HEARTBEAT) {
            sub->producer_last = env->heartbeat->last_seq;
            s_sub_learn_epoch(sub, env->heartbeat->epoch);
            if (sub->producer_last > last && !sub->need_catchup) {
                sub->backoff_ms = 0; /* the producer is alive: ask at once */
                hf_info("gap_detected", "producer=%s applied=%llu producer_last=%llu via=heartbeat",
                        sub->producer, (unsigned long long)sub->applied,
                        (unsigned long long)sub->producer_last);
                sub->need_catchup = true;
                sub->replay_done = false;
            }
        } else {
            s_revoke_now(svc, sub, env);
            if (env->seq == last + 1) {
                /* next in line (also while catching up: the replay has got this far) */
                if (s_pend_push(sub, env, zmq_msg_data(&body), zmq_msg_size(&body)))
                    env = NULL;
            } else if (env->seq > last + 1 && !sub->need_catchup) {
                hf_info("gap_detected", "producer=%s applied=%llu got=%llu", sub->producer,
                        (unsigned long long)last, (unsigned long long)env->seq);
                sub->need_catchup = true;
                sub->replay_done = false;
            }
            /* otherwise dropped: already held or applied, or the replay brings it in order */
        }
        if (env)
            huifang__v1__envelope__free_unpacked(env, NULL);
        zmq_msg_close(&topic);
        zmq_msg_close(&body);
    }
}

/* ---- timers and the loop ---- */

int hf_service_every(hf_service_t *svc, const char *name, int interval_ms, hf_timer_fn fn)
{
    if (svc->ntimers == HF_MAX_TIMERS)
        return -1;
    /* "tick_ms" (the setting) names the timer "tick" */
    char timer[48], labels[160];
    size_t len = strlen(name);
    if (len > 3 && strcmp(name + len - 3, "_ms") == 0)
        len -= 3;
    snprintf(timer, sizeof timer, "%.*s", (int)len, name);
    snprintf(labels, sizeof labels, "%s,timer=\"%s\"", svc->mlabels, timer);
    hf_series_t *rounds = hf_metrics_counter(
        svc->metrics, "huifang_timer_rounds_total",
        "Rounds of a service timer completed (timers of one name share the series)", labels);
    if (rounds == NULL)
        return -1;
    s_timer_t *t = &svc->timers[svc->ntimers++];
    t->interval_ms = interval_ms;
    t->fn = fn;
    t->next = hf_clock_mono_ms();
    t->rounds = rounds;
    return 0;
}

/* zmq_poll asks every socket of its set for ZMQ_EVENTS in each of its passes (one that does
 * not wait, then the wait, then again after it): on a socket whose mailbox is idle that is a
 * poll and a getpid, two system calls a socket a pass, come something or not — with calllog's
 * asks in flight dozens a turn of the loop. A socket libzmq last said had nothing to read, and
 * that was not used since, can only get something to read through a command to its mailbox,
 * which makes the mailbox's descriptor (ZMQ_FD) readable: such a socket (quiet) goes into the
 * poll as that descriptor alone, and is asked for ZMQ_EVENTS only once it is readable. */

/* The poll item for sock waiting for events: the socket, or its descriptor when quiet. */
static zmq_pollitem_t s_poll_item(void *sock, short events, bool quiet)
{
    if (quiet && events == ZMQ_POLLIN) {
        int fd = -1;
        size_t sz = sizeof fd;
        if (zmq_getsockopt(sock, ZMQ_FD, &fd, &sz) == 0 && fd >= 0)
            return (zmq_pollitem_t){NULL, fd, ZMQ_POLLIN, 0};
    }
    return (zmq_pollitem_t){sock, 0, events, 0};
}

/* After a poll that returned polled (its result, >= 0: revents are libzmq's word), whether
 * sock, polled by item (s_poll_item's), has a message to read; *quiet becomes whether it is
 * quiet now (left as it was after a failed poll). */
static bool s_poll_readable(void *sock, const zmq_pollitem_t *item, int polled, bool *quiet)
{
    if (polled < 0) {
        *quiet = *quiet && item->socket == NULL;
        return false;
    }
    bool in = (item->revents & ZMQ_POLLIN) != 0;
    if (item->socket == NULL && in) {
        int events = 0;
        size_t sz = sizeof events;
        in = zmq_getsockopt(sock, ZMQ_EVENTS, &events, &sz) != 0 || (events & ZMQ_POLLIN);
    }
    *quiet = !in && item->events == ZMQ_POLLIN;
    return in;
}

int hf_service_run(hf_service_t *svc)
{
    s_catch_signals();

    hf_info("started", "bind=%s events=%s instance=%s last_seq=%llu clock=%s",
            hf_config_str(svc->config, "bind"), hf_config_str(svc->config, "events_bind"),
            svc->instance, (unsigned long long)svc->published,
            hf_clock_is_manual() ? "manual" : "real");
    svc->next_heartbeat = hf_clock_mono_ms();
    int64_t next_relay = hf_clock_mono_ms();
    uint64_t relay_marked = hf_store_marked(svc->store);
    s_metrics_sample(svc, true);
    atomic_store(&svc->phase, S_RUNNING);
    while (!s_signalled && !svc->stopping) {
        zmq_pollitem_t items[1 + 2 * HF_MAX_SUBS + HF_ASK_PEERS * HF_ASK_POOL_MAX];
        items[0] = (zmq_pollitem_t){svc->router, 0, ZMQ_POLLIN, 0};
        /* a consumer holding all it may stays unread (its events wait in the socket) */
        for (int i = 0; i < svc->nsubs; i++)
            items[1 + i] = s_poll_item(
                svc->subs[i].sock,
                svc->subs[i].ptail == HF_PEND_MAX && svc->subs[i].phead == 0 ? 0 : ZMQ_POLLIN,
                svc->subs[i].quiet);
        /* and the replays awaited: their answers wake the loop */
        int nitems = 1 + svc->nsubs;
        for (int i = 0; i < svc->nsubs; i++) {
            void *rs = svc->subs[i].fetching ? hf_client_pending(svc->subs[i].replay) : NULL;
            if (rs)
                items[nitems++] = (zmq_pollitem_t){rs, 0, ZMQ_POLLIN, 0};
        }
        /* and the asks of peers in flight (def->asks) */
        int ask_items = nitems;
        for (int i = 0; i < svc->npools; i++)
            for (int k = 0; k < HF_ASK_POOL_MAX; k++) {
                void *as =
                    svc->pools[i].busy[k] ? hf_client_pending(svc->pools[i].clients[k]) : NULL;
                if (as)
                    items[nitems++] = s_poll_item(as, ZMQ_POLLIN, svc->pools[i].quiet[k]);
            }
        int64_t now = hf_clock_mono_ms();
        int64_t deadline = next_relay < svc->next_heartbeat ? next_relay : svc->next_heartbeat;
        for (int i = 0; i < svc->ntimers; i++)
            if (svc->timers[i].next < deadline)
                deadline = svc->timers[i].next;
        for (int i = 0; i < svc->nsubs; i++) {
            const s_sub_t *sub = &svc->subs[i];
            bool held = sub->ptail > sub->phead;
            if (!held && sub->need_catchup && !sub->fetching && sub->next_catchup < deadline)
                deadline = sub->next_catchup;
            if (sub->fetching && sub->fetch_t0 + s_fetch_timeout(svc) < deadline)
                deadline = sub->fetch_t0 + s_fetch_timeout(svc);
            if (held && sub->next_apply < deadline)
                deadline = sub->next_apply;
            if (sub->wanted_by && sub->wanted_by < deadline)
                deadline = sub->wanted_by;
        }
        for (int i = 0; i < svc->nparked; i++) {
            const s_parked_t *p = svc->parked[i];
            if (p->deadline < deadline)
                deadline = p->deadline;
            if (p->h.expires && p->h.expires < deadline)
                deadline = p->h.expires;
        }
        for (int i = 0; i < svc->nasking; i++) {
            const s_asking_t *a = svc->asking[i];
            int64_t due = a->slot >= 0 ? a->due : a->deadline;
            if (due < deadline)
                deadline = due;
            if (a->h.expires && a->h.expires < deadline)
                deadline = a->h.expires;
        }
        long timeout = deadline > now ? (long)(deadline - now) : 0;
        int n = zmq_poll(items, nitems, timeout);
        int64_t work_t0 = s_mono_us(); /* the loop works from here to the next poll */
        if (n < 0 && zmq_errno() != EINTR) {
            hf_error("poll_failed", "reason=\"%s\"", zmq_strerror(zmq_errno()));
            break;
        }
        /* the answers of asks come first: their requests have waited longest */
        for (int i = 0, item = ask_items; i < svc->npools; i++)
            for (int k = 0; k < HF_ASK_POOL_MAX; k++) {
                s_pool_t *pool = &svc->pools[i];
                void *as = pool->busy[k] ? hf_client_pending(pool->clients[k]) : NULL;
                if (as)
                    pool->ready[k] = s_poll_readable(as, &items[item++], n, &pool->quiet[k]);
            }
        if (svc->nasking)
            s_ask_serve(svc, false);
        /* the requests waiting, up to 100 a turn: each is taken without waiting until none
         * is left (asking ZMQ_EVENTS before each cost two system calls a request, a poll and
         * a getpid, whenever libzmq's mailbox was idle; a receive finding a message costs
         * none) */
        if (n > 0 && (items[0].revents & ZMQ_POLLIN)) {
            /* while requests are parked for events (Request.after), the requests take at most
             * a slice, as the events do: a saturated loop had served 100 requests (a scheduler's
             * claims, ~250 ms) for every HF_SLICE_MS of events, so the events the parked ones
             * wait for came too late and they timed out into retries, which fed the queue */
            int64_t t0 = hf_clock_mono_ms();
            for (int k = 0; k < 100 && s_handle_request(svc); k++)
                if (svc->nparked > 0 && hf_clock_mono_ms() - t0 >= HF_SLICE_MS)
                    break;
        }
        for (int i = 0; i < svc->nsubs; i++)
            if (s_poll_readable(svc->subs[i].sock, &items[1 + i], n, &svc->subs[i].quiet))
                s_sub_on_message(svc, &svc->subs[i]);
        now = hf_clock_mono_ms();
        /* the held events of every consumer, in one time slice shared in turn: then the
         * requests waiting are served before the next */
        int64_t slice_end = now + HF_SLICE_MS;
        svc->sub_turn = svc->nsubs ? (svc->sub_turn + 1) % svc->nsubs : 0;
        bool drained[HF_MAX_SUBS] = {false};
        for (int j = 0; j < svc->nsubs; j++) {
            int i = (svc->sub_turn + j) % svc->nsubs;
            s_sub_t *sub = &svc->subs[i];
            if (sub->ptail > sub->phead && sub->next_apply <= now &&
                hf_clock_mono_ms() < slice_end) {
                s_sub_drain(svc, sub, slice_end);
                drained[i] = true;
            }
            if (sub->need_catchup && sub->replay_done && sub->ptail == sub->phead) {
                sub->need_catchup = false;
                sub->replay_done = false;
                sub->backoff_ms = 0;
                sub->caught_up++;
                sub->caught_up_fetch = sub->fetches; /* the last replay asked for ended it */
            }
        }
        now = hf_clock_mono_ms();
        for (int i = 0; i < svc->nsubs; i++) {
            s_sub_t *sub = &svc->subs[i];
            if (sub->wanted_by && sub->wanted <= s_pend_last(sub)) {
                sub->wanted_by = 0; /* the live stream brought what a parked request wants */
            } else if (sub->wanted_by && sub->wanted_by <= now) {
                /* a parked request waits and the live stream has not brought its event:
                 * perhaps it was dropped, or we learn only from the next heartbeat; ask */
                sub->wanted_by = 0;
                if (!sub->need_catchup || sub->next_catchup > now) {
                    hf_info("gap_suspected", "producer=%s applied=%llu wanted=%llu via=request",
                            sub->producer, (unsigned long long)sub->applied,
                            (unsigned long long)sub->wanted);
                    sub->need_catchup = true;
                    sub->replay_done = false;
                    sub->next_catchup = now;
                    sub->backoff_ms = 0;
                }
            }
            /* a replay's answer is held as soon as it has come */
            if (sub->fetching) {
                int rc = s_sub_fetch_take(svc, sub);
                if (rc != 2) {
                    s_sub_fetched(svc, sub, rc, now);
                }
            }
            /* a replay is asked for when none is held (the first: in a turn of its own,
             * requests served between), and the next one as soon as the last one's events
             * are held, to come while they are applied */
            int held = sub->ptail - sub->phead;
            if (sub->need_catchup && !sub->fetching && !sub->replay_done &&
                sub->next_catchup <= now &&
                (held == 0 ? !drained[i]
                           : sub->replay_more && held <= HF_PEND_MAX - HF_FETCH_BATCH)) {
                if (s_sub_fetch_send(svc, sub) != 0)
                    s_sub_fetched(svc, sub, -1, now);
            }
            s_sub_flush(svc, sub);
        }
        if (svc->nparked)
            s_serve_parked(svc);
        for (int i = 0; i < svc->ntimers; i++) {
            s_timer_t *t = &svc->timers[i];
            if (t->next <= now) {
                int more = t->fn(svc, svc->self);
                hf_series_add(t->rounds, 1);
                /* work left: again after one turn of the loop (requests first) */
                t->next = hf_clock_mono_ms() + (more > 0 ? 0 : t->interval_ms);
            }
        }
        now = hf_clock_mono_ms();
        /* the relay reads the outbox when a transaction of ours with events has committed
         * (hf_store_marked), and every HF_RELAY_IDLE_MS for what another instance (or a
         * writer on another link) committed: not after every turn that did some work */
        uint64_t marked = hf_store_marked(svc->store);
        if (marked != relay_marked || next_relay <= now) {
            relay_marked = marked;
            s_relay(svc);
            next_relay = now + HF_RELAY_IDLE_MS;
        }
        if (svc->next_heartbeat <= now) {
            s_heartbeat(svc);
            svc->next_heartbeat = now + svc->heartbeat_ms;
        }
        /* the requests expired since the last line, once a second at most */
        if (svc->expired_unlogged && now - svc->expired_logged_at >= 1000)
            s_expired_log(svc, now);
        hf_series_add(svc->m_busy, (double)(s_mono_us() - work_t0) / 1e6);
        s_metrics_sample(svc, false);
    }
    atomic_store(&svc->phase, S_STOPPING);
    /* parked requests get an answer (UNAVAILABLE unless their events came), not silence */
    s_serve_parked(svc);
    s_ask_serve(svc, true);
    /* publish what was committed before we go, so consumers need not wait for a replay */
    s_relay(svc);
    for (int i = 0; i < svc->nsubs; i++)
        s_sub_flush(svc, &svc->subs[i]);
    hf_info("stopped", "reason=%s", s_signalled ? "signal" : "requested");
    return 0;
}
