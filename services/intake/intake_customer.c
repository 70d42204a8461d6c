/* intake_customer: the archive's customer commands — find, show, phones, merge, consent,
 * do-not-disturb, card types — and the rules that are data per branch (tiers, stages). */
#include "hf_log.h"
#include "hf_mask.h"
#include "hf_phone.h"
#include "hf_time.h"
#include "intake_internal.h"
#include "intake_sql.h"
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")

/* Loads and locks a live customer for a change. HF_OK with *out; NOT_FOUND (also for a
 * merged one, naming where it went) or UNAVAILABLE with rep filled. */
static int s_lock_customer(hf_service_t *svc, const intake_branch_t *b, int64_t id,
                           const char *field, Huifang__V1__Customer **out, hf_reply_t *rep,
                           hf_arena_t *a)
{
    int rc;
    *out = NULL;
    if (id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, field, "%s is required (a customer id)", field);
    Huifang__V1__Customer *c = intake_customer_load(svc, b, id, true, a, &rc);
    if (c == NULL)
        return rc == HF_NOT_FOUND ? hf_fail(rep, a, HF_NOT_FOUND, field,
                                            "no customer %lld in branch %s", (long long)id, b->code)
                                  : intake_store_fail(svc, rep, a);
    if (c->merged_into)
        return hf_fail(rep, a, HF_NOT_FOUND, field, "customer %lld was merged into customer %lld",
                       (long long)id, (long long)c->merged_into);
    *out = c;
    return HF_OK;
}

static int s_changes_load(hf_service_t *svc, int64_t id, Huifang__V1__CustomerDetail *d,
                          hf_arena_t *a);

/* Replies with the customer's profile (no purchases). */
static int s_reply_customer(hf_reply_t *rep, Huifang__V1__Customer *c, hf_arena_t *a)
{
    Huifang__V1__CustomerDetail *d = hf_new(a, Huifang__V1__CustomerDetail);
    huifang__v1__customer_detail__init(d);
    d->customer = c;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_CUSTOMER;
    rep->customer = d;
    return HF_OK;
}

/* Writes the audit row of a command that read or changed customer c (PIPL Art. 54), then
 * replies with c's profile. */
static int s_reply_audited(hf_service_t *svc, hf_reply_t *rep, Huifang__V1__Customer *c,
                           hf_arena_t *a)
{
    if (hf_service_audit(svc, &c->id, 1) != 0)
        return intake_store_fail(svc, rep, a);
    return s_reply_customer(rep, c, a);
}

/* ---- find and show ---- */

int intake_customer_find(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a)
{
    (void)self;
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    char phone[24];
    const char *q = S(req->customer_find->query);
    while (*q == ' ')
        q++;
    if (*q == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "query", "query is required (a phone or a name)");
    const char *why;
    PGresult *res;
    char sql[1600];
    if (hf_phone_normalise(q, phone, sizeof phone, &why) == 0) {
        /* any of a customer's phones finds it (self, spouse, child) */
        const char *p[] = {b.code, phone};
        /* on hf_store_exec, not a named query (intake_sql.h): INTAKE_CUSTOMER_COLUMNS is an array
         * beside the row reader (intake_util.c), not a literal, so the text is joined here */
        snprintf(sql, sizeof sql,
                 "SELECT %s FROM customer c JOIN customer_phone ph ON ph.customer_id = c.id"
                 " WHERE ph.branch = $1 AND ph.phone = $2",
                 INTAKE_CUSTOMER_COLUMNS);
        res = hf_store_exec(hf_service_store(svc), sql, 2, p);
    } else {
        /* a name prefix, as the paper archive is ordered by surname; LIKE metacharacters in
         * the query are taken literally */
        char pattern[256];
        size_t o = 0;
        for (const char *s = q; *s && o + 3 < sizeof pattern; s++) {
            if (*s == '%' || *s == '_' || *s == '\\')
                pattern[o++] = '\\';
            pattern[o++] = *s;
        }
        pattern[o++] = '%';
        pattern[o] = '\0';
        const char *p[] = {b.code, pattern};
        /* on hf_store_exec, not a named query (intake_sql.h): INTAKE_CUSTOMER_COLUMNS is an array
         * beside the row reader (intake_util.c), not a literal, so the text is joined here */
        snprintf(sql, sizeof sql,
                 "SELECT %s FROM customer c WHERE c.branch = $1 AND c.name LIKE $2"
                 " AND c.merged_into IS NULL ORDER BY c.name, c.id LIMIT 100",
                 INTAKE_CUSTOMER_COLUMNS);
        res = hf_store_exec(hf_service_store(svc), sql, 2, p);
    }
    if (res == NULL)
        return intake_store_fail(svc, rep, a);
    Huifang__V1__CustomerList *list = hf_new(a, Huifang__V1__CustomerList);
    huifang__v1__customer_list__init(list);
    int n = PQntuples(res);
    list->customers = hf_new_array(a, Huifang__V1__Customer *, n + 1);
    int64_t *ids = hf_new_array(a, int64_t, n + 1);
    for (int i = 0; i < n; i++) {
        list->customers[list->n_customers++] = intake_customer_from_row(res, i, &b, a);
        ids[i] = list->customers[i]->id;
    }
    PQclear(res);
    if (hf_service_audit(svc, ids, (size_t)n) != 0)
        return intake_store_fail(svc, rep, a);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_CUSTOMERS;
    rep->customers = list;
    if (n == 0)
        return hf_fail(rep, a, HF_NOT_FOUND, "query", "no customer matches \"%s\"", q);
    return HF_OK;
}

