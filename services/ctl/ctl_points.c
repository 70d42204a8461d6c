/* ctl_points: `huifang points show|redeem|rules` and `huifang gift add|list`. The service
 * (intake) checks every value; this file parses numbers and lays out the answers. */
#include "ctl_points.h"

#include <stdlib.h>
#include <string.h>

/* Prints an account: a summary line, then the ledger (newest first). */
static void s_print_account(ctl_t *ctl, const hf_reply_t *rep)
{
    const Huifang__V1__PointsAccount *acc = rep->points;
    if (ctl->json) {
        ctl_json(&acc->base);
    } else {
        printf("customer %lld  balance %lld  earned %lld  redeemed %lld  taken back %lld",
               (long long)acc->customer_id, (long long)acc->balance, (long long)acc->earned,
               (long long)acc->redeemed, (long long)acc->reversed);
        if (acc->owed)
            printf("  owed %lld", (long long)acc->owed);
        fputc('\n', stdout);
        ctl_table_t *t = ctl_table_new(8, "ENTRY", "WHEN", "REASON", "REFERENCE", "DELTA",
                                       "BALANCE", "OWED", "BY");
        for (size_t i = 0; i < acc->n_entries; i++) {
            const Huifang__V1__PointsEntry *e = acc->entries[i];
            ctl_table_add(t, ctl_fmt(ctl, "%lld", (long long)e->id), ctl_local_time(ctl, e->at_ms),
                          e->reason, e->reference, ctl_fmt(ctl, "%+lld", (long long)e->delta),
                          ctl_fmt(ctl, "%lld", (long long)e->balance_after),
                          ctl_fmt(ctl, "%lld", (long long)e->owed_after), ctl_str(e->actor));
        }
        ctl_table_print(t);
        ctl_table_destroy(&t);
    }
}

/* points show CUSTOMER [--limit N] */
int ctl_points_show(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("limit"), CTL_OPT_END};
    static const char *const pos_names[] = {"CUSTOMER", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__PointsShow q = HUIFANG__V1__POINTS_SHOW__INIT;
    if (ctl_parse_id(ctl, "CUSTOMER", pos[0], &q.customer_id) != 0)
        return ctl->exit;
    const char *v = ctl_opt(opts, "limit");
    long limit = 0;
    if (v && ctl_parse_long(ctl, "--limit", v, 1, 1000, &limit) != 0)
        return ctl->exit;
    q.limit = (int32_t)limit;
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_POINTS_SHOW;
    req.points_show = &q;
    return ctl_call_print(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_POINTS,
                          s_print_account);
}

/* points redeem CUSTOMER (--points N --item TEXT | --gift CODE) */
int ctl_points_redeem(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("points"), CTL_OPT("item"), CTL_OPT("gift"), CTL_OPT_IDEMPOTENCY,
                        CTL_OPT_END};
    static const char *const pos_names[] = {"CUSTOMER", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__PointsRedeem q = HUIFANG__V1__POINTS_REDEEM__INIT;
    if (ctl_parse_id(ctl, "CUSTOMER", pos[0], &q.customer_id) != 0)
        return ctl->exit;
    const char *v = ctl_opt(opts, "points");
    /* any whole number: the service says what is allowed (above zero, within the balance) */
    long points = 0;
    if (v && ctl_parse_long(ctl, "--points", v, -1000000000L, 1000000000L, &points) != 0)
        return ctl->exit;
    const char *gift = ctl_opt(opts, "gift"), *item = ctl_opt(opts, "item");
    if (v == NULL && gift == NULL) {
        ctl_fail(ctl, HF_BAD_INPUT, "--points is required (or --gift CODE)");
        return ctl->exit;
    }
    if (gift == NULL && item == NULL) {
        ctl_fail(ctl, HF_BAD_INPUT, "--item is required (or --gift CODE)");
        return ctl->exit;
    }
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    q.points = points;
    q.item = (char *)(item ? item : "");
    q.gift = (char *)(gift ? gift : "");
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_POINTS_REDEEM;
    req.points_redeem = &q;
    return ctl_call_print(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_POINTS,
                          s_print_account);
}

