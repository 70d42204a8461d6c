/* hf_session: who is asking. A session is a token signed by the intake service (which owns
 * the accounts) with Ed25519 (libsodium), that every service verifies with the public key,
 * locally, without a round trip:
 *
 *   "hf1." base64url(SessionClaims protobuf) "." base64url(signature of "hf1." + claims)
 *
 * The claims are a protobuf rather than PASETO's JSON so that no service needs a JSON parser
 * on its request path; the prefix versions the format and is signed with the claims. A
 * verified token's claims are cached (keyed by a BLAKE2b hash of the whole token) until they
 * expire, so that a request pays one hash and one look-up, not a signature check. Revocations
 * (a person disabled, a password changed, a logout) reach every service as intake's
 * person_revoked event and apply to cached sessions too.
 *
 * Roles are bits: a command's table entry names the roles that may run it (hf_service.h). */
#ifndef HF_SESSION_H
#define HF_SESSION_H
#include "huifang/v1/identity.pb-c.h"
#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- roles ---- */

#define HF_ROLE_PHONE (1u << 0)   /* phone follow-up agent */
#define HF_ROLE_CONSULT (1u << 1) /* consultation line */
#define HF_ROLE_VISIT (1u << 2)   /* home visits */
#define HF_ROLE_DOCTOR (1u << 3)
#define HF_ROLE_DELIVER (1u << 4)
#define HF_ROLE_LEAD (1u << 5) /* team lead */
#define HF_ROLE_HEAD (1u << 6) /* the branch's head (supervisor) */
#define HF_ROLE_MANAGER (1u << 7)
#define HF_ROLE_HQ (1u << 8)    /* headquarters: reads its branches, changes nothing */
#define HF_ROLE_ADMIN (1u << 9) /* organisation and ops, every branch */
/* no session needed: any client whose CURVE key the service accepts (ping, replay, login) */
#define HF_ROLE_KEY (1u << 15)

#define HF_ROLES_FRONT                                                                             \
    (HF_ROLE_PHONE | HF_ROLE_CONSULT | HF_ROLE_VISIT | HF_ROLE_DOCTOR | HF_ROLE_DELIVER |          \
     HF_ROLE_LEAD)
#define HF_ROLES_SUPERVISORS (HF_ROLE_LEAD | HF_ROLE_HEAD | HF_ROLE_MANAGER | HF_ROLE_ADMIN)
#define HF_ROLES_MANAGERS (HF_ROLE_MANAGER | HF_ROLE_ADMIN)
/* everyone who works a branch's records */
#define HF_ROLES_WORK (HF_ROLES_FRONT | HF_ROLE_HEAD | HF_ROLE_MANAGER | HF_ROLE_ADMIN)
/* everyone who may read a branch's records (hq: its branches, masked) */
#define HF_ROLES_READ (HF_ROLES_WORK | HF_ROLE_HQ)
/* the agent roles an agent record may have (intake's agent add) */
#define HF_ROLES_AGENT (HF_ROLES_FRONT | HF_ROLE_HEAD | HF_ROLE_MANAGER)

/* The bit of role name ("manager"), or 0 when it names no role. */
unsigned hf_role_bit(const char *name);
/* The name of one role bit, or "" for none. */
const char *hf_role_name(unsigned bit);
/* Writes the roles of mask as "head, manager or admin" into out. Returns out. */
const char *hf_roles_describe(unsigned mask, char *out, size_t len);

/* ---- keys ---- */

#define HF_SESSION_MAX_TOKEN 4096  /* characters of a token accepted at all */
#define HF_SESSION_MAX_CLAIMS 2048 /* bytes of packed claims */
#define HF_SESSION_MAX_BRANCHES 64
#define HF_SESSION_MAX_TTL_MS 86400000 /* the longest session intake signs (a day) */

/* Writes a new signing key pair: dir/session.key (the secret, mode 0600) and
 * dir/session.pub (mode 0644), each one base64url line. Refuses to overwrite unless force.
 * Returns 0, or -1 with the reason in err. */
int hf_session_keygen(const char *dir, bool force, char *err, size_t errlen);
/* Reads a public key file into pk. 0, or -1 with the reason in err. */
int hf_session_load_public(const char *path, uint8_t pk[crypto_sign_PUBLICKEYBYTES], char *err,
                           size_t errlen);
/* Reads a secret key file into sk (refusing one that group or others can read). */
int hf_session_load_secret(const char *path, uint8_t sk[crypto_sign_SECRETKEYBYTES], char *err,
                           size_t errlen);

/* ---- tokens ---- */

/* Signs claims with sk. Returns a malloc'd token, or NULL (claims too big). */
char *hf_session_sign(const Huifang__V1__SessionClaims *claims,
                      const uint8_t sk[crypto_sign_SECRETKEYBYTES]);

typedef enum {
    HF_SESSION_OK = 0,
    HF_SESSION_MISSING,   /* no token */
    HF_SESSION_MALFORMED, /* not a token of ours, or too big */
    HF_SESSION_FORGED,    /* the signature does not verify */
    HF_SESSION_EXPIRED,
    HF_SESSION_REVOKED,
} hf_session_status_t;

/* What a verdict means, for an error message ("expired"). */
const char *hf_session_status_text(hf_session_status_t status);

typedef struct hf_verifier_t hf_verifier_t;

/* A verifier for tokens signed by the secret half of pk, with a cache of verified tokens.
 * Never returns NULL. */
hf_verifier_t *hf_verifier_new(const uint8_t pk[crypto_sign_PUBLICKEYBYTES]);
void hf_verifier_destroy(hf_verifier_t **self_p);
/* Checks token at now_ms (the real time: sessions never follow a manual clock). On
 * HF_SESSION_OK, *claims points at the verified claims, valid until the next call. */
hf_session_status_t hf_verifier_check(hf_verifier_t *self, const char *token, int64_t now_ms,
                                      const Huifang__V1__SessionClaims **claims);
/* Voids every session of login issued before not_before_ms, or (jti not empty) that one
 * session until expires_ms. */
void hf_verifier_revoke(hf_verifier_t *self, const char *login, int64_t not_before_ms,
                        const char *jti, int64_t expires_ms);
/* Verifications that checked a signature (cache misses), for tests and benchmarks. */
uint64_t hf_verifier_signature_checks(const hf_verifier_t *self);

/* true when the claims let the person act in branch (admin without branches: all). */
bool hf_session_in_branch(const Huifang__V1__SessionClaims *claims, const char *branch);

#endif
