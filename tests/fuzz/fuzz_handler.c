/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: hostile bytes as a connection's request lines, served
 * by jwt-helperd's own handler (helperd_handle_line, the password job run
 * in line, helperd_handle_finish) from a real state: keys made at start in
 * a temp dir, a users file, a revocation list, a config. The first byte
 * picks the peer (root, the fuzzer's own uid, another uid); the rest is
 * split at each "\n" as the loop frames it (a last piece without one is
 * never served). Checked for every line: one answer line that decodes as a
 * response to its op; a line that does not decode is refused; a login or
 * passwd is granted only with the user's password; no password, hash,
 * refresh key or token reaches an answer or a log line unless the request
 * itself carried it. Files the handler wrote are put back after each input
 * and the monotonic clock moves past every delay, so inputs do not leak
 * into each other. Set PAM_JWT_FUZZ_SHOW=1 to print each answer (how the
 * seeds that hold tokens were made). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "fuzz_support.h"
#include "helperd.h"
#include "jwt.h"
#include "proto.h"
#include "secret.h"
#include "signer.h"
#include "userdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The clock tokens are issued and checked at: fixed, so refresh tokens in
 * the seed corpus stay valid (refresh_ttl is a day). */
#define FUZZ_NOW 1800000000
/* Spaces and capitals: no password can pass for a user name in a log line. */
#define PW_ALICE "Fuzz Alice Pass 1!"
#define PW_CAROL "Fuzz Carol Pass 2!"
#define PW_BOB "Fuzz Bob Pass 3!"
/* argon2id at the minimum limits (a fast login), fixed so that the token
 * binding to the password hash, and with it the seeds, survive restarts. */
#define HASH_ALICE                                                                                 \
    "$argon2id$v=19$m=8,t=1,p=1$fTw3oPe7Es4styccluxPAQ$"                                           \
    "kBcb72Mm4aBOpyetkdpBack2pycTXG03fSyWBgX0g3Q"
#define HASH_CAROL                                                                                 \
    "$argon2id$v=19$m=8,t=1,p=1$rTwYyQFqVPnQDN7ZlGCEHA$JPJbWl0Jozvyf4wxzCta5tYJmLNMVgx0mb/"        \
    "vsfGPj04"
#define HASH_BOB                                                                                   \
    "$argon2id$v=19$m=8,t=1,p=1$gLNKeMvLqzJoq6+IQy0wBg$P/"                                         \
    "o92RAF1H5DU1kCdYWQ2C+f1KqSC6nvkVHbqOuB+R4"
/* 32 bytes ("pam_jwt fuzz refresh key, fixed!"), base64url. */
#define REFRESH_KEY "cGFtX2p3dCBmdXp6IHJlZnJlc2gga2V5LCBmaXhlZCE"
#define REVOKED "bob:1700000000\n"

static const char *const secrets[] = {PW_ALICE,   PW_CAROL, PW_BOB,      HASH_ALICE,
                                      HASH_CAROL, HASH_BOB, REFRESH_KEY, "eyJ"};

static struct helperd_state *st;
static struct helperd_now now = {FUZZ_NOW, 0};
static char *users_text; /* the users file as written at start */
static size_t users_len;
static bool show;

/* ---- what the daemon would log: kept per line, checked for secrets ---- */

static char logtext[1 << 16];
static size_t loglen;

static void
collect(void *ctx, const char *msg)
{
    size_t n = strlen(msg);

    (void)ctx;
    if (loglen + n + 2 > sizeof logtext)
        n = sizeof logtext - loglen - 2; /* keep the start: a secret there still shows */
    memcpy(logtext + loglen, msg, n);
    loglen += n;
    logtext[loglen++] = '\n';
    logtext[loglen] = '\0';
}

/* ---- the state, made once ---- */

static void
keys_write(void)
{
    struct signer *signer = NULL;
    struct jwt_jwk *pub = NULL;
    struct json_object *set = json_object_new_object(), *keys = json_object_new_array();
    char *jwk = NULL;
    const char *text;

    if (signer_generate(JWT_ALG_EDDSA, 0, &signer) != JWT_OK ||
        signer_private_jwk_json(signer, &jwk) != JWT_OK ||
        signer_public_jwk(signer, &pub) != JWT_OK || set == NULL || keys == NULL)
        abort();
    fuzz_file_put("signing.jwk", jwk, strlen(jwk), 0600);
    json_object_array_add(keys, jwt_jwk_to_json(pub));
    json_object_object_add(set, "keys", keys);
    text = json_object_to_json_string_ext(set, JSON_C_TO_STRING_PLAIN);
    fuzz_file_put("jwks.json", text, strlen(text), 0644);
    fuzz_file_put("refresh.key", REFRESH_KEY "\n", strlen(REFRESH_KEY) + 1, 0600);
    json_object_put(set);
    jwt_jwk_free(pub);
    secret_free_str(jwk);
    signer_free(signer);
}

/* One record line, by userdb's own formatter. */
static void
record_append(char *text, size_t size, const char *name, const char *hash, const char *scopes,
              bool locked)
{
    struct userdb_record rec;
    char *line = NULL;

    memset(&rec, 0, sizeof rec);
    snprintf(rec.name, sizeof rec.name, "%s", name);
    rec.hash = (char *)(uintptr_t)hash;
    rec.gen = 1;
    rec.locked = locked;
    rec.changed = FUZZ_NOW - 1000;
    if (userdb_scopes_parse(scopes, &rec.scopes, &rec.n_scopes) != USERDB_OK ||
        userdb_record_format(&rec, &line) != USERDB_OK || strlen(text) + strlen(line) + 2 > size)
        abort();
    strcat(text, line);
    strcat(text, "\n");
    free(line);
    userdb_scopes_free(rec.scopes, rec.n_scopes);
}

static void
users_write(void)
{
    static char text[4096];

    record_append(text, sizeof text, "alice", HASH_ALICE, "ssh,sudo", false);
    record_append(text, sizeof text, "bob", HASH_BOB, "ssh", true);
    record_append(text, sizeof text, "carol", HASH_CAROL, "ssh", false);
    users_text = text;
    users_len = strlen(text);
    fuzz_file_put("users", users_text, users_len, 0600);
    fuzz_file_put("revoked", REVOKED, strlen(REVOKED), 0644);
}

static void
conf_write(void)
{
    char text[4096], users[512], revoked[512], jwks[512], sk[512], rk[512], sock[512];
    int n;

    fuzz_path("users", users, sizeof users);
    fuzz_path("revoked", revoked, sizeof revoked);
    fuzz_path("jwks.json", jwks, sizeof jwks);
    fuzz_path("signing.jwk", sk, sizeof sk);
    fuzz_path("refresh.key", rk, sizeof rk);
    fuzz_path("helperd.sock", sock, sizeof sock);
    n = snprintf(text, sizeof text,
                 "issuer = jwt-helper@fuzz\n"
                 "audience = pam\n"
                 "audiences = host-a, host:*\n"
                 "access_ttl = 600\n"
                 "refresh_ttl = 86400\n"
                 "jwks = %s\n"
                 "signing_key = %s\n"
                 "refresh_key = %s\n"
                 "users = %s\n"
                 "revocation = %s\n"
                 "socket = %s\n"
                 "default_scope = ssh\n"
                 "login_delay = 1\n",
                 jwks, sk, rk, users, revoked, sock);
    if (n < 0 || (size_t)n >= sizeof text)
        abort();
    fuzz_file_put("jwt-helperd.conf", text, (size_t)n, 0644);
}

/* The dummy hash an unknown user is checked against: at the minimum
 * limits too, or every unknown name would cost a 64 MiB argon2id run. */
static void
dummy_fast(void)
{
    char hash[crypto_pwhash_STRBYTES];

    if (crypto_pwhash_str(hash, "dummy", 5, crypto_pwhash_OPSLIMIT_MIN,
                          crypto_pwhash_MEMLIMIT_MIN) != 0)
        abort();
    secret_free_str(st->dummy_hash);
    if ((st->dummy_hash = strdup(hash)) == NULL)
        abort();
}

static void
setup(void)
{
    char conf[512];

    if (st != NULL)
        return;
    show = getenv("PAM_JWT_FUZZ_SHOW") != NULL;
    keys_write();
    users_write();
    conf_write();
    fuzz_path("jwt-helperd.conf", conf, sizeof conf);
    if (helperd_state_load(conf, true, NULL, collect, NULL, &st) != 0) {
        fprintf(stderr, "fuzz_handler: the state does not load:\n%s", logtext);
        abort();
    }
    dummy_fast();
}

/* Puts back a users file or revocation list the last input changed (a
 * passwd, a logout everywhere). */
static void
files_restore(void)
{
    size_t len = 0;
    char *now_text = fuzz_file_get("users", &len);

    if (now_text == NULL || len != users_len || memcmp(now_text, users_text, len) != 0)
        fuzz_file_put("users", users_text, users_len, 0600);
    free(now_text);
    now_text = fuzz_file_get("revoked", &len);
    if (now_text == NULL || len != strlen(REVOKED) || memcmp(now_text, REVOKED, len) != 0)
        fuzz_file_put("revoked", REVOKED, strlen(REVOKED), 0644);
    free(now_text);
}

/* ---- one line ---- */

static bool
holds(const char *hay, size_t len, const char *needle)
{
    return memmem(hay, len, needle, strlen(needle)) != NULL;
}

static bool
password_of(const char *user, const char *password)
{
    return user != NULL && password != NULL &&
           ((strcmp(user, "alice") == 0 && strcmp(password, PW_ALICE) == 0) ||
            (strcmp(user, "carol") == 0 && strcmp(password, PW_CAROL) == 0));
}

static void
grant_check(const struct proto_request *req, const struct proto_response *resp)
{
    if (!resp->ok)
        return;
    if (req->op == PROTO_OP_LOGIN && !password_of(req->username, req->password))
        abort(); /* a login without the password (bob is locked) */
    if (req->op == PROTO_OP_PASSWD && !password_of(req->username, req->old_password))
        abort();
}

static void
secrets_check(const char *line, size_t len, const struct helperd_reply *reply)
{
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
        if (holds(line, len, secrets[i]))
            continue; /* the asker's own bytes may come back in a description */
        if (holds(logtext, loglen, secrets[i]))
            abort();
        /* Tokens are the answer to a granted login or refresh. */
        if (strcmp(secrets[i], "eyJ") != 0 && holds(reply->line, reply->len, secrets[i]))
            abort();
    }
}

