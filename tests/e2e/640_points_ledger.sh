#!/usr/bin/env bash
# Points (issue 16): a purchase earns points per whole yuan in its own transaction, by the
# branch's rule (data: `points rules`); a clerk redeems them for a gift of the catalogue or a
# free service; redeeming more than the balance, zero or negative points, an unknown gift or
# customer is refused naming the field and changes nothing; a return takes back the points
# of the units returned, and when they were spent already the balance stops at zero and the
# rest is owed, settled by the next purchase. After every step the ledger's deltas add up to
# the balance. Ten concurrent redemptions never take the balance below zero. The points
# events feed `report points` (issued, redeemed, taken back, outstanding).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --tz Asia/Shanghai
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone
hf_expect_exit 0 huifang agent add M001 --name 'Sun Hong' --role manager
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168.50
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345678 --channel counter
customer=$(hf_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang --json lead add --name 'Zhou Min' --phone 13912345678 --channel counter
other=$(hf_json_get "$HF_OUT" customer.id)

# psql as the tests' superuser: the ledger's sum against the account's balance
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$HUIFANG_STORE_URL" -c "$1"; }
balance() {
    huifang --json points show "$1" >"$HF_E2E_TMP/acc.json"
    hf_json_get "$(<"$HF_E2E_TMP/acc.json")" balance
}
# the ledger explains the balance: its deltas add up to it, and the newest row's balance
# after is the balance (a missing field in JSON is 0)
agree() {
    local want=$1 got sum last
    got=$(balance "$customer")
    hf_expect_eq "$want" "$got" "${2:-the balance}"
    sum=$(sql "SELECT coalesce(sum(delta), 0) FROM intake.points_ledger WHERE customer_id = $customer")
    hf_expect_eq "$want" "$sum" "the ledger's deltas add up to the balance (${2:-})"
    last=$(sql "SELECT coalesce((SELECT balance_after FROM intake.points_ledger WHERE customer_id = $customer ORDER BY id DESC LIMIT 1), 0)")
    hf_expect_eq "$want" "$last" "the last row's balance after (${2:-})"
}

# the rules are data: the defaults (1 a yuan, 100 an event); only a manager changes them
hf_expect_exit 0 huifang points rules
hf_expect_contains "$HF_OUT" "per yuan 1  per attended event 100  (the defaults)" "the default rules"
hf_expect_exit 4 huifang --as A001 points rules --per-yuan 2
hf_expect_exit 2 huifang --as M001 points rules --per-yuan 101
hf_expect_contains "$HF_ERR" "per_yuan must be 0..100" "the rule's bound"
hf_expect_exit 0 huifang --as M001 points rules --per-yuan 2
hf_expect_contains "$HF_OUT" "per yuan 2  per attended event 100  (the branch's own)" "the branch's own rule"

# purchases earn 2 a whole yuan: 3 x 168.50 = 505.50 -> 505 yuan -> 1010; 1 box -> 168 -> 336
hf_expect_exit 0 huifang --json purchase add --customer "$customer" --product VC30 --quantity 3
p3=$(hf_json_get "$HF_OUT" id)
agree 1010 "after the first purchase"
hf_expect_exit 0 huifang --json purchase add --customer "$customer" --product VC30 --quantity 1
agree 1346 "after the second purchase"
hf_expect_exit 0 huifang points show "$customer"
hf_expect_contains "$HF_OUT" "balance 1346  earned 1346  redeemed 0" "the summary"
hf_expect_contains "$HF_OUT" "purchase:$p3" "the ledger names the purchase"

# the gift catalogue (manager), and redemptions by a clerk
hf_expect_exit 4 huifang --as A001 gift add TEA --name 'Tea set' --points 500
hf_expect_exit 0 huifang --as M001 gift add TEA --name 'Tea set' --points 500
hf_expect_exit 4 huifang --as M001 gift add TEA --name 'Tea set again' --points 400
hf_expect_exit 2 huifang --as M001 gift add CUP --name 'Cup' --points 0
hf_expect_contains "$HF_ERR" "points must be 1..100000000" "a gift costs points"
hf_expect_exit 0 huifang gift list
hf_expect_contains "$HF_OUT" "Tea set" "the catalogue"
hf_expect_exit 0 huifang --as A001 points redeem "$customer" --gift TEA
hf_expect_contains "$HF_ERR" "redeemed 500 points for Tea set (TEA); balance 846" "a gift"
agree 846 "after the gift"
hf_expect_exit 0 huifang --as A001 points redeem "$customer" --points 300 --item 'free blood-pressure check'
agree 546 "after the free service"

# bad input: named, nothing changed
before=$(sql "SELECT count(*) FROM intake.points_ledger")
hf_expect_exit 2 huifang --as A001 points redeem "$customer" --points 547 --item 'a massage chair'
hf_expect_contains "$HF_ERR" "points 547 exceed customer $customer's balance of 546" "overspending"
hf_expect_exit 2 huifang --as A001 points redeem "$customer" --points 0 --item x
hf_expect_contains "$HF_ERR" "points must be a whole number above zero" "zero points"
hf_expect_exit 2 huifang --as A001 points redeem "$customer" --points -5 --item x
hf_expect_contains "$HF_ERR" "points" "negative points"
hf_expect_exit 2 huifang --as A001 points redeem "$customer" --gift NOPE
hf_expect_contains "$HF_ERR" "no gift NOPE" "an unknown gift"
hf_expect_exit 2 huifang --as A001 points redeem "$customer" --gift TEA --points 10
hf_expect_contains "$HF_ERR" "not the price of gift TEA" "a gift's price is its price"
hf_expect_exit 2 huifang --as A001 points redeem "$other" --points 1 --item x
hf_expect_contains "$HF_ERR" "balance of 0" "no points at all"
hf_expect_exit 3 huifang --as A001 points redeem 999999 --points 1 --item x
hf_expect_contains "$HF_ERR" "no customer 999999 in branch BJ01" "an unknown customer"
hf_expect_exit 2 huifang --branch XX99 points show "$customer"
hf_expect_contains "$HF_ERR" "branch" "an unknown branch"
hf_expect_eq "$before" "$(sql "SELECT count(*) FROM intake.points_ledger")" "refusals wrote no ledger row"
hf_expect_eq "0" "$(sql "SELECT count(*) FROM intake.points_account WHERE customer_id = $other AND balance <> 0")" "nothing changed for the other"
agree 546 "after the refusals"

# a return of the 3-box purchase with one box used: 2 of 3 units back -> 1010 x 2 / 3 = 673
# points; the balance holds 546: it goes to zero and 127 are owed
ask=(huifang --as A001 return request --purchase "$p3" --used 1 --packaging intact --reason 'no effect' --idempotency-key return-p3)
hf_wait_until 10 "${ask[@]}"
hf_expect_exit 0 "${ask[@]}"
rid=$(sed -n 's/^return \([0-9]*\) .*/\1/p' <<<"$HF_OUT")
hf_expect_exit 0 huifang --as M001 return approve "$rid"
hf_wait_until 20 bash -c "huifang --json points show $customer | grep -q '\"reason\":\"return\"'"
agree 0 "after the return"
hf_expect_exit 0 huifang points show "$customer"
hf_expect_contains "$HF_OUT" "owed 127" "the shortfall is owed"
hf_expect_eq "673 127" "$(sql "SELECT points, shortfall FROM intake.points_ledger WHERE customer_id = $customer AND reason = 'return'" | tr '|' ' ')" \
    "the return's points and its shortfall"
# the next purchase (336) settles the 127 owed first: 209 reach the balance
hf_expect_exit 0 huifang --json purchase add --customer "$customer" --product VC30 --quantity 1
agree 209 "after the purchase that settles what was owed"
hf_expect_eq "0" "$(sql "SELECT owed FROM intake.points_account WHERE customer_id = $customer")" "nothing owed any more"

# ten concurrent redemptions of 50 against 209, through two intake instances on one store (so
# the row lock, not one instance's queue, decides): four succeed, never below zero
second=$((HUIFANG_PORT_BASE + 46))
HUIFANG_INTAKE_CONSUME=none hf_instance_start intake2 intake "$second" $((second + 1)) $((second + 2))
endpoints=("tcp://127.0.0.1:$(hf_service_port intake)" "tcp://127.0.0.1:$second")
pids=()
for i in $(seq 1 10); do
    (rc=0
        HUIFANG_INTAKE_ENDPOINT=${endpoints[$((i % 2))]} huifang --as A001 points redeem "$customer" \
            --points 50 --item "voucher $i" >/dev/null 2>&1 || rc=$?
        echo "$rc" >"$HF_E2E_TMP/redeem.$i") &
    pids+=($!)
done
wait "${pids[@]}"
ok=0 refused=0
for i in $(seq 1 10); do
    case $(<"$HF_E2E_TMP/redeem.$i") in
    0) ok=$((ok + 1)) ;;
    2) refused=$((refused + 1)) ;;
    *) hf_fail "redemption $i exited $(<"$HF_E2E_TMP/redeem.$i")" ;;
    esac
