/* SPDX-License-Identifier: MIT */
/* Answers jwt-helperd's request lines (jwt-helperd(8), PROTOCOL, version 1): decode,
 * decide, and map every result to its wire error here and nowhere else.
 *
 * MUST:
 * 1. give an unknown user, a locked user and a wrong password the identical
 *    response line (one fixed description), after the same argon2id work
 *    (the job checks the dummy hash) and the same per-name delay;
 * 2. never put a password, token or hash into a reply's error_description
 *    or a log line: descriptions are static strings of ours (or the
 *    decoder's value-free detail), logs name op, user, peer uid, outcome,
 *    reason and jti;
 * 3. re-check the record under the users file's lock before writing (passwd,
 *    logout all): the hash and gen the decision was made on must still be
 *    the record's, else the request is refused and nothing written;
 * 4. issue no token while the user records or the revocation list cannot be
 *    read (server_error: fail closed);
 * 5. always produce a reply: out of memory gives a fixed server_error line,
 *    and if even that cannot be allocated, no line and close_after;
 * 6. issue no access token with a signing key the key set marks retired. */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "helperd.h"
#include "revocation_publish.h"
#include "secret.h"

/* The one answer to a refused password (MUST 1). */
#define BAD_CREDENTIALS "invalid username or password"
/* Shorter new passwords are refused before any hashing. Bytes, not
 * characters: the wire carries UTF-8 and the limit is only a floor. */
#define MIN_NEW_PASSWORD 8
#define LOG_MAX 768

/* What proto_response_encode makes of a server_error "out of memory"; the
 * test checks the two agree. */
static const char oom_line[] =
    "{\"ok\":false,\"error\":\"server_error\",\"error_description\":\"out of memory\"}\n";

/* One handler call: where it answers and whom it logs. */
struct call {
    struct helperd_state *st;
    uid_t uid;
    const struct helperd_now *now;
    helperd_report_fn report;
    void *ctx;
    struct helperd_reply *reply;
};

