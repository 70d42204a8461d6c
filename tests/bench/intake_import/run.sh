#!/usr/bin/env bash
# The lead import benchmark (not part of the test suite): N generated leads (10% repeating an
# earlier phone, 1% with a phone that is not one) imported through the real intake service
# with `huifang lead import`, beside the raw ceiling measured in the same run on the same
# server — PostgreSQL COPY of the same file into an unindexed table — and the ratio. The
# import runs once against one intake instance, then against two (`--endpoints`), each time
# into a fresh database.
#
#   tests/bench/intake_import/run.sh [ROWS] [BATCH] [INSTANCES...]
#       defaults: 1000000 rows, batches of 2000, instances "1 2"
#
# It needs a PostgreSQL it may create databases on (HUIFANG_TEST_ADMIN_URL, as tests/run.sh
# sets it, e.g. postgresql://huifang@127.0.0.1:15432/postgres) and the built binaries
# (HF_BIN, default build/bin). Intake consumes no events here (HUIFANG_INTAKE_CONSUME=none),
# and no other service runs, so the figures are the import's own. (HF_BENCH_CONSUME sets
# another value, e.g. " " for a build from before "none" was understood.)
set -euo pipefail

rows=${1:-1000000}
batch=${2:-2000}
shift $(($# > 2 ? 2 : $#))
instances=("$@")
((${#instances[@]})) || instances=(1 2)
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
bin=${HF_BIN:-$src/build/bin}
admin=${HUIFANG_TEST_ADMIN_URL:?set HUIFANG_TEST_ADMIN_URL to a postgresql:// URL of a server this may create a database on}
[[ -x $bin/huifang && -x $bin/huifang-intake ]] || { echo "build first: $bin/huifang-intake is missing" >&2; exit 2; }

tmp=$(mktemp -d /tmp/hf-bench-import.XXXXXX)
db=bench_intake_$$
url="${admin%/*}/$db"
pids=()
stop_intakes() {
    local p
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    pids=()
}
cleanup() {
    stop_intakes
    psql -X -q -d "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
fresh_db() {
    psql -X -q -d "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
}
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$url" -c "$1"; }
now() { date +%s.%N; }
# calc EXPR: floating-point arithmetic in awk (bc is not on a minimal Debian)
calc() { awk "BEGIN { printf \"%.6f\\n\", $1 }" </dev/null; }
cpu_s() { # CPU seconds (user + system) of processes so far
    local p total=0
    for p in "$@"; do
        total=$(awk -v t="$total" '{ printf "%.2f\n", t + ($14 + $15) / '"$(getconf CLK_TCK)"' }' "/proc/$p/stat")
    done
    printf '%s\n' "$total"
}
listening() { [[ -n $(ss -ltnH "sport = :$1" 2>/dev/null) ]]; }

echo "generating $rows leads..."
awk -v n="$rows" -v seed=1 -f "$here/gen.awk" >"$tmp/leads.csv"
size=$(stat -c %s "$tmp/leads.csv")
echo "  $((size / 1048576)) MiB"

# ---- the raw ceiling: COPY of the same file, streamed from the client, into a bare table ----
fresh_db
q "CREATE TABLE raw (name text, phone text, channel text, region text, address text,
                     gender text, birth text, collector text, source text)"
t0=$(now)
q "\\copy raw FROM '$tmp/leads.csv' WITH (FORMAT csv, HEADER true)"
t1=$(now)
copied=$(q "SELECT count(*) FROM raw")
copy_s=$(calc "$t1 - $t0")
copy_rate=$(calc "$copied / $copy_s")

# a free block of 50 ports: instance k listens on base + 1 + 2k (commands) and the next
base=""
for b in $(seq 28000 50 32000); do
    if [[ -z $(ss -ltnH "( sport >= :$b and sport < :$((b + 50)) )" 2>/dev/null) ]]; then
        base=$b
        break
    fi
done
[[ -n $base ]] || { echo "no free port block between 28000 and 32000" >&2; exit 1; }
export HUIFANG_PORT_BASE=$base HUIFANG_BRANCH=BJ01 HUIFANG_CLOCK=real

results=()
for n in "${instances[@]}"; do
    fresh_db
    endpoints=""
    for ((k = 0; k < n; k++)); do
        port=$((base + 1 + 2 * k + (k > 0 ? 44 : 0)))
        HUIFANG_STORE_URL=$url HUIFANG_INTAKE_CONSUME=${HF_BENCH_CONSUME:-none} HUIFANG_LOG_LEVEL=warn \
            HUIFANG_INTAKE_BIND=tcp://127.0.0.1:$port HUIFANG_INTAKE_EVENTS_BIND=tcp://127.0.0.1:$((port + 1)) \
            HUIFANG_INTAKE_METRICS_BIND=off \
            "$bin/huifang-intake" >>"$tmp/intake.log" 2>&1 &
        pids+=($!)
        endpoints+="${endpoints:+,}tcp://127.0.0.1:$port"
        for _ in $(seq 200); do
            listening "$port" && break
            sleep 0.1
        done
        listening "$port" || { cat "$tmp/intake.log" >&2; exit 1; }
    done
    HUIFANG_INTAKE_ENDPOINT=${endpoints%%,*} "$bin/huifang" branch add BJ01 --name 'Bench' >/dev/null
    HUIFANG_INTAKE_ENDPOINT=${endpoints%%,*} "$bin/huifang" agent add A001 --name 'Bench Agent' \
        --role phone --regions chaoyang,haidian,dongcheng,xicheng,fengtai >/dev/null
    mapfile -t backends < <(q "SELECT pid FROM pg_stat_activity WHERE datname = '$db'
                                AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
    cpu_intake0=$(cpu_s "${pids[@]}")
    cpu_pg0=$(cpu_s "${backends[@]}")

    echo "importing through $n huifang-intake instance(s), batches of $batch..."
    t0=$(now)
    # the client's CPU: `times` in a subshell reports that subshell's children, i.e. huifang
    (
        "$bin/huifang" --json lead import "$tmp/leads.csv" --batch "$batch" --endpoints "$endpoints" \
            --rejects "$tmp/rejects.csv" >"$tmp/summary.json" 2>"$tmp/import.err" ||
            { cat "$tmp/import.err" >&2; exit 1; }
        times >"$tmp/times"
    )
    t1=$(now)
    import_s=$(calc "$t1 - $t0")
    cpu_intake=$(calc "$(cpu_s "${pids[@]}") - $cpu_intake0")
    cpu_pg=$(calc "$(cpu_s "${backends[@]}") - $cpu_pg0")
    # "0m1.234s 0m0.056s" on the second line: user and system time of the children
    cpu_client=$(sed -n 2p "$tmp/times" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] } printf "%.2f", t }')
    summary=$(<"$tmp/summary.json")
    get() { sed -n "s/.*\"$1\":\\([0-9]*\\).*/\\1/p" <<<"$summary"; }
    counts=$(q "SELECT (SELECT count(*) FROM intake.customer) || ' customers, ' ||
                       (SELECT count(*) FROM intake.lead_source) || ' lead sources, ' ||
                       (SELECT count(*) FROM intake.outbox WHERE topic LIKE 'intake.lead%') ||
                       ' lead events in the outbox'")
    rate=$(calc "$rows / $import_s")
    results+=("$(printf '%-40s %10d %9.2f %10.0f %7.3f' "huifang lead import, $n instance(s)" "$rows" \
        "$import_s" "$rate" "$(calc "$rate / $copy_rate")")")
    printf '  read %s, added %s, merged %s, rejected %s, already imported %s\n' \
        "$(get read)" "$(get added)" "$(get merged)" "$(get rejected)" "$(get duplicate)"
    printf '  in the store: %s\n' "$counts"
    printf '  CPU: postgres backends %.1f s, huifang-intake %.1f s, huifang (client) %.1f s, in %.1f s of wall time on %s cores\n' \
        "$cpu_pg" "$cpu_intake" "$cpu_client" "$import_s" "$(nproc)"
    printf '  CPU per lead: postgres %.1f us, huifang-intake %.1f us, client %.1f us\n' \
        "$(calc "$cpu_pg * 1000000 / $rows")" "$(calc "$cpu_intake * 1000000 / $rows")" \
        "$(calc "$cpu_client * 1000000 / $rows")"
    stop_intakes
done

printf '\n%-40s %10s %9s %10s %7s\n' "" rows seconds "rows/s" "ratio"
printf '%-40s %10d %9.2f %10.0f %7.3f\n' "COPY into an unindexed table" "$copied" "$copy_s" "$copy_rate" 1
printf '%s\n' "${results[@]}"
