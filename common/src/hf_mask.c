/* hf_mask: personal data masked the same way everywhere it is shown.
 *
 * Our customers are patients, and PIPL treats what we hold about them as sensitive; the
 * national guideline (GB/T 35273 §7.2) asks that screens and exports show it
 * de-identified. There is no national format, so we follow the one Chinese libraries
 * agree on (hutool's DesensitizedUtil): mobile 138****5678, name 张**. Two choices go
 * beyond it:
 *   - a Latin name masks every part ("Wang Fang" -> "W*** F***"): keeping the first
 *     letter only of the whole string used to leave the given name readable when a log
 *     line split the value at its space;
 *   - the number of stars is fixed ("**", "***"), so a mask does not tell a name's length.
 *
 * Which fields are personal is one table, below, used by hf_log for log keys and by the
 * event tap for protobuf fields by name.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strcasestr */
#endif
#include "hf_mask.h"
#include "hf_phone.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------------------------------
 * The table: which fields carry personal data
 *
 * A row with a message type applies to that message only and is looked at first; a row
 * without one applies to a field (or log key) of that name anywhere. A field in no row is
 * not masked, only passed through the mobile safety net. When a field is added to a
 * .proto, add it here if it can hold a name, a phone, an address, a date of birth or
 * anything a person typed about a customer.
 * ------------------------------------------------------------------------------------- */

typedef struct {
    const char *message; /* short .proto message name, or NULL for any */
    const char *field;
    hf_mask_kind_t kind;
} s_field_rule_t;

static const s_field_rule_t s_rules[] = {
    /* "name" is a person's name unless the message is about a thing. Staff names (Agent)
     * stay readable: they are the agents' work identity, and the reports name them. */
    {"Branch", "name", HF_MASK_NONE},
    {"Product", "name", HF_MASK_NONE},
    {"ProductEdit", "name", HF_MASK_NONE},
    {"PlanTemplate", "name", HF_MASK_NONE},
    {"Outcome", "name", HF_MASK_NONE},
    {"ReportRequest", "name", HF_MASK_NONE},
    {"ReportResult", "name", HF_MASK_NONE},
    {"Agent", "name", HF_MASK_NONE},
    {"Gift", "name", HF_MASK_NONE},
    {"AgentEdit", "name", HF_MASK_NONE},
    /* a segment's and a campaign's names are the staff's labels, the place an event's */
    {"Segment", "name", HF_MASK_NONE},
    {"SegmentAdd", "name", HF_MASK_NONE},
    {"Campaign", "name", HF_MASK_NONE},
    {"CampaignAdd", "name", HF_MASK_NONE},
    /* the complaint's plan is what staff wrote to solve it; elsewhere "plan" is a template */
    {"Complaint", "plan", HF_MASK_TEXT},
    {"ComplaintFile", "plan", HF_MASK_TEXT},
    /* a hand edit's before and after are as personal as the field they belong to */
    {"FieldChange", "from", HF_MASK_VIA_FIELD},
    {"FieldChange", "to", HF_MASK_VIA_FIELD},

    /* phones */
    {NULL, "phone", HF_MASK_PHONE},
    {NULL, "phones", HF_MASK_PHONE},
    {NULL, "mobile", HF_MASK_PHONE},
    {NULL, "tel", HF_MASK_PHONE},
    {NULL, "customer_phone", HF_MASK_PHONE},
    {NULL, "referral_phone", HF_MASK_PHONE},
    /* names of people */
    {NULL, "name", HF_MASK_NAME},
    {NULL, "customer_name", HF_MASK_NAME},
    {NULL, "baby_name", HF_MASK_NAME},
    {NULL, "referral_name", HF_MASK_NAME},
    /* addresses and free text: what was said, written down or found about a person */
    {NULL, "address", HF_MASK_TEXT},
    {NULL, "delivery_address", HF_MASK_TEXT},
    {NULL, "route", HF_MASK_TEXT},
    {NULL, "referrer", HF_MASK_TEXT},
    {NULL, "employer", HF_MASK_TEXT},
    {NULL, "hobbies", HF_MASK_TEXT},
    {NULL, "regulator_contact", HF_MASK_TEXT},
    {NULL, "note", HF_MASK_TEXT},
    {NULL, "notes", HF_MASK_TEXT},
    {NULL, "ack_note", HF_MASK_TEXT},
    {NULL, "text", HF_MASK_TEXT},
    {NULL, "description", HF_MASK_TEXT},
    {NULL, "summary", HF_MASK_TEXT},
    {NULL, "resolution", HF_MASK_TEXT},
    {NULL, "decision_reason", HF_MASK_TEXT},
    {NULL, "skip_reason", HF_MASK_TEXT},
    {NULL, "advice", HF_MASK_TEXT},
    /* health: symptoms, conditions, medication and its use (sensitive under PIPL Art. 28) */
    {NULL, "symptoms", HF_MASK_TEXT},
    {NULL, "condition", HF_MASK_TEXT},
    {NULL, "chief_complaint", HF_MASK_TEXT},
    {NULL, "health", HF_MASK_TEXT},
    {NULL, "other_medicines", HF_MASK_TEXT},
    {NULL, "dose", HF_MASK_TEXT},
    {NULL, "timing", HF_MASK_TEXT},
    {NULL, "diet", HF_MASK_TEXT},
    /* dates that identify a person or reveal a pregnancy */
    {NULL, "birth", HF_MASK_DATE},
    {NULL, "baby_birth", HF_MASK_DATE},
    {NULL, "due_date", HF_MASK_DATE},
    /* who acted: staff codes are kept, a phone number or a name given as an id is not */
    {NULL, "actor", HF_MASK_ACTOR},
    {NULL, "by", HF_MASK_ACTOR},
    {NULL, "user", HF_MASK_ACTOR},
    {NULL, "agent", HF_MASK_ACTOR},
    {NULL, "owner", HF_MASK_ACTOR},
    {NULL, "reviewer", HF_MASK_ACTOR},
    {NULL, "deliverer", HF_MASK_ACTOR},
    {NULL, "collector", HF_MASK_ACTOR},
    {NULL, "decided_by", HF_MASK_ACTOR},
    {NULL, "acked_by", HF_MASK_ACTOR},
    {NULL, "raised_by", HF_MASK_ACTOR},
    {NULL, "filed_by", HF_MASK_ACTOR},
    {NULL, "requested_by", HF_MASK_ACTOR},
    {NULL, "reserved_agent", HF_MASK_ACTOR},
};

