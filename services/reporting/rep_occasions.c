/* rep_occasions: the occasions read model and `report occasions` (issue 16, member care).
 *
 * intake's occasion_due (who is due: birthdays, festivals, weather) and the scheduler's
 * occasion_planned (what it made of each chunk) are summed per branch, local day of the calls
 * and occasion into occasion_day; the report gives a month's occasions: greetings due, calls
 * made, merged into a call planned that day, dropped by the weekly contact cap, dropped
 * otherwise. */
#include "hf_log.h"
#include "hf_time.h"
#include "reporting_internal.h"
#include "reporting_sql.h"
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

/* An occasion's (or the TOTAL) greetings: due, made, merged, dropped by the cap, otherwise. */
static void s_occasion_row(hf_arena_t *a, Huifang__V1__ReportTable *t, const char *key,
                           const int64_t *v)
{
    char c[5][24];
    rep_row(a, t, key, hf_pg_i64(c[0], v[0]), hf_pg_i64(c[1], v[1]), hf_pg_i64(c[2], v[2]),
            hf_pg_i64(c[3], v[3]), hf_pg_i64(c[4], v[4]));
}

int rep_report_occasions(hf_service_t *svc, const hf_request_t *req, hf_reply_t *rep, hf_arena_t *a)
{
    char from[11], to[11];
    Huifang__V1__ReportResult *r;
    int rc = rep_month_report(svc, req, "occasions", from, to, &r, rep, a);
    if (rc != HF_OK)
        return rc;
    const char *p[] = {req->branch, from, to};
    rc = rep_summed_table(hf_service_store(svc), &REP_Q_REPORT_OCCASIONS_OCCASION_DAY, 3, p, 5,
                          "greetings by occasion",
                          "occasion,due:int,made:int,merged:int,dropped_cap:int,dropped_other:int",
                          s_occasion_row, r, a);
    if (rc != HF_OK)
        return rc;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_REPORT;
    rep->report = r;
    return HF_OK;
}
