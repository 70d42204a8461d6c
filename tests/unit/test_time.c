/* test_time: dates, local times in real zones across DST changes, instants, durations
 * and call windows. Expected instants were worked out independently (Python zoneinfo
 * over the same tz database) and are written here as UTC ms with their RFC 3339 form
 * alongside, so a failure reads without a calculator. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "hf_test.h"
#include "hf_time.h"

#define SH "Asia/Shanghai"
#define NY "America/New_York"

/* ---- dates ---- */

static void test_dates(void)
{
    static const struct {
        const char *text;
        int32_t day;
    } good[] = {
        {"1970-01-01", 0},       {"1969-12-31", -1},
        {"2000-02-29", 11016}, /* divisible by 400: a leap year */
        {"2024-02-29", 19782},   {"1900-03-01", -25508},
        {"2026-11-23", 20780},   {"2026-12-31", 20818},
        {"0001-01-01", -719162}, {"9999-12-31", 2932896},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int32_t day = 12345;
        CHECK_INT(hf_date_parse(good[i].text, &day), 0);
        CHECK_INT(day, good[i].day);
        char out[11];
        hf_date_format(good[i].day, out);
        CHECK_STR(out, good[i].text);
    }

    static const char *const bad[] = {
        "2026-02-30", "2026-02-29", /* 2026 is not a leap year */
        "1900-02-29",               /* divisible by 100, not by 400 */
        "2026-04-31", "2026-13-01", "2026-00-10",       "2026-01-00", "0000-01-01",
        "2026-1-01",  "26-01-01",   "2026-01-01x",      "2026/01/01", " 2026-01-01",
        "",           "abcd-ef-gh", "2026-01-01 00:00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int32_t day = 777;
        if (hf_date_parse(bad[i], &day) != -1)
            fprintf(stderr, "accepted bad date \"%s\"\n", bad[i]);
        CHECK_INT(hf_date_parse(bad[i], &day), -1);
        CHECK_INT(day, 777);
    }
    CHECK_INT(hf_date_parse(NULL, NULL), -1);

    /* Every day of several centuries survives format then parse, leap days included. */
    int failures = 0;
    for (int32_t day = -80000; day <= 80000; day++) {
        char out[11];
        int32_t back;
        hf_date_format(day, out);
        if (hf_date_parse(out, &back) != 0 || back != day)
            failures++;
    }
    CHECK_INT(failures, 0);
}

/* A day whose year "YYYY-MM-DD" has no room for is refused with an empty text, never cut to
 * another date (10000-01-01 cut to ten characters would be "10000-01-0"); so is a local time
 * of such a year, and the last day and minute that fit are written whole. */
static void test_dates_beyond_the_form(void)
{
    static const int32_t refused[] = {
        2932897,   /* 10000-01-01, the day after 9999-12-31 */
        3663382,   /* 12000-01-01 */
        -1084406,  /* -1000-12-31, whose year needs a fifth character */
        INT32_MAX, /* a year of seven digits */
        INT32_MIN,
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char out[11] = "unchanged";
        CHECK_INT(hf_date_format(refused[i], out), -1);
        CHECK_STR(out, "");
    }
    char out[11];
    CHECK_INT(hf_date_format(2932896, out), 0);
    CHECK_STR(out, "9999-12-31");
    CHECK_INT(hf_date_format(-1084405, out), 0);
    CHECK_STR(out, "-999-01-01");

    /* 10000-01-01T00:00Z is still 9999 in New York, already 10000 in Shanghai */
    const int64_t y10k = 2932897LL * 86400000;
    char date[11], local[17];
    CHECK_INT(hf_time_local_date(y10k, NY, date), 0);
    CHECK_STR(date, "9999-12-31");
    CHECK_INT(hf_time_local_format(y10k, NY, local), 0);
    CHECK_STR(local, "9999-12-31 19:00");
    CHECK_INT(hf_time_local_date(y10k, SH, date), -1);
    CHECK_STR(date, "");
    CHECK_INT(hf_time_local_format(y10k, SH, local), -1);
    CHECK_STR(local, "");
    CHECK_INT(hf_time_local_format(y10k - 60000, "UTC", local), 0);
    CHECK_STR(local, "9999-12-31 23:59");
}

/* ---- zones ---- */

