#!/usr/bin/env bash
# A task's update and a contact's insert pay for no list check (issue 14, pgcpu9; scheduler
# migration 026, calllog 009). Postgres checks every CHECK constraint of a table on every
# UPDATE of a row and reads and prepares each again at every execution of a statement that
# writes the table; task's state and origin lists, and contact's effect and delivery lists, are
# domains now, checked where a value of them is written. Through the real services:
#  - the shape: no CHECK on scheduler.task, state and origin of the domains task_state and
#    task_origin, each with its list;
#  - the same values refused as before, on an insert and on an update that sets them (a
#    literal, a parameter, a text value of another column, an UPDATE ... FROM), every listed
#    value accepted;
#  - a call's task assigned, claimed and logged by the services, and a task not answered
#    planned again (the re-index request's trigger, made again by 026, still lists it for the
#    due-index);
#  - calllog's contact: the same shape (effect and delivery of their domains, the counts' and
#    the two-column checks still the table's), the same values refused.
# A version that puts the list checks back on a table, or loses a value's check, fails here.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

N=2
sql() { hf_store_value "$1"; }

hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 20
hf_plan_purchases "$N" # VC30 and N customers with a purchase each, their plans started (lib.sh)

# ---- the shape ----
hf_expect_eq 0 "$(sql "SELECT count(*) FROM pg_constraint WHERE conrelid = 'scheduler.task'::regclass
                       AND contype = 'c'")" "no CHECK on scheduler.task (each costs every UPDATE of a task)"
hf_expect_eq "origin:scheduler.task_origin state:scheduler.task_state" \
    "$(sql "SELECT string_agg(attname || ':' || format_type(atttypid, NULL), ' ' ORDER BY attname)
            FROM pg_attribute WHERE attrelid = 'scheduler.task'::regclass
            AND attname IN ('state', 'origin')")" "state and origin are of their domains"
hf_expect_eq "task_origin:1 task_state:1" \
    "$(sql "SELECT string_agg(t.typname || ':' || (SELECT count(*) FROM pg_constraint c
                                                 WHERE c.contypid = t.oid AND c.contype = 'c'
                                                 AND c.convalidated), ' ' ORDER BY t.typname)
            FROM pg_type t WHERE t.typnamespace = 'scheduler'::regnamespace
            AND t.typname IN ('task_state', 'task_origin')")" "each domain has its (validated) check"

# ---- a day of calls through the services, with the domains ----
hf_expect_exit 0 huifang clock advance 10d
hf_wait_assigned A001 $N
tasks=()
for i in $(seq 1 "$N"); do
    out=$(huifang --as A001 --json task next) || hf_fail "task next for A001 failed"
    task=$(sed -n 's/.*"task":{"id":"\{0,1\}\([0-9]*\).*/\1/p' <<<"$out")
    [[ -n $task ]] || hf_fail "task next printed no task: $out"
    tasks+=("$task")
    outcome=connected
    ((i % 2 == 0)) && outcome=no-answer
    hf_expect_exit 0 huifang --as A001 call log --task "$task" --outcome "$outcome"
done
hf_expect_eq "done:connected" "$(sql "SELECT state || ':' || outcome FROM scheduler.task WHERE id = ${tasks[0]}")" \
    "the answered call's task is done"
hf_expect_eq "planned:1" "$(sql "SELECT state || ':' || claims FROM scheduler.task WHERE id = ${tasks[1]}")" \
    "the unanswered call's task is planned again, claimed once"
hf_expect_eq "plan" "$(sql "SELECT string_agg(DISTINCT origin, ',') FROM scheduler.task")" "the plans' tasks' origin"

# ---- the same values refused, every listed value accepted ----
id=${tasks[1]}
refused() { # WHAT SQL: the statement is refused by a check
    local out
    if out=$(sql "$2" 2>&1); then
        hf_fail "scheduler.task: $1 was accepted"
    fi
    hf_expect_contains "$out" "violates check constraint" "scheduler.task: $1 refused"
}
refused "SET state = 'open'" "UPDATE scheduler.task SET state = 'open' WHERE id = $id"
refused "SET state = ''" "UPDATE scheduler.task SET state = '' WHERE id = $id"
refused "SET origin = 'manual'" "UPDATE scheduler.task SET origin = 'manual' WHERE id = $id"
refused "SET state = a text column" "UPDATE scheduler.task SET state = purpose WHERE id = $id"
refused "SET origin = a text expression" "UPDATE scheduler.task SET origin = upper(origin) WHERE id = $id"
refused "UPDATE ... FROM a text list" "UPDATE scheduler.task t SET state = u.s FROM unnest(ARRAY['planned',
                                       'Done']::text[]) WITH ORDINALITY u(s, n) WHERE t.id = $id AND n = 2"
refused "a prepared statement's parameter" "PREPARE p(text) AS UPDATE scheduler.task SET state = \$1 WHERE id = $id;
                                            EXECUTE p('claimed ')"
