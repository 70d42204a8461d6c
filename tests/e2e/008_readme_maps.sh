#!/usr/bin/env bash
# The maps a newcomer reads are right: each service's README names every source file of its
# folder in its file table, and the top README's layout names every library of common/.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

missing=()
for dir in "$HF_SOURCE"/services/*/; do
    readme=$dir/README.md
    [[ -f $readme ]] || { missing+=("$(basename "$dir")/README.md"); continue; }
    for file in "$dir"*.c "$dir"*.h; do
        [[ -e $file ]] || continue
        name=$(basename "$file")
        grep -q "\`$name\`" "$readme" || missing+=("$(basename "$dir")/$name (not in its README's file table)")
    done
done
for header in "$HF_SOURCE"/common/include/hf_*.h; do
    name=$(basename "$header" .h)
    grep -q "\`$name\`" "$HF_SOURCE/README.md" || missing+=("common/$name (not in README.md's layout)")
done
((${#missing[@]} == 0)) || hf_fail "files no map names: ${missing[*]}"
