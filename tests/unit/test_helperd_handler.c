/* SPDX-License-Identifier: MIT */
/* Tests for jwt-helperd's serving side: state loading, the request handler
 * driven line by line (jobs run synchronously), the per-name delay, and the
 * files the daemon writes, all with real keys in a temp dir. */
#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "check.h"
#include "test_policy.h"
#include "helperd.h"
#include "jwt.h"
#include "proto.h"
#include "secret.h"
#include "signer.h"
#include "userdb.h"

#define ISS "jwt-helper@test"
#define PW_ALICE "alice-password"
#define PW_ALICE2 "alice-new-password"
#define PW_BOB "bob-password"
#define PW_CAROL "carol-password"
#define PW_DAVE "dave-password"
#define BAD_CREDS "invalid username or password"

static char dir[64];
static char path_conf[128], path_users[128], path_rev[128], path_jwks[128];
static struct helperd_state *st;
static struct helperd_now now;
static struct signer *signer;

/* ---- the report collector: what the daemon would log ---- */

static char logtext[1 << 18];
static size_t loglen;
static bool log_leaked; /* a password, hash or token reached a report */

static void
collect(void *ctx, const char *msg)
{
    static const char *const secrets[] = {
        PW_ALICE, PW_ALICE2, PW_BOB,      PW_CAROL, PW_DAVE,
        "wrong-", "guess",   "$argon2id", "eyJ" /* every token's first bytes */};
    size_t n = strlen(msg);

    (void)ctx;
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        if (strstr(msg, secrets[i]) != NULL)
            log_leaked = true;
    if (loglen + n + 2 > sizeof logtext)
        return;
    memcpy(logtext + loglen, msg, n);
    loglen += n;
    logtext[loglen++] = '\n';
    logtext[loglen] = '\0';
}

static void
log_reset(void)
{
    loglen = 0;
    logtext[0] = '\0';
}

/* ---- files ---- */

static void
die(const char *what)
{
    printf("Bail out! %s\n", what);
    exit(99);
}

static void
path_make(char *out, size_t size, const char *name)
{
    if ((size_t)snprintf(out, size, "%s/%s", dir, name) >= size)
        die("path too long");
}

static void
file_write(const char *path, const char *text, size_t len, mode_t mode)
{
    int fd;

    unlink(path);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) < 0 ||
        write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) != 0 || close(fd) != 0)
        die("cannot write a test file");
}

static char *
file_slurp(const char *path, size_t *len)
{
    char *text = NULL;

    if (jwt_file_read(path, 1 << 22, -1, &text, len) != JWT_OK)
        return NULL;
    return text;
}

/* {"keys":[public JWK of s]} */
static void
jwks_write(const struct signer *s, const char *path)
{
    struct jwt_jwk *pub = NULL;
    struct json_object *set = json_object_new_object(), *keys = json_object_new_array();
    const char *text;

    if (signer_public_jwk(s, &pub) != JWT_OK || set == NULL || keys == NULL)
        die("jwks");
    json_object_array_add(keys, jwt_jwk_to_json(pub));
    json_object_object_add(set, "keys", keys);
    text = json_object_to_json_string_ext(set, JSON_C_TO_STRING_PLAIN);
    file_write(path, text, strlen(text), 0644);
    json_object_put(set);
    jwt_jwk_free(pub);
}

static void
conf_write(const char *path, const char *jwks, const char *signing_key)
{
    char text[2048];
    int n = snprintf(text, sizeof text,
                     "issuer = " ISS "\n"
                     "audience = pam\n"
                     "audiences = host-a\n"
                     "access_ttl = 600\n"
                     "refresh_ttl = 86400\n"
                     "jwks = %s\n"
                     "signing_key = %s\n"
                     "refresh_key = %s/refresh.key\n"
                     "users = %s\n"
                     "revocation = %s\n"
                     "default_scope = ssh,sudo\n"
                     "login_delay = 1\n",
                     jwks, signing_key, dir, path_users, path_rev);

    file_write(path, text, (size_t)n, 0644);
}

static void
keys_make(void)
{
    /* A fixed refresh.key: 32 bytes ("pam_jwt test refresh key, one..!"). */
    static const char rk[] = "cGFtX2p3dCB0ZXN0IHJlZnJlc2gga2V5LCBvbmUuLiE\n";
    char sk_path[128], rk_path[128];
    char *jwk = NULL;

    if (signer_generate(JWT_ALG_EDDSA, 0, &signer) != JWT_OK ||
        signer_private_jwk_json(signer, &jwk) != JWT_OK)
        die("signer");
    path_make(sk_path, sizeof sk_path, "signing.jwk");
    file_write(sk_path, jwk, strlen(jwk), 0600);
    secret_free_str(jwk);
    path_make(rk_path, sizeof rk_path, "refresh.key");
    file_write(rk_path, rk, strlen(rk), 0600);
    jwks_write(signer, path_jwks);
}

/* ---- user records, written the way the daemon and the CLI write them ---- */

struct add_ctx {
    const char *name, *password, *scopes;
    bool locked;
};

static userdb_result
add_apply(struct userdb *db, void *ctx)
{
    const struct add_ctx *a = ctx;
    struct userdb_record rec;
    char hash[crypto_pwhash_STRBYTES];
    userdb_result r;

    memset(&rec, 0, sizeof rec);
    snprintf(rec.name, sizeof rec.name, "%s", a->name);
    /* The minimum limits keep the test fast (and valgrind bearable). */
    if (crypto_pwhash_str(hash, a->password, strlen(a->password), crypto_pwhash_OPSLIMIT_MIN,
                          crypto_pwhash_MEMLIMIT_MIN) != 0)
        return USERDB_ERR_NOMEM;
    rec.hash = hash;
    rec.locked = a->locked;
    rec.changed = now.unix_s;
    if ((r = userdb_scopes_parse(a->scopes, &rec.scopes, &rec.n_scopes)) != USERDB_OK)
        return r;
    r = userdb_add(db, &rec);
    userdb_scopes_free(rec.scopes, rec.n_scopes);
    sodium_memzero(hash, sizeof hash);
    return r;
}

static void
user_add(const char *name, const char *password, const char *scopes, bool locked)
{
    struct add_ctx a = {name, password, scopes, locked};

    if (userdb_update(path_users, -1, (uid_t)-1, (gid_t)-1, add_apply, &a, NULL) != USERDB_OK)
        die("user_add");
}

static uint64_t
gen_of(const char *name)
{
    struct userdb *db = NULL;
    const struct userdb_record *rec;
    uint64_t gen = UINT64_MAX;

    if (userdb_load(path_users, -1, &db) == USERDB_OK && (rec = userdb_find(db, name)) != NULL)
        gen = rec->gen;
    userdb_free(db);
    return gen;
}

/* ---- driving the handler ---- */

/* Answers line as peer uid; a job is run at once on this thread. */
static enum helperd_step
ask_as(uid_t uid, const char *line, struct helperd_reply *reply)
{
    struct helperd_peer peer = {uid, uid, 4242};
    struct helperd_job *job = NULL;
    enum helperd_step step;

    step = helperd_handle_line(st, &peer, line, strlen(line), &now, collect, NULL, reply, &job);
    if (step == HELPERD_STEP_JOB) {
        helperd_job_run(job);
        helperd_handle_finish(st, job, &now, collect, NULL, reply);
    }
    return step;
}

