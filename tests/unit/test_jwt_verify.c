/* SPDX-License-Identifier: MIT */
/* Tests for the whole verification path with real Ed25519 keys. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "check.h"
#include "test_policy.h"
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

/* Writes the JWK Set text of key a (and b) into text. */
static void
jwks_text(int both_keys, char *text, size_t size)
{
    char *xa = jwt_b64url_encode(key_a.pk, 32), *xb = jwt_b64url_encode(key_b.pk, 32);

    snprintf(text, size,
             "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"a\",\"x\":\"%s\"}%s%s%s]}",
             xa, both_keys ? ",{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"b\",\"x\":\"" : "",
             both_keys ? xb : "", both_keys ? "\"}" : "");
    free(xa);
    free(xb);
}

static struct jwt_jwks *
make_set(int both_keys)
{
    char text[1024];
    struct jwt_jwks *set = NULL;

    jwks_text(both_keys, text, sizeof(text));
    if (jwt_jwks_parse(text, strlen(text), &set) != JWT_OK)
        set = NULL;
    return set;
}

static const char *const good_payload =
    "{\"iss\":\"i\",\"sub\":\"alice\",\"aud\":\"pam\",\"exp\":1800000300,\"iat\":1800000000,"
    "\"jti\":\"j-1\",\"scope\":\"ssh sudo\"}";

static jwt_result
verify(struct jwt_jwks *set, const char *token, struct jwt_verified *v)
{
    struct jwt_policy p;

    test_policy_defaults(&p);
    p.now = NOW;
    p.user = "alice";
    return jwt_verify(token, strlen(token), set, &p, v);
}

