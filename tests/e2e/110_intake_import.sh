#!/usr/bin/env bash
# `huifang lead import` through the real intake service: a spreadsheet's CSV (Chinese or
# English headers, quoted fields, a field over two lines, UTF-8 and the same file in
# GB18030) becomes leads; rejected lines go to a rejects file with their line numbers and
# reasons; the summary counts read, added, merged, rejected. Importing the same content again
# adds nothing, from either encoding; and an import killed with SIGKILL half-way, run again,
# ends with every lead recorded exactly once.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

hf_stack_start intake
export HUIFANG_BRANCH=BJ01
hf_expect_exit 0 huifang branch add BJ01 --name Beijing
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang,haidian

sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }
dir=$HF_E2E_TMP

# ---- a clerk's sheet ------------------------------------------------------------------------
cat >"$dir/sheet.csv" <<'EOF'
姓名,电话,性别,区域,地址,宝宝生日,喂养方式,渠道,收集人,收集日期
王芳,138-1234-5678,女,chaoyang,"朝阳路1号, 2单元",2026/9/10,母乳,柜台,C01,2026-11-20
李娜,13900000002,女,haidian,,,,医院,R07,2026-11-21
坏号码,12345,女,,,,,柜台,C01,
周敏,13900000003,女,nowhere,,,,柜台,C02,
"张
伟",13900000004,男,,,,,柜台,C02,

王芳,+86 13812345678,女,,,,混合,义诊,C03,2026-11-22
赵强,13900000005,男,,,2030-01-01,,柜台,C03,
钱军,13900000006,男,,,,,街头,C03,
孙丽,13900000007,女,,,,,,C04,not a date
EOF
hf_expect_exit 0 huifang lead import "$dir/sheet.csv" --rejects "$dir/rejects.csv"
hf_expect_eq "read 9, added 2, merged 1, rejected 6, already imported 0" "${HF_OUT% (*}" "the summary"
hf_expect_contains "$HF_ERR" "rejected lines, with their line numbers and reasons: $dir/rejects.csv" "where they went"
rejects=$(<"$dir/rejects.csv")
hf_expect_contains "$rejects" '"line","field","reason","姓名","电话"' "the rejects file keeps the header"
hf_expect_contains "$rejects" '"4","phone","phone ""12345"" is 5 digits; a mobile has 11","坏号码"' "line 4: the phone"
hf_expect_contains "$rejects" '"5","region","region ""nowhere"" is not covered by any agent of the branch (chaoyang, haidian)"' "line 5: the region"
hf_expect_contains "$rejects" '"6","name","name contains control characters","张
伟"' "line 6: a name over two lines"
hf_expect_contains "$rejects" '"10","baby_birth","baby_birth 2030-01-01 is in the future"' "line 10 (after a blank line)"
hf_expect_contains "$rejects" '"11","channel","channel ""街头"" is not one of' "line 11: the channel"
hf_expect_contains "$rejects" '"12","collected_at","collected_at ""not a date"" is not a date or time"' "line 12: the date"
hf_expect_eq 6 "$(grep -c '^"[0-9]' "$dir/rejects.csv")" "six lines rejected"

hf_expect_exit 0 huifang --json customer find 13812345678
wang=$(hf_json_get "$HF_OUT" id)
hf_expect_eq T2 "$(hf_json_get "$HF_OUT" stage)" "2026/9/10 read as the baby's birth"
hf_expect_eq breast "$(hf_json_get "$HF_OUT" feeding)" "母乳 is breast; the merge keeps it"
hf_expect_eq 'f' "$(hf_json_get "$HF_OUT" gender)" "女 is f"
hf_expect_exit 0 huifang customer show "$wang"
hf_expect_contains "$HF_OUT" "counter  C01" "the first source"
hf_expect_contains "$HF_OUT" "clinic   C03" "the merged source, 义诊"

