/* SPDX-License-Identifier: MIT */
/* Compact JWS (RFC 7515 §7.1): split into three segments, check the header. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include <sodium.h>

#include "jwt.h"

/* Header members that would let the token choose its own key, or change
 * how the signature is computed; none of them may appear (pam_jwt(8), DESCRIPTION). */
static const char *const key_members[] = {"jwk", "jku", "x5u", "x5c"};

void
jwt_jws_clear(struct jwt_jws *jws)
{
    json_object_put(jws->header);
    free(jws->sig);
    memset(jws, 0, sizeof(*jws));
}

/* Finds the two dots. Exactly three segments, header and payload
 * non-empty; the signature may be empty here and fails its length check. */
static jwt_result
split_segments(const char *token, size_t len, size_t *dot1, size_t *dot2)
{
    const char *first = memchr(token, '.', len);
    const char *second;

    if (first == NULL)
        return JWT_ERR_SEGMENTS;
    second = memchr(first + 1, '.', len - (size_t)(first + 1 - token));
    if (second == NULL || memchr(second + 1, '.', len - (size_t)(second + 1 - token)) != NULL)
        return JWT_ERR_SEGMENTS;
    *dot1 = (size_t)(first - token);
    *dot2 = (size_t)(second - token);
    if (*dot1 == 0 || *dot2 == *dot1 + 1)
        return JWT_ERR_SEGMENTS;
    return JWT_OK;
}

static bool
is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* True when the header segment starts as a JSON object: its first four
 * characters decode to three bytes whose first non-blank is '{' (every
 * JOSE header does; "eyJ" is the usual '{"'). A password such as
 * "Summer.2024.x" has the shape of three segments but not this. The
 * decoder is the constant-time one, and the bytes are wiped: s may be a
 * password. */
static bool
header_opens_object(const char *seg, size_t len)
{
    unsigned char b[3] = {0};
    size_t i = 0;
    bool opens;

    if (len < 4 || jwt_b64url_decode_exact(seg, 4, b, sizeof b) != JWT_OK)
        return false;
    while (i < 2 && is_blank(b[i]))
        i++;
    opens = b[i] == '{';
    sodium_memzero(b, sizeof b);
    return opens;
}

