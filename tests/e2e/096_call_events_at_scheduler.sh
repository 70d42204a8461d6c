#!/usr/bin/env bash
# A call's events at the scheduler, in fewer statements (issue 14, apply7), through the real
# services: call_logged notes the contact, writes the customer's counters and locks the task
# with its branch in one statement; a card change that is not void is kept back for the
# customer_updated intake sends right after it, which writes the card; a customer cancelled
# again is one statement. The outcomes must stay:
#  - connected on a new card: the note kept, the task done, the card one-on-one in the
#    scheduler's copy as in intake's (the change applied by the copy that follows it);
#  - refused: the card void and the customer opted out in the copy, every open step and the
#    plan cancelled with the refusal (the void card, the opt-out and the copy after it cancel
#    nothing more and end no plan twice);
#  - no answer: the task back in the queue at the next window (14:00), one unanswered attempt.
# A version that loses the kept-back card, writes a counter into the wrong customer, ends a
# plan twice or retries in the wrong window fails here.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai
sql() { hf_store_value "$1"; }

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --tz Asia/Shanghai \
    --windows 09:00-12:00,14:00-20:00
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 40
names=(- Yi Er San)
ids=()
for i in 1 2 3; do
    hf_expect_exit 0 huifang --json lead add --name "Wang Fang ${names[$i]}" --phone "1381234560$i" \
        --channel counter --region chaoyang
    ids+=("$(hf_json_get "$HF_OUT" customer.id)")
done
hf_wait_until 10 bash -c "[[ \$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \
    'SELECT count(*) FROM scheduler.plan') == 3 ]]"

# the new-lead first calls fall on days 1-7: each day, every call in the bag gets the next
# outcome of the list
outcomes=(connected refused no-answer)
declare -A task_of customer_of
n=0
for day in 1 2 3 4 5 6 7; do
    ((n < 3)) || break
    hf_expect_exit 0 huifang clock advance 1d
    hf_wait_applied scheduler intake
    # the tick has assigned what is due by now (10:00 that day; the first calls are at 09:00)
    now_ms=$(sql "SELECT (extract(epoch FROM timestamptz '2026-11-02 10:00+08'
                          + interval '$day days') * 1000)::bigint")
    hf_wait_until 10 bash -c "[[ \$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \
        \"SELECT count(*) FROM scheduler.task WHERE state = 'planned' AND due_at_ms <= $now_ms\") == 0 ]]"
    while ((n < 3)); do
        huifang --as A001 --json task next >"$HF_E2E_TMP/next.json" 2>/dev/null || break
        grep -q '"id"' "$HF_E2E_TMP/next.json" || break
        t=$(hf_json_get "$(cat "$HF_E2E_TMP/next.json")" task.id)
        o=${outcomes[$n]}
        hf_expect_exit 0 huifang --as A001 --json call log --task "$t" --outcome "$o"
        task_of[$o]=$t
        customer_of[$o]=$(sql "SELECT customer_id FROM scheduler.task WHERE id = $t")
        n=$((n + 1))
    done
done
hf_expect_eq 3 "$n" "three calls logged"
hf_wait_applied intake calllog
hf_wait_applied scheduler calllog
hf_wait_applied scheduler intake

c=${customer_of[connected]}
hf_expect_eq "done/connected" "$(sql "SELECT state || '/' || outcome FROM scheduler.task WHERE id = ${task_of[connected]}")" \
    "connected: the task done"
hf_expect_eq "1" "$(sql "SELECT count(*) FROM scheduler.contact_note WHERE customer_id = $c
                         AND task_id = ${task_of[connected]} AND outcome = 'connected'")" "the note kept"
hf_expect_eq "one-on-one" "$(sql "SELECT card_type FROM intake.customer WHERE id = $c")" "intake's card"
hf_expect_eq "one-on-one/0" "$(sql "SELECT card_type || '/' || unanswered FROM scheduler.customer WHERE id = $c")" \
    "the scheduler's copy: the card the copy carried, no unanswered attempt"

r=${customer_of[refused]}
hf_expect_eq "void/true" "$(sql "SELECT card_type || '/' || opted_out FROM scheduler.customer WHERE id = $r")" \
    "refused: the copy void and opted out"
hf_expect_eq "0" "$(sql "SELECT count(*) FROM scheduler.task WHERE customer_id = $r
                         AND state IN ('planned', 'assigned', 'paused')")" "no open step left"
hf_expect_eq "cancelled/refused" "$(sql "SELECT string_agg(state || '/' || end_reason, ' ')
                                         FROM scheduler.plan WHERE customer_id = $r")" "the plan cancelled by the refusal"
hf_expect_eq "1" "$(sql "SELECT count(*) FROM scheduler.outbox WHERE topic LIKE 'scheduler.plan_ended%'")" \
    "one plan_ended, not one per cancel"

u=${customer_of[no-answer]}
hf_expect_eq "planned/1/14:00" "$(sql "SELECT t.state || '/' || c.unanswered || '/' ||
        to_char(to_timestamp(t.due_at_ms / 1000.0) AT TIME ZONE 'Asia/Shanghai', 'HH24:MI')
        FROM scheduler.task t JOIN scheduler.customer c ON c.id = t.customer_id
        WHERE t.id = ${task_of[no-answer]} AND c.id = $u")" "no answer: back in the queue at the next window, one attempt"

# every copy's card as intake's
hf_expect_eq "" "$(sql "SELECT string_agg(i.id || ':' || i.card_type || '<>' || s.card_type, ' ')
                        FROM intake.customer i JOIN scheduler.customer s ON s.id = i.id
                        WHERE i.card_type <> s.card_type")" "the scheduler's cards are intake's"
hf_log "ok"
