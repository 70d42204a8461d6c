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
/* Adds n to a rollup's row at the end of the batch: sql is an upsert whose parameters are
 * the nkeys keys and then the amount; what a batch adds to one row is written once, by
 * rep_batch_end (the framework's batch hook), and forgotten when the batch rolls back. */
int rep_count(hf_service_t *svc, const char *sql, int nkeys, const char *const *keys, int64_t n);
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
/* Fills r's period, from, to and generated_at_ms. */
void rep_result_period(Huifang__V1__ReportResult *r, const rep_period_t *per, hf_arena_t *a);

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
