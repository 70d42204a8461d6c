#!/usr/bin/env bash
# The archive clerks can trust, through `huifang` and the real intake service: leads from
# every channel with who, where and when; the registration fields, infant and member extras;
# bad input refused with the field named and nothing changed; a known phone merges (its
# source kept, empty fields filled); several phones per customer; find by any phone or a name
# prefix; merging two customers; card types with the reason of every void, a purchase
# reopening a void card; tiers from thresholds and stages from a reference date, both data
# per branch; opt-out and do-not-disturb; purchases numbered with their supply end dates —
# and the events that tell the other services.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-23 10:00 +0800'
hf_stack_start intake
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang'
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang,haidian
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168

# the id printed by `lead add` (plain output: "customer ID NAME PHONE")
lead() {
    local out
    out=$(huifang lead add "$@") || return $?
    read -r _ id _ <<<"$out"
    printf '%s\n' "$id"
}
show() { huifang customer show "$1"; }
field() { # field ID KEY: the value of one line of `customer show`
    show "$1" | awk -v k="$2" 'substr($0, 3, 12) ~ "^"k" *$" { print substr($0, 16); exit }'
}

# ---- every channel, with who collected it, where and when -------------------------------------
n=0
for ch in counter consult clinic hospital mail other; do
    n=$((n + 1))
    id=$(lead --name "Lead $ch" --phone "1380000000$n" --channel "$ch" --collector C01 \
        --source "Store $n" --collected-at '2026-11-20 09:30')
    [[ $id =~ ^[0-9]+$ ]] || hf_fail "lead add ($ch) printed no id"
done
hf_expect_exit 2 huifang lead add --name 'Zhou Min' --phone 13800000007 --channel referral
hf_expect_contains "$HF_ERR" "--referrer" "a referral names by whom"
hf_expect_exit 0 huifang --json lead add --name 'Zhou Min' --phone 13800000007 --channel referral \
    --referrer 'customer 1 (her sister)' --collector C02
hf_expect_eq false "$(hf_json_get "$HF_OUT" merged)" "a new lead"
hf_expect_exit 0 huifang customer show 1
hf_expect_contains "$HF_OUT" "2026-11-20 09:30  counter  C01        Store 1" "when, by whom and where"
hf_expect_exit 0 huifang --json customer show 7
hf_expect_contains "$HF_OUT" '"referrer":"customer 1 (her sister)"' "the referrer is kept"

# ---- registration fields and extras; the stage from the baby's birth or the due date ----------
hf_expect_exit 0 huifang --json lead add --name '王芳' --phone '+86 139-1111-0001' --channel hospital \
    --region chaoyang --address '朝阳路1号' --route 'bus 33 to the 2nd stop' --gender f \
    --birth 1992-05-01 --baby-name '小明' --baby-sex m --baby-birth 2026-09-10 --brand Feihe \
    --feeding mixed --condition 'none' --windows 11:30-14:00 --collector R07 --source 'Maternity Hospital 2'
wang=$(hf_json_get "$HF_OUT" customer.id)
hf_expect_eq 13911110001 "$(hf_json_get "$HF_OUT" customer.phone)" "the phone in one form"
hf_expect_eq T2 "$(hf_json_get "$HF_OUT" customer.stage)" "born 2026-09-10: the 3rd month is T2"
hf_expect_eq 'T2 (from baby_birth)' "$(field "$wang" stage)" "customer show gives the stage"
hf_expect_eq Feihe "$(field "$wang" brand)" "current brand"
hf_expect_eq mixed "$(field "$wang" feeding)" "feeding"
mom=$(lead --name '刘洋' --phone 13911110002 --channel clinic --due-date 2027-02-01)
hf_expect_eq 'T0 (from due_date)' "$(field "$mom" stage)" "a due date ahead: pregnant"
member=$(lead --name 'Gao Jun' --phone 13911110003 --channel counter --age 67 \
    --employer 'Steel Works No. 2' --hobbies 'tai chi, calligraphy' --health 'BP 135/85')
