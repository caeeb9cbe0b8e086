/* SPDX-License-Identifier: MIT */
/* What jwt-helperd serves from (jwt-helperd(8), FILES): config, keys, key set and dummy
 * hash loaded together; user records and revocation list re-read whenever
 * their file identity changes.
 *
 * MUST:
 * 1. refuse to start (or to reload) with a key set that lacks the signing
 *    key's public half: every token issued would be unverifiable;
 * 2. fail closed on a revocation list that exists but does not load: no
 *    token is issued while it is broken (rev_broken), since the list is
 *    what kills stolen tokens;
 * 3. never put a secret into a report: paths and reasons only;
 * 4. leave nothing behind on failure: a failed SIGHUP reload, or key files
 *    changed on disk that do not load, keep the old state whole;
 * 5. never sign with a key the key set marks "retired" (signer_retired:
 *    every token issue is refused), jwt-helperd(8), FILES. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "helperd.h"
#include "secret.h"

#define REPORT_MAX (PATH_MAX + 256)
/* Random bytes behind the dummy hash: its password is unknowable. */
#define DUMMY_PASSWORD_BYTES 32

static const char *const counter_names[HELPERD_C_COUNT] = {
    [HELPERD_C_REQUESTS] = "requests",
    [HELPERD_C_LOGIN_OK] = "login_ok",
    [HELPERD_C_LOGIN_FAILED] = "login_failed",
    [HELPERD_C_REFRESH_OK] = "refresh_ok",
    [HELPERD_C_REFRESH_FAILED] = "refresh_failed",
    [HELPERD_C_PASSWD_OK] = "passwd_ok",
    [HELPERD_C_PASSWD_FAILED] = "passwd_failed",
    [HELPERD_C_LOGOUT] = "logout",
    [HELPERD_C_RATE_LIMITED] = "rate_limited",
    [HELPERD_C_INVALID] = "invalid_request",
    [HELPERD_C_SERVER_ERROR] = "server_error",
    [HELPERD_C_RELOADS] = "reloads",
    [HELPERD_C_CLIENTS] = "clients",
    [HELPERD_C_REFUSED] = "refused",
    [HELPERD_C_HASHES_QUEUED] = "hashes_queued",
};

const char *
helperd_counter_name(enum helperd_counter c)
{
    return (unsigned)c < HELPERD_C_COUNT ? counter_names[c] : NULL;
}

