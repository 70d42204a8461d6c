/* intake_rules: validation, stages, tiers, card types and row keys — pure functions. */
#include "intake_rules.h"
#include "hf_phone.h"
#include "hf_time.h"
#include "hf_wire.h"
#include <ctype.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")

/* ---- calendar ---- */

/* Civil date of a day number (days since 1970-01-01), proleptic Gregorian. */
static void s_civil(int32_t day, int *y, int *m, int *d)
{
    /* shift the epoch to 0000-03-01 so that leap days fall at the end of a 400-year era */
    int64_t z = (int64_t)day + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int s_days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* Completed months from a to b, a <= b. A month is complete on the same day of the month,
 * or on the last day of a shorter month (born on 31 January: one month old on 28 February). */
static int s_months_between(int32_t a, int32_t b)
{
    int ay, am, ad, by, bm, bd;
    s_civil(a, &ay, &am, &ad);
    s_civil(b, &by, &bm, &bd);
    int months = (by - ay) * 12 + (bm - am);
    if (bd < ad && bd != s_days_in_month(by, bm))
        months--;
    return months;
}

int intake_age_months(int32_t ref, int32_t today)
{
    if (today >= ref)
        return s_months_between(ref, today);
    return -1 - s_months_between(today, ref);
}

const char *intake_stage_of(const intake_stage_rule_t *rules, int n, int32_t ref, int32_t today)
{
    if (ref < 0)
        return "";
    int months = intake_age_months(ref, today);
    int days = today - ref;
    for (int i = 0; i < n; i++) {
        int age = rules[i].months ? months : days;
        if (rules[i].has_from && age < rules[i].from)
            continue;
        if (rules[i].has_to && age > rules[i].to)
            continue;
        return rules[i].code;
    }
    return "";
}

const char *intake_tier_of(const intake_tier_rule_t *rules, int n, int64_t spend_fen, int purchases)
{
    static const char *order[] = {"gold", "silver", "member"};
    for (int t = 0; t < 3; t++)
        for (int i = 0; i < n; i++)
            if (strcmp(rules[i].tier, order[t]) == 0 && spend_fen >= rules[i].min_spend_fen &&
                purchases >= rules[i].min_purchases)
                return order[t];
    return "regular";
}

/* ---- card types ---- */

const char *intake_void_reason(const char *s)
{
    static const char *reasons[] = {"invalid-phone", "out-of-area", "unanswered",
                                    "hostile",       "refused",     NULL};
    for (int i = 0; reasons[i]; i++)
        if (strcmp(S(s), reasons[i]) == 0)
            return reasons[i];
    if (strcmp(S(s), "wrong-number") == 0)
        return "invalid-phone";
    return NULL;
}

int intake_card_manual(const char *from, const char *to, int purchases, const char **why)
{
    *why = NULL;
    if (strcmp(to, "void") == 0) {
        if (strcmp(from, "void") == 0)
            *why = "the card is already void";
        return *why ? -1 : 0;
    }
    if (strcmp(to, "customer") == 0) {
        if (strcmp(from, "void") == 0 && purchases > 0)
            return 0; /* reopening the card of someone who bought before */
        *why = strcmp(from, "customer") == 0 ? "the card is already a customer card"
                                             : "a card becomes a customer card with a purchase "
                                               "(huifang purchase add)";
        return -1;
    }
    if (strcmp(to, "new") != 0 && strcmp(to, "one-on-one") != 0) {
        *why = "the card type must be new, one-on-one, customer or void";
        return -1;
    }
    if (strcmp(from, to) == 0) {
        *why =
            strcmp(to, "new") == 0 ? "the card is already new" : "the card is already one-on-one";
        return -1;
    }
    if (purchases > 0) {
        *why = "the customer has bought: the card can only be customer or void";
        return -1;
    }
    if (strcmp(to, "new") == 0 && strcmp(from, "void") != 0) {
        *why = "a card that was talked to cannot become new again";
        return -1;
    }
    return 0; /* new -> one-on-one, void -> new, void -> one-on-one */
}

static int s_card_rank(const char *t)
{
    if (strcmp(t, "customer") == 0)
        return 3;
    if (strcmp(t, "one-on-one") == 0)
        return 2;
    if (strcmp(t, "new") == 0)
        return 1;
    return 0;
}

const char *intake_card_merged(const char *keep, const char *keep_reason, const char *other,
                               const char *other_reason, const char **reason)
{
    *reason = "";
    bool kv = strcmp(keep, "void") == 0, ov = strcmp(other, "void") == 0;
    bool k_said_no =
        kv && (strcmp(keep_reason, "refused") == 0 || strcmp(keep_reason, "hostile") == 0);
    bool o_said_no =
        ov && (strcmp(other_reason, "refused") == 0 || strcmp(other_reason, "hostile") == 0);
    if (k_said_no || (kv && ov && !o_said_no)) {
        *reason = keep_reason;
        return "void";
    }
    if (o_said_no) {
        *reason = other_reason;
        return "void";
    }
    if (kv)
        return other;
    if (ov)
        return keep;
    return s_card_rank(keep) >= s_card_rank(other) ? keep : other;
}

/* ---- text ---- */

/* True when s is valid UTF-8 without overlong forms or surrogates. */
static bool s_utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        int n;
        uint32_t cp;
        if ((*p & 0xE0) == 0xC0) {
            n = 1;
            cp = *p & 0x1F;
        } else if ((*p & 0xF0) == 0xE0) {
            n = 2;
            cp = *p & 0x0F;
        } else if ((*p & 0xF8) == 0xF0) {
            n = 3;
            cp = *p & 0x07;
        } else {
            return false;
        }
        for (int i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        p += n + 1;
    }
    return true;
}

