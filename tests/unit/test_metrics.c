/* test_metrics: hf_metrics as Prometheus reads it. The exposition text of counters, gauges
 * and histograms (cumulative buckets, +Inf equal to the count); the same handle for the same
 * name and labels; the HTTP listener on loopback (a port the kernel picks): /metrics with
 * its Content-Type, /healthz and /readyz from the health callback (503 with the reason),
 * 404 and 405; a second listener on the same address refused with the address and reason. */
#include "hf_metrics.h"
#include "hf_test.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

static void test_render(void)
{
    hf_metrics_t *m = hf_metrics_new();
    hf_series_t *c = hf_metrics_counter(m, "huifang_things_total", "Things", "service=\"t\"");
    CHECK(c == hf_metrics_counter(m, "huifang_things_total", "Things", "service=\"t\""));
    hf_series_add(c, 2);
    hf_series_add(c, 1);
    CHECK_INT(hf_series_value(c), 3);
    hf_series_set(hf_metrics_gauge(m, "huifang_depth", "Depth", NULL), 7.5);
    static const double b[] = {0.001, 0.01, 1};
    hf_series_t *h = hf_metrics_histogram(m, "huifang_x_seconds", "X", "command=\"a\"", b, 3);
    hf_series_observe(h, 0.0005);
    hf_series_observe(h, 0.005);
    hf_series_observe(h, 5);
    /* a name of another type is refused, not mixed in */
    CHECK(hf_metrics_gauge(m, "huifang_things_total", "Things", "") == NULL);
    char *text = hf_metrics_render(m);
    CHECK(text != NULL);
    if (text) {
        CHECK(strstr(text, "# HELP huifang_things_total Things\n# TYPE huifang_things_total "
                           "counter\nhuifang_things_total{service=\"t\"} 3\n") != NULL);
        CHECK(strstr(text, "# TYPE huifang_depth gauge\nhuifang_depth 7.5\n") != NULL);
        CHECK(strstr(text, "huifang_x_seconds_bucket{command=\"a\",le=\"0.001\"} 1\n"
                           "huifang_x_seconds_bucket{command=\"a\",le=\"0.01\"} 2\n"
                           "huifang_x_seconds_bucket{command=\"a\",le=\"1\"} 2\n"
                           "huifang_x_seconds_bucket{command=\"a\",le=\"+Inf\"} 3\n"
                           "huifang_x_seconds_sum{command=\"a\"} 5.0054999999999996\n"
                           "huifang_x_seconds_count{command=\"a\"} 3\n") != NULL);
        free(text);
    }
    hf_metrics_destroy(&m);
    CHECK(m == NULL);
    hf_metrics_destroy(&m);
}

/* A GET of path on 127.0.0.1:port (or another method); the whole answer in out. */
static void s_http(int port, const char *method, const char *path, char *out, size_t outlen)
{
    out[0] = '\0';
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return;
    }
    char req[256];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                     method, path);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return;
    }
    size_t got = 0;
    ssize_t r;
    while (got + 1 < outlen && (r = read(fd, out + got, outlen - 1 - got)) > 0)
        got += (size_t)r;
    out[got] = '\0';
    close(fd);
}

static bool s_ready;
static bool s_health(void *arg, bool readiness, char *why, size_t whylen)
{
    (void)arg;
    if (readiness && !s_ready) {
        snprintf(why, whylen, "the consumer of intake is behind");
        return false;
    }
    return true;
}

