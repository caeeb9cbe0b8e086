/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: hostile bytes as a JWK Set through jwt_jwks_parse, then
 * key choice, thumbprints, OpenSSL key building and a JWK round trip. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every alg against a kid from the set, an absent kid, an unknown one and
 * a refused one: each answer must be a key of the set or none. */
static void
keys_select(const struct jwt_jwks *set)
{
    const char *kids[4] = {NULL, "nope", NULL, NULL};
    struct jwt_jwk *key;

    if (set->n_keys > 0)
        kids[2] = set->keys[0]->kid;
    if (set->n_unusable > 0)
        kids[3] = set->unusable_kids[0];
    for (int a = 0; a < JWT_ALG_COUNT; a++) {
        for (size_t k = 0; k < 4; k++) {
            if (k > 0 && kids[k] == NULL)
                continue;
            key = NULL;
            if (jwt_jwks_select(set, kids[k], (enum jwt_alg)a, &key) != JWT_OK)
                continue;
            /* Success must hand back a key that fits: HS256 fits nothing. */
            if (key == NULL || !jwt_jwk_fits_alg(key, (enum jwt_alg)a))
                abort();
        }
    }
}

/* jwt_jwk_to_json then jwt_jwk_parse must give back the same public key:
 * compared by RFC 7638 thumbprint, which covers every public member. */
static void
key_round_trip(const struct jwt_jwk *key, const unsigned char thumb[32])
{
    struct json_object *obj = jwt_jwk_to_json(key);
    struct jwt_jwk *again = NULL;
    unsigned char thumb2[32];

    if (obj == NULL)
        return; /* allocation failure */
    if (jwt_jwk_parse(obj, &again) != JWT_OK)
        abort();
    if (jwt_jwk_thumbprint(again, thumb2) != JWT_OK || sodium_memcmp(thumb, thumb2, 32) != 0)
        abort();
    jwt_jwk_free(again);
    json_object_put(obj);
}

static void
key_exercise(struct jwt_jwk *key)
{
    unsigned char thumb[32];
    EVP_PKEY *pkey = NULL;

    if (jwt_jwk_thumbprint(key, thumb) == JWT_OK)
        key_round_trip(key, thumb);
    /* jwt_jwk_pkey is for EC and RSA keys (Ed25519 goes through libsodium). */
    if (key->kty != JWT_KTY_OKP)
        (void)!jwt_jwk_pkey(key, &pkey);
    for (int a = 0; a < JWT_ALG_COUNT; a++)
        (void)jwt_jwk_fits_alg(key, (enum jwt_alg)a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jwt_jwks *set = NULL;

    if (jwt_jwks_parse((const char *)data, size, &set) != JWT_OK)
        return 0;
    keys_select(set);
    for (size_t i = 0; i < set->n_keys; i++)
        key_exercise(set->keys[i]);
    jwt_jwks_free(set);
    return 0;
}
