#!/usr/bin/env bash
# Quality checks: each day a configurable share of every agent's calls (per branch, rounded
# up) is drawn for a supervisor's review — deterministically, so asking again shows the same
# calls and draws nothing new. Only a supervisor sets the share and scores (1..5, once); a
# call outside the sample may be checked too. review_sampled and review_scored are
# published.
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
hf_expect_exit 0 huifang agent add A002 --name 'Zhou Min' --role phone --regions haidian
hf_expect_exit 0 huifang agent add L001 --name 'Chen Jie' --role lead
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168
n=0
names=('Wang Fang' 'Liu Yang' 'Zhao Lei' 'Qian Li' 'Sun Hao')
for region in chaoyang chaoyang chaoyang haidian haidian; do
    hf_expect_exit 0 huifang lead add --name "${names[n]}" --phone "1390000100$n" --channel counter \
        --region "$region"
    n=$((n + 1))
    id=$(printf '%s\n' "$HF_OUT" | awk '{print $2}')
    hf_expect_exit 0 huifang purchase add --customer "$id" --product VC30 --quantity 1
done

# day 10: A001 calls three customers, A002 two
hf_expect_exit 0 huifang clock advance 10d
declare -A contacts=()
calls() {
    local agent=$1 count=$2 i task
    hf_wait_until 10 bash -c "test \$(huifang --json worklist --agent $agent | grep -c assigned) -eq $count"
    for ((i = 0; i < count; i++)); do
        hf_expect_exit 0 huifang --as "$agent" task next
        task=$(printf '%s\n' "$HF_OUT" | awk 'NR == 1 {print $2}')
        hf_expect_exit 0 huifang --as "$agent" call log --task "$task" --outcome connected \
            --duration $((100 + i))
        contacts[$agent]+="$(printf '%s\n' "$HF_OUT" | awk 'NR == 2 {print $1}') "
    done
}
calls A001 3
calls A002 2

# the share: a supervisor's to set, 0..100
cl_wait_supervisor L001
hf_expect_exit 4 huifang --as A001 call review rate 50
hf_expect_contains "$HF_ERR" "not allowed: review_rate needs the role lead, head, manager or admin" "an agent does not set the sample"
hf_expect_exit 2 huifang --as L001 call review rate 150
hf_expect_exit 0 huifang --as L001 call review rate 50
hf_expect_contains "$HF_OUT" "50%" "half of each agent's calls"

# the day's sample: ceil(3/2) = 2 of A001's, ceil(2/2) = 1 of A002's
hf_expect_exit 2 huifang call review list --date 2026-11-13
hf_expect_contains "$HF_ERR" "in the future" "no sample of tomorrow"
hf_expect_exit 0 huifang --json call review list --date 2026-11-12
sample=$HF_OUT
hf_expect_eq 3 "$(printf '%s\n' "$sample" | grep -c .)" "three calls drawn"
hf_expect_eq 2 "$(printf '%s\n' "$sample" | grep -c '"agent":"A001"')" "two of A001's"
hf_expect_eq 1 "$(printf '%s\n' "$sample" | grep -c '"agent":"A002"')" "one of A002's"
hf_expect_eq 3 "$(printf '%s\n' "$sample" | grep -c '"sampled":true')" "all drawn by the sample"
drawn=$(printf '%s\n' "$sample" | grep -o '"contact_id":[0-9]*' | sort)
for id in $(printf '%s\n' "$drawn" | cut -d: -f2); do
    [[ " ${contacts[A001]}${contacts[A002]}" == *" $id "* ]] || hf_fail "contact $id is not one of the day's calls"
done
# asking again, or per agent, shows the same calls and draws nothing new
hf_expect_exit 0 huifang --json call review list --date 2026-11-12
hf_expect_eq "$drawn" "$(printf '%s\n' "$HF_OUT" | grep -o '"contact_id":[0-9]*' | sort)" "the same sample"
hf_expect_exit 0 huifang --json call review list --agent A002
hf_expect_eq 1 "$(printf '%s\n' "$HF_OUT" | grep -c .)" "A002's sample (today is the 12th)"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic calllog.review_sampled --no-follow
hf_expect_eq 1 "$(printf '%s\n' "$HF_OUT" | grep -c .)" "one draw"
hf_expect_eq 3 "$(printf '%s\n' "$HF_OUT" | grep -o '"contact_id"' | wc -l)" "of three calls"
hf_expect_exit 0 huifang call review list
hf_expect_contains "$HF_OUT" "SAMPLED" "the table"

# scoring: a supervisor, 1..5, once
# (no `printf | head` here: head may leave before printf has written every line, and a
# printf killed by SIGPIPE ends the test silently under set -o pipefail: CI saw it once)
first=${drawn%%$'\n'*}
first=${first#*:}
hf_expect_exit 4 huifang --as A001 call review score "$first" --score 5
hf_expect_contains "$HF_ERR" "not allowed: review_score needs the role lead, head, manager or admin" "an agent does not score"
hf_expect_exit 2 huifang --as L001 call review score "$first" --score 6
hf_expect_contains "$HF_ERR" "--score" "the score's range"
hf_expect_exit 3 huifang --as L001 call review score 999999 --score 3
hf_expect_exit 0 huifang --as L001 --json call review score "$first" --score 4 \
    --note 'clear usage guidance; forgot to ask about diet'
cl_json_expect "$HF_OUT" contact_id "$first" score 4 reviewer L001 sampled true \
    note "clear usage guidance; forgot to ask about diet" date 2026-11-12
hf_expect_exit 4 huifang --as L001 call review score "$first" --score 2
hf_expect_contains "$HF_ERR" "already scored" "a score is final"
# a call outside the sample may be checked too
for id in ${contacts[A001]}; do
    if [[ $drawn != *":$id"* ]]; then
        outside=$id
    fi
done
hf_expect_exit 0 huifang --as L001 --json call review score "$outside" --score 3
cl_json_expect "$HF_OUT" sampled false agent A001
hf_expect_exit 0 huifang --json call review list --date 2026-11-12 --agent A001
hf_expect_eq 3 "$(printf '%s\n' "$HF_OUT" | grep -c .)" "two drawn and one picked"
hf_expect_contains "$HF_OUT" '"score":4' "the score shows"
hf_expect_contains "$HF_OUT" '"outcome":"connected"' "with the call it scores"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic calllog.review_scored --no-follow
hf_expect_eq 2 "$(printf '%s\n' "$HF_OUT" | grep -c .)" "two scores published"

# a day without calls has nothing to check
hf_expect_exit 0 huifang clock advance 1d
hf_expect_exit 0 huifang --json call review list
hf_expect_eq "" "$HF_OUT" "no calls, no sample"
