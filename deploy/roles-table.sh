#!/usr/bin/env bash
# deploy/roles-table.sh [BIN_DIR] [--write README]: the command x role table of every service,
# generated from the services' handler tables (`huifang-<service> --roles`), as markdown.
# With --write, replaces the table between the roles markers of README (README.md's
# "Who may do what"); e2e/061 fails when the README's table is not what the code says.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/bin}
[[ ${1:-} == --write ]] && bin=$root/build/bin
services=(intake scheduler calllog complaint reporting)

table() {
    printf '| command | service | who may run it | |\n|---|---|---|---|\n'
    printf '| `ping`, `replay` | every service | no session (an allowed client) | reads |\n'
    local svc
    for svc in "${services[@]}"; do
        "$bin/huifang-$svc" --roles
    done
}

write=""
for ((i = 1; i <= $#; i++)); do
    if [[ ${!i} == --write ]]; then
        j=$((i + 1))
        write=${!j:-$root/README.md}
    fi
done
if [[ -z $write ]]; then
    table
    exit 0
fi
generated=$(table)
python3 - "$write" "$generated" <<'PY'
import sys
path, table = sys.argv[1], sys.argv[2]
text = open(path).read()
begin, end = "<!-- roles:begin -->", "<!-- roles:end -->"
i, j = text.index(begin) + len(begin), text.index(end)
open(path, "w").write(text[:i] + "\n" + table + "\n" + text[j:])
PY
