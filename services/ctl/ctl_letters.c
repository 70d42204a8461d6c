/* ctl_letters: `huifang letters print` writes the day's letters as a CSV mail-merge file
 * (RFC 4180, UTF-8, one row per letter: task, customer, name, postal address, region,
 * purpose, product, date) for a word processor's mail merge; `letters sent` logs the batch
 * as sent. PDF is not offered: Debian has no small tool that lays out a letter per customer
 * from a CSV without a template engine, and the mail merge of a word processor does it. */
#include "ctl_letters.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One CSV field: quoted when it holds a comma, a quote, a line break or edge spaces. */
static void s_csv_field(FILE *out, const char *v)
{
    size_t n = strlen(v);
    bool quote = strpbrk(v, ",\"\r\n") != NULL || (n && (v[0] == ' ' || v[n - 1] == ' '));
    if (!quote) {
        fputs(v, out);
        return;
    }
    fputc('"', out);
    for (const char *s = v; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void s_csv(FILE *out, const Huifang__V1__LetterBatch *b)
{
    fputs("task_id,customer_id,name,address,region,purpose,product,date,language\r\n", out);
    for (size_t i = 0; i < b->n_letters; i++) {
        const Huifang__V1__Letter *l = b->letters[i];
        char tid[24], cid[24];
        snprintf(tid, sizeof tid, "%lld", (long long)l->task_id);
        snprintf(cid, sizeof cid, "%lld", (long long)l->customer_id);
        const char *cells[] = {tid,        cid,        l->name, l->address, l->region,
                               l->purpose, l->product, l->day,  l->language};
        for (size_t c = 0; c < sizeof cells / sizeof cells[0]; c++) {
            if (c)
                fputc(',', out);
            s_csv_field(out, cells[c] ? cells[c] : "");
        }
        fputs("\r\n", out);
    }
}

/* letters print [--date D] [--out FILE] [--format csv|pdf] */
int ctl_letters_print(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("date"), CTL_OPT("out"), CTL_OPT("format"), CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    const char *date = ctl_opt(opts, "date"), *path = ctl_opt(opts, "out"),
               *format = ctl_opt(opts, "format");
    if (date && ctl_check_date(ctl, "--date", date) != 0)
        return ctl->exit;
    if (format && strcmp(format, "csv") != 0) {
        ctl_fail(ctl, HF_BAD_INPUT,
                 "--format %s: only csv is written (a mail-merge file; print the letters from "
                 "it with a word processor)",
                 format);
        return ctl->exit;
    }
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    Huifang__V1__LettersPrint q = HUIFANG__V1__LETTERS_PRINT__INIT;
    q.date = (char *)(date ? date : "");
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_LETTERS_PRINT;
    req.letters_print = &q;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_SCHEDULER, &req, HUIFANG__V1__REPLY__RESULT_LETTERS, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__LetterBatch *b = rep->letters;
    if (ctl->json && path == NULL) {
        for (size_t i = 0; i < b->n_letters; i++)
            ctl_json(&b->letters[i]->base);
    } else if (path == NULL || strcmp(path, "-") == 0) {
        s_csv(stdout, b);
    } else {
        /* names and addresses: a file only its owner reads, written whole or not at all */
        char *part = (char *)ctl_fmt(ctl, "%s.part", path);
        int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (out == NULL) {
            ctl_error("could not write %s: %s", part, strerror(errno));
            if (fd >= 0)
                close(fd);
            ctl_reply_free(&rep);
            return HF_INTERNAL;
        }
        s_csv(out, b);
        if (fclose(out) != 0 || rename(part, path) != 0) {
            ctl_error("could not write %s: %s", path, strerror(errno));
            unlink(part);
            ctl_reply_free(&rep);
            return HF_INTERNAL;
        }
    }
    fflush(stdout);
    fprintf(stderr, "huifang: %zu letters of %s for branch %s%s", b->n_letters, b->date, b->branch,
            path && strcmp(path, "-") != 0 ? ctl_fmt(ctl, " in %s", path) : "");
    if (b->without_address)
        fprintf(stderr,
                "; %d left out: no postal address in the archive (customer edit "
                "--address)",
                b->without_address);
    fputc('\n', stderr);
    ctl_reply_free(&rep);
    return HF_OK;
}

/* letters sent [--date D] */
int ctl_letters_sent(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {CTL_OPT("date"), CTL_OPT_IDEMPOTENCY, CTL_OPT_END};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    const char *date = ctl_opt(opts, "date");
    if (date && ctl_check_date(ctl, "--date", date) != 0)
        return ctl->exit;
    if (ctl_need_branch(ctl) != 0)
        return ctl->exit;
    Huifang__V1__LettersSent q = HUIFANG__V1__LETTERS_SENT__INIT;
    q.date = (char *)(date ? date : "");
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_LETTERS_SENT;
    req.letters_sent = &q;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_CALLLOG, &req, HUIFANG__V1__REPLY__RESULT_LETTERS, &rep);
    if (rc != HF_OK)
        return rc;
    const Huifang__V1__LetterBatch *b = rep->letters;
    if (ctl->json) {
        ctl_json(&b->base);
    } else {
        printf("%d letters of %s logged as sent (branch %s)\n", b->sent, b->date, b->branch);
        ctl_table_t *t = ctl_table_new(4, "TASK", "CUSTOMER", "NAME", "PURPOSE");
        for (size_t i = 0; i < b->n_letters; i++) {
            const Huifang__V1__Letter *l = b->letters[i];
            ctl_table_add(t, ctl_fmt(ctl, "%lld", (long long)l->task_id),
                          ctl_fmt(ctl, "%lld", (long long)l->customer_id),
                          ctl_name_masked(ctl, l->name), l->purpose);
        }
        ctl_table_print(t);
        ctl_table_destroy(&t);
    }
    ctl_reply_free(&rep);
    return HF_OK;
}
