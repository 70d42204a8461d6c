/* intake's calls a batch at a time, against real Postgres and ZeroMQ: the common calls of a
 * batch of calllog's events (no order, no referral) are applied together, one statement
 * folding each customer's calls (INTAKE_Q_CALLS_CUSTOMERS), and their events sent afterwards
 * call by call. This proves the batch changes nothing but the cost: the same mixed run of
 * calls — two and three calls of one customer, refusals (hostile, refused, a second one that
 * changes nothing), first contacts of new cards, a call that talks and refuses at once, a call
 * to a void card, an earlier call logged after a later one, and an order among them — is
 * applied to two alike sets of customers:
 *  A. one call at a time, the way intake applied every call before (no batch hook: each call
 *     its own statement), waiting for each;
 *  B. all in one batch: intake stopped while the calls are produced, then started with its
 *     batch hook (intake_consume_init), so that it catches up on them at once;
 * and the two must leave the same rows (card, void reason, opt-out and its reason, last
 * contact, tier, spend, purchases) and emit the same events, in the same order, with the same
 * content (the customer as each event carries it, stage included) and the correlation id of
 * the call each one tells;
 *  C. and a batch with a call of a merged customer (which the batch's statement cannot
 *     apply: nothing written, the calls then one at a time, the merge followed) leaves what
 *     the calls mean, their events in order with their calls' correlation ids. */
#include "hf_bus.h"
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_outbox.h"
#include "hf_service.h"
#include "hf_store.h"
#include "hf_test.h"
#include "hf_test_stack.h"
#include "intake.h"
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>

#define NCUST 5 /* X, Y, Z, W, V: W takes the order */
#define NCALLS 11

static char s_url[256];
static char s_endpoint[64];

static const hf_migration_t s_none[] = {{0, NULL, NULL}};
static const hf_command_t s_no_commands[] = {{0, NULL, false, 0}};
static const hf_service_def_t s_fake_calllog = {.name = "calllog",
                                                .summary = "a stand-in producer",
                                                .migrations = s_none,
                                                .commands = s_no_commands};

static const char *const s_env[] = {"HUIFANG_HEARTBEAT_MS=200", "HUIFANG_LOG_LEVEL=warn",
                                    "HUIFANG_CLOCK=real", NULL};

/* intake as it ran before: every call on its own */
static int s_attach_single(hf_service_t *svc, const hf_service_def_t *def)
{
    return hf_service_attach(svc, def);
}

/* intake as the service runs: the common calls of a batch together */
static int s_attach_batched(hf_service_t *svc, const hf_service_def_t *def)
{
    if (intake_consume_init(svc) != 0)
        return -1;
    return hf_service_attach(svc, def);
}

static pid_t s_start(const hf_service_def_t *def,
                     int (*setup)(hf_service_t *, const hf_service_def_t *))
{
    hf_test_child_t child = {.store_url = s_url, .env = s_env, .setup = setup};
    return hf_test_start(def, &child);
}

static hf_reply_t *s_call(hf_request_t *req)
{
    hf_client_t *c = hf_client_new(s_endpoint, 5000, 2);
    hf_reply_t *rep = NULL;
    if (hf_client_call(c, req, &rep) != 0)
        rep = NULL;
    hf_client_destroy(&c);
    return rep;
}

static void s_call_ok(hf_request_t *req)
{
    hf_reply_t *rep = s_call(req);
    CHECK(rep && rep->status == HF_OK);
    if (rep)
        huifang__v1__reply__free_unpacked(rep, NULL);
}

static int64_t s_lead(const char *name, const char *phone)
{
    Huifang__V1__LeadAdd l = HUIFANG__V1__LEAD_ADD__INIT;
    l.name = (char *)name;
    l.phone = (char *)phone;
    l.channel = "counter";
    l.baby_birth = "2026-01-15"; /* a stage for the events to carry */
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    req.branch = "BJ01";
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_LEAD_ADD;
    req.lead_add = &l;
    hf_reply_t *rep = s_call(&req);
    int64_t id = rep && rep->status == HF_OK && rep->lead ? rep->lead->customer->id : 0;
    if (rep)
        huifang__v1__reply__free_unpacked(rep, NULL);
    CHECK(id > 0);
    return id;
}