static void s_print_rules(ctl_t *ctl, const hf_reply_t *rep)
{
    const Huifang__V1__PointsRules *r = rep->points_rules;
    if (ctl->json)
        ctl_json(&r->base);
    else
        printf("branch %s  per yuan %d  per attended event %d  (%s)\n", r->branch, r->per_yuan,
               r->per_event, r->own ? "the branch's own" : "the defaults");
}

/* points rules [--per-yuan N] [--per-event N] */
int ctl_points_rules(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("per-yuan"), CTL_OPT("per-event"), CTL_OPT_IDEMPOTENCY,
                        CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    Huifang__V1__PointsRules q = HUIFANG__V1__POINTS_RULES__INIT;
    const char *v;
    long n;
    if ((v = ctl_opt(opts, "per-yuan"))) {
        if (ctl_parse_long(ctl, "--per-yuan", v, -1000000L, 1000000L, &n) != 0)
            return ctl->exit;
        q.per_yuan = (int32_t)n;
        q.set_per_yuan = true;
    }
    if ((v = ctl_opt(opts, "per-event"))) {
        if (ctl_parse_long(ctl, "--per-event", v, -1000000L, 1000000L, &n) != 0)
            return ctl->exit;
        q.per_event = (int32_t)n;
        q.set_per_event = true;
    }
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_POINTS_RULES;
    req.points_rules = &q;
    return ctl_call_print(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_POINTS_RULES,
                          s_print_rules);
}

static void s_print_gifts(ctl_t *ctl, Huifang__V1__Gift *const *gifts, size_t n)
{
    if (ctl->json) {
        for (size_t i = 0; i < n; i++)
            ctl_json(&gifts[i]->base);
        return;
    }
    ctl_table_t *t = ctl_table_new(4, "GIFT", "NAME", "POINTS", "ACTIVE");
    for (size_t i = 0; i < n; i++)
        ctl_table_add(t, gifts[i]->code, gifts[i]->name,
                      ctl_fmt(ctl, "%lld", (long long)gifts[i]->points),
                      gifts[i]->active ? "yes" : "no");
    ctl_table_print(t);
    ctl_table_destroy(&t);
}

static void s_print_gift(ctl_t *ctl, const hf_reply_t *rep)
{
    s_print_gifts(ctl, &rep->gift, 1);
}

static void s_print_gift_list(ctl_t *ctl, const hf_reply_t *rep)
{
    s_print_gifts(ctl, rep->gifts->gifts, rep->gifts->n_gifts);
}

/* gift add CODE --name NAME --points N */
int ctl_gift_add(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("name"), CTL_OPT("points"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const pos_names[] = {"CODE", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__Gift g = HUIFANG__V1__GIFT__INIT;
    const char *name = ctl_require(ctl, opts, "name"), *v;
    if (name == NULL || (v = ctl_require(ctl, opts, "points")) == NULL)
        return ctl->exit;
    long points;
    if (ctl_parse_long(ctl, "--points", v, -1000000000L, 1000000000L, &points) != 0)
        return ctl->exit;
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    g.code = (char *)pos[0];
    g.name = (char *)name;
    g.points = points;
    Huifang__V1__GiftAdd q = HUIFANG__V1__GIFT_ADD__INIT;
    q.gift = &g;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_GIFT_ADD;
    req.gift_add = &q;
    return ctl_call_print(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_GIFT, s_print_gift);
}

/* gift list */
int ctl_gift_list(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    Huifang__V1__GiftList q = HUIFANG__V1__GIFT_LIST__INIT;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_GIFT_LIST;
    req.gift_list = &q;
    return ctl_call_print(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_GIFTS,
                          s_print_gift_list);
}
