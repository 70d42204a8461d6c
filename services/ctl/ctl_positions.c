/* ctl_positions: the places in the services' event streams this client has seen. See
 * ctl_positions.h for what they are for and the state file's format. */
#include "ctl_positions.h"
#include "ctl.h"

#include "hf_clock.h"
#include "hf_service.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_HEADER "huifang-positions 1\n"
#define S_LOCK_TRIES 200 /* times 5 ms: how long a save waits for another client's */

typedef struct {
    char endpoint[200]; /* the producer's command endpoint, as this client resolves it */
    char producer[32];
    char epoch[40];
    uint64_t seq;
    int64_t updated_ms; /* UTC ms when last moved: the oldest place goes when the file is full */
    bool dirty;         /* noted since the last save */
} s_entry_t;

struct ctl_positions_t {
    char dir[4096];
    char path[4200];
    s_entry_t entries[CTL_POSITIONS_MAX];
    int n;
};

/* ---- the places ---- */

static s_entry_t *s_find(s_entry_t *entries, int n, const char *endpoint, const char *producer)
{
    for (int i = 0; i < n; i++)
        if (strcmp(entries[i].endpoint, endpoint) == 0 &&
            strcmp(entries[i].producer, producer) == 0)
            return &entries[i];
    return NULL;
}

/* Puts e into entries: a higher sequence of the same epoch wins, a different epoch wins when
 * prefer_new (it was just seen in a reply); a new key takes a free slot or the oldest one.
 * Returns the entry, or NULL when nothing changed. */
static s_entry_t *s_merge(s_entry_t *entries, int *n, const s_entry_t *e, bool prefer_new)
{
    s_entry_t *old = s_find(entries, *n, e->endpoint, e->producer);
    if (old != NULL) {
        bool same = strcmp(old->epoch, e->epoch) == 0;
        if (same && e->seq <= old->seq)
            return NULL;
        if (!same && !prefer_new && e->updated_ms <= old->updated_ms)
            return NULL;
        *old = *e;
        return old;
    }
    if (*n < CTL_POSITIONS_MAX) {
        entries[*n] = *e;
        return &entries[(*n)++];
    }
    int oldest = 0;
    for (int i = 1; i < *n; i++)
        if (entries[i].updated_ms < entries[oldest].updated_ms)
            oldest = i;
    entries[oldest] = *e;
    return &entries[oldest];
}

/* True when text is 1..max-1 characters, each a letter, digit or one of extra. */
static bool s_word_ok(const char *text, size_t max, const char *extra)
{
    size_t len = strlen(text);
    if (len == 0 || len >= max)
        return false;
    for (const char *c = text; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              strchr(extra, *c)))
            return false;
    return true;
}

/* Parses one line "ENDPOINT PRODUCER EPOCH SEQ UPDATED_MS"; false when it is not one. */
static bool s_parse_line(char *line, s_entry_t *e)
{
    char *save = NULL;
    char *f[6];
    int nf = 0;
    for (char *t = strtok_r(line, " ", &save); t && nf < 6; t = strtok_r(NULL, " ", &save))
        f[nf++] = t;
    if (nf != 5)
        return false;
    if (!s_word_ok(f[0], sizeof e->endpoint, ":/.*[]-_") ||
        !s_word_ok(f[1], sizeof e->producer, "_") || !s_word_ok(f[2], sizeof e->epoch, "-"))
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long long seq = strtoull(f[3], &end, 10);
    if (errno || *end || f[3][0] < '0' || f[3][0] > '9' || seq == 0 || seq > INT64_MAX)
        return false;
    long long at = strtoll(f[4], &end, 10);
    if (errno || *end || f[4][0] < '0' || f[4][0] > '9')
        return false;
    memset(e, 0, sizeof *e);
    snprintf(e->endpoint, sizeof e->endpoint, "%s", f[0]);
    snprintf(e->producer, sizeof e->producer, "%s", f[1]);
    snprintf(e->epoch, sizeof e->epoch, "%s", f[2]);
    e->seq = seq;
    e->updated_ms = at;
    return true;
}

