#!/usr/bin/env bash
# The scheduler's plans on statistics of the night (issue 14, "A national day, measured"): task's
# statistics are taken whenever autovacuum comes by, and on the night's store no task is in a
# bag. The planner then believes task_agent (the bags' index, WHERE agent <> '') empty, and a
# statement that names its tasks by id but also says `agent <> ''` was planned through the
# bags, all of them, the whole next day: the release of an agent's room (SCHED_Q_RELEASE_ROOM,
# every cancelled customer's tasks) took 15 ms a run at a full tenth of the chain against
# 0.1 ms, the scheduler's backends 3.1 against 1.6 ms a call logged, when the benchmark's store
# was analysed after its load (national_day, NATDAY_VACUUM=1).
# Here, on a store of 20,000 leads' tasks:
#  - statistics taken with every bag empty (autovacuum off for task: no pass may take them
#    again), then a day's work put into the bags;
#  - no statement's generic plan reads task through task_agent on those statistics unless it
#    does on the day's own (taken after, for the comparison): a bag is read through the bags'
#    index whatever the statistics, a list of ids by id;
#  - the release of three tasks' room, run as the service runs it (prepared, its generic plan),
#    reads a handful of buffers, not the bags.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-03 10:00 +0800'
# the scheduler runs once for its migrations, then stops: the store is written here
hf_stack_start scheduler
hf_service_stop scheduler
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }

# ---- 1. the night's store: 20,000 leads' plans, two calls each, no bag ---------------------
T0=1793584800000 # 2026-11-03 10:00 Beijing, UTC ms
sql "SET search_path TO scheduler;
     ALTER TABLE task SET (autovacuum_enabled = off, toast.autovacuum_enabled = off);
     INSERT INTO customer (id, branch, name, phone)
         SELECT i, 'B' || lpad((i % 20)::text, 3, '0'), 'n' || i, '139' || lpad(i::text, 8, '0')
           FROM generate_series(1, 20000) i;
     INSERT INTO plan (id, branch, customer_id, purchase_id, template, supply_end, started_at_ms, lead_key)
         SELECT i, 'B' || lpad((i % 20)::text, 3, '0'), i, NULL, 'new-lead', date '2026-12-03', $T0, 'lead:' || i
           FROM generate_series(1, 20000) i;
     SELECT setval('plan_id_seq', 20000);
     INSERT INTO task (branch, plan_id, customer_id, step_no, occurrence, purpose, channel, role,
                       due_at_ms, priority, window_days, state, updated_at_ms, latest_at_ms)
         SELECT 'B' || lpad((i % 20)::text, 3, '0'), i, i, s, 0, 'first-call', 'phone', 'phone',
                $T0 + (s - 1) * 30 * 86400000::bigint + (i % 7) * 86400000::bigint, 1, 3,
                'planned', $T0, 0
           FROM generate_series(1, 20000) i, generate_series(1, 2) s;
     TRUNCATE task_unindexed" >/dev/null
sql "VACUUM ANALYZE scheduler.task" >/dev/null
hf_expect_eq 0 "$(sql "SELECT count(*) FROM scheduler.task WHERE agent <> ''")" "tasks in bags at night"

# ---- 2. the day: a third of the first calls in ten agents' bags a branch -------------------
sql "SET search_path TO scheduler;
     UPDATE task SET state = CASE WHEN customer_id % 6 = 0 THEN 'claimed' ELSE 'assigned' END,
            agent = 'A' || lpad((customer_id % 10)::text, 2, '0'), bag_date = date '2026-11-03'
      WHERE step_no = 1 AND customer_id % 3 = 0;
     INSERT INTO agent_day (branch, agent, day, calls)
         SELECT branch, agent, bag_date, count(*) FROM task WHERE agent <> '' GROUP BY 1, 2, 3" >/dev/null
BAGS=$(sql "SELECT count(*) FROM scheduler.task WHERE agent <> ''")
[[ $BAGS -ge 6000 ]] || hf_fail "only $BAGS tasks in bags"

# ---- 3. the generic plans on the night's statistics, then on the day's ---------------------
python3 "$HF_SOURCE/tests/e2e/sched_generic_plans.py" "$HF_SOURCE" "$HUIFANG_STORE_URL" >"$HF_E2E_TMP/night.txt"
sql "ANALYZE scheduler.task" >/dev/null
python3 "$HF_SOURCE/tests/e2e/sched_generic_plans.py" "$HF_SOURCE" "$HUIFANG_STORE_URL" >"$HF_E2E_TMP/day.txt"
hf_expect_eq "" "$(awk '$2 == "ERROR"' "$HF_E2E_TMP/night.txt" "$HF_E2E_TMP/day.txt")" "every statement prepares"
[[ $(wc -l <"$HF_E2E_TMP/night.txt") -ge 50 ]] || hf_fail "only $(wc -l <"$HF_E2E_TMP/night.txt") statements found"
# the statements through the bags on the night's statistics but not on the day's
through_bags=$(join <(sort "$HF_E2E_TMP/night.txt" | awk '{ print $1, ($0 ~ / task_agent( |$)/) }') \
    <(sort "$HF_E2E_TMP/day.txt" | awk '{ print $1, ($0 ~ / task_agent( |$)/) }') |
    awk '$2 == 1 && $3 == 0 { print $1 }')
