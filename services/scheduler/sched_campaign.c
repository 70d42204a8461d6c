/* sched_campaign: the calls of a campaign (issue 16).
 *
 * intake.campaign_invited   an invitation task (origin campaign, purpose campaign-invite) for
 *                           each customer of the chunk, spread over the invite days before
 *                           the reminders' day (the day before the event): each goes to the day
 * with the fewest phone tasks already planned or in bags, so the invitations share the days evenly
 * with the plans' work; it is placed in the customer's first call window of that day. The date bags
 * take them as every task (sched_assign.c): within each agent's capacity, by region.
 * calllog.call_logged       an invitation (or reminder) logged accepted or declined emits
 *                           CampaignAnswered; accepted plans a reminder call the day before
 *                           the event (campaign-reminder), declined cancels a planned one.
 * intake.campaign_attended  a thank-you call the day after the event (campaign-thanks).
 *                           No-shows (accepted, never checked in) get no call: they heard
 *                           from us twice already, and the report counts them.
 * Each task is UNIQUE per campaign, customer and purpose, so a replayed event adds none. */
#include "scheduler_internal.h"
#include "scheduler_sql.h"

/* Priorities: an invitation sits above new leads and below care; a reminder has one day to
 * happen and a thank-you is care. */
#define CAMPAIGN_INVITE_PRIORITY 15
#define CAMPAIGN_REMINDER_PRIORITY 25
#define CAMPAIGN_THANKS_PRIORITY 20
#define CAMPAIGN_ROLE "phone"

/* Keeps the campaign's copy (what the reminder and the thank-you need). 0 or -1. */
static int s_campaign_upsert(hf_store_t *st, const char *branch, const Huifang__V1__Campaign *k)
{
    char id[24], at[24], inv[16], day[11];
    hf_date_format(k->event_day, day);
    const char *p[] = {hf_pg_i64(id, k->id),
                       branch,
                       S(k->name),
                       S(k->place),
                       hf_pg_i64(at, k->at_ms),
                       day,
                       hf_pg_i64(inv, k->invite_days)};
    return hf_store_query_run(st, &SCHED_Q_CAMPAIGN_UPSERT, 7, p);
}

/* What an agent says on a campaign's call of purpose (the event's what, where and local time,
 * and the call's aim) into out (size n; "" for an unknown campaign): stored in the task's
 * talking_points when it is made, so the worklist, `task next` and `task show` show it.
 * Migration 012 wrote it into the tasks made before. 0 or -1. */
static int s_talking_points(hf_store_t *st, int64_t campaign_id, const char *purpose, char *out,
                            size_t n)
{
    *out = '\0';
    char kid[24];
    const char *p[] = {hf_pg_i64(kid, campaign_id)};
    PGresult *res = hf_store_query(st, &SCHED_Q_CAMPAIGN_TALKING_POINTS, 1, p);
    if (res == NULL)
        return -1;
    if (PQntuples(res)) {
        char when[32];
        hf_time_local_format(hf_pg_int(res, 0, 2), hf_pg_str(res, 0, 3), when);
        const char *aim = strcmp(purpose, "campaign-invite") == 0
                              ? "invite; log accepted or declined"
                          : strcmp(purpose, "campaign-reminder") == 0 ? "remind: they accepted"
                                                                      : "thank them for coming";
        snprintf(out, n, "%s at %s, %s (%s)", hf_pg_str(res, 0, 0), hf_pg_str(res, 0, 1), when,
                 aim);
    }
    PQclear(res);
    return 0;
}

/* Inserts one campaign task for customer on local day (at the first window of the
 * customer's that day, not before now, not after latest when latest > 0). Returns the task
 * id, 0 when it existed (or the customer cannot be called), or -1. */
