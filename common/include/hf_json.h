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

#endif
