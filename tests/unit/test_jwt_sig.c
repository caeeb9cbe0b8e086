/* SPDX-License-Identifier: MIT */
/* Tests jwt_sig.c: signatures made by OpenSSL with fresh keys are accepted,
 * and every twin that differs (a bit, a length, an encoding, a salt, a key)
 * is refused; HMAC-SHA-256 against RFC 7515 and RFC 4231 vectors. */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

#include "check.h"
#include "jwt.h"

#define NO_PSS INT_MIN

static const unsigned char msg[] = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9";
#define MSG_LEN (sizeof(msg) - 1)

/* Signs m with pkey through OpenSSL (md NULL for Ed25519; pss_salt a salt
 * length or NO_PSS); returns the signature length, 0 on failure. */
static size_t
sign_with(EVP_PKEY *pkey, const char *md, int pss_salt, const unsigned char *m, size_t m_len,
          unsigned char *sig, size_t cap)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    size_t len = cap;

    if (ctx == NULL || EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL, pkey, NULL) != 1)
        len = 0;
    if (len != 0 && pss_salt != NO_PSS &&
        (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss_salt) <= 0))
        len = 0;
    if (len != 0 && EVP_DigestSign(ctx, sig, &len, m, m_len) != 1)
        len = 0;
    EVP_MD_CTX_free(ctx);
    return len;
}

/* Signs with ECDSA and turns OpenSSL's DER into JOSE's raw r || s
 * (RFC 7518 §3.4); returns 2 * field, or 0. *der_len gets the DER size. */
static size_t
es_sign_raw(EVP_PKEY *pkey, const char *md, size_t field, unsigned char *raw, size_t *der_len)
{
    unsigned char der[160];
    const unsigned char *p = der;
    const BIGNUM *r, *s;
    ECDSA_SIG *es;
    size_t len = sign_with(pkey, md, NO_PSS, msg, MSG_LEN, der, sizeof(der)), out = 0;

    if (der_len != NULL)
        *der_len = len;
    if (len == 0 || (es = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL)
        return 0;
    ECDSA_SIG_get0(es, &r, &s);
    if (BN_bn2binpad(r, raw, (int)field) == (int)field &&
        BN_bn2binpad(s, raw + field, (int)field) == (int)field)
        out = 2 * field;
    ECDSA_SIG_free(es);
    return out;
}

static struct jwt_jwk *
jwk_new(EVP_PKEY *pkey)
{
    struct jwt_jwk *key = NULL;

    if (pkey == NULL || jwt_jwk_from_pkey(pkey, &key) != JWT_OK)
        return NULL;
    return key;
}

static jwt_result
verify(struct jwt_jwk *key, enum jwt_alg alg, const unsigned char *sig, size_t len)
{
    return jwt_sig_verify(key, alg, msg, MSG_LEN, sig, len);
}

static void
test_eddsa(void)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    struct jwt_jwk *key = jwk_new(pkey);
    unsigned char sig[128];
    size_t len = pkey ? sign_with(pkey, NULL, NO_PSS, msg, MSG_LEN, sig, sizeof(sig)) : 0;

    CHECK(key != NULL && len == 64, "EdDSA: key and signature made");
    if (key == NULL || len != 64)
        goto out;
    CHECK_RESULT(verify(key, JWT_ALG_EDDSA, sig, len), JWT_OK, "EdDSA: good signature");
    CHECK_RESULT(jwt_sig_verify(key, JWT_ALG_EDDSA, msg, MSG_LEN - 1, sig, len),
                 JWT_ERR_BAD_SIGNATURE, "EdDSA: other message");
    sig[10] ^= 0x04;
    CHECK_RESULT(verify(key, JWT_ALG_EDDSA, sig, len), JWT_ERR_BAD_SIGNATURE,
                 "EdDSA: one flipped bit");
    sig[10] ^= 0x04;
    CHECK_RESULT(verify(key, JWT_ALG_EDDSA, sig, 63), JWT_ERR_SIG_LENGTH, "EdDSA: 63 bytes");
    CHECK_RESULT(verify(key, JWT_ALG_EDDSA, sig, 65), JWT_ERR_SIG_LENGTH, "EdDSA: 65 bytes");
    CHECK_RESULT(verify(key, JWT_ALG_ES256, sig, len), JWT_ERR_KEY_MISMATCH,
                 "EdDSA key with ES256: mismatch");
    CHECK_RESULT(verify(key, JWT_ALG_HS256, sig, 32), JWT_ERR_KEY_MISMATCH,
                 "HS256 never through jwt_sig_verify");
    CHECK_RESULT(verify(key, JWT_ALG_COUNT, sig, len), JWT_ERR_KEY_MISMATCH,
                 "alg out of range: mismatch");
    CHECK_RESULT(verify(key, JWT_ALG_EDDSA, sig, len), JWT_OK, "EdDSA: good again");
out:
    jwt_jwk_free(key);
    EVP_PKEY_free(pkey);
}

