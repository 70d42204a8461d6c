/* The arithmetic of members' points (intake_points.c), table-driven: what a purchase earns,
 * what a return takes back, and one change of a balance — earnings settle what is owed
 * first, a redemption never goes past the balance, a return stops at zero and owes the
 * rest. Every row also checks that the balance afterwards is never below zero. */
#include "hf_test.h"
#include "intake_internal.h"

static void test_earned(void)
{
    static const struct {
        int64_t price_fen;
        int per_yuan;
        int64_t want;
    } rows[] = {
        {50550, 2, 1010},                              /* 505.50 yuan: 505 whole yuan */
        {16850, 2, 336},  {16800, 1, 168}, {99, 5, 0}, /* below a yuan */
        {100, 1, 1},      {0, 1, 0},       {-500, 1, 0}, {100000, 0, 0}, /* a rule of none */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        CHECK_INT(intake_points_earned(rows[i].price_fen, rows[i].per_yuan), rows[i].want);
}

static void test_returned(void)
{
    static const struct {
        int64_t earned;
        int32_t quantity, used;
        int64_t refund, paid, want;
    } rows[] = {
        {1010, 3, 1, 33700, 50550, 673}, /* two of three units back, rounded down */
        {1010, 3, 0, 50550, 50550, 1010}, {1010, 3, 3, 0, 50550, 0}, /* all used */
        {1010, 3, 5, 0, 50550, 0},      /* more used than bought: nothing */
        {1000, 0, 0, 2500, 10000, 250}, /* no counts: the refunded share */
        {1000, 0, 0, 20000, 10000, 1000}, {1000, 0, 0, -5, 10000, 0},
        {1000, 0, 0, 0, 0, 1000}, /* nothing known: all */
        {0, 3, 1, 100, 300, 0},           {-4, 3, 1, 100, 300, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        CHECK_INT(intake_points_returned(rows[i].earned, rows[i].quantity, rows[i].used,
                                         rows[i].refund, rows[i].paid),
                  rows[i].want);
}

static void test_apply(void)
{
    static const struct {
        intake_points_kind_t kind;
        int64_t balance, owed, points;
        bool ok;
        int64_t delta, owed_after, shortfall;
    } rows[] = {
        {INTAKE_POINTS_EARN, 0, 0, 100, true, 100, 0, 0},
        {INTAKE_POINTS_EARN, 50, 127, 336, true, 209, 0, 0}, /* settles 127 first */
        {INTAKE_POINTS_EARN, 0, 300, 250, true, 0, 50, 0},   /* all of it settles */
        {INTAKE_POINTS_REDEEM, 546, 0, 546, true, -546, 0, 0},
        {INTAKE_POINTS_REDEEM, 546, 0, 547, false, 0, 0, 0}, /* beyond the balance */
        {INTAKE_POINTS_REDEEM, 546, 0, 0, false, 0, 0, 0},
        {INTAKE_POINTS_REDEEM, 546, 0, -5, false, 0, 0, 0},
        {INTAKE_POINTS_REDEEM, 0, 10, 1, false, 0, 10, 0},
        {INTAKE_POINTS_RETURN, 546, 0, 673, true, -546, 127, 127}, /* spent: owed */
        {INTAKE_POINTS_RETURN, 1000, 0, 673, true, -673, 0, 0},
        {INTAKE_POINTS_RETURN, 0, 20, 30, true, 0, 50, 30},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        intake_points_move_t mv;
        bool ok =
            intake_points_apply(rows[i].kind, rows[i].balance, rows[i].owed, rows[i].points, &mv);
        CHECK_INT(ok, rows[i].ok);
        if (!ok)
            continue;
        CHECK_INT(mv.delta, rows[i].delta);
        CHECK_INT(mv.owed, rows[i].owed_after);
        CHECK_INT(mv.shortfall, rows[i].shortfall);
        CHECK(rows[i].balance + mv.delta >= 0);
    }
}

int main(void)
{
    TEST_CASE(test_earned);
    TEST_CASE(test_returned);
    TEST_CASE(test_apply);
    TEST_DONE();
}
