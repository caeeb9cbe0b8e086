/* SPDX-License-Identifier: MIT */
/* One public JWK (RFC 7517/7518/8037): parse and check it, convert it to and
 * from an OpenSSL key, serialise it, and compute its RFC 7638 thumbprint. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>

#include "jwt.h"

/* A kid is a label we log and compare; nothing legitimate comes near this. */
#define JWK_KID_MAX 256
/* RFC 7518 §6.3.1.2 leaves e unbounded; OpenSSL refuses e over 64 bits for
 * large moduli anyway, and real keys use 3 or 65537. */
#define JWK_RSA_E_MAX 8
#define JWK_EC_FIELD_MAX 48

/* Members only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2,
 * §6.4; RFC 8037 §2): a public key set must never carry them. */
static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

static const char *
crv_name(enum jwt_crv crv)
{
    switch (crv) {
    case JWT_CRV_ED25519:
        return "Ed25519";
    case JWT_CRV_P256:
        return "P-256";
    case JWT_CRV_P384:
        return "P-384";
    default:
        return "";
    }
}

static const char *
kty_name(enum jwt_kty kty)
{
    switch (kty) {
    case JWT_KTY_OKP:
        return "OKP";
    case JWT_KTY_EC:
        return "EC";
    default:
        return "RSA";
    }
}

void
jwt_jwk_free(struct jwt_jwk *key)
{
    if (key == NULL)
        return;
    jwt_sig_cache_free(key->verify_cache);
    EVP_PKEY_free(key->pkey);
    free(key->kid);
    free(key->x);
    free(key->y);
    free(key->n);
    free(key->e);
    free(key);
}

bool
jwt_jwk_fits_alg(const struct jwt_jwk *key, enum jwt_alg alg)
{
    if (key == NULL || (key->has_alg && key->alg != alg))
        return false;
    switch (alg) {
    case JWT_ALG_EDDSA:
        return key->kty == JWT_KTY_OKP && key->crv == JWT_CRV_ED25519;
    case JWT_ALG_ES256:
        return key->kty == JWT_KTY_EC && key->crv == JWT_CRV_P256;
    case JWT_ALG_ES384:
        return key->kty == JWT_KTY_EC && key->crv == JWT_CRV_P384;
    case JWT_ALG_RS256:
    case JWT_ALG_RS384:
    case JWT_ALG_RS512:
    case JWT_ALG_PS256:
    case JWT_ALG_PS384:
    case JWT_ALG_PS512:
        return key->kty == JWT_KTY_RSA && key->rsa_bits >= JWT_RSA_MIN_BITS &&
               key->rsa_bits <= JWT_RSA_MAX_BITS;
    default:
        return false; /* HS256 and anything else fits no JWK */
    }
}

/* ---- checks shared by parsing and conversion ---- */

/* RFC 8037 §2 leaves point validation to the verifier; refusing small-order
 * and non-canonical points here means no token can ever verify against a
 * key that every signature "matches". */
static jwt_result
okp_check(const struct jwt_jwk *key)
{
    if (key->x_len != crypto_sign_PUBLICKEYBYTES || crypto_core_ed25519_is_valid_point(key->x) != 1)
        return JWT_ERR_KEY_INVALID;
    return JWT_OK;
}

/* RFC 7518 §6.3.1: n and e are unsigned big-endian integers without leading
 * zero octets. n is odd (a product of odd primes); e is odd and above 1.
 * Malformed numbers are invalid; sizes we do not verify are unsupported. */
static jwt_result
rsa_check(struct jwt_jwk *key)
{
    unsigned bits;
    unsigned char top;

    if (key->n_len == 0 || key->n[0] == 0 || (key->n[key->n_len - 1] & 1u) == 0)
        return JWT_ERR_KEY_INVALID;
    if (key->e_len == 0 || key->e_len > JWK_RSA_E_MAX || key->e[0] == 0 ||
        (key->e[key->e_len - 1] & 1u) == 0 || (key->e_len == 1 && key->e[0] == 1))
        return JWT_ERR_KEY_INVALID;
    if (key->n_len > JWT_RSA_MAX_BITS / 8)
        return JWT_ERR_KEY_UNSUPPORTED;
    bits = (unsigned)(key->n_len - 1) * 8u;
    for (top = key->n[0]; top != 0; top >>= 1)
        bits++;
    key->rsa_bits = bits;
    if (bits < JWT_RSA_MIN_BITS)
        return JWT_ERR_KEY_UNSUPPORTED;
    return JWT_OK;
}

