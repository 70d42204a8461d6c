#!/usr/bin/env bash
# The gateway under load (label bench; skipped unless HF_BENCH=1; tests/run.sh --bench -R
# gateway): BENCH_GW_AGENTS (200) simulated agents at once, each signed in through the gateway
# with its own session and keep-alive connection (load.mjs, Node's own http), fetching their
# bag (GET /api/v1/worklist) and working it (POST /tasks/next, POST /calls) until it is empty,
# beside the raw ceilings measured in the same run:
#   - the gateway's own HTTP ceiling: a static file (GET /favicon.svg), no service behind it;
#   - the same worklist_get straight to the scheduler over ZeroMQ, as `huifang` sends it
#     (bench_gw_zmq: one thread, connection and session token per agent, CURVE on).
# Printed: requests/s, p50 and p99 (µs) of each, and what the gateway adds to the worklist's
# p50 and p99 (gateway minus ZeroMQ, same concurrency, same command). The bags: BENCH_GW_LEADS
# (400) customers (one import) who bought ten days ago: their care calls are due today.
# BENCH_GW_REQUESTS (10): requests per agent in the worklist and static phases (each
# worklist_get writes an audit row: on a shared 2-core machine the scheduler answers a few
# hundred a second, so more only lengthens the run).
set -euo pipefail
if [[ ${HF_BENCH:-0} != 1 ]]; then
    echo "skipped: set HF_BENCH=1 to run the gateway benchmark"
    exit 77
fi
# shellcheck source-path=SCRIPTDIR source=../../e2e/lib.sh
source "$(dirname "$0")/../../e2e/lib.sh"
HF_TEST_NAME=bench_gateway

agents=${BENCH_GW_AGENTS:-200}
leads=${BENCH_GW_LEADS:-400}
requests=${BENCH_GW_REQUESTS:-10}
[[ -x $HF_BIN/bench_gw_zmq ]] || hf_fail "$HF_BIN/bench_gw_zmq is not built"
command -v node >/dev/null || hf_fail "node is needed for the load client (Debian: nodejs)"

export HUIFANG_LOG_LEVEL=warn
# the gateway's bounds opened for one address with 200 clients and as many logins
export HUIFANG_GATEWAY_MAX_PER_IP=1000 HUIFANG_GATEWAY_MAX_CONNECTIONS=1000 HUIFANG_GATEWAY_LOGINS_PER_MINUTE=100000
export HF_CLOCK_START='2026-11-02 09:30 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai
hf_expect_exit 0 huifang branch add BJ01 --name 'Bench' --tz Asia/Shanghai --windows 08:00-21:00 --lead-plans none
hf_expect_exit 0 huifang agent add H001 --name 'Head' --role head # who may count every bag
# the agents (each with a password for the gateway and a minted session for ZeroMQ)
: >"$HF_E2E_TMP/agents" >"$HF_E2E_TMP/tokens"
hf_log "adding $agents agents"
for ((i = 1; i <= agents; i++)); do
    id=$(printf 'B%03d' "$i")
    huifang agent add "$id" --name "Agent $i" --role phone --regions chaoyang --daily-calls 40 >/dev/null ||
        hf_fail "agent add $id"
    huifang user add "$id" --role phone --password-stdin <<<"bench-pass-$i" >/dev/null || hf_fail "user add $id"
    echo "$id bench-pass-$i" >>"$HF_E2E_TMP/agents"
    echo "$id $(huifang session mint --key "$HUIFANG_SESSION_KEY_FILE" --login "$id" --role phone --branches BJ01)" >>"$HF_E2E_TMP/tokens"
done
# the day's work: customers who bought ten days ago, whose day-10 care calls are due today
{
    echo 'name,phone,region'
    for ((i = 1; i <= leads; i++)); do printf 'Customer %s,139%08d,chaoyang\n' "$(tr 0-9 a-j <<<"$i")" "$i"; done
} >"$HF_E2E_TMP/leads.csv"
hf_expect_exit 0 huifang lead import "$HF_E2E_TMP/leads.csv" --channel counter
hf_log "adding $leads purchases"
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 --plan monthly-course
for ((i = 1; i <= leads; i++)); do
    huifang purchase add --customer "$i" --product VC30 --quantity 1 --date 2026-10-23 >/dev/null ||
        hf_fail "purchase add for customer $i"
