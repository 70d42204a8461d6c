/* ctl: what the commands share — flags, strict parsing, calls and output. */
#include "ctl.h"

#include "hf_json.h"
#include "hf_mask.h"
#include "hf_phone.h"
#include "hf_service.h"
#include "hf_time.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *const ctl_service_names[CTL_SERVICES] = {"intake", "scheduler", "calllog", "complaint",
                                                     "reporting"};

/* ---------------------------------------------------------------------------------------
 * Commands and global flags
 * ------------------------------------------------------------------------------------- */

void ctl_command_help(const ctl_command_t *command, FILE *out)
{
    fprintf(out, "Usage: huifang [GLOBAL FLAGS] %s\n\n%s\n", command->usage, command->summary);
    if (command->help && *command->help)
        fprintf(out, "\n%s", command->help);
    fprintf(out, "\nGlobal flags (before or after the command): --branch CODE, --as AGENT, "
                 "--json, --timeout MS.\nSee `huifang --help` for exit codes and the "
                 "environment.\n");
}

const char *ctl_command_name(ctl_t *ctl)
{
    const ctl_command_t *c = ctl->command;
    if (c == NULL)
        return "huifang";
    return c->verb ? ctl_fmt(ctl, "%s %s", c->group, c->verb) : c->group;
}

int ctl_global_kind(const char *name)
{
    if (strcmp(name, "branch") == 0 || strcmp(name, "as") == 0 || strcmp(name, "timeout") == 0)
        return 1;
    if (strcmp(name, "json") == 0)
        return 0;
    return -1;
}

