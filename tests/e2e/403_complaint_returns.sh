#!/usr/bin/env bash
# Returns: an agent files the request with what was used and whether the pack is opened; the
# refund keeps a depreciation fee (unit price x used) and, for an opened pack, the branch's
# packaging fee, never going below zero; only a manager decides — an agent's or a head's
# attempt is refused (exit 4) and nothing waits for later; the decision is an event.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --tz Asia/Shanghai
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone
hf_expect_exit 0 huifang agent add H001 --name 'Zhao Lei' --role head
hf_expect_exit 0 huifang agent add M001 --name 'Sun Hong' --role manager
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345678 --channel counter
customer=$(hf_json_get "$HF_OUT" customer.id)
purchase() {
    huifang --json purchase add --customer "$customer" --product VC30 --quantity "$1" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p'
}
p3=$(purchase 3)
p2=$(purchase 2)
p1=$(purchase 1)

# three boxes at 168.00, one used, the pack opened: 504.00 - 168.00 - 10 % of 504.00
ask=(huifang --as A001 return request --purchase "$p3" --used 1 --packaging opened
    --reason 'no effect after a month' --idempotency-key return-p3)
hf_wait_until 10 "${ask[@]}"
hf_expect_exit 0 "${ask[@]}"
hf_expect_contains "$HF_OUT" "requested" "requested"
hf_expect_contains "$HF_OUT" "504.00" "the price paid"
hf_expect_contains "$HF_OUT" "168.00 (1 used x 168.00)" "the depreciation fee"
hf_expect_contains "$HF_OUT" "50.40 (opened)" "the packaging fee"
hf_expect_contains "$HF_OUT" "refund       285.60" "the refund"
rid=$(sed -n 's/^return \([0-9]*\) .*/\1/p' <<<"$HF_OUT")
hf_expect_exit 4 huifang --as A001 return request --purchase "$p3" --used 0 --packaging intact --reason again
hf_expect_contains "$HF_ERR" "already has return $rid" "one live request per purchase"

# bad input names the field
hf_expect_exit 2 huifang --as A001 return request --purchase "$p2" --used 3 --packaging intact --reason x
hf_expect_contains "$HF_ERR" "used 3 is more than the 2 bought" "used beyond the purchase"
hf_expect_exit 2 huifang --as A001 return request --purchase "$p2" --used 1 --packaging torn --reason x
hf_expect_contains "$HF_ERR" "--packaging" "packaging named"
hf_expect_exit 2 huifang --as A001 return request --purchase "$p2" --used 1 --packaging intact
hf_expect_contains "$HF_ERR" "--reason is required" "a reason"
hf_expect_exit 3 huifang --as A001 return request --purchase 9999 --used 0 --packaging intact --reason x

# only a manager decides: the agent and the head are refused, and nothing is queued
hf_expect_exit 4 huifang --as A001 return approve "$rid"
hf_expect_contains "$HF_ERR" "not allowed: return_decide needs the role manager or admin; A001 is phone" "the agent is refused"
hf_expect_exit 4 huifang --as H001 return approve "$rid"
hf_expect_exit 3 huifang --as Z999 return approve "$rid"
hf_expect_contains "$HF_ERR" "no account and no active agent of that id" "no one to act for"
hf_expect_exit 4 huifang return approve "$rid"
hf_expect_contains "$HF_ERR" "admin is not an agent of branch" "the admin is no manager of the branch"
hf_expect_exit 0 huifang --json return list --pending
hf_expect_contains "$HF_OUT" "\"id\":$rid," "still waiting for a manager"
hf_expect_exit 0 huifang --json customer show "$customer"
hf_expect_eq "100800 member" "$(hf_json_get "$HF_OUT" customer.spend_fen) $(hf_json_get "$HF_OUT" customer.tier)" \
    "1,008.00 spent: a member"
hf_expect_exit 0 huifang --as M001 --json return approve "$rid"
hf_expect_contains "$HF_OUT" '"state":"approved","refund_fen":28560,"decided_by":"M001"' "approved by the manager"
# the refund comes off the customer's spend and the tier follows (intake reads the decision
# right after it: the client names the event): 1,008.00 - 285.60 = 722.40, below 1,000
hf_expect_exit 0 huifang --json customer show "$customer"
hf_expect_eq "72240 regular" "$(hf_json_get "$HF_OUT" customer.spend_fen) $(hf_json_get "$HF_OUT" customer.tier)" \
    "the refund lowers spend and tier"
hf_expect_exit 4 huifang --as M001 return approve "$rid"
hf_expect_contains "$HF_ERR" "approved already" "decided once"
hf_expect_exit 4 huifang --as M001 return reject "$rid" --reason late
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic complaint.return_decided --no-follow | grep -q '\"purchase_id\":$p3,'"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic complaint.return --no-follow
hf_expect_contains "$HF_OUT" '"return_requested":{"request":{"id":'"$rid"',' "requested is an event"
hf_expect_contains "$HF_OUT" '"state":"approved"' "approval is an event"

# an intact pack, nothing used: everything back; a rejection needs a reason
hf_wait_until 10 huifang --as A001 return request --purchase "$p2" --used 0 --packaging intact \
    --reason 'bought twice by mistake' --idempotency-key return-p2
hf_expect_exit 0 huifang --as A001 return request --purchase "$p2" --used 0 --packaging intact \
    --reason 'bought twice by mistake' --idempotency-key return-p2
hf_expect_contains "$HF_OUT" "refund       336.00" "all of it back"
r2=$(sed -n 's/^return \([0-9]*\) .*/\1/p' <<<"$HF_OUT")
hf_expect_exit 2 huifang --as M001 return reject "$r2"
hf_expect_exit 0 huifang --as M001 return reject "$r2" --reason 'past the return period'
hf_expect_contains "$HF_OUT" "rejected" "rejected"
# rejected, the purchase may be asked again — now under a fixed packaging fee of 20.00
hf_expect_exit 4 huifang --as A001 return policy --opened-fee 20
hf_expect_exit 0 huifang --as M001 return policy --opened-fee 20
hf_expect_contains "$HF_OUT" "20.00 yuan + 0.00% of the price paid" "the new policy"
hf_expect_exit 0 huifang --as A001 return request --purchase "$p2" --used 0 --packaging opened --reason 'again'
hf_expect_contains "$HF_OUT" "refund       316.00" "336.00 - 20.00"

# the whole supply used and opened: nothing back, never below zero
hf_wait_until 10 huifang --as A001 return request --purchase "$p1" --used 1 --packaging opened \
    --reason 'used up' --idempotency-key return-p1
hf_expect_exit 0 huifang --as A001 return request --purchase "$p1" --used 1 --packaging opened \
    --reason 'used up' --idempotency-key return-p1
hf_expect_contains "$HF_OUT" "refund       0.00" "never below zero"
hf_expect_exit 0 huifang return list
hf_expect_eq 4 "$(grep -c "^[0-9]" <<<"$HF_OUT")" "four requests in the register"
