/* complaint_clock: the resolution clock. See complaint_clock.h.
 *
 * Business time is walked day by day in the branch's zone: each counted day opens one or
 * two intervals (the working day, split by the lunch break), converted to UTC instants
 * through hf_time so that zone rules (and any daylight-saving shift) come from the tz
 * database. The walk is bounded to ten years so that a calendar that counts nothing (every
 * weekday switched off) ends with an error instead of a hang. */
#include "complaint_clock.h"
#include "hf_time.h"
#include <stdio.h>
#include <string.h>

#define S_MAX_DAYS 3660
#define S_MINUTE_MS 60000LL

/* ---- calendar ---- */

/* ISO weekday (1 Monday .. 7 Sunday) of a day number; day 0 (1970-01-01) was a Thursday. */
static int s_iso_weekday(int32_t day)
{
    int r = (int)(((int64_t)day + 3) % 7);
    if (r < 0)
        r += 7;
    return r + 1;
}

bool complaint_calendar_workday(const complaint_calendar_t *cal, int32_t day)
{
    if (!(cal->workdays & (1u << (s_iso_weekday(day) - 1))))
        return false;
    for (int i = 0; i < cal->nholidays; i++)
        if (cal->holidays[i] == day)
            return false;
    return true;
}

/* The instant of local minute m (0..1440) of day in the calendar's zone. */
static int64_t s_local(const complaint_calendar_t *cal, int32_t day, int m)
{
    if (m >= 1440)
        return hf_time_from_local(day + 1, 0, cal->tz);
    return hf_time_from_local(day, m, cal->tz);
}

/* The counted intervals of a day as instants, in order; returns how many (0..2). */
static int s_intervals(const complaint_calendar_t *cal, int32_t day, int64_t from[2], int64_t to[2])
{
    if (!complaint_calendar_workday(cal, day) || cal->day_end <= cal->day_start)
        return 0;
    int n = 0;
    int ls = cal->lunch_start, le = cal->lunch_end;
    bool lunch = le > ls && ls > cal->day_start && le < cal->day_end;
    if (lunch) {
        from[n] = s_local(cal, day, cal->day_start);
        to[n++] = s_local(cal, day, ls);
        from[n] = s_local(cal, day, le);
        to[n++] = s_local(cal, day, cal->day_end);
    } else {
        from[n] = s_local(cal, day, cal->day_start);
        to[n++] = s_local(cal, day, cal->day_end);
    }
    return n;
}

int64_t complaint_calendar_walk(const complaint_calendar_t *cal, int64_t from_ms, int64_t amount_ms)
{
    if (amount_ms <= 0)
        return from_ms;
    if (!cal->business)
        return from_ms + amount_ms;
    int64_t left = amount_ms;
    /* start a day early: a zone far behind UTC may still be on the previous local day */
    int32_t day = hf_time_local_day(from_ms, cal->tz) - 1;
    for (int i = 0; i < S_MAX_DAYS; i++, day++) {
        int64_t f[2], t[2];
        int n = s_intervals(cal, day, f, t);
        for (int k = 0; k < n; k++) {
            if (t[k] <= from_ms)
                continue;
            int64_t start = f[k] > from_ms ? f[k] : from_ms;
            if (start + left <= t[k])
                return start + left;
            left -= t[k] - start;
        }
    }
    return -1;
}

int64_t complaint_calendar_between(const complaint_calendar_t *cal, int64_t from_ms, int64_t to_ms)
{
    if (to_ms <= from_ms)
        return 0;
    if (!cal->business)
        return to_ms - from_ms;
    int64_t sum = 0;
    int32_t day = hf_time_local_day(from_ms, cal->tz) - 1;
    int32_t last = hf_time_local_day(to_ms, cal->tz) + 1;
    for (; day <= last; day++) {
        int64_t f[2], t[2];
        int n = s_intervals(cal, day, f, t);
        for (int k = 0; k < n; k++) {
            int64_t a = f[k] > from_ms ? f[k] : from_ms;
            int64_t b = t[k] < to_ms ? t[k] : to_ms;
            if (b > a)
                sum += b - a;
        }
    }
    return sum;
}

int complaint_workdays_parse(const char *s, unsigned *out)
{
    unsigned days = 0;
    const char *p = s;
    if (p == NULL || *p == '\0')
        return -1;
    while (*p) {
        if (*p < '1' || *p > '7')
            return -1;
        int a = *p++ - '0', b = a;
        if (*p == '-') {
            p++;
            if (*p < '1' || *p > '7')
                return -1;
            b = *p++ - '0';
            if (b < a)
                return -1;
        }
        for (int d = a; d <= b; d++)
            days |= 1u << (d - 1);
        if (*p == ',')
            p++;
        else if (*p != '\0')
            return -1;
    }
    *out = days;
    return 0;
}