int ctl_global_set(ctl_t *ctl, const char *name, const char *value)
{
    if (strcmp(name, "json") == 0) {
        ctl->json = true;
    } else if (strcmp(name, "branch") == 0) {
        ctl->branch = value;
    } else if (strcmp(name, "as") == 0) {
        ctl->actor = value;
    } else if (strcmp(name, "timeout") == 0) {
        long ms;
        if (ctl_parse_long(ctl, "--timeout", value, 1, 600000, &ms) != 0)
            return -1;
        ctl->timeout_ms = (int)ms;
        ctl->timeout_given = true;
    } else {
        return ctl_fail(ctl, HF_BAD_INPUT, "unknown flag --%s", name);
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Flags
 * ------------------------------------------------------------------------------------- */

static ctl_opt_t *s_find_opt(ctl_opt_t *opts, const char *name)
{
    for (ctl_opt_t *o = opts; o && o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

int ctl_parse(ctl_t *ctl, int argc, char **argv, ctl_opt_t *opts, const char *const *pos_names,
              const char **pos)
{
    int want = 0;
    while (pos_names && pos_names[want])
        want++;
    int have = 0;
    bool flags_done = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!flags_done && strcmp(a, "--") == 0) {
            flags_done = true;
            continue;
        }
        if (!flags_done && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            ctl_command_help(ctl->command, stdout);
            ctl->exit = HF_OK;
            return -1;
        }
        if (!flags_done && strncmp(a, "--", 2) == 0) {
            const char *eq = strchr(a + 2, '=');
            size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
            char name[64];
            if (len >= sizeof name)
                return ctl_fail(ctl, HF_BAD_INPUT, "unknown flag %s for %s", a,
                                ctl_command_name(ctl));
            memcpy(name, a + 2, len);
            name[len] = '\0';
            ctl_opt_t *o = s_find_opt(opts, name);
            int global = o ? -1 : ctl_global_kind(name);
            if (o == NULL && global < 0)
                return ctl_fail(ctl, HF_BAD_INPUT,
                                "unknown flag --%s for %s (see huifang %s --help)", name,
                                ctl_command_name(ctl), ctl_command_name(ctl));
            bool takes_value = o ? o->kind == CTL_VALUE : global == 1;
            const char *value = NULL;
            if (takes_value) {
                if (eq)
                    value = eq + 1;
                else if (i + 1 < argc)
                    value = argv[++i];
                else
                    return ctl_fail(ctl, HF_BAD_INPUT, "--%s needs a value", name);
            } else if (eq) {
                return ctl_fail(ctl, HF_BAD_INPUT, "--%s takes no value", name);
            }
            if (o == NULL) {
                if (ctl_global_set(ctl, name, value) != 0)
                    return -1;
                continue;
            }
            if (o->value != NULL)
                return ctl_fail(ctl, HF_BAD_INPUT, "--%s is given twice", name);
            o->value = value ? value : "";
            continue;
        }
        if (have >= want) {
            if (strncmp(a, "-", 1) == 0 && a[1] != '\0' && !flags_done)
                return ctl_fail(ctl, HF_BAD_INPUT, "unknown flag %s for %s", a,
                                ctl_command_name(ctl));
            return ctl_fail(ctl, HF_BAD_INPUT, "unexpected argument '%s' for %s", a,
                            ctl_command_name(ctl));
        }
        pos[have++] = a;
    }
    if (have < want && pos_names[have][0] != '[') /* "[LOGIN]": optional, and so the rest */
        return ctl_fail(ctl, HF_BAD_INPUT, "%s is required (usage: huifang %s)", pos_names[have],
                        ctl->command ? ctl->command->usage : "");
    return 0;
}

const char *ctl_opt(const ctl_opt_t *opts, const char *name)
{
    for (const ctl_opt_t *o = opts; o && o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o->value && *o->value ? o->value : NULL;
    return NULL;
}

bool ctl_switch(const ctl_opt_t *opts, const char *name)
{
    for (const ctl_opt_t *o = opts; o && o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o->value != NULL;
    return false;
}

const char *ctl_require(ctl_t *ctl, const ctl_opt_t *opts, const char *name)
{
    const char *v = ctl_opt(opts, name);
    if (v != NULL)
        return v;
    bool given = false;
    for (const ctl_opt_t *o = opts; o && o->name; o++)
        if (strcmp(o->name, name) == 0)
            given = o->value != NULL;
    ctl_fail(ctl, HF_BAD_INPUT, given ? "--%s must not be empty" : "--%s is required", name);
    return NULL;
}

/* ---------------------------------------------------------------------------------------
 * Validation
 * ------------------------------------------------------------------------------------- */

int ctl_parse_long(ctl_t *ctl, const char *label, const char *text, long min, long max, long *out)
{
    /* strtol alone would take " 12", "+12" and "12abc"; a typo must not become a number */
    bool ok = text != NULL && (text[0] >= '0' && text[0] <= '9');
    if (text != NULL && text[0] == '-' && min < 0 && text[1] >= '0' && text[1] <= '9')
        ok = true;
    long v = 0;
    if (ok) {
        char *end = NULL;
        errno = 0;
        v = strtol(text, &end, 10);
        ok = errno == 0 && end != text && *end == '\0' && v >= min && v <= max;
    }
    if (!ok) {
        if (max == LONG_MAX)
            return ctl_fail(ctl, HF_BAD_INPUT, "%s must be a whole number from %ld up", label, min);
        return ctl_fail(ctl, HF_BAD_INPUT, "%s must be a whole number from %ld to %ld", label, min,
                        max);
    }
    *out = v;
    return 0;
}

int ctl_parse_id(ctl_t *ctl, const char *label, const char *text, int64_t *out)
{
    bool ok = text != NULL && text[0] >= '0' && text[0] <= '9';
    long long v = 0;
    if (ok) {
        char *end = NULL;
        errno = 0;
        v = strtoll(text, &end, 10);
        ok = errno == 0 && *end == '\0' && v >= 1;
    }
    if (!ok)
        return ctl_fail(ctl, HF_BAD_INPUT, "%s must be an id, a whole number from 1 up", label);
    *out = (int64_t)v;
    return 0;
}

int ctl_parse_yuan(ctl_t *ctl, const char *label, const char *text, int64_t *fen)
{
    /* at most a billion yuan: far beyond any product, far below int64 overflow */
    const char *p = text ? text : "";
    int64_t whole = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++)
        whole = whole * 10 + (*p - '0');
    int64_t cents = 0;
    int decimals = 0;
    bool ok = digits >= 1 && digits <= 10 && whole <= 1000000000;
    if (ok && *p == '.') {
        p++;
        for (; *p >= '0' && *p <= '9'; p++, decimals++)
            cents = cents * 10 + (*p - '0');
        ok = decimals >= 1 && decimals <= 2;
        if (decimals == 1)
            cents *= 10;
    }
    if (!ok || *p != '\0')
        return ctl_fail(ctl, HF_BAD_INPUT,
                        "%s must be an amount in yuan with at most two decimals, such as 12.50",
                        label);
    *fen = whole * 100 + cents;
    return 0;
}

int ctl_check_date(ctl_t *ctl, const char *label, const char *text)
{
    int32_t day;
    if (hf_date_parse(text, &day) != 0)
        return ctl_fail(ctl, HF_BAD_INPUT, "%s must be a date YYYY-MM-DD, not '%s'", label, text);
    return 0;
}

int ctl_parse_time(ctl_t *ctl, const char *label, const char *text, int64_t *ms)
{
    if (hf_time_parse(text, ctl->tz, ms) != 0)
        return ctl_fail(ctl, HF_BAD_INPUT,
                        "%s must be a time such as \"2026-11-23 18:30\" (read in %s) or "
                        "2026-11-23T10:30:00Z, not '%s'",
                        label, ctl->tz, text);
    return 0;
}

int ctl_check_choice(ctl_t *ctl, const char *label, const char *text, const char *choices)
{
    size_t len = strlen(text);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && strncmp(p, text, n) == 0)
            return 0;
        p += n + (bar ? 1 : 0);
    }
    return ctl_fail(ctl, HF_BAD_INPUT, "%s must be one of %s, not '%s'", label, choices, text);
}

int ctl_need_branch(ctl_t *ctl)
{
    if (ctl->branch == NULL || *ctl->branch == '\0')
        return ctl_fail(ctl, HF_BAD_INPUT, "--branch is required (or set HUIFANG_BRANCH)");
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Calls
 * ------------------------------------------------------------------------------------- */

void ctl_request_init(ctl_t *ctl, hf_request_t *req)
{
    huifang__v1__request__init(req);
    req->branch = (char *)(ctl->branch ? ctl->branch : "");
    req->actor = (char *)(ctl->actor ? ctl->actor : "");
    ctl_session_attach(ctl, req);
}

int ctl_request_change(ctl_t *ctl, hf_request_t *req, const ctl_opt_t *opts)
{
    ctl_request_init(ctl, req);
    const char *key = ctl_opt(opts, "idempotency-key");
    if (key != NULL) {
        if (strlen(key) > 128)
            return ctl_fail(ctl, HF_BAD_INPUT, "--idempotency-key must be at most 128 characters");
        req->idempotency_key = (char *)key;
        return 0;
    }
    char *id = hf_arena_alloc(ctl->arena, 40);
    hf_bus_new_id(id);
    req->idempotency_key = id;
    return 0;
}

hf_client_t *ctl_client(ctl_t *ctl, ctl_service_t svc, int tries)
{
    if (ctl->clients[svc] == NULL) {
        char ep[256];
        hf_endpoint_commands(ctl_service_names[svc], ep, sizeof ep);
        ctl->clients[svc] = hf_client_new(ep, ctl->timeout_ms, tries);
        hf_client_set_server(ctl->clients[svc], ctl_service_names[svc]);
    }
    return ctl->clients[svc];
}

void ctl_reply_free(hf_reply_t **rep_p)
{
    if (rep_p && *rep_p) {
        huifang__v1__reply__free_unpacked(*rep_p, NULL);
        *rep_p = NULL;
    }
}

int ctl_curve_check(void)
{
    const char *why = hf_bus_curve_error();
    if (why == NULL)
        return 0;
    ctl_error("%s", why);
    return HF_BAD_INPUT;
}

int ctl_call(ctl_t *ctl, ctl_service_t svc, hf_request_t *req, int expect, hf_reply_t **rep)
{
    int bad = ctl_curve_check();
    if (bad != 0)
        return bad;
    const char *name = ctl_service_names[svc];
    if (ctl->session_exit != 0)
        return ctl->session_exit; /* --as could not be honoured: said above, nothing sent */
    hf_client_t *client = ctl_client(ctl, svc, 3);
    if (ctl->positions)
        ctl_positions_attach(ctl->positions, req, name, ctl->arena);
    if (hf_client_call(client, req, rep) != 0) {
        ctl_error("the %s service at %s did not answer (is it running?)", name,
                  hf_client_endpoint(client));
        return HF_UNAVAILABLE;
    }
    /* a kept --as session refused (the agent's sessions were ended): once with a new one */
    if ((*rep)->status == HUIFANG__V1__STATUS__UNAUTHENTICATED && ctl->session_kept) {
        ctl_reply_free(rep);
        if (!ctl_session_renew(ctl, req))
            return ctl->session_exit ? ctl->session_exit : HF_UNAUTHENTICATED;
        if (hf_client_call(client, req, rep) != 0) {
            ctl_error("the %s service at %s did not answer (is it running?)", name,
                      hf_client_endpoint(client));
            return HF_UNAVAILABLE;
        }
    }
    hf_reply_t *r = *rep;
    if (ctl->positions)
        ctl_positions_note(ctl->positions, r);
    int status = (int)r->status;
    if (status != HF_OK) {
        if (r->error && *r->error) {
            ctl_error("%s", r->error);
        } else {
            const ProtobufCEnumValue *v =
                protobuf_c_enum_descriptor_get_value(&huifang__v1__status__descriptor, status);
            ctl_error("the %s service answered %s%s%s", name, v ? v->name : "an unknown status",
                      r->field && *r->field ? " about " : "", r->field ? r->field : "");
        }
        ctl_reply_free(rep);
        if (status == HF_FORBIDDEN)
            return HF_CONFLICT; /* exit 4: not allowed for this role or branch */
        return status >= HF_INTERNAL && status <= HF_UNAUTHENTICATED ? status : HF_INTERNAL;
    }
    if (expect != 0 && (int)r->result_case != expect) {
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
            &huifang__v1__reply__descriptor, (unsigned)expect);
        ctl_error("the %s service answered without a %s result", name, f ? f->name : "known");
        ctl_reply_free(rep);
        return HF_INTERNAL;
    }
    if (!ctl->json && r->note && *r->note)
        ctl_error("%s", r->note);
    return HF_OK;
}

int ctl_call_print(ctl_t *ctl, ctl_service_t svc, hf_request_t *req, int expect, ctl_print_fn print)
{
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, svc, req, expect, &rep);
    if (rc != HF_OK)
        return rc;
    print(ctl, rep);
    fflush(stdout);
    ctl_reply_free(&rep);
    return HF_OK;
}

