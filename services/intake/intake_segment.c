/* intake_segment: segments, saved filters over the archive (issue 16).
 *
 * A segment is never a list: its filter (SegmentFilter) is kept and evaluated afresh, as one
 * parameterised statement (SEGMENT_WHERE in intake_sql.h, every value a parameter, NULL for "not
 * filtered"), whenever it is previewed, shown, used by a campaign or by anyone else through
 * intake_segment_each(). Opted-out and merged customers are never in a segment; void cards
 * only when the filter names card type void. */
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_mask.h"
#include "hf_time.h"
#include "intake_internal.h"
#include "intake_sql.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")
#define SEGMENT_NPARAMS 15

/* ---- the filter ---- */

/* Splits a comma list into at most max trimmed words (arena copies). Returns the count, or
 * -1 when a word is not a code (1..24 letters, digits, '-', '_'), with *bad the word. */
static int s_words(const char *list, const char **out, int max, const char **bad, hf_arena_t *a)
{
    int n = 0;
    const char *p = S(list);
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        size_t len = (size_t)(end - p);
        while (len > 0 && p[len - 1] == ' ')
            len--;
        char *w = hf_arena_printf(a, "%.*s", (int)len, p);
        if (!hf_code_valid(w, len) || n >= max) {
            *bad = w;
            return -1;
        }
        out[n++] = w;
        p = end;
    }
    return n;
}

/* The words joined again ("a,b"), normalised; "" for none. */
static char *s_join(const char *const *w, int n, hf_arena_t *a)
{
    char *s = "";
    for (int i = 0; i < n; i++)
        s = hf_arena_printf(a, "%s%s%s", s, i ? "," : "", w[i]);
    return s;
}

/* A Postgres array literal of codes (they need no quoting), or NULL for an empty list. */
static const char *s_array(const char *list, hf_arena_t *a)
{
    const char *w[64], *bad = NULL;
    int n = s_words(list, w, 64, &bad, a);
    if (n <= 0)
        return NULL;
    return hf_arena_printf(a, "{%s}", s_join(w, n, a));
}

/* Parses "MM-DD" (02-29 allowed) into MMDD; -1 when it is not one. */
static int s_month_day(const char *s)
{
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(S(s)) != 5 || s[2] != '-' || !isdigit((unsigned char)s[0]) ||
        !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[3]) ||
        !isdigit((unsigned char)s[4]))
        return -1;
    int m = (s[0] - '0') * 10 + (s[1] - '0'), d = (s[3] - '0') * 10 + (s[4] - '0');
    if (m < 1 || m > 12 || d < 1 || d > days[m - 1])
        return -1;
    return m * 100 + d;
}

/* Checks a list field against a set of words (NULL: any code; "stage": the branch's stage
 * codes) and normalises it in place. HF_OK or BAD_INPUT naming field. */
static int s_check_list(char **value, const char *field, const char *const *allowed,
                        hf_reply_t *rep, hf_arena_t *a)
{
    const char *w[64], *bad = NULL;
    int n = s_words(*value, w, 64, &bad, a);
    if (n < 0)
        return hf_fail(rep, a, HF_BAD_INPUT, field,
                       "%s: \"%s\" is not a code (1-24 letters, digits, '-' or '_'; at most 64)",
                       field, S(bad));
    for (int i = 0; allowed && i < n; i++) {
        int k = 0;
        while (allowed[k] && strcmp(allowed[k], w[i]) != 0)
            k++;
        if (allowed[k] == NULL) {
            char *list = "";
            for (k = 0; allowed[k]; k++)
                list = hf_arena_printf(a, "%s%s%s", list, k ? ", " : "", allowed[k]);
            return hf_fail(rep, a, HF_BAD_INPUT, field, "%s: \"%s\" is not one of %s", field, w[i],
                           list);
        }
    }
    *value = s_join(w, n, a);
    return HF_OK;
}

/* Checks that every word of list is a row of the branch in a table: the query names it with
 * $1 branch and $2 the word. HF_OK, BAD_INPUT naming field, or UNAVAILABLE. */
static int s_check_known(hf_service_t *svc, const char *list, const char *field, const char *what,
                         const hf_query_t *q, const char *branch, hf_reply_t *rep, hf_arena_t *a)
{
    const char *w[64], *bad = NULL;
    int n = s_words(list, w, 64, &bad, a);
    for (int i = 0; i < n; i++) {
        const char *p[] = {branch, w[i]};
        PGresult *res = hf_store_query(hf_service_store(svc), q, 2, p);
        if (res == NULL)
            return intake_store_fail(svc, rep, a);
        int found = PQntuples(res);
        PQclear(res);
        if (!found)
            return hf_fail(rep, a, HF_BAD_INPUT, field, "%s: no %s %s in branch %s", field, what,
                           w[i], branch);
    }
    return HF_OK;
}

