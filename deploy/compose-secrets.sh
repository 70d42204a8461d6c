#!/usr/bin/env bash
# deploy/compose-secrets.sh: makes the password files docker-compose.yml takes as secrets, once
# (existing ones are kept). Run it before the first `docker-compose up`.
#
#   deploy/secrets/stores/    for the postgres and redis containers (their user, uid 999):
#                             pg_superuser.password, pg_huifang_<service>.password, redis.conf
#   deploy/secrets/services/  for the Huifang containers (user huifang, uid 10001):
#                             pg_huifang_<service>.password, redis.password, session.key and
#                             session.pub (sessions: intake signs, every service verifies),
#                             admin.password (the first admin's)
#   deploy/secrets/grafana/   for the Grafana container (uid 472): admin.password (Grafana's
#                             admin, user admin)
#
# Each file is mode 0600 (the services refuse a secret file others may read). docker-compose
# bind-mounts file secrets as they are, so run this as root to hand each folder to its
# container's user; otherwise the files stay yours and the containers may not read them.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=deploy/lib.sh
source "$ROOT/deploy/lib.sh"
DIR=$ROOT/deploy/secrets
hf_secrets_ensure "$DIR/stores"
mkdir -p "$DIR/services"
chmod 700 "$DIR" "$DIR/services"
rm -f "$DIR/stores/pgpass"
for f in redis.password pg_huifang_{intake,scheduler,calllog,complaint,reporting}.password; do
    if [[ ! -s $DIR/services/$f ]]; then
        (umask 077 && cp "$DIR/stores/$f" "$DIR/services/$f")
    fi
    chmod 600 "$DIR/services/$f"
done
# sessions: intake's signing key pair and the first admin's password
if [[ ! -s $DIR/services/session.key ]]; then
    [[ -x $ROOT/build/bin/huifang ]] || hf_die "build first (cmake -S . -B build && cmake --build build): the session key is made by build/bin/huifang session keygen"
    "$ROOT/build/bin/huifang" session keygen --dir "$DIR/services" --force >/dev/null
fi
if [[ ! -s $DIR/services/admin.password ]]; then
    (umask 077 && head -c 12 /dev/urandom | base64 | tr -d '/+=\n' >"$DIR/services/admin.password")
    hf_say "the first admin's password is in $DIR/services/admin.password (huifang login admin)"
fi
chmod 600 "$DIR/services/session.key" "$DIR/services/admin.password"
# Grafana's admin (docker-compose.yml: GF_SECURITY_ADMIN_PASSWORD__FILE)
mkdir -p "$DIR/grafana"
chmod 700 "$DIR/grafana"
hf_secret_make "$DIR/grafana/admin.password"
if ((EUID == 0)); then
    chown -R 999:999 "$DIR/stores"
    chown -R 10001:10001 "$DIR/services"
    chown -R 472:0 "$DIR/grafana"
    hf_say "secrets in $DIR: stores/ owned by uid 999 (postgres, redis), services/ by uid 10001 (huifang), grafana/ by uid 472 (grafana)"
else
    hf_warn "not root: $DIR stays yours; the containers read their secrets only if their users may (run this as root to hand them over)"
fi
