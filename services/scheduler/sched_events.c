/* sched_events: what other services' events do to plans and tasks. Every handler runs in the
 * transaction that also records the producer's sequence, so each event takes effect once;
 * every change of a task's state is still guarded (WHERE state = ...), so an event that
 * arrives after the task moved on changes nothing.
 *
 *   intake     branch, agent, lead (a lead without a purchase names its conversion plan,
 *              which replaces an earlier one), purchase (starts the plan, archives the
 *              customer's earlier ones, a conversion plan among them), customer updated (the copy,
 * its call windows; void or opted out cancels), opted out (cancels everything), do-not-disturb
 * (postpones to the day after), customers merged (moves tasks) calllog    call logged: the contact
 * note; retry, screen out, cancel, call back, send a doctor after an adverse reaction; the last
 * home visit of a member complaint  opened (holds sales steps), resolved (releases them), return
 * approved (cancels what is left of the purchase's plan) */
#include "scheduler_internal.h"
#include "scheduler_sql.h"

#define MAX_STEPS 32
#define MAX_LAYOUT 256
/* The longest flexible window a step may have, in days (plan step validation says so too). */
#define MAX_FLEX_DAYS 60

/* ---------------------------------------------------------------------------------------
 * Plans
 * ------------------------------------------------------------------------------------- */

/* Reads a template's steps, the branch's own version first, else the default. Returns the
 * count (0 for an unknown template) or -1. */
