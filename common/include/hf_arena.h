/* hf_arena: a bump allocator for one request's or one event's short-lived objects.
 * Protobuf replies are built from arena memory and freed in one go after sending. */
#ifndef HF_ARENA_H
#define HF_ARENA_H
#include <stddef.h>

typedef struct hf_arena_t hf_arena_t;

/* Creates an empty arena; aborts only if the process is out of memory. */
hf_arena_t *hf_arena_new(void);
/* Frees the arena and everything allocated from it; idempotent, sets *self_p to NULL. */
void hf_arena_destroy(hf_arena_t **self_p);
/* Returns zeroed memory of size bytes owned by the arena. */
void *hf_arena_alloc(hf_arena_t *self, size_t size);
/* Returns a copy of s (NULL gives "") owned by the arena. */
char *hf_arena_strdup(hf_arena_t *self, const char *s);
/* Returns a printf-formatted string owned by the arena. */
char *hf_arena_printf(hf_arena_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees everything allocated so far but keeps the arena for reuse. */
void hf_arena_reset(hf_arena_t *self);

/* Allocates one zeroed object of TYPE from the arena. */
#define hf_new(arena, TYPE) ((TYPE *)hf_arena_alloc((arena), sizeof(TYPE)))
/* Allocates an array of n zeroed TYPE elements from the arena. */
#define hf_new_array(arena, TYPE, n) ((TYPE *)hf_arena_alloc((arena), sizeof(TYPE) * (size_t)(n)))

#endif