static void test_listen(void)
{
    hf_metrics_t *m = hf_metrics_new();
    hf_series_add(hf_metrics_counter(m, "huifang_up_total", "Up", "service=\"t\""), 1);
    char err[400] = "";
    CHECK_INT(hf_metrics_listen(m, "127.0.0.1:0", s_health, NULL, err, sizeof err), 0);
    int port = hf_metrics_port(m);
    CHECK(port > 0);
    char buf[8192];
    s_http(port, "GET", "/metrics", buf, sizeof buf);
    CHECK(strncmp(buf, "HTTP/1.1 200", 12) == 0);
    CHECK(strstr(buf, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") != NULL);
    CHECK(strstr(buf, "huifang_up_total{service=\"t\"} 1\n") != NULL);
    s_http(port, "GET", "/healthz", buf, sizeof buf);
    CHECK(strncmp(buf, "HTTP/1.1 200", 12) == 0);
    s_ready = false;
    s_http(port, "GET", "/readyz", buf, sizeof buf);
    CHECK(strncmp(buf, "HTTP/1.1 503", 12) == 0);
    CHECK(strstr(buf, "\r\n\r\nthe consumer of intake is behind\n") != NULL);
    s_ready = true;
    s_http(port, "GET", "/readyz", buf, sizeof buf);
    CHECK(strncmp(buf, "HTTP/1.1 200", 12) == 0);
    s_http(port, "GET", "/other", buf, sizeof buf);
    CHECK(strncmp(buf, "HTTP/1.1 404", 12) == 0);
    s_http(port, "DELETE", "/metrics", buf, sizeof buf);
    CHECK(strncmp(buf, "HTTP/1.1 405", 12) == 0);

    /* the same address again: refused, naming it and the reason */
    hf_metrics_t *second = hf_metrics_new();
    char bind[64];
    snprintf(bind, sizeof bind, "127.0.0.1:%d", port);
    CHECK_INT(hf_metrics_listen(second, bind, NULL, NULL, err, sizeof err), -1);
    CHECK(strstr(err, bind) != NULL);
    CHECK(strstr(err, "Address already in use") != NULL);
    hf_metrics_destroy(&second);
    /* addresses that are not host:port */
    CHECK_INT(
        hf_metrics_listen(second = hf_metrics_new(), "localhost", NULL, NULL, err, sizeof err), -1);
    CHECK(strstr(err, "not host:port") != NULL);
    CHECK_INT(hf_metrics_listen(second, "example.org:80", NULL, NULL, err, sizeof err), -1);
    CHECK(strstr(err, "not an IP address") != NULL);
    CHECK_INT(hf_metrics_listen(second, "127.0.0.1:99999", NULL, NULL, err, sizeof err), -1);
    hf_metrics_destroy(&second);
    hf_metrics_destroy(&m);
}

/* Scraped while the process holds more descriptors than select() can watch (FD_SETSIZE):
 * a scheduler serving thousands of agents does. */
static void test_many_descriptors(void)
{
    struct rlimit lim;
    CHECK_INT(getrlimit(RLIMIT_NOFILE, &lim), 0);
    if (lim.rlim_cur < 2 * FD_SETSIZE && lim.rlim_max >= 2 * FD_SETSIZE) {
        lim.rlim_cur = 2 * FD_SETSIZE;
        CHECK_INT(setrlimit(RLIMIT_NOFILE, &lim), 0);
    }
    if (lim.rlim_cur < 2 * FD_SETSIZE) {
        printf("test_many_descriptors: skipped, at most %llu descriptors\n",
               (unsigned long long)lim.rlim_cur);
        return;
    }
    int held[FD_SETSIZE + 64], n = 0;
    while (n < (int)(sizeof held / sizeof *held) && (held[n] = open("/dev/null", O_RDONLY)) >= 0)
        n++;
    CHECK(n == (int)(sizeof held / sizeof *held));
    hf_metrics_t *m = hf_metrics_new();
    hf_series_add(hf_metrics_counter(m, "huifang_up_total", "Up", "service=\"t\""), 1);
    char err[400] = "";
    CHECK_INT(hf_metrics_listen(m, "127.0.0.1:0", NULL, NULL, err, sizeof err), 0);
    char buf[8192];
    s_http(hf_metrics_port(m), "GET", "/metrics", buf, sizeof buf);
    CHECK(strncmp(buf, "HTTP/1.1 200", 12) == 0);
    CHECK(strstr(buf, "huifang_up_total{service=\"t\"} 1\n") != NULL);
    hf_metrics_destroy(&m);
    while (n > 0)
        close(held[--n]);
}

static void test_rss(void)
{
    CHECK(hf_metrics_process_rss(NULL) > 100000);
}

int main(void)
{
    TEST_CASE(test_render);
    TEST_CASE(test_listen);
    TEST_CASE(test_many_descriptors);
    TEST_CASE(test_rss);
    return hf_test_failures ? 1 : 0;
}
