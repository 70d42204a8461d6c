/* sched_cmd: the scheduler's commands. Each runs in the one transaction hf_service opened
 * for it; bad input fails naming the field and changes nothing. */
#include "scheduler_internal.h"
#include "scheduler_sql.h"
#include <ctype.h>

#define MAX_TEMPLATE_STEPS 32
#define HISTORY_LIMIT 20
#define NEXT_CANDIDATES 20 /* SCHED_Q_TASK_NEXT_MANY's LIMIT */
#define NEXT_FEW 3         /* SCHED_Q_TASK_NEXT's */

/* ---------------------------------------------------------------------------------------
 * Checks
 * ------------------------------------------------------------------------------------- */

/* Checks the request's branch; HF_OK or a failure filled into rep. */
static int s_need_branch(hf_service_t *svc, const hf_request_t *req, sched_branch_t *b,
                         hf_reply_t *rep, hf_arena_t *a)
{
    if (req->branch == NULL || *req->branch == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "branch",
                       "branch is required (--branch or HUIFANG_BRANCH)");
    bool missing;
    if (sched_branch_get(hf_service_store(svc), req->branch, b, &missing) != 0)
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
    PGresult *res = hf_store_query(hf_service_store(svc), &SCHED_Q_NEED_AGENT, 2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int n = PQntuples(res);
    PQclear(res);
    if (n == 0)
        return hf_fail(rep, a, HF_NOT_FOUND, "agent", "no agent %s in branch %s", agent,
                       req->branch);
    return HF_OK;
}

/* A code: 1..max characters of lower-case letters, digits and '-'. */
static bool s_code_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
            return false;
    return true;
}

static bool s_one_of(const char *s, const char *const *words)
{
    for (int i = 0; words[i]; i++)
        if (strcmp(words[i], S(s)) == 0)
            return true;
    return false;
}

static const char *const s_anchors[] = {"purchase", "supply_end", "previous", "ref_date", NULL};
static const char *const s_channels[] = {"phone", "visit", "letter", "wechat", NULL};
static const char *const s_roles[] = {"phone", "consult", "visit",   "doctor", "deliver",
                                      "lead",  "head",    "manager", NULL};

/* ---------------------------------------------------------------------------------------
 * worklist, task next, task show
 * ------------------------------------------------------------------------------------- */

static Huifang__V1__TaskList *s_task_list(PGresult *res, const char *bwindows, hf_arena_t *a)
{
    Huifang__V1__TaskList *l = hf_new(a, Huifang__V1__TaskList);
    huifang__v1__task_list__init(l);
    int n = PQntuples(res);
    l->tasks = hf_new_array(a, Huifang__V1__Task *, n > 0 ? n : 1);
    for (int i = 0; i < n; i++) {
        Huifang__V1__Task *t = sched_task_from_row(res, i, a);
        sched_task_windows(t, bwindows, a);
        l->tasks[l->n_tasks++] = t;
    }
    return l;
}

/* HF_OK when the request's actor is a supervisor of its branch (lead, head, manager); as in
 * the call log, no actor is bad input and another role a conflict (exit 4). */
