/* complaint_sql: every statement of the complaint service, named, in one place to review.
 *
 * Each is an hf_query_t run with hf_store_query() / hf_store_query_run(): prepared once
 * per store connection (again after a reconnect), or sent as its text each time when
 * HUIFANG_PG_PREPARE=off (a pooler in transaction mode). Parameters are $n, always. */
#ifndef COMPLAINT_SQL_H
#define COMPLAINT_SQL_H

#include "complaint_internal.h"
#include "hf_store.h"

/* the columns the row readers read, in their order */
#define CARD_COLUMNS(text)                                                                         \
    "c.id, c.branch, c.customer_id, c.category, c.severity, c.state, c.owner, c.level,"            \
    " c.channel, c.location, c.opened_at_ms, c.due_at_ms, c.resolved_at_ms,"                       \
    " coalesce(c.source_contact, 0)," text " c.period_ms, c.business_hours, c.warned,"             \
    " c.breaches, c.paused_at_ms, coalesce(cu.name, ''), c.filed_by, c.updated_at_ms,"             \
    " c.period_started_at_ms, c.agent, c.period_no, c.used_ms, c.run_from_ms,"                     \
    " c.next_timer_ms, c.wait_limit_ms"
#define CARD_TEXT " c.description, c.plan, c.resolution,"
#define CARD_NO_TEXT " '', '', '',"
#define CARD_FROM " FROM complaint c LEFT JOIN customer cu ON cu.id = c.customer_id"
#define RETURN_COLUMNS                                                                             \
    "id, branch, purchase_id, customer_id, reason, packaging_intact, used_qty, state,"             \
    " refund_fen, decided_by, product, quantity, price_paid_fen, unit_price_fen,"                  \
    " depreciation_fen, packaging_fee_fen, requested_by, requested_at_ms, decided_at_ms,"          \
    " decision_reason"

/* ---- complaint.c ---- */

static const hf_query_t COMPLAINT_Q_REINDEX_ALL = {
    "complaint_reindex_all", "UPDATE complaint SET indexed = false WHERE next_timer_ms > 0"};
static const hf_query_t COMPLAINT_Q_UNINDEXED_BATCH = {
    "complaint_unindexed_batch", "SELECT id, branch, next_timer_ms FROM complaint WHERE NOT indexed"
                                 " ORDER BY branch, id LIMIT 500 FOR UPDATE SKIP LOCKED"};
static const hf_query_t COMPLAINT_Q_MARK_INDEXED = {
    "complaint_mark_indexed", "UPDATE complaint SET indexed = true WHERE id = ANY ($1::bigint[])"};
static const hf_query_t COMPLAINT_Q_MARK_UNINDEXED = {
    "complaint_mark_unindexed", "UPDATE complaint SET indexed = false WHERE id = $1"};

/* ---- complaint_card.c ---- */

/* a card by id: with its text or without, locked or not */
static const hf_query_t COMPLAINT_Q_CARD = {"complaint_card", "SELECT " CARD_COLUMNS(CARD_TEXT)
                                                                  CARD_FROM " WHERE c.id = $1"};
static const hf_query_t COMPLAINT_Q_CARD_LOCK = {"complaint_card_lock",
                                                 "SELECT " CARD_COLUMNS(CARD_TEXT) CARD_FROM
                                                 " WHERE c.id = $1 FOR UPDATE OF c"};
static const hf_query_t COMPLAINT_Q_CARD_BRIEF = {
    "complaint_card_brief", "SELECT " CARD_COLUMNS(CARD_NO_TEXT) CARD_FROM " WHERE c.id = $1"};
static const hf_query_t COMPLAINT_Q_CARD_BRIEF_LOCK = {
    "complaint_card_brief_lock",
    "SELECT " CARD_COLUMNS(CARD_NO_TEXT) CARD_FROM " WHERE c.id = $1 FOR UPDATE OF c"};
static const hf_query_t COMPLAINT_Q_CALENDAR = {
    "complaint_calendar",
    "SELECT day_start, day_end, lunch_start, lunch_end, workdays FROM calendar"
    " WHERE branch IN ($1, '') ORDER BY branch DESC LIMIT 1"};
