/* intake_util: what intake's handlers share — the branch with its rules, loading customers,
 * array literals for set-based statements, and events (one at a time, or many at once). */
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_outbox_batch.h"
#include "hf_replica.h"
#include "hf_time.h"
#include "intake_internal.h"
#include "intake_sql.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")

/* ---- the branch ---- */

int intake_store_fail(hf_service_t *svc, hf_reply_t *rep, hf_arena_t *a)
{
    return hf_fail(rep, a, HF_UNAVAILABLE, NULL,
                   "the store failed, nothing changed, safe to retry: %s",
                   hf_store_error(hf_service_store(svc)));
}

void intake_stage_rows(const PGresult *res, int col, intake_branch_t *b)
{
    intake_stage_rows_in(res, 0, PQntuples(res), col, b);
}

void intake_stage_rows_in(const PGresult *res, int first, int end, int col, intake_branch_t *b)
{
    b->nstages = 0;
    for (int i = first; i < end && b->nstages < INTAKE_MAX_STAGES; i++) {
        if (PQgetisnull(res, i, col + 1))
            continue;
        intake_stage_rule_t *r = &b->stages[b->nstages++];
        b->own_stages = hf_pg_bool(res, i, col);
        snprintf(r->code, sizeof r->code, "%s", hf_pg_str(res, i, col + 1));
        r->months = strcmp(hf_pg_str(res, i, col + 2), "month") == 0;
        r->has_from = hf_pg_bool(res, i, col + 3);
        r->from = (int)hf_pg_int(res, i, col + 4);
        r->has_to = hf_pg_bool(res, i, col + 5);
        r->to = (int)hf_pg_int(res, i, col + 6);
        snprintf(r->label, sizeof r->label, "%s", hf_pg_str(res, i, col + 7));
    }
}

int intake_branch_load(hf_service_t *svc, const char *code, intake_branch_t *b, hf_reply_t *rep,
                       hf_arena_t *a)
{
    char tz[sizeof b->tz];
    int rc = hf_replica_need_branch(hf_service_store(svc), code, tz, sizeof tz, rep, a);
    if (rc == HF_UNAVAILABLE)
        return intake_store_fail(svc, rep, a);
    if (rc != HF_OK)
        return rc;
    return intake_branch_rules(svc, code, tz, b, rep, a);
}

int intake_branch_rules(hf_service_t *svc, const char *code, const char *tz, intake_branch_t *b,
                        hf_reply_t *rep, hf_arena_t *a)
{
    hf_store_t *st = hf_service_store(svc);
    memset(b, 0, sizeof *b);
    snprintf(b->tz, sizeof b->tz, "%s", tz);
    const char *p[] = {code};
    PGresult *res;
    snprintf(b->code, sizeof b->code, "%s", code);
    b->now_ms = hf_clock_now_ms();
    b->today = hf_time_local_day(b->now_ms, b->tz);

    /* the four reads in one round trip (each contact_logged loads its branch: four before) */
    const hf_query_t *qs[] = {&INTAKE_Q_BRANCH_LOAD_BRANCH, &INTAKE_Q_BRANCH_LOAD_STAGE_RULE,
                              &INTAKE_Q_BRANCH_LOAD_TIER_RULE, &INTAKE_Q_BRANCH_LOAD_AGENT};
    const int np[] = {1, 1, 1, 1};
    const char *const *ps[] = {p, p, p, p};
    PGresult *all[4];
    if (hf_store_query_all(st, 4, qs, np, ps, all) != 0)
        return intake_store_fail(svc, rep, a);
    res = all[0];
    if (PQntuples(res) > 0)
        snprintf(b->lead_plans, sizeof b->lead_plans, "%s", hf_pg_str(res, 0, 0));
    PQclear(res);

    /* the branch's own rules when it has any, else the defaults (branch '') */
    res = all[1];
    intake_stage_rows(res, 0, b);
    PQclear(res);
    res = all[2];
    for (int i = 0; i < PQntuples(res); i++) {
        intake_tier_rule_t *r = &b->tiers[b->ntiers++];
        b->own_tiers = hf_pg_bool(res, i, 0);
        snprintf(r->tier, sizeof r->tier, "%s", hf_pg_str(res, i, 1));
        r->min_spend_fen = hf_pg_int(res, i, 2);
        r->min_purchases = (int)hf_pg_int(res, i, 3);
    }
    PQclear(res);
    res = all[3];
    b->nregions = PQntuples(res);
    b->regions = hf_new_array(a, const char *, b->nregions + 1);
    for (int i = 0; i < b->nregions; i++)
        b->regions[i] = hf_arena_strdup(a, hf_pg_str(res, i, 0));
    PQclear(res);
    return HF_OK;
}