/* The span of s without white space at either end: ASCII white space and the ideographic
 * space (U+3000, common in Chinese spreadsheets). */
static const char *s_trim_span(const char *s, size_t *len)
{
    s = S(s);
    for (;;) {
        if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
            s++;
        else if ((unsigned char)s[0] == 0xE3 && (unsigned char)s[1] == 0x80 &&
                 (unsigned char)s[2] == 0x80)
            s += 3;
        else
            break;
    }
    size_t n = strlen(s);
    for (;;) {
        if (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
            n--;
        else if (n >= 3 && (unsigned char)s[n - 3] == 0xE3 && (unsigned char)s[n - 2] == 0x80 &&
                 (unsigned char)s[n - 1] == 0x80)
            n -= 3;
        else
            break;
    }
    *len = n;
    return s;
}

/* A trimmed copy of s in the arena. */
static const char *s_trim(hf_arena_t *a, const char *s)
{
    size_t n;
    const char *t = s_trim_span(s, &n);
    if (t[n] == '\0')
        return t; /* nothing at the end to cut: the input lives as long as the lead */
    char *out = hf_arena_alloc(a, n + 1);
    memcpy(out, t, n);
    out[n] = '\0';
    return out;
}

/* Values are shown but cut, so a runaway cell cannot flood a reply: SHOWN(v) is v in at most
 * 80 bytes, "..." marking a cut, in a buffer that lives to the end of the caller's block. */
#define SHOWN(v) s_cut((char[80]){""}, 80, (v))
static const char *s_cut(char *buf, size_t size, const char *value)
{
    snprintf(buf, size, "%s", S(value));
    if (strlen(S(value)) >= size)
        memcpy(buf + size - 4, "...", 4);
    return buf;
}

/* Sets err to field and a reason printed from fmt; returns -1. printf-like, so the compiler
 * checks each call's format against its arguments. */
static int s_err(intake_error_t *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int s_err(intake_error_t *err, const char *field, const char *fmt, ...)
{
    err->field = field;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
    return -1;
}

/* Free text: valid UTF-8, at most max bytes, no control characters (line breaks allowed
 * where multiline is true). */
static int s_check_text(const char *v, const char *field, size_t max, bool multiline,
                        intake_error_t *err)
{
    if (!s_utf8_ok(v))
        return s_err(err, field, "%s is not valid UTF-8 text (wrong --encoding?)", field);
    if (strlen(v) > max) {
        err->field = field;
        snprintf(err->reason, sizeof err->reason, "%s is longer than %zu bytes", field, max);
        return -1;
    }
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if ((*p < 0x20 && !(multiline && (*p == '\n' || *p == '\r' || *p == '\t'))) || *p == 0x7F)
            return s_err(err, field, "%s contains control characters", field);
    if (strstr(v, "\xEF\xBF\xBD"))
        return s_err(err, field, "%s \"%s\" holds an undecodable character (wrong --encoding?)",
                     field, SHOWN(v));
    return 0;
}

/* The code point of the invisible formatting character at p (valid UTF-8), or 0: the zero
 * widths and direction marks (U+200B..U+200F), the bidirectional embeddings, overrides and
 * isolates (U+202A..U+202E, U+2066..U+2069), the word joiner and invisible operators
 * (U+2060..U+2064), the soft hyphen (U+00AD), the Mongolian vowel separator (U+180E) and the
 * byte order mark (U+FEFF). A name holding one looks like another name and is not found by
 * what a person types, or shows reversed: such a name is refused, never stored. */
static uint32_t s_invisible_at(const unsigned char *p)
{
    uint32_t c;
    if (p[0] == 0xC2 && p[1] == 0xAD)
        return 0xAD;
    if ((p[0] & 0xF0) != 0xE0)
        return 0;
    c = ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (uint32_t)(p[2] & 0x3F);
    if ((c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
        (c >= 0x2060 && c <= 0x2064) || (c >= 0x2066 && c <= 0x2069) || c == 0x180E || c == 0xFEFF)
        return c;
    return 0;
}

int intake_check_name(const char *name, const char *field, intake_error_t *err)
{
    const char *v = S(name);
    if (*v == '\0') {
        err->field = field;
        snprintf(err->reason, sizeof err->reason, "%s is required", field);
        return -1;
    }
    if (s_check_text(v, field, 60, false, err) != 0)
        return -1;
    bool letter = false;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        uint32_t hidden = s_invisible_at(p);
        if (hidden) {
            err->field = field;
            snprintf(err->reason, sizeof err->reason,
                     "%s holds an invisible formatting character (U+%04X): type the name as it"
                     " reads",
                     field, (unsigned)hidden);
            return -1;
        }
        if (isdigit(*p))
            return s_err(err, field, "%s \"%s\" has digits (a phone number in the name column?)",
                         field, SHOWN(v));
        if (isalpha(*p) || *p >= 0x80)
            letter = true;
    }
    if (!letter)
        return s_err(err, field, "%s \"%s\" has no letter", field, SHOWN(v));
    return 0;
}

int intake_check_channel(const char *channel, intake_error_t *err)
{
    static const char *channels[] = {"counter", "consult",  "clinic", "hospital",
                                     "mail",    "referral", "other",  NULL};
    for (int i = 0; channels[i]; i++)
        if (strcmp(S(channel), channels[i]) == 0)
            return 0;
    if (channel == NULL || *channel == '\0') {
        err->field = "channel";
        snprintf(err->reason, sizeof err->reason, "channel is required");
        return -1;
    }
    return s_err(
        err, "channel",
        "%s \"%s\" is not one of counter, consult, clinic, hospital, mail, referral, other",
        "channel", SHOWN(channel));
}

/* ---- the conversion plan of a lead ---- */

int intake_lead_plans_check(const char *spec, intake_error_t *err)
{
    const char *s = S(spec);
    if (*s == '\0' || strcmp(s, "none") == 0)
        return 0;
    if (strlen(s) > 400)
        return s_err(err, "lead_plans", "lead_plans is longer than 400 bytes");
    char seen[8][16];
    int nseen = 0;
    while (*s) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        if (eq == NULL)
            return s_err(err, "lead_plans",
                         "lead_plans \"%.*s\" must be channel=plan (e.g. counter=new-lead)",
                         (int)len, s);
        char channel[16];
        size_t clen = (size_t)(eq - s);
        snprintf(channel, sizeof channel, "%.*s", (int)(clen < 15 ? clen : 15), s);
        intake_error_t cerr;
        if (clen >= sizeof channel || intake_check_channel(channel, &cerr) != 0)
            return s_err(err, "lead_plans",
                         "lead_plans: \"%.*s\" is not one of counter, consult, clinic, hospital,"
                         " mail, referral, other",
                         (int)clen, s);
        for (int i = 0; i < nseen; i++)
            if (strcmp(seen[i], channel) == 0)
                return s_err(err, "lead_plans", "lead_plans names channel %s twice", channel);
        if (nseen < 8)
            snprintf(seen[nseen++], sizeof seen[0], "%s", channel);
        size_t plen = len - clen - 1;
        if (!hf_code_valid(eq + 1, plen))
            return s_err(err, "lead_plans",
                         "lead_plans: plan \"%.*s\" of %s must be 1-24 letters, digits, '-' or"
                         " '_' (or none)",
                         (int)(plen < 40 ? plen : 40), eq + 1, channel);
        s += len;
        if (*s == ',') {
            s++;
            if (*s == '\0')
                return s_err(err, "lead_plans", "lead_plans ends with a comma");
        }
    }
    return 0;
}

const char *intake_lead_plan_of(const char *spec, const char *channel, char out[32])
{
    const char *s = S(spec);
    const char *ch = S(channel);
    snprintf(out, 32, "%s", strcmp(ch, "consult") == 0 ? "consult-not-converted" : "new-lead");
    if (strcmp(s, "none") == 0) {
        out[0] = '\0';
        return out;
    }
    size_t chlen = strlen(ch);
    while (*s) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (len > chlen && strncmp(s, ch, chlen) == 0 && s[chlen] == '=') {
            size_t plen = len - chlen - 1;
            snprintf(out, 32, "%.*s", (int)(plen < 31 ? plen : 31), s + chlen + 1);
            break;
        }
        s += len;
        if (*s == ',')
            s++;
    }
    if (strcmp(out, "none") == 0)
        out[0] = '\0';
    return out;
}

