#!/usr/bin/env bash
# Birthday greetings fall on the customer's birthday in the branch's local day: a branch in
# Shanghai greets at 01:00 local time although it is still the day before in UTC, and not at
# 23:30 the day before. Someone born on 29 February is greeted on 28 February in a year
# without one (2027) and on the 29th in a leap year (2028), never twice. Nobody opted out or
# in a do-not-disturb period is greeted. The greeting is a task of origin occasion with the
# rule's talking points, in the customer's first call window, and it reaches the date bag.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"
# shellcheck source-path=SCRIPTDIR source=occasion_lib.sh
source "$(dirname "$0")/occasion_lib.sh"

HF_CLOCK_START='2027-02-27 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

occ_branch
occ_lead 'Wang Fang' 13812340001 1980-03-15
occ_lead 'Leap Li' 13812340002 1988-02-29
occ_lead 'Feb Zhao' 13812340003 1985-02-28
occ_lead 'Opted Sun' 13812340004 1980-03-15
occ_lead 'Resting Hu' 13812340005 1980-03-15
occ_lead 'Old Qian' 13812340006 1965-03-15 # before 1970: a negative day number, still a date
wang=$(occ_customer 'Wang Fang')
leap=$(occ_customer 'Leap Li')
feb=$(occ_customer 'Feb Zhao')
opted=$(occ_customer 'Opted Sun')
resting=$(occ_customer 'Resting Hu')
old=$(occ_customer 'Old Qian')
hf_expect_exit 0 huifang customer opt-out "$opted" --reason 'no calls please'
hf_expect_exit 0 huifang customer dnd "$resting" --until 2027-03-20 --reason hospital

hf_expect_exit 0 huifang --json occasion rule add birthday --purpose care \
    --script 'Happy birthday from the club'
cl_json_expect "$HF_OUT" occasion birthday days_before 0 purpose care
hf_expect_exit 0 huifang occasion rule list
hf_expect_contains "$HF_OUT" "Happy birthday from the club" "the rule is listed"
occ_wait_swept 2027-02-27
hf_expect_eq "" "$(occ_greetings "$leap")$(occ_greetings "$feb")" "nobody is greeted on the 27th"

# 2027 has no 29 February: Leap Li is greeted on the 28th, with Feb Zhao
hf_expect_exit 0 huifang clock set '2027-02-28 00:30'
occ_wait_swept 2027-02-28
hf_expect_eq 2027-02-28 "$(occ_greetings "$leap")" "born on 29 Feb: greeted on 28 Feb 2027"
hf_expect_eq 2027-02-28 "$(occ_greetings "$feb")" "born on 28 Feb: greeted on 28 Feb"
hf_expect_contains "$(occ_tasks "$leap")" "occasion|care|2027-02-28|planned|Happy birthday from the club" \
    "a care call with the rule's talking points"
# it reaches the date bag when the window opens, talking points and all
hf_expect_exit 0 huifang clock set '2027-02-28 09:05'
hf_wait_until 15 bash -c "huifang --json worklist --agent A001 | grep -c '\"origin\":\"occasion\"' | grep -qx 2"
hf_expect_exit 0 huifang --json worklist --agent A001
hf_expect_contains "$HF_OUT" '"talking_points":"Happy birthday from the club"' "the agent sees the script"
# and makes both calls (an unworked bag would roll into the next day's)
for _ in 1 2; do
    hf_expect_exit 0 huifang --json task next --agent A001
    id=$(cl_json_get "$HF_OUT" task.id)
    hf_expect_exit 0 huifang --as A001 call log --task "$id" --outcome connected
done
hf_wait_until 10 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE origin = 'occasion' AND state = 'done'\")\" = 2 ]"
hf_expect_exit 0 huifang task show "$id"
hf_expect_contains "$HF_OUT" "talking points" "the task shows what to say"
hf_expect_contains "$HF_OUT" "Happy birthday from the club" "the rule's script"
hf_expect_exit 0 huifang clock set '2027-03-01 00:30'
occ_wait_swept 2027-03-01
hf_expect_eq 1 "$(occ_greetings "$leap" | grep -c .)" "greeted once, not again on 1 March"

# the local day: 23:30 on the 14th in Shanghai is not the birthday; 01:00 on the 15th is,
# while UTC still says the 14th
hf_expect_exit 0 huifang clock set '2027-03-14 23:30'
occ_wait_swept 2027-03-14
hf_expect_eq "" "$(occ_greetings "$wang")" "not the day before"
hf_expect_exit 0 huifang clock set '2027-03-14T17:00:00Z'
occ_wait_swept 2027-03-15
hf_expect_eq 2027-03-15 "$(occ_greetings "$wang")" "greeted on the local birthday"
hf_expect_eq 2027-03-15 "$(occ_greetings "$old")" "born before 1970: greeted too"
hf_expect_eq "" "$(occ_greetings "$opted")" "an opted-out customer is never greeted"
hf_expect_eq "" "$(occ_greetings "$resting")" "nor one in a do-not-disturb period"
hf_expect_eq 0 "$(occ_sql "SELECT count(*) FROM scheduler.occasion_made WHERE customer_id IN ($opted, $resting)")" \
    "intake names neither of them to the scheduler"

# 2028 is a leap year: the 29th, not the 28th
hf_expect_exit 0 huifang clock set '2028-02-28 00:30'
occ_wait_swept 2028-02-28
hf_expect_contains "$(occ_greetings "$feb")" 2028-02-28 "Feb Zhao on the 28th"
hf_expect_eq 2027-02-28 "$(occ_greetings "$leap")" "Leap Li not on 28 Feb of a leap year"
hf_expect_exit 0 huifang clock set '2028-02-29 00:30'
occ_wait_swept 2028-02-29
hf_expect_eq "2027-02-28 2028-02-29" "$(occ_greetings "$leap" | tr '\n' ' ' | sed 's/ $//')" \
    "Leap Li on 29 Feb 2028"

# a removed rule greets nobody any more
rule=$(occ_sql "SELECT id FROM intake.occasion_rule WHERE occasion = 'birthday'")
hf_expect_exit 0 huifang occasion rule remove "$rule"
hf_expect_exit 0 huifang occasion rule list
hf_expect_eq "" "$(printf '%s' "$HF_OUT" | grep birthday || true)" "the rule is gone from the list"
hf_expect_exit 3 huifang occasion rule remove "$rule"
hf_log "birthdays fall on the local day, 29 February on the 28th in other years"
