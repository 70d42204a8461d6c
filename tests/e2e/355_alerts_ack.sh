#!/usr/bin/env bash
# A regulator's call alerts the manager (`huifang alerts`); the manager acknowledges it with
# `alerts ack ID [--note]`, once. Only the role the alert went to (manager) may (exit 4 for
# another agent, 2 without --as), an unknown alert exits 3, a second ack exits 4 naming who
# acknowledged it — and a refusal changes nothing. The ack is an event (calllog.alert_acked).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai
unset HUIFANG_AGENT

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang'
hf_expect_exit 0 huifang agent add C001 --name 'Xu Ying' --role consult
hf_expect_exit 0 huifang agent add H001 --name 'Gao Lan' --role head
hf_expect_exit 0 huifang agent add M001 --name 'Ma Jun' --role manager
hf_expect_exit 0 huifang --as C001 --json consult log --regulator --name 'Officer Liu' \
    --phone 13700009999 --unit 'Chaoyang Market Regulation Bureau' --position inspector \
    --contact 010-65001234 --complaint 'asked about the claims in the evening paper ad'
alert=$(cl_json_get "$HF_OUT" alert_id)
[[ $alert =~ ^[1-9][0-9]*$ ]] || hf_fail "a regulator's call raised no alert: $HF_OUT"
hf_expect_exit 0 huifang --json alerts
cl_json_expect "$HF_OUT" id "$alert" acked_by ""
hf_expect_exit 0 huifang alerts
hf_expect_contains "$HF_OUT" "ACKED" "the table shows whether it was acknowledged"

hf_expect_exit 4 huifang alerts ack "$alert"
hf_expect_contains "$HF_ERR" "admin is no agent of this branch" "the admin is no agent: says who may"
hf_expect_exit 4 huifang --as C001 alerts ack "$alert"
hf_expect_contains "$HF_ERR" "only a manager" "an agent may not"
hf_expect_exit 4 huifang --as H001 alerts ack "$alert"
hf_expect_contains "$HF_ERR" "H001 is head" "nor a head"
hf_expect_exit 3 huifang --as M001 alerts ack 999999
hf_expect_exit 2 huifang --as M001 alerts ack x1
hf_expect_exit 0 huifang --json alerts
cl_json_expect "$HF_OUT" acked_by "" ack_note ""

hf_expect_exit 0 huifang --as M001 alerts ack "$alert" --note 'called the bureau back'
hf_expect_contains "$HF_OUT" "alert $alert acknowledged by M001 at 2026-11-02 10:00" "says so"
hf_expect_exit 0 huifang --json alerts
cl_json_expect "$HF_OUT" acked_by M001 ack_note 'called the bureau back' acked_at 2026-11-02T02:00:00.000Z
hf_expect_exit 4 huifang --as M001 alerts ack "$alert"
hf_expect_contains "$HF_ERR" "acknowledged by M001" "once"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic calllog.alert_acked --no-follow
hf_expect_contains "$HF_OUT" '"acked_by":"M001"' "the ack is an event"
hf_log "ok"
