/* SPDX-License-Identifier: MIT */
/* The daemon's signing key: loaded from or exported to a private JWK, generated, used to sign.
 *
 * MUST:
 * 1. keep private key bytes only in sodium_malloc memory (Ed25519) or in
 *    OpenSSL's clear-on-free key objects (EC, RSA); every other buffer that
 *    held them (decoded members, json-c strings, serialised JWK) is wiped
 *    before it is freed;
 * 2. refuse a key whose public half does not belong to its private half: it
 *    would sign tokens that jwks.json cannot verify;
 * 3. sign only with the alg the key file names, and only if the key fits it. */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "jwt.h"
#include "secret.h"
#include "signer.h"

struct signer {
    enum jwt_alg alg;
    char *kid;
    unsigned char *ed_sk; /* EdDSA: libsodium secret key (seed || public), read-only */
    EVP_PKEY *pkey;       /* EC and RSA */
};

/* Members of a JWK that are secret (RFC 7518 §6.2.2 and §6.3.2, RFC 8037 §2). */
static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi"};

/* RSA private JWK members and the OpenSSL parameters they become. */
static const struct {
    const char *jwk;
    const char *param;
    bool secret;
} rsa_members[] = {
    {"n", OSSL_PKEY_PARAM_RSA_N, false},         {"e", OSSL_PKEY_PARAM_RSA_E, false},
    {"d", OSSL_PKEY_PARAM_RSA_D, true},          {"p", OSSL_PKEY_PARAM_RSA_FACTOR1, true},
    {"q", OSSL_PKEY_PARAM_RSA_FACTOR2, true},    {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1, true},
    {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2, true}, {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1, true},
};
#define RSA_MEMBERS (sizeof rsa_members / sizeof rsa_members[0])

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* ---- small helpers ---- */

static void
wipe_const(const char *p, size_t len)
{
    /* json-c hands out const pointers into buffers it owns and frees without
     * wiping; the bytes are ours to clear before json_object_put. */
    if (p != NULL)
        sodium_memzero((void *)(uintptr_t)p, len);
}

static void
wipe_json_member(const struct json_object *obj, const char *name)
{
    struct json_object *v = NULL;

    if (json_object_object_get_ex(obj, name, &v) && json_object_is_type(v, json_type_string))
        wipe_const(json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

static void
wipe_private_members(const struct json_object *obj)
{
    struct json_object *oth = NULL;

    for (size_t i = 0; i < sizeof private_members / sizeof private_members[0]; i++)
        wipe_json_member(obj, private_members[i]);
    /* RFC 7518 §6.3.2.7: "oth" (refused below) holds more secret primes. */
    if (json_object_object_get_ex(obj, "oth", &oth) && json_object_is_type(oth, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(oth); i++) {
            const struct json_object *o = json_object_array_get_idx(oth, i);
            wipe_json_member(o, "r");
            wipe_json_member(o, "d");
            wipe_json_member(o, "t");
        }
    }
}

static bool
object_add_string(struct json_object *obj, const char *name, const char *value)
{
    struct json_object *v = json_object_new_string(value);

    if (v == NULL)
        return false;
    if (json_object_object_add(obj, name, v) != 0) {
        json_object_put(v);
        return false;
    }
    return true;
}

/* Decodes the base64url string member name; want_len 0 accepts any non-empty length. */
static jwt_result
member_decode(const struct json_object *obj, const char *name, size_t want_len, unsigned char **out,
              size_t *out_len)
{
    const char *text = NULL;
    jwt_result r;

    *out = NULL;
    *out_len = 0;
    if (jwt_json_get_string(obj, name, &text) != 1)
        return JWT_ERR_KEY_INVALID;
    if ((r = jwt_b64url_decode(text, strlen(text), out, out_len)) != JWT_OK)
        return r == JWT_ERR_NOMEM ? r : JWT_ERR_KEY_INVALID;
    if (*out_len == 0 || (want_len != 0 && *out_len != want_len)) {
        secret_free(*out, *out_len);
        *out = NULL;
        *out_len = 0;
        return JWT_ERR_KEY_INVALID;
    }
    return JWT_OK;
}

static jwt_result
member_bn(const struct json_object *obj, const char *name, bool secret, BIGNUM **out)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    BIGNUM *bn = NULL;
    jwt_result r;

    *out = NULL;
    if ((r = member_decode(obj, name, 0, &buf, &len)) != JWT_OK)
        goto out;
    r = JWT_ERR_NOMEM;
    /* secure BIGNUMs are cleared on free and stay secure inside OSSL_PARAMs */
    if ((bn = secret ? BN_secure_new() : BN_new()) == NULL || len > INT_MAX)
        goto out;
    if (BN_bin2bn(buf, (int)len, bn) == NULL)
        goto out;
    *out = bn;
    bn = NULL;
    r = JWT_OK;
out:
    BN_clear_free(bn);
    secret_free(buf, len);
    return r;
}

static jwt_result
signer_new(enum jwt_alg alg, struct signer **out)
{
    struct signer *s = calloc(1, sizeof *s);

    *out = s;
    if (s == NULL)
        return JWT_ERR_NOMEM;
    s->alg = alg;
    return JWT_OK;
}

/* ---- building keys ---- */

static jwt_result
ed25519_from_seed(struct signer *s, const unsigned char seed[crypto_sign_SEEDBYTES])
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];

    if ((s->ed_sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)) == NULL)
        return JWT_ERR_NOMEM;
    if (crypto_sign_seed_keypair(pk, s->ed_sk, seed) != 0)
        return JWT_ERR_INTERNAL;
    if (sodium_mprotect_readonly(s->ed_sk) != 0)
        return JWT_ERR_INTERNAL;
    return JWT_OK;
}

