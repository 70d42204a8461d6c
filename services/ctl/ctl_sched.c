/* ctl_sched: the scheduler's commands for clerks and supervisors — plan templates
 * (plan add, plan step), absences (agent absent) and supervisor alerts (supervisor alerts,
 * supervisor ack). The daily work (worklist, task next, ...) is in ctl_work.c. */
#include "ctl.h"

#include <string.h>

/* ---------------------------------------------------------------------------------------
 * plan add / plan step
 * ------------------------------------------------------------------------------------- */

/* Sends a template change and prints the template as it now stands. */
static int s_plan_change(ctl_t *ctl, hf_request_t *req, const char *code)
{
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_SCHEDULER, req, HUIFANG__V1__REPLY__RESULT_PLANS, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__PlanTemplates *p = rep->plans;
    for (size_t i = 0; i < p->n_templates; i++)
        if (p->templates[i]->code && strcmp(p->templates[i]->code, code) == 0)
            ctl_print_plan(ctl, p->templates[i]);
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_plan_add(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("name"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const pos_names[] = {"CODE", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    const char *name = ctl_require(ctl, opts, "name");
    if (name == NULL)
        return ctl->exit;
    Huifang__V1__PlanAdd add = HUIFANG__V1__PLAN_ADD__INIT;
    add.code = (char *)pos[0];
    add.name = (char *)name;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_PLAN_ADD;
    req.plan_add = &add;
    return s_plan_change(ctl, &req, pos[0]);
}

int ctl_plan_step(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("step"),     CTL_OPT("anchor"), CTL_OPT("offset"),
                        CTL_OPT("window"),   CTL_OPT("repeat"), CTL_OPT("purpose"),
                        CTL_OPT("channel"),  CTL_OPT("role"),   CTL_FLAG("remove"),
                        CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const pos_names[] = {"CODE", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__PlanStep step = HUIFANG__V1__PLAN_STEP__INIT;
    Huifang__V1__PlanStepSet set = HUIFANG__V1__PLAN_STEP_SET__INIT;
    set.code = (char *)pos[0];
    set.step = &step;
    set.remove = ctl_switch(opts, "remove");
    long v;
    const char *s = ctl_require(ctl, opts, "step");
    if (s == NULL || ctl_parse_long(ctl, "--step", s, 1, 99, &v) != 0)
        return ctl->exit;
    step.step_no = (int32_t)v;
    if (!set.remove) {
        const char *anchor = ctl_require(ctl, opts, "anchor");
        if (anchor == NULL ||
            ctl_check_choice(ctl, "--anchor", anchor, "purchase|supply_end|previous|ref_date") != 0)
            return ctl->exit;
        step.anchor = (char *)anchor;
        if ((s = ctl_require(ctl, opts, "offset")) == NULL ||
            ctl_parse_long(ctl, "--offset", s, -365, 3650, &v) != 0)
            return ctl->exit;
        step.offset_days = (int32_t)v;
        if ((s = ctl_opt(opts, "window")) != NULL) {
            if (ctl_parse_long(ctl, "--window", s, 0, 60, &v) != 0)
                return ctl->exit;
            step.window_days = (int32_t)v;
        }
        if ((s = ctl_opt(opts, "repeat")) != NULL) {
            if (ctl_parse_long(ctl, "--repeat", s, 0, 365, &v) != 0)
                return ctl->exit;
            step.repeat_days = (int32_t)v;
        }
        /* purpose words are the scheduler's to judge (care, repurchase, reaction, ...) */
        if ((step.purpose = (char *)ctl_require(ctl, opts, "purpose")) == NULL)
            return ctl->exit;
        const char *channel = ctl_require(ctl, opts, "channel");
        if (channel == NULL ||
            ctl_check_choice(ctl, "--channel", channel, "phone|visit|letter|wechat") != 0)
            return ctl->exit;
        step.channel = (char *)channel;
        const char *role = ctl_require(ctl, opts, "role");
        if (role == NULL ||
            ctl_check_choice(ctl, "--role", role,
                             "phone|consult|visit|doctor|deliver|lead|head|manager") != 0)
            return ctl->exit;
        step.role = (char *)role;
    }
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_PLAN_STEP_SET;
    req.plan_step_set = &set;
    return s_plan_change(ctl, &req, pos[0]);
}

/* ---------------------------------------------------------------------------------------
 * agent absent
 * ------------------------------------------------------------------------------------- */

int ctl_agent_absent(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("date"), CTL_OPT("from"), CTL_OPT("until"), CTL_OPT_IDEMPOTENCY,
                        CTL_OPT_END};
    static const char *const pos_names[] = {"ID", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    const char *date = ctl_opt(opts, "date"), *from = ctl_opt(opts, "from"),
               *until = ctl_opt(opts, "until");
    if (date && (from || until)) {
        ctl_fail(ctl, HF_BAD_INPUT, "give either --date or --from/--until, not both");
        return ctl->exit;
    }
    if (date == NULL && from == NULL) {
        ctl_fail(ctl, HF_BAD_INPUT, "--date or --from is required");
        return ctl->exit;
    }
    if (date)
        from = until = date;
    if (ctl_check_date(ctl, date ? "--date" : "--from", from) != 0 ||
        (until && ctl_check_date(ctl, "--until", until) != 0))
        return ctl->exit;
    Huifang__V1__AgentAbsent ab = HUIFANG__V1__AGENT_ABSENT__INIT;
    ab.agent = (char *)pos[0];
    ab.from = (char *)from;
    ab.until = (char *)(until ? until : from);
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_AGENT_ABSENT;
    req.agent_absent = &ab;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_SCHEDULER, &req, HUIFANG__V1__REPLY__RESULT_AGENT_ABSENT, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__AgentAbsentResult *r = rep->agent_absent;
    if (ctl->json) {
        ctl_json(&r->base);
    } else {
        printf("agent %s absent %s .. %s: %zu task(s) moved to colleagues, %d back in the queue\n",
               r->agent, r->from, r->until, r->n_moved, r->unplaced);
        if (r->n_moved > 0) {
            ctl_table_t *t = ctl_table_new(5, "TASK", "PURPOSE", "CUSTOMER", "NOW WITH", "BAG");
            for (size_t i = 0; i < r->n_moved; i++) {
                const Huifang__V1__Task *k = r->moved[i];
                ctl_table_add(t, ctl_fmt(ctl, "%lld", (long long)k->id), k->purpose,
                              ctl_fmt(ctl, "%lld", (long long)k->customer_id), k->agent,
                              k->bag_date);
            }
            ctl_table_print(t);
            ctl_table_destroy(&t);
        }
    }
    ctl_reply_free(&rep);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * supervisor alerts / ack
 * ------------------------------------------------------------------------------------- */

static void s_print_alerts(ctl_t *ctl, const Huifang__V1__SupervisorAlerts *r)
{
    if (ctl->json) {
        for (size_t i = 0; i < r->n_alerts; i++)
            ctl_json(&r->alerts[i]->base);
        return;
    }
    ctl_table_t *t = ctl_table_new(8, "ALERT", "RAISED", "KIND", "BRANCH", "CUSTOMER", "TASK",
                                   "AGENT", "DETAIL");
    for (size_t i = 0; i < r->n_alerts; i++) {
        const Huifang__V1__SupervisorAlert *al = r->alerts[i];
        ctl_table_add(t, ctl_fmt(ctl, "%lld", (long long)al->id),
                      ctl_local_time(ctl, al->raised_at_ms), al->kind, al->branch,
                      al->customer_id ? ctl_fmt(ctl, "%lld", (long long)al->customer_id) : "",
                      al->task_id ? ctl_fmt(ctl, "%lld", (long long)al->task_id) : "", al->agent,
                      al->acked_at_ms
                          ? ctl_fmt(ctl, "%s (acknowledged by %s)", al->detail, al->acked_by)
                          : al->detail);
    }
    ctl_table_print(t);
    ctl_table_destroy(&t);
}

int ctl_supervisor_alerts(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_FLAG("all"), CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    Huifang__V1__SupervisorAlertList list = HUIFANG__V1__SUPERVISOR_ALERT_LIST__INIT;
    list.all = ctl_switch(opts, "all");
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_SUPERVISOR_ALERT_LIST;
    req.supervisor_alert_list = &list;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_SCHEDULER, &req, HUIFANG__V1__REPLY__RESULT_SUPERVISOR_ALERTS, &rep);
    if (rc != HF_OK)
        return rc;
    if (rep->supervisor_alerts->n_alerts == 0 && !ctl->json)
        ctl_error("no %salerts", list.all ? "" : "open ");
    else
        s_print_alerts(ctl, rep->supervisor_alerts);
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_supervisor_ack(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const pos_names[] = {"ID", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__SupervisorAlertAck ack = HUIFANG__V1__SUPERVISOR_ALERT_ACK__INIT;
    if (ctl_parse_id(ctl, "ID", pos[0], &ack.id) != 0)
        return ctl->exit;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_SUPERVISOR_ALERT_ACK;
    req.supervisor_alert_ack = &ack;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_SCHEDULER, &req, HUIFANG__V1__REPLY__RESULT_SUPERVISOR_ALERTS, &rep);
    if (rc != HF_OK)
        return rc;
    s_print_alerts(ctl, rep->supervisor_alerts);
    ctl_reply_free(&rep);
    return HF_OK;
}