/* "any", or the id of a campaign of the branch. */
static int s_check_campaign_ref(hf_service_t *svc, char **value, const char *field,
                                const char *branch, hf_reply_t *rep, hf_arena_t *a)
{
    const char *v = S(*value);
    while (*v == ' ')
        v++;
    if (*v == '\0' || strcmp(v, "any") == 0) {
        *value = (char *)v;
        return HF_OK;
    }
    char *end = NULL;
    long long id = strtoll(v, &end, 10);
    if (end == v || *end != '\0' || id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, field, "%s \"%s\" must be \"any\" or a campaign id",
                       field, v);
    char idt[24];
    const char *p[] = {hf_pg_i64(idt, id), branch};
    PGresult *res = hf_store_query(hf_service_store(svc), &INTAKE_Q_CHECK_CAMPAIGN_REF, 2, p);
    if (res == NULL)
        return intake_store_fail(svc, rep, a);
    int found = PQntuples(res);
    PQclear(res);
    if (!found)
        return hf_fail(rep, a, HF_BAD_INPUT, field, "%s: no campaign %lld in branch %s", field, id,
                       branch);
    *value = hf_arena_printf(a, "%lld", id);
    return HF_OK;
}

static int s_check_date(char **value, const char *field, hf_reply_t *rep, hf_arena_t *a)
{
    int32_t d;
    if (S(*value)[0] == '\0') {
        *value = "";
        return HF_OK;
    }
    if (hf_date_parse(*value, &d) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, field, "%s \"%s\" is not a date (YYYY-MM-DD)", field,
                       *value);
    return HF_OK;
}

/* Checks and normalises a filter of branch in place (f is the caller's copy). HF_OK, or
 * BAD_INPUT naming the SegmentFilter field, or UNAVAILABLE. */
static int s_filter_check(hf_service_t *svc, const intake_branch_t *b,
                          Huifang__V1__SegmentFilter *f, hf_reply_t *rep, hf_arena_t *a)
{
    static const char *const cards[] = {"new", "one-on-one", "customer", "void", NULL};
    static const char *const tiers[] = {"gold", "silver", "member", "regular", NULL};
    const char *stages[INTAKE_MAX_STAGES + 1];
    for (int i = 0; i < b->nstages; i++)
        stages[i] = b->stages[i].code;
    stages[b->nstages] = NULL;
    int rc;
    if ((rc = s_check_list(&f->regions, "regions", NULL, rep, a)) != HF_OK ||
        (rc = s_check_list(&f->card_types, "card_types", cards, rep, a)) != HF_OK ||
        (rc = s_check_list(&f->tiers, "tiers", tiers, rep, a)) != HF_OK ||
        (rc = s_check_list(&f->stages, "stages", stages, rep, a)) != HF_OK ||
        (rc = s_check_list(&f->products, "products", NULL, rep, a)) != HF_OK ||
        (rc = s_check_known(svc, f->products, "products", "product", &INTAKE_Q_PRODUCT_KNOWN,
                            b->code, rep, a)) != HF_OK ||
        (rc = s_check_date(&f->purchased_before, "purchased_before", rep, a)) != HF_OK ||
        (rc = s_check_date(&f->purchased_after, "purchased_after", rep, a)) != HF_OK ||
        (rc = s_check_date(&f->contacted_before, "contacted_before", rep, a)) != HF_OK ||
        (rc = s_check_date(&f->contacted_after, "contacted_after", rep, a)) != HF_OK ||
        (rc = s_check_campaign_ref(svc, &f->attended, "attended", b->code, rep, a)) != HF_OK ||
        (rc = s_check_campaign_ref(svc, &f->not_attended, "not_attended", b->code, rep, a)) !=
            HF_OK)
        return rc;
    bool from = S(f->birthday_from)[0] != '\0', to = S(f->birthday_to)[0] != '\0';
    if (from != to)
        return hf_fail(rep, a, HF_BAD_INPUT, from ? "birthday_to" : "birthday_from",
                       "a birthday range needs both ends (MM-DD..MM-DD)");
    if (from && s_month_day(f->birthday_from) < 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "birthday_from",
                       "birthday_from \"%s\" is not a day of the year (MM-DD)", f->birthday_from);
    if (to && s_month_day(f->birthday_to) < 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "birthday_to",
                       "birthday_to \"%s\" is not a day of the year (MM-DD)", f->birthday_to);
    if (!from)
        f->birthday_from = f->birthday_to = "";
    return HF_OK;
}

