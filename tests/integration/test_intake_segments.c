/* Segments against real Postgres (intake_segment.c): the one parameterised statement that
 * every use of a segment shares, through intake_segment_each(), the interface other features
 * (occasions) call.
 *
 * Stages: for every reference date from 40 days ahead to 700 days back, the SQL function
 * segment_stage puts a customer in the same stage as intake_stage_of (the C rule that
 * `customer show` uses), month ends and leap days included. Birthdays: a range inside the
 * year, one wrapping over the year end, 29 February. Opted-out, merged and void customers:
 * never, except void when the filter names it. An unknown segment: -2; a callback's non-zero
 * return stops the walk. */
#include "hf_clock.h"
#include "hf_store.h"
#include "hf_test.h"
#include "hf_time.h"
#include "intake.h"
#include "intake_internal.h"
#include <stdio.h>
#include <string.h>

static int s_count_fn(int64_t customer_id, void *arg)
{
    (void)customer_id;
    (*(int *)arg)++;
    return 0;
}

static int s_stop_fn(int64_t customer_id, void *arg)
{
    (void)customer_id;
    return ++(*(int *)arg) == 3 ? 7 : 0;
}

/* Adds a segment of branch with one filter column set; returns its id. */
static int64_t s_segment(hf_store_t *st, const char *branch, const char *name, const char *column,
                         const char *value, const char *column2, const char *value2)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO segment (branch, name, %s%s%s, created_at_ms) VALUES ($1, $2, $3%s, 0)"
             " RETURNING id",
             column, column2 ? ", " : "", column2 ? column2 : "", column2 ? ", $4" : "");
    const char *p[] = {branch, name, value, value2};
    PGresult *res = hf_store_exec(st, sql, column2 ? 4 : 3, p);
    if (res == NULL) {
        fprintf(stderr, "segment: %s\n", hf_store_error(st));
        return 0;
    }
    int64_t id = hf_pg_int(res, 0, 0);
    PQclear(res);
    return id;
}

static int s_count(hf_store_t *st, const char *branch, int64_t id)
{
    int n = 0;
    int rc = intake_segment_each(st, branch, id, s_count_fn, &n);
    return rc == 0 ? n : -100 + rc;
}

static void test_stages_match_c(hf_store_t *st)
{
    const char *tz = "Asia/Shanghai";
    int32_t today = hf_time_local_day(hf_clock_now_ms(), tz);
    char day[11];
    hf_date_format(today, day);
    const char *p[] = {day};
    CHECK_INT(hf_store_run(st,
                           "INSERT INTO customer (branch, name, phone, ref_date, created_at_ms)"
                           " SELECT 'BJ01', 'c' || g, '139' || lpad((g + 100)::text, 8, '0'),"
                           " $1::date - g, 0 FROM generate_series(-40, 700) AS g",
                           1, p),
              0);
    /* the default rules, in code order, as intake_branch_load reads them */
    PGresult *res = hf_store_exec(st,
                                  "SELECT code, unit = 'month', from_age IS NOT NULL,"
                                  " coalesce(from_age, 0), to_age IS NOT NULL, coalesce(to_age, 0)"
                                  " FROM stage_rule WHERE branch = '' ORDER BY code",
                                  0, NULL);
    CHECK(res != NULL);
    intake_stage_rule_t rules[INTAKE_MAX_STAGES];
    int nrules = PQntuples(res);
    for (int i = 0; i < nrules; i++) {
        memset(&rules[i], 0, sizeof rules[i]);
        snprintf(rules[i].code, sizeof rules[i].code, "%s", hf_pg_str(res, i, 0));
        rules[i].months = hf_pg_bool(res, i, 1);
        rules[i].has_from = hf_pg_bool(res, i, 2);
        rules[i].from = (int)hf_pg_int(res, i, 3);
        rules[i].has_to = hf_pg_bool(res, i, 4);
        rules[i].to = (int)hf_pg_int(res, i, 5);
    }
    PQclear(res);
    CHECK_INT(nrules, 6);
    int total = 0;
    for (int r = 0; r < nrules; r++) {
        int want = 0;
        for (int g = -40; g <= 700; g++)
            want += strcmp(intake_stage_of(rules, nrules, today - g, today), rules[r].code) == 0;
        char name[64];
        snprintf(name, sizeof name, "stage %.15s", rules[r].code);
        int64_t id = s_segment(st, "BJ01", name, "stages", rules[r].code, NULL, NULL);
        CHECK(id > 0);
        CHECK_INT(s_count(st, "BJ01", id), want);
        total += want;
    }
    CHECK_INT(total, 741);
    /* two stages at once: either */
    int64_t both = s_segment(st, "BJ01", "T1 or T2", "stages", "T1,T2", NULL, NULL);
    CHECK_INT(s_count(st, "BJ01", both),
              s_count(st, "BJ01", s_segment(st, "BJ01", "T1", "stages", "T1", NULL, NULL)) +
                  s_count(st, "BJ01", s_segment(st, "BJ01", "T2", "stages", "T2", NULL, NULL)));
}