bool
jwt_jws_is_compact(const char *s, size_t len)
{
    size_t dot1 = 0, dot2 = 0;

    /* A token pasted with a stray blank or newline is still a token (one
     * that fails), never a password to hand on. */
    while (len > 0 && is_blank((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && is_blank((unsigned char)s[len - 1]))
        len--;
    /* The dots are not of the alphabet: three runs of it, split there. */
    return split_segments(s, len, &dot1, &dot2) == JWT_OK && jwt_b64url_is_alphabet(s, dot1) &&
           jwt_b64url_is_alphabet(s + dot1 + 1, dot2 - dot1 - 1) &&
           jwt_b64url_is_alphabet(s + dot2 + 1, len - dot2 - 1) && header_opens_object(s, dot1);
}

static jwt_result
parse_header_json(const char *b64, size_t b64_len, struct json_object **out)
{
    unsigned char *text = NULL;
    size_t text_len = 0;
    jwt_result r;

    if ((r = jwt_b64url_decode_public(b64, b64_len, &text, &text_len)) != JWT_OK)
        return r;
    r = jwt_json_parse_object((const char *)text, text_len, out);
    free(text);
    /* Valid JSON that is not an object is a bad header, not a bad payload. */
    return r == JWT_ERR_PAYLOAD ? JWT_ERR_HEADER : r;
}

static jwt_result
check_alg(struct jwt_jws *jws, unsigned allowed_algs)
{
    const char *name = NULL;
    enum jwt_alg alg;
    int got = jwt_json_get_string(jws->header, "alg", &name);

    if (got < 0)
        return JWT_ERR_HEADER;
    if (got == 0)
        return JWT_ERR_ALG_MISSING;
    /* "none", any case of it, and anything we do not implement. */
    if (!jwt_alg_from_name(name, &alg) || (allowed_algs & JWT_ALG_BIT(alg)) == 0)
        return JWT_ERR_ALG_NOT_ALLOWED;
    jws->alg = alg;
    return JWT_OK;
}

static jwt_result
check_members(struct jwt_jws *jws, const char *const *typs, size_t n_typs)
{
    if (jwt_json_get_string(jws->header, "typ", &jws->typ) < 0 ||
        jwt_json_get_string(jws->header, "kid", &jws->kid) < 0)
        return JWT_ERR_HEADER;
    if (typs != NULL && !jwt_typ_is_accepted(jws->typ, typs, n_typs))
        return JWT_ERR_TYP;
    /* We implement no header extension, so every "crit" is unknown
     * (RFC 7515 §4.1.11: the token must then be rejected). */
    if (json_object_object_get_ex(jws->header, "crit", NULL))
        return JWT_ERR_CRIT;
    /* RFC 7797 unencoded payloads change what is signed. */
    if (json_object_object_get_ex(jws->header, "b64", NULL))
        return JWT_ERR_B64;
    for (size_t i = 0; i < sizeof(key_members) / sizeof(key_members[0]); i++) {
        if (json_object_object_get_ex(jws->header, key_members[i], NULL))
            return JWT_ERR_EMBEDDED_KEY;
    }
    return JWT_OK;
}

void
jwt_jws_header_cache_clear(struct jwt_jws_header_cache *cache)
{
    free(cache->segment);
    json_object_put(cache->header);
    memset(cache, 0, sizeof(*cache));
}

/* Takes the cached header when the segment is byte for byte the cached
 * one. The bytes are public, so memcmp's timing gives nothing away.
 * What the cache buys, measured with tests/bench/callgrind.sh
 * (instructions; OpenSSL 3.0, json-c 0.16): parsing every header again
 * costs 14k more per verification, +4.0% of an RS256 one (349k), PS256
 * +3.7%, EdDSA +1.7%, ES256 +1.6%, a warm PAM round trip +2.4%. */
static bool
header_cache_take(const struct jwt_jws_header_cache *cache, const char *segment, size_t len,
                  struct jwt_jws *jws)
{
    if (cache == NULL || cache->header == NULL || cache->segment_len != len ||
        memcmp(cache->segment, segment, len) != 0)
        return false;
    jws->header = json_object_get(cache->header);
    jws->alg = cache->alg;
    jws->kid = cache->kid;
    jws->typ = cache->typ;
    return true;
}

/* Remembers a header that passed every check; without memory for the copy
 * the cache just stays empty, which costs speed, not correctness. */
static void
header_cache_put(struct jwt_jws_header_cache *cache, const char *segment, size_t len,
                 const struct jwt_jws *jws)
{
    char *copy;

    if (cache == NULL)
        return;
    jwt_jws_header_cache_clear(cache);
    if ((copy = malloc(len > 0 ? len : 1)) == NULL)
        return;
    memcpy(copy, segment, len);
    cache->segment = copy;
    cache->segment_len = len;
    cache->header = json_object_get(jws->header);
    cache->alg = jws->alg;
    cache->kid = jws->kid;
    cache->typ = jws->typ;
}

/* The header checks in pam_jwt(8)'s order. A cached header passed all of
 * them once; only the ones that depend on the caller's policy can change. */
static jwt_result
check_header(struct jwt_jws *jws, bool cached, unsigned allowed_algs, const char *const *typs,
             size_t n_typs)
{
    jwt_result r;

    if (!cached) {
        if ((r = check_alg(jws, allowed_algs)) != JWT_OK)
            return r;
        return check_members(jws, typs, n_typs);
    }
    if ((allowed_algs & JWT_ALG_BIT(jws->alg)) == 0)
        return JWT_ERR_ALG_NOT_ALLOWED;
    if (typs != NULL && !jwt_typ_is_accepted(jws->typ, typs, n_typs))
        return JWT_ERR_TYP;
    return JWT_OK;
}

jwt_result
jwt_jws_parse_cached(const char *token, size_t len, size_t max_len, unsigned allowed_algs,
                     const char *const *typs, size_t n_typs, struct jwt_jws_header_cache *cache,
                     struct jwt_jws *out)
{
    struct jwt_jws jws = {0};
    size_t dot1 = 0, dot2 = 0;
    bool cached = false;
    jwt_result r;

    memset(out, 0, sizeof(*out));
    /* Length first: nothing of an oversize token is looked at. */
    if (len > max_len)
        return JWT_ERR_TOO_LONG;
    if (len == 0)
        return JWT_ERR_EMPTY;
    if ((r = split_segments(token, len, &dot1, &dot2)) != JWT_OK)
        goto out;
    cached = header_cache_take(cache, token, dot1, &jws);
    if (!cached && (r = parse_header_json(token, dot1, &jws.header)) != JWT_OK)
        goto out;
    if ((r = check_header(&jws, cached, allowed_algs, typs, n_typs)) != JWT_OK)
        goto out;
    if (!cached)
        header_cache_put(cache, token, dot1, &jws);
    /* The signature's encoding only after the header: the reason logged
     * follows pam_jwt(8)'s order of checks. */
    if ((r = jwt_b64url_decode_public(token + dot2 + 1, len - dot2 - 1, &jws.sig, &jws.sig_len)) !=
        JWT_OK)
        goto out;
    jws.signing_input = token;
    jws.signing_input_len = dot2;
    jws.payload_b64 = token + dot1 + 1;
    jws.payload_b64_len = dot2 - dot1 - 1;
    *out = jws;
    memset(&jws, 0, sizeof(jws)); /* the caller owns header and sig now */
out:
    jwt_jws_clear(&jws);
    return r;
}

jwt_result
jwt_jws_parse(const char *token, size_t len, size_t max_len, unsigned allowed_algs,
              const char *const *typs, size_t n_typs, struct jwt_jws *out)
{
    return jwt_jws_parse_cached(token, len, max_len, allowed_algs, typs, n_typs, NULL, out);
}

/* An object starts with '{' after optional whitespace; anything else
 * (text, an array, a number) is "not a JSON object" rather than malformed. */
static bool
looks_like_object(const unsigned char *text, size_t len)
{
    size_t i = 0;

    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    return i < len && text[i] == '{';
}

jwt_result
jwt_jws_payload(const struct jwt_jws *jws, struct json_object **out)
{
    unsigned char *text = NULL;
    size_t text_len = 0;
    jwt_result r;

    *out = NULL;
    if ((r = jwt_b64url_decode_public(jws->payload_b64, jws->payload_b64_len, &text, &text_len)) !=
        JWT_OK)
        return r;
    if (!looks_like_object(text, text_len))
        r = JWT_ERR_PAYLOAD;
    else
        r = jwt_json_parse_object((const char *)text, text_len, out);
    free(text);
    return r;
}

/* RFC 7515 §4.1.9: media type names are case-insensitive and the
 * "application/" prefix may be left out. */
static const char *
strip_media_prefix(const char *typ)
{
    static const char prefix[] = "application/";

    if (strncasecmp(typ, prefix, sizeof(prefix) - 1) == 0)
        return typ + sizeof(prefix) - 1;
    return typ;
}

bool
jwt_typ_is_accepted(const char *typ, const char *const *accepted, size_t n_accepted)
{
    const char *name = strip_media_prefix(typ != NULL ? typ : "JWT");

    /* A refresh token must never pass as an access token (pam_jwt(8), SECURITY NOTES). */
    if (strcasecmp(name, "rt+jwt") == 0)
        return false;
    for (size_t i = 0; i < n_accepted; i++) {
        if (strcasecmp(name, strip_media_prefix(accepted[i])) == 0)
            return true;
    }
    return false;
}
