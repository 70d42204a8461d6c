/* hf_csv: streaming CSV records in UTF-8 from files in any common encoding.
 *
 * The pipeline: raw bytes (64 KiB at a time) -> iconv to UTF-8 (bytes that are not text
 * become U+FFFD) -> split at line feeds -> libcsv, one line per call, so that every record
 * knows the line it starts on even when a quoted field spans lines. */
#include "hf_csv.h"
#include <csv.h>
#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* tests/fuzz builds this file with a chunk of a few bytes, so that short inputs cross reads */
#ifndef HF_CSV_CHUNK
#define HF_CSV_CHUNK 65536
#endif
/* a record longer than this, or spanning more lines, is a quote that was never closed */
#define HF_CSV_MAX_RECORD (1 << 20)
#define HF_CSV_MAX_LINES 200

/* One record being built: its fields back to back, NUL-terminated, and their offsets. */
typedef struct {
    char *buf;
    size_t len, cap;
    size_t *offs;
    int n, cap_offs;
    int64_t line;
} s_record_t;

struct hf_csv_t {
    FILE *in;
    bool own_file;
    struct csv_parser parser;
    iconv_t cd;
    char encoding[32];
    bool utf16;
    /* raw input and converted output */
    char raw[HF_CSV_CHUNK + 8];
    size_t raw_len;
    char *text; /* converted UTF-8 not yet fed to the parser */
    size_t text_len, text_cap;
    bool eof;
    int64_t offset, size, bad;
    int64_t line;        /* the line being fed */
    int64_t record_line; /* the line the record being parsed starts on */
    /* completed records, handed out one at a time */
    s_record_t cur, ready[8];
    int nready, next_ready;
    char **fields;
    int fields_cap;
    bool fini;
    char error[256];
};

/* ---- records ---- */

static int s_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (q == NULL)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

static void s_on_field(void *s, size_t len, void *data)
{
    hf_csv_t *self = data;
    s_record_t *r = &self->cur;
    if (self->error[0])
        return;
    if (r->n == 0 && r->len == 0)
        r->line = self->record_line;
    size_t cap_offs = (size_t)r->cap_offs;
    if (s_grow((void **)&r->buf, &r->cap, r->len + len + 1, 1) != 0 ||
        s_grow((void **)&r->offs, &cap_offs, (size_t)r->n + 1, sizeof *r->offs) != 0) {
        snprintf(self->error, sizeof self->error, "out of memory");
        return;
    }
    r->cap_offs = (int)cap_offs;
    r->offs[r->n++] = r->len;
    if (len)
        memcpy(r->buf + r->len, s, len);
    r->len += len;
    r->buf[r->len++] = '\0';
}

static void s_on_record(int c, void *data)
{
    (void)c;
    hf_csv_t *self = data;
    if (self->error[0])
        return;
    if (self->nready == (int)(sizeof self->ready / sizeof self->ready[0])) {
        snprintf(self->error, sizeof self->error, "line %lld: too many records on one line",
                 (long long)self->line);
        return;
    }
    /* swap the built record into the queue; its buffers are reused next time */
    s_record_t done = self->cur;
    self->cur = self->ready[self->nready];
    self->ready[self->nready++] = done;
    self->cur.len = 0;
    self->cur.n = 0;
}

/* ---- input ---- */

static bool s_valid_utf8_prefix(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        size_t len = c < 0x80             ? 1
                     : (c & 0xE0) == 0xC0 ? 2
                     : (c & 0xF0) == 0xE0 ? 3
                     : (c & 0xF8) == 0xF0 ? 4
                                          : 0;
        if (len == 0 || (len == 2 && c < 0xC2))
            return false;
        if (i + len > n)
            return true; /* a character cut by the sample's end */
        for (size_t k = 1; k < len; k++)
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
        i += len;
    }
    return true;
}

/* Reads more raw bytes behind what is left; returns bytes read (0 at the end) or -1. */
static ssize_t s_read(hf_csv_t *self)
{
    size_t n = fread(self->raw + self->raw_len, 1, HF_CSV_CHUNK - self->raw_len, self->in);
    if (n == 0 && ferror(self->in)) {
        snprintf(self->error, sizeof self->error, "could not read: %s", strerror(errno));
        return -1;
    }
    if (n == 0)
        self->eof = true;
    self->raw_len += n;
    self->offset += (int64_t)n;
    return (ssize_t)n;
}

/* glibc's iconv still knows the UTF-8 of before RFC 3629: read as UTF-8 (and so copied as
 * it is), a sequence for a code point above U+10FFFF, with a lead byte F4 90.. to FD and up
 * to six bytes long, comes out unchanged, and neither the archive nor Postgres would take
 * it. Each such sequence in the n bytes at text becomes U+FFFD, counted as bytes that are
 * not text, like any other. iconv writes whole characters, so a sequence is never cut here.
 * Returns the new length (never longer: the sequences are 4 to 6 bytes, U+FFFD is 3). */
