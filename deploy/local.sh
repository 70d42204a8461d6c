#!/usr/bin/env bash
# deploy/local.sh: the whole Huifang stack on this machine, for a developer or a demo.
#
#   deploy/local.sh up       install what is missing, build, start Postgres, Redis, the five
#                            services and the web console's gateway, load a small demo branch,
#                            print how to use it (the console's URL and the demo logins)
#   deploy/local.sh status   what runs, and `huifang ping`
#   deploy/local.sh down     stop everything that `up` started (data is kept in .local/)
#
# Everything lives in .local/ at the repository root (git-ignored): Postgres data, Redis's
# append-only file, logs and pidfiles. Redis runs with appendonly yes, so due-queues survive
# a down/up. Run as root on a fresh Debian 12 machine, or as a user once the packages are in.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=deploy/lib.sh
source "$ROOT/deploy/lib.sh"

LOCAL=$ROOT/.local
BUILD=$ROOT/build
BIN=$BUILD/bin
LOGDIR=$LOCAL/log
RUNDIR=$LOCAL/run
SECRETS=$LOCAL/secrets
REDISDIR=$LOCAL/redis
PG_LOCATION_FILE=$LOCAL/pg.location
PG_PORT=${HF_LOCAL_PG_PORT:-15432}
REDIS_PORT=${HF_LOCAL_REDIS_PORT:-16379}
DEMO_BRANCH=BJ01
# the web console (huifang-gateway): plain HTTP on the loopback by default
GATEWAY_BIND=${HUIFANG_GATEWAY_BIND:-127.0.0.1:8080}
export HUIFANG_GATEWAY_BIND=$GATEWAY_BIND

# Each service connects as its own role, its password read from a file; Redis's password
# likewise (deploy/lib.sh hf_secrets_ensure makes the files, mode 0600, once). The services
# reach PostgreSQL through its Unix socket (store_urls, once `up` knows the socket's folder):
# on one host that costs its backends less CPU than TCP loopback (README, "Deployment").
export HUIFANG_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export HUIFANG_REDIS_PASSWORD_FILE=$SECRETS/redis.password
for _svc in "${HF_SERVICES[@]}"; do
    export "HUIFANG_${_svc^^}_STORE_URL=postgresql://huifang_$_svc@127.0.0.1:$PG_PORT/huifang"
    export "HUIFANG_${_svc^^}_STORE_PASSWORD_FILE=$SECRETS/pg_huifang_$_svc.password"
done
unset _svc

# store_urls SOCKDIR: each service's store URL through the socket in SOCKDIR, as its role
# (scram-sha-256 with its password there as over TCP: deploy/lib.sh hf_pg_secure).
store_urls() {
    local svc
    for svc in "${HF_SERVICES[@]}"; do
        export "HUIFANG_${svc^^}_STORE_URL=postgresql://huifang_$svc@/huifang?host=$1&port=$PG_PORT"
    done
}
# This script's own psql (the superuser, through the socket or with PGPASSFILE) and redis-cli.
export PGPASSFILE=$SECRETS/pgpass
if [[ -r $SECRETS/redis.password ]]; then
    REDISCLI_AUTH=$(<"$SECRETS/redis.password")
    export REDISCLI_AUTH
fi
# The local stack's CURVE keys (see README "Keys"): one keypair per service and one for the
# CLI, made once by `up` and reused; the services and the CLI read the same folder.
KEYS=$LOCAL/keys
export HUIFANG_KEYS_DIR=$KEYS

