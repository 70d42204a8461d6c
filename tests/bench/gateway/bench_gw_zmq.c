/* bench_gw_zmq: the raw ceiling beside the gateway's benchmark (run.sh): the same command the
 * console's "my day" sends through the gateway (worklist_get of the agent's own bag), sent
 * straight to the scheduler over ZeroMQ as `huifang` sends it (hf_client, CURVE, the person's
 * session token), from CLIENTS threads at once, each one agent with its own connection.
 *
 *   bench_gw_zmq ENDPOINT TOKENS_FILE REQUESTS_PER_CLIENT
 *
 * TOKENS_FILE: one "AGENT TOKEN" per line (a session per agent, `huifang session mint`); one
 * thread per line. The client's CURVE identity comes from the environment as the CLI's does.
 * Output: one line "zmq-worklist requests_per_s p50_us p99_us answered total". */
#include "hf_bus.h"
#include "hf_log.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    const char *endpoint;
    char agent[64];
    char token[2048];
    int n;
    int64_t *lat; /* n latencies, us */
    int answered;
} client_t;

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

static void *s_run(void *arg)
{
    client_t *cl = arg;
    hf_client_t *c = hf_client_new(cl->endpoint, 10000, 1);
    hf_client_set_server(c, "scheduler");
    Huifang__V1__WorklistGet get = HUIFANG__V1__WORKLIST_GET__INIT;
    get.agent = cl->agent;
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    const char *branch = getenv("HUIFANG_BRANCH");
    req.branch = (char *)(branch ? branch : "BENCH");
    req.session = cl->token;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_WORKLIST_GET;
    req.worklist_get = &get;
    for (int i = 0; i < cl->n; i++) {
        hf_reply_t *rep = NULL;
        int64_t a = s_now_us();
        int rc = hf_client_call(c, &req, &rep);
        cl->lat[i] = s_now_us() - a;
        if (rc == 0) {
            cl->answered += rep->status == HUIFANG__V1__STATUS__OK;
            huifang__v1__reply__free_unpacked(rep, NULL);
        }
    }
    hf_client_destroy(&c);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_gw_zmq ENDPOINT TOKENS_FILE REQUESTS_PER_CLIENT\n");
        return 2;
    }
    hf_log_init("bench_gw_zmq", "warn");
    int n = atoi(argv[3]);
    if (n < 1)
        n = 1;
    const char *env = getenv("HUIFANG_CURVE");
    const char *who = getenv("HUIFANG_CURVE_NAME");
    char err[1024];
    if (hf_bus_curve_init(!(env && strcmp(env, "off") == 0), getenv("HUIFANG_KEYS_DIR"),
                          who && *who ? who : "cli", err, sizeof err) != 0) {
        fprintf(stderr, "bench_gw_zmq: %s\n", err);
        return 2;
    }
    FILE *f = fopen(argv[2], "r");
    if (f == NULL) {
        perror(argv[2]);
        return 2;
    }
    client_t *cls = NULL;
    size_t k = 0;
    char agent[64], token[2048];
    while (fscanf(f, "%63s %2047s", agent, token) == 2) {
        client_t *more = realloc(cls, (k + 1) * sizeof *cls);
        if (more == NULL)
            return 2;
        cls = more;
        memset(&cls[k], 0, sizeof cls[k]);
        cls[k].endpoint = argv[1];
        snprintf(cls[k].agent, sizeof cls[k].agent, "%s", agent);
        snprintf(cls[k].token, sizeof cls[k].token, "%s", token);
        cls[k].n = n;
        cls[k].lat = calloc((size_t)n, sizeof(int64_t));
        k++;
    }
    fclose(f);
    if (k == 0) {
        fprintf(stderr, "bench_gw_zmq: no tokens in %s\n", argv[2]);
        return 2;
    }
    pthread_t *th = calloc(k, sizeof *th);
    int64_t t0 = s_now_us();
    for (size_t i = 0; i < k; i++)
        pthread_create(&th[i], NULL, s_run, &cls[i]);
    for (size_t i = 0; i < k; i++)
        pthread_join(th[i], NULL);
    int64_t total_us = s_now_us() - t0;
    size_t all = k * (size_t)n;
    int64_t *lat = malloc(all * sizeof *lat);
    int answered = 0;
    for (size_t i = 0; i < k; i++) {
        memcpy(lat + i * (size_t)n, cls[i].lat, (size_t)n * sizeof *lat);
        answered += cls[i].answered;
        free(cls[i].lat);
    }
    qsort(lat, all, sizeof *lat, s_cmp);
    printf("zmq-worklist %.0f %lld %lld %d %zu\n",
           (double)all * 1e6 / (double)(total_us ? total_us : 1), (long long)lat[all / 2],
           (long long)lat[(all * 99) / 100], answered, all);
    free(lat);
    free(th);
    free(cls);
    hf_bus_shutdown();
    return (size_t)answered == all ? 0 : 1;
}
