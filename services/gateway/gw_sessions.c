/* gw_sessions: the browser sessions of one gateway process, and its login attempts.
 *
 * The cookie holds a random id, never the token itself: the token (which every service
 * accepts) stays in this process, so a cookie that leaks from a browser is worth nothing
 * once the person logs out here, and a script on the page cannot read either (HttpOnly).
 * The CSRF token is a second random value the page reads from GET /api/v1/session and sends
 * back in X-CSRF-Token on every change; a page of another site can make the browser send
 * the cookie (SameSite=Strict already stops most of that) but cannot read the value.
 *
 * A second instance behind a load balancer has its own table: sticky sessions, or a new
 * login when the balancer moves a browser. */
#include "gateway.h"
#include "hf_clock.h"
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 1024
#define RATE_SLOTS 1024
#define RATE_WINDOW_MS 60000

typedef struct entry_t {
    struct entry_t *next;
    char id[GW_ID_LEN + 1];
    int64_t expires_ms; /* UTC ms on the real clock (never a manual one), from the claims */
    gw_session_t s;
} entry_t;

typedef struct {
    char ip[48];
    int64_t window_ms; /* start of the current minute, monotonic ms */
    int count;
} rate_t;

struct gw_sessions_t {
    pthread_mutex_t lock;
    entry_t *buckets[BUCKETS];
    int count, max;
    int logins_per_minute;
    rate_t rates[RATE_SLOTS];
};

gw_sessions_t *gw_sessions_new(int max, int logins_per_minute)
{
    gw_sessions_t *self = calloc(1, sizeof *self);
    if (self == NULL)
        return NULL;
    pthread_mutex_init(&self->lock, NULL);
    self->max = max;
    self->logins_per_minute = logins_per_minute;
    return self;
}

void gw_sessions_destroy(gw_sessions_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    gw_sessions_t *self = *self_p;
    for (int b = 0; b < BUCKETS; b++) {
        for (entry_t *e = self->buckets[b], *next; e; e = next) {
            next = e->next;
            sodium_memzero(e, sizeof *e);
            free(e);
        }
    }
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

/* The bucket of an id: its first hex digits, which are random. */
static unsigned s_bucket(const char *id)
{
    return (unsigned)strtoul((char[9]){id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7], 0},
                             NULL, 16) %
           BUCKETS;
}

static void s_random_hex(char *out)
{
    unsigned char raw[GW_ID_LEN / 2];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, GW_ID_LEN + 1, raw, sizeof raw);
}

static bool s_valid_id(const char *id)
{
    if (id == NULL || strlen(id) != GW_ID_LEN)
        return false;
    return strspn(id, "0123456789abcdef") == GW_ID_LEN;
}

/* Removes every expired session; with the lock held. */
static void s_sweep(gw_sessions_t *self, int64_t now)
{
    for (int b = 0; b < BUCKETS; b++) {
        entry_t **pp = &self->buckets[b];
        while (*pp) {
            entry_t *e = *pp;
            if (e->expires_ms <= now) {
                *pp = e->next;
                sodium_memzero(e, sizeof *e);
                free(e);
                self->count--;
            } else {
                pp = &e->next;
            }
        }
    }
}

int gw_sessions_add(gw_sessions_t *self, const char *token,
                    const Huifang__V1__SessionClaims *claims, char *id, char *csrf)
{
    if (strlen(token) > HF_SESSION_MAX_TOKEN)
        return -1;
    entry_t *e = calloc(1, sizeof *e);
    if (e == NULL)
        return -1;
    s_random_hex(e->id);
    s_random_hex(e->s.csrf);
    snprintf(e->s.token, sizeof e->s.token, "%s", token);
    snprintf(e->s.login, sizeof e->s.login, "%s", claims->login ? claims->login : "");
    snprintf(e->s.role, sizeof e->s.role, "%s", claims->role ? claims->role : "");
    snprintf(e->s.branch, sizeof e->s.branch, "%s",
             claims->n_branches > 0 && claims->branches[0] ? claims->branches[0] : "");
    if (claims->n_branches > 0) {
        size_t n = 0;
        e->s.branches[n++] = ',';
        for (size_t i = 0; i < claims->n_branches; i++) {
            size_t len = strlen(claims->branches[i]);
            if (n + len + 2 > sizeof e->s.branches)
                break; /* more branches than a person has: the first ones */
            memcpy(e->s.branches + n, claims->branches[i], len);
            n += len;
            e->s.branches[n++] = ',';
        }
        e->s.branches[n] = '\0';
    }
    e->expires_ms = claims->expires_ms;
    pthread_mutex_lock(&self->lock);
    if (self->count >= self->max)
        s_sweep(self, hf_clock_real_ms());
    if (self->count >= self->max) {
        pthread_mutex_unlock(&self->lock);
        sodium_memzero(e, sizeof *e);
        free(e);
        return -1;
    }
    unsigned b = s_bucket(e->id);
    e->next = self->buckets[b];
    self->buckets[b] = e;
    self->count++;
    memcpy(id, e->id, GW_ID_LEN + 1);
    memcpy(csrf, e->s.csrf, GW_ID_LEN + 1);
    pthread_mutex_unlock(&self->lock);
    return 0;
}

