/* Choosing agents for due tasks (sched_place) and the small rules beside it: the windows a
 * customer may be called in, sales purposes, where a flexible step goes, when a rolled-over
 * task climbs. Tables, no I/O. */
#include "hf_test.h"
#include "hf_time.h"
#include "sched_place.h"
#include "sched_plan.h"

static sched_agent_t A(const char *id, const char *role, const char *regions, int calls, int visits,
                       int used_calls)
{
    sched_agent_t g;
    memset(&g, 0, sizeof g);
    snprintf(g.id, sizeof g.id, "%s", id);
    snprintf(g.role, sizeof g.role, "%s", role);
    snprintf(g.regions, sizeof g.regions, "%s", regions);
    g.cap[SCHED_CALL] = calls;
    g.cap[SCHED_VISIT] = visits;
    g.used[SCHED_CALL] = used_calls;
    return g;
}

static sched_item_t T(int64_t id, int prio, const char *role, const char *region, int kind)
{
    sched_item_t t = {id, prio, 1000 + id, role, region, "", kind, -1, false, false, (int)id};
    return t;
}

static void test_windows(void)
{
    static const struct {
        const char *branch, *customer, *want;
        int fallback;
    } cases[] = {
        {"09:00-12:00,14:00-20:00", "", "09:00-12:00,14:00-20:00", 0},
        {"09:00-12:00,14:00-20:00", "11:30-14:00,18:00-21:00", "11:30-12:00,18:00-20:00", 0},
        {"09:00-12:00,14:00-20:00", "10:00-11:00", "10:00-11:00", 0},
        /* no minute in common: the branch's hours win (nobody calls outside them) */
        {"09:00-12:00", "18:00-20:00", "09:00-12:00", 1},
        /* malformed customer windows are ignored */
        {"09:00-12:00", "25:00-26:00", "09:00-12:00", 1},
        /* a branch without windows takes the customer's */
        {"", "18:00-20:00", "18:00-20:00", 0},
        {"", "", "", 0},
        /* several windows on both sides */
        {"08:00-10:00,11:00-13:00,15:00-18:00", "09:00-16:00",
         "09:00-10:00,11:00-13:00,15:00-16:00", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[128];
        int fb = sched_windows_effective(cases[i].branch, cases[i].customer, out, sizeof out);
        CHECK_STR(out, cases[i].want);
        CHECK_INT(fb, cases[i].fallback);
    }
    /* the effective windows drive the next window and the first window of a day */
    char eff[128];
    sched_windows_effective("09:00-12:00,14:00-20:00", "18:00-21:00", eff, sizeof eff);
    int32_t day;
    hf_date_parse("2026-11-02", &day);
    CHECK_INT(sched_day_start(day, eff, "Asia/Shanghai"),
              hf_time_from_local(day, 18 * 60, "Asia/Shanghai"));
    int64_t nine = hf_time_from_local(day, 9 * 60, "Asia/Shanghai");
    CHECK_INT(sched_next_window(nine, eff, "Asia/Shanghai"),
              hf_time_from_local(day, 18 * 60, "Asia/Shanghai"));
    CHECK(!sched_in_window(nine, eff, "Asia/Shanghai"));
}

static void test_rules(void)
{
    CHECK(sched_is_sales("repurchase"));
    CHECK(sched_is_sales("new-lead"));
    CHECK(!sched_is_sales("care"));
    CHECK(!sched_is_sales("adverse-reaction"));
    CHECK(sched_is_sales("campaign-invite")); /* no invitation while a complaint is open */
    CHECK(!sched_is_sales("campaign-thanks"));
    CHECK_STR(sched_sales_literal(),
              "{repurchase,new-lead,second-development,invitation,campaign,campaign-invite}");
    /* priorities: adverse reaction > complaint > repurchase > care > new lead */
    CHECK(sched_priority("adverse-reaction") > sched_priority("complaint"));
    CHECK(sched_priority("complaint") > sched_priority("repurchase"));
    CHECK(sched_priority("repurchase") > sched_priority("care"));
    CHECK(sched_priority("care") > sched_priority("new-lead"));
    /* a flexible step goes to the least loaded day, the earliest of equals */
    int load1[] = {5, 3, 3, 9};
    CHECK_INT(sched_flex_pick(load1, 4), 1);
    int load2[] = {0, 0, 0};
    CHECK_INT(sched_flex_pick(load2, 3), 0);
    /* within the agents' daily capacity: the earliest day with room; all full: the least */
    int load3[] = {40, 39, 10, 0};
    CHECK_INT(sched_flex_pick_within(load3, 4, 40), 1);
    CHECK_INT(sched_flex_pick_within(load3, 4, 10), 3);
    int load4[] = {45, 41, 40};
    CHECK_INT(sched_flex_pick_within(load4, 3, 40), 2);
    CHECK_INT(sched_flex_pick_within(load1, 4, 0), 1);
    /* rolling over: +1, except inside a flexible window */
    CHECK_INT(sched_roll_bump(100, 0), 1);
    CHECK_INT(sched_roll_bump(100, 200), 0);
    CHECK_INT(sched_roll_bump(200, 200), 0);
    CHECK_INT(sched_roll_bump(300, 200), 1);
}

static void test_place(void)
{
    /* region first, then whole-branch agents; least loaded within a tier; the role decides */
    sched_agent_t g[] = {A("A1", "phone", ",chaoyang,", 2, 0, 0),
                         A("A2", "phone", ",haidian,", 2, 0, 0), A("A3", "phone", "", 2, 0, 0),
                         A("D1", "doctor", ",haidian,", 0, 5, 0)};
    sched_item_t t[] = {
        T(1, 20, "phone", "chaoyang", SCHED_CALL),   T(2, 30, "phone", "chaoyang", SCHED_CALL),
        T(3, 10, "phone", "chaoyang", SCHED_CALL),   T(4, 20, "phone", "xicheng", SCHED_CALL),
        T(5, 50, "doctor", "chaoyang", SCHED_VISIT), T(6, 20, "doctor", "chaoyang", SCHED_VISIT)};
    sched_items_sort(t, 6);
    CHECK_INT(t[0].id, 5); /* most urgent first */
    CHECK_INT(t[1].id, 2);
    CHECK_INT(t[5].id, 3);
    int placed = sched_place(g, 4, t, 6);
    CHECK_INT(placed, 5);
    for (int i = 0; i < 6; i++) {
        switch (t[i].id) {
        case 5:
            CHECK_STR(g[t[i].agent].id, "D1");
            break; /* urgent: any doctor */
        case 6:
            CHECK_INT(t[i].agent, -1);
            break; /* not urgent, no doctor there */
        case 2:
            CHECK_STR(g[t[i].agent].id, "A1");
            break; /* region first */
        case 1:
            CHECK_STR(g[t[i].agent].id, "A1");
            break; /* A1 has room for two */
        case 3:
            CHECK_STR(g[t[i].agent].id, "A3");
            break; /* A1 full: whole-branch agent */
        case 4:
            CHECK_STR(g[t[i].agent].id, "A3");
            break; /* no one covers xicheng */
        }
    }
    CHECK_INT(g[0].want[SCHED_CALL], 2);
    CHECK_INT(g[2].want[SCHED_CALL], 2);

    /* the guard granted A1 only one: the less urgent of its two goes back */
    int granted[4][2] = {{1, 0}, {0, 0}, {2, 0}, {0, 1}};
    int left = sched_place_trim(g, 4, t, 6, (const int(*)[2])granted);
    CHECK_INT(left, 2);
    for (int i = 0; i < 6; i++) {
        if (t[i].id == 2)
            CHECK(t[i].settled && t[i].agent == 0);
        if (t[i].id == 1)
            CHECK(!t[i].settled && t[i].agent == -1);
    }
    CHECK_INT(g[0].want[SCHED_CALL], 0);
    /* next round: A1 is full now (used = cap), the others have no room either */
    g[0].used[SCHED_CALL] = 2;
    g[2].used[SCHED_CALL] = 2;
    CHECK_INT(sched_place(g, 4, t, 6), 0);

    /* a callback goes to its owner, over capacity; an absent owner means the team */
    sched_agent_t h[] = {A("B1", "phone", "", 1, 0, 1), A("B2", "phone", "", 5, 0, 0)};
    sched_item_t c[] = {T(7, 30, "phone", "", SCHED_CALL), T(8, 30, "phone", "", SCHED_CALL)};
    c[0].reserved = "B1";
    c[1].reserved = "B9";
    CHECK_INT(sched_place(h, 2, c, 2), 2);
    CHECK_INT(c[0].agent, 0);
    CHECK(c[0].forced);
    CHECK_INT(c[1].agent, 1);
    CHECK(!c[1].forced);
    int g2[2][2] = {{0, 0}, {1, 0}};
    CHECK_INT(sched_place_trim(h, 2, c, 2, (const int(*)[2])g2), 0);
    CHECK(c[0].settled && c[1].settled);

    /* a role nobody has */
    sched_item_t d[] = {T(9, 20, "deliver", "", SCHED_VISIT)};
    CHECK_INT(sched_place(h, 2, d, 1), 0);
    CHECK_INT(d[0].agent, -1);
}

int main(void)
{
    TEST_CASE(test_windows);
    TEST_CASE(test_rules);
    TEST_CASE(test_place);
    TEST_DONE();
}
