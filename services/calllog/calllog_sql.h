/* calllog_sql: every statement of the calllog service, named, in one place to review.
 *
 * Each is an hf_query_t run with hf_store_query() / hf_store_query_run(): prepared once
 * per store connection (again after a reconnect), or sent as its text each time when
 * HUIFANG_PG_PREPARE=off (a pooler in transaction mode). Parameters are $n, always. */
#ifndef CALLLOG_SQL_H
#define CALLLOG_SQL_H

#include "calllog_internal.h"
#include "hf_store.h"

/* the columns the row readers read, in their order */
#define OUTCOME_COLUMNS                                                                            \
    "branch, code, name, human_answered, contacted, sale, do_not_call, unworkable, callback,"      \
    " completed"
#define REVIEW_COLUMNS                                                                             \
    "r.contact_id, r.branch, r.agent, r.day::text, r.sampled, coalesce(r.score, 0), r.note,"       \
    " r.reviewer, r.scored_at_ms"
#define CONSULT_COLUMNS                                                                            \
    "c.id, c.branch, c.name, c.phone, c.gender, c.age, c.address, c.chief_complaint, c.media,"     \
    " c.outcome, c.product, c.quantity, c.agent, c.logged_at_ms, c.region, c.regulator,"           \
    " c.regulator_unit, c.regulator_position, c.regulator_contact, c.delivery,"                    \
    " coalesce((SELECT d.id FROM delivery d WHERE d.consultation_id = c.id), 0),"                  \
    " coalesce((SELECT min(l.id) FROM alert l WHERE l.consultation_id = c.id), 0),"                \
    " c.day::text"
#define ALERT_COLUMNS                                                                              \
    "id, branch, kind, to_role, summary, coalesce(consultation_id, 0), raised_by, raised_at_ms,"   \
    " acked_at_ms, acked_by, ack_note"

/* ---- calllog.c ---- */

static const hf_query_t CALLLOG_Q_CUSTOMER_UPSERT = {
    "calllog_customer_upsert",
    "INSERT INTO customer (id, branch, address, region) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (id) DO UPDATE SET branch = $2, address = $3, region = $4"};
/* the same for a batch's copies (hf_copies: every column a text array) */
static const hf_query_t CALLLOG_Q_CUSTOMERS_UPSERT = {
    "calllog_customers_upsert",
    "INSERT INTO customer (id, branch, address, region) SELECT * FROM unnest($1::bigint[],"
    " $2::text[], $3::text[], $4::text[]) ON CONFLICT (id) DO UPDATE SET branch = excluded.branch,"
    " address = excluded.address, region = excluded.region"};
static const hf_query_t CALLLOG_Q_CUSTOMER_ADDRESS = {"calllog_customer_address",
                                                      "SELECT address FROM customer WHERE id = $1"};
static const hf_query_t CALLLOG_Q_PRODUCT_EXISTS = {
    "calllog_product_exists", "SELECT 1 FROM product WHERE branch = $1 AND code = $2"};
static const hf_query_t CALLLOG_Q_OUTCOME_FLAGS = {
    "calllog_outcome_flags", "SELECT human_answered, contacted, sale, do_not_call, unworkable,"
                             " callback, completed FROM outcome WHERE code = $2 AND branch IN"
                             " ($1, '') ORDER BY branch DESC LIMIT 1"};

/* ---- calllog_contact.c ---- */

/* a call's first statement: the request's idempotency key claimed (idempotency (key,
 * command) as the framework inserts it, $3 '' for a request without one: calllog_def's
 * claims_key), the branch's zone, the outcome's flags and the channels the outcome fits, in
 * one statement and one round trip with BEGIN (four statements and two round trips before,
 * issue 14). One row always: whether the key was claimed (false: answered before), whether
 * the branch is known and its zone, whether the outcome is in the branch's list (the
 * branch's own before the defaults, ''), its flags and channels */
