/* SPDX-License-Identifier: MIT */
/* Tests for the signer: generated and loaded keys sign tokens the verifier accepts. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/ecdsa.h>
#include <sodium.h>

#include "check.h"
#include "test_policy.h"
#include "jwt.h"
#include "secret.h"
#include "signer.h"

#define NOW 1800000000LL
#define N_ALGS 5

static const enum jwt_alg algs[N_ALGS] = {JWT_ALG_EDDSA, JWT_ALG_ES256, JWT_ALG_ES384,
                                          JWT_ALG_RS256, JWT_ALG_PS256};
/* Raw signature length for each: Ed25519, r||s of P-256 and P-384, RSA-2048. */
static const size_t sig_lens[N_ALGS] = {64, 64, 96, 256, 256};

static struct signer *signers[N_ALGS];
/* For each alg, a different key of the same type (RS256 and PS256 lend
 * each other theirs: RSA generation is slow under valgrind). */
static struct signer *others[N_ALGS];

static char dir[64];

/* ---- helpers ---- */

/* Returns the first 16 characters of key's RFC 7638 thumbprint, malloc'd. */
static char *
thumbprint_kid(const struct jwt_jwk *key)
{
    unsigned char tp[32];
    char *b64;

    if (jwt_jwk_thumbprint(key, tp) != JWT_OK || (b64 = jwt_b64url_encode(tp, sizeof(tp))) == NULL)
        return NULL;
    b64[16] = '\0';
    return b64;
}

/* Builds a one-key set from pub (through its JSON, as jwks.json would carry it). */
static struct jwt_jwks *
set_of_jwk(const struct jwt_jwk *pub)
{
    struct json_object *wrap = json_object_new_object(), *arr = json_object_new_array();
    struct json_object *jwk = jwt_jwk_to_json(pub);
    struct jwt_jwks *set = NULL;
    const char *text;

    if (wrap == NULL || arr == NULL || jwk == NULL)
        exit(99);
    json_object_array_add(arr, jwk);
    json_object_object_add(wrap, "keys", arr);
    text = json_object_to_json_string_ext(wrap, JSON_C_TO_STRING_PLAIN);
    if (jwt_jwks_parse(text, strlen(text), &set) != JWT_OK)
        set = NULL;
    json_object_put(wrap);
    return set;
}

/* The set that should verify s's tokens: its own public JWK. */
static struct jwt_jwks *
set_of(const struct signer *s)
{
    struct jwt_jwk *pub = NULL;
    struct jwt_jwks *set;

    if (signer_public_jwk(s, &pub) != JWT_OK)
        return NULL;
    set = set_of_jwk(pub);
    jwt_jwk_free(pub);
    return set;
}

/* A set holding other's key dressed as s's: same kid and alg, wrong key. */
static struct jwt_jwks *
impostor_set_of(const struct signer *s, const struct signer *other)
{
    struct jwt_jwk *pub = NULL;
    struct jwt_jwks *set;

    if (signer_public_jwk(other, &pub) != JWT_OK)
        return NULL;
    free(pub->kid);
    pub->kid = strdup(signer_kid(s));
    pub->alg = signer_alg(s);
    set = set_of_jwk(pub);
    jwt_jwk_free(pub);
    return set;
}

static struct json_object *
make_claims(void)
{
    struct json_object *c = json_object_new_object();

    json_object_object_add(c, "sub", json_object_new_string("alice"));
    json_object_object_add(c, "iat", json_object_new_int64(NOW));
    json_object_object_add(c, "exp", json_object_new_int64(NOW + 300));
    json_object_object_add(c, "jti", json_object_new_string("jti-1"));
    return c;
}

static char *
sign_claims(const struct signer *s, const char *typ)
{
    struct json_object *c = make_claims();
    char *token = NULL;

    if (signer_sign_claims(s, c, typ, &token) != JWT_OK)
        token = NULL;
    json_object_put(c);
    return token;
}