hf_mask_kind_t hf_mask_kind(const char *message, const char *field)
{
    if (field == NULL)
        return HF_MASK_NONE;
    size_t n = sizeof s_rules / sizeof s_rules[0];
    if (message != NULL)
        for (size_t i = 0; i < n; i++)
            if (s_rules[i].message && strcasecmp(s_rules[i].message, message) == 0 &&
                strcasecmp(s_rules[i].field, field) == 0)
                return s_rules[i].kind;
    for (size_t i = 0; i < n; i++)
        if (s_rules[i].message == NULL && strcasecmp(s_rules[i].field, field) == 0)
            return s_rules[i].kind;
    /* names not in the table yet: "work_phone", "mother_name" */
    size_t len = strlen(field);
    if (strcasestr(field, "phone") || strcasestr(field, "mobile"))
        return HF_MASK_PHONE;
    if (len > 5 && strcasecmp(field + len - 5, "_name") == 0)
        return HF_MASK_NAME;
    return HF_MASK_NONE;
}

/* ---------------------------------------------------------------------------------------
 * UTF-8 and output helpers
 * ------------------------------------------------------------------------------------- */

/* Length in bytes of the UTF-8 character starting at s: the lead byte and the
 * continuation bytes (10xxxxxx) after it, at most 4. Broken sequences count byte by byte,
 * so a mask never stops in the middle of a character and never loops. */
static size_t s_char_len(const char *s)
{
    size_t len = 1;
    while (len < 4 && s[len] != '\0' && ((unsigned char)s[len] & 0xC0) == 0x80)
        len++;
    return len;
}

static size_t s_char_count(const char *s)
{
    size_t count = 0;
    for (const char *p = s; *p; p += s_char_len(p))
        count++;
    return count;
}

/* A writer that appends whole pieces only: a piece that does not fit is dropped, and so
 * is everything after it, so the output is always a prefix made of whole characters. */
typedef struct {
    char *out;
    size_t cap;
    size_t len;
    bool full;
} s_out_t;

static void s_out_init(s_out_t *o, char *out, size_t outlen)
{
    o->out = out;
    o->cap = outlen;
    o->len = 0;
    o->full = (out == NULL || outlen == 0);
    if (!o->full)
        out[0] = '\0';
}

static void s_put(s_out_t *o, const char *s, size_t n)
{
    if (o->full)
        return;
    if (o->len + n + 1 > o->cap) {
        o->full = true;
        return;
    }
    memcpy(o->out + o->len, s, n);
    o->len += n;
    o->out[o->len] = '\0';
}

static void s_puts(s_out_t *o, const char *s)
{
    s_put(o, s, strlen(s));
}

static bool s_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool s_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ---------------------------------------------------------------------------------------
 * Phones
 * ------------------------------------------------------------------------------------- */

