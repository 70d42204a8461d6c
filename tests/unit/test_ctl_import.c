/* ctl_import, the lead importer of `huifang lead import`, without a service: which column
 * holds which field (English and Chinese header names, a BOM, a missing name or phone, the
 * rejects file's own columns), a file row as a lead (quoted fields, values as spreadsheets
 * write them, a line longer than its header, a bad age or date, a broken CSV line), the
 * lane of a phone, and the batch pipeline (rows in full batches per lane over the senders'
 * inproc pipes, every batch answered once, the first failed batch stopping the import). */
#include "ctl_import.h"
#include "hf_csv.h"
#include "hf_test.h"
#include "hf_time.h"
#include <unistd.h>

static char s_dir[64];

static const char *s_file(const char *name, const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fputs(text, f) < 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
    fclose(f);
    return path;
}

static int s_map(ctl_import_map_t *m, const char *const *cells, int n, hf_arena_t *a)
{
    char *fields[32];
    for (int i = 0; i < n; i++)
        fields[i] = (char *)cells[i];
    return ctl_import_map(m, fields, n, a);
}

static void header_aliases(hf_arena_t *a)
{
    ctl_import_map_t m;
    const char *h[] = {"\xEF\xBB\xBFName", "Mobile", "Baby_Name", "call-windows", "colour", "name"};
    CHECK_INT(s_map(&m, h, 6, a), 0);
    CHECK_INT(m.cols[CTL_COL_NAME], 0); /* the BOM is cut; the first name column wins */
    CHECK_INT(m.cols[CTL_COL_PHONE], 1);
    CHECK_INT(m.cols[CTL_COL_BABY_NAME], 2);
    CHECK_INT(m.cols[CTL_COL_WINDOWS], 3);
    CHECK_INT(m.cols[CTL_COL_CHANNEL], -1);
    CHECK(m.ignored[4]);  /* not a lead field */
    CHECK(!m.ignored[5]); /* a repeat of a field: not said to be ignored */
    CHECK_INT(ctl_import_column_of("Collected At"), CTL_COL_COLLECTED_AT);
    CHECK_INT(ctl_import_column_of("shoe size"), -1);
}

static void header_chinese(hf_arena_t *a)
{
    ctl_import_map_t m;
    const char *h[] = {"姓名", "手机号码", "渠道", "预产期", "宝宝性别", "喂养方式"};
    CHECK_INT(s_map(&m, h, 6, a), 0);
    CHECK_INT(m.cols[CTL_COL_NAME], 0);
    CHECK_INT(m.cols[CTL_COL_PHONE], 1);
    CHECK_INT(m.cols[CTL_COL_CHANNEL], 2);
    CHECK_INT(m.cols[CTL_COL_DUE_DATE], 3);
    CHECK_INT(m.cols[CTL_COL_BABY_SEX], 4);
    CHECK_INT(m.cols[CTL_COL_FEEDING], 5);
}

static void header_missing_required(hf_arena_t *a)
{
    ctl_import_map_t m;
    const char *no_phone[] = {"name", "channel"};
    CHECK_INT(s_map(&m, no_phone, 2, a), -1);
    const char *no_name[] = {"电话", "地址"};
    CHECK_INT(s_map(&m, no_name, 2, a), -1);
    /* a rejects file imported again: its line, field and reason columns are its own */
    const char *rejects[] = {"line", "field", "reason", "name", "phone"};
    CHECK_INT(s_map(&m, rejects, 5, a), 0);
    CHECK(!m.ignored[0] && !m.ignored[1] && !m.ignored[2]);
}

/* Reads path's header and first row, and maps the row: its lead, or the reason. */
static int s_first_row(const char *path, hf_arena_t *a, Huifang__V1__LeadAdd **lead,
                       const char **field, char *reason)
{
    char err[256];
    hf_csv_t *csv = hf_csv_open(path, NULL, err, sizeof err);
    if (csv == NULL)
        return -2;
    char **f;
    int n;
    int64_t line;
    ctl_import_map_t m;
    int rc = -2;
    if (hf_csv_next(csv, &f, &n, &line) == 1 && ctl_import_map(&m, f, n, a) == 0 &&
        hf_csv_next(csv, &f, &n, &line) == 1)
        rc = ctl_import_row(&m, f, n, "Asia/Shanghai", a, lead, field, reason, 256);
    hf_csv_destroy(&csv);
    return rc;
}

