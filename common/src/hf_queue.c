/* hf_queue: Redis due-queues for one kind of work ("task", "sla", ...).
 *
 * Per branch and kind there are three keys, all carrying the branch as a hash tag so that
 * a Lua script may touch them together on a Redis Cluster:
 *
 *   hf:{BRANCH}:KIND:due     sorted set, id -> due time (UTC ms)
 *   hf:{BRANCH}:KIND:leases  sorted set, id -> lease expiry (UTC ms)
 *   hf:{BRANCH}:KIND:dueat   hash, id -> due time (UTC ms) of an id while it is leased
 *
 * and keys per kind that no branch owns:
 *
 *   hf:KIND:branches         set of the branches that have ever been put into
 *   hf:KIND:epoch            present while Redis still holds what the last rebuild wrote
 *   hf:wake:{KIND}:hints     sorted set, branch -> a time at or before which it may hold an id
 *                            due or a lease expired (the wake index, below)
 *   hf:wake:{KIND}:versions  hash, branch -> how many changes may have made it wake sooner
 *   hf:wake:{KIND}:ready     present once the hints cover every branch (see seeding, below)
 *   hf:wake:{KIND}:listed    how many branches the versions hash has counted a first change of:
 *                            it moves when the branch set gains a member (below)
 *
 * The wake index lets a timer that serves many branches ask one command what waits now,
 * instead of two counts a branch (at 1,000 branches, 2,000 commands every round). Its one
 * rule: a branch's hint is never later than the earliest due time or lease expiry in it,
 * except between a writer's two steps. A writer (put, claim, reap) changes the branch's
 * sets first, then lowers the hint to what it wrote and counts a version, in the same
 * pipeline. hf_queue_waiting reads the hints due by now with their versions, looks at
 * those branches' earliest due time and lease expiry, and raises each hint to the truth
 * (or drops it when the branch is empty) only if its version did not move meanwhile: a
 * writer that slipped in between either changed the branch before the look (then the
 * look saw it) or counts its version after it (then the raise is refused, or its lowering
 * comes after the raise). The hints live in their own slot (hash tag {KIND}), apart from
 * the branches' keys, so no script touches both: the index stays Cluster-ready.
 * Seeding: a Redis without the ready key (flushed, or filled before the index existed)
 * gets a hint of 0 for every branch the caller asks about; the first look raises them.
 * The branch set's version ("listed"): the lowering that counts a branch's first version
 * also counts one here, and hf_queue_waiting_listed hands it back from the same script that
 * reads the hints, so a timer that keeps the branch list in memory (complaint's) learns
 * without a command of its own that the set grew, and lists it again only then. The put
 * that brings a new branch adds it to the set (SADD) before it lowers its hint, in the same
 * pipeline, so whoever sees the version moved and then lists the set finds the branch. It
 * could not be the set's SCARD read by the script: the set lives in another slot.
 *
 * An id lives in exactly one of "due" and "leases". Claiming moves it from the first to the
 * second and remembers its due time in "dueat", so that a lease that expires puts the id
 * back at its original due time: an overdue call keeps its place ahead of newer ones
 * instead of going to the back of the line every time a scheduler instance dies holding it.
 *
 * Every change that touches more than one key is a Lua script, loaded once per connection
 * with SCRIPT LOAD and called with EVALSHA; a NOSCRIPT answer (Redis restarted or its
 * script cache flushed) reloads the scripts and retries once. Scripts take every time as
 * an argument and never call TIME, so they are deterministic and replicate safely, and
 * tests can drive them with a manual clock.
 *
 * Every operation first reconnects if there is no usable connection, and retries once
 * after an I/O error (a dropped link, a restarted Redis, a 2 s timeout). Retrying is safe
 * because every operation is idempotent except claim, and a claim whose answer was lost
 * only leaves ids leased until the lease expires and reap returns them. A process that uses
 * this module should ignore SIGPIPE: hiredis writes with write(2), and a peer that vanishes
 * between two writes would otherwise kill the process.
 *
 * Redis Sentinel (hf_queue_set_sentinels; hiredis knows nothing of it): every connect asks
 * the sentinels in turn, each with a short timeout, for the master's address (SENTINEL
 * get-master-addr-by-name), connects there and checks with ROLE that it really is a master
 * (a sentinel may still name a demoted one), as the Sentinel client protocol says; the
 * sentinel that answered is asked first next time. There is no long-lived link to a
 * sentinel: a failover reaches us as a dropped link (Sentinel kills the old master's
 * clients) or as a READONLY answer (writing to what became a replica), and both make the
 * round trip reconnect through the sentinels and retry once. A master at a new address
 * makes hf_queue_epoch_ok() answer "not ok" once: the promoted replica may lack the last
 * writes the old master acknowledged, so the owner rebuilds the index from Postgres. */
#include "hf_queue.h"
#include "hf_clock.h"
#include "hf_log.h"
#include <assert.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

/* ---------------------------------------------------------------------------------------
 * Limits and scripts */

/* Both the connect timeout and the per-command timeout. Long enough for a busy Redis,
 * short enough that a scheduler tick fails cleanly instead of hanging. */
#define QUEUE_TIMEOUT_MS 2000
/* How long one sentinel may take to connect and answer: short, so that a dead sentinel
 * costs little before the next is asked. */
#define QUEUE_SENTINEL_TIMEOUT_MS 500
#define QUEUE_SENTINELS_MAX 16
/* A branch or kind longer than this is a caller's mistake; it also bounds key lengths. */
#define QUEUE_NAME_MAX 64
#define QUEUE_KEY_MAX (QUEUE_NAME_MAX * 2 + 32)
/* Ids per EVALSHA in put_many, and expired leases per EVALSHA in reap: a script blocks
 * Redis while it runs, so large batches are cut into slices that each run briefly. */
#define QUEUE_PUT_SLICE 500
#define QUEUE_REAP_SLICE 1000
/* Room for an int64 in decimal with its sign and terminator. */
#define QUEUE_NUM_MAX 24

typedef enum {
    SCRIPT_PUT,
    SCRIPT_CLAIM,
    SCRIPT_REAP,
    SCRIPT_ACK,
    SCRIPT_REMOVE,
    SCRIPT_WAKE_LOWER,
    SCRIPT_WAKE_READ,
    SCRIPT_WAKE_SEED,
    SCRIPT_WAKE_RAISE,
    SCRIPT_COUNT,
    NO_SCRIPT = -1
} queue_script_t;

/* KEYS: due, leases, dueat. ARGV: id, due_ms pairs. Puts each id in the due set and takes
 * it out of the leases, so a put also answers "try again at due_ms" for a claimed id. */
static const char s_put_lua[] = "for i = 1, #ARGV, 2 do\n"
                                "  redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i])\n"
                                "  redis.call('ZREM', KEYS[2], ARGV[i])\n"
                                "  redis.call('HDEL', KEYS[3], ARGV[i])\n"
                                "end\n"
                                "return #ARGV / 2\n";

/* KEYS: due, leases, dueat. ARGV: now_ms, lease expiry ms, max. Moves up to max ids due at
 * or before now into the leases, oldest due first, and answers id, due pairs. The expiry
 * is computed by the caller: Lua numbers print with 14 significant digits when handed back
 * to Redis, which is too few to trust with millisecond timestamps. */
static const char s_claim_lua[] =
    "local items = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES',\n"
    "                         'LIMIT', 0, ARGV[3])\n"
    "for i = 1, #items, 2 do\n"
    "  redis.call('ZREM', KEYS[1], items[i])\n"
    "  redis.call('ZADD', KEYS[2], ARGV[2], items[i])\n"
    "  redis.call('HSET', KEYS[3], items[i], items[i + 1])\n"
    "end\n"
    "return items\n";

/* KEYS: due, leases, dueat. ARGV: now_ms, max. Returns up to max leases that expired at or
 * before now to the due set at the due time remembered when they were claimed; an id whose
 * due time was lost (it cannot be, short of someone editing the keys by hand) is due now. */
static const char s_reap_lua[] =
    "local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])\n"
    "for _, id in ipairs(ids) do\n"
    "  local due = redis.call('HGET', KEYS[3], id)\n"
    "  if not due then due = ARGV[1] end\n"
    "  redis.call('ZADD', KEYS[1], due, id)\n"
    "  redis.call('ZREM', KEYS[2], id)\n"
    "  redis.call('HDEL', KEYS[3], id)\n"
    "end\n"
    "return #ids\n";

/* KEYS: leases, dueat. ARGV: id. Drops a lease once its outcome is recorded. */
static const char s_ack_lua[] = "redis.call('ZREM', KEYS[1], ARGV[1])\n"
                                "redis.call('HDEL', KEYS[2], ARGV[1])\n"
                                "return 1\n";

