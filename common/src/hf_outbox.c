/* hf_outbox: events written in the same transaction as the change they describe. */
#include "hf_outbox.h"
#include "hf_clock.h"
#include <arpa/inet.h>
#include <endian.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t hf_outbox_reserve(hf_store_t *store, const char *producer, int n)
{
    char ntxt[24];
    const char *p[] = {producer, hf_pg_i64(ntxt, n)};
    PGresult *res = hf_store_exec(store,
                                  "INSERT INTO outbox_seq AS s (producer, last_seq) VALUES ($1, $2)"
                                  " ON CONFLICT (producer) DO UPDATE SET last_seq = s.last_seq + $2"
                                  " RETURNING last_seq",
                                  2, p);
    if (res == NULL)
        return -1;
    int64_t last = hf_pg_int(res, 0, 0);
    PQclear(res);
    hf_store_mark(store); /* the relay reads the outbox once this commits */
    return last;
}

void hf_outbox_defaults(hf_envelope_t *env, const char *producer)
{
    env->producer = (char *)producer;
    if (env->occurred_at_ms == 0)
        env->occurred_at_ms = hf_clock_now_ms();
    if (env->branch == NULL)
        env->branch = "";
    if (env->correlation_id == NULL)
        env->correlation_id = "";
}

int64_t hf_outbox_append(hf_store_t *store, const char *producer, hf_envelope_t *env)
{
    /* events kept for the end of the transaction (hf_store_on_end) come first */
    if (hf_store_flush(store) != 0)
        return -1;
    int64_t seq = hf_outbox_reserve(store, producer, 1);
    if (seq < 0)
        return -1;

    char event_id[96];
    snprintf(event_id, sizeof event_id, "%s:%lld", producer, (long long)seq);
    hf_outbox_defaults(env, producer);
    env->seq = (uint64_t)seq;
    env->event_id = event_id;

    size_t len = huifang__v1__envelope__get_packed_size(env);
    uint8_t *body = malloc(len ? len : 1);
    if (body == NULL)
        return -1;
    huifang__v1__envelope__pack(env, body);
    char topic[160], seqtxt[24], at[24];
    hf_envelope_topic(env, topic, sizeof topic);
    const char *vals[] = {producer,    hf_pg_i64(seqtxt, seq), topic,
                          env->branch, (char *)body,           hf_pg_i64(at, env->occurred_at_ms)};
    int lens[] = {0, 0, 0, 0, (int)len, 0};
    int fmts[] = {0, 0, 0, 0, 1, 0};
    PGresult *res =
        hf_store_execv(store,
                       "INSERT INTO outbox (producer, seq, topic, branch, body, created_at_ms)"
                       " VALUES ($1, $2, $3, $4, $5, $6)",
                       6, vals, lens, fmts, 0);
    free(body);
    /* the id pointed at a local buffer: do not leave it dangling in the caller's envelope */
    env->event_id = NULL;
    if (res == NULL)
        return -1;
    PQclear(res);
    return seq;
}

/* The rows of a transaction's events, one statement whatever their number (hf_store_defer
 * sends it with the COMMIT). One event: a row of VALUES, the cheapest to plan and run. More:
 * the rows unnested from arrays in their text forms (topics and branches text[], bodies
 * bytea[] as hex, times bigint[]), each one's sequence number the first plus its place, so
 * that the statement's text — and the plan prepared for it — is the same for 2 events or
 * 200, where a multi-row VALUES would need one text a count. */
static const char s_insert_one[] =
    "INSERT INTO outbox (producer, seq, topic, branch, body, created_at_ms)"
    " VALUES ($1, $2, $3, $4, $5, $6)";
static const char s_insert_many[] =
    "INSERT INTO outbox (producer, seq, topic, branch, body, created_at_ms)"
    " SELECT $1::text, $2::bigint + u.i - 1, u.topic, u.branch, u.body, u.at"
    " FROM unnest($3::text[], $4::text[], $5::bytea[], $6::bigint[]) WITH ORDINALITY"
    " AS u (topic, branch, body, at, i)";

/* Appends s as a quoted array element (a double quote and a backslash escaped) at out;
 * returns the end. out has room for 2 * strlen(s) + 2 bytes. */
static char *s_quoted(char *out, const char *s)
{
    *out++ = '"';
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            *out++ = '\\';
        *out++ = *s;
    }
    *out++ = '"';
    return out;
}

/* Row i's topic (or, branch true, its branch); "" for none. */
static const char *s_text(const hf_outbox_new_t *rows, int i, bool branch)
{
    const char *s = branch ? rows[i].branch : rows[i].topic;
    return s ? s : "";
}

/* The text[] literal of the rows' topics (or, branch true, branches); malloc'd, NULL when
 * out of memory. */
static char *s_text_array(const hf_outbox_new_t *rows, int n, bool branch)
{
    size_t size = 3;
    for (int i = 0; i < n; i++)
        size += 2 * strlen(s_text(rows, i, branch)) + 3;
    char *out = malloc(size), *p = out;
    if (out == NULL)
        return NULL;
    *p++ = '{';
    for (int i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        p = s_quoted(p, s_text(rows, i, branch));
    }
    *p++ = '}';
    *p = '\0';
    return out;
}

