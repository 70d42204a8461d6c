#!/usr/bin/env bash
# The clock stops while a complaint waits on the customer: filed at 10:00, waiting from 16:00
# to 02:00, it gives no warning at 22:00; resumed, its due time moves by the ten hours
# waited (10:00 -> 20:00 the next day), it warns at 08:00 and escalates at 20:00. A period
# counted in business hours (09:00-18:00 with a lunch break, a holiday) comes due in office
# time; only a head or manager sets the periods.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'   # a Monday
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --tz Asia/Shanghai
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
hf_expect_exit 0 huifang agent add H001 --name 'Zhao Lei' --role head
hf_expect_exit 0 huifang --json lead add --name 'Wang Fang' --phone 13812345678 --channel counter
customer=$(hf_json_get "$HF_OUT" customer.id)

timeline() {
    huifang complaint show "$1" | awk '/^history/{h=1; getline; next} h && NF {print $1, $2, $3, $4, $6}'
}

# ---- business hours: delivery complaints get 8 office hours; Tuesday is a holiday ----
hf_wait_until 10 huifang --as H001 complaint sla --category delivery --hours 8 --business-hours \
    --idempotency-key sla-1
hf_expect_exit 4 huifang --as A001 complaint sla --hours 12
hf_expect_contains "$HF_ERR" "not allowed: complaint_sla_set needs the role head, manager or admin" "an agent may not set periods"
hf_expect_exit 2 huifang --as H001 complaint calendar --day 18:00-09:00
hf_expect_contains "$HF_ERR" "day" "a backwards day is refused"
hf_expect_exit 0 huifang --as H001 complaint calendar --day 09:00-18:00 --lunch 12:00-13:00 \
    --workdays 1-5 --holidays 2026-11-03
hf_expect_exit 0 huifang complaint config
hf_expect_contains "$HF_OUT" "delivery          8      business hours    branch BJ01" "delivery: 8 office hours"
hf_expect_contains "$HF_OUT" "attitude          24     around the clock  default" "others: the default"
hf_expect_contains "$HF_OUT" "2026-11-03" "the holiday"
# filed Monday 10:00: 2 h to lunch, 5 h in the afternoon, the holiday, 1 h on Wednesday
hf_expect_exit 0 huifang --as A001 --json complaint file --customer "$customer" --category delivery \
    --text 'the box came crushed'
office=$(hf_json_get "$HF_OUT" id)
hf_expect_contains "$HF_OUT" '"due_at":"2026-11-04T02:00:00.000Z"' "due Wednesday 10:00"
hf_expect_contains "$HF_OUT" '"business_hours":true' "counted in business hours"

# ---- around the clock, with a wait on the customer ----
hf_expect_exit 0 huifang --as A001 --json complaint file --customer "$customer" --category attitude \
    --text 'nobody called back'
id=$(hf_json_get "$HF_OUT" id)
hf_expect_contains "$HF_OUT" '"due_at":"2026-11-03T02:00:00.000Z"' "due 10:00 tomorrow"
hf_expect_exit 0 huifang --as A001 complaint start "$id"

# 16:00: waiting on the customer stops the clock with 18 h left
hf_expect_exit 0 huifang clock advance 6h
hf_expect_exit 0 huifang --as A001 complaint wait "$id"
hf_expect_contains "$HF_OUT" "waiting level 0 agent owner A001 clock stopped (18h00m left)" "stopped"
hf_expect_exit 4 huifang --as A001 complaint wait "$id"
hf_expect_exit 4 huifang --as A001 complaint start "$id"
# the office complaint warned at 50 % of its 8 h: 10-12, 13-15 -> 15:00
hf_wait_until 10 bash -c "huifang complaint show $office | grep -q warning-50"
hf_expect_eq "2026-11-02 10:00 opened 0 A001
2026-11-02 15:00 warning-50 0 A001" "$(timeline "$office")" "office hours: 50 % at 15:00"

# 02:00: ten hours of waiting, no warning at 22:00, nothing due
hf_expect_exit 0 huifang clock advance 10h
# the complaint clock's round at 02:00 has run: a warning it raised would show
hf_wait_timer_rounds complaint tick
hf_expect_eq "2026-11-02 10:00 opened 0 A001
2026-11-02 10:00 started 0 A001
2026-11-02 16:00 waiting 0 A001" "$(timeline "$id")" "no warning while waiting"
hf_expect_exit 0 huifang --json complaint list --overdue
[[ $HF_OUT != *"\"id\":$id,"* ]] || hf_fail "a stopped clock is not about to breach"
hf_expect_exit 0 huifang complaint show "$id"
hf_expect_contains "$HF_OUT" "clock stopped since 2026-11-02 16:00 (18h00m left)" "show says so"

