/* SPDX-License-Identifier: MIT */
/* A JWK Set (RFC 7517 §5): load it, keep its usable keys, pick the key for a token. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jwt.h"

void
jwt_jwks_free(struct jwt_jwks *set)
{
    size_t i;

    if (set == NULL)
        return;
    for (i = 0; i < set->n_keys; i++)
        jwt_jwk_free(set->keys[i]);
    for (i = 0; i < set->n_unusable; i++)
        free(set->unusable_kids[i]);
    free(set->keys);
    free(set->unusable_kids);
    jwt_jws_header_cache_clear(&set->header_cache);
    free(set);
}

/* A set with room for capacity keys and as many refused kids. */
static struct jwt_jwks *
jwks_new(size_t capacity)
{
    struct jwt_jwks *set = calloc(1, sizeof(*set));

    if (set == NULL)
        return NULL;
    if (capacity == 0)
        capacity = 1;
    set->keys = calloc(capacity, sizeof(*set->keys));
    set->unusable_kids = calloc(capacity, sizeof(*set->unusable_kids));
    if (set->keys == NULL || set->unusable_kids == NULL) {
        jwt_jwks_free(set);
        return NULL;
    }
    return set;
}

/* Adds one member of "keys": a usable key is kept; an unsupported one is
 * skipped as RFC 7517 §5 asks, its kid remembered; anything else fails. */
static jwt_result
jwks_take_member(struct jwt_jwks *set, const struct json_object *member)
{
    struct jwt_jwk *key = NULL;
    const char *kid = NULL;
    jwt_result r = jwt_jwk_parse(member, &key);

    if (r == JWT_OK) {
        /* Set up for verifying now, once, not at each token. A key that
         * cannot be (no memory, a point off the curve) is set up again at
         * each token, which then reports why. */
        jwt_sig_prepare(key);
        set->keys[set->n_keys++] = key;
        return JWT_OK;
    }
    if (r != JWT_ERR_KEY_UNSUPPORTED)
        return r;
    /* jwt_jwk_parse checked kid's type and length before refusing the key. */
    if (jwt_json_get_string(member, "kid", &kid) != 1)
        return JWT_OK;
    if ((set->unusable_kids[set->n_unusable] = strdup(kid)) == NULL)
        return JWT_ERR_NOMEM;
    set->n_unusable++;
    return JWT_OK;
}

jwt_result
jwt_jwks_parse(const char *text, size_t len, struct jwt_jwks **out)
{
    struct json_object *root = NULL, *keys = NULL;
    struct jwt_jwks *set = NULL;
    size_t i, n;
    jwt_result r;

    *out = NULL;
    if ((r = jwt_json_parse_object(text, len, &root)) != JWT_OK) {
        /* A key set that is not a strict JSON object is a malformed key
         * set: callers map that to "key set unusable", never to a verdict
         * on a token. */
        if (r != JWT_ERR_NOMEM)
            r = JWT_ERR_KEY_INVALID;
        goto out;
    }
    r = JWT_ERR_KEY_INVALID;
    if (!json_object_object_get_ex(root, "keys", &keys) ||
        !json_object_is_type(keys, json_type_array))
        goto out;
    if ((n = json_object_array_length(keys)) > JWT_MAX_JWKS_KEYS)
        goto out;
    if ((set = jwks_new(n)) == NULL) {
        r = JWT_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < n; i++)
        if ((r = jwks_take_member(set, json_object_array_get_idx(keys, i))) != JWT_OK)
            goto out;
    if (set->n_keys == 0) {
        r = JWT_ERR_KEYSET_EMPTY;
        goto out;
    }
    *out = set;
    set = NULL;
    r = JWT_OK;
out:
    jwt_jwks_free(set);
    json_object_put(root);
    return r;
}

jwt_result
jwt_jwks_load(const char *path, struct jwt_jwks **out)
{
    struct jwt_jwks *set = NULL;
    char *text = NULL;
    size_t len = 0;
    jwt_result r;

    *out = NULL;
    if ((r = jwt_file_read(path, JWT_MAX_JWKS_BYTES, -1, &text, &len)) != JWT_OK)
        goto out;
    if ((r = jwt_jwks_parse(text, len, &set)) != JWT_OK)
        goto out;
    *out = set;
    set = NULL; /* the caller owns it now */
out:
    jwt_jwks_free(set);
    free(text);
    return r;
}

static bool
jwks_kid_is_unusable(const struct jwt_jwks *set, const char *kid)
{
    size_t i;

    for (i = 0; i < set->n_unusable; i++)
        if (strcmp(set->unusable_kids[i], kid) == 0)
            return true;
    return false;
}

/* pam_jwt(8), DESCRIPTION, key choice. A retired key stays selectable: rotation keeps it
 * in the set exactly as long as tokens it signed may still be valid. Two
 * keys that both fit are never resolved by order: that is ambiguous. */
jwt_result
jwt_jwks_select(const struct jwt_jwks *set, const char *kid, enum jwt_alg alg, struct jwt_jwk **out)
{
    struct jwt_jwk *found = NULL, *key;
    size_t i, named = 0, fitting = 0;

    *out = NULL;
    if (set == NULL)
        return JWT_ERR_KEY_NOT_FOUND;
    for (i = 0; i < set->n_keys; i++) {
        key = set->keys[i];
        if (kid != NULL) {
            if (key->kid == NULL || strcmp(key->kid, kid) != 0)
                continue;
            named++;
        }
        if (jwt_jwk_fits_alg(key, alg)) {
            fitting++;
            found = key;
        }
    }
    if (fitting == 1) {
        *out = found;
        return JWT_OK;
    }
    if (fitting > 1)
        return JWT_ERR_KEY_AMBIGUOUS;
    if (kid == NULL)
        return JWT_ERR_KEY_NOT_FOUND;
    if (named > 0)
        return JWT_ERR_KEY_MISMATCH;
    return jwks_kid_is_unusable(set, kid) ? JWT_ERR_KEY_UNUSABLE : JWT_ERR_KEY_NOT_FOUND;
}
