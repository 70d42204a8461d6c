/* complaint: the service — its commands, its settings, and the timers that keep every
 * complaint's clock in the Redis due-queue and act on it.
 *
 * Postgres is the record: each card stores its clock and the instant of its next threshold
 * (next_timer_ms), with `indexed` false until that instant is in Redis. The index pass puts
 * changed cards into the "sla" due-queue (or takes stopped ones out); the fire pass claims
 * the ids that are due, and for each one, under the card's row lock, applies every warning
 * and breach the clock passed (complaint_card_catch_up), then marks the card for the index
 * pass to put its next timer back. A claimed id whose work fails stays leased and comes back
 * when the lease expires. When Redis was flushed or replaced (its epoch key is gone), every
 * running card is marked for the index pass again: the due-queue is rebuilt from Postgres. */
#include "complaint_internal.h"
#include "complaint_sql.h"
#include "hf_clock.h"
#include "hf_log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_INDEX_BATCH 500

static const hf_command_t s_commands[] = {
    {HUIFANG__V1__REQUEST__COMMAND_COMPLAINT_FILE, complaint_file, true, HF_ROLES_WORK},
    {HUIFANG__V1__REQUEST__COMMAND_COMPLAINT_LIST, complaint_list, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_COMPLAINT_SHOW, complaint_show, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_COMPLAINT_ACT, complaint_act, true, HF_ROLES_WORK},
    {HUIFANG__V1__REQUEST__COMMAND_COMPLAINT_SLA_SET, complaint_sla_set, true,
     HF_ROLE_HEAD | HF_ROLES_MANAGERS},
    {HUIFANG__V1__REQUEST__COMMAND_COMPLAINT_CALENDAR_SET, complaint_calendar_set, true,
     HF_ROLE_HEAD | HF_ROLES_MANAGERS},
    {HUIFANG__V1__REQUEST__COMMAND_COMPLAINT_CONFIG_SHOW, complaint_config_show, false,
     HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_RETURN_FILE, complaint_return_file, true, HF_ROLES_WORK},
    {HUIFANG__V1__REQUEST__COMMAND_RETURN_DECIDE, complaint_return_decide, true, HF_ROLES_MANAGERS},
    {HUIFANG__V1__REQUEST__COMMAND_RETURN_LIST, complaint_return_list, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_RETURN_POLICY_SET, complaint_return_policy_set, true,
     HF_ROLE_HEAD | HF_ROLES_MANAGERS},
    {HUIFANG__V1__REQUEST__COMMAND_RISK_LIST, complaint_risk_list, false, HF_ROLES_READ},
    {0, NULL, false, 0}};

static const hf_config_entry_t s_config[] = {
    {"tick_ms", "HUIFANG_COMPLAINT_TICK_MS", NULL, "200", HF_CFG_INT, 10, 60000, false,
     "how often due complaint timers are claimed and the due-queue is refreshed"},
    {"claim_batch", "HUIFANG_COMPLAINT_CLAIM_BATCH", NULL, "100", HF_CFG_INT, 1, 10000, false,
     "due complaint timers claimed per branch per round"},
    {"lease_ms", "HUIFANG_COMPLAINT_LEASE_MS", NULL, "30000", HF_CFG_INT, 1000, 3600000, false,
     "how long a claimed timer stays leased before it is returned for another try"},
    HF_CONFIG_END};

static int s_init(hf_service_t *svc, void *self);
static void s_release(void *self);
static int s_tick(hf_service_t *svc, void *self);

static const hf_subscription_t s_subscriptions[] = {
    {"intake", complaint_intake_events}, {"calllog", complaint_calllog_events}, {NULL, NULL}};

static const hf_service_timer_t s_timers[] = {{"tick_ms", s_tick}, {NULL, NULL}};

