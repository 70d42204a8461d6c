/* calllog_contact: follow-up contacts against a claimed task — phone calls (`call_log`) and
 * home visits (`visit_log`, the patient service sheet). The task's holder, claim number,
 * customer and purchases are asked of the scheduler, which owns tasks; the record, the
 * delivery entry an order for home delivery opens, and their events commit together. */
#include "calllog_internal.h"
#include "calllog_sql.h"
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_phone.h"
#include "hf_time.h"
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------
 * A contact row
 * ------------------------------------------------------------------------------------- */

static char *s_col(const PGresult *res, int row, int col, hf_arena_t *a)
{
    return hf_arena_strdup(a, hf_pg_str(res, row, col));
}

Huifang__V1__Contact *calllog_contact_from_row(const PGresult *res, int row, int b, bool with_flags,
                                               hf_arena_t *a)
{
    Huifang__V1__Contact *c = hf_new(a, Huifang__V1__Contact);
    huifang__v1__contact__init(c);
    c->id = hf_pg_int(res, row, b + 0);
    c->task_id = hf_pg_int(res, row, b + 1);
    c->branch = s_col(res, row, b + 2, a);
    c->customer_id = hf_pg_int(res, row, b + 3);
    c->agent = s_col(res, row, b + 4, a);
    c->outcome = s_col(res, row, b + 5, a);
    c->effect = s_col(res, row, b + 6, a);
    c->order_qty = (int32_t)hf_pg_int(res, row, b + 7);
    c->delivery = s_col(res, row, b + 8, a);
    c->callback_at_ms = hf_pg_int(res, row, b + 9);
    c->next_date = s_col(res, row, b + 10, a);
    c->note = s_col(res, row, b + 11, a);
    c->logged_at_ms = hf_pg_int(res, row, b + 12);
    c->channel = s_col(res, row, b + 13, a);
    c->purpose = s_col(res, row, b + 14, a);
    c->order_product = s_col(res, row, b + 15, a);
    if (*hf_pg_str(res, row, b + 16) || *hf_pg_str(res, row, b + 17) ||
        *hf_pg_str(res, row, b + 18) || *hf_pg_str(res, row, b + 19)) {
        Huifang__V1__Usage *u = hf_new(a, Huifang__V1__Usage);
        huifang__v1__usage__init(u);
        u->dose = s_col(res, row, b + 16, a);
        u->timing = s_col(res, row, b + 17, a);
        u->other_medicines = s_col(res, row, b + 18, a);
        u->diet = s_col(res, row, b + 19, a);
        c->usage = u;
    }
    c->advice = s_col(res, row, b + 20, a);
    c->event_accepted = hf_pg_bool(res, row, b + 21);
    c->event = s_col(res, row, b + 22, a);
    c->typical_case = hf_pg_bool(res, row, b + 23);
    c->typical_consent = hf_pg_bool(res, row, b + 24);
    if (*hf_pg_str(res, row, b + 25) || hf_pg_int(res, row, b + 26) ||
        *hf_pg_str(res, row, b + 27) || *hf_pg_str(res, row, b + 28)) {
        Huifang__V1__Findings *f = hf_new(a, Huifang__V1__Findings);
        huifang__v1__findings__init(f);
        f->blood_pressure = s_col(res, row, b + 25, a);
        f->pulse = (int32_t)hf_pg_int(res, row, b + 26);
        f->symptoms = s_col(res, row, b + 27, a);
        f->text = s_col(res, row, b + 28, a);
        c->findings = f;
    }
    c->started_at_ms = hf_pg_int(res, row, b + 29);
    c->duration_s = (int32_t)hf_pg_int(res, row, b + 30);
    c->claim_no = (int32_t)hf_pg_int(res, row, b + 31);
    c->purchase_id = hf_pg_int(res, row, b + 32);
    c->date = s_col(res, row, b + 33, a);
    if (*hf_pg_str(res, row, b + 34)) {
        Huifang__V1__LeadAdd *l = hf_new(a, Huifang__V1__LeadAdd);
        huifang__v1__lead_add__init(l);
        l->name = s_col(res, row, b + 34, a);
        l->phone = s_col(res, row, b + 35, a);
        l->channel = "referral";
        l->collector = c->agent;
        l->source = hf_arena_printf(a, "referred by customer %lld", (long long)c->customer_id);
        c->referral = l;
    }
    c->delivery_id = hf_pg_int(res, row, b + 36);
    if (with_flags) {
        Huifang__V1__OutcomeFlags *f = hf_new(a, Huifang__V1__OutcomeFlags);
        huifang__v1__outcome_flags__init(f);
        int k = b + CALLLOG_CONTACT_NCOLS;
        f->human_answered = hf_pg_bool(res, row, k);
        f->contacted = hf_pg_bool(res, row, k + 1);
        f->sale = hf_pg_bool(res, row, k + 2);
        f->do_not_call = hf_pg_bool(res, row, k + 3);
        f->unworkable = hf_pg_bool(res, row, k + 4);
        f->callback = hf_pg_bool(res, row, k + 5);
        f->completed = hf_pg_bool(res, row, k + 6);
        c->flags = f;
    }
    return c;
}

/* ---------------------------------------------------------------------------------------
 * Validation of what the agent wrote down
 * ------------------------------------------------------------------------------------- */

static bool s_one_of(const char *value, const char *const *words)
{
    for (int i = 0; words[i]; i++)
        if (strcmp(value, words[i]) == 0)
            return true;
    return false;
}

/* Step 1 of s_check_record: the channel and the effect. */
static int s_check_channel(const Huifang__V1__CallLog *c, bool visit, bool answered,
                           hf_reply_t *rep, hf_arena_t *a)
{
    static const char *const channels[] = {"phone", "visit", "letter", "wechat", NULL};
    static const char *const effects[] = {"good", "none", "adverse", NULL};
    const char *outcome = c->outcome;
    const char *channel = S(c->channel);
    if (!visit && *channel && !s_one_of(channel, channels))
        return hf_fail(rep, a, HF_BAD_INPUT, "channel",
                       "channel \"%s\" must be phone, letter or wechat", channel);
    if (!visit && strcmp(channel, "visit") == 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "channel",
                       "a home visit is recorded with `huifang visit log`, not call log");

    const char *effect = S(c->effect);
    if (*effect && !s_one_of(effect, effects))
        return hf_fail(rep, a, HF_BAD_INPUT, "effect",
                       "effect \"%s\" must be good, none or adverse", effect);
    if (*effect && !answered)
        return hf_fail(rep, a, HF_BAD_INPUT, "effect",
                       "an effect needs an outcome where someone answered, not %s", outcome);
    return HF_OK;
}

