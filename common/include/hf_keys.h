/* hf_keys: the CURVE key files of a keys directory (HUIFANG_KEYS_DIR).
 *
 * For each principal NAME the directory holds NAME.pub (the Z85 public key, 40 characters
 * and a newline, mode 0644) and, only on the machine that is NAME, NAME.key (the Z85 secret
 * key, mode 0600; a secret readable by group or others is refused). Every NAME.pub in the
 * directory is allowed to connect (see hf_zap). A principal's kind comes from its name: the
 * five service names are "svc", every other name is "client"; a line "NAME KIND" in the
 * optional file `principals` of the directory overrides that (e.g. "gw-east svc"). */
#ifndef HF_KEYS_H
#define HF_KEYS_H
#include <stdbool.h>
#include <stddef.h>

/* Z85 text of a 32-byte CURVE key. */
#define HF_KEY_Z85_LEN 40

/* Reads dir/name.pub into pub (HF_KEY_Z85_LEN + 1 bytes). Returns 0, or -1 with the reason
 * in err. */
int hf_keys_read_public(const char *dir, const char *name, char *pub, char *err, size_t errlen);
/* Reads dir/name.key into sec (HF_KEY_Z85_LEN + 1 bytes), refusing a file that group or
 * others may read. Returns 0, or -1 with the reason in err. */
int hf_keys_read_secret(const char *dir, const char *name, char *sec, char *err, size_t errlen);
/* Makes a new keypair for name in dir (created 0700 when missing): name.key 0600 and
 * name.pub 0644. An existing name.key or name.pub is kept unless force. Returns 0, or -1
 * with the reason in err. */
int hf_keys_generate(const char *dir, const char *name, bool force, char *err, size_t errlen);
/* Writes the principal of name ("svc:intake", "client:cli") into out, reading the optional
 * `principals` file of dir (dir may be NULL). */
void hf_keys_principal(const char *dir, const char *name, char *out, size_t outlen);
/* True when name is usable as a key file name: 1-63 of [a-z0-9_.-], not starting with '.'. */
bool hf_keys_name_ok(const char *name);

#endif
