#!/usr/bin/env bash
# Identity and access (issue 11) through the real services: people sign in with a password
# and act with their session, never with their word. A wrong password slows down and locks;
# a missing, tampered, expired or revoked session is exit 6 and changes nothing; a role not
# allowed is exit 4 naming the role; a person acts only in their branches; a disabled person
# is refused by every service within a second; an idempotency key is the person's own.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

hf_stack_start
admin_token=$HUIFANG_TOKEN

# ---- the organisation, as the admin (the stack's minted session) ------------------------------
hf_expect_exit 0 huifang branch add BJ01 --name Beijing
hf_expect_exit 0 huifang branch add SH01 --name Shanghai
hf_expect_exit 0 huifang --branch BJ01 agent add A001 --name 'Li Na' --role phone
hf_expect_exit 0 huifang --branch BJ01 agent add A002 --name 'Wu Lei' --role phone
hf_expect_exit 0 huifang --branch BJ01 agent add M001 --name 'Zhao Min' --role manager
hf_expect_exit 0 huifang --branch SH01 agent add S001 --name 'Qian Yu' --role phone

# person PERSON CMD...: runs CMD with PERSON's own state folder (their session file)
person() {
    local who=$1
    shift
    env -u HUIFANG_TOKEN -u HUIFANG_AGENT HUIFANG_STATE_DIR="$HF_E2E_TMP/state-$who" "$@"
}

# ---- no session ------------------------------------------------------------------------------
hf_expect_exit 6 person nobody huifang whoami
hf_expect_contains "$HF_ERR" "not signed in: no session" "no session at all"
hf_expect_exit 6 person nobody huifang worklist --agent A001
hf_expect_contains "$HF_ERR" "not signed in" "the scheduler refuses too"

# ---- the first admin signs in with the password of HUIFANG_ADMIN_PASSWORD_FILE ---------------
hf_expect_exit 6 person admin huifang login admin --password-stdin <<<"wrong-password"
hf_expect_contains "$HF_ERR" "wrong login or password" "a wrong password"
hf_expect_exit 0 person admin huifang login admin --password-stdin <<<"$HF_ADMIN_PASSWORD"
hf_expect_eq 600 "$(stat -c %a "$HF_E2E_TMP/state-admin/session")" "the session file is the owner's only"
hf_expect_exit 0 person admin huifang --json whoami
hf_expect_eq "admin admin" "$(hf_json_get "$HF_OUT" login) $(hf_json_get "$HF_OUT" role)" "whoami"

# ---- people ----------------------------------------------------------------------------------
hf_expect_exit 0 person admin huifang --branch BJ01 user add M001 --role manager --name 'Zhao Min' --password-stdin <<<"manager-pass-1"
hf_expect_exit 2 person admin huifang --branch BJ01 user add Z999 --role phone --password-stdin <<<"agent-pass-1"
hf_expect_contains "$HF_ERR" "not an active agent of branch BJ01" "an agent's account needs the agent"
hf_expect_exit 2 person admin huifang --branch BJ01 user add A001 --role phone --password-stdin <<<"short"
hf_expect_contains "$HF_ERR" "password" "a short password is refused"
hf_expect_exit 0 person M001 huifang login M001 --password-stdin <<<"manager-pass-1"
# a manager adds the agents of the branch, not heads or managers, not in another branch
hf_expect_exit 0 person M001 huifang user add A001 --role phone --password-stdin <<<"agent-pass-1"
hf_expect_exit 0 person M001 huifang user add A002 --role phone --password-stdin <<<"agent-pass-2"
hf_expect_exit 4 person M001 huifang agent add H002 --name 'Sun Yi' --role head
hf_expect_contains "$HF_ERR" "only an admin adds a head" "a manager adds no head"
hf_expect_exit 4 person M001 huifang --branch SH01 user add S001 --role phone --password-stdin <<<"agent-pass-3"
hf_expect_contains "$HF_ERR" "does not act in branch SH01" "nor in another branch"
hf_expect_exit 0 person admin huifang --branch SH01 user add S001 --role phone --password-stdin <<<"agent-pass-3"
hf_expect_exit 0 person M001 huifang --json user list
hf_expect_eq 3 "$(grep -c '"login"' <<<"$HF_OUT")" "the manager sees the people of BJ01 (A001 A002 M001)"

