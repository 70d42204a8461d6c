#!/usr/bin/env bash
# call_log and visit_log claim their idempotency key themselves, in their first statement (the
# call basics: hf_service_def_t.claims_key, hf_service_key_claimed), not in a round trip of
# the framework's before the handler (issue 14, calllog7). A retry must still be answered as
# the framework answered it:
#  1. a retry with the key of a log that answered OK gets the stored reply, whatever it now
#     says — the same call again, a record now refused (an unknown outcome, no outcome at all,
#     another task) — and changes nothing (one contact, one call_logged, one audit row, whose
#     columns are the framework's);
#  2. a log refused stores nothing: the same key, the record put right, logs it, and its
#     retry gets that answer;
#  3. the key is the person's and the command's: visit_log's key-1 is not call_log's, and a
#     supervisor's key-1 logs another call.
# A handler that checked the record before claiming the key, or claimed it in another
# transaction, fails here.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

N=3
hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --windows 00:00-23:59 --lead-plans none
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 20
hf_expect_exit 0 huifang agent add A002 --name 'Zhou Min' --role phone --regions haidian
hf_expect_exit 0 huifang agent add L001 --name 'Chen Jie' --role lead
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168
names=(Wang Li Zhang Liu Chen)
for i in $(seq 1 $N); do
    hf_expect_exit 0 huifang --json lead add --name "${names[i - 1]} Fang" --phone "1381234570$i" \
        --channel counter --region chaoyang
    hf_expect_exit 0 huifang purchase add --customer "$(cl_json_get "$HF_OUT" customer.id)" \
        --product VC30 --quantity 1
done
cl_wait_supervisor L001
hf_expect_exit 0 huifang clock advance 10d
hf_wait_until 20 bash -c "test \$(huifang --json worklist --agent A001 | grep -o '\"state\":\"assigned\"' | wc -l) -eq $N"
claim() { # claim AGENT: TASK, the task AGENT claimed
    hf_expect_exit 0 huifang --as "$1" --json task next
    TASK=$(cl_json_get "$HF_OUT" task.id)
}
contacts() { hf_store_value "SELECT count(*) FROM calllog.contact"; }
audits() { hf_store_value "SELECT count(*) FROM audit.access WHERE service = 'calllog' AND command = 'call_log'"; }
events() { hf_store_value "SELECT count(*) FROM calllog.outbox WHERE topic LIKE 'calllog.call_logged%'"; }

# ---- 1. a retry gets the stored reply, whatever it says now --------------------------------
claim A001
task=$TASK
hf_expect_exit 0 huifang --as A001 --json call log --task "$task" --outcome connected \
    --effect good --note 'first' --idempotency-key key-1
first=$HF_OUT
contact=$(cl_json_get "$first" id)
customer=$(cl_json_get "$first" customer_id)
before="$(contacts) $(audits) $(events)"
hf_expect_eq "1 1 1" "$before" "a contact, an audit row, a call_logged"
for retry in "--outcome connected --effect good --note first" "--outcome nope" \
    "--outcome busy --effect good" "--outcome connected --started-at 2099-01-01"; do
    # shellcheck disable=SC2086 # the retry's words
    hf_expect_exit 0 huifang --as A001 --json call log --task "$task" $retry --idempotency-key key-1
    cl_json_expect "$HF_OUT" id "$contact" outcome connected note first
done
hf_expect_exit 0 huifang --as A001 --json call log --task 999999 --outcome connected --idempotency-key key-1
cl_json_expect "$HF_OUT" id "$contact" task_id "$task"
hf_expect_eq "$before" "$(contacts) $(audits) $(events)" "the retries changed nothing"
n=$(grep -c 'command=call_log status=0 .*replayed=idempotent' "$HF_E2E_TMP/calllog.log" || true)
hf_expect_eq 5 "$n" "five retries answered from the stored reply"

# ---- 2. a refused log stores nothing: its key is free -----------------------------------------
claim A001
task=$TASK
hf_expect_exit 2 huifang --as A001 call log --task "$task" --outcome nope --idempotency-key key-2
hf_expect_contains "$HF_ERR" 'outcome "nope" is not in' "refused"
hf_expect_exit 4 huifang --as A002 call log --task "$task" --outcome connected --idempotency-key key-2
hf_expect_contains "$HF_ERR" "held by agent A001, not A002" "another's key of the same name"
hf_expect_exit 0 huifang --as A001 --json call log --task "$task" --outcome connected --idempotency-key key-2
contact2=$(cl_json_get "$HF_OUT" id)
hf_expect_exit 0 huifang --as A001 --json call log --task "$task" --outcome nope --idempotency-key key-2
cl_json_expect "$HF_OUT" id "$contact2"
hf_expect_eq 2 "$(contacts)" "two contacts"

# ---- 3. the person's and the command's key ----------------------------------------------------
claim A001
task=$TASK
hf_expect_exit 2 huifang --as A001 visit log --task "$task" --outcome connected --idempotency-key key-1
hf_expect_contains "$HF_ERR" "not a home visit" "visit_log's key-1 is its own"
hf_expect_exit 0 huifang --as L001 --json call log --task "$task" --outcome connected --idempotency-key key-1
contact3=$(cl_json_get "$HF_OUT" id)
[[ $contact3 != "$contact" ]] || hf_fail "L001's key-1 is not A001's"
hf_expect_eq "3 3 3" "$(contacts) $(audits) $(events)" "three contacts, audit rows, call_loggeds"
# the audit rows as the framework writes them (calllog writes them with the contact: e2e 115)
row="SELECT concat_ws('|', actor, on_behalf_of, role, branch, service, command, customers::text,
            request_id <> '') FROM audit.access WHERE command = 'call_log' AND customers @> ARRAY"
hf_expect_eq "A001|admin|phone|BJ01|calllog|call_log|{$customer}|t" \
    "$(hf_store_value "$row[$customer]::bigint[]")" "A001's row"
hf_expect_eq "L001|admin|lead|BJ01|calllog|call_log|{$(cl_json_get "$HF_OUT" customer_id)}|t" \
    "$(hf_store_value "$row[$(cl_json_get "$HF_OUT" customer_id)]::bigint[]")" "L001's row"
hf_log "ok"
