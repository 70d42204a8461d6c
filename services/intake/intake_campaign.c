/* intake_campaign: campaigns (issue 16) — an event (what, where, when, seats) whose segment is
 * invited by phone over the days before it.
 *
 * campaign_add stores the campaign and its members (the segment's customers that day, one
 * statement) and tells the scheduler whom to invite: CampaignCreated, then CampaignInvited in
 * chunks of at most INTAKE_CAMPAIGN_CHUNK customers, so that no event grows with the segment.
 * The scheduler answers with CampaignAnswered when an invitation call is logged accepted or
 * declined (applied here to the member), and campaign_checkin records attendance at the door
 * (CampaignAttended: the scheduler plans the thank-you call, reporting counts it). */
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_time.h"
#include "intake_internal.h"
#include "intake_sql.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")

static Huifang__V1__Campaign *s_campaign_from_row(const PGresult *res, int i, const char *tz,
                                                  hf_arena_t *a)
{
    Huifang__V1__Campaign *k = hf_new(a, Huifang__V1__Campaign);
    huifang__v1__campaign__init(k);
    k->id = hf_pg_int(res, i, 0);
    k->branch = hf_arena_strdup(a, hf_pg_str(res, i, 1));
    k->name = hf_arena_strdup(a, hf_pg_str(res, i, 2));
    k->place = hf_arena_strdup(a, hf_pg_str(res, i, 3));
    k->at_ms = hf_pg_int(res, i, 4);
    k->capacity = (int32_t)hf_pg_int(res, i, 5);
    k->segment_id = hf_pg_int(res, i, 6);
    k->invite_days = (int32_t)hf_pg_int(res, i, 7);
    k->bought_within_days = (int32_t)hf_pg_int(res, i, 8);
    k->created_at_ms = hf_pg_int(res, i, 9);
    k->created_by = hf_arena_strdup(a, hf_pg_str(res, i, 10));
    k->invited = hf_pg_int(res, i, 11);
    k->accepted = hf_pg_int(res, i, 12);
    k->declined = hf_pg_int(res, i, 13);
    k->attended = hf_pg_int(res, i, 14);
    k->event_day = (int32_t)hf_pg_int(res, i, 15);
    k->tz = hf_arena_strdup(a, tz);
    char local[32];
    hf_time_local_format(k->at_ms, tz, local);
    k->at_local = hf_arena_strdup(a, local);
    return k;
}

/* Loads campaign id of branch (FOR UPDATE when lock). NULL with *missing, or on a store
 * error. */
static Huifang__V1__Campaign *s_campaign_load(hf_store_t *st, const intake_branch_t *b, int64_t id,
                                              bool lock, bool *missing, hf_arena_t *a)
{
    *missing = false;
    char idt[24];
    const char *p[] = {hf_pg_i64(idt, id), b->code};
    PGresult *res = hf_store_query(st, lock ? &INTAKE_Q_CAMPAIGN_LOCK : &INTAKE_Q_CAMPAIGN, 2, p);
    if (res == NULL)
        return NULL;
    Huifang__V1__Campaign *k = PQntuples(res) ? s_campaign_from_row(res, 0, b->tz, a) : NULL;
    *missing = k == NULL;
    PQclear(res);
    return k;
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
    for (const char *c = value; *c; c++)
        if ((unsigned char)*c < 0x20)
            return hf_fail(rep, a, HF_BAD_INPUT, field, "%s holds a control character", field);
    return HF_OK;
}

/* The segment's members, collected by intake_segment_each(). */
typedef struct {
    int64_t *ids;
    int n, cap;
} s_members_t;

static int s_member_add(int64_t customer_id, void *arg)
{
    s_members_t *m = arg;
    if (m->n == m->cap) {
        int cap = m->cap ? m->cap * 2 : 256;
        int64_t *ids = realloc(m->ids, sizeof *ids * (size_t)cap);
        if (ids == NULL)
            return -1;
        m->ids = ids;
        m->cap = cap;
    }
    m->ids[m->n++] = customer_id;
    return 0;
}

