/* hf_zap: the ZAP handler thread and its allow-list. */
#include "hf_zap.h"
#include "hf_clock.h"
#include "hf_keys.h"
#include "hf_log.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#define HF_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define HF_ZAP_MAX_KEYS 256

typedef struct {
    uint8_t key[32];
    char principal[80];
} s_allowed_t;

struct hf_zap_t {
    void *sock;       /* REP on HF_ZAP_ENDPOINT, used by the thread only */
    int stop_pipe[2]; /* a byte on [1] stops the thread */
    pthread_t thread;
    bool running;
    char *dir;
    struct timespec dir_mtime; /* of the last read, to notice a changed directory */
    int64_t skipped_at;        /* monotonic ms of a read that skipped a file, 0: none */
    s_allowed_t allowed[HF_ZAP_MAX_KEYS];
    int nallowed;
    atomic_ulong refused;
    int64_t last_log_ms;    /* monotonic: refusals are logged at most once a second */
    unsigned long unlogged; /* refusals since the last line */
};

/* Reads every *.pub of the directory into the allow-list. A file that is not a key is
 * skipped with a warning; an unreadable directory empties the list (fail closed). */
static void s_load(hf_zap_t *self)
{
    struct stat st;
    if (stat(self->dir, &st) == 0)
        self->dir_mtime = st.st_mtim;
    self->nallowed = 0;
    self->skipped_at = 0;
    DIR *d = opendir(self->dir);
    if (d == NULL) {
        hf_error("zap_keys_unreadable", "dir=%s reason=\"%s\"", self->dir, strerror(errno));
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL && self->nallowed < HF_ZAP_MAX_KEYS) {
        size_t n = strlen(e->d_name);
        if (n <= 4 || strcmp(e->d_name + n - 4, ".pub") != 0 || e->d_name[0] == '.')
            continue;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(n - 4), e->d_name);
        char pub[HF_KEY_Z85_LEN + 1], err[512];
        if (hf_keys_read_public(self->dir, name, pub, err, sizeof err) != 0) {
            hf_warn("zap_key_skipped", "reason=\"%s\"", err);
            self->skipped_at = hf_clock_mono_ms();
            continue;
        }
        s_allowed_t *a = &self->allowed[self->nallowed++];
        zmq_z85_decode(a->key, pub);
        hf_keys_principal(self->dir, name, a->principal, sizeof a->principal);
    }
    closedir(d);
    hf_debug("zap_keys_loaded", "dir=%s keys=%d", self->dir, self->nallowed);
}

/* Reads the folder again when it changed; and, while a file was skipped, once a second: a
 * key file being written (copied in by hand) when the folder changed is read again once whole,
 * though writing into it changes the file, not the folder. */
static void s_reload_if_changed(hf_zap_t *self)
{
    struct stat st;
    if (stat(self->dir, &st) != 0 || st.st_mtim.tv_sec != self->dir_mtime.tv_sec ||
        st.st_mtim.tv_nsec != self->dir_mtime.tv_nsec ||
        (self->skipped_at != 0 && hf_clock_mono_ms() - self->skipped_at >= 1000))
        s_load(self);
}

static const char *s_lookup(hf_zap_t *self, const uint8_t *key)
{
    s_reload_if_changed(self);
    for (int i = 0; i < self->nallowed; i++)
        if (memcmp(self->allowed[i].key, key, 32) == 0)
            return self->allowed[i].principal;
    return NULL;
}

/* One line per second at most, naming the key by its first 8 Z85 characters only. */
static void s_log_refusal(hf_zap_t *self, const char *reason, const uint8_t *key,
                          const char *address)
{
    atomic_fetch_add(&self->refused, 1);
    self->unlogged++;
    int64_t now = hf_clock_mono_ms();
    if (self->last_log_ms != 0 && now - self->last_log_ms < 1000)
        return;
    char z85[HF_KEY_Z85_LEN + 1] = "-";
    if (key)
        zmq_z85_encode(z85, key, 32);
    hf_warn("zap_refused", "reason=%s key=%.8s... address=%s refused_since_last=%lu", reason,
            key ? z85 : "-", address, self->unlogged);
    self->unlogged = 0;
    self->last_log_ms = now;
}

/* Answers one ZAP request (RFC 27): version, request id, domain, address, identity,
 * mechanism, credentials. */
