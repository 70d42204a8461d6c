/* hf_log: one line per event, key=value, to stderr, that outside input can neither forge
 * nor use to leak personal data.
 *
 * Callers write printf formats whose literal text is the keys ("phone=%s reason=\"%s\"").
 * The format is trusted (a literal, checked by -Wformat); every string argument is not:
 *   - it is escaped: control characters as \n \r \t \xNN, DEL as \x7f, invalid UTF-8
 *     bytes as \xNN, quotes and backslashes as \" and \\; a value of its own ("key=%s")
 *     is quoted when it holds a space, '=', a quote or an escape, so a line is always one
 *     line and its fields are the ones the format wrote;
 *   - it is masked by its key, through hf_mask's table (phone, name, actor, note, ...),
 *     and whatever its key, a mobile number in it is masked (hf_mask_mobiles);
 *   - a value is cut after HF_LOG_VALUE_MAX bytes and a line after HF_LOG_LINE_MAX, each
 *     marked with "..." (and a cut line ends with " truncated=true").
 * A "%s" that does not start a value ("ms=%lld%s" with " replayed=idempotent") is taken as
 * a fragment of fields the caller built: escaped and mobile-masked, not quoted. */
#ifndef HF_LOG_H
#define HF_LOG_H
#include <stdarg.h>
#include <stddef.h>

typedef enum { HF_LOG_DEBUG, HF_LOG_INFO, HF_LOG_WARN, HF_LOG_ERROR } hf_log_level_t;

#define HF_LOG_LINE_MAX 4096 /* bytes in a line, its newline included */
#define HF_LOG_VALUE_MAX 512 /* bytes of one escaped string value */

/* Names the program in every line and sets the lowest level written ("debug".."error"). */
void hf_log_init(const char *program, const char *level);
/* Writes "ts=... level=... svc=... event=EVENT <formatted key=value pairs>", escaped and
 * masked as above, as one write(2) to stderr. */
void hf_log(hf_log_level_t level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Formats the key=value part of a line as hf_log does into out (size bytes, at least 64);
 * returns the length written. Exposed for tests. */
size_t hf_log_format(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
size_t hf_log_vformat(char *out, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#define hf_debug(event, ...) hf_log(HF_LOG_DEBUG, event, __VA_ARGS__)
#define hf_info(event, ...) hf_log(HF_LOG_INFO, event, __VA_ARGS__)
#define hf_warn(event, ...) hf_log(HF_LOG_WARN, event, __VA_ARGS__)
#define hf_error(event, ...) hf_log(HF_LOG_ERROR, event, __VA_ARGS__)

#endif
