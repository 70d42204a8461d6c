/* intake_occasion: birthday, festival and weather care calls (issue 16). Intake owns the
 * rules (data per branch, table occasion_rule) because it owns what they read: birthdays,
 * regions, card types, tiers (and, after the campaign slice lands, the segments). Once a
 * local day per branch a sweep finds the customers due and emits occasion_due events, in
 * chunks; the scheduler turns them into tasks inside the customers' windows and the weekly
 * contact cap. `occasion trigger` runs a branch's weather rules now, for named regions.
 *
 * Birthdays are matched on the branch's local day (a birth date has no zone: the day it
 * names is the customer's day). Someone born on 29 February is greeted on 28 February in a
 * year without one: the last day of their birth month, before the day, not after (1 March
 * would be in another month, and late). Festivals come from hf_festival (the lunar ones
 * from ICU's Chinese calendar). */
#include "hf_clock.h"
#include "hf_festival.h"
#include "hf_log.h"
#include "hf_time.h"
#include "intake_internal.h"
#include "intake_sql.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")
/* customers per occasion_due event */
#define S_CHUNK 500
/* customers one rule may name on one day: a bound on one transaction's work */
#define S_MAX_TARGETS 200000
/* a day not swept (the service was down) is made up for this many days later at most */
#define S_CATCH_UP_DAYS 7

/* The weather kinds a rule or a trigger may name. */
static const char *const s_weather[] = {"cold-snap", "heat-wave", "typhoon", "rainstorm", NULL};

static bool s_weather_known(const char *kind)
{
    for (int i = 0; s_weather[i]; i++)
        if (strcmp(s_weather[i], kind) == 0)
            return true;
    return false;
}

/* Checks an occasion; HF_OK or BAD_INPUT naming field "occasion". */
static int s_check_occasion(const char *occ, hf_reply_t *rep, hf_arena_t *a)
{
    if (strcmp(occ, "birthday") == 0)
        return HF_OK;
    if (strncmp(occ, "festival:", 9) == 0) {
        if (hf_festival_known(occ + 9))
            return HF_OK;
        return hf_fail(rep, a, HF_BAD_INPUT, "occasion",
                       "occasion \"%s\": unknown festival \"%s\" (one of: %s)", occ, occ + 9,
                       hf_festival_names());
    }
    if (strncmp(occ, "weather:", 8) == 0) {
        if (s_weather_known(occ + 8))
            return HF_OK;
        return hf_fail(rep, a, HF_BAD_INPUT, "occasion",
                       "occasion \"%s\": unknown weather \"%s\" (one of: cold-snap, heat-wave, "
                       "typhoon, rainstorm)",
                       occ, occ + 8);
    }
    return hf_fail(rep, a, HF_BAD_INPUT, "occasion",
                   "occasion \"%s\" must be birthday, festival:<name> or weather:<kind>", occ);
}

/* True when the branch's active agents cover region (any region while none has regions). */
static bool s_region_known(const intake_branch_t *b, const char *region)
{
    if (b->nregions == 0)
        return true;
    for (int i = 0; i < b->nregions; i++)
        if (strcmp(b->regions[i], region) == 0)
            return true;
    return false;
}

static int s_check_name(const char *v, const char *field, size_t max, hf_reply_t *rep,
                        hf_arena_t *a)
{
    size_t n = strlen(v);
    if (n == 0 || n > max)
        return hf_fail(rep, a, HF_BAD_INPUT, field, "%s must be 1-%zu bytes", field, max);
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              (c >= 'A' && c <= 'Z')))
            return hf_fail(rep, a, HF_BAD_INPUT, field,
                           "%s \"%s\" may hold only letters, digits, '-' and '_'", field, v);
    }
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * Rules: add, list, remove
 * ------------------------------------------------------------------------------------- */

