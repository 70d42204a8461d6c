/* intake as a consumer, against real Postgres and ZeroMQ: intake's library runs in a child
 * process; two more children stand in for calllog and scheduler — the framework's service
 * loop with nothing but an outbox, into which this test writes their events — so that what
 * intake does with each event is tested without the other services' code.
 *
 * calllog.call_logged: a contact made turns a new card into one-on-one; an order is a
 * purchase once, however often its event comes; refusal or hostility voids the card and
 * opts out; a referral registers a lead once. calllog.consult_logged: bought makes a
 * customer with a purchase; not-bought a lead with the consult-not-converted plan (merging
 * into a known phone, a bad optional field dropped); a regulator's call is no lead; an
 * unusable phone is a LeadRejected. scheduler.customer_screened voids with its reason.
 * Every event advances the consumer's sequence, including one whose order names an unknown
 * product. A call writes its time as the customer's last contact (never an earlier one over a
 * later); the CustomerUpdated of a card a call changes carries the customer's stage; an order
 * on a branch in another zone is a purchase of that branch's local day. */
#include "hf_bus.h"
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_outbox.h"
#include "hf_service.h"
#include "hf_store.h"
#include "hf_test.h"
#include "hf_test_stack.h"
#include "hf_time.h"
#include "intake.h"
#include <signal.h>
#include <sys/wait.h>

static char s_url[256];
static char s_endpoint[64];
static const char *s_branch = "BJ01"; /* the branch of the leads made and events produced */

static const hf_migration_t s_none[] = {{0, NULL, NULL}};
static const hf_command_t s_no_commands[] = {{0, NULL, false, 0}};
static const hf_service_def_t s_fake_calllog = {.name = "calllog",
                                                .summary = "a stand-in producer",
                                                .migrations = s_none,
                                                .commands = s_no_commands};
static const hf_service_def_t s_fake_scheduler = {.name = "scheduler",
                                                  .summary = "a stand-in producer",
                                                  .migrations = s_none,
                                                  .commands = s_no_commands};

/* the children's settings */
static const char *const s_env[] = {"HUIFANG_HEARTBEAT_MS=200", "HUIFANG_LOG_LEVEL=warn",
                                    "HUIFANG_CLOCK=real", NULL};

/* intake's subscriptions as the service runs them: with its batch hook (the common calls of a
 * batch applied together) */
static int s_attach(hf_service_t *svc, const hf_service_def_t *def)
{
    if (def == &intake_def && intake_consume_init(svc) != 0)
        return -1;
    return hf_service_attach(svc, def);
}

static pid_t s_start(const hf_service_def_t *def, bool consume)
{
    hf_test_child_t child = {.store_url = s_url, .env = s_env, .setup = consume ? s_attach : NULL};
    return hf_test_start(def, &child);
}

static hf_reply_t *s_call(const char *endpoint, hf_request_t *req)
{
    hf_client_t *c = hf_client_new(endpoint, 5000, 2);
    hf_reply_t *rep = NULL;
    if (hf_client_call(c, req, &rep) != 0)
        rep = NULL;
    hf_client_destroy(&c);
    return rep;
}

/* A command to intake that must answer OK. */
static void s_call_ok(hf_request_t *req)
{
    hf_reply_t *rep = s_call(s_endpoint, req);
    CHECK(rep && rep->status == HF_OK);
    if (rep)
        huifang__v1__reply__free_unpacked(rep, NULL);
}

static int64_t s_lead_dates(const char *name, const char *phone, const char *due_date,
                            const char *baby_birth)
{
    Huifang__V1__LeadAdd l = HUIFANG__V1__LEAD_ADD__INIT;
    l.name = (char *)name;
    l.phone = (char *)phone;
    l.channel = "counter";
    l.due_date = (char *)due_date;
    l.baby_birth = (char *)baby_birth;
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    req.branch = (char *)s_branch;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_LEAD_ADD;
    req.lead_add = &l;
    hf_reply_t *rep = s_call(s_endpoint, &req);
    int64_t id = rep && rep->status == HF_OK && rep->lead ? rep->lead->customer->id : 0;
    if (rep)
        huifang__v1__reply__free_unpacked(rep, NULL);
    CHECK(id > 0);
    return id;
}

