#!/usr/bin/env bash
# Reporting's look for the held plans' customers with open steps (issue 14, rep_models.c
# s_plans_mark_open) follows the task table as it grows. Its first runs come with a store's
# first plans, while reporting.task is a page or two; prepared, Postgres made it a generic
# plan then — a read of the whole table, cheaper on paper than any plan for a batch's array of
# customers — and kept it until an autovacuum of task replanned it: in the national day's
# runs where that autovacuum came after the day began, every order's batch read reporting.task
# whole (170,000 rows, 60-110 ms) and that scan was a third of reporting's backend. Through the
# real services:
#  - autovacuum off for reporting.task (nothing replans behind the test's back), a first
#    import, its statistics taken then (two tasks a customer); seven more imports of 40 leads,
#    each applied alone: the look runs more than five times on the small table (a prepared
#    statement's generic plan is made and kept then);
#  - the table grows by 30,000 other customers' tasks, its statistics left as they were; two
#    of them are open steps of customers the next import creates;
#  - the next import: its batches read fewer task rows than the table holds
#    (pg_stat_user_tables: seq_tup_read; a scan per batch read 30,000 more), and finds the two
#    customers' open steps (cancelled by their new plans), the others' new steps planned.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800' # a Monday
hf_stack_start
sql() { hf_store_value "$1"; }
dir=$HF_E2E_TMP

# import N: 40 leads, applied by the scheduler (their plans) and by reporting (the plans' steps)
# before the next: each import is a batch or two of its own for reporting
import() {
    hf_leads_csv "$dir/leads$1.csv" 40 "1390$1"
    hf_expect_exit 0 huifang lead import "$dir/leads$1.csv" --channel counter
    hf_expect_contains "$HF_OUT" "added 40," "import $1: every row a lead"
    hf_wait_applied scheduler intake 60
    hf_wait_applied reporting intake 60
    hf_wait_applied reporting scheduler 60
}
stat() { sql "SELECT $1 FROM pg_stat_user_tables WHERE relid = 'reporting.task'::regclass"; }

export HUIFANG_BRANCH=B1
hf_expect_exit 0 huifang branch add B1 --name 'Branch B1' --tz Asia/Shanghai --windows 09:00-12:00,14:00-20:00
hf_expect_exit 0 huifang agent add A01 --name 'Agent A01' --role phone --daily-calls 60

# ---- 1. a store's first plans: the look run on a small table ---------------------------------
sql "ALTER TABLE reporting.task SET (autovacuum_enabled = off)" >/dev/null
import 10
hf_expect_eq 80 "$(sql "SELECT count(*) FROM reporting.task")" "the first import's steps, two a lead"
sql "ANALYZE reporting.task" >/dev/null
for n in 11 12 13 14 15 16 17; do import "$n"; done
small=$(sql "SELECT count(*) FROM reporting.task")
hf_expect_eq 640 "$small" "eight imports' steps"

# ---- 2. the table grows behind its statistics -------------------------------------------------
next=$(($(sql "SELECT last_value FROM intake.customer_id_seq") + 1))
O1=$((next + 5)) O2=$((next + 20))
sql "INSERT INTO reporting.task (id, branch, customer_id, purchase_id, plan_id, step_no, purpose,
                                 due_day, state, planned_at_ms)
     SELECT 900000000 + i, 'B0', 900000000 + i, 0, 900000000 + i, 1, 'first-call',
            date '2026-11-05', 'planned', 0 FROM generate_series(1, 30000) i;
     INSERT INTO reporting.task (id, branch, customer_id, purchase_id, plan_id, step_no, purpose,
                                 due_day, state, planned_at_ms)
     SELECT 800000000 + c, 'B1', c, 0, 800000000 + c, 1, 'first-call', date '2026-11-05',
            'planned', 0 FROM unnest(ARRAY[$O1, $O2]) c" >/dev/null
size=$((small + 30002))
hf_expect_eq 80 "$(sql "SELECT reltuples::bigint FROM pg_class WHERE oid = 'reporting.task'::regclass")" \
    "reporting.task's statistics: the first import's"
# the cumulative counts, once every insert before is in them
counted() { [[ $(stat n_tup_ins) -ge $size ]]; }
hf_wait_until 30 counted
read0=$(stat seq_tup_read)

# ---- 3. the next import ----------------------------------------------------------------------
import 18
hf_expect_eq "$O1 $O2" "$(sql "SELECT string_agg(id::text, ' ' ORDER BY id)
                               FROM intake.customer WHERE id IN ($O1, $O2)")" \
    "the import created the two customers with open steps"
all_counted() { [[ $(stat n_tup_ins) -ge $((size + 80)) ]]; }
hf_wait_until 30 all_counted
read_rows=$(($(stat seq_tup_read) - read0))
hf_log "the import's batches read $read_rows task rows by sequential scans (the table: $((size + 80)))"
((read_rows < 30000)) ||
    hf_fail "the import's batches read $read_rows task rows by sequential scans: reporting.task read whole, not by its index"

# ---- 4. what the look found -------------------------------------------------------------------
hf_expect_eq "cancelled cancelled" \
    "$(sql "SELECT string_agg(state, ' ' ORDER BY customer_id) FROM reporting.task
            WHERE id IN (800000000 + $O1, 800000000 + $O2)")" \
    "the two customers' earlier open steps cancelled by their new plans"
hf_expect_eq "80 80" \
    "$(sql "SELECT count(*), count(*) FILTER (WHERE state = 'planned') FROM reporting.task
            WHERE customer_id >= $next AND id < 800000000" | tr '|' ' ')" \
    "the import's new steps, two a lead, planned"
hf_expect_eq 0 "$(sql "SELECT count(*) FROM reporting.dead_letter")" "no dead letters"
hf_log "ok: the open customers looked up by the index on a grown table"
