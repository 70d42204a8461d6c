/* calllog: records every contact — follow-up calls against the task they were about, home
 * visits (the patient service sheet), inbound consultations — with the outcome's flags, keeps
 * the delivery book and the daily quality-check sample, and tells everyone through events
 * (call_logged, visit_logged, consult_logged, delivery_*, review_*, alert_raised). */
#ifndef CALLLOG_H
#define CALLLOG_H
#include "hf_service.h"
#include <stdbool.h>
#include <stddef.h>

extern const hf_migration_t calllog_migrations[];
extern const hf_service_def_t calllog_def;
extern const hf_event_handler_t calllog_intake_events[];

/* ---- pure rules (calllog_rules.c), table-tested in tests/unit/test_calllog_rules.c ---- */

/* Parses a comma-separated flag list ("contacted,completed"; words human-answered,
 * contacted, sale, do-not-call, unworkable, callback, completed, '_' or '-' alike) into f
 * (all other flags false). Returns 0, or -1 with the offending word copied into bad. An
 * empty list gives no flags. */
int calllog_flags_parse(const char *list, Huifang__V1__OutcomeFlags *f, char *bad, size_t badlen);
/* Checks that flags make sense together; returns NULL, or a static reason. */
const char *calllog_flags_check(const Huifang__V1__OutcomeFlags *f);
/* How many of an agent's calls of one day the quality check draws: percent of them,
 * rounded up (so an agent with any call gets at least one checked when percent > 0). */
int calllog_sample_size(int calls, int percent);
/* True for a blood pressure "SYS/DIA" in mmHg: whole numbers, 40 <= DIA < SYS <= 300. */
bool calllog_bp_valid(const char *bp);
/* True for a code (outcome, product, region): 1..24 letters, digits, '-' or '_'. */
bool calllog_code_valid(const char *s);
/* True when s has at most max bytes and no control character other than tab/newline. */
bool calllog_text_ok(const char *s, size_t max);

#endif
