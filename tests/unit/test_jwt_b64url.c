/* SPDX-License-Identifier: MIT */
/* Tests for strict base64url: each refusal beside an accepted twin. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jwt.h"

static jwt_result
decode(const char *in, size_t *len)
{
    unsigned char *out = NULL;
    jwt_result r = jwt_b64url_decode(in, strlen(in), &out, len);

    free(out);
    return r;
}

static void
test_accepts_canonical(void)
{
    size_t len = 0;
    unsigned char *out = NULL;

    CHECK_RESULT(jwt_b64url_decode("aGVsbG8", 7, &out, &len), JWT_OK, "hello decodes");
    CHECK_INT(len, 5, "hello is 5 bytes");
    CHECK(out != NULL && memcmp(out, "hello", 5) == 0 && out[5] == '\0', "bytes and NUL end");
    free(out);
    CHECK_RESULT(decode("", &len), JWT_OK, "empty input decodes");
    CHECK_INT(len, 0, "to nothing");
    CHECK_RESULT(decode("-_-_", &len), JWT_OK, "url-safe alphabet accepted");
}

static void
test_refuses_other_alphabets(void)
{
    size_t len = 0;

    CHECK_RESULT(decode("aGVsbG8=", &len), JWT_ERR_BASE64, "padding refused");
    CHECK_RESULT(decode("aGVsbA==", &len), JWT_ERR_BASE64, "double padding refused");
    CHECK_RESULT(decode("+/+/", &len), JWT_ERR_BASE64, "standard alphabet + and / refused");
    CHECK_RESULT(decode("aGVs bG8", &len), JWT_ERR_BASE64, "inner space refused");
    CHECK_RESULT(decode("aGVsbG8\n", &len), JWT_ERR_BASE64, "trailing newline refused");
    CHECK_RESULT(decode(" aGVsbG8", &len), JWT_ERR_BASE64, "leading space refused");
    CHECK_RESULT(decode("aGV\tsbG8", &len), JWT_ERR_BASE64, "tab refused");
    CHECK_RESULT(decode("aGVsbG8.", &len), JWT_ERR_BASE64, "dot refused");
    CHECK_RESULT(jwt_b64url_decode("aG\0sbG8", 7, &(unsigned char *){NULL}, &len), JWT_ERR_BASE64,
                 "embedded NUL refused");
}

static void
test_refuses_noncanonical(void)
{
    size_t len = 0;

    /* "aGVsbG8" ends in '8' = 111100: the last two bits are unused and zero.
     * '9' (111101) sets one of them: same bytes, different text. */
    CHECK_RESULT(decode("aGVsbG9", &len), JWT_ERR_BASE64, "non-zero trailing bits refused");
    CHECK_RESULT(decode("QQ", &len), JWT_OK, "QQ (A) canonical");
    CHECK_RESULT(decode("QR", &len), JWT_ERR_BASE64, "QR non-canonical refused");
    CHECK_RESULT(decode("a", &len), JWT_ERR_BASE64, "length 4k+1 refused");
    CHECK_RESULT(decode("aGVsb", &len), JWT_ERR_BASE64, "length 5 refused");
}

static void
test_exact(void)
{
    unsigned char out[5];

    CHECK_RESULT(jwt_b64url_decode_exact("aGVsbG8", 7, out, 5), JWT_OK, "exact 5 bytes");
    CHECK(memcmp(out, "hello", 5) == 0, "exact bytes");
    CHECK_RESULT(jwt_b64url_decode_exact("aGVsbA", 6, out, 5), JWT_ERR_BASE64, "4 bytes for 5");
    CHECK_RESULT(jwt_b64url_decode_exact("aGVsbG8h", 8, out, 5), JWT_ERR_BASE64, "6 bytes for 5");
    CHECK_RESULT(jwt_b64url_decode_exact("aGVsbG9", 7, out, 5), JWT_ERR_BASE64,
                 "exact also canonical");
}

static void
test_round_trip(void)
{
    unsigned char in[256], *back = NULL;
    size_t len = 0;
    int all_ok = 1;

    for (int i = 0; i < 256; i++)
        in[i] = (unsigned char)(255 - i);
    for (size_t n = 0; n <= sizeof(in); n += 1) {
        char *enc = jwt_b64url_encode(in, n);
        if (enc == NULL || strchr(enc, '=') != NULL ||
            jwt_b64url_decode(enc, strlen(enc), &back, &len) != JWT_OK || len != n ||
            memcmp(back, in, n) != 0)
            all_ok = 0;
        free(enc);
        free(back);
        back = NULL;
    }
    CHECK(all_ok, "encode/decode round trip for 0..256 bytes, no padding");
}

int
main(void)
{
    test_accepts_canonical();
    test_refuses_other_alphabets();
    test_refuses_noncanonical();
    test_exact();
    test_round_trip();
    return check_done();
}