static const hf_query_t COMPLAINT_Q_HOLIDAYS = {
    "complaint_holidays", "SELECT (day - date '1970-01-01')::int FROM holiday WHERE branch = $1"
                          " ORDER BY day LIMIT 400"};
static const hf_query_t COMPLAINT_Q_LEVEL_OWNER = {
    "complaint_level_owner", "SELECT id FROM agent WHERE branch = $1 AND role = $2 AND active"
                             " ORDER BY id LIMIT 1"};
static const hf_query_t COMPLAINT_Q_HISTORY_ADD = {
    "complaint_history_add", "INSERT INTO complaint_history (complaint_id, at_ms, change, level,"
                             " owner, actor, period_no, due_at_ms) VALUES ($1, $2, $3, $4, $5,"
                             " $6, $7, $8) ON CONFLICT (complaint_id, period_no, change)"
                             " WHERE change IN ('warning-50', 'warning-75', 'escalated')"
                             " DO NOTHING RETURNING 1"};
static const hf_query_t COMPLAINT_Q_SAVE = {
    "complaint_save", "UPDATE complaint SET state = $2, owner = $3, level = $4, breaches = $5,"
                      " period_no = $6, warned = $7, used_ms = $8, run_from_ms = $9,"
                      " due_at_ms = $10, next_timer_ms = $11, paused_at_ms = $12,"
                      " resolved_at_ms = $13, updated_at_ms = $14, period_started_at_ms = $15,"
                      " indexed = false WHERE id = $1"};
static const hf_query_t COMPLAINT_Q_SLA = {"complaint_sla",
                                           "SELECT hours, business_hours, wait_hours FROM sla"
                                           " WHERE branch IN ($1, '')"
                                           " AND category IN ($2, '*') ORDER BY (branch = $1) DESC,"
                                           " (category = $2) DESC LIMIT 1"};
static const hf_query_t COMPLAINT_Q_FILE = {
    "complaint_file", "INSERT INTO complaint (branch, customer_id, category, source_contact,"
                      " opened_at_ms, severity, channel, location, description, plan, agent,"
                      " owner, filed_by, level, breaches, period_no, period_ms, business_hours,"
                      " used_ms, run_from_ms, warned, period_started_at_ms, due_at_ms,"
                      " next_timer_ms, updated_at_ms, state, indexed, wait_limit_ms) VALUES ($1,"
                      " $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, 0, 0, 1, $13, $14, 0,"
                      " $5, 0, $5, $15, $16, $17, 'open', false, $18)"
                      " ON CONFLICT (source_contact) DO NOTHING RETURNING id"};
static const hf_query_t COMPLAINT_Q_CUSTOMER_NAME = {"complaint_customer_name",
                                                     "SELECT name FROM customer WHERE id = $1"};
static const hf_query_t COMPLAINT_Q_CUSTOMER_IN_BRANCH = {
    "complaint_customer_in_branch", "SELECT 1 FROM customer WHERE id = $1 AND branch = $2"};
static const hf_query_t COMPLAINT_Q_CUSTOMER_STUB = {
    "complaint_customer_stub", "INSERT INTO customer (id, branch, name) VALUES ($1, $2, $3)"
                               " ON CONFLICT (id) DO NOTHING"};
static const hf_query_t COMPLAINT_Q_LIST = {
    "complaint_list", "SELECT " CARD_COLUMNS(CARD_NO_TEXT) CARD_FROM
    " WHERE c.branch = $1"
    " AND (NOT $2::bool OR c.state NOT IN ('resolved', 'closed'))"
    " AND (NOT $3::bool OR c.run_from_ms > 0)"
    " AND ($4::bigint = 0 OR c.customer_id = $4::bigint)"
    " ORDER BY CASE WHEN $3::bool THEN c.due_at_ms ELSE 0 END,"
    " CASE WHEN $3::bool THEN c.id ELSE -c.id END LIMIT $5"};
static const hf_query_t COMPLAINT_Q_HISTORY = {
    "complaint_history", "SELECT at_ms, change, level, owner, actor, due_at_ms, period_no"
                         " FROM complaint_history WHERE complaint_id = $1 ORDER BY id"};
