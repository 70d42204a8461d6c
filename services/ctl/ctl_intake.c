/* ctl_intake: leads, customers and purchases — the archive, owned by the intake service. */
#include "ctl.h"

#include "hf_phone.h"

#include <string.h>

/* ---------------------------------------------------------------------------------------
 * Shared output
 * ------------------------------------------------------------------------------------- */

void ctl_print_purchases(ctl_t *ctl, Huifang__V1__Purchase **list, size_t n)
{
    ctl_table_t *t = ctl_table_new(9, "PURCHASE", "DATE", "PRODUCT", "QTY", "PRICE", "NTH",
                                   "SUPPLY-END", "DAYS", "PLAN");
    for (size_t i = 0; i < n; i++) {
        const Huifang__V1__Purchase *p = list[i];
        ctl_table_add(t, ctl_fmt(ctl, "%lld", (long long)p->id), p->date, p->product,
                      ctl_fmt(ctl, "%d", p->quantity), ctl_yuan(ctl, p->price_fen),
                      ctl_fmt(ctl, "%d", p->nth), p->supply_end,
                      ctl_fmt(ctl, "%d", p->days_of_supply), p->plan);
    }
    ctl_table_print(t);
    ctl_table_destroy(&t);
}

void ctl_print_customer(ctl_t *ctl, const Huifang__V1__Customer *c, bool unmasked)
{
    printf("customer %lld\n", (long long)c->id);
    ctl_kv("name", c->name);
    ctl_kv("phone", unmasked ? c->phone : ctl_phone_masked(ctl, c->phone));
    for (size_t i = 0; i < c->n_phones; i++) {
        if (c->phone && strcmp(c->phones[i], c->phone) == 0)
            continue;
        ctl_kv("other phone", unmasked ? c->phones[i] : ctl_phone_masked(ctl, c->phones[i]));
    }
    ctl_kv("branch", c->branch);
    ctl_kv("gender", c->gender);
    ctl_kv("birth", c->birth);
    ctl_kv("ref date", c->ref_date);
    ctl_kv("region", c->region);
    ctl_kv("address", c->address);
    if (c->void_reason && *c->void_reason)
        ctl_kv("card", ctl_fmt(ctl, "%s (%s)", ctl_str(c->card_type), c->void_reason));
    else
        ctl_kv("card", c->card_type);
    if (c->opted_out)
        ctl_kv("opted out", "yes: do not contact");
    if (c->dnd_until && *c->dnd_until)
        ctl_kv("dnd until", c->dnd_until);
    ctl_kv("created", ctl_local_time(ctl, c->created_at_ms));
}

/* ---------------------------------------------------------------------------------------
 * lead add
 * ------------------------------------------------------------------------------------- */

