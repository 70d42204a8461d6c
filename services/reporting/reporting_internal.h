/* reporting_internal: what the files of reporting share (reporting.h: what main.c sees).
 * reporting: read models built from every producer's events, the report set, and the
 * attribution settings (a region's terminal, the commission rate) the sales report needs.
 *
 * reporting.c   the service: its commands and its subscriptions
 * rep_models.c  the read models: one handler per event, applied exactly once
 * rep_reports.c the reports, computed from the rollups
 * rep_period.c  periods and figures (pure; unit-tested) */
#ifndef REPORTING_INTERNAL_H
#define REPORTING_INTERNAL_H
#include "rep_period.h"
#include "reporting.h"

/* Applies one event to the read models, inside the transaction that records its sequence.
 * Returns 0, -1 (transient, or an earlier event of another producer is still to come:
 * retried) or -2 (malformed: dead-lettered). */
int rep_apply_event(hf_service_t *svc, const hf_envelope_t *env, hf_arena_t *arena);
/* The rollup tables whose counters a batch sums (rep_count; reporting_sql.h, REP_Q_*_ADD). */
enum {
    REP_EVENT_TALLY,
    REP_AGENT_DAY,
    REP_BRANCH_DAY,
    REP_AGENT_MONTH,
    REP_BRANCH_MONTH,
    REP_STEP_DAY,
    REP_STEP_MONTH,
    REP_COMPLAINT_DAY,
    REP_CARD_COUNT,
    REP_CARD_FLOW_DAY,
    REP_LEAD_DAY,
    REP_SCREEN_DAY,
    REP_REPURCHASE_MONTH,
    REP_ORDER_DAY,
    REP_ORDER_MONTH,
    REP_ROLLUPS
};
/* Adds n to column of the rollup table's row of keys (the table's keys in its statement's
 * order) at the end of the batch: what a batch adds to one row, in any of its columns, is
 * written once, by rep_batch_end (the framework's batch hook), and forgotten when the batch
 * rolls back. 0, -1, or -2 for a column the table has not. */
int rep_count(hf_service_t *svc, int rollup, const char *column, const char *const *keys,
              int64_t n);
int rep_batch_end(hf_service_t *svc, void *self, bool commit);
/* Writes the cards the batch holds (registered and merged leads': rep_models.c). A handler
 * reading the customer table outside rep_apply_event calls it first, unless it runs after
 * rep_apply_event for the same event (which writes them for every event but a lead's).
 * 0 or -1. */
int rep_cards_flush(hf_service_t *svc);

/* The reports. Each adds its tables to r (arena memory) and returns HF_OK, HF_NOT_FOUND
 * (agent-daily for an agent with nothing to show) or HF_UNAVAILABLE (store error). */
int rep_report_agent_daily(hf_store_t *st, const char *branch, const rep_period_t *per,
                           const char *agent, Huifang__V1__ReportResult *r, hf_arena_t *a);
int rep_report_branch_weekly(hf_store_t *st, const char *branch, const rep_period_t *per,
                             int32_t today, Huifang__V1__ReportResult *r, hf_arena_t *a);
int rep_report_collection(hf_store_t *st, const char *branch, const rep_period_t *per,
                          Huifang__V1__ReportResult *r, hf_arena_t *a);
int rep_report_repurchase(hf_store_t *st, const char *branch, const rep_period_t *per, int days,
                          Huifang__V1__ReportResult *r, hf_arena_t *a);
int rep_report_complaints(hf_store_t *st, const char *branch, const rep_period_t *per,
                          int64_t now_ms, Huifang__V1__ReportResult *r, hf_arena_t *a);
int rep_report_sales_attribution(hf_store_t *st, const char *branch, const rep_period_t *per,
                                 Huifang__V1__ReportResult *r, hf_arena_t *a);
/* Headquarters: report name for branches[0..n) (sorted, distinct, checked codes) side by
 * side, one row per branch and a TOTAL row per table (today and now_ms: the missed steps and
 * the open complaints; days: repurchase's window). HF_OK or HF_UNAVAILABLE. */
int rep_report_hq(hf_store_t *st, const char *name, char *const *branches, size_t n,
                  const rep_period_t *per, int32_t today, int64_t now_ms, int days,
                  Huifang__V1__ReportResult *r, hf_arena_t *a);
/* A result named name of branch (zone tz) for per: its period, from, to and generated_at_ms
 * filled, no tables yet (arena memory). */
Huifang__V1__ReportResult *rep_result_new(const char *name, const char *branch, const char *tz,
                                          const rep_period_t *per, hf_arena_t *a);
/* A month's report of one branch (points, occasions) begun: the request's date, week, agent
 * and days refused (a BAD_INPUT naming the field), the branch's zone, the month (the current
 * one by default: its first and last days, YYYY-MM-DD, into from and to) and a result named
 * name into *out (rep_result_new). HF_OK, or the failure written to rep. */
int rep_month_report(hf_service_t *svc, const hf_request_t *req, const char *name, char from[11],
                     char to[11], Huifang__V1__ReportResult **out, hf_reply_t *rep, hf_arena_t *a);

/* Report tables (rep_reports.c), arena memory. rep_table adds a table to r with room for
 * max_rows rows; cols: "name,name:int,name:dec" (kinds text, int, decimal). rep_row adds a
 * row of the table's width, its cells copied. */
Huifang__V1__ReportTable *rep_table(hf_arena_t *a, Huifang__V1__ReportResult *r, const char *title,
                                    const char *cols, int max_rows);
void rep_row(hf_arena_t *a, Huifang__V1__ReportTable *t, ...);
/* A row of a summed table (or its TOTAL row) from its key and its figures v. */
typedef void (*rep_summed_row_fn)(hf_arena_t *a, Huifang__V1__ReportTable *t, const char *key,
                                  const int64_t *v);
/* The most figures a summed table has (hq complaints'). */
#define REP_SUMMED_MAX 11
/* Runs q (its rows: a key, then nfig <= REP_SUMMED_MAX figures) and adds the table title with
 * a row per key and a TOTAL row of the figures' sums, each written by row. HF_OK or
 * HF_UNAVAILABLE. */
int rep_summed_table(hf_store_t *st, const hf_query_t *q, int np, const char *const *p, int nfig,
                     const char *title, const char *cols, rep_summed_row_fn row,
                     Huifang__V1__ReportResult *r, hf_arena_t *a);

/* rep_points.c: intake's points events into points_day (0, -1 retry, -2 malformed), and
 * `report points` (the request's month: issued, redeemed, taken back, outstanding). */
int rep_points_apply(hf_service_t *svc, const hf_envelope_t *env, hf_arena_t *a);
int rep_report_points(hf_service_t *svc, const hf_request_t *req, hf_reply_t *rep, hf_arena_t *a);
/* rep_occasions.c: intake's occasion_due and the scheduler's occasion_planned into
 * occasion_day (0, -1 retry, -2 malformed), and `report occasions` (the request's month:
 * greetings due, made, merged, dropped by the weekly cap, dropped otherwise, by occasion). */
int rep_occasions_apply(hf_service_t *svc, const hf_envelope_t *env, hf_arena_t *a);
int rep_report_occasions(hf_service_t *svc, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a);
/* Campaigns (rep_campaign.c): applies a campaign event to the campaign read model (0 for
 * any other payload), and answers `report campaign` (ReportRequest.campaign_id, days). */
int rep_campaign_apply(hf_service_t *svc, const hf_envelope_t *env, hf_arena_t *arena);
int rep_report_campaign(hf_service_t *svc, const hf_request_t *req, hf_reply_t *rep, hf_arena_t *a);

#endif
