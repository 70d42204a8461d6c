#!/usr/bin/env bash
# The stores' least privilege (issue 11, "the wire and the stores"), through the real
# services on the suite's PostgreSQL and Redis (tests/run.sh: passwords in
# HUIFANG_TEST_SECRETS_DIR, deploy/sql/roles.sql and database.sql):
#  A. each service connects as its own role huifang_<service>, which owns its schema and
#     every table in it; no role is a superuser or may create databases or roles;
#  B. no service role can read another's schema (all twenty pairs), each reads its own;
#  C. audit.access takes INSERT and SELECT from every service role, never UPDATE, DELETE or
#     TRUNCATE;
#  D. the superuser needs its password over TCP (scram-sha-256), so does every role;
#  E. a service with a wrong or missing store password, or on a database whose schemas were
#     not made for the roles, stops at once, exit 1, saying so;
#  F. Redis refuses a client without the password; the scheduler, given it from a file,
#     holds an authenticated connection; with a wrong one it says the password was refused;
#  G. a secret file that group or others may read is refused, and so are X and X_FILE both.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

[[ -n ${HUIFANG_TEST_SECRETS_DIR:-} ]] ||
    hf_fail "HUIFANG_TEST_SECRETS_DIR is not set: run through tests/run.sh, which makes the stores' passwords"
SECRETS=$HUIFANG_TEST_SECRETS_DIR
hf_stack_start

sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }
# as ROLE SQL: runs SQL connected as a service role with its password (PGPASSWORD: never argv)
as() {
    PGPASSWORD=$(<"$SECRETS/pg_$1.password") PGPASSFILE=/dev/null \
        psql -X -q -t -A -v ON_ERROR_STOP=1 -w -d "$(hf_url_with_user "$HUIFANG_STORE_URL" "$1")" -c "$2"
}

# ---- A ----
for s in "${HF_SERVICES[@]}"; do
    hf_wait_until 10 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'huifang-$s' AND usename = 'huifang_$s'\")\" -ge 1 ]"
    hf_expect_eq 0 "$(sql "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'huifang-$s' AND usename <> 'huifang_$s'")" "$s connects only as huifang_$s"
    hf_expect_eq "huifang_$s" "$(sql "SELECT nspowner::regrole FROM pg_namespace WHERE nspname = '$s'")" "owner of schema $s"
    hf_expect_eq 0 "$(sql "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '$s' AND c.relowner::regrole::text <> 'huifang_$s'")" "every relation of $s owned by huifang_$s"
    n=$(sql "SELECT count(*) FROM pg_tables WHERE schemaname = '$s'")
    ((n >= 6)) || hf_fail "schema $s has only $n tables: did the migrations run?"
done
hf_expect_eq 0 "$(sql "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'huifang\_%' AND (rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls)")" "no service role is a superuser or may create databases or roles"
hf_expect_eq 6 "$(sql "SELECT count(*) FROM pg_roles WHERE rolname IN ('huifang_intake', 'huifang_scheduler', 'huifang_calllog', 'huifang_complaint', 'huifang_reporting', 'huifang_audit')")" "the six roles"
hf_expect_eq f "$(sql "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'huifang_audit'")" "huifang_audit cannot log in"
hf_expect_eq 0 "$(sql "SELECT count(*) FROM pg_authid WHERE rolname LIKE 'huifang\_%' AND rolcanlogin AND rolpassword NOT LIKE 'SCRAM-SHA-256\$%'")" "every login role's password is a SCRAM verifier"

# ---- B ----
hf_expect_exit 1 as huifang_intake "SELECT count(*) FROM scheduler.task"
hf_expect_contains "$HF_ERR" "permission denied for schema scheduler" "intake reading scheduler.task"
hf_expect_exit 1 as huifang_scheduler "SELECT count(*) FROM intake.customer"
hf_expect_contains "$HF_ERR" "permission denied for schema intake" "scheduler reading intake.customer"
for a in "${HF_SERVICES[@]}"; do
    hf_expect_exit 0 as "huifang_$a" "SELECT count(*) FROM $a.migrations"
    for b in "${HF_SERVICES[@]}"; do
        [[ $a != "$b" ]] || continue
        hf_expect_exit 1 as "huifang_$a" "SELECT count(*) FROM $b.migrations"
        hf_expect_contains "$HF_ERR" "permission denied for schema $b" "huifang_$a reading $b"
        hf_expect_exit 1 as "huifang_$a" "CREATE TABLE $b.intruder (x int)"
    done
    hf_expect_exit 1 as "huifang_$a" "CREATE TABLE public.intruder (x int)"
    hf_expect_exit 1 as "huifang_$a" "CREATE SCHEMA intruder"
