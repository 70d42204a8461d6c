#!/usr/bin/env bash
# A 90-day plan runs in seconds on the manual clock: three months of a long course (day 0, 6,
# 12, 24, then every 25 days, and 3 days before the supply ends) come due one by one, each
# in the agent's bag on its day and not before, each claimed and logged; when the supply is
# used up and nothing was bought again, the plan is archived (its form filed).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
hf_expect_exit 0 huifang product add CA30 --name 'Calcium 30' --days-per-unit 30 --price 98 --plan long-course
read -r _ customer _ < <(huifang lead add --name 'Wang Fang' --phone 13812345678 --channel counter --region chaoyang)
hf_expect_exit 0 huifang --json purchase add --customer "$customer" --product CA30 --quantity 3
hf_expect_eq 2027-01-31 "$(hf_json_get "$HF_OUT" supply_end)" "90 days of supply"
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow | grep -q plan_started"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow
# one line per step: id, local due day, purpose
steps=$(python3 -c '
import json, sys, datetime
ev = json.loads(sys.argv[1])["plan_started"]
for t in ev["tasks"]:
    due = datetime.datetime.fromisoformat(t["due_at"].replace("Z", "+00:00")) + datetime.timedelta(hours=8)
    print(t["id"], due.strftime("%Y-%m-%d"), t["purpose"])
' "$HF_OUT")
hf_expect_eq "2026-11-02 usage
2026-11-08 reaction
2026-11-14 care
2026-11-26 care
2026-12-21 care
2027-01-15 care
2027-01-28 repurchase" "$(cut -d' ' -f2- <<<"$steps")" "the long course's days"

started=$SECONDS
while read -r id day purpose; do
    if [[ $purpose != usage ]]; then
        # the evening before, nothing is in the bag yet (the day-0 call was due at once)
        hf_expect_exit 0 huifang clock set "$(date -d "$day -1 day" +%F) 20:30"
        hf_expect_exit 3 huifang task next --agent A001
        hf_expect_exit 0 huifang clock set "$day 09:30"
    fi
    hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -q '\"id\":\"\{0,1\}$id\"\{0,1\},'"
    hf_expect_exit 0 huifang --as A001 task next
    hf_expect_contains "$HF_OUT" "task $id" "step $purpose on $day"
    hf_expect_contains "$HF_OUT" "$purpose" "its purpose"
    hf_expect_exit 0 huifang --as A001 call log --task "$id" --outcome connected --note "step $purpose done"
    hf_wait_until 10 bash -c "huifang --json task show $id | grep -q '\"state\":\"done\"'"
done <<<"$steps"
hf_log "seven steps over 90 days in $((SECONDS - started)) s"

# the supply ends on 01-31; a week later, nothing bought again: the plan is archived
hf_expect_exit 0 huifang clock set '2027-02-08 10:00'
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_ended --no-follow | grep -q '\"reason\":\"supply-used-up\"'"
hf_expect_exit 0 huifang --as A001 --json task show "$(tail -n1 <<<"$steps" | cut -d' ' -f1)"
hf_expect_contains "$HF_OUT" "step repurchase done" "the last call's note is in the history"
