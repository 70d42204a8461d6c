/* hf_log: key=value lines on stderr, escaped and masked in one place.
 *
 * The old way formatted the whole line with vsnprintf and then re-parsed it to find the
 * values to mask. That cannot work: once a value is in the line nobody can tell the
 * caller's fields from the ones a value brought with it. A customer named
 * "x\nts=... level=error msg=forged" wrote a second, forged line; "Wang Fang" unquoted
 * was read as the value "Wang" and a stray word "Fang". So the line is built here, from
 * the format, conversion by conversion: the literal text of the format (the keys, the
 * quotes the caller put) is written as it is, and each string argument is masked by the
 * key it stands under and escaped before it is written. Numbers cannot carry a line break
 * and are formatted by the C library.
 */
#include "hf_log.h"
#include "hf_mask.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *s_program = "huifang";
static hf_log_level_t s_min_level = HF_LOG_INFO;

static const char *s_level_names[] = {"debug", "info", "warn", "error"};

void hf_log_init(const char *program, const char *level)
{
    if (program)
        s_program = program;
    if (level) {
        for (int i = 0; i < 4; i++)
            if (strcasecmp(level, s_level_names[i]) == 0)
                s_min_level = (hf_log_level_t)i;
    }
}

/* ---------------------------------------------------------------------------------------
 * The line being written
 *
 * Pieces are written whole or not at all (an escape, one UTF-8 character), so a cut line
 * never ends in half of either. Room for the cut marker is kept back from the start.
 * ------------------------------------------------------------------------------------- */

#define S_CUT_MARKER_ROOM 24 /* `..." truncated=true` and the NUL */

typedef struct {
    char *buf;
    size_t cap; /* bytes of buf, NUL included */
    size_t len;
    bool full;   /* a piece did not fit: nothing more is written */
    bool quoted; /* the line is inside a quoted value now */
} s_line_t;

