/* SPDX-License-Identifier: MIT */
/* Strict unpadded base64url (RFC 7515 §2, RFC 4648 §5) on top of libsodium. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "jwt.h"

#define B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

/* libsodium (1.0.18), given no ignore set and no end pointer, refuses
 * padding, '+', '/', whitespace and stray bytes, and checks that unused
 * trailing bits are zero (each case of tests/unit/test_jwt_b64url.c was
 * also tried against libsodium alone, which refused it). The
 * alphabet and length are checked here as well: cheap, and it keeps the
 * guarantee independent of the library version we are linked against. */
static bool
all_in_alphabet(const char *in, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        if (!ok)
            return false;
    }
    return true;
}

/* A length of 4k+1 cannot come from any byte string (RFC 4648 §5). */
static bool
length_is_possible(size_t len)
{
    return len % 4 != 1;
}

jwt_result
jwt_b64url_decode(const char *in, size_t in_len, unsigned char **out, size_t *out_len)
{
    unsigned char *buf = NULL;
    size_t cap = in_len / 4 * 3 + 3;
    size_t len = 0;
    jwt_result r = JWT_ERR_BASE64;

    *out = NULL;
    *out_len = 0;
    if (!all_in_alphabet(in, in_len) || !length_is_possible(in_len))
        goto out;
    if ((buf = malloc(cap + 1)) == NULL) {
        r = JWT_ERR_NOMEM;
        goto out;
    }
    if (sodium_base642bin(buf, cap, in, in_len, NULL, &len, NULL, B64_VARIANT) != 0)
        goto out;
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    buf = NULL;
    r = JWT_OK;
out:
    if (buf != NULL)
        sodium_memzero(buf, cap + 1); /* may have held part of a secret */
    free(buf);
    return r;
}

jwt_result
jwt_b64url_decode_exact(const char *in, size_t in_len, unsigned char *out, size_t out_len)
{
    size_t len = 0;

    /* The encoded length of exactly out_len bytes is fixed: check it first
     * so a longer input cannot even be decoded partly into out. */
    if (in_len != sodium_base64_ENCODED_LEN(out_len, B64_VARIANT) - 1)
        return JWT_ERR_BASE64;
    if (!all_in_alphabet(in, in_len))
        return JWT_ERR_BASE64;
    if (sodium_base642bin(out, out_len, in, in_len, NULL, &len, NULL, B64_VARIANT) != 0 ||
        len != out_len) {
        sodium_memzero(out, out_len);
        return JWT_ERR_BASE64;
    }
    return JWT_OK;
}

char *
jwt_b64url_encode(const unsigned char *in, size_t len)
{
    size_t enc_len = sodium_base64_ENCODED_LEN(len, B64_VARIANT);
    char *out = malloc(enc_len);

    if (out == NULL)
        return NULL;
    sodium_bin2base64(out, enc_len, in, len, B64_VARIANT);
    return out;
}