/* Emits CampaignCreated and the CampaignInvited chunks. 0 or -1. */
static int s_emit_invitations(hf_service_t *svc, Huifang__V1__Campaign *k, const int64_t *ids,
                              int n, hf_arena_t *a)
{
    Huifang__V1__CampaignCreated cc = HUIFANG__V1__CAMPAIGN_CREATED__INIT;
    cc.campaign = k;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = k->branch;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CAMPAIGN_CREATED;
    env.campaign_created = &cc;
    if (hf_service_emit(svc, &env) != 0)
        return -1;
    int chunks = (n + INTAKE_CAMPAIGN_CHUNK - 1) / INTAKE_CAMPAIGN_CHUNK;
    for (int c = 0; c < chunks; c++) {
        Huifang__V1__CampaignInvited *ci = hf_new(a, Huifang__V1__CampaignInvited);
        huifang__v1__campaign_invited__init(ci);
        ci->campaign = k;
        ci->chunk = c + 1;
        ci->chunks = chunks;
        int from = c * INTAKE_CAMPAIGN_CHUNK;
        int len = n - from < INTAKE_CAMPAIGN_CHUNK ? n - from : INTAKE_CAMPAIGN_CHUNK;
        ci->customer_ids = (int64_t *)(ids + from);
        ci->n_customer_ids = (size_t)len;
        hf_envelope_t e = HUIFANG__V1__ENVELOPE__INIT;
        e.branch = k->branch;
        e.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CAMPAIGN_INVITED;
        e.campaign_invited = ci;
        if (hf_service_emit(svc, &e) != 0)
            return -1;
    }
    return 0;
}

int intake_campaign_add(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__CampaignAdd *q = req->campaign_add;
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    if ((rc = s_require_text(q->name, "name", 100, rep, a)) != HF_OK ||
        (rc = s_require_text(q->place, "place", 200, rep, a)) != HF_OK)
        return rc;
    int64_t at_ms;
    /* a local time of the branch: an instant with an offset would not say whose day it is */
    if (S(q->at)[0] == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "at", "at is required (YYYY-MM-DD HH:MM)");
    if (strlen(q->at) != 16 || q->at[10] != ' ' || hf_time_parse(q->at, b.tz, &at_ms) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "at",
                       "at \"%s\" is not a local time YYYY-MM-DD HH:MM (in %s)", q->at, b.tz);
    if (at_ms <= b.now_ms) {
        char nowl[32];
        hf_time_local_format(b.now_ms, b.tz, nowl);
        return hf_fail(rep, a, HF_BAD_INPUT, "at", "at %s is in the past (now %s in %s)", q->at,
                       nowl, b.tz);
    }
    if (q->capacity_set && q->capacity < 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "capacity",
                       "capacity %d is below zero (seats; 0 for no limit)", q->capacity);
    int capacity = q->capacity > 0 ? q->capacity : 0;
    int invite_days = q->invite_days == 0 ? 5 : q->invite_days;
    if (invite_days < 1 || invite_days > 30)
        return hf_fail(rep, a, HF_BAD_INPUT, "invite_days", "invite_days %d must be 1..30",
                       q->invite_days);
    int within = q->bought_within_days == 0 ? 14 : q->bought_within_days;
    if (within < 0 || within > 366)
        return hf_fail(rep, a, HF_BAD_INPUT, "bought_within_days",
                       "bought_within_days %d must be 0..366", q->bought_within_days);
    if (q->segment_id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "segment_id", "segment_id is required (1 up)");

    hf_store_t *st = hf_service_store(svc);
    s_members_t m = {0};
    int each = intake_segment_each(st, b.code, q->segment_id, s_member_add, &m);
    if (each == -2) {
        free(m.ids);
        return hf_fail(rep, a, HF_BAD_INPUT, "segment_id",
                       "segment_id: no segment %lld in branch %s", (long long)q->segment_id,
                       b.code);
    }
    if (each != 0) {
        free(m.ids);
        return intake_store_fail(svc, rep, a);
    }
    if (m.n == 0) {
        free(m.ids);
        return hf_fail(rep, a, HF_BAD_INPUT, "segment_id",
                       "segment_id: segment %lld matches nobody today: nobody to invite",
                       (long long)q->segment_id);
    }
    int64_t *ids = hf_new_array(a, int64_t, m.n);
    memcpy(ids, m.ids, sizeof *ids * (size_t)m.n);
    int n = m.n;
    free(m.ids);

    char at[24], now[24], cap[16], seg[24], inv[16], win[16], day[11];
    hf_date_format(hf_time_local_day(at_ms, b.tz), day);
    const char *p[] = {b.code,
                       q->name,
                       q->place,
                       hf_pg_i64(at, at_ms),
                       day,
                       hf_pg_i64(cap, capacity),
                       hf_pg_i64(seg, q->segment_id),
                       hf_pg_i64(inv, invite_days),
                       hf_pg_i64(win, within),
                       hf_pg_i64(now, b.now_ms),
                       S(req->actor)};
    PGresult *res = hf_store_query(st, &INTAKE_Q_CAMPAIGN_ADD_CAMPAIGN_INSERT, 11, p);
    if (res == NULL)
        return intake_store_fail(svc, rep, a);
    int64_t id = hf_pg_int(res, 0, 0);
    PQclear(res);
    intake_arr_t arr;
    intake_arr_init(&arr, a);
    for (int i = 0; i < n; i++)
        intake_arr_int(&arr, ids[i]);
    char idt[24];
    const char *pm[] = {hf_pg_i64(idt, id), intake_arr_end(&arr)};
    int mrc = hf_store_query_run(st, &INTAKE_Q_CAMPAIGN_ADD_CAMPAIGN_MEMBER_INSERT, 2, pm);
    intake_arr_release_all();
    if (mrc != 0)
        return intake_store_fail(svc, rep, a);
    bool missing;
    Huifang__V1__Campaign *k = s_campaign_load(st, &b, id, false, &missing, a);
    if (k == NULL)
        return intake_store_fail(svc, rep, a);
    if (s_emit_invitations(svc, k, ids, n, a) != 0)
        return intake_store_fail(svc, rep, a);
    hf_info("campaign_added", "branch=%s campaign=%lld segment=%lld invited=%d at=%lld", b.code,
            (long long)id, (long long)q->segment_id, n, (long long)at_ms);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_CAMPAIGN;
    rep->campaign = k;
    return HF_OK;
}