int sched_load_steps(hf_store_t *st, const char *branch, const char *template, sched_step_t *steps,
                     int max)
{
    const char *p[] = {template, branch};
    PGresult *res = hf_store_query(st, &SCHED_Q_LOAD_STEPS, 2, p);
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

/* The planned load of a window, as last counted, kept for a moment (see s_flex_offset). */
#define FLEX_CACHE 16
#define FLEX_CACHE_MS 2000
typedef struct {
    char branch[32];
    char role[32];
    int32_t day;
    int window;
    int64_t counted_ms; /* monotonic ms of the count, 0 for an empty slot */
    int n;
    int load[MAX_FLEX_DAYS + 1];
    int cap; /* what the role's active agents can take a day (0: none known) */
} s_flex_load_t;
static s_flex_load_t s_flex_loads[FLEX_CACHE];

/* While true, a kept count is used however old (sched_flex_hold). */
static bool s_flex_held;

void sched_flex_hold(bool on)
{
    s_flex_held = on;
}

/* The kept count of a window, or NULL (*oldest: the slot to reuse then). */
static s_flex_load_t *s_flex_slot(const char *branch, const char *role, int32_t day, int window,
                                  s_flex_load_t **oldest)
{
    *oldest = &s_flex_loads[0];
    for (int i = 0; i < FLEX_CACHE; i++) {
        s_flex_load_t *f = &s_flex_loads[i];
        if (f->counted_ms > 0 && f->day == day && f->window == window &&
            strcmp(f->branch, branch) == 0 && strcmp(f->role, role) == 0)
            return f;
        if (f->counted_ms < (*oldest)->counted_ms)
            *oldest = f;
    }
    return NULL;
}

bool sched_flex_kept(const char *branch, const char *role, int32_t day, int window)
{
    if (window > MAX_FLEX_DAYS)
        window = MAX_FLEX_DAYS;
    s_flex_load_t *oldest = NULL;
    s_flex_load_t *slot = s_flex_slot(branch, role, day, window, &oldest);
    return slot != NULL && hf_clock_mono_ms() - slot->counted_ms < FLEX_CACHE_MS;
}

/* For a flexible step (day .. day + window): the offset of the day in its window where the
 * branch has the fewest planned tasks for the role, so the steps land where room is free
 * (days ahead hold planned tasks; today's assigned ones are not counted).
 *
 * Counting is the store's work, and an import of 30,000 leads plans 30,000 steps in one
 * window: counted afresh for each, the counts would read every task planned so far, a
 * quadratic cost (minutes). So a window's count is kept for FLEX_CACHE_MS of real time and
 * the steps placed meanwhile are added to it; then it is counted again. A count kept a
 * moment too long (a rolled-back event, another instance's steps, a task assigned
 * meanwhile) only nudges a balance, and the next count corrects it. */
int sched_flex_offset(hf_store_t *st, const char *branch, const char *role, int32_t day, int window,
                      const char *tz)
{
    if (window > MAX_FLEX_DAYS)
        window = MAX_FLEX_DAYS;
    int64_t now = hf_clock_mono_ms();
    s_flex_load_t *oldest = NULL;
    s_flex_load_t *slot = s_flex_slot(branch, role, day, window, &oldest);
    if (slot == NULL || (!s_flex_held && now - slot->counted_ms >= FLEX_CACHE_MS)) {
        if (slot == NULL)
            slot = oldest;
        slot->counted_ms = 0;
        char w[16], from[24];
        const char *p[] = {branch, role, hf_pg_i64(w, window),
                           hf_pg_i64(from, hf_time_from_local(day, 0, tz))};
        /* days are counted as 24 h from local midnight: exact for zones without daylight
         * saving (China) and off by an hour on two days a year elsewhere, which only nudges a
         * balance */
        PGresult *res = hf_store_query(st, &SCHED_Q_FLEX_OFFSET_GENERATE_SERIES, 4, p);
        if (res == NULL)
            return -1;
        int n = PQntuples(res) <= MAX_FLEX_DAYS + 1 ? PQntuples(res) : MAX_FLEX_DAYS + 1;
        for (int i = 0; i < n; i++)
            slot->load[i] = (int)hf_pg_int(res, i, 1);
        PQclear(res);
        const char *pc[] = {branch, role};
        res = hf_store_query(st, &SCHED_Q_FLEX_OFFSET_AGENT, 2, pc);
        if (res == NULL)
            return -1;
        slot->cap = (int)hf_pg_int(res, 0, 0);
        PQclear(res);
        snprintf(slot->branch, sizeof slot->branch, "%s", branch);
        snprintf(slot->role, sizeof slot->role, "%s", role);
        slot->day = day;
        slot->window = window;
        slot->n = n;
        slot->counted_ms = now > 0 ? now : 1;
    }
    if (slot->n <= 0)
        return 0;
    int off = sched_flex_pick_within(slot->load, slot->n, slot->cap);
    slot->load[off]++;
    return off;
}

/* Archives (or for a lead's plan, replaces) the customer's earlier active plans: their open
 * steps are cancelled and their date-bag room given back. */
int sched_end_earlier_plans(hf_service_t *svc, int64_t customer_id, int64_t plan_id, bool lead)
{
    hf_store_t *st = hf_service_store(svc);
    char cid[24], pid[24], at[24];
    const char *p[] = {hf_pg_i64(cid, customer_id), hf_pg_i64(pid, plan_id),
                       hf_pg_i64(at, hf_clock_now_ms()), lead ? "t" : "f"};
    /* a purchase ends every earlier plan (one form per purchase: the new form takes over),
     * a lead's conversion plan among them: the customer bought, the product's plan follows.
     * A lead's plan replaces an earlier conversion plan (a plan without a purchase, whatever
     * its template: a consultation after a counter form is one customer to convert, not
     * two plans calling them), never a purchase's plan */
    PGresult *res = hf_store_query(st, &SCHED_Q_END_EARLIER_PLANS_PLAN_UPDATE, 4, p);
    if (res == NULL)
        return -1;
    int rc = 0;
    if (PQntuples(res) > 0) {
        int64_t *ids = malloc(sizeof(int64_t) * (size_t)PQntuples(res));
        hf_arena_t *a = hf_arena_new();
        if (ids == NULL)
            rc = -1;
        for (int i = 0; rc == 0 && i < PQntuples(res); i++)
            ids[i] = hf_pg_int(res, i, 0);
        if (rc == 0) {
            const char *plans = sched_int_array_a(a, ids, (size_t)PQntuples(res));
            const char *pq[] = {plans, cid};
            PGresult *r2 = hf_store_query(st, &SCHED_Q_END_EARLIER_PLANS_TASK, 2, pq);
            if (r2 == NULL) {
                rc = -1;
            } else {
                const char *tasks = hf_arena_strdup(a, hf_pg_str(r2, 0, 0));
                PQclear(r2);
                const char *pc[] = {tasks, at, lead ? "replaced" : "repurchased"};
                if (sched_release_room(st, tasks) != 0 ||
                    sched_task_move(st, "planned, assigned, paused", "cancelled",
                                    &(sched_move_t){.set = "outcome = $3, updated_at_ms = $2",
                                                    .where = SCHED_WHERE_IDS,
                                                    .keyed = true},
                                    3, pc) < 0)
                    rc = -1;
            }
        }
        if (rc == 0)
            rc = sched_emit_plans_ended(svc, res, "archived", lead ? "replaced" : "repurchased");
        free(ids);
        hf_arena_destroy(&a);
    }
    PQclear(res);
    return rc;
}

/* Step 1 of sched_start_plan: the template's steps into steps (MAX_STEPS); a purchase whose
 * template is not known falls back to monthly-course (*template says so then). Returns the
 * number of steps; 0 when a lead's conversion plan is not known (nothing starts); -1 on a
 * store error; -2 when not even the fallback has steps. */
static int s_plan_steps(hf_store_t *st, const char *branch, const char **template,
                        int64_t customer_id, int64_t purchase_id, sched_step_t *steps)
{
    int nsteps = sched_load_steps(st, branch, *template, steps, MAX_STEPS);
    if (nsteps < 0)
        return -1;
    if (nsteps == 0 && purchase_id <= 0) {
        /* a lead's plan is a conversion plan: a purchase's template is no stand-in for it
         * (intake refuses a plan it does not know; one deleted meanwhile lands here) */
        hf_warn("unknown_template", "template=%s customer=%lld lead=1 plan=none", *template,
                (long long)customer_id);
        return 0;
    }
    if (nsteps == 0) {
        hf_warn("unknown_template", "template=%s customer=%lld fallback=monthly-course", *template,
                (long long)customer_id);
        *template = "monthly-course";
        if ((nsteps = sched_load_steps(st, branch, *template, steps, MAX_STEPS)) <= 0)
            return nsteps < 0 ? -1 : -2;
    }
    return nsteps;
}

/* Step 3 of sched_start_plan: the task of one entry of the layout, written (cancelled at
 * once for a customer who opted out); the task for plan_started (arena memory), or NULL on
 * a store error. */
static Huifang__V1__Task *s_plan_task(hf_store_t *st, const char *branch, const sched_branch_t *b,
                                      int64_t plan_id, int64_t customer_id, int64_t purchase_id,
                                      const sched_due_t *due, const char *windows, bool opted_out,
                                      const char *at, hf_arena_t *a)
{
    char plantxt[24], cid[24], pid[24];
    hf_pg_i64(plantxt, plan_id);
    hf_pg_i64(cid, customer_id);
    hf_pg_i64(pid, purchase_id);
    const sched_step_t *s = due->step;
    int32_t day = due->day;
    int64_t latest = 0;
    if (due->window_days > 0) {
        int off = sched_flex_offset(st, branch, s->role, day, due->window_days, b->tz);
        if (off < 0)
            return NULL;
        latest = sched_day_start(day + due->window_days, windows, b->tz);
        day += off;
    }
    int64_t due_at = sched_day_start(day, windows, b->tz);
    int prio = sched_priority(s->purpose);
    char step[16], occ[16], dueat[24], prio_t[16], win[16], lat[24];
    const char *pt[] = {branch,
                        plantxt,
                        cid,
                        purchase_id > 0 ? pid : "0",
                        hf_pg_i64(step, s->step_no),
                        hf_pg_i64(occ, due->occurrence),
                        s->purpose,
                        s->channel,
                        s->role,
                        hf_pg_i64(dueat, due_at),
                        hf_pg_i64(prio_t, prio),
                        hf_pg_i64(win, due->window_days),
                        opted_out ? "cancelled" : "planned",
                        at,
                        hf_pg_i64(lat, latest)};
    PGresult *res = hf_store_query(st, &SCHED_Q_START_PLAN_TASK_INSERT, 15, pt);
    if (res == NULL)
        return NULL;
    Huifang__V1__Task *t = hf_new(a, Huifang__V1__Task);
    huifang__v1__task__init(t);
    t->id = hf_pg_int(res, 0, 0);
    PQclear(res);
    t->branch = (char *)branch;
    t->customer_id = customer_id;
    t->purchase_id = purchase_id;
    t->plan_id = plan_id;
    t->step_no = s->step_no;
    t->purpose = hf_arena_strdup(a, s->purpose);
    t->channel = hf_arena_strdup(a, s->channel);
    t->role = hf_arena_strdup(a, s->role);
    t->due_at_ms = due_at;
    t->state = opted_out ? "cancelled" : "planned";
    t->priority = prio;
    t->origin = "plan";
    t->latest_at_ms = latest;
    t->windows = hf_arena_strdup(a, windows);
    return t;
}

int sched_start_plan(hf_service_t *svc, const char *branch, int64_t customer_id,
                     int64_t purchase_id, const char *lead_key, const char *template,
                     int32_t anchor_day, int32_t supply_end, const Huifang__V1__Customer *c,
                     hf_arena_t *a)
{
    hf_store_t *st = hf_service_store(svc);
    sched_branch_t b;
    bool missing;
    if (sched_branch_get(st, branch, &b, &missing) != 0)
        return missing ? -2 : -1;
    int32_t rday = -1;
    if (c && c->ref_date && *c->ref_date)
        hf_date_parse(c->ref_date, &rday);
    /* 1. the template's steps */
    sched_step_t steps[MAX_STEPS];
    int nsteps = s_plan_steps(st, branch, &template, customer_id, purchase_id, steps);
    if (nsteps <= 0)
        return nsteps;
    char pid[24], cid[24], at[24], endtxt[11];
    int64_t now = hf_clock_now_ms();
    hf_date_format(supply_end, endtxt);
    hf_pg_i64(cid, customer_id);
    hf_pg_i64(pid, purchase_id);
    hf_pg_i64(at, now);
    /* 2. the plan, once; the customer's earlier plans end */
    const char *pp[] = {branch, cid, purchase_id > 0 ? pid : NULL, template, endtxt, at, lead_key};
    /* the UNIQUE purchase_id (or lead_key) makes a second delivery of the same event a no-op */
    PGresult *res = hf_store_query(st, &SCHED_Q_START_PLAN_PLAN_INSERT, 7, pp);
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return 0; /* planned before */
    }
    int64_t plan_id = hf_pg_int(res, 0, 0);
    PQclear(res);
    if (sched_end_earlier_plans(svc, customer_id, plan_id, purchase_id <= 0) != 0)
        return -1;

    /* the customer's windows: from the event when it carries them, else the copy */
    char windows[256];
    if (c)
        sched_windows_effective(b.windows, S(c->windows), windows, sizeof windows);
    else if (sched_customer_windows(st, customer_id, b.windows, windows, sizeof windows) != 0)
        return -1;
    bool opted_out = c && c->opted_out;

    /* 3. its tasks, laid out from the steps and written one by one */
    sched_due_t due[MAX_LAYOUT];
    int n = sched_plan_layout(steps, nsteps, anchor_day, supply_end, rday, due, MAX_LAYOUT);
    Huifang__V1__PlanStarted *ps = hf_new(a, Huifang__V1__PlanStarted);
    huifang__v1__plan_started__init(ps);
    ps->plan_id = plan_id;
    ps->purchase_id = purchase_id;
    ps->customer_id = customer_id;
    ps->template_ = hf_arena_strdup(a, template);
    ps->tasks = hf_new_array(a, Huifang__V1__Task *, n);
    for (int i = 0; i < n; i++) {
        Huifang__V1__Task *t = s_plan_task(st, branch, &b, plan_id, customer_id, purchase_id,
                                           &due[i], windows, opted_out, at, a);
        if (t == NULL)
            return -1;
        ps->tasks[ps->n_tasks++] = t;
    }
    /* 4. plan_started, with every task */
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = (char *)branch;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_PLAN_STARTED;
    env.plan_started = ps;
    if (hf_service_emit(svc, &env) != 0)
        return -1;
    hf_info("plan_started", "plan=%lld purchase=%lld customer=%lld template=%s tasks=%d",
            (long long)plan_id, (long long)purchase_id, (long long)customer_id, template, n);
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * intake
 * ------------------------------------------------------------------------------------- */

static int sched_on_agent_upserted(hf_service_t *svc, void *self, const hf_envelope_t *env,
                                   hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__Agent *ag = env->agent_upserted->agent;
    if (ag == NULL || ag->id == NULL || *ag->id == '\0')
        return -2;
    char calls[24], visits[24];
    const char *regions = sched_text_array_a(a, (const char *const *)ag->regions, ag->n_regions);
    const char *p[] = {S(ag->branch),
                       ag->id,
                       S(ag->name),
                       S(ag->role),
                       regions,
                       hf_pg_i64(calls, ag->daily_calls),
                       hf_pg_i64(visits, ag->daily_visits),
                       ag->active ? "true" : "false"};
    hf_store_t *st = hf_service_store(svc);
    if (hf_store_query_run(st, &SCHED_Q_ON_AGENT_UPSERTED_AGENT_INSERT, 8, p) != 0)
        return -1;
    if (ag->active)
        return 0;
    /* deactivated (agent deactivate): no new task is placed with them (assignment takes
     * active agents only), and what waits unclaimed in their bags, or is promised to them
     * (a callback), goes back to the queue for a colleague, as an absence's leftovers do;
     * a task they hold (claimed) stays theirs until logged, released or skipped */
    char at[24];
    const char *pd[] = {p[0], ag->id, hf_pg_i64(at, hf_clock_now_ms())};
    if (sched_task_move(st, "assigned", "planned",
                        &(sched_move_t){.set = "agent = '', bag_date = NULL, reserved_agent = '',"
                                               " updated_at_ms = $3",
                                        .where = "branch = $1 AND agent = $2 AND agent <> ''",
                                        .reindex = true},
                        3, pd) < 0 ||
        hf_store_query_run(st, &SCHED_Q_ON_AGENT_UPSERTED_TASK_UPDATE, 2, pd) != 0)
        return -1;
    return 0;
}

/* A lead (new or merged): the copy, and the conversion plan it names (new-lead,
 * consult-not-converted, or the branch's own: intake chooses; the reference day is the day
 * it was collected; no purchase). */
int sched_on_lead(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a)
{
    (void)self;
    bool registered = env->payload_case == HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_REGISTERED;
    const Huifang__V1__Customer *c =
        registered ? env->lead_registered->customer : env->lead_merged->customer;
    const char *plan = registered ? env->lead_registered->plan : env->lead_merged->plan;
    int64_t collected =
        registered ? env->lead_registered->collected_at_ms : env->lead_merged->collected_at_ms;
    if (c == NULL || c->id <= 0)
        return -2;
    hf_store_t *st = hf_service_store(svc);
    if (sched_upsert_customer(st, c) != 0)
        return -1;
    if (plan == NULL || *plan == '\0')
        return 0;
    const char *branch = c->branch && *c->branch ? c->branch : S(env->branch);
    sched_branch_t b;
    bool missing;
    if (sched_branch_get(st, branch, &b, &missing) != 0)
        return missing ? -2 : -1;
    if (collected <= 0)
        collected = env->occurred_at_ms > 0 ? env->occurred_at_ms : hf_clock_now_ms();
    int32_t day = hf_time_local_day(collected, b.tz);
    char *key =
        hf_arena_printf(a, "lead:%lld:%s:%lld", (long long)c->id, plan, (long long)collected);
    return sched_start_plan(svc, branch, c->id, 0, key, plan, day, day + SCHED_LEAD_PLAN_DAYS, c,
                            a);
}

static int sched_on_purchase_recorded(hf_service_t *svc, void *self, const hf_envelope_t *env,
                                      hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__PurchaseRecorded *pr = env->purchase_recorded;
    const Huifang__V1__Purchase *pu = pr->purchase;
    if (pu == NULL || pu->id <= 0)
        return -2;
    hf_store_t *st = hf_service_store(svc);
    if (pr->customer && sched_upsert_customer(st, pr->customer) != 0)
        return -1;
    int32_t pday, eday;
    if (hf_date_parse(S(pu->date), &pday) != 0 || hf_date_parse(S(pu->supply_end), &eday) != 0)
        return -2;
    char id[24], cid[24], qty[16], price[24], days[16], nth[16];
    const char *p[] = {hf_pg_i64(id, pu->id),
                       hf_pg_i64(cid, pu->customer_id),
                       S(pu->branch),
                       S(pu->product),
                       hf_pg_i64(qty, pu->quantity),
                       hf_pg_i64(price, pu->price_fen),
                       S(pu->date),
                       S(pu->supply_end),
                       hf_pg_i64(days, pu->days_of_supply),
                       hf_pg_i64(nth, pu->nth),
                       S(pu->plan)};
    if (hf_store_query_run(st, &SCHED_Q_ON_PURCHASE_RECORDED, 11, p) != 0)
        return -1;
    const char *template = pu->plan && *pu->plan ? pu->plan : "monthly-course";
    return sched_start_plan(svc, S(pu->branch), pu->customer_id, pu->id, NULL, template, pday, eday,
                            pr->customer, a);
}

/* The customer whose open tasks and plans the intake event seq cancelled in the transaction tx
 * (hf_store_tx_serial), or found cancelled (s_cancel). */
static struct {
    uint64_t tx;
    uint64_t seq;
    int64_t customer_id;
} s_cancelled;

/* sched_cancel_customer for intake's event env. A refusal comes as a card voided, an opt-out
 * and the customer's copy, one after the other (a screening as a card voided and the copy):
 * the first cancels everything open, and the others, each right after it in the same
 * transaction (the event before is the same customer's, no other handler ran between), would
 * find nothing to lock, end or move (their statement ended no plan and moved no task: a claimed
 * task stays claimed either way). They send none. */
static int s_cancel(hf_service_t *svc, const hf_envelope_t *env, int64_t customer_id,
                    const char *why, const char *reason)
{
    hf_store_t *st = hf_service_store(svc);
    uint64_t tx = hf_store_in_tx(st) ? hf_store_tx_serial(st) : 0;
    if (tx != 0 && env->seq > 1 && s_cancelled.tx == tx && s_cancelled.seq == env->seq - 1 &&
        s_cancelled.customer_id == customer_id) {
        s_cancelled.seq = env->seq;
        return 0;
    }
    s_cancelled.tx = 0;
    if (sched_cancel_customer(svc, customer_id, why, "cancelled", reason) != 0)
        return -1;
    if (tx != 0 && env->seq > 0) {
        s_cancelled.tx = tx;
        s_cancelled.seq = env->seq;
        s_cancelled.customer_id = customer_id;
    }
    return 0;
}

/* Cancels a customer's open tasks and plans when their card says so. */
static int s_apply_card(hf_service_t *svc, const hf_envelope_t *env, int64_t customer_id,
                        bool opted_out, const char *card_type, const char *void_reason)
{
    if (opted_out)
        return s_cancel(svc, env, customer_id, "opted-out", "opted-out");
    if (card_type && strcmp(card_type, "void") == 0) {
        const char *why = void_reason && *void_reason ? void_reason : "void";
        return s_cancel(svc, env, customer_id, "void", why);
    }
    return 0;
}

/* ---- Customers' copies kept back -------------------------------------------------------
 * intake sends a CustomerUpdated for nearly every call logged (its counters, a card talked
 * to): one upsert each was 0.87 statements a call. A copy that cancels nothing (not opted
 * out, its card not void) only writes the customer's row, and in an intake batch nothing but
 * intake's handlers reads that row: such a copy is kept, and the copies kept are written in
 * one upsert (SCHED_Q_COPIES_CHANGED: sched_upsert_customer's statement row by row; like it, it
 * writes only the copies that change their row) before any other intake handler runs, before a copy
 * that cancels, or as the batch commits (sched_kept_flush); a rollback forgets them
 * (sched_kept_forget).
 *
 * Two copies of one customer kept are one row, as the upsert one after the other leaves it:
 * every column the later one's, created_at_ms the later one's when it has one, else the
 * earlier's (the upsert keeps the stored one for 0). A failed write (not the link) applies
 * the copies one at a time for COPIES_DIRECT_MS, so that one that cannot be written fails
 * alone and goes to the dead letters, as before. */
#define COPIES_MAX 500
#define COPIES_DIRECT_MS 60000
#define COPY_CREATED 11 /* the column created_at_ms among SCHED_CUSTOMER_NPARAMS */

static struct {
    hf_arena_t *a; /* the kept columns' memory */
    int n;
    int64_t id[COPIES_MAX];
    const char *cols[COPIES_MAX][SCHED_CUSTOMER_NPARAMS]; /* NULL for SQL NULL */
    int64_t direct_until_ms;                              /* monotonic ms */
} s_copies;

static void s_copies_forget(void)
{
    hf_arena_destroy(&s_copies.a);
    s_copies.n = 0;
}

/* Writes the copies kept: one upsert (the single row's own statement for one). 0 or -1. */
static int s_copies_flush(hf_service_t *svc)
{
    if (s_copies.n == 0)
        return 0;
    hf_store_t *st = hf_service_store(svc);
    int n = s_copies.n, rc;
    if (n == 1) {
        rc = hf_store_query_run(st, &SCHED_Q_UPSERT_CUSTOMER, SCHED_CUSTOMER_NPARAMS,
                                s_copies.cols[0]);
    } else {
        hf_arena_t *a = hf_arena_new();
        if (a == NULL) {
            s_copies_forget();
            return -1;
        }
        const char **col = hf_new_array(a, const char *, n);
        const char *p[SCHED_CUSTOMER_NPARAMS];
        for (int k = 0; k < SCHED_CUSTOMER_NPARAMS; k++) {
            /* NULL (a date not given) as '' in the arrays: the statement reads it back */
            for (int i = 0; i < n; i++)
                col[i] = s_copies.cols[i][k] ? s_copies.cols[i][k] : "";
            p[k] = sched_text_array_a(a, col, (size_t)n);
        }
        rc = hf_store_query_run(st, &SCHED_Q_COPIES_CHANGED, SCHED_CUSTOMER_NPARAMS, p);
        hf_arena_destroy(&a);
    }
    if (rc != 0 && !hf_store_unavailable(st)) {
        hf_warn("copies_batch_failed", "copies=%d reason=\"%s\" direct_ms=%d", n,
                hf_store_error(st), COPIES_DIRECT_MS);
        s_copies.direct_until_ms = hf_clock_mono_ms() + COPIES_DIRECT_MS;
    }
    s_copies_forget();
    return rc;
}

/* Keeps c's copy (merged into the one kept of the same customer). 0 or -1. */
static int s_copies_keep(hf_service_t *svc, const Huifang__V1__Customer *c)
{
    int at = -1;
    for (int i = s_copies.n - 1; i >= 0 && at < 0; i--)
        if (s_copies.id[i] == c->id)
            at = i;
    if (at < 0 && s_copies.n == COPIES_MAX && s_copies_flush(svc) != 0)
        return -1;
    if (s_copies.a == NULL && (s_copies.a = hf_arena_new()) == NULL)
        return -1;
    char id[24], created[24];
    const char *p[SCHED_CUSTOMER_NPARAMS];
    sched_customer_params(c, id, created, p);
    const char *kept_created = at >= 0 ? s_copies.cols[at][COPY_CREATED] : NULL;
    if (at < 0)
        at = s_copies.n++;
    s_copies.id[at] = c->id;
    for (int k = 0; k < SCHED_CUSTOMER_NPARAMS; k++)
        s_copies.cols[at][k] = p[k] ? hf_arena_strdup(s_copies.a, p[k]) : NULL;
    if (c->created_at_ms <= 0 && kept_created != NULL)
        s_copies.cols[at][COPY_CREATED] = kept_created;
    return 0;
}

/* Whether a copy of customer id is kept. */
static bool s_copies_has(int64_t id)
{
    for (int i = 0; i < s_copies.n; i++)
        if (s_copies.id[i] == id)
            return true;
    return false;
}

static int sched_on_customer_updated(hf_service_t *svc, void *self, const hf_envelope_t *env,
                                     hf_arena_t *a)
{
    (void)self;
    (void)a;
    const Huifang__V1__Customer *c = env->customer_updated->customer;
    if (c == NULL || c->id <= 0)
        return -2;
    bool cancels = c->opted_out || (c->card_type && strcmp(c->card_type, "void") == 0);
    if (!cancels && hf_clock_mono_ms() >= s_copies.direct_until_ms)
        return s_copies_keep(svc, c);
    /* a copy that cancels goes as it came, after the copies kept before it */
    if (s_copies_flush(svc) != 0 || sched_upsert_customer(hf_service_store(svc), c) != 0)
        return -1;
    return s_apply_card(svc, env, c->id, c->opted_out, c->card_type, c->void_reason);
}

/* A card change kept back (sched_on_card_type_changed): written before the next intake
 * handler runs (sched_kept_flush) or as the batch commits, or not at all when the next event
 * is the customer's copy that carries it (sched_on_customer_updated_after_leads). Copies may be
 * kept with it, never the customer's own: a card change writes that copy first, a copy writes
 * the card change kept first (or drops it, when it carries it). */
static struct {
    bool held;
    int64_t customer_id;
    char to[32];
} s_card;

/* Whether the card change is kept back (a card that is not void). */
static bool s_card_holds(const Huifang__V1__CardTypeChanged *ch)
{
    return strcmp(S(ch->to), "void") != 0 && strlen(S(ch->to)) < sizeof s_card.to;
}

/* Writes the card change kept back. 0 or -1. */
static int s_card_flush(hf_service_t *svc)
{
    if (!s_card.held)
        return 0;
    s_card.held = false;
    char cid[24];
    const char *p[] = {hf_pg_i64(cid, s_card.customer_id), s_card.to};
    return hf_store_query_run(hf_service_store(svc), &SCHED_Q_ON_CARD_TYPE_CHANGED, 2, p);
}

/* (the calls kept: below, with calllog's handler) */
static int s_calls_flush(hf_service_t *svc);
static void s_calls_forget(void);

int sched_kept_flush(hf_service_t *svc)
{
    /* an intake batch keeps copies and a card change (never of a customer whose copy is kept:
     * the order of the two writes does not matter), a calllog batch calls */
    return s_copies_flush(svc) != 0 || s_card_flush(svc) != 0 || s_calls_flush(svc) != 0 ? -1 : 0;
}

void sched_kept_forget(void)
{
    s_copies_forget();
    s_card.held = false;
    s_calls_forget();
}

static int sched_on_card_type_changed(hf_service_t *svc, void *self, const hf_envelope_t *env,
                                      hf_arena_t *a)
{
    (void)self;
    (void)a;
    const Huifang__V1__CardTypeChanged *ch = env->card_type_changed;
    if (ch->customer_id <= 0)
        return -2;
    if (s_card_holds(ch)) {
        /* a card that is not void only writes the copy's card (there is nothing to cancel),
         * and intake follows such a change at once with the CustomerUpdated that carries it
         * (a new card talked to, a purchase): kept back, so that one write does for both.
         * The copies kept stay kept (intake's stream is card, copy, card, copy ...), but for
         * the customer's own: written first, so that it never lands on the card (the card
         * kept back before it is written first by the next one) */
        if (s_card_flush(svc) != 0 || (s_copies_has(ch->customer_id) && s_copies_flush(svc) != 0))
            return -1;
        s_card.held = true;
        s_card.customer_id = ch->customer_id;
        snprintf(s_card.to, sizeof s_card.to, "%s", S(ch->to));
        return 0;
    }
    char cid[24];
    const char *p[] = {hf_pg_i64(cid, ch->customer_id), S(ch->to)};
    if (hf_store_query_run(hf_service_store(svc), &SCHED_Q_ON_CARD_TYPE_CHANGED, 2, p) != 0)
        return -1;
    return s_apply_card(svc, env, ch->customer_id, false, ch->to, ch->reason);
}

static int sched_on_opted_out(hf_service_t *svc, void *self, const hf_envelope_t *env,
                              hf_arena_t *a)
{
    (void)self;
    (void)a;
    int64_t id = env->opted_out->customer_id;
    if (id <= 0)
        return -2;
    char cid[24];
    const char *p[] = {hf_pg_i64(cid, id)};
    if (hf_store_query_run(hf_service_store(svc), &SCHED_Q_ON_OPTED_OUT, 1, p) != 0)
        return -1;
    return s_cancel(svc, env, id, "opted-out", "opted-out");
}

/* Do not disturb until a local date: every open step due before the day after moves to the
 * first call window of that day; a step already in a date bag leaves it. */
static int sched_on_dnd_set(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__DndSet *d = env->dnd_set;
    int32_t until;
    if (d->customer_id <= 0 || hf_date_parse(S(d->until), &until) != 0)
        return -2;
    hf_store_t *st = hf_service_store(svc);
    char cid[24], at[24], due[24], limit[24];
    const char *p1[] = {hf_pg_i64(cid, d->customer_id), d->until};
    PGresult *res = hf_store_query(st, &SCHED_Q_ON_DND_SET_CUSTOMER_UPDATE, 2, p1);
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        hf_warn("dnd_unknown_customer", "customer=%lld", (long long)d->customer_id);
        return 0;
    }
    char *branch = hf_arena_strdup(a, hf_pg_str(res, 0, 0));
    char *own = hf_arena_strdup(a, hf_pg_str(res, 0, 1));
    PQclear(res);
    sched_branch_t b;
    bool missing;
    if (sched_branch_get(st, branch, &b, &missing) != 0)
        return missing ? -2 : -1;
    char windows[256];
    sched_windows_effective(b.windows, own, windows, sizeof windows);
    int64_t resume = sched_day_start(until + 1, windows, b.tz);
    const char *p2[] = {cid, hf_pg_i64(limit, hf_time_from_local(until + 1, 0, b.tz))};
    res = hf_store_query(st, &SCHED_Q_ON_DND_SET_TASK, 2, p2);
    if (res == NULL)
        return -1;
    char *ids = hf_arena_strdup(a, hf_pg_str(res, 0, 0));
    PQclear(res);
    const char *p3[] = {ids, hf_pg_i64(due, resume), hf_pg_i64(at, hf_clock_now_ms())};
    /* the rows are locked above: a paused step keeps its state, agent and bag and only
     * moves in time (no change of state); the others go back to the queue */
    if (sched_release_room(st, ids) != 0 ||
        hf_store_query_run(st, &SCHED_Q_ON_DND_SET_TASK_UPDATE, 3, p3) != 0 ||
        sched_task_move(st, "planned, assigned", "planned",
                        &(sched_move_t){.set = "due_at_ms = $2, updated_at_ms = $3,"
                                               " agent = '', bag_date = NULL",
                                        .where = "id = ANY ($1::bigint[])",
                                        .reindex = true},
                        3, p3) < 0)
        return -1;
    hf_info("dnd_postponed", "customer=%lld until=%s", (long long)d->customer_id, d->until);
    return 0;
}