done
hf_wait_until 120 bash -c "test \$(huifang --as H001 --json worklist --all | grep -c '\"purpose\":\"care\"') -ge $leads"
hf_gateway_start

# ZeroMQ first (it changes nothing), then the gateway's phases
export HUIFANG_BRANCH=BJ01
zmq=$("$HF_BIN/bench_gw_zmq" "tcp://127.0.0.1:$(hf_service_port scheduler)" "$HF_E2E_TMP/tokens" "$requests") ||
    hf_fail "bench_gw_zmq failed: $zmq"
hf_log "$zmq"
head -n 1 "$HF_E2E_TMP/tokens" >"$HF_E2E_TMP/token1"
zmq1=$("$HF_BIN/bench_gw_zmq" "tcp://127.0.0.1:$(hf_service_port scheduler)" "$HF_E2E_TMP/token1" $((requests * 20))) ||
    hf_fail "bench_gw_zmq (one client) failed: $zmq1"
hf_log "$zmq1"
gw=$(GW_URL=$HF_GATEWAY_URL AGENTS_FILE=$HF_E2E_TMP/agents REQUESTS=$requests node "$(dirname "$0")/load.mjs" 2>"$HF_E2E_TMP/load.err") ||
    hf_fail "load.mjs failed: $gw $(cat "$HF_E2E_TMP/load.err")"
hf_log "$(tr '\n' ' ' <"$HF_E2E_TMP/load.err")"

printf '\n%s agents at once (one connection each), %s leads worked; p50/p99 in microseconds\n' "$agents" "$leads"
printf '%-26s %12s %10s %10s %8s %8s\n' WHAT 'REQUESTS/S' P50 P99 OK TOTAL
row() { printf '%-26s %12s %10s %10s %8s %8s\n' "$@"; }
while read -r name rps p50 p99 ok total; do
    case $name in
    static) row 'gateway static (ceiling)' "$rps" "$p50" "$p99" "$ok" "$total" ;;
    worklist) row 'gateway GET worklist' "$rps" "$p50" "$p99" "$ok" "$total" ;;
    next) row 'gateway POST tasks/next' "$rps" "$p50" "$p99" "$ok" "$total" ;;
    calls) row 'gateway POST calls' "$rps" "$p50" "$p99" "$ok" "$total" ;;
    worklist-c1) row 'gateway worklist, 1 agent' "$rps" "$p50" "$p99" "$ok" "$total" ;;
    esac
    # a static file refused now and then under 200 connections is reported, not fatal; the
    # API's answers must all be 200
    [[ $ok == "$total" || $name == static ]] || hf_fail "$name: $ok of $total answered 200"
done <<<"$gw"
read -r _ zrps zp50 zp99 zok ztotal <<<"$zmq"
row 'zmq worklist_get (raw)' "$zrps" "$zp50" "$zp99" "$zok" "$ztotal"
read -r _ z1rps z1p50 z1p99 z1ok z1total <<<"$zmq1"
row 'zmq worklist_get, 1 agent' "$z1rps" "$z1p50" "$z1p99" "$z1ok" "$z1total"
read -r _ _ gp50 gp99 _ <<<"$(grep '^worklist ' <<<"$gw")"
read -r _ _ g1p50 g1p99 _ <<<"$(grep '^worklist-c1 ' <<<"$gw")"
printf '\nthe gateway adds to worklist: %s µs at p50, %s µs at p99 with %s agents; %s µs at p50, %s µs at p99 alone\n' \
    $((gp50 - zp50)) $((gp99 - zp99)) "$agents" $((g1p50 - z1p50)) $((g1p99 - z1p99))
[[ $(grep -c '^calls ' <<<"$gw") == 1 ]] || hf_fail "no calls phase"