/* ---- parsing ---- */

static jwt_result
parse_kid(const struct json_object *obj, struct jwt_jwk *key)
{
    const char *kid = NULL;
    int got = jwt_json_get_string(obj, "kid", &kid);

    if (got < 0 || (got == 1 && strlen(kid) > JWK_KID_MAX))
        return JWT_ERR_KEY_INVALID;
    if (got == 1 && (key->kid = strdup(kid)) == NULL)
        return JWT_ERR_NOMEM;
    return JWT_OK;
}

/* RFC 7517 §4.3: when key_ops is present it must be an array of strings;
 * a key whose operations leave out "verify" is not ours to use. */
static jwt_result
parse_key_ops(const struct json_object *obj, bool *verify)
{
    struct json_object *ops = NULL, *op;
    size_t i, n;

    *verify = true;
    if (!json_object_object_get_ex(obj, "key_ops", &ops))
        return JWT_OK;
    if (!json_object_is_type(ops, json_type_array))
        return JWT_ERR_KEY_INVALID;
    *verify = false;
    n = json_object_array_length(ops);
    for (i = 0; i < n; i++) {
        op = json_object_array_get_idx(ops, i);
        if (!json_object_is_type(op, json_type_string))
            return JWT_ERR_KEY_INVALID;
        if (strcmp(json_object_get_string(op), "verify") == 0)
            *verify = true;
    }
    return JWT_OK;
}

bool
jwt_jwk_has_private_member(const struct json_object *obj)
{
    size_t i;

    for (i = 0; i < sizeof(private_members) / sizeof(private_members[0]); i++)
        if (json_object_object_get_ex(obj, private_members[i], NULL))
            return true;
    return false;
}

/* The members every key type shares. Type errors come first (they fail the
 * whole set), then the refusals that only make this key unusable; kid is
 * read before any of those so that the set can remember it. */
static jwt_result
parse_common(const struct json_object *obj, struct jwt_jwk *key, const char **kty)
{
    const char *use = NULL, *alg = NULL;
    bool verify = true;
    jwt_result r;

    if (!json_object_is_type(obj, json_type_object) || jwt_json_get_string(obj, "kty", kty) != 1 ||
        jwt_json_get_string(obj, "use", &use) < 0 || jwt_json_get_string(obj, "alg", &alg) < 0)
        return JWT_ERR_KEY_INVALID;
    if ((r = parse_kid(obj, key)) != JWT_OK || (r = parse_key_ops(obj, &verify)) != JWT_OK)
        return r;
    if (jwt_json_get_int64(obj, "retired", &key->retired) < 0 || key->retired < 0)
        return JWT_ERR_KEY_INVALID;
    /* A symmetric key can mint tokens: it never belongs on a verifier. */
    if (strcmp(*kty, "oct") == 0)
        return JWT_ERR_KEY_UNSUPPORTED;
    if (jwt_jwk_has_private_member(obj))
        return JWT_ERR_KEY_INVALID;
    if ((use != NULL && strcmp(use, "sig") != 0) || !verify) /* RFC 7517 §4.2 */
        return JWT_ERR_KEY_UNSUPPORTED;
    if (alg != NULL) {
        if (!jwt_alg_from_name(alg, &key->alg) || key->alg == JWT_ALG_HS256)
            return JWT_ERR_KEY_UNSUPPORTED;
        key->has_alg = true;
    }
    return JWT_OK;
}

