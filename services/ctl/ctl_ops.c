/* ctl_ops: ping, the event tail and the manual test clock — the commands for ops and tests. */
#include "ctl.h"

#include "hf_clock.h"
#include "hf_json.h"
#include "hf_keys.h"
#include "hf_service.h"
#include "hf_time.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

/* ---------------------------------------------------------------------------------------
 * ping
 *
 * The five services are asked at once, one thread each, so a stack with every service down
 * answers in one timeout rather than five. Each thread owns its client and its result slot;
 * the main thread reads the slots after joining, so nothing is shared while they run.
 * ------------------------------------------------------------------------------------- */

typedef struct {
    hf_client_t *client; /* owned by the ctl context */
    const char *branch;
    const char *actor;
    int called; /* 0: answered, -1: no answer */
    int64_t round_trip_ms;
    hf_reply_t *rep;
} s_ping_t;

static void *s_ping_one(void *arg)
{
    s_ping_t *p = arg;
    Huifang__V1__Ping ping = HUIFANG__V1__PING__INIT;
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    req.branch = (char *)p->branch;
    req.actor = (char *)p->actor;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_PING;
    req.ping = &ping;
    int64_t t0 = hf_clock_mono_ms();
    p->called = hf_client_call(p->client, &req, &p->rep);
    p->round_trip_ms = hf_clock_mono_ms() - t0;
    return NULL;
}

