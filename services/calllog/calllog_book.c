/* calllog_book: the outcome taxonomy (data per branch), the delivery book (an entry moves
 * pending -> delivered once, through a guarded UPDATE), and quality checks (a deterministic
 * daily sample of every agent's calls, scored by a supervisor). */
#include "calllog_internal.h"
#include "calllog_sql.h"
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_time.h"
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------
 * The outcome taxonomy
 * ------------------------------------------------------------------------------------- */

static Huifang__V1__Outcome *s_outcome_from_row(const PGresult *res, int i, hf_arena_t *a)
{
    Huifang__V1__Outcome *o = hf_new(a, Huifang__V1__Outcome);
    huifang__v1__outcome__init(o);
    o->branch = hf_arena_strdup(a, hf_pg_str(res, i, 0));
    o->code = hf_arena_strdup(a, hf_pg_str(res, i, 1));
    o->name = hf_arena_strdup(a, hf_pg_str(res, i, 2));
    Huifang__V1__OutcomeFlags *f = hf_new(a, Huifang__V1__OutcomeFlags);
    huifang__v1__outcome_flags__init(f);
    f->human_answered = hf_pg_bool(res, i, 3);
    f->contacted = hf_pg_bool(res, i, 4);
    f->sale = hf_pg_bool(res, i, 5);
    f->do_not_call = hf_pg_bool(res, i, 6);
    f->unworkable = hf_pg_bool(res, i, 7);
    f->callback = hf_pg_bool(res, i, 8);
    f->completed = hf_pg_bool(res, i, 9);
    o->flags = f;
    return o;
}

