/* hf_bus: the ZeroMQ context and the lazy-pirate command client. */
#include "hf_bus.h"
#include "hf_clock.h"
#include "hf_keys.h"
#include "hf_log.h"
#include "hf_zap.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <zmq.h>

static void *s_context = NULL;

/* The process's CURVE identity (hf_bus_curve_init). */
static struct {
    bool set; /* hf_bus_curve_init was called */
    bool on;
    char dir[4096];
    char name[64];
    char pub[HF_KEY_Z85_LEN + 1];
    char sec[HF_KEY_Z85_LEN + 1];
    char error[1024]; /* "" when ready */
    long max_reply;
} s_curve = {.max_reply = HF_BUS_MAX_REPLY_BYTES};

int hf_bus_curve_init(bool on, const char *keys_dir, const char *name, char *err, size_t errlen)
{
    memset(s_curve.sec, 0, sizeof s_curve.sec);
    s_curve.set = true;
    s_curve.on = on;
    s_curve.error[0] = '\0';
    s_curve.dir[0] = s_curve.name[0] = '\0';
    if (!on)
        return 0;
    if (!zmq_has("curve")) {
        snprintf(s_curve.error, sizeof s_curve.error,
                 "this libzmq has no CURVE support (zmq_has(\"curve\") is false)");
    } else if (keys_dir == NULL || *keys_dir == '\0') {
        snprintf(s_curve.error, sizeof s_curve.error,
                 "HUIFANG_KEYS_DIR is not set: every socket uses CURVE and needs a keys "
                 "directory (make one with `huifang keys gen --dir DIR NAME...`; "
                 "HUIFANG_CURVE=off only for benchmarks)");
    } else if (!hf_keys_name_ok(name)) {
        snprintf(s_curve.error, sizeof s_curve.error,
                 "HUIFANG_CURVE_NAME '%s' is not a key name (a-z 0-9 _ . -)", name ? name : "");
    } else {
        snprintf(s_curve.dir, sizeof s_curve.dir, "%s", keys_dir);
        snprintf(s_curve.name, sizeof s_curve.name, "%s", name);
        char why[900];
        if (hf_keys_read_secret(keys_dir, name, s_curve.sec, why, sizeof why) != 0 ||
            hf_keys_read_public(keys_dir, name, s_curve.pub, why, sizeof why) != 0)
            snprintf(s_curve.error, sizeof s_curve.error,
                     "%s (HUIFANG_KEYS_DIR=%s, "
                     "HUIFANG_CURVE_NAME=%s)",
                     why, keys_dir, name);
    }
    if (s_curve.error[0]) {
        if (err)
            snprintf(err, errlen, "%s", s_curve.error);
        return -1;
    }
    return 0;
}

bool hf_bus_curve_on(void)
{
    return s_curve.set && s_curve.on;
}

const char *hf_bus_curve_error(void)
{
    return s_curve.error[0] ? s_curve.error : NULL;
}

const char *hf_bus_keys_dir(void)
{
    return s_curve.dir;
}

const char *hf_bus_curve_name(void)
{
    return s_curve.name;
}

void hf_bus_set_max_reply(long bytes)
{
    s_curve.max_reply = bytes > 0 ? bytes : HF_BUS_MAX_REPLY_BYTES;
}

long hf_bus_max_reply(void)
{
    return s_curve.max_reply;
}

int hf_bus_curve_client(void *sock, const char *server)
{
    if (!hf_bus_curve_on())
        return 0;
    if (s_curve.error[0]) {
        hf_warn("curve_unusable", "reason=\"%s\"", s_curve.error);
        return -1;
    }
    if (server == NULL || *server == '\0') {
        hf_error("curve_no_server", "reason=\"a client socket names no server to expect\"");
        return -1;
    }
    char server_pub[HF_KEY_Z85_LEN + 1], why[900];
    if (hf_keys_read_public(s_curve.dir, server, server_pub, why, sizeof why) != 0) {
        hf_warn("curve_no_server_key", "server=%s reason=\"%s\"", server, why);
        return -1;
    }
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_pub, HF_KEY_Z85_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, s_curve.pub, HF_KEY_Z85_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, s_curve.sec, HF_KEY_Z85_LEN) != 0)
        return -1;
    return 0;
}

int hf_bus_curve_serve(void *sock)
{
    if (!hf_bus_curve_on())
        return 0;
    if (s_curve.error[0])
        return -1;
    return hf_zap_server(sock, s_curve.sec);
}

void *hf_bus_context(void)
{
    if (s_context == NULL) {
        s_context = zmq_ctx_new();
        if (s_context == NULL)
            abort();
    }
    return s_context;
}

void hf_bus_shutdown(void)
{
    if (s_context) {
        zmq_ctx_term(s_context);
        s_context = NULL;
    }
}

void hf_bus_after_fork(void)
{
    s_context = NULL;
}

