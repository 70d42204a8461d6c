# shellcheck shell=bash
# tests/e2e/reporting_scenario.sh: the fixed scenario the reporting tests share (sourced
# after lib.sh; not a test itself). Three weeks of one branch through the real services and
# the `huifang` client on the manual clock, with every kind of event the producers publish
# today: leads (new, duplicate, per channel, source and collector), purchases and their
# plans, date bags, claims, contacts with and without answer, a late step, an overdue bag,
# orders taken on the phone (which intake records as repurchases), consultations (bought and
# not), a home visit, a refusal that voids a card, complaints (one resolved in time, one
# left to breach and escalate) and an approved return.
#
#   2026-11-02 Mon (W45)  set-up; five leads (one a duplicate); four purchases (C5's on the
#                          member plan, whose calls A003 never makes); two consultations
#                          (one bought); the attribution data
#   2026-11-12 Thu (W46)  care calls: C1 answers and orders 2 VC30, C3 does not answer,
#                          C6 answers; A002 leaves C2's call in the bag; a visit; the
#                          consultation agent calls back the caller who did not buy; a
#                          complaint of C2 (A002)
#   2026-11-13 Fri        C3 answers the retry (late); A002 calls C2 (late) and takes an
#                          order; C2's complaint resolved in time; a complaint of C6 (A001)
#                          left open, to breach and escalate day after day
#   2026-11-17 Tue (W47)  C3 refuses on the repurchase call (card void); A003 reaches a
#                          wrong number for C5 (screened out); C2 returns the purchase
#                          (approved, refund)
#   2026-11-24 Tue (W48)  the reports are read
#
# rep_settle waits until every consumer of every service has applied every event (the
# producers' outbox sequences against each schema's consumer offsets, read with psql) and
# the sequences stayed still for a moment, so that what one service causes in another has
# happened before the next step.

REP_SCHEMAS=(intake scheduler calllog complaint reporting)

rep_psql() {
    psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$HUIFANG_STORE_URL" -c "$1"
}

# Prints "<total lag>:<sum of producer sequences>".
rep_lag() {
    local producers="" consumers="" s
    for s in intake scheduler calllog complaint; do
        producers+="${producers:+ UNION ALL }SELECT producer, last_seq FROM $s.outbox_seq"
    done
    for s in "${REP_SCHEMAS[@]}"; do
        consumers+="${consumers:+ UNION ALL }SELECT producer, last_seq FROM $s.consumer_offset"
    done
    rep_psql "WITH p AS ($producers), c AS ($consumers)
              SELECT coalesce((SELECT sum(p.last_seq - c.last_seq) FROM c JOIN p USING (producer)), 0)
                     || ':' || coalesce((SELECT sum(last_seq) FROM p), 0)"
}

# rep_settle: waits (up to 30 s) until nothing is left to apply and nothing new came while
# the scheduler's and the complaint service's timers each completed two rounds (so at least
# one round of each began after the wait did, on the clock as the test set it: the scheduler
# assigns and the complaint clock escalates on their rounds). A quiet stretch in seconds is
# not enough: on a loaded machine a round once came after 0.6 s of quiet, and the task it
# assigned landed in the next week's bag.
rep_settle() {
    local deadline last="" now sched0="" compl0=""
    deadline=$(hf_deadline 30)
    while :; do
        now=$(rep_lag 2>/dev/null || echo "x:x")
        if [[ $now == 0:* && $now == "$last" ]] && rep_rounds_past scheduler "$sched0" &&
            rep_rounds_past complaint "$compl0"; then
            # still nothing new after those rounds
            [[ $(rep_lag 2>/dev/null) == "$now" ]] && return 0
        fi
        if [[ $now != "$last" ]]; then
            last=$now
            sched0=$(hf_timer_rounds scheduler tick)
            compl0=$(hf_timer_rounds complaint tick)
        fi
        hf_past "$deadline" && hf_fail "the services did not settle (lag:sequences $now)"
        sleep 0.1
    done
}

# rep_rounds_past SERVICE ROUNDS0: true when SERVICE's tick completed two rounds more than
# ROUNDS0, or when it did not answer then (a test that runs without it).
rep_rounds_past() {
    [[ -z $2 ]] && return 0
    local n
    n=$(hf_timer_rounds "$1" tick)
    [[ -n $n ]] && ((n >= $2 + 2))
}

# rep_id_after TEXT PREFIX: the number after PREFIX in the JSON TEXT (bash only: these run
# often, and hf_json_get starts python each time).
rep_id_after() {
    [[ $1 =~ $2([0-9]+) ]] || hf_fail "no $2<number> in: ${1:0:300}"
    printf '%s\n' "${BASH_REMATCH[1]}"
}