# ---- the same content again, in UTF-8 or in GB18030: nothing added ---------------------------
hf_expect_exit 0 huifang lead import "$dir/sheet.csv" --rejects "$dir/rejects2.csv"
hf_expect_eq "read 9, added 0, merged 0, rejected 6, already imported 3" "${HF_OUT% (*}" "a second run"
iconv -f UTF-8 -t GB18030 "$dir/sheet.csv" >"$dir/sheet-gb.csv"
hf_expect_exit 0 huifang --json lead import "$dir/sheet-gb.csv" --rejects "$dir/rejects3.csv"
hf_expect_eq GB18030 "$(hf_json_get "$HF_OUT" encoding)" "detected"
hf_expect_eq 3 "$(hf_json_get "$HF_OUT" duplicate)" "the same rows, whatever the encoding"
hf_expect_eq 0 "$(hf_json_get "$HF_OUT" added)" "nothing added"
hf_expect_eq "2 3" "$(sql "SELECT (SELECT count(*) FROM intake.customer) || ' ' || (SELECT count(*) FROM intake.lead_source)")" "two customers, three sources"
# a row is recognised by the key kept on its lead source, looked up through its phone's
# customer: after the customer came in again by another channel, after a changed row (a new
# lead), and after its customer was merged into another one
hf_expect_exit 0 huifang lead add --name 王芳 --phone 13812345678 --channel consult --collector C09
hf_expect_exit 0 huifang lead import "$dir/sheet.csv" --rejects "$dir/rejects-a.csv"
hf_expect_eq "read 9, added 0, merged 0, rejected 6, already imported 3" "${HF_OUT% (*}" \
    "a rerun after another channel's lead adds nothing"
sed 's/^李娜,13900000002,女,haidian,,,,医院,R07,/李娜,13900000002,女,haidian,,,,医院,R08,/' \
    "$dir/sheet.csv" >"$dir/sheet-changed.csv"
hf_expect_exit 0 huifang lead import "$dir/sheet-changed.csv" --rejects "$dir/rejects-b.csv"
hf_expect_eq "read 9, added 0, merged 1, rejected 6, already imported 2" "${HF_OUT% (*}" \
    "a changed row is a new lead of the same customer"
hf_expect_exit 0 huifang --json customer find 13900000002
li=$(hf_json_get "$HF_OUT" id)
hf_expect_exit 0 huifang customer merge "$wang" "$li"
hf_expect_exit 0 huifang lead import "$dir/sheet-changed.csv" --rejects "$dir/rejects-c.csv"
hf_expect_eq "read 9, added 0, merged 0, rejected 6, already imported 3" "${HF_OUT% (*}" \
    "the keys moved with the merge"
hf_expect_eq "5 1" "$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE row_key IS NULL)
                           FROM intake.lead_source WHERE customer_id = $wang")" \
    "four imported sources with their keys and the added lead's, all on the kept customer"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic intake.lead_rejected --count 5 --no-follow
hf_expect_contains "$HF_OUT" '"field":"phone"' "LeadRejected for the reports"
hf_expect_contains "$HF_OUT" '"line":4' "with the line"

# the rejects fixed, the file imported as it is: its extra columns are ignored
sed -e 's/,"12345",/,"13900000008",/' -e 's/,"nowhere",/,"haidian",/' "$dir/rejects.csv" >"$dir/fixed.csv"
hf_expect_exit 0 huifang lead import "$dir/fixed.csv" --channel counter --rejects "$dir/rejects4.csv"
hf_expect_eq "read 6, added 2, merged 0, rejected 4, already imported 0" "${HF_OUT% (*}" "fixed lines imported"

# ---- bad files ----------------------------------------------------------------------------
printf 'foo,bar\n1,2\n' >"$dir/nohead.csv"
hf_expect_exit 2 huifang lead import "$dir/nohead.csv" --channel counter
hf_expect_contains "$HF_ERR" "at least name and phone" "the header names the columns"
printf 'name,phone\nA,13900000009\n' >"$dir/nochannel.csv"
hf_expect_exit 2 huifang lead import "$dir/nochannel.csv"
hf_expect_contains "$HF_ERR" "--channel is required" "a channel for every row"
hf_expect_exit 2 huifang lead import "$dir/missing.csv" --channel counter
hf_expect_contains "$HF_ERR" "could not open" "no such file"

