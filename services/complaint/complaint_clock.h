/* complaint_clock: the resolution clock of a complaint, as pure functions the tests drive.
 *
 * A complaint must be resolved within a period (24 hours by default; configurable per
 * branch and category). The period is counted either around the clock or in the branch's
 * business hours (a working day with a lunch break, working weekdays, holidays), always in
 * the branch's zone. The clock stops while the complaint waits on the customer. At 50% and
 * 75% of the period a warning is due; at 100% the complaint breaches: it escalates to the
 * next level and a fresh full period starts at the breach instant.
 *
 * Clock time is measured in milliseconds of counted time (business milliseconds when the
 * calendar counts business hours); instants are UTC ms. */
#ifndef COMPLAINT_CLOCK_H
#define COMPLAINT_CLOCK_H
#include <stdbool.h>
#include <stdint.h>

#define COMPLAINT_MAX_HOLIDAYS 400
#define COMPLAINT_TOP_LEVEL 3 /* 0 agent, 1 head, 2 manager, 3 customer-service department */

/* When the clock runs. */
typedef struct {
    bool business; /* false: around the clock (the fields below are not used) */
    char tz[64];   /* IANA zone of the branch */
    int day_start; /* local minutes of the day, [day_start, day_end) */
    int day_end;
    int lunch_start; /* [lunch_start, lunch_end) is not counted; equal = no lunch */
    int lunch_end;
    unsigned workdays; /* bit (d - 1) set for ISO weekday d (1 Monday .. 7 Sunday) */
    int nholidays;
    int32_t holidays[COMPLAINT_MAX_HOLIDAYS]; /* local dates as day numbers, any order */
} complaint_calendar_t;

/* The state of one complaint's clock. */
typedef struct {
    int64_t period_ms;   /* the full period, clock ms */
    int64_t used_ms;     /* clock ms consumed in this period before run_from_ms */
    int64_t run_from_ms; /* UTC ms the clock last started running; 0 while stopped */
    int warned;          /* warnings given in this period: 0, 50 or 75 */
    int level;           /* 0 .. COMPLAINT_TOP_LEVEL */
    int breaches;        /* escalations so far */
    int period_no;       /* 1 for the first period; +1 per breach and restart */
} complaint_clock_t;

typedef enum {
    COMPLAINT_STEP_NONE = 0,
    COMPLAINT_STEP_WARN_50,
    COMPLAINT_STEP_WARN_75,
    COMPLAINT_STEP_BREACH
} complaint_step_kind_t;

/* One threshold the clock passed. */
typedef struct {
    complaint_step_kind_t kind;
    int64_t at_ms; /* the threshold's own instant (UTC ms), not when it was noticed */
    int level;     /* the level after the step */
    int period_no; /* the period the step belongs to (a breach: the one that breached) */
} complaint_step_t;

/* The instant (UTC ms) at which amount_ms of clock time has run from from_ms; from_ms when
 * amount_ms <= 0. Returns -1 when the calendar counts no time at all within ten years. */
int64_t complaint_calendar_walk(const complaint_calendar_t *cal, int64_t from_ms,
                                int64_t amount_ms);
/* The clock time (ms) counted between instants from_ms and to_ms; 0 when to_ms <= from_ms. */
int64_t complaint_calendar_between(const complaint_calendar_t *cal, int64_t from_ms, int64_t to_ms);
/* True when local day (a day number) is counted: a workday that is not a holiday. */
bool complaint_calendar_workday(const complaint_calendar_t *cal, int32_t day);
/* Parses "1-5" or "1,2,3,4,5,6" (ISO weekdays) into a bit set; -1 when malformed. */
int complaint_workdays_parse(const char *s, unsigned *out);
/* Formats a workday bit set as "1-5" / "1,3,5" into out (16 bytes). */
void complaint_workdays_format(unsigned days, char *out);

/* Starts a fresh full period at now_ms (filing, reopening): nothing used, nothing warned. */
void complaint_clock_start(complaint_clock_t *clk, int64_t now_ms);
/* Stops the clock at now_ms, keeping the time used so far. No-op when stopped. */
void complaint_clock_pause(const complaint_calendar_t *cal, complaint_clock_t *clk, int64_t now_ms);
/* Runs the clock again from now_ms: every threshold still ahead moves by the stopped span
 * (in counted time). No-op when running. */
void complaint_clock_resume(complaint_clock_t *clk, int64_t now_ms);
/* The next threshold ahead (warning or breach) and its instant; 0 and NONE when stopped. */
int64_t complaint_clock_next(const complaint_calendar_t *cal, const complaint_clock_t *clk,
                             complaint_step_kind_t *kind);
/* The breach instant of the current period; 0 when stopped. */
int64_t complaint_clock_due(const complaint_calendar_t *cal, const complaint_clock_t *clk);
/* Clock time left in the current period at now_ms (negative once past due). */
int64_t complaint_clock_remaining(const complaint_calendar_t *cal, const complaint_clock_t *clk,
                                  int64_t now_ms);
/* Applies, in order, every threshold at or before now_ms: each warning once per period, one
 * breach per breached period (level + 1 up to the top, a fresh period from the breach
 * instant). Writes at most max steps and returns how many; when max is reached the rest
 * stays for the next call. A clock jump past several thresholds yields them all, in order. */
int complaint_clock_advance(const complaint_calendar_t *cal, complaint_clock_t *clk, int64_t now_ms,
                            complaint_step_t *steps, int max);

#endif