static int s_choice(const char *v, const char *field, const char *const *choices, const char *list,
                    intake_error_t *err)
{
    if (*v == '\0')
        return 0;
    for (int i = 0; choices[i]; i++)
        if (strcmp(v, choices[i]) == 0)
            return 0;
    err->field = field;
    char shown[40];
    snprintf(shown, sizeof shown, "%s", v);
    snprintf(err->reason, sizeof err->reason, "%s \"%s\" must be %s", field, shown, list);
    return -1;
}

/* A code: 1..24 letters, digits, '-' or '_'. */
static bool s_code_ok(const char *s)
{
    return hf_code_valid(s, strlen(s));
}

#define DAY_1900 (-25567) /* 1900-01-01 */

/* An optional date between lo and hi (day numbers); *day = -1 when empty. */
static int s_date(const char *v, const char *field, int32_t lo, int32_t hi, const char *too_late,
                  int32_t *day, intake_error_t *err)
{
    *day = INTAKE_NO_DAY;
    if (*v == '\0')
        return 0;
    if (hf_date_parse(v, day) != 0)
        return s_err(err, field, "%s \"%s\" is not a date (YYYY-MM-DD)", field, SHOWN(v));
    if (*day < lo)
        return s_err(err, field, "%s %s is too far in the past", field, SHOWN(v));
    if (*day > hi) {
        err->field = field;
        snprintf(err->reason, sizeof err->reason, "%s %s %s", field, v, too_late);
        return -1;
    }
    return 0;
}

