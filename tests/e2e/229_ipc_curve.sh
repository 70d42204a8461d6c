#!/usr/bin/env bash
# The stack on ZeroMQ's ipc:// transport (HF_E2E_TRANSPORT=ipc, as tests/bench/national_day
# runs it): the wire's security is the same as on tcp (e2e/045), seen from outside the real
# binaries (a raw ZeroMQ client in Python, Debian's python3-zmq):
#  - the services listen on Unix sockets only (no TCP port of theirs but the metrics), and
#    the CLI and the services reach each other there: `huifang ping`, a lead whose event
#    reaches the scheduler;
#  - the ZAP handler needs no peer IP address: a known key is let in through a socket file; a
#    random key and a client without CURVE get 0 of 100 pings and no event, and the refusal is
#    logged; a key added to the folder is let in, and refused again once its .pub is gone;
#  - an ipc path longer than a Unix socket's address holds (107 bytes) stops a service at
#    start-up with a message naming the setting, for where it listens and for a peer's
#    endpoint (libzmq would refuse the latter only when it connects, quietly); the message
#    gives the endpoint whole, however long, and names an ipc:// with no path.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
$PY -c 'import zmq; assert zmq.has("curve") and zmq.has("ipc")' 2>/dev/null ||
    hf_fail "$PY lacks zmq with CURVE and ipc (Debian package python3-zmq)"

HF_E2E_TRANSPORT=ipc
hf_stack_start
keys=$HUIFANG_KEYS_DIR

# ---- on Unix sockets only ----
cmd=$(hf_zmq_endpoint "$(hf_service_port intake)")
ev=$(hf_zmq_endpoint $(($(hf_service_port intake) + 1)))
[[ $cmd == ipc://* && $HUIFANG_SCHEDULER_ENDPOINT == ipc://* ]] || hf_fail "not on ipc: $cmd"
for s in "${HF_SERVICES[@]}"; do
    p=$(hf_service_port "$s")
    [[ -S $HF_IPC_DIR/$p && -S $HF_IPC_DIR/$((p + 1)) ]] || hf_fail "$s has no socket file in $HF_IPC_DIR"
    if hf_port_listening "$p" || hf_port_listening $((p + 1)); then
        hf_fail "$s listens on TCP port $p or $((p + 1)) besides its socket"
    fi
done
hf_expect_exit 0 huifang ping
hf_expect_exit 0 huifang branch add BJ01 --name Beijing --tz Asia/Shanghai
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345678 --channel counter
hf_wait_applied scheduler intake

# raw MODE ENDPOINT SERVER N [KEYNAME|random|plain]: prints how many of N pings (or, for
# MODE sub, messages within 2 s) came back. A random key is made on the spot.
raw() { $PY "$(dirname "$0")/zmq_raw.py" "$@"; }

# ---- known, unknown and no key, through the socket files ----
hf_expect_curve_enforced "$cmd" "$ev" " on ipc"
hf_expect_contains "$(<"$HF_E2E_TMP/intake.log")" "event=zap_refused reason=unknown_key key="

# ---- rotation: remove a .pub, the next connection is refused ----
rm "$keys/newcomer.pub"
hf_expect_eq 0 "$(raw ping "$cmd" intake 10 newcomer)" "pings answered on ipc after the key was removed"
hf_expect_exit 0 huifang keys gen --dir "$keys" --force newcomer
hf_expect_eq 10 "$(raw ping "$cmd" intake 10 newcomer)" "pings answered on ipc with the new key"

# ---- paths too long for a Unix socket: a clear start-up error ----
# (bounded: a service that let a bad peer endpoint through would start and run)
long=$HF_E2E_TMP/$(printf 'p%.0s' {1..120})
p=$(hf_service_port reporting)
rc=0
out=$(env HUIFANG_REPORTING_BIND="ipc://$long" HUIFANG_REPORTING_EVENTS_BIND="ipc://$HF_IPC_DIR/x$p" \
    HUIFANG_REPORTING_METRICS_BIND=off timeout 30 "$HF_BIN/huifang-reporting" </dev/null 2>&1) || rc=$?
hf_expect_eq 1 "$rc" "reporting listening on a path too long"
hf_expect_contains "$out" "bad configuration: HUIFANG_REPORTING_BIND is ipc://$long: its path is"
hf_expect_contains "$out" "longer than the 107 a Unix socket's address holds"
rc=0
out=$(env HUIFANG_REPORTING_BIND="ipc://$HF_IPC_DIR/y$p" HUIFANG_REPORTING_EVENTS_BIND="ipc://$HF_IPC_DIR/z$p" \
    HUIFANG_REPORTING_METRICS_BIND=off HUIFANG_CALLLOG_EVENTS="ipc://$long" \
    timeout 30 "$HF_BIN/huifang-reporting" </dev/null 2>&1) || rc=$?
hf_expect_eq 1 "$rc" "reporting with a peer's events on a path too long"
hf_expect_contains "$out" "bad configuration: HUIFANG_CALLLOG_EVENTS is ipc://$long: its path is"
# the endpoint is said whole however long it is, the reason after it (no message buffer to cut
# them), and an ipc:// endpoint with no path at all is named as such
calllog_events_refused() {
    rc=0
    out=$(env HUIFANG_REPORTING_BIND="ipc://$HF_IPC_DIR/y$p" HUIFANG_REPORTING_EVENTS_BIND="ipc://$HF_IPC_DIR/z$p" \
        HUIFANG_REPORTING_METRICS_BIND=off HUIFANG_CALLLOG_EVENTS="$1" \
        timeout 30 "$HF_BIN/huifang-reporting" </dev/null 2>&1) || rc=$?
    hf_expect_eq 1 "$rc" "reporting with a peer's events on ${1:0:40}"
}
huge=$HF_E2E_TMP/$(printf 'q%.0s' {1..600})
calllog_events_refused "ipc://$huge"
hf_expect_contains "$out" "bad configuration: HUIFANG_CALLLOG_EVENTS is ipc://$huge: its path is ${#huge} bytes, longer than the 107 a Unix socket's address holds (choose a shorter folder)"
calllog_events_refused "ipc://"
hf_expect_contains "$out" "bad configuration: HUIFANG_CALLLOG_EVENTS is ipc:// with no path"
hf_expect_exit 0 huifang ping