static void
test_good_and_tampered(struct jwt_jwks *set)
{
    struct jwt_verified v;
    char *t =
        sign_token(&key_a, "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"a\"}", good_payload);

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
test_null_typs_still_checked(struct jwt_jwks *set)
{
    struct jwt_policy p;
    struct jwt_verified v;
    char *t =
        sign_token(&key_a, "{\"alg\":\"EdDSA\",\"kid\":\"a\",\"typ\":\"rt+jwt\"}", good_payload);

    test_policy_defaults(&p);
    p.now = NOW;
    p.typs = NULL;
    p.n_typs = 0;
    CHECK_RESULT(jwt_verify(t, strlen(t), set, &p, &v), JWT_ERR_TYP,
                 "a policy without a typ list still refuses rt+jwt");
    jwt_verified_clear(&v);
    free(t);
    t = sign_token(&key_a, "{\"alg\":\"EdDSA\",\"kid\":\"a\",\"typ\":\"at+jwt\"}", good_payload);
    CHECK_RESULT(jwt_verify(t, strlen(t), set, &p, &v), JWT_OK,
                 "and accepts at+jwt by the defaults");
    jwt_verified_clear(&v);
    free(t);
}

static void
test_policy_cannot_enable_hs(struct jwt_jwks *set)
{
    struct jwt_policy p;
    struct jwt_verified v;
    const char *t = "eyJhbGciOiJIUzI1NiJ9.e30.c2ln";

    test_policy_defaults(&p);
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

    test_policy_defaults(&p);
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

/* True when the set's header cache holds exactly token's header segment. */
static bool
cache_holds(const struct jwt_jwks *set, const char *token)
{
    size_t n = (size_t)(strchr(token, '.') - token);

    return set->header_cache.header != NULL && set->header_cache.segment_len == n &&
           memcmp(set->header_cache.segment, token, n) == 0;
}

/* The key set's header cache: same header bytes reuse the parse, and every
 * check that is not the header's own still runs on every token. */
static void
test_header_cache(void)
{
    static const char *const jwt_only[] = {"JWT"};
    const char *h1 = "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"a\"}";
    struct jwt_jwks *set = make_set(0);
    struct jwt_verified v;
    struct jwt_policy p;
    struct json_object *cached;
    char *good = sign_token(&key_a, h1, good_payload);
    char *forged = sign_token(&key_b, h1, good_payload); /* same header, b's signature */
    char *other = sign_token(&key_a, "{\"alg\":\"EdDSA\",\"kid\":\"a\"}", good_payload);
    char *crit =
        sign_token(&key_a, "{\"alg\":\"EdDSA\",\"kid\":\"a\",\"crit\":[\"x\"]}", good_payload);

    CHECK(set != NULL && set->header_cache.header == NULL, "a new key set has no cached header");
    CHECK_RESULT(verify(set, good, &v), JWT_OK, "cache: first token accepted");
    jwt_verified_clear(&v);
    CHECK(cache_holds(set, good), "cache: its header is kept");
    cached = set->header_cache.header;
    CHECK_RESULT(verify(set, forged, &v), JWT_ERR_BAD_SIGNATURE,
                 "cache: same header, bad signature still refused");
    CHECK(!v.sig_ok && v.kid == NULL, "cache: nothing of the forged token kept");
    jwt_verified_clear(&v);
    CHECK(set->header_cache.header == cached, "cache: the forged token used the cached header");
    CHECK_RESULT(verify(set, good, &v), JWT_OK, "cache: hit accepted");
    CHECK_STR(v.kid, "a", "cache: kid from the cached header");
    jwt_verified_clear(&v);
    test_policy_defaults(&p);
    p.now = NOW;
    p.algs = JWT_ALG_BIT(JWT_ALG_ES256);
    CHECK_RESULT(jwt_verify(good, strlen(good), set, &p, &v), JWT_ERR_ALG_NOT_ALLOWED,
                 "cache: hit still checks alg against the policy");
    jwt_verified_clear(&v);
    p.algs = JWT_ALGS_ACCESS;
    p.typs = jwt_only;
    p.n_typs = 1;
    CHECK_RESULT(jwt_verify(good, strlen(good), set, &p, &v), JWT_ERR_TYP,
                 "cache: hit still checks typ against the policy");
    jwt_verified_clear(&v);
    CHECK_RESULT(verify(set, other, &v), JWT_OK, "cache: another header parsed afresh");
    jwt_verified_clear(&v);
    CHECK(cache_holds(set, other) && !cache_holds(set, good), "cache: now holds the new header");
    CHECK_RESULT(verify(set, crit, &v), JWT_ERR_CRIT, "cache: a bad header is refused");
    jwt_verified_clear(&v);
    CHECK(cache_holds(set, other), "cache: a refused header is not kept");
    jwt_jwks_free(set);
    free(good);
    free(forged);
    free(other);
    free(crit);
}

/* A key set in which key a is marked "retired" at NOW - 100 (keys activate). */
static struct jwt_jwks *
retired_set(void)
{
    char *x = jwt_b64url_encode(key_a.pk, 32), text[512];
    struct jwt_jwks *set = NULL;

    snprintf(text, sizeof(text),
             "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"a\",\"x\":\"%s\","
             "\"retired\":%lld}]}",
             x, NOW - 100);
    if (jwt_jwks_parse(text, strlen(text), &set) != JWT_OK)
        set = NULL;
    free(x);
    return set;
}

/* Verifies a token signed by key a with the given iat (none when < 0). */
static jwt_result
verify_with_iat(struct jwt_jwks *set, long long iat)
{
    char payload[256], *t;
    struct jwt_verified v;
    jwt_result r;

    if (iat < 0)
        snprintf(payload, sizeof(payload), "{\"sub\":\"alice\",\"exp\":%lld}", NOW + 300);
    else
        snprintf(payload, sizeof(payload), "{\"sub\":\"alice\",\"exp\":%lld,\"iat\":%lld}",
                 iat + 300, iat);
    t = sign_token(&key_a, "{\"alg\":\"EdDSA\",\"kid\":\"a\"}", payload);
    r = verify(set, t, &v);
    if (r == JWT_ERR_KEY_RETIRED)
        CHECK_STR(v.reason, "key retired", "retired: the reason logged");
    jwt_verified_clear(&v);
    free(t);
    return r;
}

/* pam_jwt(8), DESCRIPTION: a retired key vouches only for tokens issued up to retired +
 * leeway (60 s by default); a leaked old key cannot mint new ones. */
static void
test_retired_key(void)
{
    struct jwt_jwks *set = retired_set();

    CHECK(set != NULL && set->keys[0]->retired == NOW - 100, "retired: the member is read");
    if (set == NULL)
        return;
    CHECK_RESULT(verify_with_iat(set, NOW - 200), JWT_OK, "retired: issued before, accepted");
    CHECK_RESULT(verify_with_iat(set, NOW - 40), JWT_OK, "retired: retired + leeway, accepted");
    CHECK_RESULT(verify_with_iat(set, NOW - 39), JWT_ERR_KEY_RETIRED,
                 "retired: a second past retired + leeway, refused");
    CHECK_RESULT(verify_with_iat(set, NOW), JWT_ERR_KEY_RETIRED, "retired: issued now, refused");
    CHECK_RESULT(verify_with_iat(set, -1), JWT_ERR_KEY_RETIRED, "retired: no iat, refused");
    jwt_jwks_free(set);
}

/* A key set reload (the module's key cache reading a changed file) starts
 * with an empty header cache; an unchanged file keeps the set and its cache. */
static void
test_header_cache_reload(void)
{
    char path[] = "/tmp/test_jwt_verify.XXXXXX", text[1024];
    char *t = sign_token(&key_a, "{\"alg\":\"EdDSA\",\"kid\":\"a\"}", good_payload);
    struct jwt_jwks *set = NULL;
    struct jwt_verified v;
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    jwt_result r;

    jwks_text(0, text, sizeof(text));
    CHECK(f != NULL && fputs(text, f) >= 0 && fclose(f) == 0, "reload: key file written");
    CHECK_RESULT(jwt_keycache_acquire(path, NULL, &set), JWT_OK, "reload: key set loaded");
    r = verify(set, t, &v);
    jwt_verified_clear(&v);
    CHECK(r == JWT_OK && cache_holds(set, t), "reload: a verification fills the cache");
    jwt_keycache_release();
    CHECK_RESULT(jwt_keycache_acquire(path, NULL, &set), JWT_OK, "reload: same file again");
    CHECK(cache_holds(set, t), "reload: unchanged file keeps the cached header");
    jwt_keycache_release();
    jwks_text(1, text, sizeof(text)); /* another size: another identity */
    f = fopen(path, "w");
    CHECK(f != NULL && fputs(text, f) >= 0 && fclose(f) == 0, "reload: key file rewritten");
    CHECK_RESULT(jwt_keycache_acquire(path, NULL, &set), JWT_OK, "reload: changed file read");
    CHECK(set->n_keys == 2 && set->header_cache.header == NULL,
          "reload: the new set has no cached header");
    jwt_keycache_release();
    unlink(path);
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
    test_null_typs_still_checked(one);
    test_length_reason(one);
    test_header_cache();
    test_header_cache_reload();
    test_retired_key();
    CHECK_RESULT(verify_with_iat(one, NOW), JWT_OK, "not retired: issued now, accepted");
    jwt_jwks_free(one);
    jwt_jwks_free(two);
    return check_done();
}
