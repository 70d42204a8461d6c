/* hf_session: signed session tokens, their verification with a cache, and revocations.
 * See hf_session.h for the token's shape. */
#include "hf_session.h"
#include "hf_clock.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_PREFIX "hf1."
#define S_PREFIX_LEN 4
#define S_CACHE_SETS 1024 /* 4-way set associative: 4,096 sessions stay verified */
#define S_CACHE_WAYS 4
#define S_HASH_LEN 16

/* ---- roles ---- */

static const char *const s_roles[] = {"phone", "consult", "visit",   "doctor", "deliver",
                                      "lead",  "head",    "manager", "hq",     "admin"};
#define S_NROLES (sizeof s_roles / sizeof s_roles[0])

unsigned hf_role_bit(const char *name)
{
    for (size_t i = 0; name && i < S_NROLES; i++)
        if (strcmp(name, s_roles[i]) == 0)
            return 1u << i;
    return 0;
}

const char *hf_role_name(unsigned bit)
{
    for (size_t i = 0; i < S_NROLES; i++)
        if (bit == 1u << i)
            return s_roles[i];
    return "";
}

const char *hf_roles_describe(unsigned mask, char *out, size_t len)
{
    const char *words[S_NROLES + 1];
    size_t total = 0;
    if ((mask & HF_ROLES_FRONT) == HF_ROLES_FRONT) {
        words[total++] = "any agent"; /* phone, consult, visit, doctor, deliver, lead */
        mask &= ~(unsigned)HF_ROLES_FRONT;
    }
    for (size_t i = 0; i < S_NROLES; i++)
        if ((mask >> i) & 1u)
            words[total++] = s_roles[i];
    out[0] = '\0';
    size_t n = 0;
    for (size_t i = 0; i < total && n < len; i++) {
        const char *sep = i == 0 ? "" : i + 1 == total ? " or " : ", ";
        int w = snprintf(out + n, len - n, "%s%s", sep, words[i]);
        if (w < 0)
            break;
        n += (size_t)w;
    }
    if (total == 0)
        snprintf(out, len, "(no role)");
    return out;
}

/* ---- keys ---- */

/* Writes "what: why" into err; returns -1. */
static int s_err(char *err, size_t errlen, const char *what, const char *why)
{
    snprintf(err, errlen, "%s: %s", what, why);
    return -1;
}