static void s_put(s_line_t *w, const char *s, size_t n)
{
    if (w->full)
        return;
    if (w->len + n + S_CUT_MARKER_ROOM > w->cap) {
        w->full = true;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void s_puts(s_line_t *w, const char *s)
{
    s_put(w, s, strlen(s));
}

/* Ends a cut line with its marker, closing a quote left open. */
static void s_finish(s_line_t *w)
{
    if (!w->full)
        return;
    const char *marker = w->quoted ? "...\" truncated=true" : "... truncated=true";
    size_t n = strlen(marker);
    if (w->len + n + 1 <= w->cap) {
        memcpy(w->buf + w->len, marker, n + 1);
        w->len += n;
    }
}

/* ---------------------------------------------------------------------------------------
 * Escaping
 * ------------------------------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at p (2..4, of at most rem bytes), or 0 when it
 * is not one: overlong forms, surrogates and code points above U+10FFFF are invalid. */
static size_t s_utf8_len(const unsigned char *p, size_t rem)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (rem < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* Code points that are valid but change how a line reads: C1 controls (U+0085 is a line
 * break to some readers), the Unicode line and paragraph separators and the bidirectional
 * overrides that can make a log line display in another order than it was written. */
static bool s_is_invisible(const unsigned char *p, size_t n, unsigned *cp)
{
    if (n == 2)
        *cp = ((unsigned)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
    else if (n == 3)
        *cp = ((unsigned)(p[0] & 0x0F) << 12) | ((unsigned)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    else
        return false;
    return (*cp >= 0x80 && *cp <= 0x9F) || *cp == 0x2028 || *cp == 0x2029 ||
           (*cp >= 0x202A && *cp <= 0x202E) || (*cp >= 0x2066 && *cp <= 0x2069);
}

/* Writes s[0..n) escaped. With quotes, '"' and '\\' are escaped too (a value, or text in
 * the format's quotes); without (a fragment of fields), they stay. At most limit bytes are
 * written; a value cut short ends in "...". */
static void s_escape(s_line_t *w, const char *s, size_t n, bool quotes, size_t limit, bool cut)
{
    size_t written = 0;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n && !w->full) {
        char esc[16];
        const char *piece = esc;
        size_t len;
        unsigned char c = p[i];
        unsigned cp = 0;
        size_t step = 1;
        if (c == '\n' || c == '\r' || c == '\t') {
            esc[0] = '\\';
            esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
            len = 2;
        } else if (c < 0x20 || c == 0x7F) {
            len = (size_t)snprintf(esc, sizeof esc, "\\x%02x", c);
        } else if (quotes && (c == '"' || c == '\\')) {
            esc[0] = '\\';
            esc[1] = (char)c;
            len = 2;
        } else if (c < 0x80) {
            piece = s + i;
            len = 1;
        } else if ((step = s_utf8_len(p + i, n - i)) == 0) {
            step = 1;
            len = (size_t)snprintf(esc, sizeof esc, "\\x%02x", c);
        } else if (s_is_invisible(p + i, step, &cp)) {
            len = (size_t)snprintf(esc, sizeof esc, "\\u%04x", cp);
        } else {
            piece = s + i;
            len = step;
        }
        if (written + len > limit) {
            cut = true;
            break;
        }
        s_put(w, piece, len);
        written += len;
        i += step;
    }
    if (cut)
        s_puts(w, "...");
}

/* True when a value needs quotes to stay one field: empty, or holding a space, '=', a
 * quote, a backslash or anything that gets escaped. */
static bool s_needs_quotes(const char *s)
{
    if (*s == '\0')
        return true;
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        if (p[i] <= ' ' || p[i] == '=' || p[i] == '"' || p[i] == '\\' || p[i] == 0x7F)
            return true;
        if (p[i] >= 0x80) {
            unsigned cp;
            size_t len = s_utf8_len(p + i, n - i);
            if (len == 0 || s_is_invisible(p + i, len, &cp))
                return true;
            i += len - 1;
        }
    }
    return false;
}

/* ---------------------------------------------------------------------------------------
 * Formatting
 * ------------------------------------------------------------------------------------- */

/* Where the format is when it meets a conversion. */
typedef enum {
    S_KEY,         /* between fields, or inside a key */
    S_VALUE_START, /* right after "key=" */
    S_VALUE,       /* inside an unquoted value, after its start */
    S_QUOTED,      /* inside quotes the format wrote */
} s_state_t;

/* Writes one string argument found in state st under key. */
static void s_string(s_line_t *w, s_state_t st, const char *key, const char *s, int precision)
{
    if (s == NULL)
        s = "(null)";
    /* a precision bounds the argument (cut at a whole character) */
    char bounded[HF_LOG_LINE_MAX];
    if (precision >= 0 && strnlen(s, (size_t)precision) == (size_t)precision) {
        size_t n = (size_t)precision < sizeof bounded - 1 ? (size_t)precision : sizeof bounded - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        memcpy(bounded, s, n);
        bounded[n] = '\0';
        s = bounded;
    }
    char masked[HF_LOG_LINE_MAX];
    hf_mask_kind_t kind = st == S_KEY || st == S_VALUE ? HF_MASK_NONE : hf_mask_kind(NULL, key);
    hf_mask_value(kind, s, masked, sizeof masked);
    size_t n = strlen(masked);
    /* the mask of a long text is short; only an unmasked value can have been cut */
    bool cut = kind == HF_MASK_NONE && strnlen(s, n + 1) > n;
    if (st == S_VALUE_START) {
        bool quote = s_needs_quotes(masked);
        if (quote) {
            s_puts(w, "\"");
            w->quoted = true;
        }
        s_escape(w, masked, n, true, HF_LOG_VALUE_MAX, cut);
        if (quote && !w->full) {
            s_puts(w, "\"");
            w->quoted = w->full; /* still open when the closing quote did not fit */
        }
    } else if (st == S_QUOTED) {
        s_escape(w, masked, n, true, HF_LOG_VALUE_MAX, cut);
    } else {
        s_escape(w, masked, n, false, HF_LOG_LINE_MAX, cut); /* a fragment: several fields */
    }
}

/* The printf conversion at *fmt (just after '%'): flags, width, precision and length are
 * copied into spec; returns the conversion character and moves *fmt past it. A '*' width
 * or precision is read from ap. */
#define S_SPEC_MAX 32

/* Silenced for this one function: the format it passes on is a single conversion copied
 * from the caller's literal format, which -Wformat already checked at the call. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void s_vformat(s_line_t *w, const char *fmt, va_list ap)
{
    s_state_t st = S_KEY;
    char key[64];
    size_t klen = 0;
    key[0] = '\0';
    for (const char *f = fmt; *f && !w->full; f++) {
        if (*f != '%' || f[1] == '%') {
            char c = *f;
            if (c == '%')
                f++; /* "%%" is a literal '%' */
            /* the format's own text is trusted, but a control character would still
             * break the line */
            s_escape(w, &c, 1, false, 4, false);
            switch (st) {
            case S_KEY:
                if (c == '=') {
                    st = S_VALUE_START;
                } else if (c == ' ') {
                    klen = 0;
                } else if (klen + 1 < sizeof key) {
                    key[klen++] = c;
                }
                key[klen] = '\0';
                break;
            case S_VALUE_START:
                if (c == '"') {
                    st = S_QUOTED;
                    w->quoted = true;
                } else {
                    st = c == ' ' ? S_KEY : S_VALUE;
                }
                if (st == S_KEY)
                    klen = 0;
                break;
            case S_VALUE:
                if (c == ' ') {
                    st = S_KEY;
                    klen = 0;
                }
                break;
            case S_QUOTED:
                if (c == '"') {
                    st = S_VALUE;
                    w->quoted = false;
                }
                break;
            }
            continue;
        }
        /* a conversion: "%[flags][width][.precision][length]conv" */
        char spec[S_SPEC_MAX];
        size_t sl = 0;
        spec[sl++] = '%';
        f++;
        while (*f && strchr("-+ #0", *f) && sl < S_SPEC_MAX - 16)
            spec[sl++] = *f++;
        if (*f == '*') {
            sl += (size_t)snprintf(spec + sl, S_SPEC_MAX - sl, "%d", va_arg(ap, int));
            f++;
        } else {
            while (*f >= '0' && *f <= '9' && sl < S_SPEC_MAX - 16)
                spec[sl++] = *f++;
        }
        int precision = -1;
        if (*f == '.') {
            f++;
            if (*f == '*') {
                precision = va_arg(ap, int);
                f++;
            } else {
                precision = 0;
                while (*f >= '0' && *f <= '9') {
                    if (precision < 100000)
                        precision = precision * 10 + (*f - '0');
                    f++;
                }
            }
            if (precision >= 0)
                sl += (size_t)snprintf(spec + sl, S_SPEC_MAX - sl, ".%d", precision);
        }
        char length[3] = "";
        size_t ll = 0;
        while (*f && strchr("hlzjtL", *f) && ll < 2)
            length[ll++] = *f++;
        length[ll] = '\0';
        memcpy(spec + sl, length, ll);
        sl += ll;
        char conv = *f;
        if (conv == '\0')
            break;
        spec[sl++] = conv;
        spec[sl] = '\0';

        char num[128];
        int n = -1;
        bool is_long = strcmp(length, "l") == 0, is_llong = strcmp(length, "ll") == 0;
        switch (conv) {
        case 's':
            s_string(w, st, key, va_arg(ap, const char *), precision);
            break;
        case 'c': {
            char ch = (char)va_arg(ap, int);
            s_escape(w, &ch, 1, st != S_KEY && st != S_VALUE, 4, false);
            break;
        }
        case 'd':
        case 'i':
            if (is_llong)
                n = snprintf(num, sizeof num, spec, va_arg(ap, long long));
            else if (is_long)
                n = snprintf(num, sizeof num, spec, va_arg(ap, long));
            else if (length[0] == 'z' || length[0] == 't')
                n = snprintf(num, sizeof num, spec, va_arg(ap, ptrdiff_t));
            else if (length[0] == 'j')
                n = snprintf(num, sizeof num, spec, va_arg(ap, intmax_t));
            else
                n = snprintf(num, sizeof num, spec, va_arg(ap, int));
            break;
        case 'u':
        case 'x':
        case 'X':
        case 'o':
            if (is_llong)
                n = snprintf(num, sizeof num, spec, va_arg(ap, unsigned long long));
            else if (is_long)
                n = snprintf(num, sizeof num, spec, va_arg(ap, unsigned long));
            else if (length[0] == 'z' || length[0] == 't')
                n = snprintf(num, sizeof num, spec, va_arg(ap, size_t));
            else if (length[0] == 'j')
                n = snprintf(num, sizeof num, spec, va_arg(ap, uintmax_t));
            else
                n = snprintf(num, sizeof num, spec, va_arg(ap, unsigned));
            break;
        case 'f':
        case 'F':
        case 'e':
        case 'E':
        case 'g':
        case 'G':
        case 'a':
        case 'A':
            if (length[0] == 'L')
                n = snprintf(num, sizeof num, spec, va_arg(ap, long double));
            else
                n = snprintf(num, sizeof num, spec, va_arg(ap, double));
            break;
        case 'p':
            n = snprintf(num, sizeof num, spec, va_arg(ap, void *));
            break;
        default:
            /* %n or something unknown: write nothing, read nothing more (the format
             * checker refuses these at compile time) */
            s_puts(w, "?");
            break;
        }
        if (n > 0)
            s_put(w, num, (size_t)n < sizeof num ? (size_t)n : sizeof num - 1);
        if (st == S_VALUE_START)
            st = S_VALUE;
    }
}
#pragma GCC diagnostic pop

