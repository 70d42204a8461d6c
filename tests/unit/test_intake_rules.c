/* intake's pure rules, table-driven: stages from a reference date (the defaults of
 * DOMAIN.md as data), loyalty tiers, card-type transitions and merges, the validation of a
 * lead (each field named with its reason), and the content key of an imported row. */
#include "hf_arena.h"
#include "hf_test.h"
#include "hf_time.h"
#include "intake_rules.h"

static int32_t s_day(const char *s)
{
    int32_t d = -1;
    if (hf_date_parse(s, &d) != 0) {
        fprintf(stderr, "bad date in the test: %s\n", s);
        exit(2);
    }
    return d;
}

/* the defaults of migration 002: T0 pregnant .. T5 over 18 months */
static const intake_stage_rule_t s_stages[] = {
    {"T0", true, false, true, 0, -1, "pregnant"},
    {"T1", true, true, true, 0, 0, "under one month"},
    {"T2", true, true, true, 1, 3, "2-4 months"},
    {"T3", true, true, true, 4, 7, "5-8 months"},
    {"T4", true, true, true, 8, 17, "9-18 months"},
    {"T5", true, true, false, 18, 0, "over 18 months"},
};

static void test_months(void)
{
    static const struct {
        const char *ref, *today;
        int months;
    } cases[] = {
        {"2026-01-15", "2026-01-15", 0},  {"2026-01-15", "2026-02-14", 0},
        {"2026-01-15", "2026-02-15", 1},  {"2026-01-31", "2026-02-27", 0},
        {"2026-01-31", "2026-02-28", 1}, /* the last day of a shorter month completes it */
        {"2024-01-31", "2024-02-29", 1},  {"2025-11-23", "2026-11-23", 12},
        {"2026-11-24", "2026-11-23", -1}, /* a due date tomorrow: before the reference */
        {"2027-03-01", "2026-11-23", -4}, {"2026-12-23", "2026-11-23", -2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = intake_age_months(s_day(cases[i].ref), s_day(cases[i].today));
        if (got != cases[i].months)
            fprintf(stderr, "months %s -> %s\n", cases[i].ref, cases[i].today);
        CHECK_INT(got, cases[i].months);
    }
}

static void test_stages(void)
{
    static const struct {
        const char *ref, *today, *stage;
    } cases[] = {
        {"2027-06-01", "2026-11-23", "T0"}, /* due date ahead: pregnant */
        {"2026-11-24", "2026-11-23", "T0"}, {"2026-11-23", "2026-11-23", "T1"},
        {"2026-10-24", "2026-11-23", "T1"}, /* 30 days, not yet a month: top priority */
        {"2026-10-23", "2026-11-23", "T2"}, {"2026-08-24", "2026-11-23", "T2"},
        {"2026-07-23", "2026-11-23", "T3"}, /* four completed months: the fifth month */
        {"2026-03-24", "2026-11-23", "T3"}, {"2026-03-23", "2026-11-23", "T4"},
        {"2025-05-24", "2026-11-23", "T4"}, {"2025-05-23", "2026-11-23", "T5"},
        {"2010-01-01", "2026-11-23", "T5"},
    };
    int n = (int)(sizeof s_stages / sizeof s_stages[0]);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = intake_stage_of(s_stages, n, s_day(cases[i].ref), s_day(cases[i].today));
        if (strcmp(got, cases[i].stage) != 0)
            fprintf(stderr, "stage of %s on %s\n", cases[i].ref, cases[i].today);
        CHECK_STR(got, cases[i].stage);
    }
    /* no reference date: no stage; no rule holding the age: no stage */
    CHECK_STR(intake_stage_of(s_stages, n, -1, s_day("2026-11-23")), "");
    CHECK_STR(intake_stage_of(s_stages + 1, n - 1, s_day("2027-01-01"), s_day("2026-11-23")), "");
    /* rules in days, as a branch may set them: the first that holds wins */
    intake_stage_rule_t days[] = {{"D0", false, true, true, 0, 6, ""},
                                  {"D1", false, true, false, 7, 0, ""}};
    CHECK_STR(intake_stage_of(days, 2, s_day("2026-11-17"), s_day("2026-11-23")), "D0");
    CHECK_STR(intake_stage_of(days, 2, s_day("2026-11-16"), s_day("2026-11-23")), "D1");
    CHECK_STR(intake_stage_of(days, 2, s_day("2026-11-24"), s_day("2026-11-23")), "");
}

