/* hf_metrics: see hf_metrics.h. A registry of families, each a list of series, behind one
 * mutex; rendered on demand by libmicrohttpd's internal polling thread. */
#include "hf_metrics.h"
#include "hf_log.h"
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HF_METRICS_MAX_BOUNDS 16
#define HF_METRICS_CONNECTIONS 32
#define HF_METRICS_TIMEOUT_S 10

typedef enum { S_COUNTER, S_GAUGE, S_HISTOGRAM } s_type_t;

struct hf_series_t {
    struct hf_series_t *next;
    hf_metrics_t *owner;
    const struct s_family_t *family;
    char *labels;    /* preformatted, "" for none */
    double value;    /* counter, gauge */
    hf_metric_fn fn; /* read at scrape time instead of value, or NULL */
    void *fn_arg;
    uint64_t buckets[HF_METRICS_MAX_BOUNDS + 1]; /* histogram: per bucket, not cumulative */
    double sum;
};

typedef struct s_family_t {
    struct s_family_t *next;
    char *name;
    char *help;
    s_type_t type;
    double bounds[HF_METRICS_MAX_BOUNDS];
    int nbounds;
    hf_series_t *series, *last;
} s_family_t;

struct hf_metrics_t {
    pthread_mutex_t lock;
    s_family_t *families, *last;
    struct MHD_Daemon *daemon;
    hf_health_fn health;
    void *health_arg;
    int port;
    char start_error[256]; /* what libmicrohttpd said while starting */
    atomic_bool started;   /* read by the listener's thread */
};

hf_metrics_t *hf_metrics_new(void)
{
    hf_metrics_t *self = calloc(1, sizeof *self);
    if (self == NULL)
        return NULL;
    pthread_mutex_init(&self->lock, NULL);
    return self;
}

void hf_metrics_destroy(hf_metrics_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    hf_metrics_t *self = *self_p;
    /* the listener first: no scrape may run while the series go */
    if (self->daemon)
        MHD_stop_daemon(self->daemon);
    for (s_family_t *f = self->families; f;) {
        for (hf_series_t *s = f->series; s;) {
            hf_series_t *next = s->next;
            free(s->labels);
            free(s);
            s = next;
        }
        s_family_t *next = f->next;
        free(f->name);
        free(f->help);
        free(f);
        f = next;
    }
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

/* ---- the registry ---- */

/* The family name of type, made when missing; NULL (logged) when name has another type.
 * Called with the lock held. */
static s_family_t *s_family(hf_metrics_t *self, s_type_t type, const char *name, const char *help,
                            const double *bounds, int nbounds)
{
    for (s_family_t *f = self->families; f; f = f->next)
        if (strcmp(f->name, name) == 0) {
            if (f->type != type) {
                hf_error("metric_type_clash", "metric=%s", name);
                return NULL;
            }
            return f;
        }
    s_family_t *f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    f->name = strdup(name);
    f->help = strdup(help ? help : "");
    if (f->name == NULL || f->help == NULL) {
        free(f->name);
        free(f->help);
        free(f);
        return NULL;
    }
    f->type = type;
    f->nbounds = nbounds > HF_METRICS_MAX_BOUNDS ? HF_METRICS_MAX_BOUNDS : nbounds;
    for (int i = 0; i < f->nbounds; i++)
        f->bounds[i] = bounds[i];
    if (self->last)
        self->last->next = f;
    else
        self->families = f;
    self->last = f;
    return f;
}

static hf_series_t *s_series(hf_metrics_t *self, s_type_t type, const char *name, const char *help,
                             const char *labels, const double *bounds, int nbounds)
{
    if (self == NULL)
        return NULL;
    if (labels == NULL)
        labels = "";
    pthread_mutex_lock(&self->lock);
    hf_series_t *s = NULL;
    s_family_t *f = s_family(self, type, name, help, bounds, nbounds);
    if (f == NULL)
        goto done;
    for (s = f->series; s; s = s->next)
        if (strcmp(s->labels, labels) == 0)
            goto done;
    s = calloc(1, sizeof *s);
    if (s == NULL)
        goto done;
    s->owner = self;
    s->family = f;
    s->labels = strdup(labels);
    if (s->labels == NULL) {
        free(s);
        s = NULL;
        goto done;
    }
    if (f->last)
        f->last->next = s;
    else
        f->series = s;
    f->last = s;
done:
    pthread_mutex_unlock(&self->lock);
    return s;
}

hf_series_t *hf_metrics_counter(hf_metrics_t *self, const char *name, const char *help,
                                const char *labels)
{
    return s_series(self, S_COUNTER, name, help, labels, NULL, 0);
}

hf_series_t *hf_metrics_gauge(hf_metrics_t *self, const char *name, const char *help,
                              const char *labels)
{
    return s_series(self, S_GAUGE, name, help, labels, NULL, 0);
}

hf_series_t *hf_metrics_histogram(hf_metrics_t *self, const char *name, const char *help,
                                  const char *labels, const double *bounds, int nbounds)
{
    return s_series(self, S_HISTOGRAM, name, help, labels, bounds, nbounds);
}

int hf_metrics_fn(hf_metrics_t *self, bool counter, const char *name, const char *help,
                  const char *labels, hf_metric_fn fn, void *arg)
{
    hf_series_t *s = s_series(self, counter ? S_COUNTER : S_GAUGE, name, help, labels, NULL, 0);
    if (s == NULL)
        return -1;
    pthread_mutex_lock(&self->lock);
    s->fn = fn;
    s->fn_arg = arg;
    pthread_mutex_unlock(&self->lock);
    return 0;
}

void hf_series_add(hf_series_t *s, double v)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->owner->lock);
    s->value += v;
    pthread_mutex_unlock(&s->owner->lock);
}

