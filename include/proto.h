/* SPDX-License-Identifier: MIT */
/* jwt-helperd's wire protocol v1 (jwt-helperd(8), PROTOCOL): the line codec shared by the
 * daemon and its clients, and the client that talks to the daemon's socket. */
#ifndef PAM_JWT_PROTO_H
#define PAM_JWT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jwt.h"

struct json_object;

#define PROTO_MUST_CHECK __attribute__((warn_unused_result))

/* A protocol line: one JSON object, UTF-8, ended by "\n"; at most this many
 * bytes with the newline (jwt-helperd(8), PROTOCOL). */
#define PROTO_MAX_LINE 65536
/* Per-field caps, checked on decode and on encode alike. */
#define PROTO_MAX_PASSWORD 1024                   /* bytes of UTF-8 */
#define PROTO_MAX_SCOPE 1024                      /* RFC 6749 §3.3 scope string */
#define PROTO_MAX_AUDIENCE 255                    /* visible ASCII, e.g. "host:example.org" */
#define PROTO_MAX_TOKEN JWT_DEFAULT_MAX_TOKEN_LEN /* access and refresh tokens */
#define PROTO_MAX_DESCRIPTION 512                 /* error_description */
#define PROTO_MAX_VERSION 64                      /* status "version" */
#define PROTO_MAX_KID 255                         /* status "signing_kid", "signing_alg" */
#define PROTO_MAX_COUNTERS 64                     /* status "counters" members */
#define PROTO_COUNTER_NAME_MAX 32                 /* [a-z0-9_]{1,32} */

#define PROTO_DEFAULT_SOCKET "/run/jwt-helper/socket"
#define PROTO_DEFAULT_TIMEOUT_MS 10000

/* Every outcome of the codec and the client, each with a short reason
 * (proto_result_str). The daemon maps decode results to wire errors in its
 * request handler: PROTO_ERR_UNSUPPORTED_OP is "unsupported_op",
 * PROTO_ERR_NOMEM "server_error", every other decode failure
 * "invalid_request". The order of the enum is not an API. */
typedef enum {
    PROTO_OK = 0,
    PROTO_ERR_NOMEM,          /* "out of memory" */
    PROTO_ERR_TOO_LONG,       /* "line too long" (over PROTO_MAX_LINE with its newline) */
    PROTO_ERR_NO_NEWLINE,     /* "line not terminated" (no "\n" at its end, or one inside) */
    PROTO_ERR_JSON,           /* "malformed JSON" (strict scanner, or not an object) */
    PROTO_ERR_INVALID,        /* "invalid message" (member missing, extra, of wrong type, bad) */
    PROTO_ERR_UNSUPPORTED_OP, /* "unsupported op" (op is a string naming no v1 op) */
    PROTO_ERR_UNREACHABLE,    /* "daemon unreachable" (no socket, no listener, backlog full) */
    PROTO_ERR_UNTRUSTED_PEER, /* "untrusted peer" (socket owner is not root or the daemon) */
    PROTO_ERR_TIMEOUT,        /* "timed out" */
    PROTO_ERR_CLOSED,         /* "connection closed early" (before a whole response line) */
    PROTO_ERR_IO,             /* "I/O error" (errno kept) */
    PROTO_RESULT_COUNT
} proto_result;

/* Returns a static string naming r; never NULL. */
const char *proto_result_str(proto_result r);

/* The v1 operations. Their wire names are proto_op_name's. */
enum proto_op {
    PROTO_OP_LOGIN,
    PROTO_OP_REFRESH,
    PROTO_OP_LOGOUT,
    PROTO_OP_PASSWD,
    PROTO_OP_JWKS,
    PROTO_OP_STATUS,
    PROTO_OP_COUNT
};

/* Returns the wire name of op ("login", ...), or NULL for a value out of range. */
const char *proto_op_name(enum proto_op op);

/* The failure codes of a response (jwt-helperd(8), PROTOCOL), RFC 6749 §5.2 style. */
enum proto_error {
    PROTO_E_INVALID_REQUEST, /* "invalid_request" */
    PROTO_E_INVALID_GRANT,   /* "invalid_grant" */
    PROTO_E_UNSUPPORTED_OP,  /* "unsupported_op" */
    PROTO_E_RATE_LIMITED,    /* "rate_limited" */
    PROTO_E_SERVER_ERROR,    /* "server_error" */
    PROTO_E_COUNT
};

/* Returns the wire string of e, or NULL for a value out of range. */
const char *proto_error_str(enum proto_error e);

/* Detail of a refused message: a static-shaped text naming the member at
 * fault but never echoing a value or an unknown member name, so the daemon
 * may send it as error_description and either side may log it. */
#define PROTO_DETAIL_LEN 96

