/* hf_time: calendar arithmetic in a branch's IANA time zone.
 *
 * Every zone rule comes from the system tz database through glibc: to look at an instant
 * in a zone we point TZ at the zone, call tzset() and use localtime_r(), then put TZ back
 * the way we found it. Nothing here knows an offset by heart, so a zone that changes its
 * rules is handled by updating tzdata, not by changing this file.
 *
 * Calendar arithmetic on dates (day numbers, RFC 3339 in UTC) needs no zone at all and is
 * done with the proleptic Gregorian calendar in plain integers, which is exact for every
 * year and cheaper than a round trip through struct tm.
 */
#include "hf_time.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HF_ZONEINFO_DIR "/usr/share/zoneinfo"
#define HF_TZ_NAME_MAX 128

#define MS_PER_SEC 1000LL
#define MS_PER_MIN (60LL * MS_PER_SEC)
#define MS_PER_HOUR (60LL * MS_PER_MIN)
#define MS_PER_DAY (24LL * MS_PER_HOUR)
#define MS_PER_WEEK (7LL * MS_PER_DAY)

/* ---------------------------------------------------------------------------------------
 * Integer helpers
 * ------------------------------------------------------------------------------------- */

/* C division truncates toward zero; instants before 1970 need the floor instead, or
 * 1969-12-31T23:59:59.500Z would land on 1970-01-01. */
static int64_t s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* The remainder of s_floor_div (the sign of b), from C's remainder: a - floor(a / b) * b
 * would overflow for instants near INT64_MIN. */
static int64_t s_floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0)))
        r += b;
    return r;
}

/* ---------------------------------------------------------------------------------------
 * Proleptic Gregorian calendar
 *
 * The calendar repeats every 400 years (146097 days). Counting years from March makes the
 * leap day the last day of its year, so the month lengths of a year are a fixed pattern
 * and the day of the year follows from the month by the linear formula (153 * m + 2) / 5.
 * ------------------------------------------------------------------------------------- */

static bool s_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int s_days_in_month(int64_t y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && s_is_leap(y))
        return 29;
    return days[m - 1];
}

/* Days since 1970-01-01 of the civil date y-m-d (m 1..12, d 1..31). */
static int64_t s_days_from_civil(int64_t y, int m, int d)
{
    int64_t year = m <= 2 ? y - 1 : y;
    int64_t era = s_floor_div(year, 400);
    int64_t yoe = year - era * 400;                      /* 0..399 */
    int64_t moy = m > 2 ? m - 3 : m + 9;                 /* March = 0 */
    int64_t doy = (153 * moy + 2) / 5 + d - 1;           /* 0..365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* 0..146096 */
    return era * 146097 + doe - 719468;                  /* 719468: 0000-03-01 to 1970 */
}

/* The civil date of a day number; the inverse of s_days_from_civil. */
static void s_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
    int64_t z = days + 719468;
    int64_t era = s_floor_div(z, 146097);
    int64_t doe = z - era * 146097;                                      /* 0..146096 */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* 0..365 */
    int64_t mp = (5 * doy + 2) / 153;                                    /* March = 0 */
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = era * 400 + yoe + (*m <= 2 ? 1 : 0);
}

/* ---------------------------------------------------------------------------------------
 * Zones
 *
 * glibc reads TZ when tzset() runs (mktime and localtime call it; localtime_r does not),
 * so a zone switch is setenv + tzset. glibc itself keeps the rules of the last zone it
 * loaded and returns at once from tzset() when TZ names that zone again, which makes the
 * tzset() below a string comparison in the steady state. We keep a cache of our own only
 * for the validity check of the last zone asked for, because that check opens a file;
 * a private "already loaded" flag would go stale the moment any other code in the
 * process called localtime() or mktime() with the restored TZ, and then every answer
 * would silently be in the wrong zone.
 *
 * A name is handed to glibc with a leading ':', which tells it to read a tz database
 * file and never to parse the name as a POSIX rule string ("EST5EDT,M3.2.0,M11.1.0").
 * A name that is not a valid zone is read as UTC: callers check names with
 * hf_tz_valid() when a branch is configured, so this only happens on a programming
 * error, and UTC is the least surprising wrong answer.
 * ------------------------------------------------------------------------------------- */

