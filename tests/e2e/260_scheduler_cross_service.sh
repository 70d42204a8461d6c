#!/usr/bin/env bash
# What other services' events do to plans, through the real services:
#  - intake: an opt-out cancels every open step; do-not-disturb postpones to the day after the
#    period; merged customers' steps follow the kept one; a consultation not converted
#    starts the consult-not-converted plan with no purchase (in the consult agents' bags);
#  - complaint: an open complaint pauses the customer's sales steps (repurchase) until it is
#    resolved; an approved return cancels what is left of the purchase's plan.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

# consultations keep their conversion plan (tested below); the other leads start none here,
# so that the plans counted are the consultation's and the purchases' (150_lead_first_call.sh:
# new-lead)
hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --windows 09:00-12:00,14:00-20:00 \
    --lead-plans "$HF_LEAD_PLANS_CONSULT_ONLY"
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
hf_expect_exit 0 huifang agent add C001 --name 'Dr Wu' --role consult --regions chaoyang
hf_expect_exit 0 huifang agent add M001 --name 'Boss Zhao' --role manager
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 --plan monthly-course

names=('Wang Fang' 'Zhang Wei' 'Liu Yang' 'Chen Jing' 'Yang Li' 'Huang Min')
customers=()
purchases=()
for i in 0 1 2 3 4 5; do
    read -r _ id _ < <(huifang lead add --name "${names[$i]}" --phone "1381234567$i" --channel counter --region chaoyang)
    [[ $id =~ ^[0-9]+$ ]] || hf_fail "lead add printed no customer id"
    customers+=("$id")
    out=$(huifang --json purchase add --customer "$id" --product VC30 --quantity 1)
    purchases+=("$(sed -n 's/^{"id":"\{0,1\}\([0-9]*\).*/\1/p' <<<"$out")")
done
hf_wait_until 10 bash -c "[ \$(huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow | grep -c plan_started) = 6 ]"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow
plans=$HF_OUT
# the task of step N (1 care, 2 repurchase) of customer C
task_of() {
    grep "\"customer_id\":\"\{0,1\}$1\"\{0,1\}," <<<"$plans" | head -n1 |
        grep -o '"id":"\{0,1\}[0-9]*"\{0,1\},"branch":"BJ01","customer_id":"\{0,1\}[0-9]*"\{0,1\},"purchase_id":"\{0,1\}[0-9]*"\{0,1\},"plan_id":"\{0,1\}[0-9]*"\{0,1\},"step_no":'"$2" |
        grep -o '^"id":"\{0,1\}[0-9]*' | tr -dc 0-9
}
state_is() { huifang --json task show "$1" | grep -q "\"state\":\"$2\""; }

# opt-out: every open step of the customer is cancelled
c=${customers[0]}
hf_expect_exit 0 huifang customer opt-out "$c" --reason 'asked not to be called'
hf_wait_until 10 state_is "$(task_of "$c" 1)" cancelled
hf_wait_until 10 state_is "$(task_of "$c" 2)" cancelled
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_ended --no-follow | grep -q '\"reason\":\"opted-out\"'"

# do not disturb until 11-20: the day-10 call moves to 11-21, 09:00
c=${customers[1]}
hf_expect_exit 0 huifang customer dnd "$c" --until 2026-11-20 --reason hospital
hf_wait_until 10 bash -c "huifang --json task show $(task_of "$c" 1) | grep -q '\"due_at\":\"2026-11-21T01:00:00.000Z\"'"
hf_expect_exit 0 huifang --json task show "$(task_of "$c" 2)"
hf_expect_eq 2026-11-27T01:00:00.000Z "$(hf_json_get "$HF_OUT" task.due_at)" "the day-25 call is after the period"

# a complaint holds the repurchase call, not the care call, until it is resolved
c=${customers[2]}
hf_expect_exit 0 huifang --as A001 --json complaint file --customer "$c" --category product-effect --text 'no effect after a week'
complaint=$(sed -n 's/^{"id":"\{0,1\}\([0-9]*\).*/\1/p' <<<"$HF_OUT")
[[ -n $complaint ]] || hf_fail "complaint file printed no id: $HF_OUT"
hf_wait_until 10 state_is "$(task_of "$c" 2)" paused
hf_expect_exit 0 huifang --json task show "$(task_of "$c" 1)"
hf_expect_eq planned "$(hf_json_get "$HF_OUT" task.state)" "the care call goes on"
hf_expect_exit 0 huifang --as A001 complaint resolve "$complaint" --resolution 'explained the course length'
hf_wait_until 10 state_is "$(task_of "$c" 2)" planned

# an approved return ends the purchase's plan
c=${customers[3]}
hf_expect_exit 0 huifang --json return request --purchase "${purchases[3]}" --used 0 --packaging intact --reason 'changed mind'
ret=$(sed -n 's/^{"id":"\{0,1\}\([0-9]*\).*/\1/p' <<<"$HF_OUT")
[[ -n $ret ]] || hf_fail "return request printed no id: $HF_OUT"
hf_expect_exit 0 huifang --as M001 return approve "$ret"
hf_wait_until 10 state_is "$(task_of "$c" 1)" cancelled
hf_wait_until 10 state_is "$(task_of "$c" 2)" cancelled
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_ended --no-follow | grep -q '\"reason\":\"returned\"'"

# two cards of one person merged: the other's steps follow the kept customer
keep=${customers[4]} other=${customers[5]}
hf_expect_exit 0 huifang customer merge "$keep" "$other"
hf_wait_until 10 bash -c "huifang --json task show $(task_of "$other" 1) | grep -q '\"customer_id\":\"\{0,1\}$keep\"\{0,1\},'"

# a consultation that did not sell: a lead with the consult-not-converted plan, its first
# call due today, in the consult agent's bag
hf_expect_exit 0 huifang --as C001 consult log --name 'Sun Li' --phone 13912345678 --complaint 'joint pain' \
    --media 'radio ad' --outcome not-bought --region chaoyang
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow | grep -q '\"template\":\"consult-not-converted\"'"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow
lead_plan=$(grep '"template":"consult-not-converted"' <<<"$HF_OUT")
hf_expect_eq 0 "$(hf_json_get "$lead_plan" plan_started.purchase_id)" "no purchase"
hf_expect_eq 3 "$(grep -o '"role":"consult"' <<<"$lead_plan" | wc -l)" "three consult calls"
hf_wait_until 10 bash -c "huifang --json worklist --agent C001 | grep -q '\"purpose\":\"new-lead\"'"

# a member's home visits: a new member without one for two months is flagged for the manager
hf_expect_exit 0 huifang agent add V001 --name 'Gao Yan' --role visit --regions chaoyang --daily-visits 8
hf_expect_exit 0 huifang product add MEM6 --name 'Member pack' --days-per-unit 180 --price 1999 --plan member
read -r _ member _ < <(huifang lead add --name 'Xu Ping' --phone 13712345679 --channel counter --region chaoyang)
hf_expect_exit 0 huifang purchase add --customer "$member" --product MEM6 --quantity 1
hf_expect_exit 0 huifang clock set '2026-11-03 09:30'
hf_wait_until 10 bash -c "huifang --json worklist --agent V001 | grep -q '\"purpose\":\"visit\"'"
hf_expect_exit 0 huifang --as V001 --json task next
visit=$(sed -n 's/.*"task":{"id":"\{0,1\}\([0-9]*\).*/\1/p' <<<"$HF_OUT")
hf_expect_exit 0 huifang --as V001 visit log --task "$visit" --outcome connected --note 'first visit, all well'
hf_expect_exit 0 huifang clock set '2026-12-30 10:00'
# the members are checked by the housekeeping timer: a round on the new date has run
hf_wait_timer_rounds scheduler house 9
hf_expect_exit 0 huifang supervisor alerts
hf_expect_contains "$HF_ERR" "no open alerts" "57 days: still within two months"
hf_expect_exit 0 huifang clock set '2027-01-04 10:00'
hf_wait_until 10 bash -c "huifang supervisor alerts | grep -q member-unvisited"
hf_expect_exit 0 huifang --json supervisor alerts
hf_expect_eq "$member" "$(hf_json_get "$HF_OUT" customer_id)" "the member is named"
hf_expect_contains "$(hf_json_get "$HF_OUT" detail)" "new member without a home visit since 2026-11-03" "since the visit"
