/* SPDX-License-Identifier: MIT */
/* Tests for the whole verification path with real Ed25519 keys. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "check.h"
#include "jwt.h"

#define NOW 1800000000LL

struct test_key {
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
};

static struct test_key key_a, key_b;

/* Signs header.payload with k and returns a malloc'd compact token. */
static char *
sign_token(const struct test_key *k, const char *header, const char *payload)
{
    char *h = jwt_b64url_encode((const unsigned char *)header, strlen(header));
    char *p = jwt_b64url_encode((const unsigned char *)payload, strlen(payload));
    size_t in_len = strlen(h) + 1 + strlen(p);
    char *token = malloc(in_len + 100);
    unsigned char sig[crypto_sign_BYTES];
    char *s;

    snprintf(token, in_len + 100, "%s.%s", h, p);
    crypto_sign_detached(sig, NULL, (const unsigned char *)token, in_len, k->sk);
    s = jwt_b64url_encode(sig, sizeof(sig));
    snprintf(token + in_len, 100, ".%s", s);
    free(h);
    free(p);
    free(s);
    return token;
}

static struct jwt_jwks *
make_set(int both_keys)
{
    char *xa = jwt_b64url_encode(key_a.pk, 32), *xb = jwt_b64url_encode(key_b.pk, 32);
    char text[1024];
    struct jwt_jwks *set = NULL;

    snprintf(text, sizeof(text),
             "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"a\",\"x\":\"%s\"}%s%s%s]}",
             xa, both_keys ? ",{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"b\",\"x\":\"" : "",
             both_keys ? xb : "", both_keys ? "\"}" : "");
    if (jwt_jwks_parse(text, strlen(text), &set) != JWT_OK)
        set = NULL;
    free(xa);
    free(xb);
    return set;
}

static const char *const good_payload =
    "{\"iss\":\"i\",\"sub\":\"alice\",\"aud\":\"pam\",\"exp\":1800000300,\"iat\":1800000000,"
    "\"jti\":\"j-1\",\"scope\":\"ssh sudo\"}";

static jwt_result
verify(struct jwt_jwks *set, const char *token, struct jwt_verified *v)
{
    struct jwt_policy p;

    jwt_policy_init(&p);
    p.now = NOW;
    p.user = "alice";
    return jwt_verify(token, strlen(token), set, &p, v);
}

static void
test_good_and_tampered(struct jwt_jwks *set)
{
    struct jwt_verified v;
    char *t = sign_token(&key_a, "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"a\"}", good_payload);

    CHECK_RESULT(verify(set, t, &v), JWT_OK, "valid token accepted");
    CHECK(v.sig_ok, "signature reported verified");
    CHECK_STR(v.kid, "a", "kid reported");
    CHECK_STR(v.jti, "j-1", "jti reported");
    CHECK_STR(v.subject, "alice", "subject reported");
    CHECK_STR(v.reason, "ok", "reason ok");
    jwt_verified_clear(&v);
    t[strlen(t) / 2] = t[strlen(t) / 2] == 'A' ? 'B' : 'A'; /* inside the payload */
    CHECK_RESULT(verify(set, t, &v), JWT_ERR_BAD_SIGNATURE, "tampered payload refused");
    CHECK(!v.sig_ok && v.kid == NULL && v.jti == NULL, "nothing of an unverified token kept");
    CHECK_STR(v.reason, "bad signature", "reason bad signature");
    jwt_verified_clear(&v);
    free(t);
}

static void
test_order_of_checks(struct jwt_jwks *set)
{
    struct jwt_verified v;
    const char *expired = "{\"sub\":\"alice\",\"exp\":1000,\"iat\":900}";
    char *t = sign_token(&key_a, "{\"alg\":\"EdDSA\",\"kid\":\"a\"}", expired);

    CHECK_RESULT(verify(set, t, &v), JWT_ERR_EXPIRED, "expired token refused as expired");
    CHECK(v.sig_ok, "after its signature verified");
    jwt_verified_clear(&v);
    free(t);
    /* Signed by b but naming a: the signature fails before the claims. */
    t = sign_token(&key_b, "{\"alg\":\"EdDSA\",\"kid\":\"a\"}", expired);
    CHECK_RESULT(verify(set, t, &v), JWT_ERR_BAD_SIGNATURE, "signature checked before claims");
    jwt_verified_clear(&v);
    free(t);
    t = sign_token(&key_a, "{\"alg\":\"EdDSA\",\"kid\":\"a\"}", "not json");
    CHECK_RESULT(verify(set, t, &v), JWT_ERR_PAYLOAD, "payload parsed only after signature");
    CHECK(v.sig_ok, "signature verified on a non-JSON payload");
    jwt_verified_clear(&v);
    free(t);
}

