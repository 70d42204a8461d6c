/* complaint_card: the complaint card, its clock in Postgres, and the complaint commands.
 *
 * A card's life: open -> in-progress -> waiting (on the customer; the clock stops) ->
 * in-progress -> resolved -> closed, and reopened from resolved or closed. Every change of a
 * card happens under its row lock (SELECT ... FOR UPDATE): first the clock is caught up to
 * now (each warning and breach it passed, in order), then the change is applied, recorded
 * in the card's history and emitted as an event, all in one transaction.
 *
 * The complaint's text, plan and resolution are sensitive: they are written to the card
 * and answered to complaint_show, but never logged and never put in an event. */
#include "complaint_internal.h"
#include "complaint_sql.h"
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_replica.h"
#include "hf_time.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_STEPS 64 /* thresholds applied per catch-up; the rest on the next one */
#define S_HOUR_MS 3600000LL

static const char *const s_categories[] = {
    "product-effect", "adverse-reaction", "attitude", "delivery", "price", "other", NULL};
static const char *const s_severities[] = {"low", "normal", "high", NULL};
static const char *const s_channels[] = {"phone",  "visit", "counter", "consult", "wechat",
                                         "letter", "event", "other",   NULL};

static bool s_one_of(const char *v, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(S(v), list[i]) == 0)
            return true;
    return false;
}

/* ---- shared helpers ---- */

int complaint_check_text(const char *value, const char *field, size_t max, bool optional,
                         hf_reply_t *rep, hf_arena_t *a)
{
    const char *v = S(value);
    while (*v == ' ' || *v == '\t' || *v == '\n')
        v++;
    if (*v == '\0' && !optional)
        return hf_fail(rep, a, HF_BAD_INPUT, field, "%s is required", field);
    if (strlen(S(value)) > max)
        return hf_fail(rep, a, HF_BAD_INPUT, field, "%s is longer than %zu bytes", field, max);
    return HF_OK;
}

int complaint_agent_role(hf_store_t *st, const char *branch, const char *id, char *role)
{
    return hf_replica_agent_role(st, branch, id, true, role, 16);
}

int complaint_need_branch(hf_service_t *svc, const hf_request_t *req, char *tz, hf_reply_t *rep,
                          hf_arena_t *a)
{
    return hf_replica_need_branch(hf_service_store(svc), req->branch, tz, 64, rep, a);
}

int complaint_calendar_load(hf_store_t *st, const char *branch, bool business,
                            complaint_calendar_t *cal)
{
    memset(cal, 0, sizeof *cal);
    cal->business = business;
    snprintf(cal->tz, sizeof cal->tz, "%s", HF_DEFAULT_TZ);
    if (!business)
        return 0;
    int rc = hf_replica_branch(st, branch, cal->tz, sizeof cal->tz, NULL, 0);
    if (rc < 0)
        return -1;
    if (rc > 0)
        hf_warn("calendar_zone_unknown", "branch=%s assumed=%s", branch, cal->tz);
    const char *p[] = {branch};
    PGresult *res;
    res = hf_store_query(st, &COMPLAINT_Q_CALENDAR, 1, p);
    if (res == NULL)
        return -1;
    if (PQntuples(res)) {
        cal->day_start = (int)hf_pg_int(res, 0, 0);
        cal->day_end = (int)hf_pg_int(res, 0, 1);
        cal->lunch_start = (int)hf_pg_int(res, 0, 2);
        cal->lunch_end = (int)hf_pg_int(res, 0, 3);
        cal->workdays = (unsigned)hf_pg_int(res, 0, 4);
    }
    PQclear(res);
    res = hf_store_query(st, &COMPLAINT_Q_HOLIDAYS, 1, p);
    if (res == NULL)
        return -1;
    for (int i = 0; i < PQntuples(res) && i < COMPLAINT_MAX_HOLIDAYS; i++)
        cal->holidays[cal->nholidays++] = (int32_t)hf_pg_int(res, i, 0);
    PQclear(res);
    return 0;
}

/* ---- the card ---- */