__attribute__((format(printf, 2, 3))) static void
say(const struct call *c, const char *fmt, ...)
{
    char msg[LOG_MAX];
    va_list ap;

    if (c->report == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->report(c->ctx, msg);
}

static const char *
op_label(enum proto_op op)
{
    const char *name = proto_op_name(op);

    return name != NULL ? name : "request";
}

static void
count(struct helperd_state *st, enum helperd_counter which)
{
    if (st->counters[which] < INT64_MAX)
        st->counters[which]++;
}

/* ---- replies ---- */

/* MUST 5. */
static void
reply_oom(struct helperd_reply *reply)
{
    bool close_after = reply->close_after;

    memset(reply, 0, sizeof *reply);
    if ((reply->line = malloc(sizeof oom_line)) == NULL) {
        reply->close_after = true; /* nothing to send: the client sees the close */
        return;
    }
    memcpy(reply->line, oom_line, sizeof oom_line);
    reply->len = sizeof oom_line - 1;
    reply->close_after = close_after;
}

void
helperd_reply_error(enum proto_error e, const char *desc, bool close_after,
                    struct helperd_reply *reply)
{
    struct proto_response resp;
    proto_result r;

    memset(&resp, 0, sizeof resp);
    memset(reply, 0, sizeof *reply);
    reply->close_after = close_after;
    r = proto_response_set_error(&resp, e, desc);
    /* A description outside RFC 6749 §5.2's characters is our bug: the
     * code's own name still says what happened. */
    if (r == PROTO_ERR_INVALID && proto_error_str(e) != NULL)
        r = proto_response_set_error(&resp, e, proto_error_str(e));
    if (r == PROTO_OK)
        r = proto_response_encode(&resp, PROTO_OP_COUNT, &reply->line, &reply->len);
    if (r != PROTO_OK)
        reply_oom(reply);
    proto_response_clear(&resp);
}

void
helperd_reply_clear(struct helperd_reply *reply)
{
    if (reply == NULL)
        return;
    secret_free(reply->line, reply->len);
    memset(reply, 0, sizeof *reply);
}

/* Encodes a success; resp is cleared (tokens wiped) either way. */
static void
reply_ok(const struct call *c, struct proto_response *resp, enum proto_op op)
{
    proto_result r;

    resp->ok = true;
    r = proto_response_encode(resp, op, &c->reply->line, &c->reply->len);
    proto_response_clear(resp);
    if (r == PROTO_ERR_NOMEM)
        reply_oom(c->reply);
    else if (r != PROTO_OK) /* a value of ours broke the wire rules: a bug */
        helperd_reply_error(PROTO_E_SERVER_ERROR, "internal error", false, c->reply);
}

static enum helperd_counter
failed_counter(enum proto_op op)
{
    switch (op) {
    case PROTO_OP_LOGIN:
        return HELPERD_C_LOGIN_FAILED;
    case PROTO_OP_PASSWD:
        return HELPERD_C_PASSWD_FAILED;
    default:
        return HELPERD_C_REFRESH_FAILED; /* refresh and logout: a refresh token refused */
    }
}

/* Refuses with wire error e and description desc; logs why (which, being
 * the admin's, may say more than desc: "unknown user"). user may be NULL. */
static void
refuse(const struct call *c, enum proto_op op, const char *user, enum proto_error e,
       const char *desc, const char *why)
{
    switch (e) {
    case PROTO_E_INVALID_GRANT:
        count(c->st, failed_counter(op));
        break;
    case PROTO_E_RATE_LIMITED:
        count(c->st, HELPERD_C_RATE_LIMITED);
        break;
    case PROTO_E_SERVER_ERROR:
        count(c->st, HELPERD_C_SERVER_ERROR);
        break;
    default:
        count(c->st, HELPERD_C_INVALID);
        break;
    }
    /* A server_error is ours to fix: the log says so by its priority. */
    say(c, "%s%s%s%s uid=%lu: %s (%s)", e == PROTO_E_SERVER_ERROR ? "error: " : "", op_label(op),
        user != NULL ? " " : "", user != NULL ? user : "", (unsigned long)c->uid,
        proto_error_str(e), why);
    helperd_reply_error(e, desc, false, c->reply);
}

/* helperd_tokens.h's mapping (STYLE "Errors": one switch, default closed). */
static enum proto_error
tokens_error(helperd_tokens_result r)
{
    switch (r) {
    case HELPERD_TOKENS_ERR_NOMEM:
    case HELPERD_TOKENS_ERR_INTERNAL:
    case HELPERD_TOKENS_ERR_PARAMS:
    case HELPERD_TOKENS_ERR_OVER_BUDGET:
        return PROTO_E_SERVER_ERROR;
    case HELPERD_TOKENS_ERR_SCOPE_SYNTAX:
    case HELPERD_TOKENS_ERR_SCOPE:
    case HELPERD_TOKENS_ERR_AUDIENCE:
        return PROTO_E_INVALID_REQUEST;
    default:
        return PROTO_E_INVALID_GRANT;
    }
}

static void
refuse_tokens(const struct call *c, enum proto_op op, const char *user, helperd_tokens_result r,
              const char *jti)
{
    char why[160];
    const char *reason = helperd_tokens_result_str(r);

    if (jti != NULL && jti[0] != '\0')
        snprintf(why, sizeof why, "%s; refresh jti %s", reason, jti);
    else
        snprintf(why, sizeof why, "%s", reason);
    refuse(c, op, user, tokens_error(r), reason, why);
}

/* MUST 4: the files tokens are checked and issued against are readable. */
static bool
files_usable(const struct call *c, enum proto_op op, const char *user)
{
    helperd_state_sync(c->st, c->report, c->ctx);
    if (c->st->db == NULL) {
        refuse(c, op, user, PROTO_E_SERVER_ERROR, "user records unavailable",
               "users file not loaded");
        return false;
    }
    if (c->st->rev_broken) {
        refuse(c, op, user, PROTO_E_SERVER_ERROR, "revocation list unavailable",
               "revocation list does not load");
        return false;
    }
    return true;
}

/* MUST 6: the key set may mark the signing key retired (a key set edited
 * by hand, or copied from another issuer): verifiers refuse what it signs
 * now, so nothing is issued; the log line at load says what to do. */
static bool
signer_usable(const struct call *c, enum proto_op op, const char *user)
{
    if (!c->st->signer_retired)
        return true;
    refuse(c, op, user, PROTO_E_SERVER_ERROR, "signing key retired",
           "jwks marks the signing key retired: run jwt-helper keys activate");
    return false;
}

/* Hashes are secrets: compared in constant time, after the (public)
 * length of an argon2id string. */
static bool
hash_same(const char *a, const char *b)
{
    size_t la, lb;

    if (a == NULL || b == NULL)
        return false;
    la = strlen(a);
    lb = strlen(b);
    return la == lb && sodium_memcmp(a, b, la) == 0;
}

/* ---- decoding ---- */

/* The decoder's detail names members in double quotes, which RFC 6749
 * §5.2's error_description may not carry: they become single quotes. */
static void
detail_for_wire(const char *detail, char *out, size_t size)
{
    size_t i = 0;

    for (; detail[i] != '\0' && i + 1 < size; i++) {
        unsigned char ch = (unsigned char)detail[i];
        out[i] = (char)(ch == '"' ? '\'' : ch == '\\' ? '/' : (ch < 0x20 || ch > 0x7e) ? '?' : ch);
    }
    out[i] = '\0';
    if (i == 0)
        snprintf(out, size, "invalid message");
}

static void
refuse_decode(const struct call *c, proto_result r, const struct proto_request *req)
{
    char desc[PROTO_DETAIL_LEN];

    detail_for_wire(req->detail, desc, sizeof desc);
    switch (r) {
    case PROTO_ERR_UNSUPPORTED_OP:
        refuse(c, PROTO_OP_COUNT, NULL, PROTO_E_UNSUPPORTED_OP, "unsupported op", desc);
        break;
    case PROTO_ERR_NOMEM:
        refuse(c, PROTO_OP_COUNT, NULL, PROTO_E_SERVER_ERROR, "out of memory", "decoding");
        break;
    default:
        refuse(c, PROTO_OP_COUNT, NULL, PROTO_E_INVALID_REQUEST, desc, desc);
        /* A line that is too long or unterminated leaves the stream out of
         * step: jwt-helperd(8), LIMITS, closes the connection after the answer. */
        if (r == PROTO_ERR_TOO_LONG || r == PROTO_ERR_NO_NEWLINE)
            c->reply->close_after = true;
        break;
    }
}

/* ---- login and passwd: checks, then the job ---- */

/* A users file write refused for a reason of ours. */
static void
refuse_write(const struct call *c, enum proto_op op, const char *user, userdb_result r,
             size_t bad_line)
{
    char desc[96], why[160];
    int err = errno;

    if (r == USERDB_ERR_MALFORMED) {
        snprintf(desc, sizeof desc, "users file has a malformed line %zu", bad_line);
        refuse(c, op, user, PROTO_E_SERVER_ERROR, desc, desc);
        return;
    }
    snprintf(why, sizeof why, "users file not written: %s%s%s", userdb_result_str(r),
             r == USERDB_ERR_IO && err != 0 ? ": " : "",
             r == USERDB_ERR_IO && err != 0 ? strerror(err) : "");
    refuse(c, op, user, PROTO_E_SERVER_ERROR, "cannot write user records", why);
}

/* Whose delay an attempt for name from uid counts against (jwt-helperd(8),
 * LIMITS): the own side when uid's Unix account is named name, else the
 * side every other uid shares. A uid without an account (a user
 * namespace's) is another. */
static enum helperd_delay_side
delay_side_of(uid_t uid, const char *name)
{
    struct passwd pw, *found = NULL;
    char buf[16384];

    if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) != 0 || found == NULL ||
        strcmp(found->pw_name, name) != 0)
        return HELPERD_DELAY_OTHERS;
    return HELPERD_DELAY_OWN;
}

