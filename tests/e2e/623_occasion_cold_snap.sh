#!/usr/bin/env bash
# Weather care by hand: `occasion trigger cold-snap --regions R1,R2` runs the branch's
# weather:cold-snap rules now and makes care calls today only for the customers of the
# regions named (and of the rule's own regions, if it has any), never for one opted out.
# A retry with the same idempotency key makes nothing twice. Bad input — an unknown kind, no
# region, a region nobody covers, a kind without a rule, an agent who is no supervisor — is
# refused and changes nothing.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"
# shellcheck source-path=SCRIPTDIR source=occasion_lib.sh
source "$(dirname "$0")/occasion_lib.sh"

HF_CLOCK_START='2026-12-07 08:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing' --tz Asia/Shanghai \
    --windows 09:00-12:00,14:00-20:00 --lead-plans none
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone \
    --regions chaoyang,haidian,dongcheng --daily-calls 40
hf_expect_exit 0 huifang agent add L001 --name 'Chen Jie' --role lead
names=('' 'Wang Fang' 'Liu Yang' 'Zhao Min' 'Qian Hui' 'Zhou Lin')
regions=('' chaoyang chaoyang haidian dongcheng dongcheng)
for n in 1 2 3 4 5; do
    hf_expect_exit 0 huifang lead add --name "${names[$n]}" --phone "1381234000$n" \
        --channel counter --region "${regions[$n]}"
done
hf_expect_exit 0 huifang lead add --name 'Opted Sun' --phone 13812340009 --channel counter --region chaoyang
hf_expect_exit 0 huifang customer opt-out "$(occ_customer 'Opted Sun')"
occasion_tasks() {
    occ_sql "SELECT c.region, count(*) FROM scheduler.task t JOIN scheduler.customer c ON c.id = t.customer_id WHERE t.origin = 'occasion' GROUP BY c.region ORDER BY c.region" | tr '\n' ' ' | sed 's/ $//'
}

# bad input, before any rule
hf_expect_exit 3 huifang --as L001 occasion trigger cold-snap --regions chaoyang
hf_expect_contains "$HF_ERR" "no rule for weather:cold-snap" "a kind without a rule"
hf_expect_exit 0 huifang occasion rule add weather:cold-snap --purpose care \
    --script 'Cold snap: remind to keep warm and take the medicine with warm water'
hf_expect_exit 2 huifang occasion rule add weather:cold-snap --days-before 2
hf_expect_contains "$HF_ERR" days_before "a weather rule has no days before"
hf_expect_exit 2 huifang --as L001 occasion trigger blizzard --regions chaoyang
hf_expect_contains "$HF_ERR" 'kind: weather "blizzard"' "an unknown kind, naming the field"
hf_expect_exit 2 huifang --as L001 occasion trigger cold-snap
hf_expect_contains "$HF_ERR" "--regions" "the regions are required"
hf_expect_exit 2 huifang --as L001 occasion trigger cold-snap --regions chaoyang,pudong
hf_expect_contains "$HF_ERR" 'regions: region "pudong"' "a region nobody covers"
hf_expect_exit 2 huifang --as L001 occasion trigger cold-snap --regions 'chaoyang,,haidian'
hf_expect_exit 4 huifang --as A001 occasion trigger cold-snap --regions chaoyang
hf_expect_contains "$HF_ERR" "lead" "a supervisor's command"
hf_expect_exit 3 huifang --as L001 occasion trigger heat-wave --regions chaoyang
no_occasion_events() { [ "$(occ_sql "SELECT count(*) FROM intake.outbox WHERE topic LIKE 'intake.occasion_due%'")" = 0 ]; }
no_occasion_events || hf_fail "a refused trigger published an event"
hf_expect_eq "" "$(occasion_tasks)" "no task made by refused triggers"

# the cold snap hits chaoyang and haidian
hf_expect_exit 0 huifang --as L001 --json occasion trigger cold-snap --regions chaoyang,haidian \
    --idempotency-key cold-1
cl_json_expect "$HF_OUT" customers 3 rules 1 day 2026-12-07
hf_wait_until 15 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.occasion_made\")\" = 3 ]"
hf_expect_eq "chaoyang|2 haidian|1" "$(occasion_tasks)" "calls only in the named regions"
hf_expect_eq 0 "$(occ_sql "SELECT count(*) FROM scheduler.task WHERE customer_id = $(occ_customer 'Opted Sun')")" \
    "not for the opted-out customer"
# a retry of the same request makes nothing twice
hf_expect_exit 0 huifang --as L001 --json occasion trigger cold-snap --regions chaoyang,haidian \
    --idempotency-key cold-1
cl_json_expect "$HF_OUT" customers 3
hf_expect_eq 1 "$(occ_sql "SELECT count(*) FROM intake.outbox WHERE topic LIKE 'intake.occasion_due%'")" "one event"
# the calls reach the date bag today, in the window, with the script
hf_expect_exit 0 huifang clock set '2026-12-07 09:05'
hf_wait_until 15 bash -c "huifang --json worklist --agent A001 | grep -c '\"origin\":\"occasion\"' | grep -qx 3"
hf_expect_exit 0 huifang --json worklist --agent A001
hf_expect_contains "$HF_OUT" '"talking_points":"Cold snap: remind to keep warm' "the script"
# a rule may greet the members of a saved segment only: a heat wave for the dongcheng
# segment, triggered for chaoyang and dongcheng, reaches dongcheng's two customers alone
hf_expect_exit 0 huifang --as L001 --json segment add 'Dongcheng' --regions dongcheng
seg=$(hf_json_get "$HF_OUT" id)
hf_expect_exit 2 huifang occasion rule add weather:heat-wave --segment 999999
hf_expect_contains "$HF_ERR" "segment 999999 is not a segment of branch BJ01" "an unknown segment, named"
hf_expect_exit 0 huifang occasion rule add weather:heat-wave --purpose care --segment "$seg" \
    --script 'Heat wave: drink water, stay inside at noon'
hf_expect_exit 0 huifang --as L001 --json occasion trigger heat-wave --regions chaoyang,dongcheng
cl_json_expect "$HF_OUT" customers 2 rules 1
hf_wait_until 15 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.occasion_made\")\" = 5 ]"
hf_expect_eq "chaoyang|2 dongcheng|2 haidian|1" "$(occasion_tasks)" "the segment's members only"
hf_log "a cold snap makes care calls in the named regions only; a segment narrows a rule"
