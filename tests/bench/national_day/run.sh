#!/usr/bin/env bash
# tests/bench/national_day/run.sh: a national day on the manual clock, through the real
# services (label bench; skipped unless HF_BENCH=1; `tests/run.sh --bench -R national_day`).
# See README.md beside it. The stack of the e2e tests (intake, scheduler ×2, calllog,
# complaint, reporting; CURVE and sessions on; NATDAY_SCHED_INSTANCES: 1-4 schedulers), then:
#  1. the chain: NATDAY_BRANCHES branches in four zones, NATDAY_AGENTS phone agents, a
#     product each, through `huifang branch add / product add / agent add`;
#  2. the customers: NATDAY_CUSTOMERS leads, one CSV per branch through `huifang lead
#     import` (the real path: intake, then every consumer); each lead starts the new-lead
#     plan (a first call within days 1-7);
#  3. the day: the clock moves to 07:00 of day 1 (Beijing), then hour by hour to 23:00
#     (Urumqi, two hours behind, works until 22:00 Beijing); after each hour the two
#     schedulers assign what fell due and the agents (bench_natday, NATDAY_CLIENTS concurrent
#     clients) claim with `task next` and log every call; NATDAY_COMPLAINTS complaints filed
#     and NATDAY_RETURNS returns requested through `huifang` at the end of the day;
#  4. the report: times, rates, consumer lag (peak and mean, from /metrics every second),
#     Postgres size, memory per service (VmHWM), and the checks that nothing was lost or
#     doubled (exit 1 otherwise), with the extrapolation to the national size of issue 14.
set -euo pipefail
if [[ ${HF_BENCH:-0} != 1 ]]; then
    echo "skipped: set HF_BENCH=1 to run the national day benchmark"
    exit 77
fi
# the services' transports (lib.sh, which reads them as it is sourced), Unix sockets by
# default as on one host they cost less CPU a round trip (README, "Unix sockets"):
# HF_E2E_TRANSPORT, ZeroMQ between them and the agents (ipc, or tcp), HF_E2E_STORE, to
# Postgres (socket, or tcp)
HF_E2E_TRANSPORT=${HF_E2E_TRANSPORT:-ipc}
# shellcheck source-path=SCRIPTDIR source=../../e2e/lib.sh
source "$(dirname "$0")/../../e2e/lib.sh"
HF_TEST_NAME=bench_national_day
# NATDAY_BIN: the services' binaries from another tree (an A/B of the load: the same script,
# the binaries of the commit before a change)
HF_BIN=${NATDAY_BIN:-$HF_BIN}

BRANCHES=${NATDAY_BRANCHES:-10}
AGENTS=${NATDAY_AGENTS:-100}
CUSTOMERS=${NATDAY_CUSTOMERS:-5000}
CALLS=${NATDAY_CALLS:-1000} # the agents' capacity for the day: daily calls = CALLS / AGENTS
CLIENTS=${NATDAY_CLIENTS:-$AGENTS} # one client an agent (bench_natday takes at most 4,096)
JOBS=${NATDAY_JOBS:-2} # parallel `huifang` runs of the set-up and the import
LOAD_ONLY=${NATDAY_LOAD_ONLY:-0} # 1: the chain and the customers only, then the load's report
COMPLAINTS=${NATDAY_COMPLAINTS:-20}
RETURNS=${NATDAY_RETURNS:-20}
# the national size of issue 14, for the extrapolation
N_BRANCHES=1000 N_AGENTS=10000 N_CUSTOMERS=10000000 N_CALLS=400000

PER_BRANCH=$((AGENTS / BRANCHES))
ROWS=$((CUSTOMERS / BRANCHES))
DAILY=$(((CALLS + AGENTS - 1) / AGENTS))
((PER_BRANCH >= 1 && ROWS >= 1)) || hf_fail "NATDAY_AGENTS and NATDAY_CUSTOMERS must be at least NATDAY_BRANCHES"

export HUIFANG_LOG_LEVEL=warn
export HUIFANG_SCHEDULER_CLAIM_BATCH=${HUIFANG_SCHEDULER_CLAIM_BATCH:-500}
# NATDAY_SCHED_INSTANCES (1-4, default 2): the scheduler's instances; NATDAY_SCHED_SPREAD=1
# (default): calllog's asks (a task's brief show before each log) spread over them all
# (HUIFANG_SCHEDULER_ENDPOINT a list), 0: they all go to the first, as before the list
# existed (for binaries older than it: NATDAY_BIN)
SCHED_N=${NATDAY_SCHED_INSTANCES:-2}
[[ $SCHED_N =~ ^[1-4]$ ]] || hf_fail "NATDAY_SCHED_INSTANCES is $SCHED_N, not 1-4"
SCHED_SPREAD=${NATDAY_SCHED_SPREAD:-1}
HF_CLOCK_START='2027-03-01 08:00 +0800' # a Monday
# calllog starts after every scheduler instance, given their list
hf_stack_start intake scheduler complaint reporting
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
T_ALL=$(now)

# the scheduler's extra instances (as e2e/250 starts its extra ones): schedulerK on the port
# base's offsets SCHED_PORTS[K] (commands, events, metrics); SCHEDS the list of every
# instance's command endpoint (the agents' claims and, spread, calllog's asks)
SCHED_PORTS=([2]="44 45 14" [3]="15 16 17" [4]="33 34 35")
SCHED_INST=(scheduler) SPIDS=()
SCHEDS=$(hf_zmq_endpoint "$(hf_service_port scheduler)")
declare -A SCHED_MPORT=([scheduler]=$((HUIFANG_PORT_BASE + 19)))
for ((k = 2; k <= SCHED_N; k++)); do
    read -r pc pe pm <<<"${SCHED_PORTS[k]}"
    hf_instance_start "scheduler$k" scheduler $((HUIFANG_PORT_BASE + pc)) $((HUIFANG_PORT_BASE + pe)) \
        $((HUIFANG_PORT_BASE + pm))
    SPIDS+=("${HF_PIDS[scheduler$k]}")
    SCHED_INST+=("scheduler$k")
    SCHED_MPORT[scheduler$k]=$((HUIFANG_PORT_BASE + pm))
    SCHEDS+=",$(hf_zmq_endpoint $((HUIFANG_PORT_BASE + pc)))"
done
if ((SCHED_SPREAD)); then
    HUIFANG_SCHEDULER_ENDPOINT=$SCHEDS hf_service_start calllog
else
    hf_service_start calllog
fi
hf_wait_ping 20
SVCS=(intake "${SCHED_INST[@]}" calllog complaint reporting)
# NATDAY_CALLLOGS=2: a second calllog instance, the agents' logs spread over both
CALLLOGS=$(hf_zmq_endpoint $((HUIFANG_PORT_BASE + 21)))
if [[ ${NATDAY_CALLLOGS:-1} == 2 ]]; then
    if ((SCHED_SPREAD)); then
        HUIFANG_SCHEDULER_ENDPOINT=$SCHEDS hf_instance_start calllog2 calllog \
            $((HUIFANG_PORT_BASE + 26)) $((HUIFANG_PORT_BASE + 27)) $((HUIFANG_PORT_BASE + 28))
    else
        hf_instance_start calllog2 calllog $((HUIFANG_PORT_BASE + 26)) $((HUIFANG_PORT_BASE + 27)) \
            $((HUIFANG_PORT_BASE + 28))
    fi
    C2PID=${HF_PIDS[calllog2]}
    CALLLOGS+=",$(hf_zmq_endpoint $((HUIFANG_PORT_BASE + 26)))"
fi

# ---- metrics: every instance's /metrics every second into lag.tsv ----------------------------
declare -A MPORT=([intake]=$((HUIFANG_PORT_BASE + 9)) [calllog]=$((HUIFANG_PORT_BASE + 29))
    [complaint]=$((HUIFANG_PORT_BASE + 39)) [reporting]=$((HUIFANG_PORT_BASE + 49)))