mk() { # STATE ORIGIN: an insert of a task with them
    printf '%s' "INSERT INTO scheduler.task (branch, customer_id, step_no, occurrence, purpose, channel,
                 role, due_at_ms, priority, updated_at_ms, state, origin)
                 VALUES ('BJ01', 99, 1, 0, 'care', 'phone', 'phone', 0, 20, 0, '$1', '$2')"
}
refused "an insert of state x" "$(mk x plan)"
refused "an insert of origin x" "$(mk planned x)"
refused "an insert of origin PLAN" "$(mk planned PLAN)"
hf_expect_exit 0 sql "BEGIN; $(mk planned plan); $(mk assigned callback); $(mk claimed adverse);
                      $(mk done promised); $(mk cancelled campaign); $(mk paused occasion); ROLLBACK"
hf_expect_exit 0 sql "BEGIN; UPDATE scheduler.task SET state = 'paused', origin = 'occasion' WHERE id = $id;
                      UPDATE scheduler.task SET state = 'cancelled', origin = 'campaign' WHERE id = $id;
                      UPDATE scheduler.task SET state = 'claimed', origin = 'promised' WHERE id = $id;
                      UPDATE scheduler.task SET state = 'assigned', origin = 'adverse' WHERE id = $id;
                      UPDATE scheduler.task SET state = 'done', origin = 'callback' WHERE id = $id; ROLLBACK"
hf_expect_eq "planned:plan" "$(sql "SELECT state || ':' || origin FROM scheduler.task WHERE id = $id")" \
    "the task as the services left it"

# ---- the re-index request's trigger (migration 019, made again by 026) ----
hf_service_stop scheduler
hf_expect_exit 0 sql "DELETE FROM scheduler.task_unindexed"
hf_expect_exit 0 sql "UPDATE scheduler.task SET due_at_ms = due_at_ms + 1, indexed = false WHERE id = $id"
hf_expect_exit 0 sql "UPDATE scheduler.task SET due_at_ms = due_at_ms + 1, indexed = false WHERE id = ${tasks[0]}"
hf_expect_eq "$id" "$(sql "SELECT string_agg(id::text, ',') FROM scheduler.task_unindexed")" \
    "a planned task re-dated is listed for the due-index, a done one is not"

# ---- calllog's contact (migration 009) ----
hf_expect_eq "contact_consent contact_order" \
    "$(sql "SELECT string_agg(conname, ' ' ORDER BY conname) FROM pg_constraint
            WHERE conrelid = 'calllog.contact'::regclass AND contype = 'c'")" \
    "contact keeps its two-column checks, no list (its counts' are a domain's: calllog 010, e2e/256)"
hf_expect_eq "delivery:calllog.contact_delivery effect:calllog.contact_effect" \
    "$(sql "SELECT string_agg(attname || ':' || format_type(atttypid, NULL), ' ' ORDER BY attname)
            FROM pg_attribute WHERE attrelid = 'calllog.contact'::regclass
            AND attname IN ('effect', 'delivery')")" "effect and delivery are of their domains"
hf_expect_eq "$N" "$(sql "SELECT count(*) FROM calllog.contact WHERE effect = '' AND delivery = ''")" \
    "the calls' contacts, logged by calllog"
cid=$(sql "SELECT min(id) FROM calllog.contact")
refused "contact SET effect = 'bad'" "UPDATE calllog.contact SET effect = 'bad' WHERE id = $cid"
refused "contact SET delivery = 'air'" "UPDATE calllog.contact SET delivery = 'air' WHERE id = $cid"
refused "contact SET effect = its outcome" "UPDATE calllog.contact SET effect = outcome WHERE id = $cid"
refused "contact SET order_qty = -1" "UPDATE calllog.contact SET order_qty = -1 WHERE id = $cid"
refused "contact SET order_qty = 1 without a product" "UPDATE calllog.contact SET order_qty = 1 WHERE id = $cid"
ct() { # EFFECT DELIVERY CLAIM: an insert of a contact with them
    printf '%s' "INSERT INTO calllog.contact (branch, task_id, claim_no, customer_id, agent, outcome,
                 channel, effect, delivery, started_at_ms, logged_at_ms)
                 VALUES ('BJ01', -1, ${3:-1}, 99, 'A001', 'connected', 'phone', '$1', '$2', 0, 0)"
}
refused "an insert of a contact with effect x" "$(ct x '')"
refused "an insert of a contact with delivery x" "$(ct '' x)"
hf_expect_exit 0 sql "BEGIN; $(ct '' '' 1); $(ct good home 2); $(ct none store 3); $(ct adverse '' 4); ROLLBACK"
hf_expect_exit 0 sql "BEGIN; UPDATE calllog.contact SET effect = 'good' WHERE id = $cid;
                      UPDATE calllog.contact SET effect = 'none', delivery = 'home' WHERE id = $cid;
                      UPDATE calllog.contact SET effect = 'adverse', delivery = 'store' WHERE id = $cid; ROLLBACK"
hf_log "ok: task's and contact's list checks are their columns' domains; the same values refused"