static void test_tiers(void)
{
    const intake_tier_rule_t rules[] = {
        {"member", 100000, 0}, {"gold", 1000000, 0}, {"silver", 500000, 3}};
    CHECK_STR(intake_tier_of(rules, 3, 0, 0), "regular");
    CHECK_STR(intake_tier_of(rules, 3, 99999, 5), "regular");
    CHECK_STR(intake_tier_of(rules, 3, 100000, 1), "member");
    CHECK_STR(intake_tier_of(rules, 3, 600000, 2), "member"); /* silver needs 3 purchases */
    CHECK_STR(intake_tier_of(rules, 3, 600000, 3), "silver");
    CHECK_STR(intake_tier_of(rules, 3, 1000000, 1), "gold");
    CHECK_STR(intake_tier_of(rules, 0, 1000000, 10), "regular");
}

static void test_cards(void)
{
    CHECK_STR(intake_void_reason("refused"), "refused");
    CHECK_STR(intake_void_reason("wrong-number"), "invalid-phone");
    CHECK(intake_void_reason("bored") == NULL);
    CHECK(intake_void_reason("") == NULL);
    static const struct {
        const char *from, *to;
        int purchases, ok;
    } moves[] = {
        {"new", "one-on-one", 0, 0},   {"new", "void", 0, 0},
        {"one-on-one", "void", 0, 0},  {"customer", "void", 2, 0},
        {"void", "new", 0, 0},         {"void", "one-on-one", 0, 0},
        {"void", "customer", 1, 0}, /* reopening a buyer's card */
        {"new", "customer", 0, -1}, /* a purchase does that */
        {"void", "customer", 0, -1},   {"one-on-one", "new", 0, -1},
        {"customer", "new", 1, -1},    {"customer", "one-on-one", 1, -1},
        {"void", "one-on-one", 2, -1}, {"void", "void", 0, -1},
        {"new", "new", 0, -1},         {"new", "gold", 0, -1},
    };
    for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++) {
        const char *why = NULL;
        int got = intake_card_manual(moves[i].from, moves[i].to, moves[i].purchases, &why);
        if (got != moves[i].ok)
            fprintf(stderr, "card %s -> %s (%d purchases)\n", moves[i].from, moves[i].to,
                    moves[i].purchases);
        CHECK_INT(got, moves[i].ok);
        CHECK(got == 0 ? why == NULL : why != NULL && *why);
    }
    const char *reason;
    CHECK_STR(intake_card_merged("new", "", "customer", "", &reason), "customer");
    CHECK_STR(intake_card_merged("one-on-one", "", "new", "", &reason), "one-on-one");
    CHECK_STR(intake_card_merged("customer", "", "void", "refused", &reason), "void");
    CHECK_STR(reason, "refused"); /* the person said no on the other card */
    CHECK_STR(intake_card_merged("void", "unanswered", "one-on-one", "", &reason), "one-on-one");
    CHECK_STR(intake_card_merged("void", "unanswered", "void", "out-of-area", &reason), "void");
    CHECK_STR(reason, "unanswered");
    CHECK_STR(intake_card_merged("void", "hostile", "customer", "", &reason), "void");
    CHECK_STR(reason, "hostile");
}

/* ---- lead validation ---- */

typedef struct {
    const char *name, *phone, *channel, *region, *gender, *birth, *baby_birth, *due_date;
    const char *feeding, *referrer, *windows;
    int age;
    const char *field; /* NULL: valid */
    const char *reason_part;
} s_lead_case_t;

