/* SPDX-License-Identifier: MIT */
/* Tests for strict base64url: each refusal beside an accepted twin. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif

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

/* Runs both decoders on in[0..len): returns true when they agree on the
 * verdict and, on success, on length, bytes and the NUL after them. */
static bool
decoders_agree(const char *in, size_t len, size_t *accepted)
{
    unsigned char *a = NULL, *b = NULL;
    size_t a_len = 0, b_len = 0;
    jwt_result ra = jwt_b64url_decode(in, len, &a, &a_len);
    jwt_result rb = jwt_b64url_decode_public(in, len, &b, &b_len);
    bool same = ra == rb;

    if (same && ra == JWT_OK)
        same = a_len == b_len && memcmp(a, b, a_len) == 0 && b[b_len] == '\0';
    if (same && ra != JWT_OK)
        same = b == NULL && b_len == 0;
    if (same && ra == JWT_OK)
        (*accepted)++;
    if (!same)
        fprintf(stderr, "# decoders disagree on %zu bytes (%d vs %d)\n", len, ra, rb);
    free(a);
    free(b);
    return same;
}

/* The alphabet of the differential test: the 64 URL-safe characters and
 * the bytes a lax decoder might let through. */
static const char diff_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    "=+/ \n.\0\xc3";
#define DIFF_ALPHABET_LEN (sizeof(diff_alphabet) - 1)

/* Under valgrind (the test suite runs every program there too) the 27
 * million decodes of the full sweep would take many minutes: memcheck then
 * gets a strided sample of length 4 and fewer random strings; the plain
 * and sanitizer builds always run everything. */
static bool
running_slowly(void)
{
#ifdef RUNNING_ON_VALGRIND
    return RUNNING_ON_VALGRIND != 0;
#else
    return false;
#endif
}

/* Every string of length 0..4 over the 72 characters (one whole group and
 * every shorter tail): both decoders agree. */
static void
test_public_matches_sodium_exhaustive(void)
{
    char in[4];
    size_t disagreements = 0, accepted = 0, total = 0;
    bool sample = running_slowly();

    for (size_t len = 0; len <= 4; len++) {
        size_t count = 1, step = sample && len == 4 ? 101 : 1;
        for (size_t i = 0; i < len; i++)
            count *= DIFF_ALPHABET_LEN;
        for (size_t n = 0; n < count; n += step) {
            size_t v = n;
            for (size_t i = 0; i < len; i++, v /= DIFF_ALPHABET_LEN)
                in[i] = diff_alphabet[v % DIFF_ALPHABET_LEN];
            if (!decoders_agree(in, len, &accepted))
                disagreements++;
            total++;
        }
    }
    CHECK_INT(disagreements, 0, "public decoder agrees with libsodium on all strings of 0..4");
    if (sample) {
        printf("# under valgrind: length 4 sampled every 101st string\n");
        CHECK(total > 72 * 72 * 72 && accepted > 64 * 64 * 16 && accepted < total,
              "sampled sweep: both verdicts occur");
        return;
    }
    CHECK_INT(total, 1 + 72 + 72 * 72 + 72 * 72 * 72 + 72 * 72 * 72 * 72, "72^0..72^4 strings");
    /* Canonical strings: "", 2 characters with the last one's low 4 bits
     * zero (4 of 64), 3 with the low 2 bits zero (16 of 64), any 4. */
    CHECK_INT(accepted, 1 + 64 * 4 + 64 * 64 * 16 + 64 * 64 * 64 * 64,
              "exactly the canonical strings accepted");
}

/* Every byte value in every position of a 4- and a 3-character group. */
static void
test_public_matches_sodium_every_byte(void)
{
    size_t disagreements = 0, accepted = 0;

    for (int c = 0; c < 256; c++) {
        for (size_t pos = 0; pos < 7; pos++) {
            char in[7] = {'Q', 'U', 'J', 'D', 'Q', 'U', 'E'};
            in[pos] = (char)c;
            if (!decoders_agree(in, 7, &accepted) || !decoders_agree(in, 4, &accepted))
                disagreements++;
        }
    }
    CHECK_INT(disagreements, 0, "public decoder agrees with libsodium on every byte value");
    /* 7 characters: 64 bytes fit positions 0..5, 16 the last (low 2 bits
     * zero); the 4-character prefix: 64 for positions 0..3, any for 4..6. */
    CHECK_INT(accepted, 6 * 64 + 16 + 4 * 64 + 3 * 256, "every byte: only the alphabet accepted");
}