int intake_customer_show(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a)
{
    (void)self;
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    int64_t id = req->customer_show->id;
    Huifang__V1__Customer *c = intake_customer_load(svc, &b, id, false, a, &rc);
    if (c == NULL)
        return rc == HF_NOT_FOUND ? hf_fail(rep, a, HF_NOT_FOUND, "id",
                                            "no customer %lld in branch %s", (long long)id, b.code)
                                  : intake_store_fail(svc, rep, a);
    if (c->merged_into)
        return hf_fail(rep, a, HF_NOT_FOUND, "id", "customer %lld was merged into customer %lld",
                       (long long)id, (long long)c->merged_into);
    Huifang__V1__CustomerDetail *d = hf_new(a, Huifang__V1__CustomerDetail);
    huifang__v1__customer_detail__init(d);
    d->customer = c;
    if (intake_purchases_load(svc, c->id, &d->purchases, &d->n_purchases, a) != 0)
        return intake_store_fail(svc, rep, a);
    char cid[24];
    const char *p[] = {hf_pg_i64(cid, c->id)};
    PGresult *res = hf_store_query(hf_service_store(svc), &INTAKE_Q_CUSTOMER_SHOW, 1, p);
    if (res == NULL)
        return intake_store_fail(svc, rep, a);
    int n = PQntuples(res);
    d->sources = hf_new_array(a, Huifang__V1__LeadSource *, n + 1);
    for (int i = 0; i < n; i++) {
        Huifang__V1__LeadSource *s = hf_new(a, Huifang__V1__LeadSource);
        huifang__v1__lead_source__init(s);
        s->channel = hf_arena_strdup(a, hf_pg_str(res, i, 0));
        s->collector = hf_arena_strdup(a, hf_pg_str(res, i, 1));
        s->source = hf_arena_strdup(a, hf_pg_str(res, i, 2));
        s->referrer = hf_arena_strdup(a, hf_pg_str(res, i, 3));
        s->note = hf_arena_strdup(a, hf_pg_str(res, i, 4));
        s->collected_at_ms = hf_pg_int(res, i, 5);
        s->merged = hf_pg_bool(res, i, 6);
        d->sources[d->n_sources++] = s;
    }
    PQclear(res);
    if (s_changes_load(svc, c->id, d, a) != 0 || hf_service_audit(svc, &c->id, 1) != 0)
        return intake_store_fail(svc, rep, a);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_CUSTOMER;
    rep->customer = d;
    return HF_OK;
}

/* ---- edit, with its history ---- */

/* The history of hand edits of a customer, oldest first (at most the last 200). */
static int s_changes_load(hf_service_t *svc, int64_t id, Huifang__V1__CustomerDetail *d,
                          hf_arena_t *a)
{
    char cid[24];
    const char *p[] = {hf_pg_i64(cid, id)};
    PGresult *res = hf_store_query(hf_service_store(svc), &INTAKE_Q_CHANGES_LOAD, 1, p);
    if (res == NULL)
        return -1;
    int n = PQntuples(res);
    d->changes = hf_new_array(a, Huifang__V1__FieldChange *, n + 1);
    for (int i = 0; i < n; i++) {
        Huifang__V1__FieldChange *ch = hf_new(a, Huifang__V1__FieldChange);
        huifang__v1__field_change__init(ch);
        ch->field = hf_arena_strdup(a, hf_pg_str(res, i, 0));
        ch->from = hf_arena_strdup(a, hf_pg_str(res, i, 1));
        ch->to = hf_arena_strdup(a, hf_pg_str(res, i, 2));
        ch->at_ms = hf_pg_int(res, i, 3);
        ch->actor = hf_arena_strdup(a, hf_pg_str(res, i, 4));
        d->changes[d->n_changes++] = ch;
    }
    PQclear(res);
    return 0;
}

/* A local date (day number) as text in the arena (used only for a date given). */
static char *s_day_text(int32_t day, hf_arena_t *a)
{
    char d[11];
    hf_date_format(day, d);
    return hf_arena_strdup(a, d);
}

/* ---- customer edit, step by step ---- */

/* A field an edit may change: given?, the card's value (a pointer into c), the checked
 * value, the column's SET. */
typedef struct {
    const char *field;
    bool given;
    char **card;
    const char *value;
    const char *set;
} s_edit_field_t;

/* 1. fields of a lead's source, not of the card: refused rather than silently dropped */
static int s_edit_refuse_source(const Huifang__V1__LeadAdd *f, hf_reply_t *rep, hf_arena_t *a)
{
    static const struct {
        const char *field;
        size_t offset;
    } not_here[] = {
        {"phone", offsetof(Huifang__V1__LeadAdd, phone)},
        {"channel", offsetof(Huifang__V1__LeadAdd, channel)},
        {"collector", offsetof(Huifang__V1__LeadAdd, collector)},
        {"source", offsetof(Huifang__V1__LeadAdd, source)},
        {"note", offsetof(Huifang__V1__LeadAdd, note)},
        {"referrer", offsetof(Huifang__V1__LeadAdd, referrer)},
    };
    for (size_t i = 0; i < sizeof not_here / sizeof not_here[0]; i++)
        if (S(*(char *const *)((const char *)f + not_here[i].offset))[0])
            return hf_fail(rep, a, HF_BAD_INPUT, not_here[i].field,
                           "%s cannot be edited here (phones: customer phone; the lead's source"
                           " is history)",
                           not_here[i].field);
    if (f->collected_at_ms || f->referrer_customer_id)
        return hf_fail(rep, a, HF_BAD_INPUT, f->collected_at_ms ? "collected_at" : "referrer",
                       "the lead's source is history and cannot be edited");
    return HF_OK;
}

/* 3. the fields to empty (clear): any of fields but the name, and the age (cleared[nf]);
 * HF_OK, or BAD_INPUT naming what cannot be */
