#!/usr/bin/env bash
# The weekly contact cap holds when an occasion and a plan step fall on the same day. With
# the default cap of 2 contacts a customer in an ISO week (Monday to Sunday, branch zone) and
# a plan calling on Tuesday, Wednesday and Thursday: Wang's birthday on Wednesday becomes a
# talking point of Wednesday's plan call (one contact, not two), Thursday's step moves to
# Monday's first window, and Zhao, whose week is full by Friday, gets no birthday call on
# Friday (dropped) while Liu, with no plan, does. No customer ever has more than 2 contacts
# in a week's bags. A branch's cap is data: `occasion cap set --per-week 3` lets Thursday's
# step of the next week's customer through.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"
# shellcheck source-path=SCRIPTDIR source=occasion_lib.sh
source "$(dirname "$0")/occasion_lib.sh"

# Monday 2 November 2026
HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

occ_branch
hf_expect_exit 0 huifang plan add tri --name 'Three days running'
for s in 1 2 3; do
    hf_expect_exit 0 huifang plan step tri --step "$s" --anchor purchase --offset "$s" \
        --purpose care --channel phone --role phone
done
hf_expect_exit 0 huifang product add TEA --name 'Health tea' --days-per-unit 30 --price 98 --plan tri
hf_expect_exit 0 huifang occasion cap
hf_expect_contains "$HF_OUT" "at most 2 contacts a customer a week (the default)" "the default cap"
occ_lead 'Wang Fang' 13812340001 1980-11-04
occ_lead 'Zhao Min' 13812340002 1975-11-06
occ_lead 'Liu Yang' 13812340003 1990-11-06
wang=$(occ_customer 'Wang Fang')
zhao=$(occ_customer 'Zhao Min')
liu=$(occ_customer 'Liu Yang')
cl_wait_product TEA
for c in "$wang" "$zhao"; do
    hf_expect_exit 0 huifang purchase add --customer "$c" --product TEA --quantity 1
done
occ_wait_plan_tasks 6
hf_expect_exit 0 huifang occasion rule add birthday --script 'Happy birthday'
occ_wait_swept 2026-11-02

# in the week's bags: how many contacts a customer has (assigned, claimed or done)
week_contacts() {
    occ_sql "SELECT count(*) FROM scheduler.task WHERE customer_id = $1 AND state IN ('assigned', 'claimed', 'done') AND bag_date BETWEEN '2026-11-02' AND '2026-11-08'"
}
# the agent works the bag: every call connected (a worked contact stays in its day's bag)
work_bag() {
    local id
    while huifang --json task next --agent A001 >"$HF_E2E_TMP/next" 2>/dev/null; do
        id=$(cl_json_get "$(cat "$HF_E2E_TMP/next")" task.id)
        hf_expect_exit 0 huifang --as A001 call log --task "$id" --outcome connected
        hf_wait_until 10 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT state FROM scheduler.task WHERE id = $id\")\" = done ]"
    done
}

# Tuesday: step 1 of both
hf_expect_exit 0 huifang clock set '2026-11-03 09:05'
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE state = 'assigned'\")\" = 2 ]"
work_bag

# Wednesday: Wang's birthday and step 2 on the same day: one call, the greeting a talking point
hf_expect_exit 0 huifang clock set '2026-11-04 00:30'
occ_wait_swept 2026-11-04
hf_expect_eq merged "$(occ_sql "SELECT result FROM scheduler.occasion_made WHERE customer_id = $wang")" \
    "the greeting joins the call planned that day"
hf_expect_eq "" "$(occ_greetings "$wang")" "no call of its own"
hf_expect_exit 0 huifang clock set '2026-11-04 09:05'
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE state = 'assigned' AND bag_date = '2026-11-04' AND origin = 'plan' AND step_no = 2\")\" = 2 ]"
hf_expect_exit 0 huifang --json worklist --agent A001
hf_expect_contains "$HF_OUT" '"talking_points":"Happy birthday"' "the agent sees the greeting on the plan call"
hf_expect_eq 2 "$(week_contacts "$wang")" "two contacts so far this week"
work_bag

# Thursday: step 3 would be the third contact of the week: it moves to Monday's first window
hf_expect_exit 0 huifang clock set '2026-11-05 09:05'
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE origin = 'plan' AND step_no = 3 AND state = 'planned' AND due_at_ms = $(date -d '2026-11-09 09:00 +0800' +%s%3N)\")\" = 2 ]"
hf_expect_eq 2 "$(week_contacts "$wang")" "still two"
hf_expect_eq 2 "$(week_contacts "$zhao")" "still two"
hf_expect_exit 0 huifang --json worklist --agent A001 --date 2026-11-09
hf_expect_eq 2 "$(printf '%s\n' "$HF_OUT" | grep -c '"step_no":3')" "both third steps are in Monday's bag"

# Friday: Zhao's week is full, so no birthday call; Liu's is empty, so one
hf_expect_exit 0 huifang clock set '2026-11-06 00:30'
occ_wait_swept 2026-11-06
hf_expect_eq "dropped|weekly contact cap" \
    "$(occ_sql "SELECT result, reason FROM scheduler.occasion_made WHERE customer_id = $zhao")" \
    "a full week drops the greeting"
hf_expect_eq "" "$(occ_greetings "$zhao")" "no greeting for Zhao"
hf_expect_eq 2026-11-06 "$(occ_greetings "$liu")" "Liu is greeted"
hf_expect_exit 0 huifang clock set '2026-11-06 09:05'
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE customer_id = $liu AND state = 'assigned'\")\" = 1 ]"
for c in "$wang" "$zhao" "$liu"; do
    n=$(week_contacts "$c")
    ((n <= 2)) || hf_fail "customer $c has $n contacts in one week"
done

# the next week opens with the third steps
hf_expect_exit 0 huifang clock set '2026-11-09 09:05'
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE step_no = 3 AND bag_date = '2026-11-09'\")\" = 2 ]"

# the cap is data: bad values are refused, 3 lets a third step through
hf_expect_exit 2 huifang occasion cap set --per-week 0
hf_expect_contains "$HF_ERR" per_week "the field is named"
hf_expect_exit 2 huifang occasion cap set --per-week 51
hf_expect_exit 4 huifang --as A001 occasion cap set --per-week 3
hf_expect_exit 0 huifang occasion cap
hf_expect_contains "$HF_OUT" "at most 2" "unchanged by refused requests"
hf_expect_exit 0 huifang occasion cap set --per-week 3
hf_expect_contains "$HF_OUT" "at most 3 contacts a customer a week (the branch's own)" "set"
hf_expect_exit 0 huifang --json lead add --name 'Sun Li' --phone 13812340004 --channel counter --region chaoyang
sun=$(occ_customer 'Sun Li')
hf_expect_exit 0 huifang purchase add --customer "$sun" --product TEA --quantity 1
# (a step left unworked rolls into the next day's bag: each is found by its step number)
for d in 10 11 12; do
    hf_expect_exit 0 huifang clock set "2026-11-$d 09:05"
    hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE customer_id = $sun AND state = 'assigned' AND step_no = $((d - 9))\")\" = 1 ]"
done
hf_expect_eq 3 "$(occ_sql "SELECT count(*) FROM scheduler.task WHERE customer_id = $sun AND state = 'assigned' AND bag_date BETWEEN '2026-11-09' AND '2026-11-15'")" \
    "three calls in one week with a cap of 3"
hf_expect_exit 0 huifang occasion cap set --reset
hf_expect_contains "$HF_OUT" "at most 2 contacts a customer a week (the default)" "reset"
hf_log "the weekly contact cap holds for plans and occasions alike"
