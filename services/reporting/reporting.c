/* reporting: consumes every event of every producer exactly once into read models. */
#include "reporting.h"
#include "hf_log.h"
#include <stdio.h>
#include "hf_time.h"

#define S(x) ((x) ? (x) : "")

/* Counts every event; runs in the transaction that records the producer's sequence. */
static int tally_event(hf_service_t *svc, void *self, const hf_envelope_t *env, hf_arena_t *a)
{
    (void)self;
    (void)a;
    char day[11];
    hf_date_format((int32_t)(env->occurred_at_ms / 86400000), day);
    const char *p[] = {S(env->producer), hf_envelope_payload_name(env), S(env->branch), day};
    return hf_store_run(hf_service_store(svc),
                        "INSERT INTO event_tally (producer, payload, branch, day, n)"
                        " VALUES ($1, $2, $3, $4, 1) ON CONFLICT (producer, payload, branch, day)"
                        " DO UPDATE SET n = event_tally.n + 1",
                        4, p);
}

/* One handler for every payload this build knows. */
static hf_event_handler_t s_all[64];

int reporting_attach(hf_service_t *svc)
{
    const ProtobufCMessageDescriptor *d = &huifang__v1__envelope__descriptor;
    int n = 0;
    for (unsigned i = 0; i < d->n_fields && n < 63; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            f->id != HUIFANG__V1__ENVELOPE__PAYLOAD_HEARTBEAT)
            s_all[n++] = (hf_event_handler_t){(int)f->id, tally_event};
    }
    s_all[n] = (hf_event_handler_t){0, NULL};
    static const char *producers[] = {"intake", "scheduler", "calllog", "complaint", NULL};
    for (int i = 0; producers[i]; i++)
        if (hf_service_subscribe(svc, producers[i], s_all) != 0)
            return -1;
    return 0;
}

static const hf_command_t s_commands[] = {{0, NULL, false}};

const hf_service_def_t reporting_def = {
    .name = "reporting",
    .summary = "read models from every event, the report set, and the analysts' event tap",
    .config = NULL,
    .migrations = reporting_migrations,
    .commands = s_commands,
};
