/* hf_arena: chunks of memory handed out by bumping a pointer; freed all at once. */
#include "hf_arena.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HF_ARENA_CHUNK 8192

typedef struct s_chunk {
    struct s_chunk *next;
    size_t size;
    size_t used;
    max_align_t data[];
} s_chunk_t;

struct hf_arena_t {
    s_chunk_t *head;
};

static void *s_xmalloc(size_t n)
{
    void *p = malloc(n);
    if (p == NULL) {
        fprintf(stderr, "out of memory allocating %zu bytes\n", n);
        abort();
    }
    return p;
}

hf_arena_t *hf_arena_new(void)
{
    hf_arena_t *self = s_xmalloc(sizeof *self);
    self->head = NULL;
    return self;
}

void hf_arena_reset(hf_arena_t *self)
{
    s_chunk_t *c = self->head;
    while (c) {
        s_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    self->head = NULL;
}

void hf_arena_destroy(hf_arena_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    hf_arena_reset(*self_p);
    free(*self_p);
    *self_p = NULL;
}

void *hf_arena_alloc(hf_arena_t *self, size_t size)
{
    size_t align = sizeof(max_align_t);
    size = (size + align - 1) / align * align;
    if (size == 0)
        size = align;
    s_chunk_t *c = self->head;
    if (c == NULL || c->size - c->used < size) {
        size_t want = size > HF_ARENA_CHUNK ? size : HF_ARENA_CHUNK;
        c = s_xmalloc(sizeof(s_chunk_t) + want);
        c->size = want;
        c->used = 0;
        c->next = self->head;
        self->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

char *hf_arena_strdup(hf_arena_t *self, const char *s)
{
    if (s == NULL)
        s = "";
    size_t n = strlen(s) + 1;
    char *p = hf_arena_alloc(self, n);
    memcpy(p, s, n);
    return p;
}

char *hf_arena_printf(hf_arena_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return hf_arena_strdup(self, "");
    char *p = hf_arena_alloc(self, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
