/* sched_leads: a national load's leads, applied as sets (issue 14, "A national day,
 * measured"). A LeadRegistered applied on its own costs about ten statements — the customer
 * copy, the branch, the template's steps, the plan, the earlier plans ended, a task per step,
 * plan_started — so the scheduler caught up with an import at ~700 leads/s. Here the handler
 * only keeps the lead (its copy's columns, and what its plan needs: the branch's zone and
 * windows and the template's steps, read once a batch), and the batch writes what it kept in
 * a few statements: every copy in one upsert, every plan in one insert, the tasks in one insert
 * (placed in C, on the emptiest day of each flexible window, in the same order and from the
 * same counts as one lead at a time: sched_flex_offset), every plan_started in one COPY.
 *
 * What one lead at a time would do, exactly: the same plans (ON CONFLICT on lead_key makes a
 * second delivery a no-op, as before), the same tasks on the same days, the same events. Any
 * other intake event first writes what was kept (sched_events.c, AFTER_LEADS), so a purchase,
 * an opt-out or a merge after a lead of the same customer in one batch sees the lead applied.
 * A customer who comes twice in one run is written before the second comes. A count the flex
 * placement would read afresh is read only after the tasks placed so far are written, so it
 * counts them, as it did when each lead wrote its tasks at once. A customer who has an earlier
 * plan (rare in a load: a lead of a known customer) has it ended lead by lead, as before;
 * its plan_ended then precedes the batch's plan_started events rather than its own only.
 *
 * A failure while writing rolls the batch back (the framework tries again); when the store is
 * still there, the next LEAD_DIRECT_MS apply every lead on its own (sched_on_lead), so a lead
 * that cannot be written fails alone and goes to the dead letters as before. */
#include "hf_outbox_batch.h"
#include "scheduler_internal.h"
#include "scheduler_sql.h"

#define MAX_STEPS 32
#define MAX_LAYOUT 256
#define LEAD_DIRECT_MS 60000
#define MAX_BRANCHES 64
#define MAX_TEMPLATES 64

typedef struct {
    char code[32];
    bool missing;
    sched_branch_t b;
} s_branch_t;

typedef struct {
    char branch[32];
    char template[64];
    int n; /* 0: no plan (unknown template) */
    sched_step_t steps[MAX_STEPS];
} s_steps_t;

/* A lead kept for the batch. */
typedef struct {
    int64_t id;
    const char *cols[SCHED_CUSTOMER_NPARAMS]; /* the copy's columns (arena) */
    const char *branch;                       /* the plan's branch */
    const char *template;                     /* NULL: no plan */
    const s_steps_t *steps;
    const s_branch_t *br;
    const char *key; /* lead_key */
    int32_t day;     /* the local day it was collected */
    int32_t rday;    /* the reference day, -1 */
    const char *windows;
    bool opted_out;
    const char *correlation;
    int64_t plan_id; /* once written; 0 when planned before */
} s_lead_t;

/* A task placed, not yet written. */
typedef struct {
    Huifang__V1__Task *t;
    int occurrence;
    int window_days;
    const char *state;
} s_task_t;

static struct {
    int batch; /* lead_batch: leads kept before they are written; 1: none kept */
    int64_t direct_until_ms;
    hf_arena_t *a; /* the kept leads' memory, till the batch ends */
    s_lead_t *leads;
    int n, cap;
    s_branch_t branches[MAX_BRANCHES];
    int nbranches;
    s_steps_t *templates[MAX_TEMPLATES];
    int ntemplates;
} s_kept;

void sched_leads_init(hf_service_t *svc)
{
    s_kept.batch = (int)hf_config_int(hf_service_config_of(svc), "lead_batch");
    hf_service_on_batch(svc, sched_leads_batch);
}

