#!/usr/bin/env bash
# Reporting's task row changed in the statement that reads it (issue 14, reporting4): an
# assignment, a claim and a completion update the row and take the row as it was from the
# same statement (UPDATE … FROM (SELECT … FOR UPDATE) … RETURNING the old row). The figures that depend on the row as it WAS must stay:
#  1. four care calls in A001's bag (tasks_assigned), A001 absent: each moved to A002 by a
#     task_assigned of a task reporting has — A001's assignments close (the old agent), A002's
#     open and are due in her bag (the old last bag was A001's); A002 claims two, one answered
#     (done, on time: the old due day), one not (planned again);
#  2. the same events applied by a reporting that was down meanwhile, every event of a task in
#     one batch of the replay (reporting's schema dropped and rebuilt), give the same figures.
# A version that took the row after the update (the new agent, the new bag, state done)
# counts A001 nothing closed and A002 nothing due, and fails here.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

N=4
sql() { hf_store_value "$1"; }
# each agent's tasks_due/opened/closed/attempts/contacts on the bag day; the steps of the day;
# the read model's tasks
figures() {
    sql "SELECT string_agg(agent || ':' || tasks_due || '/' || opened || '/' || closed || '/'
                           || attempts || '/' || contacts, ' ' ORDER BY agent)
         FROM reporting.agent_day WHERE day = '2026-11-12'"
    sql "SELECT string_agg(due_day || ':' || planned || '/' || on_time || '/' || late || '/'
                           || cancelled, ' ' ORDER BY due_day) FROM reporting.step_day"
    sql "SELECT string_agg(id || ':' || state || '/' || agent || '/' || coalesce(bag_day::text, '-')
                           || '/' || claims || '/' || calls || '/' || coalesce(done_day::text, '-'),
                           ' ' ORDER BY id) FROM reporting.task"
}

hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 20
hf_plan_purchases "$N" # VC30 and N customers with a purchase each, their plans started (lib.sh)

# ---- 1. live: each event applied as it comes ----
hf_expect_exit 0 huifang clock advance 10d
hf_wait_assigned A001 $N
hf_wait_applied reporting scheduler
hf_expect_exit 0 huifang agent add A002 --name 'Zhou Min' --role phone --regions chaoyang --daily-calls 20
hf_expect_exit 0 huifang --json agent absent A001 --date 2026-11-12
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE state = 'assigned' AND agent = 'A002'\")\" = $N ]"

claim() {
    local out
    out=$(huifang --as A002 --json task next) || hf_fail "task next for A002 failed"
    TASK=$(sed -n 's/.*"task":{"id":"\{0,1\}\([0-9]*\).*/\1/p' <<<"$out")
    [[ -n $TASK ]] || hf_fail "task next printed no task: $out"
}
claim
done_task=$TASK
hf_expect_exit 0 huifang --as A002 call log --task "$done_task" --outcome connected
hf_wait_until 10 bash -c "huifang --json task show $done_task | grep -q '\"state\":\"done\"'"
claim
retry_task=$TASK
hf_expect_exit 0 huifang --as A002 call log --task "$retry_task" --outcome no-answer
hf_wait_until 10 bash -c "huifang --json task show $retry_task | grep -q '\"state\":\"planned\"'"
for p in scheduler calllog intake; do hf_wait_applied reporting $p; done

mapfile -t live < <(figures)
hf_log "live: ${live[*]}"
hf_expect_eq "A001:$N/$N/$N/0/0 A002:$N/$N/2/2/1" "${live[0]}" \
    "A001's moved assignments closed, A002's opened and due in her bag (tasks_due/opened/closed/attempts/contacts)"
hf_expect_eq "2026-11-12:$N/1/0/0 2026-11-27:$N/0/0/0" "${live[1]}" "the steps by due day: planned/on time/late/cancelled"
hf_expect_contains "${live[2]}" "$done_task:done//-/1/1/2026-11-12" "the answered task done today, out of the bag"
hf_expect_contains "${live[2]}" "$retry_task:planned//-/1/1/-" "the unanswered one planned again, out of the bag"
hf_expect_eq 2 "$(grep -o ':assigned/A002/2026-11-12/0/0/-' <<<"${live[2]}" | wc -l)" "two left in A002's bag"

# ---- 2. the same events in one batch each: reporting rebuilt from the replay ----
hf_service_stop reporting
hf_store_value "SET client_min_messages = warning; DROP SCHEMA reporting CASCADE" >/dev/null
hf_db_prepare # the schema again, owned by huifang_reporting
hf_service_start reporting
for p in scheduler calllog intake; do hf_wait_applied reporting $p; done
hf_expect_eq 0 "$(sql 'SELECT count(*) FROM reporting.dead_letter')" "no dead letters"
mapfile -t replayed < <(figures)
for i in 0 1 2; do
    hf_expect_eq "${live[i]}" "${replayed[i]}" "figures $i the same from the replay's batches"
done
hf_log "ok: the task row read with its update; the same figures live and from the replay"
