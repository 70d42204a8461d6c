/* The audit trail in the framework (hf_service_audit), through a real service (a probe
 * service in a child process) over real ZeroMQ and Postgres: a command that succeeds leaves
 * its row (actor, branch, service, command, customers, request id, and the role and
 * on-behalf-of the lead's session code sets); a command whose handler fails after auditing
 * leaves none; a command whose audit row cannot be written fails (exit 1) and its other
 * writes are rolled back, even though its handler ignored the failure; the table refuses
 * UPDATE and DELETE; creating it again is a no-op. */
#include "hf_bus.h"
#include "hf_log.h"
#include "hf_service.h"
#include "hf_store.h"
#include "hf_test.h"
#include "hf_test_stack.h"
#include <signal.h>
#include <sys/wait.h>

/* customer_find: writes a probe row, audits customers 7 and 8, succeeds, whatever the
 * audit said (the framework must still refuse to commit without the audit row). An actor
 * "admin" acts as a manager on behalf of M009. */
static int s_find(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                  hf_arena_t *a)
{
    (void)self;
    (void)rep;
    (void)a;
    if (req->actor && strcmp(req->actor, "admin") == 0)
        hf_service_set_identity(svc, "manager", "M009");
    if (hf_store_run(hf_service_store(svc), "INSERT INTO probe_row DEFAULT VALUES", 0, NULL) != 0)
        return HF_UNAVAILABLE;
    int64_t ids[] = {7, 8};
    (void)hf_service_audit(svc, ids, 2);
    return HF_OK;
}

/* customer_show: audits customer 7, then fails. */
static int s_show(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                  hf_arena_t *a)
{
    (void)self;
    (void)req;
    int64_t id = 7;
    if (hf_service_audit(svc, &id, 1) != 0)
        return HF_UNAVAILABLE;
    return hf_fail(rep, a, HF_CONFLICT, "id", "the probe refuses after auditing");
}

static const hf_migration_t s_migrations[] = {
    {1, "probe/001_row.sql", "CREATE TABLE probe_row (id bigserial PRIMARY KEY);\n"},
    {0, NULL, NULL}};

static const hf_command_t s_commands[] = {
    {HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_FIND, s_find, false, 0},
    {HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_SHOW, s_show, false, 0},
    {0, NULL, false, 0}};

/* the probe under test, in a child */
static const hf_service_def_t s_def = {
    .name = "probe",
    .summary = "audit probe",
    .migrations = s_migrations,
    .commands = s_commands,
};

static hf_test_probe_t s_probe = {.def = &s_def};

static hf_reply_t *s_call(int command, const char *actor, const char *request_id)
{
    Huifang__V1__CustomerFind find = HUIFANG__V1__CUSTOMER_FIND__INIT;
    Huifang__V1__CustomerShow show = HUIFANG__V1__CUSTOMER_SHOW__INIT;
    Huifang__V1__Ping ping = HUIFANG__V1__PING__INIT;
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    req.branch = "BJ01";
    req.actor = (char *)actor;
    req.request_id = (char *)request_id;
    req.command_case = command;
    if (command == HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_FIND)
        req.customer_find = &find;
    else if (command == HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_SHOW)
        req.customer_show = &show;
    else
        req.ping = &ping;
    hf_client_t *c = hf_client_new(s_probe.endpoint, 5000, 2);
    hf_reply_t *rep = NULL;
    if (hf_client_call(c, &req, &rep) != 0)
        rep = NULL;
    hf_client_destroy(&c);
    return rep;
}

/* The first column of the first row of sql as text ("" when no row, "ERROR" on failure). */
static void s_query(const char *url, const char *sql, char *out, size_t len)
{
    PGconn *c = PQconnectdb(url);
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK && PQntuples(r) > 0)
        snprintf(out, len, "%s", PQgetvalue(r, 0, 0));
    else if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
        out[0] = '\0';
    else
        snprintf(out, len, "ERROR %s", PQresultErrorField(r, PG_DIAG_SQLSTATE));
    PQclear(r);
    PQfinish(c);
}