/* Turns a filled parameter builder into a key pair and checks that its
 * halves belong together (MUST 2). */
static jwt_result
pkey_from_bld(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **out)
{
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL, *check = NULL;
    EVP_PKEY *pkey = NULL;
    jwt_result r = JWT_ERR_INTERNAL;

    *out = NULL;
    if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
        goto out;
    if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL)
        goto out;
    if (EVP_PKEY_fromdata_init(ctx) != 1)
        goto out;
    r = JWT_ERR_KEY_INVALID;
    if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1)
        goto out;
    if ((check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL) {
        r = JWT_ERR_INTERNAL;
        goto out;
    }
    if (EVP_PKEY_check(check) != 1)
        goto out;
    *out = pkey;
    pkey = NULL;
    r = JWT_OK;
out:
    if (r != JWT_OK)
        ERR_clear_error(); /* leave no stale error for the next OpenSSL caller */
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    OSSL_PARAM_free(params);
    return r;
}

static jwt_result
load_okp(const struct json_object *obj, struct signer *s)
{
    unsigned char *x = NULL, *d = NULL;
    size_t x_len = 0, d_len = 0;
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    const char *crv = NULL;
    jwt_result r = JWT_ERR_KEY_INVALID;

    if (jwt_json_get_string(obj, "crv", &crv) != 1)
        goto out;
    if (strcmp(crv, "Ed25519") != 0) {
        r = JWT_ERR_KEY_UNSUPPORTED;
        goto out;
    }
    /* RFC 8037 §2: x is the 32-byte public key, d the 32-byte seed. */
    if ((r = member_decode(obj, "x", crypto_sign_PUBLICKEYBYTES, &x, &x_len)) != JWT_OK)
        goto out;
    if ((r = member_decode(obj, "d", crypto_sign_SEEDBYTES, &d, &d_len)) != JWT_OK)
        goto out;
    if ((r = ed25519_from_seed(s, d)) != JWT_OK)
        goto out;
    crypto_sign_ed25519_sk_to_pk(pk, s->ed_sk);
    if (memcmp(pk, x, sizeof pk) != 0) /* MUST 2; public bytes: no need for sodium_memcmp */
        r = JWT_ERR_KEY_INVALID;
out:
    free(x);
    secret_free(d, d_len);
    return r;
}

