/* scheduler_sql: every fixed statement of the scheduler, named, in one place to review.
 *
 * Each is an hf_query_t run with hf_store_query() / hf_store_query_run(): prepared once
 * per store connection (again after a reconnect), or sent as its text each time when
 * HUIFANG_PG_PREPARE=off (a pooler in transaction mode). Parameters are $n, always. The
 * few statements whose text is put together at run time stay on hf_store_exec(), each with
 * a comment saying why. */
#ifndef SCHEDULER_SQL_H
#define SCHEDULER_SQL_H

#include "hf_store.h"
#include "scheduler_internal.h"

/* the columns s_alert_from_row reads, in their order */
#define ALERT_COLUMNS                                                                              \
    "id, branch, kind, customer_id, task_id, agent, detail, raised_at_ms, acked_at_ms, acked_by"

/* ---- sched_assign.c ---- */

/* the branch locks of an assignment round, taken (try) or given back */
static const hf_query_t SCHED_Q_BRANCH_LOCKS = {
    "sched_branch_locks", "SELECT pg_try_advisory_lock(hashtext('huifang.scheduler"
                          ".branch'), hashtext(b)) FROM unnest($1::text[])"
                          " WITH ORDINALITY AS x(b, i) ORDER BY i"};
static const hf_query_t SCHED_Q_BRANCH_UNLOCKS = {
    "sched_branch_unlocks", "SELECT pg_advisory_unlock(hashtext('huifang.scheduler"
                            ".branch'), hashtext(b)) FROM unnest($1::text[]) AS x(b)"};
/* the due-index's to-do list (migration 019): every planned task goes back in (DO UPDATE: a row
 * the index timer holds is waited for, then inserted again once it is deleted) */
static const hf_query_t SCHED_Q_REINDEX_PLANNED = {
    "sched_reindex_planned",
    "WITH m AS (INSERT INTO task_unindexed (branch, id) SELECT branch, id FROM task"
    " WHERE state = 'planned' AND channel <> 'letter'" /* letters: sched_letters.c */
    " ON CONFLICT (branch, id) DO UPDATE SET id = excluded.id RETURNING 1)"
    " SELECT count(*) FROM m"};
/* what is still to be put, with the task as it is now: one no longer planned (or gone, or a
 * letter) is dropped from the list without a put. The task is a probe of its key per row (the
 * LATERAL's LIMIT keeps it one: a plain join cost 100-140 us a lead of a load, most likely a
 * plan made once, while the tables were small, that walked task). Each row's ctid comes
 * along for its delete. */
static const hf_query_t SCHED_Q_UNINDEXED_BATCH = {
    "sched_unindexed_batch",
    "SELECT u.id, u.branch, coalesce(t.due_at_ms, 0), coalesce(t.live, false),"
    " coalesce(t.branch, u.branch), u.ctid::text FROM (SELECT branch, id, ctid"
    " FROM task_unindexed ORDER BY branch, id LIMIT 1000 FOR UPDATE SKIP LOCKED) u"
    " LEFT JOIN LATERAL (SELECT due_at_ms, state = 'planned' AND channel <> 'letter' AS live,"
    " branch FROM task WHERE id = u.id LIMIT 1) t ON true ORDER BY u.branch, u.id"};
/* the rows read above, by their ctids: they are locked by this transaction (FOR UPDATE), so
 * nothing moves them before it ends, and a TID scan is the only plan. A join of the list with
 * the (branch, id) arrays was planned as a hash of the whole list whenever the list looked
 * small when its plan was made (just vacuumed, by the index timer or autovacuum, then grown
 * by a load: 16 ms a delete of 1,000 rows while the scheduler caught up with one) */
static const hf_query_t SCHED_Q_MARK_INDEXED = {
    "sched_mark_indexed", "DELETE FROM task_unindexed WHERE ctid = ANY ($1::tid[])"};
/* the list's dead rows, once a burst has gone through it (sched_index): not a statement that can
 * be prepared (VACUUM), run on its own with hf_store_script, outside any transaction */
static const hf_query_t SCHED_Q_VACUUM_UNINDEXED = {"sched_vacuum_unindexed",
                                                    "VACUUM (SKIP_LOCKED) task_unindexed"};
static const hf_query_t SCHED_Q_LOAD_LANES = {
    "sched_load_lanes",
    "SELECT x.i, a.id, a.role, CASE WHEN cardinality(a.regions) = 0 THEN '' ELSE ',' ||"
    " array_to_string(a.regions, ',') || ',' END, a.daily_calls, a.daily_visits,"
    " coalesce(d.calls, 0), coalesce(d.visits, 0), d.agent IS NOT NULL"
    " FROM unnest($1::text[], $2::date[]) WITH ORDINALITY AS x(branch, day, i)"
    " JOIN agent a ON a.branch = x.branch AND a.active"
    " LEFT JOIN agent_day d ON d.branch = a.branch AND d.agent = a.id AND d.day = x.day"
    " WHERE NOT EXISTS (SELECT 1 FROM agent_absence y WHERE y.branch = a.branch"
    " AND y.agent = a.id AND x.day BETWEEN y.from_day AND y.until_day)"
    " ORDER BY x.i, a.id"};
static const hf_query_t SCHED_Q_RESERVE_LANES_AGENT_DAY_INSERT = {
    "sched_reserve_lanes_agent_day_insert",
    "INSERT INTO agent_day (branch, agent, day) SELECT b, g, d::date FROM"
    " unnest($1::text[], $2::text[], $3::text[]) AS x(b, g, d)"
    " ORDER BY b, g ON CONFLICT DO NOTHING"};
static const hf_query_t SCHED_Q_RESERVE_LANES_AGENT_DAY = {
    "sched_reserve_lanes_agent_day",
    "SELECT 1 FROM agent_day d JOIN unnest($1::text[], $2::text[],"
    " $3::text[]) AS x(b, g, dd) ON d.branch = x.b AND d.agent = x.g"
    " AND d.day = x.dd::date ORDER BY d.branch, d.agent"
    " FOR UPDATE OF d"};
static const hf_query_t SCHED_Q_RESERVE_LANES_AGENT_DAY_UPDATE = {
    "sched_reserve_lanes_agent_day_update",
    "UPDATE agent_day d SET"
    " calls = greatest(d.calls + w.fc, least(a.daily_calls, d.calls + w.fc + w.c)),"
    " visits = greatest(d.visits + w.fv, least(a.daily_visits, d.visits + w.fv + w.v)),"
    " granted_calls = greatest(d.calls + w.fc, least(a.daily_calls, d.calls + w.fc + w.c))"
    "   - d.calls - w.fc,"
    " granted_visits = greatest(d.visits + w.fv, least(a.daily_visits,"
    "   d.visits + w.fv + w.v)) - d.visits - w.fv"
    " FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::int[],"
    "   $7::int[]) WITH ORDINALITY AS w(b, g, dd, c, v, fc, fv, i), agent a"
    " WHERE d.branch = w.b AND d.agent = w.g AND d.day = w.dd::date"
    " AND a.branch = w.b AND a.id = w.g"
    " RETURNING w.i, d.granted_calls, d.granted_visits, d.calls, d.visits"};
static const hf_query_t SCHED_Q_PREEMPT = {
    "sched_preempt",
    "SELECT t.id, t.agent, coalesce(c.windows, '') FROM task t JOIN agent a ON a.branch ="
    " t.branch AND a.id = t.agent LEFT JOIN customer c ON c.id = t.customer_id"
    " WHERE t.branch = $1 AND t.agent <> '' AND t.state = 'assigned'"
    " AND t.bag_date = $2::date AND t.priority < $3::int AND t.role = $4"
    " AND t.channel = CASE WHEN $5::boolean THEN 'visit' ELSE 'phone' END"
    " AND t.reserved_agent = '' AND t.origin = 'plan' AND a.active"
    " AND ($6 = ANY (a.regions) OR cardinality(a.regions) = 0 OR $6 = '' OR $3::int >= 50)"
    " ORDER BY t.priority, t.due_at_ms DESC, t.id DESC LIMIT 1 FOR UPDATE OF t SKIP LOCKED"};
/* The claimed tasks are read, locked and moved by their ids alone: "planned" is tested as
 * `(t.state = 'planned') IS TRUE`, which no partial index on state can serve, so that no plan
 * reads every planned task through task_branch_due to find the batch's (a task table without
 * statistics yet, a new store's first hours: sched_task.c s_guard, keyed) */
static const hf_query_t SCHED_Q_LOCK_CLAIMED = {
    "sched_lock_claimed",
    "SELECT " TASK_COLUMNS ", coalesce(c.opted_out, false), coalesce(c.dnd_until::text, ''),"
    " EXISTS (SELECT 1 FROM complaint_hold h WHERE h.customer_id = t.customer_id), "
    "t.misses" TASK_FROM " WHERE t.id = ANY ($1::bigint[]) AND (t.state = 'planned') IS TRUE"
    " ORDER BY t.id FOR UPDATE OF t SKIP LOCKED"};
static const hf_query_t SCHED_Q_DROP_STALE_IDS = {
    "sched_drop_stale_ids",
    "SELECT id FROM task WHERE id = ANY ($1::bigint[]) AND (state = 'planned') IS TRUE"
    " ORDER BY id"};
/* The due-index's to-do list (migration 019) written by the statement that asks for the
 * re-index, as sched_task_move does with reindex: none of these names `indexed`, so task's
 * row trigger (one plpgsql call per row) does not fire for them; the same rows are listed
 * (planned, not a letter) with the trigger's DO UPDATE. The roll-over of what found no room
 * (its new time and priority), the largest in rows: */
static const hf_query_t SCHED_Q_WRITE_UNASSIGNED_TASK_UPDATE = {
    "sched_write_unassigned_task_update",
    "WITH moved AS (UPDATE task t SET due_at_ms = u.d, priority = u.p,"
    " updated_at_ms = $2 FROM unnest($1::bigint[], $3::bigint[], $4::int[])"
    " AS u(id, d, p) WHERE t.id = u.id AND (t.state = 'planned') IS TRUE"
    " RETURNING t.branch, t.id, t.channel) " SCHED_LIST_UNINDEXED("moved", "")};
