#!/usr/bin/env bash
# Contacts file complaints and flag risks: an adverse effect logged on a call opens an
# adverse-reaction card (high severity, the calling agent owns it, its clock running) and
# says so in ComplaintOpened; a customer who reported no effect and then refused further
# contact — or took no order on the repurchase call — is flagged once as a word-of-mouth
# risk for the head; one who ordered is not.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --tz Asia/Shanghai \
    --windows 09:00-12:00,14:00-20:00
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
hf_expect_exit 0 huifang agent add A002 --name 'Zhou Min' --role phone --regions haidian
hf_expect_exit 0 huifang agent add H001 --name 'Zhao Lei' --role head
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 \
    --plan monthly-course
lead() {
    huifang --json lead add --name "$1" --phone "$2" --channel counter --region "$3" |
        sed -n 's/.*"customer":{"id":\([0-9]*\),.*/\1/p'
}
wang=$(lead 'Wang Fang' 13812345678 haidian)     # adverse reaction
chen=$(lead 'Chen Jie' 13900001111 chaoyang)     # no effect, then refuses
zhou=$(lead 'Zhou Yan' 13700002222 chaoyang)     # no effect, then no order at repurchase
liu=$(lead 'Liu Bo' 13600003333 chaoyang)        # no effect, then orders again
for c in "$wang" "$chen" "$zhou" "$liu"; do
    hf_expect_exit 0 huifang purchase add --customer "$c" --product VC30 --quantity 1
done

# claims and logs every task in the agent's bag; $1 is the agent, then "customer=ARGS" pairs
work_bag() {
    local agent=$1 ctx task cust args
    shift
    declare -A how=()
    for pair in "$@"; do
        how[${pair%%=*}]=${pair#*=}
    done
    while ctx=$(huifang --as "$agent" --json task next 2>/dev/null); do
        task=$(sed -n 's/^{"task":{"id":\([0-9]*\),.*/\1/p' <<<"$ctx")
        cust=$(sed -n 's/^{"task":{[^}]*"customer_id":\([0-9]*\),.*/\1/p' <<<"$ctx")
        args=${how[$cust]:-"--outcome connected"}
        # shellcheck disable=SC2086
        hf_expect_exit 0 huifang --as "$agent" call log --task "$task" $args
    done
}

# day 10, the care calls: Wang reacts badly, the three others feel nothing
hf_expect_exit 0 huifang clock advance 10d
hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -c '\"state\":\"assigned\"' | grep -qx 3"
hf_wait_until 10 bash -c "huifang --json worklist --agent A002 | grep -q '\"state\":\"assigned\"'"
work_bag A002 "$wang=--outcome connected --effect adverse --note rash-on-both-arms"
work_bag A001 "$chen=--outcome connected --effect none" "$zhou=--outcome connected --effect none" \
    "$liu=--outcome connected --effect none"

# the adverse effect became a card: high severity, A002 owns it, its clock runs from the call
hf_wait_until 10 bash -c "huifang --json complaint list --customer $wang | grep -q adverse-reaction"
hf_expect_exit 0 huifang --json complaint list --customer "$wang"
hf_expect_contains "$HF_OUT" '"category":"adverse-reaction","severity":"high","state":"open","owner":"A002","level":0,"channel":"phone"' "an adverse-reaction card"
hf_expect_contains "$HF_OUT" '"due_at":"2026-11-13T02:00:00.000Z"' "due 24 h after the call"
card=$(sed -n 's/^{"id":\([0-9]*\),.*/\1/p' <<<"$HF_OUT")
hf_expect_exit 0 huifang complaint show "$card"
hf_expect_contains "$HF_OUT" "rash-on-both-arms" "the contact's note is the complaint's text"
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic complaint.complaint_opened --no-follow | grep -q adverse-reaction"
hf_expect_exit 0 huifang --json complaint list
hf_expect_eq 1 "$(grep -c . <<<"$HF_OUT")" "one card: only the adverse effect files one"
hf_expect_exit 0 huifang complaint risks
hf_expect_contains "$HF_ERR" "no customer is flagged" "no effect alone is no risk"

# day 25, the repurchase calls: Chen refuses, Zhou takes no order, Liu orders
hf_expect_exit 0 huifang clock advance 15d
hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -c '\"purpose\":\"repurchase\"' | grep -qx 3"
work_bag A001 "$chen=--outcome refused" "$zhou=--outcome connected" \
    "$liu=--outcome connected --order 1 --order-product VC30"
hf_wait_until 10 bash -c "huifang --json complaint risks | grep -c customer_id | grep -qx 2"
hf_expect_exit 0 huifang --json complaint risks
hf_expect_contains "$HF_OUT" "\"customer_id\":$chen,\"customer_name\":\"Chen Jie\",\"reason\":\"reported no effect, then refused further contact\"" "Chen flagged"
hf_expect_contains "$HF_OUT" "\"customer_id\":$zhou,\"customer_name\":\"Zhou Yan\",\"reason\":\"reported no effect, then took no order on the repurchase call\"" "Zhou flagged"
[[ $HF_OUT != *"\"customer_id\":$liu,"* ]] || hf_fail "a customer who ordered is no risk"
hf_expect_exit 0 huifang complaint risks
hf_expect_contains "$HF_OUT" "C***" "names are masked in the table"
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic complaint.word_of_mouth_risk --no-follow | grep -c customer_id | grep -qx 2"