/* The first value of a query on intake's schema, as text ("" when no row). */
static char *s_query(const char *sql, char *out, size_t outlen)
{
    hf_store_t *st = hf_store_new(s_url, "intake");
    out[0] = '\0';
    if (hf_store_connect(st) == 0) {
        PGresult *r = hf_store_exec(st, sql, 0, NULL);
        if (r) {
            if (PQntuples(r) > 0)
                snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
            PQclear(r);
        }
    }
    hf_store_destroy(&st);
    return out;
}

static int64_t s_query_int(const char *sql)
{
    char got[64];
    return atoll(s_query(sql, got, sizeof got));
}

/* Waits (up to 30 s) until intake has applied calllog's events up to seq. */
static bool s_wait_applied(int64_t seq)
{
    for (int i = 0; i < 600; i++) {
        if (s_query_int("SELECT last_seq FROM consumer_offset WHERE producer = 'calllog'") >= seq)
            return true;
        usleep(50000);
    }
    fprintf(stderr, "intake did not apply calllog's events up to %lld\n", (long long)seq);
    return false;
}

/* One call of the run: which customer, its outcome and flags, an order, when. */
typedef struct {
    int who; /* 0..NCUST-1 */
    const char *outcome;
    bool contacted, do_not_call;
    int order_qty;
    int64_t at_offset_ms;
} s_step_t;

/* The run: X talked to (new -> one-on-one); Y refuses (void, opted out); W orders (a purchase:
 * the calls kept before it go first); X hostile, logged earlier than its first call (the last
 * contact stays the later one); Z talked to; X refuses again (nothing left to change); Y talked
 * to on a void card (nothing but the last contact); Z refuses while talking (one-on-one ->
 * void); X talked to again; V talks and refuses at once on a new card (new -> one-on-one ->
 * void); W talked to after its order. */
static const s_step_t s_run[NCALLS] = {
    {0, "connected", true, false, 0, 10000}, {1, "refused", false, true, 0, 20000},
    {3, "connected", true, false, 1, 30000}, {0, "hostile", true, true, 0, 5000},
    {2, "connected", true, false, 0, 40000}, {0, "refused", false, true, 0, 50000},
    {1, "connected", true, false, 0, 60000}, {2, "refused", true, true, 0, 70000},
    {0, "connected", true, false, 0, 80000}, {4, "refused", true, true, 0, 90000},
    {3, "connected", true, false, 0, 95000}};

/* Produces call s for customers ids as calllog would, with its contact id and correlation id;
 * returns its sequence number. */
static int64_t s_produce(const s_step_t *s, const int64_t *ids, int64_t contact_id, int64_t t0,
                         const char *corr)
{
    Huifang__V1__OutcomeFlags f = HUIFANG__V1__OUTCOME_FLAGS__INIT;
    f.contacted = s->contacted;
    f.human_answered = s->contacted;
    f.do_not_call = s->do_not_call;
    Huifang__V1__Contact ct = HUIFANG__V1__CONTACT__INIT;
    ct.id = contact_id;
    ct.customer_id = ids[s->who];
    ct.branch = "BJ01";
    ct.agent = "A1";
    ct.outcome = (char *)s->outcome;
    ct.flags = &f;
    ct.logged_at_ms = t0 + s->at_offset_ms;
    if (s->order_qty) {
        ct.order_qty = s->order_qty;
        ct.order_product = "VC30";
    }
    Huifang__V1__CallLogged ev = HUIFANG__V1__CALL_LOGGED__INIT;
    ev.contact = &ct;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CALL_LOGGED;
    env.call_logged = &ev;
    env.branch = "BJ01";
    env.correlation_id = (char *)corr;
    hf_store_t *st = hf_store_new(s_url, "calllog");
    CHECK(hf_store_connect(st) == 0);
    CHECK(hf_store_begin(st) == 0);
    int64_t seq = hf_outbox_append(st, "calllog", &env);
    CHECK(seq > 0);
    CHECK(hf_store_commit(st) == 0);
    hf_store_destroy(&st);
    return seq;
}

/* Produces step k of the run for customers ids (contact base + k, correlation call-k). */
static int64_t s_produce_step(const int64_t *ids, int64_t contact_base, int64_t t0, int k)
{
    char corr[32];
    snprintf(corr, sizeof corr, "call-%d", k);
    return s_produce(&s_run[k], ids, contact_base + k, t0, corr);
}

static int s_index_of(const int64_t *ids, int64_t id)
{
    for (int i = 0; i < NCUST; i++)
        if (ids[i] == id)
            return i;
    return -1;
}

/* A Customer as text with what differs between the two sets taken out (id, phones, when it
 * was made): every other field, through its packed form. */
