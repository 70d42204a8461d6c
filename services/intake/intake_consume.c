/* intake_consume: what other services' events mean for the archive.
 *
 * calllog.call_logged    a contact made turns a new card into one-on-one; an order is a
 *                        purchase (a new form: the scheduler starts its plan); refusal or
 *                        hostility voids the card and opts the customer out; a referral is
 *                        a new lead of channel referral (with the branch's plan for it).
 * calllog.consult_logged "bought" finds or registers the caller and records the purchase;
 *                        "not-bought" registers a lead with the branch's conversion plan
 *                        for consultations (consult-not-converted by default).
 * scheduler.customer_screened  voids the card with the scheduler's reason.
 * complaint.return_decided     an approved refund lowers the customer's spend and tier, and
 *                              the returned units' points go back (intake_points.c).
 *
 * The framework applies each event once, in the transaction that records its sequence; the
 * UNIQUE constraints (a purchase per contact or consultation, a lead source per origin) make
 * a second delivery harmless all the same. A store failure returns -1 (retried); an event
 * that can never apply is logged and skipped (returning 0, so that half of it is not kept
 * as it would be with -2). */
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_phone.h"
#include "hf_time.h"
#include "intake_internal.h"
#include "intake_sql.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")

/* Loads the branch of an event: 0, 1 when it is unknown here (skip), -1 on a store error. */
static int s_branch(hf_service_t *svc, const hf_envelope_t *env, const char *fallback,
                    intake_branch_t *b, hf_arena_t *a)
{
    hf_reply_t scratch = HUIFANG__V1__REPLY__INIT;
    const char *code = S(env->branch)[0] ? env->branch : S(fallback);
    int rc = intake_branch_load(svc, code, b, &scratch, a);
    if (rc == HF_OK)
        return 0;
    if (rc == HF_UNAVAILABLE)
        return -1;
    hf_warn("event_skipped", "producer=%s seq=%llu reason=\"unknown branch %s\"", S(env->producer),
            (unsigned long long)env->seq, code);
    return 1;
}

/* Loads and locks a customer, following merges to the one that stays. 0 with *out (NULL
 * when there is no such customer), or -1 on a store error. */
static int s_live_customer(hf_service_t *svc, const intake_branch_t *b, int64_t id,
                           Huifang__V1__Customer **out, hf_arena_t *a)
{
    *out = NULL;
    for (int hop = 0; hop < 8 && id > 0; hop++) {
        int rc;
        Huifang__V1__Customer *c = intake_customer_load(svc, b, id, true, a, &rc);
        if (c == NULL)
            return rc == HF_NOT_FOUND ? 0 : -1;
        if (c->merged_into == 0) {
            *out = c;
            return 0;
        }
        id = c->merged_into;
    }
    return 0;
}

/* True when a lead source with this origin exists (the event was applied before). */
static int s_origin_seen(hf_service_t *svc, const char *origin)
{
    const char *p[] = {origin};
    PGresult *res = hf_store_query(hf_service_store(svc), &INTAKE_Q_ORIGIN_SEEN, 1, p);
    if (res == NULL)
        return -1;
    int seen = PQntuples(res) > 0;
    PQclear(res);
    return seen;
}

/* Blanks a LeadAdd field by name (an optional field another service got wrong must not cost
 * us the lead). Returns 0, or -1 when the field is one a lead cannot do without. */
static int s_blank_field(Huifang__V1__LeadAdd *l, const char *field)
{
    if (strcmp(field, "name") == 0 || strcmp(field, "phone") == 0 || strcmp(field, "channel") == 0)
        return -1;
    if (strcmp(field, "collected_at") == 0) {
        l->collected_at_ms = 0;
        return 0;
    }
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(&huifang__v1__lead_add__descriptor, field);
    if (f == NULL)
        return -1;
    void *member = (char *)l + f->offset;
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
        *(char **)member = "";
        return 0;
    case PROTOBUF_C_TYPE_INT32:
        *(int32_t *)member = 0;
        return 0;
    case PROTOBUF_C_TYPE_INT64:
        *(int64_t *)member = 0;
        return 0;
    default:
        return -1;
    }
}

/* Registers (or merges) one lead brought by an event, once per origin. A lead whose name or
 * phone is unusable is recorded as rejected (LeadRejected). Returns 0 with *customer_id (0
 * when rejected or seen before), or -1 on a store error. */
