#!/usr/bin/env bash
# Each evening the clerk hands every agent tomorrow's date bag: `worklist --date tomorrow`
# previews it from what is planned (which tasks, in which order, how full against capacity,
# what finds no room and rolls over), a supervisor sees every agent's bag (`--all`), and the
# next morning the real bag holds what the preview promised.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"

hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 2
hf_expect_exit 0 huifang agent add L001 --name 'Chen Jie' --role lead
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168
names=('' 'Wang Fang' 'Liu Yang' 'Zhao Min')
for n in 1 2 3; do
    hf_expect_exit 0 huifang --json lead add --name "${names[$n]}" \
        --phone "1381234567$n" --channel counter --region chaoyang
    hf_expect_exit 0 huifang purchase add --customer "$(cl_json_get "$HF_OUT" customer.id)" \
        --product VC30 --quantity 1
done
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow | grep -c plan_started | grep -qx 3"

# day 9, 18:00: tomorrow's bag, before anything falls due
hf_expect_exit 0 huifang clock set '2026-11-11 18:00'
hf_expect_exit 0 huifang --json worklist --agent A001 --date tomorrow
preview=$HF_OUT
hf_expect_eq 2 "$(printf '%s\n' "$preview" | grep -c .)" "two calls fit A001's capacity"
cl_json_expect "$preview" 0.state planned 0.agent A001 0.bag_date 2026-11-12 0.purpose care \
    1.bag_date 2026-11-12
hf_expect_exit 0 huifang worklist --agent A001 --date 2026-11-12
hf_expect_contains "$HF_OUT" "as it would be filled now" "it says it is a preview"
hf_expect_contains "$HF_OUT" "A001: 2 of 2 calls, 0 of" "how full against capacity"
hf_expect_contains "$HF_OUT" "1 task of the branch finds no room that day" "the third rolls over"
# nothing was assigned by looking
hf_expect_exit 0 huifang --json worklist --agent A001
hf_expect_eq "" "$HF_OUT" "today's bag is empty"

# a supervisor sees every agent's bag; an agent may not
hf_expect_exit 0 huifang --as L001 worklist --all --date tomorrow
hf_expect_contains "$HF_OUT" "AGENT" "the table names whose bag"
hf_expect_exit 4 huifang --as A001 worklist --all --date tomorrow
hf_expect_contains "$HF_ERR" "only a supervisor" "agents see their own bag"
hf_expect_exit 2 huifang worklist --agent A001 --date 2028-01-01
hf_expect_contains "$HF_ERR" "more than a year ahead" "a bounded preview"

# the next morning the bag holds what the preview promised
hf_expect_exit 0 huifang clock set '2026-11-12 09:05'
hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -c '\"state\":\"assigned\"' | grep -qx 2"
hf_expect_exit 0 huifang --json worklist --agent A001
hf_expect_eq "$(cl_json_values "$preview" 0.id 1.id | sort | tr '\n' ' ')" \
    "$(cl_json_values "$HF_OUT" 0.id 1.id | sort | tr '\n' ' ')" "the same two tasks"