done

# ---- C ----
for s in "${HF_SERVICES[@]}"; do
    hf_expect_exit 0 as "huifang_$s" "INSERT INTO audit.access (actor, service, command, customers) VALUES ('A001', '$s', 'customer show', '{1,2}')"
    hf_expect_exit 0 as "huifang_$s" "SELECT count(*) FROM audit.access WHERE customers @> '{1}'"
    hf_expect_exit 1 as "huifang_$s" "UPDATE audit.access SET actor = 'nobody'"
    hf_expect_contains "$HF_ERR" "permission denied for table access" "$s updating audit"
    hf_expect_exit 1 as "huifang_$s" "DELETE FROM audit.access"
    hf_expect_contains "$HF_ERR" "permission denied for table access" "$s deleting audit"
    hf_expect_exit 1 as "huifang_$s" "TRUNCATE audit.access"
    hf_expect_exit 1 as "huifang_$s" "ALTER TABLE audit.access DISABLE TRIGGER ALL"
    hf_expect_exit 1 as "huifang_$s" "DROP TABLE audit.access"
done
hf_expect_eq 5 "$(sql "SELECT count(*) FROM audit.access WHERE actor = 'A001'")" "five audit rows, unchanged"

# ---- D ----
hf_expect_exit 2 env PGPASSFILE=/dev/null psql -X -w -d "$HUIFANG_STORE_URL" -c 'SELECT 1'
hf_expect_exit 2 env PGPASSWORD=wrong PGPASSFILE=/dev/null psql -X -w -d "$HUIFANG_STORE_URL" -c 'SELECT 1'
hf_expect_contains "$HF_ERR" "password authentication failed" "the superuser with a wrong password over TCP"
hf_expect_exit 2 env PGPASSWORD=wrong PGPASSFILE=/dev/null psql -X -w -d "$HUIFANG_INTAKE_STORE_URL" -c 'SELECT 1'