/* Writes the order n of curve nid, big-endian in field bytes. */
static bool
curve_order(int nid, unsigned char *out, size_t field)
{
    EC_GROUP *g = EC_GROUP_new_by_curve_name(nid);
    bool ok = g != NULL && BN_bn2binpad(EC_GROUP_get0_order(g), out, (int)field) == (int)field;

    EC_GROUP_free(g);
    return ok;
}

/* n - s, the other valid s of an ECDSA signature (big-endian, field bytes). */
static void
scalar_negate(const unsigned char *order, const unsigned char *s, unsigned char *out, size_t field)
{
    int borrow = 0;

    for (size_t i = field; i-- > 0;) {
        int d = order[i] - s[i] - borrow;
        borrow = d < 0;
        out[i] = (unsigned char)(d + (borrow ? 256 : 0));
    }
}

/* r = s = 0, r = n, s = n, and the high-s twin, for one curve. */
static void
test_es_range(struct jwt_jwk *key, enum jwt_alg alg, int nid, const unsigned char *good,
              size_t field)
{
    unsigned char sig[96], order[48];

    if (!curve_order(nid, order, field)) {
        CHECK(0, "curve order from OpenSSL");
        return;
    }
    memset(sig, 0, sizeof(sig));
    CHECK_RESULT(verify(key, alg, sig, 2 * field), JWT_ERR_BAD_SIGNATURE, "ES: r = s = 0");
    memcpy(sig, good, 2 * field);
    memset(sig, 0, field);
    CHECK_RESULT(verify(key, alg, sig, 2 * field), JWT_ERR_BAD_SIGNATURE, "ES: r = 0");
    memcpy(sig, order, field);
    CHECK_RESULT(verify(key, alg, sig, 2 * field), JWT_ERR_BAD_SIGNATURE, "ES: r = n");
    memset(sig, 0xff, field);
    CHECK_RESULT(verify(key, alg, sig, 2 * field), JWT_ERR_BAD_SIGNATURE, "ES: r = 2^k - 1 > n");
    memcpy(sig, good, field);
    memcpy(sig + field, order, field);
    CHECK_RESULT(verify(key, alg, sig, 2 * field), JWT_ERR_BAD_SIGNATURE, "ES: s = n");
    /* ECDSA's malleability: (r, n - s) verifies too; RFC 7518 does not
     * forbid it, and it shows the DER we build for s carries any value. */
    scalar_negate(order, good + field, sig + field, field);
    CHECK_RESULT(verify(key, alg, sig, 2 * field), JWT_OK, "ES: (r, n - s) verifies");
    sig[2 * field - 1] ^= 1;
    CHECK_RESULT(verify(key, alg, sig, 2 * field), JWT_ERR_BAD_SIGNATURE,
                 "ES: (r, n - s) with a flipped bit");
}

