#!/usr/bin/env bash
# A person acts only in their own branch, also by id (issue 11): with two branches, BJ01 (A)
# and SH01 (B), every record made in B — a customer, a purchase, a task, a contact, a
# delivery, a complaint, a return, a call-log alert, a supervisor alert — is "not found"
# (exit 3) from A by id, for show and for every command that changes it, exactly like an id
# that does not exist; and none of them changed (B shows each one as it was before).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai
unset HUIFANG_AGENT
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }
B=(--branch SH01)

# ---- both branches, the same kinds of people and products ---------------------------------
for br in BJ01 SH01; do
    hf_expect_exit 0 huifang --branch "$br" branch add "$br" --name "Branch $br" \
        --windows 09:00-12:00,14:00-20:00 --lead-plans none
    hf_expect_exit 0 huifang --branch "$br" agent add "${br}P" --name 'Li Na' --role phone --regions centre
    hf_expect_exit 0 huifang --branch "$br" agent add "${br}D" --name 'Sun Qiang' --role deliver --regions centre
    hf_expect_exit 0 huifang --branch "$br" agent add "${br}M" --name 'Gao Yan' --role manager
    hf_expect_exit 0 huifang --branch "$br" agent add "${br}L" --name 'Chen Jie' --role lead
    hf_expect_exit 0 huifang --branch "$br" agent add "${br}C" --name 'Xu Ying' --role consult
    hf_expect_exit 0 huifang --branch "$br" product add VC30 --name 'Vitamin C 30' --days-per-unit 30 \
        --price 168 --plan monthly-course
done
hf_expect_exit 0 huifang --json lead add --name 'Zhang Wei' --phone 13700001111 --channel counter \
    --region centre
a_customer=$(cl_json_get "$HF_OUT" customer.id)

# ---- B's records ----------------------------------------------------------------------------
hf_expect_exit 0 huifang "${B[@]}" --json lead add --name 'Wang Fang' --phone 13812345678 \
    --channel counter --region centre --address 'Pudong Rd 8'