static int64_t s_task_add(hf_store_t *st, const char *branch, const sched_branch_t *b,
                          int64_t campaign_id, int64_t customer_id, const char *purpose,
                          int priority, int32_t day, int64_t latest)
{
    char cid[24];
    const char *pc[] = {hf_pg_i64(cid, customer_id)};
    PGresult *res = hf_store_query(st, &SCHED_Q_TASK_ADD_CUSTOMER, 1, pc);
    if (res == NULL)
        return -1;
    if (PQntuples(res) && hf_pg_bool(res, 0, 1)) {
        PQclear(res);
        return 0; /* opted out or void since the segment was read */
    }
    /* do not disturb: the day after the period, if that is still in time */
    int64_t dnd = PQntuples(res) ? hf_pg_int(res, 0, 2) : INT32_MIN;
    if (dnd >= day)
        day = (int32_t)dnd + 1;
    char windows[256];
    sched_windows_effective(b->windows, PQntuples(res) ? hf_pg_str(res, 0, 0) : "", windows,
                            sizeof windows);
    PQclear(res);
    int64_t now = hf_clock_now_ms();
    int64_t due = sched_day_start(day, windows, b->tz);
    if (due < now)
        due = now;
    if (latest > 0 && due >= latest)
        return 0; /* no time left before the event (a do-not-disturb period covers it) */
    char kid[24], dueat[24], prio[16], at[24], lat[24], points[1024];
    if (s_talking_points(st, campaign_id, purpose, points, sizeof points) != 0)
        return -1;
    const char *p[] = {branch,
                       cid,
                       purpose,
                       CAMPAIGN_ROLE,
                       hf_pg_i64(dueat, due),
                       hf_pg_i64(prio, priority),
                       hf_pg_i64(at, now),
                       hf_pg_i64(kid, campaign_id),
                       hf_pg_i64(lat, latest),
                       points};
    res = hf_store_query(st, &SCHED_Q_TASK_ADD_TASK_INSERT, 10, p);
    if (res == NULL)
        return -1;
    int64_t id = PQntuples(res) ? hf_pg_int(res, 0, 0) : 0;
    PQclear(res);
    return id;
}

/* The phone work the branch holds on each day first .. first + n - 1 (local days): tasks
 * planned for the day and tasks in its bags. Into load[]; cap gets what the role's active
 * agents can take a day. 0 or -1. */
static int s_day_loads(hf_store_t *st, const char *branch, const char *tz, int32_t first, int n,
                       int *load, int *cap)
{
    char from[24], nd[16], d0[11];
    hf_date_format(first, d0);
    const char *p[] = {branch, hf_pg_i64(from, hf_time_from_local(first, 0, tz)),
                       hf_pg_i64(nd, n - 1), d0, CAMPAIGN_ROLE};
    /* days are 24 h from local midnight: exact for zones without daylight saving */
    PGresult *res = hf_store_query(st, &SCHED_Q_DAY_LOADS_TASK, 5, p);
    if (res == NULL)
        return -1;
    for (int i = 0; i < n; i++)
        load[i] = i < PQntuples(res) ? (int)hf_pg_int(res, i, 1) : 0;
    PQclear(res);
    const char *pc[] = {branch, CAMPAIGN_ROLE};
    res = hf_store_query(st, &SCHED_Q_DAY_LOADS_AGENT, 2, pc);
    if (res == NULL)
        return -1;
    *cap = (int)hf_pg_int(res, 0, 0);
    PQclear(res);
    return 0;
}

/* intake.campaign_created: the copy. */
int sched_on_campaign_created(hf_service_t *svc, void *self, const hf_envelope_t *env,
                              hf_arena_t *a)
{
    (void)self;
    (void)a;
    const Huifang__V1__Campaign *k = env->campaign_created->campaign;
    if (k == NULL || k->id <= 0)
        return 0;
    return s_campaign_upsert(hf_service_store(svc), S(env->branch)[0] ? env->branch : k->branch,
                             k) == 0
               ? 0
               : -1;
}