static int sched_on_customers_merged(hf_service_t *svc, void *self, const hf_envelope_t *env,
                                     hf_arena_t *a)
{
    (void)self;
    (void)a;
    /* every record of the merged customer now belongs to the kept one; the kept customer's
     * own copy follows from intake's customer_updated */
    static const char *const moves[] = {
        "UPDATE task SET customer_id = $1 WHERE customer_id = $2",
        "UPDATE plan SET customer_id = $1 WHERE customer_id = $2",
        "UPDATE purchase SET customer_id = $1 WHERE customer_id = $2",
        "UPDATE contact_note SET customer_id = $1 WHERE customer_id = $2",
        "UPDATE complaint_hold SET customer_id = $1 WHERE customer_id = $2",
        "UPDATE alert SET customer_id = $1 WHERE customer_id = $2",
        "UPDATE customer k SET last_visit_ms = greatest(k.last_visit_ms, m.last_visit_ms)"
        " FROM customer m WHERE k.id = $1 AND m.id = $2",
        "DELETE FROM customer WHERE id = $2 AND $1::bigint > 0",
        NULL};
    int rc = hf_replica_merge_customers(hf_service_store(svc), env, moves);
    if (rc == 0)
        hf_info("customers_merged", "kept=%lld merged=%lld",
                (long long)env->customers_merged->kept_id,
                (long long)env->customers_merged->merged_id);
    return rc;
}

