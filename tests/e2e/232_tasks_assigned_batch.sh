#!/usr/bin/env bash
# The assignment timer's batch event (issue 14): 24 calls fall due at once and are assigned
# in one transaction, published as tasks_assigned events (one per transaction and branch, no
# single task_assigned), each task in exactly one of them. Reporting, stopped meanwhile,
# catches the batch up by replay and applies each task once, as a task_assigned of it:
# agent-daily's tasks_due and the assignments opened count 24, not 48 (a batch applied twice)
# nor 0 (missed); a crash and restart of reporting afterwards applies nothing again. A single
# task_assigned (an absent agent's bag moved) still counts as before, beside the batch.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

N=24
ASSIGNED="$HF_SOURCE/tests/e2e/assigned_tasks.py"
sql() { hf_store_value "$1"; }
opened() { sql "SELECT coalesce(sum(opened), 0) || '/' || coalesce(sum(tasks_due), 0) FROM reporting.agent_day WHERE day = '2026-11-12'"; }

hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 20
hf_expect_exit 0 huifang agent add A002 --name 'Zhou Min' --role phone --regions chaoyang --daily-calls 20
hf_plan_purchases "$N" # VC30 and N customers with a purchase each, their plans started (lib.sh)
hf_wait_applied reporting scheduler

# reporting is down while the day-10 calls are assigned: it catches the batch up by replay
hf_service_stop reporting
hf_expect_exit 0 huifang clock advance 10d
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE state = 'assigned'\")\" = $N ]"
hf_expect_eq 0 "$(sql "SELECT count(*) FROM scheduler.outbox WHERE topic LIKE 'scheduler.task_assigned/%'")" "no single task_assigned from the timer"
batches=$(sql "SELECT count(*) FROM scheduler.outbox WHERE topic = 'scheduler.tasks_assigned/BJ01'")
((batches >= 1 && batches < N)) || hf_fail "$batches tasks_assigned events for $N tasks: not batched"

hf_service_start reporting
hf_wait_applied reporting scheduler
# (the tail asks every producer, reporting too)
huifang events tail --from-seq 1 --topic scheduler.task --no-follow >"$HF_E2E_TMP/assigned.jsonl"
hf_expect_eq $N "$(python3 "$ASSIGNED" <"$HF_E2E_TMP/assigned.jsonl" | wc -l)" "each task in one event"
hf_expect_eq $N "$(python3 "$ASSIGNED" <"$HF_E2E_TMP/assigned.jsonl" | sort -u | wc -l)" "no task twice"
hf_expect_contains "$(head -n1 "$HF_E2E_TMP/assigned.jsonl")" '"agent":"A00' "the batch names each task's agent"
hf_log "$N tasks in $batches tasks_assigned events"
hf_expect_eq "$N/$N" "$(opened)" "assignments opened / tasks due on the bag day: each task applied once"
hf_expect_eq $N "$(sql "SELECT count(*) FROM reporting.task WHERE state = 'assigned' AND bag_day = '2026-11-12' AND agent IN ('A001', 'A002')")" "every task in its agent's bag in the read model"
hf_expect_exit 0 huifang report agent-daily --date 2026-11-12 --format csv
hf_expect_eq $N "$(awk -F, '$1 == "TOTAL" { print $3; exit }' <<<"$HF_OUT")" "agent-daily's tasks_due TOTAL"
for a in A001 A002; do
    hf_expect_eq "$(sql "SELECT count(*) FROM scheduler.task WHERE agent = '$a' AND state = 'assigned'")" \
        "$(awk -F, -v a=$a '$1 == a { print $3; exit }' <<<"$HF_OUT")" "$a's tasks_due = the scheduler's bag"
done
hf_expect_eq "$batches" "$(sql "SELECT coalesce(sum(n), 0) FROM reporting.event_tally WHERE payload = 'tasks_assigned'")" "each batch event counted once"

# a crash and a restart: the batches are not applied again
hf_service_stop reporting KILL
hf_service_start reporting
hf_wait_applied reporting scheduler
hf_expect_exit 0 huifang ping
hf_expect_eq "$N/$N" "$(opened)" "nothing applied twice after a restart"

# a single task_assigned (A001 is absent: her bag moves to a colleague) counts beside them
hf_expect_exit 0 huifang agent add A003 --name 'Qian Yu' --role phone --regions chaoyang --daily-calls 40
a1=$(sql "SELECT count(*) FROM scheduler.task WHERE agent = 'A001' AND state = 'assigned'")
hf_expect_exit 0 huifang --json agent absent A001 --date 2026-11-12
hf_expect_eq "$a1" "$(sql "SELECT count(*) FROM scheduler.outbox WHERE topic = 'scheduler.task_assigned/BJ01'")" "a task_assigned per task moved"
hf_wait_applied reporting scheduler
hf_expect_eq "$((N + a1))/$((N + a1))" "$(opened)" "the moved tasks opened again in a colleague's bag"
hf_expect_eq 0 "$(sql "SELECT count(*) FROM reporting.task WHERE agent = 'A001' AND state = 'assigned'")" "none left with A001"
hf_log "ok: $N tasks in $batches batches applied once; $a1 moved singly"
