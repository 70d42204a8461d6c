/* sched_plan: the pure arithmetic of follow-up plans — which day each step of a template
 * falls on, when the next call window opens, and how urgent a task is. No I/O; the unit
 * tests drive it with tables. Days are local day numbers (days since 1970-01-01 in the
 * branch's zone); instants are UTC ms. */
#ifndef SCHED_PLAN_H
#define SCHED_PLAN_H
#include <stdint.h>

typedef struct {
    int step_no;
    char anchor[16];   /* purchase | supply_end | previous | ref_date */
    int offset_days;
    int window_days;   /* a flexible step may be placed anywhere in offset .. offset+window */
    int repeat_days;   /* 0 once; N every N days until the supply ends */
    char purpose[24];
    char channel[16];  /* phone | visit | letter | wechat */
    char role[16];
} sched_step_t;

typedef struct {
    int step_no;
    int occurrence;    /* 0 for the first, 1.. for repeats */
    int32_t day;       /* local day number */
    int window_days;
    const sched_step_t *step;
} sched_due_t;

/* Lays out steps for a purchase made on purchase_day whose supply ends on supply_end;
 * ref_day is the customer's reference date or -1. Repeats stop before the supply ends
 * and at max_repeats. Writes at most max entries to out in step order and returns the
 * count; a step anchored on an unknown reference date is left out. */
int sched_plan_layout(const sched_step_t *steps, int nsteps, int32_t purchase_day,
                      int32_t supply_end, int32_t ref_day, sched_due_t *out, int max);

/* The instant the first call window of local day opens in zone tz (09:00 when the
 * branch has no windows). */
int64_t sched_day_start(int32_t day, const char *windows, const char *tz);

/* The start of the next call window strictly after now_ms (a retry goes to the next
 * window, not the one under way). */
int64_t sched_next_window(int64_t now_ms, const char *windows, const char *tz);

/* True when now_ms falls inside one of the windows (always true without windows). */
int sched_in_window(int64_t now_ms, const char *windows, const char *tz);

/* The base priority of a purpose: adverse reaction > complaint > repurchase > care > new
 * lead; higher is more urgent. */
int sched_priority(const char *purpose);

#endif
