/* SPDX-License-Identifier: MIT */
/* Tests that a prepared key (jwt_sig_prepare) verifies from many threads at
 * once, as threaded PAM callers share the module's keys: every good
 * signature accepted and every tampered one refused, for each OpenSSL alg
 * family (ECDSA, PKCS#1 v1.5, PSS). Run under ThreadSanitizer or helgrind
 * it also shows that verifying only reads the key. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jwt.h"
#include "signer.h"

#define THREADS 4
#define ROUNDS 50

/* One alg's key and a good and a tampered signature over one input. */
struct case_data {
    struct jwt_jwk *key;
    enum jwt_alg alg;
    const char *input; /* the signing input, within token */
    size_t input_len;
    unsigned char *good, *bad;
    size_t sig_len;
    char *token;
};

struct tally {
    const struct case_data *c;
    int accepted, refused, other;
};

static void *
verify_many(void *arg)
{
    struct tally *t = arg;
    const struct case_data *c = t->c;

    for (int i = 0; i < ROUNDS; i++) {
        jwt_result g = jwt_sig_verify(c->key, c->alg, (const unsigned char *)c->input, c->input_len,
                                      c->good, c->sig_len);
        jwt_result b = jwt_sig_verify(c->key, c->alg, (const unsigned char *)c->input, c->input_len,
                                      c->bad, c->sig_len);
        t->accepted += g == JWT_OK;
        t->refused += b == JWT_ERR_BAD_SIGNATURE;
        t->other += (g != JWT_OK) + (b != JWT_ERR_BAD_SIGNATURE);
    }
    return NULL;
}

/* Signs a token with a new key for alg and fills c from it; false on failure. */
static bool
case_make(enum jwt_alg alg, struct case_data *c)
{
    struct signer *s = NULL;
    struct jwt_jws jws;
    char header[64];
    bool ok = false;

    memset(c, 0, sizeof(*c));
    c->alg = alg;
    snprintf(header, sizeof(header), "{\"alg\":\"%s\"}", jwt_alg_name(alg));
    if (signer_generate(alg, JWT_RSA_MIN_BITS, &s) != JWT_OK ||
        signer_sign(s, header, "{\"sub\":\"alice\"}", &c->token) != JWT_OK ||
        signer_public_jwk(s, &c->key) != JWT_OK)
        goto out;
    if (jwt_jws_parse(c->token, strlen(c->token), JWT_HARD_MAX_TOKEN_LEN, JWT_ALGS_ACCESS, NULL, 0,
                      &jws) != JWT_OK)
        goto out;
    c->input = jws.signing_input;
    c->input_len = jws.signing_input_len;
    c->sig_len = jws.sig_len;
    c->good = jws.sig;
    jws.sig = NULL; /* c owns it now */
    jwt_jws_clear(&jws);
    if ((c->bad = malloc(c->sig_len)) == NULL)
        goto out;
    memcpy(c->bad, c->good, c->sig_len);
    c->bad[c->sig_len / 2] ^= 0x01; /* r for ECDSA: still in range, just wrong */
    ok = true;
out:
    signer_free(s);
    return ok;
}

static void
case_free(struct case_data *c)
{
    jwt_jwk_free(c->key);
    free(c->good);
    free(c->bad);
    free(c->token);
}

static void
test_alg(enum jwt_alg alg)
{
    struct case_data c;
    struct tally t[THREADS];
    pthread_t th[THREADS];
    int started = 0, accepted = 0, refused = 0, other = 0;
    char what[96];

    snprintf(what, sizeof(what), "%s: key and token made", jwt_alg_name(alg));
    CHECK(case_make(alg, &c), what);
    snprintf(what, sizeof(what), "%s: key prepared", jwt_alg_name(alg));
    CHECK(c.key != NULL && jwt_sig_prepare(c.key) == JWT_OK && c.key->verify_cache != NULL, what);
    if (c.bad == NULL || c.key->verify_cache == NULL) {
        case_free(&c);
        return;
    }
    for (int i = 0; i < THREADS; i++) {
        t[i] = (struct tally){.c = &c};
        started += pthread_create(&th[i], NULL, verify_many, &t[i]) == 0;
    }
    for (int i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
        accepted += t[i].accepted;
        refused += t[i].refused;
        other += t[i].other;
    }
    snprintf(what, sizeof(what), "%s: %d threads started", jwt_alg_name(alg), THREADS);
    CHECK_INT(started, THREADS, what);
    snprintf(what, sizeof(what), "%s: every good signature accepted in every thread",
             jwt_alg_name(alg));
    CHECK_INT(accepted, THREADS * ROUNDS, what);
    snprintf(what, sizeof(what), "%s: every tampered one refused", jwt_alg_name(alg));
    CHECK_INT(refused, THREADS * ROUNDS, what);
    snprintf(what, sizeof(what), "%s: no other outcome", jwt_alg_name(alg));
    CHECK_INT(other, 0, what);
    case_free(&c);
}

int
main(void)
{
    test_alg(JWT_ALG_ES256);
    test_alg(JWT_ALG_RS256);
    test_alg(JWT_ALG_PS256);
    return check_done();
}