static enum helperd_step
ask(const char *line, struct helperd_reply *reply)
{
    return ask_as(1000, line, reply);
}

static const char *
fmt(const char *format, ...)
{
    static char buf[8][16384];
    static int next;
    char *b = buf[next++ % 8];
    va_list ap;

    va_start(ap, format);
    vsnprintf(b, sizeof buf[0], format, ap);
    va_end(ap);
    return b;
}

/* Decodes reply as an answer to op; false when it is not a valid line. */
static bool
answer(const struct helperd_reply *reply, enum proto_op op, struct proto_response *resp)
{
    memset(resp, 0, sizeof *resp);
    return reply->line != NULL &&
           proto_response_decode(reply->line, reply->len, op, resp) == PROTO_OK;
}

/* Checks reply is the failure e (and, when desc is not NULL, that description). */
static void
expect_error(const struct helperd_reply *reply, enum proto_error e, const char *desc,
             const char *what)
{
    struct proto_response resp;
    char label[256];

    snprintf(label, sizeof label, "%s: %s", what, proto_error_str(e));
    if (!answer(reply, PROTO_OP_JWKS, &resp)) {
        CHECK(0, label);
        printf("#   line: %.*s", (int)reply->len, reply->line != NULL ? reply->line : "(null)\n");
        return;
    }
    CHECK(!resp.ok && resp.error == e, label);
    if (resp.ok || resp.error != e)
        printf("#   line: %.*s", (int)reply->len, reply->line);
    if (desc != NULL)
        CHECK_STR(resp.error_description, desc, what);
    proto_response_clear(&resp);
}

/* Logs in; on success returns true with the tokens copied out (the caller
 * frees them). */
static bool
login(const char *user, const char *pw, const char *extra, char **access, char **refresh,
      char **scope)
{
    struct helperd_reply reply;
    struct proto_response resp;
    bool ok;

    ask(fmt("{\"op\":\"login\",\"username\":\"%s\",\"password\":\"%s\"%s}\n", user, pw,
            extra != NULL ? extra : ""),
        &reply);
    ok = answer(&reply, PROTO_OP_LOGIN, &resp) && resp.ok;
    if (!ok)
        printf("#   login %s: %.*s", user, (int)reply.len, reply.line ? reply.line : "(none)\n");
    if (ok && access != NULL)
        *access = strdup(resp.access_token);
    if (ok && refresh != NULL)
        *refresh = strdup(resp.refresh_token);
    if (ok && scope != NULL)
        *scope = strdup(resp.scope);
    proto_response_clear(&resp);
    helperd_reply_clear(&reply);
    return ok;
}

/* Refreshes; returns the wire reply for the caller to inspect and clear. */
static void
refresh(const char *rt, const char *extra, struct helperd_reply *reply)
{
    ask(fmt("{\"op\":\"refresh\",\"refresh_token\":\"%s\"%s}\n", rt, extra != NULL ? extra : ""),
        reply);
}

static bool
refresh_ok(const char *rt, const char *extra, char **scope)
{
    struct helperd_reply reply;
    struct proto_response resp;
    bool ok;

    refresh(rt, extra, &reply);
    ok = answer(&reply, PROTO_OP_REFRESH, &resp) && resp.ok;
    if (ok && scope != NULL)
        *scope = strdup(resp.scope);
    proto_response_clear(&resp);
    helperd_reply_clear(&reply);
    return ok;
}

/* ---- looking into tokens ---- */

static jwt_result
verify_access(const char *token, const char *user, const char *aud, const char *scope,
              struct jwt_verified *v)
{
    static const char *const typs[] = {"at+jwt"};
    const char *issuers[] = {ISS}, *auds[] = {aud}, *scopes[] = {scope};
    struct jwt_jwks *keys = NULL;
    struct jwt_policy p;
    jwt_result r;

    if ((r = jwt_jwks_load(path_jwks, &keys)) != JWT_OK)
        return r;
    test_policy_defaults(&p);
    p.typs = typs;
    p.n_typs = 1;
    p.issuers = issuers;
    p.n_issuers = 1;
    p.audiences = auds;
    p.n_audiences = 1;
    p.user = user;
    p.scopes = scopes;
    p.n_scopes = 1;
    p.max_auth_age = 300;
    p.now = now.unix_s;
    r = jwt_verify(token, strlen(token), keys, &p, v);
    jwt_jwks_free(keys);
    return r;
}

/* The header (header true) or payload of a token, unverified. */
static struct json_object *
part_of(const char *token, bool header)
{
    struct jwt_jws jws;
    struct json_object *out = NULL;

    if (jwt_jws_parse(token, strlen(token), JWT_HARD_MAX_TOKEN_LEN,
                      JWT_ALGS_ACCESS | JWT_ALG_BIT(JWT_ALG_HS256), NULL, 0, &jws) != JWT_OK)
        return NULL;
    if (header)
        out = json_object_get(jws.header);
    else if (jwt_jws_payload(&jws, &out) != JWT_OK)
        out = NULL;
    jwt_jws_clear(&jws);
    return out;
}

static const char *
str_of(struct json_object *o, const char *name)
{
    const char *s = NULL;

    return o != NULL && jwt_json_get_string(o, name, &s) > 0 ? s : NULL;
}

/* ---- the tests ---- */

static void
test_state_load(void)
{
    CHECK_INT(helperd_state_load(path_conf, true, "/tmp/override.sock", collect, NULL, &st), 0,
              "state loads");
    if (st == NULL)
        die("no state");
    CHECK_STR(st->conf->socket, "/tmp/override.sock", "--socket replaces the configured socket");
    CHECK(strncmp(st->dummy_hash, "$argon2id$v=19$m=65536,t=2,p=1$", 31) == 0,
          "dummy hash has the INTERACTIVE limits new passwords get");
    CHECK(st->jwks_keys != NULL && json_object_array_length(st->jwks_keys) == 1, "jwks keys kept");
    CHECK_STR(st->params.issuer, ISS, "params: issuer");
    CHECK_INT(st->params.n_audiences, 2, "params: audience plus the allow-list");
    CHECK_INT(st->params.n_default_scopes, 2, "params: default scopes");
    CHECK(st->db == NULL && st->rev == NULL, "records and list are read lazily");
    CHECK_INT(st->counters[HELPERD_C_REQUESTS], 0, "counters start at 0");
    /* The dummy stays INTERACTIVE in the daemon; here it is swapped for one
     * with the minimum limits so the unknown-user cases stay fast under
     * valgrind. The job checks whichever hash the state holds. */
    {
        char hash[crypto_pwhash_STRBYTES];
        if (crypto_pwhash_str(hash, "dummy", 5, crypto_pwhash_OPSLIMIT_MIN,
                              crypto_pwhash_MEMLIMIT_MIN) != 0)
            die("dummy");
        secret_free_str(st->dummy_hash);
        st->dummy_hash = strdup(hash);
    }
}