/* Forgets what was kept (after a write or a rollback). */
static void s_forget(void)
{
    hf_arena_destroy(&s_kept.a);
    free(s_kept.leads);
    s_kept.leads = NULL;
    s_kept.n = s_kept.cap = 0;
    s_kept.nbranches = 0;
    for (int i = 0; i < s_kept.ntemplates; i++)
        free(s_kept.templates[i]);
    s_kept.ntemplates = 0;
}

/* The branch as the batch read it (once); NULL on a store error or a full cache. */
static const s_branch_t *s_branch(hf_store_t *st, const char *code)
{
    for (int i = 0; i < s_kept.nbranches; i++)
        if (strcmp(s_kept.branches[i].code, code) == 0)
            return &s_kept.branches[i];
    if (s_kept.nbranches == MAX_BRANCHES || strlen(code) >= sizeof s_kept.branches[0].code)
        return NULL;
    s_branch_t *b = &s_kept.branches[s_kept.nbranches];
    if (sched_branch_get(st, code, &b->b, &b->missing) != 0 && !b->missing)
        return NULL;
    snprintf(b->code, sizeof b->code, "%s", code);
    s_kept.nbranches++;
    return b;
}

/* The template's steps as the batch read them (once), falling back as sched_start_plan does
 * for a lead (none: no plan); NULL on a store error or a full cache. */
static const s_steps_t *s_steps(hf_store_t *st, const char *branch, const char *template)
{
    for (int i = 0; i < s_kept.ntemplates; i++)
        if (strcmp(s_kept.templates[i]->branch, branch) == 0 &&
            strcmp(s_kept.templates[i]->template, template) == 0)
            return s_kept.templates[i];
    if (s_kept.ntemplates == MAX_TEMPLATES ||
        strlen(template) >= sizeof s_kept.templates[0]->template)
        return NULL;
    s_steps_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    int n = sched_load_steps(st, branch, template, s->steps, MAX_STEPS);
    if (n < 0) {
        free(s);
        return NULL;
    }
    snprintf(s->branch, sizeof s->branch, "%s", branch);
    snprintf(s->template, sizeof s->template, "%s", template);
    s->n = n;
    s_kept.templates[s_kept.ntemplates++] = s;
    return s;
}

static bool s_kept_customer(int64_t id)
{
    for (int i = 0; i < s_kept.n; i++)
        if (s_kept.leads[i].id == id)
            return true;
    return false;
}

