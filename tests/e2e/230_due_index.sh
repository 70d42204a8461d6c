#!/usr/bin/env bash
# The due-index in Redis is only an index: 300 calls fall due one a minute while two
# scheduler instances share the work; Redis is flushed half-way (FLUSHDB) and rebuilds itself
# from Postgres; `huifang queue rebuild` rebuilds on demand. Every call is assigned exactly
# once: once in the assignment events each (tasks_assigned batches; no task id twice among
# them), one counted slot each.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 08:00 +0800'
# leases of 5 s on the manual clock (the default is 30 s): a lease left by a claim that found
# its rows locked by the other instance ends when the clock moves 6 s (wait_assigned)
export HUIFANG_SCHEDULER_LEASE_MS=5000
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

# a second scheduler instance on ports of its own (the base's last ones)
start_extra_scheduler() {
    local off=$2
    hf_instance_launch "$1" scheduler $((HUIFANG_PORT_BASE + off)) $((HUIFANG_PORT_BASE + off + 1)) \
        $((HUIFANG_PORT_BASE + off - 30))
}
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }
assigned() { sql "SELECT count(*) FROM scheduler.task WHERE state = 'assigned'"; }

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing' --windows 00:00-24:00
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --daily-calls 500
hf_expect_exit 0 huifang agent add A002 --name 'Zhou Min' --role phone --daily-calls 500
start_extra_scheduler scheduler2 45
hf_wait_until 10 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c 'SELECT count(*) FROM scheduler.agent')\" = 2 ]"

# wait_assigned N: waits until N calls are assigned. Two instances claim side by side: a
# claim that finds its rows locked by the other (assigning, or rebuilding the index) keeps
# its lease until a reaper returns it, and leases run on the manual clock, so waiting in real
# time does not end one (a wait of 60 s once did not). While calls are leased and none is
# left due, the clock moves past a lease (6 s: the calls fall due a minute apart, so no other
# one falls due), at most four times a call of this (the clock stays before 11:21, when the
# 201st falls due, through the first two).
reaped() { # true once no call is leased, or one is due again, or all N are assigned
    local out
    out=$(huifang --json queue stats) || return 1
    [[ $(hf_json_get "$out" leased) == 0 || $(hf_json_get "$out" due) != 0 || $(assigned) == "$1" ]]
}
wait_assigned() {
    local want=$1 deadline moves=0 out
    deadline=$(hf_deadline 60)
    until [[ $(assigned) == "$want" ]]; do
        hf_past "$deadline" && hf_fail "$(assigned) of $want assigned (the clock moved past a lease $moves times)"
        out=$(huifang --json queue stats 2>/dev/null) || out=""
        if ((moves < 4)) && [[ $out == *'"due":'* ]] && [[ $(hf_json_get "$out" due) == 0 ]] &&
            (($(hf_json_get "$out" leased) > 0)); then
            hf_expect_exit 0 huifang clock advance 6s
            moves=$((moves + 1))
            hf_log "$(assigned) of $want assigned, $(hf_json_get "$out" leased) leased, none due: the clock moved past a lease"
            # a reaper (each instance's, every second) returns the leases to the due-index
            hf_wait_until 20 reaped "$want"
        fi
        sleep 0.2
    done
}

# 300 calls, due one a minute from 08:01 on
start_ms=$(date -d "$HF_CLOCK_START" +%s%3N)
sql "INSERT INTO scheduler.task (branch, customer_id, step_no, occurrence, purpose, channel, role,
       due_at_ms, priority, updated_at_ms)
     SELECT 'BJ01', 1000 + g, 1, 0, 'care', 'phone', 'phone', $start_ms + g * 60000, 20, $start_ms
     FROM generate_series(1, 300) g"
hf_wait_until 10 bash -c "huifang --json queue stats | grep -q '\"planned\":\"\{0,1\}300'"
hf_wait_until 10 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c 'SELECT count(*) FROM scheduler.task_unindexed')\" = 0 ]"

# 100 minutes: 100 calls due
hf_expect_exit 0 huifang clock advance 100m
wait_assigned 100

# Redis loses everything; the next 100 minutes are assigned all the same. Both instances
# rebuild the index at once (a claim that meets the other's rebuild keeps its lease).
redis-cli -u "$HUIFANG_REDIS_URL" flushdb >/dev/null
hf_expect_exit 0 huifang clock advance 100m
wait_assigned 200
grep -q 'event=index_rebuild reason="redis epoch missing" tasks=' "$HF_E2E_TMP/scheduler.log" "$HF_E2E_TMP/scheduler2.log" ||
    hf_fail "no instance logged the rebuild"
hf_expect_exit 0 huifang --json queue stats
hf_expect_eq 100 "$(hf_json_get "$HF_OUT" planned)" "100 still to come"

# a rebuild on demand (this branch: its keys are cleared and refilled)
hf_expect_exit 0 huifang queue rebuild --branch BJ01
hf_expect_contains "$HF_OUT" "BJ01" "the stats after the rebuild"
hf_wait_until 10 bash -c "redis-cli -u '$HUIFANG_REDIS_URL' --scan --pattern 'hf:{BJ01}:task:due' | grep -q due"
hf_wait_until 10 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c 'SELECT count(*) FROM scheduler.task_unindexed')\" = 0 ]"
hf_expect_exit 0 huifang clock advance 101m
wait_assigned 300

# exactly once, by every measure
huifang events tail --from-seq 1 --topic scheduler.task --no-follow >"$HF_E2E_TMP/assigned.jsonl"
hf_expect_eq 300 "$(python3 "$HF_SOURCE/tests/e2e/assigned_tasks.py" <"$HF_E2E_TMP/assigned.jsonl" | wc -l)" "once in the events each"
hf_expect_eq 300 "$(python3 "$HF_SOURCE/tests/e2e/assigned_tasks.py" <"$HF_E2E_TMP/assigned.jsonl" | sort -u | wc -l)" "300 different tasks in the published events"
hf_expect_eq 300 "$(sql 'SELECT sum(calls) FROM scheduler.agent_day')" "one slot each"
# both instances have had rounds of their own since: one that assigns anything twice would have
hf_wait_timer_rounds scheduler tick
hf_wait_timer_rounds scheduler tick 2 $((HUIFANG_PORT_BASE + 45 - 30)) # scheduler2
hf_expect_eq 300 "$(assigned)" "and nothing more after a while"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.task --no-follow
hf_expect_eq 300 "$(python3 "$HF_SOURCE/tests/e2e/assigned_tasks.py" <<<"$HF_OUT" | wc -l)" "and no assignment event more"
