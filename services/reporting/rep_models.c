/* rep_models: the read models, built from every producer's events.
 *
 * Each handler runs in the transaction that also records the producer's sequence, so each
 * event takes effect exactly once; a restart replays from the stored sequence. Producers
 * are consumed independently, so an event may be applied before an event of another
 * producer that happened earlier (after a restart, intake's replay may still be running
 * while calllog's is applied). Where a fact depends on another producer's earlier event —
 * a contact on a task the scheduler has not yet been seen to claim, an order of a customer
 * intake has not yet been seen to register — the handler answers -1: the framework rolls
 * back and retries a second later, by which time the other stream has caught up. Only
 * facts that are certain to come are waited for (each is committed before the event that
 * needs it could happen), so nothing waits forever.
 *
 * The scheduler announces cancelled steps only per plan (PlanEnded: "its open steps were
 * cancelled"); the steps it cancels on the spot are mirrored here from the events that
 * cause them, by its rules: a new plan archives the customer's earlier ones, a refusal or a
 * wrong number ends every open step of the customer, a screening too, an opt-out cancels
 * the steps still planned. Whichever comes first wins and the second finds nothing left to
 * cancel; a TaskCompleted with state "cancelled", or any later event about a task we thought
 * cancelled, is taken as the truth. */
#include "hf_log.h"
#include "hf_replica.h"
#include "hf_time.h"
#include "rep_period.h"
#include "reporting_internal.h"
#include "reporting_sql.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")
#define NO_NEXT_GAP 9999

typedef struct {
    hf_service_t *svc;
    hf_store_t *st;
    const hf_envelope_t *env;
    const char *branch;
    char tz[64];
    char day[11]; /* local date of the event */
    hf_arena_t *arena;
} s_ctx_t;

/* ---- counters added up per batch ------------------------------------------------------
 *
 * The framework applies events in batches (hf_service_on_batch). The rollups are counters,
 * only ever added to (no handler reads them), so what the events of a batch add to one row
 * is summed here — every column of the row together (an agent's attempts, contacts and
 * closes of a call are one row of agent_day) — and written once, by rep_batch_end inside the
 * batch's transaction before it commits: one statement per table (reporting_sql.h,
 * REP_Q_*_ADD: the rows as arrays); a batch rolled back forgets it. A batch of a lead import
 * thus writes its day's lead and card counters once, not once per lead; a batch of a call's
 * events writes each table it adds to once, not once per column and event. */

#define DELTA_KEYS 6
#define DELTA_COLS 10
#define DELTA_SLOTS 4096 /* a power of two; written out early at three quarters full */

/* A rollup table: its statement (the keys' arrays, then a bigint[] per column) and the
 * counter columns, in the statement's order. */
typedef struct {
    const hf_query_t *q;
    int nkeys;
    const char *cols[DELTA_COLS + 1];
} s_rollup_t;

static const s_rollup_t s_rollups[REP_ROLLUPS] = {
    [REP_EVENT_TALLY] = {&REP_Q_EVENT_TALLY_ADD, 4, {"n"}},
    [REP_AGENT_DAY] = {&REP_Q_AGENT_DAY_ADD,
                       3,
                       {"tasks_due", "opened", "closed", "attempts", "contacts", "orders",
                        "complaints", "consultations", "consult_bought", "visits"}},
    [REP_BRANCH_DAY] = {&REP_Q_BRANCH_DAY_ADD,
                        2,
                        {"tasks_due", "opened", "closed", "attempts", "contacts", "orders",
                         "complaints", "consultations", "consult_bought", "visits"}},
    [REP_AGENT_MONTH] = {&REP_Q_AGENT_MONTH_ADD, 3, {"net"}},
    [REP_BRANCH_MONTH] = {&REP_Q_BRANCH_MONTH_ADD, 2, {"net"}},
    [REP_STEP_DAY] = {&REP_Q_STEP_DAY_ADD, 2, {"planned", "on_time", "late", "cancelled"}},
    [REP_STEP_MONTH] = {&REP_Q_STEP_MONTH_ADD, 2, {"open"}},
    [REP_COMPLAINT_DAY] = {&REP_Q_COMPLAINT_DAY_ADD,
                           2,
                           {"escalations", "returns_requested", "returns_approved",
                            "returns_rejected", "refund_fen", "risks"}},
    [REP_CARD_COUNT] = {&REP_Q_CARD_COUNT_ADD, 2, {"n"}},
    [REP_CARD_FLOW_DAY] = {&REP_Q_CARD_FLOW_DAY_ADD, 5, {"n"}},
    [REP_LEAD_DAY] = {&REP_Q_LEAD_DAY_ADD, 5, {"registered", "merged", "rejected"}},
    [REP_SCREEN_DAY] = {&REP_Q_SCREEN_DAY_ADD, 3, {"n"}},
    [REP_REPURCHASE_MONTH] = {&REP_Q_REPURCHASE_MONTH_ADD, 5, {"n"}},
    [REP_ORDER_DAY] = {&REP_Q_ORDER_DAY_ADD, 4, {"orders", "units"}},
    [REP_ORDER_MONTH] = {&REP_Q_ORDER_MONTH_ADD, 5, {"orders", "units"}},
};

typedef struct {
    bool used;
    int rollup;
    char *keys[DELTA_KEYS];
    int64_t n[DELTA_COLS];
} s_delta_t;

static s_delta_t s_deltas[DELTA_SLOTS];
static int s_used[DELTA_SLOTS]; /* the slots taken, in the order they were: s_ndeltas of them */
static int s_ndeltas;

/* ---- the branches' zones, kept -----------------------------------------------------------
 *
 * A branch's zone changes almost never, and every dated event needs it: the zones read are
 * kept across batches (s_zone), found by a hash of the code in at most ZONE_PROBES slots (a
 * national chain's ~1,000 branches all kept). Only intake's branch_upserted writes the copy
 * (rep_on_branch), so the zones kept are current while intake's stream holds no branch event
 * not seen here:
 * - applying a branch_upserted forgets them all, and none is kept from the transaction that
 *   applied it (it may still roll back: hf_store_tx_serial tells it apart);
 * - the intake events this instance sees (any payload, applied by it or not) from the
 *   sequence the zones are current at on, none a branch_upserted, move clean_to; when intake's
 *   applied sequence (hf_service_applied: by this instance or another) has moved past
 *   clean_to — another instance applied events not seen here — they are all forgotten. */

#define ZONE_SLOTS 2048
#define ZONE_PROBES 8

static struct {
    uint64_t gen;      /* a slot of an older generation is empty */
    uint64_t stamp;    /* intake's applied sequence the zones are current at */
    uint64_t clean_to; /* intake's events (stamp, clean_to] were seen: none a branch_upserted */
    bool written;      /* the copy written in transaction written_tx (hf_store_tx_serial) */
    uint64_t written_tx;
    struct {
        uint64_t gen;
        char branch[32];
        char tz[64];
    } slot[ZONE_SLOTS];
} s_zones = {.gen = 1};

/* Forgets every zone kept, and keeps none read in st's open transaction (it wrote the copy). */
static void s_zones_forget(hf_store_t *st)
{
    s_zones.gen++;
    s_zones.written = true;
    s_zones.written_tx = hf_store_tx_serial(st);
}

/* Notes an event of intake's seen (before it is applied): a branch_upserted forgets them. */
static void s_zones_seen(hf_store_t *st, const hf_envelope_t *env)
{
    if (strcmp(S(env->producer), "intake") != 0)
        return;
    if (env->payload_case == HUIFANG__V1__ENVELOPE__PAYLOAD_BRANCH_UPSERTED)
        s_zones_forget(st);
    else if (env->seq == s_zones.clean_to + 1)
        s_zones.clean_to = env->seq;
}

/* The slot of branch: the one keeping it, else an empty one, else the first probed. */
static int s_zone_slot(const char *branch)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *b = branch; *b; b++)
        h = (h ^ (uint8_t)*b) * 16777619u;
    int first = (int)(h % ZONE_SLOTS), empty = -1;
    for (int k = 0; k < ZONE_PROBES; k++) {
        int i = (first + k) % ZONE_SLOTS;
        if (s_zones.slot[i].gen != s_zones.gen) {
            if (empty < 0)
                empty = i;
        } else if (strcmp(s_zones.slot[i].branch, branch) == 0) {
            return i;
        }
    }
    return empty >= 0 ? empty : first;
}

static uint64_t s_delta_hash(int rollup, int nkeys, const char *const *keys)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)(rollup + 1);
    for (int i = 0; i < nkeys; i++) {
        for (const char *s = keys[i]; *s; s++)
            h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        h = (h ^ 0xff) * 1099511628211ULL;
    }
    return h;
}

static void s_deltas_forget(void)
{
    for (int i = 0; i < s_ndeltas; i++) {
        s_delta_t *d = &s_deltas[s_used[i]];
        for (int k = 0; k < s_rollups[d->rollup].nkeys; k++)
            free(d->keys[k]);
        memset(d, 0, sizeof *d);
    }
    s_ndeltas = 0;
}

/* Rows by table, then in the order of their keys, so that two transactions adding to the
 * same rows lock them in the same order. */
static int s_delta_cmp(const void *a, const void *b)
{
    const s_delta_t *x = *(const s_delta_t *const *)a, *y = *(const s_delta_t *const *)b;
    if (x->rollup != y->rollup)
        return x->rollup < y->rollup ? -1 : 1;
    if (x->rollup < 0)
        return 0; /* left out: no order needed */
    for (int k = 0; k < s_rollups[x->rollup].nkeys; k++) {
        int c = strcmp(x->keys[k], y->keys[k]);
        if (c != 0)
            return c;
    }
    return 0;
}

/* The Postgres array literal of the rows' key k (each element quoted) or, k < 0, of their
 * column -k - 1; malloc'd, NULL when out of memory. */
static char *s_delta_array(s_delta_t *const *rows, int n, int k)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return NULL;
    fputc('{', f);
    for (int r = 0; r < n; r++) {
        if (r > 0)
            fputc(',', f);
        if (k < 0) {
            fprintf(f, "%lld", (long long)rows[r]->n[-k - 1]);
            continue;
        }
        fputc('"', f);
        for (const char *c = rows[r]->keys[k]; *c; c++) {
            if (*c == '"' || *c == '\\')
                fputc('\\', f);
            fputc(*c, f);
        }
        fputc('"', f);
    }
    fputc('}', f);
    bool ok = !ferror(f);
    if (fclose(f) != 0 || !ok) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Hands every summed counter to the batch's commit (hf_store_defer: sent with the COMMIT, in
 * one round trip) and forgets them: one statement per rollup table, its rows as arrays (a
 * batch of a lead import touches a hundred rows of lead_day alone: channel x source x
 * collector). A row that adds nothing is left out. 0 or -1. */
static int s_deltas_write(hf_store_t *st)
{
    static s_delta_t *rows[DELTA_SLOTS];
    int nrows = 0;
    for (int i = 0; i < s_ndeltas; i++) {
        s_delta_t *d = &s_deltas[s_used[i]];
        bool any = false;
        for (int k = 0; k < DELTA_COLS; k++)
            any = any || d->n[k] != 0;
        rows[nrows++] = d;
        if (!any)
            d->rollup = -1 - d->rollup; /* counted, but adds nothing: left out */
    }
    qsort(rows, (size_t)nrows, sizeof rows[0], s_delta_cmp);
    int rc = 0;
    for (int from = 0, to; from < nrows && rc == 0; from = to) {
        int r = rows[from]->rollup;
        for (to = from + 1; to < nrows && rows[to]->rollup == r;)
            to++;
        if (r < 0)
            continue;
        const s_rollup_t *ru = &s_rollups[r];
        int ncols = 0;
        while (ncols < DELTA_COLS && ru->cols[ncols])
            ncols++;
        char *params[DELTA_KEYS + DELTA_COLS] = {0};
        int np = ru->nkeys + ncols;
        for (int k = 0; k < np && rc == 0; k++)
            if ((params[k] = s_delta_array(rows + from, to - from,
                                           k < ru->nkeys ? k : -(k - ru->nkeys) - 1)) == NULL)
                rc = -1;
        if (rc == 0)
            rc = hf_store_defer(st, ru->q->sql, np, (const char *const *)params);
        for (int k = 0; k < np; k++)
            free(params[k]);
    }
    for (int i = 0; i < nrows; i++) {
        s_delta_t *d = rows[i];
        int r = d->rollup < 0 ? -1 - d->rollup : d->rollup;
        for (int k = 0; k < s_rollups[r].nkeys; k++)
            free(d->keys[k]);
        memset(d, 0, sizeof *d);
    }
    s_ndeltas = 0;
    return rc;
}

/* Adds n to the column of rollup table rollup in the row of keys (the table's keys, in its
 * statement's order), at the end of the batch. 0, -1, or -2 for a column the table has not. */
static int s_count(s_ctx_t *c, int rollup, const char *column, const char *const *keys, int64_t n)
{
    if (n == 0)
        return 0;
    if (rollup < 0 || rollup >= REP_ROLLUPS)
        return -2;
    const s_rollup_t *ru = &s_rollups[rollup];
    int col = 0;
    while (col < DELTA_COLS && ru->cols[col] && strcmp(ru->cols[col], column) != 0)
        col++;
    if (col == DELTA_COLS || ru->cols[col] == NULL)
        return -2;
    if (s_ndeltas >= DELTA_SLOTS / 4 * 3) {
        if (s_deltas_write(c->st) != 0)
            return -1;
    }
    int nkeys = ru->nkeys;
    uint64_t h = s_delta_hash(rollup, nkeys, keys);
    for (size_t i = h & (DELTA_SLOTS - 1);; i = (i + 1) & (DELTA_SLOTS - 1)) {
        s_delta_t *d = &s_deltas[i];
        if (!d->used) {
            for (int k = 0; k < nkeys; k++) {
                if ((d->keys[k] = strdup(keys[k])) == NULL) {
                    while (k-- > 0)
                        free(d->keys[k]);
                    return -1;
                }
            }
            d->used = true;
            d->rollup = rollup;
            d->n[col] = n;
            s_used[s_ndeltas++] = (int)i;
            return 0;
        }
        if (d->rollup != rollup)
            continue;
        int k = 0;
        while (k < nkeys && strcmp(d->keys[k], keys[k]) == 0)
            k++;
        if (k == nkeys) {
            d->n[col] += n;
            return 0;
        }
    }
}

