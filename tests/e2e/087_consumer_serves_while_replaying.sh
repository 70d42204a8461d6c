#!/usr/bin/env bash
# A consumer catching up serves commands meanwhile (issue 14): reporting (consuming intake
# only) starts 20,000 leads behind; while it replays them, reports are asked for one after
# another and each is answered within a generous bound (3 s, the CLI's start included; the
# replay applies in slices of 30 ms between requests). Before, one catch-up call applied up
# to 10,000 events before the loop looked at its socket again: 20 s and more without an
# answer. At least one report must be answered while the stream is still behind.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_intake_reporting
hf_service_stop reporting

awk -v n=20000 -v seed=87 -f "$HF_SOURCE/tests/bench/intake_import/gen.awk" >"$HF_E2E_TMP/leads.csv"
hf_expect_exit 0 huifang lead import "$HF_E2E_TMP/leads.csv" --rejects "$HF_E2E_TMP/rejects.csv"

q() { psql -X -q -t -A -d "$HUIFANG_STORE_URL" -c "$1"; }
total=$(q "SELECT last_seq FROM intake.outbox_seq WHERE producer = 'intake'")
applied() { q "SELECT coalesce((SELECT last_seq FROM reporting.consumer_offset WHERE producer = 'intake'), 0)"; }

hf_service_start reporting
# the branch (intake's first event) must be there for a report of it
hf_wait_until 30 bash -c "(( \$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT coalesce((SELECT last_seq FROM reporting.consumer_offset WHERE producer = 'intake'), 0)\") > 0 ))"
during=0 calls=0 worst=0
bound=$((3000 * HF_TIMEOUT_SCALE))
deadline=$(hf_deadline 120)
while (($(applied) < total)); do
    hf_past "$deadline" && hf_fail "reporting did not catch up in 120 s"
    t0=${EPOCHREALTIME/./}
    # a client of its own (no places in the stream remembered): the import's place would
    # make reporting hold the request until it has caught up (read your own writes)
    HUIFANG_STATE_DIR=$HF_E2E_TMP/reader huifang --timeout "$bound" report collection --format csv >/dev/null ||
        hf_fail "a report was not answered within $bound ms during the replay"
    t1=${EPOCHREALTIME/./}
    ms=$(((t1 - t0) / 1000))
    ((ms > worst)) && worst=$ms
    calls=$((calls + 1))
    at=$(applied)
    ((at < total)) && during=$((during + 1))
    hf_log "report answered in $ms ms; applied $at of $total"
done
((during >= 1)) || hf_fail "no report was answered while the replay was in progress ($calls calls)"
((worst < bound)) || hf_fail "the slowest report took $worst ms"
hf_log "$during report(s) answered while behind, the slowest in $worst ms"
hf_expect_exit 0 huifang report collection --format csv
q "SELECT topic, count(*) FROM intake.outbox GROUP BY 1 ORDER BY 2 DESC" >&2
curl -s "http://127.0.0.1:$(($(hf_service_port reporting) + 8))/metrics" | grep -E 'huifang_consumer_batch_size_(count|sum)' >&2 || true
