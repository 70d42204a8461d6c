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
# ---- the new routes' refusals through the API: the right status, the field, nothing changed
gw_login A001 agent-pass-1
gw_api PATCH "/api/v1/customers/$GW_CUSTOMER" '{"fields":{"hobby":"x"}}'
gw_expect 400 "an unknown field of the edit"
hf_expect_eq fields.hobby "$(hf_json_get "$GW_BODY" field)" "names the field"
gw_api PATCH "/api/v1/customers/$GW_CUSTOMER" '{"fields":{"birth":"2099-01-01"}}'
gw_expect 400 "a birth date in the future"
hf_expect_eq birth "$(hf_json_get "$GW_BODY" field)" "names the field"
gw_api PATCH "/api/v1/customers/$GW_SH_CUSTOMER" '{"fields":{"hobbies":"x"}}'
gw_expect 404 "another branch's customer is not found"
gw_api POST "/api/v1/customers/$GW_SH_CUSTOMER/opt-out" '{"reason":"x"}'
gw_expect 404 "no opt-out of another branch's customer"
gw_api POST "/api/v1/customers/$GW_CUSTOMER/dnd" '{"until":"2026-11-20","reason":"holiday"}'
gw_expect 400 "a reason that is not one"
hf_expect_eq reason "$(hf_json_get "$GW_BODY" field)" "names the field"
gw_api POST "/api/v1/customers/$GW_CUSTOMER/dnd" '{"until":"2026-11-20"'
gw_expect 400 "malformed JSON"
gw_api POST /api/v1/imports '{"rows":[{"line":2,"lead":{"name":"Zhou Xun","phone":"13512345678"}}],"channel":"counter"}'
gw_expect 403 "an agent imports no leads"
hf_expect_exit 3 huifang customer find 13512345678 # the refused import added nobody
gw_api POST /api/v1/absences '{"agent":"A001","from":"2026-11-13","until":"2026-11-13"}'
gw_expect 403 "an agent records no absence"
gw_api POST /api/v1/supervisor-alerts/1/ack '{}'
[[ $GW_STATUS == 403 || $GW_STATUS == 404 ]] || hf_fail "an agent acknowledges no supervisor alert: $GW_STATUS $GW_BODY"
gw_api GET '/api/v1/complaints?limit=many'
gw_expect 400 "limit must be an integer"
hf_expect_eq limit "$(hf_json_get "$GW_BODY" field)" "names the argument"
gw_api GET '/api/v1/reviews?date=2026-13-45'
gw_expect 403 "review_list is the supervisors'"
gw_api GET /api/v1/complaints/999999
gw_expect 404 "no such complaint"
GW_CSRF="" gw_api POST "/api/v1/customers/$GW_CUSTOMER/dnd" '{"clear":true}'
gw_expect 403 "no CSRF token"
hf_expect_exit 0 huifang --json customer show "$GW_CUSTOMER"
hf_expect_contains "$HF_OUT" '"dnd_until":"2026-11-20"' "do-not-disturb unchanged by the refusals"
gw_login M001 manager-pass-1
gw_api POST /api/v1/reviews/999999/score '{"score":9}'
gw_expect 400 "a score past 5"
hf_expect_eq score "$(hf_json_get "$GW_BODY" field)" "names the field"
gw_api POST /api/v1/imports '{"rows":[{"line":2,"lead":{"name":"Zhou Xun","phone":"13512345678","shoe":"42"}}]}'
gw_expect 400 "an unknown field of a row"
hf_expect_eq rows.0.lead.shoe "$(hf_json_get "$GW_BODY" field)" "names the field with its path"
gw_api POST /api/v1/absences '{"agent":"Z999","from":"2026-11-13","until":"2026-11-13"}'
[[ $GW_STATUS == 400 || $GW_STATUS == 404 ]] || hf_fail "an absence of nobody: $GW_STATUS $GW_BODY"
gw_api POST /api/v1/supervisor-alerts/999999/ack '{}'
gw_expect 404 "no such supervisor alert"

for shot in 01-keyboard-login 02-full-form 03-logged 04-callback-soon 05-customer-search 06-customer-profile 07-customer-changed 08-agent-no-complaints; do
    [[ -s $shots/$shot.png ]] || hf_fail "no screenshot $shots/$shot.png"
done