/* a task postponed meanwhile: nothing of it changes, it is only listed again (it was an
 * UPDATE of `indexed` alone, a new version of each row for the trigger to see); the rows are
 * locked by the batch (SCHED_Q_LOCK_CLAIMED), so their state is the one the batch read */
static const hf_query_t SCHED_Q_WRITE_UNASSIGNED_TASK_UPDATE_2 = {
    "sched_write_unassigned_task_update_2",
    SCHED_LIST_UNINDEXED("task", "id = ANY ($1::bigint[]) AND (state = 'planned') IS TRUE AND ")};
static const hf_query_t SCHED_Q_BRANCHES_WINDOWS = {
    "sched_branches_windows", "SELECT code, tz, windows FROM branch ORDER BY code"};
static const hf_query_t SCHED_Q_MOVE_ABSENT_TASK_UPDATE = {
    "sched_move_absent_task_update",
    "UPDATE task SET reserved_agent = '' WHERE branch = $1 AND reserved_agent = $2"
    " AND reserved_agent <> '' AND state IN ('planned', 'paused', 'assigned', 'claimed')"
    " AND due_at_ms < $3"};
static const hf_query_t SCHED_Q_MOVE_ABSENT_TASK = {
    "sched_move_absent_task", "SELECT " TASK_COLUMNS TASK_FROM " WHERE t.branch = $1 AND"
                              " t.agent = $2 AND t.agent <> '' AND"
                              " t.state IN ('assigned', 'claimed') AND"
                              " (t.bag_date BETWEEN $3::date AND $4::date OR (t.bag_date <"
                              " $5::date AND $5::date BETWEEN $3::date AND $4::date))"
                              " ORDER BY t.id FOR UPDATE OF t"};

/* ---- sched_campaign.c ---- */

static const hf_query_t SCHED_Q_CAMPAIGN_UPSERT = {
    "sched_campaign_upsert", "INSERT INTO campaign (id, branch, name, place, at_ms, event_day,"
                             " invite_days) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO"
                             " UPDATE SET name = $3, place = $4, at_ms = $5, event_day = $6,"
                             " invite_days = $7"};
static const hf_query_t SCHED_Q_TASK_ADD_CUSTOMER = {
    "sched_task_add_customer", "SELECT windows, opted_out OR card_type = 'void',"
                               " coalesce(dnd_until - date '1970-01-01', -2147483648)"
                               " FROM customer WHERE id = $1"};
static const hf_query_t SCHED_Q_TASK_ADD_TASK_INSERT = {
    "sched_task_add_task_insert",
    "INSERT INTO task (branch, customer_id, purchase_id, step_no, occurrence,"
    " purpose, channel, role, due_at_ms, priority, state, updated_at_ms,"
    " origin, campaign_id, latest_at_ms, talking_points) VALUES ($1, $2, 0, 0, 0, $3,"
    " 'phone', $4, $5, $6, 'planned', $7, 'campaign', $8, $9, $10)"
    " ON CONFLICT DO NOTHING RETURNING id"};
static const hf_query_t SCHED_Q_DAY_LOADS_TASK = {
    "sched_day_loads_task",
    "SELECT g.d, (SELECT count(*) FROM task t WHERE t.branch = $1 AND t.role = $5"
    "   AND t.state = 'planned' AND t.due_at_ms >= $2::bigint + g.d * 86400000::bigint"
    "   AND t.due_at_ms < $2::bigint + (g.d + 1) * 86400000::bigint)"
    " + (SELECT count(*) FROM task t WHERE t.branch = $1 AND t.agent <> '' AND t.role = $5"
    "   AND t.state IN ('assigned', 'claimed', 'done') AND t.bag_date = $4::date + g.d)"
    " FROM generate_series(0, $3::int) AS g(d) ORDER BY g.d"};
static const hf_query_t SCHED_Q_DAY_LOADS_AGENT = {
    "sched_day_loads_agent", "SELECT coalesce(sum(daily_calls), 0) FROM agent WHERE branch = $1"
                             " AND role = $2 AND active"};
static const hf_query_t SCHED_Q_ON_CAMPAIGN_ATTENDED = {
    "sched_on_campaign_attended",
    "SELECT branch, (event_day - date '1970-01-01') FROM campaign WHERE id = $1"};
static const hf_query_t SCHED_Q_CAMPAIGN_CALL_LOGGED = {
    "sched_campaign_call_logged", "SELECT k.id, k.at_ms, (k.event_day - date '1970-01-01')"
                                  " FROM task t JOIN campaign k ON k.id = t.campaign_id"
                                  " WHERE t.id = $1"};
static const hf_query_t SCHED_Q_CAMPAIGN_TALKING_POINTS = {
    "sched_campaign_talking_points", "SELECT k.name, k.place, k.at_ms, b.tz FROM campaign k"
                                     " JOIN branch b ON b.code = k.branch WHERE k.id = $1"};
static const hf_query_t SCHED_Q_CAMPAIGN_EXPIRE = {
    "sched_campaign_expire",
    "SELECT coalesce('{' || string_agg(id::text, ',') || '}', '{}'), count(*) FROM (SELECT"
    " t.id FROM task t JOIN campaign k ON k.id = t.campaign_id WHERE t.state IN ('planned',"
    " 'assigned', 'paused') AND t.purpose IN ('campaign-invite', 'campaign-reminder')"
    " AND k.at_ms <= $1::bigint ORDER BY t.id LIMIT 500 FOR UPDATE OF t SKIP LOCKED) x"};

/* ---- sched_cap.c ---- */

static const hf_query_t SCHED_Q_CAP_PER_WEEK = {
    "sched_cap_per_week", "SELECT per_week FROM contact_cap WHERE branch IN ($1, '')"
                          " ORDER BY branch DESC LIMIT 1"};
/* One statement per batch (issue 14): each branch's cap read once (k, materialized: inlined
 * it was read once per customer), each customer's week counted once (sched_cap_check sends
 * each pair once, and only the weeks with a call that may be held), the count a range of the
 * index task_customer (customer_id, bag_date; migration 013): that week's tasks, not all the
 * customer's. Rows: customer, Monday (day number), cap, calls already in that week's bags. */
static const hf_query_t SCHED_Q_CAP_CHECK = {
    "sched_cap_check",
    "WITH x AS (SELECT u.cid, u.branch, u.mon FROM unnest($1::bigint[], $2::text[],"
    " $3::date[]) AS u(cid, branch, mon)), k AS MATERIALIZED (SELECT b.branch, coalesce((SELECT"
    " c.per_week FROM contact_cap c WHERE c.branch IN (b.branch, '') ORDER BY c.branch DESC"
    " LIMIT 1), 2) AS per_week FROM (SELECT DISTINCT branch FROM x) b)"
    " SELECT x.cid, x.mon - DATE '1970-01-01', k.per_week, (SELECT count(*) FROM task t"
    " WHERE t.customer_id = x.cid AND " SCHED_CAP_CHANNELS " AND t.bag_date BETWEEN"
    " x.mon - 28 AND x.mon + 6 AND ((t.bag_date >= x.mon AND t.state IN ('assigned',"
    " 'claimed', 'done') AND t.outcome <> 'skipped') OR (t.bag_date < x.mon AND t.state IN"
    " ('assigned', 'claimed')))) FROM x JOIN k ON k.branch = x.branch"};
static const hf_query_t SCHED_Q_REPLY_CAP = {
    "sched_reply_cap", "SELECT per_week, branch <> '' FROM contact_cap WHERE branch"
                       " IN ($1, '') ORDER BY branch DESC LIMIT 1"};
static const hf_query_t SCHED_Q_CONTACT_CAP_SET_CONTACT_CAP_DELETE = {
    "sched_contact_cap_set_contact_cap_delete", "DELETE FROM contact_cap WHERE branch = $1"};
static const hf_query_t SCHED_Q_CONTACT_CAP_SET_CONTACT_CAP_INSERT = {
    "sched_contact_cap_set_contact_cap_insert",
    "INSERT INTO contact_cap (branch, per_week, updated_at_ms, updated_by)"
    " VALUES ($1, $2::int, $3::bigint, $4) ON CONFLICT (branch) DO UPDATE SET"
    " per_week = EXCLUDED.per_week, updated_at_ms = EXCLUDED.updated_at_ms,"
    " updated_by = EXCLUDED.updated_by"};

/* ---- sched_cmd.c ---- */

static const hf_query_t SCHED_Q_NEED_AGENT = {"sched_need_agent",
                                              "SELECT 1 FROM agent WHERE branch = $1 AND id = $2"};
/* task next's check before its transaction (sched_task_next_check): the agent known, holding
 * any task assigned or claimed, the request's key ($3, NULL for none) holding a reply, the
 * branch known (asked here, not by sched_branch_get: its read is a round trip of its own
 * whenever intake's stream moved since the branch was kept) */
static const hf_query_t SCHED_Q_TASK_NEXT_EMPTY = {
    "sched_task_next_empty",
    "SELECT EXISTS (SELECT 1 FROM agent WHERE branch = $1 AND id = $2),"
    " EXISTS (SELECT 1 FROM task WHERE branch = $1 AND agent = $2 AND agent <> ''"
    " AND state IN ('claimed', 'assigned')),"
    " EXISTS (SELECT 1 FROM idempotency WHERE key = $3 AND reply IS NOT NULL),"
    " EXISTS (SELECT 1 FROM branch WHERE code = $1)"};
static const hf_query_t SCHED_Q_NEED_SUPERVISOR = {
    "sched_need_supervisor", "SELECT role FROM agent WHERE branch = $1 AND id = $2"};
static const hf_query_t SCHED_Q_WORKLIST_GET = {
    "sched_worklist_get", "SELECT " TASK_COLUMNS TASK_FROM " WHERE t.branch = $1 AND"
                          " t.agent <> '' AND ($2 = '' OR t.agent = $2) AND"
                          " (t.bag_date = $3 OR (t.state IN ('assigned',"
                          " 'claimed') AND t.bag_date < $3))"
                          " ORDER BY t.agent, CASE t.state WHEN 'claimed' THEN 0"
                          " WHEN 'assigned' THEN 1 ELSE 2 END, t.priority DESC,"
                          " t.due_at_ms, t.id"};
