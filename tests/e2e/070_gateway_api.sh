#!/usr/bin/env bash
# The web console's HTTP gateway (issue 12) through the real stack: sessions in an HttpOnly,
# SameSite=Strict cookie with a CSRF token on every change; each route a service's command,
# with the service's answer as the HTTP status; bad input (malformed JSON, an unknown field, a
# wrong type, a body over the cap, a header over the cap, another branch's record, a role not
# allowed) is a JSON error naming the reason, changes nothing, and the gateway keeps serving.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=gateway_lib.sh
source "$(dirname "$0")/gateway_lib.sh"

gw_prepare

# ---- the console and the API's description ----------------------------------------------------
gw_api GET /
gw_expect 200 "the console's page"
hf_expect_contains "$GW_HEADERS" "Content-Security-Policy: default-src 'self'" "no foreign scripts"
gw_api GET /api/v1/openapi.json
gw_expect 200 "the OpenAPI document"
hf_expect_eq 3 "$(hf_json_get "$GW_BODY" openapi | cut -c1)" "OpenAPI 3"
gw_api GET /../../etc/passwd
gw_expect 404 "no path out of the console's folder"

# ---- no session --------------------------------------------------------------------------------
gw_api GET /api/v1/worklist
gw_expect 401 "no session"
hf_expect_eq UNAUTHENTICATED "$(hf_json_get "$GW_BODY" status)" "the status by name"
gw_api GET /api/v1/session
gw_expect 401 "whoami without a session"

# ---- login -------------------------------------------------------------------------------------
GW_PERSON=A001
gw_api POST /api/v1/session '{"login":"A001","password":"wrong-password"}'
gw_expect 401 "a wrong password"
hf_expect_contains "$(hf_json_get "$GW_BODY" error)" "wrong login or password" "the reason"
[[ $GW_HEADERS != *Set-Cookie* ]] || hf_fail "a refused login set a cookie: $GW_HEADERS"
GW_TYPE=application/x-www-form-urlencoded gw_api POST /api/v1/session 'login=A001&password=agent-pass-1'
gw_expect 415 "a form post is not a login"
gw_api POST /api/v1/session '{"login":"A001","password":"agent-pass-1","remember":true}'
gw_expect 400 "an unknown field in a login"
hf_expect_eq remember "$(hf_json_get "$GW_BODY" field)" "the field named"
gw_login A001 agent-pass-1
cookie=$(grep -i '^Set-Cookie:' <<<"$GW_HEADERS" | tr -d '\r')
hf_expect_contains "$cookie" "hf_session=" "the session cookie"
hf_expect_contains "$cookie" "HttpOnly" "not readable by scripts"
hf_expect_contains "$cookie" "SameSite=Strict" "not sent by other sites"
hf_expect_contains "$cookie" "Path=/" "for the whole console"
[[ $cookie != *Secure* ]] || hf_fail "Secure on plain HTTP: the browser would drop it"
[[ $cookie != *hf1.* ]] || hf_fail "the cookie holds the token itself: $cookie"
hf_expect_eq A001 "$(hf_json_get "$GW_BODY" session.login)" "signed in as A001"
hf_expect_eq phone "$(hf_json_get "$GW_BODY" session.role)" "with the role"
hf_expect_eq 32 "${#GW_CSRF}" "a 128-bit CSRF token"
gw_api GET /api/v1/session
gw_expect 200 "whoami"
hf_expect_eq "$GW_CSRF" "$(hf_json_get "$GW_BODY" csrf_token)" "the same CSRF token"
hf_expect_eq BJ01 "$(hf_json_get "$GW_BODY" session.branches.0)" "the branch"

