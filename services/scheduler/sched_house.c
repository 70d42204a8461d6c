/* sched_house: the scheduler's clock-driven rules, run by a timer outside any transaction
 * (each part opens its own; any instance may run them, row locks and UNIQUE keys make each
 * effect happen once):
 *
 *   - a plan whose supply ran out (plus a few days' grace) with nothing bought again is
 *     archived: the form is filed and its open steps leave the date bags;
 *   - a callback not done by its deadline goes to the team (anyone of the role and region);
 *     missed again, it raises a supervisor alert;
 *   - a member without a home visit for a month (an old member) or two (a new one) raises a
 *     supervisor alert, for the manager to take back and reassign;
 *   - a task left unworked in an agent's bag of an earlier day rolls into their bag of
 *     today, one step more urgent (a flexible step inside its window keeps its priority),
 *     counted in rolls; it never lingers in an old bag (worklist and task next roll the
 *     agent's own bag first, so the agent never waits for this timer). */
#include "scheduler_internal.h"
#include "scheduler_sql.h"

#define HOUSE_BATCH 500
#define MEMBER_CHECK_EVERY_MS (3600 * 1000LL)
/* Bags of an earlier day are looked for once a minute (of the clock): a day ends once. */
#define ROLL_CHECK_EVERY_MS (60 * 1000LL)

/* Archives the plans of one branch whose supply ended before cutoff. Returns the count. */
static int s_archive_branch(hf_service_t *svc, const char *branch, const char *cutoff,
                            hf_arena_t *a)
{
    hf_store_t *st = hf_service_store(svc);
    char at[24];
    const char *p[] = {branch, cutoff, hf_pg_i64(at, hf_clock_now_ms())};
    if (hf_store_begin(st) != 0)
        return -1;
    PGresult *res = hf_store_query(st, &SCHED_Q_ARCHIVE_BRANCH_PLAN_UPDATE, 3, p);
    if (res == NULL)
        goto fail;
    int n = PQntuples(res);
    if (n > 0) {
        int64_t *plans = hf_new_array(a, int64_t, n);
        for (int i = 0; i < n; i++)
            plans[i] = hf_pg_int(res, i, 0);
        const char *pq[] = {sched_int_array_a(a, plans, (size_t)n)};
        PGresult *r2 = hf_store_query(st, &SCHED_Q_ARCHIVE_BRANCH_TASK, 1, pq);
        if (r2 == NULL) {
            PQclear(res);
            goto fail;
        }
        const char *tasks = hf_arena_strdup(a, hf_pg_str(r2, 0, 0));
        PQclear(r2);
        const char *pc[] = {tasks, at};
        if (sched_release_room(st, tasks) != 0 ||
            /* the rows are locked above in these three states */
            sched_task_move(st, "planned, assigned, paused", "cancelled",
                            &(sched_move_t){.set = "outcome = 'archived', updated_at_ms = $2",
                                            .where = "id = ANY ($1::bigint[])"},
                            2, pc) < 0 ||
            sched_emit_plans_ended(svc, res, "archived", "supply-used-up") != 0) {
            PQclear(res);
            goto fail;
        }
    }
    PQclear(res);
    if (hf_store_commit(st) != 0)
        return -1;
    return n;
fail:
    hf_store_rollback(st);
    return -1;
}

static int s_archive(hf_service_t *svc, sched_t *self, hf_arena_t *a)
{
    PGresult *res = hf_store_query(hf_service_store(svc), &SCHED_Q_ARCHIVE_BRANCHES, 0, NULL);
    if (res == NULL)
        return -1;
    int64_t now = hf_clock_now_ms();
    int total = 0;
    for (int i = 0; i < PQntuples(res); i++) {
        char cutoff[11];
        int32_t cut = hf_time_local_day(now, hf_pg_str(res, i, 1)) - self->archive_grace_days;
        /* the earliest active supply end not before the cutoff: no plan of the branch has run
         * out and its UPDATE would find none (a plan started since the probe waits for the
         * next round, as one started just after the UPDATE always did) */
        if (hf_pg_int(res, i, 2) >= cut)
            continue;
        hf_date_format(cut, cutoff);
        int n = s_archive_branch(svc, hf_pg_str(res, i, 0), cutoff, a);
        hf_arena_reset(a);
        if (n > 0)
            total += n;
    }
    PQclear(res);
    return total;
}

