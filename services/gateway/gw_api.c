/* gw_api: the JSON API. One table row per route: the method, the path (with at most one
 * {id}), the service and the Request command it becomes, and where the command's fields
 * come from (the JSON body, the query, the path, the session). Everything between is generic:
 * the command message is built from JSON by hf_json_to_message (so unknown fields and wrong
 * types are refused naming the field, as for every command), and the reply's result is
 * written back by hf_json_from_message, the same shape as the CLI's --json.
 *
 * Statuses: a service's Reply.status maps to HTTP (BAD_INPUT 400, NOT_FOUND 404, CONFLICT
 * 409, UNAVAILABLE 503, UNAUTHENTICATED 401, FORBIDDEN 403, INTERNAL 500); the gateway's own
 * refusals are 400 (malformed JSON), 401 (no session), 403 (no CSRF token), 404 (no route),
 * 405, 413 (body over the cap, gateway.c), 415 (a body that is not JSON), 429 (logins). */
#include "gateway.h"
#include "hf_bus.h"
#include "hf_clock.h"
#include "hf_json.h"
#include "hf_log.h"
#include "hf_service.h"
#include "hf_wire.h"
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---------------------------------------------------------------------------------------
 * Clients: one per service and request thread (a ZeroMQ socket belongs to one thread), all
 * on a list so that they are closed after the threads ended.
 * ------------------------------------------------------------------------------------- */

static const char *const s_services[] = {"intake", "scheduler", "calllog", "complaint",
                                         "reporting"};
#define N_SERVICES (sizeof s_services / sizeof s_services[0])

typedef struct clients_t {
    struct clients_t *next;
    hf_client_t *c[N_SERVICES];
} clients_t;

static _Thread_local clients_t *t_clients;
static clients_t *s_all_clients;
static pthread_mutex_t s_clients_lock = PTHREAD_MUTEX_INITIALIZER;

static hf_client_t *s_client(const gw_api_t *api, const char *service)
{
    if (t_clients == NULL) {
        t_clients = calloc(1, sizeof *t_clients);
        if (t_clients == NULL)
            return NULL;
        pthread_mutex_lock(&s_clients_lock);
        t_clients->next = s_all_clients;
        s_all_clients = t_clients;
        pthread_mutex_unlock(&s_clients_lock);
    }
    for (size_t i = 0; i < N_SERVICES; i++) {
        if (strcmp(s_services[i], service) != 0)
            continue;
        if (t_clients->c[i] == NULL) {
            char ep[256];
            hf_endpoint_commands(service, ep, sizeof ep);
            /* two tries: a reconnect after a service restart, not a long wait for one
             * that is down (the browser is waiting) */
            t_clients->c[i] = hf_client_new(ep, api->call_timeout_ms, 2);
            hf_client_set_server(t_clients->c[i], service); /* its CURVE public key */
        }
        return t_clients->c[i];
    }
    return NULL;
}

void gw_api_release_clients(void)
{
    pthread_mutex_lock(&s_clients_lock);
    while (s_all_clients) {
        clients_t *c = s_all_clients;
        s_all_clients = c->next;
        for (size_t i = 0; i < N_SERVICES; i++)
            hf_client_destroy(&c->c[i]);
        free(c);
    }
    pthread_mutex_unlock(&s_clients_lock);
    t_clients = NULL;
}

/* ---------------------------------------------------------------------------------------
 * Responses
 * ------------------------------------------------------------------------------------- */

static void s_error(gw_response_t *res, unsigned status, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void s_error(gw_response_t *res, unsigned status, const char *field, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (res->body)
        json_object_put(res->body);
    res->status = status;
    res->body = json_object_new_object();
    json_object_object_add(res->body, "error", json_object_new_string(text));
    if (field && *field)
        json_object_object_add(res->body, "field", json_object_new_string(field));
}

static unsigned s_http_status(int status)
{
    switch (status) {
    case HF_OK:
        return 200;
    case HF_BAD_INPUT:
        return 400;
    case HF_NOT_FOUND:
        return 404;
    case HF_CONFLICT:
        return 409;
    case HF_UNAVAILABLE:
        return 503;
    case HF_UNAUTHENTICATED:
        return 401;
    case HF_FORBIDDEN:
        return 403;
    default:
        return 500;
    }
}

static const char *s_status_name(int status)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&huifang__v1__status__descriptor, status);
    return v ? v->name : "INTERNAL";
}