# ---- the agent's day ---------------------------------------------------------------------------
gw_api GET /api/v1/worklist
gw_expect 200 "the worklist"
hf_expect_eq "$GW_CARE" "$(hf_json_get "$GW_BODY" tasks.0.id)" "today's bag holds the care call"
csrf=$GW_CSRF
GW_CSRF=""
gw_api POST /api/v1/tasks/next ''
gw_expect 403 "a change without the CSRF token"
hf_expect_eq X-CSRF-Token "$(hf_json_get "$GW_BODY" field)" "names the header"
GW_CSRF=0123456789abcdef0123456789abcdef
gw_api POST /api/v1/tasks/next ''
gw_expect 403 "a change with a wrong CSRF token"
GW_CSRF=$csrf
gw_api GET /api/v1/tasks/"$GW_CARE"
hf_expect_eq assigned "$(hf_json_get "$GW_BODY" task.state)" "nothing was claimed by the refused posts"
gw_api POST /api/v1/tasks/next ''
gw_expect 200 "the next call"
hf_expect_eq "$GW_CARE" "$(hf_json_get "$GW_BODY" task.id)" "the care call"
hf_expect_eq 13812345678 "$(hf_json_get "$GW_BODY" task.customer_phone)" "the number to dial, now"
hf_expect_eq "Wang Fang" "$(hf_json_get "$GW_BODY" customer.name)" "the customer's profile"
gw_api GET /api/v1/tasks/"$GW_CARE"
gw_expect 200 "task show"
hf_expect_eq claimed "$(hf_json_get "$GW_BODY" task.state)" "claimed"
gw_api GET /api/v1/tasks/abc
gw_expect 400 "a task id that is not a number"
hf_expect_eq id "$(hf_json_get "$GW_BODY" field)" "names the id"
gw_api GET /api/v1/tasks/999999
gw_expect 404 "no such task"

# ---- bad input to the call log: refused, nothing changed ---------------------------------------
gw_api POST /api/v1/calls '{"task_id": 1, "outcome": '
gw_expect 400 "malformed JSON"
hf_expect_contains "$(hf_json_get "$GW_BODY" error)" "malformed JSON" "the reason"
gw_api POST /api/v1/calls "{\"task_id\":$GW_CARE,\"outcome\":\"connected\",\"colour\":\"red\"}"
gw_expect 400 "an unknown field"
hf_expect_eq colour "$(hf_json_get "$GW_BODY" field)" "names the field"
hf_expect_contains "$(hf_json_get "$GW_BODY" error)" "unknown field colour" "and says so"
gw_api POST /api/v1/calls "{\"task_id\":\"$GW_CARE\",\"outcome\":\"connected\"}"
gw_expect 400 "a wrong type"
hf_expect_eq task_id "$(hf_json_get "$GW_BODY" field)" "names the field"
hf_expect_contains "$(hf_json_get "$GW_BODY" error)" "must be an integer" "and the type"
gw_api POST /api/v1/calls "{\"task_id\":$GW_CARE,\"outcome\":\"connected\",\"usage\":{\"dose\":2}}"
gw_expect 400 "a wrong type inside"
hf_expect_eq usage.dose "$(hf_json_get "$GW_BODY" field)" "names the nested field"
gw_api POST /api/v1/calls "{\"task_id\":$GW_CARE,\"outcome\":\"connected\",\"callback_at\":\"soon\"}"
gw_expect 400 "a time that is not one"
hf_expect_eq callback_at "$(hf_json_get "$GW_BODY" field)" "names the time field"
head -c 1100000 /dev/zero | tr '\0' ' ' >"$HF_E2E_TMP/big.json"
gw_api POST /api/v1/calls "@$HF_E2E_TMP/big.json"
gw_expect 413 "a body over the 1 MiB cap"
# a chunked body (no length declared) is cut at the cap too
gw_api POST /api/v1/calls "@$HF_E2E_TMP/big.json" -H 'Transfer-Encoding: chunked'
gw_expect 413 "a chunked body over the cap"
# one that goes on past twice the cap is cut: the connection closes, the gateway serves on
head -c 2200000 /dev/zero | tr '\0' ' ' >"$HF_E2E_TMP/huge.json"
status=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Expect:' -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
    --data-binary "@$HF_E2E_TMP/huge.json" "$HF_GATEWAY_URL/api/v1/calls" 2>/dev/null) || true
