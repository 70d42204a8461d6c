/* intake_lead: leads into the archive — one at a time (lead_add), a batch of a file
 * (lead_import), or from another service's event. All three go through the same set-based
 * recording, so a lead means the same thing however it arrives.
 *
 * Search before register: the normalised phone is the identity within a branch. The phone
 * row is claimed first (a UNIQUE row in customer_phone: a concurrent claimer of the same
 * phone is waited for until it commits), so concurrent adds of one phone make one customer,
 * on one instance or many. Rejected rows' keys are claimed in key order, phones in phone
 * order and known customers locked in id order, so two batches that share any of them wait
 * for each other in one order and cannot deadlock.
 *
 * An imported row is recorded once: a row whose phone the batch claims as new cannot have
 * been recorded before, and a row of a known phone is looked for, by its key, among the
 * lead sources of the phone's customer once that customer is locked. */
#include "hf_log.h"
#include "hf_phone.h"
#include "hf_time.h"
#include "intake_internal.h"
#include "intake_sql.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")

void intake_leads_check(const intake_branch_t *b, intake_row_t *rows, int n, hf_arena_t *a)
{
    intake_check_ctx_t ctx = {b->today, b->now_ms, b->regions, b->nregions};
    for (int i = 0; i < n; i++)
        rows[i].valid = intake_lead_check(rows[i].raw, &ctx, &rows[i].lead, &rows[i].err, a) == 0;
}

/* ---- sorting helpers (qsort has no context argument: the rows travel in the items) ---- */

typedef struct {
    const char *text; /* key or phone */
    int row;          /* index into rows */
} s_item_t;

static int s_item_cmp(const void *x, const void *y)
{
    const s_item_t *a = x, *b = y;
    int c = strcmp(a->text, b->text);
    return c ? c : (a->row > b->row) - (a->row < b->row);
}

/* A group of rows sharing one phone (new) or one customer (known). */
typedef struct {
    int leader; /* the first row, in file order */
    const char *phone;
    intake_lead_t combined; /* the leader's lead, empty fields filled from the others */
    int64_t customer_id;
    bool known; /* the phone belonged to a customer already */
    int live;   /* its rows still to record (not found recorded before) */
} s_group_t;

