#!/usr/bin/env bash
# The audit trail (issue 11, PIPL Art. 54): every command that reads or changes a customer's
# personal data writes one row of audit.access in its own transaction — who, when, branch,
# service, command, which customers. Through the real services: lead add, customer find and
# show, customer edit, worklist and task next each leave their row naming the actor (--as),
# the branch, the command and the customer; a command that fails (an unknown id) leaves none;
# `huifang audit --customer ID` lists them oldest first, `--user` keeps one person's,
# `--since/--until` bound them, another branch sees none of them; bad flags are refused; and
# the table refuses UPDATE and DELETE even to the superuser.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai
unset HUIFANG_AGENT
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }
# the commands of JSON audit rows, "actor:branch:service:command:customers" one per line
rows_of() {
    python3 -c '
import json, sys
for line in sys.stdin.read().splitlines():
    if line.strip():
        r = json.loads(line)
        ids = ",".join(str(i) for i in r.get("customers", []))
        print("%s:%s:%s:%s:%s" % (r.get("actor", ""), r.get("branch", ""), r.get("service", ""),
                                r.get("command", ""), ids))
' <<<"$1"
}

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --windows 09:00-12:00,14:00-20:00
hf_expect_exit 0 huifang branch add SH01 --name 'Shanghai Pudong'
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
hf_expect_exit 0 huifang agent add M001 --name 'Sun Li' --role manager

# ---- the commands, each leaving its row -------------------------------------------------
hf_expect_exit 0 huifang --as A001 --json lead add --name 'Wang Fang' --phone 13812345678 \
    --channel counter --region chaoyang