static jwt_result
ec_curve(const struct json_object *obj, const char **group, size_t *field)
{
    const char *crv = NULL;

    if (jwt_json_get_string(obj, "crv", &crv) != 1)
        return JWT_ERR_KEY_INVALID;
    if (strcmp(crv, "P-256") == 0) {
        *group = "prime256v1";
        *field = 32;
    } else if (strcmp(crv, "P-384") == 0) {
        *group = "secp384r1";
        *field = 48;
    } else {
        return JWT_ERR_KEY_UNSUPPORTED;
    }
    return JWT_OK;
}

static jwt_result
load_ec(const struct json_object *obj, struct signer *s)
{
    unsigned char *x = NULL, *y = NULL, point[1 + 2 * 48];
    size_t field = 0, x_len = 0, y_len = 0;
    const char *group = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    BIGNUM *d = NULL;
    jwt_result r;

    if ((r = ec_curve(obj, &group, &field)) != JWT_OK)
        goto out;
    /* RFC 7518 §6.2.1.2 and §6.2.2.1: x, y and d are full field-size octets. */
    if ((r = member_decode(obj, "x", field, &x, &x_len)) != JWT_OK ||
        (r = member_decode(obj, "y", field, &y, &y_len)) != JWT_OK)
        goto out;
    if ((r = member_bn(obj, "d", true, &d)) != JWT_OK)
        goto out;
    r = JWT_ERR_KEY_INVALID;
    if ((size_t)BN_num_bytes(d) > field)
        goto out;
    point[0] = 0x04; /* SEC 1 uncompressed point */
    memcpy(point + 1, x, field);
    memcpy(point + 1 + field, y, field);
    r = JWT_ERR_INTERNAL;
    if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * field) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1)
        goto out;
    r = pkey_from_bld("EC", bld, &s->pkey);
out:
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(d);
    free(x);
    free(y);
    return r;
}

static jwt_result
load_rsa(const struct json_object *obj, struct signer *s)
{
    BIGNUM *bn[RSA_MEMBERS] = {NULL};
    OSSL_PARAM_BLD *bld = NULL;
    jwt_result r = JWT_ERR_KEY_UNSUPPORTED;
    size_t i;

    /* RFC 7518 §6.3.2.7: multi-prime keys; nothing we generate or need. */
    if (json_object_object_get_ex(obj, "oth", NULL))
        goto out;
    r = JWT_ERR_INTERNAL;
    if ((bld = OSSL_PARAM_BLD_new()) == NULL)
        goto out;
    for (i = 0; i < RSA_MEMBERS; i++) {
        if ((r = member_bn(obj, rsa_members[i].jwk, rsa_members[i].secret, &bn[i])) != JWT_OK)
            goto out;
        if (OSSL_PARAM_BLD_push_BN(bld, rsa_members[i].param, bn[i]) != 1) {
            r = JWT_ERR_INTERNAL;
            goto out;
        }
    }
    /* Size first: the consistency check below costs primality tests. */
    r = JWT_ERR_KEY_UNSUPPORTED;
    if (BN_num_bits(bn[0]) < JWT_RSA_MIN_BITS || BN_num_bits(bn[0]) > JWT_RSA_MAX_BITS)
        goto out;
    r = pkey_from_bld("RSA", bld, &s->pkey);
out:
    for (i = 0; i < RSA_MEMBERS; i++)
        BN_clear_free(bn[i]);
    OSSL_PARAM_BLD_free(bld);
    return r;
}

/* ---- kid and alg ---- */

static jwt_result
kid_from_thumbprint(const struct jwt_jwk *pub, char **out)
{
    unsigned char tp[32];
    char *b64 = NULL;
    jwt_result r;

    *out = NULL;
    if ((r = jwt_jwk_thumbprint(pub, tp)) != JWT_OK)
        return r;
    if ((b64 = jwt_b64url_encode(tp, sizeof tp)) == NULL)
        return JWT_ERR_NOMEM;
    b64[SIGNER_KID_LEN] = '\0'; /* jwt-helperd(8), FILES: the first 16 characters */
    *out = b64;
    return JWT_OK;
}

