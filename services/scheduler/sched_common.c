/* sched_common: helpers every part of the scheduler uses — the branch and customer copies,
 * tasks as rows and as messages, array literals, the events, and the two ways a task leaves
 * a date bag early (a customer's tasks cancelled, room given back). See scheduler_internal.h. */
#include "scheduler_internal.h"
#include "scheduler_sql.h"

/* ---------------------------------------------------------------------------------------
 * Copies of intake's records
 * ------------------------------------------------------------------------------------- */

/* Slots for the branches kept, found by a hash of the code and at most BRANCH_PROBES slots on
 * (a national chain has ~1,000 branches: every one of them kept, each found in a few
 * comparisons). */
#define BRANCH_SLOTS 2048
#define BRANCH_PROBES 8

/* The branches kept (sched_branch_get): each with the intake stream's applied sequence and
 * the monotonic time it was read at, and the generation it was kept in (sched_branch_forget
 * starts a new one: every slot of an older one is empty). */
static struct {
    hf_service_t *svc;
    hf_store_t *st;
    bool written;        /* the copy written in transaction written_tx of st */
    uint64_t written_tx; /* hf_store_tx_serial */
    uint64_t gen;
    struct {
        uint64_t gen;
        char code[32];
        sched_branch_t b;
        uint64_t applied;
        int64_t at_ms;
    } slot[BRANCH_SLOTS];
} s_branches;

void sched_branch_keep(hf_service_t *svc)
{
    memset(&s_branches, 0, sizeof s_branches);
    s_branches.svc = svc;
    s_branches.st = hf_service_store(svc);
    s_branches.gen = 1;
}

void sched_branch_forget(hf_store_t *st)
{
    s_branches.gen++;
    s_branches.written = true;
    s_branches.written_tx = hf_store_tx_serial(st);
}

/* The slot of code: the one keeping it, else an empty one, else the first probed. */
static int s_branch_slot(const char *code)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *c = code; *c; c++)
        h = (h ^ (uint8_t)*c) * 16777619u;
    int first = (int)(h % BRANCH_SLOTS), empty = -1;
    for (int k = 0; k < BRANCH_PROBES; k++) {
        int i = (first + k) % BRANCH_SLOTS;
        if (s_branches.slot[i].gen != s_branches.gen) {
            if (empty < 0)
                empty = i;
        } else if (strcmp(s_branches.slot[i].code, code) == 0) {
            return i;
        }
    }
    return empty >= 0 ? empty : first;
}

int sched_branch_get(hf_store_t *st, const char *branch, sched_branch_t *out, bool *missing)
{
    bool keep = s_branches.svc && st == s_branches.st && branch &&
                strlen(branch) < sizeof s_branches.slot[0].code &&
                !(s_branches.written && hf_store_in_tx(st) &&
                  hf_store_tx_serial(st) == s_branches.written_tx);
    uint64_t applied = keep ? hf_service_applied(s_branches.svc, "intake") : 0;
    int64_t now = keep ? hf_clock_mono_ms() : 0;
    int at = keep ? s_branch_slot(branch) : -1;
    if (at >= 0 && s_branches.slot[at].gen == s_branches.gen &&
        strcmp(s_branches.slot[at].code, branch) == 0 && s_branches.slot[at].applied == applied &&
        now - s_branches.slot[at].at_ms < SCHED_BRANCH_KEEP_MS) {
        *out = s_branches.slot[at].b;
        *missing = false;
        return 0;
    }
    int rc =
        hf_replica_branch(st, branch, out->tz, sizeof out->tz, out->windows, sizeof out->windows);
    *missing = rc == 1;
    if (rc != 0 || !keep)
        return rc == 0 ? 0 : -1;
    s_branches.slot[at].gen = s_branches.gen;
    snprintf(s_branches.slot[at].code, sizeof s_branches.slot[at].code, "%s", branch);
    s_branches.slot[at].b = *out;
    s_branches.slot[at].applied = applied;
    s_branches.slot[at].at_ms = now;
    return 0;
}

void sched_customer_params(const Huifang__V1__Customer *c, char id[24], char created[24],
                           const char *p[SCHED_CUSTOMER_NPARAMS])
{
    hf_window_t w[8];
    const char *windows = S(c->windows);
    if (hf_windows_parse(windows, w, 8) < 0) {
        /* intake validates windows; a bad one here must not stop the stream */
        hf_warn("customer_windows_ignored", "customer=%lld windows=\"%s\"", (long long)c->id,
                windows);
        windows = "";
    }
    int32_t day;
    const char *ref =
        c->ref_date && *c->ref_date && hf_date_parse(c->ref_date, &day) == 0 ? c->ref_date : NULL;
    const char *dnd = c->dnd_until && *c->dnd_until && hf_date_parse(c->dnd_until, &day) == 0
                          ? c->dnd_until
                          : NULL;
    const char *v[SCHED_CUSTOMER_NPARAMS] = {hf_pg_i64(id, c->id),
                                             S(c->branch),
                                             S(c->name),
                                             S(c->phone),
                                             S(c->region),
                                             S(c->card_type),
                                             c->opted_out ? "true" : "false",
                                             dnd,
                                             windows,
                                             S(c->tier),
                                             ref,
                                             hf_pg_i64(created, c->created_at_ms),
                                             S(c->address),
                                             S(c->language)};
    memcpy(p, v, sizeof v);
}