static void
test_state_refusals(void)
{
    struct helperd_state *bad = NULL;
    char conf2[128], missing[128], jwks2[128], sk[128];
    struct signer *other = NULL;

    path_make(conf2, sizeof conf2, "bad.conf");
    path_make(missing, sizeof missing, "missing.jwk");
    path_make(sk, sizeof sk, "signing.jwk");
    path_make(jwks2, sizeof jwks2, "jwks-other.json");

    conf_write(conf2, path_jwks, missing);
    log_reset();
    CHECK_INT(helperd_state_load(conf2, true, NULL, collect, NULL, &bad), -1,
              "missing signing key: refused");
    CHECK(bad == NULL, "missing signing key: no state");
    CHECK(strstr(logtext, fmt("signing_key %s: cannot open file", missing)) != NULL,
          "missing signing key: reported with its path");

    if (signer_generate(JWT_ALG_EDDSA, 0, &other) != JWT_OK)
        die("signer");
    jwks_write(other, jwks2);
    conf_write(conf2, jwks2, sk);
    log_reset();
    CHECK_INT(helperd_state_load(conf2, true, NULL, collect, NULL, &bad), -1,
              "jwks without the signer's kid: refused");
    CHECK(strstr(logtext, fmt("jwks %s: no usable key with the signing key's kid %s", jwks2,
                              signer_kid(signer))) != NULL,
          "jwks without the signer's kid: reported with path and kid");

    {
        /* The signer's kid on another key: as unverifiable as no key. */
        struct jwt_jwk *pub = NULL;
        struct json_object *set = json_object_new_object(), *keys = json_object_new_array();
        struct json_object *key;
        const char *text;
        if (signer_public_jwk(other, &pub) != JWT_OK || (key = jwt_jwk_to_json(pub)) == NULL)
            die("jwk");
        json_object_object_add(key, "kid", json_object_new_string(signer_kid(signer)));
        json_object_array_add(keys, key);
        json_object_object_add(set, "keys", keys);
        text = json_object_to_json_string_ext(set, JSON_C_TO_STRING_PLAIN);
        file_write(jwks2, text, strlen(text), 0644);
        json_object_put(set);
        jwt_jwk_free(pub);
    }
    log_reset();
    CHECK_INT(helperd_state_load(conf2, true, NULL, collect, NULL, &bad), -1,
              "jwks with the signer's kid on another key: refused");
    CHECK(strstr(logtext, "is not the signing key's public half") != NULL,
          "jwks with the signer's kid on another key: reported");

    file_write(jwks2, "{\"keys\":[]", 10, 0644);
    log_reset();
    CHECK_INT(helperd_state_load(conf2, true, NULL, collect, NULL, &bad), -1,
              "truncated jwks: refused");
    CHECK(strstr(logtext, fmt("jwks %s: malformed JSON", jwks2)) != NULL,
          "truncated jwks: reported");

    log_reset();
    CHECK_INT(helperd_state_load(missing, true, NULL, collect, NULL, &bad), -1,
              "missing config with must_exist: refused");
    CHECK(strstr(logtext, missing) != NULL, "missing config: reported with its path");
    signer_free(other);
}

static void
test_oom_line(void)
{
    struct proto_response resp;
    char *line = NULL;
    size_t len = 0;

    /* The handler's fixed line for out of memory is this text (see
     * helperd_handler.c): it must be what the encoder would have made. */
    memset(&resp, 0, sizeof resp);
    CHECK(proto_response_set_error(&resp, PROTO_E_SERVER_ERROR, "out of memory") == PROTO_OK &&
              proto_response_encode(&resp, PROTO_OP_LOGIN, &line, &len) == PROTO_OK,
          "server_error encodes");
    CHECK_STR(line,
              "{\"ok\":false,\"error\":\"server_error\",\"error_description\":\"out of memory\"}\n",
              "fixed out-of-memory line matches the encoder");
    secret_free(line, len);
    proto_response_clear(&resp);
}

static void
test_jwks_and_status(void)
{
    struct helperd_reply reply;
    struct proto_response resp;
    struct json_object *key;
    bool found = false;

    CHECK_INT(ask("{\"op\":\"jwks\"}\n", &reply), HELPERD_STEP_REPLY, "jwks: answered at once");
    CHECK(answer(&reply, PROTO_OP_JWKS, &resp) && resp.ok, "jwks: ok");
    if (resp.keys != NULL && json_object_array_length(resp.keys) == 1) {
        key = json_object_array_get_idx(resp.keys, 0);
        found = str_of(key, "kid") != NULL && strcmp(str_of(key, "kid"), signer_kid(signer)) == 0;
        CHECK(str_of(key, "d") == NULL, "jwks: no private member");
    } else {
        CHECK(0, "jwks: one key");
    }
    CHECK(found, "jwks: the signing key's kid");
    proto_response_clear(&resp);
    helperd_reply_clear(&reply);

    ask_as(1000, "{\"op\":\"status\"}\n", &reply);
    expect_error(&reply, PROTO_E_INVALID_REQUEST, "status is for root only", "status as uid 1000");
    helperd_reply_clear(&reply);

    ask_as(0, "{\"op\":\"status\"}\n", &reply);
    CHECK(answer(&reply, PROTO_OP_STATUS, &resp) && resp.ok, "status as root: ok");
    CHECK_STR(resp.version, PACKAGE_VERSION, "status: version");
    CHECK(resp.uptime >= 0, "status: uptime");
    CHECK_INT(resp.n_counters, HELPERD_C_COUNT, "status: every counter");
    CHECK_STR(resp.counters[0].name, "requests", "status: counter wire name");
    CHECK_INT(resp.counters[0].value, 3, "status: requests counted, this one included");
    CHECK_STR(resp.counters[HELPERD_C_INVALID].name, "invalid_request", "status: invalid name");
    CHECK_INT(resp.counters[HELPERD_C_INVALID].value, 1, "status: the refused status counted");
    proto_response_clear(&resp);
    helperd_reply_clear(&reply);
}

static void
test_login_ok(void)
{
    char *at = NULL, *rt = NULL, *scope = NULL;
    struct jwt_verified v;
    struct json_object *h, *p, *amr;
    jwt_result r;

    CHECK(login("alice", PW_ALICE, NULL, &at, &rt, &scope), "login alice: ok");
    if (at == NULL)
        return;
    CHECK_STR(scope, "ssh sudo", "login: default scope the record holds");
    r = verify_access(at, "alice", "pam", "sudo", &v);
    CHECK_RESULT(r, JWT_OK, "login: access token verifies against jwks.json");
    CHECK(v.has_auth_time && v.auth_time == now.unix_s, "login: auth_time is the login");
    CHECK(v.iat == now.unix_s && v.exp == now.unix_s + 600, "login: iat and exp");
    jwt_verified_clear(&v);
    h = part_of(at, true);
    p = part_of(at, false);
    CHECK_STR(str_of(h, "typ"), "at+jwt", "login: typ at+jwt");
    CHECK(p != NULL && json_object_object_get_ex(p, "amr", &amr) &&
              json_object_get_type(amr) == json_type_array && json_object_array_length(amr) == 1 &&
              strcmp(json_object_get_string(json_object_array_get_idx(amr, 0)), "pwd") == 0,
          "login: amr [\"pwd\"]");
    CHECK(strstr(logtext, fmt("access jti %s", str_of(p, "jti"))) != NULL,
          "login: log names the access token's jti");
    json_object_put(h);
    json_object_put(p);
    CHECK(refresh_ok(rt, NULL, NULL), "login: the refresh token refreshes");
    CHECK_INT(st->counters[HELPERD_C_LOGIN_OK], 1, "login_ok counted");
    secret_free_str(at);
    secret_free_str(rt);
    free(scope);

    /* scope and audience requests */
    CHECK(login("alice", PW_ALICE, ",\"scope\":\"ssh\"", NULL, NULL, &scope) &&
              strcmp(scope, "ssh") == 0,
          "login: requested scope granted");
    free(scope);
    scope = NULL;
    CHECK(login("alice", PW_ALICE, ",\"audience\":\"host-a\"", &at, NULL, NULL),
          "login: audience from the allow-list");
    if (at != NULL) {
        CHECK_RESULT(verify_access(at, "alice", "host-a", "ssh", &v), JWT_OK,
                     "login: token for host-a verifies there");
        jwt_verified_clear(&v);
        CHECK_RESULT(verify_access(at, "alice", "pam", "ssh", &v), JWT_ERR_AUDIENCE,
                     "login: token for host-a fails for pam");
        jwt_verified_clear(&v);
        secret_free_str(at);
    }
    {
        struct helperd_reply reply;
        ask(fmt("{\"op\":\"login\",\"username\":\"alice\",\"password\":\"%s\","
                "\"audience\":\"host-z\"}\n",
                PW_ALICE),
            &reply);
        expect_error(&reply, PROTO_E_INVALID_REQUEST, "audience not allowed",
                     "login: audience outside the allow-list");
        helperd_reply_clear(&reply);
        ask(fmt("{\"op\":\"login\",\"username\":\"bob\",\"password\":\"%s\","
                "\"scope\":\"ssh sudo\"}\n",
                PW_BOB),
            &reply);
        expect_error(&reply, PROTO_E_INVALID_REQUEST, "scope not granted",
                     "login: scope the record lacks");
        helperd_reply_clear(&reply);
    }
}

