#!/usr/bin/env bash
# task next reads the few tasks it hands out, not the agent's whole bag (issue 14, sched12;
# migration 029, task_next). Its candidates are the agent's tasks assigned or claimed in the
# order claimed first, then priority (highest first), due time, id; the first 3 are locked
# (20 when none of those can be called now). Read through task_agent, every task of the bag
# was read (a heap page each: 40 customers' tasks) and sorted at every claim; read through
# task_next, which holds the bags' open tasks in that very order, the plan stops at the third
# (the twentieth) it locks. On a store of 20 branches with 10 agents each and a bag of 40 tasks
# an agent (one of them claimed, priorities and due times that tie), analysed, each statement
# prepared as the service prepares it (its text from scheduler_sql.h) and its generic plan
# (what a prepared statement keeps after five runs) run with EXPLAIN ANALYZE in a transaction
# rolled back:
#  1. the candidates' read of sched_task_next_first, sched_task_next and sched_task_next_many
#     reads 3, 3 and 20 of the bag's 40 tasks (through task_next, nothing sorted under the
#     lock);
#  2. the candidates are those the order gives over the whole bag, in it: the claimed task
#     first, ties broken by due time, then id;
#  3. the index holds the open tasks of the bags only (its predicate) in that order.
# Without migration 029 (the plan through task_agent and a sort) 1 fails: 40 tasks read.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-03 10:00 +0800'
# the scheduler runs once for its migrations, then stops: the store is written here
hf_stack_start scheduler
hf_service_stop scheduler
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }

# ---- the store: 20 branches, 10 agents each, 40 tasks in each bag, 100,000 planned ----------
T0=1793584800000 # 2026-11-03 10:00 Beijing, UTC ms
sql "SET search_path TO scheduler;
     INSERT INTO branch (code, tz, windows)
         SELECT 'B' || lpad(b::text, 2, '0'), 'Asia/Shanghai', '09:00-12:00,14:00-20:00'
           FROM generate_series(0, 19) b;
     INSERT INTO agent (branch, id, name, role, daily_calls, daily_visits)
         SELECT 'B' || lpad(b::text, 2, '0'), 'A' || lpad(a::text, 2, '0'), 'n', 'phone', 40, 0
           FROM generate_series(0, 19) b, generate_series(0, 9) a;
     INSERT INTO customer (id, branch, name, phone)
         SELECT i, 'B' || lpad(((i - 1) / 5000)::text, 2, '0'), 'n' || i, '139' || lpad(i::text, 8, '0')
           FROM generate_series(1, 100000) i;
     -- a task a customer; every 12th of a branch's first 4,800 in a bag (40 an agent), the
     -- rest planned; priorities of 5 values and due times of 7, so that both tie
     INSERT INTO task (branch, customer_id, step_no, purpose, channel, role, due_at_ms, priority,
                       state, agent, bag_date, updated_at_ms)
         SELECT 'B' || lpad(((i - 1) / 5000)::text, 2, '0'), i, 1, 'first-call', 'phone', 'phone',
                $T0 - (i % 7) * 60000, (i * 7) % 5,
                CASE WHEN bag THEN 'assigned' ELSE 'planned' END,
                CASE WHEN bag THEN 'A' || lpad((((i - 1) % 5000) / 12 % 10)::text, 2, '0') ELSE '' END,
                CASE WHEN bag THEN date '2026-11-03' END, $T0
           FROM generate_series(1, 100000) i,
                LATERAL (SELECT (i - 1) % 5000 < 4800 AND (i - 1) % 12 = 0 AS bag) x;
     -- one task of each bag claimed (of the lowest priority: claimed ones come first all the same)
     UPDATE task SET state = 'claimed', claims = 1 WHERE id IN (SELECT DISTINCT ON (branch, agent) id
         FROM task WHERE agent <> '' ORDER BY branch, agent, priority, id);
     TRUNCATE task_unindexed" >/dev/null
PGOPTIONS='-c default_statistics_target=1000' sql "VACUUM ANALYZE scheduler.task" >/dev/null
sql "ANALYZE scheduler.customer; ANALYZE scheduler.agent; ANALYZE scheduler.branch" >/dev/null
bag="SELECT count(*) FROM scheduler.task WHERE branch = 'B07' AND agent = 'A03'
      AND state IN ('assigned', 'claimed')"
hf_expect_eq 40 "$(sql "$bag")" "the bag of B07's A03"
hf_expect_eq 8000 "$(sql "SELECT count(*) FROM scheduler.task WHERE agent <> ''")" "the bags' tasks"

# ---- 1, 2. each statement's candidates: the rows read, and which ------------------------------
python3 - "$HF_SOURCE" "$HUIFANG_STORE_URL" >"$HF_E2E_TMP/reads.txt" <<'PY'
import json, re, subprocess, sys
root, url = sys.argv[1], sys.argv[2]
src = "".join(open(root + "/services/scheduler/" + f).read()
              for f in ("scheduler_internal.h", "scheduler_sql.h"))