/* Verifies token against set at NOW with the default policy. */
static jwt_result
verify(const char *token, struct jwt_jwks *set, char **kid_out)
{
    struct jwt_policy p;
    struct jwt_verified v;
    jwt_result r;

    if (token == NULL || set == NULL)
        return JWT_ERR_INTERNAL;
    test_policy_defaults(&p);
    p.now = NOW;
    p.user = "alice";
    r = jwt_verify(token, strlen(token), set, &p, &v);
    if (kid_out != NULL)
        *kid_out = v.kid != NULL ? strdup(v.kid) : NULL;
    jwt_verified_clear(&v);
    return r;
}

/* Decodes segment i (0, 1, 2) of token; returns malloc'd bytes or NULL. */
static unsigned char *
segment(const char *token, int i, size_t *len)
{
    const char *start = token, *end;
    unsigned char *out = NULL;

    for (int k = 0; k < i && start != NULL; k++)
        if ((start = strchr(start, '.')) != NULL)
            start++;
    if (start == NULL)
        return NULL;
    end = strchr(start, '.');
    if (end == NULL)
        end = start + strlen(start);
    if (jwt_b64url_decode(start, (size_t)(end - start), &out, len) != JWT_OK)
        return NULL;
    return out;
}

/* ---- generated keys sign verifiable tokens ---- */

static void
test_generate(size_t i)
{
    struct signer *s = signers[i];
    struct jwt_jwk *pub = NULL, *other_pub = NULL;
    char *kid = NULL, *other_kid = NULL, *token, *got_kid = NULL;
    const char *name = jwt_alg_name(algs[i]);
    struct jwt_jwks *own = set_of(s), *impostor = impostor_set_of(s, others[i]);
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    char what[128];

#define WHAT(text) (snprintf(what, sizeof(what), "%s: %s", name, (text)), what)
    CHECK_INT(signer_alg(s), algs[i], WHAT("alg as generated"));
    CHECK_INT(strlen(signer_kid(s)), SIGNER_KID_LEN, WHAT("kid has 16 characters"));
    if (signer_public_jwk(s, &pub) != JWT_OK || signer_public_jwk(others[i], &other_pub) != JWT_OK)
        exit(99);
    kid = thumbprint_kid(pub);
    other_kid = thumbprint_kid(other_pub);
    CHECK_STR(signer_kid(s), kid, WHAT("kid is the thumbprint's first 16 characters"));
    CHECK(other_kid != NULL && strcmp(signer_kid(s), other_kid) != 0,
          WHAT("another key's thumbprint gives another kid"));
    CHECK(pub->has_alg && pub->alg == algs[i] && jwt_jwk_fits_alg(pub, algs[i]),
          WHAT("public JWK carries the alg and fits it"));

    token = sign_claims(s, "JWT");
    CHECK(token != NULL, WHAT("signs claims"));
    CHECK_RESULT(verify(token, own, &got_kid), JWT_OK, WHAT("token verifies with its JWK"));
    CHECK_STR(got_kid, signer_kid(s), WHAT("verified kid"));
    CHECK_RESULT(verify(token, impostor, NULL), JWT_ERR_BAD_SIGNATURE,
                 WHAT("another key under the same kid: bad signature"));
    if (token != NULL) {
        char *dot = strchr(token, '.');
        dot[2] = dot[2] == 'A' ? 'B' : 'A'; /* change the payload */
        CHECK_RESULT(verify(token, own, NULL), JWT_ERR_BAD_SIGNATURE,
                     WHAT("changed payload: bad signature"));
        sig = segment(token, 2, &sig_len);
    }
    CHECK_INT(sig_len, sig_lens[i], WHAT("raw signature length"));
    free(sig);
    secret_free_str(token);
    free(got_kid);
    free(kid);
    free(other_kid);
    jwt_jwk_free(pub);
    jwt_jwk_free(other_pub);
    jwt_jwks_free(own);
    jwt_jwks_free(impostor);
#undef WHAT
}

