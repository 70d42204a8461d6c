/* scheduler: the service's definition, settings and life cycle. The work lives in
 * sched_events.c (events from intake, calllog and complaint), sched_assign.c (the due-index
 * and the date bags), sched_house.c (clock-driven rules) and sched_cmd.c (commands); see
 * scheduler_internal.h for the map and README.md for the rules.
 *
 * A task's life: planned (in Postgres, then in the Redis due-index) -> assigned (to an
 * agent's date bag for a day, within capacity) -> claimed (the agent is calling) -> done,
 * or back to planned for a retry, or paused while a complaint is open, or cancelled. Every
 * change of state is one guarded UPDATE ... WHERE state = <expected>, so however Redis or
 * several instances behave, a task is assigned once. */
#include "scheduler_internal.h"
#include <unistd.h>

static const hf_command_t s_commands[] = {
    {HUIFANG__V1__REQUEST__COMMAND_WORKLIST_GET, sched_worklist_get, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_TASK_NEXT, sched_task_next, true, HF_ROLES_WORK},
    {HUIFANG__V1__REQUEST__COMMAND_TASK_SHOW, sched_task_show, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_QUEUE_STATS, sched_queue_stats, false,
     HF_ROLES_SUPERVISORS | HF_ROLE_HQ},
    {HUIFANG__V1__REQUEST__COMMAND_QUEUE_REBUILD, sched_queue_rebuild, true, HF_ROLE_ADMIN},
    {HUIFANG__V1__REQUEST__COMMAND_PLAN_LIST, sched_plan_list, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_PLAN_SHOW, sched_plan_list, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_PLAN_ADD, sched_plan_add, true, HF_ROLES_MANAGERS},
    {HUIFANG__V1__REQUEST__COMMAND_PLAN_STEP_SET, sched_plan_step_set, true, HF_ROLES_MANAGERS},
    {HUIFANG__V1__REQUEST__COMMAND_AGENT_ABSENT, sched_agent_absent, true, HF_ROLES_SUPERVISORS},
    {HUIFANG__V1__REQUEST__COMMAND_SUPERVISOR_ALERT_LIST, sched_supervisor_alert_list, false,
     HF_ROLES_SUPERVISORS | HF_ROLE_HQ},
    {HUIFANG__V1__REQUEST__COMMAND_SUPERVISOR_ALERT_ACK, sched_supervisor_alert_ack, true,
     HF_ROLES_WORK},
    {HUIFANG__V1__REQUEST__COMMAND_TASK_RELEASE, sched_task_release, true, HF_ROLES_WORK},
    {HUIFANG__V1__REQUEST__COMMAND_TASK_SKIP, sched_task_skip, true, HF_ROLES_WORK},
    /* campaigns and segments */

    /* occasions, contact caps, letters and WeChat */
    {HUIFANG__V1__REQUEST__COMMAND_LETTERS_PRINT, sched_letters_print, false, HF_ROLES_WORK},
    {HUIFANG__V1__REQUEST__COMMAND_CONTACT_CAP_SET, sched_contact_cap_set, true, HF_ROLES_MANAGERS},
    {HUIFANG__V1__REQUEST__COMMAND_CONTACT_CAP_GET, sched_contact_cap_get, false, HF_ROLES_READ},

    /* points and gifts */

    {0, NULL, false, 0}};

