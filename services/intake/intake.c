/* intake: command handlers for the organisation and purchases, and the command table. Each
 * handler runs in one transaction opened by hf_service; events go to the outbox in the same
 * transaction. */
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_phone.h"
#include "hf_replica.h"
#include "hf_time.h"
#include "intake_internal.h"
#include "intake_sql.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")

/* ---- validation ---- */

/* A code (branch, agent id, product): 1..24 of letters, digits, '-', '_'. */
static bool s_code_ok(const char *s)
{
    return hf_code_valid(s, strlen(S(s)));
}

static int s_require_code(const char *value, const char *field, hf_reply_t *rep, hf_arena_t *a)
{
    if (value == NULL || *value == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, field, "%s is required", field);
    if (!s_code_ok(value))
        return hf_fail(rep, a, HF_BAD_INPUT, field,
                       "%s \"%s\" must be 1-24 letters, digits, '-' or '_'", field, value);
    return HF_OK;
}

static int s_require_text(const char *value, const char *field, size_t max, hf_reply_t *rep,
                          hf_arena_t *a)
{
    const char *v = S(value);
    while (*v == ' ')
        v++;
    if (*v == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, field, "%s is required", field);
    if (strlen(value) > max)
        return hf_fail(rep, a, HF_BAD_INPUT, field, "%s is longer than %zu bytes", field, max);
    return HF_OK;
}

/* Looks up the request's branch; fills tz (64 bytes). HF_OK, or BAD_INPUT for an unknown
 * branch, or UNAVAILABLE. */
static int s_branch_tz(hf_service_t *svc, const hf_request_t *req, char *tz, hf_reply_t *rep,
                       hf_arena_t *a)
{
    return hf_replica_need_branch(hf_service_store(svc), req->branch, tz, 64, rep, a);
}

/* Parses an optional local date; *given tells whether there was one (every day number is a
 * date, 1969-12-31 is -1: no sentinel). HF_OK or BAD_INPUT. */
static int s_optional_date(const char *value, const char *field, int32_t *day, bool *given,
                           hf_reply_t *rep, hf_arena_t *a)
{
    *day = 0;
    *given = value != NULL && *value != '\0';
    if (*given && hf_date_parse(value, day) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, field, "%s \"%s\" is not a date (YYYY-MM-DD)", field,
                       value);
    return HF_OK;
}

int intake_plan_exists(hf_service_t *svc, const char *branch, const char *plan, hf_reply_t *rep,
                       hf_arena_t *a)
{
    Huifang__V1__PlanShow show = HUIFANG__V1__PLAN_SHOW__INIT;
    show.code = (char *)plan;
    hf_request_t q = HUIFANG__V1__REQUEST__INIT;
    q.branch = (char *)branch;
    q.command_case = HUIFANG__V1__REQUEST__COMMAND_PLAN_SHOW;
    q.plan_show = &show;
    hf_service_forward(svc, &q);
    hf_client_t *sched = hf_service_peer(svc, "scheduler");
    hf_reply_t *reply = NULL;
    if (sched == NULL || hf_client_call(sched, &q, &reply) != 0)
        return hf_fail(rep, a, HF_UNAVAILABLE, "plan",
                       "could not ask the scheduler whether plan template %s exists; nothing"
                       " recorded, safe to retry",
                       plan);
    int status = (int)reply->status;
    huifang__v1__reply__free_unpacked(reply, NULL);
    if (status == HF_NOT_FOUND)
        return hf_fail(rep, a, HF_BAD_INPUT, "plan",
                       "no plan template %s in branch %s (huifang plan list shows them)", plan,
                       branch);
    if (status != HF_OK)
        return hf_fail(rep, a, HF_UNAVAILABLE, "plan",
                       "the scheduler could not say whether plan template %s exists (status %d);"
                       " nothing recorded, safe to retry",
                       plan, status);
    return HF_OK;
}

/* ---- organisation ---- */

