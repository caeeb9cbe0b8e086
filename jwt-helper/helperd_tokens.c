/* SPDX-License-Identifier: MIT */
/* Issues access and refresh tokens and checks refresh tokens (jwt-helperd(8), Tokens).
 *
 * MUST:
 * 1. never issue a token that cannot work: over its prompt budget, or with
 *    an iat at or before the user's revocation instant;
 * 2. a refresh token works only while its gen and pwb match the user's
 *    record now, and only for the scope the record still holds;
 * 3. a refresh token is never an access token: HS256 under a key derived
 *    from refresh.key (not the key of pwb), typ rt+jwt, aud = iss;
 * 4. every buffer that held the refresh secret, a password hash, pwb or a
 *    token is wiped before it is freed. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <sodium.h>

#include "helperd_tokens.h"
#include "secret.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define B64_URL sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define RT_TYP "rt+jwt"
#define RT_HEADER "{\"alg\":\"HS256\",\"typ\":\"" RT_TYP "\"}"
/* crypto_kdf contexts are exactly 8 characters. */
#define KDF_CTX_SIGN "rtsign__"
#define KDF_CTX_PWB "pwbind__"
#define KDF_SUBKEY_ID 1

_Static_assert(HELPERD_TOKENS_SECRET_BYTES == crypto_kdf_KEYBYTES, "refresh.key is a kdf key");
_Static_assert(HELPERD_TOKENS_PWB_BYTES >= crypto_generichash_BYTES_MIN, "pwb length");

struct helperd_tokens_secret {
    unsigned char sign_key[32]; /* HMAC-SHA-256 of refresh tokens */
    unsigned char pwb_key[32];  /* keyed BLAKE2b of pwb */
};

static const char *const reasons[HELPERD_TOKENS_RESULT_COUNT] = {
    [HELPERD_TOKENS_OK] = "ok",
    [HELPERD_TOKENS_ERR_NOMEM] = "out of memory",
    [HELPERD_TOKENS_ERR_INTERNAL] = "internal error",
    [HELPERD_TOKENS_ERR_PARAMS] = "bad token parameters",
    [HELPERD_TOKENS_ERR_SCOPE_SYNTAX] = "malformed scope",
    [HELPERD_TOKENS_ERR_SCOPE] = "scope not granted",
    [HELPERD_TOKENS_ERR_AUDIENCE] = "audience not allowed",
    [HELPERD_TOKENS_ERR_OVER_BUDGET] = "token over its prompt budget",
    [HELPERD_TOKENS_ERR_LOCKED] = "user locked",
    [HELPERD_TOKENS_ERR_REVOKED] = "revoked",
    [HELPERD_TOKENS_ERR_MALFORMED] = "malformed refresh token",
    [HELPERD_TOKENS_ERR_NOT_REFRESH] = "not a refresh token",
    [HELPERD_TOKENS_ERR_BAD_SIGNATURE] = "bad signature",
    [HELPERD_TOKENS_ERR_CLAIMS] = "bad refresh token claims",
    [HELPERD_TOKENS_ERR_EXPIRED] = "expired",
    [HELPERD_TOKENS_ERR_UNKNOWN_USER] = "unknown user",
    [HELPERD_TOKENS_ERR_STALE] = "superseded by a password change or revoke",
};

const char *
helperd_tokens_result_str(helperd_tokens_result r)
{
    if ((unsigned)r >= HELPERD_TOKENS_RESULT_COUNT || reasons[r] == NULL)
        return "unknown result";
    return reasons[r];
}

/* ---- the refresh secret ---- */

jwt_result
helperd_tokens_secret_from_bytes(const unsigned char key[HELPERD_TOKENS_SECRET_BYTES],
                                 struct helperd_tokens_secret **out)
{
    struct helperd_tokens_secret *s = NULL;
    jwt_result r = JWT_ERR_INTERNAL;

    *out = NULL;
    if (sodium_init() < 0)
        goto out;
    if ((s = sodium_malloc(sizeof(*s))) == NULL) {
        r = JWT_ERR_NOMEM;
        goto out;
    }
    if (crypto_kdf_derive_from_key(s->sign_key, sizeof(s->sign_key), KDF_SUBKEY_ID, KDF_CTX_SIGN,
                                   key) != 0 ||
        crypto_kdf_derive_from_key(s->pwb_key, sizeof(s->pwb_key), KDF_SUBKEY_ID, KDF_CTX_PWB,
                                   key) != 0)
        goto out;
    if (sodium_mprotect_readonly(s) != 0)
        goto out;
    *out = s;
    s = NULL;
    r = JWT_OK;
out:
    helperd_tokens_secret_free(s);
    return r;
}