int main(void)
{
    hf_log_init("test_audit", "warn");
    char url[256], got[512];
    hf_test_create_db("audit", url);
    s_probe.url = url;
    pid_t child = hf_test_ports(71, 29, hf_test_probe_up, &s_probe) ? s_probe.child : 0;
    CHECK(child > 0);
    if (child == 0) {
        hf_test_drop_db(url);
        TEST_DONE();
    }

    /* a command that succeeds: its row, with everything it names */
    hf_reply_t *rep = s_call(HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_FIND, "admin", "req-1");
    CHECK(rep != NULL);
    if (rep) {
        CHECK_INT(rep->status, HF_OK);
        huifang__v1__reply__free_unpacked(rep, NULL);
    }
    s_query(url,
            "SELECT concat_ws('|', actor, on_behalf_of, role, branch, service, command,"
            " customers::text, request_id) FROM audit.access",
            got, sizeof got);
    CHECK_STR(got, "admin|M009|manager|BJ01|probe|customer_find|{7,8}|req-1");
    /* the identity was that request's: the next one starts from "" */
    rep = s_call(HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_FIND, "A001", "req-2");
    if (rep)
        huifang__v1__reply__free_unpacked(rep, NULL);
    s_query(url, "SELECT role || '|' || on_behalf_of FROM audit.access WHERE request_id = 'req-2'",
            got, sizeof got);
    CHECK_STR(got, "|");

    /* a handler that fails after auditing: rolled back, no row */
    rep = s_call(HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_SHOW, "A001", "req-3");
    CHECK(rep != NULL);
    if (rep) {
        CHECK_INT(rep->status, HF_CONFLICT);
        huifang__v1__reply__free_unpacked(rep, NULL);
    }
    s_query(url, "SELECT count(*) FROM audit.access WHERE command = 'customer_show'", got,
            sizeof got);
    CHECK_STR(got, "0");

    /* the audit row cannot be written: the command fails and its own write is undone */
    s_query(url, "ALTER TABLE audit.access RENAME TO access_away", got, sizeof got);
    CHECK_STR(got, "");
    rep = s_call(HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_FIND, "A001", "req-4");
    CHECK(rep != NULL);
    if (rep) {
        CHECK_INT(rep->status, HF_INTERNAL);
        CHECK(rep->error && strstr(rep->error, "audit") != NULL);
        CHECK_INT(rep->result_case, HUIFANG__V1__REPLY__RESULT__NOT_SET);
        huifang__v1__reply__free_unpacked(rep, NULL);
    }
    s_query(url, "ALTER TABLE audit.access_away RENAME TO access", got, sizeof got);
    CHECK_STR(got, "");
    s_query(url, "SELECT count(*) FROM probe.probe_row", got, sizeof got);
    CHECK_STR(got, "2");
    s_query(url, "SELECT count(*) FROM audit.access", got, sizeof got);
    CHECK_STR(got, "2");

    /* append-only, even for the superuser */
    s_query(url, "UPDATE audit.access SET actor = 'someone else'", got, sizeof got);
    CHECK_STR(got, "ERROR 42501");
    s_query(url, "DELETE FROM audit.access", got, sizeof got);
    CHECK_STR(got, "ERROR 42501");
    s_query(url, "SELECT count(*) FROM audit.access WHERE actor = 'admin'", got, sizeof got);
    CHECK_STR(got, "1");

    /* creating it again changes nothing */
    hf_store_t *st = hf_store_new(url, "probe");
    CHECK_INT(hf_store_connect(st), 0);
    CHECK_INT(hf_audit_ensure(st), 0);
    CHECK_INT(hf_audit_ensure(st), 0);
    hf_store_destroy(&st);
    s_query(url, "SELECT count(*) FROM audit.access", got, sizeof got);
    CHECK_STR(got, "2");
    s_query(url,
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit.access'::regclass"
            " AND NOT tgisinternal",
            got, sizeof got);
    CHECK_STR(got, "1");

    kill(child, SIGTERM);
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    hf_test_drop_db(url);
    TEST_DONE();
}
