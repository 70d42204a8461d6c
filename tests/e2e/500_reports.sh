#!/usr/bin/env bash
# The report set on a fixed scenario (reporting_scenario.sh: three weeks of one branch through
# every service on the manual clock), proved four ways, on one run of the scenario:
#  1. golden files: each report as `--format csv`, byte for byte against
#     tests/e2e/golden/reporting/NAME.csv (and the table and JSON formats carry the same);
#  2. a cross-check: reporting_recompute.py recomputes every figure of every report from the
#     raw records — the events from `huifang events export`, and the scheduler's own task
#     table for the final state of each plan step — and must find the same numbers;
#  3. exactly once across a crash: reporting killed while leads come in, restarted, counts
#     each of them once;
#  4. replay: reporting's schema dropped and rebuilt from the producers' replay gives the same
#     reports.
# Bad report requests are refused with the field named.
#
# After a change that is meant to move a figure, regenerate the golden files with
#   HF_GOLDEN_UPDATE=1 bash tests/e2e/500_reports.sh
# and read the diff: every changed number must be explained by the change (the cross-check
# still has to pass).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=reporting_scenario.sh
source "$(dirname "$0")/reporting_scenario.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
rep_scenario

# ---- 1. golden files ----
golden=$HF_SOURCE/tests/e2e/golden/reporting
mkdir -p "$golden"
failed=()
for spec in "${REP_REPORTS[@]}"; do
    IFS='|' read -r file report flags <<<"$spec"
    # shellcheck disable=SC2086 # flags are words
    hf_expect_exit 0 huifang report "$report" $flags --format csv
    if [[ -n ${HF_GOLDEN_UPDATE:-} ]]; then
        printf '%s\n' "$HF_OUT" >"$golden/$file.csv"
        hf_log "wrote $golden/$file.csv"
    elif ! diff -u "$golden/$file.csv" <(printf '%s\n' "$HF_OUT") >"$HF_E2E_TMP/$file.diff"; then
        cat "$HF_E2E_TMP/$file.diff" >&2
        failed+=("$file")
    fi