/* Checks that the key fits its alg (MUST 3) and sets its kid: the given one,
 * else the thumbprint's. */
static jwt_result
signer_finish(struct signer *s, const char *kid)
{
    struct jwt_jwk *pub = NULL;
    jwt_result r;

    if ((r = signer_public_jwk(s, &pub)) != JWT_OK)
        goto out;
    r = JWT_ERR_KEY_MISMATCH;
    if (!jwt_jwk_fits_alg(pub, s->alg))
        goto out;
    if (kid == NULL) {
        r = kid_from_thumbprint(pub, &s->kid);
    } else {
        r = (s->kid = strdup(kid)) == NULL ? JWT_ERR_NOMEM : JWT_OK;
    }
out:
    jwt_jwk_free(pub);
    return r;
}

static jwt_result
signer_from_object(const struct json_object *obj, struct signer **out)
{
    struct signer *s = NULL;
    const char *kty = NULL, *alg = NULL, *use = NULL, *kid = NULL;
    enum jwt_alg a;
    jwt_result r = JWT_ERR_KEY_INVALID;

    *out = NULL;
    if (jwt_json_get_string(obj, "kty", &kty) != 1 || jwt_json_get_string(obj, "alg", &alg) != 1 ||
        jwt_json_get_string(obj, "use", &use) < 0 || jwt_json_get_string(obj, "kid", &kid) < 0 ||
        (kid != NULL && kid[0] == '\0'))
        goto out;
    r = JWT_ERR_KEY_UNSUPPORTED;
    if ((use != NULL && strcmp(use, "sig") != 0) || !jwt_alg_from_name(alg, &a) ||
        a == JWT_ALG_HS256)
        goto out;
    if ((r = signer_new(a, &s)) != JWT_OK)
        goto out;
    if (strcmp(kty, "OKP") == 0)
        r = load_okp(obj, s);
    else if (strcmp(kty, "EC") == 0)
        r = load_ec(obj, s);
    else if (strcmp(kty, "RSA") == 0)
        r = load_rsa(obj, s);
    else
        r = JWT_ERR_KEY_UNSUPPORTED;
    if (r != JWT_OK || (r = signer_finish(s, kid)) != JWT_OK)
        goto out;
    *out = s;
    s = NULL;
out:
    signer_free(s);
    return r;
}

/* ---- loading ---- */

jwt_result
signer_from_jwk_json(const char *text, size_t len, struct signer **out)
{
    struct json_object *obj = NULL;
    jwt_result r;

    *out = NULL;
    if (sodium_init() < 0)
        return JWT_ERR_INTERNAL;
    if ((r = jwt_json_parse_object(text, len, &obj)) != JWT_OK) {
        if (r == JWT_ERR_PAYLOAD) /* valid JSON, but not a JWK object */
            r = JWT_ERR_KEY_INVALID;
        goto out;
    }
    r = signer_from_object(obj, out);
out:
    if (obj != NULL)
        wipe_private_members(obj);
    json_object_put(obj);
    return r;
}

jwt_result
signer_load(const char *path, struct signer **out)
{
    char *text = NULL;
    size_t len = 0;
    jwt_result r;

    *out = NULL;
    if ((r = jwt_file_read_secret(path, SIGNER_MAX_JWK_BYTES, jwt_daemon_uid(), &text, &len)) !=
        JWT_OK)
        goto out;
    r = signer_from_jwk_json(text, len, out);
out:
    secret_free(text, len);
    return r;
}

/* ---- generating ---- */

