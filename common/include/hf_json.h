/* hf_json: any protobuf-c message to JSON by reflection, for `--json` output and the event
 * tap. Field names stay snake_case; a field named *_at_ms becomes *_at as RFC 3339 UTC;
 * other *_ms fields stay numbers; money fields *_fen stay integers; enums become names;
 * bytes become base64; unset submessages are omitted. */
#ifndef HF_JSON_H
#define HF_JSON_H
#include <json-c/json.h>
#include <protobuf-c/protobuf-c.h>

/* Returns a new json object (caller owns, json_object_put) for msg; never NULL. */
json_object *hf_json_from_message(const ProtobufCMessage *msg);
/* Prints msg as one compact JSON line to stdout. */
void hf_json_print(const ProtobufCMessage *msg);

#endif
