/* sched_cap: the weekly contact cap (issue 16). A customer is contacted at most per_week
 * times in an ISO week (Monday to Sunday in the branch's zone); per_week is data per branch
 * (table contact_cap, branch '' the default 2), set by `contact_cap_set`.
 *
 * What it counts and holds are calls (channel phone): the manuals' "not too often" is about
 * calls — a home visit is an appointment made with the customer, and letters and WeChat are
 * the channels a branch uses precisely to avoid over-calling (DOMAIN.md, "Channel"). The
 * manuals' member plan alone has a home visit and two calls in its first week, plus a
 * doctor's visit after an adverse reaction: counting visits would hold those back.
 *
 * Where it holds: every task passes through the assignment (sched_assign.c,
 * s_assign_lanes) on its way into a date bag, and that is where sched_cap_check() runs, for
 * every task of every origin, so no plan, occasion or campaign can go around it. What counts
 * as a contact of the week: the customer's calls in date bags of that week (assigned,
 * claimed or done, not skipped), the calls still open in a bag of the four weeks before (they
 * roll into today's bag, every day; four weeks covers a scheduler stopped that long: counted
 * whether or not the roll-over, sched_house.c, has moved them yet,
 * so the answer does not depend on which timer ran first after midnight), plus the ones ahead
 * of it in the same batch. A task over the
 * cap moves to the first window of the next Monday (a plan step: the next day the cap
 * allows), except an occasion's greeting, which is dropped (a birthday call next week is no
 * birthday call). Contacts the customer asked for or needs — a callback, a promised
 * follow-up, a doctor's visit after an adverse reaction — are never held back, but they
 * count. When an occasion is planned (sched_occasion.c) the week's contacts already planned
 * count too, so a greeting gives way to the plan's steps rather than the other way round. */
#include "hf_wire.h"
#include "scheduler_internal.h"
#include "scheduler_sql.h"

bool sched_cap_counts(const char *channel)
{
    return strcmp(channel, "phone") == 0;
}

bool sched_cap_exempt(const char *origin)
{
    return strcmp(origin, "callback") == 0 || strcmp(origin, "promised") == 0 ||
           strcmp(origin, "adverse") == 0;
}

int32_t sched_cap_week_start(int32_t day)
{
    /* 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays */
    return day - (int32_t)(((day % 7) + 7 + 3) % 7);
}

int sched_cap_per_week(hf_store_t *st, const char *branch)
{
    const char *p[] = {branch};
    PGresult *res = hf_store_query(st, &SCHED_Q_CAP_PER_WEEK, 1, p);
    if (res == NULL)
        return -1;
    int cap = PQntuples(res) ? (int)hf_pg_int(res, 0, 0) : SCHED_CAP_DEFAULT;
    PQclear(res);
    return cap;
}

