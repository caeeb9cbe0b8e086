/* SPDX-License-Identifier: MIT */
/* The reason strings of the core's results: what logs, the CLI and tests show. */
#include "config.h"

#include "jwt.h"

/* Indexed by jwt_result; a missing entry would be NULL, which
 * jwt_result_str turns into a generic reason rather than crash. */
static const char *const reasons[JWT_RESULT_COUNT] = {
    [JWT_OK] = "ok",
    [JWT_ERR_NOMEM] = "out of memory",
    [JWT_ERR_INTERNAL] = "internal error",
    [JWT_ERR_EMPTY] = "empty token",
    [JWT_ERR_TOO_LONG] = "token too long",
    [JWT_ERR_SEGMENTS] = "not three segments",
    [JWT_ERR_BASE64] = "bad base64url",
    [JWT_ERR_JSON] = "malformed JSON",
    [JWT_ERR_HEADER] = "bad header",
    [JWT_ERR_ALG_MISSING] = "alg missing",
    [JWT_ERR_ALG_NOT_ALLOWED] = "alg not allowed",
    [JWT_ERR_TYP] = "typ not accepted",
    [JWT_ERR_CRIT] = "crit not supported",
    [JWT_ERR_B64] = "b64 not supported",
    [JWT_ERR_EMBEDDED_KEY] = "header carries a key",
    [JWT_ERR_KEY_NOT_FOUND] = "no matching key",
    [JWT_ERR_KEY_AMBIGUOUS] = "several keys fit",
    [JWT_ERR_KEY_MISMATCH] = "key does not fit alg",
    [JWT_ERR_KEY_UNUSABLE] = "key not usable",
    [JWT_ERR_SIG_LENGTH] = "bad signature length",
    [JWT_ERR_BAD_SIGNATURE] = "bad signature",
    [JWT_ERR_PAYLOAD] = "payload is not a JSON object",
    [JWT_ERR_CLAIM_TYPE] = "claim of wrong type",
    [JWT_ERR_EXP_MISSING] = "exp missing",
    [JWT_ERR_EXPIRED] = "expired",
    [JWT_ERR_NOT_YET_VALID] = "not yet valid",
    [JWT_ERR_IAT_FUTURE] = "issued in the future",
    [JWT_ERR_LIFETIME] = "lifetime exceeds max_lifetime",
    [JWT_ERR_ISSUER] = "wrong issuer",
    [JWT_ERR_AUDIENCE] = "wrong audience",
    [JWT_ERR_CLIENT] = "wrong client",
    [JWT_ERR_USER] = "wrong user",
    [JWT_ERR_SCOPE] = "scope not granted",
    [JWT_ERR_AUTH_AGE] = "auth_time too old",
    [JWT_ERR_ID_TOKEN] = "ID token, not an access token",
    [JWT_ERR_REVOKED] = "revoked",
    [JWT_ERR_KEY_RETIRED] = "key retired",
    [JWT_ERR_JTI_MISSING] = "jti missing",
    [JWT_ERR_REPLAYED] = "token already used",
    [JWT_ERR_FILE_OPEN] = "cannot open file",
    [JWT_ERR_FILE_UNSAFE] = "unsafe file",
    [JWT_ERR_FILE_TOO_BIG] = "file too big",
    [JWT_ERR_KEY_INVALID] = "malformed key",
    [JWT_ERR_KEY_UNSUPPORTED] = "unsupported key",
    [JWT_ERR_KEYSET_EMPTY] = "no usable key in key set",
    [JWT_ERR_REVOCATION_LIST] = "malformed revocation list",
};

const char *
jwt_result_str(jwt_result r)
{
    if ((unsigned)r >= JWT_RESULT_COUNT || reasons[r] == NULL)
        return "unknown error";
    return reasons[r];
}
