/* ctl_complaint: complaints and returns — the commands answered by the complaint service.
 *
 * Complaint text is shown by `complaint show` only (the agent handling it needs it); lists
 * carry no text, and customer names are masked as everywhere else. */
#include "ctl_complaint.h"

#include <string.h>

static const char *const s_levels[] = {"agent", "head", "manager", "customer-service"};

static const char *s_level(ctl_t *ctl, int level)
{
    if (level >= 0 && level <= 3)
        return ctl_fmt(ctl, "%d %s", level, s_levels[level]);
    return ctl_fmt(ctl, "%d", level);
}

/* A span of clock time: "11h59m", "-0h05m" (past due). */
static const char *s_span(ctl_t *ctl, int64_t ms)
{
    const char *sign = ms < 0 ? "-" : "";
    int64_t a = ms < 0 ? -ms : ms;
    int64_t minutes = (a + 59999) / 60000;
    if (ms < 0)
        minutes = a / 60000;
    return ctl_fmt(ctl, "%s%lldh%02lldm", sign, (long long)(minutes / 60),
                   (long long)(minutes % 60));
}

static bool s_running(const Huifang__V1__Complaint *c)
{
    return c->due_at_ms > 0;
}

static bool s_finished(const Huifang__V1__Complaint *c)
{
    return strcmp(ctl_str(c->state), "resolved") == 0 || strcmp(ctl_str(c->state), "closed") == 0;
}

/* DUE and LEFT cells of a complaint. */
static void s_due_cells(ctl_t *ctl, const Huifang__V1__Complaint *c, const char **due,
                        const char **left)
{
    if (s_finished(c)) {
        *due = "-";
        *left = "-";
    } else if (s_running(c)) {
        *due = ctl_local_time(ctl, c->due_at_ms);
        *left = s_span(ctl, c->remaining_ms);
    } else {
        *due = "paused";
        *left = s_span(ctl, c->remaining_ms);
    }
}

static void s_print_list(ctl_t *ctl, Huifang__V1__Complaint **list, size_t n)
{
    ctl_table_t *t = ctl_table_new(11, "COMPLAINT", "CUSTOMER", "NAME", "CATEGORY", "SEVERITY",
                                   "STATE", "LEVEL", "OWNER", "OPENED", "DUE", "LEFT");
    for (size_t i = 0; i < n; i++) {
        const Huifang__V1__Complaint *c = list[i];
        const char *due, *left;
        s_due_cells(ctl, c, &due, &left);
        ctl_table_add(t, ctl_fmt(ctl, "%lld", (long long)c->id),
                      ctl_fmt(ctl, "%lld", (long long)c->customer_id),
                      ctl_name_masked(ctl, c->customer_name), c->category, c->severity, c->state,
                      s_level(ctl, c->level), c->owner, ctl_local_time(ctl, c->opened_at_ms), due,
                      left);
    }
    ctl_table_print(t);
    ctl_table_destroy(&t);
}

/* One line about a complaint after a change. */
static void s_print_line(ctl_t *ctl, const Huifang__V1__Complaint *c)
{
    const char *due, *left;
    s_due_cells(ctl, c, &due, &left);
    if (s_finished(c))
        printf("complaint %lld %s %s level %s owner %s\n", (long long)c->id, c->category, c->state,
               s_level(ctl, c->level), ctl_str(c->owner));
    else if (s_running(c))
        printf("complaint %lld %s %s level %s owner %s due %s (%s left)\n", (long long)c->id,
               c->category, c->state, s_level(ctl, c->level), ctl_str(c->owner), due, left);
    else
        printf("complaint %lld %s %s level %s owner %s clock stopped (%s left)\n", (long long)c->id,
               c->category, c->state, s_level(ctl, c->level), ctl_str(c->owner), left);
}

/* ---------------------------------------------------------------------------------------
 * complaint file / list / show
 * ------------------------------------------------------------------------------------- */

