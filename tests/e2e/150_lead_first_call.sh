#!/usr/bin/env bash
# Every lead gets its first call (issue 13), through the real services on the manual clock:
#  - a counter lead with no purchase starts the branch's conversion plan, new-lead: a first
#    call placed in days 1-7, which falls due and lands in the phone agent's date bag;
#  - `--plan none` starts nothing; a merged lead of a customer who bought starts nothing;
#  - a later purchase moves the lead onto the product's plan and ends the conversion plan;
#  - the branch sets the plan per channel (`branch add --lead-plans`), imports follow it and
#    `lead import --plan` overrides it;
#  - a plan that does not exist is refused (exit 2, naming it) by lead add, lead import and
#    branch add, and records nothing.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }
dir=$HF_E2E_TMP

# the scheduler's plans of a customer, "template/state/end_reason" in order of start
plans_of() { sql "SELECT string_agg(template || '/' || state || '/' || coalesce(end_reason, ''), ' ' ORDER BY id) FROM scheduler.plan WHERE customer_id = $1"; }
# waits until the scheduler has applied intake's events up to the last one (the events of
# a lead are applied in order: what a later lead started, an earlier one would have too)
lead_plan_started() { sql "SELECT count(*) FROM scheduler.plan WHERE customer_id = $1" | grep -qx "$2"; }

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --tz Asia/Shanghai \
    --windows 09:00-12:00,14:00-20:00
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 40
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 \
    --plan monthly-course

# ---- a counter lead, no purchase: the new-lead plan at once -------------------------------
hf_expect_exit 0 huifang plan show new-lead
hf_expect_contains "$HF_OUT" new-lead "the new-lead template is seeded"
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345678 \
    --channel counter --region chaoyang
wang=$(hf_json_get "$HF_OUT" customer.id)
hf_wait_until 10 lead_plan_started "$wang" 1
hf_expect_eq "new-lead/active/" "$(plans_of "$wang")" "a counter lead starts new-lead"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.plan_started --count 1 --no-follow
hf_expect_eq new-lead "$(hf_json_get "$HF_OUT" plan_started.template)" "PlanStarted's template"
hf_expect_eq new-lead "$(hf_json_get "$HF_OUT" plan_started.tasks.0.purpose)" "purpose new-lead"
hf_expect_eq 10 "$(hf_json_get "$HF_OUT" plan_started.tasks.0.priority)" "the lowest priority"
# the first call: a flexible step over days 1-7, on the emptiest day (day 1, 09:00 +08)
hf_expect_eq 2026-11-03T01:00:00.000Z "$(hf_json_get "$HF_OUT" plan_started.tasks.0.due_at)" "day 1"
hf_expect_eq 2026-11-09T01:00:00.000Z "$(hf_json_get "$HF_OUT" plan_started.tasks.0.latest_at)" "until day 7"
first=$(hf_json_get "$HF_OUT" plan_started.tasks.0.id)

# day 1: the first call falls due and lands in Li Na's bag
hf_expect_exit 0 huifang clock advance 1d
hf_wait_until 10 bash -c "huifang --json worklist --agent A001 | grep -q '\"id\":$first,'"
hf_expect_exit 0 huifang --json worklist --agent A001
hf_expect_eq new-lead "$(hf_json_get "$HF_OUT" purpose)" "a new-lead call in the bag"
hf_expect_eq 2026-11-03 "$(hf_json_get "$HF_OUT" bag_date)" "today's bag"

# ---- --plan none starts nothing; the branch's default does ---------------------------------
hf_expect_exit 0 huifang --json lead add --name 'Zhao Lei' --phone 13812340001 \
    --channel counter --region chaoyang --plan none
