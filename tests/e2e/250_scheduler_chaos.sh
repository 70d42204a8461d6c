#!/usr/bin/env bash
# Several scheduler instances, killed with kill -9 while calls fall due, lose nothing and
# assign nothing twice.
#  A. An instance holding leases dies: a lock held by this test stalls its transaction after
#     the claim, it is killed, a new one starts; the leases expire and are reaped, and the
#     calls are assigned.
#  B. Chaos: three instances; every few seconds one of them is killed (kill -9) and started
#     again, while HF_CHAOS_TASKS calls (default 5000, over 10 branches) fall due over ten
#     minutes of the manual clock (HF_CHAOS_STEPS steps of HF_CHAOS_PAUSE s). At the end every
#     call is assigned exactly once: once in the assignment events each, no task id twice among
#     them, one counted slot each.
# tests/bench/scheduler/chaos_100k.sh runs B with 100,000 calls (label bench).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

N=${HF_CHAOS_TASKS:-5000}
BRANCHES=10
HF_CLOCK_START='2026-11-02 08:00 +0800'
export HUIFANG_SCHEDULER_LEASE_MS=2000 HUIFANG_SCHEDULER_CLAIM_BATCH=${HF_CHAOS_BATCH:-200}
hf_stack_start
export HUIFANG_BRANCH=CH00 HUIFANG_TZ=Asia/Shanghai

start_extra_scheduler() {
    local off=$2
    hf_instance_launch "$1" scheduler $((HUIFANG_PORT_BASE + off)) $((HUIFANG_PORT_BASE + off + 1)) \
        $((HUIFANG_PORT_BASE + off - 30))
}
kill_extra() {
    local name=$1
    { kill -KILL "${HF_PIDS[$name]}" && wait "${HF_PIDS[$name]}"; } 2>/dev/null || true
    unset "HF_PIDS[$name]"
    printf '=== %s killed\n' "$(date +%T.%3N)" >>"$HF_E2E_TMP/$name.log"
}
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }
count_assigned() { sql "SELECT count(*) FROM scheduler.task WHERE state = 'assigned'"; }
# ids leased in Redis, read there directly: the scheduler that holds them may be stuck (the
# names are hf_queue.c's: one sorted set of leases per branch)
leased() {
    local k n=0
    for k in $(redis-cli -u "$HUIFANG_REDIS_URL" --scan --pattern 'hf:{*}:task:leases'); do
        n=$((n + $(redis-cli -u "$HUIFANG_REDIS_URL" zcard "$k")))
    done
    echo "$n"
}

# the scheduler's copies of ten branches with room for every call (the load, not intake, is
# under test here), and the calls: due over ten minutes from 08:01
per_branch=$(((N + BRANCHES - 1) / BRANCHES))
agents=$(((per_branch + 499) / 500))
start_ms=$(date -d "$HF_CLOCK_START" +%s%3N)
sql "INSERT INTO scheduler.branch (code, tz, windows)
     SELECT 'CH' || lpad(b::text, 2, '0'), 'Asia/Shanghai', '00:00-24:00' FROM generate_series(0, $((BRANCHES - 1))) b"
sql "INSERT INTO scheduler.agent (branch, id, name, role, regions, daily_calls, daily_visits)
     SELECT 'CH' || lpad(b::text, 2, '0'), 'A' || a, 'Agent ' || a, 'phone', '{}', 500, 0
     FROM generate_series(0, $((BRANCHES - 1))) b, generate_series(1, $agents) a"
sql "INSERT INTO scheduler.task (branch, customer_id, step_no, occurrence, purpose, channel, role,
       due_at_ms, priority, updated_at_ms)
     SELECT 'CH' || lpad((g % $BRANCHES)::text, 2, '0'), g, 1, 0, 'care', 'phone', 'phone',
            $start_ms + 60000 + (g * 600000::bigint) / $N, 20, $start_ms
     FROM generate_series(0, $((N - 1))) g"
hf_wait_until 60 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c 'SELECT count(*) FROM scheduler.task_unindexed')\" = 0 ]"

