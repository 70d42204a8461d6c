#!/usr/bin/env bash
# Read your own writes through the gateway (issue 12): an agent logs a call's outcome and at
# once, on the same connection, asks for the next call, again and again until the bag is
# empty. The gateway keeps the place of each event the browser session's commands emitted
# (Reply.written) and sends them with the session's next requests (Request.after), so the
# scheduler answers `task next` only after it applied the call_logged event: the next card is
# never the call just logged, and no outcome is refused as already logged (409). Without the
# places, the scheduler's copy lags the calllog's and some cards come back (the benchmark saw
# 79 of 479 logs answered 409).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=gateway_lib.sh
source "$(dirname "$0")/gateway_lib.sh"

gw_prepare # the clock stands on 2026-11-12, A001's care call of a purchase of 2026-11-02 is due

# more customers who bought on 2026-11-02: their day-10 care calls are in A001's bag today
extra=${GW_ROW_CALLS:-30}
for ((i = 1; i <= extra; i++)); do
    out=$(huifang --json lead add --name "Customer $(tr 0-9 a-j <<<"$i")" --phone "$(printf '139%08d' "$i")" \
        --channel counter --region chaoyang) || hf_fail "lead add $i: $out"
    huifang purchase add --customer "$(hf_json_get "$out" customer.id)" --product VC30 --quantity 1 \
        --date 2026-11-02 >/dev/null || hf_fail "purchase add for lead $i"
done
want=$((extra + 1))
hf_wait_until 60 bash -c "test \$(huifang --json worklist --agent A001 | grep -c '\"purpose\":\"care\"') -ge $want"

gw_login A001 agent-pass-1
gw_api POST /api/v1/tasks/next '{}'
gw_expect 200 "the first card"
task=$(hf_json_get "$GW_BODY" task.id)
done_ids=" "
logged=0
for ((round = 0; round < want + 5; round++)); do
    [[ $done_ids != *" $task "* ]] || hf_fail "round $round: the next card is task $task, whose outcome was logged already"
    # the outcome, then at once (same curl, same connection) the next card
    codes=$(curl -sS -b "$HF_E2E_TMP/jar.A001" -c "$HF_E2E_TMP/jar.A001" \
        -H "X-CSRF-Token: $GW_CSRF" -H 'Content-Type: application/json' \
        -o "$HF_E2E_TMP/call.body" -w '%{http_code} ' -X POST \
        --data-binary "{\"task_id\":$task,\"outcome\":\"connected\",\"effect\":\"good\",\"note\":\"row $round\"}" \
        "$HF_GATEWAY_URL/api/v1/calls" \
        --next -b "$HF_E2E_TMP/jar.A001" -H "X-CSRF-Token: $GW_CSRF" -H 'Content-Type: application/json' \
        -o "$HF_E2E_TMP/next.body" -w '%{http_code}' -X POST --data-binary '{}' \
        "$HF_GATEWAY_URL/api/v1/tasks/next") || hf_fail "curl failed in round $round"
    read -r call_code next_code <<<"$codes"
    [[ $call_code == 200 ]] || hf_fail "round $round: the outcome of task $task answered $call_code: $(<"$HF_E2E_TMP/call.body")"
    logged=$((logged + 1))
    done_ids+="$task "
    if [[ $next_code != 200 ]]; then
        hf_expect_eq 404 "$next_code" "the bag is empty: $(<"$HF_E2E_TMP/next.body")"
        break
    fi
    task=$(hf_json_get "$(<"$HF_E2E_TMP/next.body")" task.id)
done
hf_expect_eq "$want" "$logged" "every call of the bag logged once, none answered 409"
hf_log "logged $logged outcomes, each followed at once by the next card: no 409"
