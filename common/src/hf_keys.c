/* hf_keys: reading and generating the CURVE key files of a keys directory. */
#include "hf_keys.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

bool hf_keys_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 63 || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

/* Reads one key file into key; a Z85 key is exactly 40 characters (and an optional
 * newline). */
static int s_read_key(const char *path, char *key, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "could not read %s: %s", path, strerror(errno));
        return -1;
    }
    char buf[128];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    uint8_t raw[32];
    if (n != HF_KEY_Z85_LEN || zmq_z85_decode(raw, buf) == NULL) {
        snprintf(err, errlen, "%s does not hold a Z85 CURVE key (40 characters)", path);
        return -1;
    }
    memcpy(key, buf, HF_KEY_Z85_LEN + 1);
    return 0;
}

int hf_keys_read_public(const char *dir, const char *name, char *pub, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.pub", dir, name);
    return s_read_key(path, pub, err, errlen);
}

int hf_keys_read_secret(const char *dir, const char *name, char *sec, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.key", dir, name);
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "could not read the secret key %s: %s", path, strerror(errno));
        return -1;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, errlen,
                 "the secret key %s may be read by group or others (mode %04o): "
                 "chmod 600 it",
                 path, (unsigned)(st.st_mode & 07777));
        return -1;
    }
    return s_read_key(path, sec, err, errlen);
}

/* Writes text to path with mode, whole or not at all: into a hidden file of the same folder
 * first (readers of the folder skip dot files), then into place in one step — linked, so that
 * an existing file is kept unless force, or renamed over it with force. A service reloading
 * its keys folder (hf_zap) never reads a half-written key. */
static int s_write_file(const char *path, const char *text, mode_t mode, bool force, char *err,
                        size_t errlen)
{
    const char *slash = strrchr(path, '/');
    char tmp[4200];
    if (slash == NULL)
        snprintf(tmp, sizeof tmp, ".%s.%ld.tmp", path, (long)getpid());
    else
        snprintf(tmp, sizeof tmp, "%.*s/.%s.%ld.tmp", (int)(slash - path), path, slash + 1,
                 (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        snprintf(err, errlen, "could not create %s: %s", tmp, strerror(errno));
        return -1;
    }
    size_t len = strlen(text);
    int rc = (fchmod(fd, mode) == 0 && write(fd, text, len) == (ssize_t)len) ? 0 : -1;
    if (rc != 0)
        snprintf(err, errlen, "could not write %s: %s", tmp, strerror(errno));
    if (close(fd) != 0 && rc == 0) {
        snprintf(err, errlen, "could not write %s: %s", tmp, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && (force ? rename(tmp, path) : link(tmp, path)) != 0) {
        snprintf(err, errlen, "could not create %s: %s", path, strerror(errno));
        rc = -1;
    }
    if (rc != 0 || !force)
        unlink(tmp); /* renamed: gone already */
    return rc;
}

int hf_keys_generate(const char *dir, const char *name, bool force, char *err, size_t errlen)
{
    if (!hf_keys_name_ok(name)) {
        snprintf(err, errlen, "'%s' is not a key name (1-63 of a-z 0-9 _ . -)", name);
        return -1;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "could not create %s: %s", dir, strerror(errno));
        return -1;
    }
    char pub_path[4096], key_path[4096];
    snprintf(pub_path, sizeof pub_path, "%s/%s.pub", dir, name);
    snprintf(key_path, sizeof key_path, "%s/%s.key", dir, name);
    if (!force && (access(pub_path, F_OK) == 0 || access(key_path, F_OK) == 0)) {
        snprintf(err, errlen, "%s already has a key for %s (--force replaces it)", dir, name);
        return -1;
    }
    char pub[HF_KEY_Z85_LEN + 1], sec[HF_KEY_Z85_LEN + 1];
    if (zmq_curve_keypair(pub, sec) != 0) {
        snprintf(err, errlen, "could not make a CURVE keypair: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    char line[HF_KEY_Z85_LEN + 2];
    /* the secret first: a .pub without its .key is harmless, the other way round is not */
    snprintf(line, sizeof line, "%s\n", sec);
    int rc = s_write_file(key_path, line, 0600, force, err, errlen);
    memset(sec, 0, sizeof sec);
    memset(line, 0, sizeof line);
    if (rc != 0)
        return -1;
    snprintf(line, sizeof line, "%s\n", pub);
    return s_write_file(pub_path, line, 0644, force, err, errlen);
}

void hf_keys_principal(const char *dir, const char *name, char *out, size_t outlen)
{
    static const char *const services[] = {"intake",    "scheduler", "calllog",
                                           "complaint", "reporting", NULL};
    const char *kind = "client";
    for (int i = 0; services[i]; i++)
        if (strcmp(services[i], name) == 0)
            kind = "svc";
    char path[4096], line[256], found[32] = "";
    if (dir && *dir) {
        snprintf(path, sizeof path, "%s/principals", dir);
        FILE *f = fopen(path, "r");
        while (f && fgets(line, sizeof line, f)) {
            char n[128], k[32];
            if (line[0] != '#' && sscanf(line, "%127s %31s", n, k) == 2 && strcmp(n, name) == 0)
                snprintf(found, sizeof found, "%s", k);
        }
        if (f)
            fclose(f);
    }
    snprintf(out, outlen, "%s:%s", found[0] ? found : kind, name);
}
