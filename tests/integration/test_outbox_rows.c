/* The outbox rows of a transaction's events, through the framework (hf_service_emit and the
 * store's end hook), against real Postgres: a transaction that emits 1, 2, 9 or 20 events
 * stores them all, numbered in order without a gap, each row's body byte for byte the
 * envelope packed with its number, its topic, branch and time as the envelope says — and in
 * ONE INSERT however many there are (counted twice: by a statement trigger on the outbox and
 * by the store's statement counter, which sees BEGIN, the counter row's upsert, the INSERT
 * and COMMIT); numbers a command reserved itself (hf_service_events_reserved) likewise; a
 * transaction rolled back stores none and leaves the counter where it was. Bodies, branches
 * and topics carry the characters an array literal escapes (quotes, backslashes, braces,
 * commas), bytes of every value and text beyond ASCII. */
#include "hf_log.h"
#include "hf_outbox.h"
#include "hf_service.h"
#include "hf_store.h"
#include "hf_test.h"
#include <stdlib.h>

static hf_service_t *s_svc;
static hf_store_t *s_st;

static const hf_migration_t s_migrations[] = {
    /* a statement trigger counting the INSERT statements the outbox runs */
    {1, "001_outbox_inserts.sql",
     "CREATE TABLE outbox_inserts (n bigint NOT NULL);\n"
     "INSERT INTO outbox_inserts VALUES (0);\n"
     "CREATE FUNCTION outbox_inserted() RETURNS trigger LANGUAGE plpgsql AS\n"
     "  $$BEGIN UPDATE outbox_inserts SET n = n + 1; RETURN NULL; END$$;\n"
     "CREATE TRIGGER outbox_inserted AFTER INSERT ON outbox\n"
     "  FOR EACH STATEMENT EXECUTE FUNCTION outbox_inserted();\n"},
    {0, NULL, NULL}};
static const hf_command_t s_commands[] = {{0, NULL, false, 0}};
static const hf_service_def_t s_def = {.name = "probe",
                                       .summary = "outbox rows probe",
                                       .migrations = s_migrations,
                                       .commands = s_commands};

static int64_t s_int(const char *sql)
{
    PGresult *res = hf_store_exec(s_st, sql, 0, NULL);
    CHECK(res != NULL);
    if (res == NULL)
        return -1;
    int64_t v = PQntuples(res) ? hf_pg_int(res, 0, 0) : -1;
    PQclear(res);
    return v;
}

#define MAX_EVENTS 20

/* Event i of a transaction: a customer_screened whose reason and branch hold what an array
 * literal must escape, and bytes of every value (the customer id's varint). */
typedef struct {
    hf_envelope_t env;
    Huifang__V1__CustomerScreened cs;
    char reason[64], branch[32];
} s_event_t;

static void s_event_make(s_event_t *e, int i)
{
    static const char *const branches[] = {"BJ01", "", "a\"b", "c\\d", "{e,f}", "NULL", "北京 02"};
    static const char *const reasons[] = {"unanswered", "say \"no\"", "back\\slash", "{x,y}",
                                          "",           "多次未接",   "\\x00"};
    memset(e, 0, sizeof *e);
    e->cs = (Huifang__V1__CustomerScreened)HUIFANG__V1__CUSTOMER_SCREENED__INIT;
    e->env = (hf_envelope_t)HUIFANG__V1__ENVELOPE__INIT;
    snprintf(e->reason, sizeof e->reason, "%s %d", reasons[i % 7], i);
    snprintf(e->branch, sizeof e->branch, "%s", branches[i % 7]);
    e->cs.customer_id = (int64_t)0x00ff7f80017f00ffLL + i * 4099;
    e->cs.reason = e->reason;
    e->env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_SCREENED;
    e->env.customer_screened = &e->cs;
    e->env.branch = e->branch;
    e->env.correlation_id = i % 2 ? "req-\"1\"" : NULL;
    e->env.occurred_at_ms = 1764547200000LL + i * 1001;
}

/* Checks the rows of the n events numbered after last: their seq, topic, branch, time and
 * body, the body the envelope packed with its number and id. */
static void s_check_rows(s_event_t *ev, int n, int64_t last)
{
    hf_outbox_row_t rows[MAX_EVENTS + 1];
    int got = 0;
    CHECK(hf_outbox_read(s_st, "probe", (uint64_t)last, MAX_EVENTS + 1, rows, &got) == 0);
    CHECK_INT(got, n);
    for (int i = 0; i < got && i < n; i++) {
        int64_t seq = last + 1 + i;
        CHECK_INT(rows[i].seq, seq);
        char id[96], topic[160];
        snprintf(id, sizeof id, "probe:%lld", (long long)seq);
        hf_envelope_t env = ev[i].env;
        env.seq = (uint64_t)seq;
        env.event_id = id;
        hf_envelope_topic(&env, topic, sizeof topic);
        CHECK_STR(rows[i].topic, topic);
        size_t len = huifang__v1__envelope__get_packed_size(&env);
        uint8_t *want = malloc(len);
        huifang__v1__envelope__pack(&env, want);
        CHECK_INT(rows[i].len, len);
        CHECK(rows[i].len == len && memcmp(rows[i].body, want, len) == 0);
        free(want);
        char seqtxt[24];
        const char *p[] = {hf_pg_i64(seqtxt, seq)};
        PGresult *res = hf_store_exec(
            s_st, "SELECT branch, created_at_ms FROM outbox WHERE producer = 'probe' AND seq = $1",
            1, p);
        CHECK(res && PQntuples(res) == 1);
        if (res && PQntuples(res) == 1) {
            CHECK_STR(hf_pg_str(res, 0, 0), ev[i].branch);
            CHECK_INT(hf_pg_int(res, 0, 1), (int64_t)ev[i].env.occurred_at_ms);
        }
        if (res)
            PQclear(res);
    }
    hf_outbox_rows_free(rows, got);
}

