#!/usr/bin/env bash
# Call outcomes drive what comes next, through the real services and the manual clock:
#  - no answer or busy: again in the next call window; the third unanswered attempt in a row
#    screens the card out (scheduler.customer_screened; intake voids the card);
#  - a wrong number screens out at once; a refusal cancels the rest of the plan;
#  - a callback: a task at the time asked, in the same agent's bag; missed, it goes to the
#    team; missed again, a supervisor alert (`huifang supervisor alerts`);
#  - an adverse reaction: a home visit by a doctor, due at once, on top of the doctor's bag;
#  - an order: intake records the purchase and the repurchase plan follows (the old form is
#    archived);
#  - the next caller sees the earlier contacts with their notes.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
hf_expect_exit 0 huifang agent add D001 --name 'Dr Sun' --role doctor --regions chaoyang --daily-visits 5
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 --plan monthly-course

names=('Wang Fang' 'Zhang Wei' 'Liu Yang' 'Chen Jing' 'Yang Li')
customers=()
for i in 0 1 2 3 4; do
    read -r _ id _ < <(huifang lead add --name "${names[$i]}" --phone "1381234567$i" --channel counter --region chaoyang)
    [[ $id =~ ^[0-9]+$ ]] || hf_fail "lead add printed no customer id"
    customers+=("$id")
    hf_expect_exit 0 huifang purchase add --customer "$id" --product VC30 --quantity 1
done

# day 10: five care calls in Li Na's bag, in the order they were planned
hf_expect_exit 0 huifang clock advance 10d
hf_wait_until 10 bash -c "[ \$(huifang --json worklist --agent A001 | grep -c '\"state\":\"assigned\"') = 5 ]"

# claims the agent's next task; sets TASK and CUST
next_task() {
    local out
    out=$(huifang --as "$1" --json task next) || hf_fail "task next for $1 failed"
    TASK=$(sed -n 's/.*"task":{"id":"\{0,1\}\([0-9]*\).*/\1/p' <<<"$out")
    CUST=$(sed -n 's/.*"customer_id":"\{0,1\}\([0-9]*\).*/\1/p' <<<"$out" | head -n1)
    [[ -n $TASK && -n $CUST ]] || hf_fail "task next printed no task: $out"
}
task_field() { hf_json_get "$(huifang --json task show "$1")" "task.$2"; }

# 1. no answer: the next window is 14:00 today
next_task A001
c1_task=$TASK
hf_expect_eq "${customers[0]}" "$CUST" "the first customer's call comes first"
hf_expect_exit 0 huifang --as A001 call log --task "$c1_task" --outcome no-answer
hf_wait_until 10 bash -c "huifang --json task show $c1_task | grep -q '\"state\":\"planned\"'"
hf_expect_eq 2026-11-12T06:00:00.000Z "$(task_field "$c1_task" due_at)" "retry at 14:00 Beijing"

# 2. a wrong number: screened out at once, and intake voids the card
next_task A001
hf_expect_eq "${customers[1]}" "$CUST" "second customer"
hf_expect_exit 0 huifang --as A001 call log --task "$TASK" --outcome wrong-number
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic scheduler.customer_screened --no-follow | grep -q '\"reason\":\"wrong-number\"'"
hf_wait_until 10 bash -c "huifang --json customer show ${customers[1]} | grep -q '\"card_type\":\"void\"'"

# 3. a refusal: the repurchase call is cancelled
next_task A001
hf_expect_eq "${customers[2]}" "$CUST" "third customer"
hf_expect_exit 0 huifang --as A001 call log --task "$TASK" --outcome refused
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow
c3_repurchase=$(grep "\"customer_id\":\"\{0,1\}${customers[2]}\"\{0,1\}," <<<"$HF_OUT" | grep -o '"id":"\{0,1\}[0-9]*"\{0,1\},"branch":"BJ01","customer_id":"\{0,1\}[0-9]*"\{0,1\},"purchase_id":"\{0,1\}[0-9]*"\{0,1\},"plan_id":"\{0,1\}[0-9]*"\{0,1\},"step_no":2' | grep -o '^"id":"\{0,1\}[0-9]*' | tr -dc 0-9)
[[ -n $c3_repurchase ]] || hf_fail "no repurchase task found for customer ${customers[2]}"
hf_wait_until 10 bash -c "huifang --json task show $c3_repurchase | grep -q '\"state\":\"cancelled\"'"

# 4. a callback this evening at 19:30, promised by Li Na
next_task A001
hf_expect_eq "${customers[3]}" "$CUST" "fourth customer"
hf_expect_exit 0 huifang --as A001 call log --task "$TASK" --outcome callback --callback-at '2026-11-12 19:30' \
    --note 'at work, call after 19:00'

# 5. an adverse reaction and an order on the same call
next_task A001
hf_expect_eq "${customers[4]}" "$CUST" "fifth customer"
hf_expect_exit 0 huifang --as A001 call log --task "$TASK" --outcome connected --effect adverse --order 2 --delivery home \
    --note 'rash on both arms'
