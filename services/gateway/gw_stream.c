/* gw_stream: GET /api/v1/stream, Server-Sent Events for the signed-in person.
 *
 * One thread (the hub) holds one ZeroMQ SUB socket, a CURVE client of each producer it reads
 * (scheduler, calllog, complaint: topic "<service>.<event>/<branch>", two frames, the second
 * a protobuf Envelope). Each event goes to every open stream of its branch (an admin of every
 * branch gets them all) as
 *
 *     event: <event name, e.g. task_completed>
 *     id: <producer>:<seq>;scheduler=<seq>,calllog=<seq>,complaint=<seq>
 *     data: <the envelope as JSON: hf_json, personal data masked unless the role is admin>
 *
 * The id is the event's own id, then a cursor: how far the hub had read each producer when
 * it sent the event. A browser that reconnects sends the last id back (Last-Event-ID); the
 * new stream first replays, from each producer's outbox (the Replay command, the consumers'
 * catch-up), the events of the person's branches after that cursor up to where the hub stood
 * when the stream was registered; what came after arrives live. At least once: an event may
 * come twice across a reconnect, never not at all while the producers keep their outboxes
 * (an epoch changed, a store rebuilt: the console re-reads its snapshots on every reconnect).
 *
 * A stream never blocks a request thread of libmicrohttpd: its response is read by a content
 * reader from a queue in memory; with the queue empty the reader suspends the connection
 * (MHD_suspend_connection) and the hub resumes it when it queued something. A suspended
 * connection never times out and a client that left is not noticed while suspended, so the
 * hub writes a comment line every heartbeat (15 s), which also ends the stream of a session
 * that expired or signed out. A queue that grows past S_MAX_QUEUE (a client that does not
 * read) ends its stream; the console reconnects and reads its snapshot again, since a stream
 * is a hint to refresh, never the record.
 *
 * Locks: the hub's (the list) before a stream's; no libmicrohttpd call is made with either
 * held but MHD_suspend_connection from the reader (which only takes the stream's): a
 * connection the hub resumes is still suspended, hence alive, until it is resumed. */
#include "gateway.h"
#include "hf_bus.h"
#include "hf_clock.h"
#include "hf_json.h"
#include "hf_log.h"
#include "hf_service.h"
#include "hf_wire.h"
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_MAX_QUEUE (256 * 1024) /* bytes a stream may have waiting; more ends it */

static const char *const s_producers[] = {"scheduler", "calllog", "complaint"};
#define N_PRODUCERS (sizeof s_producers / sizeof s_producers[0])

typedef struct stream_t {
    struct stream_t *next;
    gw_streams_t *hub;
    struct MHD_Connection *conn;
    pthread_mutex_t lock;
    char *buf; /* the queue: bytes [off, len) wait to be sent */
    size_t off, len, cap;
    bool suspended; /* the reader suspended the connection; only the hub resumes it */
    bool closed;    /* the reader ends the response once the queue is sent */
    bool unmasked;
    char cookie[GW_ID_LEN + 1];
    char login[64];
    char branches[256]; /* ",BJ01,": as gw_session_t; "" for every branch */
} stream_t;

struct gw_streams_t {
    gw_sessions_t *sessions;
    int max, per_person;
    int64_t heartbeat_ms;
    pthread_mutex_t lock;
    stream_t *streams;
    int count;
    bool stopping;
    atomic_bool stop;
    pthread_t thread;
    bool started;
    uint64_t read[N_PRODUCERS]; /* the last sequence the hub read of each producer (the lock) */
};

#define S_REPLAY_MAX 5000 /* events replayed per producer at most; past it the console re-reads */

/* ---------------------------------------------------------------------------------------
 * A stream's queue
 * ------------------------------------------------------------------------------------- */