void complaint_workdays_format(unsigned days, char *out)
{
    size_t o = 0;
    out[0] = '\0';
    for (int d = 1; d <= 7;) {
        if (!(days & (1u << (d - 1)))) {
            d++;
            continue;
        }
        int e = d;
        while (e < 7 && (days & (1u << e)))
            e++;
        if (e - d >= 2)
            o += (size_t)snprintf(out + o, 16 - o, "%s%d-%d", o ? "," : "", d, e);
        else
            for (int k = d; k <= e; k++)
                o += (size_t)snprintf(out + o, 16 - o, "%s%d", o ? "," : "", k);
        d = e + 1;
    }
}

/* ---- the clock ---- */

void complaint_clock_start(complaint_clock_t *clk, int64_t now_ms)
{
    clk->used_ms = 0;
    clk->warned = 0;
    clk->run_from_ms = now_ms;
    clk->period_no++;
}

void complaint_clock_pause(const complaint_calendar_t *cal, complaint_clock_t *clk, int64_t now_ms)
{
    if (clk->run_from_ms == 0)
        return;
    clk->used_ms += complaint_calendar_between(cal, clk->run_from_ms, now_ms);
    clk->run_from_ms = 0;
}

void complaint_clock_resume(complaint_clock_t *clk, int64_t now_ms)
{
    if (clk->run_from_ms != 0)
        return;
    clk->run_from_ms = now_ms;
}

/* The instant at which num/den of the period is used up. */
static int64_t s_threshold(const complaint_calendar_t *cal, const complaint_clock_t *clk, int num,
                           int den)
{
    int64_t target = clk->period_ms / den * num + clk->period_ms % den * num / den;
    return complaint_calendar_walk(cal, clk->run_from_ms, target - clk->used_ms);
}

int64_t complaint_clock_next(const complaint_calendar_t *cal, const complaint_clock_t *clk,
                             complaint_step_kind_t *kind)
{
    *kind = COMPLAINT_STEP_NONE;
    if (clk->run_from_ms == 0)
        return 0;
    if (clk->warned < 50) {
        *kind = COMPLAINT_STEP_WARN_50;
        return s_threshold(cal, clk, 1, 2);
    }
    if (clk->warned < 75) {
        *kind = COMPLAINT_STEP_WARN_75;
        return s_threshold(cal, clk, 3, 4);
    }
    *kind = COMPLAINT_STEP_BREACH;
    return s_threshold(cal, clk, 1, 1);
}

int64_t complaint_clock_due(const complaint_calendar_t *cal, const complaint_clock_t *clk)
{
    if (clk->run_from_ms == 0)
        return 0;
    return s_threshold(cal, clk, 1, 1);
}

int64_t complaint_clock_remaining(const complaint_calendar_t *cal, const complaint_clock_t *clk,
                                  int64_t now_ms)
{
    int64_t used = clk->used_ms;
    if (clk->run_from_ms != 0)
        used += complaint_calendar_between(cal, clk->run_from_ms, now_ms);
    return clk->period_ms - used;
}

int complaint_clock_advance(const complaint_calendar_t *cal, complaint_clock_t *clk, int64_t now_ms,
                            complaint_step_t *steps, int max)
{
    int n = 0;
    while (n < max) {
        complaint_step_kind_t kind;
        int64_t at = complaint_clock_next(cal, clk, &kind);
        if (kind == COMPLAINT_STEP_NONE || at < 0 || at > now_ms)
            break;
        complaint_step_t *s = &steps[n++];
        s->kind = kind;
        s->at_ms = at;
        s->period_no = clk->period_no;
        if (kind == COMPLAINT_STEP_WARN_50) {
            clk->warned = 50;
        } else if (kind == COMPLAINT_STEP_WARN_75) {
            clk->warned = 75;
        } else {
            /* a breach: the next level answers, with a fresh full period from the breach */
            if (clk->level < COMPLAINT_TOP_LEVEL)
                clk->level++;
            clk->breaches++;
            clk->period_no++;
            clk->used_ms = 0;
            clk->warned = 0;
            clk->run_from_ms = at;
        }
        s->level = clk->level;
    }
    return n;
}