c1=$(hf_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang --as A001 --json lead add --name 'Liu Yang' --phone 13900002222 \
    --channel counter --region chaoyang
c2=$(hf_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang --as A001 customer find 13812345678
hf_expect_exit 0 huifang --as A001 customer show "$c1"
hf_expect_exit 0 huifang --as M001 customer edit "$c1" --address '朝阳路1号'
# a failed command leaves no row: the row is written in the command's transaction
hf_expect_exit 3 huifang --as A001 customer show 999999
hf_expect_eq 0 "$(sql "SELECT count(*) FROM audit.access WHERE command = 'customer_show' AND customers @> '{999999}'")" \
    "no row for a show that found nobody"
hf_expect_exit 2 huifang --as M001 customer edit "$c1" --gender x
hf_expect_eq 1 "$(sql "SELECT count(*) FROM audit.access WHERE command = 'customer_edit'")" \
    "no row for an edit refused as bad input"

# day 1, 10:00: the new-lead first call is in A001's bag; A001 claims it and sees the phone
hf_expect_exit 0 huifang clock advance 1d
hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -q '\"customer_id\":\"\\?$c1\"\\?,'"
hf_expect_exit 0 huifang --as A001 --json task next
hf_expect_eq 13812345678 "$(hf_json_get "$HF_OUT" customer.phone)" "task next reveals the phone"
task_customer=$(hf_json_get "$HF_OUT" task.customer_id)

# ---- huifang audit --customer: that customer's rows, oldest first -------------------------
hf_expect_exit 0 huifang --json audit --customer "$c1"
all=$(rows_of "$HF_OUT")
got=$(grep -v ':worklist_get:' <<<"$all" || true)
want="A001:BJ01:intake:lead_add:$c1
A001:BJ01:intake:customer_find:$c1
A001:BJ01:intake:customer_show:$c1
M001:BJ01:intake:customer_edit:$c1"
if [[ $task_customer == "$c1" ]]; then
    want+="
A001:BJ01:scheduler:task_next:$c1"
fi
hf_expect_eq "$want" "$got" "customer $c1's audit rows, oldest first"
hf_expect_exit 0 huifang --json audit --customer "$task_customer" --user A001
hf_expect_contains "$(rows_of "$HF_OUT")" "A001:BJ01:scheduler:task_next:$task_customer" \
    "task next's row names the customer whose phone it showed"
# the worklist that showed the bags' names and phones is there too (asked by the admin)
[[ $'\n'$all == *$'\n'admin:BJ01:scheduler:worklist_get:* ]] || hf_fail "the worklist's row"
# the row's time, request id and the role fields (empty until sessions fill them)
hf_expect_exit 0 huifang --json audit --customer "$c1" --limit 1
hf_expect_eq lead_add "$(hf_json_get "$HF_OUT" command)" "--limit 1: the oldest"
[[ $(hf_json_get "$HF_OUT" request_id) != "" ]] || hf_fail "the row keeps the request id"
hf_expect_exit 0 huifang audit --customer "$c1"
hf_expect_contains "$HF_OUT" "COMMAND" "a table"
hf_expect_contains "$HF_OUT" "customer_edit" "the table lists the edit"
hf_expect_exit 0 huifang audit --customer "$c1" --limit 1
hf_expect_contains "$HF_ERR" "more rows match" "says there is more"

# ---- --user: one person's rows; --since/--until bound them --------------------------------
hf_expect_exit 0 huifang --json audit --user M001
hf_expect_eq "M001:BJ01:intake:customer_edit:$c1" "$(rows_of "$HF_OUT")" "M001's one row"
hf_expect_exit 0 huifang --json audit --user A001 --customer "$c2"
hf_expect_eq "A001:BJ01:intake:lead_add:$c2" "$(rows_of "$HF_OUT")" "A001's rows of customer $c2"
hf_expect_exit 0 huifang --json audit --customer "$c1" --since '2030-01-01'
hf_expect_eq "" "$HF_OUT" "nothing after 2030"
hf_expect_exit 0 huifang --json audit --customer "$c1" --until '2000-01-01T00:00:00Z'
hf_expect_eq "" "$HF_OUT" "nothing before 2000"
hf_expect_exit 0 huifang --json audit --user M001 --since '2000-01-01 00:00' --until '2100-01-01'
hf_expect_eq "M001:BJ01:intake:customer_edit:$c1" "$(rows_of "$HF_OUT")" "inside the bounds"

# ---- the archive's other changes leave their rows too ----------------------------------
hf_expect_exit 0 huifang --as A001 customer phone add "$c2" 13900003333 --relation spouse
hf_expect_exit 0 huifang --as A001 customer dnd "$c2" --until 2026-11-20 --reason hospital
hf_expect_exit 0 huifang --as A001 customer card "$c2" one-on-one
hf_expect_exit 0 huifang --as A001 customer opt-out "$c2" --reason 'asked not to be called'
# the trail is for managers and admins: the agent who made the rows may not read it
hf_expect_exit 4 huifang --as A001 --json audit --customer "$c2"
hf_expect_contains "$HF_ERR" "audit needs the role manager or admin"
hf_expect_exit 0 huifang --as M001 --json audit --customer "$c2"
hf_expect_eq "A001:BJ01:intake:lead_add:$c2
A001:BJ01:intake:customer_phone_add:$c2
A001:BJ01:intake:customer_dnd:$c2
A001:BJ01:intake:customer_card:$c2
A001:BJ01:intake:customer_opt_out:$c2" "$(rows_of "$HF_OUT" | grep -v ':scheduler:' || true)" \
    "customer $c2's changes, one row each"

# ---- another branch sees none of them --------------------------------------------------------
hf_expect_exit 0 huifang --branch SH01 --json audit --customer "$c1"
hf_expect_eq "" "$HF_OUT" "SH01 sees no row of BJ01"

# ---- bad flags change nothing ---------------------------------------------------------------
hf_expect_exit 2 huifang audit --customer abc
hf_expect_contains "$HF_ERR" "--customer" "names the flag"
hf_expect_exit 2 huifang audit --limit 1001
hf_expect_contains "$HF_ERR" "--limit" "names the flag"
hf_expect_exit 2 huifang audit --since yesterday-ish
hf_expect_contains "$HF_ERR" "--since" "names the flag"
hf_expect_exit 2 huifang audit --since 2026-11-03 --until 2026-11-02
hf_expect_contains "$HF_ERR" "before" "since after until"

# ---- append-only: the trigger refuses UPDATE and DELETE, even to the superuser -------------
before=$(sql "SELECT count(*) FROM audit.access")
if sql "UPDATE audit.access SET actor = 'nobody'" 2>"$HF_E2E_TMP/sql.err"; then
    hf_fail "UPDATE of audit.access went through"
fi
hf_expect_contains "$(<"$HF_E2E_TMP/sql.err")" "append-only" "UPDATE refused"
if sql "DELETE FROM audit.access" 2>"$HF_E2E_TMP/sql.err"; then
    hf_fail "DELETE of audit.access went through"
fi
hf_expect_contains "$(<"$HF_E2E_TMP/sql.err")" "append-only" "DELETE refused"
hf_expect_eq "$before" "$(sql "SELECT count(*) FROM audit.access")" "every row is still there"
hf_expect_eq 0 "$(sql "SELECT count(*) FROM audit.access WHERE actor = 'nobody'")" "none changed"

# restarting a service finds the table and leaves it as it is
hf_service_restart intake
hf_expect_eq "$before" "$(sql "SELECT count(*) FROM audit.access")" "a restart keeps the rows"
hf_expect_eq 1 "$(sql "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit.access'::regclass AND NOT tgisinternal")" \
    "one trigger, not two"
