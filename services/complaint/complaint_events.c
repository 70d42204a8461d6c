/* complaint_events: what other services publish, applied here.
 *
 * From intake: local copies of branches (their zone), agents (their role: who heads, who
 * manages, who may decide a return), customers (for names in lists), products and
 * purchases (the facts a refund is computed from). From call-log: each contact, which may
 * file an adverse-reaction card and may flag a word-of-mouth risk.
 *
 * The word-of-mouth rule. A customer is flagged, once, when a contact refuses to buy again
 * while the latest effect the customer reported (on that contact or an earlier one) is
 * "none". A contact refuses to buy again when its outcome carries the do-not-call flag
 * (refused, hostile), or when it is a repurchase call that a person answered, that is no
 * callback request, and that took no order. A later "good" effect replaces the "none", so a
 * customer whose product started working is no longer at risk. */
#include "complaint_internal.h"
#include "complaint_sql.h"
#include "hf_clock.h"
#include "hf_copies.h"
#include "hf_log.h"
#include "hf_replica.h"
#include <stdio.h>
#include <string.h>

/* ---- intake ---- */

/* The customer copies of the batch being applied (hf_copies): written once before it commits
 * (complaint_events_batch) or before a handler that may read them, so that a national load's
 * LeadRegistered events cost one statement a batch, not one each (issue 14). NULL outside the
 * service (a test driving the handlers): written at once. */
static hf_copies_t *s_copies;

/* The effects the batch's contacts reported, the latest a customer, kept and written once
 * before it commits (s_effects_flush, from the batch hook or before a handler that moves them):
 * one INSERT a batch of calls instead of one a contact (issue 14). The word-of-mouth rule
 * reads a customer's kept effect before the stored one. Off outside the service (a test
 * driving the handlers): written at once. */
typedef struct {
    int64_t customer_id, contact_id, at_ms;
    char *effect; /* malloc'ed */
} s_effect_t;

static struct {
    bool on;
    s_effect_t *v;
    int n, cap;
} s_effects;

static s_effect_t *s_effect_kept(int64_t customer_id)
{
    for (int i = 0; i < s_effects.n; i++)
        if (s_effects.v[i].customer_id == customer_id)
            return &s_effects.v[i];
    return NULL;
}

/* Keeps a customer's latest effect (replacing one kept before, in its place). 0 or -1. */
static int s_effect_keep(int64_t customer_id, const char *effect, int64_t contact_id, int64_t at)
{
    char *copy = strdup(effect);
    if (copy == NULL)
        return -1;
    s_effect_t *e = s_effect_kept(customer_id);
    if (e == NULL) {
        if (s_effects.n == s_effects.cap) {
            int cap = s_effects.cap ? 2 * s_effects.cap : 64;
            s_effect_t *grown = realloc(s_effects.v, sizeof *grown * (size_t)cap);
            if (grown == NULL) {
                free(copy);
                return -1;
            }
            s_effects.v = grown;
            s_effects.cap = cap;
        }
        e = &s_effects.v[s_effects.n++];
        e->customer_id = customer_id;
    } else {
        free(e->effect);
    }
    e->effect = copy;
    e->contact_id = contact_id;
    e->at_ms = at;
    return 0;
}

static void s_effects_forget(void)
{
    for (int i = 0; i < s_effects.n; i++)
        free(s_effects.v[i].effect);
    s_effects.n = 0;
}