static const hf_query_t COMPLAINT_Q_SET_RESOLUTION = {
    "complaint_set_resolution", "UPDATE complaint SET resolution = $2 WHERE id = $1"};

/* ---- complaint_events.c ---- */

static const hf_query_t COMPLAINT_Q_CUSTOMER_UPSERT = {
    "complaint_customer_upsert", "INSERT INTO customer (id, branch, name) VALUES ($1, $2, $3)"
                                 " ON CONFLICT (id) DO UPDATE SET branch = $2, name = $3"};
/* the same for a batch's copies (hf_copies: every column a text array) */
static const hf_query_t COMPLAINT_Q_CUSTOMERS_UPSERT = {
    "complaint_customers_upsert",
    "INSERT INTO customer (id, branch, name) SELECT * FROM unnest($1::bigint[], $2::text[],"
    " $3::text[]) ON CONFLICT (id) DO UPDATE SET branch = excluded.branch, name = excluded.name"};
static const hf_query_t COMPLAINT_Q_PRODUCT_PRICE = {
    "complaint_product_price", "SELECT price_fen FROM product WHERE branch = $1 AND code = $2"};
static const hf_query_t COMPLAINT_Q_PURCHASE_UPSERT = {
    "complaint_purchase_upsert",
    "INSERT INTO purchase (id, branch, customer_id, product, quantity, price_fen,"
    " unit_price_fen, purchase_date) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    " ON CONFLICT (id) DO NOTHING"};
static const hf_query_t COMPLAINT_Q_EFFECT_SET = {
    "complaint_effect_set", "INSERT INTO customer_effect (customer_id, effect, contact_id, at_ms)"
                            " VALUES ($1, $2, $3, $4) ON CONFLICT (customer_id) DO UPDATE SET"
                            " effect = $2, contact_id = $3, at_ms = $4"};
/* the latest effect of each customer of a batch's contacts (complaint_events.c): $1..$4 one
 * element a customer — customer, effect, contact, at (UTC ms) —, each customer once */
static const hf_query_t COMPLAINT_Q_EFFECTS_SET = {
    "complaint_effects_set",
    "INSERT INTO customer_effect (customer_id, effect, contact_id, at_ms)"
    " SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[])"
    " ON CONFLICT (customer_id) DO UPDATE SET effect = excluded.effect,"
    " contact_id = excluded.contact_id, at_ms = excluded.at_ms"};
static const hf_query_t COMPLAINT_Q_EFFECT = {"complaint_effect",
                                              "SELECT effect, contact_id FROM customer_effect"
                                              " WHERE customer_id = $1"};
static const hf_query_t COMPLAINT_Q_RISK_FLAG = {
    "complaint_risk_flag", "INSERT INTO risk (customer_id, branch, reason, no_effect_contact,"
                           " refusal_contact, flagged_at_ms) VALUES ($1, $2, $3, $4, $5, $6)"
                           " ON CONFLICT (customer_id) DO NOTHING RETURNING 1"};
static const hf_query_t COMPLAINT_Q_RISKS = {
    "complaint_risks", "SELECT r.customer_id, coalesce(c.name, ''), r.reason,"
                       " r.flagged_at_ms, r.no_effect_contact, r.refusal_contact"
                       " FROM risk r LEFT JOIN customer c ON c.id = r.customer_id"
                       " WHERE r.branch = $1 ORDER BY r.flagged_at_ms DESC,"
                       " r.customer_id LIMIT 1000"};

/* ---- complaint_return.c ---- */

static const hf_query_t COMPLAINT_Q_RETURN_PURCHASE = {
    "complaint_return_purchase", "SELECT customer_id, product, quantity, price_fen, unit_price_fen"
                                 " FROM purchase WHERE id = $1 AND branch = $2 FOR SHARE"};
static const hf_query_t COMPLAINT_Q_RETURN_OPEN_OF_PURCHASE = {
    "complaint_return_open_of_purchase",
    "SELECT id, state FROM return_request WHERE purchase_id = $1"
    " AND state IN ('requested', 'approved')"};
static const hf_query_t COMPLAINT_Q_RETURN_FEE = {
    "complaint_return_fee", "SELECT opened_fee_fen, opened_fee_bp FROM return_policy"
                            " WHERE branch IN ($1, '') ORDER BY branch DESC LIMIT 1"};
static const hf_query_t COMPLAINT_Q_RETURN_ADD = {
    "complaint_return_add",
    "INSERT INTO return_request (branch, purchase_id, customer_id, product,"
    " quantity, price_paid_fen, unit_price_fen, used_qty, packaging_intact,"
    " reason, depreciation_fen, packaging_fee_fen, refund_fen, requested_by,"
    " requested_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
    " $12, $13, $14, $15) RETURNING " RETURN_COLUMNS};
static const hf_query_t COMPLAINT_Q_RETURN_LOCK = {
    "complaint_return_lock", "SELECT state FROM return_request WHERE id = $1 AND branch = $2"
                             " FOR UPDATE"};
static const hf_query_t COMPLAINT_Q_RETURN_DECIDE = {
    "complaint_return_decide",
    "UPDATE return_request SET state = $2, decided_by = $3, decided_at_ms = $4,"
    " decision_reason = $5 WHERE id = $1 AND state = 'requested'"
    " RETURNING " RETURN_COLUMNS};
static const hf_query_t COMPLAINT_Q_RETURN_LIST = {
    "complaint_return_list", "SELECT " RETURN_COLUMNS " FROM return_request WHERE branch = $1"
                             " AND (NOT $2::bool OR state = 'requested') ORDER BY id DESC"
                             " LIMIT 500"};
static const hf_query_t COMPLAINT_Q_CONFIG_SLA = {
    "complaint_config_sla", "SELECT branch, hours, business_hours, wait_hours FROM sla"
                            " WHERE branch IN ($1, '') AND category IN ($2, '*')"
                            " ORDER BY (branch = $1) DESC, (category = $2) DESC LIMIT 1"};
static const hf_query_t COMPLAINT_Q_CONFIG_CALENDAR = {
    "complaint_config_calendar",
    "SELECT branch, day_start, day_end, lunch_start, lunch_end, workdays"
    " FROM calendar WHERE branch IN ($1, '') ORDER BY branch DESC LIMIT 1"};
static const hf_query_t COMPLAINT_Q_CONFIG_HOLIDAYS = {
    "complaint_config_holidays", "SELECT day::text FROM holiday WHERE branch = $1 ORDER BY day"};
static const hf_query_t COMPLAINT_Q_CONFIG_POLICY = {
    "complaint_config_policy", "SELECT branch, opened_fee_fen, opened_fee_bp FROM return_policy"
                               " WHERE branch IN ($1, '') ORDER BY branch DESC LIMIT 1"};
static const hf_query_t COMPLAINT_Q_SLA_SET = {
    "complaint_sla_set", "INSERT INTO sla (branch, category, hours, business_hours, wait_hours)"
                         " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (branch, category)"
                         " DO UPDATE SET hours = $3, business_hours = $4, wait_hours = $5"};
static const hf_query_t COMPLAINT_Q_CALENDAR_SET = {
    "complaint_calendar_set",
    "INSERT INTO calendar (branch, day_start, day_end, lunch_start, lunch_end,"
    " workdays) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (branch) DO UPDATE SET"
    " day_start = $2, day_end = $3, lunch_start = $4, lunch_end = $5, workdays = $6"};
static const hf_query_t COMPLAINT_Q_HOLIDAYS_CLEAR = {"complaint_holidays_clear",
                                                      "DELETE FROM holiday WHERE branch = $1"};
static const hf_query_t COMPLAINT_Q_HOLIDAY_ADD = {
    "complaint_holiday_add",
    "INSERT INTO holiday (branch, day) VALUES ($1, $2) ON CONFLICT DO NOTHING"};
static const hf_query_t COMPLAINT_Q_POLICY_SET = {
    "complaint_policy_set", "INSERT INTO return_policy (branch, opened_fee_fen, opened_fee_bp)"
                            " VALUES ($1, $2, $3) ON CONFLICT (branch) DO UPDATE SET"
                            " opened_fee_fen = $2, opened_fee_bp = $3"};

#endif