static int s_cards_write(hf_store_t *st, bool at_end);
static void s_cards_forget(void);
static int s_plans_write(hf_store_t *st);
static void s_plans_forget(void);
static int s_tasks_write(hf_store_t *st);
static void s_tasks_forget(void);
static int s_cchanges_write(hf_store_t *st);
static void s_cchanges_forget(void);
static int s_calls_write(hf_service_t *svc, hf_store_t *st);
static void s_calls_forget(void);

int rep_batch_end(hf_service_t *svc, void *self, bool commit)
{
    (void)self;
    if (!commit) {
        s_calls_forget();
        s_plans_forget();
        s_cards_forget();
        s_tasks_forget();
        s_cchanges_forget();
        s_deltas_forget();
        return 0;
    }
    /* the calls, the plans, the cards and the task events first: applying them adds to the
     * counters (when calls are held, nothing else is) */
    if (s_calls_write(svc, hf_service_store(svc)) != 0 ||
        s_plans_write(hf_service_store(svc)) != 0 ||
        s_cards_write(hf_service_store(svc), true) != 0 ||
        s_tasks_write(hf_service_store(svc)) != 0 || s_cchanges_write(hf_service_store(svc)) != 0) {
        s_calls_forget();
        s_tasks_forget();
        s_cchanges_forget();
        s_deltas_forget();
        return -1;
    }
    return s_deltas_write(hf_service_store(svc));
}

int rep_count(hf_service_t *svc, int rollup, const char *column, const char *const *keys, int64_t n)
{
    s_ctx_t c = {0};
    c.st = hf_service_store(svc);
    return s_count(&c, rollup, column, keys, n);
}

/* The branch's zone (kept: s_zones above): 0, 1 when the branch is unknown, -1 on a store
 * error. */
static int s_zone(s_ctx_t *c)
{
    uint64_t applied = hf_service_applied(c->svc, "intake");
    if (applied != s_zones.stamp) {
        if (applied < s_zones.stamp || applied > s_zones.clean_to) {
            s_zones.gen++;
            s_zones.clean_to = applied;
        }
        s_zones.stamp = applied;
    }
    bool keep = strlen(c->branch) < sizeof s_zones.slot[0].branch &&
                !(s_zones.written && hf_store_in_tx(c->st) &&
                  hf_store_tx_serial(c->st) == s_zones.written_tx);
    int at = keep ? s_zone_slot(c->branch) : -1;
    if (at >= 0 && s_zones.slot[at].gen == s_zones.gen &&
        strcmp(s_zones.slot[at].branch, c->branch) == 0) {
        snprintf(c->tz, sizeof c->tz, "%s", s_zones.slot[at].tz);
        return 0;
    }
    int rc = hf_replica_branch(c->st, c->branch, c->tz, sizeof c->tz, NULL, 0);
    if (rc == 0 && at >= 0) {
        s_zones.slot[at].gen = s_zones.gen;
        snprintf(s_zones.slot[at].branch, sizeof s_zones.slot[at].branch, "%s", c->branch);
        snprintf(s_zones.slot[at].tz, sizeof s_zones.slot[at].tz, "%s", c->tz);
    }
    return rc;
}

/* ---- helpers ------------------------------------------------------------------------- */

/* The local date of ms in the context's zone. */
static void s_local(const s_ctx_t *c, int64_t ms, char *out)
{
    hf_time_local_date(ms > 0 ? ms : c->env->occurred_at_ms, c->tz, out);
}

/* A Postgres text[] literal of items, each quoted. */
static char *s_pg_array(hf_arena_t *a, char **items, size_t n)
{
    size_t len = 3;
    for (size_t i = 0; i < n; i++)
        len += 2 * strlen(S(items[i])) + 3;
    char *out = hf_arena_alloc(a, len);
    char *o = out;
    *o++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *o++ = ',';
        *o++ = '"';
        for (const char *s = S(items[i]); *s; s++) {
            if (*s == '"' || *s == '\\')
                *o++ = '\\';
            *o++ = *s;
        }
        *o++ = '"';
    }
    *o++ = '}';
    *o = '\0';
    return out;
}

/* Adds to one counter column of agent_day, and the same to the branch's row of branch_day
 * (and opened - closed to agent_month and branch_month): the branch's rollups are the sums
 * of its agents' rows, kept in the same batch so that they commit together. column is one of
 * ours, never input. */
static int s_agent_add(s_ctx_t *c, const char *agent, const char *day, const char *column, int n)
{
    if (agent == NULL || *agent == '\0' || n == 0)
        return 0;
    const char *p[] = {c->branch, agent, day};
    const char *pb[] = {c->branch, day};
    int rc = s_count(c, REP_AGENT_DAY, column, p, n);
    if (rc == 0)
        rc = s_count(c, REP_BRANCH_DAY, column, pb, n);
    if (rc != 0)
        return rc;
    bool opened = strcmp(column, "opened") == 0;
    if (!opened && strcmp(column, "closed") != 0)
        return 0;
    int32_t d;
    char month[11];
    if (hf_date_parse(day, &d) != 0)
        return -2;
    hf_date_format(rep_month_start(d), month);
    const char *pm[] = {c->branch, agent, month};
    const char *pbm[] = {c->branch, month};
    if (s_count(c, REP_AGENT_MONTH, "net", pm, opened ? n : -n) != 0)
        return -1;
    return s_count(c, REP_BRANCH_MONTH, "net", pbm, opened ? n : -n);
}

/* Adds n to one counter column of step_day for due day, and what it changes of the steps
 * left open (planned adds, the others take away) to step_month of the due day's month. */
static int s_step_add(s_ctx_t *c, const char *due_day, const char *column, int n)
{
    if (n == 0)
        return 0;
    const char *p[] = {c->branch, due_day};
    int rc = s_count(c, REP_STEP_DAY, column, p, n);
    if (rc != 0)
        return rc;
    int32_t d;
    char month[11];
    if (hf_date_parse(due_day, &d) != 0)
        return -2;
    hf_date_format(rep_month_start(d), month);
    const char *pm[] = {c->branch, month};
    return s_count(c, REP_STEP_MONTH, "open", pm, strcmp(column, "planned") == 0 ? n : -n);
}

static int s_complaint_day_add(s_ctx_t *c, const char *column, int64_t n)
{
    if (n == 0)
        return 0;
    const char *p[] = {c->branch, c->day};
    return s_count(c, REP_COMPLAINT_DAY, column, p, n);
}

/* Cancels the customer's tasks in one of states (a Postgres text[] literal) outside plan
 * keep_plan (0: none kept): closes their open assignments today and counts them cancelled
 * on their due days, in the agents' rollups and the branch's alike (one statement, in the
 * event's transaction like the per-batch counters). */
static int s_cancel_plan_tasks(s_ctx_t *c, int64_t customer_id, const char *states,
                               int64_t keep_plan, int64_t only_plan)
{
    /* only steps planned by then: replayed late, an event must not reach later plans */
    char cid[24], plan[24], only[24], at[24];
    const char *p[] = {hf_pg_i64(cid, customer_id), states, hf_pg_i64(plan, keep_plan),
                       hf_pg_i64(only, only_plan), hf_pg_i64(at, c->env->occurred_at_ms)};
    PGresult *res = hf_store_query(c->st, &REP_Q_CANCEL_TASKS, 5, p);
    if (res == NULL)
        return -1;
    /* each step cancelled on its due day; an open assignment closed today (its branch's) */
    int rc = 0;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
        s_ctx_t b = *c;
        b.branch = hf_pg_str(res, i, 0);
        const char *state = hf_pg_str(res, i, 2);
        bool open = strcmp(state, "assigned") == 0 || strcmp(state, "claimed") == 0;
        if (s_step_add(&b, hf_pg_str(res, i, 1), "cancelled", 1) != 0 ||
            (open && s_agent_add(&b, hf_pg_str(res, i, 3), c->day, "closed", 1) != 0))
            rc = -1;
    }
    PQclear(res);
    return rc;
}
static int s_cancel_tasks(s_ctx_t *c, int64_t customer_id, const char *states, int64_t keep_plan)
{
    return s_cancel_plan_tasks(c, customer_id, states, keep_plan, 0);
}

/* ---- cards --------------------------------------------------------------------------- */

static int s_card_count(s_ctx_t *c, const char *type, int n)
{
    const char *p[] = {c->branch, type};
    return s_count(c, REP_CARD_COUNT, "n", p, n);
}

/* Counts a card moving from one type to another ("" from: a new card) today, its row
 * written already. */
static int s_card_moved(s_ctx_t *c, const char *from, const char *to, const char *reason)
{
    const char *pf[] = {c->branch, c->day, from, to, reason};
    if ((*from && s_card_count(c, from, -1) != 0) || s_card_count(c, to, 1) != 0)
        return -1;
    return s_count(c, REP_CARD_FLOW_DAY, "n", pf, 1);
}

/* Records a card moving from one type to another ("" from: a new card) today. */
static int s_card_move(s_ctx_t *c, int64_t id, const char *from, const char *to, const char *reason)
{
    char cid[24];
    const char *pu[] = {hf_pg_i64(cid, id), to, reason};
    if (*from && hf_store_query_run(c->st, &REP_Q_CARD_MOVE_CUSTOMER_SET_CARD_TYPE, 3, pu) != 0)
        return -1;
    return s_card_moved(c, from, to, reason);
}

/* The card a card_type_changed left (s_cchange_apply, as the batch's held changes are
 * applied), for the customer_updated intake publishes right after it (intake_card_set): that
 * event's handler takes the card from here instead of reading it again. Valid for the next event of
 * intake's stream in the same transaction only (s_card_memo_take, at the start of every event), or
 * the one after an opted_out of the same customer in between (a refusal's events). */
static struct {
    bool set;
    uint64_t tx;  /* hf_store_tx_serial */
    uint64_t seq; /* the card_type_changed's (or the opted_out's after it) */
    int64_t id;
    char type[32];
    int64_t merged;
    char region[64];
} s_card_memo;
static bool s_card_memo_valid;

static void s_card_memo_take(hf_store_t *st, const hf_envelope_t *env)
{
    bool next = s_card_memo.set && hf_store_in_tx(st) && s_card_memo.tx == hf_store_tx_serial(st) &&
                strcmp(S(env->producer), "intake") == 0 && env->seq == s_card_memo.seq + 1;
    s_card_memo_valid = false;
    if (next && env->payload_case == HUIFANG__V1__ENVELOPE__PAYLOAD_OPTED_OUT &&
        env->opted_out->customer_id == s_card_memo.id) {
        /* a refusal's: card_type_changed, opted_out, customer_updated (intake_on_call_logged).
         * An opt-out writes no card (rep_on_opted_out: the steps still planned cancelled): the
         * card is the memo's still, for the event after it */
        s_card_memo.seq = env->seq;
        return;
    }
    s_card_memo_valid =
        next && env->payload_case == HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_UPDATED;
    s_card_memo.set = false;
}

/* Applies a customer's card as an event published it: creates it, or notes a new region,
 * a change of card type (with the void reason) and a merge. */
static int s_customer_apply(s_ctx_t *c, const Huifang__V1__Customer *cu)
{
    if (cu == NULL || cu->id <= 0)
        return 0;
    char cid[24];
    const char *pk[] = {hf_pg_i64(cid, cu->id)};
    const char *to = *S(cu->card_type) ? cu->card_type : "new";
    const char *reason = strcmp(to, "void") == 0 ? S(cu->void_reason) : "";
    bool known;
    char type[32] = "";
    int64_t merged = 0;
    bool same_region = false;
    if (s_card_memo_valid && s_card_memo.id == cu->id) {
        /* the card_type_changed just before read (and locked) it */
        known = true;
        snprintf(type, sizeof type, "%s", s_card_memo.type);
        merged = s_card_memo.merged;
        same_region = strcmp(s_card_memo.region, S(cu->region)) == 0;
    } else {
        PGresult *res = hf_store_query(c->st, &REP_Q_CUSTOMER_APPLY_LOCK, 1, pk);
        if (res == NULL)
            return -1;
        known = PQntuples(res) == 1;
        if (known) {
            snprintf(type, sizeof type, "%s", hf_pg_str(res, 0, 0));
            merged = hf_pg_int(res, 0, 1);
            same_region = strcmp(hf_pg_str(res, 0, 2), S(cu->region)) == 0;
        }
        PQclear(res);
    }
    s_card_memo_valid = false;
    if (!known) {
        const char *p[] = {cid, c->branch, S(cu->region), to, reason};
        if (hf_store_query_run(c->st, &REP_Q_CUSTOMER_APPLY_ADD, 5, p) != 0)
            return -1;
        if (s_card_move(c, cu->id, "", to, reason) != 0)
            return -1;
    } else {
        if (*S(cu->region) && !same_region) {
            const char *p[] = {cid, cu->region};
            if (hf_store_query_run(c->st, &REP_Q_CUSTOMER_APPLY_SET_REGION, 2, p) != 0)
                return -1;
        }
        if (merged == 0 && *S(cu->card_type) && strcmp(type, to) != 0 &&
            s_card_move(c, cu->id, type, to, reason) != 0)
            return -1;
    }
    if (cu->merged_into > 0 && merged == 0) {
        char into[24];
        const char *p[] = {cid, hf_pg_i64(into, cu->merged_into)};
        if (hf_store_query_run(c->st, &REP_Q_CUSTOMER_APPLY_SET_MERGED_INTO, 2, p) != 0 ||
            s_card_count(c, known ? type : to, -1) != 0)
            return -1;
    }
    return 0;
}

/* ---- cards made and merged per batch -----------------------------------------------------
 *
 * A lead import's events each register a lead whose card is most often new, or merge a lead
 * into a card (a repeat). Both are held here and written with the rest of the batch's at its
 * end (s_cards_write, from rep_batch_end): the new cards by one INSERT, their counters added
 * then; then the cards merged into (and any "new" one that existed already), read by one
 * SELECT ... FOR UPDATE and applied in event order as s_customer_apply would, their new
 * regions written by one UPDATE. Only lead_registered and lead_merged events hold cards; any
 * other event's handler that may read the customer table has them written first
 * (s_cards_needed), as has a lead registered for a card held, so each event still sees what
 * the events before it did. */

#define HELD_CARDS 1024

typedef struct {
    int64_t id;
    char *branch, *region, *type, *reason;
    char day[11];
    bool merge;    /* a lead merged into it (else a lead registered it) */
    bool has_type; /* the event named its card type */
} s_card_t;

/* A card merged into, as read from the store and changed by the events held. */
typedef struct {
    int64_t id;
    char type[32];
    char *region;
    int64_t merged;
    bool moved; /* region changed */
} s_card_state_t;

static int s_state_cmp(const void *a, const void *b)
{
    int64_t x = ((const s_card_state_t *)a)->id, y = ((const s_card_state_t *)b)->id;
    return (x > y) - (x < y);
}

