#!/usr/bin/env bash
# The web console in Debian's chromium (playwright-core from npm drives it) through the real
# stack and the gateway, on the manual clock: an agent signs in (zh-CN by default), sees the
# day-10 care call in today's bag, opens the next-call card with N (the phone shown only
# there), logs "connected" with key 1; the English switch works; the agent cannot open the
# manager's return queue, which the manager can; the manager's wallboard, open in another
# browser, counts the call done within a second, without a reload (the live stream).
# Screenshots: <build>/screenshots/console/.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=gateway_lib.sh
source "$(dirname "$0")/gateway_lib.sh"

chromium=${CHROMIUM:-/usr/bin/chromium}
[[ -x $chromium ]] || hf_fail "no browser at $chromium: install the Debian package chromium (deploy/lib.sh lists it in HF_PACKAGES)"
gw_node_ready
gw_prepare

shots=$(cd "$HF_BIN/.." && pwd)/screenshots/console
rm -rf "$shots"
hf_expect_exit 0 env GW_URL="$HF_GATEWAY_URL" SHOTS_DIR="$shots" CARE_TASK="$GW_CARE" CHROMIUM="$chromium" \
    node "$GW_NODE_DIR/console.test.mjs"
hf_log "$(grep '^\[browser\]' <<<"$HF_OUT" | tr '\n' ' ')"
# what the browser did reached the services
hf_wait_until 10 bash -c "huifang --json task show $GW_CARE | grep -q '\"state\":\"done\"'"
hf_expect_exit 0 huifang --json task show "$GW_CARE"
hf_expect_eq connected "$(hf_json_get "$HF_OUT" task.outcome)" "the outcome the agent chose with key 1"
for shot in 01-login 02-my-day 03-next-call 04-outcome-form 05-logged 06-english 07-agent-no-returns 08-manager-returns 09-wallboard; do
    [[ -s $shots/$shot.png ]] || hf_fail "no screenshot $shots/$shot.png"
done
