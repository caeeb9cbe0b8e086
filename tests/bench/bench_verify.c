/* SPDX-License-Identifier: MIT */
/* Benchmark: access-token verifications per second of pam_jwt's core against
 * raw crypto, cjose and libjwt, measured interleaved in one run; prints
 * medians and ratios, never asserts. */
#include "config.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "jwt.h"
#include "../unit/test_policy.h"

#define N_TOKENS 32
#define N_ROUNDS 7
#define SLICE_SECONDS 0.3 /* default; argv[1] may set another (e.g. 0.02 to profile) */
#define BATCH 8
#define WALL_CAP 3.0
#define MAX_SIG 512

/* libjwt's and cjose's headers are not included: libjwt's jwt.h declares
 * JWT_ALG_* enumerators that collide with ours, and both libraries share
 * our "jwt_" / json prefixes. They are dlopen'ed with RTLD_LOCAL (and
 * RTLD_DEEPBIND where the sanitizers allow it) and reached through the few
 * prototypes below, so neither side can call the other's function. This
 * works whether or not configure linked them (HAVE_CJOSE / HAVE_LIBJWT). */
#if defined(__SANITIZE_ADDRESS__)
#define PEER_DLOPEN_FLAGS (RTLD_NOW | RTLD_LOCAL)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PEER_DLOPEN_FLAGS (RTLD_NOW | RTLD_LOCAL)
#endif
#endif
#ifndef PEER_DLOPEN_FLAGS
#define PEER_DLOPEN_FLAGS (RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND)
#endif

struct cjose_err_mirror { /* cjose/error.h's cjose_err, field for field */
    int code;
    const char *message;
    const char *function;
    const char *file;
    unsigned long line;
};

struct peers {
    void *cjose, *libjwt;
    void *(*cjose_jwk_import)(const char *json, size_t len, struct cjose_err_mirror *err);
    bool (*cjose_jwk_release)(void *jwk);
    void *(*cjose_jws_import)(const char *compact, size_t len, struct cjose_err_mirror *err);
    bool (*cjose_jws_verify)(void *jws, const void *jwk, struct cjose_err_mirror *err);
    void (*cjose_jws_release)(void *jws);
    int (*libjwt_decode)(void **jwt, const char *token, const unsigned char *key, int key_len);
    void (*libjwt_free)(void *jwt);
};

struct alg_spec {
    enum jwt_alg alg;
    const char *kid;
    const char *keytype;       /* EVP_PKEY_Q_keygen type */
    const char *group;         /* EC curve, NULL otherwise */
    const EVP_MD *(*md)(void); /* NULL for EdDSA */
    bool pss;
    size_t ec_field; /* bytes of r and of s in a JWS ES signature, 0 otherwise */
};

static const struct alg_spec alg_specs[] = {
    {JWT_ALG_EDDSA, "bench-eddsa", "ED25519", NULL, NULL, false, 0},
    {JWT_ALG_ES256, "bench-es256", "EC", "P-256", EVP_sha256, false, 32},
    {JWT_ALG_RS256, "bench-rs256", "RSA", NULL, EVP_sha256, false, 0},
    {JWT_ALG_PS256, "bench-ps256", "RSA", NULL, EVP_sha256, true, 0},
};
#define N_ALGS (sizeof(alg_specs) / sizeof(alg_specs[0]))

struct token {
    char *text; /* the compact JWS, NUL-terminated */
    size_t len;
    size_t signing_input_len;   /* header "." payload */
    unsigned char sig[MAX_SIG]; /* what the raw contender verifies: DER for ES */
    size_t sig_len;
};

struct bench_alg {
    const struct alg_spec *spec;
    EVP_PKEY *priv; /* signs the tokens */
    EVP_PKEY *pub;  /* read back from the PEM, as a verifier loads it */
    unsigned char ed_pk[32];
    char *jwk_json; /* the public JWK, kid included */
    char *pem;
    struct jwt_jwks *set;
    struct token tok[N_TOKENS];
    EVP_MD_CTX *raw_ctx;
    void *cjose_jwk;
};

enum contender { C_RAW, C_PAMJWT, C_CJOSE, C_LIBJWT, N_CONTENDERS };
static const char *const contender_names[N_CONTENDERS] = {"raw", "pam_jwt", "cjose", "libjwt"};

typedef bool (*verify_fn)(struct bench_alg *b, size_t i);

