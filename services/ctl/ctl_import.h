/* ctl_import: the CSV lead importer without the command around it, so that a test links it.
 *
 * Three parts: the column map (which file column holds which lead field, from header names
 * clerks use in English and Chinese), a file row as a LeadAdd (values as spreadsheets write
 * them mapped to the words the service takes; a row the client can already tell is wrong
 * is rejected with its field and reason), and the pipeline (ctl_importer_t) that fills
 * batches per lane while one sender thread per lane sends them. `lead import` in
 * ctl_intake.c reads the file, writes the rejects file and says what happened. */
#ifndef CTL_IMPORT_H
#define CTL_IMPORT_H

#include "hf_arena.h"
#include "hf_wire.h"
#include <stdbool.h>
#include <stdint.h>

/* The columns a file may have, by LeadAdd field. */
typedef enum {
    CTL_COL_NAME,
    CTL_COL_PHONE,
    CTL_COL_CHANNEL,
    CTL_COL_REGION,
    CTL_COL_ADDRESS,
    CTL_COL_GENDER,
    CTL_COL_BIRTH,
    CTL_COL_REF_DATE,
    CTL_COL_COLLECTOR,
    CTL_COL_SOURCE,
    CTL_COL_NOTE,
    CTL_COL_COLLECTED_AT,
    CTL_COL_REFERRER,
    CTL_COL_ROUTE,
    CTL_COL_CONDITION,
    CTL_COL_BABY_NAME,
    CTL_COL_BABY_SEX,
    CTL_COL_BABY_BIRTH,
    CTL_COL_DUE_DATE,
    CTL_COL_BRAND,
    CTL_COL_FEEDING,
    CTL_COL_EMPLOYER,
    CTL_COL_HOBBIES,
    CTL_COL_HEALTH,
    CTL_COL_AGE,
    CTL_COL_WINDOWS,
    CTL_COL_COUNT
} ctl_import_col_t;

/* What a file's header says. */
typedef struct {
    int cols[CTL_COL_COUNT]; /* the file column of each field, or -1 */
    int nheader;             /* the header's cells */
    bool *ignored;           /* per header cell: not a lead field (nor a rejects file's own) */
} ctl_import_map_t;

/* The field a header cell names (matched case-insensitively, ignoring spaces, '_', '-' and
 * a BOM), or -1. */
int ctl_import_column_of(const char *cell);
/* Maps a header row (the first cell naming a field wins). 0, or -1 when it names no name
 * or no phone column. ignored lives in a. */
int ctl_import_map(ctl_import_map_t *m, char **fields, int nfields, hf_arena_t *a);
/* A file row as a lead (strings in a): 0 with *out; 1 when rejected, with *field (NULL for
 * the row as a whole) and reason. tz reads a collected_at without a zone. */
int ctl_import_row(const ctl_import_map_t *m, char **fields, int nfields, const char *tz,
                   hf_arena_t *a, Huifang__V1__LeadAdd **out, const char **field, char *reason,
                   size_t reasonlen);
/* The lane (0..nlanes-1) of a row: a hash of its phone's digits (a leading 86 of a 13-digit
 * number dropped), so the ways of writing one phone that intake normalises to one mostly
 * meet in one lane. */
int ctl_import_lane(const ctl_import_map_t *m, char **fields, int nfields, int nlanes);

/* ---- the pipeline ---- */

#define CTL_IMPORT_MAX_LANES 16

/* One row waiting in a batch: what the file said (for the rejects file). */
typedef struct {
    int64_t line;
    char **fields;
    int nfields;
} ctl_import_pending_t;

/* A batch of rows on its way: filled by the reader, sent by its lane's sender, its answer
 * handled by the reader again. Its strings live in its own arena. */
typedef struct ctl_import_batch {
    hf_arena_t *arena;
    Huifang__V1__LeadImportRow **rows;
    ctl_import_pending_t *pending;
    int n;
    int lane;
    char key[40];    /* the idempotency key of its request (set when it is sent) */
    bool sent;       /* false: the pipeline stopped before sending it */
    int status;      /* after sending: 0, or the exit code */
    hf_reply_t *rep; /* after sending, when status is 0; freed by the pipeline */
} ctl_import_batch_t;

/* What the pipeline calls. connect, send and disconnect run in a lane's sender thread;
 * handle in the reader's (the thread calling ctl_importer_*). */
typedef struct {
    void *(*connect)(void *ctx, int lane);
    /* sends b, setting b->status and, when 0, b->rep */
    void (*send)(void *ctx, void *conn, ctl_import_batch_t *b);
    void (*disconnect)(void *ctx, void **conn);
    /* what the service did with a sent batch: 0, or an exit code */
    int (*handle)(void *ctx, ctl_import_batch_t *b);
} ctl_import_io_t;

typedef struct ctl_importer ctl_importer_t;

/* Starts one sender thread per lane, each with at most three batches of batch_size rows
 * in its lane (one in flight, one waiting, one filling). NULL when a thread could not
 * start. */
ctl_importer_t *ctl_importer_new(int nlanes, int batch_size, const ctl_import_io_t *io, void *ctx);
/* The batch being filled for lane: a spare one, a new one, or the first to come back
 * (handled first). NULL with *rc set when a batch failed or could not be had. */
ctl_import_batch_t *ctl_importer_batch(ctl_importer_t *self, int lane, int *rc);
/* Adds a row built in the lane's batch's arena (fields are copied); sends the batch when
 * it is full. */
void ctl_importer_add(ctl_importer_t *self, ctl_import_batch_t *b, Huifang__V1__LeadAdd *lead,
                      int64_t line, char **fields, int nfields);
/* Sends what the lanes still hold (when rc is 0), lets the senders finish, handles every
 * answer and stops the threads. Returns rc when not 0, else the first failure of a batch
 * or of its handling, else 0. */
int ctl_importer_finish(ctl_importer_t *self, int rc);
/* Frees the importer (finishing it first when it was not). */
void ctl_importer_destroy(ctl_importer_t **self_p);

#endif
