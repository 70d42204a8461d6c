#!/usr/bin/env bash
# The code style is the repository's .clang-format (STYLE.md): every C file of common/,
# services/ and tests/ is as clang-format leaves it. To fix: clang-format -i FILE...
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

command -v clang-format >/dev/null || hf_fail "clang-format is not installed (Debian package clang-format)"
mapfile -d '' files < <(find "$HF_SOURCE/common" "$HF_SOURCE/services" "$HF_SOURCE/tests" \
    -name node_modules -prune -o -name '*.[ch]' -type f -print0)
((${#files[@]} > 100)) || hf_fail "found only ${#files[@]} C files under $HF_SOURCE"
bad=()
for f in "${files[@]}"; do
    clang-format --style=file --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("${f#"$HF_SOURCE"/}")
done
((${#bad[@]} == 0)) || hf_fail "not formatted as .clang-format says (clang-format -i them): ${bad[*]}"
