#!/usr/bin/env bash
# `call log` reads the branch's zone, the outcome's flags and the channels the outcome fits in
# one statement (calllog's CALLLOG_Q_CALL_BASICS): a branch's own outcome goes before the
# default of the same code — its flags and its channels (any) —, another branch still gets
# the default (a WeChat outcome refused on a call, naming its channels), an unknown outcome
# is refused naming the field, and the contact's day is the branch's local day.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

for br in BJ01 SH01; do
    hf_expect_exit 0 huifang branch add $br --name "Branch $br" --windows 00:00-23:59 --lead-plans none
done
for br in BJ01 SH01; do
    hf_expect_exit 0 huifang --branch $br agent add "A${br:0:2}" --name 'Li Na' --role phone --regions chaoyang
    hf_expect_exit 0 huifang --branch $br agent add "L${br:0:2}" --name 'Chen Jie' --role lead
    hf_expect_exit 0 huifang --branch $br product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168
    hf_expect_exit 0 huifang --branch $br --json lead add --name 'Wang Fang' --phone "1381234${br:2:2}01" \
        --channel counter --region chaoyang
    hf_expect_exit 0 huifang --branch $br purchase add --customer "$(cl_json_get "$HF_OUT" customer.id)" \
        --product VC30 --quantity 1
done
cl_wait_supervisor LBJ
# BJ01's own 'replied': any channel, no flags (the default is WeChat's only, human-answered)
hf_expect_exit 0 huifang --as LBJ --json outcome add replied --name 'Replied (BJ01)' --flags ''
hf_expect_eq BJ01 "$(cl_json_get "$HF_OUT" branch)" "the branch's own outcome"

# day 11, 00:30 in Beijing (16:30 UTC the day before): a care call each
hf_expect_exit 0 huifang clock set '2026-11-13 00:30'
for br in BJ01 SH01; do
    hf_wait_until 10 bash -c "huifang --branch $br --json worklist --agent A${br:0:2} | grep -q '\"state\":\"assigned\"'"
done
hf_expect_exit 0 huifang --branch SH01 --as ASH --json task next
tsh=$(cl_json_get "$HF_OUT" task.id)
hf_expect_exit 2 huifang --branch SH01 --as ASH call log --task "$tsh" --outcome replied
hf_expect_contains "$HF_ERR" "outcome replied is for wechat contacts, not phone" "SH01: the default, WeChat's only"
hf_expect_exit 2 huifang --branch SH01 --as ASH call log --task "$tsh" --outcome nope
hf_expect_contains "$HF_ERR" 'outcome "nope" is not in the branch' "an unknown outcome names the field"
hf_expect_exit 0 huifang --branch SH01 --as ASH --json call log --task "$tsh" --outcome connected
cl_json_expect "$HF_OUT" outcome connected flags.completed true flags.human_answered true \
    date 2026-11-13

hf_expect_exit 0 huifang --as ABJ --json task next
tbj=$(cl_json_get "$HF_OUT" task.id)
hf_expect_exit 0 huifang --as ABJ --json call log --task "$tbj" --outcome replied
cl_json_expect "$HF_OUT" outcome replied channel phone flags.human_answered false \
    flags.completed false date 2026-11-13
hf_log "ok"