# rep_claim AGENT: claims the agent's next task; sets REP_TASK and REP_CUSTOMER.
rep_claim() {
    hf_expect_exit 0 huifang --as "$1" --json task next
    REP_TASK=$(rep_id_after "$HF_OUT" '"task":\{"id":')
    REP_CUSTOMER=$(rep_id_after "${HF_OUT#*\"task\":\{}" '"customer_id":')
}

# rep_lead NAME PHONE CHANNEL [FLAGS...]: registers a lead; sets REP_ID.
rep_lead() {
    local name=$1 phone=$2 channel=$3
    shift 3
    hf_expect_exit 0 huifang --json lead add --name "$name" --phone "$phone" --channel "$channel" "$@"
    REP_ID=$(rep_id_after "$HF_OUT" '"customer":\{"id":')
}

rep_scenario() {
    export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai

    # ---- 2026-11-02 Mon ----
    # the golden reports count the plans of purchases and consultations; every other lead's
    # new-lead plan (150_lead_first_call.sh) starts none here
    hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --tz Asia/Shanghai \
        --windows 09:00-12:00,14:00-20:00 --lead-plans "$HF_LEAD_PLANS_CONSULT_ONLY"
    hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang
    hf_expect_exit 0 huifang agent add A002 --name 'Zhou Min' --role phone --regions haidian
    hf_expect_exit 0 huifang agent add C001 --name 'Dr Chen' --role consult
    hf_expect_exit 0 huifang agent add A003 --name 'Guo Jing' --role phone --regions xicheng
    hf_expect_exit 0 huifang agent add V001 --name 'Wu Gang' --role visit --regions xicheng
    hf_expect_exit 0 huifang agent add H001 --name 'Sun Hong' --role head
    hf_expect_exit 0 huifang agent add M001 --name 'Ma Li' --role manager
    hf_expect_exit 0 huifang product add VC30 --name 'Vitamin C 30' --days-per-unit 30 --price 168 \
        --plan monthly-course
    hf_expect_exit 0 huifang product add FO10 --name 'Fish oil 10' --days-per-unit 10 --price 50 \
        --plan monthly-course
    hf_expect_exit 0 huifang attribution terminal chaoyang 'Store Chaoyang'
    hf_expect_exit 0 huifang attribution terminal haidian 'Store Haidian'
    hf_expect_exit 0 huifang attribution rate 5

    rep_lead 'Wang Fang' 13812345678 counter --region chaoyang --collector S01 --source 'Store 1'
    C1=$REP_ID
    rep_lead 'Li Lei' 13912345678 counter --region haidian --collector S01 --source 'Store 1'
    C2=$REP_ID
    rep_lead 'Zhao Min' 13712345678 hospital --region chaoyang --collector R01 --source 'Hospital 3'
    C3=$REP_ID
    rep_lead 'Wang Fang' 13812345678 clinic --collector R01 --source 'Free clinic'
    hf_expect_eq "$C1" "$REP_ID" "the duplicate lead merges into C1"
    rep_lead 'Sun Li' 13612345678 mail --region xicheng
    C5=$REP_ID

    hf_expect_exit 0 huifang --json purchase add --customer "$C1" --product VC30 --quantity 1
    P1=$(rep_id_after "$HF_OUT" '^\{"id":')
    hf_expect_exit 0 huifang --json purchase add --customer "$C2" --product VC30 --quantity 1
    P2=$(rep_id_after "$HF_OUT" '^\{"id":')
    hf_expect_exit 0 huifang purchase add --customer "$C3" --product FO10 --quantity 2
    hf_expect_exit 0 huifang purchase add --customer "$C5" --product FO10 --quantity 3 --plan member

    hf_expect_exit 0 huifang --as C001 consult log --name 'Qian Yu' --phone 13512345678 \
        --complaint 'tired' --media 'TV' --outcome bought --product VC30 --quantity 1 \
        --region chaoyang --delivery store
    hf_expect_exit 0 huifang --as C001 consult log --name 'Feng Jie' --phone 13412345678 \
        --complaint 'sleep' --media 'newspaper' --outcome not-bought --region haidian
    rep_settle
    C6=$(rep_psql "SELECT id FROM intake.customer WHERE name = 'Qian Yu'")

    # ---- 2026-11-12 Thu: the day-10 care calls ----
    hf_expect_exit 0 huifang clock set '2026-11-12 10:00'
    rep_settle
    local _
    for _ in 1 2 3; do
        rep_claim A001
        if [[ $REP_CUSTOMER == "$C1" ]]; then
            hf_expect_exit 0 huifang --as A001 call log --task "$REP_TASK" --outcome connected \
                --effect good --order 2 --order-product VC30 --delivery store
        elif [[ $REP_CUSTOMER == "$C3" ]]; then
            hf_expect_exit 0 huifang --as A001 call log --task "$REP_TASK" --outcome no-answer
        else
            hf_expect_eq "$C6" "$REP_CUSTOMER" "A001's third care call"
            hf_expect_exit 0 huifang --as A001 call log --task "$REP_TASK" --outcome connected --effect good
        fi
    done
    rep_claim V001
    hf_expect_exit 0 huifang --as V001 visit log --task "$REP_TASK" --outcome connected --bp 130/85
    # the consultation agent calls back the caller who did not buy: talked to, not bought
    rep_claim C001
    hf_expect_exit 0 huifang --as C001 call log --task "$REP_TASK" --outcome connected
    # half an hour later, so that it is resolved tomorrow at 10:00 within its 24 hours
    hf_expect_exit 0 huifang clock set '2026-11-12 10:30'
    hf_expect_exit 0 huifang --as A002 --json complaint file --customer "$C2" --category delivery \
        --text 'parcel late'
    K1=$(rep_id_after "$HF_OUT" '^\{"id":')
    rep_settle

    # ---- 2026-11-13 Fri: the retries, late ----
    hf_expect_exit 0 huifang clock set '2026-11-13 10:00'
    rep_settle
    rep_claim A001
    hf_expect_eq "$C3" "$REP_CUSTOMER" "A001's retry of C3"
    hf_expect_exit 0 huifang --as A001 call log --task "$REP_TASK" --outcome connected --effect none
    rep_claim A002
    hf_expect_eq "$C2" "$REP_CUSTOMER" "A002's late care call"
    hf_expect_exit 0 huifang --as A002 call log --task "$REP_TASK" --outcome connected --order 1 \
        --order-product FO10 --delivery home
    hf_expect_exit 0 huifang --as A002 complaint resolve "$K1" --resolution 'sent again'
    hf_expect_exit 0 huifang --as A001 --json complaint file --customer "$C6" \
        --category product-effect --text 'no effect'
    rep_settle

    # ---- 2026-11-17 Tue: a refusal and a return ----
    hf_expect_exit 0 huifang clock set '2026-11-17 10:00'
    rep_settle
    rep_claim A001
    hf_expect_eq "$C3" "$REP_CUSTOMER" "A001's repurchase call to C3"
    hf_expect_exit 0 huifang --as A001 call log --task "$REP_TASK" --outcome refused
    # A003 reaches a wrong number: C5 is screened out
    rep_claim A003
    hf_expect_eq "$C5" "$REP_CUSTOMER" "A003's call to C5"
    hf_expect_exit 0 huifang --as A003 call log --task "$REP_TASK" --outcome wrong-number
    hf_expect_exit 0 huifang --as A002 --json return request --purchase "$P2" --used 0 \
        --packaging intact --reason 'moving away'
    R1=$(rep_id_after "$HF_OUT" '^\{"id":')
    hf_expect_exit 0 huifang --as M001 return approve "$R1"
    rep_settle

    # ---- 2026-11-24 Tue: read the reports ----
    hf_expect_exit 0 huifang clock set '2026-11-24 10:00'
    rep_settle
    export C1 C2 C3 C5 C6 P1 P2 K1 R1
}

# The reports of the scenario, as "file-name|report|flags".
# shellcheck disable=SC2034 # used by the tests that source this file
REP_REPORTS=(
    "agent-daily-2026-11-02|agent-daily|--date 2026-11-02"
    "agent-daily-2026-11-12|agent-daily|--date 2026-11-12"
    "agent-daily-2026-11-13|agent-daily|--date 2026-11-13"
    "agent-daily-2026-11-17-A001|agent-daily|--date 2026-11-17 --agent A001"
    "branch-weekly-2026-W46|branch-weekly|--week 2026-W46"
    "branch-weekly-2026-W47|branch-weekly|--week 2026-W47"
    "collection-2026-W45|collection|--week 2026-W45"
    "repurchase-2026-11|repurchase|--month 2026-11"
    "repurchase-2026-12|repurchase|--month 2026-12"
    "repurchase-2026-12-days-0|repurchase|--month 2026-12 --days 0"
    "complaints-2026-W46|complaints|--week 2026-W46"
    "complaints-2026-W47|complaints|--week 2026-W47"
    "sales-attribution-2026-11|sales-attribution|--month 2026-11"
)
