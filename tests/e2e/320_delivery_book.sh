#!/usr/bin/env bash
# shellcheck disable=SC1010  # "delivery done ID": done is an argument here, not a keyword
# An order taken on a follow-up call: call_logged carries the product and quantity, intake
# records it as the customer's next purchase (a new form) and the scheduler starts the
# repurchase's plan — all from events; the referral the customer gave becomes a lead of its
# own. The order for home delivery becomes an entry of the delivery book (to the address
# given, or the customer's); only a deliverer (or a supervisor) marks it delivered; two
# deliverers pressing at once deliver it once, and every later `delivery done` is a conflict
# (exit 4) — it can never be delivered twice. Both moves are published (delivery_requested,
# delivery_delivered). Needs intake's part (an order in call_logged is a purchase).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"

hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
hf_expect_exit 0 huifang agent add D001 --name 'Sun Qiang' --role deliver --regions chaoyang
hf_expect_exit 0 huifang agent add D002 --name 'Ma Lin' --role deliver --regions chaoyang
hf_expect_exit 0 huifang agent add M001 --name 'Gao Yan' --role manager
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 \
    --plan monthly-course
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345678 --channel counter \
    --region chaoyang --address 'Chaoyang Rd 8'
customer=$(cl_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang --json purchase add --customer "$customer" --product VC30 --quantity 1
first=$(cl_json_get "$HF_OUT" id)

hf_expect_exit 0 huifang clock advance 10d
hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -q '\"state\":\"assigned\"'"
hf_expect_exit 0 huifang --as A001 --json task next
task=$(cl_json_get "$HF_OUT" task.id)

# a delivery needs an order; the order for home opens the entry
hf_expect_exit 2 huifang --as A001 call log --task "$task" --outcome connected --delivery home
hf_expect_contains "$HF_ERR" "--delivery" "no delivery without an order"
hf_expect_exit 0 huifang --as A001 --json call log --task "$task" --outcome connected --effect good \
    --order 2 --order-product VC30 --delivery home --delivery-address 'Chaoyang Rd 8, flat 301' \
    --referral-name 'Zhao Lei' --referral-phone 13900001111 --note 'two more boxes for the winter'
mapfile -t v <<<"$(cl_json_values "$HF_OUT" id delivery_id)"
contact=${v[0]} delivery=${v[1]}
[[ $delivery =~ ^[1-9][0-9]*$ ]] || hf_fail "the order for home delivery opened no entry: $HF_OUT"

# the order is the customer's second purchase, and the scheduler starts its plan
hf_wait_until 10 bash -c "test \$(huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow | grep -c .) -eq 2"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow
plans=$HF_OUT
second=$(cl_json_get "$plans" 1.plan_started.purchase_id)
[[ $second != "$first" ]] || hf_fail "the order is a new purchase, not purchase $first"
cl_json_expect "$plans" 1.plan_started.customer_id "$customer" \
    1.plan_started.template monthly-course 1.plan_started.tasks.0.purpose care \
    1.plan_started.tasks.0.due_at 2026-11-22T01:00:00.000Z
hf_expect_exit 0 huifang --json customer show "$customer"
cl_json_expect "$HF_OUT" purchases.1.id "$second" purchases.1.product VC30 purchases.1.quantity 2 \
    purchases.1.nth 2 purchases.1.date 2026-11-12 customer.card_type customer
# the referral is a lead of its own
hf_wait_until 10 huifang customer find 13900001111
hf_expect_exit 0 huifang --json customer find 13900001111
cl_json_expect "$HF_OUT" name 'Zhao Lei' region chaoyang

hf_expect_exit 0 huifang --json delivery list --pending
hf_expect_eq 1 "$(printf '%s\n' "$HF_OUT" | grep -c .)" "one pending delivery"
cl_json_expect "$HF_OUT" id "$delivery" source call contact_id "$contact" customer_id "$customer" \
    address "Chaoyang Rd 8, flat 301" product VC30 quantity 2 state pending agent A001 \
    name "Wang Fang" phone 13812345678 region chaoyang deliverer ""
hf_expect_exit 0 huifang delivery list --pending
hf_expect_contains "$HF_OUT" "138****5678" "the phone is masked in the table"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic calllog.delivery_requested --no-follow
hf_expect_eq "$delivery" "$(cl_json_get "$HF_OUT" delivery_requested.delivery.id)" "delivery_requested"

# only a deliverer (or a supervisor) marks it, and says who they are
hf_expect_exit 2 huifang delivery done "$delivery"
hf_expect_contains "$HF_ERR" "--as is required" "who delivered"
hf_expect_exit 4 huifang --as A001 delivery done "$delivery"
hf_expect_contains "$HF_ERR" "only a deliverer" "a phone agent does not deliver"
hf_expect_exit 3 huifang --as D001 delivery done 999999
hf_expect_exit 2 huifang --as D001 delivery done -3

# two deliverers at once: exactly one delivers it
rc1=0 rc2=0
huifang --as D001 delivery done "$delivery" >"$HF_E2E_TMP/d1.out" 2>&1 &
p1=$!
huifang --as D002 delivery done "$delivery" >"$HF_E2E_TMP/d2.out" 2>&1 &
p2=$!
wait "$p1" || rc1=$?
wait "$p2" || rc2=$?
[[ "$rc1$rc2" == 04 || "$rc1$rc2" == 40 ]] ||
    hf_fail "two deliverers at once: exits $rc1 and $rc2, want one 0 and one 4: $(cat "$HF_E2E_TMP"/d?.out)"
grep -q "already delivered" "$HF_E2E_TMP/d1.out" "$HF_E2E_TMP/d2.out" ||
    hf_fail "the loser is told it was already delivered"
winner=D001
[[ $rc1 == 0 ]] || winner=D002

# and never again, by anyone
hf_expect_exit 4 huifang --as D001 delivery done "$delivery"
hf_expect_contains "$HF_ERR" "already delivered by $winner" "a second done is a conflict"
hf_expect_exit 4 huifang --as M001 delivery done "$delivery"
hf_expect_exit 0 huifang --json delivery list
cl_json_expect "$HF_OUT" state delivered deliverer "$winner"
hf_expect_exit 0 huifang --json delivery list --pending
hf_expect_eq "" "$HF_OUT" "nothing pending"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic calllog.delivery_delivered --no-follow
hf_expect_eq 1 "$(printf '%s\n' "$HF_OUT" | grep -c .)" "delivered once"

# a retried request (same key) is the first answer, not a conflict
hf_expect_exit 0 huifang --json lead add --name 'Liu Yang' --phone 13900002222 --channel counter \
    --region chaoyang --address 'Jiuxianqiao Rd 12'
hf_expect_exit 0 huifang purchase add --customer "$(cl_json_get "$HF_OUT" customer.id)" \
    --product VC30 --quantity 1 --date 2026-11-02
hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -q '\"state\":\"assigned\"'"
hf_expect_exit 0 huifang --as A001 --json task next
task=$(cl_json_get "$HF_OUT" task.id)
hf_expect_exit 0 huifang --as A001 --json call log --task "$task" --outcome connected --order 1 \
    --delivery home
again=$(cl_json_get "$HF_OUT" delivery_id)
hf_expect_exit 0 huifang --json delivery list --pending
cl_json_expect "$HF_OUT" id "$again" address 'Jiuxianqiao Rd 12'
hf_expect_exit 0 huifang --as M001 delivery done "$again" --idempotency-key done-2
hf_expect_exit 0 huifang --as M001 delivery done "$again" --idempotency-key done-2
hf_expect_contains "$HF_OUT" "delivery $again delivered by M001" "the stored answer"
hf_expect_exit 4 huifang --as M001 delivery done "$again"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic calllog.delivery_delivered --no-follow
hf_expect_eq 2 "$(printf '%s\n' "$HF_OUT" | grep -c .)" "each entry delivered once"