hf_wait_until 10 bash -c "huifang --json worklist --agent D001 | grep -q '\"purpose\":\"adverse-reaction\"'"
hf_expect_exit 0 huifang --json worklist --agent D001
hf_expect_eq visit "$(hf_json_get "$HF_OUT" channel)" "a home visit"
hf_expect_eq 50 "$(hf_json_get "$HF_OUT" priority)" "top priority"
hf_expect_eq 2026-11-12 "$(hf_json_get "$HF_OUT" bag_date)" "due at once: today's bag"
# the order became a purchase in intake and a new plan here; the old form is archived
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_ended --no-follow | grep -q '\"reason\":\"repurchased\"'"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow
hf_expect_eq 6 "$(grep -c plan_started <<<"$HF_OUT")" "five plans and the repurchase's"

# 14:00: the first customer again; busy this time -> tomorrow 09:00
hf_expect_exit 0 huifang clock set '2026-11-12 14:00'
hf_wait_until 10 bash -c "huifang --json task show $c1_task | grep -q '\"state\":\"assigned\"'"
next_task A001
hf_expect_eq "$c1_task" "$TASK" "the retry"
hf_expect_exit 0 huifang --as A001 call log --task "$c1_task" --outcome busy
hf_wait_until 10 bash -c "huifang --json task show $c1_task | grep -q '\"state\":\"planned\"'"
hf_expect_eq 2026-11-13T01:00:00.000Z "$(task_field "$c1_task" due_at)" "after 20:00 the next window is tomorrow 09:00"

# 19:30: the callback is in Li Na's bag (she promised it)
hf_expect_exit 0 huifang agent add A002 --name 'Zhou Min' --role phone --regions chaoyang
hf_expect_exit 0 huifang clock set '2026-11-12 19:30'
hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -q '\"purpose\":\"callback\"'"
hf_expect_exit 0 huifang --json worklist --agent A001
callback=$(grep '"purpose":"callback"' <<<"$HF_OUT")
cb_task=$(hf_json_get "$callback" id)
hf_expect_eq A001 "$(hf_json_get "$callback" reserved_agent)" "promised by Li Na"
# nobody called by 20:00 (30 minutes' grace): it goes to the team
hf_expect_exit 0 huifang clock set '2026-11-12 20:01'
hf_wait_until 10 bash -c "huifang --json task show $cb_task | grep -q '\"agent\":\"A002\"'"
# every housekeeping timer has had rounds at 20:01 (missed callbacks are moved and alerted
# there): an alert raised would show
hf_wait_timer_rounds scheduler house 9
hf_expect_exit 0 huifang supervisor alerts
hf_expect_contains "$HF_ERR" "no open alerts" "no alert after the first miss"
# missed again: the supervisor is alerted, once
hf_expect_exit 0 huifang clock set '2026-11-12 20:32'
hf_wait_until 10 bash -c "huifang supervisor alerts | grep -q callback-missed"
hf_expect_exit 0 huifang --json supervisor alerts
hf_expect_eq "$cb_task" "$(hf_json_get "$HF_OUT" task_id)" "the alert names the task"
hf_expect_eq A001 "$(hf_json_get "$HF_OUT" agent)" "and who promised it"
alert=$(hf_json_get "$HF_OUT" id)
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.supervisor_alert_raised --no-follow
hf_expect_eq 1 "$(grep -c supervisor_alert_raised <<<"$HF_OUT")" "raised once"
hf_expect_exit 3 huifang --as A002 supervisor ack 999999
hf_expect_exit 0 huifang --as A002 supervisor ack "$alert"
hf_expect_exit 4 huifang --as A002 supervisor ack "$alert"

# Zhou Min takes it and sees the earlier contact with its note
hf_expect_exit 0 huifang --as A002 task next
hf_expect_contains "$HF_OUT" "task $cb_task" "the callback"
hf_expect_contains "$HF_OUT" "earlier contacts" "the contact history"
hf_expect_contains "$HF_OUT" "at work, call after 19:00" "with the note"
hf_expect_exit 0 huifang --as A002 call log --task "$cb_task" --outcome connected

# the next day, the third unanswered attempt screens the first customer out
hf_expect_exit 0 huifang clock set '2026-11-13 09:05'
hf_wait_until 10 bash -c "huifang --json task show $c1_task | grep -q '\"state\":\"assigned\"'"
hf_expect_exit 0 huifang --as A001 task next
hf_expect_contains "$HF_OUT" "task $c1_task" "the second retry"
hf_expect_exit 0 huifang --as A001 call log --task "$c1_task" --outcome no-answer
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic scheduler.customer_screened --no-follow | grep -q '\"reason\":\"unanswered\"'"
hf_wait_until 10 bash -c "huifang --json customer show ${customers[0]} | grep -q '\"card_type\":\"void\"'"
hf_expect_eq done "$(task_field "$c1_task" state)" "the step is done"