static const hf_query_t SCHED_Q_TASK_CONTEXT_CUSTOMER = {
    "sched_task_context_customer", "SELECT id, branch, name, phone, region, card_type, opted_out,"
                                   " coalesce(dnd_until::text, ''), windows, tier,"
                                   " coalesce(ref_date::text, ''), created_at_ms"
                                   " FROM customer WHERE id = $1"};
static const hf_query_t SCHED_Q_TASK_CONTEXT_PURCHASE = {
    "sched_task_context_purchase",
    "SELECT id, customer_id, branch, product, quantity, price_fen,"
    " purchase_date::text, supply_end::text, nth, plan, days_of_supply"
    " FROM purchase WHERE customer_id = $1 ORDER BY nth, id"};
/* the customer's columns of a task's context as s_customer_from_row reads them, from the
 * customer c (all NULL when the task has none) */
#define CONTEXT_CUSTOMER_COLUMNS                                                                   \
    "c.id, c.branch, c.name, c.phone, c.region, c.card_type, c.opted_out,"                         \
    " coalesce(c.dnd_until::text, ''), c.windows, c.tier, coalesce(c.ref_date::text, ''),"         \
    " c.created_at_ms"
/* the purchase's columns as s_purchases_from_rows reads them, from the purchase p */
#define CONTEXT_PURCHASE_COLUMNS                                                                   \
    "p.id, p.customer_id, p.branch, p.product, p.quantity, p.price_fen,"                           \
    " p.purchase_date::text, p.supply_end::text, p.nth, p.plan, p.days_of_supply"
/* A full context's reads in one statement (issue 14, sched12): the customer's earlier tasks (done
 * or attempted, the newest 20; TASK_COLUMNS), their purchases (CONTEXT_PURCHASE_COLUMNS from
 * CONTEXT_PURCHASE_COLUMN on) and their contacts with the notes (the newest 20; from
 * CONTEXT_CONTACT_COLUMN on), one UNION ALL of the three, each kind's rows in its own order and
 * every other kind's columns NULL (a kind's rows are those whose first column is not NULL), then
 * a last column (CONTEXT_SEQ_COLUMN) for a claim's event number. The three were three statements
 * in one round trip: each cost its backend its own protocol messages, portal and executor
 * start. C: the customer's parameter, T: the task's (left out of the earlier tasks). */
#define CONTEXT_PURCHASE_COLUMN TASK_NCOLUMNS
#define CONTEXT_CONTACT_COLUMN (TASK_NCOLUMNS + 11)
#define CONTEXT_SEQ_COLUMN (TASK_NCOLUMNS + 21)
#define CONTEXT_NULLS_5 "NULL, NULL, NULL, NULL, NULL"
#define CONTEXT_NULLS_10 CONTEXT_NULLS_5 ", " CONTEXT_NULLS_5
#define CONTEXT_NULLS_11 CONTEXT_NULLS_10 ", NULL"
#define CONTEXT_NULLS_27 CONTEXT_NULLS_10 ", " CONTEXT_NULLS_10 ", " CONTEXT_NULLS_5 ", NULL, NULL"
/* the first branch's NULLs typed (the purchase's columns, the contact's, the number): a UNION's
 * column takes its type pairwise from left to right, and two bare NULLs would make it text */
#define CONTEXT_TYPED_NULLS                                                                        \
    "NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::int, NULL::bigint, NULL::text,"     \
    " NULL::text, NULL::int, NULL::text, NULL::int, NULL::bigint, NULL::bigint, NULL::bigint,"     \
    " NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::int, NULL::text,"          \
    " NULL::bigint"
#define CONTEXT_READS(C, T)                                                                        \
    " SELECT h.*, " CONTEXT_TYPED_NULLS " FROM (SELECT " TASK_COLUMNS TASK_FROM                    \
    " WHERE t.customer_id = $" C " AND t.id <> $" T                                                \
    " AND (t.state = 'done' OR t.attempts > 0) ORDER BY t.updated_at_ms DESC LIMIT 20) h"          \
    " UNION ALL SELECT " CONTEXT_NULLS_27 ", p.*, " CONTEXT_NULLS_10                               \
    ", NULL FROM (SELECT " CONTEXT_PURCHASE_COLUMNS " FROM purchase p WHERE p.customer_id = $" C   \
    " ORDER BY p.nth, p.id) p"                                                                     \
    " UNION ALL SELECT " CONTEXT_NULLS_27 ", " CONTEXT_NULLS_11 ", n.*, NULL FROM (SELECT"         \
    " contact_id, task_id, logged_at_ms, agent, channel, purpose, outcome, effect, order_qty,"     \
    " note FROM contact_note WHERE customer_id = $" C                                              \
    " ORDER BY logged_at_ms DESC, contact_id DESC LIMIT 20) n"
/* a full context's reads: $1 the customer, $2 the task */
static const hf_query_t SCHED_Q_TASK_CONTEXT = {"sched_task_context", CONTEXT_READS("1", "2")};
/* task next's candidates, each with its customer's context columns (TASK_NCOLUMNS on): the
 * customer's read of the context comes with them. The first few (NEXT_FEW) first, locked:
 * the first of them is nearly always the one handed out; every one (NEXT_CANDIDATES) only
 * when none of those can be called now. The customers are joined to the LIMIT's rows only:
 * joined before the sort, every task of the bag read its customer (a national chain's agent
 * starts the day with some 40) for the first 3 */
#define TASK_NEXT_ORDER " ORDER BY t.state = 'claimed' DESC, t.priority DESC, t.due_at_ms, t.id"
#define TASK_NEXT_SELECT(LIMIT)                                                                    \
    "SELECT " TASK_COLUMNS ", " CONTEXT_CUSTOMER_COLUMNS " FROM (SELECT * FROM task t"             \
    " WHERE t.branch = $1 AND t.agent = $2 AND t.agent <> ''"                                      \
    " AND t.state IN ('claimed', 'assigned')" TASK_NEXT_ORDER " LIMIT " LIMIT                      \
    " FOR UPDATE OF t SKIP LOCKED) t LEFT JOIN customer c ON c.id = t.customer_id" TASK_NEXT_ORDER
static const hf_query_t SCHED_Q_TASK_NEXT = {"sched_task_next", TASK_NEXT_SELECT("3")};
static const hf_query_t SCHED_Q_TASK_NEXT_MANY = {"sched_task_next_many", TASK_NEXT_SELECT("20")};
/* task next's first statement, for four: the request's idempotency key ($3, '' for none)
 * claimed as the framework would claim it (idempotency (key, command $4) ... ON CONFLICT (key)
 * DO NOTHING); the earliest bag day (days since 1970-01-01) of the agent's tasks still assigned
 * (a probe of task_agent, nothing locked: an earlier day than today's is a bag to roll, and the
 * roll look, SCHED_Q_ROLL_BAGS_TASK, runs after it only then — once a day an agent, or never
 * when the house timer rolled first) and whether the agent is known; the branch's time zone
 * and windows (NULL: no such branch), as sched_branch_get would read them — in a round trip of
 * its own whenever intake's stream moved since it kept the branch; and SCHED_Q_TASK_NEXT's
 * candidates. A row a candidate (one with NULL candidate columns when there is none), each
 * ending with (TASK_NEXT_FIRST_COLUMN on) the earliest day, whether the agent is known,
 * whether the key was claimed (false: answered before; hf_service_key_claimed), the time zone
 * and the windows. (The look itself in this statement — an aggregate of the locked ids of
 * every agent of the branch matching $2 — cost every claim a larger plan to start and run, for
 * what nearly always finds nothing.) */
#define TASK_NEXT_FIRST_COLUMN (TASK_NCOLUMNS + 12)
static const hf_query_t SCHED_Q_TASK_NEXT_FIRST = {
    "sched_task_next_first",
    "WITH claim AS (INSERT INTO idempotency (key, command) SELECT $3, $4 WHERE $3 <> ''"
    " ON CONFLICT (key) DO NOTHING RETURNING 1)"
    " SELECT n.*, (SELECT min(bag_date) - date '1970-01-01' FROM task WHERE branch = $1"
    " AND agent = $2 AND agent <> '' AND state = 'assigned'),"
    " EXISTS (SELECT 1 FROM agent WHERE branch = $1 AND id = $2),"
    " $3 = '' OR EXISTS (SELECT 1 FROM claim), b.tz, b.windows"
    " FROM (SELECT 1) one LEFT JOIN branch b ON b.code = $1"
    " LEFT JOIN (" TASK_NEXT_SELECT("3") ") n ON true"};
/* task next's claim (the row is locked by SCHED_Q_TASK_NEXT) with the context's reads
 * (CONTEXT_READS: $12 the customer; the claimed task, $1, is not among the earlier ones, so the
 * UPDATE changes nothing they read; the snapshot is the statement's): the event's number is the
 * last row, its only non-NULL column CONTEXT_SEQ_COLUMN, after the reads' rows (Append runs its
 * branches in order, so the reads are done before the counter row is taken). Then, as before:
 * the text sched_task_move() makes of the move assigned -> claimed, with in the same statement
 * the command's audit row as hf_service_audit writes it (hf_service_audit_values, $4..$11; none
 * when $4 is NULL: outside a command) and the sequence number of its event (task_claimed,
 * producer $3) reserved as hf_outbox_reserve reserves it (hf_service_events_reserved: the one
 * row is that number) — two statements and a round trip less. The counter row is taken last:
 * seq's INSERT reads the other two's rows, so the UPDATE of task (a write of every index of
 * task) and the audit row are done before it, not while every event writer of both instances
 * waits on the row (a data-modifying CTE nobody reads runs after the main query) */
