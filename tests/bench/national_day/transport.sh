#!/usr/bin/env bash
# tests/bench/national_day/transport.sh [ROUNDS] [N]: what a round trip costs on one host, TCP
# loopback against a Unix socket, measured as CPU time (less sensitive to others' load than
# wall time), ROUNDS times interleaved (default 3), N round trips each (default 20000):
#  - Postgres: pgbench, one connection, `SELECT 1` prepared, over 127.0.0.1 and through the
#    socket; the backend's CPU (user + system, read from the postmaster's reaped children)
#    and pgbench's, µs a statement;
#  - ZeroMQ with CURVE: a DEALER asking a ROUTER N times (Debian's python3-zmq, as e2e/045; a
#    context each, in one process), over tcp://127.0.0.1 and ipc://; the CPU of the two I/O
#    threads (ZMQbg/IO) and of the whole process, µs a round trip.
# A throwaway cluster in a temporary folder (deploy/lib.sh), removed at exit; run as root or
# as a user who can run postgres. Not part of any test run; figures in README.md here.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
# shellcheck source=deploy/lib.sh
source "$ROOT/deploy/lib.sh"
ROUNDS=${1:-3}
N=${2:-20000}
PY=/usr/bin/python3
$PY -c 'import zmq; assert zmq.has("curve") and zmq.has("ipc")' 2>/dev/null ||
    hf_die "$PY lacks zmq with CURVE and ipc (Debian package python3-zmq)"

TMP=$(mktemp -d /tmp/hf-transport.XXXXXX)
chmod 755 "$TMP"
cleanup() {
    hf_pg_stop "$TMP/pg/data" >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT
hf_secrets_ensure "$TMP/secrets"
export PGPASSFILE=$TMP/secrets/pgpass
hf_pg_init "$TMP/pg/data"
port=25433
while hf_port_in_use "$port"; do port=$((port + 1)); done
hf_pgpass_write "$TMP/secrets" "$port"
hf_pg_start "$TMP/pg/data" "$port" "$TMP/pg/sock" "$TMP/pg/postgres.log" fsync=off
hf_pg_secure "$TMP/pg/data" "$TMP/pg/sock" "$port" "$TMP/secrets"
postmaster=$(head -1 "$TMP/pg/data/postmaster.pid")
printf 'SELECT 1;\n' >"$TMP/select1.sql"

# reaped children's CPU (the backends that ended), clock ticks
reaped() { awk '{ print $16 + $17 }' "/proc/$postmaster/stat"; }
HZ=$(getconf CLK_TCK)

# pg HOST: one pgbench run; prints "backend_us pgbench_us" a statement
pg() {
    local b0 b1 t0 t1 me=$BASHPID
    b0=$(reaped)
    # pgbench's CPU reaches this (sub)shell once it has been waited for
    t0=$(awk '{ print $16 + $17 }' "/proc/$me/stat")
    "$HF_PG_BIN/pgbench" -n -h "$1" -p "$port" -U huifang -c 1 -j 1 -t "$N" -M prepared \
        -f "$TMP/select1.sql" postgres >/dev/null 2>&1 || hf_die "pgbench failed on $1"
    # the backend's CPU reaches the postmaster once it has exited and been reaped
    until [[ -z $(pgrep -P "$postmaster" -f 'postgres: huifang postgres') ]]; do :; done
    b1=$(reaped)
    t1=$(awk '{ print $16 + $17 }' "/proc/$me/stat")
    awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) -v n="$N" -v hz="$HZ" \
        'BEGIN { printf "%.1f %.1f\n", b * 1e6 / hz / n, t * 1e6 / hz / n }'
}

# zmq ENDPOINT: N round trips through a CURVE ROUTER; prints "io_us proc_us" a round trip
# (both processes' I/O threads, both processes)
cat >"$TMP/zmq_rt.py" <<'PYEOF'
import os, sys, threading, zmq
endpoint, n = sys.argv[1], int(sys.argv[2])
def ticks(io_only):
    t = 0
    for tid in os.listdir("/proc/self/task"):
        base = "/proc/self/task/%s/" % tid
        try:  # a thread may end meanwhile (the server's, at its last answer)
            if io_only and not open(base + "comm").read().startswith("ZMQbg/IO"):
                continue
            f = open(base + "stat").read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        t += int(f[11]) + int(f[12])
    return t
spub, ssec = zmq.curve_keypair()
cpub, csec = zmq.curve_keypair()
# two contexts, each with its I/O thread, as a service and its client have
sctx, cctx = zmq.Context(), zmq.Context()
s = sctx.socket(zmq.ROUTER)
s.curve_server, s.curve_secretkey, s.linger = True, ssec, 0
s.bind(endpoint)
def serve():
    for _ in range(n + 1):
        s.send_multipart(s.recv_multipart())
t = threading.Thread(target=serve)
t.start()
c = cctx.socket(zmq.DEALER)
c.curve_serverkey, c.curve_publickey, c.curve_secretkey, c.linger = spub, cpub, csec, 0
c.connect(endpoint)
msg = [b"", b"x" * 100]
c.send_multipart(msg)
c.recv_multipart()  # the handshake, outside the count
io0, p0 = ticks(True), ticks(False)
for _ in range(n):
    c.send_multipart(msg)
    c.recv_multipart()
t.join()
io1, p1 = ticks(True), ticks(False)
hz = os.sysconf("SC_CLK_TCK")
print("%.1f %.1f" % ((io1 - io0) * 1e6 / hz / n, (p1 - p0) * 1e6 / hz / n))
PYEOF
zmq_rt() { $PY "$TMP/zmq_rt.py" "$1" "$N" </dev/null; }

printf 'load average at the start: %s; %d round trips a run\n' "$(cut -d' ' -f1-3 /proc/loadavg)" "$N"
printf '%-6s %-36s %10s %10s\n' round "what (µs a round trip)" first second
for ((i = 1; i <= ROUNDS; i++)); do
    read -r b t < <(pg 127.0.0.1)
    printf '%-6s %-36s %10s %10s\n' "$i" "postgres tcp: backend, pgbench" "$b" "$t"
    read -r b t < <(pg "$TMP/pg/sock")
    printf '%-6s %-36s %10s %10s\n' "$i" "postgres socket: backend, pgbench" "$b" "$t"
    read -r b t < <(zmq_rt "tcp://127.0.0.1:$((port + 1))")
    printf '%-6s %-36s %10s %10s\n' "$i" "zmq tcp: I/O threads, processes" "$b" "$t"
    read -r b t < <(zmq_rt "ipc://$TMP/zmq.ipc")
    printf '%-6s %-36s %10s %10s\n' "$i" "zmq ipc: I/O threads, processes" "$b" "$t"
done
