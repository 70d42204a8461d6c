/* scheduler: turns purchases (and leads that name a plan) into follow-up plans, keeps due
 * tasks in the Redis due-index, fills each agent's date bag within capacity and call windows,
 * hands tasks to agents and moves plans on from call outcomes, complaints and the customer's
 * card. Any number of instances share one Postgres schema and one Redis. */
#ifndef SCHEDULER_H
#define SCHEDULER_H
#include "hf_queue.h"
#include "hf_service.h"

typedef struct {
    hf_queue_t *queue;
    /* the branches' work locks (session advisory locks) on a connection of their own when
     * HUIFANG_SCHEDULER_DIRECT_URL is set: through a transaction pooler (PgBouncer in
     * transaction mode) the service's store cannot hold a session lock; NULL: the store */
    hf_store_t *lock_store;
    bool queue_ok;   /* false while Redis is down: planning goes on, assignment waits */
    int claim_batch; /* due tasks claimed (and assigned in one transaction) at a time */
    int lease_ms;
    int max_attempts;           /* unanswered attempts in a row before a card is screened out */
    int assign_budget_ms;       /* how long one assignment round may run before the loop serves */
    int depth_ms;               /* how often the due-index gauges are counted (monotonic ms) */
    int64_t callback_grace_ms;  /* a callback not done this long after its time is missed */
    int archive_grace_days;     /* a plan is archived this many days after its supply ends */
    int member_old_days;        /* an old member without a home visit this long is flagged */
    int member_new_days;        /* ... a new member */
    int member_new_period_days; /* a member is new this many days after joining */
    unsigned rotation;          /* where the next assignment round starts among branches */
    bool assign_more;           /* the last round ran out of time with work left */
    int64_t next_reap_mono;     /* monotonic ms of the next reap of expired leases */
    int64_t next_member_check;  /* clock ms of the next unvisited-member check */
    int64_t next_roll_check;    /* clock ms of the next roll-over of unworked bags */
    /* metrics (hf_metrics.h), counted by the assignment timer */
    hf_series_t *m_claimed, *m_assigned, *m_leases_expired, *m_due, *m_queued, *m_redis_reconnects,
        *m_redis_round_trips, *m_redis_commands;
    int64_t next_depth_mono;   /* monotonic ms of the next due-index depth count */
    int64_t unindexed_deleted; /* rows of task_unindexed deleted since this instance vacuumed it */
} sched_t;

/* At most this many tasks go into the due-index per call of sched_index (a tick): a
 * burst of new plans is indexed over several ticks, assignment running between them. */
#define SCHED_INDEX_ROUND 10000

extern const hf_migration_t sched_migrations[];
extern const hf_service_def_t sched_def;
extern const hf_event_handler_t sched_intake_events[];
extern const hf_event_handler_t sched_calllog_events[];
extern const hf_event_handler_t sched_complaint_events[];

/* Fills self (zeroed by the caller, handed to hf_service_new as the handlers' self) from
 * the service's configuration and connects to Redis; an unreachable Redis is not fatal:
 * planning goes on and assignment resumes when it is back. sched_def's init. */
void sched_init(sched_t *self, hf_service_t *svc);
/* Releases what sched_init took; idempotent. sched_def's release. */
void sched_release(sched_t *self);

/* Timers, exposed for tests: puts planned, unindexed tasks into Redis (rebuilding the
 * whole index when Redis was flushed); assigns due tasks to agents; housekeeping (archives
 * plans whose supply is used up, moves missed callbacks, flags unvisited members). Each
 * returns the number of tasks (or plans, alerts) handled, or -1. */
int sched_index(hf_service_t *svc, void *self);
int sched_assign(hf_service_t *svc, void *self);
int sched_housekeep(hf_service_t *svc, void *self);

#endif