static const hf_query_t SCHED_Q_TASK_CLAIM = {
    "sched_task_claim",
    "WITH audit AS (INSERT INTO audit.access (actor, on_behalf_of, role, branch, service,"
    " command, customers, request_id) SELECT $4::text, $5::text, $6::text, $7::text, $8::text,"
    " $9::text, $10::bigint[], $11::text WHERE $4 IS NOT NULL RETURNING 1),"
    " claimed AS (UPDATE task t SET state = 'claimed', claims = claims + 1,"
    " updated_at_ms = $2 WHERE (id = $1) AND t.state IN ('assigned') RETURNING 1),"
    " seq AS (INSERT INTO outbox_seq AS s (producer, last_seq) SELECT $3, 1"
    " FROM (SELECT count(*) FROM audit) a, (SELECT count(*) FROM claimed) c"
    " ON CONFLICT (producer) DO UPDATE SET last_seq = s.last_seq + 1 RETURNING "
    "last_seq)" CONTEXT_READS("12", "1") " UNION ALL SELECT " CONTEXT_NULLS_27 ", " CONTEXT_NULLS_11
                                         ", " CONTEXT_NULLS_10 ", last_seq FROM seq"};
/* a brief task show in one statement: the task, its customer's context columns and one row a
 * purchase of the customer (one row with NULL purchase columns when there is none), each row
 * ending with the windows of the task's branch (TASK_SHOW_BRIEF_WINDOWS; NULL: no such branch),
 * which the show needs for the task's effective windows: read here, the branch's own read
 * (sched_branch_get: a round trip of its own whenever intake's stream moved since it was kept)
 * is not needed */
#define TASK_SHOW_BRIEF_WINDOWS (TASK_NCOLUMNS + 23)
#define TASK_SHOW_BRIEF_SELECT                                                                     \
    " SELECT " TASK_COLUMNS ", " CONTEXT_CUSTOMER_COLUMNS ", " CONTEXT_PURCHASE_COLUMNS            \
    ", b.windows" TASK_FROM " LEFT JOIN branch b ON b.code = t.branch"                             \
    " LEFT JOIN purchase p ON p.customer_id = t.customer_id"
static const hf_query_t SCHED_Q_TASK_SHOW_BRIEF = {"sched_task_show_brief", TASK_SHOW_BRIEF_SELECT
                                                   " WHERE t.id = $1 ORDER BY p.nth, p.id"};
/* the same with its audit row written by the statement itself: the row hf_service_audit()
 * would write for the task's customer (none when it has none), only when the task ($8) is the
 * request's branch's ($4; else the show answers "not found" and audits nothing) */
static const hf_query_t SCHED_Q_TASK_SHOW_BRIEF_AUDIT = {
    "sched_task_show_brief_audit",
    "WITH audit AS (" HF_AUDIT_INSERT_SELECT
    "CASE WHEN t.customer_id > 0 THEN ARRAY[t.customer_id] ELSE '{}'::bigint[] END"
    " FROM task t WHERE t.id = $8 AND t.branch = $4)" TASK_SHOW_BRIEF_SELECT
    " WHERE t.id = $8 ORDER BY p.nth, p.id"};
static const hf_query_t SCHED_Q_QUEUE_STATS = {
    "sched_queue_stats", "SELECT b.code, (SELECT count(*) FROM task t WHERE t.branch = b.code"
                         " AND t.state = 'planned') FROM branch b ORDER BY b.code"};
static const hf_query_t SCHED_Q_QUEUE_REBUILD = {
    "sched_queue_rebuild",
    "INSERT INTO task_unindexed (branch, id) SELECT branch, id FROM task WHERE state = 'planned'"
    " AND channel <> 'letter' AND ($1::text IS NULL OR branch = $1)"
    " ON CONFLICT (branch, id) DO UPDATE SET id = excluded.id"};
static const hf_query_t SCHED_Q_TEMPLATES = {
    "sched_templates",
    "SELECT t.code, t.name, s.step_no, s.anchor, s.offset_days, s.window_days, s.repeat_days,"
    " s.purpose, s.channel, s.role, t.branch FROM plan_template t LEFT JOIN plan_step s"
    " ON s.branch = t.branch AND s.template = t.code"
    " WHERE t.branch = (SELECT max(branch) FROM plan_template x WHERE x.code = t.code AND"
    " x.branch IN ($1, '')) AND ($2::text IS NULL OR t.code = $2)"
    " ORDER BY t.code, s.step_no"};
static const hf_query_t SCHED_Q_OWN_COPY_PLAN_TEMPLATE_INSERT = {
    "sched_own_copy_plan_template_insert",
    "INSERT INTO plan_template (branch, code, name) SELECT $1, code,"
    " name FROM plan_template WHERE branch = '' AND code = $2"
    " ON CONFLICT DO NOTHING RETURNING 1"};
static const hf_query_t SCHED_Q_OWN_COPY_PLAN_STEP_INSERT = {
    "sched_own_copy_plan_step_insert",
    "INSERT INTO plan_step (branch, template, step_no, anchor, offset_days,"
    " window_days, repeat_days, purpose, channel, role) SELECT $1, template,"
    " step_no, anchor, offset_days, window_days, repeat_days, purpose, channel,"
    " role FROM plan_step WHERE branch = '' AND template = $2"};
static const hf_query_t SCHED_Q_OWN_COPY_PLAN_TEMPLATE = {
    "sched_own_copy_plan_template", "SELECT 1 FROM plan_template WHERE branch = $1 AND code = $2"};
static const hf_query_t SCHED_Q_PLAN_ADD_PLAN_TEMPLATE_INSERT = {
    "sched_plan_add_plan_template_insert",
    "INSERT INTO plan_template (branch, code, name) VALUES ($1, $2, $3)"
    " ON CONFLICT DO NOTHING RETURNING 1"};
static const hf_query_t SCHED_Q_PLAN_STEP_SET_PLAN_TEMPLATE = {
    "sched_plan_step_set_plan_template",
    "SELECT 1 FROM plan_template WHERE branch = '' AND code = $1"};
static const hf_query_t SCHED_Q_PLAN_STEP_SET_PLAN_STEP_DELETE = {
    "sched_plan_step_set_plan_step_delete",
    "DELETE FROM plan_step WHERE branch = $1 AND template = $2"
    " AND step_no = $3 RETURNING 1"};
static const hf_query_t SCHED_Q_PLAN_STEP_SET_PLAN_STEP_INSERT = {
    "sched_plan_step_set_plan_step_insert",
    "INSERT INTO plan_step (branch, template, step_no, anchor, offset_days,"
    " window_days, repeat_days, purpose, channel, role) VALUES ($1, $2, $3,"
    " $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (branch, template, step_no)"
    " DO UPDATE SET anchor = $4, offset_days = $5, window_days = $6,"
    " repeat_days = $7, purpose = $8, channel = $9, role = $10"};
static const hf_query_t SCHED_Q_PLAN_STEP_SET_PLAN_STEP = {
    "sched_plan_step_set_plan_step", "SELECT count(*) FROM plan_step WHERE branch = $1"
                                     " AND template = $2"};
static const hf_query_t SCHED_Q_AGENT_ABSENT = {
    "sched_agent_absent",
    "INSERT INTO agent_absence (branch, agent, from_day, until_day, created_at_ms)"
    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (branch, agent, from_day)"
    " DO UPDATE SET until_day = greatest(agent_absence.until_day, $4::date)"};
static const hf_query_t SCHED_Q_SUPERVISOR_ALERT_LIST = {
    "sched_supervisor_alert_list", "SELECT " ALERT_COLUMNS " FROM alert WHERE ($1::text IS NULL OR"
                                   " branch = $1) AND ($2::boolean OR acked_at_ms = 0)"
                                   " ORDER BY raised_at_ms, id LIMIT 1000"};
static const hf_query_t SCHED_Q_SUPERVISOR_ALERT_ACK_ALERT = {
    "sched_supervisor_alert_ack_alert",
    "SELECT acked_at_ms FROM alert WHERE id = $1 AND branch = $2 FOR UPDATE"};
static const hf_query_t SCHED_Q_SUPERVISOR_ALERT_ACK_ALERT_UPDATE = {
    "sched_supervisor_alert_ack_alert_update",
    "UPDATE alert SET acked_at_ms = $4, acked_by = $3 WHERE id = $1"
    " AND branch = $2 RETURNING " ALERT_COLUMNS};

/* ---- sched_common.c ---- */

/* a task by id, locked or not */
static const hf_query_t SCHED_Q_LOAD_TASK = {"sched_load_task",
                                             "SELECT " TASK_COLUMNS TASK_FROM " WHERE t.id = $1"};
static const hf_query_t SCHED_Q_LOAD_TASK_LOCK = {
    "sched_load_task_lock", "SELECT " TASK_COLUMNS TASK_FROM " WHERE t.id = $1 FOR UPDATE OF t"};
/* A customer's copy, written only when it changes the row (issue 14, copies12): the row a copy
 * would leave as it is (every column the copy's already, created_at_ms too or the copy's 0)
 * is not written at all, neither rewritten nor locked. A refusal's copy comes after its card
 * voided and its opt-out, which wrote both; a rewrite of an unchanged row wrote a new version
 * of it (a new entry in each of its indexes when its page had no room), and waited for the
 * calllog batch that holds the customer's row. Only intake's handlers write these columns, one
 * batch at a time, so the row read is the one the upsert would find. The parameters are typed
 * here (they were the VALUES' columns' types). */
#define SCHED_COPY_UNCHANGED                                                                       \
    " WHERE NOT EXISTS (SELECT FROM customer c WHERE c.id = x.id AND (c.branch, c.name, c.phone,"  \
    " c.region, c.card_type, c.opted_out, c.dnd_until, c.windows, c.tier, c.ref_date,"             \
    " c.created_at_ms, c.address, c.language) IS NOT DISTINCT FROM (x.branch, x.name, x.phone,"    \
    " x.region, x.card_type, x.opted_out, x.dnd_until, x.windows, x.tier, x.ref_date,"             \
    " CASE WHEN x.created_at_ms > 0 THEN x.created_at_ms ELSE c.created_at_ms END, x.address,"     \
    " x.language))"