static int s_edit_cleared(const Huifang__V1__CustomerEdit *e, const Huifang__V1__LeadAdd *f,
                          const s_edit_field_t *fields, size_t nf, bool *cleared, hf_reply_t *rep,
                          hf_arena_t *a)
{
    for (size_t k = 0; k < e->n_clear; k++) {
        const char *name = S(e->clear[k]);
        size_t i = strcmp(name, "age") == 0 ? nf : 0;
        while (i < nf && strcmp(fields[i].field, name) != 0)
            i++;
        if (i == nf && strcmp(name, "age") != 0)
            return hf_fail(rep, a, HF_BAD_INPUT, "clear",
                           "clear \"%s\" names no field that can be emptied (address, region,"
                           " windows, gender, birth, age, ref_date, route, condition, baby_name,"
                           " baby_sex, baby_birth, due_date, current_brand, feeding, employer,"
                           " hobbies, health, language)",
                           name);
        if (i == 0) /* name */
            return hf_fail(rep, a, HF_BAD_INPUT, "clear", "a customer's name cannot be emptied");
        if (i == nf ? f->age != 0 : fields[i].given)
            return hf_fail(rep, a, HF_BAD_INPUT, name, "%s is both given and cleared", name);
        cleared[i] = true;
    }
    bool any = f->age != 0 || cleared[nf];
    for (size_t i = 0; i < nf; i++)
        any = any || fields[i].given || cleared[i];
    if (!any)
        return hf_fail(rep, a, HF_BAD_INPUT, "fields", "nothing to change: give a field");
    return HF_OK;
}

/* 4. each field given or cleared that differs from the card: written, kept in
 * customer_change, and a FieldChange into changes (*nchanges); the card follows. 0 or -1. */
static int s_edit_write(hf_service_t *svc, const hf_request_t *req, const intake_branch_t *b,
                        Huifang__V1__Customer *c, s_edit_field_t *fields, size_t nf,
                        const bool *cleared, int32_t age, bool age_given,
                        Huifang__V1__FieldChange **changes, size_t *nchanges, hf_arena_t *a)
{
    char cid[24], at[24], agetxt[16];
    hf_pg_i64(cid, c->id);
    hf_pg_i64(at, b->now_ms);
    /* the age is a number, 0 when unknown: as text, "" then, like an empty field */
    const char *age_card = c->age ? hf_arena_printf(a, "%d", c->age) : "";
    hf_store_t *st = hf_service_store(svc);
    for (size_t i = 0; i <= nf; i++) {
        bool is_age = i == nf;
        const char *field = is_age ? "age" : fields[i].field;
        const char *old = is_age ? age_card : S(*fields[i].card);
        bool given = is_age ? age_given : fields[i].given;
        const char *value = cleared[i] ? "" : is_age ? hf_pg_i64(agetxt, age) : fields[i].value;
        if (!(given || cleared[i]) || strcmp(old, value) == 0)
            continue;
        /* on hf_store_run, not a named query (intake_sql.h): the column set is the field's, chosen
         * at run time from the table above, one statement per field changed */
        char sql[128];
        snprintf(sql, sizeof sql, "UPDATE customer SET %s WHERE id = $1",
                 is_age ? "age = $2::int" : fields[i].set);
        /* an emptied date or age is NULL; an emptied text '' */
        const char *p[] = {cid,
                           *value || !(is_age || strstr(fields[i].set, "::date")) ? value : NULL};
        const char *h[] = {cid, field, old, value, S(req->actor), at};
        if (hf_store_run(st, sql, 2, p) != 0 ||
            hf_store_query_run(st, &INTAKE_Q_EDIT_WRITE, 6, h) != 0)
            return -1;
        Huifang__V1__FieldChange *ch = hf_new(a, Huifang__V1__FieldChange);
        huifang__v1__field_change__init(ch);
        ch->field = (char *)field;
        ch->from = hf_arena_strdup(a, old);
        ch->to = hf_arena_strdup(a, value);
        ch->at_ms = b->now_ms;
        ch->actor = (char *)S(req->actor);
        changes[(*nchanges)++] = ch;
        if (is_age)
            c->age = cleared[i] ? 0 : age;
        else
            *fields[i].card = hf_arena_strdup(a, value);
    }
    return 0;
}

/* 5. one CustomerUpdated (change "fields", the list in changes), the audit row, and the
 * card with its changes as the reply */
static int s_edit_announce(hf_service_t *svc, const intake_branch_t *b, Huifang__V1__Customer *c,
                           Huifang__V1__FieldChange **changes, size_t nchanges, hf_reply_t *rep,
                           hf_arena_t *a)
{
    intake_customer_stage(c, b, a);
    Huifang__V1__CustomerUpdated ev = HUIFANG__V1__CUSTOMER_UPDATED__INIT;
    ev.customer = c;
    ev.change = "fields";
    ev.changes = changes;
    ev.n_changes = nchanges;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = c->branch;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_UPDATED;
    env.customer_updated = &ev;
    if (hf_service_emit(svc, &env) != 0)
        return intake_store_fail(svc, rep, a);
    hf_info("customer_edited", "customer=%lld fields=%zu", (long long)c->id, nchanges);
    if (hf_service_audit(svc, &c->id, 1) != 0)
        return intake_store_fail(svc, rep, a);
    s_reply_customer(rep, c, a);
    if (s_changes_load(svc, c->id, rep->customer, a) != 0)
        return intake_store_fail(svc, rep, a);
    return HF_OK;
}

/* customer edit ID: the fields given are checked exactly as lead add checks them (the same
 * function, with the customer's own phone and channel "other" standing in for the fields an
 * edit does not take), compared with the card, and each that differs is written, kept in
 * customer_change and announced in one CustomerUpdated (change "fields", the list in
 * changes), which every copy applies (the scheduler's call windows, calllog's address, ...).
 * Nothing given is BAD_INPUT; nothing different changes nothing and says so. */
