#!/usr/bin/env bash
# The task table's indexes (issue 14, migration 023): every statement of the scheduler that
# reads task keeps an index to read it by on a store of a national load's shape, and no index
# of task is written that no statement reads. A non-HOT write of task (a new task, a move
# into a bag) puts an entry into every index whose predicate the row matches, so an index
# nobody reads is pure cost on the load's and the assignment's path; one dropped too many
# turns a statement into a walk of the table. On a store of 100,000 leads' plans (two tasks
# each, a day's work in bags, callbacks, greetings, campaign and complaint tasks), analysed:
#  - every named statement of scheduler_sql.h that names task is prepared as the service
#    prepares it and its generic plan (what a prepared statement keeps after five runs) read
#    with EXPLAIN: none may scan task sequentially, except the few listed below with why;
#  - the indexes those plans use, together with the ones that keep a rule (the unique ones,
#    read by every insert), are exactly the indexes task has: an index no statement uses
#    fails (it costs every write), and so does a statement that lost the index it needs;
#  - the ones dropped (migrations 014, 023, 027) are not needed: no statement walks task
#    without them. task_plan_step (unique plan, step, occurrence; 027) kept no rule that
#    the plan's own unique keys do not: a plan's tasks are written once, by the transaction
#    that made the plan. What each write of a task costs: tests/e2e/252_task_index_entries.sh.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-03 10:00 +0800'
# the scheduler runs once for its migrations, then stops: the store is written here
hf_stack_start scheduler
hf_service_stop scheduler
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }

