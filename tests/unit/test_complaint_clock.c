/* The complaint clock: warnings at 50 % and 75 %, escalation at each breach with a fresh
 * period, a stopped clock while waiting on the customer, a jump of the clock past many
 * thresholds, and business hours with a lunch break, weekends and holidays. */
#include "complaint_clock.h"
#include "hf_test.h"
#include "hf_time.h"

#define H (3600 * 1000LL)
#define M (60 * 1000LL)
#define TZ "Asia/Shanghai"

static int64_t T(const char *local)
{
    int64_t ms;
    if (hf_time_parse(local, TZ, &ms) != 0)
        abort();
    return ms;
}

static const char *L(int64_t ms)
{
    static char buf[4][20];
    static int k;
    k = (k + 1) % 4;
    hf_time_local_format(ms, TZ, buf[k]);
    return buf[k];
}

static complaint_calendar_t s_wall(void)
{
    complaint_calendar_t c;
    memset(&c, 0, sizeof c);
    c.business = false;
    snprintf(c.tz, sizeof c.tz, TZ);
    return c;
}

/* 09:00-18:00 with lunch 12:00-13:00, Monday to Friday: eight counted hours a day */
static complaint_calendar_t s_office(void)
{
    complaint_calendar_t c = s_wall();
    c.business = true;
    c.day_start = 9 * 60;
    c.day_end = 18 * 60;
    c.lunch_start = 12 * 60;
    c.lunch_end = 13 * 60;
    CHECK_INT(complaint_workdays_parse("1-5", &c.workdays), 0);
    return c;
}

static complaint_clock_t s_clock(int64_t period, int64_t start)
{
    complaint_clock_t k;
    memset(&k, 0, sizeof k);
    k.period_ms = period;
    complaint_clock_start(&k, start);
    return k;
}

typedef struct {
    complaint_step_kind_t kind;
    int64_t at;
    int level;
    int period;
} s_want_t;

static void check_steps(const char *name, const complaint_step_t *got, int n, const s_want_t *want,
                        int nwant)
{
    if (n != nwant) {
        fprintf(stderr, "%s: %d steps, want %d\n", name, n, nwant);
        hf_test_failures++;
    }
    for (int i = 0; i < n && i < nwant; i++)
        if (got[i].kind != want[i].kind || got[i].at_ms != want[i].at ||
            got[i].level != want[i].level || got[i].period_no != want[i].period) {
            fprintf(stderr,
                    "%s: step %d is kind %d at %s level %d period %d, want kind %d at %s"
                    " level %d period %d\n",
                    name, i, got[i].kind, L(got[i].at_ms), got[i].level, got[i].period_no,
                    want[i].kind, L(want[i].at), want[i].level, want[i].period);
            hf_test_failures++;
        }
}

#define W50 COMPLAINT_STEP_WARN_50
#define W75 COMPLAINT_STEP_WARN_75
#define BR COMPLAINT_STEP_BREACH

