/* ctl_session: who the client acts as. `huifang login` keeps the session in <state>/session
 * (mode 0600, the state folder 0700); HUIFANG_TOKEN overrides the file. Every request carries
 * the session; the services take the person from it, never from the client's word.
 *
 * --as / HUIFANG_AGENT: an admin acting for someone else. The client asks intake for a
 * session of that person signed for the admin (Login.as_login), kept in
 * <state>/as/<branch>/<login> until shortly before it ends, so that a script of many commands
 * asks once. The services see the person, and the session names the admin who acts. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "ctl.h"
#include "hf_clock.h"
#include "hf_session.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define S(x) ((x) ? (x) : "")
#define REUSE_MARGIN_MS 60000 /* a kept --as session is not reused this close to its end */

/* The claims of a token, unverified (the client only reads them), or NULL. */
static Huifang__V1__SessionClaims *s_peek(const char *token)
{
    if (token == NULL || strncmp(token, "hf1.", 4) != 0)
        return NULL;
    const char *dot = strchr(token + 4, '.');
    if (dot == NULL || dot - token > HF_SESSION_MAX_TOKEN)
        return NULL;
    uint8_t bin[HF_SESSION_MAX_CLAIMS];
    size_t len = 0;
    if (sodium_base642bin(bin, sizeof bin, token + 4, (size_t)(dot - token - 4), NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return NULL;
    return huifang__v1__session_claims__unpack(NULL, len, bin);
}

static const char *s_dir(ctl_t *ctl)
{
    return ctl->positions ? ctl_positions_dir(ctl->positions) : "";
}

/* Reads a token file into the arena; NULL when there is none. */
static char *s_read_token(ctl_t *ctl, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char buf[HF_SESSION_MAX_TOKEN + 2];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    return hf_arena_strdup(ctl->arena, buf);
}

/* Writes token to path, owner-only, replacing it whole. 0 or -1 after a message. */
static int s_write_token(const char *path, const char *token)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        ctl_error("cannot keep the session in %s: %s", path, strerror(errno));
        return -1;
    }
    size_t len = strlen(token);
    bool ok =
        fchmod(fd, 0600) == 0 && write(fd, token, len) == (ssize_t)len && write(fd, "\n", 1) == 1;
    if (close(fd) != 0 || !ok || rename(tmp, path) != 0) {
        unlink(tmp);
        ctl_error("cannot keep the session in %s", path);
        return -1;
    }
    return 0;
}

static const char *s_session_path(ctl_t *ctl)
{
    const char *dir = s_dir(ctl);
    return *dir ? ctl_fmt(ctl, "%s/session", dir) : NULL;
}

/* The person's own session: HUIFANG_TOKEN, else the file; NULL when neither. */
static const char *s_own_token(ctl_t *ctl)
{
    const char *env = getenv("HUIFANG_TOKEN");
    if (env && *env)
        return env;
    const char *path = s_session_path(ctl);
    return path ? s_read_token(ctl, path) : NULL;
}

/* A session of login for the admin of own (kept, or asked of intake). NULL after a message,
 * with ctl->session_exit set. */
static const char *s_as_token(ctl_t *ctl, const char *own, const char *login)
{
    const char *dir = s_dir(ctl);
    const char *branch = *S(ctl->branch) ? ctl->branch : "_";
    const char *folder = *dir ? ctl_fmt(ctl, "%s/as/%s", dir, branch) : NULL;
    const char *path = folder ? ctl_fmt(ctl, "%s/%s", folder, login) : NULL;
    Huifang__V1__SessionClaims *me = s_peek(own);
    char *kept = path ? s_read_token(ctl, path) : NULL;
    Huifang__V1__SessionClaims *c = kept ? s_peek(kept) : NULL;
    /* reused only while it ends well after now and was signed for this very admin session */
    bool reuse = c && me && c->expires_ms > hf_clock_real_ms() + REUSE_MARGIN_MS &&
                 strcmp(S(c->on_behalf_of), me->login) == 0 && c->issued_ms >= me->issued_ms;
    if (c)
        huifang__v1__session_claims__free_unpacked(c, NULL);
    if (me)
        huifang__v1__session_claims__free_unpacked(me, NULL);
    if (reuse) {
        ctl->session_kept = path;
        return kept;
    }
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    req.branch = (char *)S(ctl->branch);
    req.session = (char *)own;
    Huifang__V1__Login l = HUIFANG__V1__LOGIN__INIT;
    l.as_login = (char *)login;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_LOGIN;
    req.login = &l;
    hf_reply_t *rep = NULL;
    ctl->session_state = 2; /* this call goes as it is */
    int rc = ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_LOGIN, &rep);
    ctl->session_state = 0;
    if (rc != HF_OK) {
        ctl_error("--as %s: could not act for them (above)", login);
        ctl->session_exit = rc;
        return NULL;
    }
    char *token = hf_arena_strdup(ctl->arena, rep->login->token);
    ctl_reply_free(&rep);
    if (folder && ctl_state_make_dir(folder))
        s_write_token(path, token); /* best effort: the next command asks again otherwise */
    return token;
}