int intake_load_fail(hf_service_t *svc, bool missing, const char *field, const char *what,
                     int64_t id, const char *branch, hf_reply_t *rep, hf_arena_t *a)
{
    if (!missing)
        return intake_store_fail(svc, rep, a);
    return hf_fail(rep, a, HF_NOT_FOUND, field, "no %s %lld in branch %s", what, (long long)id,
                   branch);
}

int intake_branch_record(hf_service_t *svc, const char *code, int64_t id, const char *what,
                         intake_branch_t *b, hf_reply_t *rep, hf_arena_t *a)
{
    int rc = intake_branch_load(svc, code, b, rep, a);
    if (rc != HF_OK)
        return rc;
    if (id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "id", "id must be a %s id (1 up)", what);
    return HF_OK;
}

int intake_branch_rows(hf_service_t *svc, const char *code, const hf_query_t *q, intake_branch_t *b,
                       PGresult **res, hf_reply_t *rep, hf_arena_t *a)
{
    int rc = intake_branch_load(svc, code, b, rep, a);
    if (rc != HF_OK)
        return rc;
    const char *p[] = {b->code};
    *res = hf_store_query(hf_service_store(svc), q, 1, p);
    return *res != NULL ? HF_OK : intake_store_fail(svc, rep, a);
}

/* ---- customers ---- */

const char INTAKE_CUSTOMER_COLUMNS[] = INTAKE_CUSTOMER_COLUMNS_SQL;

void intake_customer_stage(Huifang__V1__Customer *c, const intake_branch_t *b, hf_arena_t *a)
{
    int32_t ref = -1;
    const char *source = "";
    if (S(c->ref_date)[0] && hf_date_parse(c->ref_date, &ref) == 0)
        source = "ref_date";
    else if (S(c->baby_birth)[0] && hf_date_parse(c->baby_birth, &ref) == 0)
        source = "baby_birth";
    else if (S(c->due_date)[0] && hf_date_parse(c->due_date, &ref) == 0)
        source = "due_date";
    else
        ref = -1;
    /* the rule's code lives in b, which is on the handler's stack: the reply needs a copy */
    c->stage = hf_arena_strdup(a, intake_stage_of(b->stages, b->nstages, ref, b->today));
    c->ref_source = (char *)(*c->stage ? source : "");
}

Huifang__V1__Customer *intake_customer_from_row(const PGresult *res, int i,
                                                const intake_branch_t *b, hf_arena_t *a)
{
    Huifang__V1__Customer *c = hf_new(a, Huifang__V1__Customer);
    huifang__v1__customer__init(c);
#define STR(col) hf_arena_strdup(a, hf_pg_str(res, i, (col)))
    c->id = hf_pg_int(res, i, 0);
    c->branch = STR(1);
    c->name = STR(2);
    c->phone = STR(3);
    c->gender = STR(4);
    c->birth = STR(5);
    c->ref_date = STR(6);
    c->region = STR(7);
    c->address = STR(8);
    c->card_type = STR(9);
    c->void_reason = STR(10);
    c->opted_out = hf_pg_bool(res, i, 11);
    c->dnd_until = STR(12);
    c->created_at_ms = hf_pg_int(res, i, 13);
    c->windows = STR(15);
    c->tier = STR(16);
    c->age = (int32_t)hf_pg_int(res, i, 17);
    c->route = STR(18);
    c->condition = STR(19);
    c->baby_name = STR(20);
    c->baby_sex = STR(21);
    c->baby_birth = STR(22);
    c->due_date = STR(23);
    c->current_brand = STR(24);
    c->feeding = STR(25);
    c->employer = STR(26);
    c->hobbies = STR(27);
    c->health = STR(28);
    c->opt_out_reason = STR(29);
    c->dnd_reason = STR(30);
    c->spend_fen = hf_pg_int(res, i, 31);
    c->purchases = (int32_t)hf_pg_int(res, i, 32);
    c->merged_into = hf_pg_int(res, i, 33);
    c->language = STR(34);
#undef STR
    /* "phone relation,phone relation": the primary phone first */
    const char *phones = hf_pg_str(res, i, 14);
    if (*phones) {
        size_t n = 1;
        for (const char *p = phones; *p; p++)
            n += *p == ',';
        c->phones = hf_new_array(a, char *, n);
        c->phone_entries = hf_new_array(a, Huifang__V1__PhoneEntry *, n);
        char *copy = hf_arena_strdup(a, phones);
        char *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            char *space = strchr(tok, ' ');
            Huifang__V1__PhoneEntry *e = hf_new(a, Huifang__V1__PhoneEntry);
            huifang__v1__phone_entry__init(e);
            e->relation = "";
            if (space) {
                *space = '\0';
                e->relation = space + 1;
            }
            e->phone = tok;
            c->phones[c->n_phones++] = tok;
            c->phone_entries[c->n_phone_entries++] = e;
        }
    }
    if (b)
        intake_customer_stage(c, b, a);
    return c;
}