/* True when the big-endian v[0..len) begins with a zero byte that minimal
 * DER must drop (the next byte's top bit is clear). */
static bool
has_droppable_zero(const unsigned char *v)
{
    return v[0] == 0 && (v[1] & 0x80) == 0;
}

/* Signs until r or s has a leading zero byte that DER drops, and until both
 * have their top bit set (DER adds a zero byte): the two shapes where the
 * encoder must change the length. OpenSSL refuses non-minimal DER. */
static void
test_es_der_shapes(struct jwt_jwk *key, EVP_PKEY *pkey)
{
    unsigned char sig[64];
    int seen_zero = 0, seen_high = 0;

    for (int i = 0; i < 6000 && (!seen_zero || !seen_high); i++) {
        if (es_sign_raw(pkey, "SHA256", 32, sig, NULL) != 64)
            break;
        if (!seen_zero && (has_droppable_zero(sig) || has_droppable_zero(sig + 32))) {
            seen_zero = 1;
            CHECK_RESULT(verify(key, JWT_ALG_ES256, sig, 64), JWT_OK,
                         "ES256: r or s with a leading zero byte");
        }
        if (!seen_high && (sig[0] & 0x80) && (sig[32] & 0x80)) {
            seen_high = 1;
            CHECK_RESULT(verify(key, JWT_ALG_ES256, sig, 64), JWT_OK, "ES256: r, s top bit set");
        }
    }
    CHECK(seen_zero && seen_high, "ES256: both DER shapes were produced");
}

static void
test_es_curve(const char *curve, int nid, enum jwt_alg alg, const char *md, size_t field)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
    struct jwt_jwk *key = jwk_new(pkey);
    unsigned char sig[128];
    size_t der_len = 0, len = pkey ? es_sign_raw(pkey, md, field, sig, &der_len) : 0;

    CHECK(key != NULL && len == 2 * field, "ES: key and signature made");
    if (key == NULL || len != 2 * field)
        goto out;
    CHECK_RESULT(verify(key, alg, sig, len), JWT_OK, "ES: good signature");
    sig[field + 3] ^= 0x10;
    CHECK_RESULT(verify(key, alg, sig, len), JWT_ERR_BAD_SIGNATURE, "ES: flipped bit in s");
    sig[field + 3] ^= 0x10;
    sig[5] ^= 0x01;
    CHECK_RESULT(verify(key, alg, sig, len), JWT_ERR_BAD_SIGNATURE, "ES: flipped bit in r");
    sig[5] ^= 0x01;
    CHECK_RESULT(verify(key, alg, sig, len - 1), JWT_ERR_SIG_LENGTH, "ES: one byte short");
    CHECK_RESULT(verify(key, alg, sig, len + 1), JWT_ERR_SIG_LENGTH, "ES: one byte long");
    CHECK_RESULT(verify(key, alg == JWT_ALG_ES256 ? JWT_ALG_ES384 : JWT_ALG_ES256, sig, len),
                 JWT_ERR_KEY_MISMATCH, "ES: key of the other curve");
    CHECK_RESULT(verify(key, JWT_ALG_RS256, sig, len), JWT_ERR_KEY_MISMATCH, "ES key as RS256");
    test_es_range(key, alg, nid, sig, field);
    CHECK_RESULT(verify(key, alg, sig, len), JWT_OK, "ES: good again");
    /* OpenSSL's own DER form is not JOSE's: refused on length alone. */
    len = sign_with(pkey, md, NO_PSS, msg, MSG_LEN, sig, sizeof(sig));
    CHECK(len >= 2 * field - 8 && len <= 2 * field + 9, "ES: DER signature made");
    CHECK_RESULT(verify(key, alg, sig, len), JWT_ERR_SIG_LENGTH, "ES: DER-encoded signature");
    if (alg == JWT_ALG_ES256)
        test_es_der_shapes(key, pkey);
