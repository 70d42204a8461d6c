/* test_calllog_rules: the call log's pure rules — how a supervisor writes an outcome's
 * flags, which flag sets make sense, how many calls a day's quality check draws, and the
 * shapes of a service sheet's measurements. */
#include "calllog.h"
#include "hf_test.h"

/* Flags as a 7-character mask h c s d u b k (human answered, contacted, sale, do not call,
 * unworkable, callback, completed), for compact tables. */
static void s_mask(const Huifang__V1__OutcomeFlags *f, char *out)
{
    const protobuf_c_boolean v[] = {f->human_answered, f->contacted, f->sale,     f->do_not_call,
                                    f->unworkable,     f->callback,  f->completed};
    for (int i = 0; i < 7; i++)
        out[i] = v[i] ? "hcsdubk"[i] : '.';
    out[7] = '\0';
}

static void test_flags_parse(void)
{
    static const struct {
        const char *list;
        int rc;
        const char *want; /* mask, or the bad word when rc is -1 */
    } cases[] = {
        {"", 0, "......."},
        {NULL, 0, "......."},
        {"contacted,completed", 0, ".c....k"},
        {"human-answered,contacted,completed", 0, "hc....k"},
        {"human_answered, contacted , sale", 0, "hcs...."},
        {"HUMAN-ANSWERED,Do-Not-Call", 0, "h..d..."},
        {"unworkable,completed,", 0, "....u.k"},
        {",,callback", 0, ".....b."},
        {"contacted,contacted", 0, ".c....."},
        {"contacted,answered", -1, "answered"},
        {"sale,do not call", -1, "do not call"},
        {"completed,  bogus  ", -1, "bogus"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Huifang__V1__OutcomeFlags f;
        char bad[32] = "", mask[8];
        int rc = calllog_flags_parse(cases[i].list, &f, bad, sizeof bad);
        CHECK_INT(rc, cases[i].rc);
        if (rc == 0) {
            s_mask(&f, mask);
            CHECK_STR(mask, cases[i].want);
        } else {
            CHECK_STR(bad, cases[i].want);
        }
    }
}

static void test_flags_check(void)
{
    static const struct {
        const char *list;
        int ok;
    } cases[] = {
        /* the seeded outcomes all pass */
        {"human-answered,contacted,completed", 1},             /* connected */
        {"", 1},                                               /* no-answer, busy */
        {"unworkable,completed", 1},                           /* wrong-number */
        {"human-answered,contacted,do-not-call,completed", 1}, /* refused, hostile */
        {"human-answered,contacted,callback", 1},              /* callback */
        {"human-answered,contacted,sale,completed", 1},        /* an order */
        /* and what cannot be */
        {"contacted,completed", 0}, /* a conversation nobody answered */
        {"human-answered,sale", 0}, /* a sale without a conversation */
        {"callback", 0},            /* a callback nobody asked for */
        {"human-answered,callback,completed", 0},
        {"human-answered,unworkable", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Huifang__V1__OutcomeFlags f;
        char bad[32];
        CHECK_INT(calllog_flags_parse(cases[i].list, &f, bad, sizeof bad), 0);
        const char *why = calllog_flags_check(&f);
        if ((why == NULL) != cases[i].ok)
            fprintf(stderr, "flags \"%s\": %s\n", cases[i].list, why ? why : "accepted");
        CHECK_INT(why == NULL, cases[i].ok);
    }
}

static void test_sample_size(void)
{
    static const struct {
        int calls, percent, want;
    } cases[] = {
        {0, 10, 0},  {1, 10, 1},  {9, 10, 1},    {10, 10, 1}, {11, 10, 2}, {40, 10, 4},
        {41, 10, 5}, {40, 0, 0},  {40, 100, 40}, {3, 50, 2},  {4, 50, 2},  {5, 50, 3},
        {7, 1, 1},   {100, 1, 1}, {101, 1, 2},   {-1, 10, 0}, {5, -5, 0},  {5, 150, 5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = calllog_sample_size(cases[i].calls, cases[i].percent);
        if (got != cases[i].want)
            fprintf(stderr, "%d calls at %d%%:\n", cases[i].calls, cases[i].percent);
        CHECK_INT(got, cases[i].want);
    }
}

static void test_blood_pressure(void)
{
    static const struct {
        const char *bp;
        int ok;
    } cases[] = {
        {"130/85", 1}, {"120/80", 1},  {"90/60", 1},   {"200/110", 1},  {"300/120", 1},
        {"80/40", 1},  {"", 0},        {"130", 0},     {"130/", 0},     {"/85", 0},
        {"85/130", 0}, {"130/130", 0}, {"130/85x", 0}, {"130 / 85", 0}, {"1300/85", 0},
        {"301/90", 0}, {"90/39", 0},   {"a/b", 0},     {"9/6", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (calllog_bp_valid(cases[i].bp) != (bool)cases[i].ok)
            fprintf(stderr, "blood pressure \"%s\"\n", cases[i].bp);
        CHECK_INT(calllog_bp_valid(cases[i].bp), cases[i].ok);
    }
    CHECK(!calllog_bp_valid(NULL));
}

static void test_codes_and_text(void)
{
    CHECK(calllog_code_valid("no-answer"));
    CHECK(calllog_code_valid("VC30"));
    CHECK(calllog_code_valid("left_message"));
    CHECK(!calllog_code_valid(""));
    CHECK(!calllog_code_valid(NULL));
    CHECK(!calllog_code_valid("no answer"));
    CHECK(!calllog_code_valid("abcdefghijklmnopqrstuvwxy")); /* 25 */
    CHECK(calllog_code_valid("abcdefghijklmnopqrstuvwx"));   /* 24 */
    CHECK(!calllog_code_valid("未接"));

    CHECK(calllog_text_ok(NULL, 10));
    CHECK(calllog_text_ok("", 10));
    CHECK(calllog_text_ok("饭后服用", 12));
    CHECK(!calllog_text_ok("饭后服用", 11)); /* 12 bytes */
    CHECK(calllog_text_ok("line one\nline two\twith a tab", 100));
    CHECK(!calllog_text_ok("bell\a", 100));
    CHECK(!calllog_text_ok("carriage\rreturn", 100));
}

int main(void)
{
    TEST_CASE(test_flags_parse);
    TEST_CASE(test_flags_check);
    TEST_CASE(test_sample_size);
    TEST_CASE(test_blood_pressure);
    TEST_CASE(test_codes_and_text);
    TEST_DONE();
}
