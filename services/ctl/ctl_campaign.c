/* ctl_campaign: `huifang segment add|preview|list|show` and `huifang campaign
 * add|list|show|checkin` (intake answers all of them). */
#include "ctl_campaign.h"
#include <stdlib.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")

/* Parses `show ID` (a record of the request's branch) into *id: 0, or -1 with ctl->exit set. */
static int s_show_id(ctl_t *ctl, int argc, char **argv, int64_t *id)
{
    static const char *const names[] = {"ID", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, NULL, names, pos) != 0 ||
        ctl_parse_id(ctl, "ID", pos[0], id) != 0 || ctl_need_branch(ctl) != 0)
        return -1;
    return 0;
}

/* Parses a list command (no flags of its own) and begins its request: 0, or -1 with ctl->exit
 * set. */
static int s_list_request(ctl_t *ctl, int argc, char **argv, hf_request_t *req)
{
    if (ctl_parse(ctl, argc, argv, NULL, NULL, NULL) != 0 || ctl_need_branch(ctl) != 0)
        return -1;
    ctl_request_init(ctl, req);
    return 0;
}

/* ---- segments ---- */

/* Fills f from the filter flags. 0, or -1 with ctl->exit = 2 (a bad --birthday). */
static int s_filter(ctl_t *ctl, const ctl_opt_t *opts, Huifang__V1__SegmentFilter *f)
{
    const char *v;
#define OPT(field, flag) f->field = (char *)((v = ctl_opt(opts, flag)) ? v : "")
    OPT(regions, "regions");
    OPT(card_types, "card-types");
    OPT(tiers, "tiers");
    OPT(stages, "stages");
    OPT(products, "products");
    OPT(purchased_before, "purchased-before");
    OPT(purchased_after, "purchased-after");
    OPT(contacted_before, "contacted-before");
    OPT(contacted_after, "contacted-after");
    OPT(attended, "attended");
    OPT(not_attended, "not-attended");
#undef OPT
    f->birthday_from = f->birthday_to = "";
    if ((v = ctl_opt(opts, "birthday")) != NULL) {
        const char *dots = strstr(v, "..");
        if (dots == NULL)
            return ctl_fail(ctl, HF_BAD_INPUT, "--birthday \"%s\" must look like MM-DD..MM-DD", v);
        f->birthday_from = (char *)ctl_fmt(ctl, "%.*s", (int)(dots - v), v);
        f->birthday_to = (char *)ctl_fmt(ctl, "%s", dots + 2);
    }
    return 0;
}

static void s_print_segment(ctl_t *ctl, const hf_reply_t *rep)
{
    const Huifang__V1__Segment *s = rep->segment;
    if (ctl->json) {
        ctl_json(&s->base);
        return;
    }
    if (s->id)
        ctl_kv("segment", ctl_fmt(ctl, "%lld", (long long)s->id));
    if (S(s->name)[0])
        ctl_kv("name", s->name);
    ctl_kv("filter", S(s->filter_text));
    ctl_kv("customers", ctl_fmt(ctl, "%lld (today)", (long long)s->count));
    if (s->created_at_ms)
        ctl_kv("created", ctl_fmt(ctl, "%s by %s", ctl_local_time(ctl, s->created_at_ms),
                                  ctl_str(s->created_by)));
    if (s->n_samples) {
        printf("\n");
        ctl_table_t *t = ctl_table_new(6, "CUSTOMER", "NAME", "PHONE", "REGION", "CARD", "TIER");
        for (size_t i = 0; i < s->n_samples; i++) {
            const Huifang__V1__SegmentSample *x = s->samples[i];
            ctl_table_add(t, ctl_fmt(ctl, "%lld", (long long)x->customer_id), ctl_str(x->name),
                          ctl_str(x->phone), ctl_str(x->region), ctl_str(x->card_type),
                          ctl_str(x->tier));
        }
        ctl_table_print(t);
        ctl_table_destroy(&t);
    }
}

/* Sends req to intake, expecting a Segment, and prints it. */
static int s_segment_call(ctl_t *ctl, hf_request_t *req)
{
    return ctl_call_print(ctl, CTL_INTAKE, req, HUIFANG__V1__REPLY__RESULT_SEGMENT,
                          s_print_segment);
}

static void s_print_segments(ctl_t *ctl, const hf_reply_t *rep)
{
    const Huifang__V1__Segments *l = rep->segments;
    if (ctl->json) {
        for (size_t i = 0; i < l->n_segments; i++)
            ctl_json(&l->segments[i]->base);
        return;
    }
    ctl_table_t *t = ctl_table_new(3, "ID", "NAME", "FILTER");
    for (size_t i = 0; i < l->n_segments; i++)
        ctl_table_add(t, ctl_fmt(ctl, "%lld", (long long)l->segments[i]->id), l->segments[i]->name,
                      l->segments[i]->filter_text);
    ctl_table_print(t);
    ctl_table_destroy(&t);
}