jwt_result
helperd_tokens_secret_from_text(const char *text, size_t len, struct helperd_tokens_secret **out)
{
    unsigned char key[HELPERD_TOKENS_SECRET_BYTES];
    jwt_result r = JWT_ERR_KEY_INVALID;

    *out = NULL;
    /* jwt-helperd(8), FILES: 43 characters and a newline; the newline may be missing
     * (an editor's choice), anything else is refused, never repaired. */
    if (len == HELPERD_TOKENS_SECRET_TEXT_LEN + 1 && text[len - 1] == '\n')
        len--;
    if (len != HELPERD_TOKENS_SECRET_TEXT_LEN)
        goto out;
    if (jwt_b64url_decode_exact(text, len, key, sizeof(key)) != JWT_OK)
        goto out;
    r = helperd_tokens_secret_from_bytes(key, out);
out:
    sodium_memzero(key, sizeof(key));
    return r;
}

jwt_result
helperd_tokens_secret_load(const char *path, long daemon_uid, struct helperd_tokens_secret **out)
{
    char *text = NULL;
    size_t len = 0;
    jwt_result r;

    *out = NULL;
    if ((r = jwt_file_read_secret(path, HELPERD_TOKENS_SECRET_MAX_FILE, daemon_uid, &text, &len)) !=
        JWT_OK)
        goto out;
    r = helperd_tokens_secret_from_text(text, len, out);
out:
    secret_free(text, len);
    return r;
}

void
helperd_tokens_secret_free(struct helperd_tokens_secret *s)
{
    /* sodium_free makes the pages writable again and wipes them. */
    if (s != NULL)
        sodium_free(s);
}

/* ---- small helpers ---- */

static bool
params_are_valid(const struct helperd_tokens_params *p, int64_t now)
{
    return p->issuer != NULL && p->issuer[0] != '\0' && p->audience != NULL &&
           p->audience[0] != '\0' && (p->n_audiences == 0 || p->audiences != NULL) &&
           (p->n_default_scopes == 0 || p->default_scopes != NULL) && p->access_ttl > 0 &&
           p->access_ttl <= HELPERD_TOKENS_MAX_TTL && p->refresh_ttl >= 0 &&
           p->refresh_ttl <= HELPERD_TOKENS_MAX_TTL && now >= 0 &&
           now < INT64_MAX - HELPERD_TOKENS_MAX_TTL - 1;
}

static bool
name_is_valid(const char *name)
{
    return name != NULL && jwt_user_name_is_valid(name, strlen(name));
}

static helperd_tokens_result
from_jwt(jwt_result r)
{
    if (r == JWT_OK)
        return HELPERD_TOKENS_OK;
    return r == JWT_ERR_NOMEM ? HELPERD_TOKENS_ERR_NOMEM : HELPERD_TOKENS_ERR_INTERNAL;
}

static void
make_jti(char out[HELPERD_TOKENS_JTI_LEN + 1])
{
    unsigned char raw[HELPERD_TOKENS_JTI_BYTES];

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, HELPERD_TOKENS_JTI_LEN + 1, raw, sizeof(raw), B64_URL);
}

/* The iat of a token for name issued at now: jwt-helperd(8), "Revocation list", never at or before
 * the user's listed instant. A revoke in this very second moves iat to the
 * next one (pam_jwt's leeway absorbs it); an instant after now would need
 * an iat from the future, so the user waits instead. */
static helperd_tokens_result
pick_iat(const struct jwt_revocation *rev, const char *name, int64_t now, int64_t *iat)
{
    int64_t instant = 0;

    *iat = now;
    if (rev == NULL || !jwt_revocation_lookup(rev, name, &instant) || instant < now)
        return HELPERD_TOKENS_OK;
    if (instant > now)
        return HELPERD_TOKENS_ERR_REVOKED;
    *iat = now + 1;
    return HELPERD_TOKENS_OK;
}

/* ---- scope lists: RFC 6749 §3.3 of the daemon's words (jwt_scope.c) ---- */

/* A requested or carried scope: single spaces between words of the record
 * grammar (jwt_scope_token_is_plain), each once. "" only when allowed. */
static bool
scope_is_valid(const char *s, bool allow_empty)
{
    const char *pos = s, *word = NULL;
    size_t len = strlen(s), n;

    if (len == 0)
        return allow_empty;
    if (len > HELPERD_TOKENS_MAX_SCOPE_LEN || !jwt_scope_is_valid(s, len))
        return false;
    while ((n = jwt_scope_next(&pos, &word)) != 0) {
        if (!jwt_scope_token_is_plain(word, n) || jwt_scope_count(s, word, n) != 1)
            return false;
    }
    return true;
}

