/* ctl_work: the daily work — worklists, tasks and plans (scheduler), calls (calllog). */
#include "ctl.h"
#include "ctl_calllog.h"

#include <string.h>

/* ---------------------------------------------------------------------------------------
 * Shared output
 * ------------------------------------------------------------------------------------- */

/* The agent a command is about: --agent, else the acting agent (--as / HUIFANG_AGENT). */
static const char *s_agent(ctl_t *ctl, const ctl_opt_t *opts)
{
    const char *agent = ctl_opt(opts, "agent");
    if (agent == NULL && ctl->actor && *ctl->actor)
        agent = ctl->actor;
    if (agent == NULL)
        ctl_fail(ctl, HF_BAD_INPUT, "--agent is required (or give --as / set HUIFANG_AGENT)");
    return agent;
}

/* A date bag as a table; with_agent adds whose bag each task is in (every agent's bags). */
static void s_print_tasks(ctl_t *ctl, Huifang__V1__Task **tasks, size_t n, bool with_agent)
{
    ctl_table_t *t = with_agent
                         ? ctl_table_new(11, "AGENT", "TASK", "DUE", "PURPOSE", "CHANNEL",
                                         "CUSTOMER", "NAME", "PHONE", "REGION", "STATE", "TRIES")
                         : ctl_table_new(10, "TASK", "DUE", "PURPOSE", "CHANNEL", "CUSTOMER",
                                         "NAME", "PHONE", "REGION", "STATE", "TRIES");
    for (size_t i = 0; i < n; i++) {
        const Huifang__V1__Task *k = tasks[i];
        const char *id = ctl_fmt(ctl, "%lld", (long long)k->id);
        const char *due = ctl_local_time(ctl, k->due_at_ms);
        const char *customer = ctl_fmt(ctl, "%lld", (long long)k->customer_id);
        const char *phone = ctl_phone_masked(ctl, k->customer_phone);
        const char *state =
            k->rolls > 0 ? ctl_fmt(ctl, "%s, rolled %dd", k->state, k->rolls) : k->state;
        const char *tries = ctl_fmt(ctl, "%d", k->attempts);
        if (with_agent)
            ctl_table_add(t, k->agent, id, due, k->purpose, k->channel, customer, k->customer_name,
                          phone, k->region, state, tries);
        else
            ctl_table_add(t, id, due, k->purpose, k->channel, customer, k->customer_name, phone,
                          k->region, state, tries);
    }
    ctl_table_print(t);
    ctl_table_destroy(&t);
}

/* How full each bag is against capacity, and (a preview) what finds no room. */
static void s_print_loads(const Huifang__V1__TaskList *list)
{
    for (size_t i = 0; i < list->n_loads; i++) {
        const Huifang__V1__BagLoad *l = list->loads[i];
        printf("%s: %d of %d calls, %d of %d visits\n", l->agent, l->calls, l->call_capacity,
               l->visits, l->visit_capacity);
    }
    if (list->unplaced > 0)
        printf("%d task%s of the branch find%s no room that day: %s over to the next\n",
               list->unplaced, list->unplaced == 1 ? "" : "s", list->unplaced == 1 ? "s" : "",
               list->unplaced == 1 ? "it rolls" : "they roll");
}

/* Prints a task with its customer's context; phones unmasked only when the agent is about
 * to call (task next). */
