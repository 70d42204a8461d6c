#!/usr/bin/env bash
# The call log's screens of the web console (issue 12) in a real browser through the real
# stack (tests/browser/calls.test.mjs): the consultation hotline's form (#/consult, POST and
# GET /api/v1/consultations) logs a caller who bought (a delivery opened) and a regulator's
# call; the manager's wallboard gets the call log's alert live and acknowledges it with a note
# (GET /api/v1/alerts, POST /api/v1/alerts/{id}/ack); an agent may not. The wallboard's
# orders (reporting's agent-daily) and behind-plan columns. Then the record is
# checked with the CLI, and the routes' errors. Screenshots: build/screenshots/console-calls/.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=gateway_lib.sh
source "$(dirname "$0")/gateway_lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"

chromium=${CHROMIUM:-/usr/bin/chromium}
[[ -x $chromium ]] || hf_fail "no browser at $chromium: install the Debian package chromium (deploy/lib.sh lists it in HF_PACKAGES)"
gw_node_ready
gw_prepare
cl_wait_supervisor M001
# A001 worked the care call with an order: the wallboard's orders column (reporting's
# agent-daily) says 1 once reporting counted it
hf_expect_exit 0 huifang --as A001 task next
hf_expect_exit 0 huifang --as A001 call log --task "$GW_CARE" --outcome connected --order 1 --order-product VC30
hf_wait_until 20 bash -c "huifang report agent-daily --format csv | grep -q '^A001,Li Na,1,1,1,100.0,1,'"

shots=$(cd "$HF_BIN/.." && pwd)/screenshots/console-calls
rm -rf "$shots"
hf_expect_exit 0 env GW_URL="$HF_GATEWAY_URL" SHOTS_DIR="$shots" CHROMIUM="$chromium" \
    node "$GW_NODE_DIR/calls.test.mjs"
hf_log "$(grep '^\[browser\]' <<<"$HF_OUT" | tr '\n' ' ')"

# the record, as the CLI reads it
hf_expect_exit 0 huifang consult list
hf_expect_contains "$HF_OUT" "139****6666" "the caller who bought (masked in the table)"
hf_expect_contains "$HF_OUT" "晚报广告" "with the medium"
hf_expect_contains "$HF_OUT" "朝阳区市场监督管理局" "the regulator's unit"
hf_expect_exit 0 huifang --json alerts
hf_expect_eq M001 "$(hf_json_get "$HF_OUT" acked_by)" "acknowledged by the manager"
hf_expect_eq "已回电说明广告内容" "$(hf_json_get "$HF_OUT" ack_note)" "with the note"
hf_wait_until 10 bash -c "huifang delivery list | grep -q VC30"

# the routes' errors: the field named, nothing changed
gw_login A001 agent-pass-1
gw_api POST /api/v1/consultations '{"consultation":{"name":"X","phone":"12"}}'
gw_expect 400 "a phone that is not one"
hf_expect_eq phone "$(hf_json_get "$GW_BODY" field)" "names the phone"
gw_api POST /api/v1/consultations '{"consultation":{"name":"X","phone":"13955550000","colour":"red"}}'
gw_expect 400 "an unknown field"
hf_expect_eq consultation.colour "$(hf_json_get "$GW_BODY" field)" "names it"
gw_api GET '/api/v1/consultations?date=yesterday'
gw_expect 400 "a date that is not one"
hf_expect_eq date "$(hf_json_get "$GW_BODY" field)" "names the date"
hf_expect_exit 0 huifang --json consult list
hf_expect_eq 2 "$(grep -c '"id"' <<<"$HF_OUT")" "the refused consultations logged nothing"
gw_login M001 manager-pass-1
gw_api POST /api/v1/alerts/999999/ack '{}'
gw_expect 404 "no such alert"
alert=$(huifang --json alerts | head -n 1)
gw_api POST "/api/v1/alerts/$(hf_json_get "$alert" id)/ack" '{"note":"again"}'
gw_expect 409 "acknowledged once"