/* Joins words (each of the scope grammar, else ERR_PARAMS) with spaces. */
static helperd_tokens_result
join_words(const char *const *words, size_t n, char **out)
{
    size_t total = 1;
    char *s = NULL;

    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        if (words[i] == NULL || !jwt_scope_token_is_plain(words[i], strlen(words[i])))
            return HELPERD_TOKENS_ERR_PARAMS;
        total += strlen(words[i]) + 1;
    }
    if ((s = malloc(total)) == NULL)
        return HELPERD_TOKENS_ERR_NOMEM;
    total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(words[i]);
        if (i > 0)
            s[total++] = ' ';
        memcpy(s + total, words[i], len);
        total += len;
    }
    s[total] = '\0';
    *out = s;
    return HELPERD_TOKENS_OK;
}

/* *out = the words of held that want names, in held's order, once each.
 * With strict, a word of want that held lacks is ERR_SCOPE. */
static helperd_tokens_result
scope_intersect(const char *held, const char *want, bool strict, char **out)
{
    const char *pos = strict ? want : NULL, *word = NULL;
    size_t n, used = 0;
    char *s = NULL;

    *out = NULL;
    while (strict && (n = jwt_scope_next(&pos, &word)) != 0) {
        if (jwt_scope_count(held, word, n) == 0)
            return HELPERD_TOKENS_ERR_SCOPE;
    }
    if ((s = malloc(strlen(held) + 1)) == NULL)
        return HELPERD_TOKENS_ERR_NOMEM;
    s[0] = '\0';
    pos = held;
    while ((n = jwt_scope_next(&pos, &word)) != 0) {
        if (jwt_scope_count(want, word, n) == 0 || jwt_scope_count(s, word, n) != 0)
            continue;
        if (used > 0)
            s[used++] = ' ';
        memcpy(s + used, word, n);
        used += n;
        s[used] = '\0';
    }
    *out = s;
    return HELPERD_TOKENS_OK;
}

/* *out = the words of held granted for the request want (NULL: fallback,
 * whose words held lacks are dropped silently). */
static helperd_tokens_result
scope_grant(const char *held, const char *want, const char *fallback, char **out)
{
    *out = NULL;
    if (want == NULL)
        return scope_intersect(held, fallback, false, out);
    if (!scope_is_valid(want, false))
        return HELPERD_TOKENS_ERR_SCOPE_SYNTAX;
    return scope_intersect(held, want, true, out);
}

/* ---- grants ---- */

void
helperd_tokens_grant_clear(struct helperd_tokens_grant *g)
{
    free(g->scope);
    memset(g, 0, sizeof(*g));
}

helperd_tokens_result
helperd_tokens_grant_login(const struct helperd_tokens_params *p, const struct userdb_record *rec,
                           const char *scope, int64_t now, struct helperd_tokens_grant *out)
{
    char *held = NULL, *defaults = NULL, *granted = NULL;
    helperd_tokens_result r = HELPERD_TOKENS_ERR_PARAMS;

    memset(out, 0, sizeof(*out));
    if (!params_are_valid(p, now) || !name_is_valid(rec->name))
        goto out;
    r = HELPERD_TOKENS_ERR_LOCKED;
    if (rec->locked)
        goto out;
    if ((r = join_words((const char *const *)rec->scopes, rec->n_scopes, &held)) !=
            HELPERD_TOKENS_OK ||
        (r = join_words(p->default_scopes, p->n_default_scopes, &defaults)) != HELPERD_TOKENS_OK)
        goto out;
    if ((r = scope_grant(held, scope, defaults, &granted)) != HELPERD_TOKENS_OK)
        goto out;
    memcpy(out->sub, rec->name, strlen(rec->name) + 1);
    out->scope = granted;
    granted = NULL;
    out->auth_time = now;
out:
    free(held);
    free(defaults);
    free(granted);
    return r;
}

static bool
grant_is_valid(const struct helperd_tokens_grant *g)
{
    return name_is_valid(g->sub) && g->scope != NULL && scope_is_valid(g->scope, true) &&
           g->auth_time >= 0;
}

/* ---- issuing ---- */

void
helperd_tokens_issued_clear(struct helperd_tokens_issued *t)
{
    secret_free_str(t->token);
    memset(t, 0, sizeof(*t));
}

