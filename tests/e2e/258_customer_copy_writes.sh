#!/usr/bin/env bash
# The scheduler's copy of intake's customers written only where it changes (issue 14,
# copies12), through the real services. Intake sends a customer's copy with every change of
# its card (a card talked to, a refusal's void and opt-out, a card set by hand, an edit, a
# phone added); the scheduler's copy holds fourteen of its columns and its own counters. A
# trigger counts the rows of scheduler.customer updated, customer by customer:
#  1. live, a copy a batch: an edit of a field the scheduler does not copy (gender) and a
#     phone added (the first phone stays) write nothing; a name edited writes its row once; a
#     card set by hand once (the kept-back card and the copy that carries it: one write);
#  2. the same kinds kept while the scheduler is stopped and written in one batch
#     (SCHED_Q_COPIES_CHANGED, the kept copies merged): only the changed rows written;
#  3. calls: connected on a new card writes the card once (the call's counters are 0 already,
#     nothing to write for them); refused on a new card writes its copy made one-on-one, the
#     void card and the opt-out, not the copy after them; a no-answer counts one attempt;
#  4. every update of the copy was HOT (pg_stat_user_tables): the card and the opt-out are in
#     no index (migration 028), and the pages have room;
# and every copy's columns are intake's (name, phone, region, address, card, opt-out). A
# version that rewrites an unchanged copy, writes the counters of a call that changes none,
# or puts card_type back into an index's predicate, fails here.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

HF_CLOCK_START='2026-11-02 10:00 +0800'
hf_stack_start
export HUIFANG_BRANCH=BJ01 HUIFANG_TZ=Asia/Shanghai
sql() { hf_store_value "$1"; }

hf_expect_exit 0 huifang branch add BJ01 --name 'Beijing Chaoyang' --tz Asia/Shanghai \
    --windows 09:00-12:00,14:00-20:00
hf_expect_exit 0 huifang agent add A001 --name 'Li Na' --role phone --regions chaoyang --daily-calls 40
names=(- Yi Er San Si Wu Liu)
ids=()
for i in 1 2 3 4 5 6; do
    hf_expect_exit 0 huifang --json lead add --name "Wang Fang ${names[$i]}" --phone "1381234560$i" \
        --channel counter --region chaoyang
    ids+=("$(hf_json_get "$HF_OUT" customer.id)")
done
hf_wait_until 10 bash -c "[[ \$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \
    'SELECT count(*) FROM scheduler.plan') == 6 ]]"
hf_wait_applied scheduler intake

# every row of scheduler.customer updated, counted by customer (a batch rolled back takes its
# rows with it)
sql "SET client_min_messages = warning;
     CREATE TABLE public.e2e258_writes (id bigint NOT NULL, card text NOT NULL, query text);
     CREATE FUNCTION public.e2e258_count() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
       AS \$\$ BEGIN INSERT INTO public.e2e258_writes VALUES (NEW.id, NEW.card_type, left(current_query(), 60));
                     RETURN NULL; END \$\$;
     CREATE TRIGGER e2e258 AFTER UPDATE ON scheduler.customer
       FOR EACH ROW EXECUTE FUNCTION public.e2e258_count()" >/dev/null
writes() { sql "SELECT count(*) FROM public.e2e258_writes WHERE id = $1"; }
# the table's updates and HOT updates so far (the scheduler's backends report theirs when idle)
upd0=$(sql "SELECT n_tup_upd FROM pg_stat_user_tables WHERE schemaname = 'scheduler' AND relname = 'customer'")
hot0=$(sql "SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE schemaname = 'scheduler' AND relname = 'customer'")
same_as_intake() {
    hf_expect_eq "" "$(sql "SELECT string_agg(i.id::text, ' ') FROM intake.customer i
        JOIN scheduler.customer s ON s.id = i.id
        WHERE (s.name, s.phone, s.region, s.address, s.card_type, s.opted_out)
              IS DISTINCT FROM (i.name, i.phone, i.region, i.address, i.card_type, i.opted_out)")" \
        "$1: every copy's columns are intake's"
}

# ---- 1. live: a copy a batch ----
a=${ids[0]} b=${ids[1]} c=${ids[2]}
hf_expect_exit 0 huifang customer edit "$a" --gender f
hf_expect_exit 0 huifang customer phone add "$a" 13912345600 --relation spouse
hf_expect_exit 0 huifang customer edit "$b" --name 'Wang Fang Er Jr'
hf_expect_exit 0 huifang customer card "$c" one-on-one
hf_wait_applied scheduler intake
hf_expect_eq 0 "$(writes "$a")" "1: a copy that changes nothing of the scheduler's writes nothing"
hf_expect_eq 1 "$(writes "$b")" "1: a name edited: its row written once"
hf_expect_eq "Wang Fang Er Jr" "$(sql "SELECT name FROM scheduler.customer WHERE id = $b")" "1: the new name"
hf_expect_eq 1 "$(writes "$c")" "1: a card set: the card and its copy one write"
hf_expect_eq "one-on-one" "$(sql "SELECT card_type FROM scheduler.customer WHERE id = $c")" "1: the new card"
same_as_intake 1