static s_card_t s_cards[HELD_CARDS];
static int s_ncards;

static void s_cards_forget(void)
{
    for (int i = 0; i < s_ncards; i++) {
        free(s_cards[i].branch);
        free(s_cards[i].region);
        free(s_cards[i].type);
        free(s_cards[i].reason);
    }
    s_ncards = 0;
}

static bool s_card_held(int64_t id)
{
    for (int i = 0; i < s_ncards; i++)
        if (s_cards[i].id == id)
            return true;
    return false;
}

/* Appends an element (quoted when quote) to the Postgres array literal in buf at *len, grown
 * as needed, with room left for the closing brace. 0 or -1. */
static int s_buf_add(char **buf, size_t *len, size_t *cap, const char *s, bool quote)
{
    size_t need = *len + 2 * strlen(s) + 6;
    if (need > *cap) {
        size_t cap2 = need * 2;
        char *b = realloc(*buf, cap2);
        if (b == NULL)
            return -1;
        *buf = b;
        *cap = cap2;
    }
    char *o = *buf + *len;
    *o++ = *len == 0 ? '{' : ',';
    if (quote)
        *o++ = '"';
    for (; *s; s++) {
        if (quote && (*s == '"' || *s == '\\'))
            *o++ = '\\';
        *o++ = *s;
    }
    if (quote)
        *o++ = '"';
    *len = (size_t)(o - *buf);
    return 0;
}

static int s_id_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Array literals of n values got by fn(i) (quoted when quote); NULL on no memory. */
typedef const char *(*s_value_fn)(int i, char *buf);

static char *s_array(int n, s_value_fn fn, bool quote)
{
    char *arr = NULL, buf[24];
    size_t len = 0, cap = 0;
    for (int i = 0; i < n; i++) {
        const char *v = fn(i, buf);
        if (v && s_buf_add(&arr, &len, &cap, v, quote) != 0) {
            free(arr);
            return NULL;
        }
    }
    if (arr == NULL) {
        arr = strdup("{}");
        return arr;
    }
    arr[len] = '}';
    arr[len + 1] = '\0';
    return arr;
}

/* The held cards' fields, for s_array: NULL skips the card. */
static const char *s_new_id(int i, char *buf)
{
    return s_cards[i].merge ? NULL : hf_pg_i64(buf, s_cards[i].id);
}
static const char *s_new_branch(int i, char *buf)
{
    (void)buf;
    return s_cards[i].merge ? NULL : s_cards[i].branch;
}
static const char *s_new_region(int i, char *buf)
{
    (void)buf;
    return s_cards[i].merge ? NULL : s_cards[i].region;
}
static const char *s_new_type(int i, char *buf)
{
    (void)buf;
    return s_cards[i].merge ? NULL : s_cards[i].type;
}
static const char *s_new_reason(int i, char *buf)
{
    (void)buf;
    return s_cards[i].merge ? NULL : s_cards[i].reason;
}
static const char *s_any_id(int i, char *buf)
{
    return hf_pg_i64(buf, s_cards[i].id);
}

/* The states read (s_cards_write), for s_array. */
static s_card_state_t *s_states;
static int s_nstates;
static const char *s_moved_id(int i, char *buf)
{
    return s_states[i].moved ? hf_pg_i64(buf, s_states[i].id) : NULL;
}
static const char *s_moved_region(int i, char *buf)
{
    (void)buf;
    return s_states[i].moved ? s_states[i].region : NULL;
}

/* Runs q's text with the array parameters, planned for them each time (not prepared: a
 * plan cached while the customer table was small, as in a rebuild from the replay, scans it
 * whole for every batch until Postgres next analyzes it; 100,000 cards in, a batch took
 * 0.5-1 s instead of 3-10 ms). The result, or NULL (error kept on the store, or an array
 * was not made). */
static PGresult *s_exec_arrays(hf_store_t *st, const hf_query_t *q, int n, char **arr)
{
    for (int i = 0; i < n; i++)
        if (arr[i] == NULL)
            return NULL;
    return hf_store_exec_unprepared(st, q->sql, n, (const char *const *)arr);
}

/* Writes the held cards (inside the batch's transaction) and forgets them; at_end (the
 * batch's end, no handler left to read them), their new regions go with the commit
 * (hf_store_defer), as the counters do. 0 or -1. */
static int s_cards_write(hf_store_t *st, bool at_end)
{
    if (s_ncards == 0)
        return 0;
    int rc = 0;
    /* one statement: the new cards made, and every card held that existed before it read
     * and locked (the read sees the store as it was before the INSERT); a card made now is
     * known as held */
    int64_t *made = NULL;
    int nmade = 0;
    s_states = NULL;
    s_nstates = 0;
    char *arr[6] = {s_array(s_ncards, s_new_id, false),    s_array(s_ncards, s_new_branch, true),
                    s_array(s_ncards, s_new_region, true), s_array(s_ncards, s_new_type, true),
                    s_array(s_ncards, s_new_reason, true), s_array(s_ncards, s_any_id, false)};
    PGresult *res = s_exec_arrays(st, &REP_Q_CARDS_WRITE, 6, arr);
    for (int f = 0; f < 6; f++)
        free(arr[f]);
    if (res == NULL) {
        rc = -1;
    } else {
        int rows = PQntuples(res);
        made = malloc(sizeof *made * (size_t)(rows ? rows : 1));
        s_states = calloc((size_t)(rows ? rows : 1), sizeof *s_states);
        if (made == NULL || s_states == NULL)
            abort();
        for (int i = 0; i < rows; i++) {
            int64_t id = hf_pg_int(res, i, 1);
            s_card_state_t *t = &s_states[s_nstates++];
            t->id = id;
            if (hf_pg_bool(res, i, 0)) {
                made[nmade++] = id;
                /* as the INSERT made it: its held values */
                for (int k = 0; k < s_ncards; k++)
                    if (!s_cards[k].merge && s_cards[k].id == id) {
                        snprintf(t->type, sizeof t->type, "%s", s_cards[k].type);
                        t->region = strdup(s_cards[k].region);
                        break;
                    }
            } else {
                snprintf(t->type, sizeof t->type, "%s", hf_pg_str(res, i, 2));
                t->merged = hf_pg_int(res, i, 3);
                t->region = strdup(hf_pg_str(res, i, 4));
            }
            if (t->region == NULL)
                abort();
        }
        PQclear(res);
        qsort(made, (size_t)nmade, sizeof *made, s_id_cmp);
        qsort(s_states, (size_t)s_nstates, sizeof *s_states, s_state_cmp);
    }
    /* in event order, as s_customer_apply would have applied each */
    for (int i = 0; i < s_ncards && rc == 0; i++) {
        const s_card_t *k = &s_cards[i];
        s_ctx_t c = {0};
        c.st = st;
        c.branch = k->branch;
        snprintf(c.day, sizeof c.day, "%s", k->day);
        if (!k->merge && bsearch(&k->id, made, (size_t)nmade, sizeof *made, s_id_cmp)) {
            rc = s_card_move(&c, k->id, "", k->type, k->reason);
            continue;
        }
        s_card_state_t key = {.id = k->id};
        s_card_state_t *t =
            bsearch(&key, s_states, (size_t)s_nstates, sizeof *s_states, s_state_cmp);
        if (t == NULL) {
            /* unknown here (its registration not seen): the way of one unknown */
            Huifang__V1__Customer cu = HUIFANG__V1__CUSTOMER__INIT;
            cu.id = k->id;
            cu.region = k->region;
            cu.card_type = k->has_type ? k->type : "";
            cu.void_reason = k->reason;
            rc = s_customer_apply(&c, &cu);
            continue;
        }
        if (*k->region && strcmp(t->region, k->region) != 0) {
            free(t->region);
            t->region = strdup(k->region);
            if (t->region == NULL)
                abort();
            t->moved = true;
        }
        if (t->merged == 0 && k->has_type && strcmp(t->type, k->type) != 0) {
            rc = s_card_move(&c, k->id, t->type, k->type, k->reason);
            snprintf(t->type, sizeof t->type, "%s", k->type);
        }
    }
    bool moved = false;
    for (int i = 0; i < s_nstates; i++)
        moved = moved || s_states[i].moved;
    if (rc == 0 && moved) {
        char *regions[2] = {s_array(s_nstates, s_moved_id, false),
                            s_array(s_nstates, s_moved_region, true)};
        if (regions[0] == NULL || regions[1] == NULL) {
            rc = -1;
        } else if (at_end) {
            /* at the batch's end: sent with the commit, as the counters are */
            rc = hf_store_defer_unprepared(st, REP_Q_CARDS_WRITE_REGIONS.sql, 2,
                                           (const char *const *)regions);
        } else {
            rc =
                hf_store_query_run(st, &REP_Q_CARDS_WRITE_REGIONS, 2, (const char *const *)regions);
        }
        free(regions[0]);
        free(regions[1]);
    }
    for (int i = 0; i < s_nstates; i++)
        free(s_states[i].region);
    free(s_states);
    s_states = NULL;
    s_nstates = 0;
    free(made);
    s_cards_forget();
    return rc == 0 ? 0 : -1;
}

/* Whether the handler of env may read a card held: every handler but a registered or merged
 * lead's (they hold their own), a rejected lead's (it reads no card), and an updated
 * customer's when that customer is not held (it reads only its own). */
static bool s_cards_needed(const hf_envelope_t *env)
{
    if (s_ncards == 0)
        return false;
    switch (env->payload_case) {
    case HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_REGISTERED:
    case HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_MERGED:
    case HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_REJECTED:
        return false;
    case HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_UPDATED:
        return env->customer_updated->customer && s_card_held(env->customer_updated->customer->id);
    default:
        return true;
    }
}

/* Holds the card of a registered (merge false) or merged lead for s_cards_write; false when
 * it must be applied now (merged into another, a registered lead's card held already, or no
 * room). */
static bool s_card_hold(s_ctx_t *c, const Huifang__V1__Customer *cu, bool merge)
{
    if (cu == NULL || cu->id <= 0 || cu->merged_into > 0 || s_ncards == HELD_CARDS ||
        (!merge && s_card_held(cu->id)))
        return false;
    const char *to = *S(cu->card_type) ? cu->card_type : "new";
    s_card_t *k = &s_cards[s_ncards];
    k->id = cu->id;
    k->branch = strdup(c->branch);
    k->region = strdup(S(cu->region));
    k->type = strdup(to);
    k->reason = strdup(strcmp(to, "void") == 0 ? S(cu->void_reason) : "");
    if (!k->branch || !k->region || !k->type || !k->reason)
        abort();
    snprintf(k->day, sizeof k->day, "%s", c->day);
    k->merge = merge;
    k->has_type = *S(cu->card_type) != '\0';
    s_ncards++;
    return true;
}

/* ---- organisation -------------------------------------------------------------------- */

static int rep_on_branch(s_ctx_t *c)
{
    const Huifang__V1__Branch *b = c->env->branch_upserted->branch;
    if (b == NULL || *S(b->code) == '\0')
        return -2;
    const char *tz = hf_replica_tz_or_default(b->tz);
    const char *p[] = {b->code, S(b->name), tz};
    s_zones_forget(c->st); /* its zone may change (s_zones_seen did too) */
    return hf_store_query_run(c->st, &REP_Q_ON_BRANCH_UPSERT, 3, p);
}

static int rep_on_agent(s_ctx_t *c)
{
    const Huifang__V1__Agent *ag = c->env->agent_upserted->agent;
    if (ag == NULL || *S(ag->id) == '\0')
        return -2;
    const char *branch = *S(ag->branch) ? ag->branch : c->branch;
    const char *p[] = {branch,
                       ag->id,
                       S(ag->name),
                       S(ag->role),
                       s_pg_array(c->arena, ag->regions, ag->n_regions),
                       ag->active ? "true" : "false"};
    return hf_store_query_run(c->st, &REP_Q_ON_AGENT_UPSERT, 6, p);
}

static int rep_on_product(s_ctx_t *c)
{
    const Huifang__V1__Product *pr = c->env->product_upserted->product;
    if (pr == NULL || *S(pr->code) == '\0')
        return -2;
    const char *branch = *S(pr->branch) ? pr->branch : c->branch;
    char price[24], days[24];
    const char *p[] = {branch,
                       pr->code,
                       S(pr->name),
                       hf_pg_i64(price, pr->price_fen),
                       hf_pg_i64(days, pr->days_per_unit),
                       S(pr->plan)};
    return hf_store_query_run(c->st, &REP_Q_ON_PRODUCT_UPSERT, 6, p);
}

/* ---- leads and cards ----------------------------------------------------------------- */

static int s_lead_add(s_ctx_t *c, int64_t collected_at_ms, const char *channel, const char *source,
                      const char *collector, const char *column)
{
    char day[11];
    s_local(c, collected_at_ms, day);
    const char *p[] = {c->branch, day, S(channel), S(source), S(collector)};
    return s_count(c, REP_LEAD_DAY, column, p, 1);
}

static int rep_on_lead_registered(s_ctx_t *c)
{
    const Huifang__V1__LeadRegistered *e = c->env->lead_registered;
    if (!s_card_hold(c, e->customer, false) &&
        (s_cards_write(c->st, false) != 0 || s_customer_apply(c, e->customer) != 0))
        return -1;
    return s_lead_add(c, e->collected_at_ms, e->channel, e->source, e->collector, "registered");
}

static int rep_on_lead_merged(s_ctx_t *c)
{
    const Huifang__V1__LeadMerged *e = c->env->lead_merged;
    if (!s_card_hold(c, e->customer, true) &&
        (s_cards_write(c->st, false) != 0 || s_customer_apply(c, e->customer) != 0))
        return -1;
    return s_lead_add(c, e->collected_at_ms, e->channel, e->source, e->collector, "merged");
}

static int rep_on_lead_rejected(s_ctx_t *c)
{
    const Huifang__V1__LeadRejected *e = c->env->lead_rejected;
    return s_lead_add(c, 0, e->channel, e->source, e->collector, "rejected");
}

