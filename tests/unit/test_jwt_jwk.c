/* SPDX-License-Identifier: MIT */
/* Unit tests for JWK parsing and conversion, thumbprints, JWK Set key choice,
 * and key files (jwt_jwk.c, jwt_jwks.c, jwt_pem.c). */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "check.h"
#include "jwt.h"

/* RFC 7638 §3.1: the example RSA key and its SHA-256 thumbprint. */
static const char rfc7638_key[] =
    "{\"kty\":\"RSA\",\"n\":\""
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aP"
    "FFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl9"
    "3lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdA"
    "ZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3"
    "XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    "\",\"e\":\"AQAB\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}";
static const char rfc7638_thumbprint[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

/* The keys every test shares, generated once: RSA key generation is slow. */
static EVP_PKEY *ed, *ed_b, *p256, *p256_b, *p384, *p521, *x25519, *rsa2048, *rsa1024;
static char tmpdir[] = "/tmp/test_jwt_jwk.XXXXXX";

/* ---- helpers ---- */

static jwt_result
jwk_from_text(const char *text, struct jwt_jwk **out)
{
    struct json_object *obj = NULL;
    jwt_result r;

    *out = NULL;
    if ((r = jwt_json_parse_object(text, strlen(text), &obj)) != JWT_OK)
        return r;
    r = jwt_jwk_parse(obj, out);
    json_object_put(obj);
    return r;
}

static jwt_result
parse_text(const char *text)
{
    struct jwt_jwk *key = NULL;
    jwt_result r = jwk_from_text(text, &key);

    jwt_jwk_free(key);
    return r;
}

/* Serialises key with member name set to the raw JSON value (or removed
 * when value is NULL). The caller frees the string. */
static char *
jwk_text_edit(const struct jwt_jwk *key, const char *name, const char *value)
{
    struct json_object *obj = jwt_jwk_to_json(key);
    char *text;

    if (obj == NULL)
        return NULL;
    if (name != NULL && value == NULL)
        json_object_object_del(obj, name);
    else if (name != NULL)
        json_object_object_add(obj, name, json_tokener_parse(value));
    text = strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
    json_object_put(obj);
    return text;
}

static jwt_result
parse_edited(const struct jwt_jwk *key, const char *name, const char *value)
{
    char *text = jwk_text_edit(key, name, value);
    jwt_result r = text != NULL ? parse_text(text) : JWT_ERR_NOMEM;

    free(text);
    return r;
}

/* Base64url of bytes as a quoted JSON string; the caller frees it. */
static char *
quoted_b64(const unsigned char *bytes, size_t len)
{
    char *b64 = jwt_b64url_encode(bytes, len), *q = NULL;

    if (b64 != NULL && (q = malloc(strlen(b64) + 3)) != NULL)
        sprintf(q, "\"%s\"", b64);
    free(b64);
    return q;
}

/* The member name of key replaced by the given bytes. */
static jwt_result
parse_with_bytes(const struct jwt_jwk *key, const char *name, const unsigned char *bytes,
                 size_t len)
{
    char *q = quoted_b64(bytes, len);
    jwt_result r = parse_edited(key, name, q);

    free(q);
    return r;
}

static struct jwt_jwk *
jwk_of(EVP_PKEY *pkey)
{
    struct jwt_jwk *key = NULL;

    if (jwt_jwk_from_pkey(pkey, &key) != JWT_OK)
        return NULL;
    return key;
}

static char *
thumbprint_b64(const struct jwt_jwk *key)
{
    unsigned char t[32];

    if (key == NULL || jwt_jwk_thumbprint(key, t) != JWT_OK)
        return NULL;
    return jwt_b64url_encode(t, sizeof(t));
}

/* ---- conversion and round trips ---- */

static void
test_roundtrip(const char *what, EVP_PKEY *pkey, EVP_PKEY *other, enum jwt_kty kty,
               enum jwt_crv crv, enum jwt_alg fits, enum jwt_alg misfits)
{
    struct jwt_jwk *key = NULL, *back = NULL;
    EVP_PKEY *built = NULL, *again = NULL;
    char *text = NULL, *t1 = NULL, *t2 = NULL;

    printf("# round trip %s\n", what);
    CHECK_RESULT(jwt_jwk_from_pkey(pkey, &key), JWT_OK, "from_pkey");
    if (key == NULL)
        return;
    CHECK_INT(key->kty, kty, "kty");
    CHECK_INT(key->crv, crv, "crv");
    CHECK(key->kid == NULL, "no kid from a pkey");
    CHECK(jwt_jwk_fits_alg(key, fits), "fits its alg");
    CHECK(!jwt_jwk_fits_alg(key, misfits), "does not fit another alg");
    CHECK(!jwt_jwk_fits_alg(key, JWT_ALG_HS256), "HS256 fits no JWK");
    text = jwk_text_edit(key, NULL, NULL);
    CHECK(text != NULL && strstr(text, "\"use\":\"sig\"") != NULL, "to_json says use sig");
    CHECK(text != NULL && strstr(text, "\"d\"") == NULL, "to_json has no private member");
    CHECK_RESULT(text ? jwk_from_text(text, &back) : JWT_ERR_NOMEM, JWT_OK, "re-parse");
    t1 = thumbprint_b64(key);
    t2 = thumbprint_b64(back);
    CHECK(t1 != NULL && t2 != NULL && strcmp(t1, t2) == 0, "thumbprint survives the round trip");
    if (back != NULL) {
        CHECK_RESULT(jwt_jwk_pkey(back, &built), JWT_OK, "pkey built");
        CHECK_INT(EVP_PKEY_eq(built, pkey), 1, "built key equals the original");
        CHECK(EVP_PKEY_eq(built, other) != 1, "built key differs from another key");
        CHECK_RESULT(jwt_jwk_pkey(back, &again), JWT_OK, "pkey again");
        CHECK(again == built, "pkey is cached");
    }
    free(t1);
    free(t2);
    free(text);
    jwt_jwk_free(back);
    jwt_jwk_free(key);
}

static void
test_from_pkey_refusals(void)
{
    struct jwt_jwk *key = NULL;

    printf("# from_pkey refusals\n");
    CHECK_RESULT(jwt_jwk_from_pkey(p521, &key), JWT_ERR_KEY_UNSUPPORTED, "P-521 unsupported");
    CHECK_RESULT(jwt_jwk_from_pkey(x25519, &key), JWT_ERR_KEY_UNSUPPORTED, "X25519 unsupported");
    CHECK_RESULT(jwt_jwk_from_pkey(rsa1024, &key), JWT_ERR_KEY_UNSUPPORTED, "RSA 1024 unsupported");
    CHECK(key == NULL, "no key on refusal");
    CHECK_RESULT(jwt_jwk_from_pkey(rsa2048, &key), JWT_OK, "RSA 2048 accepted");
    CHECK_INT(key ? key->rsa_bits : 0, 2048, "rsa_bits");
    jwt_jwk_free(key);
}

/* ---- member rules ---- */

static void
test_okp_rules(void)
{
    struct jwt_jwk *key = jwk_of(ed);
    unsigned char bytes[33] = {0};
    char *text = NULL;

    printf("# OKP rules\n");
    if (key == NULL)
        return;
    CHECK_RESULT(parse_edited(key, NULL, NULL), JWT_OK, "unchanged key parses");
    memcpy(bytes, key->x, 32);
    CHECK_RESULT(parse_with_bytes(key, "x", bytes, 32), JWT_OK, "x of 32 bytes");
    CHECK_RESULT(parse_with_bytes(key, "x", bytes, 31), JWT_ERR_KEY_INVALID, "x of 31 bytes");
    CHECK_RESULT(parse_with_bytes(key, "x", bytes, 33), JWT_ERR_KEY_INVALID, "x of 33 bytes");
    text = quoted_b64(key->x, 32);
    if (text != NULL) {
        text[1] = '+'; /* standard alphabet: not base64url */
        CHECK_RESULT(parse_edited(key, "x", text), JWT_ERR_KEY_INVALID, "x with '+'");
        text[1] = '/';
        CHECK_RESULT(parse_edited(key, "x", text), JWT_ERR_KEY_INVALID, "x with '/'");
    }
    free(text);
    CHECK_RESULT(parse_edited(key, "x", "12"), JWT_ERR_KEY_INVALID, "x a number");
    CHECK_RESULT(parse_edited(key, "x", NULL), JWT_ERR_KEY_INVALID, "x missing");
    memset(bytes, 0, sizeof(bytes));
    bytes[0] = 1; /* the neutral element: small order */
    CHECK_RESULT(parse_with_bytes(key, "x", bytes, 32), JWT_ERR_KEY_INVALID, "identity point");
    CHECK_RESULT(parse_edited(key, "crv", "\"Ed25519\""), JWT_OK, "crv Ed25519");
    CHECK_RESULT(parse_edited(key, "crv", "\"X25519\""), JWT_ERR_KEY_UNSUPPORTED, "crv X25519");
    CHECK_RESULT(parse_edited(key, "crv", "\"Ed448\""), JWT_ERR_KEY_UNSUPPORTED, "crv Ed448");
    CHECK_RESULT(parse_edited(key, "crv", NULL), JWT_ERR_KEY_INVALID, "crv missing");
    CHECK_RESULT(parse_edited(key, "crv", "1"), JWT_ERR_KEY_INVALID, "crv a number");
    CHECK_RESULT(parse_edited(key, "d", "\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\""),
                 JWT_ERR_KEY_INVALID, "private d present");
    jwt_jwk_free(key);
}

/* Base64url padding: 32 bytes encode to 43 characters plus one '='. */
static void
test_b64_padding(void)
{
    struct jwt_jwk *key = jwk_of(ed);
    char *text = key ? quoted_b64(key->x, key->x_len) : NULL;
    char padded[64];

    printf("# base64url padding\n");
    if (text != NULL && strlen(text) == 45) {
        snprintf(padded, sizeof(padded), "\"%.43s=\"", text + 1);
        CHECK_RESULT(parse_edited(key, "x", text), JWT_OK, "x without padding");
        CHECK_RESULT(parse_edited(key, "x", padded), JWT_ERR_KEY_INVALID, "x with padding");
    } else {
        CHECK(0, "test key encodes to 43 characters");
    }
    free(text);
    jwt_jwk_free(key);
}

static void
test_ec_rules(void)
{
    struct jwt_jwk *key = jwk_of(p256), *off = NULL, *k384 = jwk_of(p384);
    EVP_PKEY *pkey = NULL;
    unsigned char y[48] = {0};
    char *text = NULL, *edited = NULL;

    printf("# EC rules\n");
    if (key == NULL || k384 == NULL)
        goto out;
    CHECK_RESULT(parse_edited(key, "crv", "\"P-521\""), JWT_ERR_KEY_UNSUPPORTED, "crv P-521");
    CHECK_RESULT(parse_edited(key, "crv", "\"secp256k1\""), JWT_ERR_KEY_UNSUPPORTED,
                 "crv secp256k1");
    CHECK_RESULT(parse_edited(key, "crv", "\"P-384\""), JWT_ERR_KEY_INVALID,
                 "P-256 coordinates under crv P-384");
    CHECK_RESULT(parse_edited(k384, "crv", "\"P-256\""), JWT_ERR_KEY_INVALID,
                 "P-384 coordinates under crv P-256");
    CHECK_RESULT(parse_edited(key, "y", NULL), JWT_ERR_KEY_INVALID, "y missing");
    CHECK_RESULT(parse_with_bytes(key, "y", k384->y, 48), JWT_ERR_KEY_INVALID, "y of 48 bytes");
    CHECK_RESULT(parse_with_bytes(key, "y", key->y, 32), JWT_OK, "y of 32 bytes");
    /* One flipped bit of y moves the point off the curve. */
    memcpy(y, key->y, 32);
    y[31] ^= 1;
    text = quoted_b64(y, 32);
    edited = text ? jwk_text_edit(key, "y", text) : NULL;
    CHECK_RESULT(edited ? jwk_from_text(edited, &off) : JWT_ERR_NOMEM, JWT_OK,
                 "off-curve point parses (checked when built)");
    if (off != NULL)
        CHECK_RESULT(jwt_jwk_pkey(off, &pkey), JWT_ERR_KEY_INVALID, "off-curve point refused");
    CHECK(off == NULL || off->pkey == NULL, "nothing cached for a bad point");
    CHECK_RESULT(jwt_jwk_pkey(key, &pkey), JWT_OK, "on-curve point accepted");
out:
    free(edited);
    free(text);
    jwt_jwk_free(off);
    jwt_jwk_free(k384);
    jwt_jwk_free(key);
}

static void
test_rsa_exponents(const struct jwt_jwk *key)
{
    static const unsigned char e8[8] = {1, 0, 0, 0, 0, 0, 0, 1};
    static const unsigned char e9[9] = {1, 0, 0, 0, 0, 0, 0, 0, 1};

    CHECK_RESULT(parse_edited(key, "e", "\"AQAB\""), JWT_OK, "e 65537");
    CHECK_RESULT(parse_edited(key, "e", "\"Aw\""), JWT_OK, "e 3");
    CHECK_RESULT(parse_edited(key, "e", "\"AQAA\""), JWT_ERR_KEY_INVALID, "e even");
    CHECK_RESULT(parse_edited(key, "e", "\"AQ\""), JWT_ERR_KEY_INVALID, "e 1");
    CHECK_RESULT(parse_edited(key, "e", "\"\""), JWT_ERR_KEY_INVALID, "e empty");
    CHECK_RESULT(parse_edited(key, "e", "\"AAEAAQ\""), JWT_ERR_KEY_INVALID, "e leading zero");
    CHECK_RESULT(parse_with_bytes(key, "e", e8, 8), JWT_OK, "e of 8 bytes");
    CHECK_RESULT(parse_with_bytes(key, "e", e9, 9), JWT_ERR_KEY_INVALID, "e of 9 bytes");
    CHECK_RESULT(parse_edited(key, "e", NULL), JWT_ERR_KEY_INVALID, "e missing");
}

static void
test_rsa_rules(void)
{
    struct jwt_jwk *key = jwk_of(rsa2048);
    unsigned char *n = NULL, *big = NULL;
    BIGNUM *bn = NULL;
    size_t len;

    printf("# RSA rules\n");
    if (key == NULL || (n = calloc(1, key->n_len + 1)) == NULL)
        goto out;
    memcpy(n + 1, key->n, key->n_len);
    CHECK_RESULT(parse_with_bytes(key, "n", n + 1, key->n_len), JWT_OK, "n as is");
    CHECK_RESULT(parse_with_bytes(key, "n", n, key->n_len + 1), JWT_ERR_KEY_INVALID,
                 "n with a leading zero");
    n[key->n_len] ^= 1;
    CHECK_RESULT(parse_with_bytes(key, "n", n + 1, key->n_len), JWT_ERR_KEY_INVALID, "n even");
    CHECK_RESULT(parse_edited(key, "n", NULL), JWT_ERR_KEY_INVALID, "n missing");
    test_rsa_exponents(key);
    /* RSA 1024 written as a JWK by hand: well-formed, too small. */
    if (EVP_PKEY_get_bn_param(rsa1024, OSSL_PKEY_PARAM_RSA_N, &bn) == 1) {
        len = (size_t)BN_num_bytes(bn);
        if ((big = malloc(len)) != NULL && BN_bn2bin(bn, big) == (int)len)
            CHECK_RESULT(parse_with_bytes(key, "n", big, len), JWT_ERR_KEY_UNSUPPORTED,
                         "RSA 1024 unsupported");
        free(big);
    }
    /* 16392 bits: over JWT_RSA_MAX_BITS. */
    if ((big = malloc(JWT_RSA_MAX_BITS / 8 + 1)) != NULL) {
        memset(big, 0xff, JWT_RSA_MAX_BITS / 8 + 1);
        CHECK_RESULT(parse_with_bytes(key, "n", big, JWT_RSA_MAX_BITS / 8 + 1),
                     JWT_ERR_KEY_UNSUPPORTED, "RSA over the size limit");
        CHECK_RESULT(parse_with_bytes(key, "n", big, JWT_RSA_MAX_BITS / 8), JWT_OK,
                     "RSA at the size limit");
        free(big);
    }
out:
    BN_free(bn);
    free(n);
    jwt_jwk_free(key);
}

static void
test_common_rules(void)
{
    struct jwt_jwk *key = jwk_of(ed), *rsa = jwk_of(rsa2048);
    static const char *const privates[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};
    char kid[300];
    size_t i;

    printf("# members every key type shares\n");
    if (key == NULL || rsa == NULL)
        goto out;
    CHECK_RESULT(parse_edited(key, "kty", NULL), JWT_ERR_KEY_INVALID, "kty missing");
    CHECK_RESULT(parse_edited(key, "kty", "5"), JWT_ERR_KEY_INVALID, "kty a number");
    CHECK_RESULT(parse_edited(key, "kty", "\"foo\""), JWT_ERR_KEY_UNSUPPORTED, "kty unknown");
    CHECK_RESULT(parse_text("{\"kty\":\"oct\",\"k\":\"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"}"),
                 JWT_ERR_KEY_UNSUPPORTED, "oct key");
    for (i = 0; i < sizeof(privates) / sizeof(privates[0]); i++)
        CHECK_RESULT(parse_edited(rsa, privates[i], "\"AQAB\""), JWT_ERR_KEY_INVALID, privates[i]);
    CHECK_RESULT(parse_edited(key, "use", "\"sig\""), JWT_OK, "use sig");
    CHECK_RESULT(parse_edited(key, "use", "\"enc\""), JWT_ERR_KEY_UNSUPPORTED, "use enc");
    CHECK_RESULT(parse_edited(key, "use", "1"), JWT_ERR_KEY_INVALID, "use a number");
    CHECK_RESULT(parse_edited(key, "key_ops", "[\"verify\"]"), JWT_OK, "key_ops verify");
    CHECK_RESULT(parse_edited(key, "key_ops", "[\"sign\"]"), JWT_ERR_KEY_UNSUPPORTED,
                 "key_ops without verify");
    CHECK_RESULT(parse_edited(key, "key_ops", "\"verify\""), JWT_ERR_KEY_INVALID,
                 "key_ops a string");
    memset(kid, 'a', sizeof(kid));
    kid[0] = '"';
    strcpy(kid + 257, "\"");
    CHECK_RESULT(parse_edited(key, "kid", kid), JWT_OK, "kid of 256 bytes");
    strcpy(kid + 257, "a\"");
    CHECK_RESULT(parse_edited(key, "kid", kid), JWT_ERR_KEY_INVALID, "kid of 257 bytes");
    CHECK_RESULT(parse_edited(key, "kid", "3"), JWT_ERR_KEY_INVALID, "kid a number");
    CHECK_RESULT(parse_edited(key, "retired", "1700000000"), JWT_OK, "retired an integer");
    CHECK_RESULT(parse_edited(key, "retired", "\"soon\""), JWT_ERR_KEY_INVALID, "retired a string");
    CHECK_RESULT(parse_edited(key, "retired", "1.5"), JWT_ERR_KEY_INVALID, "retired a fraction");
    CHECK_RESULT(parse_edited(key, "retired", "-1"), JWT_ERR_KEY_INVALID, "retired negative");
out:
    jwt_jwk_free(rsa);
    jwt_jwk_free(key);
}

static void
test_alg_member(void)
{
    struct jwt_jwk *key = jwk_of(ed), *got = NULL;
    char *text = key ? jwk_text_edit(key, "alg", "\"EdDSA\"") : NULL;

    printf("# the alg member\n");
    CHECK_RESULT(text ? jwk_from_text(text, &got) : JWT_ERR_NOMEM, JWT_OK, "alg EdDSA");
    CHECK(got != NULL && got->has_alg && got->alg == JWT_ALG_EDDSA, "alg kept");
    CHECK(got != NULL && jwt_jwk_fits_alg(got, JWT_ALG_EDDSA), "fits its own alg");
    if (key != NULL) {
        CHECK_RESULT(parse_edited(key, "alg", "\"ES512\""), JWT_ERR_KEY_UNSUPPORTED, "alg ES512");
        CHECK_RESULT(parse_edited(key, "alg", "\"RSA-OAEP\""), JWT_ERR_KEY_UNSUPPORTED,
                     "alg RSA-OAEP");
        CHECK_RESULT(parse_edited(key, "alg", "\"HS256\""), JWT_ERR_KEY_UNSUPPORTED, "alg HS256");
        CHECK_RESULT(parse_edited(key, "alg", "\"none\""), JWT_ERR_KEY_UNSUPPORTED, "alg none");
        CHECK_RESULT(parse_edited(key, "alg", "7"), JWT_ERR_KEY_INVALID, "alg a number");
        CHECK_RESULT(parse_edited(key, "alg", "\"RS256\""), JWT_ERR_KEY_INVALID,
                     "alg of another key type");
    }
    free(text);
    jwt_jwk_free(got);
    jwt_jwk_free(key);
}

static void
test_not_an_object(void)
{
    struct json_object *arr = json_object_new_array();
    struct jwt_jwk *key = NULL;

    printf("# not an object\n");
    CHECK_RESULT(jwt_jwk_parse(arr, &key), JWT_ERR_KEY_INVALID, "array refused");
    CHECK(key == NULL, "no key");
    json_object_put(arr);
}

/* ---- thumbprint and serialisation ---- */

static void
test_thumbprint(void)
{
    struct jwt_jwk *key = NULL;
    char *t = NULL, *text = NULL;

    printf("# RFC 7638 thumbprint\n");
    CHECK_RESULT(jwk_from_text(rfc7638_key, &key), JWT_OK, "RFC 7638 key parses");
    if (key == NULL)
        return;
    CHECK_STR(key->kid, "2011-04-29", "kid");
    CHECK_INT(key->rsa_bits, 2048, "2048 bits");
    t = thumbprint_b64(key);
    CHECK_STR(t, rfc7638_thumbprint, "RFC 7638 §3.1 thumbprint");
    free(t);
    text = jwk_text_edit(key, "e", "\"Aw\"");
    jwt_jwk_free(key);
    key = NULL;
    CHECK_RESULT(text ? jwk_from_text(text, &key) : JWT_ERR_NOMEM, JWT_OK, "e changed");
    t = thumbprint_b64(key);
    CHECK(t != NULL && strcmp(t, rfc7638_thumbprint) != 0, "another key, another thumbprint");
    free(t);
    free(text);
    jwt_jwk_free(key);
}

static void
test_to_json_members(void)
{
    struct jwt_jwk *key = jwk_of(p384), *back = NULL;
    char *text = key ? jwk_text_edit(key, "kid", "\"k-1\"") : NULL, *text2 = NULL;

    printf("# to_json keeps kid, alg, retired\n");
    jwt_jwk_free(key);
    key = NULL;
    CHECK_RESULT(text ? jwk_from_text(text, &key) : JWT_ERR_NOMEM, JWT_OK, "with kid");
    if (key == NULL)
        goto out;
    key->has_alg = true;
    key->alg = JWT_ALG_ES384;
    key->retired = 1700000000;
    text2 = jwk_text_edit(key, NULL, NULL);
    CHECK_RESULT(text2 ? jwk_from_text(text2, &back) : JWT_ERR_NOMEM, JWT_OK, "re-parse");
    CHECK(back != NULL && back->has_alg && back->alg == JWT_ALG_ES384, "alg kept");
    CHECK_STR(back ? back->kid : NULL, "k-1", "kid kept");
    CHECK_INT(back ? back->retired : 0, 1700000000, "retired kept");
    CHECK(back != NULL && !jwt_jwk_fits_alg(back, JWT_ALG_ES256), "alg does not fit ES256");
out:
    free(text);
    free(text2);
    jwt_jwk_free(back);
    jwt_jwk_free(key);
}

/* ---- key sets ---- */

/* JSON text of pkey's JWK with the given kid (NULL: none) and extra member. */
static char *
member_text(EVP_PKEY *pkey, const char *kid, const char *name, const char *value)
{
    struct jwt_jwk *key = jwk_of(pkey);
    char *text = NULL, quoted[300];

    if (key == NULL)
        return NULL;
    if (kid != NULL) {
        snprintf(quoted, sizeof(quoted), "\"%s\"", kid);
        text = jwk_text_edit(key, "kid", quoted);
    } else {
        text = jwk_text_edit(key, NULL, NULL);
    }
    if (text != NULL && name != NULL) {
        struct jwt_jwk *tmp = NULL;
        if (jwk_from_text(text, &tmp) == JWT_OK) {
            free(text);
            text = jwk_text_edit(tmp, name, value);
        }
        jwt_jwk_free(tmp);
    }
    jwt_jwk_free(key);
    return text;
}

static char *
set_text(char *const *members, size_t n)
{
    size_t i, len = 16;
    char *s;

    for (i = 0; i < n; i++)
        len += (members[i] ? strlen(members[i]) : 4) + 1;
    if ((s = malloc(len)) == NULL)
        return NULL;
    strcpy(s, "{\"keys\":[");
    for (i = 0; i < n; i++) {
        if (i > 0)
            strcat(s, ",");
        strcat(s, members[i] ? members[i] : "null");
    }
    strcat(s, "]}");
    return s;
}

/* A 1024-bit RSA JWK with the given kid: well-formed, too small to use.
 * jwt_jwk_from_pkey refuses such a key, so it is written from a 2048-bit one. */
static char *
small_rsa_member(const char *kid)
{
    struct jwt_jwk *key = jwk_of(rsa2048);
    BIGNUM *bn = NULL;
    unsigned char n[128];
    char *quoted = NULL, *text = NULL;

    if (key == NULL || (key->kid = strdup(kid)) == NULL ||
        EVP_PKEY_get_bn_param(rsa1024, OSSL_PKEY_PARAM_RSA_N, &bn) != 1 ||
        BN_bn2binpad(bn, n, sizeof(n)) != (int)sizeof(n) ||
        (quoted = quoted_b64(n, sizeof(n))) == NULL)
        goto out;
    text = jwk_text_edit(key, "n", quoted);
out:
    free(quoted);
    BN_free(bn);
    jwt_jwk_free(key);
    return text;
}

static const char oct_member[] = "{\"kty\":\"oct\",\"kid\":\"sym\",\"k\":\"c2VjcmV0c2VjcmV0\"}";

static void
test_select_main(const struct jwt_jwks *set)
{
    struct jwt_jwk *k = NULL;

    CHECK_INT(set->n_keys, 6, "usable keys");
    CHECK_INT(set->n_unusable, 2, "refused kids");
    CHECK_RESULT(jwt_jwks_select(set, "ed1", JWT_ALG_EDDSA, &k), JWT_OK, "kid found");
    CHECK_STR(k ? k->kid : NULL, "ed1", "the named key");
    CHECK_RESULT(jwt_jwks_select(set, "ed1", JWT_ALG_ES256, &k), JWT_ERR_KEY_MISMATCH,
                 "kid found, alg mismatch");
    CHECK(k == NULL, "no key on mismatch");
    CHECK_RESULT(jwt_jwks_select(set, "nope", JWT_ALG_EDDSA, &k), JWT_ERR_KEY_NOT_FOUND,
                 "kid not found");
    CHECK_RESULT(jwt_jwks_select(set, "sym", JWT_ALG_EDDSA, &k), JWT_ERR_KEY_UNUSABLE,
                 "kid of an oct key");
    CHECK_RESULT(jwt_jwks_select(set, "small", JWT_ALG_RS256, &k), JWT_ERR_KEY_UNUSABLE,
                 "kid of a small RSA key");
    CHECK_RESULT(jwt_jwks_select(set, NULL, JWT_ALG_ES256, &k), JWT_ERR_KEY_AMBIGUOUS,
                 "two P-256 keys without kid");
    CHECK_RESULT(jwt_jwks_select(set, "ec2", JWT_ALG_ES256, &k), JWT_OK, "P-256 by kid");
    CHECK_STR(k ? k->kid : NULL, "ec2", "the second P-256 key");
    CHECK_RESULT(jwt_jwks_select(set, NULL, JWT_ALG_ES384, &k), JWT_OK, "only P-384 without kid");
    CHECK(k != NULL && k->crv == JWT_CRV_P384 && k->kid == NULL, "the P-384 key");
    CHECK_RESULT(jwt_jwks_select(set, NULL, JWT_ALG_RS256, &k), JWT_OK, "only RSA without kid");
    CHECK_RESULT(jwt_jwks_select(set, NULL, JWT_ALG_PS256, &k), JWT_ERR_KEY_NOT_FOUND,
                 "RSA key is for RS256 only");
    CHECK_RESULT(jwt_jwks_select(set, "rsa1", JWT_ALG_PS256, &k), JWT_ERR_KEY_MISMATCH,
                 "kid names an RS256-only key");
    CHECK_RESULT(jwt_jwks_select(set, NULL, JWT_ALG_HS256, &k), JWT_ERR_KEY_NOT_FOUND,
                 "HS256 selects nothing");
    CHECK_RESULT(jwt_jwks_select(set, NULL, JWT_ALG_EDDSA, &k), JWT_ERR_KEY_AMBIGUOUS,
                 "two Ed25519 keys without kid, one retired");
    CHECK_RESULT(jwt_jwks_select(set, "old", JWT_ALG_EDDSA, &k), JWT_OK, "retired key by kid");
    CHECK_INT(k ? k->retired : 0, 1600000000, "retired kept");
}

static void
test_jwks_select(void)
{
    char *m[8] = {NULL};
    char *text;
    struct jwt_jwks *set = NULL;
    struct jwt_jwk *k = NULL;
    size_t i;

    printf("# key set and key choice\n");
    m[0] = member_text(ed, "ed1", NULL, NULL);
    m[1] = member_text(p256, "ec1", NULL, NULL);
    m[2] = member_text(p256_b, "ec2", NULL, NULL);
    m[3] = strdup(oct_member);
    m[4] = member_text(rsa2048, "rsa1", "alg", "\"RS256\"");
    m[5] = member_text(p384, NULL, NULL, NULL);
    m[6] = member_text(ed_b, "old", "retired", "1600000000");
    m[7] = small_rsa_member("small");
    text = set_text(m, 8);
    CHECK_RESULT(text ? jwt_jwks_parse(text, strlen(text), &set) : JWT_ERR_NOMEM, JWT_OK,
                 "set parses");
    if (set != NULL)
        test_select_main(set);
    CHECK_RESULT(jwt_jwks_select(NULL, NULL, JWT_ALG_EDDSA, &k), JWT_ERR_KEY_NOT_FOUND, "no set");
    jwt_jwks_free(set);
    free(text);
    for (i = 0; i < 8; i++)
        free(m[i]);
}

static void
test_jwks_same_kid(void)
{
    char *m[2];
    char *text;
    struct jwt_jwks *set = NULL;
    struct jwt_jwk *k = NULL;

    printf("# two keys under one kid\n");
    m[0] = member_text(p256, "same", NULL, NULL);
    m[1] = member_text(p256_b, "same", NULL, NULL);
    text = set_text(m, 2);
    CHECK_RESULT(text ? jwt_jwks_parse(text, strlen(text), &set) : JWT_ERR_NOMEM, JWT_OK,
                 "set parses");
    CHECK_RESULT(jwt_jwks_select(set, "same", JWT_ALG_ES256, &k), JWT_ERR_KEY_AMBIGUOUS,
                 "both fit: ambiguous");
    jwt_jwks_free(set);
    free(text);
    free(m[1]);
    m[1] = member_text(p384, "same", NULL, NULL);
    text = set_text(m, 2);
    set = NULL;
    CHECK_RESULT(text ? jwt_jwks_parse(text, strlen(text), &set) : JWT_ERR_NOMEM, JWT_OK,
                 "set parses");
    CHECK_RESULT(jwt_jwks_select(set, "same", JWT_ALG_ES384, &k), JWT_OK, "only one fits");
    CHECK(k != NULL && k->crv == JWT_CRV_P384, "the P-384 key");
    jwt_jwks_free(set);
    free(text);
    free(m[0]);
    free(m[1]);
}

static jwt_result
jwks_result(const char *text)
{
    struct jwt_jwks *set = NULL;
    jwt_result r = jwt_jwks_parse(text, strlen(text), &set);

    jwt_jwks_free(set);
    return r;
}

static void
test_jwks_shape(void)
{
    char *good = member_text(ed, "a", NULL, NULL), *bad = member_text(ed, "b", "x", "\"AAAA\"");
    char *m[JWT_MAX_JWKS_KEYS + 1];
    char *text;
    size_t i;

    printf("# key set shape\n");
    CHECK_RESULT(jwks_result("[]"), JWT_ERR_KEY_INVALID, "array, not object");
    CHECK_RESULT(jwks_result("{}"), JWT_ERR_KEY_INVALID, "no keys member");
    CHECK_RESULT(jwks_result("{\"keys\":{}}"), JWT_ERR_KEY_INVALID, "keys an object");
    CHECK_RESULT(jwks_result("{\"keys\":[1]}"), JWT_ERR_KEY_INVALID, "key a number");
    CHECK_RESULT(jwks_result("{\"keys\":[]}"), JWT_ERR_KEYSET_EMPTY, "no keys");
    CHECK_RESULT(jwks_result("{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"}]}"), JWT_ERR_KEYSET_EMPTY,
                 "only unsupported keys");
    CHECK_RESULT(jwks_result("{\"keys\":[]"), JWT_ERR_KEY_INVALID, "truncated JSON");
    CHECK_RESULT(jwks_result("{\"keys\":[],\"keys\":[]}"), JWT_ERR_KEY_INVALID,
                 "duplicate keys member");
    m[0] = good;
    m[1] = bad;
    text = set_text(m, 2);
    CHECK_RESULT(text ? jwks_result(text) : JWT_ERR_NOMEM, JWT_ERR_KEY_INVALID,
                 "one malformed key fails the set");
    free(text);
    text = set_text(m, 1);
    CHECK_RESULT(text ? jwks_result(text) : JWT_ERR_NOMEM, JWT_OK, "the good key alone");
    free(text);
    for (i = 0; i <= JWT_MAX_JWKS_KEYS; i++)
        m[i] = good;
    text = set_text(m, JWT_MAX_JWKS_KEYS);
    CHECK_RESULT(text ? jwks_result(text) : JWT_ERR_NOMEM, JWT_OK, "64 keys");
    free(text);
    text = set_text(m, JWT_MAX_JWKS_KEYS + 1);
    CHECK_RESULT(text ? jwks_result(text) : JWT_ERR_NOMEM, JWT_ERR_KEY_INVALID, "65 keys");
    free(text);
    free(good);
    free(bad);
}

