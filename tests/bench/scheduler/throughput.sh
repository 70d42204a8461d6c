#!/usr/bin/env bash
# The scheduler's throughput benchmark (label bench; skipped unless HF_BENCH=1): a million
# tasks across 100 branches falling due over 40 s, two scheduler instances; prints tasks
# assigned per second, the lag from due time to date bag, the raw ceiling of the same Lua
# claim on bare Redis, the ratio and the load average. Two passes, one after the other in the
# same run: calls (the weekly contact cap counts them: its cost is in the figure) and visits
# (the cap has nothing to count); BENCH_CHANNELS="phone" runs one. BENCH_TASKS,
# BENCH_BRANCHES, BENCH_WINDOW_S, BENCH_INSTANCES and BENCH_BATCH change the load (see
# bench_scheduler.c). Needs the test Postgres and Redis (HUIFANG_TEST_ADMIN_URL,
# HUIFANG_TEST_REDIS_URL) and HF_BIN.
set -euo pipefail
if [[ ${HF_BENCH:-0} != 1 ]]; then
    echo "skipped: set HF_BENCH=1 to run the scheduler benchmark"
    exit 77
fi
HF_SOURCE=${HF_SOURCE:-$(cd "$(dirname "$0")/../../.." && pwd)}
HF_BIN=${HF_BIN:-$HF_SOURCE/build/bin}
export HF_BIN
rc=0
summary=()
out=""
field() { sed -n "s/^  $1 *//p" "$out"; }
for channel in ${BENCH_CHANNELS:-phone visit}; do
    echo "== pass: channel $channel"
    out=$(mktemp)
    BENCH_CHANNEL=$channel "$HF_BIN/bench_scheduler" | tee "$out" || rc=1
    summary+=("$channel: $(field 'assigned per second') | lag $(field 'lag due -> bag') |\
 raw ceiling $(field 'raw ceiling') | ratio $(field 'ratio') | load $(field 'load average')")
    rm -f "$out"
done
echo
echo "summary (calls: the contact cap counts them; visits: it has nothing to count)"
printf '  %s\n' "${summary[@]}"
exit "$rc"