hf_expect_eq 'Steel Works No. 2' "$(field "$member" employer)" "member extras"
hf_expect_eq 67 "$(field "$member" age)" "an age when the birth date is unknown"

# ---- bad input names the field, and changes nothing -------------------------------------------
hf_expect_exit 2 huifang lead add --name 'Zhang 3' --phone 13922220001 --channel counter
hf_expect_contains "$HF_ERR" 'name "Zhang 3" has digits' "a name with digits"
hf_expect_exit 2 huifang lead add --name $'\u202eWang Fang' --phone 13922220001 --channel counter
hf_expect_contains "$HF_ERR" 'name holds an invisible formatting character (U+202E)' "a bidi override"
hf_expect_exit 2 huifang lead add --name $'王\u200b芳' --phone 13922220001 --channel counter
hf_expect_contains "$HF_ERR" '(U+200B)' "a zero-width space"
hf_expect_exit 2 huifang lead add --name Zhang --phone 13922220001 --channel counter --region tongzhou
hf_expect_contains "$HF_ERR" 'region "tongzhou" is not covered by any agent of the branch (chaoyang, haidian)' "regions"
hf_expect_exit 2 huifang lead add --name Zhang --phone 13922220001 --channel counter --birth 2026-11-24
hf_expect_contains "$HF_ERR" "birth 2026-11-24 is in the future" "no birth in the future"
hf_expect_exit 2 huifang lead add --name Zhang --phone 13922220001 --channel counter --baby-birth 2026-12-01
hf_expect_contains "$HF_ERR" "baby_birth 2026-12-01 is in the future" "no baby born in the future"
hf_expect_exit 2 huifang lead add --name Zhang --phone 13922220001 --channel counter --due-date 2027-12-01
hf_expect_contains "$HF_ERR" "due_date 2027-12-01 is more than 300 days ahead" "a due date within a pregnancy"
hf_expect_exit 2 huifang lead add --name Zhang --phone 1392222000 --channel counter
hf_expect_contains "$HF_ERR" "--phone" "a phone that is not one"
hf_expect_exit 2 huifang --branch XX01 lead add --name Zhang --phone 13922220001 --channel counter
hf_expect_contains "$HF_ERR" "unknown branch XX01" "branches"
hf_expect_exit 3 huifang customer find 13922220001
hf_expect_exit 3 huifang customer find Zhang

# ---- a known phone merges: the source joins, empty fields fill, known ones stay --------------
hf_expect_exit 0 huifang lead add --name 'Wang F.' --phone 13911110001 --channel counter \
    --address 'somewhere else' --hobbies dancing --collector C09 --source 'Store 9'
hf_expect_contains "$HF_ERR" "merged into customer $wang" "the client says merged into"
hf_expect_eq "customer $wang" "$(cut -d' ' -f1-2 <<<"$HF_OUT")" "the same customer"
hf_expect_eq '王芳' "$(field "$wang" name)" "the name stays"
hf_expect_eq '朝阳路1号' "$(field "$wang" address)" "a known address stays"
hf_expect_eq dancing "$(field "$wang" hobbies)" "an empty field is filled"
hf_expect_exit 0 huifang customer show "$wang"
hf_expect_contains "$HF_OUT" "counter   C09        Store 9" "the new source is in the history"

# ---- several phones; find by any of them or by a name prefix --------------------------------------
hf_expect_exit 0 huifang customer phone add "$wang" '138 0000 9999' --relation spouse
hf_expect_contains "$HF_OUT" "other phone  138****9999 (spouse)" "the spouse's phone"
hf_expect_exit 0 huifang --json customer find 13800009999
hf_expect_eq "$wang" "$(hf_json_get "$HF_OUT" id)" "found by the spouse's phone"
spouse=$(lead --name 'Li Qiang' --phone 13800009999 --channel counter 2>/dev/null)
hf_expect_eq "$wang" "$spouse" "a lead with the spouse's phone is the same archive entry"
hf_expect_exit 4 huifang customer phone add "$wang" 13800000001 --relation child
hf_expect_contains "$HF_ERR" "belongs to customer 1: if they are one person, merge them" "one phone, one customer"
hf_expect_exit 0 huifang customer find '王'
hf_expect_contains "$HF_OUT" '王芳' "a name prefix"
hf_expect_exit 0 huifang customer find Lead
hf_expect_eq 7 "$(wc -l <<<"$HF_OUT")" "six leads and the header"

