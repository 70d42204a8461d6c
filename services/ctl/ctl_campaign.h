/* ctl_campaign: segments and campaigns of `huifang` (issue 16) — saved filters over the
 * archive, previewed before use; events whose segment is invited, reminded and thanked. */
#ifndef CTL_CAMPAIGN_H
#define CTL_CAMPAIGN_H
#include "ctl.h"

/* The filter flags every segment command shares, for a ctl_opt_t table. */
/* clang-format off */
#define CTL_SEGMENT_OPTS                                                                           \
    CTL_OPT("regions"), CTL_OPT("card-types"), CTL_OPT("tiers"), CTL_OPT("stages"),                \
    CTL_OPT("products"), CTL_OPT("purchased-before"), CTL_OPT("purchased-after"),                  \
    CTL_OPT("contacted-before"), CTL_OPT("contacted-after"), CTL_OPT("birthday"),                  \
    CTL_OPT("attended"), CTL_OPT("not-attended")
/* clang-format on */

/* The help lines of CTL_SEGMENT_OPTS. */
#define CTL_SEGMENT_HELP                                                                           \
    "  --regions R1,R2          customers of these regions\n"                                      \
    "  --card-types T1,T2       new | one-on-one | customer | void (void only when named)\n"       \
    "  --tiers T1,T2            gold | silver | member | regular\n"                                \
    "  --stages S1,S2           stage codes of the branch's rules (T0..T5 by default)\n"           \
    "  --products P1,P2         bought any of these products\n"                                    \
    "  --purchased-before DATE  the last purchase was before DATE (YYYY-MM-DD)\n"                  \
    "  --purchased-after DATE   the last purchase was on or after DATE\n"                          \
    "  --contacted-before DATE  not contacted since DATE (never contacted counts)\n"               \
    "  --contacted-after DATE   last contacted on or after DATE\n"                                 \
    "  --birthday MM-DD..MM-DD  born between these days of the year (12-20..01-10 wraps)\n"        \
    "  --attended any|ID        attended any campaign, or campaign ID\n"                           \
    "  --not-attended any|ID    did not attend any campaign, or campaign ID\n"                     \
    "Opted-out and merged customers are never in a segment.\n"

int ctl_segment_add(ctl_t *ctl, int argc, char **argv);
int ctl_segment_preview(ctl_t *ctl, int argc, char **argv);
int ctl_segment_list(ctl_t *ctl, int argc, char **argv);
int ctl_segment_show(ctl_t *ctl, int argc, char **argv);
int ctl_campaign_add(ctl_t *ctl, int argc, char **argv);
int ctl_campaign_list(ctl_t *ctl, int argc, char **argv);
int ctl_campaign_show(ctl_t *ctl, int argc, char **argv);
int ctl_campaign_checkin(ctl_t *ctl, int argc, char **argv);

#endif