void hf_series_set(hf_series_t *s, double v)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->owner->lock);
    s->value = v;
    pthread_mutex_unlock(&s->owner->lock);
}

void hf_series_observe(hf_series_t *s, double v)
{
    if (s == NULL)
        return;
    /* the family's bounds never change once it is made: read without the lock */
    const s_family_t *f = s->family;
    int i = 0;
    while (i < f->nbounds && v > f->bounds[i])
        i++;
    pthread_mutex_lock(&s->owner->lock);
    s->buckets[i]++;
    s->sum += v;
    pthread_mutex_unlock(&s->owner->lock);
}

double hf_series_value(hf_series_t *s)
{
    if (s == NULL)
        return 0;
    pthread_mutex_lock(&s->owner->lock);
    double v = s->fn ? s->fn(s->fn_arg) : s->value;
    pthread_mutex_unlock(&s->owner->lock);
    return v;
}

/* ---- rendering ---- */

typedef struct {
    char *buf;
    size_t len, cap;
    bool failed;
} s_text_t;

static void s_printf(s_text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_printf(s_text_t *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap + (size_t)n + 1) * 2;
        char *grown = realloc(t->buf, cap);
        if (grown == NULL) {
            t->failed = true;
            return;
        }
        t->buf = grown;
        t->cap = cap;
    }
}

/* A number as Prometheus reads it: integers without a fraction, others with 17 digits. */
static const char *s_number(double v, char *out, size_t outlen)
{
    if (v == (double)(int64_t)v && v > -1e15 && v < 1e15)
        snprintf(out, outlen, "%lld", (long long)v);
    else
        snprintf(out, outlen, "%.17g", v);
    return out;
}

static void s_render_family(s_text_t *t, const s_family_t *f)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    s_printf(t, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, types[f->type]);
    char num[64];
    for (const hf_series_t *s = f->series; s; s = s->next) {
        const char *l = s->labels;
        if (f->type != S_HISTOGRAM) {
            double v = s->fn ? s->fn(s->fn_arg) : s->value;
            s_printf(t, "%s%s%s%s %s\n", f->name, *l ? "{" : "", l, *l ? "}" : "",
                     s_number(v, num, sizeof num));
            continue;
        }
        uint64_t cumulative = 0;
        char bound[32];
        for (int i = 0; i <= f->nbounds; i++) {
            cumulative += s->buckets[i];
            if (i < f->nbounds)
                snprintf(bound, sizeof bound, "%g", f->bounds[i]);
            else
                snprintf(bound, sizeof bound, "+Inf");
            s_printf(t, "%s_bucket{%s%sle=\"%s\"} %llu\n", f->name, l, *l ? "," : "", bound,
                     (unsigned long long)cumulative);
        }
        s_printf(t, "%s_sum%s%s%s %s\n", f->name, *l ? "{" : "", l, *l ? "}" : "",
                 s_number(s->sum, num, sizeof num));
        s_printf(t, "%s_count%s%s%s %llu\n", f->name, *l ? "{" : "", l, *l ? "}" : "",
                 (unsigned long long)cumulative);
    }
}

char *hf_metrics_render(hf_metrics_t *self)
{
    s_text_t t = {0};
    t.cap = 16384;
    t.buf = malloc(t.cap);
    if (t.buf == NULL)
        return NULL;
    t.buf[0] = '\0';
    pthread_mutex_lock(&self->lock);
    for (const s_family_t *f = self->families; f; f = f->next)
        if (f->series)
            s_render_family(&t, f);
    pthread_mutex_unlock(&self->lock);
    if (t.failed) {
        free(t.buf);
        return NULL;
    }
    return t.buf;
}

