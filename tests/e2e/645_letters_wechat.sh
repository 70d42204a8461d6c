#!/usr/bin/env bash
# Letters and WeChat (issue 16): a plan with a phone call, a letter and a WeChat message on
# the same day. The letter never goes into an agent's date bag: `letters print` lists the
# day's letters of the branch with the customers' names and postal addresses as a CSV
# mail-merge file (a customer without an address left out and counted; another day's and
# another branch's letters not in it), and `letters sent` logs them (a contact on channel
# letter each, the task done; twice logs nothing twice). The WeChat message is claimed and
# logged like a call with its own outcomes (a WeChat outcome on a phone call is refused,
# naming the outcome; no reply is done, never an unanswered call). Neither takes phone
# capacity: with two calls a day, the agent's bag holds both calls and every message.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$HUIFANG_STORE_URL" -c "$1"; }

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --windows 08:00-20:00 --lead-plans none
hf_expect_exit 0 huifang branch add SH01 --name 'Shanghai Jing an' --windows 08:00-20:00 --lead-plans none
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --daily-calls 2
hf_expect_exit 0 huifang --branch SH01 agent add S001 --name 'Xu Jie' --role phone --daily-calls 2
# the default template every branch sees: a call, a letter and a WeChat message the day after
env -u HUIFANG_BRANCH huifang plan add care-mix --name 'care by every channel' >/dev/null
for step in '1 phone care' '2 letter care' '3 wechat usage'; do
    read -r n ch purpose <<<"$step"
    env -u HUIFANG_BRANCH huifang plan step care-mix --step "$n" --anchor purchase --offset 1 \
        --purpose "$purpose" --channel "$ch" --role phone >/dev/null ||
        hf_fail "plan step $n"
done
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 --plan care-mix
# and a product whose only step is a letter two days after the purchase
env -u HUIFANG_BRANCH huifang plan add letter-later --name 'a letter, later' >/dev/null
env -u HUIFANG_BRANCH huifang plan step letter-later --step 1 --anchor purchase --offset 2 \
    --purpose care --channel letter --role phone >/dev/null
hf_expect_exit 0 huifang product add LT30 --name 'Lutein 30' --days-per-unit 30 --price 98 --plan letter-later
hf_expect_exit 0 huifang --branch SH01 product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 --plan care-mix

customer() { # BRANCH NAME PHONE [ADDRESS] [PRODUCT] [LANGUAGE]: a customer with a purchase; prints the id
    local args=(--name "$2" --phone "$3" --channel counter) id
    [[ -n ${4:-} ]] && args+=(--address "$4")
    [[ -n ${6:-} ]] && args+=(--language "$6")
    id=$(hf_json_get "$(huifang --branch "$1" --json lead add "${args[@]}")" customer.id)
    huifang --branch "$1" purchase add --customer "$id" --product "${5:-VC30}" --quantity 1 >/dev/null ||
        hf_fail "purchase for $2"
    echo "$id"
}
c1=$(customer BJ01 'Wang Fang' 13812345671 '北京市朝阳区建国路88号 3单元501' VC30 zh-Hans)
c2=$(customer BJ01 'Zhang Wei' 13812345672 'Room 5, 12 "Guanghua" Road')
c3=$(customer BJ01 'Liu Yang' 13812345673)
c4=$(customer BJ01 'Chen Jing' 13812345674 'Nanluoguxiang 7' LT30)
s1=$(customer SH01 'Gu Ming' 13812345675 'Huaihai Road 100')
hf_wait_until 20 bash -c "[ \$(huifang events tail --from-seq 1 --topic scheduler.plan_started --no-follow | grep -c plan_started) = 5 ]"