static jwt_result
generate_key(struct signer *s, unsigned rsa_bits)
{
    unsigned char seed[crypto_sign_SEEDBYTES];
    jwt_result r;

    switch (s->alg) {
    case JWT_ALG_EDDSA:
        randombytes_buf(seed, sizeof seed);
        r = ed25519_from_seed(s, seed);
        sodium_memzero(seed, sizeof seed);
        return r;
    case JWT_ALG_ES256:
        s->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        break;
    case JWT_ALG_ES384:
        s->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
        break;
    case JWT_ALG_HS256:
    case JWT_ALG_COUNT:
        return JWT_ERR_KEY_UNSUPPORTED;
    default: /* RS*, PS* */
        if (rsa_bits < JWT_RSA_MIN_BITS || rsa_bits > JWT_RSA_MAX_BITS)
            return JWT_ERR_KEY_UNSUPPORTED;
        s->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)rsa_bits);
        break;
    }
    return s->pkey == NULL ? JWT_ERR_INTERNAL : JWT_OK;
}

jwt_result
signer_generate(enum jwt_alg alg, unsigned rsa_bits, struct signer **out)
{
    struct signer *s = NULL;
    jwt_result r;

    *out = NULL;
    if (sodium_init() < 0)
        return JWT_ERR_INTERNAL;
    if ((r = signer_new(alg, &s)) != JWT_OK)
        goto out;
    if ((r = generate_key(s, rsa_bits)) != JWT_OK)
        goto out;
    if ((r = signer_finish(s, NULL)) != JWT_OK)
        goto out;
    *out = s;
    s = NULL;
out:
    if (r != JWT_OK)
        ERR_clear_error();
    signer_free(s);
    return r;
}

/* ---- exporting ---- */

static bool
add_b64_member(struct json_object *obj, const char *name, const unsigned char *bytes, size_t len)
{
    char *b64 = jwt_b64url_encode(bytes, len);
    bool ok;

    if (b64 == NULL)
        return false;
    ok = object_add_string(obj, name, b64);
    secret_free_str(b64);
    return ok;
}

/* Adds param name of params as member jwk_name, big-endian, left-padded to
 * pad bytes (0: the minimum, RFC 7518 §2 Base64urlUInt). */
static jwt_result
add_param_member(struct json_object *obj, const char *jwk_name, const OSSL_PARAM *params,
                 const char *name, size_t pad)
{
    const OSSL_PARAM *p = OSSL_PARAM_locate_const(params, name);
    BIGNUM *bn = NULL;
    unsigned char *buf = NULL;
    size_t len = 0;
    jwt_result r = JWT_ERR_INTERNAL;

    if (p == NULL || OSSL_PARAM_get_BN(p, &bn) != 1)
        goto out;
    len = pad != 0 ? pad : (size_t)BN_num_bytes(bn);
    if (len == 0 || (size_t)BN_num_bytes(bn) > len || len > INT_MAX)
        goto out;
    r = JWT_ERR_NOMEM;
    if ((buf = malloc(len)) == NULL)
        goto out;
    r = JWT_ERR_INTERNAL;
    if (BN_bn2binpad(bn, buf, (int)len) < 0)
        goto out;
    r = add_b64_member(obj, jwk_name, buf, len) ? JWT_OK : JWT_ERR_NOMEM;
out:
    secret_free(buf, len);
    BN_clear_free(bn);
    return r;
}

static jwt_result
add_private_members(const struct signer *s, const struct jwt_jwk *pub, struct json_object *obj)
{
    OSSL_PARAM *params = NULL;
    jwt_result r = JWT_OK;

    if (s->ed_sk != NULL) /* libsodium's secret key starts with the seed, RFC 8037's d */
        return add_b64_member(obj, "d", s->ed_sk, crypto_sign_SEEDBYTES) ? JWT_OK : JWT_ERR_NOMEM;
    if (EVP_PKEY_todata(s->pkey, EVP_PKEY_KEYPAIR, &params) != 1)
        return JWT_ERR_INTERNAL;
    if (pub->kty == JWT_KTY_EC) {
        r = add_param_member(obj, "d", params, OSSL_PKEY_PARAM_PRIV_KEY, pub->x_len);
    } else {
        for (size_t i = 2; i < RSA_MEMBERS && r == JWT_OK; i++)
            r = add_param_member(obj, rsa_members[i].jwk, params, rsa_members[i].param, 0);
    }
    OSSL_PARAM_free(params); /* its secure part is cleared on free */
    return r;
}