/* Every intake event but LeadRegistered first writes the leads a batch kept so far
 * (sched_leads.c): a purchase, an opt-out or a merge after a lead of the same customer in
 * one batch finds the lead's copy and plan written, as one event at a time would. */
#define AFTER_LEADS(fn)                                                                            \
    static int fn##_after_leads(hf_service_t *svc, void *self, const hf_envelope_t *env,           \
                                hf_arena_t *a)                                                     \
    {                                                                                              \
        return sched_leads_flush(svc) != 0 || sched_kept_flush(svc) != 0 ? -1                      \
                                                                         : fn(svc, self, env, a);  \
    }
/* A branch's copy written: the branches kept in memory are forgotten, and none is kept from
 * this transaction (it may roll back); the other instance forgets them as it learns the event
 * applied (sched_branch_get). */
static int s_on_branch(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a)
{
    sched_branch_forget(hf_service_store(svc));
    return hf_replica_on_branch(svc, self, env, a);
}
AFTER_LEADS(s_on_branch)
AFTER_LEADS(sched_on_agent_upserted)
AFTER_LEADS(sched_on_lead)
AFTER_LEADS(sched_on_purchase_recorded)
/* A customer's copy right after a card change of theirs that it carries: the copy writes the
 * card, so the change kept back is not written (a failure rolls both back; a copy that does
 * not carry it, or another customer's, finds it written first). */
