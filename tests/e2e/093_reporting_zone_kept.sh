#!/usr/bin/env bash
# Reporting keeps the branches' zones in memory (issue 14, reporting5): read once, not once a
# batch. A zone kept must never be older than the events applied:
#  1. a branch_upserted that moves BJ01 from Asia/Shanghai to Europe/London (intake has no
#     command for it: the event is written into intake's outbox as intake writes one) — the
#     next lead and the next complaint (another producer's stream) count on London's day;
#  2. the same event back to Shanghai in one batch with a lead whose counter the store refuses
#     (a trigger on reporting.lead_day): the batch rolls back and is retried — meanwhile a
#     complaint counts on London's day (the zone committed), not on the zone the rolled-back
#     batch read; once the trigger is gone the batch commits and the next complaint counts
#     on Shanghai's day.
# The clock stands at 20:00 UTC: 04:00 the next day in Shanghai, 20:00 the same day in London.
# A version that keeps a zone across a branch_upserted counts 1.'s lead and complaint on
# 2026-11-11, and one that keeps the zone a rolled-back batch read counts 2.'s first
# complaint there: both fail here.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

sql() { hf_store_value "$1"; }
# the lead counts by day; the complaints' days, in order
leads() { sql "SELECT string_agg(day || ':' || registered, ' ' ORDER BY day) FROM reporting.lead_day"; }
complaints() { sql "SELECT string_agg(opened_day::text, ' ' ORDER BY id) FROM reporting.complaint"; }

# branch_upserted of BJ01 in zone $1, appended to intake's outbox while intake is stopped (the
# envelope encoded here: event_id, producer, seq, occurred_at_ms, branch, payload 20)
branch_zone() {
    local tz=$1 seq now hex
    hf_service_stop intake
    seq=$(($(sql "SELECT last_seq FROM intake.outbox_seq WHERE producer = 'intake'") + 1))
    now=$(cat "$HUIFANG_CLOCK_FILE")
    hex=$(python3 - "$seq" "$now" "$tz" <<'EOF'
import sys
seq, now, tz = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def varint(n):
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out
def field(no, data):  # a length-delimited field
    return varint(no << 3 | 2) + varint(len(data)) + data
branch = field(1, b"BJ01") + field(2, b"Beijing") + field(3, tz.encode())
env = (field(1, f"intake:{seq}".encode()) + field(2, b"intake") + varint(3 << 3) + varint(seq)
       + varint(4 << 3) + varint(now) + field(5, b"BJ01") + field(20, field(1, branch)))
print(env.hex())
EOF
    )
    sql "INSERT INTO intake.outbox (producer, seq, topic, branch, body, created_at_ms)
         SELECT 'intake', $seq, topic, 'BJ01', '\\x$hex', $now FROM intake.outbox
          WHERE producer = 'intake' AND topic LIKE '%branch_upserted%' LIMIT 1;
         UPDATE intake.outbox_seq SET last_seq = $seq WHERE producer = 'intake'" >/dev/null
    hf_service_start intake
}
lead() {
    local letters=(- A B C D)
    hf_expect_exit 0 huifang lead add --name "Customer ${letters[$1]}" --phone "1381234000$1" --channel counter \
        --region chaoyang
}
complaint() {
    hf_expect_exit 0 huifang --as A001 complaint file --customer "$CUSTOMER" --category other \
        --text 'late again'
    hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c 'SELECT count(*) FROM reporting.complaint')\" = $1 ]"
}

HF_CLOCK_START='2026-11-10 20:00 +0000'
hf_stack_start
hf_expect_exit 0 huifang branch add BJ01 --name Beijing --tz Asia/Shanghai --lead-plans none
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 20
read -r _ CUSTOMER _ < <(huifang lead add --name 'Customer A' --phone 13812340001 \
    --channel counter --region chaoyang)
[[ $CUSTOMER =~ ^[0-9]+$ ]] || hf_fail "lead add printed no customer id"
hf_wait_applied reporting intake
hf_expect_eq "2026-11-11:1" "$(leads)" "Shanghai: the lead on the local day 2026-11-11"
complaint 1
hf_expect_eq "2026-11-11" "$(complaints)" "Shanghai: the complaint on 2026-11-11"

# ---- 1. the zone changed mid-stream ----
branch_zone Europe/London
lead 2
hf_wait_applied reporting intake
hf_expect_eq "Europe/London" "$(sql "SELECT tz FROM reporting.branch WHERE code = 'BJ01'")" "the zone applied"
hf_expect_eq "2026-11-10:1 2026-11-11:1" "$(leads)" "London: the next lead on 2026-11-10"
complaint 2
hf_expect_eq "2026-11-11 2026-11-10" "$(complaints)" "London: the next complaint on 2026-11-10"

# ---- 2. a batch that changed the zone rolled back ----
sql "CREATE SEQUENCE public.e2e093_refused;
     CREATE FUNCTION public.e2e093_refuse() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
       AS \$\$ BEGIN PERFORM nextval('public.e2e093_refused');
                     RAISE EXCEPTION 'e2e 093: lead_day refused'; END \$\$;
     CREATE TRIGGER e2e093 BEFORE INSERT OR UPDATE ON reporting.lead_day
       FOR EACH ROW EXECUTE FUNCTION public.e2e093_refuse()" >/dev/null
hf_service_stop reporting
branch_zone Asia/Shanghai
lead 3
hf_service_start reporting # the branch and the lead in one batch of its catch-up
hf_wait_until 20 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c 'SELECT last_value FROM public.e2e093_refused')\" -ge 2 ]"
hf_expect_eq "Europe/London" "$(sql "SELECT tz FROM reporting.branch WHERE code = 'BJ01'")" \
    "the batch with the new zone not committed"
complaint 3
hf_expect_eq "2026-11-11 2026-11-10 2026-11-10" "$(complaints)" \
    "while the batch that read Shanghai rolls back: the complaint on London's day"
hf_expect_eq "Europe/London" "$(sql "SELECT tz FROM reporting.branch WHERE code = 'BJ01'")" \
    "the batch still not committed"
sql "DROP TRIGGER e2e093 ON reporting.lead_day" >/dev/null
hf_wait_applied reporting intake
hf_expect_eq "2026-11-10:1 2026-11-11:2" "$(leads)" "Shanghai again: the third lead on 2026-11-11"
complaint 4
hf_expect_eq "2026-11-11 2026-11-10 2026-11-10 2026-11-11" "$(complaints)" \
    "Shanghai again: the next complaint on 2026-11-11"
hf_expect_eq 0 "$(sql 'SELECT count(*) FROM reporting.dead_letter')" "no dead letters"
hf_log "ok: the zones kept follow the branch events, and none is kept from a rolled-back batch"
