/* rep_campaign: the campaign read model and report (issue 16). Members are kept from
 * intake's campaign_invited and campaign_attended and the scheduler's campaign_answered; the
 * report is their funnel — invited, accepted, attended, bought within N days of the event
 * (a purchase dated from the event's day to N days after it, from the purchase read model). */
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_replica.h"
#include "hf_time.h"
#include "reporting_internal.h"
#include "reporting_sql.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")

static int s_campaign_upsert(hf_store_t *st, const char *branch, const Huifang__V1__Campaign *k)
{
    char id[24], at[24], cap[16], within[16], day[11];
    hf_date_format(k->event_day, day);
    const char *p[] = {hf_pg_i64(id, k->id),
                       branch,
                       S(k->name),
                       S(k->place),
                       hf_pg_i64(at, k->at_ms),
                       day,
                       hf_pg_i64(cap, k->capacity),
                       hf_pg_i64(within, k->bought_within_days)};
    return hf_store_query_run(st, &REP_Q_CAMPAIGN_UPSERT, 8, p);
}

int rep_campaign_apply(hf_service_t *svc, const hf_envelope_t *env, hf_arena_t *a)
{
    hf_store_t *st = hf_service_store(svc);
    const char *branch = S(env->branch);
    switch (env->payload_case) {
    case HUIFANG__V1__ENVELOPE__PAYLOAD_CAMPAIGN_CREATED: {
        const Huifang__V1__Campaign *k = env->campaign_created->campaign;
        if (k == NULL)
            return -2;
        return s_campaign_upsert(st, *branch ? branch : S(k->branch), k) == 0 ? 0 : -1;
    }
    case HUIFANG__V1__ENVELOPE__PAYLOAD_CAMPAIGN_INVITED: {
        const Huifang__V1__CampaignInvited *ci = env->campaign_invited;
        if (ci->campaign == NULL)
            return -2;
        if (s_campaign_upsert(st, *branch ? branch : S(ci->campaign->branch), ci->campaign) != 0)
            return -1;
        char *ids = "";
        for (size_t i = 0; i < ci->n_customer_ids; i++)
            ids = hf_arena_printf(a, "%s%s%lld", ids, i ? "," : "", (long long)ci->customer_ids[i]);
        char kid[24];
        const char *p[] = {hf_pg_i64(kid, ci->campaign->id), hf_arena_printf(a, "{%s}", ids)};
        return hf_store_query_run(st, &REP_Q_CAMPAIGN_APPLY_INVITED, 2, p) == 0 ? 0 : -1;
    }
    case HUIFANG__V1__ENVELOPE__PAYLOAD_CAMPAIGN_ANSWERED: {
        const Huifang__V1__CampaignAnswered *ca = env->campaign_answered;
        char kid[24], cid[24];
        const char *p[] = {hf_pg_i64(kid, ca->campaign_id), hf_pg_i64(cid, ca->customer_id),
                           S(ca->answer)};
        return hf_store_query_run(st, &REP_Q_CAMPAIGN_APPLY_ANSWERED, 3, p) == 0 ? 0 : -1;
    }
    case HUIFANG__V1__ENVELOPE__PAYLOAD_CAMPAIGN_ATTENDED: {
        const Huifang__V1__CampaignAttended *ca = env->campaign_attended;
        char kid[24], cid[24];
        const char *p[] = {hf_pg_i64(kid, ca->campaign_id), hf_pg_i64(cid, ca->customer_id)};
        return hf_store_query_run(st, &REP_Q_CAMPAIGN_APPLY_ATTENDED, 2, p) == 0 ? 0 : -1;
    }
    default:
        return 0;
    }
}

/* ---- the report ---- */

static const char *s_pct(hf_arena_t *a, int64_t num, int64_t den)
{
    char buf[32];
    rep_fmt_pct(num, den, buf, sizeof buf);
    return hf_arena_strdup(a, buf);
}

static Huifang__V1__ReportTable *s_table(hf_arena_t *a, const char *title, int ncols,
                                         const char *const *cols, const char *const *kinds,
                                         int max_rows)
{
    Huifang__V1__ReportTable *t = hf_new(a, Huifang__V1__ReportTable);
    huifang__v1__report_table__init(t);
    t->title = (char *)title;
    t->columns = (char **)cols;
    t->n_columns = (size_t)ncols;
    t->kinds = (char **)kinds;
    t->n_kinds = (size_t)ncols;
    t->rows = hf_new_array(a, Huifang__V1__ReportRow *, max_rows);
    return t;
}

static void s_row3(hf_arena_t *a, Huifang__V1__ReportTable *t, const char *c0, const char *c1,
                   const char *c2)
{
    Huifang__V1__ReportRow *row = hf_new(a, Huifang__V1__ReportRow);
    huifang__v1__report_row__init(row);
    row->cells = hf_new_array(a, char *, 3);
    row->cells[0] = hf_arena_strdup(a, c0);
    row->cells[1] = hf_arena_strdup(a, c1);
    row->cells[2] = hf_arena_strdup(a, c2);
    row->n_cells = 3;
    t->rows[t->n_rows++] = row;
}