jwt_result
signer_private_jwk_json(const struct signer *s, char **out)
{
    struct jwt_jwk *pub = NULL;
    struct json_object *obj = NULL;
    const char *text = NULL;
    jwt_result r;

    *out = NULL;
    if ((r = signer_public_jwk(s, &pub)) != JWT_OK)
        goto out;
    r = JWT_ERR_NOMEM;
    if ((obj = jwt_jwk_to_json(pub)) == NULL)
        goto out;
    if ((r = add_private_members(s, pub, obj)) != JWT_OK)
        goto out;
    r = JWT_ERR_NOMEM;
    if ((text = json_object_to_json_string_ext(obj, JSON_FLAGS)) == NULL)
        goto out;
    if ((*out = strdup(text)) != NULL)
        r = JWT_OK;
    wipe_const(text, strlen(text));
out:
    if (obj != NULL)
        wipe_private_members(obj);
    json_object_put(obj);
    jwt_jwk_free(pub);
    return r;
}

jwt_result
signer_public_jwk(const struct signer *s, struct jwt_jwk **out)
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    EVP_PKEY *ed_pub = NULL;
    struct jwt_jwk *key = NULL;
    jwt_result r = JWT_ERR_INTERNAL;

    *out = NULL;
    if (s->ed_sk != NULL) {
        crypto_sign_ed25519_sk_to_pk(pk, s->ed_sk);
        if ((ed_pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, sizeof pk)) == NULL)
            goto out;
    }
    if ((r = jwt_jwk_from_pkey(ed_pub != NULL ? ed_pub : s->pkey, &key)) != JWT_OK)
        goto out;
    if (s->kid != NULL && (key->kid = strdup(s->kid)) == NULL) {
        r = JWT_ERR_NOMEM;
        goto out;
    }
    key->has_alg = true;
    key->alg = s->alg;
    *out = key;
    key = NULL;
out:
    jwt_jwk_free(key);
    EVP_PKEY_free(ed_pub);
    return r;
}

/* ---- signing ---- */

static const EVP_MD *
alg_md(enum jwt_alg alg)
{
    switch (alg) {
    case JWT_ALG_ES256:
    case JWT_ALG_RS256:
    case JWT_ALG_PS256:
        return EVP_sha256();
    case JWT_ALG_ES384:
    case JWT_ALG_RS384:
    case JWT_ALG_PS384:
        return EVP_sha384();
    case JWT_ALG_RS512:
    case JWT_ALG_PS512:
        return EVP_sha512();
    default:
        return NULL;
    }
}

/* RFC 7518 §3.4: JWS wants R and S as fixed-size big-endian halves, OpenSSL
 * gives a DER ECDSA-Sig-Value. */
static jwt_result
ecdsa_der_to_raw(const unsigned char *der, size_t der_len, size_t field, unsigned char **out,
                 size_t *out_len)
{
    const unsigned char *p = der;
    const BIGNUM *r_bn = NULL, *s_bn = NULL;
    ECDSA_SIG *sig = NULL;
    unsigned char *raw = NULL;
    jwt_result r = JWT_ERR_INTERNAL;

    if (der_len > LONG_MAX || (sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) == NULL)
        goto out;
    ECDSA_SIG_get0(sig, &r_bn, &s_bn);
    if ((raw = malloc(2 * field)) == NULL) {
        r = JWT_ERR_NOMEM;
        goto out;
    }
    if (BN_bn2binpad(r_bn, raw, (int)field) < 0 || BN_bn2binpad(s_bn, raw + field, (int)field) < 0)
        goto out;
    *out = raw;
    *out_len = 2 * field;
    raw = NULL;
    r = JWT_OK;
out:
    free(raw);
    ECDSA_SIG_free(sig);
    return r;
}