bool
helperd_tokens_audience_is_host(const char *want)
{
    static const char host_bytes[] = "abcdefghijklmnopqrstuvwxyz"
                                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:-";
    const size_t prefix = sizeof HELPERD_TOKENS_HOST_PREFIX - 1;
    const char *name;
    size_t len;

    if (want == NULL || strncmp(want, HELPERD_TOKENS_HOST_PREFIX, prefix) != 0)
        return false;
    name = want + prefix;
    len = strlen(name);
    /* Strict: an empty name, a blank or a '*' would widen what "one host" means. */
    return len > 0 && len <= HELPERD_TOKENS_MAX_HOST && strspn(name, host_bytes) == len &&
           name[0] != '.' && name[0] != '-' && strstr(name, "..") == NULL;
}

/* Writes want lowercased into buf: host names are case-insensitive (RFC
 * 4343), and pam_jwt compares host: audiences without regard to case. */
static const char *
host_audience(const char *want, char buf[HELPERD_TOKENS_HOST_AUD_SIZE])
{
    size_t i;

    for (i = 0; want[i] != '\0'; i++)
        buf[i] = (char)(want[i] >= 'A' && want[i] <= 'Z' ? want[i] - 'A' + 'a' : want[i]);
    buf[i] = '\0';
    return buf;
}

/* Picks the aud to issue: the default, an entry of audiences equal to want,
 * or want itself (lowercased into buf) when host:* is listed. */
static helperd_tokens_result
pick_audience(const struct helperd_tokens_params *p, const char *want,
              char buf[HELPERD_TOKENS_HOST_AUD_SIZE], const char **aud)
{
    bool any_host = false;

    *aud = p->audience;
    if (want == NULL || strcmp(want, p->audience) == 0)
        return HELPERD_TOKENS_OK;
    for (size_t i = 0; i < p->n_audiences; i++) {
        if (p->audiences[i] == NULL)
            continue;
        if (strcmp(p->audiences[i], HELPERD_TOKENS_ANY_HOST) == 0) {
            any_host = true; /* a rule, not an audience: "host:*" itself is never issued */
            continue;
        }
        if (strcmp(want, p->audiences[i]) == 0) {
            *aud = p->audiences[i];
            return HELPERD_TOKENS_OK;
        }
    }
    if (any_host && helperd_tokens_audience_is_host(want)) {
        *aud = host_audience(want, buf);
        return HELPERD_TOKENS_OK;
    }
    return HELPERD_TOKENS_ERR_AUDIENCE;
}

/* Adds v (consumed) as obj's member name; false when v is NULL or the add fails. */
static bool
add_member(struct json_object *obj, const char *name, struct json_object *v)
{
    if (v == NULL)
        return false;
    if (json_object_object_add(obj, name, v) != 0) {
        json_object_put(v);
        return false;
    }
    return true;
}

/* The claims both kinds of token carry, in this order (the budget is
 * measured on what we write, so no member is optional by accident). */
static struct json_object *
claims_new(const struct helperd_tokens_params *p, const struct helperd_tokens_grant *g,
           const char *aud, const struct helperd_tokens_issued *t)
{
    struct json_object *c = json_object_new_object(), *amr = json_object_new_array();
    struct json_object *pwd = json_object_new_string("pwd");

    if (c == NULL || amr == NULL || pwd == NULL || json_object_array_add(amr, pwd) != 0)
        goto fail;
    pwd = NULL; /* amr holds it */
    if (!add_member(c, "iss", json_object_new_string(p->issuer)) ||
        !add_member(c, "sub", json_object_new_string(g->sub)) ||
        !add_member(c, "aud", json_object_new_string(aud)) ||
        (t->has_exp && !add_member(c, "exp", json_object_new_int64(t->exp))) ||
        !add_member(c, "iat", json_object_new_int64(t->iat)) ||
        !add_member(c, "jti", json_object_new_string(t->jti)) ||
        !add_member(c, "scope", json_object_new_string(g->scope)) ||
        !add_member(c, "auth_time", json_object_new_int64(g->auth_time)))
        goto fail;
    if (!add_member(c, "amr", amr)) {
        amr = NULL; /* add_member consumed it */
        goto fail;
    }
    return c;
fail:
    json_object_put(pwd);
    json_object_put(amr);
    json_object_put(c);
    return NULL;
}

size_t
helperd_tokens_budget(const char *scope)
{
    return jwt_scope_count(scope, "sudo", 4) != 0 ? HELPERD_TOKENS_SUDO_BUDGET
                                                  : HELPERD_TOKENS_BUDGET;
}

/* Mints an access token as helperd_tokens_issue_access describes, without
 * its budget check: *t is the caller's (helperd_tokens_issued_clear). */