static enum helperd_step
password_start(const struct call *c, struct proto_request *req, struct helperd_job **job)
{
    struct helperd_state *st = c->st;
    const char *name = req->username;
    const enum helperd_delay_side side = delay_side_of(c->uid, name);
    const struct userdb_record *rec;
    struct helperd_job *j;

    if (req->op == PROTO_OP_PASSWD && strlen(req->new_password) < MIN_NEW_PASSWORD) {
        refuse(c, req->op, name, PROTO_E_INVALID_REQUEST, "new_password must be at least 8 bytes",
               "new password too short");
        return HELPERD_STEP_REPLY;
    }
    if (helperd_delay_blocked_until(st->delay, name, side, c->now->mono_ms) > c->now->mono_ms) {
        refuse(c, req->op, name, PROTO_E_RATE_LIMITED, "too many failed attempts; try again later",
               "inside the failure delay");
        return HELPERD_STEP_REPLY;
    }
    if (!files_usable(c, req->op, name))
        return HELPERD_STEP_REPLY;
    /* The write would be refused (jwt-helperd(8), "User records": no write until an admin fixes
     * the file): say so now rather than after 64 MiB of argon2id. */
    if (req->op == PROTO_OP_PASSWD && st->db->n_bad_lines > 0) {
        refuse_write(c, req->op, name, USERDB_ERR_MALFORMED, st->db->bad_lines[0]);
        return HELPERD_STEP_REPLY;
    }
    rec = userdb_find(st->db, name);
    if ((j = calloc(1, sizeof *j)) == NULL ||
        (j->hash = strdup(rec != NULL ? rec->hash : st->dummy_hash)) == NULL) {
        free(j);
        count(st, HELPERD_C_SERVER_ERROR);
        reply_oom(c->reply);
        return HELPERD_STEP_REPLY;
    }
    /* One hash per name and side at a time (helperd_delay_claim): a guess
     * sent beside another is refused like one sent inside the delay. */
    if (!helperd_delay_claim(st->delay, name, side)) {
        secret_free_str(j->hash);
        free(j);
        refuse(c, req->op, name, PROTO_E_RATE_LIMITED, "too many failed attempts; try again later",
               "another attempt for this name is in progress");
        return HELPERD_STEP_REPLY;
    }
    j->claim = st->delay;
    j->side = side;
    j->known = rec != NULL && !rec->locked;
    j->peer_uid = c->uid;
    j->req = *req; /* the request, secrets and all, moves into the job */
    memset(req, 0, sizeof *req);
    *job = j;
    return HELPERD_STEP_JOB;
}

