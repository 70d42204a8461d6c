#!/usr/bin/env bash
# Reporting's calls held per batch (issue 14, rcall11): a batch's call_logged events are
# applied together — in runs of calls of different contacts and tasks, each run by one
# statement over arrays (REP_Q_CALLS_LOGGED), every call checked and applied as its own
# statement did, then counted in order as its handler counted it; a second call of a task
# starts a new run, and so does the call after a refusal or a wrong number (their cancels read
# and change the customer's other steps). The figures must not tell:
#  1. live, each call applied as it comes (a batch each, the statement of before): eight care
#     calls of eight customers — a wrong number and a refusal (the customer's steps cancelled),
#     an order of 2, an adverse effect (a complaint opened from the contact), a no-answer, a
#     busy line, an order of 1 with a good effect, a callback — then, in the next
#     window, the no-answer's and the busy line's tasks called again (connected, no-answer);
#  2. the same events applied by a reporting emptied and rebuilt from the replay (calllog's
#     whole stream in one batch: ten calls, two of them a task's second): the same rows,
#     counters and reports, and the calls updated reporting.task by one statement a run, fewer
#     than the calls (a trigger counts the UPDATE statements on the table);
#  3. rebuilt again while reporting cannot apply the scheduler's stream (its stored sequence
#     held locked by another session): the calls' checks fail (their tasks not seen yet), the
#     held call is named to the framework and retried on its own; once the lock goes, the same
#     figures and no dead letter.
# A fold that applies two calls of a task in one statement (the second lost), counts a call
# twice or loses one, or runs one statement a call, fails 2.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

N=8
DAY=2026-11-12
sql() { hf_store_value "$1"; }
# the rollups the day's calls add to, the contacts, the read model's tasks, the reports
figures() {
    sql "SELECT string_agg(agent || ':' || tasks_due || '/' || opened || '/' || closed || '/'
                           || attempts || '/' || contacts || '/' || orders || '/' || complaints,
                           ' ' ORDER BY agent)
         FROM reporting.agent_day WHERE day = '$DAY'"
    sql "SELECT string_agg(day || ':' || tasks_due || '/' || opened || '/' || closed || '/'
                           || attempts || '/' || contacts || '/' || orders || '/' || complaints,
                           ' ' ORDER BY day)
         FROM reporting.branch_day"
    sql "SELECT (SELECT string_agg(agent || ':' || month || ':' || net, ' ' ORDER BY agent, month)
                 FROM reporting.agent_month WHERE net <> 0) || ' | ' ||
                (SELECT string_agg(month || ':' || net, ' ' ORDER BY month)
                 FROM reporting.branch_month WHERE net <> 0)"
    sql "SELECT (SELECT string_agg(due_day || ':' || planned || '/' || on_time || '/' || late
                                   || '/' || cancelled, ' ' ORDER BY due_day)
                 FROM reporting.step_day) || ' | ' ||
                (SELECT string_agg(month || ':' || open, ' ' ORDER BY month)
                 FROM reporting.step_month)"
    sql "SELECT string_agg(producer || '/' || payload || ':' || n, ' ' ORDER BY producer, payload)
         FROM (SELECT producer, payload, sum(n) n FROM reporting.event_tally
               GROUP BY producer, payload) t"
    sql "SELECT (SELECT string_agg(agent || ':' || product || ':' || orders || '/' || units, ' '
                                   ORDER BY agent, product) FROM reporting.order_day) || ' | ' ||
                (SELECT string_agg(agent || ':' || region || ':' || product || ':' || orders
                                   || '/' || units, ' ' ORDER BY agent, region, product)
                 FROM reporting.order_month)"
    sql "SELECT string_agg(id || ':' || day || '/' || agent || '/' || customer_id || '/' || task_id
                           || '/' || channel || '/' || outcome || '/' || contacted || '/'
                           || order_qty || '/' || order_product || '/' || region, ' ' ORDER BY id)
         FROM reporting.contact"
    sql "SELECT string_agg(id || ':' || state || '/' || agent || '/' || coalesce(bag_day::text, '-')
                           || '/' || claims || '/' || calls || '/' || coalesce(done_day::text, '-'),
                           ' ' ORDER BY id) FROM reporting.task"
    sql "SELECT count(*) FROM reporting.pending_close"
    huifang report agent-daily --date "$DAY" --format csv | tr '\n' ' '
    echo
    huifang report branch-weekly --week 2026-W46 --format csv | tr '\n' ' '
    echo
}

hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 20
hf_plan_purchases "$N" # VC30 and N customers with a purchase each, their plans started (lib.sh)

# ---- 1. live: each call applied as it comes ----
hf_expect_exit 0 huifang clock advance 10d
hf_wait_assigned A001 $N
hf_wait_applied reporting scheduler

declare -A task_of # outcome of the first round -> its task
call() { # outcome [options]: A001's next task claimed and logged, applied at reporting
    local out task
    out=$(huifang --as A001 --json task next) || hf_fail "task next for A001 failed"
    task=$(sed -n 's/.*"task":{"id":"\{0,1\}\([0-9]*\).*/\1/p' <<<"$out")
    [[ -n $task ]] || hf_fail "task next printed no task: $out"
    task_of[$1]=$task
    hf_expect_exit 0 huifang --as A001 call log --task "$task" --outcome "$@"
    hf_wait_until 10 bash -c "huifang --json task show $task | grep -q '\"state\":\"\\(done\\|planned\\|cancelled\\)\"'"
    for p in scheduler calllog; do hf_wait_applied reporting $p; done
}
call wrong-number
call refused
call connected --order 2
call connected --effect adverse
call no-answer
call busy
call connected --effect good --order 1
call callback --callback-at '2026-11-20 10:00'
retried="${task_of[no-answer]} ${task_of[busy]}"

