#!/usr/bin/env bash
# What staff need every day: the lists of the organisation (`branch list`, `agent list`,
# `product list`), and edits that every copy follows — `agent edit` / `agent deactivate`,
# `product edit`, `customer edit` (with its history). Each edit is checked in the copies the
# other services keep of it (scheduler, calllog, complaint, reporting: read from their
# schemas), and in what the scheduler does with it: a deactivated agent gets no new task, a
# customer's edited call windows place their calls. Bad input names the field (exit 2), an
# unknown id exits 3, and neither changes anything.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

# q SQL: one value from the test's database (every service's schema lives in it)
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }
# copy_is WANT SQL: the copy holds WANT (waited for: the event may still be on its way)
copy_is() { [[ $(q "$2") == "$1" ]]; }
wait_copy() { hf_wait_until 10 copy_is "$1" "$2"; }

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --windows 09:00-12:00,14:00-20:00
hf_expect_exit 0 huifang branch add SH01 --name 'Shanghai Xuhui'
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 2
hf_expect_exit 0 huifang agent add A002 --name 'Zhou Hua' --role phone --regions chaoyang --daily-calls 2
hf_expect_exit 0 huifang agent add L001 --name 'Chen Jie' --role lead
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168

# ---- lists ------------------------------------------------------------------------------
hf_expect_exit 0 huifang branch list
hf_expect_contains "$HF_OUT" "BRANCH" "a table"
hf_expect_contains "$HF_OUT" "Shanghai Xuhui" "every branch"
hf_expect_exit 0 huifang --json branch list
cl_json_expect "$HF_OUT" 0.code BJ01 0.windows 09:00-12:00,14:00-20:00 1.code SH01 1.tz Asia/Shanghai
hf_expect_exit 0 huifang --json agent list
cl_json_expect "$HF_OUT" 0.id A001 0.regions.0 chaoyang 0.daily_calls 2 0.active true 1.id A002 2.id L001
hf_expect_exit 0 huifang --json agent list --role lead
hf_expect_eq 1 "$(printf '%s\n' "$HF_OUT" | grep -c .)" "only the lead"
cl_json_expect "$HF_OUT" id L001
hf_expect_exit 0 huifang agent list --role phone
hf_expect_contains "$HF_OUT" "Zhou Hua" "a table of the phone agents"
hf_expect_exit 2 huifang agent list --role boss
hf_expect_contains "$HF_ERR" "--role" "names the flag"
hf_expect_exit 0 huifang --json product list
cl_json_expect "$HF_OUT" code VC30 price_fen 16800 plan monthly-course days_per_unit 30
hf_expect_exit 0 huifang --branch SH01 --json product list
hf_expect_eq "" "$HF_OUT" "another branch's products are its own"

# ---- agent edit / deactivate ----------------------------------------------------------
hf_expect_exit 2 huifang agent edit A001 --daily-calls 800
hf_expect_contains "$HF_ERR" "daily_calls" "names the field"
hf_expect_exit 2 huifang agent edit A001 --role boss
hf_expect_contains "$HF_ERR" "--role" "names the flag"
hf_expect_exit 2 huifang agent edit A001
hf_expect_contains "$HF_ERR" "nothing to change" "an edit needs a field"
hf_expect_exit 3 huifang agent edit Z999 --name 'Nobody'
hf_expect_contains "$HF_ERR" "no agent Z999" "an unknown agent"
hf_expect_exit 3 huifang agent deactivate Z999
hf_expect_exit 0 huifang --json agent list
cl_json_expect "$HF_OUT" 0.name 'Li Na' 0.daily_calls 2