static void
test_key_choice(struct jwt_jwks *one, struct jwt_jwks *two)
{
    struct jwt_verified v;
    char *t = sign_token(&key_b, "{\"alg\":\"EdDSA\"}", good_payload);

    CHECK_RESULT(verify(two, t, &v), JWT_ERR_KEY_AMBIGUOUS, "no kid, two fitting keys");
    jwt_verified_clear(&v);
    free(t);
    t = sign_token(&key_a, "{\"alg\":\"EdDSA\"}", good_payload);
    CHECK_RESULT(verify(one, t, &v), JWT_OK, "no kid, the only fitting key");
    jwt_verified_clear(&v);
    free(t);
    t = sign_token(&key_b, "{\"alg\":\"EdDSA\",\"kid\":\"b\"}", good_payload);
    CHECK_RESULT(verify(two, t, &v), JWT_OK, "kid picks the second key");
    jwt_verified_clear(&v);
    CHECK_RESULT(verify(one, t, &v), JWT_ERR_KEY_NOT_FOUND, "unknown kid");
    jwt_verified_clear(&v);
    free(t);
    t = sign_token(&key_a, "{\"alg\":\"ES256\",\"kid\":\"a\"}", good_payload);
    CHECK_RESULT(verify(one, t, &v), JWT_ERR_KEY_MISMATCH, "kid of a key of another type");
    jwt_verified_clear(&v);
    free(t);
}

static void
test_policy_cannot_enable_hs(struct jwt_jwks *set)
{
    struct jwt_policy p;
    struct jwt_verified v;
    const char *t = "eyJhbGciOiJIUzI1NiJ9.e30.c2ln";

    jwt_policy_init(&p);
    p.algs = ~0u;
    CHECK_RESULT(jwt_verify(t, strlen(t), set, &p, &v), JWT_ERR_ALG_NOT_ALLOWED,
                 "HS256 refused even with every alg bit set");
    jwt_verified_clear(&v);
}

static void
test_length_reason(struct jwt_jwks *set)
{
    struct jwt_policy p;
    struct jwt_verified v;
    char *t = sign_token(&key_a, "{\"alg\":\"EdDSA\",\"kid\":\"a\"}", good_payload);
    char want[128];

    jwt_policy_init(&p);
    p.now = NOW;
    p.max_token_len = strlen(t) - 1;
    CHECK_RESULT(jwt_verify(t, strlen(t), set, &p, &v), JWT_ERR_TOO_LONG, "over max_token_len");
    snprintf(want, sizeof(want), "token length %zu exceeds max_token_len %zu", strlen(t),
             strlen(t) - 1);
    CHECK_STR(v.reason, want, "length reason names both numbers");
    jwt_verified_clear(&v);
    p.max_token_len = strlen(t);
    CHECK_RESULT(jwt_verify(t, strlen(t), set, &p, &v), JWT_OK, "at max_token_len accepted");
    jwt_verified_clear(&v);
    free(t);
}

int
main(void)
{
    struct jwt_jwks *one, *two;

    if (sodium_init() < 0)
        return 1;
    crypto_sign_keypair(key_a.pk, key_a.sk);
    crypto_sign_keypair(key_b.pk, key_b.sk);
    one = make_set(0);
    two = make_set(1);
    CHECK(one != NULL && two != NULL, "test key sets parse");
    if (one == NULL || two == NULL)
        return check_done();
    test_good_and_tampered(one);
    test_order_of_checks(one);
    test_key_choice(one, two);
    test_policy_cannot_enable_hs(one);
    test_length_reason(one);
    jwt_jwks_free(one);
    jwt_jwks_free(two);
    return check_done();
}