static int rep_on_customers_merged(s_ctx_t *c)
{
    const Huifang__V1__CustomersMerged *e = c->env->customers_merged;
    char kept[24], gone[24];
    const char *p[] = {hf_pg_i64(kept, e->kept_id), hf_pg_i64(gone, e->merged_id)};
    PGresult *res = hf_store_query(c->st, &REP_Q_ON_CUSTOMERS_MERGED_LOCK, 2, p);
    if (res == NULL)
        return -1;
    char type[32] = "";
    if (PQntuples(res))
        snprintf(type, sizeof type, "%s", hf_pg_str(res, 0, 0));
    PQclear(res);
    if (*type == '\0')
        return 0;
    /* every record of the merged card now belongs to the kept one (of the steps, the open
     * ones matter: they are what a later refusal or screening of the customer cancels) */
    if (hf_store_query_run(c->st, &REP_Q_ON_CUSTOMERS_MERGED_CUSTOMER_SET_MERGED_INTO, 2, p) != 0 ||
        s_card_count(c, type, -1) != 0 ||
        hf_store_query_run(c->st, &REP_Q_ON_CUSTOMERS_MERGED_PURCHASE_SET_CUSTOMER_ID, 2, p) != 0 ||
        hf_store_query_run(c->st, &REP_Q_ON_CUSTOMERS_MERGED_TASK_SET_CUSTOMER_ID, 2, p) != 0)
        return -1;
    return 0;
}

static int rep_on_opted_out(s_ctx_t *c)
{
    /* the scheduler cancels an opted-out customer's steps as they come due */
    return s_cancel_tasks(c, c->env->opted_out->customer_id, "{planned}", 0);
}

static int rep_on_customer_screened(s_ctx_t *c)
{
    const Huifang__V1__CustomerScreened *e = c->env->customer_screened;
    const char *p[] = {c->branch, c->day, *S(e->reason) ? e->reason : "unspecified"};
    if (s_count(c, REP_SCREEN_DAY, "n", p, 1) != 0)
        return -1;
    return s_cancel_tasks(c, e->customer_id, "{planned,assigned}", 0);
}

/* ---- purchases ----------------------------------------------------------------------- */

/* Moves one purchase between gap buckets of the repurchase rollup. */
static int s_repurchase_add(s_ctx_t *c, const char *supply_end, const char *product,
                            const char *plan, int gap, int n)
{
    int32_t end;
    if (hf_date_parse(supply_end, &end) != 0)
        return -2;
    char month[11], gaptxt[24];
    hf_date_format(rep_month_start(end), month);
    const char *p[] = {c->branch, month, product, plan, hf_pg_i64(gaptxt, gap)};
    return s_count(c, REP_REPURCHASE_MONTH, "n", p, n);
}

static int rep_on_purchase_recorded(s_ctx_t *c)
{
    const Huifang__V1__PurchaseRecorded *e = c->env->purchase_recorded;
    const Huifang__V1__Purchase *pu = e->purchase;
    int32_t day, end;
    if (pu == NULL || hf_date_parse(S(pu->date), &day) != 0 ||
        hf_date_parse(S(pu->supply_end), &end) != 0)
        return -2;
    if (s_customer_apply(c, e->customer) != 0)
        return -1;
    char id[24], cid[24], qty[16], price[24], nth[16];
    const char *p[] = {hf_pg_i64(id, pu->id),
                       c->branch,
                       hf_pg_i64(cid, pu->customer_id),
                       S(pu->product),
                       S(pu->plan),
                       hf_pg_i64(qty, pu->quantity),
                       hf_pg_i64(price, pu->price_fen),
                       pu->date,
                       pu->supply_end,
                       hf_pg_i64(nth, pu->nth)};
    PGresult *res = hf_store_query(c->st, &REP_Q_ON_PURCHASE_RECORDED_ADD, 10, p);
    if (res == NULL)
        return -1;
    int inserted = PQntuples(res);
    PQclear(res);
    if (!inserted)
        return 0;
    if (s_repurchase_add(c, pu->supply_end, S(pu->product), S(pu->plan), NO_NEXT_GAP, 1) != 0)
        return -1;
    /* this purchase is the repurchase of the customer's previous one */
    const char *pp[] = {cid, nth, id};
    res = hf_store_query(c->st, &REP_Q_ON_PURCHASE_RECORDED_PREVIOUS, 3, pp);
    if (res == NULL)
        return -1;
    int rc = 0;
    if (PQntuples(res) == 1) {
        int32_t prev_end;
        hf_date_parse(hf_pg_str(res, 0, 1), &prev_end);
        int gap = day - prev_end;
        gap = gap < -1 ? -1 : gap > 367 ? 367 : gap;
        const char *pn[] = {hf_pg_str(res, 0, 0), pu->date};
        if (hf_store_query_run(c->st, &REP_Q_ON_PURCHASE_RECORDED_PURCHASE_SET_NEXT_DAY, 2, pn) !=
                0 ||
            s_repurchase_add(c, hf_pg_str(res, 0, 1), hf_pg_str(res, 0, 2), hf_pg_str(res, 0, 3),
                             NO_NEXT_GAP, -1) != 0 ||
            s_repurchase_add(c, hf_pg_str(res, 0, 1), hf_pg_str(res, 0, 2), hf_pg_str(res, 0, 3),
                             gap, 1) != 0)
            rc = -1;
    }
    PQclear(res);
    return rc;
}

/* ---- plans and tasks ----------------------------------------------------------------- */

typedef struct {
    bool found;
    char state[16];
    char agent[64];
    char due_day[11];
    char last_bag_agent[64];
    char last_bag_day[11];
    int claims;
    int calls;
    int64_t purchase_id;
    int64_t customer_id;
} s_task_t;

/* A task's row from row i of res (REP_Q_TASK_LOAD's columns, or REP_TASK_OLD_RETURNING's: the
 * row as it was before the statement changed it). */
static void s_task_fill_row(PGresult *res, int i, s_task_t *t)
{
    memset(t, 0, sizeof *t);
    t->found = true;
    snprintf(t->state, sizeof t->state, "%s", hf_pg_str(res, i, 0));
    snprintf(t->agent, sizeof t->agent, "%s", hf_pg_str(res, i, 1));
    snprintf(t->due_day, sizeof t->due_day, "%s", hf_pg_str(res, i, 2));
    snprintf(t->last_bag_agent, sizeof t->last_bag_agent, "%s", hf_pg_str(res, i, 3));
    snprintf(t->last_bag_day, sizeof t->last_bag_day, "%s", hf_pg_str(res, i, 4));
    t->claims = (int)hf_pg_int(res, i, 5);
    t->calls = (int)hf_pg_int(res, i, 6);
    t->purchase_id = hf_pg_int(res, i, 7);
    t->customer_id = hf_pg_int(res, i, 8);
}

/* The task's row from res when it has one (t->found), as s_task_fill_row. */
static void s_task_fill(PGresult *res, s_task_t *t)
{
    memset(t, 0, sizeof *t);
    if (PQntuples(res) == 1)
        s_task_fill_row(res, 0, t);
}

static int s_task_load(s_ctx_t *c, int64_t id, s_task_t *t)
{
    memset(t, 0, sizeof *t);
    char idtxt[24];
    const char *p[] = {hf_pg_i64(idtxt, id)};
    PGresult *res = hf_store_query(c->st, &REP_Q_TASK_LOAD, 1, p);
    if (res == NULL)
        return -1;
    s_task_fill(res, t);
    PQclear(res);
    return 0;
}

/* Runs q (REP_Q_TASK_ASSIGN or REP_Q_TASK_COMPLETE: the update and the read in one statement)
 * and fills t with the row as it was: t->found when the update was made. 0, or -1 on a store
 * error. */
static int s_task_change(s_ctx_t *c, const hf_query_t *q, int n, const char *const *p, s_task_t *t)
{
    PGresult *res = hf_store_query(c->st, q, n, p);
    if (res == NULL)
        return -1;
    s_task_fill(res, t);
    PQclear(res);
    return 0;
}

static bool s_open(const s_task_t *t)
{
    return strcmp(t->state, "assigned") == 0 || strcmp(t->state, "claimed") == 0;
}

/* Ends the task's open assignment today (handed over, claimed by another, completed). A
 * claimed assignment whose contact has not arrived yet (calllog's stream behind the
 * scheduler's) really ended with that contact: the close is noted so that the contact,
 * when it comes, moves it to its own day. */
static int s_assignment_close(s_ctx_t *c, int64_t id, const s_task_t *t)
{
    if (!s_open(t))
        return 0;
    if (s_agent_add(c, t->agent, c->day, "closed", 1) != 0)
        return -1;
    if (strcmp(t->state, "claimed") != 0 || t->calls >= t->claims)
        return 0;
    char idtxt[24], claim[16];
    const char *p[] = {hf_pg_i64(idtxt, id), hf_pg_i64(claim, t->claims), t->agent, c->day};
    return hf_store_query_run(c->st, &REP_Q_ASSIGNMENT_CLOSE_PENDING_CLOSE_ADD, 4, p);
}

/* Inserts a task as a plan published it; counts it planned (or cancelled). Returns 0, or
 * -1 on a store error; *made (when given) tells whether the row was made, due (when given,
 * 11 bytes) its due day. */
static int s_task_insert_made(s_ctx_t *c, const Huifang__V1__Task *t, int64_t plan_id, bool *made,
                              char *due_out)
{
    char due[11], id[24], cid[24], pid[24], plan[24], step[16], at[24];
    s_local(c, t->due_at_ms, due);
    if (due_out)
        memcpy(due_out, due, sizeof due);
    if (made)
        *made = false;
    bool cancelled = strcmp(S(t->state), "cancelled") == 0;
    const char *p[] = {hf_pg_i64(id, t->id),
                       c->branch,
                       hf_pg_i64(cid, t->customer_id),
                       hf_pg_i64(pid, t->purchase_id),
                       hf_pg_i64(plan, plan_id),
                       hf_pg_i64(step, t->step_no),
                       S(t->purpose),
                       due,
                       cancelled ? "cancelled" : "planned",
                       hf_pg_i64(at, c->env->occurred_at_ms)};
    PGresult *res = hf_store_query(c->st, &REP_Q_TASK_INSERT_TASK_ADD, 10, p);
    if (res == NULL)
        return -1;
    int inserted = PQntuples(res);
    PQclear(res);
    if (!inserted)
        return 0;
    if (made)
        *made = true;
    if (s_step_add(c, due, "planned", 1) != 0)
        return -1;
    return cancelled ? s_step_add(c, due, "cancelled", 1) : 0;
}
static int s_task_insert(s_ctx_t *c, const Huifang__V1__Task *t, int64_t plan_id)
{
    return s_task_insert_made(c, t, plan_id, NULL, NULL);
}

/* ---- plans held per batch ----------------------------------------------------------
 *
 * A lead import makes the scheduler publish a plan_started a lead; one at a time, each cost
 * three statements here (the customer's earlier steps cancelled, a row a step) and bound the
 * whole load (~370 events/s). A batch's plans are held instead and written together before
 * any other event of the batch is applied, and at its end (s_plans_write): one look for which
 * of their customers have open steps at all (a new lead has none), the cancel of each of
 * those, in event order, as one plan at a time did, then every step by one INSERT. A plan of
 * a customer already held is written after the one before it (so its cancel sees its steps). */

#define HELD_PLANS 500
#define HELD_STEPS 4000

typedef struct {
    int64_t customer_id, plan_id, at;
    char day[11]; /* the event's local date */
    bool open;    /* the customer has open steps (s_plans_mark_open) */
} s_held_plan_t;

/* v as text in the arena (a statement's array item). */
static char *s_num(hf_arena_t *a, int64_t v)
{
    char *out = hf_arena_alloc(a, 24);
    hf_pg_i64(out, v);
    return out;
}

typedef struct {
    int64_t id, customer_id, purchase_id, plan_id, step_no, at;
    char *branch, *purpose;
    char due[11];
    bool cancelled;
} s_held_step_t;

static s_held_plan_t s_plans[HELD_PLANS];
static int s_nplans;
static s_held_step_t s_steps[HELD_STEPS];
static int s_nsteps;

static void s_plans_forget(void)
{
    for (int i = 0; i < s_nsteps; i++) {
        free(s_steps[i].branch);
        free(s_steps[i].purpose);
    }
    s_nplans = s_nsteps = 0;
}

/* Marks the held plans whose customer has open steps (one look for all of them). 0 or -1.
 * The look is planned for its array and the task table as they are at every run, never
 * prepared: its first runs come with a store's first plans (a chain's first import, the
 * national day's load), while task is a few pages, and a generic plan made then reads task
 * whole (the planner's 10 customers of a generic array in a table that small); being cheaper
 * on paper than any plan for the load's arrays of hundreds of customers, Postgres kept it
 * until an autovacuum of task came to replan it, and task grew to 170,000 rows meanwhile —
 * a batch's look took 60-110 ms instead of ~0.1 (issue 14: the sequential scan a third of
 * reporting's backend in some runs of the national day, the runs in which the day began
 * before that autovacuum). */
static int s_plans_mark_open(hf_store_t *st, hf_arena_t *a)
{
    char **ids = hf_new_array(a, char *, s_nplans);
    for (int i = 0; i < s_nplans; i++)
        ids[i] = s_num(a, s_plans[i].customer_id);
    const char *p[] = {s_pg_array(a, ids, (size_t)s_nplans)};
    PGresult *res = hf_store_exec_unprepared(st, REP_Q_PLANS_OPEN_CUSTOMERS.sql, 1, p);
    if (res == NULL)
        return -1;
    for (int r = 0; r < PQntuples(res); r++)
        for (int i = 0; i < s_nplans; i++)
            if (s_plans[i].customer_id == hf_pg_int(res, r, 0))
                s_plans[i].open = true; /* a customer is held once: see rep_on_plan_started */
    PQclear(res);
    return 0;
}

/* Every step of the held plans by one INSERT; counts those it made planned (or cancelled). */
static int s_steps_write(hf_store_t *st, hf_arena_t *a)
{
    int n = s_nsteps;
    char **col[10];
    for (int k = 0; k < 10; k++)
        col[k] = hf_new_array(a, char *, n);
    for (int i = 0; i < n; i++) {
        const s_held_step_t *t = &s_steps[i];
        col[0][i] = s_num(a, t->id);
        col[1][i] = t->branch;
        col[2][i] = s_num(a, t->customer_id);
        col[3][i] = s_num(a, t->purchase_id);
        col[4][i] = s_num(a, t->plan_id);
        col[5][i] = s_num(a, t->step_no);
        col[6][i] = t->purpose;
        col[7][i] = (char *)t->due;
        col[8][i] = t->cancelled ? "cancelled" : "planned";
        col[9][i] = s_num(a, t->at);
    }
    const char *p[10];
    for (int k = 0; k < 10; k++)
        p[k] = s_pg_array(a, col[k], (size_t)n); /* '{"1","2"}' is a bigint[] as well */
    PGresult *res = hf_store_query(st, &REP_Q_PLAN_STEPS_INSERT, 10, p);
    if (res == NULL)
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
        s_ctx_t c = {.st = st, .branch = hf_pg_str(res, i, 0), .arena = a};
        const char *due = hf_pg_str(res, i, 1);
        rc = s_step_add(&c, due, "planned", 1);
        if (rc == 0 && strcmp(hf_pg_str(res, i, 2), "cancelled") == 0)
            rc = s_step_add(&c, due, "cancelled", 1);
    }
    PQclear(res);
    return rc;
}