/* A rule from row i of an S_RULE_COLUMNS result (arena memory). */
static Huifang__V1__OccasionRule *s_rule_from_row(const PGresult *res, int i, hf_arena_t *a)
{
    Huifang__V1__OccasionRule *r = hf_new(a, Huifang__V1__OccasionRule);
    huifang__v1__occasion_rule__init(r);
    r->id = hf_pg_int(res, i, 0);
    r->branch = hf_arena_strdup(a, hf_pg_str(res, i, 1));
    r->occasion = hf_arena_strdup(a, hf_pg_str(res, i, 2));
    r->segment_id = hf_pg_int(res, i, 3);
    r->card_type = hf_arena_strdup(a, hf_pg_str(res, i, 4));
    r->tier = hf_arena_strdup(a, hf_pg_str(res, i, 5));
    const char *regions = hf_pg_str(res, i, 6);
    if (*regions) {
        char *copy = hf_arena_strdup(a, regions);
        size_t n = 1;
        for (const char *p = copy; *p; p++)
            n += *p == ',';
        r->regions = hf_new_array(a, char *, n);
        for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save))
            r->regions[r->n_regions++] = tok;
    }
    r->days_before = (int32_t)hf_pg_int(res, i, 7);
    r->purpose = hf_arena_strdup(a, hf_pg_str(res, i, 8));
    r->script = hf_arena_strdup(a, hf_pg_str(res, i, 9));
    r->created_at_ms = hf_pg_int(res, i, 10);
    r->created_by = hf_arena_strdup(a, hf_pg_str(res, i, 11));
    return r;
}