done
hf_expect_eq "4 6" "$ok $refused" "four of ten redemptions fit in 209 points"
grep -q 'command=points_redeem status=' "$HF_E2E_TMP/intake2.log" || hf_fail "the second intake redeemed nothing"
agree 9 "after the concurrent redemptions"
hf_expect_eq "0" "$(sql "SELECT count(*) FROM intake.points_ledger WHERE balance_after < 0")" "never below zero"

# the events, and the points report (issued 1010 + 336 + 209, redeemed 800 + 200, taken back 546)
hf_expect_exit 0 huifang events tail --from-seq 1 --topic intake.points_ --no-follow
hf_expect_contains "$HF_OUT" '"points_earned":{"entry":{' "earned is an event"
hf_expect_contains "$HF_OUT" '"points_redeemed":{"entry":{' "redeemed is an event"
hf_expect_contains "$HF_OUT" '"points_reversed":{"entry":{' "reversed is an event"
report() { # the TOTAL row: issued, redeemed, taken back, adjusted, owed, outstanding
    huifang report points --month 2026-11 --format csv >"$HF_E2E_TMP/report.csv" &&
        grep -q "^TOTAL,$1$" "$HF_E2E_TMP/report.csv"
}
hf_wait_until 20 report 1555,1000,546,0,127,9
hf_expect_exit 0 huifang report points --month 2026-11
hf_expect_contains "$HF_OUT" "points by day" "the report's table"
hf_expect_exit 2 huifang report points --week 2026-W45

# one person, two records: a merge moves the other's points with an adjust row on each
# ledger (both still explain their balances); the report counts them moved, not issued
hf_expect_exit 0 huifang purchase add --customer "$other" --product VC30 --quantity 1
hf_expect_eq 336 "$(balance "$other")" "the other's own purchase"
hf_expect_exit 0 huifang customer merge "$customer" "$other"
agree 345 "after the merge"
hf_expect_eq "0 0" "$(sql "SELECT balance, coalesce((SELECT sum(delta) FROM intake.points_ledger WHERE customer_id = $other), 0) FROM intake.points_account WHERE customer_id = $other" | tr '|' ' ')" \
    "the merged record's ledger ends at zero"
hf_expect_exit 0 huifang points show "$customer"
hf_expect_contains "$HF_OUT" "merged from customer $other" "the kept ledger says where the points came from"
hf_wait_until 20 report 1891,1000,546,0,127,345
hf_log "points: ledger and balance agree; refusals change nothing; concurrent redemptions hold"
