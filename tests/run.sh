#!/usr/bin/env bash
# tests/run.sh: the one test command (CI runs it through .ci/run).
#
# Installs what is missing, builds three trees (build/: warnings are errors; build-asan/:
# AddressSanitizer + UndefinedBehaviorSanitizer; build-fuzz/: the libFuzzer harnesses, built
# with clang), starts a throwaway PostgreSQL and Redis on loopback in a temporary folder that
# is removed on any exit, and runs ctest on build/ (every test), then on build-fuzz/ (each
# harness for 20 s, label fuzz) and then on build-asan/ (unit, integration and the "sanitize"
# core of the end-to-end tests); benchmarks are left out. After ctest's own summaries, the
# last line sums up every tree in a plain form a reader or a tool can trust ("huifang: 83
# passed, 0 failed"); the exit status is non-zero when anything failed.
#
#   tests/run.sh              all three trees
#   tests/run.sh --quick      build/ only
#   tests/run.sh --fuzz       build-fuzz/ only (no Postgres or Redis)
#   tests/run.sh -R e2e       only tests matching the regex (-E, -L, -LE likewise; anything
#                             after -- goes to ctest unchanged)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=deploy/lib.sh
source "$ROOT/deploy/lib.sh"

usage() {
    cat <<'EOF'
Usage: tests/run.sh [--quick | --fuzz | --bench] [-R REGEX] [-E REGEX] [-L LABEL] [-LE LABEL] [-- CTEST_ARGS...]

  --quick      build and test the normal tree (build/) only, no sanitizer or fuzz tree
  --fuzz       build and run the fuzz harnesses (build-fuzz/, clang) only
  --bench      build the normal tree and run the benchmarks (label bench, HF_BENCH=1) only,
               e.g. tests/run.sh --bench -R auth (never part of a normal run)
  -R REGEX     run only the tests whose name matches (e.g. -R e2e, -R unit/test_clock)
  -E REGEX     leave out the tests whose name matches
  -L / -LE     select / leave out by label (unit, integration, e2e, fuzz, bench)
  -- ARGS      passed to ctest as they are

Starts PostgreSQL 15 (127.0.0.1:15433) and Redis (127.0.0.1:16380) in a temporary folder
and sets for the tests:
  HUIFANG_TEST_STORE_URL  postgresql://huifang@127.0.0.1:15433/huifang_test (recreated per tree)
  HUIFANG_TEST_ADMIN_URL  postgresql://huifang@127.0.0.1:15433/postgres (to create databases)
  HUIFANG_TEST_PG_SOCKET_URL the same through the server's Unix socket
                          (postgresql://huifang@/postgres?host=DIR&port=15433): the e2e
                          stacks' services connect there, each with its role's password
  HUIFANG_TEST_REDIS_URL  redis://:PASSWORD@127.0.0.1:16380/0 (flushed per tree)
  HUIFANG_TEST_SECRETS_DIR the password files (deploy/lib.sh hf_secrets_ensure): the service
                          roles' (pg_huifang_<service>.password) and Redis's (redis.password)
  PGPASSFILE              the superuser's password for the two URLs above (scram-sha-256)
  REDISCLI_AUTH           Redis's password, for redis-cli
A port already taken moves to the next free one. HF_JOBS sets the build's parallelism (2).
EOF
}

quick=0
fuzz_only=0
bench=0
ctest_args=()
while (($#)); do
    case $1 in
    --quick) quick=1 ;;
    --fuzz) fuzz_only=1 ;;
    --bench) bench=1 quick=1 ;;
    -R | -E | -L | -LE)
        (($# >= 2)) || hf_die "$1 needs a value (see --help)"
        ctest_args+=("$1" "$2")
        shift
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    --)
        shift
        ctest_args+=("$@")
        break
        ;;
    *) hf_die "unknown option $1 (see --help)" ;;
    esac
    shift
done

hf_ensure_packages

