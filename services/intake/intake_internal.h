/* intake_internal: what the files of intake share (intake.h: what main.c and the tests see).
 * intake: the customer archive. Owns branches, agents and products (the organisation every
 * other service copies from its events), customers with their phones and lead sources,
 * purchases, and the rules that are data per branch (loyalty tiers, stages).
 *
 * intake.c          the organisation, purchases, the command table
 * intake_lead.c     recording leads: one (lead_add), a batch (lead_import), from events
 * intake_customer.c find, show, phones, merge, opt-out, do-not-disturb, card types, rules
 * intake_consume.c  events of calllog and scheduler
 * intake_util.c     what they share: the branch, loading customers, SQL arrays, events
 * intake_rules.c    pure logic (validation, stages, tiers, card types, row keys) */
#ifndef INTAKE_INTERNAL_H
#define INTAKE_INTERNAL_H
#include "hf_replica.h"
#include "intake.h"
#include "intake_rules.h"

/* intake's own object: what signing sessions needs (intake_identity.c). */
typedef struct {
    uint8_t signing_key[crypto_sign_SECRETKEYBYTES];
    int64_t session_ttl_ms;
    bool signing; /* false with sessions off: nobody signs in */
} intake_t;

extern const hf_command_t intake_commands[];
/* The events intake applies: calllog's contacts and consultations, scheduler's screening
 * (intake_def subscribes to the producers its setting consume, HUIFANG_INTAKE_CONSUME, names). */
extern const hf_event_handler_t intake_calllog_events[];
extern const hf_event_handler_t intake_scheduler_events[];
extern const hf_event_handler_t intake_complaint_events[];

/* ---- command handlers, by file (the table is in intake.c) ---- */

int intake_lead_add(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                    hf_arena_t *a);
int intake_lead_import(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                       hf_arena_t *a);
int intake_customer_find(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a);
int intake_customer_show(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a);
int intake_customer_phone_add(hf_service_t *svc, void *self, const hf_request_t *req,
                              hf_reply_t *rep, hf_arena_t *a);
int intake_customer_merge(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                          hf_arena_t *a);
int intake_customer_opt_out(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                            hf_arena_t *a);
int intake_customer_dnd(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a);
int intake_customer_card(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a);
int intake_customer_edit(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a);
/* audit: the rows of audit.access (intake_audit.c) */
int intake_audit_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                      hf_arena_t *a);
int intake_rules_get(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                     hf_arena_t *a);
int intake_rules_set(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                     hf_arena_t *a);

/* ---- occasions (intake_occasion.c) ---- */

int intake_occasion_rule_add(hf_service_t *svc, void *self, const hf_request_t *req,
                             hf_reply_t *rep, hf_arena_t *a);
int intake_occasion_rule_list(hf_service_t *svc, void *self, const hf_request_t *req,
                              hf_reply_t *rep, hf_arena_t *a);
int intake_occasion_rule_remove(hf_service_t *svc, void *self, const hf_request_t *req,
                                hf_reply_t *rep, hf_arena_t *a);
int intake_occasion_trigger(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                            hf_arena_t *a);
/* The daily sweep (a timer): each branch with occasion rules, once per local day, emits
 * occasion_due for the customers due. 0, or -1 after logging. */
int intake_occasion_sweep(hf_service_t *svc, void *self);

/* ---- identity (intake_identity.c) ---- */

int intake_login(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                 hf_arena_t *a);
int intake_logout(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                  hf_arena_t *a);
int intake_whoami(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                  hf_arena_t *a);
int intake_user_add(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                    hf_arena_t *a);
int intake_user_passwd(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                       hf_arena_t *a);
int intake_user_disable(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a);
int intake_user_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                     hf_arena_t *a);
/* Loads the signing key and creates the first admin (HUIFANG_ADMIN_PASSWORD_FILE) when there
 * is none. 0, or -1 after a message on stderr. */
int intake_identity_init(hf_service_t *svc, intake_t *in);
/* Ends every session of login (an agent deactivated): emits person_revoked. 0 or -1. */
int intake_identity_revoke(hf_service_t *svc, const char *login);

/* ---- what the handlers share ---- */

/* A branch as a command sees it: zone, today, its rules (own or the defaults) and regions. */
typedef struct {
    char code[32];
    char tz[64];
    int32_t today; /* local date in tz */
    int64_t now_ms;
    intake_stage_rule_t stages[INTAKE_MAX_STAGES];
    int nstages;
    bool own_stages;
    intake_tier_rule_t tiers[3];
    int ntiers;
    bool own_tiers;
    char lead_plans[416]; /* the conversion plan per channel (intake_lead_plan_of) */
    const char **regions; /* what the branch's active agents cover (arena) */
    int nregions;
} intake_branch_t;