/* A failed Reply as a JSON error: the service's message, its field, its status name. */
static void s_reply_error(gw_response_t *res, const hf_reply_t *rep)
{
    const char *msg = rep->error && *rep->error ? rep->error : s_status_name((int)rep->status);
    s_error(res, s_http_status((int)rep->status), rep->field, "%s", msg);
    json_object_object_add(res->body, "status",
                           json_object_new_string(s_status_name((int)rep->status)));
}

/* Sends req to service. 0 with *rep, or -1 with the 503 in res. */
static int s_call(gw_api_t *api, const char *service, hf_request_t *req, hf_reply_t **rep,
                  gw_response_t *res)
{
    hf_client_t *client = s_client(api, service);
    if (client == NULL || hf_client_call(client, req, rep) != 0) {
        hf_warn("service_unavailable", "service=%s", service);
        s_error(res, 503, NULL,
                "the %s service did not answer; nothing was changed by the gateway, try again",
                service);
        return -1;
    }
    return 0;
}

int gw_api_replay(gw_api_t *api, const char *producer, uint64_t from_seq, uint32_t limit,
                  hf_reply_t **rep)
{
    hf_client_t *client = s_client(api, producer);
    Huifang__V1__Replay q = HUIFANG__V1__REPLAY__INIT;
    q.from_seq = from_seq;
    q.limit = limit;
    hf_request_t r = HUIFANG__V1__REQUEST__INIT;
    r.command_case = HUIFANG__V1__REQUEST__COMMAND_REPLAY;
    r.replay = &q;
    r.actor = "gateway";
    *rep = NULL;
    if (client == NULL || hf_client_call(client, &r, rep) != 0)
        return -1;
    if ((*rep)->status != HUIFANG__V1__STATUS__OK ||
        (*rep)->result_case != HUIFANG__V1__REPLY__RESULT_REPLAY) {
        huifang__v1__reply__free_unpacked(*rep, NULL);
        *rep = NULL;
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Sessions: POST, GET and DELETE /api/v1/session
 * ------------------------------------------------------------------------------------- */

static void s_cookie(const gw_api_t *api, gw_response_t *res, const char *id, int64_t max_age_s)
{
    snprintf(res->set_cookie, sizeof res->set_cookie,
             "hf_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s", id,
             (long long)max_age_s, api->secure_cookie ? "; Secure" : "");
}

/* {"session": claims, "csrf_token": "..."} */
static json_object *s_session_body(const Huifang__V1__SessionClaims *claims, const char *csrf)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "session", hf_json_from_message(&claims->base));
    json_object_object_add(o, "csrf_token", json_object_new_string(csrf));
    /* the services' clock (the manual clock of a demo or a test), so that the console's "today",
     * "tomorrow" and countdowns follow it */
    time_t now_s = (time_t)(hf_clock_now_ms() / 1000);
    struct tm tm;
    char iso[64];
    gmtime_r(&now_s, &tm);
    snprintf(iso, sizeof iso, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(hf_clock_now_ms() % 1000));
    json_object_object_add(o, "now", json_object_new_string(iso));
    return o;
}