static int s_event_lead(hf_service_t *svc, const intake_branch_t *b, Huifang__V1__LeadAdd *l,
                        const char *origin, const char *plan, const hf_envelope_t *env,
                        int64_t *customer_id, hf_arena_t *a)
{
    *customer_id = 0;
    int seen = s_origin_seen(svc, origin);
    if (seen != 0)
        return seen < 0 ? -1 : 0;
    intake_row_t *row = hf_new(a, intake_row_t);
    row->raw = l;
    row->origin = origin;
    row->plan = plan;
    for (int tries = 0; tries < 8; tries++) {
        intake_leads_check(b, row, 1, a);
        if (row->valid || s_blank_field(l, row->err.field) != 0)
            break;
        hf_warn("event_lead_field_dropped", "origin=%s field=%s reason=\"%s\"", origin,
                row->err.field, row->err.reason);
    }
    if (intake_leads_record(svc, b, row, 1, false, env->correlation_id, a) != HF_OK)
        return -1;
    if (!row->valid) {
        hf_warn("event_lead_rejected", "origin=%s field=%s reason=\"%s\"", origin,
                S(row->err.field), row->err.reason);
        return 0;
    }
    *customer_id = row->customer_id;
    hf_info("event_lead", "origin=%s customer=%lld merged=%d", origin, (long long)row->customer_id,
            row->merged);
    return 0;
}

/* Records the purchase an event reports. 0 (recorded, recorded before, or impossible and
 * logged) or -1 on a store error. */
static int s_event_purchase(hf_service_t *svc, const intake_branch_t *b, const intake_purchase_t *p,
                            hf_arena_t *a)
{
    hf_reply_t scratch = HUIFANG__V1__REPLY__INIT;
    Huifang__V1__Purchase *out = NULL;
    int rc = intake_purchase_record(svc, b, p, &out, &scratch, a);
    if (rc == HF_OK || rc == HF_CONFLICT)
        return 0;
    if (rc == HF_UNAVAILABLE || rc == HF_INTERNAL)
        return -1;
    hf_error("event_purchase_skipped",
             "customer=%lld product=%s contact=%lld consultation=%lld"
             " reason=\"%s\"",
             (long long)p->customer_id, S(p->product), (long long)p->contact_id,
             (long long)p->consultation_id, S(scratch.error));
    return 0;
}

static int32_t s_local_day(const intake_branch_t *b, int64_t ms)
{
    if (ms <= 0)
        return b->today;
    int32_t d = hf_time_local_day(ms, b->tz);
    return d > b->today ? b->today : d;
}

/* ---- calllog ---- */

/* A call's customer as it was before the call's statement changed it (s_call_customer). */
typedef struct {
    const char *card_type, *void_reason, *opt_out_reason;
    bool opted_out;
} s_was_t;

/* A call's customer, read in the statement that writes the call as the last contact (for
 * segments, intake_segment.c), with the branch's zone: b gets its code, zone and today, and
 * its stage rules when the customer will go out in a CustomerUpdated (the card made
 * one-on-one; when refused, voided or opted out), no other rules; the customer no stage. When
 * talked, a new card is made one-on-one in the same statement (*made; its events are the
 * caller's); when refused (void_reason: why), the card is voided and the customer opted out
 * there too, unless they were already (their events are the caller's, from *was). 0 with *out
 * (NULL when the customer is no live one of the branch: merged, or not there; *was then
 * unset), 1 when the branch is unknown here, -1 on a store error. */
static int s_call_customer(hf_service_t *svc, const char *code, int64_t id, int64_t at_ms,
                           bool talked, bool refused, const char *void_reason, intake_branch_t *b,
                           Huifang__V1__Customer **out, bool *made, s_was_t *was, hf_arena_t *a)
{
    *out = NULL;
    *made = false;
    memset(b, 0, sizeof *b);
    memset(was, 0, sizeof *was);
    char idtxt[24], at[24];
    const char *p[] = {hf_pg_i64(idtxt, id),       code,
                       hf_pg_i64(at, at_ms),       talked ? "true" : "false",
                       refused ? "true" : "false", refused ? void_reason : ""};
    PGresult *res = hf_store_query(hf_service_store(svc), &INTAKE_Q_CALL_CUSTOMER, 6, p);
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return 1;
    }
    /* the customer's columns, what it had (opt-out reason, void reason, opted out, card), the
     * zone, the eight of a stage rule */
    int rule = PQnfields(res) - 8;
    snprintf(b->code, sizeof b->code, "%s", code);
    snprintf(b->tz, sizeof b->tz, "%s", hf_pg_str(res, 0, rule - 1));
    b->now_ms = hf_clock_now_ms();
    b->today = hf_time_local_day(b->now_ms, b->tz);
    if (!PQgetisnull(res, 0, 0)) {
        *out = intake_customer_from_row(res, 0, NULL, a);
        was->card_type = hf_arena_strdup(a, hf_pg_str(res, 0, rule - 2));
        was->opted_out = hf_pg_bool(res, 0, rule - 3);
        was->void_reason = hf_arena_strdup(a, hf_pg_str(res, 0, rule - 4));
        was->opt_out_reason = hf_arena_strdup(a, hf_pg_str(res, 0, rule - 5));
        *made = talked && strcmp(was->card_type, "new") == 0;
        intake_stage_rows(res, rule, b);
    }
    PQclear(res);
    return 0;
}

