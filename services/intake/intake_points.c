/* intake_points: members' points and the gift catalogue (issue 16).
 *
 * A customer earns points per whole yuan paid (in the transaction that records the purchase)
 * and per attended event (intake_points_award_event, which the campaign code calls), by the
 * branch's rules (points_rule; branch '' the defaults). A clerk redeems points for a gift of
 * the catalogue or a free service. A return takes back the points its units earned.
 *
 * The balance lives on one row per customer (points_account): every change locks it first
 * (SELECT ... FOR UPDATE), so concurrent redemptions of one customer queue, and the second
 * sees what the first left; its CHECK (balance >= 0) makes a negative balance impossible
 * whatever the code does. The ledger (points_ledger) explains it: one row per change with its
 * delta and the balance after, so the deltas add up to the balance.
 *
 * A return after the points were spent: the balance never goes below zero, so the return
 * takes what is left and records the rest as owed (on the ledger row's shortfall and the
 * account's owed); the customer's next earnings settle what is owed before they reach the
 * balance. Buying, redeeming the points and returning the goods so leaves no free gift, and
 * nobody is ever shown a negative balance. */
#include "hf_clock.h"
#include "hf_log.h"
#include "intake_internal.h"
#include "intake_sql.h"
#include <stdio.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")

/* ---- the arithmetic (pure; tests/unit/test_intake_points_math.c) ---- */

int64_t intake_points_earned(int64_t price_fen, int per_yuan)
{
    if (price_fen <= 0 || per_yuan <= 0)
        return 0;
    return price_fen / 100 * per_yuan; /* whole yuan paid */
}

int64_t intake_points_returned(int64_t earned, int32_t quantity, int32_t used, int64_t refund_fen,
                               int64_t price_paid_fen)
{
    if (earned <= 0)
        return 0;
    if (quantity > 0) {
        int64_t units = (int64_t)quantity - (used > 0 ? used : 0);
        return units <= 0 ? 0 : earned * units / quantity;
    }
    if (price_paid_fen > 0) {
        int64_t refund = refund_fen < 0                ? 0
                         : refund_fen < price_paid_fen ? refund_fen
                                                       : price_paid_fen;
        return earned * refund / price_paid_fen;
    }
    return earned;
}

bool intake_points_apply(intake_points_kind_t kind, int64_t balance, int64_t owed, int64_t points,
                         intake_points_move_t *out)
{
    *out = (intake_points_move_t){0, owed, 0};
    switch (kind) {
    case INTAKE_POINTS_EARN: {
        int64_t settle = owed < points ? owed : points;
        out->owed = owed - settle;
        out->delta = points - settle;
        return true;
    }
    case INTAKE_POINTS_REDEEM:
        if (points <= 0 || points > balance)
            return false;
        out->delta = -points;
        return true;
    case INTAKE_POINTS_RETURN: {
        int64_t take = balance < points ? balance : points;
        out->shortfall = points - take;
        out->owed = owed + out->shortfall;
        out->delta = -take;
        return true;
    }
    }
    return false;
}

/* ---- the ledger ---- */

typedef intake_points_kind_t s_move_kind_t;
#define MOVE_EARN INTAKE_POINTS_EARN
#define MOVE_REDEEM INTAKE_POINTS_REDEEM
#define MOVE_RETURN INTAKE_POINTS_RETURN

/* One change of a customer's points inside the open transaction: locks (or opens) the
 * account, computes the delta (earnings settle what is owed first; a return takes at most
 * the balance and owes the rest; a redemption needs the balance), writes the ledger row and
 * the account, and emits the event. points > 0 in every case (what the rule gives, the
 * clerk redeems, the return takes back). Returns 1 with *out, 0 when the row was recorded
 * before (a purchase, an event or a return is recorded once: nothing changes), -2 when a
 * redemption exceeds the balance (*balance set, nothing changed), -1 on a store error. */
