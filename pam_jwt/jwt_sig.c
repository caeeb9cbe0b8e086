/* SPDX-License-Identifier: MIT */
/* Signature checks of a JWS (RFC 7518 §3): EdDSA, ES256/384, RS*, PS* against one
 * public JWK. (HMAC-SHA-256, the daemon's, is jwt_hs256.c: not in the module.)
 *
 * MUST:
 * 1. verify only with an alg the key fits (checked here again, whoever called);
 * 2. never accept HS256 through jwt_sig_verify: a symmetric key on a verifier
 *    could mint tokens (pam_jwt(8), SECURITY NOTES);
 * 3. demand exact signature lengths, and r, s in 1..n-1 for ECDSA before any
 *    arithmetic (CVE-2022-21449 accepted r = s = 0);
 * 4. PSS: salt length equal to the hash length, never "auto" (README.md, "Security notes");
 * 5. leave no error of ours on OpenSSL's queue: we are a guest in sshd. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "jwt.h"

#define ED25519_SIG_LEN 64

/* How each OpenSSL-backed alg verifies; EdDSA has md == NULL. */
struct alg_recipe {
    const char *md;   /* digest name for EVP_MD_fetch */
    bool pss;         /* RSASSA-PSS, MGF1 with md, salt length = hash length */
    size_t field_len; /* ECDSA: bytes of r and of s; 0 otherwise */
};

static const struct alg_recipe recipes[JWT_ALG_COUNT] = {
    [JWT_ALG_ES256] = {"SHA256", false, 32}, [JWT_ALG_ES384] = {"SHA384", false, 48},
    [JWT_ALG_RS256] = {"SHA256", false, 0},  [JWT_ALG_RS384] = {"SHA384", false, 0},
    [JWT_ALG_RS512] = {"SHA512", false, 0},  [JWT_ALG_PS256] = {"SHA256", true, 0},
    [JWT_ALG_PS384] = {"SHA384", true, 0},   [JWT_ALG_PS512] = {"SHA512", true, 0},
};

/* The group orders n of P-256 and P-384 (SEC 2 v2, §2.4.2 and §2.5.1). */
static const unsigned char p256_order[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};
static const unsigned char p384_order[48] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf,
    0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0, 0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73,
};

/* Per-key prepared verification (key->verify_cache), made by jwt_sig_prepare
 * when a key set is loaded and only read after that: EVP_DigestVerifyInit per
 * token spends a good part of an RSA verification on provider and digest
 * fetches and context set-up (tests/bench: raw crypto does that, cjose does
 * not). Each verification takes its own copy of the ready context
 * (EVP_PKEY_CTX_dup), so threads may verify with one key at the same time. */
struct sig_prepared {
    EVP_PKEY_CTX *verify[JWT_ALG_COUNT]; /* verify_init done, padding and md set */
    EVP_MD *md[JWT_ALG_COUNT];           /* the digest that alg hashes with */
};

void
jwt_sig_cache_free(void *cache)
{
    struct sig_prepared *c = cache;

    if (c == NULL)
        return;
    for (size_t i = 0; i < JWT_ALG_COUNT; i++) {
        EVP_PKEY_CTX_free(c->verify[i]);
        EVP_MD_free(c->md[i]);
    }
    free(c);
}

/* Sets the padding, digest, MGF1 digest and salt length that alg demands. */
static bool
verify_ctx_configure(EVP_PKEY_CTX *pctx, enum jwt_alg alg, const EVP_MD *md)
{
    const struct alg_recipe *rp = &recipes[alg];

    if (EVP_PKEY_CTX_set_signature_md(pctx, md) <= 0)
        return false;
    if (rp->field_len != 0)
        return true;
    if (!rp->pss)
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
    /* RFC 7518 §3.5: the salt is as long as the hash output; a fixed
     * length makes OpenSSL refuse any other salt length. */
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) > 0 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, EVP_MD_get_size(md)) > 0;
}

/* A new verify context for (pkey, alg), ready for EVP_PKEY_verify, and the
 * digest in *md (both the caller's); JWT_ERR_INTERNAL on failure. */
