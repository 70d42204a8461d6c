#!/usr/bin/env bash
# task next's first statement no longer carries the bag roll look (issue 14, claim10): it asks
# only whether the agent's bags of earlier days hold a task still assigned (a probe, nothing
# locked), and the look (SCHED_Q_ROLL_BAGS_TASK, locking what it rolls) runs after it only when
# they do; the branch (its time zone and windows) comes with that statement, a brief task show's
# with its own, and an empty ask's check asks whether the branch is known in its one statement:
# none reads the branch apart (sched_branch_get: a round trip of its own whenever intake's
# stream moved since it kept the branch). What must hold:
#  1. a claim whose earlier bags hold nothing costs what it did: 3 round trips, 6 statements (9
#     until the context's reads went into the claim's statement, sched12),
#     also right after intake's stream moved (it was 4 and 10 then); an empty ask's check 1
#     round trip and 1 statement (2 and 2 then);
#  2. tasks left in an earlier day's bag are rolled by the claim itself (today's bag, one step
#     more urgent, counted) before the pick, and the pick is among them as the roll makes it;
#     that claim costs the look's round trip and statement on top of what it cost before
#     (9 round trips and 12 statements, 8 and 11 before: a claim an agent a day at most);
#  3. a bag of an earlier day refilled after a claim (a task claimed yesterday and released
#     today goes back into yesterday's bag) is rolled by the next ask all the same: nothing
#     remembers a bag as empty;
#  4. a brief show after intake's stream moved (the branch kept in memory is then read again
#     by sched_branch_get) is still 1 round trip and 1 statement (it was 2 and 2), its reply
#     as before (test_task_show_check compares it with the command's, byte for byte);
#  5. the candidates' customers are joined to the 3 candidates the statement locks, not to every
#     task of the bag before the sort (a national chain's agent starts the day with ~40).
# The look back in the first statement fails 2's cost; a probe that misses a refilled bag
# fails 3; the branch read apart again fails 1 or 4; the customer joined before the sort and
# the LIMIT fails 5 (13 rows joined).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

sql() { hf_store_value "$1"; }
# nothing prepared (the statements sent as text, as e2e/090 runs them): every round trip a
# command's log line counts is one of its own, not a statement's first preparation
export HUIFANG_PG_PREPARE=off
hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
hf_expect_exit 0 huifang agent add A002 --name 'Zhao Lei' --role consult --regions chaoyang
hf_plan_purchases 7 # VC30 and seven customers with a unit of it, their plans started (lib.sh)

hf_expect_exit 0 huifang clock advance 10d # 2026-11-12 10:00 in Beijing
hf_wait_assigned A001 7

# the cost of the scheduler's last COMMAND that answered OK, not replayed: "TRIPS STATEMENTS"
cost() {
    grep "command=$1 status=0 " "$HF_E2E_TMP/scheduler.log" | grep -v 'replayed=' | tail -n 1 |
        sed -n 's/.* store_trips=\([0-9]*\) store_statements=\([0-9]*\).*/\1 \2/p'
}
# a task's "state bag_date rolls priority"
row() { sql "SELECT concat_ws(' ', state, bag_date, rolls, priority) FROM scheduler.task WHERE id = $1"; }
claim() { # claim KEY: the id of the task handed out, the one held skipped first
    hf_expect_exit 0 huifang --as A001 --json task next --idempotency-key "$1"
    hf_json_get "$HF_OUT" task.id
}

