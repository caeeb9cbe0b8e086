/* SPDX-License-Identifier: MIT */
/* HMAC-SHA-256 (RFC 7518 §3.2) for the daemon's refresh tokens. Part of the
 * issuing core (libjwtissue): the module never links it, so no code path of
 * pam_jwt.so can accept a symmetric signature (pam_jwt(8), SECURITY NOTES). */
#include "config.h"

#include <sodium.h>

#include "jwt.h"

#define HS256_MIN_SECRET 32

jwt_result
jwt_hs256_sign(const unsigned char *secret, size_t secret_len, const unsigned char *msg,
               size_t msg_len, unsigned char out[32])
{
    crypto_auth_hmacsha256_state st;
    jwt_result r = JWT_ERR_INTERNAL;

    /* RFC 7518 §3.2: the key must be at least as long as the hash output. */
    if (secret == NULL || secret_len < HS256_MIN_SECRET)
        return JWT_ERR_KEY_INVALID;
    if (sodium_init() < 0)
        return JWT_ERR_INTERNAL;
    if (crypto_auth_hmacsha256_init(&st, secret, secret_len) == 0 &&
        crypto_auth_hmacsha256_update(&st, msg, msg_len) == 0 &&
        crypto_auth_hmacsha256_final(&st, out) == 0)
        r = JWT_OK;
    sodium_memzero(&st, sizeof(st)); /* it holds the padded key */
    if (r != JWT_OK)
        sodium_memzero(out, crypto_auth_hmacsha256_BYTES);
    return r;
}

jwt_result
jwt_hs256_verify(const unsigned char *secret, size_t secret_len, const unsigned char *msg,
                 size_t msg_len, const unsigned char *sig, size_t sig_len)
{
    unsigned char tag[crypto_auth_hmacsha256_BYTES];
    jwt_result r;

    if (secret == NULL || secret_len < HS256_MIN_SECRET)
        return JWT_ERR_KEY_INVALID;
    if (sig == NULL || sig_len != sizeof(tag))
        return JWT_ERR_SIG_LENGTH;
    if ((r = jwt_hs256_sign(secret, secret_len, msg, msg_len, tag)) != JWT_OK)
        goto out;
    /* Constant time: a tag compared byte by byte leaks how much matched. */
    r = crypto_verify_32(tag, sig) == 0 ? JWT_OK : JWT_ERR_BAD_SIGNATURE;
out:
    sodium_memzero(tag, sizeof(tag));
    return r;
}