static json_object *s_parse_body(const gw_request_t *req, gw_response_t *res)
{
    if (req->body_len == 0) {
        s_error(res, 400, NULL, "the body is empty: a JSON object is expected");
        return NULL;
    }
    json_tokener *tok = json_tokener_new_ex(32);
    if (tok == NULL) {
        s_error(res, 500, NULL, "out of memory");
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *obj = json_tokener_parse_ex(tok, req->body, (int)req->body_len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (obj == NULL || jerr != json_tokener_success) {
        if (obj)
            json_object_put(obj);
        s_error(res, 400, NULL, "malformed JSON at byte %zu: %s", used,
                jerr == json_tokener_continue ? "the body ends too early"
                                              : json_tokener_error_desc(jerr));
        return NULL;
    }
    if (used < req->body_len && req->body[used + strspn(req->body + used, " \t\r\n")] != '\0') {
        json_object_put(obj);
        s_error(res, 400, NULL, "malformed JSON at byte %zu: text after the value", used);
        return NULL;
    }
    if (!json_object_is_type(obj, json_type_object)) {
        json_object_put(obj);
        s_error(res, 400, NULL, "the body must be a JSON object");
        return NULL;
    }
    return obj;
}

static void s_login(gw_api_t *api, const gw_request_t *req, gw_response_t *res)
{
    int retry = 0;
    if (!gw_sessions_login_allowed(api->sessions, req->ip, &retry)) {
        hf_warn("login_limited", "ip=%s", req->ip);
        s_error(res, 429, NULL, "too many login attempts from this address; try again in %d s",
                retry);
        res->retry_after_s = retry;
        return;
    }
    /* JSON only: a form of another site cannot post it without the browser asking first */
    if (req->content_type == NULL || strncasecmp(req->content_type, "application/json", 16) != 0) {
        s_error(res, 415, NULL, "the body must be application/json");
        return;
    }
    json_object *obj = s_parse_body(req, res);
    if (obj == NULL)
        return;
    char err[256], field[128];
    Huifang__V1__Login *login = (Huifang__V1__Login *)hf_json_to_message(
        obj, &huifang__v1__login__descriptor, err, sizeof err, field, sizeof field);
    json_object_put(obj);
    if (login == NULL) {
        s_error(res, 400, field, "%s", err);
        return;
    }
    if (*login->as_login) {
        s_error(res, 400, "as_login", "as_login is not taken here: sign in as yourself");
        goto cleanup;
    }
    if (!*login->login || !*login->password) {
        s_error(res, 400, *login->login ? "password" : "login", "login and password are required");
        goto cleanup;
    }
    hf_request_t r = HUIFANG__V1__REQUEST__INIT;
    r.command_case = HUIFANG__V1__REQUEST__COMMAND_LOGIN;
    r.login = login;
    hf_reply_t *rep = NULL;
    if (s_call(api, "intake", &r, &rep, res) != 0)
        goto cleanup;
    if (rep->status != HUIFANG__V1__STATUS__OK ||
        rep->result_case != HUIFANG__V1__REPLY__RESULT_LOGIN || rep->login->claims == NULL) {
        hf_info("login_refused", "ip=%s status=%s", req->ip, s_status_name((int)rep->status));
        if (rep->status == HUIFANG__V1__STATUS__OK)
            s_error(res, 500, NULL, "the intake service answered a login without a session");
        else
            s_reply_error(res, rep);
        huifang__v1__reply__free_unpacked(rep, NULL);
        goto cleanup;
    }
    char id[GW_ID_LEN + 1], csrf[GW_ID_LEN + 1];
    const Huifang__V1__SessionClaims *claims = rep->login->claims;
    if (gw_sessions_add(api->sessions, rep->login->token, claims, id, csrf) != 0) {
        s_error(res, 503, NULL, "the gateway holds as many sessions as it may; try again later");
    } else {
        int64_t left = (claims->expires_ms - claims->issued_ms) / 1000;
        s_cookie(api, res, id, left > 0 ? left : 1);
        res->status = 200;
        res->body = s_session_body(claims, csrf);
        hf_info("login", "ip=%s login=%s role=%s", req->ip, claims->login, claims->role);
    }
    huifang__v1__reply__free_unpacked(rep, NULL);
cleanup:
    protobuf_c_message_free_unpacked(&login->base, NULL);
}

/* The browser session of the request into *s; false with the 401 in res. */
static bool s_need_session(gw_api_t *api, const gw_request_t *req, gw_response_t *res,
                           gw_session_t *s)
{
    if (req->cookie == NULL || gw_sessions_get(api->sessions, req->cookie, s) != 0) {
        s_error(res, 401, NULL, "not signed in: POST /api/v1/session first");
        json_object_object_add(res->body, "status", json_object_new_string("UNAUTHENTICATED"));
        return false;
    }
    return true;
}

/* Every change but the login carries the session's CSRF token; false with the 403 in res. */
static bool s_need_csrf(const gw_request_t *req, gw_response_t *res, const gw_session_t *s)
{
    if (req->csrf == NULL || strlen(req->csrf) != GW_ID_LEN ||
        sodium_memcmp(req->csrf, s->csrf, GW_ID_LEN) != 0) {
        s_error(res, 403, "X-CSRF-Token",
                "%s: the X-CSRF-Token header must carry the csrf_token of GET /api/v1/session",
                req->csrf ? "a wrong CSRF token" : "no CSRF token");
        return false;
    }
    return true;
}

static void s_session_show(gw_api_t *api, const gw_request_t *req, gw_response_t *res,
                           const gw_session_t *s)
{
    hf_request_t r = HUIFANG__V1__REQUEST__INIT;
    Huifang__V1__Whoami who = HUIFANG__V1__WHOAMI__INIT;
    r.command_case = HUIFANG__V1__REQUEST__COMMAND_WHOAMI;
    r.whoami = &who;
    r.session = (char *)s->token;
    hf_reply_t *rep = NULL;
    if (s_call(api, "intake", &r, &rep, res) != 0)
        return;
    if (rep->status != HUIFANG__V1__STATUS__OK ||
        rep->result_case != HUIFANG__V1__REPLY__RESULT_SESSION) {
        if (rep->status == HUIFANG__V1__STATUS__UNAUTHENTICATED)
            gw_sessions_forget(api->sessions, req->cookie);
        s_reply_error(res, rep);
    } else {
        res->status = 200;
        res->body = s_session_body(rep->session, s->csrf);
    }
    huifang__v1__reply__free_unpacked(rep, NULL);
}

static void s_logout(gw_api_t *api, const gw_request_t *req, gw_response_t *res,
                     const gw_session_t *s)
{
    hf_request_t r = HUIFANG__V1__REQUEST__INIT;
    Huifang__V1__Logout out = HUIFANG__V1__LOGOUT__INIT;
    r.command_case = HUIFANG__V1__REQUEST__COMMAND_LOGOUT;
    r.logout = &out;
    r.session = (char *)s->token;
    hf_reply_t *rep = NULL;
    int rc = s_call(api, "intake", &r, &rep, res);
    /* forgotten here whatever intake said: the browser asked to be signed out */
    gw_sessions_forget(api->sessions, req->cookie);
    s_cookie(api, res, "", 0);
    if (rc != 0)
        return;
    if (rep->status != HUIFANG__V1__STATUS__OK &&
        rep->status != HUIFANG__V1__STATUS__UNAUTHENTICATED) {
        s_reply_error(res, rep);
    } else {
        res->status = 200;
        res->body = json_object_new_object();
        json_object_object_add(res->body, "signed_out", json_object_new_boolean(1));
    }
    huifang__v1__reply__free_unpacked(rep, NULL);
    hf_info("logout", "ip=%s login=%s", req->ip, s->login);
}

/* ---------------------------------------------------------------------------------------
 * Command routes
 * ------------------------------------------------------------------------------------- */

enum {
    R_BODY = 1 << 0,       /* the JSON body holds the command's fields */
    R_AGENT_SELF = 1 << 1, /* "agent" defaults to the person's login */
};

typedef struct {
    const char *method;
    const char *pattern; /* "/api/v1/tasks/{id}": {id} is a positive integer */
    const char *service;
    int command; /* the Request's oneof field number */
    unsigned flags;
    const char *id_field; /* the field {id} fills */
    const char *fixed;    /* JSON object of fields the route itself sets, or NULL */
    const char *renames;  /* "q=query": query argument q fills field query */
} route_t;

static const route_t s_routes[] = {
    {"GET", "/api/v1/worklist", "scheduler", HUIFANG__V1__REQUEST__COMMAND_WORKLIST_GET,
     R_AGENT_SELF, NULL, NULL, NULL},
    {"POST", "/api/v1/tasks/next", "scheduler", HUIFANG__V1__REQUEST__COMMAND_TASK_NEXT,
     R_BODY | R_AGENT_SELF, NULL, NULL, NULL},
    {"GET", "/api/v1/tasks/{id}", "scheduler", HUIFANG__V1__REQUEST__COMMAND_TASK_SHOW, 0, "id",
     NULL, NULL},
    {"POST", "/api/v1/tasks/{id}/release", "scheduler", HUIFANG__V1__REQUEST__COMMAND_TASK_RELEASE,
     R_BODY, "id", NULL, NULL},
    {"POST", "/api/v1/calls", "calllog", HUIFANG__V1__REQUEST__COMMAND_CALL_LOG, R_BODY, NULL, NULL,
     NULL},
    {"POST", "/api/v1/visits", "calllog", HUIFANG__V1__REQUEST__COMMAND_VISIT_LOG, R_BODY, NULL,
     NULL, NULL},
    {"GET", "/api/v1/customers", "intake", HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_FIND, 0, NULL,
     NULL, "q=query"},
    {"GET", "/api/v1/customers/{id}", "intake", HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_SHOW, 0,
     "id", NULL, NULL},
    {"PATCH", "/api/v1/customers/{id}", "intake", HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_EDIT,
     R_BODY, "id", NULL, NULL},
    {"GET", "/api/v1/customers/{id}/contacts", "calllog",
     HUIFANG__V1__REQUEST__COMMAND_CONTACT_LIST, 0, "customer_id", NULL, NULL},
    {"POST", "/api/v1/customers/{id}/opt-out", "intake",
     HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_OPT_OUT, R_BODY, "id", NULL, NULL},
    {"POST", "/api/v1/customers/{id}/dnd", "intake", HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_DND,
     R_BODY, "id", NULL, NULL},
    {"POST", "/api/v1/imports", "intake", HUIFANG__V1__REQUEST__COMMAND_LEAD_IMPORT, R_BODY, NULL,
     NULL, NULL},
    {"GET", "/api/v1/complaints", "complaint", HUIFANG__V1__REQUEST__COMMAND_COMPLAINT_LIST, 0,
     NULL, NULL, NULL},
    {"GET", "/api/v1/complaints/{id}", "complaint", HUIFANG__V1__REQUEST__COMMAND_COMPLAINT_SHOW, 0,
     "id", NULL, NULL},
    {"GET", "/api/v1/consultations", "calllog", HUIFANG__V1__REQUEST__COMMAND_CONSULT_LIST, 0, NULL,
     NULL, NULL},
    {"POST", "/api/v1/consultations", "calllog", HUIFANG__V1__REQUEST__COMMAND_CONSULT_LOG, R_BODY,
     NULL, NULL, NULL},
    {"GET", "/api/v1/alerts", "calllog", HUIFANG__V1__REQUEST__COMMAND_ALERT_LIST, 0, NULL, NULL,
     NULL},
    {"POST", "/api/v1/alerts/{id}/ack", "calllog", HUIFANG__V1__REQUEST__COMMAND_ALERT_ACK, R_BODY,
     "id", NULL, NULL},
    {"GET", "/api/v1/reviews", "calllog", HUIFANG__V1__REQUEST__COMMAND_REVIEW_LIST, 0, NULL, NULL,
     NULL},
    {"POST", "/api/v1/reviews/{id}/score", "calllog", HUIFANG__V1__REQUEST__COMMAND_REVIEW_SCORE,
     R_BODY, "contact_id", NULL, NULL},
    {"POST", "/api/v1/absences", "scheduler", HUIFANG__V1__REQUEST__COMMAND_AGENT_ABSENT, R_BODY,
     NULL, NULL, NULL},
    {"GET", "/api/v1/supervisor-alerts", "scheduler",
     HUIFANG__V1__REQUEST__COMMAND_SUPERVISOR_ALERT_LIST, 0, NULL, NULL, NULL},
    {"POST", "/api/v1/supervisor-alerts/{id}/ack", "scheduler",
     HUIFANG__V1__REQUEST__COMMAND_SUPERVISOR_ALERT_ACK, R_BODY, "id", NULL, NULL},
    {"GET", "/api/v1/plans", "scheduler", HUIFANG__V1__REQUEST__COMMAND_PLAN_LIST, 0, NULL, NULL,
     NULL},
    {"POST", "/api/v1/plans", "scheduler", HUIFANG__V1__REQUEST__COMMAND_PLAN_ADD, R_BODY, NULL,
     NULL, NULL},
    {"POST", "/api/v1/plans/{id}/steps", "scheduler", HUIFANG__V1__REQUEST__COMMAND_PLAN_STEP_SET,
     R_BODY, "code", NULL, NULL},
    {"GET", "/api/v1/returns", "complaint", HUIFANG__V1__REQUEST__COMMAND_RETURN_LIST, 0, NULL,
     NULL, NULL},
    {"POST", "/api/v1/returns/{id}/approve", "complaint",
     HUIFANG__V1__REQUEST__COMMAND_RETURN_DECIDE, R_BODY, "id", "{\"approve\":true}", NULL},
    {"POST", "/api/v1/returns/{id}/reject", "complaint",
     HUIFANG__V1__REQUEST__COMMAND_RETURN_DECIDE, R_BODY, "id", "{\"approve\":false}", NULL},
    {"GET", "/api/v1/reports/{name}", "reporting", HUIFANG__V1__REQUEST__COMMAND_REPORT, 0, "name",
     NULL, NULL},
};
#define N_ROUTES (sizeof s_routes / sizeof s_routes[0])

/* Matches path against pattern; the text of {id} or {name} goes to seg (64 bytes). */
static bool s_match(const char *pattern, const char *path, char *seg)
{
    seg[0] = '\0';
    const char *open = strchr(pattern, '{');
    if (open == NULL)
        return strcmp(pattern, path) == 0;
    size_t head = (size_t)(open - pattern);
    if (strncmp(pattern, path, head) != 0)
        return false;
    const char *tail = strchr(open, '}') + 1;
    const char *p = path + head;
    size_t len = strcspn(p, "/");
    if (len == 0 || len >= 64 || strcmp(p + len, tail) != 0)
        return false;
    memcpy(seg, p, len);
    seg[len] = '\0';
    return true;
}

/* The JSON value of text for field f of desc: an integer, a boolean or a string, as the
 * field's type wants (query arguments and path segments are text). NULL with the 400. */
static json_object *s_text_value(const ProtobufCFieldDescriptor *f, const char *name,
                                 const char *text, gw_response_t *res)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (*text == '\0' || *end != '\0' || errno == ERANGE) {
            s_error(res, 400, name, "%s must be an integer", name);
            return NULL;
        }
        return json_object_new_int64(v);
    }
    case PROTOBUF_C_TYPE_BOOL:
        if (*text == '\0' || strcmp(text, "true") == 0 || strcmp(text, "1") == 0)
            return json_object_new_boolean(1);
        if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0)
            return json_object_new_boolean(0);
        s_error(res, 400, name, "%s must be true or false", name);
        return NULL;
    default:
        return json_object_new_string(text);
    }
}