/* KEYS: due, leases, dueat. ARGV: id. Forgets an id entirely (cancelled). */
static const char s_remove_lua[] = "redis.call('ZREM', KEYS[1], ARGV[1])\n"
                                   "redis.call('ZREM', KEYS[2], ARGV[1])\n"
                                   "redis.call('HDEL', KEYS[3], ARGV[1])\n"
                                   "return 1\n";

/* KEYS: hints, versions, listed. ARGV: branch, time. Lowers the branch's hint to time (or
 * sets it) and counts a version, always: a raise that read the version before this writer's
 * change must fail. A branch's first version counts one on listed too: a branch new to the
 * index. Lua compares the scores as doubles, exact for any millisecond time. */
static const char s_wake_lower_lua[] = "local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])\n"
                                       "if not cur or tonumber(cur) > tonumber(ARGV[2]) then\n"
                                       "  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])\n"
                                       "end\n"
                                       "local v = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)\n"
                                       "if v == 1 then redis.call('INCR', KEYS[3]) end\n"
                                       "return v\n";

/* KEYS: hints, versions, ready, listed. ARGV: now_ms. Whether the index was seeded in this
 * Redis (1 or 0) and the branch set's version (listed, 0 when never counted); then, when
 * seeded, the branches whose hint is due by now, each followed by its version ("0" when
 * never counted). */
static const char s_wake_read_lua[] =
    "local listed = tonumber(redis.call('GET', KEYS[4]) or '0')\n"
    "if redis.call('EXISTS', KEYS[3]) == 0 then return {0, listed} end\n"
    "local out = {1, listed}\n"
    "for _, b in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])) do\n"
    "  out[#out + 1] = b\n"
    "  out[#out + 1] = redis.call('HGET', KEYS[2], b) or '0'\n"
    "end\n"
    "return out\n";

/* KEYS: hints, ready. ARGV: branches. A hint of 0 for each (look at it at once), then the
 * ready key. */
static const char s_wake_seed_lua[] = "for _, b in ipairs(ARGV) do\n"
                                      "  redis.call('ZADD', KEYS[1], 0, b)\n"
                                      "end\n"
                                      "redis.call('SET', KEYS[2], '1')\n"
                                      "return #ARGV\n";

/* KEYS: hints, versions. ARGV: branch, version read, new hint ("" drops it) triples. Sets
 * each hint whose version is still the one read; answers how many were set. */
static const char s_wake_raise_lua[] =
    "local n = 0\n"
    "for i = 1, #ARGV, 3 do\n"
    "  if (redis.call('HGET', KEYS[2], ARGV[i]) or '0') == ARGV[i + 1] then\n"
    "    if ARGV[i + 2] == '' then\n"
    "      redis.call('ZREM', KEYS[1], ARGV[i])\n"
    "    else\n"
    "      redis.call('ZADD', KEYS[1], ARGV[i + 2], ARGV[i])\n"
    "    end\n"
    "    n = n + 1\n"
    "  end\n"
    "end\n"
    "return n\n";

/* In the order of queue_script_t; the name is for error messages. */
static const struct {
    const char *name;
    const char *lua;
} s_scripts[SCRIPT_COUNT] = {
    {"put", s_put_lua},               /* hf_queue_put, hf_queue_put_many */
    {"claim", s_claim_lua},           /* hf_queue_claim */
    {"reap", s_reap_lua},             /* hf_queue_reap */
    {"ack", s_ack_lua},               /* hf_queue_ack */
    {"remove", s_remove_lua},         /* hf_queue_remove */
    {"wake-lower", s_wake_lower_lua}, /* after every put, claim and reap */
    {"wake-read", s_wake_read_lua},   /* hf_queue_waiting, hf_queue_waiting_listed */
    {"wake-seed", s_wake_seed_lua},   /* hf_queue_waiting, in a Redis never seeded */
    {"wake-raise", s_wake_raise_lua}, /* hf_queue_waiting */
};

/* ---------------------------------------------------------------------------------------
 * The object */

struct hf_queue_t {
    char *kind;
    char host[256];
    int port;
    int db;
    /* AUTH [user] password when password is set (from the url or hf_queue_set_password) */
    char user[128];
    char password[256];
    /* Why this queue can never work (a bad url or kind), or NULL. Set once by new. */
    const char *invalid;
    redisContext *ctx;
    long connects;        /* connections made and authenticated (after the first: reconnects) */
    uint64_t round_trips; /* commands sent and answers read (s_run; a pipeline is one) */
    uint64_t commands;    /* commands sent (s_run; a pipeline of n is n) */
    void (*look_hook)(void *arg); /* hf_queue_set_look_hook: tests only */
    void *look_arg;
    /* Redis Sentinel: when nsentinels > 0, host and port are the master the sentinels named
     * at the last connect (the url's host and port are not used) */
    struct {
        char host[256];
        int port;
    } sentinels[QUEUE_SENTINELS_MAX];
    int nsentinels;
    int sentinel_next; /* the sentinel to ask first (the last that answered) */
    char master_name[128];
    char master_host[256]; /* the master of the last successful connect ("" before one) */
    int master_port;
    long master_changes;      /* connects that found the master at a new address */
    long master_changes_seen; /* what hf_queue_epoch_ok() last reported */
    /* SHA1 of each script, as SCRIPT LOAD answered on the current connection. */
    char sha[SCRIPT_COUNT][41];
    char error[512];
};

/* One command of a round trip. A plain command when script is NO_SCRIPT; otherwise
 * argv[0] and argv[1] are left free and filled with "EVALSHA" and the script's SHA1 when
 * the command is sent, because the scripts are first loaded inside the round trip (the
 * connection is made lazily) and are loaded again after a NOSCRIPT answer. */
typedef struct {
    int script;
    int argc;
    const char **argv;
} queue_command_t;

static void s_set_error(hf_queue_t *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void s_set_error(hf_queue_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(self->error, sizeof self->error, fmt, ap);
    va_end(ap);
}

/* Accepts "redis://[[user]:password@]host[:port][/db]", host possibly an IPv6 address in
 * brackets; the password (and the ACL user, when named) are sent with AUTH on every connect.
 * Returns 0, or -1 with self->invalid set. A user without ":password" is refused rather than
 * ignored, so that it fails loudly instead of later as NOAUTH. */
static int s_parse_url(hf_queue_t *self, const char *url)
{
    static const char prefix[] = "redis://";
    self->invalid = "invalid redis url: want redis://[:password@]host:port[/db]";
    if (url == NULL || strncmp(url, prefix, sizeof prefix - 1) != 0)
        return -1;
    const char *p = url + sizeof prefix - 1;
    const char *at = strrchr(p, '@');
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (colon == NULL || colon + 1 == at) {
            self->invalid = "invalid redis url: credentials must be [user]:password@";
            return -1;
        }
        size_t ulen = (size_t)(colon - p), plen = (size_t)(at - colon - 1);
        if (ulen >= sizeof self->user || plen >= sizeof self->password) {
            self->invalid = "invalid redis url: user or password too long";
            return -1;
        }
        memcpy(self->user, p, ulen);
        self->user[ulen] = '\0';
        memcpy(self->password, colon + 1, plen);
        self->password[plen] = '\0';
        p = at + 1;
    }
    const char *host = p;
    size_t hostlen;
    if (*p == '[') {
        const char *close = strchr(p, ']');
        if (close == NULL)
            return -1;
        host = p + 1;
        hostlen = (size_t)(close - host);
        p = close + 1;
    } else {
        hostlen = strcspn(p, ":/");
        p += hostlen;
    }
    if (hostlen == 0 || hostlen >= sizeof self->host)
        return -1;
    memcpy(self->host, host, hostlen);
    self->host[hostlen] = '\0';

    self->port = 6379;
    if (*p == ':') {
        char *end;
        errno = 0;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || errno || port < 1 || port > 65535)
            return -1;
        self->port = (int)port;
        p = end;
    }
    self->db = 0;
    if (*p == '/' && p[1] != '\0') {
        char *end;
        errno = 0;
        long db = strtol(p + 1, &end, 10);
        if (end == p + 1 || errno || db < 0 || db > 1000000)
            return -1;
        self->db = (int)db;
        p = end;
    } else if (*p == '/') {
        p++;
    }
    if (*p != '\0')
        return -1;
    self->invalid = NULL;
    return 0;
}

/* A branch or kind becomes part of key names: it must be short, and free of braces (which
 * would move the hash tag) and of spaces and control characters (which make keys and the
 * client name unreadable in redis-cli). */
static bool s_name_ok(const char *name)
{
    if (name == NULL || *name == '\0' || strlen(name) > QUEUE_NAME_MAX)
        return false;
    for (const char *c = name; *c; c++)
        if (*c == '{' || *c == '}' || (unsigned char)*c <= ' ' || *c == 0x7f)
            return false;
    return true;
}

