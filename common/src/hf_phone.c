/* hf_phone: mainland China phone numbers, as typed by agents and as found in old archives.
 *
 * People write the same number in many ways: "138 1234 5678", "+86-138-1234-5678",
 * "(010)12345678", "0755 8888 6666". Normalising once, at the edge, means the archive
 * can find duplicates with a plain string comparison and the dialler never sees a space.
 *
 * The rules:
 *   - separators: spaces, tabs, dashes, dots and parentheses are dropped;
 *   - a country prefix "+86" or "0086" is dropped; a bare "86" only when it leaves a
 *     mobile (13 digits in all), because "86..." is also the start of many landlines;
 *   - a mobile is "1[3-9]" and nine more digits, and is kept as those 11 digits;
 *   - a landline is an area code and a 7 or 8 digit subscriber number, kept as
 *     "AREA-NUMBER". Area codes start with 0 and have two lengths: Beijing's 010 and the
 *     big cities' 020..029 are three characters, every other code (0755 Shenzhen, 0571
 *     Hangzhou) is four. So the area code's length follows from its first digits, and a
 *     separator in the input, where the writer put one, is not needed to find it.
 *
 * The reasons given back are static strings phrased to be shown to the agent who typed
 * the number, after the field name: "phone is 10 digits; a mobile has 11".
 */
#include "hf_phone.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define HF_PHONE_DIGITS_MAX 24

/* "is N digits; a mobile has 11", one static string per count, so the reason can say how
 * many digits there were without a buffer that the next call would overwrite. */
static const char *const s_mobile_length_why[HF_PHONE_DIGITS_MAX + 1] = {
    "has no digits",
    "is 1 digit; a mobile has 11",
    "is 2 digits; a mobile has 11",
    "is 3 digits; a mobile has 11",
    "is 4 digits; a mobile has 11",
    "is 5 digits; a mobile has 11",
    "is 6 digits; a mobile has 11",
    "is 7 digits; a mobile has 11",
    "is 8 digits; a mobile has 11",
    "is 9 digits; a mobile has 11",
    "is 10 digits; a mobile has 11",
    "is 11 digits; a mobile has 11",
    "is 12 digits; a mobile has 11",
    "is 13 digits; a mobile has 11",
    "is 14 digits; a mobile has 11",
    "is 15 digits; a mobile has 11",
    "is 16 digits; a mobile has 11",
    "is 17 digits; a mobile has 11",
    "is 18 digits; a mobile has 11",
    "is 19 digits; a mobile has 11",
    "is 20 digits; a mobile has 11",
    "is 21 digits; a mobile has 11",
    "is 22 digits; a mobile has 11",
    "is 23 digits; a mobile has 11",
    "is 24 digits; a mobile has 11",
};

static bool s_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool s_is_separator(char c)
{
    return c == ' ' || c == '\t' || c == '-' || c == '.' || c == '(' || c == ')';
}

static bool s_is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int s_fail(char *out, size_t outlen, const char **why, const char *reason)
{
    if (out != NULL && outlen > 0)
        out[0] = '\0';
    if (why != NULL)
        *why = reason;
    return -1;
}

/* Collects the digits of raw into digits (NUL-terminated) and notes a leading '+'.
 * Returns NULL, or the reason raw is not made of digits and separators. */
static const char *s_collect_digits(const char *raw, char *digits, size_t *n, bool *plus)
{
    size_t count = 0;
    bool seen_digit = false;
    *plus = false;
    for (const char *p = raw; *p; p++) {
        char c = *p;
        if (s_is_digit(c)) {
            if (count >= HF_PHONE_DIGITS_MAX)
                return "has more than 24 digits";
            digits[count++] = c;
            seen_digit = true;
        } else if (c == '+') {
            /* One '+', before the first digit: "+86 138...", "(+86) 138...". */
            if (seen_digit || *plus)
                return "has a '+' that is not at the start";
            *plus = true;
        } else if (s_is_separator(c)) {
            continue;
        } else if (s_is_letter(c)) {
            return "has letters";
        } else if ((unsigned char)c >= 0x80) {
            /* Most often full-width digits or punctuation from a Chinese input method. */
            return "has non-ASCII characters (full-width digits?)";
        } else {
            return "has characters other than digits, spaces, dashes, dots, parentheses "
                   "and +86";
        }
    }
    digits[count] = '\0';
    *n = count;
    return NULL;
}

