#!/usr/bin/env bash
# Festival greetings come from the calendar, the lunar ones from ICU's Chinese calendar:
# Mid-Autumn is 2026-09-25 and 2027-09-15 (ten days apart in the Gregorian calendar), and a
# rule calling one day before greets on 2026-09-24 and 2027-09-14 — not on the 24th again in
# 2027. `occasion festivals` shows the same dates. An unknown festival is refused, naming
# the field, and changes nothing.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"
# shellcheck source-path=SCRIPTDIR source=occasion_lib.sh
source "$(dirname "$0")/occasion_lib.sh"

HF_CLOCK_START='2026-09-22 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --tz Asia/Shanghai \
    --windows 09:00-12:00,14:00-20:00 --lead-plans none
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang,haidian \
    --daily-calls 40
hf_expect_exit 0 huifang agent add M001 --name 'Zhou Qiang' --role manager
hf_expect_exit 0 huifang lead add --name 'Wang Fang' --phone 13812340001 --channel counter --region chaoyang
hf_expect_exit 0 huifang lead add --name 'Liu Yang' --phone 13812340002 --channel counter --region haidian
hf_expect_exit 0 huifang lead add --name 'Zhao Min' --phone 13812340003 --channel counter --region haidian
wang=$(occ_customer 'Wang Fang')
liu=$(occ_customer 'Liu Yang')
zhao=$(occ_customer 'Zhao Min')

# the calendar
hf_expect_exit 0 huifang occasion festivals --year 2026
hf_expect_contains "$HF_OUT" "mid-autumn       2026-09-25" "Mid-Autumn 2026"
hf_expect_exit 0 huifang --json occasion festivals --year 2027
hf_expect_contains "$HF_OUT" '{"festival":"mid-autumn","date":"2027-09-15"' "Mid-Autumn 2027"
hf_expect_contains "$HF_OUT" '{"festival":"spring-festival","date":"2027-02-06"' "Spring Festival 2027"

# bad input: an unknown festival, a weather kind nobody knows, a day too far: nothing changes
hf_expect_exit 2 huifang occasion rule add festival:moon-cake-day --days-before 1
hf_expect_contains "$HF_ERR" 'occasion' "the field is named"
hf_expect_contains "$HF_ERR" 'unknown festival "moon-cake-day"' "and why"
hf_expect_exit 2 huifang occasion rule add christmas
hf_expect_contains "$HF_ERR" 'birthday, festival:<name> or weather:<kind>' "an occasion of no kind"
hf_expect_exit 2 huifang occasion rule add weather:fog
hf_expect_contains "$HF_ERR" 'unknown weather "fog"' "an unknown weather"
hf_expect_exit 2 huifang occasion rule add festival:mid-autumn --days-before 31
hf_expect_contains "$HF_ERR" '--days-before' "too many days before"
hf_expect_exit 2 huifang occasion rule add festival:mid-autumn --tier platinum
hf_expect_contains "$HF_ERR" 'tier' "an unknown tier"
hf_expect_exit 2 huifang occasion rule add festival:mid-autumn --regions pudong
hf_expect_contains "$HF_ERR" 'regions' "a region no agent covers"
hf_expect_exit 2 huifang occasion rule add festival:mid-autumn --segment 7
hf_expect_contains "$HF_ERR" 'segment' "an unknown segment names the field"
hf_expect_exit 4 huifang --as A001 occasion rule add festival:mid-autumn
hf_expect_exit 0 huifang --json occasion rule list
hf_expect_eq "" "$HF_OUT" "no rule was made by any of them"

hf_expect_exit 0 huifang --as M001 --json occasion rule add festival:mid-autumn --days-before 1 \
    --script 'Mid-Autumn greetings; mention the moon-cake gift'
cl_json_expect "$HF_OUT" occasion festival:mid-autumn days_before 1

# 2026: the call is on the 24th, the day before the 25th
hf_expect_exit 0 huifang clock set '2026-09-23 00:30'
occ_wait_swept 2026-09-23
hf_expect_eq "" "$(occ_greetings "$wang")" "not two days before"
hf_expect_exit 0 huifang clock set '2026-09-24 00:30'
occ_wait_swept 2026-09-24
for c in "$wang" "$liu" "$zhao"; do
    hf_expect_eq 2026-09-24 "$(occ_greetings "$c")" "customer $c greeted the day before Mid-Autumn 2026"
done
hf_expect_contains "$(occ_tasks "$liu")" "occasion|care|2026-09-24|planned|Mid-Autumn greetings" \
    "with the rule's talking points"
hf_expect_exit 0 huifang clock set '2026-09-25 00:30'
occ_wait_swept 2026-09-25
hf_expect_eq 1 "$(occ_greetings "$wang" | grep -c .)" "once a year"

# 2027: the lunar date moves to 15 September; the 14th is the day of the calls, the 24th is not
hf_expect_exit 0 huifang clock set '2027-09-13 00:30'
occ_wait_swept 2027-09-13
hf_expect_eq 1 "$(occ_greetings "$wang" | grep -c .)" "nothing on 13 September 2027"
hf_expect_exit 0 huifang clock set '2027-09-14 00:30'
occ_wait_swept 2027-09-14
for c in "$wang" "$liu" "$zhao"; do
    hf_expect_eq "2026-09-24 2027-09-14" "$(occ_greetings "$c" | tr '\n' ' ' | sed 's/ $//')" \
        "customer $c greeted the day before Mid-Autumn 2027"
done
hf_expect_exit 0 huifang clock set '2027-09-24 00:30'
occ_wait_swept 2027-09-24
hf_expect_eq 2 "$(occ_greetings "$wang" | grep -c .)" "no call on the Gregorian date of 2026's"
hf_log "Mid-Autumn from the lunar calendar in 2026 and 2027"
