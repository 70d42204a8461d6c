/* calllog: the service's definition (its command table), the intake events it copies
 * (branches, agents, products: through hf_replica; customers' addresses), and the lookups
 * every handler shares. The handlers live in
 * calllog_contact.c (calls and visits), calllog_consult.c (consultations and alerts) and
 * calllog_book.c (outcomes, the delivery book, quality checks). */
#include "calllog_internal.h"
#include "calllog_sql.h"
#include "hf_copies.h"
#include "hf_log.h"
#include "hf_replica.h"
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------
 * Intake's events: the copies validation needs
 * ------------------------------------------------------------------------------------- */

/* The customer copies of the batch being applied (hf_copies): written once before it commits
 * (s_batch), so that a national load's LeadRegistered events cost one statement a batch, not
 * one each (issue 14). NULL outside the service (a test driving the handlers): written at
 * once. No handler of the intake stream reads the copies, so none writes them first. */
static hf_copies_t *s_copies;

/* Keeps a customer's address (and region) for the delivery book. */
static int s_keep_customer(hf_service_t *svc, const hf_envelope_t *env,
                           const Huifang__V1__Customer *c)
{
    if (c == NULL || c->id <= 0)
        return 0;
    char id[24];
    const char *p[] = {hf_pg_i64(id, c->id), c->branch && *c->branch ? c->branch : S(env->branch),
                       S(c->address), S(c->region)};
    if (s_copies)
        return hf_copies_put(s_copies, c->id, p + 1);
    return hf_store_query_run(hf_service_store(svc), &CALLLOG_Q_CUSTOMER_UPSERT, 4, p);
}

/* The batch hook: the copies kept, written before the commit; forgotten after a rollback. */
static int s_batch(hf_service_t *svc, void *self, bool commit)
{
    (void)self;
    if (!commit) {
        hf_copies_forget(s_copies);
        return 0;
    }
    return hf_copies_flush(s_copies, hf_service_store(svc));
}

static int calllog_on_customer(hf_service_t *svc, void *self, const hf_envelope_t *env,
                               hf_arena_t *a)
{
    (void)self;
    (void)a;
    return s_keep_customer(svc, env, hf_replica_customer(env));
}

/* branches, agents and products: the copies every service keeps alike (hf_replica) */
const hf_event_handler_t calllog_intake_events[] = {
    {HUIFANG__V1__ENVELOPE__PAYLOAD_BRANCH_UPSERTED, hf_replica_on_branch},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_AGENT_UPSERTED, hf_replica_on_agent},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_PRODUCT_UPSERTED, hf_replica_on_product},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_REGISTERED, calllog_on_customer},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_MERGED, calllog_on_customer},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_UPDATED, calllog_on_customer},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_PURCHASE_RECORDED, calllog_on_customer},
    {0, NULL}};