/* Appends text to a Postgres array literal being written to f, quoted. */
static void s_array_text(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* Writes the kept effects in one statement and forgets them. 0, or -1 (the caller rolls back). */
static int s_effects_flush(hf_store_t *st)
{
    if (s_effects.n == 0)
        return 0;
    char *lit[4] = {NULL, NULL, NULL, NULL};
    size_t len[4];
    FILE *f[4] = {NULL, NULL, NULL, NULL};
    int rc = -1;
    for (int c = 0; c < 4; c++)
        if ((f[c] = open_memstream(&lit[c], &len[c])) == NULL)
            goto cleanup;
    for (int i = 0; i < s_effects.n; i++) {
        const s_effect_t *e = &s_effects.v[i];
        const char *sep = i ? "," : "{";
        fprintf(f[0], "%s%lld", sep, (long long)e->customer_id);
        fputs(sep, f[1]);
        s_array_text(f[1], e->effect);
        fprintf(f[2], "%s%lld", sep, (long long)e->contact_id);
        fprintf(f[3], "%s%lld", sep, (long long)e->at_ms);
    }
    for (int c = 0; c < 4; c++) {
        fputc('}', f[c]);
        fclose(f[c]);
        f[c] = NULL;
    }
    const char *p[] = {lit[0], lit[1], lit[2], lit[3]};
    rc = hf_store_query_run(st, &COMPLAINT_Q_EFFECTS_SET, 4, p) == 0 ? 0 : -1;
cleanup:
    for (int c = 0; c < 4; c++) {
        if (f[c])
            fclose(f[c]);
        free(lit[c]);
    }
    s_effects_forget();
    return rc;
}

int complaint_events_init(hf_service_t *svc)
{
    s_copies = hf_copies_new(&COMPLAINT_Q_CUSTOMERS_UPSERT, 3);
    if (s_copies == NULL)
        return -1;
    s_effects.on = true;
    hf_service_on_batch(svc, complaint_events_batch);
    return 0;
}

void complaint_events_release(void)
{
    hf_copies_destroy(&s_copies);
    s_effects_forget();
    free(s_effects.v);
    s_effects.v = NULL;
    s_effects.cap = 0;
    s_effects.on = false;
}

int complaint_events_batch(hf_service_t *svc, void *self, bool commit)
{
    (void)self;
    if (!commit) {
        hf_copies_forget(s_copies);
        s_effects_forget();
        return 0;
    }
    if (hf_copies_flush(s_copies, hf_service_store(svc)) != 0)
        return -1;
    return s_effects_flush(hf_service_store(svc));
}

static int s_upsert_customer(hf_store_t *st, const Huifang__V1__Customer *c)
{
    if (c == NULL || c->id <= 0)
        return 0;
    char id[24];
    const char *p[] = {hf_pg_i64(id, c->id), S(c->branch), S(c->name)};
    if (s_copies)
        return hf_copies_put(s_copies, c->id, p + 1);
    return hf_store_query_run(st, &COMPLAINT_Q_CUSTOMER_UPSERT, 3, p);
}

static int complaint_on_customer(hf_service_t *svc, void *self, const hf_envelope_t *env,
                                 hf_arena_t *a)
{
    (void)self;
    (void)a;
    return s_upsert_customer(hf_service_store(svc), hf_replica_customer(env));
}

static int complaint_on_purchase_recorded(hf_service_t *svc, void *self, const hf_envelope_t *env,
                                          hf_arena_t *a)
{
    (void)self;
    (void)a;
    const Huifang__V1__Purchase *pu = env->purchase_recorded->purchase;
    hf_store_t *st = hf_service_store(svc);
    if (pu == NULL || pu->id <= 0)
        return -2;
    if (s_upsert_customer(st, env->purchase_recorded->customer) != 0)
        return -1;
    const char *branch = pu->branch && *pu->branch ? pu->branch : S(env->branch);
    /* the unit price is the product's when bought; without the product, what was paid per unit */
    const char *pp[] = {branch, S(pu->product)};
    PGresult *res = hf_store_query(st, &COMPLAINT_Q_PRODUCT_PRICE, 2, pp);
    if (res == NULL)
        return -1;
    int64_t unit = PQntuples(res)     ? hf_pg_int(res, 0, 0)
                   : pu->quantity > 0 ? pu->price_fen / pu->quantity
                                      : pu->price_fen;
    PQclear(res);
    char id[24], cid[24], qty[16], price[24], unittxt[24];
    const char *p[] = {hf_pg_i64(id, pu->id),           branch,
                       hf_pg_i64(cid, pu->customer_id), S(pu->product),
                       hf_pg_i64(qty, pu->quantity),    hf_pg_i64(price, pu->price_fen),
                       hf_pg_i64(unittxt, unit),        S(pu->date)};
    return hf_store_query_run(st, &COMPLAINT_Q_PURCHASE_UPSERT, 8, p);
}

/* Every record of the merged customer now belongs to the kept one. */
static int complaint_on_customers_merged(hf_service_t *svc, void *self, const hf_envelope_t *env,
                                         hf_arena_t *a)
{
    (void)self;
    (void)a;
    /* the copies and effects kept so far first: the moves see every customer the batch
     * brought and every effect it reported */
    if (hf_copies_flush(s_copies, hf_service_store(svc)) != 0 ||
        s_effects_flush(hf_service_store(svc)) != 0)
        return -1;
    static const char *const moves[] = {
        "UPDATE complaint SET customer_id = $1 WHERE customer_id = $2",
        "UPDATE purchase SET customer_id = $1 WHERE customer_id = $2",
        "UPDATE return_request SET customer_id = $1 WHERE customer_id = $2",
        /* the kept customer's own latest effect and flag win over the merged one's */
        "DELETE FROM customer_effect WHERE customer_id = $2"
        " AND EXISTS (SELECT 1 FROM customer_effect WHERE customer_id = $1)",
        "UPDATE customer_effect SET customer_id = $1 WHERE customer_id = $2",
        "DELETE FROM risk WHERE customer_id = $2 AND EXISTS (SELECT 1 FROM risk WHERE customer_id "
        "= $1)",
        "UPDATE risk SET customer_id = $1 WHERE customer_id = $2", NULL};
    return hf_replica_merge_customers(hf_service_store(svc), env, moves);
}

/* branches, agents and products: the copies every service keeps alike (hf_replica) */
const hf_event_handler_t complaint_intake_events[] = {
    {HUIFANG__V1__ENVELOPE__PAYLOAD_BRANCH_UPSERTED, hf_replica_on_branch},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_AGENT_UPSERTED, hf_replica_on_agent},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_PRODUCT_UPSERTED, hf_replica_on_product},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_REGISTERED, complaint_on_customer},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_MERGED, complaint_on_customer},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_UPDATED, complaint_on_customer},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_PURCHASE_RECORDED, complaint_on_purchase_recorded},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMERS_MERGED, complaint_on_customers_merged},
    {0, NULL}};

