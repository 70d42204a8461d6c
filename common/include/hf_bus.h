/* hf_bus: commands over ZeroMQ. A client sends one Request and waits for one Reply with a
 * timeout, retrying on a fresh socket (the lazy pirate pattern); the server side is
 * hf_service's ROUTER. One ZeroMQ context per process. */
#ifndef HF_BUS_H
#define HF_BUS_H
#include "hf_wire.h"
#include <stdbool.h>
#include <stddef.h>

/* The process's ZeroMQ context, created on first use. */
void *hf_bus_context(void);
/* Terminates the process's context (after every socket is closed). */
void hf_bus_shutdown(void);
/* In a child after fork(): forgets the parent's context (ZeroMQ is not fork-safe) so that
 * the child's first use creates its own. */
void hf_bus_after_fork(void);

typedef struct hf_client_t hf_client_t;

/* Creates a client for endpoint ("tcp://127.0.0.1:7101") with a per-try timeout and a number
 * of tries. Never returns NULL. The connection is kept from one answered call to the next;
 * a try that was not answered starts again on a fresh one (lazy pirate). */
hf_client_t *hf_client_new(const char *endpoint, int timeout_ms, int tries);
/* Makes a try fail after ms (instead of the whole timeout) when no connection to the
 * endpoint is up by then: for a caller that must not sit waiting for a service that is down
 * (a consumer asking a producer for a replay from inside its loop). 0: wait the timeout. */
void hf_client_set_connect_wait(hf_client_t *self, int ms);
/* Closes the socket and frees; idempotent, sets *self_p to NULL. */
void hf_client_destroy(hf_client_t **self_p);
/* Every try of hf_client_call and hf_client_send says until when it is awaited: its
 * Request.answer_by_ms is the try's timeout from now on the real clock (CLOCK_REALTIME,
 * never the manual clock), or the value req carries when that is earlier (an ask made for a
 * request, hf_service_forward); req itself is left as it was. A service that takes the try up
 * after that (and its slack) answers UNAVAILABLE without running it: its answer would be
 * dropped with the socket anyway.
 * Sends req (request_id is filled in when empty) and waits for the matching reply. Returns 0
 * and sets *rep (caller frees with huifang__v1__reply__free_unpacked) when a reply came, or
 * -1 when the service did not answer after every try, or answered garbage. */
int hf_client_call(hf_client_t *self, hf_request_t *req, hf_reply_t **rep);
/* The endpoint this client talks to. */
const char *hf_client_endpoint(const hf_client_t *self);
/* hf_client_call in two halves, for a caller that goes on with its own work meanwhile (a
 * consumer applying one replay while the next is read): sends req in one try (request_id
 * filled in when empty; a request still unanswered is given up first). Returns 0, or -1
 * (no connection within the connect wait, or the send failed). */
int hf_client_send(hf_client_t *self, hf_request_t *req);
/* The socket to poll (ZMQ_POLLIN) for the answer of the request sent, or NULL when none is
 * awaited. */
void *hf_client_pending(hf_client_t *self);
/* Takes the answer of the request sent without waiting: 1 and *rep (caller frees), 0 when it
 * has not come yet, -1 when none is awaited or it was garbage (the request is given up). */
int hf_client_take(hf_client_t *self, hf_reply_t **rep);
/* Gives up the request sent (its answer, if it comes, is dropped with the socket). */
void hf_client_abandon(hf_client_t *self);

/* ---- CURVE: who this process is on the wire ----
 * Every socket of a process shares one identity: the keypair NAME.key/NAME.pub of the keys
 * directory (see hf_keys.h). A client socket is a CURVE client of the service it talks to,
 * whose public key is <service>.pub in the same directory; a server socket is a CURVE server
 * with the process's secret key and the ZAP domain enforced (hf_zap). Until
 * hf_bus_curve_init() is called sockets are plain (NULL mechanism), which a server with
 * CURVE refuses. */

/* Sets the process's identity: on = false is the insecure opt-out (plain sockets, a loud
 * warning); on = true reads name's secret and public key from keys_dir. Returns 0, or -1
 * with the reason in err (kept: hf_bus_curve_error(), and every client call fails). */
int hf_bus_curve_init(bool on, const char *keys_dir, const char *name, char *err, size_t errlen);
/* True unless the process opted out (or never called hf_bus_curve_init). */
bool hf_bus_curve_on(void);
/* Why the identity could not be set up, or NULL when it is ready (or off). */
const char *hf_bus_curve_error(void);
/* The keys directory and the process's own name ("" when CURVE is off). */
const char *hf_bus_keys_dir(void);
const char *hf_bus_curve_name(void);
/* Makes sock a CURVE client of service server ("intake") when CURVE is on. Returns 0, or -1
 * after logging (no key for server, no identity). */
int hf_bus_curve_client(void *sock, const char *server);
/* Makes sock a CURVE server with the process's secret key and the ZAP domain enforced when
 * CURVE is on. Returns 0 or -1. */
int hf_bus_curve_serve(void *sock);
/* The largest message a client or subscriber socket accepts (ZMQ_MAXMSGSIZE), bytes:
 * replies and events. Default HF_BUS_MAX_REPLY_BYTES. */
#define HF_BUS_MAX_REPLY_BYTES (64L * 1024 * 1024)
void hf_bus_set_max_reply(long bytes);
long hf_bus_max_reply(void);

/* Names the service a client talks to, whose public key its CURVE handshake expects
 * (<keys dir>/<server>.pub). With CURVE on, a client without a server fails every call. */
void hf_client_set_server(hf_client_t *self, const char *server);

/* Makes a random id (uuid v4 text, 37 bytes) into out. */
void hf_bus_new_id(char *out);

#endif
