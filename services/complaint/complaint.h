/* complaint: complaint cards with a resolution clock (warnings at 50% and 75%, escalation
 * agent -> head -> manager -> customer-service department at each breach), returns that only a
 * manager may decide, and word-of-mouth risks. Timers live in the Redis due-queue (kind
 * "sla"), rebuilt from Postgres whenever Redis was flushed or replaced. */
#ifndef COMPLAINT_H
#define COMPLAINT_H
#include "hf_queue.h"
#include "hf_service.h"

typedef struct {
    hf_queue_t *queue; /* the "sla" due-queue: complaint ids scored by their next timer */
    bool queue_ok;     /* false while Redis is down: commands go on, timers wait */
    int claim_batch;
    int lease_ms;
    /* the "sla" branch set as complaint_fire last listed it (hf_queue_branches; the strings
     * and the array owned here): listed again when the set's version moved
     * (hf_queue_waiting_listed), and every COMPLAINT_BRANCHES_REFRESH_MS whatever it says */
    char **branches;
    int nbranches;
    bool branches_listed;             /* false: list at the next tick */
    int64_t branches_version;         /* the set's version the list is known to cover */
    int64_t branches_next_mono;       /* monotonic ms of the next listing whatever the version */
    hf_series_t *m_redis_reconnects;  /* huifang_redis_reconnects_total, set each tick */
    hf_series_t *m_redis_round_trips; /* huifang_redis_round_trips_total, set each tick */
    hf_series_t *m_redis_commands;    /* huifang_redis_commands_total, set each tick */
} complaint_t;

/* The branch list's safety net: listed again this often even when the set's version did
 * not move (a branch added by a Huifang older than the version, a Redis replaced by one
 * whose version happens to match). */
#define COMPLAINT_BRANCHES_REFRESH_MS 30000

extern const hf_migration_t complaint_migrations[];
extern const hf_service_def_t complaint_def;
extern const hf_event_handler_t complaint_calllog_events[];
extern const hf_event_handler_t complaint_intake_events[];

/* Fills self (zeroed by the caller, handed to hf_service_new as the handlers' self) from the
 * service's configuration and connects to Redis; an unreachable Redis is not fatal.
 * complaint_def's init. */
void complaint_init(complaint_t *self, hf_service_t *svc);
/* Releases what complaint_init took; idempotent. complaint_def's release. */
void complaint_release(complaint_t *self);

/* Timers, exposed for tests. complaint_index puts every complaint whose next timer changed
 * into the due-queue (all of them when Redis lost its epoch); complaint_fire claims the due
 * ids and applies their warnings and escalations. Each returns how many it handled, or -1. */
int complaint_index(hf_service_t *svc, void *self);
int complaint_fire(hf_service_t *svc, void *self);

#endif
