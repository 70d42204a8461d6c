#!/usr/bin/env bash
# The agent's screens of the console in Debian's chromium (tests/browser/agent.test.mjs),
# through the real stack on the manual clock: the whole loop by the keyboard alone (sign in,
# N, an outcome key, Enter); the outcome form with every field of the record sheet (usage,
# effect, advice, order and delivery, referral, invitation, typical case, next date), which
# reaches the services (the order a purchase, the delivery an entry, the referral a lead);
# a callback due in 20 minutes highlighted in the bag; tomorrow's preview; the customer
# screens: search by phone, profile, timeline, an edit, do-not-disturb and opt-out, as
# intake then has them; an agent refused the supervisors' pages.
# Screenshots: <build>/screenshots/console-agent/.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=gateway_lib.sh
source "$(dirname "$0")/gateway_lib.sh"

chromium=${CHROMIUM:-/usr/bin/chromium}
[[ -x $chromium ]] || hf_fail "no browser at $chromium: install the Debian package chromium (deploy/lib.sh lists it in HF_PACKAGES)"
gw_node_ready
gw_prepare
# two more customers who bought ten days ago: their day-10 care calls are in today's bag too
for who in 'Liu Yang:13900001001' 'Zhao Lei:13900001002'; do
    hf_expect_exit 0 huifang --json lead add --name "${who%%:*}" --phone "${who##*:}" --channel counter --region chaoyang
    id=$(hf_json_get "$HF_OUT" customer.id)
    hf_expect_exit 0 huifang purchase add --customer "$id" --product VC30 --quantity 1 --date 2026-11-02
done
hf_wait_until 10 bash -c "test \$(huifang --json worklist --agent A001 | grep -c '\"purpose\":\"care\"') -ge 3"

shots=$(cd "$HF_BIN/.." && pwd)/screenshots/console-agent
rm -rf "$shots"
hf_expect_exit 0 env GW_URL="$HF_GATEWAY_URL" SHOTS_DIR="$shots" CUSTOMER="$GW_CUSTOMER" CHROMIUM="$chromium" \
    node "$GW_NODE_DIR/agent.test.mjs"
hf_log "$(grep '^\[browser\]' <<<"$HF_OUT" | tr '\n' ' ')"

# what the browser did reached the services: the full form's call ...
hf_wait_until 10 bash -c "huifang --json customer find 13911112222 | grep -q 'Sun Hao'"
hf_expect_exit 0 huifang --json customer find 13911112222
hf_expect_contains "$HF_OUT" '"name":"Sun Hao"' "the referral became a lead of BJ01"
hf_wait_until 10 bash -c "huifang delivery list | grep -q VC30"
# the second call of the day (the full form) was to Liu Yang or Zhao Lei: the order of 2 is
# a purchase of one of them
ordered=""
for phone in 13900001001 13900001002; do
    hf_expect_exit 0 huifang --json customer find "$phone"
    id=$(grep -o '"id":[0-9]*' <<<"$HF_OUT" | head -n 1 | cut -d: -f2)
    hf_expect_exit 0 huifang --json customer show "$id"
    [[ $HF_OUT == *'"quantity":2'* ]] && ordered=$id
done
[[ -n $ordered ]] || hf_fail "the order of 2 became nobody's purchase"
hf_expect_exit 0 huifang --json customer show "$GW_CUSTOMER"
detail=$HF_OUT
# ... and the customer screens' changes
hf_expect_contains "$detail" '"hobbies":"太极拳"' "the edit"
hf_expect_contains "$detail" '"dnd_reason":"hospital"' "do-not-disturb"
hf_expect_contains "$detail" '"opted_out":true' "the opt-out"
hf_expect_contains "$detail" '"opt_out_reason":"不需要回访"' "its reason"
# the keyboard-only call (no answer) was logged: two attempts and more in A001's day
hf_expect_exit 0 huifang --json report agent-daily --agent A001
hf_log "$(grep -o '"cells":\["A001"[^]]*\]' <<<"$HF_OUT" | head -n 1)"
for shot in 01-keyboard-login 02-full-form 03-logged 04-callback-soon 05-customer-search 06-customer-profile 07-customer-changed 08-agent-no-complaints; do
    [[ -s $shots/$shot.png ]] || hf_fail "no screenshot $shots/$shot.png"
done
