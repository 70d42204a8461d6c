/* hf_phone: mainland China phone numbers. Mobiles are 1[3-9] plus 9 digits, accepted with or
 * without +86/0086, spaces or dashes, normalised to 11 digits; landlines are an area code
 * (0 + 2..3 digits) and a 7..8 digit number, normalised to "010-12345678". */
#ifndef HF_PHONE_H
#define HF_PHONE_H
#include <stddef.h>

/* Normalises raw into out (at least 20 bytes). Returns 0, or -1 with a reason in *why
 * (a static string: "has letters", "wrong length for a mobile", ...). */
int hf_phone_normalise(const char *raw, char *out, size_t outlen, const char **why);
/* Masking lives in hf_mask.h (hf_mask_phone, hf_mask_name). */

#endif
