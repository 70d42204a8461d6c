/* hf_fuzz: what the harnesses share. FUZZ_CHECK(cond) aborts with the file, line and
 * condition when cond is false: libFuzzer takes the abort for a crash and keeps the input,
 * and the message says which promise the parser broke. */
#ifndef HF_FUZZ_H
#define HF_FUZZ_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
