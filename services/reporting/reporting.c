/* reporting: the service — every producer's events into the read models (rep_models.c),
 * the report set over them (rep_reports.c), and the attribution settings. */
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_replica.h"
#include "hf_time.h"
#include "reporting_internal.h"
#include "reporting_sql.h"
#include <stdio.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")

/* ---- events -------------------------------------------------------------------------- */

/* Counts every event, then applies it to the read models; runs in the transaction that
 * records the producer's sequence. */
static int apply_event(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a)
{
    (void)self;
    char day[11];
    hf_date_format((int32_t)(env->occurred_at_ms / 86400000), day);
    const char *p[] = {S(env->producer), hf_envelope_payload_name(env), S(env->branch), day};
    /* summed over the batch and written once at its end (rep_batch_end) */
    if (rep_count(svc, REP_EVENT_TALLY, "n", p, 1) != 0)
        return -1;
    int rc = rep_apply_event(svc, env, a);
    rc = rc == 0 ? rep_points_apply(svc, env, a) : rc;
    return rc == 0 ? rep_occasions_apply(svc, env, a) : rc; /* member care: rep_occasions.c */
}

/* One handler for every payload this build knows (filled by s_init). */
static hf_event_handler_t s_all[128];

/* rep_def's init: it has no object of its own, only the handler table to fill. */
static int s_init(hf_service_t *svc, void *self)
{
    (void)self;
    hf_service_on_batch(svc, rep_batch_end);
    const ProtobufCMessageDescriptor *d = &huifang__v1__envelope__descriptor;
    int n = 0;
    for (unsigned i = 0; i < d->n_fields && n < 127; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            f->id != HUIFANG__V1__ENVELOPE__PAYLOAD_HEARTBEAT)
            s_all[n++] = (hf_event_handler_t){(int)f->id, apply_event};
    }
    s_all[n] = (hf_event_handler_t){0, NULL};
    return 0;
}

/* Every producer. */
static const hf_subscription_t s_subscriptions[] = {{"intake", s_all},
                                                    {"scheduler", s_all},
                                                    {"calllog", s_all},
                                                    {"complaint", s_all},
                                                    {NULL, NULL}};

/* ---- commands ------------------------------------------------------------------------ */

/* The request's branch and its zone; HF_OK, or a failure filled into rep. */
static int s_branch(hf_service_t *svc, const hf_request_t *req, char *tz, size_t len,
                    hf_reply_t *rep, hf_arena_t *a)
{
    return hf_replica_need_branch(hf_service_store(svc), req->branch, tz, len, rep, a);
}

/* A code (branch, agent, region): the one rule every service checks codes by (hf_wire). */
static bool s_code_ok(const char *s)
{
    return hf_code_valid(S(s), strlen(S(s)));
}

static int s_cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

#define S_HQ_MAX_BRANCHES 5000 /* a national chain has about 1,000 */

/* The branches of a headquarters report (q->branches, or with all_branches every branch of
 * the person), sorted and distinct, each known to reporting, into *out and *n, and the zone
 * of the first into tz (the period is resolved there). HF_OK, or a failure filled into rep:
 * FORBIDDEN for a person who is not hq or admin, or for a branch not theirs; BAD_INPUT for a
 * malformed or unknown branch. */
