#!/usr/bin/env bash
# docker-compose.yml is valid and names PostgreSQL, Redis and the five services, whose
# passwords are secrets (files), never literals. Needs no Docker engine: `docker-compose
# config` only reads and checks the file.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

compose=$HF_SOURCE/docker-compose.yml
[[ -f $compose ]] || hf_fail "$compose is missing"
command -v docker-compose >/dev/null || hf_fail "docker-compose is not installed (Debian package docker-compose)"

hf_expect_exit 0 docker-compose -f "$compose" config -q
hf_expect_exit 0 docker-compose -f "$compose" config --services
names=$(sort <<<"$HF_OUT" | tr '\n' ' ')
for want in postgres redis intake scheduler calllog complaint reporting gateway; do
    hf_expect_contains " $names" " $want " "service $want in docker-compose.yml"
done

# Every Huifang service gets the store, Redis, its binds and every peer's endpoints.
hf_expect_exit 0 docker-compose -f "$compose" config
config=$HF_OUT
for want in 'HUIFANG_REDIS_URL: redis://redis:6379/0' \
    'HUIFANG_REDIS_PASSWORD_FILE: /run/secrets/redis_password' \
    'POSTGRES_PASSWORD_FILE: /run/secrets/pg_superuser.password' \
    '/run/secrets/redis.conf' \
    'HUIFANG_INTAKE_ENDPOINT: tcp://intake:7101' 'HUIFANG_INTAKE_EVENTS: tcp://intake:7102' \
    'HUIFANG_SCHEDULER_ENDPOINT: tcp://scheduler:7111' 'HUIFANG_SCHEDULER_EVENTS: tcp://scheduler:7112' \
    'HUIFANG_CALLLOG_ENDPOINT: tcp://calllog:7121' 'HUIFANG_CALLLOG_EVENTS: tcp://calllog:7122' \
    'HUIFANG_COMPLAINT_ENDPOINT: tcp://complaint:7131' 'HUIFANG_COMPLAINT_EVENTS: tcp://complaint:7132' \
    'HUIFANG_REPORTING_ENDPOINT: tcp://reporting:7141' 'HUIFANG_REPORTING_EVENTS: tcp://reporting:7142' \
    'condition: service_healthy' 'HUIFANG_GATEWAY_BIND: 0.0.0.0:8080' 'huifang-gateway'; do
    hf_expect_contains "$config" "$want" "docker-compose config"
done
# Secrets, not literals: each service its own role and password file; no password in the file.
for svc in intake scheduler calllog complaint reporting; do
    upper=${svc^^}
    hf_expect_contains "$config" "HUIFANG_${upper}_STORE_URL: postgresql://huifang_$svc@postgres:5432/huifang" "store role of $svc"
    hf_expect_contains "$config" "HUIFANG_${upper}_STORE_PASSWORD_FILE: /run/secrets/${svc}_store_password" "store password file of $svc"
    hf_expect_contains "$config" "deploy/secrets/services/pg_huifang_$svc.password" "secret of $svc"
done
for bad in 'POSTGRES_PASSWORD:' 'huifang:huifang@' 'requirepass' '_PASSWORD: '; do
    [[ $config != *"$bad"* ]] || hf_fail "docker-compose.yml has a literal secret ($bad)"
done
for svc in intake scheduler calllog complaint reporting; do
    upper=${svc^^}
    hf_expect_contains "$config" "HUIFANG_${upper}_BIND: tcp://*:" "bind of $svc"
    hf_expect_contains "$config" "HUIFANG_${upper}_EVENTS_BIND: tcp://*:" "events bind of $svc"
    hf_expect_contains "$config" "huifang-$svc" "command of $svc"
    # CURVE: its own secret key and the public keys come as secrets into HUIFANG_KEYS_DIR
    hf_expect_contains "$config" "source: ${svc}_key
      target: $svc.key" "secret key of $svc"
    hf_expect_contains "$config" "file: $HF_SOURCE/keys/$svc.key" "key file of $svc"
done
hf_expect_contains "$config" "HUIFANG_KEYS_DIR: /run/secrets" "keys folder"
# each service holds only its own secret: six .key mounts in all, one per service and the
# gateway's
hf_expect_eq 6 "$(grep -c 'target: [a-z]*\.key$' <<<"$config")" "secret keys mounted"
hf_expect_contains "$config" "target: gateway.key" "the gateway's own key"
hf_expect_eq 41 "$(grep -c 'target: [a-z]*\.pub$' <<<"$config")" "public keys mounted (7 in each of the 5 services: theirs, cli and gateway; 6 in the gateway)"
