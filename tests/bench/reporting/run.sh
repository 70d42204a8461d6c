#!/usr/bin/env bash
# tests/bench/reporting/run.sh: the reporting benchmark (not part of the test suite; run it
# by hand). Loads a year of one large branch — 10,000,000 contacts (call records) and
# 10,000,000 plan steps with their customers, purchases, leads and complaints — into a fresh
# database (load.sql: raw records in bulk, rollups built from them), starts huifang-reporting
# on it, then times each report through `huifang` beside a full scan of the raw records that
# computes the same figures, and prints the ratio. The aim: every report under 100 ms.
#
#   HUIFANG_TEST_ADMIN_URL=postgresql://huifang@127.0.0.1:55505/postgres \
#   HUIFANG_TEST_REDIS_URL=redis://127.0.0.1:56505/0 \
#   HF_BIN=build/bin tests/bench/reporting/run.sh [--keep]
#
# --keep leaves the database (hf_bench_reporting) for a second run: run.sh --reuse skips the
# load when it is there.
set -euo pipefail

HF_SOURCE=${HF_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
HF_BIN=${HF_BIN:-$HF_SOURCE/build/bin}
ADMIN=${HUIFANG_TEST_ADMIN_URL:?set HUIFANG_TEST_ADMIN_URL to a Postgres admin URL}
DB=hf_bench_reporting
KEEP=0
REUSE=0
for a in "$@"; do
    case $a in
    --keep) KEEP=1 ;;
    --reuse) REUSE=1 KEEP=1 ;;
    *) echo "usage: $0 [--keep|--reuse]" >&2; exit 2 ;;
    esac