/* The filter in words, for lists ("regions=R1 tiers=gold"; "everyone" for no filter). */
static char *s_filter_text(const Huifang__V1__SegmentFilter *f, hf_arena_t *a)
{
    char *s = "";
#define ADD(name, v)                                                                               \
    if (S(v)[0])                                                                                   \
        s = hf_arena_printf(a, "%s%s%s=%s", s, *s ? " " : "", name, v);
    ADD("regions", f->regions);
    ADD("card_types", f->card_types);
    ADD("tiers", f->tiers);
    ADD("stages", f->stages);
    ADD("products", f->products);
    ADD("purchased_before", f->purchased_before);
    ADD("purchased_after", f->purchased_after);
    ADD("contacted_before", f->contacted_before);
    ADD("contacted_after", f->contacted_after);
    if (S(f->birthday_from)[0])
        s = hf_arena_printf(a, "%s%sbirthday=%s..%s", s, *s ? " " : "", f->birthday_from,
                            f->birthday_to);
    ADD("attended", f->attended);
    ADD("not_attended", f->not_attended);
#undef ADD
    return *s ? s : "everyone";
}

/* The statement's parameters for a checked filter of branch (zone tz, today a local day). */
static void s_filter_params(const Huifang__V1__SegmentFilter *f, const char *branch, const char *tz,
                            int32_t today, const char **p, hf_arena_t *a)
{
    p[0] = branch;
    p[1] = s_array(f->regions, a);
    p[2] = s_array(f->card_types, a);
    p[3] = s_array(f->tiers, a);
    p[4] = s_array(f->stages, a);
    p[5] = s_array(f->products, a);
    p[6] = S(f->purchased_before)[0] ? f->purchased_before : NULL;
    p[7] = S(f->purchased_after)[0] ? f->purchased_after : NULL;
    int32_t d;
    p[8] = p[9] = NULL;
    if (S(f->contacted_before)[0] && hf_date_parse(f->contacted_before, &d) == 0)
        p[8] = hf_arena_printf(a, "%lld", (long long)hf_time_from_local(d, 0, tz));
    if (S(f->contacted_after)[0] && hf_date_parse(f->contacted_after, &d) == 0)
        p[9] = hf_arena_printf(a, "%lld", (long long)hf_time_from_local(d, 0, tz));
    p[10] = p[11] = NULL;
    if (S(f->birthday_from)[0] && S(f->birthday_to)[0]) {
        p[10] = hf_arena_printf(a, "%d", s_month_day(f->birthday_from));
        p[11] = hf_arena_printf(a, "%d", s_month_day(f->birthday_to));
    }
    p[12] = !S(f->attended)[0] ? NULL : strcmp(f->attended, "any") == 0 ? "0" : f->attended;
    p[13] = !S(f->not_attended)[0]                ? NULL
            : strcmp(f->not_attended, "any") == 0 ? "0"
                                                  : f->not_attended;
    char day[11];
    hf_date_format(today, day);
    p[14] = hf_arena_strdup(a, day);
}

/* ---- stored segments ---- */

static Huifang__V1__Segment *s_segment_from_row(const PGresult *res, int i, hf_arena_t *a)
{
    Huifang__V1__Segment *s = hf_new(a, Huifang__V1__Segment);
    huifang__v1__segment__init(s);
    Huifang__V1__SegmentFilter *f = hf_new(a, Huifang__V1__SegmentFilter);
    huifang__v1__segment_filter__init(f);
#define STR(col) hf_arena_strdup(a, hf_pg_str(res, i, (col)))
    s->id = hf_pg_int(res, i, 0);
    s->branch = STR(1);
    s->name = STR(2);
    f->regions = STR(3);
    f->card_types = STR(4);
    f->tiers = STR(5);
    f->stages = STR(6);
    f->products = STR(7);
    f->purchased_before = STR(8);
    f->purchased_after = STR(9);
    f->contacted_before = STR(10);
    f->contacted_after = STR(11);
    f->birthday_from = STR(12);
    f->birthday_to = STR(13);
    f->attended = STR(14);
    f->not_attended = STR(15);
    s->created_at_ms = hf_pg_int(res, i, 16);
    s->created_by = STR(17);
#undef STR
    s->filter = f;
    s->filter_text = s_filter_text(f, a);
    return s;
}