void ctl_session_attach(ctl_t *ctl, hf_request_t *req)
{
    if (ctl->session_state == 2)
        return;
    if (ctl->session_state == 0) {
        ctl->session_state = 1;
        const char *own = s_own_token(ctl);
        ctl->session = own;
        if (own && *S(ctl->actor)) {
            Huifang__V1__SessionClaims *c = s_peek(own);
            bool same = c && strcmp(c->login, ctl->actor) == 0;
            if (c)
                huifang__v1__session_claims__free_unpacked(c, NULL);
            if (!same)
                ctl->session = s_as_token(ctl, own, ctl->actor);
            ctl->session_state = 1;
        }
    }
    req->session = (char *)S(ctl->session);
}

bool ctl_session_renew(ctl_t *ctl, hf_request_t *req)
{
    if (ctl->session_kept == NULL)
        return false;
    unlink(ctl->session_kept);
    ctl->session_kept = NULL;
    const char *own = s_own_token(ctl);
    if (own == NULL)
        return false;
    ctl->session = s_as_token(ctl, own, ctl->actor);
    if (ctl->session == NULL)
        return false;
    req->session = (char *)ctl->session;
    return true;
}

/* ---- passwords ---- */

/* Reads one line of password: from stdin when from_stdin, else from the terminal without
 * echo. Returns an arena copy, or NULL after a message. */