# ---- purchases: one form each, numbered, with the supply end date --------------------------------
# a date far back is refused, never silently replaced by today (1969-12-31 is day -1)
for old in 1969-12-31 1900-01-01 2021-01-01; do
    hf_expect_exit 2 huifang purchase add --customer "$wang" --product VC30 --quantity 1 --date "$old"
    hf_expect_contains "$HF_ERR" "date $old is more than 1827 days ago" "a purchase dated $old"
done
hf_expect_exit 2 huifang purchase add --customer "$wang" --product VC30 --quantity 1 --date 2030-01-01
hf_expect_contains "$HF_ERR" "date 2030-01-01 is in the future" "a purchase dated ahead"
hf_expect_exit 0 huifang --json purchase add --customer "$wang" --product VC30 --quantity 3 --date 2026-11-01
hf_expect_eq 1 "$(hf_json_get "$HF_OUT" nth)" "the first form"
hf_expect_eq 2027-01-30 "$(hf_json_get "$HF_OUT" supply_end)" "3 x 30 days from 11-01"
hf_expect_exit 0 huifang --json purchase add --customer "$wang" --product VC30 --quantity 1
hf_expect_eq 2 "$(hf_json_get "$HF_OUT" nth)" "a repurchase is a new form"
hf_expect_eq customer "$(field "$wang" card)" "a purchase makes a customer card"

# ---- card types: every void with its reason; a purchase reopens it --------------------------------
hf_expect_exit 2 huifang customer card 1 void
hf_expect_contains "$HF_ERR" "--reason is required" "a void needs its reason"
hf_expect_exit 0 huifang customer card 1 one-on-one
hf_expect_exit 4 huifang customer card 1 new
hf_expect_contains "$HF_ERR" "cannot become new again" "no way back to new"
hf_expect_exit 0 huifang customer card 1 void --reason out-of-area
hf_expect_eq 'void (out-of-area)' "$(field 1 card)" "void with its reason"
hf_expect_exit 4 huifang customer card 1 customer
hf_expect_contains "$HF_ERR" "with a purchase" "a customer card comes with a purchase"
hf_expect_exit 0 huifang purchase add --customer 1 --product VC30 --quantity 1
hf_expect_eq customer "$(field 1 card)" "a purchase reopens a void card"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic intake.card_type_changed --count 4 --no-follow
hf_expect_contains "$HF_OUT" '"customer_id":1,"from":"one-on-one","to":"void","reason":"out-of-area"' "CardTypeChanged"
hf_expect_contains "$HF_OUT" '"customer_id":1,"from":"void","to":"customer","reason":"purchase"' "reopened"

# ---- tiers from thresholds, data per branch --------------------------------------------------------
hf_expect_eq regular "$(field "$wang" tier)" "672 yuan is below the member threshold"
hf_expect_exit 0 huifang rules show
hf_expect_contains "$HF_OUT" "member   1000.00    0" "the default thresholds"
hf_expect_exit 0 huifang tier set member --min-spend 500
hf_expect_contains "$HF_ERR" "1 customer(s) changed tier" "every customer's tier follows"
hf_expect_eq member "$(field "$wang" tier)" "a lower threshold"
hf_expect_exit 0 huifang purchase add --customer "$wang" --product VC30 --quantity 30
hf_expect_eq silver "$(field "$wang" tier)" "5712 yuan: silver"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic intake.customer_updated --count 7 --no-follow
hf_expect_contains "$HF_OUT" '"tier":"silver"' "CustomerUpdated carries the tier"