static void
test_header(void)
{
    const struct signer *s = signers[0];
    char want[128], *token;
    unsigned char *h;
    size_t len = 0;

    token = sign_claims(s, "at+jwt");
    h = token != NULL ? segment(token, 0, &len) : NULL;
    snprintf(want, sizeof(want), "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}",
             signer_kid(s));
    CHECK_STR((char *)h, want, "header: alg, typ, kid in that order, compact");
    free(h);
    secret_free_str(token);

    token = sign_claims(s, NULL);
    h = token != NULL ? segment(token, 0, &len) : NULL;
    snprintf(want, sizeof(want), "{\"alg\":\"EdDSA\",\"kid\":\"%s\"}", signer_kid(s));
    CHECK_STR((char *)h, want, "header without typ when typ is NULL");
    free(h);
    h = token != NULL ? segment(token, 1, &len) : NULL;
    CHECK_STR((char *)h,
              "{\"sub\":\"alice\",\"iat\":1800000000,\"exp\":1800000300,\"jti\":\"jti-1\"}",
              "payload: the claims, compact");
    free(h);
    secret_free_str(token);
}

/* ES signatures are raw r||s padded to the field size: many signatures, so
 * that some r or s has leading zero bytes; and a DER signature is refused. */
static void
test_ecdsa_raw(size_t i, int rounds)
{
    struct jwt_jwks *own = set_of(signers[i]);
    size_t field = sig_lens[i] / 2;
    int bad = 0, short_halves = 0;
    char *token = NULL, what[96];

    /* Go on past rounds until some r or s was short (1 in 128 signatures). */
    for (int k = 0; k < rounds || (short_halves == 0 && k < 4000); k++) {
        unsigned char *sig;
        size_t len = 0;
        secret_free_str(token);
        token = sign_claims(signers[i], NULL);
        sig = token != NULL ? segment(token, 2, &len) : NULL;
        if (sig == NULL || len != 2 * field || verify(token, own, NULL) != JWT_OK)
            bad++;
        else if (sig[0] == 0 || sig[field] == 0)
            short_halves++;
        free(sig);
    }
    snprintf(what, sizeof(what), "%s: signatures all %zu bytes and valid", jwt_alg_name(algs[i]),
             2 * field);
    CHECK_INT(bad, 0, what);
    snprintf(what, sizeof(what), "%s: some had an r or s with a leading zero byte (padded)",
             jwt_alg_name(algs[i]));
    CHECK(short_halves > 0, what);

    if (token != NULL) {
        /* Re-encode the last signature as DER (what OpenSSL emits). */
        size_t len = 0;
        unsigned char *raw = segment(token, 2, &len), *der = NULL;
        ECDSA_SIG *es = ECDSA_SIG_new();
        char *der_b64, *forged, *last_dot = strrchr(token, '.');
        int der_len;

        ECDSA_SIG_set0(es, BN_bin2bn(raw, (int)field, NULL),
                       BN_bin2bn(raw + field, (int)field, NULL));
        der_len = i2d_ECDSA_SIG(es, &der);
        der_b64 = jwt_b64url_encode(der, (size_t)der_len);
        forged = malloc((size_t)(last_dot - token) + 2 + strlen(der_b64));
        sprintf(forged, "%.*s.%s", (int)(last_dot - token), token, der_b64);
        CHECK_RESULT(verify(forged, own, NULL), JWT_ERR_SIG_LENGTH,
                     "the same signature in DER is refused");
        sprintf(forged, "%.*s.%s", (int)(last_dot - token), token, last_dot + 1);
        CHECK_RESULT(verify(forged, own, NULL), JWT_OK, "its raw form is accepted");
        free(forged);
        free(der_b64);
        OPENSSL_free(der);
        ECDSA_SIG_free(es);
        free(raw);
    }
    secret_free_str(token);
    jwt_jwks_free(own);
}

/* ---- private JWK round trip ---- */

static bool
json_has(const char *text, const char *member)
{
    struct json_object *o = json_tokener_parse(text);
    bool has = o != NULL && json_object_object_get_ex(o, member, NULL);

    json_object_put(o);
    return has;
}