static void
test_refresh_scope_audience(void)
{
    char *rt = NULL, *scope = NULL;
    struct helperd_reply reply;

    if (!login("alice", PW_ALICE, NULL, NULL, &rt, NULL))
        return;
    CHECK(refresh_ok(rt, ",\"scope\":\"ssh\"", &scope) && strcmp(scope, "ssh") == 0,
          "refresh: narrowing scope");
    free(scope);
    refresh(rt, ",\"scope\":\"ssh sudo admin\"", &reply);
    expect_error(&reply, PROTO_E_INVALID_REQUEST, "scope not granted", "refresh: widening scope");
    helperd_reply_clear(&reply);
    CHECK(refresh_ok(rt, ",\"audience\":\"host-a\"", NULL), "refresh: audience from the list");
    refresh(rt, ",\"audience\":\"host-b\"", &reply);
    expect_error(&reply, PROTO_E_INVALID_REQUEST, "audience not allowed",
                 "refresh: audience outside the list");
    helperd_reply_clear(&reply);
    /* A flipped signature character: the token layer's own refusal. */
    rt[strlen(rt) - 2] = rt[strlen(rt) - 2] == 'A' ? 'B' : 'A';
    refresh(rt, NULL, &reply);
    expect_error(&reply, PROTO_E_INVALID_GRANT, "bad signature", "refresh: tampered token");
    helperd_reply_clear(&reply);
    secret_free_str(rt);
}

/* Wrong password, unknown user and locked user: byte-identical lines,
 * delayed, then rate limited; the delay doubles; a success resets it. */
static void
test_failures_identical(void)
{
    struct helperd_reply r1, r2, r3, r4;
    int64_t t0 = now.mono_ms;

    log_reset();
    CHECK_INT(
        ask(fmt("{\"op\":\"login\",\"username\":\"alice\",\"password\":\"wrong-one\"}\n"), &r1),
        HELPERD_STEP_JOB, "wrong password: hashed on a job");
    CHECK_INT(
        ask(fmt("{\"op\":\"login\",\"username\":\"mallory\",\"password\":\"wrong-one\"}\n"), &r2),
        HELPERD_STEP_JOB, "unknown user: hashed on a job too");
    CHECK_INT(
        ask(fmt("{\"op\":\"login\",\"username\":\"carol\",\"password\":\"%s\"}\n", PW_CAROL), &r3),
        HELPERD_STEP_JOB, "locked user: hashed on a job too");
    expect_error(&r1, PROTO_E_INVALID_GRANT, BAD_CREDS, "wrong password");
    CHECK(r1.len == r2.len && memcmp(r1.line, r2.line, r1.len) == 0,
          "unknown user: line identical to wrong password");
    CHECK(r1.len == r3.len && memcmp(r1.line, r3.line, r1.len) == 0,
          "locked user: line identical to wrong password");
    CHECK_INT(r1.not_before_ms, t0 + 1000, "wrong password: answer waits login_delay");
    CHECK_INT(r2.not_before_ms, t0 + 1000, "unknown user: same delay");
    CHECK_INT(r3.not_before_ms, t0 + 1000, "locked user: same delay");
    CHECK(!r1.close_after && !r2.close_after && !r3.close_after,
          "failures keep the connection, all alike");
    CHECK(strstr(logtext, "login alice uid=1000: invalid_grant (wrong password)") != NULL,
          "log says wrong password");
    CHECK(strstr(logtext, "login mallory uid=1000: invalid_grant (unknown user)") != NULL,
          "log says unknown user");
    CHECK(strstr(logtext, "login carol uid=1000: invalid_grant (user locked)") != NULL,
          "log says locked");
    helperd_reply_clear(&r1);
    helperd_reply_clear(&r2);
    helperd_reply_clear(&r3);

    now.mono_ms += 500;
    CHECK_INT(
        ask(fmt("{\"op\":\"login\",\"username\":\"alice\",\"password\":\"%s\"}\n", PW_ALICE), &r4),
        HELPERD_STEP_REPLY, "inside the delay: answered at once, no hash");
    expect_error(&r4, PROTO_E_RATE_LIMITED, NULL, "inside the delay, even the right password");
    helperd_reply_clear(&r4);
    ask(fmt("{\"op\":\"passwd\",\"username\":\"mallory\",\"old_password\":\"x\","
            "\"new_password\":\"long-enough\"}\n"),
        &r4);
    expect_error(&r4, PROTO_E_RATE_LIMITED, NULL, "passwd shares login's delay");
    helperd_reply_clear(&r4);

    now.mono_ms = t0 + 1000;
    ask("{\"op\":\"login\",\"username\":\"alice\",\"password\":\"wrong-two\"}\n", &r1);
    CHECK_INT(r1.not_before_ms, now.mono_ms + 2000, "second failure: the delay doubles");
    helperd_reply_clear(&r1);
    now.mono_ms += 2000;
    CHECK(login("alice", PW_ALICE, NULL, NULL, NULL, NULL), "after the delay: login works");
    ask("{\"op\":\"login\",\"username\":\"alice\",\"password\":\"wrong-three\"}\n", &r1);
    CHECK_INT(r1.not_before_ms, now.mono_ms + 1000, "a success resets the delay");
    helperd_reply_clear(&r1);
    now.mono_ms += 1000;
    CHECK_INT(st->counters[HELPERD_C_RATE_LIMITED], 2, "rate_limited counted");
    CHECK(st->counters[HELPERD_C_LOGIN_FAILED] >= 5, "login_failed counted");
    now.mono_ms += HELPERD_DELAY_FORGET_MS; /* forget mallory and carol */
}

/* Guesses sent side by side: the second is refused while the first is
 * being hashed (its failure is not charged until then), and may go once
 * the first is answered. */
