# shellcheck shell=bash
# tests/e2e/calllog_lib.sh: helpers of the call-log scenarios (3NN_*.sh), sourced after
# lib.sh. Each reads many JSON fields with ONE python3 start, where hf_json_get would start
# one per field. They prefer the system's interpreter: a version manager's shim can take half
# a second to start.
CL_PYTHON=python3
if [[ -x /usr/bin/python3 ]]; then
    CL_PYTHON=/usr/bin/python3
fi

# cl_json_expect JSON PATH WANT [PATH WANT...]: fails the test unless every PATH (as in
# hf_json_get: dot-separated keys and list indexes; JSON lines read as a list) holds WANT
# (strings compared raw, everything else as compact JSON: true, 2, "").
cl_json_expect() {
    local out rc=0
    out=$("$CL_PYTHON" -c '
import json, sys
text, pairs = sys.argv[1], sys.argv[2:]
try:
    value = json.loads(text)
except ValueError:
    try:
        value = [json.loads(l) for l in text.splitlines() if l.strip()]
    except ValueError as e:
        sys.exit("not JSON (%s): %r" % (e, text[:300]))
bad = []
for path, want in zip(pairs[0::2], pairs[1::2]):
    v = value
    try:
        for k in [k for k in path.split(".") if k != ""]:
            v = v[int(k)] if isinstance(v, list) else v[k]
    except (KeyError, IndexError, ValueError, TypeError):
        bad.append("%s: missing, want %r" % (path, want))
        continue
    got = v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
    if got != want:
        bad.append("%s: got %r, want %r" % (path, got, want))
if bad:
    sys.exit("\n".join(bad) + "\nin: " + text[:1500])
' "$@" 2>&1) || rc=$?
    ((rc == 0)) || hf_fail "JSON fields differ:
$out"
}

# cl_json_values JSON PATH...: prints the values at PATHs, one per line (read them with
# `mapfile -t v <<<"$(cl_json_values ...)"`); fails the test when one is missing.
cl_json_values() {
    "$CL_PYTHON" -c '
import json, sys
text = sys.argv[1]
try:
    value = json.loads(text)
except ValueError:
    value = [json.loads(l) for l in text.splitlines() if l.strip()]
for path in sys.argv[2:]:
    v = value
    for k in [k for k in path.split(".") if k != ""]:
        v = v[int(k)] if isinstance(v, list) else v[k]
    print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
' "$@" || hf_fail "cl_json_values: no ${*:2} in ${1:0:300}"
}

# cl_wait_product CODE: waits until the call log's copy of intake's products knows CODE
# (an order of an unknown product is bad input, exit 2; for a known one the unknown task is
# next: not found, exit 3).
cl_wait_product() {
    hf_wait_until 10 bash -c "huifang --as nobody call log --task 999999999 --outcome connected --order 1 --order-product $1 >/dev/null 2>&1; test \$? -eq 3"
}

# cl_wait_supervisor ID: waits until the call log's copy of intake's agents knows supervisor ID
# (scoring an unknown contact is "not found" for a supervisor, "not allowed" for others).
cl_wait_supervisor() {
    hf_wait_until 10 bash -c "huifang --as $1 call review score 999999999 --score 3 2>&1 | grep -q 'no contact 999999999'"
}

# cl_json_get JSON PATH: hf_json_get with the faster interpreter.
cl_json_get() {
    cl_json_values "$1" "$2"
}
