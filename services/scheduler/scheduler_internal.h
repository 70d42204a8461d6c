/* scheduler_internal: what the scheduler's files share and nobody else needs. The service is
 * one library in five files: scheduler.c (definition, settings, life cycle), sched_events.c
 * (what other services' events do to plans and tasks), sched_assign.c (the due-index and the
 * date bags), sched_house.c (timers: archiving, missed callbacks, unvisited members) and
 * sched_cmd.c (commands). sched_plan.c and sched_place.c hold the pure arithmetic. */
#ifndef SCHEDULER_INTERNAL_H
#define SCHEDULER_INTERNAL_H
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_replica.h"
#include "hf_time.h"
#include "sched_place.h"
#include "sched_plan.h"
#include "scheduler.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")
#define SCHED_DAY_MS (24 * 3600 * 1000LL)
/* A task that rolls over never climbs past this: adverse reactions (50) stay on top. */
#define SCHED_ROLL_CAP 49
/* A lead's plan has no supply: its "supply end" is this many days after the lead came. */
#define SCHED_LEAD_PLAN_DAYS 30

/* A branch as the scheduler keeps it. */
typedef struct {
    char tz[64];
    char windows[128];
} sched_branch_t;

/* Reads a branch; 0, or -1 when unknown (*missing) or on a store error. A branch read on the
 * service's store is kept in memory (the branch read once, not by every command and handler
 * of a call): while the intake stream's applied sequence (hf_service_applied) is the one it
 * was read at, for at most SCHED_BRANCH_KEEP_MS; never filled from a transaction that wrote
 * the copy (sched_branch_forget); an unknown branch is not kept. */
int sched_branch_get(hf_store_t *st, const char *branch, sched_branch_t *out, bool *missing);
/* Keeps the branches svc's store reads (sched_branch_get); from sched_init. */
void sched_branch_keep(hf_service_t *svc);
/* Forgets the branches kept, and keeps none read in st's open transaction (it wrote the
 * copy: the branch_upserted handler). */
void sched_branch_forget(hf_store_t *st);
/* The longest a branch is kept: a floor under the event-driven forgetting, for a copy
 * changed by anything but intake's events (a hand-made fix in the store). */
#define SCHED_BRANCH_KEEP_MS 5000

/* The columns every task query selects (with the customer's name, phone, region and
 * windows), for sched_task_from_row(); TASK_FROM joins the customer. */
#define TASK_COLUMNS                                                                               \
    "t.id, t.branch, t.customer_id, t.purchase_id, coalesce(t.plan_id, 0), t.step_no,"             \
    " t.purpose, t.channel, t.role, t.due_at_ms, t.state, t.agent, t.priority, t.attempts,"        \
    " coalesce(c.name, ''), coalesce(c.phone, ''), coalesce(c.region, ''), t.outcome,"             \
    " coalesce(t.bag_date::text, ''), t.claims, t.origin, t.reserved_agent, t.latest_at_ms,"       \
    " t.assigned_at_ms, coalesce(c.windows, ''), t.rolls, t.talking_points"
/* How many columns TASK_COLUMNS selects: a query's own columns after it start here. */
#define TASK_NCOLUMNS 27
#define TASK_FROM " FROM task t LEFT JOIN customer c ON c.id = t.customer_id"

/* A task from row i of a TASK_COLUMNS result, from arena memory. Its windows field holds
 * the customer's own windows; sched_task_windows() turns them into the effective ones. */
Huifang__V1__Task *sched_task_from_row(const PGresult *res, int i, hf_arena_t *a);
/* Loads one task (FOR UPDATE when lock); NULL when absent or on error (*err set). */
Huifang__V1__Task *sched_load_task(hf_store_t *st, int64_t id, bool lock, hf_arena_t *a, bool *err);
/* Replaces t->windows (the customer's own) by the windows the task is placed in. */
void sched_task_windows(Huifang__V1__Task *t, const char *branch_windows, hf_arena_t *a);

/* Formats strings as a Postgres array literal, each element quoted. */
void sched_text_array(char *const *items, size_t n, char *out, size_t outlen);
/* The same for an arena: any number of elements. */
char *sched_text_array_a(hf_arena_t *a, const char *const *items, size_t n);
/* A bigint array literal ("{1,2,3}") from arena memory. */
char *sched_int_array_a(hf_arena_t *a, const int64_t *v, size_t n);

