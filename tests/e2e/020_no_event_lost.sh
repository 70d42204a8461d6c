#!/usr/bin/env bash
# No accepted change is lost between services.
#  A. The scheduler is killed (kill -9); 100 purchases are recorded; when it starts again it
#     plans exactly 100 plans: it asks intake for a replay from its last applied sequence.
#  B. With a tiny send and receive high-water mark the event sockets drop messages: the
#     scheduler is frozen while 100 more purchases are recorded, so most of them (and the
#     tail) never reach it; it detects the gap (by sequence, or by intake's heartbeat for a
#     lost tail) and replays: exactly 200 plans, none twice.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01

# --lead-plans none: this test counts plans and tasks of purchases; a lead's own conversion
# plan (150_lead_first_call.sh) would add to them
hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing' --tz Asia/Shanghai --lead-plans none
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168

# a name for number i made of letters only (names have no digits): 1 -> "Customer Ab"
letters() {
    local i=$1 out="" digits=abcdefghijklmnopqrstuvwxyz
    while ((i > 0)); do
        out=${digits:i % 26:1}$out
        i=$((i / 26))
    done
    printf 'Customer %s%s' "${out:0:1}" "${out:1}b"
}

# records N purchases, each by a new customer; $1 is the first phone suffix
record_purchases() {
    local from=$1 n=$2 i id
    for ((i = from; i < from + n; i++)); do
        # plain output, "customer <id> ...": no JSON parser started 200 times
        read -r _ id _ < <(huifang lead add --name "$(letters "$i")" \
            --phone "139$(printf '%08d' "$i")" --channel counter)
        [[ $id =~ ^[0-9]+$ ]] || hf_fail "lead add printed no customer id"
        huifang purchase add --customer "$id" --product VC30 --quantity 1 >/dev/null ||
            hf_fail "purchase add for customer $id failed"
    done
}

plans() {
    huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow | grep -c plan_started || true
}

# A: killed, then restarted
hf_service_stop scheduler KILL
record_purchases 1 100
hf_expect_eq 0 "$(plans 2>/dev/null || echo 0)" "no plans while the scheduler is down"
hf_service_start scheduler
hf_wait_until 30 bash -c "[ \"\$(huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow | grep -c plan_started)\" -ge 100 ]"
# every purchase applied (a plan is stored with the event's offset): a plan twice would be
# there by now
hf_wait_applied scheduler intake
hf_expect_eq 100 "$(plans)" "exactly 100 plans after the restart"

# B: tiny high-water marks and a frozen consumer: messages are dropped, including the tail
hf_service_stop scheduler
HUIFANG_PUB_SNDHWM=1 hf_service_restart intake
HUIFANG_SUB_RCVHWM=1 hf_service_start scheduler
# one purchase through the live path first: the subscription is connected before the freeze
record_purchases 101 1
hf_wait_until 30 bash -c "[ \"\$(huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow | grep -c plan_started)\" -ge 101 ]"
kill -STOP "${HF_PIDS[scheduler]}"
record_purchases 102 99
kill -CONT "${HF_PIDS[scheduler]}"
hf_wait_until 60 bash -c "[ \"\$(huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow | grep -c plan_started)\" -ge 200 ]"
hf_wait_applied scheduler intake
hf_expect_eq 200 "$(plans)" "exactly 200 plans after dropped messages"
hf_expect_contains "$(cat "$HF_E2E_TMP/scheduler.log")" "event=gap_detected" "the gap was seen"
hf_expect_contains "$(cat "$HF_E2E_TMP/scheduler.log")" "event=replayed producer=intake" "and replayed"

# every plan has its two steps, every purchase one plan
hf_expect_exit 0 huifang --json queue stats
hf_expect_eq 400 "$(hf_json_get "$HF_OUT" planned)" "two planned steps per plan"
