# shellcheck shell=bash
# tests/e2e/lib.sh: sourced by every end-to-end test (tests/e2e/NNN_name.sh). ctest runs each
# test with HF_BIN=<tree>/bin and HF_SOURCE=<repo>; tests/run.sh provides a PostgreSQL and a
# Redis through HUIFANG_TEST_ADMIN_URL and HUIFANG_TEST_REDIS_URL, their passwords through
# PGPASSFILE, REDISCLI_AUTH and HUIFANG_TEST_SECRETS_DIR (then each service of a stack connects
# as its own role huifang_<service>; HUIFANG_STORE_URL stays the superuser's, for the tests'
# own psql).
#
# A test looks like:
#
#   #!/usr/bin/env bash
#   set -euo pipefail
#   # shellcheck source-path=SCRIPTDIR source=lib.sh
#   source "$(dirname "$0")/lib.sh"
#   hf_stack_start                       # own database, ports, Redis db, manual clock
#   hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345678 --channel counter
#   id=$(hf_json_get "$HF_OUT" customer.id)
#   hf_service_restart scheduler
#   hf_wait_until 10 huifang worklist --agent A001
#
# and prints "PASS <name>" (or "FAIL <name>" with the tails of the service logs) at exit.
# A failing helper inside $(...) fails the test too, unless the value goes to `local x=$(...)`,
# which hides the status: declare first (`local x; x=$(...)`).
#
# Start time: set HF_CLOCK_START (anything `date -d` reads, e.g. '2026-11-02 09:30 +0800')
# before hf_stack_start to start the manual clock there; otherwise it starts at the real now.
# Timeouts are multiplied by HF_TIMEOUT_SCALE: 3 when HF_BIN holds sanitizer builds, else 1.
# Every service must exit 0 on SIGTERM and leave no sanitizer report in its log; a test where
# one does not fails at exit.

set -euo pipefail

