/* rep_period: periods and figures. See rep_period.h. */
#include "rep_period.h"
#include "hf_time.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rep_iso_weekday(int32_t day)
{
    /* 1970-01-01 was a Thursday (4) */
    int r = (int)(((int64_t)day + 3) % 7);
    if (r < 0)
        r += 7;
    return r + 1;
}

/* The year of day, from its formatted date. */
static int s_year_of(int32_t day)
{
    char d[11];
    hf_date_format(day, d);
    return atoi(d);
}

static int32_t s_date(int y, int m, int d)
{
    char text[48];
    int32_t day;
    snprintf(text, sizeof text, "%04d-%02d-%02d", y, m, d);
    return hf_date_parse(text, &day) == 0 ? day : -1;
}

int32_t rep_month_start(int32_t day)
{
    char d[11];
    hf_date_format(day, d);
    return s_date(atoi(d), atoi(d + 5), 1);
}

/* Monday of ISO week 1 of year y. */
static int32_t s_week1_monday(int y)
{
    int32_t jan4 = s_date(y, 1, 4);
    return jan4 - (rep_iso_weekday(jan4) - 1);
}

/* Reads exactly n digits at s into *v. */
static int s_digits(const char *s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 0;
}

int rep_period_day(const char *text, int32_t today, rep_period_t *p)
{
    int32_t day = today;
    if (text && *text && hf_date_parse(text, &day) != 0)
        return -1;
    p->from = p->to = day;
    hf_date_format(day, p->label);
    return 0;
}

int rep_period_week(const char *text, int32_t today, rep_period_t *p)
{
    int y, w;
    if (text == NULL || *text == '\0') {
        /* the ISO year is the year of the week's Thursday */
        int32_t thursday = today - rep_iso_weekday(today) + 4;
        y = s_year_of(thursday);
        w = (thursday - s_week1_monday(y)) / 7 + 1;
    } else {
        if (strlen(text) != 8 || text[4] != '-' || (text[5] != 'W' && text[5] != 'w') ||
            s_digits(text, 4, &y) != 0 || s_digits(text + 6, 2, &w) != 0 || y < 1971 || y > 9998 ||
            w < 1)
            return -1;
        /* 52 or 53 weeks: the last one starts before week 1 of the next year */
        if (s_week1_monday(y) + (w - 1) * 7 >= s_week1_monday(y + 1))
            return -1;
    }
    p->from = s_week1_monday(y) + (w - 1) * 7;
    p->to = p->from + 6;
    snprintf(p->label, sizeof p->label, "%04d-W%02d", y, w);
    return 0;
}

int rep_period_month(const char *text, int32_t today, rep_period_t *p)
{
    int y, m;
    if (text == NULL || *text == '\0') {
        char d[11];
        hf_date_format(today, d);
        y = atoi(d);
        m = atoi(d + 5);
    } else if (strlen(text) != 7 || text[4] != '-' || s_digits(text, 4, &y) != 0 ||
               s_digits(text + 5, 2, &m) != 0 || y < 1971 || y > 9998 || m < 1 || m > 12) {
        return -1;
    }
    p->from = s_date(y, m, 1);
    p->to = (m == 12 ? s_date(y + 1, 1, 1) : s_date(y, m + 1, 1)) - 1;
    snprintf(p->label, sizeof p->label, "%04d-%02d", y, m);
    return 0;
}

void rep_fmt_yuan(int64_t fen, char *out, size_t outlen)
{
    const char *sign = fen < 0 ? "-" : "";
    uint64_t v = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    snprintf(out, outlen, "%s%llu.%02llu", sign, (unsigned long long)(v / 100),
             (unsigned long long)(v % 100));
}

void rep_fmt_pct(int64_t num, int64_t den, char *out, size_t outlen)
{
    if (den <= 0 || num < 0) {
        snprintf(out, outlen, "%s", "");
        return;
    }
    /* tenths of a percent, rounded half up: (num * 1000 / den) + 0.5 */
    int64_t tenths = (num * 2000 / den + 1) / 2;
    snprintf(out, outlen, "%lld.%lld", (long long)(tenths / 10), (long long)(tenths % 10));
}

int64_t rep_commission(int64_t value_fen, int rate_bp)
{
    if (value_fen <= 0 || rate_bp <= 0)
        return 0;
    return (value_fen * rate_bp * 2 / 10000 + 1) / 2;
}