int sched_leads_on_registered(hf_service_t *svc, void *self, const hf_envelope_t *env,
                              hf_arena_t *a)
{
    const Huifang__V1__LeadRegistered *lr = env->lead_registered;
    const Huifang__V1__Customer *c = lr->customer;
    hf_store_t *st = hf_service_store(svc);
    /* the copies or a card change kept back are written before anything after them */
    if (sched_kept_flush(svc) != 0)
        return -1;
    bool direct = s_kept.batch <= 1 || hf_clock_mono_ms() < s_kept.direct_until_ms;
    /* what cannot be kept goes the way of one lead at a time (after what was kept) */
    if (direct || c == NULL || c->id <= 0 || (c->branch == NULL && env->branch == NULL))
        return sched_leads_flush(svc) != 0 ? -1 : sched_on_lead(svc, self, env, a);
    if (s_kept_customer(c->id) || s_kept.n >= s_kept.batch)
        if (sched_leads_flush(svc) != 0)
            return -1;
    const char *branch = c->branch && *c->branch ? c->branch : S(env->branch);
    const char *plan = lr->plan;
    const s_branch_t *br = NULL;
    const s_steps_t *steps = NULL;
    if (plan && *plan) {
        br = s_branch(st, branch);
        if (br == NULL || br->missing)
            return br == NULL && hf_store_unavailable(st)
                       ? -1
                       : (sched_leads_flush(svc) != 0 ? -1 : sched_on_lead(svc, self, env, a));
        steps = s_steps(st, branch, plan);
        if (steps == NULL)
            return sched_leads_flush(svc) != 0 ? -1 : sched_on_lead(svc, self, env, a);
    }
    if (s_kept.a == NULL && (s_kept.a = hf_arena_new()) == NULL)
        return -1;
    if (s_kept.n == s_kept.cap) {
        int cap = s_kept.cap ? s_kept.cap * 2 : 64;
        s_lead_t *l = realloc(s_kept.leads, sizeof *l * (size_t)cap);
        if (l == NULL)
            return -1;
        s_kept.leads = l;
        s_kept.cap = cap;
    }
    hf_arena_t *ka = s_kept.a;
    s_lead_t *l = &s_kept.leads[s_kept.n];
    memset(l, 0, sizeof *l);
    l->id = c->id;
    char id[24], created[24];
    const char *p[SCHED_CUSTOMER_NPARAMS];
    sched_customer_params(c, id, created, p);
    for (int i = 0; i < SCHED_CUSTOMER_NPARAMS; i++)
        l->cols[i] = p[i] ? hf_arena_strdup(ka, p[i]) : "";
    l->correlation = env->correlation_id ? hf_arena_strdup(ka, env->correlation_id) : NULL;
    l->rday = -1;
    if (steps && steps->n > 0) {
        int64_t collected = lr->collected_at_ms;
        if (collected <= 0)
            collected = env->occurred_at_ms > 0 ? env->occurred_at_ms : hf_clock_now_ms();
        l->branch = hf_arena_strdup(ka, branch);
        l->template = steps->template;
        l->steps = steps;
        l->br = br;
        l->day = hf_time_local_day(collected, br->b.tz);
        l->key =
            hf_arena_printf(ka, "lead:%lld:%s:%lld", (long long)c->id, plan, (long long)collected);
        if (c->ref_date && *c->ref_date)
            hf_date_parse(c->ref_date, &l->rday);
        char windows[256];
        sched_windows_effective(br->b.windows, S(c->windows), windows, sizeof windows);
        l->windows = hf_arena_strdup(ka, windows);
        l->opted_out = c->opted_out;
    } else if (steps) {
        /* a lead's conversion plan the branch does not know: the copy only (as before) */
        hf_warn("unknown_template", "template=%s customer=%lld lead=1 plan=none", plan,
                (long long)c->id);
    }
    s_kept.n++;
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Writing what was kept
 * ------------------------------------------------------------------------------------- */

/* Every kept copy in one upsert (the statement of sched_upsert_customer, row by row). */
static int s_write_copies(hf_store_t *st, hf_arena_t *a)
{
    const char **col = hf_new_array(a, const char *, s_kept.n);
    const char *p[SCHED_CUSTOMER_NPARAMS];
    for (int k = 0; k < SCHED_CUSTOMER_NPARAMS; k++) {
        for (int i = 0; i < s_kept.n; i++)
            col[i] = s_kept.leads[i].cols[k];
        p[k] = sched_text_array_a(a, col, (size_t)s_kept.n);
    }
    return hf_store_query_run(st, &SCHED_Q_COPIES, SCHED_CUSTOMER_NPARAMS, p);
}

/* Every kept lead's plan in one insert; sets each one's plan_id (0: planned before).
 * Returns how many were started, or -1. */
static int s_write_plans(hf_store_t *st, const char *at, hf_arena_t *a)
{
    int n = 0;
    const char **br = hf_new_array(a, const char *, s_kept.n);
    const char **tp = hf_new_array(a, const char *, s_kept.n);
    const char **end = hf_new_array(a, const char *, s_kept.n);
    const char **key = hf_new_array(a, const char *, s_kept.n);
    int64_t *cid = hf_new_array(a, int64_t, s_kept.n);
    for (int i = 0; i < s_kept.n; i++) {
        s_lead_t *l = &s_kept.leads[i];
        if (l->template == NULL)
            continue;
        char *e = hf_arena_alloc(a, 11);
        hf_date_format(l->day + SCHED_LEAD_PLAN_DAYS, e);
        br[n] = l->branch;
        tp[n] = l->template;
        end[n] = e;
        key[n] = l->key;
        cid[n] = l->id;
        n++;
    }
    if (n == 0)
        return 0;
    const char *p[] = {sched_text_array_a(a, br, (size_t)n),  sched_int_array_a(a, cid, (size_t)n),
                       sched_text_array_a(a, tp, (size_t)n),  sched_text_array_a(a, end, (size_t)n),
                       sched_text_array_a(a, key, (size_t)n), at};
    PGresult *res = hf_store_query(st, &SCHED_Q_LEADS_PLANS, 6, p);
    if (res == NULL)
        return -1;
    /* a customer comes once in what was kept: the customer names the lead */
    int started = PQntuples(res);
    for (int r = 0, i = 0; r < started; r++) {
        int64_t c = hf_pg_int(res, r, 1);
        int tries = 0;
        while (tries < s_kept.n && s_kept.leads[i].id != c) {
            i = (i + 1) % s_kept.n;
            tries++;
        }
        if (s_kept.leads[i].id == c)
            s_kept.leads[i].plan_id = hf_pg_int(res, r, 0);
    }
    PQclear(res);
    return started;
}

/* Ends the earlier plans of the kept customers who have one (a lead of a known customer),
 * lead by lead, as sched_start_plan does. 0 or -1. */
static int s_end_earlier(hf_service_t *svc, hf_arena_t *a)
{
    hf_store_t *st = hf_service_store(svc);
    int64_t *cid = hf_new_array(a, int64_t, s_kept.n);
    int64_t *pid = hf_new_array(a, int64_t, s_kept.n);
    int n = 0;
    for (int i = 0; i < s_kept.n; i++)
        if (s_kept.leads[i].plan_id > 0) {
            cid[n] = s_kept.leads[i].id;
            pid[n++] = s_kept.leads[i].plan_id;
        }
    if (n == 0)
        return 0;
    const char *p[] = {sched_int_array_a(a, cid, (size_t)n), sched_int_array_a(a, pid, (size_t)n)};
    /* planned with this batch's arrays and the table as it is now (see the query) */
    PGresult *res = hf_store_exec_unprepared(st, SCHED_Q_LEADS_EARLIER.sql, 2, p);
    if (res == NULL)
        return -1;
    int rc = 0;
    for (int r = 0; rc == 0 && r < PQntuples(res); r++) {
        int64_t c = hf_pg_int(res, r, 0);
        for (int i = 0; i < s_kept.n; i++)
            if (s_kept.leads[i].id == c && s_kept.leads[i].plan_id > 0)
                rc = sched_end_earlier_plans(svc, c, s_kept.leads[i].plan_id, true);
    }
    PQclear(res);
    return rc;
}

/* Writes the placed tasks tasks[0..n) in one insert and gives each its id. 0 or -1. */
static int s_write_tasks(hf_store_t *st, s_task_t *tasks, int n, const char *at)
{
    if (n == 0)
        return 0;
    hf_arena_t *a = hf_arena_new();
    if (a == NULL)
        return -1;
    enum { NCOL = 13 };
    const char **col[NCOL];
    for (int k = 0; k < NCOL; k++)
        col[k] = hf_new_array(a, const char *, n);
    for (int i = 0; i < n; i++) {
        const Huifang__V1__Task *t = tasks[i].t;
        col[0][i] = t->branch;
        col[1][i] = hf_arena_printf(a, "%lld", (long long)t->plan_id);
        col[2][i] = hf_arena_printf(a, "%lld", (long long)t->customer_id);
        col[3][i] = hf_arena_printf(a, "%d", t->step_no);
        col[4][i] = hf_arena_printf(a, "%d", tasks[i].occurrence);
        col[5][i] = t->purpose;
        col[6][i] = t->channel;
        col[7][i] = t->role;
        col[8][i] = hf_arena_printf(a, "%lld", (long long)t->due_at_ms);
        col[9][i] = hf_arena_printf(a, "%d", t->priority);
        col[10][i] = hf_arena_printf(a, "%d", tasks[i].window_days);
        col[11][i] = tasks[i].state;
        col[12][i] = hf_arena_printf(a, "%lld", (long long)t->latest_at_ms);
    }
    const char *p[NCOL + 1];
    for (int k = 0; k < NCOL; k++)
        p[k] = sched_text_array_a(a, col[k], (size_t)n);
    p[NCOL] = at;
    PGresult *res = hf_store_query(st, &SCHED_Q_LEADS_TASKS, NCOL + 1, p);
    hf_arena_destroy(&a);
    if (res == NULL)
        return -1;
    int rc = PQntuples(res) == n ? 0 : -1;
    /* rows come back in the order inserted; matched by their plan, step and occurrence all
     * the same, so that an order not kept cannot give a task another's id */
    for (int r = 0, i = 0; rc == 0 && r < n; r++) {
        int64_t plan = hf_pg_int(res, r, 1);
        int step = (int)hf_pg_int(res, r, 2), occ = (int)hf_pg_int(res, r, 3);
        int tries = 0;
        while (tries++ < n && !(tasks[i].t->plan_id == plan && tasks[i].t->step_no == step &&
                                tasks[i].occurrence == occ && tasks[i].t->id == 0))
            i = (i + 1) % n;
        if (tries > n)
            rc = -1;
        else
            tasks[i].t->id = hf_pg_int(res, r, 0);
    }
    PQclear(res);
    return rc;
}

/* Lays out, places and writes the tasks of every plan started, and emits plan_started for
 * each (one COPY). 0 or -1. */
static int s_write_tasks_and_events(hf_service_t *svc, int started, const char *at, hf_arena_t *a)
{
    hf_store_t *st = hf_service_store(svc);
    hf_envelope_t **envs = hf_new_array(a, hf_envelope_t *, started);
    int nenv = 0, cap = 0, n = 0, rc = 0;
    s_task_t *tasks = NULL;
    for (int i = 0; rc == 0 && i < s_kept.n; i++) {
        s_lead_t *l = &s_kept.leads[i];
        if (l->plan_id <= 0)
            continue;
        sched_due_t due[MAX_LAYOUT];
        int nd = sched_plan_layout(l->steps->steps, l->steps->n, l->day,
                                   l->day + SCHED_LEAD_PLAN_DAYS, l->rday, due, MAX_LAYOUT);
        Huifang__V1__PlanStarted *ps = hf_new(a, Huifang__V1__PlanStarted);
        huifang__v1__plan_started__init(ps);
        ps->plan_id = l->plan_id;
        ps->customer_id = l->id;
        ps->template_ = (char *)l->template;
        ps->tasks = hf_new_array(a, Huifang__V1__Task *, nd);
        for (int d = 0; rc == 0 && d < nd; d++) {
            const sched_step_t *s = due[d].step;
            int32_t day = due[d].day;
            int64_t latest = 0;
            if (due[d].window_days > 0) {
                /* a count read afresh must see the tasks placed before: written first */
                bool kept = sched_flex_kept(l->branch, s->role, day, due[d].window_days);
                if (!kept) {
                    if (s_write_tasks(st, tasks, n, at) != 0) {
                        rc = -1;
                        break;
                    }
                    n = 0;
                }
                /* kept: not read afresh even if its moment passed since the question */
                sched_flex_hold(kept);
                int off =
                    sched_flex_offset(st, l->branch, s->role, day, due[d].window_days, l->br->b.tz);
                sched_flex_hold(false);
                if (off < 0) {
                    rc = -1;
                    break;
                }
                latest = sched_day_start(day + due[d].window_days, l->windows, l->br->b.tz);
                day += off;
            }
            if (n == cap) {
                cap = cap ? cap * 2 : 256;
                s_task_t *g = realloc(tasks, sizeof *g * (size_t)cap);
                if (g == NULL) {
                    rc = -1;
                    break;
                }
                tasks = g;
            }
            Huifang__V1__Task *t = hf_new(a, Huifang__V1__Task);
            huifang__v1__task__init(t);
            t->branch = (char *)l->branch;
            t->customer_id = l->id;
            t->plan_id = l->plan_id;
            t->step_no = s->step_no;
            t->purpose = (char *)s->purpose;
            t->channel = (char *)s->channel;
            t->role = (char *)s->role;
            t->due_at_ms = sched_day_start(day, l->windows, l->br->b.tz);
            t->state = l->opted_out ? "cancelled" : "planned";
            t->priority = sched_priority(s->purpose);
            t->origin = "plan";
            t->latest_at_ms = latest;
            t->windows = (char *)l->windows;
            tasks[n++] = (s_task_t){t, due[d].occurrence, due[d].window_days, t->state};
            ps->tasks[ps->n_tasks++] = t;
        }
        hf_envelope_t *env = hf_new(a, hf_envelope_t);
        huifang__v1__envelope__init(env);
        env->branch = (char *)l->branch;
        env->correlation_id = (char *)l->correlation;
        env->payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_PLAN_STARTED;
        env->plan_started = ps;
        envs[nenv++] = env;
    }
    if (rc == 0)
        rc = s_write_tasks(st, tasks, n, at);
    free(tasks);
    if (rc == 0 && hf_outbox_copy_many(st, hf_service_name(svc), envs, nenv) < 0)
        rc = -1;
    for (int i = 0; rc == 0 && i < nenv; i++)
        hf_info("plan_started", "plan=%lld purchase=0 customer=%lld template=%s tasks=%zu",
                (long long)envs[i]->plan_started->plan_id,
                (long long)envs[i]->plan_started->customer_id, envs[i]->plan_started->template_,
                envs[i]->plan_started->n_tasks);
    return rc;
}

int sched_leads_flush(hf_service_t *svc)
{
    if (s_kept.n == 0) {
        s_forget();
        return 0;
    }
    hf_store_t *st = hf_service_store(svc);
    hf_arena_t *a = hf_arena_new();
    if (a == NULL)
        return -1;
    int64_t now = hf_clock_now_ms();
    char at[24];
    hf_pg_i64(at, now);
    int started = 0;
    int64_t t0 = hf_clock_mono_ms();
    int rc = s_write_copies(st, a);
    int64_t t1 = hf_clock_mono_ms();
    if (rc == 0 && (started = s_write_plans(st, at, a)) < 0)
        rc = -1;
    if (rc == 0 && started > 0)
        rc = s_end_earlier(svc, a);
    int64_t t2 = hf_clock_mono_ms();
    if (rc == 0 && started > 0)
        rc = s_write_tasks_and_events(svc, started, at, a);
    if (rc == 0)
        hf_info("leads_written", "leads=%d plans=%d copies_ms=%lld plans_ms=%lld tasks_ms=%lld",
                s_kept.n, started, (long long)(t1 - t0), (long long)(t2 - t1),
                (long long)(hf_clock_mono_ms() - t2));
    if (rc != 0 && !hf_store_unavailable(st)) {
        /* not the link: one of these leads may never write; one at a time for a while, so that
         * it fails alone */
        hf_warn("leads_batch_failed", "leads=%d reason=\"%s\" direct_ms=%d", s_kept.n,
                hf_store_error(st), LEAD_DIRECT_MS);
        s_kept.direct_until_ms = hf_clock_mono_ms() + LEAD_DIRECT_MS;
    }
    hf_arena_destroy(&a);
    s_forget();
    return rc;
}

int sched_leads_batch(hf_service_t *svc, void *self, bool commit)
{
    (void)self;
    if (commit)
        return sched_leads_flush(svc) != 0 || sched_kept_flush(svc) != 0 ? -1 : 0;
    s_forget();
    sched_kept_forget();
    return 0;
}
