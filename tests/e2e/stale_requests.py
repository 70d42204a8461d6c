"""Requests whose sender gives up while they queue (e2e/264), seen from a raw ZeroMQ client:
stale_requests.py FREEZE_PID ENDPOINT SERVER BOUND_MS LATE_MS TOKEN BRANCH REQUEST...

Connects to the service SERVER at ENDPOINT with the CLI's key (cli in $HUIFANG_KEYS_DIR) and
has a ping answered, so the connection's handshake is done (a frozen process makes none: a
fresh client's request would never reach it). Then freezes the process FREEZE_PID (SIGSTOP;
the service itself, or a peer it asks), sends each REQUEST with Request.answer_by_ms BOUND_MS
from now on the real clock (0: no bound, as an older client), waits until the real clock is
LATE_MS past the last bound (the requests are then as stale as a timed-out try of hf_client,
whose sender resent it on a fresh socket long ago), thaws FREEZE_PID (SIGCONT) and prints the
replies, one line each in the order sent: "STATUS ERROR" ("none" when none came within 30 s).

REQUEST: task_next:AGENT:KEY | call_log:TASK_ID:OUTCOME:KEY (KEY: the idempotency key)."""
import os, signal, sys, time, zmq


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_bytes(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


def field_str(num, s):
    return field_bytes(num, s.encode())


def field_int(num, n):
    return varint(num << 3) + varint(n)


def read_varint(buf, i):
    """The varint at buf[i]: (its value, the index after it)."""
    n, shift = 0, 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def parse(buf):
    """The top-level fields of a message: {number: last value} (varints and bytes only)."""
    fields, i = {}, 0
    while i < len(buf):
        key, i = read_varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            fields[num], i = read_varint(buf, i)
        elif wt == 2:
            n, i = read_varint(buf, i)
            fields[num] = buf[i:i + n]
            i += n
        elif wt == 1:
            i += 8
        elif wt == 5:
            i += 4
        else:
            raise ValueError("wire type %d" % wt)
    return fields


def now_ms():
    return time.time_ns() // 1000000


pid, endpoint, server = int(sys.argv[1]), sys.argv[2], sys.argv[3]
bound_ms, late_ms, token, branch = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7]
keys = os.environ["HUIFANG_KEYS_DIR"]
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.linger = 0
sec = open(os.path.join(keys, "cli.key")).read().strip().encode()
s.curve_serverkey = open(os.path.join(keys, server + ".pub")).read().strip().encode()
s.curve_publickey, s.curve_secretkey = zmq.curve_public(sec), sec
s.connect(endpoint)
s.send_multipart([b"", field_str(1, "warm-up") + field_bytes(10, b"")])
if not s.poll(10000):
    sys.exit("no answer to the warm-up ping from %s" % endpoint)
s.recv_multipart()

os.kill(pid, signal.SIGSTOP)
thawed = False
try:
    ids, last_bound = [], 0
    for n, spec in enumerate(sys.argv[8:]):
        parts = spec.split(":")
        rid = "stale-%d-%d" % (os.getpid(), n)
        body = field_str(1, rid) + field_str(2, parts[-1]) + field_str(3, branch) + field_str(6, token)
        if parts[0] == "task_next":
            body += field_str(4, parts[1]) + field_bytes(41, field_str(1, parts[1]))
        elif parts[0] == "call_log":
            body += field_bytes(60, field_int(1, int(parts[1])) + field_str(2, parts[2]))
        else:
            sys.exit("unknown request %s" % spec)
        bound = now_ms() + bound_ms if bound_ms > 0 else 0
        if bound:
            body += field_int(7, bound)
            last_bound = bound
        s.send_multipart([b"", body])
        ids.append(rid.encode())
    while now_ms() <= last_bound + late_ms:
        time.sleep(0.02)
    os.kill(pid, signal.SIGCONT)
    thawed = True
    replies, deadline = {}, time.monotonic() + 30
    while len(replies) < len(ids) and time.monotonic() < deadline:
        if s.poll(100):
            f = parse(s.recv_multipart()[-1])
            replies[bytes(f.get(1, b""))] = f
    for rid in ids:
        f = replies.get(rid)
        if f is None:
            print("none")
        else:
            print(f.get(2, 0), bytes(f.get(3, b"")).decode(errors="replace"))
finally:
    if not thawed:
        os.kill(pid, signal.SIGCONT)
