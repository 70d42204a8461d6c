#!/usr/bin/env bash
# Every service binary: --help lists its settings; a bad setting, an unreachable store or a
# port already in use gives a clear message naming the problem and exit status 1 — no crash,
# no sanitizer report. (A clean stop on SIGTERM is checked by lib.sh for every test.)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

run() { # run SERVICE [VAR=VALUE...] [-- ARGS...]: the binary with that environment; output in HF_OUT
    local svc=$1 vars=() args=()
    shift
    while (($#)) && [[ $1 != -- ]]; do vars+=("$1"); shift; done
    (($#)) && shift && args=("$@")
    set +e
    HF_OUT=$(env "${vars[@]}" "$HF_BIN/huifang-$svc" "${args[@]}" 2>&1)
    HF_STATUS=$?
    set -e
}

# sessions: every service needs the public key to start, intake the secret one as well
keys=$HF_E2E_TMP/keys-030
mkdir -p "$keys"
huifang session keygen --dir "$keys" >/dev/null
export HUIFANG_SESSION_KEY_FILE=$keys/session.key HUIFANG_SESSION_PUBLIC_KEY_FILE=$keys/session.pub
for svc in intake scheduler calllog complaint reporting; do
    run "$svc" HUIFANG_PORT_BASE=19500 HUIFANG_SESSION_PUBLIC_KEY_FILE=
    hf_expect_eq 1 "$HF_STATUS" "$svc without the session public key"
    hf_expect_contains "$HF_OUT" "HUIFANG_SESSION_PUBLIC_KEY_FILE is not set" "$svc names the key's setting"
    run "$svc" HUIFANG_PORT_BASE=19500 HUIFANG_SESSION_PUBLIC_KEY_FILE=$keys/nothing.pub
    hf_expect_eq 1 "$HF_STATUS" "$svc with a missing key file"
    hf_expect_contains "$HF_OUT" "$keys/nothing.pub: No such file" "$svc names the missing file"
    run "$svc" HUIFANG_PORT_BASE=19500 HUIFANG_AUTH=maybe
    hf_expect_eq 1 "$HF_STATUS" "$svc with auth neither on nor off"
    hf_expect_contains "$HF_OUT" 'auth (HUIFANG_AUTH) is "maybe", not on or off' "$svc names HUIFANG_AUTH"
done

for svc in intake scheduler calllog complaint reporting; do
    run "$svc" HUIFANG_PORT_BASE=19500 -- --help
    hf_expect_eq 0 "$HF_STATUS" "$svc --help exits 0"
    hf_expect_contains "$HF_OUT" "HUIFANG_${svc^^}_STORE_URL" "$svc --help lists its store setting"

    run "$svc" HUIFANG_PORT_BASE=19500 HUIFANG_HEARTBEAT_MS=often
    hf_expect_eq 1 "$HF_STATUS" "$svc with a bad number"
    hf_expect_contains "$HF_OUT" 'heartbeat_ms (HUIFANG_HEARTBEAT_MS) is "often", not a whole number' "$svc names the setting"

    run "$svc" HUIFANG_PORT_BASE=19500 HUIFANG_CLOCK=sundial
    hf_expect_eq 1 "$HF_STATUS" "$svc with an unknown clock"
    hf_expect_contains "$HF_OUT" 'clock (HUIFANG_CLOCK) is "sundial"' "$svc names the clock"

    run "$svc" HUIFANG_PORT_BASE=19500 HUIFANG_STORE_WAIT_MS=300 \
        HUIFANG_STORE_URL=postgresql://huifang@127.0.0.1:1/none
    hf_expect_eq 1 "$HF_STATUS" "$svc with the store down"
    hf_expect_contains "$HF_OUT" "could not connect to the store" "$svc says the store is unreachable"
    [[ $HF_OUT != *AddressSanitizer* && $HF_OUT != *"runtime error"* ]] || hf_fail "$svc crashed: $HF_OUT"
done

# a port already taken: the second instance says which address, and stops
hf_stack_start intake
# intake reads its signing key once the store is up (the stack's store here)
cp "$keys/session.key" "$keys/open.key"
chmod 644 "$keys/open.key"
# (on ports of this test's own slot, free in it: base+6 and +7)
run intake HUIFANG_PORT_BASE=$((HUIFANG_PORT_BASE + 5)) HUIFANG_SESSION_KEY_FILE=$keys/open.key
hf_expect_eq 1 "$HF_STATUS" "intake with a signing key others can read"
hf_expect_contains "$HF_OUT" "readable by its owner only" "intake refuses a readable secret key"
run intake HUIFANG_BRANCH=x
hf_expect_eq 1 "$HF_STATUS" "a second intake on the same port"
hf_expect_contains "$HF_OUT" "could not listen on tcp://127.0.0.1:$((HUIFANG_PORT_BASE + 1))" "names the address"
hf_expect_contains "$HF_OUT" "Address already in use" "and the reason"
# the metrics port taken (its command and event ports free): the same, naming the setting
run intake HUIFANG_INTAKE_BIND=tcp://127.0.0.1:$((HUIFANG_PORT_BASE + 3)) \
    HUIFANG_INTAKE_EVENTS_BIND=tcp://127.0.0.1:$((HUIFANG_PORT_BASE + 4))
hf_expect_eq 1 "$HF_STATUS" "a second intake on the same metrics port"
hf_expect_contains "$HF_OUT" "HUIFANG_INTAKE_METRICS_BIND" "names the setting"
hf_expect_contains "$HF_OUT" "could not listen on 127.0.0.1:$((HUIFANG_PORT_BASE + 9))" "names the metrics address"
hf_expect_contains "$HF_OUT" "Address already in use" "and the reason"
run intake HUIFANG_INTAKE_BIND=tcp://127.0.0.1:$((HUIFANG_PORT_BASE + 3)) \
    HUIFANG_INTAKE_EVENTS_BIND=tcp://127.0.0.1:$((HUIFANG_PORT_BASE + 4)) HUIFANG_INTAKE_METRICS_BIND=localhost
hf_expect_eq 1 "$HF_STATUS" "a metrics address that is not host:port"
hf_expect_contains "$HF_OUT" '"localhost" is not host:port' "says what is wrong"