((quick == 0 || fuzz_only == 0)) || hf_die "--quick and --fuzz exclude each other"
if ((fuzz_only == 0)); then
    hf_build "$ROOT" "$ROOT/build" "$ROOT/build/hf-build.log" -DHF_WERROR=ON ||
        hf_die "stopping: the normal tree (build/) does not build"
fi
if ((quick == 0 && fuzz_only == 0)); then
    hf_build "$ROOT" "$ROOT/build-asan" "$ROOT/build-asan/hf-build.log" -DHF_SANITIZE=ON ||
        hf_die "stopping: the sanitizer tree (build-asan/) does not build"
fi
if ((quick == 0)); then
    # libFuzzer comes with clang, not gcc: a small tree of its own (tests/fuzz/CMakeLists.txt)
    hf_build "$ROOT" "$ROOT/build-fuzz" "$ROOT/build-fuzz/hf-build.log" -DHF_WERROR=ON \
        -DCMAKE_C_COMPILER=clang -DHF_FUZZ=ON -DHF_FUZZ_SECONDS=20 ||
        hf_die "stopping: the fuzz tree (build-fuzz/) does not build"
fi

# ---- throwaway PostgreSQL and Redis ---------------------------------------------------------

TMP=$(mktemp -d /tmp/huifang-test.XXXXXX)
chmod 755 "$TMP" # the postgres user must get through to its data folder
PG_DATA=$TMP/pg/data
REDIS_PIDFILE=$TMP/redis/redis.pid
PG_PORT=""
REDIS_PORT=""

# The overall count, printed by cleanup as the very last line once a ctest run has happened.
PASSED=0
FAILED=0
COUNTED=0
TREES=()

