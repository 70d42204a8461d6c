#!/usr/bin/env bash
# The gateway's live stream (GET /api/v1/stream, Server-Sent Events) through the real stack:
# no session is 401 and a POST 405; the manager of BJ01 reads the stream while the agent
# claims a call and logs it through the API: task_claimed, call_logged and task_completed
# arrive (event name, id producer:seq, the envelope as JSON, the customer's phone and name
# masked); an event of SH01 (a purchase there starts a plan) reaches SH01's agent and not the
# manager of BJ01; the manager away while a complaint is filed gets it on reconnecting with
# Last-Event-ID (replayed from complaint's outbox), and nothing from before it; heartbeats flow; a person's streams are capped (429); signing out ends
# the stream with "signed_out".
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=gateway_lib.sh
source "$(dirname "$0")/gateway_lib.sh"

export HUIFANG_GATEWAY_STREAM_HEARTBEAT_S=1 HUIFANG_GATEWAY_STREAMS_PER_PERSON=2
gw_prepare
streams=()
cleanup_streams() {
    local pid
    for pid in "${streams[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    streams=()
}
trap 'rc=$?; cleanup_streams; (exit $rc); hf_teardown' EXIT

# open_stream PERSON FILE: reads PERSON's stream (their cookie jar) into FILE in the
# background until the stream ends; its pid goes to $streams and $STREAM_PID.
open_stream() {
    curl -sS -N --max-time 120 -D "$2.headers" -b "$HF_E2E_TMP/jar.$1" "$HF_GATEWAY_URL/api/v1/stream" >"$2" 2>&1 &
    STREAM_PID=$!
    streams+=("$STREAM_PID")
    hf_wait_until 20 grep -q '^: stream open' "$2"
}

# ---- refusals ----------------------------------------------------------------------------------
GW_PERSON=nobody
gw_api GET /api/v1/stream
gw_expect 401 "a stream without a session"
hf_expect_eq UNAUTHENTICATED "$(hf_json_get "$GW_BODY" status)" "the status by name"
gw_login M001 manager-pass-1
gw_api POST /api/v1/stream '{}'
gw_expect 405 "the stream is read with GET"
hf_expect_contains "$GW_HEADERS" "Allow: GET" "the Allow header"

# ---- the manager's stream ----------------------------------------------------------------------
mgr=$HF_E2E_TMP/stream.M001
open_stream M001 "$mgr"
mgr_pid=$STREAM_PID
hf_expect_contains "$(<"$mgr.headers")" "Content-Type: text/event-stream" "the stream's type"
hf_wait_until 20 grep -q '^: keep-alive' "$mgr"
gw_login S001 agent-pass-3
sh=$HF_E2E_TMP/stream.S001
open_stream S001 "$sh"

# ---- an event of SH01: to SH01's agent, not to BJ01's manager ----------------------------------
hf_expect_exit 0 huifang --branch SH01 product add VC30 --name 'Vitamin C 30' --days-per-unit 30 \
    --price 168 --plan monthly-course
hf_expect_exit 0 huifang --branch SH01 purchase add --customer "$GW_SH_CUSTOMER" --product VC30 --quantity 1
hf_wait_until 10 grep -q '^event: plan_started' "$sh"
hf_expect_contains "$(grep '^data:' "$sh" | grep plan_started)" '"branch":"SH01"' "SH01's plan in SH01's stream"

# ---- the agent works a call through the API; the manager sees it live --------------------------
gw_login A001 agent-pass-1
gw_api POST /api/v1/tasks/next '{}'
gw_expect 200 "the next call"
hf_expect_eq "$GW_CARE" "$(hf_json_get "$GW_BODY" task.id)" "the care call"
hf_wait_until 20 grep -q '^event: task_claimed' "$mgr"
# the scheduler published SH01's plan before this claim: had the stream let it through, it
# would be here already
if grep -q 'SH01' "$mgr"; then
    hf_fail "an event of SH01 reached BJ01's manager: $(grep SH01 "$mgr")"
fi
grep -q '^event: plan_started' "$mgr" && hf_fail "BJ01's manager got a plan_started of another branch"
gw_api POST /api/v1/calls "{\"task_id\":$GW_CARE,\"outcome\":\"connected\",\"note\":\"fine\"}"
gw_expect 200 "the call logged"
hf_wait_until 20 grep -q '^event: call_logged' "$mgr"
hf_wait_until 20 grep -q '^event: task_completed' "$mgr"
# each event: its name, its id producer:seq, the envelope as one JSON line
hf_expect_exit 0 python3 - "$mgr" "$GW_CARE" <<'EOF'
import json, sys
text, care = open(sys.argv[1]).read(), int(sys.argv[2])
events = []
for block in text.split("\n\n"):
    lines = dict(l.split(": ", 1) for l in block.splitlines() if l and not l.startswith(":") and ": " in l)
    if "event" in lines:
        events.append(lines)