/* Fills card->c and card->clk from row i (the calendar is the caller's). */
static void s_card_from_row(const PGresult *res, int i, hf_arena_t *a, complaint_card_t *card)
{
    Huifang__V1__Complaint *c = hf_new(a, Huifang__V1__Complaint);
    huifang__v1__complaint__init(c);
    c->id = hf_pg_int(res, i, 0);
    c->branch = hf_arena_strdup(a, hf_pg_str(res, i, 1));
    c->customer_id = hf_pg_int(res, i, 2);
    c->category = hf_arena_strdup(a, hf_pg_str(res, i, 3));
    c->severity = hf_arena_strdup(a, hf_pg_str(res, i, 4));
    c->state = hf_arena_strdup(a, hf_pg_str(res, i, 5));
    c->owner = hf_arena_strdup(a, hf_pg_str(res, i, 6));
    c->level = (int32_t)hf_pg_int(res, i, 7);
    c->channel = hf_arena_strdup(a, hf_pg_str(res, i, 8));
    c->location = hf_arena_strdup(a, hf_pg_str(res, i, 9));
    c->opened_at_ms = hf_pg_int(res, i, 10);
    c->due_at_ms = hf_pg_int(res, i, 11);
    c->resolved_at_ms = hf_pg_int(res, i, 12);
    c->source_contact_id = hf_pg_int(res, i, 13);
    c->description = hf_arena_strdup(a, hf_pg_str(res, i, 14));
    c->plan = hf_arena_strdup(a, hf_pg_str(res, i, 15));
    c->resolution = hf_arena_strdup(a, hf_pg_str(res, i, 16));
    c->period_ms = hf_pg_int(res, i, 17);
    c->business_hours = hf_pg_bool(res, i, 18);
    c->warned = (int32_t)hf_pg_int(res, i, 19);
    c->breaches = (int32_t)hf_pg_int(res, i, 20);
    c->paused_at_ms = hf_pg_int(res, i, 21);
    c->customer_name = hf_arena_strdup(a, hf_pg_str(res, i, 22));
    c->filed_by = hf_arena_strdup(a, hf_pg_str(res, i, 23));
    c->updated_at_ms = hf_pg_int(res, i, 24);
    c->period_started_at_ms = hf_pg_int(res, i, 25);
    c->agent = hf_arena_strdup(a, hf_pg_str(res, i, 26));
    c->period_no = (int32_t)hf_pg_int(res, i, 27);
    card->c = c;
    card->clk.period_ms = c->period_ms;
    card->clk.used_ms = hf_pg_int(res, i, 28);
    card->clk.run_from_ms = hf_pg_int(res, i, 29);
    card->clk.warned = c->warned;
    card->clk.level = c->level;
    card->clk.breaches = c->breaches;
    card->clk.period_no = c->period_no;
    card->next_timer_ms = hf_pg_int(res, i, 30);
    card->wait_limit_ms = hf_pg_int(res, i, 31);
}

/* Recomputes the card's derived fields (due, next timer, remaining) from its clock. */
static void s_derive(complaint_card_t *card, int64_t now)
{
    Huifang__V1__Complaint *c = card->c;
    c->level = card->clk.level;
    c->breaches = card->clk.breaches;
    c->warned = card->clk.warned;
    c->period_no = card->clk.period_no;
    c->period_ms = card->clk.period_ms;
    complaint_step_kind_t kind;
    int64_t next = complaint_clock_next(&card->cal, &card->clk, &kind);
    if (next < 0) {
        hf_warn("calendar_counts_nothing", "complaint=%lld branch=%s", (long long)c->id, c->branch);
        next = 0;
    }
    /* waiting on the customer, the clock is stopped; the wait limit is the next instant */
    if (strcmp(S(c->state), "waiting") == 0 && card->wait_limit_ms > 0 && c->paused_at_ms > 0)
        next = c->paused_at_ms + card->wait_limit_ms;
    card->next_timer_ms = next;
    int64_t due = complaint_clock_due(&card->cal, &card->clk);
    c->due_at_ms = due > 0 ? due : 0;
    c->remaining_ms = complaint_clock_remaining(&card->cal, &card->clk, now);
}

int complaint_card_load(hf_store_t *st, int64_t id, bool lock, bool with_text, hf_arena_t *a,
                        complaint_card_t **out)
{
    char idtxt[24];
    const char *p[] = {hf_pg_i64(idtxt, id)};
    const hf_query_t *q = with_text
                              ? (lock ? &COMPLAINT_Q_CARD_LOCK : &COMPLAINT_Q_CARD)
                              : (lock ? &COMPLAINT_Q_CARD_BRIEF_LOCK : &COMPLAINT_Q_CARD_BRIEF);
    PGresult *res = hf_store_query(st, q, 1, p);
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return 1;
    }
    complaint_card_t *card = hf_new(a, complaint_card_t);
    s_card_from_row(res, 0, a, card);
    PQclear(res);
    if (complaint_calendar_load(st, card->c->branch, card->c->business_hours, &card->cal) != 0)
        return -1;
    *out = card;
    return 0;
}

/* Who answers at a level: the agent at 0; the branch's head at 1 (its manager when it has no
 * head); its manager at 2; the customer-service department at 3 (and whenever the branch
 * has nobody of the role). Writes the owner into out (32 bytes). 0 or -1. */
static int s_level_owner(hf_store_t *st, const char *branch, int level, const char *agent,
                         char *out)
{
    static const char *const roles[][3] = {
        {NULL}, {"head", "manager", NULL}, {"manager", NULL}, {NULL}};
    if (level <= 0) {
        snprintf(out, 32, "%s", S(agent));
        return 0;
    }
    snprintf(out, 32, "customer-service");
    if (level > COMPLAINT_TOP_LEVEL)
        return 0;
    for (int i = 0; roles[level][i]; i++) {
        const char *p[] = {branch, roles[level][i]};
        PGresult *res = hf_store_query(st, &COMPLAINT_Q_LEVEL_OWNER, 2, p);
        if (res == NULL)
            return -1;
        int found = PQntuples(res);
        if (found)
            snprintf(out, 32, "%s", hf_pg_str(res, 0, 0));
        PQclear(res);
        if (found)
            return 0;
    }
    return 0;
}

