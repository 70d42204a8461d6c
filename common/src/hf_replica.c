/* hf_replica: the one place a service looks up a branch it keeps, and keeps its copies of
 * intake's organisation (see hf_replica.h). */
#include "hf_replica.h"
#include <stdio.h>

#define S(x) ((x) ? (x) : "")

const char *hf_replica_tz_or_default(const char *tz)
{
    return tz && *tz ? tz : HF_DEFAULT_TZ;
}

int hf_replica_branch(hf_store_t *st, const char *branch, char *tz, size_t len, char *windows,
                      size_t wlen)
{
    const char *p[] = {branch ? branch : ""};
    PGresult *res = hf_store_exec(st,
                                  windows ? "SELECT tz, windows FROM branch WHERE code = $1"
                                          : "SELECT tz FROM branch WHERE code = $1",
                                  1, p);
    if (res == NULL)
        return -1;
    int found = PQntuples(res);
    if (found) {
        snprintf(tz, len, "%s", hf_pg_str(res, 0, 0));
        if (windows)
            snprintf(windows, wlen, "%s", hf_pg_str(res, 0, 1));
    }
    PQclear(res);
    return found ? 0 : 1;
}

int hf_replica_need_branch(hf_store_t *st, const char *branch, char *tz, size_t len,
                           hf_reply_t *rep, hf_arena_t *a)
{
    if (branch == NULL || *branch == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "branch",
                       "branch is required (--branch or HUIFANG_BRANCH)");
    int rc = hf_replica_branch(st, branch, tz, len, NULL, 0);
    if (rc < 0)
        return HF_UNAVAILABLE;
    if (rc > 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "branch", "unknown branch %s", branch);
    return HF_OK;
}

/* ---- copies of intake's organisation ---- */

int hf_replica_on_branch(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a)
{
    (void)self;
    (void)a;
    const Huifang__V1__Branch *b = env->branch_upserted->branch;
    if (b == NULL || b->code == NULL || *b->code == '\0')
        return -2;
    const char *p[] = {b->code, hf_replica_tz_or_default(b->tz), S(b->windows)};
    return hf_store_run(hf_service_store(svc),
                        "INSERT INTO branch (code, tz, windows) VALUES ($1, $2, $3)"
                        " ON CONFLICT (code) DO UPDATE SET tz = $2, windows = $3",
                        3, p);
}

int hf_replica_on_agent(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a)
{
    (void)self;
    (void)a;
    const Huifang__V1__Agent *ag = env->agent_upserted->agent;
    if (ag == NULL || ag->id == NULL || *ag->id == '\0')
        return -2;
    const char *branch = ag->branch && *ag->branch ? ag->branch : S(env->branch);
    const char *p[] = {branch, ag->id, S(ag->role), ag->active ? "true" : "false"};
    return hf_store_run(hf_service_store(svc),
                        "INSERT INTO agent (branch, id, role, active) VALUES ($1, $2, $3, $4)"
                        " ON CONFLICT (branch, id) DO UPDATE SET role = $3, active = $4",
                        4, p);
}

int hf_replica_on_product(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a)
{
    (void)self;
    (void)a;
    const Huifang__V1__Product *pr = env->product_upserted->product;
    if (pr == NULL || pr->code == NULL || *pr->code == '\0')
        return -2;
    char days[16], price[24];
    const char *branch = pr->branch && *pr->branch ? pr->branch : S(env->branch);
    const char *p[] = {branch, pr->code, S(pr->name), hf_pg_i64(days, pr->days_per_unit),
                       hf_pg_i64(price, pr->price_fen)};
    return hf_store_run(hf_service_store(svc),
                        "INSERT INTO product (branch, code, name, days_per_unit, price_fen)"
                        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (branch, code) DO UPDATE"
                        " SET name = $3, days_per_unit = $4, price_fen = $5",
                        5, p);
}

int hf_replica_agent_role(hf_store_t *st, const char *branch, const char *id, bool active_only,
                          char *role, size_t len)
{
    role[0] = '\0';
    if (id == NULL || *id == '\0')
        return 0;
    const char *p[] = {S(branch), id};
    PGresult *res = hf_store_exec(
        st,
        active_only ? "SELECT role FROM agent WHERE branch = $1 AND id = $2 AND active"
                    : "SELECT role FROM agent WHERE branch = $1 AND id = $2",
        2, p);
    if (res == NULL)
        return -1;
    if (PQntuples(res))
        snprintf(role, len, "%s", hf_pg_str(res, 0, 0));
    PQclear(res);
    return 0;
}

/* ---- customers ---- */

const Huifang__V1__Customer *hf_replica_customer(const hf_envelope_t *env)
{
    switch (env->payload_case) {
    case HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_REGISTERED:
        return env->lead_registered->customer;
    case HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_MERGED:
        return env->lead_merged->customer;
    case HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_UPDATED:
        return env->customer_updated->customer;
    case HUIFANG__V1__ENVELOPE__PAYLOAD_PURCHASE_RECORDED:
        return env->purchase_recorded->customer;
    default:
        return NULL;
    }
}

int hf_replica_merge_customers(hf_store_t *st, const hf_envelope_t *env, const char *const *moves)
{
    const Huifang__V1__CustomersMerged *m = env->customers_merged;
    if (m == NULL || m->kept_id <= 0 || m->merged_id <= 0 || m->kept_id == m->merged_id)
        return -2;
    char kept[24], merged[24];
    const char *p[] = {hf_pg_i64(kept, m->kept_id), hf_pg_i64(merged, m->merged_id)};
    for (int i = 0; moves[i]; i++)
        if (hf_store_run(st, moves[i], 2, p) != 0)
            return -1;
    return 0;
}
