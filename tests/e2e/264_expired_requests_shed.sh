#!/usr/bin/env bash
# A request whose sender stopped waiting while it queued is answered UNAVAILABLE, not run
# (Request.answer_by_ms, HUIFANG_EXPIRED_SLACK_MS; README "Requests that expired"). At the
# national size ~1,950 requests queued in each scheduler and every one was served, long after
# its client (a lazy pirate: a timed-out try is resent on a fresh socket) had given up: claims
# nobody read, calllog's asks of the scheduler answered for call logs already given up. Here,
# with a raw client (stale_requests.py: the connection made first, since a frozen process
# makes no handshake) sending requests whose bound runs out while their service is frozen
# (SIGSTOP), then thawing it:
#  1. three `task next` of A001, who has due tasks in the bag, are answered 5 "expired" and
#     claim nothing: no claim, no audit row, no task_claimed, huifang_tasks_claimed_total
#     unchanged; huifang_requests_expired_total{command="task_next"} counts them, the log
#     says so at most once a second; a fresh `task next` with the key of one of them then claims as the first
#     would have (not a stored reply: the shed request did nothing);
#  2. a `call log` that expired in calllog's queue is answered so without its ask of the
#     scheduler (no brief task show served) and records nothing; its retry (the same key)
#     records it once;
#  3. a `call log` taken up in time whose ask waits for a frozen scheduler: the ask carries
#     the request's bound, calllog answers 5 "expired" once the bound has passed instead of
#     running the handler, the scheduler does not serve the stale ask (its
#     huifang_requests_expired_total{command="task_show"}), and nothing is
#     recorded until the retry;
#  4. with HUIFANG_EXPIRED_SLACK_MS large the same stale `task next` is served (it claims).
# On main (no shedding) 1. claims a task, and 2. and 3. record the call logs.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
$PY -c 'import zmq; assert zmq.has("curve")' 2>/dev/null ||
    hf_fail "$PY lacks zmq with CURVE (Debian package python3-zmq)"

sql() { hf_store_value "$1"; }
hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
hf_plan_purchases 4 # VC30 and four customers with a unit of it, their plans started (lib.sh)
hf_expect_exit 0 huifang clock advance 10d # 2026-11-12 10:00 in Beijing
hf_wait_assigned A001 4
token=$(huifang session mint --key "$HUIFANG_SESSION_KEY_FILE" --login A001 --role phone --branches BJ01)

# stale SERVICE FREEZE REQUEST...: sends REQUESTs to SERVICE with a bound of 300 ms while the
# service FREEZE is frozen, thaws it once they are 800 ms past their bound (more than the
# default slack, 500 ms); the replies in HF_OUT, one "STATUS ERROR" line each
stale() {
    local svc=$1 freeze=$2
    shift 2
    hf_expect_exit 0 $PY "$(dirname "$0")/stale_requests.py" "${HF_PIDS[$freeze]}" \
        "$(hf_zmq_endpoint "$(hf_service_port "$svc")")" "$svc" 300 800 "$token" BJ01 "$@"
}
# (hf_metric's awk stops at the series: curl may then fail writing the rest, which pipefail
# would make this script's end in an assignment)
metric() { hf_metric "$1" "$2" || true; }
expired() { metric "$1" "huifang_requests_expired_total{service=\"$1\",command=\"$2\"}"; }
claims() { sql "SELECT coalesce(sum(claims), 0) FROM scheduler.task"; }
claimed_events() { sql "SELECT count(*) FROM scheduler.outbox WHERE topic LIKE 'scheduler.task_claimed%'"; }
audits() { sql "SELECT count(*) FROM audit.access WHERE service = 'scheduler' AND command = '$1'"; }
contacts() { sql "SELECT count(*) FROM calllog.contact WHERE task_id = $1"; }
shows_ok() { metric scheduler 'huifang_requests_total{service="scheduler",command="task_show",status="ok"}'; }
# every line of HF_OUT a 5 that says the request expired
all_expired() {
    local n=$1 line
    hf_expect_eq "$n" "$(grep -c . <<<"$HF_OUT")" "replies"
    while read -r line; do
        [[ $line == "5 "*expired* ]] || hf_fail "not answered as expired: $line"
    done <<<"$HF_OUT"
}