int gw_sessions_get(gw_sessions_t *self, const char *id, gw_session_t *out)
{
    if (!s_valid_id(id))
        return -1;
    int rc = -1;
    int64_t now =
        hf_clock_real_ms(); /* sessions follow the real time, as the services check them */
    pthread_mutex_lock(&self->lock);
    for (entry_t **pp = &self->buckets[s_bucket(id)]; *pp; pp = &(*pp)->next) {
        entry_t *e = *pp;
        if (sodium_memcmp(e->id, id, GW_ID_LEN) != 0)
            continue;
        if (e->expires_ms <= now) {
            *pp = e->next;
            sodium_memzero(e, sizeof *e);
            free(e);
            self->count--;
        } else {
            *out = e->s;
            rc = 0;
        }
        break;
    }
    pthread_mutex_unlock(&self->lock);
    return rc;
}

void gw_sessions_note(gw_sessions_t *self, const char *id, const char *producer, const char *epoch,
                      uint64_t seq)
{
    if (!s_valid_id(id) || producer == NULL || epoch == NULL || seq == 0 || strlen(producer) == 0 ||
        strlen(producer) >= sizeof(((gw_position_t *)0)->producer) ||
        strlen(epoch) >= sizeof(((gw_position_t *)0)->epoch))
        return;
    pthread_mutex_lock(&self->lock);
    for (entry_t *e = self->buckets[s_bucket(id)]; e; e = e->next) {
        if (sodium_memcmp(e->id, id, GW_ID_LEN) != 0)
            continue;
        gw_position_t *p = NULL;
        for (int i = 0; i < e->s.n_positions && p == NULL; i++)
            if (strcmp(e->s.positions[i].producer, producer) == 0)
                p = &e->s.positions[i];
        if (p == NULL && e->s.n_positions < GW_POSITIONS)
            p = &e->s.positions[e->s.n_positions++];
        /* the same epoch: only forward (two requests of the session may answer out of
         * order); another epoch: the one just seen, the producer's current stream */
        if (p != NULL &&
            (strcmp(p->producer, producer) != 0 || strcmp(p->epoch, epoch) != 0 || seq > p->seq)) {
            snprintf(p->producer, sizeof p->producer, "%s", producer);
            snprintf(p->epoch, sizeof p->epoch, "%s", epoch);
            p->seq = seq;
        }
        break;
    }
    pthread_mutex_unlock(&self->lock);
}

void gw_sessions_forget(gw_sessions_t *self, const char *id)
{
    if (!s_valid_id(id))
        return;
    pthread_mutex_lock(&self->lock);
    for (entry_t **pp = &self->buckets[s_bucket(id)]; *pp; pp = &(*pp)->next) {
        entry_t *e = *pp;
        if (sodium_memcmp(e->id, id, GW_ID_LEN) == 0) {
            *pp = e->next;
            sodium_memzero(e, sizeof *e);
            free(e);
            self->count--;
            break;
        }
    }
    pthread_mutex_unlock(&self->lock);
}

/* Login attempts: a fixed one-minute window per address, in a table of slots by a hash of
 * the address. Two addresses that share a slot share one budget (stricter, never looser);
 * the budget is small and the window short, so that is rare and brief. Monotonic time: the
 * manual clock of a demo or a test does not move while attempts pile up. */
bool gw_sessions_login_allowed(gw_sessions_t *self, const char *ip, int *retry_s)
{
    unsigned h = 5381;
    for (const char *p = ip; *p; p++)
        h = h * 33 + (unsigned char)*p;
    int64_t now = hf_clock_mono_ms();
    bool ok;
    pthread_mutex_lock(&self->lock);
    rate_t *r = &self->rates[h % RATE_SLOTS];
    if (strcmp(r->ip, ip) != 0 && now - r->window_ms >= RATE_WINDOW_MS) {
        snprintf(r->ip, sizeof r->ip, "%s", ip);
        r->count = 0;
        r->window_ms = now;
    }
    if (now - r->window_ms >= RATE_WINDOW_MS) {
        r->window_ms = now;
        r->count = 0;
    }
    ok = r->count < self->logins_per_minute;
    if (ok)
        r->count++;
    else
        *retry_s = (int)((r->window_ms + RATE_WINDOW_MS - now + 999) / 1000);
    pthread_mutex_unlock(&self->lock);
    return ok;
}
