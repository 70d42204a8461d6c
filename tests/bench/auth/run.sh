#!/usr/bin/env bash
# The cost of authentication on the wire (label bench; skipped unless HF_BENCH=1): the same
# request loop (bench_auth: one client, one connection, `huifang`-style calls) against
# huifang-intake started once per configuration, side by side in one run, with each
# configuration's requests/s and p99 and its ratio to the first one.
#
# Configurations: BENCH_AUTH_CONFIGS, space-separated NAME:VAR=VALUE,VAR=VALUE items whose
# settings apply to the service and the client alike. Default, the raw ceiling first:
#   "off:HUIFANG_CURVE=off,HUIFANG_AUTH=off curve:HUIFANG_CURVE=on,HUIFANG_AUTH=off
#    full:HUIFANG_CURVE=on,HUIFANG_AUTH=on"
# (full: CURVE and the session check of every command, as in production). BENCH_AUTH_EXTRA
# appends more. BENCH_AUTH_REQUESTS (20000) and BENCH_AUTH_COMMAND (rules_get, a cheap read
# through a handler and the session check | ping, which needs no session) shape the loop. Needs the test Postgres and Redis (tests/run.sh's variables).
set -euo pipefail
if [[ ${HF_BENCH:-0} != 1 ]]; then
    echo "skipped: set HF_BENCH=1 to run the authentication benchmark"
    exit 77
fi
# shellcheck source-path=SCRIPTDIR source=../../e2e/lib.sh
source "$(dirname "$0")/../../e2e/lib.sh"
HF_TEST_NAME=bench_auth

configs=${BENCH_AUTH_CONFIGS:-off:HUIFANG_CURVE=off,HUIFANG_AUTH=off curve:HUIFANG_CURVE=on,HUIFANG_AUTH=off full:HUIFANG_CURVE=on,HUIFANG_AUTH=on}
[[ -z ${BENCH_AUTH_EXTRA:-} ]] || configs+=" $BENCH_AUTH_EXTRA"
requests=${BENCH_AUTH_REQUESTS:-20000}
command=${BENCH_AUTH_COMMAND:-rules_get}
[[ -x $HF_BIN/bench_auth ]] || hf_fail "$HF_BIN/bench_auth is not built"

export HUIFANG_LOG_LEVEL=warn
hf_stack_start intake   # keys for the stack (CURVE on); each configuration restarts intake
# the branch whose rules are read (as the stack's admin session, HUIFANG_TOKEN)
hf_expect_exit 0 huifang branch add "$HUIFANG_BRANCH" --name Bench
endpoint=tcp://127.0.0.1:$(hf_service_port intake)
# Rounds in alternating order (forward, backward, ...): a machine growing busier or quieter
# during the run does not favour the configurations measured last; each keeps its best round.
rounds=${BENCH_AUTH_ROUNDS:-3}
read -ra items <<<"$configs"
declare -A best=()
for ((round = 0; round < rounds; round++)); do
    order=("${items[@]}")
    if ((round % 2)); then
        order=()
        for ((i = ${#items[@]} - 1; i >= 0; i--)); do order+=("${items[i]}"); done
    fi
    for item in "${order[@]}"; do
        name=${item%%:*}
        settings=${item#*:}
        [[ $settings != "$item" ]] || settings=""
        hf_service_stop intake
        (
            IFS=, read -ra pairs <<<"$settings"
            for pair in "${pairs[@]}"; do
                [[ -n $pair ]] && export "${pair?}"
            done
            hf_service_start intake
            "$HF_BIN/bench_auth" "$name" "$endpoint" intake "$requests" "$command"
            hf_service_stop intake
        ) >"$HF_E2E_TMP/result-$name" || hf_fail "configuration $name failed (see above)"
        line=$(tail -n 1 "$HF_E2E_TMP/result-$name")
        read -r _ rps _ _ answered <<<"$line"
        ((answered == requests)) || hf_fail "$name: $answered of $requests answered"
        read -r _ was _ <<<"${best[$name]:-x 0 x}"
        ((rps > was)) && best[$name]=$line
        hf_service_start intake
    done
done
results=()
for item in "${items[@]}"; do
    results+=("${best[${item%%:*}]}")
done

printf '\n%-12s %12s %10s %10s %8s %10s\n' CONFIG 'REQUESTS/S' 'P50 US' 'P99 US' 'VS 1ST' 'P99 VS 1ST'
read -r _ base_rps _ base_p99 _ <<<"${results[0]}"
for r in "${results[@]}"; do
    read -r name rps p50 p99 answered <<<"$r"
    awk -v n="$name" -v r="$rps" -v a="$p50" -v p="$p99" -v br="$base_rps" -v bp="$base_p99" \
        'BEGIN { printf "%-12s %12d %10d %10d %7.2fx %9.2fx\n", n, r, a, p, r / br, p / bp }'
    ((answered == requests)) || hf_fail "$name: $answered of $requests answered"
done