int ctl_lead_add(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("name"),     CTL_OPT("phone"),    CTL_OPT("channel"),
                        CTL_OPT("region"),   CTL_OPT("address"),  CTL_OPT("gender"),
                        CTL_OPT("birth"),    CTL_OPT("ref-date"), CTL_OPT("collector"),
                        CTL_OPT("source"),   CTL_OPT("note"),     CTL_OPT("collected-at"),
                        CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    const char *name = ctl_require(ctl, opts, "name");
    if (name == NULL)
        return ctl->exit;
    const char *phone = ctl_require(ctl, opts, "phone");
    if (phone == NULL)
        return ctl->exit;
    char norm[32];
    const char *why = NULL;
    if (hf_phone_normalise(phone, norm, sizeof norm, &why) != 0) {
        ctl_fail(ctl, HF_BAD_INPUT, "--phone is not a phone number: %s", why ? why : "malformed");
        return ctl->exit;
    }
    const char *channel = ctl_require(ctl, opts, "channel");
    if (channel == NULL ||
        ctl_check_choice(ctl, "--channel", channel,
                         "counter|consult|clinic|hospital|mail|referral|other") != 0)
        return ctl->exit;
    const char *v;
    if ((v = ctl_opt(opts, "gender")) && ctl_check_choice(ctl, "--gender", v, "f|m") != 0)
        return ctl->exit;
    if ((v = ctl_opt(opts, "birth")) && ctl_check_date(ctl, "--birth", v) != 0)
        return ctl->exit;
    if ((v = ctl_opt(opts, "ref-date")) && ctl_check_date(ctl, "--ref-date", v) != 0)
        return ctl->exit;
    int64_t collected = 0;
    if ((v = ctl_opt(opts, "collected-at")) &&
        ctl_parse_time(ctl, "--collected-at", v, &collected) != 0)
        return ctl->exit;
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;

    Huifang__V1__LeadAdd lead = HUIFANG__V1__LEAD_ADD__INIT;
    lead.name = (char *)name;
    lead.phone = norm;
    lead.channel = (char *)channel;
#define S_OPTIONAL(field, flag)                                                                    \
    if ((v = ctl_opt(opts, flag)) != NULL)                                                         \
        lead.field = (char *)v;
    S_OPTIONAL(region, "region")
    S_OPTIONAL(address, "address")
    S_OPTIONAL(gender, "gender")
    S_OPTIONAL(birth, "birth")
    S_OPTIONAL(ref_date, "ref-date")
    S_OPTIONAL(collector, "collector")
    S_OPTIONAL(source, "source")
    S_OPTIONAL(note, "note")
#undef S_OPTIONAL
    lead.collected_at_ms = collected;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_LEAD_ADD;
    req.lead_add = &lead;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_LEAD, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__LeadResult *r = rep->lead;
    if (ctl->json) {
        ctl_json(&r->base);
    } else if (r->customer == NULL) {
        ctl_error("the intake service answered without the customer");
        ctl_reply_free(&rep);
        return HF_INTERNAL;
    } else {
        const Huifang__V1__Customer *c = r->customer;
        /* stdout keeps one shape, merged or not, so a script can take the id from it; the
         * merge is said on stderr (the service's note says it when it has one) */
        printf("customer %lld %s %s\n", (long long)c->id, ctl_name_masked(ctl, c->name),
               ctl_phone_masked(ctl, c->phone));
        if (r->merged && (rep->note == NULL || *rep->note == '\0'))
            ctl_error("merged into customer %lld", (long long)c->id);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * customer find / show
 * ------------------------------------------------------------------------------------- */

int ctl_customer_find(ctl_t *ctl, int argc, char **argv)
{
    static const char *const pos_names[] = {"QUERY", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, NULL, pos_names, pos) != 0)
        return ctl->exit;
    if (*pos[0] == '\0') {
        ctl_fail(ctl, HF_BAD_INPUT, "QUERY must not be empty: give a phone or a name");
        return ctl->exit;
    }
    Huifang__V1__CustomerFind find = HUIFANG__V1__CUSTOMER_FIND__INIT;
    find.query = (char *)pos[0];
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_FIND;
    req.customer_find = &find;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_CUSTOMERS, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__CustomerList *list = rep->customers;
    if (ctl->json) {
        for (size_t i = 0; i < list->n_customers; i++)
            ctl_json(&list->customers[i]->base);
    } else if (list->n_customers == 0) {
        ctl_error("no customer matches '%s'", pos[0]);
    } else {
        ctl_table_t *t =
            ctl_table_new(7, "CUSTOMER", "BRANCH", "NAME", "PHONE", "REGION", "CARD", "CREATED");
        for (size_t i = 0; i < list->n_customers; i++) {
            const Huifang__V1__Customer *c = list->customers[i];
            ctl_table_add(t, ctl_fmt(ctl, "%lld", (long long)c->id), c->branch, c->name,
                          ctl_phone_masked(ctl, c->phone), c->region, c->card_type,
                          ctl_local_time(ctl, c->created_at_ms));
        }
        ctl_table_print(t);
        ctl_table_destroy(&t);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_customer_show(ctl_t *ctl, int argc, char **argv)
{
    static const char *const pos_names[] = {"ID", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, NULL, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__CustomerShow show = HUIFANG__V1__CUSTOMER_SHOW__INIT;
    if (ctl_parse_id(ctl, "ID", pos[0], &show.id) != 0)
        return ctl->exit;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_SHOW;
    req.customer_show = &show;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_CUSTOMER, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__CustomerDetail *d = rep->customer;
    if (ctl->json) {
        ctl_json(&d->base);
    } else {
        if (d->customer)
            ctl_print_customer(ctl, d->customer, false);
        printf("\npurchases\n");
        if (d->n_purchases == 0)
            printf("  none\n");
        else
            ctl_print_purchases(ctl, d->purchases, d->n_purchases);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * purchase add
 * ------------------------------------------------------------------------------------- */

int ctl_purchase_add(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("customer"), CTL_OPT("product"), CTL_OPT("quantity"),
                        CTL_OPT("date"),     CTL_OPT("plan"),    CTL_OPT("price"),
                        CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    Huifang__V1__PurchaseAdd add = HUIFANG__V1__PURCHASE_ADD__INIT;
    const char *v = ctl_require(ctl, opts, "customer");
    if (v == NULL || ctl_parse_id(ctl, "--customer", v, &add.customer_id) != 0)
        return ctl->exit;
    const char *product = ctl_require(ctl, opts, "product");
    if (product == NULL)
        return ctl->exit;
    v = ctl_require(ctl, opts, "quantity");
    long qty;
    if (v == NULL || ctl_parse_long(ctl, "--quantity", v, 1, 10000, &qty) != 0)
        return ctl->exit;
    const char *date = ctl_opt(opts, "date");
    if (date && ctl_check_date(ctl, "--date", date) != 0)
        return ctl->exit;
    if ((v = ctl_opt(opts, "price")) && ctl_parse_yuan(ctl, "--price", v, &add.price_fen) != 0)
        return ctl->exit;
    const char *plan = ctl_opt(opts, "plan");
    add.product = (char *)product;
    add.quantity = (int32_t)qty;
    add.date = (char *)(date ? date : "");
    add.plan = (char *)(plan ? plan : "");
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_PURCHASE_ADD;
    req.purchase_add = &add;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_PURCHASE, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__Purchase *p = rep->purchase;
    if (ctl->json) {
        ctl_json(&p->base);
    } else {
        ctl_table_t *t = ctl_table_new(9, "PURCHASE", "CUSTOMER", "PRODUCT", "QTY", "PRICE", "DATE",
                                       "NTH", "SUPPLY-END", "PLAN");
        ctl_table_add(t, ctl_fmt(ctl, "%lld", (long long)p->id),
                      ctl_fmt(ctl, "%lld", (long long)p->customer_id), p->product,
                      ctl_fmt(ctl, "%d", p->quantity), ctl_yuan(ctl, p->price_fen), p->date,
                      ctl_fmt(ctl, "%d", p->nth), p->supply_end, p->plan);
        ctl_table_print(t);
        ctl_table_destroy(&t);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}