names = [e["event"] for e in events]
for want in ("task_claimed", "call_logged", "task_completed"):
    assert want in names, (want, names)
for e in events:
    data = json.loads(e["data"])
    own, cursor = e["id"].split(";")
    assert own == data["event_id"], e
    assert [c.split("=")[0] for c in cursor.split(",")] == ["scheduler", "calllog", "complaint"], e
    assert e["id"].split(":")[0] in ("scheduler", "calllog", "complaint"), e
    assert data["branch"] == "BJ01", data
    assert e["event"] in data, (e["event"], data)
done = [json.loads(e["data"])["task_completed"]["task"] for e in events if e["event"] == "task_completed"]
assert any(t["id"] == care and t["agent"] == "A001" and t["state"] == "done" for t in done), done
print("events:", " ".join(names))
EOF
hf_log "$HF_OUT"
# masked for a manager: neither the phone nor the name of the customer
if grep -qE '13812345678|Wang Fang' "$mgr"; then
    hf_fail "the manager's stream shows personal data: $(grep -E '13812345678|Wang Fang' "$mgr" | head -c 400)"
fi

# ---- Last-Event-ID: a manager away while a complaint is filed gets it on reconnecting -------
last=$(grep '^id: ' "$mgr" | tail -n 1 | cut -c5-)
[[ $last == *";scheduler="*",calllog="*",complaint="* ]] || hf_fail "the last id has no cursor: $last"
kill "$mgr_pid" 2>/dev/null || true
wait "$mgr_pid" 2>/dev/null || true
GW_PERSON=A001
probe=$HF_E2E_TMP/stream.A001.probe
open_stream A001 "$probe"
probe_pid=$STREAM_PID
file=(huifang --as A001 complaint file --customer "$GW_CUSTOMER" --category attitude --text 'late again'
    --idempotency-key gw-replay)
hf_wait_until 10 "${file[@]}"
# the gateway has read it (A001's stream got it) before the manager comes back
hf_wait_until 10 grep -q '^event: complaint_opened' "$probe"
closed_before=$(grep -c 'stream_closed login=A001' "$HF_E2E_TMP/gateway.log" || true)
kill "$probe_pid" 2>/dev/null || true
wait "$probe_pid" 2>/dev/null || true
# the gateway notices the probe gone at its next heartbeat (1 s): A001's two streams below
hf_wait_until 10 bash -c "test \$(grep -c 'stream_closed login=A001' '$HF_E2E_TMP/gateway.log') -gt $closed_before"
back=$HF_E2E_TMP/stream.M001.back
curl -sS -N --max-time 120 -H "Last-Event-ID: $last" -b "$HF_E2E_TMP/jar.M001" \
    "$HF_GATEWAY_URL/api/v1/stream" >"$back" 2>&1 &
streams+=("$!")
back_pid=$!
hf_wait_until 10 grep -q '^event: complaint_opened' "$back"
hf_wait_until 20 grep -q 'stream_replayed login=M001 events=[1-9]' "$HF_E2E_TMP/gateway.log"
grep -q '^event: task_claimed' "$back" && hf_fail "an event from before the Last-Event-ID was replayed"
kill "$back_pid" 2>/dev/null || true
wait "$back_pid" 2>/dev/null || true
# the manager's stream again (once the gateway noticed both gone), for the sign-out below
hf_wait_until 10 bash -c "test \$(grep -c 'stream_closed login=M001' '$HF_E2E_TMP/gateway.log') -ge 2"
open_stream M001 "$mgr.again"
mgr_pid=$STREAM_PID
mgr=$mgr.again
hf_log "Last-Event-ID: the complaint filed while away replayed"

# ---- at most two streams a person --------------------------------------------------------------
GW_PERSON=A001
open_stream A001 "$HF_E2E_TMP/stream.A001.1"
open_stream A001 "$HF_E2E_TMP/stream.A001.2"
gw_api GET /api/v1/stream
gw_expect 429 "a third stream of one person"
hf_expect_contains "$GW_HEADERS" "Retry-After:" "when to try again"

# ---- signing out ends the stream -----------------------------------------------------------------
GW_PERSON=M001
GW_CSRF=$(curl -sS -b "$HF_E2E_TMP/jar.M001" "$HF_GATEWAY_URL/api/v1/session" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])')
gw_api DELETE /api/v1/session
gw_expect 200 "the manager signs out"
hf_wait_until 20 grep -q '^event: signed_out' "$mgr"
hf_wait_until 20 bash -c "! kill -0 $mgr_pid 2>/dev/null"
gw_api GET /api/v1/stream
gw_expect 401 "the old cookie opens no stream"

# the gateway kept serving and stops cleanly with streams open (hf_teardown checks its status)
gw_api GET /api/v1/openapi.json
gw_expect 200 "the gateway still serves"
