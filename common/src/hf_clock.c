/* hf_clock: real or manual time. The manual clock's value is a decimal UTC ms in a file,
 * replaced atomically by rename, so every reader sees a whole value. */
#include "hf_clock.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool s_manual = false;
static char s_file[512] = HF_CLOCK_DEFAULT_FILE;
static int64_t s_last_manual = 0;

int64_t hf_clock_real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t hf_clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int hf_clock_file_read(const char *file, int64_t *ms)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[32];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *end = NULL;
    long long v = strtoll(buf, &end, 10);
    if (end == buf)
        return -1;
    *ms = v;
    return 0;
}

int hf_clock_file_write(const char *file, int64_t ms)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", file, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld\n", (long long)ms);
    if (write(fd, buf, (size_t)n) != n) {
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        return -1;
    }
    close(fd);
    if (rename(tmp, file) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

int hf_clock_init(const char *mode, const char *file)
{
    if (mode == NULL || strcmp(mode, "real") == 0 || *mode == '\0') {
        s_manual = false;
        return 0;
    }
    if (strcmp(mode, "manual") != 0)
        return -1;
    s_manual = true;
    snprintf(s_file, sizeof s_file, "%s", file && *file ? file : HF_CLOCK_DEFAULT_FILE);
    int64_t ms;
    if (hf_clock_file_read(s_file, &ms) != 0) {
        ms = hf_clock_real_ms();
        /* several processes may start at once: the first write wins, a later one writes
         * nearly the same instant, which is harmless */
        hf_clock_file_write(s_file, ms);
    }
    s_last_manual = ms;
    return 0;
}

bool hf_clock_is_manual(void)
{
    return s_manual;
}

int64_t hf_clock_now_ms(void)
{
    if (!s_manual)
        return hf_clock_real_ms();
    int64_t ms;
    /* a missing or half-replaced file keeps the last value rather than jumping */
    if (hf_clock_file_read(s_file, &ms) == 0)
        s_last_manual = ms;
    return s_last_manual;
}
