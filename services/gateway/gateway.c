/* gateway: the HTTP side. libmicrohttpd runs a pool of threads (each with its own service
 * clients, gw_api.c); this file bounds what a client may send, serves the console's static
 * files and hands /api/v1 to gw_api.
 *
 * Bounds, each a setting: connections in all and per address, the idle time of a
 * connection, the memory of a connection (request line plus headers: more is answered 431 by
 * libmicrohttpd), and the body, refused with 413 from its Content-Length before a byte is
 * read, or as soon as a chunked body passes the cap (nothing more of it is kept). */
#include "gateway.h"
#include "hf_clock.h"
#include "hf_log.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef HF_GATEWAY_CONSOLE_DIR
#define HF_GATEWAY_CONSOLE_DIR "/usr/local/share/huifang/console"
#endif

const hf_config_entry_t gateway_config[] = {
    {"bind", "HUIFANG_GATEWAY_BIND", NULL, "127.0.0.1:8080", HF_CFG_STR, 0, 0, false,
     "the address:port to listen on (only that address; [::1]:8080 for IPv6)"},
    {"tls_cert_file", "HUIFANG_GATEWAY_TLS_CERT_FILE", NULL, "", HF_CFG_STR, 0, 0, false,
     "PEM certificate (chain) for HTTPS; empty: plain HTTP (put a TLS proxy in front)"},
    {"tls_key_file", "HUIFANG_GATEWAY_TLS_KEY_FILE", NULL, "", HF_CFG_STR, 0, 0, false,
     "PEM private key of the certificate"},
    {"cookie_secure", "HUIFANG_GATEWAY_COOKIE_SECURE", NULL, "auto", HF_CFG_STR, 0, 0, false,
     "auto (Secure cookies when the gateway serves TLS) | on (behind a TLS front) | off"},
    {"console_dir", "HUIFANG_GATEWAY_CONSOLE_DIR", NULL, HF_GATEWAY_CONSOLE_DIR, HF_CFG_STR, 0, 0,
     false, "the console's static files (index.html, *.js, *.css, openapi.json)"},
    {"threads", "HUIFANG_GATEWAY_THREADS", NULL, "4", HF_CFG_INT, 1, 64, false,
     "request threads (each waits on one service call at a time)"},
    {"max_connections", "HUIFANG_GATEWAY_MAX_CONNECTIONS", NULL, "512", HF_CFG_INT, 1, 100000,
     false, "open connections in all; more are refused"},
    {"max_per_ip", "HUIFANG_GATEWAY_MAX_PER_IP", NULL, "64", HF_CFG_INT, 1, 100000, false,
     "open connections per client address"},
    {"timeout_s", "HUIFANG_GATEWAY_TIMEOUT_S", NULL, "30", HF_CFG_INT, 1, 3600, false,
     "seconds a connection may stay idle (a slow client is closed)"},
    {"max_body", "HUIFANG_GATEWAY_MAX_BODY", NULL, "1048576", HF_CFG_INT, 1024, 67108864, false,
     "bytes of a request body (more: 413)"},
    {"max_header", "HUIFANG_GATEWAY_MAX_HEADER", NULL, "32768", HF_CFG_INT, 4096, 1048576, false,
     "bytes of a connection's request line and headers (more: 431)"},
    {"logins_per_minute", "HUIFANG_GATEWAY_LOGINS_PER_MINUTE", NULL, "10", HF_CFG_INT, 1, 100000,
     false, "login attempts per client address and minute (more: 429)"},
    {"max_sessions", "HUIFANG_GATEWAY_MAX_SESSIONS", NULL, "10000", HF_CFG_INT, 1, 10000000, false,
     "browser sessions held at once"},
    {"call_timeout_ms", "HUIFANG_GATEWAY_CALL_TIMEOUT_MS", NULL, "5000", HF_CFG_INT, 100, 60000,
     false, "ms to wait for a service's answer per try (two tries, then 503)"},
    {"max_streams", "HUIFANG_GATEWAY_MAX_STREAMS", NULL, "256", HF_CFG_INT, 1, 100000, false,
     "live streams (GET /api/v1/stream) open at once; each holds a connection (more: 503)"},
    {"streams_per_person", "HUIFANG_GATEWAY_STREAMS_PER_PERSON", NULL, "4", HF_CFG_INT, 1, 1000,
     false, "live streams one login may hold open (more: 429)"},
    {"stream_heartbeat_s", "HUIFANG_GATEWAY_STREAM_HEARTBEAT_S", NULL, "15", HF_CFG_INT, 1, 3600,
     false, "seconds between a stream's keep-alive comments (below HUIFANG_GATEWAY_TIMEOUT_S)"},
    {"curve_key", "HUIFANG_CURVE_NAME", NULL, "gateway", HF_CFG_STR, 0, 0, false,
     "the name of this client's CURVE key, which the services allow"},
    {"clock", "HUIFANG_CLOCK", NULL, "real", HF_CFG_STR, 0, 0, false,
     "real | manual (the services' clock, for the console's dates and countdowns; sessions end by "
     "the real time, as the services check them)"},
    {"clock_file", "HUIFANG_CLOCK_FILE", NULL, "/tmp/huifang.clock", HF_CFG_STR, 0, 0, false,
     "the manual clock's file"},
    {"log_level", "HUIFANG_LOG_LEVEL", NULL, "info", HF_CFG_STR, 0, 0, false,
     "debug | info | warn | error"},
    HF_CONFIG_END};