/* Loads segment id of branch; NULL with *missing, or NULL on a store error. */
static Huifang__V1__Segment *s_segment_load(hf_store_t *st, const char *branch, int64_t id,
                                            bool *missing, hf_arena_t *a)
{
    *missing = false;
    char idt[24];
    const char *p[] = {hf_pg_i64(idt, id), branch};
    PGresult *res = hf_store_query(st, &INTAKE_Q_SEGMENT_LOAD, 2, p);
    if (res == NULL)
        return NULL;
    Huifang__V1__Segment *s = PQntuples(res) ? s_segment_from_row(res, 0, a) : NULL;
    *missing = s == NULL;
    PQclear(res);
    return s;
}

/* Counts what filter f matches in branch today. -1 on a store error. */
static int64_t s_count(hf_store_t *st, const Huifang__V1__SegmentFilter *f, const char *branch,
                       const char *tz, int32_t today, hf_arena_t *a)
{
    const char *p[SEGMENT_NPARAMS];
    s_filter_params(f, branch, tz, today, p, a);
    PGresult *res = hf_store_query(st, &INTAKE_Q_SEGMENT_COUNT, 15, p);
    if (res == NULL)
        return -1;
    int64_t n = hf_pg_int(res, 0, 0);
    PQclear(res);
    return n;
}

int intake_segment_each(hf_store_t *st, const char *branch, int64_t segment_id,
                        int (*fn)(int64_t customer_id, void *arg), void *arg)
{
    hf_arena_t *a = hf_arena_new();
    if (a == NULL)
        return -1;
    int rc = -1;
    PGresult *res = NULL;
    char tz[64];
    int found = hf_replica_branch(st, branch, tz, sizeof tz, NULL, 0);
    if (found != 0) {
        rc = found > 0 ? -2 : -1;
        goto cleanup;
    }
    bool missing;
    Huifang__V1__Segment *s = s_segment_load(st, branch, segment_id, &missing, a);
    if (s == NULL) {
        rc = missing ? -2 : -1;
        goto cleanup;
    }
    const char *p[SEGMENT_NPARAMS];
    s_filter_params(s->filter, branch, tz, hf_time_local_day(hf_clock_now_ms(), tz), p, a);
    res = hf_store_query(st, &INTAKE_Q_SEGMENT_MEMBERS, 15, p);
    if (res == NULL)
        goto cleanup;
    rc = 0;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++)
        rc = fn(hf_pg_int(res, i, 0), arg);
cleanup:
    if (res)
        PQclear(res);
    hf_arena_destroy(&a);
    return rc;
}

/* ---- commands ---- */

/* A copy of the request's filter (the checks normalise it), or an empty one. */
static Huifang__V1__SegmentFilter *s_filter_copy(const Huifang__V1__SegmentFilter *in,
                                                 hf_arena_t *a)
{
    Huifang__V1__SegmentFilter *f = hf_new(a, Huifang__V1__SegmentFilter);
    huifang__v1__segment_filter__init(f);
    if (in) {
        *f = *in;
        f->base.unknown_fields = NULL;
        f->base.n_unknown_fields = 0;
    }
    return f;
}

int intake_segment_add(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                       hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__SegmentAdd *q = req->segment_add;
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    const char *name = S(q->name);
    while (*name == ' ')
        name++;
    if (*name == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "name", "name is required");
    if (strlen(name) > 100)
        return hf_fail(rep, a, HF_BAD_INPUT, "name", "name is longer than 100 bytes");
    for (const char *c = name; *c; c++)
        if ((unsigned char)*c < 0x20)
            return hf_fail(rep, a, HF_BAD_INPUT, "name", "name holds a control character");
    Huifang__V1__SegmentFilter *f = s_filter_copy(q->filter, a);
    if ((rc = s_filter_check(svc, &b, f, rep, a)) != HF_OK)
        return rc;
    hf_store_t *st = hf_service_store(svc);
    int64_t n = s_count(st, f, b.code, b.tz, b.today, a);
    if (n < 0)
        return intake_store_fail(svc, rep, a);
    char at[24];
    const char *p[] = {b.code,
                       name,
                       f->regions,
                       f->card_types,
                       f->tiers,
                       f->stages,
                       f->products,
                       *f->purchased_before ? f->purchased_before : NULL,
                       *f->purchased_after ? f->purchased_after : NULL,
                       *f->contacted_before ? f->contacted_before : NULL,
                       *f->contacted_after ? f->contacted_after : NULL,
                       f->birthday_from,
                       f->birthday_to,
                       f->attended,
                       f->not_attended,
                       hf_pg_i64(at, b.now_ms),
                       S(req->actor)};
    PGresult *res = hf_store_query(st, &INTAKE_Q_SEGMENT_ADD, 17, p);
    if (res == NULL)
        return intake_store_fail(svc, rep, a);
    if (PQntuples(res) == 0) {
        PQclear(res);
        return hf_fail(rep, a, HF_CONFLICT, "name", "segment \"%s\" already exists in branch %s",
                       name, b.code);
    }
    Huifang__V1__Segment *s = s_segment_from_row(res, 0, a);
    PQclear(res);
    s->count = n;
    hf_info("segment_added", "branch=%s segment=%lld count=%lld", b.code, (long long)s->id,
            (long long)n);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_SEGMENT;
    rep->segment = s;
    return HF_OK;
}