static const char *s_uptime(ctl_t *ctl, int64_t ms)
{
    int64_t s = ms / 1000;
    if (s < 60)
        return ctl_fmt(ctl, "%llds", (long long)s);
    if (s < 3600)
        return ctl_fmt(ctl, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
    if (s < 86400)
        return ctl_fmt(ctl, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    return ctl_fmt(ctl, "%lldd%02lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

static void s_ping_json(const char *service, const char *endpoint, const s_ping_t *p)
{
    json_object *obj;
    if (p->called == 0 && p->rep->result_case == HUIFANG__V1__REPLY__RESULT_PING)
        obj = hf_json_from_message(&p->rep->ping->base);
    else
        obj = json_object_new_object();
    json_object_object_add(obj, "service", json_object_new_string(service));
    json_object_object_add(obj, "endpoint", json_object_new_string(endpoint));
    json_object_object_add(obj, "answered", json_object_new_boolean(p->called == 0));
    if (p->called == 0) {
        json_object_object_add(obj, "round_trip_ms", json_object_new_int64(p->round_trip_ms));
        const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
            &huifang__v1__status__descriptor, (int)p->rep->status);
        json_object_object_add(obj, "status", json_object_new_string(v ? v->name : "UNKNOWN"));
        if (p->rep->status != HUIFANG__V1__STATUS__OK)
            json_object_object_add(obj, "error", json_object_new_string(p->rep->error));
    }
    const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE);
    puts(text ? text : "{}");
    json_object_put(obj);
}

int ctl_ping(ctl_t *ctl, int argc, char **argv)
{
    if (ctl_parse(ctl, argc, argv, NULL, NULL, NULL) != 0)
        return ctl->exit;
    if (ctl_curve_check() != 0)
        return HF_BAD_INPUT;
    s_ping_t pings[CTL_SERVICES];
    pthread_t threads[CTL_SERVICES];
    bool started[CTL_SERVICES] = {false};
    memset(pings, 0, sizeof pings);
    hf_bus_context(); /* created here, once, before the threads share it */
    for (int i = 0; i < CTL_SERVICES; i++) {
        /* a ping is a probe: one try of --timeout, a retry would only hide a slow service */
        pings[i].client = ctl_client(ctl, (ctl_service_t)i, 1);
        pings[i].branch = ctl->branch;
        pings[i].actor = ctl->actor;
        pings[i].called = -1;
        started[i] = pthread_create(&threads[i], NULL, s_ping_one, &pings[i]) == 0;
        if (!started[i])
            s_ping_one(&pings[i]);
    }
    for (int i = 0; i < CTL_SERVICES; i++)
        if (started[i])
            pthread_join(threads[i], NULL);

    int64_t clock_file_ms;
    const char *clock_file = getenv("HUIFANG_CLOCK_FILE");
    if (clock_file == NULL || *clock_file == '\0')
        clock_file = HF_CLOCK_DEFAULT_FILE;
    bool manual_in_use = hf_clock_file_read(clock_file, &clock_file_ms) == 0;

    char missing[256] = "";
    size_t used = 0;
    ctl_table_t *t = ctl->json ? NULL
                               : ctl_table_new(9, "SERVICE", "VERSION", "UPTIME", "ROUND-TRIP",
                                               "CLOCK", "NOW", "LAST-SEQ", "INSTANCE", "STATUS");
    for (int i = 0; i < CTL_SERVICES; i++) {
        const char *name = ctl_service_names[i];
        const s_ping_t *p = &pings[i];
        const char *endpoint = hf_client_endpoint(p->client);
        bool ok = p->called == 0 && p->rep->status == HUIFANG__V1__STATUS__OK;
        if (!ok && used < sizeof missing)
            used += (size_t)snprintf(missing + used, sizeof missing - used, "%s%s",
                                     used ? ", " : "", name);
        if (ctl->json) {
            s_ping_json(name, endpoint, p);
            continue;
        }
        const Huifang__V1__PingResult *r =
            p->called == 0 && p->rep->result_case == HUIFANG__V1__REPLY__RESULT_PING ? p->rep->ping
                                                                                     : NULL;
        const char *status = "ok";
        if (p->called != 0)
            status = ctl_fmt(ctl, "no answer from %s", endpoint);
        else if (!ok)
            status = ctl_str(p->rep->error);
        if (r != NULL)
            ctl_table_add(t, name, r->version, s_uptime(ctl, r->uptime_ms),
                          ctl_fmt(ctl, "%lld ms", (long long)p->round_trip_ms), r->clock,
                          ctl_local_time(ctl, r->now_ms),
                          ctl_fmt(ctl, "%llu", (unsigned long long)r->last_seq), r->instance,
                          status);
        else
            ctl_table_add(t, name, "-", "-", "-", "-", "-", "-", "-", status);
        if (r != NULL && manual_in_use && r->clock && strcmp(r->clock, "real") == 0)
            ctl_error("note: %s runs the real clock, so `huifang clock` does not move it", name);
    }
    if (t != NULL) {
        ctl_table_print(t);
        ctl_table_destroy(&t);
    }
    fflush(stdout);
    for (int i = 0; i < CTL_SERVICES; i++)
        ctl_reply_free(&pings[i].rep);
    if (used > 0) {
        ctl_error("not every service answered: %s (is it running?)", missing);
        return HF_UNAVAILABLE;
    }
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * events tail
 * ------------------------------------------------------------------------------------- */

static volatile sig_atomic_t s_interrupted = 0;

static void s_on_signal(int sig)
{
    (void)sig;
    s_interrupted = 1;
}

#define S_REPLAY_LIMIT 500

typedef struct {
    ctl_t *ctl;
    const char *topic; /* prefix, "" for every topic */
    bool heartbeats;
    bool unmasked; /* --unmasked, allowed by ctl_may_see_personal() */
    bool tracking; /* positions known (after --from-seq): dedupe and fill gaps */
    long count;    /* stop after this many; 0 = no limit */
    long printed;
    bool done;                   /* count reached, or stdout closed */
    uint64_t last[CTL_SERVICES]; /* last sequence seen per producer */
} s_tail_t;

static int s_producer_index(const char *producer)
{
    for (int i = 0; i < CTL_SERVICES; i++)
        if (producer && strcmp(producer, ctl_service_names[i]) == 0)
            return i;
    return -1;
}

/* Prints env if it passes the filters; counts it and notes when to stop. */
static void s_tail_print(s_tail_t *t, const hf_envelope_t *env)
{
    if (env->payload_case == HUIFANG__V1__ENVELOPE__PAYLOAD_HEARTBEAT && !t->heartbeats)
        return;
    char topic[256];
    hf_envelope_topic(env, topic, sizeof topic);
    if (strncmp(topic, t->topic, strlen(t->topic)) != 0)
        return;
    hf_json_print_to(&env->base, !t->unmasked, stdout);
    fflush(stdout);
    t->printed++;
    if (ferror(stdout) || (t->count > 0 && t->printed >= t->count))
        t->done = true;
}

/* Asks producer p for its stored events from `from` on and prints those not yet seen, in
 * sequence order, until caught up with the producer's last sequence. Returns 0 or the exit
 * code after a message. */
static int s_tail_replay(s_tail_t *t, int p, uint64_t from)
{
    ctl_t *ctl = t->ctl;
    for (;;) {
        Huifang__V1__Replay q = HUIFANG__V1__REPLAY__INIT;
        q.from_seq = from;
        q.limit = S_REPLAY_LIMIT;
        hf_request_t req;
        ctl_request_init(ctl, &req);
        req.branch = "";
        req.command_case = HUIFANG__V1__REQUEST__COMMAND_REPLAY;
        req.replay = &q;
        hf_reply_t *rep = NULL;
        int rc = ctl_call(ctl, (ctl_service_t)p, &req, HUIFANG__V1__REPLY__RESULT_REPLAY, &rep);
        if (rc != HF_OK)
            return rc;
        const Huifang__V1__ReplayResult *r = rep->replay;
        uint64_t seen = from > 0 ? from - 1 : 0;
        for (size_t i = 0; i < r->n_envelopes && !t->done; i++) {
            hf_envelope_t *env = hf_envelope_unpack(r->envelopes[i].data, r->envelopes[i].len);
            if (env == NULL) {
                ctl_error("the %s service replayed an event that does not parse",
                          ctl_service_names[p]);
                ctl_reply_free(&rep);
                return HF_INTERNAL;
            }
            if (env->seq > seen)
                seen = env->seq;
            if (env->seq > t->last[p]) {
                t->last[p] = env->seq;
                s_tail_print(t, env);
            }
            huifang__v1__envelope__free_unpacked(env, NULL);
        }
        size_t n = r->n_envelopes;
        uint64_t producer_last = r->last_seq;
        ctl_reply_free(&rep);
        /* the producer may cap the batch below our limit, so "fewer than asked" does not
         * mean the end; its last sequence does */
        if (t->done || n == 0 || seen >= producer_last)
            return HF_OK;
        from = seen + 1;
    }
}

/* Reads one event (topic frame, then the envelope) from sub; returns NULL when the message
 * is not an envelope. */
static hf_envelope_t *s_tail_receive(void *sub)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    hf_envelope_t *env = NULL;
    int more = 1;
    int part = 0;
    while (more) {
        if (zmq_msg_recv(&msg, sub, 0) < 0)
            break;
        more = zmq_msg_more(&msg);
        if (part++ == 1 && !more)
            env = hf_envelope_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg));
    }
    zmq_msg_close(&msg);
    return env;
}

