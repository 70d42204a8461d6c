#!/usr/bin/env bash
# Reporting's card changes held per batch (issue 14, rapply10): a batch's card_type_changed
# events, each with the customer_updated intake sends right after it, are applied together — in
# runs of changes of different cards, each run by one statement that reads, locks and changes
# the cards (the card as it was given back), then each change counted and its customer_updated
# applied in event order, from the card as the change left it. The figures must not tell:
#  1. live, each event applied as it comes (a batch each): five new cards (counter leads, the
#     branch's lead plans) called — three talked to (new -> one-on-one), one talked to and
#     refused in the same call (new -> one-on-one -> void, opted out between: the card changed
#     twice), one not answered (no change);
#  2. the same events applied by a reporting emptied and rebuilt from the replay: intake's
#     whole stream in a batch — the changes of different cards a run, the refused card's second
#     change a run of its own after the opt-out — gives the same cards, counters and reports,
#     and reporting.customer was changed by fewer statements than there were card changes (a
#     trigger counts the statements that change a card's type).
# A fold that applies a card's second change to the card as it was before the first, loses a
# change's customer_updated or counts a change twice fails 2; a statement a change fails 2's
# count.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai
sql() { hf_store_value "$1"; }
figures() {
    sql "SELECT string_agg(card_type || ':' || n, ' ' ORDER BY card_type) FROM reporting.card_count
         WHERE n <> 0"
    sql "SELECT string_agg(day || ':' || from_type || '>' || to_type || ':' || reason || ':' || n, ' '
                           ORDER BY day, from_type, to_type, reason) FROM reporting.card_flow_day"
    sql "SELECT string_agg(id || ':' || card_type || ':' || void_reason || ':' || region || ':'
                           || merged_into, ' ' ORDER BY id) FROM reporting.customer"
    sql "SELECT string_agg(agent || ':' || day || ':' || attempts || '/' || contacts, ' '
                           ORDER BY agent, day) FROM reporting.agent_day WHERE attempts > 0"
    huifang report branch-weekly --week 2026-W46 --format csv | tr '\n' ' '
    echo
}

# the branch's default lead plans: a counter lead starts new-lead (a first call soon)
hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --windows 09:00-12:00,14:00-20:00
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 40
declare -A outcome=()
outcomes=(connected connected refused connected no-answer)
letters=(A B C D E)
for i in 0 1 2 3 4; do
    hf_expect_exit 0 huifang --json lead add --name "Customer ${letters[i]}" --phone "1381234000$((i + 1))" \
        --channel counter --region chaoyang
    outcome[$(hf_json_get "$HF_OUT" customer.id)]=${outcomes[i]}
done

# ---- 1. live: each customer's first task claimed and logged, applied as it comes ----
hf_expect_exit 0 huifang clock advance 10d
declare -A logged=()
deadline=$(hf_deadline 60)
while ((${#logged[@]} < 5)); do
    hf_past "$deadline" && hf_fail "no task of each customer claimed (logged: ${!logged[*]})"
    out=$(huifang --as A001 --json task next 2>/dev/null || true)
    task=$(jq -r '.task.id // empty' <<<"$out" 2>/dev/null || true)
    if [[ -z $task ]]; then
        sleep 0.2
        continue
    fi
    cust=$(jq -r '.task.customer_id' <<<"$out")
    [[ -n ${outcome[$cust]:-} && -z ${logged[$cust]:-} ]] ||
        hf_fail "task $task of customer $cust claimed twice or after its customer's refusal"
    hf_expect_exit 0 huifang --as A001 call log --task "$task" --outcome "${outcome[$cust]}"
    logged[$cust]=$task
    hf_wait_applied intake calllog
    for p in intake scheduler calllog; do hf_wait_applied reporting $p; done
done

mapfile -t live < <(figures)
hf_log "live: ${live[*]}"
hf_expect_eq "new:1 one-on-one:3 void:1" "${live[0]}" "the cards by type"
hf_expect_eq "2026-11-02:>new::5 2026-11-12:new>one-on-one::4 2026-11-12:one-on-one>void:refused:1" \
    "${live[1]}" "the cards' moves by day (from > to: reason)"
changes=$(sql "SELECT count(*) FROM intake.outbox WHERE topic ~ 'card_type_changed'")
hf_expect_eq 5 "$changes" "intake published five card changes"

# ---- 2. the same events in batches: reporting emptied and rebuilt from the replay ----
# (emptied rather than dropped, so that the trigger counting the statements that change
# reporting.customer is there before the first event; one a batch rolls back is not counted)
hf_reporting_rebuild_counted customer e2e251_card
mapfile -t replayed < <(figures)
for i in "${!live[@]}"; do
    hf_expect_eq "${live[i]}" "${replayed[i]}" "figures $i the same from the replay's batches"
done
# the statements that change a card's type (the change's one, a statement each before): the
# four talked-to cards' first changes in one run, the refused card's second in another
stmts=$(sql "SELECT count(*) FROM public.e2e251_card_updates WHERE query LIKE 'WITH o AS%'")
hf_log "intake's $changes card changes changed reporting.customer by $stmts statements:"
sql "SELECT q || ' x' || count(*) FROM (SELECT left(query, 60) q FROM public.e2e251_card_updates) s
     GROUP BY q" | sed 's/^/  /'
((stmts < changes)) || hf_fail "reporting.customer changed by $stmts statements for $changes card changes, want fewer"
hf_reporting_uncount customer e2e251_card
hf_log "ok: a batch's card changes applied together; the same figures live and from the replay"