# the next window: the no-answer's and the busy line's tasks come back, called again
hf_expect_exit 0 huifang clock set "$DAY 14:00"
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE state = 'assigned' AND agent = 'A001' AND id IN (${retried// /,})\")\" = 2 ]"
hf_wait_applied reporting scheduler
call connected --order 3
call no-answer
for p in scheduler calllog intake complaint; do hf_wait_applied reporting $p; done

mapfile -t live < <(figures)
hf_log "live: ${live[*]}"
# tasks_due/opened/closed/attempts/contacts/orders/complaints: eight tasks assigned (two of
# them twice, due once), each call's claim closed; the adverse effect's complaint counted
hf_expect_eq "A001:$N/$((N + 2))/$((N + 2))/10/6/3/1" "${live[0]}" \
    "A001's day: due/opened/closed/attempts/contacts/orders/complaints"
hf_expect_eq "$DAY:$N/$((N + 2))/$((N + 2))/10/6/3/1" "${live[1]}" "the branch's day: the sums of its agents'"
hf_expect_contains "${live[4]}" "calllog/call_logged:10" "every call counted once in event_tally"
hf_expect_eq 10 "$(sql 'SELECT count(*) FROM reporting.contact')" "a contact a call"
hf_expect_eq 3 "$(sql 'SELECT count(DISTINCT order_qty) FROM reporting.contact WHERE order_qty > 0')" "three orders"
hf_expect_eq 2 "$(sql "SELECT count(*) FROM reporting.task WHERE calls = 2 AND id IN (${retried// /,})")" \
    "the two tasks called twice"

# ---- 2. the same events in batches: reporting emptied and rebuilt from the replay ----
hf_reporting_rebuild_counted task e2e253_task
hf_wait_applied reporting complaint
mapfile -t replayed < <(figures)
for i in "${!live[@]}"; do
    hf_expect_eq "${live[i]}" "${replayed[i]}" "figures $i the same from the replay's batches"
done
# the calls' statements (REP_Q_ON_CALL_LOGGED for a run of one, REP_Q_CALLS_LOGGED for a run
# of more): one a call before; now one a run — the ten calls of calllog's stream are four
# runs at least: the wrong number and the refusal each end theirs (runs of one), the six calls
# after them one run, which the no-answer's task called again ends (with the busy line's)
calls=$(sql "SELECT count(*) FROM calllog.outbox WHERE topic LIKE 'calllog.call_logged%'")
single=$(sql "SELECT count(*) FROM public.e2e253_task_updates WHERE query LIKE 'WITH t AS (SELECT state, agent, claims%'")
folded=$(sql "SELECT count(*) FROM public.e2e253_task_updates WHERE query LIKE 'WITH x AS (SELECT * FROM unnest(\$1::bigint[], \$2::text[], \$3::date[]%'")
hf_log "calllog's $calls calls updated reporting.task by $single statements of one call and $folded of a run"
((calls == 10)) || hf_fail "calllog published $calls calls, want 10"
((folded >= 1)) || hf_fail "no call applied in a run of calls"
((single + folded < calls)) ||
    hf_fail "reporting.task updated by $((single + folded)) statements for $calls calls, want fewer"
((single + folded >= 4)) ||
    hf_fail "$((single + folded)) statements for the calls: a run must end at a task's second call and after a cancel"
hf_reporting_uncount task e2e253_task

# ---- 3. rebuilt while the scheduler's stream is held back: the calls wait for their tasks ----
hf_service_stop reporting
hf_store_value "SET client_min_messages = warning;
 DO \$\$ BEGIN
   EXECUTE (SELECT 'TRUNCATE ' || string_agg(format('reporting.%I', tablename), ', ')
              FROM pg_tables WHERE schemaname = 'reporting' AND tablename <> 'migrations');
 END \$\$;
 INSERT INTO reporting.consumer_offset (producer, last_seq) VALUES ('scheduler', 0)" >/dev/null
# another session holds the scheduler's stored sequence (as another instance would): reporting
# applies intake's and calllog's streams, not the scheduler's, until it is gone
PGAPPNAME=e2e253_lock psql -X -q -d "$HUIFANG_STORE_URL" \
    -c "BEGIN" -c "SELECT 1 FROM reporting.consumer_offset WHERE producer = 'scheduler' FOR UPDATE" \
    -c "SELECT pg_sleep(120)" >/dev/null 2>&1 &
locker=$!
unlock() {
    sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
         WHERE application_name = 'e2e253_lock'" >/dev/null
    wait "$locker" 2>/dev/null || true
}
hf_wait_until 10 bash -c "psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM pg_stat_activity WHERE application_name = 'e2e253_lock' AND query LIKE '%pg_sleep%'\" | grep -qx 1"
mark=$(wc -l <"$HF_E2E_TMP/reporting.log")
hf_service_start reporting
hf_wait_applied reporting intake
# (a failed wait ends the test: its Postgres, stopped, ends the other session too)
hf_wait_until 30 bash -c "tail -n +$((mark + 1)) '$HF_E2E_TMP/reporting.log' | grep -q 'event_retry.*producer=calllog.*call_logged'"
unlock
for p in intake scheduler calllog complaint; do hf_wait_applied reporting $p 60; done
hf_expect_eq 0 "$(sql 'SELECT count(*) FROM reporting.dead_letter')" "no dead letters"
mapfile -t waited < <(figures)
for i in "${!live[@]}"; do
    hf_expect_eq "${live[i]}" "${waited[i]}" "figures $i the same after the calls waited for their tasks"
done
hf_log "ok: a batch's calls applied in runs; the same figures live, from the replay, and after waiting"