int sched_upsert_customer(hf_store_t *st, const Huifang__V1__Customer *c)
{
    char id[24], created[24];
    const char *p[SCHED_CUSTOMER_NPARAMS];
    sched_customer_params(c, id, created, p);
    return hf_store_query_run(st, &SCHED_Q_UPSERT_CUSTOMER, SCHED_CUSTOMER_NPARAMS, p);
}

int sched_customer_windows(hf_store_t *st, int64_t customer_id, const char *branch_windows,
                           char *out, size_t outlen)
{
    char cid[24];
    const char *p[] = {hf_pg_i64(cid, customer_id)};
    PGresult *res = hf_store_query(st, &SCHED_Q_CUSTOMER_WINDOWS, 1, p);
    if (res == NULL)
        return -1;
    const char *own = PQntuples(res) ? hf_pg_str(res, 0, 0) : "";
    sched_windows_effective(branch_windows, own, out, outlen);
    PQclear(res);
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Tasks
 * ------------------------------------------------------------------------------------- */

Huifang__V1__Task *sched_task_from_row(const PGresult *res, int i, hf_arena_t *a)
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
    t->origin = hf_arena_strdup(a, hf_pg_str(res, i, 20));
    t->reserved_agent = hf_arena_strdup(a, hf_pg_str(res, i, 21));
    t->latest_at_ms = hf_pg_int(res, i, 22);
    t->assigned_at_ms = hf_pg_int(res, i, 23);
    t->windows = hf_arena_strdup(a, hf_pg_str(res, i, 24));
    t->rolls = (int32_t)hf_pg_int(res, i, 25);
    t->talking_points = hf_arena_strdup(a, hf_pg_str(res, i, 26));
    return t;
}

Huifang__V1__Task *sched_load_task(hf_store_t *st, int64_t id, bool lock, hf_arena_t *a, bool *err)
{
    char idtxt[24];
    const char *p[] = {hf_pg_i64(idtxt, id)};
    PGresult *res = hf_store_query(st, lock ? &SCHED_Q_LOAD_TASK_LOCK : &SCHED_Q_LOAD_TASK, 1, p);
    *err = res == NULL;
    if (res == NULL)
        return NULL;
    Huifang__V1__Task *t = PQntuples(res) ? sched_task_from_row(res, 0, a) : NULL;
    PQclear(res);
    return t;
}

void sched_task_windows(Huifang__V1__Task *t, const char *branch_windows, hf_arena_t *a)
{
    char eff[256];
    sched_windows_effective(branch_windows, S(t->windows), eff, sizeof eff);
    t->windows = hf_arena_strdup(a, eff);
}

/* ---------------------------------------------------------------------------------------
 * Array literals: codes and ids only, but quoted all the same
 * ------------------------------------------------------------------------------------- */

/* Appends item quoted for an array literal; returns the new length (may exceed outlen,
 * like snprintf, in which case the caller's output is cut). */
static size_t s_quote(char *out, size_t o, size_t outlen, const char *item)
{
    if (o + 1 < outlen)
        out[o] = '"';
    o++;
    for (const char *c = item ? item : ""; *c; c++) {
        if (*c == '"' || *c == '\\') {
            if (o + 1 < outlen)
                out[o] = '\\';
            o++;
        }
        if (o + 1 < outlen)
            out[o] = *c;
        o++;
    }
    if (o + 1 < outlen)
        out[o] = '"';
    o++;
    return o;
}

void sched_text_array(char *const *items, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen < 3) {
        if (outlen)
            out[0] = '\0';
        return;
    }
    out[o++] = '{';
    for (size_t i = 0; i < n; i++) {
        if (i) {
            if (o + 1 < outlen)
                out[o] = ',';
            o++;
        }
        o = s_quote(out, o, outlen - 1, items[i]);
    }
    if (o + 1 >= outlen)
        o = outlen - 2;
    out[o++] = '}';
    out[o] = '\0';
}

char *sched_text_array_a(hf_arena_t *a, const char *const *items, size_t n)
{
    size_t len = 3;
    for (size_t i = 0; i < n; i++)
        len += 3 + 2 * strlen(S(items[i]));
    char *out = hf_arena_alloc(a, len);
    sched_text_array((char *const *)items, n, out, len);
    return out;
}

char *sched_int_array_a(hf_arena_t *a, const int64_t *v, size_t n)
{
    char *out = hf_arena_alloc(a, HF_PG_I64_ARRAY_LEN(n));
    hf_pg_i64_array(out, v, n);
    return out;
}

/* ---------------------------------------------------------------------------------------
 * Events
 * ------------------------------------------------------------------------------------- */

int sched_emit_task(hf_service_t *svc, int payload, Huifang__V1__Task *t)
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

