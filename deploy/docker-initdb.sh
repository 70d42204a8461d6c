#!/usr/bin/env bash
# deploy/docker-initdb.sh: run by the postgres image's entrypoint, once, when docker-compose
# first makes the data volume (mounted as /docker-entrypoint-initdb.d/10-huifang.sh). Makes
# the service roles with their passwords from /run/secrets (deploy/sql/roles.sql) and gives
# them their schemas and audit.access in the database (deploy/sql/database.sql).
set -euo pipefail
psql=(psql -X -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER")
"${psql[@]}" --dbname postgres -v secrets=/run/secrets -f /huifang-sql/roles.sql
"${psql[@]}" --dbname "$POSTGRES_DB" -f /huifang-sql/database.sql