static void s_handle(hf_zap_t *self)
{
    zmq_msg_t frames[8];
    int n = 0, more = 1;
    while (more) { /* up to 8 frames are kept; more than RFC 27 has are dropped */
        zmq_msg_t junk;
        zmq_msg_t *m = n < 8 ? &frames[n] : &junk;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, self->sock, 0) < 0) {
            zmq_msg_close(m);
            break;
        }
        more = zmq_msg_more(m);
        if (n < 8)
            n++;
        else
            zmq_msg_close(m);
    }
    if (n < 6)
        goto cleanup;
    char field[4][64];
    for (int i = 0; i < 4; i++) {
        static const int idx[] = {0, 2, 3, 5}; /* version, domain, address, mechanism */
        size_t len = zmq_msg_size(&frames[idx[i]]);
        if (len >= sizeof field[i])
            len = sizeof field[i] - 1;
        memcpy(field[i], zmq_msg_data(&frames[idx[i]]), len);
        field[i][len] = '\0';
    }
    const char *status = "400", *text = "refused", *user = "";
    const uint8_t *key = NULL;
    if (strcmp(field[0], "1.0") != 0) {
        s_log_refusal(self, "bad_version", NULL, field[2]);
    } else if (strcmp(field[1], HF_ZAP_DOMAIN) != 0) {
        s_log_refusal(self, "wrong_domain", NULL, field[2]);
    } else if (strcmp(field[3], "CURVE") != 0 || n < 7 || zmq_msg_size(&frames[6]) != 32) {
        s_log_refusal(self, "not_curve", NULL, field[2]);
    } else {
        key = zmq_msg_data(&frames[6]);
        const char *principal = s_lookup(self, key);
        if (principal) {
            status = "200";
            text = "OK";
            user = principal;
        } else {
            s_log_refusal(self, "unknown_key", key, field[2]);
        }
    }
    zmq_send(self->sock, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(self->sock, zmq_msg_data(&frames[1]), zmq_msg_size(&frames[1]), ZMQ_SNDMORE);
    zmq_send(self->sock, status, 3, ZMQ_SNDMORE);
    zmq_send(self->sock, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(self->sock, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(self->sock, "", 0, 0);
cleanup:
    for (int i = 0; i < n; i++)
        zmq_msg_close(&frames[i]);
}

static void *s_run(void *arg)
{
    hf_zap_t *self = arg;
    for (;;) {
        zmq_pollitem_t items[2] = {{self->sock, 0, ZMQ_POLLIN, 0},
                                   {NULL, self->stop_pipe[0], ZMQ_POLLIN, 0}};
        int rc = zmq_poll(items, 2, -1);
        if (rc < 0) {
            if (zmq_errno() == EINTR)
                continue;
            break; /* the context is going away */
        }
        if (items[1].revents & ZMQ_POLLIN)
            break;
        if (items[0].revents & ZMQ_POLLIN)
            s_handle(self);
    }
    zmq_close(self->sock);
    self->sock = NULL;
    return NULL;
}

hf_zap_t *hf_zap_new(void *ctx, const char *keys_dir)
{
    hf_zap_t *self = calloc(1, sizeof *self);
    if (self == NULL)
        return NULL;
    self->stop_pipe[0] = self->stop_pipe[1] = -1;
    self->dir = strdup(keys_dir);
    s_load(self);
    self->sock = zmq_socket(ctx, ZMQ_REP);
    if (self->sock == NULL || pipe(self->stop_pipe) != 0) {
        hf_error("zap_failed", "reason=\"%s\"", strerror(errno));
        goto fail;
    }
    int linger = 0;
    zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(self->sock, HF_ZAP_ENDPOINT) != 0) {
        hf_error("zap_failed", "endpoint=%s reason=\"%s\"", HF_ZAP_ENDPOINT,
                 zmq_strerror(zmq_errno()));
        goto fail;
    }
    if (pthread_create(&self->thread, NULL, s_run, self) != 0) {
        hf_error("zap_failed", "reason=\"could not start the thread\"");
        goto fail;
    }
    self->running = true;
    return self;
fail:
    hf_zap_destroy(&self);
    return NULL;
}

void hf_zap_destroy(hf_zap_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    hf_zap_t *self = *self_p;
    if (self->running) {
        ssize_t w;
        do
            w = write(self->stop_pipe[1], "x", 1);
        while (w < 0 && errno == EINTR);
        pthread_join(self->thread, NULL);
    } else if (self->sock) {
        zmq_close(self->sock);
    }
    for (int i = 0; i < 2; i++)
        if (self->stop_pipe[i] >= 0)
            close(self->stop_pipe[i]);
    free(self->dir);
    free(self);
    *self_p = NULL;
}

unsigned long hf_zap_refused(const hf_zap_t *self)
{
    return atomic_load(&((hf_zap_t *)self)->refused);
}

int hf_zap_server(void *sock, const char *secret)
{
    int on = 1;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &on, sizeof on) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret, HF_KEY_Z85_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, HF_ZAP_DOMAIN, strlen(HF_ZAP_DOMAIN)) != 0 ||
        zmq_setsockopt(sock, ZMQ_ZAP_ENFORCE_DOMAIN, &on, sizeof on) != 0)
        return -1;
    return 0;
}