/* Appends text to s's queue (with s locked); ends the stream when its queue is full. */
static void s_queue(stream_t *s, const char *text, size_t n)
{
    if (s->closed)
        return;
    if (s->off > 0 && s->off == s->len)
        s->off = s->len = 0;
    if (s->len - s->off + n > S_MAX_QUEUE) {
        hf_warn("stream_dropped", "login=%s reason=\"the client does not read\"", s->login);
        s->closed = true;
        return;
    }
    if (s->len + n > s->cap) {
        if (s->off > 0) { /* move what waits to the front first */
            memmove(s->buf, s->buf + s->off, s->len - s->off);
            s->len -= s->off;
            s->off = 0;
        }
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n)
            cap *= 2;
        if (cap != s->cap) {
            char *grown = realloc(s->buf, cap);
            if (grown == NULL) {
                s->closed = true;
                return;
            }
            s->buf = grown;
            s->cap = cap;
        }
    }
    memcpy(s->buf + s->len, text, n);
    s->len += n;
}

/* libmicrohttpd asks for the next bytes of the response. */
static ssize_t s_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    stream_t *s = cls;
    pthread_mutex_lock(&s->lock);
    if (s->len > s->off) {
        size_t n = s->len - s->off < max ? s->len - s->off : max;
        memcpy(buf, s->buf + s->off, n);
        s->off += n;
        pthread_mutex_unlock(&s->lock);
        return (ssize_t)n;
    }
    if (s->closed) {
        pthread_mutex_unlock(&s->lock);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    /* nothing to send: off the event loop until the hub has something */
    s->suspended = true;
    MHD_suspend_connection(s->conn);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* The response is gone (the client left, or the stream ended): off the hub's list. */
static void s_free(void *cls)
{
    stream_t *s = cls;
    gw_streams_t *hub = s->hub;
    pthread_mutex_lock(&hub->lock);
    for (stream_t **pp = &hub->streams; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            hub->count--;
            break;
        }
    }
    pthread_mutex_unlock(&hub->lock);
    hf_info("stream_closed", "login=%s", s->login);
    pthread_mutex_destroy(&s->lock);
    free(s->buf);
    free(s);
}

/* ---------------------------------------------------------------------------------------
 * The hub
 * ------------------------------------------------------------------------------------- */

/* Resumes the connections collected in conns (with no lock held). */
static void s_resume(struct MHD_Connection **conns, int n)
{
    for (int i = 0; i < n; i++)
        MHD_resume_connection(conns[i]);
}

/* Marks s for resuming when it is suspended (with s locked); the caller resumes the
 * connections it collected after letting go of the locks. conns has room for every stream
 * (s_wake_list); without it (out of memory) nothing is marked and the stream waits for the
 * next event or heartbeat. */
static void s_wake(stream_t *s, struct MHD_Connection **conns, int *n)
{
    if (s->suspended && conns) {
        s->suspended = false;
        conns[(*n)++] = s->conn;
    }
}

/* Room for a connection of every stream (with the hub locked); free() it. */
static struct MHD_Connection **s_wake_list(const gw_streams_t *hub)
{
    return calloc((size_t)hub->count + 1, sizeof(struct MHD_Connection *));
}

/* The name of env's payload: the Envelope's field of its case ("task_completed"). */
static const char *s_event_name(const hf_envelope_t *env)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
        &huifang__v1__envelope__descriptor, (unsigned)env->payload_case);
    return f ? f->name : NULL;
}

/* The index of producer in s_producers, or -1. */
static int s_producer_index(const char *producer)
{
    for (size_t i = 0; i < N_PRODUCERS; i++)
        if (producer && strcmp(producer, s_producers[i]) == 0)
            return (int)i;
    return -1;
}

/* "scheduler=1,calllog=2,complaint=3" of at into out. */
static void s_cursor(const uint64_t at[N_PRODUCERS], char *out, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < N_PRODUCERS && n < len; i++)
        n += (size_t)snprintf(out + n, len - n, "%s%s=%llu", i ? "," : "", s_producers[i],
                              (unsigned long long)at[i]);
}

