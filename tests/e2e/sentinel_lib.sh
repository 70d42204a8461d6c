# shellcheck shell=bash
# tests/e2e/sentinel_lib.sh: a Redis master, a replica and three sentinels (Debian's
# redis-sentinel) on this test's free loopback ports, for the Sentinel tests (036, 037;
# sourced after lib.sh and hf_stack_start, not a test itself). The ports are the offsets of
# the test's slot that no service uses (+3 .. +7); the password is the test Redis's (the
# services read it from HUIFANG_REDIS_PASSWORD_FILE), so the stack needs nothing else but
# HUIFANG_REDIS_SENTINELS and HUIFANG_REDIS_MASTER_NAME. Each process is a child in
# HF_PIDS, stopped by lib.sh's teardown; its log is $HF_E2E_TMP/<name>.log.
#
#   sen_start            master (redis-a, +3), replica (redis-b, +4), sentinels +5..+7
#   sen_master_port      the port the sentinels name as master now
#   sen_kill NAME        kill -9 one of them (redis-a, redis-b, sentinel-1..3)

SEN_MASTER_NAME=huifang

sen_password() {
    if [[ -n ${HUIFANG_REDIS_PASSWORD_FILE:-} ]]; then
        head -n 1 "$HUIFANG_REDIS_PASSWORD_FILE"
    else
        printf '%s\n' "${REDISCLI_AUTH:-}"
    fi
}

# sen_run NAME CMD...: a child in HF_PIDS, its output in NAME's log.
sen_run() {
    local name=$1 fd
    shift
    (
        for fd in "${HF_LOCK_FDS[@]}"; do
            exec {fd}>&-
        done
        exec "$@" </dev/null >>"$HF_E2E_TMP/$name.log" 2>&1
    ) &
    HF_PIDS[$name]=$!
}

sen_redis() {
    local name=$1 port=$2 pw dir=$HF_E2E_TMP/$1
    shift 2
    pw=$(sen_password)
    mkdir -p "$dir"
    local args=(--port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no
        --protected-mode no)
    [[ -z $pw ]] || args+=(--requirepass "$pw" --masterauth "$pw")
    sen_run "$name" redis-server "${args[@]}" "$@"
}

sen_sentinel() {
    local name=$1 port=$2 master=$3 pw conf=$HF_E2E_TMP/$1.conf
    pw=$(sen_password)
    {
        printf 'port %s\nbind 127.0.0.1\nprotected-mode no\ndir %s\n' "$port" "$HF_E2E_TMP"
        printf 'sentinel monitor %s 127.0.0.1 %s 2\n' "$SEN_MASTER_NAME" "$master"
        [[ -z $pw ]] || printf 'sentinel auth-pass %s %s\n' "$SEN_MASTER_NAME" "$pw"
        printf 'sentinel down-after-milliseconds %s 1000\n' "$SEN_MASTER_NAME"
        printf 'sentinel failover-timeout %s 4000\n' "$SEN_MASTER_NAME"
        printf 'sentinel parallel-syncs %s 1\n' "$SEN_MASTER_NAME"
    } >"$conf"
    sen_run "$name" redis-sentinel "$conf"
}

sen_cli() {
    REDISCLI_AUTH=$(sen_password) redis-cli -h 127.0.0.1 --no-auth-warning "$@"
}

sen_master_port() {
    local port
    for port in "${SEN_SENTINEL_PORTS[@]}"; do
        redis-cli -h 127.0.0.1 -p "$port" sentinel get-master-addr-by-name "$SEN_MASTER_NAME" 2>/dev/null |
            sed -n 2p && return 0
    done
    return 1
}

# True when the sentinel on port $1 sees the master with a replica and two other sentinels.
sen_ready() {
    local info
    info=$(redis-cli -h 127.0.0.1 -p "$1" sentinel master "$SEN_MASTER_NAME" 2>/dev/null | paste - - ) || return 1
    [[ $(awk '$1 == "num-slaves" {print $2}' <<<"$info") -ge 1 &&
        $(awk '$1 == "num-other-sentinels" {print $2}' <<<"$info") -ge 2 ]]
}

sen_start() {
    SEN_A=$((HUIFANG_PORT_BASE + 3)) SEN_B=$((HUIFANG_PORT_BASE + 4))
    SEN_SENTINEL_PORTS=($((HUIFANG_PORT_BASE + 5)) $((HUIFANG_PORT_BASE + 6)) $((HUIFANG_PORT_BASE + 7)))
    command -v redis-sentinel >/dev/null || hf_fail "redis-sentinel is not installed (deploy/lib.sh HF_PACKAGES)"
    sen_redis redis-a "$SEN_A"
    sen_redis redis-b "$SEN_B" --replicaof 127.0.0.1 "$SEN_A"
    hf_wait_until 10 bash -c "REDISCLI_AUTH='$(sen_password)' redis-cli -h 127.0.0.1 -p $SEN_B --no-auth-warning info replication | grep -q 'master_link_status:up'"
    local i
    for i in 1 2 3; do
        sen_sentinel "sentinel-$i" "${SEN_SENTINEL_PORTS[i - 1]}" "$SEN_A"
    done
    for i in 0 1 2; do
        hf_wait_until 20 sen_ready "${SEN_SENTINEL_PORTS[i]}"
    done
    export HUIFANG_REDIS_SENTINELS="127.0.0.1:${SEN_SENTINEL_PORTS[0]},127.0.0.1:${SEN_SENTINEL_PORTS[1]},127.0.0.1:${SEN_SENTINEL_PORTS[2]}"
    export HUIFANG_REDIS_MASTER_NAME=$SEN_MASTER_NAME
    # the url: database 0 of whichever Redis the sentinels name (its host is not used)
    export HUIFANG_REDIS_URL=redis://127.0.0.1:1/0
    hf_log "redis master :$SEN_A replica :$SEN_B sentinels ${SEN_SENTINEL_PORTS[*]}"
}

sen_kill() {
    { kill -KILL "${HF_PIDS[$1]}" && wait "${HF_PIDS[$1]}"; } 2>/dev/null || true
    unset "HF_PIDS[$1]"
    printf '=== %s killed\n' "$(date +%T.%3N)" >>"$HF_E2E_TMP/$1.log"
}
