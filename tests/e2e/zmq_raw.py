"""A raw ZeroMQ client of a service, seen from outside the binaries (e2e/045 on tcp, e2e/229
on ipc): zmq_raw.py MODE ENDPOINT SERVER N [KEYNAME|random|plain] prints how many of N pings
(MODE ping), of one 50 MB message (MODE big), or of the messages a SUB got within 2 s (MODE
sub) came back. KEYNAME: a key of $HUIFANG_KEYS_DIR; random: a key made on the spot; plain:
no CURVE at all."""
import os, sys, time, zmq
mode, endpoint, server, n, who = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
keys = os.environ["HUIFANG_KEYS_DIR"]
ctx = zmq.Context()
s = ctx.socket(zmq.SUB if mode == "sub" else zmq.DEALER)
s.linger = 0
if who != "plain":
    if who == "random":
        pub, sec = zmq.curve_keypair()
    else:
        sec = open(os.path.join(keys, who + ".key")).read().strip().encode()
        pub = zmq.curve_public(sec)  # the .pub may be gone (rotation)
    s.curve_serverkey = open(os.path.join(keys, server + ".pub")).read().strip().encode()
    s.curve_publickey, s.curve_secretkey = pub, sec
s.connect(endpoint)
got = 0
if mode == "sub":
    s.setsockopt(zmq.SUBSCRIBE, b"")
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        if s.poll(100):
            s.recv_multipart()
            got += 1
elif mode == "big":
    s.send_multipart([b"", b"\x2a\x00" * (25 * 1024 * 1024)])
    # answered only if the service read it: wait as long as a ping may take
    if s.poll(3000):
        got = 1
else:
    ping = b"\x0a\x01x\x52\x00"  # Request{request_id: "x", ping: {}}
    for _ in range(n):
        s.send_multipart([b"", ping], flags=zmq.NOBLOCK)
    deadline = time.monotonic() + 3
    while got < n and time.monotonic() < deadline:
        if s.poll(100):
            s.recv_multipart()
            got += 1
print(got)