/* The bytea[] literal of the rows' bodies, each in hex ("\\x0a01" quoted: the backslash
 * escaped within the element), binary-safe; malloc'd, NULL when out of memory. */
static char *s_bytea_array(const hf_outbox_new_t *rows, int n)
{
    static const char digits[] = "0123456789abcdef";
    size_t size = 3;
    for (int i = 0; i < n; i++)
        size += 2 * rows[i].len + 6;
    char *out = malloc(size), *p = out;
    if (out == NULL)
        return NULL;
    *p++ = '{';
    for (int i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        memcpy(p, "\"\\\\x", 4);
        p += 4;
        for (size_t k = 0; k < rows[i].len; k++) {
            *p++ = digits[rows[i].body[k] >> 4];
            *p++ = digits[rows[i].body[k] & 15];
        }
        *p++ = '"';
    }
    *p++ = '}';
    *p = '\0';
    return out;
}

int hf_outbox_defer_rows(hf_store_t *store, const char *producer, int64_t first_seq,
                         const hf_outbox_new_t *rows, int n)
{
    char seqtxt[24];
    hf_pg_i64(seqtxt, first_seq);
    if (n == 1) {
        char at[24];
        char *hex = hf_pg_bytea_text(rows[0].body, rows[0].len);
        if (hex == NULL)
            return -1;
        const char *vals[] = {producer,       seqtxt, rows[0].topic,
                              rows[0].branch, hex,    hf_pg_i64(at, rows[0].created_at_ms)};
        int rc = hf_store_defer(store, s_insert_one, 6, vals);
        free(hex);
        return rc;
    }
    int rc = -1;
    char *topics = s_text_array(rows, n, false);
    char *branches = s_text_array(rows, n, true);
    char *bodies = s_bytea_array(rows, n);
    int64_t *at = malloc(sizeof *at * (size_t)n);
    char *attxt = malloc(HF_PG_I64_ARRAY_LEN(n));
    if (topics == NULL || branches == NULL || bodies == NULL || at == NULL || attxt == NULL)
        goto cleanup;
    for (int i = 0; i < n; i++)
        at[i] = rows[i].created_at_ms;
    const char *vals[] = {producer, seqtxt, topics,
                          branches, bodies, hf_pg_i64_array(attxt, at, (size_t)n)};
    rc = hf_store_defer(store, s_insert_many, 6, vals);
cleanup:
    free(topics);
    free(branches);
    free(bodies);
    free(at);
    free(attxt);
    return rc;
}

int64_t hf_outbox_last_seq(hf_store_t *store, const char *producer)
{
    const char *p[] = {producer};
    PGresult *res =
        hf_store_exec(store, "SELECT last_seq FROM outbox_seq WHERE producer = $1", 1, p);
    if (res == NULL)
        return -1;
    int64_t seq = PQntuples(res) ? hf_pg_int(res, 0, 0) : 0;
    PQclear(res);
    return seq;
}

int hf_outbox_epoch(hf_store_t *store, const char *producer, char *out, size_t outlen)
{
    const char *p[] = {producer};
    if (hf_store_run(store,
                     "INSERT INTO outbox_seq (producer, last_seq) VALUES ($1, 0)"
                     " ON CONFLICT (producer) DO NOTHING",
                     1, p) != 0)
        return -1;
    PGresult *res = hf_store_exec(store, "SELECT epoch FROM outbox_seq WHERE producer = $1", 1, p);
    if (res == NULL)
        return -1;
    int rc = PQntuples(res) == 1 ? 0 : -1;
    if (rc == 0)
        snprintf(out, outlen, "%s", hf_pg_str(res, 0, 0));
    PQclear(res);
    return rc;
}

int hf_outbox_read(hf_store_t *store, const char *producer, uint64_t after_seq, int max,
                   hf_outbox_row_t *rows, int *n)
{
    *n = 0;
    char after[24], lim[24];
    const char *p[] = {producer, hf_pg_i64(after, (int64_t)after_seq), hf_pg_i64(lim, max)};
    /* binary results: the body comes back as raw bytes, the seq as a big-endian int8 */
    PGresult *res = hf_store_execv(store,
                                   "SELECT seq, topic, body FROM outbox WHERE producer = $1"
                                   " AND seq > $2 ORDER BY seq LIMIT $3",
                                   3, p, NULL, NULL, 1);
    if (res == NULL)
        return -1;
    int count = PQntuples(res);
    for (int i = 0; i < count; i++) {
        uint64_t be;
        memcpy(&be, PQgetvalue(res, i, 0), sizeof be);
        rows[i].seq = be64toh(be);
        snprintf(rows[i].topic, sizeof rows[i].topic, "%.*s", PQgetlength(res, i, 1),
                 PQgetvalue(res, i, 1));
        rows[i].len = (size_t)PQgetlength(res, i, 2);
        rows[i].body = malloc(rows[i].len ? rows[i].len : 1);
        if (rows[i].body == NULL) {
            hf_outbox_rows_free(rows, i);
            PQclear(res);
            return -1;
        }
        memcpy(rows[i].body, PQgetvalue(res, i, 2), rows[i].len);
    }
    PQclear(res);
    *n = count;
    return 0;
}

void hf_outbox_rows_free(hf_outbox_row_t *rows, int n)
{
    for (int i = 0; i < n; i++) {
        free(rows[i].body);
        rows[i].body = NULL;
    }
}
