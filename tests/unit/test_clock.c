/* test_clock: the manual clock. Every process reads one file that `huifang clock advance`
 * replaces by rename; a process that keeps asking watches the file's folder (inotify) and reads
 * the file again only after an event naming it. Whatever way the file changes — replaced,
 * written in place, removed and written again — the next ask sees it, and a change of another
 * file of the folder changes nothing. */

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hf_clock.h"
#include "hf_test.h"

/* Whether this process holds an inotify descriptor (the watch of the clock's folder). */
static bool s_watching(void)
{
    DIR *d = opendir("/proc/self/fd");
    bool found = false;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL && !found) {
        char path[300], target[300];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n > 0) {
            target[n] = '\0';
            found = strcmp(target, "anon_inode:inotify") == 0;
        }
    }
    if (d)
        closedir(d);
    return found;
}

static void s_write_in_place(const char *file, const char *text)
{
    int fd = open(file, O_WRONLY | O_TRUNC | O_CLOEXEC);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK_INT(write(fd, text, strlen(text)), (long long)strlen(text));
        close(fd);
    }
}

static void test_manual_clock_follows_the_file(void)
{
    char dir[] = "/tmp/hf-test-clock.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char file[300], other[300];
    snprintf(file, sizeof file, "%s/clock", dir);
    snprintf(other, sizeof other, "%s/clock.other", dir);
    CHECK_INT(hf_clock_file_write(file, 1000), 0);
    CHECK_INT(hf_clock_init("manual", file), 0);
    CHECK(hf_clock_is_manual());
    /* moved as `huifang clock advance` moves it, asked again and again */
    for (int64_t v = 1000; v < 1000 + 64 * 3600000LL; v += 3600000) {
        CHECK_INT(hf_clock_file_write(file, v), 0);
        CHECK_INT(hf_clock_now_ms(), v);
        CHECK_INT(hf_clock_now_ms(), v);
    }
    /* a process that keeps asking watches the folder instead of opening the file each time */
    CHECK(s_watching());
    /* written in place */
    s_write_in_place(file, "5000\n");
    CHECK_INT(hf_clock_now_ms(), 5000);
    /* another file of the folder changes nothing */
    CHECK_INT(hf_clock_file_write(other, 7777), 0);
    CHECK_INT(hf_clock_now_ms(), 5000);
    /* removed: the last value stays; written again: the new one */
    CHECK_INT(unlink(file), 0);
    CHECK_INT(hf_clock_now_ms(), 5000);
    CHECK_INT(hf_clock_file_write(file, 6000), 0);
    CHECK_INT(hf_clock_now_ms(), 6000);
    for (int i = 0; i < 100; i++)
        CHECK_INT(hf_clock_now_ms(), 6000);
    CHECK_INT(hf_clock_file_write(file, 6001), 0);
    CHECK_INT(hf_clock_now_ms(), 6001);
    unlink(file);
    unlink(other);
    rmdir(dir);
}

int main(void)
{
    TEST_CASE(test_manual_clock_follows_the_file);
    TEST_DONE();
}