static int sched_on_customer_updated_after_leads(hf_service_t *svc, void *self,
                                                 const hf_envelope_t *env, hf_arena_t *a)
{
    const Huifang__V1__Customer *c = env->customer_updated->customer;
    if (s_card.held && c != NULL && c->id == s_card.customer_id &&
        strcmp(S(c->card_type), s_card.to) == 0)
        s_card.held = false;
    /* the copies kept stay kept: this one joins them */
    return sched_leads_flush(svc) != 0 || s_card_flush(svc) != 0
               ? -1
               : sched_on_customer_updated(svc, self, env, a);
}
/* A card change kept back writes only the card change kept before it (and the customer's own
 * copy kept: sched_on_card_type_changed); a void one everything kept. */
static int sched_on_card_type_changed_after_leads(hf_service_t *svc, void *self,
                                                  const hf_envelope_t *env, hf_arena_t *a)
{
    if (sched_leads_flush(svc) != 0 ||
        (!s_card_holds(env->card_type_changed) && sched_kept_flush(svc) != 0))
        return -1;
    return sched_on_card_type_changed(svc, self, env, a);
}
AFTER_LEADS(sched_on_opted_out)
AFTER_LEADS(sched_on_dnd_set)
AFTER_LEADS(sched_on_customers_merged)
AFTER_LEADS(sched_on_campaign_created)
AFTER_LEADS(sched_on_campaign_invited)
AFTER_LEADS(sched_on_campaign_attended)
AFTER_LEADS(sched_on_occasion_due)

const hf_event_handler_t sched_intake_events[] = {
    {HUIFANG__V1__ENVELOPE__PAYLOAD_BRANCH_UPSERTED, s_on_branch_after_leads},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_AGENT_UPSERTED, sched_on_agent_upserted_after_leads},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_REGISTERED, sched_leads_on_registered},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_MERGED, sched_on_lead_after_leads},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_PURCHASE_RECORDED, sched_on_purchase_recorded_after_leads},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_UPDATED, sched_on_customer_updated_after_leads},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CARD_TYPE_CHANGED, sched_on_card_type_changed_after_leads},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_OPTED_OUT, sched_on_opted_out_after_leads},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_DND_SET, sched_on_dnd_set_after_leads},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMERS_MERGED, sched_on_customers_merged_after_leads},
    /* campaigns and segments (sched_campaign.c) */
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CAMPAIGN_CREATED, sched_on_campaign_created_after_leads},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CAMPAIGN_INVITED, sched_on_campaign_invited_after_leads},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CAMPAIGN_ATTENDED, sched_on_campaign_attended_after_leads},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_OCCASION_DUE,
     sched_on_occasion_due_after_leads}, /* sched_occasion.c */
    {0, NULL}};

/* ---------------------------------------------------------------------------------------
 * calllog: outcomes drive what comes next
 * ------------------------------------------------------------------------------------- */

/* Keeps the contact for the next caller, counts unanswered attempts and home visits (for a
 * contact with a customer), and loads the contact's task locked (one with a task), with its
 * branch into *b (*b_known false for a branch this copy does not know): one statement, one
 * round trip. With done (the contact ends its task done if it is claimed), a claimed task is
 * moved to done with outcome in that statement too (*moved; its state then reads "claimed", as
 * loaded, for the caller's path); a task not claimed is loaded as without. The task (arena
 * memory) or NULL: none, or a store error (*err). */
static Huifang__V1__Task *s_note_and_load(hf_store_t *st, const Huifang__V1__Contact *ct,
                                          bool answered, bool visited, bool done, int64_t now,
                                          sched_branch_t *b, bool *b_known, bool *moved,
                                          hf_arena_t *a, bool *err)
{
    char id[24], tid[24], cid[24], qty[16], at[24], nowtxt[24];
    int64_t logged = ct->logged_at_ms > 0 ? ct->logged_at_ms : hf_clock_now_ms();
    bool customer = ct->customer_id > 0;
    const char *p[] = {hf_pg_i64(id, ct->id),
                       hf_pg_i64(cid, ct->customer_id),
                       hf_pg_i64(tid, ct->task_id),
                       S(ct->branch),
                       S(ct->agent),
                       S(ct->channel),
                       S(ct->purpose),
                       S(ct->outcome),
                       S(ct->effect),
                       hf_pg_i64(qty, ct->order_qty),
                       S(ct->note),
                       hf_pg_i64(at, logged),
                       customer && answered ? "true" : "false",
                       customer && visited ? "true" : "false",
                       hf_pg_i64(nowtxt, now)};
    *b_known = false;
    *moved = false;
    PGresult *res = NULL;
    if (done && ct->task_id > 0) {
        res = hf_store_query(st, &SCHED_Q_CALL_LOGGED_NOTE_DONE, 15, p);
        *err = res == NULL;
        if (res == NULL)
            return NULL;
        *moved = PQntuples(res) > 0;
        if (!*moved) {
            PQclear(res);
            res = NULL;
        }
    }
    if (res == NULL)
        res = hf_store_query(st, &SCHED_Q_CALL_LOGGED_NOTE_TASK, 14, p);
    *err = res == NULL;
    if (res == NULL)
        return NULL;
    Huifang__V1__Task *t = NULL;
    if (PQntuples(res) > 0) {
        t = sched_task_from_row(res, 0, a);
        if (*moved)
            t->state = "claimed";
        *b_known = !PQgetisnull(res, 0, TASK_NCOLUMNS);
        snprintf(b->tz, sizeof b->tz, "%s", hf_pg_str(res, 0, TASK_NCOLUMNS));
        snprintf(b->windows, sizeof b->windows, "%s", hf_pg_str(res, 0, TASK_NCOLUMNS + 1));
    }
    PQclear(res);
    return t;
}

/* An adverse reaction on any contact: a home visit by a doctor, due now, most urgent. It
 * belongs to no plan: a repurchase, a return or an archived form does not call it off. */
static int s_send_doctor(hf_service_t *svc, const Huifang__V1__Contact *ct,
                         const Huifang__V1__Task *t)
{
    hf_store_t *st = hf_service_store(svc);
    char cid[24], now[24], parent[24], contact[24], prio[16];
    int64_t at = hf_clock_now_ms();
    const char *p[] = {t ? t->branch : S(ct->branch),
                       NULL,
                       hf_pg_i64(cid, ct->customer_id),
                       "0",
                       hf_pg_i64(now, at),
                       hf_pg_i64(prio, sched_priority("adverse-reaction")),
                       t ? hf_pg_i64(parent, t->id) : NULL,
                       hf_pg_i64(contact, ct->id)};
    PGresult *res = hf_store_query(st, &SCHED_Q_SEND_DOCTOR, 8, p);
    if (res == NULL)
        return -1;
    if (PQntuples(res))
        hf_warn("adverse_reaction", "customer=%lld contact=%lld doctor_task=%lld",
                (long long)ct->customer_id, (long long)ct->id, (long long)hf_pg_int(res, 0, 0));
    PQclear(res);
    return 0;
}

