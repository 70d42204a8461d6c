#!/usr/bin/env bash
# Headquarters reports see only the person's branches (issue 14): an hq person of BJ01 and
# SH01 gets exactly those two rows from `--all` (and masked replies, as every hq reply is),
# is refused (exit 4, naming the branch) for a branch not theirs, even in a list with theirs;
# a manager, head or agent cannot ask across branches at all, not even for their own; an
# admin without branches may ask for any; bad input (both flags, an unknown or malformed
# branch, --agent across branches, an empty list) is exit 2 naming the field.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-24 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01
unset HUIFANG_AGENT
for br in BJ01 SH01 GZ01; do
    hf_expect_exit 0 huifang --branch "$br" branch add "$br" --name "Branch $br" --lead-plans none
done
hf_wait_until 20 bash -c "[[ \$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c 'SELECT count(*) FROM reporting.branch') == 3 ]]"
psql -X -q -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -f "$HF_SOURCE/tests/e2e/hq_seed.sql" >/dev/null ||
    hf_fail "hq_seed.sql failed"

# a person: their own state folder and session, not the test's admin
person() {
    local who=$1
    shift
    env -u HUIFANG_TOKEN -u HUIFANG_AGENT -u HUIFANG_BRANCH HUIFANG_STATE_DIR="$HF_E2E_TMP/state-$who" "$@"
}
hf_expect_exit 0 huifang user add hq1 --role hq --branches BJ01,SH01 --name 'Head Office' --password-stdin <<<"hq-pass-1"
hf_expect_exit 0 person hq1 huifang login hq1 --password-stdin <<<"hq-pass-1"

# ---- hq: its branches, all of them, and nothing else --------------------------------------------
hf_expect_exit 0 person hq1 huifang report collection --week 2026-W47 --all --format csv
rows=$(sed -n 's/^\([A-Z0-9]*\),.*/\1/p' <<<"$HF_OUT" | tr '\n' ' ')
hf_expect_eq "BJ01 SH01 TOTAL " "$rows" "hq's --all is its two branches"
hf_expect_contains "$HF_OUT" "TOTAL,68,28,12,108" "hq's total of its branches"
hf_expect_exit 0 person hq1 huifang report sales-attribution --month 2026-11 --branches SH01,BJ01 --format csv
hf_expect_exit 0 person hq1 huifang --json report complaints --week 2026-W47 --all
[[ $HF_OUT != *GZ01* ]] || hf_fail "hq of BJ01 and SH01 sees GZ01: $HF_OUT"
hf_expect_exit 4 person hq1 huifang report collection --week 2026-W47 --branches BJ01,GZ01
hf_expect_contains "$HF_ERR" "not allowed: hq1 does not act in branch GZ01" "a branch not hq's"
hf_expect_exit 4 person hq1 huifang report complaints --branches GZ01
hf_expect_exit 4 person hq1 huifang --branch GZ01 report complaints
hf_expect_contains "$HF_ERR" "does not act in branch GZ01" "one branch not hq's"
hf_expect_exit 0 person hq1 huifang --branch SH01 report complaints --week 2026-W47
hf_log "hq sees its branches side by side and no other"

# ---- other roles: not across branches, not even their own ----------------------------------------
for role in manager head phone; do
    tok=$("$HF_BIN/huifang" session mint --key "$HUIFANG_SESSION_KEY_FILE" --login "X$role" \
        --role "$role" --branches BJ01)
    hf_expect_exit 4 env HUIFANG_TOKEN="$tok" huifang report collection --branches BJ01
    hf_expect_contains "$HF_ERR" "a report across branches needs the role hq or admin" "$role"
    hf_expect_exit 4 env HUIFANG_TOKEN="$tok" huifang report collection --all
    hf_expect_exit 0 env HUIFANG_TOKEN="$tok" huifang --branch BJ01 report collection
done
hf_log "only hq and admin ask across branches"

# ---- an admin with branches: only those; without: any ---------------------------------------------
tok=$("$HF_BIN/huifang" session mint --key "$HUIFANG_SESSION_KEY_FILE" --login regional \
    --role admin --branches GZ01,SH01)
hf_expect_exit 0 env HUIFANG_TOKEN="$tok" huifang report repurchase --month 2026-11 --all --format csv
rows=$(sed -n 's/^\([A-Z0-9]*\),.*/\1/p' <<<"$HF_OUT" | tr '\n' ' ')
hf_expect_eq "GZ01 SH01 TOTAL " "$rows" "an admin of two branches"
hf_expect_exit 4 env HUIFANG_TOKEN="$tok" huifang report repurchase --branches BJ01
hf_expect_exit 0 huifang report repurchase --month 2026-11 --all --format csv
rows=$(sed -n 's/^\([A-Z0-9]*\),.*/\1/p' <<<"$HF_OUT" | tr '\n' ' ')
hf_expect_eq "BJ01 GZ01 SH01 TOTAL " "$rows" "the admin without branches: every branch"

# ---- bad input: exit 2, naming the field --------------------------------------------------------
hf_expect_exit 2 huifang report collection --branches BJ01 --all
hf_expect_contains "$HF_ERR" "--branches and --all exclude each other" "both flags"
hf_expect_exit 2 huifang report collection --branches BJ01,XX99
hf_expect_contains "$HF_ERR" "unknown branch XX99" "an unknown branch"
hf_expect_contains "$HF_ERR" "branches" "the field"
hf_expect_exit 2 huifang report collection --branches 'BJ01,SH 01'
hf_expect_contains "$HF_ERR" "must be 1-24 letters" "a malformed branch"
hf_expect_exit 2 huifang report agent-daily --branches BJ01,SH01 --agent BJ01P1
hf_expect_contains "$HF_ERR" "agent applies to one branch" "--agent across branches"
hf_expect_exit 2 huifang report collection --branches ''
hf_expect_exit 2 huifang report collection --week 2026-W99 --all
hf_expect_contains "$HF_ERR" "week" "a bad period across branches"
hf_log "ok"
