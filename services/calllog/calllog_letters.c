/* calllog_letters: letters and WeChat (issue 16). `letters_sent` logs a day's letter batch
 * (the scheduler's, with the addresses it holds) as sent: one contact per letter on channel
 * letter with outcome sent, each a call_logged event — the scheduler then marks the task
 * done. A contact of a task is recorded once (UNIQUE task and claim: a letter is never
 * claimed, claim 0), so sending the batch twice logs nothing the second time. Outcomes may
 * be for some channels only (WeChat's sent, read, replied, no-reply: `call log` checks the
 * channel, calllog_contact.c). */
#include "calllog_internal.h"
#include "calllog_sql.h"
#include "hf_clock.h"
#include "hf_log.h"
#include "hf_time.h"
#include <stdio.h>
#include <string.h>

int calllog_letters_sent(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                         hf_arena_t *a)
{
    (void)self;
    hf_store_t *st = hf_service_store(svc);
    const Huifang__V1__LettersSent *q = req->letters_sent;
    char tz[64];
    int rc;
    if ((rc = calllog_branch_tz(st, req->branch, tz, rep, a)) != HF_OK)
        return rc;
    int32_t day;
    if (q->date && *q->date && hf_date_parse(q->date, &day) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "date", "date \"%s\" is not a date (YYYY-MM-DD)",
                       q->date);
    Huifang__V1__OutcomeFlags *flags = hf_new(a, Huifang__V1__OutcomeFlags);
    huifang__v1__outcome_flags__init(flags);
    if ((rc = calllog_outcome_flags(st, req->branch, "sent", flags, rep, a)) != HF_OK)
        return rc;

    /* the batch as the scheduler holds it: the letters of that day still to send */
    Huifang__V1__LettersPrint print = HUIFANG__V1__LETTERS_PRINT__INIT;
    print.date = (char *)S(q->date);
    hf_request_t sq = HUIFANG__V1__REQUEST__INIT;
    sq.branch = req->branch;
    sq.actor = req->actor;
    sq.command_case = HUIFANG__V1__REQUEST__COMMAND_LETTERS_PRINT;
    sq.letters_print = &print;
    hf_service_forward(svc, &sq);
    hf_client_t *sched = hf_service_peer(svc, "scheduler");
    hf_reply_t *batch_reply = NULL;
    PGresult *res = NULL;
    if (sched == NULL || hf_client_call(sched, &sq, &batch_reply) != 0)
        return hf_fail(rep, a, HF_UNAVAILABLE, NULL,
                       "the scheduler did not answer; nothing recorded, safe to retry");
    if (batch_reply->status != HF_OK) {
        rc = hf_fail(rep, a, (int)batch_reply->status, S(batch_reply->field), "%s",
                     S(batch_reply->error));
        goto done;
    }
    if (batch_reply->result_case != HUIFANG__V1__REPLY__RESULT_LETTERS) {
        rc = hf_fail(rep, a, HF_INTERNAL, NULL, "the scheduler answered without the letters");
        goto done;
    }
    const Huifang__V1__LetterBatch *in = batch_reply->letters;
    Huifang__V1__LetterBatch *out = hf_new(a, Huifang__V1__LetterBatch);
    huifang__v1__letter_batch__init(out);
    out->branch = hf_arena_strdup(a, S(in->branch));
    out->date = hf_arena_strdup(a, S(in->date));
    out->without_address = in->without_address;
    out->letters = hf_new_array(a, Huifang__V1__Letter *, in->n_letters + 1);
    int64_t *customers = hf_new_array(a, int64_t, in->n_letters + 1);
    int64_t now = hf_clock_now_ms();
    char today[11], at[24];
    hf_time_local_date(now, tz, today);
    hf_pg_i64(at, now);
    for (size_t i = 0; i < in->n_letters; i++) {
        const Huifang__V1__Letter *l = in->letters[i];
        char tid[24], cid[24], pid[24];
        const char *p[] = {req->branch,
                           hf_pg_i64(tid, l->task_id),
                           hf_pg_i64(cid, l->customer_id),
                           S(req->actor),
                           S(l->purpose),
                           at,
                           today,
                           hf_pg_i64(pid, l->purchase_id)};
        res = hf_store_query(st, &CALLLOG_Q_LETTERS_SENT, 8, p);
        if (res == NULL) {
            rc = HF_UNAVAILABLE;
            goto done;
        }
        if (PQntuples(res) == 1) {
            Huifang__V1__Contact *ct = calllog_contact_from_row(res, 0, 0, false, a);
            ct->flags = flags;
            Huifang__V1__CallLogged ev = HUIFANG__V1__CALL_LOGGED__INIT;
            ev.contact = ct;
            hf_envelope_t env = HUIFANG__V1__ENVELOPE__INIT;
            env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CALL_LOGGED;
            env.call_logged = &ev;
            if (hf_service_emit(svc, &env) != 0) {
                rc = HF_UNAVAILABLE;
                goto done;
            }
            Huifang__V1__Letter *copy = hf_new(a, Huifang__V1__Letter);
            huifang__v1__letter__init(copy);
            copy->task_id = l->task_id;
            copy->customer_id = l->customer_id;
            copy->name = hf_arena_strdup(a, S(l->name));
            copy->address = hf_arena_strdup(a, S(l->address));
            copy->region = hf_arena_strdup(a, S(l->region));
            copy->purpose = hf_arena_strdup(a, S(l->purpose));
            copy->day = out->date;
            copy->purchase_id = l->purchase_id;
            copy->product = hf_arena_strdup(a, S(l->product));
            copy->state = "sent";
            customers[out->n_letters] = l->customer_id;
            out->letters[out->n_letters++] = copy;
        }
        PQclear(res);
        res = NULL;
    }
    out->sent = (int32_t)out->n_letters;
    if (hf_service_audit(svc, customers, out->n_letters) != 0) {
        rc = HF_UNAVAILABLE;
        goto done;
    }
    hf_info("letters_sent", "branch=%s date=%s sent=%d without_address=%d", req->branch, out->date,
            out->sent, out->without_address);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_LETTERS;
    rep->letters = out;
    rc = HF_OK;
done:
    if (res)
        PQclear(res);
    if (batch_reply)
        huifang__v1__reply__free_unpacked(batch_reply, NULL);
    return rc;
}
