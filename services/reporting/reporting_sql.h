/* reporting_sql: every fixed statement of the reporting service, named, in one place to
 * review.
 *
 * Each is an hf_query_t run with hf_store_query() / hf_store_query_run(): prepared once
 * per store connection (again after a reconnect), or sent as its text each time when
 * HUIFANG_PG_PREPARE=off (a pooler in transaction mode). Parameters are $n, always. The
 * statements that stay text, each with a comment saying why: the counters rep_count() sums
 * per batch (keyed by their text, sent with the batch's COMMIT in one libpq pipeline:
 * hf_store_defer) and the held cards' regions that go with them at a batch's end
 * (REP_Q_CARDS_WRITE_REGIONS's text); the held cards (REP_Q_CARDS_WRITE) and the held plans'
 * customers with open steps (REP_Q_PLANS_OPEN_CUSTOMERS), planned for their arrays and the
 * tables as they are at every run, unprepared. */
#ifndef REPORTING_SQL_H
#define REPORTING_SQL_H

#include "hf_store.h"
#include "reporting_internal.h"

/* a complaint's breach: it outlived a period of its clock (it escalated for it), or its due
 * time passed unresolved ($4 is now); in time: resolved without either */
#define REP_COMPLAINT_LATE                                                                         \
    "(breaches > 0 OR (due_at_ms > 0 AND due_at_ms < coalesce(nullif(resolved_at_ms, 0), "         \
    "$4::bigint)))"
/* the complaint counts the complaint reports read, in their order: all, in time, late,
 * open and late, open in time */
#define REP_COMPLAINT_COUNTS                                                                       \
    "count(*), count(*) FILTER (WHERE resolved_at_ms > 0 AND NOT " REP_COMPLAINT_LATE "),"         \
    " count(*) FILTER (WHERE resolved_at_ms > 0 AND " REP_COMPLAINT_LATE "),"                      \
    " count(*) FILTER (WHERE resolved_at_ms = 0 AND " REP_COMPLAINT_LATE "),"                      \
    " count(*) FILTER (WHERE resolved_at_ms = 0 AND NOT " REP_COMPLAINT_LATE ")"
/* a campaign member bought in the report's days ($2, $3) */
#define REP_CAMPAIGN_BOUGHT                                                                        \
    "EXISTS (SELECT 1 FROM purchase p WHERE p.customer_id = m.customer_id"                         \
    " AND p.purchase_day BETWEEN $2::date AND $3::date)"

/* ---- rep_models.c ---- */
/* The rollups' counters, added up per batch in rep_models.c (s_count) and written at the
 * batch's end, sent with its COMMIT (hf_store_defer: the text prepared the second time it
 * runs): one statement per table a batch, whatever the rows and the columns added to — a
 * row per key, its keys and every counter column as arrays, each column adding its own
 * amount (0 for a column the batch did not touch). The array parameters keep the text the
 * same for any number of rows. The keys arrive as text and are typed here; a key is in a
 * statement once (ON CONFLICT DO UPDATE may touch a row once). */
static const hf_query_t REP_Q_EVENT_TALLY_ADD = {
    "rep_event_tally_add",
    "INSERT INTO event_tally AS r (producer, payload, branch, day, n) SELECT * FROM"
    " unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::bigint[]) ON CONFLICT"
    " (producer, payload, branch, day) DO UPDATE SET n = r.n + EXCLUDED.n"};
static const hf_query_t REP_Q_AGENT_DAY_ADD = {
    "rep_agent_day_add",
    "INSERT INTO agent_day AS r (branch, agent, day, tasks_due, opened, closed, attempts,"
    " contacts, orders, complaints, consultations, consult_bought, visits) SELECT * FROM"
    " unnest($1::text[], $2::text[], $3::date[], $4::bigint[], $5::bigint[], $6::bigint[],"
    " $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[],"
    " $12::bigint[], $13::bigint[]) ON CONFLICT (branch, agent, day) DO UPDATE SET"
    " tasks_due = r.tasks_due + EXCLUDED.tasks_due, opened = r.opened + EXCLUDED.opened,"
    " closed = r.closed + EXCLUDED.closed, attempts = r.attempts + EXCLUDED.attempts,"
    " contacts = r.contacts + EXCLUDED.contacts, orders = r.orders + EXCLUDED.orders,"
    " complaints = r.complaints + EXCLUDED.complaints, consultations = r.consultations +"
    " EXCLUDED.consultations, consult_bought = r.consult_bought + EXCLUDED.consult_bought,"
    " visits = r.visits + EXCLUDED.visits"};
static const hf_query_t REP_Q_BRANCH_DAY_ADD = {
    "rep_branch_day_add",
    "INSERT INTO branch_day AS r (branch, day, tasks_due, opened, closed, attempts,"
    " contacts, orders, complaints, consultations, consult_bought, visits) SELECT * FROM"
    " unnest($1::text[], $2::date[], $3::bigint[], $4::bigint[], $5::bigint[],"
    " $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[],"
    " $11::bigint[], $12::bigint[]) ON CONFLICT (branch, day) DO UPDATE SET tasks_due ="
    " r.tasks_due + EXCLUDED.tasks_due, opened = r.opened + EXCLUDED.opened, closed ="
    " r.closed + EXCLUDED.closed, attempts = r.attempts + EXCLUDED.attempts, contacts ="
    " r.contacts + EXCLUDED.contacts, orders = r.orders + EXCLUDED.orders, complaints ="
    " r.complaints + EXCLUDED.complaints, consultations = r.consultations +"
    " EXCLUDED.consultations, consult_bought = r.consult_bought + EXCLUDED.consult_bought,"
    " visits = r.visits + EXCLUDED.visits"};
static const hf_query_t REP_Q_AGENT_MONTH_ADD = {
    "rep_agent_month_add",
    "INSERT INTO agent_month AS r (branch, agent, month, net) SELECT * FROM"
    " unnest($1::text[], $2::text[], $3::date[], $4::bigint[]) ON CONFLICT (branch, agent,"
    " month) DO UPDATE SET net = r.net + EXCLUDED.net"};
static const hf_query_t REP_Q_BRANCH_MONTH_ADD = {
    "rep_branch_month_add",
    "INSERT INTO branch_month AS r (branch, month, net) SELECT * FROM unnest($1::text[],"
    " $2::date[], $3::bigint[]) ON CONFLICT (branch, month) DO UPDATE SET net = r.net +"
    " EXCLUDED.net"};
static const hf_query_t REP_Q_STEP_DAY_ADD = {
    "rep_step_day_add",
    "INSERT INTO step_day AS r (branch, due_day, planned, on_time, late, cancelled)"
    " SELECT * FROM unnest($1::text[], $2::date[], $3::bigint[], $4::bigint[],"
    " $5::bigint[], $6::bigint[]) ON CONFLICT (branch, due_day) DO UPDATE SET planned ="
    " r.planned + EXCLUDED.planned, on_time = r.on_time + EXCLUDED.on_time, late = r.late"
    " + EXCLUDED.late, cancelled = r.cancelled + EXCLUDED.cancelled"};
static const hf_query_t REP_Q_STEP_MONTH_ADD = {
    "rep_step_month_add",
    "INSERT INTO step_month AS r (branch, month, open) SELECT * FROM unnest($1::text[],"
    " $2::date[], $3::bigint[]) ON CONFLICT (branch, month) DO UPDATE SET open = r.open +"
    " EXCLUDED.open"};
static const hf_query_t REP_Q_COMPLAINT_DAY_ADD = {
    "rep_complaint_day_add",
    "INSERT INTO complaint_day AS r (branch, day, escalations, returns_requested,"
    " returns_approved, returns_rejected, refund_fen, risks) SELECT * FROM"
    " unnest($1::text[], $2::date[], $3::bigint[], $4::bigint[], $5::bigint[],"
    " $6::bigint[], $7::bigint[], $8::bigint[]) ON CONFLICT (branch, day) DO UPDATE SET"
    " escalations = r.escalations + EXCLUDED.escalations, returns_requested ="
    " r.returns_requested + EXCLUDED.returns_requested, returns_approved ="
    " r.returns_approved + EXCLUDED.returns_approved, returns_rejected ="
    " r.returns_rejected + EXCLUDED.returns_rejected, refund_fen = r.refund_fen +"
    " EXCLUDED.refund_fen, risks = r.risks + EXCLUDED.risks"};