static void s_customer_text(FILE *f, const Huifang__V1__Customer *c, const int64_t *ids)
{
    if (c == NULL) {
        fputs(" customer=none", f);
        return;
    }
    Huifang__V1__Customer n = *c;
    n.id = 0;
    n.phone = "";
    n.n_phones = 0;
    n.n_phone_entries = 0;
    n.created_at_ms = 0;
    size_t len = huifang__v1__customer__get_packed_size(&n);
    uint8_t *buf = malloc(len ? len : 1);
    huifang__v1__customer__pack(&n, buf);
    fprintf(f, " customer=%d card=%s void=%s opted=%d reason=%s stage=%s tier=%s packed=",
            s_index_of(ids, c->id), c->card_type, c->void_reason, c->opted_out, c->opt_out_reason,
            c->stage, c->tier);
    for (size_t i = 0; i < len; i++)
        fprintf(f, "%02x", buf[i]);
    free(buf);
}

/* Intake's events after seq from up to seq to, one line each, with the customers named by their
 * index in ids and contacts by their place in the run (contact_base). Returns a malloc'ed text. */
static char *s_events_text(int64_t from, int64_t to, const int64_t *ids, int64_t contact_base,
                           int *count)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    *count = 0;
    hf_store_t *st = hf_store_new(s_url, "intake");
    if (hf_store_connect(st) == 0) {
        char fromtxt[24], totxt[24];
        const char *p[] = {hf_pg_i64(fromtxt, from), hf_pg_i64(totxt, to)};
        PGresult *r = hf_store_execv(st,
                                     "SELECT body FROM outbox WHERE producer = 'intake'"
                                     " AND seq > $1::bigint AND seq <= $2::bigint ORDER BY seq",
                                     2, p, NULL, NULL, 1);
        for (int i = 0; r && i < PQntuples(r); i++) {
            hf_envelope_t *e = huifang__v1__envelope__unpack(NULL, (size_t)PQgetlength(r, i, 0),
                                                             (const uint8_t *)PQgetvalue(r, i, 0));
            if (e == NULL)
                continue;
            (*count)++;
            fprintf(f, "%s branch=%s correlation=%s", hf_envelope_payload_name(e), e->branch,
                    e->correlation_id);
            switch (e->payload_case) {
            case HUIFANG__V1__ENVELOPE__PAYLOAD_CARD_TYPE_CHANGED:
                fprintf(f, " customer=%d from=%s to=%s reason=%s",
                        s_index_of(ids, e->card_type_changed->customer_id),
                        e->card_type_changed->from, e->card_type_changed->to,
                        e->card_type_changed->reason);
                break;
            case HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_UPDATED:
                fprintf(f, " change=%s", e->customer_updated->change);
                s_customer_text(f, e->customer_updated->customer, ids);
                break;
            case HUIFANG__V1__ENVELOPE__PAYLOAD_OPTED_OUT:
                fprintf(f, " customer=%d reason=%s", s_index_of(ids, e->opted_out->customer_id),
                        e->opted_out->reason);
                break;
            case HUIFANG__V1__ENVELOPE__PAYLOAD_PURCHASE_RECORDED: {
                const Huifang__V1__Purchase *pu = e->purchase_recorded->purchase;
                if (pu)
                    fprintf(f, " product=%s quantity=%d nth=%d date=%s contact=%lld plan=%s",
                            pu->product, pu->quantity, pu->nth, pu->date,
                            (long long)(pu->contact_id - contact_base), pu->plan);
                s_customer_text(f, e->purchase_recorded->customer, ids);
                break;
            }
            default:
                fputs(" (another payload)", f);
            }
            fputc('\n', f);
            huifang__v1__envelope__free_unpacked(e, NULL);
        }
        if (r)
            PQclear(r);
    }
    hf_store_destroy(&st);
    fclose(f);
    return text;
}

/* Customer i's row as the calls left it. */
static char *s_row_text(int64_t id, char *out, size_t outlen)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT card_type || ' ' || void_reason || ' ' || opted_out || ' ' || opt_out_reason"
             " || ' ' || coalesce(last_contact_at_ms::text, '-') || ' ' || tier || ' ' ||"
             " spend_fen || ' ' || purchases || ' ' || (SELECT count(*) FROM purchase p"
             " WHERE p.customer_id = c.id) FROM customer c WHERE id = %lld",
             (long long)id);
    return s_query(sql, out, outlen);
}