int ctl_segment_add(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_SEGMENT_OPTS, CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const names[] = {"NAME", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, names, pos) != 0)
        return ctl->exit;
    Huifang__V1__SegmentFilter f = HUIFANG__V1__SEGMENT_FILTER__INIT;
    if (s_filter(ctl, opts, &f) != 0 || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    Huifang__V1__SegmentAdd q = HUIFANG__V1__SEGMENT_ADD__INIT;
    q.name = (char *)pos[0];
    q.filter = &f;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_SEGMENT_ADD;
    req.segment_add = &q;
    return s_segment_call(ctl, &req);
}

int ctl_segment_preview(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_SEGMENT_OPTS, CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    Huifang__V1__SegmentFilter f = HUIFANG__V1__SEGMENT_FILTER__INIT;
    if (s_filter(ctl, opts, &f) != 0 || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    Huifang__V1__SegmentPreview q = HUIFANG__V1__SEGMENT_PREVIEW__INIT;
    q.filter = &f;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_SEGMENT_PREVIEW;
    req.segment_preview = &q;
    return s_segment_call(ctl, &req);
}

int ctl_segment_show(ctl_t *ctl, int argc, char **argv)
{
    Huifang__V1__SegmentShow q = HUIFANG__V1__SEGMENT_SHOW__INIT;
    if (s_show_id(ctl, argc, argv, &q.id) != 0)
        return ctl->exit;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_SEGMENT_SHOW;
    req.segment_show = &q;
    return s_segment_call(ctl, &req);
}

int ctl_segment_list(ctl_t *ctl, int argc, char **argv)
{
    Huifang__V1__SegmentList q = HUIFANG__V1__SEGMENT_LIST__INIT;
    hf_request_t req;
    if (s_list_request(ctl, argc, argv, &req) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_SEGMENT_LIST;
    req.segment_list = &q;
    return ctl_call_print(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_SEGMENTS,
                          s_print_segments);
}

/* ---- campaigns ---- */

static void s_print_campaign(ctl_t *ctl, const hf_reply_t *rep)
{
    const Huifang__V1__Campaign *k = rep->campaign;
    if (ctl->json) {
        ctl_json(&k->base);
        return;
    }
    ctl_kv("campaign", ctl_fmt(ctl, "%lld", (long long)k->id));
    ctl_kv("name", k->name);
    ctl_kv("place", k->place);
    ctl_kv("at", ctl_fmt(ctl, "%s (%s)", k->at_local, k->tz));
    ctl_kv("capacity", k->capacity ? ctl_fmt(ctl, "%d", k->capacity) : "no limit");
    ctl_kv("segment", ctl_fmt(ctl, "%lld", (long long)k->segment_id));
    ctl_kv("invite days", ctl_fmt(ctl, "%d", k->invite_days));
    ctl_kv("bought within", ctl_fmt(ctl, "%d days", k->bought_within_days));
    ctl_kv("invited", ctl_fmt(ctl, "%lld", (long long)k->invited));
    ctl_kv("accepted", ctl_fmt(ctl, "%lld", (long long)k->accepted));
    ctl_kv("declined", ctl_fmt(ctl, "%lld", (long long)k->declined));
    ctl_kv("attended", ctl_fmt(ctl, "%lld", (long long)k->attended));
}

/* Sends req to intake, expecting a Campaign, and prints it. */
static int s_campaign_call(ctl_t *ctl, hf_request_t *req)
{
    return ctl_call_print(ctl, CTL_INTAKE, req, HUIFANG__V1__REPLY__RESULT_CAMPAIGN,
                          s_print_campaign);
}

static void s_print_campaigns(ctl_t *ctl, const hf_reply_t *rep)
{
    const Huifang__V1__Campaigns *l = rep->campaigns;
    if (ctl->json) {
        for (size_t i = 0; i < l->n_campaigns; i++)
            ctl_json(&l->campaigns[i]->base);
        return;
    }
    ctl_table_t *t = ctl_table_new(9, "ID", "NAME", "PLACE", "AT", "CAPACITY", "INVITED",
                                   "ACCEPTED", "DECLINED", "ATTENDED");
    for (size_t i = 0; i < l->n_campaigns; i++) {
        const Huifang__V1__Campaign *k = l->campaigns[i];
        ctl_table_add(t, ctl_fmt(ctl, "%lld", (long long)k->id), k->name, k->place, k->at_local,
                      k->capacity ? ctl_fmt(ctl, "%d", k->capacity) : "-",
                      ctl_fmt(ctl, "%lld", (long long)k->invited),
                      ctl_fmt(ctl, "%lld", (long long)k->accepted),
                      ctl_fmt(ctl, "%lld", (long long)k->declined),
                      ctl_fmt(ctl, "%lld", (long long)k->attended));
    }
    ctl_table_print(t);
    ctl_table_destroy(&t);
}

static void s_print_member(ctl_t *ctl, const hf_reply_t *rep)
{
    const Huifang__V1__CampaignMember *m = rep->campaign_member;
    if (ctl->json)
        ctl_json(&m->base);
    else
        printf("campaign %lld  customer %lld  checked in %s%s\n", (long long)m->campaign_id,
               (long long)m->customer_id, ctl_local_time(ctl, m->attended_at_ms),
               m->invited ? "" : "  (walk-in)");
}

int ctl_campaign_add(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("name"),          CTL_OPT("place"),    CTL_OPT("at"),
                        CTL_OPT("capacity"),      CTL_OPT("segment"),  CTL_OPT("invite-days"),
                        CTL_OPT("bought-within"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    Huifang__V1__CampaignAdd q = HUIFANG__V1__CAMPAIGN_ADD__INIT;
    const char *v;
    if ((v = ctl_require(ctl, opts, "name")) == NULL)
        return ctl->exit;
    q.name = (char *)v;
    if ((v = ctl_require(ctl, opts, "place")) == NULL)
        return ctl->exit;
    q.place = (char *)v;
    if ((v = ctl_require(ctl, opts, "at")) == NULL)
        return ctl->exit;
    q.at = (char *)v;
    long n;
    /* the service says what is wrong with a number in range (a capacity below zero) */
    if ((v = ctl_opt(opts, "capacity")) != NULL) {
        if (ctl_parse_long(ctl, "--capacity", v, -1000000, 1000000, &n) != 0)
            return ctl->exit;
        q.capacity = (int32_t)n;
        q.capacity_set = true;
    }
    if ((v = ctl_require(ctl, opts, "segment")) == NULL ||
        ctl_parse_long(ctl, "--segment", v, -1000000000L, 1000000000000L, &n) != 0)
        return ctl->exit;
    q.segment_id = n;
    if ((v = ctl_opt(opts, "invite-days")) != NULL) {
        if (ctl_parse_long(ctl, "--invite-days", v, 1, 30, &n) != 0)
            return ctl->exit;
        q.invite_days = (int32_t)n;
    }
    if ((v = ctl_opt(opts, "bought-within")) != NULL) {
        if (ctl_parse_long(ctl, "--bought-within", v, 1, 366, &n) != 0)
            return ctl->exit;
        q.bought_within_days = (int32_t)n;
    }
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_CAMPAIGN_ADD;
    req.campaign_add = &q;
    return s_campaign_call(ctl, &req);
}

int ctl_campaign_show(ctl_t *ctl, int argc, char **argv)
{
    Huifang__V1__CampaignShow q = HUIFANG__V1__CAMPAIGN_SHOW__INIT;
    if (s_show_id(ctl, argc, argv, &q.id) != 0)
        return ctl->exit;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_CAMPAIGN_SHOW;
    req.campaign_show = &q;
    return s_campaign_call(ctl, &req);
}

int ctl_campaign_list(ctl_t *ctl, int argc, char **argv)
{
    Huifang__V1__CampaignList q = HUIFANG__V1__CAMPAIGN_LIST__INIT;
    hf_request_t req;
    if (s_list_request(ctl, argc, argv, &req) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_CAMPAIGN_LIST;
    req.campaign_list = &q;
    return ctl_call_print(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_CAMPAIGNS,
                          s_print_campaigns);
}

int ctl_campaign_checkin(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const names[] = {"CAMPAIGN", "CUSTOMER", NULL};
    const char *pos[2];
    if (ctl_parse(ctl, argc, argv, opts, names, pos) != 0)
        return ctl->exit;
    Huifang__V1__CampaignCheckin q = HUIFANG__V1__CAMPAIGN_CHECKIN__INIT;
    if (ctl_parse_id(ctl, "CAMPAIGN", pos[0], &q.campaign_id) != 0 ||
        ctl_parse_id(ctl, "CUSTOMER", pos[1], &q.customer_id) != 0 || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_CAMPAIGN_CHECKIN;
    req.campaign_checkin = &q;
    return ctl_call_print(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_CAMPAIGN_MEMBER,
                          s_print_member);
}