/* ---- files ---- */

static char *
file_write(const char *name, const char *data, size_t len, mode_t mode)
{
    char *path = malloc(strlen(tmpdir) + strlen(name) + 2);
    int fd;

    if (path == NULL)
        return NULL;
    sprintf(path, "%s/%s", tmpdir, name);
    unlink(path);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
        write(fd, data, len) != (ssize_t)len || fchmod(fd, mode) != 0) {
        if (fd >= 0)
            close(fd);
        free(path);
        return NULL;
    }
    close(fd);
    return path;
}

static void
test_jwks_load(void)
{
    char *m[1] = {member_text(p256, "f1", NULL, NULL)};
    char *text = set_text(m, 1), *path = NULL;
    struct jwt_jwks *set = NULL;
    struct jwt_jwk *k = NULL;

    printf("# key set from a file\n");
    path = text ? file_write("jwks.json", text, strlen(text), 0644) : NULL;
    CHECK_RESULT(path ? jwt_jwks_load(path, &set) : JWT_ERR_NOMEM, JWT_OK, "jwks file loads");
    CHECK_RESULT(jwt_jwks_select(set, "f1", JWT_ALG_ES256, &k), JWT_OK, "its key");
    jwt_jwks_free(set);
    set = NULL;
    if (path != NULL && chmod(path, 0666) == 0)
        CHECK_RESULT(jwt_jwks_load(path, &set), JWT_ERR_FILE_UNSAFE, "world-writable refused");
    CHECK(set == NULL, "no set");
    CHECK_RESULT(jwt_jwks_load("/nonexistent/jwks.json", &set), JWT_ERR_FILE_OPEN, "missing file");
    if (path != NULL)
        unlink(path);
    free(path);
    free(text);
    free(m[0]);
}

