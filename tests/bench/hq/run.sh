#!/usr/bin/env bash
# tests/bench/hq/run.sh: the headquarters benchmark (label bench; skipped unless HF_BENCH=1;
# `tests/run.sh --bench -R hq`). Fills reporting's read models with a national chain
# (load.sql: 1,000 branches, 10,000 agents, a year of daily rows, about 7 million rows),
# then times every report for all branches side by side (`huifang report NAME --all`, as
# the stack's admin, who has every branch) — the service's own time per request (its log)
# and the wall clock of the `huifang` call — beside the raw ceiling of the same run: the
# bare SQL aggregate of the report's main rollup per branch (psql, \timing), without the
# joins, the other tables and the formatting (for agent-daily and branch-weekly also over the
# agents' rows they read before the branch rollups of migration 008). The aim: every report
# under 200 ms in the service. RUNS (7) timings per report, the median printed.
set -euo pipefail
if [[ ${HF_BENCH:-0} != 1 ]]; then
    echo "skipped: set HF_BENCH=1 to run the headquarters benchmark"
    exit 77
fi
# shellcheck source-path=SCRIPTDIR source=../../e2e/lib.sh
source "$(dirname "$0")/../../e2e/lib.sh"
HF_TEST_NAME=bench_hq
RUNS=${RUNS:-7}
AIM_MS=200

export HUIFANG_LOG_LEVEL=info
HF_CLOCK_START='2027-01-04 10:00 +0800'
hf_stack_start
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" "$@"; }

hf_log "loading 1,000 branches, 10,000 agents, a year of daily rows into reporting's read models..."
t0=$EPOCHREALTIME
sql -f "$HF_SOURCE/tests/bench/hq/load.sql" >/dev/null || hf_fail "load.sql failed"
t1=$EPOCHREALTIME
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "loaded in %.0f s\n", b - a }'
sql -c "SELECT 'rows: branch ' || (SELECT count(*) FROM reporting.branch) || ', agent '
  || (SELECT count(*) FROM reporting.agent) || ', agent_day ' || (SELECT count(*) FROM reporting.agent_day)
  || ', order_day ' || (SELECT count(*) FROM reporting.order_day) || ', step_day '
  || (SELECT count(*) FROM reporting.step_day) || ', lead_day ' || (SELECT count(*) FROM reporting.lead_day)
  || ', complaint ' || (SELECT count(*) FROM reporting.complaint) || ', order_month '
  || (SELECT count(*) FROM reporting.order_month)"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_report() {
    local i t0 t1
    for ((i = 0; i < RUNS; i++)); do
        t0=${EPOCHREALTIME/./}
        huifang report "$@" --all --format csv >/dev/null
        t1=${EPOCHREALTIME/./}
        echo $(((t1 - t0) / 1000))
    done | median
}
time_raw() {
    local i
    for ((i = 0; i < 3; i++)); do
        psql -X -q -d "$HUIFANG_STORE_URL" -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' |
            awk '{s += $1} END {printf "%d\n", s}'
    done | median
}

D=2026-06-15 W0=2026-06-08 W1=2026-06-14 M0=2026-06-01
declare -A FLAGS=([agent-daily]="--date $D" [branch-weekly]="--week 2026-W24" [collection]="--week 2026-W24"
    [repurchase]="--month 2026-06" [complaints]="--week 2026-W24" [sales-attribution]="--month 2026-06")