static char *s_read_password(ctl_t *ctl, const char *prompt, bool from_stdin)
{
    char buf[256];
    bool tty = !from_stdin && isatty(STDIN_FILENO);
    if (!from_stdin && !tty) {
        ctl_fail(ctl, HF_BAD_INPUT, "no terminal to ask for the password: use --password-stdin");
        return NULL;
    }
    struct termios old, quiet;
    if (tty) {
        fprintf(stderr, "%s", prompt);
        fflush(stderr);
        tcgetattr(STDIN_FILENO, &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *got = fgets(buf, sizeof buf, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fprintf(stderr, "\n");
    }
    if (got == NULL) {
        ctl_fail(ctl, HF_BAD_INPUT, "no password given");
        return NULL;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    char *out = hf_arena_strdup(ctl->arena, buf);
    sodium_memzero(buf, sizeof buf);
    return out;
}

/* "B1,B2" from a list of branches into out. Returns out. */
static const char *s_join(char **list, size_t n, char *out, size_t len)
{
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? "," : "", list[i]);
    return out;
}

/* Splits "B1,B2" (arena copy) into out (room for HF_SESSION_MAX_BRANCHES). Returns how many,
 * or -1 after a message when there are too many. */
static int s_split(ctl_t *ctl, const char *list, char **out)
{
    int n = 0;
    char *copy = hf_arena_strdup(ctl->arena, list);
    for (char *save = NULL, *b = strtok_r(copy, ",", &save); b; b = strtok_r(NULL, ",", &save)) {
        if (n == HF_SESSION_MAX_BRANCHES) {
            ctl_fail(ctl, HF_BAD_INPUT, "--branches: at most %d", HF_SESSION_MAX_BRANCHES);
            return -1;
        }
        out[n++] = b;
    }
    return n;
}

static void s_print_claims(ctl_t *ctl, const Huifang__V1__SessionClaims *c)
{
    if (ctl->json) {
        ctl_json(&c->base);
        return;
    }
    char branches[512];
    s_join(c->branches, c->n_branches, branches, sizeof branches);
    ctl_kv("login", c->login);
    ctl_kv("name", c->name);
    ctl_kv("role", c->role);
    ctl_kv("branches", c->n_branches ? branches : "(every branch)");
    if (*S(c->on_behalf_of))
        ctl_kv("acting_for", c->on_behalf_of);
    ctl_kv("until", ctl_local_time(ctl, c->expires_ms));
}

int ctl_login(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {{"password-stdin", CTL_SWITCH, NULL}, {NULL, 0, NULL}};
    const char *names[] = {"[LOGIN]", NULL};
    const char *pos[1] = {NULL};
    if (ctl_parse(ctl, argc, argv, opts, names, pos) != 0)
        return ctl->exit;
    const char *login = pos[0] ? pos[0] : getenv("USER");
    if (login == NULL || *login == '\0')
        return ctl_fail(ctl, HF_BAD_INPUT, "LOGIN is required");
    char *password = s_read_password(ctl, "Password: ", ctl_switch(opts, "password-stdin"));
    if (password == NULL)
        return ctl->exit;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.session = "";
    Huifang__V1__Login l = HUIFANG__V1__LOGIN__INIT;
    l.login = (char *)login;
    l.password = password;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_LOGIN;
    req.login = &l;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_LOGIN, &rep);
    sodium_memzero(password, strlen(password));
    if (rc != HF_OK)
        return rc;
    const char *path = s_session_path(ctl);
    if (path == NULL || !ctl_state_make_dir(s_dir(ctl)) ||
        s_write_token(path, rep->login->token) != 0) {
        ctl_reply_free(&rep);
        return ctl_fail(ctl, HF_INTERNAL,
                        "no folder of yours to keep the session in (set HUIFANG_STATE_DIR)");
    }
    if (!ctl->json)
        fprintf(stderr, "signed in; the session is kept in %s\n", path);
    s_print_claims(ctl, rep->login->claims);
    ctl_reply_free(&rep);
    return HF_OK;
}

static int s_remove(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

int ctl_logout(ctl_t *ctl, int argc, char **argv)
{
    if (ctl_parse(ctl, argc, argv, NULL, NULL, NULL) != 0)
        return ctl->exit;
    const char *path = s_session_path(ctl);
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_LOGOUT;
    Huifang__V1__Logout q = HUIFANG__V1__LOGOUT__INIT;
    req.logout = &q;
    hf_reply_t *rep = NULL;
    int rc = *S(req.session) ? ctl_call(ctl, CTL_INTAKE, &req, 0, &rep) : HF_OK;
    ctl_reply_free(&rep);
    /* the file goes whatever intake said: an ended or broken session is no use either */
    if (path)
        unlink(path);
    if (*s_dir(ctl)) /* the kept --as sessions were signed for this one: they go too */
        nftw(ctl_fmt(ctl, "%s/as", s_dir(ctl)), s_remove, 8, FTW_DEPTH | FTW_PHYS);
    if (rc == HF_OK && !ctl->json)
        fprintf(stderr, "signed out\n");
    return rc == HF_UNAUTHENTICATED ? HF_OK : rc;
}

const char *ctl_session_role(ctl_t *ctl)
{
    static const char *role = NULL;
    if (role)
        return role;
    role = "";
    hf_request_t req;
    ctl_request_init(ctl, &req);
    if (*S(req.session) == '\0')
        return role;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_WHOAMI;
    Huifang__V1__Whoami q = HUIFANG__V1__WHOAMI__INIT;
    req.whoami = &q;
    hf_reply_t *rep = NULL;
    if (ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_SESSION, &rep) == HF_OK) {
        role = hf_arena_strdup(ctl->arena, rep->session->role);
        ctl_reply_free(&rep);
    }
    return role;
}

int ctl_whoami(ctl_t *ctl, int argc, char **argv)
{
    if (ctl_parse(ctl, argc, argv, NULL, NULL, NULL) != 0)
        return ctl->exit;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_WHOAMI;
    Huifang__V1__Whoami q = HUIFANG__V1__WHOAMI__INIT;
    req.whoami = &q;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_SESSION, &rep);
    if (rc != HF_OK)
        return rc;
    s_print_claims(ctl, rep->session);
    ctl_reply_free(&rep);
    return HF_OK;
}

/* ---- people ---- */

static void s_print_users(ctl_t *ctl, Huifang__V1__User **users, size_t n)
{
    if (ctl->json) {
        for (size_t i = 0; i < n; i++)
            ctl_json(&users[i]->base);
        return;
    }
    ctl_table_t *t = ctl_table_new(6, "LOGIN", "NAME", "ROLE", "BRANCHES", "STATE", "LAST LOGIN");
    for (size_t i = 0; i < n; i++) {
        const Huifang__V1__User *u = users[i];
        char branches[512];
        s_join(u->branches, u->n_branches, branches, sizeof branches);
        const char *state = u->disabled                               ? "disabled"
                            : u->locked_until_ms > hf_clock_real_ms() ? "locked"
                                                                      : "active";
        ctl_table_add(t, u->login, ctl_name_masked(ctl, u->name), u->role,
                      u->n_branches ? branches : "(all)", state,
                      u->last_login_ms ? ctl_local_time(ctl, u->last_login_ms) : "-");
    }
    ctl_table_print(t);
    ctl_table_destroy(&t);
}

