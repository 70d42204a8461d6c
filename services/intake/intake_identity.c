/* intake_identity: staff accounts and their sessions (issue 11). intake owns the accounts
 * because it owns the organisation they belong to (branches, agents); it is the one service
 * holding the session signing key. Every service verifies sessions itself (hf_session.h,
 * hf_service.c); what changes an account's standing (a password, disabling, a logout) is
 * announced as person_revoked and refused everywhere from then on.
 *
 * Passwords: Argon2id through libsodium's crypto_pwhash_str (interactive costs, 64 MiB), never
 * logged. A wrong password counts: from the third in a row, the next attempt must wait
 * 2^(n-3) seconds (answered at once, without checking the password); the tenth locks the
 * account for 15 minutes. The wait and the lock are answered before any hash is computed, so
 * a guesser cannot make the service hash at will either. Known limit: a login's hash runs on
 * intake's loop (about 0.1 s), so logins delay intake's other requests that long. */
#include "hf_clock.h"
#include "hf_log.h"
#include "intake_internal.h"
#include "intake_sql.h"
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S(x) ((x) ? (x) : "")
#define LOCK_AFTER 10
#define LOCK_MS (15 * 60 * 1000)
#define SLOW_AFTER 3
#define PASSWORD_MIN 8
#define PASSWORD_MAX 128

/* a valid Argon2id string nobody's password matches: an unknown login costs as much as a
 * known one (no timing tells which logins exist) */
static char s_dummy_hash[crypto_pwhash_STRBYTES];