static struct peers peers;
static double slice_seconds = SLICE_SECONDS;
static struct jwt_policy policy;
static const char *const policy_issuers[] = {"jwt-helper@bench"};
static const char *const policy_audiences[] = {"pam"};
static const char *const policy_scopes[] = {"ssh"};

/* Slices are measured in CPU time of this thread, not wall time: the bench
 * often shares the machine with builds, and time spent descheduled is
 * nobody's cost. Wall time only caps a slice so a loaded machine cannot
 * stretch the run without bound. */
static double
clock_now(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
b64url(const unsigned char *in, size_t len)
{
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = malloc(cap);

    if (out != NULL)
        sodium_bin2base64(out, cap, in, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

/* ---- peers ---- */

/* Stores dlsym's answer into a function pointer without a cast POSIX
 * leaves undefined in ISO C; returns false when the symbol is missing. */
static bool
peer_sym(void *lib, const char *name, void *fn_ptr)
{
    void *p = dlsym(lib, name);

    memcpy(fn_ptr, &p, sizeof p);
    return p != NULL;
}

static void
peers_load(void)
{
    peers.cjose = dlopen("libcjose.so.0", PEER_DLOPEN_FLAGS);
    if (peers.cjose != NULL &&
        !(peer_sym(peers.cjose, "cjose_jwk_import", &peers.cjose_jwk_import) &&
          peer_sym(peers.cjose, "cjose_jwk_release", &peers.cjose_jwk_release) &&
          peer_sym(peers.cjose, "cjose_jws_import", &peers.cjose_jws_import) &&
          peer_sym(peers.cjose, "cjose_jws_verify", &peers.cjose_jws_verify) &&
          peer_sym(peers.cjose, "cjose_jws_release", &peers.cjose_jws_release)))
        peers.cjose_jws_verify = NULL; /* marks cjose unusable */
    peers.libjwt = dlopen("libjwt.so.0", PEER_DLOPEN_FLAGS);
    if (peers.libjwt != NULL && !(peer_sym(peers.libjwt, "jwt_decode", &peers.libjwt_decode) &&
                                  peer_sym(peers.libjwt, "jwt_free", &peers.libjwt_free)))
        peers.libjwt_decode = NULL;
}

static void
peers_unload(void)
{
    if (peers.cjose != NULL)
        dlclose(peers.cjose);
    if (peers.libjwt != NULL)
        dlclose(peers.libjwt);
}

/* ---- keys ---- */

static EVP_PKEY *
key_generate(const struct alg_spec *spec)
{
    if (spec->group != NULL)
        return EVP_PKEY_Q_keygen(NULL, NULL, spec->keytype, spec->group);
    if (strcmp(spec->keytype, "RSA") == 0)
        return EVP_PKEY_Q_keygen(NULL, NULL, spec->keytype, (size_t)2048);
    return EVP_PKEY_Q_keygen(NULL, NULL, spec->keytype);
}

static char *
key_pem_public(EVP_PKEY *pkey)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL, *out = NULL;
    long n;

    if (bio == NULL || PEM_write_bio_PUBKEY(bio, pkey) != 1)
        goto out;
    n = BIO_get_mem_data(bio, &data);
    if (n <= 0 || (out = malloc((size_t)n + 1)) == NULL)
        goto out;
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
out:
    BIO_free(bio);
    return out;
}

static EVP_PKEY *
key_from_pem(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *pkey = NULL;

    if (bio != NULL)
        pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);
    return pkey;
}

/* The public JWK Set, built and parsed the way the module reads jwks.json. */
static bool
keyset_build(struct bench_alg *b)
{
    struct jwt_jwk *jwk = NULL;
    struct json_object *root = NULL, *keys, *obj;
    const char *text;
    bool ok = false;

    if (jwt_jwk_from_pkey(b->priv, &jwk) != JWT_OK || (jwk->kid = strdup(b->spec->kid)) == NULL)
        goto out;
    if ((obj = jwt_jwk_to_json(jwk)) == NULL)
        goto out;
    b->jwk_json = strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
    root = json_object_new_object();
    keys = json_object_new_array();
    json_object_array_add(keys, obj);
    json_object_object_add(root, "keys", keys);
    text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
    if (b->jwk_json == NULL || jwt_jwks_parse(text, strlen(text), &b->set) != JWT_OK)
        goto out;
    ok = true;
out:
    json_object_put(root);
    jwt_jwk_free(jwk);
    return ok;
}

/* ---- minting ---- */

static bool
sign_der(struct bench_alg *b, const char *msg, size_t len, unsigned char *sig, size_t *sig_len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    const EVP_MD *md = b->spec->md ? b->spec->md() : NULL;
    bool ok = false;

    *sig_len = MAX_SIG;
    if (ctx == NULL || EVP_DigestSignInit(ctx, &pctx, md, NULL, b->priv) != 1)
        goto out;
    if (b->spec->pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
        goto out;
    ok = EVP_DigestSign(ctx, sig, sig_len, (const unsigned char *)msg, len) == 1;
out:
    EVP_MD_CTX_free(ctx);
    return ok;
}

/* JWS ES signatures are r || s, each left-padded to the field size
 * (RFC 7518 §3.4); OpenSSL produces DER. */
static bool
ecdsa_der_to_raw(const unsigned char *der, size_t der_len, size_t field, unsigned char *raw)
{
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    const BIGNUM *r, *s;
    bool ok;

    if (es == NULL)
        return false;
    ECDSA_SIG_get0(es, &r, &s);
    ok = BN_bn2binpad(r, raw, (int)field) == (int)field &&
         BN_bn2binpad(s, raw + field, (int)field) == (int)field;
    ECDSA_SIG_free(es);
    return ok;
}

static char *
signing_input_make(const struct alg_spec *spec, int64_t now)
{
    unsigned char jti[16];
    char header[160], payload[400], *h64 = NULL, *p64 = NULL, *jti64 = NULL, *out = NULL;

    randombytes_buf(jti, sizeof jti);
    if ((jti64 = b64url(jti, sizeof jti)) == NULL)
        goto out;
    /* typ "JWT", not the daemon's "at+jwt": libjwt 1.10 refuses any other
     * typ, and pam_jwt accepts both by default. */
    snprintf(header, sizeof header, "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
             jwt_alg_name(spec->alg), spec->kid);
    snprintf(payload, sizeof payload,
             "{\"iss\":\"%s\",\"sub\":\"alice\",\"aud\":\"pam\",\"exp\":%lld,\"iat\":%lld,"
             "\"jti\":\"%s\",\"scope\":\"ssh sudo\",\"auth_time\":%lld,\"amr\":[\"pwd\"]}",
             policy_issuers[0], (long long)(now + 600), (long long)now, jti64, (long long)now);
    h64 = b64url((const unsigned char *)header, strlen(header));
    p64 = b64url((const unsigned char *)payload, strlen(payload));
    if (h64 == NULL || p64 == NULL || (out = malloc(strlen(h64) + strlen(p64) + 2)) == NULL)
        goto out;
    sprintf(out, "%s.%s", h64, p64);
out:
    free(jti64);
    free(h64);
    free(p64);
    return out;
}

static bool
token_mint(struct bench_alg *b, struct token *t, int64_t now)
{
    unsigned char raw[MAX_SIG];
    const unsigned char *jws_sig = t->sig;
    char *input = signing_input_make(b->spec, now), *sig64 = NULL;
    size_t jws_sig_len;
    bool ok = false;

    if (input == NULL)
        goto out;
    t->signing_input_len = strlen(input);
    if (!sign_der(b, input, t->signing_input_len, t->sig, &t->sig_len))
        goto out;
    jws_sig_len = t->sig_len;
    if (b->spec->ec_field != 0) {
        if (!ecdsa_der_to_raw(t->sig, t->sig_len, b->spec->ec_field, raw))
            goto out;
        jws_sig = raw;
        jws_sig_len = 2 * b->spec->ec_field;
    }
    if ((sig64 = b64url(jws_sig, jws_sig_len)) == NULL)
        goto out;
    t->len = t->signing_input_len + 1 + strlen(sig64);
    if ((t->text = malloc(t->len + 1)) == NULL)
        goto out;
    sprintf(t->text, "%s.%s", input, sig64);
    ok = true;
out:
    free(input);
    free(sig64);
    return ok;
}

static bool
bench_alg_setup(struct bench_alg *b, const struct alg_spec *spec, int64_t now)
{
    size_t pk_len = sizeof b->ed_pk;

    b->spec = spec;
    if ((b->priv = key_generate(spec)) == NULL || (b->pem = key_pem_public(b->priv)) == NULL ||
        (b->pub = key_from_pem(b->pem)) == NULL || (b->raw_ctx = EVP_MD_CTX_new()) == NULL)
        return false;
    if (spec->alg == JWT_ALG_EDDSA && EVP_PKEY_get_raw_public_key(b->pub, b->ed_pk, &pk_len) != 1)
        return false;
    if (!keyset_build(b))
        return false;
    for (size_t i = 0; i < N_TOKENS; i++)
        if (!token_mint(b, &b->tok[i], now))
            return false;
    return true;
}

static void
bench_alg_free(struct bench_alg *b)
{
    for (size_t i = 0; i < N_TOKENS; i++)
        free(b->tok[i].text);
    if (b->cjose_jwk != NULL)
        peers.cjose_jwk_release(b->cjose_jwk);
    EVP_MD_CTX_free(b->raw_ctx);
    EVP_PKEY_free(b->priv);
    EVP_PKEY_free(b->pub);
    jwt_jwks_free(b->set);
    free(b->jwk_json);
    free(b->pem);
}

/* ---- the contenders: one verification of token i each ---- */

static bool
verify_raw(struct bench_alg *b, size_t i)
{
    const struct token *t = &b->tok[i];
    EVP_PKEY_CTX *pctx = NULL;

    if (b->spec->alg == JWT_ALG_EDDSA)
        return crypto_sign_verify_detached(t->sig, (const unsigned char *)t->text,
                                           t->signing_input_len, b->ed_pk) == 0;
    EVP_MD_CTX_reset(b->raw_ctx);
    if (EVP_DigestVerifyInit(b->raw_ctx, &pctx, b->spec->md(), NULL, b->pub) != 1)
        return false;
    if (b->spec->pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
        return false;
    return EVP_DigestVerify(b->raw_ctx, t->sig, t->sig_len, (const unsigned char *)t->text,
                            t->signing_input_len) == 1;
}

static bool
verify_pamjwt(struct bench_alg *b, size_t i)
{
    struct jwt_verified v;
    jwt_result r = jwt_verify(b->tok[i].text, b->tok[i].len, b->set, &policy, &v);

    jwt_verified_clear(&v);
    return r == JWT_OK;
}

static bool
verify_cjose(struct bench_alg *b, size_t i)
{
    struct cjose_err_mirror err;
    void *jws = peers.cjose_jws_import(b->tok[i].text, b->tok[i].len, &err);
    bool ok;

    if (jws == NULL)
        return false;
    ok = peers.cjose_jws_verify(jws, b->cjose_jwk, &err);
    peers.cjose_jws_release(jws);
    return ok;
}

static bool
verify_libjwt(struct bench_alg *b, size_t i)
{
    void *jwt = NULL;
    int rc = peers.libjwt_decode(&jwt, b->tok[i].text, (const unsigned char *)b->pem,
                                 (int)strlen(b->pem));

    if (jwt != NULL)
        peers.libjwt_free(jwt);
    return rc == 0;
}

static const verify_fn contender_fns[N_CONTENDERS] = {verify_raw, verify_pamjwt, verify_cjose,
                                                      verify_libjwt};

/* ---- acceptance: a contender is timed only if it accepts every token ---- */

static const char *
contender_check(struct bench_alg *b, enum contender c)
{
    static char why[sizeof(((struct jwt_verified *)0)->reason) + 64];
    struct cjose_err_mirror err = {0};
    struct jwt_verified v;
    jwt_result r;

    if (c == C_CJOSE && peers.cjose_jws_verify == NULL)
        return "library not found";
    if (c == C_LIBJWT && peers.libjwt_decode == NULL)
        return "library not found";
    if (c == C_CJOSE && b->cjose_jwk == NULL &&
        (b->cjose_jwk = peers.cjose_jwk_import(b->jwk_json, strlen(b->jwk_json), &err)) == NULL) {
        snprintf(why, sizeof why, "key import failed: %s", err.message ? err.message : "?");
        return why;
    }
    for (size_t i = 0; i < N_TOKENS; i++) {
        if (contender_fns[c](b, i))
            continue;
        if (c != C_PAMJWT) {
            snprintf(why, sizeof why, "rejects token %zu (alg unsupported?)", i);
            return why;
        }
        r = jwt_verify(b->tok[i].text, b->tok[i].len, b->set, &policy, &v);
        snprintf(why, sizeof why, "rejects token %zu: %s (%s)", i, jwt_result_str(r), v.reason);
        jwt_verified_clear(&v);
        return why;
    }
    return NULL;
}

/* ---- timing ---- */

/* Verifications per CPU-second over about `seconds` of CPU time (at most
 * WALL_CAP times that in wall time); -1 if any verification failed. */
static double
contender_time(verify_fn fn, struct bench_alg *b, double seconds)
{
    double start = clock_now(CLOCK_THREAD_CPUTIME_ID), wall = clock_now(CLOCK_MONOTONIC);
    double elapsed;
    size_t ops = 0, failures = 0;

    do {
        for (size_t k = 0; k < BATCH; k++)
            failures += !fn(b, (ops + k) % N_TOKENS);
        ops += BATCH;
        elapsed = clock_now(CLOCK_THREAD_CPUTIME_ID) - start;
    } while (elapsed < seconds && clock_now(CLOCK_MONOTONIC) - wall < WALL_CAP * seconds);
    return failures ? -1.0 : (double)ops / elapsed;
}

static int
double_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double
median(const double *v, size_t n)
{
    double s[N_ROUNDS];

    memcpy(s, v, n * sizeof *v);
    qsort(s, n, sizeof *s, double_cmp);
    return s[n / 2];
}

struct results {
    bool timed[N_ALGS][N_CONTENDERS];
    char *why[N_ALGS][N_CONTENDERS];
    double rate[N_ALGS][N_CONTENDERS][N_ROUNDS];
};

/* Rounds interleave every alg and contender, rotating the contender order
 * each round, so that frequency scaling and noise hit all of them alike. */
static void
rounds_run(struct bench_alg *algs, struct results *res)
{
    for (size_t round = 0; round < N_ROUNDS; round++) {
        for (size_t a = 0; a < N_ALGS; a++) {
            for (size_t k = 0; k < N_CONTENDERS; k++) {
                size_t c = (k + round) % N_CONTENDERS;

                if (res->timed[a][c])
                    res->rate[a][c][round] =
                        contender_time(contender_fns[c], &algs[a], slice_seconds);
            }
        }
        fprintf(stderr, "round %zu/%d done\n", round + 1, N_ROUNDS);
    }
}

/* A fixed number of verifications per contender of one alg, untimed: under
 * valgrind --tool=callgrind (tests/bench/callgrind.sh, one dump per call of
 * this function) the inclusive instruction counts of verify_raw,
 * verify_pamjwt and verify_cjose are a before/after figure that the load
 * of a shared machine cannot move. Returns the failures. */
/* noinline: callgrind counts by this function's name */
__attribute__((noinline)) static size_t
count_alg(struct bench_alg *b, const bool *timed, size_t n)
{
    size_t failures = 0;

    for (size_t c = 0; c < N_CONTENDERS; c++)
        for (size_t i = 0; timed[c] && i < n; i++)
            failures += !contender_fns[c](b, i % N_TOKENS);
    return failures;
}

static bool
rounds_count(struct bench_alg *algs, const struct results *res, size_t n)
{
    size_t failures = 0;

    for (size_t a = 0; a < N_ALGS; a++)
        failures += count_alg(&algs[a], res->timed[a], n);
    printf("counted %zu verifications per alg and contender, %zu failed\n", n, failures);
    return failures == 0;
}

/* ---- report ---- */

static void
cell_print(const struct results *res, size_t a, enum contender c, double pam)
{
    double m;

    if (!res->timed[a][c]) {
        printf(" %10s %7s", "n/a", "");
        return;
    }
    m = median(res->rate[a][c], N_ROUNDS);
    printf(" %10.0f %7.2f", m, m > 0 ? pam / m : 0.0);
}

static void
report_print(const struct results *res)
{
    printf("\n%-6s %10s %10s %7s %10s %7s %10s %7s   %s\n", "alg", "raw/s", "pam_jwt/s", "p/raw",
           "cjose/s", "p/cjose", "libjwt/s", "p/ljwt", "pam_jwt/raw per round min/med/max");
    for (size_t a = 0; a < N_ALGS; a++) {
        double raw = median(res->rate[a][C_RAW], N_ROUNDS);
        double pam = median(res->rate[a][C_PAMJWT], N_ROUNDS), ratio[N_ROUNDS], lo, hi;

        for (size_t r = 0; r < N_ROUNDS; r++)
            ratio[r] = res->rate[a][C_PAMJWT][r] / res->rate[a][C_RAW][r];
        lo = hi = ratio[0];
        for (size_t r = 1; r < N_ROUNDS; r++) {
            lo = ratio[r] < lo ? ratio[r] : lo;
            hi = ratio[r] > hi ? ratio[r] : hi;
        }
        printf("%-6s %10.0f %10.0f %7.3f", jwt_alg_name(alg_specs[a].alg), raw, pam, pam / raw);
        cell_print(res, a, C_CJOSE, pam);
        cell_print(res, a, C_LIBJWT, pam);
        printf("   %.3f / %.3f / %.3f\n", lo, median(ratio, N_ROUNDS), hi);
    }
    printf("\n(verifications per CPU-second; median of %d rounds, %.2f s per contender per round,\n"
           " %d distinct tokens;"
           " p/x = pam_jwt/s divided by x/s: targets p/raw >= 0.95, p/cjose and p/ljwt > 1)\n",
           N_ROUNDS, slice_seconds, N_TOKENS);
    for (size_t a = 0; a < N_ALGS; a++)
        for (size_t c = 0; c < N_CONTENDERS; c++)
            if (res->why[a][c] != NULL)
                printf("note: %s %s not timed: %s\n", jwt_alg_name(alg_specs[a].alg),
                       contender_names[c], res->why[a][c]);
}

/* ---- main ---- */

static void
policy_setup(int64_t now)
{
    test_policy_defaults(&policy);
    policy.issuers = policy_issuers;
    policy.n_issuers = 1;
    policy.audiences = policy_audiences;
    policy.n_audiences = 1;
    policy.user = "alice";
    policy.scopes = policy_scopes;
    policy.n_scopes = 1;
    policy.now = now;
}

/* Returns false when a contender that must run (raw, pam_jwt) cannot. */
static bool
contenders_check(struct bench_alg *algs, struct results *res)
{
    bool ok = true;

    for (size_t a = 0; a < N_ALGS; a++) {
        for (size_t c = 0; c < N_CONTENDERS; c++) {
            const char *why = contender_check(&algs[a], (enum contender)c);

            res->timed[a][c] = why == NULL;
            res->why[a][c] = why ? strdup(why) : NULL;
            if (why != NULL && (c == C_RAW || c == C_PAMJWT)) {
                fprintf(stderr, "bench: %s %s: %s\n", jwt_alg_name(alg_specs[a].alg),
                        contender_names[c], why);
                ok = false;
            }
        }
    }
    return ok;
}

int
main(int argc, char **argv)
{
    static struct bench_alg algs[N_ALGS];
    static struct results res;
    int64_t now = (int64_t)time(NULL);
    size_t count = 0;
    int rc = 1;

    if (argc > 2 && strcmp(argv[1], "--count") == 0) {
        if (sscanf(argv[2], "%zu", &count) != 1 || count == 0) {
            fprintf(stderr, "usage: bench_verify --count N\n");
            return 1;
        }
    } else if (argc > 1 && !(sscanf(argv[1], "%lf", &slice_seconds) == 1 && slice_seconds > 0.0 &&
                             slice_seconds <= 10.0)) {
        fprintf(stderr, "usage: bench_verify [seconds per contender per round, <= 10 | "
                        "--count N]\n");
        return 1;
    }
    if (sodium_init() < 0)
        return 1;
    policy_setup(now);
    peers_load();
    for (size_t a = 0; a < N_ALGS; a++) {
        if (!bench_alg_setup(&algs[a], &alg_specs[a], now)) {
            fprintf(stderr, "bench: setup failed for %s\n", jwt_alg_name(alg_specs[a].alg));
            goto out;
        }
    }
    if (!contenders_check(algs, &res))
        goto out;
    if (count != 0) {
        rc = rounds_count(algs, &res, count) ? 0 : 1;
        goto out;
    }
    rounds_run(algs, &res);
    report_print(&res);
    rc = 0;
out:
    for (size_t a = 0; a < N_ALGS; a++) {
        bench_alg_free(&algs[a]);
        for (size_t c = 0; c < N_CONTENDERS; c++)
            free(res.why[a][c]);
    }
    peers_unload();
    return rc;
}
