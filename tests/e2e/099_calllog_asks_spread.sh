#!/usr/bin/env bash
# calllog's asks of the scheduler (a brief task show before each call log, hf_command_ask_t)
# spread over the scheduler's instances (issue 14, "ops scale the scheduler out"; spread9):
# HUIFANG_SCHEDULER_ENDPOINT may list them ("tcp://a,tcp://b"), and the ask pool's client k
# talks to endpoint k % n, an ask taking the next free client after the last one taken.
#  0. a bad list (an empty element; more than 8 endpoints) stops calllog at start, the message
#     naming the variable;
#  1. two scheduler instances, calllog given both: call logs of an agent's claims are each
#     recorded once, and BOTH instances served calllog's task shows
#     (huifang_requests_total{command="task_show"} of each), about evenly;
#  2. the second instance frozen (SIGSTOP): a log either succeeds (its ask's second try goes to
#     the other instance) or answers UNAVAILABLE and records nothing; with the spread, each
#     succeeds;
#  3. the instance back (SIGCONT): the logs retried with their keys change nothing (the stored
#     reply), every claim logged once: one contact, one audit row, one call_logged each.
# Without the list (the pool's clients all on one endpoint) step 1's count of the second
# instance is 0; without a list understood, every log answers UNAVAILABLE.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"

sql() { hf_store_value "$1"; }
export HUIFANG_PEER_TIMEOUT_MS=$((1500 * HF_TIMEOUT_SCALE))
HF_CLOCK_START='2026-11-02 10:00 +0800'
# calllog starts below, once it is given both instances
hf_stack_start intake scheduler complaint reporting
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai
hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' \
    --windows 09:00-12:00,14:00-20:00 --lead-plans none
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
N=6
hf_plan_purchases $N # VC30 and six customers with a unit of it, their plans started (lib.sh)
# a second scheduler instance on ports of its own (as e2e/228)
S2_PORT=$((HUIFANG_PORT_BASE + 45)) S2_METRICS=$((HUIFANG_PORT_BASE + 15))
hf_instance_start scheduler2 scheduler "$S2_PORT" $((HUIFANG_PORT_BASE + 46)) "$S2_METRICS"
S1_EP=tcp://127.0.0.1:$(hf_service_port scheduler) S2_EP=tcp://127.0.0.1:$S2_PORT
s2=${HF_PIDS[scheduler2]}
# a frozen scheduler would not stop on the teardown's SIGTERM
trap 'rc=$?; kill -CONT "$s2" 2>/dev/null; (exit $rc); hf_teardown' EXIT

# ---- 0. a bad list: a start-up error naming the variable -------------------------------------
bad_start() {
    local rc=0
    HUIFANG_SCHEDULER_ENDPOINT=$1 HUIFANG_CALLLOG_BIND=tcp://127.0.0.1:$((HUIFANG_PORT_BASE + 47)) \
        HUIFANG_CALLLOG_EVENTS_BIND=tcp://127.0.0.1:$((HUIFANG_PORT_BASE + 43)) \
        HUIFANG_CALLLOG_METRICS_BIND=127.0.0.1:$((HUIFANG_PORT_BASE + 44)) \
        timeout $((20 * HF_TIMEOUT_SCALE)) "$HF_BIN/huifang-calllog" </dev/null >"$HF_E2E_TMP/bad.out" 2>&1 || rc=$?
    ((rc != 0 && rc != 124)) || hf_fail "huifang-calllog with HUIFANG_SCHEDULER_ENDPOINT='$1': status $rc, want a start-up error"
    hf_expect_contains "$(cat "$HF_E2E_TMP/bad.out")" "$2" "the start-up error"
}
bad_start "$S1_EP,,$S2_EP" "HUIFANG_SCHEDULER_ENDPOINT: an empty endpoint in the list"
bad_start "$S1_EP," "HUIFANG_SCHEDULER_ENDPOINT: an empty endpoint in the list"
bad_start "$(printf "$S1_EP,%.0s" {1..8})$S2_EP" "HUIFANG_SCHEDULER_ENDPOINT: more than 8 endpoints in the list"