/* Handles one live event: with known positions, skips what the replay already printed and
 * fills a gap (an event lost by PUB/SUB, or one a heartbeat says exists) by a replay. */
static int s_tail_live(s_tail_t *t, const hf_envelope_t *env)
{
    int p = s_producer_index(env->producer);
    bool fill = t->tracking && p >= 0 && *t->topic == '\0';
    if (env->payload_case == HUIFANG__V1__ENVELOPE__PAYLOAD_HEARTBEAT) {
        if (fill && env->heartbeat && env->heartbeat->last_seq > t->last[p]) {
            int rc = s_tail_replay(t, p, t->last[p] + 1);
            if (rc != HF_OK)
                return rc;
        }
        if (!t->done)
            s_tail_print(t, env);
        return HF_OK;
    }
    if (t->tracking && p >= 0) {
        if (env->seq <= t->last[p])
            return HF_OK;
        if (fill && env->seq > t->last[p] + 1) {
            int rc = s_tail_replay(t, p, t->last[p] + 1);
            if (rc != HF_OK)
                return rc;
            if (t->done || env->seq <= t->last[p])
                return HF_OK;
        }
        t->last[p] = env->seq;
    }
    s_tail_print(t, env);
    return HF_OK;
}

int ctl_events_tail(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {
        CTL_OPT("from-seq"),   CTL_OPT("topic"),       CTL_OPT("count"),     CTL_FLAG("follow"),
        CTL_FLAG("no-follow"), CTL_FLAG("heartbeats"), CTL_FLAG("unmasked"), CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    s_tail_t t = {0};
    t.ctl = ctl;
    t.unmasked = ctl_switch(opts, "unmasked");
    if (t.unmasked && !ctl_may_see_personal(ctl)) {
        ctl_refuse_unmasked(ctl);
        return ctl->exit;
    }
    t.topic = ctl_opt(opts, "topic");
    if (t.topic == NULL)
        t.topic = "";
    t.heartbeats = ctl_switch(opts, "heartbeats");
    const char *v;
    long from = 0;
    if ((v = ctl_opt(opts, "from-seq")) &&
        ctl_parse_long(ctl, "--from-seq", v, 0, LONG_MAX, &from) != 0)
        return ctl->exit;
    if ((v = ctl_opt(opts, "count")) &&
        ctl_parse_long(ctl, "--count", v, 1, LONG_MAX, &t.count) != 0)
        return ctl->exit;
    if (ctl_switch(opts, "follow") && ctl_switch(opts, "no-follow")) {
        ctl_fail(ctl, HF_BAD_INPUT, "--follow and --no-follow contradict each other");
        return ctl->exit;
    }
    bool replay = ctl_opt(opts, "from-seq") != NULL;
    bool follow = replay ? ctl_switch(opts, "follow") : !ctl_switch(opts, "no-follow");
    t.tracking = replay;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int rc = HF_OK;
    void *sub = NULL;
    if (ctl_curve_check() != 0)
        return HF_BAD_INPUT;
    if (follow) {
        /* subscribe before the replay, so what is published meanwhile waits in the socket */
        sub = zmq_socket(hf_bus_context(), ZMQ_SUB);
        if (sub == NULL) {
            ctl_error("could not create a subscriber socket: %s", zmq_strerror(zmq_errno()));
            return HF_INTERNAL;
        }
        int linger = 0;
        zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(sub, ZMQ_SUBSCRIBE, t.topic, strlen(t.topic));
        int64_t max = hf_bus_max_reply();
        zmq_setsockopt(sub, ZMQ_MAXMSGSIZE, &max, sizeof max);
        int ivl = ctl->timeout_ms;
        zmq_setsockopt(sub, ZMQ_HANDSHAKE_IVL, &ivl, sizeof ivl);
        for (int i = 0; i < CTL_SERVICES; i++) {
            char ep[256];
            hf_endpoint_events(ctl_service_names[i], ep, sizeof ep);
            /* each connection takes the options as they are at zmq_connect: the server key
             * set just before is the one this producer's handshake expects */
            if (hf_bus_curve_client(sub, ctl_service_names[i]) != 0) {
                ctl_error("no CURVE key for the %s events (%s/%s.pub; see HUIFANG_KEYS_DIR)",
                          ctl_service_names[i], hf_bus_keys_dir(), ctl_service_names[i]);
                rc = HF_BAD_INPUT;
                goto cleanup;
            }
            if (zmq_connect(sub, ep) != 0) {
                ctl_error("could not connect to the %s events at %s: %s", ctl_service_names[i], ep,
                          zmq_strerror(zmq_errno()));
                rc = HF_BAD_INPUT;
                goto cleanup;
            }
        }
    }
    if (replay) {
        for (int i = 0; i < CTL_SERVICES; i++)
            t.last[i] = from > 0 ? (uint64_t)from - 1 : 0;
        for (int i = 0; i < CTL_SERVICES && !t.done && !s_interrupted; i++) {
            int r = s_tail_replay(&t, i, (uint64_t)(from > 0 ? from : 1));
            if (r != HF_OK)
                rc = r; /* the others' events are still worth printing */
        }
    }
    while (follow && !t.done && !s_interrupted) {
        zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&item, 1, 500);
        if (n < 0) {
            if (zmq_errno() == EINTR)
                continue;
            ctl_error("could not read events: %s", zmq_strerror(zmq_errno()));
            rc = HF_INTERNAL;
            break;
        }
        if (n == 0)
            continue;
        hf_envelope_t *env = s_tail_receive(sub);
        if (env == NULL)
            continue; /* not ours; a producer never sends one */
        int r = s_tail_live(&t, env);
        huifang__v1__envelope__free_unpacked(env, NULL);
        if (r != HF_OK)
            rc = r;
    }

cleanup:
    if (sub)
        zmq_close(sub);
    fflush(stdout);
    return rc;
}