static int64_t s_lead(const char *name, const char *phone)
{
    return s_lead_dates(name, phone, "", "");
}

/* Appends one event to a stand-in producer's outbox, as its own transaction would. */
static void s_produce(const char *producer, hf_envelope_t *env)
{
    hf_store_t *st = hf_store_new(s_url, producer);
    CHECK(hf_store_connect(st) == 0);
    env->branch = (char *)s_branch;
    /* as calllog's are: its request's id (a call without one is not kept for its batch) */
    if (env->correlation_id == NULL)
        env->correlation_id = "test-request";
    CHECK(hf_store_begin(st) == 0);
    CHECK(hf_outbox_append(st, producer, env) > 0);
    CHECK(hf_store_commit(st) == 0);
    hf_store_destroy(&st);
}

/* A call of agent A1 to customer_id with outcome and flags, logged at at. */
static Huifang__V1__Contact s_contact(int64_t id, int64_t customer_id, const char *outcome,
                                      Huifang__V1__OutcomeFlags *flags, int64_t at)
{
    Huifang__V1__Contact ct = HUIFANG__V1__CONTACT__INIT;
    ct.id = id;
    ct.customer_id = customer_id;
    ct.agent = "A1";
    ct.outcome = (char *)outcome;
    ct.flags = flags;
    ct.logged_at_ms = at;
    return ct;
}

static void s_call_logged(Huifang__V1__Contact *ct)
{
    Huifang__V1__CallLogged ev = HUIFANG__V1__CALL_LOGGED__INIT;
    ev.contact = ct;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CALL_LOGGED;
    env.call_logged = &ev;
    s_produce("calllog", &env);
}

static void s_consult_logged(Huifang__V1__Consultation *co)
{
    Huifang__V1__ConsultLogged ev = HUIFANG__V1__CONSULT_LOGGED__INIT;
    ev.consultation = co;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CONSULT_LOGGED;
    env.consult_logged = &ev;
    s_produce("calllog", &env);
}

static void s_screened(int64_t customer, const char *reason)
{
    Huifang__V1__CustomerScreened cs = HUIFANG__V1__CUSTOMER_SCREENED__INIT;
    cs.customer_id = customer;
    cs.reason = (char *)reason;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_SCREENED;
    env.customer_screened = &cs;
    s_produce("scheduler", &env);
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

/* A customer's card, its void reason and whether they opted out: "void refused true". */
static char *s_card_of(int64_t id, char *out, size_t outlen)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT card_type || ' ' || void_reason || ' ' || opted_out FROM customer"
             " WHERE id = %lld",
             (long long)id);
    return s_query(sql, out, outlen);
}

/* Waits (up to 15 s) until intake has applied producer's events up to seq. */
static bool s_wait_applied(const char *producer, int seq)
{
    char sql[160], got[64], want[24];
    snprintf(sql, sizeof sql, "SELECT last_seq FROM consumer_offset WHERE producer = '%s'",
             producer);
    snprintf(want, sizeof want, "%d", seq);
    for (int i = 0; i < 300; i++) {
        if (strcmp(s_query(sql, got, sizeof got), want) == 0)
            return true;
        usleep(50000);
    }
    fprintf(stderr, "intake applied %s up to %s, not %s\n", producer, got, want);
    return false;
}

/* Finds in intake's outbox the newest event of a payload satisfying pred. */
static hf_envelope_t *s_find_event(const char *topic_prefix, bool (*pred)(const hf_envelope_t *))
{
    hf_store_t *st = hf_store_new(s_url, "intake");
    hf_envelope_t *found = NULL;
    if (hf_store_connect(st) == 0) {
        char like[96];
        snprintf(like, sizeof like, "%s%%", topic_prefix);
        const char *p[] = {like};
        PGresult *r =
            hf_store_execv(st, "SELECT body FROM outbox WHERE topic LIKE $1 ORDER BY seq DESC", 1,
                           p, NULL, NULL, 1);
        for (int i = 0; r && i < PQntuples(r) && found == NULL; i++) {
            hf_envelope_t *e = huifang__v1__envelope__unpack(NULL, (size_t)PQgetlength(r, i, 0),
                                                             (const uint8_t *)PQgetvalue(r, i, 0));
            if (e && pred(e))
                found = e;
            else if (e)
                huifang__v1__envelope__free_unpacked(e, NULL);
        }
        if (r)
            PQclear(r);
    }
    hf_store_destroy(&st);
    return found;
}

