#!/usr/bin/env bash
# A load's earlier plans (issue 14, sched_leads.c): a batch of leads asks which of its customers
# already have an active conversion plan (rare in a load: those are ended, "replaced", lead by
# lead). That question must stay a probe per kept customer whatever the plan table's
# statistics say: a load grows plan far faster than autovacuum follows, and the question asked
# of the whole table ("customer_id = ANY ... AND purchase_id IS NULL AND id <> ALL ...") was
# planned as a walk of every plan (a scan, or the purchase index for "purchase_id IS NULL"
# when the statistics were taken while plans had purchases) for every batch: quadratic in a
# load, the bound of the national day's schedulers. Through the real services:
#  - a store with a history, 500 purchases' plans, its statistics taken then (every plan has
#    a purchase: "purchase_id IS NULL" looks like one row), autovacuum off for plan so that
#    they stay; a first import (500 leads in batches of 50: the statement runs more than five
#    times, so a prepared one would keep a plan made now);
#  - the table grows by 30,000 plans without a purchase; three more are earlier conversion
#    plans of customers the next import creates, a fourth a purchase's plan of one;
#  - the next import (1,000 leads, applied in 20 batches): the three earlier conversion plans
#    end "replaced", the purchase's plan stays, every new lead's plan is active with its two
#    tasks, and the catch-up read fewer plan rows than the table holds (pg_stat_user_tables:
#    seq_tup_read + idx_tup_fetch; ~3,000 here, against ~1,000,000 for the walk per batch).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800' # a Monday
export HUIFANG_SCHEDULER_LEAD_BATCH=50
# the house's rounds (archiving reads plan too) only at the start: the reads measured are the leads'
export HUIFANG_SCHEDULER_HOUSE_MS=600000
hf_stack_start
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }
dir=$HF_E2E_TMP