int intake_customer_edit(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__CustomerEdit *e = req->customer_edit;
    Huifang__V1__LeadAdd none = HUIFANG__V1__LEAD_ADD__INIT;
    const Huifang__V1__LeadAdd *f = e->fields ? e->fields : &none; /* only clear given */
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK || (rc = s_edit_refuse_source(f, rep, a)) != HF_OK) /* 1 */
        return rc;

    /* 2. the card, locked, and the fields checked as lead add checks them */
    Huifang__V1__Customer *c;
    if ((rc = s_lock_customer(svc, &b, e->id, "id", &c, rep, a)) != HF_OK)
        return rc;
    Huifang__V1__LeadAdd probe = *f;
    probe.phone = c->phone;
    probe.channel = "other";
    if (S(probe.name)[0] == '\0')
        probe.name = c->name;
    intake_check_ctx_t ctx = {
        .today = b.today, .now_ms = b.now_ms, .regions = b.regions, .nregions = b.nregions};
    intake_lead_t l;
    intake_error_t err;
    if (intake_lead_check(&probe, &ctx, &l, &err, a) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, err.field, "%s", err.reason);
    s_edit_field_t fields[] = {
#define TXT(x) {#x, S(f->x)[0] != '\0', &c->x, l.x, #x " = $2"}
#define DAY(x)                                                                                     \
    {                                                                                              \
#x, S(f->x)[0] != '\0', &c->x, s_day_text(l.x, a), #x " = $2::date"                        \
    }
        TXT(name),     TXT(gender),     DAY(birth),    DAY(ref_date),      TXT(region),
        TXT(address),  TXT(windows),    TXT(route),    TXT(condition),     TXT(baby_name),
        TXT(baby_sex), DAY(baby_birth), DAY(due_date), TXT(current_brand), TXT(feeding),
        TXT(employer), TXT(hobbies),    TXT(health),   TXT(language),
#undef TXT
#undef DAY
    };
    size_t nf = sizeof fields / sizeof fields[0];
    bool *cleared = hf_new_array(a, bool, nf + 1);
    if ((rc = s_edit_cleared(e, f, fields, nf, cleared, rep, a)) != HF_OK) /* 3 */
        return rc;

    Huifang__V1__FieldChange **changes = hf_new_array(a, Huifang__V1__FieldChange *, nf + 2);
    size_t nchanges = 0;
    if (s_edit_write(svc, req, &b, c, fields, nf, cleared, l.age, f->age != 0, changes, /* 4 */
                     &nchanges, a) != 0)
        return intake_store_fail(svc, rep, a);
    if (nchanges == 0) {
        rep->note = hf_arena_printf(a, "customer %lld: nothing to change", (long long)c->id);
        return s_reply_audited(svc, rep, c, a);
    }
    return s_edit_announce(svc, &b, c, changes, nchanges, rep, a); /* 5 */
}

/* ---- phones ---- */

int intake_customer_phone_add(hf_service_t *svc, void *self, const hf_request_t *req,
                              hf_reply_t *rep, hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__CustomerPhoneAdd *pa = req->customer_phone_add;
    hf_store_t *st = hf_service_store(svc);
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    char phone[24];
    const char *why = NULL;
    if (S(pa->phone)[0] == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "phone", "phone is required");
    if (hf_phone_normalise(pa->phone, phone, sizeof phone, &why) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "phone", "phone \"%s\" %s", pa->phone, S(why));
    const char *relation = S(pa->relation)[0] ? pa->relation : "other";
    static const char *relations[] = {"self", "spouse", "child", "parent", "other", NULL};
    bool ok = false;
    for (int i = 0; relations[i]; i++)
        ok = ok || strcmp(relation, relations[i]) == 0;
    if (!ok)
        return hf_fail(rep, a, HF_BAD_INPUT, "relation",
                       "relation \"%s\" must be self, spouse, child, parent or other", relation);
    Huifang__V1__Customer *c;
    if ((rc = s_lock_customer(svc, &b, pa->id, "id", &c, rep, a)) != HF_OK)
        return rc;
    char cid[24];
    const char *p[] = {b.code, phone, hf_pg_i64(cid, c->id), relation};
    PGresult *res = hf_store_query(st, &INTAKE_Q_CUSTOMER_PHONE_ADD_CUSTOMER_PHONE_INSERT, 4, p);
    if (res == NULL)
        return intake_store_fail(svc, rep, a);
    int inserted = PQntuples(res);
    PQclear(res);
    if (!inserted) {
        res = hf_store_query(st, &INTAKE_Q_CUSTOMER_PHONE_ADD_CUSTOMER_PHONE, 2, p);
        if (res == NULL)
            return intake_store_fail(svc, rep, a);
        int64_t owner = PQntuples(res) ? hf_pg_int(res, 0, 0) : 0;
        bool same_relation = PQntuples(res) && strcmp(hf_pg_str(res, 0, 1), relation) == 0;
        PQclear(res);
        char masked[24];
        hf_mask_phone(phone, masked, sizeof masked);
        if (owner != c->id)
            return hf_fail(rep, a, HF_CONFLICT, "phone",
                           "phone %s belongs to customer %lld: if they are one person, merge them "
                           "(huifang customer merge %lld %lld)",
                           masked, (long long)owner, (long long)c->id, (long long)owner);
        if (same_relation) {
            rep->note =
                hf_arena_printf(a, "phone %s is already customer %lld's", masked, (long long)c->id);
            return s_reply_audited(svc, rep, c, a);
        }
        if (hf_store_query_run(st, &INTAKE_Q_CUSTOMER_PHONE_ADD_CUSTOMER_PHONE_UPDATE, 4, p) != 0)
            return intake_store_fail(svc, rep, a);
    }
    c = intake_customer_load(svc, &b, c->id, false, a, &rc);
    if (c == NULL)
        return intake_store_fail(svc, rep, a);
    if (intake_emit_updated(svc, c, "phones") != 0)
        return intake_store_fail(svc, rep, a);
    hf_info("phone_added", "customer=%lld phone=%s relation=%s", (long long)c->id, phone, relation);
    return s_reply_audited(svc, rep, c, a);
}

/* ---- merge ---- */

/* ---- customer merge, step by step ---- */

/* 1. keep and other, two different customers of the branch, neither merged away, locked in
 * id order (two merges of the same pair cannot deadlock) */
