/* scheduler: event handlers, commands and timers. See scheduler.h and README.md.
 *
 * A task's life: planned (in Postgres, then in the Redis due-index) -> assigned (to an
 * agent's date bag for a day, within capacity) -> claimed (the agent is calling) -> done,
 * or back to planned for a retry, or cancelled. Every change of state is one guarded
 * UPDATE ... WHERE state = <expected>, so however Redis or several instances behave, a
 * task is assigned once. */
#include "scheduler.h"
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_time.h"
#include "sched_plan.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")
#define MAX_STEPS 32
#define MAX_LAYOUT 256

/* ---- shared helpers ---- */

/* Formats repeated strings as a Postgres text[] literal ("{a,b}"); values are codes. */
static void s_array_literal(char *const *items, size_t n, char *out, size_t outlen)
{
    size_t o = (size_t)snprintf(out, outlen, "{");
    for (size_t i = 0; i < n && o + 2 < outlen; i++)
        o += (size_t)snprintf(out + o, outlen - o, "%s\"%s\"", i ? "," : "", items[i]);
    snprintf(out + o, outlen - o, "}");
}

/* Reads a branch's zone and windows; 0, or -1 when unknown or on error (*missing set). */
static int s_branch(hf_store_t *st, const char *branch, char *tz, char *windows, bool *missing)
{
    const char *p[] = {branch};
    PGresult *res = hf_store_exec(st, "SELECT tz, windows FROM branch WHERE code = $1", 1, p);
    *missing = false;
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        *missing = true;
        return -1;
    }
    snprintf(tz, 64, "%s", hf_pg_str(res, 0, 0));
    snprintf(windows, 128, "%s", hf_pg_str(res, 0, 1));
    PQclear(res);
    return 0;
}

static int s_upsert_customer(hf_store_t *st, const Huifang__V1__Customer *c)
{
    char id[24];
    const char *p[] = {hf_pg_i64(id, c->id), S(c->branch), S(c->name), S(c->phone), S(c->region),
                       S(c->card_type), c->opted_out ? "true" : "false",
                       c->dnd_until && *c->dnd_until ? c->dnd_until : NULL};
    return hf_store_run(st,
                        "INSERT INTO customer (id, branch, name, phone, region, card_type,"
                        " opted_out, dnd_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                        " ON CONFLICT (id) DO UPDATE SET branch = $2, name = $3, phone = $4,"
                        " region = $5, card_type = $6, opted_out = $7, dnd_until = $8",
                        8, p);
}

#define TASK_COLUMNS                                                                         \
    "t.id, t.branch, t.customer_id, t.purchase_id, coalesce(t.plan_id, 0), t.step_no,"       \
    " t.purpose, t.channel, t.role, t.due_at_ms, t.state, t.agent, t.priority, t.attempts,"  \
    " coalesce(c.name, ''), coalesce(c.phone, ''), coalesce(c.region, ''), t.outcome,"       \
    " coalesce(t.bag_date::text, ''), t.claims"
#define TASK_FROM " FROM task t LEFT JOIN customer c ON c.id = t.customer_id"

static Huifang__V1__Task *s_task_from_row(const PGresult *res, int i, hf_arena_t *a)
{
    Huifang__V1__Task *t = hf_new(a, Huifang__V1__Task);
    huifang__v1__task__init(t);
    t->id = hf_pg_int(res, i, 0);
    t->branch = hf_arena_strdup(a, hf_pg_str(res, i, 1));
    t->customer_id = hf_pg_int(res, i, 2);
    t->purchase_id = hf_pg_int(res, i, 3);
    t->plan_id = hf_pg_int(res, i, 4);
    t->step_no = (int32_t)hf_pg_int(res, i, 5);
    t->purpose = hf_arena_strdup(a, hf_pg_str(res, i, 6));
    t->channel = hf_arena_strdup(a, hf_pg_str(res, i, 7));
    t->role = hf_arena_strdup(a, hf_pg_str(res, i, 8));
    t->due_at_ms = hf_pg_int(res, i, 9);
    t->state = hf_arena_strdup(a, hf_pg_str(res, i, 10));
    t->agent = hf_arena_strdup(a, hf_pg_str(res, i, 11));
    t->priority = (int32_t)hf_pg_int(res, i, 12);
    t->attempts = (int32_t)hf_pg_int(res, i, 13);
    t->customer_name = hf_arena_strdup(a, hf_pg_str(res, i, 14));
    t->customer_phone = hf_arena_strdup(a, hf_pg_str(res, i, 15));
    t->region = hf_arena_strdup(a, hf_pg_str(res, i, 16));
    t->outcome = hf_arena_strdup(a, hf_pg_str(res, i, 17));
    t->bag_date = hf_arena_strdup(a, hf_pg_str(res, i, 18));
    t->claims = (int32_t)hf_pg_int(res, i, 19);
    return t;
}

/* Loads one task (optionally FOR UPDATE); NULL when absent or on error (*err set). */
static Huifang__V1__Task *s_load_task(hf_store_t *st, int64_t id, bool lock, hf_arena_t *a,
                                      bool *err)
{
    char idtxt[24];
    const char *p[] = {hf_pg_i64(idtxt, id)};
    PGresult *res = hf_store_exec(st,
                                  lock ? "SELECT " TASK_COLUMNS TASK_FROM
                                         " WHERE t.id = $1 FOR UPDATE OF t"
                                       : "SELECT " TASK_COLUMNS TASK_FROM " WHERE t.id = $1",
                                  1, p);
    *err = res == NULL;
    if (res == NULL)
        return NULL;
    Huifang__V1__Task *t = PQntuples(res) ? s_task_from_row(res, 0, a) : NULL;
    PQclear(res);
    return t;
}

/* Emits one task event of the given payload case. */
static int s_emit_task(hf_service_t *svc, int payload, Huifang__V1__Task *t)
{
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    Huifang__V1__TaskAssigned as = HUIFANG__V1__TASK_ASSIGNED__INIT;
    Huifang__V1__TaskClaimed cl = HUIFANG__V1__TASK_CLAIMED__INIT;
    Huifang__V1__TaskCompleted co = HUIFANG__V1__TASK_COMPLETED__INIT;
    env.branch = t->branch;
    env.payload_case = (Huifang__V1__Envelope__PayloadCase)payload;
    switch (payload) {
    case HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_ASSIGNED:
        as.task = t;
        env.task_assigned = &as;
        break;
    case HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_CLAIMED:
        cl.task = t;
        env.task_claimed = &cl;
        break;
    default:
        co.task = t;
        env.task_completed = &co;
        break;
    }
    return hf_service_emit(svc, &env);
}

