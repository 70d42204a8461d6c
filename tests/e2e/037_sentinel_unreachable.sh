#!/usr/bin/env bash
# Redis Sentinel unreachable (issue 14): the scheduler never crashes for it, it waits and
# retries. Started before any sentinel or Redis exists, it says why it cannot assign and
# assigns nothing; once the master, its replica and three sentinels are up it finds the
# master (skipping a sentinel listed first that never answers) and assigns the call that fell
# due meanwhile, once. With every sentinel gone it keeps working on the master it has. A
# master demoted behind the sentinels' back answers READONLY: the scheduler asks the
# sentinels again (none: it waits, alive), and once they are back, watching the new master,
# follows it, rebuilds the index and assigns the next call, once.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sentinel_lib.sh
source "$(dirname "$0")/sentinel_lib.sh"

HF_CLOCK_START='2026-11-02 08:00 +0800'
hf_stack_start intake
export HUIFANG_BRANCH=CH00 HUIFANG_TZ=Asia/Shanghai
# a dead sentinel first (a free offset of this test's ports), then the three to come
dead=$((HUIFANG_PORT_BASE + 43))
export HUIFANG_REDIS_SENTINELS="127.0.0.1:$dead,127.0.0.1:$((HUIFANG_PORT_BASE + 5)),127.0.0.1:$((HUIFANG_PORT_BASE + 6)),127.0.0.1:$((HUIFANG_PORT_BASE + 7))"
export HUIFANG_REDIS_MASTER_NAME=huifang HUIFANG_REDIS_URL=redis://127.0.0.1:1/0
for s in scheduler calllog complaint reporting; do
    hf_service_start "$s"
done
hf_wait_ping 20
hf_wait_until 20 grep -q 'event=redis_unavailable reason="no redis sentinel named a usable master huifang (4 asked' "$HF_E2E_TMP/scheduler.log"

sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }
count_assigned() { sql "SELECT count(*) FROM scheduler.task WHERE state = 'assigned'"; }
start_ms=$(date -d "$HF_CLOCK_START" +%s%3N)
sql "INSERT INTO scheduler.branch (code, tz, windows) VALUES ('CH00', 'Asia/Shanghai', '00:00-24:00')"
sql "INSERT INTO scheduler.agent (branch, id, name, role, regions, daily_calls, daily_visits)
     VALUES ('CH00', 'A1', 'Agent 1', 'phone', '{}', 50, 0)"
add_task() {
    sql "INSERT INTO scheduler.task (branch, customer_id, step_no, occurrence, purpose, channel, role,
           due_at_ms, priority, updated_at_ms)
         VALUES ('CH00', $1, 1, 0, 'care', 'phone', 'phone', $2, 20, $start_ms)"
}
add_task 1 $((start_ms + 60000))
hf_expect_exit 0 huifang clock advance 2m
hf_expect_exit 5 huifang --branch CH00 queue stats   # unavailable, safe to retry
hf_service_check_alive scheduler
# rounds of assignment on the new time have run (and found no Redis)
hf_wait_timer_rounds scheduler tick
hf_expect_eq 0 "$(count_assigned)" "nothing assigned without Redis"
hf_log "no sentinel, no Redis: the scheduler waits"

sen_start
hf_wait_until 30 bash -c "[[ \$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE state = 'assigned'\") == 1 ]]"
# past the dead first sentinel, through a live one (whichever of the three had learnt the
# master first: they start one after the other, and a loaded machine once made the second
# answer after the third)
grep -Eq "event=redis_master kind=task master=huifang at=127.0.0.1:$SEN_A sentinel=127.0.0.1:($((HUIFANG_PORT_BASE + 5))|$((HUIFANG_PORT_BASE + 6))|$((HUIFANG_PORT_BASE + 7)))( |\$)" "$HF_E2E_TMP/scheduler.log" ||
    hf_fail "the scheduler did not find the master through a live sentinel: $(grep redis_master "$HF_E2E_TMP/scheduler.log")"
grep -q 'event=redis_available' "$HF_E2E_TMP/scheduler.log" || hf_fail "no redis_available after the wait"
hf_log "the sentinels came: the call that fell due meanwhile is assigned"

# every sentinel gone: the link to the master stays, work goes on
for i in 1 2 3; do
    sen_kill "sentinel-$i"
done
add_task 2 $((start_ms + 180000))
hf_expect_exit 0 huifang clock advance 2m
hf_wait_until 30 bash -c "[[ \$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE state = 'assigned'\") == 2 ]]"
hf_log "without sentinels the scheduler keeps the master it has"

# the master demoted by hand behind the sentinels' back (no failover, no client killed): the
# next write meets READONLY, the scheduler goes to the sentinels again — none is left, so
# it waits, alive, and its commands still answer
sen_cli -p "$SEN_B" replicaof no one >/dev/null
sen_cli -p "$SEN_A" replicaof 127.0.0.1 "$SEN_B" >/dev/null
add_task 3 $((start_ms + 300000))
hf_expect_exit 0 huifang clock advance 2m
hf_wait_until 30 grep -q "event=queue_reconnect kind=task reason=\"redis at 127.0.0.1:$SEN_A is read-only now\"" "$HF_E2E_TMP/scheduler.log"
hf_wait_until 30 bash -c "[[ \$(grep -c 'event=redis_unavailable' '$HF_E2E_TMP/scheduler.log') -ge 2 ]]"
hf_expect_exit 0 huifang ping
hf_service_check_alive scheduler
hf_expect_eq 2 "$(count_assigned)" "nothing more assigned without a master to be found"
hf_log "READONLY from a demoted master, no sentinel: the scheduler waits"

# sentinels again, watching the new master: the scheduler follows it, rebuilds the index
# (the new master may lack writes) and the third call is assigned, once
for i in 1 2 3; do
    sen_sentinel "sentinel-$i" "${SEN_SENTINEL_PORTS[i - 1]}" "$SEN_B"
done
hf_wait_until 30 bash -c "[[ \$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE state = 'assigned'\") == 3 ]]"
grep -q "event=redis_master kind=task master=huifang at=127.0.0.1:$SEN_B .*failover=yes" "$HF_E2E_TMP/scheduler.log" ||
    hf_fail "the scheduler did not report the new master: $(grep redis_master "$HF_E2E_TMP/scheduler.log")"
awk '/event=redis_master kind=task .*failover=yes/ { f = 1 } f && /event=index_rebuild/ { ok = 1 }
     END { exit !ok }' "$HF_E2E_TMP/scheduler.log" || hf_fail "no index rebuild after the new master"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.task --no-follow
hf_expect_eq 3 "$(python3 "$HF_SOURCE/tests/e2e/assigned_tasks.py" <<<"$HF_OUT" | sort -u | wc -l)" "each call assigned"
hf_expect_eq 3 "$(python3 "$HF_SOURCE/tests/e2e/assigned_tasks.py" <<<"$HF_OUT" | wc -l)" "each call assigned once"
hf_log "ok"
