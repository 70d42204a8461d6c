#!/usr/bin/env python3
"""A Huifang event-stream consumer for analysts: every event of every producer, in order,
exactly once, resuming where it stopped.

It does what the services themselves do (see README.md, "The event stream"):

  * subscribes (ZeroMQ SUB) to each producer's PUB socket -- before anything else, so that
    nothing published meanwhile is lost;
  * asks each producer's ROUTER for a replay (Request.replay) of what it missed since the
    last sequence it stored, in batches, until it reaches the producer's last sequence;
  * then follows the live stream, and whenever an event skips a sequence number, or a
    heartbeat announces a sequence it has not seen, fills the gap with another replay;
  * writes each event as one JSON line to stdout and, after each one, the last sequence per
    producer to --state (atomically), so that a restart resumes with the next event.

Needs Debian's python3-zmq and python3-protobuf, and the Python protobuf modules generated
from proto/ by protoc (protobuf-compiler): this script generates them into a cache folder on
first use when they cannot be imported.

    consumer.py --state /var/lib/me/huifang.json               # follow, resume across runs
    consumer.py --from-seq 1 --topic calllog. --idle-exit 2    # everything so far, then stop

Endpoints are found the way the services find each other: HUIFANG_<SERVICE>_ENDPOINT and
HUIFANG_<SERVICE>_EVENTS, else tcp://127.0.0.1:<HUIFANG_PORT_BASE + offset>.

Every socket is a CURVE client, like the services' own (see the top README, "Keys"): the
consumer's keypair is NAME.key/NAME.pub in HUIFANG_KEYS_DIR (NAME from HUIFANG_CURVE_NAME,
default "consumer"; `huifang keys gen --dir DIR consumer` makes it, and its .pub must be in
the services' keys directory), and each producer's public key is <producer>.pub there.
HUIFANG_CURVE=off talks in clear text to services that run with it off (benchmarks only).
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import zmq

PRODUCERS = {"intake": 1, "scheduler": 11, "calllog": 21, "complaint": 31}
REPLAY_BATCH = 500


def load_protos(proto_dir, cache_dir):
    """Imports huifang.v1.wire_pb2, generating the modules with protoc when needed."""
    try:
        from huifang.v1 import wire_pb2  # noqa: F401  (already on the path)
        return wire_pb2
    except ImportError:
        pass
    os.makedirs(cache_dir, exist_ok=True)
    sources = sorted(os.path.join(proto_dir, "huifang", "v1", f)
                     for f in os.listdir(os.path.join(proto_dir, "huifang", "v1"))
                     if f.endswith(".proto"))
    newest = max(os.path.getmtime(s) for s in sources)
    stamp = os.path.join(cache_dir, ".generated")
    if not os.path.exists(stamp) or os.path.getmtime(stamp) < newest:
        # generate beside, then move into place: a concurrent run never sees half a package
        tmp = tempfile.mkdtemp(dir=cache_dir)
        subprocess.run(["protoc", "--python_out=" + tmp, "-I", proto_dir] + sources, check=True)
        for root, _, files in os.walk(tmp):
            for f in files:
                rel = os.path.relpath(os.path.join(root, f), tmp)
                os.makedirs(os.path.dirname(os.path.join(cache_dir, rel)), exist_ok=True)
                os.replace(os.path.join(root, f), os.path.join(cache_dir, rel))
        open(stamp, "w").close()
    sys.path.insert(0, cache_dir)
    from huifang.v1 import wire_pb2
    return wire_pb2


def read_key(path):
    """A Z85 key file (40 characters) as bytes."""
    with open(path) as f:
        key = f.read().strip()
    if len(key) != 40:
        raise SystemExit("consumer.py: %s does not hold a Z85 CURVE key" % path)
    return key.encode()


class Curve:
    """This consumer's CURVE identity, applied to each socket before it connects."""

    def __init__(self):
        self.on = os.environ.get("HUIFANG_CURVE", "on") != "off"
        if not self.on:
            sys.stderr.write("consumer.py: warning: HUIFANG_CURVE=off, clear text\n")
            return
        self.dir = os.environ.get("HUIFANG_KEYS_DIR", "")
        if not self.dir:
            raise SystemExit("consumer.py: HUIFANG_KEYS_DIR is not set (CURVE keys directory; "
                             "see `huifang keys gen`)")
        name = os.environ.get("HUIFANG_CURVE_NAME") or "consumer"
        secret_path = os.path.join(self.dir, name + ".key")
        if os.stat(secret_path).st_mode & 0o077:
            raise SystemExit("consumer.py: %s may be read by group or others: chmod 600 it"
                             % secret_path)
        self.public = read_key(os.path.join(self.dir, name + ".pub"))
        self.secret = read_key(secret_path)

    def client(self, sock, producer):
        """Makes sock's next connection a CURVE client of producer."""
        if not self.on:
            return
        sock.curve_serverkey = read_key(os.path.join(self.dir, producer + ".pub"))
        sock.curve_publickey = self.public
        sock.curve_secretkey = self.secret


def endpoint(service, kind):
    """kind: ENDPOINT (commands) or EVENTS."""
    value = os.environ.get("HUIFANG_%s_%s" % (service.upper(), kind))
    if value:
        return value
    base = int(os.environ.get("HUIFANG_PORT_BASE", "7100"))
    return "tcp://127.0.0.1:%d" % (base + PRODUCERS[service] + (1 if kind == "EVENTS" else 0))


