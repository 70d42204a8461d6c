/* What the lead import writes through COPY, against a real Postgres: intake's text rows
 * (tabs, newlines, carriage returns and backslashes escaped, NULLs, dates, numbers) read back
 * exactly; hf_store_copy_in() counts the rows, and a failed COPY keeps its SQLSTATE and leaves
 * the transaction usable after a rollback to a savepoint (how the phone claim falls back);
 * hf_outbox_copy_many() writes the same rows, sequences and bodies as hf_outbox_append() one by
 * one. */
#include "hf_outbox.h"
#include "hf_outbox_batch.h"
#include "hf_store.h"
#include "hf_test.h"
#include "hf_time.h"
#include "intake_internal.h"

static void test_text_rows(hf_store_t *st)
{
    CHECK_INT(hf_store_run(st,
                           "CREATE TABLE t (id bigint PRIMARY KEY, s text, d date, n int,"
                           " k uuid)",
                           0, NULL),
              0);
    static const char *texts[] = {"plain 王芳",      "tab\there", "line\nbreak", "cr\rlf",
                                  "back\\slash \\N", "",          NULL};
    int32_t day = -1;
    CHECK_INT(hf_date_parse("2026-11-23", &day), 0);
    intake_copy_t c;
    intake_copy_init(&c);
    for (int i = 0; i < 7; i++) {
        intake_copy_int(&c, i);
        intake_copy_str(&c, texts[i]);
        intake_copy_date(&c, i % 2 ? day : INTAKE_NO_DAY);
        if (i % 3)
            intake_copy_int(&c, -i);
        else
            intake_copy_str(&c, NULL);
        intake_copy_str(&c, i == 0 ? "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9" : NULL);
        intake_copy_row_end(&c);
    }
    CHECK_INT(intake_copy_send(st, &c, "COPY t (id, s, d, n, k) FROM STDIN"), 0);
    intake_copy_release(&c);
    PGresult *r =
        hf_store_exec(st,
                      "SELECT id, s, s IS NULL, coalesce(d::text, '-'),"
                      " coalesce(n::text, '-'), coalesce(k::text, '-') FROM t ORDER BY id",
                      0, NULL);
    CHECK(r != NULL);
    if (r == NULL)
        return;
    CHECK_INT(PQntuples(r), 7);
    for (int i = 0; i < PQntuples(r) && i < 7; i++) {
        if (texts[i])
            CHECK_STR(PQgetvalue(r, i, 1), texts[i]);
        else
            CHECK(hf_pg_bool(r, i, 2));
        CHECK_STR(PQgetvalue(r, i, 3), i % 2 ? "2026-11-23" : "-");
        char n[8];
        snprintf(n, sizeof n, "%d", -i);
        CHECK_STR(PQgetvalue(r, i, 4), i % 3 ? n : "-");
    }
    CHECK_STR(PQgetvalue(r, 0, 5), "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9");
    PQclear(r);
}

static void test_copy_failure(hf_store_t *st)
{
    /* a duplicate key inside a transaction: the SQLSTATE is kept, and the transaction goes on
     * after a rollback to the savepoint taken before the COPY */
    CHECK_INT(hf_store_begin(st), 0);
    CHECK_INT(hf_store_run(st, "SAVEPOINT before_copy", 0, NULL), 0);
    static const char dup[] = "100\tx\n101\ty\n100\tz\n";
    CHECK_INT(hf_store_copy_in(st, "COPY t (id, s) FROM STDIN", dup, sizeof dup - 1), -1);
    CHECK_STR(hf_store_sqlstate(st), "23505");
    CHECK_INT(hf_store_run(st, "ROLLBACK TO SAVEPOINT before_copy", 0, NULL), 0);
    static const char ok[] = "200\tfine\n201\t\\\\N\n";
    CHECK_INT(hf_store_copy_in(st, "COPY t (id, s) FROM STDIN", ok, sizeof ok - 1), 2);
    CHECK_INT(hf_store_commit(st), 0);
    PGresult *r = hf_store_exec(st,
                                "SELECT string_agg(id || '=' || s, ',' ORDER BY id) FROM t"
                                " WHERE id >= 100",
                                0, NULL);
    CHECK(r != NULL);
    if (r) {
        CHECK_STR(PQgetvalue(r, 0, 0), "200=fine,201=\\N");
        PQclear(r);
    }
    /* not a COPY at all: an error, and the connection is still usable */
    CHECK_INT(hf_store_copy_in(st, "SELECT nonsense", "", 0), -1);
    CHECK_INT(hf_store_run(st, "SELECT 1", 0, NULL), 0);
}