# ---- killed half-way, run again: every lead exactly once -------------------------------------
# gen.awk: 30000 rows; every 100th a phone that is not one (300), every 10th of the rest a
# phone met before (2999): 26701 people, 29700 leads. Its phones moved to 137 to stay apart.
awk -v n=30000 -f "$HF_SOURCE/tests/bench/intake_import/gen.awk" |
    sed 's/^\([^,]*\),139/\1,137/' >"$dir/big.csv"
hf_expect_exit 0 huifang agent add A002 --name 'Zhou Min' --role phone --regions dongcheng,xicheng,fengtai
keys_before=$(sql "SELECT count(*) FROM intake.import_row")
huifang lead import "$dir/big.csv" --batch 500 >"$dir/run1.out" 2>&1 &
importer=$!
deadline=$(hf_deadline 60)
until (($(sql "SELECT count(*) FROM intake.customer WHERE phone LIKE '137%'") > 2000)); do
    hf_past "$deadline" && hf_fail "the import recorded nothing within 60 s"
    sleep 0.05
done
kill -KILL "$importer"
wait "$importer" 2>/dev/null || true
# the batch in flight when the client died may still commit: intake answers a request when its
# loop is past it ("no customer": exit 3), and then no transaction of intake's is open
hf_wait_until 10 bash -c "huifang customer show 999999999 >/dev/null 2>&1; test \$? -eq 3"
hf_wait_until 10 bash -c "[ \"\$(psql -X -q -t -A -d \"$HUIFANG_STORE_URL\" -c \"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'\")\" = 0 ]"
partial=$(sql "SELECT count(*) FROM intake.lead_source s JOIN intake.customer c ON c.id = s.customer_id WHERE c.phone LIKE '137%'")
((partial < 29700)) || hf_fail "the import finished before it was killed: make the file bigger"
hf_log "killed after $partial of 29700 leads"
hf_expect_exit 0 huifang --json lead import "$dir/big.csv" --batch 500
hf_expect_eq 30000 "$(hf_json_get "$HF_OUT" read)" "every line read again"
hf_expect_eq 300 "$(hf_json_get "$HF_OUT" rejected)" "1% rejected"
hf_expect_eq "$partial" "$(hf_json_get "$HF_OUT" duplicate)" "what the first run recorded is skipped"
hf_expect_eq $((29700 - partial)) $(($(hf_json_get "$HF_OUT" added) + $(hf_json_get "$HF_OUT" merged))) "the rest is recorded"
hf_expect_eq "26701 29700 29700 300" \
    "$(sql "SELECT (SELECT count(*) FROM intake.customer WHERE phone LIKE '137%') || ' ' ||
                   (SELECT count(*) || ' ' || count(DISTINCT s.row_key) FROM intake.lead_source s
                     JOIN intake.customer c ON c.id = s.customer_id WHERE c.phone LIKE '137%') || ' ' ||
                   (SELECT count(*) - $keys_before FROM intake.import_row)")" \
    "one customer per phone, one source (with its row's key) per valid row, a key kept per rejected row"

# ---- an intake that is down: the import gives up within the --timeout it was given, and runs
# once it is back (a try waited 60 s whatever --timeout said; `timeout 60` bounds the wait)
hf_service_stop intake KILL
printf 'name,phone,channel\nQian Li,13900000021,counter\n' >"$dir/small.csv"
hf_expect_exit 5 timeout 60 huifang lead import "$dir/small.csv" --timeout 1000
hf_service_start intake
hf_expect_exit 0 huifang --json lead import "$dir/small.csv" --timeout 20000
hf_expect_eq 1 "$(hf_json_get "$HF_OUT" added)" "the lead is recorded once intake is back"
