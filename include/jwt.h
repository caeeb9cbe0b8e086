/* SPDX-License-Identifier: MIT */
/* The token core: strict base64url, strict JSON, compact JWS, JWK / JWK Set,
 * signature checks and claim checks, shared by the module, daemon and CLI. */
#ifndef PAM_JWT_JWT_H
#define PAM_JWT_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct json_object;
typedef struct evp_pkey_st EVP_PKEY;

#define JWT_MUST_CHECK __attribute__((warn_unused_result))

/* Limits that hold whatever the configuration says. */
#define JWT_DEFAULT_MAX_TOKEN_LEN 8192
#define JWT_HARD_MAX_TOKEN_LEN 65536     /* max_token_len may not exceed this */
#define JWT_JSON_MAX_DEPTH 16            /* nesting of objects and arrays */
#define JWT_MAX_JWKS_BYTES (1024 * 1024) /* a key set file larger than this is refused */
#define JWT_MAX_JWKS_KEYS 64
#define JWT_RSA_MIN_BITS 2048
#define JWT_RSA_MAX_BITS 16384

/* Every outcome of the core, each with its own short reason (jwt_result_str).
 * The order of the enum is not an API; the strings are (logs, CLI, tests). */
typedef enum {
    JWT_OK = 0,
    JWT_ERR_NOMEM,    /* "out of memory" */
    JWT_ERR_INTERNAL, /* "internal error" (a crypto library call failed) */
    /* shape of the token */
    JWT_ERR_EMPTY,    /* "empty token" */
    JWT_ERR_TOO_LONG, /* "token too long" (see jwt_verified.reason for N and limit) */
    JWT_ERR_SEGMENTS, /* "not three segments" */
    JWT_ERR_BASE64,   /* "bad base64url" */
    JWT_ERR_JSON,     /* "malformed JSON" */
    /* header */
    JWT_ERR_HEADER,          /* "bad header" (not an object, member of the wrong type) */
    JWT_ERR_ALG_MISSING,     /* "alg missing" */
    JWT_ERR_ALG_NOT_ALLOWED, /* "alg not allowed" */
    JWT_ERR_TYP,             /* "typ not accepted" */
    JWT_ERR_CRIT,            /* "crit not supported" */
    JWT_ERR_B64,             /* "b64 not supported" */
    JWT_ERR_EMBEDDED_KEY,    /* "header carries a key" (jwk, jku, x5u, x5c) */
    /* key choice and signature */
    JWT_ERR_KEY_NOT_FOUND, /* "no matching key" */
    JWT_ERR_KEY_AMBIGUOUS, /* "several keys fit" */
    JWT_ERR_KEY_MISMATCH,  /* "key does not fit alg" */
    JWT_ERR_KEY_UNUSABLE,  /* "key not usable" (kid names a key we refused to load) */
    JWT_ERR_SIG_LENGTH,    /* "bad signature length" */
    JWT_ERR_BAD_SIGNATURE, /* "bad signature" */
    /* payload and claims, checked only after the signature */
    JWT_ERR_PAYLOAD,       /* "payload is not a JSON object" */
    JWT_ERR_CLAIM_TYPE,    /* "claim of wrong type" */
    JWT_ERR_EXP_MISSING,   /* "exp missing" */
    JWT_ERR_EXPIRED,       /* "expired" */
    JWT_ERR_NOT_YET_VALID, /* "not yet valid" (nbf) */
    JWT_ERR_IAT_FUTURE,    /* "issued in the future" */
    JWT_ERR_LIFETIME,      /* "lifetime exceeds max_lifetime" */
    JWT_ERR_ISSUER,        /* "wrong issuer" */
    JWT_ERR_AUDIENCE,      /* "wrong audience" (see jwt_verified.reason for what is accepted) */
    JWT_ERR_CLIENT,        /* "wrong client" (client_id, or azp where it is absent) */
    JWT_ERR_USER,          /* "wrong user" */
    JWT_ERR_SCOPE,         /* "scope not granted" */
    JWT_ERR_AUTH_AGE,      /* "auth_time too old" (or missing where max_auth_age is set) */
    JWT_ERR_ID_TOKEN,      /* "ID token, not an access token" */
    JWT_ERR_REVOKED,       /* "revoked" */
    JWT_ERR_KEY_RETIRED,   /* "key retired" (iat after the key's retired + leeway, or none) */
    JWT_ERR_JTI_MISSING,   /* "jti missing" (once) */
    JWT_ERR_REPLAYED,      /* "token already used" (once) */
    /* key files and key sets */
    JWT_ERR_FILE_OPEN,       /* "cannot open file" */
    JWT_ERR_FILE_UNSAFE,     /* "unsafe file" (not regular, wrong owner, group/other-writable) */
    JWT_ERR_FILE_TOO_BIG,    /* "file too big" */
    JWT_ERR_KEY_INVALID,     /* "malformed key" */
    JWT_ERR_KEY_UNSUPPORTED, /* "unsupported key" (oct, RSA < 2048, unknown curve) */
    JWT_ERR_KEYSET_EMPTY,    /* "no usable key in key set" */
    JWT_ERR_REVOCATION_LIST, /* "malformed revocation list" */
    JWT_RESULT_COUNT
} jwt_result;