/* A refusal's CustomerUpdated after its card moved to void (voided 0) and its customer opted
 * out (opted 0) — 1 each when it was so already, -1 when that failed: the changed fields named,
 * none sent when nothing changed. 0 or -1. */
static int s_refusal_updated(hf_service_t *svc, Huifang__V1__Customer *c, int voided, int opted)
{
    if (voided < 0 || opted < 0)
        return -1;
    const char *change = voided == 0 && opted == 0 ? "card_type,opt_out"
                         : voided == 0             ? "card_type"
                         : opted == 0              ? "opt_out"
                                                   : NULL;
    return change && intake_emit_updated(svc, c, change) != 0 ? -1 : 0;
}

/* The events of a call whose customer was found live and written by the call's statement (or
 * its batch's), no order and no referral: c is the customer after the call (its stage computed
 * here from b's stage rules), was what it had before; made when a new card talked to became
 * one-on-one, folded when a refusal (reason) voided the card and opted the customer out there
 * too. The same events in the same order as intake_card_set and intake_opt_out send them. 0
 * or -1. */
static int s_call_events(hf_service_t *svc, const intake_branch_t *b, Huifang__V1__Customer *c,
                         const s_was_t *was, bool made, bool folded, const char *reason,
                         hf_arena_t *a)
{
    /* the stage rules came with the customer when a CustomerUpdated carries it */
    intake_customer_stage(c, b, a);
    /* the customer as the events before a refusal's saw it (c: after the refusal): the card
     * made one-on-one, or as it was */
    Huifang__V1__Customer *before = c;
    const char *was_card = was->card_type;
    if (folded) {
        before = hf_new(a, Huifang__V1__Customer);
        *before = *c;
        before->card_type = (char *)(made ? "one-on-one" : was->card_type);
        before->void_reason = (char *)(made ? "" : was->void_reason);
        before->opted_out = was->opted_out;
        before->opt_out_reason = (char *)was->opt_out_reason;
        was_card = before->card_type;
    }
    /* talked to: the new card became one-on-one in that statement (intake_card_set's events) */
    if (made && (intake_emit_card(svc, c->branch, c->id, "new", "one-on-one", "") != 0 ||
                 intake_emit_updated(svc, before, "card_type") != 0))
        return -1;
    if (made)
        hf_info("card", "customer=%lld from=new to=one-on-one reason=", (long long)c->id);
    if (!folded)
        return 0;
    /* refused or hostile, written in that statement: intake_card_set's and intake_opt_out's
     * events */
    int voided = strcmp(was_card, "void") == 0
                     ? 1
                     : intake_card_moved(svc, c, was_card, "void", reason, true);
    int opted = voided < 0 ? -1 : was->opted_out ? 1 : intake_opted_out(svc, c, true);
    return s_refusal_updated(svc, c, voided, opted);
}

/* What a call_logged asks of the archive, read from the event. */
typedef struct {
    const char *code; /* the branch */
    int64_t at_ms;    /* the last contact it writes (UTC ms) */
    bool order, referral;
    bool talked;        /* contacted, no order, no referral: a new card becomes one-on-one */
    bool refused;       /* do not call, no order, no referral: void and opted out */
    const char *reason; /* the void reason when do not call, else NULL */
} s_call_t;

static void s_call_read(const hf_envelope_t *env, const Huifang__V1__Contact *ct, s_call_t *k)
{
    const Huifang__V1__OutcomeFlags *flags = ct->flags;
    k->code = S(env->branch)[0] ? env->branch : S(ct->branch);
    k->at_ms = ct->logged_at_ms > 0 ? ct->logged_at_ms : env->occurred_at_ms;
    k->order = ct->order_qty > 0 && S(ct->order_product)[0];
    k->referral = ct->referral && S(ct->referral->phone)[0];
    bool rules = k->order || k->referral;
    k->talked = !rules && flags && flags->contacted;
    k->refused = !rules && flags && flags->do_not_call;
    /* refused or hostile: the card is void for that reason, and nobody calls again */
    k->reason = NULL;
    if (flags && flags->do_not_call) {
        k->reason = intake_void_reason(ct->outcome);
        if (k->reason == NULL ||
            (strcmp(k->reason, "hostile") != 0 && strcmp(k->reason, "refused") != 0))
            k->reason = "refused";
    }
}

/* Applies one call: the customer read with the last contact written, and the branch's zone, in
 * one statement (a new card talked to made one-on-one there too, when there is no order and
 * no referral). The branch's rules only where they are used: all of them for an order (tier)
 * or a referral (regions, plans) or when the customer is not found that way (a merged one,
 * followed as before); only the stage rules, in that statement, when a CustomerUpdated
 * carries the customer. */
