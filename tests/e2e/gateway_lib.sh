# shellcheck shell=bash
# shellcheck disable=SC2034 # GW_* are read by the tests that source this file
# tests/e2e/gateway_lib.sh: sourced (after lib.sh) by the tests of huifang-gateway. A branch
# BJ01 with a phone agent A001 (password agent-pass-1), a manager M001 (manager-pass-1), a
# branch SH01 with an agent S001 and a customer of its own; in BJ01 a customer who bought a
# 30-day product, whose day-10 care call is in A001's bag once the clock moved there.
#
# gw_api METHOD PATH [BODY [CURL_ARGS...]]: one request through the gateway with the cookie
# jar of GW_PERSON (the CSRF token GW_CSRF in X-CSRF-Token when set); leaves the status in
# GW_STATUS, the body in GW_BODY and the response headers in GW_HEADERS. A body goes as
# application/json unless GW_TYPE says otherwise.

gw_prepare() {
    HF_CLOCK_START=${HF_CLOCK_START:-'2026-11-02 10:00 +0800'}
    hf_stack_start
    export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai
    hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --tz Asia/Shanghai \
        --windows 09:00-12:00,14:00-20:00 --lead-plans none
    hf_expect_exit 0 huifang branch add SH01 --name Shanghai --tz Asia/Shanghai --lead-plans none
    hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 40
    hf_expect_exit 0 huifang agent add M001 --name 'Zhao Min' --role manager --regions chaoyang
    hf_expect_exit 0 huifang --branch SH01 agent add S001 --name 'Qian Yu' --role phone
    hf_expect_exit 0 huifang user add A001 --role phone --password-stdin <<<"agent-pass-1"
    hf_expect_exit 0 huifang user add M001 --role manager --password-stdin <<<"manager-pass-1"
    hf_expect_exit 0 huifang --branch SH01 user add S001 --role phone --password-stdin <<<"agent-pass-3"
    hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 \
        --plan monthly-course
    hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345678 \
        --channel counter --region chaoyang
    GW_CUSTOMER=$(hf_json_get "$HF_OUT" customer.id)
    hf_expect_exit 0 huifang --json purchase add --customer "$GW_CUSTOMER" --product VC30 --quantity 1
    hf_expect_exit 0 huifang --branch SH01 --json lead add --name 'Zhou Jie' --phone 13700001111 --channel counter
    GW_SH_CUSTOMER=$(hf_json_get "$HF_OUT" customer.id)
    # day 10: the care call lands in A001's bag
    hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_started --count 1 --no-follow | grep -q plan_started"
    hf_expect_exit 0 huifang clock advance 10d
    hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -q '\"purpose\":\"care\"'"
    hf_expect_exit 0 huifang --json worklist --agent A001
    GW_CARE=$(hf_json_get "$(head -n 1 <<<"$HF_OUT")" id)
    hf_gateway_start
}

GW_PERSON=nobody
GW_CSRF=""
gw_api() {
    local method=$1 path=$2 body=${3-} args=()
    shift 3 2>/dev/null || shift $#
    args=(-sS -o "$HF_E2E_TMP/gw.body" -D "$HF_E2E_TMP/gw.headers" -w '%{http_code}'
        -b "$HF_E2E_TMP/jar.$GW_PERSON" -c "$HF_E2E_TMP/jar.$GW_PERSON" -X "$method")
    [[ -n $GW_CSRF ]] && args+=(-H "X-CSRF-Token: $GW_CSRF")
    if [[ -n $body ]]; then
        args+=(-H "Content-Type: ${GW_TYPE:-application/json}" --data-binary "$body")
    fi
    GW_STATUS=$(curl "${args[@]}" "$@" "$HF_GATEWAY_URL$path") || hf_fail "curl $method $path failed"
    GW_BODY=$(<"$HF_E2E_TMP/gw.body")
    GW_HEADERS=$(<"$HF_E2E_TMP/gw.headers")
}

# gw_expect STATUS WHAT: the last gw_api answered STATUS.
gw_expect() {
    [[ $GW_STATUS == "$1" ]] || hf_fail "$2: expected HTTP $1, got $GW_STATUS: $GW_BODY"
}

# gw_login PERSON PASSWORD: signs PERSON in (own cookie jar) and keeps the CSRF token.
gw_login() {
    GW_PERSON=$1
    GW_CSRF=""
    gw_api POST /api/v1/session "{\"login\":\"$1\",\"password\":\"$2\"}"
    gw_expect 200 "login of $1"
    GW_CSRF=$(hf_json_get "$GW_BODY" csrf_token)
}

# gw_node_ready: the npm packages of tests/browser (playwright-core, swagger-parser) installed
# with `npm ci` from the committed lockfile into the build folder (npm's cache may serve them
# offline), once per lockfile; sets GW_NODE_DIR, where the test scripts are copied to run.
gw_node_ready() {
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        hf_fail "node and npm are needed for the console's tests (Debian: nodejs, npm)"
    fi
    GW_NODE_DIR=$(cd "$HF_BIN/.." && pwd)/browser-tests
    mkdir -p "$GW_NODE_DIR"
    (
        flock 9
        cd "$GW_NODE_DIR"
        if ! cmp -s "$HF_SOURCE/tests/browser/package-lock.json" package-lock.json || [[ ! -d node_modules ]]; then
            cp "$HF_SOURCE/tests/browser/package.json" "$HF_SOURCE/tests/browser/package-lock.json" .
            # the system's certificate authorities too (Node trusts only its own list
            # otherwise): a machine behind a proxy with its own CA reaches the registry
            if [[ -z ${NODE_EXTRA_CA_CERTS:-} && -r /etc/ssl/certs/ca-certificates.crt ]]; then
                export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
            fi
            npm ci --prefer-offline --no-audit --no-fund --loglevel=error >&2
        fi
        cp "$HF_SOURCE"/tests/browser/*.mjs "$HF_SOURCE"/tests/browser/echarts-entry.js .
    ) 9>"$GW_NODE_DIR.lock" || hf_fail "npm ci in $GW_NODE_DIR failed"
}