/* Decodes the required member name, which must be exactly len bytes. */
static jwt_result
member_decode_exact(const struct json_object *obj, const char *name, size_t len,
                    unsigned char **out)
{
    const char *text = NULL;
    unsigned char *buf = NULL;
    size_t buf_len = 0;
    jwt_result r;

    *out = NULL;
    if (jwt_json_get_string(obj, name, &text) != 1)
        return JWT_ERR_KEY_INVALID;
    /* Public members only (jwt_jwk_parse refuses private ones): the fast
     * decoder is fine, see jwt_b64url.c. */
    if ((r = jwt_b64url_decode_public(text, strlen(text), &buf, &buf_len)) != JWT_OK)
        return r == JWT_ERR_NOMEM ? r : JWT_ERR_KEY_INVALID;
    if (buf_len != len) {
        free(buf);
        return JWT_ERR_KEY_INVALID;
    }
    *out = buf;
    return JWT_OK;
}

/* Decodes the required member name, whatever its length. */
static jwt_result
member_decode(const struct json_object *obj, const char *name, unsigned char **out, size_t *out_len)
{
    const char *text = NULL;
    jwt_result r;

    *out = NULL;
    *out_len = 0;
    if (jwt_json_get_string(obj, name, &text) != 1)
        return JWT_ERR_KEY_INVALID;
    if ((r = jwt_b64url_decode_public(text, strlen(text), out, out_len)) != JWT_OK)
        return r == JWT_ERR_NOMEM ? r : JWT_ERR_KEY_INVALID;
    return JWT_OK;
}

/* RFC 8037 §2: crv and x; we verify Ed25519 only. */
static jwt_result
parse_okp(const struct json_object *obj, struct jwt_jwk *key)
{
    const char *crv = NULL;
    jwt_result r;

    key->kty = JWT_KTY_OKP;
    if (jwt_json_get_string(obj, "crv", &crv) != 1)
        return JWT_ERR_KEY_INVALID;
    if (strcmp(crv, "Ed25519") != 0) /* X25519 is for key agreement, Ed448 unsupported */
        return JWT_ERR_KEY_UNSUPPORTED;
    key->crv = JWT_CRV_ED25519;
    if ((r = member_decode_exact(obj, "x", crypto_sign_PUBLICKEYBYTES, &key->x)) != JWT_OK)
        return r;
    key->x_len = crypto_sign_PUBLICKEYBYTES;
    return okp_check(key);
}

/* RFC 7518 §6.2.1: crv, x and y, each coordinate exactly the field size. */
static jwt_result
parse_ec(const struct json_object *obj, struct jwt_jwk *key)
{
    const char *crv = NULL;
    size_t size;
    jwt_result r;

    key->kty = JWT_KTY_EC;
    if (jwt_json_get_string(obj, "crv", &crv) != 1)
        return JWT_ERR_KEY_INVALID;
    if (strcmp(crv, "P-256") == 0) {
        key->crv = JWT_CRV_P256;
        size = 32;
    } else if (strcmp(crv, "P-384") == 0) {
        key->crv = JWT_CRV_P384;
        size = 48;
    } else {
        return JWT_ERR_KEY_UNSUPPORTED; /* P-521, secp256k1, ... */
    }
    if ((r = member_decode_exact(obj, "x", size, &key->x)) != JWT_OK ||
        (r = member_decode_exact(obj, "y", size, &key->y)) != JWT_OK)
        return r;
    key->x_len = key->y_len = size;
    return JWT_OK; /* on-curve is checked when the key is built (jwt_jwk_pkey) */
}

/* RFC 7518 §6.3.1: n and e. */
static jwt_result
parse_rsa(const struct json_object *obj, struct jwt_jwk *key)
{
    jwt_result r;

    key->kty = JWT_KTY_RSA;
    key->crv = JWT_CRV_NONE;
    if ((r = member_decode(obj, "n", &key->n, &key->n_len)) != JWT_OK ||
        (r = member_decode(obj, "e", &key->e, &key->e_len)) != JWT_OK)
        return r;
    return rsa_check(key);
}