int calllog_outcome_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a)
{
    (void)self;
    hf_store_t *st = hf_service_store(svc);
    char tz[64];
    int rc;
    if ((rc = calllog_branch_tz(st, req->branch, tz, rep, a)) != HF_OK)
        return rc;
    /* the branch's own codes replace the defaults of the same code */
    const char *p[] = {req->branch};
    PGresult *res = hf_store_query(st, &CALLLOG_Q_OUTCOMES, 1, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__Outcomes *list = hf_new(a, Huifang__V1__Outcomes);
    huifang__v1__outcomes__init(list);
    int n = PQntuples(res);
    list->outcomes = hf_new_array(a, Huifang__V1__Outcome *, n);
    for (int i = 0; i < n; i++)
        list->outcomes[list->n_outcomes++] = s_outcome_from_row(res, i, a);
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_OUTCOMES;
    rep->outcomes = list;
    return HF_OK;
}

int calllog_outcome_add(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a)
{
    (void)self;
    hf_store_t *st = hf_service_store(svc);
    char tz[64];
    int rc;
    if ((rc = calllog_branch_tz(st, req->branch, tz, rep, a)) != HF_OK)
        return rc;
    const Huifang__V1__Outcome *in = req->outcome_add ? req->outcome_add->outcome : NULL;
    if (in == NULL)
        return hf_fail(rep, a, HF_BAD_INPUT, "outcome", "the outcome is missing");
    if (in->code == NULL || *in->code == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "code", "code is required");
    if (!calllog_code_valid(in->code))
        return hf_fail(rep, a, HF_BAD_INPUT, "code",
                       "code \"%s\" must be 1-24 letters, digits, '-' or '_'", in->code);
    const char *name = S(in->name);
    while (*name == ' ')
        name++;
    if (*name == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "name", "name is required");
    if ((rc = calllog_check_text(in->name, "name", 100, rep, a)) != HF_OK)
        return rc;
    Huifang__V1__OutcomeFlags none = HUIFANG__V1__OUTCOME_FLAGS__INIT;
    const Huifang__V1__OutcomeFlags *f = in->flags ? in->flags : &none;
    const char *why = calllog_flags_check(f);
    if (why != NULL)
        return hf_fail(rep, a, HF_BAD_INPUT, "flags", "flags do not fit together: %s", why);
    if ((rc = calllog_need_supervisor(st, req, true, "change the outcome list", rep, a)) != HF_OK)
        return rc;
    const char *p[] = {req->branch,
                       in->code,
                       in->name,
                       f->human_answered ? "true" : "false",
                       f->contacted ? "true" : "false",
                       f->sale ? "true" : "false",
                       f->do_not_call ? "true" : "false",
                       f->unworkable ? "true" : "false",
                       f->callback ? "true" : "false",
                       f->completed ? "true" : "false"};
    PGresult *res = hf_store_query(st, &CALLLOG_Q_OUTCOME_ADD, 10, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return hf_fail(rep, a, HF_CONFLICT, "code", "outcome %s already exists in branch %s",
                       in->code, req->branch);
    }
    Huifang__V1__Outcome *o = s_outcome_from_row(res, 0, a);
    PQclear(res);
    Huifang__V1__OutcomeUpserted ev = HUIFANG__V1__OUTCOME_UPSERTED__INIT;
    ev.outcome = o;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_OUTCOME_UPSERTED;
    env.outcome_upserted = &ev;
    if (hf_service_emit(svc, &env) != 0)
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_OUTCOME;
    rep->outcome = o;
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * The delivery book
 * ------------------------------------------------------------------------------------- */

Huifang__V1__Delivery *calllog_delivery_from_row(const PGresult *res, int i, hf_arena_t *a)
{
    Huifang__V1__Delivery *d = hf_new(a, Huifang__V1__Delivery);
    huifang__v1__delivery__init(d);
    d->id = hf_pg_int(res, i, 0);
    d->branch = hf_arena_strdup(a, hf_pg_str(res, i, 1));
    d->source = hf_arena_strdup(a, hf_pg_str(res, i, 2));
    d->contact_id = hf_pg_int(res, i, 3);
    d->consultation_id = hf_pg_int(res, i, 4);
    d->customer_id = hf_pg_int(res, i, 5);
    d->name = hf_arena_strdup(a, hf_pg_str(res, i, 6));
    d->phone = hf_arena_strdup(a, hf_pg_str(res, i, 7));
    d->address = hf_arena_strdup(a, hf_pg_str(res, i, 8));
    d->region = hf_arena_strdup(a, hf_pg_str(res, i, 9));
    d->product = hf_arena_strdup(a, hf_pg_str(res, i, 10));
    d->quantity = (int32_t)hf_pg_int(res, i, 11);
    d->state = hf_arena_strdup(a, hf_pg_str(res, i, 12));
    d->agent = hf_arena_strdup(a, hf_pg_str(res, i, 13));
    d->deliverer = hf_arena_strdup(a, hf_pg_str(res, i, 14));
    d->requested_at_ms = hf_pg_int(res, i, 15);
    d->delivered_at_ms = hf_pg_int(res, i, 16);
    return d;
}

Huifang__V1__Delivery *calllog_open_delivery(hf_service_t *svc, Huifang__V1__Delivery *d,
                                             hf_arena_t *a)
{
    char contact[24], consult[24], cid[24], qty[16], at[24];
    const char *p[] = {S(d->branch),
                       S(d->source),
                       d->contact_id ? hf_pg_i64(contact, d->contact_id) : NULL,
                       d->consultation_id ? hf_pg_i64(consult, d->consultation_id) : NULL,
                       hf_pg_i64(cid, d->customer_id),
                       S(d->name),
                       S(d->phone),
                       S(d->address),
                       S(d->region),
                       S(d->product),
                       hf_pg_i64(qty, d->quantity),
                       S(d->agent),
                       hf_pg_i64(at, d->requested_at_ms)};
    PGresult *res = hf_store_query(hf_service_store(svc), &CALLLOG_Q_DELIVERY_OPEN, 13, p);
    if (res == NULL)
        return NULL;
    Huifang__V1__Delivery *out = calllog_delivery_from_row(res, 0, a);
    PQclear(res);
    Huifang__V1__DeliveryRequested ev = HUIFANG__V1__DELIVERY_REQUESTED__INIT;
    ev.delivery = out;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_DELIVERY_REQUESTED;
    env.delivery_requested = &ev;
    if (hf_service_emit(svc, &env) != 0)
        return NULL;
    hf_info("delivery_requested", "delivery=%lld source=%s product=%s quantity=%d",
            (long long)out->id, out->source, out->product, out->quantity);
    return out;
}

int calllog_delivery_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                          hf_arena_t *a)
{
    (void)self;
    hf_store_t *st = hf_service_store(svc);
    char tz[64];
    int rc;
    if ((rc = calllog_branch_tz(st, req->branch, tz, rep, a)) != HF_OK)
        return rc;
    bool pending = req->delivery_list && req->delivery_list->pending;
    const char *p[] = {req->branch, pending ? "true" : "false"};
    PGresult *res = hf_store_query(st, &CALLLOG_Q_DELIVERIES, 2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__Deliveries *list = hf_new(a, Huifang__V1__Deliveries);
    huifang__v1__deliveries__init(list);
    int n = PQntuples(res);
    list->deliveries = hf_new_array(a, Huifang__V1__Delivery *, n);
    int64_t *ids = hf_new_array(a, int64_t, n + 1);
    size_t nids = 0;
    for (int i = 0; i < n; i++) {
        Huifang__V1__Delivery *d = calllog_delivery_from_row(res, i, a);
        list->deliveries[list->n_deliveries++] = d;
        if (d->customer_id > 0)
            ids[nids++] = d->customer_id;
    }
    PQclear(res);
    if (hf_service_audit(svc, ids, nids) != 0) /* names, phones and home addresses */
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_DELIVERIES;
    rep->deliveries = list;
    return HF_OK;
}

int calllog_delivery_done(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                          hf_arena_t *a)
{
    (void)self;
    hf_store_t *st = hf_service_store(svc);
    char tz[64], role[16];
    int rc;
    if ((rc = calllog_branch_tz(st, req->branch, tz, rep, a)) != HF_OK)
        return rc;
    int64_t id = req->delivery_done ? req->delivery_done->id : 0;
    if (id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "id", "the delivery's id is required");
    const char *actor = S(req->actor);
    if (*actor == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "actor",
                       "the deliverer marks a delivery done: say who you are with --as");
    if (calllog_agent_role(st, req->branch, actor, role) != 0)
        return HF_UNAVAILABLE;
    if (strcmp(role, "deliver") != 0 && !calllog_role_supervises(role))
        return hf_fail(rep, a, HF_CONFLICT, "actor",
                       "only a deliverer (or a supervisor) marks a delivery done; %s is %s", actor,
                       *role ? role : "not an agent of this branch");
    char idtxt[24], at[24];
    int64_t now = hf_clock_now_ms();
    const char *p[] = {hf_pg_i64(idtxt, id), req->branch, actor, hf_pg_i64(at, now)};
    /* the guarded transition: only a pending entry becomes delivered, so two deliverers (or
     * one pressing twice) cannot deliver it twice */
    PGresult *res = hf_store_query(st, &CALLLOG_Q_DELIVERY_DONE, 4, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    if (PQntuples(res) == 0) {
        PQclear(res);
        res = hf_store_query(st, &CALLLOG_Q_DELIVERY_OF, 2, p);
        if (res == NULL)
            return HF_UNAVAILABLE;
        if (PQntuples(res) == 0) {
            PQclear(res);
            return hf_fail(rep, a, HF_NOT_FOUND, "id", "no delivery %lld in branch %s",
                           (long long)id, req->branch);
        }
        char when[24];
        hf_time_local_format(hf_pg_int(res, 0, 1), tz, when);
        rc = hf_fail(rep, a, HF_CONFLICT, "id",
                     "delivery %lld was already delivered by %s at %s (%s): it is never "
                     "delivered twice",
                     (long long)id, hf_pg_str(res, 0, 0), when, tz);
        PQclear(res);
        return rc;
    }
    Huifang__V1__Delivery *d = calllog_delivery_from_row(res, 0, a);
    PQclear(res);
    Huifang__V1__DeliveryDelivered ev = HUIFANG__V1__DELIVERY_DELIVERED__INIT;
    ev.delivery = d;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_DELIVERY_DELIVERED;
    env.delivery_delivered = &ev;
    if (hf_service_emit(svc, &env) != 0)
        return HF_UNAVAILABLE;
    hf_info("delivery_delivered", "delivery=%lld deliverer=%s", (long long)d->id, d->deliverer);
    if (hf_service_audit(svc, &d->customer_id, d->customer_id > 0 ? 1 : 0) != 0)
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_DELIVERY;
    rep->delivery = d;
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * Quality checks
 * ------------------------------------------------------------------------------------- */

/* The branch's sample rate (its own, else the default). -1 on a store error. */
static int s_review_rate(hf_store_t *st, const char *branch)
{
    const char *p[] = {branch};
    PGresult *res = hf_store_query(st, &CALLLOG_Q_REVIEW_RATE, 1, p);
    if (res == NULL)
        return -1;
    int percent = PQntuples(res) ? (int)hf_pg_int(res, 0, 0) : 0;
    PQclear(res);
    return percent;
}

#define REVIEW_NCOLS 9

static Huifang__V1__Review *s_review_from_row(const PGresult *res, int i, hf_arena_t *a)
{
    Huifang__V1__Review *r = hf_new(a, Huifang__V1__Review);
    huifang__v1__review__init(r);
    r->contact_id = hf_pg_int(res, i, 0);
    r->branch = hf_arena_strdup(a, hf_pg_str(res, i, 1));
    r->agent = hf_arena_strdup(a, hf_pg_str(res, i, 2));
    r->date = hf_arena_strdup(a, hf_pg_str(res, i, 3));
    r->sampled = hf_pg_bool(res, i, 4);
    r->score = (int32_t)hf_pg_int(res, i, 5);
    r->note = hf_arena_strdup(a, hf_pg_str(res, i, 6));
    r->reviewer = hf_arena_strdup(a, hf_pg_str(res, i, 7));
    r->scored_at_ms = hf_pg_int(res, i, 8);
    return r;
}

/* Draws the day's sample: for each agent, the share of their phone calls of that day that
 * the rate asks for (rounded up), chosen by a hash of branch, day and contact id — so the
 * same day always gives the same calls, and a call once drawn stays drawn. Calls logged
 * after an earlier draw only top the sample up. Emits review_sampled for new draws. */
static int s_draw_sample(hf_service_t *svc, const char *branch, const char *date, int percent,
                         hf_arena_t *a)
{
    char pct[16];
    const char *p[] = {branch, date, hf_pg_i64(pct, percent)};
    PGresult *res = hf_store_query(hf_service_store(svc), &CALLLOG_Q_REVIEW_SAMPLE, 3, p);
    if (res == NULL)
        return -1;
    int n = PQntuples(res);
    int rc = 0;
    if (n > 0) {
        Huifang__V1__ReviewSampled ev = HUIFANG__V1__REVIEW_SAMPLED__INIT;
        ev.date = (char *)date;
        ev.reviews = hf_new_array(a, Huifang__V1__Review *, n);
        for (int i = 0; i < n; i++)
            ev.reviews[ev.n_reviews++] = s_review_from_row(res, i, a);
        hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
        env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_REVIEW_SAMPLED;
        env.review_sampled = &ev;
        rc = hf_service_emit(svc, &env);
        hf_info("review_sampled", "date=%s drawn=%d percent=%d", date, n, percent);
    }
    PQclear(res);
    return rc;
}

int calllog_review_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a)
{
    (void)self;
    hf_store_t *st = hf_service_store(svc);
    char tz[64], today[11];
    int rc;
    if ((rc = calllog_branch_tz(st, req->branch, tz, rep, a)) != HF_OK)
        return rc;
    const Huifang__V1__ReviewList *q = req->review_list;
    const char *date = q && q->date && *q->date ? q->date : NULL;
    const char *agent = q && q->agent ? q->agent : "";
    int32_t day, now_day = hf_time_local_day(hf_clock_now_ms(), tz);
    if (date && hf_date_parse(date, &day) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "date", "date \"%s\" is not a date (YYYY-MM-DD)",
                       date);
    if (date && day > now_day)
        return hf_fail(rep, a, HF_BAD_INPUT, "date",
                       "date %s is in the future: there are no calls to check yet", date);
    if (date == NULL) {
        hf_date_format(now_day, today);
        date = today;
    }
    int percent = s_review_rate(st, req->branch);
    if (percent < 0 || s_draw_sample(svc, req->branch, date, percent, a) != 0)
        return HF_UNAVAILABLE;
    const char *p[] = {req->branch, date, agent};
    PGresult *res = hf_store_query(st, &CALLLOG_Q_REVIEWS, 3, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__Reviews *list = hf_new(a, Huifang__V1__Reviews);
    huifang__v1__reviews__init(list);
    list->percent = percent;
    list->date = hf_arena_strdup(a, date);
    int n = PQntuples(res);
    list->reviews = hf_new_array(a, Huifang__V1__Review *, n);
    int64_t *ids = hf_new_array(a, int64_t, n + 1);
    size_t nids = 0;
    for (int i = 0; i < n; i++) {
        Huifang__V1__Review *r = s_review_from_row(res, i, a);
        /* the contact's columns follow the review's */
        r->contact = calllog_contact_from_row(res, i, REVIEW_NCOLS, true, a);
        list->reviews[list->n_reviews++] = r;
        if (r->contact && r->contact->customer_id > 0)
            ids[nids++] = r->contact->customer_id;
    }
    PQclear(res);
    if (hf_service_audit(svc, ids, nids) != 0) /* the calls' notes */
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_REVIEWS;
    rep->reviews = list;
    return HF_OK;
}

int calllog_review_score(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a)
{
    (void)self;
    hf_store_t *st = hf_service_store(svc);
    char tz[64];
    int rc;
    if ((rc = calllog_branch_tz(st, req->branch, tz, rep, a)) != HF_OK)
        return rc;
    const Huifang__V1__ReviewScore *s = req->review_score;
    if (s == NULL || s->contact_id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "contact", "the contact to score is required");
    if (s->score < 1 || s->score > 5)
        return hf_fail(rep, a, HF_BAD_INPUT, "score", "score %d must be 1..5", s->score);
    if ((rc = calllog_check_text(s->note, "note", CALLLOG_TEXT_MAX, rep, a)) != HF_OK)
        return rc;
    if ((rc = calllog_need_supervisor(st, req, false, "score a call", rep, a)) != HF_OK)
        return rc;
    char cid[24], score[16], at[24];
    const char *p[] = {hf_pg_i64(cid, s->contact_id),
                       req->branch,
                       hf_pg_i64(score, s->score),
                       S(s->note),
                       req->actor,
                       hf_pg_i64(at, hf_clock_now_ms()),
                       tz};
    PGresult *res = hf_store_query(st, &CALLLOG_Q_CONTACT_IN_BRANCH, 2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int found = PQntuples(res);
    PQclear(res);
    if (!found)
        return hf_fail(rep, a, HF_NOT_FOUND, "contact", "no contact %lld in branch %s",
                       (long long)s->contact_id, req->branch);
    /* a call outside the sample may be checked too (sampled = false); a score is final */
    res = hf_store_query(st, &CALLLOG_Q_REVIEW_SCORE, 7, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return hf_fail(rep, a, HF_CONFLICT, "contact", "contact %lld is already scored",
                       (long long)s->contact_id);
    }
    Huifang__V1__Review *r = s_review_from_row(res, 0, a);
    PQclear(res);
    Huifang__V1__ReviewScored ev = HUIFANG__V1__REVIEW_SCORED__INIT;
    ev.review = r;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_REVIEW_SCORED;
    env.review_scored = &ev;
    if (hf_service_emit(svc, &env) != 0)
        return HF_UNAVAILABLE;
    hf_info("review_scored", "contact=%lld score=%d reviewer=%s", (long long)r->contact_id,
            r->score, r->reviewer);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_REVIEW;
    rep->review = r;
    return HF_OK;
}

int calllog_review_rate(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a)
{
    (void)self;
    hf_store_t *st = hf_service_store(svc);
    char tz[64];
    int rc;
    if ((rc = calllog_branch_tz(st, req->branch, tz, rep, a)) != HF_OK)
        return rc;
    int percent = req->review_rate ? req->review_rate->percent : -1;
    if (percent < 0 || percent > 100)
        return hf_fail(rep, a, HF_BAD_INPUT, "percent", "percent %d must be 0..100", percent);
    if ((rc = calllog_need_supervisor(st, req, true, "set the quality-check sample", rep, a)) !=
        HF_OK)
        return rc;
    char pct[16];
    const char *p[] = {req->branch, hf_pg_i64(pct, percent)};
    if (hf_store_query_run(st, &CALLLOG_Q_REVIEW_RATE_SET, 2, p) != 0)
        return HF_UNAVAILABLE;
    Huifang__V1__Reviews *r = hf_new(a, Huifang__V1__Reviews);
    huifang__v1__reviews__init(r);
    r->percent = percent;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_REVIEWS;
    rep->reviews = r;
    return HF_OK;
}
