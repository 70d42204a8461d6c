/* A log line cannot be forged by a value, and personal data never reaches it: values are
 * escaped and quoted, keys naming phones, names, actors and notes are masked, and so is a
 * stray mobile number anywhere; lines and values are bounded. Configuration comes from one
 * table with bounds. */
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

#define LOG(want, ...)                                                                             \
    do {                                                                                           \
        char line_[HF_LOG_LINE_MAX];                                                               \
        hf_log_format(line_, sizeof line_, __VA_ARGS__);                                           \
        CHECK_STR(line_, want);                                                                    \
    } while (0)

/* A value can never add a line or a field: control characters, quotes and backslashes are
 * escaped, and a value with a space or '=' is quoted. */
static void test_escaping(void)
{
    LOG("name=\"W*** F***\" reason=\"x\\nlevel=error msg=forged\"", "name=%s reason=%s",
        "Wang Fang", "x\nlevel=error msg=forged");
    LOG("reason=\"a \\\"quoted\\\" \\\\ value\\r\\t\\x01\\x7f\" n=3", "reason=\"%s\" n=%d",
        "a \"quoted\" \\ value\r\t\x01\x7f", 3);
    LOG("branch=\"BJ01 level=error\"", "branch=%s", "BJ01 level=error");
    LOG("branch=\"a=b\"", "branch=%s", "a=b");
    LOG("branch=\"\"", "branch=%s", "");
    const char *none = getenv("HF_TEST_LOG_UNSET_VARIABLE"); /* NULL, unknown to the compiler */
    LOG("branch=(null)", "branch=%s", none);
    /* invalid UTF-8 bytes as \xNN, valid Chinese as it is, bidi overrides escaped */
    LOG("region=\"\\xff\\xc3(\" town=朝阳", "region=%s town=%s", "\xff\xc3(", "朝阳");
    LOG("region=\"a\\u202eb\"", "region=%s",
        "a\xe2\x80\xae"
        "b");
    /* the format's own quotes: the value inside is escaped, not quoted again */
    LOG("reason=\"unknown branch x\\\"y\"", "reason=\"unknown branch %s\"", "x\"y");
    /* a fragment of fields the caller built keeps its shape, but not a line break */
    LOG("ms=12 replayed=idempotent error=\"see reply\"", "ms=%lld%s%s", 12LL,
        " replayed=idempotent", " error=\"see reply\"");
    LOG("x=1\\nlevel=error", "%s", "x=1\nlevel=error");
    /* numbers of every width */
    LOG("a=-1 b=18446744073709551615 c=255 d=ff e=1.50 f=7 g=%",
        "a=%d b=%llu c=%zu d=%x e=%.2f f=%ld g=%%", -1, 18446744073709551615ULL, (size_t)255, 255u,
        1.5, 7L);
    LOG("s=ab", "s=%.2s", "abcdef");
    LOG("s=abc", "s=%.*s", 3, "abcdef");
}

/* Personal data is masked by its key, and a mobile number anywhere. */
static void test_masking(void)
{
    LOG("event=lead phone=138****5678 customer=12", "event=lead phone=%s customer=%d",
        "13812345678", 12);
    LOG("customer_phone=010-****5678", "customer_phone=%s", "010-12345678");
    LOG("customer_name=张** ok=1", "customer_name=%s ok=1", "张三丰");
    LOG("actor=139****5678 branch=BJ01", "actor=%s branch=%s", "+8613912345678", "BJ01");
    LOG("actor=A001", "actor=%s", "A001");
    LOG("note=\"[24 chars]\"", "note=%s", "call 13912345678 after 6");
    LOG("reason=\"call 139****5678 after 6\"", "reason=\"%s\"", "call 13912345678 after 6");
    LOG("reason=\"Key (phone)=(139****5678) already exists.\\nDETAIL: x\"", "reason=\"%s\"",
        "Key (phone)=(13912345678) already exists.\nDETAIL: x");
    LOG("x=139-****-5678", "x=%s", "139-1234-5678");
    LOG("ts=1732345678901 seq=13812345678901", "ts=%lld seq=%s", 1732345678901LL, "13812345678901");
    /* the format's literal text is the caller's, not masked */
    LOG("note=\"leases return the tasks\"", "note=\"leases return the tasks\"%s", "");
}

/* A value and a line are bounded and say where they were cut. */
static void test_bounds(void)
{
    static char big[HF_LOG_LINE_MAX * 2];
    memset(big, 'a', sizeof big - 1);
    char line[HF_LOG_LINE_MAX];
    size_t n = hf_log_format(line, sizeof line, "reason=%s", big);
    CHECK(n < sizeof line);
    CHECK_INT(n, strlen("reason=") + HF_LOG_VALUE_MAX + 3);
    CHECK(strcmp(line + n - 3, "...") == 0);
    /* a line of many values stops before its bound, with the marker, quotes closed */
    char values[300];
    memset(values, 'b', sizeof values - 1);
    values[sizeof values - 1] = '\0';
    values[5] = ' ';
    char small[128];
    n = hf_log_format(small, sizeof small, "a=%s b=%s c=%s", values, values, values);
    CHECK(n < sizeof small);
    CHECK(strstr(small, "...\" truncated=true") != NULL);
    CHECK(strchr(small, '\n') == NULL);
    /* a multibyte character is never cut */
    char cjk[HF_LOG_LINE_MAX];
    size_t o = 0;
    while (o + 3 < sizeof cjk) {
        memcpy(cjk + o, "朝", 3);
        o += 3;
    }
    cjk[o] = '\0';
    n = hf_log_format(line, sizeof line, "region=%s", cjk);
    CHECK_INT(n, strlen("region=") + HF_LOG_VALUE_MAX / 3 * 3 + 3);
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
    TEST_CASE(test_escaping);
    TEST_CASE(test_masking);
    TEST_CASE(test_bounds);

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
    /* a value is kept whole however long, expanded or not (it was cut to 511 bytes) */
    static char longer[3000], want[3000];
    memset(longer, 'a', 2000);
    snprintf(longer + 2000, sizeof longer - 2000, "{port_base+7}/tail");
    snprintf(want, sizeof want, "%.2000s9007/tail", longer);
    setenv("HF_TEST_URL", longer, 1);
    CHECK_INT(hf_config_load(&cfg, "t", "test", tables, 1, argv0), 0);
    CHECK_INT(strlen(hf_config_str(cfg, "url")), 2000 + strlen("9007/tail"));
    CHECK_STR(hf_config_str(cfg, "url"), want);
    hf_config_destroy(&cfg);
    longer[2000] = '\0';
    setenv("HF_TEST_URL", longer, 1);
    CHECK_INT(hf_config_load(&cfg, "t", "test", tables, 1, argv0), 0);
    CHECK_STR(hf_config_str(cfg, "url"), longer);
    hf_config_destroy(&cfg);
    unsetenv("HF_TEST_URL");
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
