/* hf_log: one line per event, key=value, to stderr. Personal data is masked here, once,
 * for every caller: the value of any key containing "phone" is masked as 138****5678, the
 * value of any key containing "name" keeps its first character only, and any stray
 * mainland mobile number in a line is masked too. Values with spaces are quoted. */
#ifndef HF_LOG_H
#define HF_LOG_H
#include <stddef.h>

typedef enum { HF_LOG_DEBUG, HF_LOG_INFO, HF_LOG_WARN, HF_LOG_ERROR } hf_log_level_t;

/* Names the program in every line and sets the lowest level written ("debug".."error"). */
void hf_log_init(const char *program, const char *level);
/* Writes "ts=... level=... svc=... event=EVENT <formatted key=value pairs>" masked. */
void hf_log(hf_log_level_t level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Masks personal data in a finished key=value line, in place (exposed for tests). */
void hf_log_mask_line(char *line, size_t size);

#define hf_debug(event, ...) hf_log(HF_LOG_DEBUG, event, __VA_ARGS__)
#define hf_info(event, ...) hf_log(HF_LOG_INFO, event, __VA_ARGS__)
#define hf_warn(event, ...) hf_log(HF_LOG_WARN, event, __VA_ARGS__)
#define hf_error(event, ...) hf_log(HF_LOG_ERROR, event, __VA_ARGS__)

#endif
