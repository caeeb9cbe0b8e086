/* SPDX-License-Identifier: MIT */
/* Checks an access token's claims (RFC 7519 §4.1, RFC 9068) against a policy. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jwt.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The claims the checks read, filled by one walk over the payload (the
 * checks below would otherwise repeat ~25 hashed member lookups).
 * Pointers point into the payload; NULL or has_* false = absent. */
struct claim_view {
    int64_t exp, nbf, iat, auth_time;
    bool has_exp, has_nbf, has_iat, has_auth_time;
    const char *iss, *sub, *scope, *jti, *user;
    const char *client_id, *azp;   /* RFC 9068 §2.2, OIDC Core §2 */
    const char *scp_words;         /* scp when it is a string */
    const struct json_object *aud; /* a string or an array of strings */
    const struct json_object *scp;
    bool id_token_marker; /* nonce, at_hash or c_hash: an ID token */
};

/* Every value's type is checked before any value is used: json-c aborts on
 * a type mismatch in Debian's build, and a claim of the wrong type is a
 * rejection of its own rather than "absent" (pam_jwt(8), LOGGING). */
/* Each element of an scp array must be one scope-token (RFC 6749 §3.3):
 * the granted scope is later joined with spaces (jwt_verified.scope, the
 * account stage), so an element "ssh sudo" would otherwise grant "sudo"
 * there while it was refused here as a whole word. */
static bool
scp_items_are_words(const struct json_object *scp)
{
    size_t n = json_object_array_length(scp);

    for (size_t i = 0; i < n; i++) {
        const char *w = json_object_get_string(json_object_array_get_idx(scp, i));
        if (w == NULL || !jwt_scope_token_is_valid(w, strlen(w)))
            return false;
    }
    return true;
}

/* The claims view_fill reads, by name: where each value goes and the
 * type it must have. */
enum claim_kind { CLAIM_DATE, CLAIM_STRING, CLAIM_STRINGS, CLAIM_MARKER };

struct claim_slot {
    const char *name;
    enum claim_kind kind;
    size_t value, has; /* offsets in struct claim_view (has: dates only) */
};