void hf_bus_new_id(char *out)
{
    unsigned char b[16];
    /* the kernel's random bytes in one system call (opening /dev/urandom for each id took
     * three, with a path lookup, for every ask of a peer and every client call) */
    if (getrandom(b, sizeof b, GRND_NONBLOCK) != (ssize_t)sizeof b) {
        /* not yet seeded (early boot): /dev/urandom as before, which does not wait */
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, b, sizeof b) != (ssize_t)sizeof b) {
            /* no urandom: time and pid still make ids unique enough for correlation */
            int64_t t = hf_clock_mono_ms() ^ ((int64_t)getpid() << 32);
            for (size_t i = 0; i < sizeof b; i++)
                b[i] = (unsigned char)(t >> ((i % 8) * 8)) ^ (unsigned char)rand();
        }
        if (fd >= 0)
            close(fd);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

struct hf_client_t {
    char *endpoint;
    int timeout_ms;
    int tries;
    int connect_wait_ms; /* 0: a request waits for a connection as long as for its answer */
    char server[64];     /* the service at endpoint, whose public key CURVE expects */
    void *sock;          /* kept while calls are answered; NULL after a failed try */
    char pending[40];    /* the request_id hf_client_send sent, "" when none is awaited */
};

static void s_client_close(hf_client_t *self)
{
    if (self->sock) {
        zmq_close(self->sock);
        self->sock = NULL;
    }
    self->pending[0] = '\0';
}

static int s_client_open(hf_client_t *self)
{
    s_client_close(self);
    self->sock = zmq_socket(hf_bus_context(), ZMQ_REQ);
    if (self->sock == NULL)
        return -1;
    int linger = 0;
    zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger);
    /* a server that refuses our key never says so (the socket retries quietly): a handshake
     * and a send are bounded like the answer, so a refused client fails its try in time */
    int ivl = self->timeout_ms;
    zmq_setsockopt(self->sock, ZMQ_HANDSHAKE_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(self->sock, ZMQ_SNDTIMEO, &ivl, sizeof ivl);
    int64_t max = hf_bus_max_reply();
    zmq_setsockopt(self->sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
    if (hf_bus_curve_client(self->sock, self->server) != 0) {
        s_client_close(self);
        return -1;
    }
    if (self->connect_wait_ms > 0) {
        /* queue nothing before a connection is up: POLLOUT then says whether one is */
        int immediate = 1;
        zmq_setsockopt(self->sock, ZMQ_IMMEDIATE, &immediate, sizeof immediate);
    }
    if (zmq_connect(self->sock, self->endpoint) != 0) {
        s_client_close(self);
        return -1;
    }
    return 0;
}

hf_client_t *hf_client_new(const char *endpoint, int timeout_ms, int tries)
{
    hf_client_t *self = calloc(1, sizeof *self);
    if (self == NULL)
        abort();
    self->endpoint = strdup(endpoint);
    self->timeout_ms = timeout_ms > 0 ? timeout_ms : 3000;
    self->tries = tries > 0 ? tries : 1;
    return self;
}

void hf_client_set_server(hf_client_t *self, const char *server)
{
    snprintf(self->server, sizeof self->server, "%s", server ? server : "");
    s_client_close(self); /* the key applies to the next socket */
}

void hf_client_set_connect_wait(hf_client_t *self, int ms)
{
    self->connect_wait_ms = ms > 0 ? ms : 0;
    s_client_close(self); /* the option applies to the next socket */
}

void hf_client_destroy(hf_client_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    hf_client_t *self = *self_p;
    s_client_close(self);
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

const char *hf_client_endpoint(const hf_client_t *self)
{
    return self->endpoint;
}

/* Packs req for one try into a new buffer (*len bytes; NULL when out of memory), its
 * answer_by_ms the try's own bound: timeout_ms from now on the real clock, or the bound req
 * carries when that is earlier (an ask made for a request that waits less). req is left as
 * it was. */
static uint8_t *s_pack_try(hf_request_t *req, int timeout_ms, size_t *len)
{
    int64_t own = req->answer_by_ms;
    int64_t bound = hf_clock_real_ms() + timeout_ms;
    if (own > 0 && own < bound)
        bound = own;
    req->answer_by_ms = bound;
    *len = huifang__v1__request__get_packed_size(req);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (buf)
        huifang__v1__request__pack(req, buf);
    req->answer_by_ms = own;
    return buf;
}

int hf_client_call(hf_client_t *self, hf_request_t *req, hf_reply_t **rep)
{
    *rep = NULL;
    if (self->pending[0])
        s_client_close(self); /* a REQ socket awaiting an answer takes no other request */
    char id[40];
    char *given = req->request_id; /* put back as it was before returning */
    if (req->request_id == NULL || req->request_id[0] == '\0') {
        hf_bus_new_id(id);
        req->request_id = id;
    }
    int rc = -1;
    for (int attempt = 0; attempt < self->tries && rc != 0; attempt++) {
        /* lazy pirate: a REQ socket that timed out is stuck, so a try after a failed one gets
         * a new one; after an answer the socket is ready for the next request */
        if (self->sock == NULL && s_client_open(self) != 0)
            break;
        if (self->connect_wait_ms > 0) {
            zmq_pollitem_t out = {self->sock, 0, ZMQ_POLLOUT, 0};
            int n;
            do
                n = zmq_poll(&out, 1, self->connect_wait_ms);
            while (n < 0 && zmq_errno() == EINTR);
            if (n <= 0) {
                s_client_close(self); /* nobody there: fail this try now */
                continue;
            }
        }
        /* each try says until when it is awaited (Request.answer_by_ms), so a service that
         * takes it from its queue after this try was given up does not run it */
        size_t len;
        uint8_t *buf = s_pack_try(req, self->timeout_ms, &len);
        if (buf == NULL)
            break;
        int sent = zmq_send(self->sock, buf, len, self->connect_wait_ms > 0 ? ZMQ_DONTWAIT : 0);
        free(buf);
        if (sent < 0) {
            s_client_close(self);
            continue;
        }
        zmq_pollitem_t item = {self->sock, 0, ZMQ_POLLIN, 0};
        int64_t deadline = hf_clock_mono_ms() + self->timeout_ms;
        while (rc != 0) {
            int64_t left = deadline - hf_clock_mono_ms();
            if (left <= 0)
                break;
            int n = zmq_poll(&item, 1, (long)left);
            if (n < 0 && zmq_errno() == EINTR)
                continue;
            if (n <= 0)
                break;
            zmq_msg_t msg;
            zmq_msg_init(&msg);
            if (zmq_msg_recv(&msg, self->sock, 0) < 0) {
                zmq_msg_close(&msg);
                break;
            }
            hf_reply_t *r = hf_reply_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg));
            zmq_msg_close(&msg);
            if (r == NULL)
                break; /* garbage: try again on a fresh socket */
            if (r->request_id && strcmp(r->request_id, req->request_id) != 0) {
                huifang__v1__reply__free_unpacked(r, NULL);
                break;
            }
            *rep = r;
            rc = 0;
        }
        if (rc != 0)
            s_client_close(self);
    }
    req->request_id = given;
    return rc;
}

