/* SPDX-License-Identifier: MIT */
/* Tests for the daemon's token logic: the refresh secret, scope grants, access
 * tokens pam_jwt accepts, prompt budgets, and refresh tokens bound to records. */
#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "check.h"
#include "test_policy.h"
#include "helperd_tokens.h"
#include "jwt.h"
#include "secret.h"
#include "signer.h"
#include "userdb.h"

#define NOW 1800000000LL
#define ISS "jwt-helper@test"
#define HT_OK HELPERD_TOKENS_OK

#define CHECK_HT(got, want, what)                                                                  \
    do {                                                                                           \
        helperd_tokens_result ht_g_ = (got), ht_w_ = (want);                                       \
        check_report(ht_g_ == ht_w_, __FILE__, __LINE__, (what));                                  \
        if (ht_g_ != ht_w_)                                                                        \
            printf("#   got \"%s\", want \"%s\"\n", helperd_tokens_result_str(ht_g_),              \
                   helperd_tokens_result_str(ht_w_));                                              \
    } while (0)

static struct signer *signer;
static struct jwt_jwks *jwks;
static unsigned char master[HELPERD_TOKENS_SECRET_BYTES];
static struct helperd_tokens_secret *secret;
static unsigned char sign_key[32], pwb_key[32]; /* derived here, independently */
static char hash_a[crypto_pwhash_STRBYTES], hash_a2[crypto_pwhash_STRBYTES];
static char hash_b[crypto_pwhash_STRBYTES];

static const char *const audiences[] = {"host-a", "host-b"};
static const char *const default_scopes[] = {"ssh", "sudo"};

static struct helperd_tokens_params
params_default(void)
{
    struct helperd_tokens_params p = {
        .issuer = ISS,
        .audience = "pam",
        .audiences = audiences,
        .n_audiences = 2,
        .default_scopes = default_scopes,
        .n_default_scopes = 2,
        .access_ttl = 600,
        .refresh_ttl = 2592000,
    };
    return p;
}

/* ---- records, built by hand as userdb would parse them ---- */

