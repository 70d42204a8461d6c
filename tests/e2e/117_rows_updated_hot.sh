#!/usr/bin/env bash
# A call's rows updated in place (issue 14, readers7):
#  1. reporting's task (migration 009): no index names state, the table leaves room on its
#     pages (fillfactor), and a day of calls — each task assigned, claimed, logged, completed
#     or planned again — changes its rows by HOT updates (over half of them; with the partial
#     index on state none of the state changes were, 6 % of the updates over the benchmark's
#     day), with the same figures as ever;
#  2. intake's customer (migration 012): no list CHECK on the table (each was checked and
#     prepared again at every UPDATE of a customer, whatever it changed: half of a call's
#     INTAKE_Q_CALL_CUSTOMER); the values they refused are refused still (the columns' domains),
#     on an update that sets them as on an insert, and the calls' last contacts are written.
# A version that indexes state again, or puts the list checks back on the table, or loses a
# check, fails here.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

N=6
sql() { hf_store_value "$1"; }

hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 20
hf_plan_purchases "$N" # VC30 and N customers with a purchase each, their plans started (lib.sh)

# ---- 1. reporting.task: the shape, then a day of calls ----
hf_expect_eq 0 "$(sql "SELECT count(*) FROM pg_index WHERE indrelid = 'reporting.task'::regclass
                       AND pg_get_indexdef(indexrelid) ~ 'state'")" "no index of reporting.task names state"
hf_expect_eq "fillfactor=80" "$(sql "SELECT array_to_string(reloptions, ',') FROM pg_class
                                     WHERE oid = 'reporting.task'::regclass")" "reporting.task leaves room on its pages"
hf_expect_eq "fillfactor=90" "$(sql "SELECT array_to_string(reloptions, ',') FROM pg_class
                                     WHERE oid = 'reporting.customer'::regclass")" "so does reporting.customer"
hf_expect_eq 1 "$(sql "SELECT count(*) FROM pg_indexes WHERE schemaname = 'reporting'
                       AND indexname = 'task_customer' AND indexdef ~ '\(customer_id\)$'")" \
    "a customer's steps found by customer_id"

hf_expect_exit 0 huifang clock advance 10d
hf_wait_assigned A001 $N
for i in $(seq 1 "$N"); do
    out=$(huifang --as A001 --json task next) || hf_fail "task next for A001 failed"
    task=$(sed -n 's/.*"task":{"id":"\{0,1\}\([0-9]*\).*/\1/p' <<<"$out")
    [[ -n $task ]] || hf_fail "task next printed no task: $out"
    outcome=connected
    ((i % 2 == 0)) && outcome=no-answer
    hf_expect_exit 0 huifang --as A001 call log --task "$task" --outcome "$outcome"
done
for p in scheduler calllog intake; do hf_wait_applied reporting $p; done
hf_expect_eq "A001:$N/$N/$N/$N/$((N / 2))" \
    "$(sql "SELECT string_agg(agent || ':' || tasks_due || '/' || opened || '/' || closed || '/'
                              || attempts || '/' || contacts, ' ') FROM reporting.agent_day
            WHERE day = '2026-11-12'")" "the day's figures (tasks_due/opened/closed/attempts/contacts)"
hf_expect_eq "done:$((N / 2)) planned:$((N + N / 2))" \
    "$(sql "SELECT string_agg(state || ':' || n, ' ' ORDER BY state) FROM (SELECT state, count(*) n
            FROM reporting.task GROUP BY state) s")" "the answered tasks done; the others planned again, beside the plans' second steps"

# the statistics reach pg_stat_user_tables when the reporting backend next reports them (at most
# a few seconds after it goes idle): wait for every update of the day to be counted
# each task assigned, claimed and logged (the unanswered planned again by that update), the
# answered ones completed
want=$((N * 3 + N / 2))
hot_share() {
    sql "SELECT n_tup_upd || ' ' || n_tup_hot_upd FROM pg_stat_user_tables
         WHERE relid = 'reporting.task'::regclass"
}
hf_wait_until 60 bash -c "[ \$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT n_tup_upd FROM pg_stat_user_tables WHERE relid = 'reporting.task'::regclass\") -ge $want ]"
read -r upd hot < <(hot_share)
hf_log "reporting.task: $upd updates, $hot HOT"
((hot * 2 > upd)) || hf_fail "reporting.task: $hot of $upd updates HOT, want over half"

# ---- 2. intake.customer: no list check on the table, the same values refused ----
hf_expect_eq 0 "$(sql "SELECT count(*) FROM pg_constraint WHERE conrelid = 'intake.customer'::regclass
                       AND contype = 'c' AND pg_get_constraintdef(oid) ~ 'ANY'")" \
    "no list CHECK on intake.customer (each costs every UPDATE of a customer)"
hf_expect_eq "$N" "$(sql "SELECT count(*) FROM intake.customer WHERE last_contact_at_ms > 0")" \
    "every customer called has a last contact"
id=$(sql "SELECT min(id) FROM intake.customer")
refused() { # SET-LIST: an update of the customer with it is refused by a check
    local out
    if out=$(sql "UPDATE intake.customer SET $1 WHERE id = $id" 2>&1); then
        hf_fail "intake.customer: SET $1 was accepted"
    fi
    hf_expect_contains "$out" "violates check constraint" "intake.customer: SET $1 refused"
}
refused "gender = 'x'"
refused "card_type = 'gold'"
refused "baby_sex = 'x'"
refused "feeding = 'bottle'"
refused "tier = 'platinum'"
refused "dnd_reason = 'holiday'"
refused "card_type = 'void', void_reason = ''" # a void card needs its reason
refused "age = 131"
out=$(sql "INSERT INTO intake.customer (branch, name, phone, gender, created_at_ms)
           VALUES ('BJ01', 'X', '13800000000', 'q', 0)" 2>&1) && hf_fail "an insert of gender q was accepted"
hf_expect_contains "$out" "violates check constraint" "an insert of gender q refused"
hf_expect_exit 0 sql "UPDATE intake.customer SET gender = 'f', tier = 'gold', feeding = 'mixed',
                      dnd_reason = 'other', baby_sex = 'm', card_type = 'customer' WHERE id = $id"
hf_log "ok: a call's task and customer rows updated in place; the same values refused"
