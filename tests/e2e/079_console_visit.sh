#!/usr/bin/env bash
# The doctor's home-visit sheet in the web console (issue 12; tests/browser/visit.test.mjs):
# an adverse effect logged on a care call raises a doctor's visit; the doctor signs in, opens
# it from the bag, and the outcome form carries the patient service sheet (blood pressure,
# pulse, symptoms, findings), posted to POST /api/v1/visits (calllog visit_log). Then the
# record is checked with the CLI, and the route's errors. Screenshots:
# build/screenshots/console-visit/.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=gateway_lib.sh
source "$(dirname "$0")/gateway_lib.sh"

chromium=${CHROMIUM:-/usr/bin/chromium}
[[ -x $chromium ]] || hf_fail "no browser at $chromium: install the Debian package chromium (deploy/lib.sh lists it in HF_PACKAGES)"
gw_node_ready
gw_prepare
hf_expect_exit 0 huifang agent add DR01 --name 'Dr. Guo Ping' --role doctor --regions chaoyang --daily-visits 6
hf_expect_exit 0 huifang user add DR01 --role doctor --password-stdin <<<"doctor-pass-1"
hf_expect_exit 0 huifang --as A001 task next
hf_expect_exit 0 huifang --as A001 call log --task "$GW_CARE" --outcome connected --effect adverse \
    --note 'rash on both arms'
hf_wait_until 20 bash -c "huifang --json worklist --agent DR01 | grep -q '\"channel\":\"visit\"'"
hf_expect_exit 0 huifang --json worklist --agent DR01
visit=$(hf_json_get "$(head -n 1 <<<"$HF_OUT")" id)

# the route's errors first: nothing logged by them
gw_login DR01 doctor-pass-1
gw_api POST /api/v1/visits "{\"task_id\":$visit,\"outcome\":\"connected\",\"findings\":{\"pulse\":\"fast\"}}"
gw_expect 400 "a pulse that is not a number"
hf_expect_eq findings.pulse "$(hf_json_get "$GW_BODY" field)" "names the field"
gw_api POST /api/v1/visits "{\"task_id\":$visit,\"outcome\":\"connected\",\"findings\":{\"colour\":\"red\"}}"
gw_expect 400 "an unknown field of the sheet"
hf_expect_eq findings.colour "$(hf_json_get "$GW_BODY" field)" "names it"
gw_api POST /api/v1/visits "{\"task_id\":$GW_CARE,\"outcome\":\"connected\"}"
[[ $GW_STATUS == 400 || $GW_STATUS == 403 || $GW_STATUS == 409 ]] ||
    hf_fail "a phone task logged as a visit: HTTP $GW_STATUS $GW_BODY"

shots=$(cd "$HF_BIN/.." && pwd)/screenshots/console-visit
rm -rf "$shots"
hf_expect_exit 0 env GW_URL="$HF_GATEWAY_URL" SHOTS_DIR="$shots" CHROMIUM="$chromium" \
    node "$GW_NODE_DIR/visit.test.mjs"
hf_log "$(grep '^\[browser\]' <<<"$HF_OUT" | tr '\n' ' ')"

# the record: the visit's contact with its sheet
hf_expect_exit 0 huifang --json contact list --customer "$GW_CUSTOMER"
hf_expect_eq visit "$(hf_json_get "$HF_OUT" 0.channel)" "the newest contact is the visit"
hf_expect_eq DR01 "$(hf_json_get "$HF_OUT" 0.agent)" "by the doctor"
hf_expect_eq 135/88 "$(hf_json_get "$HF_OUT" 0.findings.blood_pressure)" "the blood pressure"
hf_expect_eq 76 "$(hf_json_get "$HF_OUT" 0.findings.pulse)" "the pulse"
hf_expect_eq "双臂皮疹" "$(hf_json_get "$HF_OUT" 0.findings.symptoms)" "the symptoms"
gw_api POST /api/v1/visits "{\"task_id\":$visit,\"outcome\":\"connected\"}"
gw_expect 409 "a visit is logged once"