/* PEM text of pkey, public (SubjectPublicKeyInfo) or private (PKCS#8). */
static char *
pem_of(EVP_PKEY *pkey, bool private_key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL, *copy = NULL;
    long len;
    int ok;

    if (bio == NULL)
        return NULL;
    ok = private_key ? PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL)
                     : PEM_write_bio_PUBKEY(bio, pkey);
    if (ok == 1 && (len = BIO_get_mem_data(bio, &data)) > 0 &&
        (copy = malloc((size_t)len + 1)) != NULL) {
        memcpy(copy, data, (size_t)len);
        copy[len] = '\0';
    }
    BIO_free(bio);
    return copy;
}

static jwt_result
add_pem_text(const char *text, struct jwt_jwks **set)
{
    char *path = text ? file_write("key.pem", text, strlen(text), 0644) : NULL;
    jwt_result r = path ? jwt_jwks_add_pem(path, set) : JWT_ERR_NOMEM;

    if (path != NULL)
        unlink(path);
    free(path);
    return r;
}

static void
test_pem_refusals(struct jwt_jwks **set)
{
    char *priv = pem_of(ed, true), *p521_pem = pem_of(p521, false), *pub = pem_of(p384, false);
    char *two = NULL;

    CHECK_RESULT(add_pem_text(priv, set), JWT_ERR_KEY_INVALID, "private key PEM refused");
    CHECK_RESULT(add_pem_text(p521_pem, set), JWT_ERR_KEY_UNSUPPORTED, "P-521 PEM unsupported");
    CHECK_RESULT(add_pem_text("not a key\n", set), JWT_ERR_KEY_INVALID, "garbage refused");
    if (pub != NULL && (two = malloc(2 * strlen(pub) + 1)) != NULL) {
        strcpy(two, pub);
        strcat(two, pub);
    }
    CHECK_RESULT(add_pem_text(two, set), JWT_ERR_KEY_INVALID, "two PEM blocks refused");
    CHECK_RESULT(add_pem_text(pub, set), JWT_OK, "one of them alone");
    free(two);
    free(pub);
    free(p521_pem);
    free(priv);
}