static helperd_tokens_result
mint_access(const struct signer *s, const struct helperd_tokens_params *p,
            const struct helperd_tokens_grant *g, const char *audience,
            const struct jwt_revocation *rev, int64_t now, struct helperd_tokens_issued *t)
{
    struct json_object *claims = NULL;
    char host_aud[HELPERD_TOKENS_HOST_AUD_SIZE];
    const char *aud = NULL;
    helperd_tokens_result r = HELPERD_TOKENS_ERR_PARAMS;

    memset(t, 0, sizeof(*t));
    if (!params_are_valid(p, now) || !grant_is_valid(g))
        goto out;
    if ((r = pick_audience(p, audience, host_aud, &aud)) != HELPERD_TOKENS_OK ||
        (r = pick_iat(rev, g->sub, now, &t->iat)) != HELPERD_TOKENS_OK)
        goto out;
    /* exp - iat = access_ttl exactly, so max_lifetime sees what was configured. */
    t->exp = t->iat + p->access_ttl;
    t->has_exp = true;
    make_jti(t->jti);
    r = HELPERD_TOKENS_ERR_NOMEM;
    if ((claims = claims_new(p, g, aud, t)) == NULL)
        goto out;
    r = from_jwt(signer_sign_claims(s, claims, "at+jwt", &t->token));
out:
    json_object_put(claims);
    return r;
}

helperd_tokens_result
helperd_tokens_issue_access(const struct signer *s, const struct helperd_tokens_params *p,
                            const struct helperd_tokens_grant *g, const char *audience,
                            const struct jwt_revocation *rev, int64_t now,
                            struct helperd_tokens_issued *out)
{
    struct helperd_tokens_issued t;
    helperd_tokens_result r;

    memset(out, 0, sizeof(*out));
    if ((r = mint_access(s, p, g, audience, rev, now, &t)) != HELPERD_TOKENS_OK)
        goto out;
    r = HELPERD_TOKENS_ERR_OVER_BUDGET;
    if (strlen(t.token) > helperd_tokens_budget(g->scope))
        goto out;
    *out = t;
    t.token = NULL; /* the caller owns it now */
    r = HELPERD_TOKENS_OK;
out:
    helperd_tokens_issued_clear(&t);
    return r;
}

helperd_tokens_result
helperd_tokens_access_length(const struct signer *s, const struct helperd_tokens_params *p,
                             const struct helperd_tokens_grant *g, const char *audience,
                             int64_t now, size_t *len)
{
    struct helperd_tokens_issued t;
    helperd_tokens_result r;

    *len = 0;
    if ((r = mint_access(s, p, g, audience, NULL, now, &t)) == HELPERD_TOKENS_OK)
        *len = strlen(t.token);
    helperd_tokens_issued_clear(&t);
    return r;
}

/* pwb = keyed BLAKE2b-128 over "name:gen:hash" (jwt-helperd(8), Tokens): a password
 * change (new hash) or a bump of gen changes it; the key is not the HMAC
 * key, so a pwb reveals nothing usable for signing. */
static helperd_tokens_result
pwb_compute(const struct helperd_tokens_secret *sec, const struct userdb_record *rec,
            unsigned char out[HELPERD_TOKENS_PWB_BYTES])
{
    size_t cap = strlen(rec->name) + strlen(rec->hash) + 24; /* 2 colons, 20 digits, NUL */
    char *msg = malloc(cap);
    int n;
    helperd_tokens_result r = HELPERD_TOKENS_ERR_NOMEM;

    if (msg == NULL)
        goto out;
    r = HELPERD_TOKENS_ERR_INTERNAL;
    n = snprintf(msg, cap, "%s:%" PRIu64 ":%s", rec->name, rec->gen, rec->hash);
    if (n < 0 || (size_t)n >= cap)
        goto out;
    if (crypto_generichash(out, HELPERD_TOKENS_PWB_BYTES, (const unsigned char *)msg, (size_t)n,
                           sec->pwb_key, sizeof(sec->pwb_key)) != 0)
        goto out;
    r = HELPERD_TOKENS_OK;
out:
    secret_free(msg, cap);
    return r;
}