/* Reads the cursor of a Last-Event-ID ("<id>;scheduler=1,calllog=2,complaint=3") into at;
 * false when there is none or it is not one. */
static bool s_cursor_parse(const char *id, uint64_t at[N_PRODUCERS])
{
    const char *p = id ? strchr(id, ';') : NULL;
    if (p == NULL)
        return false;
    int seen = 0;
    for (p++; *p;) {
        size_t key = strcspn(p, "=");
        if (p[key] != '=')
            return false;
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)(key < 31 ? key : 31), p);
        char *end = NULL;
        unsigned long long v = strtoull(p + key + 1, &end, 10);
        if (end == p + key + 1 || (*end != ',' && *end != '\0'))
            return false;
        int k = s_producer_index(name);
        if (k < 0)
            return false;
        at[k] = v;
        seen |= 1 << k;
        p = *end ? end + 1 : end;
    }
    return seen == (1 << N_PRODUCERS) - 1;
}

/* One SSE message of env, masked or not, with the cursor after it; NULL when out of memory. */
static char *s_message(const hf_envelope_t *env, const char *name, bool unmasked,
                       const char *cursor, size_t *len)
{
    json_object *o =
        unmasked ? hf_json_from_message(&env->base) : hf_json_from_message_masked(&env->base);
    const char *text =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    size_t cap = strlen(text) + strlen(name) + strlen(env->event_id) + strlen(cursor) + 32;
    char *msg = malloc(cap);
    if (msg) {
        int n = snprintf(msg, cap, "event: %s\nid: %s;%s\ndata: %s\n\n", name, env->event_id,
                         cursor, text);
        *len = (size_t)n;
    }
    json_object_put(o);
    return msg;
}

static void s_dispatch(gw_streams_t *hub, const hf_envelope_t *env)
{
    const char *name = s_event_name(env);
    int k = s_producer_index(env->producer);
    if (name == NULL || env->payload_case == HUIFANG__V1__ENVELOPE__PAYLOAD_HEARTBEAT || k < 0)
        return;
    char cursor[128];
    pthread_mutex_lock(&hub->lock);
    if (env->seq > hub->read[k])
        hub->read[k] = env->seq;
    s_cursor(hub->read, cursor, sizeof cursor);
    pthread_mutex_unlock(&hub->lock);
    if (env->branch == NULL || *env->branch == '\0')
        return;
    char key[48];
    snprintf(key, sizeof key, ",%s,", env->branch);
    char *texts[2] = {NULL, NULL}; /* masked, unmasked: made when a stream needs one */
    size_t lens[2] = {0, 0};
    int n_wake = 0, sent = 0;
    pthread_mutex_lock(&hub->lock);
    struct MHD_Connection **wake = s_wake_list(hub);
    for (stream_t *s = hub->streams; s; s = s->next) {
        if (*s->branches && strstr(s->branches, key) == NULL)
            continue;
        int m = s->unmasked ? 1 : 0;
        if (texts[m] == NULL &&
            (texts[m] = s_message(env, name, s->unmasked, cursor, &lens[m])) == NULL)
            continue;
        pthread_mutex_lock(&s->lock);
        s_queue(s, texts[m], lens[m]);
        s_wake(s, wake, &n_wake);
        pthread_mutex_unlock(&s->lock);
        sent++;
    }
    pthread_mutex_unlock(&hub->lock);
    s_resume(wake, n_wake);
    free(wake);
    free(texts[0]);
    free(texts[1]);
    hf_debug("stream_event", "event=%s id=%s branch=%s streams=%d", name, env->event_id,
             env->branch, sent);
}

/* A comment on every stream (so that a client that left is noticed); a stream whose session
 * expired or signed out gets "event: signed_out" and ends. */
