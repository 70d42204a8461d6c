#!/usr/bin/env bash
# An agent's last ask of a round finds the bag empty: `task next` answers it from reads alone,
# before any transaction (no idempotency row claimed, nothing written) — shown by answering
# while another session holds the scheduler's idempotency table against every insert. An
# unknown agent too. A retry with the key of an ask that got a task still replays that task
# after the bag emptied.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai
unset HUIFANG_AGENT

q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --windows 09:00-12:00,14:00-20:00 \
    --lead-plans none
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168
names=('' 'Wang Fang' 'Liu Yang')
for n in 1 2; do
    hf_expect_exit 0 huifang --json lead add --name "${names[$n]}" --phone "1381234567$n" \
        --channel counter --region chaoyang
    hf_expect_exit 0 huifang purchase add --customer "$(cl_json_get "$HF_OUT" customer.id)" \
        --product VC30 --quantity 1
done
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow | grep -c plan_started | grep -qx 2"

# day 10, 09:05: two care calls in A001's bag; the first ask, with a key, gets one
hf_expect_exit 0 huifang clock set '2026-11-12 09:05'
hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -c '\"state\":\"assigned\"' | grep -qx 2"
hf_expect_exit 0 huifang --as A001 --json task next --idempotency-key ask-1
t1=$(cl_json_get "$HF_OUT" task.id)
hf_expect_exit 0 huifang --as A001 task skip "$t1" --reason 'moved away'
hf_expect_exit 0 huifang --as A001 --json task next
t2=$(cl_json_get "$HF_OUT" task.id)
[[ $t2 != "$t1" ]] || hf_fail "the second ask got another task"
hf_expect_exit 0 huifang --as A001 task skip "$t2" --reason 'moved away'

# the bag is empty: while a session holds the idempotency table against inserts, the empty
# ask and the unknown agent's are answered (they claim no key); a write would wait on it
PGAPPNAME=hf097lock psql -X -q -d "$HUIFANG_STORE_URL" \
    -c "BEGIN; LOCK TABLE scheduler.idempotency IN EXCLUSIVE MODE; SELECT pg_sleep(120); COMMIT" \
    >/dev/null 2>&1 &
lock_pid=$!
unlock() {
    q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'hf097lock'" \
        >/dev/null
    wait "$lock_pid" 2>/dev/null || true
}
hf_wait_until 10 bash -c "[[ \$(psql -X -q -t -A -d \"\$HUIFANG_STORE_URL\" -c \"SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'hf097lock' AND l.mode = 'ExclusiveLock' AND l.relation = 'scheduler.idempotency'::regclass AND l.granted\") == 1 ]]"
rc=0
timeout 20 huifang --as A001 task next >/tmp/hf097.$$.out 2>/tmp/hf097.$$.err || rc=$?
err=$(cat /tmp/hf097.$$.err)
rc2=0
timeout 20 huifang task next --agent Z999 >/dev/null 2>/tmp/hf097.$$.err || rc2=$?
err2=$(cat /tmp/hf097.$$.err)
rm -f /tmp/hf097.$$.out /tmp/hf097.$$.err
unlock
hf_expect_eq 3 "$rc" "the empty ask is answered (not found) while the idempotency table is held"
hf_expect_contains "$err" "no task waiting for agent A001" "it says the bag is empty"
hf_expect_eq 3 "$rc2" "an unknown agent's ask is answered too"
hf_expect_contains "$err2" "no agent Z999 in branch BJ01" "it names the agent"
# a retry of the first ask, with its key, still gets its task (the stored reply), bag empty
hf_expect_exit 0 huifang --as A001 --json task next --idempotency-key ask-1
hf_expect_eq "$t1" "$(cl_json_get "$HF_OUT" task.id)" "the retry replays the first answer"

# the ask with a new key finds the bag empty as before
hf_expect_exit 3 huifang --as A001 task next --idempotency-key ask-2
hf_log "ok"