/* Writes the held plans (see above) and forgets them. 0 or -1. */
static int s_plans_write(hf_store_t *st)
{
    if (s_nplans == 0 && s_nsteps == 0)
        return 0;
    hf_arena_t *a = hf_arena_new();
    int rc = a ? s_plans_mark_open(st, a) : -1;
    for (int i = 0; rc == 0 && i < s_nplans; i++) {
        const s_held_plan_t *h = &s_plans[i];
        if (!h->open)
            continue;
        /* a new plan archives the customer's earlier ones: their open steps are cancelled,
         * except one an agent holds right now */
        char cid[24], plan[24], at[24];
        const char *p[] = {hf_pg_i64(cid, h->customer_id),
                           "{planned,assigned}",
                           hf_pg_i64(plan, h->plan_id),
                           h->day,
                           "0",
                           hf_pg_i64(at, h->at)};
        rc = hf_store_query_run(st, &REP_Q_CANCEL_PLAN_TASKS, 6, p);
    }
    if (rc == 0 && s_nsteps > 0)
        rc = s_steps_write(st, a);
    s_plans_forget();
    hf_arena_destroy(&a);
    return rc;
}

static int rep_on_plan_started(s_ctx_t *c)
{
    const Huifang__V1__PlanStarted *e = c->env->plan_started;
    /* a second plan of a customer held, or no room: what is held goes first */
    bool again = false;
    for (int i = 0; i < s_nplans && !again; i++)
        again = s_plans[i].customer_id == e->customer_id;
    if ((again || s_nplans == HELD_PLANS || s_nsteps + (int)e->n_tasks > HELD_STEPS) &&
        s_plans_write(c->st) != 0)
        return -1;
    if (e->n_tasks > HELD_STEPS)
        return -2; /* a plan of more steps than any template has */
    s_held_plan_t *h = &s_plans[s_nplans++];
    *h = (s_held_plan_t){
        .customer_id = e->customer_id, .plan_id = e->plan_id, .at = c->env->occurred_at_ms};
    memcpy(h->day, c->day, sizeof h->day);
    for (size_t i = 0; i < e->n_tasks; i++) {
        const Huifang__V1__Task *t = e->tasks[i];
        if (t == NULL)
            continue;
        s_held_step_t *st = &s_steps[s_nsteps];
        *st = (s_held_step_t){.id = t->id,
                              .customer_id = t->customer_id,
                              .purchase_id = t->purchase_id,
                              .plan_id = e->plan_id,
                              .step_no = t->step_no,
                              .at = c->env->occurred_at_ms,
                              .branch = strdup(c->branch),
                              .purpose = strdup(S(t->purpose)),
                              .cancelled = strcmp(S(t->state), "cancelled") == 0};
        s_local(c, t->due_at_ms, st->due);
        s_nsteps++;
        if (st->branch == NULL || st->purpose == NULL)
            return -1; /* the batch is rolled back: rep_batch_end forgets them */
    }
    return 0;
}

static int rep_on_plan_ended(s_ctx_t *c)
{
    const Huifang__V1__PlanEnded *e = c->env->plan_ended;
    if (e->plan_id <= 0)
        return 0;
    /* the scheduler cancelled the plan's open steps */
    return s_cancel_plan_tasks(c, e->customer_id, "{planned,assigned}", 0, e->plan_id);
}

/* Brings a task we thought cancelled back (a later event shows it was not). */
static int s_uncancel(s_ctx_t *c, s_task_t *t)
{
    if (strcmp(t->state, "cancelled") != 0)
        return 0;
    snprintf(t->state, sizeof t->state, "planned");
    return s_step_add(c, t->due_day, "cancelled", -1);
}

/* The counters of an assignment of task t to agent in the bag of day bag, t as it was. */
static int s_assignment_count(s_ctx_t *c, const s_task_t *t, const char *agent, const char *bag)
{
    if (s_agent_add(c, agent, bag, "opened", 1) != 0)
        return -1;
    bool same_bag = strcmp(t->last_bag_agent, agent) == 0 && strcmp(t->last_bag_day, bag) == 0;
    if (!same_bag && s_agent_add(c, agent, bag, "tasks_due", 1) != 0)
        return -1;
    return 0;
}

/* Opens an assignment of task id to agent in the bag of day bag. */
static int s_assignment_open(s_ctx_t *c, int64_t id, s_task_t *t, const char *agent,
                             const char *bag, const char *state)
{
    if (s_assignment_count(c, t, agent, bag) != 0)
        return -1;
    char idtxt[24];
    const char *p[] = {hf_pg_i64(idtxt, id), state, agent, bag};
    return hf_store_query_run(c->st, &REP_Q_ASSIGNMENT_OPEN_TASK_SET_STATE, 4, p);
}

/* Loads the task of an event, inserting it from the event when no plan brought it. */
static int s_task_of_event(s_ctx_t *c, const Huifang__V1__Task *tk, s_task_t *t)
{
    if (s_task_load(c, tk->id, t) != 0)
        return -1;
    if (t->found)
        return 0;
    Huifang__V1__Task copy = *tk;
    copy.state = "planned";
    if (s_task_insert(c, &copy, tk->plan_id) != 0 || s_task_load(c, tk->id, t) != 0)
        return -1;
    return 0;
}

static bool s_task_malformed(const Huifang__V1__Task *tk)
{
    return tk == NULL || tk->id <= 0 || *S(tk->agent) == '\0';
}

/* The counters of task t (the row as it was) put into agent's bag of day bag by the usual
 * way's statement (REP_Q_TASK_ASSIGN), or by the events held (s_task_row_assign). */
static int s_task_assigned_count(s_ctx_t *c, int64_t id, s_task_t *t, const char *agent,
                                 const char *bag)
{
    return s_assignment_close(c, id, t) != 0 || s_uncancel(c, t) != 0 ||
                   s_assignment_count(c, t, agent, bag) != 0
               ? -1
               : 0;
}

/* One task put into an agent's bag: a task_assigned's, or one of a tasks_assigned's. */
static int s_task_assigned(s_ctx_t *c, const Huifang__V1__Task *tk)
{
    if (s_task_malformed(tk))
        return -2;
    const char *bag = *S(tk->bag_date) ? tk->bag_date : c->day;
    s_task_t t;
    /* the usual way: the task is there and not done, changed in the statement that reads it
     * (the counters below take the row as it was) */
    char id[24];
    const char *p[] = {hf_pg_i64(id, tk->id), tk->agent, bag};
    if (s_task_change(c, &REP_Q_TASK_ASSIGN, 3, p, &t) != 0)
        return -1;
    if (t.found)
        return s_task_assigned_count(c, tk->id, &t, tk->agent, bag);
    if (s_task_of_event(c, tk, &t) != 0)
        return -1;
    if (strcmp(t.state, "done") == 0)
        return 0;
    /* a task handed over while open: the earlier holder's assignment ends today */
    if (s_assignment_close(c, tk->id, &t) != 0)
        return -1;
    if (s_uncancel(c, &t) != 0)
        return -1;
    return s_assignment_open(c, tk->id, &t, tk->agent, bag, "assigned");
}

/* One task claimed: a task_claimed's, applied on its own (s_task_held_alone). */
static int s_task_claimed(s_ctx_t *c, const Huifang__V1__Task *tk)
{
    /* the claims, and the state with them when the claim is its open assignment's, set in
     * the statement that reads the row (t: as it was); a task no plan brought is inserted
     * first */
    char id[24], claims[16];
    const char *p[] = {hf_pg_i64(id, tk->id), hf_pg_i64(claims, tk->claims), S(tk->agent)};
    s_task_t t;
    if (s_task_change(c, &REP_Q_TASK_CLAIM, 3, p, &t) != 0)
        return -1;
    if (!t.found &&
        (s_task_of_event(c, tk, &t) != 0 || s_task_change(c, &REP_Q_TASK_CLAIM, 3, p, &t) != 0))
        return -1;
    if (!t.found)
        return -1; /* inserted above: cannot be missing */
    if (strcmp(t.state, "done") == 0)
        return 0;
    if (s_uncancel(c, &t) != 0)
        return -1;
    if (s_open(&t) && strcmp(t.agent, S(tk->agent)) == 0)
        return 0;
    /* claimed without an assignment we saw (or by someone else): it is in this bag now */
    if (s_assignment_close(c, tk->id, &t) != 0)
        return -1;
    const char *bag = *S(tk->bag_date) ? tk->bag_date : c->day;
    return s_assignment_open(c, tk->id, &t, S(tk->agent), bag, "claimed");
}

/* One task completed (or cancelled): a task_completed's, applied on its own
 * (s_task_held_alone). */
static int s_task_completed(s_ctx_t *c, const Huifang__V1__Task *tk)
{
    bool cancel = strcmp(S(tk->state), "cancelled") == 0;
    char id[24];
    const char *p[] = {hf_pg_i64(id, tk->id), cancel ? "cancelled" : "done",
                       cancel ? NULL : c->day};
    s_task_t t;
    /* the usual way: the task changed in the statement that reads it (t: the row as it was);
     * else the long way: the task inserted when no plan brought it, or nothing to do */
    if (s_task_change(c, &REP_Q_TASK_COMPLETE, 3, p, &t) != 0)
        return -1;
    bool changed = t.found;
    if (!changed && s_task_of_event(c, tk, &t) != 0)
        return -1;
    if (strcmp(t.state, "done") == 0 || (cancel && strcmp(t.state, "cancelled") == 0))
        return 0;
    if (s_assignment_close(c, tk->id, &t) != 0)
        return -1;
    if (!cancel && s_uncancel(c, &t) != 0)
        return -1;
    if (!changed && hf_store_query_run(c->st, &REP_Q_ON_TASK_COMPLETED_TASK_SET_STATE, 3, p) != 0)
        return -1;
    if (cancel)
        return s_step_add(c, t.due_day, "cancelled", 1);
    /* on time: done on or before the day the plan put the step on */
    return s_step_add(c, t.due_day, strcmp(c->day, t.due_day) <= 0 ? "on_time" : "late", 1);
}

/* ---- a task's events held per batch ----------------------------------------------------
 *
 * A call changes its task's row three times on the scheduler's stream — assigned (mostly one
 * of a tasks_assigned's tasks), claimed, completed — and each was a statement of its own
 * (issue 14, rapply10: the claim's and the completion's statements 1.66 a call). A batch's
 * task events are held here instead, in order, and applied at its end or before the next
 * event that may read or change a task (s_tasks_needed: every event with a handler in
 * s_models but these), by s_tasks_write: in runs of events of different tasks — a batch while
 * reporting keeps up is mostly one run, each task's claim or completion once — each run by
 * one statement over arrays (REP_Q_TASKS_APPLY: each row changed as its event's own statement
 * changed it, the row as it was given back), its counters from that row as each handler
 * counted them (s_task_applied_count). A second event of a task starts a new run, so it sees
 * the row as the first left it, as one at a time did. An event given no row back (its task
 * not there yet, or done) takes its handler's long way on its own; a run of one event, as a
 * batch of one, is applied by its handler (one statement, as before). An event with something
 * the store might refuse (a bag date not written YYYY-MM-DD, an agent longer than a row keeps
 * in memory) is applied on its own right away, as before, so that it fails alone and goes to
 * the dead letters as it did. */

#define HELD_TASK_EVENTS 2048

enum { TASK_ASSIGN, TASK_CLAIM, TASK_COMPLETE };

typedef struct {
    int kind;
    int64_t id, customer_id, purchase_id, plan_id, due_at_ms;
    int64_t at; /* the event's occurred_at_ms */
    int32_t step_no, claims;
    bool cancel; /* a completion with state cancelled */
    char *branch, *agent, *purpose;
    char bag[11]; /* assigned or claimed into this bag */
    char day[11]; /* the event's local date */
    char tz[64];
} s_task_event_t;

static s_task_event_t s_tevents[HELD_TASK_EVENTS];
static int s_ntevents;

static void s_tasks_forget(void)
{
    for (int i = 0; i < s_ntevents; i++) {
        free(s_tevents[i].branch);
        free(s_tevents[i].agent);
        free(s_tevents[i].purpose);
    }
    s_ntevents = 0;
}

/* Whether the handler of env may read or change a task held: every handler of s_models but
 * the held task events' own (the other files' read no task). */
static bool s_tasks_needed(const hf_envelope_t *env);

/* The event's task as the handlers take it, and a context as at the event (its envelope's
 * time in *env). */
static void s_task_event_ctx(hf_store_t *st, const s_task_event_t *e, hf_envelope_t *env,
                             Huifang__V1__Task *tk, s_ctx_t *c)
{
    huifang__v1__envelope__init(env);
    env->occurred_at_ms = e->at;
    huifang__v1__task__init(tk);
    tk->id = e->id;
    tk->customer_id = e->customer_id;
    tk->purchase_id = e->purchase_id;
    tk->plan_id = e->plan_id;
    tk->step_no = e->step_no;
    tk->purpose = e->purpose;
    tk->due_at_ms = e->due_at_ms;
    tk->agent = e->agent;
    tk->bag_date = (char *)e->bag;
    tk->claims = e->claims;
    tk->state = e->cancel ? "cancelled" : "";
    memset(c, 0, sizeof *c);
    c->st = st;
    c->env = env;
    c->branch = e->branch;
    snprintf(c->tz, sizeof c->tz, "%s", e->tz);
    memcpy(c->day, e->day, sizeof c->day);
}

/* A batch's one task event, applied as it always was: its own statement. */
static int s_task_held_alone(hf_store_t *st, const s_task_event_t *e)
{
    hf_envelope_t env;
    Huifang__V1__Task tk;
    s_ctx_t c;
    s_task_event_ctx(st, e, &env, &tk, &c);
    int rc = e->kind == TASK_ASSIGN  ? s_task_assigned(&c, &tk)
             : e->kind == TASK_CLAIM ? s_task_claimed(&c, &tk)
                                     : s_task_completed(&c, &tk);
    return rc == 0 ? 0 : -1;
}

/* The counters of held event e applied by REP_Q_TASKS_APPLY to its task, old the row as it
 * was: what s_task_assigned, s_task_claimed and s_task_completed count after their
 * statement. */
