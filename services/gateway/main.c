/* huifang-gateway: settings, the gateway, a wait for SIGTERM or SIGINT, teardown. The
 * gateway's threads run inside libmicrohttpd; this thread only waits for the signal. */
#include "gateway.h"
#include "hf_bus.h"
#include "hf_clock.h"
#include "hf_log.h"
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    /* the signals are waited for here, so every thread libmicrohttpd starts keeps them
     * blocked and a SIGTERM never lands in a request thread; a peer that hangs up while we
     * write is an error return, not a SIGPIPE */
    sigset_t wait_for;
    sigemptyset(&wait_for);
    sigaddset(&wait_for, SIGTERM);
    sigaddset(&wait_for, SIGINT);
    pthread_sigmask(SIG_BLOCK, &wait_for, NULL);
    signal(SIGPIPE, SIG_IGN);

    const hf_config_entry_t *tables[] = {gateway_config, NULL};
    hf_config_t *cfg = NULL;
    int rc =
        hf_config_load(&cfg, "huifang-gateway",
                       "the HTTP front door: the web console and its JSON API over the services",
                       tables, argc, argv);
    if (rc != 0)
        return rc == 1 ? 0 : 1;
    hf_log_init("gateway", hf_config_str(cfg, "log_level"));
    if (hf_clock_init(hf_config_str(cfg, "clock"), hf_config_str(cfg, "clock_file")) != 0) {
        fprintf(stderr,
                "huifang-gateway: bad configuration: HUIFANG_CLOCK must be real or manual\n");
        hf_config_destroy(&cfg);
        return 1;
    }
    /* the CURVE key the services know this client by: every call to a service is a CURVE
     * client (HUIFANG_KEYS_DIR; HUIFANG_CURVE=off only for benchmarks) */
    const char *curve = getenv("HUIFANG_CURVE");
    char err[1024];
    if (hf_bus_curve_init(!(curve && strcmp(curve, "off") == 0), getenv("HUIFANG_KEYS_DIR"),
                          hf_config_str(cfg, "curve_key"), err, sizeof err) != 0) {
        fprintf(stderr, "huifang-gateway: bad configuration: %s\n", err);
        hf_config_destroy(&cfg);
        return 1;
    }
    hf_config_log(cfg);
    gateway_t *gw = gateway_new(cfg);
    if (gw == NULL) {
        hf_config_destroy(&cfg);
        return 1;
    }
    int sig = 0;
    sigwait(&wait_for, &sig);
    hf_info("stopping", "signal=%d", sig);
    gateway_destroy(&gw);
    hf_bus_shutdown();
    hf_config_destroy(&cfg);
    hf_info("stopped", "rc=0");
    return 0;
}