for inst in "${!SCHED_MPORT[@]}"; do MPORT[$inst]=${SCHED_MPORT[$inst]}; done
# one scrape: HTTP/1.0 over bash's /dev/tcp and a cat, not curl (a profile of the day, perf
# record -a at a tenth of the chain, found curl at 7 % of the two cores, taken from the
# services measured: 5.2 ms of CPU a scrape against 1.3 ms this way, 100 of each against one
# server), for the few scrapes an hour; the monitor (every instance each second) and the
# settles (twenty times a second) are one python process each (metrics_watch.py). The headers come out too; every reader here looks for metric lines only. (No
# timeout: the metrics listener is a thread of its own, it answers while the loop works.)
scrape() {
    local fd
    # a connection reset as the request goes must not kill the pipeline it runs in (SIGPIPE;
    # under pipefail the script would end without a word): every caller runs it as an element
    # of a pipeline, a subshell of its own, so the trap stays there
    trap '' PIPE
    # (the braces keep 2>/dev/null to the connect: on exec itself it would stay for the shell)
    { exec {fd}<>"/dev/tcp/127.0.0.1/${MPORT[$1]}"; } 2>/dev/null || return 0
    printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&"$fd" 2>/dev/null &&
        cat <&"$fd" 2>/dev/null
    exec {fd}>&-
    return 0
}
# sum of a metric (every label set) over the given instances
msum() {
    local name=$1 inst
    shift
    for inst in "$@"; do scrape "$inst"; done |
        awk -v n="$name" 'index($1, n) == 1 && (substr($1, length(n) + 1, 1) == "{" || length($1) == length(n)) { s += $2 } END { printf "%d\n", s }'
}
# (tests/bench/national_day/metrics_watch.py: one process for the day, not a pipeline a scrape)
monitor() {
    local inst
    local -a insts=()
    for inst in "${!MPORT[@]}"; do insts+=("$inst=${MPORT[$inst]}"); done
    exec python3 "$HF_SOURCE/tests/bench/national_day/metrics_watch.py" monitor \
        "$HF_E2E_TMP/lag.tsv" "${insts[@]}"
}
monitor &
MONITOR=$!
# the monitor ends with the run, whatever ends it (then lib.sh's teardown, with the status)
# (and the extra schedulers, which lib.sh's teardown does not know to wait for)
stop_pid() {
    kill -TERM "$1" 2>/dev/null || return 0
    local i
    for ((i = 0; i < 150; i++)); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null || true
}
# (set -e holds in a trap too: off, so that nothing in it stops it before the teardown)
# shellcheck disable=SC2154 # hf_rc is set inside the trap
trap 'hf_rc=$?; set +e; ((hf_rc == 0)) || { echo "--- last lines of driver.err, the agents (exit $hf_rc) ---"; tail -n 20 "$HF_E2E_TMP/driver.err"; } >&2 2>/dev/null; kill "$MONITOR" 2>/dev/null; for p in "${SPIDS[@]}"; do stop_pid "$p"; done; [[ -z ${C2PID:-} ]] || stop_pid "$C2PID"; unset "HF_PIDS[scheduler2]" "HF_PIDS[scheduler3]" "HF_PIDS[scheduler4]" "HF_PIDS[calllog2]"; (exit $hf_rc); hf_teardown' EXIT
lag_total() { msum huifang_consumer_lag_events "${!MPORT[@]}"; }
lag_zero() { [[ $(lag_total) == 0 ]]; }
# the same, exactly, from the stores: every consumer's offset per producer = the producer's
# last committed sequence (the gauges above are sampled)
store_behind() {
    local c p q=""
    for c in intake scheduler calllog complaint reporting; do
        for p in intake scheduler calllog complaint; do
            [[ $c == "$p" ]] && continue
            q+="${q:+ + }coalesce((SELECT max(last_seq) FROM $p.outbox_seq WHERE producer = '$p'), 0)
                - coalesce((SELECT max(last_seq) FROM $c.consumer_offset WHERE producer = '$p'),
                  (SELECT max(last_seq) FROM $p.outbox_seq WHERE producer = '$p'), 0)"
        done
    done
    sql "SELECT $q"
}
store_caught_up() { [[ $(store_behind) == 0 ]]; }

# ---- 1. the chain ---------------------------------------------------------------------------------
ZONES=(Asia/Shanghai Asia/Urumqi Asia/Hong_Kong Asia/Macau)
hf_log "the chain: $BRANCHES branches, $AGENTS agents ($PER_BRANCH each, $DAILY calls a day each)"
T0=$(now)
for ((b = 1; b <= BRANCHES; b++)); do
    printf 'B%04d %s\n' "$b" "${ZONES[b % ${#ZONES[@]}]}"
done >"$HF_E2E_TMP/branches.txt"
setup_branch() {
    local code=$1 tz=$2 a
    HUIFANG_BRANCH=$code huifang branch add "$code" --name "Branch $code" --tz "$tz" \
        --windows 09:00-12:00,14:00-20:00 >/dev/null || return 1
    HUIFANG_BRANCH=$code huifang product add NAT30 --name 'Vitamin C 30' --days-per-unit 30 \
        --price 168 --plan monthly-course >/dev/null || return 1
    for ((a = 1; a <= PER_BRANCH; a++)); do
        HUIFANG_BRANCH=$code huifang agent add "$(printf 'A%03d' "$a")" --name "Agent $a" \
            --role phone --daily-calls "$DAILY" >/dev/null || return 1
    done
}
export -f setup_branch
export PER_BRANCH DAILY
xargs -P "$JOBS" -L 1 bash -c 'setup_branch "$@"' _ <"$HF_E2E_TMP/branches.txt" ||
    hf_fail "the chain's set-up failed"
T_SETUP=$(since "$T0")
awk -v n="$PER_BRANCH" '{ for (a = 1; a <= n; a++) printf "%s A%03d\n", $1, a }' \
    "$HF_E2E_TMP/branches.txt" >"$HF_E2E_TMP/agents.txt"
hf_log "chain set up in $T_SETUP s"

# ---- 2. the customers --------------------------------------------------------------------------
hf_log "the customers: $CUSTOMERS leads, $ROWS per branch, through huifang lead import"
mkdir -p "$HF_E2E_TMP/csv"
awk -v rows="$ROWS" -v dir="$HF_E2E_TMP/csv" '
    BEGIN {
        ns = split("王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 胡 朱 高 林 何 郭 马 罗", sur, " ")
        ng = split("芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚", giv, " ")
        srand(14)
    }
    {
        f = dir "/" $1 ".csv"
        print "name,phone,channel,gender,birth" >f
        for (i = 0; i < rows; i++)
            printf "%s%s,13%09d,counter,%s,%04d-%02d-%02d\n", sur[int(rand() * ns) + 1],
                giv[int(rand() * ng) + 1], (NR - 1) * rows + i, rand() < 0.5 ? "f" : "m",
                1940 + int(rand() * 60), int(rand() * 12) + 1, int(rand() * 28) + 1 >f
        close(f)
    }' "$HF_E2E_TMP/branches.txt"
