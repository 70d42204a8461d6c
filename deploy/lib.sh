# shellcheck shell=bash
# deploy/lib.sh: functions shared by deploy/local.sh and tests/run.sh. Sourced, never run.
#
# It installs the Debian packages the project needs, builds a tree, and starts and stops a
# private PostgreSQL 15 cluster and a private Redis, each in a folder of the caller's choice
# and listening on loopback only. Every function prints a clear message and returns non-zero
# (or calls hf_die) when something is wrong; callers run with `set -euo pipefail`.

# Everything the build, the local stack, the tests and the benchmarks need (Debian 12 names),
# each with why it is here. A minimal Debian (debootstrap --variant=minbase) has nothing else
# but its Essential set (coreutils, grep, sed, mawk, diffutils, findutils, libc-bin for iconv
# and getconf): tests/fresh-machine.sh proves the list complete. Prefer shell or awk
# arithmetic in scripts to adding a tool (bc is not here on purpose).
HF_PACKAGES=(
    build-essential cmake pkg-config # the C toolchain and the build
    libzmq3-dev                      # the wire: ROUTER/DEALER commands, PUB/SUB events
    libprotobuf-c-dev protobuf-c-compiler # the wire's messages, compiled by CMake
    libpq-dev                        # Postgres, the record store
    libhiredis-dev                   # Redis, the scheduler's due-index
    libjson-c-dev                    # hf_json: the CLI's --json and the event tap
    libcsv-dev                       # hf_csv: lead import
    libssl-dev                       # libcrypto: SHA-256 of intake's row fingerprints
    libsodium-dev                    # sessions: Ed25519 signatures, Argon2id password hashes
    libicu-dev                       # hf_festival: lunar festivals (Mid-Autumn, Spring Festival, ...) from ICU's Chinese calendar
    libmicrohttpd-dev                # HTTP: each service's /metrics, /healthz, /readyz (and the gateway)
    prometheus                       # promtool: e2e/080 checks the metrics, deploy/prometheus config and rules
    curl                             # e2e/080 scrapes /metrics and the health probes
    postgresql                       # the local stack's and the tests' Postgres 15 (initdb, pg_ctl, psql)
    redis-server                     # the local stack's and the tests' Redis (also redis-cli)
    redis-sentinel                   # e2e/036-037: the due-index through Redis Sentinel (failover)
    pgbouncer                        # e2e/038: the services through PgBouncer in transaction mode
    docker-compose                   # e2e/001 validates docker-compose.yml (no engine is needed)
    python3-yaml                     # e2e/001 reads `docker-compose config` and Grafana's provisioning files
    systemd                          # e2e/085: systemd-analyze verify on deploy/systemd/ (no unit is started)
    python3                          # e2e JSON checks and the reporting recomputation
    python3-zmq python3-protobuf protobuf-compiler # e2e/501: an outside consumer of the stream in Python
    tzdata                           # the IANA zones of branches
    iproute2                         # ss: free ports, a service listening
    procps                           # ps, pgrep, kill checks of the services the scripts start
    util-linux                       # flock (test slots), setsid, runuser (Postgres as its user)
    clang libclang-rt-14-dev         # tests/fuzz: libFuzzer harnesses (clang brings libFuzzer; the
                                     # fuzzer/ASan/UBSan runtimes are a package clang only recommends)
    clang-format                     # e2e/009: the code is as .clang-format says
    libmicrohttpd-dev                # huifang-gateway: the HTTP/1.1 server of the web console and its API
    chromium                         # e2e/071: the browser the console's tests drive (playwright-core)
    fonts-wqy-microhei               # Chinese glyphs for that browser (the console's zh-CN screenshots)
    nodejs                           # e2e/071-072: playwright-core and the OpenAPI validator from npm
)
# npm: Debian's package, unless npm is already there (NodeSource's nodejs bundles it, and
# Debian's npm would conflict with that nodejs)
command -v npm >/dev/null 2>&1 || HF_PACKAGES+=(npm)
HF_PG_BIN=${HF_PG_BIN:-/usr/lib/postgresql/15/bin}
# shellcheck disable=SC2034 # used by the scripts that source this file
HF_SERVICES=(intake scheduler calllog complaint reporting)

# ---- messages -------------------------------------------------------------------------------

