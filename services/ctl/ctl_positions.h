/* ctl_positions: read your own writes across services, the client's half.
 *
 * A service's reply to a command that emitted events names the place of the last one
 * (Reply.written: producer, sequence, the stream's epoch). The client keeps the highest place
 * per producer it has seen in a small state file and sends them with every request
 * (Request.after), so that `huifang branch add BJ01` followed at once by `huifang plan step`
 * finds the branch in the scheduler's copy: the scheduler holds the request until it has
 * applied intake's event (a few seconds at most). See services/ctl/README.md.
 *
 * The file is $HUIFANG_STATE_DIR/positions, else $XDG_RUNTIME_DIR/huifang/positions, else
 * ~/.cache/huifang/positions; owner-only, at most CTL_POSITIONS_MAX lines of
 * "ENDPOINT PRODUCER EPOCH SEQ UPDATED_MS", replaced whole by rename under an flock so that
 * concurrent clients merge (highest sequence wins) and never see half a file. A missing,
 * foreign or corrupt file counts as empty; a file that cannot be written only costs the
 * wait it would have saved. Places are keyed by the producer's command endpoint as this
 * client resolves it, and carry the epoch, so a service answering from a fresh database
 * (a new epoch) ignores them instead of waiting for events that will never come. */
#ifndef CTL_POSITIONS_H
#define CTL_POSITIONS_H

#include "hf_arena.h"
#include "hf_wire.h"
#include <stdbool.h>
#include <stdint.h>

#define CTL_POSITIONS_MAX 64
/* A state file larger than this is not read (it is not ours, or corrupt). */
#define CTL_POSITIONS_MAX_BYTES 65536

typedef struct ctl_positions_t ctl_positions_t;

/* Creates the set for the state file at path (NULL: the default place; "" disables the file)
 * and loads what it holds. Never returns NULL. */
ctl_positions_t *ctl_positions_new(const char *path);
/* Writes what changed (ctl_positions_save) and frees; idempotent, sets *self_p to NULL. */
void ctl_positions_destroy(ctl_positions_t **self_p);
/* The state file's path ("" when there is none). */
const char *ctl_positions_path(const ctl_positions_t *self);
/* The client's state folder (HUIFANG_STATE_DIR, else $XDG_RUNTIME_DIR/huifang, else
 * ~/.cache/huifang), "" when there is none. The session file lives there too. */
const char *ctl_positions_dir(const ctl_positions_t *self);
/* Creates dir and its missing parents, owner-only; true when dir is then a folder of ours. */
bool ctl_state_make_dir(const char *dir);

/* Adds to req->after the place of every known producer except skip (the service req goes
 * to; NULL for none), unless req already carries places. Memory from arena. */
void ctl_positions_attach(ctl_positions_t *self, hf_request_t *req, const char *skip,
                          hf_arena_t *arena);
/* Notes rep->written (when set) as the producer's place: a higher sequence of the same epoch,
 * or a new epoch, replaces the one known. */
void ctl_positions_note(ctl_positions_t *self, const hf_reply_t *rep);
/* Merges the places noted since the last save into the state file. Returns 0 (also when
 * nothing changed or there is no file), -1 when it could not be written. */
int ctl_positions_save(ctl_positions_t *self);

/* The sequence known for producer at its current endpoint, 0 when none (for tests). */
uint64_t ctl_positions_seq(const ctl_positions_t *self, const char *producer);

#endif