Huifang__V1__Customer *intake_customer_load(hf_service_t *svc, const intake_branch_t *b, int64_t id,
                                            bool lock, hf_arena_t *a, int *rc)
{
    char idtxt[24];
    const char *p[] = {hf_pg_i64(idtxt, id), b->code};
    /* on hf_store_exec, not a named query (intake_sql.h): INTAKE_CUSTOMER_COLUMNS is an array
     * beside the row reader (intake_util.c), not a literal, so the text is joined here */
    char sql[1400];
    snprintf(sql, sizeof sql, "SELECT %s FROM customer c WHERE c.id = $1 AND c.branch = $2%s",
             INTAKE_CUSTOMER_COLUMNS, lock ? " FOR UPDATE OF c" : "");
    PGresult *res = hf_store_exec(hf_service_store(svc), sql, 2, p);
    if (res == NULL) {
        *rc = HF_UNAVAILABLE;
        return NULL;
    }
    Huifang__V1__Customer *c = NULL;
    *rc = HF_NOT_FOUND;
    if (PQntuples(res) == 1) {
        c = intake_customer_from_row(res, 0, b, a);
        *rc = HF_OK;
    }
    PQclear(res);
    return c;
}

/* ---- array literals ----
 *
 * A batch of thousands of rows builds a few dozen array literals of tens of kilobytes each.
 * Taken from the arena, every growth would be a fresh zeroed block, and the arena's big
 * blocks go back to the system after each request, to be faulted in again the next time;
 * so the literals live in buffers the service keeps and reuses (it is one thread), and the
 * arena is only the fallback when they are all taken. */

#define INTAKE_ARR_POOL 64

static struct {
    char *buf;
    size_t cap;
    bool taken;
} s_pool[INTAKE_ARR_POOL];

void intake_arr_release_all(void)
{
    for (int i = 0; i < INTAKE_ARR_POOL; i++)
        s_pool[i].taken = false;
}

void intake_arr_init(intake_arr_t *arr, hf_arena_t *a)
{
    arr->arena = a;
    arr->pool = -1;
    for (int i = 0; i < INTAKE_ARR_POOL && arr->pool < 0; i++)
        if (!s_pool[i].taken) {
            if (s_pool[i].buf == NULL) {
                s_pool[i].buf = malloc(4096);
                s_pool[i].cap = s_pool[i].buf ? 4096 : 0;
            }
            if (s_pool[i].buf) {
                s_pool[i].taken = true;
                arr->pool = i;
            }
        }
    if (arr->pool >= 0) {
        arr->buf = s_pool[arr->pool].buf;
        arr->cap = s_pool[arr->pool].cap;
    } else {
        arr->cap = 256;
        arr->buf = hf_arena_alloc(a, arr->cap);
    }
    arr->buf[0] = '{';
    arr->len = 1;
    arr->n = 0;
}

