#!/usr/bin/env bash
# Home visits: a member's plan sends a home visitor in the first week; the visitor records
# the patient service sheet with `huifang visit log` (blood pressure, pulse, symptoms,
# findings, advice). A visit is a contact of channel "visit": it is published as call_logged
# (so the scheduler closes the step as it does for calls, and an adverse reaction is flagged
# the same way) and as visit_logged. A call is not logged as a visit, nor a visit as a call;
# the sheet's measurements are checked.
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
hf_expect_exit 0 huifang agent add V001 --name 'Han Mei' --role visit --regions chaoyang --daily-visits 8
hf_expect_exit 0 huifang product add CLUB --name 'Club pack' --days-per-unit 30 --price 398 \
    --plan member
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345678 --channel counter \
    --region chaoyang --address 'Chaoyang Rd 8'
customer=$(cl_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang purchase add --customer "$customer" --product CLUB --quantity 1

# the first home visit falls due within the week; the visitor claims it
hf_expect_exit 0 huifang clock advance 1d
hf_wait_until 10 bash -c "huifang --json worklist --agent V001 | grep -q '\"channel\":\"visit\"'"
hf_expect_exit 0 huifang --as V001 --json task next
mapfile -t v <<<"$(cl_json_values "$HF_OUT" task.id task.channel)"
visit=${v[0]}
hf_expect_eq visit "${v[1]}" "a home visit"

# a visit is not a call, and the sheet's measurements are checked
hf_expect_exit 2 huifang --as V001 call log --task "$visit" --outcome connected
hf_expect_contains "$HF_ERR" "visit log" "a visit is recorded with visit log"
hf_expect_exit 2 huifang --as V001 call log --task "$visit" --outcome connected --bp 120/80
hf_expect_contains "$HF_ERR" "unknown flag --bp" "call log takes no service sheet"
hf_expect_exit 2 huifang --as V001 visit log --task "$visit" --outcome connected --bp 80/120
hf_expect_contains "$HF_ERR" "blood pressure \"80/120\"" "an impossible blood pressure"
hf_expect_exit 2 huifang --as V001 visit log --task "$visit" --outcome connected --pulse 500
hf_expect_contains "$HF_ERR" "--pulse" "an impossible pulse"
hf_expect_exit 2 huifang --as V001 visit log --task "$visit" --outcome no-answer --effect good
hf_expect_contains "$HF_ERR" "an effect needs an outcome where someone answered" "nobody home"
hf_expect_exit 4 huifang --as A001 visit log --task "$visit" --outcome connected
hf_expect_contains "$HF_ERR" "held by agent V001" "only the holder"

# the service sheet
hf_expect_exit 0 huifang --as V001 --json visit log --task "$visit" --outcome connected \
    --bp 150/95 --pulse 88 --symptoms 'dizzy in the mornings' --findings 'takes it with strong tea' \
    --advice 'take it with water after breakfast' --effect adverse --dose '1 sachet' \
    --next 2026-11-10 --duration 1800
sheet=$HF_OUT
contact=$(cl_json_get "$sheet" id)
cl_json_expect "$sheet" task_id "$visit" channel visit agent V001 outcome connected \
    effect adverse findings.blood_pressure 150/95 findings.pulse 88 \
    findings.symptoms "dizzy in the mornings" findings.text "takes it with strong tea" \
    advice "take it with water after breakfast" usage.dose "1 sachet" next_date 2026-11-10 \
    duration_s 1800 flags.completed true
hf_expect_exit 4 huifang --as V001 visit log --task "$visit" --outcome connected
hf_expect_contains "$HF_ERR" "already logged" "a visit is logged once per claim"

# published twice over: as a contact (the scheduler acts on it) and as a visit
hf_expect_exit 0 huifang events tail --from-seq 1 --topic calllog.call_logged --no-follow
cl_json_expect "$HF_OUT" call_logged.contact.id "$contact" call_logged.contact.channel visit \
    call_logged.contact.effect adverse call_logged.contact.findings.blood_pressure 150/95
hf_expect_exit 0 huifang events tail --from-seq 1 --topic calllog.visit_logged --no-follow
cl_json_expect "$HF_OUT" visit_logged.contact.id "$contact" visit_logged.contact.findings.pulse 88
hf_wait_until 10 bash -c "huifang --json task show $visit | grep -q '\"state\":\"done\"'"

# the day-2 care call is a phone call: not a visit
hf_expect_exit 0 huifang clock advance 1d
hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -q '\"state\":\"assigned\"'"
hf_expect_exit 0 huifang --as A001 --json task next
call=$(cl_json_get "$HF_OUT" task.id)
hf_expect_exit 2 huifang --as A001 visit log --task "$call" --outcome connected
hf_expect_contains "$HF_ERR" "not a home visit" "a call is recorded with call log"
hf_expect_exit 0 huifang --as A001 call log --task "$call" --outcome connected