done
((${#failed[@]} == 0)) || hf_fail "reports differ from their golden files: ${failed[*]}"

# the same report as a table and as JSON lines carries the same figures
hf_expect_exit 0 huifang report sales-attribution --month 2026-11
hf_expect_contains "$HF_OUT" "sales-attribution  branch BJ01  2026-11 (2026-11-01 .. 2026-11-30)"
hf_expect_contains "$HF_OUT" "commissions"
hf_expect_exit 0 huifang report sales-attribution --month 2026-11 --format json
json=$HF_OUT
csv_total=$(grep '^TOTAL,' "$golden/sales-attribution-2026-11.csv" | tail -1)
hf_expect_eq "$(cut -d, -f5 <<<"$csv_total")" \
    "$(printf '%s\n' "$json" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
total = [r for r in rows if r["table"] == "commissions" and r["agent"] == "TOTAL"][0]
print("%.2f" % total["commission"])')" "the JSON commission total matches the CSV"
hf_expect_exit 0 huifang --json report collection --week 2026-W45
hf_expect_contains "$HF_OUT" '"table":"by channel","channel":"TOTAL"'

# bad requests name the field and change nothing
hf_expect_exit 2 huifang report branch-weekly --week 2026-W54
hf_expect_contains "$HF_ERR" "week"
hf_expect_exit 2 huifang report repurchase --month 2026-13
hf_expect_contains "$HF_ERR" "month"
hf_expect_exit 2 huifang report repurchase --days 367
hf_expect_contains "$HF_ERR" "--days"
hf_expect_exit 2 huifang report agent-daily --week 2026-W47
hf_expect_contains "$HF_ERR" "--week"
hf_expect_exit 2 huifang report agent-daily --format xml
hf_expect_contains "$HF_ERR" "--format"
hf_expect_exit 2 huifang --json report agent-daily --format csv
hf_expect_exit 3 huifang report agent-daily --agent NOBODY
hf_expect_contains "$HF_ERR" "no agent NOBODY"
hf_expect_exit 2 huifang --branch XX01 report collection
hf_expect_contains "$HF_ERR" "unknown branch XX01"
hf_expect_exit 2 huifang attribution rate 100.5
hf_expect_exit 2 huifang attribution rate 5.555
hf_expect_exit 2 huifang attribution terminal 'bad region' 'Store'
hf_expect_contains "$HF_ERR" "region"
hf_expect_exit 0 huifang --json attribution show
hf_expect_eq 500 "$(hf_json_get "$HF_OUT" rate_bp)" "the rate is unchanged"

hf_expect_eq 0 "$(rep_psql 'SELECT count(*) FROM reporting.dead_letter')" "reporting's dead letters"

dir=$HF_E2E_TMP/reports
mkdir -p "$dir"
# Writes every report of the scenario into $1 as NAME.json.
rep_collect() {
    local out=$1 spec file report flags
    mkdir -p "$out"
    for spec in "${REP_REPORTS[@]}"; do
        IFS='|' read -r file report flags <<<"$spec"
        # shellcheck disable=SC2086 # flags are words
        huifang report "$report" $flags --format json >"$out/$file.json" ||
            hf_fail "report $report $flags failed"
    done
}
rep_collect "$dir"
printf '%s\n' "${REP_REPORTS[@]}" >"$HF_E2E_TMP/specs"

# ---- 2. the cross-check: every figure recomputed from the raw records ----
hf_expect_exit 0 huifang events export --output "$HF_E2E_TMP/events.jsonl"
hf_expect_contains "$HF_ERR" "exported"
rep_psql "COPY (SELECT id, state, updated_at_ms FROM scheduler.task ORDER BY id) TO STDOUT WITH CSV" \
    >"$HF_E2E_TMP/tasks.csv"
hf_expect_exit 0 huifang --json attribution show
printf '%s\n' "$HF_OUT" >"$HF_E2E_TMP/attribution.json"
hf_expect_exit 0 huifang --json clock show
now_ms=$(hf_json_get "$HF_OUT" now_ms)

hf_expect_exit 0 python3 "$HF_SOURCE/tests/e2e/reporting_recompute.py" "$HF_E2E_TMP/events.jsonl" \
    "$HF_E2E_TMP/tasks.csv" "$HF_E2E_TMP/attribution.json" "$now_ms" "$HF_E2E_TMP/specs" "$dir"
hf_log "$HF_OUT"
hf_expect_contains "$HF_OUT" ", 0 differences"

# ---- 3. exactly once across a crash: reporting killed, the stream goes on, it catches up ----
hf_service_stop reporting KILL
hf_expect_exit 0 huifang lead add --name 'Zheng Hao' --phone 13312345678 --channel counter \
    --region chaoyang --collector S01 --source 'Store 1' --collected-at '2026-11-03 11:00'
hf_expect_exit 0 huifang lead add --name 'Wang Fang' --phone 13812345678 --channel other \
    --collected-at '2026-11-04 11:00'
hf_service_start reporting
rep_settle
hf_expect_exit 0 huifang report collection --week 2026-W45 --format json
after=$(grep '"by channel","channel":"TOTAL"' <<<"$HF_OUT")
before=$(grep '"by channel","channel":"TOTAL"' "$dir/collection-2026-W45.json")
# the by-channel TOTAL row: new, duplicates, rejected, total
[[ $before =~ \"new\":([0-9]+),\"duplicates\":([0-9]+),\"rejected\":([0-9]+),\"total\":([0-9]+) ]] ||
    hf_fail "no totals in: $before"
hf_expect_contains "$after" "\"new\":$((BASH_REMATCH[1] + 1)),\"duplicates\":$((BASH_REMATCH[2] + 1)),\"rejected\":${BASH_REMATCH[3]},\"total\":$((BASH_REMATCH[4] + 2))" \
    "each lead of the outage counted once"

# ---- 4. the read models rebuilt from nothing: the producers' replay gives the same reports ----
rep_collect "$HF_E2E_TMP/before-rebuild"
hf_service_stop reporting
rep_psql "SET client_min_messages = warning; DROP SCHEMA reporting CASCADE" >/dev/null
hf_db_prepare # the schema again, owned by huifang_reporting (who may not create one)
hf_service_start reporting
rep_settle
hf_expect_eq 0 "$(rep_psql 'SELECT count(*) FROM reporting.dead_letter')" "no dead letters"
# the attribution data is reporting's own, not an event: set it again
hf_expect_exit 0 huifang attribution terminal chaoyang 'Store Chaoyang'
hf_expect_exit 0 huifang attribution terminal haidian 'Store Haidian'
hf_expect_exit 0 huifang attribution rate 5
rep_collect "$HF_E2E_TMP/after-rebuild"
for f in "$HF_E2E_TMP"/before-rebuild/*.json; do
    diff -u "$f" "$HF_E2E_TMP/after-rebuild/$(basename "$f")" >&2 ||
        hf_fail "$(basename "$f" .json) differs after rebuilding the read models from the replay"
done

# ---- a commission rate applies from the month it is set in, never backwards -----------------
hf_expect_exit 0 huifang clock set '2026-12-03 10:00'
hf_expect_exit 0 huifang attribution rate 8
hf_expect_exit 0 huifang --json attribution show
hf_expect_eq 800 "$(hf_json_get "$HF_OUT" rate_bp)" "the rate in force now"
hf_expect_exit 0 huifang report sales-attribution --month 2026-11 --format csv
hf_expect_contains "$HF_OUT" "TOTAL,2,386.00,5.00,19.30" "November keeps the rate it had"
hf_expect_exit 0 huifang report sales-attribution --month 2026-12 --format csv
hf_expect_contains "$HF_OUT" "agent,orders,value,rate_pct,commission
TOTAL,0,0.00,8.00,0.00" "December takes the new rate"
