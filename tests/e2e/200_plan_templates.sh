#!/usr/bin/env bash
# Plan templates are data, per branch, changed without a rebuild or a restart:
#  - a branch edits a step of a default template: it gets its own copy (the default and the
#    other branches keep theirs) and its next purchase plans with it;
#  - a new template with a flexible step (day 3-6) and a repeating one, used by a purchase;
#  - bad input names the field; an unknown template is "not found"; adding one twice is a
#    conflict; a step can be removed.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang --branch SH01 branch add SH01 --name 'Shanghai' --windows 09:00-12:00 \
    --lead-plans none
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 --plan monthly-course
hf_expect_exit 0 huifang --branch SH01 product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 --plan monthly-course
# a template nobody has is refused, naming the plan, and records nothing
hf_expect_exit 2 huifang product add VC60 --name 'Vitamin C 60' --days-per-unit 60 --price 298 --plan no-such-plan
hf_expect_contains "$HF_ERR" "no plan template no-such-plan in branch BJ01" "product add names the plan"
hf_expect_exit 0 huifang product add VC60 --name 'Vitamin C 60' --days-per-unit 60 --price 298

# the defaults, as seeded from the manuals
hf_expect_exit 0 huifang plan list
for t in monthly-course single-course long-course four-level member consult-not-converted clinic; do
    hf_expect_contains "$HF_OUT" "$t" "default template $t"
done

# BJ01 adds a day-20 effect call to the monthly course
hf_expect_exit 0 huifang plan step monthly-course --step 3 --anchor purchase --offset 20 \
    --purpose effect --channel phone --role phone
hf_expect_contains "$HF_OUT" "[BJ01]" "the branch's own version says so"
hf_expect_exit 0 huifang --json plan show monthly-course
hf_expect_eq 3 "$(hf_json_get "$HF_OUT" steps | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "BJ01 sees three steps"
hf_expect_exit 0 huifang --branch SH01 --json plan show monthly-course
hf_expect_eq 2 "$(hf_json_get "$HF_OUT" steps | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "SH01 keeps the default"

# a purchase in each branch: BJ01 plans three steps, SH01 two (no restart in between)
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345678 --channel counter
c1=$(hf_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang purchase add --customer "$c1" --product VC30 --quantity 1
hf_expect_exit 0 huifang --branch SH01 --json lead add --name 'Li Lei' --phone 13912345678 --channel counter
c2=$(hf_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang --branch SH01 purchase add --customer "$c2" --product VC30 --quantity 1
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow | grep -c plan_started | grep -qx 2"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.plan_started/BJ01 --no-follow
hf_expect_contains "$HF_OUT" '"purpose":"effect"' "BJ01's plan has the new step"
hf_expect_eq 3 "$(grep -o '"purpose"' <<<"$HF_OUT" | wc -l)" "three tasks in BJ01's plan"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.plan_started/SH01 --no-follow
hf_expect_eq 2 "$(grep -o '"purpose"' <<<"$HF_OUT" | wc -l)" "two tasks in SH01's plan"

# a new template: on receipt, a flexible reaction call on day 3-6, care every 10 days
hf_expect_exit 0 huifang plan add trial --name 'Trial pack'
hf_expect_exit 0 huifang plan step trial --step 1 --anchor purchase --offset 0 --purpose usage --channel phone --role phone
hf_expect_exit 0 huifang plan step trial --step 2 --anchor purchase --offset 3 --window 3 --purpose reaction --channel phone --role phone
hf_expect_exit 0 huifang plan step trial --step 3 --anchor previous --offset 5 --repeat 10 --purpose care --channel wechat --role phone
hf_expect_exit 0 huifang plan show trial
hf_expect_contains "$HF_OUT" "every 10d" "the repeat is shown"
hf_expect_contains "$HF_OUT" "3d" "the window is shown"
hf_expect_exit 0 huifang --json lead add --name 'Zhao Min' --phone 13712345678 --channel counter
c3=$(hf_json_get "$HF_OUT" customer.id)
hf_expect_exit 2 huifang purchase add --customer "$c3" --product VC30 --quantity 1 --plan triall
hf_expect_contains "$HF_ERR" "no plan template triall" "purchase add names the plan"
hf_expect_exit 0 huifang purchase add --customer "$c3" --product VC30 --quantity 1 --plan trial
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_started/BJ01 --no-follow | grep -q '\"template\":\"trial\"'"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.plan_started/BJ01 --no-follow
trial=$(grep '"template":"trial"' <<<"$HF_OUT")
# day 0, the reaction call somewhere in day 3..6 (the least loaded day: day 3), then day
# 3+5=8 and every 10 days before the supply ends on day 30: 8, 18, 28
hf_expect_contains "$trial" '"due_at":"2026-11-02T01:00:00.000Z"' "usage on receipt"
hf_expect_contains "$trial" '"purpose":"reaction"' "reaction call"
hf_expect_contains "$trial" '"latest_at":"2026-11-08T01:00:00.000Z"' "flexible until day 6"
hf_expect_eq 5 "$(grep -o '"purpose"' <<<"$trial" | wc -l)" "usage, reaction and three care contacts"
hf_expect_contains "$trial" '"due_at":"2026-11-30T01:00:00.000Z"' "the last repeat on day 28"

# bad input: the field is named, nothing changes
hf_expect_exit 2 huifang plan step trial --step 4 --anchor purchase --offset 1 --purpose care --channel fax --role phone
hf_expect_contains "$HF_ERR" "--channel" "the CLI names the flag"
hf_expect_exit 2 huifang plan step trial --step 4 --anchor purchase --offset 1 --purpose 'Big Care' --channel phone --role phone
hf_expect_contains "$HF_ERR" "purpose" "the service names the field"
hf_expect_exit 2 huifang plan step trial --step 0 --anchor purchase --offset 1 --purpose care --channel phone --role phone
hf_expect_exit 2 huifang plan step trial --step 4 --anchor purchase --offset 1 --window 90 --purpose care --channel phone --role phone
hf_expect_exit 3 huifang plan step nothing --step 1 --anchor purchase --offset 1 --purpose care --channel phone --role phone
hf_expect_exit 4 huifang plan add trial --name 'again'
hf_expect_exit 2 huifang plan add 'Bad Code' --name 'x'
hf_expect_exit 0 huifang --json plan show trial
hf_expect_eq 3 "$(hf_json_get "$HF_OUT" steps | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "nothing changed"

# removing a step
hf_expect_exit 0 huifang plan step trial --step 3 --remove
hf_expect_exit 0 huifang --json plan show trial
hf_expect_eq 2 "$(hf_json_get "$HF_OUT" steps | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "step 3 removed"
hf_expect_exit 3 huifang plan step trial --step 3 --remove
