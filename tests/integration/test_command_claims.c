/* What a command's handler may take over from the framework (issue 14, calllog's call log),
 * through a real service (a probe in a child process) over real ZeroMQ and Postgres:
 *  - the idempotency key claimed by the handler itself (hf_service_def_t.claims_key;
 *    hf_service_claim_key here, hf_service_key_claimed when folded into a statement of its
 *    own): a retry gets the stored reply and changes nothing; a handler that answers OK
 *    without claiming is refused (INTERNAL) and rolled back, and the key stays free;
 *  - the events' sequence numbers reserved by the handler in a statement of its own
 *    (hf_service_events_reserved): as many as it emits, fewer (the next taken) or more (the
 *    rest given back), none emitted at all — the stream stays 1..n without a gap, and the
 *    reply names the last event's number. */
#include "hf_bus.h"
#include "hf_log.h"
#include "hf_service.h"
#include "hf_store.h"
#include "hf_test.h"
#include "hf_test_stack.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

/* customer_find, the actor telling what to do: "claim R E" claims the key, reserves R numbers
 * (R 0: none), writes a probe row and emits E events; "forget" writes a row, claims nothing. */
static int s_find(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                  hf_arena_t *a)
{
    (void)self;
    hf_store_t *st = hf_service_store(svc);
    int reserve = 0, emit = 0;
    bool claim = sscanf(req->actor, "claim %d %d", &reserve, &emit) == 2;
    if (claim) {
        int seen = hf_service_claim_key(svc);
        if (seen != 0)
            return seen > 0 ? HF_CONFLICT : HF_UNAVAILABLE;
    }
    if (hf_store_run(st, "INSERT INTO probe_row DEFAULT VALUES", 0, NULL) != 0)
        return HF_UNAVAILABLE;
    if (reserve > 0) {
        char n[16];
        const char *p[] = {hf_service_name(svc), hf_pg_i64(n, reserve)};
        PGresult *res =
            hf_store_exec(st,
                          "INSERT INTO outbox_seq AS s (producer, last_seq) VALUES ($1, $2)"
                          " ON CONFLICT (producer) DO UPDATE SET last_seq = s.last_seq + $2"
                          " RETURNING last_seq",
                          2, p);
        if (res == NULL)
            return HF_UNAVAILABLE;
        hf_service_events_reserved(svc, reserve, hf_pg_int(res, 0, 0));
        PQclear(res);
    }
    for (int i = 0; i < emit; i++) {
        Huifang__V1__CustomerScreened cs = HUIFANG__V1__CUSTOMER_SCREENED__INIT;
        cs.customer_id = 42 + i;
        cs.reason = "unanswered";
        hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
        env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_SCREENED;
        env.customer_screened = &cs;
        if (hf_service_emit(svc, &env) != 0)
            return HF_UNAVAILABLE;
    }
    rep->note = hf_arena_printf(a, "done %s", req->actor);
    return HF_OK;
}

static const hf_migration_t s_migrations[] = {
    {1, "probe/001_row.sql", "CREATE TABLE probe_row (id bigserial PRIMARY KEY);\n"},
    {0, NULL, NULL}};

static const hf_command_t s_commands[] = {
    {HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_FIND, s_find, true, 0}, {0, NULL, false, 0}};

static const int s_claims_key[] = {HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_FIND, 0};

static const hf_service_def_t s_def = {
    .name = "probe",
    .summary = "command claims probe",
    .migrations = s_migrations,
    .commands = s_commands,
    .claims_key = s_claims_key,
};

static hf_test_probe_t s_probe = {.def = &s_def};

/* customer_find as actor, with key (NULL: none). */
static hf_reply_t *s_call(const char *actor, const char *key)
{
    Huifang__V1__CustomerFind find = HUIFANG__V1__CUSTOMER_FIND__INIT;
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    req.branch = "BJ01";
    req.actor = (char *)actor;
    req.idempotency_key = (char *)key;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_FIND;
    req.customer_find = &find;
    hf_client_t *c = hf_client_new(s_probe.endpoint, 5000, 2);
    hf_reply_t *rep = NULL;
    if (hf_client_call(c, &req, &rep) != 0)
        rep = NULL;
    hf_client_destroy(&c);
    return rep;
}

/* Calls and checks the status, the note ("" for none) and the last event's number written
 * (0: none named). */
