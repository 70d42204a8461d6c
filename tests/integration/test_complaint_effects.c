/* complaint's word-of-mouth rule over a batch of calllog's events, against real Postgres (its
 * library, in this process): the effects a batch's contacts report are kept and written in one
 * statement before the batch commits (the batch hook), and the rule reads a customer's kept
 * effect before the stored one. The same contacts — an effect "none" then a refusal in the same
 * batch (flagged), "none" then "good" then a refusal (not flagged: the later effect wins), "none"
 * then a repurchase call without an order (flagged), a refusal with no effect reported, "good"
 * alone, an effect reported on an earlier batch then a refusal — are applied to two alike sets
 * of customers, one contact a transaction without the hook (as before) and all in one
 * transaction with it; the customer_effect rows, the risk rows and the WordOfMouthRisk events
 * must be the same. */
#include "complaint_internal.h"
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_test.h"
#include <stdio.h>
#include <unistd.h>

#define BR "BJ01"
#define NCUST 6

static hf_service_t *s_svc;
static complaint_t s_self;
static hf_arena_t *s_arena;

/* One contact: whose (an index), its effect, purpose, whether refused, answered. */
typedef struct {
    int who;
    const char *effect;
    const char *purpose;
    bool refused;
} s_contact_t;

/* the contacts, in the order calllog logged them; the first two were logged in an earlier
 * batch (applied before the others in both runs) */
#define NEARLIER 1
static const s_contact_t s_contacts[] = {
    {5, "none", "follow-up", false}, /* earlier */
    {0, "none", "follow-up", false}, {1, "none", "follow-up", false},
    {2, "none", "follow-up", false}, {1, "good", "follow-up", false},
    {0, "", "follow-up", true},      {3, "", "follow-up", true},
    {2, "", "repurchase", false},    {1, "", "follow-up", true},
    {4, "good", "follow-up", false}, {5, "", "follow-up", true},
};
#define NCONTACTS ((int)(sizeof s_contacts / sizeof s_contacts[0]))

static hf_event_fn s_handler(void)
{
    for (const hf_event_handler_t *h = complaint_calllog_events; h->fn; h++)
        if (h->payload == HUIFANG__V1__ENVELOPE__PAYLOAD_CALL_LOGGED)
            return h->fn;
    return NULL;
}

/* Applies contacts [from, to) for customers ids (contact id base + k): in one transaction with
 * the batch hook when batched, else one transaction each without it. */
static void s_apply(const int64_t *ids, int64_t base, int from, int to, bool batched)
{
    hf_store_t *st = hf_service_store(s_svc);
    hf_event_fn fn = s_handler();
    if (batched)
        CHECK_INT(hf_store_begin(st), 0);
    for (int k = from; k < to; k++) {
        const s_contact_t *c = &s_contacts[k];
        Huifang__V1__OutcomeFlags f = HUIFANG__V1__OUTCOME_FLAGS__INIT;
        f.human_answered = true;
        f.contacted = true;
        f.do_not_call = c->refused;
        Huifang__V1__Contact ct = HUIFANG__V1__CONTACT__INIT;
        ct.id = base + k;
        ct.customer_id = ids[c->who];
        ct.branch = BR;
        ct.agent = "A1";
        ct.purpose = (char *)c->purpose;
        ct.outcome = c->refused ? "refused" : "connected";
        ct.effect = (char *)c->effect;
        ct.flags = &f;
        ct.logged_at_ms = hf_clock_now_ms();
        Huifang__V1__CallLogged ev = HUIFANG__V1__CALL_LOGGED__INIT;
        ev.contact = &ct;
        hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
        env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CALL_LOGGED;
        env.call_logged = &ev;
        env.branch = BR;
        if (!batched)
            CHECK_INT(hf_store_begin(st), 0);
        CHECK_INT(fn(s_svc, &s_self, &env, s_arena), 0);
        hf_arena_reset(s_arena);
        if (!batched)
            CHECK_INT(hf_store_commit(st), 0);
    }
    if (batched) {
        CHECK_INT(complaint_events_batch(s_svc, &s_self, true), 0);
        CHECK_INT(hf_store_commit(st), 0);
    }
}

/* Customer id's effect and risk as text, contacts counted from base. */
static char *s_state(int64_t id, int64_t base, char *out, size_t outlen)
{
    char b[24], i[24];
    const char *p[] = {hf_pg_i64(i, id), hf_pg_i64(b, base)};
    PGresult *r = hf_store_exec(
        hf_service_store(s_svc),
        "SELECT coalesce((SELECT effect || ' ' || (contact_id - $2::bigint) FROM customer_effect"
        " WHERE customer_id = $1::bigint), '-') || ' / ' || coalesce((SELECT reason || ' ' ||"
        " (no_effect_contact - $2::bigint) || ' ' || (refusal_contact - $2::bigint) FROM risk"
        " WHERE customer_id = $1::bigint), '-')",
        2, p);
    out[0] = '\0';
    if (r && PQntuples(r))
        snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
    if (r)
        PQclear(r);
    return out;
}

