/* hf_wire: the generated protobuf types, short names for the three wire messages, status
 * codes and helpers to fill a reply. The status numbers are also the CLI's exit codes. */
#ifndef HF_WIRE_H
#define HF_WIRE_H
#include "hf_arena.h"
#include "huifang/v1/wire.pb-c.h"
#include <stdbool.h>
#include <stddef.h>

typedef Huifang__V1__Request hf_request_t;
typedef Huifang__V1__Reply hf_reply_t;
typedef Huifang__V1__Envelope hf_envelope_t;

#define HF_OK ((int)HUIFANG__V1__STATUS__OK)
#define HF_INTERNAL ((int)HUIFANG__V1__STATUS__INTERNAL)
#define HF_BAD_INPUT ((int)HUIFANG__V1__STATUS__BAD_INPUT)
#define HF_NOT_FOUND ((int)HUIFANG__V1__STATUS__NOT_FOUND)
#define HF_CONFLICT ((int)HUIFANG__V1__STATUS__CONFLICT)
#define HF_UNAVAILABLE ((int)HUIFANG__V1__STATUS__UNAVAILABLE)
#define HF_UNAUTHENTICATED ((int)HUIFANG__V1__STATUS__UNAUTHENTICATED)
#define HF_FORBIDDEN ((int)HUIFANG__V1__STATUS__FORBIDDEN)

/* Bounded unpacking. protobuf-c allocates a struct per submessage it meets, so a crafted
 * message of small empty entries makes many times its size in memory (a 50 MB request once
 * grew a service to 2.5 GB). These unpack data with an allocator that refuses to go past
 * HF_WIRE_UNPACK_BUDGET(len) bytes in all, and return NULL (as for garbage) when it would.
 * Free the result with the generated *_free_unpacked(x, NULL). The sockets' ZMQ_MAXMSGSIZE
 * bounds len itself. */
#define HF_WIRE_UNPACK_BUDGET(len) ((size_t)(len)*4 + (size_t)16 * 1024 * 1024)
hf_request_t *hf_request_unpack(const void *data, size_t len);
hf_reply_t *hf_reply_unpack(const void *data, size_t len);
hf_envelope_t *hf_envelope_unpack(const void *data, size_t len);

/* Sets rep's status, the field it concerns (may be NULL) and a printf-formatted message,
 * allocated from arena. Returns the status, so handlers can `return hf_fail(...)`. */
int hf_fail(hf_reply_t *rep, hf_arena_t *arena, int status, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* True for a code (branch, agent id, product, outcome, region, gift, plan): s[0..len) is 1..24
 * ASCII letters, digits, '-' or '_' (s need not end at len; NULL only with len 0). The one
 * rule every service checks a request's codes by. */
bool hf_code_valid(const char *s, size_t len);
/* The name of a Request's command ("lead_add") or "" when none is set. */
const char *hf_request_command_name(const hf_request_t *req);
/* The name of an Envelope's payload ("purchase_recorded") or "" when none is set. */
const char *hf_envelope_payload_name(const hf_envelope_t *env);
/* Writes the topic "<producer>.<payload>/<branch>" (or without "/<branch>" when it is empty)
 * into out. */
void hf_envelope_topic(const hf_envelope_t *env, char *out, size_t outlen);

#endif