#define DATE(n, f)                                                                                 \
    {                                                                                              \
        n, CLAIM_DATE, offsetof(struct claim_view, f), offsetof(struct claim_view, has_##f)        \
    }
#define SLOT(n, k, f)                                                                              \
    {                                                                                              \
        n, k, offsetof(struct claim_view, f), 0                                                    \
    }
static const struct claim_slot claim_slots[] = {
    DATE("exp", exp),
    DATE("nbf", nbf),
    DATE("iat", iat),
    DATE("auth_time", auth_time),
    SLOT("iss", CLAIM_STRING, iss),
    SLOT("sub", CLAIM_STRING, sub),
    SLOT("scope", CLAIM_STRING, scope),
    SLOT("jti", CLAIM_STRING, jti),
    SLOT("client_id", CLAIM_STRING, client_id),
    SLOT("azp", CLAIM_STRING, azp),
    SLOT("aud", CLAIM_STRINGS, aud),
    SLOT("scp", CLAIM_STRINGS, scp),
    /* Claims that mark an OpenID Connect ID token (OIDC Core §2, §3.1.3.6). */
    SLOT("nonce", CLAIM_MARKER, id_token_marker),
    SLOT("at_hash", CLAIM_MARKER, id_token_marker),
    SLOT("c_hash", CLAIM_MARKER, id_token_marker),
};

/* Stores one member's value in its slot; false when it has the wrong type. */
static bool
slot_fill(const struct claim_slot *slot, const struct json_object *v, struct claim_view *c)
{
    char *base = (char *)c;

    switch (slot->kind) {
    case CLAIM_DATE:
        *(bool *)(base + slot->has) = true;
        return jwt_json_value_int64(v, (int64_t *)(base + slot->value)) > 0;
    case CLAIM_STRING:
        return jwt_json_value_string(v, (const char **)(base + slot->value)) > 0;
    case CLAIM_STRINGS:
        return jwt_json_value_string_or_array(
                   v, (const struct json_object **)(base + slot->value)) > 0;
    case CLAIM_MARKER:
        *(bool *)(base + slot->value) = true;
        return true;
    }
    return false;
}

/* Reads one member: into its claim's slot, and into user when it is the
 * policy's user_claim (which may also be one of the claims, "sub" by
 * default). The first byte is compared before strcmp: most names differ
 * there. */
static bool
member_fill(const char *name, const struct json_object *v, const char *user_claim,
            struct claim_view *c)
{
    if (strcmp(name, user_claim) == 0 && jwt_json_value_string(v, &c->user) < 0)
        return false;
    for (size_t i = 0; i < COUNT(claim_slots); i++) {
        if (name[0] == claim_slots[i].name[0] && strcmp(name, claim_slots[i].name) == 0)
            return slot_fill(&claim_slots[i], v, c);
    }
    return true;
}

/* One walk over the payload's members instead of a hashed lookup per claim
 * (about 2k instructions a token fewer, make bench-callgrind). Any claim of
 * the wrong type is JWT_ERR_CLAIM_TYPE, whichever comes first. */
static jwt_result
view_fill(const struct json_object *payload, const char *user_claim, struct claim_view *c)
{
    memset(c, 0, sizeof(*c));
    if (user_claim == NULL || !json_object_is_type(payload, json_type_object))
        return JWT_ERR_CLAIM_TYPE;
    json_object_object_foreach(payload, name, v)
    {
        if (!member_fill(name, v, user_claim, c))
            return JWT_ERR_CLAIM_TYPE;
    }
    /* scp as a string is a word list like scope. */
    if (c->scp != NULL && json_object_is_type(c->scp, json_type_string))
        c->scp_words = json_object_get_string((struct json_object *)(uintptr_t)c->scp);
    if (c->scp != NULL && json_object_is_type(c->scp, json_type_array) &&
        !scp_items_are_words(c->scp))
        return JWT_ERR_CLAIM_TYPE;
    return JWT_OK;
}

static jwt_result
check_times(const struct claim_view *c, const struct jwt_policy *p, struct jwt_verified *v)
{
    int64_t lifetime = 0;
    int64_t now = p->now, leeway = p->leeway;

    /* RFC 7519 §4.1.4: the token is valid only before exp. */
    if (!c->has_exp)
        return JWT_ERR_EXP_MISSING;
    v->exp = c->exp;
    if (v->exp <= now - leeway)
        return JWT_ERR_EXPIRED;
    /* §4.1.5: not before nbf. */
    if (c->has_nbf && c->nbf > now + leeway)
        return JWT_ERR_NOT_YET_VALID;
    /* §4.1.6 says nothing about future iat; a token from the future is
     * either a clock fault or a forgery that dodges max_lifetime. */
    v->has_iat = c->has_iat;
    if (v->has_iat)
        v->iat = c->iat;
    if (v->has_iat && v->iat > now + leeway)
        return JWT_ERR_IAT_FUTURE;
    /* No leeway here: an issuer that forgets expiry cannot mint long-lived
     * tokens (pam_jwt(8) max_lifetime=). iat may be far in the past, so the difference is
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

#define HOST_PREFIX "host:"
#define HOST_PREFIX_LEN 5

static char
ascii_lower(char ch)
{
    return (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
}

/* Compares a[0..n) and b[0..n) without regard to ASCII case only: the
 * locale's tolower (strncasecmp) folds 'I' otherwise under Turkish. */
static bool
ascii_equal_nocase(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    }
    return true;
}

static bool
is_host_audience(const char *s)
{
    return strlen(s) >= HOST_PREFIX_LEN && ascii_equal_nocase(s, HOST_PREFIX, HOST_PREFIX_LEN);
}

/* The name's length with one trailing dot dropped. */
static size_t
host_name_len(const char *name)
{
    size_t n = strlen(name);

    return n > 0 && name[n - 1] == '.' ? n - 1 : n;
}

bool
jwt_audience_matches(const char *configured, const char *claimed)
{
    size_t n;

    if (!is_host_audience(configured))
        return strcmp(configured, claimed) == 0;
    if (!is_host_audience(claimed))
        return false;
    configured += HOST_PREFIX_LEN;
    claimed += HOST_PREFIX_LEN;
    n = host_name_len(configured);
    return n == host_name_len(claimed) && ascii_equal_nocase(configured, claimed, n);
}

void
jwt_audience_reason(const struct jwt_policy *policy, char *buf, size_t len)
{
    size_t at = (size_t)snprintf(buf, len, "%s", jwt_result_str(JWT_ERR_AUDIENCE));
    const char *sep = " (this host accepts ";

    for (size_t i = 0; i < policy->n_audiences && at < len; i++) {
        if (!is_host_audience(policy->audiences[i]))
            continue;
        at += (size_t)snprintf(buf + at, len - at, "%s%s", sep, policy->audiences[i]);
        sep = ", ";
    }
    if (strcmp(sep, ", ") == 0 && at < len)
        snprintf(buf + at, len - at, ")");
}

/* RFC 9068 §2.2: client_id names the client the token was issued to;
 * OpenID Providers that leave it out put it in azp (OIDC Core §2). An
 * audience shared by a whole realm says nothing about which client. */
static bool
client_accepted(const struct claim_view *c, const struct jwt_policy *p)
{
    const char *client = c->client_id != NULL ? c->client_id : c->azp;

    return p->n_client_ids == 0 ||
           (client != NULL && string_in_list(client, p->client_ids, p->n_client_ids));
}

static jwt_result
check_identity(const struct claim_view *c, const struct jwt_policy *p)
{
    bool aud_ok = false;

    if (p->n_issuers > 0 && (c->iss == NULL || !string_in_list(c->iss, p->issuers, p->n_issuers)))
        return JWT_ERR_ISSUER;
    if (p->n_audiences > 0) {
        for (size_t i = 0; i < p->n_audiences && !aud_ok && c->aud != NULL; i++)
            aud_ok = jwt_json_strings_match(c->aud, p->audiences[i], jwt_audience_matches);
        if (!aud_ok)
            return JWT_ERR_AUDIENCE;
    }
    if (!client_accepted(c, p))
        return JWT_ERR_CLIENT;
    /* Exact match, case and all: "Root" is not "root". */
    if (p->user != NULL && (c->user == NULL || strcmp(c->user, p->user) != 0))
        return JWT_ERR_USER;
    return JWT_OK;
}

/* The granted scopes: "scope" (RFC 9068 §2.2.3, a space-separated string)
 * or, only where it is absent, "scp" (a string or an array of strings). */
static bool
scope_granted(const struct claim_view *c, const char *want)
{
    const char *words = c->scope != NULL ? c->scope : c->scp_words;

    if (words != NULL)
        return jwt_scope_count(words, want, strlen(want)) != 0;
    return c->scp != NULL && jwt_json_strings_contain(c->scp, want);
}

static jwt_result
check_grants(const struct claim_view *c, const struct jwt_policy *p, struct jwt_verified *v)
{
    for (size_t i = 0; i < p->n_scopes; i++) {
        if (!scope_granted(c, p->scopes[i]))
            return JWT_ERR_SCOPE;
    }
    v->has_auth_time = c->has_auth_time;
    if (v->has_auth_time)
        v->auth_time = c->auth_time;
    /* Step-up (pam_jwt(8) max_auth_age=): the password login behind the token is recent.
     * A login in the future is a clock fault or a bug at the issuer, and
     * refreshes carry auth_time on: refused too. Compared without
     * subtracting from a value the token chose. */
    if (p->max_auth_age >= 0 && (!v->has_auth_time || v->auth_time < p->now - p->max_auth_age ||
                                 v->auth_time > p->now + p->leeway))
        return JWT_ERR_AUTH_AGE;
    return c->id_token_marker ? JWT_ERR_ID_TOKEN : JWT_OK;
}

/* Copies a string claim for the caller; absent stays NULL. */
static jwt_result
copy_string(const char *s, char **out)
{
    if (s != NULL && (*out = strdup(s)) == NULL)
        return JWT_ERR_NOMEM;
    return JWT_OK;
}

/* The granted scope as one space-separated string, from scope or scp. */
static jwt_result
copy_scope(const struct claim_view *c, char **out)
{
    const struct json_object *scp = c->scp;
    size_t len = 1, n, at = 0, piece;
    const char *word;
    char *s;

    if (c->scope != NULL || c->scp_words != NULL || scp == NULL)
        return copy_string(c->scope != NULL ? c->scope : c->scp_words, out);
    n = json_object_array_length(scp);
    for (size_t i = 0; i < n; i++)
        len += strlen(json_object_get_string(json_object_array_get_idx(scp, i))) + 1;
    if ((s = malloc(len)) == NULL)
        return JWT_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        word = json_object_get_string(json_object_array_get_idx(scp, i));
        piece = strlen(word);
        if (i > 0)
            s[at++] = ' ';
        memcpy(s + at, word, piece);
        at += piece;
    }
    s[at] = '\0';
    *out = s;
    return JWT_OK;
}

static jwt_result
copy_facts(const struct claim_view *c, struct jwt_verified *v)
{
    jwt_result r;

    if ((r = copy_string(c->sub, &v->subject)) != JWT_OK ||
        (r = copy_string(c->jti, &v->jti)) != JWT_OK ||
        (r = copy_string(c->iss, &v->iss)) != JWT_OK)
        return r;
    return copy_scope(c, &v->scope);
}

jwt_result
jwt_claims_check(const struct json_object *payload, const struct jwt_policy *policy,
                 struct jwt_verified *out)
{
    struct claim_view c;
    jwt_result r;

    if ((r = view_fill(payload, policy->user_claim, &c)) != JWT_OK)
        return r;
    /* Facts first, so a rejection's log line still names jti and sub. */
    if ((r = copy_facts(&c, out)) != JWT_OK)
        return r;
    if ((r = check_times(&c, policy, out)) != JWT_OK)
        return r;
    if ((r = check_identity(&c, policy)) != JWT_OK)
        return r;
    return check_grants(&c, policy, out);
}
