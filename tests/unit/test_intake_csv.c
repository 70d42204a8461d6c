/* hf_csv as the lead import reads files: records with the line they start on (a quoted
 * field may span lines, blank lines are skipped), UTF-8 with and without a BOM, GB18030 as
 * spreadsheets save it (detected or named), UTF-16 with a BOM, tab-separated text, bytes
 * that are not text, an unclosed quote, a last line without a line feed, a file larger than
 * the reader's buffer, and records written back so that they read the same. */
#include "hf_csv.h"
#include "hf_test.h"
#include <unistd.h>

static char s_dir[64];

static const char *s_file(const char *name, const void *data, size_t len)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
    fclose(f);
    return path;
}

/* Reads every record of path into a text "line:f1|f2;line:..." for comparison. */
static char *s_read_all(const char *path, const char *encoding, char *out, size_t outlen,
                        const char **enc_used, int64_t *bad)
{
    char err[256];
    hf_csv_t *csv = hf_csv_open(path, encoding, err, sizeof err);
    out[0] = '\0';
    if (csv == NULL) {
        snprintf(out, outlen, "open failed: %s", err);
        return out;
    }
    char **f;
    int n, rc;
    int64_t line;
    size_t o = 0;
    while ((rc = hf_csv_next(csv, &f, &n, &line)) == 1) {
        o += (size_t)snprintf(out + o, outlen - o, "%lld:", (long long)line);
        for (int i = 0; i < n; i++)
            o += (size_t)snprintf(out + o, outlen - o, "%s%s", i ? "|" : "", f[i]);
        o += (size_t)snprintf(out + o, outlen - o, ";");
    }
    if (rc < 0)
        snprintf(out + o, outlen - o, "error: %s", hf_csv_error(csv));
    if (enc_used)
        *enc_used = strcmp(hf_csv_encoding(csv), "UTF-8") == 0     ? "UTF-8"
                    : strcmp(hf_csv_encoding(csv), "GB18030") == 0 ? "GB18030"
                    : strcmp(hf_csv_encoding(csv), "UTF-16") == 0  ? "UTF-16"
                                                                   : "other";
    if (bad)
        *bad = hf_csv_bad_bytes(csv);
    hf_csv_destroy(&csv);
    return out;
}