/* Field desc's field of key (or the instant field of "<key>_ms"). */
static const ProtobufCFieldDescriptor *s_field(const ProtobufCMessageDescriptor *desc,
                                               const char *key)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(desc, key);
    if (f == NULL) {
        char name[140];
        snprintf(name, sizeof name, "%s_ms", key);
        f = protobuf_c_message_descriptor_get_field_by_name(desc, name);
    }
    return f;
}

/* The rename of query argument key in renames ("q=query,x=y"), or key. */
static const char *s_rename(const char *renames, const char *key, char *out, size_t len)
{
    for (const char *p = renames; p && *p;) {
        size_t n = strcspn(p, "=");
        size_t m = strcspn(p + n, ",");
        if (n == strlen(key) && strncmp(p, key, n) == 0) {
            snprintf(out, len, "%.*s", (int)(m - 1), p + n + 1);
            return out;
        }
        p += n + m;
        if (*p == ',')
            p++;
    }
    return key;
}

/* The command's fields as one JSON object: the body, then the query and the path, then the
 * route's own. NULL with the error in res. */
static json_object *s_command_json(const route_t *route, const gw_request_t *req,
                                   const ProtobufCMessageDescriptor *desc, const char *seg,
                                   const gw_session_t *s, gw_response_t *res, char *branch,
                                   size_t branch_len)
{
    json_object *obj;
    if ((route->flags & R_BODY) && req->body_len > 0) {
        if (req->content_type == NULL ||
            strncasecmp(req->content_type, "application/json", 16) != 0) {
            s_error(res, 415, NULL, "the body must be application/json");
            return NULL;
        }
        if ((obj = s_parse_body(req, res)) == NULL)
            return NULL;
    } else {
        obj = json_object_new_object();
    }
    json_object_object_foreach(req->query, qkey, qval)
    {
        if (strcmp(qkey, "branch") == 0) {
            snprintf(branch, branch_len, "%s", json_object_get_string(qval));
            continue;
        }
        char renamed[64];
        const char *name = s_rename(route->renames, qkey, renamed, sizeof renamed);
        const ProtobufCFieldDescriptor *f = s_field(desc, name);
        if (f == NULL || f->type == PROTOBUF_C_TYPE_MESSAGE ||
            f->label == PROTOBUF_C_LABEL_REPEATED) {
            s_error(res, 400, qkey, "unknown query argument %s", qkey);
            goto fail;
        }
        json_object *v = s_text_value(f, qkey, json_object_get_string(qval), res);
        if (v == NULL)
            goto fail;
        json_object_object_add(obj, name, v);
    }
    if (route->id_field) {
        const ProtobufCFieldDescriptor *f = s_field(desc, route->id_field);
        json_object *v = s_text_value(f, route->id_field, seg, res);
        if (v == NULL)
            goto fail;
        json_object_object_add(obj, route->id_field, v);
    }
    if (route->fixed) {
        json_object *fixed = json_tokener_parse(route->fixed);
        json_object_object_foreach(fixed, fkey, fval)
        {
            if (json_object_object_get_ex(obj, fkey, NULL)) {
                s_error(res, 400, fkey, "%s is set by the route %s, not by the body", fkey,
                        route->pattern);
                json_object_put(fixed); /* after: fkey is its memory */
                goto fail;
            }
            json_object_object_add(obj, fkey, json_object_get(fval));
        }
        json_object_put(fixed);
    }
    if ((route->flags & R_AGENT_SELF) && !json_object_object_get_ex(obj, "agent", NULL) &&
        !json_object_object_get_ex(obj, "all", NULL))
        json_object_object_add(obj, "agent", json_object_new_string(s->login));
    return obj;
fail:
    json_object_put(obj);
    return NULL;
}