/* ---- intake events ---- */

static int on_branch(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a)
{
    (void)self;
    (void)a;
    const Huifang__V1__Branch *b = env->branch_upserted->branch;
    if (b == NULL)
        return -2;
    const char *p[] = {b->code, S(b->tz), S(b->windows)};
    return hf_store_run(hf_service_store(svc),
                        "INSERT INTO branch (code, tz, windows) VALUES ($1, $2, $3)"
                        " ON CONFLICT (code) DO UPDATE SET tz = $2, windows = $3",
                        3, p);
}

static int on_agent(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a)
{
    (void)self;
    (void)a;
    const Huifang__V1__Agent *ag = env->agent_upserted->agent;
    if (ag == NULL)
        return -2;
    char regions[1024], calls[24], visits[24];
    s_array_literal(ag->regions, ag->n_regions, regions, sizeof regions);
    const char *p[] = {S(ag->branch), ag->id, S(ag->name), S(ag->role), regions,
                       hf_pg_i64(calls, ag->daily_calls), hf_pg_i64(visits, ag->daily_visits),
                       ag->active ? "true" : "false"};
    return hf_store_run(hf_service_store(svc),
                        "INSERT INTO agent (branch, id, name, role, regions, daily_calls,"
                        " daily_visits, active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                        " ON CONFLICT (branch, id) DO UPDATE SET name = $3, role = $4,"
                        " regions = $5, daily_calls = $6, daily_visits = $7, active = $8",
                        8, p);
}

static int on_lead(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a)
{
    (void)self;
    (void)a;
    const Huifang__V1__Customer *c =
        env->payload_case == HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_REGISTERED
            ? env->lead_registered->customer
            : env->lead_merged->customer;
    if (c == NULL)
        return -2;
    return s_upsert_customer(hf_service_store(svc), c);
}

/* Reads a template's steps, the branch's own version first, else the default. Returns the
 * count (0 for an unknown template) or -1. */
static int s_load_steps(hf_store_t *st, const char *branch, const char *template,
                        sched_step_t *steps, int max)
{
    const char *p[] = {template, branch};
    PGresult *res = hf_store_exec(
        st,
        "SELECT step_no, anchor, offset_days, window_days, repeat_days, purpose, channel, role"
        " FROM plan_step WHERE template = $1 AND branch = (SELECT max(branch) FROM plan_template"
        " WHERE code = $1 AND branch IN ($2, '')) ORDER BY step_no",
        2, p);
    if (res == NULL)
        return -1;
    int n = PQntuples(res) < max ? PQntuples(res) : max;
    for (int i = 0; i < n; i++) {
        sched_step_t *s = &steps[i];
        s->step_no = (int)hf_pg_int(res, i, 0);
        snprintf(s->anchor, sizeof s->anchor, "%s", hf_pg_str(res, i, 1));
        s->offset_days = (int)hf_pg_int(res, i, 2);
        s->window_days = (int)hf_pg_int(res, i, 3);
        s->repeat_days = (int)hf_pg_int(res, i, 4);
        snprintf(s->purpose, sizeof s->purpose, "%s", hf_pg_str(res, i, 5));
        snprintf(s->channel, sizeof s->channel, "%s", hf_pg_str(res, i, 6));
        snprintf(s->role, sizeof s->role, "%s", hf_pg_str(res, i, 7));
    }
    PQclear(res);
    return n;
}

/* Starts the plan of a purchase, once: the plan's UNIQUE purchase_id makes a second
 * delivery of the same event a no-op. A repurchase archives the customer's earlier plans
 * and cancels what was left of them. */
