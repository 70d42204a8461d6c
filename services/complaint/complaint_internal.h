/* complaint_internal: what the complaint service's files share (not for other services).
 *
 * complaint.c         the service: configuration, commands table, timers, life cycle
 * complaint_card.c    the card, its clock in Postgres, and the complaint commands
 * complaint_return.c  the return register and the configuration commands
 * complaint_events.c  copies of other services' records, contacts (cards, word-of-mouth)
 * complaint_clock.c   the clock as pure functions; complaint_refund.c the refund */
#ifndef COMPLAINT_INTERNAL_H
#define COMPLAINT_INTERNAL_H
#include "complaint.h"
#include "complaint_clock.h"

#define S(x) ((x) ? (x) : "")

/* A card loaded for reading or change: the record, its clock and its branch's calendar. */
typedef struct {
    Huifang__V1__Complaint *c; /* arena memory */
    complaint_clock_t clk;
    complaint_calendar_t cal;
    int64_t next_timer_ms; /* the next threshold's instant; 0 when stopped */
    int64_t wait_limit_ms; /* how long it may wait on the customer (wall ms); 0: no limit */
} complaint_card_t;

/* What opens a card. */
typedef struct {
    const char *branch;
    int64_t customer_id;
    const char *category;
    const char *severity;
    const char *channel;
    const char *location;
    const char *description;
    const char *plan;
    const char *agent; /* answers at level 0 */
    const char *filed_by;
    const char *actor;
    int64_t source_contact; /* 0 when filed directly */
    int64_t opened_at_ms;
} complaint_new_t;

/* Loads the calendar that counts a clock in branch (business or around the clock). 0 or -1. */
int complaint_calendar_load(hf_store_t *st, const char *branch, bool business,
                            complaint_calendar_t *cal);
/* Opens a card (INSERT, history, ComplaintOpened) inside the current transaction. Returns 0
 * with *out (NULL when a card for the same source contact exists already), or -1. */
int complaint_card_open(hf_service_t *svc, const complaint_new_t *n, hf_arena_t *a,
                        complaint_card_t **out);
/* Loads card id (FOR UPDATE when lock); 0 with *out, 1 when there is none, -1 on error.
 * with_text fills the sensitive text fields. */
int complaint_card_load(hf_store_t *st, int64_t id, bool lock, bool with_text, hf_arena_t *a,
                        complaint_card_t **out);
/* Applies every threshold the clock passed up to now (history and events for each, in
 * order) and saves the card. Returns how many were applied, or -1. */
int complaint_card_catch_up(hf_service_t *svc, complaint_card_t *card, int64_t now, hf_arena_t *a);

/* The role of agent id in branch into role (16 bytes, "" when unknown). 0 or -1. */
int complaint_agent_role(hf_store_t *st, const char *branch, const char *id, char *role);
/* The request's branch must be known (a copy from intake); fills tz (64 bytes). HF_OK, or
 * the failure filled into rep. */
int complaint_need_branch(hf_service_t *svc, const hf_request_t *req, char *tz, hf_reply_t *rep,
                          hf_arena_t *a);
/* Checks that text is present (unless optional) and at most max bytes. HF_OK or BAD_INPUT. */
int complaint_check_text(const char *value, const char *field, size_t max, bool optional,
                         hf_reply_t *rep, hf_arena_t *a);

/* Command handlers (complaint_card.c). */
int complaint_file(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                   hf_arena_t *a);
int complaint_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                   hf_arena_t *a);
int complaint_show(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                   hf_arena_t *a);
int complaint_act(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                  hf_arena_t *a);
/* Command handlers (complaint_return.c). */
int complaint_return_file(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                          hf_arena_t *a);
int complaint_return_decide(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                            hf_arena_t *a);
int complaint_return_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                          hf_arena_t *a);
int complaint_sla_set(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                      hf_arena_t *a);
int complaint_calendar_set(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                           hf_arena_t *a);
int complaint_return_policy_set(hf_service_t *svc, void *self, const hf_request_t *req,
                                hf_reply_t *rep, hf_arena_t *a);
int complaint_config_show(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                          hf_arena_t *a);
/* Command handler (complaint_events.c). */
int complaint_risk_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a);

/* complaint_events.c: the customer copies a batch of intake's events brings, kept and written
 * once before it commits (hf_copies). init makes the keeper and sets the batch hook (0 or -1);
 * release frees it. */
int complaint_events_init(hf_service_t *svc);
void complaint_events_release(void);
int complaint_events_batch(hf_service_t *svc, void *self, bool commit);

#endif
