/* ctl_report: `huifang report NAME` and `huifang attribution ...` — the reporting service's
 * commands. A report comes back as tables of formatted cells with a kind per column; this
 * file only lays them out: aligned tables, CSV (RFC 4180, one "# title" line before each
 * table) or JSON lines (one object per row, typed by the column's kind). */
#include "ctl.h"

#include "hf_json.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------
 * Output
 * ------------------------------------------------------------------------------------- */

/* Columns a UTF-8 string takes on a terminal (CJK characters two). */
static int s_width(const char *s)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        uint32_t cp = *p;
        int len = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : 4;
        if (len > 1) {
            cp = *p & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
            for (int i = 1; i < len && (p[i] & 0xC0) == 0x80; i++)
                cp = (cp << 6) | (p[i] & 0x3F);
        }
        for (int i = 0; i < len && *p; i++)
            p++;
        w += (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                     (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                     (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0x20000 && cp <= 0x3FFFD)
                 ? 2
                 : 1;
    }
    return w;
}

static bool s_numeric(const Huifang__V1__ReportTable *t, size_t c)
{
    return c < t->n_kinds && strcmp(t->kinds[c], "text") != 0;
}

/* "tasks_due" as a header: "TASKS-DUE". */
static const char *s_header(ctl_t *ctl, const char *column)
{
    char *h = (char *)ctl_fmt(ctl, "%s", column);
    for (char *c = h; *c; c++)
        *c = *c == '_' ? '-' : (*c >= 'a' && *c <= 'z') ? (char)(*c - 'a' + 'A') : *c;
    return h;
}

static const char *s_cell(const Huifang__V1__ReportRow *row, size_t c)
{
    return c < row->n_cells && row->cells[c] ? row->cells[c] : "";
}

/* Aligned columns, numbers to the right; an empty cell shows as "-". */
static void s_print_table(ctl_t *ctl, const Huifang__V1__ReportTable *t)
{
    size_t nc = t->n_columns;
    int *w = calloc(nc ? nc : 1, sizeof *w);
    if (w == NULL)
        abort();
    for (size_t c = 0; c < nc; c++) {
        w[c] = s_width(s_header(ctl, t->columns[c]));
        for (size_t r = 0; r < t->n_rows; r++) {
            int cw = s_width(*s_cell(t->rows[r], c) ? s_cell(t->rows[r], c) : "-");
            if (cw > w[c])
                w[c] = cw;
        }
    }
    for (size_t r = 0; r <= t->n_rows; r++) {
        for (size_t c = 0; c < nc; c++) {
            const char *v = r == 0 ? s_header(ctl, t->columns[c]) : s_cell(t->rows[r - 1], c);
            if (*v == '\0')
                v = "-";
            int pad = w[c] - s_width(v);
            bool right = r > 0 && s_numeric(t, c);
            if (right)
                printf("%*s", pad, "");
            fputs(v, stdout);
            if (c + 1 < nc)
                printf("%*s", (right ? 0 : pad) + 2, "");
        }
        fputc('\n', stdout);
    }
    free(w);
}

/* One CSV field: quoted when it holds a comma, a quote, a line break or edge spaces. */
static void s_csv_field(const char *v)
{
    size_t n = strlen(v);
    bool quote = strpbrk(v, ",\"\r\n") != NULL || (n && (v[0] == ' ' || v[n - 1] == ' '));
    if (!quote) {
        fputs(v, stdout);
        return;
    }
    fputc('"', stdout);
    for (const char *s = v; *s; s++) {
        if (*s == '"')
            fputc('"', stdout);
        fputc(*s, stdout);
    }
    fputc('"', stdout);
}

static void s_csv_table(const Huifang__V1__ReportTable *t)
{
    fputs("# ", stdout);
    fputs(t->title, stdout);
    fputc('\n', stdout);
    for (size_t r = 0; r <= t->n_rows; r++) {
        for (size_t c = 0; c < t->n_columns; c++) {
            if (c)
                fputc(',', stdout);
            s_csv_field(r == 0 ? t->columns[c] : s_cell(t->rows[r - 1], c));
        }
        fputc('\n', stdout);
    }
}