static int s_start_plan(hf_service_t *svc, const Huifang__V1__Purchase *pu,
                        const Huifang__V1__Customer *c, hf_arena_t *a)
{
    hf_store_t *st = hf_service_store(svc);
    char tz[64], windows[128];
    bool missing;
    if (s_branch(st, pu->branch, tz, windows, &missing) != 0)
        return missing ? -2 : -1;
    int32_t pday, eday, rday = -1;
    if (hf_date_parse(S(pu->date), &pday) != 0 || hf_date_parse(S(pu->supply_end), &eday) != 0)
        return -2;
    if (c && c->ref_date && *c->ref_date)
        hf_date_parse(c->ref_date, &rday);
    const char *template = pu->plan && *pu->plan ? pu->plan : "monthly-course";
    sched_step_t steps[MAX_STEPS];
    int nsteps = s_load_steps(st, pu->branch, template, steps, MAX_STEPS);
    if (nsteps < 0)
        return -1;
    if (nsteps == 0) {
        hf_warn("unknown_template", "template=%s purchase=%lld fallback=monthly-course", template,
                (long long)pu->id);
        template = "monthly-course";
        if ((nsteps = s_load_steps(st, pu->branch, template, steps, MAX_STEPS)) <= 0)
            return nsteps < 0 ? -1 : -2;
    }
    char pid[24], cid[24], at[24];
    int64_t now = hf_clock_now_ms();
    const char *pp[] = {pu->branch, hf_pg_i64(cid, pu->customer_id), hf_pg_i64(pid, pu->id),
                        template, pu->supply_end, hf_pg_i64(at, now)};
    PGresult *res = hf_store_exec(st,
                                  "INSERT INTO plan (branch, customer_id, purchase_id, template,"
                                  " supply_end, started_at_ms) VALUES ($1, $2, $3, $4, $5, $6)"
                                  " ON CONFLICT (purchase_id) DO NOTHING RETURNING id",
                                  6, pp);
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return 0;  /* planned before */
    }
    int64_t plan_id = hf_pg_int(res, 0, 0);
    PQclear(res);
    char plantxt[24];
    hf_pg_i64(plantxt, plan_id);
    const char *pa[] = {cid, plantxt, at};
    if (hf_store_run(st,
                     "WITH old AS (UPDATE plan SET state = 'archived' WHERE customer_id = $1"
                     " AND state = 'active' AND id <> $2 RETURNING id)"
                     " UPDATE task SET state = 'cancelled', outcome = 'repurchased',"
                     " updated_at_ms = $3 WHERE plan_id IN (SELECT id FROM old)"
                     " AND state IN ('planned', 'assigned')",
                     3, pa) != 0)
        return -1;

    sched_due_t due[MAX_LAYOUT];
    int n = sched_plan_layout(steps, nsteps, pday, eday, rday, due, MAX_LAYOUT);
    bool opted_out = c && c->opted_out;
    Huifang__V1__PlanStarted *ps = hf_new(a, Huifang__V1__PlanStarted);
    huifang__v1__plan_started__init(ps);
    ps->plan_id = plan_id;
    ps->purchase_id = pu->id;
    ps->customer_id = pu->customer_id;
    ps->template_ = (char *)template;
    ps->tasks = hf_new_array(a, Huifang__V1__Task *, n);
    for (int i = 0; i < n; i++) {
        const sched_step_t *s = due[i].step;
        int64_t due_at = sched_day_start(due[i].day, windows, tz);
        int prio = sched_priority(s->purpose);
        char step[16], occ[16], dueat[24], prio_t[16], win[16];
        const char *pt[] = {pu->branch, plantxt, cid, pid, hf_pg_i64(step, s->step_no),
                            hf_pg_i64(occ, due[i].occurrence), s->purpose, s->channel, s->role,
                            hf_pg_i64(dueat, due_at), hf_pg_i64(prio_t, prio),
                            hf_pg_i64(win, due[i].window_days), opted_out ? "cancelled" : "planned",
                            at};
        res = hf_store_exec(st,
                            "INSERT INTO task (branch, plan_id, customer_id, purchase_id, step_no,"
                            " occurrence, purpose, channel, role, due_at_ms, priority, window_days,"
                            " state, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
                            " $10, $11, $12, $13, $14) RETURNING id",
                            14, pt);
        if (res == NULL)
            return -1;
        Huifang__V1__Task *t = hf_new(a, Huifang__V1__Task);
        huifang__v1__task__init(t);
        t->id = hf_pg_int(res, 0, 0);
        PQclear(res);
        t->branch = pu->branch;
        t->customer_id = pu->customer_id;
        t->purchase_id = pu->id;
        t->plan_id = plan_id;
        t->step_no = s->step_no;
        t->purpose = hf_arena_strdup(a, s->purpose);
        t->channel = hf_arena_strdup(a, s->channel);
        t->role = hf_arena_strdup(a, s->role);
        t->due_at_ms = due_at;
        t->state = opted_out ? "cancelled" : "planned";
        t->priority = prio;
        ps->tasks[ps->n_tasks++] = t;
    }
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = pu->branch;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_PLAN_STARTED;
    env.plan_started = ps;
    if (hf_service_emit(svc, &env) != 0)
        return -1;
    hf_info("plan_started", "plan=%lld purchase=%lld template=%s tasks=%d", (long long)plan_id,
            (long long)pu->id, template, n);
    return 0;
}

static int on_purchase(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__PurchaseRecorded *pr = env->purchase_recorded;
    const Huifang__V1__Purchase *pu = pr->purchase;
    if (pu == NULL)
        return -2;
    hf_store_t *st = hf_service_store(svc);
    if (pr->customer && s_upsert_customer(st, pr->customer) != 0)
        return -1;
    char id[24], cid[24], qty[16], price[24], days[16], nth[16];
    const char *p[] = {hf_pg_i64(id, pu->id), hf_pg_i64(cid, pu->customer_id), S(pu->branch),
                       S(pu->product), hf_pg_i64(qty, pu->quantity), hf_pg_i64(price, pu->price_fen),
                       S(pu->date), S(pu->supply_end), hf_pg_i64(days, pu->days_of_supply),
                       hf_pg_i64(nth, pu->nth), S(pu->plan)};
    if (hf_store_run(st,
                     "INSERT INTO purchase (id, customer_id, branch, product, quantity, price_fen,"
                     " purchase_date, supply_end, days_of_supply, nth, plan) VALUES ($1, $2, $3,"
                     " $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING",
                     11, p) != 0)
        return -1;
    return s_start_plan(svc, pu, pr->customer, a);
}

const hf_event_handler_t scheduler_intake_events[] = {
    {HUIFANG__V1__ENVELOPE__PAYLOAD_BRANCH_UPSERTED, on_branch},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_AGENT_UPSERTED, on_agent},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_REGISTERED, on_lead},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_MERGED, on_lead},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_PURCHASE_RECORDED, on_purchase},
    {0, NULL}};

/* ---- call-log events: outcomes drive what comes next ---- */

/* Cancels every open task of a customer (refusal, opt-out, wrong number). */
static int s_cancel_customer(hf_store_t *st, int64_t customer_id, const char *why)
{
    char cid[24], at[24];
    const char *p[] = {hf_pg_i64(cid, customer_id), why, hf_pg_i64(at, hf_clock_now_ms())};
    return hf_store_run(st,
                        "UPDATE task SET state = 'cancelled', outcome = $2, updated_at_ms = $3"
                        " WHERE customer_id = $1 AND state IN ('planned', 'assigned')",
                        3, p);
}

