/* hf_bus: the ZeroMQ context and the lazy-pirate command client. */
#include "hf_bus.h"
#include "hf_clock.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

static void *s_context = NULL;

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
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, b, sizeof b) != (ssize_t)sizeof b) {
        /* no urandom: time and pid still make ids unique enough for correlation */
        int64_t t = hf_clock_mono_ms() ^ ((int64_t)getpid() << 32);
        for (size_t i = 0; i < sizeof b; i++)
            b[i] = (unsigned char)(t >> ((i % 8) * 8)) ^ (unsigned char)rand();
    }
    if (fd >= 0)
        close(fd);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

struct hf_client_t {
    char *endpoint;
    int timeout_ms;
    int tries;
    int connect_wait_ms; /* 0: a request waits for a connection as long as for its answer */
    void *sock;          /* kept while calls are answered; NULL after a failed try */
};

static void s_client_close(hf_client_t *self)
{
    if (self->sock) {
        zmq_close(self->sock);
        self->sock = NULL;
    }
}

static int s_client_open(hf_client_t *self)
{
    s_client_close(self);
    self->sock = zmq_socket(hf_bus_context(), ZMQ_REQ);
    if (self->sock == NULL)
        return -1;
    int linger = 0;
    zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger);
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

int hf_client_call(hf_client_t *self, hf_request_t *req, hf_reply_t **rep)
{
    *rep = NULL;
    char id[40];
    if (req->request_id == NULL || req->request_id[0] == '\0') {
        hf_bus_new_id(id);
        req->request_id = id;
    }
    size_t len = huifang__v1__request__get_packed_size(req);
    uint8_t *buf = malloc(len ? len : 1);
    if (buf == NULL)
        return -1;
    huifang__v1__request__pack(req, buf);
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
        if (zmq_send(self->sock, buf, len, self->connect_wait_ms > 0 ? ZMQ_DONTWAIT : 0) < 0) {
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
            hf_reply_t *r = huifang__v1__reply__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
            zmq_msg_close(&msg);
            if (r == NULL)
                break;  /* garbage: try again on a fresh socket */
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
    free(buf);
    if (req->request_id == id)
        req->request_id = NULL;
    return rc;
}
