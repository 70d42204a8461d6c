/* hf_json: any protobuf-c message to JSON, by walking its descriptor.
 *
 * One generic walker instead of a hand-written printer per message means a field added
 * to a .proto shows up in `--json` output and in the event tap the day it is added.
 *
 * The shape, chosen for people and scripts reading the output:
 *   - keys are the .proto field names, snake_case;
 *   - a field named *_at_ms holds an instant in UTC ms and is written as *_at with an
 *     RFC 3339 UTC string ("due_at": "2026-11-23T08:00:00.000Z"), and left out when 0,
 *     which in our messages means "not set" rather than 1970;
 *   - every other scalar is written even when it is zero or empty, so every message of a
 *     type has the same keys and `jq .field` never meets a missing key for a proto3
 *     default; 64-bit integers stay JSON integers (json-c writes them exactly);
 *   - enums are written by value name ("BAD_INPUT"), bytes as standard base64;
 *   - a submessage that is not set (NULL) is left out, as is every member of a oneof but
 *     the one that is set;
 *   - repeated fields are arrays, possibly empty.
 */
#include "hf_json.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hf_mask.h"
#include "hf_time.h"

static json_object *s_message_to_json(const ProtobufCMessage *msg, bool mask);

/* ---------------------------------------------------------------------------------------
 * Scalars
 * ------------------------------------------------------------------------------------- */

/* Standard base64 with padding (RFC 4648 section 4), the form every JSON consumer and
 * `base64 -d` understands. */
static json_object *s_base64_to_json(const ProtobufCBinaryData *bin)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t out_len = (bin->len + 2) / 3 * 4;
    char *text = malloc(out_len + 1);
    if (text == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < bin->len; i += 3) {
        uint32_t chunk = (uint32_t)bin->data[i] << 16;
        size_t have = bin->len - i;
        if (have > 1)
            chunk |= (uint32_t)bin->data[i + 1] << 8;
        if (have > 2)
            chunk |= bin->data[i + 2];
        text[o++] = alphabet[(chunk >> 18) & 0x3F];
        text[o++] = alphabet[(chunk >> 12) & 0x3F];
        text[o++] = have > 1 ? alphabet[(chunk >> 6) & 0x3F] : '=';
        text[o++] = have > 2 ? alphabet[chunk & 0x3F] : '=';
    }
    text[o] = '\0';
    json_object *obj = json_object_new_string_len(text, (int)o);
    free(text);
    return obj;
}

/* True when field is an instant we write as RFC 3339: its name ends in "_at_ms" and it
 * holds a 64-bit integer. */
static bool s_is_instant(const ProtobufCFieldDescriptor *field)
{
    static const char suffix[] = "_at_ms";
    size_t len = strlen(field->name);
    if (len < sizeof suffix - 1 || strcmp(field->name + len - (sizeof suffix - 1), suffix) != 0)
        return false;
    switch (field->type) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return true;
    default:
        return false;
    }
}

/* Reads the 64-bit value at member as a signed instant in ms. */
static int64_t s_instant_value(const ProtobufCFieldDescriptor *field, const void *member)
{
    if (field->type == PROTOBUF_C_TYPE_UINT64 || field->type == PROTOBUF_C_TYPE_FIXED64)
        return (int64_t) * (const uint64_t *)member;
    return *(const int64_t *)member;
}

/* ---------------------------------------------------------------------------------------
 * Masking
 *
 * With mask on, every string field is passed through hf_mask as the table in hf_mask.c
 * says for its message type and name: names, phones, addresses, dates of birth and free
 * text are masked, and a mobile number in any other string is. A hand edit's before and
 * after (FieldChange.from/to) are masked as the field they belong to.
 * ------------------------------------------------------------------------------------- */

/* The string value of the field named name in msg, or NULL. */
static const char *s_sibling_string(const ProtobufCMessage *msg, const char *name)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, name);
    if (f == NULL || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED)
        return NULL;
    return *(char *const *)((const char *)msg + f->offset);
}

static json_object *s_masked_string(const ProtobufCMessage *msg,
                                    const ProtobufCFieldDescriptor *field, const char *s)
{
    hf_mask_kind_t kind = hf_mask_kind(msg->descriptor->short_name, field->name);
    if (kind == HF_MASK_VIA_FIELD) {
        kind = hf_mask_kind(NULL, s_sibling_string(msg, "field"));
        if (kind == HF_MASK_VIA_FIELD)
            kind = HF_MASK_TEXT;
    }
    size_t len = strlen(s);
    char stack[512];
    char *out = len + 64 <= sizeof stack ? stack : malloc(len + 64);
    if (out == NULL)
        return json_object_new_string("");
    hf_mask_value(kind, s, out, len + 64 <= sizeof stack ? sizeof stack : len + 64);
    json_object *obj = json_object_new_string(out);
    if (out != stack)
        free(out);
    return obj;
}