/* Checks the CustomerUpdated pred finds: its card, stage and stage source (NULL: not
 * checked). */
static void s_check_updated(bool (*pred)(const hf_envelope_t *), const char *card,
                            const char *stage, const char *ref_source)
{
    hf_envelope_t *e = s_find_event("intake.customer_updated", pred);
    CHECK(e != NULL);
    if (e == NULL)
        return;
    const Huifang__V1__Customer *c = e->customer_updated->customer;
    if (card)
        CHECK_STR(c->card_type, card);
    if (stage)
        CHECK_STR(c->stage, stage);
    if (ref_source)
        CHECK_STR(c->ref_source, ref_source);
    huifang__v1__envelope__free_unpacked(e, NULL);
}

static bool s_not_converted(const hf_envelope_t *e)
{
    const Huifang__V1__LeadRegistered *l = e->lead_registered;
    return l && l->customer && strcmp(l->customer->phone, "13700000002") == 0;
}

static bool s_merged_not_converted(const hf_envelope_t *e)
{
    const Huifang__V1__LeadMerged *l = e->lead_merged;
    return l && l->customer && strcmp(l->customer->phone, "13700000002") == 0;
}

static bool s_hostile_void(const hf_envelope_t *e)
{
    const Huifang__V1__CardTypeChanged *c = e->card_type_changed;
    return c && strcmp(c->to, "void") == 0 && strcmp(c->reason, "hostile") == 0;
}

static bool s_rejected_consult(const hf_envelope_t *e)
{
    const Huifang__V1__LeadRejected *r = e->lead_rejected;
    return r && strcmp(r->field, "phone") == 0 && strcmp(r->channel, "consult") == 0;
}

static bool s_contact_purchase(const hf_envelope_t *e)
{
    const Huifang__V1__PurchaseRecorded *p = e->purchase_recorded;
    return p && p->purchase && p->purchase->contact_id == 102;
}

static int64_t s_staged_id;
static bool s_staged_card(const hf_envelope_t *e)
{
    const Huifang__V1__CardTypeChanged *c = e->card_type_changed;
    return c && c->customer_id == s_staged_id && strcmp(c->to, "one-on-one") == 0;
}

static bool s_staged_refused(const hf_envelope_t *e)
{
    const Huifang__V1__CustomerUpdated *u = e->customer_updated;
    return u && u->customer && u->customer->id == s_staged_id &&
           strcmp(u->change, "card_type,opt_out") == 0;
}

static bool s_staged_updated(const hf_envelope_t *e)
{
    const Huifang__V1__CustomerUpdated *u = e->customer_updated;
    return u && u->customer && u->customer->id == s_staged_id &&
           strcmp(u->change, "card_type") == 0;
}

/* Starts the fake calllog and scheduler and the intake under test on this block of ports;
 * true when all three answer ping. */
static bool s_up(int base, void *arg)
{
    (void)base;
    pid_t *kids = arg;
    hf_endpoint_commands("intake", s_endpoint, sizeof s_endpoint);
    kids[1] = s_start(&s_fake_calllog, false);
    kids[2] = s_start(&s_fake_scheduler, false);
    kids[0] = s_start(&intake_def, true);
    if (hf_test_wait_ping("calllog", kids[1]) && hf_test_wait_ping("scheduler", kids[2]) &&
        hf_test_wait_ping("intake", kids[0]))
        return true;
    for (int i = 0; i < 3; i++)
        hf_test_stop(kids[i], SIGKILL);
    return false;
}