int intake_occasion_rule_add(hf_service_t *svc, void *self, const hf_request_t *req,
                             hf_reply_t *rep, hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__OccasionRule *r = req->occasion_rule_add->rule;
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    if (r == NULL)
        return hf_fail(rep, a, HF_BAD_INPUT, "occasion", "occasion is required");
    if ((rc = s_check_occasion(S(r->occasion), rep, a)) != HF_OK)
        return rc;
    if (r->segment_id != 0) { /* a saved segment of this branch (intake_segment.c) */
        char sid[24];
        const char *ps[] = {hf_pg_i64(sid, r->segment_id), b.code};
        PGresult *res =
            hf_store_query(hf_service_store(svc), &INTAKE_Q_OCCASION_RULE_ADD_SEGMENT, 2, ps);
        if (res == NULL)
            return intake_store_fail(svc, rep, a);
        bool found = PQntuples(res) > 0;
        PQclear(res);
        if (!found)
            return hf_fail(rep, a, HF_BAD_INPUT, "segment",
                           "segment %lld is not a segment of branch %s (see segment list)",
                           (long long)r->segment_id, b.code);
    }
    const char *card = S(r->card_type), *tier = S(r->tier);
    if (*card && strcmp(card, "new") && strcmp(card, "one-on-one") && strcmp(card, "customer"))
        return hf_fail(rep, a, HF_BAD_INPUT, "card_type",
                       "card type \"%s\" must be new, one-on-one or customer", card);
    if (*tier && strcmp(tier, "gold") && strcmp(tier, "silver") && strcmp(tier, "member") &&
        strcmp(tier, "regular"))
        return hf_fail(rep, a, HF_BAD_INPUT, "tier",
                       "tier \"%s\" must be gold, silver, member or regular", tier);
    if (r->n_regions > 64)
        return hf_fail(rep, a, HF_BAD_INPUT, "regions", "at most 64 regions");
    for (size_t i = 0; i < r->n_regions; i++) {
        if ((rc = s_check_name(S(r->regions[i]), "regions", 32, rep, a)) != HF_OK)
            return rc;
        if (!s_region_known(&b, r->regions[i]))
            return hf_fail(rep, a, HF_BAD_INPUT, "regions",
                           "regions: region \"%s\" is covered by no active agent of branch %s",
                           r->regions[i], b.code);
    }
    if (r->days_before < 0 || r->days_before > 30)
        return hf_fail(rep, a, HF_BAD_INPUT, "days_before", "days_before must be 0..30");
    if (strncmp(S(r->occasion), "weather:", 8) == 0 && r->days_before != 0)
        return hf_fail(
            rep, a, HF_BAD_INPUT, "days_before",
            "days_before must be 0 for a weather rule (it runs on the day it is triggered)");
    const char *purpose = *S(r->purpose) ? r->purpose : "care";
    if ((rc = s_check_name(purpose, "purpose", 32, rep, a)) != HF_OK)
        return rc;
    if (strlen(S(r->script)) > 500)
        return hf_fail(rep, a, HF_BAD_INPUT, "script", "script is longer than 500 bytes");
    for (const char *p = S(r->script); *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\n')
            return hf_fail(rep, a, HF_BAD_INPUT, "script", "script holds a control character");

    intake_arr_t regions;
    intake_arr_init(&regions, a);
    for (size_t i = 0; i < r->n_regions; i++)
        intake_arr_str(&regions, r->regions[i]);
    char days[16], now[24], seg[24];
    const char *p[] = {b.code,
                       r->occasion,
                       card,
                       tier,
                       intake_arr_end(&regions),
                       hf_pg_i64(days, r->days_before),
                       purpose,
                       S(r->script),
                       hf_pg_i64(now, hf_clock_now_ms()),
                       S(req->actor),
                       r->segment_id != 0 ? hf_pg_i64(seg, r->segment_id) : NULL};
    PGresult *res = hf_store_query(hf_service_store(svc),
                                   &INTAKE_Q_OCCASION_RULE_ADD_OCCASION_RULE_INSERT, 11, p);
    intake_arr_release_all();
    if (res == NULL)
        return intake_store_fail(svc, rep, a);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_OCCASION_RULE;
    rep->occasion_rule = s_rule_from_row(res, 0, a);
    PQclear(res);
    hf_info("occasion_rule_added", "branch=%s rule=%lld occasion=%s days_before=%d", b.code,
            (long long)rep->occasion_rule->id, rep->occasion_rule->occasion,
            (int)rep->occasion_rule->days_before);
    return HF_OK;
}

int intake_occasion_rule_list(hf_service_t *svc, void *self, const hf_request_t *req,
                              hf_reply_t *rep, hf_arena_t *a)
{
    (void)self;
    intake_branch_t b;
    PGresult *res;
    int rc = intake_branch_rows(svc, req->branch, &INTAKE_Q_OCCASION_RULE_LIST, &b, &res, rep, a);
    if (rc != HF_OK)
        return rc;
    Huifang__V1__OccasionRules *l = hf_new(a, Huifang__V1__OccasionRules);
    huifang__v1__occasion_rules__init(l);
    int n = PQntuples(res);
    l->rules = hf_new_array(a, Huifang__V1__OccasionRule *, n + 1);
    for (int i = 0; i < n; i++)
        l->rules[l->n_rules++] = s_rule_from_row(res, i, a);
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_OCCASION_RULES;
    rep->occasion_rules = l;
    return HF_OK;
}

int intake_occasion_rule_remove(hf_service_t *svc, void *self, const hf_request_t *req,
                                hf_reply_t *rep, hf_arena_t *a)
{
    (void)self;
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    int64_t id = req->occasion_rule_remove->id;
    if (id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "id", "id is required (a rule id)");
    char ids[24], now[24];
    const char *p[] = {hf_pg_i64(ids, id), b.code, hf_pg_i64(now, hf_clock_now_ms())};
    PGresult *res = hf_store_query(hf_service_store(svc), &INTAKE_Q_OCCASION_RULE_REMOVE, 3, p);
    if (res == NULL)
        return intake_store_fail(svc, rep, a);
    if (PQntuples(res) == 0) {
        PQclear(res);
        return hf_fail(rep, a, HF_NOT_FOUND, "id", "no occasion rule %lld in branch %s",
                       (long long)id, b.code);
    }
    rep->result_case = HUIFANG__V1__REPLY__RESULT_OCCASION_RULE;
    rep->occasion_rule = s_rule_from_row(res, 0, a);
    PQclear(res);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * Whom a rule greets
 * ------------------------------------------------------------------------------------- */

/* What the occasion adds to the targeting on a day. */
typedef struct {
    bool birthday;
    int month, mday;   /* birthday: born on this month and day */
    bool feb29;        /* birthday: also those born on 29 February (28 Feb, no leap year) */
    const char **only; /* trigger: the regions named (NULL: any) */
    size_t nonly;
} s_when_t;

/* A segment's members, collected for a rule's targeting (intake_segment_each's callback). */
typedef struct {
    hf_arena_t *a;
    int64_t *ids;
    size_t n, cap;
} s_members_t;

static int s_member_add(int64_t customer_id, void *arg)
{
    s_members_t *m = arg;
    if (m->n >= S_MAX_TARGETS)
        return 0; /* the targeting's own bound (logged there) */
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        int64_t *ids = hf_new_array(m->a, int64_t, cap);
        if (m->n)
            memcpy(ids, m->ids, m->n * sizeof *ids);
        m->ids = ids;
        m->cap = cap;
    }
    m->ids[m->n++] = customer_id;
    return 0;
}

/* THE TARGETING of a rule, in one place: the ids (ascending) of the live customers of the
 * rule's branch that the rule greets on a call day, never one opted out, void, merged away
 * or in a do-not-disturb period covering the day. Today a rule narrows the branch's
 * customers by its card type, tier and regions (and a trigger by its regions).
 *
 * A rule with a segment greets only the segment's members (evaluated now, as a campaign's
 * are: intake_segment_each), intersected with the rule's own narrowing; a segment removed
 * since greets nobody.
 *
 * Returns the count (ids in arena memory) or -1 on a store error. */
static int s_rule_targets(hf_store_t *st, const Huifang__V1__OccasionRule *r, int32_t call_day,
                          const s_when_t *w, int64_t **ids, hf_arena_t *a)
{
    s_members_t members = {.a = a};
    if (r->segment_id != 0) {
        int rc = intake_segment_each(st, r->branch, r->segment_id, s_member_add, &members);
        if (rc == -2) {
            hf_warn("occasion_segment_gone", "branch=%s rule=%lld segment=%lld", r->branch,
                    (long long)r->id, (long long)r->segment_id);
            return 0;
        }
        if (rc != 0)
            return -1;
        if (members.n == 0)
            return 0;
    }
    intake_arr_t regions, only, in_segment;
    intake_arr_init(&regions, a);
    for (size_t i = 0; i < r->n_regions; i++)
        intake_arr_str(&regions, r->regions[i]);
    intake_arr_init(&only, a);
    for (size_t i = 0; i < w->nonly; i++)
        intake_arr_str(&only, w->only[i]);
    intake_arr_init(&in_segment, a);
    for (size_t i = 0; i < members.n; i++)
        intake_arr_int(&in_segment, members.ids[i]);
    char day[11], month[8], mday[8], limit[16];
    hf_date_format(call_day, day);
    const char *p[] = {r->branch,
                       S(r->card_type),
                       S(r->tier),
                       intake_arr_end(&regions),
                       w->only ? intake_arr_end(&only) : NULL,
                       day,
                       w->birthday ? "true" : "false",
                       hf_pg_i64(month, w->month),
                       hf_pg_i64(mday, w->mday),
                       w->feb29 ? "true" : "false",
                       hf_pg_i64(limit, S_MAX_TARGETS),
                       r->segment_id != 0 ? intake_arr_end(&in_segment) : NULL};
    PGresult *res = hf_store_query(st, &INTAKE_Q_RULE_TARGETS, 12, p);
    intake_arr_release_all();
    if (res == NULL)
        return -1;
    int n = PQntuples(res);
    if (n >= S_MAX_TARGETS)
        hf_warn("occasion_targets_capped", "branch=%s rule=%lld limit=%d", r->branch,
                (long long)r->id, S_MAX_TARGETS);
    *ids = hf_new_array(a, int64_t, n + 1);
    for (int i = 0; i < n; i++)
        (*ids)[i] = hf_pg_int(res, i, 0);
    PQclear(res);
    return n;
}

/* Emits the ids as occasion_due events of at most S_CHUNK customers, inside the open
 * transaction. 0 or -1. */
static int s_emit_due(hf_service_t *svc, const Huifang__V1__OccasionRule *r, int32_t call_day,
                      int32_t date, const char *key, const int64_t *ids, int n,
                      const char *correlation, hf_arena_t *a)
{
    if (n == 0)
        return 0;
    int chunks = (n + S_CHUNK - 1) / S_CHUNK;
    hf_envelope_t **envs = hf_new_array(a, hf_envelope_t *, chunks);
    char *day = hf_new_array(a, char, 11), *dates = hf_new_array(a, char, 11);
    hf_date_format(call_day, day);
    hf_date_format(date, dates);
    for (int c = 0; c < chunks; c++) {
        Huifang__V1__OccasionDue *ev = hf_new(a, Huifang__V1__OccasionDue);
        huifang__v1__occasion_due__init(ev);
        ev->rule_id = r->id;
        ev->occasion = r->occasion;
        ev->day = day;
        ev->date = dates;
        ev->purpose = r->purpose;
        ev->script = r->script;
        ev->key = (char *)key;
        ev->chunk = c + 1;
        ev->chunks = chunks;
        int from = c * S_CHUNK, to = from + S_CHUNK < n ? from + S_CHUNK : n;
        ev->customer_ids = (int64_t *)ids + from;
        ev->n_customer_ids = (size_t)(to - from);
        hf_envelope_t *env = hf_new(a, hf_envelope_t);
        huifang__v1__envelope__init(env);
        env->branch = r->branch;
        env->payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_OCCASION_DUE;
        env->occasion_due = ev;
        envs[c] = env;
    }
    return intake_emit_many(svc, envs, chunks, r->branch, correlation, a);
}

/* The rules of a branch in force, of one occasion kind prefix ("weather:cold-snap" exactly,
 * or every non-weather rule when occasion is NULL). Count or -1. */
static int s_load_rules(hf_store_t *st, const char *branch, const char *occasion,
                        Huifang__V1__OccasionRule ***out, hf_arena_t *a)
{
    const char *p[] = {branch, occasion};
    PGresult *res = hf_store_query(st, &INTAKE_Q_LOAD_RULES, 2, p);
    if (res == NULL)
        return -1;
    int n = PQntuples(res);
    *out = hf_new_array(a, Huifang__V1__OccasionRule *, n + 1);
    for (int i = 0; i < n; i++)
        (*out)[i] = s_rule_from_row(res, i, a);
    PQclear(res);
    return n;
}

/* ---------------------------------------------------------------------------------------
 * Weather care by hand
 * ------------------------------------------------------------------------------------- */

int intake_occasion_trigger(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                            hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__OccasionTrigger *t = req->occasion_trigger;
    hf_store_t *st = hf_service_store(svc);
    intake_branch_t b;
    int rc = intake_branch_load(svc, req->branch, &b, rep, a);
    if (rc != HF_OK)
        return rc;
    if (!s_weather_known(S(t->kind)))
        return hf_fail(rep, a, HF_BAD_INPUT, "kind",
                       "kind: weather \"%s\" must be cold-snap, heat-wave, typhoon or rainstorm",
                       S(t->kind));
    if (t->n_regions == 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "regions", "name at least one region (--regions)");
    if (t->n_regions > 64)
        return hf_fail(rep, a, HF_BAD_INPUT, "regions", "at most 64 regions");
    for (size_t i = 0; i < t->n_regions; i++) {
        if ((rc = s_check_name(S(t->regions[i]), "regions", 32, rep, a)) != HF_OK)
            return rc;
        if (!s_region_known(&b, t->regions[i]))
            return hf_fail(rep, a, HF_BAD_INPUT, "regions",
                           "regions: region \"%s\" is covered by no active agent of branch %s",
                           t->regions[i], b.code);
    }
    char *occasion = hf_arena_printf(a, "weather:%s", t->kind);
    Huifang__V1__OccasionRule **rules;
    int nrules = s_load_rules(st, b.code, occasion, &rules, a);
    if (nrules < 0)
        return intake_store_fail(svc, rep, a);
    if (nrules == 0)
        return hf_fail(
            rep, a, HF_NOT_FOUND, "kind",
            "branch %s has no rule for %s (add one: huifang occasion rule add %s --script ...)",
            b.code, occasion, occasion);
    s_when_t w = {.only = (const char **)t->regions, .nonly = t->n_regions};
    Huifang__V1__OccasionTriggerResult *r = hf_new(a, Huifang__V1__OccasionTriggerResult);
    huifang__v1__occasion_trigger_result__init(r);
    for (int i = 0; i < nrules; i++) {
        int64_t *ids;
        int n = s_rule_targets(st, rules[i], b.today, &w, &ids, a);
        if (n < 0)
            return intake_store_fail(svc, rep, a);
        char *key =
            hf_arena_printf(a, "trigger:%s:%lld", S(req->request_id), (long long)rules[i]->id);
        if (s_emit_due(svc, rules[i], b.today, b.today, key, ids, n, req->request_id, a) != 0)
            return intake_store_fail(svc, rep, a);
        r->customers += n;
        r->rules++;
    }
    r->day = hf_new_array(a, char, 11);
    hf_date_format(b.today, r->day);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_OCCASION_TRIGGER_RESULT;
    rep->occasion_trigger_result = r;
    hf_info("occasion_triggered", "branch=%s occasion=%s regions=%zu rules=%d customers=%d", b.code,
            occasion, t->n_regions, r->rules, r->customers);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * The daily sweep
 * ------------------------------------------------------------------------------------- */

static bool s_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The occasion date a rule looks at when the calls are made on call_day: call_day +
 * days_before. For a festival, *hit says whether that date is the festival. */
static void s_when(const Huifang__V1__OccasionRule *r, int32_t date, s_when_t *w, bool *hit)
{
    char iso[11];
    hf_date_format(date, iso);
    int y = atoi(iso), m = atoi(iso + 5), d = atoi(iso + 8);
    memset(w, 0, sizeof *w);
    *hit = false;
    if (strcmp(r->occasion, "birthday") == 0) {
        w->birthday = true;
        w->month = m;
        w->mday = d;
        w->feb29 = m == 2 && d == 28 && !s_leap(y);
        *hit = true;
    } else if (strncmp(r->occasion, "festival:", 9) == 0) {
        int32_t fday;
        const char *why = NULL;
        if (hf_festival_date(r->occasion + 9, y, &fday, &why) != 0)
            hf_warn("occasion_festival_skipped", "rule=%lld festival=%s year=%d reason=\"%s\"",
                    (long long)r->id, r->occasion + 9, y, S(why));
        else
            *hit = fday == date;
    }
}

/* Sweeps one branch for local day `today`: claims the day, makes up for the days since the
 * last sweep (at most S_CATCH_UP_DAYS, only occasions not yet past), emits the events. One
 * transaction. 1 swept, 0 already swept or no rules, -1 on error. */
static int s_sweep_branch(hf_service_t *svc, const char *branch, int32_t today, hf_arena_t *a)
{
    hf_store_t *st = hf_service_store(svc);
    if (hf_store_begin(st) != 0)
        return -1;
    char day[11], now[24];
    hf_date_format(today, day);
    const char *p[] = {branch, day, hf_pg_i64(now, hf_clock_now_ms())};
    PGresult *res = hf_store_query(st, &INTAKE_Q_SWEEP_BRANCH_OCCASION_SWEEP_INSERT, 3, p);
    if (res == NULL)
        goto fail;
    if (PQntuples(res) == 0) {
        PQclear(res);
        hf_store_rollback(st);
        return 0;
    }
    int32_t from = today;
    if (!PQgetisnull(res, 0, 0) && hf_date_parse(hf_pg_str(res, 0, 0), &from) == 0)
        from = from + 1;
    if (from < today - S_CATCH_UP_DAYS)
        from = today - S_CATCH_UP_DAYS;
    PQclear(res);
    Huifang__V1__OccasionRule **rules;
    int nrules = s_load_rules(st, branch, NULL, &rules, a);
    if (nrules < 0)
        goto fail;
    int total = 0;
    for (int i = 0; i < nrules; i++) {
        for (int32_t d = from; d <= today; d++) {
            int32_t date = d + rules[i]->days_before;
            if (date < today)
                continue; /* a day missed whose occasion has passed: no greeting after it */
            s_when_t w;
            bool hit;
            s_when(rules[i], date, &w, &hit);
            if (!hit)
                continue;
            int64_t *ids;
            int n = s_rule_targets(st, rules[i], today, &w, &ids, a);
            if (n < 0)
                goto fail;
            char dd[11];
            hf_date_format(d, dd);
            char *key = hf_arena_printf(a, "rule:%lld:%s", (long long)rules[i]->id, dd);
            if (s_emit_due(svc, rules[i], today, date, key, ids, n, "", a) != 0)
                goto fail;
            total += n;
            if (n)
                hf_info("occasion_due", "branch=%s rule=%lld occasion=%s date=%s customers=%d",
                        branch, (long long)rules[i]->id, rules[i]->occasion, dd, n);
        }
    }
    char tot[16];
    const char *pu[] = {branch, day, hf_pg_i64(tot, total)};
    if (hf_store_query_run(st, &INTAKE_Q_SWEEP_BRANCH_OCCASION_SWEEP_UPDATE, 3, pu) != 0)
        goto fail;
    if (hf_store_commit(st) != 0)
        return -1;
    return 1;
fail:
    hf_warn("occasion_sweep_failed", "branch=%s day=%s reason=\"%s\"", branch, day,
            hf_store_error(st));
    hf_store_rollback(st);
    return -1;
}

int intake_occasion_sweep(hf_service_t *svc, void *self)
{
    (void)self;
    hf_store_t *st = hf_service_store(svc);
    /* branches with a birthday or festival rule in force whose local day has not been swept
     * yet: one read a tick, nothing written while every day is done (each branch's day is
     * computed again in C below; the claim in occasion_sweep has the last word) */
    char nowt[24];
    /* branch add always fills in a zone (HF_DEFAULT_TZ when none is given), so the fallback
     * here and in the query only guards a row written some other way (by hand): it is then
     * swept in the zone hf_replica gives a branch without one, named in one place */
    const char *p[] = {hf_pg_i64(nowt, hf_clock_now_ms()), HF_DEFAULT_TZ};
    PGresult *res = hf_store_query(st, &INTAKE_Q_OCCASION_SWEEP, 2, p);
    if (res == NULL) {
        hf_warn("occasion_sweep_failed", "reason=\"%s\"", hf_store_error(st));
        return -1;
    }
    int64_t now = hf_clock_now_ms();
    hf_arena_t *a = hf_arena_new();
    int rc = 0;
    for (int i = 0; i < PQntuples(res) && a; i++) {
        const char *tz = hf_replica_tz_or_default(hf_pg_str(res, i, 1));
        if (s_sweep_branch(svc, hf_pg_str(res, i, 0), hf_time_local_day(now, tz), a) < 0)
            rc = -1;
        hf_arena_reset(a);
    }
    hf_arena_destroy(&a);
    PQclear(res);
    return rc;
}
