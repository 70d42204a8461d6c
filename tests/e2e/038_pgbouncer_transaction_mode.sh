#!/usr/bin/env bash
# Every service through PgBouncer in transaction mode (issue 14): Debian's pgbouncer in
# front of the test database, each service logging in as its own role (auth per service
# role, SCRAM, the passwords from the services' password files), pool_mode = transaction
# and small pools; every server connection is reset (DISCARD ALL) after every transaction,
# so that whatever a session set is gone by the next one. Nothing may rely on session state: the migrations run under transaction-level
# locks, the roles carry their search_path and time zone (deploy/sql/roles.sql), named
# statements are off (HUIFANG_PG_PREPARE=off), and only the scheduler's branch work locks —
# session locks by design — use a direct connection (HUIFANG_SCHEDULER_DIRECT_URL). The
# thin path runs on it: a lead buys, the scheduler plans, the call falls due and is assigned,
# the agent claims and logs it, the step is done, reporting counts it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

[[ -n ${HUIFANG_TEST_SECRETS_DIR:-} ]] || hf_fail "needs tests/run.sh's service roles and their password files"
command -v pgbouncer >/dev/null || hf_fail "pgbouncer is not installed (deploy/lib.sh HF_PACKAGES)"
HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start intake # migrates intake directly; restarted through PgBouncer below
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai HUIFANG_PG_PREPARE=off

# ---- PgBouncer: this test's database, one pool per service role ------------------------------
hostport=${HUIFANG_TEST_ADMIN_URL#*@}
hostport=${hostport%%/*}
pg_host=${hostport%:*} pg_port=${hostport##*:}
bouncer_port=$((HUIFANG_PORT_BASE + 3))
# its own folder outside the test's (which only root may enter): PgBouncer runs as postgres
dir=$(mktemp -d /tmp/hf-pgbouncer.XXXXXX)
bouncer=""
trap 'rc=$?; set +e; [[ -z $bouncer ]] || { kill "$bouncer"; wait "$bouncer"; } 2>/dev/null; rm -rf "$dir"; (exit $rc); hf_teardown' EXIT
{
    for s in "${HF_SERVICES[@]}"; do
        printf '"huifang_%s" "%s"\n' "$s" "$(head -n 1 "$HUIFANG_TEST_SECRETS_DIR/pg_huifang_$s.password")"
    done
} >"$dir/userlist.txt"
cat >"$dir/pgbouncer.ini" <<INI
[databases]
$HF_DB = host=$pg_host port=$pg_port dbname=$HF_DB

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = 2
max_client_conn = 100
server_reset_query = DISCARD ALL
server_reset_query_always = 1
ignore_startup_parameters = extra_float_digits
INI
chmod 700 "$dir" && chmod 600 "$dir"/*
chown -R postgres "$dir" 2>/dev/null || true
(
    for fd in "${HF_LOCK_FDS[@]}"; do
        exec {fd}>&-
    done
    if ((EUID == 0)); then
        exec runuser -u postgres -- pgbouncer "$dir/pgbouncer.ini" </dev/null >>"$HF_E2E_TMP/pgbouncer.log" 2>&1
    fi
    exec pgbouncer "$dir/pgbouncer.ini" </dev/null >>"$HF_E2E_TMP/pgbouncer.log" 2>&1
) &
bouncer=$!
hf_wait_until 10 hf_port_listening "$bouncer_port"

# every service's store through it; the scheduler's work locks direct
export HUIFANG_SCHEDULER_DIRECT_URL=$HUIFANG_SCHEDULER_STORE_URL
for s in "${HF_SERVICES[@]}"; do
    export "HUIFANG_${s^^}_STORE_URL=postgresql://huifang_$s@127.0.0.1:$bouncer_port/$HF_DB"
done
hf_service_stop intake
for s in "${HF_SERVICES[@]}"; do
    hf_service_start "$s"
done
hf_wait_ping 30
for s in "${HF_SERVICES[@]}"; do
    grep -q "user=huifang_$s" "$HF_E2E_TMP/pgbouncer.log" || hf_fail "huifang-$s did not log in through PgBouncer"
    # the migrations ran (or were found done) through the pooler
    hf_expect_eq 0 "$(grep -c 'level=error' "$HF_E2E_TMP/$s.log" || true)" "no error in $s's log"
done
hf_log "five services through PgBouncer (transaction mode, pools of 2)"
# what a server connection of the pool starts with (and returns to after DISCARD ALL) is the
# role's defaults (deploy/sql/roles.sql): its schema, UTC, no JIT compiling
settings=$(PGPASSWORD=$(head -n 1 "$HUIFANG_TEST_SECRETS_DIR/pg_huifang_scheduler.password") \
    psql -X -q -t -A -h 127.0.0.1 -p "$bouncer_port" -U huifang_scheduler -d "$HF_DB" \
    -c "SELECT current_setting('search_path') || ',' || current_setting('TimeZone') || ',' || current_setting('jit')")
hf_expect_eq "scheduler,UTC,off" "$settings" "a pooled session of huifang_scheduler: its schema, UTC, no JIT"

# ---- the thin path ------------------------------------------------------------------------
hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --tz Asia/Shanghai \
    --windows 09:00-12:00,14:00-20:00 --lead-plans none
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 40
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 \
    --plan monthly-course
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone '138-1234-5678' \
    --channel counter --region chaoyang
customer=$(hf_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang --json purchase add --customer "$customer" --product VC30 --quantity 1
hf_wait_until 20 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_started --count 1 --no-follow | grep -q plan_started"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.plan_started --count 1 --no-follow
care=$(hf_json_get "$HF_OUT" plan_started.tasks.0.id)
hf_expect_exit 0 huifang clock advance 10d
hf_wait_until 20 bash -c "huifang --json worklist --agent A001 | grep -q '\"id\":$care,'"
hf_expect_exit 0 huifang --as A001 task next
hf_expect_contains "$HF_OUT" 13812345678 "the agent sees the number to dial"
hf_expect_exit 0 huifang --as A001 call log --task "$care" --outcome connected --effect good --order 1
hf_expect_exit 4 huifang --as A001 call log --task "$care" --outcome connected
hf_wait_until 20 bash -c "huifang --json task show $care | grep -q '\"state\":\"done\"'"
hf_wait_until 20 bash -c "huifang report agent-daily --date 2026-11-12 --format csv | grep -q '^A001,Li Na,1,1,1,100.0,1,168.00,'"
hf_log "lead -> plan -> due -> assigned -> claimed -> call logged -> done -> reported, all through PgBouncer"

# the scheduler's work locks lived on its direct connection, none was left behind in a pool (this
# test's database only: pg_locks is the cluster's, and a test running beside it holds its own)
locks=$(psql -X -q -t -A -d "$HUIFANG_STORE_URL" -c "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
        WHERE l.locktype = 'advisory' AND a.application_name NOT LIKE 'huifang-scheduler%' AND a.usename <> current_user
          AND a.datname = current_database()")
hf_expect_eq 0 "$locks" "no advisory lock held on a pooled server connection"
# a second start of every service (migrations found done, under the transaction lock) and a
# restart of PgBouncer's pools change nothing
hf_service_restart reporting
hf_service_restart calllog
hf_wait_ping 30
hf_expect_exit 0 huifang --json task show "$care"
hf_expect_eq done "$(hf_json_get "$HF_OUT" task.state)" "still done"
hf_log "ok"
