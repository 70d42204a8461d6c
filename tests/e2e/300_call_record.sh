#!/usr/bin/env bash
# The follow-up record sheet, through `huifang call log`: the outcome taxonomy is data per
# branch (listed, extended by a supervisor only); bad input — an unknown outcome, a negative
# quantity, a start in the future, an unknown product, a past next date, an effect nobody
# answered for, a task held by someone else — is refused naming the field and records
# nothing; then the whole sheet (usage, effect, advice, order, event, typical case, referral,
# next date) is recorded once per claim, a retry with the same key gives the same contact,
# a second log is a conflict, and call_logged carries the sheet with the outcome's flags.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --windows 09:00-12:00,14:00-20:00
hf_expect_exit 0 huifang branch add SH01 --name 'Shanghai Pudong'
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
hf_expect_exit 0 huifang agent add A002 --name 'Zhou Min' --role phone --regions haidian
hf_expect_exit 0 huifang agent add L001 --name 'Chen Jie' --role lead
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345678 --channel counter \
    --region chaoyang
customer=$(cl_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang purchase add --customer "$customer" --product VC30 --quantity 1
hf_expect_exit 0 huifang --json lead add --name 'Liu Yang' --phone 13900002222 --channel counter \
    --region chaoyang
hf_expect_exit 0 huifang purchase add --customer "$(cl_json_get "$HF_OUT" customer.id)" \
    --product VC30 --quantity 1

# ---- the outcome taxonomy: seeded defaults, a branch's own code, supervisors only --------
hf_expect_exit 0 huifang outcome list
# (and WeChat's four: sent, read, replied, no-reply; calllog migration 008; a campaign's two:
# accepted, declined; calllog migration 006)
for code in connected no-answer busy wrong-number not-in-service refused hostile callback \
    sent read replied no-reply accepted declined; do
    hf_expect_contains "$HF_OUT" "$code" "seeded outcome $code"
done
hf_expect_eq 14 "$(($(printf '%s\n' "$HF_OUT" | wc -l) - 1))" "fourteen seeded outcomes"
hf_expect_contains "$HF_OUT" "human-answered,contacted,completed" "connected's flags"
# the agents' copy reaches the call log through intake's events
cl_wait_supervisor L001
hf_expect_exit 4 huifang --as A001 outcome add left-message --name 'Left a message'
hf_expect_contains "$HF_ERR" "A001 is phone" "a phone agent may not change the taxonomy"
hf_expect_exit 2 huifang --as L001 outcome add chatted --name 'Chatted' --flags contacted,completed
hf_expect_contains "$HF_ERR" "contacted needs human-answered" "flags that do not fit together"
hf_expect_exit 2 huifang --as L001 outcome add chatted --name 'Chatted' --flags contacted,bogus
hf_expect_contains "$HF_ERR" "--flags: unknown flag 'bogus'" "an unknown flag names --flags"
hf_expect_exit 0 huifang --as L001 --json outcome add left-message --name 'Left a message' \
    --flags ''
hf_expect_eq BJ01 "$(cl_json_get "$HF_OUT" branch)" "the branch's own outcome"
hf_expect_exit 4 huifang --as L001 outcome add left-message --name 'Again'
hf_expect_exit 0 huifang outcome list
hf_expect_contains "$HF_OUT" "left-message" "BJ01 lists its own code"
hf_expect_eq 15 "$(($(printf '%s\n' "$HF_OUT" | wc -l) - 1))" "fifteen outcomes in BJ01"
hf_expect_exit 0 huifang --branch SH01 outcome list
[[ $HF_OUT != *left-message* ]] || hf_fail "SH01 must not see BJ01's outcome"

# ---- day 10: the care call is claimed --------------------------------------------------------
hf_expect_exit 0 huifang clock advance 10d
hf_wait_until 10 bash -c "test \$(huifang --json worklist --agent A001 | grep -c '\"state\":\"assigned\"') -eq 2"
hf_expect_exit 0 huifang --as A001 --json task next
task=$(cl_json_get "$HF_OUT" task.id)

# ---- bad input: each names its field, nothing is recorded -----------------------------------
hf_expect_exit 2 huifang --as A001 call log --task "$task" --outcome answered-machine
hf_expect_contains "$HF_ERR" 'outcome "answered-machine" is not in' "unknown outcome"
hf_expect_exit 2 huifang --as A001 call log --task "$task" --outcome connected --order -1
hf_expect_contains "$HF_ERR" "--order must be a whole number" "negative quantity"
hf_expect_exit 2 huifang --as A001 call log --task "$task" --outcome connected \
    --started-at '2026-11-12 11:00'
hf_expect_contains "$HF_ERR" "started_at is in the future" "a start in the future"
hf_expect_exit 2 huifang --as A001 call log --task "$task" --outcome connected --order 2 \
    --order-product NOPE
hf_expect_contains "$HF_ERR" "order_product: unknown product NOPE" "unknown product"
hf_expect_exit 2 huifang --as A001 call log --task "$task" --outcome connected --next 2026-11-01
hf_expect_contains "$HF_ERR" "next 2026-11-01 is in the past" "a next date in the past"
hf_expect_exit 2 huifang --as A001 call log --task "$task" --outcome connected --next 2099-01-01
hf_expect_contains "$HF_ERR" "next 2099-01-01 is more than a year ahead" "a next date within a year"
hf_expect_exit 2 huifang --as A001 call log --task "$task" --outcome no-answer --effect good
hf_expect_contains "$HF_ERR" "an effect needs an outcome where someone answered" "no answer, no effect"
hf_expect_exit 2 huifang --as A001 call log --task "$task" --outcome busy --order 1
hf_expect_contains "$HF_ERR" "an order needs an outcome where someone answered" "no answer, no order"
hf_expect_exit 2 huifang --as A001 call log --task "$task" --outcome connected --consent
hf_expect_contains "$HF_ERR" "--consent" "consent without a typical case"
hf_expect_exit 2 huifang --as A001 call log --task "$task" --outcome connected \
    --referral-name 'Zhao Lei' --referral-phone 12345
hf_expect_contains "$HF_ERR" "--referral-phone" "a referral's phone is checked"
hf_expect_exit 2 huifang --as A001 call log --task "$task" --outcome callback
hf_expect_contains "$HF_ERR" "--callback-at" "a callback needs its time"
hf_expect_exit 4 huifang --as A002 call log --task "$task" --outcome connected
hf_expect_contains "$HF_ERR" "held by agent A001, not A002" "a task not held"
hf_expect_exit 3 huifang --as A001 call log --task 999999 --outcome connected
hf_expect_exit 0 huifang events tail --from-seq 1 --topic calllog.call_logged --no-follow
hf_expect_eq "" "$HF_OUT" "nothing was recorded by refused logs"

# ---- the whole sheet, once per claim ----------------------------------------------------------
log=(huifang --as A001 --json call log --task "$task" --outcome connected --effect good
    --dose '2 tablets' --timing 'after breakfast' --other-medicines 'aspirin' --diet 'low salt'
    --advice 'keep taking it with water' --order 2 --delivery store --event 'Health talk 11-20'
    --event-accepted --typical-case --consent --referral-name 'Zhao Lei'
    --referral-phone '139 0000 1111' --next 2026-11-20 --duration 240
    --started-at '2026-11-12 09:56' --note 'asked about the price' --idempotency-key sheet-1)
hf_expect_exit 0 "${log[@]}"
sheet=$HF_OUT
contact=$(cl_json_get "$sheet" id)
cl_json_expect "$sheet" task_id "$task" claim_no 1 channel phone purpose care \
    usage.dose "2 tablets" usage.timing "after breakfast" usage.other_medicines aspirin \
    usage.diet "low salt" order_product VC30 order_qty 2 delivery store event_accepted true \
    event "Health talk 11-20" typical_case true typical_consent true \
    referral.name "Zhao Lei" referral.phone 13900001111 referral.channel referral \
    referral.collector A001 referral.region chaoyang next_date 2026-11-20 date 2026-11-12 \
    duration_s 240 started_at 2026-11-12T01:56:00.000Z flags.completed true \
    flags.human_answered true delivery_id 0 effect good note "asked about the price"
# a retry with the same key is the same answer; another log of the claim is a conflict
hf_expect_exit 0 "${log[@]}"
hf_expect_eq "$contact" "$(cl_json_get "$HF_OUT" id)" "the retry gets the first contact"
hf_expect_exit 4 huifang --as A001 call log --task "$task" --outcome connected
hf_expect_contains "$HF_ERR" "already logged" "one log per claim"
hf_expect_exit 4 huifang --as L001 call log --task "$task" --outcome connected

# ---- the event carries the sheet and the flags -------------------------------------------------
# (the tap masks names, phones and free text: the referral's name, the advice and the usage)
hf_expect_exit 0 huifang events tail --from-seq 1 --topic calllog.call_logged --no-follow
hf_expect_eq 1 "$(printf '%s\n' "$HF_OUT" | grep -c .)" "one call_logged"
cl_json_expect "$HF_OUT" call_logged.contact.id "$contact" \
    call_logged.contact.flags.human_answered true call_logged.contact.order_product VC30 \
    call_logged.contact.referral.name "Z*** L***" call_logged.contact.referral.phone "139****1111" \
    call_logged.contact.advice "[25 chars]" call_logged.contact.usage.dose "[9 chars]"

# the scheduler acted on it without reading the call log's tables
hf_wait_until 10 bash -c "huifang --json task show $task | grep -q '\"state\":\"done\"'"

# a supervisor may log a task somebody else holds: the other care call
hf_expect_exit 0 huifang --as A001 --json task next
task2=$(cl_json_get "$HF_OUT" task.id)
[[ $task2 != "$task" ]] || hf_fail "the second care call is another task"
hf_expect_exit 0 huifang --as L001 --json call log --task "$task2" --outcome left-message
cl_json_expect "$HF_OUT" agent A001 outcome left-message flags.human_answered false \
    flags.completed false