/* A refused password (MUST 1): the failure is charged to the name and the
 * fixed answer waits out the delay. why is for the log only. */
static void
password_refused(const struct call *c, const struct helperd_job *job, const char *why)
{
    const char *name = job->req.username;
    const struct userdb_record *rec = c->st->db != NULL ? userdb_find(c->st->db, name) : NULL;
    int64_t until = helperd_delay_fail(c->st->delay, name, job->side, c->now->mono_ms);

    if (why == NULL && rec == NULL)
        why = userdb_name_is_malformed(c->st->db, name) ? "record malformed" : "unknown user";
    else if (why == NULL)
        why = rec->locked ? "user locked" : "wrong password";
    refuse(c, job->req.op, name, PROTO_E_INVALID_GRANT, BAD_CREDENTIALS, why);
    c->reply->not_before_ms = until;
}

static void
login_finish(const struct call *c, const struct helperd_job *job)
{
    struct helperd_state *st = c->st;
    const struct proto_request *req = &job->req;
    const struct userdb_record *rec;
    struct helperd_tokens_grant g;
    struct helperd_tokens_issued at, rt;
    struct proto_response resp;
    helperd_tokens_result tr;

    memset(&g, 0, sizeof g);
    memset(&at, 0, sizeof at);
    memset(&rt, 0, sizeof rt);
    memset(&resp, 0, sizeof resp);
    if (!files_usable(c, req->op, req->username))
        goto out;
    rec = userdb_find(st->db, req->username);
    if (rec == NULL || rec->locked || !hash_same(rec->hash, job->hash)) {
        password_refused(c, job, "record changed while the password was checked");
        goto out;
    }
    helperd_delay_success(st->delay, req->username, job->side);
    if (!signer_usable(c, req->op, req->username))
        goto out;
    if ((tr = helperd_tokens_grant_login(&st->params, rec, req->scope, c->now->unix_s, &g)) !=
            HELPERD_TOKENS_OK ||
        (tr = helperd_tokens_issue_access(st->signer, &st->params, &g, req->audience, st->rev,
                                          c->now->unix_s, &at)) != HELPERD_TOKENS_OK ||
        (tr = helperd_tokens_issue_refresh(st->secret, &st->params, rec, &g, st->rev,
                                           c->now->unix_s, &rt)) != HELPERD_TOKENS_OK) {
        refuse_tokens(c, req->op, req->username, tr, NULL);
        goto out;
    }
    count(st, HELPERD_C_LOGIN_OK);
    say(c, "login %s uid=%lu: ok (scope \"%s\", aud %s, access jti %s, refresh jti %s)",
        req->username, (unsigned long)c->uid, g.scope,
        req->audience != NULL ? req->audience : st->params.audience, at.jti, rt.jti);
    resp.access_token = at.token;
    resp.refresh_token = rt.token;
    resp.scope = g.scope;
    at.token = rt.token = g.scope = NULL; /* resp owns them now */
    resp.expires_in = at.exp - at.iat;
    reply_ok(c, &resp, PROTO_OP_LOGIN);
out:
    helperd_tokens_grant_clear(&g);
    helperd_tokens_issued_clear(&at);
    helperd_tokens_issued_clear(&rt);
    proto_response_clear(&resp);
}