/* The JSON value of one element of field stored at member (the field itself for a
 * singular field, one array slot for a repeated one). NULL only when memory ran out or
 * a singular submessage is unset; the caller leaves such a key out. */
static json_object *s_value_to_json(const ProtobufCMessage *msg,
                                    const ProtobufCFieldDescriptor *field, const void *member,
                                    bool mask)
{
    if (s_is_instant(field)) {
        char text[32];
        hf_time_rfc3339(s_instant_value(field, member), text);
        return json_object_new_string(text);
    }
    switch (field->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_object_new_int(*(const int32_t *)member);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        /* Through int64: a uint32 above INT32_MAX would wrap as a json int. */
        return json_object_new_int64(*(const uint32_t *)member);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return json_object_new_int64(*(const int64_t *)member);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return json_object_new_uint64(*(const uint64_t *)member);
    case PROTOBUF_C_TYPE_FLOAT:
        return json_object_new_double(*(const float *)member);
    case PROTOBUF_C_TYPE_DOUBLE:
        return json_object_new_double(*(const double *)member);
    case PROTOBUF_C_TYPE_BOOL:
        return json_object_new_boolean(*(const protobuf_c_boolean *)member);
    case PROTOBUF_C_TYPE_ENUM: {
        int value = *(const int *)member;
        const ProtobufCEnumValue *ev =
            protobuf_c_enum_descriptor_get_value(field->descriptor, value);
        /* A value from a newer peer that this build does not know keeps its number, so
         * the output still says what arrived. */
        if (ev == NULL)
            return json_object_new_int(value);
        return json_object_new_string(ev->name);
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)member;
        if (mask && s != NULL && *s != '\0')
            return s_masked_string(msg, field, s);
        return json_object_new_string(s != NULL ? s : "");
    }
    case PROTOBUF_C_TYPE_BYTES:
        return s_base64_to_json((const ProtobufCBinaryData *)member);
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)member;
        return sub != NULL ? s_message_to_json(sub, mask) : NULL;
    }
    }
    return NULL;
}

/* ---------------------------------------------------------------------------------------
 * Fields and messages
 * ------------------------------------------------------------------------------------- */

/* Size of one array element of a repeated field of this type, as protobuf-c lays it out. */
static size_t s_element_size(ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return 4;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return 8;
    case PROTOBUF_C_TYPE_FLOAT:
        return sizeof(float);
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_ENUM:
        return sizeof(int);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    }
    return 0;
}

/* Whether a non-repeated field is present. proto3 plain fields (LABEL_NONE) always are;
 * a oneof member only when the oneof's case names it; an optional or proto2 field when
 * its has_ flag is set, or, for pointer types, when the pointer is not NULL. */
static bool s_field_present(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *field,
                            const void *member)
{
    const char *base = (const char *)msg;
    if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t which = *(const uint32_t *)(base + field->quantifier_offset);
        return which == field->id;
    }
    if (field->label == PROTOBUF_C_LABEL_NONE)
        return true;
    switch (field->type) {
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(const void *const *)member != NULL;
    default:
        if (field->quantifier_offset == 0)
            return true;
        return *(const protobuf_c_boolean *)(base + field->quantifier_offset);
    }
}

/* The key a field is written under: its name, with "_at_ms" shortened to "_at". */
static void s_field_key(const ProtobufCFieldDescriptor *field, char *key, size_t size)
{
    size_t len = strlen(field->name);
    if (s_is_instant(field))
        len -= 3;
    snprintf(key, size, "%.*s", (int)len, field->name);
}

static json_object *s_repeated_to_json(const ProtobufCMessage *msg,
                                       const ProtobufCFieldDescriptor *field, bool mask)
{
    const char *base = (const char *)msg;
    size_t count = *(const size_t *)(base + field->quantifier_offset);
    const char *items = *(const char *const *)(base + field->offset);
    size_t step = s_element_size(field->type);
    json_object *array = json_object_new_array_ext((int)count);
    if (array == NULL)
        return NULL;
    for (size_t i = 0; i < count && items != NULL; i++) {
        json_object *value = s_value_to_json(msg, field, items + i * step, mask);
        /* A NULL slot in a repeated message field is a bug in the sender, but the array
         * keeps its length so indexes still line up. */
        json_object_array_add(array, value);
    }
    return array;
}