jwt_result
jwt_jwk_parse(const struct json_object *obj, struct jwt_jwk **out)
{
    struct jwt_jwk *key = NULL;
    const char *kty = NULL;
    jwt_result r;

    *out = NULL;
    if ((key = calloc(1, sizeof(*key))) == NULL) {
        r = JWT_ERR_NOMEM;
        goto out;
    }
    if ((r = parse_common(obj, key, &kty)) != JWT_OK)
        goto out;
    if (strcmp(kty, "OKP") == 0)
        r = parse_okp(obj, key);
    else if (strcmp(kty, "EC") == 0)
        r = parse_ec(obj, key);
    else if (strcmp(kty, "RSA") == 0)
        r = parse_rsa(obj, key);
    else
        r = JWT_ERR_KEY_UNSUPPORTED;
    if (r != JWT_OK)
        goto out;
    /* A key that names an alg its own type cannot do is inconsistent. */
    if (key->has_alg && !jwt_jwk_fits_alg(key, key->alg)) {
        r = JWT_ERR_KEY_INVALID;
        goto out;
    }
    *out = key;
    key = NULL;
out:
    jwt_jwk_free(key);
    return r;
}

/* ---- from an OpenSSL key ---- */

static jwt_result
okp_from_pkey(const EVP_PKEY *pkey, struct jwt_jwk *key)
{
    size_t len = crypto_sign_PUBLICKEYBYTES;

    key->kty = JWT_KTY_OKP;
    key->crv = JWT_CRV_ED25519;
    if ((key->x = malloc(len)) == NULL)
        return JWT_ERR_NOMEM;
    if (EVP_PKEY_get_raw_public_key(pkey, key->x, &len) != 1 || len != crypto_sign_PUBLICKEYBYTES)
        return JWT_ERR_INTERNAL;
    key->x_len = len;
    return okp_check(key);
}

/* Copies a BIGNUM parameter of pkey big-endian into a new buffer: exactly
 * pad bytes when pad is non-zero, else its minimal length. */
static jwt_result
bn_param_get(const EVP_PKEY *pkey, const char *name, size_t pad, unsigned char **out,
             size_t *out_len)
{
    BIGNUM *bn = NULL;
    size_t len;
    jwt_result r = JWT_ERR_INTERNAL;

    *out = NULL;
    if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
        goto out;
    len = pad != 0 ? pad : (size_t)BN_num_bytes(bn);
    if (len > JWT_RSA_MAX_BITS / 8 + 1) {
        r = JWT_ERR_KEY_UNSUPPORTED;
        goto out;
    }
    if ((*out = malloc(len == 0 ? 1 : len)) == NULL) {
        r = JWT_ERR_NOMEM;
        goto out;
    }
    if (BN_bn2binpad(bn, *out, (int)len) != (int)len)
        goto out;
    *out_len = len;
    r = JWT_OK;
out:
    BN_free(bn);
    return r;
}

static jwt_result
ec_from_pkey(const EVP_PKEY *pkey, struct jwt_jwk *key)
{
    char group[64];
    size_t group_len = 0;
    jwt_result r;

    key->kty = JWT_KTY_EC;
    /* A curve given by explicit parameters has no name: unsupported. */
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       &group_len) != 1)
        return JWT_ERR_KEY_UNSUPPORTED;
    if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
        key->crv = JWT_CRV_P256;
    else if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
        key->crv = JWT_CRV_P384;
    else
        return JWT_ERR_KEY_UNSUPPORTED;
    key->x_len = key->crv == JWT_CRV_P256 ? 32 : 48;
    if ((r = bn_param_get(pkey, OSSL_PKEY_PARAM_EC_PUB_X, key->x_len, &key->x, &key->x_len)) !=
            JWT_OK ||
        (r = bn_param_get(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, key->x_len, &key->y, &key->y_len)) !=
            JWT_OK)
        return r;
    return JWT_OK;
}

static jwt_result
rsa_from_pkey(const EVP_PKEY *pkey, struct jwt_jwk *key)
{
    jwt_result r;

    key->kty = JWT_KTY_RSA;
    key->crv = JWT_CRV_NONE;
    if ((r = bn_param_get(pkey, OSSL_PKEY_PARAM_RSA_N, 0, &key->n, &key->n_len)) != JWT_OK ||
        (r = bn_param_get(pkey, OSSL_PKEY_PARAM_RSA_E, 0, &key->e, &key->e_len)) != JWT_OK)
        return r;
    return rsa_check(key);
}