int intake_campaign_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a)
{
    (void)self;
    intake_branch_t b;
    PGresult *res;
    int rc = intake_branch_rows(svc, req->branch, &INTAKE_Q_CAMPAIGN_LIST, &b, &res, rep, a);
    if (rc != HF_OK)
        return rc;
    Huifang__V1__Campaigns *l = hf_new(a, Huifang__V1__Campaigns);
    huifang__v1__campaigns__init(l);
    int n = PQntuples(res);
    l->campaigns = hf_new_array(a, Huifang__V1__Campaign *, n > 0 ? n : 1);
    for (int i = 0; i < n; i++)
        l->campaigns[l->n_campaigns++] = s_campaign_from_row(res, i, b.tz, a);
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_CAMPAIGNS;
    rep->campaigns = l;
    return HF_OK;
}

int intake_campaign_show(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a)
{
    (void)self;
    intake_branch_t b;
    int64_t id = req->campaign_show->id;
    int rc = intake_branch_record(svc, req->branch, id, "campaign", &b, rep, a);
    if (rc != HF_OK)
        return rc;
    bool missing;
    Huifang__V1__Campaign *k = s_campaign_load(hf_service_store(svc), &b, id, false, &missing, a);
    if (k == NULL)
        return intake_load_fail(svc, missing, "id", "campaign", id, b.code, rep, a);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_CAMPAIGN;
    rep->campaign = k;
    return HF_OK;
}