static int s_check_branch(hf_queue_t *self, const char *branch)
{
    if (s_name_ok(branch))
        return 0;
    s_set_error(self,
                "invalid branch \"%.*s\": want 1 to %d characters without braces or "
                "spaces",
                QUEUE_NAME_MAX, branch ? branch : "", QUEUE_NAME_MAX);
    return -1;
}

hf_queue_t *hf_queue_new(const char *url, const char *kind)
{
    hf_queue_t *self = calloc(1, sizeof *self);
    /* The contract promises a queue; without memory for a few hundred bytes at start-up
     * there is nothing sensible left to do. */
    if (self == NULL)
        abort();
    self->kind = strdup(s_name_ok(kind) ? kind : "invalid");
    if (self->kind == NULL)
        abort();
    if (s_parse_url(self, url) == 0 && !s_name_ok(kind))
        self->invalid = "invalid queue kind: want 1 to 64 characters without braces or spaces";
    /* Kept as the error at once, so that a caller checking right after new sees why. */
    if (self->invalid)
        s_set_error(self, "%s", self->invalid);
    return self;
}

static void s_disconnect(hf_queue_t *self)
{
    if (self->ctx) {
        redisFree(self->ctx);
        self->ctx = NULL;
    }
}

void hf_queue_destroy(hf_queue_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    hf_queue_t *self = *self_p;
    s_disconnect(self);
    free(self->kind);
    free(self);
    *self_p = NULL;
}

void hf_queue_set_password(hf_queue_t *self, const char *password)
{
    if (password == NULL || *password == '\0')
        return;
    if (strlen(password) >= sizeof self->password) {
        self->invalid = "redis password too long";
        s_set_error(self, "%s", self->invalid);
        return;
    }
    snprintf(self->password, sizeof self->password, "%s", password);
}

const char *hf_queue_error(const hf_queue_t *self)
{
    return self->error;
}

int hf_queue_set_sentinels(hf_queue_t *self, const char *sentinels, const char *master_name)
{
    if (sentinels == NULL || *sentinels == '\0')
        return 0;
    self->invalid = "invalid redis sentinels: want host:port[,host:port...] (at most 16) and "
                    "a master name";
    if (master_name == NULL || *master_name == '\0' ||
        strlen(master_name) >= sizeof self->master_name || strchr(master_name, ' ')) {
        s_set_error(self, "%s", self->invalid);
        return -1;
    }
    snprintf(self->master_name, sizeof self->master_name, "%s", master_name);
    self->nsentinels = 0;
    const char *p = sentinels;
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *colon = NULL;
        for (const char *c = p; c < p + len; c++)
            if (*c == ':')
                colon = c;
        if (self->nsentinels == QUEUE_SENTINELS_MAX || colon == NULL || colon == p) {
            s_set_error(self, "%s", self->invalid);
            return -1;
        }
        const char *host = p;
        size_t hostlen = (size_t)(colon - p);
        if (*host == '[' && hostlen >= 2 && host[hostlen - 1] == ']') {
            host++;
            hostlen -= 2;
        }
        char *end;
        errno = 0;
        long port = strtol(colon + 1, &end, 10);
        if (hostlen == 0 || hostlen >= sizeof self->sentinels[0].host || end != p + len || errno ||
            port < 1 || port > 65535) {
            s_set_error(self, "%s", self->invalid);
            return -1;
        }
        memcpy(self->sentinels[self->nsentinels].host, host, hostlen);
        self->sentinels[self->nsentinels].host[hostlen] = '\0';
        self->sentinels[self->nsentinels].port = (int)port;
        self->nsentinels++;
        p += len;
        if (*p == ',')
            p++;
    }
    if (self->nsentinels == 0) {
        s_set_error(self, "%s", self->invalid);
        return -1;
    }
    self->invalid = NULL;
    self->error[0] = '\0';
    /* no master known yet: host stays what the url said until a sentinel names one */
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Connection */

static void s_free_replies(redisReply **replies, int n)
{
    for (int i = 0; i < n; i++) {
        if (replies[i])
            freeReplyObject(replies[i]);
        replies[i] = NULL;
    }
}

/* Reads n replies from the connection into replies[]. Returns 0, or -1 when the link
 * failed, having freed the replies read so far. */
static int s_read_replies(hf_queue_t *self, redisReply **replies, int n)
{
    for (int i = 0; i < n; i++) {
        void *reply = NULL;
        if (redisGetReply(self->ctx, &reply) != REDIS_OK || reply == NULL) {
            /* errno tells a timeout from other I/O errors; keep it past free() */
            int saved_errno = errno;
            s_free_replies(replies, i);
            errno = saved_errno;
            return -1;
        }
        replies[i] = reply;
    }
    return 0;
}

/* Loads every script, in one round trip, and keeps their SHA1s. The SHA1 of a script never
 * changes, but asking Redis for it keeps SHA1 code out of this module. */
static int s_load_scripts(hf_queue_t *self)
{
    redisReply *replies[SCRIPT_COUNT] = {NULL};
    int rc = -1;
    for (int i = 0; i < SCRIPT_COUNT; i++) {
        if (redisAppendCommand(self->ctx, "SCRIPT LOAD %s", s_scripts[i].lua) != REDIS_OK) {
            s_set_error(self, "could not load redis scripts: out of memory");
            goto cleanup;
        }
    }
    if (s_read_replies(self, replies, SCRIPT_COUNT) != 0) {
        s_set_error(self, "could not load redis scripts at %s:%d: %s", self->host, self->port,
                    self->ctx->errstr);
        goto cleanup;
    }
    for (int i = 0; i < SCRIPT_COUNT; i++) {
        if (replies[i]->type == REDIS_REPLY_ERROR) {
            s_set_error(self, "could not load redis script %s: %s", s_scripts[i].name,
                        replies[i]->str);
            goto cleanup;
        }
        if (replies[i]->type != REDIS_REPLY_STRING || replies[i]->len != 40) {
            s_set_error(self, "could not load redis script %s: unexpected answer",
                        s_scripts[i].name);
            goto cleanup;
        }
        memcpy(self->sha[i], replies[i]->str, 40);
        self->sha[i][40] = '\0';
    }
    rc = 0;
cleanup:
    s_free_replies(replies, SCRIPT_COUNT);
    /* A half-read pipeline leaves answers on the link that the next command would take
     * for its own, so a failed load costs the connection. */
    if (rc != 0)
        s_disconnect(self);
    return rc;
}

uint64_t hf_queue_round_trips(const hf_queue_t *self)
{
    return self->round_trips;
}

void hf_queue_set_look_hook(hf_queue_t *self, void (*hook)(void *arg), void *arg)
{
    self->look_hook = hook;
    self->look_arg = arg;
}

uint64_t hf_queue_commands(const hf_queue_t *self)
{
    return self->commands;
}

long hf_queue_connects(const hf_queue_t *self)
{
    return self->connects;
}

/* Connects to host:port (the url's, or the master a sentinel named), authenticates, names
 * the connection, selects the database and loads the scripts. 0, or -1 with the error kept. */
static int s_connect_at(hf_queue_t *self)
{
    redisReply *replies[3] = {NULL, NULL, NULL};
    int nreplies = 0;
    int rc = -1;
    s_disconnect(self);
    if (self->invalid) {
        s_set_error(self, "%s", self->invalid);
        return -1;
    }
    struct timeval tv = {QUEUE_TIMEOUT_MS / 1000, (QUEUE_TIMEOUT_MS % 1000) * 1000};
    self->ctx = redisConnectWithTimeout(self->host, self->port, tv);
    if (self->ctx == NULL) {
        s_set_error(self, "could not connect to redis at %s:%d: out of memory", self->host,
                    self->port);
        goto cleanup;
    }
    if (self->ctx->err) {
        s_set_error(self, "could not connect to redis at %s:%d: %s", self->host, self->port,
                    self->ctx->errstr);
        goto cleanup;
    }
    if (redisSetTimeout(self->ctx, tv) != REDIS_OK) {
        s_set_error(self, "could not set redis timeout: %s", self->ctx->errstr);
        goto cleanup;
    }
    /* AUTH first (every connect, so that a reconnect authenticates again). The client name
     * shows who holds a connection in CLIENT LIST, and lets a test kill exactly this
     * connection. Selecting the database rides in the same round trip. */
    int auth = -1, setname, select = -1;
    if (self->password[0]) {
        int ok = self->user[0]
                     ? redisAppendCommand(self->ctx, "AUTH %s %s", self->user, self->password)
                     : redisAppendCommand(self->ctx, "AUTH %s", self->password);
        if (ok != REDIS_OK)
            goto oom;
        auth = nreplies++;
    }
    char name[QUEUE_NAME_MAX + 32];
    snprintf(name, sizeof name, "huifang-queue-%s", self->kind);
    if (redisAppendCommand(self->ctx, "CLIENT SETNAME %s", name) != REDIS_OK)
        goto oom;
    setname = nreplies++;
    if (self->db != 0) {
        if (redisAppendCommand(self->ctx, "SELECT %d", self->db) != REDIS_OK)
            goto oom;
        select = nreplies++;
    }
    if (s_read_replies(self, replies, nreplies) != 0) {
        s_set_error(self, "could not set up redis connection to %s:%d: %s", self->host, self->port,
                    self->ctx->errstr);
        goto cleanup;
    }
    if (auth >= 0 && replies[auth]->type == REDIS_REPLY_ERROR) {
        s_set_error(self, "redis at %s:%d refused the password: %s", self->host, self->port,
                    replies[auth]->str);
        goto cleanup;
    }
    if (replies[setname]->type == REDIS_REPLY_ERROR &&
        strncmp(replies[setname]->str, "NOAUTH", 6) == 0) {
        s_set_error(self, "redis at %s:%d wants a password (%s): see HUIFANG_REDIS_PASSWORD_FILE",
                    self->host, self->port, replies[setname]->str);
        goto cleanup;
    }
    /* A Redis whose ACL forbids CLIENT SETNAME still serves the queue well, so only the
     * AUTH and SELECT answers decide. */
    if (select >= 0 && replies[select]->type == REDIS_REPLY_ERROR) {
        s_set_error(self, "could not select redis database %d: %s", self->db, replies[select]->str);
        goto cleanup;
    }
    if (s_load_scripts(self) != 0)
        goto cleanup;
    self->error[0] = '\0';
    self->connects++;
    rc = 0;
    goto cleanup;
oom:
    s_set_error(self, "could not set up redis connection: out of memory");
cleanup:
    s_free_replies(replies, nreplies);
    if (rc != 0)
        s_disconnect(self);
    return rc;
}