int sched_emit_plans_ended(hf_service_t *svc, const PGresult *res, const char *state,
                           const char *reason)
{
    for (int i = 0; i < PQntuples(res); i++) {
        if (PQgetisnull(res, i, 0))
            continue; /* no plan (sched_cancel_customer's row when none ended) */
        Huifang__V1__PlanEnded pe = HUIFANG__V1__PLAN_ENDED__INIT;
        pe.plan_id = hf_pg_int(res, i, 0);
        pe.customer_id = hf_pg_int(res, i, 2);
        pe.purchase_id = hf_pg_int(res, i, 3);
        pe.state = (char *)state;
        pe.reason = (char *)reason;
        hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
        env.branch = (char *)hf_pg_str(res, i, 1);
        env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_PLAN_ENDED;
        env.plan_ended = &pe;
        if (hf_service_emit(svc, &env) != 0)
            return -1;
        hf_info("plan_ended", "plan=%lld state=%s reason=%s", (long long)pe.plan_id, state, reason);
    }
    return 0;
}

int sched_emit_screened(hf_service_t *svc, const char *branch, int64_t customer_id,
                        const char *reason)
{
    Huifang__V1__CustomerScreened cs = HUIFANG__V1__CUSTOMER_SCREENED__INIT;
    cs.customer_id = customer_id;
    cs.reason = (char *)reason;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = (char *)branch;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_SCREENED;
    env.customer_screened = &cs;
    hf_info("customer_screened", "customer=%lld reason=%s", (long long)customer_id, reason);
    return hf_service_emit(svc, &env);
}

int sched_raise_alert(hf_service_t *svc, const char *branch, const char *kind, int64_t customer_id,
                      int64_t task_id, const char *agent, const char *detail, const char *dedup)
{
    char cid[24], tid[24], at[24];
    int64_t now = hf_clock_now_ms();
    const char *p[] = {
        branch,    kind,  hf_pg_i64(cid, customer_id), hf_pg_i64(tid, task_id), S(agent),
        S(detail), dedup, hf_pg_i64(at, now)};
    PGresult *res = hf_store_query(hf_service_store(svc), &SCHED_Q_RAISE_ALERT, 8, p);
    if (res == NULL)
        return -1;
    int raised = PQntuples(res);
    Huifang__V1__SupervisorAlert al = HUIFANG__V1__SUPERVISOR_ALERT__INIT;
    al.id = raised ? hf_pg_int(res, 0, 0) : 0;
    PQclear(res);
    if (!raised)
        return 0;
    al.branch = (char *)branch;
    al.kind = (char *)kind;
    al.customer_id = customer_id;
    al.task_id = task_id;
    al.agent = (char *)S(agent);
    al.detail = (char *)S(detail);
    al.raised_at_ms = now;
    Huifang__V1__SupervisorAlertRaised ev = HUIFANG__V1__SUPERVISOR_ALERT_RAISED__INIT;
    ev.alert = &al;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = (char *)branch;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_SUPERVISOR_ALERT_RAISED;
    env.supervisor_alert_raised = &ev;
    hf_warn("supervisor_alert", "alert=%lld kind=%s customer=%lld task=%lld agent=%s",
            (long long)al.id, kind, (long long)customer_id, (long long)task_id, S(agent));
    return hf_service_emit(svc, &env) == 0 ? 1 : -1;
}

/* ---------------------------------------------------------------------------------------
 * Taking tasks out of date bags
 * ------------------------------------------------------------------------------------- */

int sched_release_room(hf_store_t *st, const char *ids_literal)
{
    if (strcmp(ids_literal, "{}") == 0)
        return 0; /* no task: no room held (and no statement planned for nothing) */
    const char *p[] = {ids_literal};
    return hf_store_query_run(st, &SCHED_Q_RELEASE_ROOM, 1, p);
}

int sched_cancel_customer(hf_service_t *svc, int64_t customer_id, const char *why,
                          const char *plan_state, const char *reason)
{
    hf_store_t *st = hf_service_store(svc);
    char cid[24], at[24];
    hf_pg_i64(cid, customer_id);
    hf_pg_i64(at, hf_clock_now_ms());
    /* the tasks locked and the plans ended in one round trip; the tasks cancelled after (no
     * statement when there is none: a customer cancelled again) */
    const char *p1[] = {cid, plan_state, at, reason};
    PGresult *res = hf_store_query(st, &SCHED_Q_CANCEL_CUSTOMER, 4, p1);
    if (res == NULL)
        return -1;
    const char *ids = PQntuples(res) ? hf_pg_str(res, 0, 4) : "{}";
    const char *p2[] = {ids, why, at};
    int rc = sched_release_room(st, ids);
    if (rc == 0 && strcmp(ids, "{}") != 0 &&
        sched_task_move(st, "planned, assigned, paused", "cancelled",
                        &(sched_move_t){.set = "outcome = $2, updated_at_ms = $3",
                                        .where = SCHED_WHERE_IDS,
                                        .keyed = true},
                        3, p2) < 0)
        rc = -1;
    if (rc == 0)
        rc = sched_emit_plans_ended(svc, res, plan_state, reason);
    PQclear(res);
    return rc;
}