static int s_call_apply(hf_service_t *svc, const hf_envelope_t *env, hf_arena_t *a)
{
    const Huifang__V1__Contact *ct = env->call_logged->contact;
    s_call_t k;
    s_call_read(env, ct, &k);
    const char *code = k.code;
    int64_t at_ms = k.at_ms;
    const Huifang__V1__OutcomeFlags *flags = ct->flags;
    bool order = k.order, referral = k.referral, rules = order || referral;
    const char *reason = k.reason;
    intake_branch_t b;
    Huifang__V1__Customer *c = NULL;
    int rc = 0;
    bool made = false;
    s_was_t was = {0};
    if (code[0] && ct->customer_id > 0)
        rc = s_call_customer(svc, code, ct->customer_id, at_ms, k.talked, k.refused, reason, &b, &c,
                             &made, &was, a);
    if (rc < 0)
        return -1;
    if (rc > 0) {
        hf_warn("event_skipped", "producer=%s seq=%llu reason=\"unknown branch %s\"",
                S(env->producer), (unsigned long long)env->seq, code);
        return 0;
    }
    /* found and written by that statement, no order, no referral: its events, and done */
    if (c && !rules)
        return s_call_events(svc, &b, c, &was, made, k.refused, reason, a);
    if (c) {
        /* an order or a referral: all the branch's rules, its zone read with the customer */
        hf_reply_t scratch = HUIFANG__V1__REPLY__INIT;
        char tz[sizeof b.tz];
        snprintf(tz, sizeof tz, "%s", b.tz);
        if (intake_branch_rules(svc, code, tz, &b, &scratch, a) != HF_OK)
            return -1;
        intake_customer_stage(c, &b, a);
    } else {
        rc = s_branch(svc, env, ct->branch, &b, a);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
        if (s_live_customer(svc, &b, ct->customer_id, &c, a) != 0)
            return -1;
        if (c == NULL && ct->customer_id > 0)
            hf_warn("event_customer_unknown", "contact=%lld customer=%lld", (long long)ct->id,
                    (long long)ct->customer_id);
        /* the last contact, for segments (intake_segment.c) */
        if (c && intake_campaign_note_contact(svc, c->id, at_ms) != 0)
            return -1;
    }

    /* talked to: a new card becomes one-on-one */
    if (c && flags && flags->contacted && strcmp(c->card_type, "new") == 0 &&
        intake_card_set(svc, &b, c, "one-on-one", "", false) < 0)
        return -1;

    /* an order: a purchase, a new form whose plan the scheduler starts */
    if (c && order) {
        intake_purchase_t p = {.customer_id = c->id,
                               .product = ct->order_product,
                               .quantity = ct->order_qty,
                               .day = s_local_day(&b, ct->logged_at_ms),
                               .contact_id = ct->id,
                               .agent = S(ct->agent)};
        if (s_event_purchase(svc, &b, &p, a) != 0)
            return -1;
        if (s_live_customer(svc, &b, c->id, &c, a) != 0)
            return -1;
    }

    /* refused or hostile: the card is void for that reason, and nobody calls again */
    if (c && flags && flags->do_not_call) {
        int voided = intake_card_set(svc, &b, c, "void", reason, true);
        int opted = voided < 0 ? -1 : intake_opt_out(svc, c, reason, true);
        if (s_refusal_updated(svc, c, voided, opted) != 0)
            return -1;
    }

    /* a referral: a lead of its own, referred by this customer */
    if (referral) {
        Huifang__V1__LeadAdd *l = hf_new(a, Huifang__V1__LeadAdd);
        *l = *ct->referral;
        if (S(l->channel)[0] == '\0')
            l->channel = "referral";
        if (S(l->collector)[0] == '\0')
            l->collector = (char *)S(ct->agent);
        if (l->referrer_customer_id == 0 && c)
            l->referrer_customer_id = c->id;
        if (S(l->referrer)[0] == '\0' && c)
            l->referrer = hf_arena_printf(a, "customer %lld", (long long)c->id);
        if (l->collected_at_ms == 0)
            l->collected_at_ms = ct->logged_at_ms;
        int64_t id;
        const char *origin = hf_arena_printf(a, "calllog:contact:%lld:referral", (long long)ct->id);
        if (s_event_lead(svc, &b, l, origin, NULL, env, &id, a) != 0)
            return -1;
    }
    return 0;
}

