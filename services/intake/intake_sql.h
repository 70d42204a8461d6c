/* intake_sql: every fixed statement of the intake service, named, in one place to review.
 *
 * Each is an hf_query_t run with hf_store_query() / hf_store_query_run(): prepared once
 * per store connection (again after a reconnect), or sent as its text each time when
 * HUIFANG_PG_PREPARE=off (a pooler in transaction mode). Parameters are $n, always. The
 * statements whose text is put together at run time stay on hf_store_exec(), each with a
 * comment saying why. */
#ifndef INTAKE_SQL_H
#define INTAKE_SQL_H

#include "hf_store.h"
#include "intake_internal.h"

#define INTAKE_SQL_STR_(x) #x
#define INTAKE_SQL_STR(x) INTAKE_SQL_STR_(x) /* a number macro as SQL text */

/* the columns the row readers read, in their order */
#define AGENT_COLUMNS                                                                              \
    "branch, id, name, role, array_to_string(regions, ','), daily_calls, daily_visits, active"
#define PURCHASE_COLUMNS                                                                           \
    "id, customer_id, branch, product, quantity, price_fen, purchase_date::text,"                  \
    " supply_end::text, nth, plan, days_of_supply, coalesce(contact_id, 0),"                       \
    " coalesce(consultation_id, 0), agent"
#define CAMPAIGN_COLUMNS                                                                           \
    "k.id, k.branch, k.name, k.place, k.at_ms, k.capacity, k.segment_id, k.invite_days,"           \
    " k.bought_within_days, k.created_at_ms, k.created_by,"                                        \
    " (SELECT count(*) FILTER (WHERE m.invited) FROM campaign_member m"                            \
    "   WHERE m.campaign_id = k.id),"                                                              \
    " (SELECT count(*) FILTER (WHERE m.answer = 'accepted') FROM campaign_member m"                \
    "   WHERE m.campaign_id = k.id),"                                                              \
    " (SELECT count(*) FILTER (WHERE m.answer = 'declined') FROM campaign_member m"                \
    "   WHERE m.campaign_id = k.id),"                                                              \
    " (SELECT count(*) FILTER (WHERE m.attended_at_ms IS NOT NULL) FROM campaign_member m"         \
    "   WHERE m.campaign_id = k.id),"                                                              \
    " (k.event_day - date '1970-01-01')"
#define ACCOUNT_COLUMNS                                                                            \
    "login, name, role, array_to_string(branches, ','), password_hash, disabled, failed_logins,"   \
    " last_failed_ms, locked_until_ms, created_ms, last_login_ms"
#define OCCASION_RULE_COLUMNS                                                                      \
    "id, branch, occasion, coalesce(segment_id, 0), card_type, tier,"                              \
    " array_to_string(regions, ','), days_before, purpose, script, created_at_ms, created_by"
#define SEGMENT_COLUMNS                                                                            \
    "id, branch, name, regions, card_types, tiers, stages, products,"                              \
    " coalesce(purchased_before::text, ''), coalesce(purchased_after::text, ''),"                  \
    " coalesce(contacted_before::text, ''), coalesce(contacted_after::text, ''),"                  \
    " birthday_from, birthday_to, attended, not_attended, created_at_ms, created_by"

/* the samples a segment preview shows */
#define SEGMENT_SAMPLES 5

/* The filter as SQL. $1 branch; $2..$6 text[] (regions, card types, tiers, stages,
 * products); $7/$8 dates (last purchase before / on or after); $9/$10 UTC ms (last contact
 * before / on or after: the branch's local midnight of the date given); $11/$12 MMDD
 * numbers (birthday range, wrapping when from > to); $13/$14 a campaign id or 0 for any
 * (attended / not attended); $15 the branch's today (stages). */
#define SEGMENT_WHERE                                                                              \
    " FROM customer c WHERE c.branch = $1 AND c.merged_into IS NULL AND NOT c.opted_out"           \
    " AND ($2::text[] IS NULL OR c.region = ANY($2::text[]))"                                      \
    " AND (CASE WHEN $3::text[] IS NULL THEN c.card_type <> 'void'"                                \
    " ELSE c.card_type = ANY($3::text[]) END)"                                                     \
    " AND ($4::text[] IS NULL OR c.tier = ANY($4::text[]))"                                        \
    " AND ($5::text[] IS NULL OR segment_stage(c.branch,"                                          \
    " coalesce(c.ref_date, c.baby_birth, c.due_date), $15::date) = ANY($5::text[]))"               \
    " AND ($6::text[] IS NULL OR EXISTS (SELECT 1 FROM purchase p WHERE p.customer_id = c.id"      \
    " AND p.product = ANY($6::text[])))"                                                           \
    " AND ($7::date IS NULL OR (SELECT max(p.purchase_date) FROM purchase p"                       \
    " WHERE p.customer_id = c.id) < $7::date)"                                                     \
    " AND ($8::date IS NULL OR (SELECT max(p.purchase_date) FROM purchase p"                       \
    " WHERE p.customer_id = c.id) >= $8::date)"                                                    \
    " AND ($9::bigint IS NULL OR coalesce(c.last_contact_at_ms, 0) < $9::bigint)"                  \
    " AND ($10::bigint IS NULL OR c.last_contact_at_ms >= $10::bigint)"                            \
    " AND ($11::int IS NULL OR (c.birth IS NOT NULL AND CASE WHEN $11::int <= $12::int"            \
    " THEN (extract(month FROM c.birth) * 100 + extract(day FROM c.birth))::int"                   \
    " BETWEEN $11::int AND $12::int"                                                               \
    " ELSE (extract(month FROM c.birth) * 100 + extract(day FROM c.birth))::int >= $11::int"       \
    " OR (extract(month FROM c.birth) * 100 + extract(day FROM c.birth))::int <= $12::int END))"   \
    " AND ($13::bigint IS NULL OR EXISTS (SELECT 1 FROM campaign_member m"                         \
    " WHERE m.customer_id = c.id AND m.attended_at_ms IS NOT NULL"                                 \
    " AND ($13::bigint = 0 OR m.campaign_id = $13::bigint)))"                                      \
    " AND ($14::bigint IS NULL OR NOT EXISTS (SELECT 1 FROM campaign_member m"                     \
    " WHERE m.customer_id = c.id AND m.attended_at_ms IS NOT NULL"                                 \
    " AND ($14::bigint = 0 OR m.campaign_id = $14::bigint)))"