static void s_heartbeat(gw_streams_t *hub)
{
    static const char beat[] = ": keep-alive\n\n";
    static const char out[] = "event: signed_out\ndata: {}\n\n";
    int n_wake = 0;
    pthread_mutex_lock(&hub->lock);
    struct MHD_Connection **wake = s_wake_list(hub);
    for (stream_t *s = hub->streams; s; s = s->next) {
        gw_session_t session;
        bool live = gw_sessions_get(hub->sessions, s->cookie, &session) == 0;
        memset(&session, 0, sizeof session);
        pthread_mutex_lock(&s->lock);
        if (live) {
            s_queue(s, beat, sizeof beat - 1);
        } else {
            s_queue(s, out, sizeof out - 1);
            s->closed = true;
        }
        s_wake(s, wake, &n_wake);
        pthread_mutex_unlock(&s->lock);
    }
    pthread_mutex_unlock(&hub->lock);
    s_resume(wake, n_wake);
    free(wake);
}

/* Reads one two-frame event from sub; NULL for anything else. */
static hf_envelope_t *s_receive(void *sub)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    hf_envelope_t *env = NULL;
    int more = 1, part = 0;
    while (more) {
        if (zmq_msg_recv(&msg, sub, ZMQ_DONTWAIT) < 0)
            break;
        more = zmq_msg_more(&msg);
        if (part++ == 1 && !more)
            env = hf_envelope_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg));
    }
    zmq_msg_close(&msg);
    return env;
}

static void *s_hub(void *arg)
{
    gw_streams_t *hub = arg;
    void *sub = zmq_socket(hf_bus_context(), ZMQ_SUB);
    if (sub == NULL) {
        hf_error("stream_hub_failed", "reason=\"%s\"", zmq_strerror(zmq_errno()));
        return NULL;
    }
    int linger = 0, ivl = 5000;
    int64_t max = hf_bus_max_reply();
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sub, ZMQ_MAXMSGSIZE, &max, sizeof max);
    zmq_setsockopt(sub, ZMQ_HANDSHAKE_IVL, &ivl, sizeof ivl);
    for (size_t i = 0; i < N_PRODUCERS; i++) {
        char prefix[48], ep[256];
        snprintf(prefix, sizeof prefix, "%s.", s_producers[i]);
        zmq_setsockopt(sub, ZMQ_SUBSCRIBE, prefix, strlen(prefix));
        /* each connection takes the server key set just before it */
        if (hf_bus_curve_client(sub, s_producers[i]) != 0 ||
            zmq_connect(sub, hf_endpoint_events(s_producers[i], ep, sizeof ep)) != 0)
            hf_error("stream_subscribe_failed", "producer=%s endpoint=%s", s_producers[i], ep);
        else
            hf_info("stream_subscribed", "producer=%s endpoint=%s", s_producers[i], ep);
    }
    int64_t next_beat = hf_clock_mono_ms() + hub->heartbeat_ms;
    while (!atomic_load(&hub->stop)) {
        zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&item, 1, 250);
        if (n > 0) {
            hf_envelope_t *env;
            while ((env = s_receive(sub)) != NULL) {
                s_dispatch(hub, env);
                huifang__v1__envelope__free_unpacked(env, NULL);
            }
        }
        if (hf_clock_mono_ms() >= next_beat) {
            s_heartbeat(hub);
            next_beat = hf_clock_mono_ms() + hub->heartbeat_ms;
        }
    }
    zmq_close(sub);
    return NULL;
}

gw_streams_t *gw_streams_new(gw_sessions_t *sessions, int max, int per_person, int heartbeat_s)
{
    gw_streams_t *hub = calloc(1, sizeof *hub);
    if (hub == NULL)
        return NULL;
    hub->sessions = sessions;
    hub->max = max;
    hub->per_person = per_person;
    hub->heartbeat_ms = (int64_t)heartbeat_s * 1000;
    pthread_mutex_init(&hub->lock, NULL);
    atomic_init(&hub->stop, false);
    if (pthread_create(&hub->thread, NULL, s_hub, hub) != 0) {
        fprintf(stderr, "huifang-gateway: could not start the stream thread\n");
        pthread_mutex_destroy(&hub->lock);
        free(hub);
        return NULL;
    }
    hub->started = true;
    return hub;
}