/* Returns a static string naming r; never NULL. */
const char *jwt_result_str(jwt_result r);

/* ---- algorithms (jwt_alg.c) ---- */

enum jwt_alg {
    JWT_ALG_EDDSA,
    JWT_ALG_ES256,
    JWT_ALG_ES384,
    JWT_ALG_RS256,
    JWT_ALG_RS384,
    JWT_ALG_RS512,
    JWT_ALG_PS256,
    JWT_ALG_PS384,
    JWT_ALG_PS512,
    JWT_ALG_HS256, /* refresh tokens only: never in an access-token alg mask */
    JWT_ALG_COUNT
};
#define JWT_ALG_BIT(a) (1u << (a))
/* The algorithms an access token may use: everything but HS256. */
#define JWT_ALGS_ACCESS (JWT_ALG_BIT(JWT_ALG_HS256) - 1u)

/* Sets *out and returns true when name is exactly (case-sensitive, RFC 7515
 * §4.1.1) one of the names above; "none", "None", "HS384", "ES512" return false. */
bool jwt_alg_from_name(const char *name, enum jwt_alg *out) JWT_MUST_CHECK;
/* Returns the registered name of alg ("EdDSA", "ES256", ...). */
const char *jwt_alg_name(enum jwt_alg alg);

/* ---- base64url, RFC 7515 §2 (jwt_b64url.c) ---- */

/* Decodes in[0..in_len) strictly: URL-safe alphabet only, no padding, no
 * whitespace, no other byte, and unused trailing bits zero (canonical).
 * Returns JWT_OK with *out malloc'd (one extra NUL byte past *out_len, so
 * decoded JSON can be handed on as a string), JWT_ERR_BASE64 or JWT_ERR_NOMEM.
 * The caller frees *out (wiping it first if it held a secret). */
jwt_result jwt_b64url_decode(const char *in, size_t in_len, unsigned char **out,
                             size_t *out_len) JWT_MUST_CHECK;
/* As above into a caller buffer that must be filled exactly: out_len bytes. */
jwt_result jwt_b64url_decode_exact(const char *in, size_t in_len, unsigned char *out,
                                   size_t out_len) JWT_MUST_CHECK;
/* As jwt_b64url_decode, exactly as strict, for PUBLIC data only (token
 * segments, public JWK members): table-driven, so its timing depends on the
 * input. Anything secret goes through the two constant-time calls above. */
jwt_result jwt_b64url_decode_public(const char *in, size_t in_len, unsigned char **out,
                                    size_t *out_len) JWT_MUST_CHECK;
/* Returns true when every byte of in[0..len) is of the base64url alphabet
 * (A-Z, a-z, 0-9, '-', '_'); true for len 0. */
bool jwt_b64url_is_alphabet(const char *in, size_t len);
/* Returns a malloc'd NUL-terminated unpadded base64url string, or NULL. */
char *jwt_b64url_encode(const unsigned char *in, size_t len);

/* ---- strict JSON (jwt_json.c) ---- */

/* Validates text[0..len) with a strict scanner (RFC 8259 grammar, RFC 3629
 * UTF-8, no duplicate member names within an object, no "\u0000", depth at
 * most JWT_JSON_MAX_DEPTH, nothing but whitespace after the value), then
 * parses it with json-c. Returns JWT_OK with *out owning a json object
 * (top level must be an object), JWT_ERR_JSON for anything the scanner or
 * json-c refuses, JWT_ERR_PAYLOAD when it is valid JSON but not an object,
 * JWT_ERR_NOMEM. text need not be NUL-terminated. */
jwt_result jwt_json_parse_object(const char *text, size_t len,
                                 struct json_object **out) JWT_MUST_CHECK;
/* Returns JWT_OK when text[0..len) passes the strict scanner, else JWT_ERR_JSON. */
jwt_result jwt_json_scan(const char *text, size_t len) JWT_MUST_CHECK;

