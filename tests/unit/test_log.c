/* Personal data never reaches a log line: keys naming phones and names are masked, and so
 * is a stray mobile number anywhere. Configuration comes from one table with bounds. */
#include "hf_config.h"
#include "hf_log.h"
#include "hf_test.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes text to a fresh file of the given mode; returns its path (static). */
static const char *s_secret_file(const char *text, mode_t mode)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/hf-test-secret-%d", (int)getpid());
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        abort();
    close(fd);
    chmod(path, mode);
    return path;
}

static void mask(const char *in, const char *want)
{
    char line[512];
    snprintf(line, sizeof line, "%s", in);
    hf_log_mask_line(line, sizeof line);
    CHECK_STR(line, want);
}

static const hf_config_entry_t s_table[] = {
    {"count", "HF_TEST_COUNT", NULL, "5", HF_CFG_INT, 1, 10, false, "a count"},
    {"url", "HF_TEST_URL", "HF_TEST_URL_FALLBACK", "redis://x:{port_base+3}/0", HF_CFG_STR, 0, 0,
     true, "a url"},
    {"password", "HF_TEST_PASSWORD", NULL, "", HF_CFG_STR, 0, 0, true, "a password"},
    {"clock", "HF_TEST_CLOCK", NULL, "real", HF_CFG_STR, 0, 0, false, "a clock"},
    {"clock_file", "HF_TEST_CLOCK_FILE", NULL, "/tmp/c", HF_CFG_STR, 0, 0, false, "its file"},
    HF_CONFIG_END};

int main(void)
{
    mask("event=lead phone=13812345678 customer=12", "event=lead phone=138****5678 customer=12");
    mask("customer_phone=010-12345678", "customer_phone=010-****5678");
    mask("name=\"Wang Fang\" id=3", "name=\"W********\" id=3");
    mask("customer_name=张三丰 ok=1", "customer_name=张** ok=1");
    mask("note=\"call 13912345678 after 6\"", "note=\"call 139****5678 after 6\"");
    mask("ts=1732345678901 seq=13812345678901", "ts=1732345678901 seq=13812345678901");
    mask("event=x", "event=x");

    /* configuration: defaults, environment, flags, bounds, fallbacks */
    const hf_config_entry_t *tables[] = {s_table, NULL};
    hf_config_t *cfg = NULL;
    unsetenv("HF_TEST_COUNT");
    unsetenv("HF_TEST_URL");
    setenv("HUIFANG_PORT_BASE", "9000", 1);
    char *argv0[] = {"t", NULL};
    CHECK_INT(hf_config_load(&cfg, "t", "test", tables, 1, argv0), 0);
    CHECK_INT(hf_config_int(cfg, "count"), 5);
    CHECK_STR(hf_config_str(cfg, "url"), "redis://x:9003/0");
    hf_config_destroy(&cfg);
    setenv("HF_TEST_URL_FALLBACK", "redis://fallback/1", 1);
    setenv("HF_TEST_COUNT", "7", 1);
    CHECK_INT(hf_config_load(&cfg, "t", "test", tables, 1, argv0), 0);
    CHECK_INT(hf_config_int(cfg, "count"), 7);
    CHECK_STR(hf_config_str(cfg, "url"), "redis://fallback/1");
    hf_config_destroy(&cfg);
    char *argv1[] = {"t", "--count=9", NULL};
    CHECK_INT(hf_config_load(&cfg, "t", "test", tables, 2, argv1), 0);
    CHECK_INT(hf_config_int(cfg, "count"), 9);
    hf_config_destroy(&cfg);
    char *argv2[] = {"t", "--count=11", NULL};
    CHECK_INT(hf_config_load(&cfg, "t", "test", tables, 2, argv2), -1);
    CHECK(cfg == NULL);
    char *argv3[] = {"t", "--nope=1", NULL};
    CHECK_INT(hf_config_load(&cfg, "t", "test", tables, 2, argv3), -1);
    setenv("HF_TEST_COUNT", "seven", 1);
    CHECK_INT(hf_config_load(&cfg, "t", "test", tables, 1, argv0), -1);
    setenv("HF_TEST_COUNT", "7", 1);

    /* secrets from files: X_FILE names a file whose content (one newline dropped) is X */
    unsetenv("HF_TEST_URL_FALLBACK");
    setenv("HF_TEST_URL_FALLBACK_FILE", s_secret_file("redis://:pw@h:1/2\n", 0400), 1);
    CHECK_INT(hf_config_load(&cfg, "t", "test", tables, 1, argv0), 0);
    CHECK_STR(hf_config_str(cfg, "url"), "redis://:pw@h:1/2");
    hf_config_destroy(&cfg);
    unsetenv("HF_TEST_URL_FALLBACK_FILE");
    setenv("HF_TEST_PASSWORD_FILE", s_secret_file("s3cret\n", 0600), 1);
    CHECK_INT(hf_config_load(&cfg, "t", "test", tables, 1, argv0), 0);
    CHECK_STR(hf_config_str(cfg, "password"), "s3cret");
    hf_config_destroy(&cfg);
    /* readable or writable by group or others: refused */
    const mode_t unsafe[] = {0644, 0640, 0604, 0620, 0602};
    for (size_t i = 0; i < sizeof unsafe / sizeof *unsafe; i++) {
        setenv("HF_TEST_PASSWORD_FILE", s_secret_file("s3cret", unsafe[i]), 1);
        CHECK_INT(hf_config_load(&cfg, "t", "test", tables, 1, argv0), -1);
        CHECK(cfg == NULL);
    }
    /* missing, a folder, too large, both X and X_FILE */
    setenv("HF_TEST_PASSWORD_FILE", "/nonexistent/secret", 1);
    CHECK_INT(hf_config_load(&cfg, "t", "test", tables, 1, argv0), -1);
    setenv("HF_TEST_PASSWORD_FILE", "/tmp", 1);
    CHECK_INT(hf_config_load(&cfg, "t", "test", tables, 1, argv0), -1);
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    setenv("HF_TEST_PASSWORD_FILE", s_secret_file(big, 0600), 1);
    CHECK_INT(hf_config_load(&cfg, "t", "test", tables, 1, argv0), -1);
    setenv("HF_TEST_PASSWORD_FILE", s_secret_file("s3cret", 0600), 1);
    setenv("HF_TEST_PASSWORD", "other", 1);
    CHECK_INT(hf_config_load(&cfg, "t", "test", tables, 1, argv0), -1);
    unsetenv("HF_TEST_PASSWORD");
    /* a setting named X_FILE is that setting, not X's file */
    setenv("HF_TEST_CLOCK_FILE", "/tmp/clock-here", 1);
    CHECK_INT(hf_config_load(&cfg, "t", "test", tables, 1, argv0), 0);
    CHECK_STR(hf_config_str(cfg, "clock"), "real");
    CHECK_STR(hf_config_str(cfg, "clock_file"), "/tmp/clock-here");
    hf_config_destroy(&cfg);
    unlink(s_secret_file("", 0600));
    TEST_DONE();
}
