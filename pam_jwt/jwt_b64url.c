/* SPDX-License-Identifier: MIT */
/* Strict unpadded base64url (RFC 7515 §2, RFC 4648 §5): libsodium's
 * constant-time decoder for secrets, a table-driven one for public data. */
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
bool
jwt_b64url_is_alphabet(const char *in, size_t len)
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
    if (!jwt_b64url_is_alphabet(in, in_len) || !length_is_possible(in_len))
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
    if (!jwt_b64url_is_alphabet(in, in_len))
        return JWT_ERR_BASE64;
    if (sodium_base642bin(out, out_len, in, in_len, NULL, &len, NULL, B64_VARIANT) != 0 ||
        len != out_len) {
        sodium_memzero(out, out_len);
        return JWT_ERR_BASE64;
    }
    return JWT_OK;
}

/* Each byte's 6-bit value in the URL-safe alphabet; every other byte maps
 * to BAD, whose high bit survives the OR of a group's values. */
#define BAD 0x80
#define ROW_BAD BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD
static const unsigned char b64url_value[256] = {
    ROW_BAD, /* 0x00 */
    ROW_BAD, /* 0x10 */
    BAD,     BAD,     BAD,     BAD,     BAD,     BAD,     BAD,     BAD,
    BAD,     BAD,     BAD,     BAD,     BAD,     62,      BAD,     BAD, /* '-' */
    52,      53,      54,      55,      56,      57,      58,      59,
    60,      61,      BAD,     BAD,     BAD,     BAD,     BAD,     BAD, /* '0'-'9' */
    BAD,     0,       1,       2,       3,       4,       5,       6,
    7,       8,       9,       10,      11,      12,      13,      14, /* 'A'-'O' */
    15,      16,      17,      18,      19,      20,      21,      22,
    23,      24,      25,      BAD,     BAD,     BAD,     BAD,     63, /* 'P'-'Z', '_' */
    BAD,     26,      27,      28,      29,      30,      31,      32,
    33,      34,      35,      36,      37,      38,      39,      40, /* 'a'-'o' */
    41,      42,      43,      44,      45,      46,      47,      48,
    49,      50,      51,      BAD,     BAD,     BAD,     BAD,     BAD,     /* 'p'-'z' */
    ROW_BAD, ROW_BAD, ROW_BAD, ROW_BAD, ROW_BAD, ROW_BAD, ROW_BAD, ROW_BAD, /* 0x80-0xff */
};

/* Decodes the last 2 or 3 characters (rest) into 1 or 2 bytes; returns the
 * OR of their values, with BAD set also when an unused trailing bit is not
 * zero (the text would not be canonical). */
static unsigned
decode_tail(const unsigned char *in, size_t rest, unsigned char *out)
{
    unsigned a = b64url_value[in[0]], b = b64url_value[in[1]];
    unsigned c = rest == 3 ? b64url_value[in[2]] : 0;
    unsigned bad = a | b | c;

    out[0] = (unsigned char)(a << 2 | (b & 0x3f) >> 4);
    if (rest == 2)
        return bad | ((b & 0x0f) != 0 ? BAD : 0);
    out[1] = (unsigned char)(b << 4 | (c & 0x3f) >> 2);
    return bad | ((c & 0x03) != 0 ? BAD : 0);
}

/* Why a second decoder: STYLE.md says to decode with sodium_base642bin,
 * whose constant-time code protects secrets from timing side channels, at
 * about ten times the cost of a table. Token segments (header, payload,
 * signature) and public JWK members are not secret: anyone holding the
 * token or the key set reads them, so there is nothing for a timing
 * difference to leak, and the cost lands on every verification. Secrets
 * (refresh.key, private JWK members, HMAC keys) still go through
 * jwt_b64url_decode / _exact above. The strictness is the same (checked
 * against libsodium in tests/unit/test_jwt_b64url.c): URL-safe alphabet
 * only, no padding or whitespace, no length 4k+1, unused bits zero.
 * What it buys, measured with tests/bench/callgrind.sh (instructions, so
 * the figure does not move with the machine's load; libsodium 1.0.18,
 * OpenSSL 3.0): token segments through sodium_base642bin instead cost
 * 44k more per RS256 verification (+12.7% of 349k), PS256 +11.7%, EdDSA
 * +3.6%, ES256 +2.8%, a warm PAM round trip +3.0%. */
jwt_result
jwt_b64url_decode_public(const char *in, size_t in_len, unsigned char **out, size_t *out_len)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t groups = in_len / 4, rest = in_len % 4;
    size_t len = groups * 3 + (rest > 0 ? rest - 1 : 0);
    unsigned char *buf = NULL, *o;
    unsigned bad = 0;

    *out = NULL;
    *out_len = 0;
    if (!length_is_possible(in_len))
        return JWT_ERR_BASE64;
    if ((o = buf = malloc(len + 1)) == NULL)
        return JWT_ERR_NOMEM;
    for (size_t g = 0; g < groups; g++, p += 4, o += 3) {
        unsigned a = b64url_value[p[0]], b = b64url_value[p[1]];
        unsigned c = b64url_value[p[2]], d = b64url_value[p[3]];
        bad |= a | b | c | d;
        o[0] = (unsigned char)(a << 2 | (b & 0x3f) >> 4);
        o[1] = (unsigned char)(b << 4 | (c & 0x3f) >> 2);
        o[2] = (unsigned char)(c << 6 | (d & 0x3f));
    }
    if (rest > 0)
        bad |= decode_tail(p, rest, o);
    if ((bad & BAD) != 0) {
        free(buf);
        return JWT_ERR_BASE64;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
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