const hf_service_def_t complaint_def = {
    .name = "complaint",
    .summary =
        "complaint cards, the 24-hour clock with escalation, returns and word-of-mouth risks",
    .config = s_config,
    .migrations = complaint_migrations,
    .commands = s_commands,
    .self_size = sizeof(complaint_t),
    .init = s_init,
    .release = s_release,
    .subscriptions = s_subscriptions,
    .timers = s_timers,
};

/* ---- timers ---- */

/* Checks Redis and its epoch; when the epoch is gone, marks every running card for the
 * index pass. Returns 0 when Redis can be used, -1 otherwise. */
static int s_check_redis(hf_service_t *svc, complaint_t *self)
{
    bool epoch_ok = false;
    if (hf_queue_epoch_ok(self->queue, &epoch_ok) != 0) {
        if (self->queue_ok)
            hf_warn("redis_unavailable", "reason=\"%s\" note=\"complaint timers wait\"",
                    hf_queue_error(self->queue));
        self->queue_ok = false;
        return -1;
    }
    if (!self->queue_ok)
        hf_info("redis_available", "kind=%s", "sla");
    self->queue_ok = true;
    if (!epoch_ok) {
        /* Redis is new, flushed or replaced: every running clock goes back in */
        if (hf_store_query_run(hf_service_store(svc), &COMPLAINT_Q_REINDEX_ALL, 0, NULL) != 0)
            return -1;
        if (hf_queue_mark_epoch(self->queue) != 0)
            return -1;
        hf_info("sla_index_rebuild", "reason=%s", "redis epoch missing");
    }
    return 0;
}

int complaint_index(hf_service_t *svc, void *selfp)
{
    complaint_t *self = selfp;
    hf_store_t *st = hf_service_store(svc);
    if (s_check_redis(svc, self) != 0)
        return -1;
    int total = 0;
    for (int round = 0; round < 20; round++) {
        if (hf_store_begin(st) != 0)
            return -1;
        PGresult *res = hf_store_query(st, &COMPLAINT_Q_UNINDEXED_BATCH, 0, NULL);
        if (res == NULL) {
            hf_store_rollback(st);
            return -1;
        }
        int n = PQntuples(res), rc = 0;
        int64_t ids[S_INDEX_BATCH], dues[S_INDEX_BATCH];
        char list[S_INDEX_BATCH * 21 + 3];
        size_t o = (size_t)snprintf(list, sizeof list, "{");
        for (int i = 0; i < n && rc == 0;) {
            /* one pipelined put per run of the same branch; stopped clocks leave the queue */
            const char *branch = hf_pg_str(res, i, 1);
            int k = 0;
            for (; i < n && strcmp(hf_pg_str(res, i, 1), branch) == 0; i++) {
                int64_t id = hf_pg_int(res, i, 0), next = hf_pg_int(res, i, 2);
                o += (size_t)snprintf(list + o, sizeof list - o, "%s%lld", o > 1 ? "," : "",
                                      (long long)id);
                if (next > 0) {
                    ids[k] = id;
                    dues[k++] = next;
                } else if (hf_queue_remove(self->queue, branch, id) != 0) {
                    rc = -1;
                }
            }
            if (rc == 0 && k > 0)
                rc = hf_queue_put_many(self->queue, branch, ids, dues, k);
        }
        snprintf(list + o, sizeof list - o, "}");
        PQclear(res);
        const char *p[] = {list};
        if (rc == 0 && n > 0)
            rc = hf_store_query_run(st, &COMPLAINT_Q_MARK_INDEXED, 1, p);
        if (rc != 0) {
            hf_store_rollback(st);
            if (self->queue_ok)
                hf_warn("sla_index_failed", "reason=\"%s\"", hf_queue_error(self->queue));
            return -1;
        }
        if (hf_store_commit(st) != 0)
            return -1;
        total += n;
        if (n < S_INDEX_BATCH)
            break;
    }
    return total;
}

/* Applies the clock of one claimed card in its own transaction. 0, or -1 (the lease brings
 * the id back). */