/* header.payload.HMAC, the compact JWS of a refresh token. */
static helperd_tokens_result
hs256_token(const struct helperd_tokens_secret *sec, const char *payload, char **out)
{
    char *input = NULL;
    unsigned char tag[32];
    helperd_tokens_result r = HELPERD_TOKENS_ERR_NOMEM;

    *out = NULL;
    if ((input = jwt_jws_signing_input(RT_HEADER, payload)) == NULL)
        goto out;
    if ((r = from_jwt(jwt_hs256_sign(sec->sign_key, sizeof(sec->sign_key),
                                     (const unsigned char *)input, strlen(input), tag))) !=
        HELPERD_TOKENS_OK)
        goto out;
    r = (*out = jwt_jws_compact(input, tag, sizeof(tag))) != NULL ? HELPERD_TOKENS_OK
                                                                  : HELPERD_TOKENS_ERR_NOMEM;
out:
    sodium_memzero(tag, sizeof(tag));
    secret_free_str(input);
    return r;
}

/* Wipes a string json-c holds (a pwb member, a serialised payload): json-c
 * hands out const pointers into memory the object owns and may write. */
static void
wipe_json_string(const char *s)
{
    if (s != NULL)
        sodium_memzero((void *)(uintptr_t)s, strlen(s));
}

static helperd_tokens_result
refresh_sign(const struct helperd_tokens_secret *sec, const struct helperd_tokens_params *p,
             const struct userdb_record *rec, const struct helperd_tokens_grant *g,
             struct helperd_tokens_issued *t)
{
    unsigned char pwb[HELPERD_TOKENS_PWB_BYTES];
    struct json_object *claims = NULL;
    char *pwb_b64 = NULL;
    const char *payload = NULL;
    helperd_tokens_result r;

    if ((r = pwb_compute(sec, rec, pwb)) != HELPERD_TOKENS_OK)
        goto out;
    r = HELPERD_TOKENS_ERR_NOMEM;
    if ((pwb_b64 = jwt_b64url_encode(pwb, sizeof(pwb))) == NULL ||
        (claims = claims_new(p, g, p->issuer, t)) == NULL ||
        !add_member(claims, "gen", json_object_new_uint64(rec->gen)) ||
        !add_member(claims, "pwb", json_object_new_string(pwb_b64)))
        goto out;
    if ((payload = json_object_to_json_string_ext(claims, JSON_FLAGS)) == NULL)
        goto out;
    r = hs256_token(sec, payload, &t->token);
out:
    sodium_memzero(pwb, sizeof(pwb));
    secret_free_str(pwb_b64);
    wipe_json_string(payload);
    if (claims != NULL)
        wipe_json_string(json_object_get_string(json_object_object_get(claims, "pwb")));
    json_object_put(claims);
    return r;
}

helperd_tokens_result
helperd_tokens_issue_refresh(const struct helperd_tokens_secret *sec,
                             const struct helperd_tokens_params *p, const struct userdb_record *rec,
                             const struct helperd_tokens_grant *g, const struct jwt_revocation *rev,
                             int64_t now, struct helperd_tokens_issued *out)
{
    struct helperd_tokens_issued t = {0};
    helperd_tokens_result r = HELPERD_TOKENS_ERR_PARAMS;

    memset(out, 0, sizeof(*out));
    if (!params_are_valid(p, now) || !grant_is_valid(g) || strcmp(rec->name, g->sub) != 0 ||
        rec->hash == NULL)
        goto out;
    if ((r = pick_iat(rev, g->sub, now, &t.iat)) != HELPERD_TOKENS_OK)
        goto out;
    t.has_exp = p->refresh_ttl != 0;
    t.exp = t.has_exp ? t.iat + p->refresh_ttl : 0;
    make_jti(t.jti);
    if ((r = refresh_sign(sec, p, rec, g, &t)) != HELPERD_TOKENS_OK)
        goto out;
    *out = t;
    t.token = NULL; /* the caller owns it now */
out:
    helperd_tokens_issued_clear(&t);
    return r;
}

/* ---- checking refresh tokens ---- */

void
helperd_tokens_refresh_clear(struct helperd_tokens_refresh *rt)
{
    free(rt->scope);
    sodium_memzero(rt, sizeof(*rt));
}

/* Copies the string claim name into buf (cap bytes with NUL) when it is a
 * string of 1..cap-1 bytes. */
static bool
copy_string_claim(const struct json_object *c, const char *name, char *buf, size_t cap)
{
    const char *v = NULL;
    size_t n;

    if (jwt_json_get_string(c, name, &v) <= 0 || (n = strlen(v)) == 0 || n >= cap)
        return false;
    memcpy(buf, v, n + 1);
    return true;
}

/* iss and aud are ours, sub names a user, jti is one of ours. */
static helperd_tokens_result
check_identity(const struct helperd_tokens_params *p, const struct json_object *c,
               struct helperd_tokens_refresh *rt)
{
    const char *iss = NULL, *aud = NULL;

