/* sched_plan: plan layout, call windows and priorities. */
#include "sched_plan.h"
#include "hf_time.h"
#include <stdio.h>
#include <string.h>

#define MAX_WINDOWS 8
#define DEFAULT_START_MINUTE (9 * 60)

int sched_plan_layout(const sched_step_t *steps, int nsteps, int32_t purchase_day,
                      int32_t supply_end, int32_t ref_day, sched_due_t *out, int max)
{
    int n = 0;
    int32_t previous = purchase_day;
    for (int i = 0; i < nsteps && n < max; i++) {
        const sched_step_t *s = &steps[i];
        int32_t base;
        if (strcmp(s->anchor, "supply_end") == 0)
            base = supply_end;
        else if (strcmp(s->anchor, "previous") == 0)
            base = previous;
        else if (strcmp(s->anchor, "ref_date") == 0) {
            if (ref_day < 0)
                continue;
            base = ref_day;
        } else
            base = purchase_day;
        int32_t day = base + s->offset_days;
        if (day < purchase_day)
            day = purchase_day; /* never before the purchase itself */
        out[n++] = (sched_due_t){s->step_no, 0, day, s->window_days, s};
        previous = day;
        if (s->repeat_days > 0) {
            /* "every N days until the supply ends": stop before the end, which a
             * supply-end step covers */
            for (int k = 1; k < 100 && n < max; k++) {
                int32_t next = day + k * s->repeat_days;
                if (next >= supply_end)
                    break;
                out[n++] = (sched_due_t){s->step_no, k, next, s->window_days, s};
                previous = next;
            }
        }
    }
    return n;
}

int64_t sched_day_start(int32_t day, const char *windows, const char *tz)
{
    hf_window_t w[MAX_WINDOWS];
    int n = hf_windows_parse(windows ? windows : "", w, MAX_WINDOWS);
    int minute = n > 0 ? w[0].start : DEFAULT_START_MINUTE;
    return hf_time_from_local(day, minute, tz);
}

int64_t sched_next_window(int64_t now_ms, const char *windows, const char *tz)
{
    hf_window_t w[MAX_WINDOWS];
    int n = hf_windows_parse(windows ? windows : "", w, MAX_WINDOWS);
    if (n <= 0) {
        w[0] = (hf_window_t){DEFAULT_START_MINUTE, 18 * 60};
        n = 1;
    }
    int32_t day = hf_time_local_day(now_ms, tz);
    for (int d = 0; d < 3; d++) {
        for (int i = 0; i < n; i++) {
            int64_t start = hf_time_from_local(day + d, w[i].start, tz);
            if (start > now_ms)
                return start;
        }
    }
    return now_ms + 24 * 3600 * 1000LL;
}

int sched_in_window(int64_t now_ms, const char *windows, const char *tz)
{
    hf_window_t w[MAX_WINDOWS];
    int n = hf_windows_parse(windows ? windows : "", w, MAX_WINDOWS);
    if (n <= 0)
        return 1;
    int minute = hf_time_local_minute(now_ms, tz);
    for (int i = 0; i < n; i++)
        if (minute >= w[i].start && minute < w[i].end)
            return 1;
    return 0;
}

int64_t sched_occasion(int64_t at_ms, const char *windows, const char *tz)
{
    hf_window_t w[MAX_WINDOWS];
    int n = hf_windows_parse(windows ? windows : "", w, MAX_WINDOWS);
    int32_t day = hf_time_local_day(at_ms, tz);
    if (n <= 0)
        return hf_time_from_local(day, 0, tz); /* no windows: a day is one occasion */
    int minute = hf_time_local_minute(at_ms, tz);
    for (int i = n - 1; i >= 0; i--)
        if (w[i].start <= minute)
            return hf_time_from_local(day, w[i].start, tz);
    /* before the day's first window: still the last window of the day before */
    return hf_time_from_local(day - 1, w[n - 1].start, tz);
}

int sched_priority(const char *purpose)
{
    static const struct {
        const char *purpose;
        int priority;
    } table[] = {{"adverse-reaction", 50},
                 {"complaint", 40},
                 {"repurchase", 30},
                 {"callback", 30},
                 {"follow-up", 30},
                 {"effect", 20},
                 {"reaction", 20},
                 {"care", 20},
                 {"usage", 20},
                 {"visit", 20},
                 {"new-lead", 10},
                 {NULL, 0}};
    for (int i = 0; table[i].purpose; i++)
        if (strcmp(table[i].purpose, purpose) == 0)
            return table[i].priority;
    return 15;
}

int sched_windows_effective(const char *branch, const char *customer, char *out, size_t outlen)
{
    hf_window_t b[MAX_WINDOWS], c[MAX_WINDOWS], x[MAX_WINDOWS * 2];
    int nb = hf_windows_parse(branch ? branch : "", b, MAX_WINDOWS);
    int nc = hf_windows_parse(customer ? customer : "", c, MAX_WINDOWS);
    snprintf(out, outlen, "%s", branch ? branch : "");
    if (nb < 0)
        nb = 0;
    if (nc == 0)
        return 0;
    if (nc < 0)
        return 1;
    int nx = 0;
    if (nb == 0) {
        for (int j = 0; j < nc; j++)
            x[nx++] = c[j];
    } else {
        /* both lists are sorted and free of overlaps: so is their intersection */
        for (int i = 0; i < nb; i++)
            for (int j = 0; j < nc; j++) {
                int s = b[i].start > c[j].start ? b[i].start : c[j].start;
                int e = b[i].end < c[j].end ? b[i].end : c[j].end;
                if (s < e && nx < MAX_WINDOWS * 2)
                    x[nx++] = (hf_window_t){s, e};
            }
    }
    if (nx == 0)
        return 1;
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < nx && o < outlen; i++)
        o += (size_t)snprintf(out + o, outlen - o, "%s%02d:%02d-%02d:%02d", i ? "," : "",
                              x[i].start / 60, x[i].start % 60, x[i].end / 60, x[i].end % 60);
    return 0;
}

/* The purposes that sell, in one place: the function and the literal below agree. */
static const char *const s_sales[] = {"repurchase", "new-lead", "second-development",
                                      "invitation", "campaign", "campaign-invite",
                                      NULL};

int sched_is_sales(const char *purpose)
{
    for (int i = 0; s_sales[i]; i++)
        if (strcmp(s_sales[i], purpose) == 0)
            return 1;
    return 0;
}

const char *sched_sales_literal(void)
{
    static char literal[160];
    if (literal[0] == '\0') {
        size_t o = (size_t)snprintf(literal, sizeof literal, "{");
        for (int i = 0; s_sales[i]; i++)
            o +=
                (size_t)snprintf(literal + o, sizeof literal - o, "%s%s", i ? "," : "", s_sales[i]);
        snprintf(literal + o, sizeof literal - o, "}");
    }
    return literal;
}

int sched_flex_pick(const int *load, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (load[i] < load[best])
            best = i;
    return best;
}

int sched_flex_pick_within(const int *load, int n, int cap)
{
    for (int i = 0; cap > 0 && i < n; i++)
        if (load[i] < cap)
            return i;
    return sched_flex_pick(load, n);
}

int sched_roll_bump(int64_t next_due, int64_t latest_at_ms)
{
    return latest_at_ms > 0 && next_due <= latest_at_ms ? 0 : 1;
}
