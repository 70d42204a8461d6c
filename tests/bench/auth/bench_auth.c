/* bench_auth: a request loop against one service, as `huifang` makes them (hf_client, one
 * connection kept from one answer to the next): prints requests per second and the p50 and
 * p99 round trip of one configuration. run.sh runs it once per configuration (CURVE on,
 * off, ...) and prints them side by side.
 *
 *   bench_auth NAME ENDPOINT SERVICE [REQUESTS] [COMMAND]
 *
 * COMMAND is ping (the framework answers it before any handler) or rules_get (a cheap read
 * through the command path: a transaction and a handler). The client's CURVE identity comes
 * from the environment as the CLI's does (HUIFANG_CURVE, HUIFANG_KEYS_DIR,
 * HUIFANG_CURVE_NAME, default cli). Output: one line "NAME requests_per_s p50_us p99_us
 * answered". */
#include "hf_bus.h"
#include "hf_clock.h"
#include "hf_log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int s_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_auth NAME ENDPOINT SERVICE [REQUESTS] [ping|rules_get]\n");
        return 2;
    }
    hf_log_init("bench_auth", "warn");
    const char *name = argv[1], *endpoint = argv[2], *service = argv[3];
    int n = argc > 4 ? atoi(argv[4]) : 20000;
    const char *command = argc > 5 ? argv[5] : "ping";
    if (n < 100)
        n = 100;
    const char *env = getenv("HUIFANG_CURVE");
    bool curve = !(env && strcmp(env, "off") == 0);
    const char *who = getenv("HUIFANG_CURVE_NAME");
    char err[1024];
    if (hf_bus_curve_init(curve, getenv("HUIFANG_KEYS_DIR"), who && *who ? who : "cli", err,
                          sizeof err) != 0) {
        fprintf(stderr, "bench_auth: %s\n", err);
        return 2;
    }
    hf_client_t *c = hf_client_new(endpoint, 5000, 1);
    hf_client_set_server(c, service);
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    Huifang__V1__Ping ping = HUIFANG__V1__PING__INIT;
    Huifang__V1__RulesGet rules = HUIFANG__V1__RULES_GET__INIT;
    const char *branch = getenv("HUIFANG_BRANCH");
    req.branch = (char *)(branch ? branch : "BENCH");
    /* the session checked by every command but ping (HUIFANG_AUTH=on on the service) */
    const char *token = getenv("HUIFANG_TOKEN");
    req.session = (char *)(token ? token : "");
    if (strcmp(command, "rules_get") == 0) {
        req.command_case = HUIFANG__V1__REQUEST__COMMAND_RULES_GET;
        req.rules_get = &rules;
    } else {
        req.command_case = HUIFANG__V1__REQUEST__COMMAND_PING;
        req.ping = &ping;
    }
    int64_t *lat = malloc(sizeof *lat * (size_t)n);
    int answered = 0;
    /* a warm-up: the connection and its handshake are not what is measured */
    for (int i = 0; i < 50; i++) {
        hf_reply_t *rep = NULL;
        if (hf_client_call(c, &req, &rep) == 0)
            huifang__v1__reply__free_unpacked(rep, NULL);
    }
    int64_t t0 = s_now_us();
    for (int i = 0; i < n; i++) {
        hf_reply_t *rep = NULL;
        int64_t a = s_now_us();
        int rc = hf_client_call(c, &req, &rep);
        lat[i] = s_now_us() - a;
        if (rc == 0) {
            answered += rep->status == HUIFANG__V1__STATUS__OK; /* a refusal is no answer */
            huifang__v1__reply__free_unpacked(rep, NULL);
        }
    }
    int64_t total = s_now_us() - t0;
    qsort(lat, (size_t)n, sizeof *lat, s_cmp);
    printf("%s %.0f %lld %lld %d\n", name, (double)n * 1e6 / (double)(total ? total : 1),
           (long long)lat[n / 2], (long long)lat[(n * 99) / 100], answered);
    free(lat);
    hf_client_destroy(&c);
    hf_bus_shutdown();
    return answered == n ? 0 : 1;
}
