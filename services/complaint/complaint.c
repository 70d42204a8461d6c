/* complaint: opens a card for every contact that reported an adverse effect. */
#include "complaint.h"
#include "hf_clock.h"
#include "hf_log.h"
#include <string.h>

#define S(x) ((x) ? (x) : "")

static int on_call_logged(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a)
{
    (void)self;
    (void)a;
    const Huifang__V1__Contact *ct = env->call_logged->contact;
    if (ct == NULL || strcmp(S(ct->effect), "adverse") != 0)
        return 0;
    char cid[24], contact[24], at[24];
    const char *p[] = {S(ct->branch), hf_pg_i64(cid, ct->customer_id), hf_pg_i64(contact, ct->id),
                       hf_pg_i64(at, hf_clock_now_ms())};
    /* the contact id is unique: a replayed event opens no second card */
    return hf_store_run(hf_service_store(svc),
                        "INSERT INTO complaint (branch, customer_id, category, source_contact,"
                        " opened_at_ms) VALUES ($1, $2, 'adverse-reaction', $3, $4)"
                        " ON CONFLICT (source_contact) DO NOTHING",
                        4, p);
}

const hf_event_handler_t complaint_calllog_events[] = {
    {HUIFANG__V1__ENVELOPE__PAYLOAD_CALL_LOGGED, on_call_logged},
    {0, NULL}};

static const hf_command_t s_commands[] = {{0, NULL, false}};

const hf_service_def_t complaint_def = {
    .name = "complaint",
    .summary = "complaint cards, the 24-hour clock with escalation, and returns",
    .config = NULL,
    .migrations = complaint_migrations,
    .commands = s_commands,
};