/* Publishes name's revocation instant; refuses (server_error) and returns
 * false when the list cannot be written. done says what already happened. */
static bool
publish(const struct call *c, enum proto_op op, const char *name, const char *done)
{
    revocation_publish_result r;
    char desc[96], why[320];

    r = revocation_publish_keep(c->st->conf->revocation, c->st->daemon_uid, (uid_t)-1, (gid_t)-1,
                                name, c->now->unix_s, c->st->conf->revocation_keep);
    if (r == REVOCATION_PUBLISH_OK)
        return true;
    snprintf(desc, sizeof desc, "%s, but the revocation list was not updated", done);
    snprintf(why, sizeof why, "%s; revocation list not written: %s", done,
             revocation_publish_result_str(r));
    refuse(c, op, name, PROTO_E_SERVER_ERROR, desc, why);
    return false;
}

/* passwd's change under the users file's lock (MUST 3). */
struct passwd_change {
    const char *name;
    const char *old_hash; /* what the job checked the password against */
    const char *new_hash;
    int64_t now;
    bool stale;
    uint64_t gen; /* the new generation, for the log */
};

static userdb_result
passwd_apply(struct userdb *db, void *ctx)
{
    struct passwd_change *pc = ctx;
    struct userdb_record *rec = userdb_find_mut(db, pc->name);
    userdb_result r;

    /* gen at its maximum cannot grow: wrapping to 0 could revive old tokens. */
    if (rec == NULL || rec->locked || !hash_same(rec->hash, pc->old_hash) ||
        rec->gen == UINT64_MAX) {
        pc->stale = true;
        return USERDB_ERR_NOT_FOUND;
    }
    if ((r = userdb_record_set_hash(rec, pc->new_hash)) != USERDB_OK)
        return r;
    rec->gen++;
    rec->changed = pc->now;
    pc->gen = rec->gen;
    return USERDB_OK;
}

