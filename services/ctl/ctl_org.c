/* ctl_org: branches, agents and products — the organisation, owned by the intake service. */
#include "ctl.h"

#include "hf_replica.h"
#include "hf_time.h"

#include <string.h>

/* ---------------------------------------------------------------------------------------
 * branch add
 * ------------------------------------------------------------------------------------- */

int ctl_branch_add(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("name"),       CTL_OPT("tz"),       CTL_OPT("windows"),
                        CTL_OPT("lead-plans"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const pos_names[] = {"CODE", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    const char *name = ctl_require(ctl, opts, "name");
    if (name == NULL)
        return ctl->exit;
    const char *tz = ctl_opt(opts, "tz");
    if (tz == NULL)
        tz = HF_DEFAULT_TZ;
    if (!hf_tz_valid(tz)) {
        ctl_fail(ctl, HF_BAD_INPUT, "--tz names no known time zone: '%s'", tz);
        return ctl->exit;
    }
    const char *windows = ctl_opt(opts, "windows");
    hf_window_t w[16];
    if (windows && hf_windows_parse(windows, w, 16) < 0) {
        ctl_fail(ctl, HF_BAD_INPUT,
                 "--windows must look like 11:30-14:00,18:00-20:00 (each start before its end, "
                 "no overlaps), not '%s'",
                 windows);
        return ctl->exit;
    }

    Huifang__V1__Branch branch = HUIFANG__V1__BRANCH__INIT;
    branch.code = (char *)pos[0];
    branch.name = (char *)name;
    branch.tz = (char *)tz;
    branch.windows = (char *)(windows ? windows : "");
    /* checked by intake (channels, and the plans asked of the scheduler) */
    const char *lead_plans = ctl_opt(opts, "lead-plans");
    branch.lead_plans = (char *)(lead_plans ? lead_plans : "");
    Huifang__V1__BranchAdd add = HUIFANG__V1__BRANCH_ADD__INIT;
    add.branch = &branch;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    /* the branch being added is the request's branch unless the caller named another */
    if (*req.branch == '\0')
        req.branch = (char *)pos[0];
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_BRANCH_ADD;
    req.branch_add = &add;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_BRANCH, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__Branch *b = rep->branch;
    if (ctl->json) {
        ctl_json(&b->base);
    } else {
        ctl_table_t *t = ctl_table_new(4, "BRANCH", "NAME", "TZ", "WINDOWS");
        ctl_table_add(t, b->code, b->name, b->tz, b->windows);
        ctl_table_print(t);
        ctl_table_destroy(&t);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * agent add
 * ------------------------------------------------------------------------------------- */

/* Splits "R1, R2" into trimmed arena strings; an empty element is an error. */
static int s_split_regions(ctl_t *ctl, const char *text, char ***out, size_t *n)
{
    size_t count = 1;
    for (const char *p = text; *p; p++)
        if (*p == ',')
            count++;
    char **list = hf_new_array(ctl->arena, char *, count);
    size_t k = 0;
    const char *p = text;
    for (;;) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (end == p)
            return ctl_fail(ctl, HF_BAD_INPUT, "--regions has an empty region in '%s'", text);
        list[k++] = (char *)ctl_fmt(ctl, "%.*s", (int)(end - p), p);
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    *out = list;
    *n = k;
    return 0;
}

int ctl_agent_add(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {
        CTL_OPT("name"),         CTL_OPT("role"),     CTL_OPT("regions"), CTL_OPT("daily-calls"),
        CTL_OPT("daily-visits"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const pos_names[] = {"ID", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    const char *name = ctl_require(ctl, opts, "name");
    if (name == NULL)
        return ctl->exit;
    const char *role = ctl_require(ctl, opts, "role");
    if (role == NULL ||
        ctl_check_choice(ctl, "--role", role,
                         "phone|consult|visit|doctor|deliver|lead|head|manager") != 0)
        return ctl->exit;
    long calls = 40, visits = 8;
    const char *v;
    if ((v = ctl_opt(opts, "daily-calls")) &&
        ctl_parse_long(ctl, "--daily-calls", v, 0, 1000, &calls) != 0)
        return ctl->exit;
    if ((v = ctl_opt(opts, "daily-visits")) &&
        ctl_parse_long(ctl, "--daily-visits", v, 0, 100, &visits) != 0)
        return ctl->exit;
    Huifang__V1__Agent agent = HUIFANG__V1__AGENT__INIT;
    if ((v = ctl_opt(opts, "regions")) &&
        s_split_regions(ctl, v, &agent.regions, &agent.n_regions) != 0)
        return ctl->exit;
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;

    agent.id = (char *)pos[0];
    agent.branch = (char *)ctl->branch;
    agent.name = (char *)name;
    agent.role = (char *)role;
    agent.daily_calls = (int32_t)calls;
    agent.daily_visits = (int32_t)visits;
    agent.active = true;
    Huifang__V1__AgentAdd add = HUIFANG__V1__AGENT_ADD__INIT;
    add.agent = &agent;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_AGENT_ADD;
    req.agent_add = &add;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_AGENT, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__Agent *a = rep->agent;
    if (ctl->json) {
        ctl_json(&a->base);
    } else {
        char regions[512] = "";
        size_t used = 0;
        for (size_t i = 0; i < a->n_regions && used < sizeof regions; i++)
            used += (size_t)snprintf(regions + used, sizeof regions - used, "%s%s", i ? "," : "",
                                     a->regions[i]);
        ctl_table_t *t = ctl_table_new(8, "AGENT", "BRANCH", "NAME", "ROLE", "REGIONS", "CALLS",
                                       "VISITS", "ACTIVE");
        ctl_table_add(t, a->id, a->branch, a->name, a->role, regions,
                      ctl_fmt(ctl, "%d", a->daily_calls), ctl_fmt(ctl, "%d", a->daily_visits),
                      a->active ? "yes" : "no");
        ctl_table_print(t);
        ctl_table_destroy(&t);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * product add
 * ------------------------------------------------------------------------------------- */

int ctl_product_add(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("name"), CTL_OPT("days-per-unit"), CTL_OPT("price"),
                        CTL_OPT("plan"), CTL_OPT_IDEMPOTENCY,      CTL_OPT_END};
    static const char *const pos_names[] = {"CODE", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    const char *name = ctl_require(ctl, opts, "name");
    if (name == NULL)
        return ctl->exit;
    const char *v = ctl_require(ctl, opts, "days-per-unit");
    long days;
    if (v == NULL || ctl_parse_long(ctl, "--days-per-unit", v, 1, 3650, &days) != 0)
        return ctl->exit;
    v = ctl_require(ctl, opts, "price");
    int64_t fen;
    if (v == NULL || ctl_parse_yuan(ctl, "--price", v, &fen) != 0)
        return ctl->exit;
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;

    Huifang__V1__Product product = HUIFANG__V1__PRODUCT__INIT;
    product.code = (char *)pos[0];
    product.branch = (char *)ctl->branch;
    product.name = (char *)name;
    product.days_per_unit = (int32_t)days;
    product.price_fen = fen;
    const char *plan = ctl_opt(opts, "plan");
    product.plan = (char *)(plan ? plan : "");
    Huifang__V1__ProductAdd add = HUIFANG__V1__PRODUCT_ADD__INIT;
    add.product = &product;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_PRODUCT_ADD;
    req.product_add = &add;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_PRODUCT, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__Product *p = rep->product;
    if (ctl->json) {
        ctl_json(&p->base);
    } else {
        ctl_table_t *t =
            ctl_table_new(6, "PRODUCT", "BRANCH", "NAME", "DAYS/UNIT", "PRICE", "PLAN");
        ctl_table_add(t, p->code, p->branch, p->name, ctl_fmt(ctl, "%d", p->days_per_unit),
                      ctl_yuan(ctl, p->price_fen), p->plan);
        ctl_table_print(t);
        ctl_table_destroy(&t);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * branch list, agent list, product list, agent edit / deactivate, product edit
 * ------------------------------------------------------------------------------------- */

/* Asks intake for a list of the organisation; HF_OK with *rep (the caller frees it). */
static int s_org_list(ctl_t *ctl, const char *kind, const char *role, const char *active,
                      hf_reply_t **rep)
{
    Huifang__V1__OrgList list = HUIFANG__V1__ORG_LIST__INIT;
    list.kind = (char *)kind;
    list.role = (char *)(role ? role : "");
    list.active = (char *)(active ? active : "");
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_ORG_LIST;
    req.org_list = &list;
    return ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_ORG_LIST, rep);
}

static const char *s_regions_text(ctl_t *ctl, char **regions, size_t n)
{
    const char *out = "";
    for (size_t i = 0; i < n; i++)
        out = ctl_fmt(ctl, "%s%s%s", out, i ? "," : "", regions[i]);
    return out;
}

static void s_print_agents(ctl_t *ctl, Huifang__V1__Agent **agents, size_t n)
{
    if (ctl->json) {
        for (size_t i = 0; i < n; i++)
            ctl_json(&agents[i]->base);
        return;
    }
    ctl_table_t *t =
        ctl_table_new(8, "AGENT", "BRANCH", "NAME", "ROLE", "REGIONS", "CALLS", "VISITS", "ACTIVE");
    for (size_t i = 0; i < n; i++) {
        const Huifang__V1__Agent *a = agents[i];
        ctl_table_add(t, a->id, a->branch, a->name, a->role,
                      s_regions_text(ctl, a->regions, a->n_regions),
                      ctl_fmt(ctl, "%d", a->daily_calls), ctl_fmt(ctl, "%d", a->daily_visits),
                      a->active ? "yes" : "no");
    }
    ctl_table_print(t);
    ctl_table_destroy(&t);
}

static void s_print_products(ctl_t *ctl, Huifang__V1__Product **products, size_t n)
{
    if (ctl->json) {
        for (size_t i = 0; i < n; i++)
            ctl_json(&products[i]->base);
        return;
    }
    ctl_table_t *t = ctl_table_new(6, "PRODUCT", "BRANCH", "NAME", "DAYS/UNIT", "PRICE", "PLAN");
    for (size_t i = 0; i < n; i++) {
        const Huifang__V1__Product *p = products[i];
        ctl_table_add(t, p->code, p->branch, p->name, ctl_fmt(ctl, "%d", p->days_per_unit),
                      ctl_yuan(ctl, p->price_fen), p->plan);
    }
    ctl_table_print(t);
    ctl_table_destroy(&t);
}

int ctl_branch_list(ctl_t *ctl, int argc, char **argv)
{
    if (ctl_parse(ctl, argc, argv, NULL, NULL, NULL) != 0)
        return ctl->exit;
    hf_reply_t *rep = NULL;
    int rc = s_org_list(ctl, "branches", NULL, NULL, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__OrgListResult *r = rep->org_list;
    if (ctl->json) {
        for (size_t i = 0; i < r->n_branches; i++)
            ctl_json(&r->branches[i]->base);
    } else {
        ctl_table_t *t = ctl_table_new(4, "BRANCH", "NAME", "TZ", "WINDOWS");
        for (size_t i = 0; i < r->n_branches; i++)
            ctl_table_add(t, r->branches[i]->code, r->branches[i]->name, r->branches[i]->tz,
                          ctl_str(r->branches[i]->windows));
        ctl_table_print(t);
        ctl_table_destroy(&t);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_agent_list(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("role"), CTL_OPT("active"), CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    const char *role = ctl_opt(opts, "role"), *active = ctl_opt(opts, "active");
    if (role && ctl_check_choice(ctl, "--role", role,
                                 "phone|consult|visit|doctor|deliver|lead|head|manager") != 0)
        return ctl->exit;
    if (active && ctl_check_choice(ctl, "--active", active, "yes|no") != 0)
        return ctl->exit;
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    hf_reply_t *rep = NULL;
    int rc = s_org_list(ctl, "agents", role, active, &rep);
    if (rc != HF_OK)
        return rc;
    s_print_agents(ctl, rep->org_list->agents, rep->org_list->n_agents);
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_product_list(ctl_t *ctl, int argc, char **argv)
{
    if (ctl_parse(ctl, argc, argv, NULL, NULL, NULL) != 0 || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    hf_reply_t *rep = NULL;
    int rc = s_org_list(ctl, "products", NULL, NULL, &rep);
    if (rc != HF_OK)
        return rc;
    s_print_products(ctl, rep->org_list->products, rep->org_list->n_products);
    ctl_reply_free(&rep);
    return HF_OK;
}

/* Sends an agent edit and prints the agent as it is now. */
static int s_agent_edit_call(ctl_t *ctl, Huifang__V1__AgentEdit *edit, const ctl_opt_t *opts)
{
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_AGENT_EDIT;
    req.agent_edit = edit;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_AGENT, &rep);
    if (rc != HF_OK)
        return rc;
    s_print_agents(ctl, &rep->agent, 1);
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_agent_edit(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {
        CTL_OPT("name"),         CTL_OPT("role"),   CTL_OPT("regions"),  CTL_OPT("daily-calls"),
        CTL_OPT("daily-visits"), CTL_OPT("active"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const pos_names[] = {"ID", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__AgentEdit edit = HUIFANG__V1__AGENT_EDIT__INIT;
    edit.id = (char *)pos[0];
    const char *v;
    bool any = false;
    if ((v = ctl_opt(opts, "name")) != NULL)
        edit.name = (char *)v, any = true;
    if ((v = ctl_opt(opts, "role")) != NULL) {
        if (ctl_check_choice(ctl, "--role", v,
                             "phone|consult|visit|doctor|deliver|lead|head|manager") != 0)
            return ctl->exit;
        edit.role = (char *)v, any = true;
    }
    if ((v = ctl_opt(opts, "regions")) != NULL) {
        if (s_split_regions(ctl, v, &edit.regions, &edit.n_regions) != 0)
            return ctl->exit;
        edit.set_regions = true, any = true;
    }
    long n;
    if ((v = ctl_opt(opts, "daily-calls")) != NULL) {
        if (ctl_parse_long(ctl, "--daily-calls", v, 0, 1000, &n) != 0)
            return ctl->exit;
        edit.set_daily_calls = true, edit.daily_calls = (int32_t)n, any = true;
    }
    if ((v = ctl_opt(opts, "daily-visits")) != NULL) {
        if (ctl_parse_long(ctl, "--daily-visits", v, 0, 100, &n) != 0)
            return ctl->exit;
        edit.set_daily_visits = true, edit.daily_visits = (int32_t)n, any = true;
    }
    if ((v = ctl_opt(opts, "active")) != NULL) {
        if (ctl_check_choice(ctl, "--active", v, "yes|no") != 0)
            return ctl->exit;
        edit.activate = strcmp(v, "yes") == 0;
        edit.deactivate = !edit.activate;
        any = true;
    }
    if (!any) {
        ctl_fail(ctl, HF_BAD_INPUT,
                 "nothing to change: give --name, --role, --regions, --daily-calls, "
                 "--daily-visits or --active");
        return ctl->exit;
    }
    return s_agent_edit_call(ctl, &edit, opts);
}

int ctl_agent_deactivate(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const pos_names[] = {"ID", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__AgentEdit edit = HUIFANG__V1__AGENT_EDIT__INIT;
    edit.id = (char *)pos[0];
    edit.deactivate = true;
    return s_agent_edit_call(ctl, &edit, opts);
}

int ctl_product_edit(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("name"), CTL_OPT("days-per-unit"), CTL_OPT("price"),
                        CTL_OPT("plan"), CTL_OPT_IDEMPOTENCY,      CTL_OPT_END};
    static const char *const pos_names[] = {"CODE", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__ProductEdit edit = HUIFANG__V1__PRODUCT_EDIT__INIT;
    edit.code = (char *)pos[0];
    const char *v;
    bool any = false;
    if ((v = ctl_opt(opts, "name")) != NULL)
        edit.name = (char *)v, any = true;
    long days;
    if ((v = ctl_opt(opts, "days-per-unit")) != NULL) {
        if (ctl_parse_long(ctl, "--days-per-unit", v, 1, 3650, &days) != 0)
            return ctl->exit;
        edit.days_per_unit = (int32_t)days, any = true;
    }
    if ((v = ctl_opt(opts, "price")) != NULL) {
        if (ctl_parse_yuan(ctl, "--price", v, &edit.price_fen) != 0)
            return ctl->exit;
        edit.set_price = true, any = true;
    }
    if ((v = ctl_opt(opts, "plan")) != NULL)
        edit.plan = (char *)v, any = true;
    if (!any) {
        ctl_fail(ctl, HF_BAD_INPUT,
                 "nothing to change: give --name, --days-per-unit, --price or --plan");
        return ctl->exit;
    }
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_PRODUCT_EDIT;
    req.product_edit = &edit;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_PRODUCT, &rep);
    if (rc != HF_OK)
        return rc;
    s_print_products(ctl, &rep->product, 1);
    ctl_reply_free(&rep);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * rules: loyalty tiers and stages, data per branch
 * ------------------------------------------------------------------------------------- */

static void s_print_rules(ctl_t *ctl, const Huifang__V1__Rules *r)
{
    if (ctl->json) {
        ctl_json(&r->base);
        return;
    }
    printf("tiers of %s (%s)\n", r->branch, r->own_tiers ? "the branch's own" : "the defaults");
    ctl_table_t *t = ctl_table_new(3, "TIER", "MIN-SPEND", "MIN-PURCHASES");
    for (size_t i = 0; i < r->n_tiers; i++)
        ctl_table_add(t, r->tiers[i]->tier, ctl_yuan(ctl, r->tiers[i]->min_spend_fen),
                      ctl_fmt(ctl, "%d", r->tiers[i]->min_purchases));
    ctl_table_add(t, "regular", "-", "-");
    ctl_table_print(t);
    ctl_table_destroy(&t);
    printf("\nstages of %s (%s), by the age since the reference date\n", r->branch,
           r->own_stages ? "the branch's own" : "the defaults");
    t = ctl_table_new(5, "STAGE", "UNIT", "FROM", "TO", "LABEL");
    for (size_t i = 0; i < r->n_stages; i++) {
        const Huifang__V1__StageRule *s = r->stages[i];
        ctl_table_add(t, s->code, s->unit, s->has_from ? ctl_fmt(ctl, "%d", s->from) : "-",
                      s->has_to ? ctl_fmt(ctl, "%d", s->to) : "-", s->label);
    }
    ctl_table_print(t);
    ctl_table_destroy(&t);
}

/* Sends a rules request and prints the rules it answers with. */
static int s_rules_call(ctl_t *ctl, hf_request_t *req)
{
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, req, HUIFANG__V1__REPLY__RESULT_RULES, &rep);
    if (rc != HF_OK)
        return rc;
    s_print_rules(ctl, rep->rules);
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_rules_show(ctl_t *ctl, int argc, char **argv)
{
    if (ctl_parse(ctl, argc, argv, NULL, NULL, NULL) != 0 || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    Huifang__V1__RulesGet get = HUIFANG__V1__RULES_GET__INIT;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_RULES_GET;
    req.rules_get = &get;
    return s_rules_call(ctl, &req);
}

int ctl_tier_set(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("min-spend"), CTL_OPT("min-purchases"), CTL_OPT_IDEMPOTENCY,
                        CTL_OPT_END};
    static const char *const pos_names[] = {"TIER", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    if (ctl_check_choice(ctl, "TIER", pos[0], "gold|silver|member") != 0)
        return ctl->exit;
    Huifang__V1__TierRule tier = HUIFANG__V1__TIER_RULE__INIT;
    tier.tier = (char *)pos[0];
    const char *v = ctl_require(ctl, opts, "min-spend");
    if (v == NULL || ctl_parse_yuan(ctl, "--min-spend", v, &tier.min_spend_fen) != 0)
        return ctl->exit;
    long n = 0;
    if ((v = ctl_opt(opts, "min-purchases")) &&
        ctl_parse_long(ctl, "--min-purchases", v, 0, 10000, &n) != 0)
        return ctl->exit;
    tier.min_purchases = (int32_t)n;
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    Huifang__V1__TierRule *tiers[] = {&tier};
    Huifang__V1__RulesSet set = HUIFANG__V1__RULES_SET__INIT;
    set.tiers = tiers;
    set.n_tiers = 1;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_RULES_SET;
    req.rules_set = &set;
    return s_rules_call(ctl, &req);
}

int ctl_stage_set(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("from"),  CTL_OPT("to"),       CTL_OPT("unit"),
                        CTL_OPT("label"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const pos_names[] = {"CODE", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__StageRule stage = HUIFANG__V1__STAGE_RULE__INIT;
    stage.code = (char *)pos[0];
    const char *unit = ctl_opt(opts, "unit");
    if (unit && ctl_check_choice(ctl, "--unit", unit, "month|day") != 0)
        return ctl->exit;
    stage.unit = (char *)(unit ? unit : "month");
    long v;
    const char *t;
    if ((t = ctl_opt(opts, "from")) != NULL) {
        if (ctl_parse_long(ctl, "--from", t, -100000, 100000, &v) != 0)
            return ctl->exit;
        stage.has_from = true;
        stage.from = (int32_t)v;
    }
    if ((t = ctl_opt(opts, "to")) != NULL) {
        if (ctl_parse_long(ctl, "--to", t, -100000, 100000, &v) != 0)
            return ctl->exit;
        stage.has_to = true;
        stage.to = (int32_t)v;
    }
    if (!stage.has_from && !stage.has_to) {
        ctl_fail(ctl, HF_BAD_INPUT, "--from or --to is required (the ages the stage covers)");
        return ctl->exit;
    }
    const char *label = ctl_opt(opts, "label");
    stage.label = (char *)(label ? label : "");
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    Huifang__V1__StageRule *stages[] = {&stage};
    Huifang__V1__RulesSet set = HUIFANG__V1__RULES_SET__INIT;
    set.stages = stages;
    set.n_stages = 1;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_RULES_SET;
    req.rules_set = &set;
    return s_rules_call(ctl, &req);
}

int ctl_stage_remove(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const pos_names[] = {"CODE", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0 || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    char *codes[] = {(char *)pos[0]};
    Huifang__V1__RulesSet set = HUIFANG__V1__RULES_SET__INIT;
    set.remove_stages = codes;
    set.n_remove_stages = 1;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_RULES_SET;
    req.rules_set = &set;
    return s_rules_call(ctl, &req);
}