#define SCHED_COPY_CONFLICT                                                                        \
    " ON CONFLICT (id) DO UPDATE SET branch = excluded.branch, name = excluded.name,"              \
    " phone = excluded.phone, region = excluded.region, card_type = excluded.card_type,"           \
    " opted_out = excluded.opted_out, dnd_until = excluded.dnd_until,"                             \
    " windows = excluded.windows, tier = excluded.tier, ref_date = excluded.ref_date,"             \
    " created_at_ms = CASE WHEN excluded.created_at_ms > 0 THEN excluded.created_at_ms"            \
    " ELSE customer.created_at_ms END, address = excluded.address,"                                \
    " language = excluded.language"
#define SCHED_COPY_INSERT                                                                          \
    "INSERT INTO customer (id, branch, name, phone, region, card_type, opted_out, dnd_until,"      \
    " windows, tier, ref_date, created_at_ms, address, language)"
static const hf_query_t SCHED_Q_UPSERT_CUSTOMER = {
    "sched_upsert_customer",
    SCHED_COPY_INSERT " SELECT * FROM (VALUES ($1::bigint, $2::text, $3::text, $4::text, $5::text,"
                      " $6::text, $7::bool, $8::date, $9::text, $10::text, $11::date, $12::bigint,"
                      " $13::text, $14::text)) x(id, branch, name, phone, region, card_type,"
                      " opted_out, dnd_until, windows, tier, ref_date, created_at_ms, address,"
                      " language)" SCHED_COPY_UNCHANGED SCHED_COPY_CONFLICT};
static const hf_query_t SCHED_Q_CUSTOMER_WINDOWS = {"sched_customer_windows",
                                                    "SELECT windows FROM customer WHERE id = $1"};
static const hf_query_t SCHED_Q_RAISE_ALERT = {
    "sched_raise_alert", "INSERT INTO alert (branch, kind, customer_id, task_id, agent,"
                         " detail, dedup, raised_at_ms) VALUES ($1, $2, $3, $4, $5, $6,"
                         " $7, $8) ON CONFLICT (dedup) DO NOTHING RETURNING id"};
/* The tasks' room given back to their agents' days. The ids come through a scalar subquery (an
 * initplan), whose length the planner cannot count: a custom plan costs what the generic one
 * does, and the generic plan is kept after five runs; counted, the few ids of a customer looked
 * cheaper than the generic plan's guess and it was planned at every run (national_day, a tenth:
 * 1,682 plans for 1,680 runs, 245 µs of planning each, 41 µs a call logged).
 * No `agent <> ''` here (bag_date is set and cleared with the agent): it would let the plan
 * read the bags' index (task_agent, WHERE agent <> ''), and on statistics taken while every
 * bag was empty (a night's autovacuum) the planner took that index for empty and read every
 * bag of the day through it, 15 ms a run at a full tenth against 0.1 by id (e2e/266). */
static const hf_query_t SCHED_Q_RELEASE_ROOM = {
    "sched_release_room",
    "UPDATE agent_day d SET calls = greatest(0, d.calls - x.calls),"
    " visits = greatest(0, d.visits - x.visits)"
    " FROM (SELECT t.branch, t.agent, t.bag_date,"
    "   count(*) FILTER (WHERE t.channel = 'phone') AS calls," /* WeChat: no room held */
    "   count(*) FILTER (WHERE t.channel = 'visit') AS visits"
    "   FROM task t WHERE t.id = ANY ((SELECT $1::bigint[])::bigint[]) AND t.state IN ('assigned', "
    "'claimed')"
    "   AND t.bag_date IS NOT NULL GROUP BY 1, 2, 3) x"
    " WHERE d.branch = x.branch AND d.agent = x.agent AND d.day = x.bag_date"};
/* A customer's open tasks locked (their ids as an array literal, in every row) and their
 * active plans ended, in one statement: a row per plan ended, or one with a NULL plan when
 * none was (a customer cancelled again: a card voided after a refusal, an opt-out after it).
 * The plans' rows come in the UPDATE's order, as its RETURNING gave them alone. */
static const hf_query_t SCHED_Q_CANCEL_CUSTOMER = {
    "sched_cancel_customer",
    "WITH ids AS (SELECT coalesce('{' || string_agg(id::text, ',') || '}', '{}') AS ids"
    " FROM (SELECT id FROM task WHERE customer_id = $1 AND state IN"
    " ('planned', 'assigned', 'paused') ORDER BY id FOR UPDATE) x),"
    " ended AS (UPDATE plan SET state = $2, ended_at_ms = $3, end_reason = $4"
    " WHERE customer_id = $1 AND state = 'active'"
    " RETURNING id, branch, customer_id, coalesce(purchase_id, 0) AS purchase_id)"
    " SELECT ended.id, ended.branch, ended.customer_id, ended.purchase_id, ids.ids"
    " FROM ids LEFT JOIN ended ON true"};

/* ---- sched_events.c ---- */

static const hf_query_t SCHED_Q_LOAD_STEPS = {
    "sched_load_steps",
    "SELECT step_no, anchor, offset_days, window_days, repeat_days, purpose, channel, role"
    " FROM plan_step WHERE template = $1 AND branch = (SELECT max(branch) FROM plan_template"
    " WHERE code = $1 AND branch IN ($2, '')) ORDER BY step_no"};
static const hf_query_t SCHED_Q_FLEX_OFFSET_GENERATE_SERIES = {
    "sched_flex_offset_generate_series",
    "SELECT g.d, count(t.id) FROM generate_series(0, $3::int) AS g(d) LEFT JOIN task t"
    " ON t.branch = $1 AND t.role = $2 AND t.state = 'planned'"
    " AND t.due_at_ms >= $4::bigint + g.d * 86400000::bigint"
    " AND t.due_at_ms < $4::bigint + (g.d + 1) * 86400000::bigint"
    " GROUP BY g.d ORDER BY g.d"};
static const hf_query_t SCHED_Q_FLEX_OFFSET_AGENT = {
    "sched_flex_offset_agent", "SELECT coalesce(sum(CASE WHEN role IN ('visit', 'doctor')"
                               " THEN daily_visits ELSE daily_calls END), 0) FROM agent"
                               " WHERE branch = $1 AND role = $2 AND active"};
/* coalesce(purchase_id, 0) = 0: purchase_id IS NULL (NULL or > 0) that no index serves; as
 * "purchase_id IS NULL" a lead's (merged lead's) question could be planned as a walk of every
 * conversion plan by the purchase index, when the statistics were taken while plans had
 * purchases (one read of every lead's plan a lead in a load, e2e/112) */
static const hf_query_t SCHED_Q_END_EARLIER_PLANS_PLAN_UPDATE = {
    "sched_end_earlier_plans_plan_update",
    "UPDATE plan SET state = 'archived', ended_at_ms = $3,"
    " end_reason = CASE WHEN $4::bool THEN 'replaced' ELSE 'repurchased' END"
    " WHERE customer_id = $1 AND state = 'active' AND id <> $2"
    " AND (NOT $4::bool OR coalesce(purchase_id, 0) = 0)"
    " RETURNING id, branch, customer_id, coalesce(purchase_id, 0)"};
/* The earlier plans' open steps, locked: the plans ($1, ended by
 * SCHED_Q_END_EARLIER_PLANS_PLAN_UPDATE) are all the customer's ($2), so their steps are the
 * customer's tasks of those plans, read by task_customer — the plan table not joined, the
 * same rows. Both values come through scalar subqueries (initplans): a custom plan costs what
 * the generic one does and the generic plan is kept after five runs. As "(customer_id,
 * plan_id) IN (SELECT customer_id, id FROM plan WHERE id = ANY ($1::bigint[]))" the one plan
 * of most runs looked cheaper than the generic plan's ten and the join was planned at every
 * run (national_day, a full tenth: 2,672 plans for 2,670 runs, 0.43 ms each); with the plans'
 * ids alone through a subquery the generic plan joined plan to task and took 53 ms a run at
 * a tenth of the chain (e2e/266 keeps the plan and its reuse). */
static const hf_query_t SCHED_Q_END_EARLIER_PLANS_TASK = {
    "sched_end_earlier_plans_task",
    "SELECT coalesce('{' || string_agg(id::text, ',') || '}', '{}') FROM (SELECT id"
    " FROM task WHERE customer_id = (SELECT $2::bigint)"
    " AND plan_id = ANY ((SELECT $1::bigint[])::bigint[])"
    " AND state IN ('planned', 'assigned', 'paused') ORDER BY id FOR UPDATE) x"};
static const hf_query_t SCHED_Q_START_PLAN_PLAN_INSERT = {
    "sched_start_plan_plan_insert", "INSERT INTO plan (branch, customer_id, purchase_id, template,"
                                    " supply_end, started_at_ms, lead_key) VALUES ($1, $2, $3, $4,"
                                    " $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id"};
static const hf_query_t SCHED_Q_START_PLAN_TASK_INSERT = {
    "sched_start_plan_task_insert",
    "INSERT INTO task (branch, plan_id, customer_id, purchase_id, step_no,"
    " occurrence, purpose, channel, role, due_at_ms, priority, window_days,"
    " state, updated_at_ms, latest_at_ms) VALUES ($1, $2, $3, $4, $5, $6,"
    " $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id"};
static const hf_query_t SCHED_Q_ON_AGENT_UPSERTED_AGENT_INSERT = {
    "sched_on_agent_upserted_agent_insert",
    "INSERT INTO agent (branch, id, name, role, regions, daily_calls,"
    " daily_visits, active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    " ON CONFLICT (branch, id) DO UPDATE SET name = $3, role = $4,"
    " regions = $5, daily_calls = $6, daily_visits = $7, active = $8"};
static const hf_query_t SCHED_Q_ON_AGENT_UPSERTED_TASK_UPDATE = {
    "sched_on_agent_upserted_task_update",
    "UPDATE task SET reserved_agent = '' WHERE branch = $1 AND"
    " reserved_agent = $2 AND reserved_agent <> '' AND state IN ('planned', 'paused')"};
static const hf_query_t SCHED_Q_ON_PURCHASE_RECORDED = {
    "sched_on_purchase_recorded",
    "INSERT INTO purchase (id, customer_id, branch, product, quantity, price_fen,"
    " purchase_date, supply_end, days_of_supply, nth, plan) VALUES ($1, $2, $3,"
    " $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING"};
