#!/usr/bin/env bash
# The services reach a local Postgres through its Unix socket (tests/run.sh's
# HUIFANG_TEST_PG_SOCKET_URL, as deploy/local.sh does), each as its own role with its
# password, as over TCP:
#  - every service's backends are socket connections (no client address), as its role;
#  - through the socket a service role needs its password (scram-sha-256): none or a wrong
#    one is refused, and a service given a wrong one stops at start-up saying where to look;
#    the superuser alone comes in without one (pg_hba.conf: the socket's folder is the
#    cluster owner's only);
#  - a service given a TCP URL (a remote store's shape, as docker-compose has it) still
#    connects over loopback TCP beside the others.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

[[ -n ${HUIFANG_TEST_SECRETS_DIR:-} && -n ${HUIFANG_TEST_PG_SOCKET_URL:-} ]] ||
    hf_fail "run through tests/run.sh, which makes the stores' passwords and gives the socket"
SECRETS=$HUIFANG_TEST_SECRETS_DIR
hf_stack_start
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }

# ---- the services' backends: through the socket, as their roles ----
for s in "${HF_SERVICES[@]}"; do
    url_var=HUIFANG_${s^^}_STORE_URL
    hf_expect_contains "${!url_var}" "postgresql://huifang_$s@/" "$s's store URL"
    hf_expect_contains "${!url_var}" "host=/" "$s's store URL names the socket's folder"
    hf_wait_until 10 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND usename = 'huifang_$s'\")\" -ge 1 ]"
    hf_expect_eq 0 "$(sql "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND usename = 'huifang_$s' AND client_addr IS NOT NULL")" "$s's backends over TCP"
done
hf_expect_exit 0 huifang branch add BJ01 --name Beijing --tz Asia/Shanghai
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345678 --channel counter
hf_wait_applied scheduler intake

# ---- passwords through the socket ----
sock_url=$HUIFANG_INTAKE_STORE_URL
hf_expect_exit 2 env PGPASSFILE=/dev/null PGPASSWORD= psql -X -w -d "$sock_url" -c 'SELECT 1'
hf_expect_exit 2 env PGPASSWORD=wrong PGPASSFILE=/dev/null psql -X -w -d "$sock_url" -c 'SELECT 1'
hf_expect_contains "$HF_ERR" 'password authentication failed for user "huifang_intake"' "a wrong password through the socket"
hf_expect_exit 0 env PGPASSWORD="$(<"$SECRETS/pg_huifang_intake.password")" PGPASSFILE=/dev/null \
    psql -X -q -t -A -w -d "$sock_url" -c 'SELECT 1'
hf_expect_exit 0 env PGPASSFILE=/dev/null psql -X -q -t -A -w \
    -d "$(hf_url_with_user "$sock_url" huifang)" -c 'SELECT 1'
umask 077
printf 'not-the-password\n' >"$HF_E2E_TMP/wrong.password"
rc=0
out=$(env HUIFANG_INTAKE_STORE_PASSWORD_FILE="$HF_E2E_TMP/wrong.password" HUIFANG_STORE_WAIT_MS=20000 \
    timeout 60 "$HF_BIN/huifang-intake" </dev/null 2>&1) || rc=$?
hf_expect_eq 1 "$rc" "intake with a wrong store password through the socket"
hf_expect_contains "$out" "the store refused the role or its password: see HUIFANG_INTAKE_STORE_URL and HUIFANG_INTAKE_STORE_PASSWORD_FILE" "says where to look"

# ---- a TCP URL: over loopback TCP, as to a remote store ----
hf_service_stop reporting
export HUIFANG_REPORTING_STORE_URL
HUIFANG_REPORTING_STORE_URL=$(hf_url_with_user "$HUIFANG_STORE_URL" huifang_reporting)
hf_service_start reporting
hf_wait_until 10 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND usename = 'huifang_reporting' AND client_addr = '127.0.0.1'\")\" -ge 1 ]"
hf_wait_applied reporting intake
hf_expect_exit 0 huifang ping