/* Loads branch code. HF_OK; BAD_INPUT naming "branch" when it is missing or unknown;
 * UNAVAILABLE. rep may be a scratch reply when there is no request. */
int intake_branch_load(hf_service_t *svc, const char *code, intake_branch_t *b, hf_reply_t *rep,
                       hf_arena_t *a);
/* intake_branch_load() for a branch whose zone the caller has read already (tz): the rest of
 * it (lead plans, stage and tier rules, regions) in one round trip. HF_OK or UNAVAILABLE. */
int intake_branch_rules(hf_service_t *svc, const char *code, const char *tz, intake_branch_t *b,
                        hf_reply_t *rep, hf_arena_t *a);
/* The stage rules in res's rows (INTAKE_Q_BRANCH_LOAD_STAGE_RULE's columns from col on; a row
 * whose code is NULL holds none) into b. */
void intake_stage_rows(const PGresult *res, int col, intake_branch_t *b);
/* The same from rows first .. end - 1 only. */
void intake_stage_rows_in(const PGresult *res, int first, int end, int col, intake_branch_t *b);
/* A plan template named on a product, a purchase, a lead or a branch's lead plans must
 * exist: the scheduler owns them, so it is asked (`plan show`, for the branch: its own copy
 * or the default). HF_OK, or BAD_INPUT naming the plan, or UNAVAILABLE when the scheduler
 * does not answer (nothing is recorded, so a retry is safe). */
int intake_plan_exists(hf_service_t *svc, const char *branch, const char *plan, hf_reply_t *rep,
                       hf_arena_t *a);
/* Fails rep with UNAVAILABLE and the store's error; returns HF_UNAVAILABLE. */
int intake_store_fail(hf_service_t *svc, hf_reply_t *rep, hf_arena_t *a);
/* A record of the branch that could not be loaded: NOT_FOUND naming field ("no <what> <id> in
 * branch <branch>") when it is missing, else intake_store_fail. Returns the status. */
int intake_load_fail(hf_service_t *svc, bool missing, const char *field, const char *what,
                     int64_t id, const char *branch, hf_reply_t *rep, hf_arena_t *a);
/* A show command's start: loads the branch code into b, then BAD_INPUT naming "id" unless id is
 * 1 up ("id must be a <what> id (1 up)"). HF_OK, or the failure written to rep. */
int intake_branch_record(hf_service_t *svc, const char *code, int64_t id, const char *what,
                         intake_branch_t *b, hf_reply_t *rep, hf_arena_t *a);
/* A list command's rows: loads the branch code into b and runs q with b->code as its one
 * parameter; *res is the caller's to PQclear. HF_OK, or the failure written to rep. */
int intake_branch_rows(hf_service_t *svc, const char *code, const hf_query_t *q, intake_branch_t *b,
                       PGresult **res, hf_reply_t *rep, hf_arena_t *a);

/* The columns intake_customer_from_row() reads, for "SELECT " INTAKE_CUSTOMER_COLUMNS
 * " FROM customer c ..." (the literal, INTAKE_CUSTOMER_COLUMNS_SQL, for named statements). */
#define INTAKE_CUSTOMER_COLUMNS_SQL                                                                \
    "c.id, c.branch, c.name, c.phone, c.gender, coalesce(c.birth::text, ''),"                      \
    " coalesce(c.ref_date::text, ''), c.region, c.address, c.card_type, c.void_reason,"            \
    " c.opted_out, coalesce(c.dnd_until::text, ''), c.created_at_ms,"                              \
    " (SELECT coalesce(string_agg(p.phone || ' ' || p.relation, ','"                               \
    "    ORDER BY p.phone <> c.phone, p.phone), '') FROM customer_phone p WHERE p.customer_id = "  \
    "c.id),"                                                                                       \
    " c.windows, c.tier, coalesce(c.age, 0), c.route, c.condition, c.baby_name, c.baby_sex,"       \
    " coalesce(c.baby_birth::text, ''), coalesce(c.due_date::text, ''), c.current_brand,"          \
    " c.feeding, c.employer, c.hobbies, c.health, c.opt_out_reason, c.dnd_reason, c.spend_fen,"    \
    " c.purchases, coalesce(c.merged_into, 0), c.language"
extern const char INTAKE_CUSTOMER_COLUMNS[];
/* A Customer from row i (arena memory), with its stage computed for the branch's today. */
Huifang__V1__Customer *intake_customer_from_row(const PGresult *res, int i,
                                                const intake_branch_t *b, hf_arena_t *a);
