#!/usr/bin/env bash
# 005_cli_basics: the `huifang` client on its own, with no service running.
#
# It checks what a user meets before any service answers: --help at every level, bad input
# refused with exit 2 and a message naming the flag, the manual clock file (set, advance,
# show), and `ping` and a replay giving up quickly with exit 5 when nothing listens.
#
# Needs HF_BIN, the folder holding the built binaries (ctest sets it).
set -uo pipefail

HF_BIN=${HF_BIN:?HF_BIN must name the folder with the built binaries}
HUIFANG=$HF_BIN/huifang
[[ -x $HUIFANG ]] || { echo "FAIL 005_cli_basics: $HUIFANG is not an executable" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# No service runs on these ports; explicit endpoints from the caller would defeat that.
# (above the e2e slots, 20000-32499, below the ephemeral range, 32768-60999)
export HUIFANG_PORT_BASE=32600
for svc in INTAKE SCHEDULER CALLLOG COMPLAINT REPORTING; do
    unset "HUIFANG_${svc}_ENDPOINT" "HUIFANG_${svc}_EVENTS"
done
export HUIFANG_TZ=Asia/Shanghai
export HUIFANG_BRANCH=T005
export HUIFANG_CLOCK_FILE=$TMP/clock
unset HUIFANG_AGENT HUIFANG_CURVE HUIFANG_CURVE_NAME
# the client's own CURVE keys (and the services' public keys) come later: first what a user
# without them meets
unset HUIFANG_KEYS_DIR

failures=0
fail() {
    printf 'FAIL 005_cli_basics: %s\n' "$*" >&2
    failures=$((failures + 1))
}

# expect RC ARGS...: runs huifang ARGS, keeps its output in $TMP/out and $TMP/err, and
# checks the exit code.
expect() {
    local want=$1
    shift
    "$HUIFANG" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [[ $rc != "$want" ]]; then
        fail "huifang $* exited $rc, want $want; stderr: $(head -c 400 "$TMP/err")"
        return 1
    fi
    return 0
}

# stderr_has TEXT / stdout_has TEXT: the last command's output contains TEXT.
stderr_has() {
    grep -qF -- "$1" "$TMP/err" || fail "stderr lacks '$1'; it was: $(head -c 400 "$TMP/err")"
}
stdout_has() {
    grep -qF -- "$1" "$TMP/out" || fail "stdout lacks '$1'; it was: $(head -c 400 "$TMP/out")"
}

# ---- help at every level ----
expect 0 --help && stdout_has "Exit codes"
expect 0 branch --help && stdout_has "branch add CODE"
expect 0 product add --help && stdout_has "--days-per-unit"
expect 0 help call log && stdout_has "--outcome"
expect 2                                  # no command at all
expect 2 frobnicate && stderr_has "unknown command 'frobnicate'"
expect 2 branch launch && stderr_has "unknown command 'branch launch'"
expect 2 --verbose ping && stderr_has "unknown flag --verbose"
expect 2 customer find jo --bogus && stderr_has "unknown flag --bogus"

# ---- bad input: exit 2, the flag named, nothing on stdout ----
for price in 12.345 -1 abc 1e3 12.; do
    expect 2 product add P1 --name Calcium --days-per-unit 30 --price "$price" &&
        stderr_has "--price"
    [[ -s $TMP/out ]] && fail "product add with --price $price printed on stdout"
done
expect 2 product add P1 --name Calcium --days-per-unit 30 && stderr_has "huifang: --price is required"
expect 2 product add P1 --name Calcium --days-per-unit=0 --price=12 && stderr_has "--days-per-unit"
expect 2 lead add --name Zhang --channel counter && stderr_has "huifang: --phone is required"
expect 2 lead add --name Zhang --phone 12345 --channel counter && stderr_has "--phone"
expect 2 lead add --name Zhang --phone 13812345678 --channel shop && stderr_has "--channel"
expect 2 purchase add --customer 1 --product P1 --quantity 0 &&
    stderr_has "huifang: --quantity must be a whole number from 1 to 10000"
expect 2 purchase add --customer x --product P1 --quantity 1 && stderr_has "--customer"
expect 2 call log --task 1 --outcome connected --effect great && stderr_has "--effect"
expect 2 customer show && stderr_has "ID is required"
expect 2 --timeout 0 ping && stderr_has "--timeout"

# ---- the manual clock file ----
expect 3 clock show && stderr_has "not in use"
expect 2 clock set yesterday && stderr_has "TIME"
expect 0 clock set 2026-11-23T08:00:00Z && stdout_has "2026-11-23T08:00:00.000Z"
stdout_has "2026-11-23 16:00"
[[ "$(tr -d '[:space:]' <"$HUIFANG_CLOCK_FILE")" == 1795420800000 ]] ||
    fail "clock file holds '$(cat "$HUIFANG_CLOCK_FILE")', want 1795420800000"
expect 0 clock advance 1d12h && stdout_has "2026-11-24T20:00:00.000Z"
expect 0 clock show && stdout_has "2026-11-24T20:00:00.000Z"
stdout_has "2026-11-25 04:00 (Asia/Shanghai)"
expect 0 clock show --json && stdout_has '"now_at":"2026-11-24T20:00:00.000Z"'
stdout_has '"now_ms":1795550400000'
expect 0 clock set "2026-11-23 09:30" && stdout_has "2026-11-23T01:30:00.000Z"
expect 2 clock advance 5x && stderr_has "DURATION"
[[ "$(tr -d '[:space:]' <"$HUIFANG_CLOCK_FILE")" == 1795397400000 ]] ||
    fail "a refused advance changed the clock file to '$(cat "$HUIFANG_CLOCK_FILE")'"

# ---- CURVE keys: without them no call is tried; `keys gen` makes them ----
expect 2 --timeout 300 ping && stderr_has "HUIFANG_KEYS_DIR is not set"
expect 2 keys gen cli && stderr_has "--dir is required"
expect 2 keys gen --dir "$TMP/keys" 'Bad/Name' && stderr_has "not a key name"
expect 0 keys gen --dir "$TMP/keys" intake scheduler calllog complaint reporting cli &&
    stdout_has "$TMP/keys/cli.key"
[[ $(stat -c %a "$TMP/keys") == 700 ]] || fail "keys folder mode $(stat -c %a "$TMP/keys"), want 700"
[[ $(stat -c %a "$TMP/keys/cli.key") == 600 ]] || fail "cli.key mode $(stat -c %a "$TMP/keys/cli.key"), want 600"
[[ $(stat -c %a "$TMP/keys/cli.pub") == 644 ]] || fail "cli.pub mode $(stat -c %a "$TMP/keys/cli.pub"), want 644"
[[ $(tr -d '\n' <"$TMP/keys/cli.pub" | wc -c) == 40 ]] || fail "cli.pub is not 40 Z85 characters"
old_pub=$(cat "$TMP/keys/cli.pub")
expect 2 keys gen --dir "$TMP/keys" cli && stderr_has "--force"
[[ $(cat "$TMP/keys/cli.pub") == "$old_pub" ]] || fail "keys gen without --force replaced cli.pub"
expect 0 keys gen --dir "$TMP/keys" --force cli
[[ $(cat "$TMP/keys/cli.pub") != "$old_pub" ]] || fail "keys gen --force kept the old cli.pub"
export HUIFANG_KEYS_DIR=$TMP/keys
chmod 640 "$TMP/keys/cli.key"
expect 2 --timeout 300 ping && stderr_has "may be read by group or others"
chmod 600 "$TMP/keys/cli.key"

# ---- nothing listens: exit 5, quickly, naming who did not answer ----
start=$(date +%s%N)
expect 5 --timeout 300 ping && stderr_has "intake"
elapsed=$((($(date +%s%N) - start) / 1000000))
((elapsed < 4000)) || fail "ping took ${elapsed} ms with --timeout 300, want well under 4 s"
expect 5 --timeout 300 --json ping && stdout_has '"answered":false'
expect 5 --timeout 100 product add P1 --name Calcium --days-per-unit 30 --price 12.50 &&
    stderr_has "the intake service at tcp://127.0.0.1:32601 did not answer"
expect 5 --timeout 100 events tail --from-seq 1 && stderr_has "did not answer"

if ((failures > 0)); then
    echo "005_cli_basics: $failures check(s) failed" >&2
    exit 1
fi
echo "PASS 005_cli_basics"
