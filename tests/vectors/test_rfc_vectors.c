/* SPDX-License-Identifier: MIT */
/* Runs the published JWS vectors (RFC 7515, 7520, 8037) and the RFC 7638
 * thumbprint through the core, each with a tampered twin that must fail. */
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jwt.h"
#include "check.h"
#include "test_policy.h"

#ifndef VECTORS_DIR
#error "VECTORS_DIR must name the source tests/vectors directory"
#endif

/* The exp of the RFC 7515 examples (1300819380, March 2011). */
#define RFC7515_EXP INT64_C(1300819380)

struct rfc_vector {
    const char *name; /* file stem under VECTORS_DIR/rfc */
    int64_t now;      /* 0: the real clock */
    jwt_result want;  /* the vector as published */
    bool want_sig_ok;
    jwt_result want_twin; /* one signature character changed */
};

static const struct rfc_vector vectors[] = {
    /* the RFC 7515 examples verify but expired in 2011 */
    {"rfc7515_a2", 0, JWT_ERR_EXPIRED, true, JWT_ERR_BAD_SIGNATURE},
    {"rfc7515_a3", 0, JWT_ERR_EXPIRED, true, JWT_ERR_BAD_SIGNATURE},
    /* ... and are accepted on a clock pinned before their exp */
    {"rfc7515_a2", RFC7515_EXP - 100, JWT_OK, true, JWT_ERR_BAD_SIGNATURE},
    {"rfc7515_a3", RFC7515_EXP - 100, JWT_OK, true, JWT_ERR_BAD_SIGNATURE},
    /* signed text that is no claims set: signature fine, payload refused */
    {"rfc8037_a4", 0, JWT_ERR_PAYLOAD, true, JWT_ERR_BAD_SIGNATURE},
    {"rfc7520_4_1", 0, JWT_ERR_PAYLOAD, true, JWT_ERR_BAD_SIGNATURE},
    {"rfc7520_4_2", 0, JWT_ERR_PAYLOAD, true, JWT_ERR_BAD_SIGNATURE},
    /* ES512 is not ours: refused at the header, before any signature work */
    {"rfc7520_4_3", 0, JWT_ERR_ALG_NOT_ALLOWED, false, JWT_ERR_ALG_NOT_ALLOWED},
};

/* Reads VECTORS_DIR/rfc/<stem><ext> whole, without its trailing newlines. */
static char *
vector_read(const char *stem, const char *ext, size_t *len)
{
    char path[512];
    FILE *f;
    char *buf = NULL;
    long size;

    snprintf(path, sizeof(path), "%s/rfc/%s%s", VECTORS_DIR, stem, ext);
    f = fopen(path, "rb");
    if (f == NULL)
        goto out;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out;
    buf = malloc((size_t)size + 1);
    if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
        goto out;
    }
    while (size > 0 && (buf[size - 1] == '\n' || buf[size - 1] == '\r'))
        size--;
    buf[size] = '\0';
    *len = (size_t)size;
out:
    if (f != NULL)
        fclose(f);
    if (buf == NULL)
        printf("# cannot read %s\n", path);
    return buf;
}

/* Changes the character in the middle of the token's signature segment: a
 * middle character carries six significant bits, so the result still decodes
 * to a signature of the same length (the last one may not: canonical bits). */
static bool
signature_flip(char *token, size_t len)
{
    char *sig = strrchr(token, '.');
    size_t sig_len, mid;

    if (sig == NULL)
        return false;
    sig++;
    sig_len = len - (size_t)(sig - token);
    if (sig_len < 4)
        return false;
    mid = sig_len / 2;
    sig[mid] = sig[mid] == 'A' ? 'B' : 'A';
    return true;
}

/* Verifies token with the key set of the vector and checks the outcome. */
static void
verify_check(const char *token, size_t len, struct jwt_jwks *keys, int64_t now, jwt_result want,
             bool want_sig_ok, const char *what)
{
    struct jwt_policy policy;
    struct jwt_verified v;
    char label[160];
    jwt_result r;

    test_policy_defaults(&policy);
    if (now != 0)
        policy.now = now;
    r = jwt_verify(token, len, keys, &policy, &v);
    snprintf(label, sizeof(label), "%s: %s", what, jwt_result_str(want));
    CHECK_RESULT(r, want, label);
    snprintf(label, sizeof(label), "%s: signature %s", what,
             want_sig_ok ? "verified" : "not verified");
    CHECK_INT(v.sig_ok, want_sig_ok, label);
    snprintf(label, sizeof(label), "%s: reason names the result", what);
    CHECK(strncmp(v.reason, jwt_result_str(want), strlen(jwt_result_str(want))) == 0, label);
    jwt_verified_clear(&v);
}

