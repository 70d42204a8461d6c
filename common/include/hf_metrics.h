/* hf_metrics: a small Prometheus registry and the HTTP listener that serves it, with the
 * health probes ops expect (/metrics, /healthz, /readyz).
 *
 * The service loop owns the numbers and changes them through series handles; the listener
 * runs in libmicrohttpd's own thread and renders them in the text exposition format
 * (version 0.0.4). One mutex guards the registry: an update is a lock, an add and an unlock,
 * and a scrape holds the lock while it formats, so it always sees a consistent set (a
 * histogram's buckets, sum and count move together). Series are made once and live as long
 * as the registry, so a handle never dangles.
 *
 * Labels are given preformatted ('service="intake",command="lead_add"'); their values must
 * be bounded (command names, producers, reasons), never ids, and hold no '"', '\' or
 * newline. Not promhttp: it binds every interface and sends no Content-Type, which
 * Prometheus 3 refuses (research/identity-ops-anchors.md §4.3). */
#ifndef HF_METRICS_H
#define HF_METRICS_H
#include <stdbool.h>
#include <stddef.h>

typedef struct hf_metrics_t hf_metrics_t;
typedef struct hf_series_t hf_series_t;

/* Answers a health probe from the listener's thread: returns true when healthy (ready, for
 * /readyz), or false with a one-line reason in why. Must be thread-safe. */
typedef bool (*hf_health_fn)(void *arg, bool readiness, char *why, size_t whylen);
/* A value read at scrape time, from the listener's thread: must be thread-safe. */
typedef double (*hf_metric_fn)(void *arg);

/* A new, empty registry, or NULL when out of memory. */
hf_metrics_t *hf_metrics_new(void);
/* Stops the listener (if any) and frees the registry and every series; idempotent, sets
 * *self_p to NULL. */
void hf_metrics_destroy(hf_metrics_t **self_p);

/* The series of a counter, gauge or histogram family with these labels (labels "" or NULL:
 * none), made on first use; the same handle for the same name and labels. A family's help
 * and buckets are those of its first series. bounds: nbounds upper bounds in seconds (or the
 * family's unit), increasing, +Inf implied. Returns NULL when out of memory or when name is
 * already a family of another type (a programmer error, logged); the hf_series_ functions
 * accept NULL and do nothing. */
hf_series_t *hf_metrics_counter(hf_metrics_t *self, const char *name, const char *help,
                                const char *labels);
hf_series_t *hf_metrics_gauge(hf_metrics_t *self, const char *name, const char *help,
                              const char *labels);
hf_series_t *hf_metrics_histogram(hf_metrics_t *self, const char *name, const char *help,
                                  const char *labels, const double *bounds, int nbounds);
/* A counter or gauge (counter true or false) whose value is fn(arg) at each scrape. 0 or -1. */
int hf_metrics_fn(hf_metrics_t *self, bool counter, const char *name, const char *help,
                  const char *labels, hf_metric_fn fn, void *arg);

/* Adds v (>= 0 for a counter) to a counter or gauge. */
void hf_series_add(hf_series_t *s, double v);
/* Sets a gauge, or a counter to a count kept elsewhere (it must never go down). */
void hf_series_set(hf_series_t *s, double v);
/* Records one observation in a histogram. */
void hf_series_observe(hf_series_t *s, double v);
/* The current value of a counter or gauge (0 for a histogram); for tests. */
double hf_series_value(hf_series_t *s);

/* The exposition text of every series (malloc'd, the caller frees), or NULL. */
char *hf_metrics_render(hf_metrics_t *self);

/* Listens for HTTP on bind ("127.0.0.1:9109", "[::1]:9109"; port 0 picks a free one) in a
 * thread of its own: GET /metrics, /healthz and /readyz (health answers them; NULL: always
 * 200), 404 for any other path, 405 for any other method. At most 32 connections, 10 s each.
 * Returns 0, or -1 with the reason in err (a bad address, the address in use). */
int hf_metrics_listen(hf_metrics_t *self, const char *bind, hf_health_fn health, void *arg,
                      char *err, size_t errlen);
/* The port the listener is bound to (0 when it is not listening). */
int hf_metrics_port(const hf_metrics_t *self);

/* The resident set size of this process in bytes (/proc/self/statm), 0 when unknown. */
double hf_metrics_process_rss(void *unused);

#endif