/* Step 2 of s_check_record: the order and where it is delivered. */
static int s_check_order(const Huifang__V1__CallLog *c, bool answered, hf_reply_t *rep,
                         hf_arena_t *a)
{
    static const char *const deliveries[] = {"home", "store", NULL};
    int rc;
    const char *outcome = c->outcome;
    const char *product = S(c->order_product);
    if (c->order_qty < 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "order", "order quantity %d must not be negative",
                       c->order_qty);
    if (c->order_qty > 10000)
        return hf_fail(rep, a, HF_BAD_INPUT, "order", "order quantity %d is above 10000",
                       c->order_qty);
    if (*product && c->order_qty == 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "order",
                       "an order of %s needs its quantity (--order N)", product);
    if (c->order_qty > 0 && !answered)
        return hf_fail(rep, a, HF_BAD_INPUT, "order",
                       "an order needs an outcome where someone answered, not %s", outcome);

    const char *delivery = S(c->delivery);
    if (*delivery && !s_one_of(delivery, deliveries))
        return hf_fail(rep, a, HF_BAD_INPUT, "delivery", "delivery \"%s\" must be home or store",
                       delivery);
    if (*delivery && c->order_qty == 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "delivery",
                       "delivery is where an order goes: give the order (--order N) too");
    if (c->delivery_address && *c->delivery_address && strcmp(delivery, "home") != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "delivery_address",
                       "only a home delivery (--delivery home) takes an address");
    if ((rc = calllog_check_text(c->delivery_address, "delivery_address", CALLLOG_SHORT_MAX, rep,
                                 a)) != HF_OK)
        return rc;
    return HF_OK;
}

/* Step 3 of s_check_record: the callback, the contact's own times, the next date. */
static int s_check_times(const Huifang__V1__CallLog *c, const Huifang__V1__OutcomeFlags *flags,
                         int64_t now, int32_t today, int32_t *next_day, hf_reply_t *rep,
                         hf_arena_t *a)
{
    if (flags->callback && c->callback_at_ms <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "callback_at",
                       "a callback needs the time it was asked for (--callback-at)");
    if (c->started_at_ms < 0 || c->started_at_ms > now + 60000)
        return hf_fail(rep, a, HF_BAD_INPUT, "started_at",
                       "started_at is in the future: a contact is logged after it happened");
    if (c->duration_s < 0 || c->duration_s > 86400)
        return hf_fail(rep, a, HF_BAD_INPUT, "duration", "duration must be 0..86400 seconds");
    *next_day = -1;
    if (c->next_date && *c->next_date) {
        if (hf_date_parse(c->next_date, next_day) != 0)
            return hf_fail(rep, a, HF_BAD_INPUT, "next", "next \"%s\" is not a date (YYYY-MM-DD)",
                           c->next_date);
        if (*next_day < today)
            return hf_fail(rep, a, HF_BAD_INPUT, "next",
                           "next %s is in the past: the next contact is today or later",
                           c->next_date);
        if (*next_day > today + 366)
            return hf_fail(rep, a, HF_BAD_INPUT, "next",
                           "next %s is more than a year ahead: promise a date within a year",
                           c->next_date);
    }
    return HF_OK;
}

/* Step 4 of s_check_record: usage, advice, notes, an event, a typical case. */
static int s_check_talk(const Huifang__V1__CallLog *c, bool answered, hf_reply_t *rep,
                        hf_arena_t *a)
{
    int rc;
    const char *outcome = c->outcome;
    const Huifang__V1__Usage *u = c->usage;
    if (u != NULL) {
        if ((rc = calllog_check_text(u->dose, "dose", CALLLOG_SHORT_MAX, rep, a)) != HF_OK ||
            (rc = calllog_check_text(u->timing, "timing", CALLLOG_SHORT_MAX, rep, a)) != HF_OK ||
            (rc = calllog_check_text(u->other_medicines, "other_medicines", CALLLOG_SHORT_MAX, rep,
                                     a)) != HF_OK ||
            (rc = calllog_check_text(u->diet, "diet", CALLLOG_SHORT_MAX, rep, a)) != HF_OK)
            return rc;
        bool any = *S(u->dose) || *S(u->timing) || *S(u->other_medicines) || *S(u->diet);
        if (any && !answered)
            return hf_fail(rep, a, HF_BAD_INPUT, "usage",
                           "usage was discussed, which needs an outcome where someone answered, "
                           "not %s",
                           outcome);
    }
    if ((rc = calllog_check_text(c->advice, "advice", CALLLOG_TEXT_MAX, rep, a)) != HF_OK ||
        (rc = calllog_check_text(c->note, "note", CALLLOG_TEXT_MAX, rep, a)) != HF_OK ||
        (rc = calllog_check_text(c->event, "event", CALLLOG_SHORT_MAX, rep, a)) != HF_OK)
        return rc;
    if ((c->event_accepted || (c->event && *c->event)) && !answered)
        return hf_fail(rep, a, HF_BAD_INPUT, "event",
                       "an event invitation needs an outcome where someone answered, not %s",
                       outcome);
    if (c->typical_consent && !c->typical_case)
        return hf_fail(rep, a, HF_BAD_INPUT, "typical_consent",
                       "consent is given by a typical-case candidate: add --typical-case");
    if (c->typical_case && !answered)
        return hf_fail(rep, a, HF_BAD_INPUT, "typical_case",
                       "a typical-case candidate needs an outcome where someone answered, not %s",
                       outcome);
    return HF_OK;
}

