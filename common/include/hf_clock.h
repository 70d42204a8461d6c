/* hf_clock: the one source of time for a process. Real time, or a manual clock that tests
 * and demos drive: its value lives in a small file (HUIFANG_CLOCK_FILE) that every process
 * on the host reads, so `huifang clock advance 10d` moves all services at once and a
 * restarted service comes back at the same instant. All values are UTC milliseconds. */
#ifndef HF_CLOCK_H
#define HF_CLOCK_H
#include <stdbool.h>
#include <stdint.h>

/* Default manual clock file when HUIFANG_CLOCK_FILE is unset. */
#define HF_CLOCK_DEFAULT_FILE "/tmp/huifang.clock"

/* Chooses the clock: mode "real" or "manual"; file is the manual clock's file (NULL: the
 * default). A manual clock whose file does not exist starts at the real time now.
 * Returns 0, or -1 for an unknown mode. */
int hf_clock_init(const char *mode, const char *file);
/* Returns the current time, UTC ms. A manual clock's value is the file's as it was when the
 * call began (a process that keeps asking watches the file's folder rather than reading the
 * file each time; see hf_clock.c). */
int64_t hf_clock_now_ms(void);
/* True when the manual clock is in use. */
bool hf_clock_is_manual(void);
/* Reads the manual clock file; returns 0 and sets *ms, or -1 if it cannot be read. */
int hf_clock_file_read(const char *file, int64_t *ms);
/* Writes the manual clock file atomically; returns 0 or -1 (errno set). */
int hf_clock_file_write(const char *file, int64_t ms);
/* The real time, UTC ms, whatever the clock's mode: for what must never follow a manual
 * clock (a session's expiry, its revocations). */
int64_t hf_clock_real_ms(void);
/* Milliseconds on a monotonic clock, for timeouts and intervals (never manual). */
int64_t hf_clock_mono_ms(void);

#endif
