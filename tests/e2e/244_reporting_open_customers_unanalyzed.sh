#!/usr/bin/env bash
# Reporting's look for the held plans' customers with open steps (rep_models.c
# s_plans_mark_open) reads reporting.task by its customer index even when the table has no
# statistics at all (issue 14, assign10). e2e/236 covers a plan kept from a small table's
# statistics; here the table was never analyzed, as in a new store's load until an autovacuum
# comes (the national day's: the look ran as a parallel sequential scan of task, 40-140 ms a
# batch, ~1,100 times): without statistics each customer of "customer_id = ANY ($1)" counts for
# 0.5 % of the rows, so a batch's few hundred looked like most of the table. The look is a
# probe per customer now. Through the real services:
#  - autovacuum off for reporting.task, never analyzed; the table grown by 200,000 other
#    customers' steps, two of them open steps of customers the next import creates;
#  - reporting stopped, 300 leads imported and planned by the scheduler, reporting started:
#    it catches up in batches of hundreds of plans; they read far fewer task rows by
#    sequential scans than the table holds (a scan per batch reads 200,000 more), and find the
#    two customers' open steps (cancelled by their new plans), the others' new steps planned.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800' # a Monday
hf_stack_start
sql() { hf_store_value "$1"; }
dir=$HF_E2E_TMP
stat() { sql "SELECT $1 FROM pg_stat_user_tables WHERE relid = 'reporting.task'::regclass"; }

export HUIFANG_BRANCH=B1
hf_expect_exit 0 huifang branch add B1 --name 'Branch B1' --tz Asia/Shanghai --windows 09:00-12:00,14:00-20:00
hf_expect_exit 0 huifang agent add A01 --name 'Agent A01' --role phone --daily-calls 60
hf_wait_applied reporting intake 60

# ---- 1. a task table without statistics, grown -------------------------------------------------
sql "ALTER TABLE reporting.task SET (autovacuum_enabled = off, toast.autovacuum_enabled = off)" >/dev/null
# the import's first customer id (the sequence has handed out none yet)
next=$(sql "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM intake.customer_id_seq")
O1=$((next + 5)) O2=$((next + 200))
sql "INSERT INTO reporting.task (id, branch, customer_id, purchase_id, plan_id, step_no, purpose,
                                 due_day, state, planned_at_ms)
     SELECT 900000000 + i, 'B0', 900000000 + i, 0, 900000000 + i, 1, 'first-call',
            date '2026-11-05', 'planned', 0 FROM generate_series(1, 200000) i;
     INSERT INTO reporting.task (id, branch, customer_id, purchase_id, plan_id, step_no, purpose,
                                 due_day, state, planned_at_ms)
     SELECT 800000000 + c, 'B1', c, 0, 800000000 + c, 1, 'first-call', date '2026-11-05',
            'planned', 0 FROM unnest(ARRAY[$O1, $O2]) c" >/dev/null
hf_expect_eq -1 "$(sql "SELECT reltuples::bigint FROM pg_class WHERE oid = 'reporting.task'::regclass")" \
    "reporting.task has no statistics (never analyzed)"
counted() { [[ $(stat n_tup_ins) -ge 200002 ]]; }
hf_wait_until 30 counted
read0=$(stat seq_tup_read)

# ---- 2. an import caught up in large batches ----------------------------------------------------
hf_service_stop reporting
hf_leads_csv "$dir/leads.csv" 300 139500
hf_expect_exit 0 huifang lead import "$dir/leads.csv" --channel counter
hf_expect_contains "$HF_OUT" "added 300," "every row a lead"
hf_wait_applied scheduler intake 60
hf_service_start reporting
hf_wait_applied reporting intake 60
hf_wait_applied reporting scheduler 60
all_counted() { [[ $(stat n_tup_ins) -ge $((200002 + 600)) ]]; }
hf_wait_until 30 all_counted
read_rows=$(($(stat seq_tup_read) - read0))
hf_log "the import's batches read $read_rows task rows by sequential scans (the table: $((200002 + 600)))"
((read_rows < 200000)) ||
    hf_fail "the import's batches read $read_rows task rows by sequential scans: reporting.task read whole, not by its index"

# ---- 3. what the look found -----------------------------------------------------------------------
hf_expect_eq "$O1 $O2" "$(sql "SELECT string_agg(id::text, ' ' ORDER BY id)
                               FROM intake.customer WHERE id IN ($O1, $O2)")" \
    "the import created the two customers with open steps"
hf_expect_eq "cancelled cancelled" \
    "$(sql "SELECT string_agg(state, ' ' ORDER BY customer_id) FROM reporting.task
            WHERE id IN (800000000 + $O1, 800000000 + $O2)")" \
    "the two customers' earlier open steps cancelled by their new plans"
hf_expect_eq "600 600" \
    "$(sql "SELECT count(*), count(*) FILTER (WHERE state = 'planned') FROM reporting.task
            WHERE customer_id >= $next AND id < 800000000" | tr '|' ' ')" \
    "the import's new steps, two a lead, planned"
hf_expect_eq 0 "$(sql "SELECT count(*) FROM reporting.dead_letter")" "no dead letters"
hf_log "ok: the open customers looked up by the index on a table without statistics"
