#!/usr/bin/env bash
# The brief task show calllog asks the scheduler for (the task a call log names, its customer
# and purchases) is answered before any transaction (sched_task_show_check): one statement
# reads all three and the next writes its audit row, in one round trip. Through the real
# services: a call log whose order takes its product from the task's purchase (the purchases
# came) leaves one scheduler task_show row naming A001, BJ01 and the customer; a call log of
# another branch's task or of an unknown task is refused (3, "no task") and leaves no
# task_show row; a claim's own row (task_next) is there as before. A version that forgets the
# audit row, writes it for a task it does not show, or loses the purchases fails here.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

sql() { hf_store_value "$1"; }
# the scheduler's task_show rows: "actor:branch:customers" one per line, oldest first
shows() {
    sql "SELECT actor || ':' || branch || ':' || array_to_string(customers, ',') FROM audit.access
         WHERE service = 'scheduler' AND command = 'task_show' ORDER BY id"
}

hf_plan_branch_start # BJ01 on the manual clock, without lead plans (lib.sh)
hf_expect_exit 0 huifang --branch SH01 branch add SH01 --name 'Shanghai Pudong' \
    --windows 09:00-12:00,14:00-20:00 --lead-plans none
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
hf_expect_exit 0 huifang --branch SH01 agent add S001 --name 'Xu Ying' --role phone --regions pudong
hf_plan_purchases 1 # VC30 and one customer with a unit of it, the plan started (lib.sh)

hf_expect_exit 0 huifang clock advance 10d # 2026-11-12 10:00 in Beijing
hf_wait_assigned A001 1
hf_expect_exit 0 huifang --as A001 --json task next
task=$(hf_json_get "$HF_OUT" task.id)
customer=$(hf_json_get "$HF_OUT" task.customer_id)
[[ $task =~ ^[1-9][0-9]*$ && $customer =~ ^[1-9][0-9]*$ ]] || hf_fail "task next: $HF_OUT"
hf_expect_eq 1 "$(sql "SELECT count(*) FROM audit.access WHERE service = 'scheduler'
                       AND command = 'task_next' AND customers = '{$customer}'")" \
    "the claim's audit row"
hf_expect_eq "" "$(shows)" "no task_show row before the call log"

# another branch's agent names the task: the scheduler finds no such task in SH01
hf_expect_exit 3 huifang --branch SH01 --as S001 call log --task "$task" --outcome connected
hf_expect_contains "$HF_ERR" "no task $task in branch SH01" "another branch's task is not found"
hf_expect_exit 3 huifang --as A001 call log --task 987654321 --outcome connected
hf_expect_contains "$HF_ERR" "no task 987654321" "an unknown task is not found"
hf_expect_eq "" "$(shows)" "a show that found no task leaves no audit row"

# the call log: the order's product comes from the task's purchase, shown with the task
hf_expect_exit 0 huifang --as A001 call log --task "$task" --outcome connected --order 2
hf_expect_eq "VC30" "$(sql "SELECT order_product FROM calllog.contact WHERE task_id = $task")" \
    "the order's product, from the purchase the brief show gave"
hf_expect_eq "A001:BJ01:$customer" "$(shows)" "one task_show row: A001, BJ01, the customer"
hf_expect_eq 1 "$(sql "SELECT count(*) FROM audit.access WHERE service = 'scheduler'
                       AND command = 'task_show' AND request_id <> ''")" "the row names its request"
hf_log "ok"