static void s_command(gw_api_t *api, const route_t *route, const gw_request_t *req, const char *seg,
                      const gw_session_t *s, gw_response_t *res)
{
    const ProtobufCFieldDescriptor *cf = protobuf_c_message_descriptor_get_field(
        &huifang__v1__request__descriptor, (unsigned)route->command);
    const ProtobufCMessageDescriptor *desc = cf->descriptor;
    char branch[64];
    snprintf(branch, sizeof branch, "%s", s->branch);
    json_object *obj = s_command_json(route, req, desc, seg, s, res, branch, sizeof branch);
    if (obj == NULL)
        return;
    char err[256], field[128];
    ProtobufCMessage *cmd = hf_json_to_message(obj, desc, err, sizeof err, field, sizeof field);
    json_object_put(obj);
    if (cmd == NULL) {
        s_error(res, 400, field, "%s", err);
        return;
    }
    hf_request_t r = HUIFANG__V1__REQUEST__INIT;
    r.branch = branch;
    r.session = (char *)s->token;
    char key[64];
    if (strcmp(route->method, "GET") != 0) {
        if (req->idempotency_key && *req->idempotency_key && strlen(req->idempotency_key) <= 128) {
            r.idempotency_key = (char *)req->idempotency_key;
        } else {
            hf_bus_new_id(key);
            r.idempotency_key = key;
        }
    }
    /* read your own writes: the places of the events this session's commands emitted, but
     * the target's own (a service has applied its own writes) */
    Huifang__V1__StreamPosition after[GW_POSITIONS], *after_p[GW_POSITIONS];
    for (int i = 0; i < s->n_positions && i < GW_POSITIONS; i++) {
        if (strcmp(s->positions[i].producer, route->service) == 0)
            continue;
        Huifang__V1__StreamPosition *p = &after[r.n_after];
        huifang__v1__stream_position__init(p);
        p->producer = (char *)s->positions[i].producer;
        p->epoch = (char *)s->positions[i].epoch;
        p->seq = s->positions[i].seq;
        after_p[r.n_after++] = p;
    }
    r.after = after_p;
    /* the oneof by reflection: its case and its member */
    *(uint32_t *)((char *)&r + cf->quantifier_offset) = cf->id;
    *(ProtobufCMessage **)((char *)&r + cf->offset) = cmd;
    hf_reply_t *rep = NULL;
    int rc = s_call(api, route->service, &r, &rep, res);
    protobuf_c_message_free_unpacked(cmd, NULL);
    if (rc != 0)
        return;
    if (rep->written && rep->written->producer && rep->written->epoch)
        gw_sessions_note(api->sessions, req->cookie, rep->written->producer, rep->written->epoch,
                         rep->written->seq);
    if (rep->status != HUIFANG__V1__STATUS__OK) {
        if (rep->status == HUIFANG__V1__STATUS__UNAUTHENTICATED)
            gw_sessions_forget(api->sessions, req->cookie);
        s_reply_error(res, rep);
    } else {
        const ProtobufCFieldDescriptor *rf = protobuf_c_message_descriptor_get_field(
            &huifang__v1__reply__descriptor, (unsigned)rep->result_case);
        const ProtobufCMessage *result =
            rf ? *(ProtobufCMessage *const *)((const char *)rep + rf->offset) : NULL;
        res->status = 200;
        res->body = result ? hf_json_from_message(result) : json_object_new_object();
        if (rep->note && *rep->note)
            json_object_object_add(res->body, "note", json_object_new_string(rep->note));
    }
    huifang__v1__reply__free_unpacked(rep, NULL);
}