/* Reads the state file into entries (*n of them). A missing file, one that is not a regular
 * file of ours, too large, or without the header counts as empty; bad lines are skipped. */
static void s_load(const char *path, s_entry_t *entries, int *n)
{
    *n = 0;
    if (path[0] == '\0')
        return;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        st.st_size > CTL_POSITIONS_MAX_BYTES)
        goto cleanup;
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL)
        goto cleanup;
    size_t len = 0;
    while (len < (size_t)st.st_size) {
        ssize_t got = read(fd, buf + len, (size_t)st.st_size - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    buf[len] = '\0';
    if (strncmp(buf, S_HEADER, strlen(S_HEADER)) != 0)
        goto cleanup;
    char *save = NULL;
    for (char *line = strtok_r(buf + strlen(S_HEADER), "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        s_entry_t e;
        if (s_parse_line(line, &e))
            s_merge(entries, n, &e, false);
    }
cleanup:
    free(buf);
    close(fd);
}

/* ---- the object ---- */

ctl_positions_t *ctl_positions_new(const char *path)
{
    ctl_positions_t *self = calloc(1, sizeof *self);
    if (self == NULL)
        abort();
    const char *dir = getenv("HUIFANG_STATE_DIR"), *run = getenv("XDG_RUNTIME_DIR"),
               *home = getenv("HOME");
    if (path != NULL) {
        snprintf(self->path, sizeof self->path, "%s", path);
        const char *slash = strrchr(path, '/');
        snprintf(self->dir, sizeof self->dir, "%.*s", slash ? (int)(slash - path) : 1,
                 slash ? path : ".");
    } else {
        if (dir && *dir)
            snprintf(self->dir, sizeof self->dir, "%s", dir);
        else if (run && *run)
            snprintf(self->dir, sizeof self->dir, "%s/huifang", run);
        else if (home && *home)
            snprintf(self->dir, sizeof self->dir, "%s/.cache/huifang", home);
        if (self->dir[0])
            snprintf(self->path, sizeof self->path, "%s/positions", self->dir);
    }
    s_load(self->path, self->entries, &self->n);
    return self;
}

void ctl_positions_destroy(ctl_positions_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    ctl_positions_save(*self_p);
    free(*self_p);
    *self_p = NULL;
}

const char *ctl_positions_path(const ctl_positions_t *self)
{
    return self->path;
}

void ctl_positions_attach(ctl_positions_t *self, hf_request_t *req, const char *skip,
                          hf_arena_t *arena)
{
    if (self == NULL || req->n_after > 0)
        return;
    Huifang__V1__StreamPosition **list =
        hf_new_array(arena, Huifang__V1__StreamPosition *, CTL_SERVICES);
    size_t n = 0;
    for (int i = 0; i < CTL_SERVICES; i++) {
        const char *name = ctl_service_names[i];
        if (skip && strcmp(skip, name) == 0)
            continue;
        char ep[256];
        hf_endpoint_commands(name, ep, sizeof ep);
        const s_entry_t *e = s_find(self->entries, self->n, ep, name);
        if (e == NULL)
            continue;
        Huifang__V1__StreamPosition *p = hf_new(arena, Huifang__V1__StreamPosition);
        huifang__v1__stream_position__init(p);
        p->producer = (char *)name;
        p->seq = e->seq;
        p->epoch = (char *)hf_arena_strdup(arena, e->epoch);
        list[n++] = p;
    }
    req->after = list;
    req->n_after = n;
}

void ctl_positions_note(ctl_positions_t *self, const hf_reply_t *rep)
{
    const Huifang__V1__StreamPosition *w = self && rep ? rep->written : NULL;
    if (w == NULL || w->seq == 0 || w->seq > INT64_MAX || w->producer == NULL || w->epoch == NULL)
        return;
    s_entry_t e;
    memset(&e, 0, sizeof e);
    char ep[256];
    hf_endpoint_commands(w->producer, ep, sizeof ep);
    if (strlen(ep) >= sizeof e.endpoint || strlen(w->producer) >= sizeof e.producer ||
        strlen(w->epoch) >= sizeof e.epoch || !s_word_ok(w->producer, sizeof e.producer, "_") ||
        !s_word_ok(w->epoch, sizeof e.epoch, "-") || !s_word_ok(ep, sizeof e.endpoint, ":/.*[]-_"))
        return; /* not a place we could write down and read back */
    snprintf(e.endpoint, sizeof e.endpoint, "%s", ep);
    snprintf(e.producer, sizeof e.producer, "%s", w->producer);
    snprintf(e.epoch, sizeof e.epoch, "%s", w->epoch);
    e.seq = w->seq;
    e.updated_ms = hf_clock_now_ms();
    e.dirty = true;
    s_merge(self->entries, &self->n, &e, true);
}

uint64_t ctl_positions_seq(const ctl_positions_t *self, const char *producer)
{
    char ep[256];
    hf_endpoint_commands(producer, ep, sizeof ep);
    const s_entry_t *e = s_find((s_entry_t *)self->entries, self->n, ep, producer);
    return e ? e->seq : 0;
}

/* ---- saving ---- */

const char *ctl_positions_dir(const ctl_positions_t *self)
{
    return self->dir;
}

/* Creates dir and its missing parents, owner-only; true when dir is then a folder of ours. */
bool ctl_state_make_dir(const char *dir)
{
    char part[4096];
    snprintf(part, sizeof part, "%s", dir);
    for (char *c = part + 1; *c; c++) {
        if (*c != '/')
            continue;
        *c = '\0';
        if (mkdir(part, 0700) != 0 && errno != EEXIST)
            return false;
        *c = '/';
    }
    if (mkdir(part, 0700) != 0 && errno != EEXIST)
        return false;
    struct stat st;
    return lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid();
}

static int s_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t put = write(fd, buf, len);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return -1;
        buf += put;
        len -= (size_t)put;
    }
    return 0;
}