static int s_write_key(const char *path, const uint8_t *key, size_t len, mode_t mode, bool force,
                       char *err, size_t errlen)
{
    char text[256];
    sodium_bin2base64(text, sizeof text, key, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    int flags = O_WRONLY | O_CREAT | (force ? O_TRUNC : O_EXCL);
    int fd = open(path, flags, mode);
    if (fd < 0)
        return s_err(err, errlen, path,
                     errno == EEXIST ? "exists already (remove it first, or --force)"
                                     : strerror(errno));
    size_t tl = strlen(text);
    text[tl++] = '\n';
    bool ok = fchmod(fd, mode) == 0 && write(fd, text, tl) == (ssize_t)tl;
    sodium_memzero(text, sizeof text);
    if (close(fd) != 0 || !ok)
        return s_err(err, errlen, path, "could not write the key");
    return 0;
}

int hf_session_keygen(const char *dir, bool force, char *err, size_t errlen)
{
    if (sodium_init() < 0)
        return s_err(err, errlen, "libsodium", "could not start");
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_keypair(pk, sk);
    char path[4096];
    snprintf(path, sizeof path, "%s/session.key", dir);
    int rc = s_write_key(path, sk, sizeof sk, 0600, force, err, errlen);
    sodium_memzero(sk, sizeof sk);
    if (rc != 0)
        return -1;
    snprintf(path, sizeof path, "%s/session.pub", dir);
    return s_write_key(path, pk, sizeof pk, 0644, force, err, errlen);
}

/* Reads one base64url line of exactly len bytes from path into key. */
static int s_read_key(const char *path, uint8_t *key, size_t len, bool secret, char *err,
                      size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return s_err(err, errlen, path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return s_err(err, errlen, path, "not a regular file");
    }
    if (secret && (st.st_mode & 077)) {
        close(fd);
        return s_err(err, errlen, path,
                     "a secret key must be readable by its owner only (chmod 600)");
    }
    char text[512];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0 || (size_t)n >= sizeof text - 1) {
        sodium_memzero(text, sizeof text);
        return s_err(err, errlen, path, "not a key file (empty or too long)");
    }
    text[n] = '\0';
    text[strcspn(text, "\r\n")] = '\0';
    size_t got = 0;
    int rc = sodium_base642bin(key, len, text, strlen(text), NULL, &got, NULL,
                               sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(text, sizeof text);
    if (rc != 0 || got != len)
        return s_err(err, errlen, path,
                     secret ? "not a session secret key (huifang session keygen makes one)"
                            : "not a session public key (huifang session keygen makes one)");
    return 0;
}

int hf_session_load_public(const char *path, uint8_t pk[crypto_sign_PUBLICKEYBYTES], char *err,
                           size_t errlen)
{
    return s_read_key(path, pk, crypto_sign_PUBLICKEYBYTES, false, err, errlen);
}

int hf_session_load_secret(const char *path, uint8_t sk[crypto_sign_SECRETKEYBYTES], char *err,
                           size_t errlen)
{
    return s_read_key(path, sk, crypto_sign_SECRETKEYBYTES, true, err, errlen);
}

/* ---- tokens ---- */

char *hf_session_sign(const Huifang__V1__SessionClaims *claims,
                      const uint8_t sk[crypto_sign_SECRETKEYBYTES])
{
    size_t clen = huifang__v1__session_claims__get_packed_size(claims);
    if (clen > HF_SESSION_MAX_CLAIMS || sodium_init() < 0)
        return NULL;
    uint8_t signed_part[S_PREFIX_LEN + HF_SESSION_MAX_CLAIMS];
    memcpy(signed_part, S_PREFIX, S_PREFIX_LEN);
    huifang__v1__session_claims__pack(claims, signed_part + S_PREFIX_LEN);
    uint8_t sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, signed_part, S_PREFIX_LEN + clen, sk);
    size_t b1 = sodium_base64_ENCODED_LEN(clen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    size_t b2 = sodium_base64_ENCODED_LEN(sizeof sig, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = malloc(S_PREFIX_LEN + b1 + 1 + b2);
    if (out == NULL)
        return NULL;
    memcpy(out, S_PREFIX, S_PREFIX_LEN);
    sodium_bin2base64(out + S_PREFIX_LEN, b1, signed_part + S_PREFIX_LEN, clen,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    size_t n = strlen(out);
    out[n++] = '.';
    sodium_bin2base64(out + n, b2, sig, sizeof sig, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

const char *hf_session_status_text(hf_session_status_t status)
{
    switch (status) {
    case HF_SESSION_OK:
        return "valid";
    case HF_SESSION_MISSING:
        return "no session (huifang login)";
    case HF_SESSION_MALFORMED:
        return "the session is not a Huifang session token";
    case HF_SESSION_FORGED:
        return "the session's signature does not verify (tampered or forged)";
    case HF_SESSION_EXPIRED:
        return "the session has expired (huifang login again)";
    case HF_SESSION_REVOKED:
        return "the session was revoked (logged out, password changed or person disabled)";
    }
    return "invalid session";
}

/* ---- the verifier: cache and revocations ---- */

typedef struct {
    uint8_t hash[S_HASH_LEN];
    Huifang__V1__SessionClaims *claims; /* unpacked, owned; NULL: empty slot */
    uint64_t used;                      /* when last found or stored: the oldest goes */
} s_slot_t;

/* An open-addressing map from a string (a login or a session id) to a time. */
typedef struct {
    char **keys;
    int64_t *values;
    size_t cap, n;
} s_map_t;

struct hf_verifier_t {
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    uint8_t hash_key[crypto_generichash_KEYBYTES]; /* random: cache keys nobody can aim at */
    s_slot_t cache[S_CACHE_SETS][S_CACHE_WAYS];
    uint64_t tick;
    s_map_t not_before; /* login -> sessions issued before this are void */
    s_map_t jtis;       /* revoked session id -> when it would have expired */
    uint64_t signature_checks;
};

static uint64_t s_fnv(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static int64_t *s_map_find(s_map_t *m, const char *key)
{
    if (m->cap == 0)
        return NULL;
    for (size_t i = s_fnv(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == NULL)
            return NULL;
        if (strcmp(m->keys[i], key) == 0)
            return &m->values[i];
    }
}

static void s_map_free(s_map_t *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->values);
    memset(m, 0, sizeof *m);
}

/* Inserts or raises key's value to at least value. Returns 0 or -1 (out of memory). */
/* Inserts or raises key's value to at least value. Before the map grows, the entries whose
 * value is below stale are dropped (a revocation nobody can present a session for any more),
 * so the map stays as big as what still matters. Returns 0 or -1 (out of memory). */
static int s_map_raise(s_map_t *m, const char *key, int64_t value, int64_t stale)
{
    int64_t *v = s_map_find(m, key);
    if (v) {
        if (*v < value)
            *v = value;
        return 0;
    }
    if ((m->n + 1) * 2 > m->cap) {
        size_t live = 0;
        for (size_t i = 0; i < m->cap; i++)
            live += m->keys[i] != NULL && m->values[i] >= stale;
        s_map_t bigger = {0};
        bigger.cap = m->cap ? m->cap : 64;
        while ((live + 1) * 2 > bigger.cap)
            bigger.cap *= 2;
        bigger.keys = calloc(bigger.cap, sizeof *bigger.keys);
        bigger.values = calloc(bigger.cap, sizeof *bigger.values);
        if (bigger.keys == NULL || bigger.values == NULL) {
            free(bigger.keys);
            free(bigger.values);
            return -1;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (m->keys[i] == NULL)
                continue;
            if (m->values[i] < stale) {
                free(m->keys[i]);
                continue;
            }
            size_t j = s_fnv(m->keys[i]) & (bigger.cap - 1);
            while (bigger.keys[j])
                j = (j + 1) & (bigger.cap - 1);
            bigger.keys[j] = m->keys[i];
            bigger.values[j] = m->values[i];
            bigger.n++;
        }
        free(m->keys);
        free(m->values);
        *m = bigger;
    }
    char *k = strdup(key);
    if (k == NULL)
        return -1;
    size_t i = s_fnv(key) & (m->cap - 1);
    while (m->keys[i])
        i = (i + 1) & (m->cap - 1);
    m->keys[i] = k;
    m->values[i] = value;
    m->n++;
    return 0;
}

hf_verifier_t *hf_verifier_new(const uint8_t pk[crypto_sign_PUBLICKEYBYTES])
{
    if (sodium_init() < 0)
        abort();
    hf_verifier_t *self = calloc(1, sizeof *self);
    if (self == NULL)
        abort();
    memcpy(self->pk, pk, sizeof self->pk);
    randombytes_buf(self->hash_key, sizeof self->hash_key);
    return self;
}

void hf_verifier_destroy(hf_verifier_t **self_p)
{
    hf_verifier_t *self = self_p ? *self_p : NULL;
    if (self == NULL)
        return;
    for (int i = 0; i < S_CACHE_SETS; i++)
        for (int w = 0; w < S_CACHE_WAYS; w++)
            if (self->cache[i][w].claims)
                huifang__v1__session_claims__free_unpacked(self->cache[i][w].claims, NULL);
    s_map_free(&self->not_before);
    s_map_free(&self->jtis);
    free(self);
    *self_p = NULL;
}

uint64_t hf_verifier_signature_checks(const hf_verifier_t *self)
{
    return self->signature_checks;
}

void hf_verifier_revoke(hf_verifier_t *self, const char *login, int64_t not_before_ms,
                        const char *jti, int64_t expires_ms)
{
    int64_t now = hf_clock_real_ms();
    /* a revoked session past its end, or a person's cut-off older than the longest session,
     * voids nothing any more */
    if (jti && *jti)
        s_map_raise(&self->jtis, jti, expires_ms, now);
    else if (login && *login)
        s_map_raise(&self->not_before, login, not_before_ms, now - HF_SESSION_MAX_TTL_MS);
}

/* Verifies the signature and unpacks; NULL after setting *why. */
static Huifang__V1__SessionClaims *s_verify(hf_verifier_t *self, const char *token, size_t len,
                                            hf_session_status_t *why)
{
    *why = HF_SESSION_MALFORMED;
    const char *dot = memchr(token + S_PREFIX_LEN, '.', len - S_PREFIX_LEN);
    if (dot == NULL)
        return NULL;
    uint8_t signed_part[S_PREFIX_LEN + HF_SESSION_MAX_CLAIMS];
    size_t clen = 0, slen = 0;
    uint8_t sig[crypto_sign_BYTES];
    memcpy(signed_part, S_PREFIX, S_PREFIX_LEN);
    const char *b1 = token + S_PREFIX_LEN;
    if (sodium_base642bin(signed_part + S_PREFIX_LEN, HF_SESSION_MAX_CLAIMS, b1, (size_t)(dot - b1),
                          NULL, &clen, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        sodium_base642bin(sig, sizeof sig, dot + 1, len - (size_t)(dot + 1 - token), NULL, &slen,
                          NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        slen != sizeof sig || clen == 0)
        return NULL;
    self->signature_checks++;
    if (crypto_sign_verify_detached(sig, signed_part, S_PREFIX_LEN + clen, self->pk) != 0) {
        *why = HF_SESSION_FORGED;
        return NULL;
    }
    Huifang__V1__SessionClaims *c =
        huifang__v1__session_claims__unpack(NULL, clen, signed_part + S_PREFIX_LEN);
    if (c == NULL || c->login == NULL || !*c->login || hf_role_bit(c->role) == 0 ||
        c->n_branches > HF_SESSION_MAX_BRANCHES || c->expires_ms <= 0) {
        if (c)
            huifang__v1__session_claims__free_unpacked(c, NULL);
        return NULL;
    }
    return c;
}

hf_session_status_t hf_verifier_check(hf_verifier_t *self, const char *token, int64_t now_ms,
                                      const Huifang__V1__SessionClaims **claims)
{
    *claims = NULL;
    if (token == NULL || *token == '\0')
        return HF_SESSION_MISSING;
    size_t len = strnlen(token, HF_SESSION_MAX_TOKEN + 1);
    if (len > HF_SESSION_MAX_TOKEN || len < S_PREFIX_LEN + 2 ||
        memcmp(token, S_PREFIX, S_PREFIX_LEN) != 0)
        return HF_SESSION_MALFORMED;
    uint8_t hash[S_HASH_LEN];
    crypto_generichash(hash, sizeof hash, (const uint8_t *)token, len, self->hash_key,
                       sizeof self->hash_key);
    uint32_t set_no;
    memcpy(&set_no, hash, sizeof set_no);
    s_slot_t *set = self->cache[set_no % S_CACHE_SETS], *slot = NULL, *oldest = &set[0];
    for (int w = 0; w < S_CACHE_WAYS && slot == NULL; w++) {
        if (set[w].claims && memcmp(set[w].hash, hash, sizeof hash) == 0)
            slot = &set[w];
        else if (set[w].used < oldest->used)
            oldest = &set[w];
    }
    Huifang__V1__SessionClaims *c = NULL;
    if (slot) {
        c = slot->claims;
    } else {
        hf_session_status_t why;
        c = s_verify(self, token, len, &why);
        if (c == NULL)
            return why;
        slot = oldest;
        if (slot->claims)
            huifang__v1__session_claims__free_unpacked(slot->claims, NULL);
        memcpy(slot->hash, hash, sizeof hash);
        slot->claims = c;
    }
    slot->used = ++self->tick;
    if (c->expires_ms <= now_ms)
        return HF_SESSION_EXPIRED;
    const int64_t *nb = s_map_find(&self->not_before, c->login);
    if ((nb && c->issued_ms < *nb) || (c->jti && *c->jti && s_map_find(&self->jtis, c->jti)))
        return HF_SESSION_REVOKED;
    *claims = c;
    return HF_SESSION_OK;
}

bool hf_session_in_branch(const Huifang__V1__SessionClaims *claims, const char *branch)
{
    if (strcmp(claims->role, "admin") == 0 && claims->n_branches == 0)
        return true;
    for (size_t i = 0; branch && i < claims->n_branches; i++)
        if (strcmp(claims->branches[i], branch) == 0)
            return true;
    return false;
}