static int s_merge_lock(hf_service_t *svc, const intake_branch_t *bp,
                        const Huifang__V1__CustomerMerge *m, Huifang__V1__Customer **keep_p,
                        Huifang__V1__Customer **other_p, hf_reply_t *rep, hf_arena_t *a)
{
    int rc;
    if (m->keep_id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "keep", "keep is required (the customer that stays)");
    if (m->other_id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "other",
                       "other is required (the customer merged away)");
    if (m->keep_id == m->other_id)
        return hf_fail(rep, a, HF_BAD_INPUT, "other", "a customer cannot be merged into itself");
    /* lock both in id order, so that two merges of the same pair cannot deadlock */
    int64_t ids[2] = {m->keep_id < m->other_id ? m->keep_id : m->other_id,
                      m->keep_id < m->other_id ? m->other_id : m->keep_id};
    Huifang__V1__Customer *locked[2];
    for (int i = 0; i < 2; i++) {
        const char *field = ids[i] == m->keep_id ? "keep" : "other";
        locked[i] = intake_customer_load(svc, bp, ids[i], true, a, &rc);
        if (locked[i] == NULL)
            return rc == HF_NOT_FOUND
                       ? hf_fail(rep, a, HF_NOT_FOUND, field, "no customer %lld in branch %s",
                                 (long long)ids[i], bp->code)
                       : intake_store_fail(svc, rep, a);
        if (locked[i]->merged_into)
            return hf_fail(rep, a, HF_CONFLICT, field,
                           "customer %lld was already merged into customer %lld", (long long)ids[i],
                           (long long)locked[i]->merged_into);
    }
    *keep_p = locked[0]->id == m->keep_id ? locked[0] : locked[1];
    *other_p = locked[0]->id == m->keep_id ? locked[1] : locked[0];
    return HF_OK;
}

/* 2. every record of other now belongs to keep: phones, lead sources, purchases (numbered
 * again in date order, through negative numbers so that UNIQUE (customer_id, nth) holds at
 * every row). 0 or -1. */
static int s_merge_records(hf_store_t *st, const char *const *p)
{
    if (hf_store_query_run(st, &INTAKE_Q_MERGE_RECORDS_CUSTOMER_PHONE_UPDATE, 2, p) != 0 ||
        hf_store_query_run(st, &INTAKE_Q_MERGE_RECORDS_LEAD_SOURCE_UPDATE, 2, p) != 0 ||
        hf_store_query_run(st, &INTAKE_Q_MERGE_RECORDS_PURCHASE_UPDATE, 2, p) != 0 ||
        hf_store_query_run(st, &INTAKE_Q_MERGE_RECORDS_PURCHASE_UPDATE_2, 1, p) != 0)
        return -1;
    return 0;
}

/* 3. keep's card takes what other's says: the merged card type and tier, keep's empty fields
 * filled from other's, consent and do-not-disturb the stricter; other points at keep. 0 or
 * -1. */
static int s_merge_card(hf_store_t *st, const intake_branch_t *bp,
                        const Huifang__V1__Customer *keep, const Huifang__V1__Customer *other,
                        const char *const *p)
{
    const char *kid = p[0], *oid = p[1];
    const char *reason = "";
    const char *card = intake_card_merged(keep->card_type, keep->void_reason, other->card_type,
                                          other->void_reason, &reason);
    int64_t spend = keep->spend_fen + other->spend_fen;
    int purchases = keep->purchases + other->purchases;
    const char *tier = intake_tier_of(bp->tiers, bp->ntiers, spend, purchases);
    char spendtxt[24], ntxt[24];
    const char *pu[] = {
        kid, oid, card, reason, hf_pg_i64(spendtxt, spend), hf_pg_i64(ntxt, purchases), tier};
    /* keep's empty fields filled from other's; consent and do-not-disturb: the stricter */
    if (hf_store_query_run(st, &INTAKE_Q_MERGE_CARD_CUSTOMER_UPDATE, 7, pu) != 0 ||
        hf_store_query_run(st, &INTAKE_Q_MERGE_CARD_CUSTOMER_UPDATE_2, 2, p) != 0)
        return -1;
    return 0;
}

/* 4. CustomersMerged, and what changed for the one that stays: CardTypeChanged, OptedOut,
 * DndSet, one CustomerUpdated naming them; the audit row for both */
static int s_merge_announce(hf_service_t *svc, const intake_branch_t *bp, const char *actor,
                            const Huifang__V1__Customer *keep, const Huifang__V1__Customer *other,
                            Huifang__V1__Customer *kept, hf_reply_t *rep, hf_arena_t *a)
{
    Huifang__V1__CustomersMerged ev = HUIFANG__V1__CUSTOMERS_MERGED__INIT;
    ev.kept_id = keep->id;
    ev.merged_id = other->id;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = (char *)bp->code;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMERS_MERGED;
    env.customers_merged = &ev;
    if (hf_service_emit(svc, &env) != 0 ||
        intake_points_on_merge(svc, bp->code, keep->id, other->id, actor, a) != 0)
        return intake_store_fail(svc, rep, a);
    char change[64] = "merge";
    if (strcmp(keep->card_type, kept->card_type) != 0) {
        if (intake_emit_card(svc, bp->code, kept->id, keep->card_type, kept->card_type,
                             kept->void_reason) != 0)
            return intake_store_fail(svc, rep, a);
        strcat(change, ",card_type");
    }
    if (strcmp(keep->tier, kept->tier) != 0)
        strcat(change, ",tier");
    if (!keep->opted_out && kept->opted_out) {
        /* the person said no on the other card: that holds for the one that stays */
        Huifang__V1__OptedOut oo = HUIFANG__V1__OPTED_OUT__INIT;
        oo.customer_id = kept->id;
        oo.reason = kept->opt_out_reason;
        hf_envelope_t e2 = HUIFANG__V1__ENVELOPE__INIT;
        e2.branch = (char *)bp->code;
        e2.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_OPTED_OUT;
        e2.opted_out = &oo;
        if (hf_service_emit(svc, &e2) != 0)
            return intake_store_fail(svc, rep, a);
        strcat(change, ",opt_out");
    }
    if (strcmp(keep->dnd_until, kept->dnd_until) != 0) {
        Huifang__V1__DndSet ds = HUIFANG__V1__DND_SET__INIT;
        ds.customer_id = kept->id;
        ds.until = kept->dnd_until;
        ds.reason = kept->dnd_reason;
        hf_envelope_t e3 = HUIFANG__V1__ENVELOPE__INIT;
        e3.branch = (char *)bp->code;
        e3.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_DND_SET;
        e3.dnd_set = &ds;
        if (hf_service_emit(svc, &e3) != 0)
            return intake_store_fail(svc, rep, a);
        strcat(change, ",dnd");
    }
    if (intake_emit_updated(svc, kept, hf_arena_strdup(a, change)) != 0)
        return intake_store_fail(svc, rep, a);
    hf_info("customers_merged", "kept=%lld merged=%lld", (long long)kept->id, (long long)other->id);
    rep->note = hf_arena_printf(a, "customer %lld merged into customer %lld", (long long)other->id,
                                (long long)kept->id);
    int64_t both[2] = {kept->id, other->id};
    if (hf_service_audit(svc, both, 2) != 0)
        return intake_store_fail(svc, rep, a);
    return HF_OK;
}