/* The events after seq from up to seq to, one line each, customers by index. */
static char *s_risks_text(int64_t from, int64_t to, const int64_t *ids, int64_t base, char *out,
                          size_t len)
{
    char f[24], t[24];
    const char *p[] = {hf_pg_i64(f, from), hf_pg_i64(t, to)};
    PGresult *r = hf_store_execv(hf_service_store(s_svc),
                                 "SELECT body FROM outbox WHERE producer = 'complaint'"
                                 " AND seq > $1::bigint AND seq <= $2::bigint ORDER BY seq",
                                 2, p, NULL, NULL, 1);
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; r && i < PQntuples(r); i++) {
        hf_envelope_t *e = huifang__v1__envelope__unpack(NULL, (size_t)PQgetlength(r, i, 0),
                                                         (const uint8_t *)PQgetvalue(r, i, 0));
        if (e == NULL)
            continue;
        int who = -1;
        const Huifang__V1__WordOfMouthRisk *w = e->word_of_mouth_risk;
        for (int k = 0; w && k < NCUST; k++)
            if (ids[k] == w->customer_id)
                who = k;
        if (w)
            used += (size_t)snprintf(out + used, len - used, "risk %d %s %lld %lld\n", who,
                                     w->reason, (long long)(w->no_effect_contact_id - base),
                                     (long long)(w->refusal_contact_id - base));
        else
            used += (size_t)snprintf(out + used, len - used, "%s\n", hf_envelope_payload_name(e));
        huifang__v1__envelope__free_unpacked(e, NULL);
        if (used >= len)
            break;
    }
    if (r)
        PQclear(r);
    return out;
}

static int64_t s_last_seq(void)
{
    PGresult *r =
        hf_store_exec(hf_service_store(s_svc), "SELECT coalesce(max(seq), 0) FROM outbox", 0, NULL);
    int64_t v = r && PQntuples(r) ? atoll(PQgetvalue(r, 0, 0)) : -1;
    if (r)
        PQclear(r);
    return v;
}

int main(void)
{
    hf_log_init("test_complaint_effects", "warn");
    setenv("HUIFANG_CURVE", "off", 1);
    char url[256];
    hf_test_create_db("complaint_effects", url);
    const char *redis = hf_test_env("HUIFANG_TEST_REDIS_URL");
    /* nothing connects to this instance: any free port will do */
    setenv("HUIFANG_COMPLAINT_BIND", "tcp://127.0.0.1:*", 1);
    setenv("HUIFANG_COMPLAINT_EVENTS_BIND", "tcp://127.0.0.1:*", 1);
    setenv("HUIFANG_COMPLAINT_STORE_URL", url, 1);
    setenv("HUIFANG_REDIS_URL", redis, 1);
    setenv("HUIFANG_LOG_LEVEL", "error", 1);
    s_arena = hf_arena_new();
    char *argv[] = {"huifang-complaint", NULL};
    if (hf_service_new(&s_svc, &complaint_def, &s_self, 1, argv) != 0) {
        fprintf(stderr, "could not start the complaint service\n");
        return 2;
    }
    complaint_init(&s_self, s_svc);
    int64_t a[NCUST], b[NCUST];
    for (int i = 0; i < NCUST; i++) {
        a[i] = 7100 + i;
        b[i] = 7200 + i;
    }

    TEST_STEP("A. one contact a transaction, effects written at once");
    int64_t mark_a = s_last_seq();
    s_apply(a, 1000, 0, NCONTACTS, false);
    int64_t mark_b = s_last_seq();

    TEST_STEP("B. the same contacts in a batch, effects kept and written before it commits");
    CHECK_INT(complaint_events_init(s_svc), 0);
    s_apply(b, 2000, 0, NEARLIER, true);
    s_apply(b, 2000, NEARLIER, NCONTACTS, true);

    TEST_STEP("the same effects and risks, the same events");
    char got[256], want[256];
    for (int i = 0; i < NCUST; i++)
        CHECK_STR(s_state(b[i], 2000, got, sizeof got), s_state(a[i], 1000, want, sizeof want));
    static char ra[2048], rb[2048];
    s_risks_text(mark_a, mark_b, a, 1000, ra, sizeof ra);
    CHECK_STR(s_risks_text(mark_b, s_last_seq(), b, 2000, rb, sizeof rb), ra);
    /* and what the rule means */
    CHECK_STR(s_state(b[0], 2000, got, sizeof got),
              "none 1 / reported no effect, then refused further contact 1 5");
    CHECK_STR(s_state(b[1], 2000, got, sizeof got), "good 4 / -");
    CHECK_STR(s_state(b[2], 2000, got, sizeof got),
              "none 3 / reported no effect, then took no order on the repurchase call 3 7");
    CHECK_STR(s_state(b[3], 2000, got, sizeof got), "- / -");
    CHECK_STR(s_state(b[4], 2000, got, sizeof got), "good 9 / -");
    CHECK_STR(s_state(b[5], 2000, got, sizeof got),
              "none 0 / reported no effect, then refused further contact 0 10");
    CHECK_INT((int)(s_last_seq() - mark_b), 3);
    if (hf_test_failures)
        fprintf(stderr, "one a transaction:\n%s\nin a batch:\n%s\n", ra, rb);

    hf_service_destroy(&s_svc);
    complaint_events_release();
    complaint_release(&s_self);
    hf_arena_destroy(&s_arena);
    hf_test_drop_db(url);
    TEST_DONE();
}