static void test_birthdays_and_exclusions(hf_store_t *st)
{
    CHECK_INT(hf_store_script(st,
                              "INSERT INTO branch (code, name, tz, created_at_ms)"
                              " VALUES ('SH01', 'Shanghai', 'Asia/Shanghai', 0);"
                              "INSERT INTO customer (branch, name, phone, birth, created_at_ms)"
                              " VALUES ('SH01', 'a', '13800000001', '1960-12-25', 0),"
                              " ('SH01', 'b', '13800000002', '1970-01-05', 0),"
                              " ('SH01', 'c', '13800000003', '1980-01-11', 0),"
                              " ('SH01', 'd', '13800000004', '1990-12-19', 0),"
                              " ('SH01', 'e', '13800000005', '1992-02-29', 0),"
                              " ('SH01', 'f', '13800000006', '1993-03-01', 0),"
                              " ('SH01', 'g', '13800000007', NULL, 0);"
                              "INSERT INTO customer (branch, name, phone, birth, opted_out,"
                              " created_at_ms) VALUES ('SH01', 'h', '13800000008', '1960-12-26',"
                              " true, 0);"
                              "INSERT INTO customer (branch, name, phone, birth, card_type,"
                              " void_reason, created_at_ms) VALUES ('SH01', 'i', '13800000009',"
                              " '1960-12-27', 'void', 'refused', 0);"),
              0);
    int64_t wrap =
        s_segment(st, "SH01", "year end", "birthday_from", "12-20", "birthday_to", "01-10");
    CHECK_INT(s_count(st, "SH01", wrap), 2); /* a, b: not c, d, nor the opted-out or void */
    int64_t leap = s_segment(st, "SH01", "leap", "birthday_from", "02-28", "birthday_to", "02-29");
    CHECK_INT(s_count(st, "SH01", leap), 1);
    int64_t spring =
        s_segment(st, "SH01", "spring", "birthday_from", "02-29", "birthday_to", "03-01");
    CHECK_INT(s_count(st, "SH01", spring), 2);
    int64_t all = s_segment(st, "SH01", "all", "regions", "", NULL, NULL);
    CHECK_INT(s_count(st, "SH01", all), 7);
    int64_t voids = s_segment(st, "SH01", "void", "card_types", "void", NULL, NULL);
    CHECK_INT(s_count(st, "SH01", voids), 1);
    CHECK_INT(hf_store_script(st, "UPDATE customer SET merged_into = (SELECT min(id) FROM customer"
                                  " WHERE branch = 'SH01') WHERE branch = 'SH01' AND name = 'g'"),
              0);
    CHECK_INT(s_count(st, "SH01", all), 6);
    /* a segment of another branch is unknown here */
    CHECK_INT(s_count(st, "BJ01", all), -102);
    CHECK_INT(s_count(st, "SH01", 999999), -102);
    int seen = 0;
    CHECK_INT(intake_segment_each(st, "SH01", all, s_stop_fn, &seen), 7);
    CHECK_INT(seen, 3);
}

int main(void)
{
    const char *url = hf_test_env("HUIFANG_TEST_STORE_URL");
    hf_store_t *st = hf_store_new(url, "intake_segment_test");
    if (hf_store_connect_wait(st, 5000) != 0) {
        fprintf(stderr, "cannot connect: %s\n", hf_store_error(st));
        return 2;
    }
    CHECK_INT(hf_store_script(st, "DROP SCHEMA IF EXISTS intake_segment_test CASCADE;"
                                  " CREATE SCHEMA intake_segment_test"),
              0);
    CHECK_INT(hf_store_migrate(st, NULL), 0);
    CHECK_INT(hf_store_migrate(st, intake_migrations), 0);
    CHECK_INT(hf_store_script(st, "INSERT INTO branch (code, name, tz, created_at_ms)"
                                  " VALUES ('BJ01', 'Beijing', 'Asia/Shanghai', 0)"),
              0);
    TEST_CASE(test_stages_match_c, st);
    TEST_CASE(test_birthdays_and_exclusions, st);
    hf_store_script(st, "DROP SCHEMA IF EXISTS intake_segment_test CASCADE");
    hf_store_destroy(&st);
    TEST_DONE();
}