/* intake.campaign_invited: the invitations of a chunk, spread over the invite days. */
int sched_on_campaign_invited(hf_service_t *svc, void *self, const hf_envelope_t *env,
                              hf_arena_t *a)
{
    (void)self;
    (void)a;
    const Huifang__V1__CampaignInvited *ci = env->campaign_invited;
    const Huifang__V1__Campaign *k = ci->campaign;
    if (k == NULL || k->id <= 0)
        return 0;
    const char *branch = S(env->branch)[0] ? env->branch : S(k->branch);
    hf_store_t *st = hf_service_store(svc);
    sched_branch_t b;
    bool missing;
    if (sched_branch_get(st, branch, &b, &missing) != 0)
        return missing ? 0 : -1;
    if (s_campaign_upsert(st, branch, k) != 0)
        return -1;
    int32_t today = hf_time_local_day(hf_clock_now_ms(), b.tz);
    /* the day before the event is the reminders' day: the invitations take the invite days
     * before it, so that the two never compete for the same bags */
    int32_t last = k->event_day - 2;
    int32_t first = last + 1 - (k->invite_days > 0 ? k->invite_days : 5);
    if (first < today)
        first = today;
    if (last < first)
        last = first; /* the event is soon: invite at once */
    int n = last - first + 1;
    if (n > 31)
        n = 31;
    int load[31], cap = 0;
    if (s_day_loads(st, branch, b.tz, first, n, load, &cap) != 0)
        return -1;
    int made = 0;
    for (size_t i = 0; i < ci->n_customer_ids; i++) {
        /* the least loaded day, the earliest of equals: the invitations share the days */
        int best = 0;
        for (int d = 1; d < n; d++)
            if (load[d] < load[best])
                best = d;
        int64_t id = s_task_add(st, branch, &b, k->id, ci->customer_ids[i], "campaign-invite",
                                CAMPAIGN_INVITE_PRIORITY, first + best, k->at_ms);
        if (id < 0)
            return -1;
        if (id > 0) {
            load[best]++;
            made++;
        }
    }
    hf_info("campaign_invitations", "campaign=%lld chunk=%d/%d tasks=%d days=%d cap=%d",
            (long long)k->id, ci->chunk, ci->chunks, made, n, cap);
    return 0;
}

/* intake.campaign_attended: the thank-you call the day after the event. */
int sched_on_campaign_attended(hf_service_t *svc, void *self, const hf_envelope_t *env,
                               hf_arena_t *a)
{
    (void)self;
    (void)a;
    const Huifang__V1__CampaignAttended *ca = env->campaign_attended;
    hf_store_t *st = hf_service_store(svc);
    char kid[24];
    const char *p[] = {hf_pg_i64(kid, ca->campaign_id)};
    PGresult *res = hf_store_query(st, &SCHED_Q_ON_CAMPAIGN_ATTENDED, 1, p);
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        hf_warn("event_skipped", "campaign=%lld reason=\"unknown campaign\"",
                (long long)ca->campaign_id);
        return 0;
    }
    char branch[32];
    snprintf(branch, sizeof branch, "%s", hf_pg_str(res, 0, 0));
    int32_t day = (int32_t)hf_pg_int(res, 0, 1) + 1;
    PQclear(res);
    sched_branch_t b;
    bool missing;
    if (sched_branch_get(st, branch, &b, &missing) != 0)
        return missing ? 0 : -1;
    return s_task_add(st, branch, &b, ca->campaign_id, ca->customer_id, "campaign-thanks",
                      CAMPAIGN_THANKS_PRIORITY, day, 0) < 0
               ? -1
               : 0;
}