int main(void)
{
    snprintf(s_dir, sizeof s_dir, "/tmp/test_intake_csv.XXXXXX");
    if (mkdtemp(s_dir) == NULL)
        return 2;
    char got[4096];
    const char *enc;
    int64_t bad;

    /* UTF-8: a quoted field with a comma, one spanning two lines, a blank line, CRLF, and a
     * last line without a line feed */
    const char utf8[] = "姓名,电话,地址\r\n"
                        "王芳,13812345678,\"Chaoyang, Rd 1\"\r\n"
                        "\r\n"
                        "\"Li\nNa\",139,\"say \"\"hi\"\"\"\r\n"
                        "周敏,137,";
    s_read_all(s_file("a.csv", utf8, sizeof utf8 - 1), NULL, got, sizeof got, &enc, &bad);
    CHECK_STR(
        got,
        "1:姓名|电话|地址;2:王芳|13812345678|Chaoyang, Rd 1;4:Li\nNa|139|say \"hi\";6:周敏|137|;");
    CHECK_STR(enc, "UTF-8");
    CHECK_INT(bad, 0);

    /* the BOM spreadsheets put first is not part of the first column's name */
    const char bom[] = "\xEF\xBB\xBFname,phone\n王芳,138\n";
    s_read_all(s_file("bom.csv", bom, sizeof bom - 1), "auto", got, sizeof got, &enc, NULL);
    CHECK_STR(got, "1:name|phone;2:王芳|138;");

    /* GB18030 (王芳 = CD F5 B7 BC, 周敏 = D6 DC C3 F4): detected, and also when named */
    const char gb[] = "name,phone\n\xCD\xF5\xB7\xBC,138\n\xD6\xDC\xC3\xF4,139\n";
    s_read_all(s_file("gb.csv", gb, sizeof gb - 1), NULL, got, sizeof got, &enc, &bad);
    CHECK_STR(got, "1:name|phone;2:王芳|138;3:周敏|139;");
    CHECK_STR(enc, "GB18030");
    CHECK_INT(bad, 0);
    s_read_all(s_file("gb2.csv", gb, sizeof gb - 1), "gb18030", got, sizeof got, &enc, NULL);
    CHECK_STR(got, "1:name|phone;2:王芳|138;3:周敏|139;");

    /* read as UTF-8 against its will: the bytes that are not UTF-8 become U+FFFD, counted */
    s_read_all(s_file("gb3.csv", gb, sizeof gb - 1), "utf-8", got, sizeof got, &enc, &bad);
    CHECK(strstr(got, "\xEF\xBF\xBD") != NULL);
    CHECK(bad > 0);

    /* beyond Unicode (above U+10FFFF, in four to six bytes), which glibc's iconv copies as
     * it is when reading UTF-8: U+FFFD like any byte that is not text (found by fuzz_csv:
     * tests/fuzz/corpus/fuzz_csv/beyond_unicode.csv) */
    const char beyond[] = "a,\xF4\x90\x80\x80|\xF7\xBF\xBF\xBF|\xF8\x88\x80\x80\x80|"
                          "\xFC\xAF\xAF\xAF\xAF\xAF|\xF4\x8F\xBF\xBF\n";
    s_read_all(s_file("beyond.csv", beyond, sizeof beyond - 1), "utf-8", got, sizeof got, &enc,
               &bad);
    CHECK_STR(got, "1:a|\xEF\xBF\xBD|\xEF\xBF\xBD|\xEF\xBF\xBD|\xEF\xBF\xBD|\xF4\x8F\xBF\xBF;");
    CHECK_INT(bad, 19);

    /* UTF-16 LE with its BOM, tab-separated, as "Unicode text" exports are */
    const char u16[] =
        "\xFF\xFEn\0a\0m\0e\0\t\0p\0h\0o\0n\0e\0\n\0\x8B\x73\xB3\x82\t\0001\0003\0008\0\n\0";
    s_read_all(s_file("u16.txt", u16, sizeof u16 - 1), NULL, got, sizeof got, &enc, &bad);
    CHECK_STR(got, "1:name|phone;2:王芳|138;");
    CHECK_STR(enc, "UTF-16");
    CHECK_INT(bad, 0);

    /* a quote never closed is an error naming the line it starts on, not a swallowed file */
    char unclosed[20000] = "name,phone\nA,1\n\"B,2\n";
    for (int i = 0; i < 300; i++)
        strcat(unclosed, "C,3\n");
    s_read_all(s_file("open.csv", unclosed, strlen(unclosed)), NULL, got, sizeof got, NULL, NULL);
    CHECK(strstr(got, "1:name|phone;2:A|1;error: line 3:") == got);
    CHECK(strstr(got, "never closed") != NULL);

    /* larger than the reader's 64 KiB buffers: every record, every line number right, and a
     * multibyte character cut by a buffer's end read whole */
    FILE *big = fopen(s_file("big.csv", "", 0), "w");
    fprintf(big, "name,phone\n");
    for (int i = 0; i < 20000; i++)
        fprintf(big, "王芳%d,\"138%08d\"\n", i, i);
    fclose(big);
    char err[256], path[128];
    snprintf(path, sizeof path, "%s/big.csv", s_dir);
    hf_csv_t *csv = hf_csv_open(path, NULL, err, sizeof err);
    CHECK(csv != NULL);
    if (csv) {
        char **f;
        int n, rc, records = 0, wrong = 0;
        int64_t line;
        while ((rc = hf_csv_next(csv, &f, &n, &line)) == 1) {
            records++;
            if (records > 1) {
                char want[32];
                snprintf(want, sizeof want, "王芳%d", records - 2);
                wrong += n != 2 || line != records || strcmp(f[0], want) != 0;
            }
        }
        CHECK_INT(rc, 0);
        CHECK_INT(records, 20001);
        CHECK_INT(wrong, 0);
        CHECK_INT(hf_csv_bad_bytes(csv), 0);
        CHECK(hf_csv_size(csv) > 65536 && hf_csv_offset(csv) == hf_csv_size(csv));
        hf_csv_destroy(&csv);
    }

    /* written back, quoted where needed, it reads the same */
    snprintf(path, sizeof path, "%s/out.csv", s_dir);
    FILE *out = fopen(path, "w");
    const char *rec1[] = {"line", "a \"quoted\" word", "two\nlines"};
    const char *rec2[] = {"王芳", "", "x,y"};
    CHECK_INT(hf_csv_write(out, rec1, 3), 0);
    CHECK_INT(hf_csv_write(out, rec2, 3), 0);
    fclose(out);
    s_read_all(path, NULL, got, sizeof got, NULL, NULL);
    CHECK_STR(got, "1:line|a \"quoted\" word|two\nlines;3:王芳||x,y;");

    /* an empty file: no records and no error (fuzz_csv found the reader doing arithmetic on
     * its text buffer before it had one: tests/fuzz/corpus/fuzz_csv/empty_file.csv) */
    s_read_all(s_file("empty.csv", "", 0), NULL, got, sizeof got, &enc, &bad);
    CHECK_STR(got, "");
    CHECK_STR(enc, "UTF-8");
    CHECK_INT(bad, 0);

    /* a file that is not there */
    s_read_all("/nonexistent/leads.csv", NULL, got, sizeof got, NULL, NULL);
    CHECK(strstr(got, "open failed: could not open /nonexistent/leads.csv") == got);

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", s_dir);
    TEST_DONE();
}