jwt_result
jwt_jwk_from_pkey(EVP_PKEY *pkey, struct jwt_jwk **out)
{
    struct jwt_jwk *key = NULL;
    jwt_result r;

    *out = NULL;
    if (pkey == NULL) {
        r = JWT_ERR_KEY_INVALID;
        goto out;
    }
    if ((key = calloc(1, sizeof(*key))) == NULL) {
        r = JWT_ERR_NOMEM;
        goto out;
    }
    if (EVP_PKEY_is_a(pkey, "ED25519"))
        r = okp_from_pkey(pkey, key);
    else if (EVP_PKEY_is_a(pkey, "EC"))
        r = ec_from_pkey(pkey, key);
    else if (EVP_PKEY_is_a(pkey, "RSA"))
        r = rsa_from_pkey(pkey, key);
    else
        r = JWT_ERR_KEY_UNSUPPORTED; /* Ed448, X25519, DSA, RSA-PSS-only, ... */
    if (r != JWT_OK)
        goto out;
    *out = key;
    key = NULL;
out:
    ERR_clear_error(); /* leave no stale errors in the host process's queue */
    jwt_jwk_free(key);
    return r;
}

/* ---- to an OpenSSL key ---- */

/* SEC 1 §2.3.3 uncompressed point 04||x||y. OpenSSL refuses a point off the
 * curve at import; the full public check (on curve, not infinity, order)
 * runs as well so that the refusal does not hang on one code path. */
static jwt_result
ec_pkey_build(const struct jwt_jwk *key, EVP_PKEY **out)
{
    unsigned char point[1 + 2 * JWK_EC_FIELD_MAX];
    char group[16];
    OSSL_PARAM params[3];
    EVP_PKEY_CTX *ctx = NULL, *check = NULL;
    EVP_PKEY *pkey = NULL;
    jwt_result r = JWT_ERR_INTERNAL;

    *out = NULL;
    if (key->x_len > JWK_EC_FIELD_MAX || key->y_len != key->x_len)
        return JWT_ERR_KEY_INVALID;
    point[0] = 0x04;
    memcpy(point + 1, key->x, key->x_len);
    memcpy(point + 1 + key->x_len, key->y, key->y_len);
    snprintf(group, sizeof(group), "%s", key->crv == JWT_CRV_P256 ? "prime256v1" : "secp384r1");
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point,
                                                  1 + key->x_len + key->y_len);
    params[2] = OSSL_PARAM_construct_end();
    if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
        EVP_PKEY_fromdata_init(ctx) != 1)
        goto out;
    r = JWT_ERR_KEY_INVALID;
    if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1 ||
        (check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
        EVP_PKEY_public_check(check) != 1)
        goto out;
    *out = pkey;
    pkey = NULL;
    r = JWT_OK;
out:
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX_free(ctx);
    return r;
}

/* n and e as BIGNUMs; the checks of rsa_check already ran at parse time.
 * No EVP_PKEY_public_check here: its SP 800-56B rules refuse e = 3, which
 * RFC 7518 allows. */