/* Loads customer id of the branch (FOR UPDATE when lock). NULL with *rc HF_NOT_FOUND or
 * HF_UNAVAILABLE. A merged customer (tombstone) is returned: check merged_into. */
Huifang__V1__Customer *intake_customer_load(hf_service_t *svc, const intake_branch_t *b, int64_t id,
                                            bool lock, hf_arena_t *a, int *rc);
/* Sets c->stage (a copy in a) and c->ref_source from the reference date (ref_date, else the
 * baby's birth, else the due date) and the branch's stage rules. */
void intake_customer_stage(Huifang__V1__Customer *c, const intake_branch_t *b, hf_arena_t *a);

/* Emits n events inside the open transaction in one go (hf_outbox_copy_many: one sequence
 * reservation, one statement), each with branch and correlation id when it has none.
 * Returns 0 or -1. */
int intake_emit_many(hf_service_t *svc, hf_envelope_t **envs, int n, const char *branch,
                     const char *correlation, hf_arena_t *a);
/* Says where the events emitted from now on come from — the correlation id and the time
 * (UTC ms) of the event whose effects they tell, applied later than its handler ran (a call
 * folded into its batch, intake_consume.c) —, or NULL for the current event's or request's (the
 * framework's defaults, hf_service_emit). */
void intake_emit_origin(const char *correlation, int64_t at_ms);
/* hf_service_emit() with the origin intake_emit_origin() set. Returns 0 or -1. */
int intake_emit(hf_service_t *svc, hf_envelope_t *env);
/* Emits CustomerUpdated {c, change}. Returns 0 or -1. */
int intake_emit_updated(hf_service_t *svc, Huifang__V1__Customer *c, const char *change);
/* Emits CardTypeChanged. Returns 0 or -1. */
int intake_emit_card(hf_service_t *svc, const char *branch, int64_t id, const char *from,
                     const char *to, const char *reason);

/* A Postgres array literal built in arena memory, for set-based statements over a batch. */
typedef struct {
    hf_arena_t *arena;
    int pool; /* the reused buffer it lives in, or -1 for the arena */
    char *buf;
    size_t len, cap;
    int n;
} intake_arr_t;
/* Starts an empty array. Its memory stays valid until intake_arr_release_all(). */
void intake_arr_init(intake_arr_t *arr, hf_arena_t *a);
/* Hands every reused buffer back: call where no array literal is in use any more. */
void intake_arr_release_all(void);
/* Appends a text element (NULL is SQL NULL). */
void intake_arr_str(intake_arr_t *arr, const char *s);
/* Appends a whole number. */
void intake_arr_int(intake_arr_t *arr, int64_t v);
/* Appends a local date (day number), NULL when day is INTAKE_NO_DAY. */
void intake_arr_date(intake_arr_t *arr, int32_t day);
/* The literal, "{...}"; the array may not grow afterwards. */
const char *intake_arr_end(intake_arr_t *arr);

/* Rows for COPY ... FROM STDIN in text format (hf_store_copy_in): columns separated by tabs,
 * rows ended by newlines, \N for NULL, backslash, tab, newline and carriage return escaped.
 * The data is not SQL: nothing of it reaches the parser. */
typedef struct {
    char *buf; /* malloc'ed; intake_copy_release() frees it */
    size_t len, cap;
    bool row_started;
    bool failed; /* out of memory: the data is incomplete */
} intake_copy_t;
void intake_copy_init(intake_copy_t *c);
void intake_copy_release(intake_copy_t *c);
/* Appends a text column (NULL is SQL NULL). */
void intake_copy_str(intake_copy_t *c, const char *s);
/* Appends a whole number. */
void intake_copy_int(intake_copy_t *c, int64_t v);
/* Appends a local date (day number), NULL when day is INTAKE_NO_DAY. */
void intake_copy_date(intake_copy_t *c, int32_t day);
/* Ends the row. */
void intake_copy_row_end(intake_copy_t *c);
/* Sends the rows through the COPY statement sql; 0, or -1 with the error on the store. */
int intake_copy_send(hf_store_t *st, intake_copy_t *c, const char *sql);

/* ---- recording leads (intake_lead.c) ---- */

/* One lead on its way into the archive, as a command or an event brought it. */
typedef struct {
    const Huifang__V1__LeadAdd *raw; /* as received, defaults applied */
    int64_t line;                    /* import: the line of the file */
    const char *plan;                /* the conversion plan: NULL the branch's for the
                                      * channel, "" or "none" no plan, else a template */
    const char *origin;              /* the event that brought it (unique), or NULL */
    /* set by intake_leads_check() */
    bool valid;
    intake_lead_t lead;
    intake_error_t err;
    /* set by intake_leads_record() */
    char key[37];
    bool duplicate; /* its key (or origin) was recorded before */
    bool merged;
    int64_t customer_id;
    Huifang__V1__Customer *customer;
} intake_row_t;