/* ---- intake.c ---- */

static const hf_query_t INTAKE_Q_BRANCH_ADD = {
    "intake_branch_add", "INSERT INTO branch (code, name, tz, windows, created_at_ms, lead_plans)"
                         " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING 1"};
static const hf_query_t INTAKE_Q_AGENT_ADD = {
    "intake_agent_add", "INSERT INTO agent (branch, id, name, role, regions, daily_calls,"
                        " daily_visits) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                        " ON CONFLICT DO NOTHING RETURNING 1"};
static const hf_query_t INTAKE_Q_PRODUCT_ADD = {
    "intake_product_add", "INSERT INTO product (branch, code, name, days_per_unit, price_fen,"
                          " plan) VALUES ($1, $2, $3, $4, $5, $6)"
                          " ON CONFLICT DO NOTHING RETURNING 1"};
static const hf_query_t INTAKE_Q_ORG_LIST_BRANCH = {
    "intake_org_list_branch", "SELECT code, name, tz, windows FROM branch ORDER BY code"};
static const hf_query_t INTAKE_Q_ORG_LIST_AGENT = {
    "intake_org_list_agent", "SELECT " AGENT_COLUMNS " FROM agent WHERE branch = $1"
                             " AND ($2 = '' OR role = $2)"
                             " AND ($3::text IS NULL OR active = ($3 = 'yes')) ORDER BY id"};
static const hf_query_t INTAKE_Q_ORG_LIST_PRODUCT = {
    "intake_org_list_product",
    "SELECT branch, code, name, days_per_unit, price_fen, plan FROM product"
    " WHERE branch = $1 ORDER BY code"};
static const hf_query_t INTAKE_Q_AGENT_EDIT_AGENT = {
    "intake_agent_edit_agent",
    "SELECT " AGENT_COLUMNS " FROM agent WHERE branch = $1 AND id = $2 FOR UPDATE"};
static const hf_query_t INTAKE_Q_AGENT_EDIT_AGENT_UPDATE = {
    "intake_agent_edit_agent_update",
    "UPDATE agent SET name = $3, role = $4, regions = $5, daily_calls = $6,"
    " daily_visits = $7, active = $8 WHERE branch = $1 AND id = $2"};
static const hf_query_t INTAKE_Q_PRODUCT_EDIT_PRODUCT = {
    "intake_product_edit_product", "SELECT branch, code, name, days_per_unit, price_fen, plan"
                                   " FROM product WHERE branch = $1 AND code = $2 FOR UPDATE"};
static const hf_query_t INTAKE_Q_PRODUCT_EDIT_PRODUCT_UPDATE = {
    "intake_product_edit_product_update",
    "UPDATE product SET name = $3, days_per_unit = $4, price_fen = $5, plan = $6"
    " WHERE branch = $1 AND code = $2"};
static const hf_query_t INTAKE_Q_PURCHASES_LOAD = {
    "intake_purchases_load", "SELECT " PURCHASE_COLUMNS " FROM purchase WHERE customer_id = $1"
                             " ORDER BY nth"};
static const hf_query_t INTAKE_Q_CARD_SET = {
    "intake_card_set", "UPDATE customer SET card_type = $2, void_reason = $3 WHERE id = $1"};
static const hf_query_t INTAKE_Q_OPT_OUT = {
    "intake_opt_out", "UPDATE customer SET opted_out = true, opt_out_reason = $2 WHERE id = $1"};
static const hf_query_t INTAKE_Q_PURCHASE_RECORD_PRODUCT = {
    "intake_purchase_record_product",
    "SELECT days_per_unit, price_fen, plan FROM product WHERE branch = $1 AND code = $2"};
static const hf_query_t INTAKE_Q_PURCHASE_RECORD_PURCHASE_INSERT = {
    "intake_purchase_record_purchase_insert",
    "INSERT INTO purchase (customer_id, branch, product, quantity, price_fen,"
    " purchase_date, supply_end, days_of_supply, nth, plan, created_at_ms,"
    " contact_id, consultation_id, agent)"
    " SELECT $1, $2, $3, $4, $5, $6, $7, $8, coalesce(max(nth), 0) + 1, $9, $10,"
    "   $11, $12, $13 FROM purchase WHERE customer_id = $1"
    " ON CONFLICT DO NOTHING RETURNING " PURCHASE_COLUMNS};
static const hf_query_t INTAKE_Q_PURCHASE_RECORD_CUSTOMER_UPDATE = {
    "intake_purchase_record_customer_update",
    "UPDATE customer SET spend_fen = $2, purchases = $3, tier = $4,"
    " card_type = 'customer', void_reason = '' WHERE id = $1"};

/* ---- intake_audit.c ---- */

static const hf_query_t INTAKE_Q_AUDIT_LIST = {
    "intake_audit_list",
    "SELECT id, floor(extract(epoch FROM at) * 1000)::bigint, actor, on_behalf_of, role,"
    " branch, service, command, customers::text, request_id FROM audit.access"
    " WHERE ($1 = '' OR branch = $1)"
    " AND ($2::bigint = 0 OR customers @> ARRAY[$2::bigint])"
    " AND ($3 = '' OR actor = $3)"
    " AND ($4::bigint = 0 OR at >= to_timestamp($4::bigint / 1000.0))"
    " AND ($5::bigint = 0 OR at < to_timestamp($5::bigint / 1000.0))"
    " ORDER BY at, id LIMIT $6::int"};

/* ---- intake_campaign.c ---- */

/* a campaign of the branch by id, locked or not */
static const hf_query_t INTAKE_Q_CAMPAIGN = {"intake_campaign", "SELECT " CAMPAIGN_COLUMNS
                                                                " FROM campaign k WHERE k.id ="
                                                                " $1 AND k.branch = $2"};
static const hf_query_t INTAKE_Q_CAMPAIGN_LOCK = {
    "intake_campaign_lock", "SELECT " CAMPAIGN_COLUMNS " FROM campaign k WHERE k.id ="
                            " $1 AND k.branch = $2 FOR UPDATE"};

static const hf_query_t INTAKE_Q_CAMPAIGN_ADD_CAMPAIGN_INSERT = {
    "intake_campaign_add_campaign_insert",
    "INSERT INTO campaign (branch, name, place, at_ms, event_day, capacity,"
    " segment_id, invite_days, bought_within_days, created_at_ms, created_by)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id"};
static const hf_query_t INTAKE_Q_CAMPAIGN_ADD_CAMPAIGN_MEMBER_INSERT = {
    "intake_campaign_add_campaign_member_insert",
    "INSERT INTO campaign_member (campaign_id, customer_id)"
    " SELECT $1, unnest($2::bigint[])"};
static const hf_query_t INTAKE_Q_CAMPAIGN_LIST = {
    "intake_campaign_list", "SELECT " CAMPAIGN_COLUMNS " FROM campaign k WHERE k.branch = $1"
                            " ORDER BY k.at_ms, k.id"};
static const hf_query_t INTAKE_Q_CAMPAIGN_CHECKIN_CAMPAIGN_MEMBER = {
    "intake_campaign_checkin_campaign_member",
    "SELECT invited, answer, coalesce(attended_at_ms, 0)"
    " FROM campaign_member WHERE campaign_id = $1 AND customer_id = $2"};
static const hf_query_t INTAKE_Q_CAMPAIGN_CHECKIN_CAMPAIGN_MEMBER_INSERT = {
    "intake_campaign_checkin_campaign_member_insert",
    "INSERT INTO campaign_member (campaign_id, customer_id, invited,"
    " attended_at_ms, attended_by) VALUES ($1, $2, false, $3, $4)"
    " ON CONFLICT (campaign_id, customer_id) DO UPDATE SET attended_at_ms = $3,"
    " attended_by = $4"};
static const hf_query_t INTAKE_Q_CAMPAIGN_NOTE_CONTACT = {
    "intake_campaign_note_contact",
    "UPDATE customer SET last_contact_at_ms = $2::bigint WHERE id = $1"
    " AND (last_contact_at_ms IS NULL OR last_contact_at_ms < $2::bigint)"};
static const hf_query_t INTAKE_Q_ON_CAMPAIGN_ANSWERED = {
    "intake_on_campaign_answered", "UPDATE campaign_member SET answer = $3, answered_at_ms = $4"
                                   " WHERE campaign_id = $1 AND customer_id = $2"};

/* ---- intake_consume.c ---- */

/* a call's customer, live (not merged) in the branch, with the call as its last contact when
 * it is the latest, read in the statement that writes it; when $4, a new card made one-on-one
 * (as intake_card_set would: void_reason ''); when $5 (a refusal), the card voided for reason
 * $6 unless void already, and the customer opted out for $6 unless opted out already (as
 * intake_card_set and intake_opt_out would, after the $4 step); what it had before (o, locked:
 * the opt-out reason, void reason, opted out, card type, in that order after the customer's
 * columns); the branch's zone; and, when the customer will go out in a CustomerUpdated (a
 * card made one-on-one, or $5 with the card not void or the customer not opted out before),
 * the branch's stage rules as INTAKE_Q_BRANCH_LOAD_STAGE_RULE reads them, a row each (the
 * customer's columns repeated). No row: no such branch; a row of NULLs but the zone: the
 * customer is not there as a live one */
static const hf_query_t INTAKE_Q_CALL_CUSTOMER = {
    "intake_call_customer",
    "WITH br AS (SELECT tz FROM branch WHERE code = $2),"
    " u AS (UPDATE customer c SET last_contact_at_ms = CASE WHEN $3::bigint > 0"
    " AND (c.last_contact_at_ms IS NULL OR c.last_contact_at_ms < $3::bigint) THEN $3::bigint"
    " ELSE c.last_contact_at_ms END,"
    " card_type = CASE WHEN $5::bool AND o.card_type <> 'void' THEN 'void'"
    " WHEN $4::bool AND o.card_type = 'new' THEN 'one-on-one' ELSE c.card_type END,"
    " void_reason = CASE WHEN $5::bool AND o.card_type <> 'void' THEN $6::text"
    " WHEN $4::bool AND o.card_type = 'new' THEN '' ELSE c.void_reason END,"
    " opted_out = c.opted_out OR $5::bool,"
    " opt_out_reason = CASE WHEN $5::bool AND NOT o.opted_out THEN $6::text"
    " ELSE c.opt_out_reason END"
    " FROM (SELECT id, card_type, void_reason, opted_out, opt_out_reason FROM customer"
    " WHERE id = $1 AND branch = $2 AND merged_into IS NULL AND EXISTS (SELECT FROM br)"
    " FOR UPDATE) o WHERE c.id = o.id"
    " RETURNING " INTAKE_CUSTOMER_COLUMNS_SQL ", o.opt_out_reason AS old_opt_out_reason,"
    " o.void_reason AS old_void_reason, o.opted_out AS old_opted_out, o.card_type AS old_card)"
    " SELECT u.*, br.tz, r.* FROM br LEFT JOIN u ON true LEFT JOIN LATERAL ("
    "SELECT branch <> '', code, unit, from_age IS NOT NULL, coalesce(from_age, 0),"
    " to_age IS NOT NULL, coalesce(to_age, 0), label FROM stage_rule"
    " WHERE (($4::bool AND u.old_card = 'new')"
    " OR ($5::bool AND (u.old_card <> 'void' OR NOT u.old_opted_out)))"
    " AND branch = (SELECT max(branch) FROM stage_rule WHERE branch IN ($2, ''))"
    " ORDER BY code LIMIT 16) r ON true"};
/* INTAKE_Q_CALL_CUSTOMER for the common calls of a batch at once (intake_consume.c): $1..$6
 * one element a call, in the batch's order — customer, branch, logged at (UTC ms), talked,
 * refused, void reason ('' unless refused). Each customer's calls fold into one update as
 * they would one after another: the latest contact; the card voided for the first refusal's
 * reason unless void already, else made one-on-one when new and talked to; opted out for the
 * first refusal's reason unless opted out already. A row a customer (by id) with its columns
 * after the calls, what it had (o, locked in id order: opt-out reason, void reason, opted out,
 * card type), the branch's zone, whether a call talked, whether one refused, then, when the
 * customer will go out in a CustomerUpdated, the branch's stage rules, a row each (the
 * customer's columns repeated). All or nothing: no row at all (nothing written) when a call's
 * customer is no live one of its branch, or the branch is unknown (the calls then go one at a
 * time, the way that follows merges). */
static const hf_query_t INTAKE_Q_CALLS_CUSTOMERS = {
    "intake_calls_customers",
    "WITH k AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bool[],"
    " $5::bool[], $6::text[]) WITH ORDINALITY AS k(id, code, at_ms, talked, refused, reason, ord)),"
    " g AS (SELECT id, code, max(at_ms) FILTER (WHERE at_ms > 0) AS at_ms, bool_or(talked) AS "
    "talked,"
    " bool_or(refused) AS refused,"
    " (array_agg(reason ORDER BY ord) FILTER (WHERE refused))[1] AS reason"
    " FROM k GROUP BY id, code),"
    " o AS (SELECT c.id, c.card_type, c.void_reason, c.opted_out, c.opt_out_reason, g.at_ms,"
    " g.talked, g.refused, g.reason, b.tz FROM g JOIN customer c ON c.id = g.id"
    " AND c.branch = g.code AND c.merged_into IS NULL JOIN branch b ON b.code = g.code"
    " ORDER BY c.id FOR UPDATE OF c),"
    " ok AS (SELECT count(*) = (SELECT count(*) FROM g) AS ok FROM o),"
    " u AS (UPDATE customer c SET last_contact_at_ms = CASE WHEN o.at_ms IS NOT NULL"
    " AND (c.last_contact_at_ms IS NULL OR c.last_contact_at_ms < o.at_ms) THEN o.at_ms"
    " ELSE c.last_contact_at_ms END,"
    " card_type = CASE WHEN o.refused AND o.card_type <> 'void' THEN 'void'"
    " WHEN o.talked AND o.card_type = 'new' THEN 'one-on-one' ELSE c.card_type END,"
    " void_reason = CASE WHEN o.refused AND o.card_type <> 'void' THEN o.reason"
    " WHEN o.talked AND o.card_type = 'new' THEN '' ELSE c.void_reason END,"
    " opted_out = c.opted_out OR o.refused,"
    " opt_out_reason = CASE WHEN o.refused AND NOT o.opted_out THEN o.reason"
    " ELSE c.opt_out_reason END"
    " FROM o WHERE c.id = o.id AND (SELECT ok FROM ok)"
    " RETURNING " INTAKE_CUSTOMER_COLUMNS_SQL ", o.opt_out_reason AS old_opt_out_reason,"
    " o.void_reason AS old_void_reason, o.opted_out AS old_opted_out, o.card_type AS old_card,"
    " o.tz AS tz, o.talked AS talked, o.refused AS refused)"
    " SELECT u.*, r.* FROM u LEFT JOIN LATERAL ("
    "SELECT branch <> '', code, unit, from_age IS NOT NULL, coalesce(from_age, 0),"
    " to_age IS NOT NULL, coalesce(to_age, 0), label FROM stage_rule"
    " WHERE ((u.talked AND u.old_card = 'new')"
    " OR (u.refused AND (u.old_card <> 'void' OR NOT u.old_opted_out)))"
    " AND branch = (SELECT max(branch) FROM stage_rule WHERE branch IN (u.branch, ''))"
    " ORDER BY code LIMIT 16) r ON true ORDER BY u.id, r.code"};
static const hf_query_t INTAKE_Q_ORIGIN_SEEN = {"intake_origin_seen",
                                                "SELECT 1 FROM lead_source WHERE origin = $1"};
static const hf_query_t INTAKE_Q_ON_CONSULT_LOGGED = {
    "intake_on_consult_logged", "SELECT customer_id FROM customer_phone WHERE branch = $1"
                                " AND phone = $2"};
static const hf_query_t INTAKE_Q_ON_RETURN_DECIDED_REFUND_INSERT = {
    "intake_on_return_decided_refund_insert",
    "INSERT INTO refund (return_id, customer_id, purchase_id,"
    " refund_fen, applied_at_ms) VALUES ($1, $2, $3, $4, $5)"
    " ON CONFLICT DO NOTHING RETURNING 1"};
static const hf_query_t INTAKE_Q_ON_RETURN_DECIDED_CUSTOMER_UPDATE = {
    "intake_on_return_decided_customer_update",
    "UPDATE customer SET spend_fen = $2, tier = $3 WHERE id = $1"};

/* ---- intake_customer.c ---- */

static const hf_query_t INTAKE_Q_CUSTOMER_SHOW = {
    "intake_customer_show", "SELECT channel, collector, source, referrer, note, collected_at_ms,"
                            " merged FROM lead_source WHERE customer_id = $1"
                            " ORDER BY collected_at_ms, id LIMIT 200"};
static const hf_query_t INTAKE_Q_CHANGES_LOAD = {
    "intake_changes_load", "SELECT field, old_value, new_value, changed_at_ms, actor FROM"
                           " (SELECT * FROM customer_change WHERE customer_id = $1"
                           "  ORDER BY id DESC LIMIT 200) x ORDER BY id"};
static const hf_query_t INTAKE_Q_EDIT_WRITE = {
    "intake_edit_write", "INSERT INTO customer_change (customer_id, field, old_value, new_value,"
                         " actor, changed_at_ms) VALUES ($1, $2, $3, $4, $5, $6)"};
static const hf_query_t INTAKE_Q_CUSTOMER_PHONE_ADD_CUSTOMER_PHONE_INSERT = {
    "intake_customer_phone_add_customer_phone_insert",
    "INSERT INTO customer_phone (branch, phone, customer_id, relation)"
    " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1"};
static const hf_query_t INTAKE_Q_CUSTOMER_PHONE_ADD_CUSTOMER_PHONE = {
    "intake_customer_phone_add_customer_phone",
    "SELECT customer_id, relation FROM customer_phone WHERE branch = $1"
    " AND phone = $2"};
static const hf_query_t INTAKE_Q_CUSTOMER_PHONE_ADD_CUSTOMER_PHONE_UPDATE = {
    "intake_customer_phone_add_customer_phone_update",
    "UPDATE customer_phone SET relation = $4 WHERE branch = $1 AND phone = $2"};
static const hf_query_t INTAKE_Q_MERGE_RECORDS_CUSTOMER_PHONE_UPDATE = {
    "intake_merge_records_customer_phone_update",
    "UPDATE customer_phone SET customer_id = $1 WHERE customer_id = $2"};
static const hf_query_t INTAKE_Q_MERGE_RECORDS_LEAD_SOURCE_UPDATE = {
    "intake_merge_records_lead_source_update",
    "UPDATE lead_source SET customer_id = $1 WHERE customer_id = $2"};
static const hf_query_t INTAKE_Q_MERGE_RECORDS_PURCHASE_UPDATE = {
    "intake_merge_records_purchase_update",
    "UPDATE purchase SET customer_id = $1, nth = -id WHERE customer_id IN ($1, $2)"};
static const hf_query_t INTAKE_Q_MERGE_RECORDS_PURCHASE_UPDATE_2 = {
    "intake_merge_records_purchase_update_2",
    "UPDATE purchase p SET nth = r.n FROM (SELECT id, row_number() OVER"
    " (ORDER BY purchase_date, created_at_ms, id) AS n FROM purchase"
    " WHERE customer_id = $1) r WHERE p.id = r.id"};
static const hf_query_t INTAKE_Q_MERGE_CARD_CUSTOMER_UPDATE = {
    "intake_merge_card_customer_update",
    "UPDATE customer k SET"
    " gender = CASE WHEN k.gender = '' THEN o.gender ELSE k.gender END,"
    " birth = coalesce(k.birth, o.birth), ref_date = coalesce(k.ref_date, o.ref_date),"
    " region = CASE WHEN k.region = '' THEN o.region ELSE k.region END,"
    " address = CASE WHEN k.address = '' THEN o.address ELSE k.address END,"
    " age = coalesce(k.age, o.age),"
    " route = CASE WHEN k.route = '' THEN o.route ELSE k.route END,"
    " condition = CASE WHEN k.condition = '' THEN o.condition ELSE k.condition END,"
    " baby_name = CASE WHEN k.baby_name = '' THEN o.baby_name ELSE k.baby_name END,"
    " baby_sex = CASE WHEN k.baby_sex = '' THEN o.baby_sex ELSE k.baby_sex END,"
    " baby_birth = coalesce(k.baby_birth, o.baby_birth),"
    " due_date = coalesce(k.due_date, o.due_date),"
    " current_brand = CASE WHEN k.current_brand = '' THEN o.current_brand ELSE "
    "k.current_brand END,"
    " feeding = CASE WHEN k.feeding = '' THEN o.feeding ELSE k.feeding END,"
    " employer = CASE WHEN k.employer = '' THEN o.employer ELSE k.employer END,"
    " hobbies = CASE WHEN k.hobbies = '' THEN o.hobbies ELSE k.hobbies END,"
    " health = CASE WHEN k.health = '' THEN o.health ELSE k.health END,"
    " windows = CASE WHEN k.windows = '' THEN o.windows ELSE k.windows END,"
    " opted_out = k.opted_out OR o.opted_out,"
    " opt_out_reason = CASE WHEN k.opted_out THEN k.opt_out_reason"
    "   WHEN o.opted_out THEN o.opt_out_reason ELSE '' END,"
    " dnd_reason = CASE WHEN o.dnd_until > coalesce(k.dnd_until, '-infinity')"
    "   THEN o.dnd_reason ELSE k.dnd_reason END,"
    " dnd_until = greatest(k.dnd_until, o.dnd_until),"
    " created_at_ms = least(k.created_at_ms, o.created_at_ms),"
    " card_type = $3, void_reason = $4, spend_fen = $5, purchases = $6, tier = $7"
    " FROM customer o WHERE k.id = $1 AND o.id = $2"};
static const hf_query_t INTAKE_Q_MERGE_CARD_CUSTOMER_UPDATE_2 = {
    "intake_merge_card_customer_update_2", "UPDATE customer SET merged_into = $1 WHERE id = $2"};
static const hf_query_t INTAKE_Q_CUSTOMER_DND = {
    "intake_customer_dnd", "UPDATE customer SET dnd_until = $2, dnd_reason = $3 WHERE id = $1"};
static const hf_query_t INTAKE_Q_RULES_SET_TIER_RULE_INSERT = {
    "intake_rules_set_tier_rule_insert",
    "INSERT INTO tier_rule (branch, tier, min_spend_fen, min_purchases)"
    " SELECT $1, tier, min_spend_fen, min_purchases FROM tier_rule WHERE branch = ''"};
static const hf_query_t INTAKE_Q_RULES_SET_STAGE_RULE_INSERT = {
    "intake_rules_set_stage_rule_insert",
    "INSERT INTO stage_rule (branch, code, unit, from_age, to_age, label)"
    " SELECT $1, code, unit, from_age, to_age, label FROM stage_rule WHERE branch = ''"};
static const hf_query_t INTAKE_Q_RULES_SET_TIER_RULE_INSERT_2 = {
    "intake_rules_set_tier_rule_insert_2",
    "INSERT INTO tier_rule (branch, tier, min_spend_fen, min_purchases)"
    " VALUES ($1, $2, $3, $4) ON CONFLICT (branch, tier) DO UPDATE"
    " SET min_spend_fen = $3, min_purchases = $4"};
static const hf_query_t INTAKE_Q_RULES_SET_STAGE_RULE_INSERT_2 = {
    "intake_rules_set_stage_rule_insert_2",
    "INSERT INTO stage_rule (branch, code, unit, from_age, to_age, label)"
    " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (branch, code) DO UPDATE"
    " SET unit = $3, from_age = $4, to_age = $5, label = $6"};
static const hf_query_t INTAKE_Q_RULES_SET_STAGE_RULE_DELETE = {
    "intake_rules_set_stage_rule_delete", "DELETE FROM stage_rule WHERE branch = $1 AND code = $2"
                                          " RETURNING 1"};

/* ---- intake_identity.c ---- */

/* an account by login, locked or not */
static const hf_query_t INTAKE_Q_ACCOUNT = {"intake_account", "SELECT " ACCOUNT_COLUMNS
                                                              " FROM account WHERE login = $1"};
static const hf_query_t INTAKE_Q_ACCOUNT_LOCK = {
    "intake_account_lock", "SELECT " ACCOUNT_COLUMNS " FROM account WHERE login = $1 FOR UPDATE"};

static const hf_query_t INTAKE_Q_LOGIN_AS = {
    "intake_login_as", "SELECT role, name FROM agent WHERE branch = $1 AND id = $2"
                       " AND active"};
static const hf_query_t INTAKE_Q_LOGIN_ACCOUNT_UPDATE = {
    "intake_login_account_update", "UPDATE account SET failed_logins = $2, last_failed_ms = $3,"
                                   " locked_until_ms = $4 WHERE login = $1"};
static const hf_query_t INTAKE_Q_LOGIN_ACCOUNT_UPDATE_2 = {
    "intake_login_account_update_2",
    "UPDATE account SET failed_logins = 0, last_login_ms = $2, password_hash ="
    " CASE WHEN $3 = '' THEN password_hash ELSE $3 END WHERE login = $1"};
static const hf_query_t INTAKE_Q_USER_ADD_AGENT = {
    "intake_user_add_agent", "SELECT name FROM agent WHERE branch = $1 AND id = $2"};
static const hf_query_t INTAKE_Q_USER_ADD_ACCOUNT_INSERT = {
    "intake_user_add_account_insert",
    "INSERT INTO account (login, name, role, branches, password_hash,"
    " created_ms, password_changed_ms) VALUES ($1, $2, $3, $4, $5,"
    " $6, $6) ON CONFLICT DO NOTHING RETURNING 1"};
static const hf_query_t INTAKE_Q_USER_PASSWD = {
    "intake_user_passwd", "UPDATE account SET password_hash = $2, password_changed_ms = $3,"
                          " failed_logins = 0, locked_until_ms = 0 WHERE login = $1"};
static const hf_query_t INTAKE_Q_USER_DISABLE = {
    "intake_user_disable",
    "UPDATE account SET disabled = $2, failed_logins = 0, locked_until_ms = 0"
    " WHERE login = $1"};
static const hf_query_t INTAKE_Q_USER_LIST = {"intake_user_list", "SELECT " ACCOUNT_COLUMNS
                                                                  " FROM account ORDER BY login"};
static const hf_query_t INTAKE_Q_IDENTITY_INIT_ACCOUNT = {
    "intake_identity_init_account", "SELECT 1 FROM account WHERE role = 'admin' LIMIT 1"};
static const hf_query_t INTAKE_Q_IDENTITY_INIT_ACCOUNT_INSERT = {
    "intake_identity_init_account_insert",
    "INSERT INTO account (login, name, role, password_hash, created_ms,"
    " password_changed_ms) VALUES ('admin', 'Administrator', 'admin', $1, $2,"
    " $2) ON CONFLICT DO NOTHING"};

/* ---- intake_lead.c ---- */

static const hf_query_t INTAKE_Q_CLAIM_PHONES_COPY_CUSTOMER_PHONE = {
    "intake_claim_phones_copy_customer_phone",
    "SELECT i, owner, CASE WHEN owner IS NULL THEN nextval('customer_id_seq') END"
    " FROM (SELECT u.i, (SELECT p.customer_id FROM customer_phone p"
    "   WHERE p.branch = $1 AND p.phone = u.ph) AS owner"
    "   FROM unnest($2::text[]) WITH ORDINALITY AS u(ph, i) OFFSET 0) x"};
static const hf_query_t INTAKE_Q_PHONE_CLAIM_SAVEPOINT = {"intake_phone_claim_savepoint",
                                                          "SAVEPOINT phone_claim"};
static const hf_query_t INTAKE_Q_PHONE_CLAIM_ROLLBACK = {"intake_phone_claim_rollback",
                                                         "ROLLBACK TO SAVEPOINT phone_claim"};
static const hf_query_t INTAKE_Q_CLAIM_PHONES_WAITING_CUSTOMER_PHONE_INSERT = {
    "intake_claim_phones_waiting_customer_phone_insert",
    "INSERT INTO customer_phone (branch, phone, customer_id)"
    " SELECT $1, ph, nextval('customer_id_seq') FROM unnest($2::text[]) AS ph"
    " ON CONFLICT DO NOTHING RETURNING phone, customer_id"};
static const hf_query_t INTAKE_Q_CLAIM_PHONES_WAITING_CUSTOMER_PHONE = {
    "intake_claim_phones_waiting_customer_phone",
    "SELECT u.i, (SELECT p.customer_id FROM customer_phone p"
    "   WHERE p.branch = $1 AND p.phone = u.ph)"
    " FROM unnest($2::text[]) WITH ORDINALITY AS u(ph, i)"};
static const hf_query_t INTAKE_Q_CLAIM_IMPORT_KEYS = {
    "intake_claim_import_keys", "INSERT INTO import_row (key, imported_at_ms, rejected)"
                                " SELECT k, $1, true FROM unnest($2::uuid[]) AS k"
                                " ON CONFLICT DO NOTHING RETURNING key"};
static const hf_query_t INTAKE_Q_FIND_RECORDED_ROWS = {
    "intake_find_recorded_rows",
    "SELECT u.i FROM unnest($1::bigint[], $2::uuid[]) WITH ORDINALITY AS u(c, k, i)"
    " WHERE (SELECT 1 FROM lead_source s WHERE s.customer_id = u.c AND s.row_key = u.k"
    "   LIMIT 1) IS NOT NULL"
    " OR (SELECT 1 FROM import_row r WHERE r.key = u.k AND r.rejected IS NULL"
    "   LIMIT 1) IS NOT NULL"};

/* ---- intake_occasion.c ---- */

static const hf_query_t INTAKE_Q_OCCASION_RULE_ADD_SEGMENT = {
    "intake_occasion_rule_add_segment", "SELECT 1 FROM segment WHERE id = $1 AND branch = $2"};
static const hf_query_t INTAKE_Q_OCCASION_RULE_ADD_OCCASION_RULE_INSERT = {
    "intake_occasion_rule_add_occasion_rule_insert",
    "INSERT INTO occasion_rule (branch, occasion, card_type, tier, regions, days_before,"
    " purpose, script, created_at_ms, created_by, segment_id) VALUES ($1, $2, $3, $4,"
    " $5::text[], $6::int, $7, $8, $9::bigint, $10, $11::bigint) RETURNING " OCCASION_RULE_COLUMNS};
static const hf_query_t INTAKE_Q_OCCASION_RULE_LIST = {"intake_occasion_rule_list",
                                                       "SELECT " OCCASION_RULE_COLUMNS
                                                       " FROM occasion_rule WHERE branch = $1"
                                                       " AND removed_at_ms = 0 ORDER BY id"};
static const hf_query_t INTAKE_Q_OCCASION_RULE_REMOVE = {
    "intake_occasion_rule_remove", "UPDATE occasion_rule SET removed_at_ms = $3::bigint"
                                   " WHERE id = $1::bigint AND branch = $2 AND removed_at_ms = 0"
                                   " RETURNING " OCCASION_RULE_COLUMNS};
static const hf_query_t INTAKE_Q_RULE_TARGETS = {
    "intake_rule_targets",
    "SELECT c.id FROM customer c WHERE c.branch = $1 AND c.merged_into IS NULL"
    " AND NOT c.opted_out AND c.card_type <> 'void'"
    " AND (c.dnd_until IS NULL OR c.dnd_until < $6::date)"
    " AND ($2 = '' OR c.card_type = $2) AND ($3 = '' OR c.tier = $3)"
    " AND (cardinality($4::text[]) = 0 OR c.region = ANY ($4::text[]))"
    " AND ($5::text[] IS NULL OR c.region = ANY ($5::text[]))"
    " AND (NOT $7::boolean OR (c.birth IS NOT NULL AND ((extract(month FROM c.birth) ="
    " $8::int AND extract(day FROM c.birth) = $9::int) OR ($10::boolean AND"
    " extract(month FROM c.birth) = 2 AND extract(day FROM c.birth) = 29))))"
    " AND ($12::bigint[] IS NULL OR c.id = ANY ($12::bigint[]))"
    " ORDER BY c.id LIMIT $11::int"};
static const hf_query_t INTAKE_Q_LOAD_RULES = {
    "intake_load_rules", "SELECT " OCCASION_RULE_COLUMNS " FROM occasion_rule WHERE branch = $1"
                         " AND removed_at_ms = 0 AND CASE WHEN"
                         " $2::text IS NULL THEN occasion NOT LIKE 'weather:%'"
                         " ELSE occasion = $2 END ORDER BY id"};
static const hf_query_t INTAKE_Q_SWEEP_BRANCH_OCCASION_SWEEP_INSERT = {
    "intake_sweep_branch_occasion_sweep_insert",
    "INSERT INTO occasion_sweep (branch, day, swept_at_ms)"
    " VALUES ($1, $2::date, $3::bigint) ON CONFLICT DO NOTHING"
    " RETURNING (SELECT max(day)::text FROM occasion_sweep"
    " WHERE branch = $1 AND day < $2::date)"};
static const hf_query_t INTAKE_Q_SWEEP_BRANCH_OCCASION_SWEEP_UPDATE = {
    "intake_sweep_branch_occasion_sweep_update",
    "UPDATE occasion_sweep SET customers = $3::int WHERE branch = $1"
    " AND day = $2::date"};
static const hf_query_t INTAKE_Q_OCCASION_SWEEP = {
    "intake_occasion_sweep",
    "SELECT b.code, b.tz FROM branch b WHERE EXISTS (SELECT 1 FROM occasion_rule r WHERE"
    " r.branch = b.code AND r.removed_at_ms = 0 AND r.occasion NOT LIKE 'weather:%')"
    " AND NOT EXISTS (SELECT 1 FROM occasion_sweep w WHERE w.branch = b.code AND w.day ="
    " (to_timestamp($1::bigint / 1000.0) AT TIME ZONE coalesce(nullif(b.tz, ''),"
    " $2))::date) ORDER BY b.code"};

/* ---- intake_points.c ---- */

static const hf_query_t INTAKE_Q_MOVE_POINTS_ACCOUNT_INSERT = {
    "intake_move_points_account_insert",
    "INSERT INTO points_account (customer_id, branch) VALUES ($1, $2)"
    " ON CONFLICT DO NOTHING"};
static const hf_query_t INTAKE_Q_MOVE_POINTS_ACCOUNT = {
    "intake_move_points_account",
    "SELECT balance, owed FROM points_account WHERE customer_id = $1 FOR UPDATE"};
static const hf_query_t INTAKE_Q_MOVE_POINTS_LEDGER_INSERT = {
    "intake_move_points_ledger_insert",
    "INSERT INTO points_ledger (customer_id, branch, delta, reason, reference,"
    " balance_after, owed_after, points, shortfall, purchase_id, actor, at_ms)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    " ON CONFLICT DO NOTHING RETURNING id"};
static const hf_query_t INTAKE_Q_MOVE_POINTS_ACCOUNT_UPDATE = {
    "intake_move_points_account_update",
    "UPDATE points_account SET balance = $2, owed = $3 WHERE customer_id = $1"};
static const hf_query_t INTAKE_Q_POINTS_RULE = {
    "intake_points_rule", "SELECT per_yuan, per_event, branch <> '' FROM points_rule"
                          " WHERE branch IN ($1, '') ORDER BY branch DESC LIMIT 1"};
static const hf_query_t INTAKE_Q_POINTS_ON_RETURN = {
    "intake_points_on_return", "SELECT coalesce(sum(points), 0) FROM points_ledger"
                               " WHERE purchase_id = $1 AND reason = 'purchase'"};
static const hf_query_t INTAKE_Q_POINTS_ON_MERGE_POINTS_ACCOUNT_INSERT = {
    "intake_points_on_merge_points_account_insert",
    "INSERT INTO points_account (customer_id, branch) VALUES ($1, $3), ($2, $3)"
    " ON CONFLICT DO NOTHING"};
static const hf_query_t INTAKE_Q_POINTS_ON_MERGE_POINTS_ACCOUNT = {
    "intake_points_on_merge_points_account",
    "SELECT customer_id, balance, owed FROM points_account"
    " WHERE customer_id IN ($1, $2) ORDER BY customer_id FOR UPDATE"};
static const hf_query_t INTAKE_Q_POINTS_ON_MERGE_POINTS_ACCOUNT_UPDATE = {
    "intake_points_on_merge_points_account_update",
    "UPDATE points_account SET owed = 0 WHERE customer_id = $2"};
static const hf_query_t INTAKE_Q_POINTS_ON_MERGE_POINTS_ACCOUNT_UPDATE_2 = {
    "intake_points_on_merge_points_account_update_2",
    "UPDATE points_account SET owed = owed + $3 WHERE customer_id = $1"};
static const hf_query_t INTAKE_Q_REPLY_ACCOUNT_POINTS_ACCOUNT = {
    "intake_reply_account_points_account",
    "SELECT coalesce((SELECT balance FROM points_account WHERE customer_id = $1), 0),"
    " coalesce((SELECT owed FROM points_account WHERE customer_id = $1), 0),"
    " coalesce(sum(points) FILTER (WHERE reason IN ('purchase', 'event', 'adjust')), 0),"
    " coalesce(sum(-delta) FILTER (WHERE reason = 'redeem'), 0),"
    " coalesce(sum(-delta) FILTER (WHERE reason = 'return'), 0)"
    " FROM points_ledger WHERE customer_id = $1"};
static const hf_query_t INTAKE_Q_REPLY_ACCOUNT_POINTS_LEDGER = {
    "intake_reply_account_points_ledger",
    "SELECT id, customer_id, branch, delta, reason, reference, balance_after,"
    " owed_after, points, shortfall, actor, at_ms FROM points_ledger"
    " WHERE customer_id = $1 ORDER BY id DESC LIMIT $2"};
static const hf_query_t INTAKE_Q_POINTS_REDEEM = {"intake_points_redeem",
                                                  "SELECT name, points FROM gift"
                                                  " WHERE branch = $1 AND code = $2 AND active"};
static const hf_query_t INTAKE_Q_POINTS_RULES = {
    "intake_points_rules",
    "INSERT INTO points_rule (branch, per_yuan, per_event) VALUES ($1, $2, $3)"
    " ON CONFLICT (branch) DO UPDATE SET per_yuan = $2, per_event = $3"};
static const hf_query_t INTAKE_Q_GIFT_ADD = {
    "intake_gift_add", "INSERT INTO gift (branch, code, name, points) VALUES"
                       " ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1"};
static const hf_query_t INTAKE_Q_GIFT_LIST = {
    "intake_gift_list", "SELECT code, name, points, active FROM gift WHERE branch = $1"
                        " ORDER BY points, code"};

/* ---- intake_segment.c ---- */

/* the filter's products are the branch's (s_check_known: $1 branch, $2 the code) */
static const hf_query_t INTAKE_Q_PRODUCT_KNOWN = {
    "intake_product_known", "SELECT 1 FROM product WHERE branch = $1 AND code = $2"};
/* a segment's members: how many, who, and the first few as samples */
static const hf_query_t INTAKE_Q_SEGMENT_COUNT = {"intake_segment_count",
                                                  "SELECT count(*)" SEGMENT_WHERE};
static const hf_query_t INTAKE_Q_SEGMENT_MEMBERS = {"intake_segment_members",
                                                    "SELECT c.id" SEGMENT_WHERE " ORDER BY c.id"};
static const hf_query_t INTAKE_Q_SEGMENT_SAMPLES = {
    "intake_segment_samples",
    "SELECT c.id, c.name, c.phone, c.region, c.card_type, c.tier" SEGMENT_WHERE
    " ORDER BY c.id LIMIT " INTAKE_SQL_STR(SEGMENT_SAMPLES)};

static const hf_query_t INTAKE_Q_CHECK_CAMPAIGN_REF = {
    "intake_check_campaign_ref", "SELECT 1 FROM campaign WHERE id = $1 AND branch = $2"};
static const hf_query_t INTAKE_Q_SEGMENT_LOAD = {
    "intake_segment_load", "SELECT " SEGMENT_COLUMNS " FROM segment WHERE id = $1 AND branch = $2"};
static const hf_query_t INTAKE_Q_SEGMENT_ADD = {
    "intake_segment_add",
    "INSERT INTO segment (branch, name, regions, card_types, tiers, stages, products,"
    " purchased_before, purchased_after, contacted_before, contacted_after, birthday_from,"
    " birthday_to, attended, not_attended, created_at_ms, created_by) VALUES ($1, $2, $3,"
    " $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    " ON CONFLICT DO NOTHING RETURNING " SEGMENT_COLUMNS};
static const hf_query_t INTAKE_Q_SEGMENT_LIST = {
    "intake_segment_list", "SELECT " SEGMENT_COLUMNS " FROM segment WHERE branch = $1 ORDER BY id"};

/* ---- intake_util.c ---- */

static const hf_query_t INTAKE_Q_BRANCH_LOAD_BRANCH = {
    "intake_branch_load_branch", "SELECT lead_plans FROM branch WHERE code = $1"};
static const hf_query_t INTAKE_Q_BRANCH_LOAD_STAGE_RULE = {
    "intake_branch_load_stage_rule",
    "SELECT branch <> '', code, unit, from_age IS NOT NULL, coalesce(from_age, 0),"
    " to_age IS NOT NULL, coalesce(to_age, 0), label FROM stage_rule"
    " WHERE branch = (SELECT max(branch) FROM stage_rule WHERE branch IN ($1, ''))"
    " ORDER BY code LIMIT 16"};
static const hf_query_t INTAKE_Q_BRANCH_LOAD_TIER_RULE = {
    "intake_branch_load_tier_rule",
    "SELECT branch <> '', tier, min_spend_fen, min_purchases FROM tier_rule"
    " WHERE branch = (SELECT max(branch) FROM tier_rule WHERE branch IN ($1, ''))"
    " ORDER BY min_spend_fen DESC LIMIT 3"};
static const hf_query_t INTAKE_Q_BRANCH_LOAD_AGENT = {
    "intake_branch_load_agent",
    "SELECT DISTINCT r FROM agent, unnest(regions) AS r WHERE branch = $1"
    " AND active ORDER BY r"};

#endif
