#!/usr/bin/env bash
# shellcheck disable=SC1010  # "delivery done ID": done is an argument here, not a keyword
# Inbound consultations: every call is recorded with the caller, the chief complaint and the
# medium that brought them. A purchase opens a shipping notice in the delivery book (unless
# picked up at a store); a call from a regulator is recorded with unit, position and contact
# and raises an alert to the manager. Bad input names the field and records nothing; a
# retried request records once. consult_logged, delivery_requested and alert_raised carry it
# all to intake, logistics and the manager: a buyer becomes a customer with the purchase
# (whose plan the scheduler starts), a caller who did not buy a lead with the "consultation
# not converted" callbacks, a regulator neither. Needs intake's part (consult_logged).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang'
hf_expect_exit 0 huifang agent add C001 --name 'Xu Ying' --role consult
hf_expect_exit 0 huifang agent add D001 --name 'Sun Qiang' --role deliver
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 \
    --plan monthly-course
cl_wait_product VC30

caller=(--name 'Zhang Wei' --phone 13700003333 --complaint 'knee pain for two years'
    --media 'Evening paper ad')

# ---- bad input: the field is named, nothing is recorded ----------------------------------------
hf_expect_exit 2 huifang --as C001 consult log --name 'Zhang Wei' --phone 13700003333 \
    --complaint 'knee pain' --outcome bought --product VC30
hf_expect_contains "$HF_ERR" "--media is required" "the medium is required"
hf_expect_exit 2 huifang --as C001 consult log "${caller[@]}" --outcome maybe
hf_expect_contains "$HF_ERR" "--outcome must be one of bought|not-bought" "outcome"
hf_expect_exit 2 huifang --as C001 consult log "${caller[@]}" --outcome bought --product NOPE
hf_expect_contains "$HF_ERR" "product: unknown product NOPE" "unknown product"
hf_expect_exit 2 huifang --as C001 consult log "${caller[@]}" --outcome bought --product VC30 \
    --quantity -2
hf_expect_contains "$HF_ERR" "--quantity must be a whole number" "negative quantity"
hf_expect_exit 2 huifang --as C001 consult log "${caller[@]}" --outcome bought
hf_expect_contains "$HF_ERR" "--product is required" "a purchase names its product"
hf_expect_exit 2 huifang --as C001 consult log "${caller[@]}" --outcome not-bought --product VC30
hf_expect_contains "$HF_ERR" "--product is for --outcome bought" "no product without a purchase"
hf_expect_exit 2 huifang --as C001 consult log --name 'Zhang Wei' --phone 1370000 \
    --complaint 'knee pain' --media ad --outcome not-bought
hf_expect_contains "$HF_ERR" "--phone" "a bad phone"
hf_expect_exit 2 huifang --as C001 consult log "${caller[@]}" --outcome not-bought --age 200
hf_expect_contains "$HF_ERR" "--age" "an impossible age"
hf_expect_exit 2 huifang --as C001 consult log --regulator --name 'Officer Liu' --contact 010-65001234
hf_expect_contains "$HF_ERR" "--unit is required" "a regulator's unit"
hf_expect_exit 2 huifang --as C001 consult log "${caller[@]}" --outcome not-bought --unit 'Bureau'
hf_expect_contains "$HF_ERR" "--regulator" "unit is for regulators"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic calllog. --no-follow
hf_expect_eq "" "$HF_OUT" "nothing recorded"

# ---- bought: recorded, with a shipping notice; a retry records once ----------------------------
bought=(huifang --as C001 --json consult log "${caller[@]}" --outcome bought --product VC30
    --quantity 3 --gender m --age 62 --address 'Wangjing St 5' --region chaoyang
    --idempotency-key consult-1)
hf_expect_exit 0 "${bought[@]}"
first=$HF_OUT
mapfile -t v <<<"$(cl_json_values "$first" id delivery_id)"
consult=${v[0]} delivery=${v[1]}
[[ $delivery =~ ^[1-9][0-9]*$ ]] || hf_fail "a purchase opened no shipping notice: $first"
cl_json_expect "$first" name "Zhang Wei" phone 13700003333 chief_complaint "knee pain for two years" \
    media "Evening paper ad" outcome bought product VC30 quantity 3 delivery home gender m \
    age 62 address "Wangjing St 5" region chaoyang agent C001 regulator false alert_id 0 \
    date 2026-11-02
hf_expect_exit 0 "${bought[@]}"
hf_expect_eq "$consult" "$(cl_json_get "$HF_OUT" id)" "the retry gets the first consultation"
hf_expect_exit 0 huifang --json delivery list --pending
hf_expect_eq 1 "$(printf '%s\n' "$HF_OUT" | grep -c .)" "one shipping notice"
cl_json_expect "$HF_OUT" id "$delivery" source consult consultation_id "$consult" contact_id 0 \
    customer_id 0 name "Zhang Wei" phone 13700003333 address "Wangjing St 5" product VC30 \
    quantity 3 state pending
hf_expect_exit 0 huifang --as D001 delivery done "$delivery"

# bought at a store: no shipping notice
hf_expect_exit 0 huifang --as C001 --json consult log --name 'Li Hua' --phone 13700004444 \
    --complaint 'poor sleep' --media 'Radio 103.9' --outcome bought --product VC30 --delivery store
cl_json_expect "$HF_OUT" delivery store delivery_id 0 quantity 1