int intake_customer_merge(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                          hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__CustomerMerge *m = req->customer_merge;
    hf_store_t *st = hf_service_store(svc);
    intake_branch_t b;
    Huifang__V1__Customer *keep = NULL, *other = NULL;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK || (rc = s_merge_lock(svc, &b, m, &keep, &other, rep, a)) != HF_OK) /* 1 */
        return rc;
    char kid[24], oid[24];
    const char *p[] = {hf_pg_i64(kid, keep->id), hf_pg_i64(oid, other->id)};
    if (s_merge_records(st, p) != 0 || s_merge_card(st, &b, keep, other, p) != 0) /* 2, 3 */
        return intake_store_fail(svc, rep, a);
    Huifang__V1__Customer *kept = intake_customer_load(svc, &b, keep->id, false, a, &rc);
    if (kept == NULL)
        return intake_store_fail(svc, rep, a);
    if ((rc = s_merge_announce(svc, &b, req->actor, keep, other, kept, rep, a)) != HF_OK) /* 4 */
        return rc;
    return s_reply_customer(rep, kept, a);
}

/* ---- consent, do-not-disturb, card types ---- */

int intake_customer_opt_out(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                            hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__CustomerOptOut *o = req->customer_opt_out;
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    const char *reason = S(o->reason);
    if (strlen(reason) > 200)
        return hf_fail(rep, a, HF_BAD_INPUT, "reason", "reason is longer than 200 bytes");
    Huifang__V1__Customer *c;
    if ((rc = s_lock_customer(svc, &b, o->id, "id", &c, rep, a)) != HF_OK)
        return rc;
    int done = intake_opt_out(svc, c, reason, false);
    if (done < 0)
        return intake_store_fail(svc, rep, a);
    if (done == 1)
        rep->note = hf_arena_printf(a, "customer %lld had already opted out", (long long)c->id);
    return s_reply_audited(svc, rep, c, a);
}

int intake_customer_dnd(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__CustomerDnd *d = req->customer_dnd;
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    const char *until = "", *reason = "";
    char untiltxt[11] = "";
    if (!d->clear) {
        int32_t day;
        if (S(d->until)[0] == '\0')
            return hf_fail(rep, a, HF_BAD_INPUT, "until",
                           "until is required (the last day not to call)");
        if (hf_date_parse(d->until, &day) != 0)
            return hf_fail(rep, a, HF_BAD_INPUT, "until", "until \"%s\" is not a date (YYYY-MM-DD)",
                           d->until);
        if (day < b.today)
            return hf_fail(rep, a, HF_BAD_INPUT, "until", "until %s is in the past", d->until);
        if (day > b.today + 366)
            return hf_fail(rep, a, HF_BAD_INPUT, "until", "until %s is more than a year ahead",
                           d->until);
        hf_date_format(day, untiltxt);
        until = hf_arena_strdup(a, untiltxt); /* it outlives this frame in the reply */
        reason = S(d->reason);
        static const char *reasons[] = {"hospital", "confinement", "due-date", "other", NULL};
        bool ok = false;
        for (int i = 0; reasons[i]; i++)
            ok = ok || strcmp(reason, reasons[i]) == 0;
        if (!ok)
            return hf_fail(rep, a, HF_BAD_INPUT, "reason",
                           *reason
                               ? "reason \"%s\" must be hospital, confinement, due-date or other"
                               : "reason is required%s: hospital, confinement, due-date or other",
                           reason);
    }
    Huifang__V1__Customer *c;
    if ((rc = s_lock_customer(svc, &b, d->id, "id", &c, rep, a)) != HF_OK)
        return rc;
    if (strcmp(c->dnd_until, until) == 0 && strcmp(c->dnd_reason, reason) == 0) {
        rep->note = *until
                        ? hf_arena_printf(a, "customer %lld is already not to be called until %s",
                                          (long long)c->id, until)
                        : hf_arena_printf(a, "customer %lld has no do-not-disturb period",
                                          (long long)c->id);
        return s_reply_audited(svc, rep, c, a);
    }
    char cid[24];
    const char *p[] = {hf_pg_i64(cid, c->id), *until ? until : NULL, reason};
    if (hf_store_query_run(hf_service_store(svc), &INTAKE_Q_CUSTOMER_DND, 3, p) != 0)
        return intake_store_fail(svc, rep, a);
    c->dnd_until = (char *)until;
    c->dnd_reason = (char *)reason;
    Huifang__V1__DndSet ev = HUIFANG__V1__DND_SET__INIT;
    ev.customer_id = c->id;
    ev.until = (char *)until;
    ev.reason = (char *)reason;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = b.code;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_DND_SET;
    env.dnd_set = &ev;
    if (hf_service_emit(svc, &env) != 0 || intake_emit_updated(svc, c, "dnd") != 0)
        return intake_store_fail(svc, rep, a);
    hf_info("dnd_set", "customer=%lld until=%s reason=%s", (long long)c->id, *until ? until : "-",
            *reason ? reason : "-");
    return s_reply_audited(svc, rep, c, a);
}

