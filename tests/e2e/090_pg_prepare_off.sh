#!/usr/bin/env bash
# HUIFANG_PG_PREPARE: intake, the scheduler, complaint and calllog run their statements as
# named queries, prepared once per store connection; with HUIFANG_PG_PREPARE=off (a pooler in
# transaction mode, such as PgBouncer 1.18, keeps no prepared statements) the same queries go
# as text and every command works as before: here a lead, a purchase and its plan, a call in
# the bag claimed, a complaint, the outcome taxonomy. A value neither on nor off stops a
# service at start, naming it. (tests/run.sh keeps a developer's HUIFANG_* out of the tests,
# so this script is where the switch is tested.)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

export HUIFANG_PG_PREPARE=off
HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

# a bad value: the service says which setting and stops (its ports are the running one's, so
# it must stop before it binds; the metrics listener on a port the kernel picks)
for svc in intake scheduler complaint calllog; do
    set +e
    out=$(HUIFANG_PG_PREPARE=maybe HUIFANG_METRICS_BIND=127.0.0.1:0 "$HF_BIN/huifang-$svc" 2>&1)
    status=$?
    set -e
    hf_expect_eq 1 "$status" "$svc with pg_prepare neither on nor off"
    hf_expect_contains "$out" 'pg_prepare (HUIFANG_PG_PREPARE) is "maybe", not on or off' \
        "$svc names HUIFANG_PG_PREPARE"
done

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --tz Asia/Shanghai
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone
hf_expect_exit 0 huifang agent add L001 --name 'Chen Jie' --role lead
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345678 --channel counter
customer=$(hf_json_get "$HF_OUT" customer.id)

# complaint, unprepared: file (after the copies of branch and agents arrive), start, show, list
file=(huifang --as A001 --json complaint file --customer "$customer" --category delivery
    --text 'the parcel came open' --idempotency-key pg-prepare-off)
hf_wait_until 10 "${file[@]}"
hf_expect_exit 0 "${file[@]}"
id=$(hf_json_get "$HF_OUT" id)
hf_expect_exit 0 huifang --as A001 --json complaint start "$id"
hf_expect_eq in-progress "$(hf_json_get "$HF_OUT" state)" "started"
hf_expect_exit 0 huifang complaint show "$id"
hf_expect_contains "$HF_OUT" "started" "its history"
hf_expect_exit 0 huifang --json complaint list --open
hf_expect_contains "$HF_OUT" "\"id\":$id" "listed"

# calllog, unprepared: the taxonomy read and extended
hf_expect_exit 0 huifang outcome list
hf_expect_contains "$HF_OUT" "no-answer" "the seeded outcomes"
add=(huifang --as L001 --json outcome add left-message --name 'Left a message' --flags '')
hf_wait_until 10 "${add[@]}"
hf_expect_exit 0 huifang outcome list
hf_expect_contains "$HF_OUT" "left-message" "the branch's own outcome"

# intake, unprepared: the customer shown, a product and a purchase recorded
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 \
    --plan monthly-course
hf_expect_exit 0 huifang --json customer show "$customer"
hf_expect_contains "$HF_OUT" "Wang Fang" "the customer"
hf_expect_exit 0 huifang --json purchase add --customer "$customer" --product VC30 --quantity 1
hf_expect_eq 2026-12-02 "$(hf_json_get "$HF_OUT" supply_end)" "a 30-day supply"

# scheduler, unprepared: the purchase's plan starts; on day 10 its care call is in the bag
# and the agent claims a call of the customer's
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_started --count 2 --no-follow | grep -q monthly-course"
hf_expect_exit 0 huifang clock advance 10d
hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -q '\"purpose\":\"care\"'"
hf_expect_exit 0 huifang --as A001 --json task next
hf_expect_contains "$HF_OUT" 13812345678 "the claimed call's number, to dial"

# nothing in the logs says a statement failed
if grep -h 'store error' "$HF_E2E_TMP/intake.log" "$HF_E2E_TMP/scheduler.log" \
    "$HF_E2E_TMP/complaint.log" "$HF_E2E_TMP/calllog.log"; then
    hf_fail "a store error in the logs"
fi
