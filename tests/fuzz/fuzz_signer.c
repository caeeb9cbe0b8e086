/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: hostile bytes as the daemon's signing.jwk through
 * signer_load. A key it accepts exports to a private JWK that loads back
 * as the same key (kid, alg, public thumbprint), and signs a token that
 * its public half verifies. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuzz_support.h"
#include "jwt.h"
#include "secret.h"
#include "signer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
thumb_of(const struct signer *s, unsigned char thumb[32])
{
    struct jwt_jwk *pub = NULL;

    if (signer_public_jwk(s, &pub) != JWT_OK || jwt_jwk_thumbprint(pub, thumb) != JWT_OK)
        abort();
    jwt_jwk_free(pub);
}

/* signer_private_jwk_json, then signer_from_jwk_json: the same key. */
static void
export_check(const struct signer *s)
{
    struct signer *again = NULL;
    unsigned char t1[32], t2[32];
    char *jwk = NULL;

    if (signer_private_jwk_json(s, &jwk) != JWT_OK ||
        signer_from_jwk_json(jwk, strlen(jwk), &again) != JWT_OK)
        abort();
    thumb_of(s, t1);
    thumb_of(again, t2);
    if (strcmp(signer_kid(s), signer_kid(again)) != 0 || signer_alg(s) != signer_alg(again) ||
        sodium_memcmp(t1, t2, 32) != 0)
        abort();
    signer_free(again);
    secret_free_str(jwk);
}

/* A token signed by s verifies with its public JWK, and fails once its
 * signing input changes. */
static void
sign_check(const struct signer *s)
{
    struct jwt_jwk *pub = NULL;
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    char *token = NULL, *dot;

    if (signer_sign(s, "{\"alg\":\"x\"}", "{\"sub\":\"fuzz\"}", &token) != JWT_OK ||
        signer_public_jwk(s, &pub) != JWT_OK)
        abort();
    if ((dot = strrchr(token, '.')) == NULL ||
        jwt_b64url_decode_public(dot + 1, strlen(dot + 1), &sig, &sig_len) != JWT_OK)
        abort();
    if (jwt_sig_verify(pub, signer_alg(s), (const unsigned char *)token, (size_t)(dot - token), sig,
                       sig_len) != JWT_OK)
        abort();
    token[0] ^= 1;
    if (jwt_sig_verify(pub, signer_alg(s), (const unsigned char *)token, (size_t)(dot - token), sig,
                       sig_len) == JWT_OK)
        abort();
    free(sig);
    free(token);
    jwt_jwk_free(pub);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct signer *s = NULL;
    char path[512];

    fuzz_file_put("signing.jwk", data, size, 0600);
    fuzz_path("signing.jwk", path, sizeof path);
    if (signer_load(path, &s) != JWT_OK) {
        if (s != NULL)
            abort();
        return 0;
    }
    if (signer_kid(s) == NULL || signer_kid(s)[0] == '\0' || signer_alg(s) == JWT_ALG_HS256)
        abort();
    export_check(s);
    sign_check(s);
    signer_free(s);
    return 0;
}
