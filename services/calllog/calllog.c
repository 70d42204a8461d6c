/* calllog: the follow-up contact record. The task's holder is asked of the scheduler,
 * which owns tasks; the record and its event commit together. */
#include "calllog.h"
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_time.h"
#include <stdio.h>
#include <string.h>

#define S(x) ((x) ? (x) : "")

static int on_agent(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a)
{
    (void)self;
    (void)a;
    const Huifang__V1__Agent *ag = env->agent_upserted->agent;
    if (ag == NULL)
        return -2;
    const char *p[] = {S(ag->branch), ag->id, S(ag->role)};
    return hf_store_run(hf_service_store(svc),
                        "INSERT INTO agent (branch, id, role) VALUES ($1, $2, $3)"
                        " ON CONFLICT (branch, id) DO UPDATE SET role = $3",
                        3, p);
}

const hf_event_handler_t calllog_intake_events[] = {
    {HUIFANG__V1__ENVELOPE__PAYLOAD_AGENT_UPSERTED, on_agent},
    {0, NULL}};

/* Reads the outcome's flags (branch's own code first, else the default). HF_OK, or
 * BAD_INPUT for an unknown code. */
static int s_outcome(hf_store_t *st, const char *branch, const char *code,
                     Huifang__V1__OutcomeFlags *f, hf_reply_t *rep, hf_arena_t *a)
{
    const char *p[] = {branch, code};
    PGresult *res = hf_store_exec(st,
                                  "SELECT human_answered, contacted, sale, do_not_call, unworkable,"
                                  " callback, completed FROM outcome WHERE code = $2 AND branch IN"
                                  " ($1, '') ORDER BY branch DESC LIMIT 1",
                                  2, p);
    if (res == NULL)
        return HF_UNAVAILABLE;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return hf_fail(rep, a, HF_BAD_INPUT, "outcome",
                       "outcome \"%s\" is not in the outcome list (connected, no-answer, busy, "
                       "wrong-number, not-in-service, refused, hostile, callback, ...)",
                       code);
    }
    f->human_answered = hf_pg_bool(res, 0, 0);
    f->contacted = hf_pg_bool(res, 0, 1);
    f->sale = hf_pg_bool(res, 0, 2);
    f->do_not_call = hf_pg_bool(res, 0, 3);
    f->unworkable = hf_pg_bool(res, 0, 4);
    f->callback = hf_pg_bool(res, 0, 5);
    f->completed = hf_pg_bool(res, 0, 6);
    PQclear(res);
    return HF_OK;
}

/* Asks the scheduler for the task; HF_OK with *task (owned by *reply, which the caller
 * frees), or a failure filled into rep. */
static int s_fetch_task(hf_service_t *svc, const hf_request_t *req, int64_t id,
                        hf_reply_t **reply, Huifang__V1__Task **task, hf_reply_t *rep,
                        hf_arena_t *a)
{
    Huifang__V1__TaskShow show = HUIFANG__V1__TASK_SHOW__INIT;
    show.id = id;
    hf_request_t q = HUIFANG__V1__REQUEST__INIT;
    q.branch = req->branch;
    q.actor = req->actor;
    q.command_case = HUIFANG__V1__REQUEST__COMMAND_TASK_SHOW;
    q.task_show = &show;
    hf_client_t *sched = hf_service_peer(svc, "scheduler");
    if (sched == NULL || hf_client_call(sched, &q, reply) != 0)
        return hf_fail(rep, a, HF_UNAVAILABLE, NULL,
                       "the scheduler did not answer; nothing recorded, safe to retry");
    if ((*reply)->status != HF_OK)
        return hf_fail(rep, a, (int)(*reply)->status, "task", "%s", S((*reply)->error));
    if ((*reply)->result_case != HUIFANG__V1__REPLY__RESULT_TASK || (*reply)->task->task == NULL)
        return hf_fail(rep, a, HF_INTERNAL, NULL, "the scheduler answered without the task");
    *task = (*reply)->task->task;
    return HF_OK;
}

/* True when actor may log for others (a supervisor role). */
static bool s_is_supervisor(hf_store_t *st, const char *branch, const char *actor)
{
    const char *p[] = {branch, actor};
    PGresult *res = hf_store_exec(st,
                                  "SELECT 1 FROM agent WHERE branch = $1 AND id = $2 AND role IN"
                                  " ('lead', 'head', 'manager')",
                                  2, p);
    bool yes = res && PQntuples(res) > 0;
    if (res)
        PQclear(res);
    return yes;
}

