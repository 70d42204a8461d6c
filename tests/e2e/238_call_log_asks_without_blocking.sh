#!/usr/bin/env bash
# A call log asks the scheduler for its task without holding calllog's loop (issue 14, park8:
# hf_command_ask_t). The ask goes on a client of a pool and the request is held while the loop
# serves others; the handler runs when the answer comes, or answers as it did when none comes.
# With the scheduler frozen (SIGSTOP):
#  1. two call logs of a claim (two keys) are held at once, each with its ask out
#     (huifang_requests_asking), and calllog answers a ping meanwhile, at once — a loop
#     waiting on the scheduler's answer would answer it only after the asks' time is up
#     (2 x HUIFANG_PEER_TIMEOUT_MS);
#  2. each held log answers UNAVAILABLE, "the scheduler did not answer; nothing recorded, safe
#     to retry", once its tries are up, and records nothing (no contact, event or audit row);
# with the scheduler back (SIGCONT):
#  3. the logs retried with their keys: the first logs the claim, the second finds it logged
#     (as it would have); a retry of the log answered is its stored reply, and is not asked of
#     the scheduler first (calllog remembers the keys it answered); the scheduler's own
#     refusal (a task it does not have) is passed on as before.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
export HUIFANG_PEER_TIMEOUT_MS=$((1500 * HF_TIMEOUT_SCALE))
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

N=1
hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --windows 00:00-23:59 --lead-plans none
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 20
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168
names=(Wang)
for i in $(seq 1 $N); do
    hf_expect_exit 0 huifang --json lead add --name "${names[i - 1]} Fang" --phone "1381234580$i" \
        --channel counter --region chaoyang
    hf_expect_exit 0 huifang purchase add --customer "$(cl_json_get "$HF_OUT" customer.id)" \
        --product VC30 --quantity 1
done
hf_expect_exit 0 huifang clock advance 10d
hf_wait_until 20 bash -c "test \$(huifang --json worklist --agent A001 | grep -o '\"state\":\"assigned\"' | wc -l) -eq $N"
hf_expect_exit 0 huifang --as A001 --json task next
task=$(cl_json_get "$HF_OUT" task.id)
contacts() { hf_store_value "SELECT count(*) FROM calllog.contact"; }
audits() { hf_store_value "SELECT count(*) FROM audit.access WHERE service = 'calllog' AND command = 'call_log'"; }
events() { hf_store_value "SELECT count(*) FROM calllog.outbox WHERE topic LIKE 'calllog.call_logged%'"; }
asking() { hf_metric calllog 'huifang_requests_asking{service="calllog"}'; }
task_shows() { grep -c 'command=task_show ' "$HF_E2E_TMP/scheduler.log" || true; }
sched=${HF_PIDS[scheduler]}
# a frozen scheduler would not stop on the teardown's SIGTERM
trap 'rc=$?; kill -CONT "$sched" 2>/dev/null; (exit $rc); hf_teardown' EXIT

# ---- 1. two logs held, a ping answered meanwhile ---------------------------------------------
kill -STOP "$sched"
for i in 0 1; do
    (
        rc=0
        huifang --as A001 --json call log --task "$task" --outcome connected \
            --idempotency-key "held-$i" >"$HF_E2E_TMP/log$i.out" 2>"$HF_E2E_TMP/log$i.err" || rc=$?
        echo "$rc" >"$HF_E2E_TMP/log$i.rc"
    ) &
done
held() { [[ $(asking) == "$1" ]]; }
hf_wait_until 10 held 2
rc=0
pings=$(huifang --json --timeout 1000 ping 2>/dev/null) || rc=$?
line=$(grep '"service":"calllog"' <<<"$pings")
cl_json_expect "$line" answered true status OK
ms=$(cl_json_get "$line" round_trip_ms)
((ms < 500)) || hf_fail "calllog answered a ping in $ms ms while the call logs were held"
hf_expect_eq 2 "$(asking)" "both logs still held after the ping"

# ---- 2. no answer: UNAVAILABLE, nothing recorded ---------------------------------------------
for i in 0 1; do
    hf_wait_until 30 test -s "$HF_E2E_TMP/log$i.rc"
    hf_expect_eq 5 "$(cat "$HF_E2E_TMP/log$i.rc")" "log $i answered UNAVAILABLE"
    hf_expect_contains "$(cat "$HF_E2E_TMP/log$i.err")" \
        "the scheduler did not answer; nothing recorded, safe to retry" "log $i's message"
done
hf_expect_eq "0 0 0" "$(contacts) $(audits) $(events)" "nothing recorded"
hf_wait_until 5 held 0

# ---- 3. the scheduler back: the retries log once each ----------------------------------------
kill -CONT "$sched"
hf_expect_exit 0 huifang --as A001 --json call log --task "$task" --outcome connected \
    --idempotency-key held-0
cl_json_expect "$HF_OUT" task_id "$task" outcome connected
contact=$(cl_json_get "$HF_OUT" id)
hf_expect_exit 4 huifang --as A001 --json call log --task "$task" --outcome connected \
    --idempotency-key held-1
hf_expect_contains "$HF_ERR" "task $task is already logged for this claim (contact $contact)" \
    "the other held log, retried, finds the claim logged"
hf_expect_eq "1 1 1" "$(contacts) $(audits) $(events)" "a contact, an audit row, a call_logged"
shows=$(task_shows)
hf_expect_exit 0 huifang --as A001 --json call log --task "$task" --outcome busy \
    --idempotency-key held-0
cl_json_expect "$HF_OUT" id "$contact" outcome connected
hf_expect_eq "1 1 1" "$(contacts) $(audits) $(events)" "the retry changed nothing"
hf_expect_eq "$shows" "$(task_shows)" "a retry of a log answered here asks the scheduler nothing"
hf_expect_contains "$(grep 'command=call_log status=0 ' "$HF_E2E_TMP/calllog.log" | tail -n 1)" \
    "replayed=idempotent" "the stored reply"
# the scheduler's refusal passed on
hf_expect_exit 3 huifang --as A001 call log --task 999999 --outcome connected
hf_expect_contains "$HF_ERR" "no task 999999" "the scheduler's refusal"
hf_log "ok"
