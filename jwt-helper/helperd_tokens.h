/* SPDX-License-Identifier: MIT */
/* The daemon's token logic (jwt-helperd(8), Tokens): the refresh secret, scope grants,
 * issuing access and refresh tokens, and checking refresh tokens, as pure
 * functions of explicit inputs (keys, parameters, the user record, the clock).
 *
 * A login, in the daemon:
 *   helperd_tokens_grant_login  (after the password was checked)
 *   helperd_tokens_issue_access, then helperd_tokens_issue_refresh
 * A refresh (and an authenticated logout):
 *   helperd_tokens_refresh_open (signature, issuer, audience, expiry)
 *   look the record up by the token's sub
 *   helperd_tokens_refresh_bind (gen, pwb, lock, revocation, narrowing)
 *   helperd_tokens_issue_access
 *
 * Suggested wire mapping (done in the request handler, STYLE "Errors"):
 *   NOMEM, INTERNAL, PARAMS, OVER_BUDGET            -> server_error
 *   SCOPE_SYNTAX, SCOPE, AUDIENCE                   -> invalid_request
 *   everything else (a token or a user refused)     -> invalid_grant */
#ifndef PAM_JWT_HELPERD_TOKENS_H
#define PAM_JWT_HELPERD_TOKENS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jwt.h"
#include "signer.h"
#include "userdb.h"

/* refresh.key: 32 bytes as 43 base64url characters, then a newline. */
#define HELPERD_TOKENS_SECRET_BYTES 32
#define HELPERD_TOKENS_SECRET_TEXT_LEN 43
#define HELPERD_TOKENS_SECRET_MAX_FILE 64 /* larger files are refused unread */

/* Prompt budgets (jwt-helperd(8), Tokens): sudo,
 * pam_exec and older su/login refuse replies of 512 bytes or more; the ssh
 * client's buffer holds 1023. */
#define HELPERD_TOKENS_SUDO_BUDGET 511
#define HELPERD_TOKENS_BUDGET 1023

#define HELPERD_TOKENS_JTI_BYTES 16
#define HELPERD_TOKENS_JTI_LEN 22 /* base64url of 16 bytes */
#define HELPERD_TOKENS_PWB_BYTES 16
/* A refresh token longer than this is refused before it is looked at; ours
 * are about 400 bytes plus the scope list. */
#define HELPERD_TOKENS_MAX_REFRESH_LEN 4096
/* The audiences entry that allows "host:" and any one host name or address
 * (jwt-helperd(8) audiences): letters, digits, '-', '.', ':' (IPv6); issued lowercased. */
#define HELPERD_TOKENS_ANY_HOST "host:*"
#define HELPERD_TOKENS_HOST_PREFIX "host:"
#define HELPERD_TOKENS_MAX_HOST 253 /* a DNS name's longest text form (RFC 1035 §2.3.4) */
#define HELPERD_TOKENS_HOST_AUD_SIZE (sizeof HELPERD_TOKENS_HOST_PREFIX + HELPERD_TOKENS_MAX_HOST)
/* A requested scope string longer than this is malformed. */
#define HELPERD_TOKENS_MAX_SCOPE_LEN 1024
/* A refresh token's iat may be this far ahead of the clock (the daemon's
 * clock may step back; the revocation rule may put iat one second ahead). */
#define HELPERD_TOKENS_IAT_LEEWAY 60
/* The longest lifetime a parameter may ask for (ten years). */
#define HELPERD_TOKENS_MAX_TTL (10LL * 366 * 86400)