/* n LeadRejected envelopes whose fields depend on i and tag */
static void s_envelopes(hf_envelope_t *envs, Huifang__V1__LeadRejected *rj, hf_envelope_t **ptrs,
                        int n, const char *tag)
{
    for (int i = 0; i < n; i++) {
        huifang__v1__envelope__init(&envs[i]);
        huifang__v1__lead_rejected__init(&rj[i]);
        rj[i].field = "phone";
        rj[i].reason = (char *)tag;
        rj[i].line = i + 2;
        envs[i].branch = "BJ01";
        envs[i].occurred_at_ms = 1700000000000 + i;
        envs[i].payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_REJECTED;
        envs[i].lead_rejected = &rj[i];
        ptrs[i] = &envs[i];
    }
}

static void test_outbox_copy(hf_store_t *st)
{
    enum { N = 300 };
    static hf_envelope_t envs[N];
    static Huifang__V1__LeadRejected rj[N];
    static hf_envelope_t *ptrs[N];
    /* the same events one by one and at once, under two producer names */
    s_envelopes(envs, rj, ptrs, N, "same");
    CHECK_INT(hf_store_begin(st), 0);
    for (int i = 0; i < N; i++)
        CHECK_INT(hf_outbox_append(st, "single", ptrs[i]), i + 1);
    CHECK_INT(hf_store_commit(st), 0);
    s_envelopes(envs, rj, ptrs, N, "same");
    CHECK_INT(hf_store_begin(st), 0);
    CHECK_INT(hf_outbox_copy_many(st, "copied", ptrs, 1), 1);
    CHECK_INT(hf_outbox_copy_many(st, "copied", ptrs + 1, N - 1), N);
    CHECK_INT(hf_store_commit(st), 0);
    CHECK(envs[N - 1].event_id == NULL); /* not left pointing at a local buffer */
    CHECK_INT((long long)envs[N - 1].seq, N);
    /* the rows differ only in the producer's name (in the topic and the envelope) */
    PGresult *r = hf_store_execv(st,
                                 "SELECT a.seq, substr(a.topic, 7) = substr(c.topic, 7)"
                                 " AND a.topic LIKE 'single.%' AND a.branch = c.branch AND"
                                 " a.created_at_ms = c.created_at_ms, a.body, c.body"
                                 " FROM outbox a JOIN outbox c ON c.seq = a.seq"
                                 " AND c.producer = 'copied' WHERE a.producer = 'single'"
                                 " ORDER BY a.seq",
                                 0, NULL, NULL, NULL, 1);
    CHECK(r != NULL);
    if (r == NULL)
        return;
    CHECK_INT(PQntuples(r), N);
    int same = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        hf_envelope_t *a = huifang__v1__envelope__unpack(NULL, (size_t)PQgetlength(r, i, 2),
                                                         (const uint8_t *)PQgetvalue(r, i, 2));
        hf_envelope_t *c = huifang__v1__envelope__unpack(NULL, (size_t)PQgetlength(r, i, 3),
                                                         (const uint8_t *)PQgetvalue(r, i, 3));
        if (a && c && PQgetvalue(r, i, 1)[0] == 1 && a->seq == c->seq &&
            a->seq == (uint64_t)i + 1 && strcmp(a->producer, "single") == 0 &&
            strcmp(c->producer, "copied") == 0 && a->lead_rejected && c->lead_rejected &&
            a->lead_rejected->line == c->lead_rejected->line &&
            strcmp(c->event_id, "copied:") > 0 && a->occurred_at_ms == c->occurred_at_ms)
            same++;
        if (a)
            huifang__v1__envelope__free_unpacked(a, NULL);
        if (c)
            huifang__v1__envelope__free_unpacked(c, NULL);
    }
    CHECK_INT(same, N);
    PQclear(r);
    /* a rolled-back COPY gives its numbers back: the next append continues the sequence */
    CHECK_INT(hf_store_begin(st), 0);
    CHECK_INT(hf_outbox_copy_many(st, "copied", ptrs, 5), N + 5);
    hf_store_rollback(st);
    CHECK_INT(hf_store_begin(st), 0);
    CHECK_INT(hf_outbox_copy_many(st, "copied", ptrs, 2), N + 2);
    CHECK_INT(hf_store_commit(st), 0);
}

int main(void)
{
    const char *url = hf_test_env("HUIFANG_TEST_STORE_URL");
    hf_store_t *st = hf_store_new(url, "intake_copy_test");
    if (hf_store_connect_wait(st, 5000) != 0) {
        fprintf(stderr, "cannot connect: %s\n", hf_store_error(st));
        return 2;
    }
    CHECK_INT(hf_store_script(st, "DROP SCHEMA IF EXISTS intake_copy_test CASCADE;"
                                  " CREATE SCHEMA intake_copy_test"),
              0);
    CHECK_INT(hf_store_migrate(st, NULL), 0); /* the framework's outbox */
    TEST_CASE(test_text_rows, st);
    TEST_CASE(test_copy_failure, st);
    TEST_CASE(test_outbox_copy, st);
    hf_store_script(st, "DROP SCHEMA IF EXISTS intake_copy_test CASCADE");
    hf_store_destroy(&st);
    TEST_DONE();
}
