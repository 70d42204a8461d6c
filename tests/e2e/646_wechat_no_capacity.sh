#!/usr/bin/env bash
# A WeChat message takes no phone capacity anywhere: not in the evening preview of
# tomorrow's bag (`worklist --date tomorrow`: two calls and two messages fit an agent of two
# calls a day, nothing "finds no room"), and not when an absent agent's bag moves to a
# colleague (`agent absent`: a colleague with room for one call takes one call and both
# messages; the other call waits for the next day; the capacity counter holds the call only).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$HUIFANG_STORE_URL" -c "$1"; }

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --windows 08:00-20:00 --lead-plans none
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --daily-calls 2
hf_expect_exit 0 huifang plan add call-chat --name 'a call and a message'
hf_expect_exit 0 huifang plan step call-chat --step 1 --anchor purchase --offset 1 --purpose care \
    --channel phone --role phone
hf_expect_exit 0 huifang plan step call-chat --step 2 --anchor purchase --offset 1 --purpose usage \
    --channel wechat --role phone
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 --plan call-chat
for n in 1 2; do
    nm=(x Wang Zhao)
    hf_expect_exit 0 huifang --json lead add --name "${nm[$n]} Fang" --phone "1381234567$n" --channel counter
    id=$(hf_json_get "$HF_OUT" customer.id)
    hf_expect_exit 0 huifang purchase add --customer "$id" --product VC30 --quantity 1
done
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE state = 'planned'\")\" = 4 ]"

# the evening before: both calls and both messages in A001's bag, the bag full of calls only
hf_expect_exit 0 huifang clock set '2026-11-02 18:00'
hf_expect_exit 0 huifang worklist --agent A001 --date tomorrow
hf_expect_contains "$HF_OUT" "A001: 2 of 2 calls" "the calls fill the capacity"
[[ $HF_OUT != *"no room"* ]] || hf_fail "a WeChat message took a call's room in the preview: $HF_OUT"
hf_expect_exit 0 huifang --json worklist --agent A001 --date tomorrow
hf_expect_eq 2 "$(grep -o '"channel":"wechat"' <<<"$HF_OUT" | grep -c .)" "both messages in the preview"
hf_expect_eq 2 "$(grep -o '"channel":"phone"' <<<"$HF_OUT" | grep -c .)" "both calls in the preview"

# the day: the bag as previewed
hf_expect_exit 0 huifang clock set '2026-11-03 09:00'
hf_wait_until 20 bash -c "huifang --json worklist --agent A001 | grep -c '\"state\":\"assigned\"' | grep -qx 4"
hf_expect_eq 2 "$(sql "SELECT calls FROM scheduler.agent_day WHERE agent = 'A001' AND day = '2026-11-03'")" \
    "the counter holds the calls"

# Li Na is off: Ma Jun, with room for one call, takes one call and both messages
hf_expect_exit 0 huifang agent add A002 --name 'Ma Jun' --role phone --daily-calls 1
hf_wait_until 10 bash -c "[ -n \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT 1 FROM scheduler.agent WHERE id = 'A002'\")\" ]"
hf_expect_exit 0 huifang --json agent absent A001 --date 2026-11-03
hf_expect_exit 0 huifang --json worklist --agent A002
hf_expect_eq 2 "$(grep -o '"channel":"wechat"' <<<"$HF_OUT" | grep -c .)" "both messages moved, outside the capacity"
hf_expect_eq 1 "$(grep -o '"channel":"phone"' <<<"$HF_OUT" | grep -c .)" "one call: Ma Jun's capacity"
hf_expect_eq 1 "$(sql "SELECT calls FROM scheduler.agent_day WHERE agent = 'A002' AND day = '2026-11-03'")" \
    "the counter holds the call only"
hf_expect_eq 1 "$(sql "SELECT count(*) FROM scheduler.task WHERE channel = 'phone' AND state = 'planned'")" \
    "the other call waits for the next day"
hf_log "WeChat takes no phone capacity in the preview or an absence's move"