typedef struct {
    bool had_tz; /* TZ was set before we touched it */
    char *prev;  /* its value then, owned here */
} s_saved_tz_t;

/* The last names checked (a chain's branches share a few zones), and whether each was valid;
 * filled in turn. */
#define S_VALID_NAMES 8
static char s_valid_name[S_VALID_NAMES][HF_TZ_NAME_MAX];
static bool s_valid_answer[S_VALID_NAMES];
static int s_valid_next;

bool hf_tz_valid(const char *tz)
{
    if (tz == NULL || *tz == '\0' || *tz == '/' || strlen(tz) >= HF_TZ_NAME_MAX)
        return false;
    /* Refusing ".." anywhere (not only as a whole component) is stricter than needed, but
     * no zone name contains it and the check stays obviously right. */
    if (strstr(tz, "..") != NULL)
        return false;
    for (const char *p = tz; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!isalnum(c) && c != '/' && c != '_' && c != '-' && c != '+' && c != '.')
            return false;
    }

    char path[sizeof HF_ZONEINFO_DIR + HF_TZ_NAME_MAX + 1];
    snprintf(path, sizeof path, "%s/%s", HF_ZONEINFO_DIR, tz);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    /* A directory opens fine and fails here with EISDIR; a file that is not compiled tz
     * data (zone1970.tab, leapseconds) fails the magic check. */
    char magic[4];
    ssize_t n = read(fd, magic, sizeof magic);
    close(fd);
    return n == (ssize_t)sizeof magic && memcmp(magic, "TZif", 4) == 0;
}

/* hf_tz_valid() with a cache of the last S_VALID_NAMES names: a scheduler asks about its
 * branches' zones for thousands of tasks, and each check is an open and a read (a cache of
 * one name missed at every change of zone, which a chain in four zones makes all day). */
static bool s_zone_usable(const char *tz)
{
    if (tz == NULL)
        return false;
    for (int i = 0; i < S_VALID_NAMES; i++)
        if (s_valid_name[i][0] != '\0' && strcmp(tz, s_valid_name[i]) == 0)
            return s_valid_answer[i];
    bool ok = hf_tz_valid(tz);
    if (strlen(tz) < HF_TZ_NAME_MAX) {
        strcpy(s_valid_name[s_valid_next], tz);
        s_valid_answer[s_valid_next] = ok;
        s_valid_next = (s_valid_next + 1) % S_VALID_NAMES;
    }
    return ok;
}

/* Points TZ at zone tz (UTC when tz is not a valid zone) and remembers the old value for
 * s_zone_leave(). Returns 0, or -1 when memory ran out and nothing was changed. */
static int s_zone_enter(const char *tz, s_saved_tz_t *saved)
{
    const char *old = getenv("TZ");
    saved->had_tz = old != NULL;
    saved->prev = NULL;
    if (old != NULL) {
        saved->prev = strdup(old);
        if (saved->prev == NULL)
            return -1;
    }
    char value[HF_TZ_NAME_MAX + 2];
    if (s_zone_usable(tz))
        snprintf(value, sizeof value, ":%s", tz);
    else
        strcpy(value, "UTC0");
    if (old == NULL || strcmp(old, value) != 0) {
        if (setenv("TZ", value, 1) != 0) {
            free(saved->prev);
            saved->prev = NULL;
            return -1;
        }
    }
    tzset();
    return 0;
}

/* Puts TZ back as s_zone_enter() found it. glibc keeps our zone's rules loaded until the
 * next tzset(), which localtime(), mktime() and strftime() call for themselves; code that
 * wants the process zone through localtime_r() alone must call tzset() first. */