# ---- 1. stale claims ------------------------------------------------------------------------
hf_expect_eq 0 "$(expired scheduler task_next)" "nothing expired yet (the series exported from 0)"
# huifang_tasks_claimed_total: the due-index's claims (the four tasks put in the bag)
claimed0=$(metric scheduler 'huifang_tasks_claimed_total{service="scheduler"}')
[[ -n $claimed0 ]] || hf_fail "no huifang_tasks_claimed_total from the scheduler"
hf_expect_eq "0 0 0" "$(claims) $(claimed_events) $(audits task_next)" "nothing claimed yet"
stale scheduler scheduler task_next:A001:next-1 task_next:A001:next-2 task_next:A001:next-3
all_expired 3
hf_expect_eq 3 "$(expired scheduler task_next)" "huifang_requests_expired_total{command=task_next}"
hf_expect_eq 3 "$(metric scheduler 'huifang_requests_total{service="scheduler",command="task_next",status="unavailable"}')" \
    "the expired answers counted as unavailable"
hf_expect_eq "0 0 0 $claimed0 4" "$(claims) $(claimed_events) $(audits task_next) \
$(metric scheduler 'huifang_tasks_claimed_total{service="scheduler"}') \
$(sql "SELECT count(*) FROM scheduler.task WHERE agent = 'A001' AND state = 'assigned'")" \
    "nothing claimed, no audit row, no task_claimed, the four tasks still in the bag"
n=$(grep -c 'event=requests_expired' "$HF_E2E_TMP/scheduler.log" || true)
((n >= 1 && n <= 3)) || hf_fail "$n requests_expired lines in the scheduler's log, want 1 (at most one a second)"
grep 'event=requests_expired' "$HF_E2E_TMP/scheduler.log" | grep -q 'last_command=task_next' ||
    hf_fail "the requests_expired line names no command"
# the key of a shed request: its retry runs as the first would have
hf_expect_exit 0 huifang --as A001 --json task next --idempotency-key next-1
task=$(hf_json_get "$HF_OUT" task.id)
[[ $task =~ ^[1-9][0-9]*$ ]] || hf_fail "task next after the stale ones: $HF_OUT"
hf_expect_eq "1 1 1" "$(claims) $(claimed_events) $(audits task_next)" "the retry claimed once"
hf_expect_eq 0 "$(grep -c 'command=task_next status=0 .*replayed=idempotent' "$HF_E2E_TMP/scheduler.log" || true)" \
    "the retry was run, not answered from a stored reply"

# ---- 2. a call log expired in calllog's queue: not run, its ask not made --------------------
shows0=$(shows_ok)
stale calllog calllog "call_log:$task:no-answer:log-1"
all_expired 1
hf_expect_eq 1 "$(expired calllog call_log)" "calllog's huifang_requests_expired_total{command=call_log}"
hf_expect_eq "0 $shows0 0" "$(contacts "$task") $(shows_ok) $(audits task_show)" \
    "nothing recorded, no brief show asked of the scheduler"
hf_expect_exit 0 huifang --as A001 call log --task "$task" --outcome no-answer --idempotency-key log-1
hf_expect_eq "1 1" "$(contacts "$task") $(audits task_show)" "the retry recorded it once, with its ask"

# ---- 3. a call log whose ask waits for a frozen scheduler ----------------------------------
hf_expect_exit 0 huifang --as A001 --json task next
task2=$(hf_json_get "$HF_OUT" task.id)
[[ $task2 =~ ^[1-9][0-9]*$ && $task2 != "$task" ]] || hf_fail "the second claim: $HF_OUT"
stale calllog scheduler "call_log:$task2:no-answer:log-2"
all_expired 1
hf_expect_eq 2 "$(expired calllog call_log)" "calllog counted the call log held for its ask"
# the ask reached the scheduler's queue before calllog gave it up: taken up after the thaw, it
# is not served either, since it carries the call log's bound (its own, 3 s, had not passed)
expired_is() { [[ $(expired "$1" "$2") == "$3" ]]; }
hf_wait_until 20 expired_is scheduler task_show 1
hf_expect_eq "0 1" "$(contacts "$task2") $(audits task_show)" "nothing recorded, no brief show served"
hf_expect_exit 0 huifang --as A001 call log --task "$task2" --outcome no-answer --idempotency-key log-2
hf_expect_eq "1 2" "$(contacts "$task2") $(audits task_show)" "the retry recorded it once"
grep -q 'event=requests_expired' "$HF_E2E_TMP/calllog.log" || hf_fail "no requests_expired line in calllog's log"

# ---- 4. a large slack serves the same stale requests ----------------------------------------
HUIFANG_EXPIRED_SLACK_MS=600000 hf_service_restart scheduler
before=$(claims)
stale scheduler scheduler task_next:A001:next-4
[[ $HF_OUT == "0 " || $HF_OUT == 0 ]] || hf_fail "with a slack of 10 min the stale task next was not served: $HF_OUT"
hf_expect_eq "$((before + 1))" "$(claims)" "the stale task next claimed"
hf_expect_eq 0 "$(expired scheduler task_next)" "nothing expired with a slack of 10 min"
hf_log "ok"
