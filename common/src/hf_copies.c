/* hf_copies: records kept for a batch and written in one upsert. See hf_copies.h.
 *
 * The rows live in one growing array; an open-addressing table from id to row makes a
 * second put of the same id replace the first (one upsert cannot touch a row twice). The
 * texts are copied into a growing buffer of their own, forgotten with the rows. */
#include "hf_copies.h"
#include <stdlib.h>
#include <string.h>

struct hf_copies {
    const hf_query_t *upsert;
    int ncols;
    size_t n, cap;     /* rows kept, room */
    int64_t *ids;      /* [cap] */
    size_t *cells;     /* [cap * (ncols - 1)]: offsets into text */
    size_t *slots;     /* [nslots]: row + 1, 0 for empty */
    size_t nslots;     /* a power of two, at least 2 * cap */
    char *text;        /* the copied texts, each ending in '\0' */
    size_t tlen, tcap; /* used, room */
};

hf_copies_t *hf_copies_new(const hf_query_t *upsert, int ncols)
{
    if (upsert == NULL || ncols < 1)
        return NULL;
    hf_copies_t *self = calloc(1, sizeof *self);
    if (self == NULL)
        return NULL;
    self->upsert = upsert;
    self->ncols = ncols;
    return self;
}

void hf_copies_destroy(hf_copies_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    hf_copies_t *self = *self_p;
    free(self->ids);
    free(self->cells);
    free(self->slots);
    free(self->text);
    free(self);
    *self_p = NULL;
}

void hf_copies_forget(hf_copies_t *self)
{
    if (self == NULL)
        return;
    self->n = 0;
    self->tlen = 0;
    if (self->slots)
        memset(self->slots, 0, self->nslots * sizeof *self->slots);
}

size_t hf_copies_count(const hf_copies_t *self)
{
    return self ? self->n : 0;
}

static size_t s_hash(int64_t id, size_t nslots)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 17) & (nslots - 1);
}

/* Room for one more row (the table rebuilt when it grows). 0 or -1. */
static int s_grow(hf_copies_t *self)
{
    if (self->n < self->cap)
        return 0;
    size_t cap = self->cap ? self->cap * 2 : 256;
    size_t per = (size_t)(self->ncols - 1);
    int64_t *ids = realloc(self->ids, cap * sizeof *ids);
    if (ids == NULL)
        return -1;
    self->ids = ids;
    if (per) {
        size_t *cells = realloc(self->cells, cap * per * sizeof *cells);
        if (cells == NULL)
            return -1;
        self->cells = cells;
    }
    size_t nslots = cap * 2;
    size_t *slots = calloc(nslots, sizeof *slots);
    if (slots == NULL)
        return -1;
    for (size_t r = 0; r < self->n; r++) {
        size_t h = s_hash(self->ids[r], nslots);
        while (slots[h])
            h = (h + 1) & (nslots - 1);
        slots[h] = r + 1;
    }
    free(self->slots);
    self->slots = slots;
    self->nslots = nslots;
    self->cap = cap;
    return 0;
}

/* Copies s into the text buffer; its offset, or (size_t)-1 when out of memory. */
static size_t s_text(hf_copies_t *self, const char *s)
{
    size_t len = strlen(s ? s : "") + 1;
    if (self->tlen + len > self->tcap) {
        size_t tcap = self->tcap ? self->tcap * 2 : 16384;
        while (tcap < self->tlen + len)
            tcap *= 2;
        char *t = realloc(self->text, tcap);
        if (t == NULL)
            return (size_t)-1;
        self->text = t;
        self->tcap = tcap;
    }
    memcpy(self->text + self->tlen, s ? s : "", len);
    size_t at = self->tlen;
    self->tlen += len;
    return at;
}

int hf_copies_put(hf_copies_t *self, int64_t id, const char *const *cols)
{
    if (s_grow(self) != 0)
        return -1;
    size_t h = s_hash(id, self->nslots), row;
    while (self->slots[h] && self->ids[self->slots[h] - 1] != id)
        h = (h + 1) & (self->nslots - 1);
    if (self->slots[h]) {
        row = self->slots[h] - 1; /* the same record again: replaced in its place */
    } else {
        row = self->n++;
        self->ids[row] = id;
        self->slots[h] = row + 1;
    }
    size_t per = (size_t)(self->ncols - 1);
    for (size_t k = 0; k < per; k++) {
        size_t at = s_text(self, cols[k]);
        if (at == (size_t)-1)
            return -1;
        self->cells[row * per + k] = at;
    }
    return 0;
}

/* The column k of every row as a Postgres array literal (elements quoted); malloc'd. */
static char *s_array(const hf_copies_t *self, int k)
{
    size_t per = (size_t)(self->ncols - 1), len = 3;
    char num[24];
    for (size_t r = 0; r < self->n; r++) {
        const char *v = k == 0 ? num : self->text + self->cells[r * per + (size_t)(k - 1)];
        len += 3 + (k == 0 ? 21 : 2 * strlen(v));
    }
    char *out = malloc(len), *o = out;
    if (out == NULL)
        return NULL;
    *o++ = '{';
    for (size_t r = 0; r < self->n; r++) {
        if (r)
            *o++ = ',';
        if (k == 0) {
            o += snprintf(o, 22, "%lld", (long long)self->ids[r]);
            continue;
        }
        *o++ = '"';
        for (const char *v = self->text + self->cells[r * per + (size_t)(k - 1)]; *v; v++) {
            if (*v == '"' || *v == '\\')
                *o++ = '\\';
            *o++ = *v;
        }
        *o++ = '"';
    }
    *o++ = '}';
    *o = '\0';
    return out;
}

int hf_copies_flush(hf_copies_t *self, hf_store_t *st)
{
    if (self == NULL || self->n == 0)
        return 0;
    char **arrays = calloc((size_t)self->ncols, sizeof *arrays);
    int rc = arrays ? 0 : -1;
    for (int k = 0; rc == 0 && k < self->ncols; k++)
        if ((arrays[k] = s_array(self, k)) == NULL)
            rc = -1;
    if (rc == 0)
        rc = hf_store_query_run(st, self->upsert, self->ncols, (const char *const *)arrays);
    for (int k = 0; arrays && k < self->ncols; k++)
        free(arrays[k]);
    free(arrays);
    hf_copies_forget(self);
    return rc;
}