static int on_call_logged(hf_service_t *svc, void *selfp, const hf_envelope_t *env, hf_arena_t *a)
{
    scheduler_t *self = selfp;
    const Huifang__V1__Contact *ct = env->call_logged->contact;
    if (ct == NULL || ct->task_id <= 0)
        return 0;  /* a contact not about a task (inbound) */
    hf_store_t *st = hf_service_store(svc);
    bool err;
    Huifang__V1__Task *t = s_load_task(st, ct->task_id, true, a, &err);
    if (t == NULL)
        return err ? -1 : 0;
    if (strcmp(t->state, "claimed") != 0)
        return 0;  /* handled before, or the task moved on: nothing to do */
    const Huifang__V1__OutcomeFlags *f = ct->flags;
    bool answered = f && f->human_answered;
    bool unworkable = f && f->unworkable;
    bool do_not_call = f && f->do_not_call;
    char id[24], at[24], attempts[16], due[24];
    int64_t now = hf_clock_now_ms();
    hf_pg_i64(id, t->id);
    hf_pg_i64(at, now);
    const char *final_state = "done";
    if (!answered && !unworkable && !do_not_call && !(f && f->callback)) {
        /* no answer or busy: try again in the next call window, until the limit */
        t->attempts++;
        if (t->attempts < self->max_attempts) {
            char tz[64], windows[128];
            bool missing;
            if (s_branch(st, t->branch, tz, windows, &missing) != 0)
                return missing ? -2 : -1;
            int64_t next = sched_next_window(now, windows, tz);
            const char *p[] = {id, hf_pg_i64(attempts, t->attempts), hf_pg_i64(due, next), at,
                               S(ct->outcome)};
            if (hf_store_run(st,
                             "UPDATE task SET state = 'planned', agent = '', bag_date = NULL,"
                             " attempts = $2, due_at_ms = $3, indexed = false, updated_at_ms = $4,"
                             " outcome = $5 WHERE id = $1 AND state = 'claimed'",
                             5, p) != 0)
                return -1;
            return 0;
        }
        final_state = "done";
        /* third unanswered attempt: the card is screened out */
        if (s_cancel_customer(st, t->customer_id, "screened-out: unanswered") != 0)
            return -1;
    } else if (unworkable || do_not_call) {
        if (s_cancel_customer(st, t->customer_id, unworkable ? "screened-out: wrong number"
                                                             : "refused") != 0)
            return -1;
    }
    const char *p[] = {id, S(ct->outcome), at, final_state, hf_pg_i64(attempts, t->attempts)};
    if (hf_store_run(st,
                     "UPDATE task SET state = $4, outcome = $2, updated_at_ms = $3, attempts = $5"
                     " WHERE id = $1 AND state = 'claimed'",
                     5, p) != 0)
        return -1;
    t->state = (char *)final_state;
    t->outcome = S(ct->outcome);
    return s_emit_task(svc, HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_COMPLETED, t);
}

const hf_event_handler_t scheduler_calllog_events[] = {
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CALL_LOGGED, on_call_logged},
    {0, NULL}};

/* ---- commands ---- */

/* Checks the request's branch; HF_OK or a failure filled into rep. */
static int s_need_branch(hf_service_t *svc, const hf_request_t *req, char *tz, char *windows,
                         hf_reply_t *rep, hf_arena_t *a)
{
    if (req->branch == NULL || *req->branch == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "branch", "branch is required (--branch or HUIFANG_BRANCH)");
    bool missing;
    if (s_branch(hf_service_store(svc), req->branch, tz, windows, &missing) != 0)
        return missing ? hf_fail(rep, a, HF_BAD_INPUT, "branch", "unknown branch %s", req->branch)
                       : HF_UNAVAILABLE;
    return HF_OK;
}

