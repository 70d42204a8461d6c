#!/usr/bin/env bash
# The weekly contact cap counts a call still open in an earlier week's bag: it rolls into
# today's bag, so it is one of this week's calls whether or not the roll-over has moved it
# yet. Before, the answer depended on which timer ran first after the night (the roll-over
# or the assignment), and CI once saw e2e/500's golden reports differ by one call.
#
# A plan calls on Tuesday (week 45) and on the next Tuesday and Wednesday (week 46). The
# agent never works Tuesday's call. On Wednesday of week 46 the two steps of that week fall
# due while the first call is still open in its old bag; the housekeeping timer (which rolls
# old bags) is slowed to 10 minutes, so the assignment runs before any roll-over: with the
# default cap of 2, one of the two steps goes into today's bag and the other to Monday.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=occasion_lib.sh
source "$(dirname "$0")/occasion_lib.sh"

# Monday 2 November 2026; the housekeeping (roll-over) timer: once at start, then every 10 min
HF_CLOCK_START='2026-11-02 10:00 +0800'
export HUIFANG_SCHEDULER_HOUSE_MS=600000
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --tz Asia/Shanghai \
    --windows 09:00-12:00,14:00-20:00 --lead-plans none
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 40
hf_expect_exit 0 huifang plan add spread --name 'Tuesday, then Tuesday and Wednesday'
for s in 1:1 2:8 3:9; do
    hf_expect_exit 0 huifang plan step spread --step "${s%:*}" --anchor purchase --offset "${s#*:}" \
        --purpose care --channel phone --role phone
done
hf_expect_exit 0 huifang product add TEA --name 'Health tea' --days-per-unit 30 --price 98 --plan spread
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812340001 --channel counter \
    --region chaoyang
wang=$(occ_customer 'Wang Fang')
hf_expect_exit 0 huifang purchase add --customer "$wang" --product TEA --quantity 1
hf_wait_until 10 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE customer_id = $wang\")\" = 3 ]"

# step_state STEP: state|bag day of the customer's step
step_state() {
    occ_sql "SELECT state || '|' || coalesce(bag_date::text, '') FROM scheduler.task WHERE customer_id = $wang AND step_no = $1"
}
# ---- Tuesday 3 November (week 45): step 1 in A001's bag, never worked ----
hf_expect_exit 0 huifang clock set '2026-11-03 10:00'
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT state FROM scheduler.task WHERE customer_id = $wang AND step_no = 1\")\" = assigned ]"
hf_expect_eq "assigned|2026-11-03" "$(step_state 1)" "Tuesday's call in Tuesday's bag"

# ---- Wednesday 11 November (week 46): steps 2 and 3 due, step 1 still in its old bag ----
hf_expect_exit 0 huifang clock set '2026-11-11 10:00'
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE customer_id = $wang AND step_no IN (2, 3) AND state = 'assigned'\")\" -ge 1 ]"
hf_wait_timer_rounds scheduler tick
hf_expect_eq "assigned|2026-11-03" "$(step_state 1)" \
    "no roll-over yet (the housekeeping timer is slowed): step 1 is still in Tuesday's bag"
hf_expect_eq "assigned|2026-11-11" "$(step_state 2)" "the more urgent step of the week in today's bag"
hf_expect_eq "planned|" "$(step_state 3)" \
    "the week's second step held: step 1 rolls into this week and counts"
monday=$(occ_sql "SELECT to_char(to_timestamp(due_at_ms / 1000.0) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') FROM scheduler.task WHERE customer_id = $wang AND step_no = 3")
hf_expect_eq "2026-11-16 09:00" "$monday" "the held step moves to Monday's first window"

# the agent's next call rolls their old bag: this week holds 2 calls of Wang's, not 3
hf_expect_exit 0 huifang --json task next --agent A001
week=$(occ_sql "SELECT count(*) FROM scheduler.task WHERE customer_id = $wang AND state IN ('assigned', 'claimed', 'done') AND bag_date BETWEEN '2026-11-09' AND '2026-11-15'")
hf_expect_eq 2 "$week" "Wang's calls in week 46's bags after the roll-over"
hf_log "a call open in an earlier week's bag counts against this week's cap, rolled or not"
