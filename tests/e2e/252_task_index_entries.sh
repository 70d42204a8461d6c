#!/usr/bin/env bash
# The index entries a task's writes cost (issue 14, migration 027): no update of a task's
# state is HOT (state is in task_agent's key and in partial indexes' predicates), so each write
# of a task — its insert, its move into a bag, its claim, its call logged — puts an entry into
# every index of task whose predicate the new row matches. Through the real services, each step
# of a plan's tasks' day is bracketed by WAL positions, and the indexes of task that got an
# entry in between are read from the WAL itself (pg_walinspect: the B-tree insert and split
# records of the store's database): three a write of a plan's task, each read by the
# statements of that task's next steps (tests/e2e/114_task_indexes.sh):
#   task_pkey        every write (a task by id)
#   task_customer    every write (a customer's tasks, the weekly cap)
#   task_branch_due  a planned task (by due time)    | one of the two,
#   task_agent       a task in a bag                 | never both
# task_plan_step (unique plan, step, occurrence), the fourth entry of every write of a plan's
# task, read by no statement, is gone: a plan's tasks are written once, by the transaction
# that made the plan, which the plan's own unique keys make once. A schema that indexes a
# plan's task once more, on any of these paths, fails here.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

N=4 # customers, a monthly course each: 2 tasks a plan, the day-10 care calls worked
sql() { hf_store_value "$1"; }

hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 20
sql "CREATE EXTENSION IF NOT EXISTS pg_walinspect" >/dev/null

# lsn: where the WAL is now. written FROM: the indexes of task (scheduler's, this database's)
# that got an entry since FROM, in name order, once the WAL up to here is flushed (the test
# store runs with synchronous_commit off; pg_walinspect reads only flushed WAL)
lsn() { sql "SELECT pg_current_wal_insert_lsn()"; }
written() {
    local to
    to=$(lsn)
    hf_wait_until 10 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT pg_current_wal_flush_lsn() >= '$to'\")\" = t ]"
    sql "SELECT coalesce(string_agg(DISTINCT c.relname, ' ' ORDER BY c.relname), '-')
           FROM pg_get_wal_records_info('$1', '$to') w
          CROSS JOIN LATERAL regexp_matches(w.block_ref, 'rel [0-9]+/([0-9]+)/([0-9]+)', 'g') m
           JOIN pg_class c ON pg_relation_filenode(c.oid) = m[2]::oid
          WHERE w.resource_manager = 'Btree' AND w.record_type ~ '^(INSERT|SPLIT)'
            AND m[1]::oid = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND c.relkind = 'i' AND c.relnamespace = 'scheduler'::regnamespace
            AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indexrelid = c.oid
                        AND i.indrelid = 'scheduler.task'::regclass)"
}
planned="task_branch_due task_customer task_pkey"
in_bag="task_agent task_customer task_pkey"
state_count() { sql "SELECT count(*) FROM scheduler.task WHERE state = '$1' AND step_no = 1"; }

# ---- 1. the plans' tasks, inserted planned --------------------------------------------------
from=$(lsn)
hf_plan_purchases "$N" # VC30 and N customers with a purchase each, their plans started (lib.sh)
hf_expect_eq "$((N * 2))" "$(sql "SELECT count(*) FROM scheduler.task WHERE state = 'planned'
                                  AND plan_id IS NOT NULL AND origin = 'plan'")" "the plans' tasks"
hf_expect_eq "$planned" "$(written "$from")" "a plan's tasks inserted: the indexes written"

# ---- 2. day 10: the care calls assigned into the agent's bag --------------------------------
from=$(lsn)
hf_expect_exit 0 huifang clock advance 10d
hf_wait_assigned A001 $N
hf_expect_eq "$in_bag" "$(written "$from")" "the assignment: the indexes written"

# ---- 3. each care call claimed (task next), then logged: answered ones done, the others ----
# planned again (an agent holds one task at a time: the claims and the logs take turns)
for i in $(seq 1 "$N"); do
    from=$(lsn)
    out=$(huifang --as A001 --json task next) || hf_fail "task next for A001 failed"
    task=$(sed -n 's/.*"task":{"id":"\{0,1\}\([0-9]*\).*/\1/p' <<<"$out")
    [[ -n $task ]] || hf_fail "task next printed no task: $out"
    hf_expect_eq claimed "$(sql "SELECT state FROM scheduler.task WHERE id = $task")" "task $task claimed"
    hf_expect_eq "$in_bag" "$(written "$from")" "task $task claimed: the indexes written"

    from=$(lsn)
    outcome=connected want=done written_want=$in_bag
    ((i > N / 2)) && outcome=no-answer want=planned written_want=$planned
    hf_expect_exit 0 huifang --as A001 call log --task "$task" --outcome "$outcome"
    hf_wait_applied scheduler calllog
    hf_expect_eq "$want" "$(sql "SELECT state FROM scheduler.task WHERE id = $task")" "task $task logged $outcome"
    hf_expect_eq "$written_want" "$(written "$from")" "task $task logged $outcome: the indexes written"
done
hf_expect_eq "$((N / 2)) $((N - N / 2))" "$(state_count done) $(state_count planned)" \
    "the answered calls done, the others planned again"

# ---- 4. the schema: the index that went is not there, nothing else indexes a plan's step ---
hf_expect_eq "" "$(sql "SELECT string_agg(indexname, ' ') FROM pg_indexes WHERE schemaname = 'scheduler'
                        AND tablename = 'task' AND (indexname = 'task_plan_step'
                        OR indexdef ~ 'step_no|occurrence')")" "no index of task on a plan's step"
hf_log "ok: a plan's task writes 3 index entries a write (planned: $planned; in a bag: $in_bag)"