/* Step 5 of s_check_record: a referral's new lead. */
static int s_check_referral(const Huifang__V1__CallLog *c, bool answered, hf_reply_t *rep,
                            hf_arena_t *a)
{
    int rc;
    const char *outcome = c->outcome;
    if (c->referral != NULL) {
        const Huifang__V1__LeadAdd *r = c->referral;
        if (r->name == NULL || *r->name == '\0')
            return hf_fail(rep, a, HF_BAD_INPUT, "referral_name",
                           "a referral needs the new lead's name (--referral-name)");
        if ((rc = calllog_check_text(r->name, "referral_name", CALLLOG_NAME_MAX, rep, a)) != HF_OK)
            return rc;
        char phone[24];
        const char *why = "is required";
        if (r->phone == NULL || *r->phone == '\0' ||
            hf_phone_normalise(r->phone, phone, sizeof phone, &why) != 0)
            return hf_fail(rep, a, HF_BAD_INPUT, "referral_phone", "referral phone %s", why);
        if (r->region && *r->region && !calllog_code_valid(r->region))
            return hf_fail(rep, a, HF_BAD_INPUT, "referral_region",
                           "referral region \"%s\" must be 1-24 letters, digits, '-' or '_'",
                           r->region);
        if (!answered)
            return hf_fail(rep, a, HF_BAD_INPUT, "referral_name",
                           "a referral needs an outcome where someone answered, not %s", outcome);
    }
    return HF_OK;
}

/* Step 6 of s_check_record: a home visit's findings. */
static int s_check_findings(const Huifang__V1__CallLog *c, bool visit, hf_reply_t *rep,
                            hf_arena_t *a)
{
    int rc;
    const Huifang__V1__Findings *f = c->findings;
    if (f != NULL) {
        if (!visit)
            return hf_fail(rep, a, HF_BAD_INPUT, "findings",
                           "findings belong to a home visit's service sheet: `huifang visit log`");
        if (f->blood_pressure && *f->blood_pressure && !calllog_bp_valid(f->blood_pressure))
            return hf_fail(rep, a, HF_BAD_INPUT, "blood_pressure",
                           "blood pressure \"%s\" must be SYS/DIA in mmHg, such as 130/85",
                           f->blood_pressure);
        if (f->pulse != 0 && (f->pulse < 20 || f->pulse > 250))
            return hf_fail(rep, a, HF_BAD_INPUT, "pulse", "pulse %d must be 20..250 a minute",
                           f->pulse);
        if ((rc = calllog_check_text(f->symptoms, "symptoms", CALLLOG_TEXT_MAX, rep, a)) != HF_OK ||
            (rc = calllog_check_text(f->text, "findings", CALLLOG_TEXT_MAX, rep, a)) != HF_OK)
            return rc;
    }
    return HF_OK;
}

/* Checks the record before anything is asked of the scheduler or written. flags are the
 * outcome's; today is the branch's local day number. */
