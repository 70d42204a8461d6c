#!/usr/bin/env python3
"""The national day's watcher of the instances' /metrics, one process instead of a shell
pipeline a scrape (run.sh's monitor forked a bash, a cat, an awk and a date for every instance
every second, and its settle two scrapes and three awks twenty times a second: a profile of the
day found them at 4 % of the two cores, taken from the chain it measures).

  metrics_watch.py monitor OUT INST=PORT...
      every second, each instance's consumer lag (events, seconds, per producer) and outbox
      depth appended to OUT as "time instance producer kind value" lines (the lag report's
      input, as before); runs until killed
  metrics_watch.py settle TIMEOUT_S INST=PORT...
      returns once each instance has completed two rounds of its tick
      (huifang_timer_rounds_total{timer="tick"}) since the start and since the assignments
      (huifang_tasks_assigned_total, summed) last changed, polling every 50 ms; prints the
      assignments then; exit 1 after TIMEOUT_S without settling

Metric lines are read as Prometheus' text format: name{labels} value. A scrape that fails
(an instance restarting) counts as no lines, as the shell's did."""

import http.client
import re
import sys
import time

LAG = re.compile(r'^huifang_consumer_lag_(events|seconds)\{.*?producer="([^"]*)"')


def scrape(port):
    """The metric lines of one instance's /metrics ([] when it does not answer)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/metrics")
        body = conn.getresponse().read().decode("utf-8", "replace")
        conn.close()
    except (OSError, http.client.HTTPException):
        return []
    return [l for l in body.split("\n") if l and not l.startswith("#")]


def instances(args):
    out = []
    for a in args:
        name, _, port = a.partition("=")
        if not name or not port.isdigit():
            sys.exit("metrics_watch: %r: expected INSTANCE=PORT" % a)
        out.append((name, int(port)))
    return out


def monitor(path, insts):
    with open(path, "a", buffering=1) as out:
        while True:
            for name, port in insts:
                t = "%.6f" % time.time()
                for line in scrape(port):
                    key, _, value = line.rpartition(" ")
                    m = LAG.match(key)
                    if m:
                        out.write("%s %s %s %s %s\n" % (t, name, m.group(2), m.group(1), value))
                    elif key.startswith("huifang_outbox_depth_events"):
                        out.write("%s %s (outbox) events %s\n" % (t, name, value))
            time.sleep(1)


def state(insts):
    """(assignments summed, {instance: tick rounds})"""
    assigned, rounds = 0, {}
    for name, port in insts:
        for line in scrape(port):
            key, _, value = line.rpartition(" ")
            if key.startswith("huifang_timer_rounds_total{") and 'timer="tick"' in key:
                rounds[name] = int(float(value))
            elif key == "huifang_tasks_assigned_total" or key.startswith(
                "huifang_tasks_assigned_total{"
            ):
                assigned += int(float(value))
    return assigned, rounds


def settle(timeout, insts):
    deadline = time.monotonic() + timeout
    last, base = state(insts)
    while True:
        got, rounds = state(insts)
        if got != last:
            last, base = got, rounds
        elif all(rounds.get(n, 0) >= base.get(n, 0) + 2 for n, _ in insts):
            print(got)
            return 0
        if time.monotonic() > deadline:
            print("metrics_watch: the schedulers' ticks did not settle in %g s" % timeout,
                  file=sys.stderr)
            return 1
        time.sleep(0.05)


def main(argv):
    if len(argv) >= 3 and argv[0] == "monitor":
        monitor(argv[1], instances(argv[2:]))
    elif len(argv) >= 3 and argv[0] == "settle":
        return settle(float(argv[1]), instances(argv[2:]))
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