/* The customer asked to be called back at a time: a task then, for the same agent; it goes to
 * the team if missed, and a second miss alerts the supervisor (sched_house.c). */
static int s_plan_callback(hf_service_t *svc, const sched_t *self, const Huifang__V1__Contact *ct,
                           const Huifang__V1__Task *t)
{
    hf_store_t *st = hf_service_store(svc);
    char plan[24], cid[24], pid[24], step[16], due[24], prio[16], now[24], parent[24], contact[24],
        deadline[24];
    int64_t at = hf_clock_now_ms();
    int64_t when = ct->callback_at_ms > at ? ct->callback_at_ms : at;
    int prio_v =
        t->priority > sched_priority("callback") ? t->priority : sched_priority("callback");
    const char *p[] = {t->branch,
                       t->plan_id ? hf_pg_i64(plan, t->plan_id) : NULL,
                       hf_pg_i64(cid, t->customer_id),
                       hf_pg_i64(pid, t->purchase_id),
                       hf_pg_i64(step, t->step_no),
                       t->channel,
                       t->role,
                       hf_pg_i64(due, when),
                       hf_pg_i64(prio, prio_v),
                       hf_pg_i64(now, at),
                       hf_pg_i64(parent, t->id),
                       hf_pg_i64(contact, ct->id),
                       ct->agent && *ct->agent ? ct->agent : t->agent,
                       hf_pg_i64(deadline, when + self->callback_grace_ms)};
    PGresult *res = hf_store_query(st, &SCHED_Q_PLAN_CALLBACK, 14, p);
    if (res == NULL)
        return -1;
    if (PQntuples(res))
        hf_info("callback_planned", "task=%lld callback_task=%lld agent=%s", (long long)t->id,
                (long long)hf_pg_int(res, 0, 0), p[12]);
    PQclear(res);
    return 0;
}

/* The windows task t's customer may be called in (b's, the task's branch, narrowed by the
 * customer's own, which the task was loaded with), into out. 0; -2 for a branch this copy
 * does not know (b NULL). */
static int s_task_windows(const Huifang__V1__Task *t, const sched_branch_t *b, char *out,
                          size_t len)
{
    if (b == NULL)
        return -2;
    sched_windows_effective(b->windows, S(t->windows), out, len);
    return 0;
}

/* The follow-up the agent promised on the contact (`call log --next DATE`): a task of its own
 * on that local day, for that agent, at the first call window of the customer's on that day;
 * by the same channel and role as the task logged. Once per contact (UNIQUE on contact and
 * origin), so a replayed event plans none twice. An agent away that day hands it to the team
 * (sched_move_absent clears reserved_agent). */
static int s_plan_promised(hf_service_t *svc, const Huifang__V1__Contact *ct,
                           const Huifang__V1__Task *t, const sched_branch_t *tb)
{
    hf_store_t *st = hf_service_store(svc);
    int32_t day;
    if (hf_date_parse(S(ct->next_date), &day) != 0) {
        hf_warn("promised_skipped", "contact=%lld reason=\"next date %s is not a date\"",
                (long long)ct->id, S(ct->next_date));
        return 0; /* the call log checked it: an old producer's event, nothing to plan */
    }
    char windows[256], cid[24];
    int rc = s_task_windows(t, tb, windows, sizeof windows);
    if (rc != 0)
        return rc;
    hf_pg_i64(cid, t->customer_id);
    PGresult *res;
    int64_t at = hf_clock_now_ms();
    int64_t when = sched_day_start(day, windows, tb->tz);
    if (when < at)
        when = at; /* promised for today, after its first window opened */
    /* a visit promises another of the same (a doctor following up an adverse reaction keeps
     * seeing that reaction, not a new one); a call promises a follow-up call */
    const char *purpose = strcmp(S(t->channel), "visit") == 0 ? S(t->purpose) : "follow-up";
    int prio = sched_priority(purpose) > sched_priority("follow-up") ? sched_priority(purpose)
                                                                     : sched_priority("follow-up");
    char plan[24], pid[24], due[24], prios[16], now[24], parent[24], contact[24];
    const char *p[] = {t->branch,
                       t->plan_id ? hf_pg_i64(plan, t->plan_id) : NULL,
                       cid,
                       hf_pg_i64(pid, t->purchase_id),
                       purpose,
                       t->channel,
                       t->role,
                       hf_pg_i64(due, when),
                       hf_pg_i64(prios, prio),
                       hf_pg_i64(now, at),
                       hf_pg_i64(parent, t->id),
                       hf_pg_i64(contact, ct->id),
                       ct->agent && *ct->agent ? ct->agent : S(t->agent)};
    res = hf_store_query(st, &SCHED_Q_PLAN_PROMISED, 13, p);
    if (res == NULL)
        return -1;
    if (PQntuples(res))
        hf_info("follow_up_promised", "task=%lld promised_task=%lld agent=%s day=%s",
                (long long)t->id, (long long)hf_pg_int(res, 0, 0), p[12], S(ct->next_date));
    PQclear(res);
    return 0;
}

/* True for the contact of a doctor's visit made for an adverse reaction: what the doctor
 * records of that reaction is its follow-up, not a new occurrence (no second visit, no
 * second complaint). */
static bool s_is_adverse_visit(const Huifang__V1__Contact *ct, const Huifang__V1__Task *t)
{
    return strcmp(S(ct->purpose), "adverse-reaction") == 0 ||
           (t && strcmp(S(t->origin), "adverse") == 0);
}

/* ---- Calls kept ----------------------------------------------------------------------------
 * Most calls logged end their claimed task done and do nothing else: no callback, no refusal
 * or wrong number, not a call to try again, no adverse reaction, no follow-up promised, not a
 * letter, not a campaign's answer. Each cost the note's statement (0.66 a call, 136 µs). Such
 * a call is kept, and a run of them written in one statement (SCHED_Q_CALL_LOGGED_NOTES_DONE:
 * the notes, the customers' counters, the tasks done) before any other call's handler runs or
 * as the batch commits (sched_kept_flush); then each one's task_completed is emitted, in the
 * run's order and with its own call's correlation id, as one at a time. A call of a contact,
 * customer or task already in the run writes the run first, so no call of a run reads or
 * writes what another of it wrote. A failed write (not the link) applies calls one at a time
 * for CALLS_DIRECT_MS, so that one that cannot be written fails alone. */
#define CALLS_MAX 256
#define CALLS_DIRECT_MS 60000
#define CALLS_NPARAMS 15

static struct {
    hf_arena_t *a; /* the kept calls' memory */
    int n;
    int64_t contact[CALLS_MAX], customer[CALLS_MAX], task[CALLS_MAX];
    const char *cols[CALLS_MAX][CALLS_NPARAMS];
    const char *correlation[CALLS_MAX];
    int64_t direct_until_ms; /* monotonic ms */
} s_calls;

static void s_calls_forget(void)
{
    hf_arena_destroy(&s_calls.a);
    s_calls.n = 0;
}

/* Writes the calls kept and emits their task_completed. 0 or -1. */
static int s_calls_flush(hf_service_t *svc)
{
    if (s_calls.n == 0)
        return 0;
    hf_store_t *st = hf_service_store(svc);
    int n = s_calls.n, rc = 0;
    hf_arena_t *a = hf_arena_new();
    if (a == NULL) {
        s_calls_forget();
        return -1;
    }
    const char **col = hf_new_array(a, const char *, n);
    const char *p[CALLS_NPARAMS];
    for (int k = 0; k < CALLS_NPARAMS; k++) {
        for (int i = 0; i < n; i++)
            col[i] = s_calls.cols[i][k];
        p[k] = sched_text_array_a(a, col, (size_t)n);
    }
    PGresult *res = hf_store_query(st, &SCHED_Q_CALL_LOGGED_NOTES_DONE, CALLS_NPARAMS, p);
    if (res == NULL)
        rc = -1;
    Huifang__V1__Task **done = hf_new_array(a, Huifang__V1__Task *, n);
    for (int i = 0; i < n; i++)
        done[i] = NULL;
    for (int r = 0; rc == 0 && r < PQntuples(res); r++) {
        int64_t o = hf_pg_int(res, r, TASK_NCOLUMNS);
        if (o >= 1 && o <= n)
            done[o - 1] = sched_task_from_row(res, r, a);
    }
    PQclear(res);
    /* the events in the run's order, each with its call's correlation id (the handler's own
     * default, sched_emit_task's, is the event being applied when it emits) */
    for (int i = 0; rc == 0 && i < n; i++) {
        if (done[i] == NULL)
            continue; /* not claimed: handled before, or moved on */
        Huifang__V1__TaskCompleted co = HUIFANG__V1__TASK_COMPLETED__INIT;
        co.task = done[i];
        hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
        env.branch = done[i]->branch;
        env.correlation_id = (char *)s_calls.correlation[i];
        env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_COMPLETED;
        env.task_completed = &co;
        if (hf_service_emit(svc, &env) != 0)
            rc = -1;
    }
    if (rc != 0 && !hf_store_unavailable(st)) {
        hf_warn("calls_batch_failed", "calls=%d reason=\"%s\" direct_ms=%d", n, hf_store_error(st),
                CALLS_DIRECT_MS);
        s_calls.direct_until_ms = hf_clock_mono_ms() + CALLS_DIRECT_MS;
    }
    hf_arena_destroy(&a);
    s_calls_forget();
    return rc;
}