out:
    jwt_jwk_free(key);
    EVP_PKEY_free(pkey);
}

static void
test_es_cross(void)
{
    EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    struct jwt_jwk *k256 = jwk_new(p256), *k384 = jwk_new(p384);
    unsigned char sig[96];
    size_t len = p384 ? es_sign_raw(p384, "SHA384", 48, sig, NULL) : 0;

    CHECK(k256 != NULL && k384 != NULL && len == 96, "ES cross: keys and signature made");
    if (k256 == NULL || k384 == NULL || len != 96)
        goto out;
    CHECK_RESULT(verify(k384, JWT_ALG_ES384, sig, len), JWT_OK, "ES384 sig, P-384 key");
    CHECK_RESULT(verify(k256, JWT_ALG_ES384, sig, len), JWT_ERR_KEY_MISMATCH,
                 "ES384 sig checked with a P-256 key");
    CHECK_RESULT(verify(k256, JWT_ALG_ES256, sig, len), JWT_ERR_SIG_LENGTH, "96-byte sig as ES256");
    /* Same curve, other key: the signature must not carry over. */
    len = es_sign_raw(p256, "SHA256", 32, sig, NULL);
    CHECK_RESULT(verify(k256, JWT_ALG_ES256, sig, len), JWT_OK, "ES256 own key");
    jwt_jwk_free(k384);
    EVP_PKEY_free(p384);
    p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    k384 = jwk_new(p384); /* now a second P-256 key */
    CHECK_RESULT(k384 ? verify(k384, JWT_ALG_ES256, sig, len) : JWT_ERR_INTERNAL,
                 JWT_ERR_BAD_SIGNATURE, "ES256 sig with another P-256 key");
out:
    jwt_jwk_free(k256);
    jwt_jwk_free(k384);
    EVP_PKEY_free(p256);
    EVP_PKEY_free(p384);
}

/* One RSA alg: good, flipped, short, long. */
static void
test_rsa_one(struct jwt_jwk *key, EVP_PKEY *pkey, enum jwt_alg alg, const char *md, int salt)
{
    unsigned char sig[512];
    size_t len = sign_with(pkey, md, salt, msg, MSG_LEN, sig, sizeof(sig));
    char what[64];

    snprintf(what, sizeof(what), "%s: good signature", jwt_alg_name(alg));
    CHECK_RESULT(verify(key, alg, sig, len), JWT_OK, what);
    sig[len / 2] ^= 0x20;
    snprintf(what, sizeof(what), "%s: one flipped bit", jwt_alg_name(alg));
    CHECK_RESULT(verify(key, alg, sig, len), JWT_ERR_BAD_SIGNATURE, what);
    sig[len / 2] ^= 0x20;
    snprintf(what, sizeof(what), "%s: one byte short", jwt_alg_name(alg));
    CHECK_RESULT(verify(key, alg, sig, len - 1), JWT_ERR_SIG_LENGTH, what);
    sig[len] = 0;
    snprintf(what, sizeof(what), "%s: one byte long", jwt_alg_name(alg));
    CHECK_RESULT(verify(key, alg, sig, len + 1), JWT_ERR_SIG_LENGTH, what);
}