static const hf_query_t REP_Q_CARD_COUNT_ADD = {
    "rep_card_count_add",
    "INSERT INTO card_count AS r (branch, card_type, n) SELECT * FROM unnest($1::text[],"
    " $2::text[], $3::bigint[]) ON CONFLICT (branch, card_type) DO UPDATE SET n = r.n +"
    " EXCLUDED.n"};
static const hf_query_t REP_Q_CARD_FLOW_DAY_ADD = {
    "rep_card_flow_day_add",
    "INSERT INTO card_flow_day AS r (branch, day, from_type, to_type, reason, n) SELECT *"
    " FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::text[],"
    " $6::bigint[]) ON CONFLICT (branch, day, from_type, to_type, reason) DO UPDATE SET n"
    " = r.n + EXCLUDED.n"};
static const hf_query_t REP_Q_LEAD_DAY_ADD = {
    "rep_lead_day_add",
    "INSERT INTO lead_day AS r (branch, day, channel, source, collector, registered,"
    " merged, rejected) SELECT * FROM unnest($1::text[], $2::date[], $3::text[],"
    " $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[]) ON CONFLICT"
    " (branch, day, channel, source, collector) DO UPDATE SET registered = r.registered +"
    " EXCLUDED.registered, merged = r.merged + EXCLUDED.merged, rejected = r.rejected +"
    " EXCLUDED.rejected"};
static const hf_query_t REP_Q_SCREEN_DAY_ADD = {
    "rep_screen_day_add",
    "INSERT INTO screen_day AS r (branch, day, reason, n) SELECT * FROM"
    " unnest($1::text[], $2::date[], $3::text[], $4::bigint[]) ON CONFLICT (branch, day,"
    " reason) DO UPDATE SET n = r.n + EXCLUDED.n"};
static const hf_query_t REP_Q_REPURCHASE_MONTH_ADD = {
    "rep_repurchase_month_add",
    "INSERT INTO repurchase_month AS r (branch, month, product, plan, gap, n) SELECT *"
    " FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::int[], $6::bigint[])"
    " ON CONFLICT (branch, month, product, plan, gap) DO UPDATE SET n = r.n + EXCLUDED.n"};

/* a logged call's order, by day and by month (issue 14, rcall11: a statement each a call
 * with an order before, REP_Q_ON_CALL_LOGGED_ORDER_DAY_ADD and _MONTH_ADD) */
static const hf_query_t REP_Q_ORDER_DAY_ADD = {
    "rep_order_day_add",
    "INSERT INTO order_day AS r (branch, day, agent, product, orders, units) SELECT * FROM"
    " unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])"
    " ON CONFLICT (branch, day, agent, product) DO UPDATE SET orders = r.orders +"
    " EXCLUDED.orders, units = r.units + EXCLUDED.units"};
static const hf_query_t REP_Q_ORDER_MONTH_ADD = {
    "rep_order_month_add",
    "INSERT INTO order_month AS r (branch, month, agent, region, product, orders, units)"
    " SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::text[],"
    " $6::bigint[], $7::bigint[]) ON CONFLICT (branch, month, agent, region, product)"
    " DO UPDATE SET orders = r.orders + EXCLUDED.orders, units = r.units + EXCLUDED.units"};
static const hf_query_t REP_Q_CANCEL_PLAN_TASKS = {
    "rep_cancel_plan_tasks",
    "WITH old AS (SELECT id, branch, due_day, state, agent FROM task WHERE customer_id = $1"
    "   AND state = ANY ($2::text[]) AND plan_id <> $3"
    "   AND ($5::bigint = 0 OR plan_id = $5) AND planned_at_ms <= $6 FOR UPDATE),"
    " upd AS (UPDATE task t SET state = 'cancelled', agent = '', bag_day = NULL FROM old"
    "   WHERE t.id = old.id RETURNING t.id),"
    " steps AS (INSERT INTO step_day (branch, due_day, cancelled)"
    "   SELECT branch, due_day, count(*) FROM old GROUP BY branch, due_day"
    "   ON CONFLICT (branch, due_day) DO UPDATE SET cancelled = step_day.cancelled + "
    "EXCLUDED.cancelled"
    "   RETURNING 1),"
    " step_months AS (INSERT INTO step_month (branch, month, open)"
    "   SELECT branch, date_trunc('month', due_day)::date, -count(*) FROM old GROUP BY 1, 2"
    "   ON CONFLICT (branch, month) DO UPDATE SET open = step_month.open + EXCLUDED.open"
    "   RETURNING 1),"
    " months AS (INSERT INTO agent_month (branch, agent, month, net)"
    "   SELECT branch, agent, date_trunc('month', $4::date)::date, -count(*) FROM old"
    "   WHERE state IN ('assigned', 'claimed') AND agent <> '' GROUP BY branch, agent"
    "   ON CONFLICT (branch, agent, month) DO UPDATE SET net = agent_month.net + EXCLUDED.net"
    "   RETURNING 1),"
    " branch_months AS (INSERT INTO branch_month (branch, month, net)"
    "   SELECT branch, date_trunc('month', $4::date)::date, -count(*) FROM old"
    "   WHERE state IN ('assigned', 'claimed') AND agent <> '' GROUP BY branch"
    "   ON CONFLICT (branch, month) DO UPDATE SET net = branch_month.net + EXCLUDED.net"
    "   RETURNING 1),"
    " branch_days AS (INSERT INTO branch_day (branch, day, closed)"
    "   SELECT branch, $4::date, count(*) FROM old"
    "   WHERE state IN ('assigned', 'claimed') AND agent <> '' GROUP BY branch"
    "   ON CONFLICT (branch, day) DO UPDATE SET closed = branch_day.closed + EXCLUDED.closed"
    "   RETURNING 1)"
    " INSERT INTO agent_day (branch, agent, day, closed)"
    " SELECT branch, agent, $4::date, count(*) FROM old"
    "   WHERE state IN ('assigned', 'claimed') AND agent <> '' GROUP BY branch, agent"
    " ON CONFLICT (branch, agent, day) DO UPDATE SET closed = agent_day.closed + "
    "EXCLUDED.closed"};
/* A customer's steps cancelled (s_cancel_plan_tasks), each as it was given back: its branch,
 * due day, state and agent, for the counters (added per batch: REP_Q_CANCEL_PLAN_TASKS's own
 * upserts, planned at every execution, cost ~0.4 ms of planning each) */
static const hf_query_t REP_Q_CANCEL_TASKS = {
    "rep_cancel_tasks",
    "UPDATE task t SET state = 'cancelled', agent = '', bag_day = NULL"
    " FROM (SELECT id, branch, due_day::text AS due_day, state, agent FROM task"
    "   WHERE customer_id = $1 AND state = ANY ($2::text[]) AND plan_id <> $3"
    "   AND ($4::bigint = 0 OR plan_id = $4) AND planned_at_ms <= $5 FOR UPDATE) o"
    " WHERE t.id = o.id RETURNING o.branch, o.due_day, o.state, o.agent"};
/* the held cards: the new ones made, and every one that existed read and locked (its text
 * is sent, planned for its arrays each time: s_exec_arrays) */
static const hf_query_t REP_Q_CARDS_WRITE = {
    "rep_cards_write",
    "WITH made AS (INSERT INTO customer (id, branch, region, card_type, void_reason)"
    "   SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[])"
    "   ON CONFLICT (id) DO NOTHING RETURNING id),"
    " known AS (SELECT id, card_type, merged_into, region FROM customer"
    "   WHERE id = ANY ($6::bigint[]) FOR UPDATE)"
    " SELECT true, id, '', 0, '' FROM made"
    " UNION ALL SELECT false, id, card_type, merged_into, region FROM known"};
/* the held cards' new regions, in the batch (at its end its text goes with the commit, as
 * the counters do: hf_store_defer) */
