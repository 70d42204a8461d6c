/* fuzz_time: the parsers of hf_time on whatever a user types as a date, an instant, a
 * duration, a call window or a zone name; the input is the text, cut at its first NUL, and
 * every parser gets it.
 *
 * Beyond crashes and undefined behaviour it checks what callers rely on: a date read is
 * written back the same; an instant read, written as RFC 3339 and read again, is the same
 * instant (in Shanghai, and in New York, whose clocks change); a duration is not negative;
 * windows are sorted, inside the day, non-empty and do not overlap. */
#include "hf_fuzz.h"
#include "hf_time.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MS_PER_DAY 86400000LL

/* hf_time_parse() and the RFC 3339 round trip in zone tz. */
static void s_check_instant(const char *s, const char *tz, int64_t first_ms, int64_t last_ms)
{
    int64_t ms;
    if (hf_time_parse(s, tz, &ms) != 0)
        return;
    char text[32], local[64];
    hf_time_local_format(ms, tz, local);
    hf_time_local_date(ms, tz, local);
    /* An offset can move an instant out of the years 0001..9999 that dates are read in. */
    if (ms < first_ms || ms > last_ms)
        return;
    hf_time_rfc3339(ms, text);
    int64_t back;
    FUZZ_CHECK(hf_time_parse(text, tz, &back) == 0);
    FUZZ_CHECK(back == ms);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    int32_t day;
    if (hf_date_parse(s, &day) == 0) {
        char back[11];
        hf_date_format(day, back);
        FUZZ_CHECK(strcmp(back, s) == 0);
    }

    int32_t first, last;
    FUZZ_CHECK(hf_date_parse("0001-01-01", &first) == 0);
    FUZZ_CHECK(hf_date_parse("9999-12-31", &last) == 0);
    int64_t first_ms = first * MS_PER_DAY, last_ms = (last + 1) * MS_PER_DAY - 1;
    s_check_instant(s, "Asia/Shanghai", first_ms, last_ms);
    s_check_instant(s, "America/New_York", first_ms, last_ms);

    int64_t ms;
    if (hf_duration_parse(s, &ms) == 0)
        FUZZ_CHECK(ms >= 0);

    hf_window_t w[8];
    int n = hf_windows_parse(s, w, 8);
    FUZZ_CHECK(n >= -1 && n <= 8);
    for (int i = 0; i < n; i++) {
        FUZZ_CHECK(w[i].start >= 0 && w[i].start < w[i].end && w[i].end <= 24 * 60);
        FUZZ_CHECK(i == 0 || w[i].start >= w[i - 1].end);
    }

    (void)hf_tz_valid(s);
    free(s);
    return 0;
}