int main(void)
{
    complaint_calendar_t wall = s_wall(), office = s_office();
    complaint_step_t st[64];
    complaint_step_kind_t kind;

    /* ---- around the clock: 12 h warning, 18 h warning, 24 h escalation ---- */
    int64_t t0 = T("2026-11-02 10:00");
    complaint_clock_t k = s_clock(24 * H, t0);
    CHECK_INT(k.period_no, 1);
    CHECK_INT(complaint_clock_next(&wall, &k, &kind), t0 + 12 * H);
    CHECK_INT(kind, W50);
    CHECK_INT(complaint_clock_due(&wall, &k), t0 + 24 * H);
    CHECK_INT(complaint_clock_advance(&wall, &k, t0 + 12 * H - 1, st, 64), 0);
    CHECK_INT(complaint_clock_remaining(&wall, &k, t0 + 6 * H), 18 * H);
    int n = complaint_clock_advance(&wall, &k, t0 + 12 * H, st, 64);
    check_steps("12 h", st, n, (s_want_t[]){{W50, t0 + 12 * H, 0, 1}}, 1);
    CHECK_INT(complaint_clock_advance(&wall, &k, t0 + 12 * H, st, 64), 0); /* once */
    n = complaint_clock_advance(&wall, &k, t0 + 18 * H, st, 64);
    check_steps("18 h", st, n, (s_want_t[]){{W75, t0 + 18 * H, 0, 1}}, 1);
    n = complaint_clock_advance(&wall, &k, t0 + 24 * H, st, 64);
    check_steps("24 h", st, n, (s_want_t[]){{BR, t0 + 24 * H, 1, 1}}, 1);
    CHECK_INT(k.level, 1);
    CHECK_INT(k.breaches, 1);
    CHECK_INT(k.period_no, 2);
    /* the head gets a fresh full period from the breach */
    CHECK_INT(complaint_clock_due(&wall, &k), t0 + 48 * H);
    CHECK_INT(complaint_clock_next(&wall, &k, &kind), t0 + 36 * H);
    CHECK_INT(complaint_clock_remaining(&wall, &k, t0 + 24 * H), 24 * H);

    /* ---- a jump of three days at once: every threshold, in order, each once ---- */
    k = s_clock(24 * H, t0);
    n = complaint_clock_advance(&wall, &k, t0 + 72 * H + 5 * M, st, 64);
    s_want_t jump[] = {{W50, t0 + 12 * H, 0, 1}, {W75, t0 + 18 * H, 0, 1}, {BR, t0 + 24 * H, 1, 1},
                       {W50, t0 + 36 * H, 1, 2}, {W75, t0 + 42 * H, 1, 2}, {BR, t0 + 48 * H, 2, 2},
                       {W50, t0 + 60 * H, 2, 3}, {W75, t0 + 66 * H, 2, 3}, {BR, t0 + 72 * H, 3, 3}};
    check_steps("jump 72 h", st, n, jump, 9);
    /* the customer-service department is the top: a further breach escalates again there */
    n = complaint_clock_advance(&wall, &k, t0 + 96 * H, st, 64);
    s_want_t top[] = {{W50, t0 + 84 * H, 3, 4}, {W75, t0 + 90 * H, 3, 4}, {BR, t0 + 96 * H, 3, 4}};
    check_steps("past the top", st, n, top, 3);
    CHECK_INT(k.breaches, 4);
    /* a bounded catch-up leaves the rest for the next call */
    k = s_clock(24 * H, t0);
    CHECK_INT(complaint_clock_advance(&wall, &k, t0 + 72 * H, st, 4), 4);
    CHECK_INT(complaint_clock_advance(&wall, &k, t0 + 72 * H, st, 64), 5);
    CHECK_INT(k.level, 3);

    /* ---- waiting on the customer stops the clock; resuming moves every threshold ---- */
    k = s_clock(24 * H, t0);
    complaint_clock_pause(&wall, &k, t0 + 6 * H);
    CHECK_INT(complaint_clock_next(&wall, &k, &kind), 0);
    CHECK_INT(kind, COMPLAINT_STEP_NONE);
    CHECK_INT(complaint_clock_due(&wall, &k), 0);
    CHECK_INT(complaint_clock_advance(&wall, &k, t0 + 100 * H, st, 64), 0);
    CHECK_INT(complaint_clock_remaining(&wall, &k, t0 + 30 * H), 18 * H);
    complaint_clock_pause(&wall, &k, t0 + 8 * H); /* twice: no-op */
    complaint_clock_resume(&k, t0 + 10 * H);      /* stopped for 4 h */
    CHECK_INT(complaint_clock_due(&wall, &k), t0 + 28 * H);
    CHECK_INT(complaint_clock_next(&wall, &k, &kind), t0 + 16 * H);
    complaint_clock_resume(&k, t0 + 11 * H); /* twice: no-op */
    CHECK_INT(complaint_clock_due(&wall, &k), t0 + 28 * H);
    n = complaint_clock_advance(&wall, &k, t0 + 28 * H, st, 64);
    s_want_t paused[] = {
        {W50, t0 + 16 * H, 0, 1}, {W75, t0 + 22 * H, 0, 1}, {BR, t0 + 28 * H, 1, 1}};
    check_steps("paused 4 h", st, n, paused, 3);
    /* a pause after the 50 % warning keeps it given */
    k = s_clock(24 * H, t0);
    complaint_clock_advance(&wall, &k, t0 + 13 * H, st, 64);
    complaint_clock_pause(&wall, &k, t0 + 13 * H);
    complaint_clock_resume(&k, t0 + 20 * H);
    CHECK_INT(complaint_clock_next(&wall, &k, &kind), t0 + 25 * H);
    CHECK_INT(kind, W75);
    /* restarting (reopen) gives a fresh period at the same level */
    k.level = 2;
    complaint_clock_start(&k, t0 + 50 * H);
    CHECK_INT(k.level, 2);
    CHECK_INT(k.warned, 0);
    CHECK_INT(complaint_clock_due(&wall, &k), t0 + 74 * H);

    /* ---- business hours: 8 counted hours a day, 24 h is three working days ---- */
    int64_t fri = T("2026-11-06 16:00"); /* a Friday */
    k = s_clock(24 * H, fri);
    CHECK_STR(L(complaint_clock_next(&office, &k, &kind)), "2026-11-10 11:00"); /* 12 h: Tuesday */
    CHECK_STR(L(complaint_clock_due(&office, &k)), "2026-11-11 16:00");         /* Wednesday */
    n = complaint_clock_advance(&office, &k, T("2026-11-12 09:00"), st, 64);
    s_want_t biz[] = {{W50, T("2026-11-10 11:00"), 0, 1},
                      {W75, T("2026-11-10 18:00"), 0, 1},
                      {BR, T("2026-11-11 16:00"), 1, 1}};
    check_steps("business hours", st, n, biz, 3);
    CHECK_STR(L(complaint_clock_due(&office, &k)), "2026-11-16 16:00"); /* three days on */
    /* a holiday on the Monday moves everything a working day */
    complaint_calendar_t hol = office;
    CHECK_INT(hf_date_parse("2026-11-09", &hol.holidays[hol.nholidays++]), 0);
    k = s_clock(24 * H, fri);
    CHECK_STR(L(complaint_clock_next(&hol, &k, &kind)), "2026-11-11 11:00");
    CHECK_STR(L(complaint_clock_due(&hol, &k)), "2026-11-12 16:00");
    /* filed at lunch or on a Saturday: counting starts when the office opens */
    CHECK_STR(L(complaint_calendar_walk(&office, T("2026-11-02 12:30"), 1 * H)),
              "2026-11-02 14:00");
    CHECK_STR(L(complaint_calendar_walk(&office, T("2026-11-07 10:00"), 30 * M)),
              "2026-11-09 09:30");
    CHECK_STR(L(complaint_calendar_walk(&office, T("2026-11-02 11:00"), 1 * H)),
              "2026-11-02 12:00");
    CHECK_INT(complaint_calendar_walk(&office, T("2026-11-02 11:00"), 0), T("2026-11-02 11:00"));
    /* counted time between two instants skips the night, the lunch and the weekend */
    CHECK_INT(complaint_calendar_between(&office, T("2026-11-06 17:00"), T("2026-11-09 10:00")),
              2 * H);
    CHECK_INT(complaint_calendar_between(&office, T("2026-11-02 11:30"), T("2026-11-02 13:30")),
              1 * H);
    CHECK_INT(complaint_calendar_between(&office, T("2026-11-02 13:30"), T("2026-11-02 11:30")), 0);
    CHECK_INT(complaint_calendar_between(&wall, t0, t0 + 5 * H), 5 * H);
    /* waiting over the weekend costs nothing; waiting in office hours moves the due time by
     * the counted hours stopped */
    k = s_clock(24 * H, fri);
    complaint_clock_pause(&office, &k, T("2026-11-06 17:00"));
    CHECK_INT(complaint_clock_remaining(&office, &k, T("2026-11-20 17:00")), 23 * H);
    complaint_clock_resume(&k, T("2026-11-09 14:00"));
    CHECK_STR(L(complaint_clock_due(&office, &k)), "2026-11-12 12:00"); /* 23 h from Monday 14:00 */
    /* a calendar that counts nothing never comes due */
    complaint_calendar_t none = office;
    none.workdays = 0;
    CHECK_INT(complaint_calendar_walk(&none, fri, 1 * H), -1);
    k = s_clock(24 * H, fri);
    CHECK_INT(complaint_clock_advance(&none, &k, fri + 1000 * H, st, 64), 0);

    /* ---- workdays ---- */
    unsigned d = 0;
    char buf[16];
    CHECK_INT(complaint_workdays_parse("1-5", &d), 0);
    CHECK_INT(d, 31);
    complaint_workdays_format(d, buf);
    CHECK_STR(buf, "1-5");
    CHECK_INT(complaint_workdays_parse("1,2,3,4,5,6", &d), 0);
    complaint_workdays_format(d, buf);
    CHECK_STR(buf, "1-6");
    CHECK_INT(complaint_workdays_parse("1,3,6-7", &d), 0);
    complaint_workdays_format(d, buf);
    CHECK_STR(buf, "1,3,6,7");
    CHECK_INT(complaint_workdays_parse("0-5", &d), -1);
    CHECK_INT(complaint_workdays_parse("5-1", &d), -1);
    CHECK_INT(complaint_workdays_parse("1,,2", &d), -1);
    CHECK_INT(complaint_workdays_parse("", &d), -1);
    CHECK_INT(complaint_workdays_parse("mon", &d), -1);
    TEST_DONE();
}
