#!/usr/bin/env bash
# The clock survives the complaint service and Redis: the service is killed (SIGKILL) at
# 21:00 with the 12 h warning due at 22:00 and comes back at 23:00 to give it, at 22:00;
# then Redis is flushed (the due-queue is gone) and the timers are rebuilt from Postgres, so
# the escalation still comes at 24 h — for every running complaint, and none for a stopped one.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --tz Asia/Shanghai
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone
hf_expect_exit 0 huifang agent add H001 --name 'Zhao Lei' --role head
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345678 --channel counter
customer=$(hf_json_get "$HF_OUT" customer.id)

timeline() {
    huifang complaint show "$1" | awk '/^history/{h=1; getline; next} h && NF {print $1, $2, $3, $4, $6}'
}

file=(huifang --as A001 --json complaint file --customer "$customer" --category price
    --text 'charged twice' --idempotency-key restart-first)
hf_wait_until 10 "${file[@]}"
hf_expect_exit 0 "${file[@]}"
id=$(hf_json_get "$HF_OUT" id)
hf_expect_exit 0 huifang --as A001 --json complaint file --customer "$customer" --category other \
    --text 'a second one'
second=$(hf_json_get "$HF_OUT" id)
hf_expect_exit 0 huifang --as A001 --json complaint file --customer "$customer" --category other \
    --text 'waiting on the customer'
stopped=$(hf_json_get "$HF_OUT" id)
hf_expect_exit 0 huifang --as A001 complaint wait "$stopped"
hf_wait_until 10 bash -c "(( \$(redis-cli -u '$HUIFANG_REDIS_URL' --scan --pattern '*sla*' | wc -l) > 0 ))"

# 21:00: the service dies without a goodbye; the 22:00 warning falls due while it is away
hf_expect_exit 0 huifang clock advance 11h
hf_service_stop complaint KILL
hf_expect_exit 0 huifang clock advance 2h
hf_service_start complaint
hf_wait_until 10 bash -c "huifang complaint show $id | grep -q warning-50"
hf_wait_until 10 bash -c "huifang complaint show $second | grep -q warning-50"
hf_expect_eq "2026-11-02 10:00 opened 0 A001
2026-11-02 22:00 warning-50 0 A001" "$(timeline "$id")" "the warning at its own time, once"

# 23:00: Redis loses everything; the service notices the missing epoch and rebuilds the
# due-queue from Postgres
hf_expect_exit 0 redis-cli -u "$HUIFANG_REDIS_URL" flushdb
hf_wait_until 10 bash -c "(( \$(redis-cli -u '$HUIFANG_REDIS_URL' --scan --pattern '*sla*' | wc -l) > 0 ))"
hf_expect_contains "$(cat "$HF_E2E_TMP/complaint.log")" "sla_index_rebuild" "the rebuild is logged"
# 10:00 the next day: warned at 04:00 and escalated at 10:00, on time
hf_expect_exit 0 huifang clock advance 11h
hf_wait_until 10 bash -c "huifang complaint show $id | grep -q escalated"
hf_wait_until 10 bash -c "huifang complaint show $second | grep -q escalated"
hf_expect_eq "2026-11-02 10:00 opened 0 A001
2026-11-02 22:00 warning-50 0 A001
2026-11-03 04:00 warning-75 0 A001
2026-11-03 10:00 escalated 1 H001" "$(timeline "$id")" "escalated on time after a flush"
hf_expect_eq "2026-11-02 10:00 opened 0 A001
2026-11-02 10:00 waiting 0 A001" "$(timeline "$stopped")" "a stopped clock stays stopped"

# a flush and a restart together (TERM this time), both while the next warning is due
hf_expect_exit 0 huifang clock advance 11h
hf_service_stop complaint
hf_expect_exit 0 redis-cli -u "$HUIFANG_REDIS_URL" flushdb
hf_expect_exit 0 huifang clock advance 2h
hf_service_start complaint
hf_wait_until 10 bash -c "huifang complaint show $id | grep -c warning-50 | grep -qx 2"
hf_expect_exit 0 huifang --json complaint show "$id"
hf_expect_contains "$HF_OUT" '{"changed_at":"2026-11-03T14:00:00.000Z","change":"warning-50","level":1,"owner":"H001"' \
    "the head's 50 % warning at 22:00"