int hf_client_send(hf_client_t *self, hf_request_t *req)
{
    if (self->pending[0])
        s_client_close(self);
    char id[40], sent_id[40];
    char *given = req->request_id; /* put back as it was before returning */
    if (req->request_id == NULL || req->request_id[0] == '\0') {
        hf_bus_new_id(id);
        req->request_id = id;
    }
    snprintf(sent_id, sizeof sent_id, "%s", req->request_id);
    int rc = -1;
    if (self->sock != NULL || s_client_open(self) == 0) {
        int n = 1;
        if (self->connect_wait_ms > 0) {
            zmq_pollitem_t out = {self->sock, 0, ZMQ_POLLOUT, 0};
            do
                n = zmq_poll(&out, 1, self->connect_wait_ms);
            while (n < 0 && zmq_errno() == EINTR);
        }
        /* the try's bound as hf_client_call's: the caller's wait for its answer */
        size_t len = 0;
        uint8_t *buf = n > 0 ? s_pack_try(req, self->timeout_ms, &len) : NULL;
        if (buf &&
            zmq_send(self->sock, buf, len, self->connect_wait_ms > 0 ? ZMQ_DONTWAIT : 0) >= 0) {
            snprintf(self->pending, sizeof self->pending, "%s", sent_id);
            rc = 0;
        } else {
            s_client_close(self);
        }
        free(buf);
    }
    req->request_id = given;
    return rc;
}

void *hf_client_pending(hf_client_t *self)
{
    return self->pending[0] ? self->sock : NULL;
}

int hf_client_take(hf_client_t *self, hf_reply_t **rep)
{
    *rep = NULL;
    if (!self->pending[0] || self->sock == NULL)
        return -1;
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, self->sock, ZMQ_DONTWAIT) < 0) {
        int err = zmq_errno();
        zmq_msg_close(&msg);
        if (err == EAGAIN || err == EINTR)
            return 0;
        s_client_close(self);
        return -1;
    }
    hf_reply_t *r = hf_reply_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg));
    zmq_msg_close(&msg);
    if (r == NULL || (r->request_id && strcmp(r->request_id, self->pending) != 0)) {
        if (r)
            huifang__v1__reply__free_unpacked(r, NULL);
        s_client_close(self); /* garbage or another request's: a fresh socket next time */
        return -1;
    }
    self->pending[0] = '\0';
    *rep = r;
    return 1;
}

void hf_client_abandon(hf_client_t *self)
{
    if (self->pending[0])
        s_client_close(self);
}