int intake_lead_check(const Huifang__V1__LeadAdd *in, const intake_check_ctx_t *ctx,
                      intake_lead_t *out, intake_error_t *err, hf_arena_t *a)
{
    memset(out, 0, sizeof *out);
    err->field = NULL;
    err->reason[0] = '\0';
    out->name = s_trim(a, in->name);
    if (intake_check_name(out->name, "name", err) != 0)
        return -1;
    const char *phone = s_trim(a, in->phone);
    const char *why = NULL;
    if (*phone == '\0') {
        err->field = "phone";
        snprintf(err->reason, sizeof err->reason, "phone is required");
        return -1;
    }
    if (hf_phone_normalise(phone, out->phone, sizeof out->phone, &why) != 0) {
        char shown[40];
        snprintf(shown, sizeof shown, "%s", phone);
        err->field = "phone";
        snprintf(err->reason, sizeof err->reason, "phone \"%s\" %s", shown, S(why));
        return -1;
    }
    out->channel = s_trim(a, in->channel);
    if (intake_check_channel(out->channel, err) != 0)
        return -1;

    /* free text, each with its limit */
    static const struct {
        const char *field;
        size_t offset_in, offset_out, max;
        bool multiline;
    } texts[] = {
#define T(f, max, ml) {#f, offsetof(Huifang__V1__LeadAdd, f), offsetof(intake_lead_t, f), max, ml}
        T(address, 200, false),  T(collector, 60, false), T(source, 100, false),
        T(note, 500, true),      T(referrer, 100, false), T(route, 300, true),
        T(condition, 500, true), T(baby_name, 60, false), T(current_brand, 60, false),
        T(employer, 100, false), T(hobbies, 200, false),  T(health, 300, true),
        T(region, 24, false),    T(gender, 8, false),     T(baby_sex, 8, false),
        T(feeding, 16, false),   T(windows, 100, false),  T(language, 35, false),
#undef T
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        const char *raw = *(char *const *)((const char *)in + texts[i].offset_in);
        const char *v = s_trim(a, raw);
        if (s_check_text(v, texts[i].field, texts[i].max, texts[i].multiline, err) != 0)
            return -1;
        *(const char **)((char *)out + texts[i].offset_out) = v;
    }
    if (*out->baby_name && intake_check_name(out->baby_name, "baby_name", err) != 0)
        return -1;

    static const char *const sexes[] = {"f", "m", NULL};
    static const char *const feedings[] = {"breast", "formula", "mixed", NULL};
    if (s_choice(out->gender, "gender", sexes, "f or m", err) != 0 ||
        s_choice(out->baby_sex, "baby_sex", sexes, "f or m", err) != 0 ||
        s_choice(out->feeding, "feeding", feedings, "breast, formula or mixed", err) != 0)
        return -1;

    if (*out->region) {
        if (!s_code_ok(out->region))
            return s_err(err, "region", "%s \"%s\" must be 1-24 letters, digits, '-' or '_'",
                         "region", SHOWN(out->region));
        bool known = ctx->nregions == 0;
        for (int i = 0; i < ctx->nregions && !known; i++)
            known = strcmp(ctx->regions[i], out->region) == 0;
        if (!known) {
            char list[160] = "";
            for (int i = 0; i < ctx->nregions && strlen(list) < 120; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                         ctx->regions[i]);
            char shown[32];
            snprintf(shown, sizeof shown, "%s", out->region);
            err->field = "region";
            snprintf(err->reason, sizeof err->reason,
                     "region \"%s\" is not covered by any agent of the branch (%s)", shown, list);
            return -1;
        }
    }
    if (*out->language && !intake_language_ok(out->language))
        return s_err(err, "language",
                     "%s \"%s\" must be a BCP 47 language tag: a language of 2-3 letters,"
                     " then subtags of 2-8 letters or digits after '-' (zh, en, zh-Hant, "
                     "zh-CN)",
                     "language", SHOWN(out->language));
    if (*out->windows) {
        hf_window_t w[8];
        if (hf_windows_parse(out->windows, w, 8) < 0)
            return s_err(err, "windows",
                         "%s \"%s\" must look like 11:30-14:00,18:00-20:00 (start before end, no "
                         "overlaps)",
                         "windows", SHOWN(out->windows));
    }

    int32_t today = ctx->today;
    if (s_date(s_trim(a, in->birth), "birth", DAY_1900, today, "is in the future", &out->birth,
               err) != 0 ||
        s_date(s_trim(a, in->baby_birth), "baby_birth", today - 3660, today, "is in the future",
               &out->baby_birth, err) != 0 ||
        s_date(s_trim(a, in->due_date), "due_date", today - 3660, today + 300,
               "is more than 300 days ahead", &out->due_date, err) != 0 ||
        s_date(s_trim(a, in->ref_date), "ref_date", DAY_1900, today + 300,
               "is more than 300 days ahead", &out->ref_date, err) != 0)
        return -1;
    if (in->age < 0 || in->age > 130) {
        err->field = "age";
        snprintf(err->reason, sizeof err->reason, "age %d must be 0..130", (int)in->age);
        return -1;
    }
    out->age = in->age;
    /* collected no earlier than 2000 and not in the future (five minutes of clock skew) */
    if (in->collected_at_ms != 0 &&
        (in->collected_at_ms < 946684800000LL || in->collected_at_ms > ctx->now_ms + 300000)) {
        err->field = "collected_at";
        snprintf(err->reason, sizeof err->reason,
                 "collected_at must be after 2000 and not in the future");
        return -1;
    }
    out->collected_at_ms = in->collected_at_ms ? in->collected_at_ms : ctx->now_ms;
    if (in->referrer_customer_id < 0) {
        err->field = "referrer_customer_id";
        snprintf(err->reason, sizeof err->reason, "referrer_customer_id must not be negative");
        return -1;
    }
    out->referrer_customer_id = in->referrer_customer_id;
    if (strcmp(out->channel, "referral") == 0 && *out->referrer == '\0' &&
        out->referrer_customer_id == 0) {
        err->field = "referrer";
        snprintf(err->reason, sizeof err->reason,
                 "referrer is required for channel referral (by whom: a customer, a relative, "
                 "an organisation)");
        return -1;
    }
    return 0;
}

