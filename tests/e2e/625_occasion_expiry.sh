#!/usr/bin/env bash
# A greeting is for its day: an occasion task not worked rolls into the next day's bag for
# the grace of one day (SCHED_OCCASION_GRACE_DAYS), and is cancelled after it (outcome
# occasion-passed), its date-bag room given back; a plan's call left unworked keeps rolling.
# A greeting planned but never in a bag (its region's agent away) passes the same way.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"
# shellcheck source-path=SCRIPTDIR source=occasion_lib.sh
source "$(dirname "$0")/occasion_lib.sh"

HF_CLOCK_START='2027-03-14 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

occ_branch
hf_expect_exit 0 huifang agent add A002 --name 'Ma Jun' --role phone --regions pinggu --daily-calls 40
hf_expect_exit 0 huifang agent absent A002 --from 2027-03-14 --until 2027-03-20
hf_expect_exit 0 huifang plan add one --name 'One call'
hf_expect_exit 0 huifang plan step one --step 1 --anchor purchase --offset 1 --purpose care \
    --channel phone --role phone
hf_expect_exit 0 huifang product add TEA --name 'Health tea' --days-per-unit 30 --price 98 --plan one
hf_expect_exit 0 huifang lead add --name 'Pan Li' --phone 13812340004 --channel counter \
    --region chaoyang --birth 1970-08-01
hf_expect_exit 0 huifang lead add --name 'Wang Fang' --phone 13812340001 --channel counter \
    --region chaoyang --birth 1980-03-15
hf_expect_exit 0 huifang lead add --name 'Zhou Min' --phone 13812340002 --channel counter \
    --region chaoyang --birth 1982-03-16
hf_expect_exit 0 huifang lead add --name 'Far Ma' --phone 13812340003 --channel counter \
    --region pinggu --birth 1975-03-15
wang=$(occ_customer 'Wang Fang')
zhou=$(occ_customer 'Zhou Min')
far=$(occ_customer 'Far Ma')
pan=$(occ_customer 'Pan Li')
# a plan's call on the 15th, for Pan Li
cl_wait_product TEA
hf_expect_exit 0 huifang purchase add --customer "$pan" --product TEA --quantity 1
hf_wait_until 10 bash -c "[ -n \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT id FROM scheduler.task WHERE customer_id = $pan AND origin = 'plan'\")\" ]"
plan_task=$(occ_sql "SELECT id FROM scheduler.task WHERE customer_id = $pan AND origin = 'plan'")
hf_expect_exit 0 huifang occasion rule add birthday --purpose care --script 'Happy birthday'

state() { # CUSTOMER: state|outcome of the customer's greeting
    occ_sql "SELECT state || '|' || outcome FROM scheduler.task WHERE customer_id = $1 AND origin = 'occasion'"
}

# the 15th: Wang Fang's greeting reaches the bag and nobody works it
hf_expect_exit 0 huifang clock set '2027-03-15 00:30'
occ_wait_swept 2027-03-15
hf_expect_exit 0 huifang clock set '2027-03-15 09:05'
hf_wait_until 15 bash -c "huifang --json worklist --agent A001 | grep -q '\"origin\":\"occasion\"'"
hf_expect_eq "assigned|" "$(state "$wang")" "the greeting is in the bag of the 15th"
far_state=$(state "$far")
hf_expect_eq 1 "$(printf '%s\n' "$far_state" | grep -c -E '^(planned|assigned|paused)\|')" \
    "its agent away: the greeting waits open ($far_state)"
# the plan's call is in the same bag, left unworked too
hf_wait_until 15 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT state FROM scheduler.task WHERE id = $plan_task\")\" = assigned ]"

# the 16th, within the grace: the greeting rolled into today's bag, still open
hf_expect_exit 0 huifang clock set '2027-03-16 00:30'
occ_wait_swept 2027-03-16
hf_expect_exit 0 huifang clock set '2027-03-16 09:05'
hf_wait_until 15 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT bag_date FROM scheduler.task WHERE customer_id = $wang AND origin = 'occasion'\")\" = 2027-03-16 ]"
# the expiry (the scheduler's housekeeping) has had rounds on the 16th: had it ended the
# greeting, it would show
hf_wait_timer_rounds scheduler house 9
hf_expect_eq "assigned|" "$(state "$wang")" "a day's grace: still in the bag on the 16th"
hf_wait_until 15 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT state FROM scheduler.task WHERE customer_id = $zhou AND origin = 'occasion'\")\" = assigned ]"

# the 17th: Wang Fang's greeting (the 15th) has passed; Zhou Min's (the 16th) is in its grace
hf_expect_exit 0 huifang clock set '2027-03-17 09:05'
hf_wait_until 15 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT state FROM scheduler.task WHERE customer_id = $wang AND origin = 'occasion'\")\" = cancelled ]"
hf_expect_eq "cancelled|occasion-passed" "$(state "$wang")" "a greeting past its day and grace is cancelled"
hf_wait_until 15 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT state FROM scheduler.task WHERE customer_id = $far AND origin = 'occasion'\")\" = cancelled ]"
hf_expect_eq "cancelled|occasion-passed" "$(state "$far")" "a greeting never in a bag passes too"
hf_wait_until 15 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT bag_date FROM scheduler.task WHERE customer_id = $zhou AND origin = 'occasion'\")\" = 2027-03-17 ]"
hf_expect_eq "assigned|" "$(state "$zhou")" "the 16th's greeting rolled into the 17th (its grace)"
hf_wait_until 15 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT bag_date FROM scheduler.task WHERE id = $plan_task\")\" = 2027-03-17 ]"
hf_expect_eq assigned "$(occ_sql "SELECT state FROM scheduler.task WHERE id = $plan_task")" \
    "a plan's call keeps rolling"
hf_expect_exit 0 huifang --json worklist --agent A001
hf_expect_eq 1 "$(printf '%s' "$HF_OUT" | grep -o '"origin":"occasion"' | grep -c .)" \
    "the agent's bag holds the one greeting still in its grace"
hf_expect_eq 2 "$(occ_sql "SELECT calls FROM scheduler.agent_day WHERE agent = 'A001' AND day = '2027-03-17'")" \
    "the room of today's bag: the plan's call and the greeting in its grace, not the passed one"

# the 18th: Zhou Min's passes as well
hf_expect_exit 0 huifang clock set '2027-03-18 09:05'
hf_wait_until 15 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT state FROM scheduler.task WHERE customer_id = $zhou AND origin = 'occasion'\")\" = cancelled ]"
hf_expect_eq "cancelled|occasion-passed" "$(state "$zhou")" "the 16th's greeting passed on the 18th"
hf_wait_until 15 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT bag_date FROM scheduler.task WHERE id = $plan_task\")\" = 2027-03-18 ]"
hf_log "a greeting not worked by its day and a day's grace is cancelled, occasion-passed"