int sched_campaign_call_logged(hf_service_t *svc, const Huifang__V1__Contact *ct,
                               const Huifang__V1__Task *t)
{
    const char *outcome = S(ct->outcome);
    bool accepted = strcmp(outcome, "accepted") == 0;
    if (!accepted && strcmp(outcome, "declined") != 0)
        return 0;
    hf_store_t *st = hf_service_store(svc);
    char tid[24];
    const char *p[] = {hf_pg_i64(tid, t->id)};
    PGresult *res = hf_store_query(st, &SCHED_Q_CAMPAIGN_CALL_LOGGED, 1, p);
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return 0; /* not a campaign's task */
    }
    int64_t campaign_id = hf_pg_int(res, 0, 0), at_ms = hf_pg_int(res, 0, 1);
    int32_t event_day = (int32_t)hf_pg_int(res, 0, 2);
    PQclear(res);

    Huifang__V1__CampaignAnswered ev = HUIFANG__V1__CAMPAIGN_ANSWERED__INIT;
    ev.campaign_id = campaign_id;
    ev.customer_id = t->customer_id;
    ev.answer = accepted ? "accepted" : "declined";
    ev.task_id = t->id;
    ev.contact_id = ct->id;
    ev.agent = (char *)S(ct->agent);
    ev.answered_at_ms = ct->logged_at_ms > 0 ? ct->logged_at_ms : hf_clock_now_ms();
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = t->branch;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CAMPAIGN_ANSWERED;
    env.campaign_answered = &ev;
    if (hf_service_emit(svc, &env) != 0)
        return -1;

    if (!accepted) {
        /* a change of mind: the reminder not yet in a bag is no longer wanted */
        char kid[24], cid[24], now[24];
        const char *pm[] = {hf_pg_i64(kid, campaign_id), hf_pg_i64(cid, t->customer_id),
                            hf_pg_i64(now, hf_clock_now_ms())};
        return sched_task_move(st, "planned", "cancelled",
                               &(sched_move_t){.set = "outcome = 'declined', updated_at_ms = $3",
                                               .where = "campaign_id = $1 AND customer_id = $2"
                                                        " AND purpose = 'campaign-reminder'"},
                               3, pm) < 0
                   ? -1
                   : 0;
    }
    sched_branch_t b;
    bool missing;
    if (sched_branch_get(st, t->branch, &b, &missing) != 0)
        return missing ? 0 : -1;
    int32_t today = hf_time_local_day(hf_clock_now_ms(), b.tz);
    if (event_day - 1 < today)
        return 0; /* accepted on the day before or the day itself: nothing left to remind */
    int64_t id = s_task_add(st, t->branch, &b, campaign_id, t->customer_id, "campaign-reminder",
                            CAMPAIGN_REMINDER_PRIORITY, event_day - 1, at_ms);
    if (id > 0)
        hf_info("campaign_reminder", "campaign=%lld customer=%lld task=%lld",
                (long long)campaign_id, (long long)t->customer_id, (long long)id);
    return id < 0 ? -1 : 0;
}

int sched_campaign_expire(hf_service_t *svc, void *self)
{
    (void)self;
    hf_store_t *st = hf_service_store(svc);
    char now[24];
    const char *p[] = {hf_pg_i64(now, hf_clock_now_ms())};
    if (hf_store_begin(st) != 0)
        return -1;
    /* an invitation or reminder still open when its event has begun is no use any more:
     * cancelled, its date-bag room given back (a claimed one ends with its outcome) */
    PGresult *res = hf_store_query(st, &SCHED_Q_CAMPAIGN_EXPIRE, 1, p);
    if (res == NULL)
        goto fail;
    char *ids = strdup(hf_pg_str(res, 0, 0));
    int64_t n = hf_pg_int(res, 0, 1);
    PQclear(res);
    if (ids == NULL)
        goto fail;
    const char *pm[] = {ids, now};
    int rc = n == 0 ? 0 : sched_release_room(st, ids);
    if (rc == 0 && n > 0 &&
        sched_task_move(st, "planned, assigned, paused", "cancelled",
                        &(sched_move_t){.set = "outcome = 'event-passed', updated_at_ms = $2",
                                        .where = "id = ANY ($1::bigint[])"},
                        2, pm) < 0)
        rc = -1;
    free(ids);
    if (rc != 0)
        goto fail;
    if (hf_store_commit(st) != 0)
        return -1;
    if (n > 0)
        hf_info("campaign_calls_expired", "tasks=%lld", (long long)n);
    return 0;
fail:
    hf_store_rollback(st);
    return -1;
}
