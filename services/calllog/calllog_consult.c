/* calllog_consult: inbound consultation calls — every call recorded with the caller, the
 * chief complaint, the medium that brought them and the outcome. A purchase opens a shipping
 * notice in the delivery book; a regulator's call raises an alert to the manager. Intake
 * turns consult_logged into a customer and a purchase, or a lead with the "consultation not
 * converted" plan. */
#include "calllog_internal.h"
#include "calllog_sql.h"
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_phone.h"
#include "hf_time.h"
#include <stdio.h>
#include <string.h>

static Huifang__V1__Consultation *s_consult_from_row(const PGresult *res, int i, hf_arena_t *a)
{
    Huifang__V1__Consultation *k = hf_new(a, Huifang__V1__Consultation);
    huifang__v1__consultation__init(k);
    k->id = hf_pg_int(res, i, 0);
    k->branch = hf_arena_strdup(a, hf_pg_str(res, i, 1));
    k->name = hf_arena_strdup(a, hf_pg_str(res, i, 2));
    k->phone = hf_arena_strdup(a, hf_pg_str(res, i, 3));
    k->gender = hf_arena_strdup(a, hf_pg_str(res, i, 4));
    k->age = (int32_t)hf_pg_int(res, i, 5);
    k->address = hf_arena_strdup(a, hf_pg_str(res, i, 6));
    k->chief_complaint = hf_arena_strdup(a, hf_pg_str(res, i, 7));
    k->media = hf_arena_strdup(a, hf_pg_str(res, i, 8));
    k->outcome = hf_arena_strdup(a, hf_pg_str(res, i, 9));
    k->product = hf_arena_strdup(a, hf_pg_str(res, i, 10));
    k->quantity = (int32_t)hf_pg_int(res, i, 11);
    k->agent = hf_arena_strdup(a, hf_pg_str(res, i, 12));
    k->logged_at_ms = hf_pg_int(res, i, 13);
    k->region = hf_arena_strdup(a, hf_pg_str(res, i, 14));
    k->regulator = hf_pg_bool(res, i, 15);
    k->regulator_unit = hf_arena_strdup(a, hf_pg_str(res, i, 16));
    k->regulator_position = hf_arena_strdup(a, hf_pg_str(res, i, 17));
    k->regulator_contact = hf_arena_strdup(a, hf_pg_str(res, i, 18));
    k->delivery = hf_arena_strdup(a, hf_pg_str(res, i, 19));
    k->delivery_id = hf_pg_int(res, i, 20);
    k->alert_id = hf_pg_int(res, i, 21);
    k->date = hf_arena_strdup(a, hf_pg_str(res, i, 22));
    return k;
}

static Huifang__V1__Alert *s_alert_from_row(const PGresult *res, int i, hf_arena_t *a)
{
    Huifang__V1__Alert *al = hf_new(a, Huifang__V1__Alert);
    huifang__v1__alert__init(al);
    al->id = hf_pg_int(res, i, 0);
    al->branch = hf_arena_strdup(a, hf_pg_str(res, i, 1));
    al->kind = hf_arena_strdup(a, hf_pg_str(res, i, 2));
    al->to_role = hf_arena_strdup(a, hf_pg_str(res, i, 3));
    al->summary = hf_arena_strdup(a, hf_pg_str(res, i, 4));
    al->consultation_id = hf_pg_int(res, i, 5);
    al->raised_by = hf_arena_strdup(a, hf_pg_str(res, i, 6));
    al->raised_at_ms = hf_pg_int(res, i, 7);
    al->acked_at_ms = hf_pg_int(res, i, 8);
    al->acked_by = hf_arena_strdup(a, hf_pg_str(res, i, 9));
    al->ack_note = hf_arena_strdup(a, hf_pg_str(res, i, 10));
    return al;
}

/* Checks a consultation (a shallow copy the handler may fill in) before anything is written:
 * normalises the phone into k->phone (arena) and defaults the delivery of a purchase. */