hf_expect_eq "" "$through_bags" "statements that read the bags only on the night's statistics"
uses() { awk -v n="$1" '$1 == n { $1 = ""; print }' "$2"; }
[[ " $(uses sched_release_room "$HF_E2E_TMP/night.txt") " == *" task_pkey "* ]] ||
    hf_fail "sched_release_room does not read its tasks by id on the night's statistics: $(uses sched_release_room "$HF_E2E_TMP/night.txt")"

# the plans' ended steps (a purchase's): the customer's tasks by task_customer, on both
for f in night day; do
    u=$(uses sched_end_earlier_plans_task "$HF_E2E_TMP/$f.txt")
    [[ " $u " == *" task_customer "* && " $u " != *SEQSCAN* ]] ||
        hf_fail "sched_end_earlier_plans_task on the $f's statistics reads: $u"
done

# ---- 3b. the statements named by their ids keep their generic plan (issue 14) ---------------
# Run as the service runs them (prepared, eight times, values of the store's customers and
# tasks), Postgres keeps the generic plan after its five custom ones: generic_plans grows.
# The moves of a customer's (a plan's) tasks are texts of sched_task_move: its where
# (SCHED_WHERE_IDS) and keyed guard.
WHERE_IDS=$(sed -n 's/^#define SCHED_WHERE_IDS "\(.*\)"$/\1/p' "$HF_SOURCE/services/scheduler/scheduler_internal.h")
[[ -n $WHERE_IDS ]] || hf_fail "SCHED_WHERE_IDS not found"
MOVE="UPDATE task t SET state = 'cancelled', outcome = \$2, updated_at_ms = \$3 WHERE ($WHERE_IDS)
      AND ((t.state IN ('planned', 'assigned', 'paused')) IS TRUE)"
EARLIER=$(python3 "$HF_SOURCE/tests/e2e/sched_generic_plans.py" "$HF_SOURCE" --text sched_end_earlier_plans_task)
EXECS=$(sql "SELECT 'EXECUTE earlier(''{' || min(plan_id) || '}'', ' || customer_id || ');'
                  || ' EXECUTE move(''{' || string_agg(id::text, ',') || '}'', ''why'', 0);'
             FROM scheduler.task WHERE customer_id IN (3, 6, 9, 12, 15, 18, 21, 24)
            GROUP BY customer_id ORDER BY customer_id")
kept=$(psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" <<SQL
SET search_path TO scheduler;
PREPARE earlier AS $EARLIER;
PREPARE move AS $MOVE;
BEGIN;
$EXECS
SELECT name || ' ' || generic_plans || ' ' || custom_plans FROM pg_prepared_statements ORDER BY name;
ROLLBACK;
SQL
)
kept=$(grep -E '^(earlier|move) ' <<<"$kept")
hf_log "prepared statements (name, generic plans, custom plans): $(tr '\n' ';' <<<"$kept")"
hf_expect_eq "earlier 3 5;move 3 5;" "$(tr '\n' ';' <<<"$kept")" "generic plans kept after five custom ones"

# ---- 4. the release run as the service runs it, on the night's statistics again ------------
sql "UPDATE scheduler.task SET state = 'planned', agent = '', bag_date = NULL WHERE agent <> ''" >/dev/null
sql "VACUUM ANALYZE scheduler.task" >/dev/null
sql "SET search_path TO scheduler;
     UPDATE task SET state = CASE WHEN customer_id % 6 = 0 THEN 'claimed' ELSE 'assigned' END,
            agent = 'A' || lpad((customer_id % 10)::text, 2, '0'), bag_date = date '2026-11-03'
      WHERE step_no = 1 AND customer_id % 3 = 0" >/dev/null
IDS=$(sql "SELECT '{' || string_agg(id::text, ',') || '}' FROM (SELECT id FROM scheduler.task
           WHERE agent <> '' ORDER BY id LIMIT 3) x")
TEXT=$(python3 "$HF_SOURCE/tests/e2e/sched_generic_plans.py" "$HF_SOURCE" --text sched_release_room)
buffers=$(psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" <<SQL | python3 -c '
import json, sys
plan = json.loads(sys.stdin.read())[0]["Plan"]
print(plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0))'
SET search_path TO scheduler;
SET plan_cache_mode = force_generic_plan;
PREPARE q AS $TEXT;
BEGIN;
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE q('$IDS');
ROLLBACK;
SQL
)
hf_log "the release of 3 tasks' room on the night's statistics, $BAGS tasks in bags: $buffers buffers"
[[ $buffers -le 60 ]] ||
    hf_fail "the release of 3 tasks' room read $buffers buffers on the night's statistics (the bags: $BAGS tasks)"
hf_log "ok: no statement reads the bags on the night's statistics alone; a release reads $buffers buffers"
