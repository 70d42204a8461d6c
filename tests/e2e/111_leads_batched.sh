#!/usr/bin/env bash
# A load's leads applied as sets (issue 14, sched_leads.c): the scheduler keeps a batch's
# LeadRegistered events and writes them at once; what it writes must be exactly what one lead
# at a time writes. Through the real services on the manual clock:
#  - the same CSVs (1,000 leads each, in three zones) imported into two sets of branches
#    alike in all but their code: P1-P3 with the scheduler applying each lead on its own
#    (HUIFANG_SCHEDULER_LEAD_BATCH=1), B1-B3 with the batches (the default, the scheduler
#    stopped during the import so that it catches up in full batches) — every customer copy,
#    plan and task (template, state, step, day, window, priority) and the count of every event
#    the scheduler published are the same, branch for branch; so is the first call of each
#    lead on the emptiest of days 1-7 (the agents' capacity is smaller than a day's share, so
#    the placement fills days and spills);
#  - in one batch, a lead and then, of the same customer, a purchase, an opt-out or a second
#    lead (merged): every one ends as it does one event at a time (P4 against B4), the
#    purchase ending the lead's plan, the opt-out cancelling its calls, the merged lead
#    replacing it;
#  - two scheduler instances consuming one import: every lead's plan started exactly once,
#    two tasks each, one plan_started each, nothing in the dead letters.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800' # a Monday
export HUIFANG_SCHEDULER_LEAD_BATCH=1   # first: one lead at a time
hf_stack_start
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }
dir=$HF_E2E_TMP
ROWS=1000

# the scheduler has applied every event intake published
caught_up() {
    [[ $(sql "SELECT (SELECT last_seq FROM intake.outbox_seq WHERE producer = 'intake')
                   - (SELECT last_seq FROM scheduler.consumer_offset WHERE producer = 'intake')") == 0 ]]
}
# what the scheduler holds of a branch, customer by customer in the order they came (phones
# aside): the copy, the plans, the tasks
sig() {
    sql "SELECT string_agg(line, E'\n' ORDER BY id) FROM (
           SELECT c.id, concat_ws('|', c.name, c.region, c.card_type, c.opted_out, c.dnd_until,
             c.windows, c.tier, c.ref_date, c.created_at_ms, c.address, c.language,
             (SELECT string_agg(concat_ws('/', p.template, p.state, p.end_reason, p.supply_end,
                                          p.purchase_id IS NULL), ' ' ORDER BY p.id)
                FROM scheduler.plan p WHERE p.customer_id = c.id),
             (SELECT string_agg(concat_ws(':', t.step_no, t.occurrence, t.state, t.purpose,
                                          t.channel, t.role, t.due_at_ms, t.latest_at_ms,
                                          t.window_days, t.priority, t.outcome, t.origin),
                                ' ' ORDER BY t.step_no, t.occurrence, t.id)
                FROM scheduler.task t WHERE t.customer_id = c.id)) AS line
           FROM scheduler.customer c WHERE c.branch = '$1') x"
}
# the scheduler's events of a branch, counted by topic
events_of() {
    sql "SELECT string_agg(topic || '=' || n, ' ' ORDER BY topic) FROM (SELECT split_part(topic, '/', 1) topic, count(*) n
           FROM scheduler.outbox WHERE branch = '$1' GROUP BY 1) x"
}
same() {
    local a b
    a=$(sig "$1")
    b=$(sig "$2")
    [[ -n $a ]] || hf_fail "nothing for branch $1"
    if [[ $a != "$b" ]]; then
        diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | head -20 >&2
        hf_fail "$2 (batched) differs from $1 (one lead at a time)"
    fi
    hf_expect_eq "$(events_of "$1")" "$(events_of "$2")" "$2's events = $1's"
    hf_log "$1 = $2: $(wc -l <<<"$a") customers alike; events $(events_of "$2")"
}

ZONES=([1]=Asia/Shanghai [2]=Asia/Urumqi [3]=Asia/Hong_Kong [4]=Asia/Shanghai)
for set in P B; do
    for i in 1 2 3 4; do
        b=$set$i
        HUIFANG_BRANCH=$b hf_expect_exit 0 huifang branch add "$b" --name "Branch $b" \
            --tz "${ZONES[$i]}" --windows 09:00-12:00,14:00-20:00
        for a in A01 A02; do
            HUIFANG_BRANCH=$b hf_expect_exit 0 huifang agent add "$a" --name "Agent $a" \
                --role phone --daily-calls 60
        done
        HUIFANG_BRANCH=$b hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' \
            --days-per-unit 30 --price 168 --plan monthly-course
    done
done
for i in 1 2 3; do
    awk -v rows=$ROWS -v i="$i" 'BEGIN {
        ns = split("王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 胡 朱 高 林 何 郭 马 罗", sur, " ")
        ng = split("芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚", giv, " ")
        print "name,phone,gender,birth"
        srand(i)
        for (r = 0; r < rows; r++)
            printf "%s%s,%s,%s,%04d-%02d-%02d\n", sur[int(rand() * ns) + 1], giv[int(rand() * ng) + 1],
                "PHONE" r, rand() < 0.5 ? "f" : "m", 1940 + int(rand() * 60), int(rand() * 12) + 1,
                int(rand() * 28) + 1 }' >"$dir/leads$i.csv"