# the language of a customer's letters: a BCP 47 tag, from lead add or customer edit
hf_expect_exit 2 huifang customer edit "$c2" --language 'english!'
hf_expect_contains "$HF_ERR" 'language "english!" must be a BCP 47 language tag' "a bad tag, naming the field"
hf_expect_exit 2 huifang lead add --name 'Bad Tag' --phone 13812345679 --channel counter --language zh_CN
hf_expect_contains "$HF_ERR" "language" "a bad tag on lead add"
hf_expect_eq "" "$(sql "SELECT id FROM intake.customer WHERE name = 'Bad Tag'")" "nothing added"
hf_expect_exit 0 huifang customer edit "$c2" --language en
hf_expect_exit 0 huifang customer show "$c2"
hf_expect_contains "$HF_OUT" "language" "the card shows the language"
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT language FROM scheduler.customer WHERE id = $c2\")\" = en ]"
hf_expect_eq zh-Hans "$(sql "SELECT language FROM scheduler.customer WHERE id = $c1")" "lead add's language reaches the scheduler"

# the next day: three calls, three letters, three messages fall due in BJ01
hf_expect_exit 0 huifang clock set '2026-11-03 09:00'
bag() { huifang --json worklist --agent A001 >"$HF_E2E_TMP/bag.json" && [ "$(grep -c '"state":"assigned"' "$HF_E2E_TMP/bag.json")" = "$1" ]; }
hf_wait_until 20 bag 5
bag=$(<"$HF_E2E_TMP/bag.json")
hf_expect_eq 2 "$(grep -c '"channel":"phone"' <<<"$bag")" "two calls: the agent's capacity"
hf_expect_eq 3 "$(grep -c '"channel":"wechat"' <<<"$bag")" "every WeChat message besides, outside the capacity"
hf_expect_eq 0 "$(grep -c '"channel":"letter"' <<<"$bag")" "no letter in a date bag"
hf_expect_eq 2 "$(sql "SELECT calls FROM scheduler.agent_day WHERE agent = 'A001' AND day = '2026-11-03'")" \
    "the capacity counter holds the calls only"
hf_expect_eq 1 "$(sql "SELECT count(*) FROM scheduler.task WHERE branch = 'BJ01' AND channel = 'phone' AND state = 'planned' AND due_at_ms > 0 AND purpose = 'care'")" \
    "the third call rolls over (no room)"

# the day's letters: the two with an address, exactly as the archive has them
hf_expect_exit 0 huifang letters print --date 2026-11-03 --out "$HF_E2E_TMP/letters.csv"
hf_expect_contains "$HF_ERR" "2 letters of 2026-11-03 for branch BJ01" "the count"
hf_expect_contains "$HF_ERR" "1 left out: no postal address" "the one without an address"
csv=$(<"$HF_E2E_TMP/letters.csv")
hf_expect_eq 3 "$(wc -l <<<"$csv")" "a header and two letters"
hf_expect_contains "$(head -n1 <<<"$csv")" "task_id,customer_id,name,address,region,purpose,product,date,language" "the header"
hf_expect_contains "$csv" ",$c1,Wang Fang,北京市朝阳区建国路88号 3单元501,,care,VC30,2026-11-03" "the first letter"
hf_expect_contains "$csv" ",$c1,Wang Fang,北京市朝阳区建国路88号 3单元501,,care,VC30,2026-11-03,zh-Hans" "in the customer's language"
hf_expect_contains "$csv" ",2026-11-03,en"$'\r' "Zhang Wei's letter in English"
hf_expect_contains "$csv" ",$c2,Zhang Wei,\"Room 5, 12 \"\"Guanghua\"\" Road\",,care,VC30,2026-11-03" "an address quoted"
[[ $csv != *"Liu Yang"* && $csv != *"Chen Jing"* && $csv != *"Gu Ming"* ]] ||
    hf_fail "another day's, another branch's or an address-less letter is in the batch: $csv"
