#!/usr/bin/env bash
# A customer's contacts (issue 12, the console's customer timeline): calllog's contact_list,
# `huifang contact list --customer ID` and GET /api/v1/customers/{id}/contacts. Newest first,
# bounded (limit 1..200, before_id pages on), of the request's branch only (another branch's
# customer is not found), audited as a read of the customer's personal data, masked for hq;
# bad input names the field and changes nothing.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=gateway_lib.sh
source "$(dirname "$0")/gateway_lib.sh"

gw_prepare
hf_expect_exit 0 huifang user add Q001 --role hq --branches BJ01,SH01 --password-stdin <<<"hq-pass-1"
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }

# ---- nothing yet -------------------------------------------------------------------------------
hf_expect_exit 0 huifang --json contact list --customer "$GW_CUSTOMER"
hf_expect_eq "" "$HF_OUT" "no contacts before the first call"

# ---- the agent works the care call in the console -------------------------------------------------
note='Feels better; her son 13912345678 asks for a second box'
gw_login A001 agent-pass-1
gw_api POST /api/v1/tasks/next '{}'
gw_expect 200 "the next call"
hf_expect_eq "$GW_CARE" "$(hf_json_get "$GW_BODY" task.id)" "the care call"
gw_api POST /api/v1/calls "{\"task_id\":$GW_CARE,\"outcome\":\"connected\",\"effect\":\"good\",\"order_qty\":2,\"note\":\"$note\"}"
gw_expect 200 "the outcome logged"
contact=$(hf_json_get "$GW_BODY" id)

# the gateway's list: the contact, with its note (the agent's own branch)
gw_api GET "/api/v1/customers/$GW_CUSTOMER/contacts"
gw_expect 200 "the customer's contacts"
hf_expect_eq "$contact" "$(hf_json_get "$GW_BODY" contacts.0.id)" "the contact just logged"
hf_expect_eq "$note" "$(hf_json_get "$GW_BODY" contacts.0.note)" "with its note"
hf_expect_eq connected "$(hf_json_get "$GW_BODY" contacts.0.outcome)" "and its outcome"
hf_expect_eq true "$(hf_json_get "$GW_BODY" contacts.0.flags.contacted)" "the outcome's flags"
hf_expect_eq 1 "$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])["contacts"]))' "$GW_BODY")" "one contact"
hf_expect_eq false "$(hf_json_get "$GW_BODY" more)" "no older ones"
hf_expect_eq 1 "$(sql "SELECT count(*) FROM audit.access WHERE command = 'contact_list' AND actor = 'A001' AND customers @> '{$GW_CUSTOMER}'")" \
    "the read audited, naming the customer"

# the CLI: the same, as a table and as JSON; pages
hf_expect_exit 0 huifang --json contact list --customer "$GW_CUSTOMER"
hf_expect_eq "$contact" "$(hf_json_get "$HF_OUT" id)" "contact list --json"
hf_expect_exit 0 huifang contact list --customer "$GW_CUSTOMER"
hf_expect_contains "$HF_OUT" "CONTACT" "the table's heading"
hf_expect_contains "$HF_OUT" "connected" "the outcome in the table"
hf_expect_exit 0 huifang --json contact list --customer "$GW_CUSTOMER" --before "$contact"
hf_expect_eq "" "$HF_OUT" "nothing older than the first contact"
gw_api GET "/api/v1/customers/$GW_CUSTOMER/contacts?limit=1&before_id=$((contact + 1))"
gw_expect 200 "a page of one"
hf_expect_eq "$contact" "$(hf_json_get "$GW_BODY" contacts.0.id)" "the page"

# ---- bad input: the field named, nothing read -----------------------------------------------------
audits=$(sql "SELECT count(*) FROM audit.access WHERE command = 'contact_list'")
gw_api GET "/api/v1/customers/0/contacts"
gw_expect 400 "customer 0"
hf_expect_eq customer_id "$(hf_json_get "$GW_BODY" field)" "names customer_id"
gw_api GET "/api/v1/customers/$GW_CUSTOMER/contacts?limit=500"
gw_expect 400 "a limit over 200"
hf_expect_eq limit "$(hf_json_get "$GW_BODY" field)" "names limit"
gw_api GET "/api/v1/customers/$GW_CUSTOMER/contacts?before_id=-3"
gw_expect 400 "a negative before_id"
hf_expect_eq before_id "$(hf_json_get "$GW_BODY" field)" "names before_id"
gw_api GET "/api/v1/customers/$GW_CUSTOMER/contacts?colour=red"
gw_expect 400 "an unknown argument"
hf_expect_eq colour "$(hf_json_get "$GW_BODY" field)" "names it"
gw_api GET "/api/v1/customers/abc/contacts"
gw_expect 400 "a customer id that is not a number"
gw_api POST "/api/v1/customers/$GW_CUSTOMER/contacts" '{}'
gw_expect 405 "a list is read only"
hf_expect_exit 2 huifang contact list
hf_expect_contains "$HF_ERR" "--customer" "the CLI names the missing option"
hf_expect_exit 2 huifang contact list --customer "$GW_CUSTOMER" --limit 0
hf_expect_eq "$audits" "$(sql "SELECT count(*) FROM audit.access WHERE command = 'contact_list'")" \
    "refused reads are not audited"

# ---- branches: another branch's customer is not found, either way ---------------------------------
hf_wait_until 20 bash -c "huifang contact list --customer $GW_SH_CUSTOMER >/dev/null 2>&1; test \$? -eq 3"
gw_api GET "/api/v1/customers/$GW_SH_CUSTOMER/contacts"
gw_expect 404 "SH01's customer from BJ01"
gw_login S001 agent-pass-3
gw_api GET "/api/v1/customers/$GW_CUSTOMER/contacts"
gw_expect 404 "BJ01's customer from SH01"

# ---- roles: a manager reads them; hq reads them masked ---------------------------------------------
gw_login M001 manager-pass-1
gw_api GET "/api/v1/customers/$GW_CUSTOMER/contacts"
gw_expect 200 "a manager"
hf_expect_eq "$note" "$(hf_json_get "$GW_BODY" contacts.0.note)" "the manager sees the note"
gw_login Q001 hq-pass-1
gw_api GET "/api/v1/customers/$GW_CUSTOMER/contacts?branch=BJ01"
gw_expect 200 "hq"
hq_note=$(hf_json_get "$GW_BODY" contacts.0.note)
[[ -n $hq_note && $hq_note != "$note" && $hq_note != *13912345678* ]] ||
    hf_fail "hq got the note unmasked: $hq_note"
hf_expect_eq "$contact" "$(hf_json_get "$GW_BODY" contacts.0.id)" "hq sees the contact itself"