/* Records one line of history. Returns 1 when written, 0 when that warning or breach of
 * that period was recorded before (nothing to emit), -1 on error. */
static int s_history(hf_store_t *st, const complaint_card_t *card, const char *change,
                     const char *actor, int64_t at, int period_no)
{
    const Huifang__V1__Complaint *c = card->c;
    char id[24], attxt[24], level[16], period[16], due[24];
    const char *p[] = {hf_pg_i64(id, c->id),
                       hf_pg_i64(attxt, at),
                       change,
                       hf_pg_i64(level, c->level),
                       S(c->owner),
                       S(actor),
                       hf_pg_i64(period, period_no),
                       hf_pg_i64(due, c->due_at_ms)};
    PGresult *res = hf_store_query(st, &COMPLAINT_Q_HISTORY_ADD, 8, p);
    if (res == NULL)
        return -1;
    int n = PQntuples(res);
    PQclear(res);
    return n ? 1 : 0;
}

/* Emits one complaint event (payload case) with a copy of the card stripped of its text. */
static int s_emit(hf_service_t *svc, const complaint_card_t *card, int payload, const char *change,
                  int64_t at, hf_arena_t *a)
{
    Huifang__V1__Complaint *snap = hf_new(a, Huifang__V1__Complaint);
    *snap = *card->c;
    snap->description = "";
    snap->plan = "";
    snap->resolution = "";
    snap->customer_name = "";
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = snap->branch;
    env.occurred_at_ms = at;
    Huifang__V1__ComplaintOpened op = HUIFANG__V1__COMPLAINT_OPENED__INIT;
    Huifang__V1__ComplaintChanged ch = HUIFANG__V1__COMPLAINT_CHANGED__INIT;
    Huifang__V1__ComplaintEscalated es = HUIFANG__V1__COMPLAINT_ESCALATED__INIT;
    Huifang__V1__ComplaintResolved rs = HUIFANG__V1__COMPLAINT_RESOLVED__INIT;
    env.payload_case = (Huifang__V1__Envelope__PayloadCase)payload;
    switch (payload) {
    case HUIFANG__V1__ENVELOPE__PAYLOAD_COMPLAINT_OPENED:
        op.complaint = snap;
        env.complaint_opened = &op;
        break;
    case HUIFANG__V1__ENVELOPE__PAYLOAD_COMPLAINT_ESCALATED:
        es.complaint = snap;
        env.complaint_escalated = &es;
        break;
    case HUIFANG__V1__ENVELOPE__PAYLOAD_COMPLAINT_RESOLVED:
        rs.complaint = snap;
        env.complaint_resolved = &rs;
        break;
    default:
        ch.complaint = snap;
        ch.change = (char *)change;
        env.complaint_changed = &ch;
        break;
    }
    return hf_service_emit(svc, &env);
}

/* The transitions of a card: an action, the states it starts from, the state it leads to.
 * A card is filed `open`; after that its state changes only in s_card_move(), by a row of
 * this table: the commands (complaint_act) by the rows of their action, the clock by its
 * own row (a wait past its limit). complaint.state is written by one statement, s_save(),
 * in the transaction that holds the card's row lock (or that filed it).
 *
 *   from \ action  start        wait     resume       resolve   close   reopen    clock
 *   open           in-progress  waiting  -            resolved  -       -         -
 *   in-progress    -            waiting  -            resolved  -       -         -
 *   waiting        -            -        in-progress  resolved  -       -         in-progress
 *   reopened       in-progress  waiting  -            resolved  -       -         -
 *   resolved       -            -        -            -         closed  reopened  -
 *   closed         -            -        -            -         -       reopened  -
 *
 * (clock: wait-expired, a wait longer than the category allows; every other cell is a
 * CONFLICT naming the states the action needs.) */
static const struct {
    const char *action;
    const char *from[5];
    const char *to;
    const char *change; /* the history line and the ComplaintChanged change */
    bool by_clock;      /* moved by the clock, not a command an agent may give */
} s_moves[] = {{"start", {"open", "reopened", NULL}, "in-progress", "started", false},
               {"wait", {"open", "in-progress", "reopened", NULL}, "waiting", "waiting", false},
               {"resume", {"waiting", NULL}, "in-progress", "resumed", false},
               {"resolve",
                {"open", "in-progress", "waiting", "reopened", NULL},
                "resolved",
                "resolved",
                false},
               {"close", {"resolved", NULL}, "closed", "closed", false},
               {"reopen", {"resolved", "closed", NULL}, "reopened", "reopened", false},
               {"wait-expired", {"waiting", NULL}, "in-progress", "wait-expired", true},
               {NULL, {NULL}, NULL, NULL, false}};

/* The row of an action (a command's, or the clock's), or -1. */
static int s_move_find(const char *action, bool by_clock)
{
    for (int m = 0; s_moves[m].action; m++)
        if (s_moves[m].by_clock == by_clock && strcmp(s_moves[m].action, action) == 0)
            return m;
    return -1;
}

