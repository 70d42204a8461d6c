#!/usr/bin/env bash
# Read your own writes across services, through the client's state file:
#  - a command that needs another service's copy right after the write that feeds it works
#    at once, every time (a plan step right after `branch add`; a worklist right after
#    `agent add`), with no wait in the test;
#  - the state file is owner-only, one line per producer, and keeps the highest sequence
#    when clients write side by side;
#  - a corrupt file, a place of another epoch (a state file that outlived its database) and a
#    place past the producer's last never make a command wait: the services answer at once
#    (the services would hold a request 20 s here, past the client's whole --timeout).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
export HUIFANG_READ_WAIT_MS=20000
hf_stack_start
export HUIFANG_TZ=Asia/Shanghai
state=$HUIFANG_STATE_DIR/positions

# the race: each command right after the write it depends on
for i in 1 2 3 4 5; do
    hf_expect_exit 0 huifang --branch "B0$i" branch add "B0$i" --name "Branch $i"
    hf_expect_exit 0 huifang --branch "B0$i" plan step monthly-course --step 3 --anchor purchase \
        --offset 20 --purpose effect --channel phone --role phone
    hf_expect_contains "$HF_OUT" "[B0$i]" "B0$i has its own template"
    hf_expect_exit 0 huifang --branch "B0$i" agent add "A$i" --name "Agent $i" --role phone
    hf_expect_exit 0 huifang --branch "B0$i" worklist --agent "A$i"
done

# the file: owner-only, a header and one line per producer that answered a write
[[ -f $state ]] || hf_fail "no state file at $state"
hf_expect_eq 600 "$(stat -c %a "$state")" "the state file's mode"
hf_expect_eq 700 "$(stat -c %a "$HUIFANG_STATE_DIR")" "the state folder's mode"
hf_expect_eq 'huifang-positions 1' "$(head -n1 "$state")" "the header"
hf_expect_eq 1 "$(grep -c ' intake ' "$state")" "one line for intake"
epoch=$(awk '$2 == "intake" {print $3}' "$state")
[[ $epoch =~ ^[0-9a-f-]{36}$ ]] || hf_fail "intake's epoch '$epoch' is not a uuid"

# clients side by side: the highest sequence is kept, the file stays whole
pids=()
for i in 1 2 3 4 5 6 7 8; do
    huifang --branch B01 agent add "P$i" --name "Parallel $i" --role phone >/dev/null 2>&1 &
    pids+=($!)
done
for pid in "${pids[@]}"; do
    wait "$pid" || hf_fail "a parallel agent add failed"
done
hf_expect_exit 0 huifang --json ping
last=$(python3 -c 'import json,sys
for l in sys.stdin:
    o = json.loads(l)
    if o.get("service") == "intake": print(o["last_seq"])' <<<"$HF_OUT")
hf_expect_eq "$last" "$(awk '$2 == "intake" {print $4}' "$state")" "the file holds intake's last sequence"
hf_expect_eq 1 "$(grep -c ' intake ' "$state")" "still one line for intake"
[[ -z $(find "$HUIFANG_STATE_DIR" -name 'positions.tmp.*') ]] || hf_fail "a temporary file was left"

# a corrupt file counts as empty, and is replaced whole by the next write
printf 'garbage\n\x01\x02 not a state file\n' >"$state"
hf_expect_exit 0 huifang --timeout 4000 --branch B01 plan list
hf_expect_exit 0 huifang --branch B01 agent add C1 --name 'After corruption' --role phone
hf_expect_eq 'huifang-positions 1' "$(head -n1 "$state")" "the header is back"

# places the services cannot judge do not hold a request: another epoch, or past the
# producer's last (each would otherwise wait 20 s, and the client gives up after 3 x 4 s)
ep=$(awk '$2 == "intake" {print $1}' "$state")
printf 'huifang-positions 1\n%s intake 00000000-0000-4000-8000-000000000000 999999 1\n' "$ep" >"$state"
hf_expect_exit 0 huifang --timeout 4000 --branch B01 plan list
printf 'huifang-positions 1\n%s intake %s 999999 1\n' "$ep" "$epoch" >"$state"
hf_expect_exit 0 huifang --timeout 4000 --branch B01 plan list
# lines that are not places are skipped, the rest is read
printf 'huifang-positions 1\nonly three fields\n%s intake %s 18446744073709551615 1\n' "$ep" "$epoch" >"$state"
hf_expect_exit 0 huifang --timeout 4000 --branch B01 plan list
