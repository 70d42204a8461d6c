/* complaint_return: the return register (requests any agent may file, decisions only a
 * manager may take) and the configuration commands (resolution periods, business hours,
 * the return policy). The refund itself is complaint_refund_compute(), a pure function. */
#include "complaint_internal.h"
#include "complaint_refund.h"
#include "complaint_sql.h"
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_time.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- returns ---- */

static Huifang__V1__ReturnRequest *s_return_from_row(const PGresult *res, int i, hf_arena_t *a)
{
    Huifang__V1__ReturnRequest *r = hf_new(a, Huifang__V1__ReturnRequest);
    huifang__v1__return_request__init(r);
    r->id = hf_pg_int(res, i, 0);
    r->branch = hf_arena_strdup(a, hf_pg_str(res, i, 1));
    r->purchase_id = hf_pg_int(res, i, 2);
    r->customer_id = hf_pg_int(res, i, 3);
    r->reason = hf_arena_strdup(a, hf_pg_str(res, i, 4));
    r->packaging_intact = hf_pg_bool(res, i, 5);
    r->used_qty = (int32_t)hf_pg_int(res, i, 6);
    r->state = hf_arena_strdup(a, hf_pg_str(res, i, 7));
    r->refund_fen = hf_pg_int(res, i, 8);
    r->decided_by = hf_arena_strdup(a, hf_pg_str(res, i, 9));
    r->product = hf_arena_strdup(a, hf_pg_str(res, i, 10));
    r->quantity = (int32_t)hf_pg_int(res, i, 11);
    r->price_paid_fen = hf_pg_int(res, i, 12);
    r->unit_price_fen = hf_pg_int(res, i, 13);
    r->depreciation_fen = hf_pg_int(res, i, 14);
    r->packaging_fee_fen = hf_pg_int(res, i, 15);
    r->requested_by = hf_arena_strdup(a, hf_pg_str(res, i, 16));
    r->requested_at_ms = hf_pg_int(res, i, 17);
    r->decided_at_ms = hf_pg_int(res, i, 18);
    r->decision_reason = hf_arena_strdup(a, hf_pg_str(res, i, 19));
    return r;
}

static int s_emit_return(hf_service_t *svc, Huifang__V1__ReturnRequest *r, bool decided)
{
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    Huifang__V1__ReturnRequested rq = HUIFANG__V1__RETURN_REQUESTED__INIT;
    Huifang__V1__ReturnDecided rd = HUIFANG__V1__RETURN_DECIDED__INIT;
    env.branch = r->branch;
    if (decided) {
        rd.request = r;
        env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_RETURN_DECIDED;
        env.return_decided = &rd;
    } else {
        rq.request = r;
        env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_RETURN_REQUESTED;
        env.return_requested = &rq;
    }
    return hf_service_emit(svc, &env);
}