static json_object *s_message_to_json(const ProtobufCMessage *msg, bool mask)
{
    json_object *obj = json_object_new_object();
    if (obj == NULL || msg == NULL || msg->descriptor == NULL)
        return obj;
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &desc->fields[i];
        const void *member = (const char *)msg + field->offset;
        json_object *value;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            value = s_repeated_to_json(msg, field, mask);
        } else {
            if (!s_field_present(msg, field, member))
                continue;
            if (s_is_instant(field) && s_instant_value(field, member) == 0)
                continue;
            value = s_value_to_json(msg, field, member, mask);
        }
        if (value == NULL)
            continue;
        char key[128];
        s_field_key(field, key, sizeof key);
        json_object_object_add(obj, key, value);
    }
    return obj;
}

static json_object *s_from_message(const ProtobufCMessage *msg, bool mask)
{
    json_object *obj = s_message_to_json(msg, mask);
    /* Only an allocation failure gets here empty-handed; the contract is "never NULL",
     * and json-c's own NULL handling would print "null", so try once more for {}. */
    return obj != NULL ? obj : json_object_new_object();
}

json_object *hf_json_from_message(const ProtobufCMessage *msg)
{
    return s_from_message(msg, false);
}

json_object *hf_json_from_message_masked(const ProtobufCMessage *msg)
{
    return s_from_message(msg, true);
}

void hf_json_print(const ProtobufCMessage *msg)
{
    hf_json_print_to(msg, false, stdout);
}

void hf_json_print_to(const ProtobufCMessage *msg, bool masked, FILE *out)
{
    json_object *obj = s_from_message(msg, masked);
    /* No slash escaping: zone names and paths read "Asia/Shanghai", not "Asia\/Shanghai";
     * both are valid JSON, only one is pleasant to grep. */
    const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE);
    fputs(text != NULL ? text : "{}", out);
    fputc('\n', out);
    json_object_put(obj);
}

/* ---------------------------------------------------------------------------------------
 * JSON to message
 *
 * Every string, array and submessage is malloc'd, so that protobuf-c's own
 * protobuf_c_message_free_unpacked(msg, NULL) frees a message built here exactly as it frees
 * one it unpacked (it leaves a string field alone while it still points at the default).
 * ------------------------------------------------------------------------------------- */

typedef struct {
    char *err;
    size_t errlen;
    char *field;
    size_t fieldlen;
} s_json_error_t;

static int s_json_fail(s_json_error_t *e, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int s_json_fail(s_json_error_t *e, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->err, e->errlen, fmt, ap);
    va_end(ap);
    snprintf(e->field, e->fieldlen, "%s", path);
    return -1;
}

static const char *s_json_type_name(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        return "null";
    case json_type_boolean:
        return "a boolean";
    case json_type_double:
        return "a fractional number";
    case json_type_int:
        return "an integer";
    case json_type_object:
        return "an object";
    case json_type_array:
        return "an array";
    case json_type_string:
        return "a string";
    }
    return "a value";
}

/* An integer value of v within [min, max] into *out; 0 or -1 after a message. JSON numbers
 * only: "12" in quotes is a string, and a string where a number belongs is a client's bug
 * worth naming rather than guessing at. */
static int s_json_integer(json_object *v, const char *path, int64_t min, uint64_t max,
                          s_json_error_t *e, int64_t *out_signed, uint64_t *out_unsigned)
{
    if (!json_object_is_type(v, json_type_int))
        return s_json_fail(e, path, "%s must be an integer, not %s", path, s_json_type_name(v));
    if (min == 0 && max > (uint64_t)INT64_MAX) {
        /* uint64: json-c keeps values above INT64_MAX as unsigned (their int64 reads clamp
         * to INT64_MAX, never negative) */
        if (json_object_get_int64(v) < 0)
            return s_json_fail(e, path, "%s must not be negative", path);
        *out_unsigned = json_object_get_uint64(v);
        return 0;
    }
    int64_t x = json_object_get_int64(v);
    bool above_int64 = x == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX;
    if (above_int64 || x < min || (x > 0 && (uint64_t)x > max))
        return s_json_fail(e, path, "%s is out of range (%lld..%llu)", path, (long long)min,
                           (unsigned long long)max);
    *out_signed = x;
    if (out_unsigned)
        *out_unsigned = (uint64_t)x;
    return 0;
}

static ProtobufCMessage *s_json_message(json_object *obj, const ProtobufCMessageDescriptor *desc,
                                        const char *path, s_json_error_t *e);

/* Stores one JSON value v as an element of field at member (the field itself, or one slot
 * of a repeated field's array). instant: v is an RFC 3339 string for an *_at_ms field. */