static void
test_round_trip(size_t i)
{
    struct signer *s = signers[i], *back = NULL;
    char *text = NULL, *again = NULL, *token = NULL, what[128];
    struct jwt_jwks *own = set_of(s), *back_set = NULL;
    const char *name = jwt_alg_name(algs[i]);
    bool rsa = algs[i] == JWT_ALG_RS256 || algs[i] == JWT_ALG_PS256;

#define WHAT(text) (snprintf(what, sizeof(what), "%s: %s", name, (text)), what)
    CHECK_RESULT(signer_private_jwk_json(s, &text), JWT_OK, WHAT("private JWK exported"));
    if (text == NULL)
        goto out;
    CHECK_RESULT(signer_private_jwk_json(s, &again), JWT_OK, WHAT("exported again"));
    CHECK_STR(again, text, WHAT("export is deterministic"));
    CHECK(json_has(text, "d") && json_has(text, "kid") && json_has(text, "alg"),
          WHAT("export has d, kid and alg"));
    CHECK(!rsa || (json_has(text, "p") && json_has(text, "q") && json_has(text, "dp") &&
                   json_has(text, "dq") && json_has(text, "qi")),
          WHAT("RSA export has p, q, dp, dq, qi"));
    CHECK(strchr(text, '\n') == NULL, WHAT("export is one line"));
    CHECK_RESULT(signer_from_jwk_json(text, strlen(text), &back), JWT_OK, WHAT("loads back"));
    if (back == NULL)
        goto out;
    CHECK_STR(signer_kid(back), signer_kid(s), WHAT("same kid"));
    CHECK_INT(signer_alg(back), algs[i], WHAT("same alg"));
    token = sign_claims(back, "JWT");
    CHECK_RESULT(verify(token, own, NULL), JWT_OK, WHAT("loaded key's token verifies"));
    secret_free_str(token);
    token = sign_claims(s, "JWT");
    back_set = set_of(back);
    CHECK_RESULT(verify(token, back_set, NULL), JWT_OK,
                 WHAT("original's token verifies with the loaded key's JWK"));
out:
    secret_free_str(token);
    secret_free_str(text);
    secret_free_str(again);
    signer_free(back);
    jwt_jwks_free(own);
    jwt_jwks_free(back_set);
#undef WHAT
}

/* ---- refusals ---- */

/* Returns s's private JWK as a json object (the caller puts it). */
static struct json_object *
private_obj(const struct signer *s)
{
    char *text = NULL;
    struct json_object *o;

    if (signer_private_jwk_json(s, &text) != JWT_OK)
        exit(99);
    o = json_tokener_parse(text);
    secret_free_str(text);
    return o;
}

/* Loads o serialised; returns the result and, when wanted, the kid. */
static jwt_result
load_obj(struct json_object *o, char **kid)
{
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    struct signer *s = NULL;
    jwt_result r = signer_from_jwk_json(text, strlen(text), &s);

    if (r != JWT_OK && s != NULL)
        r = JWT_ERR_INTERNAL; /* *out must stay NULL on error */
    if (kid != NULL)
        *kid = s != NULL ? strdup(signer_kid(s)) : NULL;
    signer_free(s);
    return r;
}

/* Loads text[0..len) and returns the result. */
static jwt_result
load_text(const char *text, size_t len)
{
    struct signer *s = NULL;
    jwt_result r = signer_from_jwk_json(text, len, &s);

    if (r != JWT_OK && s != NULL)
        r = JWT_ERR_INTERNAL;
    signer_free(s);
    return r;
}

/* Loads s's private JWK with member set to value (a string; NULL removes it). */
static jwt_result
load_edited(const struct signer *s, const char *member, const char *value)
{
    struct json_object *o = private_obj(s);
    jwt_result r;

    if (value == NULL)
        json_object_object_del(o, member);
    else
        json_object_object_add(o, member, json_object_new_string(value));
    r = load_obj(o, NULL);
    json_object_put(o);
    return r;
}

/* Loads s's private JWK with the listed members taken from other's. */
static jwt_result
load_mixed(const struct signer *s, const struct signer *other, const char *const *members)
{
    struct json_object *o = private_obj(s), *p = private_obj(other), *v;
    jwt_result r;

    for (; *members != NULL; members++) {
        if (!json_object_object_get_ex(p, *members, &v))
            exit(99);
        json_object_object_add(o, *members, json_object_get(v));
    }
    r = load_obj(o, NULL);
    json_object_put(o);
    json_object_put(p);
    return r;
}