hf_expect_eq 000 "$status" "a body without end: the connection is closed"
gw_api GET /api/v1/session
gw_expect 200 "served on after that"
status=$(curl -sS -o /dev/null -w '%{http_code}' -H "X-Filler: $(head -c 40000 /dev/zero | tr '\0' a)" "$HF_GATEWAY_URL/api/v1/worklist")
hf_expect_eq 431 "$status" "headers over the cap"
gw_api GET /api/v1/tasks/"$GW_CARE"
hf_expect_eq claimed "$(hf_json_get "$GW_BODY" task.state)" "no bad input logged anything"

gw_api POST /api/v1/calls "{\"task_id\":$GW_CARE,\"outcome\":\"connected\",\"effect\":\"good\",\"note\":\"早饭后服用\",\"next_date\":\"2026-11-20\"}"
gw_expect 200 "the call logged"
hf_expect_eq connected "$(hf_json_get "$GW_BODY" outcome)" "the contact's outcome"
gw_api POST /api/v1/calls "{\"task_id\":$GW_CARE,\"outcome\":\"connected\"}"
gw_expect 409 "a second log of the same call"
hf_expect_eq CONFLICT "$(hf_json_get "$GW_BODY" status)" "the status by name"

# ---- customers: own branch, not another's -------------------------------------------------------
gw_api GET "/api/v1/customers?q=13812345678"
gw_expect 200 "customer find by phone"
hf_expect_eq "$GW_CUSTOMER" "$(hf_json_get "$GW_BODY" customers.0.id)" "found"
gw_api GET "/api/v1/customers?q=13812345678&colour=red"
gw_expect 400 "an unknown query argument"
hf_expect_eq colour "$(hf_json_get "$GW_BODY" field)" "names it"
gw_api GET /api/v1/customers/"$GW_CUSTOMER"
gw_expect 200 "customer show"
gw_api GET /api/v1/customers/"$GW_SH_CUSTOMER"
gw_expect 404 "a customer of another branch is not found"
gw_api GET "/api/v1/customers/$GW_CUSTOMER?branch=SH01"
gw_expect 403 "acting in another branch"
hf_expect_contains "$(hf_json_get "$GW_BODY" error)" "does not act in branch SH01" "names the branch"

# ---- roles: an agent approves no return -----------------------------------------------------------
gw_api POST /api/v1/returns/1/approve '{"reason":"ok"}'
gw_expect 403 "an agent on a manager's route"
hf_expect_contains "$(hf_json_get "$GW_BODY" error)" "return_decide needs the role manager or admin; A001 is phone" "names the role"
gw_api POST /api/v1/returns/1/approve '{"approve":false}'
gw_expect 400 "the route decides approve, not the body"
hf_expect_eq approve "$(hf_json_get "$GW_BODY" field)" "names it"
gw_api GET /api/v1/nowhere
gw_expect 404 "no such route"
gw_api DELETE /api/v1/worklist
gw_expect 405 "a method the route does not have"
hf_expect_contains "$GW_HEADERS" "Allow: GET" "says which"

# ---- a manager --------------------------------------------------------------------------------------
agent_csrf=$GW_CSRF
gw_login M001 manager-pass-1
gw_api GET "/api/v1/returns?pending=true"
gw_expect 200 "the return queue"
gw_api GET "/api/v1/reports/agent-daily?date=2026-11-12"
gw_expect 200 "a report"
hf_expect_eq agent-daily "$(hf_json_get "$GW_BODY" name)" "the report named"
gw_api GET "/api/v1/reports/no-such-report?date=2026-11-12"
gw_expect 400 "an unknown report"