static const hf_query_t CALLLOG_Q_CALL_BASICS = {
    "calllog_call_basics",
    "WITH claim AS (INSERT INTO idempotency (key, command) SELECT $3, $4 WHERE $3 <> ''"
    " ON CONFLICT (key) DO NOTHING RETURNING 1)"
    " SELECT $3 = '' OR EXISTS (SELECT 1 FROM claim), b.code IS NOT NULL, coalesce(b.tz, ''),"
    " o.code IS NOT NULL, coalesce(o.human_answered, false), coalesce(o.contacted, false),"
    " coalesce(o.sale, false), coalesce(o.do_not_call, false), coalesce(o.unworkable, false),"
    " coalesce(o.callback, false), coalesce(o.completed, false),"
    " coalesce(array_to_string(o.channels, ', '), '') FROM (SELECT 1) one"
    " LEFT JOIN branch b ON b.code = $1 LEFT JOIN LATERAL"
    " (SELECT * FROM outcome WHERE code = $2 AND branch IN ($1, '') ORDER BY branch DESC"
    " LIMIT 1) o ON b.code IS NOT NULL"};

/* ---- calllog_book.c ---- */

static const hf_query_t CALLLOG_Q_OUTCOMES = {
    "calllog_outcomes", "SELECT " OUTCOME_COLUMNS " FROM (SELECT DISTINCT ON (code) *"
                        " FROM outcome WHERE branch IN ($1, '')"
                        " ORDER BY code, branch DESC) o"
                        " ORDER BY branch <> '', human_answered, completed DESC, code"};