static void
test_concurrent_guesses(void)
{
    struct helperd_peer peer = {1000, 1000, 4242};
    struct helperd_job *job = NULL, *job2 = NULL;
    struct helperd_reply first = {0}, second = {0};
    const char *line = "{\"op\":\"login\",\"username\":\"dave\",\"password\":\"guess-1\"}\n";
    const char *line2 = "{\"op\":\"passwd\",\"username\":\"dave\",\"old_password\":"
                        "\"guess-2\",\"new_password\":\"new-password-9\"}\n";

    CHECK_INT(helperd_handle_line(st, &peer, line, strlen(line), &now, collect, NULL, &first, &job),
              HELPERD_STEP_JOB, "concurrent: the first guess is hashed");
    CHECK_INT(
        helperd_handle_line(st, &peer, line2, strlen(line2), &now, collect, NULL, &second, &job2),
        HELPERD_STEP_REPLY, "concurrent: a second guess for the name is answered at once");
    expect_error(&second, PROTO_E_RATE_LIMITED, NULL, "concurrent: ... as rate_limited");
    helperd_reply_clear(&second);
    if (job != NULL) {
        helperd_job_run(job);
        helperd_handle_finish(st, job, &now, collect, NULL, &first);
    }
    expect_error(&first, PROTO_E_INVALID_GRANT, NULL, "concurrent: the first guess failed");
    helperd_reply_clear(&first);
    now.mono_ms += HELPERD_DELAY_FORGET_MS; /* forget dave */
    CHECK_INT(helperd_handle_line(st, &peer, line, strlen(line), &now, collect, NULL, &first, &job),
              HELPERD_STEP_JOB, "concurrent: the claim ended with the answer");
    helperd_job_free(job); /* a job dropped unrun (shutdown) releases its claim too */
    job = NULL;
    CHECK_INT(helperd_handle_line(st, &peer, line, strlen(line), &now, collect, NULL, &first, &job),
              HELPERD_STEP_JOB, "concurrent: a dropped job released its claim");
    helperd_job_free(job);
}

static void
test_delay_table(void)
{
    struct helperd_delay *d = helperd_delay_new(1);
    int64_t t = 5000, until = 0;
    char name[32];
    bool ok = true;

    CHECK(d != NULL, "delay table made");
    if (d == NULL)
        return;
    CHECK_INT(helperd_delay_blocked_until(d, "x", HELPERD_DELAY_OTHERS, t), 0,
              "unknown name may go ahead");
    for (unsigned i = 1; i <= 8; i++)
        until = helperd_delay_fail(d, "x", HELPERD_DELAY_OTHERS, t);
    CHECK_INT(until, t + 60000, "delay capped at 60 s");
    CHECK_INT(helperd_delay_blocked_until(d, "x", HELPERD_DELAY_OTHERS, t + 59999), t + 60000,
              "blocked inside");
    CHECK_INT(helperd_delay_blocked_until(d, "x", HELPERD_DELAY_OTHERS, t + 60000), 0,
              "free at the instant");
    CHECK_INT(helperd_delay_fail(d, "x", HELPERD_DELAY_OTHERS, t + 60000), t + 120000,
              "failures remembered");
    CHECK_INT(helperd_delay_fail(d, "x", HELPERD_DELAY_OTHERS, t + 60000 + HELPERD_DELAY_FORGET_MS),
              t + 60000 + HELPERD_DELAY_FORGET_MS + 1000, "forgotten after FORGET_MS");
    /* Fill every slot with names inside their delays. */
    t = 10 * HELPERD_DELAY_FORGET_MS;
    for (unsigned i = 0; i < HELPERD_DELAY_SLOTS; i++) {
        snprintf(name, sizeof name, "n%u", i);
        if (helperd_delay_fail(d, name, HELPERD_DELAY_OTHERS, t) != t + 1000)
            ok = false;
    }
    CHECK(ok, "every slot takes a name");
    CHECK_INT(helperd_delay_blocked_until(d, "newcomer", HELPERD_DELAY_OTHERS, t + 1), t + 1000,
              "table full: a new name is refused until a slot frees");
    CHECK_INT(helperd_delay_fail(d, "newcomer", HELPERD_DELAY_OTHERS, t), t + 1000,
              "table full: a new name waits as for one failure");
    CHECK_INT(helperd_delay_blocked_until(d, "n0", HELPERD_DELAY_OTHERS, t + 1), t + 1000,
              "table full: the delayed names stay");
    CHECK_INT(helperd_delay_fail(d, "newcomer", HELPERD_DELAY_OTHERS, t + 1000), t + 2000,
              "after the oldest's delay ended it made room");
    CHECK_INT(helperd_delay_fail(d, "n0", HELPERD_DELAY_OTHERS, t + 1000), t + 2000,
              "the oldest quiet name went: its count starts again");
    /* The own side is another table: what other uids did never delays it. */
    CHECK_INT(helperd_delay_blocked_until(d, "n1", HELPERD_DELAY_OWN, t + 1), 0,
              "sides: n1's own uid is not delayed by other uids' failures");
    CHECK_INT(helperd_delay_blocked_until(d, "owner", HELPERD_DELAY_OWN, t + 1), 0,
              "sides: a full others table does not refuse a name's own uid");
    CHECK_INT(helperd_delay_fail(d, "owner", HELPERD_DELAY_OWN, t), t + 1000,
              "sides: the own side counts its own failures");
    CHECK_INT(helperd_delay_blocked_until(d, "owner", HELPERD_DELAY_OTHERS, t + 1), t + 1000,
              "sides: a new name on the full others side still waits");
    helperd_delay_success(d, "owner", HELPERD_DELAY_OTHERS);
    CHECK_INT(helperd_delay_blocked_until(d, "owner", HELPERD_DELAY_OWN, t + 1), t + 1000,
              "sides: a success on the others side forgives nothing of the own side");
    CHECK(helperd_delay_claim(d, "owner", HELPERD_DELAY_OTHERS) &&
              helperd_delay_claim(d, "owner", HELPERD_DELAY_OWN),
          "sides: each side claims a name on its own");
    CHECK(!helperd_delay_claim(d, "owner", HELPERD_DELAY_OWN), "sides: but once per side");
    helperd_delay_release(d, "owner", HELPERD_DELAY_OTHERS);
    helperd_delay_release(d, "owner", HELPERD_DELAY_OWN);
    CHECK_INT(helperd_delay_blocked_until(d, "x", (enum helperd_delay_side)7, t), t + 60000,
              "sides: an unknown side fails closed");
    helperd_delay_success(d, "newcomer", HELPERD_DELAY_OTHERS);
    CHECK_INT(helperd_delay_blocked_until(d, "newcomer", HELPERD_DELAY_OTHERS, t + 1001), 0,
              "success forgets");
    helperd_delay_set_base(d, 0);
    CHECK_INT(helperd_delay_fail(d, "zero", HELPERD_DELAY_OTHERS, t), t, "login_delay 0: no delay");
    CHECK(helperd_delay_claim(d, "busy", HELPERD_DELAY_OTHERS), "claim: a name is claimed");
    CHECK(!helperd_delay_claim(d, "busy", HELPERD_DELAY_OTHERS),
          "claim: a second claim of it is refused");
    CHECK(helperd_delay_claim(d, "other", HELPERD_DELAY_OTHERS),
          "claim: another name is not held up");
    helperd_delay_release(d, "busy", HELPERD_DELAY_OTHERS);
    CHECK(helperd_delay_claim(d, "busy", HELPERD_DELAY_OTHERS),
          "claim: released, it may be claimed again");
    helperd_delay_release(d, "busy", HELPERD_DELAY_OTHERS);
    helperd_delay_release(d, "other", HELPERD_DELAY_OTHERS);
    helperd_delay_release(d, "never-claimed", HELPERD_DELAY_OTHERS);
    helperd_delay_free(d);
    helperd_delay_free(NULL);
}