hf_expect_exit 0 huifang --json agent edit A001 --name 'Li Nana' --regions chaoyang,haidian --daily-calls 3
cl_json_expect "$HF_OUT" name 'Li Nana' regions.1 haidian daily_calls 3 active true
wait_copy 'Li Nana|{chaoyang,haidian}|3' "SELECT name, regions, daily_calls FROM scheduler.agent WHERE id = 'A001'"
wait_copy 'Li Nana|{chaoyang,haidian}' "SELECT name, regions FROM reporting.agent WHERE id = 'A001'"
hf_expect_exit 0 huifang agent edit L001 --role head
wait_copy head "SELECT role FROM calllog.agent WHERE id = 'L001'"
wait_copy head "SELECT role FROM complaint.agent WHERE id = 'L001'"
wait_copy head "SELECT role FROM scheduler.agent WHERE id = 'L001'"

hf_expect_exit 0 huifang agent deactivate A002
hf_expect_contains "$HF_OUT" "no" "the agent shown inactive"
for schema in scheduler calllog complaint reporting; do
    wait_copy f "SELECT active FROM $schema.agent WHERE id = 'A002'"
done
hf_expect_exit 0 huifang --json agent list --active no
cl_json_expect "$HF_OUT" id A002 active false
hf_expect_eq 1 "$(printf '%s\n' "$HF_OUT" | grep -c .)" "only A002 is inactive"
hf_expect_exit 0 huifang --json agent list --active yes
hf_expect_eq 2 "$(printf '%s\n' "$HF_OUT" | grep -c .)" "A001 and L001 are active"

# ---- product edit ---------------------------------------------------------------------
hf_expect_exit 2 huifang product edit VC30 --plan no-such-plan
hf_expect_contains "$HF_ERR" "no-such-plan" "names the plan"
hf_expect_exit 2 huifang product edit VC30 --price -3
hf_expect_exit 2 huifang product edit VC30 --days-per-unit 0
hf_expect_contains "$HF_ERR" "--days-per-unit" "names the flag"
hf_expect_exit 3 huifang product edit NOPE --price 3
hf_expect_exit 0 huifang --json product list
cl_json_expect "$HF_OUT" price_fen 16800 plan monthly-course
hf_expect_exit 0 huifang --json product edit VC30 --name 'Vitamin C 30 tablets' --price 198.50 --plan monthly-course
cl_json_expect "$HF_OUT" name 'Vitamin C 30 tablets' price_fen 19850 days_per_unit 30
for schema in calllog complaint reporting; do
    wait_copy 'Vitamin C 30 tablets|19850' "SELECT name, price_fen FROM $schema.product WHERE code = 'VC30'"
done

# ---- customer edit --------------------------------------------------------------------
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345671 --channel counter \
    --region chaoyang --address 'Chaoyang Rd 1'
cid=$(cl_json_get "$HF_OUT" customer.id)
hf_expect_exit 2 huifang customer edit "$cid" --region nowhere
hf_expect_contains "$HF_ERR" "region" "names the field"
hf_expect_exit 2 huifang customer edit "$cid" --windows 20:00-18:00
hf_expect_contains "$HF_ERR" "windows" "names the field"
hf_expect_exit 2 huifang customer edit "$cid" --birth 2030-01-01
hf_expect_contains "$HF_ERR" "birth" "names the field"
hf_expect_exit 2 huifang customer edit "$cid" --name '12345'
hf_expect_contains "$HF_ERR" "name" "names the field"
hf_expect_exit 2 huifang customer edit "$cid"
hf_expect_exit 3 huifang customer edit 999999 --address 'Nowhere'
hf_expect_exit 0 huifang --json customer show "$cid"
cl_json_expect "$HF_OUT" customer.region chaoyang customer.address 'Chaoyang Rd 1' customer.windows ""
cl_json_expect "$HF_OUT" changes '[]' "the failed edits left no history"

hf_expect_exit 0 huifang --as L001 --json customer edit "$cid" --name 'Wang Fangfang' \
    --address 'Haidian Rd 9' --region haidian --windows 18:00-20:00 --birth 1956-03-04
