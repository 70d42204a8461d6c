/* sched_occasion: intake's occasion_due events become care calls (issue 16). For each
 * customer named: nothing for one unknown, opted out, void or in a do-not-disturb period
 * covering the day; else, when a call is already planned for that customer that day, the
 * greeting is MERGED into it as a talking point (one contact, not two); else, when the
 * customer's week already holds the branch's cap of contacts (in bags or planned), the
 * greeting is DROPPED (it gives way to the plan's steps); else a task of origin 'occasion'
 * at the first of the customer's windows that day (phone, role phone, the rule's purpose,
 * its script as talking points). The assignment checks the cap again when the task enters a
 * bag (sched_cap.c). Each (key, customer) is handled once (occasion_made), whatever is
 * replayed. */
#include "hf_wire.h"
#include "scheduler_internal.h"
#include "scheduler_sql.h"

/* Records the result and task of n customers of the event (their rows were claimed as
 * dropped). 0 or -1. */
static int s_mark(hf_store_t *st, const char *key, const char *result, const int64_t *cids,
                  const int64_t *tasks, int n, hf_arena_t *a)
{
    if (n <= 0)
        return 0;
    const char *p[] = {key, result, sched_int_array_a(a, cids, (size_t)n),
                       sched_int_array_a(a, tasks, (size_t)n)};
    return hf_store_query_run(st, &SCHED_Q_OCCASION_MADE_MARK, 4, p);
}