static void
test_pem(void)
{
    char *pub = pem_of(p256, false), *pub_ed = pem_of(ed, false), *t = NULL;
    struct jwt_jwks *set = NULL;
    struct jwt_jwk *k = NULL;

    printf("# PEM key files\n");
    CHECK_RESULT(add_pem_text(pub, &set), JWT_OK, "public key PEM");
    CHECK(set != NULL && set->n_keys == 1, "set created with one key");
    if (set == NULL)
        goto out;
    t = thumbprint_b64(set->keys[0]);
    CHECK(t != NULL && set->keys[0]->kid != NULL && strlen(set->keys[0]->kid) == 16 &&
              strncmp(t, set->keys[0]->kid, 16) == 0,
          "kid is the thumbprint's first 16 characters");
    CHECK_RESULT(add_pem_text(pub_ed, &set), JWT_OK, "second PEM appended");
    CHECK_INT(set->n_keys, 2, "two keys");
    CHECK_RESULT(jwt_jwks_select(set, NULL, JWT_ALG_EDDSA, &k), JWT_OK, "Ed25519 selectable");
    CHECK_RESULT(jwt_jwks_select(set, NULL, JWT_ALG_ES256, &k), JWT_OK, "P-256 selectable");
    test_pem_refusals(&set);
    CHECK_INT(set->n_keys, 3, "refusals added nothing");
    CHECK_RESULT(jwt_jwks_add_pem("/nonexistent/key.pem", &set), JWT_ERR_FILE_OPEN, "missing");
out:
    free(t);
    jwt_jwks_free(set);
    free(pub);
    free(pub_ed);
}