static int s_move(hf_service_t *svc, const char *branch, int64_t customer_id, s_move_kind_t kind,
                  const char *reason, const char *reference, int64_t points, int64_t purchase_id,
                  const char *actor, Huifang__V1__PointsEntry **out, int64_t *balance,
                  hf_arena_t *a)
{
    hf_store_t *st = hf_service_store(svc);
    char cid[24];
    const char *pa[] = {hf_pg_i64(cid, customer_id), branch};
    if (hf_store_query_run(st, &INTAKE_Q_MOVE_POINTS_ACCOUNT_INSERT, 2, pa) != 0)
        return -1;
    PGresult *res = hf_store_query(st, &INTAKE_Q_MOVE_POINTS_ACCOUNT, 1, pa);
    if (res == NULL)
        return -1;
    int64_t bal = hf_pg_int(res, 0, 0), owed = hf_pg_int(res, 0, 1);
    PQclear(res);
    *balance = bal;
    intake_points_move_t mv;
    if (!intake_points_apply(kind, bal, owed, points, &mv))
        return -2;
    int64_t delta = mv.delta, shortfall = mv.shortfall;
    owed = mv.owed;
    int64_t now = hf_clock_now_ms();
    char d[24], ba[24], ow[24], pt[24], sf[24], pid[24], at[24];
    const char *pl[] = {cid,
                        branch,
                        hf_pg_i64(d, delta),
                        reason,
                        reference,
                        hf_pg_i64(ba, bal + delta),
                        hf_pg_i64(ow, owed),
                        hf_pg_i64(pt, points),
                        hf_pg_i64(sf, shortfall),
                        purchase_id > 0 ? hf_pg_i64(pid, purchase_id) : NULL,
                        S(actor),
                        hf_pg_i64(at, now)};
    res = hf_store_query(st, &INTAKE_Q_MOVE_POINTS_LEDGER_INSERT, 12, pl);
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return 0;
    }
    int64_t id = hf_pg_int(res, 0, 0);
    PQclear(res);
    const char *pu[] = {cid, ba, ow};
    if (hf_store_query_run(st, &INTAKE_Q_MOVE_POINTS_ACCOUNT_UPDATE, 3, pu) != 0)
        return -1;

    Huifang__V1__PointsEntry *e = hf_new(a, Huifang__V1__PointsEntry);
    huifang__v1__points_entry__init(e);
    e->id = id;
    e->customer_id = customer_id;
    e->branch = hf_arena_strdup(a, branch);
    e->delta = delta;
    e->reason = hf_arena_strdup(a, reason);
    e->reference = hf_arena_strdup(a, reference);
    e->balance_after = bal + delta;
    e->owed_after = owed;
    e->actor = hf_arena_strdup(a, S(actor));
    e->at_ms = now;
    e->points = points;
    e->shortfall = shortfall;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = e->branch;
    Huifang__V1__PointsEarned earned = HUIFANG__V1__POINTS_EARNED__INIT;
    Huifang__V1__PointsRedeemed redeemed = HUIFANG__V1__POINTS_REDEEMED__INIT;
    Huifang__V1__PointsReversed reversed = HUIFANG__V1__POINTS_REVERSED__INIT;
    if (kind == MOVE_EARN) {
        earned.entry = e;
        env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_POINTS_EARNED;
        env.points_earned = &earned;
    } else if (kind == MOVE_REDEEM) {
        redeemed.entry = e;
        env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_POINTS_REDEEMED;
        env.points_redeemed = &redeemed;
    } else {
        reversed.entry = e;
        env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_POINTS_REVERSED;
        env.points_reversed = &reversed;
    }
    if (hf_service_emit(svc, &env) != 0)
        return -1;
    hf_info("points",
            "customer=%lld reason=%s reference=%s points=%lld delta=%lld balance=%lld"
            " owed=%lld",
            (long long)customer_id, reason, reference, (long long)points, (long long)delta,
            (long long)e->balance_after, (long long)owed);
    *balance = e->balance_after;
    *out = e;
    return 1;
}

/* The branch's rules: its own row, else the defaults (branch ''). 0 or -1. */
static int s_rules(hf_store_t *st, const char *branch, int *per_yuan, int *per_event, bool *own)
{
    const char *p[] = {branch};
    PGresult *res = hf_store_query(st, &INTAKE_Q_POINTS_RULE, 1, p);
    if (res == NULL)
        return -1;
    *per_yuan = *per_event = 0;
    *own = false;
    if (PQntuples(res) == 1) {
        *per_yuan = (int)hf_pg_int(res, 0, 0);
        *per_event = (int)hf_pg_int(res, 0, 1);
        *own = hf_pg_bool(res, 0, 2);
    }
    PQclear(res);
    return 0;
}

/* ---- earning, and taking back ---- */