static int s_need_supervisor(hf_service_t *svc, const hf_request_t *req, const char *what,
                             hf_reply_t *rep, hf_arena_t *a)
{
    const char *actor = S(req->actor);
    if (*actor == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "actor",
                       "only a supervisor (lead, head, manager) may %s: say who you are with --as",
                       what);
    const char *p[] = {req->branch, actor};
    PGresult *res = hf_store_query(hf_service_store(svc), &SCHED_Q_NEED_SUPERVISOR, 2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    const char *role = PQntuples(res) ? hf_arena_strdup(a, hf_pg_str(res, 0, 0)) : NULL;
    PQclear(res);
    if (role == NULL ||
        !(strcmp(role, "lead") == 0 || strcmp(role, "head") == 0 || strcmp(role, "manager") == 0))
        return hf_fail(rep, a, HF_CONFLICT, "actor",
                       "only a supervisor (lead, head, manager) may %s; %s is %s", what, actor,
                       role ? role : "no agent of this branch");
    return HF_OK;
}

/* The audit row (PIPL Art. 54) of a command whose reply shows customers' names and phones:
 * the customers of tasks[0..n). 0 or -1. */
static int s_audit_tasks(hf_service_t *svc, Huifang__V1__Task *const *tasks, size_t n,
                         hf_arena_t *a)
{
    int64_t *ids = hf_new_array(a, int64_t, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false; /* a bag holds a customer's tasks next to each other, mostly */
        for (size_t j = k; j > 0 && j + 8 > k && !seen; j--)
            seen = ids[j - 1] == tasks[i]->customer_id;
        if (!seen && tasks[i]->customer_id > 0)
            ids[k++] = tasks[i]->customer_id;
    }
    return hf_service_audit(svc, ids, k);
}

int sched_worklist_get(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                       hf_arena_t *a)
{
    (void)self;
    sched_branch_t b;
    int rc;
    const Huifang__V1__WorklistGet *get = req->worklist_get;
    bool all = get->all;
    const char *agent = get->agent && *get->agent ? get->agent : req->actor;
    if ((rc = s_need_branch(svc, req, &b, rep, a)) != HF_OK)
        return rc;
    if (all && get->agent && *get->agent)
        return hf_fail(rep, a, HF_BAD_INPUT, "all",
                       "--all shows every agent's bag: leave out --agent");
    if ((rc = all ? s_need_supervisor(svc, req, "see every agent's bag", rep, a)
                  : s_need_agent(svc, req, agent, rep, a)) != HF_OK)
        return rc;
    if (all)
        agent = NULL;
    hf_store_t *st = hf_service_store(svc);
    int32_t today = hf_time_local_day(hf_clock_now_ms(), b.tz), day = today;
    const char *date = get->date;
    if (date && strcmp(date, "tomorrow") == 0)
        day = today + 1;
    else if (date && *date && strcmp(date, "today") != 0 && hf_date_parse(date, &day) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "date",
                       "date \"%s\" is not a date (YYYY-MM-DD, today or tomorrow)", date);
    if (day > today + 366)
        return hf_fail(rep, a, HF_BAD_INPUT, "date", "date %s is more than a year ahead", S(date));
    if (day > today) {
        /* a day ahead: the bag as it would be filled from what is planned for it */
        if (sched_bag_preview(st, &b, req->branch, day, agent, &rep->tasks, a) != 0 ||
            s_audit_tasks(svc, rep->tasks->tasks, rep->tasks->n_tasks, a) != 0)
            return HF_UNAVAILABLE;
        rep->result_case = HUIFANG__V1__REPLY__RESULT_TASKS;
        return HF_OK;
    }
    /* what nobody worked in an earlier bag is in today's now, not left behind */
    if (day == today && sched_roll_bags(st, &b, req->branch, agent) < 0)
        return HF_UNAVAILABLE;
    char daytxt[11];
    hf_date_format(day, daytxt);
    const char *p[] = {req->branch, agent ? agent : "", daytxt};
    /* the day's bag, plus whatever is still open from earlier bags */
    PGresult *res = hf_store_query(st, &SCHED_Q_WORKLIST_GET, 3, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    rep->tasks = s_task_list(res, b.windows, a);
    PQclear(res);
    if (sched_bag_loads(st, req->branch, daytxt, agent, rep->tasks, a) != 0 ||
        s_audit_tasks(svc, rep->tasks->tasks, rep->tasks->n_tasks, a) != 0)
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_TASKS;
    return HF_OK;
}

/* The customer of a context from row i of res, its columns from col on (CONTEXT_CUSTOMER_COLUMNS
 * or SCHED_Q_TASK_CONTEXT_CUSTOMER's), or NULL when they are NULL (no such customer). */
static Huifang__V1__Customer *s_customer_from_row(const PGresult *res, int i, int col,
                                                  hf_arena_t *a)
{
    if (PQgetisnull(res, i, col))
        return NULL;
    Huifang__V1__Customer *c = hf_new(a, Huifang__V1__Customer);
    huifang__v1__customer__init(c);
    c->id = hf_pg_int(res, i, col);
    c->branch = hf_arena_strdup(a, hf_pg_str(res, i, col + 1));
    c->name = hf_arena_strdup(a, hf_pg_str(res, i, col + 2));
    c->phone = hf_arena_strdup(a, hf_pg_str(res, i, col + 3));
    c->region = hf_arena_strdup(a, hf_pg_str(res, i, col + 4));
    c->card_type = hf_arena_strdup(a, hf_pg_str(res, i, col + 5));
    c->opted_out = hf_pg_bool(res, i, col + 6);
    c->dnd_until = hf_arena_strdup(a, hf_pg_str(res, i, col + 7));
    c->windows = hf_arena_strdup(a, hf_pg_str(res, i, col + 8));
    c->tier = hf_arena_strdup(a, hf_pg_str(res, i, col + 9));
    c->ref_date = hf_arena_strdup(a, hf_pg_str(res, i, col + 10));
    c->created_at_ms = hf_pg_int(res, i, col + 11);
    return c;
}

/* The purchases of a context from rows [from, n) of res, their columns from col on
 * (CONTEXT_PURCHASE_COLUMNS or SCHED_Q_TASK_CONTEXT_PURCHASE's); a row whose columns are
 * NULL (a customer without purchases, joined) is none. */
static void s_purchases_from_rows(const PGresult *res, int from, int col,
                                  Huifang__V1__TaskContext *ctx, hf_arena_t *a)
{
    int n = PQntuples(res);
    ctx->purchases = hf_new_array(a, Huifang__V1__Purchase *, n > from ? n - from : 1);
    for (int i = from; i < n; i++) {
        if (PQgetisnull(res, i, col))
            continue;
        Huifang__V1__Purchase *pu = hf_new(a, Huifang__V1__Purchase);
        huifang__v1__purchase__init(pu);
        pu->id = hf_pg_int(res, i, col);
        pu->customer_id = hf_pg_int(res, i, col + 1);
        pu->branch = hf_arena_strdup(a, hf_pg_str(res, i, col + 2));
        pu->product = hf_arena_strdup(a, hf_pg_str(res, i, col + 3));
        pu->quantity = (int32_t)hf_pg_int(res, i, col + 4);
        pu->price_fen = hf_pg_int(res, i, col + 5);
        pu->date = hf_arena_strdup(a, hf_pg_str(res, i, col + 6));
        pu->supply_end = hf_arena_strdup(a, hf_pg_str(res, i, col + 7));
        pu->nth = (int32_t)hf_pg_int(res, i, col + 8);
        pu->plan = hf_arena_strdup(a, hf_pg_str(res, i, col + 9));
        pu->days_of_supply = (int32_t)hf_pg_int(res, i, col + 10);
        ctx->purchases[ctx->n_purchases++] = pu;
    }
}

/* Task next's claim, made by a context's statement (SCHED_Q_TASK_CLAIM): its 12 parameters p,
 * and, once made, its event's sequence number in last. */
typedef struct {
    const char *const *p;
    int64_t last;
} s_claim_t;

/* Fills the context an agent needs before calling: the customer (read here unless
 * have_customer: ctx->customer was read with the task), purchases, earlier tasks and earlier
 * contacts with their notes; brief: the customer and purchases only. A full context's reads
 * are one statement (CONTEXT_READS), made by claim's (claim->last set) when claim is not NULL;
 * with the customer's read, one round trip. */
static int s_task_context(hf_store_t *st, Huifang__V1__Task *t, Huifang__V1__TaskContext *ctx,
                          bool brief, bool have_customer, s_claim_t *claim, hf_arena_t *a)
{
    ctx->task = t; /* its talking_points: a campaign's, an occasion's, merged greetings */
    char cid[24], tid[24];
    const char *p[] = {hf_pg_i64(cid, t->customer_id)};
    const char *ph[] = {cid, hf_pg_i64(tid, t->id)};
    const hf_query_t *qs[2];
    int np[2], nq = 0;
    const char *const *ps[2];
    if (!have_customer) {
        qs[nq] = &SCHED_Q_TASK_CONTEXT_CUSTOMER;
        np[nq] = 1;
        ps[nq++] = p;
    }
    if (brief) {
        qs[nq] = &SCHED_Q_TASK_CONTEXT_PURCHASE;
        np[nq] = 1;
        ps[nq++] = p;
    } else if (claim != NULL) {
        qs[nq] = &SCHED_Q_TASK_CLAIM;
        np[nq] = 12;
        ps[nq++] = claim->p;
    } else {
        qs[nq] = &SCHED_Q_TASK_CONTEXT;
        np[nq] = 2;
        ps[nq++] = ph;
    }
    PGresult *all[2] = {NULL, NULL};
    if (hf_store_query_all(st, nq, qs, np, ps, all) != 0)
        return -1;
    if (!have_customer) {
        ctx->customer = PQntuples(all[0]) ? s_customer_from_row(all[0], 0, 0, a) : NULL;
        PQclear(all[0]);
    }
    PGresult *res = all[nq - 1];
    if (brief) {
        s_purchases_from_rows(res, 0, 0, ctx, a);
        PQclear(res);
        return 0;
    }
    /* the kinds' rows, each kind's in its order: a row is the kind whose first column is set */
    s_purchases_from_rows(res, 0, CONTEXT_PURCHASE_COLUMN, ctx, a);
    int n = PQntuples(res);
    bool numbered = false;
    ctx->history = hf_new_array(a, Huifang__V1__Task *, n > 0 ? n : 1);
    ctx->contacts = hf_new_array(a, Huifang__V1__ContactNote *, n > 0 ? n : 1);
    for (int i = 0; i < n; i++) {
        if (!PQgetisnull(res, i, 0)) {
            ctx->history[ctx->n_history++] = sched_task_from_row(res, i, a);
        } else if (!PQgetisnull(res, i, CONTEXT_CONTACT_COLUMN)) {
            const int k = CONTEXT_CONTACT_COLUMN;
            Huifang__V1__ContactNote *c = hf_new(a, Huifang__V1__ContactNote);
            huifang__v1__contact_note__init(c);
            c->contact_id = hf_pg_int(res, i, k);
            c->task_id = hf_pg_int(res, i, k + 1);
            c->logged_at_ms = hf_pg_int(res, i, k + 2);
            c->agent = hf_arena_strdup(a, hf_pg_str(res, i, k + 3));
            c->channel = hf_arena_strdup(a, hf_pg_str(res, i, k + 4));
            c->purpose = hf_arena_strdup(a, hf_pg_str(res, i, k + 5));
            c->outcome = hf_arena_strdup(a, hf_pg_str(res, i, k + 6));
            c->effect = hf_arena_strdup(a, hf_pg_str(res, i, k + 7));
            c->order_qty = (int32_t)hf_pg_int(res, i, k + 8);
            c->note = hf_arena_strdup(a, hf_pg_str(res, i, k + 9));
            ctx->contacts[ctx->n_contacts++] = c;
        } else if (claim != NULL && !PQgetisnull(res, i, CONTEXT_SEQ_COLUMN)) {
            claim->last = hf_pg_int(res, i, CONTEXT_SEQ_COLUMN);
            numbered = true;
        }
    }
    PQclear(res);
    return claim == NULL || numbered ? 0 : -1;
}

/* The candidates of res (SCHED_Q_TASK_NEXT_FIRST's, SCHED_Q_TASK_NEXT's or _MANY's rows): its
 * rows, but for the first statement's one row with NULL candidate columns (none). */
static int s_candidates(const PGresult *res)
{
    int n = PQntuples(res);
    return n == 1 && PQgetisnull(res, 0, 0) ? 0 : n;
}

/* The first of the agent's next tasks (res: SCHED_Q_TASK_NEXT_FIRST's, SCHED_Q_TASK_NEXT's or
 * _MANY's rows) that can be
 * handed out at now (its row in *row), or NULL: with the NOT_FOUND filled into rep when res
 * holds every candidate (complete), else with rep untouched. */
static Huifang__V1__Task *s_next_pick(PGresult *res, const sched_branch_t *b, const char *agent,
                                      int64_t now, bool complete, int *row, hf_reply_t *rep,
                                      hf_arena_t *a)
{
    int64_t opens = 0;
    for (int i = 0; i < s_candidates(res); i++) {
        Huifang__V1__Task *c = sched_task_from_row(res, i, a);
        sched_task_windows(c, b->windows, a);
        /* a call is handed out only inside the call windows (the branch's, narrowed by the
         * customer's own), overdue and rolled-over ones too; a callback keeps the time the
         * customer asked for */
        if (strcmp(c->state, "assigned") == 0 && strcmp(c->channel, "phone") == 0 &&
            strcmp(c->origin, "callback") != 0 && !sched_in_window(now, c->windows, b->tz)) {
            int64_t next = sched_next_window(now, c->windows, b->tz);
            if (opens == 0 || next < opens)
                opens = next;
            continue;
        }
        *row = i;
        return c;
    }
    if (!complete)
        return NULL; /* the caller reads every candidate */
    if (opens) {
        char when[17];
        hf_time_local_format(opens, b->tz, when);
        hf_fail(rep, a, HF_NOT_FOUND, "agent",
                "no task of agent %s can be called now; the next call window opens at %s", agent,
                when);
    } else {
        hf_fail(rep, a, HF_NOT_FOUND, "agent", "no task waiting for agent %s", agent);
    }
    return NULL;
}

/* What an agent's last claim saw, kept in memory (a hint, each instance its own): the agent
 * held other tasks besides the one it got, so its next ask finds it known and holding tasks —
 * what the check (sched_task_next_check) would learn from its statement, only to run the
 * command. The check takes the hint (once: the next claim sets it again) and runs the command
 * without its statement. A hint older than NEXT_HINT_MS is not taken. Wrong (the bag emptied
 * meanwhile: an absence, a cancellation), it costs the empty ask's transaction, whose answer
 * is the check's word for word. */
#define NEXT_HINT_SLOTS 16384 /* 10,000 agents of a national chain, few sharing a slot */
#define NEXT_HINT_MS 3600000  /* an hour: an agent asks again after a call of minutes */

static struct {
    char key[72];  /* branch, '\n', agent */
    int64_t at_ms; /* monotonic; 0: none */
} s_hints[NEXT_HINT_SLOTS];

/* The slot of (branch, agent) with its key in key, or -1 when the key does not fit. */
static int s_hint_slot(const char *branch, const char *agent, char key[72])
{
    int n = snprintf(key, 72, "%s\n%s", branch, agent);
    if (n < 0 || n >= 72)
        return -1;
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *c = key; *c; c++)
        h = (h ^ (uint8_t)*c) * 16777619u;
    return (int)(h % NEXT_HINT_SLOTS);
}

static void s_hint_set(const char *branch, const char *agent)
{
    char key[72];
    int i = s_hint_slot(branch, agent, key);
    if (i < 0)
        return;
    memcpy(s_hints[i].key, key, sizeof key);
    s_hints[i].at_ms = hf_clock_mono_ms();
}

/* True (and the hint gone) when the agent's last claim saw it hold more. */
static bool s_hint_take(const char *branch, const char *agent)
{
    char key[72];
    int i = s_hint_slot(branch, agent, key);
    if (i < 0 || s_hints[i].at_ms == 0 || strcmp(s_hints[i].key, key) != 0)
        return false;
    bool fresh = hf_clock_mono_ms() - s_hints[i].at_ms < NEXT_HINT_MS;
    s_hints[i].at_ms = 0;
    return fresh;
}

/* task next's answer before its transaction (hf_command_check_t): an agent's last ask of a
 * round finds its bag empty, and the transaction (BEGIN, the idempotency row, the agent with
 * the bag roll, the read, ROLLBACK: five statements) wrote nothing. One statement instead, outside
 * any transaction: is the agent known, does it hold any task assigned or claimed (any day's
 * bag: those the command would roll into today's too; rows locked by another transaction
 * count), and does the request's key hold a stored reply. The NOT_FOUND is answered here only
 * when the key holds no reply (a retry of an ask that got a task replays that task) and the
 * agent is unknown or holds nothing; everything else (and a store error) runs the command
 * as before. A failed ask stored no reply before either: a retry with its key asks again.
 * An agent whose last claim saw it hold more (s_hint_take) is not looked at: the command runs
 * (a claim's ask costs no statement here). */
int sched_task_next_check(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                          hf_arena_t *a)
{
    (void)self;
    const char *agent =
        req->task_next->agent && *req->task_next->agent ? req->task_next->agent : req->actor;
    if (req->branch == NULL || *req->branch == '\0' || agent == NULL || *agent == '\0')
        return HF_OK;
    if (s_hint_take(req->branch, agent))
        return HF_OK; /* its last claim saw it hold more: the command runs */
    hf_store_t *st = hf_service_store(svc);
    const char *p[] = {req->branch, agent, hf_service_request_key(svc)};
    PGresult *res = hf_store_query(st, &SCHED_Q_TASK_NEXT_EMPTY, 3, p);
    if (res == NULL || PQntuples(res) != 1) {
        PQclear(res);
        return HF_OK;
    }
    bool known = hf_pg_bool(res, 0, 0), holds = hf_pg_bool(res, 0, 1), held = hf_pg_bool(res, 0, 2),
         branch = hf_pg_bool(res, 0, 3);
    PQclear(res);
    if (held || !branch)
        return HF_OK; /* (an unknown branch: the command says so) */
    if (!known)
        return hf_fail(rep, a, HF_NOT_FOUND, "agent", "no agent %s in branch %s", agent,
                       req->branch);
    if (!holds)
        return hf_fail(rep, a, HF_NOT_FOUND, "agent", "no task waiting for agent %s", agent);
    return HF_OK; /* rep untouched: the command runs */
}

/* task next's refusal (rc, filled into rep) before its first statement claimed the key: the
 * key claimed now (hf_service_claim_key), so that a key answered before is answered with its
 * stored reply, as when the framework claimed it first. rc, or what the claim says. */
static int s_refused_claim(hf_service_t *svc, int rc)
{
    if (rc == HF_UNAVAILABLE)
        return rc;
    int seen = hf_service_claim_key(svc);
    return seen == 0 ? rc : seen > 0 ? HF_CONFLICT : HF_UNAVAILABLE;
}

int sched_task_next(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                    hf_arena_t *a)
{
    (void)self;
    sched_branch_t b;
    int rc;
    const char *agent =
        req->task_next->agent && *req->task_next->agent ? req->task_next->agent : req->actor;
    /* the idempotency key is claimed here (claims_key): by the first statement below, or on a
     * refusal before it by the framework's statement (a key answered before is answered with
     * its stored reply, whatever the request now says) */
    if (req->branch == NULL || *req->branch == '\0' || agent == NULL || *agent == '\0') {
        /* refused before any statement of its own, the branch first, as always */
        if ((rc = s_need_branch(svc, req, &b, rep, a)) != HF_OK)
            return s_refused_claim(svc, rc);
        return s_refused_claim(
            svc, hf_fail(rep, a, HF_BAD_INPUT, "agent", "agent is required (--agent or --as)"));
    }
    hf_store_t *st = hf_service_store(svc);
    /* in one statement (SCHED_Q_TASK_NEXT_FIRST): the request's key claimed, the earliest day
     * of the bags holding its tasks still assigned and whether the agent is known, the branch
     * (not read apart: sched_branch_get's read is a round trip of its own whenever intake's
     * stream moved since it kept it), and its next tasks with their customers (a task the
     * agent already holds comes back first: a crashed client loses nothing); when bags of
     * earlier days hold some, they are rolled into today's bag (the roll look locks them, as
     * the house timer's does) and the next tasks read again */
    const char *key = hf_service_request_key(svc);
    const char *p[] = {req->branch, agent};
    const char *pr[] = {req->branch, agent, key ? key : "", hf_request_command_name(req)};
    PGresult *res = hf_store_query(st, &SCHED_Q_TASK_NEXT_FIRST, 4, pr);
    if (res == NULL)
        return HF_UNAVAILABLE;
    const int f = TASK_NEXT_FIRST_COLUMN;
    bool fresh = hf_pg_bool(res, 0, f + 2);
    hf_service_key_claimed(svc, fresh);
    if (!fresh) {
        /* answered before: the framework rolls back and sends the stored reply */
        PQclear(res);
        return HF_CONFLICT;
    }
    if (PQgetisnull(res, 0, f + 3)) {
        PQclear(res);
        return hf_fail(rep, a, HF_BAD_INPUT, "branch", "unknown branch %s", req->branch);
    }
    /* (cut to the buffers as sched_branch_get cuts them) */
    snprintf(b.tz, sizeof b.tz, "%s", hf_pg_str(res, 0, f + 3));
    snprintf(b.windows, sizeof b.windows, "%s", hf_pg_str(res, 0, f + 4));
    if (!hf_pg_bool(res, 0, f + 1)) {
        PQclear(res);
        return hf_fail(rep, a, HF_NOT_FOUND, "agent", "no agent %s in branch %s", agent,
                       req->branch);
    }
    if (!PQgetisnull(res, 0, f) &&
        hf_pg_int(res, 0, f) < hf_time_local_day(hf_clock_now_ms(), b.tz)) {
        PQclear(res);
        if (sched_roll_bags(st, &b, req->branch, agent) < 0 ||
            (res = hf_store_query(st, &SCHED_Q_TASK_NEXT, 2, p)) == NULL)
            return HF_UNAVAILABLE;
    }
    int64_t now = hf_clock_now_ms();
    int row = 0;
    Huifang__V1__Task *t =
        s_next_pick(res, &b, agent, now, s_candidates(res) < NEXT_FEW, &row, rep, a);
    if (t == NULL && s_candidates(res) >= NEXT_FEW) {
        /* none of the first few can be called now: every candidate (NEXT_CANDIDATES), as
         * the pick and the answer when there is none (the next window of them all) need */
        PQclear(res);
        if ((res = hf_store_query(st, &SCHED_Q_TASK_NEXT_MANY, 2, p)) == NULL)
            return HF_UNAVAILABLE;
        t = s_next_pick(res, &b, agent, now, true, &row, rep, a);
    }
    Huifang__V1__TaskContext *ctx = hf_new(a, Huifang__V1__TaskContext);
    huifang__v1__task_context__init(ctx);
    if (t != NULL)
        ctx->customer = s_customer_from_row(res, row, TASK_NCOLUMNS, a);
    if (t != NULL && s_candidates(res) > 1)
        s_hint_set(req->branch, agent); /* it holds more: its next ask needs no check */
    PQclear(res);
    if (t == NULL)
        return rep->status;
    if (strcmp(t->state, "assigned") != 0) {
        /* a task it holds already, handed out again: the reads, the audit row with the COMMIT */
        if (s_task_context(st, t, ctx, false, true, NULL, a) != 0 ||
            s_audit_tasks(svc, &t, 1, a) != 0)
            return HF_UNAVAILABLE;
        rep->result_case = HUIFANG__V1__REPLY__RESULT_TASK;
        rep->task = ctx;
        return HF_OK;
    }
    /* the move assigned -> claimed (sched_task_move's text for it), with the audit row and its
     * event's sequence number (SCHED_Q_TASK_CLAIM), in the statement of the context's reads,
     * after them: SCHED_Q_TASK_NEXT locked the row, so it finds it assigned. The number locks the
     * scheduler's counter row until the COMMIT, the next round trip (every other writer of an
     * event — the other instance's claims, assignments, the applied logs — waits for it
     * meanwhile), as hf_outbox_reserve's statement did when it came before the COMMIT; the
     * statement takes it last, after its UPDATE and audit row. */
    if (!sched_task_move_allowed("assigned", "claimed"))
        return HF_UNAVAILABLE;
    char id[24], at[24], ids[24], cid[24];
    const char *pu[12] = {hf_pg_i64(id, t->id), hf_pg_i64(at, now), hf_service_name(svc)};
    int64_t customers[1] = {t->customer_id};
    /* (outside a command, $4 NULL: no audit row, as hf_service_audit writes none) */
    if (hf_service_audit_values(svc, customers, t->customer_id > 0 ? 1 : 0, ids, sizeof ids,
                                pu + 3) != 0)
        memset(pu + 3, 0, sizeof(pu[0]) * 8);
    pu[11] = hf_pg_i64(cid, t->customer_id);
    s_claim_t claim = {pu, 0};
    if (s_task_context(st, t, ctx, false, true, &claim, a) != 0)
        return HF_UNAVAILABLE;
    hf_service_events_reserved(svc, 1, claim.last);
    t->state = "claimed";
    t->claims++;
    if (sched_emit_task(svc, HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_CLAIMED, t) != 0)
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_TASK;
    rep->task = ctx;
    return HF_OK;
}

int sched_task_show(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                    hf_arena_t *a)
{
    (void)self;
    bool err;
    hf_store_t *st = hf_service_store(svc);
    Huifang__V1__Task *t = sched_load_task(st, req->task_show->id, false, a, &err);
    if (t == NULL)
        return err ? HF_UNAVAILABLE
                   : hf_fail(rep, a, HF_NOT_FOUND, "id", "no task %lld",
                             (long long)req->task_show->id);
    /* another branch's task is not found, exactly like one that does not exist */
    if (strcmp(S(req->branch), t->branch) != 0)
        return hf_fail(rep, a, HF_NOT_FOUND, "id", "no task %lld in branch %s",
                       (long long)req->task_show->id, S(req->branch));
    sched_branch_t b;
    bool missing;
    if (sched_branch_get(st, t->branch, &b, &missing) == 0)
        sched_task_windows(t, b.windows, a);
    Huifang__V1__TaskContext *ctx = hf_new(a, Huifang__V1__TaskContext);
    huifang__v1__task_context__init(ctx);
    if (s_task_context(st, t, ctx, req->task_show->brief, false, NULL, a) != 0 ||
        s_audit_tasks(svc, &t, 1, a) != 0)
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_TASK;
    rep->task = ctx;
    return HF_OK;
}

/* A brief task show (calllog's, for the task a call log names) answered before any
 * transaction (hf_command_check_t), in one statement (SCHED_Q_TASK_SHOW_BRIEF_AUDIT): it reads
 * the task, its customer and purchases and writes the audit row sched_task_show would (only
 * for a task of the request's branch) — where BEGIN, the task, the customer, the purchases and
 * COMMIT with the audit row took three round trips, and the reads and the row two statements.
 * The reply is the same, the failures too (an unknown task, another branch's: nothing
 * audited). The branch's windows come with the rows too: no round trip for the branch either.
 * A full show, and a store error here, run the command as before. */
int sched_task_show_check(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                          hf_arena_t *a)
{
    (void)self;
    if (!req->task_show->brief)
        return HF_OK;
    hf_store_t *st = hf_service_store(svc);
    int64_t id = req->task_show->id;
    char idtxt[24];
    const char *p[] = {hf_pg_i64(idtxt, id)};
    const char *pa[HF_AUDIT_NPARAMS + 1];
    /* outside a command (a test calling it) there is no audit row to write */
    bool audited = hf_service_audit_params(svc, pa);
    pa[HF_AUDIT_NPARAMS] = idtxt;
    /* (through the pipeline, as when it was two statements: a link lost as it went is not
     * sent again, which could write the audit row twice) */
    const hf_query_t *qs[] = {audited ? &SCHED_Q_TASK_SHOW_BRIEF_AUDIT : &SCHED_Q_TASK_SHOW_BRIEF};
    const int np[] = {audited ? HF_AUDIT_NPARAMS + 1 : 1};
    const char *const *ps[] = {audited ? pa : p};
    PGresult *res = NULL;
    if (hf_store_query_all(st, 1, qs, np, ps, &res) != 0) {
        hf_warn("task_show_check_failed", "task=%lld reason=\"%s\"", (long long)id,
                hf_store_error(st));
        return HF_OK; /* the command runs, as before */
    }
    Huifang__V1__Task *t = PQntuples(res) ? sched_task_from_row(res, 0, a) : NULL;
    if (t == NULL) {
        PQclear(res);
        return hf_fail(rep, a, HF_NOT_FOUND, "id", "no task %lld", (long long)id);
    }
    /* another branch's task is not found, exactly like one that does not exist */
    if (strcmp(S(req->branch), t->branch) != 0) {
        PQclear(res);
        return hf_fail(rep, a, HF_NOT_FOUND, "id", "no task %lld in branch %s", (long long)id,
                       S(req->branch));
    }
    Huifang__V1__TaskContext *ctx = hf_new(a, Huifang__V1__TaskContext);
    huifang__v1__task_context__init(ctx);
    ctx->task = t;
    ctx->customer = s_customer_from_row(res, 0, TASK_NCOLUMNS, a);
    s_purchases_from_rows(res, 0, TASK_NCOLUMNS + 12, ctx, a);
    /* the branch's windows came with the rows (as sched_branch_get keeps them: cut to its
     * buffer); no such branch: the customer's own, as when the branch's read failed */
    if (!PQgetisnull(res, 0, TASK_SHOW_BRIEF_WINDOWS)) {
        sched_branch_t b;
        snprintf(b.windows, sizeof b.windows, "%s", hf_pg_str(res, 0, TASK_SHOW_BRIEF_WINDOWS));
        sched_task_windows(t, b.windows, a);
    }
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_TASK;
    rep->task = ctx;
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * task release, task skip: a claimed task given back or ended unworked
 * ------------------------------------------------------------------------------------- */

/* Loads task id of the request's branch, locked, and checks that it is claimed and that the
 * actor holds it or is a supervisor. HF_OK with *out, or the failure filled into rep: 2 no
 * id or no actor, 3 unknown task, 4 another agent's task or not claimed. */
static int s_claimed_task(hf_service_t *svc, const hf_request_t *req, int64_t id, const char *what,
                          Huifang__V1__Task **out, hf_reply_t *rep, hf_arena_t *a)
{
    sched_branch_t b;
    int rc;
    *out = NULL;
    if ((rc = s_need_branch(svc, req, &b, rep, a)) != HF_OK)
        return rc;
    if (id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "id", "id is required (a task id)");
    const char *actor = S(req->actor);
    if (*actor == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "actor",
                       "only the agent holding the task or a supervisor may %s: say who you are"
                       " with --as",
                       what);
    bool err;
    Huifang__V1__Task *t = sched_load_task(hf_service_store(svc), id, true, a, &err);
    if (t == NULL || strcmp(t->branch, req->branch) != 0)
        return err ? HF_UNAVAILABLE
                   : hf_fail(rep, a, HF_NOT_FOUND, "id", "no task %lld in branch %s", (long long)id,
                             req->branch);
    if (strcmp(actor, t->agent) != 0 &&
        (rc = s_need_supervisor(
             svc, req, hf_arena_printf(a, "%s held by %s", what, *t->agent ? t->agent : "nobody"),
             rep, a)) != HF_OK)
        return rc;
    if (strcmp(t->state, "claimed") != 0)
        return hf_fail(rep, a, HF_CONFLICT, "id",
                       "task %lld is %s, not claimed: only a claimed task can be released or"
                       " skipped",
                       (long long)id, t->state);
    sched_task_windows(t, b.windows, a);
    *out = t;
    return HF_OK;
}

/* Replies with the task alone (no customer context; the task names the customer and the
 * phone, so the reply is audited). */
static int s_reply_task(hf_service_t *svc, hf_reply_t *rep, Huifang__V1__Task *t, hf_arena_t *a)
{
    if (s_audit_tasks(svc, &t, 1, a) != 0)
        return HF_UNAVAILABLE;
    Huifang__V1__TaskContext *ctx = hf_new(a, Huifang__V1__TaskContext);
    huifang__v1__task_context__init(ctx);
    ctx->task = t;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_TASK;
    rep->task = ctx;
    return HF_OK;
}

/* task release ID: the claim ends and the task goes back into the same agent's date bag
 * (assigned, same bag date), where `task next` hands it out again — to that agent: a bag is
 * the agent's day of work, and moving it to a colleague is what `agent absent` does. The
 * claim counter stays, so a call log of the released claim is refused (calllog asks for the
 * task's state). TaskAssigned tells reporting the claim ended without a contact. A holder
 * deactivated since the claim has no bag to go back to: the task goes to the queue
 * (planned) and the assigner places it with a colleague. */
int sched_task_release(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                       hf_arena_t *a)
{
    (void)self;
    Huifang__V1__Task *t;
    int rc = s_claimed_task(svc, req, req->task_release->id, "release a task", &t, rep, a);
    if (rc != HF_OK)
        return rc;
    hf_store_t *st = hf_service_store(svc);
    char role[16];
    if (hf_replica_agent_role(st, t->branch, t->agent, true, role, sizeof role) != 0)
        return HF_UNAVAILABLE;
    char id[24], at[24];
    const char *p[] = {hf_pg_i64(id, t->id), hf_pg_i64(at, hf_clock_now_ms())};
    if (*role == '\0') {
        /* the holder was deactivated meanwhile: the queue, for a colleague (nothing is
         * published until it is assigned again, as for a roll-over) */
        if (sched_task_move(st, "claimed", "planned",
                            &(sched_move_t){.set =
                                                "agent = '', bag_date = NULL, reserved_agent = '',"
                                                " updated_at_ms = $2",
                                            .where = "id = $1",
                                            .reindex = true},
                            2, p) < 0)
            return HF_UNAVAILABLE;
        t->state = "planned";
        t->agent = "";
        t->bag_date = "";
        t->reserved_agent = "";
    } else {
        if (sched_task_move(st, "claimed", "assigned",
                            &(sched_move_t){.set = "updated_at_ms = $2", .where = "id = $1"}, 2,
                            p) < 0)
            return HF_UNAVAILABLE;
        t->state = "assigned";
        if (sched_emit_task(svc, HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_ASSIGNED, t) != 0)
            return HF_UNAVAILABLE;
    }
    hf_info("task_released", "task=%lld agent=%s by=%s", (long long)t->id, t->agent, S(req->actor));
    return s_reply_task(svc, rep, t, a);
}

/* task skip ID --reason R: the claimed step ends unworked (done, outcome skipped, the reason
 * kept on the task); the plan goes on with its next step as after any outcome that ends a
 * step. TaskCompleted carries it to reporting. */
int sched_task_skip(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                    hf_arena_t *a)
{
    (void)self;
    const char *reason = S(req->task_skip->reason);
    while (*reason == ' ')
        reason++;
    if (*reason == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "reason", "reason is required (why it is skipped)");
    if (strlen(reason) > 200)
        return hf_fail(rep, a, HF_BAD_INPUT, "reason", "reason is longer than 200 bytes");
    Huifang__V1__Task *t;
    int rc = s_claimed_task(svc, req, req->task_skip->id, "skip a task", &t, rep, a);
    if (rc != HF_OK)
        return rc;
    char id[24], at[24];
    const char *p[] = {hf_pg_i64(id, t->id), hf_pg_i64(at, hf_clock_now_ms()), reason};
    if (sched_task_move(hf_service_store(svc), "claimed", "done",
                        &(sched_move_t){.set = "outcome = 'skipped', skip_reason = $3,"
                                               " updated_at_ms = $2, deadline_ms = 0",
                                        .where = "id = $1"},
                        3, p) < 0)
        return HF_UNAVAILABLE;
    t->state = "done";
    t->outcome = "skipped";
    t->skip_reason = hf_arena_strdup(a, reason);
    if (sched_emit_task(svc, HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_COMPLETED, t) != 0)
        return HF_UNAVAILABLE;
    hf_info("task_skipped", "task=%lld agent=%s by=%s", (long long)t->id, t->agent, S(req->actor));
    return s_reply_task(svc, rep, t, a);
}

/* ---------------------------------------------------------------------------------------
 * queue stats / rebuild
 * ------------------------------------------------------------------------------------- */

int sched_queue_stats(hf_service_t *svc, void *selfp, const hf_request_t *req, hf_reply_t *rep,
                      hf_arena_t *a)
{
    sched_t *self = selfp;
    (void)req; /* every branch: ops look at the whole due-index at once */
    PGresult *res = hf_store_query(hf_service_store(svc), &SCHED_Q_QUEUE_STATS, 0, NULL);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__QueueStatsResult *r = hf_new(a, Huifang__V1__QueueStatsResult);
    huifang__v1__queue_stats_result__init(r);
    int n = PQntuples(res);
    r->branches = hf_new_array(a, Huifang__V1__QueueBranchStats *, n > 0 ? n : 1);
    /* every branch's counts in one round trip */
    const char **names = hf_new_array(a, const char *, n > 0 ? n : 1);
    hf_queue_counts_t *counts = hf_new_array(a, hf_queue_counts_t, n > 0 ? n : 1);
    for (int i = 0; i < n; i++)
        names[i] = hf_arena_strdup(a, hf_pg_str(res, i, 0));
    if (hf_queue_stats_many(self->queue, names, n, hf_clock_now_ms(), SCHED_DAY_MS, counts) != 0) {
        PQclear(res);
        return hf_fail(rep, a, HF_UNAVAILABLE, NULL, "the due-index (Redis) is unavailable: %s",
                       hf_queue_error(self->queue));
    }
    for (int i = 0; i < n; i++) {
        Huifang__V1__QueueBranchStats *b = hf_new(a, Huifang__V1__QueueBranchStats);
        huifang__v1__queue_branch_stats__init(b);
        b->branch = (char *)names[i];
        b->planned = hf_pg_int(res, i, 1);
        b->due = counts[i].due;
        b->leased = counts[i].leased;
        b->overdue = counts[i].overdue;
        r->branches[r->n_branches++] = b;
    }
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_QUEUE_STATS;
    rep->queue_stats = r;
    return HF_OK;
}

int sched_queue_rebuild(hf_service_t *svc, void *selfp, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a)
{
    sched_t *self = selfp;
    hf_store_t *st = hf_service_store(svc);
    const char *branch = req->branch && *req->branch ? req->branch : NULL;
    if (branch) {
        sched_branch_t b;
        int rc = s_need_branch(svc, req, &b, rep, a);
        if (rc != HF_OK)
            return rc;
        if (hf_queue_clear(self->queue, branch) != 0)
            return hf_fail(rep, a, HF_UNAVAILABLE, NULL, "the due-index (Redis) is unavailable: %s",
                           hf_queue_error(self->queue));
    }
    const char *p[] = {branch};
    /* mark, and let the index timer put them back in batches after this commits; a task
     * leased while its branch was cleared is marked too, once its batch lets go of it */
    if (hf_store_query_run(st, &SCHED_Q_QUEUE_REBUILD, 1, p) != 0)
        return HF_UNAVAILABLE;
    hf_info("index_rebuild", "reason=command branch=%s", branch ? branch : "(all)");
    return sched_queue_stats(svc, selfp, req, rep, a);
}

/* ---------------------------------------------------------------------------------------
 * plan list / show / add / step
 * ------------------------------------------------------------------------------------- */

/* Fills rep with the templates the branch sees (its own over the defaults), or just code. */
static int s_templates(hf_service_t *svc, const char *branch, const char *code, hf_reply_t *rep,
                       hf_arena_t *a)
{
    const char *p[] = {S(branch), code};
    PGresult *res = hf_store_query(hf_service_store(svc), &SCHED_Q_TEMPLATES, 2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__PlanTemplates *r = hf_new(a, Huifang__V1__PlanTemplates);
    huifang__v1__plan_templates__init(r);
    int n = PQntuples(res);
    r->templates = hf_new_array(a, Huifang__V1__PlanTemplate *, n > 0 ? n : 1);
    Huifang__V1__PlanTemplate *cur = NULL;
    for (int i = 0; i < n; i++) {
        if (cur == NULL || strcmp(cur->code, hf_pg_str(res, i, 0)) != 0) {
            cur = hf_new(a, Huifang__V1__PlanTemplate);
            huifang__v1__plan_template__init(cur);
            cur->code = hf_arena_strdup(a, hf_pg_str(res, i, 0));
            const char *own = hf_pg_str(res, i, 10);
            /* a branch's own version says so in its name, so nobody edits the wrong one */
            cur->name = *own && *S(branch)
                            ? hf_arena_printf(a, "%s [%s]", hf_pg_str(res, i, 1), own)
                            : hf_arena_strdup(a, hf_pg_str(res, i, 1));
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

int sched_plan_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                    hf_arena_t *a)
{
    (void)self;
    const char *code = req->command_case == HUIFANG__V1__REQUEST__COMMAND_PLAN_SHOW
                           ? S(req->plan_show->code)
                           : NULL;
    return s_templates(svc, req->branch, code, rep, a);
}

/* A branch editing templates must exist; "" edits the defaults. */
static int s_template_branch(hf_service_t *svc, const hf_request_t *req, hf_reply_t *rep,
                             hf_arena_t *a)
{
    if (req->branch == NULL || *req->branch == '\0')
        return HF_OK;
    sched_branch_t b;
    return s_need_branch(svc, req, &b, rep, a);
}

/* Copies the default template code (with its steps) to branch when the branch has none of
 * its own. Returns 1 when the branch now has it, 0 when there is no such template, -1. */
static int s_own_copy(hf_store_t *st, const char *branch, const char *code)
{
    const char *p[] = {branch, code};
    PGresult *res = hf_store_query(st, &SCHED_Q_OWN_COPY_PLAN_TEMPLATE_INSERT, 2, p);
    if (res == NULL)
        return -1;
    int copied = PQntuples(res);
    PQclear(res);
    if (copied && hf_store_query_run(st, &SCHED_Q_OWN_COPY_PLAN_STEP_INSERT, 2, p) != 0)
        return -1;
    res = hf_store_query(st, &SCHED_Q_OWN_COPY_PLAN_TEMPLATE, 2, p);
    if (res == NULL)
        return -1;
    int has = PQntuples(res);
    PQclear(res);
    return has ? 1 : 0;
}

int sched_plan_add(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                   hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__PlanAdd *pa = req->plan_add;
    int rc;
    if (!s_code_ok(pa->code, 40))
        return hf_fail(rep, a, HF_BAD_INPUT, "code",
                       "template code \"%s\" must be 1 to 40 lower-case letters, digits or '-'",
                       S(pa->code));
    if (pa->name == NULL || *pa->name == '\0' || strlen(pa->name) > 200)
        return hf_fail(rep, a, HF_BAD_INPUT, "name", "name is required (at most 200 bytes)");
    if ((rc = s_template_branch(svc, req, rep, a)) != HF_OK)
        return rc;
    hf_store_t *st = hf_service_store(svc);
    const char *branch = S(req->branch);
    const char *p[] = {branch, pa->code, pa->name};
    PGresult *res = hf_store_query(st, &SCHED_Q_PLAN_ADD_PLAN_TEMPLATE_INSERT, 3, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int added = PQntuples(res);
    PQclear(res);
    if (!added)
        return hf_fail(rep, a, HF_CONFLICT, "code", "plan template %s already exists%s%s", pa->code,
                       *branch ? " in branch " : " among the defaults", branch);
    /* a branch's own version of a default starts as a copy of the default's steps */
    if (*branch && hf_store_query_run(st, &SCHED_Q_OWN_COPY_PLAN_STEP_INSERT, 2, p) != 0)
        return HF_UNAVAILABLE;
    hf_info("plan_template_added", "branch=%s template=%s", *branch ? branch : "(default)",
            pa->code);
    return s_templates(svc, branch, pa->code, rep, a);
}

int sched_plan_step_set(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__PlanStepSet *ps = req->plan_step_set;
    const Huifang__V1__PlanStep *s = ps->step;
    int rc;
    if (!s_code_ok(ps->code, 40))
        return hf_fail(rep, a, HF_BAD_INPUT, "code",
                       "template code \"%s\" must be 1 to 40 lower-case letters, digits or '-'",
                       S(ps->code));
    if (s == NULL || s->step_no < 1 || s->step_no > 99)
        return hf_fail(rep, a, HF_BAD_INPUT, "step", "step must be a number from 1 to 99");
    if (!ps->remove) {
        if (!s_one_of(s->anchor, s_anchors))
            return hf_fail(rep, a, HF_BAD_INPUT, "anchor",
                           "anchor \"%s\" must be purchase, supply_end, previous or ref_date",
                           S(s->anchor));
        if (s->offset_days < -365 || s->offset_days > 3650)
            return hf_fail(rep, a, HF_BAD_INPUT, "offset", "offset must be -365 to 3650 days");
        if (s->window_days < 0 || s->window_days > 60)
            return hf_fail(rep, a, HF_BAD_INPUT, "window", "window must be 0 to 60 days");
        if (s->repeat_days < 0 || s->repeat_days > 365)
            return hf_fail(rep, a, HF_BAD_INPUT, "repeat", "repeat must be 0 to 365 days");
        if (!s_code_ok(s->purpose, 23))
            return hf_fail(rep, a, HF_BAD_INPUT, "purpose",
                           "purpose \"%s\" must be 1 to 23 lower-case letters, digits or '-'"
                           " (e.g. care, repurchase, reaction)",
                           S(s->purpose));
        if (!s_one_of(s->channel, s_channels))
            return hf_fail(rep, a, HF_BAD_INPUT, "channel",
                           "channel \"%s\" must be phone, visit, letter or wechat", S(s->channel));
        if (!s_one_of(s->role, s_roles))
            return hf_fail(rep, a, HF_BAD_INPUT, "role",
                           "role \"%s\" must be phone, consult, visit, doctor, deliver, lead, head"
                           " or manager",
                           S(s->role));
    }
    if ((rc = s_template_branch(svc, req, rep, a)) != HF_OK)
        return rc;
    hf_store_t *st = hf_service_store(svc);
    const char *branch = S(req->branch);
    int has;
    if (*branch) {
        has = s_own_copy(st, branch, ps->code);
    } else {
        const char *p[] = {ps->code};
        PGresult *res = hf_store_query(st, &SCHED_Q_PLAN_STEP_SET_PLAN_TEMPLATE, 1, p);
        has = res ? PQntuples(res) : -1;
        if (res)
            PQclear(res);
    }
    if (has < 0)
        return HF_UNAVAILABLE;
    if (has == 0)
        return hf_fail(rep, a, HF_NOT_FOUND, "code", "no plan template %s (add it with plan add)",
                       ps->code);
    char no[16], off[16], win[16], rep_d[16];
    hf_pg_i64(no, s->step_no);
    if (ps->remove) {
        const char *p[] = {branch, ps->code, no};
        PGresult *res = hf_store_query(st, &SCHED_Q_PLAN_STEP_SET_PLAN_STEP_DELETE, 3, p);
        if (res == NULL)
            return HF_UNAVAILABLE;
        int gone = PQntuples(res);
        PQclear(res);
        if (!gone)
            return hf_fail(rep, a, HF_NOT_FOUND, "step", "template %s has no step %d", ps->code,
                           s->step_no);
    } else {
        const char *p[] = {branch,
                           ps->code,
                           no,
                           s->anchor,
                           hf_pg_i64(off, s->offset_days),
                           hf_pg_i64(win, s->window_days),
                           hf_pg_i64(rep_d, s->repeat_days),
                           s->purpose,
                           s->channel,
                           s->role};
        if (hf_store_query_run(st, &SCHED_Q_PLAN_STEP_SET_PLAN_STEP_INSERT, 10, p) != 0)
            return HF_UNAVAILABLE;
        const char *pc[] = {branch, ps->code};
        PGresult *res = hf_store_query(st, &SCHED_Q_PLAN_STEP_SET_PLAN_STEP, 2, pc);
        if (res == NULL)
            return HF_UNAVAILABLE;
        int64_t count = hf_pg_int(res, 0, 0);
        PQclear(res);
        if (count > MAX_TEMPLATE_STEPS)
            return hf_fail(rep, a, HF_BAD_INPUT, "step", "a template has at most %d steps",
                           MAX_TEMPLATE_STEPS);
    }
    hf_info("plan_step_set", "branch=%s template=%s step=%d removed=%d",
            *branch ? branch : "(default)", ps->code, s->step_no, ps->remove ? 1 : 0);
    return s_templates(svc, branch, ps->code, rep, a);
}

/* ---------------------------------------------------------------------------------------
 * agent absent
 * ------------------------------------------------------------------------------------- */

int sched_agent_absent(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                       hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__AgentAbsent *ab = req->agent_absent;
    sched_branch_t b;
    int rc;
    if ((rc = s_need_branch(svc, req, &b, rep, a)) != HF_OK)
        return rc;
    if (ab->agent == NULL || *ab->agent == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "agent", "agent is required");
    int32_t from, until;
    if (ab->from == NULL || hf_date_parse(ab->from, &from) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "from", "from \"%s\" is not a date (YYYY-MM-DD)",
                       S(ab->from));
    if (ab->until == NULL || *ab->until == '\0')
        until = from;
    else if (hf_date_parse(ab->until, &until) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "until", "until \"%s\" is not a date (YYYY-MM-DD)",
                       ab->until);
    if (until < from)
        return hf_fail(rep, a, HF_BAD_INPUT, "until", "until %s is before from %s", S(ab->until),
                       ab->from);
    if (until - from > 366)
        return hf_fail(rep, a, HF_BAD_INPUT, "until", "an absence lasts at most a year");
    /* recorded from a month back (a sick day told late) to a year ahead, never 1969 */
    int32_t today = hf_time_local_day(hf_clock_now_ms(), b.tz);
    if (from < today - 31 || from > today + 366)
        return hf_fail(rep, a, HF_BAD_INPUT, "from",
                       "from %s is out of bounds: an absence starts within a month back and a"
                       " year ahead",
                       ab->from);
    if ((rc = s_need_agent(svc, req, ab->agent, rep, a)) != HF_OK)
        return rc;
    char ftxt[11], utxt[11], at[24];
    hf_date_format(from, ftxt);
    hf_date_format(until, utxt);
    const char *p[] = {req->branch, ab->agent, ftxt, utxt, hf_pg_i64(at, hf_clock_now_ms())};
    if (hf_store_query_run(hf_service_store(svc), &SCHED_Q_AGENT_ABSENT, 5, p) != 0)
        return HF_UNAVAILABLE;
    Huifang__V1__AgentAbsentResult *r = hf_new(a, Huifang__V1__AgentAbsentResult);
    huifang__v1__agent_absent_result__init(r);
    r->agent = hf_arena_strdup(a, ab->agent);
    r->from = hf_arena_strdup(a, ftxt);
    r->until = hf_arena_strdup(a, utxt);
    if ((rc = sched_move_absent(svc, req->branch, ab->agent, from, until, r, a)) != HF_OK)
        return rc;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_AGENT_ABSENT;
    rep->agent_absent = r;
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * supervisor alerts
 * ------------------------------------------------------------------------------------- */

static Huifang__V1__SupervisorAlert *s_alert_from_row(const PGresult *res, int i, hf_arena_t *a)
{
    Huifang__V1__SupervisorAlert *al = hf_new(a, Huifang__V1__SupervisorAlert);
    huifang__v1__supervisor_alert__init(al);
    al->id = hf_pg_int(res, i, 0);
    al->branch = hf_arena_strdup(a, hf_pg_str(res, i, 1));
    al->kind = hf_arena_strdup(a, hf_pg_str(res, i, 2));
    al->customer_id = hf_pg_int(res, i, 3);
    al->task_id = hf_pg_int(res, i, 4);
    al->agent = hf_arena_strdup(a, hf_pg_str(res, i, 5));
    al->detail = hf_arena_strdup(a, hf_pg_str(res, i, 6));
    al->raised_at_ms = hf_pg_int(res, i, 7);
    al->acked_at_ms = hf_pg_int(res, i, 8);
    al->acked_by = hf_arena_strdup(a, hf_pg_str(res, i, 9));
    return al;
}

int sched_supervisor_alert_list(hf_service_t *svc, void *self, const hf_request_t *req,
                                hf_reply_t *rep, hf_arena_t *a)
{
    (void)self;
    const char *branch = req->branch && *req->branch ? req->branch : NULL;
    const char *p[] = {branch, req->supervisor_alert_list->all ? "true" : "false"};
    PGresult *res = hf_store_query(hf_service_store(svc), &SCHED_Q_SUPERVISOR_ALERT_LIST, 2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__SupervisorAlerts *r = hf_new(a, Huifang__V1__SupervisorAlerts);
    huifang__v1__supervisor_alerts__init(r);
    int n = PQntuples(res);
    r->alerts = hf_new_array(a, Huifang__V1__SupervisorAlert *, n > 0 ? n : 1);
    for (int i = 0; i < n; i++)
        r->alerts[r->n_alerts++] = s_alert_from_row(res, i, a);
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_SUPERVISOR_ALERTS;
    rep->supervisor_alerts = r;
    return HF_OK;
}

int sched_supervisor_alert_ack(hf_service_t *svc, void *self, const hf_request_t *req,
                               hf_reply_t *rep, hf_arena_t *a)
{
    (void)self;
    int64_t id = req->supervisor_alert_ack->id;
    if (id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "id", "alert id must be a number from 1 up");
    if (req->actor == NULL || *req->actor == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "actor", "who acknowledges it? (--as)");
    char idtxt[24], at[24];
    /* only an alert of the request's branch: another branch's is "not found" */
    const char *branch = S(req->branch);
    const char *p[] = {hf_pg_i64(idtxt, id), branch, req->actor, hf_pg_i64(at, hf_clock_now_ms())};
    hf_store_t *st = hf_service_store(svc);
    PGresult *res = hf_store_query(st, &SCHED_Q_SUPERVISOR_ALERT_ACK_ALERT, 2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int found = PQntuples(res);
    bool acked = found && hf_pg_int(res, 0, 0) > 0;
    PQclear(res);
    if (!found)
        return hf_fail(rep, a, HF_NOT_FOUND, "id", "no alert %lld in branch %s", (long long)id,
                       branch);
    if (acked)
        return hf_fail(rep, a, HF_CONFLICT, "id", "alert %lld was acknowledged already",
                       (long long)id);
    res = hf_store_query(st, &SCHED_Q_SUPERVISOR_ALERT_ACK_ALERT_UPDATE, 4, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__SupervisorAlerts *r = hf_new(a, Huifang__V1__SupervisorAlerts);
    huifang__v1__supervisor_alerts__init(r);
    r->alerts = hf_new_array(a, Huifang__V1__SupervisorAlert *, 1);
    r->alerts[r->n_alerts++] = s_alert_from_row(res, 0, a);
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_SUPERVISOR_ALERTS;
    rep->supervisor_alerts = r;
    return HF_OK;
}