static int s_json_value(json_object *v, const ProtobufCFieldDescriptor *f, void *member,
                        bool instant, const char *path, s_json_error_t *e)
{
    int64_t si = 0;
    uint64_t ui = 0;
    if (instant) {
        if (!json_object_is_type(v, json_type_string))
            return s_json_fail(e, path, "%s must be an RFC 3339 time string, not %s", path,
                               s_json_type_name(v));
        int64_t ms;
        if (hf_time_parse(json_object_get_string(v), "UTC", &ms) != 0)
            return s_json_fail(e, path, "%s is not a time (RFC 3339, e.g. 2026-11-23T08:00:00Z)",
                               path);
        if (f->type == PROTOBUF_C_TYPE_UINT64 || f->type == PROTOBUF_C_TYPE_FIXED64) {
            if (ms < 0)
                return s_json_fail(e, path, "%s must not be before 1970", path);
            *(uint64_t *)member = (uint64_t)ms;
        } else {
            *(int64_t *)member = ms;
        }
        return 0;
    }
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (s_json_integer(v, path, INT32_MIN, INT32_MAX, e, &si, NULL) != 0)
            return -1;
        *(int32_t *)member = (int32_t)si;
        return 0;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (s_json_integer(v, path, 0, UINT32_MAX, e, &si, NULL) != 0)
            return -1;
        *(uint32_t *)member = (uint32_t)si;
        return 0;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (s_json_integer(v, path, INT64_MIN, INT64_MAX, e, &si, NULL) != 0)
            return -1;
        *(int64_t *)member = si;
        return 0;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if (s_json_integer(v, path, 0, UINT64_MAX, e, &si, &ui) != 0)
            return -1;
        *(uint64_t *)member = ui;
        return 0;
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE:
        if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
            return s_json_fail(e, path, "%s must be a number, not %s", path, s_json_type_name(v));
        if (f->type == PROTOBUF_C_TYPE_FLOAT)
            *(float *)member = (float)json_object_get_double(v);
        else
            *(double *)member = json_object_get_double(v);
        return 0;
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_object_is_type(v, json_type_boolean))
            return s_json_fail(e, path, "%s must be true or false, not %s", path,
                               s_json_type_name(v));
        *(protobuf_c_boolean *)member = json_object_get_boolean(v);
        return 0;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *ed = f->descriptor;
        const ProtobufCEnumValue *ev = NULL;
        if (json_object_is_type(v, json_type_string))
            ev = protobuf_c_enum_descriptor_get_value_by_name(ed, json_object_get_string(v));
        else if (json_object_is_type(v, json_type_int))
            ev = protobuf_c_enum_descriptor_get_value(ed, json_object_get_int(v));
        else
            return s_json_fail(e, path, "%s must be a name of %s, not %s", path, ed->name,
                               s_json_type_name(v));
        if (ev == NULL)
            return s_json_fail(e, path, "%s is not a value of %s", path, ed->name);
        *(int *)member = ev->value;
        return 0;
    }
    case PROTOBUF_C_TYPE_STRING: {
        if (!json_object_is_type(v, json_type_string))
            return s_json_fail(e, path, "%s must be a string, not %s", path, s_json_type_name(v));
        int len = json_object_get_string_len(v);
        const char *s = json_object_get_string(v);
        if (memchr(s, '\0', (size_t)len) != NULL)
            return s_json_fail(e, path, "%s must not contain a NUL character", path);
        char *copy = strdup(s);
        if (copy == NULL)
            return s_json_fail(e, path, "out of memory");
        *(char **)member = copy;
        return 0;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        if (!json_object_is_type(v, json_type_string))
            return s_json_fail(e, path, "%s must be a base64 string, not %s", path,
                               s_json_type_name(v));
        const char *s = json_object_get_string(v);
        size_t slen = (size_t)json_object_get_string_len(v);
        uint8_t *bin = malloc(slen / 4 * 3 + 3);
        size_t blen = 0;
        if (bin == NULL)
            return s_json_fail(e, path, "out of memory");
        if (sodium_base642bin(bin, slen / 4 * 3 + 3, s, slen, NULL, &blen, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0) {
            free(bin);
            return s_json_fail(e, path, "%s is not standard base64", path);
        }
        ((ProtobufCBinaryData *)member)->data = bin;
        ((ProtobufCBinaryData *)member)->len = blen;
        return 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        if (!json_object_is_type(v, json_type_object))
            return s_json_fail(e, path, "%s must be an object, not %s", path, s_json_type_name(v));
        ProtobufCMessage *sub = s_json_message(v, f->descriptor, path, e);
        if (sub == NULL)
            return -1;
        *(ProtobufCMessage **)member = sub;
        return 0;
    }
    }
    return s_json_fail(e, path, "%s has a type this build cannot read", path);
}