static void s_json_rows(const Huifang__V1__ReportResult *rp, const Huifang__V1__ReportTable *t)
{
    for (size_t r = 0; r < t->n_rows; r++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "report", json_object_new_string(rp->name));
        json_object_object_add(o, "branch", json_object_new_string(rp->branch));
        json_object_object_add(o, "period", json_object_new_string(rp->period));
        json_object_object_add(o, "table", json_object_new_string(t->title));
        for (size_t c = 0; c < t->n_columns; c++) {
            const char *v = s_cell(t->rows[r], c);
            json_object *val;
            if (s_numeric(t, c) && *v == '\0')
                val = NULL; /* JSON null: no figure (a rate of nothing) */
            else if (s_numeric(t, c) && strcmp(t->kinds[c], "int") == 0)
                val = json_object_new_int64(strtoll(v, NULL, 10));
            else if (s_numeric(t, c))
                val = json_object_new_double_s(strtod(v, NULL), v);
            else
                val = json_object_new_string(v);
            json_object_object_add(o, t->columns[c], val);
        }
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    }
}

/* ---------------------------------------------------------------------------------------
 * report NAME
 * ------------------------------------------------------------------------------------- */

int ctl_report(ctl_t *ctl, int argc, char **argv)
{
    const char *name = ctl->command->verb;
    ctl_opt_t opts[] = {CTL_OPT("format"),   CTL_OPT("date"),     CTL_OPT("week"),
                        CTL_OPT("month"),    CTL_OPT("agent"),    CTL_OPT("days"),
                        CTL_OPT("campaign"), CTL_OPT("branches"), CTL_FLAG("all"),
                        CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    /* only the flags this report documents: the others exist for the table above */
    static const struct {
        const char *report;
        const char *flags;
    } allowed[] = {{"agent-daily", "date agent"}, {"branch-weekly", "week"},
                   {"collection", "week"},        {"repurchase", "month days"},
                   {"complaints", "week"},        {"sales-attribution", "month"},
                   {"points", "month"},           {"occasions", "month"},
                   {"campaign", "campaign days"}, {NULL, NULL}};
    const char *flags = "";
    for (int i = 0; allowed[i].report; i++)
        if (strcmp(allowed[i].report, name) == 0)
            flags = allowed[i].flags;
    for (ctl_opt_t *o = opts + 1; o->name; o++) {
        if (o->value == NULL || strcmp(o->name, "branches") == 0 || strcmp(o->name, "all") == 0)
            continue;
        const char *hit = strstr(flags, o->name);
        if (hit == NULL) {
            ctl_fail(ctl, HF_BAD_INPUT,
                     "unknown flag --%s for report %s (see huifang report %s --help)", o->name,
                     name, name);
            return ctl->exit;
        }
    }
    const char *format = ctl_opt(opts, "format");
    if (format == NULL)
        format = ctl->json ? "json" : "table";
    if (ctl_check_choice(ctl, "--format", format, "table|csv|json") != 0)
        return ctl->exit;
    if (ctl->json && strcmp(format, "json") != 0) {
        ctl_fail(ctl, HF_BAD_INPUT, "--json and --format %s contradict each other", format);
        return ctl->exit;
    }
    const char *v;
    if ((v = ctl_opt(opts, "date")) && ctl_check_date(ctl, "--date", v) != 0)
        return ctl->exit;
    Huifang__V1__ReportRequest q = HUIFANG__V1__REPORT_REQUEST__INIT;
    q.name = (char *)name;
    q.date = (char *)(ctl_opt(opts, "date") ? ctl_opt(opts, "date") : "");
    q.week = (char *)(ctl_opt(opts, "week") ? ctl_opt(opts, "week") : "");
    q.month = (char *)(ctl_opt(opts, "month") ? ctl_opt(opts, "month") : "");
    q.agent = (char *)(ctl_opt(opts, "agent") ? ctl_opt(opts, "agent") : "");
    if ((v = ctl_opt(opts, "days"))) {
        long days;
        if (ctl_parse_long(ctl, "--days", v, 0, 366, &days) != 0)
            return ctl->exit;
        q.days = (int32_t)days;
        q.days_set = true;
    }
    if ((v = ctl_opt(opts, "campaign")) && ctl_parse_id(ctl, "--campaign", v, &q.campaign_id) != 0)
        return ctl->exit;
    /* headquarters: several branches side by side (the request's own branch is not sent) */
    const char *list = ctl_switch(opts, "branches") ? ctl_opt(opts, "branches") : NULL;
    bool all = ctl_switch(opts, "all");
    if (ctl_switch(opts, "branches") && list == NULL)
        list = "";
    char **branches = NULL;
    if (list && all) {
        ctl_fail(ctl, HF_BAD_INPUT, "--branches and --all exclude each other");
        return ctl->exit;
    }
    if (list) {
        if (*list == '\0') {
            ctl_fail(ctl, HF_BAD_INPUT, "--branches: give one or more codes, e.g. BJ01,SH01");
            return ctl->exit;
        }
        char *copy = (char *)ctl_fmt(ctl, "%s", list), *save = NULL;
        size_t room = 1;
        for (const char *c = list; *c; c++)
            room += *c == ',';
        branches = calloc(room, sizeof *branches);
        if (branches == NULL)
            abort();
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
            branches[q.n_branches++] = tok;
        q.branches = branches;
    }
    q.all_branches = all;
    if (!list && !all && ctl_need_branch(ctl) != 0)
        return ctl->exit;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    if (list || all)
        req.branch = "";
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_REPORT;
    req.report = &q;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_REPORTING, &req, HUIFANG__V1__REPLY__RESULT_REPORT, &rep);
    free(branches);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__ReportResult *r = rep->report;
    if (strcmp(format, "json") == 0) {
        for (size_t i = 0; i < r->n_tables; i++)
            s_json_rows(r, r->tables[i]);
    } else if (strcmp(format, "csv") == 0) {
        for (size_t i = 0; i < r->n_tables; i++) {
            if (i)
                fputc('\n', stdout);
            s_csv_table(r->tables[i]);
        }
    } else {
        if (r->n_branches)
            printf("%s  %zu branches  %s", r->name, r->n_branches, r->period);
        else
            printf("%s  branch %s  %s", r->name, r->branch, r->period);
        if (strcmp(r->from, r->to) != 0)
            printf(" (%s .. %s)", r->from, r->to);
        printf("  %s\n", r->tz);
        for (size_t i = 0; i < r->n_tables; i++) {
            printf("\n%s\n", r->tables[i]->title);
            s_print_table(ctl, r->tables[i]);
        }
    }
    fflush(stdout);
    ctl_reply_free(&rep);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * attribution show / terminal / unmap / rate
 * ------------------------------------------------------------------------------------- */

static void s_print_attribution(ctl_t *ctl, const Huifang__V1__Attribution *at)
{
    if (ctl->json) {
        ctl_json(&at->base);
        return;
    }
    printf("branch %s  commission %d.%02d%%\n", at->branch, at->rate_bp / 100, at->rate_bp % 100);
    if (at->n_terminals == 0) {
        printf(
            "no region is mapped to a terminal yet (huifang attribution terminal REGION NAME)\n");
        return;
    }
    ctl_table_t *t = ctl_table_new(2, "REGION", "TERMINAL");
    for (size_t i = 0; i < at->n_terminals; i++)
        ctl_table_add(t, at->terminals[i]->region, at->terminals[i]->terminal);
    ctl_table_print(t);
    ctl_table_destroy(&t);
}

/* Sends an AttributionSet (or, when set is NULL, an AttributionShow) and prints the result. */
static int s_attribution_call(ctl_t *ctl, Huifang__V1__AttributionSet *set, const ctl_opt_t *opts)
{
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    hf_request_t req;
    Huifang__V1__AttributionShow show = HUIFANG__V1__ATTRIBUTION_SHOW__INIT;
    if (set) {
        if (ctl_request_change(ctl, &req, opts) != 0)
            return ctl->exit;
        req.command_case = HUIFANG__V1__REQUEST__COMMAND_ATTRIBUTION_SET;
        req.attribution_set = set;
    } else {
        ctl_request_init(ctl, &req);
        req.command_case = HUIFANG__V1__REQUEST__COMMAND_ATTRIBUTION_SHOW;
        req.attribution_show = &show;
    }
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_REPORTING, &req, HUIFANG__V1__REPLY__RESULT_ATTRIBUTION, &rep);
    if (rc != HF_OK)
        return rc;
    s_print_attribution(ctl, rep->attribution);
    fflush(stdout);
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_attribution_show(ctl_t *ctl, int argc, char **argv)
{
    if (ctl_parse(ctl, argc, argv, NULL, NULL, NULL) != 0)
        return ctl->exit;
    return s_attribution_call(ctl, NULL, NULL);
}

int ctl_attribution_terminal(ctl_t *ctl, int argc, char **argv)
{
    static const char *const pos_names[] = {"REGION", "TERMINAL", NULL};
    const char *pos[2];
    ctl_opt_t opts[] = {CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    if (*pos[1] == '\0') {
        ctl_fail(ctl, HF_BAD_INPUT,
                 "TERMINAL must not be empty (huifang attribution unmap REGION "
                 "removes a mapping)");
        return ctl->exit;
    }
    Huifang__V1__AttributionSet set = HUIFANG__V1__ATTRIBUTION_SET__INIT;
    set.region = (char *)pos[0];
    set.terminal = (char *)pos[1];
    return s_attribution_call(ctl, &set, opts);
}

int ctl_attribution_unmap(ctl_t *ctl, int argc, char **argv)
{
    static const char *const pos_names[] = {"REGION", NULL};
    const char *pos[1];
    ctl_opt_t opts[] = {CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    Huifang__V1__AttributionSet set = HUIFANG__V1__ATTRIBUTION_SET__INIT;
    set.region = (char *)pos[0];
    set.terminal = "";
    return s_attribution_call(ctl, &set, opts);
}

int ctl_attribution_rate(ctl_t *ctl, int argc, char **argv)
{
    static const char *const pos_names[] = {"PERCENT", NULL};
    const char *pos[1];
    ctl_opt_t opts[] = {CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, pos_names, pos) != 0)
        return ctl->exit;
    /* a percentage with at most two decimals: hundredths of a percent are basis points */
    const char *p = pos[0];
    int64_t bp = 0;
    int digits = 0, decimals = 0;
    for (; *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
        bp = bp * 10 + (*p - '0');
    bp *= 100;
    if (digits && *p == '.')
        for (p++; *p >= '0' && *p <= '9' && decimals < 3; p++, decimals++)
            bp += (*p - '0') * (decimals == 0 ? 10 : 1);
    if (digits == 0 || *p != '\0' || decimals > 2 || (pos[0][digits] == '.' && decimals == 0) ||
        bp > 10000) {
        ctl_fail(ctl, HF_BAD_INPUT,
                 "PERCENT must be a percentage from 0 to 100 with at most two decimals, such as "
                 "5 or 2.5, not '%s'",
                 pos[0]);
        return ctl->exit;
    }
    Huifang__V1__AttributionSet set = HUIFANG__V1__ATTRIBUTION_SET__INIT;
    set.set_rate = true;
    set.rate_bp = (int32_t)bp;
    return s_attribution_call(ctl, &set, opts);
}