/* splitmix64: a fast generator for the random sweep, seeded once from
 * libsodium (whose randombytes is a system call per draw). */
static uint64_t
next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* 200k random strings of 0..100 bytes: half from the URL-safe alphabet
 * only (so that many decode), half with the lax bytes and any byte mixed in. */
static void
test_public_matches_sodium_random(void)
{
    char in[100];
    size_t disagreements = 0, accepted = 0;
    uint64_t state = 0;
    int rounds = running_slowly() ? 20000 : 200000;

    randombytes_buf(&state, sizeof(state));
    printf("# random sweep seed %llu, %d strings\n", (unsigned long long)state, rounds);
    for (int n = 0; n < rounds; n++) {
        size_t len = (size_t)(next_random(&state) % (sizeof(in) + 1));
        bool stray = n % 2 == 1;
        for (size_t i = 0; i < len; i++) {
            uint64_t pick = next_random(&state);
            if (!stray || pick % 8 != 0)
                in[i] = diff_alphabet[(pick >> 8) % 64];
            else if (pick % 64 != 0)
                in[i] = diff_alphabet[64 + (pick >> 8) % (DIFF_ALPHABET_LEN - 64)];
            else
                in[i] = (char)(pick >> 8);
        }
        if (!decoders_agree(in, len, &accepted))
            disagreements++;
    }
    CHECK_INT(disagreements, 0, "public decoder agrees with libsodium on random strings");
    CHECK(accepted > (size_t)rounds / 200 && accepted < (size_t)rounds,
          "random strings include both verdicts");
}

/* The public decoder's own refusals, each beside an accepted twin, so the
 * differential test cannot pass by both decoders refusing everything. */
static void
test_public_refusals(void)
{
    unsigned char *out = NULL;
    size_t len = 0;

    CHECK_RESULT(jwt_b64url_decode_public("aGVsbG8", 7, &out, &len), JWT_OK, "public: hello");
    CHECK(out != NULL && len == 5 && memcmp(out, "hello", 6) == 0, "public: bytes and NUL end");
    free(out);
    CHECK_RESULT(jwt_b64url_decode_public("aGVsbG9", 7, &out, &len), JWT_ERR_BASE64,
                 "public: non-zero trailing bits refused");
    CHECK(out == NULL && len == 0, "public: nothing returned on refusal");
    CHECK_RESULT(jwt_b64url_decode_public("aGVsbA", 6, &out, &len), JWT_OK, "public: hell");
    free(out);
    CHECK_RESULT(jwt_b64url_decode_public("aGVsbB", 6, &out, &len), JWT_ERR_BASE64,
                 "public: 3-char tail with non-zero bits refused");
    CHECK_RESULT(jwt_b64url_decode_public("aGVsbG8=", 8, &out, &len), JWT_ERR_BASE64,
                 "public: padding refused");
    CHECK_RESULT(jwt_b64url_decode_public("-_-_", 4, &out, &len), JWT_OK, "public: -_ accepted");
    free(out);
    CHECK_RESULT(jwt_b64url_decode_public("+/+/", 4, &out, &len), JWT_ERR_BASE64,
                 "public: +/ refused");
    CHECK_RESULT(jwt_b64url_decode_public("aGVsb", 5, &out, &len), JWT_ERR_BASE64,
                 "public: length 4k+1 refused");
    CHECK_RESULT(jwt_b64url_decode_public("", 0, &out, &len), JWT_OK, "public: empty decodes");
    CHECK(out != NULL && len == 0 && out[0] == '\0', "public: empty is an empty string");
    free(out);
}

int
main(void)
{
    if (sodium_init() < 0)
        return 1;
    test_accepts_canonical();
    test_refuses_other_alphabets();
    test_refuses_noncanonical();
    test_exact();
    test_round_trip();
    test_public_refusals();
    test_public_matches_sodium_every_byte();
    test_public_matches_sodium_exhaustive();
    test_public_matches_sodium_random();
    return check_done();
}
