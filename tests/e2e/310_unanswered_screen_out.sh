#!/usr/bin/env bash
# Three unanswered attempts screen a card out: the care call rings out (no-answer), is tried
# again at the next call window (busy), and again the next morning (no-answer). Each attempt
# is its own claim with its own contact record; after the third the task ends, the
# customer's other steps are cancelled, the card is void ("unanswered") and nothing more is
# planned for them — the scheduler decides from call_logged's flags alone.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"

hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345678 --channel counter \
    --region chaoyang
customer=$(cl_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang purchase add --customer "$customer" --product VC30 --quantity 1
# (--no-follow exits 0 with nothing to print: wait for the event itself)
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_started --count 1 --no-follow | grep -q plan_started"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.plan_started --count 1 --no-follow
care=$(cl_json_get "$HF_OUT" plan_started.tasks.0.id)
repurchase=$(cl_json_get "$HF_OUT" plan_started.tasks.1.id)

# attempt N: wait for the care call in A001's bag, claim it, log OUTCOME
attempt() {
    local n=$1 outcome=$2
    hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -q '\"id\":$care,.*\"state\":\"assigned\"'"
    hf_expect_exit 0 huifang --as A001 task next
    hf_expect_contains "$HF_OUT" "task $care" "attempt $n claims the care call"
    hf_expect_exit 0 huifang --as A001 call log --task "$care" --outcome "$outcome" --duration 30
    # the record's first row is the contact: CONTACT TASK CUSTOMER AGENT CHANNEL OUTCOME ...
    local row
    row=$(printf '%s\n' "$HF_OUT" | sed -n 2p)
    [[ $row == *" $care "*"$outcome"* ]] || hf_fail "attempt $n: unexpected record: $row"
}

# day 10, 10:00: no answer; the call comes back at the next window, 14:00
hf_expect_exit 0 huifang clock advance 10d
attempt 1 no-answer
hf_wait_until 10 bash -c "huifang --json task show $care | grep -q '\"state\":\"planned\"'"
hf_expect_exit 0 huifang --json task show "$care"
hf_expect_eq 1 "$(cl_json_get "$HF_OUT" task.attempts)" "one attempt so far"
hf_expect_eq 2026-11-12T06:00:00.000Z "$(cl_json_get "$HF_OUT" task.due_at)" "retried at 14:00"

# 14:00: busy; back at 09:00 the next day
hf_expect_exit 0 huifang clock advance 4h
attempt 2 busy
hf_wait_until 10 bash -c "huifang --json task show $care | grep -q '\"attempts\":2'"
hf_expect_exit 0 huifang --json task show "$care"
hf_expect_eq planned "$(cl_json_get "$HF_OUT" task.state)" "planned again after the second attempt"
hf_expect_eq 2026-11-13T01:00:00.000Z "$(cl_json_get "$HF_OUT" task.due_at)" "retried at 09:00 next day"

# 09:00 next day: the third unanswered attempt screens the card out
hf_expect_exit 0 huifang clock advance 19h
attempt 3 no-answer
hf_wait_until 10 bash -c "huifang --json task show $care | grep -q '\"state\":\"done\"'"
hf_expect_exit 0 huifang --json task show "$care"
hf_expect_eq 3 "$(cl_json_get "$HF_OUT" task.attempts)" "three attempts"
hf_expect_eq no-answer "$(cl_json_get "$HF_OUT" task.outcome)" "ended unanswered"
hf_expect_exit 0 huifang --json task show "$repurchase"
hf_expect_eq cancelled "$(cl_json_get "$HF_OUT" task.state)" "the repurchase step is cancelled"

# the card itself is screened out, with the reason kept (intake, from customer_screened)
hf_wait_until 10 bash -c "huifang --json customer show $customer | grep -q '\"card_type\":\"void\"'"
hf_expect_exit 0 huifang --json customer show "$customer"
hf_expect_contains "$(cl_json_get "$HF_OUT" customer.void_reason)" unanswered "the reason is kept"

# three claims, three records, each with the flags the scheduler read
hf_expect_exit 0 huifang events tail --from-seq 1 --topic calllog.call_logged --no-follow
hf_expect_eq 3 "$(printf '%s\n' "$HF_OUT" | grep -c .)" "three call_logged"
hf_expect_eq 3 "$(printf '%s\n' "$HF_OUT" | grep -c '"human_answered":false')" "nobody answered"
for n in 1 2 3; do
    hf_expect_contains "$HF_OUT" "\"claim_no\":$n," "claim $n logged"
done

# nothing more is planned for the customer: no due task, none later either
hf_expect_exit 0 huifang --json queue stats
hf_expect_eq 0 "$(cl_json_get "$HF_OUT" planned)" "no planned task left"
hf_expect_eq 0 "$(cl_json_get "$HF_OUT" due)" "no due task left"
hf_expect_exit 0 huifang clock advance 30d
# a round of assignment on the new day has run: anything it bagged would show
hf_wait_timer_rounds scheduler tick
hf_expect_exit 3 huifang --as A001 task next
hf_expect_exit 0 huifang --json worklist --agent A001
hf_expect_eq "" "$HF_OUT" "an empty date bag a month later"