/* Validates rows against the branch; sets valid, lead, err. */
void intake_leads_check(const intake_branch_t *b, intake_row_t *rows, int n, hf_arena_t *a);
/* Records the checked rows in a few set-based statements: when keyed, a row whose key was
 * recorded before (on a lead source of its phone's customer, or in import_row for a rejected
 * row) or repeats one of the batch is a duplicate; claims their phones (a known phone merges
 * into its customer, new non-empty fields filling empty ones; several rows of one new phone
 * make one customer), writes customers and lead sources (with the rows' keys), and emits
 * LeadRegistered / LeadMerged per recorded row and LeadRejected per new invalid row. Returns
 * HF_OK or HF_UNAVAILABLE (a concurrent merge of a customer included: the batch is retried). */
int intake_leads_record(hf_service_t *svc, const intake_branch_t *b, intake_row_t *rows, int n,
                        bool keyed, const char *correlation, hf_arena_t *a);

/* ---- purchases and cards (intake.c) ---- */

/* The purchases of a customer in order, into *out (arena); 0 or -1. */
int intake_purchases_load(hf_service_t *svc, int64_t customer_id, Huifang__V1__Purchase ***out,
                          size_t *n, hf_arena_t *a);

typedef struct {
    int64_t customer_id;
    const char *product;
    int quantity;
    int32_t day;             /* local date of purchase */
    int64_t price_fen;       /* 0: unit price × quantity */
    const char *plan;        /* "" or NULL: the product's */
    int64_t contact_id;      /* 0 when none */
    int64_t consultation_id; /* 0 when none */
    const char *agent;
    const char *actor; /* who recorded it (the clerk), for the points ledger; "" = agent */
} intake_purchase_t;

/* How far back a purchase may be dated (days): within five years, never in the future. */
#define INTAKE_PURCHASE_PAST_DAYS 1827

/* Records a purchase: the next form of the customer (nth), supply end date, card made
 * customer (reopening a void one), spend and tier updated; emits PurchaseRecorded (and
 * CardTypeChanged / CustomerUpdated when the card or tier changed). A purchase with a
 * contact or consultation already recorded returns HF_CONFLICT. Returns HF_OK with *out, or
 * an error status with rep filled. */
int intake_purchase_record(hf_service_t *svc, const intake_branch_t *b, const intake_purchase_t *p,
                           Huifang__V1__Purchase **out, hf_reply_t *rep, hf_arena_t *a);
/* Changes a customer's card (locked by the caller) to `to` with reason; emits
 * CardTypeChanged, and CustomerUpdated unless quiet (the caller emits its own). Returns 0, 1
 * when it already was, or -1 on a store error. c is updated. */
int intake_card_set(hf_service_t *svc, const intake_branch_t *b, Huifang__V1__Customer *c,
                    const char *to, const char *reason, bool quiet);
/* What intake_card_set does once the card is written (c holds it): CardTypeChanged from
 * `from`, CustomerUpdated unless quiet, the log line. 0 or -1. */
int intake_card_moved(hf_service_t *svc, Huifang__V1__Customer *c, const char *from, const char *to,
                      const char *reason, bool quiet);
/* Opts a customer out (locked by the caller); emits OptedOut, and CustomerUpdated unless
 * quiet. 0, 1 when already opted out, -1 on a store error. c is updated. */
int intake_opt_out(hf_service_t *svc, Huifang__V1__Customer *c, const char *reason, bool quiet);
/* What intake_opt_out does once the opt-out is written (c holds it): OptedOut, CustomerUpdated
 * unless quiet, the log line. 0 or -1. */
int intake_opted_out(hf_service_t *svc, Huifang__V1__Customer *c, bool quiet);

/* ---- points and gifts (intake_points.c) ---- */

/* The arithmetic of points (pure). */
typedef enum {
    INTAKE_POINTS_EARN,
    INTAKE_POINTS_REDEEM,
    INTAKE_POINTS_RETURN
} intake_points_kind_t;
typedef struct {
    int64_t delta;     /* what reaches the balance (< 0 taken) */
    int64_t owed;      /* what is owed afterwards */
    int64_t shortfall; /* a return: what the balance could not cover (now owed) */
} intake_points_move_t;
/* Points a purchase earns: per_yuan for every whole yuan of price_fen (0 for none). */
int64_t intake_points_earned(int64_t price_fen, int per_yuan);
/* Points a return takes back of the earned ones: earned x (quantity - used) / quantity,
 * rounded down; without a quantity the share of the price paid that was refunded; without
 * either, all of them. */
