/* calllog: records every contact against the task it was about, with the outcome's flags,
 * and tells everyone through call_logged events. */
#ifndef CALLLOG_H
#define CALLLOG_H
#include "hf_service.h"

extern const hf_migration_t calllog_migrations[];
extern const hf_service_def_t calllog_def;
extern const hf_event_handler_t calllog_intake_events[];

#endif