/* Makes room for need more bytes (and the closing brace). */
static void s_arr_room(intake_arr_t *arr, size_t need)
{
    if (arr->len + need + 2 <= arr->cap)
        return;
    size_t cap = arr->cap * 2;
    while (cap < arr->len + need + 2)
        cap *= 2;
    if (arr->pool >= 0) {
        char *buf = realloc(arr->buf, cap);
        if (buf != NULL) {
            s_pool[arr->pool].buf = arr->buf = buf;
            s_pool[arr->pool].cap = arr->cap = cap;
            return;
        }
        /* out of memory: carry on in the arena (which aborts if it cannot either) */
        s_pool[arr->pool].taken = false;
        arr->pool = -1;
    }
    char *buf = hf_arena_alloc(arr->arena, cap);
    memcpy(buf, arr->buf, arr->len);
    arr->buf = buf;
    arr->cap = cap;
}

static void s_arr_sep(intake_arr_t *arr)
{
    if (arr->n++ > 0)
        arr->buf[arr->len++] = ',';
}

void intake_arr_str(intake_arr_t *arr, const char *s)
{
    if (s == NULL) {
        s_arr_room(arr, 5);
        s_arr_sep(arr);
        memcpy(arr->buf + arr->len, "NULL", 4);
        arr->len += 4;
        return;
    }
    size_t n = strlen(s);
    s_arr_room(arr, 2 * n + 3);
    s_arr_sep(arr);
    char *o = arr->buf + arr->len;
    *o++ = '"';
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            *o++ = '\\';
        *o++ = *p;
    }
    *o++ = '"';
    arr->len = (size_t)(o - arr->buf);
}

void intake_arr_int(intake_arr_t *arr, int64_t v)
{
    s_arr_room(arr, 24);
    s_arr_sep(arr);
    arr->len += (size_t)snprintf(arr->buf + arr->len, 24, "%lld", (long long)v);
}

void intake_arr_date(intake_arr_t *arr, int32_t day)
{
    if (day == INTAKE_NO_DAY) {
        intake_arr_str(arr, NULL);
        return;
    }
    s_arr_room(arr, 12);
    s_arr_sep(arr);
    /* a day hf_date_format() refuses (none that intake's rules let through) leaves the
     * element empty, which Postgres refuses as an array of dates */
    if (hf_date_format(day, arr->buf + arr->len) == 0)
        arr->len += 10;
}

const char *intake_arr_end(intake_arr_t *arr)
{
    arr->buf[arr->len] = '}';
    arr->buf[arr->len + 1] = '\0';
    return arr->buf;
}

/* ---- rows for COPY ---- */

void intake_copy_init(intake_copy_t *c)
{
    memset(c, 0, sizeof *c);
}

void intake_copy_release(intake_copy_t *c)
{
    free(c->buf);
    memset(c, 0, sizeof *c);
}

/* Makes room for need more bytes; false when out of memory (c->failed). */
static bool s_copy_room(intake_copy_t *c, size_t need)
{
    if (c->failed)
        return false;
    if (c->len + need <= c->cap)
        return true;
    size_t cap = c->cap ? c->cap * 2 : 65536;
    while (cap < c->len + need)
        cap *= 2;
    char *buf = realloc(c->buf, cap);
    if (buf == NULL) {
        c->failed = true;
        return false;
    }
    c->buf = buf;
    c->cap = cap;
    return true;
}

/* The separator before a column, with room for need more bytes after it. */
static bool s_copy_col(intake_copy_t *c, size_t need)
{
    if (!s_copy_room(c, need + 1))
        return false;
    if (c->row_started)
        c->buf[c->len++] = '\t';
    c->row_started = true;
    return true;
}

void intake_copy_str(intake_copy_t *c, const char *s)
{
    if (s == NULL) {
        if (s_copy_col(c, 2)) {
            memcpy(c->buf + c->len, "\\N", 2);
            c->len += 2;
        }
        return;
    }
    /* most text needs no escape: copied as it is */
    size_t plain = strcspn(s, "\\\t\n\r");
    if (s[plain] == '\0') {
        if (s_copy_col(c, plain)) {
            memcpy(c->buf + c->len, s, plain);
            c->len += plain;
        }
        return;
    }
    size_t n = strlen(s);
    if (!s_copy_col(c, 2 * n))
        return;
    char *o = c->buf + c->len;
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '\\':
            *o++ = '\\';
            *o++ = '\\';
            break;
        case '\t':
            *o++ = '\\';
            *o++ = 't';
            break;
        case '\n':
            *o++ = '\\';
            *o++ = 'n';
            break;
        case '\r':
            *o++ = '\\';
            *o++ = 'r';
            break;
        default:
            *o++ = *p;
        }
    }
    c->len = (size_t)(o - c->buf);
}

