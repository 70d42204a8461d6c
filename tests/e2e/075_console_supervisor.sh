#!/usr/bin/env bash
# The supervisor's, manager's and hq's screens of the console in Debian's chromium
# (tests/browser/supervisor.test.mjs), through the real stack on the manual clock: the manager
# approves a return in the browser (the refund shown, the service then has it approved); the
# open complaint's clock counts down every second and, once the manual clock passes its due
# time, shows the escalation (level 1, failed) by the live stream without a reload; QA scores a
# sampled call; a CSV of 120 leads (3 bad) imports with the progress bar to the end and the
# rejected rows as a CSV file; every report renders as tables and charts (per-agent bars, the
# funnel, the trend) with a CSV download; hq sees BJ01 and SH01 side by side and customers
# masked, with no edit forms. First: the committed chart bundle (vendor/echarts.js) is what the
# lockfile builds. Screenshots: <build>/screenshots/console-supervisor/.
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
# the committed chart bundle is what the lockfile's echarts and esbuild make
hf_expect_exit 0 node "$GW_NODE_DIR/bundle-charts.mjs" "$HF_E2E_TMP/echarts.js"
cmp -s "$HF_E2E_TMP/echarts.js" "$HF_SOURCE/services/gateway/console/vendor/echarts.js" ||
    hf_fail "services/gateway/console/vendor/echarts.js is not what tests/browser/bundle-charts.mjs builds from the lockfile: run it again and commit"
gw_prepare
hf_expect_exit 0 huifang user add Q001 --role hq --branches BJ01,SH01 --password-stdin <<<"hq-pass-1"
# every call of the day is sampled for QA
cl_wait_supervisor M001
hf_expect_exit 0 huifang --as M001 call review rate 100
# A001 works the care call: connected, one box ordered
hf_expect_exit 0 huifang --as A001 task next
hf_expect_exit 0 huifang --as A001 call log --task "$GW_CARE" --outcome connected --order 1 --order-product VC30
# a return of the customer's purchase waits for the manager
hf_expect_exit 0 huifang --json customer show "$GW_CUSTOMER"
purchase=$(hf_json_get "$HF_OUT" purchases.0.id)
ask=(huifang --as A001 --json return request --purchase "$purchase" --used 0 --packaging intact --reason 'no effect' --idempotency-key gw-return)
hf_wait_until 10 "${ask[@]}"
hf_expect_exit 0 "${ask[@]}"
rid=$(hf_json_get "$HF_OUT" id)
# an open complaint: due in 24 hours
file=(huifang --as A001 --json complaint file --customer "$GW_CUSTOMER" --category attitude --text 'rude on the phone' --idempotency-key gw-complaint)
hf_wait_until 10 "${file[@]}"
hf_expect_exit 0 "${file[@]}"
complaint=$(hf_json_get "$HF_OUT" id)
# a lead file: 120 rows, rows 11, 52 and 99 with a phone that is not one; names have no
# digits (intake refuses those): "Lead " and the row's number in letters
word() {
    local n=$1 s=""
    while ((n > 0)); do
        s=$(printf "\\x$(printf %x $((97 + n % 26)))")$s
        n=$((n / 26))
    done
    echo "${s^}"
}
csv=$HF_E2E_TMP/leads.csv
{
    echo 'name,phone,region,note'
    for i in $(seq 1 120); do
        case $i in 10 | 51 | 98) phone=12345 ;; *) phone=$(printf '1370000%04d' "$i") ;; esac
        printf 'Lead %s,%s,chaoyang,"imported, row %d"\n' "$(word "$i")" "$phone" "$i"
    done
} >"$csv"

shots=$(cd "$HF_BIN/.." && pwd)/screenshots/console-supervisor
rm -rf "$shots"
hf_expect_exit 0 env GW_URL="$HF_GATEWAY_URL" SHOTS_DIR="$shots" RETURN_ID="$rid" COMPLAINT_ID="$complaint" \
    LEADS_CSV="$csv" CHROMIUM="$chromium" node "$GW_NODE_DIR/supervisor.test.mjs"
hf_log "$(grep '^\[browser\]' <<<"$HF_OUT" | tr '\n' ' ')"

# what the browser did reached the services
hf_expect_exit 0 huifang --json return list
hf_expect_contains "$(grep "\"id\":$rid," <<<"$HF_OUT")" '"state":"approved"' "the return approved in the browser"
hf_expect_exit 0 huifang --json call review list --date 2026-11-12
hf_expect_contains "$HF_OUT" '"score":4' "the QA score"
hf_expect_exit 0 huifang --json customer find 13700000120
hf_expect_contains "$HF_OUT" "\"name\":\"Lead $(word 120)\"" "the last row imported"
hf_expect_exit 3 huifang --json customer find "Lead $(word 10)" # the rejected row 11: nobody
hf_expect_exit 0 huifang --json plan show monthly-course
hf_expect_contains "$(grep -o '"step_no":1,[^}]*' <<<"$HF_OUT" | head -n 1)" '"offset_days":12' "step 1 as edited in the browser"
for shot in 11-plans 01-returns 02-approved 03-complaint-clock 04-complaint-escalated 05-qa 06-import 07-report-agent-daily 08-report-weekly 09-hq-side-by-side 10-hq-customer-masked; do
    [[ -s $shots/$shot.png ]] || hf_fail "no screenshot $shots/$shot.png"
done