int calllog_customer_address(hf_store_t *st, int64_t id, char *address, size_t len)
{
    address[0] = '\0';
    char idtxt[24];
    const char *p[] = {hf_pg_i64(idtxt, id)};
    PGresult *res = hf_store_query(st, &CALLLOG_Q_CUSTOMER_ADDRESS, 1, p);
    if (res == NULL)
        return -1;
    if (PQntuples(res))
        snprintf(address, len, "%s", hf_pg_str(res, 0, 0));
    PQclear(res);
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Shared lookups
 * ------------------------------------------------------------------------------------- */

int calllog_branch_tz(hf_store_t *st, const char *branch, char *tz, hf_reply_t *rep, hf_arena_t *a)
{
    return hf_replica_need_branch(st, branch, tz, 64, rep, a);
}

int calllog_agent_role(hf_store_t *st, const char *branch, const char *id, char *role)
{
    return hf_replica_agent_role(st, branch, id, false, role, 16);
}

bool calllog_role_supervises(const char *role)
{
    return strcmp(role, "lead") == 0 || strcmp(role, "head") == 0 || strcmp(role, "manager") == 0;
}

int calllog_need_supervisor(hf_store_t *st, const hf_request_t *req, bool ops_ok, const char *what,
                            hf_reply_t *rep, hf_arena_t *a)
{
    const char *actor = S(req->actor);
    if (*actor == '\0') {
        if (ops_ok)
            return HF_OK;
        return hf_fail(rep, a, HF_BAD_INPUT, "actor",
                       "only a supervisor (lead, head, manager) may %s: say who you are with "
                       "--as",
                       what);
    }
    char role[16];
    if (calllog_agent_role(st, req->branch, actor, role) != 0)
        return HF_UNAVAILABLE;
    if (!calllog_role_supervises(role))
        return hf_fail(rep, a, HF_CONFLICT, "actor",
                       "only a supervisor (lead, head, manager) may %s; %s is %s", what, actor,
                       *role ? role : "not an agent of this branch");
    return HF_OK;
}

int calllog_need_product(hf_store_t *st, const char *branch, const char *code, const char *field,
                         hf_reply_t *rep, hf_arena_t *a)
{
    if (!calllog_code_valid(code))
        return hf_fail(rep, a, HF_BAD_INPUT, field,
                       "%s \"%s\" must be a product code (1-24 letters, digits, '-' or '_')", field,
                       S(code));
    const char *p[] = {branch, code};
    PGresult *res = hf_store_query(st, &CALLLOG_Q_PRODUCT_EXISTS, 2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int found = PQntuples(res);
    PQclear(res);
    if (!found)
        return hf_fail(rep, a, HF_BAD_INPUT, field, "%s: unknown product %s in branch %s", field,
                       code, branch);
    return HF_OK;
}

int calllog_outcome_unknown(hf_reply_t *rep, hf_arena_t *a, const char *code)
{
    return hf_fail(rep, a, HF_BAD_INPUT, "outcome",
                   "outcome \"%s\" is not in the branch's outcome list (see huifang outcome "
                   "list)",
                   code);
}

void calllog_outcome_flags_read(const PGresult *res, int col, Huifang__V1__OutcomeFlags *f)
{
    f->human_answered = hf_pg_bool(res, 0, col);
    f->contacted = hf_pg_bool(res, 0, col + 1);
    f->sale = hf_pg_bool(res, 0, col + 2);
    f->do_not_call = hf_pg_bool(res, 0, col + 3);
    f->unworkable = hf_pg_bool(res, 0, col + 4);
    f->callback = hf_pg_bool(res, 0, col + 5);
    f->completed = hf_pg_bool(res, 0, col + 6);
}

int calllog_outcome_flags(hf_store_t *st, const char *branch, const char *code,
                          Huifang__V1__OutcomeFlags *f, hf_reply_t *rep, hf_arena_t *a)
{
    const char *p[] = {branch, code};
    PGresult *res = hf_store_query(st, &CALLLOG_Q_OUTCOME_FLAGS, 2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return calllog_outcome_unknown(rep, a, code);
    }
    calllog_outcome_flags_read(res, 0, f);
    PQclear(res);
    return HF_OK;
}

int calllog_check_text(const char *value, const char *field, size_t max, hf_reply_t *rep,
                       hf_arena_t *a)
{
    if (!calllog_text_ok(value, max))
        return hf_fail(rep, a, HF_BAD_INPUT, field,
                       "%s is longer than %zu bytes or holds control characters", field, max);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * The service
 * ------------------------------------------------------------------------------------- */

static const hf_command_t s_commands[] = {
    {HUIFANG__V1__REQUEST__COMMAND_CALL_LOG, calllog_call_log, true, HF_ROLES_WORK},
    {HUIFANG__V1__REQUEST__COMMAND_VISIT_LOG, calllog_visit_log, true, HF_ROLES_WORK},
    {HUIFANG__V1__REQUEST__COMMAND_CONSULT_LOG, calllog_consult_log, true, HF_ROLES_WORK},
    {HUIFANG__V1__REQUEST__COMMAND_CONSULT_LIST, calllog_consult_list, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_ALERT_LIST, calllog_alert_list, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_ALERT_ACK, calllog_alert_ack, true, HF_ROLES_WORK},
    {HUIFANG__V1__REQUEST__COMMAND_CONTACT_LIST, calllog_contact_list, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_OUTCOME_LIST, calllog_outcome_list, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_OUTCOME_ADD, calllog_outcome_add, true, HF_ROLES_SUPERVISORS},
    {HUIFANG__V1__REQUEST__COMMAND_DELIVERY_LIST, calllog_delivery_list, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_DELIVERY_DONE, calllog_delivery_done, true, HF_ROLES_WORK},
    /* drawing the day's sample writes, but drawing it again changes nothing */
    {HUIFANG__V1__REQUEST__COMMAND_REVIEW_LIST, calllog_review_list, false,
     HF_ROLES_SUPERVISORS | HF_ROLE_HQ},
    {HUIFANG__V1__REQUEST__COMMAND_REVIEW_SCORE, calllog_review_score, true, HF_ROLES_SUPERVISORS},
    {HUIFANG__V1__REQUEST__COMMAND_REVIEW_RATE, calllog_review_rate, true, HF_ROLES_SUPERVISORS},
    /* campaigns and segments */

    /* occasions, contact caps, letters and WeChat */
    {HUIFANG__V1__REQUEST__COMMAND_LETTERS_SENT, calllog_letters_sent, true, HF_ROLES_WORK},

    /* points and gifts */

    {0, NULL, false, 0}};

/* call_log and visit_log claim their idempotency key in their first statement (the call
 * basics, calllog_contact.c): a round trip less a call */
static const int s_claims_key[] = {HUIFANG__V1__REQUEST__COMMAND_CALL_LOG,
                                   HUIFANG__V1__REQUEST__COMMAND_VISIT_LOG, 0};

/* call_log and visit_log ask the scheduler for the task before they run, the loop serving
 * other requests until it answers (hf_command_ask_t) */
static const hf_command_ask_t s_asks[] = {
    {HUIFANG__V1__REQUEST__COMMAND_CALL_LOG, "scheduler", calllog_ask_task},
    {HUIFANG__V1__REQUEST__COMMAND_VISIT_LOG, "scheduler", calllog_ask_task},
    {0, NULL, NULL}};

static const hf_subscription_t s_subscriptions[] = {{"intake", calllog_intake_events},
                                                    {NULL, NULL}};

static int s_init(hf_service_t *svc, void *self)
{
    (void)self;
    s_copies = hf_copies_new(&CALLLOG_Q_CUSTOMERS_UPSERT, 4);
    if (s_copies == NULL)
        return -1;
    hf_service_on_batch(svc, s_batch);
    return 0;
}

static void s_release(void *self)
{
    (void)self;
    hf_copies_destroy(&s_copies);
}

const hf_service_def_t calllog_def = {
    .name = "calllog",
    .summary = "every contact recorded: follow-up calls, consultations, visits, deliveries",
    .config = NULL,
    .migrations = calllog_migrations,
    .commands = s_commands,
    .claims_key = s_claims_key,
    .asks = s_asks,
    .init = s_init,
    .release = s_release,
    .subscriptions = s_subscriptions,
};