int intake_customer_card(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__CustomerCard *cc = req->customer_card;
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    const char *to = S(cc->card_type);
    static const char *types[] = {"new", "one-on-one", "customer", "void", NULL};
    bool ok = false;
    for (int i = 0; types[i]; i++)
        ok = ok || strcmp(to, types[i]) == 0;
    if (!ok)
        return hf_fail(rep, a, HF_BAD_INPUT, "card_type",
                       "card type \"%s\" must be new, one-on-one, customer or void", to);
    const char *reason = "";
    if (strcmp(to, "void") == 0) {
        reason = intake_void_reason(cc->reason);
        if (reason == NULL)
            return hf_fail(rep, a, HF_BAD_INPUT, "reason",
                           S(cc->reason)[0]
                               ? "void reason \"%s\" must be invalid-phone, out-of-area, "
                                 "unanswered, hostile or refused"
                               : "a void card needs its reason%s: invalid-phone, "
                                 "out-of-area, unanswered, hostile or refused",
                           S(cc->reason));
    } else if (S(cc->reason)[0]) {
        return hf_fail(rep, a, HF_BAD_INPUT, "reason", "only a void card takes a reason");
    }
    Huifang__V1__Customer *c;
    if ((rc = s_lock_customer(svc, &b, cc->id, "id", &c, rep, a)) != HF_OK)
        return rc;
    const char *why = NULL;
    if (intake_card_manual(c->card_type, to, c->purchases, &why) != 0)
        return hf_fail(rep, a, HF_CONFLICT, "card_type", "customer %lld: %s", (long long)c->id,
                       why);
    if (intake_card_set(svc, &b, c, to, reason, false) < 0)
        return intake_store_fail(svc, rep, a);
    return s_reply_audited(svc, rep, c, a);
}

/* ---- rules ---- */

static Huifang__V1__Rules *s_rules(const intake_branch_t *b, hf_arena_t *a)
{
    Huifang__V1__Rules *r = hf_new(a, Huifang__V1__Rules);
    huifang__v1__rules__init(r);
    r->branch = hf_arena_strdup(a, b->code);
    r->own_tiers = b->own_tiers;
    r->own_stages = b->own_stages;
    r->tiers = hf_new_array(a, Huifang__V1__TierRule *, b->ntiers + 1);
    for (int i = 0; i < b->ntiers; i++) {
        Huifang__V1__TierRule *t = hf_new(a, Huifang__V1__TierRule);
        huifang__v1__tier_rule__init(t);
        t->tier = hf_arena_strdup(a, b->tiers[i].tier);
        t->min_spend_fen = b->tiers[i].min_spend_fen;
        t->min_purchases = b->tiers[i].min_purchases;
        r->tiers[r->n_tiers++] = t;
    }
    r->stages = hf_new_array(a, Huifang__V1__StageRule *, b->nstages + 1);
    for (int i = 0; i < b->nstages; i++) {
        const intake_stage_rule_t *s = &b->stages[i];
        Huifang__V1__StageRule *t = hf_new(a, Huifang__V1__StageRule);
        huifang__v1__stage_rule__init(t);
        t->code = hf_arena_strdup(a, s->code);
        t->unit = s->months ? "month" : "day";
        t->has_from = s->has_from;
        t->from = s->from;
        t->has_to = s->has_to;
        t->to = s->to;
        t->label = hf_arena_strdup(a, s->label);
        r->stages[r->n_stages++] = t;
    }
    return r;
}

int intake_rules_get(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                     hf_arena_t *a)
{
    (void)self;
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_RULES;
    rep->rules = s_rules(&b, a);
    return HF_OK;
}

/* Recomputes every live customer's tier of the branch after its thresholds changed, and
 * tells the others about each one that moved. */
static int s_retier(hf_service_t *svc, const intake_branch_t *b, const hf_request_t *req,
                    hf_arena_t *a, int *moved)
{
    const intake_tier_rule_t *g = NULL, *s = NULL, *m = NULL;
    for (int i = 0; i < b->ntiers; i++) {
        if (strcmp(b->tiers[i].tier, "gold") == 0)
            g = &b->tiers[i];
        else if (strcmp(b->tiers[i].tier, "silver") == 0)
            s = &b->tiers[i];
        else
            m = &b->tiers[i];
    }
    char v[6][24];
    /* a tier without a rule is out of reach */
    const char *p[] = {b->code,
                       g ? hf_pg_i64(v[0], g->min_spend_fen) : NULL,
                       g ? hf_pg_i64(v[1], g->min_purchases) : NULL,
                       s ? hf_pg_i64(v[2], s->min_spend_fen) : NULL,
                       s ? hf_pg_i64(v[3], s->min_purchases) : NULL,
                       m ? hf_pg_i64(v[4], m->min_spend_fen) : NULL,
                       m ? hf_pg_i64(v[5], m->min_purchases) : NULL};
    /* on hf_store_exec, not a named query (intake_sql.h): INTAKE_CUSTOMER_COLUMNS is an array
     * beside the row reader (intake_util.c), not a literal, so the text is joined here */
    char sql[2400];
    snprintf(
        sql, sizeof sql,
        "WITH t AS (SELECT id, CASE"
        "   WHEN spend_fen >= $2::bigint AND purchases >= $3::int THEN 'gold'"
        "   WHEN spend_fen >= $4::bigint AND purchases >= $5::int THEN 'silver'"
        "   WHEN spend_fen >= $6::bigint AND purchases >= $7::int THEN 'member'"
        "   ELSE 'regular' END AS tier FROM customer WHERE branch = $1 AND merged_into IS NULL),"
        " u AS (UPDATE customer c SET tier = t.tier FROM t WHERE c.id = t.id AND c.tier <> t.tier"
        "   RETURNING c.id)"
        " SELECT %s FROM customer c JOIN u ON u.id = c.id",
        INTAKE_CUSTOMER_COLUMNS);
    PGresult *res = hf_store_exec(hf_service_store(svc), sql, 7, p);
    if (res == NULL)
        return -1;
    /* the select sees the rows as they were before the update in the same statement: the
     * new tier is recomputed here, from the same rules */
    int n = PQntuples(res);
    hf_envelope_t **envs = hf_new_array(a, hf_envelope_t *, n + 1);
    for (int i = 0; i < n; i++) {
        Huifang__V1__Customer *c = intake_customer_from_row(res, i, b, a);
        c->tier = (char *)intake_tier_of(b->tiers, b->ntiers, c->spend_fen, c->purchases);
        Huifang__V1__CustomerUpdated *ev = hf_new(a, Huifang__V1__CustomerUpdated);
        huifang__v1__customer_updated__init(ev);
        ev->customer = c;
        ev->change = "tier";
        envs[i] = hf_new(a, hf_envelope_t);
        huifang__v1__envelope__init(envs[i]);
        envs[i]->payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_UPDATED;
        envs[i]->customer_updated = ev;
    }
    PQclear(res);
    *moved = n;
    return intake_emit_many(svc, envs, n, b->code, req->request_id, a);
}

