/* rep_points: the points read model and `report points` (issue 16).
 *
 * intake's points events (one per ledger row) are summed per branch and local day into
 * points_day; the report gives a month's days and its totals, and what is outstanding (every
 * balance of the branch) at each day's end. */
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_replica.h"
#include "hf_time.h"
#include "reporting_internal.h"
#include "reporting_sql.h"
#include <stdarg.h>
#include <stdio.h>
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

/* A row of cells copied into the arena. */
static void s_row(hf_arena_t *a, Huifang__V1__ReportTable *t, ...)
{
    Huifang__V1__ReportRow *row = hf_new(a, Huifang__V1__ReportRow);
    huifang__v1__report_row__init(row);
    row->cells = hf_new_array(a, char *, t->n_columns);
    va_list ap;
    va_start(ap, t);
    for (size_t i = 0; i < t->n_columns; i++)
        row->cells[row->n_cells++] = hf_arena_strdup(a, va_arg(ap, const char *));
    va_end(ap);
    t->rows[t->n_rows++] = row;
}

int rep_report_points(hf_service_t *svc, const hf_request_t *req, hf_reply_t *rep, hf_arena_t *a)
{
    const Huifang__V1__ReportRequest *q = req->report;
    if (*S(q->date))
        return hf_fail(rep, a, HF_BAD_INPUT, "date", "date does not apply to points (use --month)");
    if (*S(q->week))
        return hf_fail(rep, a, HF_BAD_INPUT, "week", "week does not apply to points (use --month)");
    if (*S(q->agent))
        return hf_fail(rep, a, HF_BAD_INPUT, "agent", "agent applies to agent-daily only");
    if (q->days_set)
        return hf_fail(rep, a, HF_BAD_INPUT, "days", "days applies to repurchase only");
    hf_store_t *st = hf_service_store(svc);
    char tz[64];
    int rc = hf_replica_need_branch(st, req->branch, tz, sizeof tz, rep, a);
    if (rc != HF_OK)
        return rc;
    int32_t today = hf_time_local_day(hf_clock_now_ms(), tz);
    rep_period_t per;
    if (rep_period_month(q->month, today, &per) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "month", "month \"%s\" is not a month like 2026-11",
                       q->month);
    char from[11], to[11];
    hf_date_format(per.from, from);
    hf_date_format(per.to, to);
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
    Huifang__V1__ReportResult *r = hf_new(a, Huifang__V1__ReportResult);
    huifang__v1__report_result__init(r);
    r->name = "points";
    r->branch = req->branch;
    r->tz = hf_arena_strdup(a, tz);
    rep_result_period(r, &per, a);
    Huifang__V1__ReportTable *t = hf_new(a, Huifang__V1__ReportTable);
    huifang__v1__report_table__init(t);
    t->title = "points by day";
    static char *cols[] = {"day",      "issued", "redeemed",   "taken_back",
                           "adjusted", "owed",   "outstanding"};
    static char *kinds[] = {"text", "int", "int", "int", "int", "int", "int"};
    t->columns = cols;
    t->n_columns = 7;
    t->kinds = kinds;
    t->n_kinds = 7;
    int n = PQntuples(res);
    t->rows = hf_new_array(a, Huifang__V1__ReportRow *, n + 1);
    int64_t sum[5] = {0, 0, 0, 0, 0};
    char c[6][24];
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < 5; k++)
            sum[k] += hf_pg_int(res, i, k + 1);
        s_row(a, t, hf_pg_str(res, i, 0), hf_pg_str(res, i, 1), hf_pg_str(res, i, 2),
              hf_pg_str(res, i, 3), hf_pg_str(res, i, 4), hf_pg_str(res, i, 5),
              hf_pg_str(res, i, 6));
    }
    s_row(a, t, "TOTAL", hf_pg_i64(c[0], sum[0]), hf_pg_i64(c[1], sum[1]), hf_pg_i64(c[2], sum[2]),
          hf_pg_i64(c[3], sum[3]), hf_pg_i64(c[4], sum[4]),
          hf_pg_i64(c[5], hf_pg_int(at_end, 0, 0)));
    PQclear(res);
    PQclear(at_end);
    r->tables = hf_new_array(a, Huifang__V1__ReportTable *, 1);
    r->tables[r->n_tables++] = t;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_REPORT;
    rep->report = r;
    return HF_OK;
}
