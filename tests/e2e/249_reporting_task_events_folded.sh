#!/usr/bin/env bash
# Reporting's task events held per batch (issue 14, rapply10): a batch's task_assigned,
# tasks_assigned, task_claimed and task_completed events are applied together — every task
# they name read and locked by one statement, each event applied in order to its row in memory
# as its own statement did (the counters taking the row as it was before that event), the rows
# changed written back by one statement. The figures must not tell:
#  1. live, each event applied as it comes (a batch each, the statement of before): four care
#     calls assigned to A001 (one tasks_assigned), A001 absent — each moved to A002 (a
#     task_assigned each: A001's assignments close, A002's open and are due in her bag); A002
#     claims one and it is answered (done, on time), claims another and it is not (planned
#     again), claims a third and it is answered with an order (a repurchase: the customer's
#     plan archived, its next step cancelled, a new plan started);
#  2. the same events applied by a reporting emptied and rebuilt from the replay: the
#     scheduler's whole stream in one batch — each task assigned, assigned again, and three of
#     them claimed and two completed, two to four events of one task in one batch, then the
#     plan archived — gives the same rows, counters and reports, and reporting.task was updated
#     by one statement a run of events of different tasks, not one a task event (a trigger
#     counts the UPDATE statements on the table; the logged calls' and the cancels' own apart).
# A fold that applies two events of a task in one statement (the second one lost, or applied
# to the row as it was before the first) fails 2; applying the events one statement each fails
# 2's count.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

N=4
DAY=2026-11-12
sql() { hf_store_value "$1"; }
# the rollups the day's events add to, the read model's tasks, the reports
figures() {
    sql "SELECT string_agg(agent || ':' || tasks_due || '/' || opened || '/' || closed || '/'
                           || attempts || '/' || contacts || '/' || orders, ' ' ORDER BY agent)
         FROM reporting.agent_day WHERE day = '$DAY'"
    sql "SELECT string_agg(day || ':' || tasks_due || '/' || opened || '/' || closed || '/'
                           || attempts || '/' || contacts || '/' || orders, ' ' ORDER BY day)
         FROM reporting.branch_day"
    # (a row a batch added 0 to is not written: only the rows with something open)
    sql "SELECT (SELECT string_agg(agent || ':' || month || ':' || net, ' ' ORDER BY agent, month)
                 FROM reporting.agent_month WHERE net <> 0) || ' | ' ||
                (SELECT string_agg(month || ':' || net, ' ' ORDER BY month)
                 FROM reporting.branch_month WHERE net <> 0)"
    sql "SELECT (SELECT string_agg(due_day || ':' || planned || '/' || on_time || '/' || late
                                   || '/' || cancelled, ' ' ORDER BY due_day)
                 FROM reporting.step_day) || ' | ' ||
                (SELECT string_agg(month || ':' || open, ' ' ORDER BY month)
                 FROM reporting.step_month)"
    sql "SELECT string_agg(id || ':' || state || '/' || agent || '/' || coalesce(bag_day::text, '-')
                           || '/' || last_bag_agent || '/' || coalesce(last_bag_day::text, '-')
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

# ---- 1. live: each event applied as it comes ----
hf_expect_exit 0 huifang clock advance 10d
hf_wait_assigned A001 $N
hf_wait_applied reporting scheduler
hf_expect_exit 0 huifang agent add A002 --name 'Zhou Min' --role phone --regions chaoyang --daily-calls 20
hf_expect_exit 0 huifang --json agent absent A001 --date "$DAY"
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE state = 'assigned' AND agent = 'A002'\")\" = $N ]"
hf_wait_applied reporting scheduler