done
# the same rows for each set, the phones their own
import_set() {
    local set=$1 prefix=$2 i
    for i in 1 2 3; do
        awk -F, -v OFS=, -v p="$prefix$i" 'NR > 1 { n = substr($2, 6); $2 = sprintf("%s%05d", p, n) } { print }' \
            "$dir/leads$i.csv" >"$dir/$set$i.csv"
        HUIFANG_BRANCH=$set$i hf_expect_exit 0 huifang lead import "$dir/$set$i.csv" --channel counter
        hf_expect_contains "$HF_OUT" "added $ROWS," "$set$i: every row a lead"
    done
}
# the mixed batch: leads, then of the same customers a purchase, an opt-out, a second lead
mixed() {
    local b=$1 p=$2 x
    export HUIFANG_BRANCH=$b
    hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone "${p}001" --channel counter
    x=$(hf_json_get "$HF_OUT" customer.id)
    hf_expect_exit 0 huifang --json lead add --name 'Li Na' --phone "${p}002" --channel counter
    y=$(hf_json_get "$HF_OUT" customer.id)
    hf_expect_exit 0 huifang lead add --name 'Zhao Lei' --phone "${p}003" --channel counter
    hf_expect_exit 0 huifang purchase add --customer "$x" --product VC30 --quantity 1
    hf_expect_exit 0 huifang customer opt-out "$y" --reason 'asked not to be called'
    hf_expect_exit 0 huifang lead add --name 'Zhao Lei' --phone "${p}003" --channel clinic \
        --source 'free clinic'
    hf_expect_exit 0 huifang lead add --name 'Sun Li' --phone "${p}004" --channel counter
    unset HUIFANG_BRANCH
}

# ---- one lead at a time: P1-P3 live, then P4's mixed events in one catch-up -------------------
import_set P 13900
hf_wait_until 120 caught_up
hf_service_stop scheduler
mixed P4 13800000
hf_service_start scheduler
hf_wait_until 60 caught_up
hf_expect_eq 0 "$(sql "SELECT count(*) FROM scheduler.dead_letter")" "no dead letters (one at a time)"

# ---- the batches: B1-B4 while the scheduler is down, then one catch-up ------------------------
hf_service_stop scheduler
export HUIFANG_SCHEDULER_LEAD_BATCH=500
import_set B 13910
mixed B4 13800010
hf_service_start scheduler
hf_wait_until 120 caught_up
hf_expect_eq 0 "$(sql "SELECT count(*) FROM scheduler.dead_letter")" "no dead letters (batches)"
# task.plan_id has no foreign key since migration 024 (a per-row check and lock on the load's
# path): every task the leads made must still name a plan that exists
hf_expect_eq 0 "$(sql "SELECT count(*) FROM scheduler.task t WHERE t.plan_id IS NOT NULL
                        AND NOT EXISTS (SELECT 1 FROM scheduler.plan p WHERE p.id = t.plan_id)")" \
    "every task's plan exists"
hf_expect_eq 0 "$(sql "SELECT count(*) FROM scheduler.task WHERE plan_id IS NULL AND origin = 'plan'")" \
    "every planned step's task names its plan"
