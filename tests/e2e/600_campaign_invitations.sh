#!/usr/bin/env bash
# A campaign end to end on the manual clock (issue 16): a segment of 200 chaoyang customers
# (a saved filter, previewed first) is invited to a New Year health report. The invitations
# are spread over the five days before the event and no agent's date bag ever holds more
# than the agent's capacity; the reminder the day before goes only to those who accepted;
# the customers checked in at the door are thanked the day after; and the campaign report
# shows invited -> accepted -> attended -> bought within 14 days of the event.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }

# --lead-plans none: the bags hold the campaign's calls only, so every one is counted here
hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --windows 09:00-12:00,14:00-20:00 \
    --lead-plans none
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 15
hf_expect_exit 0 huifang agent add A002 --name 'Wu Lei' --role phone --regions chaoyang --daily-calls 15
hf_expect_exit 0 huifang agent add A003 --name 'Sun Yu' --role phone --daily-calls 15
hf_expect_exit 0 huifang agent add A004 --name 'He Ping' --role phone --regions haidian --daily-calls 5
hf_expect_exit 0 huifang agent add L001 --name 'Chen Jie' --role lead
hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168

# 200 customers in chaoyang, 20 in haidian
python3 - "$HF_E2E_TMP/leads.csv" <<'PY'
import sys, string
L = string.ascii_lowercase
with open(sys.argv[1], "w") as f:
    f.write("name,phone,region,channel\n")
    for i in range(220):
        name = "Kehu " + L[i // 26].upper() + L[i % 26] + L[(i * 7) % 26]
        f.write("%s,139%08d,%s,counter\n" % (name, i + 1, "chaoyang" if i < 200 else "haidian"))
PY
hf_expect_exit 0 huifang lead import "$HF_E2E_TMP/leads.csv"
hf_expect_contains "$HF_OUT" "added 220" "every lead recorded"

# the segment: previewed (a count and masked samples, nothing stored), then saved
hf_expect_exit 0 huifang --as L001 segment preview --regions chaoyang
hf_expect_contains "$HF_OUT" "200 (today)" "the preview counts 200"
hf_expect_contains "$HF_OUT" "139****0001" "samples are masked"
hf_expect_exit 0 huifang --as L001 --json segment list
hf_expect_eq "" "$HF_OUT" "a preview stores nothing"
hf_expect_exit 0 huifang --as L001 --json segment add 'Chaoyang members' --regions chaoyang
seg=$(hf_json_get "$HF_OUT" id)
hf_expect_eq 200 "$(hf_json_get "$HF_OUT" count)" "the segment matches 200"

# the campaign: the event on Monday 9 November, invitations over the five days before
hf_expect_exit 0 huifang --as L001 --json campaign add --name 'New Year health report' \
    --place 'Chaoyang store, 2nd floor' --at '2026-11-09 15:00' --capacity 150 \
    --segment "$seg" --invite-days 5
camp=$(hf_json_get "$HF_OUT" id)
hf_expect_eq 200 "$(hf_json_get "$HF_OUT" invited)" "200 invited"
hf_expect_eq "2026-11-09 15:00" "$(hf_json_get "$HF_OUT" at_local)" "branch-local time"
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE campaign_id = $camp AND purpose = 'campaign-invite'\")\" = 200 ]"
# spread over 3..7 November (local days; the 8th is the reminders' day), 40 a day: the
# branch's 45 calls a day leave room
hf_expect_eq "2026-11-03 40
2026-11-04 40
2026-11-05 40
2026-11-06 40
2026-11-07 40" "$(sql "SELECT to_char(to_timestamp(due_at_ms / 1000) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), count(*) FROM scheduler.task WHERE campaign_id = $camp GROUP BY 1 ORDER BY 1" | tr '|' ' ')" "five days of invitations"
hf_expect_eq "0" "$(sql "SELECT count(*) FROM scheduler.task WHERE campaign_id = $camp AND (to_timestamp(due_at_ms / 1000) AT TIME ZONE 'Asia/Shanghai')::time <> '09:00'")" "each at the customer's first window"

# each invitation day: the bags fill, every agent works theirs (the three at once); a
# customer whose id is divisible by 5 accepts, the others decline
answer() {
    local agent=$1 out task cust outcome
    while out=$(huifang --as "$agent" --json task next 2>/dev/null); do
        # the task's own fields come first in the context: no JSON parser needed per call
        [[ $out =~ \"task\":\ ?\{\"id\":\ ?\"?([0-9]+) ]] || hf_fail "no task id in: $out"
        task=${BASH_REMATCH[1]}
        [[ $out =~ \"customer_id\":\ ?\"?([0-9]+) ]] || hf_fail "no customer in: $out"
        cust=${BASH_REMATCH[1]}
        outcome=declined
        ((cust % 5 == 0)) && outcome=accepted
        hf_expect_exit 0 huifang --as "$agent" call log --task "$task" --outcome "$outcome"
    done
}
for day in 03 04 05 06 07; do
    hf_log "working the invitations of 2026-11-$day"
    hf_expect_exit 0 huifang clock set "2026-11-$day 09:05"
    hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE campaign_id = $camp AND purpose = 'campaign-invite' AND bag_date = '2026-11-$day'\")\" = 40 ]"
    pids=()
    for agent in A001 A002 A003; do
        answer "$agent" &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || hf_fail "an agent's bag of 2026-11-$day was not worked"; done
    hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE campaign_id = $camp AND bag_date = '2026-11-$day' AND state <> 'done'\")\" = 0 ]"
done
# no agent's bag of any day held more than the agent's capacity
hf_expect_eq "" "$(sql "SELECT t.agent, t.bag_date, count(*) FROM scheduler.task t JOIN scheduler.agent g ON g.branch = t.branch AND g.id = t.agent WHERE t.bag_date IS NOT NULL GROUP BY t.agent, t.bag_date, g.daily_calls HAVING count(*) > g.daily_calls")" "no bag over capacity"
hf_expect_eq "" "$(sql "SELECT d.agent, d.day FROM scheduler.agent_day d JOIN scheduler.agent g ON g.branch = d.branch AND g.id = d.agent WHERE d.calls > g.daily_calls")" "no day counter over capacity"
hf_expect_eq 0 "$(sql "SELECT count(*) FROM scheduler.task WHERE campaign_id = $camp AND agent = 'A004'")" "haidian's agent got none"
accepted=$(sql "SELECT count(*) FROM intake.campaign_member WHERE campaign_id = $camp AND customer_id % 5 = 0")
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM intake.campaign_member WHERE campaign_id = $camp AND answer <> ''\")\" = 200 ]"
hf_expect_eq "$accepted" "$(sql "SELECT count(*) FROM intake.campaign_member WHERE campaign_id = $camp AND answer = 'accepted'")" "intake knows who accepted"
hf_expect_exit 0 huifang --json campaign show "$camp"
hf_expect_eq "$((200 - accepted))" "$(hf_json_get "$HF_OUT" declined)" "the others declined"

# the reminders, the day before (8 November), only for those who accepted
hf_expect_eq "$accepted" "$(sql "SELECT count(*) FROM scheduler.task WHERE campaign_id = $camp AND purpose = 'campaign-reminder'")" "one reminder per acceptance"
hf_expect_eq 0 "$(sql "SELECT count(*) FROM scheduler.task WHERE campaign_id = $camp AND purpose = 'campaign-reminder' AND customer_id % 5 <> 0")" "nobody who declined is reminded"
hf_expect_eq 0 "$(sql "SELECT count(*) FROM scheduler.task WHERE campaign_id = $camp AND purpose = 'campaign-reminder' AND to_char(to_timestamp(due_at_ms / 1000) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') <> '2026-11-08'")" "due the day before the event"

# 8 November: the reminders fill the bags; the agent sees what to say
hf_expect_exit 0 huifang clock set '2026-11-08 09:05'
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE campaign_id = $camp AND purpose = 'campaign-reminder' AND bag_date = '2026-11-08'\")\" = $accepted ]"
hf_expect_exit 0 huifang --as A001 task next
hf_expect_contains "$HF_OUT" "campaign-reminder" "a reminder"
hf_expect_contains "$HF_OUT" "New Year health report at Chaoyang store, 2nd floor, 2026-11-09 15:00" "the talking points"
[[ $(grep -c "talking points" <<<"$HF_OUT") == 1 ]] || hf_fail "the talking points once: $HF_OUT"
hf_expect_exit 0 huifang --as A001 --json worklist
hf_expect_contains "$HF_OUT" '"talking_points":"New Year health report at Chaoyang store, 2nd floor, 2026-11-09 15:00 (remind: they accepted)"' \
    "the worklist shows them too: stored with the task"
hf_expect_exit 0 huifang --as A001 call log --task "$(hf_json_get "$(huifang --as A001 --json task next)" task.id)" --outcome connected
remind() {
    local agent=$1 out
    while out=$(huifang --as "$agent" --json task next 2>/dev/null); do
        [[ $out =~ \"task\":\ ?\{\"id\":\ ?\"?([0-9]+) ]] || hf_fail "no task id in: $out"
        hf_expect_exit 0 huifang --as "$agent" call log --task "${BASH_REMATCH[1]}" --outcome connected
    done
}
pids=()
for agent in A001 A002 A003; do
    remind "$agent" &
    pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || hf_fail "the reminders were not worked"; done

# the event day: ten of those who accepted come, and one walk-in who was not invited
hf_expect_exit 0 huifang clock set '2026-11-09 14:30'
mapfile -t came < <(sql "SELECT customer_id FROM intake.campaign_member WHERE campaign_id = $camp AND answer = 'accepted' ORDER BY customer_id LIMIT 10")
for c in "${came[@]}"; do hf_expect_exit 0 huifang campaign checkin "$camp" "$c"; done
hf_expect_exit 0 huifang campaign checkin "$camp" "${came[0]}"
hf_expect_contains "$HF_ERR" "checked in before" "a second checkin changes nothing"
# attending earns the branch's per-event points once (intake_points_award_event; default 100)
hf_expect_eq "1|100" "$(sql "SELECT count(*), sum(delta) FROM intake.points_ledger WHERE customer_id = ${came[0]} AND reason = 'event' AND reference = 'campaign:$camp'")" \
    "an attendee's event points, once"
hf_expect_eq "${#came[@]}" "$(sql "SELECT count(*) FROM intake.points_ledger WHERE reason = 'event' AND reference = 'campaign:$camp'")" \
    "every attendee earned the event's points"
walkin=$(sql "SELECT id FROM intake.customer WHERE region = 'haidian' ORDER BY id LIMIT 1")
hf_expect_exit 0 huifang campaign checkin "$camp" "$walkin"
hf_expect_contains "$HF_OUT" "walk-in" "a walk-in is told apart"
hf_expect_eq "" "$(sql "SELECT t.agent, t.bag_date, count(*) FROM scheduler.task t JOIN scheduler.agent g ON g.branch = t.branch AND g.id = t.agent WHERE t.bag_date IS NOT NULL GROUP BY t.agent, t.bag_date, g.daily_calls HAVING count(*) > g.daily_calls")" "no bag over capacity, reminders included"
# the thank-you calls, the day after, for those who came
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE campaign_id = $camp AND purpose = 'campaign-thanks'\")\" = 11 ]"
hf_expect_eq 0 "$(sql "SELECT count(*) FROM scheduler.task WHERE campaign_id = $camp AND purpose = 'campaign-thanks' AND to_char(to_timestamp(due_at_ms / 1000) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') <> '2026-11-10'")" "thanked on 10 November"

# purchases: three who came buy within 14 days, one on day 20 (too late); one who declined buys
hf_expect_exit 0 huifang purchase add --customer "${came[0]}" --product VC30 --quantity 1 --date 2026-11-09
hf_expect_exit 0 huifang clock set '2026-11-30 10:00'
hf_expect_exit 0 huifang purchase add --customer "${came[1]}" --product VC30 --quantity 2 --date 2026-11-16
hf_expect_exit 0 huifang purchase add --customer "${came[2]}" --product VC30 --quantity 1 --date 2026-11-23
hf_expect_exit 0 huifang purchase add --customer "${came[3]}" --product VC30 --quantity 1 --date 2026-11-29
declined=$(sql "SELECT customer_id FROM intake.campaign_member WHERE campaign_id = $camp AND answer = 'declined' ORDER BY customer_id LIMIT 1")
hf_expect_exit 0 huifang purchase add --customer "$declined" --product VC30 --quantity 1 --date 2026-11-12
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c 'SELECT count(*) FROM reporting.purchase')\" = 5 ]"
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM reporting.campaign_member WHERE campaign_id = $camp AND attended\")\" = 11 ]"

hf_expect_exit 0 huifang report campaign --campaign "$camp"
report=$HF_OUT
hf_expect_contains "$report" "campaign  branch BJ01  campaign $camp (2026-11-09 .. 2026-11-23)" "the period is the event and 14 days"
hf_expect_exit 0 huifang report campaign --campaign "$camp" --format csv
csv=$HF_OUT
hf_expect_contains "$csv" 'invited,200,100.0' "invited"
hf_expect_contains "$csv" "accepted,$accepted," "accepted"
hf_expect_contains "$csv" "declined,$((200 - accepted))," "declined"
hf_expect_contains "$csv" 'attended,11,' "attended (with the walk-in)"
hf_expect_contains "$csv" '"walk-ins (attended, not invited)",1,' "the walk-in"
hf_expect_contains "$csv" "\"no-shows (accepted, did not come)\",$((accepted - 10))," "no-shows"
hf_expect_contains "$csv" 'attended and bought within 14 days,3,' "three bought in time"
hf_expect_contains "$csv" 'invited and bought within 14 days,4,' "and one who declined"
hf_expect_contains "$csv" 'bought by attendees (yuan),672.00' "the attendees' purchases: 4 units"
hf_expect_exit 0 huifang report campaign --campaign "$camp" --days 30 --format csv
hf_expect_contains "$HF_OUT" 'attended and bought within 30 days,4,' "a wider window counts day 20"
hf_expect_exit 2 huifang report campaign
hf_expect_contains "$HF_ERR" "campaign_id" "the campaign is required"
hf_expect_exit 3 huifang report campaign --campaign 999
