/* ctl_import: the CSV lead importer's column map, row mapping and batch pipeline (see
 * ctl_import.h).
 *
 * Threads talk over inproc:// sockets, as STYLE.md asks: the reader and each lane's sender
 * share a PAIR pipe that carries batch pointers. The reader sends a full batch down its
 * lane's pipe and gets it back, answered, on the same pipe; an empty message says "no more"
 * (reader to sender) and "done" (sender to reader). A batch belongs to whichever side last
 * received it, so nothing is shared under a lock. The one thing shared is the first
 * failure of a batch (an atomic): every sender stops sending once any has failed, as an
 * import stops at its first failed batch. */
#include "ctl_import.h"

#include "hf_bus.h"
#include "hf_time.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* ---------------------------------------------------------------------------------------
 * The column map
 * ------------------------------------------------------------------------------------- */

/* The header names clerks use for each field, matched case-insensitively, ignoring spaces,
 * '_' and '-'. */
static const struct {
    ctl_import_col_t col;
    const char *names; /* '|'-separated, already in matching form */
} s_columns[] = {
    {CTL_COL_NAME, "name|姓名|客户姓名|名字|母亲姓名|家长姓名"},
    {CTL_COL_PHONE, "phone|mobile|tel|电话|手机|手机号|手机号码|联系电话|电话号码"},
    {CTL_COL_CHANNEL, "channel|渠道|来源渠道|收集渠道"},
    {CTL_COL_REGION, "region|area|区域|片区|地区"},
    {CTL_COL_ADDRESS, "address|地址|住址|家庭住址"},
    {CTL_COL_GENDER, "gender|sex|性别"},
    {CTL_COL_BIRTH, "birth|birthdate|birthday|dateofbirth|出生日期|生日"},
    {CTL_COL_REF_DATE, "refdate|referencedate|参考日期"},
    {CTL_COL_COLLECTOR, "collector|收集人|采集人|登记人"},
    {CTL_COL_SOURCE, "source|where|来源|收集地点|地点"},
    {CTL_COL_NOTE, "note|notes|remark|备注"},
    {CTL_COL_COLLECTED_AT, "collectedat|collected|date|收集日期|登记日期|日期"},
    {CTL_COL_REFERRER, "referrer|referredby|介绍人|推荐人"},
    {CTL_COL_ROUTE, "route|directions|路线|乘车路线"},
    {CTL_COL_CONDITION, "condition|symptoms|症状|病情|病症"},
    {CTL_COL_BABY_NAME, "babyname|宝宝姓名|宝宝名字"},
    {CTL_COL_BABY_SEX, "babysex|babygender|宝宝性别"},
    {CTL_COL_BABY_BIRTH, "babybirth|babybirthdate|宝宝生日|宝宝出生日期"},
    {CTL_COL_DUE_DATE, "duedate|预产期"},
    {CTL_COL_BRAND, "brand|currentbrand|在用品牌|现用品牌|品牌"},
    {CTL_COL_FEEDING, "feeding|feedingmethod|喂养方式"},
    {CTL_COL_EMPLOYER, "employer|formeremployer|原单位|工作单位|单位"},
    {CTL_COL_HOBBIES, "hobbies|hobby|爱好|兴趣爱好"},
    {CTL_COL_HEALTH, "health|健康状况|健康指标"},
    {CTL_COL_AGE, "age|年龄"},
    {CTL_COL_WINDOWS, "windows|callwindows|通话时段|方便接听时间"},
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

int ctl_import_column_of(const char *cell)
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
/* Reads up to max digits at *p (advancing it) into *value; returns how many. */
static int s_digits(const char **p, int max, int *value)
{
    int n = 0;
    for (; **p >= '0' && **p <= '9' && n < max; n++)
        *value = *value * 10 + (*(*p)++ - '0');
    return n;
}

/* The length of the separator (one of seps) that p starts with, or 0. */
static size_t s_sep_len(const char *p, const char *const *seps)
{
    for (int i = 0; seps[i]; i++)
        if (strncmp(p, seps[i], strlen(seps[i])) == 0)
            return strlen(seps[i]);
    return 0;
}

static const char *s_map_date(const char *v, char *out, const char **rest)
{
    static const char *const year_seps[] = {"-", "/", ".", "年", NULL};
    static const char *const month_seps[] = {"-", "/", ".", "月", NULL};
    int y = 0, m = 0, d = 0;
    const char *p = v;
    size_t sl;
    *rest = "";
    if (s_digits(&p, 4, &y) != 4 || (sl = s_sep_len(p, year_seps)) == 0)
        return v;
    p += sl;
    if (s_digits(&p, 2, &m) == 0 || (sl = s_sep_len(p, month_seps)) == 0)
        return v;
    p += sl;
    if (s_digits(&p, 2, &d) == 0)
        return v;
    if (strncmp(p, "日", strlen("日")) == 0)
        p += strlen("日");
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
    *rest = p;
    return out;
}

int ctl_import_map(ctl_import_map_t *m, char **fields, int nfields, hf_arena_t *a)
{
    for (int c = 0; c < CTL_COL_COUNT; c++)
        m->cols[c] = -1;
    m->nheader = nfields;
    m->ignored = hf_new_array(a, bool, nfields + 1);
    for (int i = 0; i < nfields; i++) {
        int col = ctl_import_column_of(fields[i]);
        char key[64];
        s_header_key(fields[i], key, sizeof key);
        if (col >= 0 && m->cols[col] < 0)
            m->cols[col] = i;
        else if (col < 0 && strcmp(key, "line") && strcmp(key, "field") && strcmp(key, "reason") &&
                 *key)
            m->ignored[i] = true; /* the rejects file's own columns are not mentioned */
    }
    return m->cols[CTL_COL_NAME] < 0 || m->cols[CTL_COL_PHONE] < 0 ? -1 : 0;
}

/* ---------------------------------------------------------------------------------------
 * A row as a lead
 * ------------------------------------------------------------------------------------- */

int ctl_import_row(const ctl_import_map_t *m, char **fields, int nfields, const char *tz,
                   hf_arena_t *a, Huifang__V1__LeadAdd **out, const char **field, char *reason,
                   size_t reasonlen)
{
    const char *v[CTL_COL_COUNT];
    *out = NULL;
    *field = NULL;
    for (int c = 0; c < CTL_COL_COUNT; c++) {
        int col = m->cols[c];
        v[c] = col >= 0 && col < nfields ? fields[col] : "";
    }
    for (int i = m->nheader; i < nfields; i++)
        if (fields[i][0] != '\0') {
            snprintf(reason, reasonlen, "the line has %d fields, the header %d", nfields,
                     m->nheader);
            return 1;
        }
    Huifang__V1__LeadAdd *l = hf_new(a, Huifang__V1__LeadAdd);
    huifang__v1__lead_add__init(l);
#define SET(field, col) l->field = hf_arena_strdup(a, v[col])
    SET(name, CTL_COL_NAME);
    SET(phone, CTL_COL_PHONE);
    SET(region, CTL_COL_REGION);
    SET(address, CTL_COL_ADDRESS);
    SET(collector, CTL_COL_COLLECTOR);
    SET(source, CTL_COL_SOURCE);
    SET(note, CTL_COL_NOTE);
    SET(referrer, CTL_COL_REFERRER);
    SET(route, CTL_COL_ROUTE);
    SET(condition, CTL_COL_CONDITION);
    SET(baby_name, CTL_COL_BABY_NAME);
    SET(current_brand, CTL_COL_BRAND);
    SET(employer, CTL_COL_EMPLOYER);
    SET(hobbies, CTL_COL_HOBBIES);
    SET(health, CTL_COL_HEALTH);
    SET(windows, CTL_COL_WINDOWS);
#undef SET
    l->channel = hf_arena_strdup(a, s_map_word(v[CTL_COL_CHANNEL], s_channels));
    l->gender = hf_arena_strdup(a, s_map_word(v[CTL_COL_GENDER], s_sexes));
    l->baby_sex = hf_arena_strdup(a, s_map_word(v[CTL_COL_BABY_SEX], s_sexes));
    l->feeding = hf_arena_strdup(a, s_map_word(v[CTL_COL_FEEDING], s_feedings));
    char buf[11];
    const char *rest;
    l->birth = hf_arena_strdup(a, s_map_date(v[CTL_COL_BIRTH], buf, &rest));
    l->ref_date = hf_arena_strdup(a, s_map_date(v[CTL_COL_REF_DATE], buf, &rest));
    l->baby_birth = hf_arena_strdup(a, s_map_date(v[CTL_COL_BABY_BIRTH], buf, &rest));
    l->due_date = hf_arena_strdup(a, s_map_date(v[CTL_COL_DUE_DATE], buf, &rest));
    const char *age = v[CTL_COL_AGE];
    if (*age) {
        char *end = NULL;
        long n = strtol(age, &end, 10);
        /* "35" or "35岁" */
        if (end == age || n < 0 || n > 130 || (*end && strcmp(end, "岁") != 0 && *end != ' ')) {
            *field = "age";
            snprintf(reason, reasonlen, "age \"%s\" is not a number of years", age);
            return 1;
        }
        l->age = (int32_t)n;
    }
    const char *at = v[CTL_COL_COLLECTED_AT];
    if (*at) {
        const char *date = s_map_date(at, buf, &rest);
        char when[40];
        snprintf(when, sizeof when, "%s%s", date, date == buf ? rest : "");
        if (hf_time_parse(when, tz, &l->collected_at_ms) != 0) {
            *field = "collected_at";
            snprintf(reason, reasonlen, "collected_at \"%s\" is not a date or time", at);
            return 1;
        }
    }
    *out = l;
    return 0;
}

int ctl_import_lane(const ctl_import_map_t *m, char **fields, int nfields, int nlanes)
{
    if (nlanes <= 1)
        return 0;
    int col = m->cols[CTL_COL_PHONE];
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
    return (int)(h % (uint32_t)nlanes);
}

/* ---------------------------------------------------------------------------------------
 * The pipeline
 * ------------------------------------------------------------------------------------- */

typedef struct {
    ctl_importer_t *im;
    int lane;
    void *pipe; /* the sender's end; used by its thread only once started */
    pthread_t thread;
    bool started;
} s_sender_t;

struct ctl_importer {
    const ctl_import_io_t *io;
    void *ctx;
    int nlanes;
    int batch_size;
    s_sender_t senders[CTL_IMPORT_MAX_LANES];
    void *pipes[CTL_IMPORT_MAX_LANES]; /* the reader's ends */
    bool open[CTL_IMPORT_MAX_LANES];   /* the lane's sender has not said done */
    ctl_import_batch_t *filling[CTL_IMPORT_MAX_LANES];
    ctl_import_batch_t **all; /* every batch made, at most 3 per lane */
    int nbatches, max_batches;
    ctl_import_batch_t **spare; /* the reader's, ready to fill */
    int nspare;
    atomic_int failed; /* the first failed batch's status: senders stop sending */
    int handle_rc;     /* the first failure of handling an answer */
    bool finished;
    int result;
};

/* Sends a batch pointer down a pipe (NULL: the empty message, "no more" or "done"). */
static int s_pipe_send(void *pipe, ctl_import_batch_t *b)
{
    for (;;) {
        int rc = b ? zmq_send(pipe, &b, sizeof b, 0) : zmq_send(pipe, "", 0, 0);
        if (rc >= 0)
            return 0;
        if (zmq_errno() != EINTR)
            return -1;
    }
}

/* Receives a batch pointer: 1 with *b, 0 for the empty message, -1 when nothing came (flags
 * ZMQ_DONTWAIT) or on an error. */
static int s_pipe_recv(void *pipe, ctl_import_batch_t **b, int flags)
{
    for (;;) {
        int n = zmq_recv(pipe, b, sizeof *b, flags);
        if (n == (int)sizeof *b)
            return 1;
        if (n == 0)
            return 0;
        if (n < 0 && zmq_errno() == EINTR)
            continue;
        return -1;
    }
}

static void *s_sender(void *arg)
{
    s_sender_t *sd = arg;
    ctl_importer_t *im = sd->im;
    void *conn = im->io->connect(im->ctx, sd->lane);
    ctl_import_batch_t *b;
    while (s_pipe_recv(sd->pipe, &b, 0) == 1) {
        if (atomic_load(&im->failed) == 0) {
            im->io->send(im->ctx, conn, b);
            b->sent = true;
            int none = 0;
            if (b->status != 0)
                atomic_compare_exchange_strong(&im->failed, &none, b->status);
        }
        if (s_pipe_send(sd->pipe, b) != 0)
            break;
    }
    im->io->disconnect(im->ctx, &conn);
    s_pipe_send(sd->pipe, NULL);
    return NULL;
}

/* A batch back from its sender: its answer handled, then ready to fill again. */
static void s_returned(ctl_importer_t *im, ctl_import_batch_t *b)
{
    if (b->sent) {
        int r = im->io->handle(im->ctx, b);
        if (r != 0 && im->handle_rc == 0)
            im->handle_rc = r;
    }
    if (b->rep) {
        huifang__v1__reply__free_unpacked(b->rep, NULL);
        b->rep = NULL;
    }
    b->n = 0;
    b->status = 0;
    b->sent = false;
    hf_arena_reset(b->arena);
    im->spare[im->nspare++] = b;
}

/* Takes back whatever the senders have returned, waiting up to timeout ms for the first
 * (-1: until one comes). 0, or -1 when the pipes fail. */
static int s_collect(ctl_importer_t *im, long timeout)
{
    zmq_pollitem_t items[CTL_IMPORT_MAX_LANES];
    int lane_of[CTL_IMPORT_MAX_LANES], n = 0;
    for (int k = 0; k < im->nlanes; k++)
        if (im->open[k]) {
            items[n] = (zmq_pollitem_t){im->pipes[k], 0, ZMQ_POLLIN, 0};
            lane_of[n++] = k;
        }
    if (n == 0)
        return 0;
    if (zmq_poll(items, n, timeout) < 0)
        return zmq_errno() == EINTR ? 0 : -1;
    for (int i = 0; i < n; i++) {
        if (!(items[i].revents & ZMQ_POLLIN))
            continue;
        int k = lane_of[i], got;
        ctl_import_batch_t *b;
        while (im->open[k] && (got = s_pipe_recv(im->pipes[k], &b, ZMQ_DONTWAIT)) >= 0) {
            if (got == 0)
                im->open[k] = false;
            else
                s_returned(im, b);
        }
    }
    return 0;
}

/* Hands a lane's batch to its sender (an empty one goes back to the spares). */
static void s_submit(ctl_importer_t *im, ctl_import_batch_t *b)
{
    im->filling[b->lane] = NULL;
    if (b->n == 0) {
        im->spare[im->nspare++] = b;
        return;
    }
    hf_bus_new_id(b->key);
    if (s_pipe_send(im->pipes[b->lane], b) != 0) {
        im->spare[im->nspare++] = b;
        if (im->handle_rc == 0)
            im->handle_rc = HF_INTERNAL;
    }
}

static void s_batch_free(ctl_import_batch_t *b)
{
    if (b == NULL)
        return;
    if (b->rep)
        huifang__v1__reply__free_unpacked(b->rep, NULL);
    hf_arena_destroy(&b->arena);
    free(b->rows);
    free(b->pending);
    free(b);
}

/* Tells every started sender "no more" and takes everything back until each says done. */
static void s_stop_senders(ctl_importer_t *im)
{
    for (int k = 0; k < im->nlanes; k++)
        if (im->senders[k].started && s_pipe_send(im->pipes[k], NULL) != 0)
            im->open[k] = false;
    for (;;) {
        bool any = false;
        for (int k = 0; k < im->nlanes; k++)
            any = any || im->open[k];
        if (!any || s_collect(im, -1) != 0)
            break;
    }
    for (int k = 0; k < im->nlanes; k++)
        if (im->senders[k].started) {
            pthread_join(im->senders[k].thread, NULL);
            im->senders[k].started = false;
        }
}

ctl_importer_t *ctl_importer_new(int nlanes, int batch_size, const ctl_import_io_t *io, void *ctx)
{
    if (nlanes < 1 || nlanes > CTL_IMPORT_MAX_LANES || batch_size < 1)
        return NULL;
    ctl_importer_t *im = calloc(1, sizeof *im);
    if (im == NULL)
        return NULL;
    im->io = io;
    im->ctx = ctx;
    im->nlanes = nlanes;
    im->batch_size = batch_size;
    im->max_batches = 3 * nlanes;
    im->all = calloc((size_t)im->max_batches, sizeof *im->all);
    im->spare = calloc((size_t)im->max_batches, sizeof *im->spare);
    if (im->all == NULL || im->spare == NULL) {
        ctl_importer_destroy(&im);
        return NULL;
    }
    int linger = 0;
    for (int k = 0; k < nlanes; k++) {
        char ep[64];
        snprintf(ep, sizeof ep, "inproc://ctl-import-%p-%d", (void *)im, k);
        im->pipes[k] = zmq_socket(hf_bus_context(), ZMQ_PAIR);
        im->senders[k].pipe = zmq_socket(hf_bus_context(), ZMQ_PAIR);
        if (im->pipes[k] == NULL || im->senders[k].pipe == NULL) {
            ctl_importer_destroy(&im);
            return NULL;
        }
        zmq_setsockopt(im->pipes[k], ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(im->senders[k].pipe, ZMQ_LINGER, &linger, sizeof linger);
        if (zmq_bind(im->pipes[k], ep) != 0 || zmq_connect(im->senders[k].pipe, ep) != 0) {
            ctl_importer_destroy(&im);
            return NULL;
        }
        im->senders[k].im = im;
        im->senders[k].lane = k;
        im->senders[k].started =
            pthread_create(&im->senders[k].thread, NULL, s_sender, &im->senders[k]) == 0;
        if (!im->senders[k].started) {
            ctl_importer_destroy(&im);
            return NULL;
        }
        im->open[k] = true;
    }
    return im;
}

ctl_import_batch_t *ctl_importer_batch(ctl_importer_t *im, int lane, int *rc)
{
    if (im->filling[lane])
        return im->filling[lane];
    ctl_import_batch_t *b = NULL;
    for (;;) {
        if (s_collect(im, 0) != 0 && im->handle_rc == 0)
            im->handle_rc = HF_INTERNAL;
        if (im->handle_rc != 0)
            *rc = im->handle_rc;
        if (atomic_load(&im->failed) != 0 || *rc != 0)
            return NULL;
        if (im->nspare > 0) {
            b = im->spare[--im->nspare];
            break;
        }
        if (im->nbatches < im->max_batches) {
            b = calloc(1, sizeof *b);
            if (b) {
                b->arena = hf_arena_new();
                b->rows = calloc((size_t)im->batch_size, sizeof *b->rows);
                b->pending = calloc((size_t)im->batch_size, sizeof *b->pending);
            }
            if (b == NULL || b->arena == NULL || b->rows == NULL || b->pending == NULL) {
                s_batch_free(b);
                *rc = HF_INTERNAL;
                return NULL;
            }
            im->all[im->nbatches++] = b;
            break;
        }
        if (s_collect(im, -1) != 0) {
            *rc = HF_INTERNAL;
            return NULL;
        }
    }
    b->lane = lane;
    im->filling[lane] = b;
    return b;
}

void ctl_importer_add(ctl_importer_t *im, ctl_import_batch_t *b, Huifang__V1__LeadAdd *lead,
                      int64_t line, char **fields, int nfields)
{
    hf_arena_t *a = b->arena;
    Huifang__V1__LeadImportRow *row = hf_new(a, Huifang__V1__LeadImportRow);
    huifang__v1__lead_import_row__init(row);
    row->line = line;
    row->lead = lead;
    ctl_import_pending_t *p = &b->pending[b->n];
    p->line = line;
    p->nfields = nfields;
    p->fields = hf_new_array(a, char *, nfields + 1);
    for (int i = 0; i < nfields; i++)
        p->fields[i] = hf_arena_strdup(a, fields[i]);
    b->rows[b->n++] = row;
    if (b->n == im->batch_size)
        s_submit(im, b);
}

int ctl_importer_finish(ctl_importer_t *im, int rc)
{
    if (im->finished)
        return im->result;
    im->finished = true;
    if (rc == 0) {
        for (int k = 0; k < im->nlanes; k++)
            if (im->filling[k])
                s_submit(im, im->filling[k]);
    } else {
        int none = 0; /* senders stop sending */
        atomic_compare_exchange_strong(&im->failed, &none, rc);
    }
    s_stop_senders(im);
    im->result = rc ? rc : im->handle_rc ? im->handle_rc : atomic_load(&im->failed);
    return im->result;
}

void ctl_importer_destroy(ctl_importer_t **self_p)
{
    ctl_importer_t *im = self_p ? *self_p : NULL;
    if (im == NULL)
        return;
    if (!im->finished)
        ctl_importer_finish(im, HF_INTERNAL);
    for (int k = 0; k < CTL_IMPORT_MAX_LANES; k++) {
        if (im->pipes[k])
            zmq_close(im->pipes[k]);
        if (im->senders[k].pipe)
            zmq_close(im->senders[k].pipe);
    }
    for (int i = 0; i < im->nbatches; i++)
        s_batch_free(im->all[i]);
    free(im->all);
    free(im->spare);
    free(im);
    *self_p = NULL;
}
