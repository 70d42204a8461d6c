#!/usr/bin/env bash
# Metrics and health (issue 14): every service answers /metrics (Prometheus text, checked by
# promtool), /healthz and /readyz on its own port (command port + 8). The counters move with
# what happens: lead_add requests, a request without a session (unauthenticated), one by hq
# that writes (forbidden), a handshake with a key not in the allow-list (ZAP), events applied
# by the consumers. /readyz says 503 with the reason while a consumer cannot catch up, 200
# again once it has. deploy/prometheus and deploy/grafana are checked against a real scrape.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || hf_fail "promtool not found (Debian package prometheus, in deploy/lib.sh HF_PACKAGES)"

HF_CLOCK_START='2026-11-02 10:00 +0800'
# the due-index gauges counted every second (every 15 s by default, Prometheus' scrape
# interval), so that the wait for the purchase's tasks below is not a wait for the next count
export HUIFANG_SCHEDULER_DEPTH_MS=1000
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

mport() { echo $(($(hf_service_port "$1") + 8)); }
url() { printf 'http://127.0.0.1:%s%s' "$(mport "$1")" "$2"; }
scrape() { curl -sS --fail --max-time 5 "$(url "$1" /metrics)"; }
status_of() { curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$(url "$1" "$2")"; }
# metric TEXT 'name{labels}': the sample's value, 0 when the series is absent
metric() { awk -v k="$2" '$1 == k { v = $2 } END { print (v == "" ? 0 : v) }' <<<"$1"; }
ready() { [[ $(status_of "$1" /readyz) == 200 ]]; }

# ---- every service: probes, content type, promtool ----
for svc in "${HF_SERVICES[@]}"; do
    hf_wait_until 20 ready "$svc"
    hf_expect_eq 200 "$(status_of "$svc" /healthz)" "$svc /healthz"
    ctype=$(curl -sS -o /dev/null -w '%{content_type}' --max-time 5 "$(url "$svc" /metrics)")
    hf_expect_eq 'text/plain; version=0.0.4; charset=utf-8' "$ctype" "$svc /metrics Content-Type"
    hf_expect_eq 404 "$(status_of "$svc" /nothing)" "$svc: an unknown path"
    code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -X POST "$(url "$svc" /metrics)")
    hf_expect_eq 405 "$code" "$svc: POST"
    text=$(scrape "$svc")
    lint=$(promtool check metrics <<<"$text" 2>&1) || hf_fail "promtool check metrics on $svc: $lint"
    hf_expect_eq 1 "$(metric "$text" "huifang_build_info{service=\"$svc\",version=\"0.1.0\"}")" "$svc build_info"
    rss=$(metric "$text" process_resident_memory_bytes)
    ((rss > 1000000)) || hf_fail "$svc process_resident_memory_bytes is $rss"
done
# bound to loopback only (the default), never every interface
ss -ltnH "sport = :$(mport intake)" | grep -q "127.0.0.1:$(mport intake)" ||
    hf_fail "intake's metrics listener is not on 127.0.0.1: $(ss -ltnH "sport = :$(mport intake)")"

# ---- requests by command and status, latency ----
t_before=$(date +%s.%N)
before=$(scrape intake)
k='huifang_requests_total{service="intake",command="lead_add",status="ok"}'
h='huifang_request_duration_seconds_count{service="intake",command="lead_add"}'
hf_expect_exit 0 huifang branch add BJ01 --name Beijing --tz Asia/Shanghai \
    --windows 09:00-12:00,14:00-20:00 --lead-plans none
n=0
for i in One Two Three; do
    n=$((n + 1))
    hf_expect_exit 0 huifang lead add --name "Lead $i" --phone "1381234567$n" --channel counter
done
after=$(scrape intake)
t_after=$(date +%s.%N)
hf_expect_eq $(($(metric "$before" "$k") + 3)) "$(metric "$after" "$k")" "lead_add ok counted"
# the loop's working time grew with the commands, and by no more than the time that passed
busy='huifang_loop_busy_seconds_total{service="intake"}'
awk -v a="$(metric "$before" "$busy")" -v b="$(metric "$after" "$busy")" -v t0="$t_before" -v t1="$t_after" \
    'BEGIN { exit !(b > a && b - a <= t1 - t0) }' ||
    hf_fail "loop busy: $(metric "$before" "$busy") -> $(metric "$after" "$busy") in $t_before..$t_after"
hf_expect_eq $(($(metric "$before" "$h") + 3)) "$(metric "$after" "$h")" "lead_add latency observed"
inf='huifang_request_duration_seconds_bucket{service="intake",command="lead_add",le="+Inf"}'
hf_expect_eq "$(metric "$after" "$h")" "$(metric "$after" "$inf")" "+Inf bucket equals the count"
grep -q 'huifang_request_duration_seconds_bucket{service="intake",command="lead_add",le="0.0005"}' <<<"$after" ||
    hf_fail "no 0.5 ms bucket"

