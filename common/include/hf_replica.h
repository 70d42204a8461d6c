/* hf_replica: the branches every service keeps in its own schema — intake's record, and the
 * copies the other services build from intake's branch_upserted — read in one way: one
 * parameterised query on table branch (code, tz[, windows]) of the store's schema. No
 * service reads another's tables; each reads its own branch table through here. */
#ifndef HF_REPLICA_H
#define HF_REPLICA_H
#include "hf_arena.h"
#include "hf_store.h"
#include "hf_wire.h"
#include <stddef.h>

/* The zone of a branch created or announced without one, and the client's default: the
 * branches so far are all in mainland China, where one zone (UTC+8, no daylight saving)
 * covers every city. */
#define HF_DEFAULT_TZ "Asia/Shanghai"

/* tz when it names something, else HF_DEFAULT_TZ (for a branch event without a zone). */
const char *hf_replica_tz_or_default(const char *tz);

/* Copies the zone of branch into tz (len bytes) and, when windows is not NULL, its call
 * windows into windows (wlen bytes; the table must have that column). Returns 0; 1 when the
 * branch is not (yet) known here; -1 on a store error (hf_store_error(st)). */
int hf_replica_branch(hf_store_t *st, const char *branch, char *tz, size_t len, char *windows,
                      size_t wlen);

/* The zone of a request's branch, for a command: HF_OK with tz filled (len bytes);
 * HF_BAD_INPUT with rep naming "branch" when it is missing or unknown; HF_UNAVAILABLE on a
 * store error (rep left to the caller). */
int hf_replica_need_branch(hf_store_t *st, const char *branch, char *tz, size_t len,
                           hf_reply_t *rep, hf_arena_t *a);

#endif