done
RUNS=${RUNS:-7}
export PATH=$HF_BIN:$PATH
TMP=$(mktemp -d /tmp/hf-bench-reporting.XXXXXX)
URL=${ADMIN%/*}/$DB
PID=""

KEEP_TMP=0
cleanup() {
    local p
    for p in $PID; do
        kill "$p" 2>/dev/null
    done
    wait 2>/dev/null
    ((KEEP)) || psql -X -q -d "$ADMIN" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
    ((KEEP_TMP)) || rm -rf "$TMP"
}
trap cleanup EXIT

exists=$(psql -X -q -t -A -d "$ADMIN" -c "SELECT count(*) FROM pg_database WHERE datname = '$DB'")
if ((REUSE == 0 || exists == 0)); then
    psql -X -q -d "$ADMIN" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
    LOAD=1
else
    LOAD=0
fi

# the whole stack on the database: reporting must find its producers (a producer that does
# not answer a replay holds reporting's loop for HUIFANG_PEER_TIMEOUT_MS each second)
export HUIFANG_STORE_URL=$URL HUIFANG_PORT_BASE=${HUIFANG_PORT_BASE:-24700} HUIFANG_BRANCH=BJ01
export HUIFANG_REDIS_URL=${HUIFANG_TEST_REDIS_URL:-redis://127.0.0.1:16379/0}
export HUIFANG_CLOCK=manual HUIFANG_CLOCK_FILE=$TMP/clock HUIFANG_LOG_LEVEL=info
date -d '2027-01-04 10:00 +0800' +%s%3N >"$HUIFANG_CLOCK_FILE"
PIDS=()
for s in intake scheduler calllog complaint reporting; do
    "huifang-$s" >"$TMP/$s.log" 2>&1 &
    PIDS+=($!)
done
PID="${PIDS[*]}"
for _ in $(seq 200); do
    huifang --timeout 500 ping >/dev/null 2>&1 && break
    sleep 0.1
done
huifang ping >/dev/null || { echo "the stack did not start; see $TMP/*.log" >&2; KEEP_TMP=1; exit 1; }
for p in $PID; do
    # a service that could not listen (the port taken by another run) has exited
    kill -0 "$p" 2>/dev/null || { echo "a service exited; see $TMP/*.log" >&2; KEEP_TMP=1; exit 1; }
done

if ((LOAD)); then
    echo "loading (10M contacts, 10M plan steps, 1M customers, 1.5M purchases, 2M leads, 100k complaints)..."
    t0=$EPOCHREALTIME
    psql -X -q -v ON_ERROR_STOP=1 -d "$URL" -f "$HF_SOURCE/tests/bench/reporting/load.sql" >/dev/null
    t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "loaded in %.0f s\n", b - a }'
fi
psql -X -q -t -A -d "$URL" -c "SELECT 'rows: contact ' || (SELECT count(*) FROM reporting.contact)
  || ', task ' || (SELECT count(*) FROM reporting.task) || ', agent_day ' || (SELECT count(*) FROM reporting.agent_day)
  || ', order_month ' || (SELECT count(*) FROM reporting.order_month) || ', lead_day '
  || (SELECT count(*) FROM reporting.lead_day) || ', repurchase_month ' || (SELECT count(*) FROM reporting.repurchase_month)"

# median of N timings (ms) of a command
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_report() {
    local i t0 t1
    for ((i = 0; i < RUNS; i++)); do
        t0=${EPOCHREALTIME/./}
        huifang report "$@" --format csv >/dev/null
        t1=${EPOCHREALTIME/./}
        echo $(((t1 - t0) / 1000))
    done | median
}
time_raw() {
    local i
    for ((i = 0; i < 3; i++)); do
        psql -X -q -d "$URL" -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' |
            awk '{s += $1} END {printf "%d\n", s}'
    done | median
}

D=2026-06-15 W=2026-W24 W0=2026-06-08 W1=2026-06-14 M=2026-06 M0=2026-06-01 M1=2026-06-30
declare -A RAW
RAW[agent-daily]="SELECT c.agent, count(*) FILTER (WHERE channel <> 'visit'),
  count(*) FILTER (WHERE channel <> 'visit' AND contacted), count(*) FILTER (WHERE order_qty > 0),
  sum(order_qty * p.price_fen), count(*) FILTER (WHERE channel = 'visit')
  FROM reporting.contact c LEFT JOIN reporting.product p ON p.branch = c.branch AND p.code = c.order_product
  WHERE c.branch = 'BJ01' AND c.day = '$D' GROUP BY c.agent;
  SELECT last_bag_agent, count(*) FROM reporting.task WHERE state = 'assigned' AND bag_day <= '$D'
  GROUP BY last_bag_agent;"
RAW[branch-weekly]="SELECT c.agent, count(*) FILTER (WHERE channel <> 'visit'),
  count(*) FILTER (WHERE contacted), count(*) FILTER (WHERE order_qty > 0), sum(order_qty * p.price_fen)
  FROM reporting.contact c LEFT JOIN reporting.product p ON p.branch = c.branch AND p.code = c.order_product
  WHERE c.day BETWEEN '$W0' AND '$W1' GROUP BY c.agent;
  SELECT count(*), count(*) FILTER (WHERE state = 'done' AND done_day <= due_day),
  count(*) FILTER (WHERE state = 'done' AND done_day > due_day), count(*) FILTER (WHERE state = 'cancelled')
  FROM reporting.task WHERE due_day BETWEEN '$W0' AND '$W1';
  SELECT count(*) FROM reporting.task WHERE state NOT IN ('done', 'cancelled') AND due_day < '2027-01-04';"
RAW[collection]="SELECT channel, kind, count(*) FROM bench.lead WHERE day BETWEEN '$W0' AND '$W1' GROUP BY 1, 2;
  SELECT source, kind, count(*) FROM bench.lead WHERE day BETWEEN '$W0' AND '$W1' GROUP BY 1, 2;
  SELECT collector, kind, count(*) FROM bench.lead WHERE day BETWEEN '$W0' AND '$W1' GROUP BY 1, 2;"
RAW[repurchase]="SELECT product, plan, count(*), count(*) FILTER (WHERE next_day - supply_end <= 30)
  FROM reporting.purchase WHERE supply_end BETWEEN '$M0' AND '$M1' GROUP BY 1, 2;"
RAW[complaints]="SELECT count(*), count(*) FILTER (WHERE resolved_at_ms > 0 AND resolved_at_ms <= due_at_ms)
  FROM reporting.complaint WHERE opened_day BETWEEN '$W0' AND '$W1';
  SELECT category, count(*) FROM reporting.complaint WHERE opened_day BETWEEN '$W0' AND '$W1' GROUP BY 1;"
RAW[sales-attribution]="SELECT coalesce(t.terminal, ''), c.agent, count(*), sum(order_qty),
  sum(order_qty * p.price_fen) FROM reporting.contact c
  LEFT JOIN reporting.terminal_map t ON t.branch = c.branch AND t.region = c.region
  LEFT JOIN reporting.product p ON p.branch = c.branch AND p.code = c.order_product
  WHERE c.order_qty > 0 AND c.day BETWEEN '$M0' AND '$M1' GROUP BY 1, 2;"

declare -A FLAGS=([agent-daily]="--date $D" [branch-weekly]="--week $W" [collection]="--week $W"
    [repurchase]="--month $M" [complaints]="--week $W" [sales-attribution]="--month $M")

# the floor of any `huifang` call here: process start and one round trip to a trivial command
floor=$(for ((i = 0; i < RUNS; i++)); do
    t0=${EPOCHREALTIME/./}
    huifang attribution show >/dev/null
    t1=${EPOCHREALTIME/./}
    echo $(((t1 - t0) / 1000))
done | median)

printf '\n%-18s %13s %13s %14s %8s\n' report "service (ms)" "huifang (ms)" "raw scan (ms)" ratio
worst=0
for r in agent-daily branch-weekly collection repurchase complaints sales-attribution; do
    # shellcheck disable=SC2086
    huifang report "$r" ${FLAGS[$r]} --format csv >"$TMP/$r.csv" # warm
    # shellcheck disable=SC2086
    ms=$(time_report "$r" ${FLAGS[$r]})
    svc=$( (grep 'command=report' "$TMP/reporting.log" || true) | tail -n "$RUNS" |
        sed -n 's/.* ms=\([0-9]*\).*/\1/p' | median)
    raw=$(time_raw "${RAW[$r]}")
    ratio=$(awk -v a="$raw" -v b="$svc" 'BEGIN {printf "%.0fx", (b > 0 ? a / b : a)}')
    printf '%-18s %13s %13s %14s %8s\n' "$r" "$svc" "$ms" "$raw" "$ratio"
    ((svc > worst)) && worst=$svc
done
echo
echo "service (ms): the reporting service's own time per request (its log; median of $RUNS):"
echo "  the report computed from the rollups in its transaction; huifang (ms): wall clock of"
echo "  \`huifang report NAME --format csv\` (median of $RUNS), process start included — a trivial"
echo "  command takes $floor ms here; raw scan (ms): median of 3 runs of SQL computing the same"
echo "  figures from the raw records (10M contacts, 10M plan steps, ...) without rollups;"
echo "  ratio: raw scan / service."
((worst < 100)) && echo "every report under 100 ms in the service (worst $worst ms)" ||
    echo "worst report: $worst ms in the service"