int intake_segment_preview(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                           hf_arena_t *a)
{
    (void)self;
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    Huifang__V1__SegmentFilter *f = s_filter_copy(req->segment_preview->filter, a);
    if ((rc = s_filter_check(svc, &b, f, rep, a)) != HF_OK)
        return rc;
    hf_store_t *st = hf_service_store(svc);
    Huifang__V1__Segment *s = hf_new(a, Huifang__V1__Segment);
    huifang__v1__segment__init(s);
    s->branch = b.code;
    s->filter = f;
    s->filter_text = s_filter_text(f, a);
    if ((s->count = s_count(st, f, b.code, b.tz, b.today, a)) < 0)
        return intake_store_fail(svc, rep, a);
    const char *p[SEGMENT_NPARAMS];
    s_filter_params(f, b.code, b.tz, b.today, p, a);
    PGresult *res = hf_store_query(st, &INTAKE_Q_SEGMENT_SAMPLES, 15, p);
    if (res == NULL)
        return intake_store_fail(svc, rep, a);
    int n = PQntuples(res);
    s->samples = hf_new_array(a, Huifang__V1__SegmentSample *, n > 0 ? n : 1);
    int64_t ids[SEGMENT_SAMPLES];
    for (int i = 0; i < n; i++) {
        Huifang__V1__SegmentSample *x = hf_new(a, Huifang__V1__SegmentSample);
        huifang__v1__segment_sample__init(x);
        char masked[128];
        x->customer_id = ids[i] = hf_pg_int(res, i, 0);
        hf_mask_name(hf_pg_str(res, i, 1), masked, sizeof masked);
        x->name = hf_arena_strdup(a, masked);
        hf_mask_phone(hf_pg_str(res, i, 2), masked, sizeof masked);
        x->phone = hf_arena_strdup(a, masked);
        x->region = hf_arena_strdup(a, hf_pg_str(res, i, 3));
        x->card_type = hf_arena_strdup(a, hf_pg_str(res, i, 4));
        x->tier = hf_arena_strdup(a, hf_pg_str(res, i, 5));
        s->samples[s->n_samples++] = x;
    }
    PQclear(res);
    /* the samples are personal data, masked or not: the read is on the audit trail */
    if (hf_service_audit(svc, ids, (size_t)n) != 0)
        return intake_store_fail(svc, rep, a);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_SEGMENT;
    rep->segment = s;
    return HF_OK;
}

int intake_segment_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a)
{
    (void)self;
    intake_branch_t b;
    PGresult *res;
    int rc = intake_branch_rows(svc, req->branch, &INTAKE_Q_SEGMENT_LIST, &b, &res, rep, a);
    if (rc != HF_OK)
        return rc;
    Huifang__V1__Segments *l = hf_new(a, Huifang__V1__Segments);
    huifang__v1__segments__init(l);
    int n = PQntuples(res);
    l->segments = hf_new_array(a, Huifang__V1__Segment *, n > 0 ? n : 1);
    for (int i = 0; i < n; i++)
        l->segments[l->n_segments++] = s_segment_from_row(res, i, a);
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_SEGMENTS;
    rep->segments = l;
    return HF_OK;
}

int intake_segment_show(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a)
{
    (void)self;
    intake_branch_t b;
    int64_t id = req->segment_show->id;
    int rc = intake_branch_record(svc, req->branch, id, "segment", &b, rep, a);
    if (rc != HF_OK)
        return rc;
    bool missing;
    hf_store_t *st = hf_service_store(svc);
    Huifang__V1__Segment *s = s_segment_load(st, b.code, id, &missing, a);
    if (s == NULL)
        return intake_load_fail(svc, missing, "id", "segment", id, b.code, rep, a);
    if ((s->count = s_count(st, s->filter, b.code, b.tz, b.today, a)) < 0)
        return intake_store_fail(svc, rep, a);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_SEGMENT;
    rep->segment = s;
    return HF_OK;
}
