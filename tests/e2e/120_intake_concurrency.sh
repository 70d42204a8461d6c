#!/usr/bin/env bash
# One phone, one customer, under real concurrency: two intake instances on one database (as
# a deployment scales it out) take adds of the same new phones at the same moment, and then
# the same file imported on both at once. The phone's UNIQUE claim and the rows' import keys
# leave exactly one customer per phone, one source per lead and no row recorded twice.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

hf_stack_start intake
export HUIFANG_BRANCH=BJ01
hf_expect_exit 0 huifang branch add BJ01 --name Beijing
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone \
    --regions chaoyang,haidian,dongcheng,xicheng,fengtai

# a second instance of intake on its own ports, the same store
second=$((HUIFANG_PORT_BASE + 46))
hf_instance_start intake2 intake "$second" $((second + 1)) $((second + 2))
one=tcp://127.0.0.1:$(hf_service_port intake)
two=tcp://127.0.0.1:$second
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }

# ---- the same new phone added through both instances at the same moment, ten times over ------
names=(Zhao Qian Sun Li Zhou Wu Zheng Wang Feng Chen)
pids=()
for i in "${!names[@]}"; do
    phone=1370000000$i
    HUIFANG_INTAKE_ENDPOINT=$one huifang lead add --name "${names[$i]} Yi" --phone "$phone" \
        --channel counter >"$HF_E2E_TMP/a$i.out" 2>&1 &
    pids+=($!)
    HUIFANG_INTAKE_ENDPOINT=$two huifang lead add --name "${names[$i]} Er" --phone "$phone" \
        --channel hospital >"$HF_E2E_TMP/b$i.out" 2>&1 &
    pids+=($!)
done
failed=0
for p in "${pids[@]}"; do
    wait "$p" || failed=$((failed + 1))
done
hf_expect_eq 0 "$failed" "every add answered OK"
hf_expect_eq "10 10 20" \
    "$(sql "SELECT count(*) || ' ' || count(DISTINCT phone) || ' ' ||
                   (SELECT count(*) FROM intake.lead_source) FROM intake.customer")" \
    "one customer per phone, both sources kept"
merged=$(cat "$HF_E2E_TMP"/[ab]*.out | grep -c "merged into customer" || true)
hf_expect_eq 10 "$merged" "one of each pair was told it merged"

# ---- the same file imported on both instances at once ----------------------------------------
# gen.awk: 6000 rows; 60 rejected, 599 repeating an earlier phone: 5341 people, 5940 leads
awk -v n=6000 -v seed=3 -f "$HF_SOURCE/tests/bench/intake_import/gen.awk" |
    sed 's/^\([^,]*\),139/\1,136/' >"$HF_E2E_TMP/leads.csv"
HUIFANG_INTAKE_ENDPOINT=$one huifang --json lead import "$HF_E2E_TMP/leads.csv" --batch 300 \
    --rejects "$HF_E2E_TMP/r1.csv" >"$HF_E2E_TMP/i1.json" 2>"$HF_E2E_TMP/i1.err" &
i1=$!
HUIFANG_INTAKE_ENDPOINT=$two huifang --json lead import "$HF_E2E_TMP/leads.csv" --batch 300 \
    --rejects "$HF_E2E_TMP/r2.csv" >"$HF_E2E_TMP/i2.json" 2>"$HF_E2E_TMP/i2.err" &
i2=$!
wait "$i1" || hf_fail "the first import failed: $(<"$HF_E2E_TMP/i1.err")"
wait "$i2" || hf_fail "the second import failed: $(<"$HF_E2E_TMP/i2.err")"
j1=$(<"$HF_E2E_TMP/i1.json")
j2=$(<"$HF_E2E_TMP/i2.json")
recorded=$(($(hf_json_get "$j1" added) + $(hf_json_get "$j1" merged) + $(hf_json_get "$j2" added) + $(hf_json_get "$j2" merged)))
hf_expect_eq 5940 "$recorded" "each lead recorded by one of the two"
hf_expect_eq 5940 $(($(hf_json_get "$j1" duplicate) + $(hf_json_get "$j2" duplicate))) "and skipped by the other"
hf_expect_eq "5341 5940" \
    "$(sql "SELECT count(*) || ' ' || (SELECT count(*) FROM intake.lead_source s JOIN intake.customer c
                                        ON c.id = s.customer_id WHERE c.phone LIKE '136%')
            FROM intake.customer WHERE phone LIKE '136%'")" \
    "one customer per phone, one source per lead"
hf_expect_eq 0 "$(sql "SELECT count(*) FROM (SELECT phone FROM intake.customer GROUP BY branch, phone HAVING count(*) > 1) d")" \
    "no phone twice"

# ---- one import spread over both instances (--endpoints): every row once, and every row of
# a phone to the same instance (the client's lanes), so neither ever waits for the other's
# claim of a new phone: no batch falls back to waiting claims -----------------------------------
awk -v n=6000 -v seed=3 -f "$HF_SOURCE/tests/bench/intake_import/gen.awk" |
    sed 's/^\([^,]*\),139/\1,135/' >"$HF_E2E_TMP/spread.csv"