hf_expect_eq 600 "$(stat -c %a "$HF_E2E_TMP/letters.csv")" "the file is the owner's only"
hf_expect_exit 0 huifang letters print --date 2026-11-04
hf_expect_contains "$HF_OUT" ",$c4,Chen Jing,Nanluoguxiang 7,,care,LT30,2026-11-04" "the day after: Chen Jing's letter"
hf_expect_contains "$HF_ERR" "1 letters of 2026-11-04" "only hers"
hf_expect_exit 0 huifang --branch SH01 letters print --date 2026-11-03
hf_expect_contains "$HF_OUT" ",$s1,Gu Ming,Huaihai Road 100," "Shanghai's own batch"
hf_expect_exit 2 huifang letters print --date 2026-11-03 --format pdf
hf_expect_contains "$HF_ERR" "only csv" "no PDF"
hf_expect_exit 2 huifang letters print --date 2026-13-01
hf_expect_exit 2 huifang --branch XX99 letters print --date 2026-11-03
hf_expect_contains "$HF_ERR" "branch" "an unknown branch"

# sent: a contact on channel letter each, the tasks done; again: nothing twice
hf_expect_exit 0 huifang --as A001 letters sent --date 2026-11-03
hf_expect_contains "$HF_OUT" "2 letters of 2026-11-03 logged as sent" "two logged"
done_letters() {
    [ "$(sql "SELECT count(*) FROM scheduler.task WHERE branch = 'BJ01' AND channel = 'letter' AND state = 'done' AND outcome = 'sent'")" = "$1" ]
}
hf_wait_until 20 done_letters 2
hf_expect_eq 2 "$(sql "SELECT count(*) FROM calllog.contact WHERE channel = 'letter' AND outcome = 'sent' AND customer_id IN ($c1, $c2)")" \
    "a contact on channel letter per letter"
hf_expect_exit 0 huifang --as A001 letters sent --date 2026-11-03
hf_expect_contains "$HF_OUT" "0 letters of 2026-11-03 logged as sent" "nothing twice"
hf_expect_exit 0 huifang letters print --date 2026-11-03
hf_expect_contains "$HF_ERR" "0 letters of 2026-11-03" "the batch is sent"
hf_expect_eq 2 "$(sql "SELECT calls FROM scheduler.agent_day WHERE agent = 'A001' AND day = '2026-11-03'")" \
    "letters took no capacity"

# WeChat is worked like a call, with its own outcomes
wechat=() phone=()
for _ in 1 2 3 4 5; do
    out=$(huifang --as A001 --json task next) || hf_fail "task next"
    id=$(sed -n 's/.*"task":{"id":"\{0,1\}\([0-9]*\).*/\1/p' <<<"$out")
    ch=$(hf_json_get "$out" task.channel)
    if [[ $ch == wechat ]]; then
        wechat+=("$id")
        case ${#wechat[@]} in
        1) outcome=replied ;;
        2) outcome=read ;;
        *) outcome=no-reply ;;
        esac
        hf_expect_exit 0 huifang --as A001 call log --task "$id" --outcome "$outcome"
    else
        phone+=("$id")
        hf_expect_exit 2 huifang --as A001 call log --task "$id" --outcome replied
        hf_expect_contains "$HF_ERR" "outcome replied is for wechat contacts, not phone" "a WeChat outcome on a call"
        hf_expect_exit 0 huifang --as A001 call log --task "$id" --outcome connected
    fi
done
hf_expect_eq "3 2" "${#wechat[@]} ${#phone[@]}" "three messages and two calls worked"
hf_expect_exit 0 huifang outcome list
hf_expect_contains "$HF_OUT" "no-reply" "WeChat's outcomes are data"
wechat_done() {
    [ "$(sql "SELECT count(*) FROM scheduler.task WHERE channel = 'wechat' AND state = 'done'")" = 3 ]
}
hf_wait_until 20 wechat_done
hf_expect_eq "no-reply" "$(sql "SELECT outcome FROM scheduler.task WHERE id = ${wechat[2]}")" "no reply ends the step"
hf_expect_eq 0 "$(sql "SELECT count(*) FROM scheduler.customer WHERE unanswered > 0")" "no reply is no unanswered call"
hf_expect_eq 2 "$(sql "SELECT calls FROM scheduler.agent_day WHERE agent = 'A001' AND day = '2026-11-03'")" \
    "messages took no capacity"
hf_log "letters print and send; WeChat outcomes; neither takes phone capacity"