/* ---------------------------------------------------------------------------------------
 * Dispatch
 * ------------------------------------------------------------------------------------- */

static bool s_is_change(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

void gw_api_handle(gw_api_t *api, const gw_request_t *req, gw_response_t *res)
{
    res->status = 500;
    res->body = NULL;
    res->set_cookie[0] = '\0';
    res->retry_after_s = 0;
    res->allow[0] = '\0';
    gw_session_t s;
    if (strcmp(req->path, "/api/v1/session") == 0) {
        if (strcmp(req->method, "POST") == 0) {
            s_login(api, req, res);
        } else if (strcmp(req->method, "GET") == 0) {
            if (s_need_session(api, req, res, &s))
                s_session_show(api, req, res, &s);
        } else if (strcmp(req->method, "DELETE") == 0) {
            if (s_need_session(api, req, res, &s) && s_need_csrf(req, res, &s))
                s_logout(api, req, res, &s);
        } else {
            snprintf(res->allow, sizeof res->allow, "GET, POST, DELETE");
            s_error(res, 405, NULL, "%s is not a method of /api/v1/session", req->method);
        }
        sodium_memzero(&s, sizeof s);
        return;
    }
    char seg[64];
    const route_t *route = NULL;
    char allow[32] = "";
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (!s_match(s_routes[i].pattern, req->path, seg))
            continue;
        if (strcmp(s_routes[i].method, req->method) == 0) {
            route = &s_routes[i];
            break;
        }
        size_t n = strlen(allow);
        snprintf(allow + n, sizeof allow - n, "%s%s", n ? ", " : "", s_routes[i].method);
    }
    if (route == NULL) {
        if (*allow) {
            snprintf(res->allow, sizeof res->allow, "%s", allow);
            s_error(res, 405, NULL, "%s is not a method of %s (%s is)", req->method, req->path,
                    allow);
        } else {
            s_error(res, 404, NULL, "no route %s %s", req->method, req->path);
        }
        return;
    }
    if (s_need_session(api, req, res, &s) &&
        (!s_is_change(req->method) || s_need_csrf(req, res, &s)))
        s_command(api, route, req, seg, &s, res);
    sodium_memzero(&s, sizeof s);
}