/* Whether the row m moves a card from its state now. */
static bool s_move_allowed(int m, const char *state)
{
    for (int i = 0; s_moves[m].from[i]; i++)
        if (strcmp(state, s_moves[m].from[i]) == 0)
            return true;
    return false;
}

/* Moves the card by row m: the one place a card's state changes. false, and nothing
 * changed, when row m does not start from the card's state. */
static bool s_card_move(complaint_card_t *card, int m)
{
    if (m < 0 || !s_move_allowed(m, S(card->c->state)))
        return false;
    card->c->state = (char *)s_moves[m].to;
    return true;
}

/* Writes the card's state and clock back (the text fields are written where they change). */
static int s_save(hf_store_t *st, const complaint_card_t *card, int64_t now)
{
    const Huifang__V1__Complaint *c = card->c;
    char id[24], level[16], breaches[16], period[16], warned[16], used[24], run[24], due[24],
        next[24], paused[24], resolved[24], at[24], started[24];
    const char *p[] = {hf_pg_i64(id, c->id),
                       S(c->state),
                       S(c->owner),
                       hf_pg_i64(level, card->clk.level),
                       hf_pg_i64(breaches, card->clk.breaches),
                       hf_pg_i64(period, card->clk.period_no),
                       hf_pg_i64(warned, card->clk.warned),
                       hf_pg_i64(used, card->clk.used_ms),
                       hf_pg_i64(run, card->clk.run_from_ms),
                       hf_pg_i64(due, c->due_at_ms),
                       hf_pg_i64(next, card->next_timer_ms),
                       hf_pg_i64(paused, c->paused_at_ms),
                       hf_pg_i64(resolved, c->resolved_at_ms),
                       hf_pg_i64(at, now),
                       hf_pg_i64(started, c->period_started_at_ms)};
    return hf_store_query_run(st, &COMPLAINT_Q_SAVE, 15, p);
}

int complaint_card_catch_up(hf_service_t *svc, complaint_card_t *card, int64_t now, hf_arena_t *a)
{
    hf_store_t *st = hf_service_store(svc);
    Huifang__V1__Complaint *c = card->c;
    int n = 0;
    /* waited longer than the category allows: the clock runs again from the limit's instant,
     * and whatever it passed since is applied below in order */
    int expired = s_move_find("wait-expired", true);
    if (s_move_allowed(expired, S(c->state)) && card->wait_limit_ms > 0 && c->paused_at_ms > 0 &&
        now >= c->paused_at_ms + card->wait_limit_ms) {
        int64_t at = c->paused_at_ms + card->wait_limit_ms;
        complaint_clock_resume(&card->clk, at);
        c->paused_at_ms = 0;
        s_card_move(card, expired);
        s_derive(card, at);
        if (s_history(st, card, s_moves[expired].change, "", at, c->period_no) < 0 ||
            s_emit(svc, card, HUIFANG__V1__ENVELOPE__PAYLOAD_COMPLAINT_CHANGED,
                   s_moves[expired].change, at, a) != 0)
            return -1;
        hf_info("complaint_clock", "complaint=%lld branch=%s change=wait-expired level=%d owner=%s",
                (long long)c->id, c->branch, c->level, c->owner);
        n++;
    }
    while (n < S_MAX_STEPS) {
        complaint_step_t step;
        if (complaint_clock_advance(&card->cal, &card->clk, now, &step, 1) != 1)
            break;
        n++;
        const char *change;
        int payload;
        if (step.kind == COMPLAINT_STEP_BREACH) {
            char owner[32];
            if (s_level_owner(st, c->branch, step.level, c->agent, owner) != 0)
                return -1;
            c->owner = hf_arena_strdup(a, owner);
            c->period_started_at_ms = step.at_ms;
            change = "escalated";
            payload = HUIFANG__V1__ENVELOPE__PAYLOAD_COMPLAINT_ESCALATED;
        } else {
            change = step.kind == COMPLAINT_STEP_WARN_50 ? "warning-50" : "warning-75";
            payload = HUIFANG__V1__ENVELOPE__PAYLOAD_COMPLAINT_CHANGED;
        }
        s_derive(card, step.at_ms);
        int written = s_history(st, card, change, "", step.at_ms, step.period_no);
        if (written < 0)
            return -1;
        if (written && s_emit(svc, card, payload, change, step.at_ms, a) != 0)
            return -1;
        hf_info("complaint_clock", "complaint=%lld branch=%s change=%s level=%d owner=%s period=%d",
                (long long)c->id, c->branch, change, step.level, c->owner, step.period_no);
    }
    if (n > 0) {
        s_derive(card, now);
        if (s_save(st, card, now) != 0)
            return -1;
    }
    return n;
}

