/* hf_zap: our ZAP handler (ZeroMQ RFC 27). A thread of the service process answers the
 * handshakes of every CURVE server socket of one context on inproc://zeromq.zap.01: a client
 * whose public key is one of the NAME.pub files of the keys directory is accepted with the
 * principal ("svc:scheduler", "client:cli") as its User-Id, which the server reads from each
 * message (zmq_msg_gets "User-Id"); any other key, domain or mechanism gets 400. The list is
 * read again when the directory changes (its mtime), so adding or removing a .pub takes
 * effect at the next handshake without a restart.
 *
 * libzmq only asks the handler when a server socket sets a ZAP domain, and fails open without
 * ZMQ_ZAP_ENFORCE_DOMAIN: hf_zap_server() sets both. One handler per context. */
#ifndef HF_ZAP_H
#define HF_ZAP_H

/* The ZAP domain every Huifang server socket names. */
#define HF_ZAP_DOMAIN "huifang"

/* A DRAFT option in libzmq 4.3's header (the library handles it without the draft build). */
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

typedef struct hf_zap_t hf_zap_t;

/* Reads the allow-list of keys_dir and starts the handler on ctx. Returns NULL after
 * logging when the endpoint is taken (another handler on ctx) or the thread cannot start. */
hf_zap_t *hf_zap_new(void *ctx, const char *keys_dir);
/* Stops the handler and frees; idempotent, sets *self_p to NULL. Call before the context
 * is terminated. */
void hf_zap_destroy(hf_zap_t **self_p);
/* How many handshakes the handler refused so far. */
unsigned long hf_zap_refused(const hf_zap_t *self);

/* Makes sock a CURVE server with the Z85 secret key secret, the domain HF_ZAP_DOMAIN and the
 * domain enforced (no handler: no handshake). Returns 0 or -1. */
int hf_zap_server(void *sock, const char *secret);

#endif
