/* hf_copies: a consumer's copies of another service's records (a customer's branch, name,
 * address), kept while a batch of events is applied and written once before it commits, in
 * one multi-row upsert (unnest), instead of one statement an event. A national load sends
 * millions of LeadRegistered events; a copy written an event at a time bounded every consumer
 * at a few thousand a second (issue 14). The owner calls hf_copies_flush() from its batch hook
 * (hf_service_on_batch, commit true) and before any handler that reads the copies in the same
 * transaction, and hf_copies_forget() after a rollback. */
#ifndef HF_COPIES_H
#define HF_COPIES_H
#include "hf_store.h"
#include <stddef.h>
#include <stdint.h>

typedef struct hf_copies hf_copies_t;

/* A keeper of rows of ncols text columns, the first the record's id, written by upsert: a
 * statement whose parameters $1 .. $ncols are the columns as text arrays (row i of every array
 * one record), e.g. "INSERT INTO customer (id, name) SELECT * FROM unnest($1::bigint[],
 * $2::text[]) ON CONFLICT (id) DO UPDATE SET name = excluded.name". upsert must outlive it.
 * NULL when out of memory. */
hf_copies_t *hf_copies_new(const hf_query_t *upsert, int ncols);
/* Frees it (what is kept is lost); idempotent, sets *self_p to NULL. */
void hf_copies_destroy(hf_copies_t **self_p);
/* Keeps a record: id and the other ncols - 1 columns (copied; NULL is ""). A record kept
 * before under the same id is replaced (in its place): what the events say last wins, as one
 * upsert an event would leave it. 0, or -1 when out of memory. */
int hf_copies_put(hf_copies_t *self, int64_t id, const char *const *cols);
/* Writes what is kept in one statement, inside the caller's transaction, and forgets it.
 * 0 (also when nothing is kept), or -1 with the error on the store (the caller rolls back). */
int hf_copies_flush(hf_copies_t *self, hf_store_t *st);
/* Forgets what is kept (after a rollback). */
void hf_copies_forget(hf_copies_t *self);
/* How many records are kept. */
size_t hf_copies_count(const hf_copies_t *self);

#endif
