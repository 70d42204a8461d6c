#!/usr/bin/env bash
# The 24-hour clock of a complaint, on the manual clock: filed at 10:00, it warns at 12 h
# (22:00) and 18 h (04:00), escalates to the head at 24 h with a fresh period; a jump of two
# days then passes six thresholds at once, and each comes out once, in order: the manager at
# 48 h, the customer-service department at 72 h. The complaint's text stays out of the logs
# and the event stream; `complaint list --overdue` orders by what breaches first.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --tz Asia/Shanghai
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
hf_expect_exit 0 huifang agent add H001 --name 'Zhao Lei' --role head
hf_expect_exit 0 huifang agent add M001 --name 'Sun Hong' --role manager
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345678 --channel counter \
    --region chaoyang
customer=$(hf_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang --json lead add --name 'Chen Jie' --phone 13900001111 --channel counter
other=$(hf_json_get "$HF_OUT" customer.id)
# the complaint service learns branches and agents from intake's events: the first filing
# waits for them (a failed try stores nothing, so the same idempotency key is retried)
secret='the agent shouted at her about the dosage'
file_first=(huifang --as A001 --json complaint file --customer "$customer" --category attitude
    --text "$secret" --channel phone --location 'home, Chaoyang' --plan 'apologise in person'
    --idempotency-key first-complaint)
hf_wait_until 10 "${file_first[@]}"
hf_expect_exit 0 "${file_first[@]}"
id=$(hf_json_get "$HF_OUT" id)
hf_expect_eq open "$(hf_json_get "$HF_OUT" state)" "state"
hf_expect_eq A001 "$(hf_json_get "$HF_OUT" owner)" "the filing agent owns it"
hf_expect_eq 2026-11-03T02:00:00.000Z "$(hf_json_get "$HF_OUT" due_at)" "due 24 h later"

# bad input names the field and changes nothing
hf_expect_exit 2 huifang --as A001 complaint file --customer "$customer" --category rude --text x
hf_expect_contains "$HF_ERR" "--category" "the flag is named"
hf_expect_exit 2 huifang --as A001 complaint file --customer "$customer" --category attitude
hf_expect_contains "$HF_ERR" "--text is required" "text required"
hf_expect_exit 2 huifang complaint file --customer "$customer" --category attitude --text 'no owner'
hf_expect_contains "$HF_ERR" "owner is required" "an owner is required"
hf_expect_exit 3 huifang --as A001 complaint file --customer 99999 --category attitude --text x
hf_expect_contains "$HF_ERR" "no customer 99999" "unknown customer"
hf_expect_exit 3 huifang --as Z999 complaint file --customer "$customer" --category attitude --text x

# a second, later complaint of another customer breaches after the first
hf_expect_exit 0 huifang clock advance 1h
hf_expect_exit 0 huifang --as A001 --json complaint file --customer "$other" --category delivery \
    --text 'the parcel came open'
second=$(hf_json_get "$HF_OUT" id)
hf_expect_exit 0 huifang --json complaint list --overdue
order=$(printf '%s\n' "$HF_OUT" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p' | tr '\n' ' ')
hf_expect_contains "$order" "$id $second" "the first to breach comes first"

# the card's history as the CLI prints it, one "DATE TIME CHANGE LEVEL OWNER" per line
timeline() {
    huifang complaint show "$1" | awk '/^history/{h=1; getline; next} h && NF {print $1, $2, $3, $4, $6}'
}

# 11 h 59 m after filing: no warning yet
hf_expect_exit 0 huifang clock advance 10h59m
# the complaint clock's round at 21:59 has run: a warning it raised would show
hf_wait_timer_rounds complaint tick
hf_expect_eq "2026-11-02 10:00 opened 0 A001" "$(timeline "$id")" "nothing before 12 h"
# 12 h: the 50 % warning, at 22:00
hf_expect_exit 0 huifang clock advance 1m
hf_wait_until 10 bash -c "huifang complaint show $id | grep -q warning-50"
hf_expect_exit 0 huifang --json complaint show "$id"
hf_expect_contains "$HF_OUT" '{"changed_at":"2026-11-02T14:00:00.000Z","change":"warning-50","level":0,"owner":"A001"' "the 50 % warning at 12 h"
hf_expect_contains "$HF_OUT" '"warned":50,' "warned 50"
# 18 h: the 75 % warning
hf_expect_exit 0 huifang clock advance 6h
hf_wait_until 10 bash -c "huifang complaint show $id | grep -q warning-75"
# 24 h: escalated to the head, who gets a fresh 24 h
hf_expect_exit 0 huifang clock advance 6h
hf_wait_until 10 bash -c "huifang complaint show $id | grep -q escalated"
hf_expect_exit 0 huifang complaint show "$id"
hf_expect_contains "$HF_OUT" "$secret" "show gives the agent the text"
hf_expect_contains "$HF_OUT" "1 head (escalated 1 time)" "level shown"
hf_expect_contains "$HF_OUT" "2026-11-04 10:00 (24h00m left)" "the head's fresh period"
hf_expect_eq "2026-11-02 10:00 opened 0 A001
2026-11-02 22:00 warning-50 0 A001
2026-11-03 04:00 warning-75 0 A001
2026-11-03 10:00 escalated 1 H001" "$(timeline "$id")" "warned at 12 h and 18 h, escalated at 24 h"

# a jump of two days: six thresholds, each once, in order
hf_expect_exit 0 huifang clock advance 2d
hf_wait_until 10 bash -c "huifang complaint show $id | grep -q '3 customer-service'"
hf_expect_eq "2026-11-02 10:00 opened 0 A001
2026-11-02 22:00 warning-50 0 A001
2026-11-03 04:00 warning-75 0 A001
2026-11-03 10:00 escalated 1 H001
2026-11-03 22:00 warning-50 1 H001
2026-11-04 04:00 warning-75 1 H001
2026-11-04 10:00 escalated 2 M001
2026-11-04 22:00 warning-50 2 M001
2026-11-05 04:00 warning-75 2 M001
2026-11-05 10:00 escalated 3 customer-service" "$(timeline "$id")" "every threshold once, in order"
hf_expect_exit 0 huifang --json complaint list --open
hf_expect_contains "$HF_OUT" '"owner":"customer-service","level":3,' "the department owns it"
hf_expect_contains "$HF_OUT" '"breaches":3,' "three breaches"

# the events: each warning and escalation once, with the threshold's own time
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic complaint. --no-follow | grep -c complaint_escalated | grep -qx 5"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic complaint. --no-follow
events=$HF_OUT
hf_expect_eq 12 "$(grep -c '"change":"warning-' <<<"$events")" "six warnings for each complaint"
hf_expect_eq 2 "$(grep -c '"complaint_opened"' <<<"$events")" "two complaints opened"
[[ $events != *"$secret"* ]] || hf_fail "the complaint's text is in the event stream"
[[ $(cat "$HF_E2E_TMP"/*.log) != *"$secret"* ]] || hf_fail "the complaint's text is in a log"

# moves not allowed in a state are conflicts
hf_expect_exit 4 huifang --as A001 complaint resume "$id"
hf_expect_exit 4 huifang --as A001 complaint close "$id"
hf_expect_exit 2 huifang --as A001 complaint resolve "$id"
# who may act at each level: at level 3 the agent and the head are refused, a manager acts;
# nobody unnamed acts (the history would show "clock")
hf_expect_exit 4 huifang --as A001 complaint start "$id"
hf_expect_contains "$HF_ERR" "complaint $id is at level 3 (owner customer-service): A001 (phone) may not start it; a manager may" \
    "an agent may not act on an escalated complaint"
hf_expect_exit 4 huifang --as H001 complaint start "$id"
hf_expect_exit 4 huifang complaint start "$id"
hf_expect_contains "$HF_ERR" "admin is not an agent of branch BJ01" "the admin is no agent: act for one with --as"
hf_expect_exit 0 huifang --as M001 complaint start "$id"
hf_expect_exit 0 huifang --as M001 complaint resolve "$id" --resolution 'apologised; agent retrained'
hf_expect_contains "$HF_OUT" "resolved" "resolved"
hf_expect_exit 0 huifang --json complaint list --open
[[ $HF_OUT != *"\"id\":$id,"* ]] || hf_fail "a resolved complaint is not open"
hf_expect_exit 0 huifang --as M001 complaint close "$id"
hf_expect_exit 0 huifang --as M001 complaint reopen "$id"
hf_expect_contains "$HF_OUT" "reopened level 3 customer-service owner customer-service due 2026-11-06 10:00" \
    "reopened at its level with a fresh period"
hf_expect_exit 3 huifang complaint show 99999
