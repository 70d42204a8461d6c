#!/usr/bin/env bash
# An adverse reaction reported on a follow-up call raises a home-visit doctor's task due at
# once (the "doctor home-visit list"): call_logged carries effect=adverse, the scheduler
# plans the visit without reading the call log's tables, the doctor finds it in their date
# bag straight away, claims it and records the patient service sheet with `visit log`.
# Needs the scheduler's part (a doctor's visit on effect=adverse).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --windows 09:00-12:00,14:00-20:00
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
hf_expect_exit 0 huifang agent add DR01 --name 'Dr. Guo Ping' --role doctor --regions chaoyang \
    --daily-visits 6
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345678 --channel counter \
    --region chaoyang --address 'Chaoyang Rd 8'
customer=$(cl_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang purchase add --customer "$customer" --product VC30 --quantity 1

# day 10, 10:00: on the care call the customer reports a rash
hf_expect_exit 0 huifang clock advance 10d
hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -q '\"state\":\"assigned\"'"
hf_expect_exit 0 huifang --as A001 --json task next
care=$(cl_json_get "$HF_OUT" task.id)
hf_expect_exit 0 huifang --as A001 --json call log --task "$care" --outcome connected \
    --effect adverse --advice 'stop taking it until the doctor has seen you' \
    --note 'rash on both arms since the second week'
contact=$(cl_json_get "$HF_OUT" id)
hf_expect_exit 0 huifang events tail --from-seq 1 --topic calllog.call_logged --no-follow
cl_json_expect "$HF_OUT" call_logged.contact.id "$contact" call_logged.contact.effect adverse \
    call_logged.contact.customer_id "$customer"

# the doctor's visit is due at once and lands in the doctor's bag today
hf_wait_until 10 bash -c "huifang --json worklist --agent DR01 | grep -q '\"customer_id\":$customer,'"
hf_expect_exit 0 huifang --json worklist --agent DR01
bag=$HF_OUT
hf_expect_eq 1 "$(printf '%s\n' "$bag" | grep -c .)" "one visit in the doctor's bag"
mapfile -t v <<<"$(cl_json_values "$bag" id due_at channel role bag_date)"
visit=${v[0]} due=${v[1]}
hf_expect_eq visit "${v[2]}" "a home visit"
hf_expect_eq doctor "${v[3]}" "by a doctor"
hf_expect_eq 2026-11-12 "${v[4]}" "in today's bag"
# RFC 3339 in UTC compares as text; now is 2026-11-12 10:00 +08
[[ ! $due > 2026-11-12T02:00:00.000Z ]] || hf_fail "the doctor's visit is due at $due: not at once"

# the doctor claims it first thing and records the patient service sheet
hf_expect_exit 0 huifang --as DR01 --json task next
hf_expect_eq "$visit" "$(cl_json_get "$HF_OUT" task.id)" "the doctor's next task is the visit"
hf_expect_exit 0 huifang clock advance 2h
hf_expect_exit 0 huifang --as DR01 --json visit log --task "$visit" --outcome connected \
    --bp 135/85 --pulse 76 --symptoms 'itchy rash on both forearms' \
    --findings 'mild urticaria, no fever; took it with seafood' \
    --advice 'stop for a week, then half the dose after meals' --effect none --next 2026-11-19
cl_json_expect "$HF_OUT" task_id "$visit" channel visit agent DR01 customer_id "$customer" \
    findings.blood_pressure 135/85 findings.symptoms "itchy rash on both forearms" \
    effect none next_date 2026-11-19
hf_wait_until 10 bash -c "huifang --json task show $visit | grep -q '\"state\":\"done\"'"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic calllog.visit_logged --no-follow
hf_expect_eq 1 "$(printf '%s\n' "$HF_OUT" | grep -c .)" "one visit_logged"

# ---- the doctor promised to come back on 11-19 (--next): that visit is planned for DR01 ----
# on that day at the first window, and it follows the same reaction
hf_expect_exit 0 huifang clock set '2026-11-19 09:05'
hf_wait_until 10 bash -c "huifang --json worklist --agent DR01 | grep -q '\"state\":\"assigned\"'"
hf_expect_exit 0 huifang --json worklist --agent DR01
hf_expect_eq 1 "$(printf '%s\n' "$HF_OUT" | grep -c .)" "the promised visit in the doctor's bag"
cl_json_expect "$HF_OUT" customer_id "$customer" channel visit role doctor \
    purpose adverse-reaction bag_date 2026-11-19 due_at 2026-11-19T01:00:00.000Z
hf_expect_exit 0 huifang --as DR01 --json task next
follow=$(cl_json_get "$HF_OUT" task.id)
((follow > visit)) || hf_fail "the promised visit is a task of its own ($follow after $visit)"

# the rash is still there: the doctor records it on the follow-up visit, which is no new
# occurrence — no third doctor's visit, no second adverse-reaction complaint
hf_expect_exit 0 huifang --as DR01 visit log --task "$follow" --outcome connected \
    --bp 130/80 --pulse 72 --symptoms 'the rash is fading' --findings 'mild urticaria still' \
    --advice 'half the dose after meals for another week' --effect adverse
hf_wait_until 10 bash -c "huifang --json task show $follow | grep -q '\"state\":\"done\"'"
# the scheduler decided in the transaction that ended the visit: a new task would be the next id
hf_expect_exit 3 huifang task show $((follow + 1))
hf_expect_exit 0 huifang --json complaint list --customer "$customer"
hf_expect_eq 1 "$(grep -c '"category":"adverse-reaction"' <<<"$HF_OUT")" \
    "one adverse-reaction complaint: the care call's"