    if (jwt_json_get_string(c, "iss", &iss) <= 0 || strcmp(iss, p->issuer) != 0 ||
        jwt_json_get_string(c, "aud", &aud) <= 0 || strcmp(aud, p->issuer) != 0)
        return HELPERD_TOKENS_ERR_CLAIMS;
    if (!copy_string_claim(c, "sub", rt->sub, sizeof(rt->sub)) || !name_is_valid(rt->sub))
        return HELPERD_TOKENS_ERR_CLAIMS;
    if (!copy_string_claim(c, "jti", rt->jti, sizeof(rt->jti)) ||
        strlen(rt->jti) != HELPERD_TOKENS_JTI_LEN)
        return HELPERD_TOKENS_ERR_CLAIMS;
    return HELPERD_TOKENS_OK;
}

/* RFC 7519 §4.1.4: expired at or after exp. No leeway: only our clock
 * matters. With a refresh_ttl set, a token must carry exp and may not live
 * longer than refresh_ttl allows now (a lowered refresh_ttl applies to
 * tokens already out, as a raised max_lifetime does not). */
static helperd_tokens_result
check_times(const struct helperd_tokens_params *p, const struct json_object *c, int64_t now,
            struct helperd_tokens_refresh *rt)
{
    int got;

    if (jwt_json_get_int64(c, "iat", &rt->iat) <= 0 ||
        jwt_json_get_int64(c, "auth_time", &rt->auth_time) <= 0 || rt->auth_time < 0 ||
        rt->auth_time > rt->iat || rt->iat > now + HELPERD_TOKENS_IAT_LEEWAY)
        return HELPERD_TOKENS_ERR_CLAIMS;
    if ((got = jwt_json_get_int64(c, "exp", &rt->exp)) < 0)
        return HELPERD_TOKENS_ERR_CLAIMS;
    rt->has_exp = got > 0;
    if (rt->has_exp && rt->exp <= now)
        return HELPERD_TOKENS_ERR_EXPIRED;
    if (p->refresh_ttl != 0 && (!rt->has_exp || rt->exp - rt->iat > p->refresh_ttl))
        return HELPERD_TOKENS_ERR_EXPIRED;
    return HELPERD_TOKENS_OK;
}

/* scope, gen and pwb: what refresh_bind compares with the record. */
static helperd_tokens_result
read_binding(const struct json_object *c, struct helperd_tokens_refresh *rt)
{
    struct json_object *gen = NULL;
    const char *scope = NULL, *pwb = NULL;

    if (jwt_json_get_string(c, "scope", &scope) <= 0 || !scope_is_valid(scope, true))
        return HELPERD_TOKENS_ERR_CLAIMS;
    /* gen is a JSON integer 0..UINT64_MAX (json-c keeps big ones as uint64). */
    if (!json_object_object_get_ex(c, "gen", &gen) || !json_object_is_type(gen, json_type_int) ||
        json_object_get_int64(gen) < 0)
        return HELPERD_TOKENS_ERR_CLAIMS;
    rt->gen = json_object_get_uint64(gen);
    if (jwt_json_get_string(c, "pwb", &pwb) <= 0 ||
        jwt_b64url_decode_exact(pwb, strlen(pwb), rt->pwb, sizeof(rt->pwb)) != JWT_OK)
        return HELPERD_TOKENS_ERR_CLAIMS;
    wipe_json_string(pwb);
    if ((rt->scope = strdup(scope)) == NULL)
        return HELPERD_TOKENS_ERR_NOMEM;
    return HELPERD_TOKENS_OK;
}

/* Shape, alg, typ and the HMAC: nothing of the payload is read before. */
static helperd_tokens_result
check_signature(const struct helperd_tokens_secret *sec, const char *token, size_t len,
                struct jwt_jws *jws)
{
    jwt_result jr = jwt_jws_parse(token, len, HELPERD_TOKENS_MAX_REFRESH_LEN,
                                  JWT_ALG_BIT(JWT_ALG_HS256), NULL, 0, jws);

    if (jr == JWT_ERR_NOMEM)
        return HELPERD_TOKENS_ERR_NOMEM;
    if (jr == JWT_ERR_ALG_NOT_ALLOWED)
        return HELPERD_TOKENS_ERR_NOT_REFRESH;
    if (jr != JWT_OK)
        return HELPERD_TOKENS_ERR_MALFORMED;
    if (jws->typ == NULL || strcasecmp(jws->typ, RT_TYP) != 0)
        return HELPERD_TOKENS_ERR_NOT_REFRESH;
    if (jwt_hs256_verify(sec->sign_key, sizeof(sec->sign_key),
                         (const unsigned char *)jws->signing_input, jws->signing_input_len,
                         jws->sig, jws->sig_len) != JWT_OK)
        return HELPERD_TOKENS_ERR_BAD_SIGNATURE;
    return HELPERD_TOKENS_OK;
}