static void test_tz_valid(void)
{
    static const struct {
        const char *tz;
        bool valid;
    } cases[] = {
        {"Asia/Shanghai", true},
        {"America/New_York", true},
        {"UTC", true},
        {"Etc/GMT-8", true},
        {"Mars/Olympus", false},  /* unknown */
        {"../etc/passwd", false}, /* escape from the database */
        {"Asia/../Asia/Shanghai", false},
        {"/usr/share/zoneinfo/Asia/Shanghai", false}, /* absolute paths are not names */
        {"Asia", false},                              /* a directory */
        {"zone1970.tab", false},                      /* a file, but not compiled zone data */
        {"EST5EDT,M3.2.0,M11.1.0", false},            /* a POSIX rule, not a database zone */
        {"", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (hf_tz_valid(cases[i].tz) != cases[i].valid)
            fprintf(stderr, "hf_tz_valid(\"%s\") != %d\n", cases[i].tz, cases[i].valid);
        CHECK(hf_tz_valid(cases[i].tz) == cases[i].valid);
    }
    CHECK(!hf_tz_valid(NULL));
}

static void test_local_day_and_minute(void)
{
    static const struct {
        int64_t ms;
        const char *tz;
        const char *date;
        int minute;
        const char *local;
    } cases[] = {
        /* 2026-11-23T16:30Z is half past midnight the next day in Shanghai (UTC+8). */
        {1795451400000, SH, "2026-11-24", 30, "2026-11-24 00:30"},
        {1795420800000, SH, "2026-11-23", 16 * 60, "2026-11-23 16:00"},
        {1795451400000, NY, "2026-11-23", 11 * 60 + 30, "2026-11-23 11:30"},
        /* New York springs forward on 2026-03-08 at 02:00 EST (07:00Z). */
        {1772945940000, NY, "2026-03-07", 23 * 60 + 59, "2026-03-07 23:59"},
        {1772953140000, NY, "2026-03-08", 1 * 60 + 59, "2026-03-08 01:59"},
        {1772953200000, NY, "2026-03-08", 3 * 60, "2026-03-08 03:00"},
        /* and falls back on 2026-11-01 at 02:00 EDT (06:00Z): 01:30 happens twice. */
        {1793511000000, NY, "2026-11-01", 90, "2026-11-01 01:30"},
        {1793514600000, NY, "2026-11-01", 90, "2026-11-01 01:30"},
        /* before 1970, where division must floor */
        {-1, "UTC", "1969-12-31", 1439, "1969-12-31 23:59"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char date[11], local[17];
        int32_t want_day;
        hf_date_parse(cases[i].date, &want_day);
        CHECK_INT(hf_time_local_day(cases[i].ms, cases[i].tz), want_day);
        hf_time_local_date(cases[i].ms, cases[i].tz, date);
        CHECK_STR(date, cases[i].date);
        CHECK_INT(hf_time_local_minute(cases[i].ms, cases[i].tz), cases[i].minute);
        hf_time_local_format(cases[i].ms, cases[i].tz, local);
        CHECK_STR(local, cases[i].local);
    }
}

/* The same instants asked in turn in more zones than hf_time remembers local times for (it
 * keeps the last few by second and zone): each answer is its own zone's, never a neighbour's
 * remembered one; an unknown zone answers in UTC. */
static void test_local_zones_interleaved(void)
{
    static const struct {
        const char *tz;
        int minute;      /* at 2026-11-23T16:30Z */
        int minute_next; /* a second later: the same minute */
    } zones[] = {
        {SH, 30, 30},
        {"Asia/Urumqi", 22 * 60 + 30, 22 * 60 + 30},
        {"Asia/Tokyo", 90, 90},
        {"Asia/Kolkata", 22 * 60, 22 * 60},
        {"UTC", 16 * 60 + 30, 16 * 60 + 30},
        {NY, 11 * 60 + 30, 11 * 60 + 30},
        {"Europe/Berlin", 17 * 60 + 30, 17 * 60 + 30},
        {"Australia/Sydney", 3 * 60 + 30, 3 * 60 + 30},
        {"Asia/Kathmandu", 22 * 60 + 15, 22 * 60 + 15},
        {"Asia/Hong_Kong", 30, 30},
        {"No/Such_Zone", 16 * 60 + 30, 16 * 60 + 30},
    };
    const int64_t at = 1795451400000;
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
            CHECK_INT(hf_time_local_minute(at, zones[i].tz), zones[i].minute);
            CHECK_INT(hf_time_local_minute(at + 1000, zones[i].tz), zones[i].minute_next);
            CHECK_INT(hf_time_local_minute(at + 3600000, zones[i].tz),
                      (zones[i].minute + 60) % 1440);
            CHECK_INT(hf_time_local_minute(at, zones[i].tz), zones[i].minute);
        }
    /* the day changes with the zone for the same second */
    int32_t d23, d24;
    hf_date_parse("2026-11-23", &d23);
    hf_date_parse("2026-11-24", &d24);
    CHECK_INT(hf_time_local_day(at, SH), d24);
    CHECK_INT(hf_time_local_day(at, NY), d23);
    CHECK_INT(hf_time_local_day(at, SH), d24);
}

static void test_from_local(void)
{
    static const struct {
        const char *date;
        int minute;
        const char *tz;
        int64_t ms;
    } cases[] = {
        {"2026-11-23", 8 * 60, SH, 1795392000000},      /* 2026-11-23T00:00Z */
        {"2026-11-23", 0, SH, 1795363200000},           /* 2026-11-22T16:00Z */
        {"2026-11-22", 24 * 60, SH, 1795363200000},     /* minute 1440 is next midnight */
        {"2026-07-01", 12 * 60, NY, 1782921600000},     /* EDT, UTC-4 */
        {"2026-01-15", 12 * 60, NY, 1768496400000},     /* EST, UTC-5 */
        {"2026-03-08", 1 * 60 + 59, NY, 1772953140000}, /* just before the gap */
        {"2026-03-08", 3 * 60, NY, 1772953200000},      /* just after it */
        /* 02:30 does not exist that night: the later reading, 03:30 EDT (07:30Z). */
        {"2026-03-08", 2 * 60 + 30, NY, 1772955000000},
        /* 01:30 happens twice on 2026-11-01: the first time, EDT (05:30Z). */
        {"2026-11-01", 90, NY, 1793511000000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int32_t day;
        CHECK_INT(hf_date_parse(cases[i].date, &day), 0);
        int64_t got = hf_time_from_local(day, cases[i].minute, cases[i].tz);
        if (got != cases[i].ms) {
            char a[32], b[32];
            hf_time_rfc3339(got, a);
            hf_time_rfc3339(cases[i].ms, b);
            fprintf(stderr, "from_local %s +%d %s: got %s want %s\n", cases[i].date,
                    cases[i].minute, cases[i].tz, a, b);
        }
        CHECK_INT(got, cases[i].ms);
    }

    /* Every minute of the week around each New York change, and of a Shanghai week,
     * goes to local time and back to the same instant, except the second 01:xx of the
     * fall-back night, which by policy maps to the first. */
    static const struct {
        const char *tz;
        int64_t from;
    } weeks[] = {
        {NY, 1772953200000 - 3LL * 86400000},
        {NY, 1793514600000 - 3LL * 86400000},
        {SH, 1795420800000},
    };
    for (size_t w = 0; w < sizeof weeks / sizeof weeks[0]; w++) {
        int failures = 0, repeats = 0;
        for (int64_t ms = weeks[w].from; ms < weeks[w].from + 7LL * 86400000; ms += 60000) {
            int32_t day = hf_time_local_day(ms, weeks[w].tz);
            int minute = hf_time_local_minute(ms, weeks[w].tz);
            int64_t back = hf_time_from_local(day, minute, weeks[w].tz);
            if (back == ms)
                continue;
            if (back == ms - 3600000)
                repeats++;
            else
                failures++;
        }
        CHECK_INT(failures, 0);
        CHECK_INT(repeats, w == 1 ? 60 : 0);
    }
}

static void test_tz_env_restored(void)
{
    /* The caller's TZ, set or not, is as it was after we borrowed it. */
    setenv("TZ", "Europe/London", 1);
    (void)hf_time_local_day(0, SH);
    (void)hf_time_from_local(0, 0, NY);
    CHECK_STR(getenv("TZ"), "Europe/London");
    unsetenv("TZ");
    (void)hf_time_local_minute(0, SH);
    CHECK(getenv("TZ") == NULL);
}

/* ---- instants ---- */

static void test_rfc3339(void)
{
    static const struct {
        int64_t ms;
        const char *text;
    } cases[] = {
        {0, "1970-01-01T00:00:00.000Z"},
        {-1, "1969-12-31T23:59:59.999Z"},
        {1795420800000, "2026-11-23T08:00:00.000Z"},
        {1709210096789, "2024-02-29T12:34:56.789Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[32];
        int64_t back = 0;
        hf_time_rfc3339(cases[i].ms, out);
        CHECK_STR(out, cases[i].text);
        CHECK_INT(hf_time_parse(out, NULL, &back), 0);
        CHECK_INT(back, cases[i].ms);
    }

    /* The widest instants of all still fit the 32 bytes of out, whole (as Java writes them:
     * Instant.ofEpochMilli(Long.MIN_VALUE), and MAX_VALUE). */
    char out[32];
    hf_time_rfc3339(INT64_MIN, out);
    CHECK_STR(out, "-292275055-05-16T16:47:04.192Z");
    hf_time_rfc3339(INT64_MAX, out);
    CHECK_STR(out, "292278994-08-17T07:12:55.807Z");
}

static void test_time_parse(void)
{
    static const struct {
        const char *text;
        const char *tz;
        int64_t ms;
    } good[] = {
        {"2026-11-23T08:00:00Z", NULL, 1795420800000},
        {"2026-11-23t08:00:00z", NULL, 1795420800000},
        {"2026-11-23T08:00:00.250Z", NULL, 1795420800250},
        {"2026-11-23T08:00Z", NULL, 1795420800000},
        {"2026-11-23T16:00:00+08:00", NULL, 1795420800000},
        {"2026-11-23T03:00:00-05:00", NULL, 1795420800000},
        {"2026-11-23T08:00:00-00:00", NULL, 1795420800000},
        {"2026-11-23 08:00:00Z", NULL, 1795420800000},
        /* an offset wins over the zone argument */
        {"2026-11-23T16:00:00+08:00", NY, 1795420800000},
        /* local forms, read in the zone */
        {"2026-11-23", SH, 1795363200000},
        {"2026-11-23 08:00", SH, 1795392000000},
        {"2026-11-23 08:00:30", SH, 1795392030000},
        {"2026-11-23T08:00", SH, 1795392000000},
        {"2026-11-23T08:00:30", SH, 1795392030000},
        {"2026-07-01 12:00", NY, 1782921600000},
        {"2026-03-08 02:30", NY, 1772955000000}, /* in the gap: the later reading */
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t ms = -42;
        int rc = hf_time_parse(good[i].text, good[i].tz, &ms);
        if (rc != 0 || ms != good[i].ms)
            fprintf(stderr, "time_parse \"%s\" in %s\n", good[i].text,
                    good[i].tz ? good[i].tz : "(none)");
        CHECK_INT(rc, 0);
        CHECK_INT(ms, good[i].ms);
    }

    static const struct {
        const char *text;
        const char *tz;
    } bad[] = {
        {"", SH},
        {"2026-02-30T08:00:00Z", NULL},
        {"2026-11-23T24:00:00Z", NULL},
        {"2026-11-23T08:60:00Z", NULL},
        {"2026-11-23T08:00:60Z", NULL},
        {"2026-11-23T8:00:00Z", NULL},
        {"2026-11-23T08:00:00+8:00", NULL},
        {"2026-11-23T08:00:00+0800", NULL},
        {"2026-11-23T08:00:00+24:00", NULL},
        {"2026-11-23T08:00:00Zjunk", NULL},
        {"2026-11-23T08:00:00.Z", NULL},
        {"2026-11-23X08:00", SH},
        {"2026-11-23 08", SH},
        {"2026-11-23 08:00", NULL},     /* a local form needs a zone */
        {"2026-11-23", "Mars/Olympus"}, /* and a real one */
        {"2026-11-23 08:00", "../etc/passwd"},
        {"tomorrow", SH},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = -42;
        if (hf_time_parse(bad[i].text, bad[i].tz, &ms) != -1)
            fprintf(stderr, "accepted bad instant \"%s\"\n", bad[i].text);
        CHECK_INT(hf_time_parse(bad[i].text, bad[i].tz, &ms), -1);
        CHECK_INT(ms, -42);
    }
}

/* ---- durations ---- */

static void test_durations(void)
{
    static const struct {
        const char *text;
        int64_t ms;
    } good[] = {
        {"90s", 90000},
        {"15m", 900000},
        {"2h", 7200000},
        {"10d", 864000000},
        {"1d12h", 129600000},
        {"250ms", 250},
        {"1w", 604800000},
        {"1m30s", 90000},
        {"0s", 0},
        {"1h30m15s500ms", 5415500},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t ms = -1;
        CHECK_INT(hf_duration_parse(good[i].text, &ms), 0);
        CHECK_INT(ms, good[i].ms);
    }
    static const char *const bad[] = {
        "",
        "90",
        "-5m",
        "+5m",
        "5x",
        "m",
        "1h ",
        " 1h",
        "1.5h",
        "1h-30m",
        "5mss",
        "99999999999999999999d",
        "9999999999999999w",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = -1;
        if (hf_duration_parse(bad[i], &ms) != -1)
            fprintf(stderr, "accepted bad duration \"%s\"\n", bad[i]);
        CHECK_INT(hf_duration_parse(bad[i], &ms), -1);
        CHECK_INT(ms, -1);
    }
    CHECK_INT(hf_duration_parse(NULL, NULL), -1);
}

/* ---- call windows ---- */

static void test_windows(void)
{
    static const struct {
        const char *text;
        int count;
        hf_window_t w[3];
    } good[] = {
        {"11:30-14:00,18:00-20:00", 2, {{690, 840}, {1080, 1200}}},
        {" 18:00 - 20:00 , 11:30-14:00 ", 2, {{690, 840}, {1080, 1200}}}, /* sorted */
        {"9:00-12:00", 1, {{540, 720}}},
        {"18:00-24:00", 1, {{1080, 1440}}},
        {"00:00-00:01", 1, {{0, 1}}},
        {"11:00-12:00,12:00-13:00", 2, {{660, 720}, {720, 780}}}, /* touching is fine */
        {"15:00-16:00,09:00-10:00,12:00-13:00", 3, {{540, 600}, {720, 780}, {900, 960}}},
        {"", 0, {{0, 0}}},
        {"   ", 0, {{0, 0}}},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        hf_window_t out[4];
        int n = hf_windows_parse(good[i].text, out, 4);
        if (n != good[i].count)
            fprintf(stderr, "windows \"%s\"\n", good[i].text);
        CHECK_INT(n, good[i].count);
        for (int k = 0; k < n && k < good[i].count; k++) {
            CHECK_INT(out[k].start, good[i].w[k].start);
            CHECK_INT(out[k].end, good[i].w[k].end);
        }
    }
    static const char *const bad[] = {
        "14:00-11:30", /* start after end */
        "11:00-11:00", /* empty */
        "22:00-02:00", /* across midnight */
        "24:00-24:00", /* 24:00 only ends a window */
        "11:60-12:00",
        "25:00-26:00",
        "11:00-24:01",
        "11:0-12:00",
        "111:00-12:00",
        "11:00-13:00,12:00-14:00", /* overlap */
        "12:00-14:00,11:00-12:30", /* overlap found after sorting */
        "11:00-12:00,",
        ",11:00-12:00",
        "11:00-12:00,,13:00-14:00",
        "11:00",
        "11:00-",
        "11:00-12:00;13:00-14:00",
        "abc",
        "11:00 12:00",
        "08:00-09:00,10:00-11:00,12:00-13:00,14:00-15:00,16:00-17:00", /* 5 > max 4 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hf_window_t out[4];
        if (hf_windows_parse(bad[i], out, 4) != -1)
            fprintf(stderr, "accepted bad windows \"%s\"\n", bad[i]);
        CHECK_INT(hf_windows_parse(bad[i], out, 4), -1);
    }
}

int main(void)
{
    TEST_CASE(test_dates);
    TEST_CASE(test_dates_beyond_the_form);
    TEST_CASE(test_tz_valid);
    TEST_CASE(test_local_day_and_minute);
    TEST_CASE(test_local_zones_interleaved);
    TEST_CASE(test_from_local);
    TEST_CASE(test_tz_env_restored);
    TEST_CASE(test_rfc3339);
    TEST_CASE(test_time_parse);
    TEST_CASE(test_durations);
    TEST_CASE(test_windows);
    TEST_DONE();
}