cb=$(cl_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang "${B[@]}" --json purchase add --customer "$cb" --product VC30 --quantity 3
pb=$(cl_json_get "$HF_OUT" id)
hf_expect_exit 0 huifang clock advance 10d
hf_wait_until 10 bash -c "huifang --branch SH01 --json worklist --agent SH01P | grep -q '\"state\":\"assigned\"'"
hf_expect_exit 0 huifang "${B[@]}" --as SH01P --json task next
tb=$(cl_json_get "$HF_OUT" task.id)
hf_expect_exit 0 huifang "${B[@]}" --as SH01P --json call log --task "$tb" --outcome connected \
    --effect good --order 1 --order-product VC30 --delivery home --note 'one more box'
mapfile -t v <<<"$(cl_json_values "$HF_OUT" id delivery_id)"
kb=${v[0]} db=${v[1]}
[[ $db =~ ^[1-9][0-9]*$ ]] || hf_fail "B's order opened no delivery: $HF_OUT"
hf_expect_exit 0 huifang "${B[@]}" --as SH01C --json consult log --regulator --name 'Officer Liu' \
    --phone 13700009999 --unit 'Pudong Market Regulation' --position inspector \
    --contact 021-65001234 --complaint 'asked about an advertisement'
ab=$(cl_json_get "$HF_OUT" alert_id)
hf_expect_exit 0 huifang "${B[@]}" --as SH01P --json complaint file --customer "$cb" \
    --category product-effect --text 'no effect after a week'
ccb=$(cl_json_get "$HF_OUT" id)
ask=(huifang --branch SH01 --as SH01P return request --purchase "$pb" --used 1 --packaging intact
    --reason 'no effect' --idempotency-key b-return)
hf_wait_until 10 "${ask[@]}"
hf_expect_exit 0 "${ask[@]}"
rb=$(sed -n 's/^return \([0-9]*\) .*/\1/p' <<<"$HF_OUT")
[[ $rb =~ ^[1-9][0-9]*$ ]] || hf_fail "no return id in: $HF_OUT"
# a supervisor alert of B (missed callbacks take days of clock; the row is what matters)
sa=$(sql "INSERT INTO scheduler.alert (branch, kind, customer_id, detail, dedup, raised_at_ms)
          VALUES ('SH01', 'member-unvisited', $cb, 'test', 'isolation-test', 0) RETURNING id")

# ---- what B sees before ---------------------------------------------------------------------
snapshot() {
    huifang --branch SH01 --json customer show "$cb" >>"$1"
    huifang --branch SH01 --json task show "$tb" >>"$1"
    huifang --branch SH01 --json complaint show "$ccb" >>"$1"
    huifang --branch SH01 --json return list >>"$1"
    huifang --branch SH01 --json delivery list >>"$1"
    huifang --branch SH01 --json alerts >>"$1"
    huifang --branch SH01 --json supervisor alerts --all >>"$1"
    huifang --branch SH01 --json call review list --date 2026-11-12 >>"$1"
}
snapshot "$HF_E2E_TMP/before.jsonl"
events_before=$(sql "SELECT (SELECT count(*) FROM intake.outbox) + (SELECT count(*) FROM scheduler.outbox)
    + (SELECT count(*) FROM calllog.outbox) + (SELECT count(*) FROM complaint.outbox)")

# ---- from A, by B's ids: not found, like an id that does not exist ------------------------
# not_found WHAT CMD...: exit 3 from A, with an error that does not reveal B's record
not_found() {
    local what=$1
    shift
    hf_expect_exit 3 huifang "$@"
    [[ $HF_ERR != *SH01* && $HF_ERR != *'Wang Fang'* ]] ||
        hf_fail "$what: the error reveals B's record: $HF_ERR"
}
not_found "customer show" --as BJ01M customer show "$cb"
not_found "customer find" --as BJ01M customer find 13812345678
not_found "customer edit" --as BJ01M customer edit "$cb" --address 'Somewhere Else 1'
not_found "customer phone add" --as BJ01M customer phone add "$cb" 13700002222
not_found "customer merge (other)" --as BJ01M customer merge "$a_customer" "$cb"
not_found "customer merge (keep)" --as BJ01M customer merge "$cb" "$a_customer"
not_found "customer opt-out" --as BJ01M customer opt-out "$cb" --reason 'asked'
not_found "customer dnd" --as BJ01M customer dnd "$cb" --until 2026-11-20 --reason hospital
not_found "customer card" --as BJ01M customer card "$cb" one-on-one
not_found "purchase add" --as BJ01M purchase add --customer "$cb" --product VC30 --quantity 1
not_found "task show" --as BJ01P task show "$tb"
not_found "task release" --as BJ01L task release "$tb"
not_found "task skip" --as BJ01L task skip "$tb" --reason 'not ours'
not_found "call log" --as BJ01P call log --task "$tb" --outcome connected
not_found "visit log" --as BJ01P visit log --task "$tb" --outcome connected
not_found "call review score" --as BJ01L call review score "$kb" --score 3
not_found "delivery done" --as BJ01D delivery done "$db"
not_found "alerts ack" --as BJ01M alerts ack "$ab"
not_found "supervisor ack" --as BJ01M supervisor ack "$sa"
not_found "complaint show" --as BJ01M complaint show "$ccb"
not_found "complaint start" --as BJ01M complaint start "$ccb"
not_found "complaint wait" --as BJ01M complaint wait "$ccb"
not_found "complaint resolve" --as BJ01M complaint resolve "$ccb" --resolution 'done'
not_found "complaint close" --as BJ01M complaint close "$ccb"
not_found "complaint reopen" --as BJ01M complaint reopen "$ccb"
not_found "complaint file" --as BJ01M complaint file --customer "$cb" --category price --text 'x'
not_found "return request" --as BJ01M return request --purchase "$pb" --used 0 --packaging intact --reason x
not_found "return approve" --as BJ01M return approve "$rb"
not_found "return reject" --as BJ01M return reject "$rb" --reason 'no'
# no branch at all is no branch's: nothing is found by id
hf_expect_exit 3 env HUIFANG_BRANCH= huifang task show "$tb"
hf_expect_exit 3 env HUIFANG_BRANCH= huifang supervisor ack "$sa"
# ... the same answers as for ids that exist nowhere
hf_expect_exit 3 huifang --as BJ01M customer show 999999
hf_expect_exit 3 huifang --as BJ01P task show 999999
hf_expect_exit 3 huifang --as BJ01M complaint show 999999
hf_expect_exit 3 huifang --as BJ01M return approve 999999

# A's lists hold nothing of B's
for cmd in "complaint list" "return list" "delivery list" "supervisor alerts --all" "consult list --date 2026-11-12"; do
    # shellcheck disable=SC2086 # the words of the command
    hf_expect_exit 0 huifang --json $cmd
    [[ $HF_OUT != *'"SH01"'* && $HF_OUT != *'Wang Fang'* ]] || hf_fail "A's $cmd shows B's records: $HF_OUT"
done

# ---- B's records are as they were -------------------------------------------------------------
snapshot "$HF_E2E_TMP/after.jsonl"
diff "$HF_E2E_TMP/before.jsonl" "$HF_E2E_TMP/after.jsonl" >&2 || hf_fail "a command from A changed B's records"
hf_expect_eq "$events_before" "$(sql "SELECT (SELECT count(*) FROM intake.outbox) + (SELECT count(*) FROM scheduler.outbox)
    + (SELECT count(*) FROM calllog.outbox) + (SELECT count(*) FROM complaint.outbox)")" \
    "no event was emitted by the refused commands"
hf_expect_exit 0 huifang "${B[@]}" --json customer show "$cb"
cl_json_expect "$HF_OUT" customer.address 'Pudong Rd 8' customer.opted_out false \
    customer.dnd_until "" customer.merged_into 0