# Quiet on purpose: the overall count must stay the last thing printed.
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    local rc=$? f pid
    trap - EXIT INT TERM
    # Services an e2e test left behind (killed by a ctest timeout before its own trap ran).
    for f in "$TMP"/e2e/*.pid; do
        [[ -f $f ]] || continue
        pid=$(<"$f")
        if hf_pid_is "$pid" huifang-; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    if [[ -n $REDIS_PORT ]]; then
        hf_redis_stop "$REDIS_PORT" "$REDIS_PIDFILE" nosave >/dev/null 2>&1 || true
    fi
    hf_pg_stop "$PG_DATA" >/dev/null 2>&1 || true
    rm -rf "$TMP"
    if ((COUNTED)); then
        hf_say "per tree: ${TREES[*]}"
        hf_say "$PASSED passed, $FAILED failed"
        ((FAILED == 0)) || ((rc != 0)) || rc=1
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# True when LeakSanitizer can run here (it cannot under some ptrace restrictions).
lsan_works() {
    local out
    printf '%s\n' '#include <stdlib.h>' \
        'int main(void) { void *volatile p = malloc(7); p = 0; return p != 0; }' >"$TMP/lsan.c"
    cc -fsanitize=address -g "$TMP/lsan.c" -o "$TMP/lsan" 2>/dev/null || return 0
    out=$(ASAN_OPTIONS=detect_leaks=1 "$TMP/lsan" 2>&1 || true)
    grep -q 'detected memory leaks' <<<"$out"
}

# Sets the sanitizers' options for build-fuzz/ and build-asan/ (once: it says so when leaks
# cannot be checked).
sanitizer_env_set=0
sanitizer_env() {
    ((sanitizer_env_set == 0)) || return 0
    sanitizer_env_set=1
    local leaks=1
    if ! lsan_works; then
        leaks=0
        hf_say "note: LeakSanitizer cannot run on this machine (ptrace restrictions?): detect_leaks=0 for build-asan and build-fuzz"
    fi
    export ASAN_OPTIONS="detect_leaks=$leaks:abort_on_error=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    if [[ -f $ROOT/tests/lsan.supp ]]; then
        export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp:print_suppressions=0"
    fi
}

# run_fuzz [ctest args...]: the fuzz harnesses (label fuzz), each for 20 s with ASan and
# UBSan; any crash, leak or sanitizer report fails its test. No Postgres, no Redis.
run_fuzz() {
    local rc=0
    sanitizer_env
    hf_say "ctest in build-fuzz"
    ctest --test-dir "$ROOT/build-fuzz" --output-on-failure -j2 -L fuzz "$@" 2>&1 |
        tee "$TMP/ctest-build-fuzz.log" || rc=$?
    tally build-fuzz "$TMP/ctest-build-fuzz.log" "$rc"
}

# tally TREE LOG RC: adds a ctest run's figures to the overall count, from its summary line
# ("97% tests passed, 1 tests failed out of 52"); returns RC. A failed run that printed no
# summary (ctest itself failed) counts as one failure; a selection that named none of the
# tree's tests (exit 0, no summary) counts nothing.
tally() {
    local tree=$1 log=$2 rc=$3 failed="" total=""
    COUNTED=1
    read -r failed total < <(sed -n 's/^[0-9]*% tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\)$/\1 \2/p' "$log" | tail -n 1) || true
    if [[ -n $total ]]; then
        PASSED=$((PASSED + total - failed))
        FAILED=$((FAILED + failed))
        TREES+=("$tree: $((total - failed))/$total")
    elif ((rc == 0)); then
        # ctest exits 0 with no summary only when the selection named none of its tests
        TREES+=("$tree: none selected")
    else
        FAILED=$((FAILED + 1))
        TREES+=("$tree: no ctest summary (exit $rc)")
    fi
    return "$rc"
}

if ((fuzz_only)); then
    run_fuzz --no-tests=error "${ctest_args[@]}"
    exit
fi

# free_port PREFERRED [AVOID]: PREFERRED, or the next free port above it.
free_port() {
    local p=$1 avoid=${2:-}
    while hf_port_in_use "$p" || [[ $p == "$avoid" ]]; do
        p=$((p + 1))
        (($1 + 100 > p)) || hf_die "no free port in $1..$p"
    done
    [[ $p == "$1" ]] || hf_say "port $1 is taken; using $p" >&2
    printf '%s\n' "$p"
}

# The stores as the local stack has them: passwords from files in $TMP/secrets, the service
# roles (deploy/sql/roles.sql; each e2e stack runs deploy/sql/database.sql on its database),
# scram-sha-256 over TCP, Redis with a password.
SECRETS=$TMP/secrets
hf_secrets_ensure "$SECRETS"
export PGPASSFILE=$SECRETS/pgpass
REDISCLI_AUTH=$(<"$SECRETS/redis.password")
export REDISCLI_AUTH
HF_PG_SOCK=$TMP/pg/sock
hf_pg_init "$PG_DATA"
# each port chosen just before its server starts (not before initdb's few seconds), under a
# lock that all runs on this machine take until their server listens, so that two runs
# starting at once never pick the same free port (without the lock file, where it cannot be
# opened, the choice is only rarely the same)
PORT_LOCK=""
exec {PORT_LOCK}>>"${TMPDIR:-/tmp}/huifang-test-ports.lock" 2>/dev/null || PORT_LOCK=""
[[ -z $PORT_LOCK ]] || chmod 666 "${TMPDIR:-/tmp}/huifang-test-ports.lock" 2>/dev/null || true
port_lock() { [[ -z $PORT_LOCK ]] || flock "$PORT_LOCK"; }
port_unlock() { [[ -z $PORT_LOCK ]] || flock -u "$PORT_LOCK"; }
port_lock
PG_PORT=$(free_port 15433)
hf_pgpass_write "$SECRETS" "$PG_PORT"
# HF_TEST_PG_SETTINGS: more settings, space-separated (a benchmark's profile, e.g.
# shared_preload_libraries=pg_stat_statements for tests/bench/national_day NATDAY_STATEMENTS=1)
read -ra PG_EXTRA <<<"${HF_TEST_PG_SETTINGS:-}"
hf_pg_start "$PG_DATA" "$PG_PORT" "$HF_PG_SOCK" "$TMP/pg/postgres.log" \
    fsync=off synchronous_commit=off full_page_writes=off max_connections=300 "${PG_EXTRA[@]}"
port_unlock
hf_pg_secure "$PG_DATA" "$HF_PG_SOCK" "$PG_PORT" "$SECRETS"
hf_pg_bootstrap_roles "$PG_PORT" "$SECRETS"
port_lock
REDIS_PORT=$(free_port 16380 "$PG_PORT")
hf_redis_start "$TMP/redis" "$REDIS_PORT" "$REDIS_PIDFILE" "$TMP/redis/redis.log" no \
    "$SECRETS/redis.conf"
port_unlock
mkdir -p "$TMP/e2e"
chmod 777 "$TMP/e2e"
hf_say "test PostgreSQL on 127.0.0.1:$PG_PORT, Redis on 127.0.0.1:$REDIS_PORT (in $TMP)"

# Only the test variables reach the tests: a developer's own HUIFANG_* settings stay out.
while read -r var; do
    [[ $var == HUIFANG_TEST_* ]] || unset "$var"
done < <(compgen -e | grep '^HUIFANG_' || true)
export HUIFANG_TEST_STORE_URL="postgresql://huifang@127.0.0.1:$PG_PORT/huifang_test"
export HUIFANG_TEST_ADMIN_URL="postgresql://huifang@127.0.0.1:$PG_PORT/postgres"
# the same server through its Unix socket: the e2e stacks' services connect there (lib.sh)
export HUIFANG_TEST_PG_SOCKET_URL="postgresql://huifang@/postgres?host=$HF_PG_SOCK&port=$PG_PORT"
export HUIFANG_TEST_REDIS_URL="redis://:$REDISCLI_AUTH@127.0.0.1:$REDIS_PORT/0"
export HUIFANG_TEST_SECRETS_DIR=$SECRETS
# For tests/e2e/lib.sh: slot locks and pidfiles of the services it starts.
export HF_E2E_RUN_DIR=$TMP/e2e

# run_ctest TREE [ctest args...]: fresh test database and Redis, then ctest, counted (tally).
run_ctest() {
    local tree=$1 rc=0 log
    shift
    hf_pg_recreate_db "$PG_PORT" huifang_test
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" flushall >/dev/null
    hf_say "ctest in $tree"
    log=$TMP/ctest-${tree//\//_}.log
    ctest --test-dir "$ROOT/$tree" --output-on-failure --no-tests=error -j2 "$@" 2>&1 |
        tee "$log" || rc=$?
    tally "$tree" "$log" "$rc"
}

# Benchmarks never run here. The sanitizer tree runs the unit, integration and "sanitize"
# tests (tests/CMakeLists.txt names that core of the end-to-end tests) unless a selection was
# given on the command line.
selection=(-L 'unit|integration|sanitize')
for arg in "${ctest_args[@]}"; do
    case $arg in -R | -L | -E) selection=() ;; esac
done
normal_rc=0
if ((bench)); then
    # on demand only: the benchmarks (label bench) against these throwaway stores
    HF_BENCH=1 run_ctest build -L bench "${ctest_args[@]}" || normal_rc=$?
    exit "$normal_rc"
fi
run_ctest build -LE bench "${ctest_args[@]}" || normal_rc=$?
if ((quick)); then
    exit "$normal_rc"
fi

# A selection that names no fuzz test runs none here (no error: it was meant for the others).
fuzz_rc=0
run_fuzz --no-tests=ignore "${ctest_args[@]}" || fuzz_rc=$?
if ((normal_rc != 0 || fuzz_rc != 0)); then
    hf_say "build/ or build-fuzz/ had failures (ctest exit $normal_rc, $fuzz_rc); the sanitizer run follows, and the exit status will be non-zero"
fi
sanitizer_env
asan_rc=0
run_ctest build-asan -LE bench "${selection[@]}" "${ctest_args[@]}" || asan_rc=$?
if ((normal_rc != 0)); then
    exit "$normal_rc"
fi
if ((fuzz_rc != 0)); then
    exit "$fuzz_rc"
fi
exit "$asan_rc"