static int s_task_applied_count(s_ctx_t *c, const s_task_event_t *e, s_task_t *old)
{
    if (e->kind == TASK_ASSIGN)
        return s_task_assigned_count(c, e->id, old, e->agent, e->bag);
    if (e->kind == TASK_CLAIM) {
        if (strcmp(old->state, "done") == 0)
            return 0;
        if (s_uncancel(c, old) != 0)
            return -1;
        if (s_open(old) && strcmp(old->agent, e->agent) == 0)
            return 0;
        /* claimed without an assignment we saw (or by someone else): it is in this bag now */
        return s_assignment_close(c, e->id, old) != 0 ||
                       s_assignment_count(c, old, e->agent, e->bag) != 0
                   ? -1
                   : 0;
    }
    if (s_assignment_close(c, e->id, old) != 0)
        return -1;
    if (!e->cancel && s_uncancel(c, old) != 0)
        return -1;
    if (e->cancel)
        return s_step_add(c, old->due_day, "cancelled", 1);
    /* on time: done on or before the day the plan put the step on */
    return s_step_add(c, old->due_day, strcmp(e->day, old->due_day) <= 0 ? "on_time" : "late", 1);
}

/* Appends an element to the array literal being written to f: quoted, or NULL for "" when
 * null_empty. */