static jwt_result
sign_evp(const struct signer *s, const unsigned char *msg, size_t len, unsigned char **sig,
         size_t *sig_len)
{
    EVP_MD_CTX *md = NULL;
    EVP_PKEY_CTX *pctx = NULL; /* owned by md */
    unsigned char *buf = NULL;
    size_t n = 0;
    bool pss = s->alg == JWT_ALG_PS256 || s->alg == JWT_ALG_PS384 || s->alg == JWT_ALG_PS512;
    jwt_result r = JWT_ERR_INTERNAL;

    if ((md = EVP_MD_CTX_new()) == NULL)
        goto out;
    if (EVP_DigestSignInit(md, &pctx, alg_md(s->alg), NULL, s->pkey) != 1)
        goto out;
    /* RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash. */
    if (pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
        goto out;
    if (EVP_DigestSign(md, NULL, &n, msg, len) != 1 || (buf = malloc(n)) == NULL)
        goto out;
    if (EVP_DigestSign(md, buf, &n, msg, len) != 1)
        goto out;
    if (s->alg == JWT_ALG_ES256 || s->alg == JWT_ALG_ES384) {
        r = ecdsa_der_to_raw(buf, n, s->alg == JWT_ALG_ES256 ? 32 : 48, sig, sig_len);
        goto out;
    }
    *sig = buf;
    *sig_len = n;
    buf = NULL;
    r = JWT_OK;
out:
    if (r != JWT_OK)
        ERR_clear_error();
    free(buf);
    EVP_MD_CTX_free(md);
    return r;
}

static jwt_result
sign_bytes(const struct signer *s, const unsigned char *msg, size_t len, unsigned char **sig,
           size_t *sig_len)
{
    *sig = NULL;
    *sig_len = 0;
    if (s->ed_sk == NULL)
        return sign_evp(s, msg, len, sig, sig_len);
    if ((*sig = malloc(crypto_sign_BYTES)) == NULL)
        return JWT_ERR_NOMEM;
    /* RFC 8037 §3.1: Ed25519 over the JWS signing input itself. */
    crypto_sign_detached(*sig, NULL, msg, len, s->ed_sk);
    *sig_len = crypto_sign_BYTES;
    return JWT_OK;
}

jwt_result
signer_sign(const struct signer *s, const char *header_json, const char *payload_json,
            char **token_out)
{
    char *input = NULL;
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    jwt_result r = JWT_ERR_NOMEM;

    *token_out = NULL;
    if ((input = jwt_jws_signing_input(header_json, payload_json)) == NULL)
        goto out;
    if ((r = sign_bytes(s, (const unsigned char *)input, strlen(input), &sig, &sig_len)) != JWT_OK)
        goto out;
    r = (*token_out = jwt_jws_compact(input, sig, sig_len)) != NULL ? JWT_OK : JWT_ERR_NOMEM;
out:
    secret_free_str(input);
    secret_free(sig, sig_len);
    return r;
}

jwt_result
signer_sign_claims(const struct signer *s, struct json_object *claims, const char *typ,
                   char **token_out)
{
    struct json_object *hdr = NULL;
    const char *h = NULL, *p = NULL;
    jwt_result r = JWT_ERR_NOMEM;

    *token_out = NULL;
    if ((hdr = json_object_new_object()) == NULL)
        goto out;
    if (!object_add_string(hdr, "alg", jwt_alg_name(s->alg)) ||
        (typ != NULL && !object_add_string(hdr, "typ", typ)) ||
        !object_add_string(hdr, "kid", s->kid))
        goto out;
    if ((h = json_object_to_json_string_ext(hdr, JSON_FLAGS)) == NULL ||
        (p = json_object_to_json_string_ext(claims, JSON_FLAGS)) == NULL)
        goto out;
    r = signer_sign(s, h, p, token_out);
out:
    json_object_put(hdr);
    return r;
}

/* ---- accessors and cleanup ---- */

const char *
signer_kid(const struct signer *s)
{
    return s->kid;
}

enum jwt_alg
signer_alg(const struct signer *s)
{
    return s->alg;
}

void
signer_free(struct signer *s)
{
    if (s == NULL)
        return;
    free(s->kid);
    sodium_free(s->ed_sk); /* wipes; NULL is a no-op */
    EVP_PKEY_free(s->pkey);
    free(s);
}