import_branch() {
    HUIFANG_BRANCH=$1 huifang --json lead import "$2/csv/$1.csv" >"$2/csv/$1.out" 2>&1 ||
        { cat "$2/csv/$1.out" >&2; return 1; }
}
export -f import_branch
# how far each consumer of intake's stream is behind it, by the stores (the gauges are
# sampled): "scheduler 120 calllog 0 ..."
CONSUMERS=(scheduler calllog complaint reporting)
behind_intake() {
    local c q=""
    for c in "${CONSUMERS[@]}"; do
        q+="${q:+ || ' ' || }'$c ' || coalesce((SELECT max(last_seq) FROM intake.outbox_seq WHERE producer = 'intake'), 0)
            - coalesce((SELECT max(last_seq) FROM $c.consumer_offset WHERE producer = 'intake'), 0)"
    done
    sql "SELECT $q"
}
# the load's report lines: when each consumer caught up with intake (seconds after the import
# began), and its rate over the load
declare -A T_CAUGHT=()
watch_consumers() { # until every consumer caught up, or the deadline
    local deadline c v
    deadline=$(hf_deadline 3600)
    while ((${#T_CAUGHT[@]} < ${#CONSUMERS[@]})) && ! hf_past "$deadline"; do
        # shellcheck disable=SC2046 # the pairs "name behind" as words
        set -- $(behind_intake)
        while (($# >= 2)); do
            c=$1 v=$2
            shift 2
            [[ -z ${T_CAUGHT[$c]:-} && $v -le 0 && $IMPORT_DONE == 1 ]] && T_CAUGHT[$c]=$(since "$T0")
        done
        sleep 0.2
    done
}
# the load's work beside its rate: CPU (user + system, clock ticks) of each process of a role
# (the service's instances and the role's Postgres backends), and with NATDAY_STATEMENTS=1 the
# load's statements (reset here)
role_ticks() { # ROLE: "pid ticks" lines of its instances and its Postgres backends
    local p
    for p in $(sql "SELECT pid FROM pg_stat_activity WHERE usename = 'huifang_$1'"); do
        echo "pg $p $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)"
    done
    for p in "${!HF_PIDS[@]}"; do
        if [[ $p == "$1" || $p == "$1"[2-9] ]]; then
            echo "svc ${HF_PIDS[$p]} $(awk '{ print $14 + $15 }' "/proc/${HF_PIDS[$p]}/stat" 2>/dev/null || echo 0)"
        fi
    done
}
role_ticks scheduler >"$HF_E2E_TMP/sched_ticks0"
if [[ $LOAD_ONLY == 1 && ${NATDAY_STATEMENTS:-0} == 1 ]]; then
    sql "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset(); SELECT pg_stat_reset()" >/dev/null ||
        hf_fail "NATDAY_STATEMENTS=1 needs HF_TEST_PG_SETTINGS=shared_preload_libraries=pg_stat_statements"
fi
T0=$(now)
IMPORT_DONE=0
awk -v d="$HF_E2E_TMP" '{ print $1, d }' "$HF_E2E_TMP/branches.txt" |
    xargs -P "$JOBS" -L 1 bash -c 'import_branch "$@"' _ || hf_fail "an import failed"
T_IMPORT=$(since "$T0")
IMPORT_DONE=1
LOADED=$(sql "SELECT count(*) FROM intake.customer")
# caught up: every consumer's offset at intake's last event, every lead's new-lead plan started
# at the scheduler, every lag back to 0
watch_consumers
plans_started() { [[ $(sql "SELECT count(*) FROM scheduler.plan") -ge $LOADED ]]; }
hf_wait_until 1800 plans_started
hf_wait_until 1800 lag_zero
T_LOAD=$(since "$T0")
TASKS=$(sql "SELECT count(*) FROM scheduler.task")
role_ticks scheduler >"$HF_E2E_TMP/sched_ticks1"
hf_log "imported $LOADED customers in $T_IMPORT s; every consumer caught up after $T_LOAD s; $TASKS tasks planned"
load_report() {
    local c
    printf 'load (%d branches, %d customers, %d import jobs; load average %s):\n' "$BRANCHES" \
        "$LOADED" "$JOBS" "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf '  lead import        %7s s  %8.0f customers/s\n' "$T_IMPORT" \
        "$(awk -v n="$LOADED" -v t="$T_IMPORT" 'BEGIN { print n / t }')"
    for c in "${CONSUMERS[@]}"; do
        printf '  %-18s %7s s  %8.0f leads/s (caught up with intake, from the import'"'"'s start)\n' \
            "$c" "${T_CAUGHT[$c]:-?}" "$(awk -v n="$LOADED" -v t="${T_CAUGHT[$c]:-0}" 'BEGIN { print (t > 0 ? n / t : 0) }')"
    done
    printf '  every lag 0        %7s s  %8.0f leads/s; %d plans, %d tasks\n' "$T_LOAD" \
        "$(awk -v n="$LOADED" -v t="$T_LOAD" 'BEGIN { print n / t }')" \
        "$(sql 'SELECT count(*) FROM scheduler.plan')" "$TASKS"
    # the schedulers' work a lead: CPU of the instances and of their Postgres backends
    awk -v n="$LOADED" -v hz="$(getconf CLK_TCK)" 'NR == FNR { t0[$2] = $3; next }
        { d = $3 - t0[$2]; if ($1 == "pg") pg += d; else sv += d }
        END { printf "  scheduler CPU over the load: instances %.1f s, Postgres backends %.1f s;" \
                     " %d + %d us a lead\n", sv / hz, pg / hz, sv * 1e6 / hz / n, pg * 1e6 / hz / n }' \
        "$HF_E2E_TMP/sched_ticks0" "$HF_E2E_TMP/sched_ticks1"
    if [[ ${NATDAY_STATEMENTS:-0} == 1 ]]; then
        echo "  the scheduler's statements over the load (calls, ms, calls a lead, us a lead[, max ms]):"
        sql "SELECT sum(s.calls), round(sum(s.total_exec_time)::numeric), round(sum(s.calls)::numeric / $LOADED, 3),
                    round((sum(s.total_exec_time) * 1000 / $LOADED)::numeric)
             FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = 'huifang_scheduler'" |
            sed 's/|/ /g; s/^/    all /'
        sql "SELECT s.calls, round(s.total_exec_time::numeric), round(s.calls::numeric / $LOADED, 3),
                    round((s.total_exec_time * 1000 / $LOADED)::numeric), round(s.max_exec_time::numeric),
                    left(regexp_replace(s.query, '\s+', ' ', 'g'), 90)
             FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = 'huifang_scheduler'
             ORDER BY s.total_exec_time DESC LIMIT 12" | sed 's/|/ /g; s/^/    /'
    fi
    printf '  memory (VmHWM, kB):'
    for c in "${SVCS[@]}"; do
        printf ' %s %s' "$c" "$(awk '/^VmHWM/ { print $2 }' "/proc/${HF_PIDS[$c]}/status")"
    done
    printf '\n  Postgres: %s (%s)\n' "$(sql "SELECT pg_size_pretty(pg_database_size(current_database()))")" \
        "$(sql "SELECT string_agg(nspname || ' ' || pg_size_pretty(s), ', ' ORDER BY s DESC) FROM (
             SELECT n.nspname, sum(pg_total_relation_size(c.oid))::bigint s FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm')
             AND n.nspname IN ('intake', 'scheduler', 'calllog', 'complaint', 'reporting')
             GROUP BY 1) x")"
    printf '  binaries: %s\n' "$HF_BIN"
    echo "  consumer lag by /metrics (peak events, mean events, last seen above 0 in s from the import's start):"
    awk -v t0="$T0" '$4 == "events" { k = $2 " " $3; n[k]++; s[k] += $5; if ($5 > m[k]) m[k] = $5
                                       if ($5 > 0 && $1 - t0 > last[k]) last[k] = $1 - t0 }
         END { for (k in n) if (m[k] > 0) { split(k, p, " ")
                   printf "    %-11s %-10s %10d %10.1f %8.1f\n", p[1], p[2], m[k], s[k] / n[k], last[k] } }' \
        "$HF_E2E_TMP/lag.tsv" | sort
}
if [[ $LOAD_ONLY == 1 ]]; then
    echo
    load_report
    exit 0
fi

# NATDAY_VACUUM=1: the store as a morning finds it after a bulk load, not as the load left it:
# VACUUM (ANALYZE) of the benchmark's database here, timed and reported apart from the day. A
# chain's customers come over months, and autovacuum has long visited them by any morning;
# without it, autovacuum's first passes over the freshly loaded tables (hint bits, the
# visibility map, statistics) run inside the measured day ("Postgres's other processes" below).
VACUUM=${NATDAY_VACUUM:-0}
T_VACUUM=-
if [[ $VACUUM == 1 ]]; then
    T0=$(now)
    sql "VACUUM (ANALYZE)" || hf_fail "VACUUM (ANALYZE) after the load failed"
    T_VACUUM=$(since "$T0")
    hf_log "vacuumed and analysed the store in $T_VACUUM s"
fi

# ---- 3. the day --------------------------------------------------------------------------------
# settles: until each scheduler instance has completed two rounds of its tick (index and
# assign) since the clock moved and since the assignments last changed. The round under way
# at either moment may have read the clock before; the next began after it, found nothing
# left to assign (or the counter would have moved), so what fell due is in the bags. A state,
# not a quiet stretch: about two ticks (200 ms each) when nothing is due.
settle() {
    local inst
    local -a insts=()
    for inst in "${SCHED_INST[@]}"; do insts+=("$inst=${MPORT[$inst]}"); done
    python3 "$HF_SOURCE/tests/bench/national_day/metrics_watch.py" settle \
        "$((300 * HF_TIMEOUT_SCALE))" "${insts[@]}" >/dev/null ||
        hf_fail "the schedulers' ticks did not settle in 300 s"
}
declare -A TOT=()
A0=$(msum huifang_tasks_assigned_total "${SCHED_INST[@]}")
ASSIGN_S=0 PEAK_RATE=0
# the agents: one bench_natday for the whole day (its clients connect once), a round each
# hour on "go", its counts line the answer
coproc DRIVER {
    NATDAY_SCHEDULERS=$SCHEDS NATDAY_CALLLOGS=$CALLLOGS NATDAY_CLIENTS=$CLIENTS exec "$HF_BIN/bench_natday" --serve \
        "$HF_E2E_TMP/agents.txt" 2>>"$HF_E2E_TMP/driver.err"
}
DRV_PID=$DRIVER_PID DRV_IN=${DRIVER[1]} DRV_OUT=${DRIVER[0]}
# NATDAY_STATEMENTS=1 (with HF_TEST_PG_SETTINGS=shared_preload_libraries=pg_stat_statements
# for tests/run.sh): the day's statements, reset here, printed after the checks
STATEMENTS=${NATDAY_STATEMENTS:-0}
if [[ $STATEMENTS == 1 ]]; then
    sql "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset(); SELECT pg_stat_reset()" >/dev/null ||
        hf_fail "NATDAY_STATEMENTS=1 needs HF_TEST_PG_SETTINGS=shared_preload_libraries=pg_stat_statements"
fi
# each service's CPU time (user + system, clock ticks), at the start of the day and its end
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/${HF_PIDS[$1]}/stat" 2>/dev/null || echo 0; }
declare -A CPU0=()
for svc in "${SVCS[@]}"; do CPU0[$svc]=$(cpu_ticks "$svc"); done
# of which ZeroMQ's I/O threads (named ZMQbg/IO/N by libzmq): PID... -> their ticks summed
zmq_io_ticks() {
    local pid t sum=0
    for pid in "$@"; do
        for t in /proc/"$pid"/task/*; do
            [[ $(cat "$t/comm" 2>/dev/null) == ZMQbg/IO* ]] &&
                sum=$((sum + $(awk '{ print $14 + $15 }' "$t/stat" 2>/dev/null || echo 0)))
        done
    done
    echo "$sum"
}
svc_pids() { for svc in "${SVCS[@]}"; do echo "${HF_PIDS[$svc]}"; done; }
ZIO0=$(zmq_io_ticks $(svc_pids))
# and the CPU time of the Postgres backends serving them (by role: the backends connected at
# the start of the day, which the services keep for the day)
PG_BACKENDS=$(sql "SELECT usename || ' ' || pid FROM pg_stat_activity WHERE usename LIKE 'huifang\_%'")
pg_ticks() {
    local role pid
    while read -r role pid; do
        [[ -n $pid ]] && echo "$role $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)"
    done <<<"$PG_BACKENDS" | awk '{ t[$1] += $2 } END { for (r in t) print r, t[r] }' | sort
}
PG_CPU0=$(pg_ticks)
# every Postgres process: the postmaster with its children's exited ones (cutime, cstime: the
# autovacuum workers that came and went) and its children alive now; less the roles' backends
# above, what Postgres did besides serving the services (autovacuum, checkpointer, WAL writer)
PG_MASTER=$(sql "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")
PG_MASTER=$(awk '/^PPid:/ { print $2 }' "/proc/$PG_MASTER/status")
pg_all_ticks() {
    local sum c
    sum=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$PG_MASTER/stat")
    for c in $(pgrep -P "$PG_MASTER"); do
        sum=$((sum + $(awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null || echo 0)))
    done
    echo "$sum"
}
PG_ALL0=$(pg_all_ticks)
# Redis's own CPU (INFO cpu: seconds, its threads and children) and autovacuum's passes over
# this database's tables
redis_cpu() { redis-cli -u "$HUIFANG_REDIS_URL" INFO cpu | tr -d '\r' |
    awk -F: '$1 == "used_cpu_sys" || $1 == "used_cpu_user" { s += $2 } END { printf "%.3f\n", s }'; }
autovacuums() { sql "SELECT coalesce(sum(autovacuum_count), 0) || ' ' || coalesce(sum(autoanalyze_count), 0) FROM pg_stat_all_tables"; }
# and its time by command (INFO commandstats: calls and µs of each command, scripts inside
# EVALSHA), one "name calls usec" line each, sorted by name for join
redis_cmdstats() { redis-cli -u "$HUIFANG_REDIS_URL" INFO commandstats | tr -d '\r' |
    awk -F'[:,=]' '/^cmdstat_/ { sub(/^cmdstat_/, "", $1); print $1, $3, $5 }' | sort; }
REDIS_CPU0=$(redis_cpu)
REDIS_CMDS0=$(redis_cmdstats)
AV0=$(autovacuums)
# the agents' clients (bench_natday: on a branch, the agents' own desktops, not the server's
# CPU) and the whole machine (every CPU busy: /proc/stat's user, nice, system, irq, softirq,
# steal), to tell what share of the two cores the services and their backends had
machine_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
DRV_CPU0=$(awk '{ print $14 + $15 }' "/proc/$DRV_PID/stat")
DZIO0=$(zmq_io_ticks "$DRV_PID")
# and its threads' context switches (voluntary and not), a wake of a thread each at least
ctx_switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'; }
DRV_CSW0=$(ctx_switches "$DRV_PID")
MACHINE0=$(machine_ticks)
# each instance's loop: its working time (huifang_loop_busy_seconds_total) and its commands
# (count and seconds from arrival to reply, by command), at the start of the day and its end
loops() {
    local inst
    for inst in "${!MPORT[@]}"; do
        scrape "$inst" | awk -v i="$inst" '
            /^huifang_loop_busy_seconds_total\{/ { print i, "(busy)", "0", $2 }
            /^huifang_session_signatures_checked_total\{/ { print i, "(sigs)", "0", $2 }
            /^huifang_request_duration_seconds_(count|sum)\{/ {
                match($1, /command="[^"]*"/); c = substr($1, RSTART + 9, RLENGTH - 10)
                if ($1 ~ /_count\{/) n[c] = $2; else t[c] = $2 }
            END { for (c in n) if (n[c] > 0) print i, c, n[c], t[c] }'
    done | sort
}
LOOPS0=$(loops)
huifang clock advance 23h >/dev/null # 07:00 of day 1 in Beijing
T_DAY=$(now)
WORK_S=0 SETTLE_N=0 SETTLE_S=0 ROUNDS=0
printf '\n%-6s %9s %9s %8s %9s %8s %8s %8s %8s %8s %7s\n' hour assigned assign_s "a/s" claimed work_s "calls/s" next_ms next_p99 log_ms retries
for ((h = 7; h <= 23; h++)); do
    ((h == 7)) || huifang clock advance 1h >/dev/null
    before=$(msum huifang_tasks_assigned_total "${SCHED_INST[@]}")
    t0=$(now)
    settle
    ts=$(since "$t0")
    got=$(($(msum huifang_tasks_assigned_total "${SCHED_INST[@]}") - before))
    t1=$(now)
    # (a write to a driver gone would end this script by SIGPIPE, without a word)
    kill -0 "$DRV_PID" 2>/dev/null ||
        hf_fail "the agents' driver ended before $h:00 (driver.err: $(tail -5 "$HF_E2E_TMP/driver.err"))"
    echo go >&"$DRV_IN"
    ROUNDS=$((ROUNDS + 1))
    # NATDAY_PERF=FILE: a profile of the whole machine while the agents work the 09:00 hour
    # (perf record -a, NATDAY_PERF_S seconds, 20 by default; perf report -i FILE --sort comm,dso,sym)
    PERF_PID=
    # NATDAY_PERF_ONLY="WHO...": only these processes, with their call stacks (DWARF): a
    # service instance's name (scheduler, calllog, ...) or a role, for its Postgres backends
    if [[ -n ${NATDAY_PERF:-} ]] && ((h == 9)); then
        perf_who=(-a)
        if [[ -n ${NATDAY_PERF_ONLY:-} ]]; then
            perf_pids=
            for w in $NATDAY_PERF_ONLY; do
                if [[ -n ${HF_PIDS[$w]:-} ]]; then
                    perf_pids+=,${HF_PIDS[$w]}
                else
                    perf_pids+=$(awk -v r="$w" '$1 == r { printf ",%s", $2 }' <<<"$PG_BACKENDS")
                fi
            done
            [[ -n $perf_pids ]] || hf_fail "NATDAY_PERF_ONLY=$NATDAY_PERF_ONLY names no instance or role"
            perf_who=(--call-graph dwarf,16384 -p "${perf_pids#,}")
        fi
        perf record "${perf_who[@]}" -F "${NATDAY_PERF_HZ:-499}" -o "$NATDAY_PERF" -- sleep "${NATDAY_PERF_S:-20}" \
            >"$HF_E2E_TMP/perf.out" 2>&1 &
        PERF_PID=$!
    fi
    out=
    read -r out <&"$DRV_OUT" || true
    [[ $out == *errors=0* ]] ||
        hf_fail "the agents' driver failed at $h:00: $out $(tail -5 "$HF_E2E_TMP/driver.err")"
    tw=$(since "$t1")
    if [[ -n $PERF_PID ]]; then
        wait "$PERF_PID" || hf_log "perf record failed: $(tail -3 "$HF_E2E_TMP/perf.out")"
    fi
    WORK_S=$(awk -v a="$WORK_S" -v b="$tw" 'BEGIN { print a + b }')
    for kv in $out; do
        TOT[${kv%%=*}]=$((${TOT[${kv%%=*}]:-0} + ${kv#*=}))
    done
    rate=$(awk -v g="$got" -v t="$ts" 'BEGIN { printf "%d", (t > 0 ? g / t : 0) }')
    ((got >= 100 && rate > PEAK_RATE)) && PEAK_RATE=$rate
    ASSIGN_S=$(awk -v a="$ASSIGN_S" -v b="$ts" 'BEGIN { print a + b }')
    # a step that assigned nothing waited only for the ticks to settle: a fixed cost of a step
    if ((got == 0)); then
        SETTLE_N=$((SETTLE_N + 1))
        SETTLE_S=$(awk -v a="$SETTLE_S" -v b="$ts" 'BEGIN { print a + b }')
    fi
    v() { grep -o "\b$1=[0-9]*" <<<"$out" | cut -d= -f2; }
    printf '%02d:00  %9d %9s %8d %9s %8s %8s %8s %8s %8s %7s\n' "$h" "$got" "$ts" "$rate" "$(v claimed)" "$tw" \
        "$(awk -v n="$(v logged)" -v t="$tw" 'BEGIN { printf "%d", (t > 0 ? n / t : 0) }')" \
        "$(awk -v u="$(v next_us)" -v n="$(($(v claimed) + $(v empty)))" 'BEGIN { printf "%.1f", n ? u / n / 1000 : 0 }')" \
        "$(awk -v u="$(v next_p99_us)" 'BEGIN { printf "%.1f", u / 1000 }')" \
        "$(awk -v u="$(v log_us)" -v n="$(v claimed)" 'BEGIN { printf "%.1f", n ? u / n / 1000 : 0 }')" "$(v retries)"
done
# (the driver's CPU read before it ends: the round's work is all done by now)
DRV_CPU1=$(awk '{ print $14 + $15 }' "/proc/$DRV_PID/stat")
DZIO1=$(zmq_io_ticks "$DRV_PID")
DRV_CSW1=$(ctx_switches "$DRV_PID")
DRV_THREADS=$(awk '/^Threads:/ { print $2 }' "/proc/$DRV_PID/status")
exec {DRV_IN}>&-
wait "$DRV_PID" || hf_fail "the agents' driver ended with an error (driver.err: $(tail -5 "$HF_E2E_TMP/driver.err"))"
ASSIGNED_ALL=$(msum huifang_tasks_assigned_total "${SCHED_INST[@]}")
ASSIGNED=$((ASSIGNED_ALL - A0))

# complaints and returns of the day, as a supervisor files them (`huifang`)
T0=$(now)
sql "SELECT branch || ' ' || id FROM intake.customer ORDER BY id DESC LIMIT $COMPLAINTS" |
    while read -r br id; do
        HUIFANG_BRANCH=$br huifang complaint file --customer "$id" --category attitude \
            --owner A001 --text 'called at dinner time' >/dev/null || exit 1
    done || hf_fail "a complaint file failed"
sql "SELECT branch || ' ' || id FROM intake.purchase ORDER BY id LIMIT $RETURNS" |
    while read -r br id; do
        HUIFANG_BRANCH=$br huifang return request --purchase "$id" --used 0 --packaging intact \
            --reason 'changed their mind' >/dev/null || exit 1
    done || hf_fail "a return request failed"
RETURNED=$(sql "SELECT least(count(*), $RETURNS) FROM intake.purchase")
T_CR=$(since "$T0")
T0=$(now)
hf_wait_until 600 lag_zero
hf_wait_until 600 store_caught_up
T_CATCH=$(since "$T0")
T_DAYALL=$(since "$T_DAY")
declare -A CPU1=()
for svc in "${SVCS[@]}"; do CPU1[$svc]=$(cpu_ticks "$svc"); done
PG_CPU1=$(pg_ticks)
PG_ALL1=$(pg_all_ticks)
REDIS_CPU1=$(redis_cpu)
REDIS_CMDS1=$(redis_cmdstats)
AV1=$(autovacuums)
ZIO1=$(zmq_io_ticks $(svc_pids))
MACHINE1=$(machine_ticks)
LOOPS1=$(loops)
if kill "$MONITOR" 2>/dev/null; then
    wait "$MONITOR" 2>/dev/null || true
fi

# ---- 4. the checks: nothing lost, nothing doubled -------------------------------------------------
PROBLEMS=0
check() { # NAME WANT GOT
    if [[ $2 == "$3" ]]; then
        printf '  ok   %-58s %s\n' "$1" "$3"
    else
        printf '  FAIL %-58s want %s, got %s\n' "$1" "$2" "$3"
        PROBLEMS=$((PROBLEMS + 1))
    fi
}
# the checks below count whole tables (scheduler.task, calllog.contact, ...): sequential scans
# of this script's, not the services'. With NATDAY_STATEMENTS=1 the report of the tables read
# in full takes them out: the counts just before the checks and just after them (the checks'
# psql sessions report theirs as they end), kept in a table of this database (what a
# service's backend reports in those few seconds is taken out too: its ticks' small reads)
if [[ $STATEMENTS == 1 ]]; then
    seq_snapshot() { # before|after
        sql "CREATE TABLE IF NOT EXISTS public.natday_seq (k text, relid oid, seq_scan bigint, seq_tup_read bigint);
             INSERT INTO public.natday_seq SELECT '$1', relid, seq_scan, seq_tup_read FROM pg_stat_user_tables
             WHERE schemaname IN ('intake', 'scheduler', 'calllog', 'complaint', 'reporting', 'audit')" >/dev/null
    }
    seq_snapshot before
fi
echo
echo "checks (nothing lost, nothing doubled):"
CONTACTS=$(sql "SELECT count(*) FROM calllog.contact")
check "driver errors and conflicts" 0 $((${TOT[errors]:-0} + ${TOT[conflicts]:-0}))
# each agent works its bag to the end every hour, ended by one "nothing for you" (NOT_FOUND)
# a round: an agent the driver skipped, or worked twice, would show here (its tasks left in
# its bag would not: they are counted as left, or worked the next hour)
check "every agent's bag worked to its end each hour ($ROUNDS x agents)" \
    $((ROUNDS * $(wc -l <"$HF_E2E_TMP/agents.txt"))) "${TOT[empty]:-0}"
check "every claim logged once (calls logged = tasks claimed)" "${TOT[claimed]}" "${TOT[logged]}"
check "calllog contacts = calls logged" "${TOT[logged]}" "$CONTACTS"
check "one contact per claim of a task" "$CONTACTS" \
    "$(sql "SELECT count(DISTINCT (task_id, claim_no)) FROM calllog.contact")"
# the tasks in the assignment events (a task_assigned's one, each of a tasks_assigned's batch)
EVENTS=$(huifang events tail --from-seq 1 --topic scheduler.task --no-follow |
    python3 "$HF_SOURCE/tests/e2e/assigned_tasks.py" | wc -l)
check "tasks in the assignment events = assignments counted by the schedulers" "$ASSIGNED_ALL" "$EVENTS"
# a no-answer or busy call puts its task back (due in the window again): the task is assigned
# once more, so each assignment is a call logged, or a task still in a bag at the end
INBAG=$(sql "SELECT count(*) FROM scheduler.task WHERE state IN ('assigned', 'claimed')")
check "assignments = calls logged + tasks left in bags ($INBAG)" "$EVENTS" $((CONTACTS + INBAG))
check "bag slots used = assignments" "$EVENTS" "$(sql 'SELECT coalesce(sum(calls), 0) FROM scheduler.agent_day')"
check "reporting attempts = calllog contacts" "$CONTACTS" \
    "$(sql 'SELECT coalesce(sum(attempts), 0) FROM reporting.agent_day')"
check "reporting contacts = connected + refused calls" $((${TOT[connected]} + ${TOT[refused]})) \
    "$(sql 'SELECT coalesce(sum(contacts), 0) FROM reporting.agent_day')"
check "reporting orders = orders logged" "${TOT[orders]}" \
    "$(sql 'SELECT coalesce(sum(orders), 0) FROM reporting.agent_day')"
check "reporting units = units ordered" "${TOT[units]}" \
    "$(sql 'SELECT coalesce(sum(units), 0) FROM reporting.order_day')"
check "intake purchases = orders logged" "${TOT[orders]}" "$(sql 'SELECT count(*) FROM intake.purchase')"
check "reporting leads registered = intake customers" "$LOADED" \
    "$(sql 'SELECT coalesce(sum(registered), 0) FROM reporting.lead_day')"
NCOMPL=$(sql 'SELECT count(*) FROM complaint.complaint')
check "complaints = adverse effects + filed" $((${TOT[adverse]:-0} + COMPLAINTS)) "$NCOMPL"
check "reporting complaints = complaint's" "$NCOMPL" "$(sql 'SELECT count(*) FROM reporting.complaint')"
check "returns requested" "$RETURNED" "$(sql 'SELECT count(*) FROM complaint.return_request')"
check "every consumer's lag back to 0 (metrics)" 0 "$(lag_total)"
check "every consumer's offset = its producers' last event (stores)" 0 "$(store_behind)"

if [[ $STATEMENTS == 1 ]]; then
    seq_snapshot after
    echo
    echo "the day's statements (pg_stat_statements), per call logged; by role, then the top 25:"
    sql "SELECT rpad(r.rolname, 20), sum(s.calls), round(sum(s.total_exec_time)::numeric, 0) AS ms,
                round((sum(s.total_exec_time) * 1000 / greatest($((${TOT[logged]:-0})), 1))::numeric, 0) AS us_per_call,
                round((sum(s.calls)::numeric / greatest($((${TOT[logged]:-0})), 1)), 1) AS stmts_per_call
         FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
         GROUP BY r.rolname ORDER BY 3 DESC" | sed 's/|/ /g; s/^/  /'
    sql "SELECT rpad(r.rolname, 20), s.calls, round(s.total_exec_time::numeric, 0),
                round((s.total_exec_time * 1000 / greatest(s.calls, 1))::numeric, 0),
                left(regexp_replace(s.query, '\s+', ' ', 'g'), 110)
         FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
         ORDER BY s.total_exec_time DESC LIMIT 25" | sed 's/|/ /g; s/^/  /'
    # a statement that reads many buffers a run scans what an index would have found
    echo "the statements that read the most buffers (calls, buffers a run, rows a run):"
    sql "SELECT rpad(r.rolname, 20), s.calls,
                round((s.shared_blks_hit + s.shared_blks_read)::numeric / greatest(s.calls, 1), 0),
                round(s.rows::numeric / greatest(s.calls, 1), 1),
                left(regexp_replace(s.query, '\s+', ' ', 'g'), 100)
         FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
         ORDER BY s.shared_blks_hit + s.shared_blks_read DESC LIMIT 12" | sed 's/|/ /g; s/^/  /'
    echo "the scheduler's statements by how many a call logged (the top 25):"
    sql "SELECT round(s.calls::numeric / greatest($((${TOT[logged]:-0})), 1), 2), s.calls,
                round(s.total_exec_time::numeric, 0), left(regexp_replace(s.query, '\s+', ' ', 'g'), 110)
         FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
         WHERE r.rolname = 'huifang_scheduler' ORDER BY s.calls DESC LIMIT 25" | sed 's/|/ /g; s/^/  /'
    echo "the other roles' statements by how many a call logged (the top 10 of each):"
    sql "SELECT rpad(x.rolname, 18), round(x.calls::numeric / greatest($((${TOT[logged]:-0})), 1), 2), x.calls,
                round(x.total_exec_time::numeric, 0), left(regexp_replace(x.query, '\s+', ' ', 'g'), 90)
         FROM (SELECT r.rolname, s.calls, s.total_exec_time, s.query,
                      row_number() OVER (PARTITION BY r.rolname ORDER BY s.calls DESC) AS k
               FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
               WHERE r.rolname IN ('huifang_calllog', 'huifang_reporting', 'huifang_intake',
                                   'huifang_complaint')) x
         WHERE x.k <= 10 ORDER BY x.rolname, x.calls DESC" | sed 's/|/ /g; s/^/  /'
    # the outbox's writes: one INSERT a transaction that emits, however many events it has
    # (hf_outbox_defer_rows), a COPY for the batches (hf_outbox_copy_many); the counter row
    # moves once a transaction that emits (a statement of its own, or part of a command's)
    echo "the outbox's writes by role, a call logged: INSERT statements, their rows, COPYs, counter moves:"
    sql "SELECT rpad(r.rolname, 18),
                round(coalesce(sum(s.calls) FILTER (WHERE s.query ~ '^INSERT INTO outbox \\('), 0)::numeric / greatest($((${TOT[logged]:-0})), 1), 2),
                round(coalesce(sum(s.rows) FILTER (WHERE s.query ~ '^INSERT INTO outbox \\('), 0)::numeric / greatest($((${TOT[logged]:-0})), 1), 2),
                round(coalesce(sum(s.calls) FILTER (WHERE s.query ~ '^COPY outbox '), 0)::numeric / greatest($((${TOT[logged]:-0})), 1), 2),
                round(coalesce(sum(s.calls) FILTER (WHERE s.query ~ 'INSERT INTO outbox_seq AS s'), 0)::numeric / greatest($((${TOT[logged]:-0})), 1), 2)
         FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
         WHERE r.rolname LIKE 'huifang\\_%' GROUP BY r.rolname ORDER BY 1" | sed 's/|/ /g; s/^/  /'
    # with pg_stat_statements.track_planning=on in HF_TEST_PG_SETTINGS: what planning cost,
    # which statements were planned at every execution (an unnamed statement always is; a
    # prepared one while its custom plans look cheaper than the generic one)
    if [[ $(sql 'SELECT coalesce(sum(plans), 0) > 0 FROM pg_stat_statements') == t ]]; then
        echo "planning (pg_stat_statements.track_planning): by role, plans and ms a call logged,"
        echo "then the 20 statements that cost the most planning (calls, plans, ms in all):"
        sql "SELECT rpad(r.rolname, 20), round(sum(s.plans)::numeric / greatest($((${TOT[logged]:-0})), 1), 1),
                    round((sum(s.total_plan_time) / greatest($((${TOT[logged]:-0})), 1))::numeric, 3)
             FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
             GROUP BY r.rolname ORDER BY 3 DESC" | sed 's/|/ /g; s/^/  /'
        sql "SELECT rpad(r.rolname, 18), s.calls, s.plans, round(s.total_plan_time::numeric, 0),
                    left(regexp_replace(s.query, '\s+', ' ', 'g'), 90)
             FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
             ORDER BY s.total_plan_time DESC LIMIT 20" | sed 's/|/ /g; s/^/  /'
    fi
    # an UPDATE that changes no indexed column and finds room on its page is HOT: no index
    # entry written; any other writes one in every index of the table
    echo "the tables most updated over the day: updates a call logged, the share HOT, indexes:"
    sql "SELECT rpad(t.schemaname || '.' || t.relname, 28),
                round(t.n_tup_upd::numeric / greatest($((${TOT[logged]:-0})), 1), 2),
                round(100.0 * t.n_tup_hot_upd / greatest(t.n_tup_upd, 1), 0) || ' %',
                (SELECT count(*) FROM pg_index i WHERE i.indrelid = t.relid)
         FROM pg_stat_user_tables t WHERE t.n_tup_upd > 0
         ORDER BY t.n_tup_upd DESC LIMIT 12" | sed 's/|/ /g; s/^/  /'
    # every index entry and heap row written is a WAL record: what each role's statements wrote
    echo "the WAL the day's statements wrote, by role: records and bytes a call logged:"
    sql "SELECT rpad(r.rolname, 20), round(sum(s.wal_records)::numeric / greatest($((${TOT[logged]:-0})), 1), 1),
                round(sum(s.wal_bytes)::numeric / greatest($((${TOT[logged]:-0})), 1), 0)
         FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
         WHERE r.rolname LIKE 'huifang\\_%' GROUP BY r.rolname ORDER BY 3 DESC" | sed 's/|/ /g; s/^/  /'
    echo "scheduler.task's indexes at the end of the day (kB):"
    sql "SELECT string_agg(c.relname || ' ' || pg_relation_size(c.oid) / 1024, ', ' ORDER BY c.relname)
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE i.indrelid = 'scheduler.task'::regclass" | sed 's/^/  /'
    # a sequential scan reads every row of its table: cheap on a table of ten rows, a cost
    # that grows with the chain on any other
    # (less the checks' own counts: what they added between the two snapshots)
    echo "the tables read in full over the day (the checks' own counts taken out): scans and"
    echo "rows read a call logged, rows now:"
    sql "WITH c AS (SELECT a.relid, a.seq_scan - b.seq_scan AS scans, a.seq_tup_read - b.seq_tup_read AS tup
                    FROM public.natday_seq a JOIN public.natday_seq b ON b.relid = a.relid AND b.k = 'before'
                    WHERE a.k = 'after'),
              t AS (SELECT u.schemaname, u.relname, u.n_live_tup, u.seq_scan - coalesce(c.scans, 0) AS seq_scan,
                           u.seq_tup_read - coalesce(c.tup, 0) AS seq_tup_read
                    FROM pg_stat_user_tables u LEFT JOIN c ON c.relid = u.relid
                    WHERE u.schemaname <> 'public')
         SELECT rpad(t.schemaname || '.' || t.relname, 28),
                round(t.seq_scan::numeric / greatest($((${TOT[logged]:-0})), 1), 2),
                round(t.seq_tup_read::numeric / greatest($((${TOT[logged]:-0})), 1), 1),
                t.n_live_tup
         FROM t WHERE t.seq_tup_read > 0
         ORDER BY t.seq_tup_read DESC LIMIT 8" | sed 's/|/ /g; s/^/  /'
fi

# ---- the report ----------------------------------------------------------------------------------
echo
echo "consumer lag during the run (/metrics every second; events, and seconds at the peak;"
echo "(outbox): the producer's own events not yet published by its relay):"
printf '  %-11s %-10s %10s %10s %10s\n' consumer producer peak_ev mean_ev peak_s
awk '$4 == "events" { k = $2 " " $3; n[k]++; s[k] += $5; if ($5 > m[k]) m[k] = $5 }
     $4 == "seconds" { k = $2 " " $3; if ($5 > ms[k]) ms[k] = $5 }
     END { for (k in n) { split(k, p, " "); printf "  %-11s %-10s %10d %10.1f %10.1f\n", p[1], p[2], m[k], s[k] / n[k], ms[k] } }' \
    "$HF_E2E_TMP/lag.tsv" | sort
echo
echo "memory per service (VmHWM, the peak resident set); CPU of the day (user + system) per call logged:"
HZ=$(getconf CLK_TCK)
for svc in "${SVCS[@]}"; do
    printf '  %-11s %8s kB %8s ms CPU, %6s µs a call\n' "$svc" "$(awk '/^VmHWM/ { print $2 }' "/proc/${HF_PIDS[$svc]}/status")" \
        "$(awk -v a="${CPU0[$svc]}" -v b="${CPU1[$svc]}" -v hz="$HZ" 'BEGIN { printf "%d", (b - a) * 1000 / hz }')" \
        "$(awk -v a="${CPU0[$svc]}" -v b="${CPU1[$svc]}" -v hz="$HZ" -v n="${TOT[logged]:-0}" 'BEGIN { printf "%d", (n > 0 ? (b - a) * 1e6 / hz / n : 0) }')"
done
awk -v a="$ZIO0" -v b="$ZIO1" -v c="$DZIO0" -v d="$DZIO1" -v hz="$HZ" -v n="${TOT[logged]:-0}" -v tr="$HF_E2E_TRANSPORT" 'BEGIN {
    printf "  of which ZeroMQ I/O threads (ZMQbg/IO): services %d µs a call, the agents\x27 clients %d µs a call (transport %s)\n",
        (n > 0 ? (b - a) * 1e6 / hz / n : 0), (n > 0 ? (d - c) * 1e6 / hz / n : 0), tr }'
echo "the Postgres backends of each role (connected at the start of the day; through $(
    [[ $HUIFANG_INTAKE_STORE_URL == *host=/* ]] && echo "the Unix socket" || echo "TCP")), CPU per call logged:"
join <(echo "$PG_CPU0") <(echo "$PG_CPU1") |
    awk -v hz="$HZ" -v n="${TOT[logged]:-0}" '{ d = $3 - $2; all += d
        printf "  %-19s %8d ms CPU, %6d µs a call\n", $1, d * 1000 / hz, (n > 0 ? d * 1e6 / hz / n : 0) }
        END { printf "  %-19s %8d ms CPU, %6d µs a call\n", "all", all * 1000 / hz, (n > 0 ? all * 1e6 / hz / n : 0) }'
join <(echo "$PG_CPU0") <(echo "$PG_CPU1") |
    awk -v a="$PG_ALL0" -v b="$PG_ALL1" -v r0="$REDIS_CPU0" -v r1="$REDIS_CPU1" -v hz="$HZ" \
        -v n="${TOT[logged]:-0}" -v av0="$AV0" -v av1="$AV1" '{ roles += $3 - $2 }
        END { o = b - a - roles; split(av0, x, " "); split(av1, y, " ")
              printf "Postgres\x27s other processes (autovacuum, checkpointer, WAL writer, ...): %d ms CPU, %d µs a call;" \
                  " autovacuum %d vacuums, %d analyzes of tables in the day\n", o * 1000 / hz, (n > 0 ? o * 1e6 / hz / n : 0),
                  y[1] - x[1], y[2] - x[2]
              printf "Redis: %d ms CPU, %d µs a call\n", (r1 - r0) * 1000, (n > 0 ? (r1 - r0) * 1e6 / n : 0) }'
# the commands that took Redis's time in the day, the largest first (a command absent at the
# start counts from zero; EVALSHA's time holds its script's commands, which Redis counts again
# under their own names)
join -a 2 -e 0 -o 0,1.2,1.3,2.2,2.3 <(echo "$REDIS_CMDS0") <(echo "$REDIS_CMDS1") |
    awk -v n="${TOT[logged]:-0}" '{ c = $4 - $2; u = $5 - $3; if (c > 0) printf "%d %s %d\n", u, $1, c }' |
    sort -rn | head -8 | awk -v n="${TOT[logged]:-0}" '
        { printf "%s  %s %d ms in %d commands (%.1f µs each, %.1f a call logged)", (NR == 1 ? "  by command (a script\x27s commands in its EVALSHA and again by name):" : ","),
              $2, $1 / 1000, $3, $1 / $3, (n > 0 ? $3 / n : 0) }
        END { if (NR > 0) printf "\n" }'
awk -v a="$DRV_CPU0" -v b="$DRV_CPU1" -v m0="$MACHINE0" -v m1="$MACHINE1" -v hz="$HZ" \
    -v n="${TOT[logged]:-0}" -v t="$T_DAYALL" -v cores="$(nproc)" -v c0="$DRV_CSW0" -v c1="$DRV_CSW1" \
    -v th="$DRV_THREADS" 'BEGIN {
    printf "the agents\x27 clients (bench_natday): %d ms CPU, %d µs a call; %d threads, %.1f context switches a call\n",
        (b - a) * 1000 / hz, (n > 0 ? (b - a) * 1e6 / hz / n : 0), th, (n > 0 ? (c1 - c0) / n : 0)
    printf "the machine over the day: %.1f s of CPU busy in %.1f s on %d cores (%.0f %%), %d µs a call\n",
        (m1 - m0) / hz, t, cores, (t > 0 ? 100 * (m1 - m0) / hz / t / cores : 0), (n > 0 ? (m1 - m0) * 1e6 / hz / n : 0) }'
echo "each instance's loop over the day (huifang_loop_busy_seconds_total): seconds working, µs a call"
echo "logged, and the same as a share of the agents' working time (1.00: saturated while they worked,"
echo "the chain's bottleneck); then its commands: count, mean ms from arrival to reply:"
join -a 2 -e 0 -o 0,1.2,1.3,2.2,2.3 <(awk '{ print $1 ":" $2, $3, $4 }' <<<"$LOOPS0" | sort) \
    <(awk '{ print $1 ":" $2, $3, $4 }' <<<"$LOOPS1" | sort) |
    awk -v w="$WORK_S" -v calls="${TOT[logged]:-0}" '{ split($1, k, ":"); n = $4 - $2; s = $5 - $3
        if (k[2] == "(busy)") busy[k[1]] = s
        else if (k[2] == "(sigs)") sigs[k[1]] = s
        else if (n > 0) cmds[k[1]] = cmds[k[1]] sprintf("  %s %d %.1f", k[2], n, 1000 * s / n) }
        END { for (i in busy) printf "  %-11s %6.1f s %6d µs %5.2f %s  (session signatures checked %d)\n", i, busy[i],
                  (calls > 0 ? busy[i] * 1e6 / calls : 0), (w > 0 ? busy[i] / w : 0), cmds[i], sigs[i] }' | sort
echo
echo "Postgres: $(sql "SELECT pg_size_pretty(pg_database_size(current_database()))") in all; by schema:"
sql "SELECT n.nspname, pg_size_pretty(sum(pg_total_relation_size(c.oid))::bigint) FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm')
     AND n.nspname IN ('intake', 'scheduler', 'calllog', 'complaint', 'reporting')
     GROUP BY 1 ORDER BY sum(pg_total_relation_size(c.oid)) DESC" | sed 's/|/ /; s/^/  /'

DAYCALLS=${TOT[logged]:-0}
echo
printf 'scale: %d branches (%s), %d agents, %d customers; %d calls on day 1\n' "$BRANCHES" \
    "${ZONES[*]}" "$AGENTS" "$LOADED" "$DAYCALLS"
printf '  connected %d, no answer %d, busy %d, wrong number %d, refused %d; orders %d (%d units),\n' \
    "${TOT[connected]}" "${TOT[no_answer]}" "${TOT[busy]}" "${TOT[wrong_number]}" \
    "${TOT[refused]}" "${TOT[orders]}" "${TOT[units]}"
printf '  complaints %d (%d from adverse effects), returns %d\n' "$NCOMPL" "${TOT[adverse]}" "$RETURNED"
printf 'set-up of the chain (huifang branch/product/agent add, %d jobs): %s s\n' "$JOBS" "$T_SETUP"
printf 'lead import: %s s, %.0f customers/s; every consumer caught up after %s s (%.0f/s)\n' \
    "$T_IMPORT" "$(awk -v n="$LOADED" -v t="$T_IMPORT" 'BEGIN { print n / t }')" "$T_LOAD" \
    "$(awk -v n="$LOADED" -v t="$T_LOAD" 'BEGIN { print n / t }')"
printf 'VACUUM (ANALYZE) after the load (NATDAY_VACUUM=%s): %s s\n' "$VACUUM" "$T_VACUUM"
printf 'the day (07:00-23:00, 17 steps): %s s, of which assigning %s s; complaints and returns %s s;\n' \
    "$T_DAYALL" "$ASSIGN_S" "$T_CR"
printf '  every consumer back to lag 0 %s s after the last call\n' "$T_CATCH"
printf 'calls worked: %.0f/s over the day, %.0f/s while the agents worked (%s s; claim + log, %d clients)\n' \
    "$(awk -v n="$DAYCALLS" -v t="$T_DAYALL" 'BEGIN { print n / t }')" \
    "$(awk -v n="$DAYCALLS" -v t="$WORK_S" 'BEGIN { print (t > 0 ? n / t : 0) }')" "$WORK_S" "$CLIENTS"
printf 'load average at the end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'scheduler (%d instances%s): %d assigned, %.0f/s mean over the assigning steps, peak %d/s (of the steps that assigned >= 100)\n' \
    "$SCHED_N" "$( ((SCHED_N == 1)) || { ((SCHED_SPREAD)) && echo ", calllog's asks spread" || echo ", calllog's asks to the first"; })" \
    "$ASSIGNED" "$(awk -v n="$ASSIGNED" -v t="$ASSIGN_S" 'BEGIN { print (t > 0 ? n / t : 0) }')" "$PEAK_RATE"
echo
echo "EXTRAPOLATION to the national size (1,000 branches, 10,000 agents, 10,000,000 customers,"
echo "400,000 calls), linear from the rates measured above — not measured:"
awk -v s="$T_SETUP" -v nb="$BRANCHES" -v na="$AGENTS" -v l="$T_LOAD" -v nc="$LOADED" \
    -v d="$T_DAYALL" -v calls="$DAYCALLS" -v NB=$N_BRANCHES -v NA=$N_AGENTS -v NC=$N_CUSTOMERS \
    -v NCALLS=$N_CALLS 'BEGIN {
        setup = s * (NB + NA) / (nb + na); load = l * NC / nc; day = d * NCALLS / (calls > 0 ? calls : 1)
        printf "  set-up %.0f s, load %.0f s (%.1f h), the day %.0f s (%.1f min)\n", setup, load, load / 3600, day, day / 60 }'
awk -v w="$WORK_S" -v calls="$DAYCALLS" -v NCALLS=$N_CALLS 'BEGIN {
    x = w * NCALLS / (calls > 0 ? calls : 1)
    printf "  the agents'"'"' work alone (%.1f s here, the waits for assignment left out): %.0f s (%.1f min)\n", w, x, x / 60 }'
# the schedulers' settle after each of the 17 clock steps (two tick rounds, ~0.4 s when nothing
# is due) does not grow with the chain: scaled 40 times over at a tenth of it, it adds minutes
awk -v d="$T_DAYALL" -v calls="$DAYCALLS" -v NCALLS=$N_CALLS -v n="$SETTLE_N" -v s="$SETTLE_S" 'BEGIN {
    f = (n > 0 ? s / n : 0) * 17; x = (d - f) * NCALLS / (calls > 0 ? calls : 1) + f
    printf "  the day with the 17 steps'"'"' settle counted once (%.2f s a step when nothing is due, %d such steps): %.0f s (%.1f min)\n", (n > 0 ? s / n : 0), n, x, x / 60 }'
printf 'total run: %s s\n' "$(since "$T_ALL")"
((PROBLEMS == 0)) || hf_fail "$PROBLEMS checks failed (above)"
