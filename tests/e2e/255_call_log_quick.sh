#!/usr/bin/env bash
# A call log in one statement (issue 14, clog11): a log whose task the scheduler answered,
# held by the actor, with a record that passes every check needing no store, sends the key's
# claim, the branch's zone, the outcome's flags, the contact, its events' numbers and the
# audit row as one statement with BEGIN (calllog's CALLLOG_Q_CALL_QUICK). What must hold:
#  1. it costs calllog's store 2 round trips and 5 statements (3 and 6 step by step: the
#     basics apart from the contact fails here); a retry with its key answers the same;
#  2. the refusals that statement's checks make afterwards are the step-by-step ones, in the
#     same order, and leave nothing: no contact, no audit row, no event number (the stream
#     gap-free) — an effect, a callback and a next date the outcome or the branch's day
#     refuses, an unknown outcome, a WeChat outcome on a call, an unknown product (named or
#     the purchase's), a claim already logged (named, before the outcome's channel);
#  3. the contact's day is the branch's local date (00:30 in Beijing, the day before in UTC),
#     an order without a product takes the purchase's, a visit log of a phone task and
#     another agent's log are refused as before, and a supervisor's log (step by step) records
#     the same contact as the quick one; an audit row a contact, the stream gap-free.
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
    hf_expect_exit 0 huifang --json lead add --name "${names[i - 1]} Fang" --phone "1381234570$i" \
        --channel counter --region chaoyang
    hf_expect_exit 0 huifang purchase add --customer "$(cl_json_get "$HF_OUT" customer.id)" \
        --product VC30 --quantity 1
done
cl_wait_supervisor L001

# day 11, 00:30 in Beijing (16:30 UTC the day before)
hf_expect_exit 0 huifang clock set '2026-11-13 00:30'
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
# what a log leaves: contacts, call_log's audit rows, calllog's last event number
left() {
    hf_store_value "SELECT (SELECT count(*) FROM calllog.contact) || ' ' ||
        (SELECT count(*) FROM audit.access WHERE service = 'calllog' AND command = 'call_log')
        || ' ' || (SELECT coalesce(max(last_seq), 0) FROM calllog.outbox_seq)"
}

# ---- 1. two round trips, five statements; a retry answers the same --------------------------
# (a statement's text is prepared at its second run: the third log's cost is the steady one)
for i in 1 2 3; do
    claim
    hf_expect_exit 0 huifang --as A001 --json call log --task "$TASK" --outcome no-answer \
        --idempotency-key "quick-$i"
done
first=$HF_OUT
read -r trips statements <<<"$(cost)"
hf_expect_eq "2 5" "$trips $statements" "a quick call log's round trips and statements"
cl_json_expect "$first" task_id "$TASK" outcome no-answer channel phone date 2026-11-13 \
    flags.human_answered false agent A001
before=$(left)
hf_expect_exit 0 huifang --as A001 --json call log --task "$TASK" --outcome no-answer \
    --idempotency-key quick-3
hf_expect_eq "$(cl_json_get "$first" id)" "$(cl_json_get "$HF_OUT" id)" "the retry's answer"
hf_expect_eq "$before" "$(left)" "the retry recorded nothing"
hf_expect_eq 2026-11-13 "$(hf_store_value "SELECT day FROM calllog.contact WHERE task_id = $TASK")" \
    "the contact's day: Beijing's date"

# ---- 2. the refusals after the statement, as step by step, leaving nothing ------------------
claim
task=$TASK
before=$(left)
refused() { # EXIT MESSAGE WHAT -- AS COMMAND... (the log of $task)
    local want=$1 msg=$2 what=$3
    shift 4
    hf_expect_exit "$want" huifang --as "$@"
    hf_expect_contains "$HF_ERR" "$msg" "$what"
    hf_expect_eq "$before" "$(left)" "$what: nothing left"
}
refused 2 'an effect needs an outcome where someone answered, not no-answer' "an effect" -- \
    A001 call log --task "$task" --outcome no-answer --effect good --idempotency-key refused-1
refused 2 'outcome "nope" is not in the branch' "an unknown outcome" -- \
    A001 call log --task "$task" --outcome nope
refused 2 'a callback needs the time it was asked for' "a callback" -- \
    A001 call log --task "$task" --outcome callback
refused 2 'next 2026-11-12 is in the past' "a next date past in Beijing, not in UTC" -- \
    A001 call log --task "$task" --outcome connected --next 2026-11-12
refused 2 'outcome replied is for wechat contacts, not phone' "a WeChat outcome" -- \
    A001 call log --task "$task" --outcome replied
refused 2 'order_product: unknown product NOPE in branch BJ01' "an unknown product" -- \
    A001 call log --task "$task" --outcome connected --order 1 --order-product NOPE
refused 2 'not a home visit' "a visit log of a phone task" -- \
    A001 visit log --task "$task" --outcome connected
refused 4 "task $task is held by agent A001, not A002" "another agent's log" -- \
    A002 call log --task "$task" --outcome connected
# the key of a refusal is not kept: the same key logs it now
hf_expect_exit 0 huifang --as A001 --json call log --task "$task" --outcome connected --order 2 \
    --idempotency-key refused-1
cl_json_expect "$HF_OUT" order_product VC30 order_qty 2 date 2026-11-13 flags.human_answered true
contact=$(cl_json_get "$HF_OUT" id)
read -r trips statements <<<"$(cost)"
hf_expect_eq "2 5" "$trips $statements" "an order from the purchase, the quick way"
before=$(left)
already="task $task is already logged for this claim (contact $contact)"
refused 4 "$already" "a second log" -- A001 call log --task "$task" --outcome connected
refused 4 "$already" "already logged, before the WeChat outcome's channel" -- \
    A001 call log --task "$task" --outcome replied
refused 4 "$already" "already logged, with an order" -- \
    A001 call log --task "$task" --outcome connected --order 1
refused 4 "$already" "already logged, before another agent's hold" -- \
    A002 call log --task "$task" --outcome connected

# ---- 3. a supervisor's log goes step by step and records the same -------------------------
claim
hf_expect_exit 0 huifang --as L001 --json call log --task "$TASK" --outcome no-answer
sup=$HF_OUT
read -r trips statements <<<"$(cost)"
hf_log "a supervisor's log, step by step: $trips round trips, $statements statements"
((trips > 2)) || hf_fail "a supervisor's log went the quick way ($trips round trips)"
cl_json_expect "$sup" outcome no-answer channel phone date 2026-11-13 agent A001 \
    flags.human_answered false
hf_expect_eq "$(hf_store_value "SELECT count(*) FROM calllog.contact")" \
    "$(hf_store_value "SELECT count(*) FROM audit.access WHERE service = 'calllog' AND command = 'call_log'")" \
    "an audit row a contact"
hf_expect_eq "$(hf_store_value "SELECT last_seq FROM calllog.outbox_seq WHERE producer = 'calllog'")" \
    "$(hf_store_value "SELECT count(*) FROM calllog.outbox WHERE producer = 'calllog' HAVING min(seq) = 1 AND max(seq) = count(*)")" \
    "calllog's stream: 1..last, no gap"
hf_expect_eq "" "$(hf_store_value "SELECT string_agg(id::text, ',') FROM calllog.contact WHERE day <> '2026-11-13'")" \
    "every contact on Beijing's date"
hf_log "ok"
