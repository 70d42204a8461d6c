/* hf_config: settings from one declarative table, the environment and --name=value flags. */
#include "hf_config.h"
#include "hf_log.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HF_CONFIG_MAX 64
/* The largest secret file read through a HUIFANG_X_FILE variable. */
#define HF_CONFIG_FILE_MAX 4096

typedef struct {
    const hf_config_entry_t *entry;
    char *value;
    const char *source; /* "default", "env", "file" or "flag" */
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
    printf("  Any setting HUIFANG_X may instead be read from a file: HUIFANG_X_FILE=/path\n"
           "  names a file whose content (one trailing newline removed) is the value (unless\n"
           "  HUIFANG_X_FILE is a setting of its own, as HUIFANG_CLOCK_FILE is). The file must\n"
           "  be its owner's only (chmod 600) and at most %d bytes. Passwords belong there,\n"
           "  never on the command line.\n",
           HF_CONFIG_FILE_MAX);
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
        fprintf(stderr, "%s: bad configuration: %s (%s) is \"%s\", not a whole number\n", program,
                e->name, e->env, s->value);
        return -1;
    }
    if (v < e->min || v > e->max) {
        fprintf(stderr, "%s: bad configuration: %s (%s) is %ld, outside %ld..%ld\n", program,
                e->name, e->env, v, e->min, e->max);
        return -1;
    }
    return 0;
}

/* Reads a secret file named by a HUIFANG_X_FILE variable into *out (malloc'ed, one trailing
 * newline removed). 0, or -1 after a message: missing, not a regular file, readable by group
 * or others, larger than HF_CONFIG_FILE_MAX, or holding a NUL byte. */
static int s_read_secret_file(const char *program, const char *var, const char *path, char **out)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        fprintf(stderr, "%s: bad configuration: %s names %s, which cannot be read: %s\n", program,
                var, path, strerror(errno));
        return -1;
    }
    struct stat st;
    int rc = -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "%s: bad configuration: %s names %s, which is not a regular file\n",
                program, var, path);
    } else if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        fprintf(stderr,
                "%s: bad configuration: %s names %s, which group or others may read or write "
                "(mode %04o): a secret file must be its owner's only (chmod 600 %s)\n",
                program, var, path, (unsigned)(st.st_mode & 07777), path);
    } else if (st.st_size > HF_CONFIG_FILE_MAX) {
        fprintf(stderr, "%s: bad configuration: %s names %s, which is larger than %d bytes\n",
                program, var, path, HF_CONFIG_FILE_MAX);
    } else {
        char *buf = malloc(HF_CONFIG_FILE_MAX + 2);
        size_t len = 0;
        ssize_t n = 0;
        while (buf && len <= HF_CONFIG_FILE_MAX &&
               (n = read(fd, buf + len, HF_CONFIG_FILE_MAX + 1 - len)) > 0)
            len += (size_t)n;
        if (buf == NULL || n < 0) {
            fprintf(stderr, "%s: bad configuration: %s: reading %s failed: %s\n", program, var,
                    path, buf ? strerror(errno) : "out of memory");
        } else if (len > HF_CONFIG_FILE_MAX) {
            fprintf(stderr, "%s: bad configuration: %s names %s, which is larger than %d bytes\n",
                    program, var, path, HF_CONFIG_FILE_MAX);
        } else {
            buf[len] = '\0';
            if (len > 0 && buf[len - 1] == '\n')
                buf[--len] = '\0';
            if (len > 0 && buf[len - 1] == '\r')
                buf[--len] = '\0';
            if (strlen(buf) != len) {
                fprintf(stderr, "%s: bad configuration: %s names %s, which holds a NUL byte\n",
                        program, var, path);
            } else {
                *out = buf;
                buf = NULL;
                rc = 0;
            }
        }
        free(buf);
    }
    close(fd);
    return rc;
}

/* Looks a setting up in the environment: VAR, else VAR_FILE (the content of the file it
 * names). *value is NULL when neither is set (or is empty); *from_file holds the malloc'ed
 * content when it came from a file. Both set is refused. 0, or -1 after a message. */
static int s_lookup(const char *program, const hf_config_entry_t *const *tables, const char *var,
                    const char **value, char **from_file)
{
    *value = NULL;
    char file_var[128];
    snprintf(file_var, sizeof file_var, "%s_FILE", var);
    const char *direct = getenv(var);
    /* VAR_FILE that names a setting of its own (HUIFANG_CLOCK_FILE) is that setting */
    const char *path = getenv(file_var);
    for (int t = 0; path && tables[t]; t++)
        for (const hf_config_entry_t *e = tables[t]; path && e->name; e++)
            if ((e->env && strcmp(e->env, file_var) == 0) ||
                (e->env_fallback && strcmp(e->env_fallback, file_var) == 0))
                path = NULL;
    bool has_direct = direct && *direct, has_path = path && *path;
    if (has_direct && has_path) {
        fprintf(stderr, "%s: bad configuration: both %s and %s are set; set one of them\n", program,
                var, file_var);
        return -1;
    }
    if (has_direct) {
        *value = direct;
        return 0;
    }
    if (!has_path)
        return 0;
    if (s_read_secret_file(program, file_var, path, from_file) != 0)
        return -1;
    *value = *from_file;
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
                continue; /* a later table may not redefine a name */
            s_setting_t *s = &self->settings[self->count++];
            s->entry = e;
            char *from_file = NULL;
            const char *v = NULL;
            if (s_lookup(program, tables, e->env, &v, &from_file) != 0 ||
                (v == NULL && e->env_fallback &&
                 s_lookup(program, tables, e->env_fallback, &v, &from_file) != 0)) {
                hf_config_destroy(&self);
                return -1;
            }
            s->source = from_file ? "file" : "env";
            if (v == NULL) {
                v = e->def ? e->def : "";
                s->source = "default";
            }
            if (from_file) {
                s->value = from_file;
                continue;
            }
            /* the whole value, however long (until the fourteenth round a value was cut to 511
             * bytes without a word): "{port_base+N}" becomes a number of a long's digits at
             * most, so the text's length and a long's room hold the expansion */
            size_t room = strlen(v) + 24;
            s->value = room < INT_MAX ? malloc(room) : NULL;
            if (s->value == NULL) {
                fprintf(stderr, "%s: out of memory for the setting %s\n", program, e->env);
                hf_config_destroy(&self);
                return -1;
            }
            hf_config_expand(v, s->value, (int)room);
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
    /* a bare secret (a password setting) is never shown; a URL or conninfo without one is */
    if (*value && scheme == NULL && strchr(value, '=') == NULL) {
        snprintf(out, outlen, "****");
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
        int w = snprintf(line + o, sizeof line - o, "%s%s=%s", o ? " " : "", s->entry->name, shown);
        if (w < 0)
            break;
        o += (size_t)w;
    }
    hf_info("config", "%s", line);
}