/* Typed getters: each returns 1 and sets *out when obj has member name of the
 * right type, 0 when the member is absent (*out untouched), -1 when it is
 * present with another type. Nothing is allocated: strings point into obj. */
int jwt_json_get_string(const struct json_object *obj, const char *name, const char **out);
/* A NumericDate (RFC 7519 §2): a JSON integer within int64, no fraction or
 * exponent (json-c stores those as doubles, which count as the wrong type). */
int jwt_json_get_int64(const struct json_object *obj, const char *name, int64_t *out);
/* A string or an array of strings: *out is the member itself. An array with
 * a non-string element counts as the wrong type. */
int jwt_json_get_string_or_array(const struct json_object *obj, const char *name,
                                 const struct json_object **out);
/* The same three checks on a member's value already in hand (a walk over
 * an object's members): 1 with *out set, -1 for another type (a JSON null
 * is v == NULL). */
int jwt_json_value_string(const struct json_object *v, const char **out);
int jwt_json_value_int64(const struct json_object *v, int64_t *out);
int jwt_json_value_string_or_array(const struct json_object *v, const struct json_object **out);
/* Returns true when v (a string or array of strings from the getter above)
 * is, or contains, exactly want. */
bool jwt_json_strings_contain(const struct json_object *v, const char *want);
/* As jwt_json_strings_contain, with match(want, element) deciding equality. */
bool jwt_json_strings_match(const struct json_object *v, const char *want,
                            bool (*match)(const char *want, const char *have));

/* ---- JWK and JWK Set, RFC 7517 / 8037 (jwt_jwk.c, jwt_jwks.c, jwt_pem.c) ---- */

enum jwt_kty { JWT_KTY_OKP, JWT_KTY_EC, JWT_KTY_RSA };
enum jwt_crv { JWT_CRV_NONE, JWT_CRV_ED25519, JWT_CRV_P256, JWT_CRV_P384 };

struct jwt_jwk {
    enum jwt_kty kty;
    enum jwt_crv crv; /* JWT_CRV_NONE for RSA */
    char *kid;        /* NULL when the JWK has none */
    bool has_alg;     /* the JWK's own "alg": then it is for that alg only */
    enum jwt_alg alg;
    int64_t retired;      /* the "retired" member (unix time), 0 when absent */
    unsigned char *x, *y; /* OKP: x (32 bytes); EC: x, y (field size each) */
    size_t x_len, y_len;
    unsigned char *n, *e; /* RSA modulus and exponent, big-endian, no leading zero */
    size_t n_len, e_len;
    unsigned rsa_bits;
    EVP_PKEY *pkey;     /* built on first use by jwt_jwk_pkey; freed with the key */
    void *verify_cache; /* jwt_sig_prepare's contexts; freed with the key */
};

/* Parses one public JWK object. Returns JWT_OK and a new key in *out;
 * JWT_ERR_KEY_INVALID when members are missing, of the wrong type or badly
 * encoded (or the JWK carries private members such as "d": a public key set
 * must not); JWT_ERR_KEY_UNSUPPORTED for "oct", RSA under JWT_RSA_MIN_BITS,
 * curves other than Ed25519/P-256/P-384, or "use" other than "sig". */
jwt_result jwt_jwk_parse(const struct json_object *obj, struct jwt_jwk **out) JWT_MUST_CHECK;
/* Builds a public JWK from an OpenSSL public (or private: only the public
 * half is taken) key; same refusals as jwt_jwk_parse. kid stays NULL. */
jwt_result jwt_jwk_from_pkey(EVP_PKEY *pkey, struct jwt_jwk **out) JWT_MUST_CHECK;
/* Returns true when the JWK object obj has a member only a private or
 * symmetric key has (d, p, q, dp, dq, qi, oth, k), whatever its kty:
 * `jwt-helper jwks install` refuses such a set before anything is written. */
bool jwt_jwk_has_private_member(const struct json_object *obj);
/* Frees key, its pkey and verify cache; NULL is a no-op. */
void jwt_jwk_free(struct jwt_jwk *key);
/* Returns true when key's type, curve and size fit alg (pam_jwt(8), key choice: RSA for
 * RS and PS, P-256 for ES256, P-384 for ES384, Ed25519 for EdDSA) and the
 * key's own alg, if any, equals alg. HS256 fits no JWK. */