static void
passwd_finish(const struct call *c, const struct helperd_job *job)
{
    struct helperd_state *st = c->st;
    const char *name = job->req.username;
    struct passwd_change pc = {name, job->hash, job->new_hash, c->now->unix_s, false, 0};
    struct proto_response resp;
    size_t bad_line = 0;
    userdb_result r;

    memset(&resp, 0, sizeof resp);
    if (!files_usable(c, PROTO_OP_PASSWD, name))
        return;
    errno = 0;
    r = userdb_update(st->conf->users, st->daemon_uid, (uid_t)-1, (gid_t)-1, passwd_apply, &pc,
                      &bad_line);
    if (pc.stale) {
        password_refused(c, job, "record changed while the password was checked");
        return;
    }
    if (r != USERDB_OK) {
        refuse_write(c, PROTO_OP_PASSWD, name, r, bad_line);
        return;
    }
    helperd_delay_success(st->delay, name, job->side);
    /* Access tokens issued before now die where revocation= is set. */
    if (!publish(c, PROTO_OP_PASSWD, name, "password changed"))
        return;
    count(st, HELPERD_C_PASSWD_OK);
    say(c, "passwd %s uid=%lu: ok (gen %llu; earlier tokens revoked)", name, (unsigned long)c->uid,
        (unsigned long long)pc.gen);
    reply_ok(c, &resp, PROTO_OP_PASSWD);
}

/* ---- refresh and logout: answered at once ---- */

/* Opens and binds a refresh token (MUST 4 on the way); on failure the
 * reply is made and false returned. rt and g are the caller's to clear. */
static bool
refresh_check(const struct call *c, enum proto_op op, const struct proto_request *req,
              const char *scope, struct helperd_tokens_refresh *rt, struct helperd_tokens_grant *g)
{
    struct helperd_state *st = c->st;
    helperd_tokens_result tr;

    tr = helperd_tokens_refresh_open(st->secret, &st->params, req->refresh_token,
                                     strlen(req->refresh_token), c->now->unix_s, rt);
    if (tr != HELPERD_TOKENS_OK) {
        refuse_tokens(c, op, NULL, tr, NULL);
        return false;
    }
    if (!files_usable(c, op, rt->sub))
        return false;
    tr = helperd_tokens_refresh_bind(st->secret, rt, userdb_find(st->db, rt->sub), st->rev, scope,
                                     g);
    if (tr != HELPERD_TOKENS_OK) {
        refuse_tokens(c, op, rt->sub, tr, rt->jti);
        return false;
    }
    return true;
}

static void
handle_refresh(const struct call *c, const struct proto_request *req)
{
    struct helperd_state *st = c->st;
    struct helperd_tokens_refresh rt;
    struct helperd_tokens_grant g;
    struct helperd_tokens_issued at;
    struct proto_response resp;
    helperd_tokens_result tr;

    memset(&rt, 0, sizeof rt);
    memset(&g, 0, sizeof g);
    memset(&at, 0, sizeof at);
    memset(&resp, 0, sizeof resp);
    if (!refresh_check(c, PROTO_OP_REFRESH, req, req->scope, &rt, &g) ||
        !signer_usable(c, PROTO_OP_REFRESH, rt.sub))
        goto out;
    tr = helperd_tokens_issue_access(st->signer, &st->params, &g, req->audience, st->rev,
                                     c->now->unix_s, &at);
    if (tr != HELPERD_TOKENS_OK) {
        refuse_tokens(c, PROTO_OP_REFRESH, rt.sub, tr, rt.jti);
        goto out;
    }
    count(st, HELPERD_C_REFRESH_OK);
    say(c, "refresh %s uid=%lu: ok (scope \"%s\", aud %s, refresh jti %s, access jti %s)", rt.sub,
        (unsigned long)c->uid, g.scope, req->audience != NULL ? req->audience : st->params.audience,
        rt.jti, at.jti);
    resp.access_token = at.token;
    resp.scope = g.scope;
    at.token = g.scope = NULL;
    resp.expires_in = at.exp - at.iat;
    reply_ok(c, &resp, PROTO_OP_REFRESH);
out:
    helperd_tokens_refresh_clear(&rt);
    helperd_tokens_grant_clear(&g);
    helperd_tokens_issued_clear(&at);
    proto_response_clear(&resp);
}

