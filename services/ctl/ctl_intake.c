/* ctl_intake: leads, customers and purchases — the archive, owned by the intake service. */
#include "ctl.h"

#include "hf_clock.h"
#include "hf_csv.h"
#include "hf_phone.h"
#include "hf_service.h"
#include "hf_time.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    for (size_t i = 0; i < c->n_phone_entries; i++) {
        const Huifang__V1__PhoneEntry *e = c->phone_entries[i];
        if (c->phone && strcmp(e->phone, c->phone) == 0)
            continue;
        ctl_kv("other phone",
               ctl_fmt(ctl, "%s (%s)", unmasked ? e->phone : ctl_phone_masked(ctl, e->phone),
                       ctl_str(e->relation)));
    }
    if (c->n_phone_entries == 0)
        for (size_t i = 0; i < c->n_phones; i++) {
            if (c->phone && strcmp(c->phones[i], c->phone) == 0)
                continue;
            ctl_kv("other phone", unmasked ? c->phones[i] : ctl_phone_masked(ctl, c->phones[i]));
        }
    ctl_kv("branch", c->branch);
    ctl_kv("gender", c->gender);
    if (c->age > 0 && (c->birth == NULL || *c->birth == '\0'))
        ctl_kv("age", ctl_fmt(ctl, "%d", c->age));
    else
        ctl_kv("birth", c->birth);
    ctl_kv("region", c->region);
    ctl_kv("address", c->address);
    if (c->route && *c->route)
        ctl_kv("route", c->route);
    if (c->condition && *c->condition)
        ctl_kv("condition", c->condition);
    if (c->void_reason && *c->void_reason)
        ctl_kv("card", ctl_fmt(ctl, "%s (%s)", ctl_str(c->card_type), c->void_reason));
    else
        ctl_kv("card", c->card_type);
    ctl_kv("tier", c->tier);
    if (c->purchases > 0)
        ctl_kv("spent", ctl_fmt(ctl, "%s yuan over %d purchase%s", ctl_yuan(ctl, c->spend_fen),
                                c->purchases, c->purchases == 1 ? "" : "s"));
    ctl_kv("ref date", c->ref_date);
    if (c->stage && *c->stage)
        ctl_kv("stage", ctl_fmt(ctl, "%s (from %s)", c->stage, ctl_str(c->ref_source)));
    else
        ctl_kv("stage", "-");
    if ((c->baby_name && *c->baby_name) || (c->baby_birth && *c->baby_birth) ||
        (c->due_date && *c->due_date) || (c->current_brand && *c->current_brand) ||
        (c->feeding && *c->feeding)) {
        /* "小明 (m), born 2026-09-10" / "due 2027-02-01": what is known of the baby */
        char baby[256] = "";
        if (c->baby_name && *c->baby_name)
            snprintf(baby, sizeof baby, "%s", c->baby_name);
        if (c->baby_sex && *c->baby_sex)
            snprintf(baby + strlen(baby), sizeof baby - strlen(baby), "%s(%s)", *baby ? " " : "",
                     c->baby_sex);
        if (c->baby_birth && *c->baby_birth)
            snprintf(baby + strlen(baby), sizeof baby - strlen(baby), "%sborn %s",
                     *baby ? ", " : "", c->baby_birth);
        if (c->due_date && *c->due_date)
            snprintf(baby + strlen(baby), sizeof baby - strlen(baby), "%sdue %s", *baby ? ", " : "",
                     c->due_date);
        ctl_kv("baby", baby);
        ctl_kv("brand", c->current_brand);
        ctl_kv("feeding", c->feeding);
    }
    if (c->employer && *c->employer)
        ctl_kv("employer", c->employer);
    if (c->hobbies && *c->hobbies)
        ctl_kv("hobbies", c->hobbies);
    if (c->health && *c->health)
        ctl_kv("health", c->health);
    if (c->windows && *c->windows)
        ctl_kv("windows", c->windows);
    if (c->opted_out)
        ctl_kv("opted out", ctl_fmt(ctl, "yes: do not contact%s%s",
                                    c->opt_out_reason && *c->opt_out_reason ? " — " : "",
                                    ctl_str(c->opt_out_reason)));
    if (c->dnd_until && *c->dnd_until)
        ctl_kv("dnd until", ctl_fmt(ctl, "%s (%s)", c->dnd_until, ctl_str(c->dnd_reason)));
    ctl_kv("created", ctl_local_time(ctl, c->created_at_ms));
}