/* The customer's effective call windows (the branch's intersected with their own). */
int sched_customer_windows(hf_store_t *st, int64_t customer_id, const char *branch_windows,
                           char *out, size_t outlen);
/* Upserts the customer copy from an intake Customer. 0 or -1. */
int sched_upsert_customer(hf_store_t *st, const Huifang__V1__Customer *c);
/* The copy's columns as sched_upsert_customer writes them (id, branch, name, phone, region,
 * card_type, opted_out, dnd_until, windows, tier, ref_date, created_at_ms, address, language;
 * dnd_until and ref_date NULL when unset or not a date, windows "" when not valid), into p;
 * id and created hold the numbers' text. */
#define SCHED_CUSTOMER_NPARAMS 14
void sched_customer_params(const Huifang__V1__Customer *c, char id[24], char created[24],
                           const char *p[SCHED_CUSTOMER_NPARAMS]);

/* Emits a task event (TASK_ASSIGNED, TASK_CLAIMED or TASK_COMPLETED). 0 or -1. */
int sched_emit_task(hf_service_t *svc, int payload, Huifang__V1__Task *t);
/* Emits plan_ended for every plan the result holds (columns: id, branch, customer_id,
 * coalesce(purchase_id, 0); a row with a NULL id holds none). 0 or -1. */
int sched_emit_plans_ended(hf_service_t *svc, const PGresult *res, const char *state,
                           const char *reason);
/* Emits customer_screened. 0 or -1. */
int sched_emit_screened(hf_service_t *svc, const char *branch, int64_t customer_id,
                        const char *reason);
/* Records a supervisor alert once (dedup) and emits supervisor_alert_raised. Returns 1 when
 * raised now, 0 when it was raised before, -1 on error. */
int sched_raise_alert(hf_service_t *svc, const char *branch, const char *kind, int64_t customer_id,
                      int64_t task_id, const char *agent, const char *detail, const char *dedup);

/* Cancels every open task of a customer (planned, assigned, paused; a claimed one is being
 * called and ends with its outcome) with outcome why, gives back the date-bag room they held,
 * and ends their active plans in plan_state with reason (emitting plan_ended). 0 or -1. */
int sched_cancel_customer(hf_service_t *svc, int64_t customer_id, const char *why,
                          const char *plan_state, const char *reason);
/* The task state machine (sched_task.c, its table of allowed moves at the top). */
typedef struct {
    const char *with;  /* a WITH list the move's statement starts with ("u AS (...)"), or NULL */
    const char *set;   /* the other columns set with the state ("agent = '', ..."), or NULL */
    const char *from;  /* a FROM list for a set-based move ("unnest(...) AS u(...)"), or NULL */
    const char *where; /* which tasks of `task t`, besides the state guard ("id = $1") */
    /* the tasks are named by their ids alone (where: "id = ANY ($1)" or a join on id): the
     * guard is written `(t.state IN (...)) IS TRUE`, the same test and estimate, which no
     * partial index on state can serve (see sched_task.c) */
    bool keyed;
    /* the moved tasks are to be put into the due-index again (a move to planned only): the
     * statement lists them in task_unindexed itself, the letters left out, as task's row
     * trigger does for an UPDATE that names `indexed` (see sched_task.c) */
    bool reindex;
} sched_move_t;
/* The due-index's to-do list (migration 019) written by the statement that asks for the
 * re-index, as task's row trigger writes it for an UPDATE naming `indexed`: the rows of SRC
 * (a table or a CTE with branch, id and channel) where COND (followed by AND, or empty) holds,
 * the letters left out, and a row the index timer holds waited for (DO UPDATE). One text for
 * sched_task_move's reindex form and the assignment's roll-over and re-listing. */
#define SCHED_LIST_UNINDEXED(SRC, COND)                                                            \
    "INSERT INTO task_unindexed (branch, id) SELECT branch, id FROM " SRC " WHERE " COND           \
    "channel <> 'letter' ON CONFLICT (branch, id) DO UPDATE SET id = excluded.id"
/* A move's where for the tasks of an array of ids ($1, keyed): the ids through a scalar
 * subquery (an initplan), as SCHED_Q_RELEASE_ROOM's, whose length the planner cannot count, so
 * that a custom plan costs what the generic one does (a probe of task_pkey an id) and Postgres
 * keeps the generic plan after five runs. As "id = ANY ($1::bigint[])" the few ids of a
 * customer's or a plan's tasks looked cheaper than the generic plan's guess of ten, and the
 * move was planned at every run (national_day, a full tenth: 3,953 plans for 3,953 customers'
 * cancellations, 2,670 for as many plans ended by a purchase; 0.12 and 0.09 ms each). */