int intake_points_on_purchase(hf_service_t *svc, const char *branch, const Huifang__V1__Purchase *p,
                              const char *actor, hf_arena_t *a)
{
    int per_yuan, per_event;
    bool own;
    if (s_rules(hf_service_store(svc), branch, &per_yuan, &per_event, &own) != 0)
        return -1;
    int64_t points = intake_points_earned(p->price_fen, per_yuan);
    if (points <= 0)
        return 0;
    char ref[40];
    snprintf(ref, sizeof ref, "purchase:%lld", (long long)p->id);
    Huifang__V1__PointsEntry *e;
    int64_t bal;
    return s_move(svc, branch, p->customer_id, MOVE_EARN, "purchase", ref, points, p->id, actor, &e,
                  &bal, a) < 0
               ? -1
               : 0;
}

int intake_points_award_event(hf_service_t *svc, hf_store_t *st, const char *branch,
                              int64_t customer_id, int64_t campaign_id, const char *actor,
                              hf_arena_t *a)
{
    int per_yuan, per_event;
    bool own;
    if (customer_id <= 0 || campaign_id <= 0 || S(branch)[0] == '\0')
        return -1;
    if (s_rules(st, branch, &per_yuan, &per_event, &own) != 0)
        return -1;
    if (per_event <= 0)
        return 0;
    char ref[40];
    snprintf(ref, sizeof ref, "campaign:%lld", (long long)campaign_id);
    Huifang__V1__PointsEntry *e = NULL;
    int64_t bal;
    int rc = s_move(svc, branch, customer_id, MOVE_EARN, "event", ref, per_event, 0,
                    *S(actor) ? actor : "campaign", &e, &bal, a);
    return rc < 0 ? -1 : rc == 0 ? 0 : (int)(e->points);
}

int intake_points_on_return(hf_service_t *svc, const char *branch, int64_t customer_id,
                            const Huifang__V1__ReturnRequest *r, hf_arena_t *a)
{
    char pid[24];
    const char *p[] = {hf_pg_i64(pid, r->purchase_id)};
    PGresult *res = hf_store_query(hf_service_store(svc), &INTAKE_Q_POINTS_ON_RETURN, 1, p);
    if (res == NULL)
        return -1;
    int64_t earned = hf_pg_int(res, 0, 0);
    PQclear(res);
    if (earned <= 0)
        return 0; /* bought before points, or under a rule of none */
    /* the points of what came back: the units not used, of the units bought; an event
     * without the counts falls back to the share of the price refunded */
    int64_t back =
        intake_points_returned(earned, r->quantity, r->used_qty, r->refund_fen, r->price_paid_fen);
    if (back <= 0)
        return 0;
    char ref[40];
    snprintf(ref, sizeof ref, "return:%lld", (long long)r->id);
    Huifang__V1__PointsEntry *e;
    int64_t bal;
    return s_move(svc, branch, customer_id, MOVE_RETURN, "return", ref, back, r->purchase_id,
                  *S(r->decided_by) ? r->decided_by : "complaint", &e, &bal, a) < 0
               ? -1
               : 0;
}

int intake_points_on_merge(hf_service_t *svc, const char *branch, int64_t keep, int64_t other,
                           const char *actor, hf_arena_t *a)
{
    hf_store_t *st = hf_service_store(svc);
    char kid[24], oid[24];
    const char *p[] = {hf_pg_i64(kid, keep), hf_pg_i64(oid, other), branch};
    /* both accounts locked, in id order (as any other two-account change would) */
    if (hf_store_query_run(st, &INTAKE_Q_POINTS_ON_MERGE_POINTS_ACCOUNT_INSERT, 3, p) != 0)
        return -1;
    PGresult *res = hf_store_query(st, &INTAKE_Q_POINTS_ON_MERGE_POINTS_ACCOUNT, 2, p);
    if (res == NULL)
        return -1;
    int64_t balance = 0, owed = 0;
    for (int i = 0; i < PQntuples(res); i++)
        if (hf_pg_int(res, i, 0) == other) {
            balance = hf_pg_int(res, i, 1);
            owed = hf_pg_int(res, i, 2);
        }
    PQclear(res);
    if (balance == 0 && owed == 0)
        return 0;
    Huifang__V1__PointsEntry *e;
    int64_t bal;
    char ref[64];
    /* the other's balance leaves its ledger, what it owed goes with the person, and the
     * balance arrives on the kept one's ledger (settling what is owed first, as earnings do) */
    snprintf(ref, sizeof ref, "merged into customer %lld", (long long)keep);
    if (balance > 0 &&
        s_move(svc, branch, other, MOVE_RETURN, "adjust", ref, balance, 0, actor, &e, &bal, a) < 0)
        return -1;
    char ow[24];
    const char *po[] = {kid, oid, hf_pg_i64(ow, owed)};
    if (owed > 0 &&
        (hf_store_query_run(st, &INTAKE_Q_POINTS_ON_MERGE_POINTS_ACCOUNT_UPDATE, 2, po) != 0 ||
         hf_store_query_run(st, &INTAKE_Q_POINTS_ON_MERGE_POINTS_ACCOUNT_UPDATE_2, 3, po) != 0))
        return -1;
    snprintf(ref, sizeof ref, "merged from customer %lld", (long long)other);
    if (balance > 0 &&
        s_move(svc, branch, keep, MOVE_EARN, "adjust", ref, balance, 0, actor, &e, &bal, a) < 0)
        return -1;
    hf_info("points_merged", "keep=%lld other=%lld balance=%lld owed=%lld", (long long)keep,
            (long long)other, (long long)balance, (long long)owed);
    return 0;
}

