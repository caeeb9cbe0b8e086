/* SPDX-License-Identifier: MIT */
/* Verifies an access token end to end, in pam_jwt(8)'s order of checks. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jwt.h"

/* The typ values accepted when a policy names none (pam_jwt.conf(5) typ=). */
static const char *const default_typs[] = {"at+jwt", "JWT"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

void
jwt_verified_clear(struct jwt_verified *v)
{
    free(v->kid);
    free(v->jti);
    free(v->subject);
    free(v->scope);
    free(v->iss);
    memset(v, 0, sizeof(*v));
}

static void
set_reason(struct jwt_verified *v, jwt_result r, size_t len, size_t max_len)
{
    if (r == JWT_ERR_TOO_LONG)
        snprintf(v->reason, sizeof(v->reason), "token length %zu exceeds max_token_len %zu", len,
                 max_len);
    else
        snprintf(v->reason, sizeof(v->reason), "%s", jwt_result_str(r));
}

/* Key choice and signature: nothing of the payload is read before this.
 * *key points into keys (for the retired check after the claims). */
static jwt_result
check_signature(struct jwt_jws *jws, struct jwt_jwks *keys, struct jwt_verified *v,
                struct jwt_jwk **key_out)
{
    struct jwt_jwk *key = NULL;
    jwt_result r;

    if ((r = jwt_jwks_select(keys, jws->kid, jws->alg, &key)) != JWT_OK)
        return r;
    if ((r = jwt_sig_verify(key, jws->alg, (const unsigned char *)jws->signing_input,
                            jws->signing_input_len, jws->sig, jws->sig_len)) != JWT_OK)
        return r;
    v->sig_ok = true;
    /* kid is worth logging only now that the token proved its origin. */
    if (jws->kid != NULL && (v->kid = strdup(jws->kid)) == NULL)
        return JWT_ERR_NOMEM;
    *key_out = key;
    return JWT_OK;
}

/* pam_jwt(8), DESCRIPTION: a key marked "retired": T (jwt-helper keys activate) only
 * vouches for tokens issued up to T + leeway, so a leaked old key cannot
 * mint new ones while it waits for keys prune. Without iat nothing shows
 * when the token was made: refused. */
static jwt_result
check_retired(const struct jwt_jwk *key, const struct jwt_policy *policy,
              const struct jwt_verified *v)
{
    if (key->retired == 0)
        return JWT_OK;
    if (!v->has_iat)
        return JWT_ERR_KEY_RETIRED;
    /* retired >= 0 (jwt_jwk_parse), so iat - retired cannot overflow here. */
    if (v->iat > key->retired && v->iat - key->retired > policy->leeway)
        return JWT_ERR_KEY_RETIRED;
    return JWT_OK;
}

jwt_result
jwt_verify(const char *token, size_t len, struct jwt_jwks *keys, const struct jwt_policy *policy,
           struct jwt_verified *out)
{
    struct jwt_jws jws = {0};
    struct json_object *payload = NULL;
    /* HS* is masked off whatever the policy says: a verifier holding a
     * symmetric key could mint tokens for every host (pam_jwt(8), SECURITY NOTES). */
    unsigned algs = policy->algs & JWT_ALGS_ACCESS;
    /* NULL would skip the typ check in jwt_jws_parse: an access token is
     * always checked, against the defaults if nothing else. */
    const char *const *typs = policy->typs != NULL ? policy->typs : default_typs;
    size_t n_typs = policy->typs != NULL ? policy->n_typs : COUNT(default_typs);
    struct jwt_jwk *key = NULL;
    jwt_result r;

    memset(out, 0, sizeof(*out));
    /* The key set keeps the last good header: tokens from one issuer
     * share it, so it is decoded and parsed once (jwt_jws_parse_cached). */
    if ((r = jwt_jws_parse_cached(token, len, policy->max_token_len, algs, typs, n_typs,
                                  keys != NULL ? &keys->header_cache : NULL, &jws)) != JWT_OK)
        goto out;
    out->alg = jws.alg;
    if ((r = check_signature(&jws, keys, out, &key)) != JWT_OK)
        goto out;
    if ((r = jwt_jws_payload(&jws, &payload)) != JWT_OK)
        goto out;
    if ((r = jwt_claims_check(payload, policy, out)) != JWT_OK)
        goto out;
    r = check_retired(key, policy, out);
out:
    set_reason(out, r, len, policy->max_token_len);
    if (r == JWT_ERR_AUDIENCE)
        jwt_audience_reason(policy, out->reason, sizeof(out->reason));
    json_object_put(payload);
    jwt_jws_clear(&jws);
    return r;
}