struct gateway_t {
    struct MHD_Daemon *daemon;
    gw_sessions_t *sessions;
    gw_streams_t *streams;
    gw_api_t api;
    char console_dir[1024];
    size_t max_body;
    char *tls_cert, *tls_key; /* PEM text, kept while the daemon runs */
};

/* One request's state between libmicrohttpd's calls. */
typedef struct {
    char *body;
    size_t len, cap;
    bool too_large;
    int64_t started_ms;
} conn_t;

/* ---------------------------------------------------------------------------------------
 * Responses
 * ------------------------------------------------------------------------------------- */

static void s_security_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                            "base-uri 'none'; form-action 'self'");
}

static enum MHD_Result s_send_json(struct MHD_Connection *c, const gw_response_t *res)
{
    const char *text = json_object_to_json_string_ext(
        res->body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    s_security_headers(r);
    if (res->set_cookie[0])
        MHD_add_response_header(r, "Set-Cookie", res->set_cookie);
    if (res->allow[0])
        MHD_add_response_header(r, "Allow", res->allow);
    /* the services' clock (the manual clock of a demo or a test), in ms: the console's "today",
     * its countdowns and "due soon" follow it */
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)hf_clock_now_ms());
    MHD_add_response_header(r, "X-Huifang-Now", now);
    if (res->retry_after_s > 0) {
        char secs[16];
        snprintf(secs, sizeof secs, "%d", res->retry_after_s);
        MHD_add_response_header(r, "Retry-After", secs);
    }
    enum MHD_Result rc = MHD_queue_response(c, res->status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result s_send_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
    gw_response_t res = {.status = status, .body = json_object_new_object()};
    json_object_object_add(res.body, "error", json_object_new_string(msg));
    enum MHD_Result rc = s_send_json(c, &res);
    json_object_put(res.body);
    return rc;
}

/* ---------------------------------------------------------------------------------------
 * Static files of the console
 * ------------------------------------------------------------------------------------- */

static const char *s_content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return NULL;
}

/* A path the console may serve: letters, digits, '-', '_', '.', '/' and no segment that
 * starts with a dot (no "..", no hidden files). */
static bool s_safe_path(const char *path)
{
    if (path[0] != '/' || strlen(path) > 200)
        return false;
    for (const char *p = path; *p; p++) {
        char ch = *p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '/';
        if (!ok || (ch == '.' && p[-1] == '/'))
            return false;
    }
    return true;
}

static enum MHD_Result s_static(gateway_t *gw, struct MHD_Connection *c, const char *url)
{
    const char *path = strcmp(url, "/") == 0 ? "/index.html" : url;
    if (strcmp(url, "/api/v1/openapi.json") == 0)
        path = "/openapi.json";
    const char *type = s_safe_path(path) ? s_content_type(path) : NULL;
    if (type == NULL)
        return s_send_error(c, 404, "not found");
    char file[1300];
    snprintf(file, sizeof file, "%s%s", gw->console_dir, path);
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return s_send_error(c, 404, "not found");
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (r == NULL) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    s_security_headers(r);
    enum MHD_Result rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rc;
}