HUIFANG_SCHEDULER_ENDPOINT="$S1_EP,$S2_EP" hf_service_start calllog

hf_expect_exit 0 huifang clock advance 10d # 2026-11-12 10:00 in Beijing
hf_wait_assigned A001 $N

# task_show requests (answered OK) of an instance, by its metrics port
shows_at() {
    curl -sS --max-time 5 "http://127.0.0.1:$1/metrics" 2>/dev/null |
        awk '$1 == "huifang_requests_total{service=\"scheduler\",command=\"task_show\",status=\"ok\"}" { n = $2 } END { printf "%d\n", n }'
}
shows() { echo "$(shows_at $(($(hf_service_port scheduler) + 8))) $(shows_at "$S2_METRICS")"; }
contacts() { sql "SELECT count(*) FROM calllog.contact"; }
audits() { sql "SELECT count(*) FROM audit.access WHERE service = 'calllog' AND command = 'call_log'"; }
events() { sql "SELECT count(*) FROM calllog.outbox WHERE topic LIKE 'calllog.call_logged%'"; }
declare -a TASKS=()
claim() {
    hf_expect_exit 0 huifang --as A001 --json task next
    TASKS+=("$(cl_json_get "$HF_OUT" task.id)")
}

# ---- 1. both instances serve the shows -------------------------------------------------------
read -r a0 b0 < <(shows)
for i in 1 2 3 4; do
    claim
    hf_expect_exit 0 huifang --as A001 --json call log --task "${TASKS[i - 1]}" --outcome connected \
        --idempotency-key "log-$i"
    cl_json_expect "$HF_OUT" task_id "${TASKS[i - 1]}" outcome connected
done
read -r a1 b1 < <(shows)
hf_log "task shows: the first instance $((a1 - a0)), the second $((b1 - b0))"
hf_expect_eq "2 2" "$((a1 - a0)) $((b1 - b0))" "four logs' shows, two on each instance"
hf_expect_eq "4 4 4" "$(contacts) $(audits) $(events)" "four contacts, audit rows, call_logged"

# ---- 2. the second instance frozen: the logs go through the first, or record nothing ---------
kill -STOP "$s2"
ok=0
for i in 5 6; do
    claim
    rc=0
    huifang --as A001 --json call log --task "${TASKS[i - 1]}" --outcome connected \
        --idempotency-key "log-$i" >"$HF_E2E_TMP/log$i.out" 2>"$HF_E2E_TMP/log$i.err" || rc=$?
    case $rc in
    0) ok=$((ok + 1)) ;;
    5) hf_expect_contains "$(cat "$HF_E2E_TMP/log$i.err")" \
        "the scheduler did not answer; nothing recorded, safe to retry" "log $i's message"
       hf_expect_eq 0 "$(sql "SELECT count(*) FROM calllog.contact WHERE task_id = ${TASKS[i - 1]}")" \
           "log $i recorded nothing" ;;
    *) hf_fail "log $i with the second instance frozen: status $rc ($(cat "$HF_E2E_TMP/log$i.err"))" ;;
    esac
done
# an ask whose try finds the frozen instance tries the other one next (the frozen one's
# metrics do not answer either)
hf_expect_eq 2 "$ok" "both logs went through the first instance"
hf_expect_eq $((a1 + 2)) "$(shows_at $(($(hf_service_port scheduler) + 8)))" \
    "the first instance served both logs' shows"

# ---- 3. the instance back: retries log once --------------------------------------------------
kill -CONT "$s2"
for i in 1 2 3 4 5 6; do
    hf_expect_exit 0 huifang --as A001 --json call log --task "${TASKS[i - 1]}" --outcome busy \
        --idempotency-key "log-$i"
    cl_json_expect "$HF_OUT" task_id "${TASKS[i - 1]}" outcome connected
done
hf_expect_eq "6 6 6" "$(contacts) $(audits) $(events)" "every claim logged once"
hf_expect_eq "$N" "$(sql "SELECT count(DISTINCT task_id) FROM calllog.contact")" "a contact a task"
hf_log "ok"