int complaint_card_open(hf_service_t *svc, const complaint_new_t *n, hf_arena_t *a,
                        complaint_card_t **out)
{
    hf_store_t *st = hf_service_store(svc);
    *out = NULL;
    const char *ps[] = {n->branch, n->category};
    PGresult *res = hf_store_query(st, &COMPLAINT_Q_SLA, 2, ps);
    if (res == NULL)
        return -1;
    int64_t hours = PQntuples(res) ? hf_pg_int(res, 0, 0) : 24;
    bool business = PQntuples(res) ? hf_pg_bool(res, 0, 1) : false;
    int64_t wait_hours = PQntuples(res) ? hf_pg_int(res, 0, 2) : 72;
    PQclear(res);

    complaint_card_t *card = hf_new(a, complaint_card_t);
    if (complaint_calendar_load(st, n->branch, business, &card->cal) != 0)
        return -1;
    card->clk.period_ms = hours * S_HOUR_MS;
    card->wait_limit_ms = wait_hours * S_HOUR_MS;
    complaint_clock_start(&card->clk, n->opened_at_ms);
    Huifang__V1__Complaint *c = hf_new(a, Huifang__V1__Complaint);
    huifang__v1__complaint__init(c);
    card->c = c;
    c->branch = (char *)n->branch;
    c->customer_id = n->customer_id;
    c->category = (char *)n->category;
    c->severity = (char *)n->severity;
    c->state = "open";
    c->agent = (char *)S(n->agent);
    c->owner = c->agent;
    c->channel = (char *)S(n->channel);
    c->location = (char *)S(n->location);
    c->description = (char *)S(n->description);
    c->plan = (char *)S(n->plan);
    c->filed_by = (char *)S(n->filed_by);
    c->opened_at_ms = n->opened_at_ms;
    c->period_started_at_ms = n->opened_at_ms;
    c->business_hours = business;
    c->source_contact_id = n->source_contact;
    int64_t now = hf_clock_now_ms();
    c->updated_at_ms = now;
    s_derive(card, n->opened_at_ms);

    char cid[24], src[24], opened[24], period[24], due[24], next[24], at[24], wait[24];
    const char *pi[] = {c->branch,
                        hf_pg_i64(cid, c->customer_id),
                        c->category,
                        n->source_contact ? hf_pg_i64(src, n->source_contact) : NULL,
                        hf_pg_i64(opened, c->opened_at_ms),
                        c->severity,
                        c->channel,
                        c->location,
                        c->description,
                        c->plan,
                        c->agent,
                        c->filed_by,
                        hf_pg_i64(period, card->clk.period_ms),
                        business ? "true" : "false",
                        hf_pg_i64(due, c->due_at_ms),
                        hf_pg_i64(next, card->next_timer_ms),
                        hf_pg_i64(at, now),
                        hf_pg_i64(wait, card->wait_limit_ms)};
    res = hf_store_query(st, &COMPLAINT_Q_FILE, 18, pi);
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return 0; /* that contact filed its card before */
    }
    c->id = hf_pg_int(res, 0, 0);
    PQclear(res);
    const char *pn[] = {cid};
    res = hf_store_query(st, &COMPLAINT_Q_CUSTOMER_NAME, 1, pn);
    if (res == NULL)
        return -1;
    c->customer_name = hf_arena_strdup(a, PQntuples(res) ? hf_pg_str(res, 0, 0) : "");
    PQclear(res);
    if (s_history(st, card, "opened", n->actor, c->opened_at_ms, c->period_no) < 0 ||
        s_emit(svc, card, HUIFANG__V1__ENVELOPE__PAYLOAD_COMPLAINT_OPENED, "", c->opened_at_ms,
               a) != 0)
        return -1;
    hf_info("complaint_opened",
            "complaint=%lld branch=%s customer=%lld category=%s owner=%s"
            " contact=%lld period_h=%lld business=%d",
            (long long)c->id, c->branch, (long long)c->customer_id, c->category, c->owner,
            (long long)n->source_contact, (long long)hours, business);
    /* a card filed for a contact logged a while ago may have passed thresholds already */
    if (complaint_card_catch_up(svc, card, now, a) < 0)
        return -1;
    s_derive(card, now);
    *out = card;
    return 0;
}

/* ---- commands ---- */

/* The customer must be known in the branch: from the copy, else asked of intake (its event
 * may still be on the way), which also fills the copy. HF_OK or the failure in rep. */