cl_json_expect "$HF_OUT" customer.name 'Wang Fangfang' customer.region haidian \
    customer.windows 18:00-20:00 customer.birth 1956-03-04 changes.0.field name \
    changes.0.from 'Wang Fang' changes.0.to 'Wang Fangfang' changes.0.actor L001
hf_expect_exit 0 huifang customer edit "$cid" --address 'Haidian Rd 9'
hf_expect_contains "$HF_ERR" "nothing to change" "the same value changes nothing"
wait_copy 'Wang Fangfang|haidian|18:00-20:00' "SELECT name, region, windows FROM scheduler.customer WHERE id = $cid"
wait_copy 'Haidian Rd 9|haidian' "SELECT address, region FROM calllog.customer WHERE id = $cid"
wait_copy 'Wang Fangfang' "SELECT name FROM complaint.customer WHERE id = $cid"
wait_copy 'haidian' "SELECT region FROM reporting.customer WHERE id = $cid"
hf_expect_exit 0 huifang customer show "$cid"
hf_expect_contains "$HF_OUT" "changes" "the history is shown"
hf_expect_contains "$HF_OUT" "Haidian Rd 9" "with the new value"
hf_expect_contains "$HF_OUT" "Chaoyang Rd 1" "and the old one"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic intake.customer_updated --no-follow
hf_expect_contains "$HF_OUT" '"change":"fields"' "the edit is an event"
hf_expect_contains "$HF_OUT" '"field":"windows"' "which names what changed"

# ---- what the scheduler does with the edits -------------------------------------------
# A001 now covers haidian; A002, deactivated, gets nothing; the day-10 call is placed in
# the customer's own window (18:00-20:00 local), not the branch's morning.
hf_expect_exit 0 huifang purchase add --customer "$cid" --product VC30 --quantity 1
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow | grep -q plan_started"
hf_expect_exit 0 huifang clock set '2026-11-11 18:00'
hf_expect_exit 0 huifang --json worklist --agent A002 --date tomorrow
hf_expect_eq "" "$HF_OUT" "a deactivated agent's bag stays empty"
hf_expect_exit 0 huifang --json worklist --agent A001 --date tomorrow
cl_json_expect "$HF_OUT" agent A001 customer_id "$cid"
hf_expect_exit 0 huifang clock set '2026-11-12 09:30'
hf_expect_exit 3 huifang --as A001 task next
hf_log "09:30, outside the customer's window: $HF_ERR"
hf_expect_exit 0 huifang clock set '2026-11-12 18:05'
hf_wait_until 10 huifang --as A001 task next
hf_expect_exit 0 huifang --json worklist --agent A001
cl_json_expect "$HF_OUT" customer_id "$cid" state claimed
hf_expect_exit 0 huifang --json worklist --agent A002
hf_expect_eq "" "$HF_OUT" "nothing handed to A002 on the day either"

# ---- emptying fields --------------------------------------------------------------------
hf_expect_exit 2 huifang customer edit "$cid" --clear name
hf_expect_contains "$HF_ERR" "name cannot be emptied" "a name stays"
hf_expect_exit 2 huifang customer edit "$cid" --clear shoe-size
hf_expect_contains "$HF_ERR" "clear" "names the field"
hf_expect_exit 2 huifang customer edit "$cid" --clear windows --windows 09:00-10:00
hf_expect_contains "$HF_ERR" "both given and cleared" "one or the other"
hf_expect_exit 0 huifang --json customer edit "$cid" --clear windows,birth
cl_json_expect "$HF_OUT" customer.windows "" customer.birth "" customer.address 'Haidian Rd 9'
wait_copy '' "SELECT windows FROM scheduler.customer WHERE id = $cid"
hf_expect_exit 0 huifang --json customer show "$cid"
hf_expect_contains "$HF_OUT" '{"field":"windows","from":"18:00-20:00","to":""' "the history keeps what was emptied"
hf_log "ok"
