#!/usr/bin/env bash
# A chain of many branches where nothing is due costs the scheduler's timer a few round trips
# to Redis a round, not a few a branch: the tick asks Redis once what waits in every branch
# (hf_queue_waiting) and claims and reaps only where something does. Until then it locked and
# claimed each branch in turn (and reaped each once a second): at 1,000 branches, 1,000
# claims' round trips and 250 lock statements every 200 ms, for nothing, in the loop that
# answers the agents. Counted by huifang_redis_round_trips_total over 30 rounds of the tick,
# with 40 branches. And a few commands, not a few a branch: the look at what waits asks the wake
# index (hf_queue.c) once, however many branches (two counts a branch a round before the
# fourteenth round, 80 here): huifang_redis_commands_total. The due-index's size for the
# gauges asks two counts a branch (four until the fifteenth round) every 15 s (every 5 s until
# then). The complaint service's idle tick sends two commands (the epoch, the wake index), not
# SMEMBERS of its branch set as well: the list is kept between ticks (fifteenth round). Then
# one branch's due task is still assigned at its time.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 08:00 +0800'
hf_stack_start
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }
# counter [SERVICE] NAME: the first sample of NAME in SERVICE's metrics (the scheduler's)
counter() {
    local svc=scheduler
    (($# > 1)) && svc=$1 && shift
    curl -sS --max-time 5 "http://127.0.0.1:$(($(hf_service_port "$svc") + 8))/metrics" |
        awk -v name="$1" '$1 ~ "^" name && !seen { printf "%d\n", $2; seen = 1 }'
}
round_trips() { counter huifang_redis_round_trips_total; }
commands() { counter "$@" huifang_redis_commands_total; }
now_ms() { date +%s%3N; }

for ((b = 1; b <= 40; b++)); do
    hf_expect_exit 0 huifang --branch "$(printf 'IB%02d' "$b")" branch add "$(printf 'IB%02d' "$b")" \
        --name "Idle $b" --windows 00:00-24:00
done
hf_wait_until 10 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c 'SELECT count(*) FROM scheduler.branch')\" -ge 40 ]"
hf_wait_timer_rounds scheduler tick 2

r0=$(hf_timer_rounds scheduler tick)
t0=$(round_trips) c0=$(commands) m0=$(now_ms)
[[ -n $r0 && -n $t0 ]] || hf_fail "no tick rounds ($r0) or Redis round trips ($t0) in the scheduler's metrics"
hf_wait_timer_rounds scheduler tick 30
r1=$(hf_timer_rounds scheduler tick)
t1=$(round_trips) c1=$(commands) m1=$(now_ms)
[[ -n $c0 && -n $c1 ]] || hf_fail "no Redis commands ($c0, $c1) in the scheduler's metrics"
rounds=$((r1 - r0)) trips=$((t1 - t0)) cmds=$((c1 - c0))
hf_log "$trips round trips to Redis with $cmds commands in $rounds rounds of the tick, 40 branches, nothing due"
# a round: the epoch's check and what waits (one each), the reaps' look once a second, and
# every 5 s the due-index's size of every branch (one since the thirteenth round, 40 before:
# 106 in 30 rounds then, 67 now): well under 10 a round; a round trip a branch a round would
# be 1,200 and more
((rounds >= 30)) || hf_fail "only $rounds rounds"
((trips < 10 * rounds)) || hf_fail "$trips round trips to Redis in $rounds rounds of 40 idle branches: one or more a branch a round"
((trips > 0)) || hf_fail "no round trip to Redis counted in $rounds rounds"
# the commands: per round the epoch's check and one look at the wake index, the reaps' look
# once a second, and every 15 s two counts a branch for the due-index's size (80 here): about
# 2 a round, and 80 at most once in these 30 rounds (6 s; 80 more for each 15 s they take
# beyond); two counts a branch a round would be 2,400 and more. Until the fifteenth round four
# counts a branch every 5 s: 160 in any 5 s, over the bound
((cmds < 10 * rounds)) || hf_fail "$cmds Redis commands in $rounds rounds of 40 idle branches: one or more a branch a round"
counts=$(((m1 - m0) / 15000 + 1))
((cmds <= 3 * rounds + 2 * 40 * counts)) ||
    hf_fail "$cmds Redis commands in $rounds rounds ($((m1 - m0)) ms) of 40 idle branches: more than 3 a round and 80 a due-index count every 15 s"

# ---- complaint: three branches with a complaint's clock running, nothing due; an idle
# tick asks Redis whether the epoch is there and what waits (one command on the wake index),
# not the branch set as well (SMEMBERS at every tick until the fifteenth round: 3 a tick) ----
names=('' 'Wang Fang' 'Chen Jie' 'Zhou Yan')
for ((b = 1; b <= 3; b++)); do
    br=$(printf 'IB%02d' "$b")
    hf_expect_exit 0 huifang --branch "$br" agent add A001 --name 'Li Na' --role phone
    hf_expect_exit 0 huifang --branch "$br" --json lead add --name "${names[b]}" \
        --phone "1381234567$b" --channel counter
    customer=$(hf_json_get "$HF_OUT" customer.id)
    hf_wait_until 10 huifang --branch "$br" --as A001 complaint file --customer "$customer" \
        --category delivery --text 'the box came crushed'
done
hf_wait_until 10 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c 'SELECT count(*) FROM complaint.complaint WHERE indexed')\" = 3 ]"
hf_wait_timer_rounds complaint tick 2
r0=$(hf_timer_rounds complaint tick) c0=$(commands complaint)
hf_wait_timer_rounds complaint tick 30
r1=$(hf_timer_rounds complaint tick) c1=$(commands complaint)
[[ -n $c0 && -n $c1 ]] || hf_fail "no Redis commands ($c0, $c1) in the complaint service's metrics"
rounds=$((r1 - r0)) cmds=$((c1 - c0))
hf_log "complaint: $cmds Redis commands in $rounds rounds of the tick, 3 branches, nothing due"
((rounds >= 30)) || hf_fail "only $rounds rounds of complaint's tick"
# two a round, and one more should the list's 30 s safety net fall in the window
((cmds <= 2 * rounds + 2)) ||
    hf_fail "$cmds Redis commands in $rounds idle rounds of complaint's tick: more than 2 a round (the branch set listed every tick?)"

# a branch with a task due is still claimed and assigned in its round
export HUIFANG_BRANCH=IB07 HUIFANG_TZ=Asia/Shanghai
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --daily-calls 50
start_ms=$(date -d "$HF_CLOCK_START" +%s%3N)
sql "INSERT INTO scheduler.task (branch, customer_id, step_no, occurrence, purpose, channel, role,
       due_at_ms, priority, updated_at_ms)
     VALUES ('IB07', 1007, 1, 0, 'care', 'phone', 'phone', $start_ms + 60000, 20, $start_ms)"
hf_wait_until 10 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c 'SELECT count(*) FROM scheduler.task_unindexed')\" = 0 ]"
hf_expect_exit 0 huifang clock advance 2m
assigned() { sql "SELECT count(*) FROM scheduler.task WHERE branch = 'IB07' AND state = 'assigned' AND agent = 'A001'"; }
hf_wait_until 30 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE branch = 'IB07' AND state = 'assigned'\")\" = 1 ]"
hf_expect_eq 1 "$(assigned)" "IB07's due call in A001's bag"
