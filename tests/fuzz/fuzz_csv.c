/* fuzz_csv: hf_csv reading whatever a lead file may hold. The first byte picks the encoding
 * the reader is told (0 auto, 1 utf-8, 2 gb18030, 3 utf-16: the digits '0'..'3' in the seed
 * files), the rest is the file. This harness is built with a 16-byte read chunk
 * (HF_CSV_CHUNK, tests/fuzz/CMakeLists.txt), so short inputs cut characters, BOMs and lines
 * between reads the way a file of megabytes does at its 64 KiB boundaries.
 *
 * Beyond crashes, leaks and undefined behaviour it checks what the importer relies on: every
 * record has at least one field, no field is NULL, each field is valid UTF-8 (bytes that
 * are not text became U+FFFD), line numbers never go back, and the reader never claims to
 * have read more than the file holds. (With so small a chunk the delimiter is guessed from
 * the first 16 bytes rather than the first line: other records, the same code.) */
#define _GNU_SOURCE
#include "hf_csv.h"
#include "hf_fuzz.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* UTF-8 as RFC 3629 has it: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool s_utf8_valid(const unsigned char *p)
{
    while (*p) {
        size_t n = *p < 0x80             ? 0
                   : (*p & 0xE0) == 0xC0 ? 1
                   : (*p & 0xF0) == 0xE0 ? 2
                   : (*p & 0xF8) == 0xF0 ? 3
                                         : 9;
        if (n == 9)
            return false;
        uint32_t cp = n == 0 ? *p : (uint32_t)(*p & (0x3F >> n));
        for (size_t k = 1; k <= n; k++) {
            if ((p[k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (p[k] & 0x3Fu);
        }
        static const uint32_t least[] = {0, 0x80, 0x800, 0x10000};
        if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        p += n + 1;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const encodings[] = {"auto", "utf-8", "gb18030", "utf-16"};
    if (size < 1)
        return 0;
    const char *encoding = encodings[data[0] % 4];
    data++;
    size--;

    /* hf_csv_open() takes a path: the file lives in memory, reached through /proc */
    int fd = memfd_create("fuzz_csv", MFD_CLOEXEC);
    if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size)) {
        perror("fuzz_csv: memfd");
        abort();
    }
    char path[64], err[256];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    hf_csv_t *csv = hf_csv_open(path, encoding, err, sizeof err);
    if (csv == NULL) {
        close(fd);
        return 0;
    }
    char **fields;
    int n, rc;
    int64_t line, last_line = 1;
    while ((rc = hf_csv_next(csv, &fields, &n, &line)) == 1) {
        FUZZ_CHECK(n >= 1 && fields[n] == NULL);
        FUZZ_CHECK(line >= last_line);
        for (int i = 0; i < n; i++)
            FUZZ_CHECK(fields[i] != NULL && s_utf8_valid((const unsigned char *)fields[i]));
        last_line = line;
    }
    FUZZ_CHECK(rc == 0 || hf_csv_error(csv)[0] != '\0'); /* an error always says why */
    FUZZ_CHECK(hf_csv_size(csv) == (int64_t)size && hf_csv_offset(csv) <= (int64_t)size);
    FUZZ_CHECK(hf_csv_bad_bytes(csv) <= (int64_t)size);
    hf_csv_destroy(&csv);
    close(fd);
    return 0;
}