/* ---------------------------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------------------------- */

static enum MHD_Result s_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    json_object_object_add((json_object *)cls, key, json_object_new_string(value ? value : ""));
    return MHD_YES;
}

static void s_client_ip(struct MHD_Connection *c, char *out, size_t len)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, len, "?");
    if (info == NULL || info->client_addr == NULL)
        return;
    const struct sockaddr *sa = info->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)len);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)len);
}

static enum MHD_Result s_api(gateway_t *gw, struct MHD_Connection *c, const char *url,
                             const char *method, conn_t *conn)
{
    char ip[INET6_ADDRSTRLEN + 1];
    s_client_ip(c, ip, sizeof ip);
    gw_request_t req = {
        .method = method,
        .path = url,
        .query = json_object_new_object(),
        .body = conn->body ? conn->body : "",
        .body_len = conn->len,
        .content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
        .cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "hf_session"),
        .csrf = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token"),
        .idempotency_key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key"),
        .ip = ip,
    };
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, s_query_arg, req.query);
    gw_response_t res;
    gw_api_handle(&gw->api, &req, &res);
    json_object_put(req.query);
    if (res.body == NULL)
        res.body = json_object_new_object();
    /* the path only: a query may hold a phone number, a body a password */
    hf_info("request", "method=%s path=%s status=%u ip=%s ms=%lld", method, url, res.status, ip,
            (long long)(hf_clock_mono_ms() - conn->started_ms));
    enum MHD_Result rc = s_send_json(c, &res);
    json_object_put(res.body);
    return rc;
}

static enum MHD_Result s_access(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls)
{
    (void)version;
    gateway_t *gw = cls;
    conn_t *conn = *con_cls;
    if (conn == NULL) {
        conn = calloc(1, sizeof *conn);
        if (conn == NULL)
            return MHD_NO;
        conn->started_ms = hf_clock_mono_ms();
        *con_cls = conn;
        /* a declared length over the cap is refused before a byte of it is read */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > gw->max_body) {
            hf_info("request", "method=%s path=%s status=413", method, url);
            return s_send_error(c, 413, "the body is over the gateway's cap");
        }
        return MHD_YES;
    }
    if (*upload_size > 0) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (conn->too_large || conn->len + n > gw->max_body) {
            /* the 413 goes out once the body ended (libmicrohttpd 0.9 cannot answer in the
             * middle of one); what arrives until then is counted, not kept, and a body that
             * goes on past twice the cap is cut by closing the connection, so that a client
             * streaming a chunked body without end cannot hold the thread */
            if (!conn->too_large) {
                conn->too_large = true;
                free(conn->body);
                conn->body = NULL;
                conn->cap = 0;
            }
            conn->len += n;
            if (conn->len > 2 * gw->max_body) {
                hf_info("request", "method=%s path=%s status=closed reason=\"body without end\"",
                        method, url);
                return MHD_NO;
            }
            return MHD_YES;
        }
        if (conn->len + n + 1 > conn->cap) {
            size_t cap = conn->cap ? conn->cap : 4096;
            while (cap < conn->len + n + 1)
                cap *= 2;
            char *grown = realloc(conn->body, cap);
            if (grown == NULL)
                return MHD_NO;
            conn->body = grown;
            conn->cap = cap;
        }
        memcpy(conn->body + conn->len, upload, n);
        conn->len += n;
        conn->body[conn->len] = '\0';
        return MHD_YES;
    }
    if (conn->too_large) {
        hf_info("request", "method=%s path=%s status=413", method, url);
        return s_send_error(c, 413, "the body is over the gateway's cap");
    }
    if (conn->body && strlen(conn->body) != conn->len)
        return s_send_error(c, 400, "the body holds a NUL byte");
    if (strcmp(url, "/api/v1/stream") == 0) {
        if (strcmp(method, "GET") != 0) {
            gw_response_t res = {.status = 405, .body = json_object_new_object()};
            snprintf(res.allow, sizeof res.allow, "GET");
            json_object_object_add(res.body, "error",
                                   json_object_new_string("the stream is read with GET"));
            enum MHD_Result rc = s_send_json(c, &res);
            json_object_put(res.body);
            return rc;
        }
        unsigned status = 0;
        enum MHD_Result rc = (enum MHD_Result)gw_stream_open(
            gw->streams, &gw->api, c, MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "hf_session"),
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID"), &status);
        char ip[INET6_ADDRSTRLEN + 1];
        s_client_ip(c, ip, sizeof ip);
        hf_info("request", "method=%s path=%s status=%u ip=%s ms=%lld", method, url, status, ip,
                (long long)(hf_clock_mono_ms() - conn->started_ms));
        return rc;
    }
    if (strncmp(url, "/api/", 5) == 0 && strcmp(url, "/api/v1/openapi.json") != 0)
        return s_api(gw, c, url, method, conn);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return s_send_error(c, 405, "the console's files are read with GET");
    return s_static(gw, c, url);
}

