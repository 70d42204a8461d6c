#!/usr/bin/env bash
# docker-compose.yml is valid and names PostgreSQL, Redis and the five services, whose
# passwords are secrets (files), never literals; Prometheus and Grafana come with their
# configuration mounted (the compose scrape file passes promtool, Grafana's provisioning files
# are what Grafana reads), and the scheduler can be scaled (`--scale scheduler=3`: no
# container_name, no fixed host port). Needs no Docker engine: `docker-compose
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
for want in postgres redis intake scheduler calllog complaint reporting gateway prometheus grafana; do
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

# ---- Prometheus and Grafana, a scalable scheduler (issue 14) ----
# promtool checks the compose scrape file (DNS discovery: every scheduler replica on its own)
command -v promtool >/dev/null || hf_fail "promtool not found (Debian package prometheus, in deploy/lib.sh HF_PACKAGES)"
out=$(promtool check config "$HF_SOURCE/deploy/prometheus/prometheus-compose.yml" 2>&1) ||
    hf_fail "promtool check config prometheus-compose.yml: $out"
# a stopped or scaled-down service leaves no target behind: HuifangServiceGone says so
out=$(cd "$HF_SOURCE/deploy/prometheus" && promtool test rules alerts_test.yml 2>&1) ||
    hf_fail "promtool test rules alerts_test.yml: $out"
# the rest from the resolved configuration and the files it mounts
HF_COMPOSE_CONFIG=$config python3 - "$HF_SOURCE" <<'PY' || hf_fail "docker-compose.yml: Prometheus, Grafana or the scalable scheduler (above)"
import json, os, re, sys
import yaml

src = sys.argv[1]
cfg = yaml.safe_load(os.environ["HF_COMPOSE_CONFIG"])
svcs = cfg["services"]
bad = []

def mounts(svc):
    out = {}
    for v in svcs[svc].get("volumes", []):
        if isinstance(v, str):
            parts = v.split(":")
            out[parts[1]] = parts[0]
        else:
            out[v["target"]] = v.get("source", "")
    return out

def host_ports(svc):
    """(host ip, host port) of each published port; host port '' when ephemeral."""
    res = []
    for p in svcs[svc].get("ports", []):
        if isinstance(p, dict):
            res.append((p.get("host_ip", ""), str(p.get("published", "") or "")))
            continue
        p = str(p).split("/")[0]
        parts = p.split(":")
        if len(parts) == 1:
            res.append(("", ""))
        elif len(parts) == 2:
            res.append(("", parts[0]))
        else:
            res.append((parts[0], parts[1]))
    return res

# Prometheus: the deploy/prometheus folder mounted, the compose scrape file named
m = mounts("prometheus")
if os.path.realpath(m.get("/etc/prometheus", "")) != os.path.realpath(os.path.join(src, "deploy/prometheus")):
    bad.append("prometheus: deploy/prometheus is not mounted at /etc/prometheus: %s" % m)
cmd = svcs["prometheus"].get("command", [])
if "--config.file=/etc/prometheus/prometheus-compose.yml" not in cmd:
    bad.append("prometheus: not started with the compose scrape file: %s" % cmd)
scrape = yaml.safe_load(open(os.path.join(src, "deploy/prometheus/prometheus-compose.yml")))
if scrape.get("rule_files") != ["alerts.yml"]:
    bad.append("prometheus-compose.yml does not load alerts.yml")
sd = {}
for job in scrape["scrape_configs"]:
    if job["job_name"] == "huifang":
        for d in job.get("dns_sd_configs", []):
            for n in d["names"]:
                sd[n] = d["port"]
# each Huifang service: scraped by its DNS name at the port its metrics listener binds
for svc in ("intake", "scheduler", "calllog", "complaint", "reporting"):
    bind = svcs[svc]["environment"].get("HUIFANG_%s_METRICS_BIND" % svc.upper(), "")
    if not bind.startswith("0.0.0.0:"):
        bad.append("%s: metrics not bound on the container's network (%r)" % (svc, bind))
    elif sd.get(svc) != int(bind.split(":")[1]):
        bad.append("%s: Prometheus scrapes port %s, the service binds %s" % (svc, sd.get(svc), bind))

# Grafana: provisioning and the dashboard mounted; its admin password a secret file
m = mounts("grafana")
prov = os.path.join(src, "deploy/grafana/provisioning")
if os.path.realpath(m.get("/etc/grafana/provisioning", "")) != os.path.realpath(prov):
    bad.append("grafana: deploy/grafana/provisioning is not mounted at /etc/grafana/provisioning: %s" % m)
if os.path.realpath(m.get("/etc/grafana/dashboards/huifang.json", "")) != os.path.realpath(os.path.join(src, "deploy/grafana/huifang.json")):
    bad.append("grafana: deploy/grafana/huifang.json is not mounted in /etc/grafana/dashboards: %s" % m)
env = svcs["grafana"].get("environment", {})
if env.get("GF_SECURITY_ADMIN_PASSWORD__FILE") != "/run/secrets/grafana_admin_password":
    bad.append("grafana: the admin password does not come from a secret file")
if "GF_SECURITY_ADMIN_PASSWORD" in env:
    bad.append("grafana: a literal admin password")
ds = yaml.safe_load(open(os.path.join(prov, "datasources/prometheus.yml")))
d = [x for x in ds.get("datasources", []) if x.get("type") == "prometheus"]
if ds.get("apiVersion") != 1 or len(d) != 1 or d[0].get("url") != "http://prometheus:9090" or not d[0].get("isDefault"):
    bad.append("grafana datasources/prometheus.yml: want one default prometheus data source at http://prometheus:9090: %s" % ds)
dp = yaml.safe_load(open(os.path.join(prov, "dashboards/huifang.yml")))
paths = [p.get("options", {}).get("path") for p in dp.get("providers", []) if p.get("type") == "file"]
if dp.get("apiVersion") != 1 or paths != ["/etc/grafana/dashboards"]:
    bad.append("grafana dashboards/huifang.yml: want one file provider on /etc/grafana/dashboards: %s" % dp)
dash = json.load(open(os.path.join(src, "deploy/grafana/huifang.json")))
if not dash.get("uid") or not dash.get("panels"):
    bad.append("deploy/grafana/huifang.json: no uid or no panels")

# Scalable scheduler: no container_name, no fixed host port, its own metrics listener
sch = svcs["scheduler"]
if "container_name" in sch:
    bad.append("scheduler: container_name %r (a second replica would clash)" % sch["container_name"])
for ip, port in host_ports("scheduler"):
    if port:
        bad.append("scheduler: fixed host port %s (a second replica would clash)" % port)
    if ip != "127.0.0.1":
        bad.append("scheduler: a port published beyond the host's loopback (%r)" % ip)
# and no two services publish the same host port
seen = {}
for svc in svcs:
    for ip, port in host_ports(svc):
        if port:
            if port in seen:
                bad.append("host port %s published by %s and %s" % (port, seen[port], svc))
            seen[port] = svc
            if ip != "127.0.0.1":
                bad.append("%s: host port %s published beyond the loopback (%r)" % (svc, port, ip))
if bad:
    sys.exit("\n".join(bad))
print("prometheus, grafana and a scalable scheduler: ok")
PY
hf_log "ok"