bool jwt_jwk_fits_alg(const struct jwt_jwk *key, enum jwt_alg alg);
/* Returns the OpenSSL key for an EC or RSA JWK, building and caching it in
 * key->pkey on first use (the caller does not free it); JWT_ERR_INTERNAL or
 * JWT_ERR_KEY_INVALID (a point off the curve) on failure. Not thread-safe
 * until it has built the key once (jwt_sig_prepare does, at load). */
jwt_result jwt_jwk_pkey(struct jwt_jwk *key, EVP_PKEY **out) JWT_MUST_CHECK;
/* RFC 7638 SHA-256 thumbprint of the public members. */
jwt_result jwt_jwk_thumbprint(const struct jwt_jwk *key, unsigned char out[32]) JWT_MUST_CHECK;
/* Returns a new json object with the public JWK members (kty, crv, x, y, n,
 * e, and kid / alg / use when set), or NULL on allocation failure. */
struct json_object *jwt_jwk_to_json(const struct jwt_jwk *key);

/* The last token header that passed every check of jwt_jws_parse_cached,
 * kept by its exact base64url bytes: the same bytes decode and parse to the
 * same header, alg, kid and typ, so a stream of tokens from one issuer
 * parses its header once. The policy checks (alg mask, typ list) run again
 * on every token. Zeroed = empty. */
struct jwt_jws_header_cache {
    char *segment; /* a copy of the header's base64url text */
    size_t segment_len;
    struct json_object *header; /* one reference, held by the cache */
    enum jwt_alg alg;
    const char *kid, *typ; /* NULL when absent; point into header */
};

/* A key that was in the file but refused, remembered by kid so that a token
 * naming it gets "key not usable" rather than "no matching key". */
struct jwt_jwks {
    struct jwt_jwk **keys;
    size_t n_keys;
    char **unusable_kids;
    size_t n_unusable;
    /* jwt_verify's header cache: it lives and dies with the set, so a
     * reloaded key set starts empty; callers already serialise a set. */
    struct jwt_jws_header_cache header_cache;
};

/* Parses a JWK Set ({"keys":[...]}) from text[0..len): strict JSON first
 * (text that is not a strict JSON object is JWT_ERR_KEY_INVALID).
 * Keys that are well-formed but unsupported (oct, small RSA, other curves,
 * use=enc) are skipped and their kid remembered; a malformed key member
 * fails the whole set (JWT_ERR_KEY_INVALID); a set with no usable key is
 * JWT_ERR_KEYSET_EMPTY. *out is owned by the caller (jwt_jwks_free). */
jwt_result jwt_jwks_parse(const char *text, size_t len, struct jwt_jwks **out) JWT_MUST_CHECK;
/* Reads path with jwt_file_read (JWT_MAX_JWKS_BYTES) and parses it. */
jwt_result jwt_jwks_load(const char *path, struct jwt_jwks **out) JWT_MUST_CHECK;
/* Reads a PEM public key (SubjectPublicKeyInfo) from path and adds it to
 * *set (created when *set is NULL). Same refusals as jwt_jwk_parse. */
jwt_result jwt_jwks_add_pem(const char *path, struct jwt_jwks **set) JWT_MUST_CHECK;
/* Picks the key for a token (pam_jwt(8), DESCRIPTION). With kid: the keys with
 * that kid; none is JWT_ERR_KEY_NOT_FOUND (or JWT_ERR_KEY_UNUSABLE when the kid
 * was refused at load), none of them fitting alg is JWT_ERR_KEY_MISMATCH.
 * Without kid: the only key that fits alg; none is JWT_ERR_KEY_NOT_FOUND,
 * several JWT_ERR_KEY_AMBIGUOUS. *out points into set. */
jwt_result jwt_jwks_select(const struct jwt_jwks *set, const char *kid, enum jwt_alg alg,
                           struct jwt_jwk **out) JWT_MUST_CHECK;
void jwt_jwks_free(struct jwt_jwks *set);

/* ---- signatures (jwt_sig.c) ---- */

/* Verifies sig over msg with key for alg (which must fit the key: checked
 * again here). EdDSA through libsodium; ES* need sig_len exactly 2x the
 * field size with r and s each in 1..n-1, converted to DER for OpenSSL;
 * RS* PKCS#1 v1.5; PS* with salt length = hash length. Returns JWT_OK,
 * JWT_ERR_SIG_LENGTH, JWT_ERR_BAD_SIGNATURE, JWT_ERR_KEY_MISMATCH or
 * JWT_ERR_INTERNAL. Thread-safe for a key jwt_sig_prepare set up (it only
 * reads the key); a key it did not is set up anew at each call. */