# ---- 1. the common claim, and the branch read with it -------------------------------------------
t1=$(claim next-1)
hf_expect_exit 0 huifang --as A001 task skip "$t1" --reason 'moved away'
t2=$(claim next-2) # its check skipped: the last claim saw the agent hold more
[[ $t2 =~ ^[1-9][0-9]*$ && $t2 != "$t1" ]] || hf_fail "the second claim: $t2"
hf_expect_eq "3 6" "$(cost task_next)" "a claim, earlier bags empty: 3 round trips, 6 statements"
hf_expect_exit 0 huifang --as A001 task skip "$t2" --reason 'moved away'
# intake's stream moves: the branch the scheduler kept in memory is read again by the commands
# that still ask sched_branch_get for it
n=0 names=(Yang Yong)
intake_moves() {
    hf_expect_exit 0 huifang lead add --name "Customer ${names[n]}" --phone "1381234990$n" \
        --channel counter --region chaoyang
    n=$((n + 1))
    hf_wait_applied scheduler intake
}
intake_moves
t2b=$(claim next-2b)
hf_expect_eq "3 6" "$(cost task_next)" "a claim after intake's stream moved: the branch in its first statement"
hf_expect_exit 0 huifang --as A001 task skip "$t2b" --reason 'moved away'
intake_moves
hf_expect_exit 3 huifang --as A002 task next # a consult agent: nothing in any bag
line=$(grep "command=task_next status=3 actor=A002 " "$HF_E2E_TMP/scheduler.log" | tail -n 1)
hf_expect_eq "1 1" "$(sed -n 's/.* store_trips=\([0-9]*\) store_statements=\([0-9]*\).*/\1 \2/p' <<<"$line")" \
    "an empty ask after intake's stream moved: its check's one statement asks for the branch too"

# ---- 2. an earlier day's bag rolled by the claim ------------------------------------------------
# the four left moved into yesterday's bag, as if nobody had worked them (the clock stays still:
# the house timer's roll, once a minute of the clock, does not come first)
left=$(sql "SELECT string_agg(id::text, ' ' ORDER BY id) FROM scheduler.task
            WHERE agent = 'A001' AND state = 'assigned'")
read -r -a ids <<<"$left"
hf_expect_eq 4 "${#ids[@]}" "four tasks left"
declare -A prio
for id in "${ids[@]}"; do prio[$id]=$(sql "SELECT priority FROM scheduler.task WHERE id = $id"); done
sql "UPDATE scheduler.task SET bag_date = date '2026-11-11' WHERE id IN (${left// /,})" >/dev/null
t3=$(claim next-3)
[[ " $left " == *" $t3 "* ]] || hf_fail "the rolled claim handed out $t3, not one of $left"
hf_expect_eq "9 12" "$(cost task_next)" \
    "a claim that rolls: the look, the roll's four statements and the next tasks' read (8 and 11 when the look was in the first statement)"
for id in "${ids[@]}"; do
    want="assigned 2026-11-12 1 $((prio[$id] + 1))"
    [[ $id == "$t3" ]] && want="claimed 2026-11-12 1 $((prio[$id] + 1))"
    hf_expect_eq "$want" "$(row "$id")" "task $id rolled into today's bag, one step more urgent"
done
hf_expect_eq "" "$(sql "SELECT id FROM scheduler.task WHERE agent = 'A001' AND state = 'assigned'
                        AND bag_date < date '2026-11-12'")" "nothing left in yesterday's bag"

# ---- 3. an earlier bag refilled after the claims looked at it -----------------------------------
# t3 as if claimed yesterday, released today: back into yesterday's bag
sql "UPDATE scheduler.task SET bag_date = date '2026-11-11' WHERE id = $t3" >/dev/null
hf_expect_exit 0 huifang --as A001 task release "$t3"
hf_expect_eq "assigned 2026-11-11 1 $((prio[$t3] + 1))" "$(row "$t3")" "released into yesterday's bag"
t4=$(claim next-4)
hf_expect_eq "2026-11-12 2 $((prio[$t3] + 2))" \
    "$(sql "SELECT concat_ws(' ', bag_date, rolls, priority) FROM scheduler.task WHERE id = $t3")" \
    "rolled again by the next ask: today's bag, one step more urgent"
hf_expect_eq "$t3" "$t4" "and handed out, the most urgent of the bag"
hf_expect_eq "" "$(sql "SELECT id FROM scheduler.task WHERE agent = 'A001' AND state = 'assigned'
                        AND bag_date < date '2026-11-12'")" "nothing left in yesterday's bag"

# ---- 4. a brief show after intake's stream moved ------------------------------------------------
hf_expect_exit 0 huifang --json lead add --name 'Customer Z' --phone 13812349999 --channel counter \
    --region chaoyang
hf_wait_applied scheduler intake
hf_expect_exit 0 huifang --as A001 call log --task "$t4" --outcome connected --order 1
hf_expect_eq "1 1" "$(cost task_show)" "a brief show: 1 round trip, 1 statement, the branch with it"
hf_expect_eq "VC30" "$(sql "SELECT order_product FROM calllog.contact WHERE task_id = $t4")" \
    "the order's product, from the purchase the brief show gave"

# ---- 5. the candidates' customers: read for the first few only -----------------------------------
# ten more tasks in A001's bag of today; task next's first statement, prepared as the service
# prepares it (its text from scheduler_sql.h), run in a transaction rolled back: the customer
# is joined to the 3 candidates locked, not to every task of the bag before the sort
sql "INSERT INTO scheduler.task (branch, customer_id, step_no, occurrence, purpose, channel, role,
         due_at_ms, priority, state, agent, bag_date, updated_at_ms, origin)
     SELECT 'BJ01', customer_id, 90 + i, 0, 'care', 'phone', 'phone', due_at_ms + i, priority,
            'assigned', 'A001', date '2026-11-12', updated_at_ms, 'plan'
       FROM scheduler.task, generate_series(1, 10) i WHERE id = $t4" >/dev/null
