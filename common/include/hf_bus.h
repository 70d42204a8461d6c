/* hf_bus: commands over ZeroMQ. A client sends one Request and waits for one Reply with a
 * timeout, retrying on a fresh socket (the lazy pirate pattern); the server side is
 * hf_service's ROUTER. One ZeroMQ context per process. */
#ifndef HF_BUS_H
#define HF_BUS_H
#include "hf_wire.h"
#include <stdbool.h>

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
/* Sends req (request_id is filled in when empty) and waits for the matching reply. Returns 0
 * and sets *rep (caller frees with huifang__v1__reply__free_unpacked) when a reply came, or
 * -1 when the service did not answer after every try, or answered garbage. */
int hf_client_call(hf_client_t *self, hf_request_t *req, hf_reply_t **rep);
/* The endpoint this client talks to. */
const char *hf_client_endpoint(const hf_client_t *self);

/* Makes a random id (uuid v4 text, 37 bytes) into out. */
void hf_bus_new_id(char *out);

#endif