# ---- an agent: only what the role allows, only in their branch --------------------------------
hf_expect_exit 0 person A001 huifang login A001 --password-stdin <<<"agent-pass-1"
hf_expect_exit 0 person A001 huifang --json whoami
hf_expect_eq "phone BJ01" "$(hf_json_get "$HF_OUT" role) $(hf_json_get "$HF_OUT" branches.0)" "an agent's session"
hf_expect_exit 4 person A001 huifang agent add M002 --name 'Fake Boss' --role manager
hf_expect_contains "$HF_ERR" "not allowed: agent_add needs the role manager or admin; A001 is phone" "an agent adds no manager"
hf_expect_exit 4 person A001 huifang --branch BJ01 user add X1 --role manager --password-stdin <<<"whatever-1"
hf_expect_exit 4 person A001 huifang plan add my-plan --name mine
hf_expect_contains "$HF_ERR" "plan_add needs the role manager or admin" "an agent changes no plan"
hf_expect_exit 4 person A001 huifang return approve 1 --reason ok
hf_expect_contains "$HF_ERR" "return_decide needs the role manager or admin" "an agent approves no return"
hf_expect_exit 4 person A001 huifang --as M001 return approve 1 --reason ok
hf_expect_contains "$HF_ERR" "needs the role admin" "an agent cannot act for the manager"
# the forged word of the client is ignored: HUIFANG_AGENT names the manager, the session the agent
hf_expect_exit 0 person A001 huifang --json lead add --name 'Wang Fang' --phone 13912345678 --channel counter
lead=$(hf_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 person A001 huifang --branch BJ01 --json customer show "$lead"
# another branch: by code refused, by id not found
hf_expect_exit 4 person A001 huifang --branch SH01 customer find 13912345678
hf_expect_contains "$HF_ERR" "A001 does not act in branch SH01" "another branch by code"
hf_expect_exit 0 person S001 huifang login S001 --password-stdin <<<"agent-pass-3"
hf_expect_exit 0 person S001 huifang --branch SH01 --json lead add --name 'Zhou Jie' --phone 13700001111 --channel counter
sh_lead=$(hf_json_get "$HF_OUT" customer.id)
hf_expect_exit 3 person A001 huifang customer show "$sh_lead"

# a raw client that names the manager as its actor: the session (A001's) decides, not the word
raw_request() { # raw_request SESSION: a return approval claiming actor M001; prints the status
    HUIFANG_CURVE_NAME=cli /usr/bin/python3 - "$HF_SOURCE" "$HF_E2E_TMP/py" "$(hf_service_port complaint)" "$1" <<'PY'
import sys
sys.path.insert(0, sys.argv[1] + "/services/reporting/examples")
import consumer, zmq
wire = consumer.load_protos(sys.argv[1] + "/proto", sys.argv[2])
req = wire.Request(request_id="raw-1", branch="BJ01", actor="M001", session=sys.argv[4])
req.return_decide.id = 1
req.return_decide.approve = True
req.return_decide.reason = "forged"
sock = zmq.Context().socket(zmq.DEALER)
sock.setsockopt(zmq.LINGER, 0)
consumer.Curve().client(sock, "complaint")  # the CLI's allowed key: the wire lets it in
sock.connect("tcp://127.0.0.1:" + sys.argv[3])
sock.send(req.SerializeToString())
if not sock.poll(10000):
    sys.exit("no answer")
rep = wire.Reply()
rep.ParseFromString(sock.recv())
print(rep.status, rep.error)
PY
}
out=$(raw_request "$(<"$HF_E2E_TMP/state-A001/session")")
hf_expect_contains "$out" "7 not allowed: return_decide needs the role manager or admin; A001 is phone" "a forged actor is ignored"
out=$(raw_request "")
hf_expect_contains "$out" "6 not signed in" "an actor without a session is nobody"

# ---- hq: reads its branches, masked, and changes nothing --------------------------------------
hf_expect_exit 0 person admin huifang user add hq1 --role hq --branches BJ01,SH01 --name 'Head Office' --password-stdin <<<"hq-pass-1"
hf_expect_exit 0 person hq1 huifang login hq1 --password-stdin <<<"hq-pass-1"
hf_expect_exit 0 person hq1 huifang --branch BJ01 --json customer show "$lead"
hf_expect_contains "$HF_OUT" '"name":"W*** F***"' "hq sees the name masked"
hf_expect_contains "$HF_OUT" '"139****5678"' "and the phone"
[[ $HF_OUT != *13912345678* && $HF_OUT != *Fang* ]] || hf_fail "hq got personal data in clear: $HF_OUT"
hf_expect_exit 0 person hq1 huifang --branch SH01 --json customer show "$sh_lead"
hf_expect_exit 4 person hq1 huifang --branch BJ01 lead add --name 'Hq Lead' --phone 13500001111 --channel counter
hf_expect_contains "$HF_ERR" "not allowed: lead_add needs the role any agent, head, manager or admin; hq1 is hq" "hq changes nothing"
hf_expect_exit 4 person hq1 huifang --branch GZ01 customer show "$lead"

# ---- idempotency keys are the person's own ----------------------------------------------------
hf_expect_exit 0 person A001 huifang --json lead add --name 'Ma Li' --phone 13600002222 --channel counter --idempotency-key shared-key-1
mine=$(hf_json_get "$HF_OUT" customer.id)
hf_expect_exit 0 person A002 huifang login A002 --password-stdin <<<"agent-pass-2"
hf_expect_exit 0 person A002 huifang --json lead add --name 'He Jun' --phone 13600003333 --channel counter --idempotency-key shared-key-1
theirs=$(hf_json_get "$HF_OUT" customer.id)
[[ $mine != "$theirs" ]] || hf_fail "A002's request with A001's key got A001's stored reply (customer $mine)"
hf_expect_exit 0 person A001 huifang --json lead add --name 'Ma Li' --phone 13600002222 --channel counter --idempotency-key shared-key-1
hf_expect_eq "$mine" "$(hf_json_get "$HF_OUT" customer.id)" "A001's own retry gets A001's reply"

# ---- tampered, forged and expired sessions ----------------------------------------------------
token=$(<"$HF_E2E_TMP/state-A001/session")
mid=${token: -10:1}
[[ $mid == A ]] && other=B || other=A
hf_expect_exit 6 env HUIFANG_TOKEN="${token:0:${#token}-10}$other${token: -9}" huifang whoami
hf_expect_contains "$HF_ERR" "does not verify" "a tampered session"
hf_expect_exit 6 env HUIFANG_TOKEN="hf1.bm90IGEgdG9rZW4.AAAA" huifang worklist --agent A001
hf_expect_exit 6 env HUIFANG_TOKEN="garbage" huifang --branch BJ01 report collection
# a session signed with another key (a stack of its own): refused as forged
mkdir -p "$HF_E2E_TMP/other-keys"
huifang session keygen --dir "$HF_E2E_TMP/other-keys" >/dev/null
forged=$(huifang session mint --key "$HF_E2E_TMP/other-keys/session.key" --login admin --role admin)
hf_expect_exit 6 env HUIFANG_TOKEN="$forged" huifang branch add XX01 --name Forged
hf_expect_contains "$HF_ERR" "does not verify" "a session of another key"
short=$(huifang session mint --key "$HUIFANG_SESSION_KEY_FILE" --login A001 --role phone --branches BJ01 --ttl-ms 1000)
hf_expect_exit 0 env HUIFANG_TOKEN="$short" huifang whoami
expired() { # true once the session is refused as expired
    local rc=0 err
    err=$(HUIFANG_TOKEN=$short huifang worklist --agent A001 2>&1 >/dev/null) || rc=$?
    [[ $rc == 6 && $err == *expired* ]]
}
hf_wait_until 20 expired

# ---- wrong passwords slow down, then lock --------------------------------------------------------
for _ in 1 2 3; do
    hf_expect_exit 6 person A002 huifang login A002 --password-stdin <<<"not-the-password"
done
hf_expect_exit 6 person A002 huifang login A002 --password-stdin <<<"agent-pass-2"
hf_expect_contains "$HF_ERR" "too many wrong passwords: try again in" "the fourth try waits, even with the right password"
hf_expect_exit 0 person admin huifang --json user list
hf_expect_contains "$HF_OUT" '"failed_logins":3' "the failures are counted"

# ---- a disabled person is refused everywhere within a second ------------------------------------
hf_expect_exit 0 person A001 huifang worklist --agent A001
hf_expect_exit 0 person admin huifang user disable A001
refused() { # every service refuses A001's session
    local rc
    for cmd in "worklist --agent A001" "whoami" "outcome list" "complaint list" "report collection"; do
        rc=0
        # shellcheck disable=SC2086
        person A001 huifang --branch BJ01 $cmd >/dev/null 2>&1 || rc=$?
        [[ $rc == 6 ]] || return 1
    done
}
hf_wait_until 1 refused
hf_expect_exit 6 person A001 huifang login A001 --password-stdin <<<"agent-pass-1"
hf_expect_contains "$HF_ERR" "disabled" "a disabled person cannot sign in"
hf_expect_exit 0 person admin huifang user enable A001
hf_expect_exit 0 person A001 huifang login A001 --password-stdin <<<"agent-pass-1"

# ---- logout and a password change end sessions ---------------------------------------------------
old=$(<"$HF_E2E_TMP/state-A001/session")
hf_expect_exit 0 person A001 huifang logout
[[ ! -e $HF_E2E_TMP/state-A001/session ]] || hf_fail "logout left the session file"
hf_expect_exit 6 env HUIFANG_TOKEN="$old" huifang worklist --agent A001
hf_expect_contains "$HF_ERR" "revoked" "a logged-out session is void"
hf_expect_exit 0 person M001 huifang user passwd A002 --password-stdin <<<"agent-pass-2b"
hf_expect_exit 0 person A002 huifang login A002 --password-stdin <<<"agent-pass-2b"
hf_expect_exit 0 person A002 huifang user passwd --password-stdin <<<$'agent-pass-2b\nagent-pass-2c'
hf_expect_exit 6 person A002 huifang whoami
hf_expect_exit 0 person A002 huifang login A002 --password-stdin <<<"agent-pass-2c"

# ---- an admin acts for an agent (--as): the services see the agent, the session the admin ------
hf_expect_exit 0 env HUIFANG_TOKEN="$admin_token" huifang --as A002 --json whoami
hf_expect_eq "A002 admin" "$(hf_json_get "$HF_OUT" login) $(hf_json_get "$HF_OUT" on_behalf_of)" "acting for A002"
grep -q 'event=acting_as actor=admin as=A002' "$HF_E2E_TMP/intake.log" || hf_fail "intake did not log the admin acting for A002"

# nothing of the refused requests happened: no manager M002, no head H002, no XX01
hf_expect_exit 0 person admin huifang --branch BJ01 --json agent list
[[ $HF_OUT != *M002* && $HF_OUT != *H002* ]] || hf_fail "a refused agent add left a record: $HF_OUT"
hf_expect_exit 0 person admin huifang --json branch list
[[ $HF_OUT != *XX01* ]] || hf_fail "a forged session added a branch"
if grep -q "agent-pass\|manager-pass\|$HF_ADMIN_PASSWORD" "$HF_E2E_TMP"/*.log; then
    hf_fail "a password reached a log"
fi
