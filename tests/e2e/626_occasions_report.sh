#!/usr/bin/env bash
# `report occasions --month M` (member care): reporting sums intake's occasion_due (who is
# due) and the scheduler's occasion_planned (what it made of them) per occasion. With a
# weekly contact cap of 1: Zhao's birthday falls on the day of a plan call (merged into it),
# Liu's comes in a week whose one contact he already had (dropped by the cap), Wang's is a
# call of its own (made). A replayed event counts nothing twice; the report is per branch.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"
# shellcheck source-path=SCRIPTDIR source=occasion_lib.sh
source "$(dirname "$0")/occasion_lib.sh"

# Monday 2 November 2026
HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

occ_branch
hf_expect_exit 0 huifang occasion cap set --per-week 1
hf_expect_exit 0 huifang plan add now --name 'A call the same day'
hf_expect_exit 0 huifang plan step now --step 1 --anchor purchase --offset 0 --purpose care \
    --channel phone --role phone
hf_expect_exit 0 huifang product add TEA --name 'Health tea' --days-per-unit 30 --price 98 --plan now
occ_lead 'Zhao Min' 13812340001 1975-11-02
occ_lead 'Liu Yang' 13812340002 1990-11-04
occ_lead 'Wang Fang' 13812340003 1980-11-04
zhao=$(occ_customer 'Zhao Min')
liu=$(occ_customer 'Liu Yang')
wang=$(occ_customer 'Wang Fang')
cl_wait_product TEA
for c in "$zhao" "$liu"; do
    hf_expect_exit 0 huifang purchase add --customer "$c" --product TEA --quantity 1
done
occ_wait_plan_tasks 2
hf_expect_exit 0 huifang occasion rule add birthday --script 'Happy birthday'
occ_wait_swept 2026-11-02
hf_expect_eq merged "$(occ_sql "SELECT result FROM scheduler.occasion_made WHERE customer_id = $zhao")" \
    "Zhao's greeting joins the day's plan call"
# the agent makes both plan calls on Monday: Liu's week holds its one contact
hf_wait_until 15 bash -c "huifang --json worklist --agent A001 | grep -c '\"state\":\"assigned\"' | grep -qx 2"
for _ in 1 2; do
    hf_expect_exit 0 huifang --json task next --agent A001
    hf_expect_exit 0 huifang --as A001 call log --task "$(cl_json_get "$HF_OUT" task.id)" --outcome connected
done

# Wednesday: Liu and Wang
hf_expect_exit 0 huifang clock set '2026-11-04 00:30'
occ_wait_swept 2026-11-04
hf_expect_eq dropped "$(occ_sql "SELECT result FROM scheduler.occasion_made WHERE customer_id = $liu")" \
    "Liu's week is full"
hf_expect_eq task "$(occ_sql "SELECT result FROM scheduler.occasion_made WHERE customer_id = $wang")" \
    "Wang gets a call"

report() {
    huifang report occasions --month 2026-11 --format csv >"$HF_E2E_TMP/report.csv" &&
        grep -q "^TOTAL,$1$" "$HF_E2E_TMP/report.csv"
}
hf_wait_until 20 report 3,1,1,1,0
hf_expect_contains "$(cat "$HF_E2E_TMP/report.csv")" "occasion,due,made,merged,dropped_cap,dropped_other" "the columns"
hf_expect_contains "$(cat "$HF_E2E_TMP/report.csv")" "birthday,3,1,1,1,0" "by occasion"
hf_expect_exit 0 huifang report occasions --month 2026-11
hf_expect_contains "$HF_OUT" "greetings by occasion" "the report's table"
# another month has none; bad input names the field
hf_expect_exit 0 huifang report occasions --month 2026-10 --format csv
hf_expect_contains "$HF_OUT" "TOTAL,0,0,0,0,0" "October: nothing"
hf_expect_exit 2 huifang report occasions --week 2026-W45
hf_expect_exit 2 huifang report occasions --month 2026-13
hf_expect_contains "$HF_ERR" "month" "a bad month, named"
hf_log "the occasions report: due, made, merged, dropped by the cap"
