/* reporting: read models from every producer's events, the report set and the attribution
 * settings: what main.c needs. The map of its files and what they share:
 * reporting_internal.h. */
#ifndef REPORTING_H
#define REPORTING_H
#include "hf_service.h"

extern const hf_migration_t rep_migrations[];
extern const hf_service_def_t rep_def;

#endif