void intake_lead_fill(intake_lead_t *dst, const intake_lead_t *src)
{
#define FILL_S(f)                                                                                  \
    if (*dst->f == '\0')                                                                           \
        dst->f = src->f;
#define FILL_D(f)                                                                                  \
    if (dst->f == INTAKE_NO_DAY)                                                                   \
        dst->f = src->f;
    FILL_S(region)
    FILL_S(address)
    FILL_S(gender)
    FILL_S(route)
    FILL_S(condition)
    FILL_S(baby_name)
    FILL_S(baby_sex)
    FILL_S(current_brand)
    FILL_S(feeding)
    FILL_S(employer)
    FILL_S(hobbies)
    FILL_S(health)
    FILL_S(windows)
    FILL_S(language)
    FILL_D(birth)
    FILL_D(ref_date)
    FILL_D(baby_birth)
    FILL_D(due_date)
    if (dst->age == 0)
        dst->age = src->age;
#undef FILL_S
#undef FILL_D
}

/* ---- SHA-256 ---- */

/* SHA-256 comes from OpenSSL's libcrypto: a maintained implementation, not ours. */
void intake_sha256(const void *data, size_t len, uint8_t out[32])
{
    unsigned int n = 32;
    if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1)
        memset(out, 0, 32); /* cannot happen with the built-in provider */
}

