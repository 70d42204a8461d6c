/* Plan layout, call windows and priorities: the cadences of the manuals as tables. */
#include "hf_test.h"
#include "hf_time.h"
#include "sched_plan.h"

static sched_step_t S(int no, const char *anchor, int off, int win, int rep, const char *purpose)
{
    sched_step_t s = {no, "", off, win, rep, "", "phone", "phone"};
    snprintf(s.anchor, sizeof s.anchor, "%s", anchor);
    snprintf(s.purpose, sizeof s.purpose, "%s", purpose);
    return s;
}

static int32_t D(const char *date)
{
    int32_t d;
    if (hf_date_parse(date, &d) != 0)
        abort();
    return d;
}

static void check_layout(const char *name, const sched_step_t *steps, int nsteps,
                         const char *purchase, const char *end, const char *ref,
                         const char *const *want, int nwant)
{
    sched_due_t out[64];
    int n = sched_plan_layout(steps, nsteps, D(purchase), D(end), ref ? D(ref) : -1, out, 64);
    if (n != nwant) {
        fprintf(stderr, "%s: %d contacts, want %d\n", name, n, nwant);
        hf_test_failures++;
    }
    for (int i = 0; i < n && i < nwant; i++) {
        char got[11];
        hf_date_format(out[i].day, got);
        if (strcmp(got, want[i]) != 0) {
            fprintf(stderr, "%s: contact %d on %s, want %s\n", name, i, got, want[i]);
            hf_test_failures++;
        }
    }
}

int main(void)
{
    /* monthly course: day 10 care, 5 days before the 30-day supply ends */
    sched_step_t monthly[] = {S(1, "purchase", 10, 0, 0, "care"),
                              S(2, "supply_end", -5, 0, 0, "repurchase")};
    const char *m[] = {"2026-11-12", "2026-11-27"};
    check_layout("monthly", monthly, 2, "2026-11-02", "2026-12-02", NULL, m, 2);
    /* two units: the repurchase call follows the later end */
    const char *m2[] = {"2026-11-12", "2026-12-27"};
    check_layout("monthly x2", monthly, 2, "2026-11-02", "2027-01-01", NULL, m2, 2);

    /* four-level: 1 week, +2, +3, +4 weeks, then monthly until the supply ends */
    sched_step_t four[] = {S(1, "purchase", 7, 0, 0, "care"), S(2, "previous", 14, 0, 0, "care"),
                           S(3, "previous", 21, 0, 0, "effect"),
                           S(4, "previous", 28, 0, 30, "care"),
                           S(5, "supply_end", -3, 0, 0, "repurchase")};
    const char *f[] = {"2026-01-08", "2026-01-22", "2026-02-12", "2026-03-12",
                       "2026-04-11", "2026-05-11", "2026-06-10", "2026-06-27"};
    check_layout("four-level, 180 days", four, 5, "2026-01-01", "2026-06-30", NULL, f, 8);

    /* a flexible step keeps its window; a step before the purchase is pulled to it */
    sched_step_t flex[] = {S(1, "purchase", 3, 3, 0, "reaction"),
                           S(2, "supply_end", -40, 0, 0, "x")};
    const char *fx[] = {"2026-03-04", "2026-03-01"};
    check_layout("flexible", flex, 2, "2026-03-01", "2026-03-31", NULL, fx, 2);
    sched_due_t out[4];
    CHECK_INT(sched_plan_layout(flex, 1, D("2026-03-01"), D("2026-03-31"), -1, out, 4), 1);
    CHECK_INT(out[0].window_days, 3);

    /* a stage step anchored on a reference date is skipped when the date is unknown */
    sched_step_t stage[] = {S(1, "ref_date", 30, 0, 0, "care"), S(2, "purchase", 1, 0, 0, "usage")};
    const char *st1[] = {"2026-05-01", "2026-04-02"};
    check_layout("ref date", stage, 2, "2026-04-01", "2026-05-01", "2026-04-01", st1, 2);
    const char *st2[] = {"2026-04-02"};
    check_layout("no ref date", stage, 2, "2026-04-01", "2026-05-01", NULL, st2, 1);

    /* the output never overruns */
    sched_step_t daily[] = {S(1, "purchase", 0, 0, 1, "care")};
    CHECK_INT(sched_plan_layout(daily, 1, D("2026-01-01"), D("2027-01-01"), -1, out, 4), 4);

    /* call windows in Beijing (UTC+8, no DST) */
    const char *w = "11:30-14:00,18:00-20:00";
    int64_t day_start = sched_day_start(D("2026-11-12"), w, "Asia/Shanghai");
    char buf[40];
    hf_time_rfc3339(day_start, buf);
    CHECK_STR(buf, "2026-11-12T03:30:00.000Z");
    hf_time_rfc3339(sched_day_start(D("2026-11-12"), "", "Asia/Shanghai"), buf);
    CHECK_STR(buf, "2026-11-12T01:00:00.000Z"); /* 09:00 without windows */
    int64_t t;
    CHECK_INT(hf_time_parse("2026-11-12 10:00", "Asia/Shanghai", &t), 0);
    hf_time_rfc3339(sched_next_window(t, w, "Asia/Shanghai"), buf);
    CHECK_STR(buf, "2026-11-12T03:30:00.000Z"); /* before the first: the first */
    CHECK(!sched_in_window(t, w, "Asia/Shanghai"));
    CHECK_INT(hf_time_parse("2026-11-12 12:00", "Asia/Shanghai", &t), 0);
    CHECK(sched_in_window(t, w, "Asia/Shanghai"));
    hf_time_rfc3339(sched_next_window(t, w, "Asia/Shanghai"), buf);
    CHECK_STR(buf, "2026-11-12T10:00:00.000Z"); /* in a window: the next one, 18:00 */
    CHECK_INT(hf_time_parse("2026-11-12 19:30", "Asia/Shanghai", &t), 0);
    hf_time_rfc3339(sched_next_window(t, w, "Asia/Shanghai"), buf);
    CHECK_STR(buf, "2026-11-13T03:30:00.000Z"); /* after the last: tomorrow's first */
    /* New York across the end of DST: 09:00 local is 13:00Z before, 14:00Z after */
    hf_time_rfc3339(sched_day_start(D("2026-10-31"), "09:00-17:00", "America/New_York"), buf);
    CHECK_STR(buf, "2026-10-31T13:00:00.000Z");
    hf_time_rfc3339(sched_day_start(D("2026-11-02"), "09:00-17:00", "America/New_York"), buf);
    CHECK_STR(buf, "2026-11-02T14:00:00.000Z");

    /* priorities: adverse reaction > complaint > repurchase > care > new lead */
    CHECK(sched_priority("adverse-reaction") > sched_priority("complaint"));
    CHECK(sched_priority("complaint") > sched_priority("repurchase"));
    CHECK(sched_priority("repurchase") > sched_priority("care"));
    CHECK(sched_priority("care") > sched_priority("new-lead"));
    TEST_DONE();
}