# resumed at 02:00: due 20:00, the ten hours waited added
hf_expect_exit 0 huifang --as A001 complaint resume "$id"
hf_expect_contains "$HF_OUT" "in-progress level 0 agent owner A001 due 2026-11-03 20:00 (18h00m left)" "due moved by the wait"
# 08:00: 12 h of running clock -> the 50 % warning
hf_expect_exit 0 huifang clock advance 6h
hf_wait_until 10 bash -c "huifang complaint show $id | grep -q warning-50"
# 20:00: escalated to the head
hf_expect_exit 0 huifang clock advance 12h
hf_wait_until 10 bash -c "huifang complaint show $id | grep -q escalated"
hf_expect_eq "2026-11-02 10:00 opened 0 A001
2026-11-02 10:00 started 0 A001
2026-11-02 16:00 waiting 0 A001
2026-11-03 02:00 resumed 0 A001
2026-11-03 08:00 warning-50 0 A001
2026-11-03 14:00 warning-75 0 A001
2026-11-03 20:00 escalated 1 H001" "$(timeline "$id")" "the clock paused while waiting"
# the office complaint: the holiday did not count; Wednesday 10:00 it escalated
hf_expect_exit 0 huifang clock advance 14h
hf_wait_until 10 bash -c "huifang complaint show $office | grep -q escalated"
hf_expect_eq "2026-11-02 10:00 opened 0 A001
2026-11-02 15:00 warning-50 0 A001
2026-11-02 17:00 warning-75 0 A001
2026-11-04 10:00 escalated 1 H001" "$(timeline "$office")" "office hours skip the night and the holiday"

# resolving from waiting; the events say resolved
hf_expect_exit 0 huifang --as H001 complaint wait "$id"
hf_expect_exit 0 huifang --as H001 complaint resolve "$id" --resolution 'called back, apologised'
hf_wait_until 10 bash -c "huifang events tail --from-seq 1 --topic complaint.complaint_resolved --no-follow | grep -q '\"id\":$id,'"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic complaint.complaint_changed --no-follow
hf_expect_contains "$HF_OUT" '"change":"waiting"' "waiting is an event"
hf_expect_contains "$HF_OUT" '"change":"resumed"' "resuming is an event"

# ---- a wait has a limit: past it the clock runs again by itself, and warns and escalates ----
hf_expect_exit 0 huifang --as H001 complaint sla --category price --hours 24 --wait-hours 8
hf_expect_contains "$HF_OUT" "price             24     around the clock  branch BJ01  8 h" "an 8-hour wait limit"
hf_expect_exit 2 huifang --as H001 complaint sla --category price --hours 24 --wait-hours 0
hf_expect_contains "$HF_ERR" "--wait-hours" "the flag is named"
hf_expect_exit 0 huifang clock set '2026-11-20 10:00'
hf_expect_exit 0 huifang --as A001 --json complaint file --customer "$customer" --category price \
    --text 'charged twice'
price=$(hf_json_get "$HF_OUT" id)
hf_expect_exit 0 huifang --as A001 complaint wait "$price"
# 18:00: eight hours of waiting; the clock runs again from then, the wait not counted
hf_expect_exit 0 huifang clock set '2026-11-20 18:00'
hf_wait_until 10 bash -c "huifang complaint show $price | grep -q wait-expired"
hf_expect_exit 0 huifang --json complaint show "$price"
hf_expect_eq in-progress "$(hf_json_get "$HF_OUT" complaint.state)" "running again"
hf_expect_eq 2026-11-21T10:00:00.000Z "$(hf_json_get "$HF_OUT" complaint.due_at)" "due 24 h of running clock later"
# twelve running hours on: the 50 % warning, at its own instant
hf_expect_exit 0 huifang clock set '2026-11-21 06:30'
hf_wait_until 10 bash -c "huifang complaint show $price | grep -q warning-50"
hf_expect_eq "2026-11-20 10:00 opened 0 A001
2026-11-20 10:00 waiting 0 A001
2026-11-20 18:00 wait-expired 0 A001
2026-11-21 06:00 warning-50 0 A001" "$(timeline "$price")" "the wait ran out, then the clock warned"
