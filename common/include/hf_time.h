/* hf_time: calendar arithmetic in a branch's IANA time zone, from the system's tz database
 * (glibc), never hand-written offsets. Instants are UTC ms; local dates are "YYYY-MM-DD". */
#ifndef HF_TIME_H
#define HF_TIME_H
#include <stdbool.h>
#include <stdint.h>

/* True when tz names a zone in the system's tz database (e.g. "Asia/Shanghai"). */
bool hf_tz_valid(const char *tz);
/* Parses "YYYY-MM-DD" into a day number (days since 1970-01-01); -1 if malformed/invalid. */
int hf_date_parse(const char *s, int32_t *day);
/* Formats a day number as "YYYY-MM-DD" into out (at least 11 bytes): 0, or -1 with out ""
 * for a day of a year outside -999..9999, which the form has no room for. */
int hf_date_format(int32_t day, char *out);
/* The local date (day number) of instant ms in zone tz. */
int32_t hf_time_local_day(int64_t ms, const char *tz);
/* The local date of instant ms in zone tz as "YYYY-MM-DD" into out (11 bytes): 0, or -1 with
 * out "" as hf_date_format(). */
int hf_time_local_date(int64_t ms, const char *tz, char *out);
/* The instant (UTC ms) of local wall time day + minute_of_day in zone tz. */
int64_t hf_time_from_local(int32_t day, int minute_of_day, const char *tz);
/* The local minute of the day (0..1439) of instant ms in zone tz. */
int hf_time_local_minute(int64_t ms, const char *tz);
/* Formats instant ms as RFC 3339 in UTC ("2026-11-23T08:00:00.000Z") into out (32 bytes). */
void hf_time_rfc3339(int64_t ms, char *out);
/* Formats instant ms as local "YYYY-MM-DD HH:MM" in zone tz into out (17+ bytes): 0, or -1
 * with out "" for a local year outside -999..9999, which the form has no room for. */
int hf_time_local_format(int64_t ms, const char *tz, char *out);
/* Parses an instant: RFC 3339 ("2026-11-23T08:00:00Z", offsets allowed), or a local
 * "YYYY-MM-DD[ HH:MM[:SS]]" / "YYYY-MM-DDTHH:MM" read in zone tz. Returns 0 or -1. */
int hf_time_parse(const char *s, const char *tz, int64_t *ms);
/* Parses a duration "90s", "15m", "2h", "10d", "1d12h"; returns 0 and sets *ms, or -1. */
int hf_duration_parse(const char *s, int64_t *ms);

/* A call window in local minutes of the day, [start, end). */
typedef struct {
    int start;
    int end;
} hf_window_t;
/* Parses "11:30-14:00,18:00-20:00" into at most max windows, sorted; returns the count, or
 * -1 when malformed (start >= end, bad time, overlap). An empty string gives 0 windows. */
int hf_windows_parse(const char *s, hf_window_t *out, int max);

#endif
