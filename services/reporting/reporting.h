/* reporting: read models built from every producer's events, the report set, and the
 * event tap analysts consume. */
#ifndef REPORTING_H
#define REPORTING_H
#include "hf_service.h"

extern const hf_migration_t reporting_migrations[];
extern const hf_service_def_t reporting_def;
/* Subscribes to every producer. Returns 0 or -1. */
int reporting_attach(hf_service_t *svc);

#endif
