/* ctl_occasion: the occasion commands of `huifang` (see ctl_occasion.h). The client checks
 * only what it parses (numbers, lists); the services check the rest and name the field. */
#include "ctl_occasion.h"
#include "hf_clock.h"
#include "hf_festival.h"
#include "hf_time.h"
#include <stdlib.h>
#include <string.h>

/* Splits "R1,R2" into a list (arena memory); exit 2 on an empty element. */
static int s_split(ctl_t *ctl, const char *flag, const char *text, char ***out, size_t *n)
{
    size_t count = 1;
    for (const char *p = text; *p; p++)
        count += *p == ',';
    char **list = hf_new_array(ctl->arena, char *, count);
    size_t k = 0;
    for (const char *p = text;;) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        while (p < end && *p == ' ')
            p++;
        while (end > p && end[-1] == ' ')
            end--;
        if (end == p)
            return ctl_fail(ctl, HF_BAD_INPUT, "%s has an empty element in '%s'", flag, text);
        list[k++] = (char *)ctl_fmt(ctl, "%.*s", (int)(end - p), p);
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    *out = list;
    *n = k;
    return 0;
}

static const char *s_regions(ctl_t *ctl, char **regions, size_t n)
{
    if (n == 0)
        return "-";
    const char *s = regions[0];
    for (size_t i = 1; i < n; i++)
        s = ctl_fmt(ctl, "%s,%s", s, regions[i]);
    return s;
}

static void s_print_rules(ctl_t *ctl, const hf_reply_t *rep)
{
    Huifang__V1__OccasionRule *const *rules = rep->occasion_rules->rules;
    size_t n = rep->occasion_rules->n_rules;
    if (ctl->json) {
        for (size_t i = 0; i < n; i++)
            ctl_json(&rules[i]->base);
        return;
    }
    ctl_table_t *t = ctl_table_new(8, "RULE", "OCCASION", "DAYS BEFORE", "PURPOSE", "CARD", "TIER",
                                   "REGIONS", "SCRIPT");
    for (size_t i = 0; i < n; i++) {
        const Huifang__V1__OccasionRule *r = rules[i];
        ctl_table_add(t, ctl_fmt(ctl, "%lld", (long long)r->id), r->occasion,
                      ctl_fmt(ctl, "%d", (int)r->days_before), r->purpose, ctl_str(r->card_type),
                      ctl_str(r->tier), s_regions(ctl, r->regions, r->n_regions),
                      ctl_str(r->script));
    }
    ctl_table_print(t);
    ctl_table_destroy(&t);
}

static void s_print_rule_added(ctl_t *ctl, const hf_reply_t *rep)
{
    if (ctl->json)
        ctl_json(&rep->occasion_rule->base);
    else
        printf("rule %lld: %s\n", (long long)rep->occasion_rule->id, rep->occasion_rule->occasion);
}

static void s_print_rule_removed(ctl_t *ctl, const hf_reply_t *rep)
{
    if (ctl->json)
        ctl_json(&rep->occasion_rule->base);
    else
        printf("rule %lld removed\n", (long long)rep->occasion_rule->id);
}

