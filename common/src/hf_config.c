/* hf_config: settings from one declarative table, the environment and --name=value flags. */
#include "hf_config.h"
#include "hf_log.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HF_CONFIG_MAX 64

typedef struct {
    const hf_config_entry_t *entry;
    char *value;
    const char *source;  /* "default", "env" or "flag" */
} s_setting_t;

struct hf_config_t {
    s_setting_t settings[HF_CONFIG_MAX];
    int count;
};

char *hf_config_expand(const char *text, char *out, int outlen)
{
    const char *open = strstr(text, "{port_base+");
    if (open == NULL) {
        snprintf(out, (size_t)outlen, "%s", text);
        return out;
    }
    long base = 7100;
    const char *env = getenv("HUIFANG_PORT_BASE");
    if (env && *env)
        base = strtol(env, NULL, 10);
    long add = strtol(open + strlen("{port_base+"), NULL, 10);
    const char *close = strchr(open, '}');
    snprintf(out, (size_t)outlen, "%.*s%ld%s", (int)(open - text), text, base + add,
             close ? close + 1 : "");
    return out;
}

static void s_print_help(const char *program, const char *summary,
                         const hf_config_entry_t *const *tables)
{
    printf("%s — %s\n\nUsage: %s [--help] [--name=value ...]\n\n", program, summary, program);
    printf("Settings (flag, environment variable, default):\n");
    for (int t = 0; tables[t]; t++) {
        for (const hf_config_entry_t *e = tables[t]; e->name; e++) {
            printf("  --%-18s %-30s %s\n", e->name, e->env, e->def ? e->def : "");
            printf("      %s", e->help);
            if (e->kind == HF_CFG_INT)
                printf(" (%ld..%ld)", e->min, e->max);
            if (e->env_fallback)
                printf(" (else %s)", e->env_fallback);
            printf("\n");
        }
    }
}

static s_setting_t *s_find(const hf_config_t *self, const char *name)
{
    for (int i = 0; i < self->count; i++)
        if (strcmp(self->settings[i].entry->name, name) == 0)
            return (s_setting_t *)&self->settings[i];
    return NULL;
}

/* Checks an integer setting's text against its bounds; 0 or -1 with a message printed. */
static int s_check_int(const char *program, const s_setting_t *s)
{
    const hf_config_entry_t *e = s->entry;
    char *end = NULL;
    errno = 0;
    long v = strtol(s->value, &end, 10);
    if (errno || end == s->value || *end != '\0') {
        fprintf(stderr, "%s: bad configuration: %s (%s) is \"%s\", not a whole number\n",
                program, e->name, e->env, s->value);
        return -1;
    }
    if (v < e->min || v > e->max) {
        fprintf(stderr, "%s: bad configuration: %s (%s) is %ld, outside %ld..%ld\n", program,
                e->name, e->env, v, e->min, e->max);
        return -1;
    }
    return 0;
}

int hf_config_load(hf_config_t **out, const char *program, const char *summary,
                   const hf_config_entry_t *const *tables, int argc, char **argv)
{
    *out = NULL;
    hf_config_t *self = calloc(1, sizeof *self);
    if (self == NULL)
        return -1;
    for (int t = 0; tables[t]; t++) {
        for (const hf_config_entry_t *e = tables[t]; e->name; e++) {
            if (self->count == HF_CONFIG_MAX || s_find(self, e->name))
                continue;  /* a later table may not redefine a name */
            s_setting_t *s = &self->settings[self->count++];
            s->entry = e;
            const char *v = getenv(e->env);
            s->source = "env";
            if ((v == NULL || *v == '\0') && e->env_fallback)
                v = getenv(e->env_fallback);
            if (v == NULL || *v == '\0') {
                v = e->def ? e->def : "";
                s->source = "default";
            }
            char buf[512];
            s->value = strdup(hf_config_expand(v, buf, sizeof buf));
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            s_print_help(program, summary, tables);
            hf_config_destroy(&self);
            return 1;
        }
        const char *eq = strchr(a, '=');
        s_setting_t *s = NULL;
        if (strncmp(a, "--", 2) == 0 && eq) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(eq - a - 2), a + 2);
            for (char *c = name; *c; c++)
                if (*c == '-')
                    *c = '_';
            s = s_find(self, name);
        }
        if (s == NULL) {
            fprintf(stderr, "%s: bad configuration: unknown argument \"%s\" (see --help)\n",
                    program, a);
            hf_config_destroy(&self);
            return -1;
        }
        free(s->value);
        s->value = strdup(eq + 1);
        s->source = "flag";
    }
    for (int i = 0; i < self->count; i++) {
        if (self->settings[i].entry->kind == HF_CFG_INT &&
            s_check_int(program, &self->settings[i]) != 0) {
            hf_config_destroy(&self);
            return -1;
        }
    }
    *out = self;
    return 0;
}

void hf_config_destroy(hf_config_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    hf_config_t *self = *self_p;
    for (int i = 0; i < self->count; i++)
        free(self->settings[i].value);
    free(self);
    *self_p = NULL;
}

const char *hf_config_str(const hf_config_t *self, const char *name)
{
    s_setting_t *s = s_find(self, name);
    if (s == NULL) {
        fprintf(stderr, "programming error: no setting named %s\n", name);
        abort();
    }
    return s->value;
}

long hf_config_int(const hf_config_t *self, const char *name)
{
    return strtol(hf_config_str(self, name), NULL, 10);
}

/* Masks the password of a URL like postgresql://user:secret@host/db. */
static void s_mask_secret(const char *value, char *out, size_t outlen)
{
    const char *scheme = strstr(value, "://");
    const char *at = strchr(value, '@');
    if (scheme && at && at > scheme) {
        const char *colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));
        if (colon) {
            snprintf(out, outlen, "%.*s:****%s", (int)(colon - value), value, at);
            return;
        }
    }
    const char *pw = strstr(value, "password=");
    if (pw) {
        snprintf(out, outlen, "%.*spassword=****", (int)(pw - value), value);
        return;
    }
    snprintf(out, outlen, "%s", value);
}

void hf_config_log(const hf_config_t *self)
{
    char line[2048];
    size_t o = 0;
    for (int i = 0; i < self->count && o < sizeof line; i++) {
        const s_setting_t *s = &self->settings[i];
        char shown[512];
        if (s->entry->secret)
            s_mask_secret(s->value, shown, sizeof shown);
        else
            snprintf(shown, sizeof shown, "%s", s->value);
        int w = snprintf(line + o, sizeof line - o, "%s%s=%s", o ? " " : "", s->entry->name,
                         shown);
        if (w < 0)
            break;
        o += (size_t)w;
    }
    hf_info("config", "%s", line);
}