/* Asks sentinel i for the master's address, into host and *port. 0, or -1 with the error
 * kept. */
static int s_sentinel_ask(hf_queue_t *self, int i, char *host, size_t hostlen, int *port)
{
    struct timeval tv = {0, QUEUE_SENTINEL_TIMEOUT_MS * 1000};
    const char *sh = self->sentinels[i].host;
    int sp = self->sentinels[i].port;
    redisReply *reply = NULL;
    int rc = -1;
    redisContext *c = redisConnectWithTimeout(sh, sp, tv);
    if (c == NULL || c->err) {
        s_set_error(self, "could not reach redis sentinel %s:%d: %s", sh, sp,
                    c ? c->errstr : "out of memory");
        goto cleanup;
    }
    if (redisSetTimeout(c, tv) != REDIS_OK) {
        s_set_error(self, "could not set the timeout of redis sentinel %s:%d", sh, sp);
        goto cleanup;
    }
    reply = redisCommand(c, "SENTINEL get-master-addr-by-name %s", self->master_name);
    if (reply == NULL) {
        s_set_error(self, "redis sentinel %s:%d did not answer: %s", sh, sp, c->errstr);
        goto cleanup;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        s_set_error(self, "redis sentinel %s:%d refused: %s", sh, sp, reply->str);
        goto cleanup;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING ||
        reply->element[1]->type != REDIS_REPLY_STRING) {
        s_set_error(self, "redis sentinel %s:%d knows no master named %s", sh, sp,
                    self->master_name);
        goto cleanup;
    }
    long p = strtol(reply->element[1]->str, NULL, 10);
    if (reply->element[0]->len >= hostlen || p < 1 || p > 65535) {
        s_set_error(self, "redis sentinel %s:%d named an unusable master", sh, sp);
        goto cleanup;
    }
    snprintf(host, hostlen, "%s", reply->element[0]->str);
    *port = (int)p;
    rc = 0;
cleanup:
    if (reply)
        freeReplyObject(reply);
    if (c)
        redisFree(c);
    return rc;
}

/* True when the connected Redis says ROLE master; false (error kept) otherwise. */
static bool s_is_master(hf_queue_t *self)
{
    redisReply *reply = redisCommand(self->ctx, "ROLE");
    bool master = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
                  reply->element[0]->type == REDIS_REPLY_STRING &&
                  strcmp(reply->element[0]->str, "master") == 0;
    if (!master)
        s_set_error(self, "redis at %s:%d is not the master of %s (ROLE: %s)", self->host,
                    self->port, self->master_name,
                    reply == NULL                      ? self->ctx->errstr
                    : reply->type == REDIS_REPLY_ERROR ? reply->str
                    : reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
                            reply->element[0]->type == REDIS_REPLY_STRING
                        ? reply->element[0]->str
                        : "unexpected answer");
    if (reply)
        freeReplyObject(reply);
    return master;
}

int hf_queue_connect(hf_queue_t *self)
{
    if (self->nsentinels == 0 || self->invalid)
        return s_connect_at(self);
    /* every sentinel in turn, from the one that answered last; the first that names a
     * master we can connect to and that says it is one wins */
    for (int k = 0; k < self->nsentinels; k++) {
        int i = (self->sentinel_next + k) % self->nsentinels;
        char host[256];
        int port;
        if (s_sentinel_ask(self, i, host, sizeof host, &port) != 0)
            continue;
        snprintf(self->host, sizeof self->host, "%s", host);
        self->port = port;
        if (s_connect_at(self) != 0)
            continue;
        if (!s_is_master(self)) {
            s_disconnect(self);
            continue;
        }
        /* compared with the last master we worked with, not the last one named: a new
         * master we failed to reach at first is still a new master when we get there */
        bool known = self->master_host[0] != '\0';
        bool moved = strcmp(host, self->master_host) != 0 || port != self->master_port;
        snprintf(self->master_host, sizeof self->master_host, "%s", host);
        self->master_port = port;
        self->sentinel_next = i;
        if (moved && known)
            self->master_changes++;
        if (moved || !known)
            hf_info("redis_master", "kind=%s master=%s at=%s:%d sentinel=%s:%d failover=%s",
                    self->kind, self->master_name, host, port, self->sentinels[i].host,
                    self->sentinels[i].port, moved && known ? "yes" : "no");
        return 0;
    }
    char last[sizeof self->error];
    snprintf(last, sizeof last, "%s", self->error);
    s_set_error(self, "no redis sentinel named a usable master %s (%d asked; last: %s)",
                self->master_name, self->nsentinels, last);
    return -1;
}

/* True when the connection can carry a command. Peeking at the socket notices a link that
 * Redis already closed (restart, CLIENT KILL, idle timeout) before a command is written to
 * it, which spares a failed round trip; the retry in s_run() covers the links that die
 * while a command is in flight. Between round trips nothing is owed to us, so any byte
 * waiting on the socket means the stream is out of step and the link is useless too. */
static bool s_link_usable(hf_queue_t *self)
{
    if (self->ctx == NULL || self->ctx->err)
        return false;
    char byte;
    ssize_t got = recv(self->ctx->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
}

/* Sends ncmds commands in one round trip and reads every answer. Reconnects first when
 * the link is unusable, reconnects and retries once after an I/O error, and reloads the
 * scripts and retries once after NOSCRIPT. Returns 0 with every reply in replies[] (the
 * caller frees them), or -1 with the error kept and nothing to free. An error answer to
 * any command fails the whole call, after all answers were read so the link stays in step. */
static int s_run(hf_queue_t *self, queue_command_t *cmds, int ncmds, redisReply **replies)
{
    bool io_retried = false;
    bool scripts_reloaded = false;
    for (int i = 0; i < ncmds; i++)
        replies[i] = NULL;
    for (;;) {
        if (!s_link_usable(self)) {
            if (self->ctx)
                hf_warn("queue_reconnect", "kind=%s reason=\"connection closed or out of step\"",
                        self->kind);
            if (hf_queue_connect(self) != 0)
                return -1;
        }
        for (int i = 0; i < ncmds; i++) {
            if (cmds[i].script != NO_SCRIPT) {
                cmds[i].argv[0] = "EVALSHA";
                cmds[i].argv[1] = self->sha[cmds[i].script];
            }
            if (redisAppendCommandArgv(self->ctx, cmds[i].argc, cmds[i].argv, NULL) != REDIS_OK) {
                s_set_error(self, "could not send redis command: out of memory");
                s_disconnect(self);
                return -1;
            }
        }
        self->round_trips++;
        self->commands += (uint64_t)ncmds;
        if (s_read_replies(self, replies, ncmds) != 0) {
            int err = self->ctx->err;
            if (err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK))
                s_set_error(self, "redis at %s:%d did not answer within %d ms", self->host,
                            self->port, QUEUE_TIMEOUT_MS);
            else
                s_set_error(self, "lost connection to redis at %s:%d: %s", self->host, self->port,
                            self->ctx->errstr);
            s_disconnect(self);
            if (!io_retried && (err == REDIS_ERR_IO || err == REDIS_ERR_EOF)) {
                io_retried = true;
                hf_warn("queue_reconnect", "kind=%s reason=\"%s\"", self->kind, self->error);
                continue;
            }
            return -1;
        }

        const redisReply *failed = NULL;
        bool noscript = false, readonly = false;
        for (int i = 0; i < ncmds; i++) {
            if (replies[i]->type != REDIS_REPLY_ERROR)
                continue;
            if (strncmp(replies[i]->str, "NOSCRIPT", 8) == 0)
                noscript = true;
            else if (strncmp(replies[i]->str, "READONLY", 8) == 0)
                readonly = true;
            else if (failed == NULL)
                failed = replies[i];
        }
        if (readonly && !io_retried) {
            /* we talk to a replica: the master failed over and this one was demoted. A
             * write refused with READONLY had no effect (a script stops at its first write),
             * so the round trip is sent again to the master found anew. */
            io_retried = true;
            s_free_replies(replies, ncmds);
            hf_warn("queue_reconnect", "kind=%s reason=\"redis at %s:%d is read-only now\"",
                    self->kind, self->host, self->port);
            s_disconnect(self);
            continue;
        }
        if (noscript && !scripts_reloaded) {
            /* Redis lost its script cache. Everything we send is idempotent or, for claim,
             * did not run at all (NOSCRIPT means the script was never executed), so the
             * whole round trip is simply sent again. */
            scripts_reloaded = true;
            s_free_replies(replies, ncmds);
            hf_warn("queue_scripts_reloaded", "kind=%s", self->kind);
            if (s_load_scripts(self) != 0)
                return -1;
            continue;
        }
        if (failed || noscript || readonly) {
            s_set_error(self, "redis command failed: %s",
                        failed     ? failed->str
                        : readonly ? "READONLY twice"
                                   : "scripts missing after reload");
            s_free_replies(replies, ncmds);
            return -1;
        }
        self->error[0] = '\0';
        return 0;
    }
}

