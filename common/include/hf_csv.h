/* hf_csv: reading CSV files of any size as records of UTF-8 fields, with the file's line
 * numbers, whatever the encoding a spreadsheet saved them in (UTF-8 with or without a BOM,
 * GB18030/GBK, UTF-16 with a BOM), through libcsv and iconv; and writing records back. The
 * file is streamed: memory does not grow with its size. */
#ifndef HF_CSV_H
#define HF_CSV_H
#include <stdint.h>
#include <stdio.h>

typedef struct hf_csv_t hf_csv_t;

/* Opens path ("-" for standard input) for reading. encoding is "auto" (or NULL: a BOM says
 * UTF-8 or UTF-16; otherwise UTF-8 when the first 64 KiB are valid UTF-8, else GB18030) or
 * any name iconv knows ("utf-8", "gb18030", "gbk", "utf-16"). The delimiter is a comma, or a
 * tab when the first line has tabs and no commas. Returns NULL with a reason in err. */
hf_csv_t *hf_csv_open(const char *path, const char *encoding, char *err, size_t errlen);
/* Closes the file and frees the reader; idempotent, sets *self_p to NULL. */
void hf_csv_destroy(hf_csv_t **self_p);
/* Reads the next record: returns 1 with *fields (nfields UTF-8 strings, NUL-terminated) and
 * *line (the line the record starts on), owned by the reader until the next call; 0 at the
 * end; -1 on an error (hf_csv_error). Blank lines are skipped. Bytes that are not text in
 * the encoding become U+FFFD (counted by hf_csv_bad_bytes), so a wrong encoding shows. */
int hf_csv_next(hf_csv_t *self, char ***fields, int *nfields, int64_t *line);
/* The reason of the last error ("" when none). */
const char *hf_csv_error(const hf_csv_t *self);
/* The encoding in use, as detected or given ("UTF-8", "GB18030", "UTF-16"). */
const char *hf_csv_encoding(const hf_csv_t *self);
/* How many input bytes were not text in the encoding. */
int64_t hf_csv_bad_bytes(const hf_csv_t *self);
/* Bytes of the file read so far, and its size (-1 when unknown, e.g. a pipe). */
int64_t hf_csv_offset(const hf_csv_t *self);
int64_t hf_csv_size(const hf_csv_t *self);

/* Writes one record of n fields to out, each quoted (a quote doubled), ending the line.
 * Returns 0 or -1 (errno from stdio). */
int hf_csv_write(FILE *out, const char *const *fields, int n);

#endif
