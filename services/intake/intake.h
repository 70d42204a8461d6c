/* intake: the customer archive. Owns branches, agents and products (the organisation every
 * other service copies from its events), customers with their phones and lead sources, and
 * purchases. */
#ifndef INTAKE_H
#define INTAKE_H
#include "hf_service.h"

extern const hf_migration_t intake_migrations[];
extern const hf_command_t intake_commands[];
extern const hf_service_def_t intake_def;

/* Validation shared by the commands and the CSV import; each returns 0, or fills rep with a
 * BAD_INPUT naming the field and returns HF_BAD_INPUT. */
int intake_check_channel(const char *channel, hf_reply_t *rep, hf_arena_t *arena);

#endif
