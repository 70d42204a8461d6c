/* hf_test_stack: services in forked children for the integration tests, on a block of
 * ports of their own.
 *
 * A test picks a block of 50 ports below the ephemeral range and the e2e tests' slots
 * (HUIFANG_PORT_BASE), starts its services in children, and when one of them cannot bind
 * (another test or process holds a port of the block) kills them all and tries the next
 * block. hf_test_start() is the child's side, hf_test_ports() the retry over blocks. */
#ifndef HF_TEST_STACK_H
#define HF_TEST_STACK_H

#include "hf_bus.h"
#include "hf_service.h"
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* How a child runs its service. */
typedef struct {
    const char *store_url;   /* HUIFANG_STORE_URL, when not NULL */
    const char *bind;        /* HUIFANG_PROBE_BIND, when not NULL (a probe's own ports) */
    const char *events_bind; /* HUIFANG_PROBE_EVENTS_BIND, when not NULL */
    /* more "NAME=VALUE" set in the child before the service starts ("NAME=" unsets NAME);
     * NULL-terminated, or NULL for none */
    const char *const *env;
    /* called after the service is made, before it runs (subscriptions, consumers): 0, or
     * the child exits with status 4 */
    int (*setup)(hf_service_t *svc, const hf_service_def_t *def);
} hf_test_child_t;

/* Sets "NAME=VALUE" (an empty VALUE unsets NAME). */
static inline void hf_test_setenv(const char *assignment)
{
    char name[128];
    const char *eq = strchr(assignment, '=');
    if (eq == NULL)
        return;
    snprintf(name, sizeof name, "%.*s", (int)(eq - assignment), assignment);
    if (eq[1])
        setenv(name, eq + 1, 1);
    else
        unsetenv(name);
}

/* Forks a child that runs def until it is signalled (exit status 3: it could not start, 4:
 * setup failed); returns its pid. child may be NULL. */
static inline pid_t hf_test_start(const hf_service_def_t *def, const hf_test_child_t *child)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    hf_bus_after_fork();
    if (child && child->store_url)
        setenv("HUIFANG_STORE_URL", child->store_url, 1);
    if (child && child->bind)
        setenv("HUIFANG_PROBE_BIND", child->bind, 1);
    if (child && child->events_bind)
        setenv("HUIFANG_PROBE_EVENTS_BIND", child->events_bind, 1);
    for (const char *const *e = child && child->env ? child->env : NULL; e && *e; e++)
        hf_test_setenv(*e);
    char *argv[] = {"test", NULL};
    hf_service_t *svc = NULL;
    if (hf_service_new(&svc, def, NULL, 1, argv) != 0)
        _exit(3);
    if (child && child->setup && child->setup(svc, def) != 0)
        _exit(4);
    hf_service_run(svc);
    hf_service_destroy(&svc);
    _exit(0);
}

/* Signals a child and waits for it to end. */
static inline void hf_test_stop(pid_t pid, int sig)
{
    int status;
    if (pid <= 0)
        return;
    kill(pid, sig);
    waitpid(pid, &status, 0);
}

/* Whether every one of the n children still runs. */
static inline bool hf_test_alive(const pid_t *pids, int n)
{
    int status;
    for (int i = 0; i < n; i++)
        if (waitpid(pids[i], &status, WNOHANG) != 0)
            return false;
    return true;
}

/* Gives the n children ms to bind (a child that cannot exits at once): true when all still
 * run; else kills them all and says false. */
static inline bool hf_test_settled(const pid_t *pids, int n, int ms)
{
    usleep((useconds_t)ms * 1000u);
    if (hf_test_alive(pids, n))
        return true;
    for (int i = 0; i < n; i++)
        hf_test_stop(pids[i], SIGKILL);
    return false;
}

/* Tries up to five blocks of 50 ports: for each, sets HUIFANG_PORT_BASE and calls
 * up(base, arg), which starts the test's children and says whether they all came up
 * (killing them itself when not). stride spreads the tests that run side by side over
 * different blocks. true when one block worked. */
static inline bool hf_test_ports(int stride, int offset, bool (*up)(int base, void *arg), void *arg)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        int base = 12000 + (int)((getpid() + attempt * stride + offset) % 160) * 50;
        char text[16];
        snprintf(text, sizeof text, "%d", base);
        setenv("HUIFANG_PORT_BASE", text, 1);
        if (up(base, arg))
            return true;
    }
    return false;
}

/* Waits until our child pid answers ping as service (not another process that happens to
 * hold the port); false when the child died (its port was taken) or never answered. */
static inline bool hf_test_wait_ping(const char *service, pid_t pid)
{
    char ep[64], me[32];
    hf_endpoint_commands(service, ep, sizeof ep);
    snprintf(me, sizeof me, "/%d", (int)pid);
    Huifang__V1__Ping p = HUIFANG__V1__PING__INIT;
    for (int i = 0; i < 100; i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return false;
        hf_request_t req = HUIFANG__V1__REQUEST__INIT;
        req.command_case = HUIFANG__V1__REQUEST__COMMAND_PING;
        req.ping = &p;
        hf_client_t *c = hf_client_new(ep, 200, 1);
        hf_reply_t *rep = NULL;
        int rc = hf_client_call(c, &req, &rep);
        hf_client_destroy(&c);
        if (rc == 0) {
            const char *inst = rep->ping ? rep->ping->instance : "";
            size_t n = strlen(inst), m = strlen(me);
            bool mine = rep->ping && strcmp(rep->ping->service, service) == 0 && n >= m &&
                        strcmp(inst + n - m, me) == 0;
            huifang__v1__reply__free_unpacked(rep, NULL);
            return mine;
        }
    }
    return false;
}

/* A probe service of a framework test: def (named "probe") in a child with its store at url,
 * started on each block hf_test_ports() tries (pass hf_test_probe_up and the probe). */
typedef struct {
    const hf_service_def_t *def;
    const char *url;   /* its store: HUIFANG_PROBE_STORE_URL */
    char endpoint[64]; /* its commands' endpoint, once up */
    pid_t child;       /* 0 until it answers */
} hf_test_probe_t;

/* hf_test_ports()'s up for a probe (arg: the hf_test_probe_t): true when it answers. */
static inline bool hf_test_probe_up(int base, void *arg)
{
    (void)base;
    hf_test_probe_t *probe = arg;
    char store[300];
    snprintf(store, sizeof store, "HUIFANG_PROBE_STORE_URL=%s", probe->url);
    const char *env[] = {store, NULL};
    hf_endpoint_commands("probe", probe->endpoint, sizeof probe->endpoint);
    probe->child = hf_test_start(probe->def, &(hf_test_child_t){.env = env});
    if (hf_test_wait_ping("probe", probe->child))
        return true;
    hf_test_stop(probe->child, SIGKILL);
    probe->child = 0;
    return false;
}

#endif
