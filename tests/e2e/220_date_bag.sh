#!/usr/bin/env bash
# The date bag: due calls go to agents of the customer's region within each agent's daily
# capacity (least loaded first); what does not fit rolls over to the next day one step more
# urgent; a customer's own call windows hold their call until the window opens; an absent
# agent's bag moves to a colleague of the same region.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 2
hf_expect_exit 0 huifang agent add A002 --name 'Zhou Min' --role phone --regions chaoyang --daily-calls 2
hf_expect_exit 0 huifang agent add A003 --name 'Sun Hao' --role phone --regions haidian --daily-calls 40
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 --plan monthly-course

names=('Wang Fang' 'Zhang Wei' 'Liu Yang' 'Chen Jing' 'Yang Li')
for i in 0 1 2 3 4; do
    read -r _ id _ < <(huifang lead add --name "${names[$i]}" --phone "1381234567$i" --channel counter --region chaoyang)
    [[ $id =~ ^[0-9]+$ ]] || hf_fail "lead add printed no customer id"
    hf_expect_exit 0 huifang purchase add --customer "$id" --product VC30 --quantity 1
done
# a customer who can only be called in the evening
read -r _ eve _ < <(huifang lead add --name 'Zhao Lei' --phone 13912345670 --channel counter --region haidian --windows 18:00-21:00)
hf_expect_exit 0 huifang purchase add --customer "$eve" --product VC30 --quantity 1
hf_wait_until 10 bash -c "[ \$(huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow | grep -c plan_started) = 6 ]"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow
evening=$(tail -n1 <<<"$HF_OUT")
hf_expect_contains "$evening" '"due_at":"2026-11-12T10:00:00.000Z"' "the evening customer's day-10 call is at 18:00 (their window and the branch's)"
eve_task=$(hf_json_get "$evening" plan_started.tasks.0.id)

# day 10: four calls fit (two per chaoyang agent), the fifth rolls over; Sun Hao covers
# another region and gets none of them
hf_expect_exit 0 huifang clock advance 10d
hf_wait_until 10 bash -c "[ \$(huifang events tail --from-seq 1 --topic scheduler.task --no-follow | python3 '$HF_SOURCE/tests/e2e/assigned_tasks.py' | wc -l) = 4 ]"
hf_expect_exit 0 huifang --json worklist --agent A001
hf_expect_eq 2 "$(grep -c '"state":"assigned"' <<<"$HF_OUT")" "Li Na's bag holds her two calls"
hf_expect_exit 0 huifang --json worklist --agent A002
hf_expect_eq 2 "$(grep -c '"state":"assigned"' <<<"$HF_OUT")" "so does Zhou Min's"
hf_expect_exit 0 huifang --json worklist --agent A003
hf_expect_eq "" "$HF_OUT" "Sun Hao covers haidian"
hf_expect_exit 0 huifang --json queue stats
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow
rolled=""
for id in $(grep -o '"tasks":\[{"id":"\{0,1\}[0-9]*' <<<"$HF_OUT" | grep -o '[0-9]*$'); do
    out=$(huifang --json task show "$id")
    if grep -q '"state":"planned"' <<<"$out" && [[ $id != "$eve_task" ]]; then rolled=$id; fi
done
[[ -n $rolled ]] || hf_fail "no rolled-over task"
hf_expect_exit 0 huifang --json task show "$rolled"
hf_expect_eq 21 "$(hf_json_get "$HF_OUT" task.priority)" "one step more urgent"
hf_expect_eq 2026-11-13T01:00:00.000Z "$(hf_json_get "$HF_OUT" task.due_at)" "tomorrow's first window"

# the evening customer's call waits for 18:00, then goes to their region's agent
hf_expect_exit 0 huifang --json task show "$eve_task"
hf_expect_eq planned "$(hf_json_get "$HF_OUT" task.state)" "not yet: their window opens at 18:00"
hf_expect_exit 0 huifang clock set '2026-11-12 18:00'
hf_wait_until 10 bash -c "huifang --json task show $eve_task | grep -q '\"agent\":\"A003\"'"
hf_expect_exit 0 huifang --json task show "$eve_task"
hf_expect_eq 18:00-20:00 "$(hf_json_get "$HF_OUT" task.windows)" "called inside their window and the branch's"

# Li Na is off sick today: her bag goes to a colleague of her region with room
hf_expect_exit 0 huifang agent add A004 --name 'Qian Yu' --role phone --regions chaoyang --daily-calls 40
hf_expect_exit 0 huifang --json agent absent A001 --date 2026-11-12
hf_expect_eq 2 "$(hf_json_get "$HF_OUT" moved | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "two tasks moved"
hf_expect_exit 0 huifang --json worklist --agent A001
hf_expect_eq "" "$HF_OUT" "her bag is empty"
hf_expect_exit 0 huifang --json worklist --agent A004
hf_expect_eq 2 "$(grep -c '"state":"assigned"' <<<"$HF_OUT")" "Qian Yu has them"
hf_expect_exit 3 huifang task next --agent A001
hf_expect_exit 2 huifang agent absent A001 --from 2026-11-14 --until 2026-11-13
hf_expect_exit 2 huifang agent absent A001 --from 1969-12-31
hf_expect_contains "$HF_ERR" "from 1969-12-31 is out of bounds" "an absence within a month back and a year ahead"
hf_expect_exit 3 huifang agent absent A999 --date 2026-11-12

# the next morning the rolled-over call is assigned first thing
hf_expect_exit 0 huifang clock set '2026-11-13 09:00'
hf_wait_until 10 bash -c "huifang --json task show $rolled | grep -q '\"state\":\"assigned\"'"
hf_expect_exit 0 huifang --json task show "$rolled"
hf_expect_eq 2026-11-13 "$(hf_json_get "$HF_OUT" task.bag_date)" "today's bag"