static void
record_make(struct userdb_record *r, const char *name, const char *hash, uint64_t gen,
            const char *scopes, bool locked)
{
    char *copy = strdup(scopes), *save = NULL;

    memset(r, 0, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->hash = strdup(hash);
    r->gen = gen;
    r->locked = locked;
    r->scopes = calloc(USERDB_MAX_SCOPES, sizeof(char *));
    if (copy == NULL || r->hash == NULL || r->scopes == NULL)
        exit(99);
    for (char *w = strtok_r(copy, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save))
        r->scopes[r->n_scopes++] = strdup(w);
    free(copy);
}

static void
record_free(struct userdb_record *r)
{
    for (size_t i = 0; i < r->n_scopes; i++)
        free(r->scopes[i]);
    free(r->scopes);
    secret_free_str(r->hash);
    memset(r, 0, sizeof(*r));
}

/* ---- looking into tokens ---- */

static struct json_object *
part_of(const char *token, bool header)
{
    struct jwt_jws jws;
    struct json_object *payload = NULL, *h = NULL;

    if (jwt_jws_parse(token, strlen(token), JWT_HARD_MAX_TOKEN_LEN,
                      JWT_ALGS_ACCESS | JWT_ALG_BIT(JWT_ALG_HS256), NULL, 0, &jws) != JWT_OK)
        return NULL;
    if (header)
        h = json_object_get(jws.header);
    else if (jwt_jws_payload(&jws, &payload) != JWT_OK)
        payload = NULL;
    jwt_jws_clear(&jws);
    return header ? h : payload;
}

static const char *
str_of(struct json_object *o, const char *name)
{
    const char *s = NULL;

    return o != NULL && jwt_json_get_string(o, name, &s) > 0 ? s : NULL;
}

static int64_t
int_of(struct json_object *o, const char *name)
{
    int64_t v = -1;

    return o != NULL && jwt_json_get_int64(o, name, &v) > 0 ? v : -1;
}

static bool
has_member(struct json_object *o, const char *name)
{
    return o != NULL && json_object_object_get_ex(o, name, NULL);
}

/* Verifies an access token as pam_jwt would, for user, aud and one scope. */
static jwt_result
verify_access(const char *token, const char *user, const char *aud, const char *scope, int64_t now,
              int64_t max_auth_age)
{
    static const char *const typs[] = {"at+jwt"};
    const char *issuers[] = {ISS}, *auds[] = {aud}, *scopes[] = {scope};
    struct jwt_policy policy;
    struct jwt_verified v;
    jwt_result r;

    test_policy_defaults(&policy);
    policy.typs = typs;
    policy.n_typs = 1;
    policy.issuers = issuers;
    policy.n_issuers = 1;
    policy.audiences = auds;
    policy.n_audiences = 1;
    policy.user = user;
    policy.scopes = scopes;
    policy.n_scopes = scope != NULL ? 1 : 0;
    policy.max_auth_age = max_auth_age;
    policy.now = now;
    r = jwt_verify(token, strlen(token), jwks, &policy, &v);
    jwt_verified_clear(&v);
    return r;
}

/* A login for rec at now with scope, then an access token. */
static helperd_tokens_result
login_access(const struct helperd_tokens_params *p, const struct userdb_record *rec,
             const char *scope, const char *aud, const struct jwt_revocation *rev, int64_t now,
             struct helperd_tokens_issued *out)
{
    struct helperd_tokens_grant g;
    helperd_tokens_result r;

    memset(out, 0, sizeof(*out));
    if ((r = helperd_tokens_grant_login(p, rec, scope, now, &g)) != HT_OK)
        return r;
    r = helperd_tokens_issue_access(signer, p, &g, aud, rev, now, out);
    helperd_tokens_grant_clear(&g);
    return r;
}

static helperd_tokens_result
login_refresh(const struct helperd_tokens_params *p, const struct userdb_record *rec,
              const char *scope, const struct jwt_revocation *rev, int64_t now,
              struct helperd_tokens_issued *out)
{
    struct helperd_tokens_grant g;
    helperd_tokens_result r;

    memset(out, 0, sizeof(*out));
    if ((r = helperd_tokens_grant_login(p, rec, scope, now, &g)) != HT_OK)
        return r;
    r = helperd_tokens_issue_refresh(secret, p, rec, &g, rev, now, out);
    helperd_tokens_grant_clear(&g);
    return r;
}

/* open + bind of a refresh token against rec; the granted scope into
 * scope_out (may be NULL). */
static helperd_tokens_result
refresh_check(const struct helperd_tokens_params *p, const char *token,
              const struct userdb_record *rec, const struct jwt_revocation *rev, const char *scope,
              int64_t now, struct helperd_tokens_grant *gout)
{
    struct helperd_tokens_refresh rt;
    struct helperd_tokens_grant g;
    helperd_tokens_result r;

    if ((r = helperd_tokens_refresh_open(secret, p, token, strlen(token), now, &rt)) != HT_OK)
        return r;
    r = helperd_tokens_refresh_bind(secret, &rt, rec, rev, scope, &g);
    helperd_tokens_refresh_clear(&rt);
    if (gout != NULL)
        *gout = g;
    else
        helperd_tokens_grant_clear(&g);
    return r;
}

static struct jwt_revocation *
revocation_of(const char *text)
{
    struct jwt_revocation *list = NULL;

    if (jwt_revocation_parse(text, strlen(text), &list) != JWT_OK)
        exit(99);
    return list;
}

/* header.payload.HMAC under key: a token the test forges, to reach the
 * claim checks behind a good signature. */
static char *
forge_hs256(const unsigned char *key, const char *header, const char *payload)
{
    char *h = jwt_b64url_encode((const unsigned char *)header, strlen(header));
    char *p = jwt_b64url_encode((const unsigned char *)payload, strlen(payload));
    char *input = NULL, *sig = NULL, *tok = NULL;
    unsigned char tag[32];

    if (h == NULL || p == NULL || (input = malloc(strlen(h) + strlen(p) + 2)) == NULL)
        exit(99);
    sprintf(input, "%s.%s", h, p);
    if (jwt_hs256_sign(key, 32, (unsigned char *)input, strlen(input), tag) != JWT_OK ||
        (sig = jwt_b64url_encode(tag, 32)) == NULL ||
        (tok = malloc(strlen(input) + strlen(sig) + 2)) == NULL)
        exit(99);
    sprintf(tok, "%s.%s", input, sig);
    free(h);
    free(p);
    free(input);
    free(sig);
    return tok;
}

/* The pwb of (name, gen, hash), computed here from the documented recipe. */
static void
pwb_b64_of(const char *name, uint64_t gen, const char *hash, char out[23])
{
    char msg[512];
    unsigned char pwb[16];
    int n = snprintf(msg, sizeof(msg), "%s:%" PRIu64 ":%s", name, gen, hash);

    crypto_generichash(pwb, 16, (unsigned char *)msg, (size_t)n, pwb_key, 32);
    sodium_bin2base64(out, 23, pwb, 16, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* A refresh payload for alice (gen 1, hash_a) with one member replaced:
 * extra is spliced in verbatim after the standard members it does not name. */
static char *
forge_refresh(const char *header, const char *iss, const char *aud, const char *sub,
              const char *gen, const char *pwb, int64_t iat, int64_t auth_time, const char *jti)
{
    char payload[1024], pwb_buf[23];

    if (pwb == NULL) {
        pwb_b64_of("alice", 1, hash_a, pwb_buf);
        pwb = pwb_buf;
    }
    snprintf(payload, sizeof(payload),
             "{\"iss\":\"%s\",\"sub\":\"%s\",\"aud\":\"%s\",\"exp\":%" PRId64 ",\"iat\":%" PRId64
             ",\"jti\":\"%s\",\"scope\":\"ssh sudo\",\"auth_time\":%" PRId64
             ",\"amr\":[\"pwd\"],\"gen\":%s,\"pwb\":\"%s\"}",
             iss, sub, aud, iat + 3600, iat, jti, auth_time, gen, pwb);
    return forge_hs256(sign_key, header, payload);
}

/* ---- setup ---- */

static void
setup(void)
{
    struct jwt_jwk *pub = NULL;
    struct json_object *wrap, *arr, *jwk;
    const char *text;

    if (sodium_init() < 0 || signer_generate(JWT_ALG_EDDSA, 0, &signer) != JWT_OK ||
        signer_public_jwk(signer, &pub) != JWT_OK)
        exit(99);
    wrap = json_object_new_object();
    arr = json_object_new_array();
    jwk = jwt_jwk_to_json(pub);
    if (wrap == NULL || arr == NULL || jwk == NULL || json_object_array_add(arr, jwk) != 0 ||
        json_object_object_add(wrap, "keys", arr) != 0 ||
        (text = json_object_to_json_string(wrap)) == NULL ||
        jwt_jwks_parse(text, strlen(text), &jwks) != JWT_OK)
        exit(99);
    json_object_put(wrap);
    jwt_jwk_free(pub);
    randombytes_buf(master, sizeof(master));
    if (helperd_tokens_secret_from_bytes(master, &secret) != JWT_OK)
        exit(99);
    crypto_kdf_derive_from_key(sign_key, 32, 1, "rtsign__", master);
    crypto_kdf_derive_from_key(pwb_key, 32, 1, "pwbind__", master);
    if (crypto_pwhash_str(hash_a, "alice-pw", 8, crypto_pwhash_OPSLIMIT_MIN,
                          crypto_pwhash_MEMLIMIT_MIN) != 0 ||
        crypto_pwhash_str(hash_a2, "alice-new", 9, crypto_pwhash_OPSLIMIT_MIN,
                          crypto_pwhash_MEMLIMIT_MIN) != 0 ||
        crypto_pwhash_str(hash_b, "bob-pw", 6, crypto_pwhash_OPSLIMIT_MIN,
                          crypto_pwhash_MEMLIMIT_MIN) != 0)
        exit(99);
}

/* ---- the refresh secret ---- */

static char dir[64];

static void
write_file(const char *name, const char *text, size_t len, mode_t mode)
{
    char path[128];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
        write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) != 0 || close(fd) != 0)
        exit(99);
}

static jwt_result
load_named(const char *name, struct helperd_tokens_secret **out)
{
    char path[128];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return helperd_tokens_secret_load(path, -1, out);
}

/* A refresh token made with s opens with the test's global secret? */
static helperd_tokens_result
open_with(const struct helperd_tokens_secret *s, const char *token)
{
    struct helperd_tokens_params p = params_default();
    struct helperd_tokens_refresh rt;
    helperd_tokens_result r = helperd_tokens_refresh_open(s, &p, token, strlen(token), NOW, &rt);

    helperd_tokens_refresh_clear(&rt);
    return r;
}

static void
test_secret_loader(void)
{
    struct helperd_tokens_params p = params_default();
    struct helperd_tokens_secret *s = NULL;
    struct userdb_record alice;
    struct helperd_tokens_issued rt;
    char text[HELPERD_TOKENS_SECRET_TEXT_LEN + 2];
    /* 32 other bytes ("pam_jwt test refresh key, two..!") as refresh.key's text. */
    static const char other[] = "cGFtX2p3dCB0ZXN0IHJlZnJlc2gga2V5LCB0d28uLiE\n";
    char bad[64], path[128];

    snprintf(dir, sizeof(dir), "/tmp/test_helperd_tokens.XXXXXX");
    if (mkdtemp(dir) == NULL)
        exit(99);
    /* A refresh token under the global secret, whose text we write out. */
    sodium_bin2base64(text, sizeof(text) - 1, master, sizeof(master),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    strcat(text, "\n");
    record_make(&alice, "alice", hash_a, 1, "ssh,sudo", false);
    CHECK_HT(login_refresh(&p, &alice, NULL, NULL, NOW, &rt), HT_OK, "refresh token for loader");

    write_file("good", text, 44, 0600);
    CHECK_RESULT(load_named("good", &s), JWT_OK, "refresh.key: 43 chars and newline");
    CHECK_HT(s ? open_with(s, rt.token) : HELPERD_TOKENS_ERR_PARAMS, HT_OK,
             "the loaded secret opens tokens of the same bytes");
    helperd_tokens_secret_free(s);
    write_file("world", text, 44, 0644);
    CHECK_RESULT(load_named("world", &s), JWT_ERR_FILE_UNSAFE,
                 "world-readable refresh.key refused");
    CHECK(s == NULL, "world-readable: nothing loaded");
    write_file("nonl", text, 43, 0600);
    CHECK_RESULT(load_named("nonl", &s), JWT_OK, "refresh.key without the newline");
    helperd_tokens_secret_free(s);

    write_file("other", other, 44, 0600);
    CHECK_RESULT(load_named("other", &s), JWT_OK, "another refresh.key loads");
    CHECK_HT(s ? open_with(s, rt.token) : HT_OK, HELPERD_TOKENS_ERR_BAD_SIGNATURE,
             "another secret does not open the token");
    helperd_tokens_secret_free(s);

    write_file("short", text, 42, 0600);
    CHECK_RESULT(load_named("short", &s), JWT_ERR_KEY_INVALID, "42 chars refused");
    CHECK(s == NULL, "nothing returned on refusal");
    snprintf(bad, sizeof(bad), "%.43sA\n", text);
    write_file("long", bad, 45, 0600);
    CHECK_RESULT(load_named("long", &s), JWT_ERR_KEY_INVALID, "44 chars and newline refused");
    snprintf(bad, sizeof(bad), "%.43sA", text);
    write_file("long2", bad, 44, 0600);
    CHECK_RESULT(load_named("long2", &s), JWT_ERR_KEY_INVALID, "44 chars refused");
    snprintf(bad, sizeof(bad), "%.43s ", text);
    write_file("space", bad, 44, 0600);
    CHECK_RESULT(load_named("space", &s), JWT_ERR_KEY_INVALID, "a space for the newline refused");
    snprintf(bad, sizeof(bad), "%.43s=\n", text);
    write_file("pad", bad, 45, 0600);
    CHECK_RESULT(load_named("pad", &s), JWT_ERR_KEY_INVALID, "padding refused");
    snprintf(bad, sizeof(bad), "%.43s\r\n", text);
    write_file("crlf", bad, 45, 0600);
    CHECK_RESULT(load_named("crlf", &s), JWT_ERR_KEY_INVALID, "CRLF refused");
    snprintf(bad, sizeof(bad), "%.43s\n\n", text);
    write_file("twonl", bad, 45, 0600);
    CHECK_RESULT(load_named("twonl", &s), JWT_ERR_KEY_INVALID, "two newlines refused");
    snprintf(bad, sizeof(bad), "%.42s+\n", text);
    write_file("std", bad, 44, 0600);
    CHECK_RESULT(load_named("std", &s), JWT_ERR_KEY_INVALID, "standard base64 alphabet refused");
    /* 32 bytes in 43 characters leave 2 bits over; "B" sets one of them. */
    snprintf(bad, sizeof(bad), "%.42sB\n", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    write_file("noncanon", bad, 44, 0600);
    CHECK_RESULT(load_named("noncanon", &s), JWT_ERR_KEY_INVALID,
                 "non-canonical last char refused");
    snprintf(bad, sizeof(bad), "%.42sA\n", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    write_file("canon", bad, 44, 0600);
    CHECK_RESULT(load_named("canon", &s), JWT_OK, "its canonical twin loads");
    helperd_tokens_secret_free(s);
    s = NULL;

    write_file("gw", text, 44, 0620);
    CHECK_RESULT(load_named("gw", &s), JWT_ERR_FILE_UNSAFE, "group-writable refused");
    write_file("ow", text, 44, 0602);
    CHECK_RESULT(load_named("ow", &s), JWT_ERR_FILE_UNSAFE, "other-writable refused");
    write_file("ro", text, 44, 0640);
    CHECK_RESULT(load_named("ro", &s), JWT_OK, "0640 (root:_jwt-helper) loads");
    helperd_tokens_secret_free(s);
    s = NULL;
    snprintf(path, sizeof(path), "%s/link", dir);
    if (symlink("good", path) != 0)
        exit(99);
    CHECK_RESULT(load_named("link", &s), JWT_ERR_FILE_OPEN, "symlink refused");
    CHECK_RESULT(load_named("missing", &s), JWT_ERR_FILE_OPEN, "missing file refused");
    write_file("big", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 70,
               0600);
    CHECK_RESULT(load_named("big", &s), JWT_ERR_FILE_TOO_BIG, "oversized file refused");
    CHECK_RESULT(helperd_tokens_secret_from_text(text, 44, &s), JWT_OK, "from_text");
    helperd_tokens_secret_free(s);
    helperd_tokens_secret_free(NULL);

    helperd_tokens_issued_clear(&rt);
    record_free(&alice);
    sodium_memzero(text, sizeof(text));
}

/* The refresh token's HMAC is under the key derived with "rtsign__", pwb
 * under the one derived with "pwbind__", and neither is the raw secret. */
static void
test_derived_keys(void)
{
    struct helperd_tokens_params p = params_default();
    struct userdb_record alice;
    struct helperd_tokens_issued rt;
    struct jwt_jws jws;
    struct json_object *payload = NULL;
    char want_pwb[23];
    unsigned char raw_pwb[16];
    char msg[512], *raw_b64 = NULL;
    int n;

    record_make(&alice, "alice", hash_a, 1, "ssh,sudo", false);
    CHECK_HT(login_refresh(&p, &alice, NULL, NULL, NOW, &rt), HT_OK, "refresh token issued");
    if (rt.token == NULL || jwt_jws_parse(rt.token, strlen(rt.token), 4096,
                                          JWT_ALG_BIT(JWT_ALG_HS256), NULL, 0, &jws) != JWT_OK)
        exit(99);
    CHECK_RESULT(jwt_hs256_verify(sign_key, 32, (const unsigned char *)jws.signing_input,
                                  jws.signing_input_len, jws.sig, jws.sig_len),
                 JWT_OK, "HMAC under the rtsign__ key");
    CHECK_RESULT(jwt_hs256_verify(master, 32, (const unsigned char *)jws.signing_input,
                                  jws.signing_input_len, jws.sig, jws.sig_len),
                 JWT_ERR_BAD_SIGNATURE, "not under the raw secret");
    CHECK_RESULT(jwt_hs256_verify(pwb_key, 32, (const unsigned char *)jws.signing_input,
                                  jws.signing_input_len, jws.sig, jws.sig_len),
                 JWT_ERR_BAD_SIGNATURE, "not under the pwb key");
    payload = part_of(rt.token, false);
    pwb_b64_of("alice", 1, hash_a, want_pwb);
    CHECK_STR(str_of(payload, "pwb"), want_pwb, "pwb = BLAKE2b-128 under the pwbind__ key");
    n = snprintf(msg, sizeof(msg), "alice:1:%s", hash_a);
    crypto_generichash(raw_pwb, 16, (unsigned char *)msg, (size_t)n, master, 32);
    raw_b64 = jwt_b64url_encode(raw_pwb, 16);
    CHECK(raw_b64 != NULL && str_of(payload, "pwb") != NULL &&
              strcmp(raw_b64, str_of(payload, "pwb")) != 0,
          "pwb is not keyed with the raw secret");
    free(raw_b64);
    json_object_put(payload);
    jwt_jws_clear(&jws);
    helperd_tokens_issued_clear(&rt);
    record_free(&alice);
}

/* ---- grants ---- */

static void
check_grant(const struct helperd_tokens_params *p, const struct userdb_record *rec,
            const char *scope, helperd_tokens_result want_r, const char *want_scope,
            const char *what)
{
    struct helperd_tokens_grant g;
    helperd_tokens_result r = helperd_tokens_grant_login(p, rec, scope, NOW, &g);

    CHECK_HT(r, want_r, what);
    if (want_r == HT_OK) {
        CHECK_STR(g.scope, want_scope, what);
        CHECK_STR(g.sub, rec->name, "grant sub");
        CHECK_INT(g.auth_time, NOW, "grant auth_time = login time");
    } else {
        CHECK(g.scope == NULL, "no scope on refusal");
    }
    helperd_tokens_grant_clear(&g);
}

static void
test_grants(void)
{
    struct helperd_tokens_params p = params_default();
    struct userdb_record all, ssh_only, none, locked;
    static const char *const malformed[] = {"",    " ssh",    "ssh ",      "ssh  sudo", "ssh,sudo",
                                            "SSH", "ssh ssh", "ssh\tsudo", "ss/h"};

    record_make(&all, "alice", hash_a, 1, "admin,sudo,ssh", false);
    record_make(&ssh_only, "bob", hash_b, 1, "ssh", false);
    record_make(&none, "carol", hash_b, 1, "", false);
    record_make(&locked, "dave", hash_b, 1, "ssh,sudo", true);

    check_grant(&p, &all, NULL, HT_OK, "sudo ssh", "default: default_scope words held");
    check_grant(&p, &ssh_only, NULL, HT_OK, "ssh", "default: only the words held");
    check_grant(&p, &none, NULL, HT_OK, "", "default: no scope held, none granted");
    check_grant(&p, &all, "sudo", HT_OK, "sudo", "requested subset");
    check_grant(&p, &all, "ssh admin", HT_OK, "admin ssh", "requested in the record's order");
    check_grant(&p, &ssh_only, "sudo", HELPERD_TOKENS_ERR_SCOPE, NULL, "requested not held");
    check_grant(&p, &ssh_only, "ssh sudo", HELPERD_TOKENS_ERR_SCOPE, NULL, "requested partly held");
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
        check_grant(&p, &all, malformed[i], HELPERD_TOKENS_ERR_SCOPE_SYNTAX, NULL,
                    "malformed requested scope");
    check_grant(&p, &locked, NULL, HELPERD_TOKENS_ERR_LOCKED, NULL, "locked user");
    p.issuer = NULL;
    check_grant(&p, &all, NULL, HELPERD_TOKENS_ERR_PARAMS, NULL, "no issuer");
    p = params_default();
    p.access_ttl = 0;
    check_grant(&p, &all, NULL, HELPERD_TOKENS_ERR_PARAMS, NULL, "access_ttl 0");

    record_free(&all);
    record_free(&ssh_only);
    record_free(&none);
    record_free(&locked);
}

/* ---- access tokens ---- */

static void
test_access_token(void)
{
    struct helperd_tokens_params p = params_default();
    struct userdb_record alice;
    struct helperd_tokens_issued t, t2;
    struct json_object *h, *c, *amr;

    record_make(&alice, "alice", hash_a, 1, "ssh,sudo", false);
    CHECK_HT(login_access(&p, &alice, NULL, NULL, NULL, NOW, &t), HT_OK, "access token issued");
    CHECK(t.token != NULL, "token returned");
    if (t.token == NULL)
        exit(1);
    CHECK_RESULT(verify_access(t.token, "alice", "pam", "sudo", NOW, -1), JWT_OK,
                 "pam_jwt accepts it");
    CHECK_RESULT(verify_access(t.token, "bob", "pam", "sudo", NOW, -1), JWT_ERR_USER,
                 "for another user: refused");
    CHECK_RESULT(verify_access(t.token, "alice", "host-a", "sudo", NOW, -1), JWT_ERR_AUDIENCE,
                 "on another audience: refused");
    /* pam_jwt's default leeway is 60 s */
    CHECK_RESULT(verify_access(t.token, "alice", "pam", "sudo", NOW + 660, -1), JWT_ERR_EXPIRED,
                 "after access_ttl + leeway: expired");
    CHECK_RESULT(verify_access(t.token, "alice", "pam", "sudo", NOW + 659, -1), JWT_OK,
                 "just before exp + leeway: accepted");
    h = part_of(t.token, true);
    c = part_of(t.token, false);
    CHECK_STR(str_of(h, "alg"), "EdDSA", "header alg");
    CHECK_STR(str_of(h, "typ"), "at+jwt", "header typ");
    CHECK_STR(str_of(h, "kid"), signer_kid(signer), "header kid");
    CHECK_STR(str_of(c, "iss"), ISS, "iss");
    CHECK_STR(str_of(c, "sub"), "alice", "sub");
    CHECK_STR(str_of(c, "aud"), "pam", "aud = configured audience");
    CHECK_INT(int_of(c, "iat"), NOW, "iat = now");
    CHECK_INT(int_of(c, "exp"), NOW + 600, "exp = now + access_ttl");
    CHECK_INT(int_of(c, "auth_time"), NOW, "auth_time = login");
    CHECK_STR(str_of(c, "scope"), "ssh sudo", "scope space-separated");
    CHECK(str_of(c, "jti") != NULL && strlen(str_of(c, "jti")) == 22, "jti of 16 bytes");
    CHECK_STR(str_of(c, "jti"), t.jti, "jti reported to the caller");
    CHECK(json_object_object_get_ex(c, "amr", &amr) && json_object_is_type(amr, json_type_array) &&
              json_object_array_length(amr) == 1 &&
              strcmp(json_object_get_string(json_object_array_get_idx(amr, 0)), "pwd") == 0,
          "amr [\"pwd\"]");
    CHECK(!has_member(c, "nbf"), "no nbf");
    CHECK_INT(json_object_object_length(c), 9, "nine claims, nothing else");
    CHECK_INT(t.iat, NOW, "issued iat reported");
    CHECK_INT(t.exp, NOW + 600, "issued exp reported");
    json_object_put(h);
    json_object_put(c);

    CHECK_HT(login_access(&p, &alice, "ssh", NULL, NULL, NOW, &t2), HT_OK, "ssh-only token");
    CHECK_RESULT(t2.token ? verify_access(t2.token, "alice", "pam", "sudo", NOW, -1) : JWT_OK,
                 JWT_ERR_SCOPE, "ssh-only token does not pass scope=sudo");
    CHECK(t2.token != NULL && strcmp(t.jti, t2.jti) != 0, "jti differs per token");
    helperd_tokens_issued_clear(&t2);

    CHECK_HT(login_access(&p, &alice, NULL, "host-b", NULL, NOW, &t2), HT_OK,
             "requested audience in the allow-list");
    CHECK_RESULT(t2.token ? verify_access(t2.token, "alice", "host-b", NULL, NOW, -1) : JWT_OK,
                 JWT_OK, "carries the requested audience");
    helperd_tokens_issued_clear(&t2);
    CHECK_HT(login_access(&p, &alice, NULL, "pam", NULL, NOW, &t2), HT_OK,
             "the default audience may be requested");
    helperd_tokens_issued_clear(&t2);
    CHECK_HT(login_access(&p, &alice, NULL, "host-c", NULL, NOW, &t2), HELPERD_TOKENS_ERR_AUDIENCE,
             "audience not in the allow-list refused");
    CHECK(t2.token == NULL, "no token on refusal");
    CHECK_HT(login_access(&p, &alice, NULL, "", NULL, NOW, &t2), HELPERD_TOKENS_ERR_AUDIENCE,
             "empty audience refused");
    CHECK_HT(login_access(&p, &alice, NULL, "HOST-A", NULL, NOW, &t2), HELPERD_TOKENS_ERR_AUDIENCE,
             "audience compared exactly");
    CHECK_HT(login_access(&p, &alice, NULL, "host:web2", NULL, NOW, &t2),
             HELPERD_TOKENS_ERR_AUDIENCE, "host:web2 refused without host:*");
    helperd_tokens_issued_clear(&t);
    record_free(&alice);
}

/* The audiences entry host:* (jwt-helperd(8) audiences): "host:" and one host name or
 * address, issued lowercased; anything else is refused. */
static void
test_any_host(void)
{
    static const char *const any[] = {"host:web1", HELPERD_TOKENS_ANY_HOST};
    static const char *const refused[] = {
        "host:",     "host:a b", "host:web*", "host:*",    "host:.web",   "host:-web",
        "host:a..b", "host:a/b", "host:a_b",  "HOST:web2", "host:web2\n", "host:caf\xc3\xa9",
    };
    struct helperd_tokens_params p = params_default();
    struct userdb_record alice;
    struct helperd_tokens_issued t = {0};
    char long_host[5 + HELPERD_TOKENS_MAX_HOST + 2];

    record_make(&alice, "alice", hash_a, 1, "ssh,sudo", false);
    p.audiences = any;
    p.n_audiences = 2;
    CHECK_HT(login_access(&p, &alice, NULL, "host:Web2.Example.ORG", NULL, NOW, &t), HT_OK,
             "host:*: another host granted");
    CHECK_RESULT(t.token ? verify_access(t.token, "alice", "host:web2.example.org", NULL, NOW, -1)
                         : JWT_ERR_AUDIENCE,
                 JWT_OK, "host:*: issued lowercased");
    helperd_tokens_issued_clear(&t);
    CHECK_HT(login_access(&p, &alice, NULL, "host:fe80::1", NULL, NOW, &t), HT_OK,
             "host:*: an IPv6 address granted");
    helperd_tokens_issued_clear(&t);
    CHECK_HT(login_access(&p, &alice, NULL, "host:web1", NULL, NOW, &t), HT_OK,
             "host:*: a listed entry still granted");
    helperd_tokens_issued_clear(&t);
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char what[96];
        snprintf(what, sizeof what, "host:*: refused entry %zu", i);
        CHECK_HT(login_access(&p, &alice, NULL, refused[i], NULL, NOW, &t),
                 HELPERD_TOKENS_ERR_AUDIENCE, what);
        CHECK(t.token == NULL, "host:*: no token on refusal");
    }
    memset(long_host, 'a', sizeof long_host - 1);
    memcpy(long_host, "host:", 5);
    long_host[sizeof long_host - 2] = '\0'; /* 253 bytes of name */
    CHECK(helperd_tokens_audience_is_host(long_host), "host:*: a 253-byte name fits");
    long_host[sizeof long_host - 2] = 'a';
    long_host[sizeof long_host - 1] = '\0';
    CHECK(!helperd_tokens_audience_is_host(long_host), "host:*: 254 bytes do not");
    record_free(&alice);
}

/* ---- prompt budgets ---- */

/* Length of the token a signer mints for user with scope and audience aud
 * (budget permitting): 0 when refused, *r says why. */
static size_t
token_len(struct signer *s, const struct userdb_record *rec, const char *scope, const char *aud,
          helperd_tokens_result *r)
{
    const char *const list[] = {aud};
    struct helperd_tokens_params p = params_default();
    struct helperd_tokens_grant g;
    struct helperd_tokens_issued t;
    size_t len = 0;

    p.audiences = list;
    p.n_audiences = 1;
    if ((*r = helperd_tokens_grant_login(&p, rec, scope, NOW, &g)) != HT_OK)
        return 0;
    *r = helperd_tokens_issue_access(s, &p, &g, aud, NULL, NOW, &t);
    if (*r == HT_OK)
        len = strlen(t.token);
    helperd_tokens_issued_clear(&t);
    helperd_tokens_grant_clear(&g);
    return len;
}

/* Grows the audience until the twin scope (same length, no budget of its
 * own) makes a token longer than budget; checks that scope is accepted up to
 * there and refused beyond, and returns the longest accepted length. */
static size_t
check_budget(struct signer *s, const char *scope, const char *twin, size_t budget, const char *what)
{
    struct userdb_record rec;
    char aud[1200];
    size_t last_ok = 0, len_at = 0, len_twin = 0;
    helperd_tokens_result r, rt;

    record_make(&rec, "alice", hash_a, 1, "ssh,sudo,sudx,ssx", false);
    for (size_t n = 1; n < sizeof(aud) - 1; n++) {
        memset(aud, 'a', n);
        aud[n] = '\0';
        len_twin = token_len(s, &rec, twin, aud, &rt);
        len_at = token_len(s, &rec, scope, aud, &r);
        if (len_twin == 0 || len_twin > budget)
            break;
        if (r != HT_OK || len_at != len_twin) {
            CHECK_HT(r, HT_OK, what);
            break;
        }
        last_ok = len_at;
    }
    CHECK(last_ok > 0 && last_ok <= budget, what);
    /* Past the budget: the twin measured it, or (for the 1023 budget, which
     * the twin shares) was refused for it too. */
    CHECK(len_twin > budget || rt == HELPERD_TOKENS_ERR_OVER_BUDGET,
          "the loop ended at the budget");
    CHECK_HT(r, HELPERD_TOKENS_ERR_OVER_BUDGET, what);
    record_free(&rec);
    return last_ok;
}

static void
test_budget(void)
{
    struct signer *es384 = NULL;

    /* EdDSA tokens are 88 + 74 + payload characters; base64url never ends
     * a payload on 1 mod 4, and 511 and 1023 are such lengths: 510 is the
     * longest possible, 512 the next. ES384's longer signature reaches 511
     * and 1023 exactly. */
    CHECK_INT(check_budget(signer, "sudo", "sudx", HELPERD_TOKENS_SUDO_BUDGET,
                           "EdDSA sudo token: budget 511"),
              510, "EdDSA: longest sudo token 510 bytes accepted, 512 refused");
    CHECK_INT(
        check_budget(signer, "ssh", "ssx", HELPERD_TOKENS_BUDGET, "EdDSA ssh token: budget 1023"),
        1022, "EdDSA: longest ssh token 1022 accepted, 1024 refused");
    CHECK_INT(check_budget(signer, "ssh sudo", "ssh sudx", HELPERD_TOKENS_SUDO_BUDGET,
                           "ssh+sudo token: the sudo budget"),
              510, "a scope holding sudo among others gets the sudo budget");
    if (signer_generate(JWT_ALG_ES384, 0, &es384) != JWT_OK)
        exit(99);
    CHECK_INT(check_budget(es384, "sudo", "sudx", HELPERD_TOKENS_SUDO_BUDGET,
                           "ES384 sudo token: budget 511"),
              511, "ES384: a sudo token of exactly 511 bytes accepted, longer refused");
    CHECK_INT(
        check_budget(es384, "ssh", "ssx", HELPERD_TOKENS_BUDGET, "ES384 ssh token: budget 1023"),
        1023, "ES384: an ssh token of exactly 1023 bytes accepted, longer refused");
    signer_free(es384);
}

/* ---- refresh tokens ---- */

static void
test_refresh_token_shape(void)
{
    struct helperd_tokens_params p = params_default();
    struct userdb_record alice;
    struct helperd_tokens_issued rt;
    struct json_object *h, *c;
    struct jwt_policy policy;
    struct jwt_verified v;
    static const char *const rt_typs[] = {"rt+jwt"};

    record_make(&alice, "alice", hash_a, 7, "ssh,sudo", false);
    CHECK_HT(login_refresh(&p, &alice, NULL, NULL, NOW, &rt), HT_OK, "refresh token issued");
    if (rt.token == NULL)
        exit(1);
    h = part_of(rt.token, true);
    c = part_of(rt.token, false);
    CHECK_STR(str_of(h, "alg"), "HS256", "rt header alg");
    CHECK_STR(str_of(h, "typ"), "rt+jwt", "rt header typ");
    CHECK_INT(json_object_object_length(h), 2, "rt header has alg and typ only");
    CHECK_STR(str_of(c, "iss"), ISS, "rt iss");
    CHECK_STR(str_of(c, "aud"), ISS, "rt aud = iss");
    CHECK_STR(str_of(c, "sub"), "alice", "rt sub");
    CHECK_INT(int_of(c, "iat"), NOW, "rt iat");
    CHECK_INT(int_of(c, "exp"), NOW + 2592000, "rt exp = iat + refresh_ttl");
    CHECK_INT(int_of(c, "auth_time"), NOW, "rt auth_time");
    CHECK_INT(int_of(c, "gen"), 7, "rt gen = record's gen");
    CHECK_STR(str_of(c, "scope"), "ssh sudo", "rt scope");
    CHECK_STR(str_of(c, "jti"), rt.jti, "rt jti");
    CHECK(str_of(c, "pwb") != NULL && strlen(str_of(c, "pwb")) == 22, "rt pwb of 16 bytes");
    CHECK(has_member(c, "amr") && !has_member(c, "nbf"), "rt amr, no nbf");
    CHECK_INT(json_object_object_length(c), 11, "eleven claims");
    json_object_put(h);
    json_object_put(c);

    /* A refresh token never passes pam_jwt, however its policy is set. */
    test_policy_defaults(&policy);
    policy.now = NOW;
    CHECK_RESULT(jwt_verify(rt.token, strlen(rt.token), jwks, &policy, &v), JWT_ERR_ALG_NOT_ALLOWED,
                 "pam_jwt refuses HS256");
    jwt_verified_clear(&v);
    policy.algs = ~0u;
    policy.typs = rt_typs;
    policy.n_typs = 1;
    CHECK(jwt_verify(rt.token, strlen(rt.token), jwks, &policy, &v) != JWT_OK,
          "pam_jwt refuses it even with HS256 and rt+jwt configured");
    jwt_verified_clear(&v);

    p.refresh_ttl = 0;
    helperd_tokens_issued_clear(&rt);
    CHECK_HT(login_refresh(&p, &alice, NULL, NULL, NOW, &rt), HT_OK, "refresh_ttl 0");
    c = rt.token ? part_of(rt.token, false) : NULL;
    CHECK(c != NULL && !has_member(c, "exp"), "refresh_ttl 0: no exp");
    CHECK(!rt.has_exp, "refresh_ttl 0: reported without exp");
    json_object_put(c);
    CHECK_HT(rt.token
                 ? refresh_check(&p, rt.token, &alice, NULL, NULL, NOW + 9 * 366 * 86400LL, NULL)
                 : HT_OK,
             HT_OK, "refresh_ttl 0: accepted nine years later");
    p.refresh_ttl = 86400;
    CHECK_HT(rt.token ? refresh_check(&p, rt.token, &alice, NULL, NULL, NOW, NULL) : HT_OK,
             HELPERD_TOKENS_ERR_EXPIRED, "a token without exp once refresh_ttl is set: refused");
    helperd_tokens_issued_clear(&rt);
    record_free(&alice);
}

static void
test_refresh_binding(void)
{
    struct helperd_tokens_params p = params_default();
    struct userdb_record alice, alice_bumped, alice_newpw, alice_locked, bob, bob_bumped;
    struct helperd_tokens_issued rt_a, rt_b, at;
    struct helperd_tokens_grant g;
    struct json_object *c;

    record_make(&alice, "alice", hash_a, 1, "ssh,sudo", false);
    record_make(&alice_bumped, "alice", hash_a, 2, "ssh,sudo", false);
    record_make(&alice_newpw, "alice", hash_a2, 1, "ssh,sudo", false);
    record_make(&alice_locked, "alice", hash_a, 1, "ssh,sudo", true);
    record_make(&bob, "bob", hash_b, 1, "ssh", false);
    record_make(&bob_bumped, "bob", hash_b, 2, "ssh", false);
    if (login_refresh(&p, &alice, NULL, NULL, NOW, &rt_a) != HT_OK ||
        login_refresh(&p, &bob, NULL, NULL, NOW, &rt_b) != HT_OK)
        exit(1);

    CHECK_HT(refresh_check(&p, rt_a.token, &alice, NULL, NULL, NOW + 3600, &g), HT_OK,
             "refresh with the record unchanged");
    CHECK_STR(g.sub, "alice", "refresh grant sub");
    CHECK_STR(g.scope, "ssh sudo", "refresh grant keeps the scope");
    CHECK_INT(g.auth_time, NOW, "refresh keeps the login's auth_time");
    CHECK_HT(helperd_tokens_issue_access(signer, &p, &g, NULL, NULL, NOW + 3600, &at), HT_OK,
             "access token from a refresh");
    c = at.token ? part_of(at.token, false) : NULL;
    CHECK_INT(int_of(c, "auth_time"), NOW, "refreshed access token: original auth_time");
    CHECK_INT(int_of(c, "iat"), NOW + 3600, "refreshed access token: iat now");
    json_object_put(c);
    CHECK_RESULT(at.token ? verify_access(at.token, "alice", "pam", "sudo", NOW + 3600, 4000)
                          : JWT_ERR_INTERNAL,
                 JWT_OK, "max_auth_age=4000 accepts it");
    CHECK_RESULT(at.token ? verify_access(at.token, "alice", "pam", "sudo", NOW + 3600, 300)
                          : JWT_OK,
                 JWT_ERR_AUTH_AGE, "max_auth_age=300 refuses it: the login is old");
    helperd_tokens_issued_clear(&at);
    helperd_tokens_grant_clear(&g);

    CHECK_HT(refresh_check(&p, rt_a.token, &alice_bumped, NULL, NULL, NOW, NULL),
             HELPERD_TOKENS_ERR_STALE, "after a gen bump (revoke): refused");
    CHECK_HT(refresh_check(&p, rt_a.token, &alice_newpw, NULL, NULL, NOW, NULL),
             HELPERD_TOKENS_ERR_STALE, "after a password change, gen unchanged: refused");
    CHECK_HT(refresh_check(&p, rt_a.token, &alice_locked, NULL, NULL, NOW, NULL),
             HELPERD_TOKENS_ERR_LOCKED, "locked user: refused");
    CHECK_HT(refresh_check(&p, rt_a.token, &bob, NULL, NULL, NOW, NULL),
             HELPERD_TOKENS_ERR_UNKNOWN_USER, "with another user's record: refused");
    CHECK_HT(refresh_check(&p, rt_a.token, NULL, NULL, NULL, NOW, NULL),
             HELPERD_TOKENS_ERR_UNKNOWN_USER, "user gone: refused");
    CHECK_HT(refresh_check(&p, rt_b.token, &bob, NULL, NULL, NOW, NULL), HT_OK,
             "bob's token unaffected by alice's bump");
    CHECK_HT(refresh_check(&p, rt_b.token, &bob_bumped, NULL, NULL, NOW, NULL),
             HELPERD_TOKENS_ERR_STALE, "bob's token dies with bob's bump");
    CHECK_HT(refresh_check(&p, rt_a.token, &alice, NULL, NULL, NOW, NULL), HT_OK,
             "and alice's still works with her record");
    /* A fresh login after the bump binds to the new record. */
    helperd_tokens_issued_clear(&rt_a);
    CHECK_HT(login_refresh(&p, &alice_bumped, NULL, NULL, NOW, &rt_a), HT_OK, "login after bump");
    CHECK_HT(refresh_check(&p, rt_a.token, &alice_bumped, NULL, NULL, NOW, NULL), HT_OK,
             "new token works with the bumped record");
    CHECK_HT(refresh_check(&p, rt_a.token, &alice, NULL, NULL, NOW, NULL), HELPERD_TOKENS_ERR_STALE,
             "and not with the old one");
    {
        struct helperd_tokens_grant lg = {.sub = "alice", .scope = (char *)"ssh", .auth_time = NOW};
        struct helperd_tokens_issued t;
        CHECK_HT(helperd_tokens_issue_refresh(secret, &p, &bob, &lg, NULL, NOW, &t),
                 HELPERD_TOKENS_ERR_PARAMS, "issue_refresh with another user's record refused");
    }

    helperd_tokens_issued_clear(&rt_a);
    helperd_tokens_issued_clear(&rt_b);
    record_free(&alice);
    record_free(&alice_bumped);
    record_free(&alice_newpw);
    record_free(&alice_locked);
    record_free(&bob);
    record_free(&bob_bumped);
}

/* Replaces the segment idx (0 header, 1 payload, 2 signature) of token. */
static char *
with_segment(const char *token, int idx, const char *seg)
{
    const char *d1 = strchr(token, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    char *out = malloc(strlen(token) + strlen(seg) + 3);

    if (d2 == NULL || out == NULL)
        exit(99);
    if (idx == 0)
        sprintf(out, "%s%s", seg, d1);
    else if (idx == 1)
        sprintf(out, "%.*s.%s%s", (int)(d1 - token), token, seg, d2);
    else
        sprintf(out, "%.*s.%s", (int)(d2 - token), token, seg);
    return out;
}

static void
test_refresh_tampering(void)
{
    struct helperd_tokens_params p = params_default();
    struct userdb_record alice;
    struct helperd_tokens_issued rt, at;
    struct helperd_tokens_secret *other = NULL;
    unsigned char other_bytes[32];
    char *bad, *hdr, *sig_pos;

    record_make(&alice, "alice", hash_a, 1, "ssh,sudo", false);
    if (login_refresh(&p, &alice, NULL, NULL, NOW, &rt) != HT_OK ||
        login_access(&p, &alice, NULL, NULL, NULL, NOW, &at) != HT_OK)
        exit(1);

    bad = strdup(rt.token);
    sig_pos = strrchr(bad, '.') + 5;
    *sig_pos = *sig_pos == 'A' ? 'B' : 'A';
    CHECK_HT(refresh_check(&p, bad, &alice, NULL, NULL, NOW, NULL),
             HELPERD_TOKENS_ERR_BAD_SIGNATURE, "tampered signature refused");
    free(bad);
    randombytes_buf(other_bytes, sizeof(other_bytes));
    if (helperd_tokens_secret_from_bytes(other_bytes, &other) != JWT_OK)
        exit(99);
    CHECK_HT(open_with(other, rt.token), HELPERD_TOKENS_ERR_BAD_SIGNATURE,
             "another daemon's secret refuses it");
    helperd_tokens_secret_free(other);
    CHECK_HT(refresh_check(&p, at.token, &alice, NULL, NULL, NOW, NULL),
             HELPERD_TOKENS_ERR_NOT_REFRESH, "an access token is not a refresh token");
    /* The same payload under the signing key, header alg EdDSA typ rt+jwt. */
    {
        const char *d1 = strchr(rt.token, '.'), *d2 = strchr(d1 + 1, '.');
        char *pl_b64 = strndup(d1 + 1, (size_t)(d2 - d1 - 1));
        unsigned char *pl = NULL;
        size_t pl_len = 0;
        char *swapped = NULL;
        if (pl_b64 == NULL || jwt_b64url_decode(pl_b64, strlen(pl_b64), &pl, &pl_len) != JWT_OK ||
            signer_sign(signer, "{\"alg\":\"EdDSA\",\"typ\":\"rt+jwt\"}", (char *)pl, &swapped) !=
                JWT_OK)
            exit(99);
        CHECK_HT(refresh_check(&p, swapped, &alice, NULL, NULL, NOW, NULL),
                 HELPERD_TOKENS_ERR_NOT_REFRESH, "alg swapped to EdDSA refused");
        free(swapped);
        hdr = forge_hs256(sign_key, "{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", (char *)pl);
        CHECK_HT(refresh_check(&p, hdr, &alice, NULL, NULL, NOW, NULL),
                 HELPERD_TOKENS_ERR_NOT_REFRESH, "typ swapped to at+jwt refused");
        free(hdr);
        hdr = forge_hs256(sign_key, "{\"alg\":\"HS256\"}", (char *)pl);
        CHECK_HT(refresh_check(&p, hdr, &alice, NULL, NULL, NOW, NULL),
                 HELPERD_TOKENS_ERR_NOT_REFRESH, "typ missing refused");
        free(hdr);
        hdr =
            forge_hs256(sign_key, "{\"alg\":\"HS256\",\"typ\":\"application/rt+jwt\"}", (char *)pl);
        CHECK_HT(refresh_check(&p, hdr, &alice, NULL, NULL, NOW, NULL),
                 HELPERD_TOKENS_ERR_NOT_REFRESH, "typ with media prefix refused");
        free(hdr);
        hdr = forge_hs256(sign_key, "{\"alg\":\"HS256\",\"typ\":\"RT+JWT\"}", (char *)pl);
        CHECK_HT(refresh_check(&p, hdr, &alice, NULL, NULL, NOW, NULL), HT_OK,
                 "typ RT+JWT (any case) accepted");
        free(hdr);
        hdr = forge_hs256(sign_key, "{\"alg\":\"none\",\"typ\":\"rt+jwt\"}", (char *)pl);
        CHECK_HT(refresh_check(&p, hdr, &alice, NULL, NULL, NOW, NULL),
                 HELPERD_TOKENS_ERR_NOT_REFRESH, "alg none refused");
        free(hdr);
        bad = with_segment(rt.token, 2, "");
        CHECK_HT(refresh_check(&p, bad, &alice, NULL, NULL, NOW, NULL),
                 HELPERD_TOKENS_ERR_BAD_SIGNATURE, "empty signature refused");
        free(bad);
        /* gen raised in the payload, the old signature kept */
        {
            char *pl2 = strdup((char *)pl), *g = strstr(pl2, "\"gen\":1"), *enc;
            g[6] = '2';
            enc = jwt_b64url_encode((unsigned char *)pl2, strlen(pl2));
            bad = with_segment(rt.token, 1, enc);
            CHECK_HT(refresh_check(&p, bad, &alice, NULL, NULL, NOW, NULL),
                     HELPERD_TOKENS_ERR_BAD_SIGNATURE, "payload edited: refused");
            free(bad);
            free(enc);
            free(pl2);
        }
        secret_free(pl, pl_len);
        free(pl_b64);
    }
    CHECK_HT(refresh_check(&p, "not a token", &alice, NULL, NULL, NOW, NULL),
             HELPERD_TOKENS_ERR_MALFORMED, "garbage refused");
    CHECK_HT(refresh_check(&p, "", &alice, NULL, NULL, NOW, NULL), HELPERD_TOKENS_ERR_MALFORMED,
             "empty refused");

    helperd_tokens_issued_clear(&rt);
    helperd_tokens_issued_clear(&at);
    record_free(&alice);
}

/* Tokens forged behind a good signature reach the claim checks themselves. */
static void
test_refresh_forged_claims(void)
{
    struct helperd_tokens_params p = params_default();
    struct userdb_record alice, alice_gen2;
    char *bad, good_pwb[23];
    char jti[] = "AAAAAAAAAAAAAAAAAAAAAA";
    const char *std = "{\"alg\":\"HS256\",\"typ\":\"rt+jwt\"}";

    record_make(&alice, "alice", hash_a, 1, "ssh,sudo", false);
    record_make(&alice_gen2, "alice", hash_a, 2, "ssh,sudo", false);
    bad = forge_refresh(std, ISS, ISS, "alice", "1", NULL, NOW, NOW, jti);
    CHECK_HT(refresh_check(&p, bad, &alice, NULL, NULL, NOW, NULL), HT_OK,
             "the forging helper makes good tokens");
    free(bad);
    bad = forge_refresh(std, "evil", ISS, "alice", "1", NULL, NOW, NOW, jti);
    CHECK_HT(refresh_check(&p, bad, &alice, NULL, NULL, NOW, NULL), HELPERD_TOKENS_ERR_CLAIMS,
             "wrong iss refused");
    free(bad);
    bad = forge_refresh(std, ISS, "pam", "alice", "1", NULL, NOW, NOW, jti);
    CHECK_HT(refresh_check(&p, bad, &alice, NULL, NULL, NOW, NULL), HELPERD_TOKENS_ERR_CLAIMS,
             "aud other than iss refused");
    free(bad);
    bad = forge_refresh(std, ISS, ISS, "Alice", "1", NULL, NOW, NOW, jti);
    CHECK_HT(refresh_check(&p, bad, &alice, NULL, NULL, NOW, NULL), HELPERD_TOKENS_ERR_CLAIMS,
             "sub not a user name refused");
    free(bad);
    static const char *const bad_gens[] = {"-1", "1.0", "\"1\"", "1e0", "null", "[1]"};
    for (size_t i = 0; i < sizeof(bad_gens) / sizeof(bad_gens[0]); i++) {
        bad = forge_refresh(std, ISS, ISS, "alice", bad_gens[i], NULL, NOW, NOW, jti);
        CHECK_HT(refresh_check(&p, bad, &alice, NULL, NULL, NOW, NULL), HELPERD_TOKENS_ERR_CLAIMS,
                 "gen of the wrong type refused");
        free(bad);
    }
    bad = forge_refresh(std, ISS, ISS, "alice", "1", "AAAA", NOW, NOW, jti);
    CHECK_HT(refresh_check(&p, bad, &alice, NULL, NULL, NOW, NULL), HELPERD_TOKENS_ERR_CLAIMS,
             "short pwb refused");
    free(bad);
    pwb_b64_of("alice", 1, hash_a, good_pwb);
    good_pwb[0] = good_pwb[0] == 'A' ? 'B' : 'A';
    bad = forge_refresh(std, ISS, ISS, "alice", "1", good_pwb, NOW, NOW, jti);
    CHECK_HT(refresh_check(&p, bad, &alice, NULL, NULL, NOW, NULL), HELPERD_TOKENS_ERR_STALE,
             "pwb off by one character refused");
    free(bad);
    /* gen is checked on its own, not only through pwb: a token claiming gen 1
     * with the pwb of gen 2 fails against a record of gen 2. */
    pwb_b64_of("alice", 2, hash_a, good_pwb);
    bad = forge_refresh(std, ISS, ISS, "alice", "2", good_pwb, NOW, NOW, jti);
    CHECK_HT(refresh_check(&p, bad, &alice_gen2, NULL, NULL, NOW, NULL), HT_OK,
             "gen 2 with the pwb of gen 2: accepted");
    free(bad);
    bad = forge_refresh(std, ISS, ISS, "alice", "1", good_pwb, NOW, NOW, jti);
    CHECK_HT(refresh_check(&p, bad, &alice_gen2, NULL, NULL, NOW, NULL), HELPERD_TOKENS_ERR_STALE,
             "gen 1 with the pwb of gen 2: refused");
    free(bad);
    bad = forge_refresh(std, ISS, ISS, "alice", "1", NULL, NOW, NOW + 1, jti);
    CHECK_HT(refresh_check(&p, bad, &alice, NULL, NULL, NOW, NULL), HELPERD_TOKENS_ERR_CLAIMS,
             "auth_time after iat refused");
    free(bad);
    bad = forge_refresh(std, ISS, ISS, "alice", "1", NULL, NOW + 61, NOW, jti);
    CHECK_HT(refresh_check(&p, bad, &alice, NULL, NULL, NOW, NULL), HELPERD_TOKENS_ERR_CLAIMS,
             "iat over a minute ahead refused");
    free(bad);
    bad = forge_refresh(std, ISS, ISS, "alice", "1", NULL, NOW + 60, NOW, jti);
    CHECK_HT(refresh_check(&p, bad, &alice, NULL, NULL, NOW, NULL), HT_OK,
             "iat a minute ahead accepted");
    free(bad);
    bad = forge_refresh(std, ISS, ISS, "alice", "1", NULL, NOW, NOW, "short");
    CHECK_HT(refresh_check(&p, bad, &alice, NULL, NULL, NOW, NULL), HELPERD_TOKENS_ERR_CLAIMS,
             "jti not ours refused");
    free(bad);
    /* The largest generation round-trips. */
    {
        struct userdb_record big;
        struct helperd_tokens_issued t;
        record_make(&big, "alice", hash_a, UINT64_MAX, "ssh", false);
        CHECK_HT(login_refresh(&p, &big, NULL, NULL, NOW, &t), HT_OK, "gen UINT64_MAX issued");
        CHECK_HT(t.token ? refresh_check(&p, t.token, &big, NULL, NULL, NOW, NULL) : HT_OK, HT_OK,
                 "gen UINT64_MAX accepted");
        big.gen = UINT64_MAX - 1;
        CHECK_HT(t.token ? refresh_check(&p, t.token, &big, NULL, NULL, NOW, NULL) : HT_OK,
                 HELPERD_TOKENS_ERR_STALE, "gen UINT64_MAX - 1 refused");
        helperd_tokens_issued_clear(&t);
        record_free(&big);
    }

    record_free(&alice);
    record_free(&alice_gen2);
}

static void
test_refresh_expiry(void)
{
    struct helperd_tokens_params p = params_default();
    struct userdb_record alice;
    struct helperd_tokens_issued rt;

    record_make(&alice, "alice", hash_a, 1, "ssh,sudo", false);
    if (login_refresh(&p, &alice, NULL, NULL, NOW, &rt) != HT_OK)
        exit(1);
    CHECK_HT(refresh_check(&p, rt.token, &alice, NULL, NULL, NOW + 2592000 - 1, NULL), HT_OK,
             "a second before exp: accepted");
    CHECK_HT(refresh_check(&p, rt.token, &alice, NULL, NULL, NOW + 2592000, NULL),
             HELPERD_TOKENS_ERR_EXPIRED, "at exp: expired");
    p.refresh_ttl = 86400;
    CHECK_HT(refresh_check(&p, rt.token, &alice, NULL, NULL, NOW, NULL), HELPERD_TOKENS_ERR_EXPIRED,
             "refresh_ttl lowered below its life: refused");
    p = params_default();
    p.issuer = "jwt-helper@elsewhere";
    CHECK_HT(refresh_check(&p, rt.token, &alice, NULL, NULL, NOW, NULL), HELPERD_TOKENS_ERR_CLAIMS,
             "another issuer's (same secret) refused");
    helperd_tokens_issued_clear(&rt);
    record_free(&alice);
}

static void
test_refresh_scope(void)
{
    struct helperd_tokens_params p = params_default();
    struct userdb_record alice, alice_nosudo;
    struct helperd_tokens_issued rt, ssh_rt;
    struct helperd_tokens_grant g;

    record_make(&alice, "alice", hash_a, 1, "admin,ssh,sudo", false);
    record_make(&alice_nosudo, "alice", hash_a, 1, "admin,ssh", false);
    if (login_refresh(&p, &alice, "ssh sudo", NULL, NOW, &rt) != HT_OK ||
        login_refresh(&p, &alice, "ssh", NULL, NOW, &ssh_rt) != HT_OK)
        exit(1);
    CHECK_HT(refresh_check(&p, rt.token, &alice, NULL, "ssh", NOW, &g), HT_OK, "narrowing allowed");
    CHECK_STR(g.scope, "ssh", "narrowed scope");
    helperd_tokens_grant_clear(&g);
    CHECK_HT(refresh_check(&p, rt.token, &alice, NULL, "sudo ssh", NOW, &g), HT_OK,
             "the same scope requested");
    CHECK_STR(g.scope, "ssh sudo", "in the token's order");
    helperd_tokens_grant_clear(&g);
    CHECK_HT(refresh_check(&p, ssh_rt.token, &alice, NULL, "ssh sudo", NOW, &g),
             HELPERD_TOKENS_ERR_SCOPE, "widening refused (the record holds sudo)");
    CHECK(g.scope == NULL, "no grant on refusal");
    CHECK_HT(refresh_check(&p, rt.token, &alice, NULL, "admin", NOW, NULL),
             HELPERD_TOKENS_ERR_SCOPE, "a word the token lacks refused");
    CHECK_HT(refresh_check(&p, rt.token, &alice, NULL, "ssh,sudo", NOW, NULL),
             HELPERD_TOKENS_ERR_SCOPE_SYNTAX, "malformed narrowing refused");
    CHECK_HT(refresh_check(&p, rt.token, &alice_nosudo, NULL, NULL, NOW, &g), HT_OK,
             "record lost sudo: refresh still works");
    CHECK_STR(g.scope, "ssh", "without the scope the record lost");
    helperd_tokens_grant_clear(&g);
    CHECK_HT(refresh_check(&p, rt.token, &alice_nosudo, NULL, "sudo", NOW, NULL),
             HELPERD_TOKENS_ERR_SCOPE, "record lost sudo: asking for it refused");
    helperd_tokens_issued_clear(&rt);
    helperd_tokens_issued_clear(&ssh_rt);
    record_free(&alice);
    record_free(&alice_nosudo);
}

static void
test_revocation(void)
{
    struct helperd_tokens_params p = params_default();
    struct userdb_record alice, bob;
    struct helperd_tokens_issued rt, rt_b, at;
    struct jwt_revocation *at_now = revocation_of("alice:1800000000\n");
    struct jwt_revocation *before = revocation_of("alice:1799999999\n");
    struct jwt_revocation *later = revocation_of("alice:1800000005\n");

    record_make(&alice, "alice", hash_a, 1, "ssh,sudo", false);
    record_make(&bob, "bob", hash_b, 1, "ssh", false);
    if (login_refresh(&p, &alice, NULL, NULL, NOW, &rt) != HT_OK ||
        login_refresh(&p, &bob, NULL, NULL, NOW, &rt_b) != HT_OK)
        exit(1);
    CHECK_HT(refresh_check(&p, rt.token, &alice, at_now, NULL, NOW + 10, NULL),
             HELPERD_TOKENS_ERR_REVOKED, "iat at the listed instant: refused");
    CHECK_HT(refresh_check(&p, rt.token, &alice, later, NULL, NOW + 10, NULL),
             HELPERD_TOKENS_ERR_REVOKED, "iat before the listed instant: refused");
    CHECK_HT(refresh_check(&p, rt.token, &alice, before, NULL, NOW + 10, NULL), HT_OK,
             "iat after the listed instant: accepted");
    CHECK_HT(refresh_check(&p, rt_b.token, &bob, at_now, NULL, NOW + 10, NULL), HT_OK,
             "another user's listing does not touch bob");

    CHECK_HT(login_access(&p, &alice, NULL, NULL, at_now, NOW, &at), HT_OK,
             "login in the revoke's second");
    CHECK_INT(at.iat, NOW + 1, "iat is the next second");
    CHECK_INT(at.exp, NOW + 1 + 600, "exp follows iat");
    CHECK_RESULT(at.token ? verify_access(at.token, "alice", "pam", NULL, NOW, -1)
                          : JWT_ERR_INTERNAL,
                 JWT_OK, "pam_jwt accepts it (leeway)");
    helperd_tokens_issued_clear(&at);
    CHECK_HT(login_access(&p, &alice, NULL, NULL, before, NOW, &at), HT_OK,
             "login after an older revoke");
    CHECK_INT(at.iat, NOW, "iat is now");
    helperd_tokens_issued_clear(&at);
    CHECK_HT(login_access(&p, &alice, NULL, NULL, later, NOW, &at), HELPERD_TOKENS_ERR_REVOKED,
             "listed instant in the future: no token");
    CHECK(at.token == NULL, "nothing issued");
    helperd_tokens_issued_clear(&rt);
    CHECK_HT(login_refresh(&p, &alice, NULL, at_now, NOW, &rt), HT_OK,
             "refresh token in the revoke's second");
    CHECK_INT(rt.iat, NOW + 1, "its iat is the next second");
    CHECK_HT(rt.token ? refresh_check(&p, rt.token, &alice, at_now, NULL, NOW + 1, NULL) : HT_OK,
             HT_OK, "and it survives the listing");
    CHECK_HT(login_refresh(&p, &alice, NULL, later, NOW, &at), HELPERD_TOKENS_ERR_REVOKED,
             "refresh token with a future instant: refused");

    helperd_tokens_issued_clear(&rt);
    helperd_tokens_issued_clear(&rt_b);
    jwt_revocation_free(at_now);
    jwt_revocation_free(before);
    jwt_revocation_free(later);
    record_free(&alice);
    record_free(&bob);
}

static void
test_result_strings(void)
{
    bool distinct = true;

    for (int i = 0; i < HELPERD_TOKENS_RESULT_COUNT; i++) {
        const char *a = helperd_tokens_result_str((helperd_tokens_result)i);
        if (strcmp(a, "unknown result") == 0)
            distinct = false;
        for (int j = 0; j < i; j++) {
            if (strcmp(a, helperd_tokens_result_str((helperd_tokens_result)j)) == 0)
                distinct = false;
        }
    }
    CHECK(distinct, "every result has its own reason");
    CHECK_STR(helperd_tokens_result_str(HELPERD_TOKENS_RESULT_COUNT), "unknown result",
              "out of range");
}

static void
cleanup_dir(void)
{
    static const char *const names[] = {"good",  "nonl",  "other", "short", "long", "pad",
                                        "crlf",  "twonl", "long2", "space", "std",  "noncanon",
                                        "canon", "gw",    "ow",    "ro",    "link", "big"};
    char path[128];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

int
main(void)
{
    setup();
    test_result_strings();
    test_secret_loader();
    test_derived_keys();
    test_grants();
    test_access_token();
    test_any_host();
    test_budget();
    test_refresh_token_shape();
    test_refresh_binding();
    test_refresh_tampering();
    test_refresh_forged_claims();
    test_refresh_expiry();
    test_refresh_scope();
    test_revocation();
    cleanup_dir();
    helperd_tokens_secret_free(secret);
    signer_free(signer);
    jwt_jwks_free(jwks);
    sodium_memzero(master, sizeof(master));
    return check_done();
}