double hf_metrics_process_rss(void *unused)
{
    (void)unused;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return 0;
    unsigned long size = 0, resident = 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    if (n != 2)
        return 0;
    return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

/* ---- the HTTP listener ---- */

static enum MHD_Result s_reply(struct MHD_Connection *conn, unsigned status, const char *type,
                               char *body)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result s_text(struct MHD_Connection *conn, unsigned status, const char *line)
{
    char *body = malloc(strlen(line) + 2);
    if (body == NULL)
        return MHD_NO;
    sprintf(body, "%s\n", line);
    return s_reply(conn, status, "text/plain; charset=utf-8", body);
}

static enum MHD_Result s_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                    const char *method, const char *version,
                                    const char *upload_data, size_t *upload_data_size,
                                    void **req_cls)
{
    (void)version;
    (void)upload_data;
    hf_metrics_t *self = cls;
    /* the first call only announces the headers; a GET has no body to wait for */
    if (*req_cls == NULL) {
        *req_cls = self;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* a body on a GET is read and ignored */
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return s_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET");
    if (strcmp(url, "/metrics") == 0) {
        char *body = hf_metrics_render(self);
        if (body == NULL)
            return s_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        return s_reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body);
    }
    bool ready = strcmp(url, "/readyz") == 0;
    if (ready || strcmp(url, "/healthz") == 0) {
        char why[256] = "ok";
        if (self->health && !self->health(self->health_arg, ready, why, sizeof why))
            return s_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, why);
        return s_text(conn, MHD_HTTP_OK, "ok");
    }
    return s_text(conn, MHD_HTTP_NOT_FOUND, "not found: /metrics, /healthz and /readyz are served");
}

/* libmicrohttpd's messages: kept while starting (the reason a bind failed), dropped after. */
static void s_on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    hf_metrics_t *self = cls;
    if (atomic_load(&self->started))
        return;
    vsnprintf(self->start_error, sizeof self->start_error, fmt, ap);
    size_t n = strlen(self->start_error);
    while (n && (self->start_error[n - 1] == '\n' || self->start_error[n - 1] == '.'))
        self->start_error[--n] = '\0';
}

/* Parses "host:port" or "[v6]:port" into addr. 0, or -1 with err. */
static int s_parse_bind(const char *bind, struct sockaddr_storage *addr, socklen_t *len, char *err,
                        size_t errlen)
{
    char host[128];
    const char *colon = strrchr(bind, ':');
    if (colon == NULL || colon == bind || colon[1] == '\0') {
        snprintf(err, errlen, "\"%s\" is not host:port", bind);
        return -1;
    }
    size_t hlen = (size_t)(colon - bind);
    const char *h = bind;
    if (*h == '[' && hlen >= 2 && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen >= sizeof host) {
        snprintf(err, errlen, "\"%s\": the host is too long", bind);
        return -1;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535) {
        snprintf(err, errlen, "\"%s\": the port is not a number 0-65535", bind);
        return -1;
    }
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0 || res == NULL) {
        snprintf(err, errlen, "\"%s\": the host is not an IP address (%s)", bind, gai_strerror(rc));
        return -1;
    }
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int hf_metrics_listen(hf_metrics_t *self, const char *bind, hf_health_fn health, void *arg,
                      char *err, size_t errlen)
{
    struct sockaddr_storage addr;
    socklen_t len = 0;
    if (s_parse_bind(bind, &addr, &len, err, errlen) != 0)
        return -1;
    self->health = health;
    self->health_arg = arg;
    self->start_error[0] = '\0';
    atomic_store(&self->started, false);
    uint16_t port = ntohs(addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&addr)->sin6_port
                                                     : ((struct sockaddr_in *)&addr)->sin_port);
    /* poll() or epoll, never select(): a scheduler serving thousands of agents holds more
     * than FD_SETSIZE (1,024) descriptors, and select() cannot watch a connection accepted
     * above that — the scrape was closed unanswered (the national day at 2,500 agents) */
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* MHD_OPTION_SOCK_ADDR: exactly the address asked for, never every interface */
    self->daemon = MHD_start_daemon(
        flags, port, NULL, NULL, s_on_request, self, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)HF_METRICS_CONNECTIONS,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)8, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)HF_METRICS_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_EXTERNAL_LOGGER, s_on_mhd_log, self, MHD_OPTION_END);
    if (self->daemon == NULL) {
        int e = errno;
        snprintf(err, errlen, "could not listen on %s: %s", bind,
                 self->start_error[0] ? self->start_error : strerror(e));
        return -1;
    }
    atomic_store(&self->started, true);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? (int)info->port : (int)port;
    return 0;
}

int hf_metrics_port(const hf_metrics_t *self)
{
    return self && self->daemon ? self->port : 0;
}