# ---- refusals: no session, hq writing ----
r='huifang_requests_refused_total{service="intake",reason="unauthenticated"}'
f='huifang_requests_refused_total{service="intake",reason="forbidden"}'
hq=$("$HF_BIN/huifang" session mint --key "$HUIFANG_SESSION_KEY_FILE" --login hq9 --role hq --branches BJ01)
hf_expect_exit 6 env HUIFANG_TOKEN= HUIFANG_STATE_DIR="$HF_E2E_TMP/nobody" \
    huifang lead add --name 'No One' --phone 13812349999 --channel counter
rc=0
HUIFANG_TOKEN=$hq huifang lead add --name 'Hq Write' --phone 13812349998 --channel counter >/dev/null 2>&1 || rc=$?
((rc != 0)) || hf_fail "hq could add a lead"
after2=$(scrape intake)
hf_expect_eq $(($(metric "$after" "$r") + 1)) "$(metric "$after2" "$r")" "one refusal: unauthenticated"
hf_expect_eq $(($(metric "$after" "$f") + 1)) "$(metric "$after2" "$f")" "one refusal: forbidden"
hf_expect_eq 1 "$(metric "$after2" 'huifang_requests_total{service="intake",command="lead_add",status="unauthenticated"}')" \
    "requests_total by status"

# ---- a session's signature is checked once, then kept (hf_session.c's cache) ----
s='huifang_session_signatures_checked_total{service="intake"}'
(($(metric "$after2" "$s") >= 1)) || hf_fail "no session signature counted"
rc=0
HUIFANG_TOKEN=$hq huifang lead add --name 'Hq Again' --phone 13812349997 --channel counter >/dev/null 2>&1 || rc=$?
((rc != 0)) || hf_fail "hq could add a lead"
after3=$(scrape intake)
hf_expect_eq "$(metric "$after2" "$s")" "$(metric "$after3" "$s")" "a session seen before is not verified again"
hq2=$("$HF_BIN/huifang" session mint --key "$HUIFANG_SESSION_KEY_FILE" --login hq8 --role hq --branches BJ01)
rc=0
HUIFANG_TOKEN=$hq2 huifang lead add --name 'Hq Other' --phone 13812349996 --channel counter >/dev/null 2>&1 || rc=$?
((rc != 0)) || hf_fail "hq could add a lead"
hf_expect_eq $(($(metric "$after3" "$s") + 1)) "$(metric "$(scrape intake)" "$s")" "a new session is verified once"

# ---- a CURVE key not in the allow-list: refused at the handshake, counted ----
z='huifang_zap_refused_total{service="intake"}'
stranger=$HF_E2E_TMP/stranger-keys
mkdir -p "$stranger"
"$HF_BIN/huifang" keys gen --dir "$stranger" cli >/dev/null
cp "$HUIFANG_KEYS_DIR"/{intake,scheduler,calllog,complaint,reporting}.pub "$stranger"/
rc=0
HUIFANG_KEYS_DIR=$stranger huifang --timeout 1000 ping >/dev/null 2>&1 || rc=$?
((rc != 0)) || hf_fail "a stranger's key was let in"
zap_moved() { (($(metric "$(scrape intake)" "$z") > $(metric "$after2" "$z"))); }
hf_wait_until 10 zap_moved

# ---- the producer's outbox and the consumers ----
hf_wait_until 10 bash -c "curl -sS '$(url reporting /metrics)' | awk '\$1 == \"huifang_consumer_lag_events{service=\\\"reporting\\\",producer=\\\"intake\\\"}\" && \$2 == 0 {ok = 1} END {exit !ok}'"
text=$(scrape intake)
(($(metric "$text" 'huifang_events_published_total{service="intake"}') >= 3)) || hf_fail "intake published fewer than 3 events"
hf_expect_eq 0 "$(metric "$text" 'huifang_outbox_depth_events{service="intake"}')" "intake's outbox is drained"
text=$(scrape reporting)
(($(metric "$text" 'huifang_events_applied_total{service="reporting",producer="intake"}') >= 3)) ||
    hf_fail "reporting applied fewer than 3 of intake's events"
hf_expect_eq 0 "$(metric "$text" 'huifang_dead_letters_total{service="reporting",producer="intake"}')" "no dead letters"
grep -q '^huifang_consumer_lag_seconds{service="reporting",producer="intake"} ' <<<"$text" || hf_fail "no lag in seconds"
grep -q '^huifang_store_reconnects_total{service="reporting"} 0$' <<<"$text" || hf_fail "reconnects not 0"