static void row_quoted_fields(hf_arena_t *a)
{
    Huifang__V1__LeadAdd *l = NULL;
    const char *field;
    char reason[256];
    const char *path = s_file("quoted.csv", "姓名,电话,地址,性别,渠道,生日,年龄,收集日期\n"
                                            "\"Wang, Fang\",13800138000,\"Room 3\n"
                                            "Gate \"\"B\"\"\",女,柜台,2026年1月5日,35岁,"
                                            "2026/3/4 09:30\n");
    CHECK_INT(s_first_row(path, a, &l, &field, reason), 0);
    if (l == NULL)
        return;
    CHECK_STR(l->name, "Wang, Fang");
    CHECK_STR(l->phone, "13800138000");
    CHECK_STR(l->address, "Room 3\nGate \"B\"");
    CHECK_STR(l->gender, "f");
    CHECK_STR(l->channel, "counter");
    CHECK_STR(l->birth, "2026-01-05");
    CHECK_INT(l->age, 35);
    int64_t want;
    CHECK_INT(hf_time_parse("2026-03-04 09:30", "Asia/Shanghai", &want), 0);
    CHECK_INT(l->collected_at_ms, want);
}

static void row_rejected(hf_arena_t *a)
{
    Huifang__V1__LeadAdd *l = NULL;
    const char *field = NULL;
    char reason[256];
    CHECK_INT(s_first_row(s_file("age.csv", "name,phone,age\nLi,13800138000,old\n"), a, &l, &field,
                          reason),
              1);
    CHECK_STR(field, "age");
    CHECK_STR(reason, "age \"old\" is not a number of years");
    CHECK_INT(s_first_row(s_file("long.csv", "name,phone\nLi,13800138000,extra\n"), a, &l, &field,
                          reason),
              1);
    CHECK(field == NULL);
    CHECK_STR(reason, "the line has 3 fields, the header 2");
    CHECK_INT(s_first_row(s_file("when.csv", "name,phone,date\nLi,13800138000,someday\n"), a, &l,
                          &field, reason),
              1);
    CHECK_STR(field, "collected_at");
    /* an empty cell past the header's end is no extra field */
    CHECK_INT(
        s_first_row(s_file("trail.csv", "name,phone\nLi,13800138000,\n"), a, &l, &field, reason),
        0);
}

static void row_broken_csv(void)
{
    /* a quote never closed is an error naming its line, not rows swallowed into one field */
    char text[4096] = "name,phone\nLi,13800138000\n\"Wang,13900139000\n";
    for (int i = 0; i < 300; i++)
        strcat(text, "Zhao,1\n");
    char err[256];
    hf_csv_t *csv = hf_csv_open(s_file("broken.csv", text), NULL, err, sizeof err);
    CHECK(csv != NULL);
    if (csv == NULL)
        return;
    char **f;
    int n;
    int64_t line;
    CHECK_INT(hf_csv_next(csv, &f, &n, &line), 1);
    CHECK_INT(hf_csv_next(csv, &f, &n, &line), 1);
    CHECK_INT(hf_csv_next(csv, &f, &n, &line), -1);
    CHECK(strstr(hf_csv_error(csv), "line 3") != NULL);
    hf_csv_destroy(&csv);
}

static void lane_of_phone(hf_arena_t *a)
{
    ctl_import_map_t m;
    const char *h[] = {"name", "phone"};
    CHECK_INT(s_map(&m, h, 2, a), 0);
    char *r1[] = {"a", "13800138000"}, *r2[] = {"b", "+86 138-0013-8000"};
    int l1 = ctl_import_lane(&m, r1, 2, 7);
    CHECK(l1 >= 0 && l1 < 7);
    CHECK_INT(ctl_import_lane(&m, r2, 2, 7), l1);
    CHECK_INT(ctl_import_lane(&m, r1, 2, 1), 0);
}

/* ---- the pipeline, with senders that answer in process ---- */

typedef struct {
    int fail_at; /* the batch (counted over all lanes, from 1) that fails; 0: none */
    _Atomic int sends;
    int lane_rows[CTL_IMPORT_MAX_LANES]; /* written by each lane's sender only */
    int lane_batches[CTL_IMPORT_MAX_LANES];
    int lane_wrong[CTL_IMPORT_MAX_LANES]; /* a row in another lane's batch, or a batch too big */
    int handled_rows, handled_batches, handled_failed; /* the reader's */
    int batch_size;
    int nlanes;
} s_fake_t;

static void *s_fake_connect(void *ctx, int lane)
{
    (void)ctx;
    return (void *)(intptr_t)(lane + 1);
}

static void s_fake_send(void *ctx, void *conn, ctl_import_batch_t *b)
{
    s_fake_t *f = ctx;
    int lane = (int)(intptr_t)conn - 1;
    if (lane != b->lane || b->n < 1 || b->n > f->batch_size)
        f->lane_wrong[lane]++;
    for (int i = 0; i < b->n; i++)
        if ((int)(b->rows[i]->line % f->nlanes) != lane)
            f->lane_wrong[lane]++;
    f->lane_rows[lane] += b->n;
    f->lane_batches[lane]++;
    int nth = ++f->sends;
    b->status = f->fail_at && nth >= f->fail_at ? HF_UNAVAILABLE : 0;
}