#define SCHED_WHERE_IDS "id = ANY ((SELECT $1::bigint[])::bigint[])"
/* Moves the tasks m->where selects whose state is one of from_states (comma-separated) to
 * `to`, setting m->set alongside, in one guarded UPDATE (with m->reindex, listing them for the
 * due-index in the same statement); returns the number of tasks moved, or -1 (a failed
 * statement, or a move the table does not allow: logged, nothing written). */
int64_t sched_task_move(hf_store_t *st, const char *from_states, const char *to,
                        const sched_move_t *m, int nparams, const char *const *params);
/* Whether the table allows a task to move from one state to another. */
bool sched_task_move_allowed(const char *from, const char *to);
/* Gives back the date-bag room of assigned tasks the caller is about to take out of their
 * bags: ids (a bigint array literal) selects them. Call before changing their state. */
int sched_release_room(hf_store_t *st, const char *ids_literal);

/* A template's steps, the branch's own version first, else the default: the count (0 for
 * an unknown template) or -1 (sched_events.c). */
int sched_load_steps(hf_store_t *st, const char *branch, const char *template, sched_step_t *steps,
                     int max);
/* The offset in day .. day + window where the branch has the fewest planned tasks of role,
 * counted from a count kept for a moment plus what was placed since (sched_events.c);
 * the offset or -1. */
int sched_flex_offset(hf_store_t *st, const char *branch, const char *role, int32_t day, int window,
                      const char *tz);
/* Whether sched_flex_offset would answer from a kept count (no read of the store). */
bool sched_flex_kept(const char *branch, const char *role, int32_t day, int window);
/* While on, sched_flex_offset answers from a kept count however old (never a read): for a
 * batch that has placed tasks it has not written yet. */
void sched_flex_hold(bool on);
/* Archives (a purchase) or replaces (a lead, lead true) the customer's earlier active plans
 * other than plan_id, emitting plan_ended. 0 or -1. */
int sched_end_earlier_plans(hf_service_t *svc, int64_t customer_id, int64_t plan_id, bool lead);

/* Batched leads (sched_leads.c): a run of LeadRegistered events is applied as one set of
 * statements per batch. The handler of LeadRegistered: keeps the lead for the batch (or
 * applies it at once when it cannot be kept). 0, -1 or -2 as a handler. */
int sched_leads_on_registered(hf_service_t *svc, void *self, const hf_envelope_t *env,
                              hf_arena_t *a);
/* Writes the leads kept so far; every other intake handler calls it first, so that it sees
 * them. 0 or -1. */
int sched_leads_flush(hf_service_t *svc);
/* Writes what intake's handlers kept back (sched_events.c): the customers' copies that cancel
 * nothing (written in one upsert), or a change to a card that is not void (it waits for the
 * CustomerUpdated that carries it); every intake handler but such a copy calls it first, and
 * the batch hook before the commit. 0 or -1. */
int sched_kept_flush(hf_service_t *svc);
/* Forgets the copies and the card change kept back (after a rollback). */
void sched_kept_forget(void);
/* The batch hook (hf_service_on_batch): flushes (the leads, the copies or a card change kept
 * back) before the commit, forgets after a rollback. */
int sched_leads_batch(hf_service_t *svc, void *self, bool commit);
/* Reads the lead_batch setting (leads kept per batch; 1: each lead on its own). */
void sched_leads_init(hf_service_t *svc);
/* The per-lead path (sched_events.c): the copy and the lead's plan, at once. */
int sched_on_lead(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a);

/* Starts a plan, once (see sched_events.c). purchase_id 0 with lead_key for a lead's plan. */
int sched_start_plan(hf_service_t *svc, const char *branch, int64_t customer_id,
                     int64_t purchase_id, const char *lead_key, const char *template,
                     int32_t anchor_day, int32_t supply_end, const Huifang__V1__Customer *c,
                     hf_arena_t *a);

/* Places tasks into date bags of day for branch: the engine under both the assignment timer
 * and an absence (sched_assign.c). Fills each item's agent; the caller writes the tasks. */
int sched_reserve(hf_store_t *st, const char *branch, const char *day, sched_agent_t *agents,
                  int nagents, sched_item_t *items, int nitems, hf_arena_t *a);