# ---- 1. a national load's store, a tenth of a tenth: 100 branches, 100,000 leads -----------
T0=1793584800000 # 2026-11-03 10:00 Beijing, UTC ms
sql "SET search_path TO scheduler;
     INSERT INTO customer (id, branch, name, phone)
         SELECT i, 'B' || lpad((i % 100)::text, 3, '0'), 'n' || i, '139' || lpad(i::text, 8, '0')
           FROM generate_series(1, 100000) i;
     INSERT INTO plan (id, branch, customer_id, purchase_id, template, supply_end, started_at_ms, lead_key)
         SELECT i, 'B' || lpad((i % 100)::text, 3, '0'), i, NULL, 'new-lead', date '2026-12-03', $T0, 'lead:' || i
           FROM generate_series(1, 100000) i;
     SELECT setval('plan_id_seq', 100000);
     -- two steps a lead: the first call in days 1-7, the second a month on; a day's work in bags
     INSERT INTO task (branch, plan_id, customer_id, step_no, occurrence, purpose, channel, role,
                       due_at_ms, priority, window_days, state, agent, bag_date, updated_at_ms, latest_at_ms)
         SELECT 'B' || lpad((i % 100)::text, 3, '0'), i, i, s, 0, 'first-call', 'phone', 'phone',
                $T0 + (s - 1) * 30 * 86400000::bigint + (i % 7) * 86400000::bigint + (i % 36000) * 1000,
                1, 3, st, CASE WHEN st = 'planned' THEN '' ELSE 'A' || lpad((i % 10)::text, 2, '0') END,
                CASE WHEN st = 'planned' THEN NULL ELSE date '2026-11-03' END, $T0, 0
           FROM generate_series(1, 100000) i, generate_series(1, 2) s,
                LATERAL (SELECT CASE WHEN s = 2 OR i % 100 >= 20 THEN 'planned'
                                     WHEN i % 100 < 10 THEN 'done' WHEN i % 100 < 15 THEN 'assigned'
                                     ELSE 'claimed' END AS st) x;
     -- callbacks (a contact's, with a deadline), greetings, campaign and complaint visits
     INSERT INTO task (branch, plan_id, customer_id, step_no, purpose, channel, role, due_at_ms,
                       priority, state, updated_at_ms, origin, parent_id, contact_id, reserved_agent, deadline_ms)
         SELECT 'B' || lpad((i % 100)::text, 3, '0'), i, i, 1, 'callback', 'phone', 'phone',
                $T0 + 3600000, 1, 'planned', $T0, 'callback', i, 500000 + i, 'A01', $T0 + 7200000
           FROM generate_series(1, 2000) i;
     INSERT INTO task (branch, customer_id, step_no, purpose, channel, role, due_at_ms, priority,
                       state, updated_at_ms, origin)
         SELECT 'B' || lpad((i % 100)::text, 3, '0'), i, 0, 'birthday', 'phone', 'phone',
                $T0 + (i % 5) * 86400000::bigint, 1, 'planned', $T0, 'occasion'
           FROM generate_series(1, 3000) i;
     INSERT INTO task (branch, customer_id, step_no, purpose, channel, role, due_at_ms, priority,
                       state, updated_at_ms, origin, campaign_id)
         SELECT 'B' || lpad((i % 100)::text, 3, '0'), i, 0, 'campaign-invite', 'phone', 'phone',
                $T0 + 86400000, 1, 'planned', $T0, 'campaign', 1 + i % 10
           FROM generate_series(1, 2000) i;
     INSERT INTO task (branch, customer_id, step_no, purpose, channel, role, due_at_ms, priority,
                       state, updated_at_ms, origin, complaint_id)
         SELECT 'B' || lpad((i % 100)::text, 3, '0'), i, 0, 'adverse-reaction', 'visit', 'doctor',
                $T0, 1, 'planned', $T0, 'adverse', i
           FROM generate_series(1, 200) i;
     TRUNCATE task_unindexed" >/dev/null
# statistics from every row (a sample of 30,000 rows of 207,200 moves the plans from run to run)
for t in task plan customer; do
    PGOPTIONS='-c default_statistics_target=1000' sql "VACUUM ANALYZE scheduler.$t" >/dev/null
done
hf_expect_eq 207200 "$(sql 'SELECT count(*) FROM scheduler.task')" "the store's tasks"

# ---- 2. every statement that names task, its generic plan -----------------------------------
python3 "$HF_SOURCE/tests/e2e/sched_generic_plans.py" "$HF_SOURCE" "$HUIFANG_STORE_URL" >"$HF_E2E_TMP/plans.txt"
cat "$HF_E2E_TMP/plans.txt" >&2
plans=$HF_E2E_TMP/plans.txt
uses() { awk -v n="$1" '$1 == n { $1 = ""; print }' "$plans"; }
[[ $(wc -l <"$plans") -ge 50 ]] || hf_fail "only $(wc -l <"$plans") statements found in scheduler_sql.h"
hf_expect_eq "" "$(awk '$2 == "ERROR"' "$plans")" "every statement prepares"

# ---- 3. no statement walks task or plan ------------------------------------------------------
# except the due-index's rebuild from every planned task (Redis lost its index, or an operator
# asked for it: a walk is the cheapest way to read every planned task of the table)
hf_expect_eq "" "$(grep -E 'SEQSCAN' "$plans" | grep -vE '^sched_(reindex_planned|queue_rebuild) ')" \
    "statements that scan task or plan sequentially"

# ---- 4. the key statements read the index they are written for -------------------------------
expect_use() { # STATEMENT INDEX WHY
    [[ " $(uses "$1") " == *" $2 "* ]] || hf_fail "$1 does not use $2 ($3): $(uses "$1")"
}
expect_use sched_task_next task_agent "an agent's bag, each task next"
expect_use sched_preempt task_agent "the preemption's victim in a bag"
expect_use sched_roll_bags_task task_agent "yesterday's bags rolled over"
expect_use sched_move_absent_task task_agent "an absent agent's bag"
expect_use sched_day_loads_task task_agent "a campaign's day loads: the bags"
expect_use sched_cap_check task_customer "the weekly contact cap"
expect_use sched_flex_offset_generate_series task_branch_due "a flexible step's room, each new plan"
expect_use sched_queue_stats task_branch_due "the planned count per branch"
expect_use sched_missed_callbacks_task task_deadline "callbacks past their deadline"
expect_use sched_on_agent_upserted_task_update task_reserved "a deactivated agent's promises"
expect_use sched_move_absent_task_update task_reserved "an absent agent's promises"
expect_use sched_leads_earlier plan_customer "a load's earlier plans"
expect_use sched_on_return_decided_task plan_purchase "a returned purchase's plan"

# ---- 5. every index of task is read, or keeps a rule -----------------------------------------
# the unique ones make a contact's, a complaint's and a campaign's tasks exactly-once (every
# insert of such a task reads them; a plan's tasks are once by plan_purchase and plan_lead_key,
# of plan); task_occasion_open is read by the greetings' expiry, a statement put together in
# sched_occasion.c
rules="task_from_contact task_from_complaint task_campaign task_occasion_open"
used=$(tr ' ' '\n' <"$plans" | grep -E '^task_' | grep -v '^task_unindexed' | sort -u | tr '\n' ' ')
for ix in $(sql "SELECT indexname FROM pg_indexes WHERE schemaname = 'scheduler' AND tablename = 'task' ORDER BY 1"); do
    [[ $ix == task_pkey || " $used $rules " == *" $ix "* ]] ||
        hf_fail "index $ix of task is written by every task it holds and read by no statement"
done
# the ones no statement reads, and why they went (migrations 014, 023, 027): not there
hf_expect_eq "" "$(sql "SELECT string_agg(indexname, ' ') FROM pg_indexes WHERE schemaname = 'scheduler'
                        AND indexname IN ('task_plan', 'task_bag_open', 'task_purchase', 'task_unindexed',
                                          'task_unindexed_branch', 'task_unindexed_spoken',
                                          'task_plan_step')")" \
    "indexes of task that nothing reads"
# the statements that name a plan's tasks by plan read them through the customer's index
expect_use sched_end_earlier_plans_task task_customer "an ended plan's open steps"
expect_use sched_archive_branch_task task_customer "an archived plan's open steps"
hf_expect_eq "task_agent|(branch, agent, state, bag_date) WHERE (agent <> ''::text)" \
    "$(sql "SELECT indexname, substring(indexdef FROM '\(.*') FROM pg_indexes WHERE indexname = 'task_agent'")" \
    "task_agent holds the tasks in bags only"
hf_log "ok: $(wc -l <"$plans") statements, each on an index; the indexes of task: $used"