# ---- 2. kept: the copies of a batch in one statement ----
hf_service_stop scheduler
total=$(sql "SELECT count(*) FROM public.e2e258_writes")
sql "TRUNCATE public.e2e258_writes"
hf_expect_exit 0 huifang customer edit "$a" --gender m
hf_expect_exit 0 huifang customer edit "$c" --gender f
hf_expect_exit 0 huifang customer edit "$b" --address 'Chaoyang Road 1'
hf_expect_exit 0 huifang customer phone add "$b" 13912345601 --relation child
hf_expect_exit 0 huifang customer edit "$a" --address 'Chaoyang Road 2'
hf_expect_exit 0 huifang customer edit "$a" --gender f
hf_service_start scheduler
hf_wait_applied scheduler intake
hf_expect_eq 0 "$(writes "$c")" "2: an unchanged copy among the batch's writes nothing"
hf_expect_eq 1 "$(writes "$b")" "2: two copies of a customer, one changed: one write"
hf_expect_eq 1 "$(writes "$a")" "2: three copies of a customer, one changed: one write"
hf_expect_eq "Chaoyang Road 2/Chaoyang Road 1" \
    "$(sql "SELECT string_agg(address, '/' ORDER BY id) FROM scheduler.customer WHERE id IN ($a, $b)")" \
    "2: the addresses"
same_as_intake 2

# ---- 3. calls ----
total=$((total + $(sql "SELECT count(*) FROM public.e2e258_writes")))
sql "TRUNCATE public.e2e258_writes"
# the new-lead first calls fall on days 1-7: each day, every call in the bag gets the next
# outcome of the list, until each outcome had one of the customers still on a new card
outcomes=(connected refused no-answer)
declare -A task_of customer_of
n=0
for day in 1 2 3 4 5 6 7; do
    ((n < 3)) || break
    hf_expect_exit 0 huifang clock advance 1d
    hf_wait_applied scheduler intake
    now_ms=$(sql "SELECT (extract(epoch FROM timestamptz '2026-11-02 10:00+08'
                          + interval '$day days') * 1000)::bigint")
    hf_wait_until 10 bash -c "[[ \$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \
        \"SELECT count(*) FROM scheduler.task WHERE state = 'planned' AND due_at_ms <= $now_ms\") == 0 ]]"
    while ((n < 3)); do
        huifang --as A001 --json task next >"$HF_E2E_TMP/next.json" 2>/dev/null || break
        grep -q '"id"' "$HF_E2E_TMP/next.json" || break
        t=$(hf_json_get "$(cat "$HF_E2E_TMP/next.json")" task.id)
        cid=$(sql "SELECT customer_id FROM scheduler.task WHERE id = $t")
        if [[ $(sql "SELECT card_type FROM scheduler.customer WHERE id = $cid") != new ]]; then
            hf_expect_exit 0 huifang --as A001 call log --task "$t" --outcome busy
            continue
        fi
        o=${outcomes[$n]}
        hf_expect_exit 0 huifang --as A001 --json call log --task "$t" --outcome "$o"
        task_of[$o]=$t
        customer_of[$o]=$cid
        n=$((n + 1))
    done
done
hf_expect_eq 3 "$n" "three calls logged on new cards"
hf_wait_applied intake calllog
hf_wait_applied scheduler calllog
hf_wait_applied scheduler intake
k=${customer_of[connected]} r=${customer_of[refused]} u=${customer_of[no-answer]}
hf_expect_eq "one-on-one" "$(sql "SELECT string_agg(card, ' ') FROM public.e2e258_writes WHERE id = $k")" \
    "3: connected on a new card: one write, the card the copy carried"
hf_expect_eq "void/true" "$(sql "SELECT card_type || '/' || opted_out FROM scheduler.customer WHERE id = $r")" \
    "3: refused: the copy void and opted out"
hf_log "refused's writes: $(sql "SELECT string_agg(card || ' ' || query, ' | ') FROM public.e2e258_writes WHERE id = $r")"
# talked to, the new card became one-on-one first (its copy), then void, then opted out
hf_expect_eq 3 "$(writes "$r")" "3: refused: the one-on-one copy, the void card and the opt-out written, not the copy after them"
hf_expect_eq "1/1" "$(sql "SELECT (SELECT count(*) FROM public.e2e258_writes WHERE id = $u) || '/' ||
                                  unanswered FROM scheduler.customer WHERE id = $u")" \
    "3: no answer: one write, one attempt"
hf_expect_eq "0" "$(sql "SELECT count(*) FROM scheduler.task WHERE customer_id = $r
                         AND state IN ('planned', 'assigned', 'paused')")" "3: refused: no open step left"
same_as_intake 3

# ---- 4. every update HOT ----
total=$((total + $(sql "SELECT count(*) FROM public.e2e258_writes")))
stats() {
    sql "SELECT n_tup_upd - $upd0 || '/' || n_tup_hot_upd - $hot0 FROM pg_stat_user_tables
         WHERE schemaname = 'scheduler' AND relname = 'customer'"
}
# every row counted (parts 1-3), reported by the backends that wrote them when next idle
want=$total
hf_wait_until 30 bash -c "[[ \$(psql -X -q -t -A -d '$HUIFANG_STORE_URL' -c \"SELECT n_tup_upd - $upd0 FROM pg_stat_user_tables WHERE schemaname = 'scheduler' AND relname = 'customer'\") -ge $want ]]"
hf_log "scheduler.customer: updates/HOT $(stats) (counted $want)"
hf_expect_eq "$want/$want" "$(stats)" "4: every update of the copy HOT"
hf_expect_eq "tier" "$(sql "SELECT string_agg(a.attname, ',' ORDER BY a.attname) FROM pg_index i
    JOIN pg_attribute a ON a.attrelid = i.indrelid
    WHERE i.indrelid = 'scheduler.customer'::regclass AND i.indpred IS NOT NULL
      AND pg_get_expr(i.indpred, i.indrelid) ~ ('\\m' || a.attname || '\\M') AND a.attnum > 0")" \
    "4: the partial indexes of the copy name its tier only"

sql "DROP TRIGGER e2e258 ON scheduler.customer; DROP FUNCTION public.e2e258_count();
     DROP TABLE public.e2e258_writes" >/dev/null
hf_log "ok"