int sched_on_occasion_due(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__OccasionDue *ev = env->occasion_due;
    hf_store_t *st = hf_service_store(svc);
    const char *branch = S(env->branch);
    int32_t day;
    if (ev == NULL || hf_date_parse(S(ev->day), &day) != 0 || *S(ev->key) == '\0') {
        hf_warn("occasion_due_unusable", "branch=%s day=%s", branch, ev ? S(ev->day) : "");
        return -2;
    }
    if (ev->n_customer_ids == 0)
        return 0;
    sched_branch_t b;
    bool missing = false;
    if (sched_branch_get(st, branch, &b, &missing) != 0) {
        if (!missing)
            return -1;
        hf_warn("occasion_due_skipped", "branch=%s reason=\"unknown branch\"", branch);
        return 0;
    }
    int cap = sched_cap_per_week(st, branch);
    if (cap < 0)
        return -1;
    int64_t now = hf_clock_now_ms();
    int32_t today = hf_time_local_day(now, b.tz);
    int32_t mon = sched_cap_week_start(day);
    char dayt[11], mont[11], ds[24], de[24], ws[24], we[24], nowt[24];
    hf_date_format(day, dayt);
    hf_date_format(mon, mont);
    const char *p[] = {sched_int_array_a(a, ev->customer_ids, ev->n_customer_ids),
                       branch,
                       dayt,
                       hf_pg_i64(ds, hf_time_from_local(day, 0, b.tz)),
                       hf_pg_i64(de, hf_time_from_local(day + 1, 0, b.tz)),
                       mont,
                       hf_pg_i64(ws, hf_time_from_local(mon, 0, b.tz)),
                       hf_pg_i64(we, hf_time_from_local(mon + 7, 0, b.tz)),
                       S(ev->key),
                       hf_pg_i64(nowt, now)};
    /* claim the customers first (once per key), then read what decides each */
    PGresult *res = hf_store_query(st, &SCHED_Q_OCCASION_CLAIM, 10, p);
    if (res == NULL)
        return -1;
    int n = PQntuples(res), made = 0, merged = 0, dropped = 0, capped = 0;
    const char *purpose = *S(ev->purpose) ? ev->purpose : "care";
    const char *script = S(ev->script);
    const char *note = *script ? script : hf_arena_printf(a, "%s greeting", S(ev->occasion));
    /* decided row by row, written set by set: a chunk costs a few statements, not two a
     * customer */
    int64_t *dr_cid = hf_new_array(a, int64_t, n + 1), *mk_cid = hf_new_array(a, int64_t, n + 1),
            *mk_due = hf_new_array(a, int64_t, n + 1), *mg_cid = hf_new_array(a, int64_t, n + 1),
            *mg_task = hf_new_array(a, int64_t, n + 1);
    const char **dr_why = hf_new_array(a, const char *, n + 1);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        int64_t cid = hf_pg_int(res, i, 0);
        const char *why = NULL;
        if (!hf_pg_bool(res, i, 1))
            why = "unknown customer";
        else if (hf_pg_bool(res, i, 2))
            why = "opted out";
        else if (strcmp(hf_pg_str(res, i, 3), "void") == 0)
            why = "void card";
        else if (hf_pg_bool(res, i, 4))
            why = "do not disturb";
        else if (day < today)
            why = "late: the day has passed";
        else if (PQgetisnull(res, i, 6) && hf_pg_int(res, i, 7) >= cap) {
            why = "weekly contact cap";
            capped++;
        }
        if (why) {
            dr_cid[dropped] = cid;
            dr_why[dropped++] = why;
            continue;
        }
        if (!PQgetisnull(res, i, 6)) {
            /* a call that day already: the greeting is a talking point of it */
            int64_t task = hf_pg_int(res, i, 6);
            char t[24];
            const char *pm[] = {hf_pg_i64(t, task), note};
            rc = hf_store_query_run(st, &SCHED_Q_ON_OCCASION_DUE_TASK_UPDATE, 2, pm);
            mg_cid[merged] = cid;
            mg_task[merged++] = task;
            continue;
        }
        char windows[256];
        sched_windows_effective(b.windows, hf_pg_str(res, i, 5), windows, sizeof windows);
        int64_t due = sched_day_start(day, windows, b.tz);
        mk_cid[made] = cid;
        mk_due[made++] = due < now ? now : due;
    }
    PQclear(res);
    if (rc != 0)
        return -1;
    if (made) {
        char pr[16];
        const char *pi[] = {branch,
                            sched_int_array_a(a, mk_cid, (size_t)made),
                            purpose,
                            sched_int_array_a(a, mk_due, (size_t)made),
                            hf_pg_i64(pr, sched_priority(purpose)),
                            nowt,
                            script};
        res = hf_store_query(st, &SCHED_Q_ON_OCCASION_DUE_TASK_INSERT, 7, pi);
        if (res == NULL)
            return -1;
        for (int i = 0; i < PQntuples(res); i++) {
            mg_cid[merged + i] = hf_pg_int(res, i, 0);
            mg_task[merged + i] = hf_pg_int(res, i, 1);
        }
        PQclear(res);
    }
    /* what became of each: the merged ones, the new tasks, the drops' reasons */
    if (s_mark(st, S(ev->key), "merged", mg_cid, mg_task, merged, a) != 0 ||
        s_mark(st, S(ev->key), "task", mg_cid + merged, mg_task + merged, made, a) != 0)
        return -1;
    const char *pd[] = {S(ev->key), sched_int_array_a(a, dr_cid, (size_t)dropped),
                        sched_text_array_a(a, dr_why, (size_t)dropped)};
    if (dropped > 0 &&
        hf_store_query_run(st, &SCHED_Q_ON_OCCASION_DUE_OCCASION_MADE_UPDATE, 3, pd) != 0)
        return -1;

    hf_info("occasion_planned",
            "branch=%s occasion=%s day=%s key=%s chunk=%d/%d tasks=%d merged=%d dropped=%d", branch,
            S(ev->occasion), dayt, S(ev->key), (int)ev->chunk, (int)ev->chunks, made, merged,
            dropped);
    if (n == 0)
        return 0; /* a replay: said before */
    /* what became of the chunk, for reporting (member care) */
    Huifang__V1__OccasionPlanned op = HUIFANG__V1__OCCASION_PLANNED__INIT;
    op.key = (char *)S(ev->key);
    op.occasion = (char *)S(ev->occasion);
    op.day = dayt;
    op.handled = n;
    op.made = made;
    op.merged = merged;
    op.dropped_cap = capped;
    op.dropped = dropped - capped;
    op.chunk = ev->chunk;
    op.chunks = ev->chunks;
    hf_envelope_t out = HUIFANG__V1__ENVELOPE__INIT;
    out.branch = (char *)branch;
    out.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_OCCASION_PLANNED;
    out.occasion_planned = &op;
    return hf_service_emit(svc, &out) != 0 ? -1 : 0;
}