# ---- a regulator: recorded with unit, position and contact; the manager is alerted -------------
hf_expect_exit 0 huifang alerts
hf_expect_contains "$HF_ERR" "no alerts" "no alert yet"
hf_expect_exit 0 huifang --as C001 --json consult log --regulator --name 'Officer Liu' \
    --phone 13700009999 --unit 'Chaoyang Market Regulation Bureau' --position inspector \
    --contact 010-65001234 --complaint 'asked about the claims in the evening paper ad'
reg=$HF_OUT
mapfile -t v <<<"$(cl_json_values "$reg" id alert_id)"
regulator=${v[0]} alert=${v[1]}
[[ $alert =~ ^[1-9][0-9]*$ ]] || hf_fail "a regulator's call raised no alert: $reg"
cl_json_expect "$reg" regulator true regulator_unit "Chaoyang Market Regulation Bureau" \
    regulator_position inspector regulator_contact 010-65001234 outcome "" delivery_id 0
hf_expect_exit 0 huifang --json alerts
cl_json_expect "$HF_OUT" id "$alert" kind regulator-call to_role manager \
    consultation_id "$regulator" raised_by C001
hf_expect_contains "$HF_OUT" "Chaoyang Market Regulation Bureau" "the summary names the unit"
hf_expect_exit 0 huifang alerts
hf_expect_contains "$HF_OUT" "regulator-call" "alerts table"

# not bought: no shipping notice either
hf_expect_exit 0 huifang --as C001 --json consult log --name 'Qian Li' --phone 13700005555 \
    --complaint 'tired all day' --media 'Leaflet' --outcome not-bought --gender f --age 45 \
    --region chaoyang
cl_json_expect "$HF_OUT" outcome not-bought delivery_id 0 product ""
hf_expect_exit 0 huifang --json delivery list
hf_expect_eq 1 "$(printf '%s\n' "$HF_OUT" | grep -c .)" "still one delivery entry"

# ---- the day's consultations ----------------------------------------------------------------------
hf_expect_exit 0 huifang consult list
hf_expect_eq 5 "$(printf '%s\n' "$HF_OUT" | wc -l)" "header and four calls"
hf_expect_contains "$HF_OUT" "137****3333" "phones masked"
[[ $HF_OUT != *13700003333* ]] || hf_fail "consult list shows an unmasked phone"
hf_expect_exit 0 huifang --json consult list --regulator
hf_expect_eq 1 "$(printf '%s\n' "$HF_OUT" | grep -c .)" "one regulator call"
hf_expect_exit 0 huifang --json consult list --date 2026-11-01
hf_expect_eq "" "$HF_OUT" "none the day before"

# ---- intake: customers and leads; the scheduler: their plans ----------------------------------
# events apply in order: once the last caller is known, the others were handled
hf_wait_until 10 huifang customer find 13700005555
hf_expect_exit 0 huifang --json customer find 13700003333
buyer=$(cl_json_get "$HF_OUT" id)
cl_json_expect "$HF_OUT" name 'Zhang Wei' card_type customer address 'Wangjing St 5' region chaoyang
hf_expect_exit 0 huifang --json customer show "$buyer"
cl_json_expect "$HF_OUT" purchases.0.product VC30 purchases.0.quantity 3 purchases.0.date 2026-11-02
hf_expect_exit 0 huifang --json customer find 13700005555
lead=$(cl_json_get "$HF_OUT" id)
hf_expect_exit 3 huifang customer find 13700009999
hf_wait_until 10 bash -c "test \$(huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow | grep -c .) -eq 3"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow
hf_expect_contains "$HF_OUT" "\"customer_id\":$buyer,\"template\":\"monthly-course\"" "the buyer's course"
hf_expect_contains "$HF_OUT" "\"customer_id\":$lead,\"template\":\"consult-not-converted\"" "the lead's callbacks"

# ---- the events ------------------------------------------------------------------------------------
hf_expect_exit 0 huifang events tail --from-seq 1 --topic calllog.consult_logged --no-follow
hf_expect_eq 4 "$(printf '%s\n' "$HF_OUT" | grep -c .)" "four consult_logged"
cl_json_expect "$HF_OUT" 0.consult_logged.consultation.id "$consult" \
    0.consult_logged.consultation.outcome bought 1.consult_logged.consultation.delivery store \
    2.consult_logged.consultation.regulator true 3.consult_logged.consultation.outcome not-bought
hf_expect_exit 0 huifang events tail --from-seq 1 --topic calllog.alert_raised --no-follow
cl_json_expect "$HF_OUT" alert_raised.alert.id "$alert" alert_raised.alert.to_role manager
hf_expect_exit 0 huifang events tail --from-seq 1 --topic calllog.delivery_requested --no-follow
cl_json_expect "$HF_OUT" delivery_requested.delivery.consultation_id "$consult"

# ---- the conversion rate counts consultations, not the regulator's call ----------------------------
# shellcheck source-path=SCRIPTDIR source=reporting_scenario.sh
source "$(dirname "$0")/reporting_scenario.sh"
rep_settle
hf_expect_exit 0 huifang report agent-daily --agent C001 --format json
row=$(grep '"table":"consultation agents","agent":"C001"' <<<"$HF_OUT") ||
    hf_fail "no consultation row for C001 in: $HF_OUT"
cl_json_expect "$row" consultations 3 purchases 2
