#!/usr/bin/env bash
# The thin path, through the real services and the `huifang` client: a branch and an agent
# exist; a lead buys a 30-day product; the scheduler plans the monthly course (day 10 care
# call, day 25 repurchase call); on day 10 the care call is in the agent's date bag; the
# agent claims it, logs "connected"; the step is done and the day-25 step stays planned.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

# --lead-plans none: this is the purchase's plan; the lead buys at once, before any
# conversion call (150_lead_first_call.sh tests the conversion plan a lead starts)
hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --tz Asia/Shanghai \
    --windows 09:00-12:00,14:00-20:00 --lead-plans none
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 40
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 \
    --plan monthly-course
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone '138-1234-5678' \
    --channel counter --region chaoyang
customer=$(hf_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang --json purchase add --customer "$customer" --product VC30 --quantity 1
hf_expect_eq 2026-12-02 "$(hf_json_get "$HF_OUT" supply_end)" "a 30-day supply bought on 11-02 ends 12-02"

# the plan: two tasks, day 10 and day 25, at the first call window (09:00 Beijing)
# (--no-follow exits 0 with nothing to print: wait for the event itself)
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_started --count 1 --no-follow | grep -q plan_started"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.plan_started --count 1 --no-follow
plan=$HF_OUT
hf_expect_eq monthly-course "$(hf_json_get "$plan" plan_started.template)" "template"
hf_expect_eq care "$(hf_json_get "$plan" plan_started.tasks.0.purpose)" "step 1 purpose"
hf_expect_eq 2026-11-12T01:00:00.000Z "$(hf_json_get "$plan" plan_started.tasks.0.due_at)" "day 10, 09:00 +08"
hf_expect_eq repurchase "$(hf_json_get "$plan" plan_started.tasks.1.purpose)" "step 2 purpose"
hf_expect_eq 2026-11-27T01:00:00.000Z "$(hf_json_get "$plan" plan_started.tasks.1.due_at)" "day 25, 09:00 +08"
care=$(hf_json_get "$plan" plan_started.tasks.0.id)
repurchase=$(hf_json_get "$plan" plan_started.tasks.1.id)

# before day 10 the bag is empty and nothing can be claimed
hf_expect_exit 0 huifang --json worklist --agent A001
hf_expect_eq "" "$HF_OUT" "empty date bag on day 0"
hf_expect_exit 3 huifang task next --agent A001

# day 10, 10:00: the care call is due and lands in Li Na's bag
hf_expect_exit 0 huifang clock advance 10d
hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -q '\"id\":$care,'"
hf_expect_exit 0 huifang --json worklist --agent A001
hf_expect_eq assigned "$(hf_json_get "$HF_OUT" state)" "assigned to the bag"
hf_expect_eq 2026-11-12 "$(hf_json_get "$HF_OUT" bag_date)" "today's bag"
hf_expect_eq 1 "$(printf '%s\n' "$HF_OUT" | grep -c .)" "only the day-10 call is due"

# the agent claims it, with what is needed before calling, the phone unmasked
hf_expect_exit 0 huifang --as A001 task next
hf_expect_contains "$HF_OUT" 13812345678 "the agent sees the number to dial"
hf_expect_exit 0 huifang --as A001 --json task show "$care"
hf_expect_eq claimed "$(hf_json_get "$HF_OUT" task.state)" "claimed"
hf_expect_eq VC30 "$(hf_json_get "$HF_OUT" purchases.0.product)" "purchase in the context"

# someone else cannot log it; the holder can, once
hf_expect_exit 0 huifang agent add A002 --name 'Zhou Min' --role phone --regions haidian
hf_wait_until 10 bash -c "huifang --as A002 call log --task $care --outcome connected 2>&1 | grep -q 'held by agent A001'"
hf_expect_exit 0 huifang --as A001 call log --task "$care" --outcome connected --effect good \
    --note 'takes it after breakfast'
hf_expect_exit 4 huifang --as A001 call log --task "$care" --outcome connected

# the scheduler marks the step done; the repurchase step stays planned
hf_wait_until 10 bash -c "huifang --json task show $care | grep -q '\"state\":\"done\"'"
hf_expect_exit 0 huifang --json task show "$care"
hf_expect_eq connected "$(hf_json_get "$HF_OUT" task.outcome)" "outcome recorded on the step"
hf_expect_exit 0 huifang --json task show "$repurchase"
hf_expect_eq planned "$(hf_json_get "$HF_OUT" task.state)" "day-25 step still planned"
hf_expect_exit 3 huifang task next --agent A001