static void s_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    conn_t *conn = *con_cls;
    if (conn) {
        if (conn->body)
            sodium_memzero(conn->body, conn->cap); /* it may have held a password */
        free(conn->body);
        free(conn);
        *con_cls = NULL;
    }
}

static void s_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char text[512];
    vsnprintf(text, sizeof text, fmt, ap);
    text[strcspn(text, "\n")] = '\0';
    hf_warn("http", "detail=\"%s\"", text);
}

/* ---------------------------------------------------------------------------------------
 * Life
 * ------------------------------------------------------------------------------------- */

/* Reads a whole (small) file into a new string; NULL after a message. */
static char *s_read_file(const char *path, const char *what)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "huifang-gateway: cannot read the %s %s: %s\n", what, path,
                strerror(errno));
        return NULL;
    }
    char *text = calloc(1, 1 << 20);
    size_t n = text ? fread(text, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (text == NULL || n == 0) {
        fprintf(stderr, "huifang-gateway: the %s %s is empty\n", what, path);
        free(text);
        return NULL;
    }
    return text;
}

/* Parses "host:port" or "[v6]:port" into addr; 0 or -1. */
static int s_parse_bind(const char *bind, struct sockaddr_storage *addr, bool *v6)
{
    char host[256], port[16];
    const char *colon;
    if (bind[0] == '[') {
        const char *end = strchr(bind, ']');
        if (end == NULL || end[1] != ':')
            return -1;
        snprintf(host, sizeof host, "%.*s", (int)(end - bind - 1), bind + 1);
        colon = end + 1;
    } else {
        colon = strrchr(bind, ':');
        if (colon == NULL)
            return -1;
        snprintf(host, sizeof host, "%.*s", (int)(colon - bind), bind);
    }
    snprintf(port, sizeof port, "%s", colon + 1);
    char *end = NULL;
    long p = strtol(port, &end, 10);
    if (*port == '\0' || *end != '\0' || p < 1 || p > 65535)
        return -1;
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL)
        return -1;
    memcpy(addr, ai->ai_addr, ai->ai_addrlen);
    *v6 = ai->ai_family == AF_INET6;
    freeaddrinfo(ai);
    return 0;
}

