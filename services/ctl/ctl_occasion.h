/* ctl_occasion: `huifang occasion ...` — birthday, festival and weather care rules (intake),
 * the weather trigger, the festival calendar (computed here, by hf_festival) and the weekly
 * contact cap (scheduler). */
#ifndef CTL_OCCASION_H
#define CTL_OCCASION_H
#include "ctl.h"

int ctl_occasion_rule_add(ctl_t *ctl, int argc, char **argv);
int ctl_occasion_rule_list(ctl_t *ctl, int argc, char **argv);
int ctl_occasion_rule_remove(ctl_t *ctl, int argc, char **argv);
int ctl_occasion_trigger(ctl_t *ctl, int argc, char **argv);
int ctl_occasion_festivals(ctl_t *ctl, int argc, char **argv);
int ctl_occasion_cap_show(ctl_t *ctl, int argc, char **argv);
int ctl_occasion_cap_set(ctl_t *ctl, int argc, char **argv);

#endif
