/* Report periods (day, ISO week, month) and the formatting of figures: table-driven. */
#include "hf_test.h"
#include "hf_time.h"
#include "rep_period.h"

static int32_t day_of(const char *s)
{
    int32_t d = -1;
    hf_date_parse(s, &d);
    return d;
}

static void check_week(const char *text, const char *today, int rc, const char *from,
                       const char *to, const char *label)
{
    rep_period_t p;
    int got = rep_period_week(text, day_of(today), &p);
    CHECK_INT(got, rc);
    if (got != 0 || rc != 0)
        return;
    char f[11], t[11];
    hf_date_format(p.from, f);
    hf_date_format(p.to, t);
    CHECK_STR(f, from);
    CHECK_STR(t, to);
    CHECK_STR(p.label, label);
}

static void check_month(const char *text, const char *today, int rc, const char *from,
                        const char *to, const char *label)
{
    rep_period_t p;
    int got = rep_period_month(text, day_of(today), &p);
    CHECK_INT(got, rc);
    if (got != 0 || rc != 0)
        return;
    char f[11], t[11];
    hf_date_format(p.from, f);
    hf_date_format(p.to, t);
    CHECK_STR(f, from);
    CHECK_STR(t, to);
    CHECK_STR(p.label, label);
}

int main(void)
{
    /* weekdays: 2026-11-23 is a Monday, 2026-11-29 a Sunday, 1970-01-01 a Thursday */
    CHECK_INT(rep_iso_weekday(day_of("2026-11-23")), 1);
    CHECK_INT(rep_iso_weekday(day_of("2026-11-29")), 7);
    CHECK_INT(rep_iso_weekday(0), 4);
    CHECK_INT(rep_iso_weekday(-1), 3);

    /* ISO weeks: week 1 holds January 4th; years of 52 and 53 weeks; the week of today */
    check_week("2026-W47", "2026-01-01", 0, "2026-11-16", "2026-11-22", "2026-W47");
    check_week("2026-w48", "2026-01-01", 0, "2026-11-23", "2026-11-29", "2026-W48");
    check_week("2026-W01", "2026-01-01", 0, "2025-12-29", "2026-01-04", "2026-W01");
    check_week("2026-W53", "2026-01-01", 0, "2026-12-28", "2027-01-03", "2026-W53");
    check_week("2025-W53", "2026-01-01", -1, "", "", "");
    check_week("2020-W53", "2026-01-01", 0, "2020-12-28", "2021-01-03", "2020-W53");
    check_week("", "2026-11-25", 0, "2026-11-23", "2026-11-29", "2026-W48");
    check_week("", "2027-01-01", 0, "2026-12-28", "2027-01-03", "2026-W53");
    check_week("", "2024-12-30", 0, "2024-12-30", "2025-01-05", "2025-W01");
    check_week("2026-W00", "2026-01-01", -1, "", "", "");
    check_week("2026-47", "2026-01-01", -1, "", "", "");
    check_week("2026-W4", "2026-01-01", -1, "", "", "");
    check_week("2026-W477", "2026-01-01", -1, "", "", "");
    check_week("20x6-W47", "2026-01-01", -1, "", "", "");

    /* months: lengths, leap February, December into January */
    check_month("2026-11", "2026-01-01", 0, "2026-11-01", "2026-11-30", "2026-11");
    check_month("2026-12", "2026-01-01", 0, "2026-12-01", "2026-12-31", "2026-12");
    check_month("2028-02", "2026-01-01", 0, "2028-02-01", "2028-02-29", "2028-02");
    check_month("2026-02", "2026-01-01", 0, "2026-02-01", "2026-02-28", "2026-02");
    check_month("", "2026-11-25", 0, "2026-11-01", "2026-11-30", "2026-11");
    check_month("2026-13", "2026-01-01", -1, "", "", "");
    check_month("2026-00", "2026-01-01", -1, "", "", "");
    check_month("2026-1", "2026-01-01", -1, "", "", "");
    check_month("2026/11", "2026-01-01", -1, "", "", "");
    CHECK_INT(rep_month_start(day_of("2026-11-30")), day_of("2026-11-01"));

    rep_period_t p;
    CHECK_INT(rep_period_day("", day_of("2026-11-23"), &p), 0);
    CHECK_STR(p.label, "2026-11-23");
    CHECK_INT(rep_period_day("2026-02-30", 0, &p), -1);

    /* money, rates (half up, one decimal) and commissions (half up, in fen) */
    struct {
        int64_t fen;
        const char *text;
    } yuan[] = {
        {0, "0.00"}, {5, "0.05"}, {1250, "12.50"}, {-5, "-0.05"}, {100000001, "1000000.01"}};
    for (size_t i = 0; i < sizeof yuan / sizeof yuan[0]; i++) {
        char buf[32];
        rep_fmt_yuan(yuan[i].fen, buf, sizeof buf);
        CHECK_STR(buf, yuan[i].text);
    }
    struct {
        int64_t num, den;
        const char *text;
    } pct[] = {{0, 0, ""},     {0, 5, "0.0"},  {1, 3, "33.3"},  {2, 3, "66.7"},
               {1, 8, "12.5"}, {1, 16, "6.3"}, {5, 5, "100.0"}, {7, 2, "350.0"}};
    for (size_t i = 0; i < sizeof pct / sizeof pct[0]; i++) {
        char buf[32];
        rep_fmt_pct(pct[i].num, pct[i].den, buf, sizeof buf);
        CHECK_STR(buf, pct[i].text);
    }
    CHECK_INT(rep_commission(10000, 500), 500);
    CHECK_INT(rep_commission(33610, 250), 840); /* 840.25 */
    CHECK_INT(rep_commission(33620, 250), 841); /* 840.5 rounds up */
    CHECK_INT(rep_commission(0, 500), 0);
    CHECK_INT(rep_commission(12345, 0), 0);
    TEST_DONE();
}