static const hf_query_t REP_Q_CARDS_WRITE_REGIONS = {
    "rep_cards_write_regions",
    "UPDATE customer c SET region = v.region"
    " FROM unnest($1::bigint[], $2::text[]) AS v (id, region) WHERE c.id = v.id"};
static const hf_query_t REP_Q_CARD_MOVE_CUSTOMER_SET_CARD_TYPE = {
    "rep_card_move_customer_set_card_type",
    "UPDATE customer SET card_type = $2, void_reason = $3 WHERE id = $1"};
static const hf_query_t REP_Q_CUSTOMER_APPLY_LOCK = {
    "rep_customer_apply_lock",
    "SELECT card_type, merged_into, region FROM customer WHERE id = $1 FOR UPDATE"};
static const hf_query_t REP_Q_CUSTOMER_APPLY_ADD = {
    "rep_customer_apply_add", "INSERT INTO customer (id, branch, region, card_type, void_reason)"
                              " VALUES ($1, $2, $3, $4, $5)"};
static const hf_query_t REP_Q_CUSTOMER_APPLY_SET_REGION = {
    "rep_customer_apply_set_region", "UPDATE customer SET region = $2 WHERE id = $1"};
static const hf_query_t REP_Q_CUSTOMER_APPLY_SET_MERGED_INTO = {
    "rep_customer_apply_set_merged_into", "UPDATE customer SET merged_into = $2 WHERE id = $1"};
static const hf_query_t REP_Q_ON_BRANCH_UPSERT = {
    "rep_on_branch_upsert", "INSERT INTO branch (code, name, tz) VALUES ($1, $2, $3)"
                            " ON CONFLICT (code) DO UPDATE SET name = $2, tz = $3"};
static const hf_query_t REP_Q_ON_AGENT_UPSERT = {
    "rep_on_agent_upsert", "INSERT INTO agent (branch, id, name, role, regions, active)"
                           " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (branch, id) DO UPDATE"
                           " SET name = $3, role = $4, regions = $5, active = $6"};
static const hf_query_t REP_Q_ON_PRODUCT_UPSERT = {
    "rep_on_product_upsert",
    "INSERT INTO product (branch, code, name, price_fen, days_per_unit, plan)"
    " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (branch, code) DO UPDATE"
    " SET name = $3, price_fen = $4, days_per_unit = $5, plan = $6"};
/* A run of a batch's card changes (rep_models.c, s_cchanges_apply; $1 cards, all different,
 * $2 their new types, $3 void reasons) in one statement: each card as it was (locked) — its
 * type, merged_into and region — given back with the change's place (ord, from 1), and the
 * new type written when the card is not merged and had another type. No row: a card never
 * seen. */
static const hf_query_t REP_Q_CARDS_TYPE_CHANGE = {
    "rep_cards_type_change",
    "WITH o AS (SELECT x.ord, x.to_type, x.reason, c.id, c.card_type, c.merged_into, c.region"
    "   FROM unnest($1::bigint[], $2::text[], $3::text[]) WITH ORDINALITY"
    "   AS x (id, to_type, reason, ord) JOIN customer c ON c.id = x.id FOR UPDATE OF c),"
    " u AS (UPDATE customer c SET card_type = o.to_type, void_reason = o.reason FROM o"
    "   WHERE c.id = o.id AND o.merged_into = 0 AND o.card_type <> ''"
    "   AND o.card_type <> o.to_type RETURNING 1)"
    " SELECT o.ord, o.card_type, o.merged_into, o.region FROM o"};
static const hf_query_t REP_Q_ON_CUSTOMERS_MERGED_LOCK = {
    "rep_on_customers_merged_lock",
    "SELECT card_type FROM customer WHERE id = $2 AND merged_into = 0 AND $1::bigint > 0"
    " FOR UPDATE"};
static const hf_query_t REP_Q_ON_CUSTOMERS_MERGED_CUSTOMER_SET_MERGED_INTO = {
    "rep_on_customers_merged_customer_set_merged_into",
    "UPDATE customer SET merged_into = $1 WHERE id = $2"};
static const hf_query_t REP_Q_ON_CUSTOMERS_MERGED_PURCHASE_SET_CUSTOMER_ID = {
    "rep_on_customers_merged_purchase_set_customer_id",
    "UPDATE purchase SET customer_id = $1 WHERE customer_id = $2"};
static const hf_query_t REP_Q_ON_CUSTOMERS_MERGED_TASK_SET_CUSTOMER_ID = {
    "rep_on_customers_merged_task_set_customer_id",
    "UPDATE task SET customer_id = $1 WHERE customer_id = $2"
    " AND state IN ('planned', 'assigned', 'claimed')"};
static const hf_query_t REP_Q_ON_PURCHASE_RECORDED_ADD = {
    "rep_on_purchase_recorded_add", "INSERT INTO purchase (id, branch, customer_id, product, plan,"
                                    " quantity, price_fen, purchase_day, supply_end, nth)"
                                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                                    " ON CONFLICT (id) DO NOTHING RETURNING 1"};
static const hf_query_t REP_Q_ON_PURCHASE_RECORDED_PREVIOUS = {
    "rep_on_purchase_recorded_previous",
    "SELECT id, supply_end::text, product, plan FROM purchase"
    " WHERE customer_id = $1 AND nth < $2 AND id <> $3 AND next_day IS NULL"
    " ORDER BY nth DESC, id DESC LIMIT 1 FOR UPDATE"};
static const hf_query_t REP_Q_ON_PURCHASE_RECORDED_PURCHASE_SET_NEXT_DAY = {
    "rep_on_purchase_recorded_purchase_set_next_day",
    "UPDATE purchase SET next_day = $2 WHERE id = $1"};
static const hf_query_t REP_Q_TASK_LOAD = {
    "rep_task_load", "SELECT state, agent, due_day::text, last_bag_agent,"
                     " coalesce(last_bag_day::text, ''), claims, calls, purchase_id,"
                     " customer_id FROM task WHERE id = $1 FOR UPDATE"};
/* A task's row changed in the statement that reads it: the row as it was (REP_Q_TASK_LOAD's
 * columns, locked) joined to the update, which RETURNING then gives back. No row: the task is
 * not there yet, or the update is not for it (done; cancelled and cancelled again) — the
 * caller then takes the long way (load, insert, the checks, the update; a claim: the task
 * inserted, then the claim's statement again). */
#define REP_TASK_OLD                                                                               \
    " FROM (SELECT id, state, agent, due_day::text AS due_day, last_bag_agent,"                    \
    " coalesce(last_bag_day::text, '') AS last_bag_day, claims, calls, purchase_id, customer_id"   \
    " FROM task WHERE id = $1 FOR UPDATE) o WHERE t.id = o.id"
#define REP_TASK_OLD_RETURNING                                                                     \
    " RETURNING o.state, o.agent, o.due_day, o.last_bag_agent, o.last_bag_day, o.claims,"          \
    " o.calls, o.purchase_id, o.customer_id"
static const hf_query_t REP_Q_TASK_ASSIGN = {
    "rep_task_assign", "UPDATE task t SET state = 'assigned', agent = $2, bag_day = $3,"
                       " last_bag_agent = $2, last_bag_day = $3" REP_TASK_OLD
                       " AND o.state <> 'done'" REP_TASK_OLD_RETURNING};
/* rep_models.c, a batch's task events held (s_tasks_apply): a run of them, each of another
 * task ($1 ids; $2 kinds: a assigned, c claimed, d completed; $3 agents; $4 bags; $5 the
 * claims' numbers; $6 the completions' states, done or cancelled; $7 their done days), in one
 * statement — each row changed as REP_Q_TASK_ASSIGN, REP_Q_TASK_CLAIM (with the assignment a
 * claim opens when it is not its open assignment's: s_assignment_open) or
 * REP_Q_TASK_COMPLETE would change it, the row as it was given back with the event's place
 * (ord, from 1). An event given no row back takes its handler's long way. */
