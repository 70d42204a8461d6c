/* hf_mask_message: masks a protobuf message in place by reflection, with hf_mask's table of
 * personal fields: what an `hq` person gets back from any command (they read their
 * branches' records masked). Strings are replaced by masked copies from the arena; nothing
 * is freed, so the message must live in the arena too (a reply being built). */
#include "hf_mask.h"
#include <string.h>

/* value masked, from the arena; value itself when masking leaves it as it is (so that a
 * string shared with something longer-lived is not even pointed elsewhere) */
static char *s_masked(hf_mask_kind_t kind, char *value, hf_arena_t *arena)
{
    size_t len = strlen(value) + 16;
    char *out = hf_arena_alloc(arena, len);
    hf_mask_value(kind, value, out, len);
    return strcmp(out, value) == 0 ? value : out;
}

void hf_mask_message(ProtobufCMessage *msg, hf_arena_t *arena)
{
    if (msg == NULL)
        return;
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        char *base = (char *)msg;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t set = *(uint32_t *)(void *)(base + f->quantifier_offset);
            if (set != f->id)
                continue;
        }
        if (f->type == PROTOBUF_C_TYPE_STRING) {
            hf_mask_kind_t kind = hf_mask_kind(d->short_name, f->name);
            if (f->label == PROTOBUF_C_LABEL_REPEATED) {
                size_t n = *(size_t *)(void *)(base + f->quantifier_offset);
                char **v = *(char ***)(void *)(base + f->offset);
                for (size_t j = 0; j < n; j++) {
                    char *m = v[j] && *v[j] ? s_masked(kind, v[j], arena) : v[j];
                    if (m != v[j])
                        v[j] = m;
                }
            } else {
                char **v = (char **)(void *)(base + f->offset);
                if (*v && **v)
                    *v = s_masked(kind, *v, arena);
            }
        } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
            if (f->label == PROTOBUF_C_LABEL_REPEATED) {
                size_t n = *(size_t *)(void *)(base + f->quantifier_offset);
                ProtobufCMessage **v = *(ProtobufCMessage ***)(void *)(base + f->offset);
                for (size_t j = 0; j < n; j++)
                    hf_mask_message(v[j], arena);
            } else {
                hf_mask_message(*(ProtobufCMessage **)(void *)(base + f->offset), arena);
            }
        }
    }
}