/* ---- commands ---- */

/* The customer of the request's branch, not merged: HF_OK, or the failure in rep. */
static int s_customer(hf_service_t *svc, const intake_branch_t *b, int64_t id, hf_reply_t *rep,
                      hf_arena_t *a)
{
    int rc;
    if (id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "customer", "customer is required (a customer id)");
    Huifang__V1__Customer *c = intake_customer_load(svc, b, id, false, a, &rc);
    if (c == NULL)
        return rc == HF_NOT_FOUND ? hf_fail(rep, a, HF_NOT_FOUND, "customer",
                                            "no customer %lld in branch %s", (long long)id, b->code)
                                  : intake_store_fail(svc, rep, a);
    if (c->merged_into)
        return hf_fail(rep, a, HF_NOT_FOUND, "customer",
                       "customer %lld was merged into customer %lld", (long long)id,
                       (long long)c->merged_into);
    return HF_OK;
}

/* Text a clerk types (an item, a gift's name): 1..max bytes, no control characters. */
static int s_text(const char *s, const char *field, size_t max, hf_reply_t *rep, hf_arena_t *a)
{
    size_t n = strlen(S(s));
    if (n == 0)
        return hf_fail(rep, a, HF_BAD_INPUT, field, "%s is required", field);
    if (n > max)
        return hf_fail(rep, a, HF_BAD_INPUT, field, "%s is longer than %zu bytes", field, max);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return hf_fail(rep, a, HF_BAD_INPUT, field, "%s holds a control character", field);
    return HF_OK;
}

/* A gift's code: 1..24 of letters, digits, '-', '_'. */
static bool s_code_ok(const char *s)
{
    return hf_code_valid(s, strlen(S(s)));
}

static Huifang__V1__PointsEntry *s_entry_from_row(const PGresult *res, int i, hf_arena_t *a)
{
    Huifang__V1__PointsEntry *e = hf_new(a, Huifang__V1__PointsEntry);
    huifang__v1__points_entry__init(e);
    e->id = hf_pg_int(res, i, 0);
    e->customer_id = hf_pg_int(res, i, 1);
    e->branch = hf_arena_strdup(a, hf_pg_str(res, i, 2));
    e->delta = hf_pg_int(res, i, 3);
    e->reason = hf_arena_strdup(a, hf_pg_str(res, i, 4));
    e->reference = hf_arena_strdup(a, hf_pg_str(res, i, 5));
    e->balance_after = hf_pg_int(res, i, 6);
    e->owed_after = hf_pg_int(res, i, 7);
    e->points = hf_pg_int(res, i, 8);
    e->shortfall = hf_pg_int(res, i, 9);
    e->actor = hf_arena_strdup(a, hf_pg_str(res, i, 10));
    e->at_ms = hf_pg_int(res, i, 11);
    return e;
}

