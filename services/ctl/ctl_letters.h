/* ctl_letters: `huifang letters print|sent` — the day's letter batch as a mail-merge file
 * (the scheduler's letter tasks with names and postal addresses), and logging it as sent
 * (calllog). */
#ifndef CTL_LETTERS_H
#define CTL_LETTERS_H
#include "ctl.h"

int ctl_letters_print(ctl_t *ctl, int argc, char **argv);
int ctl_letters_sent(ctl_t *ctl, int argc, char **argv);

#endif
