/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: hostile bytes as a key= PEM file through
 * jwt_jwks_add_pem. What it accepts holds one public key block and no
 * private one, gets the thumbprint kid, and survives a JWK round trip. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <json-c/json.h>

#include "fuzz_support.h"
#include "jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
occurrences(const uint8_t *data, size_t size, const char *needle)
{
    size_t n = 0, len = strlen(needle);
    const uint8_t *p = data, *end = data + size, *hit;

    while ((hit = memmem(p, (size_t)(end - p), needle, len)) != NULL) {
        n++;
        p = hit + len;
    }
    return n;
}

/* jwt-helperd(8), FILES: kid = the first 16 characters of the base64url thumbprint. */
static void
kid_check(const struct jwt_jwk *key, const unsigned char thumb[32])
{
    char *full = jwt_b64url_encode(thumb, 32);

    if (full == NULL)
        abort();
    if (key->kid == NULL || strlen(key->kid) != 16 || strncmp(key->kid, full, 16) != 0)
        abort();
    free(full);
}

/* jwt_jwk_to_json then jwt_jwk_parse: the same public key (thumbprint),
 * and OpenSSL builds it back. */
static void
round_trip(struct jwt_jwk *key, const unsigned char thumb[32])
{
    struct json_object *obj = jwt_jwk_to_json(key);
    struct jwt_jwk *again = NULL;
    unsigned char thumb2[32];
    EVP_PKEY *pkey = NULL;

    if (obj == NULL || jwt_jwk_parse(obj, &again) != JWT_OK ||
        jwt_jwk_thumbprint(again, thumb2) != JWT_OK || sodium_memcmp(thumb, thumb2, 32) != 0)
        abort();
    if (key->kty != JWT_KTY_OKP && jwt_jwk_pkey(again, &pkey) != JWT_OK)
        abort();
    jwt_jwk_free(again);
    json_object_put(obj);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jwt_jwks *set = NULL;
    unsigned char thumb[32];
    char path[512];

    fuzz_file_put("key.pem", data, size, 0644);
    fuzz_path("key.pem", path, sizeof path);
    if (jwt_jwks_add_pem(path, &set) != JWT_OK) {
        if (set != NULL)
            abort(); /* a refusal leaves the set as it was: none */
        return 0;
    }
    if (occurrences(data, size, "PRIVATE KEY") != 0 || occurrences(data, size, "-----BEGIN ") != 1)
        abort(); /* a private key, or more than one block, was taken */
    if (set == NULL || set->n_keys != 1 || jwt_jwk_thumbprint(set->keys[0], thumb) != JWT_OK)
        abort();
    kid_check(set->keys[0], thumb);
    round_trip(set->keys[0], thumb);
    /* The same file again appends a second key to the existing set. */
    if (jwt_jwks_add_pem(path, &set) != JWT_OK || set->n_keys != 2)
        abort();
    jwt_jwks_free(set);
    return 0;
}