/* One transaction emitting n events (reserve: the numbers reserved first, as a command
 * reserving them in a statement of its own does): all stored, in one INSERT. */
static void s_emit_n(int n, bool reserve)
{
    static s_event_t ev[MAX_EVENTS];
    int64_t last = s_int("SELECT last_seq FROM outbox_seq WHERE producer = 'probe'");
    int64_t inserts = s_int("SELECT n FROM outbox_inserts");
    int64_t rows = s_int("SELECT count(*) FROM outbox");
    uint64_t statements = hf_store_statements(s_st);
    CHECK(hf_store_begin(s_st) == 0);
    if (reserve) {
        int64_t reserved = hf_outbox_reserve(s_st, "probe", n);
        CHECK_INT(reserved, last + n);
        hf_service_events_reserved(s_svc, n, reserved);
    }
    for (int i = 0; i < n; i++) {
        s_event_make(&ev[i], i);
        CHECK(hf_service_emit(s_svc, &ev[i].env) == 0);
    }
    CHECK(hf_store_commit(s_st) == 0);
    /* BEGIN, the counter row's upsert, the one INSERT and COMMIT */
    CHECK_INT(hf_store_statements(s_st) - statements, 4);
    CHECK_INT(s_int("SELECT n FROM outbox_inserts") - inserts, 1);
    CHECK_INT(s_int("SELECT count(*) FROM outbox") - rows, n);
    CHECK_INT(s_int("SELECT last_seq FROM outbox_seq WHERE producer = 'probe'"), last + n);
    s_check_rows(ev, n, last);
}

static void test_one(void)
{
    s_emit_n(1, false);
}

static void test_two(void)
{
    s_emit_n(2, false);
}

static void test_nine(void)
{
    s_emit_n(9, false);
}

static void test_twenty(void)
{
    s_emit_n(20, false);
}

static void test_reserved(void)
{
    s_emit_n(9, true);
    s_emit_n(1, true);
}

/* A transaction rolled back: no row, no INSERT, the counter where it was. */
static void test_rollback(void)
{
    static s_event_t ev[3];
    int64_t last = s_int("SELECT last_seq FROM outbox_seq WHERE producer = 'probe'");
    int64_t inserts = s_int("SELECT n FROM outbox_inserts");
    int64_t rows = s_int("SELECT count(*) FROM outbox");
    CHECK(hf_store_begin(s_st) == 0);
    CHECK(hf_store_run(s_st, "SELECT 1", 0, NULL) == 0);
    for (int i = 0; i < 3; i++) {
        s_event_make(&ev[i], i);
        CHECK(hf_service_emit(s_svc, &ev[i].env) == 0);
    }
    hf_store_rollback(s_st);
    CHECK_INT(s_int("SELECT n FROM outbox_inserts"), inserts);
    CHECK_INT(s_int("SELECT count(*) FROM outbox"), rows);
    CHECK_INT(s_int("SELECT last_seq FROM outbox_seq WHERE producer = 'probe'"), last);
    /* and the next transaction's events number on from there */
    s_emit_n(2, false);
}

int main(void)
{
    hf_log_init("test_outbox_rows", "warn");
    char url[256];
    hf_test_create_db("outbox_rows", url);
    setenv("HUIFANG_PROBE_STORE_URL", url, 1);
    /* nothing connects to this instance: any free port will do */
    setenv("HUIFANG_PROBE_BIND", "tcp://127.0.0.1:*", 1);
    setenv("HUIFANG_PROBE_EVENTS_BIND", "tcp://127.0.0.1:*", 1);
    setenv("HUIFANG_LOG_LEVEL", "warn", 1);
    char *argv[] = {"huifang-probe", NULL};
    if (hf_service_new(&s_svc, &s_def, NULL, 1, argv) != 0) {
        fprintf(stderr, "could not start the probe service\n");
        hf_test_drop_db(url);
        return 2;
    }
    s_st = hf_service_store(s_svc);

    TEST_CASE(test_one);
    TEST_CASE(test_two);
    TEST_CASE(test_nine);
    TEST_CASE(test_twenty);
    TEST_CASE(test_reserved);
    TEST_CASE(test_rollback);

    hf_service_destroy(&s_svc);
    hf_test_drop_db(url);
    TEST_DONE();
}
