#!/usr/bin/env bash
# The branch's rollups (migration 008: branch_day, branch_month, step_month) that the
# headquarters' agent-daily and branch-weekly read stay the sums of the rows they summarise
# (agent_day, agent_month, step_day), through a realistic flow and through crashes:
#  1. the reporting scenario (reporting_scenario.sh: date bags, claims, contacts, a visit,
#     consultations, complaints, a refusal whose cancelled steps are counted in one
#     statement), then 400 imported leads on the new-lead plan and the clock into
#     December (hundreds of plan steps, bags filled): every branch_day row is the sum of
#     the day's agent_day rows, every branch_month row of agent_month, every step_month
#     row of the month's step_day rows; the headquarters' rows equal the branch's own
#     report (hq_check.py) for the scenario's days and weeks and for a week whose backlog
#     reaches back into November;
#  2. reporting's schema dropped and rebuilt from the producers' replay, reporting frozen
#     and killed (kill -9) three times as soon as it has committed a batch (inside the
#     catch-up of the plans' events): the same sums hold, and the rollups are
#     the ones built live;
#  3. the migration's backfill: what it made dropped and migration 008 run again on
#     the next start gives the same rows.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=reporting_scenario.sh
source "$(dirname "$0")/reporting_scenario.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
rep_scenario

q() { rep_psql "$1"; }
COLS=tasks_due,opened,closed,attempts,contacts,orders,complaints,consultations,consult_bought,visits
SUMS=$(sed 's/\([a-z_]*\)/sum(\1)/g' <<<"$COLS")
ZEROS=0,0,0,0,0,0,0,0,0,0
# Each rollup as CSV lines beside the sums of the rows it summarises (rows whose counters
# are all zero left out on both sides: a counter taken back leaves such a row).
BRANCH_DAY="SELECT branch, day, $COLS FROM reporting.branch_day WHERE ($COLS) <> ($ZEROS) ORDER BY 1, 2"
AGENT_SUMS="SELECT branch, day, $SUMS FROM reporting.agent_day GROUP BY 1, 2 HAVING ($SUMS) <> ($ZEROS) ORDER BY 1, 2"
BRANCH_MONTH="SELECT branch, month, net FROM reporting.branch_month WHERE net <> 0 ORDER BY 1, 2"
AGENT_MONTHS="SELECT branch, month, sum(net) FROM reporting.agent_month GROUP BY 1, 2 HAVING sum(net) <> 0 ORDER BY 1, 2"
STEP_MONTH="SELECT branch, month, open FROM reporting.step_month WHERE open <> 0 ORDER BY 1, 2"
STEP_SUMS="SELECT branch, date_trunc('month', due_day)::date, sum(planned - on_time - late - cancelled)
           FROM reporting.step_day GROUP BY 1, 2 HAVING sum(planned - on_time - late - cancelled) <> 0 ORDER BY 1, 2"
branch_day() { q "$BRANCH_DAY"; }
branch_month() { q "$BRANCH_MONTH"; }
step_month() { q "$STEP_MONTH"; }
# check_pair LABEL SUMS ROLLUP: the rollup's rows equal the sums, both read in one snapshot
# (reporting may still apply a batch a timer caused: two reads could straddle its commit)
check_pair() {
    local out
    out=$(psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" <<SQL
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
$2;
SELECT '--';
$3;
COMMIT;
SQL
    ) || hf_fail "$1: could not read the rollups"
    hf_expect_eq "$(sed '/^--$/,$d' <<<"$out")" "$(sed '0,/^--$/d' <<<"$out")" "$1"
}
check_sums() {
    check_pair "$1: branch_day is the sum of agent_day" "$AGENT_SUMS" "$BRANCH_DAY"
    check_pair "$1: branch_month is the sum of agent_month" "$AGENT_MONTHS" "$BRANCH_MONTH"
    check_pair "$1: step_month is the sum of step_day's open steps" "$STEP_SUMS" "$STEP_MONTH"
}
snapshot() { printf '%s\n--\n%s\n--\n%s\n' "$(branch_day)" "$(branch_month)" "$(step_month)"; }

check_sums "the scenario"
[[ $(branch_day | wc -l) -ge 4 ]] || hf_fail "the scenario left too few branch_day rows: $(branch_day)"

# ---- 1. a realistic load: 400 leads on the new-lead plan, their first calls due and bagged ----
awk -v n=400 -v seed=507 -f "$HF_SOURCE/tests/bench/intake_import/gen.awk" >"$HF_E2E_TMP/leads.csv"
hf_expect_exit 0 huifang lead import "$HF_E2E_TMP/leads.csv" --plan new-lead --rejects "$HF_E2E_TMP/rejects.csv"
# every service has applied what the import caused (the scheduler starts a plan a lead)
deadline=$(hf_deadline 240)
until [[ $(rep_lag) == 0:* ]]; do
    hf_past "$deadline" && hf_fail "the import's events were not applied in 240 s (lag:sequences $(rep_lag))"
    sleep 0.5
done
rep_settle
for day in 2026-11-27 2026-11-30 2026-12-02; do
    hf_expect_exit 0 huifang clock set "$day 10:00"
    rep_settle
done
planned=$(q "SELECT coalesce(sum(planned), 0) FROM reporting.step_day")
bagged=$(q "SELECT coalesce(sum(tasks_due), 0) FROM reporting.branch_day")
hf_log "after the import: $planned steps planned, $bagged tasks in date bags"
((planned > 300)) || hf_fail "only $planned plan steps counted"
check_sums "after the import"
hf_expect_eq 0 "$(q 'SELECT count(*) FROM reporting.dead_letter')" "no dead letters"