int ctl_positions_save(ctl_positions_t *self)
{
    bool dirty = false;
    for (int i = 0; i < self->n; i++)
        dirty = dirty || self->entries[i].dirty;
    if (!dirty || self->path[0] == '\0')
        return 0;
    if (!ctl_state_make_dir(self->dir))
        return -1;
    char lock[4300], tmp[4300];
    snprintf(lock, sizeof lock, "%s.lock", self->path);
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", self->path, (int)getpid());
    int lfd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (lfd < 0)
        return -1;
    int rc = -1, fd = -1;
    char *buf = NULL;
    /* another client saving at the same moment: wait for it briefly, then merge with it */
    int tries = 0;
    while (flock(lfd, LOCK_EX | LOCK_NB) != 0) {
        if (++tries == S_LOCK_TRIES)
            goto cleanup;
        usleep(5000);
    }
    s_entry_t disk[CTL_POSITIONS_MAX];
    int n = 0;
    s_load(self->path, disk, &n);
    for (int i = 0; i < self->n; i++)
        if (self->entries[i].dirty)
            s_merge(disk, &n, &self->entries[i], true);
    size_t cap = strlen(S_HEADER) + (size_t)n * (sizeof(s_entry_t) + 64);
    buf = malloc(cap);
    if (buf == NULL)
        goto cleanup;
    size_t len = (size_t)snprintf(buf, cap, "%s", S_HEADER);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s %s %s %" PRIu64 " %" PRId64 "\n",
                                disk[i].endpoint, disk[i].producer, disk[i].epoch, disk[i].seq,
                                disk[i].updated_ms);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0 || s_write_all(fd, buf, len) != 0)
        goto cleanup;
    if (close(fd) != 0) {
        fd = -1;
        goto cleanup;
    }
    fd = -1;
    if (rename(tmp, self->path) != 0)
        goto cleanup;
    for (int i = 0; i < self->n; i++)
        self->entries[i].dirty = false;
    rc = 0;
cleanup:
    if (fd >= 0)
        close(fd);
    if (rc != 0)
        unlink(tmp);
    free(buf);
    close(lfd); /* drops the lock */
    return rc;
}