/* Runs one command and returns its reply (caller frees), or NULL with the error kept. */
static redisReply *s_run_one(hf_queue_t *self, queue_command_t *cmd)
{
    redisReply *reply = NULL;
    if (s_run(self, cmd, 1, &reply) != 0)
        return NULL;
    return reply;
}

/* ---------------------------------------------------------------------------------------
 * Keys and values. Every key name of the system is built here and nowhere else. */

static void s_branch_key(const hf_queue_t *self, const char *branch, const char *what, char *key,
                         size_t size)
{
    snprintf(key, size, "hf:{%s}:%s:%s", branch, self->kind, what);
}

static void s_kind_key(const hf_queue_t *self, const char *what, char *key, size_t size)
{
    snprintf(key, size, "hf:%s:%s", self->kind, what);
}

/* The three keys of a branch, in the order the scripts take them. */
typedef struct {
    char due[QUEUE_KEY_MAX];
    char leases[QUEUE_KEY_MAX];
    char dueat[QUEUE_KEY_MAX];
} queue_keys_t;

static void s_branch_keys(const hf_queue_t *self, const char *branch, queue_keys_t *keys)
{
    s_branch_key(self, branch, "due", keys->due, sizeof keys->due);
    s_branch_key(self, branch, "leases", keys->leases, sizeof keys->leases);
    s_branch_key(self, branch, "dueat", keys->dueat, sizeof keys->dueat);
}

static void s_format_int64(int64_t value, char *buf)
{
    snprintf(buf, QUEUE_NUM_MAX, "%" PRId64, value);
}

/* The wake index's keys of this kind, in the order its scripts take them. */
typedef struct {
    char hints[QUEUE_KEY_MAX];
    char versions[QUEUE_KEY_MAX];
    char ready[QUEUE_KEY_MAX];
    char listed[QUEUE_KEY_MAX];
} queue_wake_keys_t;

static void s_wake_keys(const hf_queue_t *self, queue_wake_keys_t *keys)
{
    snprintf(keys->hints, sizeof keys->hints, "hf:wake:{%s}:hints", self->kind);
    snprintf(keys->versions, sizeof keys->versions, "hf:wake:{%s}:versions", self->kind);
    snprintf(keys->ready, sizeof keys->ready, "hf:wake:{%s}:ready", self->kind);
    snprintf(keys->listed, sizeof keys->listed, "hf:wake:{%s}:listed", self->kind);
}

/* A writer's second step: the command that lowers branch's hint to time_ms and counts its
 * version, for the writer's pipeline after its change of the branch's sets. Its arguments
 * live in *lower, which must outlive the round trip. */
typedef struct {
    queue_wake_keys_t keys;
    char time[QUEUE_NUM_MAX];
    const char *argv[8];
} queue_lower_t;

static queue_command_t s_wake_lower(const hf_queue_t *self, const char *branch, int64_t time_ms,
                                    queue_lower_t *lower)
{
    s_wake_keys(self, &lower->keys);
    s_format_int64(time_ms, lower->time);
    const char **v = lower->argv;
    v[0] = v[1] = NULL; /* EVALSHA and the sha, filled by s_run() */
    v[2] = "3";
    v[3] = lower->keys.hints;
    v[4] = lower->keys.versions;
    v[5] = lower->keys.listed;
    v[6] = branch;
    v[7] = lower->time;
    return (queue_command_t){SCRIPT_WAKE_LOWER, 8, v};
}

/* Reads an id or a score. Redis prints scores with %.17g, which gives plain digits for
 * every whole number below 1e17, but a score that someone wrote by hand may still come
 * back as "1.5e+12"; both forms are read, and anything that is not a whole number fails. */
static int s_parse_int64(const char *text, int64_t *value)
{
    char *end;
    errno = 0;
    long long whole = strtoll(text, &end, 10);
    if (end != text && *end == '\0' && errno == 0) {
        *value = whole;
        return 0;
    }
    errno = 0;
    double real = strtod(text, &end);
    if (end == text || *end != '\0' || errno || !isfinite(real) || real != floor(real) ||
        fabs(real) > 9.0e18)
        return -1;
    *value = (int64_t)real;
    return 0;
}

