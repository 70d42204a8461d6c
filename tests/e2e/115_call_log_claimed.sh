#!/usr/bin/env bash
# A call log's statements (issue 14, calllog7): the claim's contact is no longer looked up
# before the log — the contact's INSERT ... ON CONFLICT (task, claim) tells a claim already
# logged — the idempotency key is claimed in the call's first statement with the branch's
# zone and the outcome's flags, and the events' sequence numbers are reserved with the
# contact. What must not move:
#  1. a second log of a claim is refused as before, "already logged for this claim (contact
#     N)", and that goes before every other refusal of the task: another agent's log, a visit
#     log of a phone task, an outcome of another channel, a task the scheduler has moved on;
#  2. a claim not logged is refused as before (held by another, not a home visit);
#  3. what a log costs calllog's store, from its log line once every statement is prepared:
#     2 round trips and 5 statements (BEGIN with the key's claim, the call basics, the
#     contact, its event's number and the audit row in one statement, clog11's quick log,
#     tests/e2e/255_call_log_quick.sh; the event, the stored reply and COMMIT); an order
#     delivered home, two events reserved as one: 6 statements (the product checked in the
#     quick log's statement, the delivery besides); the stream's numbers gap-free, the last
#     the counter's. Looking the claim up again, claiming the key on its own, numbering the
#     events or writing the audit row apart fails here.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

N=6
hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --windows 00:00-23:59 --lead-plans none
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 20
hf_expect_exit 0 huifang agent add A002 --name 'Zhou Min' --role phone --regions haidian
hf_expect_exit 0 huifang agent add L001 --name 'Chen Jie' --role lead
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168
names=(Wang Li Zhang Liu Chen Yang)
for i in $(seq 1 $N); do
    hf_expect_exit 0 huifang --json lead add --name "${names[i - 1]} Fang" --phone "1381234560$i" \
        --channel counter --region chaoyang
    hf_expect_exit 0 huifang purchase add --customer "$(cl_json_get "$HF_OUT" customer.id)" \
        --product VC30 --quantity 1
done
cl_wait_supervisor L001

hf_expect_exit 0 huifang clock advance 10d
hf_wait_until 20 bash -c "test \$(huifang --json worklist --agent A001 | grep -o '\"state\":\"assigned\"' | wc -l) -eq $N"
claim() {
    hf_expect_exit 0 huifang --as A001 --json task next
    TASK=$(cl_json_get "$HF_OUT" task.id)
}
# the cost of calllog's last call_log that answered OK: "TRIPS STATEMENTS"
cost() {
    grep 'command=call_log status=0 ' "$HF_E2E_TMP/calllog.log" | tail -n 1 |
        sed -n 's/.* store_trips=\([0-9]*\) store_statements=\([0-9]*\).*/\1 \2/p'
}

# ---- 1. a claim logged once, and said so before anything else -------------------------------
claim
task=$TASK
hf_expect_exit 0 huifang --as A001 --json call log --task "$task" --outcome connected \
    --idempotency-key claimed-1
contact=$(cl_json_get "$HF_OUT" id)
read -r _ statements <<<"$(cost)"
hf_expect_eq 5 "$statements" "a call log's statements"
already="task $task is already logged for this claim (contact $contact)"
hf_expect_exit 4 huifang --as A001 call log --task "$task" --outcome connected
hf_expect_contains "$HF_ERR" "$already" "a second log of the claim"
hf_expect_exit 4 huifang --as A002 call log --task "$task" --outcome connected
hf_expect_contains "$HF_ERR" "$already" "another agent's log: already logged, before not held"
hf_expect_exit 4 huifang --as A001 visit log --task "$task" --outcome connected
hf_expect_contains "$HF_ERR" "$already" "a visit log of the phone task: already logged, before not a visit"
hf_expect_exit 4 huifang --as A001 call log --task "$task" --outcome replied
hf_expect_contains "$HF_ERR" "$already" "a WeChat outcome: already logged, before the channel"
hf_expect_exit 4 huifang --as L001 call log --task "$task" --outcome busy
hf_expect_contains "$HF_ERR" "$already" "a supervisor's log"
hf_wait_until 10 bash -c "huifang --json task show $task | grep -q '\"state\":\"done\"'"
hf_expect_exit 4 huifang --as A001 call log --task "$task" --outcome connected
hf_expect_contains "$HF_ERR" "$already" "the task done since: still already logged, not 'not claimed'"
hf_expect_eq 1 "$(hf_store_value "SELECT count(*) FROM calllog.contact WHERE task_id = $task")" \
    "one contact for the claim"

# ---- 2. a claim not logged is refused as before ---------------------------------------------
claim
task=$TASK
hf_expect_exit 4 huifang --as A002 call log --task "$task" --outcome connected
hf_expect_contains "$HF_ERR" "task $task is held by agent A001, not A002" "not held"
hf_expect_exit 2 huifang --as A001 visit log --task "$task" --outcome connected
hf_expect_contains "$HF_ERR" "not a home visit" "a phone task is not a visit"
hf_expect_exit 2 huifang --as A001 call log --task "$task" --outcome replied
hf_expect_contains "$HF_ERR" "outcome replied is for wechat contacts, not phone" "a WeChat outcome"
hf_expect_exit 0 huifang --as A001 call log --task "$task" --outcome connected --idempotency-key claimed-2
hf_expect_exit 0 huifang --as A001 call log --task "$task" --outcome connected --idempotency-key claimed-2
hf_expect_eq 1 "$(hf_store_value "SELECT count(*) FROM calllog.contact WHERE task_id = $task")" \
    "the retry recorded nothing more"

# ---- 3. the cost once every statement is prepared -------------------------------------------
for i in 3 4 5; do
    claim
    hf_expect_exit 0 huifang --as A001 call log --task "$TASK" --outcome no-answer \
        --idempotency-key "claimed-$i"
    read -r trips statements <<<"$(cost)"
    hf_log "call log $i: $trips round trips, $statements statements"
done
hf_expect_eq 2 "$trips" "a call log's round trips to calllog's store"
hf_expect_eq 5 "$statements" "a call log's statements"
claim
hf_expect_exit 0 huifang --as A001 --json call log --task "$TASK" --outcome connected --order 1 \
    --order-product VC30 --delivery home --delivery-address 'Chaoyang Road 1' --idempotency-key claimed-6
[[ $(cl_json_get "$HF_OUT" delivery_id) != 0 ]] || hf_fail "a delivery opened"
read -r _ statements <<<"$(cost)"
hf_expect_eq 6 "$statements" "a home delivery's statements: its two events' numbers reserved with the contact, their rows one INSERT"
hf_expect_eq "$(hf_store_value "SELECT last_seq FROM calllog.outbox_seq WHERE producer = 'calllog'")" \
    "$(hf_store_value "SELECT count(*) FROM calllog.outbox WHERE producer = 'calllog' HAVING min(seq) = 1 AND max(seq) = count(*)")" \
    "calllog's stream: 1..last, no gap"
hf_log "ok"