size_t hf_log_vformat(char *out, size_t size, const char *fmt, va_list ap)
{
    if (out == NULL || size == 0)
        return 0;
    out[0] = '\0';
    if (size < S_CUT_MARKER_ROOM + 1 || fmt == NULL)
        return 0;
    s_line_t w = {out, size, 0, false, false};
    s_vformat(&w, fmt, ap);
    s_finish(&w);
    return w.len;
}

size_t hf_log_format(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = hf_log_vformat(out, size, fmt, ap);
    va_end(ap);
    return n;
}

void hf_log(hf_log_level_t level, const char *event, const char *fmt, ...)
{
    if (level < s_min_level)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char line[HF_LOG_LINE_MAX];
    s_line_t w = {line, sizeof line - 1, 0, false, false}; /* - 1: room for the newline */
    char head[96];
    snprintf(head, sizeof head,
             "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s svc=", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000),
             s_level_names[level]);
    s_puts(&w, head);
    s_escape(&w, s_program, strlen(s_program), true, 64, false);
    s_puts(&w, " event=");
    s_escape(&w, event ? event : "", event ? strlen(event) : 0, true, 64, false);
    if (fmt && *fmt) {
        s_puts(&w, " ");
        va_list ap;
        va_start(ap, fmt);
        s_vformat(&w, fmt, ap);
        va_end(ap);
    }
    s_finish(&w);
    line[w.len++] = '\n';
    /* one write: lines of concurrent threads or processes on one pipe do not interleave */
    ssize_t rc = write(STDERR_FILENO, line, w.len);
    (void)rc;
}