# ---- E ----
run() { # run SERVICE [VAR=VALUE...]: a second instance with that environment; HF_OUT, HF_STATUS
    local svc=$1
    shift
    set +e
    HF_OUT=$(env HUIFANG_STORE_WAIT_MS=20000 "$@" "$HF_BIN/huifang-$svc" </dev/null 2>&1)
    HF_STATUS=$?
    set -e
}
umask 077
printf 'not-the-password\n' >"$HF_E2E_TMP/wrong.password"
start=$SECONDS
run intake HUIFANG_INTAKE_STORE_PASSWORD_FILE="$HF_E2E_TMP/wrong.password"
hf_expect_eq 1 "$HF_STATUS" "intake with a wrong store password"
hf_expect_contains "$HF_OUT" 'password authentication failed for user "huifang_intake"' "names the failure"
hf_expect_contains "$HF_OUT" "the store refused the role or its password: see HUIFANG_INTAKE_STORE_URL and HUIFANG_INTAKE_STORE_PASSWORD_FILE" "says where to look"
[[ $HF_OUT != *not-the-password* ]] || hf_fail "the wrong password was printed: $HF_OUT"
((SECONDS - start < 10)) || hf_fail "a refused password was retried for $((SECONDS - start)) s instead of stopping at once"
run scheduler HUIFANG_SCHEDULER_STORE_PASSWORD_FILE=
hf_expect_eq 1 "$HF_STATUS" "scheduler without a store password"
hf_expect_contains "$HF_OUT" "the store refused the role or its password" "scheduler without a password"
# a database nobody prepared (no deploy/sql/database.sql): the role may not make its schema
bare="${HF_DB:0:55}_bare"
hf_admin_psql "CREATE DATABASE \"$bare\"" >/dev/null
run intake HUIFANG_INTAKE_STORE_URL="$(hf_url_with_db "$HUIFANG_INTAKE_STORE_URL" "$bare")"
hf_admin_psql "DROP DATABASE \"$bare\" WITH (FORCE)" >/dev/null
hf_expect_eq 1 "$HF_STATUS" "intake on a database without its schema"
hf_expect_contains "$HF_OUT" "schema intake does not exist and this role may not create it" "names the missing schema"
# the configuration log masks the password setting
hf_expect_contains "$(<"$HF_E2E_TMP/intake.log")" "store_password=****" "the password is masked in the log"
! grep -qF "$(<"$SECRETS/pg_huifang_intake.password")" "$HF_E2E_TMP"/*.log || hf_fail "a store password reached a log"

# ---- F ----
hf_expect_exit 0 env -u REDISCLI_AUTH redis-cli -u "$HUIFANG_REDIS_URL" ping
hf_expect_contains "$HF_OUT$HF_ERR" "NOAUTH" "Redis without the password"
hf_expect_exit 0 env REDISCLI_AUTH=wrong redis-cli -u "$HUIFANG_REDIS_URL" ping
hf_expect_contains "$HF_OUT$HF_ERR" "WRONGPASS" "Redis with a wrong password"
hf_expect_exit 0 redis-cli -u "$HUIFANG_REDIS_URL" client list
hf_expect_contains "$HF_OUT" "name=huifang-queue-task" "the scheduler's authenticated connection"
hf_expect_contains "$HF_OUT" "name=huifang-queue-sla" "complaint's authenticated connection"
! grep -q redis_unavailable "$HF_E2E_TMP/scheduler.log" || hf_fail "the scheduler could not reach Redis"
# the scheduler's due-index works: a lead's first call is indexed and assigned
hf_expect_exit 0 huifang branch add BJ01 --name Beijing --tz Asia/Shanghai --windows 00:00-23:59
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 40
hf_expect_exit 0 huifang lead add --name 'Wang Fang' --phone 13812345678 --channel counter --region chaoyang
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c 'SELECT count(*) FROM scheduler.task t WHERE NOT EXISTS (SELECT FROM scheduler.task_unindexed u WHERE u.id = t.id)')\" -ge 1 ]"
# a wrong Redis password: the scheduler says so (and keeps serving commands)
hf_service_stop scheduler
printf 'wrong\n' >"$HF_E2E_TMP/redis-wrong.password"
HUIFANG_REDIS_PASSWORD_FILE=$HF_E2E_TMP/redis-wrong.password hf_service_start scheduler
hf_wait_until 10 grep -q 'redis_unavailable.*refused the password' "$HF_E2E_TMP/scheduler.log"
hf_service_stop scheduler

# ---- G ----
cp "$SECRETS/pg_huifang_intake.password" "$HF_E2E_TMP/open.password"
for mode in 644 640 604 660; do
    chmod "$mode" "$HF_E2E_TMP/open.password"
    run intake HUIFANG_INTAKE_STORE_PASSWORD_FILE="$HF_E2E_TMP/open.password"
    hf_expect_eq 1 "$HF_STATUS" "intake with a secret file of mode $mode"
    hf_expect_contains "$HF_OUT" "HUIFANG_INTAKE_STORE_PASSWORD_FILE names $HF_E2E_TMP/open.password, which group or others may read or write (mode 0$mode)" "mode $mode refused"
done
run intake HUIFANG_INTAKE_STORE_PASSWORD_FILE="$HF_E2E_TMP/missing.password"
hf_expect_eq 1 "$HF_STATUS" "intake with a missing secret file"
hf_expect_contains "$HF_OUT" "cannot be read" "a missing file"
run intake HUIFANG_INTAKE_STORE_PASSWORD=x
hf_expect_eq 1 "$HF_STATUS" "both the setting and its file"
hf_expect_contains "$HF_OUT" "both HUIFANG_INTAKE_STORE_PASSWORD and HUIFANG_INTAKE_STORE_PASSWORD_FILE are set" "both"
head -c 5000 /dev/zero | tr '\0' x >"$HF_E2E_TMP/big.password"
run intake HUIFANG_INTAKE_STORE_PASSWORD_FILE="$HF_E2E_TMP/big.password"
hf_expect_eq 1 "$HF_STATUS" "a secret file too large"
hf_expect_contains "$HF_OUT" "larger than 4096 bytes" "too large"
hf_expect_exit 0 "$HF_BIN/huifang-intake" --help
hf_expect_contains "$HF_OUT" "HUIFANG_X_FILE" "--help explains the _FILE settings"
hf_expect_contains "$HF_OUT" "HUIFANG_INTAKE_STORE_PASSWORD" "--help lists the store password"
