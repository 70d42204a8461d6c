/* huifang-gateway: the front door for browsers. An HTTP/1.1 server (libmicrohttpd) that
 * serves the console's static files and a JSON API, /api/v1/..., translating each route to
 * one command of a service (protobuf over ZeroMQ, hf_bus) and the reply back to JSON.
 *
 * It keeps no records of its own: the only state is its table of browser sessions (a random
 * cookie id mapped to the person's session token and a CSRF token) and the login attempts per
 * address. The services decide who may do what, from the token; the gateway only carries it. */
#ifndef GATEWAY_H
#define GATEWAY_H
#include "hf_config.h"
#include "hf_session.h"
#include "hf_wire.h"
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The gateway's settings (hf_config table). */
extern const hf_config_entry_t gateway_config[];

typedef struct gateway_t gateway_t;

/* Builds the gateway from cfg and starts listening. NULL after a message on stderr (a bad
 * address, the port in use, an unreadable TLS file). */
gateway_t *gateway_new(const hf_config_t *cfg);
/* Stops listening, waits for the requests in flight and frees; idempotent. */
void gateway_destroy(gateway_t **self_p);

/* ---- sessions (gw_sessions.c) ---------------------------------------------------------- */

#define GW_ID_LEN 32 /* hex characters of a cookie id or a CSRF token: 128 random bits */

typedef struct gw_sessions_t gw_sessions_t;

/* Read your own writes: the place of the last event of a producer that this browser session's
 * commands emitted (Reply.written), sent with each later request of the session as
 * Request.after, so that the next command waits until its service has applied them. */
typedef struct {
    char producer[16];
    char epoch[40];
    uint64_t seq;
} gw_position_t;
#define GW_POSITIONS 8 /* one per producer: more than there are services */

/* What a request needs of its browser session: copies, valid after the table changes. */
typedef struct {
    char token[HF_SESSION_MAX_TOKEN + 1];
    char csrf[GW_ID_LEN + 1];
    char login[64];
    char role[32];
    char branch[32];    /* the first of the person's branches, "" for an admin of all */
    char branches[256]; /* all of them, each between commas: ",BJ01,SH01,"; "" for all */
    gw_position_t positions[GW_POSITIONS]; /* the places written, n_positions of them */
    int n_positions;
} gw_session_t;

/* A table of at most max sessions and a limit of login attempts per address and minute. */
gw_sessions_t *gw_sessions_new(int max, int logins_per_minute);
void gw_sessions_destroy(gw_sessions_t **self_p);
/* Keeps token for the person of claims under a new random id; writes the id and the CSRF
 * token (GW_ID_LEN + 1 bytes each). 0, or -1 when the table is full of live sessions. */
int gw_sessions_add(gw_sessions_t *self, const char *token,
                    const Huifang__V1__SessionClaims *claims, char *id, char *csrf);
/* Copies the session of id into *out. 0, or -1 when there is none (or it has expired). */
int gw_sessions_get(gw_sessions_t *self, const char *id, gw_session_t *out);
/* Notes that a command of the session of id emitted events up to seq of producer's stream
 * (epoch): a higher sequence of the same epoch, or another epoch (the producer's store was
 * rebuilt), replaces the place known; a producer past GW_POSITIONS is not kept. */
void gw_sessions_note(gw_sessions_t *self, const char *id, const char *producer, const char *epoch,
                      uint64_t seq);
/* Forgets the session of id (logout, or a token the services refused). */
void gw_sessions_forget(gw_sessions_t *self, const char *id);
/* Counts one login attempt from address ip. True when it is allowed; false when the address
 * has used up its minute, with the seconds until it may try again in *retry_s. */
bool gw_sessions_login_allowed(gw_sessions_t *self, const char *ip, int *retry_s);

/* ---- the API (gw_api.c) ---------------------------------------------------------------- */

/* One HTTP request as the API sees it (the server has read and bounded it). */
typedef struct {
    const char *method;
    const char *path;   /* without the query string */
    json_object *query; /* query arguments, each a string (owned by the server) */
    const char *body;   /* NUL-terminated, may be empty */
    size_t body_len;
    const char *content_type;
    const char *cookie;          /* the hf_session cookie, or NULL */
    const char *csrf;            /* the X-CSRF-Token header, or NULL */
    const char *idempotency_key; /* the Idempotency-Key header, or NULL */
    const char *ip;
} gw_request_t;

/* What the API answers: a status, a JSON body, and a cookie to set (or ""). */
typedef struct {
    unsigned status;
    json_object *body; /* owned by the response */
    char set_cookie[160];
    int retry_after_s; /* > 0: a Retry-After header */
    char allow[32];    /* a 405's Allow header */
} gw_response_t;

typedef struct {
    gw_sessions_t *sessions;
    int call_timeout_ms;
    bool secure_cookie; /* the cookie gets Secure (TLS here or in front) */
} gw_api_t;

/* Answers one /api/v1 request into *res (never fails: errors are responses). */
void gw_api_handle(gw_api_t *api, const gw_request_t *req, gw_response_t *res);
/* Closes this thread's service clients (each request thread keeps its own). */
void gw_api_release_clients(void);
/* Asks producer for its committed events from from_seq on (at most limit), with this
 * thread's client: 0 with *rep (the caller frees it), -1 when it did not answer. */
int gw_api_replay(gw_api_t *api, const char *producer, uint64_t from_seq, uint32_t limit,
                  hf_reply_t **rep);

/* ---- the live stream (gw_stream.c) ----------------------------------------------------- */

struct MHD_Connection;
typedef struct gw_streams_t gw_streams_t;

/* Subscribes (one thread, one ZeroMQ SUB socket, a CURVE client of each producer) to the
 * scheduler's, calllog's and complaint's events and hands each to the open streams of its
 * branch. At most max streams in all and per_person per login; a comment every heartbeat_s.
 * NULL after a message on stderr. */
gw_streams_t *gw_streams_new(gw_sessions_t *sessions, int max, int per_person, int heartbeat_s);
/* Ends every open stream and refuses new ones: before MHD_stop_daemon, which must not find a
 * suspended connection. */
void gw_streams_close_all(gw_streams_t *self);
/* Stops the thread and frees (after the daemon stopped). */
void gw_streams_destroy(gw_streams_t **self_p);
/* GET /api/v1/stream on c: queues the event-stream response, or a JSON error (401 without a
 * session, 429 over the person's streams, 503 over all). last_event_id (the header
 * Last-Event-ID, or NULL): the events of the person's branches the stream missed since then
 * are replayed from the producers first (api's clients). Returns what MHD_queue_response did;
 * *status is the HTTP status for the log. */
int gw_stream_open(gw_streams_t *self, gw_api_t *api, struct MHD_Connection *c, const char *cookie,
                   const char *last_event_id, unsigned *status);

#endif