static const hf_query_t SCHED_Q_ON_CARD_TYPE_CHANGED = {
    "sched_on_card_type_changed", "UPDATE customer SET card_type = $2 WHERE id = $1"};
static const hf_query_t SCHED_Q_ON_OPTED_OUT = {
    "sched_on_opted_out", "UPDATE customer SET opted_out = true WHERE id = $1"};
static const hf_query_t SCHED_Q_ON_DND_SET_CUSTOMER_UPDATE = {
    "sched_on_dnd_set_customer_update", "UPDATE customer SET dnd_until = $2 WHERE id = $1"
                                        " RETURNING branch, windows"};
static const hf_query_t SCHED_Q_ON_DND_SET_TASK = {
    "sched_on_dnd_set_task", "SELECT coalesce('{' || string_agg(id::text, ',') || '}', '{}') FROM"
                             " (SELECT id FROM task WHERE customer_id = $1 AND state IN ('planned',"
                             " 'assigned', 'paused') AND due_at_ms < $2 ORDER BY id FOR UPDATE) x"};
/* a paused step only moves in time: it is not in the due-index (the row trigger's WHEN never
 * held for it, so this statement never listed it), the complaint's release lists it when it
 * is planned again (sched_events.c s_release_hold) */
static const hf_query_t SCHED_Q_ON_DND_SET_TASK_UPDATE = {
    "sched_on_dnd_set_task_update", "UPDATE task SET due_at_ms = $2, updated_at_ms = $3"
                                    " WHERE id = ANY ($1::bigint[]) AND state = 'paused'"};
/* A call logged, in one statement: its contact kept for the next caller ($1 > 0, a customer
 * $2 > 0), the customer's counters ($13 answered: the unanswered attempts in a row start
 * again; $14 visited: the last home visit), and its task ($3) locked, with its branch's zone
 * and windows (NULL for a branch this copy does not know). Two updates of one customer row in
 * a statement would leave one of them undone, so both counters are one UPDATE, and it writes
 * the row only when a counter changes (issue 14, copies12): most calls answered are a
 * customer's first of the day, whose count is 0 already, and rewriting the row unchanged was a
 * new version of it (new index entries when its page had no room) and its lock held to the
 * batch's commit. */
#define CALL_LOGGED_NOTE_SEEN                                                                      \
    "WITH note AS (INSERT INTO contact_note (contact_id, customer_id, task_id, branch, agent,"     \
    " channel, purpose, outcome, effect, order_qty, note, logged_at_ms)"                           \
    " SELECT $1::bigint, $2::bigint, $3::bigint, $4::text, $5::text, $6::text, $7::text,"          \
    " $8::text, $9::text, $10::int, $11::text, $12::bigint"                                        \
    " WHERE $1::bigint > 0 AND $2::bigint > 0 ON CONFLICT (contact_id) DO NOTHING),"               \
    " seen AS (UPDATE customer SET"                                                                \
    " unanswered = CASE WHEN $13::bool THEN 0 ELSE unanswered END,"                                \
    " unanswered_occasion_ms = CASE WHEN $13::bool THEN 0 ELSE unanswered_occasion_ms END,"        \
    " last_visit_ms = CASE WHEN $14::bool THEN greatest(last_visit_ms, $12::bigint)"               \
    " ELSE last_visit_ms END"                                                                      \
    " WHERE id = $2::bigint AND $2::bigint > 0 AND (($13::bool AND (unanswered <> 0"               \
    " OR unanswered_occasion_ms <> 0)) OR ($14::bool AND last_visit_ms < $12::bigint)))"
static const hf_query_t SCHED_Q_CALL_LOGGED_NOTE_TASK = {
    "sched_call_logged_note_task", CALL_LOGGED_NOTE_SEEN
    " SELECT " TASK_COLUMNS ", b.tz, b.windows" TASK_FROM " LEFT JOIN branch b ON b.code = t.branch"
    " WHERE t.id = $3::bigint AND $3::bigint > 0 FOR UPDATE OF t"};
/* The same for a contact whose claimed task ends done whatever else it does (every outcome
 * but a call not answered, which may try it again: sched_on_call_logged), and the step done
 * in it too: sched_task_move's claimed -> done of that path ($8 the outcome, $15 the time),
 * one statement, not two. Its row is the task as the move left it (of TASK_COLUMNS only its
 * state and outcome changed), with its branch's zone and windows; none when the task was not
 * claimed (a letter, a task moved on: the caller then runs SCHED_Q_CALL_LOGGED_NOTE_TASK, and
 * the note and counters, written already, stay as they are). Its customer is read as the
 * statement began, as TASK_FROM's is. The customer and branch are probes of their keys, the
 * LATERALs' LIMIT keeping them so whatever the planner guesses of the CTE's rows (a generic
 * plan is made once a connection). */
static const hf_query_t SCHED_Q_CALL_LOGGED_NOTE_DONE = {
    "sched_call_logged_note_done",
    CALL_LOGGED_NOTE_SEEN ", d AS (UPDATE task t SET state = 'done', outcome = $8::text,"
                          " updated_at_ms = $15::bigint, deadline_ms = 0 WHERE t.id = $3::bigint"
                          " AND $3::bigint > 0 AND t.state = 'claimed' RETURNING t.*)"
                          " SELECT " TASK_COLUMNS ", b.tz, b.windows FROM d t"
                          " LEFT JOIN LATERAL (SELECT * FROM customer WHERE id = t.customer_id"
                          " LIMIT 1) c ON true LEFT JOIN LATERAL (SELECT tz, windows FROM branch"
                          " WHERE code = t.branch LIMIT 1) b ON true"};
/* Customers' copies, sched_upsert_customer's statement row by row: a batch's leads
 * (sched_leads.c; new customers: every row written) and, SCHED_Q_COPIES_CHANGED, intake's
 * copies kept (sched_events.c), of which only those that change their row are written
 * (SCHED_COPY_UNCHANGED). The arrays go through a subquery the planner keeps (OFFSET 0), so
 * that the generic plan is kept, as SCHED_Q_CALL_LOGGED_NOTES_DONE's (a run of a few copies,
 * counted, was planned at every run). */
#define SCHED_COPIES_FROM                                                                          \
    " FROM (SELECT $1::bigint[] a1, $2::text[] a2, $3::text[] a3, $4::text[] a4, $5::text[] a5,"   \
    " $6::text[] a6, $7::bool[] a7, $8::text[] a8, $9::text[] a9, $10::text[] a10,"                \
    " $11::text[] a11, $12::bigint[] a12, $13::text[] a13, $14::text[] a14 OFFSET 0) p,"           \
    " unnest(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14) AS x(id, branch, name,"  \
    " phone, region, card_type, opted_out, dnd, windows, tier, ref, created, address, language)"
static const hf_query_t SCHED_Q_COPIES = {
    "sched_copies",
    SCHED_COPY_INSERT " SELECT id, branch, name, phone, region, card_type, opted_out,"
                      " nullif(dnd, '')::date, windows, tier, nullif(ref, '')::date, created,"
                      " address, language" SCHED_COPIES_FROM SCHED_COPY_CONFLICT};
static const hf_query_t SCHED_Q_COPIES_CHANGED = {
    "sched_copies_changed",
    SCHED_COPY_INSERT " SELECT * FROM (SELECT id, branch, name, phone, region, card_type,"
                      " opted_out, nullif(dnd, '')::date AS dnd_until, windows, tier,"
                      " nullif(ref, '')::date AS ref_date, created AS created_at_ms, address,"
                      " language" SCHED_COPIES_FROM ") x" SCHED_COPY_UNCHANGED SCHED_COPY_CONFLICT};
/* A run of calls logged whose claimed tasks end done and which do nothing else (the calls
 * kept, sched_events.c): SCHED_Q_CALL_LOGGED_NOTE_DONE for every element of the arrays, in one
 * statement. The run's calls are of different contacts, customers and tasks (a repeat starts a
 * new run), so each row is written once and no call reads what another of the run wrote, as
 * one at a time. Its rows: the tasks moved, each with its call's place in the run. The arrays
 * come through a subquery the planner keeps (OFFSET 0): it cannot count them, so a custom plan
 * costs what the generic one does, which is kept after five runs; counted, a run of a few calls
 * looked cheaper than the generic plan's guess and was planned again at every run (a plan of
 * three data-modifying CTEs: more than the statements it saves). */
static const hf_query_t SCHED_Q_CALL_LOGGED_NOTES_DONE = {
    "sched_call_logged_notes_done",
    "WITH x AS (SELECT x.* FROM (SELECT $1::bigint[] a1, $2::bigint[] a2, $3::bigint[] a3,"
    " $4::text[] a4, $5::text[] a5, $6::text[] a6, $7::text[] a7, $8::text[] a8, $9::text[] a9,"
    " $10::int[] a10, $11::text[] a11, $12::bigint[] a12, $13::bool[] a13, $14::bool[] a14,"
    " $15::bigint[] a15 OFFSET 0) p, unnest(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12,"
    " a13, a14, a15) WITH ORDINALITY AS x(id, cid, tid, branch, agent, channel, purpose, outcome,"
    " effect, qty, note, logged, answered, visited, at, o)), note AS (INSERT INTO contact_note "
    "(contact_id, customer_id, task_id, branch, agent,"
    " channel, purpose, outcome, effect, order_qty, note, logged_at_ms)"
    " SELECT id, cid, tid, branch, agent, channel, purpose, outcome, effect, qty, note, logged"
    " FROM x WHERE id > 0 AND cid > 0 ORDER BY o ON CONFLICT (contact_id) DO NOTHING),"
    " seen AS (UPDATE customer c SET"
    " unanswered = CASE WHEN x.answered THEN 0 ELSE c.unanswered END,"
    " unanswered_occasion_ms = CASE WHEN x.answered THEN 0 ELSE c.unanswered_occasion_ms END,"
    " last_visit_ms = CASE WHEN x.visited THEN greatest(c.last_visit_ms, x.logged)"
    " ELSE c.last_visit_ms END"
    " FROM x WHERE c.id = x.cid AND x.cid > 0 AND ((x.answered AND (c.unanswered <> 0"
    " OR c.unanswered_occasion_ms <> 0)) OR (x.visited AND c.last_visit_ms < x.logged))),"
    " d AS (UPDATE task t SET state = 'done', outcome = x.outcome, updated_at_ms = x.at,"
    " deadline_ms = 0 FROM x WHERE t.id = x.tid AND x.tid > 0 AND t.state = 'claimed'"
    " RETURNING t.*, x.o)"
    " SELECT " TASK_COLUMNS ", t.o FROM d t"
    " LEFT JOIN LATERAL (SELECT * FROM customer WHERE id = t.customer_id LIMIT 1) c ON true"};
