/* test_mask: the one masking of personal data used by logs, the event tap and the CLI:
 * every way of writing a phone, Chinese and Latin names, free text, dates, actors, the
 * mobile safety net inside any text, and the table that says which fields are personal. */
#include "hf_mask.h"
#include "hf_test.h"

typedef void (*s_mask_fn)(const char *, char *, size_t);

static void s_check(s_mask_fn fn, const char *in, const char *want)
{
    char out[96];
    memset(out, 'x', sizeof out);
    fn(in, out, sizeof out);
    if (strcmp(out, want) != 0) {
        fprintf(stderr, "[%s] mask of \"%s\" = \"%s\", want \"%s\"\n", hf_test_case,
                in ? in : "(null)", out, want);
        hf_test_failures++;
    }
}

static void test_phones(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"13912345678", "139****5678"},
        {"+86 13912345678", "139****5678"},
        {"+8613912345678", "139****5678"},
        {"8613912345678", "139****5678"},
        {"008613912345678", "139****5678"},
        {"139-1234-5678", "139****5678"},
        {"139 1234 5678", "139****5678"},
        {"+86 138 1234 5678", "138****5678"},
        {"010-12345678", "010-****5678"},
        {"(010)12345678", "010-****5678"},
        {"0755-88886666", "0755-****6666"},
        {"0571-8888666", "0571-****8666"},
        {"12345", "***45"}, /* not a phone: last two kept */
        {"abc", "*bc"},
        {"电话号码", "**号码"}, /* counted in characters, not bytes */
        {"7", "7"},
        {"", ""},
        {NULL, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        s_check(hf_mask_phone, cases[i].in, cases[i].want);
    /* a long unrecognised value keeps its tail even when not every star fits */
    char tiny[6];
    hf_mask_phone("not a phone at all", tiny, sizeof tiny);
    CHECK_STR(tiny, "***ll");
    /* a mask that does not fit whole is not written in part */
    char six[6];
    hf_mask_phone("13912345678", six, sizeof six);
    CHECK_STR(six, "");
}

static void test_names(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"张三丰", "张**"},
        {"张三", "张**"}, /* a fixed mask: the length is not told */
        {"王", "王**"},
        {"欧阳娜娜", "欧**"},
        {" 李雷 ", "李**"},
        {"Wang Fang", "W*** F***"}, /* no part of a Latin name in clear */
        {"Mary Ann Smith", "M*** A*** S***"},
        {"  Li   Lei ", "L*** L***"},
        {"Zoë Ångström", "Z*** Å***"},
        {"Li", "L***"},
        {"", ""},
        {"   ", ""},
        {NULL, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        s_check(hf_mask_name, cases[i].in, cases[i].want);
    /* a first character that does not fit whole is not cut in half */
    char two[3];
    hf_mask_name("张三", two, sizeof two);
    CHECK_STR(two, "");
    char six[6];
    hf_mask_name("张三丰", six, sizeof six);
    CHECK_STR(six, "张**");
    /* parts that do not fit are left out, never cut */
    char nine[10];
    hf_mask_name("Mary Ann Smith", nine, sizeof nine);
    CHECK_STR(nine, "M*** A***");
}

static void test_text_dates_actors(void)
{
    s_check(hf_mask_text, "call after 6pm", "[14 chars]");
    s_check(hf_mask_text, "头晕，血压高", "[6 chars]");
    s_check(hf_mask_text, "x", "[1 char]");
    s_check(hf_mask_text, "", "");
    s_check(hf_mask_date, "1980-05-17", "1980-**-**");
    s_check(hf_mask_date, "spring 1980", "[11 chars]");
    s_check(hf_mask_actor, "A001", "A001");
    s_check(hf_mask_actor, "mgr.li", "mgr.li");
    s_check(hf_mask_actor, "+8613912345678", "139****5678");
    s_check(hf_mask_actor, "13912345678", "139****5678");
    s_check(hf_mask_actor, "Wang Fang", "W*** F***");
    s_check(hf_mask_actor, "王芳", "王**");
    s_check(hf_mask_actor, "u1391234567", "u***"); /* a phone's worth of digits */
}