static void s_lit_add(FILE *f, bool first, const char *s, bool null_empty)
{
    fputc(first ? '{' : ',', f);
    if (null_empty && *s == '\0') {
        fputs("NULL", f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* Applies held events ev[0..n), of different tasks, by one statement (REP_Q_TASKS_APPLY) and
 * counts each as its own handler did; an event whose task gave no row back (not there yet;
 * done; cancelled and cancelled again) takes its handler's long way, on its own. 0 or -1. */
static int s_tasks_apply(hf_store_t *st, const s_task_event_t *ev, int n)
{
    enum { NCOLS = 7 };
    static const char *const kinds[] = {
        [TASK_ASSIGN] = "a", [TASK_CLAIM] = "c", [TASK_COMPLETE] = "d"};
    char *buf[NCOLS] = {0};
    size_t len[NCOLS];
    FILE *f[NCOLS] = {0};
    int rc = 0;
    for (int k = 0; k < NCOLS && rc == 0; k++)
        if ((f[k] = open_memstream(&buf[k], &len[k])) == NULL)
            rc = -1;
    for (int i = 0; i < n && rc == 0; i++) {
        const s_task_event_t *e = &ev[i];
        char id[24], claims[16];
        bool first = i == 0;
        s_lit_add(f[0], first, hf_pg_i64(id, e->id), false);
        s_lit_add(f[1], first, kinds[e->kind], false);
        s_lit_add(f[2], first, e->agent, false);
        s_lit_add(f[3], first, e->kind == TASK_COMPLETE ? "" : e->bag, true);
        s_lit_add(f[4], first, hf_pg_i64(claims, e->claims), false);
        s_lit_add(f[5], first, e->cancel ? "cancelled" : "done", false);
        s_lit_add(f[6], first, e->kind == TASK_COMPLETE && !e->cancel ? e->day : "", true);
    }
    for (int k = 0; k < NCOLS; k++) {
        if (f[k] == NULL)
            continue;
        fputc('}', f[k]);
        bool ok = !ferror(f[k]);
        if (fclose(f[k]) != 0 || !ok)
            rc = -1;
    }
    PGresult *res = NULL;
    if (rc == 0) {
        const char *p[NCOLS];
        for (int k = 0; k < NCOLS; k++)
            p[k] = buf[k];
        res = hf_store_query(st, &REP_Q_TASKS_APPLY, NCOLS, p);
    }
    for (int k = 0; k < NCOLS; k++)
        free(buf[k]);
    if (res == NULL)
        return -1;
    bool *left = malloc(sizeof *left * (size_t)n);
    if (left == NULL)
        abort();
    for (int i = 0; i < n; i++)
        left[i] = true;
    for (int r = 0; r < PQntuples(res) && rc == 0; r++) {
        int64_t ord = hf_pg_int(res, r, 9);
        if (ord < 1 || ord > n) {
            rc = -1;
            break;
        }
        const s_task_event_t *e = &ev[ord - 1];
        hf_envelope_t env;
        Huifang__V1__Task tk;
        s_ctx_t c;
        s_task_event_ctx(st, e, &env, &tk, &c);
        s_task_t old;
        s_task_fill_row(res, r, &old);
        left[ord - 1] = false;
        rc = s_task_applied_count(&c, e, &old);
    }
    PQclear(res);
    for (int i = 0; i < n && rc == 0; i++)
        if (left[i])
            rc = s_task_held_alone(st, &ev[i]);
    free(left);
    return rc;
}

/* Applies the held task events (see above) and forgets them: in runs of events of different
 * tasks, each run by s_tasks_apply (a run of one as its handler does), so that an event of a
 * task comes after the ones before it. 0 or -1. */
static int s_tasks_write(hf_store_t *st)
{
    int n = s_ntevents, rc = 0;
    enum { SET_SLOTS = 2 * HELD_TASK_EVENTS }; /* a power of two */
    static int64_t set[SET_SLOTS];             /* the run's tasks: 0 for a free slot */
    for (int from = 0, to; from < n && rc == 0; from = to) {
        memset(set, 0, sizeof set);
        for (to = from; to < n; to++) {
            uint64_t h = (uint64_t)s_tevents[to].id * 0x9E3779B97F4A7C15ULL;
            size_t i = (size_t)(h >> 40) & (SET_SLOTS - 1);
            while (set[i] != 0 && set[i] != s_tevents[to].id)
                i = (i + 1) & (SET_SLOTS - 1);
            if (set[i] != 0)
                break; /* its task is in the run already */
            set[i] = s_tevents[to].id;
        }
        rc = to - from == 1 ? s_task_held_alone(st, &s_tevents[from])
                            : s_tasks_apply(st, s_tevents + from, to - from);
    }
    s_tasks_forget();
    return rc == 0 ? 0 : -1;
}

/* Whether a bag date can be held: "" (the event's day) or a date as YYYY-MM-DD. */
static bool s_bag_holdable(const char *bag)
{
    int32_t d;
    char again[11];
    if (*bag == '\0')
        return true;
    if (hf_date_parse(bag, &d) != 0)
        return false;
    hf_date_format(d, again);
    return strcmp(again, bag) == 0;
}

/* Holds a task event of kind for s_tasks_write (the batch's held events written first when
 * there is no room); 1 when it must be applied now instead (see above), 0, or -1. */
static int s_task_hold(s_ctx_t *c, int kind, const Huifang__V1__Task *tk)
{
    const char *agent = S(tk->agent);
    if (strlen(agent) >= sizeof((s_task_t *)0)->agent || !s_bag_holdable(S(tk->bag_date)) ||
        strlen(c->tz) >= sizeof s_tevents[0].tz)
        return 1;
    if (s_ntevents == HELD_TASK_EVENTS && s_tasks_write(c->st) != 0)
        return -1;
    s_task_event_t *e = &s_tevents[s_ntevents];
    *e = (s_task_event_t){.kind = kind,
                          .id = tk->id,
                          .customer_id = tk->customer_id,
                          .purchase_id = tk->purchase_id,
                          .plan_id = tk->plan_id,
                          .due_at_ms = tk->due_at_ms,
                          .at = c->env->occurred_at_ms,
                          .step_no = tk->step_no,
                          .claims = tk->claims,
                          .cancel = strcmp(S(tk->state), "cancelled") == 0,
                          .branch = strdup(c->branch),
                          .agent = strdup(agent),
                          .purpose = strdup(S(tk->purpose))};
    if (e->branch == NULL || e->agent == NULL || e->purpose == NULL)
        abort();
    snprintf(e->bag, sizeof e->bag, "%s", *S(tk->bag_date) ? tk->bag_date : c->day);
    memcpy(e->day, c->day, sizeof e->day);
    snprintf(e->tz, sizeof e->tz, "%s", c->tz);
    s_ntevents++;
    return 0;
}

/* A task event held (s_task_hold), or applied now by fn when it cannot be: the events held
 * before it written first. */
static int s_task_event(s_ctx_t *c, int kind, const Huifang__V1__Task *tk,
                        int (*fn)(s_ctx_t *, const Huifang__V1__Task *))
{
    int rc = s_task_hold(c, kind, tk);
    if (rc <= 0)
        return rc;
    if (s_tasks_write(c->st) != 0)
        return -1;
    return fn(c, tk);
}

static int rep_on_task_assigned(s_ctx_t *c)
{
    const Huifang__V1__Task *tk = c->env->task_assigned->task;
    if (s_task_malformed(tk))
        return -2;
    return s_task_event(c, TASK_ASSIGN, tk, s_task_assigned);
}

/* The assignment timer's batch (one transaction's tasks of one branch): each task held as
 * its own task_assigned would be, in order, in the consumer's one transaction for the event
 * (applied whole or not at all, so never twice). A malformed task is skipped and logged (its
 * single event would be dead-lettered); an empty batch is dead-lettered. */
static int rep_on_tasks_assigned(s_ctx_t *c)
{
    const Huifang__V1__TasksAssigned *ta = c->env->tasks_assigned;
    if (ta->n_tasks == 0)
        return -2;
    for (size_t i = 0; i < ta->n_tasks; i++) {
        if (s_task_malformed(ta->tasks[i])) {
            /* the others stand: the batch is not dead-lettered for one */
            hf_warn("task_malformed", "producer=%s seq=%llu index=%zu", S(c->env->producer),
                    (unsigned long long)c->env->seq, i);
            continue;
        }
        if (s_task_event(c, TASK_ASSIGN, ta->tasks[i], s_task_assigned) == -1)
            return -1;
    }
    return 0;
}

static int rep_on_task_claimed(s_ctx_t *c)
{
    const Huifang__V1__Task *tk = c->env->task_claimed->task;
    if (tk == NULL || tk->id <= 0)
        return -2;
    return s_task_event(c, TASK_CLAIM, tk, s_task_claimed);
}

static int rep_on_task_completed(s_ctx_t *c)
{
    const Huifang__V1__Task *tk = c->env->task_completed->task;
    if (tk == NULL || tk->id <= 0)
        return -2;
    return s_task_event(c, TASK_COMPLETE, tk, s_task_completed);
}

/* ---- card changes held per batch -------------------------------------------------------
 *
 * A call that talks to a new customer (or voids a card, or a purchase) makes intake publish a
 * card_type_changed and, right after it, the card's customer_updated (intake_card_set); each
 * card_type_changed was a statement of its own (REP_Q_ON_CARD_TYPE_CHANGED before rapply10:
 * 0.80 a call) and the customer_updated took the card from it (s_card_memo). A batch's card
 * changes are held here instead, each with the customer_updated of its card right after it
 * (the next event of intake's stream), and applied at the batch's end or before any other
 * event (s_cchanges_write): in runs of changes of different cards, each run by one statement
 * (REP_Q_CARDS_TYPE_CHANGE: every card read, locked and changed as REP_Q_ON_CARD_TYPE_CHANGED
 * did, the card as it was given back), then, in event order, each change counted and its
 * customer_updated applied from the card as the change left it, as one at a time did. The
 * card memo is left as the last change left it, for the event after (a refusal's opted_out
 * carries it to its customer_updated). */

#define HELD_CARD_CHANGES 1024

typedef struct {
    int64_t id;
    uint64_t seq;
    char *to, *reason, *branch;
    char day[11];
    /* the customer_updated right after it, when held with it: its card and its event's branch
     * and day */
    bool has_update;
    Huifang__V1__Customer cu;
    char *u_branch;
    char u_day[11];
} s_cchange_t;

static s_cchange_t s_cchanges[HELD_CARD_CHANGES];
static int s_ncchanges;

static void s_cchanges_forget(void)
{
    for (int i = 0; i < s_ncchanges; i++) {
        s_cchange_t *e = &s_cchanges[i];
        free(e->to);
        free(e->reason);
        free(e->branch);
        if (e->has_update) {
            free(e->cu.region);
            free(e->cu.card_type);
            free(e->cu.void_reason);
            free(e->u_branch);
        }
    }
    s_ncchanges = 0;
}

static char *s_dup(const char *s)
{
    char *d = strdup(S(s));
    if (d == NULL)
        abort();
    return d;
}

/* Whether env is the customer_updated of the card changed by the last change held, right
 * after it (held with it by rep_on_customer_updated). */
static bool s_cchange_follows(const hf_envelope_t *env)
{
    if (s_ncchanges == 0 || env->payload_case != HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_UPDATED)
        return false;
    const s_cchange_t *last = &s_cchanges[s_ncchanges - 1];
    const Huifang__V1__Customer *cu = env->customer_updated->customer;
    return !last->has_update && strcmp(S(env->producer), "intake") == 0 &&
           env->seq == last->seq + 1 && cu != NULL && cu->id == last->id;
}

/* Whether the held changes must be applied before env (every event but a change and the
 * customer_updated that follows one). */
static bool s_cchanges_needed(const hf_envelope_t *env)
{
    return s_ncchanges > 0 &&
           env->payload_case != HUIFANG__V1__ENVELOPE__PAYLOAD_CARD_TYPE_CHANGED &&
           !s_cchange_follows(env);
}

/* Counts change e, its card as it was found (found: the row, else unknown here), applies its
 * customer_updated, and leaves the memo as one at a time did. 0 or -1. */
static int s_cchange_apply(hf_store_t *st, const s_cchange_t *e, bool found, const char *type,
                           int64_t merged, const char *region)
{
    s_ctx_t c = {0};
    c.st = st;
    c.branch = e->branch;
    memcpy(c.day, e->day, sizeof c.day);
    int rc = 0;
    s_card_memo.set = false;
    if (!found) {
        /* intake publishes a card before changing it: a card we never saw is not ours */
        hf_warn("card_unknown", "customer=%lld", (long long)e->id);
    } else {
        bool moves = merged == 0 && *type && strcmp(type, e->to) != 0; /* the row written */
        s_card_memo.set = true;
        s_card_memo.tx = hf_store_tx_serial(st);
        s_card_memo.seq = e->seq;
        s_card_memo.id = e->id;
        snprintf(s_card_memo.type, sizeof s_card_memo.type, "%s", moves ? e->to : type);
        s_card_memo.merged = merged;
        snprintf(s_card_memo.region, sizeof s_card_memo.region, "%s", region);
        if (merged == 0 && strcmp(type, e->to) != 0)
            rc = s_card_moved(&c, type, e->to, e->reason);
    }
    if (rc != 0 || !e->has_update)
        return rc;
    /* its customer_updated (s_card_memo_take: the memo valid for it when the change found
     * the card) */
    s_ctx_t u = c;
    u.branch = e->u_branch;
    memcpy(u.day, e->u_day, sizeof u.day);
    s_card_memo_valid = s_card_memo.set;
    s_card_memo.set = false;
    return s_customer_apply(&u, &e->cu);
}

/* Applies held changes ev[0..n), of different cards, by one statement. 0 or -1. */
static int s_cchanges_apply(hf_store_t *st, const s_cchange_t *ev, int n)
{
    char *buf[3] = {0};
    size_t len[3];
    FILE *f[3] = {0};
    int rc = 0;
    for (int k = 0; k < 3 && rc == 0; k++)
        if ((f[k] = open_memstream(&buf[k], &len[k])) == NULL)
            rc = -1;
    for (int i = 0; i < n && rc == 0; i++) {
        char id[24];
        s_lit_add(f[0], i == 0, hf_pg_i64(id, ev[i].id), false);
        s_lit_add(f[1], i == 0, ev[i].to, false);
        s_lit_add(f[2], i == 0, ev[i].reason, false);
    }
    for (int k = 0; k < 3; k++) {
        if (f[k] == NULL)
            continue;
        fputc('}', f[k]);
        bool ok = !ferror(f[k]);
        if (fclose(f[k]) != 0 || !ok)
            rc = -1;
    }
    PGresult *res = NULL;
    if (rc == 0)
        res = hf_store_query(st, &REP_Q_CARDS_TYPE_CHANGE, 3, (const char *const *)buf);
    for (int k = 0; k < 3; k++)
        free(buf[k]);
    if (res == NULL)
        return -1;
    int *row = malloc(sizeof *row * (size_t)n);
    if (row == NULL)
        abort();
    for (int i = 0; i < n; i++)
        row[i] = -1;
    for (int r = 0; r < PQntuples(res); r++) {
        int64_t ord = hf_pg_int(res, r, 0);
        if (ord >= 1 && ord <= n)
            row[ord - 1] = r;
    }
    /* in event order, as one at a time */
    for (int i = 0; i < n && rc == 0; i++) {
        int r = row[i];
        rc = r < 0 ? s_cchange_apply(st, &ev[i], false, "", 0, "")
                   : s_cchange_apply(st, &ev[i], true, hf_pg_str(res, r, 1), hf_pg_int(res, r, 2),
                                     hf_pg_str(res, r, 3));
    }
    PQclear(res);
    free(row);
    return rc;
}

/* Applies the held changes in runs of different cards (see above) and forgets them. */
static int s_cchanges_write(hf_store_t *st)
{
    int n = s_ncchanges, rc = 0;
    for (int from = 0, to; from < n && rc == 0; from = to) {
        for (to = from + 1; to < n; to++) {
            bool again = false;
            for (int k = from; k < to && !again; k++)
                again = s_cchanges[k].id == s_cchanges[to].id;
            if (again)
                break;
        }
        rc = s_cchanges_apply(st, s_cchanges + from, to - from);
    }
    s_cchanges_forget();
    return rc == 0 ? 0 : -1;
}

static int rep_on_customer_updated(s_ctx_t *c)
{
    const Huifang__V1__Customer *cu = c->env->customer_updated->customer;
    if (s_cchange_follows(c->env)) {
        /* held with the change before it */
        s_cchange_t *last = &s_cchanges[s_ncchanges - 1];
        last->cu = (Huifang__V1__Customer)HUIFANG__V1__CUSTOMER__INIT;
        last->cu.id = cu->id;
        last->cu.merged_into = cu->merged_into;
        last->cu.region = s_dup(cu->region);
        last->cu.card_type = s_dup(cu->card_type);
        last->cu.void_reason = s_dup(cu->void_reason);
        last->u_branch = s_dup(c->branch);
        memcpy(last->u_day, c->day, sizeof last->u_day);
        last->has_update = true;
        return 0;
    }
    return s_customer_apply(c, cu);
}

static int rep_on_card_type_changed(s_ctx_t *c)
{
    const Huifang__V1__CardTypeChanged *e = c->env->card_type_changed;
    if (*S(e->to) == '\0')
        return -2;
    if (s_ncchanges == HELD_CARD_CHANGES && s_cchanges_write(c->st) != 0)
        return -1;
    s_cchange_t *h = &s_cchanges[s_ncchanges++];
    *h = (s_cchange_t){.id = e->customer_id,
                       .seq = c->env->seq,
                       .to = s_dup(e->to),
                       .reason = s_dup(strcmp(e->to, "void") == 0 ? S(e->reason) : ""),
                       .branch = s_dup(c->branch)};
    memcpy(h->day, c->day, sizeof h->day);
    return 0;
}

/* ---- contacts ------------------------------------------------------------------------
 *
 * A logged call is one statement (REP_Q_ON_CALL_LOGGED: the checks, then the contact, once,
 * and the claim it works — when it names a task: that assignment ends now, the scheduler then
 * completes the task or plans a retry, and a close of it noted before the contact came moves
 * to the contact's day), then its counters, its order, and a refusal's cancels.
 *
 * A batch's calls held (issue 14, rcall11: that statement ran once a call, reporting's
 * largest): a batch's call_logged events are held, in order, and applied at its end or before
 * the next event whose handler may read or change what a call reads or writes (s_calls_needed:
 * every event with a handler in s_models but a call's and a consultation's, which only
 * counts), by s_calls_write: in runs of calls of different contacts and tasks, a run ending
 * after a call that cancels its customer's steps (the cancels read and change other tasks of
 * the customer) — each run by one statement over arrays (REP_Q_CALLS_LOGGED: each call checked
 * and applied as its own statement, against the rows as they were, which no other call of the
 * run changes), then each call counted in order as its handler counted it (s_call_applied). A
 * run of one call is its own statement as before. A call whose check fails (an event it needs
 * is on its way) stops the run there: the calls before it are applied, and the framework,
 * told which call failed (hf_service_event_failed), rolls the batch back, applies the events
 * before it again and commits them, and applies it on its own as one at a time did (retried,
 * then the dead letters). A call with a text the store might refuse (not UTF-8) is applied on
 * its own at once, as before, so that it fails alone. */

#define HELD_CALLS 1024

typedef struct {
    uint64_t seq;
    int64_t at; /* the event's occurred_at_ms */
    int64_t id, customer_id, task_id, purchase_id, qty, claim_no;
    bool contacted, visit;
    bool cancels; /* a refusal or a wrong number: every open step of the customer ends */
    char *branch, *agent, *channel, *outcome, *product;
    char day[11];  /* the contact's local date */
    char eday[11]; /* the event's local date */
} s_call_t;

static s_call_t s_calls[HELD_CALLS];
static int s_ncalls;

static void s_calls_forget(void)
{
    for (int i = 0; i < s_ncalls; i++) {
        s_call_t *e = &s_calls[i];
        free(e->branch);
        free(e->agent);
        free(e->channel);
        free(e->outcome);
        free(e->product);
    }
    s_ncalls = 0;
}

/* A context as at call e's event (its time in *env). */
static void s_call_ctx(hf_store_t *st, const s_call_t *e, hf_envelope_t *env, s_ctx_t *c)
{
    huifang__v1__envelope__init(env);
    env->occurred_at_ms = e->at;
    memset(c, 0, sizeof *c);
    c->st = st;
    c->env = env;
    c->branch = e->branch;
    memcpy(c->day, e->eday, sizeof c->day);
}

/* What call e counts once its contact was inserted, from row r of its statement's result
 * (REP_Q_ON_CALL_LOGGED's columns from base + 1: inserted, closes, the task's agent as it
 * was, the product, the region, the pending close's agent and day): the close of the claim
 * it works (and a close noted earlier moved to its day), the agent's attempts and contacts or
 * visits, its order, and a refusal's cancels. 0 or -1. */
static int s_call_applied(s_ctx_t *c, const s_call_t *e, PGresult *res, int r, int base)
{
    const char *day = e->day, *agent = e->agent;
    const char *tagent = hf_pg_str(res, r, base + 3), *product = hf_pg_str(res, r, base + 4);
    const char *region = hf_pg_str(res, r, base + 5), *pagent = hf_pg_str(res, r, base + 6);
    const char *was = hf_pg_str(res, r, base + 7);
    if (hf_pg_bool(res, r, base + 2) && s_agent_add(c, tagent, day, "closed", 1) != 0)
        return -1;
    if (*was && strcmp(day, was) < 0 &&
        (s_agent_add(c, pagent, was, "closed", -1) != 0 ||
         s_agent_add(c, pagent, day, "closed", 1) != 0))
        return -1;
    /* the agent's counts */
    if (e->visit) {
        if (s_agent_add(c, agent, day, "visits", 1) != 0)
            return -1;
    } else if (s_agent_add(c, agent, day, "attempts", 1) != 0 ||
               s_agent_add(c, agent, day, "contacts", e->contacted ? 1 : 0) != 0) {
        return -1;
    }
    /* its order (the product it names, else its purchase's), by day and by month: counters
     * summed per batch like the others */
    if (e->qty > 0) {
        char month[11];
        int32_t d;
        hf_date_parse(day, &d);
        hf_date_format(rep_month_start(d), month);
        const char *ordered = *e->product ? e->product : product;
        const char *po[] = {c->branch, day, agent, ordered};
        const char *pm[] = {c->branch, month, agent, region, ordered};
        if (s_agent_add(c, agent, day, "orders", 1) != 0 ||
            s_count(c, REP_ORDER_DAY, "orders", po, 1) != 0 ||
            s_count(c, REP_ORDER_DAY, "units", po, e->qty) != 0 ||
            s_count(c, REP_ORDER_MONTH, "orders", pm, 1) != 0 ||
            s_count(c, REP_ORDER_MONTH, "units", pm, e->qty) != 0)
            return -1;
    }
    /* a refusal or a wrong number ends every open step of the customer (the scheduler's
     * rule) */
    if (e->cancels)
        return s_cancel_tasks(c, e->customer_id, "{planned,assigned}", 0);
    return 0;
}

/* Applies call e on its own, as its handler always did: its statement, then its counters.
 * 0 (applied, or applied before), or -1 (also while an event it needs is on its way: nothing
 * was written). */
static int s_call_alone(hf_store_t *st, const s_call_t *e)
{
    hf_envelope_t env;
    s_ctx_t c;
    s_call_ctx(st, e, &env, &c);
    char id[24], cid[24], task[24], qty[24], claim[24], pid[24];
    const char *p[] = {hf_pg_i64(id, e->id),
                       e->branch,
                       e->day,
                       e->agent,
                       hf_pg_i64(cid, e->customer_id),
                       hf_pg_i64(task, e->task_id),
                       e->channel,
                       e->outcome,
                       e->contacted ? "true" : "false",
                       hf_pg_i64(qty, e->qty),
                       e->product,
                       hf_pg_i64(claim, e->claim_no),
                       hf_pg_i64(pid, e->purchase_id)};
    PGresult *res = hf_store_query(st, &REP_Q_ON_CALL_LOGGED, 13, p);
    if (res == NULL)
        return -1;
    int rc = -1;
    if (PQntuples(res) != 1 || !hf_pg_bool(res, 0, 0))
        goto cleanup; /* an event it needs is on its way */
    rc = 0;
    if (hf_pg_int(res, 0, 1) == 0)
        goto cleanup; /* the contact was there: applied before */
    rc = s_call_applied(&c, e, res, 0, 0);
cleanup:
    PQclear(res);
    return rc;
}

/* Applies held calls ev[0..n), of different contacts and tasks, by one statement
 * (REP_Q_CALLS_LOGGED), then counts each in order as s_call_alone; 0, or -1 with *failed the
 * place of the call that failed (its check, or a store error counting it; the ones before it
 * applied), or the first call's when the statement itself failed: that call then goes on its
 * own after the events before it, so that a call the store refuses still ends alone, as
 * before, and the others go on. */
static int s_calls_apply(hf_store_t *st, const s_call_t *ev, int n, int *failed)
{
    enum { NCOLS = 13 };
    char *buf[NCOLS] = {0};
    size_t len[NCOLS];
    FILE *f[NCOLS] = {0};
    int rc = 0;
    *failed = -1;
    for (int k = 0; k < NCOLS && rc == 0; k++)
        if ((f[k] = open_memstream(&buf[k], &len[k])) == NULL)
            rc = -1;
    for (int i = 0; i < n && rc == 0; i++) {
        const s_call_t *e = &ev[i];
        char id[24], cid[24], task[24], qty[24], claim[24], pid[24];
        bool first = i == 0;
        s_lit_add(f[0], first, hf_pg_i64(id, e->id), false);
        s_lit_add(f[1], first, e->branch, false);
        s_lit_add(f[2], first, e->day, false);
        s_lit_add(f[3], first, e->agent, false);
        s_lit_add(f[4], first, hf_pg_i64(cid, e->customer_id), false);
        s_lit_add(f[5], first, hf_pg_i64(task, e->task_id), false);
        s_lit_add(f[6], first, e->channel, false);
        s_lit_add(f[7], first, e->outcome, false);
        s_lit_add(f[8], first, e->contacted ? "true" : "false", false);
        s_lit_add(f[9], first, hf_pg_i64(qty, e->qty), false);
        s_lit_add(f[10], first, e->product, false);
        s_lit_add(f[11], first, hf_pg_i64(claim, e->claim_no), false);
        s_lit_add(f[12], first, hf_pg_i64(pid, e->purchase_id), false);
    }
    for (int k = 0; k < NCOLS; k++) {
        if (f[k] == NULL)
            continue;
        fputc('}', f[k]);
        bool ok = !ferror(f[k]);
        if (fclose(f[k]) != 0 || !ok)
            rc = -1;
    }
    PGresult *res = NULL;
    if (rc == 0)
        res = hf_store_query(st, &REP_Q_CALLS_LOGGED, NCOLS, (const char *const *)buf);
    for (int k = 0; k < NCOLS; k++)
        free(buf[k]);
    *failed = 0;
    if (res == NULL)
        return -1;
    if (PQntuples(res) != n) {
        PQclear(res);
        return -1;
    }
    /* in order, as one at a time: the rows come by place */
    for (int r = 0; r < n && rc == 0; r++) {
        *failed = r;
        if (hf_pg_int(res, r, 0) != r + 1 || !hf_pg_bool(res, r, 1)) {
            rc = -1; /* not go: an event it needs is on its way */
            break;
        }
        if (!hf_pg_bool(res, r, 2))
            continue; /* the contact was there: applied before */
        hf_envelope_t env;
        s_ctx_t c;
        s_call_ctx(st, &ev[r], &env, &c);
        rc = s_call_applied(&c, &ev[r], res, r, 1);
    }
    PQclear(res);
    if (rc == 0)
        *failed = -1;
    return rc;
}

/* Applies the held calls (see above) and forgets them: in runs of calls of different contacts
 * and tasks, each run by s_calls_apply (a run of one by s_call_alone). A call that fails is
 * named to the framework (hf_service_event_failed). 0 or -1. */
static int s_calls_write(hf_service_t *svc, hf_store_t *st)
{
    int n = s_ncalls, rc = 0;
    for (int from = 0, to; from < n && rc == 0; from = to) {
        for (to = from + 1; to < n && !s_calls[to - 1].cancels; to++) {
            bool again = false;
            for (int k = from; k < to && !again; k++)
                again = s_calls[k].id == s_calls[to].id ||
                        (s_calls[to].task_id > 0 && s_calls[k].task_id == s_calls[to].task_id);
            if (again)
                break;
        }
        int failed = 0;
        if (to - from == 1)
            rc = s_call_alone(st, &s_calls[from]);
        else
            rc = s_calls_apply(st, s_calls + from, to - from, &failed);
        /* (the framework tells a lost store from the call's own failure) */
        if (rc != 0 && failed >= 0 && svc)
            hf_service_event_failed(svc, s_calls[from + failed].seq);
    }
    s_calls_forget();
    return rc == 0 ? 0 : -1;
}
/* Whether the text can go to the store in an array as in a parameter of its own: valid
 * UTF-8 (what the store checks; a call with another text is applied on its own, so that it
 * fails alone). */
static bool s_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80             ? 0
                : (*p & 0xE0) == 0xC0 ? 1
                : (*p & 0xF0) == 0xE0 ? 2
                : (*p & 0xF8) == 0xF0 ? 3
                                      : -1;
        if (n < 0 || (n == 1 && *p < 0xC2) || (n == 3 && *p > 0xF4))
            return false;
        uint32_t cp = n == 0 ? *p : (uint32_t)(*p & (0x3F >> n));
        for (int i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        p += n + 1;
    }
    return true;
}

/* Whether the calls held must be applied before env: every event with a handler here but a
 * call's (held with them) and a consultation's (it only counts); the other files' handlers
 * read and write none of what a call does. */
static bool s_calls_needed(const hf_envelope_t *env);

static int rep_on_call_logged(s_ctx_t *c)
{
    const Huifang__V1__Contact *ct = c->env->call_logged->contact;
    if (ct == NULL || ct->id <= 0)
        return -2;
    const Huifang__V1__OutcomeFlags *f = ct->flags;
    s_call_t e = {.seq = c->env->seq,
                  .at = c->env->occurred_at_ms,
                  .id = ct->id,
                  .customer_id = ct->customer_id,
                  .task_id = ct->task_id,
                  .purchase_id = ct->purchase_id,
                  .qty = ct->order_qty,
                  .claim_no = ct->claim_no,
                  .contacted = f && f->contacted,
                  .visit = strcmp(S(ct->channel), "visit") == 0,
                  .cancels = f && (f->do_not_call || f->unworkable) && ct->customer_id > 0,
                  .branch = (char *)c->branch,
                  .agent = (char *)S(ct->agent),
                  .channel = (char *)S(ct->channel),
                  .outcome = (char *)S(ct->outcome),
                  .product = (char *)S(ct->order_product)};
    s_local(c, ct->logged_at_ms, e.day);
    memcpy(e.eday, c->day, sizeof e.eday);
    if (!s_utf8(e.branch) || !s_utf8(e.agent) || !s_utf8(e.channel) || !s_utf8(e.outcome) ||
        !s_utf8(e.product)) {
        /* on its own, now: the calls held before it first */
        if (s_calls_write(c->svc, c->st) != 0)
            return -1;
        return s_call_alone(c->st, &e);
    }
    if (s_ncalls == HELD_CALLS && s_calls_write(c->svc, c->st) != 0)
        return -1;
    e.branch = s_dup(e.branch);
    e.agent = s_dup(e.agent);
    e.channel = s_dup(e.channel);
    e.outcome = s_dup(e.outcome);
    e.product = s_dup(e.product);
    s_calls[s_ncalls++] = e;
    return 0;
}

static int rep_on_consult_logged(s_ctx_t *c)
{
    const Huifang__V1__Consultation *co = c->env->consult_logged->consultation;
    if (co == NULL)
        return -2;
    /* a regulator's call is recorded (and alerts the manager) but sells nothing: it is not a
     * consultation of the conversion rate */
    if (co->regulator)
        return 0;
    char day[11];
    s_local(c, co->logged_at_ms, day);
    if (s_agent_add(c, S(co->agent), day, "consultations", 1) != 0)
        return -1;
    return s_agent_add(c, S(co->agent), day, "consult_bought",
                       strcmp(S(co->outcome), "bought") == 0 ? 1 : 0);
}

/* ---- complaints and returns ---------------------------------------------------------- */

/* Applies a complaint's card as an event published it (a reopened one is open again). */
static int s_complaint_apply(s_ctx_t *c, const Huifang__V1__Complaint *co)
{
    if (co == NULL || co->id <= 0)
        return -2;
    char id[24], level[16], due[24], resolved[24], breaches[16];
    const char *pu[] = {hf_pg_i64(id, co->id),
                        S(co->state),
                        hf_pg_i64(level, co->level),
                        hf_pg_i64(due, co->due_at_ms),
                        hf_pg_i64(resolved, co->resolved_at_ms),
                        hf_pg_i64(breaches, co->breaches)};
    PGresult *res = hf_store_query(c->st, &REP_Q_COMPLAINT_APPLY_COMPLAINT_SET_STATE, 6, pu);
    if (res == NULL)
        return -1;
    int updated = PQntuples(res);
    PQclear(res);
    if (updated)
        return 0;
    /* first sight of the complaint: who raised it is the agent of the contact it came
     * from, else who filed it, else the agent answering for it at level 0, else its owner */
    char agent[64];
    snprintf(agent, sizeof agent, "%s",
             *S(co->filed_by) ? co->filed_by
             : *S(co->agent)  ? co->agent
                              : S(co->owner));
    if (co->source_contact_id > 0) {
        char sc[24];
        const char *p[] = {hf_pg_i64(sc, co->source_contact_id)};
        res = hf_store_query(c->st, &REP_Q_COMPLAINT_APPLY_CONTACT_AGENT, 1, p);
        if (res == NULL)
            return -1;
        if (PQntuples(res))
            snprintf(agent, sizeof agent, "%s", hf_pg_str(res, 0, 0));
        PQclear(res);
    }
    int64_t opened_at = co->opened_at_ms > 0 ? co->opened_at_ms : c->env->occurred_at_ms;
    char day[11], at[24];
    s_local(c, opened_at, day);
    const char *pi[] = {id,    c->branch,    day,     S(co->category),
                        agent, S(co->state), level,   hf_pg_i64(at, opened_at),
                        due,   resolved,     breaches};
    if (hf_store_query_run(c->st, &REP_Q_COMPLAINT_APPLY_COMPLAINT_ADD, 11, pi) != 0)
        return -1;
    return s_agent_add(c, agent, day, "complaints", 1);
}

static int rep_on_complaint_opened(s_ctx_t *c)
{
    return s_complaint_apply(c, c->env->complaint_opened->complaint);
}

static int rep_on_complaint_changed(s_ctx_t *c)
{
    return s_complaint_apply(c, c->env->complaint_changed->complaint);
}

static int rep_on_complaint_escalated(s_ctx_t *c)
{
    if (s_complaint_apply(c, c->env->complaint_escalated->complaint) != 0)
        return -1;
    return s_complaint_day_add(c, "escalations", 1);
}

static int rep_on_complaint_resolved(s_ctx_t *c)
{
    const Huifang__V1__Complaint *co = c->env->complaint_resolved->complaint;
    if (co == NULL)
        return -2;
    Huifang__V1__Complaint copy = *co;
    if (copy.resolved_at_ms <= 0)
        copy.resolved_at_ms = c->env->occurred_at_ms;
    return s_complaint_apply(c, &copy);
}

static int rep_on_return_requested(s_ctx_t *c)
{
    return s_complaint_day_add(c, "returns_requested", 1);
}

static int rep_on_return_decided(s_ctx_t *c)
{
    const Huifang__V1__ReturnRequest *r = c->env->return_decided->request;
    if (r == NULL)
        return -2;
    if (strcmp(S(r->state), "approved") == 0)
        return s_complaint_day_add(c, "returns_approved", 1) != 0 ||
                       s_complaint_day_add(c, "refund_fen", r->refund_fen) != 0
                   ? -1
                   : 0;
    if (strcmp(S(r->state), "rejected") == 0)
        return s_complaint_day_add(c, "returns_rejected", 1);
    return 0;
}

static int rep_on_word_of_mouth_risk(s_ctx_t *c)
{
    return s_complaint_day_add(c, "risks", 1);
}

/* ---- dispatch ------------------------------------------------------------------------ */

typedef int (*s_model_fn)(s_ctx_t *c);

/* Every payload a read model needs; the rest are only counted in event_tally. */
static const struct {
    int payload;
    s_model_fn fn;
    bool dated; /* needs the branch's zone */
} s_models[] = {
    {HUIFANG__V1__ENVELOPE__PAYLOAD_BRANCH_UPSERTED, rep_on_branch, false},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_AGENT_UPSERTED, rep_on_agent, false},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_PRODUCT_UPSERTED, rep_on_product, false},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_REGISTERED, rep_on_lead_registered, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_MERGED, rep_on_lead_merged, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_REJECTED, rep_on_lead_rejected, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_UPDATED, rep_on_customer_updated, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CARD_TYPE_CHANGED, rep_on_card_type_changed, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMERS_MERGED, rep_on_customers_merged, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_OPTED_OUT, rep_on_opted_out, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_PURCHASE_RECORDED, rep_on_purchase_recorded, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_PLAN_STARTED, rep_on_plan_started, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_PLAN_ENDED, rep_on_plan_ended, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_ASSIGNED, rep_on_task_assigned, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_TASKS_ASSIGNED, rep_on_tasks_assigned, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_CLAIMED, rep_on_task_claimed, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_COMPLETED, rep_on_task_completed, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_SCREENED, rep_on_customer_screened, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CALL_LOGGED, rep_on_call_logged, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CONSULT_LOGGED, rep_on_consult_logged, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_COMPLAINT_OPENED, rep_on_complaint_opened, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_COMPLAINT_CHANGED, rep_on_complaint_changed, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_COMPLAINT_ESCALATED, rep_on_complaint_escalated, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_COMPLAINT_RESOLVED, rep_on_complaint_resolved, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_RETURN_REQUESTED, rep_on_return_requested, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_RETURN_DECIDED, rep_on_return_decided, true},
    {HUIFANG__V1__ENVELOPE__PAYLOAD_WORD_OF_MOUTH_RISK, rep_on_word_of_mouth_risk, true},
    {0, NULL, false}};