# ---- logout -------------------------------------------------------------------------------------------
GW_PERSON=A001
GW_CSRF=""
gw_api DELETE /api/v1/session
gw_expect 403 "a logout without the CSRF token"
GW_CSRF=$agent_csrf
gw_api GET /api/v1/worklist
gw_expect 200 "still signed in"
old_cookie=$(awk '$6 == "hf_session" {print $7}' "$HF_E2E_TMP/jar.A001")
gw_api DELETE /api/v1/session
gw_expect 200 "logout"
gw_api GET /api/v1/worklist
gw_expect 401 "signed out"
gw_api GET /api/v1/session
gw_expect 401 "whoami after logout"
status=$(curl -sS -o /dev/null -w '%{http_code}' -b "hf_session=$old_cookie" "$HF_GATEWAY_URL/api/v1/worklist")
hf_expect_eq 401 "$status" "the old cookie, replayed, is worth nothing"

# ---- login attempts are limited per address (10 a minute; 5 used above) ------------------------------
GW_PERSON=guesser
limited=0
for i in $(seq 1 12); do
    gw_api POST /api/v1/session "{\"login\":\"A001\",\"password\":\"guess-$i\"}"
    if [[ $GW_STATUS == 429 ]]; then
        limited=$i
        break
    fi
    gw_expect 401 "guess $i"
done
((limited > 0 && limited <= 7)) || hf_fail "login attempts were not limited (limited at: $limited)"
hf_expect_contains "$GW_HEADERS" "Retry-After:" "says when to try again"

# ---- after all of that the gateway still serves, and never logged a secret ---------------------------
gw_api GET /
gw_expect 200 "the gateway keeps serving"
hf_service_check_alive gateway
if grep -qE 'agent-pass-1|manager-pass-1|guess-|hf1\.' "$HF_E2E_TMP/gateway.log"; then
    hf_fail "the gateway's log holds a password or a token"
fi

# ---- HTTPS: the gateway with a certificate of its own; the cookie is Secure ---------------------
hf_service_stop gateway
hf_expect_eq 0 "$HF_STOP_STATUS" "a clean stop on SIGTERM"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -keyout "$HF_E2E_TMP/tls.key" -out "$HF_E2E_TMP/tls.crt" 2>/dev/null || hf_fail "openssl could not make a certificate"
export HUIFANG_GATEWAY_TLS_CERT_FILE=$HF_E2E_TMP/tls.crt HUIFANG_GATEWAY_TLS_KEY_FILE=$HF_E2E_TMP/tls.key
hf_gateway_start
HF_GATEWAY_URL=https://$HUIFANG_GATEWAY_BIND
GW_PERSON=tls
gw_api POST /api/v1/session '{"login":"M001","password":"manager-pass-1"}' --cacert "$HF_E2E_TMP/tls.crt"
gw_expect 200 "a login over HTTPS"
hf_expect_contains "$(grep -i '^Set-Cookie:' <<<"$GW_HEADERS")" "Secure" "the cookie only goes back over HTTPS"
status=$(curl -sS -o /dev/null -w '%{http_code}' "http://$HUIFANG_GATEWAY_BIND/" 2>/dev/null) || true
[[ $status != 200 ]] || hf_fail "plain HTTP answered on the HTTPS port"
unset HUIFANG_GATEWAY_TLS_KEY_FILE
hf_service_stop gateway
hf_expect_exit 1 huifang-gateway
hf_expect_contains "$HF_ERR" "needs both HUIFANG_GATEWAY_TLS_CERT_FILE and HUIFANG_GATEWAY_TLS_KEY_FILE" "half a TLS configuration is refused"
hf_expect_exit 1 env HUIFANG_GATEWAY_TLS_CERT_FILE= HUIFANG_GATEWAY_BIND=localhost:80 huifang-gateway
hf_expect_contains "$HF_ERR" "HUIFANG_GATEWAY_BIND=localhost:80 is not address:port" "a bad address is refused"
