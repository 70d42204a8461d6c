/* hf_mask: the one place personal data is masked — for logs (hf_log), the event tap and
 * export (`huifang events tail|export`), CLI lists and, later, the API and SSE. The formats
 * follow the de-facto Chinese rules (research §3 row 13): a mobile keeps its first 3 and
 * last 4 digits (138****5678), a landline its area code and last 4 (010-****5678); a
 * Chinese name its first character and "**" (张**); a Latin name the first letter of each
 * part and "***" (W*** F***); free text only its length ([12 chars]); a date its year.
 * Every function writes a NUL-terminated string that fits outlen (at least 1), never half
 * a UTF-8 character. */
#ifndef HF_MASK_H
#define HF_MASK_H
#include "hf_arena.h"
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum {
    HF_MASK_NONE,      /* not personal: written as it is (still passed through hf_mask_mobiles) */
    HF_MASK_PHONE,     /* a phone number */
    HF_MASK_NAME,      /* a person's name */
    HF_MASK_TEXT,      /* free text, an address: only its length is shown */
    HF_MASK_DATE,      /* a birth or due date: only the year is shown */
    HF_MASK_ACTOR,     /* an account id: kept when it is a staff code, masked when it is a
                        * phone number or looks like a name */
    HF_MASK_VIA_FIELD, /* a FieldChange's from/to: masked as the field it names */
} hf_mask_kind_t;

/* "13812345678", "+86 138 1234 5678" -> "138****5678"; "010-12345678" -> "010-****5678";
 * anything else keeps its last two characters, one '*' for each other character. */
void hf_mask_phone(const char *phone, char *out, size_t outlen);
/* "张三丰" -> "张**", "Wang Fang" -> "W*** F***", "" -> "". */
void hf_mask_name(const char *name, char *out, size_t outlen);
/* "call after 6pm" -> "[14 chars]" (characters, not bytes), "" -> "". */
void hf_mask_text(const char *text, char *out, size_t outlen);
/* "1980-05-17" -> "1980-**-**"; anything else as free text. */
void hf_mask_date(const char *date, char *out, size_t outlen);
/* "A001", "mgr.li" -> themselves; "+8613912345678" -> "139****5678"; "Wang Fang" -> as a
 * name. */
void hf_mask_actor(const char *actor, char *out, size_t outlen);
/* Masks value as kind says (HF_MASK_VIA_FIELD counts as HF_MASK_TEXT here); then, whatever
 * the kind, any mobile number left in it as hf_mask_mobiles does. */
void hf_mask_value(hf_mask_kind_t kind, const char *value, char *out, size_t outlen);
/* The safety net: copies in to out with the middle four digits of every mainland mobile
 * number written in it ("13912345678", "+86 139 1234 5678", "8613912345678",
 * "139-1234-5678") replaced by '*'. Returns the number of numbers masked. */
int hf_mask_mobiles(const char *in, char *out, size_t outlen);

/* How the field or log key `field` of message type `message` (its short .proto name,
 * "Customer"; NULL when unknown, as for log keys) is masked, from the one table in
 * hf_mask.c. Matching ignores case. */
hf_mask_kind_t hf_mask_kind(const char *message, const char *field);

/* Masks every personal string of msg and its sub-messages in place (hf_mask_message.c): the
 * replies an hq person gets. The masked copies come from arena, nothing is freed. */
void hf_mask_message(ProtobufCMessage *msg, hf_arena_t *arena);

#endif
