/* SPDX-License-Identifier: MIT */
/* The daemon's access-token signer: one private signing key (RFC 7517 / 8037
 * private JWK) loaded, generated, exported and used to sign compact JWS. */
#ifndef PAM_JWT_SIGNER_H
#define PAM_JWT_SIGNER_H

#include <stddef.h>

#include "jwt.h"

struct json_object;

/* Largest signing.jwk we read: an RSA-16384 private JWK is about 12 KiB. */
#define SIGNER_MAX_JWK_BYTES (64 * 1024)
/* The daemon's user: signing.jwk may be owned by it (jwt-helperd(8), FILES). */
/* kid = this many leading characters of the RFC 7638 thumbprint (jwt-helperd(8), FILES). */
#define SIGNER_KID_LEN 16

/* A private signing key with its kid and alg. Opaque. The Ed25519 secret key
 * lives in sodium_malloc memory, read-only after loading; EC and RSA keys
 * live in OpenSSL (private numbers in its secure, clear-on-free memory). */
struct signer;

/* Reads path with jwt_file_read (owner root, the euid or JWT_DAEMON_USER
 * where that user exists; not group/other-writable; at most
 * SIGNER_MAX_JWK_BYTES) and parses it as signer_from_jwk_json does. The file
 * text is wiped before it is freed. *out is the caller's (signer_free). */
jwt_result signer_load(const char *path, struct signer **out) JWT_MUST_CHECK;

/* Parses one private JWK from text[0..len) (strict JSON): OKP Ed25519 with x
 * and d (32-byte seed; x must match it), EC P-256 / P-384 with x, y, d, or RSA
 * with n, e, d, p, q, dp, dq, qi (no "oth"); the pair is checked for
 * consistency. "alg" is required and must fit the key (EdDSA, ES256, ES384,
 * RS*, PS*; never HS256); "use", if present, must be "sig"; "kid", if absent,
 * is derived from the thumbprint. Returns JWT_OK, JWT_ERR_JSON,
 * JWT_ERR_KEY_INVALID, JWT_ERR_KEY_UNSUPPORTED, JWT_ERR_KEY_MISMATCH (alg does
 * not fit), JWT_ERR_NOMEM or JWT_ERR_INTERNAL. The private members of the
 * parsed JSON and their decoded bytes are wiped; text itself is the caller's
 * to wipe. */
jwt_result signer_from_jwk_json(const char *text, size_t len, struct signer **out) JWT_MUST_CHECK;

/* Generates a new key for alg (EdDSA: Ed25519; ES256: P-256; ES384: P-384;
 * RS* / PS*: RSA of rsa_bits, at least JWT_RSA_MIN_BITS, ignored otherwise)
 * with kid from its thumbprint. Returns JWT_OK, JWT_ERR_KEY_UNSUPPORTED (HS256,
 * bad rsa_bits), JWT_ERR_NOMEM or JWT_ERR_INTERNAL. */
jwt_result signer_generate(enum jwt_alg alg, unsigned rsa_bits, struct signer **out) JWT_MUST_CHECK;

/* Returns a malloc'd private JWK (one JSON object, no newline) holding the
 * key, its kid and alg: the signing.jwk format. It is a secret: the caller
 * wipes and frees it (secret_free_str). JWT_OK, JWT_ERR_NOMEM, JWT_ERR_INTERNAL. */
jwt_result signer_private_jwk_json(const struct signer *s, char **out) JWT_MUST_CHECK;

/* Signs: *token_out = b64url(header_json) "." b64url(payload_json) "."
 * b64url(signature), the two JSON texts taken byte for byte (nothing checks
 * them: the caller vouches for them). The signature uses the key's alg
 * whatever the header says; ES* signatures are raw r||s of fixed length
 * (RFC 7518 §3.4); PS* use salt length = hash length. *token_out is malloc'd
 * and the caller's. JWT_OK, JWT_ERR_NOMEM, JWT_ERR_INTERNAL. */
jwt_result signer_sign(const struct signer *s, const char *header_json, const char *payload_json,
                       char **token_out) JWT_MUST_CHECK;

/* Builds the header {"alg":...,"typ":typ,"kid":...} (typ omitted when NULL),
 * serialises claims compactly and signs both as signer_sign does. */
jwt_result signer_sign_claims(const struct signer *s, struct json_object *claims, const char *typ,
                              char **token_out) JWT_MUST_CHECK;

/* Returns the public half as a new JWK with kid and alg set (has_alg true);
 * the caller frees it with jwt_jwk_free. Same results as jwt_jwk_from_pkey. */
jwt_result signer_public_jwk(const struct signer *s, struct jwt_jwk **out) JWT_MUST_CHECK;

/* The key's kid (owned by s, valid while s is) and alg. */
const char *signer_kid(const struct signer *s);
enum jwt_alg signer_alg(const struct signer *s);

/* Wipes and frees s; NULL is a no-op. */
void signer_free(struct signer *s);

#endif