/*
 * A request. Which members an op takes (jwt-helperd(8), PROTOCOL; anything else in
 * the line is refused, unknown members included, so that a misspelt
 * optional member is an error rather than silently ignored):
 *   login    username, password; optional scope, audience
 *   refresh  refresh_token; optional scope, audience
 *   logout   refresh_token; optional all (a JSON boolean)
 *   passwd   username, old_password, new_password
 *   jwks, status  nothing
 * Values: username per jwt_user_name_is_valid; password, old_password and
 * new_password 1..PROTO_MAX_PASSWORD bytes of UTF-8 (no NUL); scope an
 * RFC 6749 §3.3 scope (scope-tokens of %x21 / %x23-5B / %x5D-7E separated
 * by single spaces) of at most PROTO_MAX_SCOPE bytes; audience 1..
 * PROTO_MAX_AUDIENCE bytes of visible ASCII (%x21-7E); refresh_token
 * 1..PROTO_MAX_TOKEN bytes of the JWS compact alphabet (base64url and ".").
 * Every string is NUL-terminated with no NUL inside. Absent optional strings
 * are NULL. password, old_password, new_password and refresh_token are
 * secrets: proto_request_clear wipes them.
 */
struct proto_request {
    enum proto_op op;
    char *username;
    char *password;
    char *scope;
    char *audience;
    char *refresh_token;
    bool all;
    char *old_password;
    char *new_password;
    char detail[PROTO_DETAIL_LEN]; /* set by decode/encode on failure, else "" */
};

/* Decodes one request line line[0..len), which must hold the whole line
 * with its "\n" and nothing after it. Checks, in order: len <= PROTO_MAX_LINE
 * (PROTO_ERR_TOO_LONG, before any look at the bytes); a "\n" at the end and
 * nowhere else (PROTO_ERR_NO_NEWLINE); strict JSON object by
 * jwt_json_parse_object, i.e. valid UTF-8, no duplicate member, nothing but
 * JSON whitespace around the object (PROTO_ERR_JSON); "op" present and a
 * string (PROTO_ERR_INVALID) naming a v1 op (PROTO_ERR_UNSUPPORTED_OP); then
 * each member's presence, type and value as above (PROTO_ERR_INVALID).
 * out is cleared first; on PROTO_OK it owns copies of the values (free with
 * proto_request_clear), on failure it holds nothing but out->detail (and
 * out->op once the op is known). Every string json-c held is wiped before
 * it is freed; the line itself is the caller's to wipe. */
proto_result proto_request_decode(const char *line, size_t len,
                                  struct proto_request *out) PROTO_MUST_CHECK;

/* Encodes req as one line: checks it by the same rules as decode
 * (PROTO_ERR_INVALID with req->detail set — req is otherwise untouched),
 * then returns PROTO_OK with *out malloc'd, NUL-terminated and ending in
 * "\n", *out_len its length with the newline; PROTO_ERR_TOO_LONG when the
 * line would exceed PROTO_MAX_LINE; PROTO_ERR_NOMEM. The line holds secrets:
 * the caller frees it with secret_free(*out, *out_len). Members are written
 * in a fixed order, "op" first; optional members only when set (all only
 * when true). */
proto_result proto_request_encode(struct proto_request *req, char **out,
                                  size_t *out_len) PROTO_MUST_CHECK;

/* Wipes the secrets of req, frees every string and zeroes it (NULL is a
 * no-op); it may be decoded into again. Requests built by hand for encode
 * need not be cleared with this: the caller owns those strings. */
void proto_request_clear(struct proto_request *req);

/* One status counter: a name of [a-z0-9_]{1,PROTO_COUNTER_NAME_MAX} and a
 * value >= 0. */
struct proto_counter {
    char name[PROTO_COUNTER_NAME_MAX + 1];
    int64_t value;
};

/*
 * A response. ok false: error and error_description (1..
 * PROTO_MAX_DESCRIPTION bytes of RFC 6749 §5.2's %x20-21 / %x23-5B /
 * %x5D-7E) and nothing else. ok true: the members of the op it answers and
 * nothing else:
 *   login    access_token, refresh_token, token_type ("Bearer" on the wire,
 *            implied here), expires_in, scope
 *   refresh  access_token, expires_in, scope
 *   logout, passwd  nothing
 *   jwks     keys (a JSON array of objects: the public JWK Set's "keys")
 *   status   version (1..PROTO_MAX_VERSION bytes of %x20-7E), uptime
 *            (seconds), counters (an object of at most PROTO_MAX_COUNTERS
 *            integer members), signing_kid and signing_alg (the key the
 *            daemon signs access tokens with now: 1..PROTO_MAX_KID bytes of
 *            %x21-7E each; jwt-helper keys activate and prune ask for it)
 * Tokens as in a request; expires_in and uptime are integers >= 0; scope an
 * RFC 6749 §3.3 scope. access_token and refresh_token are secrets.
 */