void hf_mask_phone(const char *phone, char *out, size_t outlen)
{
    s_out_t o;
    s_out_init(&o, out, outlen);
    if (phone == NULL || *phone == '\0' || o.full)
        return;

    /* Masking the normalised form means "+86 138 1234 5678" and "13812345678" look the
     * same everywhere, and the mask is shaped the same for every way of writing. */
    char norm[32];
    if (hf_phone_normalise(phone, norm, sizeof norm, NULL) == 0) {
        const char *dash = strchr(norm, '-');
        size_t len = strlen(norm);
        size_t head = dash ? (size_t)(dash - norm) + 1 : 3; /* area code and dash, or 3 */
        s_put(&o, norm, head);
        s_puts(&o, "****");
        s_put(&o, norm + len - 4, 4);
        if (o.full && outlen > 0)
            out[0] = '\0'; /* half a mask could be most of the number: show nothing */
        return;
    }

    /* Not a number we understand: hide all but the last two characters, one '*' for
     * each, so a list still shows how long the entry was. The tail is always kept whole,
     * even if fewer stars fit. */
    size_t chars = s_char_count(phone);
    size_t hidden = chars > 2 ? chars - 2 : 0;
    const char *tail = phone;
    for (size_t i = 0; i < hidden; i++)
        tail += s_char_len(tail);
    size_t tail_len = strlen(tail);
    if (tail_len + 1 > outlen)
        return;
    size_t stars = hidden;
    if (stars > outlen - 1 - tail_len)
        stars = outlen - 1 - tail_len;
    memset(out, '*', stars);
    memcpy(out + stars, tail, tail_len + 1);
}

/* ---------------------------------------------------------------------------------------
 * Names
 * ------------------------------------------------------------------------------------- */

/* True for a character of the CJK blocks a Chinese name is written in (U+2E80..U+9FFF,
 * U+F900..U+FAFF, and the supplementary ideographs U+20000..): three or four UTF-8 bytes
 * with a lead byte from E2 BA on. */
static bool s_is_cjk(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] >= 0xE3 && u[0] <= 0xE9)
        return true;
    if (u[0] == 0xE2 && u[1] >= 0xBA)
        return true;
    if (u[0] == 0xEF && u[1] >= 0xA4 && u[1] <= 0xAB)
        return true;
    return u[0] == 0xF0 && u[1] >= 0xA0;
}

void hf_mask_name(const char *name, char *out, size_t outlen)
{
    s_out_t o;
    s_out_init(&o, out, outlen);
    if (name == NULL || o.full)
        return;
    const char *p = name;
    while (s_is_space(*p))
        p++;
    if (*p == '\0')
        return;
    if (s_is_cjk(p)) {
        /* 张三丰 -> 张**: the surname and a fixed mask */
        s_put(&o, p, s_char_len(p));
        s_puts(&o, "**");
        if (o.full && outlen > 0)
            out[0] = '\0';
        return;
    }
    /* Latin and other scripts: every part by its first character, "Mary Ann Smith" ->
     * "M*** A*** S***"; a part that does not fit whole is left out. */
    bool first = true;
    while (*p) {
        while (s_is_space(*p))
            p++;
        if (*p == '\0')
            break;
        size_t before = o.len;
        if (!first)
            s_puts(&o, " ");
        s_put(&o, p, s_char_len(p));
        s_puts(&o, "***");
        if (o.full) {
            if (before < o.cap)
                out[before] = '\0';
            o.len = before;
            break;
        }
        first = false;
        while (*p && !s_is_space(*p))
            p += s_char_len(p);
    }
}

/* ---------------------------------------------------------------------------------------
 * Free text, dates and actors
 * ------------------------------------------------------------------------------------- */

void hf_mask_text(const char *text, char *out, size_t outlen)
{
    s_out_t o;
    s_out_init(&o, out, outlen);
    if (text == NULL || *text == '\0' || o.full)
        return;
    char buf[48];
    size_t n = s_char_count(text);
    snprintf(buf, sizeof buf, "[%zu char%s]", n, n == 1 ? "" : "s");
    s_puts(&o, buf);
}

void hf_mask_date(const char *date, char *out, size_t outlen)
{
    s_out_t o;
    s_out_init(&o, out, outlen);
    if (date == NULL || *date == '\0' || o.full)
        return;
    /* YYYY-MM-DD, possibly followed by a time */
    bool ymd = strlen(date) >= 10 && date[4] == '-' && date[7] == '-';
    for (int i = 0; ymd && i < 10; i++)
        if (i != 4 && i != 7 && !s_is_digit(date[i]))
            ymd = false;
    if (!ymd) {
        hf_mask_text(date, out, outlen);
        return;
    }
    s_put(&o, date, 4);
    s_puts(&o, "-**-**");
    if (o.full)
        out[0] = '\0';
}