static jwt_result
verify_ctx_new(EVP_PKEY *pkey, enum jwt_alg alg, EVP_PKEY_CTX **out, EVP_MD **md)
{
    EVP_PKEY_CTX *pctx = NULL;

    *out = NULL;
    if ((*md = EVP_MD_fetch(NULL, recipes[alg].md, NULL)) == NULL)
        return JWT_ERR_INTERNAL;
    if ((pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
        EVP_PKEY_verify_init(pctx) <= 0 || !verify_ctx_configure(pctx, alg, *md)) {
        EVP_PKEY_CTX_free(pctx);
        EVP_MD_free(*md);
        *md = NULL;
        return JWT_ERR_INTERNAL;
    }
    *out = pctx;
    return JWT_OK;
}

jwt_result
jwt_sig_prepare(struct jwt_jwk *key)
{
    struct sig_prepared *c;
    EVP_PKEY *pkey = NULL;
    jwt_result r = JWT_OK;

    /* EdDSA goes to libsodium, which has nothing to set up. */
    if (key->verify_cache != NULL || key->kty == JWT_KTY_OKP)
        return JWT_OK;
    if ((r = jwt_jwk_pkey(key, &pkey)) != JWT_OK)
        return r;
    if ((c = calloc(1, sizeof(*c))) == NULL)
        return JWT_ERR_NOMEM;
    ERR_set_mark(); /* rule 5 */
    for (int a = JWT_ALG_EDDSA + 1; a < JWT_ALG_HS256 && r == JWT_OK; a++)
        if (jwt_jwk_fits_alg(key, (enum jwt_alg)a))
            r = verify_ctx_new(pkey, (enum jwt_alg)a, &c->verify[a], &c->md[a]);
    ERR_pop_to_mark();
    if (r != JWT_OK) {
        jwt_sig_cache_free(c);
        return r;
    }
    key->verify_cache = c;
    return JWT_OK;
}

/* The context and digest to verify alg with: a copy of the prepared ones,
 * or, for a key that was never prepared, new ones. Both are the caller's. */
static jwt_result
verify_ctx_get(struct jwt_jwk *key, enum jwt_alg alg, EVP_PKEY_CTX **pctx, EVP_MD **md)
{
    const struct sig_prepared *c = key->verify_cache;
    EVP_PKEY *pkey = NULL;
    jwt_result r;

    if (c == NULL || c->verify[alg] == NULL) {
        if ((r = jwt_jwk_pkey(key, &pkey)) != JWT_OK)
            return r;
        return verify_ctx_new(pkey, alg, pctx, md);
    }
    if ((*pctx = EVP_PKEY_CTX_dup(c->verify[alg])) == NULL)
        return JWT_ERR_NOMEM;
    if (EVP_MD_up_ref(c->md[alg]) != 1) {
        EVP_PKEY_CTX_free(*pctx);
        *pctx = NULL;
        return JWT_ERR_INTERNAL;
    }
    *md = c->md[alg];
    return JWT_OK;
}

/* Hashes msg and checks sig (DER for ECDSA) with the key's context for alg. */
static jwt_result
digest_verify(struct jwt_jwk *key, enum jwt_alg alg, const unsigned char *msg, size_t msg_len,
              const unsigned char *sig, size_t sig_len)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_MD *md = NULL;
    jwt_result r;

    if ((r = verify_ctx_get(key, alg, &pctx, &md)) != JWT_OK)
        return r;
    r = JWT_ERR_INTERNAL;
    if (EVP_Digest(msg, msg_len, digest, &digest_len, md, NULL) != 1)
        goto out;
    /* 1 is the only success: 0 and negative values both mean "not this
     * signature" here, since the context itself was set up above. */
    r = EVP_PKEY_verify(pctx, sig, sig_len, digest, digest_len) == 1 ? JWT_OK
                                                                     : JWT_ERR_BAD_SIGNATURE;
out:
    EVP_PKEY_CTX_free(pctx);
    EVP_MD_free(md);
    return r;
}

/* Returns true when the big-endian v[0..len) lies in 1..order-1. */
static bool
scalar_is_in_range(const unsigned char *v, const unsigned char *order, size_t len)
{
    return !sodium_is_zero(v, len) && memcmp(v, order, len) < 0;
}

/* Writes v[0..len) (non-zero) as a minimal DER INTEGER; returns bytes written
 * (at most len + 3). */