int64_t intake_points_returned(int64_t earned, int32_t quantity, int32_t used, int64_t refund_fen,
                               int64_t price_paid_fen);
/* One change of a balance: earned points settle what is owed first; a redemption needs
 * 0 < points <= balance (false otherwise: nothing changes); a return takes at most the
 * balance and owes the rest. The balance afterwards is balance + out->delta, never < 0. */
bool intake_points_apply(intake_points_kind_t kind, int64_t balance, int64_t owed, int64_t points,
                         intake_points_move_t *out);

int intake_points_show(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                       hf_arena_t *a);
int intake_points_redeem(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a);
int intake_points_rules(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a);
int intake_gift_add(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                    hf_arena_t *a);
int intake_gift_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                     hf_arena_t *a);
/* Earns the points of purchase p by the branch's per-yuan rule (whole yuan of its price),
 * inside the transaction that records it; once per purchase. 0 or -1 (store error). */
int intake_points_on_purchase(hf_service_t *svc, const char *branch, const Huifang__V1__Purchase *p,
                              const char *actor, hf_arena_t *a);
/* Awards the branch's per-event points to a customer who attended campaign campaign_id,
 * inside the caller's open transaction on st (the service's store): a ledger row (reason
 * event, reference campaign:ID), the balance, and PointsEarned. Once per customer and
 * campaign: a second call changes nothing and returns 0. The caller has checked that the
 * customer is of branch. actor: who recorded the attendance ("" = "campaign"). Returns the
 * points awarded (0 when the rule gives none or they were awarded before), or -1 on a store
 * error or a missing id (the caller's transaction must then roll back). */
int intake_points_award_event(hf_service_t *svc, hf_store_t *st, const char *branch,
                              int64_t customer_id, int64_t campaign_id, const char *actor,
                              hf_arena_t *a);
/* Customer other merged into keep: other's balance moves to keep's (an `adjust` row on
 * each ledger: "merged into/from customer N"), and what other owed is owed by keep (settled
 * by the balance arriving, as earnings settle it). Both accounts locked in id order. 0 or -1. */
int intake_points_on_merge(hf_service_t *svc, const char *branch, int64_t keep, int64_t other,
                           const char *actor, hf_arena_t *a);
/* An approved return r of a purchase of customer_id takes back the points its returned
 * units earned (quantity - used of quantity); what the balance cannot cover is owed. Once
 * per return. 0 or -1. */
int intake_points_on_return(hf_service_t *svc, const char *branch, int64_t customer_id,
                            const Huifang__V1__ReturnRequest *r, hf_arena_t *a);
/* ---- segments and campaigns (intake_segment.c, intake_campaign.c) ---- */

int intake_segment_add(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                       hf_arena_t *a);
int intake_segment_preview(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                           hf_arena_t *a);
int intake_segment_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a);
int intake_segment_show(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a);
int intake_campaign_add(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a);
int intake_campaign_list(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a);
int intake_campaign_show(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a);
int intake_campaign_checkin(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                            hf_arena_t *a);
/* scheduler.campaign_answered: the member's answer (accepted or declined). 0 or -1. */
int intake_on_campaign_answered(hf_service_t *svc, void *self, const hf_envelope_t *env,
                                hf_arena_t *a);

/* How many customers one CampaignInvited carries at most. */
#define INTAKE_CAMPAIGN_CHUNK 500

/* Calls fn(customer_id, arg) for every customer segment_id of branch matches now, in id
 * order, evaluated as the one parameterised statement every use of a segment shares (opted
 * out and merged customers never match; void cards only when the filter names void). Runs
 * on st inside the caller's transaction, if any. Returns 0; the first non-zero fn returned
 * (which stops the walk); -2 for an unknown branch or a segment not of branch; -1 on a store
 * error (kept on st). For the occasions' rules: intake_segment_each(st, b, rule_segment,
 * fn, arg). */
int intake_segment_each(hf_store_t *st, const char *branch, int64_t segment_id,
                        int (*fn)(int64_t customer_id, void *arg), void *arg);
/* Keeps the customer's last contact time (UTC ms; an older one never overwrites a newer),
 * for the segments' last contact filters: from calllog.call_logged. 0 or -1. */
int intake_campaign_note_contact(hf_service_t *svc, int64_t customer_id, int64_t at_ms);

#endif
