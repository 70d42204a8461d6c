/* intake: the customer archive (branches, agents, products, customers, purchases, the rules
 * per branch): what main.c and the tests need. The map of its files and what they share:
 * intake_internal.h. */
#ifndef INTAKE_H
#define INTAKE_H
#include "hf_service.h"

extern const hf_migration_t intake_migrations[];
extern const hf_service_def_t intake_def;

#endif