int ctl_user_add(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {{"name", CTL_VALUE, NULL},
                        {"role", CTL_VALUE, NULL},
                        {"branches", CTL_VALUE, NULL},
                        {"password-stdin", CTL_SWITCH, NULL},
                        {"idempotency-key", CTL_VALUE, NULL},
                        {NULL, 0, NULL}};
    const char *names[] = {"LOGIN", NULL};
    const char *pos[1] = {NULL};
    if (ctl_parse(ctl, argc, argv, opts, names, pos) != 0)
        return ctl->exit;
    const char *role = ctl_require(ctl, opts, "role");
    if (role == NULL)
        return ctl->exit;
    if (pos[0] == NULL)
        return ctl_fail(ctl, HF_BAD_INPUT, "LOGIN is required");
    char *password = s_read_password(ctl, "New password: ", ctl_switch(opts, "password-stdin"));
    if (password == NULL)
        return ctl->exit;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    Huifang__V1__UserAdd u = HUIFANG__V1__USER_ADD__INIT;
    u.login = (char *)pos[0];
    u.name = (char *)S(ctl_opt(opts, "name"));
    u.role = (char *)role;
    u.password = password;
    const char *list = ctl_opt(opts, "branches");
    if (list == NULL && *S(ctl->branch) && strcmp(role, "admin") != 0)
        list = ctl->branch; /* an agent's account: the branch of --branch */
    char *branches[HF_SESSION_MAX_BRANCHES];
    int nb = list ? s_split(ctl, list, branches) : 0;
    if (nb < 0)
        return ctl->exit;
    u.n_branches = (size_t)nb;
    u.branches = branches;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_USER_ADD;
    req.user_add = &u;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_USER, &rep);
    sodium_memzero(password, strlen(password));
    if (rc != HF_OK)
        return rc;
    s_print_users(ctl, &rep->user, 1);
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_user_passwd(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {{"password-stdin", CTL_SWITCH, NULL},
                        {"idempotency-key", CTL_VALUE, NULL},
                        {NULL, 0, NULL}};
    const char *names[] = {"[LOGIN]", NULL};
    const char *pos[1] = {NULL};
    if (ctl_parse(ctl, argc, argv, opts, names, pos) != 0)
        return ctl->exit;
    bool from_stdin = ctl_switch(opts, "password-stdin");
    Huifang__V1__UserPasswd u = HUIFANG__V1__USER_PASSWD__INIT;
    u.login = (char *)S(pos[0]);
    if (pos[0] == NULL &&
        (u.old_password = s_read_password(ctl, "Current password: ", from_stdin)) == NULL)
        return ctl->exit;
    if ((u.password = s_read_password(ctl, "New password: ", from_stdin)) == NULL)
        return ctl->exit;
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_USER_PASSWD;
    req.user_passwd = &u;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, &req, 0, &rep);
    ctl_reply_free(&rep);
    return rc;
}

static int s_user_disable(ctl_t *ctl, int argc, char **argv, bool enable)
{
    ctl_opt_t opts[] = {{"idempotency-key", CTL_VALUE, NULL}, {NULL, 0, NULL}};
    const char *names[] = {"LOGIN", NULL};
    const char *pos[1] = {NULL};
    if (ctl_parse(ctl, argc, argv, opts, names, pos) != 0)
        return ctl->exit;
    if (pos[0] == NULL)
        return ctl_fail(ctl, HF_BAD_INPUT, "LOGIN is required");
    hf_request_t req;
    if (ctl_request_change(ctl, &req, opts) != 0)
        return ctl->exit;
    Huifang__V1__UserDisable u = HUIFANG__V1__USER_DISABLE__INIT;
    u.login = (char *)pos[0];
    u.enable = enable;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_USER_DISABLE;
    req.user_disable = &u;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_USER, &rep);
    if (rc != HF_OK)
        return rc;
    s_print_users(ctl, &rep->user, 1);
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_user_disable(ctl_t *ctl, int argc, char **argv)
{
    return s_user_disable(ctl, argc, argv, false);
}

