/* hf_service_main: the one way to be a service process. Every services/<name>/main.c is
 * `return hf_service_main(&<name>_def, argc, argv);`; what differs between the services —
 * their object, the producers they consume, their timers — is data in their
 * hf_service_def_t, so the life of each process reads the same: settings, service, object,
 * subscriptions and timers, the loop, then teardown in reverse. The integration tests that
 * run a service in-process take the same steps (hf_service_new, init, hf_service_attach). */
#include "hf_service.h"
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* True when producer is named in list ("a,b" or "a b"). */
static bool s_list_has(const char *list, const char *producer)
{
    size_t n = strlen(producer);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ", ");
        if (len == n && strncmp(p, producer, n) == 0)
            return true;
        p += len;
        p += strspn(p, ", ");
    }
    return false;
}

/* The environment variable of setting name in def's own table, for messages. */
static const char *s_setting_env(const hf_service_def_t *def, const char *name)
{
    for (const hf_config_entry_t *e = def->config; e && e->name; e++)
        if (strcmp(e->name, name) == 0)
            return e->env;
    return name;
}

/* Checks that every word of the consume setting names one of def's producers; 0, or -1
 * after a message naming the word and what the service can consume. */
static int s_check_consume(const hf_service_def_t *def, const char *list)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", list);
    char *save = NULL;
    for (char *w = strtok_r(copy, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
        bool known = false;
        for (const hf_subscription_t *s = def->subscriptions; s && s->producer; s++)
            known = known || strcmp(s->producer, w) == 0;
        if (known)
            continue;
        char names[256] = "";
        size_t len = 0;
        for (const hf_subscription_t *s = def->subscriptions; s && s->producer; s++) {
            const char *sep = s == def->subscriptions ? "" : s[1].producer ? ", " : " and ";
            len += (size_t)snprintf(names + len, len < sizeof names ? sizeof names - len : 0,
                                    "%s%s", sep, s->producer);
        }
        fprintf(stderr, "huifang-%s: bad configuration: %s names %s; %s consumes %s (or none)\n",
                def->name, s_setting_env(def, def->consume), w, def->name, names);
        return -1;
    }
    return 0;
}

int hf_service_attach(hf_service_t *svc, const hf_service_def_t *def)
{
    const hf_config_t *cfg = hf_service_config_of(svc);
    /* consume "none": an instance that only serves commands (an empty setting means the
     * default, as for every setting) */
    const char *list = def->consume ? hf_config_str(cfg, def->consume) : NULL;
    if (list && strcmp(list, "none") == 0)
        list = "";
    else if (list && s_check_consume(def, list) != 0)
        return -1;
    for (const hf_subscription_t *s = def->subscriptions; s && s->producer; s++)
        if ((list == NULL || s_list_has(list, s->producer)) &&
            hf_service_subscribe(svc, s->producer, s->handlers) != 0)
            return -1;
    for (const hf_service_timer_t *t = def->timers; t && t->fn; t++)
        if (hf_service_every(svc, t->interval, (int)hf_config_int(cfg, t->interval), t->fn) != 0)
            return -1;
    return 0;
}

void hf_service_print_roles(const hf_service_def_t *def)
{
    for (const hf_command_t *c = def->commands; c && c->fn; c++) {
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
            &huifang__v1__request__descriptor, (unsigned)c->command);
        unsigned roles = c->roles ? c->roles : HF_ROLE_ADMIN;
        if (c->writes)
            roles &= ~(unsigned)HF_ROLE_HQ; /* hq changes nothing, whatever the table says */
        char who[200];
        hf_roles_describe(roles, who, sizeof who);
        printf("| `%s` | %s | %s | %s |\n", f ? f->name : "?", def->name,
               (roles & HF_ROLE_KEY) ? "no session (an allowed key)" : who,
               c->writes ? "changes" : "reads");
    }
}

int hf_service_main(const hf_service_def_t *def, int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--roles") == 0) {
        hf_service_print_roles(def);
        return 0;
    }
    /* before anything allocates, so that every allocation is served under these settings */
    if (def->malloc_trim_threshold > 0)
        mallopt(M_TRIM_THRESHOLD, def->malloc_trim_threshold);
    if (def->malloc_mmap_threshold > 0)
        mallopt(M_MMAP_THRESHOLD, def->malloc_mmap_threshold);
    void *self = NULL;
    if (def->self_size > 0 && (self = calloc(1, def->self_size)) == NULL) {
        fprintf(stderr, "huifang-%s: out of memory\n", def->name);
        return 1;
    }
    hf_service_t *svc = NULL;
    int rc = hf_service_new(&svc, def, self, argc, argv);
    if (rc != 0) {
        free(self);
        return rc == 1 ? 0 : 1; /* 1: --help was printed */
    }
    bool ready = def->init == NULL || def->init(svc, self) == 0;
    if (ready && hf_service_attach(svc, def) == 0)
        hf_service_run(svc);
    else
        rc = 1;
    hf_service_destroy(&svc);
    if (ready && def->release)
        def->release(self);
    free(self);
    return rc;
}
