/* calllog_read: the web console's reads of the record (issue 12). contact_list: a customer's
 * contacts of the request's branch, newest first, a page at a time — the customer timeline's
 * earlier calls, visits, letters and messages with their notes. Reading them reads personal
 * data (notes, usage, findings): one audit row naming the customer. hq gets them masked by
 * the framework, as every reply. */
#include "calllog_internal.h"
#include "hf_wire.h"
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define CONTACTS_DEFAULT 50
#define CONTACTS_MAX 200

/* The customer's branch in calllog's copy of intake's customers. */
static const hf_query_t s_customer_branch = {"calllog_customer_branch",
                                             "SELECT branch FROM customer WHERE id = $1"};
/* One row more than asked, to tell whether there are older ones. */
static const hf_query_t s_contacts_of_customer = {
    "calllog_contacts_of_customer",
    "SELECT " CALLLOG_CONTACT_COLUMNS ", " CALLLOG_FLAG_COLUMNS " FROM contact" CALLLOG_FLAGS_JOIN
    " WHERE contact.customer_id = $1 AND contact.branch = $2"
    " AND ($3::bigint = 0 OR contact.id < $3::bigint)"
    " ORDER BY contact.logged_at_ms DESC, contact.id DESC LIMIT $4"};

int calllog_contact_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a)
{
    (void)self;
    hf_store_t *st = hf_service_store(svc);
    const Huifang__V1__ContactList *q = req->contact_list;
    char tz[64];
    int rc;
    if ((rc = calllog_branch_tz(st, req->branch, tz, rep, a)) != HF_OK)
        return rc;
    if (q->customer_id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "customer_id",
                       "customer_id is required (a customer id)");
    if (q->limit < 0 || q->limit > CONTACTS_MAX)
        return hf_fail(rep, a, HF_BAD_INPUT, "limit", "limit must be 1..%d", CONTACTS_MAX);
    if (q->before_id < 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "before_id", "before_id must be a contact id");
    char id[24], before[24], limit[16];
    snprintf(id, sizeof id, "%" PRId64, q->customer_id);
    snprintf(before, sizeof before, "%" PRId64, q->before_id);
    int want = q->limit > 0 ? q->limit : CONTACTS_DEFAULT;
    snprintf(limit, sizeof limit, "%d", want + 1);
    /* another branch's customer is not found (a customer not in the copy yet may still have
     * contacts of this branch: they are listed) */
    const char *pb[] = {id};
    PGresult *res = hf_store_query(st, &s_customer_branch, 1, pb);
    if (res == NULL)
        return HF_UNAVAILABLE;
    bool other = PQntuples(res) == 1 && strcmp(hf_pg_str(res, 0, 0), req->branch) != 0;
    PQclear(res);
    if (other)
        return hf_fail(rep, a, HF_NOT_FOUND, "customer_id", "no customer %s in branch %s", id,
                       req->branch);
    const char *p[] = {id, req->branch, before, limit};
    res = hf_store_query(st, &s_contacts_of_customer, 4, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__Contacts *list = hf_new(a, Huifang__V1__Contacts);
    huifang__v1__contacts__init(list);
    int n = PQntuples(res);
    list->more = n > want;
    if (n > want)
        n = want;
    list->contacts = hf_new_array(a, Huifang__V1__Contact *, n > 0 ? n : 1);
    for (int i = 0; i < n; i++)
        list->contacts[list->n_contacts++] = calllog_contact_from_row(res, i, 0, true, a);
    PQclear(res);
    if (hf_service_audit(svc, &q->customer_id, 1) != 0) /* the contacts' notes */
        return HF_UNAVAILABLE;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_CONTACTS;
    rep->contacts = list;
    return HF_OK;
}
