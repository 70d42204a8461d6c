#!/usr/bin/env bash
# A call's writes of calllog's store cost no more than they must (issue 14, clog11; calllog
# migration 010). What must hold, through the real services:
#  - contact's indexes are its key, the (task, claim) key a claim is logged once by,
#    contact_customer and contact_branch_day: contact_agent_day, written by every call log and
#    read by no statement, is gone; the reads the others serve answer as before (the quality
#    checks' draw and list of a day, a customer's contacts, a second log of a claim);
#  - contact's counts (order_qty, pulse) are of the domain contact_count, whose check is read
#    once a connection, not at every insert: no count CHECK on the table, the two-column
#    rules still there, a negative count refused on an update and an insert as before;
#  - a call's events' numbers move calllog's counter row by an UPDATE, forming no row to insert:
#    the counter's epoch default is never evaluated by a call log (a probe default counts it),
#    and the numbers stay gap-free.
# A version that writes contact_agent_day again, drops an index a read uses, puts the counts'
# checks back on the table, or reserves the numbers by an upsert at every call fails here.
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
hf_expect_eq "contact_consent contact_order" \
    "$(sql "SELECT string_agg(conname, ' ' ORDER BY conname) FROM pg_constraint
            WHERE conrelid = 'calllog.contact'::regclass AND contype = 'c'")" \
    "contact's checks: the two-column rules only"
hf_expect_eq "order_qty:calllog.contact_count pulse:calllog.contact_count" \
    "$(sql "SELECT string_agg(attname || ':' || format_type(atttypid, NULL), ' ' ORDER BY attname)
            FROM pg_attribute WHERE attrelid = 'calllog.contact'::regclass
            AND attname IN ('order_qty', 'pulse')")" "the counts are of the domain contact_count"
# the counter's epoch default, a probe: a call log that forms a row of outbox_seq draws from it
hf_expect_exit 0 sql "CREATE SEQUENCE calllog.epoch_probe;
    GRANT USAGE ON SEQUENCE calllog.epoch_probe TO huifang_calllog;
    ALTER TABLE calllog.outbox_seq ALTER COLUMN epoch SET DEFAULT nextval('calllog.epoch_probe')::text"

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
hf_expect_eq f "$(sql "SELECT is_called FROM calllog.epoch_probe")" \
    "no call log formed a counter row to insert (its epoch default never drawn)"
hf_expect_exit 0 sql "ALTER TABLE calllog.outbox_seq ALTER COLUMN epoch SET DEFAULT gen_random_uuid()::text"
hf_expect_eq "$(sql "SELECT last_seq FROM calllog.outbox_seq WHERE producer = 'calllog'")" \
    "$(sql "SELECT count(*) FROM calllog.outbox WHERE producer = 'calllog' HAVING min(seq) = 1 AND max(seq) = count(*)")" \
    "calllog's stream: 1..last, no gap"
refused() { # WHAT SQL: the store refuses it
    if sql "$2" >/dev/null 2>&1; then hf_fail "$1: accepted"; fi
}
refused "contact SET order_qty = -1" "UPDATE calllog.contact SET order_qty = -1 WHERE id = $contact"
refused "contact SET pulse = -1" "UPDATE calllog.contact SET pulse = -1 WHERE id = $contact"
refused "an insert of a contact with pulse -1" "INSERT INTO calllog.contact (branch, task_id, claim_no,
    customer_id, agent, outcome, channel, pulse, started_at_ms, logged_at_ms)
    VALUES ('BJ01', -1, 1, 99, 'A001', 'connected', 'visit', -1, 0, 0)"
hf_expect_exit 0 sql "BEGIN; UPDATE calllog.contact SET pulse = 72 WHERE id = $contact; ROLLBACK"
hf_expect_exit 0 huifang --as L001 --json call review list --date 2026-11-12
hf_expect_eq 1 "$(grep -o '"sampled":true' <<<"$HF_OUT" | wc -l)" "the day's draw: 1 of A001's 2 calls (10 %)"
hf_expect_exit 0 huifang --json contact list --customer "$customer"
hf_expect_contains "$HF_OUT" "\"id\":$contact," "the customer's contact"
hf_expect_eq "$N" "$(sql "SELECT count(*) FROM calllog.contact WHERE branch = 'BJ01' AND agent = 'A001'")" \
    "an agent's contacts, read without the index"
hf_log "ok"
