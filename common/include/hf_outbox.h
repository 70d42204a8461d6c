/* hf_outbox: the transactional outbox. A service writes each state change and its events in
 * one Postgres transaction; every event gets the next gap-free sequence number of its
 * producer from a counter row, so commits happen in sequence order and a relay that
 * publishes committed rows in order never skips one. */
#ifndef HF_OUTBOX_H
#define HF_OUTBOX_H
#include "hf_store.h"
#include "hf_wire.h"
#include <stdint.h>

/* Appends env to the outbox inside the store's open transaction: fills producer, seq,
 * event_id and (when 0) occurred_at_ms, packs it and inserts it with its topic. Returns the
 * sequence number, or -1 on a store error. */
int64_t hf_outbox_append(hf_store_t *store, const char *producer, hf_envelope_t *env);
/* Takes the next n sequence numbers of producer inside the store's open transaction: the
 * counter row moves by n and stays locked until the transaction ends, which serialises the
 * producer's writers, so numbers are gap-free (a rollback returns them) and commits land in
 * sequence order. Marks the transaction (hf_store_mark): the service's relay reads the outbox
 * when it has committed. Returns the last of the n, or -1 on a store error. */
int64_t hf_outbox_reserve(hf_store_t *store, const char *producer, int n);
/* One event's outbox row as hf_outbox_defer_rows() takes it: its topic, branch, packed
 * Envelope (which already names its sequence number) and time (UTC ms); nothing is owned. */
typedef struct {
    const char *topic;
    const char *branch;
    const uint8_t *body;
    size_t len;
    int64_t created_at_ms;
} hf_outbox_new_t;
/* Keeps the outbox rows of n events (n >= 1), numbered first_seq, first_seq + 1, ... in
 * order, to be sent with the open transaction's COMMIT (hf_store_defer) as ONE statement
 * however many there are: one row of VALUES for one event, rows unnested from arrays for
 * more. The rows' strings and bodies are copied. Returns 0, or -1 when out of memory. */
int hf_outbox_defer_rows(hf_store_t *store, const char *producer, int64_t first_seq,
                         const hf_outbox_new_t *rows, int n);
/* Sets env's producer and, when unset, its time (now), branch and correlation id (""). */
void hf_outbox_defaults(hf_envelope_t *env, const char *producer);
/* The last committed sequence number of producer (0 when none); -1 on a store error. */
int64_t hf_outbox_last_seq(hf_store_t *store, const char *producer);

/* Makes sure producer's counter row exists (sequence 0 when new) and copies its epoch — a
 * random id made with the row, so a fresh database starts a new one — into out (at least
 * 40 bytes). Returns 0, or -1 on a store error. */
int hf_outbox_epoch(hf_store_t *store, const char *producer, char *out, size_t outlen);

/* One stored event. */
typedef struct {
    uint64_t seq;
    char topic[160];
    uint8_t *body; /* packed Envelope, malloc'd */
    size_t len;
} hf_outbox_row_t;

/* Reads up to max committed rows with seq > after_seq, in order, into rows; sets *n.
 * The caller frees each body (hf_outbox_rows_free). Returns 0 or -1. */
int hf_outbox_read(hf_store_t *store, const char *producer, uint64_t after_seq, int max,
                   hf_outbox_row_t *rows, int *n);
/* Frees the bodies of n rows. */
void hf_outbox_rows_free(hf_outbox_row_t *rows, int n);

#endif
