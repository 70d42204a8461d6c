#!/usr/bin/env bash
# A logged call's statements at reporting folded (issue 14, reporting5): the customer's region
# and the task read in one statement, the contact, the task's calls and the claim's pending
# close written in one; a card_type_changed changes the card in the statement that reads it,
# and the customer_updated intake sends right after it takes the card from there. The figures
# must stay:
#  1. two customers, each with a purchase (new -> customer: card_type_changed, then
#     customer_updated); A001 claims one task and is refused (the card void, the customer's
#     steps cancelled); claims the other and logs it at 23:55 with an order of 2 (the product
#     from the task's purchase, the region from the customer) while the scheduler's consumer
#     of calllog is held: it completes the task at 00:05 the next day;
#  2. the same events applied by a reporting rebuilt from the replay (all of the scheduler's
#     stream before calllog's: the completion closes the claimed assignment on the 13th, still
#     without its contact — a pending close — and the contact moves it to its own day, the
#     12th) give the same figures.
# A version that loses the pending close, closes a claim twice, counts the card moves twice or
# not at all, loses the order's product or region, or the cancelled steps' counters, fails
# here.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

N=2
sql() { hf_store_value "$1"; }
# (a row of zeros left by a close moved to another day is no figure)
figures() {
    sql "SELECT string_agg(day || ':' || tasks_due || '/' || opened || '/' || closed || '/'
                           || attempts || '/' || contacts || '/' || orders, ' ' ORDER BY day)
         FROM reporting.agent_day WHERE agent = 'A001'
          AND (tasks_due, opened, closed, attempts, contacts, orders) <> (0, 0, 0, 0, 0, 0)"
    sql "SELECT string_agg(card_type || ':' || n, ' ' ORDER BY card_type) FROM reporting.card_count WHERE n <> 0"
    sql "SELECT string_agg(month || ':' || region || ':' || product || ':' || orders || '/' || units,
                           ' ' ORDER BY month) FROM reporting.order_month"
    sql "SELECT string_agg(day || ':' || outcome || ':' || region || ':' || order_product, ' '
                           ORDER BY id) FROM reporting.contact"
    sql "SELECT string_agg(state || '/' || claims || '/' || calls || '/'
                           || coalesce(done_day::text, '-'), ' ' ORDER BY id)
         FROM reporting.task WHERE state <> 'cancelled' OR calls > 0"
    sql "SELECT count(*) FROM reporting.pending_close"
    sql "SELECT string_agg(due_day || ':' || planned || '/' || on_time || '/' || late || '/'
                           || cancelled, ' ' ORDER BY due_day) FROM reporting.step_day"
    sql "SELECT string_agg(month || ':' || open, ' ' ORDER BY month) FROM reporting.step_month"
}
claim() {
    local out
    out=$(huifang --as A001 --json task next) || hf_fail "task next for A001 failed"
    TASK=$(sed -n 's/.*"task":{"id":"\{0,1\}\([0-9]*\).*/\1/p' <<<"$out")
    [[ -n $TASK ]] || hf_fail "task next printed no task: $out"
}

hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 20
hf_plan_purchases "$N" # VC30 and N customers with a purchase each, their plans started (lib.sh)

# ---- 1. live ----
hf_expect_exit 0 huifang clock advance 10d # 2026-11-12 10:00 in Beijing
hf_wait_assigned A001 $N
claim
hf_expect_exit 0 huifang --as A001 call log --task "$TASK" --outcome refused
hf_wait_until 10 bash -c "huifang --json task show $TASK | grep -q '\"state\":\"done\"'"
claim
late_task=$TASK
# the scheduler's consumer of calllog's stream held (its offset row locked: it skips a locked
# one) while the call is logged at 23:55; let go at 00:05
coproc LOCK { psql -X -q -t -A -d "$HUIFANG_STORE_URL"; }
lock_in=${LOCK[1]} lock_out=${LOCK[0]} lock_pid=$LOCK_PID # bash unsets them when it ends
printf '%s\n' "BEGIN; SELECT 'locked' FROM scheduler.consumer_offset WHERE producer = 'calllog' FOR UPDATE;" >&"$lock_in"
read -r locked <&"$lock_out"
hf_expect_eq locked "$locked" "the scheduler's calllog offset locked"
hf_expect_exit 0 huifang clock advance 835m # 23:55
hf_expect_exit 0 huifang --as A001 call log --task "$late_task" --outcome connected --order 2
hf_wait_applied reporting calllog
hf_expect_exit 0 huifang clock advance 10m # 00:05 on the 13th
printf 'COMMIT;\n' >&"$lock_in"
exec {lock_in}>&-
wait "$lock_pid" || true
hf_wait_until 20 bash -c "huifang --json task show $late_task | grep -q '\"state\":\"done\"'"
for p in intake scheduler calllog complaint; do hf_wait_applied reporting $p; done

mapfile -t live < <(figures)
hf_log "live: ${live[*]}"
hf_expect_contains "${live[0]}" "2026-11-12:$N/$N/$N/2/2/1" \
    "A001 on the 12th: both claims closed, two attempts, two contacts, one order (due/opened/closed/attempts/contacts/orders)"
hf_expect_eq "customer:1 void:1" "${live[1]}" "the cards: one customer, one void (each purchase's move counted once)"
hf_expect_eq "2026-11-01:chaoyang:VC30:1/2" "${live[2]}" "the order: the task's product, the customer's region"
hf_expect_contains "${live[3]}" "2026-11-12:connected:chaoyang:VC30" "the late contact on its own day"
hf_expect_contains "${live[4]}" "done/1/1/2026-11-13" "the late task done on the 13th"
hf_expect_eq 0 "${live[5]}" "no pending close left"
hf_expect_contains "${live[6]}" "2026-11-27:2/0/0/2" \
    "the steps of the 27th cancelled: the refused customer's, and the other's by the plan its order started (planned/on time/late/cancelled)"
hf_expect_eq "2026-11-01:1 2027-01-01:1" "${live[7]}" "the steps left open by month"

# ---- 2. the same events rebuilt from the replay ----
hf_service_stop reporting
hf_store_value "SET client_min_messages = warning; DROP SCHEMA reporting CASCADE" >/dev/null
hf_db_prepare # the schema again, owned by huifang_reporting
hf_service_start reporting
for p in intake scheduler calllog complaint; do hf_wait_applied reporting $p; done
hf_expect_eq 0 "$(sql 'SELECT count(*) FROM reporting.dead_letter')" "no dead letters"
mapfile -t replayed < <(figures)
for i in 0 1 2 3 4 5 6 7; do
    hf_expect_eq "${live[i]}" "${replayed[i]}" "figures $i the same from the replay"
done
hf_log "ok: a call's folded statements; the same figures live and from the replay"