usage() {
    cat <<EOF
Usage: deploy/local.sh up [--no-demo] | status | down | --help

  up       Install missing Debian packages, build into build/, start PostgreSQL
           (127.0.0.1:$PG_PORT) and Redis (127.0.0.1:$REDIS_PORT) with their data in .local/,
           start the five services in the background, wait for \`huifang ping\`, start the
           web console's gateway on $GATEWAY_BIND (HUIFANG_GATEWAY_BIND), load the
           demo branch $DEMO_BRANCH (skip with --no-demo; loading twice adds nothing), and
           print how to use the stack. When everything already runs, it says so and
           changes nothing.
  status   Show PostgreSQL, Redis and each service, then \`huifang ping\`. Exit 0 when all up.
  down     SIGTERM the services (SIGKILL after 15 s), shut Redis down (its append-only file
           keeps the queues), stop PostgreSQL (fast). Data stays in .local/.

Environment passed through to the services: HUIFANG_CLOCK (real|manual), HUIFANG_CLOCK_FILE,
HUIFANG_PORT_BASE, HUIFANG_LOG_LEVEL, HUIFANG_STORE_WAIT_MS.
Passwords: .local/secrets/ (mode 0700; files 0600, made once): the PostgreSQL superuser's,
one per service role (huifang_<service>) and Redis's. Each service connects as its own role
(deploy/sql/roles.sql, database.sql; an older .local/ is migrated by \`up\`). The CURVE keys
of the services and of the CLI are made once in .local/keys (HUIFANG_KEYS_DIR) and reused; the
session signing key and the first admin's password once in .local/secrets.
Service logs: .local/log/<service>.log; pidfiles: .local/run/<service>.pid.
EOF
}

# ---- PostgreSQL location --------------------------------------------------------------------
# The data folder must be reachable by the postgres OS user. .local/pg is used when every
# parent folder lets that user through; otherwise /tmp/huifang-<hash of the repo path>/pg. The
# choice is recorded in .local/pg.location so that status and down find it again.

pg_root() {
    [[ -f $PG_LOCATION_FILE ]] && cat "$PG_LOCATION_FILE"
}

choose_pg_root() {
    local root
    if root=$(pg_root) && [[ -n $root ]]; then
        printf '%s\n' "$root"
        return 0
    fi
    root=$LOCAL/pg
    local sock_path="$root/sock/.s.PGSQL.$PG_PORT"
    hf_pg_mkdir "$root"
    if ((${#sock_path} > 100)) || ! hf_pg_can_use "$root"; then
        rmdir "$root" 2>/dev/null || true
        local hash
        hash=$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)
        mkdir -p "/tmp/huifang-$hash"
        chmod 755 "/tmp/huifang-$hash"
        root=/tmp/huifang-$hash/pg
        hf_pg_mkdir "$root"
        hf_warn "the postgres user cannot reach $LOCAL (a parent folder is not traversable, or the socket path is too long): PostgreSQL data goes to $root instead" >&2
    fi
    printf '%s\n' "$root" >"$PG_LOCATION_FILE"
    printf '%s\n' "$root"
}

# ---- pieces ---------------------------------------------------------------------------------

service_pid() {
    local f=$RUNDIR/$1.pid pid
    [[ -f $f ]] || return 1
    pid=$(<"$f")
    hf_pid_is "$pid" "huifang-$1" || return 1
    printf '%s\n' "$pid"
}

pg_is_up() {
    local root
    root=$(pg_root) && [[ -n $root ]] && hf_pg_running "$root/data"
}

all_up() {
    local svc
    pg_is_up || return 1
    hf_redis_running "$REDIS_PORT" || return 1
    for svc in "${HF_SERVICES[@]}" gateway; do
        service_pid "$svc" >/dev/null || return 1
    done
}

start_service() {
    local svc=$1 pid
    if pid=$(service_pid "$svc"); then
        hf_say "$svc already running (pid $pid)"
        return 0
    fi
    [[ -x $BIN/huifang-$svc ]] || hf_die "$BIN/huifang-$svc was not built (is services/$svc/main.c there?)"
    printf '=== %s start %s clock=%s\n' "$(date -Is)" "$svc" "${HUIFANG_CLOCK:-real}" >>"$LOGDIR/$svc.log"
    # setsid: the service outlives this script and the terminal it ran in.
    setsid "$BIN/huifang-$svc" </dev/null >>"$LOGDIR/$svc.log" 2>&1 &
    pid=$!
    printf '%s\n' "$pid" >"$RUNDIR/$svc.pid"
    hf_say "started $svc (pid $pid, log .local/log/$svc.log)"
}

# show_log_tails [SERVICE...]: the last lines of their logs (all five by default).
show_log_tails() {
    local svc list=("$@")
    ((${#list[@]})) || list=("${HF_SERVICES[@]}")
    for svc in "${list[@]}"; do
        if [[ -f $LOGDIR/$svc.log ]]; then
            printf -- '--- last lines of .local/log/%s.log ---\n' "$svc" >&2
            tail -n 15 "$LOGDIR/$svc.log" >&2
        fi
    done
}

# Starts the gateway and waits until it listens; dies with its log when it does not.
start_gateway() {
    start_service gateway
    local port=${GATEWAY_BIND##*:} deadline=$((SECONDS + ${HF_LOCAL_WAIT_S:-30}))
    until hf_port_in_use "$port"; do
        if ! service_pid gateway >/dev/null; then
            show_log_tails gateway
            hf_die "huifang-gateway exited during start-up (see .local/log/gateway.log above; is $GATEWAY_BIND taken? set HUIFANG_GATEWAY_BIND)"
        fi
        ((SECONDS < deadline)) || hf_die "huifang-gateway did not listen on $GATEWAY_BIND within ${HF_LOCAL_WAIT_S:-30} s"
        sleep 0.2
    done
}

wait_for_ping() {
    local deadline=$((SECONDS + ${HF_LOCAL_WAIT_S:-30})) svc
    while :; do
        if "$BIN/huifang" ping >/dev/null 2>&1; then
            return 0
        fi
        for svc in "${HF_SERVICES[@]}"; do
            if ! service_pid "$svc" >/dev/null; then
                show_log_tails "$svc"
                hf_die "huifang-$svc exited during start-up (see .local/log/$svc.log above); the rest is still running: deploy/local.sh down stops it"
            fi
        done
        if ((SECONDS >= deadline)); then
            "$BIN/huifang" ping >&2 || true
            show_log_tails
            hf_die "the services did not all answer \`huifang ping\` within ${HF_LOCAL_WAIT_S:-30} s; the stack is left running for a look: deploy/local.sh down stops it"
        fi
        sleep 0.5
    done
}

# ---- demo data ------------------------------------------------------------------------------
# Each step tolerates "already there" (exit 4, conflict), so `up` can run any number of times.

# The demo is loaded as the admin, with a short session signed by the stack's own key.
cli() { HUIFANG_TOKEN=$DEMO_TOKEN "$BIN/huifang" --branch "$DEMO_BRANCH" "$@"; }

# ---- sessions -------------------------------------------------------------------------------

# The session signing key pair and the first admin's password, made once in .local/secrets
# (0700; the key and the password 0600) and kept across `up`s and `down`s.
prepare_secrets() {
    mkdir -p "$SECRETS"
    chmod 700 "$SECRETS"
    if [[ ! -f $SECRETS/session.key ]]; then
        "$BIN/huifang" session keygen --dir "$SECRETS" >/dev/null || hf_die "could not make the session signing key"
        hf_say "made the session signing key (.local/secrets/session.key)"
    fi
    if [[ ! -f $SECRETS/admin.password ]]; then
        (umask 077 && head -c 12 /dev/urandom | base64 | tr -d '/+=\n' >"$SECRETS/admin.password")
        hf_say "made the first admin's password (.local/secrets/admin.password)"
    fi
    export HUIFANG_SESSION_KEY_FILE=$SECRETS/session.key
    export HUIFANG_SESSION_PUBLIC_KEY_FILE=$SECRETS/session.pub
    export HUIFANG_ADMIN_PASSWORD_FILE=$SECRETS/admin.password
}

# demo_person LOGIN ROLE: the demo person's account, password demo-LOGIN (for trying only)
demo_person() {
    local login=$1 role=$2 rc=0 err
    err=$(printf 'demo-%s\n' "$login" | cli user add "$login" --role "$role" --password-stdin 2>&1 >/dev/null) || rc=$?
    case $rc in
    0) hf_say "demo: added the account of $login ($role)" ;;
    4) hf_say "demo: the account of $login already there" ;;
    *)
        printf '%s\n' "$err" >&2
        hf_die "demo: adding the account of $login failed (exit $rc)"
        ;;
    esac
}

demo_step() {
    local what=$1 rc=0 err
    shift
    err=$(cli "$@" 2>&1 >/dev/null) || rc=$?
    case $rc in
    0) hf_say "demo: added $what" ;;
    4) hf_say "demo: $what already there" ;;
    *)
        printf '%s\n' "$err" >&2
        hf_die "demo: adding $what failed (exit $rc): huifang --branch $DEMO_BRANCH $*"
        ;;
    esac
}

# demo_lead NAME PHONE CHANNEL REGION [PRODUCT]: adds the lead (and a purchase) unless the
# phone is already a customer.
demo_lead() {
    local name=$1 phone=$2 channel=$3 region=$4 product=${5:-} rc=0 out err
    cli customer find "$phone" >/dev/null 2>&1 || rc=$?
    if ((rc == 0)); then
        hf_say "demo: customer $name already there"
        return 0
    fi
    ((rc == 3)) || hf_die "demo: huifang customer find $phone failed (exit $rc)"
    rc=0
    local errfile
    errfile=$(mktemp)
    out=$(cli --json lead add --name "$name" --phone "$phone" --channel "$channel" \
        --region "$region" 2>"$errfile") || rc=$?
    err=$(<"$errfile")
    rm -f "$errfile"
    if ((rc != 0)); then
        printf '%s\n' "$err" >&2
        hf_die "demo: adding lead $name failed (exit $rc)"
    fi
    local id
    id=$(printf '%s\n' "$out" | python3 -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if line:
        print(json.loads(line)["customer"]["id"])
        break
') || hf_die "demo: could not read customer.id from: $out"
    hf_say "demo: added lead $name (customer $id)"
    if [[ -n $product ]]; then
        demo_step "purchase of $product by $name" purchase add --customer "$id" --product "$product" --quantity 1
    fi
}

load_demo() {
    demo_step "branch $DEMO_BRANCH" branch add "$DEMO_BRANCH" --name 'Beijing Chaoyang' \
        --tz Asia/Shanghai --windows 09:00-12:00,14:00-20:00
    demo_step "agent A001" agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 40
    demo_step "agent A002" agent add A002 --name 'Zhang Wei' --role phone --regions haidian --daily-calls 40
    demo_step "manager M001" agent add M001 --name 'Zhao Min' --role manager --regions chaoyang,haidian
    demo_person A001 phone
    demo_person A002 phone
    demo_person M001 manager
    demo_step "product VC30" product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 \
        --plan monthly-course
    demo_lead 'Wang Fang' 13812345678 counter chaoyang VC30
    demo_lead 'Liu Yang' 13987654321 consult haidian
}

print_howto() {
    local clock=real clock_file=""
    [[ -f $RUNDIR/env ]] && clock=$(sed -n 's/^clock=//p' "$RUNDIR/env")
    [[ -f $RUNDIR/env ]] && clock_file=$(sed -n 's/^clock_file=//p' "$RUNDIR/env")
    cat <<EOF

Huifang runs locally (clock: $clock).

The web console: http://$GATEWAY_BIND/
  agents A001 / demo-A001, A002 / demo-A002; manager M001 / demo-M001

Or the CLI:

  export PATH="$BIN:\$PATH"
  export HUIFANG_BRANCH=$DEMO_BRANCH
  export HUIFANG_KEYS_DIR=$KEYS    # the CLI's CURVE key (cli) and the services' .pub
  huifang login A001                 # password demo-A001 (A002: demo-A002, manager M001: demo-M001)
  huifang whoami
  huifang ping
  huifang customer find 13812345678
  huifang worklist --agent A001
  huifang task next --agent A001
  huifang plan list
  huifang events tail --from-seq 1 --no-follow
EOF
    if [[ $clock == manual ]]; then
        cat <<EOF
  HUIFANG_CLOCK_FILE=$clock_file huifang clock advance 1d    # the manual clock
EOF
    fi
    cat <<EOF

Sign in as the admin: huifang login admin (password: cat $SECRETS/admin.password);
the admin adds people: huifang user add LOGIN --role ROLE --branches $DEMO_BRANCH.
Sign out: huifang logout. Sessions last 8 hours.

Logs:     $LOGDIR/<service>.log (PostgreSQL: $LOGDIR/postgres.log, Redis: $LOGDIR/redis.log)
Store:    PGPASSFILE=$SECRETS/pgpass psql postgresql://huifang@127.0.0.1:$PG_PORT/huifang
Queues:   REDISCLI_AUTH=\$(cat $SECRETS/redis.password) redis-cli -p $REDIS_PORT
Metrics:  curl -s 127.0.0.1:$((${HUIFANG_PORT_BASE:-7100} + 9))/metrics (intake; scheduler +19, calllog +29,
          complaint +39, reporting +49; /healthz, /readyz; README: Operations)
Secrets:  $SECRETS (passwords, mode 0600)
Status:   deploy/local.sh status
Stop:     deploy/local.sh down
EOF
}

# ---- keys -----------------------------------------------------------------------------------

# Makes the keypairs the folder lacks (a service's or the CLI's); never replaces one.
ensure_keys() {
    local name made=()
    for name in "${HF_SERVICES[@]}" cli gateway; do
        [[ -f $KEYS/$name.key && -f $KEYS/$name.pub ]] && continue
        rm -f "$KEYS/$name.key" "$KEYS/$name.pub"  # half a pair is no pair
        "$BIN/huifang" keys gen --dir "$KEYS" "$name" >/dev/null ||
            hf_die "could not make the CURVE key of $name in $KEYS"
        made+=("$name")
    done
    ((${#made[@]} == 0)) || hf_say "CURVE keys made in $KEYS for: ${made[*]}"
}

# ---- commands -------------------------------------------------------------------------------

cmd_up() {
    local demo=1 arg
    for arg in "$@"; do
        case $arg in
        --no-demo) demo=0 ;;
        *) hf_die "up: unknown option $arg (see --help)" ;;
        esac
    done

    if all_up; then
        local was
        was=$(sed -n 's/^clock=//p' "$RUNDIR/env" 2>/dev/null || true)
        hf_say "already up: PostgreSQL, Redis, the five services and the gateway are running; nothing restarted"
        if [[ -n $was && $was != "${HUIFANG_CLOCK:-real}" ]]; then
            hf_warn "the services run with HUIFANG_CLOCK=$was, not ${HUIFANG_CLOCK:-real}: deploy/local.sh down, then up, to change it"
        fi
        print_howto
        return 0
    fi

    hf_ensure_packages
    mkdir -p "$LOGDIR" "$RUNDIR" "$REDISDIR"
    chmod 755 "$LOCAL"

    hf_build "$ROOT" "$BUILD" "$LOGDIR/build.log" -DHF_WERROR=ON ||
        hf_die "stopping: fix the build (log: $LOGDIR/build.log), then run deploy/local.sh up again"
    [[ -x $BIN/huifang ]] || hf_die "$BIN/huifang (the CLI) was not built"
    ensure_keys

    hf_secrets_ensure "$SECRETS"
    hf_pgpass_write "$SECRETS" "$PG_PORT"
    REDISCLI_AUTH=$(<"$SECRETS/redis.password")
    export REDISCLI_AUTH

    local root
    root=$(choose_pg_root)
    hf_pg_init "$root/data"
    if pg_is_up; then
        hf_say "PostgreSQL already running on 127.0.0.1:$PG_PORT"
    else
        hf_pg_start "$root/data" "$PG_PORT" "$root/sock" "$root/postgres.log"
        hf_say "PostgreSQL started on 127.0.0.1:$PG_PORT (data $root/data)"
    fi
    ln -sfn "$root/postgres.log" "$LOGDIR/postgres.log"
    # The superuser through the socket; scram-sha-256 over TCP; the service roles, their
    # schemas and audit.access (also the migration of a .local/ from before the roles).
    HF_PG_SOCK=$root/sock
    hf_pg_secure "$root/data" "$root/sock" "$PG_PORT" "$SECRETS"
    store_urls "$root/sock"
    hf_pg_ensure_db "$PG_PORT" huifang
    hf_pg_bootstrap_roles "$PG_PORT" "$SECRETS"
    hf_pg_bootstrap_db "$PG_PORT" huifang
    hf_say "PostgreSQL: service roles huifang_<service> own their schemas (passwords in .local/secrets)"

    if [[ "$(env -u REDISCLI_AUTH redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; then
        # A Redis from before the password (up from an older .local/): give it the password
        # now (through stdin, not argv); its next start reads it from the config file.
        printf '%s' "$REDISCLI_AUTH" | env -u REDISCLI_AUTH redis-cli -h 127.0.0.1 -p "$REDIS_PORT" \
            -x config set requirepass >/dev/null 2>&1 ||
            hf_die "could not give the running Redis on port $REDIS_PORT its password"
        hf_say "Redis already running on 127.0.0.1:$REDIS_PORT: password set"
    elif hf_redis_running "$REDIS_PORT"; then
        hf_say "Redis already running on 127.0.0.1:$REDIS_PORT"
    else
        hf_redis_start "$REDISDIR" "$REDIS_PORT" "$RUNDIR/redis.pid" "$LOGDIR/redis.log" yes \
            "$SECRETS/redis.conf"
        hf_say "Redis started on 127.0.0.1:$REDIS_PORT (append-only file in .local/redis, password in .local/secrets)"
    fi

    prepare_secrets
    local svc running=0
    for svc in "${HF_SERVICES[@]}"; do
        service_pid "$svc" >/dev/null && running=1
    done
    if ((running == 0)); then
        # The environment of this start, for status and for a later `up`.
        printf 'clock=%s\nclock_file=%s\nport_base=%s\nstarted=%s\n' "${HUIFANG_CLOCK:-real}" \
            "${HUIFANG_CLOCK_FILE:-/tmp/huifang.clock}" "${HUIFANG_PORT_BASE:-7100}" \
            "$(date -Is)" >"$RUNDIR/env"
    fi
    for svc in "${HF_SERVICES[@]}"; do
        start_service "$svc"
    done
    wait_for_ping
    hf_say "all five services answer huifang ping"
    start_gateway
    hf_say "the web console listens on http://$GATEWAY_BIND/"

    if ((demo)); then
        DEMO_TOKEN=$("$BIN/huifang" session mint --key "$SECRETS/session.key" --login admin \
            --role admin --ttl-ms 600000) || hf_die "could not sign the demo's session"
        load_demo
    fi
    print_howto
}

cmd_status() {
    local ok=0 root pid svc
    root=$(pg_root || true)
    if pg_is_up; then
        printf '%-10s running  127.0.0.1:%s  data %s\n' postgres "$PG_PORT" "$root/data"
    else
        printf '%-10s stopped\n' postgres
        ok=1
    fi
    if hf_redis_running "$REDIS_PORT"; then
        printf '%-10s running  127.0.0.1:%s  dir %s\n' redis "$REDIS_PORT" "$REDISDIR"
    else
        printf '%-10s stopped\n' redis
        ok=1
    fi
    for svc in "${HF_SERVICES[@]}" gateway; do
        if pid=$(service_pid "$svc"); then
            printf '%-10s running  pid %s  log .local/log/%s.log\n' "$svc" "$pid" "$svc"
        else
            printf '%-10s stopped\n' "$svc"
            ok=1
        fi
    done
    if [[ -f $RUNDIR/env ]]; then
        printf 'last started with: %s\n' "$(tr '\n' ' ' <"$RUNDIR/env")"
    fi
    if [[ -x $BIN/huifang ]]; then
        printf '\n$ huifang ping\n'
        "$BIN/huifang" ping || ok=1
    else
        printf '\n(%s not built)\n' "$BIN/huifang"
        ok=1
    fi
    return "$ok"
}

cmd_down() {
    local svc pid pids=() names=()
    for svc in gateway "${HF_SERVICES[@]}"; do
        if pid=$(service_pid "$svc"); then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
            names+=("$svc")
        fi
    done
    local i deadline=$((SECONDS + 15))
    for i in "${!pids[@]}"; do
        local left=$((deadline - SECONDS))
        ((left < 1)) && left=1
        if hf_wait_pid_gone "${pids[$i]}" "$left"; then
            hf_say "stopped ${names[$i]}"
        else
            kill -KILL "${pids[$i]}" 2>/dev/null || true
            hf_warn "${names[$i]} (pid ${pids[$i]}) ignored SIGTERM for 15 s: killed"
        fi
    done
    for svc in gateway "${HF_SERVICES[@]}"; do
        rm -f "$RUNDIR/$svc.pid"
    done

    if hf_redis_running "$REDIS_PORT"; then
        # Plain SHUTDOWN: the append-only file is flushed, so queues come back with `up`.
        hf_redis_stop "$REDIS_PORT" "$RUNDIR/redis.pid" ""
        hf_say "stopped Redis"
    fi
    local root
    if root=$(pg_root) && [[ -n $root ]] && hf_pg_running "$root/data"; then
        hf_pg_stop "$root/data"
        hf_say "stopped PostgreSQL"
    fi
    hf_say "down (data kept in .local/; remove .local/ to start from scratch)"
}

case ${1:-} in
up)
    shift
    cmd_up "$@"
    ;;
status) cmd_status ;;
down) cmd_down ;;
-h | --help | help) usage ;;
'')
    usage >&2
    exit 2
    ;;
*)
    printf 'deploy/local.sh: unknown command %s\n\n' "$1" >&2
    usage >&2
    exit 2
    ;;
esac
