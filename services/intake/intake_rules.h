/* intake_rules: the archive's pure logic, with no store and no clock of its own, so that unit
 * tests drive it with tables: validation of one lead (the fields DOMAIN.md lists), stages
 * from a reference date, loyalty tiers from thresholds, the card-type transitions, and the
 * content key that makes a bulk import safe to run twice. */
#ifndef INTAKE_RULES_H
#define INTAKE_RULES_H
#include "hf_arena.h"
#include "hf_wire.h"
#include <stdbool.h>
#include <stdint.h>

/* A date not given, in a day-number field (no date has this number; -1 is 1969-12-31). */
#define INTAKE_NO_DAY INT32_MIN

/* ---- stages and tiers ---- */

#define INTAKE_MAX_STAGES 16

typedef struct {
    char code[16];
    bool months; /* true: the age is counted in months, else in days */
    bool has_from, has_to;
    int from, to; /* inclusive; negative ages are before the reference date */
    char label[64];
} intake_stage_rule_t;

typedef struct {
    char tier[8]; /* gold | silver | member */
    int64_t min_spend_fen;
    int min_purchases;
} intake_tier_rule_t;

/* Completed calendar months from ref to today (days since the epoch); before ref, -1 minus
 * the completed months still to go (so any day before ref is negative). */
int intake_age_months(int32_t ref, int32_t today);
/* The code of the first rule (in the order given) whose range holds the age of ref on
 * today, or "" when ref < 0 (no reference date) or no rule holds it. */
const char *intake_stage_of(const intake_stage_rule_t *rules, int n, int32_t ref, int32_t today);
/* The tier for a total spend and purchase count: the first of gold, silver, member whose
 * thresholds are both met (rules in any order), else "regular". */
const char *intake_tier_of(const intake_tier_rule_t *rules, int n, int64_t spend_fen,
                           int purchases);

/* ---- card types ---- */

/* The canonical void reason for s (accepting "wrong-number" for invalid-phone), or NULL. */
const char *intake_void_reason(const char *s);
/* Whether a card may go from one type to another by hand (`customer card`), for a customer
 * with purchases purchases: returns 0, or -1 with *why a static explanation. Only a void
 * card of someone who bought before goes back to customer by hand; otherwise a purchase
 * makes a customer card. */
int intake_card_manual(const char *from, const char *to, int purchases, const char **why);
/* The card after merging two: a void for refusal or hostility wins (the person said no);
 * otherwise the most advanced of customer > one-on-one > new; two other voids keep keep's. */
const char *intake_card_merged(const char *keep, const char *keep_reason, const char *other,
                               const char *other_reason, const char **reason);

/* Whether tag is a BCP 47 language tag as the archive keeps it: a primary language of 2-3
 * letters, then subtags of 1-8 letters or digits after '-' (zh, en, zh-Hant, zh-CN,
 * yue-HK), at most 35 bytes. Member care: the language of a customer's letters. */
bool intake_language_ok(const char *tag);

/* ---- one lead, validated ---- */

/* Local dates are day numbers (days since 1970-01-01), -1 when not given. Strings are
 * trimmed copies in the arena ("" when not given). */
typedef struct {
    const char *name, *channel, *region, *address, *gender, *collector, *source, *note;
    const char *referrer, *route, *condition, *baby_name, *baby_sex, *current_brand, *feeding;
    const char *employer, *hobbies, *health, *windows;
    const char *language; /* a BCP 47 tag, "" = the branch's */
    char phone[24];       /* normalised */
    /* local day numbers (days since 1970-01-01, negative before), INTAKE_NO_DAY when not
     * given: -1 is 1969-12-31, a real birthday */
    int32_t birth, ref_date, baby_birth, due_date;
    int age; /* 0 = not given */
    int64_t collected_at_ms;
    int64_t referrer_customer_id;
} intake_lead_t;

typedef struct {
    const char *field; /* the LeadAdd field at fault */
    char reason[256];  /* "phone has letters", ... */
} intake_error_t;

/* What validation needs to know about the branch and the time. */
typedef struct {
    int32_t today;              /* the local date in the branch's zone */
    int64_t now_ms;             /* UTC ms */
    const char *const *regions; /* the branch's regions (those its agents cover) */
    int nregions;               /* 0: any region code is accepted */
} intake_check_ctx_t;

/* Validates and normalises one lead. Returns 0 and fills out, or -1 with err naming the
 * field and the reason. Nothing is kept from in; strings are copied into arena. */
int intake_lead_check(const Huifang__V1__LeadAdd *in, const intake_check_ctx_t *ctx,
                      intake_lead_t *out, intake_error_t *err, hf_arena_t *arena);
/* Fills the empty fields of dst from src (new non-empty fields fill empty ones; nothing
 * known is overwritten). The name and phone are kept. */
void intake_lead_fill(intake_lead_t *dst, const intake_lead_t *src);
/* Checks a channel: 0, or -1 with err. */
int intake_check_channel(const char *channel, intake_error_t *err);
/* Checks a name (trimmed, 1..60 bytes of UTF-8 text with a letter and no digits): 0, or -1
 * with err naming field. */
int intake_check_name(const char *name, const char *field, intake_error_t *err);

/* ---- the conversion plan of a lead ---- */

/* Checks a branch's lead plans: "" (the defaults), "none" (no plan for any channel), or
 * comma-separated channel=plan pairs, each channel once, each plan a template code (1-24
 * letters, digits, '-', '_') or none. 0, or -1 with err naming lead_plans. Whether the plans
 * exist is the scheduler's to say. */
int intake_lead_plans_check(const char *spec, intake_error_t *err);
/* The plan a lead of channel starts under a branch's (checked) lead plans: the pair naming
 * the channel, else the default (consult: consult-not-converted, any other: new-lead); ""
 * when it is none. Written into out. */
const char *intake_lead_plan_of(const char *spec, const char *channel, char out[32]);

/* ---- the content key of an imported row ---- */

/* SHA-256 of data into out (32 bytes). */
void intake_sha256(const void *data, size_t len, uint8_t out[32]);
/* The key of an imported row: the first 128 bits of SHA-256 over the branch and the row's
 * fields in a fixed order (trimmed; the phone normalised when it can be), as a uuid
 * ("8-4-4-4-12" hex) in out (37 bytes). The same content gives the same key whatever the
 * file's encoding, column order or line. */
void intake_row_key(const char *branch, const Huifang__V1__LeadAdd *row, char out[37]);

#endif