static int s_reply_integer(hf_queue_t *self, const redisReply *reply, int64_t *value)
{
    if (reply->type != REDIS_REPLY_INTEGER) {
        s_set_error(self, "redis answered with an unexpected reply type %d", reply->type);
        return -1;
    }
    *value = reply->integer;
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Operations */

int hf_queue_put(hf_queue_t *self, const char *branch, int64_t id, int64_t due_ms)
{
    return hf_queue_put_many(self, branch, &id, &due_ms, 1);
}

int hf_queue_put_many(hf_queue_t *self, const char *branch, const int64_t *ids,
                      const int64_t *due_ms, int n)
{
    assert(n <= 0 || (ids && due_ms));
    if (s_check_branch(self, branch) != 0)
        return -1;
    if (n <= 0)
        return 0;

    int nslices = (n + QUEUE_PUT_SLICE - 1) / QUEUE_PUT_SLICE;
    int ncmds = nslices + 2; /* the branch set, the slices, the wake index */
    queue_command_t *cmds = calloc((size_t)ncmds, sizeof *cmds);
    redisReply **replies = calloc((size_t)ncmds, sizeof *replies);
    /* per slice: EVALSHA, sha, numkeys, three keys, then the pairs */
    const char **argv = calloc((size_t)nslices * 6 + (size_t)n * 2 + 3, sizeof *argv);
    char(*numbers)[QUEUE_NUM_MAX] = calloc((size_t)n * 2, sizeof *numbers);
    int rc = -1;
    if (cmds == NULL || replies == NULL || argv == NULL || numbers == NULL) {
        s_set_error(self, "could not put %d ids: out of memory", n);
        goto cleanup;
    }

    queue_keys_t keys;
    char branches_key[QUEUE_KEY_MAX];
    s_branch_keys(self, branch, &keys);
    s_kind_key(self, "branches", branches_key, sizeof branches_key);

    /* The branch is recorded in its set first and outside the script: on a Redis Cluster
     * the set lives in another slot than the branch's keys, so one script cannot touch
     * both. Recording it first means a branch that holds ids is always listed; a branch
     * listed but empty is harmless. */
    const char **arg = argv;
    cmds[0] = (queue_command_t){NO_SCRIPT, 3, arg};
    *arg++ = "SADD";
    *arg++ = branches_key;
    *arg++ = branch;
    for (int s = 0; s < nslices; s++) {
        int first = s * QUEUE_PUT_SLICE;
        int count = n - first < QUEUE_PUT_SLICE ? n - first : QUEUE_PUT_SLICE;
        cmds[s + 1] = (queue_command_t){SCRIPT_PUT, 6 + count * 2, arg};
        arg += 2; /* EVALSHA and the sha, filled by s_run() */
        *arg++ = "3";
        *arg++ = keys.due;
        *arg++ = keys.leases;
        *arg++ = keys.dueat;
        for (int i = first; i < first + count; i++) {
            s_format_int64(ids[i], numbers[i * 2]);
            s_format_int64(due_ms[i], numbers[i * 2 + 1]);
            *arg++ = numbers[i * 2];
            *arg++ = numbers[i * 2 + 1];
        }
    }
    int64_t earliest = due_ms[0];
    for (int i = 1; i < n; i++)
        earliest = due_ms[i] < earliest ? due_ms[i] : earliest;
    queue_lower_t lower;
    cmds[ncmds - 1] = s_wake_lower(self, branch, earliest, &lower);
    if (s_run(self, cmds, ncmds, replies) != 0)
        goto cleanup;
    s_free_replies(replies, ncmds);
    rc = 0;
cleanup:
    free(cmds);
    free(replies);
    free(argv);
    free(numbers);
    return rc;
}

int hf_queue_claim(hf_queue_t *self, const char *branch, int64_t now_ms, int64_t lease_ms, int max,
                   int64_t *ids, int64_t *due_ms, int *n)
{
    assert(n && (max <= 0 || ids));
    redisReply *reply = NULL;
    int rc = -1;
    *n = 0;
    if (s_check_branch(self, branch) != 0)
        return -1;
    if (max <= 0)
        return 0;

    queue_keys_t keys;
    char now[QUEUE_NUM_MAX], expiry[QUEUE_NUM_MAX], limit[QUEUE_NUM_MAX];
    s_branch_keys(self, branch, &keys);
    s_format_int64(now_ms, now);
    s_format_int64(now_ms + lease_ms, expiry);
    s_format_int64(max, limit);
    const char *argv[] = {NULL, NULL, "3", keys.due, keys.leases, keys.dueat, now, expiry, limit};
    /* the claim, then the wake index told of the leases it may have taken */
    queue_lower_t lower;
    queue_command_t cmds[2] = {{SCRIPT_CLAIM, 9, argv},
                               s_wake_lower(self, branch, now_ms + lease_ms, &lower)};
    redisReply *replies[2];
    if (s_run(self, cmds, 2, replies) != 0)
        goto cleanup;
    reply = replies[0];
    freeReplyObject(replies[1]);
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements % 2 != 0 ||
        reply->elements / 2 > (size_t)max) {
        s_set_error(self, "claim answered with an unexpected reply");
        goto cleanup;
    }
    /* The ids are claimed by now whatever happens below; one we could not read stays
     * leased until reap returns it, which is the same fate as a claim whose answer was
     * lost on the wire. */
    for (size_t i = 0; i < reply->elements; i += 2) {
        const redisReply *id = reply->element[i];
        const redisReply *due = reply->element[i + 1];
        int64_t id_value, due_value;
        if (id->type != REDIS_REPLY_STRING || due->type != REDIS_REPLY_STRING ||
            s_parse_int64(id->str, &id_value) != 0 || s_parse_int64(due->str, &due_value) != 0) {
            s_set_error(self, "claim answered with an unreadable id or due time");
            goto cleanup;
        }
        ids[*n] = id_value;
        if (due_ms)
            due_ms[*n] = due_value;
        (*n)++;
    }
    rc = 0;
cleanup:
    if (reply)
        freeReplyObject(reply);
    return rc;
}

/* Runs the ack or remove script for one id. */
static int s_drop(hf_queue_t *self, const char *branch, int64_t id, bool everywhere)
{
    if (s_check_branch(self, branch) != 0)
        return -1;
    queue_keys_t keys;
    char member[QUEUE_NUM_MAX];
    s_branch_keys(self, branch, &keys);
    s_format_int64(id, member);
    const char *remove_argv[] = {NULL, NULL, "3", keys.due, keys.leases, keys.dueat, member};
    const char *ack_argv[] = {NULL, NULL, "2", keys.leases, keys.dueat, member};
    queue_command_t cmd = everywhere ? (queue_command_t){SCRIPT_REMOVE, 7, remove_argv}
                                     : (queue_command_t){SCRIPT_ACK, 6, ack_argv};
    redisReply *reply = s_run_one(self, &cmd);
    if (reply == NULL)
        return -1;
    freeReplyObject(reply);
    return 0;
}

int hf_queue_ack(hf_queue_t *self, const char *branch, int64_t id)
{
    return s_drop(self, branch, id, false);
}

int hf_queue_ack_many(hf_queue_t *self, const char *branch, const int64_t *ids, int n)
{
    assert(n <= 0 || ids);
    if (s_check_branch(self, branch) != 0)
        return -1;
    if (n <= 0)
        return 0;
    /* Two plain variadic commands per slice, pipelined: an ack only forgets, so the pair
     * needs no script; a half-done pair leaves at worst a stray "dueat" field that the next
     * claim of the same id overwrites. */
    int nslices = (n + QUEUE_PUT_SLICE - 1) / QUEUE_PUT_SLICE;
    int ncmds = nslices * 2;
    queue_command_t *cmds = calloc((size_t)ncmds, sizeof *cmds);
    redisReply **replies = calloc((size_t)ncmds, sizeof *replies);
    const char **argv = calloc((size_t)ncmds * 2 + (size_t)n * 2, sizeof *argv);
    char(*numbers)[QUEUE_NUM_MAX] = calloc((size_t)n, sizeof *numbers);
    int rc = -1;
    if (cmds == NULL || replies == NULL || argv == NULL || numbers == NULL) {
        s_set_error(self, "could not ack %d ids: out of memory", n);
        goto cleanup;
    }
    queue_keys_t keys;
    s_branch_keys(self, branch, &keys);
    for (int i = 0; i < n; i++)
        s_format_int64(ids[i], numbers[i]);
    const char **arg = argv;
    for (int s = 0; s < nslices; s++) {
        int first = s * QUEUE_PUT_SLICE;
        int count = n - first < QUEUE_PUT_SLICE ? n - first : QUEUE_PUT_SLICE;
        cmds[s * 2] = (queue_command_t){NO_SCRIPT, 2 + count, arg};
        *arg++ = "ZREM";
        *arg++ = keys.leases;
        for (int i = first; i < first + count; i++)
            *arg++ = numbers[i];
        cmds[s * 2 + 1] = (queue_command_t){NO_SCRIPT, 2 + count, arg};
        *arg++ = "HDEL";
        *arg++ = keys.dueat;
        for (int i = first; i < first + count; i++)
            *arg++ = numbers[i];
    }
    if (s_run(self, cmds, ncmds, replies) != 0)
        goto cleanup;
    s_free_replies(replies, ncmds);
    rc = 0;
cleanup:
    free(cmds);
    free(replies);
    free(argv);
    free(numbers);
    return rc;
}

int hf_queue_remove(hf_queue_t *self, const char *branch, int64_t id)
{
    return s_drop(self, branch, id, true);
}

int hf_queue_reap(hf_queue_t *self, const char *branch, int64_t now_ms, int *n)
{
    assert(n);
    *n = 0;
    if (s_check_branch(self, branch) != 0)
        return -1;
    queue_keys_t keys;
    char now[QUEUE_NUM_MAX], limit[QUEUE_NUM_MAX];
    s_branch_keys(self, branch, &keys);
    s_format_int64(now_ms, now);
    s_format_int64(QUEUE_REAP_SLICE, limit);
    const char *argv[] = {NULL, NULL, "3", keys.due, keys.leases, keys.dueat, now, limit};
    queue_command_t cmd = {SCRIPT_REAP, 8, argv};

    /* Slice by slice, so that thousands of leases expired during an outage do not block
     * Redis in one long script. A full slice means there may be more; reaped ids go to the
     * due set, never back to the leases, so the loop ends. */
    for (;;) {
        redisReply *reply = s_run_one(self, &cmd);
        if (reply == NULL)
            return -1;
        int64_t count;
        int rc = s_reply_integer(self, reply, &count);
        freeReplyObject(reply);
        if (rc != 0)
            return -1;
        *n += (int)count;
        if (count < QUEUE_REAP_SLICE)
            break;
    }
    if (*n == 0)
        return 0;
    /* the reaped ids are due again at their old due times, which only the branch's keys
     * know: the hint goes to 0, and the next look at the branch raises it to the truth */
    queue_lower_t lower;
    queue_command_t lower_cmd = s_wake_lower(self, branch, 0, &lower);
    redisReply *reply = s_run_one(self, &lower_cmd);
    if (reply == NULL)
        return -1;
    freeReplyObject(reply);
    return 0;
}

int hf_queue_stats(hf_queue_t *self, const char *branch, int64_t now_ms, int64_t overdue_ms,
                   int64_t *due, int64_t *leased, int64_t *overdue, int64_t *queued)
{
    hf_queue_counts_t c;
    if (hf_queue_stats_many(self, &branch, 1, now_ms, overdue_ms, &c) != 0)
        return -1;
    if (due)
        *due = c.due;
    if (leased)
        *leased = c.leased;
    if (overdue)
        *overdue = c.overdue;
    if (queued)
        *queued = c.queued;
    return 0;
}

