/* rep_points: the points read model and `report points` (issue 16).
 *
 * intake's points events (one per ledger row) are summed per branch and local day into
 * points_day; the report gives a month's days and its totals, and what is outstanding (every
 * balance of the branch) at each day's end. */
#include "hf_log.h"
#include "hf_replica.h"
#include "hf_time.h"
#include "reporting_internal.h"
#include "reporting_sql.h"
#include <string.h>

#define S(x) ((x) ? (x) : "")

int rep_points_apply(hf_service_t *svc, const hf_envelope_t *env, hf_arena_t *a)
{
    (void)a;
    const Huifang__V1__PointsEntry *e = NULL;
    int col = 0; /* 0 issued, 1 redeemed, 2 taken back, 3 adjusted */
    switch (env->payload_case) {
    case HUIFANG__V1__ENVELOPE__PAYLOAD_POINTS_EARNED:
        e = env->points_earned->entry;
        break;
    case HUIFANG__V1__ENVELOPE__PAYLOAD_POINTS_REDEEMED:
        e = env->points_redeemed->entry;
        col = 1;
        break;
    case HUIFANG__V1__ENVELOPE__PAYLOAD_POINTS_REVERSED:
        e = env->points_reversed->entry;
        col = 2;
        break;
    default:
        return 0;
    }
    if (e == NULL) {
        hf_warn("event_malformed", "producer=%s seq=%llu reason=\"points without an entry\"",
                S(env->producer), (unsigned long long)env->seq);
        return -2;
    }
    const char *branch = *S(e->branch) ? e->branch : S(env->branch);
    if (*branch == '\0')
        return 0;
    hf_store_t *st = hf_service_store(svc);
    char tz[64];
    int rc = hf_replica_branch(st, branch, tz, sizeof tz, NULL, 0);
    if (rc < 0)
        return -1;
    if (rc > 0) {
        hf_warn("branch_unknown", "branch=%s producer=%s seq=%llu", branch, S(env->producer),
                (unsigned long long)env->seq);
        return -1; /* intake publishes the branch before anything in it */
    }
    char day[11], issued[24], redeemed[24], back[24], owed[24], adjusted[24];
    hf_date_format(hf_time_local_day(e->at_ms ? e->at_ms : env->occurred_at_ms, tz), day);
    int64_t delta = e->delta < 0 ? -e->delta : e->delta;
    if (strcmp(S(e->reason), "adjust") == 0)
        col = 3; /* moved (a merge), neither issued nor spent: signed */
    const char *p[] = {branch,
                       day,
                       hf_pg_i64(issued, col == 0 ? delta : 0),
                       hf_pg_i64(redeemed, col == 1 ? delta : 0),
                       hf_pg_i64(back, col == 2 ? delta : 0),
                       hf_pg_i64(owed, col == 3 ? 0 : e->shortfall),
                       hf_pg_i64(adjusted, col == 3 ? e->delta : 0)};
    return hf_store_query_run(st, &REP_Q_POINTS_APPLY_POINTS_DAY_ADD, 7, p) == 0 ? 0 : -1;
}

int rep_report_points(hf_service_t *svc, const hf_request_t *req, hf_reply_t *rep, hf_arena_t *a)
{
    char from[11], to[11];
    Huifang__V1__ReportResult *r;
    int rc = rep_month_report(svc, req, "points", from, to, &r, rep, a);
    if (rc != HF_OK)
        return rc;
    hf_store_t *st = hf_service_store(svc);
    const char *p[] = {req->branch, from, to};
    /* the month's days with their running outstanding (counting what stood before) */
    PGresult *res = hf_store_query(st, &REP_Q_REPORT_POINTS_DAYS, 3, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    /* and what stands at the month's end */
    const char *pb[] = {req->branch, to};
    PGresult *at_end = hf_store_query(st, &REP_Q_REPORT_POINTS_BALANCE_AT_END, 2, pb);
    if (at_end == NULL) {
        PQclear(res);
        return HF_UNAVAILABLE;
    }
    int n = PQntuples(res);
    Huifang__V1__ReportTable *t = rep_table(
        a, r, "points by day",
        "day,issued:int,redeemed:int,taken_back:int,adjusted:int,owed:int,outstanding:int", n + 1);
    int64_t sum[5] = {0, 0, 0, 0, 0};
    char c[6][24];
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < 5; k++)
            sum[k] += hf_pg_int(res, i, k + 1);
        rep_row(a, t, hf_pg_str(res, i, 0), hf_pg_str(res, i, 1), hf_pg_str(res, i, 2),
                hf_pg_str(res, i, 3), hf_pg_str(res, i, 4), hf_pg_str(res, i, 5),
                hf_pg_str(res, i, 6));
    }
    rep_row(a, t, "TOTAL", hf_pg_i64(c[0], sum[0]), hf_pg_i64(c[1], sum[1]),
            hf_pg_i64(c[2], sum[2]), hf_pg_i64(c[3], sum[3]), hf_pg_i64(c[4], sum[4]),
            hf_pg_i64(c[5], hf_pg_int(at_end, 0, 0)));
    PQclear(res);
    PQclear(at_end);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_REPORT;
    rep->report = r;
    return HF_OK;
}
