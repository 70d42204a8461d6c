#!/usr/bin/env bash
# The due-index through Redis Sentinel survives a failover (issue 14): a master, a replica
# and three sentinels (sentinel_lib.sh); the stack finds the master through the sentinels
# (HUIFANG_REDIS_SENTINELS, HUIFANG_REDIS_MASTER_NAME) and two schedulers assign
# HF_SENTINEL_TASKS calls (2000, over five branches) falling due over ten minutes of the
# manual clock. Half-way the master is killed (kill -9); the sentinels promote the replica,
# the schedulers follow it (they log the new master and rebuild the index from Postgres, as
# the promoted replica may lack the last writes), and at the end every call is assigned
# exactly once: once in the assignment events each, no task twice, one counted slot each; the
# keys on the new master keep their branch hash tags (Cluster-ready; the wake index its kind's).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sentinel_lib.sh
source "$(dirname "$0")/sentinel_lib.sh"

N=${HF_SENTINEL_TASKS:-2000}
BRANCHES=5
HF_CLOCK_START='2026-11-02 08:00 +0800'
export HUIFANG_SCHEDULER_LEASE_MS=2000 HUIFANG_SCHEDULER_CLAIM_BATCH=200
hf_stack_start intake
sen_start
for s in scheduler calllog complaint reporting; do
    hf_service_start "$s"
done
hf_wait_ping 20
export HUIFANG_BRANCH=CH00 HUIFANG_TZ=Asia/Shanghai
hf_wait_until 20 grep -q "event=redis_master kind=task master=huifang at=127.0.0.1:$SEN_A" "$HF_E2E_TMP/scheduler.log"

start_extra_scheduler() {
    local off=$2
    hf_instance_launch "$1" scheduler $((HUIFANG_PORT_BASE + off)) $((HUIFANG_PORT_BASE + off + 1)) \
        $((HUIFANG_PORT_BASE + off - 30))
}
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }
count_assigned() { sql "SELECT count(*) FROM scheduler.task WHERE state = 'assigned'"; }

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
due_keys=$(sen_cli -p "$SEN_A" --scan --pattern 'hf:{*}:task:due' | sort | tr '\n' ' ')
hf_expect_eq "hf:{CH00}:task:due hf:{CH01}:task:due hf:{CH02}:task:due hf:{CH03}:task:due hf:{CH04}:task:due " \
    "$due_keys" "the due-index is on the master, one hash-tagged key per branch"
start_extra_scheduler scheduler2 44

steps=12
for ((i = 1; i <= steps; i++)); do
    hf_expect_exit 0 huifang clock advance $((600 / steps + 1))s
    if ((i == steps / 2)); then
        before=$(count_assigned)
        ((before > 0 && before < N)) || hf_fail "half-way, $before of $N assigned: the test needs some of each"
        sen_kill redis-a
        hf_log "master killed with $before of $N assigned"
        hf_wait_until 30 bash -c "[[ \$(redis-cli -h 127.0.0.1 -p ${SEN_SENTINEL_PORTS[0]} sentinel get-master-addr-by-name $SEN_MASTER_NAME | sed -n 2p) == $SEN_B ]]"
        hf_log "the sentinels promoted the replica :$SEN_B"
    fi
    sleep 0.5
done
# past the last due time and the last leases: keep the clock moving until all are in
deadline=$(hf_deadline 90)
until [[ $(count_assigned) == "$N" ]]; do
    hf_past "$deadline" && hf_fail "only $(count_assigned) of $N calls assigned after the failover"
    huifang clock advance 3s >/dev/null
    sleep 0.5
done

for s in scheduler scheduler2; do
    hf_wait_until 10 grep -q "event=redis_master kind=task master=huifang at=127.0.0.1:$SEN_B" "$HF_E2E_TMP/$s.log"
done
# the index on the new master was rebuilt from Postgres after the failover (the instances
# share it: the first to find the new master rebuilds it; the other may find it rebuilt)
rebuilt=0
for s in scheduler scheduler2; do
    awk '/event=redis_master kind=task .*failover=yes/ { f = 1 } f && /event=index_rebuild/ { ok = 1 }
         END { exit !ok }' "$HF_E2E_TMP/$s.log" && rebuilt=$((rebuilt + 1))
done
((rebuilt > 0)) || hf_fail "no scheduler rebuilt the index after the failover"
hf_expect_eq "$N" "$(count_assigned)" "every call assigned"
huifang events tail --from-seq 1 --topic scheduler.task --no-follow >"$HF_E2E_TMP/assigned.jsonl"
hf_expect_eq "$N" "$(python3 "$HF_SOURCE/tests/e2e/assigned_tasks.py" <"$HF_E2E_TMP/assigned.jsonl" | wc -l)" "once in the events each"
hf_expect_eq "$N" "$(python3 "$HF_SOURCE/tests/e2e/assigned_tasks.py" <"$HF_E2E_TMP/assigned.jsonl" | sort -u | wc -l)" "N different tasks in the published events"
hf_expect_eq "$N" "$(sql 'SELECT sum(calls) FROM scheduler.agent_day')" "one slot each"
keys=$(sen_cli -p "$SEN_B" --scan --pattern 'hf:*' | sort | tr '\n' ' ')
[[ $keys == *'hf:task:epoch'* && $keys != *'hf:{'*'}'*'{'* ]] || hf_fail "keys on the new master: $keys"
for k in $(sen_cli -p "$SEN_B" --scan --pattern 'hf:*'); do
    # a branch's keys carry the branch as their tag; the wake index of a kind (hf_queue.c) the
    # kind, apart from every branch's: no script touches both
    [[ $k =~ ^hf:(\{[A-Z0-9_-]+\}:)?[a-z]+:[a-z]+$ || $k =~ ^hf:wake:\{[a-z]+\}:[a-z]+$ ]] ||
        hf_fail "a key without its branch hash tag: $k"
done
hf_log "failover at $before of $N; all $N assigned once, through the new master"