jwt_result jwt_sig_verify(struct jwt_jwk *key, enum jwt_alg alg, const unsigned char *msg,
                          size_t msg_len, const unsigned char *sig, size_t sig_len) JWT_MUST_CHECK;
/* Sets key up for jwt_sig_verify once: its OpenSSL key, and a verify
 * context for every alg it fits, in key->verify_cache (read-only after).
 * jwt_jwks_parse and jwt_jwks_add_pem call it for each key. Not
 * thread-safe: call it before the key is shared. Returns JWT_OK (also for
 * an Ed25519 key, which needs nothing), or what kept it from preparing the
 * key, which then still verifies, set up at each call. */
jwt_result jwt_sig_prepare(struct jwt_jwk *key);
/* Frees what jwt_sig_prepare made for a key (called by jwt_jwk_free). */
void jwt_sig_cache_free(void *cache);

/* HMAC-SHA-256 for the daemon's refresh tokens only; never reachable from
 * access-token verification. secret may be any length >= 32. */
jwt_result jwt_hs256_sign(const unsigned char *secret, size_t secret_len, const unsigned char *msg,
                          size_t msg_len, unsigned char out[32]) JWT_MUST_CHECK;
/* Constant-time comparison of the tag; JWT_ERR_SIG_LENGTH unless 32 bytes. */
jwt_result jwt_hs256_verify(const unsigned char *secret, size_t secret_len,
                            const unsigned char *msg, size_t msg_len, const unsigned char *sig,
                            size_t sig_len) JWT_MUST_CHECK;

/* ---- compact JWS (jwt_jws.c) ---- */

/* A token split into its parts. Pointers into the token stay valid while
 * the token does; header and sig are owned. */
struct jwt_jws {
    const char *signing_input; /* header "." payload, within the token */
    size_t signing_input_len;
    const char *payload_b64;
    size_t payload_b64_len;
    unsigned char *sig;
    size_t sig_len;
    struct json_object *header;
    enum jwt_alg alg;
    const char *kid; /* NULL when absent; points into header */
    const char *typ; /* NULL when absent; points into header */
};

/* Splits token[0..len) after checking len against max_len (first, before
 * any other look: JWT_ERR_TOO_LONG), non-empty (JWT_ERR_EMPTY), exactly
 * three segments with header and payload non-empty (JWT_ERR_SEGMENTS);
 * decodes the signature and checks the header in pam_jwt(8)'s order: strict
 * JSON object (JWT_ERR_JSON, JWT_ERR_HEADER), alg present, a string and in
 * allowed_algs (a mask of JWT_ALG_BIT; JWT_ERR_ALG_NOT_ALLOWED), typ in typs
 * by jwt_typ_is_accepted (skipped when typs is NULL: the caller checks typ
 * itself), kid and typ strings, no crit / b64 / jwk / jku / x5u / x5c.
 * On error *out is cleared and holds nothing; on success free it with
 * jwt_jws_clear. */
jwt_result jwt_jws_parse(const char *token, size_t len, size_t max_len, unsigned allowed_algs,
                         const char *const *typs, size_t n_typs,
                         struct jwt_jws *out) JWT_MUST_CHECK;
/* As jwt_jws_parse, remembering the header in cache (NULL: no cache). A
 * token whose header segment is byte for byte the cached one takes the
 * cached header (a new reference) and only its alg and typ are checked
 * again against allowed_algs and typs; any other header is parsed afresh
 * and, when it passes, replaces the cached one. */
jwt_result jwt_jws_parse_cached(const char *token, size_t len, size_t max_len,
                                unsigned allowed_algs, const char *const *typs, size_t n_typs,
                                struct jwt_jws_header_cache *cache,
                                struct jwt_jws *out) JWT_MUST_CHECK;
/* The one definition of "looks like a token" (try_token, pam_jwt.conf(5)):
 * returns true when s[0..len), blanks (space, tab, CR, LF) around it
 * ignored, is a compact JWS in shape: exactly two '.' between three
 * segments of base64url alphabet only, the header and payload segments
 * non-empty (the signature may be empty, as for alg "none": that is a
 * token that fails, not a password), and the header's first four
 * characters decoding to a JSON object's start ('{' after blanks). Only
 * those four characters are decoded, in constant time. */
bool jwt_jws_is_compact(const char *s, size_t len);
/* Empties cache; a zeroed cache is a no-op. */
void jwt_jws_header_cache_clear(struct jwt_jws_header_cache *cache);
/* Decodes and strictly parses the payload of a parsed JWS: JWT_ERR_BASE64,
 * JWT_ERR_PAYLOAD when it does not start as a JSON object, JWT_ERR_JSON
 * when it does but is not strict JSON. *out is the caller's (json_object_put). */