int ctl_occasion_rule_add(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("days-before"), CTL_OPT("purpose"),  CTL_OPT("script"),
                        CTL_OPT("card-type"),   CTL_OPT("tier"),     CTL_OPT("regions"),
                        CTL_OPT("segment"),     CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const pos_names[] = {"OCCASION", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__OccasionRule rule = HUIFANG__V1__OCCASION_RULE__INIT;
    rule.occasion = (char *)pos[0];
    const char *v;
    long n;
    if ((v = ctl_opt(opts, "days-before"))) {
        if (ctl_parse_long(ctl, "--days-before", v, 0, 30, &n) != 0)
            return ctl->exit;
        rule.days_before = (int32_t)n;
    }
    if ((v = ctl_opt(opts, "segment")) && ctl_parse_id(ctl, "--segment", v, &rule.segment_id) != 0)
        return ctl->exit;
    if ((v = ctl_opt(opts, "regions")) &&
        s_split(ctl, "--regions", v, &rule.regions, &rule.n_regions) != 0)
        return ctl->exit;
    rule.purpose = (char *)(ctl_opt(opts, "purpose") ? ctl_opt(opts, "purpose") : "");
    rule.script = (char *)(ctl_opt(opts, "script") ? ctl_opt(opts, "script") : "");
    rule.card_type = (char *)(ctl_opt(opts, "card-type") ? ctl_opt(opts, "card-type") : "");
    rule.tier = (char *)(ctl_opt(opts, "tier") ? ctl_opt(opts, "tier") : "");
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    Huifang__V1__OccasionRuleAdd add = HUIFANG__V1__OCCASION_RULE_ADD__INIT;
    add.rule = &rule;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_OCCASION_RULE_ADD;
    req.occasion_rule_add = &add;
    return ctl_call_print(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_OCCASION_RULE,
                          s_print_rule_added);
}

int ctl_occasion_rule_list(ctl_t *ctl, int argc, char **argv)
{
    if (ctl_parse(ctl, argc, argv, NULL, NULL, NULL) != 0 || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    Huifang__V1__OccasionRuleList list = HUIFANG__V1__OCCASION_RULE_LIST__INIT;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_OCCASION_RULE_LIST;
    req.occasion_rule_list = &list;
    return ctl_call_print(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_OCCASION_RULES,
                          s_print_rules);
}

int ctl_occasion_rule_remove(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const pos_names[] = {"ID", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__OccasionRuleRemove rm = HUIFANG__V1__OCCASION_RULE_REMOVE__INIT;
    if (ctl_parse_id(ctl, "ID", pos[0], &rm.id) != 0 || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_OCCASION_RULE_REMOVE;
    req.occasion_rule_remove = &rm;
    return ctl_call_print(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_OCCASION_RULE,
                          s_print_rule_removed);
}

int ctl_occasion_trigger(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("regions"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const pos_names[] = {"KIND", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__OccasionTrigger trig = HUIFANG__V1__OCCASION_TRIGGER__INIT;
    trig.kind = (char *)pos[0];
    const char *v = ctl_require(ctl, opts, "regions");
    if (v == NULL || s_split(ctl, "--regions", v, &trig.regions, &trig.n_regions) != 0 ||
        ctl_need_branch(ctl) != 0)
        return ctl->exit;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_OCCASION_TRIGGER;
    req.occasion_trigger = &trig;
    hf_reply_t *rep = NULL;
    int rc =
        ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_OCCASION_TRIGGER_RESULT, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__OccasionTriggerResult *r = rep->occasion_trigger_result;
    if (ctl->json)
        ctl_json(&r->base);
    else
        printf("%s on %s: %d customers by %d rules\n", trig.kind, r->day, (int)r->customers,
               (int)r->rules);
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_occasion_festivals(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("year"), CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    char today[11];
    /* ctl->tz is always a zone: main.c sets it from HUIFANG_TZ or HF_DEFAULT_TZ and checks it */
    hf_time_local_date(hf_clock_now_ms(), ctl->tz, today);
    long year = atol(today);
    const char *v = ctl_opt(opts, "year");
    if (v &&
        ctl_parse_long(ctl, "--year", v, HF_FESTIVAL_YEAR_MIN, HF_FESTIVAL_YEAR_MAX, &year) != 0)
        return ctl->exit;
    ctl_table_t *t = ctl_table_new(3, "FESTIVAL", "DATE", "NAME");
    for (int i = 0; hf_festival_at(i); i++) {
        const char *name = hf_festival_at(i), *why = NULL;
        int32_t day;
        if (hf_festival_date(name, (int)year, &day, &why) != 0) {
            ctl_table_destroy(&t);
            return ctl_fail(ctl, 1, "%s %ld: %s", name, year, why), ctl->exit;
        }
        char date[11];
        hf_date_format(day, date);
        if (ctl->json)
            printf("{\"festival\":\"%s\",\"date\":\"%s\",\"name\":\"%s\"}\n", name, date,
                   hf_festival_title(name));
        else
            ctl_table_add(t, name, ctl_fmt(ctl, "%s", date), hf_festival_title(name));
    }
    if (!ctl->json)
        ctl_table_print(t);
    ctl_table_destroy(&t);
    return HF_OK;
}

static void s_print_cap(ctl_t *ctl, const hf_reply_t *rep)
{
    const Huifang__V1__ContactCap *c = rep->contact_cap;
    if (ctl->json)
        ctl_json(&c->base);
    else
        printf("%s: at most %d contacts a customer a week (%s)\n", c->branch, (int)c->per_week,
               c->own ? "the branch's own" : "the default");
}

static int s_cap_call(ctl_t *ctl, hf_request_t *req)
{
    return ctl_call_print(ctl, CTL_SCHEDULER, req, HUIFANG__V1__REPLY__RESULT_CONTACT_CAP,
                          s_print_cap);
}

int ctl_occasion_cap_show(ctl_t *ctl, int argc, char **argv)
{
    if (ctl_parse(ctl, argc, argv, NULL, NULL, NULL) != 0 || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    Huifang__V1__ContactCapGet get = HUIFANG__V1__CONTACT_CAP_GET__INIT;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_CONTACT_CAP_GET;
    req.contact_cap_get = &get;
    return s_cap_call(ctl, &req);
}

int ctl_occasion_cap_set(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("per-week"), CTL_FLAG("reset"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    Huifang__V1__ContactCapSet set = HUIFANG__V1__CONTACT_CAP_SET__INIT;
    set.reset = ctl_switch(opts, "reset");
    const char *v = ctl_opt(opts, "per-week");
    long n;
    if (v) {
        if (ctl_parse_long(ctl, "--per-week", v, -1000, 1000, &n) != 0)
            return ctl->exit;
        set.per_week = (int32_t)n;
    } else if (!set.reset) {
        return ctl_fail(ctl, HF_BAD_INPUT, "--per-week N or --reset is required"), ctl->exit;
    }
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_CONTACT_CAP_SET;
    req.contact_cap_set = &set;
    return s_cap_call(ctl, &req);
}
