#!/usr/bin/env bash
# The command x role table of README.md is the one the services' handler tables give
# (deploy/roles-table.sh): a command whose roles change without the README fails here.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

want=$(bash "$HF_SOURCE/deploy/roles-table.sh" "$HF_BIN")
got=$(sed -n '/<!-- roles:begin -->/,/<!-- roles:end -->/p' "$HF_SOURCE/README.md" | sed '1d;$d')
if [[ $want != "$got" ]]; then
    diff <(printf '%s\n' "$got") <(printf '%s\n' "$want") >&2 || true
    hf_fail "README.md's command x role table differs from the code: deploy/roles-table.sh --write README.md"
fi
# every command of every service is in it, and none without a role
for svc in "${HF_SERVICES[@]}"; do
    n=$("$HF_BIN/huifang-$svc" --roles | grep -c '^| `')
    ((n > 0)) || hf_fail "huifang-$svc --roles listed no command"
done
[[ $want != *"(no role)"* ]] || hf_fail "a command no role may run: $want"
