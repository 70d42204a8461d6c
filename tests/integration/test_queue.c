/* test_queue: hf_queue against a real Redis (HUIFANG_TEST_REDIS_URL). Each section states
 * one promise of the queue. Times are small made-up UTC ms values, because the queue takes
 * every time from its caller. The kind "qtest" belongs to this test alone, and the parts
 * that wipe a whole database do it in a database of their own, so that other tests sharing
 * the Redis are left alone. */
#include "hf_clock.h"
#include "hf_queue.h"
#include "hf_test.h"
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define KIND "qtest"
#define CLIENT_NAME "huifang-queue-" KIND
#define MANY 2000
#define CHILDREN 4

static char s_host[256];
static int s_port = 6379;
static int s_db = 0;

/* ---- a raw connection, for doing to Redis what an operator or an outage would ---- */

static char s_password[256];

/* redis://[:password@]host:port/db, as tests/run.sh gives it */
static void s_parse_test_url(const char *url)
{
    const char *at = strrchr(url, '@');
    if (at && strncmp(url, "redis://:", 9) == 0) {
        snprintf(s_password, sizeof s_password, "%.*s", (int)(at - url - 9), url + 9);
        static char rest[512];
        snprintf(rest, sizeof rest, "redis://%s", at + 1);
        url = rest;
    }
    if (sscanf(url, "redis://%255[^:/]:%d/%d", s_host, &s_port, &s_db) < 1) {
        fprintf(stderr, "cannot read HUIFANG_TEST_REDIS_URL %s\n", url);
        exit(2);
    }
}

static redisContext *s_raw_connect(int db)
{
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout(s_host, s_port, tv);
    if (c == NULL || c->err) {
        fprintf(stderr, "could not connect raw to redis: %s\n", c ? c->errstr : "oom");
        exit(2);
    }
    redisReply *r;
    if (s_password[0]) {
        r = redisCommand(c, "AUTH %s", s_password);
        if (r == NULL || r->type == REDIS_REPLY_ERROR) {
            fprintf(stderr, "redis refused the test password\n");
            exit(2);
        }
        freeReplyObject(r);
    }
    r = redisCommand(c, "SELECT %d", db);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "could not select db %d\n", db);
        exit(2);
    }
    freeReplyObject(r);
    return c;
}

/* Runs a command on the raw connection; returns 0 unless it failed. */
static int s_raw(redisContext *c, const char *command)
{
    redisReply *r = redisCommand(c, command);
    int rc = (r == NULL || r->type == REDIS_REPLY_ERROR) ? -1 : 0;
    if (r)
        freeReplyObject(r);
    return rc;
}

static long long s_raw_integer(redisContext *c, const char *command)
{
    redisReply *r = redisCommand(c, command);
    long long value = (r && r->type == REDIS_REPLY_INTEGER) ? r->integer : -1;
    if (r)
        freeReplyObject(r);
    return value;
}

/* Kills every connection a queue of kind "qtest" holds, found by the name it gives itself,
 * so that other clients of the same Redis keep theirs. Returns how many were killed. */
static int s_kill_queue_links(redisContext *c)
{
    int killed = 0;
    redisReply *list = redisCommand(c, "CLIENT LIST");
    if (list == NULL || list->type != REDIS_REPLY_STRING) {
        if (list)
            freeReplyObject(list);
        return -1;
    }
    for (char *line = list->str; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        long long id;
        if (strstr(line, " name=" CLIENT_NAME " ") && sscanf(line, "id=%lld", &id) == 1) {
            redisReply *r = redisCommand(c, "CLIENT KILL ID %lld", id);
            if (r && r->type == REDIS_REPLY_INTEGER)
                killed += (int)r->integer;
            if (r)
                freeReplyObject(r);
        }
        line = next;
    }
    freeReplyObject(list);
    return killed;
}

static void s_stats(hf_queue_t *q, const char *branch, int64_t now, int64_t overdue_ms,
                    int64_t want_due, int64_t want_leased, int64_t want_overdue,
                    int64_t want_queued, int line)
{
    int64_t due = -1, leased = -1, overdue = -1, queued = -1;
    if (hf_queue_stats(q, branch, now, overdue_ms, &due, &leased, &overdue, &queued) != 0) {
        fprintf(stderr, "line %d: stats failed: %s\n", line, hf_queue_error(q));
        hf_test_failures++;
        return;
    }
    if (due != want_due || leased != want_leased || overdue != want_overdue ||
        queued != want_queued) {
        fprintf(stderr,
                "line %d: stats due=%" PRId64 " leased=%" PRId64 " overdue=%" PRId64
                " queued=%" PRId64 ", want %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 "\n",
                line, due, leased, overdue, queued, want_due, want_leased, want_overdue,
                want_queued);
        hf_test_failures++;
    }
}
#define STATS(q, b, now, od, d, l, o, qd) s_stats(q, b, now, od, d, l, o, qd, __LINE__)

/* ---- the promises ---- */

/* Claims hand out ids due at or before now, oldest first, at most max at a time, and a
 * claimed id is leased: nobody can claim it again until it comes back. */
