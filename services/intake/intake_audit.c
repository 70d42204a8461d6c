/* intake_audit: `huifang audit`, the reader of the audit trail (PIPL Art. 54). Every service
 * writes its rows into audit.access (hf_service_audit); intake answers the questions "who
 * touched this customer" and "whom did this person touch", because the archive is where an
 * investigation starts. The table is shared by the services, so it is named with its schema. */
#include "intake_internal.h"
#include "intake_sql.h"
#include <stdlib.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")
#define AUDIT_LIMIT_DEFAULT 100
#define AUDIT_LIMIT_MAX 1000

/* Parses a Postgres bigint[] text ("{1,2,3}") into arena memory. */
static void s_ids_parse(const char *text, int64_t **out, size_t *n, hf_arena_t *a)
{
    size_t cap = 1;
    for (const char *s = text; *s; s++)
        cap += *s == ',';
    *out = hf_new_array(a, int64_t, cap);
    *n = 0;
    const char *s = text;
    while (*s) {
        if (*s >= '0' && *s <= '9') {
            char *end;
            (*out)[(*n)++] = strtoll(s, &end, 10);
            s = end;
        } else {
            s++;
        }
    }
}

int intake_audit_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                      hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__AuditQuery *q = req->audit;
    if (q->customer_id < 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "customer", "customer must be a positive id");
    if (q->limit < 0 || q->limit > AUDIT_LIMIT_MAX)
        return hf_fail(rep, a, HF_BAD_INPUT, "limit", "limit must be 1..%d", AUDIT_LIMIT_MAX);
    if (q->since_ms < 0 || q->until_ms < 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "since", "since and until are UTC ms from 1970");
    if (q->since_ms && q->until_ms && q->since_ms >= q->until_ms)
        return hf_fail(rep, a, HF_BAD_INPUT, "until", "until must be after since");
    if (strlen(S(q->user)) > 64)
        return hf_fail(rep, a, HF_BAD_INPUT, "user", "user is longer than 64 bytes");
    int limit = q->limit ? q->limit : AUDIT_LIMIT_DEFAULT;
    char cust[24], since[24], until[24], lim[24];
    /* the request's branch only; "" (a person without a branch, admin or ops) reads every
     * branch: which roles may ask at all is decided before the handler runs */
    const char *p[] = {S(req->branch),
                       hf_pg_i64(cust, q->customer_id),
                       S(q->user),
                       hf_pg_i64(since, q->since_ms),
                       hf_pg_i64(until, q->until_ms),
                       hf_pg_i64(lim, limit + 1)};
    PGresult *res = hf_store_query(hf_service_store(svc), &INTAKE_Q_AUDIT_LIST, 6, p);
    if (res == NULL)
        return intake_store_fail(svc, rep, a);
    int n = PQntuples(res);
    Huifang__V1__AuditRows *r = hf_new(a, Huifang__V1__AuditRows);
    huifang__v1__audit_rows__init(r);
    r->more = n > limit;
    if (n > limit)
        n = limit;
    r->rows = hf_new_array(a, Huifang__V1__AuditRow *, n + 1);
    for (int i = 0; i < n; i++) {
        Huifang__V1__AuditRow *row = hf_new(a, Huifang__V1__AuditRow);
        huifang__v1__audit_row__init(row);
        row->id = hf_pg_int(res, i, 0);
        row->at_ms = hf_pg_int(res, i, 1);
        row->actor = hf_arena_strdup(a, hf_pg_str(res, i, 2));
        row->on_behalf_of = hf_arena_strdup(a, hf_pg_str(res, i, 3));
        row->role = hf_arena_strdup(a, hf_pg_str(res, i, 4));
        row->branch = hf_arena_strdup(a, hf_pg_str(res, i, 5));
        row->service = hf_arena_strdup(a, hf_pg_str(res, i, 6));
        row->command = hf_arena_strdup(a, hf_pg_str(res, i, 7));
        s_ids_parse(hf_pg_str(res, i, 8), &row->customers, &row->n_customers, a);
        row->request_id = hf_arena_strdup(a, hf_pg_str(res, i, 9));
        r->rows[r->n_rows++] = row;
    }
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_AUDIT;
    rep->audit = r;
    return HF_OK;
}