jwt_result jwt_jws_payload(const struct jwt_jws *jws, struct json_object **out) JWT_MUST_CHECK;
void jwt_jws_clear(struct jwt_jws *jws);

/* Building compact JWS (jwt_jws_build.c), for the signers: returns a new
 * string b64url(header_json) "." b64url(payload_json), taken byte for byte,
 * or NULL when out of memory. The caller wipes and frees it (secret_free_str). */
char *jwt_jws_signing_input(const char *header_json, const char *payload_json);
/* Returns a new string signing_input "." b64url(sig), or NULL; as above. */
char *jwt_jws_compact(const char *signing_input, const unsigned char *sig, size_t sig_len);

/* Returns true when typ (NULL = absent = "JWT") matches one of the accepted
 * names, case-insensitively, an "application/" prefix ignored (RFC 7515
 * §4.1.9). "rt+jwt" never matches, whatever the list says. */
bool jwt_typ_is_accepted(const char *typ, const char *const *accepted, size_t n_accepted);

/* ---- claims and the whole check (jwt_claims.c, jwt_verify.c) ---- */

/* What an access token must satisfy; filled from the options (conf.h). */
struct jwt_policy {
    unsigned algs;           /* mask of JWT_ALG_BIT; HS256 is masked off */
    const char *const *typs; /* accepted header typ values */
    size_t n_typs;
    const char *const *issuers; /* iss must equal one; none configured = any */
    size_t n_issuers;
    const char *const *audiences; /* aud must contain one (jwt_audience_matches); none = any */
    size_t n_audiences;
    const char *const *client_ids; /* client_id, else azp, must equal one; none = any */
    size_t n_client_ids;
    const char *user_claim;    /* "sub" by default */
    const char *user;          /* must equal the user claim; NULL = not checked */
    const char *const *scopes; /* every one must be granted */
    size_t n_scopes;
    int64_t max_auth_age; /* < 0: unset */
    int64_t leeway;
    int64_t max_lifetime;
    size_t max_token_len;
    int64_t now; /* the clock, so tests can pin it */
};

/* The facts of a verified (or partly verified) token, for logs and PAM. */
struct jwt_verified {
    enum jwt_alg alg;
    bool sig_ok; /* the signature verified (jti/kid are then loggable) */
    char *kid, *jti, *subject, *scope, *iss; /* malloc'd copies or NULL */
    int64_t exp, iat, auth_time;
    bool has_iat, has_auth_time;
    char reason[256];        /* jwt_result_str, with detail where there is some */
    const char *failed_file; /* jwt_decide: the configured key set or revocation list
                              * that failed closed (the policy's string), else NULL */
};

/* Checks the claims of payload against policy in pam_jwt(8)'s order: types,
 * exp, nbf, iat, lifetime, iss, aud, client_id, user, scope, auth_time,
 * ID-token markers. Fills the claim fields of out as it goes. */
jwt_result jwt_claims_check(const struct json_object *payload, const struct jwt_policy *policy,
                            struct jwt_verified *out) JWT_MUST_CHECK;

/* The one audience comparison (pam_jwt(8) audience=): returns true when the
 * token's aud value claimed equals the configured one. Values starting with
 * "host:" (the prefix in any case) compare as host names: without regard to
 * ASCII case (RFC 4343) and with one trailing dot ignored on either side
 * (the absolute form of the same name); any other value exactly. */
bool jwt_audience_matches(const char *configured, const char *claimed);
/* Writes the reason for JWT_ERR_AUDIENCE into buf (len bytes, always
 * NUL-terminated): "wrong audience (this host accepts host:A, host:B)",
 * naming the policy's host: audiences so an administrator knows what to
 * add; plain "wrong audience" when it has none. */
void jwt_audience_reason(const struct jwt_policy *policy, char *buf, size_t len);

/* Verifies an access token end to end: shape, header, key choice from keys,
 * signature, then claims, then the key's "retired" instant (a retired key
 * vouches only for an iat at or before retired + leeway: JWT_ERR_KEY_RETIRED). out is cleared first
 * and filled as far as the checks got; out->reason names the first failure. Free with
 * jwt_verified_clear. Not thread-safe per key set (its header cache). */
jwt_result jwt_verify(const char *token, size_t len, struct jwt_jwks *keys,
                      const struct jwt_policy *policy, struct jwt_verified *out) JWT_MUST_CHECK;
