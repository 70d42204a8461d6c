/* hf_json: any protobuf-c message to JSON by reflection, for `--json` output and the event
 * tap. Field names stay snake_case; a field named *_at_ms becomes *_at as RFC 3339 UTC;
 * other *_ms fields stay numbers; money fields *_fen stay integers; enums become names;
 * bytes become base64; unset submessages are omitted. The masked forms pass every string
 * through hf_mask by its message type and field name (names, phones, addresses, free text;
 * see the table in hf_mask.c): what the event tap and export show by default. */
#ifndef HF_JSON_H
#define HF_JSON_H
#include <json-c/json.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stdio.h>

/* Returns a new json object (caller owns, json_object_put) for msg; never NULL. */
json_object *hf_json_from_message(const ProtobufCMessage *msg);
/* The same with personal data masked (caller owns, json_object_put); never NULL. */
json_object *hf_json_from_message_masked(const ProtobufCMessage *msg);
/* Prints msg as one compact JSON line to stdout. */
void hf_json_print(const ProtobufCMessage *msg);
/* Prints msg as one compact JSON line to out, masked when masked is true. */
void hf_json_print_to(const ProtobufCMessage *msg, bool masked, FILE *out);

/* The other direction, for the gateway: fills a new message of desc from obj (a JSON
 * object) in the same shape hf_json_from_message writes: .proto field names, "<x>_at" as an
 * RFC 3339 string for a field <x>_at_ms (a number under the name <x>_at_ms is taken too),
 * enums by name or number, bytes as base64, submessages as objects, repeated as arrays.
 * A key that names no field, a value of the wrong type or out of range, and a second member
 * of a oneof are refused. Returns the message (caller frees with
 * protobuf_c_message_free_unpacked(msg, NULL)), or NULL with the reason in err and the
 * dotted path of the field concerned ("usage.dose", "" for the whole body) in field. */
ProtobufCMessage *hf_json_to_message(json_object *obj, const ProtobufCMessageDescriptor *desc,
                                     char *err, size_t errlen, char *field, size_t fieldlen);

#endif