HF_SOURCE=${HF_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
HF_BIN=${HF_BIN:-$HF_SOURCE/build/bin}
HF_TEST_NAME=$(basename "$0" .sh)
HF_SERVICES=(intake scheduler calllog complaint reporting)
HF_OUT=""
HF_ERR=""
HF_STOP_STATUS=""
# Under tests/run.sh's folder when there is one, so that even a test killed by a ctest timeout
# leaves nothing behind.
HF_E2E_TMP=$(mktemp -d "${HF_E2E_RUN_DIR:-/tmp}/hf-e2e-$HF_TEST_NAME.XXXXXX")
HF_DB=""
declare -A HF_PIDS=()
export PATH="$HF_BIN:$PATH"

if [[ -z ${HF_TIMEOUT_SCALE:-} ]]; then
    HF_TIMEOUT_SCALE=1
    if [[ -x $HF_BIN/huifang ]] && ldd "$HF_BIN/huifang" 2>/dev/null | grep -qE 'libasan|libubsan'; then
        HF_TIMEOUT_SCALE=3
    fi
fi

# ---- messages and failure -------------------------------------------------------------------

# The lead plans of a branch before issue 13 ("every lead gets its first call"): a conversion
# plan for unconverted consultations only. For tests about something else whose counts of
# plans or tasks would otherwise include every lead's new-lead plan (`--lead-plans none`
# where consultations do not matter either).
HF_LEAD_PLANS_CONSULT_ONLY='counter=none,clinic=none,hospital=none,mail=none,referral=none,other=none'

hf_log() { printf '[%s] %s\n' "$HF_TEST_NAME" "$*" >&2; }

# Fails the test with a message (the EXIT trap prints the service logs).
hf_fail() {
    printf '[%s] FAILED: %s\n' "$HF_TEST_NAME" "$*" >&2
    exit 1
}

# ---- assertions -----------------------------------------------------------------------------

# hf_expect_exit CODE CMD...: runs CMD; fails unless it exits with CODE. Its stdout is left in
# HF_OUT and its stderr in HF_ERR for the checks that follow.
hf_expect_exit() {
    local want=$1 rc=0
    shift
    HF_OUT=$("$@" 2>"$HF_E2E_TMP/stderr") || rc=$?
    HF_ERR=$(<"$HF_E2E_TMP/stderr")
    if [[ $rc != "$want" ]]; then
        printf '[%s] command: %s\n--- stdout ---\n%s\n--- stderr ---\n%s\n' "$HF_TEST_NAME" \
            "$*" "$HF_OUT" "$HF_ERR" >&2
        hf_fail "exit status $rc, want $want: $*"
    fi
}

# hf_expect_eq WANT GOT MSG
hf_expect_eq() {
    [[ $1 == "$2" ]] || hf_fail "${3:-values differ}: want '$1', got '$2'"
}

# hf_expect_contains HAYSTACK NEEDLE MSG
hf_expect_contains() {
    [[ $1 == *"$2"* ]] && return 0
    local shown=${1:0:3000}
    ((${#1} <= 3000)) || shown+=" [... ${#1} characters in all]"
    hf_fail "${3:-text lacks a part}: '$2' not found in:
$shown"
}

# hf_expect_curve_enforced CMD EVENTS [WHERE]: intake's command and event sockets let in a key
# of the stack's keys folder and refuse a random key and a client without CURVE (the key
# "newcomer" made for it), seen from outside the binaries by tests/e2e/zmq_raw.py; WHERE
# (" on ipc") ends each message.
hf_expect_curve_enforced() {
    local cmd=$1 ev=$2 on=${3:-} n
    local raw=(/usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/zmq_raw.py")
    hf_expect_exit 0 huifang keys gen --dir "$HUIFANG_KEYS_DIR" newcomer
    hf_expect_eq 100 "$("${raw[@]}" ping "$cmd" intake 100 newcomer)" "a known key's pings answered$on"
    hf_expect_eq 0 "$("${raw[@]}" ping "$cmd" intake 100 random)" "pings answered$on for a random key"
    hf_expect_eq 0 "$("${raw[@]}" ping "$cmd" intake 100 plain)" "pings answered$on without CURVE"
    n=$("${raw[@]}" sub "$ev" intake 0 newcomer)
    ((n > 0)) || hf_fail "a known subscriber got no heartbeat$on in 2 s"
    hf_expect_eq 0 "$("${raw[@]}" sub "$ev" intake 0 random)" "events read$on with a random key"
    hf_expect_eq 0 "$("${raw[@]}" sub "$ev" intake 0 plain)" "events read$on without CURVE"
}

# hf_json_get JSON PATH: prints the value at PATH (dot-separated keys and list indexes, e.g.
# customer.id or items.0.name). Strings print raw, everything else as JSON. JSON lines (one
# object per line) are read as a list, so 0.customer.id is the first line's. Fails when the
# text is not JSON or the path is missing.
hf_json_get() {
    python3 -c '
import json, sys
text, path = sys.argv[1], sys.argv[2]
try:
    value = json.loads(text)
except ValueError:
    try:
        value = [json.loads(l) for l in text.splitlines() if l.strip()]
    except ValueError as e:
        sys.exit("hf_json_get: not JSON (%s): %r" % (e, text[:300]))
for key in [k for k in path.split(".") if k != ""]:
    try:
        value = value[int(key)] if isinstance(value, list) else value[key]
    except (KeyError, IndexError, ValueError, TypeError):
        sys.exit("hf_json_get: no %r in %r" % (path, text[:300]))
print(value if isinstance(value, str) else json.dumps(value))
' "$1" "$2" || hf_fail "hf_json_get $2"
}

# hf_wait_until TIMEOUT_S CMD...: runs CMD every 0.1 s until it succeeds; fails the test when
# TIMEOUT_S (whole seconds, times HF_TIMEOUT_SCALE) pass first. CMD's output is discarded.
hf_wait_until() {
    local timeout=$1
    shift
    local deadline
    deadline=$(hf_deadline "$timeout")
    until "$@" >/dev/null 2>&1; do
        if hf_past "$deadline"; then
            hf_fail "timed out after $((timeout * HF_TIMEOUT_SCALE)) s waiting for: $*"
        fi
        sleep 0.1
    done
}

# hf_deadline SECONDS: a deadline (µs since the epoch) SECONDS * HF_TIMEOUT_SCALE from now.
hf_deadline() {
    local now=${EPOCHREALTIME//[!0-9]/}
    printf '%s\n' $((now + $1 * HF_TIMEOUT_SCALE * 1000000))
}
hf_past() {
    local now=${EPOCHREALTIME//[!0-9]/}
    ((now >= $1))
}

# ---- waiting on state, not on time --------------------------------------------------------
# A test that checks that something did NOT happen (no plan twice, no warning yet, nothing
# assigned to a held call) must first know that the service has had its chance: a quiet
# stretch or a fixed sleep proves nothing on a loaded machine. These wait for the state that
# proves it instead.

# hf_store_value SQL: one value from this test's database (the superuser's URL).
hf_store_value() {
    psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"
}

# hf_wait_assigned AGENT N: waits (20 s, times the scale) until the scheduler holds exactly N
# tasks assigned to AGENT (the tick's assignment after a clock step).
hf_wait_assigned() {
    hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE state = 'assigned' AND agent = '$1'\")\" = $2 ]"
}

# hf_wait_applied CONSUMER PRODUCER [TIMEOUT_S]: waits (default 30 s, times the scale) until
# the CONSUMER service has applied every event PRODUCER had stored when this was called (its
# consumer_offset reaches the producer's outbox_seq). What the consumer writes in the same
# transaction as an event (a plan for a purchase, its outbox rows) is then all there.
hf_wait_applied() {
    local consumer=$1 producer=$2 timeout=${3:-30} want got deadline
    want=$(hf_store_value "SELECT coalesce(max(last_seq), 0) FROM $producer.outbox_seq
                           WHERE producer = '$producer'") ||
        hf_fail "hf_wait_applied: cannot read $producer.outbox_seq"
    deadline=$(hf_deadline "$timeout")
    while :; do
        got=$(hf_store_value "SELECT coalesce(max(last_seq), 0) FROM $consumer.consumer_offset
                              WHERE producer = '$producer'" 2>/dev/null || echo -1)
        ((got >= want)) && return 0
        hf_past "$deadline" &&
            hf_fail "$consumer applied $producer's events up to $got, want $want, after $((timeout * HF_TIMEOUT_SCALE)) s"
        sleep 0.1
    done
}

# hf_reporting_rebuild_counted TABLE NAME: reporting emptied (its tables truncated, not the
# schema dropped) and rebuilt from the producers' replay (intake, scheduler, calllog), with a
# statement-level trigger counting the UPDATE statements on reporting.TABLE into
# public.NAME_updates (query) before the first event is applied again: a statement a batch
# rolls back is not counted, its row goes with it. No dead letter afterwards. Drop the counting
# with hf_reporting_uncount TABLE NAME.
hf_reporting_rebuild_counted() {
    local table=$1 name=$2 p
    hf_service_stop reporting
    hf_store_value "SET client_min_messages = warning;
     CREATE TABLE public.${name}_updates (query text NOT NULL);
     CREATE FUNCTION public.${name}_count() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
       AS \$\$ BEGIN INSERT INTO public.${name}_updates VALUES (current_query());
                     RETURN NULL; END \$\$;
     CREATE TRIGGER $name AFTER UPDATE ON reporting.$table
       FOR EACH STATEMENT EXECUTE FUNCTION public.${name}_count();
     DO \$\$ BEGIN
       EXECUTE (SELECT 'TRUNCATE ' || string_agg(format('reporting.%I', tablename), ', ')
                  FROM pg_tables WHERE schemaname = 'reporting' AND tablename <> 'migrations');
     END \$\$" >/dev/null
    hf_service_start reporting
    for p in intake scheduler calllog; do hf_wait_applied reporting "$p"; done
    hf_expect_eq 0 "$(hf_store_value 'SELECT count(*) FROM reporting.dead_letter')" "no dead letters"
}
hf_reporting_uncount() {
    hf_store_value "DROP TRIGGER $2 ON reporting.$1; DROP FUNCTION public.${2}_count();
     DROP TABLE public.${2}_updates" >/dev/null
}

# ---- the stack ------------------------------------------------------------------------------

# Port offsets from HUIFANG_PORT_BASE: commands at +N, events at +N+1.
hf_service_port() {
    case $1 in
    intake) echo $((HUIFANG_PORT_BASE + 1)) ;;
    scheduler) echo $((HUIFANG_PORT_BASE + 11)) ;;
    calllog) echo $((HUIFANG_PORT_BASE + 21)) ;;
    complaint) echo $((HUIFANG_PORT_BASE + 31)) ;;
    reporting) echo $((HUIFANG_PORT_BASE + 41)) ;;
    gateway) echo $((HUIFANG_PORT_BASE + 48)) ;; # HTTP (HUIFANG_GATEWAY_BIND, set by hf_gateway_start)
    *) hf_fail "unknown service $1 (one of: ${HF_SERVICES[*]})" ;;
    esac
}

hf_port_listening() {
    [[ -n "$(ss -ltnH "sport = :$1" 2>/dev/null)" ]]
}

# ---- the transport between the services: tcp (the default) or ipc --------------------------
# HF_E2E_TRANSPORT=ipc (set before hf_stack_start): the services' command ROUTERs and event
# PUBs listen on Unix sockets, ipc://$HF_IPC_DIR/<the port they would have had>, instead of
# tcp://127.0.0.1:<port>; their peers and the CLI connect there (HUIFANG_<SVC>_ENDPOINT and
# _EVENTS). CURVE and the ZAP handler are the same on both (e2e/229). The metrics and the
# gateway stay HTTP on loopback TCP. tests/bench/national_day uses it (README there: Unix
# sockets cost less CPU than TCP loopback).
HF_E2E_TRANSPORT=${HF_E2E_TRANSPORT:-tcp}
HF_IPC_DIR=""

# hf_zmq_endpoint PORT: the ZeroMQ endpoint of what would listen on PORT, in this stack's
# transport.
hf_zmq_endpoint() {
    if [[ $HF_E2E_TRANSPORT == ipc ]]; then
        printf 'ipc://%s/%s\n' "$HF_IPC_DIR" "$1"
    else
        printf 'tcp://127.0.0.1:%s\n' "$1"
    fi
}

# hf_zmq_listening PORT: true when a service listens on the endpoint of PORT (its socket file
# on ipc; its TCP port otherwise).
hf_zmq_listening() {
    if [[ $HF_E2E_TRANSPORT == ipc ]]; then
        [[ -S $HF_IPC_DIR/$1 ]]
    else
        hf_port_listening "$1"
    fi
}

# Exports the five services' listening and peer endpoints on ipc (hf_stack_start).
hf_ipc_endpoints() {
    HF_IPC_DIR=$HF_E2E_TMP/ipc
    mkdir -p "$HF_IPC_DIR"
    chmod 700 "$HF_IPC_DIR"
    local s up cmd ev
    for s in "${HF_SERVICES[@]}"; do
        up=${s^^}
        cmd=$(hf_zmq_endpoint "$(hf_service_port "$s")")
        ev=$(hf_zmq_endpoint $(($(hf_service_port "$s") + 1)))
        export "HUIFANG_${up}_BIND=$cmd" "HUIFANG_${up}_ENDPOINT=$cmd" \
            "HUIFANG_${up}_EVENTS_BIND=$ev" "HUIFANG_${up}_EVENTS=$ev"
    done
}

# hf_metric SERVICE SERIES: the value of SERIES (as /metrics prints it, labels included) in
# SERVICE's metrics (its command port + 8), as an integer, or nothing when absent or
# unreachable. (awk reads to the end: ended at the first match, it left curl writing into a
# closed pipe, and pipefail made that the caller's end.)
hf_metric() {
    local port=$(($(hf_service_port "$1") + 8))
    curl -sS --max-time 5 "http://127.0.0.1:$port/metrics" 2>/dev/null |
        awk -v s="$2" '$1 == s && !seen { printf "%d\n", $2; seen = 1 }'
}

# hf_timer_rounds SERVICE TIMER: how many rounds SERVICE's TIMER ("tick", "occasion", ...)
# has completed (huifang_timer_rounds_total); nothing when the service does not answer.
hf_timer_rounds() {
    hf_metric "$1" "huifang_timer_rounds_total{service=\"$1\",timer=\"$2\"}"
}

# hf_timer_rounds_at PORT SERVICE TIMER: hf_timer_rounds of an instance whose metrics listen
# on PORT (an extra instance a test started beside the stack's own; empty: the stack's own).
hf_timer_rounds_at() {
    [[ -n $1 ]] || {
        hf_timer_rounds "$2" "$3"
        return
    }
    curl -sS --max-time 5 "http://127.0.0.1:$1/metrics" 2>/dev/null |
        awk -v s="huifang_timer_rounds_total{service=\"$2\",timer=\"$3\"}" '$1 == s { printf "%d\n", $2; exit }'
}

# hf_wait_timer_rounds SERVICE TIMER [ROUNDS] [METRICS_PORT]: waits (up to 30 s, times the
# scale) until SERVICE's TIMER ("tick", "house", ...; hf_timer_rounds) has completed ROUNDS
# (default 2) more rounds than when this was called. The round under way then may have read
# the clock before a move; the next began after this call, so it has seen everything done
# before it (a clock move, a row): what it would have done is done. Use after `huifang clock
# ...` before checking that something did NOT happen. Timers of one name share the series:
# for K of them pass ROUNDS 3K (the scheduler's three "house" timers: 9), so that each has
# run after the call. METRICS_PORT: an extra instance's (hf_timer_rounds_at).
hf_wait_timer_rounds() {
    local svc=$1 timer=$2 want=${3:-2} port=${4:-} start now deadline
    deadline=$(hf_deadline 30)
    while :; do
        start=$(hf_timer_rounds_at "$port" "$svc" "$timer")
        [[ -n $start ]] && break
        hf_past "$deadline" && hf_fail "no huifang_timer_rounds_total{timer=\"$timer\"} from huifang-$svc${port:+ on port $port}"
        sleep 0.1
    done
    while now=$(hf_timer_rounds_at "$port" "$svc" "$timer"); [[ -z $now ]] || ((now < start + want)); do
        hf_past "$deadline" &&
            hf_fail "huifang-$svc's $timer timer completed ${now:-?} - $start rounds in $((30 * HF_TIMEOUT_SCALE)) s, want $want"
        sleep 0.1
    done
}

# True when no port in BASE..BASE+49 is listening.
hf_ports_free() {
    local base=$1 port
    while read -r port; do
        if ((port >= base && port < base + 50)); then
            return 1
        fi
    done < <(ss -ltnH 2>/dev/null | awk '{n = split($4, a, ":"); print a[n]}')
    return 0
}

# hf_lock NAME: takes an exclusive lock, held until this test exits; false if someone has it.
# The locks are machine-wide, as ports are: two test runs side by side share them.
HF_LOCK_DIR=${HF_LOCK_DIR:-/tmp/huifang-e2e-locks}
hf_lock() {
    local fd
    if [[ ! -d $HF_LOCK_DIR ]]; then
        mkdir -p "$HF_LOCK_DIR"
        chmod 1777 "$HF_LOCK_DIR" 2>/dev/null || true
    fi
    exec {fd}>>"$HF_LOCK_DIR/$1.lock"
    if flock -n "$fd"; then
        HF_LOCK_FDS+=("$fd")
        return 0
    fi
    exec {fd}>&-
    return 1
}
HF_LOCK_FDS=()

# Releases the lock hf_lock took last.
hf_unlock_last() {
    local fd=${HF_LOCK_FDS[-1]}
    unset 'HF_LOCK_FDS[-1]'
    exec {fd}>&-
}

# Picks a free port base and a Redis database (1..15), each under a lock so that tests running
# side by side never share either. Port bases are slots of 50 ports from 20000 up to 32499,
# below Linux's ephemeral range (32768-60999) where outgoing connections take their ports;
# the search starts at this test's pid, and the Redis database from the slot.
hf_pick_slot() {
    local i slot
    HUIFANG_PORT_BASE=""
    for ((i = 0; i < 250; i++)); do
        slot=$(((($$ % 250) + i) % 250))
        if hf_lock "slot-$slot"; then
            if hf_ports_free $((20000 + slot * 50)); then
                HUIFANG_PORT_BASE=$((20000 + slot * 50))
                break
            fi
            hf_unlock_last
        fi
    done
    [[ -n $HUIFANG_PORT_BASE ]] || hf_fail "no free block of 50 ports between 20000 and 32499"
    local db server
    server=$(hf_redis_server_url)
    server=${server//[^a-zA-Z0-9]/_}
    for ((i = 0; i < 15; i++)); do
        db=$(((slot + i) % 15 + 1))
        if hf_lock "redis-$server-db-$db"; then
            HF_REDIS_DB=$db
            return 0
        fi
    done
    hf_fail "all Redis databases 1..15 are taken by other tests"
}

# HUIFANG_TEST_REDIS_URL without its database number and password: redis://host:port (the
# password reaches the services from a file, redis-cli through REDISCLI_AUTH).
hf_redis_server_url() {
    local url=$HUIFANG_TEST_REDIS_URL
    if [[ ${url#*://} == */* ]]; then
        url=${url%/*}
    fi
    if [[ $url == *@* ]]; then
        url="redis://${url##*@}"
    fi
    printf '%s\n' "$url"
}

# hf_url_with_user URL USER: a postgresql:// URL with its user replaced (no password).
hf_url_with_user() {
    local url=$1 rest
    rest=${url#*://}
    [[ $rest == *@* ]] && rest=${rest#*@}
    printf 'postgresql://%s@%s\n' "$2" "$rest"
}

# Replaces the database part of a postgresql:// URL.
hf_url_with_db() {
    local url=$1 db=$2 query=""
    if [[ $url == *\?* ]]; then
        query="?${url#*\?}"
        url=${url%%\?*}
    fi
    printf '%s/%s%s\n' "${url%/*}" "$db" "$query"
}

hf_admin_psql() {
    psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_TEST_ADMIN_URL" -c "$1"
}

# hf_crash_mid_catchup SERVICE TOTAL APPLIED_FN: three rounds of: start SERVICE, wait until
# APPLIED_FN (a function printing how far it has applied) passes where it was, freeze it
# (SIGSTOP) and kill -9 it — a crash in the middle of a catch-up to TOTAL. A round that finds
# it already caught up (a fast machine) kills it all the same, and says so at the end.
hf_crash_mid_catchup() {
    local svc=$1 total=$2 applied_fn=$3 round before at deadline mid=0
    for round in 1 2 3; do
        before=$("$applied_fn")
        hf_service_launch "$svc"
        deadline=$(hf_deadline 60)
        until (($("$applied_fn") > before || before >= total)); do
            hf_service_check_alive "$svc"
            hf_past "$deadline" && hf_fail "round $round: $svc applied nothing in 60 s"
        done
        kill -STOP "${HF_PIDS[$svc]}"
        at=$("$applied_fn")
        hf_service_stop "$svc" KILL
        hf_log "round $round: killed at $at of $total events"
        ((at < total)) && mid=$((mid + 1))
    done
    ((mid > 0)) || hf_log "note: $svc caught up before every kill (a fast machine)"
}

# hf_stack_intake_reporting: the consumer tests' stage (086-088): intake and reporting alone,
# reporting consuming intake only, and branch BJ01 (no lead plans), HUIFANG_BRANCH set.
hf_stack_intake_reporting() {
    export HUIFANG_REPORTING_CONSUME=intake HUIFANG_INTAKE_CONSUME=none
    hf_stack_start intake reporting
    export HUIFANG_BRANCH=BJ01
    hf_expect_exit 0 huifang branch add BJ01 --name Beijing --tz Asia/Shanghai --lead-plans none
}

# hf_stack_start [SERVICE...]: a fresh database, port base, Redis db and manual clock for this
# test, exported as HUIFANG_*; then starts the services (all five by default) and waits until
# they answer (`huifang ping` for all five; each one's command port otherwise).
hf_stack_start() {
    [[ -n ${HUIFANG_TEST_ADMIN_URL:-} && -n ${HUIFANG_TEST_REDIS_URL:-} ]] ||
        hf_fail "HUIFANG_TEST_ADMIN_URL and HUIFANG_TEST_REDIS_URL are not set: run the suite through tests/run.sh, which starts PostgreSQL and Redis"
    [[ -x $HF_BIN/huifang ]] || hf_fail "$HF_BIN/huifang is not built"

    HF_DB=$(printf 'e2e_%s_%s' "$HF_TEST_NAME" "$$" | LC_ALL=C tr '[:upper:]' '[:lower:]' | LC_ALL=C tr -c 'a-z0-9_' '_' | cut -c1-63)
    hf_admin_psql "CREATE DATABASE \"$HF_DB\"" >/dev/null || {
        HF_DB=""
        hf_fail "could not create the test database on $HUIFANG_TEST_ADMIN_URL"
    }

    hf_pick_slot
    export HUIFANG_REDIS_URL
    HUIFANG_REDIS_URL="$(hf_redis_server_url)/$HF_REDIS_DB"
    redis-cli -u "$HUIFANG_REDIS_URL" flushdb >/dev/null || hf_fail "cannot FLUSHDB $HUIFANG_REDIS_URL"

    # HUIFANG_STORE_URL: the superuser's, for the tests' own look into the database (psql, with
    # PGPASSFILE). With tests/run.sh's secrets each service connects as its own role instead,
    # its password from a file, after deploy/sql/database.sql gave the roles their schemas.
    export HUIFANG_STORE_URL
    HUIFANG_STORE_URL=$(hf_url_with_db "$HUIFANG_TEST_ADMIN_URL" "$HF_DB")
    # The services reach Postgres through its Unix socket when tests/run.sh gave one
    # (HUIFANG_TEST_PG_SOCKET_URL; HF_E2E_STORE=tcp: over loopback TCP instead), with the same
    # roles and passwords: a socket costs the backends less CPU than TCP loopback (README of
    # tests/bench/national_day). The tests' own psql stays on HUIFANG_STORE_URL.
    local service_url=$HUIFANG_STORE_URL
    case ${HF_E2E_STORE:-socket} in
    socket)
        [[ -z ${HUIFANG_TEST_PG_SOCKET_URL:-} ]] ||
            service_url=$(hf_url_with_db "$HUIFANG_TEST_PG_SOCKET_URL" "$HF_DB")
        ;;
    tcp) ;;
    *) hf_fail "HF_E2E_STORE='$HF_E2E_STORE': socket or tcp" ;;
    esac
    if [[ -n ${HUIFANG_TEST_SECRETS_DIR:-} ]]; then
        hf_db_prepare
        local s upper
        for s in "${HF_SERVICES[@]}"; do
            upper=${s^^}
            export "HUIFANG_${upper}_STORE_URL=$(hf_url_with_user "$service_url" "huifang_$s")"
            export "HUIFANG_${upper}_STORE_PASSWORD_FILE=$HUIFANG_TEST_SECRETS_DIR/pg_huifang_$s.password"
        done
        export HUIFANG_REDIS_PASSWORD_FILE=$HUIFANG_TEST_SECRETS_DIR/redis.password
    fi
    export HUIFANG_PORT_BASE
    case $HF_E2E_TRANSPORT in
    tcp) ;;
    ipc) hf_ipc_endpoints ;;
    *) hf_fail "HF_E2E_TRANSPORT='$HF_E2E_TRANSPORT': tcp or ipc" ;;
    esac
    export HUIFANG_CLOCK=manual
    export HUIFANG_CLOCK_FILE=$HF_E2E_TMP/clock
    # the client's places in the event streams (read your own writes): this test's own, so
    # that none leaks into another test's database
    export HUIFANG_STATE_DIR=$HF_E2E_TMP/state
    export HUIFANG_BRANCH=${HUIFANG_BRANCH:-BJ01}
    export HUIFANG_LOG_LEVEL=${HUIFANG_LOG_LEVEL:-info}
    # CURVE keys of this stack: one keypair per service and for the CLI (cli); every .pub in
    # the folder is allowed. A test that wants more principals adds them with
    # `huifang keys gen --dir "$HUIFANG_KEYS_DIR" NAME`.
    if [[ ${HUIFANG_CURVE:-on} != off ]]; then
        export HUIFANG_KEYS_DIR=$HF_E2E_TMP/keys
        [[ -f $HUIFANG_KEYS_DIR/cli.pub ]] ||
            "$HF_BIN/huifang" keys gen --dir "$HUIFANG_KEYS_DIR" "${HF_SERVICES[@]}" cli gateway >/dev/null ||
            hf_fail "could not make the stack's CURVE keys"
    fi
    hf_sessions_prepare
    local start_ms
    if [[ -n ${HF_CLOCK_START:-} ]]; then
        start_ms=$(date -d "$HF_CLOCK_START" +%s%3N) || hf_fail "HF_CLOCK_START='$HF_CLOCK_START' is not a date"
    else
        start_ms=$(date +%s%3N)
    fi
    printf '%s\n' "$start_ms" >"$HUIFANG_CLOCK_FILE"
    hf_log "store $HUIFANG_STORE_URL redis $HUIFANG_REDIS_URL port_base $HUIFANG_PORT_BASE clock $HUIFANG_CLOCK_FILE"

    local services=("$@") svc
    ((${#services[@]})) || services=("${HF_SERVICES[@]}")
    for svc in "${services[@]}"; do
        hf_service_launch "$svc"
    done
    if ((${#services[@]} == ${#HF_SERVICES[@]})); then
        hf_wait_ping 20
    else
        for svc in "${services[@]}"; do
            hf_service_wait_ready "$svc" 20
        done
    fi
}

# The start of the tests that count a purchase's plans and tasks: the stack on the manual
# clock at Monday 2026-11-02 10:00 in Beijing, HUIFANG_BRANCH=BJ01 (Asia/Shanghai), and the
# branch BJ01 (calls 09:00-12:00 and 14:00-20:00) with --lead-plans none, so that a lead's
# own conversion plan (150_lead_first_call.sh) adds nothing to what they count.
hf_plan_branch_start() {
    HF_CLOCK_START='2026-11-02 10:00 +0800'
    hf_stack_start
    export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai
    hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' \
        --windows 09:00-12:00,14:00-20:00 --lead-plans none
}

# hf_leads_csv FILE ROWS PHONE_PREFIX: a `lead import` CSV of ROWS leads (name, phone, gender,
# birth), Chinese names, phones PHONE_PREFIX followed by the row's number in five digits
hf_leads_csv() {
    awk -v rows="$2" -v p="$3" 'BEGIN {
        ns = split("王 李 张 刘 陈 杨 赵 黄 周 吴", sur, " ")
        ng = split("芳 娜 敏 静 丽 强 磊 军 洋 勇", giv, " ")
        print "name,phone,gender,birth"
        for (r = 0; r < rows; r++)
            printf "%s%s,%s%05d,f,1960-01-01\n", sur[r % ns + 1], giv[int(r / ns) % ng + 1], p, r }' >"$1"
}

# After hf_plan_branch_start: product VC30 (30 days a unit, plan monthly-course) and N (at
# most 26) customers in region chaoyang, "Customer A".., each with one unit of it; waits until
# the scheduler has started their N plans.
hf_plan_purchases() {
    local n=$1 i id letters=({A..Z})
    hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 \
        --price 168 --plan monthly-course
    for i in $(seq 1 "$n"); do
        read -r _ id _ < <(huifang lead add --name "Customer ${letters[i - 1]}" \
            --phone "1381234$(printf '%04d' "$i")" --channel counter --region chaoyang)
        [[ $id =~ ^[0-9]+$ ]] || hf_fail "lead add printed no customer id"
        hf_expect_exit 0 huifang purchase add --customer "$id" --product VC30 --quantity 1
    done
    hf_wait_until 20 bash -c "[ \$(huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow | grep -c plan_started) = $n ]"
}

# Sessions (issue 11): this stack's own signing key pair, its first admin's password (account
# "admin", HF_ADMIN_PASSWORD) and an admin session signed with the key (HUIFANG_TOKEN), so
# that every command of a test runs as the admin, and `--as AGENT` as that agent (an admin
# acting for them). A test of logins unsets HUIFANG_TOKEN and signs in itself.
hf_sessions_prepare() {
    local keys=$HF_E2E_TMP/session-keys
    mkdir -p "$keys" && chmod 700 "$keys"
    "$HF_BIN/huifang" session keygen --dir "$keys" >/dev/null || hf_fail "huifang session keygen failed"
    export HUIFANG_SESSION_KEY_FILE=$keys/session.key
    export HUIFANG_SESSION_PUBLIC_KEY_FILE=$keys/session.pub
    HF_ADMIN_PASSWORD=admin-$$-$RANDOM
    (umask 077 && printf '%s\n' "$HF_ADMIN_PASSWORD" >"$keys/admin.password")
    export HUIFANG_ADMIN_PASSWORD_FILE=$keys/admin.password
    HUIFANG_TOKEN=$("$HF_BIN/huifang" session mint --key "$HUIFANG_SESSION_KEY_FILE" --login admin --role admin) ||
        hf_fail "huifang session mint failed"
    export HUIFANG_TOKEN
}

# hf_db_prepare: (again) gives the service roles their schemas and audit.access in this test's
# database (deploy/sql/database.sql, idempotent), as after a test dropped a service's schema.
# Nothing to do without tests/run.sh's secrets (the services then connect as the superuser).
hf_db_prepare() {
    [[ -n ${HUIFANG_TEST_SECRETS_DIR:-} ]] || return 0
    psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" \
        -f "$HF_SOURCE/deploy/sql/database.sql" >/dev/null ||
        hf_fail "deploy/sql/database.sql failed on $HF_DB"
}

# hf_gateway_start: starts huifang-gateway (the web console's HTTP front) on this stack, on
# 127.0.0.1 at port base + 48, and sets HF_GATEWAY_URL.
hf_gateway_start() {
    export HUIFANG_GATEWAY_BIND=127.0.0.1:$(hf_service_port gateway)
    HF_GATEWAY_URL=http://$HUIFANG_GATEWAY_BIND
    hf_service_start gateway
}

# Waits until `huifang ping` succeeds (all five answer).
hf_wait_ping() {
    local deadline svc
    deadline=$(hf_deadline "$1")
    until huifang ping >/dev/null 2>&1; do
        for svc in "${!HF_PIDS[@]}"; do
            hf_service_check_alive "$svc"
        done
        if hf_past "$deadline"; then
            huifang ping >&2 || true
            hf_fail "the services did not answer huifang ping within $(($1 * HF_TIMEOUT_SCALE)) s"
        fi
        sleep 0.1
    done
}

# Fails the test when a service we started has died.
hf_service_check_alive() {
    local pid=${HF_PIDS[$1]:-}
    [[ -n $pid ]] || return 0
    if ! hf_child_running "$pid"; then
        local rc=0
        { wait "$pid"; } 2>/dev/null || rc=$?
        unset "HF_PIDS[$1]"
        hf_fail "huifang-$1 exited by itself (status $rc); see its log below"
    fi
}

# Starts one service in the background, its output appended to its log.
hf_service_launch() {
    local svc=$1
    hf_service_port "$svc" >/dev/null
    [[ -x $HF_BIN/huifang-$svc ]] || hf_fail "$HF_BIN/huifang-$svc is not built"
    [[ -z ${HF_PIDS[$svc]:-} ]] || hf_fail "huifang-$svc is already running (pid ${HF_PIDS[$svc]})"
    printf '=== %s start\n' "$(date +%T.%3N)" >>"$HF_E2E_TMP/$svc.log"
    local fd
    # The services must not hold this test's slot locks (or its stdout) open.
    (
        for fd in "${HF_LOCK_FDS[@]}"; do
            exec {fd}>&-
        done
        exec "$HF_BIN/huifang-$svc" </dev/null >>"$HF_E2E_TMP/$svc.log" 2>&1
    ) &
    HF_PIDS[$svc]=$!
    if [[ -n ${HF_E2E_RUN_DIR:-} ]]; then
        printf '%s\n' "$!" >"$HF_E2E_RUN_DIR/$HF_TEST_NAME.$$.$svc.pid"
    fi
}

# Waits until a service listens on its command port.
hf_service_wait_ready() {
    local svc=$1 port deadline
    port=$(hf_service_port "$svc")
    deadline=$(hf_deadline "$2")
    until hf_zmq_listening "$port"; do
        hf_service_check_alive "$svc"
        hf_past "$deadline" && hf_fail "huifang-$svc did not listen on $(hf_zmq_endpoint "$port") within $(($2 * HF_TIMEOUT_SCALE)) s"
        sleep 0.1
    done
}

# hf_service_start NAME: starts a service of the running stack and waits until it listens.
hf_service_start() {
    [[ -n ${HUIFANG_PORT_BASE:-} ]] || hf_fail "hf_service_start before hf_stack_start"
    hf_service_launch "$1"
    hf_service_wait_ready "$1" 20
}

# hf_instance_launch NAME SVC CMD_PORT EVENTS_PORT METRICS_PORT: one more instance of
# huifang-SVC on ports of its own (loopback; on ipc, the sockets named by them), the same store; its output in NAME.log, its pid
# HF_PIDS[NAME] (stopped and checked at exit like the others). Settings of its own: in the
# caller's environment (HUIFANG_INTAKE_CONSUME=none hf_instance_launch ...).
hf_instance_launch() {
    local name=$1 svc=$2 up=${2^^} fd
    (
        for fd in "${HF_LOCK_FDS[@]}"; do
            exec {fd}>&-
        done
        export "HUIFANG_${up}_BIND=$(hf_zmq_endpoint "$3")" \
            "HUIFANG_${up}_EVENTS_BIND=$(hf_zmq_endpoint "$4")" "HUIFANG_${up}_METRICS_BIND=127.0.0.1:$5"
        exec "$HF_BIN/huifang-$svc" </dev/null >>"$HF_E2E_TMP/$name.log" 2>&1
    ) &
    HF_PIDS[$name]=$!
}

# hf_instance_start NAME SVC CMD_PORT EVENTS_PORT METRICS_PORT: the same, then waits until it
# listens on CMD_PORT (20 s, scaled; fails at once when it exits).
hf_instance_start() {
    hf_instance_launch "$@"
    local deadline
    deadline=$(hf_deadline 20)
    until hf_zmq_listening "$3"; do
        hf_service_check_alive "$1"
        hf_past "$deadline" && hf_fail "huifang-$2 ($1) did not listen on $(hf_zmq_endpoint "$3") within $((20 * HF_TIMEOUT_SCALE)) s"
        sleep 0.1
    done
}

# True while our child $1 runs (a child that ended stays a zombie until `wait`).
hf_child_running() {
    local state
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $state && $state != Z && $state != X ]]
}

# hf_service_halt NAME SIGNAL: signals a service and waits for it to end, SIGKILL after 15 s
# (times the scale); sets HF_STOP_STATUS (0 clean; 128+N for death by signal N) and never fails.
hf_service_halt() {
    local svc=$1 sig=$2 pid=${HF_PIDS[$1]:-}
    HF_STOP_STATUS=""
    [[ -n $pid ]] || return 0
    local deadline rc=0
    deadline=$(hf_deadline 15)
    # stderr to /dev/null: bash reports a child killed by a signal ("Killed") on its stderr
    # whenever it notices, which would only be noise here.
    {
        kill -s "$sig" "$pid" || true
        while hf_child_running "$pid"; do
            if hf_past "$deadline"; then
                kill -KILL "$pid" || true
                HF_STOP_KILLED=1
                break
            fi
            sleep 0.05
        done
        wait "$pid" || rc=$?
    } 2>/dev/null
    unset "HF_PIDS[$svc]"
    rm -f "${HF_E2E_RUN_DIR:-/nonexistent}/$HF_TEST_NAME.$$.$svc.pid"
    HF_STOP_STATUS=$rc
    printf '=== %s stopped with SIG%s: status %s\n' "$(date +%T.%3N)" "$sig" "$rc" >>"$HF_E2E_TMP/$svc.log"
}

# hf_service_stop NAME [SIGNAL]: signals a service (TERM by default; KILL to crash it) and
# waits for it to end. Its exit status is left in HF_STOP_STATUS (0 for a clean stop; 128+N
# for death by signal N). Fails the test when it ignored SIGTERM for 15 s (times the scale).
hf_service_stop() {
    local svc=$1 sig=${2:-TERM}
    [[ -n ${HF_PIDS[$svc]:-} ]] || hf_fail "hf_service_stop: huifang-$svc is not running"
    HF_STOP_KILLED=0
    hf_service_halt "$svc" "$sig"
    if [[ $sig != KILL && $HF_STOP_KILLED == 1 ]]; then
        hf_fail "huifang-$svc ignored SIG$sig for $((15 * HF_TIMEOUT_SCALE)) s and was killed"
    fi
}
HF_STOP_KILLED=0

# hf_service_restart NAME [SIGNAL]: stops (TERM, or SIGNAL) and starts a service again.
hf_service_restart() {
    hf_service_stop "$1" "${2:-TERM}"
    hf_service_start "$1"
}

# ---- teardown -------------------------------------------------------------------------------

hf_show_logs() {
    local f
    for f in "$HF_E2E_TMP"/*.log; do
        [[ -f $f ]] || continue
        printf -- '--- last lines of %s ---\n' "$(basename "$f")" >&2
        tail -n "${HF_LOG_TAIL:-40}" "$f" >&2
    done
}

hf_teardown() {
    local rc=$? svc problems=()
    trap - EXIT
    set +e
    for svc in "${!HF_PIDS[@]}"; do
        hf_service_halt "$svc" TERM
        if [[ $HF_STOP_STATUS != 0 ]]; then
            problems+=("huifang-$svc exited with status $HF_STOP_STATUS on SIGTERM")
        fi
    done
    local f
    for f in "$HF_E2E_TMP"/*.log; do
        [[ -f $f ]] || continue
        if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$f"; then
            problems+=("sanitizer report in $(basename "$f")")
        fi
    done
    if [[ -n $HF_DB ]]; then
        hf_admin_psql "DROP DATABASE IF EXISTS \"$HF_DB\" WITH (FORCE)" >/dev/null 2>&1 ||
            printf '[%s] could not drop database %s\n' "$HF_TEST_NAME" "$HF_DB" >&2
    fi
    if ((${#problems[@]})); then
        local p
        for p in "${problems[@]}"; do
            printf '[%s] %s\n' "$HF_TEST_NAME" "$p" >&2
        done
        ((rc != 0)) || rc=1
    fi
    if ((rc != 0)); then
        hf_show_logs
        printf 'FAIL %s\n' "$HF_TEST_NAME"
    else
        printf 'PASS %s\n' "$HF_TEST_NAME"
    fi
    # HF_E2E_KEEP_LOGS=DIR: the services' logs kept in DIR/<test>/, passed or failed (to read
    # a run that passed beside one that failed)
    if [[ -n ${HF_E2E_KEEP_LOGS:-} ]] && mkdir -p "$HF_E2E_KEEP_LOGS/$HF_TEST_NAME"; then
        cp "$HF_E2E_TMP"/*.log "$HF_E2E_KEEP_LOGS/$HF_TEST_NAME/" 2>/dev/null
    fi
    rm -rf "$HF_E2E_TMP"
    exit "$rc"
}
trap hf_teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