# A. an instance dies holding leases
sql "SELECT 1" >/dev/null
# held until the instance is dead (cancelled below), not for a fixed time that a slow claim
# could outlast
PGAPPNAME=hf-e2e-locker psql -X -q -d "$HUIFANG_STORE_URL" -c "BEGIN; LOCK TABLE scheduler.agent_day IN EXCLUSIVE MODE; SELECT pg_sleep(600); COMMIT;" >/dev/null 2>&1 &
locker=$!
# the lock must be held before the calls fall due (a fixed pause was not enough on a busy box)
hf_wait_until 10 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'agent_day' AND l.mode = 'ExclusiveLock' AND l.granted\")\" = 1 ]"
hf_expect_exit 0 huifang clock advance 61s
deadline=$(hf_deadline 10)
until (($(leased) > 0)); do
    hf_past "$deadline" && hf_fail "the scheduler claimed nothing"
    sleep 0.1
done
held=$(leased)
hf_service_stop scheduler KILL
sql "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'hf-e2e-locker'" >/dev/null
wait "$locker" || true
hf_expect_eq 0 "$(count_assigned)" "nothing assigned by the dead instance"
hf_service_start scheduler
hf_expect_eq "$held" "$(leased)" "its leases are still held"
hf_expect_exit 0 huifang clock advance 3s
hf_wait_until 15 bash -c "grep -q 'event=leases_reaped' '$HF_E2E_TMP/scheduler.log'"
hf_wait_until 15 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE state = 'assigned'\")\" -ge $held ]"

# B. chaos: three instances, one killed every third step while the rest fall due
start_extra_scheduler scheduler2 44
start_extra_scheduler scheduler3 46
steps=${HF_CHAOS_STEPS:-16}
for ((i = 1; i <= steps; i++)); do
    hf_expect_exit 0 huifang clock advance $((600 / steps + 1))s
    if ((i % 3 == 0)); then
        case $((i / 3 % 3)) in
        0) hf_service_stop scheduler KILL && hf_service_launch scheduler ;;
        1) kill_extra scheduler2 && start_extra_scheduler scheduler2 44 ;;
        2) kill_extra scheduler3 && start_extra_scheduler scheduler3 46 ;;
        esac
    fi
    sleep "${HF_CHAOS_PAUSE:-0.5}"
done
# past the last due time and the last leases: keep the clock moving until all are in
deadline=$(hf_deadline 120)
until [[ $(count_assigned) == "$N" ]]; do
    hf_past "$deadline" && hf_fail "only $(count_assigned) of $N calls assigned"
    huifang clock advance 3s >/dev/null
    sleep 0.5
done
# every instance has had rounds of its own since: one that assigns anything twice would have
hf_wait_timer_rounds scheduler tick
hf_wait_timer_rounds scheduler tick 2 $((HUIFANG_PORT_BASE + 44 - 30)) # scheduler2
hf_wait_timer_rounds scheduler tick 2 $((HUIFANG_PORT_BASE + 46 - 30)) # scheduler3

hf_expect_eq "$N" "$(count_assigned)" "every call assigned"
huifang events tail --from-seq 1 --topic scheduler.task --no-follow >"$HF_E2E_TMP/assigned.jsonl"
hf_expect_eq "$N" "$(python3 "$HF_SOURCE/tests/e2e/assigned_tasks.py" <"$HF_E2E_TMP/assigned.jsonl" | wc -l)" "once in the events each"
hf_expect_eq "$N" "$(python3 "$HF_SOURCE/tests/e2e/assigned_tasks.py" <"$HF_E2E_TMP/assigned.jsonl" | sort -u | wc -l)" "N different tasks in the published events"
hf_expect_eq "$N" "$(sql 'SELECT sum(calls) FROM scheduler.agent_day')" "one slot each"
reaped=$(cat "$HF_E2E_TMP"/scheduler*.log | grep -o 'event=leases_reaped branch=[^ ]* tasks=[0-9]*' | awk -F= '{ n += $NF } END { print n + 0 }')
hf_log "kills: $((steps / 3 + 1)), leases reaped: ${reaped:-0}, calls: $N"