static const hf_config_entry_t s_config[] = {
    {"direct_url", "HUIFANG_SCHEDULER_DIRECT_URL", NULL, "", HF_CFG_STR, 0, 0, true,
     "a direct Postgres connection (not a transaction pooler) for the branches' work locks, "
     "needed when HUIFANG_SCHEDULER_STORE_URL goes through PgBouncer in transaction mode; "
     "empty: the store's own connection"},
    {"claim_batch", "HUIFANG_SCHEDULER_CLAIM_BATCH", NULL, "500", HF_CFG_INT, 1, 10000, false,
     "due tasks claimed from Redis and assigned in one transaction, per branch"},
    {"lead_batch", "HUIFANG_SCHEDULER_LEAD_BATCH", NULL, "500", HF_CFG_INT, 1, 5000, false,
     "LeadRegistered events applied as one set of statements (1: each lead on its own)"},
    {"lease_ms", "HUIFANG_SCHEDULER_LEASE_MS", NULL, "30000", HF_CFG_INT, 1000, 3600000, false,
     "how long a claimed task stays leased before the reaper returns it"},
    {"max_attempts", "HUIFANG_SCHEDULER_MAX_ATTEMPTS", NULL, "3", HF_CFG_INT, 1, 20, false,
     "unanswered attempts in a row before a card is screened out"},
    {"tick_ms", "HUIFANG_SCHEDULER_TICK_MS", NULL, "200", HF_CFG_INT, 10, 60000, false,
     "how often due tasks are indexed and assigned"},
    {"assign_budget_ms", "HUIFANG_SCHEDULER_ASSIGN_BUDGET_MS", NULL, "500", HF_CFG_INT, 10, 60000,
     false, "how long one assignment round may run before commands and events are served"},
    {"depth_ms", "HUIFANG_SCHEDULER_DEPTH_MS", NULL, "15000", HF_CFG_INT, 1000, 600000, false,
     "how often the due-index gauges (huifang_due_index_due, huifang_due_index_depth) are "
     "counted: Prometheus' scrape_interval, so that no count goes unread"},
    {"house_ms", "HUIFANG_SCHEDULER_HOUSE_MS", NULL, "1000", HF_CFG_INT, 50, 600000, false,
     "how often plans are archived, missed callbacks moved and members checked"},
    {"callback_grace_ms", "HUIFANG_SCHEDULER_CALLBACK_GRACE_MS", NULL, "1800000", HF_CFG_INT, 60000,
     86400000, false,
     "a callback not done this long after its time goes to the team; again: an alert"},
    {"archive_grace_days", "HUIFANG_SCHEDULER_ARCHIVE_GRACE_DAYS", NULL, "7", HF_CFG_INT, 0, 365,
     false, "a plan is archived this many days after its supply ran out"},
    {"member_old_days", "HUIFANG_SCHEDULER_MEMBER_OLD_DAYS", NULL, "30", HF_CFG_INT, 1, 365, false,
     "an old member without a home visit this long is flagged for the manager"},
    {"member_new_days", "HUIFANG_SCHEDULER_MEMBER_NEW_DAYS", NULL, "60", HF_CFG_INT, 1, 365, false,
     "a new member without a home visit this long is flagged for the manager"},
    {"member_new_period_days", "HUIFANG_SCHEDULER_MEMBER_NEW_PERIOD_DAYS", NULL, "90", HF_CFG_INT,
     1, 3650, false, "a member counts as new this many days after joining"},
    HF_CONFIG_END};

static int s_init(hf_service_t *svc, void *self);
static void s_release(void *self);
static int s_tick(hf_service_t *svc, void *selfp);
static int s_house(hf_service_t *svc, void *self);

static const hf_subscription_t s_subscriptions[] = {{"intake", sched_intake_events},
                                                    {"calllog", sched_calllog_events},
                                                    {"complaint", sched_complaint_events},
                                                    {NULL, NULL}};

static const hf_service_timer_t s_timers[] = {{"tick_ms", s_tick},
                                              {"house_ms", s_house},
                                              /* campaigns and segments */
                                              {"house_ms", sched_campaign_expire},
                                              /* occasions */
                                              {"house_ms", sched_occasion_expire},
                                              {NULL, NULL}};

/* answered before the transaction when they can be (hf_command_check_t) */
static const hf_command_check_t s_checks[] = {
    {HUIFANG__V1__REQUEST__COMMAND_TASK_NEXT, sched_task_next_check},
    {HUIFANG__V1__REQUEST__COMMAND_TASK_SHOW, sched_task_show_check},
    {0, NULL}};

/* whose handler claims its idempotency key in its first statement (task next: with the bag
 * roll look; hf_service_key_claimed) */
static const int s_claims_key[] = {HUIFANG__V1__REQUEST__COMMAND_TASK_NEXT, 0};

const hf_service_def_t sched_def = {
    .name = "scheduler",
    .summary = "follow-up plans, due-queues and every agent's date bag",
    .config = s_config,
    .migrations = sched_migrations,
    .commands = s_commands,
    .checks = s_checks,
    .claims_key = s_claims_key,
    .self_size = sizeof(sched_t),
    .init = s_init,
    .release = s_release,
    .subscriptions = s_subscriptions,
    .timers = s_timers,
};

