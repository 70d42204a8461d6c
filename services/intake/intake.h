/* intake: the customer archive (branches, agents, products, customers, purchases, the rules
 * per branch): what main.c and the tests need. The map of its files and what they share:
 * intake_internal.h. */
#ifndef INTAKE_H
#define INTAKE_H
#include "hf_service.h"

extern const hf_migration_t intake_migrations[];
extern const hf_service_def_t intake_def;

/* Sets intake's batch hook on svc, which applies the common calls of a batch of calllog's
 * events together (intake_consume.c); intake_def's init does it, and a test that runs intake's
 * subscriptions itself (hf_service_attach) calls it first to apply calls as the service does.
 * 0, or -1 when out of memory. */
int intake_consume_init(hf_service_t *svc);
/* Frees what intake_consume_init() made; idempotent. */
void intake_consume_release(void);

#endif
