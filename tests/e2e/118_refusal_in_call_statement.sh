#!/usr/bin/env bash
# A refusal written in the call's one statement at intake (issue 14, readers7): a call_logged
# that refuses (no order, no referral) voids the card and opts the customer out in
# INTAKE_Q_CALL_CUSTOMER, with the last contact, where it took two more statements
# (intake_card_set, intake_opt_out). The events and the row must stay as they were:
#  1. a new card talked to and refused in one call: CardTypeChanged new -> one-on-one, a
#     CustomerUpdated (card_type) with the card one-on-one and not opted out, CardTypeChanged
#     one-on-one -> void (refused), OptedOut (refused), a CustomerUpdated (card_type,opt_out)
#     with the card void and opted out — in that order;
#  2. a customer card (a purchase) called hostile: CardTypeChanged customer -> void (hostile),
#     OptedOut (hostile), a CustomerUpdated (card_type,opt_out);
#  3. the rows: void for that reason, opted out for it, the last contact the call's.
# A version that loses an event, sends the refusal's state in the first CustomerUpdated, or
# writes the refusal twice (events doubled) fails here.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai
sql() { hf_store_value "$1"; }

# the branch's default lead plans: a counter lead starts new-lead (a first call soon)
hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --windows 09:00-12:00,14:00-20:00
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 40
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 \
    --plan monthly-course
hf_expect_exit 0 huifang --json lead add --name 'New One' --phone 13812340001 --channel counter --region chaoyang
fresh=$(hf_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang --json lead add --name 'Bought One' --phone 13812340002 --channel counter --region chaoyang
bought=$(hf_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang purchase add --customer "$bought" --product VC30 --quantity 1
hf_expect_eq customer "$(sql "SELECT card_type FROM intake.customer WHERE id = $bought")" "a purchase makes a customer card"

# each customer's first claimed task logged: the new card refused, the customer card hostile
hf_expect_exit 0 huifang clock advance 10d
declare -A outcome=(["$fresh"]=refused ["$bought"]=hostile)
declare -A logged=()
deadline=$(hf_deadline 60)
while ((${#logged[@]} < 2)); do
    hf_past "$deadline" && hf_fail "no task of each customer claimed (logged: ${!logged[*]})"
    out=$(huifang --as A001 --json task next 2>/dev/null || true)
    task=$(jq -r '.task.id // empty' <<<"$out" 2>/dev/null || true)
    if [[ -z $task ]]; then
        sleep 0.2
        continue
    fi
    cust=$(jq -r '.task.customer_id' <<<"$out")
    [[ -n ${outcome[$cust]:-} && -z ${logged[$cust]:-} ]] ||
        hf_fail "task $task of customer $cust claimed after its customer's refusal"
    hf_expect_exit 0 huifang --as A001 call log --task "$task" --outcome "${outcome[$cust]}"
    logged[$cust]=$task
done
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM intake.customer WHERE opted_out\")\" = 2 ]"
hf_wait_applied intake calllog

# intake's events about a customer, in order, one line each
events_of() {
    huifang events tail --from-seq 1 --topic intake. --no-follow |
        jq -r --arg id "$1" '
          if (.card_type_changed.customer_id | tostring) == $id then
            "card:" + (.card_type_changed.from // "") + ">" + .card_type_changed.to + ":" + (.card_type_changed.reason // "")
          elif (.opted_out.customer_id | tostring) == $id then "opted:" + (.opted_out.reason // "")
          elif (.customer_updated.customer.id | tostring) == $id then
            "updated:" + .customer_updated.change + ":" + .customer_updated.customer.card_type + "/"
            + (.customer_updated.customer.void_reason // "") + "/"
            + ((.customer_updated.customer.opted_out // false) | tostring) + "/"
            + (.customer_updated.customer.opt_out_reason // "")
          else empty end' | paste -sd ' '
}
got=$(events_of "$fresh")
hf_log "new card: $got"
hf_expect_contains "$got" "card:new>one-on-one: updated:card_type:one-on-one//false/ card:one-on-one>void:refused opted:refused updated:card_type,opt_out:void/refused/true/refused" \
    "the new card refused: made one-on-one, then void and opted out, each event once and in order"
hf_expect_eq 1 "$(grep -o 'card:new>one-on-one' <<<"$got" | wc -l)" "made one-on-one once"
hf_expect_eq 1 "$(grep -o 'opted:' <<<"$got" | wc -l)" "opted out once"
got=$(events_of "$bought")
hf_log "customer card: $got"
hf_expect_contains "$got" "card:customer>void:hostile opted:hostile updated:card_type,opt_out:void/hostile/true/hostile" \
    "the customer card called hostile: void and opted out"
hf_expect_eq 1 "$(grep -o 'opted:' <<<"$got" | wc -l)" "opted out once"

# ---- 3. the rows ----
for id in "$fresh" "$bought"; do
    hf_expect_eq "void/${outcome[$id]}/true/${outcome[$id]}/true" \
        "$(sql "SELECT card_type || '/' || void_reason || '/' || opted_out || '/' || opt_out_reason
                       || '/' || (last_contact_at_ms > 0) FROM intake.customer WHERE id = $id")" \
        "customer $id: void, opted out, for the reason of its call; its last contact written"
done
hf_log "ok: a refusal written in the call's statement, with the same events"