/* ---- calllog: the common calls, a batch at a time ----
 *
 * Most calls are the common one: no order, no referral, a live customer of the branch. Each
 * cost a statement of its own (INTAKE_Q_CALL_CUSTOMER, ~100 µs of the backend a call in the
 * national day, most of it a statement's fixed cost). The handler keeps such a call instead
 * (what it needs, copied: the event goes when the handler returns), and the kept calls are
 * applied together — one statement, INTAKE_Q_CALLS_CUSTOMERS, each customer's calls folded as
 * they would apply one after another — before the batch of events commits (the batch hook),
 * and before any other call or consultation of the batch (which may touch the same
 * customers, and whose events come after theirs). Their events are then sent call by call,
 * in the calls' order, by s_call_events from each customer's state before and after each
 * call, the customer otherwise as the statement returned it (a call changes only its card,
 * opt-out and last contact), with the call's correlation id and time. When a call's customer
 * is no live one of its branch (merged: a merge is to be followed) or the branch is unknown,
 * the statement writes nothing and the kept calls go one at a time, in order, as they always
 * did (s_call_apply). */

/* A kept call: enough of its event to apply it later, or to rebuild it (s_kept_event). */
typedef struct {
    int64_t contact_id, customer_id, logged_at_ms, occurred_at_ms, now_ms;
    uint64_t seq;
    const char *producer, *branch, *contact_branch, *correlation, *outcome; /* keeper's arena */
    bool contacted, do_not_call;
    s_call_t k; /* read from the event (code: the keeper's copy) */
} s_kept_t;

typedef struct {
    hf_arena_t *arena; /* the kept calls' strings, and what a flush builds */
    s_kept_t *calls;
    int n, cap;
} s_keeper_t;

/* NULL outside the service (a test driving the handlers without the hook): every call applied
 * at once. */
static s_keeper_t *s_keeper;

/* Keeps a common call of the batch. 0, or -1 when out of memory. */
static int s_call_keep(s_keeper_t *kp, const hf_envelope_t *env, const s_call_t *k)
{
    if (kp->n == kp->cap) {
        int cap = kp->cap ? 2 * kp->cap : 64;
        s_kept_t *grown = realloc(kp->calls, sizeof *grown * (size_t)cap);
        if (grown == NULL)
            return -1;
        kp->calls = grown;
        kp->cap = cap;
    }
    const Huifang__V1__Contact *ct = env->call_logged->contact;
    hf_arena_t *a = kp->arena;
    s_kept_t *c = &kp->calls[kp->n++];
    *c = (s_kept_t){.contact_id = ct->id,
                    .customer_id = ct->customer_id,
                    .logged_at_ms = ct->logged_at_ms,
                    .occurred_at_ms = env->occurred_at_ms,
                    .now_ms = hf_clock_now_ms(),
                    .seq = env->seq,
                    .producer = hf_arena_strdup(a, env->producer),
                    .branch = hf_arena_strdup(a, env->branch),
                    .contact_branch = hf_arena_strdup(a, ct->branch),
                    .correlation = hf_arena_strdup(a, env->correlation_id),
                    .outcome = hf_arena_strdup(a, ct->outcome),
                    .contacted = ct->flags && ct->flags->contacted,
                    .do_not_call = ct->flags && ct->flags->do_not_call,
                    .k = *k};
    c->k.code = hf_arena_strdup(a, k->code);
    return 0;
}

static void s_keeper_forget(s_keeper_t *kp)
{
    kp->n = 0;
    hf_arena_reset(kp->arena);
}

/* Applies kept call c on its own, the way it always was, from its event rebuilt. 0 or -1. */
static int s_kept_apply(hf_service_t *svc, const s_kept_t *c, hf_arena_t *a)
{
    Huifang__V1__OutcomeFlags flags = HUIFANG__V1__OUTCOME_FLAGS__INIT;
    flags.contacted = c->contacted;
    flags.do_not_call = c->do_not_call;
    Huifang__V1__Contact ct = HUIFANG__V1__CONTACT__INIT;
    ct.id = c->contact_id;
    ct.customer_id = c->customer_id;
    ct.branch = (char *)c->contact_branch;
    ct.logged_at_ms = c->logged_at_ms;
    ct.outcome = (char *)c->outcome;
    ct.flags = &flags;
    Huifang__V1__CallLogged cl = HUIFANG__V1__CALL_LOGGED__INIT;
    cl.contact = &ct;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.producer = (char *)c->producer;
    env.seq = c->seq;
    env.branch = (char *)c->branch;
    env.correlation_id = (char *)c->correlation;
    env.occurred_at_ms = c->occurred_at_ms;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CALL_LOGGED;
    env.call_logged = &cl;
    intake_emit_origin(c->correlation, c->now_ms);
    int rc = s_call_apply(svc, &env, a);
    intake_emit_origin(NULL, 0);
    return rc;
}

/* One customer of a flush: its rows in the statement's answer, the branch, and its state as
 * the batch's calls move it. */
typedef struct {
    int64_t id;
    Huifang__V1__Customer *c; /* after every call */
    intake_branch_t b;        /* code, zone and stage rules */
    s_was_t now;              /* before the next call */
} s_folded_t;

