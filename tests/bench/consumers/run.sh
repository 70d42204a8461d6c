#!/usr/bin/env bash
# The consumers' benchmark (label bench; skipped unless HF_BENCH=1; `tests/run.sh --bench -R
# consumers`): how fast reporting, the slowest consumer, applies events, beside the raw
# ceiling of the same run — the same events read with no apply, over the wire as a consumer
# fetches them (replays) and from the producer's outbox as its relay reads them.
#
#   1. intake and reporting (reporting consuming intake only: HUIFANG_REPORTING_CONSUME),
#      sessions and CURVE off; reporting stopped;
#   2. BENCH_EVENTS (100,000) events appended to intake's outbox (a branch, then leads, as
#      a lead import writes them: bench_consumers produce);
#   3. the raw ceiling (bench_consumers raw);
#   4. reporting started 100,000 events behind: the time until it has applied them all, its
#      events/s, while a ping follows another and a report comes every 200 ms: the longest
#      gap between two answered pings and the slowest report (bench_consumers catchup);
#   5. the same pings for 5 s with nothing to apply: the machine's own share of a gap;
#   6. end-to-end latency at BENCH_RATE (1,000) events/s for BENCH_LATENCY_S (10) s: intake's
#      own command (a product add, one event each) sent -> applied at reporting, which bounds
#      commit -> applied from above (bench_consumers latency).
# Aims (issue 14): ≥ 20,000 events/s; p99 latency < 50 ms at 1,000 events/s; 100,000 behind
# caught up in < 10 s with ping and reports answering. Needs the test Postgres and Redis
# (tests/run.sh's variables).
set -euo pipefail
if [[ ${HF_BENCH:-0} != 1 ]]; then
    echo "skipped: set HF_BENCH=1 to run the consumers' benchmark"
    exit 77
fi
# shellcheck source-path=SCRIPTDIR source=../../e2e/lib.sh
source "$(dirname "$0")/../../e2e/lib.sh"
HF_TEST_NAME=bench_consumers

# BENCH_BIN: the binaries of another tree (an A/B of the same script: the commit before a
# change), as national_day's NATDAY_BIN
HF_BIN=${BENCH_BIN:-$HF_BIN}
events=${BENCH_EVENTS:-100000}
rate=${BENCH_RATE:-1000}
seconds=${BENCH_LATENCY_S:-10}
[[ -x $HF_BIN/bench_consumers ]] || hf_fail "$HF_BIN/bench_consumers is not built"

export HUIFANG_CURVE=off HUIFANG_AUTH=off HUIFANG_LOG_LEVEL=info
export HUIFANG_INTAKE_CONSUME=none HUIFANG_REPORTING_CONSUME=intake
hf_stack_start intake reporting
url=$HUIFANG_STORE_URL
intake=tcp://127.0.0.1:$(hf_service_port intake)
reporting=tcp://127.0.0.1:$(hf_service_port reporting)
hf_service_stop reporting

"$HF_BIN/bench_consumers" produce "$url" "$events" | tee "$HF_E2E_TMP/produce"
target=$(psql -X -q -t -A -d "$url" -c "SELECT last_seq FROM intake.outbox_seq WHERE producer = 'intake'")
"$HF_BIN/bench_consumers" raw "$url" "$intake" | tee "$HF_E2E_TMP/raw"

hf_service_launch reporting
"$HF_BIN/bench_consumers" catchup "$url" "$reporting" "$target" | tee "$HF_E2E_TMP/catchup" ||
    hf_fail "reporting did not catch up"
"$HF_BIN/bench_consumers" idle "$reporting" 5 | tee "$HF_E2E_TMP/idle"
"$HF_BIN/bench_consumers" latency "$url" "$intake" "$rate" "$seconds" | tee "$HF_E2E_TMP/latency" ||
    hf_fail "the latency run did not see every event applied"

# what reporting's log says of the stream: gaps seen and replays asked for
printf 'reporting log: %s gap(s) detected, %s replay(s), %s retried event(s)\n' \
    "$(grep -c 'event=gap_detected' "$HF_E2E_TMP/reporting.log" || true)" \
    "$(grep -c 'event=replayed' "$HF_E2E_TMP/reporting.log" || true)" \
    "$(grep -c 'event=event_retry' "$HF_E2E_TMP/reporting.log" || true)"
grep 'event=gap_detected' "$HF_E2E_TMP/reporting.log" | tail -n 5 || true
grep 'event=consumer_batch_slow' "$HF_E2E_TMP/reporting.log" | tail -n 10 || true
grep 'event=replayed' "$HF_E2E_TMP/reporting.log" | sed -n 's/.* ms=\([0-9]*\).*/\1/p' | sort -n |
    awk '{ a[NR] = $1 } END { if (NR) printf "replay calls: %d, median %d ms, slowest %d ms\n", NR, a[int((NR + 1) / 2)], a[NR] }'
val() { sed -n "s/^$1 //p" "$HF_E2E_TMP/$2"; }
wire=$(val RAW_WIRE raw) sql=$(val RAW_SQL raw) apply=$(val APPLY_RATE catchup)
catchup=$(val CATCHUP_S catchup) gap=$(val PING_GAP_MS catchup) report=$(val REPORT_MS catchup)
p99=$(val LAT_P99_MS latency)
echo
printf '%-44s %12s %10s\n' "" figure aim
printf '%-44s %12s %10s\n' "reporting applies (events/s)" "$apply" "≥ 20000"
awk -v a="$apply" -v w="$wire" -v s="$sql" 'BEGIN {
    printf "%-44s %12.0f\n%-44s %12.0f\n%-44s %12.2f\n%-44s %12.2f\n",
        "raw ceiling: replay over the wire (events/s)", w, "raw ceiling: outbox read (events/s)", s,
        "ratio apply / replay", a / w, "ratio apply / outbox read", a / s }'
printf '%-44s %12s %10s\n' "catch-up of $events events (s)" "$catchup" "< 10"
printf '%-44s %12s %10s\n' "longest ping gap during it (ms)" "$gap" "~100"
printf '%-44s %12s\n' "slowest report during it (ms)" "$report"
printf '%-44s %12s\n' "longest ping gap, nothing to apply (ms)" "$(val IDLE_GAP_MS idle)"
printf '%-44s %12s %10s\n' "latency p99 at $rate events/s (ms)" "$p99" "< 50"
met() { awk -v v="$1" -v a="$2" -v op="$3" 'BEGIN { ok = op == ">" ? v >= a : v < a; print ok ? "met" : "NOT met" }'; }
echo
echo "apply rate: $(met "$apply" 20000 ">"); latency: $(met "$p99" 50 "<"); catch-up: $(met "$catchup" 10 "<"); ping gap: $(met "$gap" 150 "<")"