/* The PSS salt length must be the hash length, nothing else (README.md, "Security notes"). */
static void
test_pss_salt(struct jwt_jwk *key, EVP_PKEY *pkey)
{
    unsigned char sig[512];
    size_t len;

    len = sign_with(pkey, "SHA256", 32, msg, MSG_LEN, sig, sizeof(sig));
    CHECK_RESULT(verify(key, JWT_ALG_PS256, sig, len), JWT_OK, "PS256: salt 32 accepted");
    CHECK_RESULT(verify(key, JWT_ALG_RS256, sig, len), JWT_ERR_BAD_SIGNATURE,
                 "PS256 sig verified as RS256");
    len = sign_with(pkey, "SHA256", 20, msg, MSG_LEN, sig, sizeof(sig));
    CHECK_RESULT(verify(key, JWT_ALG_PS256, sig, len), JWT_ERR_BAD_SIGNATURE,
                 "PS256: salt 20 refused");
    len = sign_with(pkey, "SHA256", RSA_PSS_SALTLEN_MAX, msg, MSG_LEN, sig, sizeof(sig));
    CHECK_RESULT(verify(key, JWT_ALG_PS256, sig, len), JWT_ERR_BAD_SIGNATURE,
                 "PS256: maximal salt refused");
    len = sign_with(pkey, "SHA256", 0, msg, MSG_LEN, sig, sizeof(sig));
    CHECK_RESULT(verify(key, JWT_ALG_PS256, sig, len), JWT_ERR_BAD_SIGNATURE,
                 "PS256: empty salt refused");
    len = sign_with(pkey, "SHA512", 32, msg, MSG_LEN, sig, sizeof(sig));
    CHECK_RESULT(verify(key, JWT_ALG_PS512, sig, len), JWT_ERR_BAD_SIGNATURE,
                 "PS512: salt 32 refused");
    len = sign_with(pkey, "SHA256", NO_PSS, msg, MSG_LEN, sig, sizeof(sig));
    CHECK_RESULT(verify(key, JWT_ALG_RS256, sig, len), JWT_OK, "RS256 own check");
    CHECK_RESULT(verify(key, JWT_ALG_PS256, sig, len), JWT_ERR_BAD_SIGNATURE,
                 "RS256 sig verified as PS256");
    CHECK_RESULT(verify(key, JWT_ALG_RS384, sig, len), JWT_ERR_BAD_SIGNATURE,
                 "RS256 sig verified as RS384");
}

/* The prepared key (jwt_sig_prepare): many verifications, good and bad
 * interleaved, two algs on one key, must give the same answers as the
 * first ones, which set the key up at each call. */
static void
test_cache(struct jwt_jwk *key, EVP_PKEY *pkey)
{
    unsigned char rs[512], ps[512], bad[512];
    size_t rs_len = sign_with(pkey, "SHA256", NO_PSS, msg, MSG_LEN, rs, sizeof(rs));
    size_t ps_len = sign_with(pkey, "SHA256", 32, msg, MSG_LEN, ps, sizeof(ps));
    int good_ok = 0, bad_refused = 0;

    memcpy(bad, rs, rs_len);
    bad[rs_len - 1] ^= 1;
    CHECK_RESULT(jwt_sig_prepare(key), JWT_OK, "cache: key prepared");
    for (int i = 0; i < 100; i++) {
        good_ok += verify(key, JWT_ALG_RS256, rs, rs_len) == JWT_OK;
        bad_refused += verify(key, JWT_ALG_RS256, bad, rs_len) == JWT_ERR_BAD_SIGNATURE;
        good_ok += verify(key, JWT_ALG_PS256, ps, ps_len) == JWT_OK;
        bad_refused += verify(key, JWT_ALG_PS256, rs, rs_len) == JWT_ERR_BAD_SIGNATURE;
    }
    CHECK_INT(good_ok, 200, "cache: 200 good verifications accepted");
    CHECK_INT(bad_refused, 200, "cache: 200 bad ones interleaved refused");
    CHECK(key->verify_cache != NULL, "cache: kept on the key");
}