/* Replies with the customer's account: balance, owed, totals and the newest limit rows. */
static int s_reply_account(hf_service_t *svc, const char *branch, int64_t customer_id, int limit,
                           hf_reply_t *rep, hf_arena_t *a)
{
    hf_store_t *st = hf_service_store(svc);
    char cid[24], lim[16];
    const char *p[] = {hf_pg_i64(cid, customer_id), hf_pg_i64(lim, limit)};
    Huifang__V1__PointsAccount *acc = hf_new(a, Huifang__V1__PointsAccount);
    huifang__v1__points_account__init(acc);
    acc->customer_id = customer_id;
    acc->branch = hf_arena_strdup(a, branch);
    PGresult *res = hf_store_query(st, &INTAKE_Q_REPLY_ACCOUNT_POINTS_ACCOUNT, 1, p);
    if (res == NULL)
        return intake_store_fail(svc, rep, a);
    acc->balance = hf_pg_int(res, 0, 0);
    acc->owed = hf_pg_int(res, 0, 1);
    acc->earned = hf_pg_int(res, 0, 2);
    acc->redeemed = hf_pg_int(res, 0, 3);
    acc->reversed = hf_pg_int(res, 0, 4);
    PQclear(res);
    res = hf_store_query(st, &INTAKE_Q_REPLY_ACCOUNT_POINTS_LEDGER, 2, p);
    if (res == NULL)
        return intake_store_fail(svc, rep, a);
    int n = PQntuples(res);
    acc->entries = hf_new_array(a, Huifang__V1__PointsEntry *, n ? n : 1);
    for (int i = 0; i < n; i++)
        acc->entries[acc->n_entries++] = s_entry_from_row(res, i, a);
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_POINTS;
    rep->points = acc;
    return HF_OK;
}

int intake_points_show(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                       hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__PointsShow *q = req->points_show;
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    if (q->limit < 0 || q->limit > 1000)
        return hf_fail(rep, a, HF_BAD_INPUT, "limit", "limit must be 1..1000");
    if ((rc = s_customer(svc, &b, q->customer_id, rep, a)) != HF_OK)
        return rc;
    if (hf_service_audit(svc, &q->customer_id, 1) != 0)
        return intake_store_fail(svc, rep, a);
    return s_reply_account(svc, b.code, q->customer_id, q->limit ? q->limit : 100, rep, a);
}

int intake_points_redeem(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__PointsRedeem *q = req->points_redeem;
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    if (q->points < 0 || (q->points == 0 && S(q->gift)[0] == '\0'))
        return hf_fail(rep, a, HF_BAD_INPUT, "points",
                       "points must be a whole number above zero (got %lld)", (long long)q->points);
    if (q->points > 100000000)
        return hf_fail(rep, a, HF_BAD_INPUT, "points", "points must be at most 100000000");
    int64_t points = q->points;
    const char *item = S(q->item);
    if (S(q->gift)[0]) {
        if (!s_code_ok(q->gift))
            return hf_fail(rep, a, HF_BAD_INPUT, "gift",
                           "gift \"%s\" must be 1-24 letters, digits, '-' or '_'", q->gift);
        const char *p[] = {b.code, q->gift};
        PGresult *res = hf_store_query(hf_service_store(svc), &INTAKE_Q_POINTS_REDEEM, 2, p);
        if (res == NULL)
            return intake_store_fail(svc, rep, a);
        if (PQntuples(res) != 1) {
            PQclear(res);
            return hf_fail(rep, a, HF_BAD_INPUT, "gift", "no gift %s in branch %s's catalogue",
                           q->gift, b.code);
        }
        int64_t price = hf_pg_int(res, 0, 1);
        if (!*item)
            item = hf_arena_printf(a, "%s (%s)", hf_pg_str(res, 0, 0), q->gift);
        PQclear(res);
        if (points != 0 && points != price)
            return hf_fail(rep, a, HF_BAD_INPUT, "points",
                           "points %lld are not the price of gift %s (%lld)", (long long)points,
                           q->gift, (long long)price);
        points = price;
    }
    if ((rc = s_text(item, "item", 120, rep, a)) != HF_OK)
        return rc;
    if ((rc = s_customer(svc, &b, q->customer_id, rep, a)) != HF_OK)
        return rc;
    Huifang__V1__PointsEntry *e = NULL;
    int64_t bal = 0;
    int m = s_move(svc, b.code, q->customer_id, MOVE_REDEEM, "redeem", item, points, 0, req->actor,
                   &e, &bal, a);
    if (m == -1)
        return intake_store_fail(svc, rep, a);
    if (m == -2)
        return hf_fail(rep, a, HF_BAD_INPUT, "points",
                       "points %lld exceed customer %lld's balance of %lld", (long long)points,
                       (long long)q->customer_id, (long long)bal);
    if (hf_service_audit(svc, &q->customer_id, 1) != 0)
        return intake_store_fail(svc, rep, a);
    rep->note = hf_arena_printf(a, "redeemed %lld points for %s; balance %lld", (long long)points,
                                item, (long long)bal);
    return s_reply_account(svc, b.code, q->customer_id, 10, rep, a);
}

