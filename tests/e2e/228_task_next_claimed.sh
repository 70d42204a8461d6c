#!/usr/bin/env bash
# task next claims its idempotency key itself, in one statement with the earlier bags' probe
# (claim10: the roll look itself only when they hold tasks, e2e/241) and the candidates' read
# (hf_service_def_t.claims_key), its claim's UPDATE reserves the task_claimed
# event's sequence number and writes the audit row in the same statement, sent with the
# context's reads; a brief task show (the one calllog asks on every call logged) writes its
# audit row from its read's own statement (issue 14, claim8). What must not move:
#  1. a retry with the key of a claim that answered OK gets the stored reply — on this
#     instance and on the other one (two instances share the agents), after the task was
#     skipped and the agent's next ask handed out another, and whatever the retry now asks
#     (an unknown agent) — and changes nothing: no claim, no task_claimed, no audit row;
#  2. every claim has its audit row with the framework's columns, and one task_claimed; the
#     scheduler's stream gap-free, its last number the counter's;
#  3. what it costs the scheduler's store, from its log line (nothing prepared, and nothing
#     applied meanwhile that would have the branch read again): a claim (the CLI sends a key;
#     its check skipped: the last claim saw the agent hold more) 3 round trips and 6
#     statements (BEGIN with the key's claim, the bags' probe and the candidates in one; the
#     claim with the three context reads in one, sched12; the event, the stored reply and
#     COMMIT); a brief show 1 round trip and 1 statement. (Before: 5 round trips and 13
#     statements, and 2 statements a brief show; 3 and 9 until the context's reads were put
#     into the claim's statement.)
# Claiming the key on its own, numbering the event, writing either audit row apart or reading
# the context apart from the claim fails here.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

sql() { hf_store_value "$1"; }
# nothing prepared (the statements sent as text, as e2e/090 runs them): every round trip a
# command's log line counts is one of its own, not a statement's first preparation
export HUIFANG_PG_PREPARE=off
hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
hf_plan_purchases 4 # VC30 and four customers with a unit of it, their plans started (lib.sh)
# a second scheduler instance on ports of its own (the base's last ones)
hf_instance_start scheduler2 scheduler $((HUIFANG_PORT_BASE + 45)) $((HUIFANG_PORT_BASE + 46)) \
    $((HUIFANG_PORT_BASE + 15))