static const hf_query_t CALLLOG_Q_OUTCOME_ADD = {
    "calllog_outcome_add", "INSERT INTO outcome (branch, code, name, human_answered,"
                           " contacted, sale, do_not_call, unworkable, callback, completed)"
                           " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                           " ON CONFLICT (branch, code) DO NOTHING RETURNING " OUTCOME_COLUMNS};
static const hf_query_t CALLLOG_Q_DELIVERY_OPEN = {
    "calllog_delivery_open", "INSERT INTO delivery (branch, source, contact_id,"
                             " consultation_id, customer_id, name, phone, address, region,"
                             " product, quantity, agent, requested_at_ms) VALUES ($1, $2, $3,"
                             " $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
                             " RETURNING " CALLLOG_DELIVERY_COLUMNS};
static const hf_query_t CALLLOG_Q_DELIVERIES = {
    "calllog_deliveries", "SELECT " CALLLOG_DELIVERY_COLUMNS " FROM delivery"
                          " WHERE branch = $1 AND (NOT $2::boolean OR state = 'pending')"
                          " ORDER BY state = 'delivered', id LIMIT 1000"};
static const hf_query_t CALLLOG_Q_DELIVERY_DONE = {
    "calllog_delivery_done", "UPDATE delivery SET state = 'delivered', deliverer = $3,"
                             " delivered_at_ms = $4 WHERE id = $1 AND branch = $2"
                             " AND state = 'pending' RETURNING " CALLLOG_DELIVERY_COLUMNS};
static const hf_query_t CALLLOG_Q_DELIVERY_OF = {
    "calllog_delivery_of", "SELECT deliverer, delivered_at_ms FROM delivery WHERE id = $1"
                           " AND branch = $2"};
static const hf_query_t CALLLOG_Q_REVIEW_RATE = {
    "calllog_review_rate", "SELECT percent FROM review_rate WHERE branch IN ($1, '')"
                           " ORDER BY branch DESC LIMIT 1"};
static const hf_query_t CALLLOG_Q_REVIEW_SAMPLE = {
    "calllog_review_sample",
    "WITH calls AS ("
    "  SELECT id, agent, count(*) OVER (PARTITION BY agent) AS n FROM contact"
    "  WHERE branch = $1 AND day = $2::date AND channel = 'phone'),"
    " drawn AS ("
    "  SELECT agent, count(*) AS h FROM review WHERE branch = $1 AND day = $2::date"
    "  AND sampled GROUP BY agent),"
    " candidates AS ("
    "  SELECT c.id, c.agent, c.n, coalesce(d.h, 0) AS h, row_number() OVER"
    "  (PARTITION BY c.agent ORDER BY md5($1 || '/' || $2 || '/' || c.id::text), c.id) AS rn"
    "  FROM calls c LEFT JOIN drawn d USING (agent)"
    "  WHERE NOT EXISTS (SELECT 1 FROM review x WHERE x.contact_id = c.id AND x.sampled))"
    " INSERT INTO review AS r (contact_id, branch, agent, day, sampled)"
    " SELECT id, $1, agent, $2::date, true FROM candidates"
    " WHERE $3::int > 0 AND rn <= ceil(n * $3::int / 100.0) - h"
    " ON CONFLICT (contact_id) DO UPDATE SET sampled = true"
    " RETURNING " REVIEW_COLUMNS};
static const hf_query_t CALLLOG_Q_REVIEWS = {
    "calllog_reviews",
    "SELECT " REVIEW_COLUMNS ", " CALLLOG_CONTACT_COLUMNS ", " CALLLOG_FLAG_COLUMNS
    " FROM review r JOIN contact ON contact.id = r.contact_id" CALLLOG_FLAGS_JOIN
    " WHERE r.branch = $1 AND r.day = $2::date"
    " AND ($3 = '' OR r.agent = $3) ORDER BY r.agent, r.contact_id"};
static const hf_query_t CALLLOG_Q_CONTACT_IN_BRANCH = {
    "calllog_contact_in_branch", "SELECT 1 FROM contact WHERE id = $1 AND branch = $2"};
static const hf_query_t CALLLOG_Q_REVIEW_SCORE = {
    "calllog_review_score",
    "INSERT INTO review AS r (contact_id, branch, agent, day, sampled, score,"
    " note, reviewer, scored_at_ms)"
    " SELECT id, branch, agent, coalesce(day, (to_timestamp(logged_at_ms"
    " / 1000.0) AT TIME ZONE $7)::date), false, $3, $4, $5, $6"
    " FROM contact WHERE id = $1 AND branch = $2"
    " ON CONFLICT (contact_id) DO UPDATE SET score = $3, note = $4,"
    " reviewer = $5, scored_at_ms = $6 WHERE r.score IS NULL"
    " RETURNING " REVIEW_COLUMNS};
static const hf_query_t CALLLOG_Q_REVIEW_RATE_SET = {
    "calllog_review_rate_set", "INSERT INTO review_rate (branch, percent) VALUES ($1, $2)"
                               " ON CONFLICT (branch) DO UPDATE SET percent = $2"};

/* ---- calllog_consult.c ---- */

static const hf_query_t CALLLOG_Q_CONSULT_ADD = {
    "calllog_consult_add", "INSERT INTO consultation AS c (branch, name, phone, gender, age,"
                           " address, region, chief_complaint, media, outcome, product,"
                           " quantity, delivery, agent, regulator, regulator_unit,"
                           " regulator_position, regulator_contact, day, logged_at_ms)"
                           " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
                           " $13, $14, $15, $16, $17, $18, $19, $20)"
                           " RETURNING " CONSULT_COLUMNS};
static const hf_query_t CALLLOG_Q_ALERT_REGULATOR = {
    "calllog_alert_regulator", "INSERT INTO alert (branch, kind, to_role, summary, consultation_id,"
                               " raised_by, raised_at_ms) VALUES ($1, 'regulator-call', 'manager',"
                               " $2, $3, $4, $5) RETURNING " ALERT_COLUMNS};
static const hf_query_t CALLLOG_Q_CONSULTS = {
    "calllog_consults", "SELECT " CONSULT_COLUMNS " FROM consultation c"
                        " WHERE c.branch = $1 AND c.day = $2::date"
                        " AND (NOT $3::boolean OR c.regulator) ORDER BY c.id LIMIT 1000"};
static const hf_query_t CALLLOG_Q_ALERTS = {"calllog_alerts",
                                            "SELECT " ALERT_COLUMNS " FROM alert WHERE branch = $1"
                                            " ORDER BY raised_at_ms DESC, id DESC LIMIT 200"};
static const hf_query_t CALLLOG_Q_ALERT_LOCK = {
    "calllog_alert_lock", "SELECT " ALERT_COLUMNS " FROM alert WHERE branch = $1 AND id = $2"
                          " FOR UPDATE"};
static const hf_query_t CALLLOG_Q_ALERT_ACK = {
    "calllog_alert_ack", "UPDATE alert SET acked_at_ms = $2, acked_by = $3, ack_note = $4"
                         " WHERE id = $1 AND acked_at_ms = 0"};

/* ---- calllog_contact.c ---- */

/* the contact of a task's claim, looked up only after a log was refused (a claim already
 * logged says so first) or found the claim taken (its ON CONFLICT): the log itself does not
 * ask (issue 14) */
static const hf_query_t CALLLOG_Q_CONTACT_OF_CLAIM = {
    "calllog_contact_of_claim", "SELECT id FROM contact WHERE task_id = $1 AND claim_no = $2"};
/* the contact of a claim, once (a claim logged already: no row), with in the same statement
 * the sequence numbers of the events it will emit ($38 of producer $37) reserved as
 * hf_outbox_reserve reserves them (hf_service_events_reserved; the last one after the
 * contact's columns) and the command's audit row as hf_service_audit writes it
 * (hf_service_audit_values, $39..$46): two statements and a round trip less (issue 14). The
 * counter row is moved by an UPDATE: the framework makes the row at start, with its epoch
 * (hf_outbox_epoch); were it missing, the last number is NULL, nothing is reserved here and the
 * framework reserves the numbers at the commit (hf_outbox_reserve) as for any command. The
 * upsert this was formed its row to insert before it found the conflict, and so drew a random
 * epoch (gen_random_uuid, the column's default) at every call (clog11: 4 % of calllog's
 * backend) */
static const hf_query_t CALLLOG_Q_CONTACT_ADD = {
    "calllog_contact_add",
    "WITH seq AS (UPDATE outbox_seq SET last_seq = last_seq + $38::bigint"
    " WHERE producer = $37::text RETURNING last_seq),"
    " audit AS (INSERT INTO audit.access (actor, on_behalf_of, role, branch, service, command,"
    " customers, request_id) VALUES ($39, $40, $41, $42, $43, $44, $45::bigint[], $46))"
    " INSERT INTO contact (branch, task_id, claim_no, customer_id, agent,"
    " outcome, channel, purpose, effect, order_qty, delivery, callback_at_ms,"
    " next_date, note, started_at_ms, duration_s, logged_at_ms, day,"
    " purchase_id, dose, timing, other_medicines, diet, advice, order_product,"
    " delivery_address, referral_name, referral_phone, event_accepted, event,"
    " typical_case, typical_consent, blood_pressure, pulse, symptoms,"
    " findings) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
    " $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26,"
    " $27, $28, $29, $30, $31, $32, $33, $34, $35, $36)"
    " ON CONFLICT (task_id, claim_no) DO NOTHING"
    " RETURNING " CALLLOG_CONTACT_OWN_COLUMNS ", 0, (SELECT last_seq FROM seq)"};
/* A call's whole record in one statement, BEGIN's round trip (issue 14, clog11): what
 * CALLLOG_Q_CALL_BASICS and CALLLOG_Q_CONTACT_ADD do one after the other, for a log whose
 * task, record and product calllog_contact.c has found fit before asking (s_quick_fits).
 * The key's claim ($47, command $48) and the branch and outcome are looked up as in the
 * basics; only when all three are there (ok: the branch's zone) are the events' numbers
 * reserved, the audit row written and the contact inserted (its day the local date of $18
 * in that zone, computed here as the basics' zone would have computed it in C: checked
 * there). One row always: the contact's columns (NULL: not inserted) and its events' last
 * number, then CALLLOG_Q_CALL_BASICS's columns, then whether product $49 ('' none) is the
 * branch's. What the record's checks refuse afterwards rolls back with the transaction. */
static const hf_query_t CALLLOG_Q_CALL_QUICK = {
    "calllog_call_quick",
    "WITH claim AS (INSERT INTO idempotency (key, command) SELECT $47::text, $48::text"
    " WHERE $47 <> ''"
    " ON CONFLICT (key) DO NOTHING RETURNING 1),"
    " b AS (SELECT code, tz FROM branch WHERE code = $1),"
    " o AS (SELECT * FROM outcome WHERE code = $6 AND branch IN ($1, '') ORDER BY branch DESC"
    " LIMIT 1),"
    " ok AS (SELECT b.tz FROM b, o WHERE $47 = '' OR EXISTS (SELECT 1 FROM claim)),"
    " seq AS (UPDATE outbox_seq SET last_seq = last_seq + $38::bigint"
    " WHERE producer = $37::text AND EXISTS (SELECT 1 FROM ok) RETURNING last_seq),"
    " audit AS (INSERT INTO audit.access (actor, on_behalf_of, role, branch, service, command,"
    " customers, request_id) SELECT $39::text, $40::text, $41::text, $42::text, $43::text,"
    " $44::text, $45::bigint[], $46::text FROM ok),"
    " logged AS (INSERT INTO contact (branch, task_id, claim_no, customer_id, agent,"
    " outcome, channel, purpose, effect, order_qty, delivery, callback_at_ms,"
    " next_date, note, started_at_ms, duration_s, logged_at_ms, day,"
    " purchase_id, dose, timing, other_medicines, diet, advice, order_product,"
    " delivery_address, referral_name, referral_phone, event_accepted, event,"
    " typical_case, typical_consent, blood_pressure, pulse, symptoms,"
    " findings) SELECT $1::text, $2::bigint, $3::int, $4::bigint, $5::text, $6::text,"
    " $7::text, $8::text, $9::text, $10::int, $11::text, $12::bigint, $13::date, $14::text,"
    " $15::bigint, $16::int, $17::bigint,"
    " (to_timestamp($18::bigint / 1000.0) AT TIME ZONE ok.tz)::date, $19::bigint,"
    " $20::text, $21::text, $22::text, $23::text, $24::text, $25::text, $26::text, $27::text,"
    " $28::text, $29::boolean, $30::text, $31::boolean, $32::boolean, $33::text, $34::int,"
    " $35::text, $36::text FROM ok"
    " ON CONFLICT (task_id, claim_no) DO NOTHING"
    " RETURNING " CALLLOG_CONTACT_OWN_COLUMNS ", 0)"
    " SELECT logged.*, (SELECT last_seq FROM seq),"
    " $47 = '' OR EXISTS (SELECT 1 FROM claim), b.code IS NOT NULL, coalesce(b.tz, ''),"
    " o.code IS NOT NULL, coalesce(o.human_answered, false), coalesce(o.contacted, false),"
    " coalesce(o.sale, false), coalesce(o.do_not_call, false), coalesce(o.unworkable, false),"
    " coalesce(o.callback, false), coalesce(o.completed, false),"
    " coalesce(array_to_string(o.channels, ', '), ''),"
    " $49 = '' OR EXISTS (SELECT 1 FROM product WHERE branch = $1 AND code = $49)"
    " FROM (SELECT 1) one LEFT JOIN b ON true LEFT JOIN o ON b.code IS NOT NULL"
    " LEFT JOIN logged ON true"};

/* a quick log's contact day set to the one this process computes, when the store's zone
 * database disagreed (calllog_contact.c, s_quick_log) */
static const hf_query_t CALLLOG_Q_CONTACT_DAY = {"calllog_contact_day",
                                                 "UPDATE contact SET day = $2::date WHERE id = $1"};

/* ---- calllog_letters.c ---- */

static const hf_query_t CALLLOG_Q_LETTERS_SENT = {
    "calllog_letters_sent", "INSERT INTO contact (branch, task_id, claim_no, customer_id, agent,"
                            " outcome, channel, purpose, started_at_ms, logged_at_ms, day,"
                            " purchase_id) VALUES ($1, $2, 0, $3, $4, 'sent', 'letter', $5, $6,"
                            " $6, $7::date, $8) ON CONFLICT (task_id, claim_no) DO NOTHING"
                            " RETURNING " CALLLOG_CONTACT_COLUMNS};

#endif