static s_folded_t *s_folded_find(s_folded_t *f, int n, int64_t id)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (f[mid].id == id)
            return &f[mid];
        if (f[mid].id < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

/* The events of the kept calls, in order, from INTAKE_Q_CALLS_CUSTOMERS's answer (rows in
 * customer id order). 0 or -1. */
static int s_calls_events(hf_service_t *svc, s_keeper_t *kp, const PGresult *res)
{
    hf_arena_t *a = kp->arena;
    int rows = PQntuples(res), rule = PQnfields(res) - 8;
    s_folded_t *f = hf_new_array(a, s_folded_t, rows);
    int nf = 0;
    for (int i = 0; i < rows;) {
        int end = i + 1;
        while (end < rows && hf_pg_int(res, end, 0) == hf_pg_int(res, i, 0))
            end++;
        s_folded_t *g = &f[nf++];
        g->id = hf_pg_int(res, i, 0);
        g->c = intake_customer_from_row(res, i, NULL, a);
        snprintf(g->b.code, sizeof g->b.code, "%s", g->c->branch);
        snprintf(g->b.tz, sizeof g->b.tz, "%s", hf_pg_str(res, i, rule - 3));
        intake_stage_rows_in(res, i, end, rule, &g->b);
        g->now.card_type = hf_arena_strdup(a, hf_pg_str(res, i, rule - 4));
        g->now.opted_out = hf_pg_bool(res, i, rule - 5);
        g->now.void_reason = hf_arena_strdup(a, hf_pg_str(res, i, rule - 6));
        g->now.opt_out_reason = hf_arena_strdup(a, hf_pg_str(res, i, rule - 7));
        i = end;
    }
    for (int i = 0; i < kp->n; i++) {
        const s_kept_t *k = &kp->calls[i];
        s_folded_t *g = s_folded_find(f, nf, k->customer_id);
        if (g == NULL) {
            hf_error("call_fold_lost", "contact=%lld customer=%lld", (long long)k->contact_id,
                     (long long)k->customer_id);
            return -1;
        }
        /* the call as INTAKE_Q_CALL_CUSTOMER would write it on the state the calls before it
         * left */
        s_was_t was = g->now, after = g->now;
        bool made = k->k.talked && strcmp(was.card_type, "new") == 0;
        if (k->k.refused && strcmp(was.card_type, "void") != 0) {
            after.card_type = "void";
            after.void_reason = k->k.reason;
        } else if (made) {
            after.card_type = "one-on-one";
            after.void_reason = "";
        }
        if (k->k.refused && !was.opted_out)
            after.opt_out_reason = k->k.reason;
        after.opted_out = was.opted_out || k->k.refused;
        g->now = after;
        if (!made && !k->k.refused)
            continue; /* nothing to tell */
        Huifang__V1__Customer *c = hf_new(a, Huifang__V1__Customer);
        *c = *g->c;
        c->card_type = (char *)after.card_type;
        c->void_reason = (char *)after.void_reason;
        c->opted_out = after.opted_out;
        c->opt_out_reason = (char *)after.opt_out_reason;
        intake_branch_t b = g->b;
        b.now_ms = k->now_ms;
        b.today = hf_time_local_day(b.now_ms, b.tz);
        intake_emit_origin(k->correlation, k->now_ms);
        int rc = s_call_events(svc, &b, c, &was, made, k->k.refused, k->k.reason, a);
        intake_emit_origin(NULL, 0);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Applies the kept calls (see above) and forgets them. 0, or -1 on a store error (the caller
 * rolls the batch back). */
static int s_calls_flush(hf_service_t *svc)
{
    s_keeper_t *kp = s_keeper;
    if (kp == NULL || kp->n == 0)
        return 0;
    hf_arena_t *a = kp->arena;
    intake_arr_release_all(); /* no literal of an earlier statement is in use */
    intake_arr_t ids, codes, ats, talked, refused, reasons;
    intake_arr_init(&ids, a);
    intake_arr_init(&codes, a);
    intake_arr_init(&ats, a);
    intake_arr_init(&talked, a);
    intake_arr_init(&refused, a);
    intake_arr_init(&reasons, a);
    for (int i = 0; i < kp->n; i++) {
        const s_kept_t *k = &kp->calls[i];
        intake_arr_int(&ids, k->customer_id);
        intake_arr_str(&codes, k->k.code);
        intake_arr_int(&ats, k->k.at_ms);
        intake_arr_str(&talked, k->k.talked ? "t" : "f");
        intake_arr_str(&refused, k->k.refused ? "t" : "f");
        intake_arr_str(&reasons, k->k.refused ? k->k.reason : "");
    }
    const char *p[] = {intake_arr_end(&ids),    intake_arr_end(&codes),   intake_arr_end(&ats),
                       intake_arr_end(&talked), intake_arr_end(&refused), intake_arr_end(&reasons)};
    PGresult *res = hf_store_query(hf_service_store(svc), &INTAKE_Q_CALLS_CUSTOMERS, 6, p);
    intake_arr_release_all();
    int rc = -1;
    if (res == NULL)
        goto cleanup;
    if (PQntuples(res) > 0) {
        rc = s_calls_events(svc, kp, res);
        goto cleanup;
    }
    /* a call's customer is no live one of its branch: nothing was written; one at a time */
    rc = 0;
    for (int i = 0; i < kp->n && rc == 0; i++)
        rc = s_kept_apply(svc, &kp->calls[i], a);
cleanup:
    if (res)
        PQclear(res);
    s_keeper_forget(kp);
    return rc;
}

/* The batch hook (hf_service_on_batch): the kept calls applied before the batch commits, or
 * forgotten after it was rolled back. */
static int s_calls_batch(hf_service_t *svc, void *self, bool commit)
{
    (void)self;
    if (!commit) {
        if (s_keeper)
            s_keeper_forget(s_keeper);
        return 0;
    }
    return s_calls_flush(svc);
}

int intake_consume_init(hf_service_t *svc)
{
    if (s_keeper == NULL) {
        s_keeper = calloc(1, sizeof *s_keeper);
        if (s_keeper == NULL)
            return -1;
        s_keeper->arena = hf_arena_new();
    }
    hf_service_on_batch(svc, s_calls_batch);
    return 0;
}

void intake_consume_release(void)
{
    if (s_keeper == NULL)
        return;
    hf_arena_destroy(&s_keeper->arena);
    free(s_keeper->calls);
    free(s_keeper);
    s_keeper = NULL;
}

static int intake_on_call_logged(hf_service_t *svc, void *self, const hf_envelope_t *env,
                                 hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__Contact *ct = env->call_logged ? env->call_logged->contact : NULL;
    if (ct == NULL)
        return 0;
    s_call_t k;
    s_call_read(env, ct, &k);
    /* the common call: kept, applied with the batch's others (one without a correlation id
     * is not: applied later, its events would take the framework's default, the event then
     * being applied's) */
    if (s_keeper && k.code[0] && ct->customer_id > 0 && !k.order && !k.referral &&
        S(env->correlation_id)[0])
        return s_call_keep(s_keeper, env, &k);
    /* the calls kept before this one first: it may touch the same customer */
    if (s_calls_flush(svc) != 0)
        return -1;
    return s_call_apply(svc, env, a);
}

static int intake_on_consult_logged(hf_service_t *svc, void *self, const hf_envelope_t *env,
                                    hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__Consultation *co =
        env->consult_logged ? env->consult_logged->consultation : NULL;
    if (co == NULL)
        return 0;
    if (co->regulator)
        return 0; /* a regulator's call is no lead */
    /* the calls kept before it first: its lead may merge into one of their customers */
    if (s_calls_flush(svc) != 0)
        return -1;
    intake_branch_t b;
    int rc = s_branch(svc, env, co->branch, &b, a);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    bool bought = strcmp(S(co->outcome), "bought") == 0;
    Huifang__V1__LeadAdd *l = hf_new(a, Huifang__V1__LeadAdd);
    huifang__v1__lead_add__init(l);
    l->name = (char *)S(co->name);
    l->phone = (char *)S(co->phone);
    l->channel = "consult";
    l->gender = (char *)S(co->gender);
    l->age = co->age;
    l->address = (char *)S(co->address);
    l->region = (char *)S(co->region);
    l->condition = (char *)S(co->chief_complaint);
    l->source = (char *)S(co->media);
    l->collector = (char *)S(co->agent);
    l->collected_at_ms = co->logged_at_ms;
    const char *origin = hf_arena_printf(a, "calllog:consult:%lld", (long long)co->id);
    int64_t customer_id = 0;
    /* not bought: the branch's conversion plan for consultations (consult-not-converted
     * unless it says otherwise); bought: the product's plan follows the purchase */
    if (s_event_lead(svc, &b, l, origin, bought ? "none" : NULL, env, &customer_id, a) != 0)
        return -1;
    if (!bought || S(co->product)[0] == '\0')
        return 0;
    if (customer_id == 0) {
        /* seen before (a redelivery) or rejected: the purchase, if any, hangs on the phone */
        char phone[24];
        const char *why;
        if (hf_phone_normalise(S(co->phone), phone, sizeof phone, &why) != 0)
            return 0;
        const char *p[] = {b.code, phone};
        PGresult *res = hf_store_query(hf_service_store(svc), &INTAKE_Q_ON_CONSULT_LOGGED, 2, p);
        if (res == NULL)
            return -1;
        customer_id = PQntuples(res) ? hf_pg_int(res, 0, 0) : 0;
        PQclear(res);
        if (customer_id == 0)
            return 0;
    }
    intake_purchase_t pu = {.customer_id = customer_id,
                            .product = co->product,
                            .quantity = co->quantity > 0 ? co->quantity : 1,
                            .day = s_local_day(&b, co->logged_at_ms),
                            .consultation_id = co->id,
                            .agent = S(co->agent)};
    return s_event_purchase(svc, &b, &pu, a);
}

/* ---- scheduler ---- */

static int intake_on_customer_screened(hf_service_t *svc, void *self, const hf_envelope_t *env,
                                       hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__CustomerScreened *cs = env->customer_screened;
    if (cs == NULL)
        return 0;
    intake_branch_t b;
    int rc = s_branch(svc, env, NULL, &b, a);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    Huifang__V1__Customer *c = NULL;
    if (s_live_customer(svc, &b, cs->customer_id, &c, a) != 0)
        return -1;
    if (c == NULL) {
        hf_warn("event_customer_unknown", "screened customer=%lld", (long long)cs->customer_id);
        return 0;
    }
    const char *reason = intake_void_reason(cs->reason);
    if (reason == NULL)
        reason = S(cs->reason)[0] ? hf_arena_strdup(a, cs->reason) : "unanswered";
    return intake_card_set(svc, &b, c, "void", reason, false) < 0 ? -1 : 0;
}

const hf_event_handler_t intake_calllog_events[] = {
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CALL_LOGGED, intake_on_call_logged},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CONSULT_LOGGED, intake_on_consult_logged},
    {0, NULL}};

const hf_event_handler_t intake_scheduler_events[] = {
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_SCREENED, intake_on_customer_screened},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CAMPAIGN_ANSWERED, intake_on_campaign_answered},
    {0, NULL}};