static const hf_query_t SCHED_Q_SEND_DOCTOR = {
    "sched_send_doctor", "INSERT INTO task (branch, plan_id, customer_id, purchase_id,"
                         " step_no, occurrence, purpose, channel, role, due_at_ms,"
                         " priority, state, updated_at_ms, origin, parent_id, contact_id)"
                         " VALUES ($1, $2, $3, $4, 0, 0, 'adverse-reaction', 'visit',"
                         " 'doctor', $5, $6, 'planned', $5, 'adverse', $7, $8)"
                         " ON CONFLICT DO NOTHING RETURNING id"};
static const hf_query_t SCHED_Q_PLAN_CALLBACK = {
    "sched_plan_callback", "INSERT INTO task (branch, plan_id, customer_id, purchase_id,"
                           " step_no, occurrence, purpose, channel, role, due_at_ms,"
                           " priority, state, updated_at_ms, origin, parent_id, contact_id,"
                           " reserved_agent, deadline_ms) VALUES ($1, $2, $3, $4, $5, 0,"
                           " 'callback', $6, $7, $8, $9, 'planned', $10, 'callback', $11,"
                           " $12, $13, $14) ON CONFLICT DO NOTHING RETURNING id"};
static const hf_query_t SCHED_Q_PLAN_PROMISED = {
    "sched_plan_promised", "INSERT INTO task (branch, plan_id, customer_id, purchase_id, step_no,"
                           " occurrence, purpose, channel, role, due_at_ms, priority, state,"
                           " updated_at_ms, origin, parent_id, contact_id, reserved_agent)"
                           " VALUES ($1, $2, $3, $4, 0, 0, $5, $6, $7, $8, $9, 'planned', $10,"
                           " 'promised', $11, $12, $13) ON CONFLICT DO NOTHING RETURNING id"};
/* A call not answered, counted once per occasion ($7 the customer, $8 the occasion): the WITH
 * of the move that tries the task again (sched_on_call_logged), which reads the count. */
#define SCHED_UNANSWERED_WITH                                                                      \
    "u AS (UPDATE customer SET unanswered = unanswered + CASE WHEN"                                \
    " unanswered_occasion_ms = $8::bigint THEN 0 ELSE 1 END,"                                      \
    " unanswered_occasion_ms = $8::bigint WHERE id = $7 RETURNING unanswered)"
static const hf_query_t SCHED_Q_SEND_DOCTOR_FOR_COMPLAINT = {
    "sched_send_doctor_for_complaint",
    "INSERT INTO task (branch, customer_id, purchase_id, step_no,"
    " occurrence, purpose, channel, role, due_at_ms, priority, state,"
    " updated_at_ms, origin, complaint_id) VALUES ($1, $2, 0, 0, 0,"
    " 'adverse-reaction', 'visit', 'doctor', $3, $4, 'planned', $3,"
    " 'adverse', $5) ON CONFLICT DO NOTHING RETURNING id"};
static const hf_query_t SCHED_Q_ON_COMPLAINT_OPENED_COMPLAINT_HOLD_INSERT = {
    "sched_on_complaint_opened_complaint_hold_insert",
    "INSERT INTO complaint_hold (complaint_id, customer_id, opened_at_ms)"
    " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"};
static const hf_query_t SCHED_Q_ON_COMPLAINT_OPENED_TASK = {
    "sched_on_complaint_opened_task",
    "SELECT coalesce('{' || string_agg(id::text, ',') || '}', '{}')"
    " FROM (SELECT id FROM task WHERE customer_id = $1 AND state IN"
    " ('planned', 'assigned') AND purpose = ANY ($2::text[])"
    " ORDER BY id FOR UPDATE) x"};
static const hf_query_t SCHED_Q_RELEASE_HOLD = {"sched_release_hold",
                                                "DELETE FROM complaint_hold WHERE complaint_id = $1"
                                                " RETURNING customer_id"};
static const hf_query_t SCHED_Q_ON_RETURN_DECIDED_TASK = {
    "sched_on_return_decided_task", "SELECT coalesce('{' || string_agg(id::text, ',') || '}', '{}')"
                                    " FROM (SELECT id FROM task WHERE purchase_id = $1 AND"
                                    " customer_id IN (SELECT customer_id FROM purchase WHERE id ="
                                    " $1 UNION SELECT customer_id FROM plan WHERE purchase_id = $1)"
                                    " AND state IN ('planned', 'assigned', 'paused') ORDER BY id"
                                    " FOR UPDATE) x"};
static const hf_query_t SCHED_Q_ON_RETURN_DECIDED_PLAN_UPDATE = {
    "sched_on_return_decided_plan_update",
    "UPDATE plan SET state = 'cancelled', ended_at_ms = $2,"
    " end_reason = 'returned' WHERE purchase_id = $1 AND state = 'active'"
    " RETURNING id, branch, customer_id, coalesce(purchase_id, 0)"};

/* ---- sched_house.c ---- */

static const hf_query_t SCHED_Q_ARCHIVE_BRANCH_PLAN_UPDATE = {
    "sched_archive_branch_plan_update",
    "UPDATE plan SET state = 'archived', ended_at_ms = $3,"
    " end_reason = 'supply-used-up' WHERE id IN (SELECT id FROM plan"
    " WHERE branch = $1 AND state = 'active' AND supply_end < $2::date"
    " ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED)"
    " RETURNING id, branch, customer_id, coalesce(purchase_id, 0)"};
static const hf_query_t SCHED_Q_ARCHIVE_BRANCH_TASK = {
    "sched_archive_branch_task",
    "SELECT coalesce('{' || string_agg(id::text, ',') || '}', '{}') FROM (SELECT id FROM"
    " task WHERE (customer_id, plan_id) IN (SELECT customer_id, id FROM plan WHERE id ="
    " ANY ($1::bigint[])) AND state IN ('planned', 'assigned', 'paused') ORDER BY id"
    " FOR UPDATE) x"};
static const hf_query_t SCHED_Q_ARCHIVE_BRANCHES = {
    /* a probe of plan_active_end per branch, not a join with every active plan (11 ms at
     * 5,000 plans in the national day's profile, each house round of each instance). A
     * LIMIT 1 subquery, not EXISTS: the statement has no parameters, so its one plan is made
     * when it is prepared, and made on a small plan table EXISTS became a semi-join that
     * reads every active plan (34 ms a round, up to 133, during a load of 100,000 leads;
     * seconds at ten million) until autovacuum's statistics replan it. ORDER BY supply_end,
     * plan_active_end's order: a walk of plan until the first match would otherwise look
     * cheaper than the probe to the planner whenever a branch holds many active plans. The
     * probe's row is the branch's earliest supply end (a day number): a branch whose earliest
     * is not before its cutoff has nothing to archive, and s_archive skips its transaction
     * (its BEGIN, UPDATE and COMMIT ran every round on each instance, 0.66 a call logged) */
    "sched_archive_branches",
    "SELECT code, tz, e FROM (SELECT b.code, b.tz, (SELECT p.supply_end - date '1970-01-01'"
    " FROM plan p WHERE p.branch = b.code AND p.state = 'active'"
    " ORDER BY p.supply_end LIMIT 1) AS e FROM branch b) x WHERE e IS NOT NULL"};
static const hf_query_t SCHED_Q_MISSED_CALLBACKS_TASK = {
    "sched_missed_callbacks_task", "SELECT id, branch, customer_id, misses, reserved_agent, agent"
                                   " FROM task WHERE deadline_ms > 0 AND deadline_ms <= $1"
                                   " AND state IN ('planned', 'assigned') ORDER BY deadline_ms"
                                   " LIMIT 500 FOR UPDATE SKIP LOCKED"};
static const hf_query_t SCHED_Q_MISSED_CALLBACKS_TASK_UPDATE = {
    "sched_missed_callbacks_task_update",
    "UPDATE task SET misses = 2, deadline_ms = 0, updated_at_ms = $2"
    " WHERE id = $1"};
static const hf_query_t SCHED_Q_UNVISITED_MEMBERS = {
    "sched_unvisited_members",
    /* the members' ids from the two partial indexes (migrations 017, 028), in id order so the
     * customers are read in the order of their pages: members are read, never everyone (the
     * member tiers' ids from customer_member alone, its predicate; the void and opted out
     * among them left out with the rows, as the plans' are) */
    "WITH m AS (SELECT c.id, c.branch, c.last_visit_ms, coalesce((SELECT min(p.started_at_ms)"
    "   FROM plan p WHERE p.customer_id = c.id AND p.template = 'member'),"
    "   nullif(c.created_at_ms, 0)) AS since FROM (SELECT DISTINCT i.id FROM"
    "   (SELECT c.id FROM customer c WHERE c.tier IN ('gold', 'silver', 'member')"
    "   UNION ALL SELECT p.customer_id"
    "   FROM plan p WHERE p.template = 'member' AND p.state = 'active') i ORDER BY i.id) ids"
    "   JOIN customer c ON c.id = ids.id WHERE NOT c.opted_out AND c.card_type <> 'void')"
    " SELECT id, branch, greatest(last_visit_ms, since) AS ref, $1::bigint - since < $2::bigint"
    " FROM m WHERE since IS NOT NULL AND $1::bigint - greatest(last_visit_ms, since) >"
    "   CASE WHEN $1::bigint - since < $2::bigint THEN $3::bigint ELSE $4::bigint END"
    " AND NOT EXISTS (SELECT 1 FROM alert x WHERE x.dedup = 'member-unvisited:' || m.id"
    "   || ':' || greatest(m.last_visit_ms, m.since)) ORDER BY id LIMIT 500"};