other() { HUIFANG_SCHEDULER_ENDPOINT=tcp://127.0.0.1:$((HUIFANG_PORT_BASE + 45)) "$@"; }

hf_expect_exit 0 huifang clock advance 10d # 2026-11-12 10:00 in Beijing
hf_wait_assigned A001 4

# the cost of the scheduler's last COMMAND that answered OK, not replayed: "TRIPS STATEMENTS"
cost() {
    grep "command=$1 status=0 " "$HF_E2E_TMP/scheduler.log" | grep -v 'replayed=' | tail -n 1 |
        sed -n 's/.* store_trips=\([0-9]*\) store_statements=\([0-9]*\).*/\1 \2/p'
}
claimed() { sql "SELECT count(*) FROM scheduler.outbox WHERE topic LIKE 'scheduler.task_claimed%'"; }
audits() { sql "SELECT count(*) FROM audit.access WHERE service = 'scheduler' AND command = '$1'"; }
claims() { sql "SELECT coalesce(sum(claims), 0) FROM scheduler.task"; }

# ---- a claim, skipped; the next claim's and a brief show's cost -------------------------------
hf_expect_exit 0 huifang --as A001 --json task next --idempotency-key next-1
first=$HF_OUT
task=$(hf_json_get "$first" task.id)
customer=$(hf_json_get "$first" task.customer_id)
[[ $task =~ ^[1-9][0-9]*$ && $customer =~ ^[1-9][0-9]*$ ]] || hf_fail "task next: $first"
hf_expect_eq "claimed 1" "$(sql "SELECT state || ' ' || claims FROM scheduler.task WHERE id = $task")" \
    "the task claimed"
hf_expect_eq "1 1 1" "$(claimed) $(audits task_next) $(claims)" "a task_claimed, an audit row, a claim"
hf_expect_exit 0 huifang --as A001 task skip "$task" --reason 'moved away'
hf_expect_exit 0 huifang --as A001 --json task next --idempotency-key next-2
second=$(hf_json_get "$HF_OUT" task.id)
[[ $second =~ ^[1-9][0-9]*$ && $second != "$task" ]] || hf_fail "the next ask: $HF_OUT"
hf_expect_eq "3 6" "$(cost task_next)" "a claim: 3 round trips, 6 statements"
# the call is logged: calllog asks the scheduler for a brief show
hf_expect_exit 0 huifang --as A001 call log --task "$second" --outcome connected --order 1
hf_expect_eq "1 1" "$(cost task_show)" "a brief show: 1 round trip, 1 statement"
hf_expect_eq "VC30" "$(sql "SELECT order_product FROM calllog.contact WHERE task_id = $second")" \
    "the order's product, from the purchase the brief show gave"

# ---- 1. the first claim's retries: the stored reply, nothing changed --------------------------
before="$(claimed) $(audits task_next) $(claims)"
hf_expect_eq "2 2 2" "$before" "two task_claimed, two audit rows, two claims"
hf_expect_exit 0 huifang --as A001 --json task next --idempotency-key next-1
hf_expect_eq "$task claimed" "$(hf_json_get "$HF_OUT" task.id) $(hf_json_get "$HF_OUT" task.state)" \
    "the retry: the stored reply"
other hf_expect_exit 0 huifang --as A001 --json task next --idempotency-key next-1
hf_expect_eq "$task claimed" "$(hf_json_get "$HF_OUT" task.id) $(hf_json_get "$HF_OUT" task.state)" \
    "the retry on the other instance: the stored reply"
other hf_expect_exit 0 huifang --as A001 --json task next --agent A009 --idempotency-key next-1
hf_expect_eq "$task" "$(hf_json_get "$HF_OUT" task.id)" "a retry asking for an unknown agent: the stored reply"
hf_expect_exit 0 huifang --as A001 --json task next --agent A009 --idempotency-key next-1
hf_expect_eq "$task" "$(hf_json_get "$HF_OUT" task.id)" "the same on this instance"
hf_expect_eq "$before" "$(claimed) $(audits task_next) $(claims)" "the retries changed nothing"
n=$(cat "$HF_E2E_TMP/scheduler.log" "$HF_E2E_TMP/scheduler2.log" |
    grep -c 'command=task_next status=0 .*replayed=idempotent' || true)
hf_expect_eq 4 "$n" "four retries answered from the stored reply"
hf_expect_eq "skipped" "$(sql "SELECT outcome FROM scheduler.task WHERE id = $task")" "the task still skipped"

# ---- 2. the audit rows and the stream ---------------------------------------------------------
hf_expect_eq 1 "$(audits task_show)" "the brief show's audit row"
row="SELECT concat_ws('|', actor, on_behalf_of, role, branch, service, command, customers::text,
            request_id <> '') FROM audit.access WHERE service = 'scheduler'
     AND command IN ('task_next', 'task_show') AND customers = ARRAY"
hf_expect_eq "A001|admin|phone|BJ01|scheduler|task_next|{$customer}|t" \
    "$(sql "$row[$customer]::bigint[] ORDER BY id")" "the first claim's row, as the framework writes it"
second_customer=$(sql "SELECT customer_id FROM scheduler.task WHERE id = $second")
hf_expect_eq "A001|admin|phone|BJ01|scheduler|task_next|{$second_customer}|t
A001|admin|phone|BJ01|scheduler|task_show|{$second_customer}|t" \
    "$(sql "$row[$second_customer]::bigint[] ORDER BY id")" "the second claim's and its show's rows"
hf_expect_eq "t" "$(sql "SELECT count(*) = max(seq) AND max(seq) = (SELECT last_seq FROM
    scheduler.outbox_seq WHERE producer = 'scheduler') FROM scheduler.outbox WHERE producer = 'scheduler'")" \
    "the scheduler's events numbered without a gap"
hf_log "ok"
