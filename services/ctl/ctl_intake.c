/* ctl_intake: leads, customers and purchases — the archive, owned by the intake service. */
#include "ctl.h"
#include "ctl_import.h"

#include "hf_clock.h"
#include "hf_csv.h"
#include "hf_phone.h"
#include "hf_service.h"
#include "hf_time.h"

#include <ctype.h>
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
    if (c->language && *c->language)
        ctl_kv("language", c->language);
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
    ctl_opt_t opts[] = {CTL_OPT("name"),      CTL_OPT("phone"),    CTL_OPT("channel"),
                        CTL_OPT("region"),    CTL_OPT("address"),  CTL_OPT("gender"),
                        CTL_OPT("birth"),     CTL_OPT("ref-date"), CTL_OPT("collector"),
                        CTL_OPT("source"),    CTL_OPT("note"),     CTL_OPT("collected-at"),
                        CTL_OPT("referrer"),  CTL_OPT("route"),    CTL_OPT("condition"),
                        CTL_OPT("baby-name"), CTL_OPT("baby-sex"), CTL_OPT("baby-birth"),
                        CTL_OPT("due-date"),  CTL_OPT("brand"),    CTL_OPT("feeding"),
                        CTL_OPT("employer"),  CTL_OPT("hobbies"),  CTL_OPT("health"),
                        CTL_OPT("age"),       CTL_OPT("windows"),  CTL_OPT("plan"),
                        CTL_OPT_IDEMPOTENCY,  CTL_OPT("language"), CTL_OPT_END};
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
    S_OPTIONAL(language, "language")
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

/* The column map, a row as a lead and the batch pipeline are ctl_import's (ctl_import.h);
 * here is what the command adds: the rejects file, the progress line and the counts. */

typedef struct {
    ctl_t *ctl;
    const char *path;
    const char *rejects_path;
    FILE *rejects;
    char **header;
    ctl_import_map_t map;
    const char *channel, *collector, *source, *plan;
    const char **endpoints; /* one intake instance per lane */
    /* every batch's request as far as it is the same for all: the branch, the actor, the
     * session and the places seen before the import. Made once by the reader before any
     * sender starts and only read by the senders: the session is looked up (and an --as
     * session made) in one thread, never raced for by the first batch of every lane */
    hf_request_t base;
    int timeout_ms;
    int64_t read, added, merged, rejected, duplicate, last_line;
    int64_t started_ms, progress_ms;
    bool progress;
} s_import_t;

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
        int nheader = im->map.nheader;
        const char **head = hf_arena_alloc(im->ctl->arena, sizeof(char *) * (size_t)(nheader + 3));
        head[0] = "line";
        head[1] = "field";
        head[2] = "reason";
        for (int i = 0; i < nheader; i++)
            head[3 + i] = im->header[i];
        hf_csv_write(im->rejects, head, nheader + 3);
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

/* ---- a sender's side (ctl_import_io_t, in its thread) ---- */

static void *s_connect(void *ctx, int lane)
{
    s_import_t *im = ctx;
    hf_client_t *client = hf_client_new(im->endpoints[lane], im->timeout_ms, 3);
    hf_client_set_server(client, "intake"); /* every --endpoints address is an intake */
    return client;
}

static void s_disconnect(void *ctx, void **conn)
{
    (void)ctx;
    hf_client_destroy((hf_client_t **)conn);
}