/* Whether env has a handler here: an event that may read or change what held events touch. */
static bool s_has_model(const hf_envelope_t *env)
{
    for (int i = 0; s_models[i].fn; i++)
        if (s_models[i].payload == (int)env->payload_case)
            return true;
    return false;
}

static bool s_tasks_needed(const hf_envelope_t *env)
{
    if (s_ntevents == 0)
        return false;
    switch (env->payload_case) {
    case HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_ASSIGNED:
    case HUIFANG__V1__ENVELOPE__PAYLOAD_TASKS_ASSIGNED:
    case HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_CLAIMED:
    case HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_COMPLETED:
        return false;
    default:
        return s_has_model(env);
    }
}

static bool s_calls_needed(const hf_envelope_t *env)
{
    if (s_ncalls == 0)
        return false;
    switch (env->payload_case) {
    case HUIFANG__V1__ENVELOPE__PAYLOAD_CALL_LOGGED:
    case HUIFANG__V1__ENVELOPE__PAYLOAD_CONSULT_LOGGED:
        return false;
    default:
        return s_has_model(env);
    }
}

/* The oneof member of a payload is a pointer in the envelope; protobuf-c leaves it set
 * whenever payload_case is, so only the payload's own submessages need NULL checks. */
int rep_cards_flush(hf_service_t *svc)
{
    return s_cards_write(hf_service_store(svc), false);
}

int rep_apply_event(hf_service_t *svc, const hf_envelope_t *env, hf_arena_t *arena)
{
    /* the calls held, before an event that may read or change what they do (nothing else is
     * held with them: each of the others is applied before a call) */
    if (s_calls_needed(env) && s_calls_write(svc, hf_service_store(svc)) != 0)
        return -1;
    /* the card changes held, before any other event (and before the memo is taken: they
     * leave it as one at a time did) */
    if (s_cchanges_needed(env) && s_cchanges_write(hf_service_store(svc)) != 0)
        return -1;
    s_zones_seen(hf_service_store(svc), env);
    s_card_memo_take(hf_service_store(svc), env);
    /* the cards held are made before a handler that may read them (this one, or another
     * file's that runs after it) */
    if (s_cards_needed(env) && s_cards_write(hf_service_store(svc), false) != 0)
        return -1;
    /* the task events held, before an event that may read or change a task */
    if (s_tasks_needed(env) && s_tasks_write(hf_service_store(svc)) != 0)
        return -1;
    /* and the plans held, before any other event (each may read or change their steps) */
    if (env->payload_case != HUIFANG__V1__ENVELOPE__PAYLOAD_PLAN_STARTED &&
        s_plans_write(hf_service_store(svc)) != 0)
        return -1;
    for (int i = 0; s_models[i].fn; i++) {
        if (s_models[i].payload != (int)env->payload_case)
            continue;
        s_ctx_t c = {0};
        c.svc = svc;
        c.st = hf_service_store(svc);
        c.env = env;
        c.branch = S(env->branch);
        c.arena = arena;
        if (s_models[i].dated) {
            if (*c.branch == '\0')
                return 0; /* an event of no branch counts for no branch's report */
            int rc = s_zone(&c);
            if (rc < 0)
                return -1;
            if (rc > 0) {
                /* intake publishes the branch before anything in it: its event is on its way */
                hf_warn("branch_unknown", "branch=%s producer=%s seq=%llu", c.branch,
                        S(env->producer), (unsigned long long)env->seq);
                return -1;
            }
            s_local(&c, 0, c.day);
        }
        return s_models[i].fn(&c);
    }
    return rep_campaign_apply(svc, env, arena);
}
