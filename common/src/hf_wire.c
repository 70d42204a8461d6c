/* hf_wire: reply helpers and names taken from the generated descriptors. */
#include "hf_wire.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hf_fail(hf_reply_t *rep, hf_arena_t *arena, int status, const char *field, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    rep->status = (Huifang__V1__Status)status;
    rep->error = hf_arena_strdup(arena, buf);
    rep->field = hf_arena_strdup(arena, field ? field : "");
    return status;
}

/* The name of the field that a oneof case number selects in descriptor d. */
static const char *s_case_name(const ProtobufCMessageDescriptor *d, unsigned number)
{
    if (number == 0)
        return "";
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, number);
    return f ? f->name : "";
}

bool hf_code_valid(const char *s, size_t len)
{
    if (s == NULL || len == 0 || len > 24)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        /* ASCII only, whatever the locale (isalnum in the C locale, which the services keep) */
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_'))
            return false;
    }
    return true;
}

const char *hf_request_command_name(const hf_request_t *req)
{
    return s_case_name(&huifang__v1__request__descriptor, (unsigned)req->command_case);
}

const char *hf_envelope_payload_name(const hf_envelope_t *env)
{
    return s_case_name(&huifang__v1__envelope__descriptor, (unsigned)env->payload_case);
}

void hf_envelope_topic(const hf_envelope_t *env, char *out, size_t outlen)
{
    const char *producer = env->producer ? env->producer : "";
    const char *branch = env->branch ? env->branch : "";
    if (*branch)
        snprintf(out, outlen, "%s.%s/%s", producer, hf_envelope_payload_name(env), branch);
    else
        snprintf(out, outlen, "%s.%s", producer, hf_envelope_payload_name(env));
}

/* ---- bounded unpacking ---- */

typedef struct {
    size_t left; /* bytes the unpack may still allocate */
} s_budget_t;

static void *s_budget_alloc(void *data, size_t size)
{
    s_budget_t *b = data;
    if (size > b->left)
        return NULL; /* protobuf-c frees what it made and returns NULL */
    b->left -= size;
    return malloc(size);
}

static void s_budget_free(void *data, void *ptr)
{
    (void)data;
    free(ptr); /* the same free() as free_unpacked(x, NULL) uses */
}

static ProtobufCMessage *s_unpack(const ProtobufCMessageDescriptor *d, const void *data, size_t len)
{
    s_budget_t budget = {HF_WIRE_UNPACK_BUDGET(len)};
    ProtobufCAllocator a = {s_budget_alloc, s_budget_free, &budget};
    return protobuf_c_message_unpack(d, &a, len, data);
}

hf_request_t *hf_request_unpack(const void *data, size_t len)
{
    return (hf_request_t *)s_unpack(&huifang__v1__request__descriptor, data, len);
}

hf_reply_t *hf_reply_unpack(const void *data, size_t len)
{
    return (hf_reply_t *)s_unpack(&huifang__v1__reply__descriptor, data, len);
}

hf_envelope_t *hf_envelope_unpack(const void *data, size_t len)
{
    return (hf_envelope_t *)s_unpack(&huifang__v1__envelope__descriptor, data, len);
}
