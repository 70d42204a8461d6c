/* ctl_calllog: the call-log's commands of `huifang` — outcomes, visits, consultations,
 * alerts, the delivery book and quality checks — and the contact flags `call log` (in
 * ctl_work.c) shares with `visit log`. */
#ifndef CTL_CALLLOG_H
#define CTL_CALLLOG_H
#include "ctl.h"

/* The flags of a contact record that `call log` and `visit log` share (besides --task and
 * --outcome), for a ctl_opt_t table. */
/* clang-format off */
#define CTL_CONTACT_OPTS                                                                           \
    CTL_OPT("effect"), CTL_OPT("order"), CTL_OPT("order-product"), CTL_OPT("delivery"),            \
    CTL_OPT("delivery-address"), CTL_OPT("callback-at"), CTL_OPT("next"), CTL_OPT("note"),         \
    CTL_OPT("duration"), CTL_OPT("started-at"), CTL_OPT("dose"), CTL_OPT("timing"),                \
    CTL_OPT("other-medicines"), CTL_OPT("diet"), CTL_OPT("advice"), CTL_OPT("event"),              \
    CTL_FLAG("event-accepted"), CTL_FLAG("typical-case"), CTL_FLAG("consent"),                     \
    CTL_OPT("referral-name"), CTL_OPT("referral-phone"), CTL_OPT("referral-region")
/* clang-format on */

/* The help lines of CTL_CONTACT_OPTS. */
#define CTL_CONTACT_HELP                                                                           \
    "  --effect E            good | none | adverse (adverse raises a doctor's visit)\n"            \
    "  --order QTY           units ordered, 1..10000; --order-product CODE (default: the\n"        \
    "                        product of the task's purchase)\n"                                    \
    "  --delivery home|store where the order goes; home opens a delivery entry\n"                  \
    "  --delivery-address A  for a home delivery (default: the customer's address)\n"              \
    "  --callback-at TIME    when the customer asked to be called back (outcome callback)\n"       \
    "  --next DATE           the next contact date asked for (YYYY-MM-DD, today or later)\n"       \
    "  --dose, --timing, --other-medicines, --diet TEXT   how the customer takes it\n"             \
    "  --advice TEXT         the advice given; --note TEXT anything else\n"                        \
    "  --event NAME          the event the customer was invited to; --event-accepted: accepted\n"  \
    "  --typical-case        a typical-case candidate; --consent: who agreed to be one\n"          \
    "  --referral-name N --referral-phone P [--referral-region R]   a new lead referred by\n"      \
    "                        the customer (intake registers it)\n"                                 \
    "  --started-at TIME     when the contact started (not in the future; default now)\n"          \
    "  --duration SECONDS    its length, 0..86400\n"                                               \
    "TIME is RFC 3339 or local \"YYYY-MM-DD HH:MM\" in HUIFANG_TZ.\n"

/* Fills log from the contact flags in opts (and --channel, --bp, --pulse, --symptoms,
 * --findings when opts has them). Strings point into argv or ctl's arena. Returns 0, or -1
 * with ctl->exit = 2 after a message naming the flag. */
int ctl_contact_fill(ctl_t *ctl, const ctl_opt_t *opts, Huifang__V1__CallLog *log);
/* `call log` and `visit log` after parsing: reads the required --task and --outcome and the
 * contact flags (ctl_contact_fill), sends the contact as command (VISIT_LOG when visit, with
 * the channel "visit"; CALL_LOG otherwise) and prints it. Returns the exit code. */
int ctl_contact_log(ctl_t *ctl, const ctl_opt_t *opts, bool visit);
/* Prints a logged contact: a one-row table (or JSON), then what it opened. */
void ctl_print_contact(ctl_t *ctl, const Huifang__V1__Contact *c);

int ctl_visit_log(ctl_t *ctl, int argc, char **argv);
int ctl_outcome_list(ctl_t *ctl, int argc, char **argv);
int ctl_outcome_add(ctl_t *ctl, int argc, char **argv);
int ctl_consult_log(ctl_t *ctl, int argc, char **argv);
int ctl_consult_list(ctl_t *ctl, int argc, char **argv);
int ctl_alerts(ctl_t *ctl, int argc, char **argv);
int ctl_alerts_ack(ctl_t *ctl, int argc, char **argv);
int ctl_delivery_list(ctl_t *ctl, int argc, char **argv);
int ctl_delivery_done(ctl_t *ctl, int argc, char **argv);
int ctl_call_review(ctl_t *ctl, int argc, char **argv);
/* the web console's reads */
int ctl_contact_list(ctl_t *ctl, int argc, char **argv);

#endif