static void
test_pair_mismatch(void)
{
    static const char *const x[] = {"x", NULL}, *const d[] = {"d", NULL};
    static const char *const xy[] = {"x", "y", NULL}, *const y[] = {"y", NULL};
    static const char *const n[] = {"n", NULL}, *const none[] = {NULL};

    CHECK_RESULT(load_mixed(signers[0], others[0], none), JWT_OK, "EdDSA: own x and d load");
    CHECK_RESULT(load_mixed(signers[0], others[0], x), JWT_ERR_KEY_INVALID,
                 "EdDSA: x of another key refused");
    CHECK_RESULT(load_mixed(signers[0], others[0], d), JWT_ERR_KEY_INVALID,
                 "EdDSA: d of another key refused");
    CHECK_RESULT(load_mixed(signers[1], others[1], none), JWT_OK, "ES256: own x, y, d load");
    CHECK_RESULT(load_mixed(signers[1], others[1], xy), JWT_ERR_KEY_INVALID,
                 "ES256: x, y of another key refused");
    CHECK_RESULT(load_mixed(signers[1], others[1], y), JWT_ERR_KEY_INVALID,
                 "ES256: y of another key (point off the curve) refused");
    CHECK_RESULT(load_mixed(signers[2], others[2], d), JWT_ERR_KEY_INVALID,
                 "ES384: d of another key refused");
    CHECK_RESULT(load_mixed(signers[3], others[3], none), JWT_OK, "RS256: own members load");
    CHECK_RESULT(load_mixed(signers[3], others[3], n), JWT_ERR_KEY_INVALID,
                 "RS256: n of another key refused");
    CHECK_RESULT(load_mixed(signers[3], others[3], d), JWT_ERR_KEY_INVALID,
                 "RS256: d of another key refused");
}

static void
test_alg_fit(void)
{
    static const struct {
        size_t key;
        const char *alg;
        jwt_result want;
    } cases[] = {
        {0, "EdDSA", JWT_OK},
        {0, "ES256", JWT_ERR_KEY_MISMATCH},
        {0, "RS256", JWT_ERR_KEY_MISMATCH},
        {1, "ES256", JWT_OK},
        {1, "ES384", JWT_ERR_KEY_MISMATCH},
        {1, "EdDSA", JWT_ERR_KEY_MISMATCH},
        {2, "ES384", JWT_OK},
        {2, "ES256", JWT_ERR_KEY_MISMATCH},
        {3, "PS512", JWT_OK},
        {3, "RS384", JWT_OK},
        {3, "ES256", JWT_ERR_KEY_MISMATCH},
        {3, "EdDSA", JWT_ERR_KEY_MISMATCH},
        {0, "HS256", JWT_ERR_KEY_UNSUPPORTED},
        {3, "HS256", JWT_ERR_KEY_UNSUPPORTED},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char what[96];
        snprintf(what, sizeof(what), "%s key with alg %s", jwt_alg_name(algs[cases[i].key]),
                 cases[i].alg);
        CHECK_RESULT(load_edited(signers[cases[i].key], "alg", cases[i].alg), cases[i].want, what);
    }
    CHECK(load_edited(signers[0], "alg", "none") != JWT_OK, "alg none refused");
    CHECK(load_edited(signers[0], "alg", "eddsa") != JWT_OK, "alg in the wrong case refused");
    CHECK_RESULT(load_edited(signers[0], "alg", NULL), JWT_ERR_KEY_INVALID, "missing alg refused");
}