static int s_check_record(const Huifang__V1__CallLog *c, bool visit,
                          const Huifang__V1__OutcomeFlags *flags, int64_t now, int32_t today,
                          int32_t *next_day, hf_reply_t *rep, hf_arena_t *a)
{
    bool answered = flags->human_answered;
    int rc;
    if ((rc = s_check_channel(c, visit, answered, rep, a)) != HF_OK ||
        (rc = s_check_order(c, answered, rep, a)) != HF_OK ||
        (rc = s_check_times(c, flags, now, today, next_day, rep, a)) != HF_OK ||
        (rc = s_check_talk(c, answered, rep, a)) != HF_OK ||
        (rc = s_check_referral(c, answered, rep, a)) != HF_OK ||
        (rc = s_check_findings(c, visit, rep, a)) != HF_OK)
        return rc;
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * The task, from the scheduler
 * ------------------------------------------------------------------------------------- */

/* The brief task show that asks the scheduler for the task with its customer and purchases
 * (not its history and contacts) into q, its TaskShow from a. */
static void s_task_show(const hf_request_t *req, int64_t id, hf_request_t *q, hf_arena_t *a)
{
    Huifang__V1__TaskShow *show = hf_new(a, Huifang__V1__TaskShow);
    huifang__v1__task_show__init(show);
    show->id = id;
    show->brief = true;
    q->branch = req->branch;
    q->actor = req->actor;
    q->command_case = HUIFANG__V1__REQUEST__COMMAND_TASK_SHOW;
    q->task_show = show;
}

int calllog_ask_task(hf_service_t *svc, void *self, const hf_request_t *req, hf_request_t *q,
                     hf_arena_t *a)
{
    (void)svc;
    (void)self;
    const Huifang__V1__CallLog *c = req->command_case == HUIFANG__V1__REQUEST__COMMAND_VISIT_LOG
                                        ? req->visit_log
                                        : req->call_log;
    /* a record refused before the task is looked at (s_check_contact's first test) asks
     * nothing */
    if (c == NULL || req->branch == NULL || *req->branch == '\0' || c->task_id <= 0 ||
        c->outcome == NULL || *c->outcome == '\0')
        return 0;
    s_task_show(req, c->task_id, q, a);
    return 1;
}

/* The task with its customer and purchases, as the scheduler answered a brief task show:
 * asked by the framework before the handler ran (calllog_ask_task, hf_service_asked), or here
 * when it was not (a service holding as many requests as it may). HF_OK with *ctx (owned by
 * the framework's answer, or by *reply, which the caller frees), or a failure filled into rep
 * (the scheduler's own refusal passed on). */
static int s_fetch_task(hf_service_t *svc, const hf_request_t *req, int64_t id, hf_reply_t **reply,
                        Huifang__V1__TaskContext **ctx, hf_reply_t *rep, hf_arena_t *a)
{
    const hf_reply_t *r = NULL;
    int asked = hf_service_asked(svc, &r);
    if (asked < 0) {
        hf_request_t q = HUIFANG__V1__REQUEST__INIT;
        s_task_show(req, id, &q, a);
        hf_service_forward(svc, &q);
        hf_client_t *sched = hf_service_peer(svc, "scheduler");
        if (sched != NULL && hf_client_call(sched, &q, reply) == 0)
            r = *reply;
    }
    if (r == NULL)
        return hf_fail(rep, a, HF_UNAVAILABLE, NULL,
                       "the scheduler did not answer; nothing recorded, safe to retry");
    if (r->status != HF_OK)
        return hf_fail(rep, a, (int)r->status, "task", "%s", S(r->error));
    if (r->result_case != HUIFANG__V1__REPLY__RESULT_TASK || r->task->task == NULL)
        return hf_fail(rep, a, HF_INTERNAL, NULL, "the scheduler answered without the task");
    *ctx = r->task;
    return HF_OK;
}

/* The product of the task's purchase, or "" when the task has none. */
static const char *s_purchase_product(const Huifang__V1__TaskContext *ctx)
{
    for (size_t i = 0; i < ctx->n_purchases; i++)
        if (ctx->purchases[i]->id == ctx->task->purchase_id)
            return S(ctx->purchases[i]->product);
    return "";
}

/* ---------------------------------------------------------------------------------------
 * call_log and visit_log
 *
 * s_log_contact() runs the numbered steps below; each reads what the ones before it left in
 * the log. A step returns HF_OK or the failure it filled into the reply.
 * ------------------------------------------------------------------------------------- */

typedef struct {
    hf_service_t *svc;
    hf_store_t *st;
    const hf_request_t *req;
    const Huifang__V1__CallLog *c;
    bool visit;
    hf_reply_t *rep;
    hf_arena_t *a;
    char tz[64];                      /* the branch's zone */
    int64_t now;                      /* UTC ms */
    int32_t next_day;                 /* the next contact's local date, or -1 */
    Huifang__V1__OutcomeFlags *flags; /* of the outcome */
    const char *channels;             /* the outcome fits these ("a, b"), "": every channel */
    Huifang__V1__TaskContext *ctx;    /* step 2: the task, from the scheduler */
    const char *product;              /* step 3: what an order orders */
    char ref_phone[24];               /* step 4: a referral's phone, normalised */
    Huifang__V1__Contact *ct;         /* step 4: the contact as recorded */
} s_contact_t;

/* The request's idempotency key claimed, the branch's zone, the outcome's flags and the
 * channels it fits, in one statement (CALLLOG_Q_CALL_BASICS): HF_OK; HF_CONFLICT when the key
 * was answered before (the framework sends the stored reply: hf_service_key_claimed);
 * BAD_INPUT naming "branch" or "outcome" as calllog_branch_tz and calllog_outcome_flags say
 * it; or UNAVAILABLE. */
static int s_call_basics(s_contact_t *lc)
{
    const char *branch = lc->req->branch;
    const char *code = lc->c->outcome;
    const char *key = hf_service_request_key(lc->svc);
    const char *p[] = {branch, code, key ? key : "", hf_request_command_name(lc->req)};
    PGresult *res = hf_store_query(lc->st, &CALLLOG_Q_CALL_BASICS, 4, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int rc = HF_OK;
    hf_service_key_claimed(lc->svc, hf_pg_bool(res, 0, 0));
    if (!hf_pg_bool(res, 0, 0)) {
        rc = HF_CONFLICT; /* answered before */
    } else if (!hf_pg_bool(res, 0, 1)) {
        rc = hf_fail(lc->rep, lc->a, HF_BAD_INPUT, "branch", "unknown branch %s", branch);
    } else {
        snprintf(lc->tz, sizeof lc->tz, "%s", hf_pg_str(res, 0, 2));
        if (!hf_pg_bool(res, 0, 3)) {
            rc = calllog_outcome_unknown(lc->rep, lc->a, code);
        } else {
            calllog_outcome_flags_read(res, 4, lc->flags);
            lc->channels = hf_arena_strdup(lc->a, hf_pg_str(res, 0, 11));
        }
    }
    PQclear(res);
    return rc;
}

/* HF_OK when the outcome fits channel (lc->channels: the outcome's, "" = any), or
 * BAD_INPUT naming "outcome". */
static int s_outcome_fits(const s_contact_t *lc, const char *channel)
{
    const char *list = lc->channels ? lc->channels : "";
    if (*list == '\0')
        return HF_OK;
    size_t n = strlen(channel);
    for (const char *at = list; *at;) {
        const char *end = strstr(at, ", ");
        size_t len = end ? (size_t)(end - at) : strlen(at);
        if (len == n && strncmp(at, channel, n) == 0)
            return HF_OK;
        at = end ? end + 2 : at + len;
    }
    return hf_fail(lc->rep, lc->a, HF_BAD_INPUT, "outcome",
                   "outcome %s is for %s contacts, not %s (see huifang outcome list)",
                   lc->c->outcome, list, channel);
}

/* 1. the record itself, before anything is asked of the scheduler: task, outcome and its
 * flags, the fields the outcome asks for, an ordered product the branch sells */
static int s_check_contact(s_contact_t *lc)
{
    const Huifang__V1__CallLog *c = lc->c;
    const char *branch = lc->req->branch;
    int rc;
    if (c == NULL || branch == NULL || *branch == '\0' || c->task_id <= 0 || c->outcome == NULL ||
        *c->outcome == '\0') {
        /* refused, unless the idempotency key was answered before (the call basics claim it
         * on every other path) */
        if ((rc = hf_service_claim_key(lc->svc)) != 0)
            return rc > 0 ? HF_CONFLICT : HF_UNAVAILABLE;
        if (c == NULL)
            return hf_fail(lc->rep, lc->a, HF_BAD_INPUT, "contact",
                           "the contact record is missing");
        /* refused: for the branch first, as always */
        if ((rc = calllog_branch_tz(lc->st, branch, lc->tz, lc->rep, lc->a)) != HF_OK)
            return rc;
        if (c->task_id <= 0)
            return hf_fail(lc->rep, lc->a, HF_BAD_INPUT, "task", "task is required");
        return hf_fail(lc->rep, lc->a, HF_BAD_INPUT, "outcome", "outcome is required");
    }
    if ((rc = s_call_basics(lc)) != HF_OK)
        return rc;
    lc->now = hf_clock_now_ms();
    int32_t today = hf_time_local_day(lc->now, lc->tz);
    lc->next_day = -1;
    if ((rc = s_check_record(c, lc->visit, lc->flags, lc->now, today, &lc->next_day, lc->rep,
                             lc->a)) != HF_OK)
        return rc;
    if (c->order_qty > 0 && c->order_product && *c->order_product &&
        (rc = calllog_need_product(lc->st, branch, c->order_product, "order_product", lc->rep,
                                   lc->a)) != HF_OK)
        return rc;
    return HF_OK;
}

/* 3. the task as the scheduler has it: claimed, held by the actor (or a supervisor), of the
 * contact's kind; an order without a product takes the task's purchase's. That the claim is
 * not logged yet is not looked up here: the contact's INSERT says so (step 4), and a refusal
 * of this step or the next is replaced by "already logged" when it is (s_claim_logged) */
static int s_check_task(s_contact_t *lc)
{
    const Huifang__V1__Task *t = lc->ctx->task;
    const Huifang__V1__CallLog *c = lc->c;
    hf_reply_t *rep = lc->rep;
    hf_arena_t *a = lc->a;
    const char *actor = S(lc->req->actor);
    if (strcmp(S(t->state), "claimed") != 0)
        return hf_fail(rep, a, HF_CONFLICT, "task",
                       "task %lld is %s, not claimed: claim it with `huifang task next` first",
                       (long long)t->id, S(t->state));
    if (*actor == '\0' || strcmp(actor, S(t->agent)) != 0) {
        char role[16];
        if (calllog_agent_role(lc->st, lc->req->branch, actor, role) != 0)
            return HF_UNAVAILABLE;
        if (*actor == '\0' || !calllog_role_supervises(role))
            return hf_fail(rep, a, HF_CONFLICT, "task", "task %lld is held by agent %s, not %s",
                           (long long)t->id, S(t->agent), *actor ? actor : "(nobody: use --as)");
    }
    bool visit_task = strcmp(S(t->channel), "visit") == 0;
    if (lc->visit && !visit_task)
        return hf_fail(rep, a, HF_BAD_INPUT, "task",
                       "task %lld is a %s contact, not a home visit: record it with `huifang call "
                       "log`",
                       (long long)t->id, S(t->channel));
    if (!lc->visit && visit_task)
        return hf_fail(rep, a, HF_BAD_INPUT, "task",
                       "task %lld is a home visit: record it with `huifang visit log`",
                       (long long)t->id);
    lc->product = S(c->order_product);
    if (c->order_qty > 0 && *lc->product == '\0') {
        lc->product = s_purchase_product(lc->ctx);
        if (*lc->product == '\0')
            return hf_fail(rep, a, HF_BAD_INPUT, "order_product",
                           "an order names its product (--order-product): task %lld has no "
                           "purchase to take it from",
                           (long long)t->id);
        return calllog_need_product(lc->st, lc->req->branch, lc->product, "order_product", rep, a);
    }
    return HF_OK;
}

/* The text of a contact's parameters, $1..$46 of CALLLOG_Q_CONTACT_ADD and
 * CALLLOG_Q_CALL_QUICK, and their buffers. */
typedef struct {
    char day[24], next[11], tid[24], claim[16], cid[24], qty[16], cb[24], started[24], dur[16],
        at[24], pulse[16], pid[24], nev[16], ids[24];
    const char *p[49];
    int events; /* the events the log emits (steps 6 and 7), their numbers reserved with it */
} s_params_t;

/* Fills sp with the contact's parameters on channel: $18 its day, the local date in lc->tz,
 * or (quick) the instant whose local date it is, which CALLLOG_Q_CALL_QUICK turns into the
 * date in the branch's zone it reads itself. HF_OK, or INTERNAL filled into the reply. */
static int s_contact_params(s_contact_t *lc, const char *channel, bool quick, s_params_t *sp)
{
    const Huifang__V1__CallLog *c = lc->c;
    const Huifang__V1__Task *t = lc->ctx->task;
    const Huifang__V1__Usage *u = c->usage;
    const Huifang__V1__Findings *f = c->findings;
    const Huifang__V1__LeadAdd *r = c->referral;
    if (r != NULL) {
        const char *why = NULL;
        hf_phone_normalise(r->phone, lc->ref_phone, sizeof lc->ref_phone, &why);
    }
    int64_t now = lc->now;
    int64_t started = c->started_at_ms ? c->started_at_ms : now;
    bool home = c->order_qty > 0 && strcmp(S(c->delivery), "home") == 0;
    sp->events = 1 + (lc->visit ? 1 : 0) + (home ? 1 : 0);
    /* the contact's day is the day it happened, in the branch's zone */
    if (quick)
        hf_pg_i64(sp->day, started);
    else
        hf_time_local_date(started, lc->tz, sp->day);
    if (lc->next_day >= 0)
        hf_date_format(lc->next_day, sp->next);
    const char *p[38] = {lc->req->branch,
                         hf_pg_i64(sp->tid, t->id),
                         hf_pg_i64(sp->claim, t->claims),
                         hf_pg_i64(sp->cid, t->customer_id),
                         S(t->agent),
                         c->outcome,
                         channel,
                         S(t->purpose),
                         S(c->effect),
                         hf_pg_i64(sp->qty, c->order_qty),
                         S(c->delivery),
                         hf_pg_i64(sp->cb, c->callback_at_ms),
                         lc->next_day >= 0 ? sp->next : NULL,
                         S(c->note),
                         hf_pg_i64(sp->started, started),
                         hf_pg_i64(sp->dur, c->duration_s),
                         hf_pg_i64(sp->at, now),
                         sp->day,
                         hf_pg_i64(sp->pid, t->purchase_id),
                         u ? S(u->dose) : "",
                         u ? S(u->timing) : "",
                         u ? S(u->other_medicines) : "",
                         u ? S(u->diet) : "",
                         S(c->advice),
                         c->order_qty > 0 ? lc->product : "",
                         S(c->delivery_address),
                         r ? S(r->name) : "",
                         lc->ref_phone,
                         c->event_accepted ? "true" : "false",
                         S(c->event),
                         c->typical_case ? "true" : "false",
                         c->typical_consent ? "true" : "false",
                         f ? S(f->blood_pressure) : "",
                         hf_pg_i64(sp->pulse, f ? f->pulse : 0),
                         f ? S(f->symptoms) : "",
                         f ? S(f->text) : "",
                         hf_service_name(lc->svc),
                         hf_pg_i64(sp->nev, sp->events)};
    memcpy(sp->p, p, sizeof p);
    /* the audit row, $39..$46 (the contact's note is the customer's personal, health, record) */
    if (hf_service_audit_values(lc->svc, &t->customer_id, 1, sp->ids, sizeof sp->ids, sp->p + 38) !=
        0)
        return hf_fail(lc->rep, lc->a, HF_INTERNAL, NULL, "the audit row has no command");
    return HF_OK;
}

/* The contact just inserted, from column 0 of res's row (its events' last number after its
 * columns): kept as lc->ct with the outcome's flags, its events' numbers given to the
 * framework (none reserved, NULL, when there was no counter row to move: the framework
 * reserves them at the commit). */
static void s_contact_inserted(s_contact_t *lc, const PGresult *res, int events)
{
    lc->ct = calllog_contact_from_row(res, 0, 0, false, lc->a);
    lc->ct->flags = lc->flags;
    if (!PQgetisnull(res, 0, CALLLOG_CONTACT_NCOLS))
        hf_service_events_reserved(lc->svc, events, hf_pg_int(res, 0, CALLLOG_CONTACT_NCOLS));
}

/* The channel the contact is on: a visit's, the record's, else the task's. */
static const char *s_contact_channel(const s_contact_t *lc)
{
    const Huifang__V1__CallLog *c = lc->c;
    return lc->visit ? "visit"
                     : (c->channel && *c->channel ? c->channel : S(lc->ctx->task->channel));
}

/* 4. the contact row, once per claim of the task */
static int s_insert_contact(s_contact_t *lc)
{
    const char *channel = s_contact_channel(lc);
    /* an outcome of some channels only (WeChat's) fits only those (calllog_letters.c) */
    int fits = s_outcome_fits(lc, channel);
    if (fits != HF_OK)
        return fits;
    s_params_t sp;
    int rc = s_contact_params(lc, channel, false, &sp);
    if (rc != HF_OK)
        return rc;
    PGresult *res = hf_store_query(lc->st, &CALLLOG_Q_CONTACT_ADD, 46, sp.p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    if (PQntuples(res) == 0) {
        /* the claim's contact is there already: s_claim_logged names it */
        PQclear(res);
        return hf_fail(lc->rep, lc->a, HF_CONFLICT, "task",
                       "task %lld is already logged for this claim", (long long)lc->ctx->task->id);
    }
    s_contact_inserted(lc, res, sp.events);
    PQclear(res);
    return HF_OK;
}

/* After a refusal of step 3 or 4 (rc, filled into the reply): a claim already logged says so
 * instead, naming its contact, even when the scheduler has moved the task on since — the
 * look-up the happy path no longer makes (its INSERT's ON CONFLICT tells it). Returns rc, the
 * conflict, or UNAVAILABLE. */
static int s_claim_logged(s_contact_t *lc, int rc)
{
    if (rc == HF_OK || rc == HF_UNAVAILABLE)
        return rc;
    const Huifang__V1__Task *t = lc->ctx->task;
    char tid[24], claim[16];
    const char *pc[] = {hf_pg_i64(tid, t->id), hf_pg_i64(claim, t->claims)};
    PGresult *res = hf_store_query(lc->st, &CALLLOG_Q_CONTACT_OF_CLAIM, 2, pc);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int64_t logged = PQntuples(res) > 0 ? hf_pg_int(res, 0, 0) : 0;
    PQclear(res);
    if (logged <= 0)
        return rc;
    return hf_fail(lc->rep, lc->a, HF_CONFLICT, "task",
                   "task %lld is already logged for this claim (contact %lld)", (long long)t->id,
                   (long long)logged);
}

/* ---------------------------------------------------------------------------------------
 * The quick log: steps 1-4 in one statement
 *
 * A log whose task the scheduler answered (the framework's ask), held by the actor, of the
 * log's kind, and whose record and product pass every check that does not need the store,
 * sends the key's claim, the call basics, the contact, its events' numbers and the audit
 * row as one statement (CALLLOG_Q_CALL_QUICK) with BEGIN: a log is 5 statements and 2 round
 * trips of calllog's store, not 6 and 3 (issue 14, clog11). The steps' checks then run in
 * their order on what it read, and refuse as they would have: what it wrote rolls back with
 * the transaction. Any other log goes step by step.
 * ------------------------------------------------------------------------------------- */

/* Whether the log may go the quick way: the record is there, the scheduler answered its task
 * (lc->ctx), the actor holds it, the log's kind is the task's, an order's product is known
 * and a product code, and the record passes s_check_record with the outcome's flags allowing
 * everything and today in UTC (the store's constraints refuse nothing then); lc->now,
 * lc->product and lc->next_day are set. */
static bool s_quick_fits(s_contact_t *lc)
{
    const Huifang__V1__CallLog *c = lc->c;
    const char *branch = lc->req->branch;
    if (c == NULL || branch == NULL || *branch == '\0' || c->task_id <= 0 || c->outcome == NULL ||
        *c->outcome == '\0')
        return false;
    const hf_reply_t *r = NULL;
    if (hf_service_asked(lc->svc, &r) != 1 || r == NULL || r->status != HF_OK ||
        r->result_case != HUIFANG__V1__REPLY__RESULT_TASK || r->task->task == NULL)
        return false;
    const Huifang__V1__Task *t = r->task->task;
    const char *actor = S(lc->req->actor);
    if (strcmp(S(t->state), "claimed") != 0 || *actor == '\0' || strcmp(actor, S(t->agent)) != 0 ||
        lc->visit != (strcmp(S(t->channel), "visit") == 0))
        return false;
    const char *product = S(c->order_product);
    if (c->order_qty > 0 && *product == '\0')
        product = s_purchase_product(r->task);
    if (c->order_qty > 0 && !calllog_code_valid(product))
        return false;
    Huifang__V1__OutcomeFlags any = HUIFANG__V1__OUTCOME_FLAGS__INIT;
    any.human_answered = true;
    hf_reply_t scratch = HUIFANG__V1__REPLY__INIT;
    int64_t now = hf_clock_now_ms();
    int32_t next_day = -1;
    if (s_check_record(c, lc->visit, &any, now, hf_time_local_day(now, "UTC"), &next_day, &scratch,
                       lc->a) != HF_OK)
        return false;
    lc->ctx = r->task;
    lc->product = product;
    lc->now = now;
    lc->next_day = next_day;
    return true;
}

/* The checks of steps 1, 3 and 4 on what CALLLOG_Q_CALL_QUICK read (row 0 of res), in their
 * order, as the steps make them: HF_OK with the contact inserted, or the refusal filled
 * into the reply (a refusal of step 3 or 4 then replaced by "already logged" when it is). */
static int s_quick_checks(s_contact_t *lc, const PGresult *res, int events)
{
    const Huifang__V1__CallLog *c = lc->c;
    const char *branch = lc->req->branch;
    const int k = CALLLOG_CONTACT_NCOLS + 1; /* the basics' first column */
    /* 1. the key, the branch, the outcome (s_call_basics), the record, a product named */
    bool fresh = hf_pg_bool(res, 0, k);
    hf_service_key_claimed(lc->svc, fresh);
    if (!fresh)
        return HF_CONFLICT; /* answered before */
    if (!hf_pg_bool(res, 0, k + 1))
        return hf_fail(lc->rep, lc->a, HF_BAD_INPUT, "branch", "unknown branch %s", branch);
    snprintf(lc->tz, sizeof lc->tz, "%s", hf_pg_str(res, 0, k + 2));
    if (!hf_pg_bool(res, 0, k + 3))
        return calllog_outcome_unknown(lc->rep, lc->a, c->outcome);
    calllog_outcome_flags_read(res, k + 4, lc->flags);
    lc->channels = hf_arena_strdup(lc->a, hf_pg_str(res, 0, k + 11));
    int32_t today = hf_time_local_day(lc->now, lc->tz);
    int rc = s_check_record(c, lc->visit, lc->flags, lc->now, today, &lc->next_day, lc->rep, lc->a);
    if (rc != HF_OK)
        return rc;
    bool named = c->order_qty > 0 && c->order_product && *c->order_product;
    bool product_known = hf_pg_bool(res, 0, k + 12);
    if (named && !product_known)
        return hf_fail(lc->rep, lc->a, HF_BAD_INPUT, "order_product",
                       "order_product: unknown product %s in branch %s", lc->product, branch);
    /* 3. the task (held, of the kind: s_quick_fits), an order's product from its purchase */
    if (c->order_qty > 0 && !named && !product_known)
        rc = hf_fail(lc->rep, lc->a, HF_BAD_INPUT, "order_product",
                     "order_product: unknown product %s in branch %s", lc->product, branch);
    /* 4. the channel, the contact */
    if (rc == HF_OK)
        rc = s_outcome_fits(lc, s_contact_channel(lc));
    bool inserted = !PQgetisnull(res, 0, 0);
    if (rc == HF_OK && !inserted)
        rc = hf_fail(lc->rep, lc->a, HF_CONFLICT, "task",
                     "task %lld is already logged for this claim", (long long)lc->ctx->task->id);
    if (rc == HF_OK)
        s_contact_inserted(lc, res, events);
    /* a refusal names the claim's contact when there was one before: not the one the
     * statement inserted itself (rolled back with the refusal) */
    return inserted ? rc : s_claim_logged(lc, rc);
}

/* Steps 1-4 the quick way, once s_quick_fits said so: HF_OK with lc->ct, or the refusal. */
static int s_quick_log(s_contact_t *lc)
{
    s_params_t sp;
    int rc = s_contact_params(lc, s_contact_channel(lc), true, &sp);
    if (rc != HF_OK)
        return rc;
    const char *key = hf_service_request_key(lc->svc);
    sp.p[46] = key ? key : "";
    sp.p[47] = hf_request_command_name(lc->req);
    sp.p[48] = lc->c->order_qty > 0 ? lc->product : "";
    PGresult *res = hf_store_query(lc->st, &CALLLOG_Q_CALL_QUICK, 49, sp.p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    rc = s_quick_checks(lc, res, sp.events);
    PQclear(res);
    if (rc != HF_OK)
        return rc;
    /* the day the store computed in the branch's zone, as this process computes it: a
     * disagreement of the two zone databases is set right, the process's date kept */
    char day[11];
    hf_time_local_date(lc->c->started_at_ms ? lc->c->started_at_ms : lc->now, lc->tz, day);
    if (strcmp(day, S(lc->ct->date)) != 0) {
        hf_warn("contact_day", "contact=%lld tz=%s store=%s here=%s", (long long)lc->ct->id, lc->tz,
                S(lc->ct->date), day);
        char id[24];
        const char *p[] = {hf_pg_i64(id, lc->ct->id), day};
        PGresult *set = hf_store_query(lc->st, &CALLLOG_Q_CONTACT_DAY, 2, p);
        if (set == NULL)
            return HF_UNAVAILABLE;
        PQclear(set);
        lc->ct->date = hf_arena_strdup(lc->a, day);
    }
    return HF_OK;
}

/* 5. a referral: the new lead as intake registers it, collected by the agent, from this
 * customer */
static void s_attach_referral(s_contact_t *lc)
{
    const Huifang__V1__LeadAdd *r = lc->c->referral;
    const Huifang__V1__Task *t = lc->ctx->task;
    const Huifang__V1__Customer *cu = lc->ctx->customer;
    hf_arena_t *a = lc->a;
    if (r == NULL)
        return;
    Huifang__V1__LeadAdd *lead = hf_new(a, Huifang__V1__LeadAdd);
    huifang__v1__lead_add__init(lead);
    lead->name = hf_arena_strdup(a, r->name);
    lead->phone = hf_arena_strdup(a, lc->ref_phone);
    lead->channel = "referral";
    lead->region = hf_arena_strdup(
        a, r->region && *r->region ? r->region : (cu ? S(cu->region) : S(t->region)));
    lead->address = hf_arena_strdup(a, S(r->address));
    lead->gender = hf_arena_strdup(a, S(r->gender));
    lead->note = hf_arena_strdup(a, S(r->note));
    lead->collector = lc->ct->agent;
    lead->source = hf_arena_printf(a, "referred by customer %lld", (long long)t->customer_id);
    lead->collected_at_ms = lc->now;
    lc->ct->referral = lead;
}

/* 6. an order to be delivered home opens a delivery, to the address given, else the
 * customer's */
static int s_open_home_delivery(s_contact_t *lc)
{
    const Huifang__V1__CallLog *c = lc->c;
    const Huifang__V1__Task *t = lc->ctx->task;
    const Huifang__V1__Customer *cu = lc->ctx->customer;
    Huifang__V1__Contact *ct = lc->ct;
    hf_arena_t *a = lc->a;
    if (c->order_qty <= 0 || strcmp(S(c->delivery), "home") != 0)
        return HF_OK;
    Huifang__V1__Delivery *d = hf_new(a, Huifang__V1__Delivery);
    huifang__v1__delivery__init(d);
    d->branch = lc->req->branch;
    d->source = "call";
    d->contact_id = ct->id;
    d->customer_id = t->customer_id;
    d->name = hf_arena_strdup(a, cu && cu->name && *cu->name ? cu->name : S(t->customer_name));
    d->phone = hf_arena_strdup(a, cu && cu->phone && *cu->phone ? cu->phone : S(t->customer_phone));
    char address[CALLLOG_SHORT_MAX + 1];
    if (c->delivery_address && *c->delivery_address)
        snprintf(address, sizeof address, "%s", c->delivery_address);
    else if (calllog_customer_address(lc->st, t->customer_id, address, sizeof address) != 0)
        return HF_UNAVAILABLE;
    if (address[0] == '\0' && cu)
        snprintf(address, sizeof address, "%s", S(cu->address));
    d->address = hf_arena_strdup(a, address);
    d->region = hf_arena_strdup(a, cu && cu->region && *cu->region ? cu->region : S(t->region));
    d->product = ct->order_product;
    d->quantity = c->order_qty;
    d->agent = ct->agent;
    d->requested_at_ms = lc->now;
    Huifang__V1__Delivery *opened = calllog_open_delivery(lc->svc, d, a);
    if (opened == NULL)
        return HF_UNAVAILABLE;
    ct->delivery_id = opened->id;
    return HF_OK;
}

/* 7. CallLogged (and VisitLogged for a visit); the audit row went with the contact (step 4) */
static int s_announce_contact(s_contact_t *lc)
{
    Huifang__V1__Contact *ct = lc->ct;
    Huifang__V1__CallLogged ev = HUIFANG__V1__CALL_LOGGED__INIT;
    ev.contact = ct;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CALL_LOGGED;
    env.call_logged = &ev;
    if (hf_service_emit(lc->svc, &env) != 0)
        return HF_UNAVAILABLE;
    if (lc->visit) {
        Huifang__V1__VisitLogged vev = HUIFANG__V1__VISIT_LOGGED__INIT;
        vev.contact = ct;
        hf_envelope_t venv = HUIFANG__V1__ENVELOPE__INIT;
        venv.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_VISIT_LOGGED;
        venv.visit_logged = &vev;
        if (hf_service_emit(lc->svc, &venv) != 0)
            return HF_UNAVAILABLE;
    }
    hf_info("contact_logged",
            "contact=%lld task=%lld claim=%d channel=%s outcome=%s effect=%s"
            " order=%d delivery=%lld",
            (long long)ct->id, (long long)ct->task_id, ct->claim_no, ct->channel, ct->outcome,
            *ct->effect ? ct->effect : "-", ct->order_qty, (long long)ct->delivery_id);
    return HF_OK;
}

static int s_log_contact(hf_service_t *svc, const hf_request_t *req, const Huifang__V1__CallLog *c,
                         bool visit, hf_reply_t *rep, hf_arena_t *a)
{
    s_contact_t lc = {.svc = svc,
                      .st = hf_service_store(svc),
                      .req = req,
                      .c = c,
                      .visit = visit,
                      .rep = rep,
                      .a = a};
    hf_reply_t *task_reply = NULL;
    int rc;
    lc.flags = hf_new(a, Huifang__V1__OutcomeFlags);
    huifang__v1__outcome_flags__init(lc.flags);
    if (s_quick_fits(&lc)) {
        if ((rc = s_quick_log(&lc)) != HF_OK) /* 1-4 */
            goto done;
    } else {
        if ((rc = s_check_contact(&lc)) != HF_OK) /* 1 */
            return rc;
        if ((rc = s_fetch_task(svc, req, c->task_id, &task_reply, &lc.ctx, rep, a)) !=
            HF_OK) /* 2 */
            goto done;
        if ((rc = s_check_task(&lc)) == HF_OK) /* 3 */
            rc = s_insert_contact(&lc);        /* 4 */
        if ((rc = s_claim_logged(&lc, rc)) != HF_OK)
            goto done;
    }
    s_attach_referral(&lc);                          /* 5 */
    if ((rc = s_open_home_delivery(&lc)) != HF_OK || /* 6 */
        (rc = s_announce_contact(&lc)) != HF_OK)     /* 7 */
        goto done;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_CONTACT;
    rep->contact = lc.ct;
    rc = HF_OK;
done:
    if (task_reply)
        huifang__v1__reply__free_unpacked(task_reply, NULL);
    return rc;
}

int calllog_call_log(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                     hf_arena_t *a)
{
    (void)self;
    return s_log_contact(svc, req, req->call_log, false, rep, a);
}

int calllog_visit_log(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                      hf_arena_t *a)
{
    (void)self;
    return s_log_contact(svc, req, req->visit_log, true, rep, a);
}