/* ---- call-log ---- */

/* Applies the word-of-mouth rule (see the top of this file) to one contact. 0 or -1. */
static int s_word_of_mouth(hf_service_t *svc, const Huifang__V1__Contact *ct)
{
    hf_store_t *st = hf_service_store(svc);
    char cid[24], contact[24], at[24];
    hf_pg_i64(cid, ct->customer_id);
    hf_pg_i64(contact, ct->id);
    hf_pg_i64(at, hf_clock_now_ms());
    const char *effect = S(ct->effect);
    if (*effect && s_effects.on) {
        /* kept: written with the batch's others before it commits */
        if (s_effect_keep(ct->customer_id, effect, ct->id, hf_clock_now_ms()) != 0)
            return -1;
    } else if (*effect) {
        const char *p[] = {cid, effect, contact, at};
        if (hf_store_query_run(st, &COMPLAINT_Q_EFFECT_SET, 4, p) != 0)
            return -1;
    }
    const Huifang__V1__OutcomeFlags *f = ct->flags;
    bool refused = f && f->do_not_call;
    bool no_order = strcmp(S(ct->purpose), "repurchase") == 0 && f && f->human_answered &&
                    !f->callback && ct->order_qty == 0;
    if (!refused && !no_order)
        return 0;
    /* the latest effect: kept by this batch, else stored */
    bool none;
    int64_t none_contact;
    const s_effect_t *kept = s_effect_kept(ct->customer_id);
    PGresult *res;
    if (kept) {
        none = strcmp(kept->effect, "none") == 0;
        none_contact = none ? kept->contact_id : 0;
    } else {
        const char *pc[] = {cid};
        res = hf_store_query(st, &COMPLAINT_Q_EFFECT, 1, pc);
        if (res == NULL)
            return -1;
        none = PQntuples(res) && strcmp(hf_pg_str(res, 0, 0), "none") == 0;
        none_contact = none ? hf_pg_int(res, 0, 1) : 0;
        PQclear(res);
    }
    if (!none)
        return 0;
    char nc[24];
    const char *why = refused ? "reported no effect, then refused further contact"
                              : "reported no effect, then took no order on the repurchase call";
    const char *pr[] = {cid, S(ct->branch), why, hf_pg_i64(nc, none_contact), contact, at};
    res = hf_store_query(st, &COMPLAINT_Q_RISK_FLAG, 6, pr);
    if (res == NULL)
        return -1;
    int flagged = PQntuples(res);
    PQclear(res);
    if (!flagged)
        return 0; /* flagged before */
    Huifang__V1__WordOfMouthRisk ev = HUIFANG__V1__WORD_OF_MOUTH_RISK__INIT;
    ev.customer_id = ct->customer_id;
    ev.reason = (char *)why;
    ev.no_effect_contact_id = none_contact;
    ev.refusal_contact_id = ct->id;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = ct->branch;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_WORD_OF_MOUTH_RISK;
    env.word_of_mouth_risk = &ev;
    if (hf_service_emit(svc, &env) != 0)
        return -1;
    hf_info("word_of_mouth_risk",
            "customer=%lld branch=%s no_effect_contact=%lld refusal_contact=%lld",
            (long long)ct->customer_id, S(ct->branch), (long long)none_contact, (long long)ct->id);
    return 0;
}