int complaint_return_file(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                          hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__ReturnFile *f = req->return_file;
    hf_store_t *st = hf_service_store(svc);
    char tz[64];
    int rc;
    if ((rc = complaint_need_branch(svc, req, tz, rep, a)) != HF_OK)
        return rc;
    if (f->purchase_id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "purchase", "purchase is required");
    if (f->used_qty < 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "used", "used must not be negative");
    const char *packaging = S(f->packaging);
    if (*packaging == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "packaging",
                       "packaging is required (intact or opened)");
    if (strcmp(packaging, "intact") != 0 && strcmp(packaging, "opened") != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "packaging",
                       "packaging \"%s\" is not one of intact, opened", packaging);
    if ((rc = complaint_check_text(f->reason, "reason", 500, false, rep, a)) != HF_OK)
        return rc;
    char pid[24];
    const char *pp[] = {hf_pg_i64(pid, f->purchase_id), req->branch};
    PGresult *res = hf_store_query(st, &COMPLAINT_Q_RETURN_PURCHASE, 2, pp);
    if (res == NULL)
        return HF_UNAVAILABLE;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return hf_fail(rep, a, HF_NOT_FOUND, "purchase", "no purchase %lld in branch %s",
                       (long long)f->purchase_id, req->branch);
    }
    int64_t customer = hf_pg_int(res, 0, 0);
    const char *product = hf_arena_strdup(a, hf_pg_str(res, 0, 1));
    int32_t quantity = (int32_t)hf_pg_int(res, 0, 2);
    int64_t paid = hf_pg_int(res, 0, 3);
    int64_t unit = hf_pg_int(res, 0, 4);
    PQclear(res);
    if (f->used_qty > quantity)
        return hf_fail(rep, a, HF_BAD_INPUT, "used", "used %d is more than the %d bought",
                       f->used_qty, quantity);
    res = hf_store_query(st, &COMPLAINT_Q_RETURN_OPEN_OF_PURCHASE, 1, pp);
    if (res == NULL)
        return HF_UNAVAILABLE;
    if (PQntuples(res)) {
        rc = hf_fail(rep, a, HF_CONFLICT, "purchase", "purchase %lld already has return %s (%s)",
                     (long long)f->purchase_id, hf_pg_str(res, 0, 0), hf_pg_str(res, 0, 1));
        PQclear(res);
        return rc;
    }
    PQclear(res);
    const char *pb[] = {req->branch};
    res = hf_store_query(st, &COMPLAINT_Q_RETURN_FEE, 1, pb);
    if (res == NULL)
        return HF_UNAVAILABLE;
    complaint_refund_in_t in = {
        .price_paid_fen = paid,
        .unit_price_fen = unit,
        .quantity = quantity,
        .used_qty = f->used_qty,
        .opened = strcmp(packaging, "opened") == 0,
        .opened_fee_fen = PQntuples(res) ? hf_pg_int(res, 0, 0) : 0,
        .opened_fee_bp = PQntuples(res) ? (int32_t)hf_pg_int(res, 0, 1) : 0,
    };
    PQclear(res);
    complaint_refund_t out;
    if (complaint_refund_compute(&in, &out) != 0)
        return hf_fail(rep, a, HF_INTERNAL, "purchase",
                       "purchase %lld has facts no refund can be computed from",
                       (long long)f->purchase_id);
    char cid[24], qty[16], paidtxt[24], unittxt[24], used[16], dep[24], pack[24], refund[24],
        at[24];
    const char *pi[] = {req->branch,
                        pid,
                        hf_pg_i64(cid, customer),
                        product,
                        hf_pg_i64(qty, quantity),
                        hf_pg_i64(paidtxt, paid),
                        hf_pg_i64(unittxt, unit),
                        hf_pg_i64(used, f->used_qty),
                        in.opened ? "false" : "true",
                        f->reason,
                        hf_pg_i64(dep, out.depreciation_fen),
                        hf_pg_i64(pack, out.packaging_fee_fen),
                        hf_pg_i64(refund, out.refund_fen),
                        S(req->actor),
                        hf_pg_i64(at, hf_clock_now_ms())};
    res = hf_store_query(st, &COMPLAINT_Q_RETURN_ADD, 15, pi);
    if (res == NULL) {
        if (strcmp(hf_store_sqlstate(st), "23505") == 0)
            return hf_fail(rep, a, HF_CONFLICT, "purchase",
                           "purchase %lld already has a return request", (long long)f->purchase_id);
        return HF_UNAVAILABLE;
    }
    Huifang__V1__ReturnRequest *r = s_return_from_row(res, 0, a);
    PQclear(res);
    if (s_emit_return(svc, r, false) != 0)
        return HF_UNAVAILABLE;
    hf_info("return_requested",
            "return=%lld branch=%s purchase=%lld used=%d packaging=%s"
            " refund_fen=%lld",
            (long long)r->id, r->branch, (long long)r->purchase_id, r->used_qty, packaging,
            (long long)r->refund_fen);
    if (hf_service_audit(svc, &r->customer_id, 1) != 0) /* the customer's purchase */
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_RETURN_REQUEST;
    rep->return_request = r;
    return HF_OK;
}

