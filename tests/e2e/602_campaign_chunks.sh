#!/usr/bin/env bash
# A campaign's invitations travel in bounded events (issue 16): a segment of 1,050 customers
# becomes campaign_invited events of at most 500 customers each (500, 500, 50), the scheduler
# makes exactly one invitation per customer from them, and reporting counts every member. A
# retried `campaign add` with the same idempotency key adds nothing. A customer in a
# do-not-disturb period is invited the day after it, or not at all when that is past the
# event. Invitations nobody made are cancelled when the event begins.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"; }

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing' --windows 09:00-12:00 --lead-plans none
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --daily-calls 400
hf_expect_exit 0 huifang agent add L001 --name 'Chen Jie' --role lead
python3 - "$HF_E2E_TMP/leads.csv" <<'PY'
import sys, string
L = string.ascii_lowercase
with open(sys.argv[1], "w") as f:
    f.write("name,phone,channel\n")
    for i in range(1050):
        f.write("Kehu %s%s%s,137%08d,counter\n" % (L[i // 676].upper(), L[(i // 26) % 26], L[i % 26], i + 1))
PY
hf_expect_exit 0 huifang lead import "$HF_E2E_TMP/leads.csv"
hf_expect_contains "$HF_OUT" "added 1050" "every lead recorded"
first=$(sql "SELECT min(id) FROM intake.customer")
hf_expect_exit 0 huifang customer dnd "$first" --until 2026-11-17 --reason hospital
hf_expect_exit 0 huifang customer dnd "$((first + 1))" --until 2026-11-25 --reason confinement

hf_expect_exit 0 huifang --as L001 --json segment add 'Everyone'
seg=$(hf_json_get "$HF_OUT" id)
hf_expect_eq 1050 "$(hf_json_get "$HF_OUT" count)" "the whole archive"
start=${EPOCHREALTIME/./}
hf_expect_exit 0 huifang --as L001 --json campaign add --name 'Doctor lecture' --place 'Hall' \
    --at '2026-11-20 10:00' --segment "$seg" --invite-days 3 --idempotency-key lecture-1
hf_log "campaign add of 1050 members: $(((${EPOCHREALTIME/./} - start) / 1000)) ms"
camp=$(hf_json_get "$HF_OUT" id)
hf_expect_exit 0 huifang --as L001 --json campaign add --name 'Doctor lecture' --place 'Hall' \
    --at '2026-11-20 10:00' --segment "$seg" --invite-days 3 --idempotency-key lecture-1
hf_expect_eq "$camp" "$(hf_json_get "$HF_OUT" id)" "a retry answers the same campaign"
hf_expect_eq 1 "$(sql "SELECT count(*) FROM intake.campaign")" "and adds none"

hf_wait_until 60 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE campaign_id = $camp\")\" = 1049 ]"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic intake.campaign_invited --no-follow
hf_expect_eq "1/3 500
2/3 500
3/3 50" "$(printf '%s\n' "$HF_OUT" | python3 -c '
import json, sys
for line in sys.stdin:
    if line.strip():
        e = json.loads(line)
        p = e["campaign_invited"]
        print("%s/%s %d" % (p["chunk"], p["chunks"], len(p["customer_ids"])))
')" "three bounded events"
hf_expect_eq "2026-11-16 2026-11-17 2026-11-18 " "$(sql "SELECT to_char(to_timestamp(due_at_ms / 1000) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') FROM scheduler.task WHERE campaign_id = $camp GROUP BY 1 HAVING count(*) BETWEEN 345 AND 355 ORDER BY 1" | tr '\n' ' ')" "spread evenly over the three days"
hf_expect_eq "2026-11-18" "$(sql "SELECT to_char(to_timestamp(due_at_ms / 1000) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') FROM scheduler.task WHERE campaign_id = $camp AND customer_id = $first")" "after the hospital stay"
hf_expect_eq 0 "$(sql "SELECT count(*) FROM scheduler.task WHERE campaign_id = $camp AND customer_id = $((first + 1))")" "not during confinement"
hf_wait_until 30 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM reporting.campaign_member WHERE campaign_id = $camp AND invited\")\" = 1050 ]"

# nobody worked the invitations: once the event has begun they are cancelled, and whatever of
# them had reached a date bag gives its room back
hf_expect_exit 0 huifang clock set '2026-11-20 10:01'
hf_wait_until 30 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.task WHERE campaign_id = $camp AND state = 'cancelled' AND outcome = 'event-passed'\")\" = 1049 ]"
hf_expect_eq 0 "$(sql "SELECT coalesce(sum(calls), 0) FROM scheduler.agent_day")" "no room held by a cancelled invitation"