src = re.sub(r'(?m)^#\s*include.*$', '', src)
out = subprocess.run(["gcc", "-E", "-P", "-x", "c", "-"], input=src, capture_output=True,
                     text=True, check=True).stdout
for name in ("sched_task_next_first", "sched_task_next", "sched_task_next_many"):
    m = re.search(r'static const hf_query_t \w+ = \{\s*"' + name + r'",\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\}', out)
    text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))).encode().decode("unicode_escape")
    n = max(int(k) for k in re.findall(r'\$(\d+)', text))
    args = ", ".join({1: "'B07'", 2: "'A03'", 4: "'task_next'"}.get(i, "''") for i in range(1, n + 1))
    script = ("SET search_path TO scheduler; SET plan_cache_mode = force_generic_plan;\n"
              "PREPARE q AS " + text + ";\nBEGIN;\n"
              "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE q(" + args + ");\nROLLBACK;\n"
              "BEGIN;\nEXECUTE q(" + args + ");\nROLLBACK;\n")
    r = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-F", " ", "-v", "ON_ERROR_STOP=1", "-d", url],
                       input=script, capture_output=True, text=True, check=True)
    plan, _, rows = r.stdout.partition("\n]\n")
    # the rows of task under the lock (the candidates' read): each scan of task below LockRows
    read, sorted_ = 0, False
    def walk(p, locked):
        global read, sorted_
        locked = locked or p["Node Type"] == "LockRows"
        if locked and p["Node Type"] == "Sort":
            sorted_ = True
        if locked and p.get("Relation Name") == "task":
            read += p["Actual Rows"] * p["Actual Loops"]
        for c in p.get("Plans", []):
            walk(c, locked)
    walk(json.loads(plan + "\n]")[0]["Plan"], False)
    ids = [line.split(" ")[0] for line in rows.strip().splitlines() if line.strip()]
    print(name, read, "sorted" if sorted_ else "ordered", ",".join(ids))
PY
cat "$HF_E2E_TMP/reads.txt" >&2
reads() { awk -v n="$1" '$1 == n { print $2, $3 }' "$HF_E2E_TMP/reads.txt"; }
picked() { awk -v n="$1" '$1 == n { print $4 }' "$HF_E2E_TMP/reads.txt"; }
hf_expect_eq "3 ordered" "$(reads sched_task_next_first)" "task next's first statement: 3 of a bag of 40 read"
hf_expect_eq "3 ordered" "$(reads sched_task_next)" "the candidates read again: 3 of 40"
hf_expect_eq "20 ordered" "$(reads sched_task_next_many)" "every candidate: 20 of 40"

# the order over the whole bag, as TASK_NEXT_ORDER says it
order() {
    sql "SELECT string_agg(id::text, ',' ORDER BY state = 'claimed' DESC, priority DESC, due_at_ms, id)
           FROM (SELECT * FROM scheduler.task WHERE branch = 'B07' AND agent = 'A03'
                 AND state IN ('assigned', 'claimed') ORDER BY state = 'claimed' DESC,
                 priority DESC, due_at_ms, id LIMIT $1) x"
}
hf_expect_eq "$(order 3)" "$(picked sched_task_next_first)" "the first statement's candidates, in order"
hf_expect_eq "$(order 3)" "$(picked sched_task_next)" "the candidates, in order"
hf_expect_eq "$(order 20)" "$(picked sched_task_next_many)" "every candidate, in order"
first=$(picked sched_task_next | cut -d, -f1)
hf_expect_eq "claimed" "$(sql "SELECT state FROM scheduler.task WHERE id = $first")" "the claimed task first"
ties=$(sql "SELECT count(*) FROM (SELECT priority, due_at_ms FROM scheduler.task WHERE branch = 'B07'
            AND agent = 'A03' GROUP BY 1, 2 HAVING count(*) > 1) x")
[[ $ties -ge 1 ]] || hf_fail "no tasks of the bag tie on priority and due time: the test shows nothing"

# ---- 3. the index ----------------------------------------------------------------------------
hf_expect_eq "task_next|(branch, agent, (((state)::text = 'claimed'::text)) DESC, priority DESC, due_at_ms, id) WHERE ((agent <> ''::text) AND ((state)::text = ANY (ARRAY['assigned'::text, 'claimed'::text])))" \
    "$(sql "SELECT indexname, substring(indexdef FROM '\(.*') FROM pg_indexes WHERE indexname = 'task_next'")" \
    "task_next holds the bags' open tasks in the candidates' order"
hf_log "ok: $(tr '\n' ';' <"$HF_E2E_TMP/reads.txt")"