static bool s_up(int base, void *arg)
{
    (void)base;
    pid_t *kids = arg;
    hf_endpoint_commands("intake", s_endpoint, sizeof s_endpoint);
    kids[1] = s_start(&s_fake_calllog, NULL);
    kids[0] = s_start(&intake_def, s_attach_single);
    if (hf_test_wait_ping("calllog", kids[1]) && hf_test_wait_ping("intake", kids[0]))
        return true;
    for (int i = 0; i < 2; i++)
        hf_test_stop(kids[i], SIGKILL);
    return false;
}

int main(void)
{
    hf_log_init("test_intake_call_batch", "warn");
    setenv("HUIFANG_CURVE", "off", 1);
    hf_test_create_db("intake_call_batch", s_url);
    pid_t kids[2] = {0, 0}; /* intake, calllog */
    int status;
    bool up = hf_test_ports(43, 7, s_up, kids);
    CHECK(up);
    if (!up) {
        hf_test_drop_db(s_url);
        TEST_DONE();
    }

    /* the organisation and two alike sets of four new customers */
    Huifang__V1__Branch b = HUIFANG__V1__BRANCH__INIT;
    b.code = "BJ01";
    b.name = "Beijing";
    Huifang__V1__BranchAdd ba = HUIFANG__V1__BRANCH_ADD__INIT;
    ba.branch = &b;
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    req.branch = "BJ01";
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_BRANCH_ADD;
    req.branch_add = &ba;
    s_call_ok(&req);
    Huifang__V1__Product pr = HUIFANG__V1__PRODUCT__INIT;
    pr.code = "VC30";
    pr.name = "Vitamin C";
    pr.days_per_unit = 30;
    pr.price_fen = 16800;
    Huifang__V1__ProductAdd pa = HUIFANG__V1__PRODUCT_ADD__INIT;
    pa.product = &pr;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_PRODUCT_ADD;
    req.product_add = &pa;
    s_call_ok(&req);
    static const char *names[NCUST] = {"Wang Fang", "Li Lei", "Zhao Min", "Qian Jun", "Sun Li"};
    int64_t a[NCUST], bb[NCUST];
    for (int i = 0; i < NCUST; i++) {
        char phone[16];
        snprintf(phone, sizeof phone, "1380000010%d", i);
        a[i] = s_lead(names[i], phone);
        snprintf(phone, sizeof phone, "1380000020%d", i);
        bb[i] = s_lead(names[i], phone);
    }
    /* P, and Q merged into P (phase C) */
    int64_t pq[2] = {s_lead("Zhou Ping", "13800000301"), s_lead("Wu Qiang", "13800000302")};
    Huifang__V1__CustomerMerge cm = HUIFANG__V1__CUSTOMER_MERGE__INIT;
    cm.keep_id = pq[0];
    cm.other_id = pq[1];
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_CUSTOMER_MERGE;
    req.customer_merge = &cm;
    s_call_ok(&req);
    int64_t t0 = hf_clock_now_ms() - 3600000;

    TEST_STEP("A. one call at a time");
    int64_t mark_a = s_query_int("SELECT coalesce(max(seq), 0) FROM outbox");
    int64_t seq = 0;
    for (int k = 0; k < NCALLS; k++) {
        seq = s_produce_step(a, 1000, t0, k);
        CHECK(s_wait_applied(seq));
    }
    int64_t mark_b = s_query_int("SELECT coalesce(max(seq), 0) FROM outbox");

    TEST_STEP("B. the same calls in one batch");
    kill(kids[0], SIGTERM);
    waitpid(kids[0], &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    for (int k = 0; k < NCALLS; k++)
        seq = s_produce_step(bb, 2000, t0, k);
    kids[0] = s_start(&intake_def, s_attach_batched);
    CHECK(hf_test_wait_ping("intake", kids[0]));
    CHECK(s_wait_applied(seq));
    int64_t mark_end = s_query_int("SELECT coalesce(max(seq), 0) FROM outbox");
    /* how many transactions applied B's calls: one, unless the machine was so slow that a
     * turn of the loop's time slice ended within them (the comparison holds either way) */
    char sql[512], got[512], want[512];
    snprintf(sql, sizeof sql,
             "SELECT count(DISTINCT xmin::text) FROM customer WHERE id IN (%lld, %lld, %lld, %lld,"
             " %lld)",
             (long long)bb[0], (long long)bb[1], (long long)bb[2], (long long)bb[3],
             (long long)bb[4]);
    int64_t txs = s_query_int(sql);
    if (txs != 1)
        fprintf(stderr, "note: B's calls were applied in %lld transactions\n", (long long)txs);

    TEST_STEP("the same rows");
    for (int i = 0; i < NCUST; i++) {
        s_row_text(a[i], want, sizeof want);
        CHECK_STR(s_row_text(bb[i], got, sizeof got), want);
    }
    /* and the rows are what the run means (the reference is right, not only alike) */
    static const struct {
        const char *card;
        int64_t last;
        const char *rest;
    } rows[NCUST] = {{"void hostile true hostile", 80000, "regular 0 0 0"},
                     {"void refused true refused", 60000, "regular 0 0 0"},
                     {"void refused true refused", 70000, "regular 0 0 0"},
                     {"customer  false ", 95000, "regular 16800 1 1"},
                     {"void refused true refused", 90000, "regular 0 0 0"}};
    for (int i = 0; i < NCUST; i++) {
        snprintf(want, sizeof want, "%s %lld %s", rows[i].card, (long long)(t0 + rows[i].last),
                 rows[i].rest);
        CHECK_STR(s_row_text(bb[i], got, sizeof got), want);
    }

    TEST_STEP("the same events, in the same order, with the same content");
    int na = 0, nb = 0;
    char *ea = s_events_text(mark_a, mark_b, a, 1000, &na);
    char *eb = s_events_text(mark_b, mark_end, bb, 2000, &nb);
    CHECK_INT(nb, na);
    CHECK_STR(eb, ea);
    /* a sample of what they must say: the hostile call's void after X's first contact; V's
     * card made one-on-one, then void, by one call */
    CHECK(strstr(eb, "card_type_changed branch=BJ01 correlation=call-3 customer=0"
                     " from=one-on-one to=void reason=hostile") != NULL);
    CHECK(strstr(eb, "card_type_changed branch=BJ01 correlation=call-9 customer=4 from=new"
                     " to=one-on-one reason=\ncustomer_updated branch=BJ01 correlation=call-9"
                     " change=card_type customer=4 card=one-on-one") != NULL);
    if (hf_test_failures)
        fprintf(stderr, "one at a time:\n%s\nin one batch:\n%s\n", ea, eb);
    free(ea);
    free(eb);

    TEST_STEP("C. a batch with a call of a merged customer: one call at a time, in order");
    /* P talked to, Q (merged into P) refuses, P talked to: the batch's statement finds Q no
     * live customer and writes nothing; the calls then go one at a time (the merge followed),
     * their events in order, each with its call's correlation id */
    static const s_step_t run_c[3] = {{0, "connected", true, false, 0, 100000},
                                      {1, "refused", false, true, 0, 110000},
                                      {0, "connected", true, false, 0, 120000}};
    kill(kids[0], SIGTERM);
    waitpid(kids[0], &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    for (int k = 0; k < 3; k++) {
        char corr[32];
        snprintf(corr, sizeof corr, "merged-%d", k);
        seq = s_produce(&run_c[k], pq, 3000 + k, t0, corr);
    }
    kids[0] = s_start(&intake_def, s_attach_batched);
    CHECK(hf_test_wait_ping("intake", kids[0]));
    CHECK(s_wait_applied(seq));
    snprintf(want, sizeof want, "void refused true refused %lld regular 0 0 0",
             (long long)(t0 + 120000));
    CHECK_STR(s_row_text(pq[0], got, sizeof got), want);
    int nc = 0;
    char *ec = s_events_text(mark_end, INT64_MAX, pq, 3000, &nc);
    CHECK_INT(nc, 5);
    CHECK(strncmp(ec,
                  "card_type_changed branch=BJ01 correlation=merged-0 customer=0 from=new"
                  " to=one-on-one reason=\ncustomer_updated branch=BJ01 correlation=merged-0"
                  " change=card_type customer=0 card=one-on-one",
                  150) == 0);
    CHECK(strstr(ec, "card_type_changed branch=BJ01 correlation=merged-1 customer=0"
                     " from=one-on-one to=void reason=refused\nopted_out branch=BJ01"
                     " correlation=merged-1 customer=0 reason=refused\ncustomer_updated"
                     " branch=BJ01 correlation=merged-1 change=card_type,opt_out customer=0"
                     " card=void") != NULL);
    if (hf_test_failures)
        fprintf(stderr, "with a merged customer:\n%s\n", ec);
    free(ec);

    for (int i = 0; i < 2; i++) {
        kill(kids[i], SIGTERM);
        waitpid(kids[i], &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    hf_test_drop_db(s_url);
    TEST_DONE();
}
