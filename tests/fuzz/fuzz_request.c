/* fuzz_request: what a service does with the bytes of an incoming ROUTER message before a
 * handler runs (common/src/hf_service.c, s_handle_request): unpack a Request, name its
 * command, log it through hf_log's masking, answer with a Reply that carries its request id.
 * The input is the message body as it comes off the socket.
 *
 * The decoder itself is Debian's libprotobuf-c, a shared library built without coverage or
 * ASan instrumentation: libFuzzer's guidance comes from our code around it (the walk below
 * tells message shapes apart), and ASan sees the library's allocations and its memcpy, not
 * each of its reads. So
 * the harness walks every field of the unpacked message, reading each string, byte and
 * nested message, which puts what the library built under ASan's eyes; and it checks that
 * a Request packed again decodes again into the same bytes.
 *
 * That round trip is asked only of requests without unknown fields (at any depth):
 * protobuf-c keeps those as they came and packs them back, and it accepts a field number 0
 * written as a two-byte varint (82 00) that it refuses once it has packed it back as one
 * byte (02). No service packs a request it received, so this is no bug of ours; the fields
 * we know are held to it. */
#include "hf_arena.h"
#include "hf_fuzz.h"
#include "hf_log.h"
#include "hf_wire.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The size of one element of a field of type t, as protobuf-c lays out its arrays. */
static size_t s_elem_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    default:
        return 4; /* the 32-bit integers, float, enum and protobuf_c_boolean */
    }
}

static unsigned s_walk(const ProtobufCMessage *m, size_t *unknown);

/* Reads one element at p of field f; returns a digest so the reads are not optimised away. */
static unsigned s_touch(const ProtobufCFieldDescriptor *f, const char *p, size_t *unknown)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return s ? (unsigned)strlen(s) : 0;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *b = (const ProtobufCBinaryData *)p;
        unsigned sum = 0;
        for (size_t i = 0; i < b->len; i++)
            sum += b->data[i];
        return sum;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
        return sub ? s_walk(sub, unknown) : 0;
    }
    default: {
        unsigned char v[8];
        memcpy(v, p, s_elem_size(f->type));
        return v[0];
    }
    }
}

/* Visits every field that is present in m, recursively, adding the unknown fields it holds
 * to *unknown. */
static unsigned s_walk(const ProtobufCMessage *m, size_t *unknown)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    unsigned sum = 0;
    *unknown += m->n_unknown_fields;
    for (unsigned i = 0; i < m->n_unknown_fields; i++)
        for (size_t k = 0; k < m->unknown_fields[i].len; k++)
            sum += m->unknown_fields[i].data[k];
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            const char *array = *(char *const *)(base + f->offset);
            FUZZ_CHECK(n == 0 || array != NULL);
            for (size_t k = 0; k < n; k++)
                sum += s_touch(f, array + k * s_elem_size(f->type), unknown);
            continue;
        }
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)(base + f->quantifier_offset) != f->id)
            continue;
        sum += s_touch(f, base + f->offset, unknown);
    }
    return sum;
}

/* Packs req into a new buffer (the caller frees it) and sets *len. */
static uint8_t *s_pack(const hf_request_t *req, size_t *len)
{
    *len = huifang__v1__request__get_packed_size(req);
    uint8_t *buf = malloc(*len ? *len : 1);
    FUZZ_CHECK(buf != NULL);
    FUZZ_CHECK(huifang__v1__request__pack(req, buf) == *len);
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static hf_arena_t *arena;
    if (arena == NULL) {
        arena = hf_arena_new();
        hf_log_init("fuzz_request", "error"); /* the harness logs nothing itself */
    }

    hf_request_t *req = hf_request_unpack(data, size); /* the services' bounded unpack */
    if (req == NULL)
        return 0; /* the service answers "malformed request" */
    size_t unknown = 0;
    (void)s_walk(&req->base, &unknown);

    /* a command is named exactly when one is set */
    const char *name = hf_request_command_name(req);
    FUZZ_CHECK((req->command_case == HUIFANG__V1__REQUEST__COMMAND__NOT_SET) == (name[0] == '\0'));

    /* the line the service logs for every command, escaped and masked as hf_log does: one
     * line, whatever the client put in its strings */
    char line[HF_LOG_LINE_MAX];
    size_t n = hf_log_format(line, sizeof line,
                             "event=command command=%s status=%d actor=%s branch=%s "
                             "request_id=%s key=%s",
                             name, HF_BAD_INPUT, req->actor, req->branch, req->request_id,
                             req->idempotency_key);
    FUZZ_CHECK(n < sizeof line && strlen(line) == n && memchr(line, '\n', n) == NULL);

    /* the answer to a command no service serves, as s_run_command() gives it */
    hf_reply_t rep = HUIFANG__V1__REPLY__INIT;
    rep.request_id = req->request_id;
    hf_fail(&rep, arena, HF_BAD_INPUT, "command", "command %s is not served by the %s service",
            *name ? name : "(none)", "fuzz");
    size_t rlen = huifang__v1__reply__get_packed_size(&rep);
    uint8_t *rbuf = hf_arena_alloc(arena, rlen ? rlen : 1);
    FUZZ_CHECK(huifang__v1__reply__pack(&rep, rbuf) == rlen);

    /* packed again, a Request decodes again, and packs to the same bytes */
    if (unknown > 0)
        goto done;
    size_t len1, len2;
    uint8_t *once = s_pack(req, &len1);
    hf_request_t *again = huifang__v1__request__unpack(NULL, len1, once);
    FUZZ_CHECK(again != NULL);
    uint8_t *twice = s_pack(again, &len2);
    FUZZ_CHECK(len1 == len2 && memcmp(once, twice, len1) == 0);
    free(once);
    free(twice);
    huifang__v1__request__free_unpacked(again, NULL);
done:
    huifang__v1__request__free_unpacked(req, NULL);
    hf_arena_reset(arena);
    return 0;
}