/* The field a JSON key names in desc: its name, or "<x>_at" for an instant field <x>_at_ms
 * (*instant set). NULL when none. */
static const ProtobufCFieldDescriptor *s_json_field(const ProtobufCMessageDescriptor *desc,
                                                    const char *key, bool *instant)
{
    *instant = false;
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(desc, key);
    if (f != NULL)
        return f;
    char name[140];
    if (snprintf(name, sizeof name, "%s_ms", key) >= (int)sizeof name)
        return NULL;
    f = protobuf_c_message_descriptor_get_field_by_name(desc, name);
    if (f == NULL || !s_is_instant(f))
        return NULL;
    *instant = true;
    return f;
}

static int s_json_field_set(ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f,
                            json_object *v, bool instant, const char *path, s_json_error_t *e)
{
    char *base = (char *)msg;
    void *member = base + f->offset;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        if (!json_object_is_type(v, json_type_array))
            return s_json_fail(e, path, "%s must be an array, not %s", path, s_json_type_name(v));
        size_t n = json_object_array_length(v);
        size_t step = s_element_size(f->type);
        char *items = n ? calloc(n, step) : NULL;
        if (n && items == NULL)
            return s_json_fail(e, path, "out of memory");
        /* the array and its count are set first so that a failure halfway frees what was
         * filled (free_unpacked walks count elements; unfilled ones are zero) */
        *(void **)member = items;
        *(size_t *)(base + f->quantifier_offset) = n;
        for (size_t i = 0; i < n; i++) {
            char sub[256];
            int n_sub = snprintf(sub, sizeof sub, "%s.%zu", path, i);
            if (n_sub < 0 || n_sub >= (int)sizeof sub)
                return s_json_fail(e, path, "%s is nested too deep", path);
            if (s_json_value(json_object_array_get_idx(v, i), f, items + i * step, instant, sub,
                             e) != 0) {
                if (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING ||
                    f->type == PROTOBUF_C_TYPE_BYTES)
                    *(size_t *)(base + f->quantifier_offset) = i; /* only what was filled */
                return -1;
            }
        }
        return 0;
    }
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t *which = (uint32_t *)(base + f->quantifier_offset);
        if (*which != 0 && *which != f->id)
            return s_json_fail(e, path, "%s: only one of its group may be given", path);
        if (s_json_value(v, f, member, instant, path, e) != 0)
            return -1;
        *which = f->id;
        return 0;
    }
    if (s_json_value(v, f, member, instant, path, e) != 0)
        return -1;
    if (f->label != PROTOBUF_C_LABEL_NONE && f->quantifier_offset != 0 &&
        f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
        *(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
    return 0;
}

static ProtobufCMessage *s_json_message(json_object *obj, const ProtobufCMessageDescriptor *desc,
                                        const char *path, s_json_error_t *e)
{
    ProtobufCMessage *msg = calloc(1, desc->sizeof_message);
    if (msg == NULL) {
        s_json_fail(e, path, "out of memory");
        return NULL;
    }
    desc->message_init(msg);
    json_object_object_foreach(obj, key, v)
    {
        char sub[256];
        int n_sub = snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", key);
        if (n_sub < 0 || n_sub >= (int)sizeof sub) {
            s_json_fail(e, path, "a key under %s is too long or nested too deep", path);
            goto fail;
        }
        bool instant;
        const ProtobufCFieldDescriptor *f = s_json_field(desc, key, &instant);
        if (f == NULL) {
            s_json_fail(e, sub, "unknown field %s", sub);
            goto fail;
        }
        if (json_object_is_type(v, json_type_null))
            continue; /* null: as if not given */
        if (s_json_field_set(msg, f, v, instant, sub, e) != 0)
            goto fail;
    }
    return msg;
fail:
    protobuf_c_message_free_unpacked(msg, NULL);
    return NULL;
}

ProtobufCMessage *hf_json_to_message(json_object *obj, const ProtobufCMessageDescriptor *desc,
                                     char *err, size_t errlen, char *field, size_t fieldlen)
{
    s_json_error_t e = {err, errlen, field, fieldlen};
    if (errlen)
        err[0] = '\0';
    if (fieldlen)
        field[0] = '\0';
    if (!json_object_is_type(obj, json_type_object)) {
        s_json_fail(&e, "", "the body must be a JSON object, not %s", s_json_type_name(obj));
        return NULL;
    }
    return s_json_message(obj, desc, "", &e);
}