/* Callbacks past their deadline: to the team the first time, an alert the second. */
static int s_missed_callbacks(hf_service_t *svc, sched_t *self, hf_arena_t *a)
{
    hf_store_t *st = hf_service_store(svc);
    int64_t now = hf_clock_now_ms();
    char at[24], deadline[24];
    const char *p[] = {hf_pg_i64(at, now)};
    if (hf_store_begin(st) != 0)
        return -1;
    PGresult *res = hf_store_query(st, &SCHED_Q_MISSED_CALLBACKS_TASK, 1, p);
    if (res == NULL)
        goto fail;
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        const char *id = hf_pg_str(res, i, 0);
        const char *branch = hf_pg_str(res, i, 1);
        int64_t task = hf_pg_int(res, i, 0);
        const char *owner = hf_pg_str(res, i, 4);
        if (hf_pg_int(res, i, 3) == 0) {
            /* missed once: anyone of the role and region may take it now */
            const char *pr[] = {sched_int_array_a(a, &task, 1)};
            const char *pu[] = {id, at, hf_pg_i64(deadline, now + self->callback_grace_ms)};
            if (sched_release_room(st, pr[0]) != 0 ||
                /* the row is locked above in one of these two states */
                sched_task_move(st, "planned, assigned", "planned",
                                &(sched_move_t){.set =
                                                    "agent = '', bag_date = NULL, due_at_ms = $2,"
                                                    " deadline_ms = $3, misses = 1,"
                                                    " priority = least(priority + 5, 49),"
                                                    " updated_at_ms = $2",
                                                .where = "id = $1",
                                                .reindex = true},
                                3, pu) < 0) {
                PQclear(res);
                goto fail;
            }
            hf_warn("callback_missed", "task=%s agent=%s to=team", id, owner);
        } else {
            char *detail = hf_arena_printf(a, "callback promised by %s missed twice", owner);
            char *dedup = hf_arena_printf(a, "callback-missed:%s", id);
            const char *pu[] = {id, at};
            if (sched_raise_alert(svc, branch, "callback-missed", hf_pg_int(res, i, 2), task, owner,
                                  detail, dedup) < 0 ||
                hf_store_query_run(st, &SCHED_Q_MISSED_CALLBACKS_TASK_UPDATE, 2, pu) != 0) {
                PQclear(res);
                goto fail;
            }
        }
    }
    PQclear(res);
    if (hf_store_commit(st) != 0)
        return -1;
    return n;
fail:
    hf_store_rollback(st);
    return -1;
}

/* Members whose last home visit (or joining) is too long ago. */
static int s_unvisited_members(hf_service_t *svc, sched_t *self, hf_arena_t *a)
{
    hf_store_t *st = hf_service_store(svc);
    int64_t now = hf_clock_now_ms();
    /* (a manual clock set back by more than the period starts the rhythm again) */
    if (now < self->next_member_check && self->next_member_check - now <= MEMBER_CHECK_EVERY_MS)
        return 0;
    char at[24], period[24], fresh[24], old[24];
    const char *p[] = {hf_pg_i64(at, now),
                       hf_pg_i64(period, self->member_new_period_days * SCHED_DAY_MS),
                       hf_pg_i64(fresh, self->member_new_days * SCHED_DAY_MS),
                       hf_pg_i64(old, self->member_old_days * SCHED_DAY_MS)};
    if (hf_store_begin(st) != 0)
        return -1;
    /* a member: an active member plan, or a member tier on the card; a member since their
     * first member plan (else since the card was made) is new for member_new_period_days */
    PGresult *res = hf_store_query(st, &SCHED_Q_UNVISITED_MEMBERS, 4, p);
    if (res == NULL)
        goto fail;
    int n = PQntuples(res), raised = 0;
    for (int i = 0; i < n; i++) {
        const char *branch = hf_pg_str(res, i, 1);
        int64_t ref = hf_pg_int(res, i, 2);
        bool young = hf_pg_bool(res, i, 3);
        sched_branch_t b;
        bool missing;
        char since[17] = "";
        if (sched_branch_get(st, branch, &b, &missing) == 0)
            hf_time_local_format(ref, b.tz, since);
        char *detail = hf_arena_printf(a, "%s member without a home visit since %s",
                                       young ? "new" : "old", since);
        char *dedup = hf_arena_printf(a, "member-unvisited:%lld:%lld",
                                      (long long)hf_pg_int(res, i, 0), (long long)ref);
        int rc = sched_raise_alert(svc, branch, "member-unvisited", hf_pg_int(res, i, 0), 0, "",
                                   detail, dedup);
        if (rc < 0) {
            PQclear(res);
            goto fail;
        }
        raised += rc;
    }
    PQclear(res);
    if (hf_store_commit(st) != 0)
        return -1;
    /* a full page means more to look at right away */
    if (n < HOUSE_BATCH)
        self->next_member_check = now + MEMBER_CHECK_EVERY_MS;
    return raised;
fail:
    hf_store_rollback(st);
    return -1;
}