/* ---------------------------------------------------------------------------------------
 * Output
 * ------------------------------------------------------------------------------------- */

void ctl_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("huifang: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int ctl_fail(ctl_t *ctl, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("huifang: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    ctl->exit = code;
    return -1;
}

void ctl_json(const ProtobufCMessage *msg)
{
    hf_json_print(msg);
    fflush(stdout);
}

void ctl_kv(const char *key, const char *value)
{
    printf("  %-12s %s\n", key, ctl_str(value));
}

const char *ctl_fmt(ctl_t *ctl, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return hf_arena_strdup(ctl->arena, buf);
}

const char *ctl_str(const char *s)
{
    return s && *s ? s : "-";
}

const char *ctl_local_time(ctl_t *ctl, int64_t ms)
{
    if (ms == 0)
        return "-";
    char buf[32];
    hf_time_local_format(ms, ctl->tz, buf);
    return hf_arena_strdup(ctl->arena, buf);
}

const char *ctl_phone_masked(ctl_t *ctl, const char *phone)
{
    if (phone == NULL || *phone == '\0')
        return "-";
    char buf[64];
    hf_mask_phone(phone, buf, sizeof buf);
    return hf_arena_strdup(ctl->arena, buf);
}

const char *ctl_name_masked(ctl_t *ctl, const char *name)
{
    if (name == NULL || *name == '\0')
        return "-";
    char buf[256];
    hf_mask_name(name, buf, sizeof buf);
    return hf_arena_strdup(ctl->arena, buf);
}