hf_say() { printf 'huifang: %s\n' "$*"; }
hf_warn() { printf 'huifang: warning: %s\n' "$*" >&2; }
hf_die() {
    printf 'huifang: error: %s\n' "$*" >&2
    exit 1
}

# ---- packages -------------------------------------------------------------------------------

# Prints the packages of the list that are not installed, one per line.
hf_missing_packages() {
    local p
    for p in "$@"; do
        if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != installed ]]; then
            printf '%s\n' "$p"
        fi
    done
}

# Installs whatever of HF_PACKAGES is missing. A warm machine does not touch apt at all.
# Package scripts are kept from starting the distribution's own postgresql and redis-server
# services (we run private instances), through a temporary policy-rc.d.
hf_ensure_packages() {
    command -v dpkg-query >/dev/null 2>&1 || hf_die "dpkg-query not found: these scripts expect Debian 12"
    local missing
    mapfile -t missing < <(hf_missing_packages "${HF_PACKAGES[@]}")
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    if ((EUID != 0)); then
        hf_die "missing packages: ${missing[*]}; install them as root: apt-get install ${missing[*]}"
    fi
    hf_say "installing missing packages: ${missing[*]}"
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        made_policy=1
    fi
    local rc=0
    {
        DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get update -qq &&
            DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq --no-install-recommends \
                "${missing[@]}"
    } || rc=$?
    if ((made_policy)); then
        rm -f "$policy"
    fi
    ((rc == 0)) || hf_die "apt-get could not install: ${missing[*]} (exit $rc)"
    mapfile -t missing < <(hf_missing_packages "${HF_PACKAGES[@]}")
    ((${#missing[@]} == 0)) || hf_die "still missing after apt-get install: ${missing[*]}"
}

# ---- build ----------------------------------------------------------------------------------

# hf_build SRC DIR LOG [cmake -D options...]
# Configures and builds SRC into DIR. LOG "-" streams the output; a file name collects it
# there and, on failure, prints the error lines and the tail. Returns non-zero after a clear message on failure.
hf_build() {
    local src=$1 dir=$2 log=$3
    shift 3
    local jobs=${HF_JOBS:-2}
    if [[ $log != - ]]; then
        mkdir -p "$(dirname "$log")"
        : >"$log"
    fi
    hf_say "building $dir ($*)"
    local step rc=0
    for step in configure build; do
        local cmd
        if [[ $step == configure ]]; then
            cmd=(cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@")
        else
            cmd=(cmake --build "$dir" --parallel "$jobs")
        fi
        if [[ $log == - ]]; then
            "${cmd[@]}" || rc=$?
        else
            "${cmd[@]}" >>"$log" 2>&1 || rc=$?
        fi
        if ((rc != 0)); then
            if [[ $log != - ]]; then
                if grep -qE '(error|Error)[: ]' "$log"; then
                    printf '%s\n' "--- errors in $log ---" >&2
                    grep -E -A4 '(error|Error)[: ]' "$log" | head -n 120 >&2 || true
                fi
                printf '%s\n' "--- last lines of $log ---" >&2
                tail -n 25 "$log" >&2
                printf '%s\n' "---" >&2
            fi
            printf 'huifang: error: BUILD FAILED: %s step for %s (exit %d)%s\n' \
                "$step" "$dir" "$rc" "$([[ $log != - ]] && printf '; full log: %s' "$log")" >&2
            return 1
        fi
    done
    hf_say "built $dir"
}

# ---- ports ----------------------------------------------------------------------------------

# True when something listens on TCP port $1 (any address).
hf_port_in_use() {
    [[ -n "$(ss -ltnH "sport = :$1" 2>/dev/null)" ]]
}

# ---- PostgreSQL -----------------------------------------------------------------------------

# Runs a command as the postgres OS user when we are root (initdb and postgres refuse root);
# as ourselves otherwise.
# Runs from / so that the postgres user is never left in a folder it cannot enter.
hf_as_pg() {
    if ((EUID == 0)); then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# Makes a folder owned by the user that runs postgres.
hf_pg_mkdir() {
    mkdir -p "$1"
    if ((EUID == 0)); then
        chown postgres:postgres "$1"
    fi
    chmod 700 "$1"
}

# True when the postgres user can create files in folder $1 (every parent traversable).
hf_pg_can_use() {
    # shellcheck disable=SC2016 # $1 is expanded by the inner shell
    hf_as_pg sh -c 'test -d "$1" && test -x "$1" && test -w "$1"' sh "$1" 2>/dev/null
}

# hf_pg_init DATA: creates a cluster in DATA (superuser huifang) unless one is there. Over
# TCP every role needs its password (scram-sha-256); the superuser may also come in through
# the unix socket without one (its folder is the cluster owner's only). hf_pg_secure sets the
# superuser's password and writes pg_hba.conf again, for clusters made before this, too.
hf_pg_init() {
    local data=$1
    if [[ -f $data/PG_VERSION ]]; then
        return 0
    fi
    [[ -x $HF_PG_BIN/initdb ]] || hf_die "$HF_PG_BIN/initdb not found (package postgresql-15)"
    hf_pg_mkdir "$data"
    local out
    if ! out=$(hf_as_pg "$HF_PG_BIN/initdb" -D "$data" --auth-local=trust \
        --auth-host=scram-sha-256 -U huifang -E UTF8 \
        --locale=C.UTF-8 --lc-collate=C 2>&1); then
        printf '%s\n' "$out" >&2
        hf_die "initdb failed for $data"
    fi
}

# True when the cluster in DATA is running.
hf_pg_running() {
    [[ -f $1/PG_VERSION ]] && hf_as_pg "$HF_PG_BIN/pg_ctl" -D "$1" status >/dev/null 2>&1
}

# hf_pg_start DATA PORT SOCKDIR LOGFILE [extra postgres -c settings...]
# Starts the cluster listening on 127.0.0.1:PORT only, with its unix socket in SOCKDIR.
hf_pg_start() {
    local data=$1 port=$2 sock=$3 log=$4
    shift 4
    if hf_pg_running "$data"; then
        return 0
    fi
    if hf_port_in_use "$port"; then
        hf_die "port $port is taken by another process (see: ss -ltnp 'sport = :$port'); cannot start PostgreSQL there"
    fi
    hf_pg_mkdir "$sock"
    if [[ ! -e $log ]] && ((EUID == 0)); then
        install -o postgres -g postgres -m 600 /dev/null "$log"
    fi
    # pg_ctl hands -o to /bin/sh: quote the path.
    local opts="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$sock'"
    opts+=" -c password_encryption=scram-sha-256"
    local o
    for o in "$@"; do
        opts+=" -c $o"
    done
    if ! hf_as_pg "$HF_PG_BIN/pg_ctl" -D "$data" -l "$log" -w -t 60 -o "$opts" start >/dev/null; then
        printf '%s\n' "--- last lines of $log ---" >&2
        tail -n 30 "$log" >&2 || true
        hf_die "PostgreSQL did not start (data $data, port $port)"
    fi
}

# hf_pg_stop DATA: fast shutdown, quietly; returns 0 when it is not running.
hf_pg_stop() {
    if hf_pg_running "$1"; then
        hf_as_pg "$HF_PG_BIN/pg_ctl" -D "$1" -m fast -w -t 60 stop >/dev/null 2>&1 ||
            hf_as_pg "$HF_PG_BIN/pg_ctl" -D "$1" -m immediate -w -t 30 stop >/dev/null 2>&1
    fi
}

# hf_psql PORT DB SQL: runs SQL as the superuser huifang; prints tuples only. It goes through
# the unix socket in HF_PG_SOCK when the caller set it (no password needed there), else over
# loopback (a password from PGPASSFILE).
hf_psql() {
    PGOPTIONS='-c client_min_messages=warning' "$HF_PG_BIN/psql" -X -q -t -A -v ON_ERROR_STOP=1 \
        -h "${HF_PG_SOCK:-127.0.0.1}" -p "$1" -U huifang -d "$2" -c "$3"
}

# hf_psql_file PORT DB FILE [psql -v settings...]: runs an SQL file as huifang (as hf_psql).
hf_psql_file() {
    local port=$1 db=$2 file=$3
    shift 3
    PGOPTIONS='-c client_min_messages=warning' "$HF_PG_BIN/psql" -X -q -t -A -v ON_ERROR_STOP=1 \
        -h "${HF_PG_SOCK:-127.0.0.1}" -p "$port" -U huifang -d "$db" "$@" -f "$file"
}

# ---- secrets --------------------------------------------------------------------------------
# Passwords live in files of a secrets folder (mode 0700), one per secret, mode 0600, made once
# with random content and kept: the services read them through HUIFANG_*_FILE settings, psql
# through backquotes in deploy/sql/roles.sql, redis-server through a config file. None is ever
# put on a command line.
#
#   pg_superuser.password         the cluster's superuser huifang (TCP; see pgpass)
#   pg_huifang_<service>.password each service's login role
#   redis.password                Redis's requirepass (redis.conf holds the line)
#   pgpass                        for PGPASSFILE: the superuser over 127.0.0.1:<port>
HF_SQL_DIR=${HF_SQL_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/sql}

# hf_secret_make FILE: a random password (48 hex digits) in FILE unless it holds one; 0600.
hf_secret_make() {
    local file=$1
    if [[ ! -s $file ]]; then
        (
            umask 077
            od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$file.tmp"
            printf '\n' >>"$file.tmp"
            mv -f "$file.tmp" "$file"
        )
    fi
    chmod 600 "$file"
}

# hf_secrets_ensure DIR: the folder and every password file in it (see above).
hf_secrets_ensure() {
    local dir=$1 svc
    mkdir -p "$dir"
    chmod 700 "$dir"
    hf_secret_make "$dir/pg_superuser.password"
    hf_secret_make "$dir/redis.password"
    for svc in "${HF_SERVICES[@]}"; do
        hf_secret_make "$dir/pg_huifang_$svc.password"
    done
    (
        umask 077
        printf 'requirepass %s\n' "$(<"$dir/redis.password")" >"$dir/redis.conf"
    )
    chmod 600 "$dir/redis.conf"
}

# hf_pgpass_write DIR PORT: DIR/pgpass for PGPASSFILE, the superuser's password on 127.0.0.1:PORT.
hf_pgpass_write() {
    (
        umask 077
        printf '127.0.0.1:%s:*:huifang:%s\n' "$2" "$(<"$1/pg_superuser.password")" >"$1/pgpass"
    )
    chmod 600 "$1/pgpass"
}

# hf_pg_secure DATA SOCKDIR PORT SECRETS: on a running cluster, gives the superuser its
# password (from SECRETS) through the socket, and writes pg_hba.conf: the superuser through the
# unix socket without a password (the socket's folder is the cluster owner's only), every
# other role through the socket or over loopback TCP with scram-sha-256 (its password, the
# same either way), nothing else. Reloads the configuration. Also for
# clusters made before the stores had passwords (they trusted everyone).
hf_pg_secure() {
    local data=$1 sock=$2 port=$3 secrets=$4
    "$HF_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$port" -U huifang -d postgres \
        -v secrets="$secrets" >/dev/null <<'SQL' || hf_die "could not set the superuser's password (socket $sock)"
SET password_encryption = 'scram-sha-256';
\set pw `cat :'secrets'/pg_superuser.password`
ALTER ROLE huifang PASSWORD :'pw';
SQL
    local hba
    hba=$(
        cat <<'HBA'
# Written by deploy/lib.sh (hf_pg_secure); rewritten on every start.
# TYPE  DATABASE  USER     ADDRESS        METHOD
local   all       huifang                 trust
local   all       all                     scram-sha-256
host    all       all      127.0.0.1/32   scram-sha-256
host    all       all      ::1/128        scram-sha-256
HBA
    )
    # shellcheck disable=SC2016 # $1 is expanded by the inner shell
    printf '%s\n' "$hba" | hf_as_pg sh -c 'cat >"$1.tmp" && chmod 600 "$1.tmp" && mv -f "$1.tmp" "$1"' sh "$data/pg_hba.conf" ||
        hf_die "could not write $data/pg_hba.conf"
    hf_as_pg "$HF_PG_BIN/pg_ctl" -D "$data" reload >/dev/null || hf_die "pg_ctl reload failed for $data"
}

# hf_pg_bootstrap_roles PORT SECRETS: the service roles and their passwords (deploy/sql/roles.sql).
hf_pg_bootstrap_roles() {
    hf_psql_file "$1" postgres "$HF_SQL_DIR/roles.sql" -v secrets="$2" >/dev/null ||
        hf_die "deploy/sql/roles.sql failed on port $1"
}

# hf_pg_bootstrap_db PORT DB: the service schemas, their owners and audit.access in database
# DB (deploy/sql/database.sql); also hands an older database's tables to the service roles.
hf_pg_bootstrap_db() {
    hf_psql_file "$1" "$2" "$HF_SQL_DIR/database.sql" >/dev/null ||
        hf_die "deploy/sql/database.sql failed on database $2"
}

# hf_pg_ensure_db PORT NAME: creates database NAME unless it exists.
hf_pg_ensure_db() {
    local port=$1 name=$2
    if [[ "$(hf_psql "$port" postgres "SELECT 1 FROM pg_database WHERE datname = '$name'")" != 1 ]]; then
        hf_psql "$port" postgres "CREATE DATABASE \"$name\"" >/dev/null
    fi
}

# hf_pg_recreate_db PORT NAME: drops (closing its connections) and creates database NAME.
hf_pg_recreate_db() {
    hf_psql "$1" postgres "DROP DATABASE IF EXISTS \"$2\" WITH (FORCE)" >/dev/null
    hf_psql "$1" postgres "CREATE DATABASE \"$2\"" >/dev/null
}

# ---- Redis ----------------------------------------------------------------------------------

# True when a Redis answers PING on 127.0.0.1:$1.
hf_redis_running() {
    [[ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" == PONG ]]
}

# hf_redis_start DIR PORT PIDFILE LOGFILE APPENDONLY(yes|no) [CONF]
# Starts a daemonised Redis on 127.0.0.1:PORT keeping its files in DIR; no RDB snapshots.
# CONF (the secrets folder's redis.conf) gives it its password (requirepass), off the command
# line; redis-cli here then needs REDISCLI_AUTH in the environment.
hf_redis_start() {
    local dir=$1 port=$2 pidfile=$3 log=$4 aof=$5 conf=${6:-}
    local first=()
    [[ -n $conf ]] && first=("$conf")
    if hf_redis_running "$port"; then
        return 0
    fi
    if hf_port_in_use "$port"; then
        hf_die "port $port is taken by another process (see: ss -ltnp 'sport = :$port'); cannot start Redis there"
    fi
    mkdir -p "$dir"
    redis-server "${first[@]}" --port "$port" --bind 127.0.0.1 --protected-mode yes --dir "$dir" \
        --daemonize yes --pidfile "$pidfile" --logfile "$log" \
        --appendonly "$aof" --save '' >/dev/null ||
        hf_die "redis-server did not start (port $port); see $log"
    local i
    for ((i = 0; i < 100; i++)); do
        hf_redis_running "$port" && return 0
        sleep 0.1
    done
    tail -n 20 "$log" >&2 || true
    hf_die "Redis did not answer PING on port $port within 10 s; see $log"
}

# hf_redis_stop PORT PIDFILE [save|nosave|""]: shuts Redis down ("": plain SHUTDOWN, which
# flushes the append-only file) and waits for the process to end.
hf_redis_stop() {
    local port=$1 pidfile=$2 how=${3-nosave}
    local pid="" args=(shutdown)
    [[ -n $how ]] && args+=("$how")
    [[ -f $pidfile ]] && pid=$(<"$pidfile")
    if hf_redis_running "$port"; then
        redis-cli -h 127.0.0.1 -p "$port" "${args[@]}" >/dev/null 2>&1 || true
    fi
    if [[ -n $pid ]]; then
        hf_wait_pid_gone "$pid" 10 || { kill -KILL "$pid" 2>/dev/null || true; }
    fi
    rm -f "$pidfile"
}

# ---- processes ------------------------------------------------------------------------------

# True when process $1 exists and is not a zombie.
hf_pid_alive() {
    local pid=$1 state
    [[ -n $pid && -r /proc/$pid/stat ]] || return 1
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
    [[ -n $state && $state != Z && $state != X ]]
}

# hf_wait_pid_gone PID SECONDS: waits for a process (not necessarily our child) to end.
hf_wait_pid_gone() {
    local pid=$1 i n=$(($2 * 10))
    for ((i = 0; i < n; i++)); do
        hf_pid_alive "$pid" || return 0
        sleep 0.1
    done
    ! hf_pid_alive "$pid"
}

# True when process $1 is alive and its command line contains $2 (guards against reused pids).
hf_pid_is() {
    hf_pid_alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# Command-port offset of a service from HUIFANG_PORT_BASE (events are one above).
hf_service_offset() {
    case $1 in
    intake) echo 1 ;;
    scheduler) echo 11 ;;
    calllog) echo 21 ;;
    complaint) echo 31 ;;
    reporting) echo 41 ;;
    *) return 1 ;;
    esac
}