/* logout all's change: the generation the token was checked against is
 * still the record's, and grows by one (every refresh token dies). */
struct gen_bump {
    const char *name;
    uint64_t gen;
    bool stale;
};

static userdb_result
gen_bump_apply(struct userdb *db, void *ctx)
{
    struct gen_bump *gb = ctx;
    struct userdb_record *rec = userdb_find_mut(db, gb->name);

    if (rec == NULL || rec->gen != gb->gen || rec->gen == UINT64_MAX) {
        gb->stale = true;
        return USERDB_ERR_NOT_FOUND;
    }
    rec->gen++;
    return USERDB_OK;
}

/* Returns true when done; else the reply is made. */
static bool
logout_everywhere(const struct call *c, const struct helperd_tokens_refresh *rt)
{
    struct gen_bump gb = {rt->sub, rt->gen, false};
    size_t bad_line = 0;
    userdb_result r;

    errno = 0;
    r = userdb_update(c->st->conf->users, c->st->daemon_uid, (uid_t)-1, (gid_t)-1, gen_bump_apply,
                      &gb, &bad_line);
    if (gb.stale) {
        refuse_tokens(c, PROTO_OP_LOGOUT, rt->sub, HELPERD_TOKENS_ERR_STALE, rt->jti);
        return false;
    }
    if (r != USERDB_OK) {
        refuse_write(c, PROTO_OP_LOGOUT, rt->sub, r, bad_line);
        return false;
    }
    return publish(c, PROTO_OP_LOGOUT, rt->sub, "logged out everywhere");
}

static void
handle_logout(const struct call *c, const struct proto_request *req)
{
    struct helperd_tokens_refresh rt;
    struct helperd_tokens_grant g;
    struct proto_response resp;

    memset(&rt, 0, sizeof rt);
    memset(&g, 0, sizeof g);
    memset(&resp, 0, sizeof resp);
    /* Only the holder of a live refresh token may end its sessions. */
    if (!refresh_check(c, PROTO_OP_LOGOUT, req, NULL, &rt, &g))
        goto out;
    if (req->all && !logout_everywhere(c, &rt))
        goto out;
    count(c->st, HELPERD_C_LOGOUT);
    say(c, "logout %s uid=%lu: ok (%s; refresh jti %s)", rt.sub, (unsigned long)c->uid,
        req->all ? "every session: gen bumped, tokens revoked" : "this session: client forgets",
        rt.jti);
    reply_ok(c, &resp, PROTO_OP_LOGOUT);
out:
    helperd_tokens_refresh_clear(&rt);
    helperd_tokens_grant_clear(&g);
}

/* ---- jwks and status ---- */

static void
handle_jwks(const struct call *c)
{
    struct proto_response resp;

    memset(&resp, 0, sizeof resp);
    resp.keys = json_object_get(c->st->jwks_keys);
    say(c, "jwks uid=%lu: ok", (unsigned long)c->uid);
    reply_ok(c, &resp, PROTO_OP_JWKS);
}