static int s_cmp_item(const void *pa, const void *pb)
{
    const sched_cap_item_t *a = *(const sched_cap_item_t *const *)pa;
    const sched_cap_item_t *b = *(const sched_cap_item_t *const *)pb;
    if (a->customer_id != b->customer_id)
        return a->customer_id < b->customer_id ? -1 : 1;
    int32_t ma = sched_cap_week_start(a->day), mb = sched_cap_week_start(b->day);
    if (ma != mb)
        return ma < mb ? -1 : 1;
    bool ea = sched_cap_exempt(a->origin), eb = sched_cap_exempt(b->origin);
    if (ea != eb)
        return ea ? -1 : 1; /* what is never held takes its room first */
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* One customer's week in the batch: its items are order[from..to). */
typedef struct {
    int64_t customer_id;
    int32_t monday;
    int from, to;
    int cap, used; /* from the store; cap -1 while unread */
} s_week_t;

static int s_cmp_week(const void *pa, const void *pb)
{
    const s_week_t *a = pa, *b = pb;
    if (a->customer_id != b->customer_id)
        return a->customer_id < b->customer_id ? -1 : 1;
    return a->monday < b->monday ? -1 : a->monday > b->monday;
}

int sched_cap_check(hf_store_t *st, sched_cap_item_t *items, int n, hf_arena_t *a)
{
    if (n <= 0)
        return 0;
    /* the batch's tasks by customer and week, in the order they take the week's room: exempt
     * ones, then the most urgent first */
    sched_cap_item_t **order = hf_new_array(a, sched_cap_item_t *, n);
    for (int i = 0; i < n; i++) {
        items[i].over = false;
        items[i].next_day = sched_cap_week_start(items[i].day) + 7;
        order[i] = &items[i];
    }
    qsort(order, (size_t)n, sizeof *order, s_cmp_item);
    /* only a week with a call that may be held needs its count from the store: one whose
     * calls are all exempt, or that has no call at all, holds nothing whatever the count */
    s_week_t *weeks = hf_new_array(a, s_week_t, n);
    int64_t *cids = hf_new_array(a, int64_t, n);
    const char **branches = hf_new_array(a, const char *, n);
    const char **mondays = hf_new_array(a, const char *, n);
    int nw = 0;
    for (int g = 0; g < n;) {
        int32_t mon = sched_cap_week_start(order[g]->day);
        int e = g;
        bool holdable = false;
        while (e < n && order[e]->customer_id == order[g]->customer_id &&
               sched_cap_week_start(order[e]->day) == mon) {
            holdable |= sched_cap_counts(order[e]->channel) && !sched_cap_exempt(order[e]->origin);
            e++;
        }
        if (holdable) {
            weeks[nw] = (s_week_t){order[g]->customer_id, mon, g, e, -1, 0};
            cids[nw] = order[g]->customer_id;
            branches[nw] = order[g]->branch;
            char *m = hf_new_array(a, char, 11);
            hf_date_format(mon, m);
            mondays[nw++] = m;
        }
        g = e;
    }
    if (nw == 0)
        return 0;
    const char *p[] = {sched_int_array_a(a, cids, (size_t)nw),
                       sched_text_array_a(a, branches, (size_t)nw),
                       sched_text_array_a(a, mondays, (size_t)nw)};
    PGresult *res = hf_store_query(st, &SCHED_Q_CAP_CHECK, 3, p);
    if (res == NULL)
        return -1;
    /* the weeks are in (customer, Monday) order, as the items are sorted: bsearch finds each */
    for (int r = 0; r < PQntuples(res); r++) {
        s_week_t key = {.customer_id = hf_pg_int(res, r, 0),
                        .monday = (int32_t)hf_pg_int(res, r, 1)};
        s_week_t *w = bsearch(&key, weeks, (size_t)nw, sizeof *weeks, s_cmp_week);
        if (w == NULL)
            continue;
        w->cap = (int)hf_pg_int(res, r, 2);
        w->used = (int)hf_pg_int(res, r, 3);
    }
    PQclear(res);
    int held = 0;
    for (int k = 0; k < nw; k++) {
        s_week_t *w = &weeks[k];
        if (w->cap < 0) {
            /* every week asked for comes back (an inner join on its own branch) */
            hf_error("contact_cap_unread", "customer=%lld", (long long)w->customer_id);
            return -1;
        }
        int taken = w->used;
        for (int i = w->from; i < w->to; i++) {
            sched_cap_item_t *it = order[i];
            if (!sched_cap_counts(it->channel))
                continue; /* a visit, a letter, a WeChat message: not a call */
            if (!sched_cap_exempt(it->origin) && taken >= w->cap) {
                it->over = true;
                held++;
            } else {
                taken++;
            }
        }
    }
    if (held)
        hf_info("contact_cap_held", "tasks=%d checked=%d", held, n);
    return held;
}

/* ---------------------------------------------------------------------------------------
 * Commands: contact_cap_set, contact_cap_get
 * ------------------------------------------------------------------------------------- */

static int s_reply_cap(hf_service_t *svc, const char *branch, hf_reply_t *rep, hf_arena_t *a)
{
    const char *p[] = {branch};
    PGresult *res = hf_store_query(hf_service_store(svc), &SCHED_Q_REPLY_CAP, 1, p);
    if (res == NULL)
        return hf_fail(rep, a, HF_UNAVAILABLE, "", "the store failed: %s",
                       hf_store_error(hf_service_store(svc)));
    Huifang__V1__ContactCap *c = hf_new(a, Huifang__V1__ContactCap);
    huifang__v1__contact_cap__init(c);
    c->branch = hf_arena_strdup(a, branch);
    c->per_week = PQntuples(res) ? (int32_t)hf_pg_int(res, 0, 0) : SCHED_CAP_DEFAULT;
    c->own = PQntuples(res) ? hf_pg_bool(res, 0, 1) : false;
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_CONTACT_CAP;
    rep->contact_cap = c;
    return HF_OK;
}

static int s_need_branch(hf_service_t *svc, const char *branch, hf_reply_t *rep, hf_arena_t *a)
{
    sched_branch_t b;
    bool missing = false;
    if (branch == NULL || *branch == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "branch", "branch is required");
    if (sched_branch_get(hf_service_store(svc), branch, &b, &missing) != 0)
        return missing ? hf_fail(rep, a, HF_BAD_INPUT, "branch", "unknown branch %s", branch)
                       : hf_fail(rep, a, HF_UNAVAILABLE, "", "the store failed: %s",
                                 hf_store_error(hf_service_store(svc)));
    return HF_OK;
}

int sched_contact_cap_get(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                          hf_arena_t *a)
{
    (void)self;
    int rc = s_need_branch(svc, req->branch, rep, a);
    return rc != HF_OK ? rc : s_reply_cap(svc, req->branch, rep, a);
}

int sched_contact_cap_set(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                          hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__ContactCapSet *s = req->contact_cap_set;
    int rc = s_need_branch(svc, req->branch, rep, a);
    if (rc != HF_OK)
        return rc;
    hf_store_t *st = hf_service_store(svc);
    if (s->reset) {
        if (s->per_week != 0)
            return hf_fail(rep, a, HF_BAD_INPUT, "per_week",
                           "give --per-week or --reset, not both");
        const char *p[] = {req->branch};
        if (hf_store_query_run(st, &SCHED_Q_CONTACT_CAP_SET_CONTACT_CAP_DELETE, 1, p) != 0)
            return hf_fail(rep, a, HF_UNAVAILABLE, "", "the store failed: %s", hf_store_error(st));
        return s_reply_cap(svc, req->branch, rep, a);
    }
    if (s->per_week < 1 || s->per_week > 50)
        return hf_fail(rep, a, HF_BAD_INPUT, "per_week",
                       "per_week must be 1..50 contacts a customer in a week");
    char pw[16], now[24];
    const char *p[] = {req->branch, hf_pg_i64(pw, s->per_week), hf_pg_i64(now, hf_clock_now_ms()),
                       S(req->actor)};
    if (hf_store_query_run(st, &SCHED_Q_CONTACT_CAP_SET_CONTACT_CAP_INSERT, 4, p) != 0)
        return hf_fail(rep, a, HF_UNAVAILABLE, "", "the store failed: %s", hf_store_error(st));
    hf_info("contact_cap_set", "branch=%s per_week=%d", req->branch, (int)s->per_week);
    return s_reply_cap(svc, req->branch, rep, a);
}
