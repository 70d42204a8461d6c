#!/usr/bin/env bash
# The assignment reads and moves the tasks it claimed by their ids, whatever task's statistics
# say (issue 14, assign10). On a new store the task table has no statistics until an
# autovacuum analyzes it (the national day's load and first hours): the planner then takes
# state = 'planned' for 0.5 % of the rows, and the guard matched task_branch_due's predicate
# (WHERE state = 'planned'), so the bag's UPDATE hashed every planned task read through that
# index to join the batch's ids, and the lock ANDed that index's whole bitmap with the ids'
# (200 ms and 30-80 ms a batch at 200,000 tasks). The guard is now (state = 'planned') IS TRUE
# (sched_task.c s_guard, keyed; the named statements of sched_assign.c): same test, same
# estimate, no partial index on state can serve it. And the due-index's list, drained after a
# burst, is vacuumed by the index timer (its dead rows were walked at every tick). Through the
# real services:
#  - a branch, five agents; 200,000 tasks planned for the weeks ahead written into the store
#    with the scheduler stopped, task never analyzed (autovacuum off: no statistics at all);
#  - 600 calls due now, the scheduler started: all 600 assigned, and task_branch_due read for
#    none of it (its index tuples read, and task's rows read by sequential scans, stay far
#    below the 200,000 planned tasks a wrong plan reads);
#  - 12,000 more tasks made while it runs: put into Redis, and the list, drained, vacuumed by
#    the scheduler (its autovacuum off too), so no read walks their dead entries.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-03 10:00 +0800' # a Tuesday, inside the morning's window
hf_stack_start
export HUIFANG_BRANCH=B1
sql() { hf_store_value "$1"; }
hf_expect_exit 0 huifang branch add B1 --name 'Branch B1' --tz Asia/Shanghai --windows 09:00-12:00,14:00-20:00
for a in A01 A02 A03 A04 A05; do
    hf_expect_exit 0 huifang agent add "$a" --name "Agent $a" --role phone --daily-calls 200
done
hf_wait_applied scheduler intake 60
# the due-index's epoch is marked (a restart must not list every planned task again)
hf_wait_until 20 bash -c "[ \"\$(redis-cli -u '$HUIFANG_REDIS_URL' exists hf:task:epoch)\" = 1 ]"
hf_service_stop scheduler

# ---- 1. a store of 200,000 planned tasks, never analyzed ------------------------------------
now=$(date -d "$HF_CLOCK_START" +%s%3N)
sql "ALTER TABLE scheduler.task SET (autovacuum_enabled = off, toast.autovacuum_enabled = off);
     ALTER TABLE scheduler.task_unindexed SET (autovacuum_enabled = off);
     INSERT INTO scheduler.customer (id, branch, name, phone)
         SELECT i, 'B1', 'n' || i, '139' || lpad(i::text, 8, '0') FROM generate_series(1, 100000) i;
     INSERT INTO scheduler.task (branch, customer_id, step_no, occurrence, purpose, channel, role,
                                 due_at_ms, priority, updated_at_ms)
         SELECT 'B1', 1 + i % 100000, 1, i, 'care', 'phone', 'phone',
                $now + (2 + i % 28) * 86400000::bigint, 20, $now
           FROM generate_series(1, 200000) i;
     TRUNCATE scheduler.task_unindexed" >/dev/null
hf_expect_eq -1 "$(sql "SELECT reltuples::bigint FROM pg_class WHERE oid = 'scheduler.task'::regclass")" \
    "task has no statistics (never analyzed)"
# the calls due now: listed by task's trigger, put into Redis once the scheduler runs
sql "INSERT INTO scheduler.task (branch, customer_id, step_no, occurrence, purpose, channel, role,
                                 due_at_ms, priority, updated_at_ms)
         SELECT 'B1', i, 2, 0, 'care', 'phone', 'phone', $now - 60000, 20, $now
           FROM generate_series(1, 600) i" >/dev/null
ix() { sql "SELECT idx_tup_read FROM pg_stat_user_indexes WHERE indexrelid = 'scheduler.task_branch_due'::regclass"; }
seq() { sql "SELECT seq_tup_read FROM pg_stat_user_tables WHERE relid = 'scheduler.task'::regclass"; }
upd() { sql "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relid = 'scheduler.task'::regclass"; }
ix0=$(ix) seq0=$(seq) upd0=$(upd)

# ---- 2. the assignment of the 600 -----------------------------------------------------------
hf_service_start scheduler
# (watched through the bags' counters: a count of task here would be a sequential scan itself)
assigned() { [[ $(sql "SELECT coalesce(sum(calls), 0) FROM scheduler.agent_day") == 600 ]]; }
hf_wait_until 60 assigned
# the scheduler's backend has reported its counts (every update of the 600 is in them)
counted() { (($(upd) - upd0 >= 600)); }
hf_wait_until 30 counted
read_ix=$(($(ix) - ix0)) read_seq=$(($(seq) - seq0))
hf_log "assigning 600 calls read $read_ix entries of task_branch_due, $read_seq task rows by sequential scans (200,600 tasks planned)"
((read_ix < 20000)) ||
    hf_fail "the assignment read $read_ix entries of task_branch_due: the planned tasks walked to find the batch's ids"
((read_seq < 20000)) || hf_fail "the assignment read $read_seq task rows by sequential scans"
hf_expect_eq "600 5" "$(sql "SELECT count(*), count(DISTINCT agent) FROM scheduler.task
                             WHERE state = 'assigned' AND bag_date = date '2026-11-03'" | tr '|' ' ')" \
    "the 600 calls in the five agents' bags of the day"
hf_expect_eq 600 "$(sql "SELECT coalesce(sum(calls), 0) FROM scheduler.agent_day WHERE day = date '2026-11-03'")" \
    "the bags' room taken: 600 calls, on the day"

# ---- 3. a burst through the due-index's list: vacuumed once drained --------------------------
vac0=$(sql "SELECT vacuum_count FROM pg_stat_user_tables WHERE relid = 'scheduler.task_unindexed'::regclass")
sql "INSERT INTO scheduler.task (branch, customer_id, step_no, occurrence, purpose, channel, role,
                                 due_at_ms, priority, updated_at_ms)
         SELECT 'B1', 1 + i % 100000, 3, i, 'care', 'phone', 'phone',
                $now + 3 * 86400000::bigint + i, 20, $now
           FROM generate_series(1, 12000) i" >/dev/null
# a VACUUM's own count (its autovacuum is off: autovacuum_count would not move either)
vacuumed() {
    [[ $(sql "SELECT vacuum_count > $vac0 FROM pg_stat_user_tables
              WHERE relid = 'scheduler.task_unindexed'::regclass") == t ]]
}
hf_wait_until 60 vacuumed
hf_expect_eq 0 "$(sql "SELECT count(*) FROM scheduler.task_unindexed")" "the list drained"
hf_expect_eq 12000 "$(redis-cli -u "$HUIFANG_REDIS_URL" zcount 'hf:{B1}:task:due' $((now + 3 * 86400000)) +inf)" \
    "the 12,000 tasks put into the due-index"
hf_log "ok: the assignment found its tasks by id on a task table without statistics; the list vacuumed after its burst"