helperd_tokens_result
helperd_tokens_refresh_open(const struct helperd_tokens_secret *sec,
                            const struct helperd_tokens_params *p, const char *token, size_t len,
                            int64_t now, struct helperd_tokens_refresh *out)
{
    struct helperd_tokens_refresh rt = {0};
    struct jwt_jws jws;
    struct json_object *payload = NULL;
    jwt_result jr;
    helperd_tokens_result r = HELPERD_TOKENS_ERR_PARAMS;

    memset(out, 0, sizeof(*out));
    memset(&jws, 0, sizeof(jws));
    if (!params_are_valid(p, now))
        goto out;
    if ((r = check_signature(sec, token, len, &jws)) != HELPERD_TOKENS_OK)
        goto out;
    if ((jr = jwt_jws_payload(&jws, &payload)) != JWT_OK) {
        r = jr == JWT_ERR_NOMEM ? HELPERD_TOKENS_ERR_NOMEM : HELPERD_TOKENS_ERR_MALFORMED;
        goto out;
    }
    if ((r = check_identity(p, payload, &rt)) != HELPERD_TOKENS_OK ||
        (r = check_times(p, payload, now, &rt)) != HELPERD_TOKENS_OK ||
        (r = read_binding(payload, &rt)) != HELPERD_TOKENS_OK)
        goto out;
    *out = rt;
    memset(&rt, 0, sizeof(rt)); /* the caller owns scope now */
out:
    helperd_tokens_refresh_clear(&rt);
    json_object_put(payload);
    jwt_jws_clear(&jws);
    return r;
}

/* gen, pwb, lock and revocation: is this token still the user's? */
static helperd_tokens_result
check_record(const struct helperd_tokens_secret *sec, const struct helperd_tokens_refresh *rt,
             const struct userdb_record *rec, const struct jwt_revocation *rev)
{
    unsigned char pwb[HELPERD_TOKENS_PWB_BYTES];
    int64_t instant = 0;
    helperd_tokens_result r = HELPERD_TOKENS_ERR_UNKNOWN_USER;

    if (rec == NULL || strcmp(rec->name, rt->sub) != 0 || rec->hash == NULL)
        goto out;
    r = HELPERD_TOKENS_ERR_LOCKED;
    if (rec->locked)
        goto out;
    r = HELPERD_TOKENS_ERR_STALE;
    if (rec->gen != rt->gen)
        goto out;
    if ((r = pwb_compute(sec, rec, pwb)) != HELPERD_TOKENS_OK)
        goto out;
    r = HELPERD_TOKENS_ERR_STALE;
    if (sodium_memcmp(pwb, rt->pwb, sizeof(pwb)) != 0)
        goto out;
    r = HELPERD_TOKENS_ERR_REVOKED;
    if (rev != NULL && jwt_revocation_lookup(rev, rt->sub, &instant) && rt->iat <= instant)
        goto out;
    r = HELPERD_TOKENS_OK;
out:
    sodium_memzero(pwb, sizeof(pwb));
    return r;
}

helperd_tokens_result
helperd_tokens_refresh_bind(const struct helperd_tokens_secret *sec,
                            const struct helperd_tokens_refresh *rt,
                            const struct userdb_record *rec, const struct jwt_revocation *rev,
                            const char *scope, struct helperd_tokens_grant *out)
{
    char *record_words = NULL, *held = NULL, *granted = NULL;
    helperd_tokens_result r;

    memset(out, 0, sizeof(*out));
    if ((r = check_record(sec, rt, rec, rev)) != HELPERD_TOKENS_OK)
        goto out;
    /* The refresh token's scope, less what the record no longer holds: an
     * administrator's usermod takes a scope away at the next refresh even
     * where gen was not bumped. */
    if ((r = join_words((const char *const *)rec->scopes, rec->n_scopes, &record_words)) !=
            HELPERD_TOKENS_OK ||
        (r = scope_intersect(rt->scope, record_words, false, &held)) != HELPERD_TOKENS_OK)
        goto out;
    if ((r = scope_grant(held, scope, held, &granted)) != HELPERD_TOKENS_OK)
        goto out;
    memcpy(out->sub, rt->sub, sizeof(out->sub));
    out->scope = granted;
    granted = NULL;
    out->auth_time = rt->auth_time;
out:
    free(record_words);
    free(held);
    free(granted);
    return r;
}
