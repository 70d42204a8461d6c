/* ctl_calllog: the call-log's commands — the outcome taxonomy, home visits, inbound
 * consultations, alerts, the delivery book and quality checks — plus the contact flags that
 * `call log` (ctl_work.c) shares with `visit log`. Every command goes to the calllog service. */
#include "ctl_calllog.h"

#include "hf_phone.h"

#include <stdarg.h>
#include <string.h>

/* Prints "huifang: <message>" and returns exit code 2 (bad input, nothing sent). */
static int s_refuse(ctl_t *ctl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int s_refuse(ctl_t *ctl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("huifang: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    ctl->exit = HF_BAD_INPUT;
    return HF_BAD_INPUT;
}

/* ---------------------------------------------------------------------------------------
 * The contact record (call log, visit log)
 * ------------------------------------------------------------------------------------- */

int ctl_contact_fill(ctl_t *ctl, const ctl_opt_t *opts, Huifang__V1__CallLog *log)
{
    const char *v;
    long n;
    if ((v = ctl_opt(opts, "effect")) != NULL) {
        if (ctl_check_choice(ctl, "--effect", v, "good|none|adverse") != 0)
            return -1;
        log->effect = (char *)v;
    }
    if ((v = ctl_opt(opts, "order")) != NULL) {
        if (ctl_parse_long(ctl, "--order", v, 1, 10000, &n) != 0)
            return -1;
        log->order_qty = (int32_t)n;
    }
    if ((v = ctl_opt(opts, "order-product")) != NULL) {
        if (log->order_qty == 0)
            return ctl_fail(ctl, HF_BAD_INPUT, "--order-product needs --order QTY");
        log->order_product = (char *)v;
    }
    if ((v = ctl_opt(opts, "delivery")) != NULL) {
        if (ctl_check_choice(ctl, "--delivery", v, "home|store") != 0)
            return -1;
        if (log->order_qty == 0)
            return ctl_fail(ctl, HF_BAD_INPUT,
                            "--delivery is where an order goes: give --order QTY");
        log->delivery = (char *)v;
    }
    if ((v = ctl_opt(opts, "delivery-address")) != NULL)
        log->delivery_address = (char *)v;
    if ((v = ctl_opt(opts, "callback-at")) != NULL &&
        ctl_parse_time(ctl, "--callback-at", v, &log->callback_at_ms) != 0)
        return -1;
    if ((v = ctl_opt(opts, "next")) != NULL) {
        if (ctl_check_date(ctl, "--next", v) != 0)
            return -1;
        log->next_date = (char *)v;
    }
    if ((v = ctl_opt(opts, "note")) != NULL)
        log->note = (char *)v;
    if ((v = ctl_opt(opts, "channel")) != NULL) {
        if (ctl_check_choice(ctl, "--channel", v, "phone|letter|wechat") != 0)
            return -1;
        log->channel = (char *)v;
    }
    if ((v = ctl_opt(opts, "duration")) != NULL) {
        if (ctl_parse_long(ctl, "--duration", v, 0, 86400, &n) != 0)
            return -1;
        log->duration_s = (int32_t)n;
    }
    if ((v = ctl_opt(opts, "started-at")) != NULL &&
        ctl_parse_time(ctl, "--started-at", v, &log->started_at_ms) != 0)
        return -1;

    const char *dose = ctl_opt(opts, "dose"), *timing = ctl_opt(opts, "timing"),
               *others = ctl_opt(opts, "other-medicines"), *diet = ctl_opt(opts, "diet");
    if (dose || timing || others || diet) {
        Huifang__V1__Usage *u = hf_new(ctl->arena, Huifang__V1__Usage);
        huifang__v1__usage__init(u);
        u->dose = (char *)(dose ? dose : "");
        u->timing = (char *)(timing ? timing : "");
        u->other_medicines = (char *)(others ? others : "");
        u->diet = (char *)(diet ? diet : "");
        log->usage = u;
    }
    if ((v = ctl_opt(opts, "advice")) != NULL)
        log->advice = (char *)v;
    if ((v = ctl_opt(opts, "event")) != NULL)
        log->event = (char *)v;
    log->event_accepted = ctl_switch(opts, "event-accepted");
    log->typical_case = ctl_switch(opts, "typical-case");
    log->typical_consent = ctl_switch(opts, "consent");
    if (log->typical_consent && !log->typical_case)
        return ctl_fail(ctl, HF_BAD_INPUT,
                        "--consent is given by a typical-case candidate: add --typical-case");

    const char *rname = ctl_opt(opts, "referral-name"), *rphone = ctl_opt(opts, "referral-phone"),
               *rregion = ctl_opt(opts, "referral-region");
    if (rname || rphone || rregion) {
        if (rname == NULL)
            return ctl_fail(ctl, HF_BAD_INPUT, "--referral-name is required for a referral");
        if (rphone == NULL)
            return ctl_fail(ctl, HF_BAD_INPUT, "--referral-phone is required for a referral");
        char norm[32];
        const char *why = NULL;
        if (hf_phone_normalise(rphone, norm, sizeof norm, &why) != 0)
            return ctl_fail(ctl, HF_BAD_INPUT, "--referral-phone is not a phone number: %s",
                            why ? why : "malformed");
        Huifang__V1__LeadAdd *r = hf_new(ctl->arena, Huifang__V1__LeadAdd);
        huifang__v1__lead_add__init(r);
        r->name = (char *)rname;
        r->phone = hf_arena_strdup(ctl->arena, norm);
        r->channel = "referral";
        r->region = (char *)(rregion ? rregion : "");
        log->referral = r;
    }

    const char *bp = ctl_opt(opts, "bp"), *pulse = ctl_opt(opts, "pulse"),
               *symptoms = ctl_opt(opts, "symptoms"), *findings = ctl_opt(opts, "findings");
    if (bp || pulse || symptoms || findings) {
        Huifang__V1__Findings *f = hf_new(ctl->arena, Huifang__V1__Findings);
        huifang__v1__findings__init(f);
        f->blood_pressure = (char *)(bp ? bp : "");
        if (pulse) {
            if (ctl_parse_long(ctl, "--pulse", pulse, 20, 250, &n) != 0)
                return -1;
            f->pulse = (int32_t)n;
        }
        f->symptoms = (char *)(symptoms ? symptoms : "");
        f->text = (char *)(findings ? findings : "");
        log->findings = f;
    }
    return 0;
}

void ctl_print_contact(ctl_t *ctl, const Huifang__V1__Contact *c)
{
    if (ctl->json) {
        ctl_json(&c->base);
        return;
    }
    ctl_table_t *t = ctl_table_new(10, "CONTACT", "TASK", "CUSTOMER", "AGENT", "CHANNEL", "OUTCOME",
                                   "EFFECT", "ORDER", "NEXT", "LOGGED");
    ctl_table_add(
        t, ctl_fmt(ctl, "%lld", (long long)c->id), ctl_fmt(ctl, "%lld", (long long)c->task_id),
        ctl_fmt(ctl, "%lld", (long long)c->customer_id), c->agent, c->channel, c->outcome,
        c->effect,
        c->order_qty ? ctl_fmt(ctl, "%d %s", c->order_qty, ctl_str(c->order_product)) : "",
        c->callback_at_ms ? ctl_fmt(ctl, "call back %s", ctl_local_time(ctl, c->callback_at_ms))
                          : c->next_date,
        ctl_local_time(ctl, c->logged_at_ms));
    ctl_table_print(t);
    ctl_table_destroy(&t);
    if (c->delivery_id)
        printf("delivery %lld opened (home delivery of %d %s)\n", (long long)c->delivery_id,
               c->order_qty, ctl_str(c->order_product));
    if (c->referral && c->referral->name && *c->referral->name)
        printf("referral %s %s sent to intake\n", ctl_name_masked(ctl, c->referral->name),
               ctl_phone_masked(ctl, c->referral->phone));
    if (c->effect && strcmp(c->effect, "adverse") == 0)
        printf("adverse reaction: a doctor's home visit is raised\n");
    fflush(stdout);
}

/* ---------------------------------------------------------------------------------------
 * visit log
 * ------------------------------------------------------------------------------------- */

int ctl_contact_log(ctl_t *ctl, const ctl_opt_t *opts, bool visit)
{
    Huifang__V1__CallLog log = HUIFANG__V1__CALL_LOG__INIT;
    const char *v = ctl_require(ctl, opts, "task");
    if (v == NULL || ctl_parse_id(ctl, "--task", v, &log.task_id) != 0)
        return ctl->exit;
    /* the outcome's words are the call-log service's to judge: the taxonomy is data per
     * branch (huifang outcome list) */
    const char *outcome = ctl_require(ctl, opts, "outcome");
    if (outcome == NULL)
        return ctl->exit;
    log.outcome = (char *)outcome;
    /* a call without --channel keeps the task's own channel */
    if (ctl_contact_fill(ctl, opts, &log) != 0)
        return ctl->exit;
    if (visit)
        log.channel = "visit";
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    if (visit) {
        req.command_case = HUIFANG__V1__REQUEST__COMMAND_VISIT_LOG;
        req.visit_log = &log;
    } else {
        req.command_case = HUIFANG__V1__REQUEST__COMMAND_CALL_LOG;
        req.call_log = &log;
    }
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_CALLLOG, &req, HUIFANG__V1__REPLY__RESULT_CONTACT, &rep);
    if (rc != HF_OK)
        return rc;
    ctl_print_contact(ctl, rep->contact);
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_visit_log(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("task"),     CTL_OPT("outcome"),  CTL_CONTACT_OPTS,
                        CTL_OPT("bp"),       CTL_OPT("pulse"),    CTL_OPT("symptoms"),
                        CTL_OPT("findings"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    return ctl_contact_log(ctl, opts, true);
}

/* ---------------------------------------------------------------------------------------
 * outcome list / add
 * ------------------------------------------------------------------------------------- */

/* The flags as the comma list `outcome add --flags` takes. */
static const char *s_flags_text(ctl_t *ctl, const Huifang__V1__OutcomeFlags *f)
{
    if (f == NULL)
        return "";
    char buf[160] = "";
    const struct {
        bool on;
        const char *name;
    } all[] = {{f->human_answered, "human-answered"},
               {f->contacted, "contacted"},
               {f->sale, "sale"},
               {f->do_not_call, "do-not-call"},
               {f->unworkable, "unworkable"},
               {f->callback, "callback"},
               {f->completed, "completed"}};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i].on) {
            if (*buf)
                strcat(buf, ",");
            strcat(buf, all[i].name);
        }
    return ctl_fmt(ctl, "%s", buf);
}

int ctl_outcome_list(ctl_t *ctl, int argc, char **argv)
{
    if (ctl_parse(ctl, argc, argv, NULL, NULL, NULL) != 0 || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    Huifang__V1__OutcomeList list = HUIFANG__V1__OUTCOME_LIST__INIT;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_OUTCOME_LIST;
    req.outcome_list = &list;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_CALLLOG, &req, HUIFANG__V1__REPLY__RESULT_OUTCOMES, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__Outcomes *o = rep->outcomes;
    if (ctl->json) {
        for (size_t i = 0; i < o->n_outcomes; i++)
            ctl_json(&o->outcomes[i]->base);
    } else {
        ctl_table_t *t = ctl_table_new(4, "CODE", "NAME", "FLAGS", "SOURCE");
        for (size_t i = 0; i < o->n_outcomes; i++)
            ctl_table_add(t, o->outcomes[i]->code, o->outcomes[i]->name,
                          s_flags_text(ctl, o->outcomes[i]->flags),
                          o->outcomes[i]->branch && *o->outcomes[i]->branch ? "branch" : "default");
        ctl_table_print(t);
        ctl_table_destroy(&t);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}

/* Parses "contacted,completed" into f; -1 with a message naming --flags. */
static int s_parse_flags(ctl_t *ctl, const char *list, Huifang__V1__OutcomeFlags *f)
{
    static const char *const names[] = {"human-answered", "contacted", "sale",      "do-not-call",
                                        "unworkable",     "callback",  "completed", NULL};
    protobuf_c_boolean *slots[] = {&f->human_answered, &f->contacted, &f->sale,     &f->do_not_call,
                                   &f->unworkable,     &f->callback,  &f->completed};
    char *copy = hf_arena_strdup(ctl->arena, list);
    char *save = NULL;
    for (char *w = strtok_r(copy, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
        for (char *p = w; *p; p++)
            if (*p == '_')
                *p = '-';
        int i = 0;
        while (names[i] && strcmp(names[i], w) != 0)
            i++;
        if (names[i] == NULL)
            return ctl_fail(ctl, HF_BAD_INPUT,
                            "--flags: unknown flag '%s' (human-answered, contacted, sale, "
                            "do-not-call, unworkable, callback, completed)",
                            w);
        *slots[i] = 1;
    }
    return 0;
}

int ctl_outcome_add(ctl_t *ctl, int argc, char **argv)
{
    static const char *const pos_names[] = {"CODE", NULL};
    const char *pos[1];
    ctl_opt_t opts[] = {CTL_OPT("name"), CTL_OPT("flags"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    const char *name = ctl_require(ctl, opts, "name");
    if (name == NULL || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    Huifang__V1__OutcomeFlags flags = HUIFANG__V1__OUTCOME_FLAGS__INIT;
    const char *v = ctl_opt(opts, "flags");
    if (v && s_parse_flags(ctl, v, &flags) != 0)
        return ctl->exit;
    Huifang__V1__Outcome o = HUIFANG__V1__OUTCOME__INIT;
    o.code = (char *)pos[0];
    o.name = (char *)name;
    o.flags = &flags;
    Huifang__V1__OutcomeAdd add = HUIFANG__V1__OUTCOME_ADD__INIT;
    add.outcome = &o;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_OUTCOME_ADD;
    req.outcome_add = &add;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_CALLLOG, &req, HUIFANG__V1__REPLY__RESULT_OUTCOME, &rep);
    if (rc != HF_OK)
        return rc;
    if (ctl->json)
        ctl_json(&rep->outcome->base);
    else
        printf("outcome %s added to branch %s: %s\n", rep->outcome->code, rep->outcome->branch,
               ctl_str(s_flags_text(ctl, rep->outcome->flags)));
    ctl_reply_free(&rep);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * consult log / list, alerts
 * ------------------------------------------------------------------------------------- */

static void s_print_consultations(ctl_t *ctl, Huifang__V1__Consultation **list, size_t n)
{
    ctl_table_t *t = ctl_table_new(9, "CONSULT", "LOGGED", "NAME", "PHONE", "MEDIA", "OUTCOME",
                                   "ORDER", "AGENT", "REGULATOR");
    for (size_t i = 0; i < n; i++) {
        const Huifang__V1__Consultation *k = list[i];
        ctl_table_add(
            t, ctl_fmt(ctl, "%lld", (long long)k->id), ctl_local_time(ctl, k->logged_at_ms),
            ctl_name_masked(ctl, k->name), ctl_phone_masked(ctl, k->phone), k->media, k->outcome,
            k->quantity ? ctl_fmt(ctl, "%d %s", k->quantity, ctl_str(k->product)) : "", k->agent,
            k->regulator
                ? ctl_fmt(ctl, "%s %s", ctl_str(k->regulator_unit), ctl_str(k->regulator_position))
                : "");
    }
    ctl_table_print(t);
    ctl_table_destroy(&t);
}

int ctl_consult_log(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("name"),       CTL_OPT("phone"),    CTL_OPT("complaint"),
                        CTL_OPT("media"),      CTL_OPT("outcome"),  CTL_OPT("product"),
                        CTL_OPT("quantity"),   CTL_OPT("delivery"), CTL_OPT("gender"),
                        CTL_OPT("age"),        CTL_OPT("address"),  CTL_OPT("region"),
                        CTL_FLAG("regulator"), CTL_OPT("unit"),     CTL_OPT("position"),
                        CTL_OPT("contact"),    CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    Huifang__V1__Consultation k = HUIFANG__V1__CONSULTATION__INIT;
    const char *v;
    long n;
    k.regulator = ctl_switch(opts, "regulator");
    if ((k.name = (char *)ctl_require(ctl, opts, "name")) == NULL)
        return ctl->exit;
    char norm[32];
    if ((v = k.regulator ? ctl_opt(opts, "phone") : ctl_require(ctl, opts, "phone")) != NULL) {
        const char *why = NULL;
        if (hf_phone_normalise(v, norm, sizeof norm, &why) != 0)
            return s_refuse(ctl, "--phone is not a phone number: %s", why ? why : "malformed");
        k.phone = norm;
    } else if (!k.regulator) {
        return ctl->exit;
    }
    if (k.regulator) {
        if ((k.regulator_unit = (char *)ctl_require(ctl, opts, "unit")) == NULL ||
            (k.regulator_contact = (char *)ctl_require(ctl, opts, "contact")) == NULL)
            return ctl->exit;
        k.regulator_position = (char *)ctl_opt(opts, "position");
        if (ctl_opt(opts, "outcome") || ctl_opt(opts, "product") || ctl_opt(opts, "quantity"))
            return s_refuse(ctl, "--outcome, --product and --quantity are not for a regulator's "
                                 "call");
        k.chief_complaint = (char *)ctl_opt(opts, "complaint");
        k.media = (char *)ctl_opt(opts, "media");
    } else {
        if (ctl_opt(opts, "unit") || ctl_opt(opts, "position") || ctl_opt(opts, "contact"))
            return s_refuse(ctl, "--unit, --position and --contact are for a regulator's call "
                                 "(--regulator)");
        if ((k.chief_complaint = (char *)ctl_require(ctl, opts, "complaint")) == NULL ||
            (k.media = (char *)ctl_require(ctl, opts, "media")) == NULL ||
            (k.outcome = (char *)ctl_require(ctl, opts, "outcome")) == NULL ||
            ctl_check_choice(ctl, "--outcome", k.outcome, "bought|not-bought") != 0)
            return ctl->exit;
        bool bought = strcmp(k.outcome, "bought") == 0;
        if ((v = ctl_opt(opts, "product")) != NULL) {
            if (!bought)
                return s_refuse(ctl, "--product is for --outcome bought");
            k.product = (char *)v;
        } else if (bought) {
            return s_refuse(ctl, "--product is required for --outcome bought");
        }
        if ((v = ctl_opt(opts, "quantity")) != NULL) {
            if (!bought)
                return s_refuse(ctl, "--quantity is for --outcome bought");
            if (ctl_parse_long(ctl, "--quantity", v, 1, 10000, &n) != 0)
                return ctl->exit;
            k.quantity = (int32_t)n;
        }
        if ((v = ctl_opt(opts, "delivery")) != NULL) {
            if (!bought || ctl_check_choice(ctl, "--delivery", v, "home|store") != 0)
                return bought ? ctl->exit : s_refuse(ctl, "--delivery is for --outcome bought");
            k.delivery = (char *)v;
        }
    }
    if ((v = ctl_opt(opts, "gender")) != NULL) {
        if (ctl_check_choice(ctl, "--gender", v, "f|m") != 0)
            return ctl->exit;
        k.gender = (char *)v;
    }
    if ((v = ctl_opt(opts, "age")) != NULL) {
        if (ctl_parse_long(ctl, "--age", v, 0, 150, &n) != 0)
            return ctl->exit;
        k.age = (int32_t)n;
    }
    k.address = (char *)ctl_opt(opts, "address");
    k.region = (char *)ctl_opt(opts, "region");
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    Huifang__V1__ConsultLog log = HUIFANG__V1__CONSULT_LOG__INIT;
    log.consultation = &k;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_CONSULT_LOG;
    req.consult_log = &log;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_CALLLOG, &req, HUIFANG__V1__REPLY__RESULT_CONSULTATION, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__Consultation *out = rep->consultation;
    if (ctl->json) {
        ctl_json(&out->base);
    } else {
        s_print_consultations(ctl, rep->consultation ? &rep->consultation : NULL, 1);
        if (out->delivery_id)
            printf("delivery %lld opened (shipping notice for %d %s)\n",
                   (long long)out->delivery_id, out->quantity, ctl_str(out->product));
        if (out->alert_id)
            printf("alert %lld raised to the manager\n", (long long)out->alert_id);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_consult_list(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("date"), CTL_FLAG("regulator"), CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0 || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    Huifang__V1__ConsultList q = HUIFANG__V1__CONSULT_LIST__INIT;
    const char *v = ctl_opt(opts, "date");
    if (v && ctl_check_date(ctl, "--date", v) != 0)
        return ctl->exit;
    q.date = (char *)(v ? v : "");
    q.regulator = ctl_switch(opts, "regulator");
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_CONSULT_LIST;
    req.consult_list = &q;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_CALLLOG, &req, HUIFANG__V1__REPLY__RESULT_CONSULTATIONS, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__Consultations *l = rep->consultations;
    if (ctl->json) {
        for (size_t i = 0; i < l->n_consultations; i++)
            ctl_json(&l->consultations[i]->base);
    } else if (l->n_consultations == 0) {
        ctl_error("no consultations%s", q.regulator ? " from regulators" : "");
    } else {
        s_print_consultations(ctl, l->consultations, l->n_consultations);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_alerts(ctl_t *ctl, int argc, char **argv)
{
    if (ctl_parse(ctl, argc, argv, NULL, NULL, NULL) != 0 || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    Huifang__V1__AlertList q = HUIFANG__V1__ALERT_LIST__INIT;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_ALERT_LIST;
    req.alert_list = &q;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_CALLLOG, &req, HUIFANG__V1__REPLY__RESULT_ALERTS, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__Alerts *l = rep->alerts;
    if (ctl->json) {
        for (size_t i = 0; i < l->n_alerts; i++)
            ctl_json(&l->alerts[i]->base);
    } else if (l->n_alerts == 0) {
        ctl_error("no alerts");
    } else {
        ctl_table_t *t =
            ctl_table_new(7, "ALERT", "RAISED", "KIND", "TO", "CONSULT", "ACKED", "SUMMARY");
        for (size_t i = 0; i < l->n_alerts; i++) {
            const Huifang__V1__Alert *al = l->alerts[i];
            ctl_table_add(
                t, ctl_fmt(ctl, "%lld", (long long)al->id), ctl_local_time(ctl, al->raised_at_ms),
                al->kind, al->to_role,
                al->consultation_id ? ctl_fmt(ctl, "%lld", (long long)al->consultation_id) : "",
                al->acked_at_ms
                    ? ctl_fmt(ctl, "%s %s", al->acked_by, ctl_local_time(ctl, al->acked_at_ms))
                    : "no",
                al->summary);
        }
        ctl_table_print(t);
        ctl_table_destroy(&t);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_alerts_ack(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("note"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const pos_names[] = {"ID", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__AlertAck ack = HUIFANG__V1__ALERT_ACK__INIT;
    if (ctl_parse_id(ctl, "ID", pos[0], &ack.id) != 0 || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    const char *note = ctl_opt(opts, "note");
    ack.note = (char *)(note ? note : "");
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_ALERT_ACK;
    req.alert_ack = &ack;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_CALLLOG, &req, HUIFANG__V1__REPLY__RESULT_ALERT, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__Alert *al = rep->alert;
    if (ctl->json)
        ctl_json(&al->base);
    else
        printf("alert %lld acknowledged by %s at %s\n", (long long)al->id, al->acked_by,
               ctl_local_time(ctl, al->acked_at_ms));
    ctl_reply_free(&rep);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * delivery list / done
 * ------------------------------------------------------------------------------------- */

static void s_print_deliveries(ctl_t *ctl, Huifang__V1__Delivery **list, size_t n)
{
    ctl_table_t *t = ctl_table_new(10, "DELIVERY", "REQUESTED", "SOURCE", "CUSTOMER", "NAME",
                                   "PHONE", "REGION", "ORDER", "STATE", "DELIVERER");
    for (size_t i = 0; i < n; i++) {
        const Huifang__V1__Delivery *d = list[i];
        ctl_table_add(
            t, ctl_fmt(ctl, "%lld", (long long)d->id), ctl_local_time(ctl, d->requested_at_ms),
            d->source, d->customer_id ? ctl_fmt(ctl, "%lld", (long long)d->customer_id) : "",
            ctl_name_masked(ctl, d->name), ctl_phone_masked(ctl, d->phone), d->region,
            ctl_fmt(ctl, "%d %s", d->quantity, ctl_str(d->product)), d->state, d->deliverer);
    }
    ctl_table_print(t);
    ctl_table_destroy(&t);
}

int ctl_delivery_list(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_FLAG("pending"), CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0 || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    Huifang__V1__DeliveryList q = HUIFANG__V1__DELIVERY_LIST__INIT;
    q.pending = ctl_switch(opts, "pending");
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_DELIVERY_LIST;
    req.delivery_list = &q;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_CALLLOG, &req, HUIFANG__V1__REPLY__RESULT_DELIVERIES, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__Deliveries *l = rep->deliveries;
    if (ctl->json) {
        for (size_t i = 0; i < l->n_deliveries; i++)
            ctl_json(&l->deliveries[i]->base);
    } else if (l->n_deliveries == 0) {
        ctl_error("no %sdeliveries", q.pending ? "pending " : "");
    } else {
        s_print_deliveries(ctl, l->deliveries, l->n_deliveries);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_delivery_done(ctl_t *ctl, int argc, char **argv)
{
    static const char *const pos_names[] = {"ID", NULL};
    const char *pos[1];
    ctl_opt_t opts[] = {CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__DeliveryDone done = HUIFANG__V1__DELIVERY_DONE__INIT;
    if (ctl_parse_id(ctl, "ID", pos[0], &done.id) != 0 || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    if (ctl->actor == NULL || *ctl->actor == '\0')
        return s_refuse(ctl, "--as is required: the deliverer marks the delivery done");
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_DELIVERY_DONE;
    req.delivery_done = &done;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_CALLLOG, &req, HUIFANG__V1__REPLY__RESULT_DELIVERY, &rep);
    if (rc != HF_OK)
        return rc;
    if (ctl->json)
        ctl_json(&rep->delivery->base);
    else
        printf("delivery %lld delivered by %s at %s\n", (long long)rep->delivery->id,
               rep->delivery->deliverer, ctl_local_time(ctl, rep->delivery->delivered_at_ms));
    ctl_reply_free(&rep);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * call review list / score / rate
 * ------------------------------------------------------------------------------------- */

static int s_review_list(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("date"), CTL_OPT("agent"), CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0 || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    Huifang__V1__ReviewList q = HUIFANG__V1__REVIEW_LIST__INIT;
    const char *v = ctl_opt(opts, "date");
    if (v && ctl_check_date(ctl, "--date", v) != 0)
        return ctl->exit;
    q.date = (char *)(v ? v : "");
    v = ctl_opt(opts, "agent");
    q.agent = (char *)(v ? v : "");
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_REVIEW_LIST;
    req.review_list = &q;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_CALLLOG, &req, HUIFANG__V1__REPLY__RESULT_REVIEWS, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__Reviews *l = rep->reviews;
    if (ctl->json) {
        for (size_t i = 0; i < l->n_reviews; i++)
            ctl_json(&l->reviews[i]->base);
    } else if (l->n_reviews == 0) {
        ctl_error("no calls to check on %s (sample %d%%)", ctl_str(l->date), l->percent);
    } else {
        ctl_table_t *t = ctl_table_new(9, "CONTACT", "AGENT", "TASK", "CUSTOMER", "OUTCOME",
                                       "SECONDS", "SAMPLED", "SCORE", "REVIEWER");
        for (size_t i = 0; i < l->n_reviews; i++) {
            const Huifang__V1__Review *r = l->reviews[i];
            const Huifang__V1__Contact *c = r->contact;
            ctl_table_add(t, ctl_fmt(ctl, "%lld", (long long)r->contact_id), r->agent,
                          c ? ctl_fmt(ctl, "%lld", (long long)c->task_id) : "",
                          c ? ctl_fmt(ctl, "%lld", (long long)c->customer_id) : "",
                          c ? c->outcome : "", c ? ctl_fmt(ctl, "%d", c->duration_s) : "",
                          r->sampled ? "yes" : "no", r->score ? ctl_fmt(ctl, "%d", r->score) : "",
                          r->reviewer);
        }
        ctl_table_print(t);
        ctl_table_destroy(&t);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}

static int s_review_score(ctl_t *ctl, int argc, char **argv)
{
    static const char *const pos_names[] = {"CONTACT", NULL};
    const char *pos[1];
    ctl_opt_t opts[] = {CTL_OPT("score"), CTL_OPT("note"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__ReviewScore s = HUIFANG__V1__REVIEW_SCORE__INIT;
    long score;
    const char *v = ctl_require(ctl, opts, "score");
    if (ctl_parse_id(ctl, "CONTACT", pos[0], &s.contact_id) != 0 || v == NULL ||
        ctl_parse_long(ctl, "--score", v, 1, 5, &score) != 0 || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    s.score = (int32_t)score;
    s.note = (char *)ctl_opt(opts, "note");
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_REVIEW_SCORE;
    req.review_score = &s;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_CALLLOG, &req, HUIFANG__V1__REPLY__RESULT_REVIEW, &rep);
    if (rc != HF_OK)
        return rc;
    if (ctl->json)
        ctl_json(&rep->review->base);
    else
        printf("contact %lld of %s scored %d by %s\n", (long long)rep->review->contact_id,
               rep->review->agent, rep->review->score, rep->review->reviewer);
    ctl_reply_free(&rep);
    return HF_OK;
}

static int s_review_rate(ctl_t *ctl, int argc, char **argv)
{
    static const char *const pos_names[] = {"PERCENT", NULL};
    const char *pos[1];
    ctl_opt_t opts[] = {CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    long percent;
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0 ||
        ctl_parse_long(ctl, "PERCENT", pos[0], 0, 100, &percent) != 0 || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    Huifang__V1__ReviewRate r = HUIFANG__V1__REVIEW_RATE__INIT;
    r.percent = (int32_t)percent;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_REVIEW_RATE;
    req.review_rate = &r;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_CALLLOG, &req, HUIFANG__V1__REPLY__RESULT_REVIEWS, &rep);
    if (rc != HF_OK)
        return rc;
    if (ctl->json)
        ctl_json(&rep->reviews->base);
    else
        printf("quality checks draw %d%% of each agent's calls a day in branch %s\n",
               rep->reviews->percent, ctl->branch);
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_call_review(ctl_t *ctl, int argc, char **argv)
{
    /* `call review` is one entry of the command table with its own verbs */
    if (argc >= 1 && strcmp(argv[0], "list") == 0)
        return s_review_list(ctl, argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "score") == 0)
        return s_review_score(ctl, argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "rate") == 0)
        return s_review_rate(ctl, argc - 1, argv + 1);
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        ctl_command_help(ctl->command, stdout);
        return HF_OK;
    }
    if (argc >= 1)
        return s_refuse(ctl, "unknown command 'call review %s': its verbs are list, score, rate",
                        argv[0]);
    return s_refuse(ctl, "call review needs a verb: list, score or rate (see huifang call review "
                         "--help)");
}

/* contact list --customer ID: the customer's contacts of the branch, newest first (the web
 * console's timeline; calllog audits the read). */
int ctl_contact_list(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("customer"), CTL_OPT("limit"), CTL_OPT("before"), CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0 || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    Huifang__V1__ContactList q = HUIFANG__V1__CONTACT_LIST__INIT;
    const char *v = ctl_require(ctl, opts, "customer");
    if (v == NULL || ctl_parse_id(ctl, "--customer", v, &q.customer_id) != 0)
        return ctl->exit;
    long n;
    if ((v = ctl_opt(opts, "limit")) != NULL) {
        if (ctl_parse_long(ctl, "--limit", v, 1, 200, &n) != 0)
            return ctl->exit;
        q.limit = (int32_t)n;
    }
    if ((v = ctl_opt(opts, "before")) != NULL &&
        ctl_parse_id(ctl, "--before", v, &q.before_id) != 0)
        return ctl->exit;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_CONTACT_LIST;
    req.contact_list = &q;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_CALLLOG, &req, HUIFANG__V1__REPLY__RESULT_CONTACTS, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__Contacts *l = rep->contacts;
    if (ctl->json) {
        for (size_t i = 0; i < l->n_contacts; i++)
            ctl_json(&l->contacts[i]->base);
    } else if (l->n_contacts == 0) {
        ctl_error("no contacts with customer %lld", (long long)q.customer_id);
    } else {
        ctl_table_t *t = ctl_table_new(9, "CONTACT", "LOGGED", "CHANNEL", "AGENT", "PURPOSE",
                                       "OUTCOME", "EFFECT", "ORDER", "NEXT");
        for (size_t i = 0; i < l->n_contacts; i++) {
            const Huifang__V1__Contact *c = l->contacts[i];
            ctl_table_add(
                t, ctl_fmt(ctl, "%lld", (long long)c->id), ctl_local_time(ctl, c->logged_at_ms),
                c->channel, c->agent, c->purpose, c->outcome, c->effect,
                c->order_qty ? ctl_fmt(ctl, "%d %s", c->order_qty, ctl_str(c->order_product)) : "",
                c->callback_at_ms
                    ? ctl_fmt(ctl, "call back %s", ctl_local_time(ctl, c->callback_at_ms))
                    : c->next_date);
        }
        ctl_table_print(t);
        ctl_table_destroy(&t);
        if (l->more)
            printf("older contacts: --before %lld\n",
                   (long long)l->contacts[l->n_contacts - 1]->id);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}