batches() { grep -c "command=lead_import status=0" "$HF_E2E_TMP/$1.log" || true; }
before1=$(batches intake)
before2=$(batches intake2)
fallbacks() { cat "$HF_E2E_TMP/intake.log" "$HF_E2E_TMP/intake2.log" | grep -c "event=lead_phone_claimed_meanwhile" || true; }
fallbacks_before=$(fallbacks)
hf_expect_exit 0 huifang --json lead import "$HF_E2E_TMP/spread.csv" --batch 250 --endpoints "$one,$two" \
    --rejects "$HF_E2E_TMP/r3.csv"
hf_expect_eq 5940 $(($(hf_json_get "$HF_OUT" added) + $(hf_json_get "$HF_OUT" merged))) "every lead recorded"
hf_expect_eq 60 "$(hf_json_get "$HF_OUT" rejected)" "every reject reported"
hf_expect_eq 60 "$(grep -c '^"[0-9]' "$HF_E2E_TMP/r3.csv")" "and written"
hf_expect_eq "5341 5940" \
    "$(sql "SELECT count(*) || ' ' || (SELECT count(*) FROM intake.lead_source s JOIN intake.customer c
                                        ON c.id = s.customer_id WHERE c.phone LIKE '135%')
            FROM intake.customer WHERE phone LIKE '135%'")" \
    "one customer per phone, one source per lead"
taken1=$(($(batches intake) - before1))
taken2=$(($(batches intake2) - before2))
# 6000 rows in two lanes of batches of 250: 24 batches, or 25 when neither lane is a multiple
((taken1 + taken2 == 24 || taken1 + taken2 == 25)) ||
    hf_fail "$((taken1 + taken2)) batches for 6000 rows in batches of 250 over two lanes"
((taken1 > 0 && taken2 > 0)) || hf_fail "the batches were not spread: $taken1 and $taken2"
hf_expect_eq 0 $(($(fallbacks) - fallbacks_before)) "no claim of a phone the other instance was claiming"

# ---- the same phones in two different files at once: new phones are claimed with COPY, and
# a batch that meets a phone the other one claimed meanwhile falls back to waiting claims ----
awk -v n=6000 -v seed=5 -f "$HF_SOURCE/tests/bench/intake_import/gen.awk" |
    sed 's/^\([^,]*\),139/\1,134/' >"$HF_E2E_TMP/mine.csv"
sed 's/,C\([0-9]\)/,D\1/' "$HF_E2E_TMP/mine.csv" >"$HF_E2E_TMP/theirs.csv"  # other collectors
HUIFANG_INTAKE_ENDPOINT=$one huifang --json lead import "$HF_E2E_TMP/mine.csv" --batch 300 \
    --rejects "$HF_E2E_TMP/r4.csv" >"$HF_E2E_TMP/i4.json" 2>"$HF_E2E_TMP/i4.err" &
i4=$!
HUIFANG_INTAKE_ENDPOINT=$two huifang --json lead import "$HF_E2E_TMP/theirs.csv" --batch 300 \
    --rejects "$HF_E2E_TMP/r5.csv" >"$HF_E2E_TMP/i5.json" 2>"$HF_E2E_TMP/i5.err" &
i5=$!
wait "$i4" || hf_fail "the first import failed: $(<"$HF_E2E_TMP/i4.err")"
wait "$i5" || hf_fail "the second import failed: $(<"$HF_E2E_TMP/i5.err")"
hf_expect_eq "5341 11880 0" \
    "$(sql "SELECT count(*) || ' ' || (SELECT count(*) FROM intake.lead_source s JOIN intake.customer c
                                        ON c.id = s.customer_id WHERE c.phone LIKE '134%') || ' ' ||
                   (SELECT count(*) FROM (SELECT phone FROM intake.customer GROUP BY branch, phone
                                           HAVING count(*) > 1) d)
            FROM intake.customer WHERE phone LIKE '134%'")" \
    "one customer per phone, every lead of both files recorded once"

# ---- one import spread over both instances as another person (--as): their session is
# asked of intake once, before any lane sends, and every batch of both lanes carries it. The
# lanes' first batches used to look the session up at the same moment, and the lane that came
# second sent its batch with no session while the first was still asking for one -------------
hf_expect_exit 0 huifang agent add M001 --name 'Zhao Min' --role manager
awk -v n=1000 -v seed=7 -f "$HF_SOURCE/tests/bench/intake_import/gen.awk" |
    sed 's/^\([^,]*\),139/\1,133/' >"$HF_E2E_TMP/as.csv"
as_batches() { cat "$HF_E2E_TMP/intake.log" "$HF_E2E_TMP/intake2.log" | grep -c "command=lead_import status=0 actor=M001 " || true; }
unsigned() { cat "$HF_E2E_TMP/intake.log" "$HF_E2E_TMP/intake2.log" | grep -c "event=not_signed_in" || true; }
unsigned_before=$(unsigned)
hf_expect_exit 0 huifang --as M001 --json lead import "$HF_E2E_TMP/as.csv" --batch 50 \
    --endpoints "$one,$two" --rejects "$HF_E2E_TMP/r6.csv"
hf_expect_eq 990 $(($(hf_json_get "$HF_OUT" added) + $(hf_json_get "$HF_OUT" merged))) "every lead recorded, as M001"
taken=$(as_batches)
# 1000 rows in two lanes of batches of 50: 20 batches, or 21 when neither lane is a multiple
((taken == 20 || taken == 21)) || hf_fail "$taken batches acted as M001 for 1000 rows in batches of 50"
hf_expect_eq 0 $(($(unsigned) - unsigned_before)) "no batch came without a session"
