/* SPDX-License-Identifier: MIT */
/* Checks an access token's claims (RFC 7519 §4.1, RFC 9068) against a policy. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jwt.h"

/* NumericDate claims: all must be integers within int64 when present. */
static const char *const date_claims[] = {"exp", "nbf", "iat", "auth_time"};
/* String claims (DESIGN §3 "Types"). */
static const char *const string_claims[] = {"iss", "sub", "scope", "jti"};
/* Claims that mark an OpenID Connect ID token (OIDC Core §2, §3.1.3.6). */
static const char *const id_token_markers[] = {"nonce", "at_hash", "c_hash"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Every value's type is checked before any value is used: json-c aborts on
 * a type mismatch in Debian's build, and a claim of the wrong type is a
 * rejection of its own rather than "absent". */
static jwt_result
check_types(const struct json_object *payload, const char *user_claim)
{
    const struct json_object *list;
    const char *s;
    int64_t n;

    for (size_t i = 0; i < COUNT(date_claims); i++) {
        if (jwt_json_get_int64(payload, date_claims[i], &n) < 0)
            return JWT_ERR_CLAIM_TYPE;
    }
    for (size_t i = 0; i < COUNT(string_claims); i++) {
        if (jwt_json_get_string(payload, string_claims[i], &s) < 0)
            return JWT_ERR_CLAIM_TYPE;
    }
    if (jwt_json_get_string(payload, user_claim, &s) < 0 ||
        jwt_json_get_string_or_array(payload, "aud", &list) < 0 ||
        jwt_json_get_string_or_array(payload, "scp", &list) < 0)
        return JWT_ERR_CLAIM_TYPE;
    return JWT_OK;
}

static jwt_result
check_times(const struct json_object *payload, const struct jwt_policy *p, struct jwt_verified *v)
{
    int64_t nbf = 0, lifetime = 0;
    int64_t now = p->now, leeway = p->leeway;

    /* RFC 7519 §4.1.4: the token is valid only before exp. */
    if (jwt_json_get_int64(payload, "exp", &v->exp) == 0)
        return JWT_ERR_EXP_MISSING;
    if (v->exp <= now - leeway)
        return JWT_ERR_EXPIRED;
    /* §4.1.5: not before nbf. */
    if (jwt_json_get_int64(payload, "nbf", &nbf) > 0 && nbf > now + leeway)
        return JWT_ERR_NOT_YET_VALID;
    /* §4.1.6 says nothing about future iat; a token from the future is
     * either a clock fault or a forgery that dodges max_lifetime. */
    v->has_iat = jwt_json_get_int64(payload, "iat", &v->iat) > 0;
    if (v->has_iat && v->iat > now + leeway)
        return JWT_ERR_IAT_FUTURE;
    /* No leeway here: an issuer that forgets expiry cannot mint long-lived
     * tokens (DESIGN §1). iat may be far in the past, so the difference is
     * computed with an overflow check; an overflow is a huge lifetime. */
    if (__builtin_sub_overflow(v->exp, v->has_iat ? v->iat : now, &lifetime) ||
        lifetime > p->max_lifetime)
        return JWT_ERR_LIFETIME;
    return JWT_OK;
}

static bool
string_in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, list[i]) == 0)
            return true;
    }
    return false;
}

static jwt_result
check_identity(const struct json_object *payload, const struct jwt_policy *p)
{
    const struct json_object *aud = NULL;
    const char *iss = NULL, *user = NULL;
    bool aud_ok = false;

    if (p->n_issuers > 0 && (jwt_json_get_string(payload, "iss", &iss) <= 0 ||
                             !string_in_list(iss, p->issuers, p->n_issuers)))
        return JWT_ERR_ISSUER;
    if (p->n_audiences > 0) {
        if (jwt_json_get_string_or_array(payload, "aud", &aud) > 0) {
            for (size_t i = 0; i < p->n_audiences && !aud_ok; i++)
                aud_ok = jwt_json_strings_contain(aud, p->audiences[i]);
        }
        if (!aud_ok)
            return JWT_ERR_AUDIENCE;
    }
    /* Exact match, case and all: "Root" is not "root". */
    if (p->user != NULL && (jwt_json_get_string(payload, p->user_claim, &user) <= 0 ||
                            strcmp(user, p->user) != 0))
        return JWT_ERR_USER;
    return JWT_OK;
}