static int s_hq_branches(hf_service_t *svc, const Huifang__V1__ReportRequest *q, char ***out,
                         size_t *n, char *tz, size_t tzlen, hf_reply_t *rep, hf_arena_t *a)
{
    const Huifang__V1__SessionClaims *c = hf_service_session(svc);
    if (q->n_branches && q->all_branches)
        return hf_fail(rep, a, HF_BAD_INPUT, "branches", "branches and all exclude each other");
    if (c && strcmp(c->role, "hq") != 0 && strcmp(c->role, "admin") != 0)
        return hf_fail(rep, a, HF_FORBIDDEN, "branches",
                       "not allowed: a report across branches needs the role hq or admin; %s is %s",
                       c->login, c->role);
    if (q->n_branches > S_HQ_MAX_BRANCHES)
        return hf_fail(rep, a, HF_BAD_INPUT, "branches", "at most %d branches", S_HQ_MAX_BRANCHES);
    hf_store_t *st = hf_service_store(svc);
    char **list = NULL;
    size_t k = 0;
    bool every = q->all_branches && (c == NULL || c->n_branches == 0);
    if (!every) {
        char *const *from = q->all_branches ? c->branches : q->branches;
        size_t m = q->all_branches ? c->n_branches : q->n_branches;
        list = hf_new_array(a, char *, m ? m : 1);
        for (size_t i = 0; i < m; i++) {
            if (!s_code_ok(from[i]))
                return hf_fail(rep, a, HF_BAD_INPUT, "branches",
                               "branch \"%s\" must be 1-24 letters, digits, '-' or '_'",
                               S(from[i]));
            if (c && !hf_session_in_branch(c, from[i]))
                return hf_fail(rep, a, HF_FORBIDDEN, "branches",
                               "not allowed: %s does not act in branch %s", c->login, from[i]);
            list[k++] = from[i];
        }
        qsort(list, k, sizeof *list, s_cmp_str);
        size_t d = 0;
        for (size_t i = 0; i < k; i++)
            if (d == 0 || strcmp(list[d - 1], list[i]) != 0)
                list[d++] = list[i];
        k = d;
    }
    /* which of them reporting knows (every one, for an admin's --all), with their zones */
    size_t len = 3;
    for (size_t i = 0; i < k; i++)
        len += strlen(list[i]) + 1;
    char *arr = hf_arena_alloc(a, len), *w = arr;
    *w++ = '{';
    for (size_t i = 0; i < k; i++)
        w += sprintf(w, "%s%s", i ? "," : "", list[i]);
    *w++ = '}';
    *w = '\0';
    const char *p[] = {arr, every ? "t" : "f"};
    PGresult *res = hf_store_query(st, &REP_Q_HQ_BRANCHES, 2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    size_t known = (size_t)PQntuples(res);
    if (!every && !q->all_branches && known < k) {
        /* the first branch asked for that reporting has never heard of */
        size_t i = 0;
        while (i < known && strcmp(hf_pg_str(res, (int)i, 0), list[i]) == 0)
            i++;
        PQclear(res);
        return hf_fail(rep, a, HF_BAD_INPUT, "branches", "branches: unknown branch %s", list[i]);
    }
    if (known == 0) {
        PQclear(res);
        return hf_fail(rep, a, HF_BAD_INPUT, "branches", "branches: no branch to report on");
    }
    list = hf_new_array(a, char *, known);
    for (size_t i = 0; i < known; i++)
        list[i] = hf_arena_strdup(a, hf_pg_str(res, (int)i, 0));
    snprintf(tz, tzlen, "%s", hf_pg_str(res, 0, 1));
    PQclear(res);
    *out = list;
    *n = known;
    return HF_OK;
}

typedef enum { P_DATE, P_WEEK, P_MONTH } s_period_kind_t;

static const struct {
    const char *name;
    s_period_kind_t period;
} s_reports[] = {{"agent-daily", P_DATE}, {"branch-weekly", P_WEEK}, {"collection", P_WEEK},
                 {"repurchase", P_MONTH}, {"complaints", P_WEEK},    {"sales-attribution", P_MONTH},
                 {NULL, P_DATE}};

static int rep_report(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                      hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__ReportRequest *q = req->report;
    char tz[64];
    int rc, k = 0;
    bool per_branch = strcmp(S(q->name), "points") == 0 || strcmp(S(q->name), "campaign") == 0 ||
                      strcmp(S(q->name), "occasions") == 0;
    if (per_branch && (q->n_branches > 0 || q->all_branches))
        return hf_fail(rep, a, HF_BAD_INPUT, "branches",
                       "the %s report is one branch's: ask it per branch", S(q->name));
    if (strcmp(S(q->name), "points") == 0)
        return rep_report_points(svc, req, rep, a); /* rep_points.c */
    if (strcmp(S(q->name), "campaign") == 0)
        return rep_report_campaign(svc, req, rep, a);
    if (strcmp(S(q->name), "occasions") == 0)
        return rep_report_occasions(svc, req, rep, a); /* rep_occasions.c */
    if (q->campaign_id != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "campaign_id", "campaign_id applies to campaign only");
    while (s_reports[k].name && strcmp(s_reports[k].name, S(q->name)) != 0)
        k++;
    if (s_reports[k].name == NULL)
        return hf_fail(rep, a, HF_BAD_INPUT, "name",
                       "report \"%s\" is not one of agent-daily, branch-weekly, collection, "
                       "repurchase, complaints, sales-attribution, points, campaign, occasions",
                       S(q->name));
    const char *name = s_reports[k].name;
    s_period_kind_t kind = s_reports[k].period;
    /* a period flag of another kind is a mistake worth saying, not ignoring */
    if (*S(q->date) && kind != P_DATE)
        return hf_fail(rep, a, HF_BAD_INPUT, "date", "date does not apply to %s (use --%s)", name,
                       kind == P_WEEK ? "week" : "month");
    if (*S(q->week) && kind != P_WEEK)
        return hf_fail(rep, a, HF_BAD_INPUT, "week", "week does not apply to %s (use --%s)", name,
                       kind == P_DATE ? "date" : "month");
    if (*S(q->month) && kind != P_MONTH)
        return hf_fail(rep, a, HF_BAD_INPUT, "month", "month does not apply to %s (use --%s)", name,
                       kind == P_DATE ? "date" : "week");
    if (*S(q->agent) && strcmp(name, "agent-daily") != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "agent", "agent applies to agent-daily only");
    if (*S(q->agent) && !s_code_ok(q->agent))
        return hf_fail(rep, a, HF_BAD_INPUT, "agent",
                       "agent \"%s\" must be 1-24 letters, digits, '-' or '_'", q->agent);
    if (q->days_set && strcmp(name, "repurchase") != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "days", "days applies to repurchase only");
    if (q->days_set && (q->days < 0 || q->days > 366))
        return hf_fail(rep, a, HF_BAD_INPUT, "days", "days must be 0..366");
    bool hq = q->n_branches > 0 || q->all_branches;
    char **branches = NULL;
    size_t nb = 0;
    if (hq && *S(q->agent))
        return hf_fail(rep, a, HF_BAD_INPUT, "agent",
                       "agent applies to one branch's agent-daily, not across branches");
    if (hq)
        rc = s_hq_branches(svc, q, &branches, &nb, tz, sizeof tz, rep, a);
    else
        rc = s_branch(svc, req, tz, sizeof tz, rep, a);
    if (rc != HF_OK)
        return rc;
    int64_t now = hf_clock_now_ms();
    int32_t today = hf_time_local_day(now, tz);
    rep_period_t per;
    if (kind == P_DATE && rep_period_day(q->date, today, &per) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "date", "date \"%s\" is not a date (YYYY-MM-DD)",
                       q->date);
    if (kind == P_WEEK && rep_period_week(q->week, today, &per) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "week",
                       "week \"%s\" is not an ISO week like 2026-W47 (01..52 or 53)", q->week);
    if (kind == P_MONTH && rep_period_month(q->month, today, &per) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "month", "month \"%s\" is not a month like 2026-11",
                       q->month);

    Huifang__V1__ReportResult *r = rep_result_new(name, req->branch, tz, &per, a);
    hf_store_t *st = hf_service_store(svc);
    if (hq) {
        r->branch = "";
        r->branches = branches;
        r->n_branches = nb;
        rc = rep_report_hq(st, name, branches, nb, &per, today, now, q->days_set ? q->days : 30, r,
                           a);
        if (rc != HF_OK)
            return rc;
        rep->result_case = HUIFANG__V1__REPLY__RESULT_REPORT;
        rep->report = r;
        return HF_OK;
    }
    switch (k) {
    case 0:
        rc = rep_report_agent_daily(st, req->branch, &per, q->agent, r, a);
        if (rc == HF_NOT_FOUND)
            return hf_fail(rep, a, HF_NOT_FOUND, "agent", "no agent %s in branch %s", q->agent,
                           req->branch);
        break;
    case 1:
        rc = rep_report_branch_weekly(st, req->branch, &per, today, r, a);
        break;
    case 2:
        rc = rep_report_collection(st, req->branch, &per, r, a);
        break;
    case 3:
        rc = rep_report_repurchase(st, req->branch, &per, q->days_set ? q->days : 30, r, a);
        break;
    case 4:
        rc = rep_report_complaints(st, req->branch, &per, now, r, a);
        break;
    default:
        rc = rep_report_sales_attribution(st, req->branch, &per, r, a);
        break;
    }
    if (rc != HF_OK)
        return rc;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_REPORT;
    rep->report = r;
    return HF_OK;
}

/* Loads the branch's attribution settings into rep. */
static int s_attribution_reply(hf_service_t *svc, const char *branch, hf_reply_t *rep,
                               hf_arena_t *a)
{
    hf_store_t *st = hf_service_store(svc);
    const char *p[] = {branch};
    /* the rate in force now: the latest one set (a rate is set for the current month) */
    PGresult *res = hf_store_query(st, &REP_Q_ATTRIBUTION_REPLY_COMMISSION_RATE, 1, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    Huifang__V1__Attribution *at = hf_new(a, Huifang__V1__Attribution);
    huifang__v1__attribution__init(at);
    at->branch = hf_arena_strdup(a, branch);
    at->rate_bp = PQntuples(res) ? (int32_t)hf_pg_int(res, 0, 0) : 0;
    PQclear(res);
    res = hf_store_query(st, &REP_Q_ATTRIBUTION_REPLY_TERMINAL_MAP, 1, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int n = PQntuples(res);
    at->terminals = hf_new_array(a, Huifang__V1__TerminalMapping *, n ? n : 1);
    for (int i = 0; i < n; i++) {
        Huifang__V1__TerminalMapping *m = hf_new(a, Huifang__V1__TerminalMapping);
        huifang__v1__terminal_mapping__init(m);
        m->region = hf_arena_strdup(a, hf_pg_str(res, i, 0));
        m->terminal = hf_arena_strdup(a, hf_pg_str(res, i, 1));
        at->terminals[at->n_terminals++] = m;
    }
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_ATTRIBUTION;
    rep->attribution = at;
    return HF_OK;
}

static int rep_attribution_set(hf_service_t *svc, void *self, const hf_request_t *req,
                               hf_reply_t *rep, hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__AttributionSet *q = req->attribution_set;
    hf_store_t *st = hf_service_store(svc);
    char tz[64];
    int rc = s_branch(svc, req, tz, sizeof tz, rep, a);
    if (rc != HF_OK)
        return rc;
    if (q->set_rate) {
        if (q->rate_bp < 0 || q->rate_bp > 10000)
            return hf_fail(rep, a, HF_BAD_INPUT, "rate", "rate must be 0..100 percent");
        /* from this month on (the branch's zone): the months before keep the rate they had */
        char bp[16], month[11], at[24];
        int64_t now = hf_clock_now_ms();
        hf_time_local_date(now, tz, month);
        memcpy(month + 8, "01", 2);
        const char *p[] = {req->branch, month, hf_pg_i64(bp, q->rate_bp), hf_pg_i64(at, now)};
        if (hf_store_query_run(st, &REP_Q_ATTRIBUTION_SET_COMMISSION_RATE_ADD, 4, p) != 0)
            return HF_UNAVAILABLE;
    } else {
        if (*S(q->region) == '\0')
            return hf_fail(rep, a, HF_BAD_INPUT, "region", "region is required");
        if (!s_code_ok(q->region))
            return hf_fail(rep, a, HF_BAD_INPUT, "region",
                           "region \"%s\" must be 1-24 letters, digits, '-' or '_'", q->region);
        if (strlen(S(q->terminal)) > 60)
            return hf_fail(rep, a, HF_BAD_INPUT, "terminal", "terminal is longer than 60 bytes");
        const char *p[] = {req->branch, q->region, S(q->terminal)};
        if (*S(q->terminal) == '\0')
            rc = hf_store_query_run(st, &REP_Q_ATTRIBUTION_SET_TERMINAL_MAP_DELETE, 2, p);
        else
            rc = hf_store_query_run(st, &REP_Q_ATTRIBUTION_SET_TERMINAL_MAP_ADD, 3, p);
        if (rc != 0)
            return HF_UNAVAILABLE;
    }
    hf_info("attribution_set", "branch=%s region=%s terminal=\"%s\" rate_bp=%d", req->branch,
            S(q->region), S(q->terminal), q->set_rate ? q->rate_bp : -1);
    return s_attribution_reply(svc, req->branch, rep, a);
}

static int rep_attribution_show(hf_service_t *svc, void *self, const hf_request_t *req,
                                hf_reply_t *rep, hf_arena_t *a)
{
    (void)self;
    char tz[64];
    int rc = s_branch(svc, req, tz, sizeof tz, rep, a);
    if (rc != HF_OK)
        return rc;
    return s_attribution_reply(svc, req->branch, rep, a);
}

static const hf_command_t s_commands[] = {
    {HUIFANG__V1__REQUEST__COMMAND_REPORT, rep_report, false, HF_ROLES_READ},
    {HUIFANG__V1__REQUEST__COMMAND_ATTRIBUTION_SET, rep_attribution_set, true, HF_ROLES_MANAGERS},
    {HUIFANG__V1__REQUEST__COMMAND_ATTRIBUTION_SHOW, rep_attribution_show, false, HF_ROLES_READ},
    /* campaigns and segments */

    /* occasions, contact caps, letters and WeChat */

    /* points and gifts */

    {0, NULL, false, 0}};

/* Its own settings. */
static const hf_config_entry_t s_config[] = {
    {"consume", "HUIFANG_REPORTING_CONSUME", NULL, "intake,scheduler,calllog,complaint", HF_CFG_STR,
     0, 0, false,
     "the producers whose events reporting applies; a benchmark of one consumer names one"},
    HF_CONFIG_END};

const hf_service_def_t rep_def = {
    .name = "reporting",
    .summary = "read models from every event, the report set, and the analysts' event tap",
    .config = s_config,
    .migrations = rep_migrations,
    .commands = s_commands,
    .init = s_init,
    .subscriptions = s_subscriptions,
    .consume = "consume",
};