/* The reasons are logged (helperd_tokens_result_str); never a token. */
typedef enum {
    HELPERD_TOKENS_OK = 0,
    HELPERD_TOKENS_ERR_NOMEM,         /* "out of memory" */
    HELPERD_TOKENS_ERR_INTERNAL,      /* "internal error" (signing, hashing failed) */
    HELPERD_TOKENS_ERR_PARAMS,        /* "bad token parameters" (config or caller bug) */
    HELPERD_TOKENS_ERR_SCOPE_SYNTAX,  /* "malformed scope" */
    HELPERD_TOKENS_ERR_SCOPE,         /* "scope not granted" (not held, or widening) */
    HELPERD_TOKENS_ERR_AUDIENCE,      /* "audience not allowed" */
    HELPERD_TOKENS_ERR_OVER_BUDGET,   /* "token over its prompt budget" */
    HELPERD_TOKENS_ERR_LOCKED,        /* "user locked" */
    HELPERD_TOKENS_ERR_REVOKED,       /* "revoked" (iat at or before the listed instant) */
    HELPERD_TOKENS_ERR_MALFORMED,     /* "malformed refresh token" */
    HELPERD_TOKENS_ERR_NOT_REFRESH,   /* "not a refresh token" (alg or typ) */
    HELPERD_TOKENS_ERR_BAD_SIGNATURE, /* "bad signature" */
    HELPERD_TOKENS_ERR_CLAIMS,        /* "bad refresh token claims" (iss, aud, a type) */
    HELPERD_TOKENS_ERR_EXPIRED,       /* "expired" (or older than refresh_ttl allows now) */
    HELPERD_TOKENS_ERR_UNKNOWN_USER,  /* "unknown user" */
    HELPERD_TOKENS_ERR_STALE,         /* "superseded by a password change or revoke" */
    HELPERD_TOKENS_RESULT_COUNT
} helperd_tokens_result;

#define HELPERD_TOKENS_MUST_CHECK __attribute__((warn_unused_result))

/* Returns a static string naming r; never NULL. */
const char *helperd_tokens_result_str(helperd_tokens_result r);

/* What the daemon's configuration says about tokens (jwt-helperd(8), CONFIGURATION).
 * Pointers are borrowed for the duration of each call. */
struct helperd_tokens_params {
    const char *issuer;           /* iss; also the refresh token's aud */
    const char *audience;         /* the aud when none is requested */
    const char *const *audiences; /* the allow-list for a requested aud; the
                                   * default audience is always allowed */
    size_t n_audiences;
    const char *const *default_scopes; /* default_scope words */
    size_t n_default_scopes;
    int64_t access_ttl;  /* 1 .. HELPERD_TOKENS_MAX_TTL */
    int64_t refresh_ttl; /* 0 = no exp, else 1 .. HELPERD_TOKENS_MAX_TTL */
};

/* ---- the refresh secret ---- */

/* Two keys derived from refresh.key with crypto_kdf (contexts "rtsign__"
 * and "pwbind__"), so the key that signs refresh tokens is not the key of
 * pwb. Opaque; lives in sodium_malloc memory, read-only once made. */
struct helperd_tokens_secret;

/* Reads path with jwt_file_read (owner root, the euid or daemon_uid (-1 for
 * none); not group/other-writable; at most HELPERD_TOKENS_SECRET_MAX_FILE
 * bytes) and parses it as helperd_tokens_secret_from_text does. The file
 * text and the decoded bytes are wiped. Returns JWT_OK with *out the
 * caller's (helperd_tokens_secret_free), JWT_ERR_FILE_OPEN (errno kept),
 * JWT_ERR_FILE_UNSAFE, JWT_ERR_FILE_TOO_BIG, JWT_ERR_KEY_INVALID,
 * JWT_ERR_NOMEM or JWT_ERR_INTERNAL. (A key file's failures are the core's
 * file and key results, as for signer_load.) */
jwt_result helperd_tokens_secret_load(const char *path, long daemon_uid,
                                      struct helperd_tokens_secret **out) JWT_MUST_CHECK;
/* Parses text[0..len): exactly HELPERD_TOKENS_SECRET_TEXT_LEN canonical
 * base64url characters, optionally followed by one "\n"; nothing else (no
 * padding, no whitespace, no CR). JWT_ERR_KEY_INVALID otherwise. text is
 * the caller's to wipe; the decoded bytes are wiped here. */
jwt_result helperd_tokens_secret_from_text(const char *text, size_t len,
                                           struct helperd_tokens_secret **out) JWT_MUST_CHECK;
/* Derives the keys from 32 secret bytes (the caller wipes its copy).
 * JWT_OK, JWT_ERR_NOMEM or JWT_ERR_INTERNAL. */
jwt_result helperd_tokens_secret_from_bytes(const unsigned char key[HELPERD_TOKENS_SECRET_BYTES],
                                            struct helperd_tokens_secret **out) JWT_MUST_CHECK;
/* Wipes and frees s; NULL is a no-op. */
void helperd_tokens_secret_free(struct helperd_tokens_secret *s);

/* ---- grants ---- */

/* What an access token is minted from: whose, which scope, which login. */
struct helperd_tokens_grant {
    char sub[JWT_USER_NAME_MAX + 1];
    char *scope;       /* space-separated words, malloc'd; "" when none */
    int64_t auth_time; /* the password login this descends from */
};