int complaint_return_decide(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                            hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__ReturnDecide *d = req->return_decide;
    hf_store_t *st = hf_service_store(svc);
    char tz[64], role[16];
    int rc;
    const char *verb = d->approve ? "approve" : "reject";
    if ((rc = complaint_need_branch(svc, req, tz, rep, a)) != HF_OK)
        return rc;
    if (d->id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "id", "id must be a positive return id");
    if (!d->approve &&
        (rc = complaint_check_text(d->reason, "reason", 500, false, rep, a)) != HF_OK)
        return rc;
    if (d->approve && (rc = complaint_check_text(d->reason, "reason", 500, true, rep, a)) != HF_OK)
        return rc;
    /* staff may not approve a return themselves: a manager decides, and the attempt of
     * anyone else is refused outright, never queued for later */
    if (req->actor == NULL || *req->actor == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "actor",
                       "only a manager may %s a return: act as one with --as", verb);
    if (complaint_agent_role(st, req->branch, req->actor, role) != 0)
        return HF_UNAVAILABLE;
    if (*role == '\0')
        return hf_fail(rep, a, HF_CONFLICT, "actor",
                       "only a manager may %s a return: %s is not an agent of branch %s", verb,
                       req->actor, req->branch);
    if (strcmp(role, "manager") != 0)
        return hf_fail(rep, a, HF_CONFLICT, "actor",
                       "only a manager may %s a return: %s is a %s agent", verb, req->actor, role);
    char id[24];
    const char *p[] = {hf_pg_i64(id, d->id), req->branch};
    PGresult *res = hf_store_query(st, &COMPLAINT_Q_RETURN_LOCK, 2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return hf_fail(rep, a, HF_NOT_FOUND, "id", "no return %lld in branch %s", (long long)d->id,
                       req->branch);
    }
    if (strcmp(hf_pg_str(res, 0, 0), "requested") != 0) {
        rc = hf_fail(rep, a, HF_CONFLICT, "id", "return %lld is %s already", (long long)d->id,
                     hf_pg_str(res, 0, 0));
        PQclear(res);
        return rc;
    }
    PQclear(res);
    char at[24];
    const char *pu[] = {id, d->approve ? "approved" : "rejected", req->actor,
                        hf_pg_i64(at, hf_clock_now_ms()), S(d->reason)};
    res = hf_store_query(st, &COMPLAINT_Q_RETURN_DECIDE, 5, pu);
    if (res == NULL)
        return HF_UNAVAILABLE;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return hf_fail(rep, a, HF_CONFLICT, "id", "return %lld was decided meanwhile",
                       (long long)d->id);
    }
    Huifang__V1__ReturnRequest *r = s_return_from_row(res, 0, a);
    PQclear(res);
    if (s_emit_return(svc, r, true) != 0)
        return HF_UNAVAILABLE;
    hf_info("return_decided", "return=%lld branch=%s purchase=%lld state=%s by=%s refund_fen=%lld",
            (long long)r->id, r->branch, (long long)r->purchase_id, r->state, r->decided_by,
            (long long)r->refund_fen);
    if (hf_service_audit(svc, &r->customer_id, 1) != 0) /* the customer's purchase */
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_RETURN_REQUEST;
    rep->return_request = r;
    return HF_OK;
}

