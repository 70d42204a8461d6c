/* ctl_points: `huifang points ...` and `huifang gift ...` — members' points and the gift
 * catalogue, answered by intake (intake_points.c). */
#ifndef CTL_POINTS_H
#define CTL_POINTS_H
#include "ctl.h"

int ctl_points_show(ctl_t *ctl, int argc, char **argv);
int ctl_points_redeem(ctl_t *ctl, int argc, char **argv);
int ctl_points_rules(ctl_t *ctl, int argc, char **argv);
int ctl_gift_add(ctl_t *ctl, int argc, char **argv);
int ctl_gift_list(ctl_t *ctl, int argc, char **argv);

#endif