int ctl_complaint_file(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("customer"), CTL_OPT("category"), CTL_OPT("text"),
                        CTL_OPT("severity"), CTL_OPT("channel"),  CTL_OPT("location"),
                        CTL_OPT("plan"),     CTL_OPT("owner"),    CTL_OPT_IDEMPOTENCY,
                        CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    Huifang__V1__ComplaintFile f = HUIFANG__V1__COMPLAINT_FILE__INIT;
    const char *v = ctl_require(ctl, opts, "customer");
    if (v == NULL || ctl_parse_id(ctl, "--customer", v, &f.customer_id) != 0)
        return ctl->exit;
    const char *category = ctl_require(ctl, opts, "category");
    if (category == NULL ||
        ctl_check_choice(ctl, "--category", category,
                         "product-effect|adverse-reaction|attitude|delivery|price|other") != 0)
        return ctl->exit;
    const char *text = ctl_require(ctl, opts, "text");
    if (text == NULL)
        return ctl->exit;
    if ((v = ctl_opt(opts, "severity")) &&
        ctl_check_choice(ctl, "--severity", v, "low|normal|high") != 0)
        return ctl->exit;
    f.severity = (char *)(v ? v : "");
    if ((v = ctl_opt(opts, "channel")) &&
        ctl_check_choice(ctl, "--channel", v,
                         "phone|visit|counter|consult|wechat|letter|event|other") != 0)
        return ctl->exit;
    f.channel = (char *)(v ? v : "");
    f.category = (char *)category;
    f.text = (char *)text;
    f.location = (char *)((v = ctl_opt(opts, "location")) ? v : "");
    f.plan = (char *)((v = ctl_opt(opts, "plan")) ? v : "");
    f.owner = (char *)((v = ctl_opt(opts, "owner")) ? v : "");
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_COMPLAINT_FILE;
    req.complaint_file = &f;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_COMPLAINT, &req, HUIFANG__V1__REPLY__RESULT_COMPLAINT, &rep);
    if (rc != HF_OK)
        return rc;
    if (ctl->json)
        ctl_json(&rep->complaint->base);
    else
        s_print_line(ctl, rep->complaint);
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_complaint_list(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_FLAG("open"), CTL_FLAG("overdue"), CTL_OPT("customer"),
                        CTL_OPT("limit"), CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    Huifang__V1__ComplaintList l = HUIFANG__V1__COMPLAINT_LIST__INIT;
    l.open = ctl_switch(opts, "open");
    l.overdue = ctl_switch(opts, "overdue");
    const char *v;
    if ((v = ctl_opt(opts, "customer")) && ctl_parse_id(ctl, "--customer", v, &l.customer_id) != 0)
        return ctl->exit;
    if ((v = ctl_opt(opts, "limit")) != NULL) {
        long n;
        if (ctl_parse_long(ctl, "--limit", v, 1, 10000, &n) != 0)
            return ctl->exit;
        l.limit = (int32_t)n;
    }
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_COMPLAINT_LIST;
    req.complaint_list = &l;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_COMPLAINT, &req, HUIFANG__V1__REPLY__RESULT_COMPLAINTS, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__ComplaintListResult *r = rep->complaints;
    if (ctl->json) {
        for (size_t i = 0; i < r->n_complaints; i++)
            ctl_json(&r->complaints[i]->base);
    } else if (r->n_complaints == 0) {
        ctl_error("no complaints%s", l.overdue ? " with a running clock" : l.open ? " open" : "");
    } else {
        s_print_list(ctl, r->complaints, r->n_complaints);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_complaint_show(ctl_t *ctl, int argc, char **argv)
{
    static const char *const pos_names[] = {"ID", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, NULL, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__ComplaintShow show = HUIFANG__V1__COMPLAINT_SHOW__INIT;
    if (ctl_parse_id(ctl, "ID", pos[0], &show.id) != 0)
        return ctl->exit;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_COMPLAINT_SHOW;
    req.complaint_show = &show;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_COMPLAINT, &req, HUIFANG__V1__REPLY__RESULT_COMPLAINT_DETAIL, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__ComplaintDetail *d = rep->complaint_detail;
    if (ctl->json) {
        ctl_json(&d->base);
        ctl_reply_free(&rep);
        return HF_OK;
    }
    const Huifang__V1__Complaint *c = d->complaint;
    if (c != NULL) {
        printf("complaint %lld\n", (long long)c->id);
        ctl_kv("customer", ctl_fmt(ctl, "%lld %s", (long long)c->customer_id,
                                   ctl_name_masked(ctl, c->customer_name)));
        ctl_kv("category", c->category);
        ctl_kv("severity", c->severity);
        ctl_kv("state", c->state);
        ctl_kv("level", c->breaches
                            ? ctl_fmt(ctl, "%s (escalated %d time%s)", s_level(ctl, c->level),
                                      c->breaches, c->breaches == 1 ? "" : "s")
                            : s_level(ctl, c->level));
        ctl_kv("owner", c->owner);
        ctl_kv("agent", c->agent);
        ctl_kv("channel", c->channel);
        ctl_kv("location", c->location);
        ctl_kv("opened", ctl_local_time(ctl, c->opened_at_ms));
        if (c->filed_by && *c->filed_by)
            ctl_kv("filed by", c->filed_by);
        if (c->source_contact_id)
            ctl_kv("contact", ctl_fmt(ctl, "%lld", (long long)c->source_contact_id));
        ctl_kv("period", ctl_fmt(ctl, "%s per level, %s", s_span(ctl, c->period_ms),
                                 c->business_hours ? "in business hours" : "around the clock"));
        if (s_finished(c))
            ctl_kv("due", "-");
        else if (s_running(c))
            ctl_kv("due", ctl_fmt(ctl, "%s (%s left)", ctl_local_time(ctl, c->due_at_ms),
                                  s_span(ctl, c->remaining_ms)));
        else
            ctl_kv("due",
                   ctl_fmt(ctl, "clock stopped since %s (%s left)",
                           ctl_local_time(ctl, c->paused_at_ms), s_span(ctl, c->remaining_ms)));
        ctl_kv("warned", c->warned ? ctl_fmt(ctl, "%d%% of this period", c->warned) : "");
        if (c->resolved_at_ms)
            ctl_kv("resolved", ctl_local_time(ctl, c->resolved_at_ms));
        ctl_kv("text", c->description);
        ctl_kv("plan", c->plan);
        if (c->resolution && *c->resolution)
            ctl_kv("resolution", c->resolution);
    }
    if (d->n_history > 0) {
        printf("\nhistory\n");
        ctl_table_t *t = ctl_table_new(6, "AT", "CHANGE", "LEVEL", "OWNER", "BY", "DUE");
        for (size_t i = 0; i < d->n_history; i++) {
            const Huifang__V1__ComplaintHistory *h = d->history[i];
            ctl_table_add(t, ctl_local_time(ctl, h->changed_at_ms), h->change,
                          s_level(ctl, h->level), h->owner,
                          h->actor && *h->actor ? h->actor : "clock",
                          ctl_local_time(ctl, h->due_at_ms));
        }
        ctl_table_print(t);
        ctl_table_destroy(&t);
    }
    fflush(stdout);
    ctl_reply_free(&rep);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * complaint start / wait / resume / resolve / close / reopen
 * ------------------------------------------------------------------------------------- */

static int s_act(ctl_t *ctl, int argc, char **argv, const char *action)
{
    static const char *const pos_names[] = {"ID", NULL};
    const char *pos[1];
    bool resolve = strcmp(action, "resolve") == 0;
    ctl_opt_t with[] = {CTL_OPT("resolution"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    ctl_opt_t without[] = {CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    ctl_opt_t *opts = resolve ? with : without;
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__ComplaintAct act = HUIFANG__V1__COMPLAINT_ACT__INIT;
    if (ctl_parse_id(ctl, "ID", pos[0], &act.id) != 0)
        return ctl->exit;
    act.action = (char *)action;
    if (resolve) {
        const char *v = ctl_require(ctl, opts, "resolution");
        if (v == NULL)
            return ctl->exit;
        act.resolution = (char *)v;
    }
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_COMPLAINT_ACT;
    req.complaint_act = &act;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_COMPLAINT, &req, HUIFANG__V1__REPLY__RESULT_COMPLAINT, &rep);
    if (rc != HF_OK)
        return rc;
    if (ctl->json)
        ctl_json(&rep->complaint->base);
    else
        s_print_line(ctl, rep->complaint);
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_complaint_start(ctl_t *ctl, int argc, char **argv)
{
    return s_act(ctl, argc, argv, "start");
}

int ctl_complaint_wait(ctl_t *ctl, int argc, char **argv)
{
    return s_act(ctl, argc, argv, "wait");
}

int ctl_complaint_resume(ctl_t *ctl, int argc, char **argv)
{
    return s_act(ctl, argc, argv, "resume");
}

int ctl_complaint_resolve(ctl_t *ctl, int argc, char **argv)
{
    return s_act(ctl, argc, argv, "resolve");
}

int ctl_complaint_close(ctl_t *ctl, int argc, char **argv)
{
    return s_act(ctl, argc, argv, "close");
}

int ctl_complaint_reopen(ctl_t *ctl, int argc, char **argv)
{
    return s_act(ctl, argc, argv, "reopen");
}

/* ---------------------------------------------------------------------------------------
 * complaint risks
 * ------------------------------------------------------------------------------------- */

int ctl_complaint_risks(ctl_t *ctl, int argc, char **argv)
{
    if (ctl_parse(ctl, argc, argv, NULL, NULL, NULL) != 0)
        return ctl->exit;
    Huifang__V1__RiskList l = HUIFANG__V1__RISK_LIST__INIT;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_RISK_LIST;
    req.risk_list = &l;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_COMPLAINT, &req, HUIFANG__V1__REPLY__RESULT_RISKS, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__RiskListResult *r = rep->risks;
    if (ctl->json) {
        for (size_t i = 0; i < r->n_risks; i++)
            ctl_json(&r->risks[i]->base);
    } else if (r->n_risks == 0) {
        ctl_error("no customer is flagged as a word-of-mouth risk");
    } else {
        ctl_table_t *t = ctl_table_new(5, "CUSTOMER", "NAME", "FLAGGED", "CONTACTS", "REASON");
        for (size_t i = 0; i < r->n_risks; i++) {
            const Huifang__V1__CustomerRisk *k = r->risks[i];
            ctl_table_add(t, ctl_fmt(ctl, "%lld", (long long)k->customer_id),
                          ctl_name_masked(ctl, k->customer_name),
                          ctl_local_time(ctl, k->flagged_at_ms),
                          ctl_fmt(ctl, "%lld, %lld", (long long)k->no_effect_contact_id,
                                  (long long)k->refusal_contact_id),
                          k->reason);
        }
        ctl_table_print(t);
        ctl_table_destroy(&t);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * configuration: complaint config / sla / calendar, return policy
 * ------------------------------------------------------------------------------------- */

static const char *s_from(ctl_t *ctl, const char *branch)
{
    return branch && *branch ? ctl_fmt(ctl, "branch %s", branch) : "default";
}

static void s_print_config(ctl_t *ctl, const Huifang__V1__ComplaintConfig *cfg)
{
    if (ctl->json) {
        ctl_json(&cfg->base);
        return;
    }
    ctl_table_t *t = ctl_table_new(5, "CATEGORY", "HOURS", "COUNTED", "FROM", "WAIT LIMIT");
    for (size_t i = 0; i < cfg->n_slas; i++) {
        const Huifang__V1__ComplaintSla *s = cfg->slas[i];
        ctl_table_add(t, s->category, ctl_fmt(ctl, "%d", s->hours),
                      s->business_hours ? "business hours" : "around the clock",
                      s_from(ctl, s->branch),
                      s->wait_hours > 0 ? ctl_fmt(ctl, "%d h", s->wait_hours) : "none");
    }
    ctl_table_print(t);
    ctl_table_destroy(&t);
    const Huifang__V1__ComplaintCalendar *c = cfg->calendar;
    if (c != NULL) {
        printf("\nbusiness hours (%s)\n", s_from(ctl, c->branch));
        ctl_kv("day", c->day);
        ctl_kv("lunch", c->lunch);
        ctl_kv("workdays", ctl_fmt(ctl, "%s (ISO: 1 Monday .. 7 Sunday)", ctl_str(c->workdays)));
        char holidays[2048] = "";
        size_t o = 0;
        for (size_t i = 0; i < c->n_holidays && o + 12 < sizeof holidays; i++)
            o += (size_t)snprintf(holidays + o, sizeof holidays - o, "%s%s", i ? " " : "",
                                  c->holidays[i]);
        ctl_kv("holidays", holidays);
    }
    const Huifang__V1__ReturnPolicy *p = cfg->policy;
    if (p != NULL) {
        printf("\nreturns (%s)\n", s_from(ctl, p->branch));
        ctl_kv("opened pack", ctl_fmt(ctl, "%s yuan + %d.%02d%% of the price paid",
                                      ctl_yuan(ctl, p->opened_fee_fen), p->opened_fee_bp / 100,
                                      p->opened_fee_bp % 100));
    }
    fflush(stdout);
}

static int s_call_config(ctl_t *ctl, hf_request_t *req)
{
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_COMPLAINT, req, HUIFANG__V1__REPLY__RESULT_COMPLAINT_CONFIG, &rep);
    if (rc != HF_OK)
        return rc;
    s_print_config(ctl, rep->complaint_config);
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_complaint_config(ctl_t *ctl, int argc, char **argv)
{
    if (ctl_parse(ctl, argc, argv, NULL, NULL, NULL) != 0)
        return ctl->exit;
    Huifang__V1__ComplaintConfigShow show = HUIFANG__V1__COMPLAINT_CONFIG_SHOW__INIT;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_COMPLAINT_CONFIG_SHOW;
    req.complaint_config_show = &show;
    return s_call_config(ctl, &req);
}

int ctl_complaint_sla(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("category"),   CTL_OPT("hours"),    CTL_FLAG("business-hours"),
                        CTL_OPT("wait-hours"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    Huifang__V1__ComplaintSla sla = HUIFANG__V1__COMPLAINT_SLA__INIT;
    const char *category = ctl_opt(opts, "category");
    if (category &&
        ctl_check_choice(ctl, "--category", category,
                         "product-effect|adverse-reaction|attitude|delivery|price|other|*") != 0)
        return ctl->exit;
    const char *v = ctl_require(ctl, opts, "hours");
    long hours;
    if (v == NULL || ctl_parse_long(ctl, "--hours", v, 1, 720, &hours) != 0)
        return ctl->exit;
    sla.category = (char *)(category ? category : "*");
    sla.hours = (int32_t)hours;
    sla.business_hours = ctl_switch(opts, "business-hours");
    if ((v = ctl_opt(opts, "wait-hours")) != NULL) {
        long wait = -1;
        if (strcmp(v, "none") != 0 && ctl_parse_long(ctl, "--wait-hours", v, 1, 720, &wait) != 0)
            return ctl->exit;
        sla.wait_hours = (int32_t)wait;
    }
    Huifang__V1__ComplaintSlaSet set = HUIFANG__V1__COMPLAINT_SLA_SET__INIT;
    set.sla = &sla;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_COMPLAINT_SLA_SET;
    req.complaint_sla_set = &set;
    return s_call_config(ctl, &req);
}

int ctl_complaint_calendar(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("day"),      CTL_OPT("lunch"),    CTL_FLAG("no-lunch"),
                        CTL_OPT("workdays"), CTL_OPT("holidays"), CTL_OPT_IDEMPOTENCY,
                        CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    Huifang__V1__ComplaintCalendar cal = HUIFANG__V1__COMPLAINT_CALENDAR__INIT;
    const char *day = ctl_require(ctl, opts, "day");
    if (day == NULL)
        return ctl->exit;
    cal.day = (char *)day;
    const char *v = ctl_opt(opts, "lunch");
    if (v && ctl_switch(opts, "no-lunch")) {
        ctl_fail(ctl, HF_BAD_INPUT, "--lunch and --no-lunch exclude each other");
        return ctl->exit;
    }
    cal.lunch = (char *)(v ? v : ctl_switch(opts, "no-lunch") ? "" : "12:00-13:00");
    v = ctl_opt(opts, "workdays");
    cal.workdays = (char *)(v ? v : "1-5");
    /* --holidays replaces the branch's list ("none" empties it); without it the list stays */
    char *list[400];
    size_t n = 0;
    if ((v = ctl_opt(opts, "holidays")) != NULL) {
        cal.set_holidays = true;
        if (strcmp(v, "none") != 0) {
            char *copy = (char *)ctl_fmt(ctl, "%s", v);
            char *save = NULL;
            for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                if (n == sizeof list / sizeof list[0]) {
                    ctl_fail(ctl, HF_BAD_INPUT, "--holidays: at most 400 dates");
                    return ctl->exit;
                }
                if (ctl_check_date(ctl, "--holidays", tok) != 0)
                    return ctl->exit;
                list[n++] = tok;
            }
        }
    }
    cal.holidays = list;
    cal.n_holidays = n;
    Huifang__V1__ComplaintCalendarSet set = HUIFANG__V1__COMPLAINT_CALENDAR_SET__INIT;
    set.calendar = &cal;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_COMPLAINT_CALENDAR_SET;
    req.complaint_calendar_set = &set;
    return s_call_config(ctl, &req);
}

/* Parses a percentage with at most two decimals ("10", "7.5") into basis points. */
static int s_parse_percent(ctl_t *ctl, const char *label, const char *text, int32_t *bp)
{
    const char *p = text;
    long whole = 0, frac = 0;
    int digits = 0, decimals = 0;
    for (; *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
        whole = whole * 10 + (*p - '0');
    bool ok = digits >= 1;
    if (ok && *p == '.') {
        p++;
        for (; *p >= '0' && *p <= '9' && decimals < 3; p++, decimals++)
            frac = frac * 10 + (*p - '0');
        ok = decimals >= 1 && decimals <= 2;
        if (decimals == 1)
            frac *= 10;
    }
    long v = whole * 100 + frac;
    if (!ok || *p != '\0' || v > 10000)
        return ctl_fail(ctl, HF_BAD_INPUT,
                        "%s must be a percentage from 0 to 100 with at most two decimals", label);
    *bp = (int32_t)v;
    return 0;
}

int ctl_return_policy(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("opened-fee"), CTL_OPT("opened-percent"), CTL_OPT_IDEMPOTENCY,
                        CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    Huifang__V1__ReturnPolicy pol = HUIFANG__V1__RETURN_POLICY__INIT;
    const char *fee = ctl_opt(opts, "opened-fee"), *pct = ctl_opt(opts, "opened-percent");
    if (fee == NULL && pct == NULL) {
        ctl_fail(ctl, HF_BAD_INPUT, "--opened-fee or --opened-percent is required");
        return ctl->exit;
    }
    if (fee && ctl_parse_yuan(ctl, "--opened-fee", fee, &pol.opened_fee_fen) != 0)
        return ctl->exit;
    if (pct && s_parse_percent(ctl, "--opened-percent", pct, &pol.opened_fee_bp) != 0)
        return ctl->exit;
    Huifang__V1__ReturnPolicySet set = HUIFANG__V1__RETURN_POLICY_SET__INIT;
    set.policy = &pol;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_RETURN_POLICY_SET;
    req.return_policy_set = &set;
    return s_call_config(ctl, &req);
}

/* ---------------------------------------------------------------------------------------
 * returns
 * ------------------------------------------------------------------------------------- */

static void s_print_return(ctl_t *ctl, const Huifang__V1__ReturnRequest *r)
{
    if (ctl->json) {
        ctl_json(&r->base);
        return;
    }
    printf("return %lld %s\n", (long long)r->id, ctl_str(r->state));
    ctl_kv("purchase", ctl_fmt(ctl, "%lld (%s x %d) of customer %lld", (long long)r->purchase_id,
                               ctl_str(r->product), r->quantity, (long long)r->customer_id));
    ctl_kv("reason", r->reason);
    ctl_kv("paid", ctl_yuan(ctl, r->price_paid_fen));
    ctl_kv("depreciation", ctl_fmt(ctl, "%s (%d used x %s)", ctl_yuan(ctl, r->depreciation_fen),
                                   r->used_qty, ctl_yuan(ctl, r->unit_price_fen)));
    ctl_kv("packaging", ctl_fmt(ctl, "%s (%s)", ctl_yuan(ctl, r->packaging_fee_fen),
                                r->packaging_intact ? "intact" : "opened"));
    ctl_kv("refund", ctl_yuan(ctl, r->refund_fen));
    ctl_kv("requested", ctl_fmt(ctl, "%s by %s", ctl_local_time(ctl, r->requested_at_ms),
                                ctl_str(r->requested_by)));
    if (r->decided_at_ms)
        ctl_kv("decided", ctl_fmt(ctl, "%s by %s%s%s", ctl_local_time(ctl, r->decided_at_ms),
                                  ctl_str(r->decided_by),
                                  r->decision_reason && *r->decision_reason ? ": " : "",
                                  r->decision_reason ? r->decision_reason : ""));
    fflush(stdout);
}

int ctl_return_request(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("purchase"), CTL_OPT("used"),     CTL_OPT("packaging"),
                        CTL_OPT("reason"),   CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    Huifang__V1__ReturnFile f = HUIFANG__V1__RETURN_FILE__INIT;
    const char *v = ctl_require(ctl, opts, "purchase");
    if (v == NULL || ctl_parse_id(ctl, "--purchase", v, &f.purchase_id) != 0)
        return ctl->exit;
    long used;
    v = ctl_require(ctl, opts, "used");
    if (v == NULL || ctl_parse_long(ctl, "--used", v, 0, 10000, &used) != 0)
        return ctl->exit;
    f.used_qty = (int32_t)used;
    v = ctl_require(ctl, opts, "packaging");
    if (v == NULL || ctl_check_choice(ctl, "--packaging", v, "intact|opened") != 0)
        return ctl->exit;
    f.packaging = (char *)v;
    v = ctl_require(ctl, opts, "reason");
    if (v == NULL)
        return ctl->exit;
    f.reason = (char *)v;
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_RETURN_FILE;
    req.return_file = &f;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_COMPLAINT, &req, HUIFANG__V1__REPLY__RESULT_RETURN_REQUEST, &rep);
    if (rc != HF_OK)
        return rc;
    s_print_return(ctl, rep->return_request);
    ctl_reply_free(&rep);
    return HF_OK;
}

static int s_decide(ctl_t *ctl, int argc, char **argv, bool approve)
{
    static const char *const pos_names[] = {"ID", NULL};
    const char *pos[1];
    ctl_opt_t opts[] = {CTL_OPT("reason"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__ReturnDecide d = HUIFANG__V1__RETURN_DECIDE__INIT;
    if (ctl_parse_id(ctl, "ID", pos[0], &d.id) != 0)
        return ctl->exit;
    d.approve = approve;
    const char *reason = approve ? ctl_opt(opts, "reason") : ctl_require(ctl, opts, "reason");
    if (!approve && reason == NULL)
        return ctl->exit;
    d.reason = (char *)(reason ? reason : "");
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_RETURN_DECIDE;
    req.return_decide = &d;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_COMPLAINT, &req, HUIFANG__V1__REPLY__RESULT_RETURN_REQUEST, &rep);
    if (rc != HF_OK)
        return rc;
    s_print_return(ctl, rep->return_request);
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_return_approve(ctl_t *ctl, int argc, char **argv)
{
    return s_decide(ctl, argc, argv, true);
}

int ctl_return_reject(ctl_t *ctl, int argc, char **argv)
{
    return s_decide(ctl, argc, argv, false);
}

int ctl_return_list(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_FLAG("pending"), CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    Huifang__V1__ReturnList l = HUIFANG__V1__RETURN_LIST__INIT;
    l.pending = ctl_switch(opts, "pending");
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_RETURN_LIST;
    req.return_list = &l;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_COMPLAINT, &req, HUIFANG__V1__REPLY__RESULT_RETURNS, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__ReturnListResult *r = rep->returns;
    if (ctl->json) {
        for (size_t i = 0; i < r->n_requests; i++)
            ctl_json(&r->requests[i]->base);
    } else if (r->n_requests == 0) {
        ctl_error("no return requests%s", l.pending ? " waiting for a manager" : "");
    } else {
        ctl_table_t *t =
            ctl_table_new(11, "RETURN", "PURCHASE", "CUSTOMER", "PRODUCT", "USED", "PACK", "PAID",
                          "REFUND", "STATE", "REQUESTED", "DECIDED BY");
        for (size_t i = 0; i < r->n_requests; i++) {
            const Huifang__V1__ReturnRequest *q = r->requests[i];
            ctl_table_add(t, ctl_fmt(ctl, "%lld", (long long)q->id),
                          ctl_fmt(ctl, "%lld", (long long)q->purchase_id),
                          ctl_fmt(ctl, "%lld", (long long)q->customer_id), q->product,
                          ctl_fmt(ctl, "%d/%d", q->used_qty, q->quantity),
                          q->packaging_intact ? "intact" : "opened",
                          ctl_yuan(ctl, q->price_paid_fen), ctl_yuan(ctl, q->refund_fen), q->state,
                          ctl_local_time(ctl, q->requested_at_ms), q->decided_by);
        }
        ctl_table_print(t);
        ctl_table_destroy(&t);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}