call() { # outcome [--order qty]: A002's next task claimed and logged, applied at reporting
    local out task
    out=$(huifang --as A002 --json task next) || hf_fail "task next for A002 failed"
    task=$(sed -n 's/.*"task":{"id":"\{0,1\}\([0-9]*\).*/\1/p' <<<"$out")
    [[ -n $task ]] || hf_fail "task next printed no task: $out"
    hf_wait_applied reporting scheduler
    hf_expect_exit 0 huifang --as A002 call log --task "$task" --outcome "$@"
    hf_wait_until 10 bash -c "huifang --json task show $task | grep -q '\"state\":\"\\(done\\|planned\\)\"'"
    for p in calllog scheduler; do hf_wait_applied reporting $p; done
}
call connected
call no-answer
call connected --order 2
for p in scheduler calllog intake; do hf_wait_applied reporting $p; done

mapfile -t live < <(figures)
hf_log "live: ${live[*]}"
# tasks_due/opened/closed/attempts/contacts/orders: A001's four assignments opened and closed
# (moved); A002's four opened and due in her bag, three closed by their calls
hf_expect_eq "A001:$N/$N/$N/0/0/0 A002:$N/$N/3/3/2/1" "${live[0]}" "each agent's day"
hf_expect_eq "$DAY:$((2 * N))/$((2 * N))/$((N + 3))/3/2/1" "${live[1]}" "the branch's day: the sums of its agents'"
hf_expect_eq "A002:2026-11-01:1 | 2026-11-01:1" "${live[2]}" \
    "assignments open at the month's end: A002's one left in her bag"
# the order is a repurchase: its customer's plan archived (its second step cancelled), a new
# plan of two steps started
hf_expect_eq "2026-11-12:$N/2/0/0 2026-11-22:1/0/0/0 2026-11-27:$N/0/0/1 2027-01-06:1/0/0/0 | 2026-11-01:$((2 * N + 1 - 2 - 1)) 2027-01-01:1" \
    "${live[3]}" "the steps by due day (planned/on time/late/cancelled), those left open by month"
hf_expect_eq 2 "$(grep -o ":done//-/A002/$DAY/1/1/$DAY" <<<"${live[4]}" | wc -l)" "two tasks done today, out of the bag"
hf_expect_eq 1 "$(grep -o ":planned//-/A002/$DAY/1/1/-" <<<"${live[4]}" | wc -l)" "one planned again"
hf_expect_eq 1 "$(grep -o ":assigned/A002/$DAY/A002/$DAY/0/0/-" <<<"${live[4]}" | wc -l)" "one left in A002's bag"

# ---- 2. the same events in batches: reporting emptied and rebuilt from the replay ----
# (emptied rather than dropped, so that the trigger counting the UPDATE statements on
# reporting.task is there before the first event: a statement the batch rolls back is not
# counted, as its row in e2e249_task_updates goes with it)
hf_reporting_rebuild_counted task e2e249_task
mapfile -t replayed < <(figures)
for i in "${!live[@]}"; do
    hf_expect_eq "${live[i]}" "${replayed[i]}" "figures $i the same from the replay's batches"
done
# the scheduler's task events (1 tasks_assigned of 4, 4 task_assigned, 3 claims, 2
# completions): a statement each before (a tasks_assigned's one), one a run of events of
# different tasks now (the reassignments a run, a claim and the next task's completion a run:
# five for the ten here)
events=$(sql "SELECT count(*) FROM scheduler.outbox
              WHERE topic ~ '(task_assigned|tasks_assigned|task_claimed|task_completed)'")
stmts=$(sql "SELECT count(*) FROM public.e2e249_task_updates WHERE query NOT LIKE 'WITH %'
              AND query NOT LIKE 'UPDATE task t SET state = ''cancelled''%'")
hf_log "the scheduler's $events task events updated reporting.task by $stmts statements:"
sql "SELECT q || ' x' || count(*) FROM (SELECT left(query, 60) q FROM public.e2e249_task_updates) s
     GROUP BY q" | sed 's/^/  /'
((events >= 10)) || hf_fail "the scheduler published $events task events, want 10 or more"
((stmts < events)) || hf_fail "reporting.task updated by $stmts statements for $events task events, want fewer"
hf_reporting_uncount task e2e249_task
hf_log "ok: a batch's task events applied together; the same figures live and from the replay"
