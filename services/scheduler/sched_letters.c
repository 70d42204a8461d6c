/* sched_letters: the letter channel (issue 16). A letter is printed and posted, not phoned:
 * a task on channel letter never enters the due-index (the index timer skips it) and so
 * never an agent's date bag or their phone capacity. It waits, planned, for its day's batch:
 * `letters print` lists the branch's letter tasks due that local day with the customer's
 * name and postal address from the scheduler's copy; calllog logs the batch as sent (one
 * contact on channel letter per task), and its call_logged makes the task done here. */
#include "scheduler_internal.h"
#include "scheduler_sql.h"

/* The letters of branch due on local day (planned: still to send), with the customers'
 * names and addresses, into batch (arena). 0 or -1. */
static int s_batch(hf_store_t *st, const char *branch, const sched_branch_t *b, int32_t day,
                   Huifang__V1__LetterBatch *batch, hf_arena_t *a)
{
    char from[24], to[24];
    const char *p[] = {branch, hf_pg_i64(from, hf_time_from_local(day, 0, b->tz)),
                       hf_pg_i64(to, hf_time_from_local(day + 1, 0, b->tz))};
    PGresult *res = hf_store_query(st, &SCHED_Q_LETTERS_BATCH, 3, p);
    if (res == NULL)
        return -1;
    int n = PQntuples(res);
    char date[11];
    hf_date_format(day, date);
    batch->branch = hf_arena_strdup(a, branch);
    batch->date = hf_arena_strdup(a, date);
    batch->letters = hf_new_array(a, Huifang__V1__Letter *, n ? n : 1);
    for (int i = 0; i < n; i++) {
        Huifang__V1__Letter *l = hf_new(a, Huifang__V1__Letter);
        huifang__v1__letter__init(l);
        l->task_id = hf_pg_int(res, i, 0);
        l->customer_id = hf_pg_int(res, i, 1);
        l->name = hf_arena_strdup(a, hf_pg_str(res, i, 2));
        l->address = hf_arena_strdup(a, hf_pg_str(res, i, 3));
        l->region = hf_arena_strdup(a, hf_pg_str(res, i, 4));
        l->purpose = hf_arena_strdup(a, hf_pg_str(res, i, 5));
        l->purchase_id = hf_pg_int(res, i, 6);
        l->product = hf_arena_strdup(a, hf_pg_str(res, i, 7));
        l->state = hf_arena_strdup(a, hf_pg_str(res, i, 8));
        l->language = hf_arena_strdup(a, hf_pg_str(res, i, 9));
        l->day = batch->date;
        if (*l->address == '\0') {
            batch->without_address++; /* nowhere to post it: left out, said */
            continue;
        }
        batch->letters[batch->n_letters++] = l;
    }
    PQclear(res);
    return 0;
}

int sched_letters_print(hf_service_t *svc, void *self, const hf_request_t *req, hf_reply_t *rep,
                        hf_arena_t *a)
{
    (void)self;
    const Huifang__V1__LettersPrint *q = req->letters_print;
    hf_store_t *st = hf_service_store(svc);
    if (req->branch == NULL || *req->branch == '\0')
        return hf_fail(rep, a, HF_BAD_INPUT, "branch",
                       "branch is required (--branch or HUIFANG_BRANCH)");
    sched_branch_t b;
    bool missing;
    if (sched_branch_get(st, req->branch, &b, &missing) != 0)
        return missing ? hf_fail(rep, a, HF_BAD_INPUT, "branch", "unknown branch %s", req->branch)
                       : HF_UNAVAILABLE;
    int32_t day = hf_time_local_day(hf_clock_now_ms(), b.tz);
    if (q->date && *q->date && hf_date_parse(q->date, &day) != 0)
        return hf_fail(rep, a, HF_BAD_INPUT, "date", "date \"%s\" is not a date (YYYY-MM-DD)",
                       q->date);
    Huifang__V1__LetterBatch *batch = hf_new(a, Huifang__V1__LetterBatch);
    huifang__v1__letter_batch__init(batch);
    if (s_batch(st, req->branch, &b, day, batch, a) != 0)
        return HF_UNAVAILABLE;
    /* names and postal addresses: personal data read, audited */
    int64_t *ids = hf_new_array(a, int64_t, batch->n_letters + 1);
    for (size_t i = 0; i < batch->n_letters; i++)
        ids[i] = batch->letters[i]->customer_id;
    if (hf_service_audit(svc, ids, batch->n_letters) != 0)
        return HF_UNAVAILABLE;
    hf_info("letters_print", "branch=%s date=%s letters=%zu without_address=%d", req->branch,
            batch->date, batch->n_letters, batch->without_address);
    rep->result_case = HUIFANG__V1__REPLY__RESULT_LETTERS;
    rep->letters = batch;
    return HF_OK;
}

int sched_letter_sent(hf_service_t *svc, Huifang__V1__Task *t, const Huifang__V1__Contact *ct)
{
    char id[24], at[24], attempts[16];
    const char *p[] = {hf_pg_i64(id, t->id), S(ct->outcome), hf_pg_i64(at, hf_clock_now_ms()),
                       hf_pg_i64(attempts, t->attempts + 1)};
    int64_t moved =
        sched_task_move(hf_service_store(svc), "planned", "done",
                        &(sched_move_t){.set = "outcome = $2, updated_at_ms = $3, attempts = $4",
                                        .where = "id = $1 AND channel = 'letter'"},
                        4, p);
    if (moved < 0)
        return -1;
    if (moved == 0)
        return 0; /* sent before, or cancelled meanwhile */
    t->state = "done";
    t->outcome = (char *)S(ct->outcome);
    t->attempts++;
    hf_info("letter_sent", "task=%lld customer=%lld contact=%lld", (long long)t->id,
            (long long)t->customer_id, (long long)ct->id);
    return sched_emit_task(svc, HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_COMPLETED, t);
}

bool sched_channel_written(const char *channel)
{
    return strcmp(S(channel), "wechat") == 0 || strcmp(S(channel), "letter") == 0;
}
