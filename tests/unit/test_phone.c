/* test_phone: how agents and old archives write mainland numbers, what each becomes, and
 * what an agent is told when one is wrong. The masks are in test_mask.c. */
#include "hf_phone.h"
#include "hf_test.h"

static void test_normalise_good(void)
{
    static const struct {
        const char *raw;
        const char *want;
    } cases[] = {
        /* mobiles */
        {"13812345678", "13812345678"},
        {"138 1234 5678", "13812345678"},
        {"138-1234-5678", "13812345678"},
        {"138.1234.5678", "13812345678"},
        {" 13812345678 ", "13812345678"},
        {"+8613812345678", "13812345678"},
        {"+86 138 1234 5678", "13812345678"},
        {"+86-138-1234-5678", "13812345678"},
        {"(+86) 138 1234 5678", "13812345678"},
        {"008613812345678", "13812345678"},
        {"0086 199 0000 1111", "19900001111"},
        {"8613812345678", "13812345678"}, /* bare 86: 13 digits in all */
        {"013812345678", "13812345678"},  /* trunk 0 before a mobile */
        {"19912345678", "19912345678"},
        /* landlines: three-character area codes 010 and 02x */
        {"010-12345678", "010-12345678"},
        {"(010)12345678", "010-12345678"},
        {"(010) 1234 5678", "010-12345678"},
        {"01012345678", "010-12345678"},
        {"021-6888 8888", "021-68888888"},
        {"029 8123456", "029-8123456"}, /* 7-digit subscriber number */
        /* four-character area codes */
        {"0755 8888 6666", "0755-88886666"},
        {"0755-88886666", "0755-88886666"},
        {"057188886666", "0571-88886666"},
        {"0571-8888666", "0571-8888666"},
        /* international landlines drop the trunk 0; "+86 0..." keeps it by mistake */
        {"+86 10 1234 5678", "010-12345678"},
        {"+86 755 8888 6666", "0755-88886666"},
        {"+86 (0)755 8888 6666", "0755-88886666"},
        {"0086 21 68888888", "021-68888888"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[20] = "junk";
        const char *why = "unset";
        int rc = hf_phone_normalise(cases[i].raw, out, sizeof out, &why);
        if (rc != 0)
            fprintf(stderr, "rejected \"%s\": %s\n", cases[i].raw, why);
        CHECK_INT(rc, 0);
        CHECK_STR(out, cases[i].want);
        CHECK(why == NULL);
    }
}

static void test_normalise_bad(void)
{
    static const struct {
        const char *raw;
        const char *why;
    } cases[] = {
        {"", "is empty"},
        {"   ", "is empty"},
        {NULL, "is empty"},
        {"---", "has no digits"},
        {"1381234567", "is 10 digits; a mobile has 11"},
        {"138123456789", "is 12 digits; a mobile has 11"},
        {"+86 138 1234 567", "is 10 digits; a mobile has 11"},
        {"12812345678", "mobile must start with 13-19"},
        {"10012345678", "mobile must start with 13-19"},
        {"8613812345678 ext 5", "has letters"},
        {"138abcd5678", "has letters"},
        {"138/1234/5678", "has characters other than digits, spaces, dashes, dots, "
                          "parentheses and +86"},
        {"138#12345678", "has characters other than digits, spaces, dashes, dots, "
                         "parentheses and +86"},
        {"１３８１２３４５６７８", "has non-ASCII characters (full-width digits?)"},
        {"138+12345678", "has a '+' that is not at the start"},
        {"++8613812345678", "has a '+' that is not at the start"},
        {"+852 9123 4567", "has a country code other than +86"},
        {"+1 555 123 4567", "has a country code other than +86"},
        {"+86", "has a country code and no number"},
        {"88886666", "landline needs an area code starting with 0"},
        {"12345678", "is 8 digits; a mobile has 11"},
        {"8888666", "landline needs an area code starting with 0"},
        {"23812345678", "must start with 1 (a mobile) or 0 (a landline's area code)"},
        {"010-123456", "landline number after the area code is shorter than 7 digits"},
        {"010-123456789", "landline number after the area code is longer than 8 digits"},
        {"0755-888666", "landline number after the area code is shorter than 7 digits"},
        {"0755-888866661", "landline number after the area code is longer than 8 digits"},
        {"011-12345678", "has area code 01x; the only area code starting 01 is 010"},
        {"001 555 1234567", "has an international prefix other than 0086"},
        {"0", "is too short for a landline with an area code"},
        {"1234567890123456789012345", "has more than 24 digits"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[20] = "junk";
        const char *why = NULL;
        int rc = hf_phone_normalise(cases[i].raw, out, sizeof out, &why);
        if (rc != -1)
            fprintf(stderr, "accepted \"%s\" as \"%s\"\n", cases[i].raw, out);
        CHECK_INT(rc, -1);
        CHECK_STR(why, cases[i].why);
        CHECK_STR(out, "");
    }

    /* why may be left out by callers that only want a yes or no */
    char out[20];
    CHECK_INT(hf_phone_normalise("12", out, sizeof out, NULL), -1);
    /* a buffer too small for the answer is refused, not overrun */
    char small[8];
    const char *why = NULL;
    CHECK_INT(hf_phone_normalise("13812345678", small, sizeof small, &why), -1);
    CHECK_STR(why, "output buffer is too small");
}

int main(void)
{
    TEST_CASE(test_normalise_good);
    TEST_CASE(test_normalise_bad);
    TEST_DONE();
}