static const hf_query_t REP_Q_TASKS_APPLY = {
    "rep_tasks_apply",
    "UPDATE task t SET"
    " state = CASE o.kind WHEN 'a' THEN 'assigned' WHEN 'd' THEN o.new_state"
    "   ELSE CASE WHEN o.state = 'done' THEN 'done' ELSE 'claimed' END END,"
    " agent = CASE WHEN o.kind = 'a' OR o.moves THEN o.new_agent WHEN o.kind = 'd' THEN ''"
    "   ELSE t.agent END,"
    " bag_day = CASE WHEN o.kind = 'a' OR o.moves THEN o.new_bag WHEN o.kind = 'd' THEN NULL"
    "   ELSE t.bag_day END,"
    " last_bag_agent = CASE WHEN o.kind = 'a' OR o.moves THEN o.new_agent"
    "   ELSE t.last_bag_agent END,"
    " last_bag_day = CASE WHEN o.kind = 'a' OR o.moves THEN o.new_bag ELSE t.last_bag_day END,"
    " claims = CASE WHEN o.kind = 'c' THEN greatest(o.new_claims, o.claims + 1)"
    "   ELSE t.claims END,"
    " done_day = CASE WHEN o.kind = 'd' THEN o.new_done ELSE t.done_day END"
    " FROM (SELECT x.ord, x.kind, x.agent AS new_agent, x.bag AS new_bag,"
    "   x.claims AS new_claims, x.state AS new_state, x.done AS new_done, k.id, k.state,"
    "   k.agent, k.due_day::text AS due_day, k.last_bag_agent,"
    "   coalesce(k.last_bag_day::text, '') AS last_bag_day, k.claims, k.calls, k.purchase_id,"
    "   k.customer_id, x.kind = 'c' AND k.state <> 'done'"
    "   AND NOT (k.state IN ('assigned', 'claimed') AND k.agent = x.agent) AS moves"
    "   FROM unnest($1::bigint[], $2::text[], $3::text[], $4::date[], $5::int[], $6::text[],"
    "   $7::date[]) WITH ORDINALITY AS x (id, kind, agent, bag, claims, state, done, ord)"
    "   JOIN task k ON k.id = x.id FOR UPDATE OF k) o"
    " WHERE t.id = o.id AND (o.kind = 'c' OR (o.kind = 'a' AND o.state <> 'done')"
    "   OR (o.kind = 'd' AND o.state <> 'done'"
    "   AND NOT (o.new_state = 'cancelled' AND o.state = 'cancelled')))" REP_TASK_OLD_RETURNING
    ", o.ord"};
static const hf_query_t REP_Q_TASK_COMPLETE = {
    "rep_task_complete",
    "UPDATE task t SET state = $2, agent = '', bag_day = NULL, done_day = $3" REP_TASK_OLD
    " AND o.state <> 'done' AND NOT ($2 = 'cancelled' AND"
    " o.state = 'cancelled')" REP_TASK_OLD_RETURNING};
/* a claim: its number (the event's, or one more than seen), and the state when the claim is
 * its open assignment's (assigned or claimed, to the claiming agent $3) */
static const hf_query_t REP_Q_TASK_CLAIM = {
    "rep_task_claim", "UPDATE task t SET claims = greatest($2::int, o.claims + 1),"
                      " state = CASE WHEN o.state IN ('assigned', 'claimed') AND o.agent = $3"
                      " THEN 'claimed' ELSE t.state END" REP_TASK_OLD REP_TASK_OLD_RETURNING};
static const hf_query_t REP_Q_ASSIGNMENT_CLOSE_PENDING_CLOSE_ADD = {
    "rep_assignment_close_pending_close_add",
    "INSERT INTO pending_close (task_id, claim, agent, day) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (task_id, claim) DO NOTHING"};