/* Sends one batch and keeps the answer on it. */
static void s_send(void *ctx, void *conn, ctl_import_batch_t *b)
{
    s_import_t *im = ctx;
    hf_client_t *client = conn;
    Huifang__V1__LeadImport li = HUIFANG__V1__LEAD_IMPORT__INIT;
    li.rows = b->rows;
    li.n_rows = (size_t)b->n;
    li.channel = (char *)(im->channel ? im->channel : "");
    li.collector = (char *)(im->collector ? im->collector : "");
    li.source = (char *)(im->source ? im->source : "");
    li.plan = (char *)(im->plan ? im->plan : "");
    hf_request_t req = im->base;
    /* a fresh key per batch: the client's retries of this batch resend it, so a batch that
     * committed while its answer was lost is answered again, not recorded twice */
    req.idempotency_key = b->key;
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

/* ---- the reader's side ---- */

/* Counts what the service did with a batch and writes its rejects. Returns 0, or an exit
 * code. */
static int s_handle(void *ctx, ctl_import_batch_t *b)
{
    s_import_t *im = ctx;
    int rc = 0;
    if (b->status != HF_OK || b->rep == NULL)
        return 0;
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
    return rc;
}

static const ctl_import_io_t s_io = {s_connect, s_send, s_disconnect, s_handle};

/* Builds one row's lead into its lane's batch; 0, or -1 on error (a row the client rejects
 * is written to the rejects file and is no error). */
static int s_row(s_import_t *im, ctl_importer_t *pipe, ctl_import_batch_t *b, char **fields,
                 int nfields, int64_t line)
{
    Huifang__V1__LeadAdd *lead;
    const char *field;
    char reason[256];
    if (ctl_import_row(&im->map, fields, nfields, im->ctl->tz, b->arena, &lead, &field, reason,
                       sizeof reason) != 0)
        return s_reject(im, line, fields, nfields, field, reason);
    ctl_importer_add(pipe, b, lead, line, fields, nfields);
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

/* 1. the command's flags into im, and the intake endpoints (one lane each); 0 or the exit
 * code */
static int s_import_options(ctl_t *ctl, int argc, char **argv, s_import_t *im, long *batch,
                            int *nendpoints, const char **encoding)
{
    ctl_opt_t opts[] = {CTL_OPT("channel"),   CTL_OPT("rejects"), CTL_OPT("encoding"),
                        CTL_OPT("collector"), CTL_OPT("source"),  CTL_OPT("batch"),
                        CTL_OPT("endpoints"), CTL_OPT("plan"),    CTL_OPT_END};
    static const char *const pos_names[] = {"FILE", NULL};
    const char *pos[1];
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    im->ctl = ctl;
    im->path = pos[0];
    im->channel = ctl_opt(opts, "channel");
    im->collector = ctl_opt(opts, "collector");
    im->source = ctl_opt(opts, "source");
    im->plan = ctl_opt(opts, "plan");
    *encoding = ctl_opt(opts, "encoding");
    if (im->channel && ctl_check_choice(ctl, "--channel", im->channel,
                                        "counter|consult|clinic|hospital|mail|referral|other") != 0)
        return ctl->exit;
    *batch = 2000;
    const char *v = ctl_opt(opts, "batch");
    if (v && ctl_parse_long(ctl, "--batch", v, 1, 10000, batch) != 0)
        return ctl->exit;
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    if (ctl_curve_check() != 0)
        return HF_BAD_INPUT;
    if ((v = ctl_opt(opts, "endpoints")) != NULL) {
        *nendpoints = s_endpoints(ctl, v, &im->endpoints);
        if (*nendpoints == 0 || *nendpoints > CTL_IMPORT_MAX_LANES) {
            ctl_fail(ctl, HF_BAD_INPUT,
                     "--endpoints must list 1 to 16 intake endpoints, such as "
                     "tcp://127.0.0.1:7101,tcp://127.0.0.1:7151");
            return ctl->exit;
        }
    } else {
        char ep[256];
        hf_endpoint_commands("intake", ep, sizeof ep);
        im->endpoints = hf_arena_alloc(ctl->arena, sizeof(char *));
        im->endpoints[0] = hf_arena_strdup(ctl->arena, ep);
        *nendpoints = 1;
    }
    im->rejects_path = ctl_opt(opts, "rejects");
    if (im->rejects_path == NULL)
        im->rejects_path =
            ctl_fmt(ctl, "%s.rejects.csv", strcmp(im->path, "-") == 0 ? "stdin" : im->path);
    return HF_OK;
}

/* 2. the header says which column holds what; 0 or the exit code */
static int s_import_header(s_import_t *im, hf_csv_t *csv)
{
    ctl_t *ctl = im->ctl;
    char **fields;
    int nfields;
    int64_t line;
    int got = hf_csv_next(csv, &fields, &nfields, &line);
    if (got <= 0) {
        ctl_fail(ctl, HF_BAD_INPUT, "%s: %s", im->path,
                 got == 0 ? "the file is empty" : hf_csv_error(csv));
        return ctl->exit;
    }
    im->header = hf_arena_alloc(ctl->arena, sizeof(char *) * (size_t)(nfields + 1));
    for (int i = 0; i < nfields; i++)
        im->header[i] = hf_arena_strdup(ctl->arena, fields[i]);
    int mapped = ctl_import_map(&im->map, fields, nfields, ctl->arena);
    for (int i = 0; i < nfields; i++)
        if (im->map.ignored[i])
            ctl_error("%s: ignoring column \"%s\" (not a lead field)", im->path, fields[i]);
    if (mapped != 0) {
        ctl_fail(ctl, HF_BAD_INPUT,
                 "%s: the first line must name the columns, with at least name and phone "
                 "(姓名, 电话); it has: %s%s",
                 im->path, nfields > 0 ? fields[0] : "", nfields > 1 ? ", ..." : "");
        return ctl->exit;
    }
    if (im->map.cols[CTL_COL_CHANNEL] < 0 && im->channel == NULL) {
        ctl_fail(ctl, HF_BAD_INPUT, "--channel is required: %s has no channel column", im->path);
        return ctl->exit;
    }
    return HF_OK;
}

/* 3. the rows, each into its lane's batch, until the file ends or a batch fails; returns
 * what ctl_importer_finish() says */
static int s_import_rows(s_import_t *im, hf_csv_t *csv, ctl_importer_t *pipe, int nlanes)
{
    char **fields;
    int nfields, got, rc = HF_OK;
    int64_t line;
    im->progress = !im->ctl->json && isatty(STDERR_FILENO);
    im->started_ms = hf_clock_mono_ms();
    while ((got = hf_csv_next(csv, &fields, &nfields, &line)) == 1) {
        int lane = ctl_import_lane(&im->map, fields, nfields, nlanes);
        ctl_import_batch_t *b = ctl_importer_batch(pipe, lane, &rc);
        if (b == NULL)
            break;
        im->read++;
        im->last_line = line;
        if (s_row(im, pipe, b, fields, nfields, line) < 0) {
            rc = HF_INTERNAL;
            break;
        }
        s_progress(im, csv, false);
    }
    if (got < 0) {
        ctl_error("%s: %s", im->path, hf_csv_error(csv));
        rc = HF_BAD_INPUT;
    }
    return ctl_importer_finish(pipe, rc);
}

/* 4. what happened: counts on stdout, the rejects file and how to finish on stderr */
static void s_import_summary(s_import_t *im, hf_csv_t *csv, int rc)
{
    s_progress(im, csv, true);
    if (hf_csv_bad_bytes(csv) > 0)
        ctl_error("%s: %lld bytes were not %s text (replaced; try --encoding)", im->path,
                  (long long)hf_csv_bad_bytes(csv), hf_csv_encoding(csv));
    double secs = (double)(hf_clock_mono_ms() - im->started_ms) / 1000.0;
    if (im->ctl->json) {
        printf("{\"file\":\"%s\",\"encoding\":\"%s\",\"read\":%lld,\"added\":%lld,\"merged\":%lld,"
               "\"rejected\":%lld,\"duplicate\":%lld,\"seconds\":%.3f,\"complete\":%s,"
               "\"rejects_file\":\"%s\"}\n",
               im->path, hf_csv_encoding(csv), (long long)im->read, (long long)im->added,
               (long long)im->merged, (long long)im->rejected, (long long)im->duplicate, secs,
               rc == HF_OK ? "true" : "false", im->rejected ? im->rejects_path : "");
    } else {
        printf("read %lld, added %lld, merged %lld, rejected %lld, already imported %lld"
               " (%.1f s, %.0f rows/s)\n",
               (long long)im->read, (long long)im->added, (long long)im->merged,
               (long long)im->rejected, (long long)im->duplicate, secs,
               secs > 0 ? (double)im->read / secs : 0.0);
        if (im->rejected)
            ctl_error("rejected lines, with their line numbers and reasons: %s", im->rejects_path);
    }
    if (rc != HF_OK)
        ctl_error("stopped near line %lld: run the same import again to finish it (rows already"
                  " imported are skipped)",
                  (long long)im->last_line);
}

int ctl_lead_import(ctl_t *ctl, int argc, char **argv)
{
    s_import_t im;
    memset(&im, 0, sizeof im);
    long batch;
    int nendpoints = 0, rc;
    const char *encoding = NULL;
    if ((rc = s_import_options(ctl, argc, argv, &im, &batch, &nendpoints, &encoding)) != HF_OK)
        return rc;
    char err[300];
    hf_csv_t *csv = hf_csv_open(im.path, encoding, err, sizeof err);
    if (csv == NULL) {
        ctl_fail(ctl, HF_BAD_INPUT, "%s", err);
        return ctl->exit;
    }
    ctl_importer_t *pipe = NULL;
    if ((rc = s_import_header(&im, csv)) != HF_OK)
        goto cleanup;

    /* one sender per intake instance, each with a batch in flight and one waiting, while
     * this thread reads and parses the next: a batch is thousands of rows, so each try of
     * a call is given more time than a single command's by default (60 s); a --timeout
     * given is kept as it is, so an import to an intake that restarts resumes (or gives up)
     * within it. A row goes to the lane of its phone (one lane per intake instance), so
     * that every row of a phone goes to one instance: two instances then never claim the
     * same new phone at the same time, which would make one wait for the other's
     * transaction and fall back to slower claims (it would still be correct: the lanes are
     * for speed only) */
    im.timeout_ms = ctl->timeout_given || ctl->timeout_ms > 60000 ? ctl->timeout_ms : 60000;
    ctl_request_init(ctl, &im.base);
    if (ctl->session_exit != 0) {
        rc = ctl->session_exit; /* --as could not be honoured: said, nothing sent */
        goto cleanup;
    }
    ctl_positions_attach(ctl->positions, &im.base, "intake", ctl->arena);
    pipe = ctl_importer_new(nendpoints, (int)batch, &s_io, &im);
    if (pipe == NULL) {
        ctl_error("could not start a sender thread");
        rc = HF_INTERNAL;
    } else {
        rc = s_import_rows(&im, csv, pipe, nendpoints);
    }
    s_import_summary(&im, csv, rc);
cleanup:
    ctl_importer_destroy(&pipe);
    if (im.rejects && fclose(im.rejects) != 0 && rc == HF_OK) {
        ctl_error("could not write the rejects file %s: %m", im.rejects_path);
        rc = HF_INTERNAL;
    }
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
    ctl_opt_t opts[] = {CTL_OPT("name"),
                        CTL_OPT("region"),
                        CTL_OPT("address"),
                        CTL_OPT("gender"),
                        CTL_OPT("birth"),
                        CTL_OPT("ref-date"),
                        CTL_OPT("route"),
                        CTL_OPT("condition"),
                        CTL_OPT("baby-name"),
                        CTL_OPT("baby-sex"),
                        CTL_OPT("baby-birth"),
                        CTL_OPT("due-date"),
                        CTL_OPT("brand"),
                        CTL_OPT("feeding"),
                        CTL_OPT("employer"),
                        CTL_OPT("hobbies"),
                        CTL_OPT("health"),
                        CTL_OPT("age"),
                        CTL_OPT("windows"),
                        CTL_OPT("clear"),
                        CTL_OPT_IDEMPOTENCY,
                        CTL_OPT("language"),
                        CTL_OPT_END};
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
    S_OPTIONAL(language, "language")
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