static void
test_malformed(void)
{
    static const struct {
        const char *line;
        enum proto_error e;
        const char *what;
    } cases[] = {
        {"not json\n", PROTO_E_INVALID_REQUEST, "not JSON"},
        {"[1,2]\n", PROTO_E_INVALID_REQUEST, "not an object"},
        {"{\"op\":\"su\"}\n", PROTO_E_UNSUPPORTED_OP, "unknown op"},
        {"{\"op\":\"login\",\"username\":\"alice\"}\n", PROTO_E_INVALID_REQUEST,
         "missing password"},
        {"{\"op\":\"login\",\"username\":\"alice\",\"password\":\"" PW_ALICE "\",\"x\":1}\n",
         PROTO_E_INVALID_REQUEST, "extra member"},
        {"{\"op\":\"login\",\"username\":\"Alice\",\"password\":\"" PW_ALICE "\"}\n",
         PROTO_E_INVALID_REQUEST, "bad user name"},
        {"{\"op\":\"login\",\"username\":\"alice\",\"password\":\"a\",\"password\":\"b\"}\n",
         PROTO_E_INVALID_REQUEST, "duplicate member"},
        {"{\"op\":\"logout\",\"refresh_token\":\"a.b.c\",\"all\":1}\n", PROTO_E_INVALID_REQUEST,
         "all not a boolean"},
        {"{\"op\":\"passwd\",\"username\":\"alice\",\"old_password\":\"" PW_ALICE
         "\",\"new_password\":\"short\"}\n",
         PROTO_E_INVALID_REQUEST, "new password too short"},
        {"{\"op\":\"login\",\"username\":\"alice\",\"password\":\"x\"}", PROTO_E_INVALID_REQUEST,
         "no newline"},
    };
    struct helperd_reply reply;
    char *before, *after, *big;
    size_t blen = 0, alen = 0, n;
    int64_t requests = st->counters[HELPERD_C_REQUESTS];
    bool all_at_once = true;

    before = file_slurp(path_users, &blen);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (ask(cases[i].line, &reply) != HELPERD_STEP_REPLY)
            all_at_once = false;
        expect_error(&reply, cases[i].e, NULL, cases[i].what);
        helperd_reply_clear(&reply);
    }
    ask("{\"op\":\"login\",\"username\":\"alice\"}\n", &reply);
    expect_error(&reply, PROTO_E_INVALID_REQUEST, "member 'password' is missing",
                 "decoder's detail, quotes made wire-safe");
    helperd_reply_clear(&reply);
    /* An oversize field: a password over PROTO_MAX_PASSWORD. */
    n = PROTO_MAX_PASSWORD + 10;
    {
        static const char head[] = "{\"op\":\"login\",\"username\":\"alice\",\"password\":\"";
        big = malloc(n + sizeof head + 4);
        memcpy(big, head, sizeof head - 1);
        memset(big + sizeof head - 1, 'p', n);
        memcpy(big + sizeof head - 1 + n, "\"}\n", 4);
    }
    ask(big, &reply);
    expect_error(&reply, PROTO_E_INVALID_REQUEST, "member 'password' is too long",
                 "oversize password");
    helperd_reply_clear(&reply);
    free(big);
    /* A whole line over PROTO_MAX_LINE: refused, and the connection closes. */
    big = malloc(PROTO_MAX_LINE + 16);
    memset(big, ' ', PROTO_MAX_LINE + 8);
    memcpy(big, "{\"op\":\"jwks\"}", 13);
    big[PROTO_MAX_LINE + 8] = '\n';
    big[PROTO_MAX_LINE + 9] = '\0';
    ask(big, &reply);
    expect_error(&reply, PROTO_E_INVALID_REQUEST, NULL, "line too long");
    CHECK(reply.close_after, "line too long: connection closed after the answer");
    helperd_reply_clear(&reply);
    free(big);

    CHECK(all_at_once, "malformed lines answered at once, never hashed");
    after = file_slurp(path_users, &alen);
    CHECK(before != NULL && after != NULL && blen == alen && memcmp(before, after, blen) == 0,
          "malformed lines changed no record");
    CHECK_INT(st->counters[HELPERD_C_REQUESTS] - requests, 13, "every line counted");
    secret_free(before, blen);
    secret_free(after, alen);
}

static void
test_plain_logout(void)
{
    char *rt = NULL;
    struct helperd_reply reply;
    struct proto_response resp;

    if (!login("bob", PW_BOB, NULL, NULL, &rt, NULL))
        return;
    ask(fmt("{\"op\":\"logout\",\"refresh_token\":\"%s\"}\n", rt), &reply);
    CHECK(answer(&reply, PROTO_OP_LOGOUT, &resp) && resp.ok, "plain logout: ok");
    proto_response_clear(&resp);
    helperd_reply_clear(&reply);
    CHECK(refresh_ok(rt, NULL, NULL), "plain logout: the token still refreshes");
    ask("{\"op\":\"logout\",\"refresh_token\":\"a.b.c\"}\n", &reply);
    expect_error(&reply, PROTO_E_INVALID_GRANT, NULL, "logout with a bogus token");
    helperd_reply_clear(&reply);
    secret_free_str(rt);
}

static void
test_logout_all(void)
{
    char *rt_bob = NULL, *rt_bob2 = NULL, *rt_alice = NULL, *list;
    struct helperd_reply reply;
    struct proto_response resp;
    uint64_t gen = gen_of("bob");
    size_t len = 0;

    if (!login("bob", PW_BOB, NULL, NULL, &rt_bob, NULL) ||
        !login("bob", PW_BOB, NULL, NULL, &rt_bob2, NULL) ||
        !login("alice", PW_ALICE, NULL, NULL, &rt_alice, NULL))
        return;
    ask(fmt("{\"op\":\"logout\",\"refresh_token\":\"%s\",\"all\":true}\n", rt_bob), &reply);
    CHECK(answer(&reply, PROTO_OP_LOGOUT, &resp) && resp.ok, "logout all: ok");
    proto_response_clear(&resp);
    helperd_reply_clear(&reply);
    CHECK_INT(gen_of("bob"), gen + 1, "logout all: gen bumped");
    refresh(rt_bob2, NULL, &reply);
    expect_error(&reply, PROTO_E_INVALID_GRANT, "superseded by a password change or revoke",
                 "logout all: bob's other refresh token is dead");
    helperd_reply_clear(&reply);
    ask(fmt("{\"op\":\"logout\",\"refresh_token\":\"%s\",\"all\":true}\n", rt_bob), &reply);
    expect_error(&reply, PROTO_E_INVALID_GRANT, NULL, "logout all: the same token again");
    helperd_reply_clear(&reply);
    CHECK(refresh_ok(rt_alice, NULL, NULL), "logout all: alice's token still works");
    list = file_slurp(path_rev, &len);
    CHECK(list != NULL && strstr(list, fmt("bob:%" PRId64 "\n", now.unix_s)) != NULL,
          "logout all: revocation list names bob");
    free(list);
    CHECK(login("bob", PW_BOB, NULL, NULL, NULL, NULL), "logout all: bob logs in again");
    secret_free_str(rt_bob);
    secret_free_str(rt_bob2);
    secret_free_str(rt_alice);
}

