#!/usr/bin/env bash
# Headquarters reports (issue 14): every report for several branches side by side, one row
# per branch and a TOTAL row. Three branches (BJ01, SH01, GZ01) are made through `huifang`;
# their figures are then written into reporting's read models (hq_seed.sql: a month of
# agents, orders, plan steps, leads, repurchases, complaints and commissions, each branch a
# multiple of the first). For each of the six reports, `--branches BJ01,SH01,GZ01` (and
# `--all`, which for the admin is every branch) must give each branch's row equal to that
# branch's own report's totals and a TOTAL row that adds them up (hq_check.py); a branch
# that is asked twice appears once, and a lone `--branches SH01` is a one-row report.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-24 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01
unset HUIFANG_AGENT
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }

for br in BJ01 SH01 GZ01; do
    hf_expect_exit 0 huifang --branch "$br" branch add "$br" --name "Branch $br" --lead-plans none
done
hf_wait_until 20 bash -c "[[ \$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c 'SELECT count(*) FROM reporting.branch') == 3 ]]"
psql -X -q -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -f "$HF_SOURCE/tests/e2e/hq_seed.sql" >/dev/null ||
    hf_fail "hq_seed.sql failed"

declare -A FLAGS=([agent-daily]="--date 2026-11-18" [branch-weekly]="--week 2026-W47"
    [collection]="--week 2026-W47" [repurchase]="--month 2026-11 --days 30"
    [complaints]="--week 2026-W47" [sales-attribution]="--month 2026-11")
out=$HF_E2E_TMP/hq
mkdir -p "$out"
for r in agent-daily branch-weekly collection repurchase complaints sales-attribution; do
    args=()
    for br in BJ01 SH01 GZ01; do
        # shellcheck disable=SC2086
        hf_expect_exit 0 huifang --branch "$br" report "$r" ${FLAGS[$r]} --format csv
        printf '%s\n' "$HF_OUT" >"$out/$r.$br.csv"
        args+=("$br=$out/$r.$br.csv")
    done
    # shellcheck disable=SC2086
    hf_expect_exit 0 huifang report "$r" ${FLAGS[$r]} --branches GZ01,BJ01,SH01,BJ01 --format csv
    printf '%s\n' "$HF_OUT" >"$out/$r.hq.csv"
    check=$(python3 "$HF_SOURCE/tests/e2e/hq_check.py" "$r" "$out/$r.hq.csv" "${args[@]}") ||
        hf_fail "$r across branches disagrees with the branches' own reports:
$check
$(cat "$out/$r.hq.csv")"
    # --all: the admin's every branch, the same figures
    # shellcheck disable=SC2086
    hf_expect_exit 0 huifang report "$r" ${FLAGS[$r]} --all --format csv
    hf_expect_eq "$(cat "$out/$r.hq.csv")" "$HF_OUT" "$r --all is the three branches"
    hf_log "$r: side by side and totalled, as each branch's own report says"
done

# the figures are not all zero (the seed reached the reports): BJ01 20 new leads in week 47, SH01 (m = 3) 48
hf_expect_exit 0 huifang report collection --week 2026-W47 --branches BJ01,SH01 --format csv
hf_expect_contains "$HF_OUT" "BJ01,20,14,6,40" "BJ01's collection"
hf_expect_contains "$HF_OUT" "TOTAL,68,28,12,108" "the collection's total"

# one branch: one row and its total; json rows say which branch they are
hf_expect_exit 0 huifang --json report complaints --week 2026-W47 --branches SH01
[[ $(grep -c '"branch":"SH01"' <<<"$HF_OUT") == 1 && $(grep -c '"branch":"TOTAL"' <<<"$HF_OUT") == 1 ]] ||
    hf_fail "one branch's complaints across branches: $HF_OUT"
hf_expect_exit 0 huifang report branch-weekly --week 2026-W47 --branches BJ01,GZ01
hf_expect_contains "$HF_OUT" "branch-weekly  2 branches  2026-W47" "the table's heading"
hf_expect_contains "$HF_OUT" "plan steps by branch" "branch-weekly's second table"
hf_log "ok"