static void test_leads(void)
{
    static const char *const regions[] = {"chaoyang", "haidian"};
    intake_check_ctx_t ctx = {s_day("2026-11-23"), 1795392000000LL /* 2026-11-23T00:00Z */, regions,
                              2};
    static const s_lead_case_t cases[] = {
        {"王芳", "138 1234 5678", "counter", "", "", "", "", "", "", "", "", 0, NULL, NULL},
        {"  Wang Fang\xE3\x80\x80", "+86 13812345678", "hospital", "chaoyang", "f", "1980-02-29",
         "2026-11-01", "", "mixed", "", "11:30-14:00", 46, NULL, NULL},
        {"Li", "010-12345678", "mail", "", "", "", "", "2027-06-01", "", "", "", 0, NULL, NULL},
        {"Li", "13812345678", "referral", "", "", "", "", "", "", "Wang Fang", "", 0, NULL, NULL},
        {"", "13812345678", "counter", "", "", "", "", "", "", "", "", 0, "name", "required"},
        {"   ", "13812345678", "counter", "", "", "", "", "", "", "", "", 0, "name", "required"},
        {"Zhang 3", "13812345678", "counter", "", "", "", "", "", "", "", "", 0, "name", "digits"},
        {"---", "13812345678", "counter", "", "", "", "", "", "", "", "", 0, "name", "letter"},
        {"A\x01", "13812345678", "counter", "", "", "", "", "", "", "", "", 0, "name", "control"},
        {"\xE7\x8E", "13812345678", "counter", "", "", "", "", "", "", "", "", 0, "name", "UTF-8"},
        {"王\xEF\xBF\xBD", "13812345678", "counter", "", "", "", "", "", "", "", "", 0, "name",
         "undecodable"},
        /* invisible formatting: a zero-width space, a right-to-left override, a byte order
         * mark, a soft hyphen, a word joiner — the name would not be found as typed */
        {"王\xE2\x80\x8B芳", "13812345678", "counter", "", "", "", "", "", "", "", "", 0, "name",
         "U+200B"},
        {"\xE2\x80\xAEgnaF gnaW", "13812345678", "counter", "", "", "", "", "", "", "", "", 0,
         "name", "U+202E"},
        {"\xEF\xBB\xBFLi", "13812345678", "counter", "", "", "", "", "", "", "", "", 0, "name",
         "U+FEFF"},
        {"Li\xC2\xADNa", "13812345678", "counter", "", "", "", "", "", "", "", "", 0, "name",
         "U+00AD"},
        {"Li\xE2\x81\xA0Na", "13812345678", "counter", "", "", "", "", "", "", "", "", 0, "name",
         "U+2060"},
        /* what stays: a middle dot in a transliterated name, a CJK name, Latin with accents */
        {"阿依古丽·买买提", "13812345678", "counter", "", "", "", "", "", "", "", "", 0, NULL,
         NULL},
        {"Zoë Müller", "13812345678", "counter", "", "", "", "", "", "", "", "", 0, NULL, NULL},
        {"Li", "", "counter", "", "", "", "", "", "", "", "", 0, "phone", "required"},
        {"Li", "12345", "counter", "", "", "", "", "", "", "", "", 0, "phone", "phone"},
        {"Li", "1381234567a", "counter", "", "", "", "", "", "", "", "", 0, "phone", "phone"},
        {"Li", "13812345678", "", "", "", "", "", "", "", "", "", 0, "channel", "required"},
        {"Li", "13812345678", "street", "", "", "", "", "", "", "", "", 0, "channel", "not one of"},
        {"Li", "13812345678", "referral", "", "", "", "", "", "", "", "", 0, "referrer", "by whom"},
        {"Li", "13812345678", "counter", "tongzhou", "", "", "", "", "", "", "", 0, "region",
         "not covered"},
        {"Li", "13812345678", "counter", "chao yang", "", "", "", "", "", "", "", 0, "region",
         "letters"},
        {"Li", "13812345678", "counter", "", "x", "", "", "", "", "", "", 0, "gender", "f or m"},
        {"Li", "13812345678", "counter", "", "", "2026-11-24", "", "", "", "", "", 0, "birth",
         "future"},
        {"Li", "13812345678", "counter", "", "", "1880-01-01", "", "", "", "", "", 0, "birth",
         "past"},
        {"Li", "13812345678", "counter", "", "", "23/11/1980", "", "", "", "", "", 0, "birth",
         "not a date"},
        {"Li", "13812345678", "counter", "", "", "1980-02-30", "", "", "", "", "", 0, "birth",
         "not a date"},
        {"Li", "13812345678", "counter", "", "", "", "2026-12-01", "", "", "", "", 0, "baby_birth",
         "future"},
        {"Li", "13812345678", "counter", "", "", "", "", "2027-11-01", "", "", "", 0, "due_date",
         "300 days"},
        {"Li", "13812345678", "counter", "", "", "", "", "", "bottle", "", "", 0, "feeding",
         "breast"},
        {"Li", "13812345678", "counter", "", "", "", "", "", "", "", "20:00-18:00", 0, "windows",
         "11:30"},
        {"Li", "13812345678", "counter", "", "", "", "", "", "", "", "", 131, "age", "0..130"},
    };
    hf_arena_t *a = hf_arena_new();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const s_lead_case_t *c = &cases[i];
        Huifang__V1__LeadAdd l = HUIFANG__V1__LEAD_ADD__INIT;
        l.name = (char *)c->name;
        l.phone = (char *)c->phone;
        l.channel = (char *)c->channel;
        l.region = (char *)c->region;
        l.gender = (char *)c->gender;
        l.birth = (char *)c->birth;
        l.baby_birth = (char *)c->baby_birth;
        l.due_date = (char *)c->due_date;
        l.feeding = (char *)c->feeding;
        l.referrer = (char *)c->referrer;
        l.windows = (char *)c->windows;
        l.age = c->age;
        intake_lead_t out;
        intake_error_t err;
        int rc = intake_lead_check(&l, &ctx, &out, &err, a);
        if (c->field == NULL) {
            if (rc != 0)
                fprintf(stderr, "case %zu: unexpected rejection: %s\n", i, err.reason);
            CHECK_INT(rc, 0);
        } else {
            if (rc == 0 || err.field == NULL || strcmp(err.field, c->field) != 0 ||
                strstr(err.reason, c->reason_part) == NULL)
                fprintf(stderr, "case %zu: want %s (%s), got %s: %s\n", i, c->field, c->reason_part,
                        rc == 0 ? "valid" : err.field, rc == 0 ? "" : err.reason);
            CHECK_INT(rc, -1);
            CHECK(err.field != NULL && strcmp(err.field, c->field) == 0);
            CHECK(strstr(err.reason, c->reason_part) != NULL);
        }
    }
    /* normalised: trimmed name (also the ideographic space), phone in one form, dates */
    Huifang__V1__LeadAdd l = HUIFANG__V1__LEAD_ADD__INIT;
    l.name = "  Wang Fang\xE3\x80\x80";
    l.phone = "+86 138-1234-5678";
    l.channel = "counter";
    l.birth = "1980-02-29";
    intake_lead_t out, more;
    intake_error_t err;
    CHECK_INT(intake_lead_check(&l, &ctx, &out, &err, a), 0);
    CHECK_STR(out.name, "Wang Fang");
    CHECK_STR(out.phone, "13812345678");
    CHECK_INT(out.birth, s_day("1980-02-29"));
    CHECK_INT(out.due_date, INTAKE_NO_DAY);
    CHECK_INT(out.collected_at_ms, ctx.now_ms);
    /* a merge fills empty fields and keeps known ones */
    l.birth = "1981-01-01";
    l.address = "Chaoyang Rd 1";
    l.feeding = "breast";
    CHECK_INT(intake_lead_check(&l, &ctx, &more, &err, a), 0);
    intake_lead_fill(&out, &more);
    CHECK_INT(out.birth, s_day("1980-02-29"));
    CHECK_STR(out.address, "Chaoyang Rd 1");
    CHECK_STR(out.feeding, "breast");
    hf_arena_destroy(&a);
}