static size_t s_drop_beyond_unicode(hf_csv_t *self, char *text, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)text[i];
        size_t len = 0;
        if (c > 0xF4 || (c == 0xF4 && i + 1 < n && (unsigned char)text[i + 1] >= 0x90))
            len = c < 0xF8 ? 4 : c < 0xFC ? 5 : 6;
        if (len == 0 || len > n - i) {
            text[o++] = text[i++];
            continue;
        }
        memcpy(text + o, "\xEF\xBF\xBD", 3);
        o += 3;
        i += len;
        self->bad += (int64_t)len;
    }
    return o;
}

/* Converts what raw holds to UTF-8 at the end of text; an incomplete character at the end
 * waits for the next read (or, at the end of the file, becomes U+FFFD). */
static int s_convert(hf_csv_t *self)
{
    char *in = self->raw;
    size_t inleft = self->raw_len;
    while (inleft > 0) {
        if (s_grow((void **)&self->text, &self->text_cap, self->text_len + inleft * 4 + 16, 1) !=
            0) {
            snprintf(self->error, sizeof self->error, "out of memory");
            return -1;
        }
        size_t before = self->text_len;
        char *out = self->text + before;
        size_t outleft = self->text_cap - before;
        size_t r = iconv(self->cd, &in, &inleft, &out, &outleft);
        self->text_len = before + s_drop_beyond_unicode(self, self->text + before,
                                                        (size_t)(out - self->text) - before);
        if (r != (size_t)-1)
            break;
        if (errno == E2BIG)
            continue;
        if (errno == EINVAL && !self->eof)
            break; /* the rest of a character is in the next read */
        /* not text in this encoding (or cut at the end of the file): U+FFFD, and on */
        size_t skip = self->utf16 ? 2 : 1;
        if (skip > inleft)
            skip = inleft;
        in += skip;
        inleft -= skip;
        self->bad += (int64_t)skip;
        memcpy(self->text + self->text_len, "\xEF\xBF\xBD", 3);
        self->text_len += 3;
        iconv(self->cd, NULL, NULL, NULL, NULL);
    }
    memmove(self->raw, in, inleft);
    self->raw_len = inleft;
    return 0;
}

static int s_is_space_comma(unsigned char c)
{
    return c == ' ' || c == '\t';
}

static int s_is_space_tab(unsigned char c)
{
    return c == ' ';
}

hf_csv_t *hf_csv_open(const char *path, const char *encoding, char *err, size_t errlen)
{
    hf_csv_t *self = calloc(1, sizeof *self);
    if (self == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->cd = (iconv_t)-1;
    self->size = -1;
    self->line = 1;
    self->record_line = 1;
    if (strcmp(path, "-") == 0) {
        self->in = stdin;
    } else {
        self->in = fopen(path, "rb");
        self->own_file = true;
        struct stat stbuf;
        if (self->in && fstat(fileno(self->in), &stbuf) == 0 && S_ISREG(stbuf.st_mode))
            self->size = (int64_t)stbuf.st_size;
    }
    if (self->in == NULL) {
        snprintf(err, errlen, "could not open %s: %s", path, strerror(errno));
        free(self);
        return NULL;
    }
    if (csv_init(&self->parser, 0) != 0) {
        snprintf(err, errlen, "out of memory");
        hf_csv_destroy(&self);
        return NULL;
    }
    if (s_read(self) < 0) {
        snprintf(err, errlen, "%s: %s", path, self->error);
        hf_csv_destroy(&self);
        return NULL;
    }
    const unsigned char *b = (const unsigned char *)self->raw;
    const char *enc = encoding && *encoding && strcasecmp(encoding, "auto") != 0 ? encoding : NULL;
    size_t skip = 0;
    if (self->raw_len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) {
        skip = 3; /* the BOM spreadsheets put before UTF-8 */
        enc = enc ? enc : "UTF-8";
    } else if (self->raw_len >= 2 &&
               ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF))) {
        enc = enc ? enc : "UTF-16"; /* iconv reads the BOM itself */
    } else if (enc == NULL) {
        enc = s_valid_utf8_prefix(b, self->raw_len) ? "UTF-8" : "GB18030";
    }
    snprintf(self->encoding, sizeof self->encoding, "%s", enc);
    for (char *c = self->encoding; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
    self->utf16 =
        strncmp(self->encoding, "UTF-16", 6) == 0 || strncmp(self->encoding, "UTF16", 5) == 0;
    memmove(self->raw, self->raw + skip, self->raw_len - skip);
    self->raw_len -= skip;
    self->cd = iconv_open("UTF-8", self->encoding);
    if (self->cd == (iconv_t)-1) {
        snprintf(err, errlen, "unknown encoding %s (try utf-8 or gb18030)",
                 encoding ? encoding : enc);
        hf_csv_destroy(&self);
        return NULL;
    }
    if (s_convert(self) != 0) {
        snprintf(err, errlen, "%s: %s", path, self->error);
        hf_csv_destroy(&self);
        return NULL;
    }
    /* the delimiter, from the first line: a tab when it has tabs and no commas */
    size_t commas = 0, tabs = 0;
    for (size_t i = 0; i < self->text_len && self->text[i] != '\n'; i++) {
        commas += self->text[i] == ',';
        tabs += self->text[i] == '\t';
    }
    if (tabs > 0 && commas == 0) {
        csv_set_delim(&self->parser, CSV_TAB);
        csv_set_space_func(&self->parser, s_is_space_tab);
    } else {
        csv_set_space_func(&self->parser, s_is_space_comma);
    }
    return self;
}