void
helperd_reportf(helperd_report_fn report, void *ctx, const char *fmt, ...)
{
    char msg[REPORT_MAX];
    va_list ap;

    if (report == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    report(ctx, msg);
}

/* A core result, with errno's text for a file that would not open. */
static void
say_file(helperd_report_fn report, void *ctx, const char *key, const char *path, jwt_result r,
         int err)
{
    if (r == JWT_ERR_FILE_OPEN && err != 0)
        helperd_reportf(report, ctx, "%s %s: %s: %s", key, path, jwt_result_str(r), strerror(err));
    else
        helperd_reportf(report, ctx, "%s %s: %s", key, path, jwt_result_str(r));
}

/* The configured user's uid, which may own the files the daemon writes;
 * -1 when there is no such user (tests, or before sysusers ran). */
static long
daemon_uid_of(const char *user)
{
    uid_t uid;

    return jwt_user_find(user, &uid, NULL) == 0 ? (long)uid : -1;
}

static int
conf_step(struct helperd_state *st, const char *conf_path, bool must_exist,
          const char *socket_override, helperd_report_fn report, void *ctx)
{
    char *sock;

    switch (helperd_conf_load(conf_path, must_exist, report, ctx, &st->conf)) {
    case CONF_OK:
        break;
    case CONF_ERR_NOMEM:
        helperd_reportf(report, ctx, "config %s: out of memory",
                        conf_path != NULL ? conf_path : HELPERD_CONF_DEFAULT_PATH);
        return -1;
    default:
        return -1; /* the loader named each problem */
    }
    if (socket_override == NULL)
        return 0;
    if (socket_override[0] == '\0' || strlen(socket_override) > HELPERD_CONF_SOCKET_MAX) {
        helperd_reportf(report, ctx, "--socket: a socket path (at most %d bytes)",
                        HELPERD_CONF_SOCKET_MAX);
        return -1;
    }
    if ((sock = strdup(socket_override)) == NULL) {
        helperd_reportf(report, ctx, "--socket: out of memory");
        return -1;
    }
    free(st->conf->socket);
    st->conf->socket = sock;
    return 0;
}

static int
load_signer(const struct helperd_conf *c, helperd_report_fn report, void *ctx, struct signer **out)
{
    jwt_result r;

    errno = 0;
    if ((r = signer_load(c->signing_key, out)) != JWT_OK) {
        say_file(report, ctx, "signing_key", c->signing_key, r, errno);
        return -1;
    }
    return 0;
}

static int
keys_step(struct helperd_state *st, helperd_report_fn report, void *ctx)
{
    const struct helperd_conf *c = st->conf;
    jwt_result r;
    int rc = 0;

    /* Both keys are looked at even when the first fails, so one start-up
     * names every broken file. The identities are taken before reading, so
     * a change made meanwhile is seen at the next request (sync_keys). */
    jwt_file_identity_of(c->signing_key, &st->key_id);
    jwt_file_identity_of(c->jwks, &st->jwks_id);
    if (load_signer(c, report, ctx, &st->signer) != 0)
        rc = -1;
    errno = 0;
    if ((r = helperd_tokens_secret_load(c->refresh_key, st->daemon_uid, &st->secret)) != JWT_OK) {
        say_file(report, ctx, "refresh_key", c->refresh_key, r, errno);
        rc = -1;
    }
    return rc;
}

/* Returns the "keys" member of set when it is an array of at most
 * JWT_MAX_JWKS_KEYS objects (what the "jwks" answer may carry), else NULL. */
static struct json_object *
keys_member(struct json_object *set)
{
    struct json_object *keys = NULL;
    size_t n;

    if (!json_object_object_get_ex(set, "keys", &keys) ||
        json_object_get_type(keys) != json_type_array)
        return NULL;
    if ((n = json_object_array_length(keys)) > JWT_MAX_JWKS_KEYS)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (json_object_get_type(json_object_array_get_idx(keys, i)) != json_type_object)
            return NULL;
    return keys;
}

/* MUST 1: the key set, as pam_jwt parses it, picks for the signer's kid and
 * alg a key whose RFC 7638 thumbprint is the signer's own. *retired says
 * whether that key is marked "retired" (MUST 5). */
static int
jwks_has_signer(const char *path, const struct signer *signer, const char *text, size_t len,
                bool *retired, helperd_report_fn report, void *ctx)
{
    const char *kid = signer_kid(signer);
    struct jwt_jwks *set = NULL;
    struct jwt_jwk *found = NULL, *pub = NULL;
    unsigned char a[32], b[32];
    jwt_result r;
    int rc = -1;

    if ((r = jwt_jwks_parse(text, len, &set)) != JWT_OK) {
        helperd_reportf(report, ctx, "jwks %s: %s", path, jwt_result_str(r));
        goto out;
    }
    if (jwt_jwks_select(set, kid, signer_alg(signer), &found) != JWT_OK) {
        helperd_reportf(report, ctx,
                        "jwks %s: no usable key with the signing key's kid %s: tokens would be "
                        "unverifiable",
                        path, kid);
        goto out;
    }
    if ((r = signer_public_jwk(signer, &pub)) != JWT_OK ||
        (r = jwt_jwk_thumbprint(pub, a)) != JWT_OK ||
        (r = jwt_jwk_thumbprint(found, b)) != JWT_OK) {
        helperd_reportf(report, ctx, "jwks %s: %s", path, jwt_result_str(r));
        goto out;
    }
    if (memcmp(a, b, sizeof a) != 0) { /* public keys: no secret to time */
        helperd_reportf(report, ctx,
                        "jwks %s: key %s is not the signing key's public half: tokens would be "
                        "unverifiable",
                        path, kid);
        goto out;
    }
    *retired = found->retired != 0;
    rc = 0;
out:
    jwt_jwk_free(pub);
    jwt_jwks_free(set);
    return rc;
}

/* Reads the key set at path: its "keys" array into *keys (a new reference)
 * and, when signer is not NULL, checks it holds the signer's public half. */
static int
load_jwks(const char *path, const struct signer *signer, struct json_object **keys, bool *retired,
          helperd_report_fn report, void *ctx)
{
    struct json_object *set = NULL, *k;
    char *text = NULL;
    size_t len = 0;
    jwt_result r;
    int rc = -1;

    *keys = NULL;
    *retired = false;
    errno = 0;
    if ((r = jwt_file_read(path, JWT_MAX_JWKS_BYTES, -1, &text, &len)) != JWT_OK) {
        say_file(report, ctx, "jwks", path, r, errno);
        goto out;
    }
    if ((r = jwt_json_parse_object(text, len, &set)) != JWT_OK) {
        helperd_reportf(report, ctx, "jwks %s: %s", path, jwt_result_str(r));
        goto out;
    }
    if ((k = keys_member(set)) == NULL) {
        helperd_reportf(report, ctx, "jwks %s: no \"keys\" array of at most %d objects", path,
                        JWT_MAX_JWKS_KEYS);
        goto out;
    }
    if (signer != NULL && jwks_has_signer(path, signer, text, len, retired, report, ctx) != 0)
        goto out;
    if (*retired) /* MUST 5: loaded, so status still answers, but nothing is issued */
        helperd_reportf(
            report, ctx,
            "error: jwks %s marks the signing key %s retired: no token is issued; run "
            "jwt-helper keys rotate and keys activate, or restore the active signing_key",
            path, signer_kid(signer));
    *keys = json_object_get(k);
    rc = 0;
out:
    json_object_put(set);
    free(text); /* public */
    return rc;
}

static int
jwks_step(struct helperd_state *st, helperd_report_fn report, void *ctx)
{
    return load_jwks(st->conf->jwks, st->signer, &st->jwks_keys, &st->signer_retired, report, ctx);
}

/* helperd_tokens_params points into conf; the pointer arrays give its
 * char ** lists the const type the token layer takes. */
static int
params_step(struct helperd_state *st, helperd_report_fn report, void *ctx)
{
    const struct helperd_conf *c = st->conf;
    size_t na = c->n_audiences, ns = c->n_default_scope;

    st->audience_ptrs = calloc(na > 0 ? na : 1, sizeof *st->audience_ptrs);
    st->scope_ptrs = calloc(ns > 0 ? ns : 1, sizeof *st->scope_ptrs);
    if (st->audience_ptrs == NULL || st->scope_ptrs == NULL) {
        helperd_reportf(report, ctx, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < na; i++)
        st->audience_ptrs[i] = c->audiences[i];
    for (size_t i = 0; i < ns; i++)
        st->scope_ptrs[i] = c->default_scope[i];
    st->params.issuer = c->issuer;
    st->params.audience = c->audience;
    st->params.audiences = st->audience_ptrs;
    st->params.n_audiences = na;
    st->params.default_scopes = st->scope_ptrs;
    st->params.n_default_scopes = ns;
    st->params.access_ttl = c->access_ttl;
    st->params.refresh_ttl = c->refresh_ttl;
    return 0;
}

/* The record an unknown user is checked against: argon2id of a random
 * password with the limits new passwords get, so checking it costs what
 * checking a real record costs (jwt-helperd(8), PROTOCOL: the same work). */
static int
dummy_step(struct helperd_state *st, helperd_report_fn report, void *ctx)
{
    unsigned char rnd[DUMMY_PASSWORD_BYTES];
    char text[sodium_base64_ENCODED_LEN(DUMMY_PASSWORD_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    char hash[crypto_pwhash_STRBYTES];
    int rc = -1;

    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2base64(text, sizeof text, rnd, sizeof rnd, sodium_base64_VARIANT_ORIGINAL);
    if (crypto_pwhash_str(hash, text, strlen(text), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0 ||
        (st->dummy_hash = strdup(hash)) == NULL)
        helperd_reportf(report, ctx, "dummy password hash: out of memory");
    else
        rc = 0;
    sodium_memzero(rnd, sizeof rnd);
    sodium_memzero(text, sizeof text);
    sodium_memzero(hash, sizeof hash);
    return rc;
}

/* A reload keeps the dummy hash it already has: making one costs an argon2id
 * run (64 MiB) on the loop's thread, during which nobody would be served. */
static int
dummy_copy(struct helperd_state *st, const char *dummy, helperd_report_fn report, void *ctx)
{
    if ((st->dummy_hash = strdup(dummy)) == NULL) {
        helperd_reportf(report, ctx, "dummy password hash: out of memory");
        return -1;
    }
    return 0;
}

static int
state_load(const char *conf_path, bool must_exist, const char *socket_override, const char *dummy,
           helperd_report_fn report, void *ctx, struct helperd_state **out)
{
    struct helperd_state *st = calloc(1, sizeof *st);
    int rc = -1;

    *out = NULL;
    if (st == NULL) {
        helperd_reportf(report, ctx, "out of memory");
        return -1;
    }
    if (conf_step(st, conf_path, must_exist, socket_override, report, ctx) != 0)
        goto out;
    st->daemon_uid = daemon_uid_of(st->conf->user);
    /* Keys and key set are all looked at, so one report names every problem. */
    rc = keys_step(st, report, ctx);
    if (jwks_step(st, report, ctx) != 0)
        rc = -1;
    if (rc != 0 || params_step(st, report, ctx) != 0 ||
        (dummy != NULL ? dummy_copy(st, dummy, report, ctx) : dummy_step(st, report, ctx)) != 0) {
        rc = -1;
        goto out;
    }
    if ((st->delay = helperd_delay_new(st->conf->login_delay)) == NULL) {
        helperd_reportf(report, ctx, "out of memory");
        rc = -1;
        goto out;
    }
    st->started = (int64_t)time(NULL);
    *out = st;
    st = NULL; /* the caller's now */
out:
    helperd_state_free(st);
    return rc;
}

int
helperd_state_load(const char *conf_path, bool must_exist, const char *socket_override,
                   helperd_report_fn report, void *ctx, struct helperd_state **out)
{
    return state_load(conf_path, must_exist, socket_override, NULL, report, ctx, out);
}

int
helperd_state_reload(const char *conf_path, bool must_exist, const char *socket_override,
                     const struct helperd_state *old, helperd_report_fn report, void *ctx,
                     struct helperd_state **out)
{
    return state_load(conf_path, must_exist, socket_override, old->dummy_hash, report, ctx, out);
}

static bool
same_path(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

void
helperd_state_adopt(struct helperd_state *fresh, struct helperd_state *old)
{
    if (fresh == NULL || old == NULL) {
        helperd_state_free(old);
        return;
    }
    memcpy(fresh->counters, old->counters, sizeof fresh->counters);
    fresh->started = old->started;
    /* SIGHUP forgives no failure: the old table goes on, at the new base. */
    if (old->delay != NULL) {
        helperd_delay_free(fresh->delay);
        fresh->delay = old->delay;
        old->delay = NULL;
        helperd_delay_set_base(fresh->delay, fresh->conf->login_delay);
    }
    /* Files read under another owner rule are read again. */
    if (fresh->daemon_uid == old->daemon_uid && same_path(fresh->conf->users, old->conf->users)) {
        fresh->db = old->db;
        fresh->db_id = old->db_id;
        fresh->db_synced = old->db_synced;
        fresh->db_retry = old->db_retry;
        old->db = NULL;
    }
    if (fresh->daemon_uid == old->daemon_uid &&
        same_path(fresh->conf->revocation, old->conf->revocation)) {
        fresh->rev = old->rev;
        fresh->rev_id = old->rev_id;
        fresh->rev_broken = old->rev_broken;
        fresh->rev_synced = old->rev_synced;
        fresh->rev_retry = old->rev_retry;
        old->rev = NULL;
    }
    helperd_state_free(old);
}

/* True when path must be read again: its identity changed, it was never
 * looked at, or its last load failed for a passing reason (retry). A file
 * that still cannot be looked at is no news. */
static bool
file_changed(const struct jwt_file_identity *now, const struct jwt_file_identity *before,
             bool synced, bool retry)
{
    if (!synced || retry)
        return true;
    if (now->state == JWT_FILE_UNKNOWN && before->state == JWT_FILE_UNKNOWN)
        return false;
    return !jwt_file_identity_same(now, before);
}

/* A load that failed for want of descriptors or memory says nothing about
 * the file: the identity is then not recorded, so the next request tries
 * again instead of refusing everyone until the file changes. */
static bool
passing_failure(bool nomem, bool io, int err)
{
    return nomem || (io && (err == EMFILE || err == ENFILE || err == ENOMEM || err == ENOBUFS ||
                            err == EAGAIN || err == EINTR));
}

static void
sync_users(struct helperd_state *st, helperd_report_fn report, void *ctx)
{
    const char *path = st->conf->users;
    struct jwt_file_identity id;
    struct userdb *db = NULL;
    userdb_result r;
    int err;
    bool was_retry = st->db_retry;

    jwt_file_identity_of(path, &id); /* before reading: a later change is seen next time */
    if (!file_changed(&id, &st->db_id, st->db_synced, st->db_retry))
        return;
    userdb_free(st->db);
    st->db = NULL;
    st->db_synced = true;
    errno = 0;
    r = userdb_load(path, st->daemon_uid, &db);
    err = errno;
    st->db_retry =
        r != USERDB_OK && passing_failure(r == USERDB_ERR_NOMEM, r == USERDB_ERR_IO, err);
    if (!st->db_retry)
        st->db_id = id;
    if (r != USERDB_OK) {
        if (st->db_retry && was_retry)
            return; /* reported when the streak began */
        if (st->db_retry)
            helperd_reportf(report, ctx,
                            "error: users %s: %s%s%s (logins refused; tried again at each request)",
                            path, userdb_result_str(r), err != 0 ? ": " : "",
                            err != 0 ? strerror(err) : "");
        else if (r == USERDB_ERR_IO && err != 0)
            helperd_reportf(report, ctx, "error: users %s: %s: %s (every login refused)", path,
                            userdb_result_str(r), strerror(err));
        else
            helperd_reportf(report, ctx, "error: users %s: %s (every login refused)", path,
                            userdb_result_str(r));
        return;
    }
    for (size_t i = 0; i < db->n_bad_lines; i++)
        helperd_reportf(
            report, ctx, "error: users %s: line %zu: %s (its user cannot log in; writes refused)",
            path, db->bad_lines[i], db->bad_reasons != NULL ? db->bad_reasons[i] : "malformed");
    helperd_reportf(report, ctx, "users %s: %zu records read", path, db->n_records);
    st->db = db;
}

static void
sync_revocation(struct helperd_state *st, helperd_report_fn report, void *ctx)
{
    const char *path = st->conf->revocation;
    struct jwt_file_identity id;
    struct jwt_revocation *rev = NULL;
    jwt_result r;
    int err;

    bool was_retry = st->rev_retry;

    jwt_file_identity_of(path, &id);
    if (!file_changed(&id, &st->rev_id, st->rev_synced, st->rev_retry))
        return;
    jwt_revocation_free(st->rev);
    st->rev = NULL;
    st->rev_broken = false;
    st->rev_retry = false;
    st->rev_id = id;
    st->rev_synced = true;
    if (id.state == JWT_FILE_ABSENT)
        return; /* none listed */
    errno = 0;
    r = jwt_revocation_load(path, st->daemon_uid, &rev);
    err = errno;
    if (r == JWT_ERR_FILE_OPEN && err == ENOENT)
        return; /* removed since the lstat: none listed; its absence is seen next time */
    if (r != JWT_OK) {
        st->rev_broken = true; /* MUST 2 */
        st->rev_retry = passing_failure(r == JWT_ERR_NOMEM, r == JWT_ERR_FILE_OPEN, err);
        if (st->rev_retry && was_retry)
            return; /* reported when the streak began */
        if (st->rev_retry)
            helperd_reportf(
                report, ctx,
                "error: revocation %s: %s%s%s (issuing refused; tried again at each request)", path,
                jwt_result_str(r), err != 0 ? ": " : "", err != 0 ? strerror(err) : "");
        else if (r == JWT_ERR_FILE_OPEN && err != 0)
            helperd_reportf(report, ctx, "error: revocation %s: %s: %s (issuing refused)", path,
                            jwt_result_str(r), strerror(err));
        else
            helperd_reportf(report, ctx, "error: revocation %s: %s (issuing refused)", path,
                            jwt_result_str(r));
        return;
    }
    if (was_retry)
        helperd_reportf(report, ctx, "revocation %s: loaded again", path);
    st->rev = rev;
}

/* MUST 4 and 5: when signing_key or jwks changed (jwt-helper keys
 * activate moves the next key into place), loads both again and switches
 * to them only when they pass every start-up check; else keeps signing as
 * before. The new identities are kept either way: a broken pair is
 * reported once, and tried again when a file changes again. */
static void
sync_keys(struct helperd_state *st, helperd_report_fn report, void *ctx)
{
    const struct helperd_conf *c = st->conf;
    struct jwt_file_identity key_id, jwks_id;
    struct signer *signer = NULL;
    struct json_object *keys = NULL;
    bool retired = false;

    jwt_file_identity_of(c->signing_key, &key_id);
    jwt_file_identity_of(c->jwks, &jwks_id);
    if (jwt_file_identity_same(&key_id, &st->key_id) &&
        jwt_file_identity_same(&jwks_id, &st->jwks_id))
        return;
    st->key_id = key_id;
    st->jwks_id = jwks_id;
    if (load_signer(c, report, ctx, &signer) != 0 ||
        load_jwks(c->jwks, signer, &keys, &retired, report, ctx) != 0) {
        helperd_reportf(report, ctx,
                        "error: keys changed on disk but do not load: still signing with %s",
                        signer_kid(st->signer));
        signer_free(signer);
        return;
    }
    helperd_reportf(report, ctx, "keys reloaded: signing with %s (%s)", signer_kid(signer),
                    jwt_alg_name(signer_alg(signer)));
    signer_free(st->signer);
    json_object_put(st->jwks_keys);
    st->signer = signer;
    st->jwks_keys = keys;
    st->signer_retired = retired;
}

void
helperd_state_sync(struct helperd_state *st, helperd_report_fn report, void *ctx)
{
    if (st == NULL || st->conf == NULL)
        return;
    sync_keys(st, report, ctx);
    sync_users(st, report, ctx);
    sync_revocation(st, report, ctx);
}

void
helperd_state_free(struct helperd_state *st)
{
    if (st == NULL)
        return;
    helperd_conf_free(st->conf);
    signer_free(st->signer);
    helperd_tokens_secret_free(st->secret);
    free(st->audience_ptrs);
    free(st->scope_ptrs);
    json_object_put(st->jwks_keys);
    secret_free_str(st->dummy_hash);
    userdb_free(st->db);
    jwt_revocation_free(st->rev);
    helperd_delay_free(st->delay);
    sodium_memzero(st, sizeof *st);
    free(st);
}