static void
test_other_refusals(void)
{
    struct json_object *o, *other;
    char *kid = NULL, *text;
    const char *t;
    size_t len;

    CHECK_RESULT(load_edited(signers[0], "d", NULL), JWT_ERR_KEY_INVALID,
                 "EdDSA public-only JWK refused");
    CHECK_RESULT(load_edited(signers[1], "d", NULL), JWT_ERR_KEY_INVALID,
                 "ES256 public-only JWK refused");
    o = private_obj(signers[3]);
    for (const char *const *m = (const char *const[]){"d", "p", "q", "dp", "dq", "qi", NULL};
         *m != NULL; m++)
        json_object_object_del(o, *m);
    CHECK_RESULT(load_obj(o, NULL), JWT_ERR_KEY_INVALID, "RSA public-only JWK refused");
    json_object_put(o);
    CHECK_RESULT(load_edited(signers[3], "qi", NULL), JWT_ERR_KEY_INVALID,
                 "RSA without qi refused");

    CHECK_RESULT(load_edited(signers[0], "use", "enc"), JWT_ERR_KEY_UNSUPPORTED, "use enc refused");
    CHECK_RESULT(load_edited(signers[0], "use", "sig"), JWT_OK, "use sig accepted");
    CHECK_RESULT(load_edited(signers[0], "use", NULL), JWT_OK, "no use accepted");
    CHECK_RESULT(load_edited(signers[0], "kty", "oct"), JWT_ERR_KEY_UNSUPPORTED, "kty oct refused");
    CHECK_RESULT(load_edited(signers[1], "crv", "P-521"), JWT_ERR_KEY_UNSUPPORTED,
                 "crv P-521 refused");
    CHECK_RESULT(load_edited(signers[0], "d", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                 JWT_ERR_KEY_INVALID, "Ed25519 d of 31 bytes refused");
    CHECK_RESULT(load_edited(signers[0], "d", "not base64url!"), JWT_ERR_KEY_INVALID,
                 "d not base64url refused");
    CHECK_RESULT(load_edited(signers[0], "kid", ""), JWT_ERR_KEY_INVALID, "empty kid refused");

    /* kid: a given one is kept, an absent one derived from the thumbprint. */
    o = private_obj(signers[0]);
    json_object_object_add(o, "kid", json_object_new_string("custom-kid"));
    CHECK_RESULT(load_obj(o, &kid), JWT_OK, "custom kid loads");
    CHECK_STR(kid, "custom-kid", "custom kid kept");
    free(kid);
    json_object_object_del(o, "kid");
    CHECK_RESULT(load_obj(o, &kid), JWT_OK, "JWK without kid loads");
    CHECK_STR(kid, signer_kid(signers[0]), "kid derived from the thumbprint");
    free(kid);
    json_object_put(o);

    o = private_obj(signers[3]);
    json_object_object_add(o, "oth", json_object_new_array());
    CHECK_RESULT(load_obj(o, NULL), JWT_ERR_KEY_UNSUPPORTED, "RSA with oth refused");
    json_object_put(o);

    /* Duplicate members: strict JSON refuses them before anything else. */
    o = private_obj(signers[0]);
    other = private_obj(others[0]);
    t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    len = strlen(t);
    text = malloc(len + 64);
    snprintf(text, len + 64, "{\"d\":\"%s\",%s",
             json_object_get_string(json_object_object_get(other, "d")), t + 1);
    CHECK_RESULT(load_text(text, strlen(text)), JWT_ERR_JSON, "duplicate d refused");
    snprintf(text, len + 64, "{\"alg\":\"EdDSA\",%s", t + 1);
    CHECK_RESULT(load_text(text, strlen(text)), JWT_ERR_JSON,
                 "duplicate alg with the same value refused");
    snprintf(text, len + 64, "%s x", t);
    CHECK_RESULT(load_text(text, strlen(text)), JWT_ERR_JSON, "trailing garbage refused");
    CHECK_RESULT(load_text(t, len), JWT_OK, "the untouched text loads");
    secret_free(text, len + 64);
    json_object_put(o);
    json_object_put(other);
    CHECK_RESULT(load_text("[]", 2), JWT_ERR_KEY_INVALID, "a JSON array is not a JWK");
    CHECK_RESULT(load_text("", 0), JWT_ERR_JSON, "empty text refused");
}

static void
test_generate_refusals(void)
{
    struct signer *s = (struct signer *)&s;

    CHECK_RESULT(signer_generate(JWT_ALG_HS256, 0, &s), JWT_ERR_KEY_UNSUPPORTED,
                 "generate HS256 refused");
    CHECK(s == NULL, "and gives nothing");
    CHECK_RESULT(signer_generate(JWT_ALG_RS256, 1024, &s), JWT_ERR_KEY_UNSUPPORTED,
                 "generate RSA-1024 refused");
    CHECK_RESULT(signer_generate(JWT_ALG_PS256, JWT_RSA_MIN_BITS - 1, &s), JWT_ERR_KEY_UNSUPPORTED,
                 "generate RSA of 2047 bits refused");
    CHECK_RESULT(signer_generate(JWT_ALG_ES256, 1024, &s), JWT_OK, "rsa_bits ignored for ES256");
    signer_free(s);
}

/* ---- loading from a file ---- */

static const char *
write_key_file(const char *name, const char *text, mode_t mode)
{
    static char path[128];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fchmod(fd, mode) != 0) {
        perror(path);
        exit(99);
    }
    close(fd);
    return path;
}

