/* hf_outbox_batch: many events in one step. The counter row is moved by n at once (its row
 * lock serialises this producer's writers until commit, exactly as for single appends, so
 * sequences stay gap-free and commit in order), and the rows go in with one COPY in
 * Postgres's binary format, which spares quoting megabytes of bytea and costs Postgres less
 * than an INSERT of arrays (nothing to plan and take apart). */
#include "hf_outbox_batch.h"
#include "hf_clock.h"
#include "hf_outbox.h"
#include <arpa/inet.h>
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing byte buffer for the COPY data. */
typedef struct {
    uint8_t *data;
    size_t len, cap;
    int failed;
} s_buf_t;

static void s_put(s_buf_t *b, const void *p, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (d == NULL) {
            b->failed = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void s_put_i32(s_buf_t *b, int32_t v)
{
    uint32_t be = htonl((uint32_t)v);
    s_put(b, &be, 4);
}

static uint8_t *s_reserve(s_buf_t *b, size_t n)
{
    if (b->failed)
        return NULL;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (d == NULL) {
            b->failed = 1;
            return NULL;
        }
        b->data = d;
        b->cap = cap;
    }
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}

static void s_put_i16(s_buf_t *b, int16_t v)
{
    uint16_t be = htons((uint16_t)v);
    s_put(b, &be, 2);
}

static void s_field_bytes(s_buf_t *b, const void *p, size_t n)
{
    s_put_i32(b, (int32_t)n);
    s_put(b, p, n);
}

static void s_field_int8(s_buf_t *b, int64_t v)
{
    uint64_t be = htobe64((uint64_t)v);
    s_field_bytes(b, &be, 8);
}

int64_t hf_outbox_copy_many(hf_store_t *store, const char *producer, hf_envelope_t *const *envs,
                            int n)
{
    if (n <= 0)
        return 0;
    /* events kept for the end of the transaction (hf_store_on_end) come first */
    if (hf_store_flush(store) != 0)
        return -1;
    int64_t last = hf_outbox_reserve(store, producer, n);
    if (last < 0)
        return -1;
    int64_t first = last - n + 1;

    /* COPY's binary format: a signature, flags and header extension length; per row the
     * number of fields and each field as length + bytes; -1 at the end */
    s_buf_t out = {0};
    static const char signature[11] = "PGCOPY\n\377\r\n";
    s_put(&out, signature, sizeof signature);
    s_put_i32(&out, 0);
    s_put_i32(&out, 0);
    int64_t now = hf_clock_now_ms();
    size_t producer_len = strlen(producer);
    int64_t rc = -1;
    for (int i = 0; i < n; i++) {
        hf_envelope_t *env = envs[i];
        char event_id[96];
        snprintf(event_id, sizeof event_id, "%s:%lld", producer, (long long)(first + i));
        if (env->occurred_at_ms == 0)
            env->occurred_at_ms = now; /* one time for the batch */
        hf_outbox_defaults(env, producer);
        env->seq = (uint64_t)(first + i);
        env->event_id = event_id;
        char topic[160];
        hf_envelope_topic(env, topic, sizeof topic);
        size_t len = huifang__v1__envelope__get_packed_size(env);
        s_put_i16(&out, 6);
        s_field_bytes(&out, producer, producer_len);
        s_field_int8(&out, first + i);
        s_field_bytes(&out, topic, strlen(topic));
        s_field_bytes(&out, env->branch, strlen(env->branch));
        /* the body is packed straight into the buffer, after its length */
        s_put_i32(&out, (int32_t)len);
        uint8_t *body = s_reserve(&out, len);
        if (body)
            huifang__v1__envelope__pack(env, body);
        /* the id pointed at a local buffer: do not leave it dangling in the caller's envelope */
        env->event_id = NULL;
        s_field_int8(&out, (int64_t)env->occurred_at_ms);
    }
    s_put_i16(&out, -1);
    if (out.failed)
        goto cleanup;
    if (hf_store_copy_in(store,
                         "COPY outbox (producer, seq, topic, branch, body, created_at_ms)"
                         " FROM STDIN (FORMAT binary)",
                         (const char *)out.data, out.len) != n)
        goto cleanup;
    rc = last;
cleanup:
    free(out.data);
    return rc;
}
