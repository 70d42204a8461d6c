#!/usr/bin/env bash
# Personal data stays out of the service logs and out of the event tap and export, and a
# value cannot forge a log line (issue 11). A lead "Wang Fang", 13912345678, with an
# address, a note and health text, registered by an actor that is a phone number
# ("+8613912345678"): no service log holds the number, the given name, the address or the
# note; `events tail` and `events export` show them masked (W*** F***, 139****5678,
# [N chars]); --unmasked is refused to anyone but an admin (exit 4: the stream holds every
# branch) and shows the admin the clear values;
# the export file is its owner's only (0600, whatever the umask) and is not overwritten
# without --force. A branch code holding a newline and a forged "level=error" field stays
# inside one escaped, quoted value of one line.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing' --tz Asia/Shanghai --lead-plans none
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
# a person whose login is a phone number (a session signed for it): the actor of the logs
phone_login=$(huifang session mint --key "$HUIFANG_SESSION_KEY_FILE" --login '+8613912345678' --role phone --branches BJ01)
hf_expect_exit 0 env HUIFANG_TOKEN="$phone_login" huifang --json lead add --name 'Wang Fang' \
    --phone 13912345678 --channel counter --region chaoyang --address 'Wangjing St 5' \
    --note 'call after 6pm' --health 'BP 150/95' --baby-name 'Xiao Bao'
customer=$(hf_json_get "$HF_OUT" customer.id)
# another lead, to be sure the phone's other forms are masked as well
hf_expect_exit 0 huifang --json lead add --name '张三丰' --phone '+86 138-1234-5678' \
    --channel counter --region chaoyang

# ---- a forged line: the value stays one quoted, escaped value ---------------------------------
forged=$'BJ01\nts=2026-11-02T02:00:00.000Z level=error svc=intake event=forged'
huifang --branch "$forged" customer show "$customer" >/dev/null 2>&1 || true
intake_log=$HF_E2E_TMP/intake.log
hf_wait_until 10 grep -q 'event=lead ' "$intake_log"
hf_wait_until 10 grep -q 'BJ01\\nts=2026' "$intake_log"
if grep -q '^ts=2026-11-02T02:00:00.000Z level=error svc=intake event=forged' "$intake_log"; then
    hf_fail "a value forged a log line: $(grep -n 'event=forged' "$intake_log")"
fi
hf_expect_contains "$(<"$intake_log")" 'branch="BJ01\nts=2026-11-02T02:00:00.000Z level=error svc=intake event=forged"' \
    "the newline escaped inside the quoted value"

# ---- no personal data in any service log ---------------------------------------------------
logs=$(cat "$HF_E2E_TMP"/*.log)
for clear in 13912345678 1391234 Fang 'Wangjing' 'after 6pm' '150/95' 'Xiao' 'Bao' \
    12345678 '三丰'; do
    if grep -qF -- "$clear" <<<"$logs"; then
        hf_fail "a service log holds '$clear': $(grep -F -- "$clear" "$HF_E2E_TMP"/*.log | head -3)"
    fi
done
hf_expect_contains "$(<"$intake_log")" 'actor=139****5678' "the phone given as actor, masked"
hf_expect_contains "$(<"$intake_log")" 'phone=139****5678' "the lead's phone, masked"
hf_expect_contains "$(<"$intake_log")" 'name="W*** F***"' "both parts of the Latin name masked"
hf_expect_contains "$(<"$intake_log")" 'name=张**' "the Chinese name: surname and **"

# ---- the event tap: masked by default, --unmasked refused -------------------------------------
no_clear() { # TEXT WHAT: TEXT holds no clear personal value of the leads
    local clear
    for clear in 13912345678 12345678 Fang Wangjing 'after 6pm' '150/95' Xiao '三丰'; do
        [[ $1 != *"$clear"* ]] || hf_fail "$2 holds '$clear' in clear"
    done
}
hf_expect_exit 0 huifang events tail --from-seq 1 --topic intake.lead_registered --no-follow
tail_out=$HF_OUT
hf_expect_eq 2 "$(grep -c lead_registered <<<"$tail_out")" "both leads in the tail"
no_clear "$tail_out" "events tail"
hf_expect_contains "$tail_out" '"name":"W*** F***","phone":"139****5678"' "name and phone masked"
hf_expect_contains "$tail_out" '"address":"[13 chars]"' "the address masked"
hf_expect_contains "$tail_out" '"health":"[9 chars]"' "health text masked"
hf_expect_contains "$tail_out" '"name":"张**","phone":"138****5678"' "the Chinese name and the +86 phone"
hf_expect_contains "$tail_out" '"channel":"counter"' "what is not personal stays readable"
manager=$(huifang session mint --key "$HUIFANG_SESSION_KEY_FILE" --login M001 --role manager --branches BJ01)
hf_expect_exit 4 env HUIFANG_TOKEN="$manager" huifang events tail --from-seq 1 --no-follow --unmasked
hf_expect_contains "$HF_ERR" "needs the role admin (you are manager)"
hf_expect_eq "" "$HF_OUT" "nothing printed when --unmasked is refused"
hf_expect_exit 0 huifang events tail --from-seq 1 --topic intake.lead_registered --no-follow --unmasked
hf_expect_contains "$HF_OUT" '"phone":"13912345678"' "the admin sees the clear stream"

# ---- the export: masked, 0600 whatever the umask, never overwritten without --force ----------
umask 000
export_file=$HF_E2E_TMP/events.jsonl
hf_expect_exit 0 huifang events export --output "$export_file"
hf_expect_contains "$HF_ERR" "personal data masked"
hf_expect_eq 600 "$(stat -c %a "$export_file")" "the export is readable by its owner only"
exported=$(<"$export_file")
no_clear "$exported" "events export"
hf_expect_contains "$exported" '"phone":"139****5678"' "the export holds the masked phone"
printf 'keep\n' >"$HF_E2E_TMP/other.jsonl"
hf_expect_exit 4 huifang events export --output "$HF_E2E_TMP/other.jsonl"
hf_expect_contains "$HF_ERR" "--force replaces it"
hf_expect_eq keep "$(<"$HF_E2E_TMP/other.jsonl")" "an existing file is left alone"
hf_expect_exit 0 huifang events export --force --output "$HF_E2E_TMP/other.jsonl"
hf_expect_eq 600 "$(stat -c %a "$HF_E2E_TMP/other.jsonl")" "a replaced file is 0600 too"
hf_expect_eq "$(wc -l <"$export_file")" "$(wc -l <"$HF_E2E_TMP/other.jsonl")" "the same events"
# a symlink planted at the part's name is not followed
ln -s "$HF_E2E_TMP/target" "$HF_E2E_TMP/planted.jsonl.part"
hf_expect_exit 4 huifang events export --output "$HF_E2E_TMP/planted.jsonl"
[[ ! -e $HF_E2E_TMP/target ]] || hf_fail "the export wrote through a symlink"
hf_expect_exit 4 env HUIFANG_TOKEN="$manager" huifang events export --unmasked --output "$HF_E2E_TMP/clear.jsonl"
hf_expect_contains "$HF_ERR" "needs the role admin"
[[ ! -e $HF_E2E_TMP/clear.jsonl && ! -e $HF_E2E_TMP/clear.jsonl.part ]] ||
    hf_fail "a refused export left a file"
hf_expect_exit 0 huifang events export --output -
no_clear "$HF_OUT" "events export to stdout"
umask 022
hf_log "ok"