static int s_fire_one(hf_service_t *svc, complaint_t *self, const char *branch, int64_t id,
                      hf_arena_t *a)
{
    hf_store_t *st = hf_service_store(svc);
    if (hf_store_begin(st) != 0)
        return -1;
    complaint_card_t *card = NULL;
    int found = complaint_card_load(st, id, true, false, a, &card);
    if (found < 0) {
        hf_store_rollback(st);
        return -1;
    }
    if (found == 1) {
        /* no such card (an id from another database sharing this Redis?): forget it */
        hf_store_rollback(st);
        hf_warn("sla_unknown_complaint", "branch=%s complaint=%lld", branch, (long long)id);
        return hf_queue_remove(self->queue, branch, id);
    }
    char idtxt[24];
    const char *p[] = {hf_pg_i64(idtxt, id)};
    int rc = complaint_card_catch_up(svc, card, hf_clock_now_ms(), a) < 0;
    /* whatever happened, the index pass puts the next timer back (or takes it out) */
    if (rc == 0)
        rc = hf_store_query_run(st, &COMPLAINT_Q_MARK_UNINDEXED, 1, p);
    if (rc != 0) {
        hf_store_rollback(st);
        return -1;
    }
    return hf_store_commit(st);
}

static void s_forget_branches(complaint_t *self)
{
    for (int b = 0; b < self->nbranches; b++)
        free(self->branches[b]);
    free(self->branches);
    self->branches = NULL;
    self->nbranches = 0;
    self->branches_listed = false;
}

/* Lists the "sla" branch set into self, in place of the last list. 0, or -1 (the last list
 * kept). */
static int s_list_branches(complaint_t *self)
{
    char **branches = NULL;
    int nb = hf_queue_branches(self->queue, &branches);
    if (nb < 0)
        return -1;
    s_forget_branches(self);
    self->branches = branches;
    self->nbranches = nb;
    self->branches_listed = true;
    self->branches_next_mono = hf_clock_mono_ms() + COMPLAINT_BRANCHES_REFRESH_MS;
    hf_debug("sla_branches_listed", "branches=%d version=%lld", nb,
             (long long)self->branches_version);
    return 0;
}

/* What waits in each listed branch, into *what_p (allocated here, the caller frees). The
 * branch list lives between ticks: SMEMBERS of the set at every tick (until the fifteenth
 * round) was 1,000 members, ~500 us of Redis, five times a second, to learn nothing new.
 * The look answers the set's version too; when it moved, a branch was added since the list
 * was made, so the set is listed again and looked at again at once: a new branch's first
 * timer fires in this tick, not the next safety-net listing. 0, or -1 (Redis failed). */
static int s_look(complaint_t *self, int64_t now, int **what_p)
{
    for (int pass = 0;; pass++) {
        if ((!self->branches_listed || hf_clock_mono_ms() >= self->branches_next_mono) &&
            s_list_branches(self) != 0)
            return -1;
        free(*what_p);
        *what_p = calloc((size_t)(self->nbranches > 0 ? self->nbranches : 1), sizeof **what_p);
        int64_t version = 0;
        if (*what_p == NULL ||
            hf_queue_waiting_listed(self->queue, (const char *const *)self->branches,
                                    self->nbranches, now, *what_p, &version) != 0)
            return -1;
        if (version == self->branches_version)
            return 0;
        /* listed after this read, the set holds every branch the version counts */
        self->branches_version = version;
        self->branches_listed = false;
        if (pass > 0)
            return 0; /* it moved again meanwhile: the next tick lists it */
    }
}

