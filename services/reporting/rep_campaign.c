/* rep_campaign: the campaign read model and report (issue 16). Members are kept from
 * intake's campaign_invited and campaign_attended and the scheduler's campaign_answered; the
 * report is their funnel — invited, accepted, attended, bought within N days of the event
 * (a purchase dated from the event's day to N days after it, from the purchase read model). */
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

    rep_period_t per = {.from = day, .to = day + days};
    snprintf(per.label, sizeof per.label, "campaign %lld", (long long)q->campaign_id);
    Huifang__V1__ReportResult *r = rep_result_new("campaign", req->branch, tz, &per, a);

    Huifang__V1__ReportTable *ti = rep_table(a, r, "campaign", "field,value", 6);
    char local[32], yuan[32];
    hf_time_local_format(at_ms, tz, local);
    rep_fmt_yuan(v[9], yuan, sizeof yuan);
    rep_row(a, ti, "name", name);
    rep_row(a, ti, "place", place);
    rep_row(a, ti, "at", local);
    rep_row(a, ti, "capacity", capacity ? hf_arena_printf(a, "%d", capacity) : "-");
    rep_row(a, ti, "bought within", hf_arena_printf(a, "%d days", days));
    rep_row(a, ti, "bought by attendees (yuan)", yuan);

    Huifang__V1__ReportTable *tf =
        rep_table(a, r, "funnel", "step,customers:int,of_invited_pct:dec", 9);
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
        rep_row(a, tf, steps[i], hf_arena_printf(a, "%lld", (long long)v[i]), s_pct(a, v[i], v[0]));
    rep->result_case = HUIFANG__V1__REPLY__RESULT_REPORT;
    rep->report = r;
    return HF_OK;
}
