/* hf_festival: festivals as Gregorian dates. The lunar ones come from ICU's Chinese calendar:
 * a date of the lunar year that begins in Gregorian year Y (extended year Y + 2637, ICU's
 * count from 2637 BCE) is set on a Chinese calendar in UTC and read back as milliseconds,
 * which are midnight UTC of the Gregorian day it falls on. ICU computes the new moons and
 * solar terms at China's meridian (UTC+8) whatever zone the calendar is given, so the zone
 * only names the day boundaries, and UTC makes the milliseconds a plain day number. Every
 * lunar festival of the list falls in the Gregorian year its lunar year begins in (the
 * latest, Double Ninth, is in October or November), so "the festival in year Y" is that one.
 */
#include "hf_festival.h"
#include "hf_time.h"
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

/* ICU's Chinese extended year of the lunar year that begins in Gregorian year 1 CE is 2638:
 * lunar year Y + 2637 begins in Gregorian Y. */
#define S_CHINESE_EPOCH_OFFSET 2637

typedef enum { S_LUNAR, S_FIXED, S_NTH_SUNDAY } s_kind_t;

typedef struct {
    const char *name;  /* the code rules and commands use */
    const char *title; /* for people */
    s_kind_t kind;
    int month; /* 1..12, the lunar month for S_LUNAR */
    int day;   /* day of the month, or n for the n-th Sunday */
} s_festival_t;

/* The festivals, in the order of a year. */
static const s_festival_t s_festivals[] = {
    {"new-year", "New Year's Day", S_FIXED, 1, 1},
    {"spring-festival", "Spring Festival", S_LUNAR, 1, 1},
    {"lantern", "Lantern Festival", S_LUNAR, 1, 15},
    {"womens-day", "Women's Day", S_FIXED, 3, 8},
    {"mothers-day", "Mother's Day", S_NTH_SUNDAY, 5, 2},
    {"dragon-boat", "Dragon Boat Festival", S_LUNAR, 5, 5},
    {"fathers-day", "Father's Day", S_NTH_SUNDAY, 6, 3},
    {"qixi", "Qixi Festival", S_LUNAR, 7, 7},
    {"mid-autumn", "Mid-Autumn Festival", S_LUNAR, 8, 15},
    {"national-day", "National Day", S_FIXED, 10, 1},
    {"double-ninth", "Double Ninth Festival", S_LUNAR, 9, 9},
};
#define S_NFESTIVALS ((int)(sizeof s_festivals / sizeof s_festivals[0]))

static const s_festival_t *s_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (int i = 0; i < S_NFESTIVALS; i++)
        if (strcmp(s_festivals[i].name, name) == 0)
            return &s_festivals[i];
    return NULL;
}

bool hf_festival_known(const char *name)
{
    return s_find(name) != NULL;
}

const char *hf_festival_names(void)
{
    return "new-year, spring-festival, lantern, womens-day, mothers-day, dragon-boat, "
           "fathers-day, qixi, mid-autumn, national-day, double-ninth";
}

const char *hf_festival_at(int n)
{
    return n >= 0 && n < S_NFESTIVALS ? s_festivals[n].name : NULL;
}

const char *hf_festival_title(const char *name)
{
    const s_festival_t *f = s_find(name);
    return f ? f->title : NULL;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int32_t s_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

/* Where ICU's astronomy lands on the wrong side of midnight. ICU 72 (Debian 12) places a few
 * new moons that fall within minutes of midnight in Beijing on the wrong day (the 2027 new
 * year's new moon is at 23:56 on 6 February: ICU says the 7th), and takes 1987's leap month
 * for the seventh (ICU-23274). Each row is a lunar month start that this ICU computes wrong,
 * with the day it really starts on, checked against the Hong Kong Observatory's tables (as
 * reproduced by lunar-javascript, see tests/unit/test_festival.c). A row applies only when
 * ICU still answers the wrong day, so an ICU that gets it right makes it a no-op. These are
 * corrections of the library for the festival months, not festival dates typed in: every
 * other year comes from ICU alone. */
static const struct {
    int year, month;       /* the lunar year (by the Gregorian year it begins in), month */
    const char *icu, *hko; /* the month's first day as ICU 72 says, and as it is */
} s_fixes[] = {
    {1954, 1, "1954-02-04", "1954-02-03"}, {1987, 7, "1987-07-26", "1987-08-24"},
    {2012, 7, "2012-08-18", "2012-08-17"}, {2027, 1, "2027-02-07", "2027-02-06"},
    {2030, 1, "2030-02-02", "2030-02-03"},
};

/* The first day (day number) of lunar month month of the lunar year that begins in Gregorian
 * year, from ICU's Chinese calendar. */
static int s_lunar_month_start(int year, int month, int32_t *out, const char **why)
{
    UErrorCode status = U_ZERO_ERROR;
    UChar zone[8];
    u_uastrcpy(zone, "UTC");
    UCalendar *cal = ucal_open(zone, -1, "zh_CN@calendar=chinese", UCAL_DEFAULT, &status);
    if (U_FAILURE(status) || cal == NULL) {
        *why = "could not open ICU's Chinese calendar";
        return -1;
    }
    ucal_clear(cal);
    ucal_set(cal, UCAL_EXTENDED_YEAR, year + S_CHINESE_EPOCH_OFFSET);
    ucal_set(cal, UCAL_MONTH, month - 1);
    ucal_set(cal, UCAL_IS_LEAP_MONTH, 0);
    ucal_set(cal, UCAL_DATE, 1);
    UDate ms = ucal_getMillis(cal, &status);
    ucal_close(cal);
    if (U_FAILURE(status)) {
        *why = "ICU's Chinese calendar could not compute the date";
        return -1;
    }
    /* midnight UTC of the day; floor for safety should ICU ever answer inside the day */
    double days = ms / 86400000.0;
    int32_t d = (int32_t)days;
    if ((double)d > days)
        d--;
    for (size_t i = 0; i < sizeof s_fixes / sizeof s_fixes[0]; i++) {
        int32_t wrong, right;
        if (s_fixes[i].year == year && s_fixes[i].month == month &&
            hf_date_parse(s_fixes[i].icu, &wrong) == 0 && wrong == d &&
            hf_date_parse(s_fixes[i].hko, &right) == 0)
            d = right;
    }
    *out = d;
    return 0;
}

/* Day day of lunar month month of the lunar year that begins in Gregorian year. */
static int s_lunar(int year, int month, int day, int32_t *out, const char **why)
{
    int32_t start;
    if (s_lunar_month_start(year, month, &start, why) != 0)
        return -1;
    *out = start + day - 1;
    return 0;
}

int hf_festival_date(const char *name, int year, int32_t *day, const char **why)
{
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    const s_festival_t *f = s_find(name);
    if (f == NULL) {
        *why = "unknown festival";
        return -1;
    }
    if (year < HF_FESTIVAL_YEAR_MIN || year > HF_FESTIVAL_YEAR_MAX) {
        *why = "year out of range";
        return -1;
    }
    switch (f->kind) {
    case S_FIXED:
        *day = s_days_from_civil(year, f->month, f->day);
        return 0;
    case S_NTH_SUNDAY: {
        int32_t first = s_days_from_civil(year, f->month, 1);
        int weekday = (int)((first % 7 + 7 + 4) % 7); /* 1970-01-01 was a Thursday; 0 = Sunday */
        int32_t sunday = first + (7 - weekday) % 7;
        *day = sunday + 7 * (f->day - 1);
        return 0;
    }
    case S_LUNAR:
        return s_lunar(year, f->month, f->day, day, why);
    }
    *why = "unknown festival";
    return -1;
}
