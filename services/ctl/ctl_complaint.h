/* ctl_complaint: the complaint service's commands of `huifang` — complaint cards and their
 * clock, returns, word-of-mouth risks and the complaint configuration. */
#ifndef CTL_COMPLAINT_H
#define CTL_COMPLAINT_H
#include "ctl.h"

int ctl_complaint_file(ctl_t *ctl, int argc, char **argv);
int ctl_complaint_list(ctl_t *ctl, int argc, char **argv);
int ctl_complaint_show(ctl_t *ctl, int argc, char **argv);
int ctl_complaint_start(ctl_t *ctl, int argc, char **argv);
int ctl_complaint_wait(ctl_t *ctl, int argc, char **argv);
int ctl_complaint_resume(ctl_t *ctl, int argc, char **argv);
int ctl_complaint_resolve(ctl_t *ctl, int argc, char **argv);
int ctl_complaint_close(ctl_t *ctl, int argc, char **argv);
int ctl_complaint_reopen(ctl_t *ctl, int argc, char **argv);
int ctl_complaint_risks(ctl_t *ctl, int argc, char **argv);
int ctl_complaint_config(ctl_t *ctl, int argc, char **argv);
int ctl_complaint_sla(ctl_t *ctl, int argc, char **argv);
int ctl_complaint_calendar(ctl_t *ctl, int argc, char **argv);
int ctl_return_request(ctl_t *ctl, int argc, char **argv);
int ctl_return_approve(ctl_t *ctl, int argc, char **argv);
int ctl_return_reject(ctl_t *ctl, int argc, char **argv);
int ctl_return_list(ctl_t *ctl, int argc, char **argv);
int ctl_return_policy(ctl_t *ctl, int argc, char **argv);

#endif