static int complaint_on_call_logged(hf_service_t *svc, void *self, const hf_envelope_t *env,
                                    hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__Contact *ct = env->call_logged->contact;
    if (ct == NULL || ct->customer_id <= 0)
        return -2;
    /* the doctor's visit made for an adverse reaction records that reaction's follow-up: it
     * is no new occurrence, whatever effect the doctor notes (the complaint it came from, if
     * any, stays open until solved) */
    bool adverse_visit = strcmp(S(ct->purpose), "adverse-reaction") == 0;
    if (strcmp(S(ct->effect), "adverse") == 0 && !adverse_visit) {
        /* an adverse effect is a complaint of its own: one card per contact (UNIQUE), so a
         * replayed event files none twice */
        int64_t now = hf_clock_now_ms();
        complaint_new_t n = {
            .branch = ct->branch && *ct->branch ? ct->branch : S(env->branch),
            .customer_id = ct->customer_id,
            .category = "adverse-reaction",
            .severity = "high",
            .channel = ct->channel && *ct->channel ? ct->channel : "phone",
            .location = "",
            .description = S(ct->note),
            .plan = "",
            .agent = S(ct->agent),
            .filed_by = "",
            .actor = S(ct->agent),
            .source_contact = ct->id,
            .opened_at_ms =
                ct->logged_at_ms > 0 && ct->logged_at_ms <= now ? ct->logged_at_ms : now,
        };
        complaint_card_t *card = NULL;
        if (complaint_card_open(svc, &n, a, &card) != 0)
            return -1;
    }
    return s_word_of_mouth(svc, ct) == 0 ? 0 : -1;
}

const hf_event_handler_t complaint_calllog_events[] = {
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CALL_LOGGED, complaint_on_call_logged}, {0, NULL}};

/* ---- risks ---- */

int complaint_risk_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a)
{
    (void)self;
    char tz[64];
    int rc;
    if ((rc = complaint_need_branch(svc, req, tz, rep, a)) != HF_OK)
        return rc;
    const char *p[] = {req->branch};
    PGresult *res = hf_store_query(hf_service_store(svc), &COMPLAINT_Q_RISKS, 1, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__RiskListResult *r = hf_new(a, Huifang__V1__RiskListResult);
    huifang__v1__risk_list_result__init(r);
    int n = PQntuples(res);
    r->risks = hf_new_array(a, Huifang__V1__CustomerRisk *, n);
    for (int i = 0; i < n; i++) {
        Huifang__V1__CustomerRisk *k = hf_new(a, Huifang__V1__CustomerRisk);
        huifang__v1__customer_risk__init(k);
        k->customer_id = hf_pg_int(res, i, 0);
        k->customer_name = hf_arena_strdup(a, hf_pg_str(res, i, 1));
        k->reason = hf_arena_strdup(a, hf_pg_str(res, i, 2));
        k->flagged_at_ms = hf_pg_int(res, i, 3);
        k->no_effect_contact_id = hf_pg_int(res, i, 4);
        k->refusal_contact_id = hf_pg_int(res, i, 5);
        r->risks[r->n_risks++] = k;
    }
    PQclear(res);
    int64_t *ids = hf_new_array(a, int64_t, r->n_risks + 1);
    for (size_t i = 0; i < r->n_risks; i++)
        ids[i] = r->risks[i]->customer_id;
    if (hf_service_audit(svc, ids, r->n_risks) != 0) /* the customers' names */
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_RISKS;
    rep->risks = r;
    return HF_OK;
}