static void
test_rsa(void)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    struct jwt_jwk *key = jwk_new(pkey), *okey = jwk_new(other);
    unsigned char sig[512];
    size_t len;

    CHECK(key != NULL && okey != NULL, "RSA: keys made");
    if (key == NULL || okey == NULL)
        goto out;
    test_rsa_one(key, pkey, JWT_ALG_RS256, "SHA256", NO_PSS);
    test_rsa_one(key, pkey, JWT_ALG_RS384, "SHA384", NO_PSS);
    test_rsa_one(key, pkey, JWT_ALG_RS512, "SHA512", NO_PSS);
    test_rsa_one(key, pkey, JWT_ALG_PS256, "SHA256", 32);
    test_rsa_one(key, pkey, JWT_ALG_PS384, "SHA384", 48);
    test_rsa_one(key, pkey, JWT_ALG_PS512, "SHA512", 64);
    test_pss_salt(key, pkey);
    len = sign_with(pkey, "SHA256", NO_PSS, msg, MSG_LEN, sig, sizeof(sig));
    CHECK_RESULT(verify(okey, JWT_ALG_RS256, sig, len), JWT_ERR_BAD_SIGNATURE,
                 "RS256 sig with another RSA key");
    CHECK_RESULT(verify(key, JWT_ALG_EDDSA, sig, 64), JWT_ERR_KEY_MISMATCH, "RSA key as EdDSA");
    CHECK_RESULT(verify(key, JWT_ALG_ES256, sig, 64), JWT_ERR_KEY_MISMATCH, "RSA key as ES256");
    memset(sig, 0xff, len); /* a value above the modulus */
    CHECK_RESULT(verify(key, JWT_ALG_RS256, sig, len), JWT_ERR_BAD_SIGNATURE, "RS256: s >= n");
    test_cache(key, pkey);
    /* A JWK carrying its own "alg" is for that alg only (RFC 7517 §4.4). */
    okey->has_alg = true;
    okey->alg = JWT_ALG_RS256;
    len = sign_with(other, "SHA256", 32, msg, MSG_LEN, sig, sizeof(sig));
    CHECK_RESULT(verify(okey, JWT_ALG_PS256, sig, len), JWT_ERR_KEY_MISMATCH,
                 "JWK alg RS256, token PS256");
    okey->alg = JWT_ALG_PS256;
    CHECK_RESULT(verify(okey, JWT_ALG_PS256, sig, len), JWT_OK, "JWK alg PS256, token PS256");
out:
    jwt_jwk_free(key);
    jwt_jwk_free(okey);
    EVP_PKEY_free(pkey);
    EVP_PKEY_free(other);
}

static size_t
hex_decode(const char *hex, unsigned char *out, size_t cap)
{
    size_t n = strlen(hex) / 2;

    for (size_t i = 0; i < n && i < cap; i++) {
        unsigned v = 0;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return 0;
        out[i] = (unsigned char)v;
    }
    return n <= cap ? n : 0;
}