/* The open occasion tasks whose occasion day plus SCHED_OCCASION_GRACE_DAYS is before the
 * local day of their branch at now (UTC ms, $1; the grace is $2), of task t joined to its
 * occasion_made m and branch b. */
#define OCCASION_PASSED                                                                            \
    "t.origin = 'occasion' AND t.state IN ('planned', 'assigned', 'paused') AND m.day +"           \
    " $2::int < (to_timestamp($1::bigint / 1000.0) AT TIME ZONE b.tz)::date"
#define OCCASION_JOINS                                                                             \
    " FROM task t JOIN occasion_made m ON m.task_id = t.id AND m.result = 'task'"                  \
    " JOIN branch b ON b.code = t.branch"

/* Cancels the passed greetings among ids (a bigint array literal; NULL: any, 500 at most,
 * locked ones skipped) with outcome occasion-passed, their date-bag room given back. Inside
 * the caller's transaction. Returns how many, or -1. */
static int64_t s_expire(hf_store_t *st, const char *ids, int64_t now)
{
    char nowt[24], grace[16];
    snprintf(grace, sizeof grace, "%d", SCHED_OCCASION_GRACE_DAYS);
    const char *p[] = {hf_pg_i64(nowt, now), grace, ids ? ids : "{}"};
    PGresult *res = hf_store_exec(
        st,
        ids ? "SELECT coalesce('{' || string_agg(t.id::text, ',') || '}', '{}'), "
              "count(*)" OCCASION_JOINS " WHERE t.id = ANY ($3::bigint[]) AND " OCCASION_PASSED
            : "SELECT coalesce('{' || string_agg(x.id::text, ',') || '}', '{}'), count(*) FROM"
              " (SELECT t.id" OCCASION_JOINS " WHERE " OCCASION_PASSED
              " ORDER BY t.id LIMIT 500 FOR UPDATE OF t SKIP LOCKED) x",
        ids ? 3 : 2, p);
    if (res == NULL)
        return -1;
    char *gone = strdup(hf_pg_str(res, 0, 0));
    int64_t n = hf_pg_int(res, 0, 1);
    PQclear(res);
    if (gone == NULL)
        return -1;
    const char *pm[] = {gone, nowt};
    int64_t rc = n;
    if (n > 0 &&
        (sched_release_room(st, gone) != 0 ||
         sched_task_move(st, "planned, assigned, paused", "cancelled",
                         &(sched_move_t){.set = "outcome = 'occasion-passed', updated_at_ms = $2",
                                         .where = "id = ANY ($1::bigint[])"},
                         2, pm) < 0))
        rc = -1;
    free(gone);
    if (rc > 0)
        hf_info("occasion_calls_expired", "tasks=%lld from=%s", (long long)rc,
                ids ? "bags" : "timer");
    return rc;
}

int64_t sched_occasion_expire_ids(hf_store_t *st, const char *ids)
{
    return s_expire(st, ids, hf_clock_now_ms());
}

int sched_occasion_expire(hf_service_t *svc, void *self)
{
    (void)self;
    hf_store_t *st = hf_service_store(svc);
    if (hf_store_begin(st) != 0)
        return -1;
    if (s_expire(st, NULL, hf_clock_now_ms()) < 0) {
        hf_store_rollback(st);
        return -1;
    }
    return hf_store_commit(st) != 0 ? -1 : 0;
}