static void
reply_check(const char *line, size_t len, const struct helperd_reply *reply)
{
    struct proto_request req;
    struct proto_response resp;
    proto_result rr;

    if (reply->line == NULL || reply->len == 0 || reply->line[reply->len - 1] != '\n' ||
        memchr(reply->line, '\n', reply->len) != reply->line + reply->len - 1)
        abort(); /* exactly one answer line */
    rr = proto_request_decode(line, len, &req);
    if (proto_response_decode(reply->line, reply->len, rr == PROTO_OK ? req.op : PROTO_OP_STATUS,
                              &resp) != PROTO_OK)
        abort(); /* the client could not read the answer */
    if (rr != PROTO_OK && (resp.ok || (resp.error != PROTO_E_INVALID_REQUEST &&
                                       resp.error != PROTO_E_UNSUPPORTED_OP)))
        abort(); /* a line that does not decode is refused as such */
    if (rr == PROTO_OK)
        grant_check(&req, &resp);
    secrets_check(line, len, reply);
    proto_response_clear(&resp);
    proto_request_clear(&req);
}

static void
serve(const struct helperd_peer *peer, const char *line, size_t len)
{
    struct helperd_reply reply;
    struct helperd_job *job = NULL;

    loglen = 0;
    logtext[0] = '\0';
    if (helperd_handle_line(st, peer, line, len, &now, collect, NULL, &reply, &job) ==
        HELPERD_STEP_JOB) {
        if (job == NULL)
            abort();
        helperd_job_run(job);
        helperd_handle_finish(st, job, &now, collect, NULL, &reply);
    }
    if (show)
        fprintf(stderr, "answer: %.*s", (int)reply.len, reply.line);
    reply_check(line, len, &reply);
    helperd_reply_clear(&reply);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct helperd_peer peers[] = {
        {0, 0, 1},
        {geteuid(), getegid(), getpid()},
        {4242, 4242, 4242},
    };
    const char *text = (const char *)data + 1;
    size_t at = 0, len;

    if (size == 0)
        return 0;
    setup();
    len = size - 1;
    /* Every delay of the last input (at most HELPERD_DELAY_FORGET_MS) is over. */
    now.mono_ms += HELPERD_DELAY_FORGET_MS + 1000;
    while (at < len) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t line_len;
        if (nl == NULL)
            break; /* the loop waits for the rest */
        line_len = (size_t)(nl - (text + at)) + 1;
        if (line_len <= PROTO_MAX_LINE) /* longer ones the loop refuses itself */
            serve(&peers[data[0] % 3], text + at, line_len);
        at += line_len;
    }
    files_restore();
    return 0;
}
