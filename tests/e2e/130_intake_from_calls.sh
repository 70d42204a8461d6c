#!/usr/bin/env bash
# What calls do to the archive, through all five services: a consultation that sold makes a
# customer with a purchase, one that did not a lead on the consult-not-converted plan; a
# follow-up call that takes an order is a purchase (a new form with its own plan) and a
# referral is a new lead; a contact turns a new card one-on-one; a refusal voids the card
# and opts the customer out.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

# consultations keep their conversion plan; the other leads start none here, so that the
# plans counted are the consultation's and the purchases' (150_lead_first_call.sh: new-lead)
hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing' --windows 09:00-12:00,14:00-20:00 \
    --lead-plans "$HF_LEAD_PLANS_CONSULT_ONLY"
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 40
hf_expect_exit 0 huifang agent add K001 --name 'Dr Sun' --role consult --regions chaoyang
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 \
    --plan monthly-course
field() { huifang customer show "$1" | awk -v k="$2" 'substr($0, 3, 12) ~ "^"k" *$" { print substr($0, 16); exit }'; }
# Claims A001's tasks until one for phone $1 (logging any other as connected); prints its id.
claim_for() {
    local deadline out id
    deadline=$(hf_deadline 20)
    while :; do
        out=$(huifang --as A001 --json task next 2>/dev/null || true)
        id=$(sed -n 's/^{"task":{"id":\([0-9]*\),.*/\1/p' <<<"$out")
        if [[ -n $id ]]; then
            if [[ $out == *"\"customer_phone\":\"$1\""* ]]; then
                printf '%s\n' "$id"
                return 0
            fi
            huifang --as A001 call log --task "$id" --outcome connected >/dev/null
        fi
        hf_past "$deadline" && hf_fail "no task for $1 reached A001's bag"
        sleep 0.2
    done
}
customer_of() { # the customer id of a phone, once intake has it
    local out
    out=$(huifang customer find "$1" 2>/dev/null) || return 1
    awk 'NR == 2 { print $1 }' <<<"$out"
}

# ---- consultations ------------------------------------------------------------------------
# calllog learns the branch from intake's events: wait for it (on a loaded machine the
# first consultation could otherwise arrive first and be refused with "unknown branch")
hf_wait_until 10 huifang --as K001 consult list
hf_expect_exit 0 huifang --as K001 consult log --name 'Wang Fang' --phone 13812345678 \
    --complaint 'tired all day' --media 'TV ad' --outcome bought --product VC30 --quantity 1 \
    --region chaoyang --delivery store
hf_wait_until 20 customer_of 13812345678
wang=$(customer_of 13812345678)
hf_wait_until 10 bash -c "huifang --json customer show $wang | grep -q '\"nth\":1'"
hf_expect_eq customer "$(field "$wang" card)" "bought: a customer card"
hf_expect_exit 0 huifang customer show "$wang"
hf_expect_contains "$HF_OUT" "consult  K001       TV ad" "the consultation is the lead's source"
hf_expect_exit 0 huifang --as K001 consult log --name 'Zhou Min' --phone 13900000001 \
    --complaint 'poor sleep' --media 'newspaper' --outcome not-bought --age 45 --region chaoyang
hf_wait_until 20 customer_of 13900000001
zhou=$(customer_of 13900000001)
hf_expect_eq 45 "$(field "$zhou" age)" "the caller's age"
hf_expect_eq 'poor sleep' "$(field "$zhou" condition)" "the chief complaint"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic intake.lead_registered/BJ01 --count 2 --no-follow
hf_expect_contains "$HF_OUT" '"plan":"consult-not-converted"' "not converted: callbacks planned"

# ---- a follow-up call: talked to, an order, a referral ----------------------------------------
hf_wait_until 20 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_started --count 1 --no-follow | grep -q plan_started"
hf_expect_exit 0 huifang clock advance 10d
task=$(claim_for 13812345678)
hf_expect_exit 0 huifang --as A001 call log --task "$task" --outcome connected --effect good \
    --order 2 --order-product VC30 --delivery store --referral-name 'Li Lei' --referral-phone 13700000001
hf_wait_until 20 bash -c "huifang --json customer show $wang | grep -q '\"nth\":2'"
hf_expect_exit 0 huifang --json customer show "$wang"
hf_expect_eq 2 "$(hf_json_get "$HF_OUT" purchases.1.quantity)" "the order is a purchase"
hf_expect_eq A001 "$(hf_json_get "$HF_OUT" purchases.1.agent)" "taken by the agent"
hf_wait_until 20 customer_of 13700000001
li=$(customer_of 13700000001)
hf_expect_exit 0 huifang customer show "$li"
hf_expect_contains "$HF_OUT" "referral  A001" "a referral, collected by the agent"
hf_expect_contains "$HF_OUT" "customer $wang" "referred by the customer"
# the repurchase is a new form with a plan of its own (the third: Zhou's callbacks are second)
hf_wait_until 20 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_started --count 3 --no-follow | grep -q '\"purchase_id\":2,'"

# ---- a refusal: void, and nobody calls again ------------------------------------------------
hf_expect_exit 0 huifang purchase add --customer "$zhou" --product VC30 --quantity 1
hf_wait_until 20 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_started --count 4 --no-follow | grep -q '\"purchase_id\":3,'"
hf_expect_exit 0 huifang clock advance 10d
task=$(claim_for 13900000001)
hf_expect_exit 0 huifang --as A001 call log --task "$task" --outcome refused
hf_wait_until 20 bash -c "huifang customer show $zhou | grep -q 'void (refused)'"
hf_expect_eq 'yes: do not contact — refused' "$(field "$zhou" 'opted out')" "opted out"
