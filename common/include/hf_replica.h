/* hf_replica: the copies of intake's organisation that other services keep in their own
 * schema, built from intake's events in one way, and the branch look-up every service
 * (intake on its own record included) makes in one way: one parameterised query on table
 * branch of the store's schema. No service reads another's tables.
 *
 * A copy has the same shape in every schema that keeps it:
 *   branch  (code PRIMARY KEY, tz, windows)
 *   agent   (branch, id, role, active; PRIMARY KEY (branch, id)), or more columns: the
 *           scheduler's copy also keeps names, regions and capacities, with its own handler
 *   product (branch, code, name, days_per_unit, price_fen; PRIMARY KEY (branch, code))
 * Customers are copied by each service its own way (each keeps different fields of them);
 * what they share here is finding the customer an event carries and following a merge. */
#ifndef HF_REPLICA_H
#define HF_REPLICA_H
#include "hf_arena.h"
#include "hf_service.h"
#include "hf_store.h"
#include "hf_wire.h"
#include <stdbool.h>
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

/* Event handlers for a service's table of intake's events: each upserts the record of
 * branch_upserted, agent_upserted or product_upserted into the copy of the same name
 * (an agent's or product's branch defaults to the event's). Each returns 0, -1 on a store
 * error, or -2 for an event without the record's key. */
int hf_replica_on_branch(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a);
int hf_replica_on_agent(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a);
int hf_replica_on_product(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a);

/* Copies the role of agent id of branch in the service's copy into role (len bytes), ""
 * when there is no such agent (or, when active_only, it is inactive, or id is empty).
 * Returns 0, or -1 on a store error. */
int hf_replica_agent_role(hf_store_t *st, const char *branch, const char *id, bool active_only,
                          char *role, size_t len);

/* The customer an intake event carries whole (lead_registered, lead_merged,
 * customer_updated, purchase_recorded), or NULL for any other event. */
const Huifang__V1__Customer *hf_replica_customer(const hf_envelope_t *env);

/* Applies customers_merged to the service's own records: runs each statement of moves
 * (NULL-terminated; $1 the kept id, $2 the merged id) in order. Returns 0, -1 on a store
 * error, -2 for a malformed event (an id missing, or both the same). */
int hf_replica_merge_customers(hf_store_t *st, const hf_envelope_t *env, const char *const *moves);

#endif
