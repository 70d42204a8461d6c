/* hf_clock: real or manual time. The manual clock's value is a decimal UTC ms in a file,
 * replaced atomically by rename, so every reader sees a whole value.
 *
 * A service asks for the time many times a request; reading the file each time took an open,
 * a read and a close. A process that keeps asking watches the file's folder with inotify
 * instead and reads the file again only after an event naming it (its replacement by rename,
 * a write, its removal) or one that says the watch may have missed something: the kernel
 * queues the event within the writer's rename, so a reader asking after `huifang clock
 * advance` returned sees the new value, as before. Where no watch can be had, the file is read
 * every time, as before. */
#include "hf_clock.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

/* A process watches the clock's folder once it has read the file this many times (a command
 * line tool reading it once or twice never does). */
#define S_WATCH_AFTER 16

static bool s_manual = false;
static char s_file[512] = HF_CLOCK_DEFAULT_FILE;
static int64_t s_last_manual = 0;
static int s_reads = 0;         /* the file's reads so far */
static int s_watch = -1;        /* the inotify descriptor on the file's folder; -1: none */
static bool s_watch_failed;     /* no watch could be had: the file is read every time */
static bool s_current = false;  /* s_last_manual is the file's value, no event since */
static const char *s_base = ""; /* the file's name in its folder */
/* the watch and the value it vouches for are one state (the gateway asks from threads) */
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;

/* Stops watching: the file is read every time from now on. */
static void s_watch_stop(void)
{
    if (s_watch >= 0)
        close(s_watch);
    s_watch = -1;
    s_watch_failed = true;
    s_current = false;
}

/* Starts watching the clock file's folder; on failure the file is read every time. */
static void s_watch_start(void)
{
    char dir[sizeof s_file];
    snprintf(dir, sizeof dir, "%s", s_file);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    s_base = strrchr(s_file, '/') ? strrchr(s_file, '/') + 1 : s_file;
    s_watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (s_watch < 0 || inotify_add_watch(s_watch, dir,
                                         IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                                             IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF) < 0)
        s_watch_stop();
}

/* Whether the file may have changed since it was read: the events queued are read, and one
 * naming the file, an overflow of the queue or the folder moved or gone says yes (the last
 * two stop the watch). */
static bool s_watch_changed(void)
{
    bool changed = false;
    for (;;) {
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t n = read(s_watch, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return changed;
        if (n <= 0) {
            s_watch_stop();
            return true;
        }
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *e = (const struct inotify_event *)p;
            if (e->mask &
                (IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) {
                s_watch_stop();
                return true;
            }
            if (e->len > 0 && strcmp(e->name, s_base) == 0)
                changed = true;
            p += sizeof *e + e->len;
        }
    }
}

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
    if (s_watch >= 0)
        close(s_watch);
    s_watch = -1;
    s_watch_failed = false;
    s_current = false;
    s_reads = 0;
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
    pthread_mutex_lock(&s_lock);
    if (!s_current || s_watch_changed()) {
        if (s_watch < 0 && !s_watch_failed && ++s_reads >= S_WATCH_AFTER)
            s_watch_start(); /* before the read: a change after it is an event */
        int64_t ms;
        /* a missing or half-replaced file keeps the last value rather than jumping */
        s_current = false;
        if (hf_clock_file_read(s_file, &ms) == 0) {
            s_last_manual = ms;
            s_current = s_watch >= 0;
        }
    }
    int64_t now = s_last_manual;
    pthread_mutex_unlock(&s_lock);
    return now;
}