void gw_streams_close_all(gw_streams_t *hub)
{
    if (hub == NULL)
        return;
    int n_wake = 0;
    pthread_mutex_lock(&hub->lock);
    hub->stopping = true;
    struct MHD_Connection **wake = s_wake_list(hub);
    for (stream_t *s = hub->streams; s; s = s->next) {
        pthread_mutex_lock(&s->lock);
        s->closed = true;
        s_wake(s, wake, &n_wake);
        pthread_mutex_unlock(&s->lock);
    }
    pthread_mutex_unlock(&hub->lock);
    s_resume(wake, n_wake);
    free(wake);
}

void gw_streams_destroy(gw_streams_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    gw_streams_t *hub = *self_p;
    atomic_store(&hub->stop, true);
    if (hub->started)
        pthread_join(hub->thread, NULL);
    /* the daemon has stopped: every response, and with it every stream, is freed */
    pthread_mutex_destroy(&hub->lock);
    free(hub);
    *self_p = NULL;
}

/* ---------------------------------------------------------------------------------------
 * Opening a stream
 * ------------------------------------------------------------------------------------- */

static int s_refuse(struct MHD_Connection *c, unsigned status, const char *state, const char *msg)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "error", json_object_new_string(msg));
    if (state)
        json_object_object_add(o, "status", json_object_new_string(state));
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    json_object_put(o);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (status == 429)
        MHD_add_response_header(r, "Retry-After", "5");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* Queues on s the events of its branches that a stream whose last id had the cursor from
 * missed: of each producer, those after from[] up to to[] (where the hub stood when s was
 * registered; later ones reach s live). Replayed in producer order, each with the cursor of
 * what s then has. Returns the events queued. */
static int s_replay(gw_api_t *api, stream_t *s, const uint64_t from[N_PRODUCERS],
                    const uint64_t to[N_PRODUCERS])
{
    uint64_t at[N_PRODUCERS];
    memcpy(at, from, sizeof at);
    int queued = 0;
    for (size_t p = 0; p < N_PRODUCERS; p++) {
        uint64_t next = from[p] + 1, budget = S_REPLAY_MAX;
        while (next <= to[p] && budget > 0) {
            hf_reply_t *rep = NULL;
            uint32_t limit = (uint32_t)(to[p] - next + 1 < 500 ? to[p] - next + 1 : 500);
            if (gw_api_replay(api, s_producers[p], next, limit, &rep) != 0) {
                hf_warn("stream_replay_failed", "producer=%s from=%llu", s_producers[p],
                        (unsigned long long)next);
                return queued;
            }
            const Huifang__V1__ReplayResult *rr = rep->replay;
            size_t n = rr->n_envelopes;
            for (size_t i = 0; i < n; i++) {
                hf_envelope_t *env =
                    hf_envelope_unpack(rr->envelopes[i].data, rr->envelopes[i].len);
                if (env == NULL)
                    continue;
                const char *name = s_event_name(env);
                char key[48], cursor[128];
                snprintf(key, sizeof key, ",%s,", env->branch ? env->branch : "");
                if (env->seq > to[p] || env->seq < next) {
                    huifang__v1__envelope__free_unpacked(env, NULL);
                    continue;
                }
                at[p] = env->seq;
                if (name && env->payload_case != HUIFANG__V1__ENVELOPE__PAYLOAD_HEARTBEAT &&
                    env->branch && *env->branch &&
                    (!*s->branches || strstr(s->branches, key) != NULL)) {
                    size_t len = 0;
                    s_cursor(at, cursor, sizeof cursor);
                    char *msg = s_message(env, name, s->unmasked, cursor, &len);
                    if (msg) {
                        pthread_mutex_lock(&s->lock);
                        s_queue(s, msg, len);
                        pthread_mutex_unlock(&s->lock);
                        free(msg);
                        queued++;
                    }
                }
                huifang__v1__envelope__free_unpacked(env, NULL);
            }
            bool more = n > 0 && at[p] >= next;
            next = at[p] + 1;
            budget = budget > n ? budget - n : 0;
            huifang__v1__reply__free_unpacked(rep, NULL);
            if (!more)
                break;
        }
        at[p] = to[p];
    }
    return queued;
}