int intake_rules_set(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                     hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__RulesSet *rs = req->rules_set;
    hf_store_t *st = hf_service_store(svc);
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    if (rs->n_tiers == 0 && rs->n_stages == 0 && rs->n_remove_stages == 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "rules", "no rule to set");
    for (size_t i = 0; i < rs->n_tiers; i++) {
        const Huifang__V1__TierRule *t = rs->tiers[i];
        const char *tier = S(t->tier);
        if (strcmp(tier, "gold") && strcmp(tier, "silver") && strcmp(tier, "member"))
            return hf_fail(rep, a, HF_BAD_INPUT, "tier",
                           "tier \"%s\" must be gold, silver or member", tier);
        if (t->min_spend_fen < 0)
            return hf_fail(rep, a, HF_BAD_INPUT, "min_spend", "min_spend must not be negative");
        if (t->min_purchases < 0 || t->min_purchases > 10000)
            return hf_fail(rep, a, HF_BAD_INPUT, "min_purchases", "min_purchases must be 0..10000");
    }
    for (size_t i = 0; i < rs->n_stages; i++) {
        const Huifang__V1__StageRule *s = rs->stages[i];
        const char *code = S(s->code);
        size_t n = strlen(code);
        bool ok = n > 0 && n <= 8;
        for (size_t k = 0; k < n; k++)
            ok = ok && (isalnum((unsigned char)code[k]) || code[k] == '-' || code[k] == '_');
        if (!ok)
            return hf_fail(rep, a, HF_BAD_INPUT, "code",
                           "stage code \"%s\" must be 1-8 letters, digits, '-' or '_'", code);
        if (strcmp(S(s->unit), "month") && strcmp(S(s->unit), "day"))
            return hf_fail(rep, a, HF_BAD_INPUT, "unit", "unit \"%s\" must be month or day",
                           S(s->unit));
        if (!s->has_from && !s->has_to)
            return hf_fail(rep, a, HF_BAD_INPUT, "from", "a stage needs --from, --to or both");
        if (s->has_from && s->has_to && s->from > s->to)
            return hf_fail(rep, a, HF_BAD_INPUT, "to", "to (%d) is before from (%d)", (int)s->to,
                           (int)s->from);
        if (strlen(S(s->label)) > 60)
            return hf_fail(rep, a, HF_BAD_INPUT, "label", "label is longer than 60 bytes");
    }
    const char *pb[] = {b.code};
    /* the first rule of its own: the branch starts from a copy of the defaults */
    if ((rs->n_tiers > 0 && !b.own_tiers &&
         hf_store_query_run(st, &INTAKE_Q_RULES_SET_TIER_RULE_INSERT, 1, pb) != 0) ||
        ((rs->n_stages > 0 || rs->n_remove_stages > 0) && !b.own_stages &&
         hf_store_query_run(st, &INTAKE_Q_RULES_SET_STAGE_RULE_INSERT, 1, pb) != 0))
        return intake_store_fail(svc, rep, a);
    for (size_t i = 0; i < rs->n_tiers; i++) {
        const Huifang__V1__TierRule *t = rs->tiers[i];
        char spend[24], n[24];
        const char *p[] = {b.code, t->tier, hf_pg_i64(spend, t->min_spend_fen),
                           hf_pg_i64(n, t->min_purchases)};
        if (hf_store_query_run(st, &INTAKE_Q_RULES_SET_TIER_RULE_INSERT_2, 4, p) != 0)
            return intake_store_fail(svc, rep, a);
    }
    for (size_t i = 0; i < rs->n_stages; i++) {
        const Huifang__V1__StageRule *s = rs->stages[i];
        char from[24], to[24];
        const char *p[] = {b.code,
                           s->code,
                           s->unit,
                           s->has_from ? hf_pg_i64(from, s->from) : NULL,
                           s->has_to ? hf_pg_i64(to, s->to) : NULL,
                           S(s->label)};
        if (hf_store_query_run(st, &INTAKE_Q_RULES_SET_STAGE_RULE_INSERT_2, 6, p) != 0)
            return intake_store_fail(svc, rep, a);
    }
    for (size_t i = 0; i < rs->n_remove_stages; i++) {
        const char *p[] = {b.code, S(rs->remove_stages[i])};
        PGresult *res = hf_store_query(st, &INTAKE_Q_RULES_SET_STAGE_RULE_DELETE, 2, p);
        if (res == NULL)
            return intake_store_fail(svc, rep, a);
        int gone = PQntuples(res);
        PQclear(res);
        if (!gone)
            return hf_fail(rep, a, HF_NOT_FOUND, "code", "branch %s has no stage %s", b.code, p[1]);
    }
    intake_branch_t after;
    if ((rc = intake_branch_load(svc, b.code, &after, rep, a)) != HF_OK)
        return rc;
    int moved = 0;
    if (rs->n_tiers > 0 && s_retier(svc, &after, req, a, &moved) != 0)
        return intake_store_fail(svc, rep, a);
    if (moved > 0)
        rep->note = hf_arena_printf(a, "%d customer(s) changed tier", moved);
    hf_info("rules_set", "branch=%s tiers=%zu stages=%zu removed=%zu moved=%d", b.code, rs->n_tiers,
            rs->n_stages, rs->n_remove_stages, moved);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_RULES;
    rep->rules = s_rules(&after, a);
    return HF_OK;
}
