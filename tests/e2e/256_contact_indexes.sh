#!/usr/bin/env bash
# A contact's insert writes no index nothing reads (issue 14, clog11; calllog migration 010):
# contact_agent_day (branch, agent, logged_at_ms), written by every call log, is gone. What
# must hold, through the real services:
#  - the shape: contact's indexes are its key, the (task, claim) key a claim is logged once
#    by, contact_customer and contact_branch_day, and none other;
#  - the reads those serve answer as before: the quality checks' draw and list of a day
#    (the branch's day), a customer's contacts (the customer), a second log of a claim (the
#    claim's key).
# A version that writes contact_agent_day again, or drops an index a read uses, fails here.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"

N=2
sql() { hf_store_value "$1"; }

hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 20
hf_expect_exit 0 huifang agent add L001 --name 'Chen Jie' --role lead
hf_plan_purchases "$N" # VC30 and N customers with a purchase each, their plans started (lib.sh)
cl_wait_supervisor L001

# ---- the shape ----
hf_expect_eq "contact_branch_day contact_customer contact_pkey contact_task_id_claim_no_key" \
    "$(sql "SELECT string_agg(indexname, ' ' ORDER BY indexname) FROM pg_indexes
            WHERE schemaname = 'calllog' AND tablename = 'contact'")" \
    "contact's indexes: none that no statement reads"

# ---- the reads ----
hf_expect_exit 0 huifang clock advance 10d
hf_wait_until 20 bash -c "test \$(huifang --json worklist --agent A001 | grep -o '\"state\":\"assigned\"' | wc -l) -eq $N"
for i in $(seq 1 $N); do
    hf_expect_exit 0 huifang --as A001 --json task next
    task=$(cl_json_get "$HF_OUT" task.id)
    hf_expect_exit 0 huifang --as A001 --json call log --task "$task" --outcome connected
    contact=$(cl_json_get "$HF_OUT" id)
    customer=$(cl_json_get "$HF_OUT" customer_id)
done
hf_expect_exit 4 huifang --as A001 call log --task "$task" --outcome connected
hf_expect_contains "$HF_ERR" "task $task is already logged for this claim (contact $contact)" \
    "a second log of a claim"
hf_expect_exit 0 huifang --as L001 --json call review list --date 2026-11-12
hf_expect_eq 1 "$(grep -o '"sampled":true' <<<"$HF_OUT" | wc -l)" "the day's draw: 1 of A001's 2 calls (10 %)"
hf_expect_exit 0 huifang --json contact list --customer "$customer"
hf_expect_contains "$HF_OUT" "\"id\":$contact," "the customer's contact"
hf_expect_eq "$N" "$(sql "SELECT count(*) FROM calllog.contact WHERE branch = 'BJ01' AND agent = 'A001'")" \
    "an agent's contacts, read without the index"
hf_log "ok"
