/* hf_config: one declarative table per binary gives every setting its name, environment
 * variable, default, bounds and help text; --help is generated from it and the effective
 * configuration is logged at start with secrets masked. */
#ifndef HF_CONFIG_H
#define HF_CONFIG_H
#include <stdbool.h>

typedef enum { HF_CFG_STR, HF_CFG_INT } hf_config_kind_t;

typedef struct {
    const char *name;         /* key used in code, e.g. "store_url" */
    const char *env;          /* environment variable, e.g. "HUIFANG_INTAKE_STORE_URL" */
    const char *env_fallback; /* a second variable read when env is unset, or NULL */
    const char *def;          /* default as text; may hold {port_base+N}, see below */
    hf_config_kind_t kind;
    long min, max; /* bounds for HF_CFG_INT */
    bool secret;   /* masked when logged (passwords inside URLs) */
    const char *help;
} hf_config_entry_t;

/* Ends a table. */
#define HF_CONFIG_END                                                                              \
    {                                                                                              \
        NULL, NULL, NULL, NULL, HF_CFG_STR, 0, 0, false, NULL                                      \
    }

typedef struct hf_config_t hf_config_t;

/* Loads settings from the tables (a NULL-terminated array of tables), the environment and
 * --name=value flags. Returns 0 and sets *out on success; 1 after printing --help; -1 after
 * printing a message naming the bad setting and the reason. A default "{port_base+N}" in a
 * tcp endpoint is replaced by HUIFANG_PORT_BASE (7100 by default) plus N. */
int hf_config_load(hf_config_t **out, const char *program, const char *summary,
                   const hf_config_entry_t *const *tables, int argc, char **argv);
/* Frees the configuration; idempotent. */
void hf_config_destroy(hf_config_t **self_p);
/* Returns the value of a string setting (never NULL); aborts on an unknown name. */
const char *hf_config_str(const hf_config_t *self, const char *name);
/* Returns the value of an integer setting; aborts on an unknown name. */
long hf_config_int(const hf_config_t *self, const char *name);
/* Logs the effective configuration, one key=value line, secrets masked. */
void hf_config_log(const hf_config_t *self);
/* Expands "{port_base+N}" in text into out using HUIFANG_PORT_BASE; returns out. */
char *hf_config_expand(const char *text, char *out, int outlen);

#endif