static void s_expect(const char *actor, const char *key, int status, const char *note, uint64_t seq)
{
    hf_reply_t *rep = s_call(actor, key);
    CHECK(rep != NULL);
    if (rep == NULL)
        return;
    CHECK_INT(rep->status, status);
    CHECK_STR(rep->note ? rep->note : "", note);
    CHECK_INT((long long)(rep->written ? rep->written->seq : 0), (long long)seq);
    huifang__v1__reply__free_unpacked(rep, NULL);
}

/* The first column of the first row of sql as text ("" when none, "ERROR" on failure). */
static void s_query(const char *url, const char *sql, char *out, size_t len)
{
    PGconn *c = PQconnectdb(url);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
        snprintf(out, len, "%s", PQgetvalue(r, 0, 0));
    else if (PQresultStatus(r) == PGRES_TUPLES_OK)
        out[0] = '\0';
    else
        snprintf(out, len, "ERROR");
    PQclear(r);
    PQfinish(c);
}

/* "rows/events/last": probe rows, outbox rows, the counter; events numbered 1..n checked */
static void s_state(const char *url, char *out, size_t len)
{
    s_query(url,
            "SELECT (SELECT count(*) FROM probe.probe_row) || '/' || count(*) || '/'"
            " || coalesce((SELECT last_seq FROM probe.outbox_seq WHERE producer = 'probe'), 0)"
            " || CASE WHEN count(*) = coalesce(max(seq), 0) THEN '' ELSE ' gap' END"
            " FROM probe.outbox WHERE producer = 'probe'",
            out, len);
}

int main(void)
{
    hf_log_init("test_command_claims", "warn");
    char url[256], got[256];
    hf_test_create_db("claims", url);
    s_probe.url = url;
    pid_t child = hf_test_ports(73, 31, hf_test_probe_up, &s_probe) ? s_probe.child : 0;
    CHECK(child > 0);
    if (child == 0) {
        hf_test_drop_db(url);
        TEST_DONE();
    }

    /* the key claimed by the handler: once, a retry answered from the stored reply */
    s_expect("claim 1 1", "k1", HF_OK, "done claim 1 1", 1);
    s_expect("claim 1 1", "k1", HF_OK, "done claim 1 1", 1);
    s_state(url, got, sizeof got);
    CHECK_STR(got, "1/1/1");
    /* (the key is the person's: "claim 0 0"'s k1 is another) */
    s_expect("claim 0 0", "k1", HF_OK, "done claim 0 0", 0);
    s_state(url, got, sizeof got);
    CHECK_STR(got, "2/1/1");

    /* numbers reserved: more than emitted (the rest given back), fewer (the next taken), as
     * many, none emitted, none reserved; and without a key */
    s_expect("claim 3 1", "k2", HF_OK, "done claim 3 1", 2);
    s_state(url, got, sizeof got);
    CHECK_STR(got, "3/2/2");
    s_expect("claim 1 3", "k3", HF_OK, "done claim 1 3", 5);
    s_expect("claim 2 2", "k4", HF_OK, "done claim 2 2", 7);
    s_expect("claim 2 0", "k5", HF_OK, "done claim 2 0", 0);
    s_expect("claim 0 1", NULL, HF_OK, "done claim 0 1", 8);
    s_state(url, got, sizeof got);
    CHECK_STR(got, "7/8/8");
    s_expect("claim 1 3", "k3", HF_OK, "done claim 1 3", 5);
    s_state(url, got, sizeof got);
    CHECK_STR(got, "7/8/8");

    /* a handler that answers OK without claiming: refused, nothing written, the key free */
    hf_reply_t *rep = s_call("forget", "k6");
    CHECK(rep != NULL);
    if (rep) {
        CHECK_INT(rep->status, HF_INTERNAL);
        CHECK(rep->error && strstr(rep->error, "did not claim the idempotency key") != NULL);
        huifang__v1__reply__free_unpacked(rep, NULL);
    }
    s_state(url, got, sizeof got);
    CHECK_STR(got, "7/8/8");
    s_query(url, "SELECT count(*) FROM probe.idempotency WHERE key LIKE 'forget/%'", got,
            sizeof got);
    CHECK_STR(got, "0");
    /* without a key there is nothing to claim */
    s_expect("forget", NULL, HF_OK, "done forget", 0);
    s_state(url, got, sizeof got);
    CHECK_STR(got, "8/8/8");

    kill(child, SIGTERM);
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    hf_test_drop_db(url);
    TEST_DONE();
}