static void
test_files_on_disk(void)
{
    char *rt = NULL;
    struct helperd_reply reply;
    struct proto_response resp;

    user_add("dave", PW_DAVE, "ssh", false);
    CHECK(login("dave", PW_DAVE, NULL, NULL, &rt, NULL),
          "a user added on disk logs in without a reload");

    /* A broken revocation list: nothing is issued (fail closed). */
    file_write(path_rev, "this is not a list\n", 19, 0644);
    log_reset();
    CHECK_INT(
        ask(fmt("{\"op\":\"login\",\"username\":\"dave\",\"password\":\"%s\"}\n", PW_DAVE), &reply),
        HELPERD_STEP_REPLY, "broken list: refused before hashing");
    expect_error(&reply, PROTO_E_SERVER_ERROR, NULL, "broken list: login");
    helperd_reply_clear(&reply);
    CHECK(strstr(logtext, fmt("revocation %s: malformed revocation list", path_rev)) != NULL,
          "broken list: reported");
    if (rt != NULL) {
        refresh(rt, NULL, &reply);
        expect_error(&reply, PROTO_E_SERVER_ERROR, NULL, "broken list: refresh");
        helperd_reply_clear(&reply);
    }
    log_reset();
    ask("{\"op\":\"jwks\"}\n", &reply);
    helperd_reply_clear(&reply);
    ask(fmt("{\"op\":\"login\",\"username\":\"dave\",\"password\":\"%s\"}\n", PW_DAVE), &reply);
    helperd_reply_clear(&reply);
    CHECK(strstr(logtext, "malformed revocation list") == NULL, "broken list: reported once");
    unlink(path_rev);
    CHECK(login("dave", PW_DAVE, NULL, NULL, NULL, NULL), "list removed: login works again");

    /* An unreadable users file (a directory in its place). */
    {
        char *saved = NULL;
        size_t len = 0;
        saved = file_slurp(path_users, &len);
        unlink(path_users);
        mkdir(path_users, 0700);
        ask(fmt("{\"op\":\"login\",\"username\":\"dave\",\"password\":\"%s\"}\n", PW_DAVE), &reply);
        expect_error(&reply, PROTO_E_SERVER_ERROR, "user records unavailable",
                     "users file unreadable: login");
        helperd_reply_clear(&reply);
        rmdir(path_users);
        file_write(path_users, saved, len, 0600);
        secret_free(saved, len);
    }
    CHECK(login("dave", PW_DAVE, NULL, NULL, NULL, NULL), "users file back: login works");
    ask(fmt("{\"op\":\"logout\",\"refresh_token\":\"%s\"}\n", rt), &reply);
    CHECK(answer(&reply, PROTO_OP_LOGOUT, &resp) && resp.ok, "dave's token survived it all");
    proto_response_clear(&resp);
    helperd_reply_clear(&reply);
    secret_free_str(rt);
}

static void
test_passwd(void)
{
    char *rt_alice = NULL, *rt_bob = NULL, *list = NULL, *before, *after;
    struct helperd_reply reply, fail_login;
    struct proto_response resp;
    uint64_t gen = gen_of("alice");
    size_t len = 0, blen = 0, alen = 0;

    if (!login("alice", PW_ALICE, NULL, NULL, &rt_alice, NULL) ||
        !login("bob", PW_BOB, NULL, NULL, &rt_bob, NULL))
        return;
    /* A wrong old password: the same delayed answer as a failed login. */
    ask("{\"op\":\"login\",\"username\":\"dave\",\"password\":\"nope\"}\n", &fail_login);
    before = file_slurp(path_users, &blen);
    CHECK_INT(ask(fmt("{\"op\":\"passwd\",\"username\":\"bob\",\"old_password\":\"nope\","
                      "\"new_password\":\"%s\"}\n",
                      PW_ALICE2),
                  &reply),
              HELPERD_STEP_JOB, "passwd: hashed on a job");
    CHECK(reply.len == fail_login.len && memcmp(reply.line, fail_login.line, reply.len) == 0,
          "passwd, wrong old password: the login failure line");
    CHECK_INT(reply.not_before_ms, now.mono_ms + 1000, "passwd, wrong old password: delayed");
    after = file_slurp(path_users, &alen);
    CHECK(blen == alen && memcmp(before, after, blen) == 0, "passwd refused: no record changed");
    secret_free(before, blen);
    secret_free(after, alen);
    helperd_reply_clear(&reply);
    helperd_reply_clear(&fail_login);
    now.mono_ms += HELPERD_DELAY_FORGET_MS;

    CHECK_INT(ask(fmt("{\"op\":\"passwd\",\"username\":\"alice\",\"old_password\":\"%s\","
                      "\"new_password\":\"%s\"}\n",
                      PW_ALICE, PW_ALICE2),
                  &reply),
              HELPERD_STEP_JOB, "passwd alice: a job");
    CHECK(answer(&reply, PROTO_OP_PASSWD, &resp) && resp.ok, "passwd alice: ok");
    CHECK_INT(reply.not_before_ms, 0, "passwd ok: answered at once");
    proto_response_clear(&resp);
    helperd_reply_clear(&reply);
    CHECK_INT(gen_of("alice"), gen + 1, "passwd: gen bumped");
    refresh(rt_alice, NULL, &reply);
    expect_error(&reply, PROTO_E_INVALID_GRANT, "superseded by a password change or revoke",
                 "passwd: alice's old refresh token is stale");
    helperd_reply_clear(&reply);
    CHECK(refresh_ok(rt_bob, NULL, NULL), "passwd: bob's refresh token still works");
    list = file_slurp(path_rev, &len);
    CHECK(list != NULL && strstr(list, fmt("alice:%" PRId64 "\n", now.unix_s)) != NULL,
          "passwd: revocation list names alice");
    free(list);
    ask(fmt("{\"op\":\"login\",\"username\":\"alice\",\"password\":\"%s\"}\n", PW_ALICE), &reply);
    expect_error(&reply, PROTO_E_INVALID_GRANT, BAD_CREDS, "passwd: old password refused");
    helperd_reply_clear(&reply);
    now.mono_ms += 1000;
    CHECK(login("alice", PW_ALICE2, NULL, NULL, NULL, NULL), "passwd: new password logs in");
    CHECK_INT(st->counters[HELPERD_C_PASSWD_OK], 1, "passwd_ok counted");
    secret_free_str(rt_alice);
    secret_free_str(rt_bob);
}

static void
test_passwd_malformed_file(void)
{
    char *saved = NULL, *broken;
    size_t len = 0, bad_line = 0;
    struct helperd_reply reply;

    saved = file_slurp(path_users, &len);
    if (saved == NULL)
        return;
    for (size_t i = 0; i < len; i++)
        if (saved[i] == '\n')
            bad_line++;
    bad_line++; /* the line appended below */
    broken = malloc(len + 32);
    memcpy(broken, saved, len);
    memcpy(broken + len, "bad line\n", 10);
    file_write(path_users, broken, len + 9, 0600);
    ask(fmt("{\"op\":\"passwd\",\"username\":\"dave\",\"old_password\":\"%s\","
            "\"new_password\":\"%s\"}\n",
            PW_DAVE, "dave-new-password"),
        &reply);
    expect_error(&reply, PROTO_E_SERVER_ERROR, fmt("users file has a malformed line %zu", bad_line),
                 "passwd with a malformed users file");
    helperd_reply_clear(&reply);
    CHECK(login("dave", PW_DAVE, NULL, NULL, NULL, NULL),
          "malformed other line: dave's password unchanged and login works");
    file_write(path_users, saved, len, 0600);
    secret_free(saved, len);
    secret_free(broken, len + 9);
}