int intake_campaign_checkin(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                            hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__CampaignCheckin *q = req->campaign_checkin;
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    if (q->campaign_id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "campaign_id", "campaign_id is required (1 up)");
    if (q->customer_id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "customer_id", "customer_id is required (1 up)");
    hf_store_t *st = hf_service_store(svc);
    bool missing;
    /* locked: two doors checking in at once never seat more than the capacity */
    Huifang__V1__Campaign *k = s_campaign_load(st, &b, q->campaign_id, true, &missing, a);
    if (k == NULL)
        return intake_load_fail(svc, missing, "campaign_id", "campaign", q->campaign_id, b.code,
                                rep, a);
    Huifang__V1__Customer *c = intake_customer_load(svc, &b, q->customer_id, false, a, &rc);
    if (c == NULL)
        return rc == HF_NOT_FOUND
                   ? hf_fail(rep, a, HF_NOT_FOUND, "customer_id", "no customer %lld in branch %s",
                             (long long)q->customer_id, b.code)
                   : intake_store_fail(svc, rep, a);
    if (c->merged_into)
        return hf_fail(rep, a, HF_NOT_FOUND, "customer_id",
                       "customer %lld was merged into customer %lld", (long long)c->id,
                       (long long)c->merged_into);
    if (b.today < k->event_day) {
        char day[11];
        hf_date_format(k->event_day, day);
        return hf_fail(rep, a, HF_CONFLICT, "campaign_id",
                       "campaign %lld is on %s: the door opens that day", (long long)k->id, day);
    }
    char cid[24], kid[24], now[24];
    hf_pg_i64(cid, c->id);
    hf_pg_i64(kid, k->id);
    hf_pg_i64(now, b.now_ms);
    const char *pm[] = {kid, cid};
    PGresult *res = hf_store_query(st, &INTAKE_Q_CAMPAIGN_CHECKIN_CAMPAIGN_MEMBER, 2, pm);
    if (res == NULL)
        return intake_store_fail(svc, rep, a);
    Huifang__V1__CampaignMember *mb = hf_new(a, Huifang__V1__CampaignMember);
    huifang__v1__campaign_member__init(mb);
    mb->campaign_id = k->id;
    mb->customer_id = c->id;
    bool known = PQntuples(res) > 0;
    if (known) {
        mb->invited = hf_pg_bool(res, 0, 0);
        mb->answer = hf_arena_strdup(a, hf_pg_str(res, 0, 1));
        mb->attended_at_ms = hf_pg_int(res, 0, 2);
    } else {
        mb->answer = "";
    }
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_CAMPAIGN_MEMBER;
    rep->campaign_member = mb;
    if (hf_service_audit(svc, &c->id, 1) != 0)
        return intake_store_fail(svc, rep, a);
    if (mb->attended_at_ms > 0) {
        rep->note = hf_arena_printf(a, "customer %lld was checked in before", (long long)c->id);
        return HF_OK;
    }
    if (k->capacity > 0 && k->attended >= k->capacity)
        return hf_fail(rep, a, HF_CONFLICT, "campaign_id",
                       "campaign %lld is full: %lld of %d seats taken", (long long)k->id,
                       (long long)k->attended, k->capacity);
    const char *pu[] = {kid, cid, now, S(req->actor)};
    if (hf_store_query_run(st, &INTAKE_Q_CAMPAIGN_CHECKIN_CAMPAIGN_MEMBER_INSERT, 4, pu) != 0)
        return intake_store_fail(svc, rep, a);
    mb->attended_at_ms = b.now_ms;
    if (!known)
        rep->note = hf_arena_printf(a, "customer %lld was not invited: checked in as a walk-in",
                                    (long long)c->id);
    Huifang__V1__CampaignAttended ev = HUIFANG__V1__CAMPAIGN_ATTENDED__INIT;
    ev.campaign_id = k->id;
    ev.customer_id = c->id;
    ev.attended_at_ms = b.now_ms;
    ev.by = (char *)S(req->actor);
    ev.invited = mb->invited;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = b.code;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CAMPAIGN_ATTENDED;
    env.campaign_attended = &ev;
    if (hf_service_emit(svc, &env) != 0)
        return intake_store_fail(svc, rep, a);
    /* the points an attended event earns (the branch's rule; once per campaign) */
    int64_t points = intake_points_award_event(svc, hf_service_store(svc), b.code, c->id, k->id,
                                               S(req->actor), a);
    if (points < 0)
        return intake_store_fail(svc, rep, a);
    if (points > 0 && rep->note == NULL)
        rep->note = hf_arena_printf(a, "%lld points earned", (long long)points);
    hf_info("campaign_checkin", "campaign=%lld customer=%lld invited=%d points=%lld",
            (long long)k->id, (long long)c->id, (int)mb->invited, (long long)points);
    return HF_OK;
}

/* ---- events ---- */

int intake_campaign_note_contact(hf_service_t *svc, int64_t customer_id, int64_t at_ms)
{
    if (customer_id <= 0 || at_ms <= 0)
        return 0;
    char cid[24], at[24];
    const char *p[] = {hf_pg_i64(cid, customer_id), hf_pg_i64(at, at_ms)};
    return hf_store_query_run(hf_service_store(svc), &INTAKE_Q_CAMPAIGN_NOTE_CONTACT, 2, p) == 0
               ? 0
               : -1;
}

/* scheduler.campaign_answered: the member's answer (the latest call's word counts). */
int intake_on_campaign_answered(hf_service_t *svc, void *self, const hf_envelope_t *env,
                                hf_arena_t *a)
{
    (void)self;
    (void)a;
    const Huifang__V1__CampaignAnswered *ca = env->campaign_answered;
    if (ca == NULL || ca->campaign_id <= 0 || ca->customer_id <= 0)
        return 0;
    if (strcmp(S(ca->answer), "accepted") != 0 && strcmp(S(ca->answer), "declined") != 0) {
        hf_warn("event_skipped", "campaign=%lld customer=%lld reason=\"answer %s\"",
                (long long)ca->campaign_id, (long long)ca->customer_id, S(ca->answer));
        return 0;
    }
    char kid[24], cid[24], at[24];
    const char *p[] = {
        hf_pg_i64(kid, ca->campaign_id), hf_pg_i64(cid, ca->customer_id), ca->answer,
        hf_pg_i64(at, ca->answered_at_ms > 0 ? ca->answered_at_ms : env->occurred_at_ms)};
    return hf_store_query_run(hf_service_store(svc), &INTAKE_Q_ON_CAMPAIGN_ANSWERED, 4, p) == 0
               ? 0
               : -1;
}