/* Personal data in clear is for the roles whose work needs it (GB/T 35273 §7.1: least
 * privilege; issue 11: managers and admins). Until sessions exist nobody is signed in,
 * so nobody may: `--unmasked` is refused. LEAD: when `huifang login` keeps a verified
 * session on ctl, return true here for its roles "manager" and "admin" (and the audit
 * slice records the reveal); every --unmasked goes through this function. */
/* The event stream carries every branch's records: only an admin sees it in clear. The role
 * is the one intake verifies for the session (whoami), not what the session file says. */
bool ctl_may_see_personal(ctl_t *ctl)
{
    return strcmp(ctl_session_role(ctl), "admin") == 0;
}

int ctl_refuse_unmasked(ctl_t *ctl)
{
    return ctl_fail(ctl, HF_CONFLICT,
                    "not allowed: --unmasked shows every branch's names, phones, addresses and "
                    "notes in clear and needs the role admin (you are %s)",
                    *ctl_session_role(ctl) ? ctl_session_role(ctl) : "not signed in");
}

const char *ctl_yuan(ctl_t *ctl, int64_t fen)
{
    const char *sign = fen < 0 ? "-" : "";
    int64_t a = fen < 0 ? -fen : fen;
    return ctl_fmt(ctl, "%s%lld.%02lld", sign, (long long)(a / 100), (long long)(a % 100));
}