/* Clears g and frees its scope; safe on a zeroed or cleared grant. */
void helperd_tokens_grant_clear(struct helperd_tokens_grant *g);

/* A password login of rec succeeded at now (the caller checked the
 * password): grants scope, a space-separated list (RFC 6749 §3.3: words
 * [a-z0-9_.-]+ separated by single spaces, no duplicates, not empty), all
 * of whose words the record must hold; or, when scope is NULL, the
 * default_scope words the record holds (possibly none). Granted words keep
 * the record's order. auth_time = now. Returns OK (*out the caller's,
 * helperd_tokens_grant_clear), ERR_LOCKED, ERR_SCOPE_SYNTAX, ERR_SCOPE,
 * ERR_PARAMS (a record name of the wrong grammar), ERR_NOMEM. */
helperd_tokens_result
helperd_tokens_grant_login(const struct helperd_tokens_params *p, const struct userdb_record *rec,
                           const char *scope, int64_t now,
                           struct helperd_tokens_grant *out) HELPERD_TOKENS_MUST_CHECK;

/* ---- issuing ---- */

/* A token just issued. token is a secret: helperd_tokens_issued_clear
 * wipes it. jti is loggable. */
struct helperd_tokens_issued {
    char *token;
    char jti[HELPERD_TOKENS_JTI_LEN + 1];
    int64_t iat;
    int64_t exp; /* 0 when has_exp is false */
    bool has_exp;
};

/* Wipes and frees the token and clears the rest; safe on a cleared one. */
void helperd_tokens_issued_clear(struct helperd_tokens_issued *t);

/* Returns true when want names one host as HELPERD_TOKENS_ANY_HOST allows:
 * "host:" then 1..HELPERD_TOKENS_MAX_HOST bytes of [A-Za-z0-9.:-] starting
 * with a letter, digit or ':' and holding no "..". */
bool helperd_tokens_audience_is_host(const char *want);

/* Mints an access token for g with signer s: header alg (the signer's), typ
 * at+jwt, kid; claims iss, sub, aud (audience when it is p->audience or in
 * p->audiences, exactly; or, when p->audiences holds HELPERD_TOKENS_ANY_HOST,
 * any audience helperd_tokens_audience_is_host accepts, lowercased; p->audience
 * when NULL), exp = iat + access_ttl, iat, jti (16
 * random bytes), scope, auth_time, amr ["pwd"]; no nbf. iat is now, or the
 * next second after now when rev lists the user at now (jwt-helperd(8), "Revocation list": never
 * at or before the listed instant); a listed instant after now refuses
 * (ERR_REVOKED): an honest iat would be dead on arrival. A token longer than
 * its budget (helperd_tokens_budget) is wiped and refused: ERR_OVER_BUDGET. rev may be
 * NULL. Returns OK with *out the caller's, ERR_AUDIENCE, ERR_REVOKED,
 * ERR_OVER_BUDGET, ERR_PARAMS, ERR_NOMEM, ERR_INTERNAL. */
helperd_tokens_result
helperd_tokens_issue_access(const struct signer *s, const struct helperd_tokens_params *p,
                            const struct helperd_tokens_grant *g, const char *audience,
                            const struct jwt_revocation *rev, int64_t now,
                            struct helperd_tokens_issued *out) HELPERD_TOKENS_MUST_CHECK;

/* Returns the prompt budget of an access token whose scope (a
 * space-separated list) is scope: HELPERD_TOKENS_SUDO_BUDGET when it holds
 * the word "sudo", else HELPERD_TOKENS_BUDGET. */
size_t helperd_tokens_budget(const char *scope);

/* Mints the access token helperd_tokens_issue_access would (no revocation
 * list, no budget check), sets *len to its length and wipes it: how long
 * the daemon's tokens are, for `jwt-helper doctor`. Returns OK, or what
 * helperd_tokens_issue_access returns for the same inputs (*len 0). */
helperd_tokens_result helperd_tokens_access_length(const struct signer *s,
                                                   const struct helperd_tokens_params *p,
                                                   const struct helperd_tokens_grant *g,
                                                   const char *audience, int64_t now,
                                                   size_t *len) HELPERD_TOKENS_MUST_CHECK;