static bool
keys_generate(void)
{
    ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    ed_b = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    x25519 = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    p256_b = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
    rsa2048 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    return ed && ed_b && x25519 && p256 && p256_b && p384 && p521 && rsa2048 && rsa1024;
}

int
main(void)
{
    CHECK(sodium_init() >= 0, "sodium_init");
    if (!keys_generate() || mkdtemp(tmpdir) == NULL) {
        CHECK(0, "test keys and temp dir");
        return check_done();
    }
    test_roundtrip("Ed25519", ed, ed_b, JWT_KTY_OKP, JWT_CRV_ED25519, JWT_ALG_EDDSA, JWT_ALG_ES256);
    test_roundtrip("P-256", p256, p256_b, JWT_KTY_EC, JWT_CRV_P256, JWT_ALG_ES256, JWT_ALG_ES384);
    test_roundtrip("P-384", p384, p256, JWT_KTY_EC, JWT_CRV_P384, JWT_ALG_ES384, JWT_ALG_ES256);
    test_roundtrip("RSA 2048", rsa2048, ed, JWT_KTY_RSA, JWT_CRV_NONE, JWT_ALG_PS384,
                   JWT_ALG_EDDSA);
    test_from_pkey_refusals();
    test_okp_rules();
    test_b64_padding();
    test_ec_rules();
    test_rsa_rules();
    test_common_rules();
    test_alg_member();
    test_not_an_object();
    test_thumbprint();
    test_to_json_members();
    test_jwks_select();
    test_jwks_same_kid();
    test_jwks_shape();
    test_jwks_load();
    test_pem();
    rmdir(tmpdir);
    EVP_PKEY_free(ed);
    EVP_PKEY_free(ed_b);
    EVP_PKEY_free(x25519);
    EVP_PKEY_free(p256);
    EVP_PKEY_free(p256_b);
    EVP_PKEY_free(p384);
    EVP_PKEY_free(p521);
    EVP_PKEY_free(rsa2048);
    EVP_PKEY_free(rsa1024);
    return check_done();
}
