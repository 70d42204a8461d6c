#!/usr/bin/env bash
# Batched consumers apply every event exactly once, through crashes in the middle of a
# catch-up (issue 14). Reporting (consuming intake only) is stopped while 6,000 leads are
# imported (new people, repeats that merge, rejects: intake's own mix); then, three times, it
# is started, frozen (SIGSTOP) as soon as its first batch is committed — somewhere inside a
# batch as likely as not — and killed (kill -9); the fourth start catches up. Then every
# figure reporting built from the stream matches the producer's own count: one tally per
# event of intake's outbox, one card per customer of intake, one registered or merged lead
# per lead_registered or lead_merged event, the card counters summing to the cards. A batch
# committed twice, or a sequence stored ahead of what was applied, shows as a difference.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_intake_reporting
hf_service_stop reporting

awk -v n=6000 -v seed=86 -f "$HF_SOURCE/tests/bench/intake_import/gen.awk" >"$HF_E2E_TMP/leads.csv"
hf_expect_exit 0 huifang lead import "$HF_E2E_TMP/leads.csv" --rejects "$HF_E2E_TMP/rejects.csv"

q() { psql -X -q -t -A -d "$HUIFANG_STORE_URL" -c "$1"; }
total=$(q "SELECT last_seq FROM intake.outbox_seq WHERE producer = 'intake'")
((total > 5000)) || hf_fail "the import made only $total events"
applied() { q "SELECT coalesce((SELECT last_seq FROM reporting.consumer_offset WHERE producer = 'intake'), 0)"; }
hf_log "intake's outbox holds $total events"

# as soon as it has committed a batch past where it was: freeze it, then crash it
hf_crash_mid_catchup reporting "$total" applied

hf_service_start reporting
hf_wait_until 120 bash -c "(( \$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT last_seq FROM reporting.consumer_offset WHERE producer = 'intake'\") >= $total ))"

hf_expect_eq "$total" "$(q "SELECT sum(n) FROM reporting.event_tally WHERE producer = 'intake'")" \
    "one tally per event of intake's outbox"
hf_expect_eq "$(q "SELECT count(*) FROM intake.customer")" "$(q "SELECT count(*) FROM reporting.customer")" \
    "one card per customer of intake"
hf_expect_eq "$(q "SELECT count(*) FROM intake.outbox WHERE topic LIKE 'intake.lead_registered%'")" \
    "$(q "SELECT coalesce(sum(registered), 0) FROM reporting.lead_day")" "registered leads counted once"
hf_expect_eq "$(q "SELECT count(*) FROM intake.outbox WHERE topic LIKE 'intake.lead_merged%'")" \
    "$(q "SELECT coalesce(sum(merged), 0) FROM reporting.lead_day")" "merged leads counted once"
hf_expect_eq "$(q "SELECT count(*) FROM reporting.customer WHERE merged_into = 0")" \
    "$(q "SELECT coalesce(sum(n), 0) FROM reporting.card_count")" "card counters sum to the cards"
hf_expect_eq 0 "$(q "SELECT count(*) FROM reporting.dead_letter")" "no dead letters"