static int record_call_outcome(hf_service_t *svc, void *self, const hf_request_t *req,
                               hf_reply_t *rep, hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__CallLog *c = req->call_log;
    hf_store_t *st = hf_service_store(svc);
    int rc;
    if (req->branch == NULL || *req->branch == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "branch", "branch is required (--branch or HUIFANG_BRANCH)");
    if (c->task_id <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "task", "task is required");
    if (c->outcome == NULL || *c->outcome == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "outcome", "outcome is required");
    Huifang__V1__OutcomeFlags *flags = hf_new(a, Huifang__V1__OutcomeFlags);
    huifang__v1__outcome_flags__init(flags);
    if ((rc = s_outcome(st, req->branch, c->outcome, flags, rep, a)) != HF_OK)
        return rc;
    const char *effect = S(c->effect);
    if (*effect && strcmp(effect, "good") && strcmp(effect, "none") && strcmp(effect, "adverse"))
        return hf_fail(rep, a, HF_BAD_INPUT, "effect", "effect \"%s\" must be good, none or adverse",
                       effect);
    const char *delivery = S(c->delivery);
    if (*delivery && strcmp(delivery, "home") && strcmp(delivery, "store"))
        return hf_fail(rep, a, HF_BAD_INPUT, "delivery", "delivery \"%s\" must be home or store",
                       delivery);
    if (c->order_qty < 0 || c->order_qty > 10000)
        return hf_fail(rep, a, HF_BAD_INPUT, "order", "order quantity must be 0..10000");
    if (flags->callback && c->callback_at_ms <= 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "callback_at", "a callback needs the time it was asked for");
    int64_t now = hf_clock_now_ms();
    if (c->started_at_ms > now + 60000)
        return hf_fail(rep, a, HF_BAD_INPUT, "started_at", "the call cannot start in the future");
    int32_t next_day = -1;
    if (c->next_date && *c->next_date && hf_date_parse(c->next_date, &next_day) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "next", "next \"%s\" is not a date (YYYY-MM-DD)",
                       c->next_date);

    hf_reply_t *task_reply = NULL;
    Huifang__V1__Task *t = NULL;
    rc = s_fetch_task(svc, req, c->task_id, &task_reply, &t, rep, a);
    if (rc != HF_OK)
        goto done;
    const char *actor = S(req->actor);
    if (strcmp(t->state, "claimed") != 0) {
        rc = hf_fail(rep, a, strcmp(t->state, "done") == 0 ? HF_CONFLICT : HF_CONFLICT, "task",
                     "task %lld is %s, not claimed: claim it with `huifang task next` first",
                     (long long)t->id, t->state);
        goto done;
    }
    if (*actor == '\0' || (strcmp(actor, t->agent) != 0 && !s_is_supervisor(st, req->branch, actor))) {
        rc = hf_fail(rep, a, HF_CONFLICT, "task", "task %lld is held by agent %s, not %s",
                     (long long)t->id, t->agent, *actor ? actor : "(nobody: use --as)");
        goto done;
    }
    char tid[24], claim[16], cid[24], qty[16], cb[24], started[24], dur[16], at[24], next[11];
    if (next_day >= 0)
        hf_date_format(next_day, next);
    const char *p[] = {req->branch, hf_pg_i64(tid, t->id), hf_pg_i64(claim, t->claims),
                       hf_pg_i64(cid, t->customer_id), t->agent, c->outcome,
                       c->channel && *c->channel ? c->channel : S(t->channel), S(t->purpose),
                       effect, hf_pg_i64(qty, c->order_qty), delivery,
                       hf_pg_i64(cb, c->callback_at_ms), next_day >= 0 ? next : NULL, S(c->note),
                       hf_pg_i64(started, c->started_at_ms ? c->started_at_ms : now),
                       hf_pg_i64(dur, c->duration_s), hf_pg_i64(at, now)};
    PGresult *res = hf_store_exec(st,
                                  "INSERT INTO contact (branch, task_id, claim_no, customer_id, agent,"
                                  " outcome, channel, purpose, effect, order_qty, delivery,"
                                  " callback_at_ms, next_date, note, started_at_ms, duration_s,"
                                  " logged_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
                                  " $11, $12, $13, $14, $15, $16, $17)"
                                  " ON CONFLICT (task_id, claim_no) DO NOTHING RETURNING id",
                                  17, p);
    if (res == NULL) {
        rc = HF_UNAVAILABLE;
        goto done;
    }
    if (PQntuples(res) == 0) {
        PQclear(res);
        rc = hf_fail(rep, a, HF_CONFLICT, "task", "task %lld is already logged for this claim",
                     (long long)t->id);
        goto done;
    }
    Huifang__V1__Contact *ct = hf_new(a, Huifang__V1__Contact);
    huifang__v1__contact__init(ct);
    ct->id = hf_pg_int(res, 0, 0);
    PQclear(res);
    ct->task_id = t->id;
    ct->branch = req->branch;
    ct->customer_id = t->customer_id;
    ct->agent = hf_arena_strdup(a, t->agent);
    ct->outcome = c->outcome;
    ct->flags = flags;
    ct->effect = (char *)effect;
    ct->order_qty = c->order_qty;
    ct->delivery = (char *)delivery;
    ct->callback_at_ms = c->callback_at_ms;
    ct->next_date = next_day >= 0 ? hf_arena_strdup(a, next) : "";
    ct->note = S(c->note);
    ct->logged_at_ms = now;
    ct->channel = hf_arena_strdup(a, c->channel && *c->channel ? c->channel : S(t->channel));
    ct->purpose = hf_arena_strdup(a, S(t->purpose));
    Huifang__V1__CallLogged ev = HUIFANG__V1__CALL_LOGGED__INIT;
    ev.contact = ct;
    hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CALL_LOGGED;
    env.call_logged = &ev;
    if (hf_service_emit(svc, &env) != 0) {
        rc = HF_UNAVAILABLE;
        goto done;
    }
    rep->result_case = HUIFANG__V1__REPLY__RESULT_CONTACT;
    rep->contact = ct;
    rc = HF_OK;
done:
    if (task_reply)
        huifang__v1__reply__free_unpacked(task_reply, NULL);
    return rc;
}

static const hf_command_t s_commands[] = {
    {HUIFANG__V1__REQUEST__COMMAND_CALL_LOG, record_call_outcome, true},
    {0, NULL, false}};

const hf_service_def_t calllog_def = {
    .name = "calllog",
    .summary = "every contact recorded: follow-up calls, consultations, visits, deliveries",
    .config = NULL,
    .migrations = calllog_migrations,
    .commands = s_commands,
};
