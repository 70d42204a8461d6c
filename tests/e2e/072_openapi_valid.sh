#!/usr/bin/env bash
# The gateway's OpenAPI 3 document, as GET /api/v1/openapi.json serves it, validates (the
# swagger-parser validator from npm, every $ref resolved) and describes every route of the
# gateway's table (services/gateway/gw_api.c).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=gateway_lib.sh
source "$(dirname "$0")/gateway_lib.sh"

gw_node_ready
# the gateway alone: the document needs no service
hf_pick_slot
# its own CURVE key, as every client of the services has one (none is called here)
export HUIFANG_KEYS_DIR=$HF_E2E_TMP/keys
huifang keys gen --dir "$HUIFANG_KEYS_DIR" gateway >/dev/null
export HUIFANG_PORT_BASE
hf_gateway_start
hf_expect_exit 0 curl -sS -f -o "$HF_E2E_TMP/openapi.json" "$HF_GATEWAY_URL/api/v1/openapi.json"
hf_expect_exit 0 node "$GW_NODE_DIR/validate-openapi.mjs" "$HF_E2E_TMP/openapi.json"
hf_expect_contains "$HF_OUT" "valid: Huifang gateway API" "the validator's verdict"
# every route of the table is described, with its method
while read -r method pattern; do
    path=${pattern#/api/v1}
    got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sys.argv[3].lower() in d["paths"].get(sys.argv[2], {}))' \
        "$HF_E2E_TMP/openapi.json" "$path" "$method")
    hf_expect_eq True "$got" "$method $path is in the OpenAPI document"
done < <(grep -oE '\{"(GET|POST|PUT|PATCH|DELETE)", "/api/v1/[^"]*"' "$HF_SOURCE/services/gateway/gw_api.c" |
    sed -E 's/^\{"([A-Z]+)", "([^"]*)"$/\1 \2/')
# a broken document is caught (the test can fail)
# shellcheck disable=SC2016 # "$ref" is JSON, not a shell expansion
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["paths"]["/worklist"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]={"$ref":"#/components/schemas/Nothing"}; json.dump(d,open(sys.argv[2],"w"))' \
    "$HF_E2E_TMP/openapi.json" "$HF_E2E_TMP/broken.json"
hf_expect_exit 1 node "$GW_NODE_DIR/validate-openapi.mjs" "$HF_E2E_TMP/broken.json"
