/* sched_plan: the pure arithmetic of follow-up plans — which day each step of a template
 * falls on, when the next call window opens, and how urgent a task is. No I/O; the unit
 * tests drive it with tables. Days are local day numbers (days since 1970-01-01 in the
 * branch's zone); instants are UTC ms. */
#ifndef SCHED_PLAN_H
#define SCHED_PLAN_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int step_no;
    char anchor[16]; /* purchase | supply_end | previous | ref_date */
    int offset_days;
    int window_days; /* a flexible step may be placed anywhere in offset .. offset+window */
    int repeat_days; /* 0 once; N every N days until the supply ends */
    char purpose[24];
    char channel[16]; /* phone | visit | letter | wechat */
    char role[16];
} sched_step_t;

typedef struct {
    int step_no;
    int occurrence; /* 0 for the first, 1.. for repeats */
    int32_t day;    /* local day number */
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

/* The occasion an attempt at at_ms belongs to, as the instant it began: the opening of the
 * latest call window at or before at_ms (the day before's last one before the first window;
 * local midnight when there are no windows). Attempts on one occasion count as one. */
int64_t sched_occasion(int64_t at_ms, const char *windows, const char *tz);

/* True when now_ms falls inside one of the windows (always true without windows). */
int sched_in_window(int64_t now_ms, const char *windows, const char *tz);

/* The base priority of a purpose: adverse reaction > complaint > repurchase > care > new
 * lead; higher is more urgent. */
int sched_priority(const char *purpose);

/* The windows a customer may be called in: the intersection of the branch's and the
 * customer's ("" = the branch's), written as "HH:MM-HH:MM,..." into out. A branch without
 * windows takes the customer's as they are. When the customer's are malformed or share no
 * minute with the branch's, the branch's are used and 1 is returned; otherwise 0. */
int sched_windows_effective(const char *branch, const char *customer, char *out, size_t outlen);

/* True for the purposes that sell (repurchase, new lead, second development, invitation,
 * campaign): a complaint holds them until it is resolved. */
int sched_is_sales(const char *purpose);
/* The same purposes as a Postgres array literal, for queries. */
const char *sched_sales_literal(void);

/* The day a flexible step goes to: the index of the smallest load in load[0..n), the
 * earliest of equals, so that steps spread over the days of their window. */
int sched_flex_pick(const int *load, int n);
/* The same within a daily capacity (cap > 0: what the role's agents can take in a day): the
 * earliest day whose load is still below cap, so that a lead is called as soon as there is
 * room; when every day is full (or cap is 0), the least loaded one. */
int sched_flex_pick_within(const int *load, int n, int cap);

/* The priority added when a task that found no room rolls over to next_due: 1, except for a
 * flexible step still inside its window (latest_at_ms, 0 for none), which keeps its place. */
int sched_roll_bump(int64_t next_due, int64_t latest_at_ms);

#endif