/* Checks the facts jwt_verify reports for an accepted RFC 7515 example. */
static void
accepted_facts_check(const char *token, size_t len, struct jwt_jwks *keys, const char *stem)
{
    struct jwt_policy policy;
    struct jwt_verified v;
    char label[160];

    test_policy_defaults(&policy);
    policy.now = RFC7515_EXP - 100;
    if (jwt_verify(token, len, keys, &policy, &v) != JWT_OK) {
        jwt_verified_clear(&v);
        return;
    }
    snprintf(label, sizeof(label), "%s: exp reported", stem);
    CHECK_INT(v.exp, RFC7515_EXP, label);
    snprintf(label, sizeof(label), "%s: iss reported", stem);
    CHECK_STR(v.iss, "joe", label);
    jwt_verified_clear(&v);
}

static void
vector_run(const struct rfc_vector *vec)
{
    char *token = NULL, *jwks_text = NULL;
    size_t token_len = 0, jwks_len = 0;
    struct jwt_jwks *keys = NULL;
    char label[160];

    token = vector_read(vec->name, ".jwt", &token_len);
    jwks_text = vector_read(vec->name, ".jwks", &jwks_len);
    snprintf(label, sizeof(label), "%s: data files read", vec->name);
    CHECK(token != NULL && jwks_text != NULL, label);
    if (token == NULL || jwks_text == NULL)
        goto out;
    snprintf(label, sizeof(label), "%s: key set parses", vec->name);
    CHECK_RESULT(jwt_jwks_parse(jwks_text, jwks_len, &keys), JWT_OK, label);
    if (keys == NULL)
        goto out;
    snprintf(label, sizeof(label), "%s%s", vec->name, vec->now != 0 ? " (clock of 2011)" : "");
    verify_check(token, token_len, keys, vec->now, vec->want, vec->want_sig_ok, label);
    if (vec->want == JWT_OK)
        accepted_facts_check(token, token_len, keys, vec->name);
    snprintf(label, sizeof(label), "%s%s, one signature character changed", vec->name,
             vec->now != 0 ? " (clock of 2011)" : "");
    CHECK(signature_flip(token, token_len), label);
    verify_check(token, token_len, keys, vec->now, vec->want_twin, false, label);
out:
    jwt_jwks_free(keys);
    free(token);
    free(jwks_text);
}

/* Computes the RFC 7638 thumbprint of text[0..len) as base64url into *out. */
static jwt_result
thumbprint_b64(const char *text, size_t len, char **out)
{
    struct json_object *obj = NULL;
    struct jwt_jwk *key = NULL;
    unsigned char digest[32];
    jwt_result r;

    *out = NULL;
    r = jwt_json_parse_object(text, len, &obj);
    if (r != JWT_OK)
        goto out;
    r = jwt_jwk_parse(obj, &key);
    if (r != JWT_OK)
        goto out;
    r = jwt_jwk_thumbprint(key, digest);
    if (r != JWT_OK)
        goto out;
    *out = jwt_b64url_encode(digest, sizeof(digest));
    if (*out == NULL)
        r = JWT_ERR_NOMEM;
out:
    jwt_jwk_free(key);
    json_object_put(obj);
    return r;
}

static void
thumbprint_run(void)
{
    char *jwk_text, *want, *got = NULL, *n;
    size_t jwk_len = 0, want_len = 0;

    jwk_text = vector_read("rfc7638_3_1", ".jwk", &jwk_len);
    want = vector_read("rfc7638_3_1", ".thumbprint", &want_len);
    CHECK(jwk_text != NULL && want != NULL, "rfc7638_3_1: data files read");
    if (jwk_text == NULL || want == NULL)
        goto out;
    CHECK_RESULT(thumbprint_b64(jwk_text, jwk_len, &got), JWT_OK,
                 "rfc7638_3_1: thumbprint computed");
    CHECK_STR(got, want, "rfc7638_3_1: thumbprint is the published one");
    free(got);
    got = NULL;
    /* twin: one character of n changed gives another thumbprint */
    n = strstr(jwk_text, "\"n\":\"");
    CHECK(n != NULL, "rfc7638_3_1: n found");
    if (n == NULL)
        goto out;
    n[5 + 100] = n[5 + 100] == 'A' ? 'B' : 'A';
    CHECK_RESULT(thumbprint_b64(jwk_text, jwk_len, &got), JWT_OK,
                 "rfc7638_3_1, n changed: thumbprint computed");
    CHECK(got != NULL && strcmp(got, want) != 0, "rfc7638_3_1, n changed: thumbprint differs");
out:
    free(got);
    free(jwk_text);
    free(want);
}

int
main(void)
{
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
        vector_run(&vectors[i]);
    thumbprint_run();
    return check_done();
}