static void s_print_context(ctl_t *ctl, const Huifang__V1__TaskContext *ctx, bool unmasked)
{
    const Huifang__V1__Task *k = ctx->task;
    if (k != NULL) {
        printf("task %lld\n", (long long)k->id);
        ctl_kv("purpose", ctl_fmt(ctl, "%s (step %d)", ctl_str(k->purpose), k->step_no));
        ctl_kv("channel", k->channel);
        ctl_kv("due", ctl_fmt(ctl, "%s (%s)", ctl_local_time(ctl, k->due_at_ms), ctl->tz));
        ctl_kv("state", k->state);
        ctl_kv("agent", k->agent);
        ctl_kv("role", k->role);
        ctl_kv("priority", ctl_fmt(ctl, "%d", k->priority));
        ctl_kv("attempts", ctl_fmt(ctl, "%d", k->attempts));
        ctl_kv("bag date", k->bag_date);
        if (k->windows && *k->windows)
            ctl_kv("call windows", k->windows);
        if (k->origin && *k->origin && strcmp(k->origin, "plan") != 0)
            ctl_kv("origin", k->reserved_agent && *k->reserved_agent
                                 ? ctl_fmt(ctl, "%s (promised by %s)", k->origin, k->reserved_agent)
                                 : k->origin);
        ctl_kv("purchase", k->purchase_id ? ctl_fmt(ctl, "%lld", (long long)k->purchase_id) : "");
        if (k->outcome && *k->outcome)
            ctl_kv("outcome", k->outcome);
        if (k->talking_points && *k->talking_points) /* campaigns, occasions: what to say */
            ctl_kv("talking points", k->talking_points);
    }
    /* a scheduler from before the task column held a campaign's talking points */
    if (ctx->talking_points && *ctx->talking_points &&
        (k == NULL || k->talking_points == NULL || *k->talking_points == '\0'))
        ctl_kv("talking points", ctx->talking_points);
    if (ctx->customer != NULL) {
        printf("\n");
        ctl_print_customer(ctl, ctx->customer, unmasked);
    } else if (k != NULL) {
        printf("\ncustomer %lld\n", (long long)k->customer_id);
        ctl_kv("name", k->customer_name);
        ctl_kv("phone", unmasked ? k->customer_phone : ctl_phone_masked(ctl, k->customer_phone));
        ctl_kv("region", k->region);
    }
    if (ctx->n_purchases > 0) {
        printf("\npurchases\n");
        ctl_print_purchases(ctl, ctx->purchases, ctx->n_purchases);
    }
    if (ctx->n_history > 0) {
        printf("\nhistory\n");
        ctl_table_t *t =
            ctl_table_new(7, "TASK", "DUE", "PURPOSE", "CHANNEL", "STATE", "AGENT", "OUTCOME");
        for (size_t i = 0; i < ctx->n_history; i++) {
            const Huifang__V1__Task *h = ctx->history[i];
            ctl_table_add(t, ctl_fmt(ctl, "%lld", (long long)h->id),
                          ctl_local_time(ctl, h->due_at_ms), h->purpose, h->channel, h->state,
                          h->agent, h->outcome);
        }
        ctl_table_print(t);
        ctl_table_destroy(&t);
    }
    if (ctx->n_contacts > 0) {
        printf("\nearlier contacts\n");
        ctl_table_t *t =
            ctl_table_new(7, "WHEN", "AGENT", "CHANNEL", "PURPOSE", "OUTCOME", "EFFECT", "NOTE");
        for (size_t i = 0; i < ctx->n_contacts; i++) {
            const Huifang__V1__ContactNote *c = ctx->contacts[i];
            ctl_table_add(t, ctl_local_time(ctl, c->logged_at_ms), c->agent, c->channel, c->purpose,
                          c->order_qty ? ctl_fmt(ctl, "%s, ordered %d", c->outcome, c->order_qty)
                                       : c->outcome,
                          c->effect, c->note);
        }
        ctl_table_print(t);
        ctl_table_destroy(&t);
    }
    fflush(stdout);
}

/* ---------------------------------------------------------------------------------------
 * worklist, task next, task show
 * ------------------------------------------------------------------------------------- */

