/* calllog_internal: what the call-log's files share — lookups in the service's own copies of
 * intake's branches, agents and products, the outcome taxonomy, and the command handlers the
 * table in calllog.c dispatches to. Not for other services. */
#ifndef CALLLOG_INTERNAL_H
#define CALLLOG_INTERNAL_H
#include "calllog.h"
#include <stdbool.h>

#define S(x) ((x) ? (x) : "")

/* Limits of free text, in bytes. */
#define CALLLOG_NAME_MAX 60
#define CALLLOG_SHORT_MAX 200
#define CALLLOG_TEXT_MAX 2000

/* The request's branch zone into tz (64 bytes). HF_OK; BAD_INPUT naming "branch" when the
 * branch is missing or unknown here; UNAVAILABLE. */
int calllog_branch_tz(hf_store_t *st, const char *branch, char *tz, hf_reply_t *rep, hf_arena_t *a);
/* The role of agent id in branch into role (16 bytes), "" when unknown. Returns 0 or -1. */
int calllog_agent_role(hf_store_t *st, const char *branch, const char *id, char *role);
/* The customer's address from intake's events into address ("" when unknown). 0 or -1. */
int calllog_customer_address(hf_store_t *st, int64_t id, char *address, size_t len);
/* True for the roles that may act for others and check quality: lead, head, manager. */
bool calllog_role_supervises(const char *role);
/* HF_OK when the actor is a supervisor of the branch, or when ops act without --as and
 * ops_ok; otherwise CONFLICT naming "actor" with what is needed for `what`. */
int calllog_need_supervisor(hf_store_t *st, const hf_request_t *req, bool ops_ok, const char *what,
                            hf_reply_t *rep, hf_arena_t *a);
/* HF_OK when product code is in the branch's product copy; BAD_INPUT naming field if not. */
int calllog_need_product(hf_store_t *st, const char *branch, const char *code, const char *field,
                         hf_reply_t *rep, hf_arena_t *a);
/* BAD_INPUT naming "outcome": code is not in the branch's outcome list. */
int calllog_outcome_unknown(hf_reply_t *rep, hf_arena_t *a, const char *code);
/* An outcome's seven flags from row 0 of res, columns col.. in the order of the outcome
 * table (human_answered, contacted, sale, do_not_call, unworkable, callback, completed). */
void calllog_outcome_flags_read(const PGresult *res, int col, Huifang__V1__OutcomeFlags *f);
/* The flags of outcome code for branch (the branch's own code first, else the default).
 * HF_OK; BAD_INPUT naming "outcome" for an unknown code; UNAVAILABLE. */
int calllog_outcome_flags(hf_store_t *st, const char *branch, const char *code,
                          Huifang__V1__OutcomeFlags *f, hf_reply_t *rep, hf_arena_t *a);
/* Checks optional free text: BAD_INPUT naming field when longer than max or with control
 * characters. */
int calllog_check_text(const char *value, const char *field, size_t max, hf_reply_t *rep,
                       hf_arena_t *a);

/* The columns of a contact row (the table unaliased, as "contact"), then, with
 * CALLLOG_FLAGS_JOIN in the FROM clause, its outcome's flags. */
#define CALLLOG_CONTACT_COLUMNS                                                                    \
    CALLLOG_CONTACT_OWN_COLUMNS                                                                    \
    ","                                                                                            \
    " coalesce((SELECT d.id FROM delivery d WHERE d.contact_id = contact.id), 0)"
/* the contact's own columns: all of CALLLOG_CONTACT_COLUMNS but the last, its delivery's id
 * (a contact just inserted has none: its RETURNING gives 0 instead of looking) */
#define CALLLOG_CONTACT_OWN_COLUMNS                                                                \
    "contact.id, contact.task_id, contact.branch, contact.customer_id, contact.agent,"             \
    " contact.outcome, contact.effect, contact.order_qty, contact.delivery,"                       \
    " contact.callback_at_ms, coalesce(contact.next_date::text, ''), contact.note,"                \
    " contact.logged_at_ms, contact.channel, contact.purpose, contact.order_product,"              \
    " contact.dose, contact.timing, contact.other_medicines, contact.diet, contact.advice,"        \
    " contact.event_accepted, contact.event, contact.typical_case, contact.typical_consent,"       \
    " contact.blood_pressure, contact.pulse, contact.symptoms, contact.findings,"                  \
    " contact.started_at_ms, contact.duration_s, contact.claim_no, contact.purchase_id,"           \
    " coalesce(contact.day::text, ''), contact.referral_name, contact.referral_phone"
#define CALLLOG_CONTACT_NCOLS 37
#define CALLLOG_FLAG_COLUMNS                                                                       \
    "f.human_answered, f.contacted, f.sale, f.do_not_call, f.unworkable, f.callback,"              \
    " f.completed"
#define CALLLOG_FLAGS_JOIN                                                                         \
    " LEFT JOIN LATERAL (SELECT o.human_answered, o.contacted, o.sale, o.do_not_call,"             \
    " o.unworkable, o.callback, o.completed FROM outcome o WHERE o.code = contact.outcome"         \
    " AND o.branch IN (contact.branch, '') ORDER BY o.branch DESC LIMIT 1) f ON true"
/* Builds a Contact from row of a result holding CALLLOG_CONTACT_COLUMNS from column b on
 * (then CALLLOG_FLAG_COLUMNS when with_flags), in arena memory. */
Huifang__V1__Contact *calllog_contact_from_row(const PGresult *res, int row, int b, bool with_flags,
                                               hf_arena_t *a);
/* The columns of a delivery row and its builder. */
#define CALLLOG_DELIVERY_COLUMNS                                                                   \
    "id, branch, source, coalesce(contact_id, 0), coalesce(consultation_id, 0), customer_id,"      \
    " name, phone, address, region, product, quantity, state, agent, deliverer,"                   \
    " requested_at_ms, delivered_at_ms"
Huifang__V1__Delivery *calllog_delivery_from_row(const PGresult *res, int row, hf_arena_t *a);
/* Opens a delivery entry (source "call" with contact_id, or "consult" with
 * consultation_id) and emits delivery_requested. Returns the entry, or NULL on a store
 * error. */
Huifang__V1__Delivery *calllog_open_delivery(hf_service_t *svc, Huifang__V1__Delivery *d,
                                             hf_arena_t *a);

/* ---- command handlers ---- */
/* call_log's and visit_log's ask of the scheduler, made by the framework before the handler
 * runs (hf_command_ask_t): the brief task show of the record's task, or none (0) for a record
 * refused before the task would be read. */
int calllog_ask_task(hf_service_t *svc, void *self, const hf_request_t *req, hf_request_t *q,
                     hf_arena_t *a);
int calllog_call_log(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                     hf_arena_t *a);
int calllog_visit_log(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                      hf_arena_t *a);
int calllog_consult_log(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a);
int calllog_consult_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a);
int calllog_alert_ack(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                      hf_arena_t *a);
/* calllog_read.c: the web console's reads */
int calllog_contact_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a);
int calllog_alert_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                       hf_arena_t *a);
int calllog_outcome_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a);
int calllog_outcome_add(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a);
int calllog_delivery_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                          hf_arena_t *a);
int calllog_delivery_done(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                          hf_arena_t *a);
int calllog_review_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a);
int calllog_review_score(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a);
int calllog_review_rate(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a);

/* ---- letters and WeChat (calllog_letters.c, issue 16) ---- */

/* letters_sent: the day's letter batch (asked of the scheduler) logged as sent. */
int calllog_letters_sent(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a);

#endif