/* complaint.return_decided: an approved return gives the money back. The customer's spend goes
 * down by the refund (never below zero) and the tier follows it, as a purchase moved them
 * up; the form stays (it was bought), so the count of purchases does not change. Once per
 * return (the refund table's key). */
static int intake_on_return_decided(hf_service_t *svc, void *self, const hf_envelope_t *env,
                                    hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__ReturnRequest *r = env->return_decided->request;
    if (r == NULL || r->id <= 0 || r->customer_id <= 0) {
        hf_warn("event_skipped", "producer=%s seq=%llu reason=\"a return without its ids\"",
                S(env->producer), (unsigned long long)env->seq);
        return 0;
    }
    if (strcmp(S(r->state), "approved") != 0)
        return 0; /* rejected */
    intake_branch_t b;
    int rc = s_branch(svc, env, r->branch, &b, a);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    Huifang__V1__Customer *c = NULL;
    if (s_live_customer(svc, &b, r->customer_id, &c, a) != 0)
        return -1;
    if (c == NULL) {
        hf_warn("event_skipped", "producer=%s seq=%llu reason=\"no customer %lld\"",
                S(env->producer), (unsigned long long)env->seq, (long long)r->customer_id);
        return 0;
    }
    /* the points the returned units earned go back (intake_points.c) */
    if (intake_points_on_return(svc, b.code, c->id, r, a) != 0)
        return -1;
    if (r->refund_fen <= 0)
        return 0; /* nothing paid back */
    hf_store_t *st = hf_service_store(svc);
    char rid[24], cid[24], pid[24], fen[24], at[24];
    const char *p[] = {hf_pg_i64(rid, r->id), hf_pg_i64(cid, c->id), hf_pg_i64(pid, r->purchase_id),
                       hf_pg_i64(fen, r->refund_fen), hf_pg_i64(at, hf_clock_now_ms())};
    PGresult *res = hf_store_query(st, &INTAKE_Q_ON_RETURN_DECIDED_REFUND_INSERT, 5, p);
    if (res == NULL)
        return -1;
    int fresh = PQntuples(res);
    PQclear(res);
    if (!fresh)
        return 0; /* refunded before */
    const char *old_tier = hf_arena_strdup(a, S(c->tier));
    c->spend_fen = c->spend_fen > r->refund_fen ? c->spend_fen - r->refund_fen : 0;
    c->tier = (char *)intake_tier_of(b.tiers, b.ntiers, c->spend_fen, c->purchases);
    char spend[24];
    const char *pu[] = {cid, hf_pg_i64(spend, c->spend_fen), c->tier};
    if (hf_store_query_run(st, &INTAKE_Q_ON_RETURN_DECIDED_CUSTOMER_UPDATE, 3, pu) != 0)
        return -1;
    if (strcmp(old_tier, c->tier) != 0 && intake_emit_updated(svc, c, "tier") != 0)
        return -1;
    hf_info("refund", "customer=%lld return=%lld refund_fen=%lld spend_fen=%lld tier=%s",
            (long long)c->id, (long long)r->id, (long long)r->refund_fen, (long long)c->spend_fen,
            c->tier);
    return 0;
}

const hf_event_handler_t intake_complaint_events[] = {
    {HUIFANG__V1__ENVELOPE__PAYLOAD_RETURN_DECIDED, intake_on_return_decided}, {0, NULL}};