int ctl_worklist(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("agent"), CTL_OPT("date"), CTL_FLAG("all"), CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    bool all = ctl_switch(opts, "all");
    const char *agent = all ? ctl_opt(opts, "agent") : s_agent(ctl, opts);
    if (agent == NULL && !all)
        return ctl->exit;
    const char *date = ctl_opt(opts, "date");
    /* today and tomorrow are the branch's: the scheduler reads them in the branch's zone */
    if (date && strcmp(date, "today") != 0 && strcmp(date, "tomorrow") != 0 &&
        ctl_check_date(ctl, "--date", date) != 0)
        return ctl->exit;
    Huifang__V1__WorklistGet get = HUIFANG__V1__WORKLIST_GET__INIT;
    get.agent = (char *)(agent ? agent : "");
    get.date = (char *)(date ? date : "");
    get.all = all;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_WORKLIST_GET;
    req.worklist_get = &get;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_SCHEDULER, &req, HUIFANG__V1__REPLY__RESULT_TASKS, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__TaskList *list = rep->tasks;
    if (ctl->json) {
        for (size_t i = 0; i < list->n_tasks; i++)
            ctl_json(&list->tasks[i]->base);
    } else {
        if (list->preview)
            printf("the bag%s for %s as it would be filled now (nothing assigned yet)\n",
                   all ? "s" : "", date);
        if (list->n_tasks == 0)
            ctl_error("no tasks in the worklist of %s%s%s", all ? "any agent" : agent,
                      date ? " for " : "", date ? date : "");
        else
            s_print_tasks(ctl, list->tasks, list->n_tasks, all);
        s_print_loads(list);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_task_next(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("agent"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    const char *agent = s_agent(ctl, opts);
    if (agent == NULL)
        return ctl->exit;
    Huifang__V1__TaskNext next = HUIFANG__V1__TASK_NEXT__INIT;
    next.agent = (char *)agent;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_TASK_NEXT;
    req.task_next = &next;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_SCHEDULER, &req, HUIFANG__V1__REPLY__RESULT_TASK, &rep);
    if (rc != HF_OK)
        return rc;
    if (ctl->json)
        ctl_json(&rep->task->base);
    else
        s_print_context(ctl, rep->task, true);
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_task_show(ctl_t *ctl, int argc, char **argv)
{
    static const char *const pos_names[] = {"ID", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, NULL, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__TaskShow show = HUIFANG__V1__TASK_SHOW__INIT;
    if (ctl_parse_id(ctl, "ID", pos[0], &show.id) != 0)
        return ctl->exit;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_TASK_SHOW;
    req.task_show = &show;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_SCHEDULER, &req, HUIFANG__V1__REPLY__RESULT_TASK, &rep);
    if (rc != HF_OK)
        return rc;
    if (ctl->json)
        ctl_json(&rep->task->base);
    else
        s_print_context(ctl, rep->task, false);
    ctl_reply_free(&rep);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * task release, task skip
 * ------------------------------------------------------------------------------------- */

/* Sends a task release or skip; prints the task as it is now (JSON: the Task). */
static int s_task_end_call(ctl_t *ctl, hf_request_t *req)
{
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_SCHEDULER, req, HUIFANG__V1__REPLY__RESULT_TASK, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__Task *t = rep->task->task;
    if (t == NULL) {
        ctl_error("the scheduler answered without the task");
        ctl_reply_free(&rep);
        return HF_INTERNAL;
    }
    if (ctl->json)
        ctl_json(&t->base);
    else if (strcmp(t->state, "planned") == 0)
        printf("task %lld released: back in the queue for a colleague (its holder is no longer"
               " active)\n",
               (long long)t->id);
    else if (strcmp(t->state, "assigned") == 0)
        printf("task %lld released: back in %s's bag for %s\n", (long long)t->id, t->agent,
               ctl_str(t->bag_date));
    else
        printf("task %lld skipped: %s\n", (long long)t->id, t->skip_reason);
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_task_release(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const pos_names[] = {"ID", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__TaskRelease release = HUIFANG__V1__TASK_RELEASE__INIT;
    if (ctl_parse_id(ctl, "ID", pos[0], &release.id) != 0 || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_TASK_RELEASE;
    req.task_release = &release;
    return s_task_end_call(ctl, &req);
}

int ctl_task_skip(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("reason"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const pos_names[] = {"ID", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__TaskSkip skip = HUIFANG__V1__TASK_SKIP__INIT;
    if (ctl_parse_id(ctl, "ID", pos[0], &skip.id) != 0)
        return ctl->exit;
    const char *reason = ctl_require(ctl, opts, "reason");
    if (reason == NULL || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    skip.reason = (char *)reason;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_TASK_SKIP;
    req.task_skip = &skip;
    return s_task_end_call(ctl, &req);
}

/* ---------------------------------------------------------------------------------------
 * call log
 * ------------------------------------------------------------------------------------- */

int ctl_call_log(ctl_t *ctl, int argc, char **argv)
{
    /* the contact's flags are shared with `visit log` (ctl_calllog.c) */
    ctl_opt_t opts[] = {CTL_OPT("task"),  CTL_OPT("outcome"),  CTL_OPT("channel"),
                        CTL_CONTACT_OPTS, CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    return ctl_contact_log(ctl, opts, false);
}

/* ---------------------------------------------------------------------------------------
 * plan list / show
 * ------------------------------------------------------------------------------------- */

int ctl_plan_list(ctl_t *ctl, int argc, char **argv)
{
    if (ctl_parse(ctl, argc, argv, NULL, NULL, NULL) != 0)
        return ctl->exit;
    Huifang__V1__PlanList list = HUIFANG__V1__PLAN_LIST__INIT;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_PLAN_LIST;
    req.plan_list = &list;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_SCHEDULER, &req, HUIFANG__V1__REPLY__RESULT_PLANS, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__PlanTemplates *p = rep->plans;
    if (ctl->json) {
        for (size_t i = 0; i < p->n_templates; i++)
            ctl_json(&p->templates[i]->base);
    } else {
        ctl_table_t *t = ctl_table_new(3, "TEMPLATE", "NAME", "STEPS");
        for (size_t i = 0; i < p->n_templates; i++)
            ctl_table_add(t, p->templates[i]->code, p->templates[i]->name,
                          ctl_fmt(ctl, "%zu", p->templates[i]->n_steps));
        ctl_table_print(t);
        ctl_table_destroy(&t);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}

void ctl_print_plan(ctl_t *ctl, const Huifang__V1__PlanTemplate *tpl)
{
    if (ctl->json) {
        ctl_json(&tpl->base);
        return;
    }
    printf("plan %s  %s\n", ctl_str(tpl->code), ctl_str(tpl->name));
    ctl_table_t *t = ctl_table_new(8, "STEP", "ANCHOR", "OFFSET", "WINDOW", "REPEAT", "PURPOSE",
                                   "CHANNEL", "ROLE");
    for (size_t i = 0; i < tpl->n_steps; i++) {
        const Huifang__V1__PlanStep *s = tpl->steps[i];
        ctl_table_add(t, ctl_fmt(ctl, "%d", s->step_no), s->anchor,
                      ctl_fmt(ctl, "%+dd", s->offset_days),
                      s->window_days ? ctl_fmt(ctl, "%dd", s->window_days) : "",
                      s->repeat_days ? ctl_fmt(ctl, "every %dd", s->repeat_days) : "", s->purpose,
                      s->channel, s->role);
    }
    ctl_table_print(t);
    ctl_table_destroy(&t);
    fflush(stdout);
}

int ctl_plan_show(ctl_t *ctl, int argc, char **argv)
{
    static const char *const pos_names[] = {"TEMPLATE", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, NULL, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__PlanShow show = HUIFANG__V1__PLAN_SHOW__INIT;
    show.code = (char *)pos[0];
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_PLAN_SHOW;
    req.plan_show = &show;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_SCHEDULER, &req, HUIFANG__V1__REPLY__RESULT_PLANS, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__PlanTemplates *p = rep->plans;
    const Huifang__V1__PlanTemplate *tpl = NULL;
    for (size_t i = 0; i < p->n_templates && tpl == NULL; i++)
        if (p->templates[i]->code && strcmp(p->templates[i]->code, pos[0]) == 0)
            tpl = p->templates[i];
    if (tpl == NULL && p->n_templates == 1)
        tpl = p->templates[0];
    if (tpl == NULL) {
        ctl_error("no plan template '%s'", pos[0]);
        ctl_reply_free(&rep);
        return HF_NOT_FOUND;
    }
    ctl_print_plan(ctl, tpl);
    ctl_reply_free(&rep);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * queue stats / rebuild
 * ------------------------------------------------------------------------------------- */

static void s_print_queue_stats(ctl_t *ctl, const Huifang__V1__QueueStatsResult *r)
{
    if (ctl->json) {
        for (size_t i = 0; i < r->n_branches; i++)
            ctl_json(&r->branches[i]->base);
        return;
    }
    ctl_table_t *t = ctl_table_new(5, "BRANCH", "DUE", "LEASED", "OVERDUE", "PLANNED");
    for (size_t i = 0; i < r->n_branches; i++) {
        const Huifang__V1__QueueBranchStats *b = r->branches[i];
        ctl_table_add(t, b->branch, ctl_fmt(ctl, "%lld", (long long)b->due),
                      ctl_fmt(ctl, "%lld", (long long)b->leased),
                      ctl_fmt(ctl, "%lld", (long long)b->overdue),
                      ctl_fmt(ctl, "%lld", (long long)b->planned));
    }
    ctl_table_print(t);
    ctl_table_destroy(&t);
}

int ctl_queue_stats(ctl_t *ctl, int argc, char **argv)
{
    if (ctl_parse(ctl, argc, argv, NULL, NULL, NULL) != 0)
        return ctl->exit;
    Huifang__V1__QueueStats stats = HUIFANG__V1__QUEUE_STATS__INIT;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_QUEUE_STATS;
    req.queue_stats = &stats;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_SCHEDULER, &req, HUIFANG__V1__REPLY__RESULT_QUEUE_STATS, &rep);
    if (rc != HF_OK)
        return rc;
    s_print_queue_stats(ctl, rep->queue_stats);
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_queue_rebuild(ctl_t *ctl, int argc, char **argv)
{
    /* --branch is the global flag: the request's branch is the one to rebuild */
    ctl_opt_t opts[] = {CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    Huifang__V1__QueueRebuild rebuild = HUIFANG__V1__QUEUE_REBUILD__INIT;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_QUEUE_REBUILD;
    req.queue_rebuild = &rebuild;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_SCHEDULER, &req, 0, &rep);
    if (rc != HF_OK)
        return rc;
    if (rep->result_case == HUIFANG__V1__REPLY__RESULT_QUEUE_STATS)
        s_print_queue_stats(ctl, rep->queue_stats);
    else if (ctl->json)
        ctl_json(&rep->base);
    else
        printf("due-index rebuilt for %s\n",
               *req.branch ? ctl_fmt(ctl, "branch %s", req.branch) : "every branch");
    ctl_reply_free(&rep);
    return HF_OK;
}