# ---- stages are data: the branch's own rules -----------------------------------------------------
hf_expect_exit 0 huifang stage set T3 --from 2 --to 7 --label 'months 3-8'
hf_expect_eq 'T2 (from baby_birth)' "$(field "$wang" stage)" "2 months and 13 days: T2 comes first"
hf_expect_exit 0 huifang stage set T2 --from 1 --to 1 --label 'month 2'
hf_expect_eq 'T3 (from baby_birth)' "$(field "$wang" stage)" "the branch's rules moved the customer"
hf_expect_exit 0 huifang stage remove T3
hf_expect_eq '-' "$(field "$wang" stage)" "no rule holds 2 months any more"
hf_expect_exit 0 huifang stage set T3 --from 2 --to 7
hf_expect_exit 0 huifang clock advance 30d
hf_expect_eq 'T3 (from baby_birth)' "$(field "$wang" stage)" "a month later, still T3"
hf_expect_exit 0 huifang --branch BJ02 branch add BJ02 --name 'Shanghai'
hf_expect_exit 0 huifang --branch BJ02 rules show
hf_expect_contains "$HF_OUT" "T2     month  1     3" "another branch keeps the defaults"

# ---- consent and do-not-disturb ------------------------------------------------------------------
hf_expect_exit 0 huifang customer opt-out "$member" --reason 'asked not to be called'
hf_expect_eq 'yes: do not contact — asked not to be called' "$(field "$member" 'opted out')" "opted out"
hf_expect_exit 0 huifang customer opt-out "$member"
hf_expect_contains "$HF_ERR" "already opted out" "once"
hf_expect_exit 2 huifang customer dnd "$mom" --until 2027-03-01
hf_expect_contains "$HF_ERR" "--reason is required" "a do-not-disturb has its reason"
hf_expect_exit 2 huifang customer dnd "$mom" --until 2026-12-01 --reason confinement
hf_expect_contains "$HF_ERR" "until 2026-12-01 is in the past" "the clock moved 30 days"
hf_expect_exit 0 huifang customer dnd "$mom" --until 2027-03-01 --reason due-date
hf_expect_eq '2027-03-01 (due-date)' "$(field "$mom" 'dnd until')" "do not disturb"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic intake.opted_out --count 1 --no-follow
hf_expect_contains "$HF_OUT" "\"customer_id\":$member,\"reason\":\"asked not to be called\"" "OptedOut"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic intake.dnd_set --count 1 --no-follow
hf_expect_contains "$HF_OUT" "\"customer_id\":$mom,\"until\":\"2027-03-01\",\"reason\":\"due-date\"" "DndSet"

# ---- merging two customers who are one person ----------------------------------------------------
hf_expect_exit 0 huifang purchase add --customer 3 --product VC30 --quantity 1 --date 2026-10-15
hf_expect_exit 0 huifang customer merge "$wang" 3
hf_expect_contains "$HF_ERR" "customer 3 merged into customer $wang" "merged"
hf_expect_exit 3 huifang customer show 3
hf_expect_contains "$HF_ERR" "customer 3 was merged into customer $wang" "the merged card points to the kept one"
hf_expect_exit 0 huifang --json customer find 13800000003
hf_expect_eq "$wang" "$(hf_json_get "$HF_OUT" id)" "its phone finds the kept customer"
hf_expect_exit 0 huifang --json customer show "$wang"
hf_expect_eq 2026-10-15 "$(hf_json_get "$HF_OUT" purchases.0.date)" "purchases numbered again by date"
hf_expect_eq 1 "$(hf_json_get "$HF_OUT" purchases.0.nth)" "the earliest is the first"
hf_expect_eq 4 "$(hf_json_get "$HF_OUT" purchases.3.nth)" "four forms"
hf_expect_exit 4 huifang customer merge "$wang" 3
hf_expect_exit 0 huifang events tail --from-seq 1 --topic intake.customers_merged --count 1 --no-follow
hf_expect_contains "$HF_OUT" "\"kept_id\":$wang,\"merged_id\":3" "CustomersMerged"

# every lead was told: registered or merged, with its channel and collector
hf_expect_exit 0 huifang events tail --from-seq 1 --topic intake.lead_merged --count 2 --no-follow
hf_expect_contains "$HF_OUT" '"channel":"counter","collector":"C09","source":"Store 9"' "LeadMerged"