void intake_copy_int(intake_copy_t *c, int64_t v)
{
    if (s_copy_col(c, 24))
        c->len += (size_t)snprintf(c->buf + c->len, 24, "%lld", (long long)v);
}

void intake_copy_date(intake_copy_t *c, int32_t day)
{
    if (day == INTAKE_NO_DAY) {
        intake_copy_str(c, NULL);
        return;
    }
    /* as in intake_arr_date(): a refused day leaves the column empty, not a date */
    if (s_copy_col(c, 11) && hf_date_format(day, c->buf + c->len) == 0)
        c->len += 10;
}

void intake_copy_row_end(intake_copy_t *c)
{
    if (s_copy_room(c, 1))
        c->buf[c->len++] = '\n';
    c->row_started = false;
}

int intake_copy_send(hf_store_t *st, intake_copy_t *c, const char *sql)
{
    if (c->failed) {
        hf_error("copy_out_of_memory", "bytes=%zu", c->len);
        return -1;
    }
    return hf_store_copy_in(st, sql, c->buf ? c->buf : "", c->len) < 0 ? -1 : 0;
}

/* ---- events ---- */

/* The origin the events emitted now take (intake_emit_origin): correlation NULL for the
 * current event's or request's. */
static const char *s_origin_correlation;
static int64_t s_origin_at_ms;

void intake_emit_origin(const char *correlation, int64_t at_ms)
{
    s_origin_correlation = correlation;
    s_origin_at_ms = at_ms;
}

int intake_emit(hf_service_t *svc, hf_envelope_t *env)
{
    if (s_origin_correlation) {
        env->correlation_id = (char *)s_origin_correlation;
        env->occurred_at_ms = s_origin_at_ms;
    }
    return hf_service_emit(svc, env);
}

int intake_emit_updated(hf_service_t *svc, Huifang__V1__Customer *c, const char *change)
{
    Huifang__V1__CustomerUpdated ev = HUIFANG__V1__CUSTOMER_UPDATED__INIT;
    ev.customer = c;
    ev.change = (char *)change;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = c->branch;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_UPDATED;
    env.customer_updated = &ev;
    return intake_emit(svc, &env);
}

int intake_emit_card(hf_service_t *svc, const char *branch, int64_t id, const char *from,
                     const char *to, const char *reason)
{
    Huifang__V1__CardTypeChanged ev = HUIFANG__V1__CARD_TYPE_CHANGED__INIT;
    ev.customer_id = id;
    ev.from = (char *)from;
    ev.to = (char *)to;
    ev.reason = (char *)S(reason);
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.branch = (char *)branch;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CARD_TYPE_CHANGED;
    env.card_type_changed = &ev;
    return intake_emit(svc, &env);
}

int intake_emit_many(hf_service_t *svc, hf_envelope_t **envs, int n, const char *branch,
                     const char *correlation, hf_arena_t *a)
{
    (void)a;
    if (n <= 0)
        return 0;
    hf_store_t *st = hf_service_store(svc);
    if (n < 8) {
        /* a handful: the framework's own path */
        for (int i = 0; i < n; i++) {
            if (envs[i]->branch == NULL || *envs[i]->branch == '\0')
                envs[i]->branch = (char *)branch;
            if (hf_service_emit(svc, envs[i]) != 0)
                return -1;
        }
        return 0;
    }
    if (!hf_store_in_tx(st)) {
        hf_error("emit_outside_transaction", "events=%d", n);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (envs[i]->branch == NULL || *envs[i]->branch == '\0')
            envs[i]->branch = (char *)S(branch);
        if (envs[i]->correlation_id == NULL || *envs[i]->correlation_id == '\0')
            envs[i]->correlation_id = (char *)S(correlation);
    }
    /* one reservation of n sequence numbers and one COPY of the rows: the same gap-free,
     * in-order stream as n single appends */
    int64_t last = hf_outbox_copy_many(st, hf_service_name(svc), envs, n);
    if (last < 0)
        return -1;
    hf_service_emitted(svc, (uint64_t)last); /* the reply says where they are */
    return 0;
}