void hf_csv_destroy(hf_csv_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    hf_csv_t *self = *self_p;
    if (self->own_file && self->in)
        fclose(self->in);
    if (self->cd != (iconv_t)-1)
        iconv_close(self->cd);
    csv_free(&self->parser);
    free(self->text);
    free(self->cur.buf);
    free(self->cur.offs);
    for (size_t i = 0; i < sizeof self->ready / sizeof self->ready[0]; i++) {
        free(self->ready[i].buf);
        free(self->ready[i].offs);
    }
    free(self->fields);
    free(self);
    *self_p = NULL;
}

/* Feeds whole lines of text to the parser (all of it at the end of the file). */
static int s_feed(hf_csv_t *self)
{
    size_t start = 0;
    while (start < self->text_len && self->nready == 0) {
        char *nl = memchr(self->text + start, '\n', self->text_len - start);
        if (nl == NULL && !self->eof)
            break;
        size_t end = nl ? (size_t)(nl - self->text) + 1 : self->text_len;
        /* libcsv's state 0 is "no row begun": a record starts on this line (blank lines
         * before it are skipped by the parser, so the previous record's end cannot say) */
        if (self->parser.pstate == 0 && self->cur.n == 0)
            self->record_line = self->line;
        if (csv_parse(&self->parser, self->text + start, end - start, s_on_field, s_on_record,
                      self) != end - start) {
            snprintf(self->error, sizeof self->error, "line %lld: %s", (long long)self->line,
                     csv_strerror(csv_error(&self->parser)));
            return -1;
        }
        if (self->error[0])
            return -1;
        start = end;
        if (nl)
            self->line++;
        bool open = self->parser.pstate != 0 || self->cur.n > 0;
        if (open &&
            (self->cur.len > HF_CSV_MAX_RECORD || self->parser.entry_pos > HF_CSV_MAX_RECORD ||
             self->line - self->record_line > HF_CSV_MAX_LINES)) {
            snprintf(self->error, sizeof self->error,
                     "line %lld: a quoted field that starts here is never closed (a stray \"?)",
                     (long long)self->record_line);
            return -1;
        }
    }
    /* nothing fed, nothing to move: text is still NULL when the file was empty */
    if (start > 0) {
        memmove(self->text, self->text + start, self->text_len - start);
        self->text_len -= start;
    }
    return 0;
}

int hf_csv_next(hf_csv_t *self, char ***fields, int *nfields, int64_t *line)
{
    if (self->error[0])
        return -1;
    while (self->nready == 0) {
        if (self->fini)
            return 0;
        if (s_feed(self) != 0)
            return -1;
        if (self->nready > 0)
            break;
        if (self->eof && self->text_len == 0 && self->raw_len == 0) {
            /* the last record may lack its line feed */
            csv_fini(&self->parser, s_on_field, s_on_record, self);
            self->fini = true;
            if (self->error[0])
                return -1;
            continue;
        }
        if (s_read(self) < 0 || s_convert(self) != 0)
            return -1;
    }
    s_record_t *r = &self->ready[self->next_ready++];
    size_t cap = (size_t)self->fields_cap;
    if (s_grow((void **)&self->fields, &cap, (size_t)r->n + 1, sizeof *self->fields) != 0) {
        snprintf(self->error, sizeof self->error, "out of memory");
        return -1;
    }
    self->fields_cap = (int)cap;
    for (int i = 0; i < r->n; i++)
        self->fields[i] = r->buf + r->offs[i];
    self->fields[r->n] = NULL;
    *fields = self->fields;
    *nfields = r->n;
    *line = r->line;
    if (self->next_ready == self->nready) {
        /* every queued record handed out: the next call refills (these stay valid till then) */
        self->nready = 0;
        self->next_ready = 0;
    }
    return 1;
}

const char *hf_csv_error(const hf_csv_t *self)
{
    return self->error;
}

const char *hf_csv_encoding(const hf_csv_t *self)
{
    return self->encoding;
}

int64_t hf_csv_bad_bytes(const hf_csv_t *self)
{
    return self->bad;
}

int64_t hf_csv_offset(const hf_csv_t *self)
{
    return self->offset;
}

int64_t hf_csv_size(const hf_csv_t *self)
{
    return self->size;
}

int hf_csv_write(FILE *out, const char *const *fields, int n)
{
    for (int i = 0; i < n; i++) {
        const char *f = fields[i] ? fields[i] : "";
        if ((i > 0 && fputc(',', out) == EOF) || csv_fwrite(out, f, strlen(f)) != 0)
            return -1;
    }
    return fputc('\n', out) == EOF ? -1 : 0;
}
