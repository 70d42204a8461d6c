/* scheduler: turns purchases into follow-up plans, keeps due tasks in the Redis due-index,
 * fills each agent's date bag within capacity, hands tasks to agents and moves plans on
 * from call outcomes. Any number of instances share one Postgres schema and one Redis. */
#ifndef SCHEDULER_H
#define SCHEDULER_H
#include "hf_queue.h"
#include "hf_service.h"

typedef struct {
    hf_queue_t *queue;
    bool queue_ok;        /* false while Redis is down: planning goes on, assignment waits */
    int claim_batch;
    int lease_ms;
    int max_attempts;     /* unanswered attempts before a card is screened out */
} scheduler_t;

extern const hf_migration_t scheduler_migrations[];
extern const hf_service_def_t scheduler_def;
extern const hf_event_handler_t scheduler_intake_events[];
extern const hf_event_handler_t scheduler_calllog_events[];

/* Fills self (zeroed by the caller, handed to hf_service_new as the handlers' self) from
 * the service's configuration and connects to Redis; an unreachable Redis is not fatal:
 * planning goes on and assignment resumes when it is back. */
void scheduler_init(scheduler_t *self, hf_service_t *svc);
/* Releases what scheduler_init took; idempotent. */
void scheduler_release(scheduler_t *self);
/* Registers the subscriptions and timers on svc. Returns 0 or -1. */
int scheduler_attach(scheduler_t *self, hf_service_t *svc);

/* Timers, exposed for tests: puts planned, unindexed tasks into Redis (rebuilding the
 * whole index when Redis was flushed); assigns due tasks to agents. Each returns the number
 * of tasks handled, or -1. */
int scheduler_index(hf_service_t *svc, void *self);
int scheduler_assign(hf_service_t *svc, void *self);

#endif
