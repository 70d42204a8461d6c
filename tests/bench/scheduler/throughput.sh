#!/usr/bin/env bash
# The scheduler's throughput benchmark (label bench; skipped unless HF_BENCH=1): a million
# tasks across 100 branches falling due over 40 s, two scheduler instances; prints tasks
# assigned per second, the lag from due time to date bag, and the raw ceiling of the same Lua
# claim on bare Redis. BENCH_TASKS, BENCH_BRANCHES, BENCH_WINDOW_S, BENCH_INSTANCES and
# BENCH_BATCH change the load (see bench_scheduler.c). Needs the test Postgres and Redis
# (HUIFANG_TEST_ADMIN_URL, HUIFANG_TEST_REDIS_URL) and HF_BIN.
set -euo pipefail
if [[ ${HF_BENCH:-0} != 1 ]]; then
    echo "skipped: set HF_BENCH=1 to run the scheduler benchmark"
    exit 77
fi
HF_SOURCE=${HF_SOURCE:-$(cd "$(dirname "$0")/../../.." && pwd)}
HF_BIN=${HF_BIN:-$HF_SOURCE/build/bin}
export HF_BIN
exec "$HF_BIN/bench_scheduler"