/* RFC 7515 Appendix A.1: the HS256 example JWS, its key and signature. */
static void
test_hs256_rfc7515(void)
{
    static const char k[] = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iP"
                            "S4hcgUuTwjAzZr1Z9CAow";
    static const char input[] = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJ"
                                "leHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ij"
                                "p0cnVlfQ";
    static const char s[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    unsigned char *key = NULL, *want = NULL, tag[32];
    size_t key_len = 0, want_len = 0;
    const unsigned char *in = (const unsigned char *)input;

    if (jwt_b64url_decode(k, strlen(k), &key, &key_len) != JWT_OK ||
        jwt_b64url_decode(s, strlen(s), &want, &want_len) != JWT_OK || want_len != 32) {
        CHECK(0, "RFC 7515 A.1: decode key and signature");
        goto out;
    }
    CHECK_RESULT(jwt_hs256_sign(key, key_len, in, strlen(input), tag), JWT_OK, "A.1: sign");
    CHECK(memcmp(tag, want, 32) == 0, "A.1: tag equals the RFC's");
    CHECK_RESULT(jwt_hs256_verify(key, key_len, in, strlen(input), want, 32), JWT_OK,
                 "A.1: verify");
    CHECK_RESULT(jwt_hs256_verify(key, key_len, in, strlen(input) - 1, want, 32),
                 JWT_ERR_BAD_SIGNATURE, "A.1: shorter input refused");
    want[31] ^= 0x80;
    CHECK_RESULT(jwt_hs256_verify(key, key_len, in, strlen(input), want, 32), JWT_ERR_BAD_SIGNATURE,
                 "A.1: flipped bit refused");
    key[0] ^= 1;
    want[31] ^= 0x80;
    CHECK_RESULT(jwt_hs256_verify(key, key_len, in, strlen(input), want, 32), JWT_ERR_BAD_SIGNATURE,
                 "A.1: other key refused");
out:
    free(key);
    free(want);
}

/* RFC 4231 §4.7 and §4.8 (test cases 6 and 7: the ones with keys >= 32 bytes). */
static void
test_hs256_rfc4231(void)
{
    static const char *const data[2] = {
        "Test Using Larger Than Block-Size Key - Hash Key First",
        "This is a test using a larger than block-size key and a larger than block-size data. "
        "The key needs to be hashed before being used by the HMAC algorithm.",
    };
    static const char *const mac[2] = {
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    };
    unsigned char key[131], want[32], tag[32];

    memset(key, 0xaa, sizeof(key));
    for (int i = 0; i < 2; i++) {
        const unsigned char *d = (const unsigned char *)data[i];
        CHECK(hex_decode(mac[i], want, sizeof(want)) == 32, "RFC 4231: vector decoded");
        CHECK_RESULT(jwt_hs256_sign(key, sizeof(key), d, strlen(data[i]), tag), JWT_OK,
                     "RFC 4231: sign");
        CHECK(memcmp(tag, want, 32) == 0, "RFC 4231: tag equals the RFC's");
        CHECK_RESULT(jwt_hs256_verify(key, sizeof(key), d, strlen(data[i]), want, 32), JWT_OK,
                     "RFC 4231: verify");
        CHECK_RESULT(jwt_hs256_verify(key, sizeof(key) - 1, d, strlen(data[i]), want, 32),
                     JWT_ERR_BAD_SIGNATURE, "RFC 4231: key one byte shorter refused");
    }
}

static void
test_hs256_limits(void)
{
    unsigned char secret[64], tag[33];

    memset(secret, 0x5c, sizeof(secret));
    CHECK_RESULT(jwt_hs256_sign(secret, 32, msg, MSG_LEN, tag), JWT_OK, "HS256: 32-byte secret");
    CHECK_RESULT(jwt_hs256_verify(secret, 32, msg, MSG_LEN, tag, 32), JWT_OK, "HS256: verify");
    CHECK_RESULT(jwt_hs256_sign(secret, 31, msg, MSG_LEN, tag), JWT_ERR_KEY_INVALID,
                 "HS256: 31-byte secret refused to sign");
    CHECK_RESULT(jwt_hs256_verify(secret, 31, msg, MSG_LEN, tag, 32), JWT_ERR_KEY_INVALID,
                 "HS256: 31-byte secret refused to verify");
    CHECK_RESULT(jwt_hs256_verify(secret, 32, msg, MSG_LEN, tag, 31), JWT_ERR_SIG_LENGTH,
                 "HS256: tag of 31 bytes");
    tag[32] = 0;
    CHECK_RESULT(jwt_hs256_verify(secret, 32, msg, MSG_LEN, tag, 33), JWT_ERR_SIG_LENGTH,
                 "HS256: tag of 33 bytes");
    CHECK_RESULT(jwt_hs256_verify(secret, 33, msg, MSG_LEN, tag, 32), JWT_ERR_BAD_SIGNATURE,
                 "HS256: longer secret, other tag");
}

int
main(void)
{
    test_eddsa();
    test_es_curve("P-256", NID_X9_62_prime256v1, JWT_ALG_ES256, "SHA256", 32);
    test_es_curve("P-384", NID_secp384r1, JWT_ALG_ES384, "SHA384", 48);
    test_es_cross();
    test_rsa();
    test_hs256_rfc7515();
    test_hs256_rfc4231();
    test_hs256_limits();
    return check_done();
}