# the catch-up applied intake's events in batches (the mean batch, from the histogram)
mean=$(curl -sS --max-time 5 "http://127.0.0.1:$(($(hf_service_port scheduler) + 8))/metrics" |
    awk '/^huifang_consumer_batch_size_sum\{.*producer="intake"/ { s = $2 }
         /^huifang_consumer_batch_size_count\{.*producer="intake"/ { n = $2 }
         END { printf "%d", n ? s / n : 0 }')
hf_log "the catch-up: $mean events a batch on average"
((mean >= 20)) || hf_fail "the catch-up's batches were small ($mean events on average)"

for i in 1 2 3 4; do
    same "P$i" "B$i"
done
# the placement is not trivially alike: the first calls of 1,000 leads with 120 calls a day
# spread over the days of the window
days=$(sql "SELECT count(DISTINCT due_at_ms) FROM scheduler.task WHERE branch = 'B1' AND step_no = 1")
((days >= 5)) || hf_fail "the first calls of B1 fall on $days days only"
# and the mixed batch ended as the events say
plans_of() { sql "SELECT string_agg(template || '/' || state || '/' || coalesce(end_reason, ''), ' ' ORDER BY p.id) FROM scheduler.plan p JOIN scheduler.customer c ON c.id = p.customer_id WHERE c.branch = 'B4' AND c.name = '$1'"; }
hf_expect_eq "new-lead/archived/repurchased monthly-course/active/" "$(plans_of 'Wang Fang')" "a purchase after the lead in one batch"
hf_expect_eq "cancelled" "$(sql "SELECT string_agg(DISTINCT t.state, ',') FROM scheduler.task t JOIN scheduler.customer c ON c.id = t.customer_id WHERE c.branch = 'B4' AND c.name = 'Li Na'")" "an opt-out after the lead in one batch"
hf_expect_eq "new-lead/active/" "$(plans_of 'Zhao Lei')" "a merged lead after the lead in one batch (one conversion plan)"
hf_expect_eq "new-lead/active/" "$(plans_of 'Sun Li')" "a lead after them"
# plan_started carries the tasks as written
seq=$(sql "SELECT min(seq) FROM scheduler.outbox WHERE branch = 'B1' AND topic LIKE 'scheduler.plan_started/%'")
hf_expect_exit 0 huifang --json events tail --from-seq "$seq" --topic scheduler.plan_started --count 1 --no-follow
pid=$(hf_json_get "$HF_OUT" plan_started.plan_id)
tid=$(hf_json_get "$HF_OUT" plan_started.tasks.0.id)
hf_expect_eq "$(sql "SELECT id || ' ' || (to_timestamp(due_at_ms / 1000.0) AT TIME ZONE 'UTC')::date FROM scheduler.task WHERE plan_id = $pid AND step_no = 1")" \
    "$tid $(hf_json_get "$HF_OUT" plan_started.tasks.0.due_at | cut -c1-10)" "plan_started's first task is the row written"

# ---- reporting holds the same steps (its plan_started events are written per batch too) ---------
rep_caught_up() {
    [[ $(sql "SELECT (SELECT last_seq FROM scheduler.outbox_seq WHERE producer = 'scheduler')
                   - (SELECT last_seq FROM reporting.consumer_offset WHERE producer = 'scheduler')") == 0 ]]
}
hf_wait_until 120 rep_caught_up
for b in P1 P2 P3 P4 B1 B2 B3 B4; do
    want=$(sql "SELECT count(*) || ' ' || string_agg(t.id || ':' || (to_timestamp(t.due_at_ms / 1000.0)
                  AT TIME ZONE br.tz)::date || ':' || t.state, ' ' ORDER BY t.id)
                FROM scheduler.task t JOIN scheduler.branch br ON br.code = t.branch WHERE t.branch = '$b'")
    got=$(sql "SELECT count(*) || ' ' || string_agg(id || ':' || due_day || ':' || state, ' ' ORDER BY id)
               FROM reporting.task WHERE branch = '$b'")
    [[ $want == "$got" ]] || {
        diff <(tr ' ' '\n' <<<"$want") <(tr ' ' '\n' <<<"$got") | head -10 >&2
        hf_fail "reporting's steps of $b differ from the scheduler's"
    }
    hf_expect_eq "$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE state = 'cancelled') FROM reporting.task WHERE branch = '$b'")" \
        "$(sql "SELECT coalesce(sum(planned), 0) || ' ' || coalesce(sum(cancelled), 0) FROM reporting.step_day WHERE branch = '$b'")" \
        "reporting's step counts of $b (planned, cancelled) = its steps"
done
hf_log "reporting: every branch's steps and step counts = the scheduler's tasks"

# ---- two instances consume one import: each lead's plan once ----------------------------------
hf_instance_start scheduler2 scheduler $((HUIFANG_PORT_BASE + 44)) $((HUIFANG_PORT_BASE + 45)) \
    $((HUIFANG_PORT_BASE + 14))
HUIFANG_BRANCH=B1 hf_expect_exit 0 huifang branch add B5 --name 'Branch B5' --tz Asia/Shanghai
for i in 1 2; do
    awk -F, -v OFS=, -v p="13920$i" 'NR > 1 { n = substr($2, 6); $2 = sprintf("%s%05d", p, n) } { print }' \
        "$dir/leads$i.csv" >"$dir/B5-$i.csv"
done
HUIFANG_BRANCH=B5 hf_expect_exit 0 huifang lead import "$dir/B5-1.csv" --channel counter &
one=$!
HUIFANG_BRANCH=B5 hf_expect_exit 0 huifang lead import "$dir/B5-2.csv" --channel counter
wait "$one" || hf_fail "the first import into B5 failed"
hf_wait_until 120 caught_up
hf_expect_eq "$((2 * ROWS)) $((2 * ROWS)) $((4 * ROWS)) $((2 * ROWS)) 1" \
    "$(sql "SELECT (SELECT count(*) FROM scheduler.customer WHERE branch = 'B5') || ' ' ||
               (SELECT count(*) FROM scheduler.plan WHERE branch = 'B5') || ' ' ||
               (SELECT count(*) FROM scheduler.task WHERE branch = 'B5') || ' ' ||
               (SELECT count(*) FROM scheduler.outbox WHERE branch = 'B5' AND topic LIKE 'scheduler.plan_started/%') || ' ' ||
               (SELECT coalesce(max(n), 1) FROM (SELECT count(*) n FROM scheduler.plan WHERE branch = 'B5' GROUP BY customer_id) x)")" \
    "two instances: every customer, one plan each, two tasks each, one plan_started each"
hf_expect_eq 0 "$(sql "SELECT count(*) FROM scheduler.dead_letter")" "no dead letters (two instances)"
hf_service_stop scheduler2
hf_log "ok"