int ctl_user_enable(ctl_t *ctl, int argc, char **argv)
{
    return s_user_disable(ctl, argc, argv, true);
}

int ctl_user_list(ctl_t *ctl, int argc, char **argv)
{
    if (ctl_parse(ctl, argc, argv, NULL, NULL, NULL) != 0)
        return ctl->exit;
    hf_request_t req;
    ctl_request_init(ctl, &req);
    Huifang__V1__UserList q = HUIFANG__V1__USER_LIST__INIT;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_USER_LIST;
    req.user_list = &q;
    hf_reply_t *rep = NULL;
    int rc = ctl_call(ctl, CTL_INTAKE, &req, HUIFANG__V1__REPLY__RESULT_USERS, &rep);
    if (rc != HF_OK)
        return rc;
    s_print_users(ctl, rep->users->users, rep->users->n_users);
    ctl_reply_free(&rep);
    return HF_OK;
}

int ctl_session_keygen(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {{"dir", CTL_VALUE, NULL}, {"force", CTL_SWITCH, NULL}, {NULL, 0, NULL}};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    const char *dir = ctl_require(ctl, opts, "dir");
    if (dir == NULL)
        return ctl->exit;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return ctl_fail(ctl, HF_BAD_INPUT, "--dir %s: %s", dir, strerror(errno));
    char err[512];
    if (hf_session_keygen(dir, ctl_switch(opts, "force"), err, sizeof err) != 0)
        return ctl_fail(ctl, HF_BAD_INPUT, "%s", err);
    if (!ctl->json)
        printf("%s/session.key (secret: intake's HUIFANG_SESSION_KEY_FILE)\n"
               "%s/session.pub (every service's HUIFANG_SESSION_PUBLIC_KEY_FILE)\n",
               dir, dir);
    return HF_OK;
}

/* Break-glass and scripts: whoever holds the signing key can sign any session anyway; this
 * makes one without intake (the session says so: on_behalf_of "signing-key"). */
int ctl_session_mint(ctl_t *ctl, int argc, char **argv)
{
    ctl_opt_t opts[] = {{"key", CTL_VALUE, NULL},    {"login", CTL_VALUE, NULL},
                        {"role", CTL_VALUE, NULL},   {"branches", CTL_VALUE, NULL},
                        {"ttl-ms", CTL_VALUE, NULL}, {NULL, 0, NULL}};
    if (ctl_parse(ctl, argc, argv, opts, NULL, NULL) != 0)
        return ctl->exit;
    const char *key = ctl_require(ctl, opts, "key");
    const char *login = key ? ctl_require(ctl, opts, "login") : NULL;
    const char *role = login ? ctl_require(ctl, opts, "role") : NULL;
    if (role == NULL)
        return ctl->exit;
    if (hf_role_bit(role) == 0)
        return ctl_fail(ctl, HF_BAD_INPUT, "--role %s is not a role", role);
    long ttl = 8L * 3600 * 1000;
    if (ctl_opt(opts, "ttl-ms") &&
        ctl_parse_long(ctl, "--ttl-ms", ctl_opt(opts, "ttl-ms"), 1000, 86400000L, &ttl) != 0)
        return ctl->exit;
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
    char err[512];
    if (hf_session_load_secret(key, sk, err, sizeof err) != 0)
        return ctl_fail(ctl, HF_BAD_INPUT, "--key: %s", err);
    Huifang__V1__SessionClaims c = HUIFANG__V1__SESSION_CLAIMS__INIT;
    c.login = (char *)login;
    c.role = (char *)role;
    c.name = (char *)login;
    char *branches[HF_SESSION_MAX_BRANCHES];
    int nb = ctl_opt(opts, "branches") ? s_split(ctl, ctl_opt(opts, "branches"), branches) : 0;
    if (nb < 0)
        return ctl->exit;
    c.n_branches = (size_t)nb;
    c.branches = branches;
    c.issued_ms = hf_clock_real_ms();
    c.expires_ms = c.issued_ms + ttl;
    unsigned char id[16];
    char jti[33];
    randombytes_buf(id, sizeof id);
    sodium_bin2hex(jti, sizeof jti, id, sizeof id);
    c.jti = jti;
    c.on_behalf_of = "signing-key";
    char *token = hf_session_sign(&c, sk);
    sodium_memzero(sk, sizeof sk);
    if (token == NULL)
        return ctl_fail(ctl, HF_BAD_INPUT, "--branches: too many");
    printf("%s\n", token);
    free(token);
    return HF_OK;
}
