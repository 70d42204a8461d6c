/* fuzz_phone: hf_phone on whatever an agent or an old archive may type as a phone number,
 * and the masks (hf_mask) that logs and the event tap put on phones and names. The input is the
 * text, cut at its first NUL.
 *
 * Beyond crashes and undefined behaviour it checks the contract: a number accepted is 11
 * digits or AREA-NUMBER, with no reason given, and normalising it again gives it back (the
 * archive finds duplicates by comparing normalised strings); a number refused has a reason
 * and an empty output; a mask always fits its buffer. */
#include "hf_fuzz.h"
#include "hf_mask.h"
#include "hf_phone.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *raw = malloc(size + 1);
    if (raw == NULL)
        return 0;
    memcpy(raw, data, size);
    raw[size] = '\0';

    char out[20], again[20];
    const char *why = "unset";
    if (hf_phone_normalise(raw, out, sizeof out, &why) == 0) {
        size_t len = strlen(out);
        FUZZ_CHECK(why == NULL && len >= 11 && len <= 13);
        FUZZ_CHECK(strspn(out, "0123456789-") == len);
        FUZZ_CHECK(hf_phone_normalise(out, again, sizeof again, NULL) == 0);
        FUZZ_CHECK(strcmp(out, again) == 0);
    } else {
        FUZZ_CHECK(why != NULL && out[0] == '\0');
    }

    static const size_t sizes[] = {1, 2, 5, 12, 20, 64};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char mask[64];
        memset(mask, 'x', sizeof mask);
        hf_mask_phone(raw, mask, sizes[i]);
        FUZZ_CHECK(memchr(mask, '\0', sizes[i]) != NULL);
        memset(mask, 'x', sizeof mask);
        hf_mask_name(raw, mask, sizes[i]);
        FUZZ_CHECK(memchr(mask, '\0', sizes[i]) != NULL);
    }
    free(raw);
    return 0;
}