# The headquarters' rows, read from the branch rollups, against the agents' and steps' rows.
# The agents' figures are the branch's sum over every agent; the branch's own report shows
# each agent's work in its role's table (a consultation agent's calls back are in no TOTAL
# row there: 2026-11-12 has one), so they are checked against the agent rows themselves; the
# plan steps against the branch's own report.
# section FILE TITLE: the first data row of table TITLE in a report's CSV
section() { awk -v t="# $2" '$0 == t {getline; getline; print; exit}' "$1"; }
out=$HF_E2E_TMP/hq
mkdir -p "$out"
for spec in "agent-daily|--date 2026-11-12|2026-11-12|2026-11-12" "agent-daily|--date 2026-11-13|2026-11-13|2026-11-13" \
    "agent-daily|--date 2026-11-17|2026-11-17|2026-11-17" "agent-daily|--date 2026-11-30|2026-11-30|2026-11-30" \
    "branch-weekly|--week 2026-W46|2026-11-09|2026-11-15" "branch-weekly|--week 2026-W47|2026-11-16|2026-11-22" \
    "branch-weekly|--week 2026-W49|2026-11-30|2026-12-06"; do
    IFS='|' read -r r flags from to <<<"$spec"
    # shellcheck disable=SC2086 # flags are words
    hf_expect_exit 0 huifang report "$r" $flags --branches BJ01 --format csv
    printf '%s\n' "$HF_OUT" >"$out/hq.csv"
    got=$(section "$out/hq.csv" "agents by branch" | cut -d, -f2,3,4,6,8,9,10,11,12)
    want=$(q "SELECT concat_ws(',', coalesce(sum(tasks_due), 0), coalesce(sum(attempts), 0),
                coalesce(sum(contacts), 0), coalesce(sum(orders), 0), coalesce(sum(complaints), 0),
                (SELECT coalesce(sum(net), 0) FROM reporting.agent_month WHERE branch = 'BJ01'
                   AND month < date_trunc('month', date '$to'))
                + (SELECT coalesce(sum(opened - closed), 0) FROM reporting.agent_day WHERE branch = 'BJ01'
                   AND day BETWEEN date_trunc('month', date '$to') AND '$to'),
                coalesce(sum(consultations), 0), coalesce(sum(consult_bought), 0), coalesce(sum(visits), 0))
              FROM reporting.agent_day WHERE branch = 'BJ01' AND day BETWEEN '$from' AND '$to'")
    hf_expect_eq "$want" "$got" "$r $flags: the branch's row is the sum of its agents' rows"
    if [[ $r == branch-weekly ]]; then
        # shellcheck disable=SC2086
        hf_expect_exit 0 huifang report "$r" $flags --format csv
        printf '%s\n' "$HF_OUT" >"$out/own.csv"
        hf_expect_eq "$(section "$out/own.csv" "plan steps")" \
            "$(section "$out/hq.csv" "plan steps by branch" | cut -d, -f2-)" "$r $flags: the plan steps as the branch's own"
    fi
done
# the week of 2026-12-02: today's backlog reaches back into November (step_month)
backlog=$(section "$out/hq.csv" "plan steps by branch" | awk -F, '{print $NF}')
hf_log "overdue backlog on 2026-12-02: $backlog"
((backlog > 0)) || hf_fail "no overdue backlog on 2026-12-02: $(cat "$out/hq.csv")"
live=$(snapshot)

# ---- 2. rebuilt from the replay, killed three times in the middle of the catch-up ----------
hf_service_stop reporting
q "SET client_min_messages = warning; DROP SCHEMA reporting CASCADE" >/dev/null
hf_db_prepare
applied() { q "SELECT coalesce(sum(last_seq), 0) FROM reporting.consumer_offset" 2>/dev/null || echo 0; }
total=$(q "SELECT sum(last_seq) FROM (SELECT last_seq FROM intake.outbox_seq UNION ALL SELECT last_seq FROM scheduler.outbox_seq
           UNION ALL SELECT last_seq FROM calllog.outbox_seq UNION ALL SELECT last_seq FROM complaint.outbox_seq) s")
hf_crash_mid_catchup reporting "$total" applied
hf_service_start reporting
rep_settle
hf_expect_eq 0 "$(q 'SELECT count(*) FROM reporting.dead_letter')" "no dead letters after the rebuild"
check_sums "rebuilt through kills"
hf_expect_eq "$live" "$(snapshot)" "the rollups rebuilt from the replay are the ones built live"

# ---- 3. the migration's backfill from the agents' and steps' rows ----------------------------
hf_service_stop reporting
q "DROP TABLE reporting.branch_day, reporting.branch_month, reporting.step_month;
   DROP INDEX reporting.step_day_due, reporting.order_day_day;
   DELETE FROM reporting.migrations WHERE component = 'reporting' AND version = 8" >/dev/null
hf_service_start reporting
hf_expect_eq 1 "$(q "SELECT count(*) FROM reporting.migrations WHERE component = 'reporting' AND version = 8")" \
    "migration 008 ran again"
check_sums "backfilled by the migration"
hf_expect_eq "$live" "$(snapshot)" "the backfill gives the rows the handlers built"
hf_log "ok"