static const hf_query_t SCHED_Q_ROLL_BAGS_TASK = {
    "sched_roll_bags_task",
    "SELECT coalesce('{' || string_agg(id::text, ',') || '}', '{}'),"
    " count(*) FROM (SELECT id FROM task WHERE branch = $1"
    " AND agent <> '' AND agent IN (SELECT a.id FROM agent a WHERE a.branch = $1"
    " AND ($2 = '' OR a.id = $2)) AND state = 'assigned'"
    " AND bag_date < $3::date ORDER BY id LIMIT 500"
    " FOR UPDATE SKIP LOCKED) x"};
static const hf_query_t SCHED_Q_ROLL_BAGS_TASK_UPDATE = {
    "sched_roll_bags_task_update",
    "UPDATE task t SET bag_date = $2::date, rolls = t.rolls + 1,"
    " updated_at_ms = $3, priority = CASE WHEN t.priority >= 49 OR"
    " (t.latest_at_ms > 0 AND t.latest_at_ms >= $4::bigint) THEN t.priority"
    " ELSE t.priority + 1 END WHERE t.id = ANY ($1::bigint[]) AND t.state = 'assigned'"};
static const hf_query_t SCHED_Q_ROLL_BAGS_AGENT_DAY_INSERT = {
    "sched_roll_bags_agent_day_insert",
    "INSERT INTO agent_day AS d (branch, agent, day, calls, visits)"
    " SELECT $3, agent, $2::date, count(*) FILTER (WHERE channel = 'phone'),"
    " count(*) FILTER (WHERE channel = 'visit') FROM task"
    " WHERE id = ANY ($1::bigint[]) AND state = 'assigned' GROUP BY agent"
    " ON CONFLICT (branch, agent, day) DO UPDATE"
    " SET calls = d.calls + excluded.calls, visits = d.visits + excluded.visits"};
static const hf_query_t SCHED_Q_ROLL_BAGS_TASK_2 = {
    "sched_roll_bags_task_2",
    "SELECT count(*) FROM task WHERE branch = $1 AND agent <> '' AND agent IN (SELECT a.id FROM "
    "agent a"
    " WHERE a.branch = $1 AND ($2 = '' OR a.id = $2)) AND state = 'assigned'"
    " AND bag_date < $3::date"};
static const hf_query_t SCHED_Q_BRANCH_CODES = {"sched_branch_codes",
                                                "SELECT code FROM branch ORDER BY code"};

/* ---- sched_letters.c ---- */

static const hf_query_t SCHED_Q_LETTERS_BATCH = {
    "sched_letters_batch",
    "SELECT t.id, t.customer_id, coalesce(c.name, ''), coalesce(c.address, ''),"
    " coalesce(c.region, ''), t.purpose, t.purchase_id, coalesce(pu.product, ''), t.state,"
    " coalesce(c.language, '')"
    " FROM task t LEFT JOIN customer c ON c.id = t.customer_id"
    " LEFT JOIN purchase pu ON pu.id = t.purchase_id"
    " WHERE t.branch = $1 AND t.state = 'planned' AND t.channel = 'letter'"
    " AND t.due_at_ms >= $2::bigint AND t.due_at_ms < $3::bigint"
    " ORDER BY coalesce(c.region, ''), t.customer_id, t.id"};

/* ---- sched_occasion.c ---- */

static const hf_query_t SCHED_Q_OCCASION_MADE_MARK = {
    "sched_occasion_made_mark", "UPDATE occasion_made m SET result = $2, task_id = u.t FROM"
                                " unnest($3::bigint[], $4::bigint[]) AS u(c, t)"
                                " WHERE m.key = $1 AND m.customer_id = u.c"};
static const hf_query_t SCHED_Q_OCCASION_CLAIM = {
    "sched_occasion_claim",
    "WITH claimed AS (INSERT INTO occasion_made (key, customer_id, branch, day, result,"
    " at_ms) SELECT $9, x.cid, $2, $3::date, 'dropped', $10::bigint FROM unnest($1::bigint[])"
    " AS x(cid) ON CONFLICT DO NOTHING RETURNING customer_id)"
    " SELECT k.customer_id, c.id IS NOT NULL, coalesce(c.opted_out, false),"
    " coalesce(c.card_type, ''), coalesce(c.dnd_until >= $3::date, false),"
    " coalesce(c.windows, ''),"
    " (SELECT t.id FROM task t WHERE t.customer_id = k.customer_id AND t.branch = $2 AND"
    " ((t.state IN ('assigned', 'claimed') AND t.bag_date = $3::date) OR (t.state IN"
    " ('planned', 'paused') AND t.due_at_ms >= $4::bigint AND t.due_at_ms < $5::bigint))"
    " ORDER BY t.priority DESC, t.id LIMIT 1),"
    " (SELECT count(*) FROM task t WHERE t.customer_id = k.customer_id AND " SCHED_CAP_CHANNELS
    " AND ((t.state IN"
    " ('assigned', 'claimed', 'done') AND t.outcome <> 'skipped' AND t.bag_date BETWEEN"
    " $6::date AND $6::date + 6) OR (t.state IN ('planned', 'paused') AND t.due_at_ms >="
    " $7::bigint AND t.due_at_ms < $8::bigint)))"
    " FROM claimed k LEFT JOIN customer c ON c.id = k.customer_id AND c.branch = $2"
    " ORDER BY k.customer_id"};
static const hf_query_t SCHED_Q_ON_OCCASION_DUE_TASK_UPDATE = {
    "sched_on_occasion_due_task_update",
    "UPDATE task SET talking_points = CASE WHEN talking_points = ''"
    " THEN $2 ELSE talking_points || E'\\n' || $2 END"
    " WHERE id = $1::bigint"};
static const hf_query_t SCHED_Q_ON_OCCASION_DUE_TASK_INSERT = {
    "sched_on_occasion_due_task_insert",
    "INSERT INTO task (branch, plan_id, customer_id, purchase_id, step_no, occurrence,"
    " purpose, channel, role, due_at_ms, priority, state, updated_at_ms, origin,"
    " talking_points) SELECT $1, NULL, u.cid, 0, 0, 0, $3, 'phone', 'phone', u.due,"
    " $5::int, 'planned', $6::bigint, 'occasion', $7 FROM unnest($2::bigint[],"
    " $4::bigint[]) AS u(cid, due) RETURNING customer_id, id"};
static const hf_query_t SCHED_Q_ON_OCCASION_DUE_OCCASION_MADE_UPDATE = {
    "sched_on_occasion_due_occasion_made_update",
    "UPDATE occasion_made m SET reason = u.r FROM unnest($2::bigint[],"
    " $3::text[]) AS u(c, r) WHERE m.key = $1 AND m.customer_id = u.c"};

/* ---- sched_preview.c ---- */

static const hf_query_t SCHED_Q_BAG_PREVIEW = {
    "sched_bag_preview", "SELECT " TASK_COLUMNS TASK_FROM " WHERE t.branch = $1"
                         " AND t.state = 'planned' AND t.channel <> 'letter'"
                         " AND t.due_at_ms >= $2::bigint"
                         " AND t.due_at_ms < $3::bigint ORDER BY t.priority DESC,"
                         " t.due_at_ms, t.id LIMIT $4::int"};

/* ---- sched_leads.c: a batch's leads as sets ---- */

/* the leads' plans, in order; a lead_key seen before is a no-op */
static const hf_query_t SCHED_Q_LEADS_PLANS = {
    "sched_leads_plans",
    "INSERT INTO plan (branch, customer_id, purchase_id, template, supply_end, started_at_ms,"
    " lead_key) SELECT b, c, NULL, t, e::date, $6, k FROM unnest($1::text[], $2::bigint[],"
    " $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS x(b, c, t, e, k, o) ORDER BY o"
    " ON CONFLICT DO NOTHING RETURNING id, customer_id"};
/* the kept customers with an earlier conversion plan still active, looked up customer by
 * customer (plan_customer), each one's new plan set aside; sched_leads.c runs it unprepared.
 * Not "customer_id = ANY ($1) AND id <> ALL ($2)" over the table: a load grows plan from
 * nothing faster than its statistics follow, and a plan made while the table was small (or
 * stale statistics on purchase_id, all NULL for leads) read every plan and compared it with
 * every kept lead, 170-280 ms a batch at 100,000 plans. coalesce(purchase_id, 0) = 0 is
 * purchase_id IS NULL (a plan's purchase is NULL or > 0) that no index on it can serve. */
static const hf_query_t SCHED_Q_LEADS_EARLIER = {
    "sched_leads_earlier",
    "SELECT x.c FROM unnest($1::bigint[], $2::bigint[]) AS x(c, id) WHERE (SELECT true"
    " FROM plan p WHERE p.customer_id = x.c AND p.state = 'active' AND p.id <> x.id"
    " AND coalesce(p.purchase_id, 0) = 0 LIMIT 1)"};
/* the tasks: sched_start_plan's statement, row by row, in order */
static const hf_query_t SCHED_Q_LEADS_TASKS = {
    "sched_leads_tasks",
    "INSERT INTO task (branch, plan_id, customer_id, purchase_id, step_no, occurrence,"
    " purpose, channel, role, due_at_ms, priority, window_days, state, updated_at_ms,"
    " latest_at_ms) SELECT b, pl::bigint, c::bigint, 0, s::int, oc::int, pu, ch, ro,"
    " du::bigint, pr::int, w::int, st, $14, la::bigint FROM unnest($1::text[], $2::text[],"
    " $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],"
    " $10::text[], $11::text[], $12::text[], $13::text[]) WITH ORDINALITY"
    " AS x(b, pl, c, s, oc, pu, ch, ro, du, pr, w, st, la, o) ORDER BY o"
    " RETURNING id, plan_id, step_no, occurrence"};

#endif
