#!/usr/bin/env bash
# The systemd units of a plain-host install (deploy/systemd/, issue 14): each of the five
# services and the gateway has its hardening, its settings file, Restart=on-failure and its
# secrets as credentials; `systemd-analyze verify` finds nothing to say about them (with
# ExecStart pointed at this build's binaries, in a copy: nothing is installed or started) and
# `systemd-analyze security --offline` rates each at most 2.0. Then the services are started
# the way the units start them — the unit's Environment= lines, %d a folder holding the unit's
# LoadCredential= files (mode 0400, as systemd hands them over) — and they answer: `ping`,
# commands with sessions, the gateway's login as the first admin.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null || hf_fail "systemd-analyze not found (Debian package systemd, in deploy/lib.sh HF_PACKAGES)"
units=$HF_SOURCE/deploy/systemd
all=("${HF_SERVICES[@]}" gateway)

# ---- what every unit must say ----
for svc in "${all[@]}"; do
    f=$units/huifang-$svc.service
    [[ -f $f ]] || hf_fail "$f is missing"
    for want in "ExecStart=/usr/local/bin/huifang-$svc" 'User=huifang' 'NoNewPrivileges=yes' \
        'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'PrivateDevices=yes' \
        'ProtectKernelTunables=yes' 'ProtectKernelModules=yes' 'ProtectKernelLogs=yes' \
        'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' 'MemoryDenyWriteExecute=yes' \
        'SystemCallFilter=@system-service' 'CapabilityBoundingSet=' 'Restart=on-failure' \
        "EnvironmentFile=/etc/huifang/$svc.env" 'PartOf=huifang.target' 'WantedBy=huifang.target' \
        'Environment=HUIFANG_KEYS_DIR=%d' "LoadCredential=$svc.key:/etc/huifang/keys/$svc.key"; do
        grep -qxF -- "$want" "$f" || hf_fail "huifang-$svc.service lacks the line: $want"
    done
    # every *_FILE the unit sets names a credential it loads (from an absolute path), and no
    # secret is written in the unit itself
    while IFS= read -r line; do
        id=${line#*=%d/}
        grep -qE "^LoadCredential=${id//./\\.}:/" "$f" || hf_fail "huifang-$svc.service: $line but no LoadCredential=$id:/..."
    done < <(grep -E '^Environment=HUIFANG_[A-Z_]+_FILE=' "$f")
    if grep -E '^Environment=HUIFANG_[A-Z_]*(PASSWORD|SECRET|_KEY)=' "$f"; then
        hf_fail "huifang-$svc.service holds a secret in Environment= (use a credential)"
    fi
    # the credentials folder is the CURVE keys folder: every *.pub in it is an allowed key, so
    # nothing but CURVE public keys may be named *.pub there
    while IFS= read -r id; do
        [[ $id =~ ^(intake|scheduler|calllog|complaint|reporting|cli|gateway)\.pub$ ]] ||
            hf_fail "huifang-$svc.service: credential $id would be taken for a CURVE public key"
    done < <(sed -n 's/^LoadCredential=\([^:]*\.pub\):.*/\1/p' "$f")
    for peer in "${HF_SERVICES[@]}"; do
        grep -qxF "LoadCredential=$peer.pub:/etc/huifang/keys/$peer.pub" "$f" ||
            hf_fail "huifang-$svc.service does not load $peer.pub (the allow-list)"
    done
    grep -qE "^Wants=(.* )?huifang-$svc\.service( |\$)" "$units/huifang.target" ||
        hf_fail "huifang.target does not want huifang-$svc.service"
done
for svc in "${HF_SERVICES[@]}"; do
    f=$units/huifang-$svc.service
    grep -qxF "Environment=HUIFANG_${svc^^}_STORE_PASSWORD_FILE=%d/store.password" "$f" ||
        hf_fail "huifang-$svc.service: no store password credential"
    grep -qxF 'Environment=HUIFANG_SESSION_PUBLIC_KEY_FILE=%d/session_signing.public' "$f" ||
        hf_fail "huifang-$svc.service: no session public key"
done
for svc in scheduler complaint; do
    grep -qxF 'Environment=HUIFANG_REDIS_PASSWORD_FILE=%d/redis.password' "$units/huifang-$svc.service" ||
        hf_fail "huifang-$svc.service: no Redis password credential"
done
grep -qxF 'Environment=HUIFANG_SESSION_KEY_FILE=%d/session_signing.secret' "$units/huifang-intake.service" ||
    hf_fail "huifang-intake.service: no session signing key"

# every setting a unit or an example settings file names is one the binary knows
[[ -x $HF_BIN/huifang-intake ]] || hf_fail "$HF_BIN/huifang-intake is not built"
for svc in "${all[@]}"; do
    known=$("$HF_BIN/huifang-$svc" --help 2>&1 | grep -o 'HUIFANG_[A-Z0-9_]*' | sort -u)
    known+=$'\nHUIFANG_KEYS_DIR\nHUIFANG_CURVE\nHUIFANG_PORT_BASE'
    for s in "${HF_SERVICES[@]}"; do known+=$'\n'"HUIFANG_${s^^}_ENDPOINT"$'\n'"HUIFANG_${s^^}_EVENTS"; done
    names=$( {
        sed -n 's/^Environment=\(HUIFANG_[A-Z0-9_]*\)=.*/\1/p' "$units/huifang-$svc.service"
        sed -n 's/^#\{0,1\}\(HUIFANG_[A-Z0-9_]*\)=.*/\1/p' "$units/env/$svc.env"
    })
    for name in $names; do
        base=${name%_FILE}
        grep -qxF "$name" <<<"$known" || grep -qxF "$base" <<<"$known" ||
            hf_fail "huifang-$svc does not know $name (huifang-$svc --help)"
    done
done

# ---- systemd-analyze verify and security, on a copy pointing at this build ----
copy=$HF_E2E_TMP/units
mkdir -p "$copy"
cp "$units"/huifang-*.service "$units/huifang.target" "$copy/"
for svc in "${all[@]}"; do
    sed -i "s|^ExecStart=/usr/local/bin/huifang-$svc\$|ExecStart=$HF_BIN/huifang-$svc|" "$copy/huifang-$svc.service"
    grep -qxF "ExecStart=$HF_BIN/huifang-$svc" "$copy/huifang-$svc.service" || hf_fail "could not point ExecStart at $HF_BIN"
done
out=$(cd "$copy" && systemd-analyze verify ./huifang-*.service ./huifang.target 2>&1) ||
    hf_fail "systemd-analyze verify failed: $out"
[[ -z $out ]] || hf_fail "systemd-analyze verify has something to say: $out"
for svc in "${all[@]}"; do
    out=$(cd "$copy" && systemd-analyze security --offline=yes --threshold=20 "./huifang-$svc.service" 2>&1) ||
        hf_fail "huifang-$svc.service: exposure above 2.0: $(tail -n 1 <<<"$out")"
    hf_log "huifang-$svc.service: $(grep -o 'exposure level.*' <<<"$out")"
done

# ---- the services started as the units start them ----
[[ -n ${HUIFANG_TEST_SECRETS_DIR:-} ]] || hf_fail "HUIFANG_TEST_SECRETS_DIR is not set: run through tests/run.sh"
HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

# cred_source PATH: this stack's file for a unit's credential source under /etc/huifang
cred_source() {
    local base=${1##*/}
    case $1 in
    /etc/huifang/keys/*) printf '%s\n' "$HUIFANG_KEYS_DIR/$base" ;;
    /etc/huifang/secrets/session.key | /etc/huifang/secrets/session.pub | /etc/huifang/secrets/admin.password)
        printf '%s\n' "${HUIFANG_SESSION_KEY_FILE%/*}/$base" ;;
    /etc/huifang/secrets/*) printf '%s\n' "$HUIFANG_TEST_SECRETS_DIR/$base" ;;
    *) return 1 ;;
    esac
}

# unit_launch SVC: huifang-SVC with its unit's credentials in a folder of their own and its
# unit's Environment= on top of this stack's settings (ports, store URLs, clock)
unit_launch() {
    local svc=$1 creds=$HF_E2E_TMP/credentials/$1 id src line name value
    local -A saved=()
    mkdir -p "$creds"
    chmod 700 "$creds"
    while IFS=: read -r id src; do
        local from
        from=$(cred_source "$src") || hf_fail "huifang-$svc.service: credential $id from $src, outside /etc/huifang"
        [[ -f $from ]] || hf_fail "no file for the credential $id ($src -> $from)"
        install -m 0400 "$from" "$creds/$id"
    done < <(sed -n 's/^LoadCredential=//p' "$units/huifang-$svc.service")
    while IFS= read -r line; do
        name=${line%%=*}
        value=${line#*=}
        value=${value//%d/$creds}
        [[ $name == HUIFANG_GATEWAY_CONSOLE_DIR ]] && value=$HF_SOURCE/services/gateway/console
        saved[$name]=${!name-__unset__}
        export "$name=$value"
    done < <(sed -n 's/^Environment=//p' "$units/huifang-$svc.service")
    if [[ $svc == gateway ]]; then
        hf_gateway_start
    else
        hf_service_start "$svc"
    fi
    for name in "${!saved[@]}"; do
        if [[ ${saved[$name]} == __unset__ ]]; then
            unset "$name"
        else
            export "$name=${saved[$name]}"
        fi
    done
}

for svc in "${HF_SERVICES[@]}"; do
    hf_service_stop "$svc"
    unit_launch "$svc"
done
hf_wait_ping 20
# sessions verified with the credential's public key, a write through intake and the scheduler
hf_expect_exit 0 huifang branch add BJ01 --name Beijing --tz Asia/Shanghai \
    --windows 09:00-12:00,14:00-20:00 --lead-plans none
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --daily-calls 40
hf_expect_exit 0 huifang worklist --agent A001
# each runs with its unit's settings: the keys folder is its credentials folder
for svc in "${HF_SERVICES[@]}"; do
    grep -qzxF "HUIFANG_KEYS_DIR=$HF_E2E_TMP/credentials/$svc" "/proc/${HF_PIDS[$svc]}/environ" ||
        hf_fail "huifang-$svc does not run with its unit's HUIFANG_KEYS_DIR"
done
# the gateway, as its unit starts it: the first admin (intake's credential) signs in
unit_launch gateway
code=$(curl -sS -o "$HF_E2E_TMP/login.json" -w '%{http_code}' --max-time 10 -H 'Content-Type: application/json' \
    --data-binary "{\"login\":\"admin\",\"password\":\"$HF_ADMIN_PASSWORD\"}" "$HF_GATEWAY_URL/api/v1/session")
hf_expect_eq 200 "$code" "the admin's login through the gateway: $(cat "$HF_E2E_TMP/login.json")"

hf_log "ok"