int rep_report_campaign(hf_service_t *svc, const hf_request_t *req, hf_reply_t *rep, hf_arena_t *a)
{
    const Huifang__V1__ReportRequest *q = req->report;
    if (*S(q->date) || *S(q->week) || *S(q->month))
        return hf_fail(rep, a, HF_BAD_INPUT,
                       *S(q->date)   ? "date"
                       : *S(q->week) ? "week"
                                     : "month",
                       "a campaign report has no period: the campaign's day is its period");
    if (*S(q->agent))
        return hf_fail(rep, a, HF_BAD_INPUT, "agent", "agent applies to agent-daily only");
    if (q->campaign_id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "campaign_id",
                       "campaign_id is required for the campaign report (1 up)");
    if (q->days_set && (q->days < 0 || q->days > 366))
        return hf_fail(rep, a, HF_BAD_INPUT, "days", "days must be 0..366");
    hf_store_t *st = hf_service_store(svc);
    char tz[64];
    int rc = hf_replica_need_branch(st, req->branch, tz, sizeof tz, rep, a);
    if (rc != HF_OK)
        return rc;
    char kid[24];
    const char *pk[] = {hf_pg_i64(kid, q->campaign_id), req->branch};
    PGresult *res = hf_store_query(st, &REP_Q_REPORT_CAMPAIGN_HEAD, 2, pk);
    if (res == NULL)
        return hf_fail(rep, a, HF_UNAVAILABLE, NULL, "could not read the campaign: %s",
                       hf_store_error(st));
    if (PQntuples(res) == 0) {
        PQclear(res);
        return hf_fail(rep, a, HF_NOT_FOUND, "campaign_id", "no campaign %lld in branch %s",
                       (long long)q->campaign_id, req->branch);
    }
    const char *name = hf_arena_strdup(a, hf_pg_str(res, 0, 0));
    const char *place = hf_arena_strdup(a, hf_pg_str(res, 0, 1));
    int64_t at_ms = hf_pg_int(res, 0, 2);
    int32_t day = (int32_t)hf_pg_int(res, 0, 3);
    int capacity = (int)hf_pg_int(res, 0, 4);
    int days = q->days_set ? q->days : (int)hf_pg_int(res, 0, 5);
    PQclear(res);

    char from[11], to[11], daystxt[16];
    hf_date_format(day, from);
    hf_date_format(day + days, to);
    const char *p[] = {kid, from, to, hf_pg_i64(daystxt, days)};
    /* bought: a purchase of the member from the event's day to days after it */
    res = hf_store_query(st, &REP_Q_REPORT_CAMPAIGN_COUNTS, 4, p);
    if (res == NULL)
        return hf_fail(rep, a, HF_UNAVAILABLE, NULL, "could not compute the report: %s",
                       hf_store_error(st));
    int64_t v[10];
    for (int i = 0; i < 10; i++)
        v[i] = hf_pg_int(res, 0, i);
    PQclear(res);

    Huifang__V1__ReportResult *r = hf_new(a, Huifang__V1__ReportResult);
    huifang__v1__report_result__init(r);
    r->name = "campaign";
    r->branch = req->branch;
    r->tz = hf_arena_strdup(a, tz);
    r->period = hf_arena_printf(a, "campaign %lld", (long long)q->campaign_id);
    r->from = hf_arena_strdup(a, from);
    r->to = hf_arena_strdup(a, to);
    r->generated_at_ms = hf_clock_now_ms();
    r->tables = hf_new_array(a, Huifang__V1__ReportTable *, 2);

    static const char *const icols[] = {"field", "value"};
    static const char *const ikinds[] = {"text", "text"};
    Huifang__V1__ReportTable *ti = s_table(a, "campaign", 2, icols, ikinds, 6);
    char local[32], yuan[32];
    hf_time_local_format(at_ms, tz, local);
    rep_fmt_yuan(v[9], yuan, sizeof yuan);
    const char *info[][2] = {{"name", name},
                             {"place", place},
                             {"at", local},
                             {"capacity", capacity ? hf_arena_printf(a, "%d", capacity) : "-"},
                             {"bought within", hf_arena_printf(a, "%d days", days)},
                             {"bought by attendees (yuan)", yuan}};
    for (int i = 0; i < 6; i++) {
        Huifang__V1__ReportRow *row = hf_new(a, Huifang__V1__ReportRow);
        huifang__v1__report_row__init(row);
        row->cells = hf_new_array(a, char *, 2);
        row->cells[0] = (char *)info[i][0];
        row->cells[1] = hf_arena_strdup(a, info[i][1]);
        row->n_cells = 2;
        ti->rows[ti->n_rows++] = row;
    }
    r->tables[r->n_tables++] = ti;

    static const char *const fcols[] = {"step", "customers", "of_invited_pct"};
    static const char *const fkinds[] = {"text", "int", "decimal"};
    Huifang__V1__ReportTable *tf = s_table(a, "funnel", 3, fcols, fkinds, 9);
    const char *steps[] = {"invited",
                           "accepted",
                           "declined",
                           "no answer yet",
                           "attended",
                           "walk-ins (attended, not invited)",
                           "no-shows (accepted, did not come)",
                           hf_arena_printf(a, "attended and bought within %d days", days),
                           hf_arena_printf(a, "invited and bought within %d days", days)};
    for (int i = 0; i < 9; i++)
        s_row3(a, tf, steps[i], hf_arena_printf(a, "%lld", (long long)v[i]), s_pct(a, v[i], v[0]));
    r->tables[r->n_tables++] = tf;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_REPORT;
    rep->report = r;
    return HF_OK;
}
