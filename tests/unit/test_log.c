/* Personal data never reaches a log line: keys naming phones and names are masked, and so
 * is a stray mobile number anywhere. Configuration comes from one table with bounds. */
#include "hf_config.h"
#include "hf_log.h"
#include "hf_test.h"

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
    TEST_DONE();
}