caught_up() {
    [[ $(sql "SELECT (SELECT last_seq FROM intake.outbox_seq WHERE producer = 'intake')
                   - (SELECT last_seq FROM scheduler.consumer_offset WHERE producer = 'intake')") == 0 ]]
}
export HUIFANG_BRANCH=B1
hf_expect_exit 0 huifang branch add B1 --name 'Branch B1' --tz Asia/Shanghai --windows 09:00-12:00,14:00-20:00
hf_expect_exit 0 huifang agent add A01 --name 'Agent A01' --role phone --daily-calls 60
# ---- 1. a store with a history: purchases' plans, its statistics taken then (autovacuum off
# for plan, so that they stay); a first import on it ------------------------------------------
sql "ALTER TABLE scheduler.plan SET (autovacuum_enabled = off);
     INSERT INTO scheduler.plan (branch, customer_id, purchase_id, template, supply_end, started_at_ms)
     SELECT 'B0', 4000000 + i, 8000000 + i, 'monthly-course', date '2026-12-01', 0
       FROM generate_series(1, 500) i;
     ANALYZE scheduler.plan" >/dev/null
hf_leads_csv "$dir/first.csv" 500 139000
hf_expect_exit 0 huifang lead import "$dir/first.csv" --channel counter
hf_expect_contains "$HF_OUT" "added 500," "every row a lead"
hf_wait_until 120 caught_up
hf_expect_eq 1000 "$(sql "SELECT count(*) FROM scheduler.plan")" "the first import's plans"

# ---- 2. the table grows behind its statistics ------------------------------------------------
next=$(($(sql "SELECT last_value FROM intake.customer_id_seq") + 1))
E1=$((next + 10)) E2=$((next + 500)) E3=$((next + 999)) EP=$((next + 700))
sql "INSERT INTO scheduler.plan (branch, customer_id, purchase_id, template, supply_end, started_at_ms, lead_key)
     SELECT 'B0', 5000000 + i, NULL, 'new-lead', date '2026-12-01', 0, 'grown:' || i
       FROM generate_series(1, 30000) i;
     INSERT INTO scheduler.plan (branch, customer_id, purchase_id, template, supply_end, started_at_ms, lead_key)
     SELECT 'B1', c, NULL, 'new-lead', date '2026-11-20', 0, 'earlier:' || c FROM unnest(ARRAY[$E1, $E2, $E3]) c;
     INSERT INTO scheduler.plan (branch, customer_id, purchase_id, template, supply_end, started_at_ms)
     VALUES ('B1', $EP, 9000001, 'monthly-course', date '2026-12-01', 0)" >/dev/null
size=$(sql "SELECT count(*) FROM scheduler.plan")
stat() { sql "SELECT $1 FROM pg_stat_user_tables WHERE schemaname = 'scheduler' AND relname = 'plan'"; }
# the statistics the planner has are still those of the purchases' plans (none without one)
hf_expect_eq 500 "$(sql "SELECT reltuples::bigint FROM pg_class WHERE oid = 'scheduler.plan'::regclass")" \
    "plan's statistics: the history's"
# the cumulative counts of this table, once every insert before is in them
counted() { [[ $(stat n_tup_ins) -ge $size ]]; }
hf_wait_until 30 counted
read0=$(stat 'seq_tup_read + coalesce(idx_tup_fetch, 0)')

# ---- 3. the load's next import, caught up in batches -----------------------------------------
hf_leads_csv "$dir/next.csv" 1000 139100
hf_expect_exit 0 huifang lead import "$dir/next.csv" --channel counter
hf_expect_contains "$HF_OUT" "added 1000," "every row a lead"
hf_expect_eq 4 "$(sql "SELECT count(*) FROM intake.customer WHERE id IN ($E1, $E2, $E3, $EP)")" \
    "the import created the customers with the earlier plans"
hf_wait_until 120 caught_up
# (before anything of this script reads the table: a count is a scan too)
all_counted() { [[ $(stat n_tup_ins) -ge $((size + 1000)) ]]; }
hf_wait_until 30 all_counted
read_rows=$(($(stat 'seq_tup_read + coalesce(idx_tup_fetch, 0)') - read0))
hf_log "the catch-up read $read_rows plan rows (scans and index fetches; the table: $((size + 1000)))"
((read_rows < size)) ||
    hf_fail "the catch-up read $read_rows plan rows: as many as the table holds ($size), not a probe per lead"
hf_expect_eq $((size + 1000)) "$(sql "SELECT count(*) FROM scheduler.plan")" "a plan per lead"

# ---- 4. what the leads did to the earlier plans ------------------------------------------------
hf_expect_eq "archived/replaced archived/replaced archived/replaced" \
    "$(sql "SELECT string_agg(state || '/' || end_reason, ' ' ORDER BY customer_id) FROM scheduler.plan
            WHERE lead_key LIKE 'earlier:%'")" "the three earlier conversion plans replaced"
hf_expect_eq "active" "$(sql "SELECT state FROM scheduler.plan WHERE purchase_id = 9000001")" \
    "a purchase's plan is not a lead's to replace"
hf_expect_eq "1000 1000 2000" \
    "$(sql "SELECT count(*), count(*) FILTER (WHERE p.state = 'active'),
                   (SELECT count(*) FROM scheduler.task t WHERE t.plan_id IN (SELECT id FROM scheduler.plan
                      WHERE lead_key LIKE 'lead:%' AND customer_id >= $next))
              FROM scheduler.plan p WHERE p.lead_key LIKE 'lead:%' AND p.customer_id >= $next" | tr '|' ' ')" \
    "the new leads' plans active, two tasks each"
hf_expect_eq 3 "$(sql "SELECT count(*) FROM scheduler.outbox WHERE topic LIKE 'scheduler.plan_ended/%'")" \
    "a plan_ended for each replaced plan"
hf_expect_eq 0 "$(sql "SELECT count(*) FROM scheduler.dead_letter")" "no dead letters"
hf_log "ok"