/* Keeps a call that ends its claimed task done and does nothing else (the run written first
 * when it has the call's contact, customer or task already). 0 or -1. */
static int s_calls_keep(hf_service_t *svc, const hf_envelope_t *env, const Huifang__V1__Contact *ct,
                        bool answered, bool visited, int64_t now)
{
    for (int i = 0; i < s_calls.n; i++)
        if (s_calls.contact[i] == ct->id || s_calls.customer[i] == ct->customer_id ||
            s_calls.task[i] == ct->task_id) {
            if (s_calls_flush(svc) != 0)
                return -1;
            break;
        }
    if (s_calls.n == CALLS_MAX && s_calls_flush(svc) != 0)
        return -1;
    if (s_calls.a == NULL && (s_calls.a = hf_arena_new()) == NULL)
        return -1;
    hf_arena_t *ka = s_calls.a;
    int64_t logged = ct->logged_at_ms > 0 ? ct->logged_at_ms : hf_clock_now_ms();
    int i = s_calls.n++;
    s_calls.contact[i] = ct->id;
    s_calls.customer[i] = ct->customer_id;
    s_calls.task[i] = ct->task_id;
    /* SCHED_Q_CALL_LOGGED_NOTE_DONE's parameters, a call's row */
    const char *v[CALLS_NPARAMS] = {hf_arena_printf(ka, "%lld", (long long)ct->id),
                                    hf_arena_printf(ka, "%lld", (long long)ct->customer_id),
                                    hf_arena_printf(ka, "%lld", (long long)ct->task_id),
                                    hf_arena_strdup(ka, S(ct->branch)),
                                    hf_arena_strdup(ka, S(ct->agent)),
                                    hf_arena_strdup(ka, S(ct->channel)),
                                    hf_arena_strdup(ka, S(ct->purpose)),
                                    hf_arena_strdup(ka, S(ct->outcome)),
                                    hf_arena_strdup(ka, S(ct->effect)),
                                    hf_arena_printf(ka, "%lld", (long long)ct->order_qty),
                                    hf_arena_strdup(ka, S(ct->note)),
                                    hf_arena_printf(ka, "%lld", (long long)logged),
                                    answered ? "true" : "false",
                                    visited ? "true" : "false",
                                    hf_arena_printf(ka, "%lld", (long long)now)};
    memcpy(s_calls.cols[i], v, sizeof v);
    s_calls.correlation[i] = env->correlation_id ? hf_arena_strdup(ka, env->correlation_id) : NULL;
    return 0;
}

static int sched_on_call_logged(hf_service_t *svc, void *selfp, const hf_envelope_t *env,
                                hf_arena_t *a)
{
    sched_t *self = selfp;
    const Huifang__V1__Contact *ct = env->call_logged->contact;
    if (ct == NULL)
        return -2;
    hf_store_t *st = hf_service_store(svc);
    const Huifang__V1__OutcomeFlags *f = ct->flags;
    const char *outcome = S(ct->outcome);
    bool answered =
        f ? f->human_answered : strcmp(outcome, "no-answer") != 0 && strcmp(outcome, "busy") != 0;
    bool unworkable = f && f->unworkable;
    bool do_not_call = f && f->do_not_call;
    bool callback = f && f->callback && ct->callback_at_ms > 0;
    bool visited = strcmp(S(ct->channel), "visit") == 0 && (answered || (f && f->contacted));
    /* a call not answered (not a callback, not screened or refused by its flags) may try the
     * task again: every other outcome ends a claimed task done (below) */
    bool unanswered = !callback && !unworkable && !do_not_call && !answered &&
                      !sched_channel_written(ct->channel);
    int64_t now = hf_clock_now_ms();
    /* a call that ends its claimed task done and does nothing else is kept (Calls kept);
     * any other one comes after the calls kept before it */
    if (ct->id > 0 && ct->customer_id > 0 && ct->task_id > 0 && !unanswered && !callback &&
        !unworkable && !do_not_call && strcmp(S(ct->channel), "letter") != 0 &&
        strcmp(S(ct->effect), "adverse") != 0 && !(ct->next_date && *ct->next_date) &&
        strcmp(outcome, "accepted") != 0 && strcmp(outcome, "declined") != 0 &&
        hf_clock_mono_ms() >= s_calls.direct_until_ms)
        return s_calls_keep(svc, env, ct, answered, visited, now);
    if (s_calls_flush(svc) != 0)
        return -1;
    /* the contact noted, the customer's counters and the task's lock: one round trip; the
     * step done in it too when nothing the handler does before depends on its state */
    Huifang__V1__Task *t = NULL;
    sched_branch_t tb;
    bool tb_known = false, done = false;
    if (ct->customer_id > 0 || ct->task_id > 0) {
        bool err;
        t = s_note_and_load(st, ct, answered, visited,
                            !unanswered && strcmp(S(ct->channel), "letter") != 0, now, &tb,
                            &tb_known, &done, a, &err);
        if (t == NULL && err)
            return -1;
    }
    const sched_branch_t *b = tb_known ? &tb : NULL;
    if (strcmp(S(ct->effect), "adverse") == 0 && ct->customer_id > 0 &&
        !s_is_adverse_visit(ct, t) && s_send_doctor(svc, ct, t) != 0)
        return -1;
    if (t != NULL && strcmp(t->state, "planned") == 0 && strcmp(S(t->channel), "letter") == 0 &&
        strcmp(S(ct->channel), "letter") == 0)
        return sched_letter_sent(svc, t, ct) < 0 ? -1 : 0; /* letters never are claimed */
    if (t == NULL || strcmp(t->state, "claimed") != 0)
        return 0; /* not about a task, handled before, or the task moved on */

    char id[24], at[24], attempts[16], due[24], deadline[24], cid[24];
    hf_pg_i64(id, t->id);
    hf_pg_i64(at, now);
    hf_pg_i64(cid, t->customer_id);
    const char *screened = NULL;
    if (callback) {
        if (s_plan_callback(svc, self, ct, t) != 0)
            return -1;
    } else if (unworkable) {
        screened = "wrong-number";
    } else if (do_not_call) {
        /* refused: intake voids the card and opts the customer out; nothing more is planned */
        if (sched_cancel_customer(svc, t->customer_id, "refused", "cancelled", "refused") != 0)
            return -1;
    } else if (unanswered) {
        /* (a WeChat message not replied to is done with its outcome: never an unanswered
         * call, never screened out for it) */
        /* no answer or busy: the customer's unanswered attempts in a row decide, counted once
         * per occasion (call window or day), so two tasks rung out in the same minute are one
         * attempt, not two */
        t->attempts++;
        char windows[256];
        int wrc = s_task_windows(t, b, windows, sizeof windows);
        if (wrc != 0)
            return wrc;
        int64_t tried = ct->started_at_ms > 0  ? ct->started_at_ms
                        : ct->logged_at_ms > 0 ? ct->logged_at_ms
                                               : now;
        char occasion[24], max[16];
        int64_t next = sched_next_window(now, windows, b->tz);
        /* a callback keeps its owner and gets a fresh deadline in the next window */
        int64_t dl = t->reserved_agent && *t->reserved_agent ? next + self->callback_grace_ms : 0;
        const char *p[] = {id,
                           hf_pg_i64(attempts, t->attempts),
                           hf_pg_i64(due, next),
                           at,
                           outcome,
                           hf_pg_i64(deadline, dl),
                           cid,
                           hf_pg_i64(occasion, sched_occasion(tried, windows, b->tz)),
                           hf_pg_i64(max, self->max_attempts)};
        /* counted, and tried again in the next window while the unanswered attempts in a row
         * (the task's own when the customer has no copy) stay under max_attempts: one
         * statement; not moved, the card is screened out */
        int64_t moved = sched_task_move(
            st, "claimed", "planned",
            &(sched_move_t){.with = SCHED_UNANSWERED_WITH,
                            .set = "agent = '', bag_date = NULL, attempts = $2,"
                                   " due_at_ms = $3, updated_at_ms = $4, outcome = $5,"
                                   " deadline_ms = CASE WHEN $6::bigint > 0"
                                   " THEN $6::bigint ELSE deadline_ms END",
                            .where = "id = $1 AND coalesce((SELECT unanswered FROM u), $2::int)"
                                     " < $9::int",
                            .reindex = true},
            9, p);
        if (moved < 0)
            return -1;
        if (moved > 0)
            return 0;
        screened = "unanswered";
    }
    /* the step is done with its outcome (by the note's statement already, when done) */
    const char *p[] = {id, outcome, at, hf_pg_i64(attempts, t->attempts)};
    if (!done &&
        sched_task_move(st, "claimed", "done",
                        &(sched_move_t){.set = "outcome = $2, updated_at_ms = $3, attempts = $4,"
                                               " deadline_ms = 0",
                                        .where = "id = $1"},
                        4, p) < 0)
        return -1;
    t->state = "done";
    t->outcome = (char *)outcome;
    if (sched_emit_task(svc, HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_COMPLETED, t) != 0)
        return -1;
    if (strcmp(S(t->origin), "campaign") == 0 && sched_campaign_call_logged(svc, ct, t) != 0)
        return -1;
    if (screened) {
        /* screened out: intake voids the card with this reason */
        char *why = hf_arena_printf(a, "screened-out: %s", screened);
        if (sched_cancel_customer(svc, t->customer_id, why, "cancelled", "screened-out") != 0 ||
            sched_emit_screened(svc, t->branch, t->customer_id, screened) != 0)
            return -1;
    } else if (!do_not_call && ct->next_date && *ct->next_date &&
               s_plan_promised(svc, ct, t, b) != 0) {
        return -1;
    }
    return 0;
}