/* One count a branch asks: cmd ("ZCOUNT" or "ZCARD") of the branch's due or lease set, with
 * the bounds lo and hi for a ZCOUNT (NULL for a ZCARD). */
typedef struct {
    const char *cmd;
    bool leases;
    const char *lo, *hi;
} queue_count_t;

/* Asks the per counts of each of n branches in one round trip (pipelined) and reads every
 * answer as an integer: values[per * i + k] is count k of branches[i]. Returns 0, or -1 (a
 * bad branch name, Redis failed, an answer not an integer). */
static int s_count_many(hf_queue_t *self, const char *const *branches, int n,
                        const queue_count_t *counts, int per, int64_t *values)
{
    assert(n >= 0 && (n == 0 || (branches && values)));
    for (int i = 0; i < n; i++)
        if (s_check_branch(self, branches[i]) != 0)
            return -1;
    if (n == 0)
        return 0;
    size_t total = (size_t)per * (size_t)n;
    queue_keys_t *keys = malloc(sizeof *keys * (size_t)n);
    const char **argv = malloc(sizeof *argv * 4 * total);
    queue_command_t *cmds = malloc(sizeof *cmds * total);
    redisReply **replies = calloc(total, sizeof *replies);
    int rc = -1;
    if (keys == NULL || argv == NULL || cmds == NULL || replies == NULL) {
        s_set_error(self, "out of memory");
        goto cleanup;
    }
    for (int i = 0; i < n; i++) {
        s_branch_keys(self, branches[i], &keys[i]);
        for (int k = 0; k < per; k++) {
            size_t c = (size_t)per * (size_t)i + (size_t)k;
            const char **v = argv + 4 * c;
            v[0] = counts[k].cmd;
            v[1] = counts[k].leases ? keys[i].leases : keys[i].due;
            v[2] = counts[k].lo;
            v[3] = counts[k].hi;
            cmds[c] = (queue_command_t){NO_SCRIPT, counts[k].lo ? 4 : 2, v};
        }
    }
    if (s_run(self, cmds, (int)total, replies) != 0)
        goto cleanup;
    for (size_t c = 0; c < total; c++)
        if (s_reply_integer(self, replies[c], &values[c]) != 0)
            goto cleanup;
    rc = 0;
cleanup:
    if (replies)
        s_free_replies(replies, (int)total);
    free(replies);
    free(cmds);
    free(argv);
    free(keys);
    return rc;
}

int hf_queue_count_many(hf_queue_t *self, const char *const *branches, int n, int64_t now_ms,
                        int64_t overdue_ms, unsigned fields, hf_queue_counts_t *counts)
{
    char now[QUEUE_NUM_MAX], late[QUEUE_NUM_MAX + 1];
    s_format_int64(now_ms, now);
    /* "(" makes the bound exclusive: overdue means due strictly more than overdue_ms ago. */
    late[0] = '(';
    s_format_int64(now_ms - overdue_ms, late + 1);
    /* in the order of hf_queue_counts_t's fields and of the HF_QUEUE_COUNT_ bits */
    const queue_count_t all[4] = {
        {"ZCOUNT", false, "-inf", now},  /* due now */
        {"ZCARD", true, NULL, NULL},     /* leased */
        {"ZCOUNT", false, "-inf", late}, /* overdue */
        {"ZCARD", false, NULL, NULL},    /* queued */
    };
    /* only the counts asked for go to Redis: the scheduler's gauges use two of the four, and
     * at 1,000 branches of 20,000 tasks each ZCOUNT costs Redis ~15 us */
    queue_count_t asked[4];
    int per = 0, slot[4];
    for (int k = 0; k < 4; k++) {
        slot[k] = -1;
        if (fields & (1u << k)) {
            slot[k] = per;
            asked[per++] = all[k];
        }
    }
    assert(per > 0);
    int64_t *v = malloc(sizeof *v * (size_t)per * (size_t)(n > 0 ? n : 1));
    if (v == NULL) {
        s_set_error(self, "out of memory");
        return -1;
    }
    int rc = s_count_many(self, branches, n, asked, per, v);
    for (int i = 0; rc == 0 && i < n; i++) {
        int64_t c[4];
        for (int k = 0; k < 4; k++)
            c[k] = slot[k] >= 0 ? v[per * i + slot[k]] : -1;
        counts[i] = (hf_queue_counts_t){c[0], c[1], c[2], c[3]};
    }
    free(v);
    return rc;
}

int hf_queue_stats_many(hf_queue_t *self, const char *const *branches, int n, int64_t now_ms,
                        int64_t overdue_ms, hf_queue_counts_t *counts)
{
    return hf_queue_count_many(self, branches, n, now_ms, overdue_ms, HF_QUEUE_COUNT_ALL, counts);
}

/* A caller's branch name and its place in the caller's array, sorted by name to find the
 * branches the wake index names. */
typedef struct {
    const char *name;
    int index;
} queue_named_t;

static int s_compare_named(const void *a, const void *b)
{
    return strcmp(((const queue_named_t *)a)->name, ((const queue_named_t *)b)->name);
}

/* The first score of a "ZRANGE key 0 0 WITHSCORES" answer into *score; false when the set
 * is empty (or the answer unreadable, which the caller treats alike: nothing to wake for). */
static bool s_first_score(const redisReply *reply, int64_t *score)
{
    return reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
           reply->element[1]->type == REDIS_REPLY_STRING &&
           s_parse_int64(reply->element[1]->str, score) == 0;
}

/* Reads the branch set's version and the hints due by now with their versions (wake-read),
 * seeding the index first in a Redis that never had it. With no branch to seed (n is 0) an
 * unseeded index is left so, and its answer holds no hint: seeding with nothing would mark
 * the index ready while branches a caller has yet to list have no hint. Returns the array
 * reply (caller frees): seeded (1 or 0), listed, then branch, version pairs; or NULL, error
 * kept. */
static redisReply *s_wake_read(hf_queue_t *self, const queue_wake_keys_t *wk, const char *now,
                               const char *const *branches, int n)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        const char *argv[] = {NULL, NULL, "4", wk->hints, wk->versions, wk->ready, wk->listed, now};
        queue_command_t cmd = {SCRIPT_WAKE_READ, 8, argv};
        redisReply *seen = s_run_one(self, &cmd);
        if (seen == NULL)
            return NULL;
        bool readable = seen->type == REDIS_REPLY_ARRAY && seen->elements >= 2 &&
                        seen->elements % 2 == 0 && seen->element[0]->type == REDIS_REPLY_INTEGER &&
                        seen->element[1]->type == REDIS_REPLY_INTEGER;
        if (readable && (seen->element[0]->integer == 1 || n == 0))
            return seen;
        freeReplyObject(seen);
        if (!readable || attempt > 0)
            break;
        /* flushed, or filled by a version without the index: every branch asked about is
         * looked at once */
        const char **seed = malloc(sizeof *seed * ((size_t)n + 5));
        if (seed == NULL) {
            s_set_error(self, "out of memory");
            return NULL;
        }
        seed[0] = seed[1] = NULL;
        seed[2] = "2";
        seed[3] = wk->hints;
        seed[4] = wk->ready;
        for (int i = 0; i < n; i++)
            seed[5 + i] = branches[i];
        queue_command_t seed_cmd = {SCRIPT_WAKE_SEED, n + 5, seed};
        redisReply *seeded = s_run_one(self, &seed_cmd);
        free(seed);
        if (seeded == NULL)
            return NULL;
        freeReplyObject(seeded);
        hf_info("queue_wake_seeded", "kind=%s branches=%d", self->kind, n);
    }
    s_set_error(self, "the wake index answered with an unexpected reply");
    return NULL;
}

/* hf_queue_waiting, and the branch set's version into *listed when listed is not NULL (then
 * Redis is asked even for no branch). */
