#!/usr/bin/env bash
# A festival greets a whole branch: 5,000 customers imported, a Mid-Autumn rule, and on the
# day the sweep names them all in occasion_due events of at most 500 customers (ten of them,
# in one transaction), and the scheduler makes one care call each; a restarted intake does
# not sweep the day again (it sweeps the next one, and nothing is due then). Prints how long the sweep and the scheduler took.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=calllog_lib.sh
source "$(dirname "$0")/calllog_lib.sh"
# shellcheck source-path=SCRIPTDIR source=occasion_lib.sh
source "$(dirname "$0")/occasion_lib.sh"

HF_CLOCK_START='2026-09-24 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai
N=5000

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing' --tz Asia/Shanghai \
    --windows 09:00-12:00,14:00-20:00 --lead-plans none
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 400
# names of two Chinese characters, no two alike; phones 139 + 8 digits
python3 - "$N" >"$HF_E2E_TMP/leads.csv" <<'PY'
import sys
n = int(sys.argv[1])
family = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊帆帅旭宁龙林欣悦蕾薇琳雪梅婷倩晶妍颖琪璐岚菲"
print("姓名,电话,区域,渠道")
k = 0
for f in family:
    for g in given:
        for h in given:
            if k == n:
                sys.exit(0)
            print("%s%s%s,139%08d,chaoyang,柜台" % (f, g, h, k))
            k += 1
PY
hf_expect_exit 0 huifang lead import "$HF_E2E_TMP/leads.csv"
hf_expect_contains "$HF_OUT" "added $N" "every lead a customer"
hf_expect_exit 0 huifang occasion rule add festival:mid-autumn --script 'Mid-Autumn greetings'
occ_wait_swept 2026-09-24
# the scheduler has its copy of every customer (the import's events), so the figure below is
# the occasion's own
hf_wait_until 90 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.customer\")\" = $N ]"

start=$(date +%s%3N)
hf_expect_exit 0 huifang clock set '2026-09-25 00:30'
hf_wait_until 60 bash -c "[ -n \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT 1 FROM intake.occasion_sweep WHERE day = '2026-09-25'\")\" ]"
swept=$(date +%s%3N)
hf_wait_until 90 bash -c "[ \"\$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT count(*) FROM scheduler.occasion_made\")\" = $N ]"
done_ms=$(date +%s%3N)
hf_log "sweep of $N customers: $((swept - start)) ms to commit (clock set to row seen); scheduler: $((done_ms - swept)) ms more for $N tasks"
hf_expect_eq "$N" "$(occ_sql "SELECT customers FROM intake.occasion_sweep WHERE day = '2026-09-25'")" "all named"
hf_expect_eq 10 "$(occ_sql "SELECT count(*) FROM intake.outbox WHERE topic LIKE 'intake.occasion_due%'")" \
    "in ten events of 500"
hf_expect_eq "$N" "$(occ_sql "SELECT count(*) FROM scheduler.task WHERE origin = 'occasion' AND purpose = 'care'")" \
    "one care call each"

# a restarted intake sweeps nothing twice
hf_service_restart intake
hf_wait_ping 20
hf_expect_exit 0 huifang clock set '2026-09-26 00:30'
occ_wait_swept 2026-09-26
hf_expect_eq 10 "$(occ_sql "SELECT count(*) FROM intake.outbox WHERE topic LIKE 'intake.occasion_due%'")" \
    "no second sweep of the day"
hf_expect_eq "$N" "$(occ_sql "SELECT count(*) FROM scheduler.task WHERE origin = 'occasion'")" "no second task"
hf_log "a festival greets $N customers in chunks, once"