static int s_check_consultation(hf_store_t *st, const char *branch, Huifang__V1__Consultation *k,
                                hf_reply_t *rep, hf_arena_t *a)
{
    int rc;
    const char *name = S(k->name);
    while (*name == ' ')
        name++;
    if (*name == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "name", "name is required (the caller's name)");
    if ((rc = calllog_check_text(k->name, "name", CALLLOG_NAME_MAX, rep, a)) != HF_OK)
        return rc;
    char phone[24];
    const char *why = NULL;
    if (k->phone && *k->phone) {
        if (hf_phone_normalise(k->phone, phone, sizeof phone, &why) != 0)
            return hf_fail(rep, a, HF_BAD_INPUT, "phone", "phone %s", why);
        k->phone = hf_arena_strdup(a, phone);
    } else if (!k->regulator) {
        return hf_fail(rep, a, HF_BAD_INPUT, "phone", "phone is required (the caller's number)");
    }
    const char *gender = S(k->gender);
    if (*gender && strcmp(gender, "f") != 0 && strcmp(gender, "m") != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "gender", "gender \"%s\" must be f or m", gender);
    if (k->age < 0 || k->age > 150)
        return hf_fail(rep, a, HF_BAD_INPUT, "age", "age %d must be 0..150", k->age);
    if (k->region && *k->region && !calllog_code_valid(k->region))
        return hf_fail(rep, a, HF_BAD_INPUT, "region",
                       "region \"%s\" must be 1-24 letters, digits, '-' or '_'", k->region);
    if ((rc = calllog_check_text(k->address, "address", CALLLOG_SHORT_MAX, rep, a)) != HF_OK ||
        (rc = calllog_check_text(k->chief_complaint, "complaint", CALLLOG_TEXT_MAX, rep, a)) !=
            HF_OK ||
        (rc = calllog_check_text(k->media, "media", CALLLOG_SHORT_MAX, rep, a)) != HF_OK)
        return rc;
    if (k->quantity < 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "quantity", "quantity %d must not be negative",
                       k->quantity);

    if (k->regulator) {
        /* a market regulator or consumer association: recorded and escalated, not a lead */
        if (k->regulator_unit == NULL || *k->regulator_unit == '\0')
            return hf_fail(rep, a, HF_BAD_INPUT, "regulator_unit",
                           "a regulator's call records their unit (--unit)");
        if (k->regulator_contact == NULL || *k->regulator_contact == '\0')
            return hf_fail(rep, a, HF_BAD_INPUT, "regulator_contact",
                           "a regulator's call records how to reach them (--contact)");
        if ((rc = calllog_check_text(k->regulator_unit, "regulator_unit", CALLLOG_SHORT_MAX, rep,
                                     a)) != HF_OK ||
            (rc = calllog_check_text(k->regulator_position, "regulator_position", CALLLOG_SHORT_MAX,
                                     rep, a)) != HF_OK ||
            (rc = calllog_check_text(k->regulator_contact, "regulator_contact", CALLLOG_SHORT_MAX,
                                     rep, a)) != HF_OK)
            return rc;
        if (k->outcome && *k->outcome)
            return hf_fail(rep, a, HF_BAD_INPUT, "outcome",
                           "a regulator's call has no sales outcome (drop --outcome)");
        if ((k->product && *k->product) || k->quantity || (k->delivery && *k->delivery))
            return hf_fail(rep, a, HF_BAD_INPUT, "product",
                           "a regulator's call takes no order (drop --product/--quantity)");
        return HF_OK;
    }
    if ((k->regulator_unit && *k->regulator_unit) ||
        (k->regulator_position && *k->regulator_position) ||
        (k->regulator_contact && *k->regulator_contact))
        return hf_fail(rep, a, HF_BAD_INPUT, "regulator",
                       "unit, position and contact are for a regulator's call (--regulator)");
    if (k->chief_complaint == NULL || *k->chief_complaint == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "complaint",
                       "complaint is required (the caller's chief complaint)");
    if (k->media == NULL || *k->media == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "media",
                       "media is required (the advertisement or medium that brought the caller)");
    const char *outcome = S(k->outcome);
    bool bought = strcmp(outcome, "bought") == 0;
    if (!bought && strcmp(outcome, "not-bought") != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "outcome",
                       *outcome ? "outcome \"%s\" must be bought or not-bought"
                                : "outcome is required (bought or not-bought)%s",
                       outcome);
    if (!bought) {
        if ((k->product && *k->product) || k->quantity)
            return hf_fail(rep, a, HF_BAD_INPUT, "product",
                           "only a purchase names a product and quantity (outcome not-bought)");
        if (k->delivery && *k->delivery)
            return hf_fail(rep, a, HF_BAD_INPUT, "delivery",
                           "only a purchase is delivered (outcome not-bought)");
        return HF_OK;
    }
    if (k->product == NULL || *k->product == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "product", "a purchase names its product (--product)");
    if ((rc = calllog_need_product(st, branch, k->product, "product", rep, a)) != HF_OK)
        return rc;
    if (k->quantity == 0)
        k->quantity = 1;
    if (k->quantity > 10000)
        return hf_fail(rep, a, HF_BAD_INPUT, "quantity", "quantity %d is above 10000", k->quantity);
    const char *delivery = S(k->delivery);
    if (*delivery == '\0')
        k->delivery = "home";
    else if (strcmp(delivery, "home") != 0 && strcmp(delivery, "store") != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "delivery", "delivery \"%s\" must be home or store",
                       delivery);
    return HF_OK;
}