void sched_init(sched_t *self, hf_service_t *svc)
{
    const hf_config_t *cfg = hf_service_config_of(svc);
    sched_branch_keep(svc);
    self->queue = hf_queue_new(hf_config_str(cfg, "redis_url"), "task");
    hf_queue_set_password(self->queue, hf_config_str(cfg, "redis_password"));
    hf_queue_set_sentinels(self->queue, hf_config_str(cfg, "redis_sentinels"),
                           hf_config_str(cfg, "redis_master_name"));
    if (*hf_config_str(cfg, "direct_url")) {
        self->lock_store = hf_store_new(hf_config_str(cfg, "direct_url"), "scheduler");
        hf_store_set_password(self->lock_store, hf_config_str(cfg, "store_password"));
        if (hf_store_connect(self->lock_store) != 0)
            hf_warn("store_unavailable", "connection=direct reason=\"%s\"",
                    hf_store_error(self->lock_store));
    }
    self->claim_batch = (int)hf_config_int(cfg, "claim_batch");
    self->lease_ms = (int)hf_config_int(cfg, "lease_ms");
    self->max_attempts = (int)hf_config_int(cfg, "max_attempts");
    self->assign_budget_ms = (int)hf_config_int(cfg, "assign_budget_ms");
    self->depth_ms = (int)hf_config_int(cfg, "depth_ms");
    self->callback_grace_ms = hf_config_int(cfg, "callback_grace_ms");
    self->archive_grace_days = (int)hf_config_int(cfg, "archive_grace_days");
    self->member_old_days = (int)hf_config_int(cfg, "member_old_days");
    self->member_new_days = (int)hf_config_int(cfg, "member_new_days");
    self->member_new_period_days = (int)hf_config_int(cfg, "member_new_period_days");
    self->rotation = (unsigned)getpid();
    hf_metrics_t *m = hf_service_metrics(svc);
    const char *l = hf_service_metric_labels(svc);
    self->m_claimed = hf_metrics_counter(m, "huifang_tasks_claimed_total",
                                         "Due tasks claimed from the due-index (with a lease)", l);
    self->m_assigned = hf_metrics_counter(m, "huifang_tasks_assigned_total",
                                          "Claimed tasks assigned to an agent's date bag", l);
    self->m_leases_expired = hf_metrics_counter(
        m, "huifang_leases_expired_total",
        "Claims whose lease ran out before they were settled (returned to the index)", l);
    self->m_due = hf_metrics_gauge(m, "huifang_due_index_due",
                                   "Tasks due now in the due-index, all branches (counted every "
                                   "HUIFANG_SCHEDULER_DEPTH_MS, 15 s; per branch: huifang queue "
                                   "stats)",
                                   l);
    self->m_queued = hf_metrics_gauge(m, "huifang_due_index_depth",
                                      "Tasks in the due-index, due or not, all branches (counted "
                                      "every HUIFANG_SCHEDULER_DEPTH_MS, 15 s)",
                                      l);
    self->m_redis_reconnects = hf_metrics_counter(
        m, "huifang_redis_reconnects_total",
        "Connections to Redis made again after the first (a lost connection)", l);
    self->m_redis_round_trips = hf_metrics_counter(
        m, "huifang_redis_round_trips_total",
        "Round trips to Redis, a pipeline of commands one (set each tick): a round of the timers "
        "costs a few whatever the number of branches, and one more a branch where something waits",
        l);
    self->m_redis_commands = hf_metrics_counter(
        m, "huifang_redis_commands_total",
        "Commands sent to Redis (set each tick): a round of the timers asks the wake index once "
        "whatever the number of branches, and two more a branch where something may wait",
        l);
    if (hf_queue_connect(self->queue) != 0)
        hf_warn("redis_unavailable", "reason=\"%s\" note=\"assignment waits for Redis\"",
                hf_queue_error(self->queue));
}

void sched_release(sched_t *self)
{
    hf_queue_destroy(&self->queue);
    hf_store_destroy(&self->lock_store);
}

static int s_init(hf_service_t *svc, void *self)
{
    sched_init(self, svc);
    sched_leads_init(svc);
    return 0;
}

static void s_release(void *self)
{
    sched_release(self);
}

/* Indexes and assigns; 1 (run again at once) while either stopped with work left. */
static int s_tick(hf_service_t *svc, void *selfp)
{
    sched_t *self = selfp;
    int indexed = sched_index(svc, self);
    sched_assign(svc, self);
    return indexed >= SCHED_INDEX_ROUND || self->assign_more ? 1 : 0;
}

static int s_house(hf_service_t *svc, void *self)
{
    return sched_housekeep(svc, self) < 0 ? -1 : 0;
}