/* ---- keys ---- */

static void s_hex(const uint8_t *h, char *out)
{
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", h[i]);
}

static void test_sha256(void)
{
    uint8_t h[32];
    char hex[65];
    intake_sha256("abc", 3, h);
    s_hex(h, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    intake_sha256("", 0, h);
    s_hex(h, hex);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m =
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"; /* 56 bytes: two blocks */
    intake_sha256(m, strlen(m), h);
    s_hex(h, hex);
    CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_row_keys(void)
{
    Huifang__V1__LeadAdd a = HUIFANG__V1__LEAD_ADD__INIT, b = HUIFANG__V1__LEAD_ADD__INIT;
    a.name = "王芳";
    a.phone = "13812345678";
    a.channel = "counter";
    a.address = "Chaoyang Rd 1";
    b = a;
    b.name = " 王芳\xE3\x80\x80";  /* spaces a spreadsheet added */
    b.phone = "+86 138-1234-5678"; /* the same phone written otherwise */
    char ka[37], kb[37];
    intake_row_key("BJ01", &a, ka);
    intake_row_key("BJ01", &b, kb);
    CHECK_INT(strlen(ka), 36);
    CHECK(ka[8] == '-' && ka[13] == '-' && ka[18] == '-' && ka[23] == '-');
    CHECK_STR(kb, ka);
    /* other content, another branch, or a field moved to another column: another key */
    b = a;
    b.address = "Chaoyang Rd 2";
    intake_row_key("BJ01", &b, kb);
    CHECK(strcmp(ka, kb) != 0);
    intake_row_key("SH01", &a, kb);
    CHECK(strcmp(ka, kb) != 0);
    b = a;
    b.address = "";
    b.note = "Chaoyang Rd 1";
    intake_row_key("BJ01", &b, kb);
    CHECK(strcmp(ka, kb) != 0);
    b = a;
    b.collected_at_ms = 1;
    intake_row_key("BJ01", &b, kb);
    CHECK(strcmp(ka, kb) != 0);
}

/* A branch's conversion plan per channel: the pairs it names, else the defaults. */
static void test_lead_plans(void)
{
    static const struct {
        const char *spec, *channel, *plan;
    } cases[] = {
        {"", "counter", "new-lead"},
        {"", "consult", "consult-not-converted"},
        {"", "referral", "new-lead"},
        {"none", "counter", ""},
        {"none", "consult", ""},
        {"counter=none", "counter", ""},
        {"counter=none", "hospital", "new-lead"},
        {"counter=none", "consult", "consult-not-converted"},
        {"counter=new-lead,consult=consult-not-converted,mail=my_plan", "mail", "my_plan"},
        {"consult=new-lead", "consult", "new-lead"},
        {"clinic=clinic", "clinic", "clinic"},
        {"other=x1,clinic=clinic", "other", "x1"},
    };
    char out[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        intake_error_t err;
        CHECK_INT(intake_lead_plans_check(cases[i].spec, &err), 0);
        CHECK_STR(intake_lead_plan_of(cases[i].spec, cases[i].channel, out), cases[i].plan);
    }
    static const struct {
        const char *spec, *says;
    } bad[] = {
        {"counter", "channel=plan"},      {"shop=new-lead", "shop"},
        {"counter=", "must be 1-24"},     {"counter=new lead", "must be 1-24"},
        {"counter=a,counter=b", "twice"}, {"counter=new-lead,", "comma"},
        {"=new-lead", "is not one of"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        intake_error_t err = {0};
        CHECK_INT(intake_lead_plans_check(bad[i].spec, &err), -1);
        CHECK_STR(err.field, "lead_plans");
        CHECK(strstr(err.reason, bad[i].says) != NULL);
    }
}

int main(void)
{
    TEST_CASE(test_months);
    TEST_CASE(test_stages);
    TEST_CASE(test_tiers);
    TEST_CASE(test_cards);
    TEST_CASE(test_leads);
    TEST_CASE(test_sha256);
    TEST_CASE(test_row_keys);
    TEST_CASE(test_lead_plans);
    TEST_DONE();
}