static int s_need_customer(hf_service_t *svc, const hf_request_t *req, int64_t id, hf_reply_t *rep,
                           hf_arena_t *a)
{
    hf_store_t *st = hf_service_store(svc);
    char idtxt[24];
    const char *p[] = {hf_pg_i64(idtxt, id), req->branch};
    PGresult *res = hf_store_query(st, &COMPLAINT_Q_CUSTOMER_IN_BRANCH, 2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int found = PQntuples(res);
    PQclear(res);
    if (found)
        return HF_OK;
    Huifang__V1__CustomerShow show = HUIFANG__V1__CUSTOMER_SHOW__INIT;
    show.id = id;
    hf_request_t q = HUIFANG__V1__REQUEST__INIT;
    q.branch = req->branch;
    q.actor = req->actor;
    q.command_case = HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_SHOW;
    q.customer_show = &show;
    hf_service_forward(svc, &q);
    hf_client_t *intake = hf_service_peer(svc, "intake");
    hf_reply_t *r = NULL;
    if (intake == NULL || hf_client_call(intake, &q, &r) != 0)
        return hf_fail(rep, a, HF_UNAVAILABLE, "customer",
                       "customer %lld is not known here yet and intake did not answer; nothing"
                       " changed, safe to retry",
                       (long long)id);
    int rc = HF_OK;
    if (r->status == HF_NOT_FOUND)
        rc = hf_fail(rep, a, HF_NOT_FOUND, "customer", "no customer %lld in branch %s",
                     (long long)id, req->branch);
    else if (r->status != HF_OK || r->result_case != HUIFANG__V1__REPLY__RESULT_CUSTOMER ||
             r->customer->customer == NULL)
        rc = hf_fail(rep, a, HF_UNAVAILABLE, "customer", "intake could not show customer %lld: %s",
                     (long long)id, S(r->error));
    else {
        const char *pc[] = {idtxt, req->branch, S(r->customer->customer->name)};
        if (hf_store_query_run(st, &COMPLAINT_Q_CUSTOMER_STUB, 3, pc) != 0)
            rc = HF_UNAVAILABLE;
    }
    huifang__v1__reply__free_unpacked(r, NULL);
    return rc;
}

int complaint_file(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                   hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__ComplaintFile *f = req->complaint_file;
    hf_store_t *st = hf_service_store(svc);
    char tz[64], role[16];
    int rc;
    if ((rc = complaint_need_branch(svc, req, tz, rep, a)) != HF_OK)
        return rc;
    if (f->customer_id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "customer", "customer is required");
    if (f->category == NULL || *f->category == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "category", "category is required");
    if (!s_one_of(f->category, s_categories))
        return hf_fail(rep, a, HF_BAD_INPUT, "category",
                       "category \"%s\" is not one of product-effect, adverse-reaction, attitude,"
                       " delivery, price, other",
                       f->category);
    if ((rc = complaint_check_text(f->text, "text", 4000, false, rep, a)) != HF_OK ||
        (rc = complaint_check_text(f->location, "location", 200, true, rep, a)) != HF_OK ||
        (rc = complaint_check_text(f->plan, "plan", 4000, true, rep, a)) != HF_OK)
        return rc;
    const char *severity = f->severity && *f->severity                    ? f->severity
                           : strcmp(f->category, "adverse-reaction") == 0 ? "high"
                                                                          : "normal";
    if (!s_one_of(severity, s_severities))
        return hf_fail(rep, a, HF_BAD_INPUT, "severity",
                       "severity \"%s\" is not one of low, normal, high", severity);
    const char *channel = f->channel && *f->channel ? f->channel : "phone";
    if (!s_one_of(channel, s_channels))
        return hf_fail(rep, a, HF_BAD_INPUT, "channel",
                       "channel \"%s\" is not one of phone, visit, counter, consult, wechat,"
                       " letter, event, other",
                       channel);
    const char *owner = f->owner && *f->owner ? f->owner : S(req->actor);
    if (*owner == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "owner",
                       "owner is required: --owner AGENT, or act as the agent with --as");
    if (complaint_agent_role(st, req->branch, owner, role) != 0)
        return HF_UNAVAILABLE;
    /* an admin or hq person filing without --owner is no agent to answer for it */
    if (*role == '\0' && !(f->owner && *f->owner))
        return hf_fail(rep, a, HF_BAD_INPUT, "owner",
                       "owner is required: %s is no agent of branch %s (--owner AGENT)", owner,
                       req->branch);
    if (*role == '\0')
        return hf_fail(rep, a, HF_NOT_FOUND, "owner", "no agent %s in branch %s", owner,
                       req->branch);
    if ((rc = s_need_customer(svc, req, f->customer_id, rep, a)) != HF_OK)
        return rc;
    complaint_new_t n = {
        .branch = req->branch,
        .customer_id = f->customer_id,
        .category = f->category,
        .severity = severity,
        .channel = channel,
        .location = S(f->location),
        .description = f->text,
        .plan = S(f->plan),
        .agent = owner,
        .filed_by = S(req->actor),
        .actor = S(req->actor),
        .source_contact = 0,
        .opened_at_ms = hf_clock_now_ms(),
    };
    complaint_card_t *card = NULL;
    if (complaint_card_open(svc, &n, a, &card) != 0 || card == NULL)
        return HF_UNAVAILABLE;
    if (hf_service_audit(svc, &card->c->customer_id, 1) != 0)
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_COMPLAINT;
    rep->complaint = card->c;
    return HF_OK;
}

int complaint_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                   hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__ComplaintList *l = req->complaint_list;
    hf_store_t *st = hf_service_store(svc);
    char tz[64];
    int rc;
    if ((rc = complaint_need_branch(svc, req, tz, rep, a)) != HF_OK)
        return rc;
    if (l->limit < 0 || l->limit > 10000)
        return hf_fail(rep, a, HF_BAD_INPUT, "limit", "limit must be 0..10000");
    if (l->customer_id < 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "customer", "customer must be a positive id");
    char cust[24], lim[24];
    const char *p[] = {req->branch, l->open ? "true" : "false", l->overdue ? "true" : "false",
                       hf_pg_i64(cust, l->customer_id), hf_pg_i64(lim, l->limit ? l->limit : 200)};
    PGresult *res = hf_store_query(st, &COMPLAINT_Q_LIST, 5, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__ComplaintListResult *r = hf_new(a, Huifang__V1__ComplaintListResult);
    huifang__v1__complaint_list_result__init(r);
    int n = PQntuples(res);
    int64_t now = hf_clock_now_ms();
    r->now_ms = now;
    r->complaints = hf_new_array(a, Huifang__V1__Complaint *, n);
    complaint_calendar_t *business = NULL; /* the branch's calendar, loaded once if needed */
    for (int i = 0; i < n; i++) {
        complaint_card_t card;
        memset(&card, 0, sizeof card);
        s_card_from_row(res, i, a, &card);
        if (card.c->business_hours) {
            if (business == NULL) {
                business = hf_new(a, complaint_calendar_t);
                if (complaint_calendar_load(st, req->branch, true, business) != 0) {
                    PQclear(res);
                    return HF_UNAVAILABLE;
                }
            }
            card.cal = *business;
        } else {
            card.cal.business = false;
        }
        card.c->remaining_ms = complaint_clock_remaining(&card.cal, &card.clk, now);
        r->complaints[r->n_complaints++] = card.c;
    }
    PQclear(res);
    int64_t *ids = hf_new_array(a, int64_t, r->n_complaints + 1);
    for (size_t i = 0; i < r->n_complaints; i++)
        ids[i] = r->complaints[i]->customer_id;
    if (hf_service_audit(svc, ids, r->n_complaints) != 0) /* the customers' names */
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_COMPLAINTS;
    rep->complaints = r;
    return HF_OK;
}

/* Loads the card a command names, in the request's branch. HF_OK with *out, or a failure. */
static int s_need_card(hf_service_t *svc, const hf_request_t *req, int64_t id, bool lock,
                       complaint_card_t **out, hf_reply_t *rep, hf_arena_t *a)
{
    if (id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "id", "id must be a positive complaint id");
    int found = complaint_card_load(hf_service_store(svc), id, lock, true, a, out);
    if (found < 0)
        return HF_UNAVAILABLE;
    if (found == 1 || strcmp((*out)->c->branch, S(req->branch)) != 0)
        return hf_fail(rep, a, HF_NOT_FOUND, "id", "no complaint %lld in branch %s", (long long)id,
                       S(req->branch));
    return HF_OK;
}

int complaint_show(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                   hf_arena_t *a)
{
    (void)self;
    char tz[64];
    complaint_card_t *card = NULL;
    int rc;
    if ((rc = complaint_need_branch(svc, req, tz, rep, a)) != HF_OK ||
        (rc = s_need_card(svc, req, req->complaint_show->id, false, &card, rep, a)) != HF_OK)
        return rc;
    int64_t now = hf_clock_now_ms();
    s_derive(card, now);
    char id[24];
    const char *p[] = {hf_pg_i64(id, card->c->id)};
    PGresult *res = hf_store_query(hf_service_store(svc), &COMPLAINT_Q_HISTORY, 1, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__ComplaintDetail *d = hf_new(a, Huifang__V1__ComplaintDetail);
    huifang__v1__complaint_detail__init(d);
    d->complaint = card->c;
    int n = PQntuples(res);
    d->history = hf_new_array(a, Huifang__V1__ComplaintHistory *, n);
    for (int i = 0; i < n; i++) {
        Huifang__V1__ComplaintHistory *h = hf_new(a, Huifang__V1__ComplaintHistory);
        huifang__v1__complaint_history__init(h);
        h->changed_at_ms = hf_pg_int(res, i, 0);
        h->change = hf_arena_strdup(a, hf_pg_str(res, i, 1));
        h->level = (int32_t)hf_pg_int(res, i, 2);
        h->owner = hf_arena_strdup(a, hf_pg_str(res, i, 3));
        h->actor = hf_arena_strdup(a, hf_pg_str(res, i, 4));
        h->due_at_ms = hf_pg_int(res, i, 5);
        h->period_no = (int32_t)hf_pg_int(res, i, 6);
        d->history[d->n_history++] = h;
    }
    PQclear(res);
    if (hf_service_audit(svc, &card->c->customer_id, 1) != 0) /* the complaint's text */
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_COMPLAINT_DETAIL;
    rep->complaint_detail = d;
    return HF_OK;
}

/* The rank a role has on the escalation ladder: 0 the agents (and team leads), 1 the head,
 * 2 the manager (who also answers for level 3, the customer-service department). */
static int s_rank(const char *role)
{
    return strcmp(role, "manager") == 0 ? 2 : strcmp(role, "head") == 0 ? 1 : 0;
}

/* Who may move a card at its level: the card's owner, or someone whose rank reaches the
 * level (a manager for levels 2 and 3); at level 0 also a team lead. No actor is bad input;
 * someone else is a conflict (exit 4) naming who may. The history then records the real
 * actor, never an empty one shown as "clock". */
static int s_may_act(hf_store_t *st, const Huifang__V1__Complaint *c, const hf_request_t *req,
                     const char *action, hf_reply_t *rep, hf_arena_t *a)
{
    const char *actor = S(req->actor);
    if (*actor == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "actor",
                       "say who you are with --as: a complaint's history names who %s it", action);
    char role[32];
    if (complaint_agent_role(st, c->branch, actor, role) != 0)
        return HF_UNAVAILABLE;
    if (*role == '\0')
        return hf_fail(rep, a, HF_CONFLICT, "actor", "%s is not an agent of branch %s", actor,
                       c->branch);
    int need = c->level >= 2 ? 2 : c->level;
    if (strcmp(actor, S(c->owner)) == 0 || s_rank(role) >= need ||
        (c->level == 0 && strcmp(role, "lead") == 0))
        return HF_OK;
    static const char *const who[] = {"its owner, a lead, the head or a manager",
                                      "its owner, the head or a manager", "a manager", "a manager"};
    return hf_fail(rep, a, HF_CONFLICT, "actor",
                   "complaint %lld is at level %d (owner %s): %s (%s) may not %s it; %s may",
                   (long long)c->id, c->level, S(c->owner), actor, role, action,
                   who[c->level >= 3 ? 3 : c->level]);
}

int complaint_act(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                  hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__ComplaintAct *act = req->complaint_act;
    hf_store_t *st = hf_service_store(svc);
    char tz[64];
    int rc;
    int m = s_move_find(S(act->action), false);
    if (m < 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "action",
                       "action \"%s\" is not one of start, wait, resume, resolve, close, reopen",
                       S(act->action));
    bool resolve = strcmp(s_moves[m].action, "resolve") == 0;
    bool reopen = strcmp(s_moves[m].action, "reopen") == 0;
    if (resolve &&
        (rc = complaint_check_text(act->resolution, "resolution", 4000, false, rep, a)) != HF_OK)
        return rc;
    if (!resolve && act->resolution && *act->resolution)
        return hf_fail(rep, a, HF_BAD_INPUT, "resolution", "resolution goes with resolve only");
    complaint_card_t *card = NULL;
    if ((rc = complaint_need_branch(svc, req, tz, rep, a)) != HF_OK ||
        (rc = s_need_card(svc, req, act->id, true, &card, rep, a)) != HF_OK)
        return rc;
    int64_t now = hf_clock_now_ms();
    /* the clock first: a warning or breach already due belongs before this change */
    if (complaint_card_catch_up(svc, card, now, a) < 0)
        return HF_UNAVAILABLE;
    Huifang__V1__Complaint *c = card->c;
    if (!s_move_allowed(m, c->state)) {
        char from[64] = "";
        for (int i = 0; s_moves[m].from[i]; i++)
            snprintf(from + strlen(from), sizeof from - strlen(from), "%s%s", i ? " or " : "",
                     s_moves[m].from[i]);
        return hf_fail(rep, a, HF_CONFLICT, "state", "complaint %lld is %s: %s needs it %s",
                       (long long)c->id, c->state, s_moves[m].action, from);
    }
    if ((rc = s_may_act(st, c, req, s_moves[m].action, rep, a)) != HF_OK)
        return rc;
    const char *action = s_moves[m].action;
    if (strcmp(action, "wait") == 0) {
        complaint_clock_pause(&card->cal, &card->clk, now);
        c->paused_at_ms = now;
    } else if (strcmp(action, "resume") == 0) {
        complaint_clock_resume(&card->clk, now);
        c->paused_at_ms = 0;
    } else if (resolve) {
        complaint_clock_pause(&card->cal, &card->clk, now);
        c->paused_at_ms = 0;
        c->resolved_at_ms = now;
        c->resolution = act->resolution;
    } else if (reopen) {
        complaint_clock_start(&card->clk, now);
        c->period_started_at_ms = now;
        c->paused_at_ms = 0;
        c->resolved_at_ms = 0;
        c->resolution = "";
    }
    s_card_move(card, m); /* allowed: checked above, under the row lock */
    c->updated_at_ms = now;
    s_derive(card, now);
    if (s_save(st, card, now) != 0)
        return HF_UNAVAILABLE;
    if (resolve || reopen) {
        char id[24];
        const char *p[] = {hf_pg_i64(id, c->id), c->resolution};
        if (hf_store_query_run(st, &COMPLAINT_Q_SET_RESOLUTION, 2, p) != 0)
            return HF_UNAVAILABLE;
    }
    if (s_history(st, card, s_moves[m].change, S(req->actor), now, c->period_no) < 0)
        return HF_UNAVAILABLE;
    int payload = resolve  ? HUIFANG__V1__ENVELOPE__PAYLOAD_COMPLAINT_RESOLVED
                  : reopen ? HUIFANG__V1__ENVELOPE__PAYLOAD_COMPLAINT_OPENED
                           : HUIFANG__V1__ENVELOPE__PAYLOAD_COMPLAINT_CHANGED;
    if (s_emit(svc, card, payload, s_moves[m].change, now, a) != 0)
        return HF_UNAVAILABLE;
    hf_info("complaint_changed", "complaint=%lld branch=%s change=%s state=%s level=%d actor=%s",
            (long long)c->id, c->branch, s_moves[m].change, c->state, c->level, S(req->actor));
    if (hf_service_audit(svc, &c->customer_id, 1) != 0)
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_COMPLAINT;
    rep->complaint = c;
    return HF_OK;
}