static int s_hash(const char *password, char out[crypto_pwhash_STRBYTES])
{
    return crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

/* ---- the account record ---- */

typedef struct {
    char login[65];
    char name[101];
    char role[16];
    char **branches; /* arena */
    size_t n_branches;
    char hash[crypto_pwhash_STRBYTES];
    bool disabled;
    int failed;
    int64_t last_failed_ms, locked_until_ms, created_ms, last_login_ms;
} s_account_t;

/* Splits "a,b" into arena strings. */
static size_t s_split(const char *list, char ***out, hf_arena_t *a)
{
    size_t n = 0;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    n = *list ? n + 1 : 0;
    *out = hf_new_array(a, char *, n ? n : 1);
    size_t i = 0;
    for (const char *p = list; *p && i < n;) {
        size_t len = strcspn(p, ",");
        (*out)[i] = hf_arena_alloc(a, len + 1);
        memcpy((*out)[i], p, len);
        (*out)[i++][len] = '\0';
        p += len;
        p += *p == ',';
    }
    return i;
}

/* Loads login (FOR UPDATE when lock). 1 found, 0 not, -1 store error. */
static int s_account_load(hf_store_t *st, const char *login, bool lock, s_account_t *acc,
                          hf_arena_t *a)
{
    const char *p[] = {login};
    PGresult *res = hf_store_query(st, lock ? &INTAKE_Q_ACCOUNT_LOCK : &INTAKE_Q_ACCOUNT, 1, p);
    if (res == NULL)
        return -1;
    int found = PQntuples(res) == 1;
    if (found) {
        snprintf(acc->login, sizeof acc->login, "%s", hf_pg_str(res, 0, 0));
        snprintf(acc->name, sizeof acc->name, "%s", hf_pg_str(res, 0, 1));
        snprintf(acc->role, sizeof acc->role, "%s", hf_pg_str(res, 0, 2));
        acc->n_branches = s_split(hf_pg_str(res, 0, 3), &acc->branches, a);
        snprintf(acc->hash, sizeof acc->hash, "%s", hf_pg_str(res, 0, 4));
        acc->disabled = hf_pg_bool(res, 0, 5);
        acc->failed = (int)hf_pg_int(res, 0, 6);
        acc->last_failed_ms = hf_pg_int(res, 0, 7);
        acc->locked_until_ms = hf_pg_int(res, 0, 8);
        acc->created_ms = hf_pg_int(res, 0, 9);
        acc->last_login_ms = hf_pg_int(res, 0, 10);
    }
    PQclear(res);
    return found;
}

static Huifang__V1__User *s_user_of(const s_account_t *acc, hf_arena_t *a)
{
    Huifang__V1__User *u = hf_new(a, Huifang__V1__User);
    huifang__v1__user__init(u);
    u->login = hf_arena_strdup(a, acc->login);
    u->name = hf_arena_strdup(a, acc->name);
    u->role = hf_arena_strdup(a, acc->role);
    u->branches = acc->branches;
    u->n_branches = acc->n_branches;
    u->disabled = acc->disabled;
    u->created_ms = acc->created_ms;
    u->last_login_ms = acc->last_login_ms;
    u->locked_until_ms = acc->locked_until_ms;
    u->failed_logins = acc->failed;
    return u;
}

/* Emits person_revoked and applies it here. 0 or -1. */
static int s_revoke(hf_service_t *svc, const char *login, const char *jti, int64_t expires_ms)
{
    Huifang__V1__PersonRevoked r = HUIFANG__V1__PERSON_REVOKED__INIT;
    r.login = (char *)login;
    r.not_before_ms = hf_clock_real_ms() + 1; /* a session issued in this very millisecond too */
    r.jti = (char *)S(jti);
    r.expires_ms = expires_ms;
    if (hf_service_revoke(svc, &r) != 0)
        return -1;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_PERSON_REVOKED;
    env.person_revoked = &r;
    env.branch = "";
    return hf_service_emit(svc, &env);
}

int intake_identity_revoke(hf_service_t *svc, const char *login)
{
    return s_revoke(svc, login, "", 0);
}

/* ---- sessions ---- */

/* Signs a session for the person into rep. */
static int s_issue(hf_service_t *svc, intake_t *in, const char *login, const char *name,
                   const char *role, char **branches, size_t n_branches, const char *by,
                   hf_reply_t *rep, hf_arena_t *a)
{
    Huifang__V1__SessionClaims *c = hf_new(a, Huifang__V1__SessionClaims);
    huifang__v1__session_claims__init(c);
    c->login = (char *)login;
    c->name = (char *)name;
    c->role = (char *)role;
    c->branches = branches;
    c->n_branches = n_branches;
    c->issued_ms = hf_clock_real_ms();
    c->expires_ms = c->issued_ms + in->session_ttl_ms;
    unsigned char id[16];
    randombytes_buf(id, sizeof id);
    c->jti = hf_arena_alloc(a, 33);
    sodium_bin2hex(c->jti, 33, id, sizeof id);
    c->on_behalf_of = (char *)S(by);
    char *token = hf_session_sign(c, in->signing_key);
    if (token == NULL)
        return hf_fail(rep, a, HF_BAD_INPUT, "branches", "too many branches for one session");
    Huifang__V1__LoginResult *r = hf_new(a, Huifang__V1__LoginResult);
    huifang__v1__login_result__init(r);
    r->token = hf_arena_strdup(a, token);
    free(token);
    r->claims = c;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_LOGIN;
    rep->login = r;
    (void)svc;
    return HF_OK;
}

/* An admin opens a session for someone else (the CLI's --as): an account, or an agent of
 * the request's branch. */
static int s_login_as(hf_service_t *svc, intake_t *in, const hf_request_t *req, hf_reply_t *rep,
                      hf_arena_t *a)
{
    hf_session_status_t why;
    const Huifang__V1__SessionClaims *admin = hf_service_verify(svc, req->session, &why);
    if (admin == NULL && why != HF_SESSION_OK)
        return hf_fail(rep, a, HF_UNAUTHENTICATED, "session", "not signed in: %s",
                       hf_session_status_text(why));
    if (admin == NULL || strcmp(admin->role, "admin") != 0)
        return hf_fail(rep, a, HF_FORBIDDEN, "as_login",
                       "not allowed: acting for someone else (--as) needs the role admin");
    char *by = hf_arena_strdup(a, admin->login);
    const char *target = req->login->as_login;
    s_account_t acc = {0};
    int found = s_account_load(hf_service_store(svc), target, false, &acc, a);
    if (found < 0)
        return HF_UNAVAILABLE;
    if (found) {
        if (acc.disabled)
            return hf_fail(rep, a, HF_FORBIDDEN, "as_login", "the account %s is disabled", target);
        hf_info("acting_as", "actor=%s as=%s", by, target);
        return s_issue(svc, in, hf_arena_strdup(a, acc.login), hf_arena_strdup(a, acc.name),
                       hf_arena_strdup(a, acc.role), acc.branches, acc.n_branches, by, rep, a);
    }
    if (*req->branch == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "branch",
                       "--as %s: no account of that name; name the agent's branch (--branch)",
                       target);
    const char *p[] = {req->branch, target};
    PGresult *res = hf_store_query(hf_service_store(svc), &INTAKE_Q_LOGIN_AS, 2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return hf_fail(rep, a, HF_NOT_FOUND, "as_login",
                       "--as %s: no account and no active agent of that id in branch %s", target,
                       req->branch);
    }
    char *role = hf_arena_strdup(a, hf_pg_str(res, 0, 0));
    char *name = hf_arena_strdup(a, hf_pg_str(res, 0, 1));
    PQclear(res);
    char **branches = hf_new_array(a, char *, 1);
    branches[0] = req->branch;
    hf_info("acting_as", "actor=%s as=%s branch=%s", by, target, req->branch);
    return s_issue(svc, in, hf_arena_strdup(a, target), name, role, branches, 1, by, rep, a);
}

int intake_login(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                 hf_arena_t *a)
{
    intake_t *in = self;
    const Huifang__V1__Login *l = req->login;
    if (!in->signing)
        return hf_fail(rep, a, HF_BAD_INPUT, "login", "sessions are off here (HUIFANG_AUTH=off)");
    if (*S(l->as_login))
        return s_login_as(svc, in, req, rep, a);
    if (*S(l->login) == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "login", "login is required");
    if (strlen(S(l->password)) > PASSWORD_MAX)
        return hf_fail(rep, a, HF_UNAUTHENTICATED, "password", "wrong login or password");
    hf_store_t *st = hf_service_store(svc);
    s_account_t acc = {0};
    int found = s_account_load(st, l->login, true, &acc, a);
    if (found < 0)
        return HF_UNAVAILABLE;
    int64_t now = hf_clock_real_ms();
    if (found && acc.locked_until_ms > now)
        return hf_fail(rep, a, HF_UNAUTHENTICATED, "login",
                       "the account is locked after %d wrong passwords; try again in %lld s",
                       acc.failed, (long long)((acc.locked_until_ms - now + 999) / 1000));
    if (found && acc.failed >= SLOW_AFTER) {
        int shift = acc.failed - SLOW_AFTER;
        int64_t wait = (int64_t)1000 << (shift > 10 ? 10 : shift);
        if (now < acc.last_failed_ms + wait)
            return hf_fail(rep, a, HF_UNAUTHENTICATED, "login",
                           "too many wrong passwords: try again in %lld s",
                           (long long)((acc.last_failed_ms + wait - now + 999) / 1000));
    }
    const char *hash = found ? acc.hash : s_dummy_hash;
    bool ok = crypto_pwhash_str_verify(hash, S(l->password), strlen(S(l->password))) == 0 && found;
    if (!ok) {
        if (found) {
            int failed = acc.failed + 1;
            char f[24], t[24], lk[24];
            const char *p[] = {acc.login, hf_pg_i64(f, failed), hf_pg_i64(t, now),
                               hf_pg_i64(lk, failed >= LOCK_AFTER ? now + LOCK_MS : 0)};
            if (hf_store_query_run(st, &INTAKE_Q_LOGIN_ACCOUNT_UPDATE, 4, p) != 0)
                return HF_UNAVAILABLE;
            hf_service_commit_anyway(svc);
            hf_warn("login_failed", "login=%s failed=%d%s", acc.login, failed,
                    failed >= LOCK_AFTER ? " locked=yes" : "");
        }
        return hf_fail(rep, a, HF_UNAUTHENTICATED, "password", "wrong login or password");
    }
    if (acc.disabled)
        return hf_fail(rep, a, HF_UNAUTHENTICATED, "login", "the account %s is disabled",
                       acc.login);
    char newhash[crypto_pwhash_STRBYTES] = "";
    if (crypto_pwhash_str_needs_rehash(acc.hash, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                       crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0 &&
        s_hash(l->password, newhash) != 0)
        newhash[0] = '\0';
    char t[24];
    const char *p[] = {acc.login, hf_pg_i64(t, now), newhash};
    if (hf_store_query_run(st, &INTAKE_Q_LOGIN_ACCOUNT_UPDATE_2, 3, p) != 0)
        return HF_UNAVAILABLE;
    hf_info("login", "login=%s role=%s", acc.login, acc.role);
    return s_issue(svc, in, hf_arena_strdup(a, acc.login), hf_arena_strdup(a, acc.name),
                   hf_arena_strdup(a, acc.role), acc.branches, acc.n_branches, "", rep, a);
}

int intake_logout(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                  hf_arena_t *a)
{
    (void)self;
    (void)req;
    const Huifang__V1__SessionClaims *c = hf_service_session(svc);
    if (c == NULL)
        return hf_fail(rep, a, HF_BAD_INPUT, "session", "sessions are off here: nothing to end");
    if (s_revoke(svc, c->login, c->jti, c->expires_ms) != 0)
        return HF_UNAVAILABLE;
    rep->note = "signed out";
    return HF_OK;
}

int intake_whoami(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                  hf_arena_t *a)
{
    (void)self;
    (void)req;
    const Huifang__V1__SessionClaims *c = hf_service_session(svc);
    if (c == NULL)
        return hf_fail(rep, a, HF_BAD_INPUT, "session", "sessions are off here");
    /* a copy: the claims belong to the verifier's cache, and a reply may be masked (hq) */
    Huifang__V1__SessionClaims *copy = hf_new(a, Huifang__V1__SessionClaims);
    *copy = *c;
    copy->branches = hf_new_array(a, char *, c->n_branches ? c->n_branches : 1);
    if (c->n_branches) /* none (admin, hq): no array to copy from, NULL to memcpy is UB */
        memcpy(copy->branches, c->branches, c->n_branches * sizeof *copy->branches);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_SESSION;
    rep->session = copy;
    return HF_OK;
}

/* ---- managing people ---- */

static bool s_login_ok(const char *login)
{
    size_t n = strlen(login);
    if (n == 0 || n > 64)
        return false;
    for (const char *p = login; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
            return false;
    return true;
}

static int s_password_ok(const char *login, const char *password, hf_reply_t *rep, hf_arena_t *a)
{
    size_t n = strlen(password);
    if (n < PASSWORD_MIN || n > PASSWORD_MAX)
        return hf_fail(rep, a, HF_BAD_INPUT, "password", "a password has %d to %d characters",
                       PASSWORD_MIN, PASSWORD_MAX);
    if (strcmp(password, login) == 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "password", "the password may not be the login");
    return HF_OK;
}

/* May the person of the session manage the account (role, branches)? Admins manage
 * everyone; a manager manages the front-line agents of their own branches. */
static bool s_may_manage(const Huifang__V1__SessionClaims *me, const char *role, char **branches,
                         size_t n)
{
    if (me == NULL || strcmp(me->role, "admin") == 0)
        return true;
    if (strcmp(me->role, "manager") != 0 || !(hf_role_bit(role) & HF_ROLES_FRONT) || n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!hf_session_in_branch(me, branches[i]))
            return false;
    return true;
}

int intake_user_add(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                    hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__UserAdd *u = req->user_add;
    hf_store_t *st = hf_service_store(svc);
    if (!s_login_ok(S(u->login)))
        return hf_fail(rep, a, HF_BAD_INPUT, "login",
                       "a login is 1 to 64 letters, digits, '.', '_' or '-'");
    unsigned bit = hf_role_bit(u->role);
    if (bit == 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "role",
                       "role \"%s\" is not one of phone, consult, visit, doctor, deliver, lead, "
                       "head, manager, hq, admin",
                       S(u->role));
    if (u->n_branches > HF_SESSION_MAX_BRANCHES)
        return hf_fail(rep, a, HF_BAD_INPUT, "branches", "at most %d branches",
                       HF_SESSION_MAX_BRANCHES);
    if ((bit & HF_ROLES_AGENT) && u->n_branches != 1)
        return hf_fail(rep, a, HF_BAD_INPUT, "branches",
                       "an agent's account (%s) belongs to exactly one branch", u->role);
    if (bit == HF_ROLE_HQ && u->n_branches == 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "branches", "an hq account names its branches");
    if (!s_may_manage(hf_service_session(svc), u->role, u->branches, u->n_branches))
        return hf_fail(rep, a, HF_FORBIDDEN, "role",
                       "not allowed: only an admin adds %s accounts, or accounts outside the "
                       "manager's branches (a manager adds the agents of their branch)",
                       u->role);
    int rc = s_password_ok(u->login, S(u->password), rep, a);
    if (rc != HF_OK)
        return rc;
    for (size_t i = 0; i < u->n_branches; i++) {
        char tz[64];
        if (hf_replica_branch(st, u->branches[i], tz, sizeof tz, NULL, 0) != 0)
            return hf_fail(rep, a, HF_BAD_INPUT, "branches", "unknown branch %s", u->branches[i]);
    }
    if (bit & HF_ROLES_AGENT) {
        char role[32];
        if (hf_replica_agent_role(st, u->branches[0], u->login, true, role, sizeof role) != 0)
            return HF_UNAVAILABLE;
        if (*role == '\0')
            return hf_fail(rep, a, HF_BAD_INPUT, "login",
                           "%s is not an active agent of branch %s: add the agent first (huifang "
                           "agent add)",
                           u->login, u->branches[0]);
        if (strcmp(role, u->role) != 0)
            return hf_fail(rep, a, HF_BAD_INPUT, "role", "agent %s of %s is a %s agent, not %s",
                           u->login, u->branches[0], role, u->role);
    }
    const char *name = S(u->name);
    if (*name == '\0' && (bit & HF_ROLES_AGENT)) { /* the agent's own name by default */
        const char *pn[] = {u->branches[0], u->login};
        PGresult *r = hf_store_query(st, &INTAKE_Q_USER_ADD_AGENT, 2, pn);
        if (r == NULL)
            return HF_UNAVAILABLE;
        if (PQntuples(r) == 1)
            name = hf_arena_strdup(a, hf_pg_str(r, 0, 0));
        PQclear(r);
    }
    char hash[crypto_pwhash_STRBYTES];
    if (s_hash(u->password, hash) != 0)
        return hf_fail(rep, a, HF_INTERNAL, NULL, "out of memory hashing the password");
    intake_arr_t arr;
    intake_arr_init(&arr, a);
    for (size_t i = 0; i < u->n_branches; i++)
        intake_arr_str(&arr, u->branches[i]);
    char now[24];
    const char *p[] = {
        u->login, name, u->role, intake_arr_end(&arr), hash, hf_pg_i64(now, hf_clock_real_ms())};
    PGresult *res = hf_store_query(st, &INTAKE_Q_USER_ADD_ACCOUNT_INSERT, 6, p);
    sodium_memzero(hash, sizeof hash);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int inserted = PQntuples(res);
    PQclear(res);
    if (!inserted)
        return hf_fail(rep, a, HF_CONFLICT, "login", "an account %s exists already", u->login);
    s_account_t acc = {0};
    if (s_account_load(st, u->login, false, &acc, a) != 1)
        return HF_UNAVAILABLE;
    hf_info("user_added", "login=%s role=%s", u->login, u->role);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_USER;
    rep->user = s_user_of(&acc, a);
    return HF_OK;
}

/* Loads the account a command names and checks the caller may manage it. */
static int s_managed(hf_service_t *svc, const char *login, s_account_t *acc, hf_reply_t *rep,
                     hf_arena_t *a)
{
    int found = s_account_load(hf_service_store(svc), login, true, acc, a);
    if (found < 0)
        return HF_UNAVAILABLE;
    const Huifang__V1__SessionClaims *me = hf_service_session(svc);
    /* another branch's account is as unknown as one that does not exist */
    if (!found || (me && strcmp(me->role, "admin") != 0 && acc->n_branches > 0 &&
                   !hf_session_in_branch(me, acc->branches[0])))
        return hf_fail(rep, a, HF_NOT_FOUND, "login", "no account %s", login);
    if (!s_may_manage(me, acc->role, acc->branches, acc->n_branches))
        return hf_fail(rep, a, HF_FORBIDDEN, "login",
                       "not allowed: the %s account %s is managed by an admin", acc->role, login);
    return HF_OK;
}

int intake_user_passwd(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                       hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__UserPasswd *u = req->user_passwd;
    const Huifang__V1__SessionClaims *me = hf_service_session(svc);
    const char *login = *S(u->login) ? u->login : me ? me->login : "";
    bool own = me && strcmp(login, me->login) == 0 && *S(me->on_behalf_of) == '\0';
    s_account_t acc = {0};
    int rc;
    if (own) {
        int found = s_account_load(hf_service_store(svc), login, true, &acc, a);
        if (found < 0)
            return HF_UNAVAILABLE;
        if (!found)
            return hf_fail(rep, a, HF_NOT_FOUND, "login", "no account %s", login);
        if (crypto_pwhash_str_verify(acc.hash, S(u->old_password), strlen(S(u->old_password))) != 0)
            return hf_fail(rep, a, HF_BAD_INPUT, "old_password", "the current password is wrong");
    } else if (me && strcmp(me->role, "admin") != 0 && strcmp(me->role, "manager") != 0) {
        return hf_fail(rep, a, HF_FORBIDDEN, "login",
                       "not allowed: setting another person's password needs the role manager "
                       "or admin");
    } else if ((rc = s_managed(svc, login, &acc, rep, a)) != HF_OK) {
        return rc;
    }
    if ((rc = s_password_ok(login, S(u->password), rep, a)) != HF_OK)
        return rc;
    char hash[crypto_pwhash_STRBYTES], now[24];
    if (s_hash(u->password, hash) != 0)
        return hf_fail(rep, a, HF_INTERNAL, NULL, "out of memory hashing the password");
    const char *p[] = {login, hash, hf_pg_i64(now, hf_clock_real_ms())};
    int ok = hf_store_query_run(hf_service_store(svc), &INTAKE_Q_USER_PASSWD, 3, p);
    sodium_memzero(hash, sizeof hash);
    if (ok != 0 || s_revoke(svc, login, "", 0) != 0)
        return HF_UNAVAILABLE;
    hf_info("password_changed", "login=%s", login);
    rep->note = own ? "password changed: sign in again (huifang login)"
                    : "password changed: the person's sessions have ended";
    return HF_OK;
}

int intake_user_disable(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__UserDisable *u = req->user_disable;
    const Huifang__V1__SessionClaims *me = hf_service_session(svc);
    if (me && strcmp(me->login, S(u->login)) == 0 && !u->enable)
        return hf_fail(rep, a, HF_BAD_INPUT, "login", "you cannot disable your own account");
    s_account_t acc = {0};
    int rc = s_managed(svc, S(u->login), &acc, rep, a);
    if (rc != HF_OK)
        return rc;
    const char *p[] = {acc.login, u->enable ? "f" : "t"};
    if (hf_store_query_run(hf_service_store(svc), &INTAKE_Q_USER_DISABLE, 2, p) != 0)
        return HF_UNAVAILABLE;
    if (!u->enable && s_revoke(svc, acc.login, "", 0) != 0)
        return HF_UNAVAILABLE;
    hf_info(u->enable ? "user_enabled" : "user_disabled", "login=%s", acc.login);
    acc.disabled = !u->enable;
    acc.failed = 0;
    acc.locked_until_ms = 0;
    rep->result_case = HUIFANG__V1__REPLY__RESULT_USER;
    rep->user = s_user_of(&acc, a);
    return HF_OK;
}

int intake_user_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                     hf_arena_t *a)
{
    (void)self;
    (void)req;
    const Huifang__V1__SessionClaims *me = hf_service_session(svc);
    PGresult *res = hf_store_query(hf_service_store(svc), &INTAKE_Q_USER_LIST, 0, NULL);
    if (res == NULL)
        return HF_UNAVAILABLE;
    int n = PQntuples(res);
    Huifang__V1__Users *out = hf_new(a, Huifang__V1__Users);
    huifang__v1__users__init(out);
    out->users = hf_new_array(a, Huifang__V1__User *, n ? n : 1);
    for (int i = 0; i < n; i++) {
        s_account_t acc = {0};
        snprintf(acc.login, sizeof acc.login, "%s", hf_pg_str(res, i, 0));
        snprintf(acc.name, sizeof acc.name, "%s", hf_pg_str(res, i, 1));
        snprintf(acc.role, sizeof acc.role, "%s", hf_pg_str(res, i, 2));
        acc.n_branches = s_split(hf_pg_str(res, i, 3), &acc.branches, a);
        acc.disabled = hf_pg_bool(res, i, 5);
        acc.failed = (int)hf_pg_int(res, i, 6);
        acc.locked_until_ms = hf_pg_int(res, i, 8);
        acc.created_ms = hf_pg_int(res, i, 9);
        acc.last_login_ms = hf_pg_int(res, i, 10);
        bool visible = me == NULL || strcmp(me->role, "admin") == 0;
        for (size_t j = 0; !visible && j < acc.n_branches; j++)
            visible = hf_session_in_branch(me, acc.branches[j]);
        if (visible)
            out->users[out->n_users++] = s_user_of(&acc, a);
    }
    PQclear(res);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_USERS;
    rep->users = out;
    return HF_OK;
}

/* ---- start-up ---- */

/* Reads a secret from a file only its owner may read: at most len-1 bytes, the trailing
 * newline dropped. 0, or -1 after a message on stderr. */
static int s_read_secret(const char *path, const char *what, char *out, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        fprintf(stderr, "huifang-intake: %s %s: cannot read it\n", what, path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (st.st_mode & 077) {
        close(fd);
        fprintf(stderr, "huifang-intake: %s %s: readable by others (chmod 600)\n", what, path);
        return -1;
    }
    ssize_t n = read(fd, out, len - 1);
    close(fd);
    if (n < 0)
        return -1;
    out[n] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

int intake_identity_init(hf_service_t *svc, intake_t *in)
{
    const hf_config_t *cfg = hf_service_config_of(svc);
    in->session_ttl_ms = hf_config_int(cfg, "session_ttl_ms");
    if (crypto_pwhash_str(s_dummy_hash, "-", 1, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return -1;
    const char *key = hf_config_str(cfg, "session_key_file");
    if (*key == '\0' && strcmp(hf_config_str(cfg, "auth"), "off") == 0)
        return 0; /* sessions off (benchmarks): nobody signs in */
    in->signing = true;
    if (*key == '\0') {
        fprintf(stderr, "huifang-intake: bad configuration: HUIFANG_SESSION_KEY_FILE is not set:"
                        " intake signs every session with it (huifang session keygen --dir DIR)\n");
        return -1;
    }
    char err[512];
    if (hf_session_load_secret(key, in->signing_key, err, sizeof err) != 0) {
        fprintf(stderr, "huifang-intake: bad configuration: HUIFANG_SESSION_KEY_FILE: %s\n", err);
        return -1;
    }
    /* the first admin, from a file, when there is none yet */
    const char *file = hf_config_str(cfg, "admin_password_file");
    if (*file == '\0')
        return 0;
    hf_store_t *st = hf_service_store(svc);
    PGresult *res = hf_store_query(st, &INTAKE_Q_IDENTITY_INIT_ACCOUNT, 0, NULL);
    if (res == NULL)
        return -1;
    int has = PQntuples(res);
    PQclear(res);
    if (has)
        return 0;
    char password[PASSWORD_MAX + 2], hash[crypto_pwhash_STRBYTES], now[24];
    if (s_read_secret(file, "HUIFANG_ADMIN_PASSWORD_FILE", password, sizeof password) != 0)
        return -1;
    if (strlen(password) < PASSWORD_MIN || strlen(password) > PASSWORD_MAX) {
        sodium_memzero(password, sizeof password);
        fprintf(stderr,
                "huifang-intake: HUIFANG_ADMIN_PASSWORD_FILE: a password has %d to %d "
                "characters\n",
                PASSWORD_MIN, PASSWORD_MAX);
        return -1;
    }
    int rc = s_hash(password, hash);
    sodium_memzero(password, sizeof password);
    if (rc != 0)
        return -1;
    const char *p[] = {hash, hf_pg_i64(now, hf_clock_real_ms())};
    rc = hf_store_query_run(st, &INTAKE_Q_IDENTITY_INIT_ACCOUNT_INSERT, 2, p);
    if (rc == 0)
        hf_info("admin_created", "login=admin");
    return rc;
}