static void s_zone_leave(s_saved_tz_t *saved)
{
    if (saved->had_tz) {
        const char *now = getenv("TZ");
        if (now == NULL || strcmp(now, saved->prev) != 0)
            setenv("TZ", saved->prev, 1);
    } else {
        unsetenv("TZ");
    }
    free(saved->prev);
    saved->prev = NULL;
}

/* The broken-down local time of whole second secs in the zone currently entered. */
static void s_local_tm(int64_t secs, struct tm *tm)
{
    time_t t = (time_t)secs;
    if (localtime_r(&t, tm) == NULL) {
        /* Only for years beyond int range; show UTC's arithmetic rather than garbage. */
        memset(tm, 0, sizeof *tm);
        tm->tm_year = 70;
        tm->tm_mday = 1;
    }
}

/* The last local times worked out, by second and zone: a request asks for the same instant
 * (its now) in its branch's zone many times, and the requests of branches in other zones come
 * in between; each change of TZ makes glibc look at, open and read the zone's file again.
 * Filled in turn. */
#define S_LOCAL_MEMO 8
static struct {
    int64_t secs;
    char tz[HF_TZ_NAME_MAX]; /* "": empty */
    struct tm tm;
} s_local_memo[S_LOCAL_MEMO];
static int s_local_memo_next;

/* The broken-down local time of instant ms in zone tz. */
static void s_local_tm_in(int64_t ms, const char *tz, struct tm *tm)
{
    s_saved_tz_t saved;
    int64_t secs = s_floor_div(ms, MS_PER_SEC);
    bool memo = tz != NULL && *tz != '\0' && strlen(tz) < HF_TZ_NAME_MAX;
    for (int i = 0; memo && i < S_LOCAL_MEMO; i++)
        if (s_local_memo[i].secs == secs && strcmp(s_local_memo[i].tz, tz) == 0) {
            *tm = s_local_memo[i].tm;
            return;
        }
    if (s_zone_enter(tz, &saved) != 0) {
        /* Out of memory for one short string: answering in UTC beats crashing. */
        time_t t = (time_t)secs;
        gmtime_r(&t, tm);
        tm->tm_gmtoff = 0;
        return;
    }
    s_local_tm(secs, tm);
    s_zone_leave(&saved);
    if (memo) {
        s_local_memo[s_local_memo_next].secs = secs;
        strcpy(s_local_memo[s_local_memo_next].tz, tz);
        s_local_memo[s_local_memo_next].tm = *tm;
        s_local_memo_next = (s_local_memo_next + 1) % S_LOCAL_MEMO;
    }
}

/* ---------------------------------------------------------------------------------------
 * Dates and local times
 * ------------------------------------------------------------------------------------- */

/* Reads exactly n decimal digits at s into *v. */
static bool s_read_digits(const char *s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return true;
}

/* Reads "YYYY-MM-DD" at the start of s (no more is looked at) into a day number. Years
 * 0001..9999 only: four digits is what the format has room for. */
static bool s_read_date(const char *s, int64_t *day)
{
    int y, m, d;
    if (!s_read_digits(s, 4, &y) || s[4] != '-' || !s_read_digits(s + 5, 2, &m) || s[7] != '-' ||
        !s_read_digits(s + 8, 2, &d))
        return false;
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > s_days_in_month(y, m))
        return false;
    *day = s_days_from_civil(y, m, d);
    return true;
}

int hf_date_parse(const char *s, int32_t *day)
{
    int64_t d;
    if (s == NULL || strlen(s) != 10 || !s_read_date(s, &d))
        return -1;
    *day = (int32_t)d;
    return 0;
}

