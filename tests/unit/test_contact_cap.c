/* test_contact_cap: the pure parts of the weekly contact cap (sched_cap.c): which Monday
 * starts a day's ISO week (weeks across a year's end, a leap day), and which origins the cap
 * never holds back, which channels it counts. What the cap does to tasks is
 * tests/e2e/622_occasion_weekly_cap.sh. */
#include "hf_test.h"
#include "hf_time.h"
#include "scheduler_internal.h"

static void monday(const char *day, const char *want)
{
    int32_t d, w;
    CHECK_INT(hf_date_parse(day, &d), 0);
    CHECK_INT(hf_date_parse(want, &w), 0);
    CHECK_INT(sched_cap_week_start(d), w);
}

static void test_week_start(void)
{
    monday("2026-11-02", "2026-11-02"); /* a Monday is its own week's start */
    monday("2026-11-05", "2026-11-02");
    monday("2026-11-08", "2026-11-02"); /* Sunday ends the ISO week */
    monday("2026-11-09", "2026-11-09");
    monday("2027-01-01", "2026-12-28"); /* a Friday: ISO week 2026-W53 */
    monday("2028-02-29", "2028-02-28");
    monday("1970-01-01", "1969-12-29"); /* day 0, a Thursday */
    monday("1969-12-28", "1969-12-22"); /* negative day numbers */
}

static void test_exempt(void)
{
    CHECK(sched_cap_exempt("callback"));
    CHECK(sched_cap_exempt("promised"));
    CHECK(sched_cap_exempt("adverse"));
    CHECK(!sched_cap_exempt("plan"));
    CHECK(!sched_cap_exempt("occasion"));
    CHECK(!sched_cap_exempt("campaign"));
    /* calls count; visits (appointments), letters and WeChat do not */
    CHECK(sched_cap_counts("phone"));
    CHECK(!sched_cap_counts("visit"));
    CHECK(!sched_cap_counts("letter"));
    CHECK(!sched_cap_counts("wechat"));
}

int main(void)
{
    TEST_CASE(test_week_start);
    TEST_CASE(test_exempt);
    TEST_DONE();
}