class Consumer:
    def __init__(self, wire, args):
        self.wire = wire
        self.args = args
        self.ctx = zmq.Context()
        self.curve = Curve()
        self.last = {p: 0 for p in PRODUCERS}
        if args.state and os.path.exists(args.state):
            with open(args.state) as f:
                self.last.update(json.load(f))
        if args.from_seq is not None:
            self.last = {p: max(args.from_seq - 1, 0) for p in PRODUCERS}
        self.printed = 0
        self.done = False

    # ---- output and position ----

    def save(self):
        if not self.args.state:
            return
        tmp = self.args.state + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.last, f)
        os.replace(tmp, self.args.state)

    def deliver(self, env):
        """Applies one event in sequence order: print it (if it matches) and move on."""
        self.last[env.producer] = env.seq
        payload = env.WhichOneof("payload")
        topic = "%s.%s/%s" % (env.producer, payload, env.branch)
        if topic.startswith(self.args.topic):
            from google.protobuf import json_format
            body = json_format.MessageToDict(getattr(env, payload),
                                             preserving_proto_field_name=True)
            line = {"producer": env.producer, "seq": env.seq, "topic": topic,
                    "occurred_at_ms": env.occurred_at_ms, "branch": env.branch,
                    "payload": payload, payload: body}
            sys.stdout.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
            sys.stdout.flush()
            self.printed += 1
            if self.args.count and self.printed >= self.args.count:
                self.done = True
        self.save()

    # ---- replay: what we missed ----

    def replay(self, producer):
        """Fetches and delivers producer's events after the last one we have."""
        while not self.done:
            req = self.wire.Request()
            req.request_id = "consumer-%d-%d" % (os.getpid(), time.monotonic_ns())
            req.replay.from_seq = self.last[producer] + 1
            req.replay.limit = REPLAY_BATCH
            reply = self.call(producer, req)
            seen = self.last[producer]
            for raw in reply.replay.envelopes:
                env = self.wire.Envelope()
                env.ParseFromString(raw)
                if env.seq == self.last[producer] + 1:
                    self.deliver(env)
                seen = max(seen, env.seq)
                if self.done:
                    return
            # a producer may cap a batch below our limit: its last sequence says when to stop
            if not reply.replay.envelopes or seen >= reply.replay.last_seq:
                return

    def call(self, producer, req):
        """One request over a fresh REQ socket, retried (the lazy pirate pattern)."""
        for _ in range(3):
            sock = self.ctx.socket(zmq.REQ)
            sock.setsockopt(zmq.LINGER, 0)
            self.curve.client(sock, producer)
            sock.connect(endpoint(producer, "ENDPOINT"))
            sock.send(req.SerializeToString())
            if sock.poll(self.args.timeout_ms):
                reply = self.wire.Reply()
                reply.ParseFromString(sock.recv())
                sock.close()
                if reply.status != 0:
                    raise SystemExit("consumer: %s refused the replay: %s" % (producer, reply.error))
                return reply
            sock.close()
        raise SystemExit("consumer: the %s service at %s did not answer"
                         % (producer, endpoint(producer, "ENDPOINT")))

    # ---- the live stream ----

    def run(self):
        sub = self.ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        # everything (heartbeats included), so gaps are seen; --topic filters the output
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        for p in PRODUCERS:
            # a connection takes the socket's options as they are when it is made: each
            # producer's own server key
            self.curve.client(sub, p)
            sub.connect(endpoint(p, "EVENTS"))
        for p in PRODUCERS:
            self.replay(p)
        idle_since = time.monotonic()
        while not self.done:
            if not sub.poll(200):
                if self.args.idle_exit and time.monotonic() - idle_since >= self.args.idle_exit:
                    break
                continue
            frames = sub.recv_multipart()
            if len(frames) != 2:
                continue
            env = self.wire.Envelope()
            env.ParseFromString(frames[1])
            p = env.producer
            if p not in PRODUCERS:
                continue
            if env.WhichOneof("payload") == "heartbeat":
                if env.heartbeat.last_seq > self.last[p]:
                    self.replay(p)  # the tail of the stream was lost
                continue
            idle_since = time.monotonic()
            if env.seq <= self.last[p]:
                continue  # the replay delivered it already
            if env.seq > self.last[p] + 1:
                self.replay(p)  # a gap: fetch what is missing, this one included
            else:
                self.deliver(env)
        sub.close()
        self.ctx.term()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--state", help="file keeping the last sequence per producer (resume)")
    ap.add_argument("--from-seq", type=int, help="start every producer at this sequence")
    ap.add_argument("--topic", default="", help="print only topics starting with this prefix")
    ap.add_argument("--count", type=int, default=0, help="stop after printing this many")
    ap.add_argument("--idle-exit", type=float, default=0,
                    help="stop after this many seconds without events (0: follow forever)")
    ap.add_argument("--timeout-ms", type=int, default=3000, help="per try of a replay")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--proto", default=os.path.join(here, "..", "..", "..", "proto"),
                    help="the proto/ folder (default: the repository's)")
    ap.add_argument("--cache", default=os.path.join(tempfile.gettempdir(),
                                                    "huifang-py-%d" % os.getuid()),
                    help="where generated Python modules are kept")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    wire = load_protos(os.path.abspath(args.proto), args.cache)
    try:
        Consumer(wire, args).run()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