/* Returns true when the space-separated word list contains word whole. */
static bool
words_contain(const char *list, const char *word)
{
    size_t wlen = strlen(word);

    for (const char *p = list; *p != '\0';) {
        size_t n = strcspn(p, " ");
        if (n == wlen && strncmp(p, word, n) == 0)
            return true;
        p += n;
        p += strspn(p, " ");
    }
    return false;
}

/* The granted scopes: "scope" (RFC 9068 §2.2.3, a space-separated string)
 * or, only where it is absent, "scp" (a string or an array of strings). */
static bool
scope_granted(const struct json_object *payload, const char *want)
{
    const struct json_object *scp = NULL;
    const char *words = NULL;

    if (jwt_json_get_string(payload, "scope", &words) > 0 ||
        jwt_json_get_string(payload, "scp", &words) > 0)
        return words_contain(words, want);
    if (jwt_json_get_string_or_array(payload, "scp", &scp) <= 0)
        return false;
    return jwt_json_strings_contain(scp, want);
}

static jwt_result
check_grants(const struct json_object *payload, const struct jwt_policy *p,
             struct jwt_verified *v)
{
    for (size_t i = 0; i < p->n_scopes; i++) {
        if (!scope_granted(payload, p->scopes[i]))
            return JWT_ERR_SCOPE;
    }
    v->has_auth_time = jwt_json_get_int64(payload, "auth_time", &v->auth_time) > 0;
    /* Step-up (DESIGN §1): the password login behind the token is recent.
     * auth_time <= now + leeway was not checked, so compare without
     * subtracting from a value the token chose. */
    if (p->max_auth_age >= 0 &&
        (!v->has_auth_time || v->auth_time < p->now - p->max_auth_age))
        return JWT_ERR_AUTH_AGE;
    for (size_t i = 0; i < COUNT(id_token_markers); i++) {
        if (json_object_object_get_ex(payload, id_token_markers[i], NULL))
            return JWT_ERR_ID_TOKEN;
    }
    return JWT_OK;
}

/* Copies a string claim for the caller; absent stays NULL. */
static jwt_result
copy_claim(const struct json_object *payload, const char *name, char **out)
{
    const char *s = NULL;

    if (jwt_json_get_string(payload, name, &s) <= 0)
        return JWT_OK;
    if ((*out = strdup(s)) == NULL)
        return JWT_ERR_NOMEM;
    return JWT_OK;
}

/* The granted scope as one space-separated string, from scope or scp. */
static jwt_result
copy_scope(const struct json_object *payload, char **out)
{
    const struct json_object *scp = NULL;
    const char *words = NULL;
    size_t len = 1, n;
    char *s;

    if (jwt_json_get_string(payload, "scope", &words) > 0)
        return copy_claim(payload, "scope", out);
    if (jwt_json_get_string(payload, "scp", &words) > 0)
        return copy_claim(payload, "scp", out);
    if (jwt_json_get_string_or_array(payload, "scp", &scp) <= 0)
        return JWT_OK;
    n = json_object_array_length(scp);
    for (size_t i = 0; i < n; i++)
        len += strlen(json_object_get_string(json_object_array_get_idx(scp, i))) + 1;
    if ((s = calloc(1, len)) == NULL)
        return JWT_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strcat(s, " ");
        strcat(s, json_object_get_string(json_object_array_get_idx(scp, i)));
    }
    *out = s;
    return JWT_OK;
}

static jwt_result
copy_facts(const struct json_object *payload, struct jwt_verified *v)
{
    jwt_result r;

    if ((r = copy_claim(payload, "sub", &v->subject)) != JWT_OK ||
        (r = copy_claim(payload, "jti", &v->jti)) != JWT_OK ||
        (r = copy_claim(payload, "iss", &v->iss)) != JWT_OK)
        return r;
    return copy_scope(payload, &v->scope);
}

jwt_result
jwt_claims_check(const struct json_object *payload, const struct jwt_policy *policy,
                 struct jwt_verified *out)
{
    jwt_result r;

    if ((r = check_types(payload, policy->user_claim)) != JWT_OK)
        return r;
    /* Facts first, so a rejection's log line still names jti and sub. */
    if ((r = copy_facts(payload, out)) != JWT_OK)
        return r;
    if ((r = check_times(payload, policy, out)) != JWT_OK)
        return r;
    if ((r = check_identity(payload, policy)) != JWT_OK)
        return r;
    return check_grants(payload, policy, out);
}