int intake_points_rules(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__PointsRules *q = req->points_rules;
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    if (q->set_per_yuan && (q->per_yuan < 0 || q->per_yuan > 100))
        return hf_fail(rep, a, HF_BAD_INPUT, "per_yuan", "per_yuan must be 0..100");
    if (q->set_per_event && (q->per_event < 0 || q->per_event > 100000))
        return hf_fail(rep, a, HF_BAD_INPUT, "per_event", "per_event must be 0..100000");
    hf_store_t *st = hf_service_store(svc);
    int per_yuan, per_event;
    bool own;
    if (s_rules(st, b.code, &per_yuan, &per_event, &own) != 0)
        return intake_store_fail(svc, rep, a);
    if (q->set_per_yuan || q->set_per_event) {
        if (q->set_per_yuan)
            per_yuan = q->per_yuan;
        if (q->set_per_event)
            per_event = q->per_event;
        char y[16], e[16];
        const char *p[] = {b.code, hf_pg_i64(y, per_yuan), hf_pg_i64(e, per_event)};
        if (hf_store_query_run(st, &INTAKE_Q_POINTS_RULES, 3, p) != 0)
            return intake_store_fail(svc, rep, a);
        own = true;
        hf_info("points_rules", "branch=%s per_yuan=%d per_event=%d", b.code, per_yuan, per_event);
    }
    Huifang__V1__PointsRules *r = hf_new(a, Huifang__V1__PointsRules);
    huifang__v1__points_rules__init(r);
    r->branch = hf_arena_strdup(a, b.code);
    r->per_yuan = per_yuan;
    r->per_event = per_event;
    r->own = own;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_POINTS_RULES;
    rep->points_rules = r;
    return HF_OK;
}

int intake_gift_add(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                    hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__Gift *g = req->gift_add->gift;
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    if (g == NULL || !s_code_ok(g->code))
        return hf_fail(rep, a, HF_BAD_INPUT, "code",
                       "code \"%s\" must be 1-24 letters, digits, '-' or '_'", g ? S(g->code) : "");
    if ((rc = s_text(g->name, "name", 120, rep, a)) != HF_OK)
        return rc;
    if (g->points <= 0 || g->points > 100000000)
        return hf_fail(rep, a, HF_BAD_INPUT, "points", "points must be 1..100000000");
    char pt[24];
    const char *p[] = {b.code, g->code, g->name, hf_pg_i64(pt, g->points)};
    PGresult *res = hf_store_query(hf_service_store(svc), &INTAKE_Q_GIFT_ADD, 4, p);
    if (res == NULL)
        return intake_store_fail(svc, rep, a);
    int fresh = PQntuples(res);
    PQclear(res);
    if (!fresh)
        return hf_fail(rep, a, HF_CONFLICT, "code", "gift %s exists in branch %s", g->code, b.code);
    Huifang__V1__Gift *out = hf_new(a, Huifang__V1__Gift);
    huifang__v1__gift__init(out);
    out->branch = hf_arena_strdup(a, b.code);
    out->code = hf_arena_strdup(a, g->code);
    out->name = hf_arena_strdup(a, g->name);
    out->points = g->points;
    out->active = true;
    hf_info("gift_added", "branch=%s gift=%s points=%lld", b.code, g->code, (long long)g->points);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_GIFT;
    rep->gift = out;
    return HF_OK;
}

int intake_gift_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                     hf_arena_t *a)
{
    (void)self;
    intake_branch_t b;
    PGresult *res;
    int rc = intake_branch_rows(svc, req->branch, &INTAKE_Q_GIFT_LIST, &b, &res, rep, a);
    if (rc != HF_OK)
        return rc;
    int n = PQntuples(res);
    Huifang__V1__Gifts *gs = hf_new(a, Huifang__V1__Gifts);
    huifang__v1__gifts__init(gs);
    gs->gifts = hf_new_array(a, Huifang__V1__Gift *, n ? n : 1);
    for (int i = 0; i < n; i++) {
        Huifang__V1__Gift *g = hf_new(a, Huifang__V1__Gift);
        huifang__v1__gift__init(g);
        g->branch = hf_arena_strdup(a, b.code);
        g->code = hf_arena_strdup(a, hf_pg_str(res, i, 0));
        g->name = hf_arena_strdup(a, hf_pg_str(res, i, 1));
        g->points = hf_pg_int(res, i, 2);
        g->active = hf_pg_bool(res, i, 3);
        gs->gifts[gs->n_gifts++] = g;
    }
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_GIFTS;
    rep->gifts = gs;
    return HF_OK;
}