# ---- the scheduler: a purchase's care call falls due on day 10 and is claimed and assigned ----
c='huifang_tasks_claimed_total{service="scheduler"}'
a='huifang_tasks_assigned_total{service="scheduler"}'
text=$(scrape scheduler)
hf_expect_eq 0 "$(metric "$text" "$c")" "no claims yet"
# the Redis reconnects: one for each reconnect the service logged (0 on a quiet machine; on a
# loaded one Redis may miss its 2 s bound at a start-up and be connected again, which is what
# the counter is for); the series is set at the service's next tick
reconnects_match() { # SERVICE KIND
    local logged
    logged=$(grep -c "event=queue_reconnect kind=$2 " "$HF_E2E_TMP/$1.log" || true)
    grep -q "^huifang_redis_reconnects_total{service=\"$1\"} ${logged:-0}\$" <<<"$(scrape "$1")"
}
hf_wait_until 5 reconnects_match scheduler task || hf_fail "scheduler's Redis reconnects"
hf_wait_until 5 reconnects_match complaint sla || hf_fail "complaint's Redis reconnects"
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --daily-calls 40
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 \
    --plan monthly-course
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345678 --channel counter
hf_expect_exit 0 huifang purchase add --customer "$(hf_json_get "$HF_OUT" customer.id)" --product VC30 --quantity 1
queued() { (($(metric "$(scrape scheduler)" 'huifang_due_index_depth{service="scheduler"}') >= 2)); }
hf_wait_until 20 queued
hf_expect_exit 0 huifang clock advance 10d
claimed() { (($(metric "$(scrape scheduler)" "$c") >= 1)); }
hf_wait_until 20 claimed
text=$(scrape scheduler)
hf_expect_eq 1 "$(metric "$text" "$a")" "the day-10 care call assigned"
hf_expect_eq 1 "$(metric "$text" "$c")" "one claim"

# ---- readiness: a consumer that cannot catch up ----
# reporting restarts while intake is down: its start-up catch-up with intake cannot finish,
# so after HUIFANG_READY_LAG_MS it is not ready, with the reason; intake back, ready again
hf_service_stop intake
hf_service_stop reporting
export HUIFANG_READY_LAG_MS=1000
hf_service_start reporting
unset HUIFANG_READY_LAG_MS
not_ready() { [[ $(status_of reporting /readyz) == 503 ]]; }
hf_wait_until 20 not_ready
hf_expect_eq 200 "$(status_of reporting /healthz)" "alive while not ready"
why=$(curl -sS --max-time 5 "$(url reporting /readyz)")
hf_expect_contains "$why" "the consumer of intake has been behind" "the reason names the producer"
hf_service_start intake
hf_wait_until 20 ready reporting
hf_wait_until 20 ready intake

# ---- deploy/: Prometheus configuration, alert rules, the Grafana dashboard ----
out=$(promtool check config "$HF_SOURCE/deploy/prometheus/prometheus.yml" 2>&1) ||
    hf_fail "promtool check config: $out"
out=$(promtool check rules "$HF_SOURCE/deploy/prometheus/alerts.yml" 2>&1) ||
    hf_fail "promtool check rules: $out"
all=$HF_E2E_TMP/all-scrapes.txt
for svc in "${HF_SERVICES[@]}"; do scrape "$svc"; done >"$all"
# every metric name the dashboard and the alerts use is one a service exports
python3 - "$HF_SOURCE/deploy/grafana/huifang.json" "$HF_SOURCE/deploy/prometheus/alerts.yml" "$all" <<'EOF' ||
import json, re, sys
dash = json.load(open(sys.argv[1]))
exprs = []
def walk(x):
    if isinstance(x, dict):
        for k, v in x.items():
            if k == "expr" and isinstance(v, str):
                exprs.append(v)
            else:
                walk(v)
    elif isinstance(x, list):
        for v in x:
            walk(v)
walk(dash)
if len(exprs) < 6:
    sys.exit("the dashboard has %d queries, want at least 6" % len(exprs))
# the rules file whole (expressions span lines); huifang_service is the scrape's label
exprs.append(open(sys.argv[2]).read().replace("huifang_service", ""))
names = set()
for line in open(sys.argv[3]):
    if line.startswith("# TYPE "):
        _, _, name, kind = line.split()
        names.add(name)
        if kind == "histogram":
            names.update(name + s for s in ("_bucket", "_sum", "_count"))
names.add("up")
missing = set()
for e in exprs:
    for n in re.findall(r"\b((?:huifang|process)_[a-z_]+)\b", e):
        if n not in names:
            missing.add(n)
if missing:
    sys.exit("metric names used but not exported: %s" % ", ".join(sorted(missing)))
print("dashboard and alerts: %d queries, every name exported" % len(exprs))
EOF
    hf_fail "deploy/grafana/huifang.json or alerts.yml use metrics no service exports"

hf_log "ok"