/* ---------------------------------------------------------------------------------------
 * events export
 *
 * Every producer's stored events (Request.replay from sequence 1) whose occurred_at falls in
 * [--since, --until), as JSON lines (the same objects as `events tail`), per producer in
 * sequence order. The file is written beside its name and renamed into place once complete,
 * so a reader never sees half an export, and a producer that does not answer leaves none.
 *
 * An export holds every branch's customers, so it is masked like the tail unless the
 * person may see personal data, and the file is its owner's alone: created new (O_EXCL,
 * never through a symlink planted at its name) with mode 0600 whatever the umask, and an
 * existing file is replaced only with --force.
 * ------------------------------------------------------------------------------------- */

/* Appends producer p's events in [since, until) matching topic to out; counts them in *n. */
static int s_export_producer(ctl_t *ctl, int p, int64_t since, int64_t until, const char *topic,
                             bool unmasked, FILE *out, long *n)
{
    uint64_t from = 1;
    for (;;) {
        Huifang__V1__Replay q = HUIFANG__V1__REPLAY__INIT;
        q.from_seq = from;
        q.limit = S_REPLAY_LIMIT;
        hf_request_t req;
        ctl_request_init(ctl, &req);
        req.branch = "";
        req.command_case = HUIFANG__V1__REQUEST__COMMAND_REPLAY;
        req.replay = &q;
        hf_reply_t *rep = NULL;
        int rc = ctl_call(ctl, (ctl_service_t)p, &req, HUIFANG__V1__REPLY__RESULT_REPLAY, &rep);
        if (rc != HF_OK)
            return rc;
        const Huifang__V1__ReplayResult *r = rep->replay;
        uint64_t seen = from - 1;
        for (size_t i = 0; i < r->n_envelopes; i++) {
            hf_envelope_t *env = hf_envelope_unpack(r->envelopes[i].data, r->envelopes[i].len);
            if (env == NULL) {
                ctl_error("the %s service replayed an event that does not parse",
                          ctl_service_names[p]);
                ctl_reply_free(&rep);
                return HF_INTERNAL;
            }
            if (env->seq > seen)
                seen = env->seq;
            char t[256];
            hf_envelope_topic(env, t, sizeof t);
            if (env->payload_case != HUIFANG__V1__ENVELOPE__PAYLOAD_HEARTBEAT &&
                env->occurred_at_ms >= since && env->occurred_at_ms < until &&
                strncmp(t, topic, strlen(topic)) == 0) {
                json_object *obj = unmasked ? hf_json_from_message(&env->base)
                                            : hf_json_from_message_masked(&env->base);
                const char *text = json_object_to_json_string_ext(
                    obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
                fputs(text ? text : "{}", out);
                fputc('\n', out);
                json_object_put(obj);
                (*n)++;
            }
            huifang__v1__envelope__free_unpacked(env, NULL);
        }
        size_t got = r->n_envelopes;
        uint64_t producer_last = r->last_seq;
        ctl_reply_free(&rep);
        if (got == 0 || seen >= producer_last)
            return HF_OK;
        from = seen + 1;
    }
}

/* Creates part for the export, new, mode 0600; with force a leftover part is removed
 * first. Returns the stream, or NULL with ctl->exit set after a message. */
static FILE *s_export_create(ctl_t *ctl, const char *output, const char *part, bool force)
{
    if (!force && access(output, F_OK) == 0) {
        ctl_fail(ctl, HF_CONFLICT, "--output %s exists; --force replaces it", output);
        return NULL;
    }
    if (force && unlink(part) != 0 && errno != ENOENT) {
        ctl_fail(ctl, HF_BAD_INPUT, "could not remove %s: %s", part, strerror(errno));
        return NULL;
    }
    int fd = open(part, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            ctl_fail(ctl, HF_CONFLICT,
                     "%s exists: another export is writing it, or one was interrupted "
                     "(--force removes it)",
                     part);
        else
            ctl_fail(ctl, HF_BAD_INPUT, "--output %s cannot be written: %s", output,
                     strerror(errno));
        return NULL;
    }
    /* the umask only takes bits away, but say exactly what the file is */
    FILE *out = fchmod(fd, 0600) == 0 ? fdopen(fd, "w") : NULL;
    if (out == NULL) {
        ctl_fail(ctl, HF_INTERNAL, "could not prepare %s: %s", part, strerror(errno));
        close(fd);
        unlink(part);
    }
    return out;
}

/* Puts the finished part in place of output: replacing it with force, and otherwise only
 * when no file of that name appeared meanwhile (link(2) refuses an existing name). */
static int s_export_publish(const char *part, const char *output, bool force)
{
    if (!force) {
        if (link(part, output) == 0) {
            unlink(part);
            return HF_OK;
        }
        if (errno == EEXIST) {
            ctl_error("--output %s appeared while exporting; --force replaces it", output);
            return HF_CONFLICT;
        }
        /* a file system without hard links: the check before creating the part stands */
    }
    if (rename(part, output) != 0) {
        ctl_error("could not rename %s to %s: %s", part, output, strerror(errno));
        return HF_INTERNAL;
    }
    return HF_OK;
}

int ctl_events_export(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("since"),  CTL_OPT("until"),  CTL_OPT("topic"),
                        CTL_OPT("output"), CTL_FLAG("force"), CTL_FLAG("unmasked"),
                        CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    const char *output = ctl_require(ctl, opts, "output");
    if (output == NULL)
        return ctl->exit;
    bool unmasked = ctl_switch(opts, "unmasked");
    if (unmasked && !ctl_may_see_personal(ctl)) {
        ctl_refuse_unmasked(ctl);
        return ctl->exit;
    }
    bool force = ctl_switch(opts, "force");
    int64_t since = INT64_MIN, until = INT64_MAX;
    const char *v;
    if ((v = ctl_opt(opts, "since")) && ctl_parse_time(ctl, "--since", v, &since) != 0)
        return ctl->exit;
    if ((v = ctl_opt(opts, "until")) && ctl_parse_time(ctl, "--until", v, &until) != 0)
        return ctl->exit;
    if (since >= until) {
        ctl_fail(ctl, HF_BAD_INPUT, "--since must be before --until");
        return ctl->exit;
    }
    const char *topic = ctl_opt(opts, "topic") ? ctl_opt(opts, "topic") : "";
    bool to_stdout = strcmp(output, "-") == 0;
    const char *part = to_stdout ? NULL : ctl_fmt(ctl, "%s.part", output);
    FILE *out = to_stdout ? stdout : s_export_create(ctl, output, part, force);
    if (out == NULL)
        return ctl->exit;
    long counts[CTL_SERVICES] = {0}, total = 0;
    int rc = HF_OK;
    for (int i = 0; i < CTL_SERVICES && rc == HF_OK; i++) {
        rc = s_export_producer(ctl, i, since, until, topic, unmasked, out, &counts[i]);
        total += counts[i];
    }
    if (!to_stdout) {
        bool failed = fclose(out) != 0;
        if (rc == HF_OK && failed) {
            ctl_error("could not write %s: %s", part, strerror(errno));
            rc = HF_INTERNAL;
        }
        if (rc == HF_OK)
            rc = s_export_publish(part, output, force);
        if (rc != HF_OK)
            unlink(part);
    } else {
        fflush(stdout);
    }
    if (rc != HF_OK)
        return rc;
    fprintf(stderr,
            "exported %ld events (intake %ld, scheduler %ld, calllog %ld, complaint %ld, "
            "reporting %ld) to %s%s\n",
            total, counts[CTL_INTAKE], counts[CTL_SCHEDULER], counts[CTL_CALLLOG],
            counts[CTL_COMPLAINT], counts[CTL_REPORTING], to_stdout ? "stdout" : output,
            unmasked ? "" : ", personal data masked");
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * clock show / set / advance
 * ------------------------------------------------------------------------------------- */

static const char *s_clock_file(void)
{
    const char *file = getenv("HUIFANG_CLOCK_FILE");
    return file && *file ? file : HF_CLOCK_DEFAULT_FILE;
}

/* Reads the manual clock; returns 0, or -1 with ctl->exit set (3 when not in use). */
static int s_clock_read(ctl_t *ctl, const char *file, int64_t *ms)
{
    if (access(file, F_OK) != 0 && errno == ENOENT)
        return ctl_fail(ctl, HF_NOT_FOUND,
                        "the manual clock is not in use (no file %s); services use it when "
                        "started with HUIFANG_CLOCK=manual",
                        file);
    if (hf_clock_file_read(file, ms) != 0)
        return ctl_fail(ctl, HF_INTERNAL, "could not read the clock file %s", file);
    return 0;
}

static int s_clock_write(ctl_t *ctl, const char *file, int64_t ms)
{
    if (hf_clock_file_write(file, ms) != 0)
        return ctl_fail(ctl, HF_INTERNAL, "could not write the clock file %s: %s", file,
                        strerror(errno));
    return 0;
}

static void s_clock_print(ctl_t *ctl, const char *file, int64_t ms)
{
    char utc[40], local[32];
    hf_time_rfc3339(ms, utc);
    hf_time_local_format(ms, ctl->tz, local);
    if (ctl->json) {
        json_object *obj = json_object_new_object();
        json_object_object_add(obj, "now_at", json_object_new_string(utc));
        json_object_object_add(obj, "now_ms", json_object_new_int64(ms));
        json_object_object_add(obj, "local", json_object_new_string(local));
        json_object_object_add(obj, "tz", json_object_new_string(ctl->tz));
        json_object_object_add(obj, "file", json_object_new_string(file));
        puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
                                                     JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(obj);
    } else {
        printf("%s  %s (%s)\n", utc, local, ctl->tz);
    }
    fflush(stdout);
}

int ctl_clock_show(ctl_t *ctl, int argc, char **argv)
{
    if (ctl_parse(ctl, argc, argv, NULL, NULL, NULL) != 0)
        return ctl->exit;
    const char *file = s_clock_file();
    int64_t ms;
    if (s_clock_read(ctl, file, &ms) != 0)
        return ctl->exit;
    s_clock_print(ctl, file, ms);
    return HF_OK;
}

int ctl_clock_set(ctl_t *ctl, int argc, char **argv)
{
    static const char *const pos_names[] = {"TIME", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, NULL, pos_names, pos) != 0)
        return ctl->exit;
    int64_t ms;
    if (strcmp(pos[0], "now") == 0)
        ms = hf_clock_now_ms(); /* this process never starts the manual clock: real time */
    else if (ctl_parse_time(ctl, "TIME", pos[0], &ms) != 0)
        return ctl->exit;
    const char *file = s_clock_file();
    if (s_clock_write(ctl, file, ms) != 0)
        return ctl->exit;
    s_clock_print(ctl, file, ms);
    return HF_OK;
}

int ctl_clock_advance(ctl_t *ctl, int argc, char **argv)
{
    static const char *const pos_names[] = {"DURATION", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, NULL, pos_names, pos) != 0)
        return ctl->exit;
    int64_t by;
    if (hf_duration_parse(pos[0], &by) != 0) {
        ctl_fail(ctl, HF_BAD_INPUT,
                 "DURATION must be a number with a unit (s, m, h, d, w), such as 10d or 1d12h, "
                 "not '%s'",
                 pos[0]);
        return ctl->exit;
    }
    const char *file = s_clock_file();
    int64_t ms;
    if (s_clock_read(ctl, file, &ms) != 0)
        return ctl->exit;
    if (by > INT64_MAX - ms) {
        ctl_fail(ctl, HF_BAD_INPUT, "DURATION '%s' moves the clock past the end of time", pos[0]);
        return ctl->exit;
    }
    if (s_clock_write(ctl, file, ms + by) != 0)
        return ctl->exit;
    s_clock_print(ctl, file, ms + by);
    return HF_OK;
}