const hf_event_handler_t sched_calllog_events[] = {
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CALL_LOGGED, sched_on_call_logged}, {0, NULL}};

/* ---------------------------------------------------------------------------------------
 * complaint
 * ------------------------------------------------------------------------------------- */

/* An adverse-reaction complaint filed directly sends a doctor as an adverse contact does
 * (one raised from a contact already did, through call_logged). Once per complaint. */
static int s_send_doctor_for_complaint(hf_service_t *svc, const Huifang__V1__Complaint *c)
{
    hf_store_t *st = hf_service_store(svc);
    char cid[24], now[24], prio[16], comp[24];
    const char *p[] = {S(c->branch), hf_pg_i64(cid, c->customer_id),
                       hf_pg_i64(now, hf_clock_now_ms()),
                       hf_pg_i64(prio, sched_priority("adverse-reaction")), hf_pg_i64(comp, c->id)};
    PGresult *res = hf_store_query(st, &SCHED_Q_SEND_DOCTOR_FOR_COMPLAINT, 5, p);
    if (res == NULL)
        return -1;
    if (PQntuples(res))
        hf_warn("adverse_reaction", "customer=%lld complaint=%lld doctor_task=%lld",
                (long long)c->customer_id, (long long)c->id, (long long)hf_pg_int(res, 0, 0));
    PQclear(res);
    return 0;
}

/* A complaint holds the customer's sales steps: no repurchase call while they complain. */
static int sched_on_complaint_opened(hf_service_t *svc, void *self, const hf_envelope_t *env,
                                     hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__Complaint *c = env->complaint_opened->complaint;
    if (c == NULL || c->id <= 0 || c->customer_id <= 0)
        return -2;
    hf_store_t *st = hf_service_store(svc);
    char id[24], cid[24], at[24];
    int64_t opened = c->opened_at_ms > 0 ? c->opened_at_ms : hf_clock_now_ms();
    const char *p1[] = {hf_pg_i64(id, c->id), hf_pg_i64(cid, c->customer_id),
                        hf_pg_i64(at, opened)};
    if (hf_store_query_run(st, &SCHED_Q_ON_COMPLAINT_OPENED_COMPLAINT_HOLD_INSERT, 3, p1) != 0)
        return -1;
    if (strcmp(S(c->category), "adverse-reaction") == 0 && c->source_contact_id <= 0 &&
        s_send_doctor_for_complaint(svc, c) != 0)
        return -1;
    const char *p2[] = {cid, sched_sales_literal()};
    PGresult *res = hf_store_query(st, &SCHED_Q_ON_COMPLAINT_OPENED_TASK, 2, p2);
    if (res == NULL)
        return -1;
    char *ids = hf_arena_strdup(a, hf_pg_str(res, 0, 0));
    PQclear(res);
    hf_pg_i64(at, hf_clock_now_ms());
    const char *p3[] = {ids, at};
    if (sched_release_room(st, ids) != 0 ||
        sched_task_move(st, "planned, assigned", "paused",
                        &(sched_move_t){.set = "agent = '', bag_date = NULL,"
                                               " outcome = 'paused: complaint', updated_at_ms = $2",
                                        .where = "id = ANY ($1::bigint[])"},
                        2, p3) < 0)
        return -1;
    hf_info("sales_paused", "customer=%lld complaint=%lld", (long long)c->customer_id,
            (long long)c->id);
    return 0;
}

/* A resolved complaint releases the hold; with no complaint left open the paused steps
 * come back, due at once when their day has passed. */
static int s_release_hold(hf_service_t *svc, const Huifang__V1__Complaint *c)
{
    if (c == NULL || c->id <= 0)
        return -2;
    hf_store_t *st = hf_service_store(svc);
    char id[24], cid[24], at[24];
    const char *p1[] = {hf_pg_i64(id, c->id)};
    PGresult *res = hf_store_query(st, &SCHED_Q_RELEASE_HOLD, 1, p1);
    if (res == NULL)
        return -1;
    int64_t customer = PQntuples(res) ? hf_pg_int(res, 0, 0) : c->customer_id;
    PQclear(res);
    const char *p2[] = {hf_pg_i64(cid, customer), hf_pg_i64(at, hf_clock_now_ms())};
    if (sched_task_move(st, "paused", "planned",
                        &(sched_move_t){.set = "outcome = '', due_at_ms = greatest(due_at_ms, $2),"
                                               " updated_at_ms = $2",
                                        .where = "customer_id = $1 AND NOT EXISTS (SELECT 1 FROM"
                                                 " complaint_hold h WHERE h.customer_id = $1)",
                                        .reindex = true},
                        2, p2) < 0)
        return -1;
    hf_info("complaint_hold_released", "customer=%lld complaint=%lld", (long long)customer,
            (long long)c->id);
    return 0;
}

static int sched_on_complaint_resolved(hf_service_t *svc, void *self, const hf_envelope_t *env,
                                       hf_arena_t *a)
{
    (void)self;
    (void)a;
    return s_release_hold(svc, env->complaint_resolved->complaint);
}

static int sched_on_complaint_changed(hf_service_t *svc, void *self, const hf_envelope_t *env,
                                      hf_arena_t *a)
{
    (void)self;
    (void)a;
    const Huifang__V1__Complaint *c = env->complaint_changed->complaint;
    if (c && (strcmp(S(c->state), "resolved") == 0 || strcmp(S(c->state), "closed") == 0))
        return s_release_hold(svc, c);
    return 0;
}

/* An approved return ends the purchase's plan: what is left of it is cancelled. */
static int sched_on_return_decided(hf_service_t *svc, void *self, const hf_envelope_t *env,
                                   hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__ReturnRequest *r = env->return_decided->request;
    if (r == NULL)
        return -2;
    if (strcmp(S(r->state), "approved") != 0 || r->purchase_id <= 0)
        return 0;
    hf_store_t *st = hf_service_store(svc);
    char pid[24], at[24];
    const char *p1[] = {hf_pg_i64(pid, r->purchase_id)};
    PGresult *res = hf_store_query(st, &SCHED_Q_ON_RETURN_DECIDED_TASK, 1, p1);
    if (res == NULL)
        return -1;
    char *ids = hf_arena_strdup(a, hf_pg_str(res, 0, 0));
    PQclear(res);
    const char *p2[] = {ids, hf_pg_i64(at, hf_clock_now_ms())};
    if (sched_release_room(st, ids) != 0 ||
        /* the rows are locked above in these three states */
        sched_task_move(st, "planned, assigned, paused", "cancelled",
                        &(sched_move_t){.set = "outcome = 'returned', updated_at_ms = $2",
                                        .where = "id = ANY ($1::bigint[])"},
                        2, p2) < 0)
        return -1;
    const char *p3[] = {pid, at};
    res = hf_store_query(st, &SCHED_Q_ON_RETURN_DECIDED_PLAN_UPDATE, 2, p3);
    if (res == NULL)
        return -1;
    int rc = sched_emit_plans_ended(svc, res, "cancelled", "returned");
    PQclear(res);
    return rc;
}

const hf_event_handler_t sched_complaint_events[] = {
    {HUIFANG__V1__ENVELOPE__PAYLOAD_COMPLAINT_OPENED, sched_on_complaint_opened},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_COMPLAINT_CHANGED, sched_on_complaint_changed},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_COMPLAINT_RESOLVED, sched_on_complaint_resolved},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_RETURN_DECIDED, sched_on_return_decided},
    {0, NULL}};