/* Changes the record of name while its job runs: set lock, or a new hash. */
struct change_ctx {
    const char *name;
    bool lock;
};

static userdb_result
change_apply(struct userdb *db, void *ctx)
{
    const struct change_ctx *cc = ctx;
    struct userdb_record *rec = userdb_find_mut(db, cc->name);
    char hash[crypto_pwhash_STRBYTES];
    userdb_result r;

    if (rec == NULL)
        return USERDB_ERR_NOT_FOUND;
    if (cc->lock) {
        rec->locked = !rec->locked;
        return USERDB_OK;
    }
    /* The same password, hashed again: a different string, so pwb changes. */
    if (crypto_pwhash_str(hash, PW_DAVE, strlen(PW_DAVE), crypto_pwhash_OPSLIMIT_MIN,
                          crypto_pwhash_MEMLIMIT_MIN) != 0)
        return USERDB_ERR_NOMEM;
    r = userdb_record_set_hash(rec, hash);
    sodium_memzero(hash, sizeof hash);
    return r;
}

static void
record_change(const char *name, bool lock)
{
    struct change_ctx cc = {name, lock};

    if (userdb_update(path_users, -1, (uid_t)-1, (gid_t)-1, change_apply, &cc, NULL) != USERDB_OK)
        die("record_change");
}

/* MUST 3 of the handler: what the job checked must still hold when it ends. */
static void
test_record_changed_during_job(void)
{
    struct helperd_peer peer = {1000, 1000, 4242};
    struct helperd_reply reply;
    struct helperd_job *job = NULL;
    char *before, *after;
    size_t blen = 0, alen = 0;
    const char *line;

    now.mono_ms += HELPERD_DELAY_FORGET_MS;
    line = fmt("{\"op\":\"login\",\"username\":\"dave\",\"password\":\"%s\"}\n", PW_DAVE);
    CHECK_INT(helperd_handle_line(st, &peer, line, strlen(line), &now, collect, NULL, &reply, &job),
              HELPERD_STEP_JOB, "login dave: a job");
    helperd_job_run(job);
    CHECK(job->password_ok, "login dave: the password matched");
    record_change("dave", true);
    helperd_handle_finish(st, job, &now, collect, NULL, &reply);
    expect_error(&reply, PROTO_E_INVALID_GRANT, BAD_CREDS, "locked while the job ran: refused");
    helperd_reply_clear(&reply);
    record_change("dave", true);
    now.mono_ms += HELPERD_DELAY_FORGET_MS;

    line = fmt("{\"op\":\"passwd\",\"username\":\"dave\",\"old_password\":\"%s\","
               "\"new_password\":\"dave-new-password\"}\n",
               PW_DAVE);
    CHECK_INT(helperd_handle_line(st, &peer, line, strlen(line), &now, collect, NULL, &reply, &job),
              HELPERD_STEP_JOB, "passwd dave: a job");
    helperd_job_run(job);
    CHECK(job->password_ok && job->new_hash != NULL, "passwd dave: old password matched");
    record_change("dave", false);
    before = file_slurp(path_users, &blen);
    helperd_handle_finish(st, job, &now, collect, NULL, &reply);
    after = file_slurp(path_users, &alen);
    expect_error(&reply, PROTO_E_INVALID_GRANT, BAD_CREDS, "hash changed while the job ran");
    CHECK(before != NULL && after != NULL && blen == alen && memcmp(before, after, blen) == 0,
          "hash changed while the job ran: nothing written");
    helperd_reply_clear(&reply);
    secret_free(before, blen);
    secret_free(after, alen);
    now.mono_ms += HELPERD_DELAY_FORGET_MS;
    CHECK(login("dave", PW_DAVE, NULL, NULL, NULL, NULL), "dave's password is unchanged");
}

static void
test_adopt(void)
{
    struct helperd_state *fresh = NULL;
    struct helperd_reply reply;
    int64_t requests;

    ask("{\"op\":\"login\",\"username\":\"eve\",\"password\":\"guess\"}\n", &reply);
    helperd_reply_clear(&reply);
    requests = st->counters[HELPERD_C_REQUESTS];
    CHECK_INT(helperd_state_reload(path_conf, true, NULL, st, collect, NULL, &fresh), 0,
              "reload: a fresh state loads");
    if (fresh == NULL)
        return;
    CHECK(fresh->dummy_hash != NULL && strcmp(fresh->dummy_hash, st->dummy_hash) == 0,
          "reload keeps the dummy hash (no argon2id run on the loop)");
    helperd_state_adopt(fresh, st);
    st = fresh;
    CHECK_INT(st->counters[HELPERD_C_REQUESTS], requests, "reload keeps the counters");
    CHECK(st->db != NULL, "reload keeps the records read (same path)");
    ask("{\"op\":\"login\",\"username\":\"eve\",\"password\":\"guess\"}\n", &reply);
    expect_error(&reply, PROTO_E_RATE_LIMITED, NULL, "reload keeps the delay table");
    helperd_reply_clear(&reply);
}

static void
test_no_secret_logged(void)
{
    CHECK(loglen > 0, "the handler logged its decisions");
    CHECK(!log_leaked, "no password, hash or token in any report");
}

static void
cleanup(void)
{
    static const char *const names[] = {
        "signing.jwk", "refresh.key", "jwks.json",  "jwks-other.json", "helperd.conf",
        "bad.conf",    "users",       "users.lock", "revoked",         "revoked.lock"};
    char p[128];

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(path_users); /* in case a test died while it was a directory */
    rmdir(dir);
}

int
main(void)
{
    if (sodium_init() < 0)
        die("sodium_init");
    snprintf(dir, sizeof dir, "/tmp/test_helperd_handler.XXXXXX");
    if (mkdtemp(dir) == NULL)
        die("mkdtemp");
    atexit(cleanup); /* also after a bail out */
    path_make(path_conf, sizeof path_conf, "helperd.conf");
    path_make(path_users, sizeof path_users, "users");
    path_make(path_rev, sizeof path_rev, "revoked");
    path_make(path_jwks, sizeof path_jwks, "jwks.json");
    now.unix_s = (int64_t)time(NULL);
    now.mono_ms = 1000000;
    keys_make();
    conf_write(path_conf, path_jwks, fmt("%s/signing.jwk", dir));
    user_add("alice", PW_ALICE, "ssh,sudo", false);
    user_add("bob", PW_BOB, "ssh", false);
    user_add("carol", PW_CAROL, "ssh", true);

    test_oom_line();
    test_delay_table();
    test_state_refusals();
    test_state_load();
    test_jwks_and_status();
    test_login_ok();
    test_refresh_scope_audience();
    test_failures_identical();
    test_concurrent_guesses();
    test_malformed();
    test_plain_logout();
    test_logout_all();
    test_files_on_disk();
    test_passwd_malformed_file();
    test_passwd();
    test_record_changed_during_job();
    test_adopt();
    test_no_secret_logged();

    helperd_state_free(st);
    signer_free(signer);
    return check_done();
}