/* Loads the agents who work in branch on day (active, not absent) with their load. Returns
 * the count (agents from arena memory) or -1. */
int sched_load_agents(hf_store_t *st, const char *branch, const char *day, sched_agent_t **out,
                      hf_arena_t *a);

/* Rolls the tasks left assigned in bags of earlier days (of agent, or of every agent when
 * NULL) into the same agent's bag of today: one step more urgent, rolls counted, the room
 * moved to today (sched_house.c). Inside the caller's transaction; at most 500 a call.
 * Returns how many are still left in old bags, or -1. */
int sched_roll_bags(hf_store_t *st, const sched_branch_t *b, const char *branch, const char *agent);
/* The same, the tasks found by the caller's SCHED_Q_ROLL_BAGS_TASK (branch, agent or "",
 * today's date in the branch) in found, its columns from col on (row 0). */
int sched_roll_bags_found(hf_store_t *st, const sched_branch_t *b, const char *branch,
                          const char *agent, const PGresult *found, int col);

/* The preview of a future day's date bag (sched_preview.c): the tasks planned for day placed
 * as the bag would take them now, for agent (NULL: every agent), with each agent's load and
 * how many find no room; nothing is written. 0 with *out (arena memory) or -1. */
int sched_bag_preview(hf_store_t *st, const sched_branch_t *b, const char *branch, int32_t day,
                      const char *agent, Huifang__V1__TaskList **out, hf_arena_t *a);
/* Adds to l the load of the bag of day ("YYYY-MM-DD") against capacity, for agent (NULL:
 * every agent who works that day). 0 or -1. */
int sched_bag_loads(hf_store_t *st, const char *branch, const char *day, const char *agent,
                    Huifang__V1__TaskList *l, hf_arena_t *a);

/* Commands (sched_cmd.c), in the service's command table. */
int sched_worklist_get(hf_service_t *, void *, const hf_request_t *, hf_reply_t *, hf_arena_t *);
int sched_task_next(hf_service_t *, void *, const hf_request_t *, hf_reply_t *, hf_arena_t *);
int sched_task_next_check(hf_service_t *, void *, const hf_request_t *, hf_reply_t *, hf_arena_t *);
int sched_task_show(hf_service_t *, void *, const hf_request_t *, hf_reply_t *, hf_arena_t *);
int sched_task_show_check(hf_service_t *, void *, const hf_request_t *, hf_reply_t *, hf_arena_t *);
int sched_queue_stats(hf_service_t *, void *, const hf_request_t *, hf_reply_t *, hf_arena_t *);
int sched_queue_rebuild(hf_service_t *, void *, const hf_request_t *, hf_reply_t *, hf_arena_t *);
int sched_plan_list(hf_service_t *, void *, const hf_request_t *, hf_reply_t *, hf_arena_t *);
int sched_plan_add(hf_service_t *, void *, const hf_request_t *, hf_reply_t *, hf_arena_t *);
int sched_plan_step_set(hf_service_t *, void *, const hf_request_t *, hf_reply_t *, hf_arena_t *);
int sched_agent_absent(hf_service_t *, void *, const hf_request_t *, hf_reply_t *, hf_arena_t *);
int sched_supervisor_alert_list(hf_service_t *, void *, const hf_request_t *, hf_reply_t *,
                                hf_arena_t *);
int sched_supervisor_alert_ack(hf_service_t *, void *, const hf_request_t *, hf_reply_t *,
                               hf_arena_t *);
int sched_task_release(hf_service_t *, void *, const hf_request_t *, hf_reply_t *, hf_arena_t *);
int sched_task_skip(hf_service_t *, void *, const hf_request_t *, hf_reply_t *, hf_arena_t *);

/* ---- occasions and the weekly contact cap (sched_occasion.c, sched_cap.c) ---- */

/* The weekly contact cap when no row says otherwise. */
#define SCHED_CAP_DEFAULT 2
/* One task on its way into a date bag, as the cap sees it. */
typedef struct {
    int64_t id;
    int64_t customer_id;
    const char *branch;
    int32_t day; /* the local day of the bag it would go into */
    const char *origin;
    const char *channel; /* only calls (phone) count and are held */
    int priority;
    bool over;        /* out: the customer's week is full */
    int32_t next_day; /* out: the Monday after (the first day the cap may allow) */
} sched_cap_item_t;
/* THE WEEKLY CONTACT CAP: marks over every item whose customer has had the branch's cap of
 * contacts in the item's ISO week (its bag day's, Monday to Sunday) — counting the tasks in
 * that week's bags and the batch's own, exempt ones (sched_cap_exempt) first, then the most
 * urgent. Called by the assignment for every task about to enter a bag. Returns how many are
 * over, or -1 on a store error. */
