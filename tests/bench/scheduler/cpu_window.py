#!/usr/bin/env python3
"""CPU a task of the scheduler benchmark's window (issue 14): runs the command given (a
`tests/run.sh --bench -R throughput -- -V` with one pass, BENCH_CHANNELS=phone), reads its
output as it goes, and from the line "vacuumed the task table" (the window starts) until the
schedulers are gone samples user + system CPU (/proc/<pid>/stat) every 0.2 s of: every
process of the run's Postgres (the postmaster whose data folder is the run's, and its
children), the benchmark's scheduler instances (children of bench_scheduler) and the run's
Redis (its port from the "Redis on" line). A process that ends counts up to its last sample.
Prints the output through, then CPU seconds per group, and µs a task for BENCH_TASKS
(default 1,000,000). With HF_TEST_PG_SETTINGS=shared_preload_libraries=pg_stat_statements
it also resets the statements' counters when the window starts and prints the top ones a
task when the schedulers are gone. It also prints what else ran in the window: the scheduler
tables' dead rows, autovacuums and autoanalyzes (pg_stat_user_tables) and the checkpoints and
WAL (pg_stat_bgwriter) at its start and end, and any autovacuum worker seen (polled once a
second). Usage: cpu_window.py COMMAND ARGS..."""
import os
import re
import subprocess
import sys
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")


def stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()
    comm = s[s.index("(") + 1:s.rindex(")")]
    return int(rest[1]), (int(rest[11]) + int(rest[12])) / TICK, comm  # ppid, cpu s, name


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def psql(sql, db="postgres"):
    """Runs sql on the run's cluster as its superuser; the output, or "" """
    env = dict(os.environ, PGPASSFILE=f"{STATE['tmp']}/secrets/pgpass")
    url = f"postgresql://huifang@127.0.0.1:{STATE['pg_port']}/{db}"
    r = subprocess.run(["psql", "-X", "-q", "-A", "-F", " | ", "-d", url, "-c", sql], env=env,
                       capture_output=True, text=True)
    return r.stdout


STATS = "pg_stat_statements" in os.environ.get("HF_TEST_PG_SETTINGS", "")
# What else runs in the window (the variance, issue 14): the scheduler tables' vacuum and
# analyze counters, the checkpoints and the WAL, read at its start and end, and the
# autovacuum workers seen (polled once a second).
TABLES = "'task', 'outbox', 'outbox_seq', 'agent_day', 'task_unindexed', 'contact_cap'"
TABLE_SQL = ("SELECT relname, n_dead_tup, n_live_tup, autovacuum_count, autoanalyze_count,"
             " n_tup_upd, n_tup_hot_upd, coalesce(to_char(last_autovacuum, 'HH24:MI:SS'), '-'),"
             " coalesce(to_char(last_autoanalyze, 'HH24:MI:SS'), '-')"
             " FROM pg_stat_user_tables WHERE relname IN (" + TABLES + ") ORDER BY relname")
CLUSTER_SQL = ("SELECT checkpoints_timed, checkpoints_req, buffers_checkpoint, buffers_backend,"
               " pg_current_wal_lsn() - '0/0'::pg_lsn FROM pg_stat_bgwriter")
WORKERS_SQL = ("SELECT coalesce(string_agg(query, '; '), '') FROM pg_stat_activity"
               " WHERE backend_type = 'autovacuum worker'")


def window_stats(db):
    return psql(TABLE_SQL, db), psql(CLUSTER_SQL), time.strftime("%H:%M:%S", time.gmtime())


def report_window(before, after, workers):
    """The tables' counters and the cluster's, before and after the window."""
    out = [f"what else ran in the window ({before[2]} to {after[2]} UTC; relname | dead | live |"
           " autovacuums | autoanalyzes | updates | HOT | last autovacuum | last autoanalyze),"
           " before -> after:"]
    b = {l.split(" | ")[0]: l for l in before[0].splitlines() if " | " in l}
    for line in after[0].splitlines():
        if " | " in line and not line.startswith("relname"):
            out.append(f"  {b.get(line.split(' | ')[0], '-')}\n    -> {line}")
    def nums(t):
        rows = [l for l in t.splitlines() if " | " in l and not l.startswith("checkpoints")]
        return [float(x) for x in rows[0].split(" | ")] if rows else None
    c0, c1 = nums(before[1]), nums(after[1])
    if c0 and c1:
        d = [y - x for x, y in zip(c0, c1)]
        out.append(f"  checkpoints timed {d[0]:.0f}, requested {d[1]:.0f}, buffers written by"
                   f" checkpoints {d[2]:.0f}, by backends {d[3]:.0f}; WAL {d[4] / 1048576:.0f} MiB")
    out.append("  autovacuum workers seen (s into the window: query): " +
               ("; ".join(workers) if workers else "none"))
    return "\n".join(out)