void jwt_verified_clear(struct jwt_verified *v);

/* The one decision whether a token is accepted (jwt_decide.c), for pam_jwt,
 * `jwt-helper verify` and anything else that judges a token: with c's
 * policy (conf_policy) for user (NULL: the user claim is not compared), at
 * now: the shape and length, the key set and PEM key of c from the
 * per-process cache (jwt_keycache_acquire), jwt_verify, then c's revocation
 * list for user (else the token's subject) and, where c->once is set, a
 * jti. Records nothing: `once` is the caller's to apply on JWT_OK. Returns
 * the first failure with out->reason as the module logs it (a signature
 * failure at a prompt's cut-off length says so), and out->failed_file when
 * a configured file, not the token, failed closed. out is the caller's to
 * jwt_verified_clear; the token is not copied or wiped. */
struct conf;
jwt_result jwt_decide(const struct conf *c, const char *user, const char *token, size_t len,
                      int64_t now, struct jwt_verified *out) JWT_MUST_CHECK;

/* ---- file identity for caches (jwt_file_identity.c) ---- */

#include <sys/types.h>
#include <time.h>

enum jwt_file_state { JWT_FILE_UNKNOWN, JWT_FILE_PRESENT, JWT_FILE_ABSENT };

/* What a cache compares to know a file is unchanged (pam_jwt(8), SECURITY NOTES): device,
 * inode, size, mode, owner, mtime and ctime with nanoseconds. */
struct jwt_file_identity {
    enum jwt_file_state state;
    dev_t dev;
    ino_t ino;
    off_t size;
    mode_t mode;
    uid_t uid;
    struct timespec mtime, ctime;
};

/* Fills *out from lstat(path): JWT_FILE_ABSENT when it does not exist,
 * JWT_FILE_UNKNOWN when it cannot be looked at (or path is NULL). */
void jwt_file_identity_of(const char *path, struct jwt_file_identity *out);
/* Returns true when a and b name the same unchanged file, or both an absent
 * one; an unknown identity is never the same as anything. */
bool jwt_file_identity_same(const struct jwt_file_identity *a, const struct jwt_file_identity *b);

/* ---- the per-process key set cache (jwt_keycache.c) ---- */

/* Returns in *out the key set read from jwks_path and/or pem_path (either
 * may be NULL, not both), parsing the files only when their identity changed
 * since the last call (pam_jwt(8), SECURITY NOTES: device, inode, size, mtime and ctime with
 * nanoseconds). On JWT_OK the cache lock is held and *out stays valid until
 * jwt_keycache_release, which the caller must call; on error nothing is held
 * and the result is the loader's (JWT_ERR_FILE_*, JWT_ERR_KEY*, ...). */
jwt_result jwt_keycache_acquire(const char *jwks_path, const char *pem_path,
                                struct jwt_jwks **out) JWT_MUST_CHECK;
/* Releases the lock taken by a successful jwt_keycache_acquire. */
void jwt_keycache_release(void);

/* ---- scope words, RFC 6749 §3.3 (jwt_scope.c) ----
 * A scope is scope-tokens separated by single spaces; scope-token =
 * 1*( %x21 / %x23-5B / %x5D-7E ). Every place that reads or checks a scope
 * (the token's claim, pam_jwt.conf's scope=, the wire, the daemon's grants
 * and records) goes through these. */

/* Returns true when c may stand in a scope-token. */
bool jwt_scope_char_is_valid(unsigned char c);
/* Returns true when s[0..len) is one scope-token (not empty). */
bool jwt_scope_token_is_valid(const char *s, size_t len);
/* Returns true when s[0..len) is one of the daemon's words (user records,
 * default_scope, what jwt-helperd issues; jwt-helperd(8), "User records"): [a-z0-9_.-]+, a
 * narrower scope-token, so a word compares with a record's byte for byte. */
bool jwt_scope_token_is_plain(const char *s, size_t len);
/* Returns true when s[0..len) is a scope: at least one scope-token, single
 * spaces between, none leading or trailing. */
bool jwt_scope_is_valid(const char *s, size_t len);
/* Finds the next word of a scope from *pos, skipping spaces: sets *word to
 * it, moves *pos past it and returns its length (0 at the end). */
size_t jwt_scope_next(const char **pos, const char **word);
/* Returns how often word[0..len) stands whole in scope (NULL: none), so
 * "sudo" is not found in "sudoers". */
size_t jwt_scope_count(const char *scope, const char *word, size_t len);
/* Returns true when scope (NULL: none) holds every one of want[0..n_want). */
bool jwt_scope_grants(const char *scope, const char *const *want, size_t n_want);

