#!/usr/bin/env bash
# Unanswered attempts count once per occasion, and a promised date is kept:
#  - two calls to one customer rung out in the same minute are one unanswered attempt, not two:
#    after a third no-answer in another window the card is still there (two occasions);
#  - `call log --next DATE` plans the follow-up the agent promised, on that day, for that
#    agent, at the customer's first call window; it shows in that day's bag the evening before
#    and is in it that morning.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"

hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168
# a course with two calls on day 10
hf_expect_exit 0 huifang plan add twocalls --name 'Two calls on day 10'
hf_expect_exit 0 huifang plan step twocalls --step 1 --anchor purchase --offset 10 --purpose care --channel phone --role phone
hf_expect_exit 0 huifang plan step twocalls --step 2 --anchor purchase --offset 10 --purpose usage --channel phone --role phone
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345678 --channel counter \
    --region chaoyang
customer=$(cl_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang purchase add --customer "$customer" --product VC30 --quantity 1 --plan twocalls

# ---- day 10, 10:00: both calls rung out within the minute -------------------------------------
hf_expect_exit 0 huifang clock set '2026-11-12 10:00'
hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -c '\"state\":\"assigned\"' | grep -qx 2"
hf_expect_exit 0 huifang --as A001 --json task next
first=$(cl_json_get "$HF_OUT" task.id)
hf_expect_exit 0 huifang --as A001 call log --task "$first" --outcome no-answer
hf_expect_exit 0 huifang --as A001 --json task next
second=$(cl_json_get "$HF_OUT" task.id)
[[ $second != "$first" ]] || hf_fail "the second call is another task"
hf_expect_exit 0 huifang --as A001 call log --task "$second" --outcome no-answer
# the scheduler decides in the transaction that puts the task back: once it is planned again,
# a screening would already be in its stream
hf_wait_until 10 bash -c "huifang --json task show $second | grep -q '\"state\":\"planned\"'"
hf_wait_until 10 bash -c "huifang --json task show $first | grep -q '\"state\":\"planned\"'"

# ---- 14:00, the next window: a third no-answer is the second occasion, not the third attempt --
hf_expect_exit 0 huifang clock set '2026-11-12 14:00'
hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -c '\"state\":\"assigned\"' | grep -qx 2"
hf_expect_exit 0 huifang --as A001 --json task next
third=$(cl_json_get "$HF_OUT" task.id)
hf_expect_exit 0 huifang --as A001 call log --task "$third" --outcome busy
hf_wait_until 10 bash -c "huifang --json task show $third | grep -q '\"state\":\"planned\"'"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.customer_screened --no-follow
hf_expect_eq "" "$HF_OUT" "not screened out: two occasions"
hf_expect_exit 0 huifang --json customer show "$customer"
hf_expect_eq customer "$(cl_json_get "$HF_OUT" customer.card_type)" "the card stays"

# ---- the other call is answered: the agent promises to call again on 11-20 --------------------
hf_expect_exit 0 huifang --as A001 --json task next
other=$(cl_json_get "$HF_OUT" task.id)
hf_expect_exit 0 huifang --as A001 call log --task "$other" --outcome connected --effect good \
    --next 2026-11-20 --note 'call again when the second box is half done'
hf_wait_until 10 bash -c "huifang --json task show $other | grep -q '\"state\":\"done\"'"
# the evening before, it is in the preview of that day's bag, for A001, at the first window
hf_expect_exit 0 huifang clock set '2026-11-19 18:00'
hf_expect_exit 0 huifang --json worklist --agent A001 --date tomorrow
promised=$(grep '"purpose":"follow-up"' <<<"$HF_OUT") || hf_fail "no follow-up in tomorrow's bag: $HF_OUT"
cl_json_expect "$promised" customer_id "$customer" agent A001 origin promised \
    reserved_agent A001 due_at 2026-11-20T01:00:00.000Z bag_date 2026-11-20
# that morning it is in the bag
hf_expect_exit 0 huifang clock set '2026-11-20 09:05'
hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -q '\"purpose\":\"follow-up\",.*\"state\":\"assigned\"'"
