/* complaint: complaint cards with a 24-hour resolution clock, escalation and returns. */
#ifndef COMPLAINT_H
#define COMPLAINT_H
#include "hf_service.h"

extern const hf_migration_t complaint_migrations[];
extern const hf_service_def_t complaint_def;
extern const hf_event_handler_t complaint_calllog_events[];

#endif