/* ---- tables ---- */

struct ctl_table_t {
    int ncols;
    int nrows; /* rows including the header */
    int cap;
    char **cells; /* nrows × ncols, row-major */
};

/* The columns a UTF-8 string takes in a terminal: East Asian wide characters (Han, kana,
 * Hangul, full-width forms) take two, everything else one. Enough for names and regions;
 * combining marks are rare in our data and would only cost a column of padding. */
static int s_display_width(const char *s)
{
    int width = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        int len;
        if (*p < 0x80) {
            cp = *p;
            len = 1;
        } else if ((*p & 0xE0) == 0xC0) {
            cp = *p & 0x1F;
            len = 2;
        } else if ((*p & 0xF0) == 0xE0) {
            cp = *p & 0x0F;
            len = 3;
        } else {
            cp = *p & 0x07;
            len = 4;
        }
        int i = 1;
        for (; i < len && (p[i] & 0xC0) == 0x80; i++)
            cp = (cp << 6) | (p[i] & 0x3F);
        p += i;
        bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                    (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                    (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                    (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
        width += wide ? 2 : 1;
    }
    return width;
}

static void s_table_push(ctl_table_t *self, va_list ap)
{
    if (self->nrows == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 16;
        self->cells =
            realloc(self->cells, sizeof(char *) * (size_t)self->cap * (size_t)self->ncols);
        if (self->cells == NULL)
            abort();
    }
    char **row = self->cells + (size_t)self->nrows * (size_t)self->ncols;
    for (int c = 0; c < self->ncols; c++) {
        const char *v = va_arg(ap, const char *);
        row[c] = strdup(ctl_str(v));
        if (row[c] == NULL)
            abort();
    }
    self->nrows++;
}

ctl_table_t *ctl_table_new(int ncols, ...)
{
    ctl_table_t *self = calloc(1, sizeof *self);
    if (self == NULL)
        abort();
    self->ncols = ncols;
    va_list ap;
    va_start(ap, ncols);
    s_table_push(self, ap);
    va_end(ap);
    return self;
}

void ctl_table_add(ctl_table_t *self, ...)
{
    va_list ap;
    va_start(ap, self);
    s_table_push(self, ap);
    va_end(ap);
}

void ctl_table_print(const ctl_table_t *self)
{
    int widths[32] = {0};
    int ncols = self->ncols < 32 ? self->ncols : 32;
    for (int r = 0; r < self->nrows; r++)
        for (int c = 0; c < ncols; c++) {
            int w = s_display_width(self->cells[r * self->ncols + c]);
            if (w > widths[c])
                widths[c] = w;
        }
    for (int r = 0; r < self->nrows; r++) {
        for (int c = 0; c < ncols; c++) {
            const char *cell = self->cells[r * self->ncols + c];
            fputs(cell, stdout);
            if (c + 1 < ncols)
                printf("%*s", widths[c] - s_display_width(cell) + 2, "");
        }
        fputc('\n', stdout);
    }
    fflush(stdout);
}

void ctl_table_destroy(ctl_table_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    ctl_table_t *self = *self_p;
    for (int i = 0; i < self->nrows * self->ncols; i++)
        free(self->cells[i]);
    free(self->cells);
    free(self);
    *self_p = NULL;
}
