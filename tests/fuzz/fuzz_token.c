/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: hostile bytes as an access token through jwt_verify, and
 * as JSON and base64url through the parsers the token path is built on. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jwt.h"
#include "../unit/test_policy.h"

/* Fixed public keys, one per family, so that the signed seeds in
 * corpus/fuzz_token/ (minted once with the private halves, which are not
 * kept) pass the signature and let the fuzzer reach the claim checks. */
static const char fuzz_jwks[] =
    "{\"keys\":["
    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"Mvwm5aIWhWqtM9NITTUY4K0VtI7k0F71RCNNht_gqEE\","
    "\"kid\":\"fuzz-eddsa\"},"
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"Q1PT7Q2YBO1F21b8iP3m2d6YSf7jSRv5GqAPID3Zjy0\","
    "\"y\":\"0OtGUH4zMzJY7HgKKWfObpb8ZVvwyWqMQTpOdpJoDKs\",\"kid\":\"fuzz-es256\"},"
    "{\"kty\":\"EC\",\"crv\":\"P-384\","
    "\"x\":\"XIouVAE4uD2aRUcLaJ2XNWSo1ozcS4Hc7Xaf3tRvye_nfJJJJyHWZW1QLggwT6Bu\","
    "\"y\":\"B2NY6GHWTBpvF1TYgB3lub7F5t1avUQlmvMg1KbDGPo6U0NYxfXgBdzKCT1Wyn5h\","
    "\"kid\":\"fuzz-es384\"},"
    "{\"kty\":\"RSA\",\"n\":\"qgbZZoYQuDlzNoGkhQmyJe35liIp-7GdfsxCTw4Y1k2A_HQX7b6hPfZGMmFNwNu5n9kU"
    "aeup7JXuqiw6qs-JzebuIYJHRustOXJxTkFkNlgiAr7ESvb0cXM-Qa_0RqukxCFAN9losKMedmlujcI6pETZ52KZdVxR"
    "sJT9cn-uNgFkrpAW9VLdXbBe0bdI34C2GXPtlFk5BmJj1IJp2sJhZDkOGzaww0em3ldPomxanc0t8yFaVXLkR-cIzNF4"
    "1JiI9ggMxlAPmFCEm1CFPop75VHNVScmwymgoN1wfvKbgEmmJ6hVuckv_6K-e18psJ93J_pkhSR2eDi0HQTX2vC7sQ\","
    "\"e\":\"AQAB\",\"kid\":\"fuzz-rs256\"}"
    "]}";

/* The seeds were issued at 1700000000 for 600 s; the clock is pinned inside
 * that window so a crash reproduces whatever the date. */
#define FUZZ_NOW 1700000100

static const char *const fuzz_issuers[] = {"jwt-helper@fuzz"};
static const char *const fuzz_audiences[] = {"pam"};
static const char *const fuzz_scopes[] = {"ssh"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct jwt_jwks *
keys_get(void)
{
    static struct jwt_jwks *keys;

    if (keys == NULL && jwt_jwks_parse(fuzz_jwks, sizeof fuzz_jwks - 1, &keys) != JWT_OK)
        abort(); /* the harness itself is broken: say so loudly */
    return keys;
}

static const struct jwt_policy *
policy_get(void)
{
    static struct jwt_policy policy;
    static int ready;

    if (!ready) {
        test_policy_defaults(&policy);
        policy.issuers = fuzz_issuers;
        policy.n_issuers = 1;
        policy.audiences = fuzz_audiences;
        policy.n_audiences = 1;
        policy.user = "alice";
        policy.scopes = fuzz_scopes;
        policy.n_scopes = 1;
        policy.max_auth_age = 3600;
        policy.now = FUZZ_NOW;
        ready = 1;
    }
    return &policy;
}

static void
token_verify(const char *text, size_t len)
{
    struct jwt_verified v;
    jwt_result r = jwt_verify(text, len, keys_get(), policy_get(), &v);

    /* A reason must always be a terminated string, whatever the input. */
    if (strnlen(v.reason, sizeof v.reason) == sizeof v.reason)
        abort();
    (void)jwt_result_str(r);
    jwt_verified_clear(&v);
}

static void
json_parse(const char *text, size_t len)
{
    struct json_object *obj = NULL;

    if (jwt_json_parse_object(text, len, &obj) == JWT_OK)
        json_object_put(obj);
}

static void
b64url_decode(const char *text, size_t len)
{
    unsigned char *out = NULL;
    size_t out_len = 0;

    if (jwt_b64url_decode(text, len, &out, &out_len) == JWT_OK)
        free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;

    token_verify(text, size);
    json_parse(text, size);
    b64url_decode(text, size);
    return 0;
}