/* Checks an 11-digit candidate mobile. Returns NULL or the reason. */
static const char *s_check_mobile(const char *d, size_t n)
{
    if (n != 11)
        return s_mobile_length_why[n];
    if (d[1] < '3' || d[1] > '9')
        return "mobile must start with 13-19";
    return NULL;
}

/* Checks a landline (digits starting with 0) and sets *area_len, the length of its area
 * code including the 0. Returns NULL or the reason. */
static const char *s_check_landline(const char *d, size_t n, size_t *area_len)
{
    if (n < 3)
        return "is too short for a landline with an area code";
    if (d[1] == '0')
        return "has an international prefix other than 0086";
    if (d[1] == '1') {
        if (d[2] != '0')
            return "has area code 01x; the only area code starting 01 is 010";
        *area_len = 3;
    } else if (d[1] == '2') {
        *area_len = 3;
    } else {
        *area_len = 4;
    }
    if (n < *area_len + 7)
        return "landline number after the area code is shorter than 7 digits";
    if (n > *area_len + 8)
        return "landline number after the area code is longer than 8 digits";
    return NULL;
}

int hf_phone_normalise(const char *raw, char *out, size_t outlen, const char **why)
{
    char buf[HF_PHONE_DIGITS_MAX + 1];
    size_t n = 0;
    bool plus = false;
    bool international = false;

    if (raw == NULL)
        return s_fail(out, outlen, why, "is empty");
    const char *p = raw;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0')
        return s_fail(out, outlen, why, "is empty");

    const char *reason = s_collect_digits(raw, buf, &n, &plus);
    if (reason != NULL)
        return s_fail(out, outlen, why, reason);
    if (n == 0)
        return s_fail(out, outlen, why, "has no digits");

    const char *d = buf;
    if (plus) {
        if (n < 2 || d[0] != '8' || d[1] != '6')
            return s_fail(out, outlen, why, "has a country code other than +86");
        d += 2;
        n -= 2;
        international = true;
    } else if (n >= 4 && strncmp(d, "0086", 4) == 0) {
        d += 4;
        n -= 4;
        international = true;
    } else if (n == 13 && d[0] == '8' && d[1] == '6') {
        d += 2;
        n -= 2;
    }
    if (n == 0)
        return s_fail(out, outlen, why, "has a country code and no number");

    /* Written internationally, a landline drops its trunk 0: "+86 10 1234 5678" is
     * 010-12345678. Anything after the country code that is not a mobile gets it back;
     * a stray 0 kept by the writer ("+86 010 ...") is accepted as it is. */
    char with_zero[HF_PHONE_DIGITS_MAX + 2];
    if (international && d[0] != '0' && !(d[0] == '1' && d[1] >= '3' && d[1] <= '9')) {
        with_zero[0] = '0';
        memcpy(with_zero + 1, d, n + 1);
        d = with_zero;
        n++;
    }

    /* A mobile dialled from another city's landline is sometimes written with the trunk
     * 0 in front ("013812345678"); no area code starts 01[3-9], so this is unambiguous. */
    if (n == 12 && d[0] == '0' && d[1] == '1' && d[2] >= '3' && d[2] <= '9') {
        d++;
        n--;
    }

    if (d[0] == '1') {
        reason = s_check_mobile(d, n);
        if (reason != NULL)
            return s_fail(out, outlen, why, reason);
        if (outlen < 12)
            return s_fail(out, outlen, why, "output buffer is too small");
        memcpy(out, d, 12);
    } else if (d[0] == '0') {
        size_t area_len = 0;
        reason = s_check_landline(d, n, &area_len);
        if (reason != NULL)
            return s_fail(out, outlen, why, reason);
        if (outlen < n + 2)
            return s_fail(out, outlen, why, "output buffer is too small");
        memcpy(out, d, area_len);
        out[area_len] = '-';
        memcpy(out + area_len + 1, d + area_len, n - area_len + 1);
    } else if (n == 7 || n == 8) {
        return s_fail(out, outlen, why, "landline needs an area code starting with 0");
    } else {
        return s_fail(out, outlen, why,
                      "must start with 1 (a mobile) or 0 (a landline's area code)");
    }
    if (why != NULL)
        *why = NULL;
    return 0;
}