int complaint_return_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                          hf_arena_t *a)
{
    (void)self;
    char tz[64];
    int rc;
    if ((rc = complaint_need_branch(svc, req, tz, rep, a)) != HF_OK)
        return rc;
    const char *p[] = {req->branch, req->return_list->pending ? "true" : "false"};
    PGresult *res = hf_store_query(hf_service_store(svc), &COMPLAINT_Q_RETURN_LIST, 2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__ReturnListResult *r = hf_new(a, Huifang__V1__ReturnListResult);
    huifang__v1__return_list_result__init(r);
    int n = PQntuples(res);
    r->requests = hf_new_array(a, Huifang__V1__ReturnRequest *, n);
    int64_t *ids = hf_new_array(a, int64_t, n + 1);
    for (int i = 0; i < n; i++) {
        r->requests[r->n_requests++] = s_return_from_row(res, i, a);
        ids[i] = r->requests[i]->customer_id;
    }
    PQclear(res);
    if (hf_service_audit(svc, ids, (size_t)n) != 0)
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_RETURNS;
    rep->returns = r;
    return HF_OK;
}

/* ---- configuration ---- */

static const char *const s_categories[] = {
    "product-effect", "adverse-reaction", "attitude", "delivery", "price", "other", NULL};

/* Configuration is for the branch's head or manager, or for ops (no actor). */
static int s_may_configure(hf_service_t *svc, const hf_request_t *req, hf_reply_t *rep,
                           hf_arena_t *a)
{
    char role[16];
    if (req->actor == NULL || *req->actor == '\0')
        return HF_OK;
    if (complaint_agent_role(hf_service_store(svc), req->branch, req->actor, role) != 0)
        return HF_UNAVAILABLE;
    if (strcmp(role, "head") != 0 && strcmp(role, "manager") != 0)
        return hf_fail(rep, a, HF_CONFLICT, "actor",
                       "only the branch's head or manager may change this: %s is %s%s", req->actor,
                       *role ? "a " : "not an agent of the branch", *role ? role : "");
    return HF_OK;
}

static void s_minutes_format(int a, int b, char *out, size_t n)
{
    snprintf(out, n, "%02d:%02d-%02d:%02d", a / 60, a % 60, b / 60, b % 60);
}

/* Fills the effective configuration of the request's branch. HF_OK or UNAVAILABLE. */
static int s_config(hf_service_t *svc, const hf_request_t *req, hf_reply_t *rep, hf_arena_t *a)
{
    hf_store_t *st = hf_service_store(svc);
    Huifang__V1__ComplaintConfig *cfg = hf_new(a, Huifang__V1__ComplaintConfig);
    huifang__v1__complaint_config__init(cfg);
    cfg->slas = hf_new_array(a, Huifang__V1__ComplaintSla *, 7);
    for (int i = 0; s_categories[i]; i++) {
        const char *p[] = {req->branch, s_categories[i]};
        PGresult *res = hf_store_query(st, &COMPLAINT_Q_CONFIG_SLA, 2, p);
        if (res == NULL)
            return HF_UNAVAILABLE;
        Huifang__V1__ComplaintSla *s = hf_new(a, Huifang__V1__ComplaintSla);
        huifang__v1__complaint_sla__init(s);
        s->category = (char *)s_categories[i];
        s->hours = 24;
        s->wait_hours = 72;
        if (PQntuples(res)) {
            s->branch = hf_arena_strdup(a, hf_pg_str(res, 0, 0));
            s->hours = (int32_t)hf_pg_int(res, 0, 1);
            s->business_hours = hf_pg_bool(res, 0, 2);
            s->wait_hours = (int32_t)hf_pg_int(res, 0, 3);
        }
        PQclear(res);
        cfg->slas[cfg->n_slas++] = s;
    }
    const char *pb[] = {req->branch};
    PGresult *res = hf_store_query(st, &COMPLAINT_Q_CONFIG_CALENDAR, 1, pb);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__ComplaintCalendar *cal = hf_new(a, Huifang__V1__ComplaintCalendar);
    huifang__v1__complaint_calendar__init(cal);
    if (PQntuples(res)) {
        char buf[32];
        cal->branch = hf_arena_strdup(a, hf_pg_str(res, 0, 0));
        s_minutes_format((int)hf_pg_int(res, 0, 1), (int)hf_pg_int(res, 0, 2), buf, sizeof buf);
        cal->day = hf_arena_strdup(a, buf);
        int ls = (int)hf_pg_int(res, 0, 3), le = (int)hf_pg_int(res, 0, 4);
        if (le > ls) {
            s_minutes_format(ls, le, buf, sizeof buf);
            cal->lunch = hf_arena_strdup(a, buf);
        }
        complaint_workdays_format((unsigned)hf_pg_int(res, 0, 5), buf);
        cal->workdays = hf_arena_strdup(a, buf);
    }
    PQclear(res);
    res = hf_store_query(st, &COMPLAINT_Q_CONFIG_HOLIDAYS, 1, pb);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int n = PQntuples(res);
    cal->holidays = hf_new_array(a, char *, n);
    for (int i = 0; i < n; i++)
        cal->holidays[cal->n_holidays++] = hf_arena_strdup(a, hf_pg_str(res, i, 0));
    PQclear(res);
    cfg->calendar = cal;
    res = hf_store_query(st, &COMPLAINT_Q_CONFIG_POLICY, 1, pb);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__ReturnPolicy *pol = hf_new(a, Huifang__V1__ReturnPolicy);
    huifang__v1__return_policy__init(pol);
    if (PQntuples(res)) {
        pol->branch = hf_arena_strdup(a, hf_pg_str(res, 0, 0));
        pol->opened_fee_fen = hf_pg_int(res, 0, 1);
        pol->opened_fee_bp = (int32_t)hf_pg_int(res, 0, 2);
    }
    PQclear(res);
    cfg->policy = pol;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_COMPLAINT_CONFIG;
    rep->complaint_config = cfg;
    return HF_OK;
}

int complaint_config_show(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                          hf_arena_t *a)
{
    (void)self;
    char tz[64];
    int rc;
    if ((rc = complaint_need_branch(svc, req, tz, rep, a)) != HF_OK)
        return rc;
    return s_config(svc, req, rep, a);
}

int complaint_sla_set(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                      hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__ComplaintSla *s = req->complaint_sla_set->sla;
    char tz[64];
    int rc;
    if ((rc = complaint_need_branch(svc, req, tz, rep, a)) != HF_OK ||
        (rc = s_may_configure(svc, req, rep, a)) != HF_OK)
        return rc;
    if (s == NULL)
        return hf_fail(rep, a, HF_BAD_INPUT, "sla", "sla is required");
    const char *category = s->category && *s->category ? s->category : "*";
    bool known = strcmp(category, "*") == 0;
    for (int i = 0; s_categories[i]; i++)
        known = known || strcmp(category, s_categories[i]) == 0;
    if (!known)
        return hf_fail(rep, a, HF_BAD_INPUT, "category",
                       "category \"%s\" is not one of product-effect, adverse-reaction, attitude,"
                       " delivery, price, other, *",
                       category);
    if (s->hours < 1 || s->hours > 720)
        return hf_fail(rep, a, HF_BAD_INPUT, "hours", "hours must be 1..720");
    /* the wait limit: 0 in the request is the default, -1 none (stored as 0) */
    if (s->wait_hours < -1 || s->wait_hours > 720)
        return hf_fail(rep, a, HF_BAD_INPUT, "wait_hours",
                       "wait hours must be 1..720, or none (-1)");
    int wait = s->wait_hours == 0 ? 72 : s->wait_hours < 0 ? 0 : s->wait_hours;
    char hours[16], waittxt[16];
    const char *p[] = {req->branch, category, hf_pg_i64(hours, s->hours),
                       s->business_hours ? "true" : "false", hf_pg_i64(waittxt, wait)};
    if (hf_store_query_run(hf_service_store(svc), &COMPLAINT_Q_SLA_SET, 5, p) != 0)
        return HF_UNAVAILABLE;
    hf_info("sla_set", "branch=%s category=%s hours=%d business=%d wait_hours=%d actor=%s",
            req->branch, category, s->hours, s->business_hours, wait, S(req->actor));
    return s_config(svc, req, rep, a);
}

/* Parses "HH:MM-HH:MM" into local minutes. 0 or -1. */
static int s_span_parse(const char *text, int *from, int *to)
{
    hf_window_t w[2];
    if (hf_windows_parse(text, w, 2) != 1)
        return -1;
    *from = w[0].start;
    *to = w[0].end;
    return 0;
}

int complaint_calendar_set(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                           hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__ComplaintCalendar *c = req->complaint_calendar_set->calendar;
    hf_store_t *st = hf_service_store(svc);
    char tz[64];
    int rc;
    if ((rc = complaint_need_branch(svc, req, tz, rep, a)) != HF_OK ||
        (rc = s_may_configure(svc, req, rep, a)) != HF_OK)
        return rc;
    if (c == NULL)
        return hf_fail(rep, a, HF_BAD_INPUT, "calendar", "calendar is required");
    int ds, de, ls = 0, le = 0;
    if (c->day == NULL || *c->day == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "day", "day is required (09:00-18:00)");
    if (s_span_parse(c->day, &ds, &de) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "day",
                       "day \"%s\" must look like 09:00-18:00 (start before end)", c->day);
    if (c->lunch && *c->lunch) {
        if (s_span_parse(c->lunch, &ls, &le) != 0)
            return hf_fail(rep, a, HF_BAD_INPUT, "lunch",
                           "lunch \"%s\" must look like 12:00-13:00 (start before end)", c->lunch);
        if (ls <= ds || le >= de)
            return hf_fail(rep, a, HF_BAD_INPUT, "lunch", "lunch %s must lie inside the day %s",
                           c->lunch, c->day);
    }
    unsigned days = 31;
    if (c->workdays && *c->workdays && complaint_workdays_parse(c->workdays, &days) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "workdays",
                       "workdays \"%s\" must be ISO weekdays like 1-5 or 1,2,3,4,5,6", c->workdays);
    int32_t *hol = hf_new_array(a, int32_t, c->n_holidays + 1);
    for (size_t i = 0; i < c->n_holidays; i++)
        if (hf_date_parse(c->holidays[i], &hol[i]) != 0)
            return hf_fail(rep, a, HF_BAD_INPUT, "holidays",
                           "holiday \"%s\" is not a date (YYYY-MM-DD)", c->holidays[i]);
    if (c->n_holidays > COMPLAINT_MAX_HOLIDAYS)
        return hf_fail(rep, a, HF_BAD_INPUT, "holidays", "at most %d holidays",
                       COMPLAINT_MAX_HOLIDAYS);
    char dstxt[16], detxt[16], lstxt[16], letxt[16], daystxt[16];
    const char *p[] = {req->branch,          hf_pg_i64(dstxt, ds), hf_pg_i64(detxt, de),
                       hf_pg_i64(lstxt, ls), hf_pg_i64(letxt, le), hf_pg_i64(daystxt, days)};
    if (hf_store_query_run(st, &COMPLAINT_Q_CALENDAR_SET, 6, p) != 0)
        return HF_UNAVAILABLE;
    if (c->set_holidays) {
        const char *pb[] = {req->branch};
        if (hf_store_query_run(st, &COMPLAINT_Q_HOLIDAYS_CLEAR, 1, pb) != 0)
            return HF_UNAVAILABLE;
        for (size_t i = 0; i < c->n_holidays; i++) {
            char day[11];
            hf_date_format(hol[i], day);
            const char *ph[] = {req->branch, day};
            if (hf_store_query_run(st, &COMPLAINT_Q_HOLIDAY_ADD, 2, ph) != 0)
                return HF_UNAVAILABLE;
        }
    }
    hf_info("calendar_set", "branch=%s day=%s workdays=%u holidays=%zu actor=%s", req->branch,
            c->day, days, c->n_holidays, S(req->actor));
    return s_config(svc, req, rep, a);
}

int complaint_return_policy_set(hf_service_t *svc, void *self, const hf_request_t *req,
                                hf_reply_t *rep, hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__ReturnPolicy *pol = req->return_policy_set->policy;
    char tz[64];
    int rc;
    if ((rc = complaint_need_branch(svc, req, tz, rep, a)) != HF_OK ||
        (rc = s_may_configure(svc, req, rep, a)) != HF_OK)
        return rc;
    if (pol == NULL)
        return hf_fail(rep, a, HF_BAD_INPUT, "policy", "policy is required");
    if (pol->opened_fee_fen < 0 || pol->opened_fee_fen > 100000000)
        return hf_fail(rep, a, HF_BAD_INPUT, "opened_fee", "opened_fee must be 0..1000000 yuan");
    if (pol->opened_fee_bp < 0 || pol->opened_fee_bp > 10000)
        return hf_fail(rep, a, HF_BAD_INPUT, "opened_percent", "opened_percent must be 0..100");
    char fen[24], bp[16];
    const char *p[] = {req->branch, hf_pg_i64(fen, pol->opened_fee_fen),
                       hf_pg_i64(bp, pol->opened_fee_bp)};
    if (hf_store_query_run(hf_service_store(svc), &COMPLAINT_Q_POLICY_SET, 3, p) != 0)
        return HF_UNAVAILABLE;
    hf_info("return_policy_set", "branch=%s opened_fee_fen=%lld opened_fee_bp=%d actor=%s",
            req->branch, (long long)pol->opened_fee_fen, pol->opened_fee_bp, S(req->actor));
    return s_config(svc, req, rep, a);
}