static void
handle_status(const struct call *c)
{
    const struct helperd_state *st = c->st;
    struct proto_response resp;

    if (c->uid != 0) {
        refuse(c, PROTO_OP_STATUS, NULL, PROTO_E_INVALID_REQUEST, "status is for root only",
               "not root");
        return;
    }
    memset(&resp, 0, sizeof resp);
    if ((resp.version = strdup(PACKAGE_VERSION)) == NULL ||
        (resp.signing_kid = strdup(signer_kid(st->signer))) == NULL ||
        (resp.signing_alg = strdup(jwt_alg_name(signer_alg(st->signer)))) == NULL) {
        proto_response_clear(&resp);
        count(c->st, HELPERD_C_SERVER_ERROR);
        reply_oom(c->reply);
        return;
    }
    resp.uptime = c->now->unix_s > st->started ? c->now->unix_s - st->started : 0;
    for (int i = 0; i < HELPERD_C_COUNT && i < PROTO_MAX_COUNTERS; i++) {
        snprintf(resp.counters[i].name, sizeof resp.counters[i].name, "%s",
                 helperd_counter_name((enum helperd_counter)i));
        resp.counters[i].value = st->counters[i] > 0 ? st->counters[i] : 0;
        resp.n_counters++;
    }
    say(c, "status uid=%lu: ok", (unsigned long)c->uid);
    reply_ok(c, &resp, PROTO_OP_STATUS);
}

/* ---- entry points ---- */

enum helperd_step
helperd_handle_line(struct helperd_state *st, const struct helperd_peer *peer, const char *line,
                    size_t len, const struct helperd_now *now, helperd_report_fn report, void *ctx,
                    struct helperd_reply *reply, struct helperd_job **job)
{
    struct call c = {st, peer->uid, now, report, ctx, reply};
    struct proto_request req;
    enum helperd_step step = HELPERD_STEP_REPLY;
    proto_result r;

    memset(reply, 0, sizeof *reply);
    *job = NULL;
    count(st, HELPERD_C_REQUESTS); /* every line gets exactly one answer */
    /* Key files first: jwks and status answer from what is on disk now
     * (jwt-helper keys activate waits for status to name the new key). */
    helperd_state_sync(st, report, ctx);
    if ((r = proto_request_decode(line, len, &req)) != PROTO_OK) {
        refuse_decode(&c, r, &req);
        goto out;
    }
    switch (req.op) {
    case PROTO_OP_LOGIN:
    case PROTO_OP_PASSWD:
        step = password_start(&c, &req, job);
        break;
    case PROTO_OP_REFRESH:
        handle_refresh(&c, &req);
        break;
    case PROTO_OP_LOGOUT:
        handle_logout(&c, &req);
        break;
    case PROTO_OP_JWKS:
        handle_jwks(&c);
        break;
    case PROTO_OP_STATUS:
        handle_status(&c);
        break;
    default:
        refuse(&c, PROTO_OP_COUNT, NULL, PROTO_E_UNSUPPORTED_OP, "unsupported op", "no handler");
        break;
    }
out:
    proto_request_clear(&req);
    return step;
}

void
helperd_handle_finish(struct helperd_state *st, struct helperd_job *job,
                      const struct helperd_now *now, helperd_report_fn report, void *ctx,
                      struct helperd_reply *reply)
{
    struct call c = {st, job != NULL ? job->peer_uid : (uid_t)-1, now, report, ctx, reply};

    memset(reply, 0, sizeof *reply);
    if (job == NULL) {
        reply_oom(reply);
        return;
    }
    if (job->failed)
        refuse(&c, job->req.op, job->req.username, PROTO_E_SERVER_ERROR, "internal error",
               "password hashing failed (out of memory)");
    else if (!job->password_ok)
        password_refused(&c, job, NULL);
    else if (job->req.op == PROTO_OP_LOGIN)
        login_finish(&c, job);
    else
        passwd_finish(&c, job);
    helperd_job_free(job);
}