struct proto_response {
    bool ok;
    enum proto_error error;
    char *error_description;
    char *access_token;
    char *refresh_token;
    int64_t expires_in;
    char *scope;
    struct json_object *keys; /* owned; the response's reference */
    char *version;
    int64_t uptime;
    struct proto_counter counters[PROTO_MAX_COUNTERS];
    size_t n_counters;
    char *signing_kid;
    char *signing_alg;
    char detail[PROTO_DETAIL_LEN]; /* set by decode/encode on failure, else "" */
};

/* Decodes one response line line[0..len) answering a request of op: the
 * same line rules and results as proto_request_decode (an "ok" member that
 * is missing or not a boolean, an unknown error code, a member the answer
 * to op does not carry: PROTO_ERR_INVALID). out is cleared first; on
 * PROTO_OK it owns its values (proto_response_clear); on failure it holds
 * only out->detail. json-c's copies of the strings are wiped before they
 * are freed (keys excepted: public); the line is the caller's to wipe. */
proto_result proto_response_decode(const char *line, size_t len, enum proto_op op,
                                   struct proto_response *out) PROTO_MUST_CHECK;

/* Encodes resp, answering a request of op, as one line: checks it by the
 * decode rules (PROTO_ERR_INVALID, resp->detail set), then PROTO_OK with
 * *out malloc'd, NUL-terminated, ending in "\n", *out_len its length;
 * PROTO_ERR_TOO_LONG past PROTO_MAX_LINE; PROTO_ERR_NOMEM. The line may
 * hold tokens: free it with secret_free(*out, *out_len). op is ignored
 * when resp->ok is false. */
proto_result proto_response_encode(struct proto_response *resp, enum proto_op op, char **out,
                                   size_t *out_len) PROTO_MUST_CHECK;

/* Sets resp to a failure with code e and description desc (copied; a
 * static string of the daemon's, never user input). Returns PROTO_OK,
 * PROTO_ERR_INVALID when desc breaks the rules above, or PROTO_ERR_NOMEM.
 * resp is cleared first. */
proto_result proto_response_set_error(struct proto_response *resp, enum proto_error e,
                                      const char *desc) PROTO_MUST_CHECK;

/* Wipes the tokens of resp, frees every member and zeroes it (NULL is a
 * no-op). */
void proto_response_clear(struct proto_response *resp);

/* ---- the client (proto_client.c) ---- */

/* Where and whom to ask. Zero-initialised fields take the defaults. */
struct proto_client {
    const char *socket_path; /* NULL: PROTO_DEFAULT_SOCKET */
    const char *daemon_user; /* NULL: JWT_DAEMON_USER, looked up with jwt_user_find */
    long extra_uid;          /* >= 0: also trust this uid (tests pass geteuid()); < 0: none */
    int timeout_ms;          /* whole exchange; <= 0: PROTO_DEFAULT_TIMEOUT_MS */
};

/* Connects to c->socket_path (SOCK_STREAM, SOCK_CLOEXEC) and checks with
 * SO_PEERCRED that the listening process runs as root, as c->daemon_user
 * (when that user exists) or as c->extra_uid: nothing is sent to anyone
 * else, since the first line may carry a password. Returns PROTO_OK with
 * *fd set (the caller closes it); PROTO_ERR_UNREACHABLE for ENOENT,
 * ECONNREFUSED or EAGAIN (backlog full) with errno kept;
 * PROTO_ERR_UNTRUSTED_PEER; PROTO_ERR_INVALID for a path that does not fit
 * sun_path; PROTO_ERR_IO (errno kept) or PROTO_ERR_NOMEM otherwise. */
proto_result proto_client_connect(const struct proto_client *c, int *fd) PROTO_MUST_CHECK;

/* Sends req on fd and reads one response line within timeout_ms (<= 0:
 * the default) in all, then decodes it as an answer to req->op. Returns
 * PROTO_OK with *resp filled (resp->ok says whether the daemon granted it;
 * free with proto_response_clear); PROTO_ERR_INVALID when req itself breaks
 * the rules (req->detail says why); PROTO_ERR_TIMEOUT; PROTO_ERR_CLOSED
 * when the peer closes before a whole line; PROTO_ERR_TOO_LONG when no
 * newline comes within PROTO_MAX_LINE bytes; any decode failure of
 * proto_response_decode (resp->detail says why); PROTO_ERR_IO (errno kept).
 * Bytes after the response's newline are ignored. Every buffer that held
 * the request or the response line is wiped. */
proto_result proto_client_exchange(int fd, struct proto_request *req, int timeout_ms,
                                   struct proto_response *resp) PROTO_MUST_CHECK;

/* proto_client_connect, proto_client_exchange with c->timeout_ms, close.
 * Returns what the failing step returned. */
proto_result proto_client_call(const struct proto_client *c, struct proto_request *req,
                               struct proto_response *resp) PROTO_MUST_CHECK;

#endif
