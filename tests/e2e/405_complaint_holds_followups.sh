#!/usr/bin/env bash
# A complaint holds the customer's sales follow-ups (the scheduler consumes ComplaintOpened
# and ComplaintResolved): a complaint filed on day 20 keeps the day-25 repurchase call out of
# the agent's date bag until it is resolved, then the call comes back. An approved return
# (ReturnDecided) ends what is left of the purchase's plan.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

# --lead-plans none: this test counts plans and tasks of purchases; a lead's own conversion
# plan (150_lead_first_call.sh) would add to them
hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --tz Asia/Shanghai \
    --windows 09:00-12:00,14:00-20:00 --lead-plans none
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
hf_expect_exit 0 huifang agent add M001 --name 'Sun Hong' --role manager
hf_expect_exit 0 huifang agent add D001 --name 'Dr Zhao' --role doctor --daily-visits 8
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 \
    --plan monthly-course
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345678 --channel counter \
    --region chaoyang
wang=$(hf_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang --json lead add --name 'Chen Jie' --phone 13900001111 --channel counter \
    --region chaoyang
chen=$(hf_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang purchase add --customer "$wang" --product VC30 --quantity 1
hf_expect_exit 0 huifang --json purchase add --customer "$chen" --product VC30 --quantity 1
chen_purchase=$(hf_json_get "$HF_OUT" id)

# the plans: a day-10 care call and a day-25 repurchase call each
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow | grep -c plan_started | grep -qx 2"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow
plans=$HF_OUT
wang_repurchase=$(grep "\"customer_id\":$wang," <<<"$plans" | sed -n 's/.*"id":\([0-9]*\),[^{]*"purpose":"repurchase".*/\1/p')
chen_repurchase=$(grep "\"customer_id\":$chen," <<<"$plans" | sed -n 's/.*"id":\([0-9]*\),[^{]*"purpose":"repurchase".*/\1/p')
[[ -n $wang_repurchase && -n $chen_repurchase ]] || hf_fail "no repurchase steps in: $plans"
task_state() {
    huifang --json task show "$1" | sed -n 's/.*"state":"\([a-z-]*\)".*/\1/p' | head -1
}

# day 20: Wang complains; her repurchase call is held
hf_expect_exit 0 huifang clock advance 20d
file=(huifang --as A001 --json complaint file --customer "$wang" --category product-effect
    --text 'no change after three weeks' --idempotency-key hold-1)
hf_wait_until 10 "${file[@]}"
hf_expect_exit 0 "${file[@]}"
complaint=$(hf_json_get "$HF_OUT" id)
hf_wait_until 10 bash -c "huifang --json task show $wang_repurchase | grep -q '\"state\":\"paused\"'"

# Chen returns the unopened box; the manager approves: his remaining steps end
hf_wait_until 10 huifang --as A001 return request --purchase "$chen_purchase" --used 0 \
    --packaging intact --reason 'changed his mind' --idempotency-key hold-return
hf_expect_exit 0 huifang --as A001 return request --purchase "$chen_purchase" --used 0 \
    --packaging intact --reason 'changed his mind' --idempotency-key hold-return
rid=$(sed -n 's/^return \([0-9]*\) .*/\1/p' <<<"$HF_OUT")
hf_expect_exit 4 huifang --as A001 return approve "$rid"
hf_expect_eq planned "$(task_state "$chen_repurchase")" "an agent's attempt changes nothing"
hf_expect_exit 0 huifang --as M001 return approve "$rid"
hf_wait_until 10 bash -c "huifang --json task show $chen_repurchase | grep -q '\"state\":\"cancelled\"'"

# day 25: the repurchase day; Wang's call stays out of the bag while she complains
hf_expect_exit 0 huifang clock advance 5d
# a round of assignment on the new day has run: had it bagged the held call, it would show
hf_wait_timer_rounds scheduler tick
hf_expect_eq paused "$(task_state "$wang_repurchase")" "held during the complaint"
hf_expect_exit 0 huifang --json worklist --agent A001
[[ $HF_OUT != *"\"id\":$wang_repurchase,"* ]] || hf_fail "a held call is in the date bag"

# resolved: the call comes back into today's bag (five days on, the complaint has escalated
# past the agent: a manager resolves it)
hf_expect_exit 0 huifang --as M001 complaint resolve "$complaint" --resolution 'explained the course length'
hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -q '\"id\":$wang_repurchase,'"
hf_expect_eq assigned "$(task_state "$wang_repurchase")" "back in the bag after the complaint"

# an adverse-reaction complaint filed directly sends a doctor at once, as an adverse call does
hf_expect_exit 0 huifang --as A001 complaint file --customer "$chen" --category adverse-reaction \
    --text 'rash after the second day' --idempotency-key hold-adverse
hf_wait_until 10 bash -c "huifang --json worklist --agent D001 | grep -q '\"purpose\":\"adverse-reaction\"'"
hf_expect_exit 0 huifang --json worklist --agent D001
hf_expect_eq 1 "$(grep -c '"purpose":"adverse-reaction"' <<<"$HF_OUT")" "one doctor visit for the complaint"
