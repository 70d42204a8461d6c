# shellcheck shell=bash
# tests/e2e/occasion_lib.sh: helpers of the occasion scenarios (62N_*.sh), sourced after
# lib.sh. The checks read the scheduler's tasks and intake's sweeps with psql (the test's own
# look into its database), and what an agent sees through `huifang worklist`.

# occ_sql SQL: one query's rows, fields separated by '|'.
occ_sql() {
    psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"
}

# occ_branch: the branch BJ01 (Beijing Chaoyang, Asia/Shanghai, no lead plans) and its phone
# agent A001 (Li Na, region chaoyang, 40 calls a day).
occ_branch() {
    hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --tz Asia/Shanghai \
        --windows 09:00-12:00,14:00-20:00 --lead-plans none
    hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang \
        --daily-calls 40
}

# occ_lead NAME PHONE BIRTH: a counter lead of region chaoyang born on BIRTH (YYYY-MM-DD).
occ_lead() {
    hf_expect_exit 0 huifang --json lead add --name "$1" --phone "$2" --channel counter \
        --region chaoyang --birth "$3"
}

# occ_wait_plan_tasks N: waits until the scheduler holds N tasks of plans.
occ_wait_plan_tasks() {
    hf_wait_until 10 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE origin = 'plan'\")\" = $1 ]"
}

# occ_customer NAME: the id of the customer of that name in the test's branch.
occ_customer() {
    occ_sql "SELECT id FROM intake.customer WHERE name = '$1' AND merged_into IS NULL"
}

# occ_wait_swept DAY: waits until intake has swept the local DAY (YYYY-MM-DD) of BJ01 and the
# scheduler has handled every customer that sweep named (one occasion_made row each).
occ_wait_swept() {
    hf_wait_until 20 bash -c "[ -n \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT 1 FROM intake.occasion_sweep WHERE branch = 'BJ01' AND day = '$1'\")\" ]"
    hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT (SELECT count(*) FROM scheduler.occasion_made WHERE branch = 'BJ01' AND day = '$1' AND key LIKE 'rule:%') >= (SELECT customers FROM intake.occasion_sweep WHERE branch = 'BJ01' AND day = '$1')\")\" = t ]"
}

# occ_tasks CUSTOMER_ID: the customer's open and done tasks, one per line:
# origin|purpose|local due day|state|talking points
occ_tasks() {
    occ_sql "SELECT origin, purpose, to_char(to_timestamp(due_at_ms / 1000.0) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), state, talking_points FROM scheduler.task WHERE customer_id = $1 AND state <> 'cancelled' ORDER BY due_at_ms, id"
}

# occ_greetings CUSTOMER_ID: the customer's occasion tasks' local due days, one per line.
occ_greetings() {
    occ_sql "SELECT to_char(to_timestamp(due_at_ms / 1000.0) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') FROM scheduler.task WHERE customer_id = $1 AND origin = 'occasion' ORDER BY due_at_ms"
}