int sched_roll_bags(hf_store_t *st, const sched_branch_t *b, const char *branch, const char *agent)
{
    char todaytxt[11];
    hf_date_format(hf_time_local_day(hf_clock_now_ms(), b->tz), todaytxt);
    /* the tasks first, and nothing else when there are none: agent_day is the assignment's
     * hot table, and a look that finds nothing must not take a lock on it */
    const char *p[] = {branch, agent ? agent : "", todaytxt};
    PGresult *res = hf_store_query(st, &SCHED_Q_ROLL_BAGS_TASK, 3, p);
    if (res == NULL)
        return -1;
    int rc = sched_roll_bags_found(st, b, branch, agent, res, 0);
    PQclear(res);
    return rc;
}

int sched_roll_bags_found(hf_store_t *st, const sched_branch_t *b, const char *branch,
                          const char *agent, const PGresult *found, int col)
{
    int64_t now = hf_clock_now_ms();
    int32_t today = hf_time_local_day(now, b->tz);
    char todaytxt[11], at[24], start[24];
    hf_date_format(today, todaytxt);
    int64_t n = hf_pg_int(found, 0, col + 1);
    if (n == 0)
        return 0;
    char *ids = strdup(hf_pg_str(found, 0, col));
    if (ids == NULL)
        return -1;
    int rc = 0;
    /* a greeting past its day and grace is cancelled rather than rolled (sched_occasion.c) */
    if (n > 0 && sched_occasion_expire_ids(st, ids) < 0)
        rc = -1;
    if (n > 0 && rc == 0) {
        /* in the agent's bag of today, one step more urgent (a flexible step still inside its
         * window keeps its priority; never past 49), counted; the room moves from the old day
         * to today (a rolled task is taken over capacity, as a callback is) */
        const char *pu[] = {ids, todaytxt, hf_pg_i64(at, now),
                            hf_pg_i64(start, hf_time_from_local(today, 0, b->tz))};
        const char *pd[] = {ids, todaytxt, branch};
        if (sched_release_room(st, ids) != 0 ||
            hf_store_query_run(st, &SCHED_Q_ROLL_BAGS_TASK_UPDATE, 4, pu) != 0 ||
            hf_store_query_run(st, &SCHED_Q_ROLL_BAGS_AGENT_DAY_INSERT, 3, pd) != 0)
            rc = -1;
    }
    free(ids);
    if (rc != 0)
        return -1;
    if (n < 500)
        return 0; /* all of them */
    const char *pc[] = {branch, agent ? agent : "", todaytxt};
    PGresult *res = hf_store_query(st, &SCHED_Q_ROLL_BAGS_TASK_2, 3, pc);
    if (res == NULL)
        return -1;
    int left = (int)hf_pg_int(res, 0, 0);
    PQclear(res);
    return left;
}

static int s_roll_over(hf_service_t *svc, sched_t *self)
{
    hf_store_t *st = hf_service_store(svc);
    int64_t now = hf_clock_now_ms();
    /* (a manual clock set back by more than the period starts the rhythm again) */
    if (now < self->next_roll_check && self->next_roll_check - now <= ROLL_CHECK_EVERY_MS)
        return 0;
    PGresult *res = hf_store_query(st, &SCHED_Q_BRANCH_CODES, 0, NULL);
    if (res == NULL)
        return -1;
    bool more = false;
    for (int i = 0; i < PQntuples(res); i++) {
        sched_branch_t b;
        bool missing;
        const char *branch = hf_pg_str(res, i, 0);
        if (sched_branch_get(st, branch, &b, &missing) != 0)
            continue;
        int left = -1;
        if (hf_store_begin(st) == 0) {
            left = sched_roll_bags(st, &b, branch, NULL);
            if (left < 0 || hf_store_commit(st) != 0) {
                hf_store_rollback(st);
                left = -1;
            }
        }
        more = more || left != 0;
    }
    PQclear(res);
    if (!more) /* some left or a failure: look again at the next tick */
        self->next_roll_check = now + ROLL_CHECK_EVERY_MS;
    return 0;
}

int sched_housekeep(hf_service_t *svc, void *selfp)
{
    sched_t *self = selfp;
    hf_arena_t *a = hf_arena_new();
    int total = 0, n;
    if ((n = s_archive(svc, self, a)) > 0)
        total += n;
    hf_arena_reset(a);
    if ((n = s_missed_callbacks(svc, self, a)) > 0)
        total += n;
    hf_arena_reset(a);
    if ((n = s_unvisited_members(svc, self, a)) > 0)
        total += n;
    if ((n = s_roll_over(svc, self)) > 0)
        total += n;
    hf_arena_destroy(&a);
    return total;
}