zhao=$(hf_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 huifang --json lead add --name 'Sun Li' --phone 13812340002 \
    --channel hospital --region chaoyang
sun=$(hf_json_get "$HF_OUT" customer.id)
hf_wait_until 10 lead_plan_started "$sun" 1
hf_expect_eq "new-lead/active/" "$(plans_of "$sun")" "a hospital lead starts new-lead"
hf_expect_eq "" "$(plans_of "$zhao")" "--plan none starts no plan"

# ---- an unknown plan is refused, naming it, and records nothing ----------------------------
hf_expect_exit 2 huifang lead add --name 'Qian Wei' --phone 13812340003 --channel counter \
    --region chaoyang --plan no-such-plan
hf_expect_contains "$HF_ERR" no-such-plan "the error names the plan"
hf_expect_exit 3 huifang customer find 13812340003
printf 'name,phone,region\nZhou Min,13812340004,chaoyang\n' >"$dir/one.csv"
hf_expect_exit 2 huifang lead import "$dir/one.csv" --channel mail --plan no-such-plan
hf_expect_contains "$HF_ERR" no-such-plan "import: the error names the plan"
hf_expect_exit 3 huifang customer find 13812340004
hf_expect_exit 2 huifang branch add BJ09 --name 'Nowhere' --lead-plans counter=no-such-plan
hf_expect_contains "$HF_ERR" no-such-plan "branch add: the error names the plan"
hf_expect_exit 2 huifang branch add BJ09 --name 'Nowhere' --lead-plans shop=new-lead
hf_expect_contains "$HF_ERR" shop "branch add: the error names the channel"

# ---- a later purchase: the product's plan, the conversion plan ends -----------------------
hf_expect_exit 0 huifang purchase add --customer "$wang" --product VC30 --quantity 1
hf_wait_until 10 lead_plan_started "$wang" 2
hf_expect_eq "new-lead/archived/repurchased monthly-course/active/" "$(plans_of "$wang")" \
    "the purchase ends the conversion plan"
hf_expect_exit 0 huifang --json task show "$first"
hf_expect_eq cancelled "$(hf_json_get "$HF_OUT" task.state)" "the first call leaves the bag"
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic scheduler.plan_ended --no-follow | grep -q '\"customer_id\":$wang,'"
hf_expect_exit 0 huifang --json worklist --agent A001
hf_expect_eq cancelled "$(hf_json_get "$HF_OUT" state)" "the bag shows the call as cancelled"
hf_expect_eq repurchased "$(hf_json_get "$HF_OUT" outcome)" "because the lead bought"
hf_expect_exit 3 huifang task next --agent A001

# a lead of a customer who bought merges and starts no conversion plan
hf_expect_exit 0 huifang lead add --name 'Wang Fang' --phone 13812345678 --channel clinic \
    --source 'free clinic'
hf_expect_exit 0 huifang --json lead add --name 'Li Qiang' --phone 13812340005 \
    --channel clinic --region chaoyang
li=$(hf_json_get "$HF_OUT" customer.id)
hf_wait_until 10 lead_plan_started "$li" 1
hf_expect_eq "new-lead/archived/repurchased monthly-course/active/" "$(plans_of "$wang")" \
    "a customer who bought gets no conversion plan"

# ---- the branch's plan per channel, for leads added and imported ---------------------------
hf_expect_exit 0 huifang branch add BJ02 --name 'Beijing Haidian' --tz Asia/Shanghai \
    --lead-plans counter=none,mail=consult-not-converted
export HUIFANG_BRANCH=BJ02
hf_expect_exit 0 huifang --json lead add --name 'Ma Jun' --phone 13912340001 --channel counter
ma=$(hf_json_get "$HF_OUT" customer.id)
cat >"$dir/mail.csv" <<'EOF'
name,phone,channel
Hu Yan,13912340002,mail
Guo Jing,13912340003,hospital
EOF
hf_expect_exit 0 huifang lead import "$dir/mail.csv" --collector R01
hf_expect_exit 0 huifang --json customer find 13912340002
hu=$(hf_json_get "$HF_OUT" id)
hf_expect_exit 0 huifang --json customer find 13912340003
guo=$(hf_json_get "$HF_OUT" id)
hf_wait_until 10 lead_plan_started "$guo" 1
hf_expect_eq "consult-not-converted/active/" "$(plans_of "$hu")" "mail: the branch's plan"
hf_expect_eq "new-lead/active/" "$(plans_of "$guo")" "a channel not named: new-lead"
hf_expect_eq "" "$(plans_of "$ma")" "counter=none: no plan"

# --plan on an import overrides the branch's, for every row
cat >"$dir/none.csv" <<'EOF'
name,phone,channel
Lin Tao,13912340004,mail
Xu Bo,13912340005,hospital
EOF
hf_expect_exit 0 huifang lead import "$dir/none.csv" --plan none
hf_expect_exit 0 huifang --json lead add --name 'He Ping' --phone 13912340006 --channel other
he=$(hf_json_get "$HF_OUT" customer.id)
hf_wait_until 10 lead_plan_started "$he" 1
hf_expect_eq 0 "$(sql "SELECT count(*) FROM scheduler.plan p JOIN intake.customer_phone c ON c.customer_id = p.customer_id WHERE c.phone IN ('13912340004', '13912340005')")" \
    "lead import --plan none: no plans"
