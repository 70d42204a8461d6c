/* intake: command handlers for the organisation, the archive and purchases. Each runs in
 * one transaction opened by hf_service; events go to the outbox in the same transaction. */
#include "intake.h"
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_phone.h"
#include "hf_time.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")

/* ---- validation ---- */

/* A code (branch, agent id, product): 1..24 of letters, digits, '-', '_'. */
static bool s_code_ok(const char *s)
{
    size_t n = strlen(S(s));
    if (n == 0 || n > 24)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
            return false;
    return true;
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

int intake_check_channel(const char *channel, hf_reply_t *rep, hf_arena_t *arena)
{
    static const char *channels[] = {"counter", "consult", "clinic", "hospital",
                                     "mail",    "referral", "other", NULL};
    for (int i = 0; channels[i]; i++)
        if (strcmp(S(channel), channels[i]) == 0)
            return HF_OK;
    if (channel == NULL || *channel == '\0')
        return hf_fail(rep, arena, HF_BAD_INPUT, "channel", "channel is required");
    return hf_fail(rep, arena, HF_BAD_INPUT, "channel",
                   "channel \"%s\" is not one of counter, consult, clinic, hospital, mail, "
                   "referral, other",
                   channel);
}

/* Looks up the request's branch; fills tz (64 bytes). HF_OK, or BAD_INPUT for an unknown
 * branch, or UNAVAILABLE. */
static int s_branch_tz(hf_service_t *svc, const hf_request_t *req, char *tz, hf_reply_t *rep,
                       hf_arena_t *a)
{
    if (req->branch == NULL || req->branch[0] == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "branch", "branch is required (--branch or HUIFANG_BRANCH)");
    const char *p[] = {req->branch};
    PGresult *res = hf_store_exec(hf_service_store(svc), "SELECT tz FROM branch WHERE code = $1", 1, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int found = PQntuples(res);
    if (found)
        snprintf(tz, 64, "%s", hf_pg_str(res, 0, 0));
    PQclear(res);
    if (!found)
        return hf_fail(rep, a, HF_BAD_INPUT, "branch", "unknown branch %s", req->branch);
    return HF_OK;
}

/* Parses an optional local date; "" gives -1 in *day. HF_OK or BAD_INPUT. */
static int s_optional_date(const char *value, const char *field, int32_t *day, hf_reply_t *rep,
                           hf_arena_t *a)
{
    *day = -1;
    if (value == NULL || *value == '\0')
        return HF_OK;
    if (hf_date_parse(value, day) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, field, "%s \"%s\" is not a date (YYYY-MM-DD)", field,
                       value);
    return HF_OK;
}

/* ---- organisation ---- */

static int add_branch(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                      hf_arena_t *a)
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
        b->tz = "Asia/Shanghai";
    if (!hf_tz_valid(b->tz))
        return hf_fail(rep, a, HF_BAD_INPUT, "tz", "tz \"%s\" is not a zone in the tz database",
                       b->tz);
    hf_window_t w[8];
    if (hf_windows_parse(S(b->windows), w, 8) < 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "windows",
                       "windows \"%s\" must look like 11:30-14:00,18:00-20:00 (start before end, "
                       "no overlaps)",
                       b->windows);
    char at[24];
    const char *p[] = {b->code, b->name, b->tz, S(b->windows), hf_pg_i64(at, hf_clock_now_ms())};
    PGresult *res = hf_store_exec(hf_service_store(svc),
                                  "INSERT INTO branch (code, name, tz, windows, created_at_ms)"
                                  " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1",
                                  5, p);
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

static int add_agent(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
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
    static const char *roles[] = {"phone", "consult", "visit",   "doctor",
                                  "deliver", "lead",  "head", "manager", NULL};
    bool role_ok = false;
    for (int i = 0; roles[i]; i++)
        role_ok = role_ok || strcmp(S(ag->role), roles[i]) == 0;
    if (!role_ok)
        return hf_fail(rep, a, HF_BAD_INPUT, "role",
                       "role \"%s\" is not one of phone, consult, visit, doctor, deliver, lead, "
                       "head, manager",
                       S(ag->role));
    if (ag->daily_calls < 0 || ag->daily_calls > 500)
        return hf_fail(rep, a, HF_BAD_INPUT, "daily_calls", "daily_calls must be 0..500");
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
    const char *p[] = {req->branch, ag->id, ag->name, ag->role, regions,
                       hf_pg_i64(calls, ag->daily_calls), hf_pg_i64(visits, ag->daily_visits)};
    PGresult *res = hf_store_exec(hf_service_store(svc),
                                  "INSERT INTO agent (branch, id, name, role, regions, daily_calls,"
                                  " daily_visits) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                                  " ON CONFLICT DO NOTHING RETURNING 1",
                                  7, p);
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

static int add_product(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                       hf_arena_t *a)
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
    if (pr->plan == NULL || *pr->plan == '\0')
        pr->plan = "monthly-course";
    if ((rc = s_require_code(pr->plan, "plan", rep, a)) != HF_OK)
        return rc;
    pr->branch = req->branch;
    char days[24], price[24];
    const char *p[] = {req->branch, pr->code, pr->name, hf_pg_i64(days, pr->days_per_unit),
                       hf_pg_i64(price, pr->price_fen), pr->plan};
    PGresult *res = hf_store_exec(hf_service_store(svc),
                                  "INSERT INTO product (branch, code, name, days_per_unit, price_fen,"
                                  " plan) VALUES ($1, $2, $3, $4, $5, $6)"
                                  " ON CONFLICT DO NOTHING RETURNING 1",
                                  6, p);
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

/* ---- customers ---- */

#define CUSTOMER_COLUMNS                                                                      \
    "c.id, c.branch, c.name, c.phone, c.gender, coalesce(c.birth::text, ''),"                \
    " coalesce(c.ref_date::text, ''), c.region, c.address, c.card_type, c.void_reason,"       \
    " c.opted_out, coalesce(c.dnd_until::text, ''), c.created_at_ms,"                         \
    " (SELECT coalesce(array_to_string(array_agg(phone ORDER BY phone), ','), '')"            \
    "    FROM customer_phone WHERE customer_id = c.id)"

/* Builds a Customer from row i of a CUSTOMER_COLUMNS result, in arena memory. */
static Huifang__V1__Customer *s_customer_from_row(const PGresult *res, int i, hf_arena_t *a)
{
    Huifang__V1__Customer *c = hf_new(a, Huifang__V1__Customer);
    huifang__v1__customer__init(c);
    c->id = hf_pg_int(res, i, 0);
    c->branch = hf_arena_strdup(a, hf_pg_str(res, i, 1));
    c->name = hf_arena_strdup(a, hf_pg_str(res, i, 2));
    c->phone = hf_arena_strdup(a, hf_pg_str(res, i, 3));
    c->gender = hf_arena_strdup(a, hf_pg_str(res, i, 4));
    c->birth = hf_arena_strdup(a, hf_pg_str(res, i, 5));
    c->ref_date = hf_arena_strdup(a, hf_pg_str(res, i, 6));
    c->region = hf_arena_strdup(a, hf_pg_str(res, i, 7));
    c->address = hf_arena_strdup(a, hf_pg_str(res, i, 8));
    c->card_type = hf_arena_strdup(a, hf_pg_str(res, i, 9));
    c->void_reason = hf_arena_strdup(a, hf_pg_str(res, i, 10));
    c->opted_out = hf_pg_bool(res, i, 11);
    c->dnd_until = hf_arena_strdup(a, hf_pg_str(res, i, 12));
    c->created_at_ms = hf_pg_int(res, i, 13);
    const char *phones = hf_pg_str(res, i, 14);
    if (*phones) {
        size_t n = 1;
        for (const char *p = phones; *p; p++)
            n += *p == ',';
        c->phones = hf_new_array(a, char *, n);
        char *copy = hf_arena_strdup(a, phones);
        char *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
            c->phones[c->n_phones++] = tok;
    }
    return c;
}

/* Loads customer id of branch; NULL when absent (rc HF_NOT_FOUND) or on error. */
static Huifang__V1__Customer *s_load_customer(hf_service_t *svc, const char *branch, int64_t id,
                                              hf_arena_t *a, int *rc)
{
    char idtxt[24];
    const char *p[] = {hf_pg_i64(idtxt, id), branch};
    PGresult *res = hf_store_exec(hf_service_store(svc),
                                  "SELECT " CUSTOMER_COLUMNS
                                  " FROM customer c WHERE c.id = $1 AND c.branch = $2",
                                  2, p);
    if (res == NULL) {
        *rc = HF_UNAVAILABLE;
        return NULL;
    }
    Huifang__V1__Customer *c = NULL;
    *rc = HF_NOT_FOUND;
    if (PQntuples(res) == 1) {
        c = s_customer_from_row(res, 0, a);
        *rc = HF_OK;
    }
    PQclear(res);
    return c;
}

/* Emits LeadRegistered or LeadMerged for customer c. */
static int s_emit_lead(hf_service_t *svc, Huifang__V1__Customer *c, const Huifang__V1__LeadAdd *l,
                       bool merged)
{
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = c->branch;
    Huifang__V1__LeadRegistered reg = HUIFANG__V1__LEAD_REGISTERED__INIT;
    Huifang__V1__LeadMerged mer = HUIFANG__V1__LEAD_MERGED__INIT;
    if (merged) {
        mer.customer = c;
        mer.channel = l->channel;
        mer.collector = S(l->collector);
        mer.source = S(l->source);
        env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_MERGED;
        env.lead_merged = &mer;
    } else {
        reg.customer = c;
        reg.channel = l->channel;
        reg.collector = S(l->collector);
        reg.source = S(l->source);
        env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_REGISTERED;
        env.lead_registered = &reg;
    }
    return hf_service_emit(svc, &env);
}

static int add_lead(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                    hf_arena_t *a)
{
    (void)self;
    Huifang__V1__LeadAdd *l = req->lead_add;
    hf_store_t *st = hf_service_store(svc);
    char tz[64], phone[24];
    int rc;
    if ((rc = s_branch_tz(svc, req, tz, rep, a)) != HF_OK ||
        (rc = s_require_text(l->name, "name", 60, rep, a)) != HF_OK ||
        (rc = intake_check_channel(l->channel, rep, a)) != HF_OK)
        return rc;
    const char *why = NULL;
    if (l->phone == NULL || *l->phone == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "phone", "phone is required");
    if (hf_phone_normalise(l->phone, phone, sizeof phone, &why) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "phone", "phone %s", why);
    if (strcmp(S(l->gender), "") != 0 && strcmp(l->gender, "f") != 0 && strcmp(l->gender, "m") != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "gender", "gender \"%s\" must be f or m", l->gender);
    int32_t birth, ref, today = hf_time_local_day(hf_clock_now_ms(), tz);
    if ((rc = s_optional_date(l->birth, "birth", &birth, rep, a)) != HF_OK ||
        (rc = s_optional_date(l->ref_date, "ref_date", &ref, rep, a)) != HF_OK)
        return rc;
    if (birth > today)
        return hf_fail(rep, a, HF_BAD_INPUT, "birth", "birth %s is in the future", l->birth);
    if (l->region && *l->region && (rc = s_require_code(l->region, "region", rep, a)) != HF_OK)
        return rc;
    int64_t collected = l->collected_at_ms ? l->collected_at_ms : hf_clock_now_ms();

    /* The phone row claims the number first: a concurrent add of the same phone waits on it
     * and then finds it taken, so one phone always means one customer. */
    char idtxt[24];
    const char *pp[] = {req->branch, phone};
    PGresult *res = hf_store_exec(st,
                                  "INSERT INTO customer_phone (branch, phone, customer_id)"
                                  " VALUES ($1, $2, nextval('customer_id_seq'))"
                                  " ON CONFLICT DO NOTHING RETURNING customer_id",
                                  2, pp);
    if (res == NULL)
        return HF_UNAVAILABLE;
    bool merged = PQntuples(res) == 0;
    int64_t id = merged ? 0 : hf_pg_int(res, 0, 0);
    PQclear(res);
    char birthtxt[11] = "", reftxt[11] = "", at[24];
    if (birth >= 0)
        hf_date_format(birth, birthtxt);
    if (ref >= 0)
        hf_date_format(ref, reftxt);
    if (!merged) {
        const char *p[] = {hf_pg_i64(idtxt, id), req->branch, l->name, phone, S(l->gender),
                           birth >= 0 ? birthtxt : NULL, ref >= 0 ? reftxt : NULL, S(l->region),
                           S(l->address), hf_pg_i64(at, hf_clock_now_ms())};
        if (hf_store_run(st,
                         "INSERT INTO customer (id, branch, name, phone, gender, birth, ref_date,"
                         " region, address, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
                         " $9, $10)",
                         10, p) != 0)
            return HF_UNAVAILABLE;
    } else {
        res = hf_store_exec(st, "SELECT customer_id FROM customer_phone WHERE branch = $1 AND phone = $2",
                            2, pp);
        if (res == NULL)
            return HF_UNAVAILABLE;
        id = hf_pg_int(res, 0, 0);
        PQclear(res);
        /* new non-empty fields fill empty ones; nothing known is overwritten */
        const char *p[] = {hf_pg_i64(idtxt, id), S(l->gender), birth >= 0 ? birthtxt : NULL,
                           ref >= 0 ? reftxt : NULL, S(l->region), S(l->address)};
        if (hf_store_run(st,
                         "UPDATE customer SET gender = CASE WHEN gender = '' THEN $2 ELSE gender END,"
                         " birth = coalesce(birth, $3::date), ref_date = coalesce(ref_date, $4::date),"
                         " region = CASE WHEN region = '' THEN $5 ELSE region END,"
                         " address = CASE WHEN address = '' THEN $6 ELSE address END"
                         " WHERE id = $1",
                         6, p) != 0)
            return HF_UNAVAILABLE;
    }
    char coll[24];
    const char *ps[] = {hf_pg_i64(idtxt, id), l->channel, S(l->collector), S(l->source), S(l->note),
                        hf_pg_i64(coll, collected), merged ? "true" : "false"};
    if (hf_store_run(st,
                     "INSERT INTO lead_source (customer_id, channel, collector, source, note,"
                     " collected_at_ms, merged) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                     7, ps) != 0)
        return HF_UNAVAILABLE;
    Huifang__V1__Customer *c = s_load_customer(svc, req->branch, id, a, &rc);
    if (c == NULL)
        return rc == HF_NOT_FOUND ? HF_INTERNAL : rc;
    if (s_emit_lead(svc, c, l, merged) != 0)
        return HF_UNAVAILABLE;
    hf_info("lead", "customer=%lld merged=%d channel=%s phone=%s name=%s", (long long)id, merged,
            l->channel, phone, l->name);
    Huifang__V1__LeadResult *r = hf_new(a, Huifang__V1__LeadResult);
    huifang__v1__lead_result__init(r);
    r->customer = c;
    r->merged = merged;
    if (merged)
        rep->note = hf_arena_printf(a, "merged into customer %lld", (long long)id);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_LEAD;
    rep->lead = r;
    return HF_OK;
}

static int find_customers(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                          hf_arena_t *a)
{
    (void)self;
    char tz[64], phone[24];
    int rc = s_branch_tz(svc, req, tz, rep, a);
    if (rc != HF_OK)
        return rc;
    const char *q = S(req->customer_find->query);
    if (*q == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "query", "query is required (a phone or a name)");
    const char *why;
    PGresult *res;
    if (hf_phone_normalise(q, phone, sizeof phone, &why) == 0) {
        const char *p[] = {req->branch, phone};
        res = hf_store_exec(hf_service_store(svc),
                            "SELECT " CUSTOMER_COLUMNS " FROM customer c JOIN customer_phone p"
                            " ON p.customer_id = c.id WHERE p.branch = $1 AND p.phone = $2",
                            2, p);
    } else {
        /* a name prefix; LIKE metacharacters in the query are taken literally */
        char pattern[256];
        size_t o = 0;
        for (const char *s = q; *s && o + 3 < sizeof pattern; s++) {
            if (*s == '%' || *s == '_' || *s == '\\')
                pattern[o++] = '\\';
            pattern[o++] = *s;
        }
        pattern[o++] = '%';
        pattern[o] = '\0';
        const char *p[] = {req->branch, pattern};
        res = hf_store_exec(hf_service_store(svc),
                            "SELECT " CUSTOMER_COLUMNS " FROM customer c WHERE c.branch = $1"
                            " AND c.name LIKE $2 ORDER BY c.name, c.id LIMIT 100",
                            2, p);
    }
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__CustomerList *list = hf_new(a, Huifang__V1__CustomerList);
    huifang__v1__customer_list__init(list);
    int n = PQntuples(res);
    list->customers = hf_new_array(a, Huifang__V1__Customer *, n);
    for (int i = 0; i < n; i++)
        list->customers[list->n_customers++] = s_customer_from_row(res, i, a);
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_CUSTOMERS;
    rep->customers = list;
    if (n == 0)
        return hf_fail(rep, a, HF_NOT_FOUND, "query", "no customer matches \"%s\"", q);
    return HF_OK;
}

/* Builds a Purchase from a row of PURCHASE_COLUMNS. */
#define PURCHASE_COLUMNS                                                                     \
    "id, customer_id, branch, product, quantity, price_fen, purchase_date::text,"            \
    " supply_end::text, nth, plan, days_of_supply"

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
    return p;
}

static int show_customer(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a)
{
    (void)self;
    char tz[64];
    int rc = s_branch_tz(svc, req, tz, rep, a);
    if (rc != HF_OK)
        return rc;
    Huifang__V1__Customer *c = s_load_customer(svc, req->branch, req->customer_show->id, a, &rc);
    if (c == NULL)
        return rc == HF_NOT_FOUND ? hf_fail(rep, a, HF_NOT_FOUND, "id", "no customer %lld in branch %s",
                                            (long long)req->customer_show->id, req->branch)
                                  : rc;
    char idtxt[24];
    const char *p[] = {hf_pg_i64(idtxt, c->id)};
    PGresult *res = hf_store_exec(hf_service_store(svc),
                                  "SELECT " PURCHASE_COLUMNS " FROM purchase WHERE customer_id = $1"
                                  " ORDER BY nth",
                                  1, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__CustomerDetail *d = hf_new(a, Huifang__V1__CustomerDetail);
    huifang__v1__customer_detail__init(d);
    d->customer = c;
    int n = PQntuples(res);
    d->purchases = hf_new_array(a, Huifang__V1__Purchase *, n);
    for (int i = 0; i < n; i++)
        d->purchases[d->n_purchases++] = s_purchase_from_row(res, i, a);
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_CUSTOMER;
    rep->customer = d;
    return HF_OK;
}

/* ---- purchases ---- */

static int add_purchase(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a)
{
    (void)self;
    Huifang__V1__PurchaseAdd *pa = req->purchase_add;
    hf_store_t *st = hf_service_store(svc);
    char tz[64];
    int rc;
    if ((rc = s_branch_tz(svc, req, tz, rep, a)) != HF_OK)
        return rc;
    if (pa->customer_id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "customer", "customer is required");
    if ((rc = s_require_code(pa->product, "product", rep, a)) != HF_OK)
        return rc;
    if (pa->quantity <= 0 || pa->quantity > 10000)
        return hf_fail(rep, a, HF_BAD_INPUT, "quantity", "quantity must be 1..10000");
    if (pa->price_fen < 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "price", "price must not be negative");
    int32_t today = hf_time_local_day(hf_clock_now_ms(), tz), day;
    if ((rc = s_optional_date(pa->date, "date", &day, rep, a)) != HF_OK)
        return rc;
    if (day < 0)
        day = today;
    if (day > today)
        return hf_fail(rep, a, HF_BAD_INPUT, "date", "date %s is in the future", pa->date);
    if (pa->plan && *pa->plan && (rc = s_require_code(pa->plan, "plan", rep, a)) != HF_OK)
        return rc;

    /* lock the customer: purchases of one customer are numbered one after the other */
    char cid[24];
    const char *pc[] = {hf_pg_i64(cid, pa->customer_id), req->branch};
    PGresult *res = hf_store_exec(st, "SELECT id FROM customer WHERE id = $1 AND branch = $2 FOR UPDATE",
                                  2, pc);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int found = PQntuples(res);
    PQclear(res);
    if (!found)
        return hf_fail(rep, a, HF_NOT_FOUND, "customer", "no customer %lld in branch %s",
                       (long long)pa->customer_id, req->branch);
    const char *pp[] = {req->branch, pa->product};
    res = hf_store_exec(st, "SELECT days_per_unit, price_fen, plan FROM product WHERE branch = $1 AND code = $2",
                        2, pp);
    if (res == NULL)
        return HF_UNAVAILABLE;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return hf_fail(rep, a, HF_BAD_INPUT, "product", "unknown product %s in branch %s",
                       pa->product, req->branch);
    }
    int days = (int)hf_pg_int(res, 0, 0) * pa->quantity;
    int64_t price = pa->price_fen ? pa->price_fen : hf_pg_int(res, 0, 1) * pa->quantity;
    const char *plan = pa->plan && *pa->plan ? pa->plan : hf_arena_strdup(a, hf_pg_str(res, 0, 2));
    PQclear(res);

    char date[11], end[11], qty[24], pricetxt[24], daystxt[24], at[24];
    hf_date_format(day, date);
    hf_date_format(day + days, end);
    const char *pi[] = {cid, req->branch, pa->product, hf_pg_i64(qty, pa->quantity),
                        hf_pg_i64(pricetxt, price), date, end, hf_pg_i64(daystxt, days), plan,
                        hf_pg_i64(at, hf_clock_now_ms())};
    res = hf_store_exec(st,
                        "INSERT INTO purchase (customer_id, branch, product, quantity, price_fen,"
                        " purchase_date, supply_end, days_of_supply, nth, plan, created_at_ms)"
                        " SELECT $1, $2, $3, $4, $5, $6, $7, $8,"
                        "   coalesce(max(nth), 0) + 1, $9, $10 FROM purchase WHERE customer_id = $1"
                        " RETURNING " PURCHASE_COLUMNS,
                        10, pi);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__Purchase *p = s_purchase_from_row(res, 0, a);
    PQclear(res);
    /* a purchase makes the card a customer card, and reopens a void one */
    if (hf_store_run(st, "UPDATE customer SET card_type = 'customer', void_reason = '' WHERE id = $1",
                     1, pc) != 0)
        return HF_UNAVAILABLE;
    Huifang__V1__Customer *c = s_load_customer(svc, req->branch, pa->customer_id, a, &rc);
    if (c == NULL)
        return rc == HF_NOT_FOUND ? HF_INTERNAL : rc;
    Huifang__V1__PurchaseRecorded ev = HUIFANG__V1__PURCHASE_RECORDED__INIT;
    ev.purchase = p;
    ev.customer = c;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_PURCHASE_RECORDED;
    env.purchase_recorded = &ev;
    if (hf_service_emit(svc, &env) != 0)
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_PURCHASE;
    rep->purchase = p;
    return HF_OK;
}

const hf_command_t intake_commands[] = {
    {HUIFANG__V1__REQUEST__COMMAND_BRANCH_ADD, add_branch, true},
    {HUIFANG__V1__REQUEST__COMMAND_AGENT_ADD, add_agent, true},
    {HUIFANG__V1__REQUEST__COMMAND_PRODUCT_ADD, add_product, true},
    {HUIFANG__V1__REQUEST__COMMAND_LEAD_ADD, add_lead, true},
    {HUIFANG__V1__REQUEST__COMMAND_PURCHASE_ADD, add_purchase, true},
    {HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_FIND, find_customers, false},
    {HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_SHOW, show_customer, false},
    {0, NULL, false}};

const hf_service_def_t intake_def = {
    .name = "intake",
    .summary = "the customer archive: branches, agents, products, leads and purchases",
    .config = NULL,
    .migrations = intake_migrations,
    .commands = intake_commands,
};
