#!/usr/bin/env bash
# task next's claim statement (SCHED_Q_TASK_CLAIM) takes the scheduler's outbox counter row
# last (issue 14, claim10): the row, locked from that statement to the COMMIT, is what every
# event-writing transaction of both instances queues on, so the claim's UPDATE of task (a
# write of each of task's indexes) and its audit row are written before it, not while the
# others wait. Shown with the row held by this test's own transaction: the claim, waiting for
# it, has already written the task's new version and the audit row (pageinspect: heap tuples
# whose xmin is the waiting transaction's); then, the row given back, the claim answers as
# always — the task claimed, one task_claimed numbered after the counter, one audit row, the
# stream gap-free. The counter taken first (its CTE read by the main query, the others run
# after it) fails here: the waiting claim has written nothing.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

sql() { hf_store_value "$1"; }
hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
hf_plan_purchases 2 # VC30 and two customers with a unit of it, their plans started (lib.sh)
hf_expect_exit 0 huifang clock advance 10d # 2026-11-12 10:00 in Beijing
hf_wait_assigned A001 2
hf_wait_applied scheduler intake
sql "CREATE EXTENSION IF NOT EXISTS pageinspect" >/dev/null

# the tuples of TABLE (schema.name) whose xmin is transaction XID
written() {
    sql "SELECT count(*) FROM generate_series(0, pg_relation_size('$1') / 8192 - 1) AS b,
                LATERAL heap_page_items(get_raw_page('$1', b::int)) h WHERE h.t_xmin::text = '$2'"
}
counter() { sql "SELECT last_seq FROM scheduler.outbox_seq WHERE producer = 'scheduler'"; }

# ---- the counter row held by a transaction of this test ------------------------------------------
fifo=$HF_E2E_TMP/hold.fifo
mkfifo "$fifo"
psql -X -q -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" <"$fifo" >/dev/null &
holder=$!
exec 7>"$fifo"
echo "BEGIN; SELECT last_seq FROM scheduler.outbox_seq WHERE producer = 'scheduler' FOR UPDATE;
      SELECT 'held';" >&7
hf_wait_until 10 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND query LIKE '%held%'\")\" = 1 ]"
before=$(counter)

huifang --as A001 --json task next --idempotency-key claim-1 >"$HF_E2E_TMP/next.out" 2>&1 &
asker=$!
# the claim statement waits for the row
waiting="SELECT backend_xid FROM pg_stat_activity WHERE wait_event_type = 'Lock'
         AND query LIKE '%UPDATE task t SET state = ''claimed''%'"
hf_wait_until 20 bash -c "[ -n \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"$waiting\")\" ]"
xid=$(sql "$waiting")
[[ $xid =~ ^[0-9]+$ ]] || hf_fail "the waiting claim's transaction: '$xid'"
task_rows=$(written scheduler.task "$xid")
audit_rows=$(written audit.access "$xid")
hf_expect_eq "1 1" "$task_rows $audit_rows" \
    "while it waits for the counter, the claim has written the task's new version and its audit row"
hf_expect_eq "$before" "$(counter)" "the counter not moved meanwhile"

# ---- the row given back: the claim answers as always --------------------------------------------
echo "COMMIT;" >&7
exec 7>&-
wait "$holder"
wait "$asker" || hf_fail "task next failed: $(cat "$HF_E2E_TMP/next.out")"
task=$(hf_json_get "$(cat "$HF_E2E_TMP/next.out")" task.id)
[[ $task =~ ^[1-9][0-9]*$ ]] || hf_fail "task next: $(cat "$HF_E2E_TMP/next.out")"
hf_expect_eq "claimed 1" "$(sql "SELECT state || ' ' || claims FROM scheduler.task WHERE id = $task")" \
    "the task claimed"
hf_expect_eq "$((before + 1))" \
    "$(sql "SELECT seq FROM scheduler.outbox WHERE topic LIKE 'scheduler.task_claimed%'")" \
    "one task_claimed, the counter's next number"
hf_expect_eq 1 "$(sql "SELECT count(*) FROM audit.access WHERE service = 'scheduler'
                       AND command = 'task_next'")" "one audit row"
hf_expect_eq "t" "$(sql "SELECT count(*) = max(seq) AND max(seq) = (SELECT last_seq FROM
    scheduler.outbox_seq WHERE producer = 'scheduler') FROM scheduler.outbox WHERE producer = 'scheduler'")" \
    "the scheduler's events numbered without a gap"
# a retry gets the stored reply
hf_expect_exit 0 huifang --as A001 --json task next --idempotency-key claim-1
hf_expect_eq "$task" "$(hf_json_get "$HF_OUT" task.id)" "the retry: the stored reply"
hf_log "ok"
