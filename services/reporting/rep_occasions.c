/* rep_occasions: the occasions read model and `report occasions` (issue 16, member care).
 *
 * intake's occasion_due (who is due: birthdays, festivals, weather) and the scheduler's
 * occasion_planned (what it made of each chunk) are summed per branch, local day of the calls
 * and occasion into occasion_day; the report gives a month's occasions: greetings due, calls
 * made, merged into a call planned that day, dropped by the weekly contact cap, dropped
 * otherwise. */
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

int rep_occasions_apply(hf_service_t *svc, const hf_envelope_t *env, hf_arena_t *a)
{
    (void)a;
    int64_t v[5] = {0, 0, 0, 0, 0}; /* due, made, merged, dropped_cap, dropped */
    const char *day, *occasion;
    switch (env->payload_case) {
    case HUIFANG__V1__ENVELOPE__PAYLOAD_OCCASION_DUE:
        if (env->occasion_due == NULL)
            return -2;
        day = env->occasion_due->day;
        occasion = env->occasion_due->occasion;
        v[0] = (int64_t)env->occasion_due->n_customer_ids;
        break;
    case HUIFANG__V1__ENVELOPE__PAYLOAD_OCCASION_PLANNED: {
        const Huifang__V1__OccasionPlanned *op = env->occasion_planned;
        if (op == NULL)
            return -2;
        day = op->day;
        occasion = op->occasion;
        v[1] = op->made;
        v[2] = op->merged;
        v[3] = op->dropped_cap;
        v[4] = op->dropped;
        break;
    }
    default:
        return 0;
    }
    int32_t d;
    if (*S(env->branch) == '\0' || hf_date_parse(S(day), &d) != 0) {
        hf_warn("event_malformed", "producer=%s seq=%llu reason=\"occasion without a day\"",
                S(env->producer), (unsigned long long)env->seq);
        return -2;
    }
    char c[5][24];
    const char *p[] = {env->branch,           day,
                       S(occasion),           hf_pg_i64(c[0], v[0]),
                       hf_pg_i64(c[1], v[1]), hf_pg_i64(c[2], v[2]),
                       hf_pg_i64(c[3], v[3]), hf_pg_i64(c[4], v[4])};
    return hf_store_query_run(hf_service_store(svc), &REP_Q_OCCASIONS_APPLY_OCCASION_DAY_ADD, 8,
                              p) == 0
               ? 0
               : -1;
}

int rep_report_occasions(hf_service_t *svc, const hf_request_t *req, hf_reply_t *rep, hf_arena_t *a)
{
    const Huifang__V1__ReportRequest *q = req->report;
    if (*S(q->date))
        return hf_fail(rep, a, HF_BAD_INPUT, "date",
                       "date does not apply to occasions (use --month)");
    if (*S(q->week))
        return hf_fail(rep, a, HF_BAD_INPUT, "week",
                       "week does not apply to occasions (use --month)");
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
    PGresult *res = hf_store_query(st, &REP_Q_REPORT_OCCASIONS_OCCASION_DAY, 3, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__ReportResult *r = hf_new(a, Huifang__V1__ReportResult);
    huifang__v1__report_result__init(r);
    r->name = "occasions";
    r->branch = req->branch;
    r->tz = hf_arena_strdup(a, tz);
    rep_result_period(r, &per, a);
    Huifang__V1__ReportTable *t = hf_new(a, Huifang__V1__ReportTable);
    huifang__v1__report_table__init(t);
    t->title = "greetings by occasion";
    static char *cols[] = {"occasion", "due", "made", "merged", "dropped_cap", "dropped_other"};
    static char *kinds[] = {"text", "int", "int", "int", "int", "int"};
    t->columns = cols;
    t->n_columns = 6;
    t->kinds = kinds;
    t->n_kinds = 6;
    int n = PQntuples(res);
    t->rows = hf_new_array(a, Huifang__V1__ReportRow *, n + 1);
    int64_t sum[5] = {0, 0, 0, 0, 0};
    for (int i = 0; i <= n; i++) {
        Huifang__V1__ReportRow *row = hf_new(a, Huifang__V1__ReportRow);
        huifang__v1__report_row__init(row);
        row->cells = hf_new_array(a, char *, 6);
        row->cells[row->n_cells++] = hf_arena_strdup(a, i < n ? hf_pg_str(res, i, 0) : "TOTAL");
        for (int k = 0; k < 5; k++) {
            int64_t x = i < n ? hf_pg_int(res, i, k + 1) : sum[k];
            if (i < n)
                sum[k] += x;
            char c[24];
            row->cells[row->n_cells++] = hf_arena_strdup(a, hf_pg_i64(c, x));
        }
        t->rows[t->n_rows++] = row;
    }
    PQclear(res);
    r->tables = hf_new_array(a, Huifang__V1__ReportTable *, 1);
    r->tables[r->n_tables++] = t;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_REPORT;
    rep->report = r;
    return HF_OK;
}