static jwt_result
rsa_pkey_build(const struct jwt_jwk *key, EVP_PKEY **out)
{
    BIGNUM *n = NULL, *e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    jwt_result r = JWT_ERR_INTERNAL;

    *out = NULL;
    if (key->n_len > JWT_RSA_MAX_BITS / 8)
        return JWT_ERR_KEY_UNSUPPORTED;
    if ((n = BN_bin2bn(key->n, (int)key->n_len, NULL)) == NULL ||
        (e = BN_bin2bn(key->e, (int)key->e_len, NULL)) == NULL ||
        (bld = OSSL_PARAM_BLD_new()) == NULL ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
        (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
        (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
        EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1)
        goto out;
    r = JWT_OK;
out:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(e);
    BN_free(n);
    return r;
}

jwt_result
jwt_jwk_pkey(struct jwt_jwk *key, EVP_PKEY **out)
{
    EVP_PKEY *pkey = NULL;
    jwt_result r = JWT_OK;

    *out = NULL;
    if (key->pkey == NULL) {
        if (key->kty == JWT_KTY_EC)
            r = ec_pkey_build(key, &pkey);
        else if (key->kty == JWT_KTY_RSA)
            r = rsa_pkey_build(key, &pkey);
        else if ((pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key->x, key->x_len)) ==
                 NULL)
            r = JWT_ERR_INTERNAL;
        ERR_clear_error();
        if (r != JWT_OK)
            return r;
        key->pkey = pkey;
    }
    *out = key->pkey;
    return JWT_OK;
}

/* ---- thumbprint and serialisation ---- */

static char *json_format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
json_format(const char *fmt, ...)
{
    va_list ap;
    char *s;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0 || (s = malloc((size_t)len + 1)) == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* RFC 7638 §3.2: the required members only, ordered by name, no whitespace.
 * Every value is base64url or a fixed name, so nothing needs escaping. */
static char *
thumbprint_input(const struct jwt_jwk *key)
{
    char *a = NULL, *b = NULL, *s = NULL;

    if (key->kty == JWT_KTY_RSA) {
        if ((a = jwt_b64url_encode(key->e, key->e_len)) != NULL &&
            (b = jwt_b64url_encode(key->n, key->n_len)) != NULL)
            s = json_format("{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", a, b);
    } else if (key->kty == JWT_KTY_EC) {
        if ((a = jwt_b64url_encode(key->x, key->x_len)) != NULL &&
            (b = jwt_b64url_encode(key->y, key->y_len)) != NULL)
            s = json_format("{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
                            crv_name(key->crv), a, b);
    } else if ((a = jwt_b64url_encode(key->x, key->x_len)) != NULL) {
        s = json_format("{\"crv\":\"%s\",\"kty\":\"OKP\",\"x\":\"%s\"}", crv_name(key->crv), a);
    }
    free(a);
    free(b);
    return s;
}

jwt_result
jwt_jwk_thumbprint(const struct jwt_jwk *key, unsigned char out[32])
{
    char *input = thumbprint_input(key);

    memset(out, 0, 32);
    if (input == NULL)
        return JWT_ERR_NOMEM;
    crypto_hash_sha256(out, (const unsigned char *)input, strlen(input));
    free(input);
    return JWT_OK;
}

static bool
json_add(struct json_object *obj, const char *name, struct json_object *value)
{
    if (value == NULL)
        return false;
    if (json_object_object_add(obj, name, value) != 0) {
        json_object_put(value);
        return false;
    }
    return true;
}

static bool
json_add_b64(struct json_object *obj, const char *name, const unsigned char *bytes, size_t len)
{
    char *text = jwt_b64url_encode(bytes, len);
    bool ok = text != NULL && json_add(obj, name, json_object_new_string(text));

    free(text);
    return ok;
}

static bool
json_add_material(struct json_object *obj, const struct jwt_jwk *key)
{
    if (key->kty == JWT_KTY_RSA)
        return json_add_b64(obj, "n", key->n, key->n_len) &&
               json_add_b64(obj, "e", key->e, key->e_len);
    if (!json_add(obj, "crv", json_object_new_string(crv_name(key->crv))) ||
        !json_add_b64(obj, "x", key->x, key->x_len))
        return false;
    return key->kty != JWT_KTY_EC || json_add_b64(obj, "y", key->y, key->y_len);
}

struct json_object *
jwt_jwk_to_json(const struct jwt_jwk *key)
{
    struct json_object *obj = json_object_new_object(), *ret = NULL;

    if (obj == NULL)
        return NULL;
    if (!json_add(obj, "kty", json_object_new_string(kty_name(key->kty))) ||
        !json_add_material(obj, key) || !json_add(obj, "use", json_object_new_string("sig")))
        goto out;
    if (key->has_alg && !json_add(obj, "alg", json_object_new_string(jwt_alg_name(key->alg))))
        goto out;
    if (key->kid != NULL && !json_add(obj, "kid", json_object_new_string(key->kid)))
        goto out;
    /* Kept through rotation (jwt-helperd(8), FILES): the set is rewritten from parsed keys. */
    if (key->retired != 0 && !json_add(obj, "retired", json_object_new_int64(key->retired)))
        goto out;
    ret = obj;
    obj = NULL;
out:
    json_object_put(obj);
    return ret;
}
