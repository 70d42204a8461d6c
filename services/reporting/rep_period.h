/* rep_period: the pure arithmetic of reports — periods (a day, an ISO week, a month) as
 * ranges of local day numbers, and the formatting of money, rates and commissions, done
 * in integers so that every figure is exact and a test can recompute it the same way. */
#ifndef REP_PERIOD_H
#define REP_PERIOD_H
#include <stddef.h>
#include <stdint.h>

/* A report's period: local days from..to inclusive (days since 1970-01-01), and its label
 * ("2026-11-23", "2026-W47", "2026-11"). */
typedef struct {
    int32_t from;
    int32_t to;
    char label[48];
} rep_period_t;

/* The ISO weekday of day: 1 Monday .. 7 Sunday. */
int rep_iso_weekday(int32_t day);
/* The first day of day's month. */
int32_t rep_month_start(int32_t day);

/* Each parser reads text, or takes the period holding today when text is "" (or NULL).
 * Returns 0 and fills *p, or -1 when text is malformed or names no such period. */
int rep_period_day(const char *text, int32_t today, rep_period_t *p);
/* text is an ISO 8601 week "YYYY-Www" (Monday to Sunday; week 1 holds January 4th). */
int rep_period_week(const char *text, int32_t today, rep_period_t *p);
/* text is "YYYY-MM". */
int rep_period_month(const char *text, int32_t today, rep_period_t *p);

/* Formats fen as yuan with two decimals ("12.50", "-0.05") into out. */
void rep_fmt_yuan(int64_t fen, char *out, size_t outlen);
/* Formats num/den as a percentage with one decimal, rounded half up ("62.5"), or "" when
 * den is 0. */
void rep_fmt_pct(int64_t num, int64_t den, char *out, size_t outlen);
/* The commission on value_fen at rate_bp basis points, in fen, rounded half up. */
int64_t rep_commission(int64_t value_fen, int rate_bp);

#endif
