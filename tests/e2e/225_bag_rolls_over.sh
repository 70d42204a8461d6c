#!/usr/bin/env bash
# A date bag as the manuals keep it: a call is handed out only inside the call windows (an
# overdue one too: not at 12:30 between the windows, not at 22:30), and a task nobody worked
# by the end of its day rolls into the next day's bag, one step more urgent and marked as
# rolled; it does not linger in the old bag.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --windows 09:00-12:00,14:00-20:00
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345678 --channel counter \
    --region chaoyang
customer=$(cl_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang purchase add --customer "$customer" --product VC30 --quantity 1

# day 10, 09:05: the care call is in Li Na's bag
hf_expect_exit 0 huifang clock set '2026-11-12 09:05'
hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -q '\"state\":\"assigned\"'"
hf_expect_exit 0 huifang --json worklist --agent A001
mapfile -t v <<<"$(cl_json_values "$HF_OUT" id purpose priority bag_date)"
care=${v[0]}
hf_expect_eq care "${v[1]}" "the care call"
hf_expect_eq 2026-11-12 "${v[3]}" "in today's bag"
priority=${v[2]}

# between the windows and late in the evening the call waits for the next window
hf_expect_exit 0 huifang clock set '2026-11-12 12:30'
hf_expect_exit 3 huifang --as A001 task next
hf_expect_contains "$HF_ERR" "the next call window opens at 2026-11-12 14:00" "not at 12:30"
hf_expect_exit 0 huifang clock set '2026-11-12 22:30'
hf_expect_exit 3 huifang --as A001 task next
hf_expect_contains "$HF_ERR" "the next call window opens at 2026-11-13 09:00" "not at 22:30"

# the next morning it is in the new day's bag, one step more urgent, marked as rolled
hf_expect_exit 0 huifang clock set '2026-11-13 09:05'
hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -q '\"bag_date\":\"2026-11-13\"'"
hf_expect_exit 0 huifang --json worklist --agent A001
hf_expect_eq 1 "$(printf '%s\n' "$HF_OUT" | grep -c .)" "one task in the bag"
cl_json_expect "$HF_OUT" id "$care" state assigned bag_date 2026-11-13 rolls 1 \
    priority $((priority + 1))
hf_expect_exit 0 huifang worklist --agent A001
hf_expect_contains "$HF_OUT" "assigned, rolled 1d" "the table shows it rolled"
# yesterday's bag no longer holds it
hf_expect_exit 0 huifang --json worklist --agent A001 --date 2026-11-12
hf_expect_eq "" "$HF_OUT" "nothing left in the old bag"

# inside the window it is handed out
hf_expect_exit 0 huifang --as A001 --json task next
hf_expect_eq "$care" "$(cl_json_get "$HF_OUT" task.id)" "the rolled call is next"