/* A staff code: ASCII letters, digits and . _ - @, and not a phone number. */
static bool s_is_code(const char *s)
{
    size_t digits = 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        bool ok = s_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
                  c == '_' || c == '-' || c == '@';
        if (!ok)
            return false;
        digits += s_is_digit(c);
    }
    return digits < 7; /* seven digits in a row or apart are a phone, not a code */
}

void hf_mask_actor(const char *actor, char *out, size_t outlen)
{
    s_out_t o;
    s_out_init(&o, out, outlen);
    if (actor == NULL || *actor == '\0' || o.full)
        return;
    char norm[32];
    if (hf_phone_normalise(actor, norm, sizeof norm, NULL) == 0) {
        hf_mask_phone(actor, out, outlen);
        return;
    }
    if (s_is_code(actor)) {
        s_puts(&o, actor);
        if (o.full)
            out[0] = '\0';
        return;
    }
    hf_mask_name(actor, out, outlen);
}

/* ---------------------------------------------------------------------------------------
 * The safety net: mobile numbers inside any text
 * ------------------------------------------------------------------------------------- */

/* Tries to read a mobile number at s[i], where a digit run (or a '+') starts: an optional
 * +86 / 0086 / 86 and exactly 11 digits 1[3-9]xxxxxxxxx, with single spaces, dashes or
 * dots between the digits, and no digit right after. Stores the positions of its digits 4
 * to 7 in star[] and returns true. */
static bool s_read_mobile(const char *s, size_t i, size_t star[4])
{
    static const char *const prefixes[] = {"+86", "0086", "86", ""};
    for (size_t k = 0; k < sizeof prefixes / sizeof prefixes[0]; k++) {
        size_t plen = strlen(prefixes[k]);
        if (strncmp(s + i, prefixes[k], plen) != 0)
            continue;
        size_t j = i + plen;
        if (plen > 0) /* "+86 139...", "+86-139..." */
            while (s[j] == ' ' || s[j] == '-')
                j++;
        char digits[11];
        size_t at[11];
        size_t n = 0;
        while (n < 11 && s_is_digit(s[j])) {
            digits[n] = s[j];
            at[n++] = j++;
            if (n < 11 && (s[j] == ' ' || s[j] == '-' || s[j] == '.') && s_is_digit(s[j + 1]))
                j++;
        }
        if (n == 11 && !s_is_digit(s[j]) && digits[0] == '1' && digits[1] >= '3' &&
            digits[1] <= '9') {
            for (int d = 0; d < 4; d++)
                star[d] = at[3 + d];
            return true;
        }
    }
    return false;
}

int hf_mask_mobiles(const char *in, char *out, size_t outlen)
{
    if (out == NULL || outlen == 0)
        return 0;
    out[0] = '\0';
    if (in == NULL)
        return 0;
    size_t n = strlen(in);
    if (n + 1 > outlen) {
        /* cut at a whole character */
        n = outlen - 1;
        while (n > 0 && ((unsigned char)in[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(out, in, n);
    out[n] = '\0';
    int masked = 0;
    for (size_t i = 0; i < n; i++) {
        bool start = (s_is_digit(out[i]) || out[i] == '+') && (i == 0 || !s_is_digit(out[i - 1]));
        if (!start)
            continue;
        size_t star[4];
        if (s_read_mobile(out, i, star)) {
            for (int d = 0; d < 4; d++)
                out[star[d]] = '*';
            masked++;
        }
        while (i + 1 < n && (s_is_digit(out[i + 1]) || out[i + 1] == '*'))
            i++;
    }
    return masked;
}

/* ---------------------------------------------------------------------------------------
 * By kind
 * ------------------------------------------------------------------------------------- */

void hf_mask_value(hf_mask_kind_t kind, const char *value, char *out, size_t outlen)
{
    if (out == NULL || outlen == 0)
        return;
    out[0] = '\0';
    if (value == NULL)
        return;
    switch (kind) {
    case HF_MASK_PHONE:
        hf_mask_phone(value, out, outlen);
        return;
    case HF_MASK_NAME:
        hf_mask_name(value, out, outlen);
        return;
    case HF_MASK_TEXT:
    case HF_MASK_VIA_FIELD:
        hf_mask_text(value, out, outlen);
        return;
    case HF_MASK_DATE:
        hf_mask_date(value, out, outlen);
        return;
    case HF_MASK_ACTOR:
        hf_mask_actor(value, out, outlen);
        break;
    case HF_MASK_NONE:
        hf_mask_mobiles(value, out, outlen);
        return;
    }
    /* an actor kept as a code never holds a phone (s_is_code); nothing more to do */
}