int complaint_fire(hf_service_t *svc, void *selfp)
{
    complaint_t *self = selfp;
    if (!self->queue_ok)
        return 0;
    int64_t now = hf_clock_now_ms();
    int total = 0;
    /* what waits in each branch, one round trip for all: a branch with no timer due and no
     * lease expired is not asked (1,000 branches: 2,000 round trips a tick, for nothing) */
    int *what = NULL;
    bool looked = s_look(self, now, &what) == 0;
    if (!looked) {
        hf_warn("redis_unavailable", "reason=\"%s\"", hf_queue_error(self->queue));
        self->queue_ok = false;
    }
    hf_arena_t *a = looked ? hf_arena_new() : NULL;
    int64_t *ids = looked ? malloc(sizeof(int64_t) * (size_t)self->claim_batch) : NULL;
    char **branches = self->branches;
    for (int b = 0; b < self->nbranches && ids != NULL; b++) {
        int reaped = 0, n = 0;
        if (what[b] == 0)
            continue;
        if (((what[b] & HF_QUEUE_EXPIRED) &&
             hf_queue_reap(self->queue, branches[b], now, &reaped) != 0) ||
            hf_queue_claim(self->queue, branches[b], now, self->lease_ms, self->claim_batch, ids,
                           NULL, &n) != 0) {
            hf_warn("redis_unavailable", "branch=%s reason=\"%s\"", branches[b],
                    hf_queue_error(self->queue));
            self->queue_ok = false;
            break;
        }
        for (int i = 0; i < n; i++) {
            s_fire_one(svc, self, branches[b], ids[i], a);
            hf_arena_reset(a);
        }
        total += n;
    }
    free(ids);
    free(what);
    hf_arena_destroy(&a);
    return looked ? total : -1;
}

static int s_tick(hf_service_t *svc, void *selfp)
{
    complaint_t *self = selfp;
    long connects = hf_queue_connects(self->queue);
    hf_series_set(self->m_redis_reconnects, connects > 1 ? (double)(connects - 1) : 0);
    hf_series_set(self->m_redis_round_trips, (double)hf_queue_round_trips(self->queue));
    hf_series_set(self->m_redis_commands, (double)hf_queue_commands(self->queue));
    complaint_index(svc, self);
    if (complaint_fire(svc, self) > 0)
        complaint_index(svc, self); /* put the next timers back without waiting a tick */
    return 0;
}

/* ---- life cycle ---- */

void complaint_init(complaint_t *self, hf_service_t *svc)
{
    const hf_config_t *cfg = hf_service_config_of(svc);
    self->queue = hf_queue_new(hf_config_str(cfg, "redis_url"), "sla");
    hf_queue_set_password(self->queue, hf_config_str(cfg, "redis_password"));
    hf_queue_set_sentinels(self->queue, hf_config_str(cfg, "redis_sentinels"),
                           hf_config_str(cfg, "redis_master_name"));
    self->claim_batch = (int)hf_config_int(cfg, "claim_batch");
    self->lease_ms = (int)hf_config_int(cfg, "lease_ms");
    self->m_redis_reconnects =
        hf_metrics_counter(hf_service_metrics(svc), "huifang_redis_reconnects_total",
                           "Connections to Redis made again after the first (a lost connection)",
                           hf_service_metric_labels(svc));
    self->m_redis_round_trips = hf_metrics_counter(
        hf_service_metrics(svc), "huifang_redis_round_trips_total",
        "Round trips to Redis, a pipeline of commands one (set each tick): a round of the timers "
        "costs a few whatever the number of branches, and one more a branch where something waits",
        hf_service_metric_labels(svc));
    self->m_redis_commands = hf_metrics_counter(
        hf_service_metrics(svc), "huifang_redis_commands_total",
        "Commands sent to Redis (set each tick): a round of the timers asks the wake index once "
        "whatever the number of branches, and two more a branch where something may wait",
        hf_service_metric_labels(svc));
    if (hf_queue_connect(self->queue) != 0)
        hf_warn("redis_unavailable", "reason=\"%s\" note=\"complaint timers wait for Redis\"",
                hf_queue_error(self->queue));
}

void complaint_release(complaint_t *self)
{
    s_forget_branches(self);
    hf_queue_destroy(&self->queue);
}

static int s_init(hf_service_t *svc, void *self)
{
    complaint_init(self, svc);
    return complaint_events_init(svc);
}

static void s_release(void *self)
{
    complaint_events_release();
    complaint_release(self);
}
