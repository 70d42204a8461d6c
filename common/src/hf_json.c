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
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(
        msg->descriptor, name);
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