/* ---- row keys ---- */

typedef struct {
    char buf[4096];
    size_t len;
    bool overflow;
} s_keybuf_t;

/* Appends a field, trimmed, and a separator that cannot occur in text (0x1F). Rows longer
 * than the buffer hash their first 4 KiB plus their length, which is plenty to tell rows
 * apart. */
static void s_key_add(s_keybuf_t *k, const char *v, size_t *total)
{
    size_t n;
    const char *t = s_trim_span(v, &n);
    *total += n + 1;
    size_t room = sizeof k->buf - k->len;
    if (n + 1 > room) {
        k->overflow = true;
        n = room > 0 ? room - 1 : 0;
    }
    memcpy(k->buf + k->len, t, n);
    k->len += n;
    if (k->len < sizeof k->buf)
        k->buf[k->len++] = 0x1F;
}

void intake_row_key(const char *branch, const Huifang__V1__LeadAdd *r, char out[37])
{
    s_keybuf_t k = {.len = 0, .overflow = false};
    size_t total = 0;
    char phone[24], num[3][24];
    const char *why;
    const char *ph =
        hf_phone_normalise(S(r->phone), phone, sizeof phone, &why) == 0 ? phone : r->phone;
    snprintf(num[0], sizeof num[0], "%lld", (long long)r->collected_at_ms);
    snprintf(num[1], sizeof num[1], "%d", (int)r->age);
    snprintf(num[2], sizeof num[2], "%lld", (long long)r->referrer_customer_id);
    const char *fields[] = {
        branch,           r->name,      ph,          r->channel,    r->region,
        r->address,       r->gender,    r->birth,    r->ref_date,   r->collector,
        r->source,        r->note,      num[0],      r->referrer,   r->route,
        r->condition,     r->baby_name, r->baby_sex, r->baby_birth, r->due_date,
        r->current_brand, r->feeding,   r->employer, r->hobbies,    r->health,
        num[1],           r->windows,   num[2]};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        s_key_add(&k, fields[i], &total);
    if (k.overflow && k.len + 24 <= sizeof k.buf)
        k.len += (size_t)snprintf(k.buf + k.len, 24, "%zu", total);
    uint8_t h[32];
    intake_sha256(k.buf, k.len, h);
    /* a uuid-shaped text, which Postgres stores in 16 bytes */
    static const char hex[] = "0123456789abcdef";
    int o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[h[i] >> 4];
        out[o++] = hex[h[i] & 15];
    }
    out[o] = '\0';
}

bool intake_language_ok(const char *tag)
{
    size_t n = strlen(tag), run = 0, part = 0;
    if (n == 0 || n > 35)
        return false;
    for (size_t i = 0; i <= n; i++) {
        char ch = tag[i];
        if (ch == '-' || ch == '\0') {
            /* the primary language: 2-3 letters; a subtag: 1-8 letters or digits */
            if (part == 0 ? run < 2 || run > 3 : run < 1 || run > 8)
                return false;
            part++;
            run = 0;
            continue;
        }
        if (part == 0 ? !isalpha((unsigned char)ch) : !isalnum((unsigned char)ch))
            return false;
        run++;
    }
    return true;
}