static void s_fake_disconnect(void *ctx, void **conn)
{
    (void)ctx;
    *conn = NULL;
}

static int s_fake_handle(void *ctx, ctl_import_batch_t *b)
{
    s_fake_t *f = ctx;
    if (b->status != 0) {
        f->handled_failed++;
        return 0;
    }
    f->handled_rows += b->n;
    f->handled_batches++;
    return 0;
}

static const ctl_import_io_t s_fake_io = {s_fake_connect, s_fake_send, s_fake_disconnect,
                                          s_fake_handle};

/* Feeds nrows rows (row i in lane i % nlanes) and finishes; returns what finish says. */
static int s_pump(s_fake_t *f, int nrows, int *fed)
{
    ctl_importer_t *im = ctl_importer_new(f->nlanes, f->batch_size, &s_fake_io, f);
    CHECK(im != NULL);
    if (im == NULL)
        return -1;
    int rc = 0;
    *fed = 0;
    for (int i = 0; i < nrows; i++) {
        ctl_import_batch_t *b = ctl_importer_batch(im, i % f->nlanes, &rc);
        if (b == NULL)
            break;
        Huifang__V1__LeadAdd *l = hf_new(b->arena, Huifang__V1__LeadAdd);
        huifang__v1__lead_add__init(l);
        char phone[16];
        snprintf(phone, sizeof phone, "138%08d", i);
        char *fields[] = {"name", phone};
        ctl_importer_add(im, b, l, i, fields, 2);
        (*fed)++;
    }
    rc = ctl_importer_finish(im, rc);
    ctl_importer_destroy(&im);
    CHECK(im == NULL);
    return rc;
}

static void batches_per_lane(void)
{
    s_fake_t f = {.batch_size = 10, .nlanes = 3};
    int fed;
    CHECK_INT(s_pump(&f, 95, &fed), 0);
    CHECK_INT(fed, 95);
    /* lanes 0, 1, 2 get 32, 32 and 31 rows: three full batches and a last partial each */
    CHECK_INT(f.lane_rows[0], 32);
    CHECK_INT(f.lane_rows[1], 32);
    CHECK_INT(f.lane_rows[2], 31);
    for (int k = 0; k < 3; k++) {
        CHECK_INT(f.lane_batches[k], 4);
        CHECK_INT(f.lane_wrong[k], 0);
    }
    CHECK_INT(f.handled_rows, 95);
    CHECK_INT(f.handled_batches, 12);
    CHECK_INT(f.handled_failed, 0);
}

static void batch_exact_and_empty(void)
{
    s_fake_t f = {.batch_size = 5, .nlanes = 1};
    int fed;
    CHECK_INT(s_pump(&f, 10, &fed), 0); /* two full batches, no empty third */
    CHECK_INT(f.lane_batches[0], 2);
    CHECK_INT(f.handled_rows, 10);
    s_fake_t none = {.batch_size = 5, .nlanes = 2};
    CHECK_INT(s_pump(&none, 0, &fed), 0); /* nothing read: nothing sent */
    CHECK_INT(none.lane_batches[0] + none.lane_batches[1], 0);
}

static void first_failure_stops(void)
{
    s_fake_t f = {.batch_size = 4, .nlanes = 2, .fail_at = 2};
    int fed;
    CHECK_INT(s_pump(&f, 400, &fed), HF_UNAVAILABLE);
    CHECK(fed < 400);               /* the reader stopped taking rows */
    CHECK(f.sends < 400 / 4);       /* and the senders stopped sending */
    CHECK(f.handled_failed >= 1);   /* the failed batch came back */
    CHECK(f.handled_rows <= 4 * 2); /* at most the first batch of each lane went through */
}

int main(void)
{
    snprintf(s_dir, sizeof s_dir, "/tmp/test_ctl_import.XXXXXX");
    if (mkdtemp(s_dir) == NULL)
        return 2;
    hf_arena_t *a = hf_arena_new();
    TEST_CASE(header_aliases, a);
    TEST_CASE(header_chinese, a);
    TEST_CASE(header_missing_required, a);
    TEST_CASE(row_quoted_fields, a);
    TEST_CASE(row_rejected, a);
    TEST_CASE(row_broken_csv);
    TEST_CASE(lane_of_phone, a);
    TEST_CASE(batches_per_lane);
    TEST_CASE(batch_exact_and_empty);
    TEST_CASE(first_failure_stops);
    hf_arena_destroy(&a);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", s_dir);
    TEST_DONE();
}