int main(void)
{
    hf_log_init("test_intake_events", "warn");
    /* about the service's logic, not the wire: plain sockets (test_curve covers CURVE) */
    setenv("HUIFANG_CURVE", "off", 1);
    hf_test_create_db("intake_events", s_url);
    pid_t kids[3] = {0, 0, 0}; /* intake, calllog, scheduler */
    int status;
    bool up = hf_test_ports(37, 0, s_up, kids);
    CHECK(up);
    if (!up) {
        hf_test_drop_db(s_url);
        TEST_DONE();
    }

    /* the organisation and four customers */
    Huifang__V1__Branch b = HUIFANG__V1__BRANCH__INIT;
    b.code = "BJ01";
    b.name = "Beijing";
    Huifang__V1__BranchAdd ba = HUIFANG__V1__BRANCH_ADD__INIT;
    ba.branch = &b;
    hf_request_t req = HUIFANG__V1__REQUEST__INIT;
    req.branch = "BJ01";
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_BRANCH_ADD;
    req.branch_add = &ba;
    hf_reply_t *rep = s_call(s_endpoint, &req);
    CHECK(rep && rep->status == HF_OK);
    if (rep)
        huifang__v1__reply__free_unpacked(rep, NULL);
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
    Huifang__V1__Agent ag = HUIFANG__V1__AGENT__INIT;
    ag.id = "A1";
    ag.name = "Li Na";
    ag.role = "phone";
    char *regions[] = {"chaoyang"};
    ag.regions = regions;
    ag.n_regions = 1;
    ag.daily_calls = 40;
    Huifang__V1__AgentAdd aa = HUIFANG__V1__AGENT_ADD__INIT;
    aa.agent = &ag;
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_AGENT_ADD;
    req.agent_add = &aa;
    s_call_ok(&req);
    int64_t c1 = s_lead("Wang Fang", "13800000001");
    int64_t c2 = s_lead("Li Lei", "13800000002");
    int64_t c3 = s_lead("Zhao Min", "13800000003");
    int64_t c4 = s_lead("Qian Jun", "13800000004");
    char sql[512], got[256];

    /* 1. talked to: new -> one-on-one */
    TEST_STEP("1. talked to: new -> one-on-one");
    Huifang__V1__OutcomeFlags talked = HUIFANG__V1__OUTCOME_FLAGS__INIT;
    talked.contacted = true;
    talked.human_answered = true;
    Huifang__V1__Contact ct = s_contact(101, c1, "connected", &talked, hf_clock_now_ms());
    ct.branch = "BJ01";
    s_call_logged(&ct);
    CHECK(s_wait_applied("calllog", 1));
    snprintf(sql, sizeof sql, "SELECT card_type FROM customer WHERE id = %lld", (long long)c1);
    CHECK_STR(s_query(sql, got, sizeof got), "one-on-one");
    /* the call's time is the last contact */
    char want_at[32];
    snprintf(want_at, sizeof want_at, "%lld", (long long)ct.logged_at_ms);
    snprintf(sql, sizeof sql, "SELECT last_contact_at_ms FROM customer WHERE id = %lld",
             (long long)c1);
    CHECK_STR(s_query(sql, got, sizeof got), want_at);

    /* 2. an order: a purchase (a new form), the card a customer card; the same contact
     * delivered again (another sequence number) records nothing more */
    TEST_STEP("2. an order: a purchase (a new form), the card a ...");
    ct.id = 102;
    ct.order_qty = 2;
    ct.order_product = "VC30";
    s_call_logged(&ct);
    s_call_logged(&ct);
    CHECK(s_wait_applied("calllog", 3));
    snprintf(sql, sizeof sql,
             "SELECT count(*) || ' ' || min(quantity) || ' ' || min(agent) || ' ' || min(nth)"
             " FROM purchase WHERE contact_id = 102 AND customer_id = %lld",
             (long long)c1);
    CHECK_STR(s_query(sql, got, sizeof got), "1 2 A1 1");
    snprintf(sql, sizeof sql, "SELECT card_type || ' ' || spend_fen FROM customer WHERE id = %lld",
             (long long)c1);
    CHECK_STR(s_query(sql, got, sizeof got), "customer 33600");
    hf_envelope_t *e = s_find_event("intake.purchase_recorded", s_contact_purchase);
    CHECK(e != NULL);
    if (e) {
        CHECK_INT(e->purchase_recorded->purchase->nth, 1);
        CHECK_STR(e->purchase_recorded->purchase->supply_end[0] ? "set" : "", "set");
        CHECK_STR(e->purchase_recorded->customer->card_type, "customer");
        huifang__v1__envelope__free_unpacked(e, NULL);
    }

    /* 3. hostile: void with that reason, and opted out */
    TEST_STEP("3. hostile: void with that reason, and opted out");
    Huifang__V1__OutcomeFlags no = HUIFANG__V1__OUTCOME_FLAGS__INIT;
    no.do_not_call = true;
    no.human_answered = true;
    Huifang__V1__Contact hostile = HUIFANG__V1__CONTACT__INIT;
    hostile.id = 103;
    hostile.customer_id = c2;
    hostile.outcome = "hostile";
    hostile.flags = &no;
    s_call_logged(&hostile);
    CHECK(s_wait_applied("calllog", 4));
    CHECK_STR(s_card_of(c2, got, sizeof got), "void hostile true");
    e = s_find_event("intake.card_type_changed", s_hostile_void);
    CHECK(e && e->card_type_changed->customer_id == c2 &&
          strcmp(e->card_type_changed->from, "new") == 0);
    if (e)
        huifang__v1__envelope__free_unpacked(e, NULL);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM outbox WHERE topic LIKE 'intake.opted_out%%'");
    CHECK_STR(s_query(sql, got, sizeof got), "1");

    /* 4. a referral: a lead of channel referral, referred by c1, once */
    TEST_STEP("4. a referral: a lead of channel referral, referred by ...");
    Huifang__V1__LeadAdd ref = HUIFANG__V1__LEAD_ADD__INIT;
    ref.name = "Zhou Min";
    ref.phone = "139 0000 0009";
    Huifang__V1__Contact referral = HUIFANG__V1__CONTACT__INIT;
    referral.id = 104;
    referral.customer_id = c1;
    referral.agent = "A1";
    referral.outcome = "connected";
    referral.flags = &talked;
    referral.referral = &ref;
    s_call_logged(&referral);
    s_call_logged(&referral);
    CHECK(s_wait_applied("calllog", 6));
    snprintf(
        sql, sizeof sql,
        "SELECT count(*) || ' ' || min(s.channel) || ' ' || min(s.referrer_customer_id) || ' ' ||"
        " min(s.collector) FROM lead_source s JOIN customer c ON c.id = s.customer_id"
        " WHERE c.phone = '13900000009'");
    char want[64];
    snprintf(want, sizeof want, "1 referral %lld A1", (long long)c1);
    CHECK_STR(s_query(sql, got, sizeof got), want);

    /* 5. consultations: bought, not bought, a regulator, an unusable phone */
    TEST_STEP("5. consultations: bought, not bought, a regulator, an ...");
    Huifang__V1__Consultation co = HUIFANG__V1__CONSULTATION__INIT;
    co.id = 201;
    co.name = "Sun Li";
    co.phone = "13700000001";
    co.outcome = "bought";
    co.product = "VC30";
    co.quantity = 1;
    co.agent = "K1";
    co.media = "TV";
    co.logged_at_ms = hf_clock_now_ms();
    s_consult_logged(&co);
    co.id = 202;
    co.name = "Qian Li";
    co.phone = "13700000002";
    co.outcome = "not-bought";
    co.product = "";
    co.quantity = 0;
    co.age = 40;
    co.chief_complaint = "insomnia";
    s_consult_logged(&co);
    Huifang__V1__Consultation reg = HUIFANG__V1__CONSULTATION__INIT;
    reg.id = 203;
    reg.name = "Inspector Wu";
    reg.phone = "13700000003";
    reg.regulator = true;
    reg.regulator_unit = "market regulator";
    s_consult_logged(&reg);
    Huifang__V1__Consultation badphone = HUIFANG__V1__CONSULTATION__INIT;
    badphone.id = 204;
    badphone.name = "Zheng";
    badphone.phone = "123";
    badphone.outcome = "not-bought";
    s_consult_logged(&badphone);
    CHECK(s_wait_applied("calllog", 10));
    CHECK_STR(
        s_query("SELECT c.card_type || ' ' || p.consultation_id || ' ' || p.agent FROM customer c"
                " JOIN purchase p ON p.customer_id = c.id WHERE c.phone = '13700000001'",
                got, sizeof got),
        "customer 201 K1");
    CHECK_STR(s_query("SELECT card_type || ' ' || age || ' ' || condition FROM customer"
                      " WHERE phone = '13700000002'",
                      got, sizeof got),
              "new 40 insomnia");
    CHECK_STR(s_query("SELECT source FROM lead_source s JOIN customer c ON c.id = s.customer_id"
                      " WHERE c.phone = '13700000002'",
                      got, sizeof got),
              "TV");
    e = s_find_event("intake.lead_registered", s_not_converted);
    CHECK(e && strcmp(e->lead_registered->plan, "consult-not-converted") == 0 &&
          strcmp(e->lead_registered->channel, "consult") == 0);
    if (e)
        huifang__v1__envelope__free_unpacked(e, NULL);
    CHECK_STR(s_query("SELECT count(*) FROM customer WHERE phone IN ('13700000003', '123')", got,
                      sizeof got),
              "0");
    e = s_find_event("intake.lead_rejected", s_rejected_consult);
    CHECK(e != NULL);
    if (e)
        huifang__v1__envelope__free_unpacked(e, NULL);

    /* 6. an order of a product intake does not know is skipped, not a stuck stream; a
     * known caller with a region nobody covers still merges (the bad field is dropped) */
    TEST_STEP("6. an order of a product intake does not know is ...");
    Huifang__V1__Contact unknown = HUIFANG__V1__CONTACT__INIT;
    unknown.id = 105;
    unknown.customer_id = c1;
    unknown.order_qty = 1;
    unknown.order_product = "NOPE";
    s_call_logged(&unknown);
    co.id = 205;
    co.region = "nowhere";
    co.address = "Haidian Rd 5";
    s_consult_logged(&co);
    CHECK(s_wait_applied("calllog", 12));
    CHECK_STR(s_query("SELECT count(*) FROM purchase WHERE contact_id = 105", got, sizeof got),
              "0");
    CHECK_STR(s_query("SELECT region || '|' || address FROM customer WHERE phone = '13700000002'",
                      got, sizeof got),
              "|Haidian Rd 5");
    e = s_find_event("intake.lead_merged", s_merged_not_converted);
    CHECK(e && strcmp(e->lead_merged->plan, "consult-not-converted") == 0);
    if (e)
        huifang__v1__envelope__free_unpacked(e, NULL);

    /* 7. screened by the scheduler: void with its reason (a wrong number is an invalid phone) */
    TEST_STEP("7. screened by the scheduler: void with its reason (a ...");
    s_screened(c3, "unanswered");
    s_screened(c4, "wrong-number");
    CHECK(s_wait_applied("scheduler", 2));
    snprintf(sql, sizeof sql,
             "SELECT string_agg(card_type || ':' || void_reason, ',' ORDER BY id)"
             " FROM customer WHERE id IN (%lld, %lld)",
             (long long)c3, (long long)c4);
    CHECK_STR(s_query(sql, got, sizeof got), "void:unanswered,void:invalid-phone");

    /* 8. a call logged before the last contact does not move it back; a contacted new card
     * becomes one-on-one, and its CustomerUpdated carries the customer's stage (a due date
     * ahead: T0, pregnant) */
    TEST_STEP("8. last contact kept; the CustomerUpdated of a card carries the stage");
    char due[11];
    hf_date_format(hf_time_local_day(hf_clock_now_ms(), "Asia/Shanghai") + 100, due);
    int64_t c5 = s_lead_dates("Feng Yu", "13800000005", due, "");
    char born[11]; /* 100 days ago: three complete months, T2 */
    hf_date_format(hf_time_local_day(hf_clock_now_ms(), "Asia/Shanghai") - 100, born);
    int64_t c7 = s_lead_dates("Tang Wei", "13800000007", "", born);
    snprintf(sql, sizeof sql, "SELECT last_contact_at_ms FROM customer WHERE id = %lld",
             (long long)c1);
    s_query(sql, want_at, sizeof want_at); /* later calls moved it on since step 1 */
    CHECK(atoll(want_at) >= ct.logged_at_ms);
    Huifang__V1__Contact late = s_contact(106, c1, "connected", &talked, atoll(want_at) - 3600000);
    s_call_logged(&late);
    Huifang__V1__Contact first = s_contact(107, c5, "connected", &talked, hf_clock_now_ms());
    s_call_logged(&first);
    first.id = 109;
    first.customer_id = c7;
    s_call_logged(&first);
    CHECK(s_wait_applied("calllog", 15));
    snprintf(sql, sizeof sql, "SELECT last_contact_at_ms FROM customer WHERE id = %lld",
             (long long)c1);
    CHECK_STR(s_query(sql, got, sizeof got), want_at);
    snprintf(sql, sizeof sql,
             "SELECT card_type || ' ' || (last_contact_at_ms = %lld) FROM customer WHERE id = %lld",
             (long long)first.logged_at_ms, (long long)c5);
    CHECK_STR(s_query(sql, got, sizeof got), "one-on-one true");
    s_staged_id = c5;
    s_check_updated(s_staged_updated, "one-on-one", "T0", "due_date");
    e = s_find_event("intake.card_type_changed", s_staged_card);
    CHECK(e && strcmp(e->card_type_changed->from, "new") == 0 &&
          strcmp(e->card_type_changed->reason, "") == 0);
    if (e)
        huifang__v1__envelope__free_unpacked(e, NULL);
    s_staged_id = c7;
    s_check_updated(s_staged_updated, NULL, "T2", "baby_birth");
    /* refused: the card void for that reason, opted out, the customer's stage in the event */
    Huifang__V1__Contact refused = s_contact(110, c7, "refused", &no, hf_clock_now_ms());
    s_call_logged(&refused);
    CHECK(s_wait_applied("calllog", 16));
    CHECK_STR(s_card_of(c7, got, sizeof got), "void refused true");
    s_check_updated(s_staged_refused, "void", "T2", NULL);

    /* 9. an order on a branch in another zone (Honolulu, UTC-10) is a purchase of that
     * branch's local day: a call at 03:00 UTC yesterday is the day before yesterday there */
    TEST_STEP("9. an order on a branch in another zone: its local day");
    Huifang__V1__Branch hn = HUIFANG__V1__BRANCH__INIT;
    hn.code = "HN01";
    hn.name = "Honolulu";
    hn.tz = "Pacific/Honolulu";
    Huifang__V1__BranchAdd hba = HUIFANG__V1__BRANCH_ADD__INIT;
    hba.branch = &hn;
    req.branch = "HN01";
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_BRANCH_ADD;
    req.branch_add = &hba;
    s_call_ok(&req);
    req.command_case = HUIFANG__V1__REQUEST__COMMAND_PRODUCT_ADD;
    req.product_add = &pa;
    s_call_ok(&req);
    s_branch = "HN01";
    int64_t c6 = s_lead("Kai Lee", "13800000006");
    int64_t day_ms = 86400000;
    int64_t at = (hf_clock_now_ms() / day_ms - 1) * day_ms + 3 * 3600000;
    int32_t hn_day = hf_time_local_day(at, "Pacific/Honolulu");
    CHECK(hn_day != hf_time_local_day(at, "Asia/Shanghai"));
    Huifang__V1__Contact away = HUIFANG__V1__CONTACT__INIT;
    away.id = 108;
    away.customer_id = c6;
    away.branch = "HN01";
    away.agent = "A9";
    away.outcome = "connected";
    away.flags = &talked;
    away.order_qty = 1;
    away.order_product = "VC30";
    away.logged_at_ms = at;
    s_call_logged(&away);
    CHECK(s_wait_applied("calllog", 17));
    char hn_date[11];
    hf_date_format(hn_day, hn_date);
    snprintf(sql, sizeof sql,
             "SELECT p.purchase_date || ' ' || p.branch || ' ' || c.card_type FROM purchase p"
             " JOIN customer c ON c.id = p.customer_id WHERE p.contact_id = 108"
             " AND p.customer_id = %lld",
             (long long)c6);
    snprintf(want, sizeof want, "%s HN01 customer", hn_date);
    CHECK_STR(s_query(sql, got, sizeof got), want);
    s_branch = "BJ01";

    for (int i = 0; i < 3; i++) {
        kill(kids[i], SIGTERM);
        waitpid(kids[i], &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    hf_bus_shutdown();
    hf_test_drop_db(s_url);
    TEST_DONE();
}