static int s_waiting(hf_queue_t *self, const char *const *branches, int n, int64_t now_ms,
                     int *what, int64_t *listed)
{
    assert(n >= 0 && (n == 0 || (branches && what)));
    for (int i = 0; i < n; i++)
        what[i] = 0;
    for (int i = 0; i < n; i++)
        if (s_check_branch(self, branches[i]) != 0)
            return -1;
    if (n == 0 && listed == NULL)
        return 0;
    queue_wake_keys_t wk;
    s_wake_keys(self, &wk);
    char now[QUEUE_NUM_MAX];
    s_format_int64(now_ms, now);
    queue_named_t *named = malloc(sizeof *named * (size_t)(n > 0 ? n : 1));
    if (named == NULL) {
        s_set_error(self, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++)
        named[i] = (queue_named_t){branches[i], i};
    qsort(named, (size_t)n, sizeof *named, s_compare_named);

    /* 1: the branches whose hint is due, with their versions (one command) */
    redisReply *seen = s_wake_read(self, &wk, now, branches, n);
    size_t nseen = seen ? seen->elements / 2 - 1 : 0; /* past seeded and listed */
    /* 2: each one's earliest due id and lease (two commands each, one round trip) */
    int *found = malloc(sizeof *found * (nseen > 0 ? nseen : 1));
    const char **version = malloc(sizeof *version * (nseen > 0 ? nseen : 1));
    queue_keys_t *keys = malloc(sizeof *keys * (nseen > 0 ? nseen : 1));
    const char **argv = malloc(sizeof *argv * 10 * (nseen > 0 ? nseen : 1));
    queue_command_t *cmds = malloc(sizeof *cmds * 2 * (nseen > 0 ? nseen : 1));
    redisReply **replies = calloc(2 * (nseen > 0 ? nseen : 1), sizeof *replies);
    /* 3: the raises, branch, version, hint triples */
    const char **raise = malloc(sizeof *raise * (5 + 3 * nseen));
    char(*hints)[QUEUE_NUM_MAX] = malloc(sizeof *hints * (nseen > 0 ? nseen : 1));
    int rc = -1, nfound = 0;
    if (seen == NULL)
        goto cleanup;
    if (!found || !version || !keys || !argv || !cmds || !replies || !raise || !hints) {
        s_set_error(self, "out of memory");
        goto cleanup;
    }
    for (size_t k = 0; k < nseen; k++) {
        const redisReply *b = seen->element[2 + 2 * k], *v = seen->element[3 + 2 * k];
        if (b->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        queue_named_t key = {b->str, 0};
        const queue_named_t *hit = bsearch(&key, named, (size_t)n, sizeof *named, s_compare_named);
        if (hit == NULL)
            continue; /* a branch this caller does not serve: its hint is left as it is */
        found[nfound] = hit->index;
        version[nfound] = v->str;
        s_branch_keys(self, hit->name, &keys[nfound]);
        const char **a = argv + 10 * nfound;
        const char *sets[2] = {keys[nfound].due, keys[nfound].leases};
        for (int s = 0; s < 2; s++) {
            const char **c = a + 5 * s;
            c[0] = "ZRANGE";
            c[1] = sets[s];
            c[2] = "0";
            c[3] = "0";
            c[4] = "WITHSCORES";
            cmds[2 * nfound + s] = (queue_command_t){NO_SCRIPT, 5, c};
        }
        nfound++;
    }
    if (nfound > 0 && s_run(self, cmds, 2 * nfound, replies) != 0)
        goto cleanup;
    if (nfound > 0 && self->look_hook)
        self->look_hook(self->look_arg);
    int nraise = 0;
    raise[0] = raise[1] = NULL;
    raise[2] = "2";
    raise[3] = wk.hints;
    raise[4] = wk.versions;
    const char **r = raise + 5; /* the triples */
    for (int k = 0; k < nfound; k++) {
        int64_t due = 0, expiry = 0;
        bool has_due = s_first_score(replies[2 * k], &due);
        bool has_lease = s_first_score(replies[2 * k + 1], &expiry);
        int i = found[k];
        what[i] = (has_due && due <= now_ms ? HF_QUEUE_DUE : 0) |
                  (has_lease && expiry <= now_ms ? HF_QUEUE_EXPIRED : 0);
        if (what[i] != 0)
            continue; /* the hint is due and stays so: the branch is looked at again */
        /* nothing waits now: the hint goes to when something will (or away) */
        int64_t earliest = has_due && (!has_lease || due < expiry) ? due : expiry;
        if (has_due || has_lease)
            s_format_int64(earliest, hints[nraise]);
        else
            hints[nraise][0] = '\0';
        *r++ = branches[i];
        *r++ = version[k];
        *r++ = hints[nraise];
        nraise++;
    }
    if (nraise > 0) {
        queue_command_t cmd = {SCRIPT_WAKE_RAISE, 5 + 3 * nraise, raise};
        redisReply *raised = s_run_one(self, &cmd);
        if (raised == NULL)
            goto cleanup;
        freeReplyObject(raised);
    }
    if (listed)
        *listed = seen->element[1]->integer;
    rc = 0;
cleanup:
    if (rc != 0)
        for (int i = 0; i < n; i++)
            what[i] = 0;
    if (replies)
        s_free_replies(replies, 2 * nfound);
    free(replies);
    free(cmds);
    free(argv);
    free(keys);
    free(version);
    free(found);
    free(raise);
    free(hints);
    free(named);
    if (seen)
        freeReplyObject(seen);
    return rc;
}

int hf_queue_waiting(hf_queue_t *self, const char *const *branches, int n, int64_t now_ms,
                     int *what)
{
    return s_waiting(self, branches, n, now_ms, what, NULL);
}

int hf_queue_waiting_listed(hf_queue_t *self, const char *const *branches, int n, int64_t now_ms,
                            int *what, int64_t *listed)
{
    assert(listed);
    return s_waiting(self, branches, n, now_ms, what, listed);
}

static int s_compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int hf_queue_branches(hf_queue_t *self, char ***branches)
{
    assert(branches);
    *branches = NULL;
    char key[QUEUE_KEY_MAX];
    s_kind_key(self, "branches", key, sizeof key);
    const char *argv[] = {"SMEMBERS", key};
    queue_command_t cmd = {NO_SCRIPT, 2, argv};
    char **list = NULL;
    int count = 0;
    int rc = -1;
    redisReply *reply = s_run_one(self, &cmd);
    if (reply == NULL)
        goto cleanup;
    if (reply->type != REDIS_REPLY_ARRAY) {
        s_set_error(self, "redis answered SMEMBERS with an unexpected reply type %d", reply->type);
        goto cleanup;
    }
    /* One more slot than needed, so that the array is never NULL and ends with NULL for
     * callers who prefer to walk it. */
    list = calloc(reply->elements + 1, sizeof *list);
    if (list == NULL)
        goto oom;
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *member = reply->element[i];
        if (member->type != REDIS_REPLY_STRING)
            continue;
        list[count] = strdup(member->str);
        if (list[count] == NULL)
            goto oom;
        count++;
    }
    /* Sorted, so that callers walk the branches in the same order every time. */
    qsort(list, (size_t)count, sizeof *list, s_compare_strings);
    *branches = list;
    list = NULL;
    rc = count;
    goto cleanup;
oom:
    s_set_error(self, "could not list branches: out of memory");
cleanup:
    if (list) {
        for (int i = 0; i < count; i++)
            free(list[i]);
        free(list);
    }
    if (reply)
        freeReplyObject(reply);
    return rc;
}

int hf_queue_epoch_ok(hf_queue_t *self, bool *ok)
{
    assert(ok);
    *ok = false;
    if (self->master_changes != self->master_changes_seen) {
        /* a failover: the promoted replica may miss the last acknowledged writes */
        self->master_changes_seen = self->master_changes;
        return 0;
    }
    char key[QUEUE_KEY_MAX];
    s_kind_key(self, "epoch", key, sizeof key);
    const char *argv[] = {"EXISTS", key};
    queue_command_t cmd = {NO_SCRIPT, 2, argv};
    redisReply *reply = s_run_one(self, &cmd);
    if (reply == NULL)
        return -1;
    int64_t exists;
    int rc = s_reply_integer(self, reply, &exists);
    freeReplyObject(reply);
    if (rc == 0)
        *ok = exists > 0;
    return rc;
}

int hf_queue_mark_epoch(hf_queue_t *self)
{
    /* Only the key's presence matters; its value, the time of the rebuild, is for people
     * looking at Redis by hand. */
    char key[QUEUE_KEY_MAX], value[QUEUE_NUM_MAX];
    s_kind_key(self, "epoch", key, sizeof key);
    s_format_int64(hf_clock_now_ms(), value);
    const char *argv[] = {"SET", key, value};
    queue_command_t cmd = {NO_SCRIPT, 3, argv};
    redisReply *reply = s_run_one(self, &cmd);
    if (reply == NULL)
        return -1;
    freeReplyObject(reply);
    return 0;
}

int hf_queue_clear(hf_queue_t *self, const char *branch)
{
    if (s_check_branch(self, branch) != 0)
        return -1;
    /* The branch stays in the branch set: clear comes before a rebuild, which puts into
     * it again, and the set promises only branches that have ever been put into. */
    queue_keys_t keys;
    s_branch_keys(self, branch, &keys);
    const char *argv[] = {"DEL", keys.due, keys.leases, keys.dueat};
    queue_command_t cmd = {NO_SCRIPT, 4, argv};
    redisReply *reply = s_run_one(self, &cmd);
    if (reply == NULL)
        return -1;
    freeReplyObject(reply);
    return 0;
}