int sched_cap_check(hf_store_t *st, sched_cap_item_t *items, int n, hf_arena_t *a);
/* True for the origins never held back by the cap (they still count): callback, promised,
 * adverse. */
bool sched_cap_exempt(const char *origin);
/* True for the channels the cap counts and holds: calls (phone). */
bool sched_cap_counts(const char *channel);
/* The SQL condition on task t of the channels the cap counts (sched_cap_counts() in SQL). */
#define SCHED_CAP_CHANNELS "t.channel = 'phone'"
/* The Monday (day number) of day's ISO week. */
int32_t sched_cap_week_start(int32_t day);
/* The branch's cap (its own, else the default); -1 on a store error. */
int sched_cap_per_week(hf_store_t *st, const char *branch);
int sched_contact_cap_set(hf_service_t *, void *, const hf_request_t *, hf_reply_t *, hf_arena_t *);
int sched_contact_cap_get(hf_service_t *, void *, const hf_request_t *, hf_reply_t *, hf_arena_t *);
/* intake.occasion_due: a task per customer on the day, merged or dropped (sched_occasion.c). */
int sched_on_occasion_due(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a);

/* Moves an absent agent's date bags for from..until (day numbers) to colleagues; fills the
 * reply's result. Runs inside the command's transaction. HF_OK or a status. */
int sched_move_absent(hf_service_t *svc, const char *branch, const char *agent, int32_t from,
                      int32_t until, Huifang__V1__AgentAbsentResult *r, hf_arena_t *a);

/* ---- letters and WeChat (sched_letters.c, issue 16) ---- */

/* letters_print: the branch's letter tasks due on a local day, with names and addresses. */
int sched_letters_print(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a);
/* A letter contact of calllog (channel letter) for planned letter task t (locked): the task
 * is done with the contact's outcome, and task_completed emitted. 0 (also when it was done
 * before) or -1. */
int sched_letter_sent(hf_service_t *svc, Huifang__V1__Task *t, const Huifang__V1__Contact *ct);
/* Whether channel is written rather than spoken (letter, wechat): such a contact never
 * counts as an unanswered call, and such a task takes no phone capacity. */
bool sched_channel_written(const char *channel);
/* Campaigns (sched_campaign.c): intake's campaign_created, campaign_invited (invitation
 * tasks spread over the invite days) and campaign_attended (a thank-you call), in
 * sched_intake_events. */
int sched_on_campaign_created(hf_service_t *, void *, const hf_envelope_t *, hf_arena_t *);
int sched_on_campaign_invited(hf_service_t *, void *, const hf_envelope_t *, hf_arena_t *);
int sched_on_campaign_attended(hf_service_t *, void *, const hf_envelope_t *, hf_arena_t *);
/* A campaign task t logged (it is done): outcome accepted or declined emits CampaignAnswered;
 * accepted plans the reminder the day before the event, declined cancels a planned one. 0 or
 * -1. Called by sched_on_call_logged. */
/* Timer (every house_ms): cancels the invitations and reminders still open when their event
 * has begun (outcome event-passed), giving back their date-bag room. 0 or -1. */
int sched_campaign_expire(hf_service_t *svc, void *self);
/* Occasions (sched_occasion.c): a greeting is for its day. An occasion task not worked by the
 * end of its local day plus this many days is cancelled (outcome occasion-passed). */
#define SCHED_OCCASION_GRACE_DAYS 1
/* Timer (every house_ms): cancels the open occasion tasks past their day and grace, giving
 * back their date-bag room, 500 a pass. 0 or -1. */
int sched_occasion_expire(hf_service_t *svc, void *self);
/* The same for the tasks ids (a bigint array literal) only, inside the caller's transaction
 * (sched_roll_bags, before it rolls them). How many it cancelled, or -1. */
int64_t sched_occasion_expire_ids(hf_store_t *st, const char *ids);
int sched_campaign_call_logged(hf_service_t *svc, const Huifang__V1__Contact *ct,
                               const Huifang__V1__Task *t);

#endif