int calllog_consult_log(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a)
{
    (void)self;
    hf_store_t *st = hf_service_store(svc);
    char tz[64];
    int rc;
    if (req->consult_log == NULL || req->consult_log->consultation == NULL)
        return hf_fail(rep, a, HF_BAD_INPUT, "consultation", "the consultation is missing");
    if ((rc = calllog_branch_tz(st, req->branch, tz, rep, a)) != HF_OK)
        return rc;
    /* a shallow copy: the phone is normalised and defaults filled in without touching the
     * request, whose strings protobuf-c frees */
    Huifang__V1__Consultation *k = hf_new(a, Huifang__V1__Consultation);
    *k = *req->consult_log->consultation;
    if ((rc = s_check_consultation(st, req->branch, k, rep, a)) != HF_OK)
        return rc;

    int64_t now = hf_clock_now_ms();
    char day[11], age[16], qty[16], at[24];
    hf_time_local_date(now, tz, day);
    const char *p[] = {req->branch,
                       k->name,
                       S(k->phone),
                       S(k->gender),
                       hf_pg_i64(age, k->age),
                       S(k->address),
                       S(k->region),
                       S(k->chief_complaint),
                       S(k->media),
                       S(k->outcome),
                       S(k->product),
                       hf_pg_i64(qty, k->quantity),
                       S(k->delivery),
                       S(req->actor),
                       k->regulator ? "true" : "false",
                       S(k->regulator_unit),
                       S(k->regulator_position),
                       S(k->regulator_contact),
                       day,
                       hf_pg_i64(at, now)};
    PGresult *res = hf_store_query(st, &CALLLOG_Q_CONSULT_ADD, 20, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__Consultation *out = s_consult_from_row(res, 0, a);
    PQclear(res);

    if (strcmp(S(out->outcome), "bought") == 0 && strcmp(out->delivery, "home") == 0) {
        /* the shipping notice for logistics */
        Huifang__V1__Delivery *d = hf_new(a, Huifang__V1__Delivery);
        huifang__v1__delivery__init(d);
        d->branch = req->branch;
        d->source = "consult";
        d->consultation_id = out->id;
        d->name = out->name;
        d->phone = out->phone;
        d->address = out->address;
        d->region = out->region;
        d->product = out->product;
        d->quantity = out->quantity;
        d->agent = out->agent;
        d->requested_at_ms = now;
        Huifang__V1__Delivery *opened = calllog_open_delivery(svc, d, a);
        if (opened == NULL)
            return HF_UNAVAILABLE;
        out->delivery_id = opened->id;
    }
    if (out->regulator) {
        char cid[24];
        const char *summary = hf_arena_printf(
            a, "call from %s (%s%s%s), contact %s", out->name, out->regulator_unit,
            *out->regulator_position ? ", " : "", out->regulator_position, out->regulator_contact);
        const char *pa[] = {req->branch, summary, hf_pg_i64(cid, out->id), S(req->actor),
                            hf_pg_i64(at, now)};
        res = hf_store_query(st, &CALLLOG_Q_ALERT_REGULATOR, 5, pa);
        if (res == NULL)
            return HF_UNAVAILABLE;
        Huifang__V1__Alert *al = s_alert_from_row(res, 0, a);
        PQclear(res);
        out->alert_id = al->id;
        Huifang__V1__AlertRaised aev = HUIFANG__V1__ALERT_RAISED__INIT;
        aev.alert = al;
        hf_envelope_t aenv = HUIFANG__V1__ENVELOPE__INIT;
        aenv.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_ALERT_RAISED;
        aenv.alert_raised = &aev;
        if (hf_service_emit(svc, &aenv) != 0)
            return HF_UNAVAILABLE;
    }
    Huifang__V1__ConsultLogged ev = HUIFANG__V1__CONSULT_LOGGED__INIT;
    ev.consultation = out;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CONSULT_LOGGED;
    env.consult_logged = &ev;
    if (hf_service_emit(svc, &env) != 0)
        return HF_UNAVAILABLE;
    hf_info("consultation_logged", "consultation=%lld outcome=%s regulator=%d delivery=%lld",
            (long long)out->id, *out->outcome ? out->outcome : "-", (int)out->regulator,
            (long long)out->delivery_id);
    /* a caller's name, phone and complaint: audited, with no customer id (intake registers a
     * buyer later, from the event) */
    if (hf_service_audit(svc, NULL, 0) != 0)
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_CONSULTATION;
    rep->consultation = out;
    return HF_OK;
}

int calllog_consult_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a)
{
    (void)self;
    hf_store_t *st = hf_service_store(svc);
    char tz[64], today[11];
    int rc;
    if ((rc = calllog_branch_tz(st, req->branch, tz, rep, a)) != HF_OK)
        return rc;
    const Huifang__V1__ConsultList *q = req->consult_list;
    const char *date = q && q->date && *q->date ? q->date : NULL;
    int32_t day;
    if (date && hf_date_parse(date, &day) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "date", "date \"%s\" is not a date (YYYY-MM-DD)",
                       date);
    if (date == NULL) {
        hf_time_local_date(hf_clock_now_ms(), tz, today);
        date = today;
    }
    const char *p[] = {req->branch, date, q && q->regulator ? "true" : "false"};
    PGresult *res = hf_store_query(st, &CALLLOG_Q_CONSULTS, 3, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__Consultations *list = hf_new(a, Huifang__V1__Consultations);
    huifang__v1__consultations__init(list);
    int n = PQntuples(res);
    list->consultations = hf_new_array(a, Huifang__V1__Consultation *, n);
    for (int i = 0; i < n; i++)
        list->consultations[list->n_consultations++] = s_consult_from_row(res, i, a);
    PQclear(res);
    if (hf_service_audit(svc, NULL, 0) != 0) /* callers' names and phones, no customer ids */
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_CONSULTATIONS;
    rep->consultations = list;
    return HF_OK;
}

int calllog_alert_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                       hf_arena_t *a)
{
    (void)self;
    hf_store_t *st = hf_service_store(svc);
    char tz[64];
    int rc;
    if ((rc = calllog_branch_tz(st, req->branch, tz, rep, a)) != HF_OK)
        return rc;
    const char *p[] = {req->branch};
    PGresult *res = hf_store_query(st, &CALLLOG_Q_ALERTS, 1, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__Alerts *list = hf_new(a, Huifang__V1__Alerts);
    huifang__v1__alerts__init(list);
    int n = PQntuples(res);
    list->alerts = hf_new_array(a, Huifang__V1__Alert *, n);
    for (int i = 0; i < n; i++)
        list->alerts[list->n_alerts++] = s_alert_from_row(res, i, a);
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_ALERTS;
    rep->alerts = list;
    return HF_OK;
}

/* alerts ack ID: the manager the alert was raised to acknowledges it, once (a second ack is a
 * conflict naming who acknowledged it and when). AlertAcked tells the stream. */
int calllog_alert_ack(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                      hf_arena_t *a)
{
    (void)self;
    hf_store_t *st = hf_service_store(svc);
    const Huifang__V1__AlertAck *ack = req->alert_ack;
    char tz[64], role[16];
    int rc;
    if ((rc = calllog_branch_tz(st, req->branch, tz, rep, a)) != HF_OK)
        return rc;
    if (ack->id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "id", "id is required (an alert id)");
    const char *note = S(ack->note);
    if (strlen(note) > 500)
        return hf_fail(rep, a, HF_BAD_INPUT, "note", "note is longer than 500 bytes");
    const char *actor = S(req->actor);
    if (*actor == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "actor",
                       "only a manager may acknowledge an alert: say who you are with --as");
    char id[24];
    const char *p[] = {req->branch, hf_pg_i64(id, ack->id)};
    PGresult *res = hf_store_query(st, &CALLLOG_Q_ALERT_LOCK, 2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return hf_fail(rep, a, HF_NOT_FOUND, "id", "no alert %lld in branch %s", (long long)ack->id,
                       req->branch);
    }
    Huifang__V1__Alert *al = s_alert_from_row(res, 0, a);
    PQclear(res);
    if (calllog_agent_role(st, req->branch, actor, role) != 0)
        return HF_UNAVAILABLE;
    if (strcmp(role, S(al->to_role)) != 0)
        return hf_fail(rep, a, HF_CONFLICT, "actor",
                       "only a %s may acknowledge alert %lld; %s is %s", al->to_role,
                       (long long)al->id, actor, *role ? role : "no agent of this branch");
    if (al->acked_at_ms != 0) {
        char when[17];
        hf_time_local_format(al->acked_at_ms, tz, when);
        return hf_fail(rep, a, HF_CONFLICT, "id", "alert %lld was acknowledged by %s at %s",
                       (long long)al->id, al->acked_by, when);
    }
    char at[24];
    int64_t now = hf_clock_now_ms();
    const char *pu[] = {id, hf_pg_i64(at, now), actor, note};
    if (hf_store_query_run(st, &CALLLOG_Q_ALERT_ACK, 4, pu) != 0)
        return HF_UNAVAILABLE;
    al->acked_at_ms = now;
    al->acked_by = (char *)actor;
    al->ack_note = (char *)note;
    Huifang__V1__AlertAcked ev = HUIFANG__V1__ALERT_ACKED__INIT;
    ev.alert = al;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_ALERT_ACKED;
    env.alert_acked = &ev;
    if (hf_service_emit(svc, &env) != 0)
        return HF_UNAVAILABLE;
    hf_info("alert_acked", "alert=%lld by=%s", (long long)al->id, actor);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_ALERT;
    rep->alert = al;
    return HF_OK;
}
