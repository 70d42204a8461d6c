#!/usr/bin/env bash
# The due-index's to-do list (issue 14, migration 019): the tasks still to be put into Redis
# are rows of task_unindexed, filled by task's triggers; the index timer puts the tasks still
# planned and deletes the rows, and never writes task. Through the real scheduler and Redis:
#  - four tasks made (three calls, one letter): the calls are put with their due times, the
#    letter never; the task rows are the ones the insert wrote (xmin, no xmax: the timer
#    neither updated nor locked them — the code before marked each one indexed);
#  - with the scheduler stopped: one call re-dated (twice in a transaction), one moved to
#    assigned and back to planned, one cancelled, a re-date asked of a cancelled task and of
#    the letter, a call made and cancelled in one transaction: the list holds exactly the
#    re-dated one, the one back in planned and the one made (once each);
#  - the scheduler started: the re-dated call is in Redis with its new due time, the one back
#    in planned with its own, the cancelled ones and the letter are not put;
#  - Redis flushed: every planned call (two) is listed and put again, the letter is not.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 08:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }
listed() { sql "SELECT count(*) FROM scheduler.task_unindexed"; }
score() { redis-cli -u "$HUIFANG_REDIS_URL" zscore 'hf:{BJ01}:task:due' "$1"; }
hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing' --windows 00:00-24:00

# due ten days on (nothing falls due here; no agent either)
start_ms=$(date -d "$HF_CLOCK_START" +%s%3N)
due=$((start_ms + 10 * 86400000))
mk() { # mk CUSTOMER CHANNEL: makes a planned task, prints its id
    sql "INSERT INTO scheduler.task (branch, customer_id, step_no, occurrence, purpose, channel,
           role, due_at_ms, priority, updated_at_ms)
         VALUES ('BJ01', $1, 1, 0, 'care', '$2', 'phone', $due + $1, 20, $start_ms) RETURNING id"
}
a=$(mk 1 phone)
b=$(mk 2 phone)
c=$(mk 3 letter)
d=$(mk 4 phone)
written=$(sql "SELECT string_agg(xmin::text, ',' ORDER BY id) FROM scheduler.task")
hf_wait_until 10 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c 'SELECT count(*) FROM scheduler.task_unindexed')\" = 0 ]"
hf_expect_eq $((due + 1)) "$(score "$a")" "the first call put with its due time"
hf_expect_eq $((due + 2)) "$(score "$b")" "the second"
hf_expect_eq $((due + 4)) "$(score "$d")" "the fourth"
hf_expect_eq "" "$(score "$c")" "the letter is not put"
hf_expect_eq "$written" "$(sql "SELECT string_agg(xmin::text, ',' ORDER BY id) FROM scheduler.task")" \
    "the task rows are the insert's (the index timer wrote none)"
hf_expect_eq 0 "$(sql "SELECT count(*) FROM scheduler.task WHERE xmax::text <> '0'")" "and locked none"

# the scheduler stopped: what is asked is listed, once each
hf_service_stop scheduler
sql "BEGIN;
     UPDATE scheduler.task SET due_at_ms = $due + 100, indexed = false WHERE id = $a;
     UPDATE scheduler.task SET due_at_ms = $due + 101, indexed = false WHERE id = $a;
     COMMIT"
sql "UPDATE scheduler.task SET state = 'assigned', agent = 'A001' WHERE id = $b"
sql "UPDATE scheduler.task SET state = 'planned', agent = '', indexed = false,
       due_at_ms = $due + 102 WHERE id = $b"
sql "UPDATE scheduler.task SET state = 'cancelled' WHERE id = $d"
sql "UPDATE scheduler.task SET due_at_ms = $due + 103, indexed = false WHERE id IN ($c, $d)"
e=$(sql "BEGIN;
         INSERT INTO scheduler.task (branch, customer_id, step_no, occurrence, purpose, channel,
           role, due_at_ms, priority, updated_at_ms)
         VALUES ('BJ01', 5, 1, 0, 'care', 'phone', 'phone', $due + 5, 20, $start_ms) RETURNING id;
         UPDATE scheduler.task SET state = 'cancelled' WHERE customer_id = 5;
         COMMIT" | head -1)
hf_expect_eq "$(printf '%s\n' "$a" "$b" "$e" | sort -n | paste -sd,)" \
    "$(sql "SELECT string_agg(id::text, ',' ORDER BY id) FROM scheduler.task_unindexed")" \
    "listed: the re-dated call, the one back in planned, the one made (once each)"

hf_service_start scheduler
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c 'SELECT count(*) FROM scheduler.task_unindexed')\" = 0 ]"
hf_expect_eq $((due + 101)) "$(score "$a")" "the re-dated call put with its new due time"
hf_expect_eq $((due + 102)) "$(score "$b")" "the call back in planned put with its own"
hf_expect_eq "" "$(score "$e")" "a call cancelled before it was put is not put"
hf_expect_eq "" "$(score "$c")" "the letter is still not put"

# Redis flushed: the planned calls go back in, nothing else
redis-cli -u "$HUIFANG_REDIS_URL" flushdb >/dev/null
hf_wait_until 20 bash -c "grep -q 'event=index_rebuild reason=\"redis epoch missing\" tasks=2' '$HF_E2E_TMP/scheduler.log'"
hf_wait_until 10 bash -c "[ \"\$(redis-cli -u '$HUIFANG_REDIS_URL' zcard 'hf:{BJ01}:task:due')\" = 2 ]"
hf_expect_eq $((due + 101)) "$(score "$a")" "after the flush: the re-dated call"
hf_expect_eq $((due + 102)) "$(score "$b")" "and the other planned one"
hf_expect_eq 0 "$(listed)" "the list is empty again"
hf_log "ok"