static const hf_query_t REP_Q_TASK_INSERT_TASK_ADD = {
    "rep_task_insert_task_add", "INSERT INTO task (id, branch, customer_id, purchase_id, plan_id,"
                                " step_no, purpose, due_day, state, planned_at_ms) VALUES ($1,"
                                " $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                                " ON CONFLICT (id) DO NOTHING RETURNING 1"};
/* rep_models.c, the plans held per batch: which customers have open steps (its text is sent,
 * planned for its array and the table each time: s_plans_mark_open); every step. A probe of
 * task_customer per customer of the batch (a semi join from the array), not "customer_id =
 * ANY ($1)" over the table: a load's first batches find task with no statistics yet (or a
 * small table's), where each customer counts for 0.5 % of the rows (or hundreds of them), so
 * a batch's array of 500 looked like most of the table and was planned as a (parallel)
 * sequential scan of it, 40-140 ms a batch at 200,000 tasks, until an autovacuum analyzed
 * it. The probe's cost is an index descent a customer, with or without statistics, against a
 * scan that grows with the table: only a small table (tens of thousands of rows, cheap to read)
 * is hashed instead (tests/e2e/244_reporting_open_customers_unanalyzed.sh) */
static const hf_query_t REP_Q_PLANS_OPEN_CUSTOMERS = {
    "rep_plans_open_customers",
    "SELECT x.c FROM unnest($1::bigint[]) AS x(c) WHERE EXISTS (SELECT 1 FROM task t"
    " WHERE t.customer_id = x.c AND t.state IN ('planned', 'assigned'))"};
static const hf_query_t REP_Q_PLAN_STEPS_INSERT = {
    "rep_plan_steps_insert",
    "INSERT INTO task (id, branch, customer_id, purchase_id, plan_id, step_no, purpose, due_day,"
    " state, planned_at_ms) SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[],"
    " $4::bigint[], $5::bigint[], $6::int[], $7::text[], $8::date[], $9::text[], $10::bigint[])"
    " ON CONFLICT (id) DO NOTHING RETURNING branch, due_day::text, state"};
static const hf_query_t REP_Q_ASSIGNMENT_OPEN_TASK_SET_STATE = {
    "rep_assignment_open_task_set_state",
    "UPDATE task SET state = $2, agent = $3, bag_day = $4, last_bag_agent = $3,"
    " last_bag_day = $4 WHERE id = $1"};
static const hf_query_t REP_Q_ON_TASK_COMPLETED_TASK_SET_STATE = {
    "rep_on_task_completed_task_set_state",
    "UPDATE task SET state = $2, agent = '', bag_day = NULL, done_day = $3"
    " WHERE id = $1"};
/* A logged call's reads in one statement: the task's row ($2, locked; REP_Q_TASK_LOAD's
 * columns), then the customer's region ($1), whether the customer is there and whether the
 * task is. One row always. */
/* A logged call in one statement (issue 14, readers7: it was a read, REP_Q_ON_CALL_LOGGED_READ,
 * then this write): the task (locked) and the claim the call works ($12, or one more than the
 * calls seen), the customer's region for the attribution, the product of an order that names
 * none from its purchase ($13, or the task's); the checks — the customer there (intake's), the
 * task and its claim seen (the scheduler's), the purchase there — before anything is written
 * (ok). Then, when ok: the contact, once ($1..$11); and only if it was new, the task's calls
 * (the claim ends its assignment when it is the task's open claim: planned again, out of the
 * bag) and the close of that claim noted before the contact came (pending_close, deleted).
 * One row: ok, 1 when the contact was inserted (else 0), whether the claim closed, the
 * task's agent as it was, the product, the region, the pending close's agent and day ('' when
 * none). */
static const hf_query_t REP_Q_ON_CALL_LOGGED = {
    "rep_on_call_logged",
    "WITH t AS (SELECT state, agent, claims, calls, purchase_id FROM task WHERE id = $6"
    "   FOR UPDATE),"
    " k AS (SELECT coalesce(c.region, '') AS region, ($5::bigint <= 0 OR c.id IS NOT NULL) AS "
    "has_c,"
    "   t.state IS NOT NULL AS has_t, coalesce(t.state, '') AS state, coalesce(t.agent, '') AS "
    "agent,"
    "   coalesce(t.claims, 0) AS claims,"
    "   CASE WHEN $6::bigint <= 0 THEN 0 WHEN $12::int > 0 THEN $12::int"
    "   ELSE coalesce(t.calls, 0) + 1 END AS claim,"
    "   CASE WHEN $10::int > 0 AND $11::text = '' THEN coalesce(nullif($13::bigint, 0),"
    "   t.purchase_id, 0) ELSE 0 END AS pid"
    "   FROM (SELECT 1) one LEFT JOIN customer c ON c.id = $5 LEFT JOIN t ON true),"
    " v AS (SELECT k.region, k.agent, k.claim, CASE WHEN k.pid > 0 THEN p.product ELSE $11 END"
    "   AS product, k.has_c AND ($6::bigint <= 0 OR (k.has_t AND k.claim <= k.claims))"
    "   AND (k.pid = 0 OR p.id IS NOT NULL) AS ok,"
    "   $6::bigint > 0 AND k.state = 'claimed' AND k.claims = k.claim AS closes"
    "   FROM k LEFT JOIN LATERAL (SELECT id, product FROM purchase WHERE id = k.pid) p ON true),"
    " ins AS (INSERT INTO contact (id, branch, day, agent, customer_id, task_id, channel,"
    "   outcome, contacted, order_qty, order_product, region)"
    "   SELECT $1::bigint, $2::text, $3::date, $4::text, $5::bigint, $6::bigint, $7::text,"
    "   $8::text, $9::boolean, $10::int, v.product, v.region FROM v WHERE v.ok"
    "   ON CONFLICT (id) DO NOTHING RETURNING 1),"
    " upd AS (UPDATE task SET calls = calls + 1,"
    "   state = CASE WHEN v.closes THEN 'planned' ELSE task.state END,"
    "   agent = CASE WHEN v.closes THEN '' ELSE task.agent END,"
    "   bag_day = CASE WHEN v.closes THEN NULL ELSE task.bag_day END"
    "   FROM v WHERE task.id = $6 AND EXISTS (SELECT 1 FROM ins) RETURNING 1),"
    " pc AS (DELETE FROM pending_close WHERE task_id = $6 AND claim = (SELECT claim FROM v)"
    "   AND EXISTS (SELECT 1 FROM ins) RETURNING agent, day::text AS day)"
    " SELECT v.ok, (SELECT count(*) FROM ins), v.closes, v.agent, v.product, v.region,"
    " coalesce(pc.agent, ''), coalesce(pc.day, '') FROM v LEFT JOIN pc ON true"};
/* rep_models.c, a batch's calls held (s_calls_apply): a run of them, of different contacts
 * and tasks (a call naming no task apart), in one statement ($1..$13: REP_Q_ON_CALL_LOGGED's
 * parameters as arrays, an element a call) — each call checked and applied as
 * REP_Q_ON_CALL_LOGGED would, against the rows as they were (the run's tasks are different
 * rows; no call writes a customer or a purchase, which the checks read), but only the calls
 * before the first whose check fails (go: it and every call before it ok; the first not ok is
 * applied on its own, as one at a time, after the ones before it are committed). A row a call,
 * in order: its place (ord, from 1), go, then REP_Q_ON_CALL_LOGGED's columns from the
 * second (inserted, closes, the task's agent as it was, the product, the region, the pending
 * close's agent and day). */
static const hf_query_t REP_Q_CALLS_LOGGED = {
    "rep_calls_logged",
    "WITH x AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::date[], $4::text[],"
    "   $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::boolean[], $10::int[],"
    "   $11::text[], $12::int[], $13::bigint[]) WITH ORDINALITY AS x (id, branch, day, agent,"
    "   customer_id, task_id, channel, outcome, contacted, qty, oproduct, claim_no,"
    "   purchase_id, ord)),"
    " t AS (SELECT k.id, k.state, k.agent, k.claims, k.calls, k.purchase_id FROM x"
    "   JOIN task k ON k.id = x.task_id FOR UPDATE OF k),"
    " k AS (SELECT x.*, coalesce(c.region, '') AS region,"
    "   (x.customer_id <= 0 OR c.id IS NOT NULL) AS has_c, t.id IS NOT NULL AS has_t,"
    "   coalesce(t.state, '') AS state, coalesce(t.agent, '') AS tagent,"
    "   coalesce(t.claims, 0) AS claims,"
    "   CASE WHEN x.task_id <= 0 THEN 0 WHEN x.claim_no > 0 THEN x.claim_no"
    "   ELSE coalesce(t.calls, 0) + 1 END AS claim,"
    "   CASE WHEN x.qty > 0 AND x.oproduct = '' THEN coalesce(nullif(x.purchase_id, 0),"
    "   t.purchase_id, 0) ELSE 0 END AS pid"
    "   FROM x LEFT JOIN customer c ON c.id = x.customer_id LEFT JOIN t ON t.id = x.task_id),"
    " v AS (SELECT k.*, CASE WHEN k.pid > 0 THEN p.product ELSE k.oproduct END AS product,"
    "   k.has_c AND (k.task_id <= 0 OR (k.has_t AND k.claim <= k.claims))"
    "   AND (k.pid = 0 OR p.id IS NOT NULL) AS ok,"
    "   k.task_id > 0 AND k.state = 'claimed' AND k.claims = k.claim AS closes"
    "   FROM k LEFT JOIN purchase p ON p.id = k.pid),"
    " w AS (SELECT v.*, bool_and(v.ok) OVER (ORDER BY v.ord) AS go FROM v),"
    " ins AS (INSERT INTO contact (id, branch, day, agent, customer_id, task_id, channel,"
    "   outcome, contacted, order_qty, order_product, region)"
    "   SELECT w.id, w.branch, w.day, w.agent, w.customer_id, w.task_id, w.channel, w.outcome,"
    "   w.contacted, w.qty, w.product, w.region FROM w WHERE w.go"
    "   ON CONFLICT (id) DO NOTHING RETURNING id),"
    " upd AS (UPDATE task SET calls = task.calls + 1,"
    "   state = CASE WHEN w.closes THEN 'planned' ELSE task.state END,"
    "   agent = CASE WHEN w.closes THEN '' ELSE task.agent END,"
    "   bag_day = CASE WHEN w.closes THEN NULL ELSE task.bag_day END"
    "   FROM w JOIN ins ON ins.id = w.id WHERE task.id = w.task_id RETURNING 1),"
    " pc AS (DELETE FROM pending_close d USING w JOIN ins ON ins.id = w.id"
    "   WHERE d.task_id = w.task_id AND d.claim = w.claim"
    "   RETURNING w.ord, d.agent, d.day::text AS day)"
    " SELECT w.ord, w.go, ins.id IS NOT NULL, w.closes, w.tagent, w.product, w.region,"
    " coalesce(pc.agent, ''), coalesce(pc.day, '') FROM w LEFT JOIN ins ON ins.id = w.id"
    " LEFT JOIN pc ON pc.ord = w.ord ORDER BY w.ord"};
static const hf_query_t REP_Q_COMPLAINT_APPLY_COMPLAINT_SET_STATE = {
    "rep_complaint_apply_complaint_set_state",
    "UPDATE complaint SET state = $2, level = $3, due_at_ms = $4,"
    " resolved_at_ms = CASE WHEN $5::bigint > 0 THEN $5::bigint"
    "   WHEN $2 IN ('resolved', 'closed') THEN resolved_at_ms"
    "   ELSE 0 END, breaches = greatest(breaches, $6::int)"
    " WHERE id = $1 RETURNING 1"};
static const hf_query_t REP_Q_COMPLAINT_APPLY_CONTACT_AGENT = {
    "rep_complaint_apply_contact_agent", "SELECT agent FROM contact WHERE id = $1"};
static const hf_query_t REP_Q_COMPLAINT_APPLY_COMPLAINT_ADD = {
    "rep_complaint_apply_complaint_add",
    "INSERT INTO complaint (id, branch, opened_day, category, agent, state, level,"
    " opened_at_ms, due_at_ms, resolved_at_ms, breaches) VALUES ($1, $2, $3, $4,"
    " $5, $6, $7, $8, $9, $10, $11)"};

/* ---- rep_reports.c ---- */

static const hf_query_t REP_Q_AGENT_ROWS = {
    "rep_agent_rows",
    "WITH d AS (SELECT agent, sum(tasks_due) due, sum(attempts) att, sum(contacts) con,"
    "   sum(orders) ord, sum(complaints) cmp, sum(consultations) cns, sum(consult_bought) bgt,"
    "   sum(visits) vis FROM agent_day WHERE branch = $1 AND day BETWEEN $2 AND $3"
    "   GROUP BY agent),"
    " ov AS (SELECT agent, sum(n) n FROM ("
    "   SELECT agent, net n FROM agent_month WHERE branch = $1"
    "     AND month < date_trunc('month', $3::date)"
    "   UNION ALL SELECT agent, opened - closed FROM agent_day WHERE branch = $1"
    "     AND day BETWEEN date_trunc('month', $3::date) AND $3) x GROUP BY agent),"
    " val AS (SELECT o.agent, sum(o.units * coalesce(p.price_fen, 0)) v FROM order_day o"
    "   LEFT JOIN product p ON p.branch = o.branch AND p.code = o.product"
    "   WHERE o.branch = $1 AND o.day BETWEEN $2 AND $3 GROUP BY o.agent),"
    " ids AS (SELECT id FROM agent WHERE branch = $1 UNION SELECT agent FROM d)"
    " SELECT i.id, coalesce(a.name, ''), coalesce(a.role, ''), coalesce(d.due, 0),"
    "   coalesce(d.att, 0), coalesce(d.con, 0), coalesce(d.ord, 0), coalesce(d.cmp, 0),"
    "   coalesce(d.cns, 0), coalesce(d.bgt, 0), coalesce(d.vis, 0), coalesce(ov.n, 0),"
    "   coalesce(val.v, 0)"
    " FROM ids i LEFT JOIN agent a ON a.branch = $1 AND a.id = i.id"
    " LEFT JOIN d ON d.agent = i.id LEFT JOIN ov ON ov.agent = i.id"
    " LEFT JOIN val ON val.agent = i.id"
    " WHERE $4 = '' OR i.id = $4 ORDER BY i.id"};
static const hf_query_t REP_Q_REPORT_BRANCH_WEEKLY_STEP_DAY = {
    "rep_report_branch_weekly_step_day",
    "SELECT coalesce(sum(planned), 0), coalesce(sum(on_time), 0),"
    " coalesce(sum(late), 0), coalesce(sum(cancelled), 0),"
    " coalesce(sum(planned - on_time - late - cancelled)"
    "   FILTER (WHERE due_day < $4), 0),"
    " coalesce(sum(planned - on_time - late - cancelled)"
    "   FILTER (WHERE due_day >= $4), 0),"
    " (SELECT coalesce(sum(planned - on_time - late - cancelled), 0)"
    "   FROM step_day WHERE branch = $1 AND due_day < $4)"
    " FROM step_day WHERE branch = $1 AND due_day BETWEEN $2 AND $3"};
static const hf_query_t REP_Q_REPORT_BRANCH_WEEKLY_SCREEN_DAY = {
    "rep_report_branch_weekly_screen_day",
    "SELECT 'screened', reason, sum(n) FROM screen_day WHERE branch = $1"
    "   AND day BETWEEN $2 AND $3 GROUP BY reason"
    " UNION ALL SELECT 'void', reason, sum(n) FROM card_flow_day"
    "   WHERE branch = $1 AND day BETWEEN $2 AND $3 AND to_type = 'void'"
    "   AND from_type <> '' GROUP BY reason"
    " ORDER BY 1, 2"};
static const hf_query_t REP_Q_REPORT_BRANCH_WEEKLY_CARD_FLOW_DAY = {
    "rep_report_branch_weekly_card_flow_day",
    "SELECT k.t, coalesce((SELECT sum(n) FROM card_flow_day WHERE branch = $1"
    "   AND day BETWEEN $2 AND $3 AND to_type = k.t), 0),"
    " coalesce((SELECT sum(n) FROM card_flow_day WHERE branch = $1"
    "   AND day BETWEEN $2 AND $3 AND from_type = k.t), 0),"
    " coalesce((SELECT n FROM card_count WHERE branch = $1 AND card_type = k.t), 0)"
    " FROM unnest(ARRAY['new', 'one-on-one', 'customer', 'void']) WITH ORDINALITY"
    "   AS k(t, o) ORDER BY k.o"};
static const hf_query_t REP_Q_REPORT_REPURCHASE_REPURCHASE_MONTH = {
    "rep_report_repurchase_repurchase_month",
    "SELECT product, plan, sum(n), coalesce(sum(n) FILTER"
    " (WHERE gap <= $3::int), 0) FROM repurchase_month"
    " WHERE branch = $1 AND month = $2 GROUP BY product, plan"
    " HAVING sum(n) > 0 ORDER BY product, plan"};
/* the lead counts by one of the lead's fields */
static const hf_query_t REP_Q_REPORT_COLLECTION_BY_CHANNEL = {
    "rep_report_collection_by_channel",
    "SELECT channel, sum(registered), sum(merged), sum(rejected) FROM lead_day"
    " WHERE branch = $1 AND day BETWEEN $2 AND $3 GROUP BY channel ORDER BY channel"};
static const hf_query_t REP_Q_REPORT_COLLECTION_BY_SOURCE = {
    "rep_report_collection_by_source",
    "SELECT source, sum(registered), sum(merged), sum(rejected) FROM lead_day"
    " WHERE branch = $1 AND day BETWEEN $2 AND $3 GROUP BY source ORDER BY source"};
static const hf_query_t REP_Q_REPORT_COLLECTION_BY_COLLECTOR = {
    "rep_report_collection_by_collector",
    "SELECT collector, sum(registered), sum(merged), sum(rejected) FROM lead_day"
    " WHERE branch = $1 AND day BETWEEN $2 AND $3 GROUP BY collector ORDER BY collector"};
static const hf_query_t REP_Q_REPORT_COMPLAINTS_TOTALS = {
    "rep_report_complaints_totals",
    "SELECT " REP_COMPLAINT_COUNTS ","
    " (SELECT coalesce(sum(escalations), 0) FROM complaint_day d"
    "   WHERE d.branch = $1 AND d.day BETWEEN $2 AND $3),"
    " (SELECT coalesce(sum(returns_requested), 0) FROM complaint_day d"
    "   WHERE d.branch = $1 AND d.day BETWEEN $2 AND $3),"
    " (SELECT coalesce(sum(returns_approved), 0) FROM complaint_day d"
    "   WHERE d.branch = $1 AND d.day BETWEEN $2 AND $3),"
    " (SELECT coalesce(sum(returns_rejected), 0) FROM complaint_day d"
    "   WHERE d.branch = $1 AND d.day BETWEEN $2 AND $3),"
    " (SELECT coalesce(sum(refund_fen), 0) FROM complaint_day d"
    "   WHERE d.branch = $1 AND d.day BETWEEN $2 AND $3),"
    " (SELECT coalesce(sum(risks), 0) FROM complaint_day d"
    "   WHERE d.branch = $1 AND d.day BETWEEN $2 AND $3)"
    " FROM complaint WHERE branch = $1 AND opened_day BETWEEN $2 AND $3"};
static const hf_query_t REP_Q_REPORT_COMPLAINTS_BY_CATEGORY = {
    "rep_report_complaints_by_category",
    "SELECT category, " REP_COMPLAINT_COUNTS " FROM complaint WHERE branch = $1"
    " AND opened_day BETWEEN $2 AND $3 GROUP BY category ORDER BY category"};
static const hf_query_t REP_Q_REPORT_SALES_ATTRIBUTION_COMMISSION_RATE = {
    "rep_report_sales_attribution_commission_rate",
    "SELECT rate_bp FROM commission_rate WHERE branch = $1"
    " AND from_month <= $2::date ORDER BY from_month DESC LIMIT 1"};
static const hf_query_t REP_Q_REPORT_SALES_ATTRIBUTION_ROWS = {
    "rep_report_sales_attribution_rows",
    "SELECT coalesce(t.terminal, ''), o.agent, sum(o.orders), sum(o.units),"
    " sum(o.units * coalesce(p.price_fen, 0)) FROM order_month o"
    " LEFT JOIN terminal_map t ON t.branch = o.branch AND t.region = o.region"
    " LEFT JOIN product p ON p.branch = o.branch AND p.code = o.product"
    " WHERE o.branch = $1 AND o.month = $2"
    " GROUP BY 1, 2 ORDER BY coalesce(t.terminal, '') = '', 1, 2"};
static const hf_query_t REP_Q_REPORT_SALES_ATTRIBUTION_BY_TERMINAL = {
    "rep_report_sales_attribution_by_terminal",
    "SELECT coalesce(t.terminal, ''), sum(o.orders), sum(o.units),"
    " sum(o.units * coalesce(p.price_fen, 0)) FROM order_month o"
    " LEFT JOIN terminal_map t ON t.branch = o.branch AND t.region = o.region"
    " LEFT JOIN product p ON p.branch = o.branch AND p.code = o.product"
    " WHERE o.branch = $1 AND o.month = $2 GROUP BY 1"
    " ORDER BY coalesce(t.terminal, '') = '', 1"};
static const hf_query_t REP_Q_REPORT_SALES_ATTRIBUTION_BY_AGENT = {
    "rep_report_sales_attribution_by_agent",
    "SELECT o.agent, sum(o.orders), sum(o.units * coalesce(p.price_fen, 0))"
    " FROM order_month o LEFT JOIN product p ON p.branch = o.branch"
    " AND p.code = o.product WHERE o.branch = $1 AND o.month = $2"
    " GROUP BY 1 ORDER BY 1"};
static const hf_query_t REP_Q_HQ_AGENTS = {
    "rep_hq_agents",
    "WITH b AS (SELECT DISTINCT unnest($1::text[]) branch),"
    " d AS (SELECT branch, sum(tasks_due) due, sum(attempts) att, sum(contacts) con,"
    "   sum(orders) ord, sum(complaints) cmp, sum(consultations) cns,"
    "   sum(consult_bought) bgt, sum(visits) vis FROM branch_day"
    "   WHERE branch = ANY($1::text[]) AND day BETWEEN $2 AND $3 GROUP BY branch),"
    " ov AS (SELECT branch, sum(n) n FROM ("
    "   SELECT branch, net n FROM branch_month WHERE branch = ANY($1::text[])"
    "     AND month < date_trunc('month', $3::date)"
    "   UNION ALL SELECT branch, opened - closed FROM branch_day"
    "     WHERE branch = ANY($1::text[])"
    "     AND day BETWEEN date_trunc('month', $3::date) AND $3) x GROUP BY branch),"
    " u AS (SELECT branch, product, sum(units) units FROM order_day"
    "   WHERE branch = ANY($1::text[]) AND day BETWEEN $2 AND $3 GROUP BY branch, product),"
    " val AS (SELECT u.branch, sum(u.units * coalesce(p.price_fen, 0)) v FROM u"
    "   LEFT JOIN product p ON p.branch = u.branch AND p.code = u.product GROUP BY u.branch)"
    " SELECT b.branch, coalesce(d.due, 0), coalesce(d.att, 0), coalesce(d.con, 0),"
    "   coalesce(d.ord, 0), coalesce(val.v, 0), coalesce(d.cmp, 0), coalesce(ov.n, 0),"
    "   coalesce(d.cns, 0), coalesce(d.bgt, 0), coalesce(d.vis, 0)"
    " FROM b LEFT JOIN d USING (branch) LEFT JOIN ov USING (branch)"
    " LEFT JOIN val USING (branch) ORDER BY b.branch"};
static const hf_query_t REP_Q_HQ_STEPS = {
    "rep_hq_steps",
    "WITH b AS (SELECT DISTINCT unnest($1::text[]) branch),"
    " w AS (SELECT branch, sum(planned) pl, sum(on_time) ot, sum(late) lt,"
    "   sum(cancelled) cn, sum(planned - on_time - late - cancelled)"
    "   FILTER (WHERE due_day < $4) ms, sum(planned - on_time - late - cancelled)"
    "   FILTER (WHERE due_day >= $4) pe FROM step_day"
    "   WHERE branch = ANY($1::text[]) AND due_day BETWEEN $2 AND $3 GROUP BY branch),"
    " bl AS (SELECT branch, sum(n) n FROM ("
    "   SELECT branch, open n FROM step_month WHERE branch = ANY($1::text[])"
    "     AND month < date_trunc('month', $4::date)"
    "   UNION ALL SELECT branch, planned - on_time - late - cancelled FROM step_day"
    "     WHERE branch = ANY($1::text[]) AND due_day >= date_trunc('month', $4::date)"
    "     AND due_day < $4) x GROUP BY branch)"
    " SELECT b.branch, coalesce(w.pl, 0), coalesce(w.ot, 0), coalesce(w.lt, 0),"
    "   coalesce(w.ms, 0), coalesce(w.cn, 0), coalesce(w.pe, 0), coalesce(bl.n, 0)"
    " FROM b LEFT JOIN w USING (branch) LEFT JOIN bl USING (branch) ORDER BY b.branch"};
static const hf_query_t REP_Q_HQ_COLLECTION = {
    "rep_hq_collection",
    "WITH b AS (SELECT DISTINCT unnest($1::text[]) branch),"
    " l AS (SELECT branch, sum(registered) r, sum(merged) m, sum(rejected) j FROM lead_day"
    "   WHERE branch = ANY($1::text[]) AND day BETWEEN $2 AND $3 GROUP BY branch)"
    " SELECT b.branch, coalesce(l.r, 0), coalesce(l.m, 0), coalesce(l.j, 0)"
    " FROM b LEFT JOIN l USING (branch) ORDER BY b.branch"};
static const hf_query_t REP_Q_HQ_REPURCHASE = {
    "rep_hq_repurchase",
    "WITH b AS (SELECT DISTINCT unnest($1::text[]) branch),"
    " x AS (SELECT branch, sum(n) e, coalesce(sum(n) FILTER (WHERE gap <= $3::int), 0) g"
    "   FROM repurchase_month WHERE branch = ANY($1::text[]) AND month = $2"
    "   GROUP BY branch)"
    " SELECT b.branch, coalesce(x.e, 0), coalesce(x.g, 0) FROM b LEFT JOIN x USING (branch)"
    " ORDER BY b.branch"};
static const hf_query_t REP_Q_HQ_COMPLAINTS = {
    "rep_hq_complaints",
    "WITH b AS (SELECT DISTINCT unnest($1::text[]) branch),"
    " c (branch, n0, n1, n2, n3, n4) AS (SELECT branch, " REP_COMPLAINT_COUNTS " FROM complaint"
    "   WHERE branch = ANY($1::text[]) AND opened_day BETWEEN $2 AND $3 GROUP BY branch),"
    " d AS (SELECT branch, sum(escalations) es, sum(returns_requested) rq,"
    "   sum(returns_approved) ra, sum(returns_rejected) rr, sum(refund_fen) rf,"
    "   sum(risks) rk FROM complaint_day"
    "   WHERE branch = ANY($1::text[]) AND day BETWEEN $2 AND $3 GROUP BY branch)"
    " SELECT b.branch, coalesce(c.n0, 0), coalesce(c.n1, 0), coalesce(c.n2, 0),"
    "   coalesce(c.n3, 0), coalesce(c.n4, 0),"
    "   coalesce(d.es, 0), coalesce(d.rq, 0), coalesce(d.ra, 0), coalesce(d.rr, 0),"
    "   coalesce(d.rf, 0), coalesce(d.rk, 0)"
    " FROM b LEFT JOIN c USING (branch) LEFT JOIN d USING (branch) ORDER BY b.branch"};
static const hf_query_t REP_Q_HQ_SALES = {
    "rep_hq_sales",
    "WITH b AS (SELECT DISTINCT unnest($1::text[]) branch),"
    " r AS (SELECT DISTINCT ON (branch) branch, rate_bp FROM commission_rate"
    "   WHERE branch = ANY($1::text[]) AND from_month <= $2::date"
    "   ORDER BY branch, from_month DESC),"
    " x AS (SELECT o.branch, o.agent, sum(o.orders) ord, sum(o.units) un,"
    "   sum(o.units * coalesce(p.price_fen, 0)) val FROM order_month o"
    "   LEFT JOIN product p ON p.branch = o.branch AND p.code = o.product"
    "   WHERE o.branch = ANY($1::text[]) AND o.month = $2 GROUP BY 1, 2)"
    " SELECT b.branch, coalesce(r.rate_bp, 0), coalesce(x.ord, 0), coalesce(x.un, 0),"
    "   coalesce(x.val, 0) FROM b LEFT JOIN r USING (branch) LEFT JOIN x USING (branch)"
    " ORDER BY b.branch, x.agent"};

/* ---- reporting.c ---- */

static const hf_query_t REP_Q_HQ_BRANCHES = {"rep_hq_branches",
                                             "SELECT code, tz FROM branch WHERE $2::bool"
                                             " OR code = ANY($1::text[]) ORDER BY code"};
static const hf_query_t REP_Q_ATTRIBUTION_REPLY_COMMISSION_RATE = {
    "rep_attribution_reply_commission_rate", "SELECT rate_bp FROM commission_rate WHERE branch = $1"
                                             " ORDER BY from_month DESC LIMIT 1"};
static const hf_query_t REP_Q_ATTRIBUTION_REPLY_TERMINAL_MAP = {
    "rep_attribution_reply_terminal_map",
    "SELECT region, terminal FROM terminal_map WHERE branch = $1"
    " ORDER BY region"};
static const hf_query_t REP_Q_ATTRIBUTION_SET_COMMISSION_RATE_ADD = {
    "rep_attribution_set_commission_rate_add",
    "INSERT INTO commission_rate (branch, from_month, rate_bp, set_at_ms)"
    " VALUES ($1, $2::date, $3, $4) ON CONFLICT (branch, from_month)"
    " DO UPDATE SET rate_bp = $3, set_at_ms = $4"};
static const hf_query_t REP_Q_ATTRIBUTION_SET_TERMINAL_MAP_DELETE = {
    "rep_attribution_set_terminal_map_delete",
    "DELETE FROM terminal_map WHERE branch = $1 AND region = $2"};
static const hf_query_t REP_Q_ATTRIBUTION_SET_TERMINAL_MAP_ADD = {
    "rep_attribution_set_terminal_map_add",
    "INSERT INTO terminal_map (branch, region, terminal) VALUES ($1, $2, $3)"
    " ON CONFLICT (branch, region) DO UPDATE SET terminal = $3"};

/* ---- rep_campaign.c ---- */

static const hf_query_t REP_Q_CAMPAIGN_UPSERT = {
    "rep_campaign_upsert",
    "INSERT INTO campaign (id, branch, name, place, at_ms, event_day, capacity,"
    " bought_within_days) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    " ON CONFLICT (id) DO UPDATE SET name = $3, place = $4, at_ms = $5,"
    " event_day = $6, capacity = $7, bought_within_days = $8"};
static const hf_query_t REP_Q_CAMPAIGN_APPLY_INVITED = {
    "rep_campaign_apply_invited", "INSERT INTO campaign_member (campaign_id, customer_id, invited)"
                                  " SELECT $1, unnest($2::bigint[]), true ON CONFLICT (campaign_id,"
                                  " customer_id) DO UPDATE SET invited = true"};
static const hf_query_t REP_Q_CAMPAIGN_APPLY_ANSWERED = {
    "rep_campaign_apply_answered", "INSERT INTO campaign_member (campaign_id, customer_id, answer)"
                                   " VALUES ($1, $2, $3) ON CONFLICT (campaign_id, customer_id)"
                                   " DO UPDATE SET answer = $3"};
static const hf_query_t REP_Q_CAMPAIGN_APPLY_ATTENDED = {
    "rep_campaign_apply_attended",
    "INSERT INTO campaign_member (campaign_id, customer_id, attended)"
    " VALUES ($1, $2, true) ON CONFLICT (campaign_id, customer_id)"
    " DO UPDATE SET attended = true"};
static const hf_query_t REP_Q_REPORT_CAMPAIGN_HEAD = {
    "rep_report_campaign_head", "SELECT name, place, at_ms, (event_day - date '1970-01-01'),"
                                " capacity, bought_within_days FROM campaign"
                                " WHERE id = $1 AND branch = $2"};
static const hf_query_t REP_Q_REPORT_CAMPAIGN_COUNTS = {
    "rep_report_campaign_counts",
    "SELECT count(*) FILTER (WHERE m.invited),"
    " count(*) FILTER (WHERE m.invited AND m.answer = 'accepted'),"
    " count(*) FILTER (WHERE m.invited AND m.answer = 'declined'),"
    " count(*) FILTER (WHERE m.invited AND m.answer = ''),"
    " count(*) FILTER (WHERE m.attended),"
    " count(*) FILTER (WHERE m.attended AND NOT m.invited),"
    " count(*) FILTER (WHERE m.answer = 'accepted' AND NOT m.attended),"
    " count(*) FILTER (WHERE m.attended AND " REP_CAMPAIGN_BOUGHT "),"
    " count(*) FILTER (WHERE m.invited AND " REP_CAMPAIGN_BOUGHT "),"
    " coalesce((SELECT sum(p.price_fen) FROM purchase p JOIN campaign_member"
    "  x ON x.customer_id = p.customer_id AND x.campaign_id = $1::bigint"
    "  AND x.attended WHERE p.purchase_day BETWEEN $2::date AND $3::date), 0),"
    " $4::int FROM campaign_member m WHERE m.campaign_id = $1::bigint"};

/* ---- rep_points.c ---- */

static const hf_query_t REP_Q_POINTS_APPLY_POINTS_DAY_ADD = {
    "rep_points_apply_points_day_add",
    "INSERT INTO points_day (branch, day, issued, redeemed, taken_back, owed,"
    " adjusted) VALUES ($1, $2::date, $3, $4, $5, $6, $7)"
    " ON CONFLICT (branch, day) DO UPDATE"
    " SET issued = points_day.issued + $3, redeemed = points_day.redeemed + $4,"
    " taken_back = points_day.taken_back + $5, owed = points_day.owed + $6,"
    " adjusted = points_day.adjusted + $7"};
static const hf_query_t REP_Q_REPORT_POINTS_DAYS = {
    "rep_report_points_days",
    "SELECT day::text, issued, redeemed, taken_back, adjusted, owed,"
    " sum(issued - redeemed - taken_back + adjusted) OVER (ORDER BY day)"
    " + (SELECT coalesce(sum(issued - redeemed - taken_back + adjusted), 0)"
    "   FROM points_day WHERE branch = $1 AND day < $2::date)"
    " FROM points_day WHERE branch = $1 AND day BETWEEN $2::date AND $3::date ORDER BY day"};
static const hf_query_t REP_Q_REPORT_POINTS_BALANCE_AT_END = {
    "rep_report_points_balance_at_end", "SELECT coalesce(sum(issued - redeemed - taken_back"
                                        " + adjusted), 0) FROM points_day"
                                        " WHERE branch = $1 AND day <= $2::date"};

/* ---- rep_occasions.c ---- */

static const hf_query_t REP_Q_OCCASIONS_APPLY_OCCASION_DAY_ADD = {
    "rep_occasions_apply_occasion_day_add",
    "INSERT INTO occasion_day (branch, day, occasion, due, made, merged,"
    " dropped_cap, dropped) VALUES ($1, $2::date, $3, $4, $5, $6, $7, $8)"
    " ON CONFLICT (branch, day, occasion) DO UPDATE SET"
    " due = occasion_day.due + $4, made = occasion_day.made + $5,"
    " merged = occasion_day.merged + $6,"
    " dropped_cap = occasion_day.dropped_cap + $7,"
    " dropped = occasion_day.dropped + $8"};
static const hf_query_t REP_Q_REPORT_OCCASIONS_OCCASION_DAY = {
    "rep_report_occasions_occasion_day",
    "SELECT occasion, sum(due), sum(made), sum(merged), sum(dropped_cap), sum(dropped)"
    " FROM occasion_day WHERE branch = $1 AND day BETWEEN $2::date AND $3::date"
    " GROUP BY occasion ORDER BY occasion"};

#endif
