#!/usr/bin/env bash
# A claimed task can be given back (`task release`: it returns to the same agent's date bag,
# to be claimed again) or ended unworked (`task skip --reason`: done, outcome skipped, the
# reason kept). Only the agent holding it or a supervisor may (exit 4 otherwise); a task not
# claimed is a conflict (4), an unknown one 3, a missing reason 2 — and none changes a thing.
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
copy_is() { [[ $(q "$2") == "$1" ]]; }

# --lead-plans none: this test counts the plans and tasks of purchases; a lead's own conversion
# plan (150_lead_first_call.sh) would add to them
hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --windows 09:00-12:00,14:00-20:00 \
    --lead-plans none
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
hf_expect_exit 0 huifang agent add A002 --name 'Zhou Hua' --role phone --regions haidian
hf_expect_exit 0 huifang agent add L001 --name 'Chen Jie' --role lead
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168
names=('' 'Wang Fang' 'Liu Yang' 'Zhao Min')
for n in 1 2 3; do
    hf_expect_exit 0 huifang --json lead add --name "${names[$n]}" --phone "1381234567$n" \
        --channel counter --region chaoyang
    hf_expect_exit 0 huifang purchase add --customer "$(cl_json_get "$HF_OUT" customer.id)" \
        --product VC30 --quantity 1
done
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow | grep -c plan_started | grep -qx 3"

# day 10, 09:05: the care call is in A001's bag; A001 claims it
hf_expect_exit 0 huifang clock set '2026-11-12 09:05'
hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -c '\"state\":\"assigned\"' | grep -qx 3"
hf_expect_exit 0 huifang --as A001 --json task next
tid=$(cl_json_get "$HF_OUT" task.id)

# ---- release ----------------------------------------------------------------------------
hf_expect_exit 4 huifang task release "$tid"
hf_expect_contains "$HF_ERR" "admin is no agent of this branch" "the admin is no agent: says who may"
hf_expect_exit 4 huifang --as A002 task release "$tid"
hf_expect_contains "$HF_ERR" "supervisor" "another agent may not"
hf_expect_exit 3 huifang --as A001 task release 999999
hf_expect_exit 2 huifang --as A001 task release abc
hf_expect_exit 0 huifang --json task show "$tid"
cl_json_expect "$HF_OUT" task.state claimed task.agent A001 "the refusals changed nothing"

hf_expect_exit 0 huifang --as A001 task release "$tid"
hf_expect_contains "$HF_OUT" "back in A001's bag for 2026-11-12" "says where it went"
hf_expect_exit 0 huifang --json task show "$tid"
cl_json_expect "$HF_OUT" task.state assigned task.agent A001 task.bag_date 2026-11-12 task.claims 1
hf_expect_exit 4 huifang --as A001 task release "$tid"
hf_expect_contains "$HF_ERR" "not claimed" "released once"
hf_expect_exit 4 huifang --as A001 call log --task "$tid" --outcome connected
hf_expect_contains "$HF_ERR" "not claimed" "a released claim cannot be logged"

# claimed again, from the bag it went back to
hf_expect_exit 0 huifang --as A001 --json task next
cl_json_expect "$HF_OUT" task.id "$tid" task.state claimed task.claims 2

# ---- skip -------------------------------------------------------------------------------
hf_expect_exit 2 huifang --as A001 task skip "$tid"
hf_expect_contains "$HF_ERR" "--reason" "names the flag"
hf_expect_exit 2 huifang --as A001 task skip "$tid" --reason '   '
hf_expect_contains "$HF_ERR" "reason" "names the field"
hf_expect_exit 4 huifang --as A002 task skip "$tid" --reason 'not mine'
hf_expect_exit 0 huifang --json task show "$tid"
cl_json_expect "$HF_OUT" task.state claimed "the refusals changed nothing"

# a supervisor may end another agent's claim
hf_expect_exit 0 huifang --as L001 task skip "$tid" --reason 'customer moved abroad'
hf_expect_contains "$HF_OUT" "skipped: customer moved abroad" "says so"
hf_expect_exit 0 huifang --json task show "$tid"
cl_json_expect "$HF_OUT" task.state done task.outcome skipped
hf_expect_eq 'skipped|customer moved abroad' "$(q "SELECT outcome, skip_reason FROM scheduler.task WHERE id = $tid")" "the reason is kept"
hf_expect_exit 4 huifang --as L001 task skip "$tid" --reason again
hf_expect_exit 4 huifang --as A001 call log --task "$tid" --outcome connected
hf_wait_until 10 copy_is done "SELECT state FROM reporting.task WHERE id = $tid"

# ---- a deactivated agent's work goes to a colleague ---------------------------------------
# A001 holds a second call and has a third waiting; A001 is deactivated: the waiting one goes
# back to the queue and on to A003, the held one stays A001's until a supervisor releases it
# — to the queue too, since A001 has no bag any more.
hf_expect_exit 0 huifang --as A001 --json task next
tid2=$(cl_json_get "$HF_OUT" task.id)
hf_expect_exit 0 huifang --json worklist --agent A001
tid3=$(printf '%s\n' "$HF_OUT" | grep -m 1 '"state":"assigned"' | sed 's/^{"id":\([0-9]*\),.*/\1/')
[[ $tid3 =~ ^[0-9]+$ ]] || hf_fail "no third task in A001's bag: $HF_OUT"
hf_expect_exit 0 huifang agent add A003 --name 'Qian Li' --role phone --regions chaoyang
hf_expect_exit 0 huifang agent deactivate A001
hf_wait_until 10 bash -c "huifang --json task show $tid3 | grep -q '\"agent\":\"A003\"'"
hf_expect_exit 0 huifang --json task show "$tid2"
cl_json_expect "$HF_OUT" task.state claimed task.agent A001 "a held task stays with its holder"
hf_expect_exit 0 huifang --as L001 task release "$tid2"
hf_expect_contains "$HF_OUT" "back in the queue" "no bag to go back to"
hf_wait_until 10 bash -c "huifang --json task show $tid2 | grep -q '\"agent\":\"A003\"'"
hf_expect_exit 0 huifang --json worklist --agent A003
hf_expect_eq 2 "$(printf '%s\n' "$HF_OUT" | grep -c '"state":"assigned"')" "both are in A003's bag"
hf_expect_exit 3 huifang --as A001 task next
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.task_completed --no-follow
# the reason is free text an agent typed: the tap shows its length only (hf_mask)
hf_expect_contains "$HF_OUT" '"skip_reason":"[21 chars]"' "the event carries the reason, masked"
hf_log "ok"