static void
test_load(void)
{
    char *text = NULL, link_path[128];
    struct signer *s = NULL;
    const char *path;

    if (signer_private_jwk_json(signers[1], &text) != JWT_OK)
        exit(99);
    path = write_key_file("signing.jwk", text, 0600);
    CHECK_RESULT(signer_load(path, &s), JWT_OK, "0600 signing.jwk loads");
    CHECK(s != NULL && strcmp(signer_kid(s), signer_kid(signers[1])) == 0, "with its kid");
    signer_free(s);
    s = NULL;

    snprintf(link_path, sizeof(link_path), "%s/link.jwk", dir);
    if (symlink(path, link_path) != 0)
        exit(99);
    CHECK_RESULT(signer_load(link_path, &s), JWT_ERR_FILE_OPEN, "symlink to signing.jwk refused");
    CHECK(s == NULL, "symlink: nothing loaded");

    path = write_key_file("signing.jwk", text, 0620);
    CHECK_RESULT(signer_load(path, &s), JWT_ERR_FILE_UNSAFE, "group-writable signing.jwk refused");
    CHECK(s == NULL, "group-writable: nothing loaded");
    path = write_key_file("signing.jwk", text, 0602);
    CHECK_RESULT(signer_load(path, &s), JWT_ERR_FILE_UNSAFE, "other-writable signing.jwk refused");
    path = write_key_file("signing.jwk", text, 0644);
    CHECK_RESULT(signer_load(path, &s), JWT_ERR_FILE_UNSAFE, "world-readable signing.jwk refused");
    path = write_key_file("signing.jwk", text, 0640);
    CHECK_RESULT(signer_load(path, &s), JWT_OK, "0640 signing.jwk (group may read) loads");
    signer_free(s);
    s = NULL;
    path = write_key_file("signing.jwk", "{\"kty\":\"OKP\"}", 0600);
    CHECK_RESULT(signer_load(path, &s), JWT_ERR_KEY_INVALID, "incomplete JWK file refused");
    unlink(link_path);
    unlink(path);
    rmdir(dir);
    secret_free_str(text);
}

int
main(void)
{
    if (sodium_init() < 0)
        return 99;
    snprintf(dir, sizeof(dir), "/tmp/test_signer.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return 99;
    for (size_t i = 0; i < N_ALGS; i++) {
        jwt_result r = signer_generate(algs[i], 2048, &signers[i]);
        CHECK_RESULT(r, JWT_OK, jwt_alg_name(algs[i]));
        if (r != JWT_OK)
            return check_done();
    }
    for (size_t i = 0; i < 3; i++)
        if (signer_generate(algs[i], 0, &others[i]) != JWT_OK)
            return 99;
    others[3] = signers[4];
    others[4] = signers[3];

    for (size_t i = 0; i < N_ALGS; i++)
        test_generate(i);
    test_header();
    test_ecdsa_raw(1, 300);
    test_ecdsa_raw(2, 150);
    for (size_t i = 0; i < N_ALGS; i++)
        test_round_trip(i);
    test_pair_mismatch();
    test_alg_fit();
    test_other_refusals();
    test_generate_refusals();
    test_load();

    for (size_t i = 0; i < N_ALGS; i++)
        signer_free(signers[i]);
    for (size_t i = 0; i < 3; i++)
        signer_free(others[i]);
    return check_done();
}