/* Checks that agent exists in the branch; HF_OK or a failure filled into rep. */
static int s_need_agent(hf_service_t *svc, const hf_request_t *req, const char *agent,
                        hf_reply_t *rep, hf_arena_t *a)
{
    if (agent == NULL || *agent == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "agent", "agent is required (--agent or --as)");
    const char *p[] = {req->branch, agent};
    PGresult *res = hf_store_exec(hf_service_store(svc),
                                  "SELECT 1 FROM agent WHERE branch = $1 AND id = $2", 2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int n = PQntuples(res);
    PQclear(res);
    if (n == 0)
        return hf_fail(rep, a, HF_NOT_FOUND, "agent", "no agent %s in branch %s", agent, req->branch);
    return HF_OK;
}

static Huifang__V1__TaskList *s_task_list(PGresult *res, hf_arena_t *a)
{
    Huifang__V1__TaskList *l = hf_new(a, Huifang__V1__TaskList);
    huifang__v1__task_list__init(l);
    int n = PQntuples(res);
    l->tasks = hf_new_array(a, Huifang__V1__Task *, n);
    for (int i = 0; i < n; i++)
        l->tasks[l->n_tasks++] = s_task_from_row(res, i, a);
    return l;
}

static int get_worklist(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a)
{
    (void)self;
    char tz[64], windows[128];
    int rc;
    const char *agent = req->worklist_get->agent && *req->worklist_get->agent
                            ? req->worklist_get->agent
                            : req->actor;
    if ((rc = s_need_branch(svc, req, tz, windows, rep, a)) != HF_OK ||
        (rc = s_need_agent(svc, req, agent, rep, a)) != HF_OK)
        return rc;
    int32_t day;
    const char *date = req->worklist_get->date;
    if (date && *date) {
        if (hf_date_parse(date, &day) != 0)
            return hf_fail(rep, a, HF_BAD_INPUT, "date", "date \"%s\" is not a date (YYYY-MM-DD)", date);
    } else
        day = hf_time_local_day(hf_clock_now_ms(), tz);
    char daytxt[11];
    hf_date_format(day, daytxt);
    const char *p[] = {req->branch, agent, daytxt};
    PGresult *res = hf_store_exec(hf_service_store(svc),
                                  "SELECT " TASK_COLUMNS TASK_FROM " WHERE t.branch = $1 AND"
                                  " t.agent = $2 AND (t.bag_date = $3 OR (t.state IN ('assigned',"
                                  " 'claimed') AND t.bag_date < $3))"
                                  " ORDER BY CASE t.state WHEN 'claimed' THEN 0 WHEN 'assigned'"
                                  " THEN 1 ELSE 2 END, t.priority DESC, t.due_at_ms, t.id",
                                  3, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    rep->tasks = s_task_list(res, a);
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_TASKS;
    return HF_OK;
}

/* Fills the context an agent needs before calling: customer, purchases, earlier tasks. */
static int s_task_context(hf_store_t *st, Huifang__V1__Task *t, Huifang__V1__TaskContext *ctx,
                          hf_arena_t *a)
{
    ctx->task = t;
    char cid[24];
    const char *p[] = {hf_pg_i64(cid, t->customer_id)};
    PGresult *res = hf_store_exec(st,
                                  "SELECT id, branch, name, phone, region, card_type, opted_out,"
                                  " coalesce(dnd_until::text, '') FROM customer WHERE id = $1",
                                  1, p);
    if (res == NULL)
        return -1;
    if (PQntuples(res)) {
        Huifang__V1__Customer *c = hf_new(a, Huifang__V1__Customer);
        huifang__v1__customer__init(c);
        c->id = hf_pg_int(res, 0, 0);
        c->branch = hf_arena_strdup(a, hf_pg_str(res, 0, 1));
        c->name = hf_arena_strdup(a, hf_pg_str(res, 0, 2));
        c->phone = hf_arena_strdup(a, hf_pg_str(res, 0, 3));
        c->region = hf_arena_strdup(a, hf_pg_str(res, 0, 4));
        c->card_type = hf_arena_strdup(a, hf_pg_str(res, 0, 5));
        c->opted_out = hf_pg_bool(res, 0, 6);
        c->dnd_until = hf_arena_strdup(a, hf_pg_str(res, 0, 7));
        ctx->customer = c;
    }
    PQclear(res);
    res = hf_store_exec(st,
                        "SELECT id, customer_id, branch, product, quantity, price_fen,"
                        " purchase_date::text, supply_end::text, nth, plan, days_of_supply"
                        " FROM purchase WHERE customer_id = $1 ORDER BY nth",
                        1, p);
    if (res == NULL)
        return -1;
    int n = PQntuples(res);
    ctx->purchases = hf_new_array(a, Huifang__V1__Purchase *, n);
    for (int i = 0; i < n; i++) {
        Huifang__V1__Purchase *pu = hf_new(a, Huifang__V1__Purchase);
        huifang__v1__purchase__init(pu);
        pu->id = hf_pg_int(res, i, 0);
        pu->customer_id = hf_pg_int(res, i, 1);
        pu->branch = hf_arena_strdup(a, hf_pg_str(res, i, 2));
        pu->product = hf_arena_strdup(a, hf_pg_str(res, i, 3));
        pu->quantity = (int32_t)hf_pg_int(res, i, 4);
        pu->price_fen = hf_pg_int(res, i, 5);
        pu->date = hf_arena_strdup(a, hf_pg_str(res, i, 6));
        pu->supply_end = hf_arena_strdup(a, hf_pg_str(res, i, 7));
        pu->nth = (int32_t)hf_pg_int(res, i, 8);
        pu->plan = hf_arena_strdup(a, hf_pg_str(res, i, 9));
        pu->days_of_supply = (int32_t)hf_pg_int(res, i, 10);
        ctx->purchases[ctx->n_purchases++] = pu;
    }
    PQclear(res);
    char tid[24];
    const char *ph[] = {cid, hf_pg_i64(tid, t->id)};
    res = hf_store_exec(st,
                        "SELECT " TASK_COLUMNS TASK_FROM " WHERE t.customer_id = $1 AND t.id <> $2"
                        " AND (t.state = 'done' OR t.attempts > 0) ORDER BY t.updated_at_ms DESC LIMIT 20",
                        2, ph);
    if (res == NULL)
        return -1;
    n = PQntuples(res);
    ctx->history = hf_new_array(a, Huifang__V1__Task *, n);
    for (int i = 0; i < n; i++)
        ctx->history[ctx->n_history++] = s_task_from_row(res, i, a);
    PQclear(res);
    return 0;
}

static int claim_next_task(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                           hf_arena_t *a)
{
    (void)self;
    char tz[64], windows[128];
    int rc;
    const char *agent =
        req->task_next->agent && *req->task_next->agent ? req->task_next->agent : req->actor;
    if ((rc = s_need_branch(svc, req, tz, windows, rep, a)) != HF_OK ||
        (rc = s_need_agent(svc, req, agent, rep, a)) != HF_OK)
        return rc;
    hf_store_t *st = hf_service_store(svc);
    /* a task the agent already holds comes back first: a crashed client loses nothing */
    const char *p[] = {req->branch, agent};
    PGresult *res = hf_store_exec(st,
                                  "SELECT " TASK_COLUMNS TASK_FROM " WHERE t.branch = $1 AND"
                                  " t.agent = $2 AND t.state IN ('claimed', 'assigned')"
                                  " ORDER BY t.state = 'claimed' DESC, t.priority DESC,"
                                  " t.due_at_ms, t.id LIMIT 1 FOR UPDATE OF t SKIP LOCKED",
                                  2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return hf_fail(rep, a, HF_NOT_FOUND, "agent", "no task waiting for agent %s", agent);
    }
    Huifang__V1__Task *t = s_task_from_row(res, 0, a);
    PQclear(res);
    if (strcmp(t->state, "assigned") == 0) {
        char id[24], at[24];
        const char *pu[] = {hf_pg_i64(id, t->id), hf_pg_i64(at, hf_clock_now_ms())};
        if (hf_store_run(st,
                         "UPDATE task SET state = 'claimed', claims = claims + 1,"
                         " updated_at_ms = $2 WHERE id = $1 AND state = 'assigned'",
                         2, pu) != 0)
            return HF_UNAVAILABLE;
        t->state = "claimed";
        t->claims++;
        if (s_emit_task(svc, HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_CLAIMED, t) != 0)
            return HF_UNAVAILABLE;
    }
    Huifang__V1__TaskContext *ctx = hf_new(a, Huifang__V1__TaskContext);
    huifang__v1__task_context__init(ctx);
    if (s_task_context(st, t, ctx, a) != 0)
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_TASK;
    rep->task = ctx;
    return HF_OK;
}

static int show_task(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                     hf_arena_t *a)
{
    (void)self;
    bool err;
    hf_store_t *st = hf_service_store(svc);
    Huifang__V1__Task *t = s_load_task(st, req->task_show->id, false, a, &err);
    if (t == NULL)
        return err ? HF_UNAVAILABLE
                   : hf_fail(rep, a, HF_NOT_FOUND, "id", "no task %lld", (long long)req->task_show->id);
    if (req->branch && *req->branch && strcmp(req->branch, t->branch) != 0)
        return hf_fail(rep, a, HF_NOT_FOUND, "id", "no task %lld in branch %s",
                       (long long)req->task_show->id, req->branch);
    Huifang__V1__TaskContext *ctx = hf_new(a, Huifang__V1__TaskContext);
    huifang__v1__task_context__init(ctx);
    if (s_task_context(st, t, ctx, a) != 0)
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_TASK;
    rep->task = ctx;
    return HF_OK;
}

static int get_queue_stats(hf_service_t *svc, void *selfp, const hf_request_t *req,
                           hf_reply_t *rep, hf_arena_t *a)
{
    scheduler_t *self = selfp;
    (void)req;
    PGresult *res = hf_store_exec(hf_service_store(svc),
                                  "SELECT b.code, (SELECT count(*) FROM task t WHERE t.branch = b.code"
                                  " AND t.state = 'planned') FROM branch b ORDER BY b.code",
                                  0, NULL);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__QueueStatsResult *r = hf_new(a, Huifang__V1__QueueStatsResult);
    huifang__v1__queue_stats_result__init(r);
    int n = PQntuples(res);
    r->branches = hf_new_array(a, Huifang__V1__QueueBranchStats *, n);
    int64_t now = hf_clock_now_ms();
    for (int i = 0; i < n; i++) {
        Huifang__V1__QueueBranchStats *b = hf_new(a, Huifang__V1__QueueBranchStats);
        huifang__v1__queue_branch_stats__init(b);
        b->branch = hf_arena_strdup(a, hf_pg_str(res, i, 0));
        b->planned = hf_pg_int(res, i, 1);
        int64_t due = 0, leased = 0, overdue = 0, queued = 0;
        if (hf_queue_stats(self->queue, b->branch, now, 24 * 3600 * 1000LL, &due, &leased,
                           &overdue, &queued) != 0) {
            PQclear(res);
            return hf_fail(rep, a, HF_UNAVAILABLE, NULL, "the due-index (Redis) is unavailable: %s",
                           hf_queue_error(self->queue));
        }
        b->due = due;
        b->leased = leased;
        b->overdue = overdue;
        r->branches[r->n_branches++] = b;
    }
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_QUEUE_STATS;
    rep->queue_stats = r;
    return HF_OK;
}

static int rebuild_queue(hf_service_t *svc, void *selfp, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a)
{
    scheduler_t *self = selfp;
    hf_store_t *st = hf_service_store(svc);
    const char *branch = req->branch && *req->branch ? req->branch : NULL;
    if (branch && hf_queue_clear(self->queue, branch) != 0)
        return hf_fail(rep, a, HF_UNAVAILABLE, NULL, "the due-index (Redis) is unavailable: %s",
                       hf_queue_error(self->queue));
    const char *p[] = {branch};
    /* mark, and let the index timer put them back in batches after this commits */
    if (hf_store_run(st,
                     "UPDATE task SET indexed = false WHERE state = 'planned'"
                     " AND ($1::text IS NULL OR branch = $1)",
                     1, p) != 0)
        return HF_UNAVAILABLE;
    return get_queue_stats(svc, selfp, req, rep, a);
}

static int list_plans(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                      hf_arena_t *a)
{
    (void)self;
    const char *code = req->command_case == HUIFANG__V1__REQUEST__COMMAND_PLAN_SHOW
                           ? S(req->plan_show->code)
                           : NULL;
    const char *p[] = {S(req->branch), code};
    PGresult *res = hf_store_exec(
        hf_service_store(svc),
        "SELECT t.code, t.name, s.step_no, s.anchor, s.offset_days, s.window_days, s.repeat_days,"
        " s.purpose, s.channel, s.role FROM plan_template t LEFT JOIN plan_step s"
        " ON s.branch = t.branch AND s.template = t.code"
        " WHERE t.branch = (SELECT max(branch) FROM plan_template x WHERE x.code = t.code AND"
        " x.branch IN ($1, '')) AND ($2::text IS NULL OR t.code = $2)"
        " ORDER BY t.code, s.step_no",
        2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__PlanTemplates *r = hf_new(a, Huifang__V1__PlanTemplates);
    huifang__v1__plan_templates__init(r);
    int n = PQntuples(res);
    r->templates = hf_new_array(a, Huifang__V1__PlanTemplate *, n);
    Huifang__V1__PlanTemplate *cur = NULL;
    for (int i = 0; i < n; i++) {
        if (cur == NULL || strcmp(cur->code, hf_pg_str(res, i, 0)) != 0) {
            cur = hf_new(a, Huifang__V1__PlanTemplate);
            huifang__v1__plan_template__init(cur);
            cur->code = hf_arena_strdup(a, hf_pg_str(res, i, 0));
            cur->name = hf_arena_strdup(a, hf_pg_str(res, i, 1));
            cur->steps = hf_new_array(a, Huifang__V1__PlanStep *, n);
            r->templates[r->n_templates++] = cur;
        }
        if (PQgetisnull(res, i, 2))
            continue;
        Huifang__V1__PlanStep *s = hf_new(a, Huifang__V1__PlanStep);
        huifang__v1__plan_step__init(s);
        s->step_no = (int32_t)hf_pg_int(res, i, 2);
        s->anchor = hf_arena_strdup(a, hf_pg_str(res, i, 3));
        s->offset_days = (int32_t)hf_pg_int(res, i, 4);
        s->window_days = (int32_t)hf_pg_int(res, i, 5);
        s->repeat_days = (int32_t)hf_pg_int(res, i, 6);
        s->purpose = hf_arena_strdup(a, hf_pg_str(res, i, 7));
        s->channel = hf_arena_strdup(a, hf_pg_str(res, i, 8));
        s->role = hf_arena_strdup(a, hf_pg_str(res, i, 9));
        cur->steps[cur->n_steps++] = s;
    }
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_PLANS;
    rep->plans = r;
    if (code && r->n_templates == 0)
        return hf_fail(rep, a, HF_NOT_FOUND, "template", "no plan template %s", code);
    return HF_OK;
}

static const hf_command_t s_commands[] = {
    {HUIFANG__V1__REQUEST__COMMAND_WORKLIST_GET, get_worklist, false},
    {HUIFANG__V1__REQUEST__COMMAND_TASK_NEXT, claim_next_task, true},
    {HUIFANG__V1__REQUEST__COMMAND_TASK_SHOW, show_task, false},
    {HUIFANG__V1__REQUEST__COMMAND_QUEUE_STATS, get_queue_stats, false},
    {HUIFANG__V1__REQUEST__COMMAND_QUEUE_REBUILD, rebuild_queue, true},
    {HUIFANG__V1__REQUEST__COMMAND_PLAN_LIST, list_plans, false},
    {HUIFANG__V1__REQUEST__COMMAND_PLAN_SHOW, list_plans, false},
    {0, NULL, false}};

static const hf_config_entry_t s_config[] = {
    {"claim_batch", "HUIFANG_SCHEDULER_CLAIM_BATCH", NULL, "200", HF_CFG_INT, 1, 10000, false,
     "due tasks claimed from Redis per branch per round"},
    {"lease_ms", "HUIFANG_SCHEDULER_LEASE_MS", NULL, "30000", HF_CFG_INT, 1000, 3600000, false,
     "how long a claimed task stays leased before the reaper returns it"},
    {"max_attempts", "HUIFANG_SCHEDULER_MAX_ATTEMPTS", NULL, "3", HF_CFG_INT, 1, 20, false,
     "unanswered attempts before a card is screened out"},
    {"tick_ms", "HUIFANG_SCHEDULER_TICK_MS", NULL, "200", HF_CFG_INT, 10, 60000, false,
     "how often due tasks are indexed and assigned"},
    HF_CONFIG_END};

const hf_service_def_t scheduler_def = {
    .name = "scheduler",
    .summary = "follow-up plans, due-queues and every agent's date bag",
    .config = s_config,
    .migrations = scheduler_migrations,
    .commands = s_commands,
};

/* ---- timers: the due-index and the date bag ---- */

int scheduler_index(hf_service_t *svc, void *selfp)
{
    scheduler_t *self = selfp;
    hf_store_t *st = hf_service_store(svc);
    bool epoch_ok = false;
    if (hf_queue_epoch_ok(self->queue, &epoch_ok) != 0) {
        if (self->queue_ok)
            hf_warn("redis_unavailable", "reason=\"%s\"", hf_queue_error(self->queue));
        self->queue_ok = false;
        return -1;
    }
    if (!self->queue_ok)
        hf_info("redis_available", "%s", "");
    self->queue_ok = true;
    if (!epoch_ok) {
        /* Redis is new, flushed or replaced: everything planned goes back in */
        if (hf_store_run(st, "UPDATE task SET indexed = false WHERE state = 'planned' AND indexed",
                         0, NULL) != 0)
            return -1;
        if (hf_queue_mark_epoch(self->queue) != 0)
            return -1;
        hf_info("index_rebuild", "reason=%s", "redis epoch missing");
    }
    int total = 0;
    for (int round = 0; round < 20; round++) {
        if (hf_store_begin(st) != 0)
            return -1;
        PGresult *res = hf_store_exec(st,
                                      "SELECT id, branch, due_at_ms FROM task WHERE state = 'planned'"
                                      " AND NOT indexed ORDER BY branch LIMIT 1000"
                                      " FOR UPDATE SKIP LOCKED",
                                      0, NULL);
        if (res == NULL) {
            hf_store_rollback(st);
            return -1;
        }
        int n = PQntuples(res);
        int rc = 0;
        for (int i = 0; i < n && rc == 0;) {
            /* one pipelined put per run of the same branch */
            int j = i;
            int64_t ids[1000], dues[1000];
            const char *branch = hf_pg_str(res, i, 1);
            while (j < n && strcmp(hf_pg_str(res, j, 1), branch) == 0) {
                ids[j - i] = hf_pg_int(res, j, 0);
                dues[j - i] = hf_pg_int(res, j, 2);
                j++;
            }
            rc = hf_queue_put_many(self->queue, branch, ids, dues, j - i);
            i = j;
        }
        if (rc == 0 && n > 0)
            rc = hf_store_run(st,
                              "UPDATE task SET indexed = true WHERE id IN (SELECT id FROM task"
                              " WHERE state = 'planned' AND NOT indexed ORDER BY branch LIMIT 1000"
                              " FOR UPDATE SKIP LOCKED)",
                              0, NULL);
        PQclear(res);
        if (rc != 0) {
            hf_store_rollback(st);
            return -1;
        }
        if (hf_store_commit(st) != 0)
            return -1;
        total += n;
        if (n < 1000)
            break;
    }
    return total;
}

/* Assigns one claimed task inside its own transaction. Returns 0 (assigned, postponed or
 * dropped) or -1 (store trouble: the lease will return the task). */
static int s_assign_one(hf_service_t *svc, const char *branch, int64_t id,
                        const char *tz, const char *windows, int64_t now, hf_arena_t *a)
{
    hf_store_t *st = hf_service_store(svc);
    bool err;
    if (hf_store_begin(st) != 0)
        return -1;
    Huifang__V1__Task *t = s_load_task(st, id, true, a, &err);
    if (t == NULL || strcmp(t->state, "planned") != 0) {
        /* cancelled, assigned by another instance, or gone: the index entry is stale */
        hf_store_rollback(st);
        return err ? -1 : 0;
    }
    char idtxt[24], at[24], due[24];
    hf_pg_i64(idtxt, id);
    hf_pg_i64(at, now);
    int32_t today = hf_time_local_day(now, tz);
    char cid[24];
    const char *pc[] = {hf_pg_i64(cid, t->customer_id)};
    PGresult *res = hf_store_exec(st, "SELECT opted_out, coalesce(dnd_until::text, '') FROM customer"
                                      " WHERE id = $1", 1, pc);
    if (res == NULL) {
        hf_store_rollback(st);
        return -1;
    }
    bool opted_out = PQntuples(res) && hf_pg_bool(res, 0, 0);
    int32_t dnd = -1;
    if (PQntuples(res) && *hf_pg_str(res, 0, 1))
        hf_date_parse(hf_pg_str(res, 0, 1), &dnd);
    PQclear(res);
    int rc = 0;
    if (opted_out) {
        const char *p[] = {idtxt, at};
        rc = hf_store_run(st, "UPDATE task SET state = 'cancelled', outcome = 'opted-out',"
                              " updated_at_ms = $2 WHERE id = $1 AND state = 'planned'", 2, p);
        goto finish;
    }
    if (dnd >= today) {
        /* do not disturb: postpone to the first window after the period */
        int64_t next = sched_day_start(dnd + 1, windows, tz);
        const char *p[] = {idtxt, hf_pg_i64(due, next), at};
        rc = hf_store_run(st, "UPDATE task SET due_at_ms = $2, indexed = false, updated_at_ms = $3"
                              " WHERE id = $1 AND state = 'planned'", 3, p);
        goto finish;
    }
    bool visit = strcmp(t->channel, "visit") == 0;
    char day[11];
    hf_date_format(today, day);
    const char *pa[] = {branch, t->role, t->region, day, visit ? "visit" : "call"};
    /* an agent of the task's role: one covering the customer's region first, then one
     * covering the whole branch; the least loaded today first */
    res = hf_store_exec(st,
                        "SELECT a.id FROM agent a LEFT JOIN agent_day d ON d.branch = a.branch"
                        " AND d.agent = a.id AND d.day = $4"
                        " WHERE a.branch = $1 AND a.active AND a.role = $2"
                        " AND ($3 = ANY (a.regions) OR cardinality(a.regions) = 0 OR $3 = '')"
                        " AND CASE WHEN $5 = 'visit' THEN coalesce(d.visits, 0) < a.daily_visits"
                        "          ELSE coalesce(d.calls, 0) < a.daily_calls END"
                        " ORDER BY ($3 = ANY (a.regions)) DESC,"
                        " coalesce(d.calls, 0) + coalesce(d.visits, 0), a.id",
                        5, pa);
    if (res == NULL) {
        hf_store_rollback(st);
        return -1;
    }
    const char *agent = NULL;
    for (int i = 0; i < PQntuples(res) && agent == NULL; i++) {
        /* the capacity guard: the increment happens only while under the cap, so two
         * instances racing for the last slot cannot both win it */
        const char *cand = hf_pg_str(res, i, 0);
        const char *pd[] = {branch, cand, day, visit ? "0" : "1", visit ? "1" : "0"};
        PGresult *r2 = hf_store_exec(
            st,
            "INSERT INTO agent_day AS d (branch, agent, day, calls, visits)"
            " SELECT $1, $2, $3, $4, $5 FROM agent a WHERE a.branch = $1 AND a.id = $2"
            " AND (($4 = 1 AND a.daily_calls > 0) OR ($5 = 1 AND a.daily_visits > 0))"
            " ON CONFLICT (branch, agent, day) DO UPDATE SET calls = d.calls + EXCLUDED.calls,"
            " visits = d.visits + EXCLUDED.visits"
            " WHERE (EXCLUDED.calls = 0 OR d.calls < (SELECT daily_calls FROM agent WHERE branch = $1 AND id = $2))"
            " AND (EXCLUDED.visits = 0 OR d.visits < (SELECT daily_visits FROM agent WHERE branch = $1 AND id = $2))"
            " RETURNING 1",
            5, pd);
        if (r2 == NULL) {
            PQclear(res);
            hf_store_rollback(st);
            return -1;
        }
        if (PQntuples(r2))
            agent = hf_arena_strdup(a, cand);
        PQclear(r2);
    }
    PQclear(res);
    if (agent == NULL) {
        /* nobody has room today: roll over to the next day, a little more urgent */
        int64_t next = sched_day_start(today + 1, windows, tz);
        const char *p[] = {idtxt, hf_pg_i64(due, next), at};
        rc = hf_store_run(st, "UPDATE task SET due_at_ms = $2, priority = priority + 1,"
                              " indexed = false, updated_at_ms = $3 WHERE id = $1 AND state = 'planned'",
                          3, p);
        goto finish;
    }
    const char *pu[] = {idtxt, agent, day, at};
    res = hf_store_exec(st,
                        "UPDATE task SET state = 'assigned', agent = $2, bag_date = $3,"
                        " updated_at_ms = $4 WHERE id = $1 AND state = 'planned' RETURNING id",
                        4, pu);
    if (res == NULL) {
        hf_store_rollback(st);
        return -1;
    }
    int updated = PQntuples(res);
    PQclear(res);
    if (updated) {
        t->state = "assigned";
        t->agent = (char *)agent;
        t->bag_date = day;
        rc = s_emit_task(svc, HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_ASSIGNED, t);
    }
finish:
    if (rc != 0) {
        hf_store_rollback(st);
        return -1;
    }
    return hf_store_commit(st);
}

int scheduler_assign(hf_service_t *svc, void *selfp)
{
    scheduler_t *self = selfp;
    if (!self->queue_ok)
        return 0;
    hf_store_t *st = hf_service_store(svc);
    PGresult *branches = hf_store_exec(st, "SELECT code, tz, windows FROM branch ORDER BY code", 0, NULL);
    if (branches == NULL)
        return -1;
    int64_t now = hf_clock_now_ms();
    int total = 0;
    hf_arena_t *a = hf_arena_new();
    int64_t *ids = malloc(sizeof(int64_t) * (size_t)self->claim_batch);
    for (int b = 0; b < PQntuples(branches); b++) {
        const char *branch = hf_pg_str(branches, b, 0);
        const char *tz = hf_pg_str(branches, b, 1);
        const char *windows = hf_pg_str(branches, b, 2);
        int reaped = 0, n = 0;
        if (hf_queue_reap(self->queue, branch, now, &reaped) != 0 ||
            hf_queue_claim(self->queue, branch, now, self->lease_ms, self->claim_batch, ids, NULL,
                           &n) != 0) {
            hf_warn("redis_unavailable", "branch=%s reason=\"%s\"", branch, hf_queue_error(self->queue));
            self->queue_ok = false;
            break;
        }
        for (int i = 0; i < n; i++) {
            if (s_assign_one(svc, branch, ids[i], tz, windows, now, a) == 0)
                hf_queue_ack(self->queue, branch, ids[i]);
            hf_arena_reset(a);
        }
        total += n;
    }
    free(ids);
    hf_arena_destroy(&a);
    PQclear(branches);
    if (total)
        scheduler_index(svc, self);  /* put postponed tasks back without waiting a tick */
    return total;
}

/* ---- life cycle ---- */

void scheduler_init(scheduler_t *self, hf_service_t *svc)
{
    const hf_config_t *cfg = hf_service_config_of(svc);
    self->queue = hf_queue_new(hf_config_str(cfg, "redis_url"), "task");
    self->claim_batch = (int)hf_config_int(cfg, "claim_batch");
    self->lease_ms = (int)hf_config_int(cfg, "lease_ms");
    self->max_attempts = (int)hf_config_int(cfg, "max_attempts");
    if (hf_queue_connect(self->queue) != 0)
        hf_warn("redis_unavailable", "reason=\"%s\" note=\"assignment waits for Redis\"",
                hf_queue_error(self->queue));
}

void scheduler_release(scheduler_t *self)
{
    hf_queue_destroy(&self->queue);
}

static int s_tick(hf_service_t *svc, void *self)
{
    scheduler_index(svc, self);
    scheduler_assign(svc, self);
    return 0;
}

int scheduler_attach(scheduler_t *self, hf_service_t *svc)
{
    (void)self;
    const hf_config_t *cfg = hf_service_config_of(svc);
    if (hf_service_subscribe(svc, "intake", scheduler_intake_events) != 0 ||
        hf_service_subscribe(svc, "calllog", scheduler_calllog_events) != 0 ||
        hf_service_every(svc, (int)hf_config_int(cfg, "tick_ms"), s_tick) != 0)
        return -1;
    return 0;
}
