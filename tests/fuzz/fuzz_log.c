/* fuzz_log: hf_log's line builder and hf_mask on any bytes a client, an archive or a
 * database error may put in a logged value. The input is cut at its first NUL and used as
 * the value of a masked key, a plain key, a quoted value and a fragment.
 *
 * The contract beyond crashes: the line is one line (no byte below 0x20 or 0x7f), valid
 * UTF-8, within its bound, and holds no unmasked mobile number; the masks always fit their
 * buffer and never leave a mobile in clear. */
#include "hf_fuzz.h"
#include "hf_log.h"
#include "hf_mask.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* True when s[0..n) is valid UTF-8 (the decoder of hf_log is not reused, on purpose). */
static bool s_valid_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t len = c < 0x80             ? 1
                     : (c & 0xE0) == 0xC0 ? 2
                     : (c & 0xF0) == 0xE0 ? 3
                     : (c & 0xF8) == 0xF0 ? 4
                                          : 0;
        if (len == 0 || i + len > n)
            return false;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
        i += len;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *raw = malloc(size + 1);
    if (raw == NULL)
        return 0;
    memcpy(raw, data, size);
    raw[size] = '\0';

    char line[HF_LOG_LINE_MAX];
    size_t n = hf_log_format(line, sizeof line, "phone=%s name=%s actor=%s reason=\"%s\" x=%s y%s",
                             raw, raw, raw, raw, raw, raw);
    FUZZ_CHECK(n < sizeof line && strlen(line) == n);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK((unsigned char)line[i] >= 0x20 && (unsigned char)line[i] != 0x7F);
    FUZZ_CHECK(s_valid_utf8((const unsigned char *)line, n));
    /* no mobile of the input reaches the line: an input with one never appears whole, and
     * an input without one adds none (checked on lines without \x or \u escapes, whose hex
     * digits may run into digits after them) */
    char masked[HF_LOG_LINE_MAX], again[HF_LOG_LINE_MAX];
    if (hf_mask_mobiles(raw, masked, sizeof masked) > 0)
        FUZZ_CHECK(strstr(line, raw) == NULL);
    else if (strstr(line, "\\x") == NULL && strstr(line, "\\u") == NULL)
        FUZZ_CHECK(hf_mask_mobiles(line, again, sizeof again) == 0);

    static const size_t sizes[] = {1, 2, 5, 12, 20, 64};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char mask[64];
        for (int kind = HF_MASK_NONE; kind <= HF_MASK_VIA_FIELD; kind++) {
            memset(mask, 'x', sizeof mask);
            hf_mask_value((hf_mask_kind_t)kind, raw, mask, sizes[i]);
            FUZZ_CHECK(memchr(mask, '\0', sizes[i]) != NULL);
        }
    }
    free(raw);
    return 0;
}
