#!/usr/bin/env bash
# The console's live view hears the assignment timer's batch (issue 14): the manager of BJ01
# reads the gateway's stream (GET /api/v1/stream) while a new care call falls due and is
# assigned; it arrives as one `event: tasks_assigned` whose data holds the task (its id, its
# agent A001, the bag's date) with the customer's phone and name masked, as a task_assigned's
# task is, and nothing of SH01's batch (its own agent's call, assigned at the same time). The
# console (app.js LIVE_EVENTS, onLive) refreshes a bag when any task of the batch is the
# signed-in agent's.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=gateway_lib.sh
source "$(dirname "$0")/gateway_lib.sh"

gw_prepare # BJ01 and SH01, A001's day-10 care call assigned, the gateway started
stream_pid=""
trap 'rc=$?; [[ -n $stream_pid ]] && { kill "$stream_pid" 2>/dev/null || true; wait "$stream_pid" 2>/dev/null || true; }; (exit $rc); hf_teardown' EXIT

# a second customer in BJ01 and one in SH01 buy today: their day-10 calls fall due together
hf_expect_exit 0 huifang --json lead add --name 'Li Lei' --phone 13912340000 --channel counter --region chaoyang
second=$(hf_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang purchase add --customer "$second" --product VC30 --quantity 1
hf_expect_exit 0 huifang --branch SH01 product add VC30 --name 'Vitamin C 30' --days-per-unit 30 \
    --price 168 --plan monthly-course
hf_expect_exit 0 huifang --branch SH01 purchase add --customer "$GW_SH_CUSTOMER" --product VC30 --quantity 1
hf_wait_until 10 bash -c "[ \$(huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow | grep -c plan_started) = 3 ]"

gw_login M001 manager-pass-1
mgr=$HF_E2E_TMP/stream.M001
curl -sS -N --max-time 120 -b "$HF_E2E_TMP/jar.M001" "$HF_GATEWAY_URL/api/v1/stream" >"$mgr" 2>&1 &
stream_pid=$!
hf_wait_until 20 grep -q '^: stream open' "$mgr"

hf_expect_exit 0 huifang clock advance 10d
hf_wait_until 20 bash -c "huifang --branch SH01 --json worklist --agent S001 | grep -q '\"purpose\":\"care\"'"
hf_wait_until 20 grep -q '^event: tasks_assigned' "$mgr"
hf_expect_exit 0 huifang --json worklist --agent A001
new_task=$(python3 -c 'import json, sys
for line in sys.stdin:
    t = json.loads(line)
    if t.get("customer_id") in ('"$second"', str('"$second"')):
        print(t["id"])' <<<"$HF_OUT")
[[ $new_task =~ ^[0-9]+$ ]] || hf_fail "no care call of the second customer in A001's bag: $HF_OUT"
hf_expect_exit 0 python3 - "$mgr" "$new_task" <<'PY'
import json, sys
text, want = open(sys.argv[1]).read(), int(sys.argv[2])
batches = []
for block in text.split("\n\n"):
    lines = block.strip().splitlines()
    name = next((l[7:] for l in lines if l.startswith("event: ")), None)
    data = next((l[6:] for l in lines if l.startswith("data: ")), None)
    if name == "tasks_assigned":
        batches.append(json.loads(data))
assert batches, "no tasks_assigned in the stream"
found = [t for b in batches for t in b["tasks_assigned"]["tasks"] if int(t["id"]) == want]
assert len(found) == 1, f"task {want} in {len(found)} batches"
t = found[0]
assert t["agent"] == "A001", t
assert t["state"] == "assigned", t
assert t.get("bag_date") == "2026-11-22", t
for b in batches:
    assert b["branch"] == "BJ01", f"another branch's batch reached BJ01's manager: {b['branch']}"
assert "13912340000" not in text, "the customer's phone unmasked in the stream"
assert "Li Lei" not in text, "the customer's name unmasked in the stream"
print(f"task {want} in a tasks_assigned of {len(found)} batch; masked")
PY
hf_log "$HF_OUT"