STATE = {"tmp": None, "redis_port": None, "pg_port": None, "start": False}


def pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def main():
    proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1)
    state = STATE
    first, last, group = {}, {}, {}

    def ours(p, info):
        """p descends from the command this script runs"""
        for _ in range(64):
            if p == proc.pid:
                return True
            if p not in info:
                return False
            p = info[p][0]
        return False

    def sampler():
        while not state["start"]:
            if proc.poll() is not None:
                return
            time.sleep(0.05)
        seen_sched, initial = False, True
        db, t_start, next_poll = None, time.time(), 0.0
        while True:
            allp = pids()
            info = {p: stat(p) for p in allp}
            info = {p: v for p, v in info.items() if v}
            pm = [p for p in allp if state["tmp"] and "postgres -D " + state["tmp"] in cmdline(p)]
            # this run's benchmark only: another worktree's bench_scheduler (and its
            # schedulers) may run on the same machine at the same time
            bench = [p for p, v in info.items() if v[2] == "bench_scheduler" and ours(p, info)]
            redis = [p for p in allp if state["redis_port"] and
                     cmdline(p).startswith("redis-server") and
                     cmdline(p).rstrip().endswith(":" + state["redis_port"])]
            nsched = 0
            for p, (ppid, cpu, comm) in info.items():
                g = None
                if p in pm or ppid in pm:
                    g = "postgres"
                elif ppid in bench and comm.startswith(("scheduler", "huifang-sched")):
                    g = "schedulers"
                    nsched += 1
                elif p in redis:
                    g = "redis"
                if g is None:
                    continue
                group[p] = g
                first.setdefault(p, cpu if initial else 0.0)  # a later one: all in the window
                last[p] = cpu
            if initial and STATS:
                psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements;"
                     " SELECT pg_stat_statements_reset()")
            top = [p for p in bench if info[p][0] not in bench]  # not a forked child of it
            if initial and top:
                db = f"it_bench_sched_{top[0]}"
                state["before"] = window_stats(db)
            initial = False
            if db and time.time() >= next_poll and nsched:
                next_poll = time.time() + 1.0
                w = [l for l in psql(WORKERS_SQL, db).splitlines()[1:]
                     if l.strip() and not l.startswith("(")]
                if w:
                    state.setdefault("workers", []).append(f"{time.time() - t_start:.0f}: {w[0]}")
            if nsched:
                seen_sched = True
            elif seen_sched:
                if db:
                    state["after"] = window_stats(db)
                if STATS:
                    n = int(os.environ.get("BENCH_TASKS", "1000000"))
                    state["statements"] = psql(
                        "SELECT round((total_exec_time * 1000 / %d)::numeric, 2) AS us_a_task,"
                        " calls, rows, shared_blks_hit + shared_blks_read AS blocks,"
                        " wal_records, left(regexp_replace(query, '\\s+', ' ', 'g'), 110)"
                        " FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 14" % n)
                return
            time.sleep(0.2)

    t = threading.Thread(target=sampler, daemon=True)
    t.start()
    t0 = None
    for line in proc.stdout:
        sys.stdout.write(line)
        m = re.search(r"PostgreSQL on 127\.0\.0\.1:(\d+), Redis on 127\.0\.0\.1:(\d+) \(in (\S+)\)",
                      line)
        if m:
            state["pg_port"], state["redis_port"], state["tmp"] = m.groups()
        if "vacuumed the task table" in line and not state["start"]:
            state["start"] = True
            t0 = time.time()
    rc = proc.wait()
    t.join(timeout=5)
    tasks = int(os.environ.get("BENCH_TASKS", "1000000"))
    sums = {}
    for p, g in group.items():
        sums[g] = sums.get(g, 0.0) + last[p] - first[p]
    total = sum(sums.values())
    print(f"cpu in the window ({time.time() - t0 if t0 else 0:.0f} s of wall time):" +
          "".join(f" {g} {sums.get(g, 0):.1f} s," for g in ("postgres", "schedulers", "redis")) +
          f" all {total:.1f} s, {total * 1e6 / tasks:.1f} us a task ({tasks} tasks)")
    if state.get("before") and state.get("after"):
        print(report_window(state["before"], state["after"], state.get("workers", [])))
    if state.get("statements"):
        print("statements in the window (Postgres time a task, µs):\n" + state["statements"])
    sys.exit(rc)


main()