static int s_i64_cmp(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

static int s_group_by_customer(const void *x, const void *y)
{
    const s_group_t *a = x, *b = y;
    if (a->customer_id != b->customer_id)
        return a->customer_id < b->customer_id ? -1 : 1;
    return (a->leader > b->leader) - (a->leader < b->leader);
}

/* The events of a batch, collected and emitted together. */
typedef struct {
    hf_envelope_t **envs;
    int n;
} s_events_t;

static hf_envelope_t *s_event(s_events_t *ev, hf_arena_t *a)
{
    hf_envelope_t *env = hf_new(a, hf_envelope_t);
    huifang__v1__envelope__init(env);
    ev->envs[ev->n++] = env;
    return env;
}

/* A Customer for a customer this batch created, from its combined lead, without asking the
 * store for what we just wrote. */
static Huifang__V1__Customer *s_new_customer(const intake_branch_t *b, const s_group_t *g,
                                             hf_arena_t *a)
{
    const intake_lead_t *l = &g->combined;
    Huifang__V1__Customer *c = hf_new(a, Huifang__V1__Customer);
    huifang__v1__customer__init(c);
    char *dates = hf_arena_alloc(a, 4 * 11);
    char *birth = dates, *ref = dates + 11, *baby = dates + 22, *due = dates + 33;
    if (l->birth != INTAKE_NO_DAY)
        hf_date_format(l->birth, birth);
    if (l->ref_date != INTAKE_NO_DAY)
        hf_date_format(l->ref_date, ref);
    if (l->baby_birth != INTAKE_NO_DAY)
        hf_date_format(l->baby_birth, baby);
    if (l->due_date != INTAKE_NO_DAY)
        hf_date_format(l->due_date, due);
    c->id = g->customer_id;
    c->branch = hf_arena_strdup(a, b->code); /* b lives on the handler's stack */
    c->name = (char *)l->name;
    c->phone = (char *)g->phone;
    c->gender = (char *)l->gender;
    c->birth = birth;
    c->ref_date = ref;
    c->region = (char *)l->region;
    c->address = (char *)l->address;
    c->card_type = "new";
    c->void_reason = "";
    c->dnd_until = "";
    c->created_at_ms = b->now_ms;
    c->phones = hf_new_array(a, char *, 1);
    c->phones[c->n_phones++] = (char *)g->phone;
    Huifang__V1__PhoneEntry *e = hf_new(a, Huifang__V1__PhoneEntry);
    huifang__v1__phone_entry__init(e);
    e->phone = (char *)g->phone;
    e->relation = "self";
    c->phone_entries = hf_new_array(a, Huifang__V1__PhoneEntry *, 1);
    c->phone_entries[c->n_phone_entries++] = e;
    c->windows = (char *)l->windows;
    c->tier = (char *)intake_tier_of(b->tiers, b->ntiers, 0, 0);
    c->age = l->age;
    c->route = (char *)l->route;
    c->condition = (char *)l->condition;
    c->baby_name = (char *)l->baby_name;
    c->baby_sex = (char *)l->baby_sex;
    c->baby_birth = baby;
    c->due_date = due;
    c->current_brand = (char *)l->current_brand;
    c->feeding = (char *)l->feeding;
    c->employer = (char *)l->employer;
    c->hobbies = (char *)l->hobbies;
    c->health = (char *)l->health;
    c->language = (char *)l->language;
    c->opt_out_reason = "";
    c->dnd_reason = "";
    intake_customer_stage(c, b, a);
    return c;
}

/* The field arrays of a lead, in the column order both statements below use. */
typedef struct {
    intake_arr_t gender, birth, ref_date, region, address, age, route, condition, baby_name,
        baby_sex, baby_birth, due_date, current_brand, feeding, employer, hobbies, health, windows;
} s_fields_t;

static void s_fields_init(s_fields_t *f, hf_arena_t *a)
{
    intake_arr_t *all[] = {
        &f->gender,        &f->birth,     &f->ref_date,  &f->region,   &f->address,    &f->age,
        &f->route,         &f->condition, &f->baby_name, &f->baby_sex, &f->baby_birth, &f->due_date,
        &f->current_brand, &f->feeding,   &f->employer,  &f->hobbies,  &f->health,     &f->windows};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        intake_arr_init(all[i], a);
}

static void s_fields_add(s_fields_t *f, const intake_lead_t *l)
{
    intake_arr_str(&f->gender, l->gender);
    intake_arr_date(&f->birth, l->birth);
    intake_arr_date(&f->ref_date, l->ref_date);
    intake_arr_str(&f->region, l->region);
    intake_arr_str(&f->address, l->address);
    if (l->age > 0)
        intake_arr_int(&f->age, l->age);
    else
        intake_arr_str(&f->age, NULL);
    intake_arr_str(&f->route, l->route);
    intake_arr_str(&f->condition, l->condition);
    intake_arr_str(&f->baby_name, l->baby_name);
    intake_arr_str(&f->baby_sex, l->baby_sex);
    intake_arr_date(&f->baby_birth, l->baby_birth);
    intake_arr_date(&f->due_date, l->due_date);
    intake_arr_str(&f->current_brand, l->current_brand);
    intake_arr_str(&f->feeding, l->feeding);
    intake_arr_str(&f->employer, l->employer);
    intake_arr_str(&f->hobbies, l->hobbies);
    intake_arr_str(&f->health, l->health);
    intake_arr_str(&f->windows, l->windows);
}

/* Puts the 18 field arrays into params from index at. */
static void s_fields_params(s_fields_t *f, const char **params, int at)
{
    intake_arr_t *all[] = {
        &f->gender,        &f->birth,     &f->ref_date,  &f->region,   &f->address,    &f->age,
        &f->route,         &f->condition, &f->baby_name, &f->baby_sex, &f->baby_birth, &f->due_date,
        &f->current_brand, &f->feeding,   &f->employer,  &f->hobbies,  &f->health,     &f->windows};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        params[at + (int)i] = intake_arr_end(all[i]);
}

/* the 18 field columns, in the order of s_fields_t */
#define FIELDS_NAMES                                                                               \
    "gender, birth, ref_date, region, address, age, route, condition, baby_name, baby_sex,"        \
    " baby_birth, due_date, current_brand, feeding, employer, hobbies, health, windows"

/* A new customer's row for COPY: the columns of s_copy_customers. */
static void s_copy_customer(intake_copy_t *c, const intake_branch_t *b, const char *tier,
                            const s_group_t *g)
{
    const intake_lead_t *l = &g->combined;
    intake_copy_int(c, g->customer_id);
    intake_copy_str(c, b->code);
    intake_copy_str(c, l->name);
    intake_copy_str(c, g->phone);
    intake_copy_str(c, tier);
    intake_copy_int(c, b->now_ms);
    intake_copy_str(c, l->gender);
    intake_copy_date(c, l->birth);
    intake_copy_date(c, l->ref_date);
    intake_copy_str(c, l->region);
    intake_copy_str(c, l->address);
    if (l->age > 0)
        intake_copy_int(c, l->age);
    else
        intake_copy_str(c, NULL);
    intake_copy_str(c, l->route);
    intake_copy_str(c, l->condition);
    intake_copy_str(c, l->baby_name);
    intake_copy_str(c, l->baby_sex);
    intake_copy_date(c, l->baby_birth);
    intake_copy_date(c, l->due_date);
    intake_copy_str(c, l->current_brand);
    intake_copy_str(c, l->feeding);
    intake_copy_str(c, l->employer);
    intake_copy_str(c, l->hobbies);
    intake_copy_str(c, l->health);
    intake_copy_str(c, l->windows);
    intake_copy_row_end(c);
}

/* New customers and lead sources go in with COPY: for a batch of thousands of rows Postgres
 * spends about half of what INSERT ... SELECT FROM unnest(two dozen arrays) costs it. */
static const char s_copy_customers[] =
    "COPY customer (id, branch, name, phone, tier, created_at_ms, " FIELDS_NAMES ") FROM STDIN";
static const char s_copy_sources[] =
    "COPY lead_source (customer_id, channel, collector, source, note, collected_at_ms, merged,"
    " referrer, referrer_customer_id, origin, row_key) FROM STDIN";

/* The known customers' update ($1 ids, $2.. fields), of those it changes: a lead that only
 * repeats what is known (most of a re-export) writes nothing. */
/* new non-empty fields fill empty ones; nothing known is overwritten */
static const char s_update_customers[] =
    "UPDATE customer c SET"
    " gender = CASE WHEN c.gender = '' THEN f.gender ELSE c.gender END,"
    " birth = coalesce(c.birth, f.birth), ref_date = coalesce(c.ref_date, f.ref_date),"
    " region = CASE WHEN c.region = '' THEN f.region ELSE c.region END,"
    " address = CASE WHEN c.address = '' THEN f.address ELSE c.address END,"
    " age = coalesce(c.age, f.age),"
    " route = CASE WHEN c.route = '' THEN f.route ELSE c.route END,"
    " condition = CASE WHEN c.condition = '' THEN f.condition ELSE c.condition END,"
    " baby_name = CASE WHEN c.baby_name = '' THEN f.baby_name ELSE c.baby_name END,"
    " baby_sex = CASE WHEN c.baby_sex = '' THEN f.baby_sex ELSE c.baby_sex END,"
    " baby_birth = coalesce(c.baby_birth, f.baby_birth), due_date = coalesce(c.due_date, "
    "f.due_date),"
    " current_brand = CASE WHEN c.current_brand = '' THEN f.current_brand ELSE c.current_brand END,"
    " feeding = CASE WHEN c.feeding = '' THEN f.feeding ELSE c.feeding END,"
    " employer = CASE WHEN c.employer = '' THEN f.employer ELSE c.employer END,"
    " hobbies = CASE WHEN c.hobbies = '' THEN f.hobbies ELSE c.hobbies END,"
    " health = CASE WHEN c.health = '' THEN f.health ELSE c.health END,"
    " windows = CASE WHEN c.windows = '' THEN f.windows ELSE c.windows END"
    " FROM unnest($1::bigint[], $2::text[], $3::date[], $4::date[], $5::text[], $6::text[],"
    "   $7::int[], $8::text[], $9::text[], $10::text[], $11::text[], $12::date[], $13::date[],"
    "   $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[])"
    "   AS f(id, " FIELDS_NAMES ")"
    " WHERE c.id = f.id AND (c.gender = '' AND f.gender <> ''"
    "   OR c.birth IS NULL AND f.birth IS NOT NULL OR c.ref_date IS NULL AND f.ref_date IS NOT NULL"
    "   OR c.region = '' AND f.region <> '' OR c.address = '' AND f.address <> ''"
    "   OR c.age IS NULL AND f.age IS NOT NULL OR c.route = '' AND f.route <> ''"
    "   OR c.condition = '' AND f.condition <> '' OR c.baby_name = '' AND f.baby_name <> ''"
    "   OR c.baby_sex = '' AND f.baby_sex <> ''"
    "   OR c.baby_birth IS NULL AND f.baby_birth IS NOT NULL"
    "   OR c.due_date IS NULL AND f.due_date IS NOT NULL"
    "   OR c.current_brand = '' AND f.current_brand <> '' OR c.feeding = '' AND f.feeding <> ''"
    "   OR c.employer = '' AND f.employer <> '' OR c.hobbies = '' AND f.hobbies <> ''"
    "   OR c.health = '' AND f.health <> '' OR c.windows = '' AND f.windows <> '')";

/* ---- claiming phones ----
 *
 * The phone row is the customer's identity: claiming it (a row in customer_phone, UNIQUE per
 * branch) decides whether a lead makes a new customer. Two ways, the same outcome: */

/* The groups' phones as one array parameter, in the groups' (phone) order. */
static const char *s_phones_array(const s_group_t *groups, int ngroups, hf_arena_t *a)
{
    intake_arr_t phones;
    intake_arr_init(&phones, a);
    for (int g = 0; g < ngroups; g++)
        intake_arr_str(&phones, groups[g].phone);
    return intake_arr_end(&phones);
}

/* The fast way, for a batch whose phones nobody else is claiming at the moment (the usual
 * case): one statement finds the owners of the known phones and draws ids for the others,
 * which go in with one COPY under a savepoint. A concurrent batch that claimed one of them
 * first makes the COPY wait for it and then fail (a unique violation): back to the
 * savepoint, and 1 to say "claim them the waiting way". 0 when claimed (groups' known and
 * customer_id set), -1 on a store error. */
static int s_claim_phones_copy(hf_store_t *st, const intake_branch_t *b, s_group_t *groups,
                               int ngroups, hf_arena_t *a)
{
    const char *p[] = {b->code, s_phones_array(groups, ngroups, a)};
    /* a scalar subquery per phone, not a join: during an import the statistics lag behind
     * the table, and a planner that believes it small hashes all of it (OFFSET 0 keeps the
     * subquery from being evaluated twice) */
    PGresult *res = hf_store_query(st, &INTAKE_Q_CLAIM_PHONES_COPY_CUSTOMER_PHONE, 2, p);
    if (res == NULL)
        return -1;
    int nnew = 0;
    for (int r = 0; r < PQntuples(res); r++) {
        int64_t g = hf_pg_int(res, r, 0) - 1;
        if (g < 0 || g >= ngroups)
            continue;
        groups[g].known = !PQgetisnull(res, r, 1);
        groups[g].customer_id = hf_pg_int(res, r, groups[g].known ? 1 : 2);
        nnew += !groups[g].known;
    }
    PQclear(res);
    if (nnew == 0)
        return 0;
    /* in phone order, as the waiting way claims them: two batches wait for each other in
     * one order and cannot deadlock */
    intake_copy_t cp;
    intake_copy_init(&cp);
    for (int g = 0; g < ngroups; g++) {
        if (groups[g].known)
            continue;
        intake_copy_str(&cp, b->code);
        intake_copy_str(&cp, groups[g].phone);
        intake_copy_int(&cp, groups[g].customer_id);
        intake_copy_row_end(&cp);
    }
    int rc = -1;
    if (hf_store_query_run(st, &INTAKE_Q_PHONE_CLAIM_SAVEPOINT, 0, NULL) != 0)
        goto cleanup;
    if (intake_copy_send(st, &cp, "COPY customer_phone (branch, phone, customer_id) FROM STDIN") ==
        0) {
        rc = 0;
        goto cleanup;
    }
    if (strcmp(hf_store_sqlstate(st), "23505") != 0)
        goto cleanup;
    hf_info("lead_phone_claimed_meanwhile", "phones=%d", nnew);
    if (hf_store_query_run(st, &INTAKE_Q_PHONE_CLAIM_ROLLBACK, 0, NULL) == 0)
        rc = 1;
cleanup:
    intake_copy_release(&cp);
    return rc;
}

/* The waiting way: INSERT ... ON CONFLICT DO NOTHING waits for a concurrent claimer of the
 * same phone until it commits or rolls back, then skips the phone or takes it; the owners
 * of the phones it skipped are read afterwards (committed by then). 0 or -1. */
static int s_claim_phones_waiting(hf_store_t *st, const intake_branch_t *b, s_group_t *groups,
                                  int ngroups, hf_arena_t *a)
{
    const char *p[] = {b->code, s_phones_array(groups, ngroups, a)};
    PGresult *res = hf_store_query(st, &INTAKE_Q_CLAIM_PHONES_WAITING_CUSTOMER_PHONE_INSERT, 2, p);
    if (res == NULL)
        return -1;
    for (int g = 0; g < ngroups; g++) {
        groups[g].known = true;
        groups[g].customer_id = 0;
    }
    /* the groups are in phone order: each claimed phone is found by bisection */
    for (int r = 0; r < PQntuples(res); r++) {
        const char *phone = hf_pg_str(res, r, 0);
        int lo = 0, hi = ngroups - 1, g = -1;
        while (lo <= hi && g < 0) {
            int mid = (lo + hi) / 2, c = strcmp(groups[mid].phone, phone);
            if (c == 0)
                g = mid;
            else if (c < 0)
                lo = mid + 1;
            else
                hi = mid - 1;
        }
        if (g < 0) {
            hf_error("lead_phone_unmatched", "phone=%s", phone);
            PQclear(res);
            return -1;
        }
        groups[g].known = false;
        groups[g].customer_id = hf_pg_int(res, r, 1);
    }
    PQclear(res);

    intake_arr_t known;
    intake_arr_init(&known, a);
    int *known_group = hf_new_array(a, int, ngroups + 1);
    int nknown = 0;
    for (int g = 0; g < ngroups; g++)
        if (groups[g].known) {
            intake_arr_str(&known, groups[g].phone);
            known_group[nknown++] = g;
        }
    if (nknown == 0)
        return 0;
    const char *pk[] = {b->code, intake_arr_end(&known)};
    res = hf_store_query(st, &INTAKE_Q_CLAIM_PHONES_WAITING_CUSTOMER_PHONE, 2, pk);
    if (res == NULL)
        return -1;
    for (int r = 0; r < PQntuples(res); r++) {
        int64_t k = hf_pg_int(res, r, 0) - 1;
        if (k >= 0 && k < nknown)
            groups[known_group[k]].customer_id = hf_pg_int(res, r, 1);
    }
    PQclear(res);
    for (int k = 0; k < nknown; k++)
        if (groups[known_group[k]].customer_id == 0) {
            /* claimed by a transaction that then rolled back: retry the batch */
            hf_warn("lead_phone_vanished", "phone=%s", groups[known_group[k]].phone);
            return -1;
        }
    return 0;
}

/* The row among rows[idx[0..n)] (sorted by key) whose key is key, as an index into idx;
 * -1 when there is none. */
static int s_find_key(const intake_row_t *rows, const int *idx, int n, const char *key)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = strcmp(rows[idx[mid]].key, key);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* ---- recording a batch, step by step ----
 *
 * intake_leads_record() runs the numbered steps below in order; each reads what the ones
 * before it left in the batch. A step returns 0, or -1 when the batch is to be given up
 * (a store error, or a race that a retry of the batch resolves). */

typedef struct {
    hf_store_t *st;
    const intake_branch_t *b;
    intake_row_t *rows;
    int n;
    bool keyed;
    hf_arena_t *a;
    s_events_t ev;
    s_item_t *items; /* from step 3: the valid new rows, in phone order */
    int nitems;
    s_group_t *groups; /* from step 3: one per phone, in phone order */
    int ngroups;
    int *group_of;    /* a row's group */
    int *known_group; /* from step 4: the groups whose phone was known */
    int nknown;
    Huifang__V1__Customer **known_customers; /* from step 5: the known customers, locked */
    int nloaded;
    intake_copy_t cp; /* rows for COPY, one table at a time */
} s_batch_t;

/* 1. the import keys. A repeat of a row within the batch is a duplicate. A rejected row
 * claims its key in import_row, so that only the first run tells the others (LeadRejected);
 * a recorded row keeps its key on its lead source instead, and is found there (step 6) when
 * its phone is known. */
static int s_claim_import_keys(s_batch_t *bt)
{
    intake_row_t *rows = bt->rows;
    hf_arena_t *a = bt->a;
    s_item_t *items = bt->items;
    int nitems = 0;
    for (int i = 0; i < bt->n; i++) {
        intake_row_key(bt->b->code, rows[i].raw, rows[i].key);
        items[nitems++] = (s_item_t){rows[i].key, i};
    }
    qsort(items, (size_t)nitems, sizeof *items, s_item_cmp);
    intake_arr_t keys;
    intake_arr_init(&keys, a);
    int *first = hf_new_array(a, int, nitems + 1);
    int nfirst = 0;
    for (int k = 0; k < nitems; k++) {
        intake_row_t *r = &rows[items[k].row];
        if (k > 0 && strcmp(items[k].text, items[k - 1].text) == 0) {
            r->duplicate = true;
            continue;
        }
        if (r->valid)
            continue;
        r->duplicate = true; /* until the store says the key is new */
        first[nfirst++] = items[k].row;
        intake_arr_str(&keys, items[k].text);
    }
    if (nfirst == 0)
        return 0;
    char now[24];
    const char *p[] = {hf_pg_i64(now, bt->b->now_ms), intake_arr_end(&keys)};
    /* the keys were sent in sorted order: each claimed one is found by bisection */
    PGresult *res = hf_store_query(bt->st, &INTAKE_Q_CLAIM_IMPORT_KEYS, 2, p);
    if (res == NULL)
        return -1;
    int rc = 0;
    for (int r = 0; r < PQntuples(res) && rc == 0; r++) {
        int at = s_find_key(rows, first, nfirst, hf_pg_str(res, r, 0));
        if (at < 0) {
            hf_error("import_key_unmatched", "key=%s", hf_pg_str(res, r, 0));
            rc = -1;
        } else {
            rows[first[at]].duplicate = false;
        }
    }
    PQclear(res);
    return rc;
}

/* 2. rejected rows: an event each, so that the collection report sees them */
static void s_reject_rows(s_batch_t *bt)
{
    hf_arena_t *a = bt->a;
    for (int i = 0; i < bt->n; i++) {
        intake_row_t *r = &bt->rows[i];
        if (r->valid || r->duplicate)
            continue;
        Huifang__V1__LeadRejected *rj = hf_new(a, Huifang__V1__LeadRejected);
        huifang__v1__lead_rejected__init(rj);
        rj->field = (char *)S(r->err.field);
        rj->reason = hf_arena_strdup(a, r->err.reason);
        rj->channel = (char *)S(r->raw->channel);
        rj->collector = (char *)S(r->raw->collector);
        rj->source = (char *)S(r->raw->source);
        rj->line = r->line;
        rj->origin = (char *)(bt->keyed ? "lead_import" : r->origin ? r->origin : "lead_add");
        hf_envelope_t *env = s_event(&bt->ev, a);
        env->payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_REJECTED;
        env->lead_rejected = rj;
    }
}

/* 3. group the valid rows by phone, in phone order */
static void s_group_by_phone(s_batch_t *bt)
{
    intake_row_t *rows = bt->rows;
    s_item_t *items = bt->items;
    int nitems = 0;
    for (int i = 0; i < bt->n; i++)
        if (rows[i].valid && !rows[i].duplicate)
            items[nitems++] = (s_item_t){rows[i].lead.phone, i};
    qsort(items, (size_t)nitems, sizeof *items, s_item_cmp);
    s_group_t *groups = hf_new_array(bt->a, s_group_t, nitems + 1);
    int *group_of = hf_new_array(bt->a, int, bt->n + 1);
    int ngroups = 0;
    for (int k = 0; k < nitems; k++) {
        intake_row_t *r = &rows[items[k].row];
        if (k == 0 || strcmp(items[k].text, items[k - 1].text) != 0) {
            s_group_t *g = &groups[ngroups++];
            g->leader = items[k].row;
            g->phone = r->lead.phone;
            g->combined = r->lead;
            g->live = 1;
        } else {
            intake_lead_fill(&groups[ngroups - 1].combined, &r->lead);
            groups[ngroups - 1].live++;
        }
        group_of[items[k].row] = ngroups - 1;
    }
    bt->nitems = nitems;
    bt->groups = groups;
    bt->ngroups = ngroups;
    bt->group_of = group_of;
}

/* 4. claim the phones: the claimed ones are new customers, the others known */
static int s_claim_phones(s_batch_t *bt)
{
    int claim = s_claim_phones_copy(bt->st, bt->b, bt->groups, bt->ngroups, bt->a);
    if (claim < 0 ||
        (claim == 1 && s_claim_phones_waiting(bt->st, bt->b, bt->groups, bt->ngroups, bt->a) != 0))
        return -1;
    bt->known_group = hf_new_array(bt->a, int, bt->ngroups + 1);
    bt->nknown = 0;
    for (int g = 0; g < bt->ngroups; g++)
        if (bt->groups[g].known)
            bt->known_group[bt->nknown++] = g;
    return 0;
}

/* 5. lock the known customers in id order (two batches that touch the same customers wait
 * for each other instead of deadlocking): a concurrent batch with the same rows has committed
 * by now, and no merge can move the customer's sources away while it is locked. A customer
 * merged away since its phone was read took the phone along: the batch is tried again. */
static int s_lock_known_customers(s_batch_t *bt)
{
    hf_arena_t *a = bt->a;
    if (bt->nknown == 0)
        return 0;
    int64_t *lock_ids = hf_new_array(a, int64_t, bt->nknown + 1);
    int nlock = 0;
    for (int k = 0; k < bt->nknown; k++)
        lock_ids[nlock++] = bt->groups[bt->known_group[k]].customer_id;
    qsort(lock_ids, (size_t)nlock, sizeof *lock_ids, s_i64_cmp);
    intake_arr_t lock;
    intake_arr_init(&lock, a);
    int ndistinct = 0;
    for (int k = 0; k < nlock; k++)
        if (k == 0 || lock_ids[k] != lock_ids[k - 1]) {
            intake_arr_int(&lock, lock_ids[k]);
            ndistinct++;
        }
    const char *pl[] = {intake_arr_end(&lock)};
    /* on hf_store_exec, not a named query (intake_sql.h): INTAKE_CUSTOMER_COLUMNS is an array
     * beside the row reader (intake_util.c), not a literal, so the text is joined here */
    const char *sql = hf_arena_printf(a,
                                      "SELECT %s FROM customer c WHERE c.id = ANY($1::bigint[])"
                                      " AND c.merged_into IS NULL ORDER BY c.id FOR UPDATE OF c",
                                      INTAKE_CUSTOMER_COLUMNS);
    PGresult *res = hf_store_exec(bt->st, sql, 1, pl);
    if (res == NULL)
        return -1;
    bt->nloaded = PQntuples(res);
    bt->known_customers = hf_new_array(a, Huifang__V1__Customer *, bt->nloaded + 1);
    for (int r = 0; r < bt->nloaded; r++)
        bt->known_customers[r] = intake_customer_from_row(res, r, bt->b, a);
    PQclear(res);
    if (bt->nloaded != ndistinct) {
        hf_warn("lead_customer_merged_meanwhile", "customers=%d locked=%d", ndistinct, bt->nloaded);
        return -1;
    }
    return 0;
}

/* 6. find which of the known customers' rows were recorded before (their keys on the
 * customers' lead sources); those are duplicates, and each known phone's combined lead is
 * what its remaining rows say, in file order */
static int s_find_recorded_rows(s_batch_t *bt)
{
    intake_row_t *rows = bt->rows;
    hf_arena_t *a = bt->a;
    if (!bt->keyed || bt->nknown == 0)
        return 0;
    intake_arr_t kc, kk;
    intake_arr_init(&kc, a);
    intake_arr_init(&kk, a);
    int *krow = hf_new_array(a, int, bt->nitems + 1);
    int nk = 0;
    for (int k = 0; k < bt->nitems; k++) {
        int row = bt->items[k].row;
        if (!bt->groups[bt->group_of[row]].known)
            continue;
        intake_arr_int(&kc, bt->groups[bt->group_of[row]].customer_id);
        intake_arr_str(&kk, rows[row].key);
        krow[nk++] = row;
    }
    /* keys from before migration 003 are in import_row (rejected IS NULL). Scalar subqueries,
     * not EXISTS: under an OR the planner may hash an EXISTS, which reads the whole of
     * lead_source instead of probing its key per row. */
    const char *pd[] = {intake_arr_end(&kc), intake_arr_end(&kk)};
    PGresult *res = hf_store_query(bt->st, &INTAKE_Q_FIND_RECORDED_ROWS, 2, pd);
    if (res == NULL)
        return -1;
    int ndup = PQntuples(res);
    for (int r = 0; r < ndup; r++) {
        int64_t i = hf_pg_int(res, r, 0) - 1;
        if (i >= 0 && i < nk)
            rows[krow[i]].duplicate = true;
    }
    PQclear(res);
    if (ndup == 0)
        return 0;
    for (int k = 0; k < bt->nknown; k++)
        bt->groups[bt->known_group[k]].live = 0;
    for (int k = 0; k < bt->nitems; k++) {
        int row = bt->items[k].row;
        s_group_t *g = &bt->groups[bt->group_of[row]];
        if (!g->known || rows[row].duplicate)
            continue;
        if (g->live++ == 0) {
            g->leader = row;
            g->combined = rows[row].lead;
        } else {
            intake_lead_fill(&g->combined, &rows[row].lead);
        }
    }
    return 0;
}

/* 7. new customers, with what every row of their phone said */
static int s_insert_new_customers(s_batch_t *bt)
{
    const char *tier = intake_tier_of(bt->b->tiers, bt->b->ntiers, 0, 0);
    bt->cp.len = 0;
    int nnew = 0;
    for (int g = 0; g < bt->ngroups; g++) {
        if (bt->groups[g].known)
            continue;
        s_copy_customer(&bt->cp, bt->b, tier, &bt->groups[g]);
        nnew++;
    }
    if (nnew > 0 && intake_copy_send(bt->st, &bt->cp, s_copy_customers) != 0)
        return -1;
    return 0;
}

/* 8. known customers: one update each (two phones of one customer combine) of those the
 * leads change, returned as updated; the changed ones replace what step 5's lock read */
static int s_update_known_customers(s_batch_t *bt)
{
    hf_arena_t *a = bt->a;
    int nknown_groups = 0;
    s_group_t *kg = hf_new_array(a, s_group_t, bt->ngroups + 1);
    for (int g = 0; g < bt->ngroups; g++)
        if (bt->groups[g].known && bt->groups[g].live > 0)
            kg[nknown_groups++] = bt->groups[g];
    qsort(kg, (size_t)nknown_groups, sizeof *kg, s_group_by_customer);
    intake_arr_t kids;
    s_fields_t kf;
    intake_arr_init(&kids, a);
    s_fields_init(&kf, a);
    int nk = 0;
    for (int g = 0; g < nknown_groups; g++) {
        if (g + 1 < nknown_groups && kg[g + 1].customer_id == kg[g].customer_id) {
            intake_lead_fill(&kg[g].combined, &kg[g + 1].combined);
            kg[g + 1].combined = kg[g].combined;
            continue;
        }
        intake_arr_int(&kids, kg[g].customer_id);
        s_fields_add(&kf, &kg[g].combined);
        nk++;
    }
    if (nk == 0)
        return 0;
    const char *pu[19] = {intake_arr_end(&kids)};
    s_fields_params(&kf, pu, 1);
    /* on hf_store_exec, not a named query (intake_sql.h): INTAKE_CUSTOMER_COLUMNS is an array
     * beside the row reader (intake_util.c), not a literal, so the text is joined here */
    const char *sql =
        hf_arena_printf(a, "%s RETURNING %s", s_update_customers, INTAKE_CUSTOMER_COLUMNS);
    PGresult *res = hf_store_exec(bt->st, sql, 19, pu);
    if (res == NULL)
        return -1;
    for (int r = 0; r < PQntuples(res); r++) {
        int64_t id = hf_pg_int(res, r, 0);
        for (int k = 0; k < bt->nloaded; k++)
            if (bt->known_customers[k]->id == id)
                bt->known_customers[k] = intake_customer_from_row(res, r, bt->b, a);
    }
    PQclear(res);
    return 0;
}

/* 8b. member care: a lead's language (BCP 47) fills a customer's empty one; the known
 * customers' messages follow (the new ones are built from the lead) */
static int s_set_languages(s_batch_t *bt)
{
    for (int g = 0; g < bt->ngroups; g++) {
        const s_group_t *gr = &bt->groups[g];
        if (gr->live == 0 || S(gr->combined.language)[0] == '\0')
            continue;
        char id[24];
        const char *p[] = {hf_pg_i64(id, gr->customer_id), gr->combined.language};
        PGresult *res = hf_store_exec(bt->st,
                                      "UPDATE customer SET language = $2 WHERE id = $1::bigint"
                                      " AND language = '' RETURNING id",
                                      2, p);
        if (res == NULL)
            return -1;
        bool set = PQntuples(res) > 0;
        PQclear(res);
        for (int k = 0; set && gr->known && k < bt->nloaded; k++)
            if (bt->known_customers[k]->id == gr->customer_id)
                bt->known_customers[k]->language = (char *)gr->combined.language;
    }
    return 0;
}

/* 9. the customers for the events: built for the new, returned for the known */
static int s_attach_customers(s_batch_t *bt)
{
    s_group_t *groups = bt->groups;
    Huifang__V1__Customer **group_customer =
        hf_new_array(bt->a, Huifang__V1__Customer *, bt->ngroups + 1);
    for (int g = 0; g < bt->ngroups; g++) {
        if (groups[g].live == 0)
            continue;
        if (!groups[g].known) {
            group_customer[g] = s_new_customer(bt->b, &groups[g], bt->a);
            continue;
        }
        for (int r = 0; r < bt->nloaded && group_customer[g] == NULL; r++)
            if (bt->known_customers[r]->id == groups[g].customer_id)
                group_customer[g] = bt->known_customers[r];
        if (group_customer[g] == NULL) {
            hf_error("lead_customer_missing", "customer=%lld", (long long)groups[g].customer_id);
            return -1;
        }
    }
    for (int k = 0; k < bt->nitems; k++) {
        int row = bt->items[k].row, g = bt->group_of[row];
        intake_row_t *r = &bt->rows[row];
        if (r->duplicate)
            continue;
        r->customer_id = groups[g].customer_id;
        r->customer = group_customer[g];
        r->merged = groups[g].known || row != groups[g].leader;
    }
    return 0;
}

/* 10. the channel history: one source per recorded row, with its key */
static int s_insert_lead_sources(s_batch_t *bt)
{
    intake_copy_t *cp = &bt->cp;
    cp->len = 0;
    int nsources = 0;
    for (int i = 0; i < bt->n; i++) {
        intake_row_t *r = &bt->rows[i];
        if (!r->valid || r->duplicate)
            continue;
        intake_copy_int(cp, r->customer_id);
        intake_copy_str(cp, r->lead.channel);
        intake_copy_str(cp, r->lead.collector);
        intake_copy_str(cp, r->lead.source);
        intake_copy_str(cp, r->lead.note);
        intake_copy_int(cp, r->lead.collected_at_ms);
        intake_copy_str(cp, r->merged ? "t" : "f");
        intake_copy_str(cp, r->lead.referrer);
        if (r->lead.referrer_customer_id > 0)
            intake_copy_int(cp, r->lead.referrer_customer_id);
        else
            intake_copy_str(cp, NULL);
        intake_copy_str(cp, r->origin);
        intake_copy_str(cp, bt->keyed ? r->key : NULL);
        intake_copy_row_end(cp);
        nsources++;
    }
    if (nsources > 0 && intake_copy_send(bt->st, cp, s_copy_sources) != 0)
        return -1;
    return 0;
}

/* 11. one event per recorded row, in the rows' order, with the conversion plan it starts:
 * the one named, else the branch's for its channel. Not for a customer who has bought (a
 * purchase's plan follows them), and once per phone in a batch (the first row: two forms of
 * one person in a file are one lead to call) */
static void s_announce_recorded_rows(s_batch_t *bt)
{
    hf_arena_t *a = bt->a;
    for (int i = 0; i < bt->n; i++) {
        intake_row_t *r = &bt->rows[i];
        if (!r->valid || r->duplicate)
            continue;
        char *plan = "";
        if (i == bt->groups[bt->group_of[i]].leader &&
            (r->customer == NULL || r->customer->purchases == 0)) {
            if (r->plan == NULL)
                plan = (char *)intake_lead_plan_of(bt->b->lead_plans, r->lead.channel,
                                                   hf_arena_alloc(a, 32));
            else if (strcmp(r->plan, "none") != 0)
                plan = (char *)r->plan;
        }
        hf_envelope_t *env = s_event(&bt->ev, a);
        /* LeadRegistered and LeadMerged carry the same fields */
#define S_LEAD_EVENT(e)                                                                            \
    do {                                                                                           \
        (e)->customer = r->customer;                                                               \
        (e)->channel = (char *)r->lead.channel;                                                    \
        (e)->collector = (char *)r->lead.collector;                                                \
        (e)->source = (char *)r->lead.source;                                                      \
        (e)->plan = plan;                                                                          \
        (e)->collected_at_ms = r->lead.collected_at_ms;                                            \
        (e)->referrer = (char *)r->lead.referrer;                                                  \
        (e)->line = r->line;                                                                       \
    } while (0)
        if (!r->merged) {
            Huifang__V1__LeadRegistered *e = hf_new(a, Huifang__V1__LeadRegistered);
            huifang__v1__lead_registered__init(e);
            S_LEAD_EVENT(e);
            env->payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_REGISTERED;
            env->lead_registered = e;
        } else {
            Huifang__V1__LeadMerged *e = hf_new(a, Huifang__V1__LeadMerged);
            huifang__v1__lead_merged__init(e);
            S_LEAD_EVENT(e);
            env->payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_LEAD_MERGED;
            env->lead_merged = e;
        }
#undef S_LEAD_EVENT
    }
}

int intake_leads_record(hf_service_t *svc, const intake_branch_t *b, intake_row_t *rows, int n,
                        bool keyed, const char *correlation, hf_arena_t *a)
{
    s_batch_t bt = {
        .st = hf_service_store(svc), .b = b, .rows = rows, .n = n, .keyed = keyed, .a = a};
    intake_copy_init(&bt.cp);
    intake_arr_release_all(); /* no literal of an earlier batch is in use */
    bt.ev = (s_events_t){hf_new_array(a, hf_envelope_t *, n + 1), 0};
    bt.items = hf_new_array(a, s_item_t, n + 1);
    int rc = HF_UNAVAILABLE;

    if (keyed && s_claim_import_keys(&bt) != 0) /* 1 */
        goto cleanup;
    s_reject_rows(&bt);    /* 2 */
    s_group_by_phone(&bt); /* 3 */
    if (bt.ngroups > 0) {
        if (s_claim_phones(&bt) != 0 ||           /* 4 */
            s_lock_known_customers(&bt) != 0 ||   /* 5 */
            s_find_recorded_rows(&bt) != 0 ||     /* 6 */
            s_insert_new_customers(&bt) != 0 ||   /* 7 */
            s_update_known_customers(&bt) != 0 || /* 8 */
            s_set_languages(&bt) != 0 ||          /* 8b */
            s_attach_customers(&bt) != 0 ||       /* 9 */
            s_insert_lead_sources(&bt) != 0)      /* 10 */
            goto cleanup;
        s_announce_recorded_rows(&bt); /* 11 */
    }
    if (intake_emit_many(svc, bt.ev.envs, bt.ev.n, b->code, correlation, a) != 0)
        goto cleanup;
    rc = HF_OK;
cleanup:
    intake_copy_release(&bt.cp);
    return rc;
}

/* ---- lead_add ---- */

/* The plan a command names for its leads (--plan): NULL for none named (the branch's per
 * channel), "none", or a template the scheduler knows, asked once per request. HF_OK with
 * *plan, or BAD_INPUT naming the plan, or UNAVAILABLE. */
static int s_named_plan(hf_service_t *svc, const intake_branch_t *b, const char *named,
                        const char **plan, hf_reply_t *rep, hf_arena_t *a)
{
    *plan = NULL;
    if (named == NULL || *named == '\0')
        return HF_OK;
    *plan = named;
    if (strcmp(named, "none") == 0)
        return HF_OK;
    size_t n = strlen(named);
    bool ok = n <= 24;
    for (size_t i = 0; i < n && ok; i++)
        ok = isalnum((unsigned char)named[i]) || named[i] == '-' || named[i] == '_';
    if (!ok)
        return hf_fail(rep, a, HF_BAD_INPUT, "plan",
                       "plan \"%s\" must be 1-24 letters, digits, '-' or '_' (or none)", named);
    return intake_plan_exists(svc, b->code, named, rep, a);
}

int intake_lead_add(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                    hf_arena_t *a)
{
    (void)self;
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    intake_row_t *row = hf_new(a, intake_row_t);
    row->raw = req->lead_add;
    intake_leads_check(&b, row, 1, a);
    if (!row->valid)
        return hf_fail(rep, a, HF_BAD_INPUT, row->err.field, "%s", row->err.reason);
    if ((rc = s_named_plan(svc, &b, req->lead_add->plan, &row->plan, rep, a)) != HF_OK)
        return rc;
    if (intake_leads_record(svc, &b, row, 1, false, req->request_id, a) != HF_OK ||
        hf_service_audit(svc, &row->customer_id, 1) != 0)
        return intake_store_fail(svc, rep, a);
    hf_info("lead", "customer=%lld merged=%d channel=%s phone=%s name=%s",
            (long long)row->customer_id, row->merged, row->lead.channel, row->lead.phone,
            row->lead.name);
    Huifang__V1__LeadResult *r = hf_new(a, Huifang__V1__LeadResult);
    huifang__v1__lead_result__init(r);
    r->customer = row->customer;
    r->merged = row->merged;
    if (row->merged)
        rep->note = hf_arena_printf(a, "merged into customer %lld", (long long)row->customer_id);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_LEAD;
    rep->lead = r;
    return HF_OK;
}

/* ---- lead_import ---- */

#define INTAKE_IMPORT_MAX 10000

int intake_lead_import(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                       hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__LeadImport *im = req->lead_import;
    if (im->n_rows > INTAKE_IMPORT_MAX)
        return hf_fail(rep, a, HF_BAD_INPUT, "rows", "a batch holds at most %d rows, not %zu",
                       INTAKE_IMPORT_MAX, im->n_rows);
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    int n = (int)im->n_rows;
    intake_row_t *rows = hf_new_array(a, intake_row_t, n + 1);
    for (int i = 0; i < n; i++) {
        /* a shallow copy: the batch's defaults are filled in without touching the request */
        Huifang__V1__LeadAdd *l = hf_new(a, Huifang__V1__LeadAdd);
        if (im->rows[i]->lead)
            *l = *im->rows[i]->lead;
        else
            huifang__v1__lead_add__init(l);
        if (S(l->channel)[0] == '\0')
            l->channel = (char *)S(im->channel);
        if (S(l->collector)[0] == '\0')
            l->collector = (char *)S(im->collector);
        if (S(l->source)[0] == '\0')
            l->source = (char *)S(im->source);
        rows[i].raw = l;
        rows[i].line = im->rows[i]->line;
    }
    const char *plan = NULL;
    if ((rc = s_named_plan(svc, &b, im->plan, &plan, rep, a)) != HF_OK)
        return rc;
    for (int i = 0; i < n; i++)
        rows[i].plan = plan;
    intake_leads_check(&b, rows, n, a);
    if (intake_leads_record(svc, &b, rows, n, true, req->request_id, a) != HF_OK)
        return intake_store_fail(svc, rep, a);
    /* one audit row for the batch, naming every customer it added to or merged into */
    int64_t *ids = hf_new_array(a, int64_t, n + 1);
    size_t nids = 0;
    for (int i = 0; i < n; i++)
        if (rows[i].valid && !rows[i].duplicate && rows[i].customer_id > 0)
            ids[nids++] = rows[i].customer_id;
    if (hf_service_audit(svc, ids, nids) != 0)
        return intake_store_fail(svc, rep, a);

    Huifang__V1__LeadImportResult *r = hf_new(a, Huifang__V1__LeadImportResult);
    huifang__v1__lead_import_result__init(r);
    r->rows = hf_new_array(a, Huifang__V1__LeadImportOutcome *, n + 1);
    for (int i = 0; i < n; i++) {
        const intake_row_t *row = &rows[i];
        if (row->valid && !row->duplicate) {
            if (row->merged)
                r->merged++;
            else
                r->added++;
            continue;
        }
        Huifang__V1__LeadImportOutcome *o = hf_new(a, Huifang__V1__LeadImportOutcome);
        huifang__v1__lead_import_outcome__init(o);
        o->line = row->line;
        if (!row->valid) {
            /* a rejected row is rejected again on a second run: the rejects file stays whole,
             * but only the first run told the others (LeadRejected) */
            r->rejected++;
            o->outcome = "rejected";
            o->field = (char *)S(row->err.field);
            o->reason = hf_arena_strdup(a, row->err.reason);
        } else {
            r->duplicate++;
            o->outcome = "duplicate";
            o->reason = "already imported";
        }
        r->rows[r->n_rows++] = o;
    }
    hf_info("lead_import", "rows=%d added=%d merged=%d rejected=%d duplicate=%d", n, r->added,
            r->merged, r->rejected, r->duplicate);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_LEAD_IMPORT;
    rep->lead_import = r;
    return HF_OK;
}