/* Prints a reply's customer: JSON, or the profile. */
static int s_print_detail(ctl_t *ctl, hf_reply_t **rep)
{
    const Huifang__V1__CustomerDetail *d = (*rep)->customer;
    if (ctl->json)
        ctl_json(&d->customer->base);
    else if (d->customer)
        ctl_print_customer(ctl, d->customer, false);
    ctl_reply_free(rep);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * lead add
 * ------------------------------------------------------------------------------------- */

int ctl_lead_add(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {
        CTL_OPT("name"),      CTL_OPT("phone"),      CTL_OPT("channel"),   CTL_OPT("region"),
        CTL_OPT("address"),   CTL_OPT("gender"),     CTL_OPT("birth"),     CTL_OPT("ref-date"),
        CTL_OPT("collector"), CTL_OPT("source"),     CTL_OPT("note"),      CTL_OPT("collected-at"),
        CTL_OPT("referrer"),  CTL_OPT("route"),      CTL_OPT("condition"), CTL_OPT("baby-name"),
        CTL_OPT("baby-sex"),  CTL_OPT("baby-birth"), CTL_OPT("due-date"),  CTL_OPT("brand"),
        CTL_OPT("feeding"),   CTL_OPT("employer"),   CTL_OPT("hobbies"),   CTL_OPT("health"),
        CTL_OPT("age"),       CTL_OPT("windows"),    CTL_OPT("plan"),      CTL_OPT_IDEMPOTENCY,
        CTL_OPT_END};
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
    if ((v = ctl_opt(opts, "baby-sex")) && ctl_check_choice(ctl, "--baby-sex", v, "f|m") != 0)
        return ctl->exit;
    if ((v = ctl_opt(opts, "feeding")) &&
        ctl_check_choice(ctl, "--feeding", v, "breast|formula|mixed") != 0)
        return ctl->exit;
    static const char *const dates[] = {"birth", "ref-date", "baby-birth", "due-date", NULL};
    for (int i = 0; dates[i]; i++)
        if ((v = ctl_opt(opts, dates[i])) &&
            ctl_check_date(ctl, ctl_fmt(ctl, "--%s", dates[i]), v) != 0)
            return ctl->exit;
    int64_t collected = 0;
    if ((v = ctl_opt(opts, "collected-at")) &&
        ctl_parse_time(ctl, "--collected-at", v, &collected) != 0)
        return ctl->exit;
    long age = 0;
    if ((v = ctl_opt(opts, "age")) && ctl_parse_long(ctl, "--age", v, 1, 130, &age) != 0)
        return ctl->exit;
    if (strcmp(channel, "referral") == 0 && ctl_opt(opts, "referrer") == NULL) {
        ctl_fail(ctl, HF_BAD_INPUT, "--referrer is required for channel referral (by whom)");
        return ctl->exit;
    }
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
    S_OPTIONAL(referrer, "referrer")
    S_OPTIONAL(route, "route")
    S_OPTIONAL(condition, "condition")
    S_OPTIONAL(baby_name, "baby-name")
    S_OPTIONAL(baby_sex, "baby-sex")
    S_OPTIONAL(baby_birth, "baby-birth")
    S_OPTIONAL(due_date, "due-date")
    S_OPTIONAL(current_brand, "brand")
    S_OPTIONAL(feeding, "feeding")
    S_OPTIONAL(employer, "employer")
    S_OPTIONAL(hobbies, "hobbies")
    S_OPTIONAL(health, "health")
    S_OPTIONAL(windows, "windows")
    S_OPTIONAL(plan, "plan")
#undef S_OPTIONAL
    lead.collected_at_ms = collected;
    lead.age = (int32_t)age;
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
 * lead import
 * ------------------------------------------------------------------------------------- */

/* The columns a file may have, by LeadAdd field, with the header names clerks use (matched
 * case-insensitively, ignoring spaces, '_' and '-'). */
typedef enum {
    COL_NAME,
    COL_PHONE,
    COL_CHANNEL,
    COL_REGION,
    COL_ADDRESS,
    COL_GENDER,
    COL_BIRTH,
    COL_REF_DATE,
    COL_COLLECTOR,
    COL_SOURCE,
    COL_NOTE,
    COL_COLLECTED_AT,
    COL_REFERRER,
    COL_ROUTE,
    COL_CONDITION,
    COL_BABY_NAME,
    COL_BABY_SEX,
    COL_BABY_BIRTH,
    COL_DUE_DATE,
    COL_BRAND,
    COL_FEEDING,
    COL_EMPLOYER,
    COL_HOBBIES,
    COL_HEALTH,
    COL_AGE,
    COL_WINDOWS,
    COL_COUNT
} s_col_t;

static const struct {
    s_col_t col;
    const char *names; /* '|'-separated, already in matching form */
} s_columns[] = {
    {COL_NAME, "name|姓名|客户姓名|名字|母亲姓名|家长姓名"},
    {COL_PHONE, "phone|mobile|tel|电话|手机|手机号|手机号码|联系电话|电话号码"},
    {COL_CHANNEL, "channel|渠道|来源渠道|收集渠道"},
    {COL_REGION, "region|area|区域|片区|地区"},
    {COL_ADDRESS, "address|地址|住址|家庭住址"},
    {COL_GENDER, "gender|sex|性别"},
    {COL_BIRTH, "birth|birthdate|birthday|dateofbirth|出生日期|生日"},
    {COL_REF_DATE, "refdate|referencedate|参考日期"},
    {COL_COLLECTOR, "collector|收集人|采集人|登记人"},
    {COL_SOURCE, "source|where|来源|收集地点|地点"},
    {COL_NOTE, "note|notes|remark|备注"},
    {COL_COLLECTED_AT, "collectedat|collected|date|收集日期|登记日期|日期"},
    {COL_REFERRER, "referrer|referredby|介绍人|推荐人"},
    {COL_ROUTE, "route|directions|路线|乘车路线"},
    {COL_CONDITION, "condition|symptoms|症状|病情|病症"},
    {COL_BABY_NAME, "babyname|宝宝姓名|宝宝名字"},
    {COL_BABY_SEX, "babysex|babygender|宝宝性别"},
    {COL_BABY_BIRTH, "babybirth|babybirthdate|宝宝生日|宝宝出生日期"},
    {COL_DUE_DATE, "duedate|预产期"},
    {COL_BRAND, "brand|currentbrand|在用品牌|现用品牌|品牌"},
    {COL_FEEDING, "feeding|feedingmethod|喂养方式"},
    {COL_EMPLOYER, "employer|formeremployer|原单位|工作单位|单位"},
    {COL_HOBBIES, "hobbies|hobby|爱好|兴趣爱好"},
    {COL_HEALTH, "health|健康状况|健康指标"},
    {COL_AGE, "age|年龄"},
    {COL_WINDOWS, "windows|callwindows|通话时段|方便接听时间"},
};

/* The header cell in matching form: ASCII lowered, spaces, '_' and '-' dropped, a BOM cut. */
static void s_header_key(const char *cell, char *out, size_t outlen)
{
    size_t o = 0;
    if ((unsigned char)cell[0] == 0xEF && (unsigned char)cell[1] == 0xBB &&
        (unsigned char)cell[2] == 0xBF)
        cell += 3;
    for (const char *p = cell; *p && o + 1 < outlen; p++) {
        if (*p == ' ' || *p == '_' || *p == '-' || *p == '\t')
            continue;
        out[o++] = (char)tolower((unsigned char)*p);
    }
    out[o] = '\0';
}

static int s_column_of(const char *cell)
{
    char key[128];
    s_header_key(cell, key, sizeof key);
    size_t klen = strlen(key);
    for (size_t i = 0; i < sizeof s_columns / sizeof s_columns[0]; i++)
        for (const char *p = s_columns[i].names; *p;) {
            const char *bar = strchr(p, '|');
            size_t n = bar ? (size_t)(bar - p) : strlen(p);
            if (n == klen && strncmp(p, key, n) == 0)
                return (int)s_columns[i].col;
            p += n + (bar ? 1 : 0);
        }
    return -1;
}

/* Values as spreadsheets write them, in the form the service takes. A value that maps to
 * nothing is sent as it is, for the service to reject with its reason. */
static const char *s_map_word(const char *v, const char *const *table)
{
    char low[64];
    size_t n = 0;
    for (const char *p = v; *p && n + 1 < sizeof low; p++)
        low[n++] = (char)tolower((unsigned char)*p);
    low[n] = '\0';
    for (int i = 0; table[i]; i += 2)
        if (strcmp(low, table[i]) == 0)
            return table[i + 1];
    return v;
}

static const char *const s_sexes[] = {"男", "m",      "女", "f",    "m", "m",    "f", "f", "male",
                                      "m",  "female", "f",  "男孩", "m", "女孩", "f", NULL};
static const char *const s_feedings[] = {
    "母乳",    "breast", "母乳喂养", "breast",  "奶粉",  "formula",  "人工",  "formula", "人工喂养",
    "formula", "配方奶", "formula",  "混合",    "mixed", "混合喂养", "mixed", "混喂",    "mixed",
    "breast",  "breast", "formula",  "formula", "mixed", "mixed",    NULL};
static const char *const s_channels[] = {
    "柜台",     "counter", "药店",     "counter",  "门店",   "counter",  "咨询",     "consult",
    "电话咨询", "consult", "义诊",     "clinic",   "医院",   "hospital", "邮寄",     "mail",
    "信件",     "mail",    "转介绍",   "referral", "介绍",   "referral", "其他",     "other",
    "counter",  "counter", "consult",  "consult",  "clinic", "clinic",   "hospital", "hospital",
    "mail",     "mail",    "referral", "referral", "other",  "other",    NULL};

/* Dates as spreadsheets write them — 2026/1/5, 2026-1-5, 2026.01.05, 2026年1月5日, with or
 * without a time after them — as YYYY-MM-DD (into out, 11 bytes); else v unchanged. */
static const char *s_map_date(const char *v, char *out, const char **rest)
{
    int y = 0, m = 0, d = 0, n = 0;
    const char *p = v;
    *rest = "";
    while (*p >= '0' && *p <= '9' && n < 4) {
        y = y * 10 + (*p++ - '0');
        n++;
    }
    if (n != 4)
        return v;
    const char *seps[] = {"-", "/", ".", "年"};
    size_t sl = 0;
    for (int i = 0; i < 4 && sl == 0; i++)
        if (strncmp(p, seps[i], strlen(seps[i])) == 0)
            sl = strlen(seps[i]);
    if (sl == 0)
        return v;
    p += sl;
    for (n = 0; *p >= '0' && *p <= '9' && n < 2; n++)
        m = m * 10 + (*p++ - '0');
    if (n == 0)
        return v;
    const char *seps2[] = {"-", "/", ".", "月"};
    sl = 0;
    for (int i = 0; i < 4 && sl == 0; i++)
        if (strncmp(p, seps2[i], strlen(seps2[i])) == 0)
            sl = strlen(seps2[i]);
    if (sl == 0)
        return v;
    p += sl;
    for (n = 0; *p >= '0' && *p <= '9' && n < 2; n++)
        d = d * 10 + (*p++ - '0');
    if (n == 0)
        return v;
    if (strncmp(p, "日", strlen("日")) == 0)
        p += strlen("日");
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
    *rest = p;
    return out;
}

/* One row waiting in a batch: what the file said (for the rejects file). */
typedef struct {
    int64_t line;
    char **fields;
    int nfields;
} s_pending_t;

/* A batch of rows on its way: built by the reader, sent by a sender, its answer handled by
 * the reader again. Its strings live in its own arena. */
typedef struct s_batch {
    hf_arena_t *arena;
    Huifang__V1__LeadImportRow **rows;
    s_pending_t *pending;
    int n;
    char key[40];    /* the idempotency key of its request */
    int status;      /* after sending: 0, or the exit code */
    hf_reply_t *rep; /* after sending, when status is 0 */
    struct s_batch *next;
} s_batch_t;

typedef struct s_import s_import_t;

#define IMPORT_MAX_LANES 16

/* A sender: one thread with its own client for one intake instance, sending the batches of
 * its lane. */
typedef struct {
    s_import_t *im;
    int lane;
    const char *endpoint;
    pthread_t thread;
    bool started;
} s_sender_t;

struct s_import {
    ctl_t *ctl;
    const char *path;
    const char *rejects_path;
    FILE *rejects;
    char **header;
    int nheader;
    int cols[COL_COUNT]; /* the file column of each field, or -1 */
    const char *channel, *collector, *source, *plan;
    /* the places seen before the import, sent with every batch (read by the senders only) */
    Huifang__V1__StreamPosition **after;
    size_t n_after;
    int timeout_ms;
    int batch_size;
    /* the batches, passed between the reader and the senders under mu. A row goes to the
     * lane of its phone (one lane per intake instance), so that every row of a phone goes to
     * one instance: two instances then never claim the same new phone at the same time, which
     * would make one wait for the other's transaction and fall back to slower claims (it
     * would still be correct: the lanes are for speed only) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    s_batch_t *queued[IMPORT_MAX_LANES], *queued_tail[IMPORT_MAX_LANES], *done, *spare;
    int nlanes;
    int nbatches; /* allocated, at most 3 per lane */
    int max_batches;
    bool closing;                         /* the reader has no more batches */
    int failed;                           /* a batch failed: its exit code */
    s_batch_t *filling[IMPORT_MAX_LANES]; /* the batch the reader is filling, per lane */
    s_batch_t *cur;                       /* the one it fills now */
    int cur_lane;
    int64_t read, added, merged, rejected, duplicate, last_line;
    int64_t started_ms, progress_ms;
    bool progress;
};

static int s_reject(s_import_t *im, int64_t line, char **fields, int nfields, const char *field,
                    const char *reason)
{
    im->rejected++;
    if (im->rejects == NULL) {
        im->rejects = fopen(im->rejects_path, "w");
        if (im->rejects == NULL) {
            ctl_error("could not write the rejects file %s: %m", im->rejects_path);
            return -1;
        }
        /* the rejects file can be fixed and imported again: its extra columns are ignored */
        const char **head =
            hf_arena_alloc(im->ctl->arena, sizeof(char *) * (size_t)(im->nheader + 3));
        head[0] = "line";
        head[1] = "field";
        head[2] = "reason";
        for (int i = 0; i < im->nheader; i++)
            head[3 + i] = im->header[i];
        hf_csv_write(im->rejects, head, im->nheader + 3);
    }
    const char **out = malloc(sizeof(char *) * (size_t)(nfields + 3));
    if (out == NULL)
        return -1;
    char linetxt[24];
    snprintf(linetxt, sizeof linetxt, "%lld", (long long)line);
    out[0] = linetxt;
    out[1] = field ? field : "";
    out[2] = reason;
    for (int i = 0; i < nfields; i++)
        out[3 + i] = fields[i];
    int rc = hf_csv_write(im->rejects, out, nfields + 3);
    free(out);
    if (rc != 0) {
        ctl_error("could not write the rejects file %s: %m", im->rejects_path);
        return -1;
    }
    return 0;
}

static void s_progress(s_import_t *im, const hf_csv_t *csv, bool last)
{
    if (!im->progress)
        return;
    int64_t now = hf_clock_mono_ms();
    if (!last && now - im->progress_ms < 250)
        return;
    im->progress_ms = now;
    double secs = (double)(now - im->started_ms) / 1000.0;
    double rate = secs > 0 ? (double)im->read / secs : 0;
    int64_t size = hf_csv_size(csv);
    if (size > 0)
        fprintf(stderr, "\rimporting: %5.1f%%  %lld rows  %.0f rows/s   ",
                100.0 * (double)hf_csv_offset(csv) / (double)size, (long long)im->read, rate);
    else
        fprintf(stderr, "\rimporting: %lld rows  %.0f rows/s   ", (long long)im->read, rate);
    if (last)
        fputc('\n', stderr);
    fflush(stderr);
}

/* ---- senders ---- */

/* Sends one batch and keeps the answer on it. */
static void s_send(hf_client_t *client, s_import_t *im, s_batch_t *b)
{
    Huifang__V1__LeadImport li = HUIFANG__V1__LEAD_IMPORT__INIT;
    li.rows = b->rows;
    li.n_rows = (size_t)b->n;
    li.channel = (char *)(im->channel ? im->channel : "");
    li.collector = (char *)(im->collector ? im->collector : "");
    li.source = (char *)(im->source ? im->source : "");
    li.plan = (char *)(im->plan ? im->plan : "");
    hf_request_t req;
    ctl_request_init(im->ctl, &req);
    /* a fresh key per batch: the client's retries of this batch resend it, so a batch that
     * committed while its answer was lost is answered again, not recorded twice */
    req.idempotency_key = b->key;
    req.after = im->after;
    req.n_after = im->n_after;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_LEAD_IMPORT;
    req.lead_import = &li;
    b->rep = NULL;
    /* a store that failed under the batch (a deadlock with another import, a lost
     * connection) rolled it back whole: the same batch is sent again, a few times */
    for (int attempt = 0;; attempt++) {
        if (hf_client_call(client, &req, &b->rep) != 0) {
            ctl_error("the intake service at %s did not answer (is it running?)",
                      hf_client_endpoint(client));
            b->status = HF_UNAVAILABLE;
            return;
        }
        if (b->rep->status != HF_UNAVAILABLE || attempt == 4)
            break;
        ctl_reply_free(&b->rep);
        usleep(200000u << attempt);
    }
    if (b->rep->status != HF_OK || b->rep->result_case != HUIFANG__V1__REPLY__RESULT_LEAD_IMPORT) {
        b->status = b->rep->status != HF_OK ? (int)b->rep->status : HF_INTERNAL;
        ctl_error("%s", b->rep->error && *b->rep->error
                            ? b->rep->error
                            : "the intake service answered without the result");
        ctl_reply_free(&b->rep);
        return;
    }
    b->status = HF_OK;
}

static void *s_sender(void *arg)
{
    s_sender_t *sd = arg;
    s_import_t *im = sd->im;
    hf_client_t *client = hf_client_new(sd->endpoint, im->timeout_ms, 3);
    hf_client_set_server(client, "intake"); /* every --endpoints address is an intake */
    pthread_mutex_lock(&im->mu);
    for (;;) {
        int k = sd->lane;
        while (im->queued[k] == NULL && !im->closing && !im->failed)
            pthread_cond_wait(&im->cv, &im->mu);
        if (im->queued[k] == NULL || im->failed)
            break;
        s_batch_t *b = im->queued[k];
        im->queued[k] = b->next;
        if (im->queued[k] == NULL)
            im->queued_tail[k] = NULL;
        pthread_mutex_unlock(&im->mu);
        s_send(client, im, b);
        pthread_mutex_lock(&im->mu);
        b->next = im->done;
        im->done = b;
        if (b->status != HF_OK && !im->failed)
            im->failed = b->status;
        pthread_cond_broadcast(&im->cv);
    }
    pthread_mutex_unlock(&im->mu);
    hf_client_destroy(&client);
    return NULL;
}

/* ---- the reader's side ---- */

static void s_batch_free(s_batch_t **bp)
{
    s_batch_t *b = *bp;
    if (b == NULL)
        return;
    ctl_reply_free(&b->rep);
    hf_arena_destroy(&b->arena);
    free(b->rows);
    free(b->pending);
    free(b);
    *bp = NULL;
}

/* Counts what the service did with a batch and writes its rejects; the batch is then
 * ready for reuse. Returns 0, or an exit code. */
static int s_handle(s_import_t *im, s_batch_t *b)
{
    int rc = 0;
    if (b->status == HF_OK && b->rep) {
        const Huifang__V1__LeadImportResult *r = b->rep->lead_import;
        ctl_positions_note(im->ctl->positions, b->rep);
        im->added += r->added;
        im->merged += r->merged;
        im->duplicate += r->duplicate;
        /* outcomes come in the batch's order: walk both together */
        int k = 0;
        for (size_t i = 0; i < r->n_rows && rc == 0; i++) {
            const Huifang__V1__LeadImportOutcome *o = r->rows[i];
            if (strcmp(o->outcome, "rejected") != 0)
                continue;
            while (k < b->n && b->pending[k].line != o->line)
                k++;
            if (k == b->n)
                break;
            if (s_reject(im, o->line, b->pending[k].fields, b->pending[k].nfields, o->field,
                         o->reason) != 0)
                rc = HF_INTERNAL;
        }
    }
    ctl_reply_free(&b->rep);
    b->n = 0;
    b->status = 0;
    hf_arena_reset(b->arena);
    return rc;
}

/* Handles every answered batch. Called with mu held; returns with it held. */
static int s_drain(s_import_t *im)
{
    int rc = 0;
    while (im->done) {
        s_batch_t *list = im->done;
        im->done = NULL;
        pthread_mutex_unlock(&im->mu);
        for (s_batch_t *b = list, *next; b; b = next) {
            next = b->next;
            int r = s_handle(im, b);
            if (r != 0 && rc == 0)
                rc = r;
            pthread_mutex_lock(&im->mu);
            b->next = im->spare;
            im->spare = b;
            pthread_mutex_unlock(&im->mu);
        }
        pthread_mutex_lock(&im->mu);
    }
    return rc;
}

/* A batch to fill: a spare one, a new one while there are fewer than two per sender, or the
 * first to come back. NULL when a batch failed (im->failed says how). */
static s_batch_t *s_take(s_import_t *im, int *rc)
{
    pthread_mutex_lock(&im->mu);
    s_batch_t *b = NULL;
    for (;;) {
        int r = s_drain(im);
        if (r != 0 && *rc == 0)
            *rc = r;
        if (im->failed || *rc != 0)
            break;
        if (im->spare) {
            b = im->spare;
            im->spare = b->next;
            break;
        }
        if (im->nbatches < im->max_batches) {
            b = calloc(1, sizeof *b);
            if (b) {
                b->arena = hf_arena_new();
                b->rows = calloc((size_t)im->batch_size, sizeof *b->rows);
                b->pending = calloc((size_t)im->batch_size, sizeof *b->pending);
            }
            if (b == NULL || b->rows == NULL || b->pending == NULL) {
                s_batch_free(&b);
                *rc = HF_INTERNAL;
                break;
            }
            im->nbatches++;
            break;
        }
        pthread_cond_wait(&im->cv, &im->mu);
    }
    pthread_mutex_unlock(&im->mu);
    if (b)
        b->next = NULL;
    return b;
}

/* The lane of a row: a hash of its phone's digits (a leading 86 of a 13-digit number
 * dropped), so the ways of writing one phone that intake normalises to one mostly meet in one
 * lane. */
static int s_lane_of(const s_import_t *im, char **fields, int nfields)
{
    if (im->nlanes <= 1)
        return 0;
    int col = im->cols[COL_PHONE];
    const char *p = col >= 0 && col < nfields ? fields[col] : "";
    char digits[32];
    size_t n = 0;
    for (; *p && n < sizeof digits - 1; p++)
        if (*p >= '0' && *p <= '9')
            digits[n++] = *p;
    digits[n] = '\0';
    const char *d = n == 13 && digits[0] == '8' && digits[1] == '6' ? digits + 2 : digits;
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *d; d++)
        h = (h ^ (uint8_t)*d) * 16777619u;
    return (int)(h % (uint32_t)im->nlanes);
}

/* Hands the reader's current batch to the sender of its lane. */
static void s_submit(s_import_t *im)
{
    s_batch_t *b = im->cur;
    int k = im->cur_lane;
    im->cur = NULL;
    im->filling[k] = NULL;
    if (b == NULL)
        return;
    if (b->n == 0) {
        pthread_mutex_lock(&im->mu);
        b->next = im->spare;
        im->spare = b;
        pthread_mutex_unlock(&im->mu);
        return;
    }
    hf_bus_new_id(b->key);
    pthread_mutex_lock(&im->mu);
    if (im->queued_tail[k])
        im->queued_tail[k]->next = b;
    else
        im->queued[k] = b;
    im->queued_tail[k] = b;
    pthread_cond_broadcast(&im->cv);
    pthread_mutex_unlock(&im->mu);
}

/* Builds one row's lead from its fields into the current batch; 0, or -1 on error (a row
 * the client rejects is written to the rejects file and is no error). */
static int s_row(s_import_t *im, char **fields, int nfields, int64_t line)
{
    s_batch_t *bt = im->cur;
    hf_arena_t *a = bt->arena;
    const char *v[COL_COUNT];
    for (int c = 0; c < COL_COUNT; c++) {
        int col = im->cols[c];
        v[c] = col >= 0 && col < nfields ? fields[col] : "";
    }
    for (int i = im->nheader; i < nfields; i++)
        if (fields[i][0] != '\0')
            return s_reject(
                im, line, fields, nfields, NULL,
                ctl_fmt(im->ctl, "the line has %d fields, the header %d", nfields, im->nheader));
    Huifang__V1__LeadAdd *l = hf_new(a, Huifang__V1__LeadAdd);
    huifang__v1__lead_add__init(l);
#define SET(field, col) l->field = hf_arena_strdup(a, v[col])
    SET(name, COL_NAME);
    SET(phone, COL_PHONE);
    SET(region, COL_REGION);
    SET(address, COL_ADDRESS);
    SET(collector, COL_COLLECTOR);
    SET(source, COL_SOURCE);
    SET(note, COL_NOTE);
    SET(referrer, COL_REFERRER);
    SET(route, COL_ROUTE);
    SET(condition, COL_CONDITION);
    SET(baby_name, COL_BABY_NAME);
    SET(current_brand, COL_BRAND);
    SET(employer, COL_EMPLOYER);
    SET(hobbies, COL_HOBBIES);
    SET(health, COL_HEALTH);
    SET(windows, COL_WINDOWS);
#undef SET
    l->channel = hf_arena_strdup(a, s_map_word(v[COL_CHANNEL], s_channels));
    l->gender = hf_arena_strdup(a, s_map_word(v[COL_GENDER], s_sexes));
    l->baby_sex = hf_arena_strdup(a, s_map_word(v[COL_BABY_SEX], s_sexes));
    l->feeding = hf_arena_strdup(a, s_map_word(v[COL_FEEDING], s_feedings));
    char buf[11];
    const char *rest;
    l->birth = hf_arena_strdup(a, s_map_date(v[COL_BIRTH], buf, &rest));
    l->ref_date = hf_arena_strdup(a, s_map_date(v[COL_REF_DATE], buf, &rest));
    l->baby_birth = hf_arena_strdup(a, s_map_date(v[COL_BABY_BIRTH], buf, &rest));
    l->due_date = hf_arena_strdup(a, s_map_date(v[COL_DUE_DATE], buf, &rest));
    const char *age = v[COL_AGE];
    if (*age) {
        char *end = NULL;
        long n = strtol(age, &end, 10);
        /* "35" or "35岁" */
        if (end == age || n < 0 || n > 130 || (*end && strcmp(end, "岁") != 0 && *end != ' '))
            return s_reject(im, line, fields, nfields, "age",
                            ctl_fmt(im->ctl, "age \"%s\" is not a number of years", age));
        l->age = (int32_t)n;
    }
    const char *at = v[COL_COLLECTED_AT];
    if (*at) {
        const char *date = s_map_date(at, buf, &rest);
        char when[40];
        snprintf(when, sizeof when, "%s%s", date, date == buf ? rest : "");
        if (hf_time_parse(when, im->ctl->tz, &l->collected_at_ms) != 0)
            return s_reject(im, line, fields, nfields, "collected_at",
                            ctl_fmt(im->ctl, "collected_at \"%s\" is not a date or time", at));
    }
    Huifang__V1__LeadImportRow *row = hf_new(a, Huifang__V1__LeadImportRow);
    huifang__v1__lead_import_row__init(row);
    row->line = line;
    row->lead = l;
    s_pending_t *p = &bt->pending[bt->n];
    p->line = line;
    p->nfields = nfields;
    p->fields = hf_new_array(a, char *, nfields + 1);
    for (int i = 0; i < nfields; i++)
        p->fields[i] = hf_arena_strdup(a, fields[i]);
    bt->rows[bt->n++] = row;
    return 0;
}

/* Splits "tcp://a:7101,tcp://b:7103" into endpoints (arena strings). */
static int s_endpoints(ctl_t *ctl, const char *list, const char ***out)
{
    int n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    *out = hf_arena_alloc(ctl->arena, sizeof(char *) * (size_t)n);
    char *copy = hf_arena_strdup(ctl->arena, list);
    char *save = NULL;
    int k = 0;
    for (char *t = strtok_r(copy, ", ", &save); t && k < n; t = strtok_r(NULL, ", ", &save))
        (*out)[k++] = t;
    return k;
}

int ctl_lead_import(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("channel"),   CTL_OPT("rejects"), CTL_OPT("encoding"),
                        CTL_OPT("collector"), CTL_OPT("source"),  CTL_OPT("batch"),
                        CTL_OPT("endpoints"), CTL_OPT("plan"),    CTL_OPT_END};
    static const char *const pos_names[] = {"FILE", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    s_import_t im;
    memset(&im, 0, sizeof im);
    im.ctl = ctl;
    im.path = pos[0];
    im.channel = ctl_opt(opts, "channel");
    im.collector = ctl_opt(opts, "collector");
    im.source = ctl_opt(opts, "source");
    im.plan = ctl_opt(opts, "plan");
    if (im.channel && ctl_check_choice(ctl, "--channel", im.channel,
                                       "counter|consult|clinic|hospital|mail|referral|other") != 0)
        return ctl->exit;
    long batch = 2000;
    const char *v = ctl_opt(opts, "batch");
    if (v && ctl_parse_long(ctl, "--batch", v, 1, 10000, &batch) != 0)
        return ctl->exit;
    im.batch_size = (int)batch;
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    if (ctl_curve_check() != 0)
        return HF_BAD_INPUT;
    const char **endpoints = NULL;
    int nendpoints = 0;
    if ((v = ctl_opt(opts, "endpoints")) != NULL) {
        nendpoints = s_endpoints(ctl, v, &endpoints);
        if (nendpoints == 0 || nendpoints > 16) {
            ctl_fail(ctl, HF_BAD_INPUT,
                     "--endpoints must list 1 to 16 intake endpoints, such as "
                     "tcp://127.0.0.1:7101,tcp://127.0.0.1:7151");
            return ctl->exit;
        }
    } else {
        char ep[256];
        hf_endpoint_commands("intake", ep, sizeof ep);
        endpoints = hf_arena_alloc(ctl->arena, sizeof(char *));
        endpoints[0] = hf_arena_strdup(ctl->arena, ep);
        nendpoints = 1;
    }
    im.rejects_path = ctl_opt(opts, "rejects");
    if (im.rejects_path == NULL)
        im.rejects_path =
            ctl_fmt(ctl, "%s.rejects.csv", strcmp(im.path, "-") == 0 ? "stdin" : im.path);

    char err[300];
    hf_csv_t *csv = hf_csv_open(im.path, ctl_opt(opts, "encoding"), err, sizeof err);
    if (csv == NULL) {
        ctl_fail(ctl, HF_BAD_INPUT, "%s", err);
        return ctl->exit;
    }
    pthread_mutex_init(&im.mu, NULL);
    pthread_cond_init(&im.cv, NULL);
    s_sender_t senders[16];
    memset(senders, 0, sizeof senders);
    int rc = HF_OK;
    char **fields;
    int nfields;
    int64_t line;
    int got = hf_csv_next(csv, &fields, &nfields, &line);
    if (got <= 0) {
        ctl_fail(ctl, HF_BAD_INPUT, "%s: %s", im.path,
                 got == 0 ? "the file is empty" : hf_csv_error(csv));
        rc = ctl->exit;
        goto cleanup;
    }
    /* the header says which column holds what */
    for (int c = 0; c < COL_COUNT; c++)
        im.cols[c] = -1;
    im.nheader = nfields;
    im.header = hf_arena_alloc(ctl->arena, sizeof(char *) * (size_t)(nfields + 1));
    for (int i = 0; i < nfields; i++) {
        im.header[i] = hf_arena_strdup(ctl->arena, fields[i]);
        int col = s_column_of(fields[i]);
        char key[64];
        s_header_key(fields[i], key, sizeof key);
        if (col >= 0 && im.cols[col] < 0)
            im.cols[col] = i;
        else if (col < 0 && strcmp(key, "line") && strcmp(key, "field") && strcmp(key, "reason") &&
                 *key)
            ctl_error("%s: ignoring column \"%s\" (not a lead field)", im.path, fields[i]);
    }
    if (im.cols[COL_NAME] < 0 || im.cols[COL_PHONE] < 0) {
        ctl_fail(ctl, HF_BAD_INPUT,
                 "%s: the first line must name the columns, with at least name and phone "
                 "(姓名, 电话); it has: %s%s",
                 im.path, nfields > 0 ? fields[0] : "", nfields > 1 ? ", ..." : "");
        rc = ctl->exit;
        goto cleanup;
    }
    if (im.cols[COL_CHANNEL] < 0 && im.channel == NULL) {
        ctl_fail(ctl, HF_BAD_INPUT, "--channel is required: %s has no channel column", im.path);
        rc = ctl->exit;
        goto cleanup;
    }

    /* one sender per intake instance, each with a batch in flight and one waiting, while
     * this thread reads and parses the next: a batch is thousands of rows, so each try of
     * a call is given more time than a single command's by default (60 s); a --timeout
     * given is kept as it is, so an import to an intake that restarts resumes (or gives up)
     * within it */
    im.timeout_ms = ctl->timeout_given || ctl->timeout_ms > 60000 ? ctl->timeout_ms : 60000;
    hf_request_t places = HUIFANG__V1__REQUEST__INIT;
    ctl_positions_attach(ctl->positions, &places, "intake", ctl->arena);
    im.after = places.after;
    im.n_after = places.n_after;
    im.nlanes = nendpoints;
    im.max_batches = 3 * nendpoints;
    for (int i = 0; i < nendpoints; i++) {
        senders[i].im = &im;
        senders[i].lane = i;
        senders[i].endpoint = endpoints[i];
        senders[i].started = pthread_create(&senders[i].thread, NULL, s_sender, &senders[i]) == 0;
        if (!senders[i].started) {
            ctl_error("could not start a sender thread");
            rc = HF_INTERNAL;
            goto finish;
        }
    }
    im.progress = !ctl->json && isatty(STDERR_FILENO);
    im.started_ms = hf_clock_mono_ms();
    while ((got = hf_csv_next(csv, &fields, &nfields, &line)) == 1) {
        im.cur_lane = s_lane_of(&im, fields, nfields);
        if (im.filling[im.cur_lane] == NULL && (im.filling[im.cur_lane] = s_take(&im, &rc)) == NULL)
            break;
        im.cur = im.filling[im.cur_lane];
        im.read++;
        im.last_line = line;
        if (s_row(&im, fields, nfields, line) < 0) {
            rc = HF_INTERNAL;
            break;
        }
        if (im.cur->n == im.batch_size)
            s_submit(&im);
        s_progress(&im, csv, false);
    }
    if (got < 0) {
        ctl_error("%s: %s", im.path, hf_csv_error(csv));
        rc = HF_BAD_INPUT;
    }
    for (int k = 0; rc == HF_OK && k < im.nlanes; k++) {
        im.cur = im.filling[k];
        im.cur_lane = k;
        s_submit(&im);
    }
finish:
    pthread_mutex_lock(&im.mu);
    im.closing = true;
    if (rc != HF_OK && !im.failed)
        im.failed = rc; /* senders stop taking batches */
    pthread_cond_broadcast(&im.cv);
    pthread_mutex_unlock(&im.mu);
    for (int i = 0; i < nendpoints; i++)
        if (senders[i].started)
            pthread_join(senders[i].thread, NULL);
    pthread_mutex_lock(&im.mu);
    int r = s_drain(&im);
    if (rc == HF_OK)
        rc = r ? r : im.failed;
    pthread_mutex_unlock(&im.mu);
    s_progress(&im, csv, true);
    if (hf_csv_bad_bytes(csv) > 0)
        ctl_error("%s: %lld bytes were not %s text (replaced; try --encoding)", im.path,
                  (long long)hf_csv_bad_bytes(csv), hf_csv_encoding(csv));

    double secs = (double)(hf_clock_mono_ms() - im.started_ms) / 1000.0;
    if (ctl->json) {
        printf("{\"file\":\"%s\",\"encoding\":\"%s\",\"read\":%lld,\"added\":%lld,\"merged\":%lld,"
               "\"rejected\":%lld,\"duplicate\":%lld,\"seconds\":%.3f,\"complete\":%s,"
               "\"rejects_file\":\"%s\"}\n",
               im.path, hf_csv_encoding(csv), (long long)im.read, (long long)im.added,
               (long long)im.merged, (long long)im.rejected, (long long)im.duplicate, secs,
               rc == HF_OK ? "true" : "false", im.rejected ? im.rejects_path : "");
    } else {
        printf("read %lld, added %lld, merged %lld, rejected %lld, already imported %lld"
               " (%.1f s, %.0f rows/s)\n",
               (long long)im.read, (long long)im.added, (long long)im.merged,
               (long long)im.rejected, (long long)im.duplicate, secs,
               secs > 0 ? (double)im.read / secs : 0.0);
        if (im.rejected)
            ctl_error("rejected lines, with their line numbers and reasons: %s", im.rejects_path);
    }
    if (rc != HF_OK)
        ctl_error("stopped near line %lld: run the same import again to finish it (rows already"
                  " imported are skipped)",
                  (long long)im.last_line);
cleanup:
    if (im.rejects && fclose(im.rejects) != 0 && rc == HF_OK) {
        ctl_error("could not write the rejects file %s: %m", im.rejects_path);
        rc = HF_INTERNAL;
    }
    for (int k = 0; k < IMPORT_MAX_LANES; k++) {
        s_batch_free(&im.filling[k]);
        for (s_batch_t *b = im.queued[k], *next; b; b = next) {
            next = b->next;
            s_batch_free(&b);
        }
    }
    for (s_batch_t *lists[] = {im.done, im.spare}, **l = lists; l < lists + 2; l++)
        for (s_batch_t *b = *l, *next; b; b = next) {
            next = b->next;
            s_batch_free(&b);
        }
    pthread_cond_destroy(&im.cv);
    pthread_mutex_destroy(&im.mu);
    hf_csv_destroy(&csv);
    return rc;
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
        ctl_table_t *t = ctl_table_new(9, "CUSTOMER", "BRANCH", "NAME", "PHONE", "REGION", "CARD",
                                       "TIER", "STAGE", "CREATED");
        for (size_t i = 0; i < list->n_customers; i++) {
            const Huifang__V1__Customer *c = list->customers[i];
            ctl_table_add(t, ctl_fmt(ctl, "%lld", (long long)c->id), c->branch, c->name,
                          ctl_phone_masked(ctl, c->phone), c->region, c->card_type, c->tier,
                          c->stage, ctl_local_time(ctl, c->created_at_ms));
        }
        ctl_table_print(t);
        ctl_table_destroy(&t);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}

/* The history of a customer's hand edits (names masked, as everywhere on screen). */
static void s_print_changes(ctl_t *ctl, const Huifang__V1__CustomerDetail *d)
{
    if (d->n_changes == 0)
        return;
    printf("\nchanges\n");
    ctl_table_t *t = ctl_table_new(5, "AT", "BY", "FIELD", "FROM", "TO");
    for (size_t i = 0; i < d->n_changes; i++) {
        const Huifang__V1__FieldChange *ch = d->changes[i];
        bool name = strcmp(ch->field, "name") == 0;
        ctl_table_add(t, ctl_local_time(ctl, ch->at_ms), ctl_str(ch->actor), ch->field,
                      name ? ctl_name_masked(ctl, ch->from) : ctl_str(ch->from),
                      name ? ctl_name_masked(ctl, ch->to) : ctl_str(ch->to));
    }
    ctl_table_print(t);
    ctl_table_destroy(&t);
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
        printf("\nlead sources\n");
        if (d->n_sources == 0) {
            printf("  none\n");
        } else {
            ctl_table_t *t = ctl_table_new(6, "COLLECTED", "CHANNEL", "COLLECTOR", "SOURCE",
                                           "REFERRER", "MERGED");
            for (size_t i = 0; i < d->n_sources; i++) {
                const Huifang__V1__LeadSource *s = d->sources[i];
                ctl_table_add(t, ctl_local_time(ctl, s->collected_at_ms), s->channel, s->collector,
                              s->source, s->referrer, s->merged ? "yes" : "no");
            }
            ctl_table_print(t);
            ctl_table_destroy(&t);
        }
        s_print_changes(ctl, d);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * customer edit
 * ------------------------------------------------------------------------------------- */

int ctl_customer_edit(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {
        CTL_OPT("name"),      CTL_OPT("region"),   CTL_OPT("address"),    CTL_OPT("gender"),
        CTL_OPT("birth"),     CTL_OPT("ref-date"), CTL_OPT("route"),      CTL_OPT("condition"),
        CTL_OPT("baby-name"), CTL_OPT("baby-sex"), CTL_OPT("baby-birth"), CTL_OPT("due-date"),
        CTL_OPT("brand"),     CTL_OPT("feeding"),  CTL_OPT("employer"),   CTL_OPT("hobbies"),
        CTL_OPT("health"),    CTL_OPT("age"),      CTL_OPT("windows"),    CTL_OPT("clear"),
        CTL_OPT_IDEMPOTENCY,  CTL_OPT_END};
    static const char *const pos_names[] = {"ID", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__CustomerEdit edit = HUIFANG__V1__CUSTOMER_EDIT__INIT;
    if (ctl_parse_id(ctl, "ID", pos[0], &edit.id) != 0)
        return ctl->exit;
    const char *v;
    if ((v = ctl_opt(opts, "gender")) && ctl_check_choice(ctl, "--gender", v, "f|m") != 0)
        return ctl->exit;
    if ((v = ctl_opt(opts, "baby-sex")) && ctl_check_choice(ctl, "--baby-sex", v, "f|m") != 0)
        return ctl->exit;
    if ((v = ctl_opt(opts, "feeding")) &&
        ctl_check_choice(ctl, "--feeding", v, "breast|formula|mixed") != 0)
        return ctl->exit;
    static const char *const dates[] = {"birth", "ref-date", "baby-birth", "due-date", NULL};
    for (int i = 0; dates[i]; i++)
        if ((v = ctl_opt(opts, dates[i])) &&
            ctl_check_date(ctl, ctl_fmt(ctl, "--%s", dates[i]), v) != 0)
            return ctl->exit;
    long age = 0;
    if ((v = ctl_opt(opts, "age")) && ctl_parse_long(ctl, "--age", v, 1, 130, &age) != 0)
        return ctl->exit;
    Huifang__V1__LeadAdd fields = HUIFANG__V1__LEAD_ADD__INIT;
    bool any = age != 0;
#define S_OPTIONAL(field, flag)                                                                    \
    if ((v = ctl_opt(opts, flag)) != NULL)                                                         \
        fields.field = (char *)v, any = true;
    S_OPTIONAL(name, "name")
    S_OPTIONAL(region, "region")
    S_OPTIONAL(address, "address")
    S_OPTIONAL(gender, "gender")
    S_OPTIONAL(birth, "birth")
    S_OPTIONAL(ref_date, "ref-date")
    S_OPTIONAL(route, "route")
    S_OPTIONAL(condition, "condition")
    S_OPTIONAL(baby_name, "baby-name")
    S_OPTIONAL(baby_sex, "baby-sex")
    S_OPTIONAL(baby_birth, "baby-birth")
    S_OPTIONAL(due_date, "due-date")
    S_OPTIONAL(current_brand, "brand")
    S_OPTIONAL(feeding, "feeding")
    S_OPTIONAL(employer, "employer")
    S_OPTIONAL(hobbies, "hobbies")
    S_OPTIONAL(health, "health")
    S_OPTIONAL(windows, "windows")
#undef S_OPTIONAL
    /* --clear a,b: the flags' names (ref-date, brand) become the service's (ref_date,
     * current_brand); the service says which may be emptied */
    if ((v = ctl_opt(opts, "clear")) != NULL) {
        size_t n = 1;
        for (const char *c = v; *c; c++)
            n += *c == ',';
        edit.clear = hf_new_array(ctl->arena, char *, n);
        char *list = (char *)ctl_fmt(ctl, "%s", v);
        for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
            while (*tok == ' ')
                tok++;
            for (char *c = tok; *c; c++)
                *c = *c == '-' ? '_' : *c;
            edit.clear[edit.n_clear++] = strcmp(tok, "brand") == 0 ? "current_brand" : tok;
        }
        if (edit.n_clear == 0) {
            ctl_fail(ctl, HF_BAD_INPUT, "--clear names no field: '%s'", v);
            return ctl->exit;
        }
        any = true;
    }
    if (!any) {
        ctl_fail(ctl, HF_BAD_INPUT, "nothing to change: give a field to edit (see --help)");
        return ctl->exit;
    }
    fields.age = (int32_t)age;
    edit.fields = &fields;
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_EDIT;
    req.customer_edit = &edit;
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
        s_print_changes(ctl, d);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * customer phone add / merge / opt-out / dnd / card
 * ------------------------------------------------------------------------------------- */

int ctl_customer_phone(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("relation"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const pos_names[] = {"add", "ID", "PHONE", NULL};
    const char *pos[3];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    if (strcmp(pos[0], "add") != 0) {
        ctl_fail(ctl, HF_BAD_INPUT, "unknown command 'customer phone %s' (usage: huifang %s)",
                 pos[0], ctl->command->usage);
        return ctl->exit;
    }
    Huifang__V1__CustomerPhoneAdd add = HUIFANG__V1__CUSTOMER_PHONE_ADD__INIT;
    if (ctl_parse_id(ctl, "ID", pos[1], &add.id) != 0)
        return ctl->exit;
    char norm[32];
    const char *why = NULL;
    if (hf_phone_normalise(pos[2], norm, sizeof norm, &why) != 0) {
        ctl_fail(ctl, HF_BAD_INPUT, "PHONE is not a phone number: %s", why ? why : "malformed");
        return ctl->exit;
    }
    const char *relation = ctl_opt(opts, "relation");
    if (relation &&
        ctl_check_choice(ctl, "--relation", relation, "self|spouse|child|parent|other") != 0)
        return ctl->exit;
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    add.phone = norm;
    add.relation = (char *)(relation ? relation : "other");
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_PHONE_ADD;
    req.customer_phone_add = &add;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_CUSTOMER, &rep);
    return rc != HF_OK ? rc : s_print_detail(ctl, &rep);
}

int ctl_customer_merge(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const pos_names[] = {"KEEP", "OTHER", NULL};
    const char *pos[2];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__CustomerMerge m = HUIFANG__V1__CUSTOMER_MERGE__INIT;
    if (ctl_parse_id(ctl, "KEEP", pos[0], &m.keep_id) != 0 ||
        ctl_parse_id(ctl, "OTHER", pos[1], &m.other_id) != 0)
        return ctl->exit;
    if (m.keep_id == m.other_id) {
        ctl_fail(ctl, HF_BAD_INPUT,
                 "OTHER must differ from KEEP: a customer cannot be merged into itself");
        return ctl->exit;
    }
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_MERGE;
    req.customer_merge = &m;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_CUSTOMER, &rep);
    return rc != HF_OK ? rc : s_print_detail(ctl, &rep);
}

int ctl_customer_opt_out(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("reason"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const pos_names[] = {"ID", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__CustomerOptOut o = HUIFANG__V1__CUSTOMER_OPT_OUT__INIT;
    if (ctl_parse_id(ctl, "ID", pos[0], &o.id) != 0 || ctl_need_branch(ctl) != 0)
        return ctl->exit;
    const char *reason = ctl_opt(opts, "reason");
    o.reason = (char *)(reason ? reason : "");
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_OPT_OUT;
    req.customer_opt_out = &o;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_CUSTOMER, &rep);
    return rc != HF_OK ? rc : s_print_detail(ctl, &rep);
}

int ctl_customer_dnd(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("until"), CTL_OPT("reason"), CTL_FLAG("clear"), CTL_OPT_IDEMPOTENCY,
                        CTL_OPT_END};
    static const char *const pos_names[] = {"ID", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__CustomerDnd d = HUIFANG__V1__CUSTOMER_DND__INIT;
    if (ctl_parse_id(ctl, "ID", pos[0], &d.id) != 0)
        return ctl->exit;
    d.clear = ctl_switch(opts, "clear");
    const char *until = ctl_opt(opts, "until"), *reason = ctl_opt(opts, "reason");
    if (d.clear) {
        if (until || reason) {
            ctl_fail(ctl, HF_BAD_INPUT, "--clear takes neither --until nor --reason");
            return ctl->exit;
        }
    } else {
        if ((until = ctl_require(ctl, opts, "until")) == NULL ||
            ctl_check_date(ctl, "--until", until) != 0)
            return ctl->exit;
        if ((reason = ctl_require(ctl, opts, "reason")) == NULL ||
            ctl_check_choice(ctl, "--reason", reason, "hospital|confinement|due-date|other") != 0)
            return ctl->exit;
    }
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    d.until = (char *)(until ? until : "");
    d.reason = (char *)(reason ? reason : "");
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_DND;
    req.customer_dnd = &d;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_CUSTOMER, &rep);
    return rc != HF_OK ? rc : s_print_detail(ctl, &rep);
}

int ctl_customer_card(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("reason"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    static const char *const pos_names[] = {"ID", "TYPE", NULL};
    const char *pos[2];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__CustomerCard cc = HUIFANG__V1__CUSTOMER_CARD__INIT;
    if (ctl_parse_id(ctl, "ID", pos[0], &cc.id) != 0 ||
        ctl_check_choice(ctl, "TYPE", pos[1], "new|one-on-one|customer|void") != 0)
        return ctl->exit;
    const char *reason = ctl_opt(opts, "reason");
    if (strcmp(pos[1], "void") == 0) {
        if (reason == NULL) {
            ctl_fail(ctl, HF_BAD_INPUT,
                     "--reason is required for a void card: invalid-phone, "
                     "out-of-area, unanswered, hostile or refused");
            return ctl->exit;
        }
        if (ctl_check_choice(ctl, "--reason", reason,
                             "invalid-phone|out-of-area|unanswered|hostile|refused") != 0)
            return ctl->exit;
    } else if (reason) {
        ctl_fail(ctl, HF_BAD_INPUT, "--reason is only for a void card");
        return ctl->exit;
    }
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    cc.card_type = (char *)pos[1];
    cc.reason = (char *)(reason ? reason : "");
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_CARD;
    req.customer_card = &cc;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_CUSTOMER, &rep);
    return rc != HF_OK ? rc : s_print_detail(ctl, &rep);
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

/* ---- audit ---- */

/* audit [--customer ID] [--user LOGIN] [--since T] [--until T] [--limit N]: who read or
 * changed customers' personal data, oldest first (intake reads audit.access). */
int ctl_audit(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("customer"), CTL_OPT("user"),  CTL_OPT("since"),
                        CTL_OPT("until"),    CTL_OPT("limit"), CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    Huifang__V1__AuditQuery q = HUIFANG__V1__AUDIT_QUERY__INIT;
    const char *v;
    if ((v = ctl_opt(opts, "customer")) && ctl_parse_id(ctl, "--customer", v, &q.customer_id) != 0)
        return ctl->exit;
    q.user = (char *)(ctl_opt(opts, "user") ? ctl_opt(opts, "user") : "");
    if ((v = ctl_opt(opts, "since")) && ctl_parse_time(ctl, "--since", v, &q.since_ms) != 0)
        return ctl->exit;
    if ((v = ctl_opt(opts, "until")) && ctl_parse_time(ctl, "--until", v, &q.until_ms) != 0)
        return ctl->exit;
    if (q.since_ms < 0 || q.until_ms < 0) {
        ctl_fail(ctl, HF_BAD_INPUT, "--since and --until must be after 1970");
        return ctl->exit;
    }
    if (q.since_ms && q.until_ms && q.since_ms >= q.until_ms) {
        ctl_fail(ctl, HF_BAD_INPUT, "--since must be before --until");
        return ctl->exit;
    }
    if ((v = ctl_opt(opts, "limit")) != NULL) {
        long n;
        if (ctl_parse_long(ctl, "--limit", v, 1, 1000, &n) != 0)
            return ctl->exit;
        q.limit = (int32_t)n;
    }
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_AUDIT;
    req.audit = &q;

    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_AUDIT, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__AuditRows *r = rep->audit;
    if (ctl->json) {
        for (size_t i = 0; i < r->n_rows; i++)
            ctl_json(&r->rows[i]->base);
    } else if (r->n_rows == 0) {
        ctl_error("no audit rows match");
    } else {
        ctl_table_t *t = ctl_table_new(8, "AT", "ACTOR", "ROLE", "BRANCH", "SERVICE", "COMMAND",
                                       "CUSTOMERS", "REQUEST");
        for (size_t i = 0; i < r->n_rows; i++) {
            const Huifang__V1__AuditRow *row = r->rows[i];
            /* the customers, up to five, then how many more */
            char ids[160] = "";
            size_t o = 0;
            for (size_t k = 0; k < row->n_customers && k < 5; k++)
                o += (size_t)snprintf(ids + o, sizeof ids - o, "%s%lld", k ? "," : "",
                                      (long long)row->customers[k]);
            if (row->n_customers > 5)
                snprintf(ids + o, sizeof ids - o, " +%zu", row->n_customers - 5);
            const char *actor = row->on_behalf_of && *row->on_behalf_of
                                    ? ctl_fmt(ctl, "%s for %s", row->actor, row->on_behalf_of)
                                    : row->actor;
            ctl_table_add(t, ctl_local_time(ctl, row->at_ms), actor, row->role, row->branch,
                          row->service, row->command, ids, row->request_id);
        }
        ctl_table_print(t);
        ctl_table_destroy(&t);
    }
    if (r->more && !ctl->json)
        ctl_error("more rows match: narrow with --since (the last row's time) or --limit");
    ctl_reply_free(&rep);
    return HF_OK;
}
