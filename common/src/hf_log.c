/* hf_log: key=value lines on stderr, with personal data masked in one place. */
#include "hf_log.h"
#include "hf_phone.h"
#include <ctype.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

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

/* Which masking a key asks for: 'p' phone, 'n' name, 0 none. */
static int s_mask_kind(const char *key, size_t keylen)
{
    char k[64];
    if (keylen >= sizeof k)
        keylen = sizeof k - 1;
    for (size_t i = 0; i < keylen; i++)
        k[i] = (char)tolower((unsigned char)key[i]);
    k[keylen] = '\0';
    if (strstr(k, "phone") || strstr(k, "mobile") || strcmp(k, "tel") == 0)
        return 'p';
    if (strstr(k, "name") && strcmp(k, "svc_name") != 0)
        return 'n';
    return 0;
}

/* Masks a run of 11 digits that looks like a mainland mobile wherever it stands, so that a
 * number that slipped into a free-text value still never reaches a log. */
static void s_mask_stray_mobiles(char *line)
{
    size_t n = strlen(line);
    for (size_t i = 0; i + 11 <= n; i++) {
        if (line[i] != '1' || (i > 0 && isdigit((unsigned char)line[i - 1])))
            continue;
        size_t j = i;
        while (j < n && isdigit((unsigned char)line[j]))
            j++;
        if (j - i == 11 && line[i + 1] >= '3' && line[i + 1] <= '9')
            memset(line + i + 3, '*', 4);
        i = j;
    }
}

void hf_log_mask_line(char *line, size_t size)
{
    char out[4096];
    size_t o = 0;
    const char *p = line;
    while (*p && o + 1 < sizeof out) {
        /* find a key=value token starting at p */
        const char *eq = NULL;
        const char *q = p;
        while (*q && *q != ' ' && *q != '=')
            q++;
        if (*q == '=')
            eq = q;
        if (eq == NULL) {
            while (*p && *p != ' ' && o + 1 < sizeof out)
                out[o++] = *p++;
        } else {
            int kind = s_mask_kind(p, (size_t)(eq - p));
            while (p <= eq && o + 1 < sizeof out)
                out[o++] = *p++;
            /* the value: quoted or up to the next space */
            char value[512];
            size_t v = 0;
            bool quoted = (*p == '"');
            if (quoted)
                p++;
            while (*p && (quoted ? *p != '"' : *p != ' ') && v + 1 < sizeof value)
                value[v++] = *p++;
            if (quoted && *p == '"')
                p++;
            value[v] = '\0';
            char masked[512];
            const char *use = value;
            if (kind == 'p' && v > 0) {
                hf_phone_mask(value, masked, sizeof masked);
                use = masked;
            } else if (kind == 'n' && v > 0) {
                hf_name_mask(value, masked, sizeof masked);
                use = masked;
            }
            int w = snprintf(out + o, sizeof out - o, quoted ? "\"%s\"" : "%s", use);
            if (w > 0)
                o += (size_t)w < sizeof out - o ? (size_t)w : sizeof out - o - 1;
        }
        while (*p == ' ' && o + 1 < sizeof out)
            out[o++] = *p++;
    }
    out[o] = '\0';
    s_mask_stray_mobiles(out);
    snprintf(line, size, "%s", out);
}

void hf_log(hf_log_level_t level, const char *event, const char *fmt, ...)
{
    if (level < s_min_level)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char line[4096];
    int n = snprintf(line, sizeof line, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s svc=%s event=%s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, (long)(tv.tv_usec / 1000), s_level_names[level], s_program,
                     event);
    if (n < 0 || (size_t)n >= sizeof line)
        n = 0;
    if (fmt && *fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
        va_end(ap);
    }
    hf_log_mask_line(line, sizeof line);
    fprintf(stderr, "%s\n", line);
}
