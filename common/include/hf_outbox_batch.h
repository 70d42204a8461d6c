/* hf_outbox_batch: many events into the transactional outbox at once. A service that changes
 * thousands of records in one transaction (the scheduler filling date bags) emits one event
 * per record; appending them one by one costs two round trips each, which would bound the
 * whole service. Same contract and table as hf_outbox_append(), in two round trips. */
#ifndef HF_OUTBOX_BATCH_H
#define HF_OUTBOX_BATCH_H
#include "hf_store.h"
#include "hf_wire.h"
#include <stdint.h>

/* Appends the n envelopes (payloads set by the caller) to the outbox inside the store's open
 * transaction, in order, with consecutive sequence numbers of producer — the rows
 * hf_outbox_append() would write one by one —, through one binary COPY; fills each one's
 * producer and seq, and occurred_at_ms, branch and correlation_id when unset. Returns the
 * last sequence number (0 when n is 0), or -1 on a store error (hf_store_error(); the caller
 * rolls back). */
int64_t hf_outbox_copy_many(hf_store_t *store, const char *producer, hf_envelope_t *const *envs,
                            int n);

#endif