static void test_mobiles_in_text(void)
{
    static const struct {
        const char *in, *want;
        int count;
    } cases[] = {
        {"call 13912345678 after 6", "call 139****5678 after 6", 1},
        {"+8613912345678", "+86139****5678", 1},
        {"8613912345678", "86139****5678", 1},
        {"tel:0086 139 1234 5678.", "tel:0086 139 **** 5678.", 1},
        {"139-1234-5678 or 13812345678", "139-****-5678 or 138****5678", 2},
        {"Key (phone)=(13912345678) exists", "Key (phone)=(139****5678) exists", 1},
        {"12 13912345678", "12 139****5678", 1},
        /* not mobiles: too long, too short, a timestamp, a second digit below 3 */
        {"ts=1732345678901 seq=13812345678901", "ts=1732345678901 seq=13812345678901", 0},
        {"1391234567", "1391234567", 0},
        {"12012345678", "12012345678", 0},
        {"", "", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[96];
        int n = hf_mask_mobiles(cases[i].in, out, sizeof out);
        CHECK_STR(out, cases[i].want);
        CHECK_INT(n, cases[i].count);
    }
    char small[8];
    hf_mask_mobiles("张三丰张三丰", small, sizeof small);
    CHECK_STR(small, "张三"); /* cut at a whole character */
}

static void test_table(void)
{
    CHECK_INT(hf_mask_kind("Customer", "name"), HF_MASK_NAME);
    CHECK_INT(hf_mask_kind("Product", "name"), HF_MASK_NONE);
    CHECK_INT(hf_mask_kind("Branch", "NAME"), HF_MASK_NONE);
    CHECK_INT(hf_mask_kind(NULL, "name"), HF_MASK_NAME);
    CHECK_INT(hf_mask_kind("Customer", "phones"), HF_MASK_PHONE);
    CHECK_INT(hf_mask_kind("Task", "customer_phone"), HF_MASK_PHONE);
    CHECK_INT(hf_mask_kind(NULL, "work_phone"), HF_MASK_PHONE);
    CHECK_INT(hf_mask_kind(NULL, "mother_name"), HF_MASK_NAME);
    CHECK_INT(hf_mask_kind("Customer", "address"), HF_MASK_TEXT);
    CHECK_INT(hf_mask_kind("Findings", "symptoms"), HF_MASK_TEXT);
    CHECK_INT(hf_mask_kind("Complaint", "plan"), HF_MASK_TEXT);
    CHECK_INT(hf_mask_kind("Purchase", "plan"), HF_MASK_NONE);
    CHECK_INT(hf_mask_kind("Customer", "birth"), HF_MASK_DATE);
    CHECK_INT(hf_mask_kind(NULL, "actor"), HF_MASK_ACTOR);
    CHECK_INT(hf_mask_kind("FieldChange", "to"), HF_MASK_VIA_FIELD);
    CHECK_INT(hf_mask_kind("CardTypeChanged", "to"), HF_MASK_NONE);
    CHECK_INT(hf_mask_kind(NULL, "reason"), HF_MASK_NONE);
    CHECK_INT(hf_mask_kind(NULL, NULL), HF_MASK_NONE);

    char out[64];
    hf_mask_value(HF_MASK_NONE, "see 13912345678", out, sizeof out);
    CHECK_STR(out, "see 139****5678");
    hf_mask_value(HF_MASK_VIA_FIELD, "Wangjing St 5", out, sizeof out);
    CHECK_STR(out, "[13 chars]");
    hf_mask_value(HF_MASK_NAME, NULL, out, sizeof out);
    CHECK_STR(out, "");
}

int main(void)
{
    TEST_CASE(test_phones);
    TEST_CASE(test_names);
    TEST_CASE(test_text_dates_actors);
    TEST_CASE(test_mobiles_in_text);
    TEST_CASE(test_table);
    TEST_DONE();
}