/* ---- keys ---- */

int ctl_keys_gen(ctl_t *ctl, int argc, char **argv)
{
    const char *dir = NULL;
    bool force = false, flags = true;
    const char **names = hf_arena_alloc(ctl->arena, sizeof *names * (size_t)(argc + 1));
    int nnames = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (flags && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            ctl_command_help(ctl->command, stdout);
            return HF_OK;
        } else if (flags && strcmp(a, "--force") == 0) {
            force = true;
        } else if (flags && strncmp(a, "--dir=", 6) == 0) {
            dir = a + 6;
        } else if (flags && strcmp(a, "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (flags && strcmp(a, "--") == 0) {
            flags = false;
        } else if (flags && a[0] == '-') {
            ctl_error("unknown flag %s for keys gen (see huifang keys gen --help)", a);
            return HF_BAD_INPUT;
        } else {
            names[nnames++] = a;
        }
    }
    if (dir == NULL || *dir == '\0') {
        ctl_error("--dir is required (the keys directory, later HUIFANG_KEYS_DIR)");
        return HF_BAD_INPUT;
    }
    if (nnames == 0) {
        ctl_error("name at least one principal (a service name, cli, gateway, ...)");
        return HF_BAD_INPUT;
    }
    for (int i = 0; i < nnames; i++) {
        char err[1024];
        if (hf_keys_generate(dir, names[i], force, err, sizeof err) != 0) {
            ctl_error("%s", err);
            return HF_BAD_INPUT;
        }
        if (!ctl->json)
            printf("%s/%s.pub %s/%s.key\n", dir, names[i], dir, names[i]);
    }
    return HF_OK;
}