declare -A RAW
# agent-daily and branch-weekly read the branch's rollups (branch_day, migration 008); the
# same aggregate over every agent's rows (agent_day, what they read before) is printed beside
declare -A AGENT_RAW
for t in agent branch; do
    RAW_DAY="SELECT branch, sum(tasks_due), sum(attempts), sum(contacts), sum(orders), sum(complaints),
  sum(consultations), sum(consult_bought), sum(visits) FROM reporting.${t}_day WHERE day = '$D' GROUP BY branch"
    RAW_WEEK="SELECT branch, sum(tasks_due), sum(attempts), sum(contacts), sum(orders), sum(complaints),
  sum(consultations), sum(consult_bought), sum(visits) FROM reporting.${t}_day
  WHERE day BETWEEN '$W0' AND '$W1' GROUP BY branch;
  SELECT branch, sum(planned), sum(on_time), sum(late), sum(cancelled) FROM reporting.step_day
  WHERE due_day BETWEEN '$W0' AND '$W1' GROUP BY branch"
    if [[ $t == agent ]]; then
        AGENT_RAW[agent-daily]=$RAW_DAY AGENT_RAW[branch-weekly]=$RAW_WEEK
    else
        RAW[agent-daily]=$RAW_DAY RAW[branch-weekly]=$RAW_WEEK
    fi
done
RAW[collection]="SELECT branch, sum(registered), sum(merged), sum(rejected) FROM reporting.lead_day
  WHERE day BETWEEN '$W0' AND '$W1' GROUP BY branch"
RAW[repurchase]="SELECT branch, sum(n), sum(n) FILTER (WHERE gap <= 30) FROM reporting.repurchase_month
  WHERE month = '$M0' GROUP BY branch"
RAW[complaints]="SELECT branch, count(*), count(*) FILTER (WHERE resolved_at_ms > 0) FROM reporting.complaint
  WHERE opened_day BETWEEN '$W0' AND '$W1' GROUP BY branch"
RAW[sales-attribution]="SELECT branch, sum(orders), sum(units) FROM reporting.order_month
  WHERE month = '$M0' GROUP BY branch"

printf '\n%-18s %13s %13s %14s %8s %16s\n' "report --all" "service (ms)" "huifang (ms)" "raw SQL (ms)" ratio \
    "agent rows (ms)"
worst=0
for r in agent-daily branch-weekly collection repurchase complaints sales-attribution; do
    # shellcheck disable=SC2086
    huifang report "$r" ${FLAGS[$r]} --all --format csv >"$HF_E2E_TMP/$r.csv" # warm
    rows=$(grep -c '^B[0-9]' "$HF_E2E_TMP/$r.csv" || true)
    ((rows >= 1000)) || hf_fail "$r --all gave $rows branch rows, want 1,000: $(head -5 "$HF_E2E_TMP/$r.csv")"
    # shellcheck disable=SC2086
    ms=$(time_report "$r" ${FLAGS[$r]})
    svc=$( (grep 'command=report' "$HF_E2E_TMP/reporting.log" || true) | tail -n "$RUNS" |
        sed -n 's/.* ms=\([0-9]*\).*/\1/p' | median)
    raw=$(time_raw "${RAW[$r]}")
    ratio=$(awk -v a="$svc" -v b="$raw" 'BEGIN {printf "%.1fx", (b > 0 ? a / b : a)}')
    agent_raw=-
    [[ -n ${AGENT_RAW[$r]:-} ]] && agent_raw=$(time_raw "${AGENT_RAW[$r]}")
    printf '%-18s %13s %13s %14s %8s %16s\n' "$r" "$svc" "$ms" "$raw" "$ratio" "$agent_raw"
    ((svc > worst)) && worst=$svc
done
echo
echo "service (ms): reporting's own time per request (its log, median of $RUNS): the 1,000 rows"
echo "  and the TOTAL computed from the rollups in its transaction; huifang (ms): wall clock of"
echo "  \`huifang report NAME --all --format csv\` (median of $RUNS), process start included;"
echo "  raw SQL (ms): median of 3 psql runs of the bare aggregate per branch of the report's"
echo "  main rollup (the ceiling: branch_day for agent-daily and branch-weekly); ratio: service /"
echo "  raw; agent rows (ms): the same aggregate over every agent's rows (agent_day), which those"
echo "  two read before the branch rollups."
if ((worst < AIM_MS)); then
    echo "every report for 1,000 branches under $AIM_MS ms in the service (worst $worst ms)"
else
    echo "worst report: $worst ms in the service (aim $AIM_MS ms)"
fi
