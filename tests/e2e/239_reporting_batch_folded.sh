#!/usr/bin/env bash
# Reporting's batch sums (issue 14, report9): what the events of a batch add to a rollup row is
# summed in memory per row — every column of the row together (an agent's attempts, contacts
# and closes) — and written once per table by one statement of arrays; the tasks of one
# tasks_assigned event are assigned by one statement. The reports must not tell:
#  1. live, each event applied as it comes (a batch each): four care calls assigned to A001
#     in one tasks_assigned (four tasks, one statement), claimed and logged — an order of 2,
#     a connected call, a no-answer (planned again), a refusal (the customer's steps
#     cancelled) — give the figures a call at a time gives, checked to the number;
#  2. the same events applied by a reporting that was down meanwhile (its schema dropped and
#     rebuilt from the replay: every event of the scheduler's stream — the assignment, each
#     task's claim and completion — in one batch, every call in another) give the same rows
#     and the same reports.
# A sum that loses a column of a row (or adds one column's amount to another) fails 1 and 2.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

N=4
DAY=2026-11-12
sql() { hf_store_value "$1"; }
# every rollup the day's calls add to, and the read model's tasks
figures() {
    sql "SELECT string_agg(agent || ':' || tasks_due || '/' || opened || '/' || closed || '/'
                           || attempts || '/' || contacts || '/' || orders, ' ' ORDER BY agent)
         FROM reporting.agent_day WHERE day = '$DAY'"
    sql "SELECT string_agg(day || ':' || tasks_due || '/' || opened || '/' || closed || '/'
                           || attempts || '/' || contacts || '/' || orders, ' ' ORDER BY day)
         FROM reporting.branch_day"
    sql "SELECT (SELECT string_agg(agent || ':' || month || ':' || net, ' ' ORDER BY agent, month)
                 FROM reporting.agent_month) || ' | ' ||
                (SELECT string_agg(month || ':' || net, ' ' ORDER BY month)
                 FROM reporting.branch_month)"
    sql "SELECT (SELECT string_agg(due_day || ':' || planned || '/' || on_time || '/' || late
                                   || '/' || cancelled, ' ' ORDER BY due_day)
                 FROM reporting.step_day) || ' | ' ||
                (SELECT string_agg(month || ':' || open, ' ' ORDER BY month)
                 FROM reporting.step_month)"
    sql "SELECT string_agg(producer || '/' || payload || ':' || n, ' ' ORDER BY producer, payload)
         FROM (SELECT producer, payload, sum(n) n FROM reporting.event_tally
               GROUP BY producer, payload) t"
    sql "SELECT string_agg(agent || ':' || product || ':' || orders || '/' || units, ' ')
         FROM reporting.order_day"
    sql "SELECT string_agg(id || ':' || state || '/' || agent || '/' || coalesce(bag_day::text, '-')
                           || '/' || claims || '/' || calls || '/' || coalesce(done_day::text, '-'),
                           ' ' ORDER BY id) FROM reporting.task"
    huifang report agent-daily --date "$DAY" --format csv | tr '\n' ' '
    echo
    huifang report branch-weekly --week 2026-W46 --format csv | tr '\n' ' '
    echo
}

hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 20
hf_plan_purchases "$N" # VC30 and N customers with a purchase each, their plans started (lib.sh)

# ---- 1. live: each event applied as it comes ----
hf_expect_exit 0 huifang clock advance 10d
hf_wait_assigned A001 $N
hf_wait_applied reporting scheduler

call() { # outcome [--order qty]: the next task claimed and logged, applied at reporting
    local out task
    out=$(huifang --as A001 --json task next) || hf_fail "task next for A001 failed"
    task=$(sed -n 's/.*"task":{"id":"\{0,1\}\([0-9]*\).*/\1/p' <<<"$out")
    [[ -n $task ]] || hf_fail "task next printed no task: $out"
    hf_expect_exit 0 huifang --as A001 call log --task "$task" --outcome "$@"
    hf_wait_until 10 bash -c "huifang --json task show $task | grep -q '\"state\":\"\\(done\\|planned\\|cancelled\\)\"'"
    for p in scheduler calllog; do hf_wait_applied reporting $p; done
}
call connected --order 2
call connected
call no-answer
call refused
for p in scheduler calllog intake; do hf_wait_applied reporting $p; done

mapfile -t live < <(figures)
hf_log "live: ${live[*]}"
# tasks_due/opened/closed/attempts/contacts/orders: 4 assigned, each call's claim closed, the
# refusal's customer's steps cancelled (its other steps planned, not open: nothing more closed)
hf_expect_eq "A001:$N/$N/$N/4/3/1" "${live[0]}" "A001's day: due/opened/closed/attempts/contacts/orders"
hf_expect_eq "$DAY:$N/$N/$N/4/3/1" "${live[1]}" "the branch's day: the sums of its agents'"
hf_expect_eq "A001:2026-11-01:0 | 2026-11-01:0" "${live[2]}" "assignments open at the month's end (agent, branch)"
hf_expect_contains "${live[4]}" "calllog/call_logged:4" "every call counted once in event_tally"
hf_expect_eq "A001:VC30:1/2" "${live[5]}" "the order: one of 2 units"

# ---- 2. the same events in batches: reporting rebuilt from the replay ----
hf_service_stop reporting
hf_store_value "SET client_min_messages = warning; DROP SCHEMA reporting CASCADE" >/dev/null
hf_db_prepare # the schema again, owned by huifang_reporting
hf_service_start reporting
for p in intake scheduler calllog; do hf_wait_applied reporting $p; done
hf_expect_eq 0 "$(sql 'SELECT count(*) FROM reporting.dead_letter')" "no dead letters"
mapfile -t replayed < <(figures)
for i in "${!live[@]}"; do
    hf_expect_eq "${live[i]}" "${replayed[i]}" "figures $i the same from the replay's batches"
done
hf_log "ok: a batch's counters summed per row; the same figures live and from the replay"