static void test_claim_order(hf_queue_t *q)
{
    const char *b = "QT01";
    int64_t ids[10], due[10];
    int n = -1;
    CHECK_INT(hf_queue_clear(q, b), 0);
    CHECK_INT(hf_queue_put(q, b, 101, 3000), 0);
    CHECK_INT(hf_queue_put(q, b, 102, 1000), 0);
    CHECK_INT(hf_queue_put(q, b, 103, 2000), 0);
    CHECK_INT(hf_queue_put(q, b, 104, 9000), 0);
    CHECK_INT(hf_queue_put(q, b, 105, 5000), 0);

    CHECK_INT(hf_queue_claim(q, b, 4999, 1000, 10, ids, due, &n), 0);
    CHECK_INT(n, 3);
    CHECK_INT(ids[0], 102);
    CHECK_INT(due[0], 1000);
    CHECK_INT(ids[1], 103);
    CHECK_INT(due[1], 2000);
    CHECK_INT(ids[2], 101);
    CHECK_INT(due[2], 3000);

    /* leased ids are not claimable again; 104 is still in the future */
    CHECK_INT(hf_queue_claim(q, b, 5000, 1000, 10, ids, due, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(ids[0], 105); /* due exactly now counts as due */
    CHECK_INT(hf_queue_claim(q, b, 8999, 1000, 10, ids, NULL, &n), 0);
    CHECK_INT(n, 0);

    /* max caps a claim and the rest wait for the next one */
    CHECK_INT(hf_queue_clear(q, b), 0);
    for (int i = 0; i < 5; i++)
        CHECK_INT(hf_queue_put(q, b, 110 + i, 100 * (5 - i)), 0);
    CHECK_INT(hf_queue_claim(q, b, 1000, 1000, 2, ids, due, &n), 0);
    CHECK_INT(n, 2);
    CHECK_INT(ids[0], 114);
    CHECK_INT(ids[1], 113);
    CHECK_INT(hf_queue_claim(q, b, 1000, 1000, 0, ids, due, &n), 0);
    CHECK_INT(n, 0);
    CHECK_INT(hf_queue_claim(q, b, 1000, 1000, 10, ids, due, &n), 0);
    CHECK_INT(n, 3);
    CHECK_INT(ids[0], 112);
    CHECK_INT(ids[2], 110);
    CHECK_INT(due[2], 500);

    /* millisecond timestamps of today survive the trip through scores exactly */
    int64_t now = 1767225600123; /* 2026-01-01T00:00:00.123Z */
    CHECK_INT(hf_queue_clear(q, b), 0);
    CHECK_INT(hf_queue_put(q, b, 9007199254740993LL - 2, now), 0);
    CHECK_INT(hf_queue_claim(q, b, now, 60000, 10, ids, due, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(ids[0], 9007199254740991LL);
    CHECK_INT(due[0], now);
    CHECK_INT(hf_queue_reap(q, b, now + 59999, &n), 0);
    CHECK_INT(n, 0);
    CHECK_INT(hf_queue_reap(q, b, now + 60000, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(hf_queue_clear(q, b), 0);
}

/* Stats count what is due now, what is leased, what is overdue by more than a margin, and
 * everything waiting. */
static void test_stats(hf_queue_t *q)
{
    const char *b = "QT01";
    int64_t ids[4];
    int n;
    CHECK_INT(hf_queue_clear(q, b), 0);
    STATS(q, b, 3000, 500, 0, 0, 0, 0);
    CHECK_INT(hf_queue_put(q, b, 201, 1000), 0);
    CHECK_INT(hf_queue_put(q, b, 202, 2000), 0);
    CHECK_INT(hf_queue_put(q, b, 203, 2500), 0);
    CHECK_INT(hf_queue_put(q, b, 204, 8000), 0);
    CHECK_INT(hf_queue_claim(q, b, 1500, 1000, 1, ids, NULL, &n), 0);
    CHECK_INT(ids[0], 201);
    /* due at or before 3000: 202, 203; overdue means due before 3000 - 500 = 2500 */
    STATS(q, b, 3000, 500, 2, 1, 1, 3);
    STATS(q, b, 3000, 0, 2, 1, 2, 3);
    STATS(q, b, 9000, 0, 3, 1, 3, 3);
    CHECK_INT(hf_queue_stats(q, b, 3000, 0, NULL, NULL, NULL, NULL), 0);

    /* ack drops the lease and nothing comes back from it */
    CHECK_INT(hf_queue_ack(q, b, 201), 0);
    STATS(q, b, 3000, 500, 2, 0, 1, 3);
    CHECK_INT(hf_queue_reap(q, b, 1000000, &n), 0);
    CHECK_INT(n, 0);
    CHECK_INT(hf_queue_clear(q, b), 0);
    STATS(q, b, 3000, 500, 0, 0, 0, 0);
}

/* An expired lease returns its id at the due time it had when it was claimed, so the
 * queue's order survives a scheduler that died holding work. */
static void test_reap_keeps_due_order(hf_queue_t *q)
{
    const char *b = "QT01";
    int64_t ids[10], due[10];
    int n;
    CHECK_INT(hf_queue_clear(q, b), 0);
    CHECK_INT(hf_queue_put(q, b, 301, 1000), 0);
    CHECK_INT(hf_queue_put(q, b, 302, 2000), 0);
    CHECK_INT(hf_queue_put(q, b, 303, 3000), 0);
    CHECK_INT(hf_queue_put(q, b, 304, 500), 0);
    CHECK_INT(hf_queue_claim(q, b, 2000, 2000, 10, ids, due, &n), 0); /* leases until 4000 */
    CHECK_INT(n, 3);
    CHECK_INT(hf_queue_put(q, b, 305, 1500), 0); /* newer, but due between two leased ids */

    CHECK_INT(hf_queue_reap(q, b, 3999, &n), 0);
    CHECK_INT(n, 0);
    STATS(q, b, 4000, 0, 2, 3, 2, 2);
    CHECK_INT(hf_queue_reap(q, b, 4000, &n), 0);
    CHECK_INT(n, 3);
    STATS(q, b, 4000, 0, 5, 0, 5, 5);

    CHECK_INT(hf_queue_claim(q, b, 4000, 1000, 10, ids, due, &n), 0);
    CHECK_INT(n, 5);
    int64_t want_ids[5] = {304, 301, 305, 302, 303};
    int64_t want_due[5] = {500, 1000, 1500, 2000, 3000};
    for (int i = 0; i < 5 && i < n; i++) {
        CHECK_INT(ids[i], want_ids[i]);
        CHECK_INT(due[i], want_due[i]);
    }
    CHECK_INT(hf_queue_clear(q, b), 0);
}

/* Putting a leased id moves it back to the due set at its new time, and its old lease is
 * gone: reap will not return it a second time. Remove forgets an id wherever it is. */
static void test_put_leased_and_remove(hf_queue_t *q)
{
    const char *b = "QT01";
    int64_t ids[10], due[10];
    int n;
    CHECK_INT(hf_queue_clear(q, b), 0);
    CHECK_INT(hf_queue_put(q, b, 401, 1000), 0);
    CHECK_INT(hf_queue_claim(q, b, 1000, 1000, 10, ids, due, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(hf_queue_put(q, b, 401, 7000), 0);
    STATS(q, b, 7000, 0, 1, 0, 0, 1);
    CHECK_INT(hf_queue_reap(q, b, 100000, &n), 0);
    CHECK_INT(n, 0);
    CHECK_INT(hf_queue_claim(q, b, 6999, 1000, 10, ids, due, &n), 0);
    CHECK_INT(n, 0);
    CHECK_INT(hf_queue_claim(q, b, 7000, 1000, 10, ids, due, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(ids[0], 401);
    CHECK_INT(due[0], 7000);
    /* a reaped id comes back at its latest due time, not at the one before the move */
    CHECK_INT(hf_queue_reap(q, b, 8000, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(hf_queue_claim(q, b, 8000, 1000, 10, ids, due, &n), 0);
    CHECK_INT(due[0], 7000);

    /* remove: one id leased, one due, and one the queue never heard of */
    CHECK_INT(hf_queue_put(q, b, 402, 1000), 0);
    STATS(q, b, 9000, 0, 1, 1, 1, 1);
    CHECK_INT(hf_queue_remove(q, b, 401), 0);
    CHECK_INT(hf_queue_remove(q, b, 402), 0);
    CHECK_INT(hf_queue_remove(q, b, 499), 0);
    STATS(q, b, 9000, 0, 0, 0, 0, 0);
    CHECK_INT(hf_queue_reap(q, b, 100000, &n), 0);
    CHECK_INT(n, 0);
}

/* Branches keep to themselves, and the branch set lists every branch put into. */
static void test_branches(hf_queue_t *q)
{
    int64_t ids[4];
    int n;
    CHECK_INT(hf_queue_clear(q, "QT01"), 0);
    CHECK_INT(hf_queue_clear(q, "QT02"), 0);
    CHECK_INT(hf_queue_put(q, "QT01", 501, 1000), 0);
    CHECK_INT(hf_queue_put(q, "QT02", 502, 1000), 0);
    CHECK_INT(hf_queue_claim(q, "QT02", 1000, 1000, 4, ids, NULL, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(ids[0], 502);

    char **branches = NULL;
    int count = hf_queue_branches(q, &branches);
    CHECK(count >= 2);
    CHECK(branches != NULL);
    bool seen1 = false, seen2 = false;
    for (int i = 0; i < count; i++) {
        seen1 = seen1 || strcmp(branches[i], "QT01") == 0;
        seen2 = seen2 || strcmp(branches[i], "QT02") == 0;
        if (i > 0)
            CHECK(strcmp(branches[i - 1], branches[i]) < 0);
    }
    for (int i = 0; i < count; i++)
        free(branches[i]);
    free(branches);
    CHECK(seen1);
    CHECK(seen2);
    CHECK_INT(hf_queue_clear(q, "QT01"), 0);
    CHECK_INT(hf_queue_clear(q, "QT02"), 0);
}

/* Bad input fails cleanly with a reason, and an unreachable Redis is an error, not a hang
 * or a crash. */
static void test_bad_input(hf_queue_t *q)
{
    int n;
    int64_t ids[1];
    CHECK_INT(hf_queue_put(q, "QT{1}", 1, 1000), -1);
    CHECK(strstr(hf_queue_error(q), "invalid branch") != NULL);
    CHECK_INT(hf_queue_claim(q, "", 1000, 1000, 1, ids, NULL, &n), -1);
    CHECK_INT(hf_queue_put(q, "QT01", 1, 1000), 0);
    CHECK_STR(hf_queue_error(q), "");
    CHECK_INT(hf_queue_remove(q, "QT01", 1), 0);

    const char *bad_urls[] = {
        "http://localhost:6379", /* another scheme */
        "redis://",              /* no host */
        "redis://h:0",           /* port out of range */
        "redis://h:70000",       /* port out of range */
        "redis://h:1/x",         /* database not a number */
        "redis://secret@h:1",    /* a user without a password */
        "redis://:@h:1",         /* an empty password */
        "redis://h:1/2/3",       /* trailing path */
    };
    for (size_t i = 0; i < sizeof bad_urls / sizeof *bad_urls; i++) {
        hf_queue_t *bad = hf_queue_new(bad_urls[i], KIND);
        CHECK_INT(hf_queue_connect(bad), -1);
        CHECK(strstr(hf_queue_error(bad), "invalid redis url") != NULL);
        hf_queue_destroy(&bad);
        CHECK(bad == NULL);
    }
    hf_queue_destroy(NULL);

    hf_queue_t *bad = hf_queue_new("redis://127.0.0.1:6379", "no{kind}");
    CHECK_INT(hf_queue_put(bad, "QT01", 1, 1), -1);
    CHECK(strstr(hf_queue_error(bad), "invalid queue kind") != NULL);
    hf_queue_destroy(&bad);

    /* port 1 on loopback refuses at once */
    hf_queue_t *down = hf_queue_new("redis://127.0.0.1:1/0", KIND);
    CHECK_INT(hf_queue_put(down, "QT01", 1, 1000), -1);
    CHECK(strstr(hf_queue_error(down), "could not connect") != NULL);
    bool ok = true;
    CHECK_INT(hf_queue_epoch_ok(down, &ok), -1);
    CHECK(!ok);
    hf_queue_destroy(&down);
}

/* Redis Sentinel settings: a malformed list or name is refused at once and every later call
 * says why; sentinels that do not answer, or a server that is no sentinel (the test Redis:
 * "unknown command"), give a clean -1 naming the master, never a connection to the url. */
static void test_sentinel_bad_input(void)
{
    static const char *const bad_lists[] = {
        "127.0.0.1",        /* no port */
        "127.0.0.1:0",      /* port out of range */
        "127.0.0.1:26379x", /* trailing junk */
        ":26379",           /* no host */
        "h:1,,h:2",         /* an empty item */
        "h:1,h:2,h:3,h:4,h:5,h:6,h:7,h:8,h:9,h:10,h:11,h:12,h:13,h:14,h:15,h:16,h:17", /* 17 */
    };
    for (size_t i = 0; i < sizeof bad_lists / sizeof *bad_lists; i++) {
        hf_queue_t *q = hf_queue_new("redis://127.0.0.1:1/0", KIND);
        CHECK_INT(hf_queue_set_sentinels(q, bad_lists[i], "huifang"), -1);
        CHECK_INT(hf_queue_connect(q), -1);
        CHECK(strstr(hf_queue_error(q), "invalid redis sentinels") != NULL);
        hf_queue_destroy(&q);
    }
    hf_queue_t *q = hf_queue_new("redis://127.0.0.1:1/0", KIND);
    CHECK_INT(hf_queue_set_sentinels(q, "127.0.0.1:1", ""), -1); /* no master name */
    hf_queue_destroy(&q);
    /* "" keeps the url's host */
    q = hf_queue_new("redis://127.0.0.1:1/0", KIND);
    CHECK_INT(hf_queue_set_sentinels(q, "", "huifang"), 0);
    CHECK_INT(hf_queue_connect(q), -1);
    CHECK(strstr(hf_queue_error(q), "could not connect to redis at 127.0.0.1:1") != NULL);
    hf_queue_destroy(&q);
    /* nobody listening, then a server that is no sentinel: both asked, the last reason kept */
    char list[300];
    snprintf(list, sizeof list, "127.0.0.1:1,[%s]:%d", s_host, s_port);
    if (strchr(s_host, ':') == NULL)
        snprintf(list, sizeof list, "127.0.0.1:1,%s:%d", s_host, s_port);
    q = hf_queue_new("redis://127.0.0.1:1/0", KIND);
    CHECK_INT(hf_queue_set_sentinels(q, list, "huifang"), 0);
    CHECK_INT(hf_queue_put(q, "QT01", 1, 1000), -1);
    CHECK(strstr(hf_queue_error(q), "no redis sentinel named a usable master huifang (2 asked") !=
          NULL);
    CHECK(strstr(hf_queue_error(q), "refused") != NULL);
    bool ok = true;
    CHECK_INT(hf_queue_epoch_ok(q, &ok), -1);
    CHECK(!ok);
    hf_queue_destroy(&q);
}

/* The epoch key tells a flushed Redis from one that still holds the last rebuild. This
 * runs in a database of its own because it flushes it, and it also shows that the
 * database in the url is the one used. */
static void test_epoch(void)
{
    int db = s_db == 14 ? 15 : 14;
    char url[400];
    snprintf(url, sizeof url, "redis://%s:%d/%d", s_host, s_port, db);
    hf_queue_t *q = hf_queue_new(url, KIND);
    hf_queue_set_password(q, s_password);
    redisContext *raw = s_raw_connect(db);
    CHECK_INT(s_raw(raw, "FLUSHDB"), 0);
    bool ok = true;
    CHECK_INT(hf_queue_epoch_ok(q, &ok), 0);
    CHECK(!ok);
    CHECK_INT(hf_queue_mark_epoch(q), 0);
    CHECK_INT(hf_queue_epoch_ok(q, &ok), 0);
    CHECK(ok);
    CHECK_INT(s_raw_integer(raw, "DBSIZE"), 1);
    CHECK_INT(s_raw(raw, "FLUSHDB"), 0);
    CHECK_INT(hf_queue_epoch_ok(q, &ok), 0);
    CHECK(!ok);
    CHECK_INT(hf_queue_mark_epoch(q), 0);
    CHECK_INT(hf_queue_epoch_ok(q, &ok), 0);
    CHECK(ok);
    CHECK_INT(s_raw(raw, "FLUSHDB"), 0);
    redisFree(raw);
    hf_queue_destroy(&q);
}

/* A Redis that forgot its scripts (restart, SCRIPT FLUSH) costs one reload, not an error. */
static void test_noscript(hf_queue_t *q, redisContext *raw)
{
    const char *b = "QT01";
    int64_t ids[4];
    int n;
    CHECK_INT(hf_queue_clear(q, b), 0);
    CHECK_INT(hf_queue_put(q, b, 601, 1000), 0);
    CHECK_INT(s_raw(raw, "SCRIPT FLUSH"), 0);
    CHECK_INT(hf_queue_claim(q, b, 1000, 1000, 4, ids, NULL, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(s_raw(raw, "SCRIPT FLUSH"), 0);
    int64_t more_ids[3] = {602, 603, 604}, more_due[3] = {3, 2, 1};
    CHECK_INT(hf_queue_put_many(q, b, more_ids, more_due, 3), 0);
    STATS(q, b, 1000, 0, 3, 1, 3, 3);
    CHECK_INT(hf_queue_clear(q, b), 0);
}

/* A killed connection is noticed and replaced by the next operation. */
static void test_reconnect(hf_queue_t *q, redisContext *raw)
{
    const char *b = "QT01";
    int64_t ids[4];
    int n;
    CHECK_INT(hf_queue_clear(q, b), 0);
    CHECK_INT(hf_queue_put(q, b, 701, 1000), 0);
    CHECK_INT(s_kill_queue_links(raw), 1);
    CHECK_INT(hf_queue_claim(q, b, 1000, 1000, 4, ids, NULL, &n), 0);
    CHECK_INT(n, 1);
    CHECK_STR(hf_queue_error(q), "");
    for (int i = 0; i < 3; i++) {
        CHECK_INT(s_kill_queue_links(raw), 1);
        STATS(q, b, 1000, 0, 0, 1, 0, 0);
    }
    /* an explicit connect replaces a healthy link too */
    CHECK_INT(hf_queue_connect(q), 0);
    CHECK_INT(hf_queue_ack(q, b, 701), 0);
    STATS(q, b, 1000, 0, 0, 0, 0, 0);
}

/* A Redis with a password (tests/run.sh starts one): no password is NOAUTH, a wrong one is
 * refused, both with a message saying so; the password given apart from the url works, and
 * a reconnect (test_reconnect) authenticates again. Skipped without a password. */
static void test_password(void)
{
    if (s_password[0] == '\0') {
        fprintf(stderr, "test_password: HUIFANG_TEST_REDIS_URL has no password; skipped\n");
        return;
    }
    char bare[512];
    snprintf(bare, sizeof bare, "redis://%s:%d/%d", s_host, s_port, s_db);
    hf_queue_t *none = hf_queue_new(bare, KIND);
    CHECK_INT(hf_queue_connect(none), -1);
    CHECK(strstr(hf_queue_error(none), "wants a password") != NULL);
    CHECK_INT(hf_queue_put(none, "QT01", 1, 1000), -1);
    hf_queue_destroy(&none);

    hf_queue_t *wrong = hf_queue_new(bare, KIND);
    hf_queue_set_password(wrong, "not-the-password");
    CHECK_INT(hf_queue_connect(wrong), -1);
    CHECK(strstr(hf_queue_error(wrong), "refused the password") != NULL);
    hf_queue_destroy(&wrong);

    hf_queue_t *right = hf_queue_new(bare, KIND);
    hf_queue_set_password(right, s_password);
    CHECK_INT(hf_queue_connect(right), 0);
    CHECK_INT(hf_queue_clear(right, "QT01"), 0);
    hf_queue_destroy(&right);
}

/* A command that times out in flight (Redis stalls past the 2 s timeout) is retried once
 * on a fresh connection. CLIENT PAUSE stalls the whole server, so the pause is kept short:
 * it holds other clients of this Redis up for 2.5 s at most. */
static void test_timeout_retry(hf_queue_t *q, redisContext *raw)
{
    const char *b = "QT01";
    CHECK_INT(hf_queue_clear(q, b), 0);
    CHECK_INT(s_raw(raw, "CLIENT PAUSE 2500 WRITE"), 0);
    int64_t start = hf_clock_mono_ms();
    CHECK_INT(hf_queue_put(q, b, 801, 1000), 0);
    int64_t took = hf_clock_mono_ms() - start;
    CHECK(took >= 2000); /* the first attempt really timed out */
    CHECK(took < 6000);
    STATS(q, b, 1000, 0, 1, 0, 0, 1);
    CHECK_INT(hf_queue_clear(q, b), 0);
}

/* Claims from competing processes hand out every id exactly once. */
static void test_concurrent_claims(hf_queue_t *q, const char *url)
{
    const char *b = "QT03";
    static int64_t ids[MANY], due[MANY];
    static int seen[MANY];
    CHECK_INT(hf_queue_clear(q, b), 0);
    for (int i = 0; i < MANY; i++) {
        ids[i] = 100000 + i;
        due[i] = 1000 + (i * 7919) % MANY; /* a scrambled order */
        seen[i] = 0;
    }
    CHECK_INT(hf_queue_put_many(q, b, ids, due, MANY), 0);
    STATS(q, b, 1000000, 0, MANY, 0, MANY, MANY);

    int fds[2];
    if (pipe(fds) != 0) {
        perror("pipe");
        exit(2);
    }
    pid_t children[CHILDREN];
    for (int c = 0; c < CHILDREN; c++) {
        children[c] = fork();
        if (children[c] < 0) {
            perror("fork");
            exit(2);
        }
        if (children[c] == 0) {
            /* The child leaves the parent's queue alone and claims through its own. Each
             * batch goes in one write below PIPE_BUF, so batches never interleave. */
            close(fds[0]);
            hf_queue_t *mine = hf_queue_new(url, KIND);
            int status = 0;
            for (;;) {
                int64_t got[7];
                int n;
                if (hf_queue_claim(mine, b, 1000000, 60000, 7, got, NULL, &n) != 0) {
                    fprintf(stderr, "child claim failed: %s\n", hf_queue_error(mine));
                    status = 1;
                    break;
                }
                if (n == 0)
                    break;
                if (write(fds[1], got, sizeof got[0] * (size_t)n) !=
                    (ssize_t)(sizeof got[0] * (size_t)n)) {
                    status = 1;
                    break;
                }
            }
            hf_queue_destroy(&mine);
            _exit(status);
        }
    }
    close(fds[1]);
    int64_t id;
    int total = 0;
    while (read(fds[0], &id, sizeof id) == (ssize_t)sizeof id) {
        total++;
        if (id >= 100000 && id < 100000 + MANY)
            seen[id - 100000]++;
        else {
            fprintf(stderr, "claimed id %" PRId64 ", which was never put\n", id);
            hf_test_failures++;
        }
    }
    close(fds[0]);
    for (int c = 0; c < CHILDREN; c++) {
        int status = -1;
        CHECK_INT(waitpid(children[c], &status, 0), children[c]);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    CHECK_INT(total, MANY);
    int twice = 0, never = 0;
    for (int i = 0; i < MANY; i++) {
        twice += seen[i] > 1;
        never += seen[i] == 0;
    }
    CHECK_INT(twice, 0);
    CHECK_INT(never, 0);
    STATS(q, b, 1000000, 0, 0, MANY, 0, 0);
    CHECK_INT(hf_queue_clear(q, b), 0);
}

/* hf_queue_waiting: what waits in many branches at once, without moving anything: a due id
 * (due exactly now counts), an expired lease (expiry exactly now counts), both, neither; an
 * empty or never-used branch is 0; a bad branch name refuses the whole call. */
static void test_waiting(hf_queue_t *q)
{
    const char *br[] = {"WAIT-A", "WAIT-B", "WAIT-C", "WAIT-D", "WAIT-NEVER"};
    for (int i = 0; i < 4; i++)
        CHECK_INT(hf_queue_clear(q, br[i]), 0);
    CHECK_INT(hf_queue_put(q, "WAIT-A", 1, 5000), 0); /* due at 5000 */
    CHECK_INT(hf_queue_put(q, "WAIT-B", 2, 1000), 0); /* claimed, lease until 6000 */
    int64_t ids[4];
    int n = 0;
    CHECK_INT(hf_queue_claim(q, "WAIT-B", 1000, 5000, 4, ids, NULL, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(hf_queue_put(q, "WAIT-C", 3, 9000), 0); /* due later only */
    CHECK_INT(hf_queue_put(q, "WAIT-D", 4, 1000), 0); /* a lease and a due id */
    CHECK_INT(hf_queue_claim(q, "WAIT-D", 1000, 5000, 4, ids, NULL, &n), 0);
    CHECK_INT(hf_queue_put(q, "WAIT-D", 5, 2000), 0);
    int what[5] = {-1, -1, -1, -1, -1};
    CHECK_INT(hf_queue_waiting(q, br, 5, 4999, what), 0);
    CHECK_INT(what[0], 0);
    CHECK_INT(what[1], 0);
    CHECK_INT(what[2], 0);
    CHECK_INT(what[3], HF_QUEUE_DUE);
    CHECK_INT(what[4], 0);
    CHECK_INT(hf_queue_waiting(q, br, 5, 6000, what), 0);
    CHECK_INT(what[0], HF_QUEUE_DUE);
    CHECK_INT(what[1], HF_QUEUE_EXPIRED);
    CHECK_INT(what[2], 0);
    CHECK_INT(what[3], HF_QUEUE_DUE | HF_QUEUE_EXPIRED);
    CHECK_INT(what[4], 0);
    /* nothing moved: the due id is still due, the lease still leased */
    STATS(q, "WAIT-A", 6000, 0, 1, 0, 1, 1);
    STATS(q, "WAIT-B", 6000, 0, 0, 1, 0, 0);
    CHECK_INT(hf_queue_waiting(q, br, 0, 6000, NULL), 0);
    const char *bad[] = {"WAIT-A", "no spaces"};
    what[0] = -1;
    CHECK_INT(hf_queue_waiting(q, bad, 2, 6000, what), -1);
    for (int i = 0; i < 4; i++)
        CHECK_INT(hf_queue_clear(q, br[i]), 0);
}

/* hf_queue_stats_many: every branch's four counts in one call, each equal to hf_queue_stats of
 * that branch alone (a never-used branch all zero), whatever the order; none asked, none
 * answered; a bad name fails the whole call. */
static void test_stats_many(hf_queue_t *q)
{
    const char *br[] = {"MANY-A", "MANY-B", "MANY-NEVER", "MANY-C"};
    for (int i = 0; i < 4; i++)
        CHECK_INT(hf_queue_clear(q, br[i]), 0);
    CHECK_INT(hf_queue_put(q, "MANY-A", 1, 1000), 0);
    CHECK_INT(hf_queue_put(q, "MANY-A", 2, 5000), 0);
    CHECK_INT(hf_queue_put(q, "MANY-A", 3, 9000), 0);
    CHECK_INT(hf_queue_put(q, "MANY-B", 4, 1000), 0);
    CHECK_INT(hf_queue_put(q, "MANY-B", 5, 2000), 0);
    int64_t ids[4];
    int n = 0;
    CHECK_INT(hf_queue_claim(q, "MANY-B", 1000, 5000, 1, ids, NULL, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(hf_queue_put(q, "MANY-C", 6, 100), 0);
    hf_queue_counts_t c[4];
    memset(c, 0xff, sizeof c);
    CHECK_INT(hf_queue_stats_many(q, br, 4, 6000, 2000, c), 0);
    for (int i = 0; i < 4; i++) {
        int64_t due = -1, leased = -1, overdue = -1, queued = -1;
        CHECK_INT(hf_queue_stats(q, br[i], 6000, 2000, &due, &leased, &overdue, &queued), 0);
        CHECK_INT(c[i].due, due);
        CHECK_INT(c[i].leased, leased);
        CHECK_INT(c[i].overdue, overdue);
        CHECK_INT(c[i].queued, queued);
    }
    /* by value too: A has 1000 and 5000 due by 6000, 1000 more than 2000 ms before it */
    CHECK_INT(c[0].due, 2);
    CHECK_INT(c[0].overdue, 1);
    CHECK_INT(c[0].queued, 3);
    CHECK_INT(c[1].due, 1);
    CHECK_INT(c[1].leased, 1);
    CHECK_INT(c[2].queued, 0);
    CHECK_INT(c[2].leased, 0);
    CHECK_INT(c[3].overdue, 1);
    /* the other order gives the same counts to the same branches */
    const char *rev[] = {"MANY-C", "MANY-NEVER", "MANY-B", "MANY-A"};
    hf_queue_counts_t r[4];
    CHECK_INT(hf_queue_stats_many(q, rev, 4, 6000, 2000, r), 0);
    for (int i = 0; i < 4; i++) {
        CHECK_INT(r[i].due, c[3 - i].due);
        CHECK_INT(r[i].queued, c[3 - i].queued);
    }
    CHECK_INT(hf_queue_stats_many(q, br, 0, 6000, 2000, NULL), 0);
    const char *bad[] = {"MANY-A", "no spaces"};
    CHECK_INT(hf_queue_stats_many(q, bad, 2, 6000, 2000, c), -1);
    for (int i = 0; i < 4; i++)
        CHECK_INT(hf_queue_clear(q, br[i]), 0);
}

/* hf_queue_count_many: only the counts asked go to Redis, one command a branch a count in one
 * round trip (the scheduler's gauges ask two of the four); each is the one hf_queue_stats
 * gives, and a count not asked is -1, never a stale or zero figure. */
static void test_count_many(hf_queue_t *q)
{
    const char *br[] = {"CNT-A", "CNT-B", "CNT-NEVER"};
    for (int i = 0; i < 3; i++)
        CHECK_INT(hf_queue_clear(q, br[i]), 0);
    CHECK_INT(hf_queue_put(q, "CNT-A", 1, 1000), 0);
    CHECK_INT(hf_queue_put(q, "CNT-A", 2, 9000), 0);
    CHECK_INT(hf_queue_put(q, "CNT-B", 3, 1000), 0);
    CHECK_INT(hf_queue_put(q, "CNT-B", 4, 2000), 0);
    int64_t ids[2];
    int n = 0;
    CHECK_INT(hf_queue_claim(q, "CNT-B", 1000, 5000, 1, ids, NULL, &n), 0);
    CHECK_INT(n, 1);
    hf_queue_counts_t c[3], all[3];
    CHECK_INT(hf_queue_stats_many(q, br, 3, 6000, 2000, all), 0);
    uint64_t c0 = hf_queue_commands(q), t0 = hf_queue_round_trips(q);
    CHECK_INT(
        hf_queue_count_many(q, br, 3, 6000, 2000, HF_QUEUE_COUNT_DUE | HF_QUEUE_COUNT_QUEUED, c),
        0);
    CHECK_INT((int)(hf_queue_commands(q) - c0), 2 * 3);
    CHECK_INT((int)(hf_queue_round_trips(q) - t0), 1);
    for (int i = 0; i < 3; i++) {
        CHECK_INT(c[i].due, all[i].due);
        CHECK_INT(c[i].queued, all[i].queued);
        CHECK_INT(c[i].leased, -1);
        CHECK_INT(c[i].overdue, -1);
    }
    CHECK_INT(c[0].due, 1);
    CHECK_INT(c[0].queued, 2);
    CHECK_INT(c[1].due, 1);
    CHECK_INT(c[1].queued, 1);
    CHECK_INT(c[2].queued, 0);
    /* one count alone, and the other two */
    c0 = hf_queue_commands(q);
    CHECK_INT(hf_queue_count_many(q, br, 3, 6000, 2000, HF_QUEUE_COUNT_LEASED, c), 0);
    CHECK_INT((int)(hf_queue_commands(q) - c0), 3);
    CHECK_INT(c[1].leased, 1);
    CHECK_INT(c[1].due, -1);
    CHECK_INT(hf_queue_count_many(q, br, 3, 6000, 2000,
                                  HF_QUEUE_COUNT_LEASED | HF_QUEUE_COUNT_OVERDUE, c),
              0);
    for (int i = 0; i < 3; i++) {
        CHECK_INT(c[i].leased, all[i].leased);
        CHECK_INT(c[i].overdue, all[i].overdue);
        CHECK_INT(c[i].queued, -1);
    }
    /* all four: hf_queue_stats_many's four commands a branch */
    c0 = hf_queue_commands(q);
    CHECK_INT(hf_queue_count_many(q, br, 3, 6000, 2000, HF_QUEUE_COUNT_ALL, c), 0);
    CHECK_INT((int)(hf_queue_commands(q) - c0), 4 * 3);
    CHECK_INT(memcmp(c, all, sizeof c), 0);
    const char *bad[] = {"CNT-A", "no spaces"};
    CHECK_INT(hf_queue_count_many(q, bad, 2, 6000, 2000, HF_QUEUE_COUNT_DUE, c), -1);
    for (int i = 0; i < 3; i++)
        CHECK_INT(hf_queue_clear(q, br[i]), 0);
}

/* ---- the wake index (hf_queue.c): its keys are named here, as an older Huifang or an
 * operator would meet them in Redis ---- */

#define WAKE_HINTS "hf:wake:{" KIND "}:hints"
#define WAKE_READY "hf:wake:{" KIND "}:ready"
#define WAKE_VERSIONS "hf:wake:{" KIND "}:versions"

/* The hint of branch in the wake index; -1 when it has none. */
static int64_t s_hint(redisContext *raw, const char *branch)
{
    redisReply *r = redisCommand(raw, "ZSCORE %s %s", WAKE_HINTS, branch);
    int64_t value = (r && r->type == REDIS_REPLY_STRING) ? strtoll(r->str, NULL, 10) : -1;
    if (r)
        freeReplyObject(r);
    return value;
}

/* A Redis filled before the index existed (or flushed and filled again by puts) has no ready
 * key: the first look seeds every branch asked about, so an id nobody told the index of is
 * still found; then the looks raise each hint to the branch's next time, and drop it when
 * the branch is empty. */
static void test_wake_seed(hf_queue_t *q, redisContext *raw)
{
    CHECK_INT(hf_queue_clear(q, "WAKE-OLD"), 0);
    CHECK_INT(hf_queue_clear(q, "WAKE-NEW"), 0);
    CHECK_INT(s_raw(raw, "DEL " WAKE_HINTS " " WAKE_READY), 0);
    /* what an older version left: an id in the due set, no hint */
    CHECK_INT(s_raw(raw, "ZADD hf:{WAKE-OLD}:" KIND ":due 3000 77"), 0);
    CHECK_INT(hf_queue_put(q, "WAKE-NEW", 78, 9000), 0);
    CHECK_INT(s_hint(raw, "WAKE-NEW"), 9000);
    CHECK_INT(s_hint(raw, "WAKE-OLD"), -1);
    const char *br[] = {"WAKE-OLD", "WAKE-NEW"};
    int what[2] = {-1, -1};
    CHECK_INT(hf_queue_waiting(q, br, 2, 4000, what), 0);
    CHECK_INT(what[0], HF_QUEUE_DUE);
    CHECK_INT(what[1], 0);
    CHECK_INT(s_raw_integer(raw, "EXISTS " WAKE_READY), 1);
    CHECK_INT(s_hint(raw, "WAKE-NEW"), 9000); /* seeded at 0, raised back by the look */
    /* claimed and done with: the lease's expiry wakes the branch once more, then it is
     * dropped from the index, and a look at an idle index costs one command */
    int64_t ids[2];
    int n = 0;
    CHECK_INT(hf_queue_claim(q, "WAKE-OLD", 4000, 1000, 2, ids, NULL, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(hf_queue_ack(q, "WAKE-OLD", ids[0]), 0);
    CHECK_INT(hf_queue_waiting(q, br, 2, 4500, what), 0);
    CHECK_INT(what[0], 0);
    CHECK_INT(s_hint(raw, "WAKE-OLD"), -1);
    uint64_t c0 = hf_queue_commands(q), t0 = hf_queue_round_trips(q);
    CHECK_INT(hf_queue_waiting(q, br, 2, 8999, what), 0);
    CHECK_INT((int)(hf_queue_commands(q) - c0), 1);
    CHECK_INT((int)(hf_queue_round_trips(q) - t0), 1);
    CHECK_INT(hf_queue_waiting(q, br, 2, 9000, what), 0);
    CHECK_INT(what[1], HF_QUEUE_DUE);
    /* a lease that expires is found by its expiry, and reaping wakes the branch at once */
    CHECK_INT(hf_queue_claim(q, "WAKE-NEW", 9000, 1000, 2, ids, NULL, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(hf_queue_waiting(q, br, 2, 9999, what), 0);
    CHECK_INT(what[1], 0);
    CHECK_INT(s_hint(raw, "WAKE-NEW"), 10000);
    CHECK_INT(hf_queue_waiting(q, br, 2, 10000, what), 0);
    CHECK_INT(what[1], HF_QUEUE_EXPIRED);
    CHECK_INT(hf_queue_reap(q, "WAKE-NEW", 10000, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(hf_queue_waiting(q, br, 2, 10000, what), 0);
    CHECK_INT(what[1], HF_QUEUE_DUE);
    CHECK_INT(hf_queue_clear(q, "WAKE-OLD"), 0);
    CHECK_INT(hf_queue_clear(q, "WAKE-NEW"), 0);
}

/* Many idle branches: once their hints are raised, a look at all of them is one command in
 * one round trip, however many they are (two counts a branch before the index: 400 here). */
static void test_wake_idle_many(hf_queue_t *q)
{
    enum { NB = 200 };
    static char names[NB][16];
    const char *br[NB];
    int what[NB];
    for (int i = 0; i < NB; i++) {
        snprintf(names[i], sizeof names[i], "IDLE%03d", i);
        br[i] = names[i];
        CHECK_INT(hf_queue_clear(q, br[i]), 0);
        CHECK_INT(hf_queue_put(q, br[i], i + 1, 50000 + i), 0);
    }
    CHECK_INT(hf_queue_waiting(q, br, NB, 1000, what), 0);
    uint64_t c0 = hf_queue_commands(q), t0 = hf_queue_round_trips(q);
    CHECK_INT(hf_queue_waiting(q, br, NB, 49999, what), 0);
    CHECK_INT((int)(hf_queue_commands(q) - c0), 1);
    CHECK_INT((int)(hf_queue_round_trips(q) - t0), 1);
    for (int i = 0; i < NB; i++)
        CHECK_INT(what[i], 0);
    /* at 50010 the first eleven are due, and only they are looked at */
    c0 = hf_queue_commands(q);
    CHECK_INT(hf_queue_waiting(q, br, NB, 50010, what), 0);
    CHECK_INT((int)(hf_queue_commands(q) - c0), 1 + 2 * 11);
    for (int i = 0; i < NB; i++)
        CHECK_INT(what[i], i <= 10 ? HF_QUEUE_DUE : 0);
    for (int i = 0; i < NB; i++)
        CHECK_INT(hf_queue_clear(q, br[i]), 0);
}

/* hf_queue_waiting_listed: the branch set's version moves when a branch is put into for the
 * first time, and only then (more puts, claims and reaps of a known branch leave it), so a
 * timer keeping the list in memory lists again exactly when it grew; the branch is in the
 * set by the time the version shows it. It costs no command beside the look, and is read
 * even for no branch at all, without seeding an unseeded index. */
static void test_wake_listed(hf_queue_t *q, redisContext *raw)
{
    const char *br[] = {"LIST-A", "LIST-B"};
    int what[2] = {-1, -1};
    for (int i = 0; i < 2; i++)
        CHECK_INT(hf_queue_clear(q, br[i]), 0);
    /* new to the index, as on a first run (a rerun of this test on the same Redis) */
    CHECK_INT(s_raw(raw, "HDEL " WAKE_VERSIONS " LIST-A LIST-B"), 0);
    CHECK_INT(s_raw(raw, "SREM hf:" KIND ":branches LIST-A LIST-B"), 0);
    int64_t v0 = -1, v = -1;
    uint64_t c0 = hf_queue_commands(q);
    CHECK_INT(hf_queue_waiting_listed(q, br, 0, 1000, NULL, &v0), 0);
    CHECK_INT((int)(hf_queue_commands(q) - c0), 1);
    CHECK(v0 >= 0);

    CHECK_INT(hf_queue_put(q, "LIST-A", 1, 5000), 0);
    CHECK_INT(hf_queue_waiting_listed(q, br, 0, 1000, NULL, &v), 0);
    CHECK_INT(v, v0 + 1);
    char **listed = NULL;
    int count = hf_queue_branches(q, &listed);
    bool seen = false;
    for (int i = 0; i < count; i++) {
        seen = seen || strcmp(listed[i], "LIST-A") == 0;
        free(listed[i]);
    }
    free(listed);
    CHECK(seen);
    /* a known branch's writes leave it */
    CHECK_INT(hf_queue_put(q, "LIST-A", 2, 6000), 0);
    int64_t ids[2];
    int n = 0;
    CHECK_INT(hf_queue_claim(q, "LIST-A", 5000, 1000, 2, ids, NULL, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(hf_queue_reap(q, "LIST-A", 6000, &n), 0);
    CHECK_INT(n, 1);
    c0 = hf_queue_commands(q);
    CHECK_INT(hf_queue_waiting_listed(q, br, 2, 6000, what, &v), 0);
    CHECK_INT(v, v0 + 1);
    CHECK_INT(what[0], HF_QUEUE_DUE);
    CHECK_INT(what[1], 0);
    /* the look itself as hf_queue_waiting's: the wake index, then two counts for LIST-A */
    CHECK_INT((int)(hf_queue_commands(q) - c0), 1 + 2);
    /* another new branch moves it again */
    CHECK_INT(hf_queue_put(q, "LIST-B", 3, 9000), 0);
    CHECK_INT(hf_queue_waiting_listed(q, br, 1, 6000, what, &v), 0);
    CHECK_INT(v, v0 + 2);

    /* an unseeded index (flushed): read for no branch, it stays unseeded; the first look at
     * branches seeds it */
    CHECK_INT(s_raw(raw, "DEL " WAKE_READY), 0);
    CHECK_INT(hf_queue_waiting_listed(q, br, 0, 6000, NULL, &v), 0);
    CHECK_INT(v, v0 + 2);
    CHECK_INT(s_raw_integer(raw, "EXISTS " WAKE_READY), 0);
    CHECK_INT(hf_queue_waiting_listed(q, br, 2, 6000, what, &v), 0);
    CHECK_INT(s_raw_integer(raw, "EXISTS " WAKE_READY), 1);
    CHECK_INT(what[0], HF_QUEUE_DUE);
    /* a failed look leaves the version as it was */
    const char *bad[] = {"no spaces"};
    v = 12345;
    CHECK_INT(hf_queue_waiting_listed(q, bad, 1, 6000, what, &v), -1);
    CHECK_INT(v, 12345);
    for (int i = 0; i < 2; i++)
        CHECK_INT(hf_queue_clear(q, br[i]), 0);
}

/* A writer that slips in between a look at a branch and the raise of its hint wins: the
 * look saw nothing due and would raise the hint to the branch's next time, but a put of an
 * id due now came in between (through another connection, as another service's would); the
 * raise is refused, and the next look finds the id. Without the versions the hint would go
 * past the id, and nothing would look at the branch again before its next write. */
typedef struct {
    hf_queue_t *other;
    int fired;
} slip_t;

static void s_slip_in(void *arg)
{
    slip_t *slip = arg;
    if (slip->fired++ == 0)
        CHECK_INT(hf_queue_put(slip->other, "SLIP-A", 3, 900), 0);
}

static void test_wake_writer_slips_in(hf_queue_t *q, redisContext *raw, const char *url)
{
    const char *br[] = {"SLIP-A"};
    int what[1];
    CHECK_INT(hf_queue_clear(q, br[0]), 0);
    CHECK_INT(hf_queue_put(q, br[0], 1, 50000), 0);
    CHECK_INT(hf_queue_put(q, br[0], 2, 500), 0); /* the hint goes to 500 */
    int64_t ids[2];
    int n = 0;
    CHECK_INT(hf_queue_claim(q, br[0], 1000, 60000, 2, ids, NULL, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(hf_queue_ack(q, br[0], ids[0]), 0);
    CHECK_INT(s_hint(raw, br[0]), 500);
    /* the look sees nothing due by 1000 (only 50000), and the put of id 3 due at 900 comes
     * while it looks */
    slip_t slip = {hf_queue_new(url, KIND), 0};
    hf_queue_set_look_hook(q, s_slip_in, &slip);
    CHECK_INT(hf_queue_waiting(q, br, 1, 1000, what), 0);
    hf_queue_set_look_hook(q, NULL, NULL);
    CHECK_INT(slip.fired, 1);
    CHECK_INT(what[0], 0);
    CHECK(s_hint(raw, br[0]) >= 0 && s_hint(raw, br[0]) <= 900);
    CHECK_INT(hf_queue_waiting(q, br, 1, 1000, what), 0);
    CHECK_INT(what[0], HF_QUEUE_DUE);
    CHECK_INT(hf_queue_claim(q, br[0], 1000, 60000, 2, ids, NULL, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(ids[0], 3);
    hf_queue_destroy(&slip.other);
    CHECK_INT(hf_queue_clear(q, br[0]), 0);
}

int main(void)
{
    /* A Redis that drops us between two writes must not kill the test with SIGPIPE; the
     * services ignore it for the same reason. */
    signal(SIGPIPE, SIG_IGN);
    const char *url = hf_test_env("HUIFANG_TEST_REDIS_URL");
    s_parse_test_url(url);
    hf_queue_t *q = hf_queue_new(url, KIND);
    CHECK_INT(hf_queue_connect(q), 0);
    CHECK_STR(hf_queue_error(q), "");
    redisContext *raw = s_raw_connect(s_db);

    TEST_CASE(test_claim_order, q);
    TEST_CASE(test_stats, q);
    TEST_CASE(test_reap_keeps_due_order, q);
    TEST_CASE(test_put_leased_and_remove, q);
    TEST_CASE(test_branches, q);
    TEST_CASE(test_bad_input, q);
    TEST_CASE(test_epoch);
    TEST_CASE(test_sentinel_bad_input);
    TEST_CASE(test_password);
    TEST_CASE(test_noscript, q, raw);
    TEST_CASE(test_reconnect, q, raw);
    TEST_CASE(test_timeout_retry, q, raw);
    TEST_CASE(test_concurrent_claims, q, url);
    TEST_CASE(test_waiting, q);
    TEST_CASE(test_stats_many, q);
    TEST_CASE(test_count_many, q);
    TEST_CASE(test_wake_seed, q, raw);
    TEST_CASE(test_wake_idle_many, q);
    TEST_CASE(test_wake_listed, q, raw);
    TEST_CASE(test_wake_writer_slips_in, q, raw, url);

    redisFree(raw);
    hf_queue_destroy(&q);
    CHECK(q == NULL);
    TEST_DONE();
}