gateway_t *gateway_new(const hf_config_t *cfg)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "huifang-gateway: libsodium could not start\n");
        return NULL;
    }
    gateway_t *gw = calloc(1, sizeof *gw);
    if (gw == NULL)
        return NULL;
    const char *bind = hf_config_str(cfg, "bind");
    struct sockaddr_storage addr;
    bool v6 = false;
    if (s_parse_bind(bind, &addr, &v6) != 0) {
        fprintf(stderr,
                "huifang-gateway: bad configuration: HUIFANG_GATEWAY_BIND=%s is not "
                "address:port (numeric, e.g. 127.0.0.1:8080 or [::1]:8080)\n",
                bind);
        goto fail;
    }
    snprintf(gw->console_dir, sizeof gw->console_dir, "%s", hf_config_str(cfg, "console_dir"));
    struct stat st;
    if (stat(gw->console_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr,
                "huifang-gateway: bad configuration: HUIFANG_GATEWAY_CONSOLE_DIR=%s is not "
                "a folder\n",
                gw->console_dir);
        goto fail;
    }
    const char *cert = hf_config_str(cfg, "tls_cert_file");
    const char *key = hf_config_str(cfg, "tls_key_file");
    if (!!*cert != !!*key) {
        fprintf(stderr, "huifang-gateway: bad configuration: HTTPS needs both "
                        "HUIFANG_GATEWAY_TLS_CERT_FILE and HUIFANG_GATEWAY_TLS_KEY_FILE\n");
        goto fail;
    }
    if (*cert && ((gw->tls_cert = s_read_file(cert, "TLS certificate")) == NULL ||
                  (gw->tls_key = s_read_file(key, "TLS key")) == NULL))
        goto fail;
    gw->max_body = (size_t)hf_config_int(cfg, "max_body");
    gw->sessions = gw_sessions_new((int)hf_config_int(cfg, "max_sessions"),
                                   (int)hf_config_int(cfg, "logins_per_minute"));
    if (gw->sessions == NULL)
        goto fail;
    gw->api.sessions = gw->sessions;
    gw->streams = gw_streams_new(gw->sessions, (int)hf_config_int(cfg, "max_streams"),
                                 (int)hf_config_int(cfg, "streams_per_person"),
                                 (int)hf_config_int(cfg, "stream_heartbeat_s"));
    if (gw->streams == NULL)
        goto fail;
    gw->api.call_timeout_ms = (int)hf_config_int(cfg, "call_timeout_ms");
    const char *secure = hf_config_str(cfg, "cookie_secure");
    if (strcmp(secure, "auto") == 0) {
        gw->api.secure_cookie = gw->tls_cert != NULL;
    } else if (strcmp(secure, "on") == 0 || strcmp(secure, "off") == 0) {
        gw->api.secure_cookie = strcmp(secure, "on") == 0;
    } else {
        fprintf(stderr,
                "huifang-gateway: bad configuration: HUIFANG_GATEWAY_COOKIE_SECURE=%s is "
                "not auto, on or off\n",
                secure);
        goto fail;
    }

    /* suspend/resume: a live stream waits for events off the event loop (gw_stream.c) */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME;
    if (v6)
        flags |= MHD_USE_IPv6;
    if (gw->tls_cert)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem tls_opts[] = {
        {gw->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, gw->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, gw->tls_key},
        {MHD_OPTION_END, 0, NULL},
    };
    gw->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, s_access, gw, MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log,
        gw, /* first: it applies to what follows */
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)hf_config_int(cfg, "threads"), MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)hf_config_int(cfg, "max_connections"), MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)hf_config_int(cfg, "max_per_ip"), MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)hf_config_int(cfg, "timeout_s"), MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)hf_config_int(cfg, "max_header"), MHD_OPTION_NOTIFY_COMPLETED, s_completed, gw,
        MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
    if (gw->daemon == NULL) {
        fprintf(stderr,
                "huifang-gateway: could not listen on %s (in use, or not an address of "
                "this host)\n",
                bind);
        goto fail;
    }
    hf_info("listening", "bind=%s tls=%s console=%s", bind, gw->tls_cert ? "on" : "off",
            gw->console_dir);
    return gw;
fail:
    gateway_destroy(&gw);
    return NULL;
}

void gateway_destroy(gateway_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    gateway_t *gw = *self_p;
    /* no suspended connection may be left when the daemon stops: end the streams first */
    gw_streams_close_all(gw->streams);
    if (gw->daemon)
        MHD_stop_daemon(gw->daemon); /* joins the request threads */
    gw_streams_destroy(&gw->streams);
    gw_api_release_clients();
    gw_sessions_destroy(&gw->sessions);
    if (gw->tls_key) {
        sodium_memzero(gw->tls_key, strlen(gw->tls_key));
        free(gw->tls_key);
    }
    free(gw->tls_cert);
    free(gw);
    *self_p = NULL;
}