int gw_stream_open(gw_streams_t *hub, gw_api_t *api, struct MHD_Connection *c, const char *cookie,
                   const char *last_event_id, unsigned *status)
{
    gw_session_t session;
    if (cookie == NULL || gw_sessions_get(hub->sessions, cookie, &session) != 0) {
        *status = 401;
        return s_refuse(c, 401, "UNAUTHENTICATED", "not signed in: POST /api/v1/session first");
    }
    stream_t *s = calloc(1, sizeof *s);
    if (s == NULL) {
        *status = 503;
        return s_refuse(c, 503, NULL, "out of memory");
    }
    s->hub = hub;
    s->conn = c;
    pthread_mutex_init(&s->lock, NULL);
    snprintf(s->cookie, sizeof s->cookie, "%s", cookie);
    snprintf(s->login, sizeof s->login, "%s", session.login);
    snprintf(s->branches, sizeof s->branches, "%s", session.branches);
    /* personal data only for an admin; everyone else reads the masked form, as on the CLI's
     * event tap */
    s->unmasked = strcmp(session.role, "admin") == 0;
    bool all_branches = *session.branches == '\0';
    memset(&session, 0, sizeof session);
    if (all_branches && !s->unmasked) {
        /* a person of no branch (not an admin) sees nothing: no stream of every branch */
        snprintf(s->branches, sizeof s->branches, ",");
    }
    static const char hello[] = "retry: 2000\n: stream open\n\n";
    s_queue(s, hello, sizeof hello - 1);

    pthread_mutex_lock(&hub->lock);
    int mine = 0;
    for (stream_t *o = hub->streams; o; o = o->next)
        mine += strcmp(o->login, s->login) == 0;
    const char *refused = hub->stopping             ? "the gateway is stopping"
                          : hub->count >= hub->max  ? "the gateway holds as many streams as it may"
                          : mine >= hub->per_person ? "too many open streams of this person"
                                                    : NULL;
    uint64_t from[N_PRODUCERS] = {0}, to[N_PRODUCERS];
    if (refused == NULL) {
        s->next = hub->streams;
        hub->streams = s;
        hub->count++;
        memcpy(to, hub->read, sizeof to);
    }
    pthread_mutex_unlock(&hub->lock);
    if (refused) {
        *status = mine >= hub->per_person && !hub->stopping ? 429 : 503;
        hf_warn("stream_refused", "login=%s reason=\"%s\"", s->login, refused);
        pthread_mutex_destroy(&s->lock);
        free(s->buf);
        free(s);
        return s_refuse(c, *status, NULL, refused);
    }
    /* what the person missed since the Last-Event-ID, before anything new (which the hub
     * already queues behind it) */
    if (refused == NULL && s_cursor_parse(last_event_id, from)) {
        int n = s_replay(api, s, from, to);
        hf_info("stream_replayed", "login=%s events=%d", s->login, n);
    }
    /* from here the response owns s: s_free takes it off the list */
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, s_read, s, s_free);
    if (r == NULL) {
        s_free(s);
        *status = 503;
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Accel-Buffering", "no"); /* nginx: pass each event on */
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    hf_info("stream_open", "login=%s branches=%s masked=%s", s->login,
            *s->branches ? s->branches : "*", s->unmasked ? "no" : "yes");
    enum MHD_Result rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    *status = 200;
    return rc;
}