/* Mints a refresh token for g (rec is the same user's current record):
 * header {"alg":"HS256","typ":"rt+jwt"}; claims iss, sub, aud = iss, iat
 * (as for access tokens), exp = iat + refresh_ttl unless refresh_ttl is 0,
 * jti, scope, auth_time, amr ["pwd"], gen = rec->gen, pwb = base64url of
 * 16 bytes of keyed BLAKE2b over "name:gen:hash". HMAC-SHA-256 with the
 * derived signing key. Returns OK with *out the caller's, ERR_REVOKED,
 * ERR_PARAMS (also rec not g's user), ERR_NOMEM, ERR_INTERNAL. Every
 * buffer that held pwb, the hash or the token is wiped. */
helperd_tokens_result
helperd_tokens_issue_refresh(const struct helperd_tokens_secret *sec,
                             const struct helperd_tokens_params *p, const struct userdb_record *rec,
                             const struct helperd_tokens_grant *g, const struct jwt_revocation *rev,
                             int64_t now,
                             struct helperd_tokens_issued *out) HELPERD_TOKENS_MUST_CHECK;

/* ---- checking refresh tokens ---- */

/* The facts of a refresh token whose signature and issuer-side claims
 * passed (helperd_tokens_refresh_open): not yet checked against the user's
 * record. Use them only to look the record up and to call
 * helperd_tokens_refresh_bind. */
struct helperd_tokens_refresh {
    char sub[JWT_USER_NAME_MAX + 1];
    char jti[HELPERD_TOKENS_JTI_LEN + 1]; /* loggable; "" when unusual */
    char *scope;                          /* malloc'd, space-separated, may be "" */
    int64_t iat, auth_time, exp;
    bool has_exp;
    uint64_t gen;
    unsigned char pwb[HELPERD_TOKENS_PWB_BYTES]; /* wiped by _clear */
};

/* Wipes pwb, frees scope, clears the rest; safe on a cleared one. */
void helperd_tokens_refresh_clear(struct helperd_tokens_refresh *rt);

/* Checks token[0..len) as a refresh token of this daemon at now: at most
 * HELPERD_TOKENS_MAX_REFRESH_LEN, compact JWS with alg HS256 and typ exactly
 * rt+jwt (any case), the HMAC under the derived key, then the claims: iss =
 * p->issuer, aud = iss, sub a valid user name, iat and auth_time integers
 * (auth_time <= iat, iat not over HELPERD_TOKENS_IAT_LEEWAY ahead), exp after
 * now when present (no leeway: only our clock matters) and, when refresh_ttl
 * is not 0, present with exp - iat <= refresh_ttl, scope a valid list, gen a
 * non-negative integer, pwb 16 bytes. Returns OK with *out the caller's
 * (helperd_tokens_refresh_clear), ERR_MALFORMED, ERR_NOT_REFRESH,
 * ERR_BAD_SIGNATURE, ERR_CLAIMS, ERR_EXPIRED, ERR_PARAMS, ERR_NOMEM. */
helperd_tokens_result
helperd_tokens_refresh_open(const struct helperd_tokens_secret *sec,
                            const struct helperd_tokens_params *p, const char *token, size_t len,
                            int64_t now,
                            struct helperd_tokens_refresh *out) HELPERD_TOKENS_MUST_CHECK;

/* Checks an opened refresh token against rec, the current record of rt->sub
 * (NULL when there is none, or its line is malformed), and the revocation
 * list rev (may be NULL): the record is not locked, gen equals rec->gen, pwb
 * equals the keyed hash of the record now (sodium_memcmp), iat is after
 * the user's listed instant. Then grants scope (NULL: the refresh token's
 * scope; else a list as for login whose words the refresh token holds: a
 * refresh may only narrow it), sub and auth_time from the token. Returns
 * OK with *out the caller's (helperd_tokens_grant_clear), ERR_UNKNOWN_USER,
 * ERR_LOCKED, ERR_STALE, ERR_REVOKED, ERR_SCOPE_SYNTAX, ERR_SCOPE,
 * ERR_NOMEM, ERR_INTERNAL. */
helperd_tokens_result helperd_tokens_refresh_bind(
    const struct helperd_tokens_secret *sec, const struct helperd_tokens_refresh *rt,
    const struct userdb_record *rec, const struct jwt_revocation *rev, const char *scope,
    struct helperd_tokens_grant *out) HELPERD_TOKENS_MUST_CHECK;

#endif