int hf_date_format(int32_t day, char *out)
{
    int64_t y;
    int m, d;
    s_civil_from_days(day, &y, &m, &d);
    /* Ten characters hold the years -999..9999; a day number of int32 reaches years of seven
     * digits. Such a day is a bug upstream, and its text cut to fit would be another date,
     * sometimes one that reads as valid (12345-06-15 cut is "12345-06-1"): refused instead,
     * with out empty, so that whatever goes on to read it fails rather than takes it. */
    if (snprintf(out, 11, "%04lld-%02d-%02d", (long long)y, m, d) != 10) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

int32_t hf_time_local_day(int64_t ms, const char *tz)
{
    struct tm tm;
    s_local_tm_in(ms, tz, &tm);
    return (int32_t)s_days_from_civil((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

int hf_time_local_date(int64_t ms, const char *tz, char *out)
{
    return hf_date_format(hf_time_local_day(ms, tz), out);
}

int hf_time_local_minute(int64_t ms, const char *tz)
{
    struct tm tm;
    s_local_tm_in(ms, tz, &tm);
    return tm.tm_hour * 60 + tm.tm_min;
}

int hf_time_local_format(int64_t ms, const char *tz, char *out)
{
    struct tm tm;
    s_local_tm_in(ms, tz, &tm);
    /* Sixteen characters hold the years -999..9999; beyond them, as in hf_date_format(), the
     * text is refused (out empty) rather than cut to another time. */
    if (snprintf(out, 17, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min) != 16) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

/* The instant in seconds of local wall time `wall` (seconds since 1970-01-01 00:00 on
 * the local calendar, as if the zone were UTC) in the zone currently entered.
 *
 * Instant t shows wall time t + offset(t). The offsets that can matter are those in force
 * a day before and a day after the wall time (no zone moves by more than a day, and no
 * zone changes twice within two days), plus the one at the wall time itself. Each offset
 * o gives a candidate t = wall - o, which is right exactly when offset(t) == o:
 *   - one right candidate: the ordinary case;
 *   - two (clocks went back, the hour repeats): we take the earlier, the first time the
 *     wall clock shows that time, so a call window opening at 01:30 on the night New
 *     York falls back opens at the first 01:30 (EDT), not an hour late;
 *   - none (clocks went forward, the wall time never happens): we take the later of the
 *     two readings, wall - (offset before the change). That moves the time forward by
 *     the length of the gap: 02:30 on the night New York springs forward is 03:30 EDT.
 *     A task due in the missing hour is then due just after it, never before it. */
static int64_t s_instant_of_wall(int64_t wall)
{
    int64_t probes[3] = {wall - 86400, wall, wall + 86400};
    int64_t best_valid = 0, latest = 0;
    bool have_valid = false, have_any = false;
    for (int i = 0; i < 3; i++) {
        struct tm tm;
        s_local_tm(probes[i], &tm);
        int64_t t = wall - tm.tm_gmtoff;
        struct tm at;
        s_local_tm(t, &at);
        if (at.tm_gmtoff == tm.tm_gmtoff) {
            if (!have_valid || t < best_valid)
                best_valid = t;
            have_valid = true;
        }
        if (!have_any || t > latest)
            latest = t;
        have_any = true;
    }
    return have_valid ? best_valid : latest;
}

/* hf_time_from_local() to the millisecond, for callers that also have seconds. */
static int64_t s_from_local_ms(int64_t day, int64_t ms_of_day, const char *tz)
{
    /* Normalise first so "day 5, minute 1440" is day 6 at 00:00, not a mistake. */
    day += s_floor_div(ms_of_day, MS_PER_DAY);
    ms_of_day = s_floor_mod(ms_of_day, MS_PER_DAY);
    int64_t wall = day * 86400 + ms_of_day / MS_PER_SEC;
    int64_t frac = ms_of_day % MS_PER_SEC;

    s_saved_tz_t saved;
    if (s_zone_enter(tz, &saved) != 0)
        return wall * MS_PER_SEC + frac; /* out of memory: read it as UTC */
    int64_t t = s_instant_of_wall(wall);
    s_zone_leave(&saved);
    return t * MS_PER_SEC + frac;
}

int64_t hf_time_from_local(int32_t day, int minute_of_day, const char *tz)
{
    return s_from_local_ms(day, (int64_t)minute_of_day * MS_PER_MIN, tz);
}

void hf_time_rfc3339(int64_t ms, char *out)
{
    int64_t day = s_floor_div(ms, MS_PER_DAY);
    int64_t rest = s_floor_mod(ms, MS_PER_DAY);
    int64_t y;
    int m, d;
    s_civil_from_days(day, &y, &m, &d);
    int hh = (int)(rest / MS_PER_HOUR);
    int mi = (int)(rest / MS_PER_MIN % 60);
    int ss = (int)(rest / MS_PER_SEC % 60);
    int fr = (int)(rest % MS_PER_SEC);
    /* Every int64 instant fits: its widest year, -292275055 (INT64_MIN ms), makes 30
     * characters of the 31 out holds (test_time checks both ends). The compiler cannot bound
     * the month, day and time fields, so the case is handled all the same: out empty, as the
     * other formatters here refuse what they cannot hold, never a text cut short. */
    if (snprintf(out, 32, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)y, m, d, hh, mi, ss,
                 fr) >= 32)
        out[0] = '\0';
}

/* ---------------------------------------------------------------------------------------
 * Parsing instants
 * ------------------------------------------------------------------------------------- */

int hf_time_parse(const char *s, const char *tz, int64_t *ms)
{
    int64_t day;
    if (s == NULL || strlen(s) < 10 || !s_read_date(s, &day))
        return -1;
    const char *p = s + 10;

    /* A bare date is local midnight: "due on 2026-11-23" means the start of that day
     * where the branch is. */
    if (*p == '\0') {
        if (!s_zone_usable(tz))
            return -1;
        *ms = s_from_local_ms(day, 0, tz);
        return 0;
    }

    /* RFC 3339 allows a space or a lower-case 't' in place of 'T'. */
    if (*p != 'T' && *p != 't' && *p != ' ')
        return -1;
    p++;
    int hh, mi, ss = 0, frac = 0;
    if (!s_read_digits(p, 2, &hh) || p[2] != ':' || !s_read_digits(p + 3, 2, &mi))
        return -1;
    p += 5;
    if (*p == ':') {
        if (!s_read_digits(p + 1, 2, &ss))
            return -1;
        p += 3;
        /* Fractions of a second: our own hf_time_rfc3339() writes three digits; more are
         * accepted and cut to milliseconds. */
        if (*p == '.') {
            p++;
            if (!isdigit((unsigned char)*p))
                return -1;
            int scale = 100;
            for (; isdigit((unsigned char)*p); p++) {
                frac += (*p - '0') * scale;
                scale /= 10;
            }
        }
    }
    /* 23:59:60 (a leap second) is refused: glibc's clock never shows it, so nothing we
     * produce or receive from our own services carries one. */
    if (hh > 23 || mi > 59 || ss > 59)
        return -1;
    int64_t ms_of_day = hh * MS_PER_HOUR + mi * MS_PER_MIN + ss * MS_PER_SEC + frac;

    if (*p == '\0') {
        if (!s_zone_usable(tz))
            return -1;
        *ms = s_from_local_ms(day, ms_of_day, tz);
        return 0;
    }

    int64_t offset_ms;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        offset_ms = 0;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!s_read_digits(p + 1, 2, &oh) || p[3] != ':' || !s_read_digits(p + 4, 2, &om) ||
            p[6] != '\0' || oh > 23 || om > 59)
            return -1;
        offset_ms = oh * MS_PER_HOUR + om * MS_PER_MIN;
        if (*p == '-')
            offset_ms = -offset_ms;
    } else {
        return -1;
    }
    *ms = day * MS_PER_DAY + ms_of_day - offset_ms;
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Durations
 * ------------------------------------------------------------------------------------- */

int hf_duration_parse(const char *s, int64_t *ms)
{
    if (s == NULL || *s == '\0')
        return -1;
    int64_t total = 0;
    const char *p = s;
    while (*p) {
        if (!isdigit((unsigned char)*p))
            return -1;
        int64_t n = 0;
        for (; isdigit((unsigned char)*p); p++) {
            if (n > (INT64_MAX - 9) / 10)
                return -1;
            n = n * 10 + (*p - '0');
        }
        int64_t unit;
        /* "ms" before "m": the longer unit name wins, so "5ms" is not five minutes
         * followed by garbage. */
        if (p[0] == 'm' && p[1] == 's') {
            unit = 1;
            p += 2;
        } else {
            switch (*p) {
            case 's':
                unit = MS_PER_SEC;
                break;
            case 'm':
                unit = MS_PER_MIN;
                break;
            case 'h':
                unit = MS_PER_HOUR;
                break;
            case 'd':
                unit = MS_PER_DAY;
                break;
            case 'w':
                unit = MS_PER_WEEK;
                break;
            default:
                return -1; /* a bare number has no unit we could guess */
            }
            p++;
        }
        if (n > (INT64_MAX - total) / unit)
            return -1;
        total += n * unit;
    }
    *ms = total;
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Call windows
 * ------------------------------------------------------------------------------------- */

static const char *s_skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Reads "H:MM" or "HH:MM" at *pp into minutes of the day, advancing *pp. "24:00" is only
 * read when allow_midnight is set: it can end a window ("18:00-24:00") but not start one. */
static bool s_read_clock(const char **pp, bool allow_midnight, int *minutes)
{
    const char *p = *pp;
    int h = 0, digits = 0;
    while (isdigit((unsigned char)*p) && digits < 2) {
        h = h * 10 + (*p - '0');
        p++;
        digits++;
    }
    int m;
    if (digits == 0 || *p != ':' || !s_read_digits(p + 1, 2, &m))
        return false;
    p += 3;
    if (isdigit((unsigned char)*p))
        return false;
    if (h == 24 && m == 0 && allow_midnight) {
        *minutes = 24 * 60;
    } else {
        if (h > 23 || m > 59)
            return false;
        *minutes = h * 60 + m;
    }
    *pp = p;
    return true;
}

int hf_windows_parse(const char *s, hf_window_t *out, int max)
{
    if (s == NULL)
        return 0;
    const char *p = s_skip_space(s);
    if (*p == '\0')
        return 0;

    int count = 0;
    for (;;) {
        int start, end;
        p = s_skip_space(p);
        if (!s_read_clock(&p, false, &start))
            return -1;
        p = s_skip_space(p);
        if (*p != '-')
            return -1;
        p = s_skip_space(p + 1);
        if (!s_read_clock(&p, true, &end))
            return -1;
        /* A window that crosses midnight ("22:00-02:00") is refused rather than guessed
         * at: whose day would its calls count towards? Write two windows instead. */
        if (start >= end)
            return -1;
        if (count >= max)
            return -1;
        out[count].start = start;
        out[count].end = end;
        count++;
        p = s_skip_space(p);
        if (*p == '\0')
            break;
        if (*p != ',')
            return -1;
        p++;
    }

    /* Insertion sort: a branch has a handful of windows. */
    for (int i = 1; i < count; i++) {
        hf_window_t w = out[i];
        int j = i - 1;
        while (j >= 0 && out[j].start > w.start) {
            out[j + 1] = out[j];
            j--;
        }
        out[j + 1] = w;
    }
    /* Windows that merely touch ("11:00-12:00,12:00-13:00") are fine: they are half-open. */
    for (int i = 1; i < count; i++) {
        if (out[i].start < out[i - 1].end)
            return -1;
    }
    return count;
}
