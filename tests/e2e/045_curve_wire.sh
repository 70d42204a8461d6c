#!/usr/bin/env bash
# The wire is CURVE with an enforced allow-list, seen from outside the real binaries (a raw
# ZeroMQ client in Python, Debian's python3-zmq):
#  - a client whose key is not in the stack's keys folder gets 0 of 100 pings answered and
#    no event from a PUB; a client with no CURVE at all likewise; the service logs the
#    refusal with the key's first characters only;
#  - a key added to the folder is let in at once, and refused again once its .pub is gone;
#  - a 50 MB message to intake's ROUTER is dropped: the service's peak memory (VmHWM) stays
#    under 100 MB and it still answers;
#  - a service started without HUIFANG_KEYS_DIR refuses to start, naming the variable.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
$PY -c 'import zmq; assert zmq.has("curve")' 2>/dev/null ||
    hf_fail "$PY lacks zmq with CURVE (Debian package python3-zmq)"

hf_stack_start
keys=$HUIFANG_KEYS_DIR

# raw MODE ENDPOINT SERVER N [KEYNAME|random|plain]: prints how many of N pings (or, for
# MODE sub, messages within 2 s) came back. A random key is made on the spot.
raw() { $PY "$(dirname "$0")/zmq_raw.py" "$@"; }

cmd=tcp://127.0.0.1:$(hf_service_port intake)
ev=tcp://127.0.0.1:$(($(hf_service_port intake) + 1))

# ---- known, unknown and no key ----
hf_expect_curve_enforced "$cmd" "$ev"
log=$(<"$HF_E2E_TMP/intake.log")
hf_expect_contains "$log" "event=zap_refused reason=unknown_key key="
# only a prefix of a refused key is logged: no 40-character Z85 key after key=
if grep -E 'zap_refused.* key=[^ ]{40}' "$HF_E2E_TMP/intake.log" >/dev/null; then
    hf_fail "a whole key was logged"
fi

# ---- rotation: remove a .pub, the next connection is refused ----
rm "$keys/newcomer.pub"
hf_expect_eq 0 "$(raw ping "$cmd" intake 10 newcomer)" "pings answered after the key was removed"
hf_expect_exit 0 huifang keys gen --dir "$keys" --force newcomer
hf_expect_eq 10 "$(raw ping "$cmd" intake 10 newcomer)" "pings answered with the new key"

# ---- a 50 MB message ----
hf_expect_eq 0 "$(raw big "$cmd" intake 1 newcomer)" "a 50 MB message was answered"
hf_expect_exit 0 huifang ping
pid=${HF_PIDS[intake]}
hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
hf_log "intake VmHWM after a 50 MB message: $hwm kB"
((hwm < 100 * 1024)) || hf_fail "intake's peak memory is $hwm kB after a 50 MB message, want under 100 MB"

# ---- no keys folder: the service does not start ----
rc=0
out=$(env -u HUIFANG_KEYS_DIR HUIFANG_REPORTING_BIND=tcp://127.0.0.1:$(($(hf_service_port reporting) + 5)) \
    HUIFANG_REPORTING_EVENTS_BIND=tcp://127.0.0.1:$(($(hf_service_port reporting) + 6)) \
    "$HF_BIN/huifang-reporting" 2>&1) || rc=$?
((rc != 0)) || hf_fail "a service without HUIFANG_KEYS_DIR started"
hf_expect_contains "$out" "HUIFANG_KEYS_DIR"