joined=$(python3 - "$HF_SOURCE" "$HUIFANG_STORE_URL" <<'PY'
import json, re, subprocess, sys
root, url = sys.argv[1], sys.argv[2]
src = "".join(open(root + "/services/scheduler/" + f).read()
              for f in ("scheduler_internal.h", "scheduler_sql.h"))
src = re.sub(r'(?m)^#\s*include.*$', '', src)
out = subprocess.run(["gcc", "-E", "-P", "-x", "c", "-"], input=src, capture_output=True,
                     text=True, check=True).stdout
m = re.search(r'static const hf_query_t \w+ = \{\s*"sched_task_next_first",\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\}', out)
text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))).encode().decode("unicode_escape")
n = max(int(k) for k in re.findall(r'\$(\d+)', text))
args = {1: "'BJ01'", 2: "'A001'"}  # the others: no key ('') or today (a date)
arg = lambda i: args.get(i, "'2026-11-12'" if "$%d::date" % i in text else "''")
script = ("SET search_path TO scheduler; BEGIN; PREPARE q AS " + text + ";\n"
          "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE q(" +
          ", ".join(arg(i) for i in range(1, n + 1)) + ");\nROLLBACK;\n")
r = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", url],
                   input=script, capture_output=True, text=True, check=True)
# the task rows joined to customer: the rows of the other side of each join whose one side
# reads customer (through a Hash, Materialize or Memoize), whatever the join's kind
def reads_customer(p):
    if p.get("Relation Name") == "customer":
        return True
    return p["Node Type"] in ("Hash", "Materialize", "Memoize") and any(
        reads_customer(c) for c in p.get("Plans", []))
joined = 0
def walk(p):
    global joined
    kids = p.get("Plans", [])
    if ("Join" in p["Node Type"] or p["Node Type"] == "Nested Loop") and len(kids) == 2:
        for a, b in ((kids[0], kids[1]), (kids[1], kids[0])):
            if reads_customer(b) and not reads_customer(a):
                joined += a["Actual Rows"] * a["Actual Loops"]
    for c in kids:
        walk(c)
walk(json.loads(r.stdout)[0]["Plan"])
print(joined)
PY
)
hf_expect_eq 3 "$joined" "the customer joined to the 3 candidates of a bag of $(sql "SELECT count(*)
    FROM scheduler.task WHERE agent = 'A001' AND state IN ('assigned', 'claimed')") tasks"
hf_log "ok"