/* ---- accounts (jwt_user.c) ---- */

/* The account jwt-helperd runs as and the one, besides root and the
 * reader's euid, that may own the files it writes (pam_jwt(8), jwt-helperd(8)): the
 * revocation list every verifier reads and the user records. */
#define JWT_DAEMON_USER "_jwt-helper"

/* Looks name up with getpwnam_r (the buffer grows as NSS needs, up to
 * 1 MiB) and sets *uid and *gid (either may be NULL). Returns 0, ENOENT
 * when there is no such account, or the errno of a failed lookup. */
int jwt_user_find(const char *name, uid_t *uid, gid_t *gid) JWT_MUST_CHECK;
/* Returns JWT_DAEMON_USER's uid, or -1 when there is no such account
 * (a verify-only host, or before sysusers ran): then nobody but root and
 * the euid is trusted. */
long jwt_daemon_uid(void);

/* ---- the "not before" revocation list, jwt-helperd(8) (jwt_revocation.c) ---- */

#define JWT_USER_NAME_MAX 32
#define JWT_MAX_REVOCATION_BYTES (1024 * 1024)

struct jwt_revocation;

/* Returns true when s[0..len) is a user name of jwt-helperd(8)'s grammar,
 * [a-z_][a-z0-9_.-]{0,31}. */
bool jwt_user_name_is_valid(const char *s, size_t len);
/* Parses text[0..len): "name:unix-time" lines, each ended by "\n" (the last
 * may lack it); a repeated name keeps the later instant. Any other line is
 * JWT_ERR_REVOCATION_LIST: the list fails closed. *out is the caller's. */
jwt_result jwt_revocation_parse(const char *text, size_t len,
                                struct jwt_revocation **out) JWT_MUST_CHECK;
/* Reads path with jwt_file_read (JWT_MAX_REVOCATION_BYTES; extra_owner is
 * the daemon's uid, which writes the list, or -1) and parses it. */
jwt_result jwt_revocation_load(const char *path, long extra_owner,
                               struct jwt_revocation **out) JWT_MUST_CHECK;
/* Returns true and sets *instant when name is listed. */
bool jwt_revocation_lookup(const struct jwt_revocation *list, const char *name, int64_t *instant);
void jwt_revocation_free(struct jwt_revocation *list);
/* The revocation check of a verified token for user (pam_jwt(8) revocation=;
 * jwt_revocation_cache.c): the list at path is read with jwt_revocation_load
 * (the daemon's user, _jwt-helper, may own it) and kept per process while
 * its file's identity is unchanged; thread-safe. Returns JWT_OK,
 * JWT_ERR_REVOKED when user is listed and v has no iat or one at or before
 * the instant, or the load's error, never cached: a missing or malformed
 * list fails closed at every call. */
jwt_result jwt_revocation_check(const char *path, const char *user,
                                const struct jwt_verified *v) JWT_MUST_CHECK;

/* ---- safe file reading (jwt_file.c) ---- */

/* Opens path with O_NOFOLLOW|O_CLOEXEC, checks on the descriptor: regular
 * file, owned by root, by the euid, or by extra_owner (pass (uid_t)-1 for
 * none), not writable by group or others, at most max_bytes; then reads it
 * whole. Returns JWT_OK with *out malloc'd and NUL-terminated (the caller
 * frees, wiping it if secret), JWT_ERR_FILE_OPEN (errno kept),
 * JWT_ERR_FILE_UNSAFE, JWT_ERR_FILE_TOO_BIG, JWT_ERR_NOMEM. */
jwt_result jwt_file_read(const char *path, size_t max_bytes, long extra_owner, char **out,
                         size_t *out_len) JWT_MUST_CHECK;
/* jwt_file_read for private keys (signing.jwk, refresh.key): also refuses a
 * file others may read (JWT_ERR_FILE_UNSAFE); the group may. The buffer is
 * the caller's to wipe. */
jwt_result jwt_file_read_secret(const char *path, size_t max_bytes, long extra_owner, char **out,
                                size_t *out_len) JWT_MUST_CHECK;
/* jwt_file_read for a file only its owner may use (the user records):
 * also refuses any group or other permission bit (JWT_ERR_FILE_UNSAFE).
 * The buffer is the caller's to wipe. */
jwt_result jwt_file_read_private(const char *path, size_t max_bytes, long extra_owner, char **out,
                                 size_t *out_len) JWT_MUST_CHECK;

#endif
