#!/usr/bin/env bash
# A customer's purchases found by the index, not by reading the table (issue 14, migration
# scheduler/025): a call logged asks the scheduler for a brief task show, and the scheduler's
# task context reads the task's customer's purchases; without an index on
# scheduler.purchase.customer_id both read every purchase of the chain (twice a call, the table
# growing by every order). Here the table holds 20,000 other customers' purchases; a day of
# calls must read purchase by its index only, and see the customers' own purchases.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

N=4
sql() { hf_store_value "$1"; }

hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 20
hf_plan_purchases "$N" # VC30 and N customers with a purchase each, their plans started (lib.sh)

# other customers' purchases, as a chain's table holds them (ids far above the stack's own)
sql "INSERT INTO scheduler.purchase (id, customer_id, branch, product, quantity, price_fen,
         purchase_date, supply_end, days_of_supply, nth, plan)
     SELECT 900000000 + g, 900000000 + g, 'BJ01', 'VC30', 1, 16800, '2026-01-01', '2026-01-31',
            30, 1, 'monthly-course' FROM generate_series(1, 20000) g;
     ANALYZE scheduler.purchase" >/dev/null
hf_expect_eq 1 "$(sql "SELECT count(*) FROM pg_indexes WHERE schemaname = 'scheduler'
                       AND tablename = 'purchase' AND indexdef ~ '\(customer_id, nth, id\)$'")" \
    "scheduler.purchase indexed by customer_id (in the order a show lists them)"
scans() {
    sql "SELECT seq_tup_read || ' ' || coalesce(idx_scan, 0) FROM pg_stat_user_tables
         WHERE relid = 'scheduler.purchase'::regclass"
}
# (the backends' counts from before the 20,000 rows may still come in: scans of the stack's own
# few purchases; a read of the table now reads 20,000 rows)
read -r seq0 idx0 < <(scans)

hf_expect_exit 0 huifang clock advance 10d
hf_wait_assigned A001 $N
for _ in $(seq 1 "$N"); do
    out=$(huifang --as A001 --json task next) || hf_fail "task next for A001 failed"
    task=$(sed -n 's/.*"task":{"id":"\{0,1\}\([0-9]*\).*/\1/p' <<<"$out")
    [[ -n $task ]] || hf_fail "task next printed no task: $out"
    show=$(huifang --as A001 task show "$task") || hf_fail "task show $task failed"
    grep -q 'VC30' <<<"$show" || hf_fail "task show $task lists no purchase of its customer: $show"
    hf_expect_exit 0 huifang --as A001 call log --task "$task" --outcome connected
done
hf_wait_applied scheduler calllog

# each call: calllog's brief show and the customer's purchases read by the task's context; the
# backends report their counts a few seconds after they go idle: wait for the index's (or for
# a read of the whole table, which fails below)
hf_wait_until 60 bash -c "psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT coalesce(idx_scan, 0) >= $((idx0 + 2 * N)) OR seq_tup_read >= $((seq0 + 20000)) FROM pg_stat_user_tables WHERE relid = 'scheduler.purchase'::regclass\" | grep -qx t"
read -r seq1 idx1 < <(scans)
hf_log "scheduler.purchase: $((idx1 - idx0)) index scans, $((seq1 - seq0)) rows read by sequential scans"
((seq1 - seq0 < 20000)) || hf_fail "scheduler.purchase read in full over the calls ($((seq1 - seq0)) rows by sequential scans)"
hf_log "ok: a customer's purchases read by the index"