static int intake_branch_add(hf_service_t *svc, void *self, const hf_request_t *req,
                             hf_reply_t *rep, hf_arena_t *a)
{
    (void)self;
    if (req->branch_add->branch == NULL)
        return hf_fail(rep, a, HF_BAD_INPUT, "branch", "branch is required");
    /* a shallow copy in the arena: defaults may be filled in without touching the request,
     * whose strings protobuf-c frees */
    Huifang__V1__Branch *b = hf_new(a, Huifang__V1__Branch);
    *b = *req->branch_add->branch;
    int rc;
    if ((rc = s_require_code(b->code, "code", rep, a)) != HF_OK ||
        (rc = s_require_text(b->name, "name", 100, rep, a)) != HF_OK)
        return rc;
    if (b->tz == NULL || *b->tz == '\0')
        b->tz = HF_DEFAULT_TZ;
    if (!hf_tz_valid(b->tz))
        return hf_fail(rep, a, HF_BAD_INPUT, "tz", "tz \"%s\" is not a zone in the tz database",
                       b->tz);
    hf_window_t w[8];
    if (hf_windows_parse(S(b->windows), w, 8) < 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "windows",
                       "windows \"%s\" must look like 11:30-14:00,18:00-20:00 (start before end, "
                       "no overlaps)",
                       b->windows);
    /* the conversion plans of its leads: channels known, each plan other than the seeded
     * defaults asked of the scheduler once (a new branch has the default templates only), so
     * a branch with the defaults needs no scheduler to be added */
    intake_error_t perr;
    if (intake_lead_plans_check(b->lead_plans, &perr) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, perr.field, "%s", perr.reason);
    static const char *const channels[] = {"counter", "consult",  "clinic", "hospital",
                                           "mail",    "referral", "other",  NULL};
    char asked[8][32];
    int nasked = 0;
    for (int i = 0; channels[i]; i++) {
        char plan[32];
        intake_lead_plan_of(b->lead_plans, channels[i], plan);
        char fallback[32];
        bool known =
            plan[0] == '\0' || strcmp(plan, intake_lead_plan_of("", channels[i], fallback)) == 0;
        for (int k = 0; k < nasked && !known; k++)
            known = strcmp(asked[k], plan) == 0;
        if (known)
            continue;
        int prc = intake_plan_exists(svc, b->code, plan, rep, a);
        if (prc != HF_OK) {
            rep->field = "lead_plans";
            return prc;
        }
        snprintf(asked[nasked++], sizeof asked[0], "%s", plan);
    }
    if (b->lead_plans == NULL)
        b->lead_plans = "";
    char at[24];
    const char *p[] = {
        b->code, b->name, b->tz, S(b->windows), hf_pg_i64(at, hf_clock_now_ms()), b->lead_plans};
    PGresult *res = hf_store_query(hf_service_store(svc), &INTAKE_Q_BRANCH_ADD, 6, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int inserted = PQntuples(res);
    PQclear(res);
    if (!inserted)
        return hf_fail(rep, a, HF_CONFLICT, "code", "branch %s already exists", b->code);
    Huifang__V1__BranchUpserted ev = HUIFANG__V1__BRANCH_UPSERTED__INIT;
    ev.branch = b;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = b->code;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_BRANCH_UPSERTED;
    env.branch_upserted = &ev;
    if (hf_service_emit(svc, &env) != 0)
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_BRANCH;
    rep->branch = b;
    return HF_OK;
}

/* An agent's role is one of the agent roles of hf_session.h (hq and admin are accounts only). */
static bool s_role_ok(const char *role)
{
    return (hf_role_bit(role) & HF_ROLES_AGENT) != 0;
}

/* Only an admin makes someone a head or a manager: a manager asking is refused (FORBIDDEN,
 * rep filled); HF_OK otherwise. */
static int s_may_give_role(hf_service_t *svc, const char *role, hf_reply_t *rep, hf_arena_t *a)
{
    if ((hf_role_bit(role) & (HF_ROLE_HEAD | HF_ROLE_MANAGER)) &&
        strcmp(hf_service_role(svc), "manager") == 0)
        return hf_fail(rep, a, HF_FORBIDDEN, "role",
                       "not allowed: only an admin adds a %s or makes an agent one (a manager "
                       "adds the agents of their branch)",
                       role);
    return HF_OK;
}

static int intake_agent_add(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                            hf_arena_t *a)
{
    (void)self;
    char tz[64];
    int rc;
    if (req->agent_add->agent == NULL)
        return hf_fail(rep, a, HF_BAD_INPUT, "agent", "agent is required");
    Huifang__V1__Agent *ag = hf_new(a, Huifang__V1__Agent);
    *ag = *req->agent_add->agent;
    if ((rc = s_branch_tz(svc, req, tz, rep, a)) != HF_OK ||
        (rc = s_require_code(ag->id, "id", rep, a)) != HF_OK ||
        (rc = s_require_text(ag->name, "name", 100, rep, a)) != HF_OK)
        return rc;
    if (!s_role_ok(ag->role))
        return hf_fail(rep, a, HF_BAD_INPUT, "role",
                       "role \"%s\" is not one of phone, consult, visit, doctor, deliver, lead, "
                       "head, manager",
                       S(ag->role));
    if (ag->daily_calls < 0 || ag->daily_calls > 500)
        return hf_fail(rep, a, HF_BAD_INPUT, "daily_calls", "daily_calls must be 0..500");
    if ((rc = s_may_give_role(svc, ag->role, rep, a)) != HF_OK)
        return rc;
    if (ag->daily_visits < 0 || ag->daily_visits > 50)
        return hf_fail(rep, a, HF_BAD_INPUT, "daily_visits", "daily_visits must be 0..50");
    /* regions as a Postgres array literal; region names are codes, so no quoting games */
    char regions[512] = "{";
    for (size_t i = 0; i < ag->n_regions; i++) {
        if ((rc = s_require_code(ag->regions[i], "regions", rep, a)) != HF_OK)
            return rc;
        strncat(regions, ag->regions[i], sizeof regions - strlen(regions) - 3);
        if (i + 1 < ag->n_regions)
            strcat(regions, ",");
    }
    strcat(regions, "}");
    ag->branch = req->branch;
    ag->active = true;
    char calls[24], visits[24];
    const char *p[] = {req->branch,
                       ag->id,
                       ag->name,
                       ag->role,
                       regions,
                       hf_pg_i64(calls, ag->daily_calls),
                       hf_pg_i64(visits, ag->daily_visits)};
    PGresult *res = hf_store_query(hf_service_store(svc), &INTAKE_Q_AGENT_ADD, 7, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int inserted = PQntuples(res);
    PQclear(res);
    if (!inserted)
        return hf_fail(rep, a, HF_CONFLICT, "id", "agent %s already exists in branch %s", ag->id,
                       req->branch);
    Huifang__V1__AgentUpserted ev = HUIFANG__V1__AGENT_UPSERTED__INIT;
    ev.agent = ag;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_AGENT_UPSERTED;
    env.agent_upserted = &ev;
    if (hf_service_emit(svc, &env) != 0)
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_AGENT;
    rep->agent = ag;
    return HF_OK;
}

static int intake_product_add(hf_service_t *svc, void *self, const hf_request_t *req,
                              hf_reply_t *rep, hf_arena_t *a)
{
    (void)self;
    char tz[64];
    int rc;
    if (req->product_add->product == NULL)
        return hf_fail(rep, a, HF_BAD_INPUT, "product", "product is required");
    Huifang__V1__Product *pr = hf_new(a, Huifang__V1__Product);
    *pr = *req->product_add->product;
    if ((rc = s_branch_tz(svc, req, tz, rep, a)) != HF_OK ||
        (rc = s_require_code(pr->code, "code", rep, a)) != HF_OK ||
        (rc = s_require_text(pr->name, "name", 100, rep, a)) != HF_OK)
        return rc;
    if (pr->days_per_unit <= 0 || pr->days_per_unit > 3650)
        return hf_fail(rep, a, HF_BAD_INPUT, "days_per_unit", "days_per_unit must be 1..3650");
    if (pr->price_fen < 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "price", "price must not be negative");
    /* the default template is seeded with the scheduler; one named is asked for */
    bool named = pr->plan != NULL && *pr->plan != '\0';
    if (!named)
        pr->plan = "monthly-course";
    if ((rc = s_require_code(pr->plan, "plan", rep, a)) != HF_OK ||
        (named && (rc = intake_plan_exists(svc, req->branch, pr->plan, rep, a)) != HF_OK))
        return rc;
    pr->branch = req->branch;
    char days[24], price[24];
    const char *p[] = {req->branch,
                       pr->code,
                       pr->name,
                       hf_pg_i64(days, pr->days_per_unit),
                       hf_pg_i64(price, pr->price_fen),
                       pr->plan};
    PGresult *res = hf_store_query(hf_service_store(svc), &INTAKE_Q_PRODUCT_ADD, 6, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int inserted = PQntuples(res);
    PQclear(res);
    if (!inserted)
        return hf_fail(rep, a, HF_CONFLICT, "code", "product %s already exists in branch %s",
                       pr->code, req->branch);
    Huifang__V1__ProductUpserted ev = HUIFANG__V1__PRODUCT_UPSERTED__INIT;
    ev.product = pr;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_PRODUCT_UPSERTED;
    env.product_upserted = &ev;
    if (hf_service_emit(svc, &env) != 0)
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_PRODUCT;
    rep->product = pr;
    return HF_OK;
}

/* ---- lists and edits of the organisation ---- */

static Huifang__V1__Agent *s_agent_from_row(const PGresult *res, int i, hf_arena_t *a)
{
    Huifang__V1__Agent *ag = hf_new(a, Huifang__V1__Agent);
    huifang__v1__agent__init(ag);
    ag->branch = hf_arena_strdup(a, hf_pg_str(res, i, 0));
    ag->id = hf_arena_strdup(a, hf_pg_str(res, i, 1));
    ag->name = hf_arena_strdup(a, hf_pg_str(res, i, 2));
    ag->role = hf_arena_strdup(a, hf_pg_str(res, i, 3));
    /* regions are codes (no commas), so the joined text splits back exactly */
    char *joined = hf_arena_strdup(a, hf_pg_str(res, i, 4));
    size_t n = *joined ? 1 : 0;
    for (const char *c = joined; *c; c++)
        n += *c == ',';
    ag->regions = hf_new_array(a, char *, n + 1);
    for (char *tok = *joined ? joined : NULL; tok;) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = '\0';
        ag->regions[ag->n_regions++] = tok;
        tok = comma ? comma + 1 : NULL;
    }
    ag->daily_calls = (int32_t)hf_pg_int(res, i, 5);
    ag->daily_visits = (int32_t)hf_pg_int(res, i, 6);
    ag->active = hf_pg_bool(res, i, 7);
    return ag;
}

static Huifang__V1__Product *s_product_from_row(const PGresult *res, int i, hf_arena_t *a)
{
    Huifang__V1__Product *pr = hf_new(a, Huifang__V1__Product);
    huifang__v1__product__init(pr);
    pr->branch = hf_arena_strdup(a, hf_pg_str(res, i, 0));
    pr->code = hf_arena_strdup(a, hf_pg_str(res, i, 1));
    pr->name = hf_arena_strdup(a, hf_pg_str(res, i, 2));
    pr->days_per_unit = (int32_t)hf_pg_int(res, i, 3);
    pr->price_fen = hf_pg_int(res, i, 4);
    pr->plan = hf_arena_strdup(a, hf_pg_str(res, i, 5));
    return pr;
}

/* branch list | agent list [--role R] [--active yes|no] | product list */
static int intake_org_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                           hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__OrgList *q = req->org_list;
    const char *kind = S(q->kind);
    Huifang__V1__OrgListResult *out = hf_new(a, Huifang__V1__OrgListResult);
    huifang__v1__org_list_result__init(out);
    hf_store_t *st = hf_service_store(svc);
    char tz[64];
    int rc;
    PGresult *res;
    if (strcmp(kind, "branches") == 0) {
        res = hf_store_query(st, &INTAKE_Q_ORG_LIST_BRANCH, 0, NULL);
        if (res == NULL)
            return intake_store_fail(svc, rep, a);
        int rows = PQntuples(res);
        out->branches = hf_new_array(a, Huifang__V1__Branch *, rows + 1);
        for (int i = 0; i < rows; i++) {
            Huifang__V1__Branch *b = hf_new(a, Huifang__V1__Branch);
            huifang__v1__branch__init(b);
            b->code = hf_arena_strdup(a, hf_pg_str(res, i, 0));
            b->name = hf_arena_strdup(a, hf_pg_str(res, i, 1));
            b->tz = hf_arena_strdup(a, hf_pg_str(res, i, 2));
            b->windows = hf_arena_strdup(a, hf_pg_str(res, i, 3));
            out->branches[out->n_branches++] = b;
        }
    } else if (strcmp(kind, "agents") == 0) {
        if ((rc = s_branch_tz(svc, req, tz, rep, a)) != HF_OK)
            return rc;
        if (S(q->role)[0] && !s_role_ok(q->role))
            return hf_fail(rep, a, HF_BAD_INPUT, "role",
                           "role \"%s\" is not one of phone, consult, visit, doctor, deliver, "
                           "lead, head, manager",
                           q->role);
        const char *active = S(q->active);
        if (*active && strcmp(active, "yes") != 0 && strcmp(active, "no") != 0)
            return hf_fail(rep, a, HF_BAD_INPUT, "active", "active \"%s\" must be yes or no",
                           active);
        const char *p[] = {req->branch, S(q->role), *active ? active : NULL};
        res = hf_store_query(st, &INTAKE_Q_ORG_LIST_AGENT, 3, p);
        if (res == NULL)
            return intake_store_fail(svc, rep, a);
        int rows = PQntuples(res);
        out->agents = hf_new_array(a, Huifang__V1__Agent *, rows + 1);
        for (int i = 0; i < rows; i++)
            out->agents[out->n_agents++] = s_agent_from_row(res, i, a);
    } else if (strcmp(kind, "products") == 0) {
        if ((rc = s_branch_tz(svc, req, tz, rep, a)) != HF_OK)
            return rc;
        const char *p[] = {req->branch};
        res = hf_store_query(st, &INTAKE_Q_ORG_LIST_PRODUCT, 1, p);
        if (res == NULL)
            return intake_store_fail(svc, rep, a);
        int rows = PQntuples(res);
        out->products = hf_new_array(a, Huifang__V1__Product *, rows + 1);
        for (int i = 0; i < rows; i++)
            out->products[out->n_products++] = s_product_from_row(res, i, a);
    } else {
        return hf_fail(rep, a, HF_BAD_INPUT, "kind",
                       "kind \"%s\" must be branches, agents or products", kind);
    }
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_ORG_LIST;
    rep->org_list = out;
    return HF_OK;
}

/* agent edit ID [...] | agent deactivate ID: the agent locked, the fields given checked as
 * agent add checks them, the row rewritten and the whole agent announced (AgentUpserted), so
 * every copy follows (the scheduler hands a deactivated agent no new task). An edit that
 * changes nothing emits nothing and says so. */
static int intake_agent_edit(hf_service_t *svc, void *self, const hf_request_t *req,
                             hf_reply_t *rep, hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__AgentEdit *e = req->agent_edit;
    char tz[64];
    int rc;
    if ((rc = s_branch_tz(svc, req, tz, rep, a)) != HF_OK ||
        (rc = s_require_code(e->id, "id", rep, a)) != HF_OK)
        return rc;
    if (S(e->name)[0] && (rc = s_require_text(e->name, "name", 100, rep, a)) != HF_OK)
        return rc;
    if (S(e->role)[0] && !s_role_ok(e->role))
        return hf_fail(rep, a, HF_BAD_INPUT, "role",
                       "role \"%s\" is not one of phone, consult, visit, doctor, deliver, lead, "
                       "head, manager",
                       e->role);
    if (e->set_daily_calls && (e->daily_calls < 0 || e->daily_calls > 500))
        return hf_fail(rep, a, HF_BAD_INPUT, "daily_calls", "daily_calls must be 0..500");
    if (e->set_daily_visits && (e->daily_visits < 0 || e->daily_visits > 50))
        return hf_fail(rep, a, HF_BAD_INPUT, "daily_visits", "daily_visits must be 0..50");
    if (e->deactivate && e->activate)
        return hf_fail(rep, a, HF_BAD_INPUT, "active",
                       "an agent cannot be deactivated and"
                       " activated at once");
    for (size_t i = 0; e->set_regions && i < e->n_regions; i++)
        if ((rc = s_require_code(e->regions[i], "regions", rep, a)) != HF_OK)
            return rc;
    hf_store_t *st = hf_service_store(svc);
    const char *pk[] = {req->branch, e->id};
    PGresult *res = hf_store_query(st, &INTAKE_Q_AGENT_EDIT_AGENT, 2, pk);
    if (res == NULL)
        return intake_store_fail(svc, rep, a);
    if (PQntuples(res) != 1) {
        PQclear(res);
        return hf_fail(rep, a, HF_NOT_FOUND, "id", "no agent %s in branch %s", e->id, req->branch);
    }
    Huifang__V1__Agent *ag = s_agent_from_row(res, 0, a);
    PQclear(res);
    bool changed = false;
    if (S(e->name)[0] && strcmp(e->name, ag->name) != 0)
        ag->name = e->name, changed = true;
    if (S(e->role)[0] && strcmp(e->role, ag->role) != 0) {
        if ((rc = s_may_give_role(svc, e->role, rep, a)) != HF_OK)
            return rc;
        ag->role = e->role, changed = true;
    }
    if (e->set_daily_calls && e->daily_calls != ag->daily_calls)
        ag->daily_calls = e->daily_calls, changed = true;
    if (e->set_daily_visits && e->daily_visits != ag->daily_visits)
        ag->daily_visits = e->daily_visits, changed = true;
    if ((e->deactivate && ag->active) || (e->activate && !ag->active))
        ag->active = e->activate, changed = true;
    if (e->set_regions) {
        bool same = e->n_regions == ag->n_regions;
        for (size_t i = 0; same && i < e->n_regions; i++)
            same = strcmp(e->regions[i], ag->regions[i]) == 0;
        if (!same) {
            ag->regions = e->regions;
            ag->n_regions = e->n_regions;
            changed = true;
        }
    }
    rep->result_case = HUIFANG__V1__REPLY__RESULT_AGENT;
    rep->agent = ag;
    if (!changed) {
        rep->note = hf_arena_printf(a, "agent %s: nothing to change", ag->id);
        return HF_OK;
    }
    /* regions as a Postgres array literal, as agent add writes it: codes need no quoting */
    char *regions = "{";
    for (size_t i = 0; i < ag->n_regions; i++)
        regions = hf_arena_printf(a, "%s%s%s", regions, i ? "," : "", ag->regions[i]);
    regions = hf_arena_printf(a, "%s}", regions);
    char calls[24], visits[24];
    const char *p[] = {req->branch,
                       ag->id,
                       ag->name,
                       ag->role,
                       regions,
                       hf_pg_i64(calls, ag->daily_calls),
                       hf_pg_i64(visits, ag->daily_visits),
                       ag->active ? "true" : "false"};
    if (hf_store_query_run(st, &INTAKE_Q_AGENT_EDIT_AGENT_UPDATE, 8, p) != 0)
        return intake_store_fail(svc, rep, a);
    Huifang__V1__AgentUpserted ev = HUIFANG__V1__AGENT_UPSERTED__INIT;
    ev.agent = ag;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = req->branch;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_AGENT_UPSERTED;
    env.agent_upserted = &ev;
    if (hf_service_emit(svc, &env) != 0)
        return intake_store_fail(svc, rep, a);
    /* a deactivated agent, or one whose role changed, signs in again: their sessions end */
    bool role_changed = S(e->role)[0] != '\0';
    if ((!ag->active || role_changed) && intake_identity_revoke(svc, ag->id) != 0)
        return intake_store_fail(svc, rep, a);
    hf_info("agent_edited", "branch=%s agent=%s role=%s active=%d", req->branch, ag->id, ag->role,
            ag->active);
    return HF_OK;
}

/* product edit CODE [...]: as agent edit; a plan named is asked of the scheduler. */
static int intake_product_edit(hf_service_t *svc, void *self, const hf_request_t *req,
                               hf_reply_t *rep, hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__ProductEdit *e = req->product_edit;
    char tz[64];
    int rc;
    if ((rc = s_branch_tz(svc, req, tz, rep, a)) != HF_OK ||
        (rc = s_require_code(e->code, "code", rep, a)) != HF_OK)
        return rc;
    if (S(e->name)[0] && (rc = s_require_text(e->name, "name", 100, rep, a)) != HF_OK)
        return rc;
    if (e->days_per_unit != 0 && (e->days_per_unit < 0 || e->days_per_unit > 3650))
        return hf_fail(rep, a, HF_BAD_INPUT, "days_per_unit", "days_per_unit must be 1..3650");
    if (e->set_price && e->price_fen < 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "price", "price must not be negative");
    if (S(e->plan)[0] && (rc = s_require_code(e->plan, "plan", rep, a)) != HF_OK)
        return rc;
    hf_store_t *st = hf_service_store(svc);
    const char *pk[] = {req->branch, e->code};
    PGresult *res = hf_store_query(st, &INTAKE_Q_PRODUCT_EDIT_PRODUCT, 2, pk);
    if (res == NULL)
        return intake_store_fail(svc, rep, a);
    if (PQntuples(res) != 1) {
        PQclear(res);
        return hf_fail(rep, a, HF_NOT_FOUND, "code", "no product %s in branch %s", e->code,
                       req->branch);
    }
    Huifang__V1__Product *pr = s_product_from_row(res, 0, a);
    PQclear(res);
    bool changed = false;
    if (S(e->name)[0] && strcmp(e->name, pr->name) != 0)
        pr->name = e->name, changed = true;
    if (e->days_per_unit != 0 && e->days_per_unit != pr->days_per_unit)
        pr->days_per_unit = e->days_per_unit, changed = true;
    if (e->set_price && e->price_fen != pr->price_fen)
        pr->price_fen = e->price_fen, changed = true;
    if (S(e->plan)[0] && strcmp(e->plan, pr->plan) != 0) {
        /* asked only when it changes: the scheduler is another service's round trip */
        if ((rc = intake_plan_exists(svc, req->branch, e->plan, rep, a)) != HF_OK)
            return rc;
        pr->plan = e->plan, changed = true;
    }
    rep->result_case = HUIFANG__V1__REPLY__RESULT_PRODUCT;
    rep->product = pr;
    if (!changed) {
        rep->note = hf_arena_printf(a, "product %s: nothing to change", pr->code);
        return HF_OK;
    }
    char days[24], price[24];
    const char *p[] = {req->branch,
                       pr->code,
                       pr->name,
                       hf_pg_i64(days, pr->days_per_unit),
                       hf_pg_i64(price, pr->price_fen),
                       pr->plan};
    if (hf_store_query_run(st, &INTAKE_Q_PRODUCT_EDIT_PRODUCT_UPDATE, 6, p) != 0)
        return intake_store_fail(svc, rep, a);
    Huifang__V1__ProductUpserted ev = HUIFANG__V1__PRODUCT_UPSERTED__INIT;
    ev.product = pr;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = req->branch;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_PRODUCT_UPSERTED;
    env.product_upserted = &ev;
    if (hf_service_emit(svc, &env) != 0)
        return intake_store_fail(svc, rep, a);
    hf_info("product_edited", "branch=%s product=%s plan=%s", req->branch, pr->code, pr->plan);
    return HF_OK;
}

/* ---- purchases ---- */

static Huifang__V1__Purchase *s_purchase_from_row(const PGresult *res, int i, hf_arena_t *a)
{
    Huifang__V1__Purchase *p = hf_new(a, Huifang__V1__Purchase);
    huifang__v1__purchase__init(p);
    p->id = hf_pg_int(res, i, 0);
    p->customer_id = hf_pg_int(res, i, 1);
    p->branch = hf_arena_strdup(a, hf_pg_str(res, i, 2));
    p->product = hf_arena_strdup(a, hf_pg_str(res, i, 3));
    p->quantity = (int32_t)hf_pg_int(res, i, 4);
    p->price_fen = hf_pg_int(res, i, 5);
    p->date = hf_arena_strdup(a, hf_pg_str(res, i, 6));
    p->supply_end = hf_arena_strdup(a, hf_pg_str(res, i, 7));
    p->nth = (int32_t)hf_pg_int(res, i, 8);
    p->plan = hf_arena_strdup(a, hf_pg_str(res, i, 9));
    p->days_of_supply = (int32_t)hf_pg_int(res, i, 10);
    p->contact_id = hf_pg_int(res, i, 11);
    p->consultation_id = hf_pg_int(res, i, 12);
    p->agent = hf_arena_strdup(a, hf_pg_str(res, i, 13));
    return p;
}

/* The purchases of a customer, in order (for customer_show). */
int intake_purchases_load(hf_service_t *svc, int64_t customer_id, Huifang__V1__Purchase ***out,
                          size_t *n, hf_arena_t *a)
{
    char cid[24];
    const char *p[] = {hf_pg_i64(cid, customer_id)};
    PGresult *res = hf_store_query(hf_service_store(svc), &INTAKE_Q_PURCHASES_LOAD, 1, p);
    if (res == NULL)
        return -1;
    int rows = PQntuples(res);
    *out = hf_new_array(a, Huifang__V1__Purchase *, rows + 1);
    *n = 0;
    for (int i = 0; i < rows; i++)
        (*out)[(*n)++] = s_purchase_from_row(res, i, a);
    PQclear(res);
    return 0;
}

int intake_card_set(hf_service_t *svc, const intake_branch_t *b, Huifang__V1__Customer *c,
                    const char *to, const char *reason, bool quiet)
{
    (void)b;
    if (strcmp(c->card_type, to) == 0)
        return 1; /* a void card keeps the reason it was voided for */
    char id[24];
    const char *p[] = {hf_pg_i64(id, c->id), to, strcmp(to, "void") == 0 ? S(reason) : ""};
    if (hf_store_query_run(hf_service_store(svc), &INTAKE_Q_CARD_SET, 3, p) != 0)
        return -1;
    const char *from = c->card_type;
    c->card_type = (char *)to;
    c->void_reason = (char *)p[2];
    return intake_card_moved(svc, c, from, to, reason, quiet);
}

int intake_card_moved(hf_service_t *svc, Huifang__V1__Customer *c, const char *from, const char *to,
                      const char *reason, bool quiet)
{
    if (intake_emit_card(svc, c->branch, c->id, from, to, reason) != 0)
        return -1;
    if (!quiet && intake_emit_updated(svc, c, "card_type") != 0)
        return -1;
    hf_info("card", "customer=%lld from=%s to=%s reason=%s", (long long)c->id, from, to, S(reason));
    return 0;
}

int intake_opt_out(hf_service_t *svc, Huifang__V1__Customer *c, const char *reason, bool quiet)
{
    if (c->opted_out)
        return 1;
    char id[24];
    const char *p[] = {hf_pg_i64(id, c->id), S(reason)};
    if (hf_store_query_run(hf_service_store(svc), &INTAKE_Q_OPT_OUT, 2, p) != 0)
        return -1;
    c->opted_out = true;
    c->opt_out_reason = (char *)S(reason);
    return intake_opted_out(svc, c, quiet);
}

int intake_opted_out(hf_service_t *svc, Huifang__V1__Customer *c, bool quiet)
{
    Huifang__V1__OptedOut ev = HUIFANG__V1__OPTED_OUT__INIT;
    ev.customer_id = c->id;
    ev.reason = c->opt_out_reason;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = c->branch;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_OPTED_OUT;
    env.opted_out = &ev;
    if (intake_emit(svc, &env) != 0)
        return -1;
    if (!quiet && intake_emit_updated(svc, c, "opt_out") != 0)
        return -1;
    hf_info("opted_out", "customer=%lld", (long long)c->id);
    return 0;
}

int intake_purchase_record(hf_service_t *svc, const intake_branch_t *b, const intake_purchase_t *pa,
                           Huifang__V1__Purchase **out, hf_reply_t *rep, hf_arena_t *a)
{
    hf_store_t *st = hf_service_store(svc);
    int rc;
    *out = NULL;
    if (pa->customer_id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "customer", "customer is required");
    if ((rc = s_require_code(pa->product, "product", rep, a)) != HF_OK)
        return rc;
    if (pa->quantity <= 0 || pa->quantity > 10000)
        return hf_fail(rep, a, HF_BAD_INPUT, "quantity", "quantity must be 1..10000");
    if (pa->price_fen < 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "price", "price must not be negative");
    if (pa->day > b->today) {
        char d[11];
        hf_date_format(pa->day, d);
        return hf_fail(rep, a, HF_BAD_INPUT, "date", "date %s is in the future", d);
    }
    if (pa->day < b->today - INTAKE_PURCHASE_PAST_DAYS) {
        char d[11];
        hf_date_format(pa->day, d);
        return hf_fail(rep, a, HF_BAD_INPUT, "date",
                       "date %s is more than %d days ago (a purchase is recorded within five"
                       " years)",
                       d, INTAKE_PURCHASE_PAST_DAYS);
    }
    if (pa->plan && *pa->plan && (rc = s_require_code(pa->plan, "plan", rep, a)) != HF_OK)
        return rc;

    /* lock the customer: purchases of one customer are numbered one after the other */
    Huifang__V1__Customer *c = intake_customer_load(svc, b, pa->customer_id, true, a, &rc);
    if (c == NULL)
        return rc == HF_NOT_FOUND
                   ? hf_fail(rep, a, HF_NOT_FOUND, "customer", "no customer %lld in branch %s",
                             (long long)pa->customer_id, b->code)
                   : intake_store_fail(svc, rep, a);
    if (c->merged_into)
        return hf_fail(rep, a, HF_NOT_FOUND, "customer",
                       "customer %lld was merged into customer %lld", (long long)c->id,
                       (long long)c->merged_into);
    const char *pp[] = {b->code, pa->product};
    PGresult *res = hf_store_query(st, &INTAKE_Q_PURCHASE_RECORD_PRODUCT, 2, pp);
    if (res == NULL)
        return intake_store_fail(svc, rep, a);
    if (PQntuples(res) != 1) {
        PQclear(res);
        return hf_fail(rep, a, HF_BAD_INPUT, "product", "unknown product %s in branch %s",
                       pa->product, b->code);
    }
    int days = (int)hf_pg_int(res, 0, 0) * pa->quantity;
    int64_t price = pa->price_fen ? pa->price_fen : hf_pg_int(res, 0, 1) * pa->quantity;
    const char *plan = pa->plan && *pa->plan ? pa->plan : hf_arena_strdup(a, hf_pg_str(res, 0, 2));
    PQclear(res);

    /* one form per purchase: the nth of this customer, its supply end date, its own plan */
    char cid[24], date[11], end[11], qty[24], pricetxt[24], daystxt[24], at[24], contact[24],
        consult[24];
    hf_date_format(pa->day, date);
    hf_date_format(pa->day + days, end);
    const char *pi[] = {hf_pg_i64(cid, c->id),
                        b->code,
                        pa->product,
                        hf_pg_i64(qty, pa->quantity),
                        hf_pg_i64(pricetxt, price),
                        date,
                        end,
                        hf_pg_i64(daystxt, days),
                        plan,
                        hf_pg_i64(at, hf_clock_now_ms()),
                        pa->contact_id > 0 ? hf_pg_i64(contact, pa->contact_id) : NULL,
                        pa->consultation_id > 0 ? hf_pg_i64(consult, pa->consultation_id) : NULL,
                        S(pa->agent)};
    res = hf_store_query(st, &INTAKE_Q_PURCHASE_RECORD_PURCHASE_INSERT, 13, pi);
    if (res == NULL)
        return intake_store_fail(svc, rep, a);
    if (PQntuples(res) == 0) {
        PQclear(res);
        return hf_fail(rep, a, HF_CONFLICT, pa->contact_id ? "contact" : "consultation",
                       "the purchase of %s %lld is already recorded",
                       pa->contact_id ? "contact" : "consultation",
                       (long long)(pa->contact_id ? pa->contact_id : pa->consultation_id));
    }
    Huifang__V1__Purchase *p = s_purchase_from_row(res, 0, a);
    PQclear(res);

    /* spend and tier; a purchase makes the card a customer card and reopens a void one */
    const char *old_card = c->card_type, *old_tier = c->tier;
    c->spend_fen += price;
    c->purchases += 1;
    c->tier = (char *)intake_tier_of(b->tiers, b->ntiers, c->spend_fen, c->purchases);
    char spend[24], n[24];
    const char *pu[] = {cid, hf_pg_i64(spend, c->spend_fen), hf_pg_i64(n, c->purchases), c->tier};
    if (hf_store_query_run(st, &INTAKE_Q_PURCHASE_RECORD_CUSTOMER_UPDATE, 4, pu) != 0)
        return intake_store_fail(svc, rep, a);
    c->card_type = "customer";
    c->void_reason = "";

    Huifang__V1__PurchaseRecorded ev = HUIFANG__V1__PURCHASE_RECORDED__INIT;
    ev.purchase = p;
    ev.customer = c;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = c->branch;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_PURCHASE_RECORDED;
    env.purchase_recorded = &ev;
    if (hf_service_emit(svc, &env) != 0 ||
        intake_points_on_purchase(svc, b->code, p, *S(pa->actor) ? pa->actor : S(pa->agent), a) !=
            0)
        return intake_store_fail(svc, rep, a);
    bool card_changed = strcmp(old_card, "customer") != 0;
    bool tier_changed = strcmp(old_tier, c->tier) != 0;
    if (card_changed &&
        intake_emit_card(svc, c->branch, c->id, old_card, "customer", "purchase") != 0)
        return intake_store_fail(svc, rep, a);
    if ((card_changed || tier_changed) &&
        intake_emit_updated(svc, c,
                            card_changed && tier_changed ? "card_type,tier"
                            : card_changed               ? "card_type"
                                                         : "tier") != 0)
        return intake_store_fail(svc, rep, a);
    hf_info("purchase", "customer=%lld purchase=%lld nth=%d product=%s tier=%s", (long long)c->id,
            (long long)p->id, p->nth, p->product, c->tier);
    *out = p;
    return HF_OK;
}

static int intake_purchase_add(hf_service_t *svc, void *self, const hf_request_t *req,
                               hf_reply_t *rep, hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__PurchaseAdd *pa = req->purchase_add;
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    int32_t day;
    bool dated;
    if ((rc = s_optional_date(pa->date, "date", &day, &dated, rep, a)) != HF_OK)
        return rc;
    if (pa->plan && *pa->plan &&
        ((rc = s_require_code(pa->plan, "plan", rep, a)) != HF_OK ||
         (rc = intake_plan_exists(svc, req->branch, pa->plan, rep, a)) != HF_OK))
        return rc;
    intake_purchase_t p = {.customer_id = pa->customer_id,
                           .product = pa->product,
                           .quantity = pa->quantity,
                           .day = dated ? day : b.today,
                           .price_fen = pa->price_fen,
                           .plan = pa->plan,
                           .agent = "",
                           .actor = req->actor};
    Huifang__V1__Purchase *out = NULL;
    if ((rc = intake_purchase_record(svc, &b, &p, &out, rep, a)) != HF_OK)
        return rc;
    if (hf_service_audit(svc, &out->customer_id, 1) != 0)
        return intake_store_fail(svc, rep, a);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_PURCHASE;
    rep->purchase = out;
    return HF_OK;
}

/* ---- the service ---- */

const hf_command_t intake_commands[] = {
    {HUIFANG__V1__REQUEST__COMMAND_BRANCH_ADD, intake_branch_add, true, HF_ROLE_ADMIN},
    {HUIFANG__V1__REQUEST__COMMAND_AGENT_ADD, intake_agent_add, true, HF_ROLES_MANAGERS},
    {HUIFANG__V1__REQUEST__COMMAND_PRODUCT_ADD, intake_product_add, true, HF_ROLES_MANAGERS},
    {HUIFANG__V1__REQUEST__COMMAND_LEAD_ADD, intake_lead_add, true, HF_ROLES_WORK},
    {HUIFANG__V1__REQUEST__COMMAND_LEAD_IMPORT, intake_lead_import, true, HF_ROLES_SUPERVISORS},
    {HUIFANG__V1__REQUEST__COMMAND_PURCHASE_ADD, intake_purchase_add, true, HF_ROLES_WORK},
    {HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_FIND, intake_customer_find, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_SHOW, intake_customer_show, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_PHONE_ADD, intake_customer_phone_add, true,
     HF_ROLES_WORK},
    {HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_MERGE, intake_customer_merge, true,
     HF_ROLES_SUPERVISORS},
    {HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_OPT_OUT, intake_customer_opt_out, true, HF_ROLES_WORK},
    {HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_DND, intake_customer_dnd, true, HF_ROLES_WORK},
    {HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_CARD, intake_customer_card, true, HF_ROLES_WORK},
    {HUIFANG__V1__REQUEST__COMMAND_RULES_GET, intake_rules_get, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_RULES_SET, intake_rules_set, true, HF_ROLES_MANAGERS},
    {HUIFANG__V1__REQUEST__COMMAND_ORG_LIST, intake_org_list, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_AGENT_EDIT, intake_agent_edit, true, HF_ROLES_MANAGERS},
    {HUIFANG__V1__REQUEST__COMMAND_PRODUCT_EDIT, intake_product_edit, true, HF_ROLES_MANAGERS},
    {HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_EDIT, intake_customer_edit, true, HF_ROLES_WORK},
    /* a login's reply holds a session: never stored for an idempotency key (writes false) */
    {HUIFANG__V1__REQUEST__COMMAND_LOGIN, intake_login, false, HF_ROLE_KEY},
    {HUIFANG__V1__REQUEST__COMMAND_LOGOUT, intake_logout, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_WHOAMI, intake_whoami, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_USER_ADD, intake_user_add, true, HF_ROLES_MANAGERS},
    {HUIFANG__V1__REQUEST__COMMAND_USER_PASSWD, intake_user_passwd, true, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_USER_DISABLE, intake_user_disable, true, HF_ROLES_MANAGERS},
    {HUIFANG__V1__REQUEST__COMMAND_USER_LIST, intake_user_list, false, HF_ROLES_MANAGERS},
    {HUIFANG__V1__REQUEST__COMMAND_AUDIT, intake_audit_list, false, HF_ROLES_MANAGERS},
    /* campaigns and segments */
    {HUIFANG__V1__REQUEST__COMMAND_SEGMENT_ADD, intake_segment_add, true, HF_ROLES_SUPERVISORS},
    {HUIFANG__V1__REQUEST__COMMAND_SEGMENT_PREVIEW, intake_segment_preview, false,
     HF_ROLES_SUPERVISORS},
    {HUIFANG__V1__REQUEST__COMMAND_SEGMENT_LIST, intake_segment_list, false,
     HF_ROLES_SUPERVISORS | HF_ROLE_HQ},
    {HUIFANG__V1__REQUEST__COMMAND_SEGMENT_SHOW, intake_segment_show, false,
     HF_ROLES_SUPERVISORS | HF_ROLE_HQ},
    {HUIFANG__V1__REQUEST__COMMAND_CAMPAIGN_ADD, intake_campaign_add, true, HF_ROLES_SUPERVISORS},
    {HUIFANG__V1__REQUEST__COMMAND_CAMPAIGN_LIST, intake_campaign_list, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_CAMPAIGN_SHOW, intake_campaign_show, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_CAMPAIGN_CHECKIN, intake_campaign_checkin, true, HF_ROLES_WORK},

    /* occasions, contact caps, letters and WeChat */
    {HUIFANG__V1__REQUEST__COMMAND_OCCASION_RULE_ADD, intake_occasion_rule_add, true,
     HF_ROLES_MANAGERS},
    {HUIFANG__V1__REQUEST__COMMAND_OCCASION_RULE_LIST, intake_occasion_rule_list, false,
     HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_OCCASION_RULE_REMOVE, intake_occasion_rule_remove, true,
     HF_ROLES_MANAGERS},
    {HUIFANG__V1__REQUEST__COMMAND_OCCASION_TRIGGER, intake_occasion_trigger, true,
     HF_ROLES_SUPERVISORS},

    /* points and gifts */
    {HUIFANG__V1__REQUEST__COMMAND_POINTS_SHOW, intake_points_show, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_POINTS_REDEEM, intake_points_redeem, true, HF_ROLES_WORK},
    {HUIFANG__V1__REQUEST__COMMAND_POINTS_RULES, intake_points_rules, true, HF_ROLES_MANAGERS},
    {HUIFANG__V1__REQUEST__COMMAND_GIFT_ADD, intake_gift_add, true, HF_ROLES_MANAGERS},
    {HUIFANG__V1__REQUEST__COMMAND_GIFT_LIST, intake_gift_list, false, HF_ROLES_READ},
    {0, NULL, false, 0}};

static const hf_config_entry_t s_config[] = {
    {"consume", "HUIFANG_INTAKE_CONSUME", NULL, "calllog,scheduler,complaint", HF_CFG_STR, 0, 0,
     false,
     "the producers whose events intake applies (calllog: contacts and consultations; "
     "scheduler: screening; complaint: refunds); none for an instance that only serves "
     "commands"},
    {"session_key_file", "HUIFANG_SESSION_KEY_FILE", NULL, "", HF_CFG_STR, 0, 0, false,
     "the secret half of the session signing key (huifang session keygen), readable by its "
     "owner only: intake signs every session with it"},
    {"session_ttl_ms", "HUIFANG_SESSION_TTL_MS", NULL, "28800000", HF_CFG_INT, 1000, 86400000,
     false, "how long a session lasts (default 8 h: a working day)"},
    {"admin_password_file", "HUIFANG_ADMIN_PASSWORD_FILE", NULL, "", HF_CFG_STR, 0, 0, false,
     "a file holding the first admin's password: account admin is created from it when there "
     "is no admin yet"},
    {"occasion_ms", "HUIFANG_INTAKE_OCCASION_MS", NULL, "1000", HF_CFG_INT, 50, 600000, false,
     "how often intake looks for branches whose local day has not been swept for birthdays "
     "and festivals yet (each day is swept once)"},
    HF_CONFIG_END};

static int s_init(hf_service_t *svc, void *self)
{
    if (intake_consume_init(svc) != 0)
        return -1;
    return intake_identity_init(svc, self);
}

static void s_release(void *self)
{
    (void)self;
    intake_consume_release();
}

static const hf_subscription_t s_subscriptions[] = {{"calllog", intake_calllog_events},
                                                    {"scheduler", intake_scheduler_events},
                                                    {"complaint", intake_complaint_events},
                                                    {NULL, NULL}};

static const hf_service_timer_t s_timers[] = {{"occasion_ms", intake_occasion_sweep}, {NULL, NULL}};

const hf_service_def_t intake_def = {
    .name = "intake",
    .summary = "the customer archive: branches, agents, products, leads and purchases",
    .config = s_config,
    .migrations = intake_migrations,
    .commands = intake_commands,
    .self_size = sizeof(intake_t),
    .init = s_init,
    .release = s_release,
    .subscriptions = s_subscriptions,
    .consume = "consume",
    .timers = s_timers,
    /* A batch of an import allocates and frees megabytes (the request, the rows, the events):
     * keep that memory in the process instead of handing it back to the system after every
     * batch, only to fault it in again for the next one (a fifth of intake's CPU). */
    .malloc_trim_threshold = 256 << 20,
    .malloc_mmap_threshold = 32 << 20,
};