static size_t
der_integer_put(unsigned char *p, const unsigned char *v, size_t len)
{
    size_t pad, n = 0;

    while (len > 1 && v[0] == 0) {
        v++;
        len--;
    }
    pad = (v[0] & 0x80) != 0; /* keep it positive (X.690 §8.3) */
    p[n++] = 0x02;
    p[n++] = (unsigned char)(len + pad);
    if (pad)
        p[n++] = 0x00;
    memcpy(p + n, v, len);
    return n + len;
}

/* ES256/ES384 (RFC 7518 §3.4): raw r || s of exactly twice the field size. */
static jwt_result
es_verify(struct jwt_jwk *key, enum jwt_alg alg, const unsigned char *msg, size_t msg_len,
          const unsigned char *sig, size_t sig_len)
{
    size_t field = recipes[alg].field_len, n;
    const unsigned char *order = alg == JWT_ALG_ES256 ? p256_order : p384_order;
    /* SEQUENCE { INTEGER r, INTEGER s }: content at most 2 * (48 + 3) = 102
     * bytes, so the short length form always fits. */
    unsigned char der[2 + 2 * (48 + 3)];

    if (sig_len != 2 * field)
        return JWT_ERR_SIG_LENGTH;
    if (!scalar_is_in_range(sig, order, field) || !scalar_is_in_range(sig + field, order, field))
        return JWT_ERR_BAD_SIGNATURE;
    n = 2;
    n += der_integer_put(der + n, sig, field);
    n += der_integer_put(der + n, sig + field, field);
    der[0] = 0x30;
    der[1] = (unsigned char)(n - 2);
    return digest_verify(key, alg, msg, msg_len, der, n);
}

/* RS* and PS*: the signature is exactly as long as the modulus (RFC 8017 §8). */
static jwt_result
rsa_verify(struct jwt_jwk *key, enum jwt_alg alg, const unsigned char *msg, size_t msg_len,
           const unsigned char *sig, size_t sig_len)
{
    EVP_PKEY *pkey = NULL;
    jwt_result r;

    if ((r = jwt_jwk_pkey(key, &pkey)) != JWT_OK)
        return r;
    if (EVP_PKEY_get_size(pkey) <= 0 || sig_len != (size_t)EVP_PKEY_get_size(pkey))
        return JWT_ERR_SIG_LENGTH;
    return digest_verify(key, alg, msg, msg_len, sig, sig_len);
}

/* EdDSA with Ed25519 (RFC 8037 §3.1): libsodium, 64-byte signatures. */
static jwt_result
ed25519_verify(const struct jwt_jwk *key, const unsigned char *msg, size_t msg_len,
               const unsigned char *sig, size_t sig_len)
{
    if (sig_len != ED25519_SIG_LEN)
        return JWT_ERR_SIG_LENGTH;
    if (key->x == NULL || key->x_len != crypto_sign_PUBLICKEYBYTES || sodium_init() < 0)
        return JWT_ERR_INTERNAL;
    if (crypto_sign_verify_detached(sig, msg, msg_len, key->x) != 0)
        return JWT_ERR_BAD_SIGNATURE;
    return JWT_OK;
}

jwt_result
jwt_sig_verify(struct jwt_jwk *key, enum jwt_alg alg, const unsigned char *msg, size_t msg_len,
               const unsigned char *sig, size_t sig_len)
{
    jwt_result r;

    if (key == NULL || (unsigned)alg >= JWT_ALG_HS256 || !jwt_jwk_fits_alg(key, alg))
        return JWT_ERR_KEY_MISMATCH;
    if (msg == NULL || sig == NULL)
        return JWT_ERR_INTERNAL;
    if (alg == JWT_ALG_EDDSA)
        return ed25519_verify(key, msg, msg_len, sig, sig_len);
    /* Keep whatever a hostile signature makes OpenSSL queue off the
     * caller's error queue. */
    ERR_set_mark();
    if (alg == JWT_ALG_ES256 || alg == JWT_ALG_ES384)
        r = es_verify(key, alg, msg, msg_len, sig, sig_len);
    else
        r = rsa_verify(key, alg, msg, msg_len, sig, sig_len);
    ERR_pop_to_mark();
    return r;
}
