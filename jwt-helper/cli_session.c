/* SPDX-License-Identifier: MIT */
/* The session verbs: login, token, logout and passwd, through jwt-helperd. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "cli.h"
#include "cli_client.h"
#include "cli_session.h"
#include "cli_store.h"
#include "jwt.h"
#include "proto.h"
#include "secret.h"

/*
 * MUST:
 * 1. Tokens and passwords go to the daemon and to the state directory
 *    only; stdout carries nothing but the token `token` prints, stderr
 *    nothing secret.
 * 2. A refresh token the daemon calls invalid_grant is removed with every
 *    cached access token: keeping it would only fail again later.
 * 3. Nothing is stored after a refused login.
 * 4. `token` and jwt-askpass get exactly the scope and audience they ask
 *    for or nothing: a cached token is reused only when its claims match
 *    the request, and a refused request is never retried broader.
 */

/* ---- options shared by the verbs ---- */

struct session_args {
    const char *socket;
    const char *user;
    const char *scope;
    const char *audience;
    int password_stdin;
    int all;
    int help;
};

enum { OPT_SOCKET = 256, OPT_CONFIG, OPT_SCOPE, OPT_AUDIENCE, OPT_PW_STDIN, OPT_ALL };

/* Parses argv (argv[0] the verb) for the options in allowed (a string of
 * 'u', 's' scope, 'a' audience, 'p' --password-stdin, 'A' --all);
 * --socket, --config (read by other verbs, ignored here) and --help are
 * always accepted. No positional argument is. Returns 0 or -1. */
static int
parse_session_args(int argc, char **argv, const char *allowed, struct session_args *a)
{
    static const struct option longopts[] = {
        {"socket", required_argument, NULL, OPT_SOCKET},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"scope", required_argument, NULL, OPT_SCOPE},
        {"audience", required_argument, NULL, OPT_AUDIENCE},
        {"password-stdin", no_argument, NULL, OPT_PW_STDIN},
        {"all", no_argument, NULL, OPT_ALL},
        {"user", required_argument, NULL, 'u'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;

    memset(a, 0, sizeof(*a));
    optind = 1;
    while ((opt = getopt_long(argc, argv, "+u:h", longopts, NULL)) != -1) {
        if (opt == OPT_SOCKET)
            a->socket = optarg;
        else if (opt == OPT_CONFIG)
            continue;
        else if (opt == 'h')
            a->help = 1;
        else if (opt == 'u' && strchr(allowed, 'u') != NULL)
            a->user = optarg;
        else if (opt == OPT_SCOPE && strchr(allowed, 's') != NULL)
            a->scope = optarg;
        else if (opt == OPT_AUDIENCE && strchr(allowed, 'a') != NULL)
            a->audience = optarg;
        else if (opt == OPT_PW_STDIN && strchr(allowed, 'p') != NULL)
            a->password_stdin = 1;
        else if (opt == OPT_ALL && strchr(allowed, 'A') != NULL)
            a->all = 1;
        else
            return -1;
    }
    return optind == argc ? 0 : -1;
}

/* Returns the user to act for: -u USER, else the real uid's login name,
 * checked against jwt-helperd(8)'s user name grammar; NULL after printing why. */
static const char *
session_user(const char *given)
{
    const char *name = given;
    struct passwd *pw;

    if (name == NULL) {
        pw = getpwuid(getuid());
        if (pw == NULL || pw->pw_name == NULL) {
            fprintf(stderr, "jwt-helper: who are you? (no passwd entry; use -u USER)\n");
            return NULL;
        }
        name = pw->pw_name;
    }
    if (!jwt_user_name_is_valid(name, strlen(name))) {
        fprintf(stderr, "jwt-helper: \"");
        cli_print_escaped(stderr, name);
        fprintf(stderr, "\" is not a valid user name\n");
        return NULL;
    }
    return name;
}

/* Opens the state directory; a missing one means "not logged in". */
static int
store_open_existing(struct cli_store *st)
{
    int r = cli_store_open(st, false);

    if (r == 1)
        fprintf(stderr, "jwt-helper: not logged in: run jwt-helper login\n");
    return r == 0 ? CLI_EXIT_OK : r == 1 ? CLI_EXIT_REJECTED : CLI_EXIT_CONFIG;
}

/* Reads the refresh token. Returns CLI_EXIT_OK, or the exit code after
 * printing why (no session, a damaged file, an unsafe one). */
static int
refresh_token_read(const struct cli_store *st, char **tok, size_t *len)
{
    switch (cli_store_read(st, CLI_STORE_REFRESH, tok, len)) {
    case 0:
        return CLI_EXIT_OK;
    case 1:
        fprintf(stderr, "jwt-helper: not logged in: run jwt-helper login\n");
        return CLI_EXIT_REJECTED;
    case 2:
        fprintf(stderr, "jwt-helper: the stored refresh token is damaged: run jwt-helper login\n");
        return CLI_EXIT_REJECTED;
    default:
        return CLI_EXIT_CONFIG;
    }
}

/* ---- reading claims without verifying (our own tokens, for housekeeping) ---- */

/* Wipes the string members of a payload object (the refresh token's pwb). */
static void
payload_wipe(struct json_object *obj)
{
    json_object_object_foreach(obj, key, val)
    {
        (void)key;
        if (json_object_is_type(val, json_type_string))
            sodium_memzero((void *)(uintptr_t)json_object_get_string(val),
                           (size_t)json_object_get_string_len(val));
    }
}

/* Parses tok's payload, which is not verified: the daemon does that, and
 * these are our own tokens from our own directory. Returns 0 with *obj
 * set (give it to payload_close), or -1 when it does not parse. */
static int
payload_open(const char *tok, size_t len, struct json_object **obj)
{
    const char *dot1 = tok != NULL ? memchr(tok, '.', len) : NULL, *dot2;
    unsigned char *payload = NULL;
    size_t plen = 0;
    int rc = -1;

    *obj = NULL;
    if (dot1 == NULL || (dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - tok))) == NULL)
        return -1;
    if (jwt_b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &payload, &plen) != JWT_OK)
        return -1;
    if (jwt_json_parse_object((const char *)payload, plen, obj) == JWT_OK)
        rc = 0;
    secret_free(payload, plen);
    return rc;
}

static void
payload_close(struct json_object *obj)
{
    if (obj != NULL)
        payload_wipe(obj);
    json_object_put(obj);
}

/* Copies tok's sub into sub[0..sub_size). Returns 0, or -1 when the token
 * does not parse or has no sub that fits and is a valid user name (so it
 * may be printed as it is). */
static int
peek_subject(const char *tok, size_t len, char *sub, size_t sub_size)
{
    struct json_object *obj = NULL;
    const char *s = NULL;
    int rc = -1;

    if (payload_open(tok, len, &obj) != 0)
        return -1;
    if (jwt_json_get_string(obj, "sub", &s) == 1 && strlen(s) < sub_size &&
        jwt_user_name_is_valid(s, strlen(s))) {
        memcpy(sub, s, strlen(s) + 1);
        rc = 0;
    }
    payload_close(obj);
    return rc;
}

/* True when every space-separated word of a is a word of b. */
static bool
words_within(const char *a, const char *b)
{
    const char *w = a;

    while (*w != '\0') {
        size_t n = strcspn(w, " ");
        bool found = false;
        for (const char *v = b; *v != '\0' && !found;) {
            size_t m = strcspn(v, " ");
            found = m == n && strncmp(v, w, n) == 0;
            v += m + (v[m] == ' ');
        }
        if (n > 0 && !found)
            return false;
        w += n + (w[n] == ' ');
    }
    return true;
}

/* True when the cached token's payload grants exactly what r asks: the
 * same scope words (the daemon orders them its own way) and aud equal to
 * the audience, where r names them (MUST 4). */
static bool
cache_fits(const struct json_object *obj, const struct cli_token_request *r)
{
    const struct json_object *aud = NULL;
    const char *scope = NULL;

    if (r->scope != NULL && (jwt_json_get_string(obj, "scope", &scope) != 1 ||
                             !words_within(scope, r->scope) || !words_within(r->scope, scope)))
        return false;
    if (r->audience == NULL)
        return true;
    /* Our daemon issues one audience, as a string; an array holding more
     * than the one asked for is broader than asked. */
    if (jwt_json_get_string_or_array(obj, "aud", &aud) != 1 ||
        (json_object_is_type(aud, json_type_array) && json_object_array_length(aud) != 1))
        return false;
    return jwt_json_strings_contain(aud, r->audience);
}

/* ---- token ---- */

/* True when tok grants exactly what r asks (cache_fits) and has more than
 * min_left seconds left. */
static bool
token_fits(const char *tok, size_t len, const struct cli_token_request *r, int64_t min_left)
{
    struct json_object *obj = NULL;
    int64_t exp = 0;
    bool fits = payload_open(tok, len, &obj) == 0 && jwt_json_get_int64(obj, "exp", &exp) == 1 &&
                exp - (int64_t)time(NULL) > min_left && cache_fits(obj, r);

    payload_close(obj);
    return fits;
}

/* The cached token for r in file name when it fits r and has more than
 * CLI_TOKEN_MIN_LEFT seconds left. Returns 0 with *tok set, 1 when there
 * is none worth using, or the exit code (> 1) of a store that cannot be
 * read safely. */
static int
cache_lookup(const struct cli_store *st, const char *name, const struct cli_token_request *r,
             char **tok, size_t *len)
{
    int rc = cli_store_read(st, name, tok, len);

    if (rc == 1 || rc == 2)
        return 1; /* none, or damaged: a refresh replaces it */
    if (rc != 0)
        return CLI_EXIT_CONFIG;
    if (token_fits(*tok, *len, r, CLI_TOKEN_MIN_LEFT))
        return 0;
    secret_free(*tok, *len);
    *tok = NULL;
    *len = 0;
    return 1;
}

/* The refresh token is dead: forget the session. */
static int
session_ended(const struct cli_store *st, const struct proto_response *resp)
{
    (void)cli_store_remove_all(st);
    fprintf(stderr, "jwt-helper: session ended (");
    cli_print_escaped(stderr, resp->error_description != NULL ? resp->error_description
                                                              : "refresh token refused");
    fprintf(stderr, "): run jwt-helper login\n");
    return CLI_EXIT_REJECTED;
}

/* The daemon refused the scope or the audience r asked for (its
 * helperd_tokens_result_str texts): says which, and what an administrator
 * can change. Nothing broader is asked for instead (MUST 4). Returns false
 * for any other refusal, printing nothing. */
static bool
explain_refusal(const struct cli_token_request *r, const struct proto_response *resp,
                const char *user)
{
    const char *why = resp->error_description != NULL ? resp->error_description : "";

    if (resp->error != PROTO_E_INVALID_REQUEST)
        return false;
    if (r->scope != NULL && strcmp(why, "scope not granted") == 0) {
        fprintf(stderr, "jwt-helper: no token: jwt-helperd does not grant scope \"");
        cli_print_escaped(stderr, r->scope);
        fprintf(stderr,
                "\" to %s: an administrator can run jwt-helper usermod %s --scopes LIST "
                "(LIST including it), then log in again\n",
                user, user);
        return true;
    }
    if (r->audience != NULL && strcmp(why, "audience not allowed") == 0) {
        fprintf(stderr, "jwt-helper: no token: audience \"");
        cli_print_escaped(stderr, r->audience);
        fprintf(stderr, "\" is not in jwt-helperd's audiences: an administrator can add it to "
                        "`audiences` in jwt-helperd.conf\n");
        return true;
    }
    return false;
}

/* Prints why a refresh for r was refused; returns the exit code. */
static int
refresh_refused(const struct cli_store *st, const struct cli_token_request *r,
                const struct proto_request *req, proto_result pr, const struct proto_response *resp)
{
    char user[JWT_USER_NAME_MAX + 1] = "";

    if (pr == PROTO_OK && resp->error == PROTO_E_INVALID_GRANT)
        return session_ended(st, resp);
    if (pr == PROTO_OK &&
        peek_subject(req->refresh_token, strlen(req->refresh_token), user, sizeof(user)) == 0 &&
        explain_refusal(r, resp, user))
        return CLI_EXIT_REJECTED;
    return cli_daemon_failure(r->socket_path, "token", pr, req, resp);
}

/* Asks the daemon for an access token for exactly r with the stored
 * refresh token. Returns 0 with *tok set, else the exit code after
 * printing why. */
static int
token_refresh(const struct cli_store *st, const struct cli_token_request *r, char **tok,
              size_t *len)
{
    struct proto_request req = {.op = PROTO_OP_REFRESH};
    struct proto_response resp = {0};
    size_t rt_len = 0;
    proto_result pr;
    int rc;

    if ((rc = refresh_token_read(st, &req.refresh_token, &rt_len)) != CLI_EXIT_OK)
        return rc;
    req.scope = (char *)(uintptr_t)r->scope;
    req.audience = (char *)(uintptr_t)r->audience;
    pr = cli_daemon_call(r->socket_path, &req, &resp);
    if (pr == PROTO_OK && resp.ok && resp.access_token != NULL) {
        *tok = resp.access_token;
        *len = strlen(resp.access_token);
        resp.access_token = NULL; /* the caller's now */
        rc = 0;
    } else {
        rc = refresh_refused(st, r, &req, pr, &resp);
    }
    secret_free(req.refresh_token, rt_len);
    proto_response_clear(&resp);
    return rc;
}

/* The cache for r, else a refresh, which is then cached. */
static int
token_obtain(const struct cli_store *st, const struct cli_token_request *r, char **tok, size_t *len)
{
    char name[CLI_STORE_NAME_MAX];
    int rc;

    cli_store_cache_name(r->scope, r->audience, name);
    if ((rc = cache_lookup(st, name, r, tok, len)) != 1)
        return rc;
    if ((rc = token_refresh(st, r, tok, len)) != 0)
        return rc;
    /* A daemon that ignores a field it does not know (an older one, and
     * `audience`) would answer with its defaults: broader than asked. */
    if (!token_fits(*tok, *len, r, 0)) {
        fprintf(stderr, "jwt-helper: no token: jwt-helperd answered with another scope or "
                        "audience than asked for\n");
        secret_free(*tok, *len);
        *tok = NULL;
        *len = 0;
        return CLI_EXIT_REJECTED;
    }
    /* A cache that cannot be written costs a refresh next time, nothing more. */
    if (cli_store_write(st, name, *tok, *len) != 0)
        fprintf(stderr, "jwt-helper: (the token is not cached)\n");
    return 0;
}

int
cli_session_token(const struct cli_token_request *r)
{
    struct cli_store st = {.dirfd = -1};
    char *tok = NULL;
    size_t len = 0;
    int rc;

    if ((rc = store_open_existing(&st)) != CLI_EXIT_OK)
        return rc;
    rc = token_obtain(&st, r, &tok, &len);
    if (rc == 0)
        rc = cli_secret_print(tok, len);
    secret_free(tok, len);
    cli_store_close(&st);
    return rc;
}

int
cli_token(int argc, char **argv)
{
    struct session_args a;
    struct cli_token_request r = {0};

    if (parse_session_args(argc, argv, "sa", &a) != 0 || a.help) {
        fprintf(a.help ? stdout : stderr,
                "usage: jwt-helper token [--scope S] [--audience A] [--socket PATH]\n"
                "prints an access token on stdout: the cached one while it has more than a\n"
                "minute left, else a new one from jwt-helperd.\n"
                "exit: 0 ok; 1 not logged in, session ended, or the request refused;\n"
                "2 usage; 3 daemon unreachable; 4 unsafe state directory or daemon unusable\n");
        return a.help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    r.socket_path = cli_socket_path(a.socket);
    r.scope = a.scope;
    r.audience = a.audience;
    return cli_session_token(&r);
}

/* ---- login ---- */

/* Stores what a granted login returned, replacing any earlier session. */
static int
login_store(const struct cli_store *st, const struct proto_response *resp)
{
    if (cli_store_write(st, CLI_STORE_REFRESH, resp->refresh_token, strlen(resp->refresh_token)) !=
        0)
        return CLI_EXIT_CONFIG;
    /* The previous session's caches may belong to another user; what a
     * killed `token` left half-written goes with them. */
    if (cli_store_remove_leftovers(st) != 0)
        return CLI_EXIT_CONFIG;
    if (cli_store_write(st, CLI_STORE_ACCESS, resp->access_token, strlen(resp->access_token)) != 0)
        fprintf(stderr, "jwt-helper: (the access token is not cached)\n");
    return CLI_EXIT_OK;
}

static int
login_run(const struct session_args *a, const char *user)
{
    struct cli_store st = {.dirfd = -1};
    struct proto_request req = {.op = PROTO_OP_LOGIN};
    struct proto_response resp = {0};
    const char *sock = cli_socket_path(a->socket);
    char prompt[64];
    size_t pw_len = 0;
    proto_result pr;
    int rc = CLI_EXIT_CONFIG;

    /* The directory first: a refused one should not cost a password. */
    if (cli_store_open(&st, true) != 0)
        return rc;
    snprintf(prompt, sizeof(prompt), "Password for %s: ", user);
    rc = CLI_EXIT_REJECTED;
    if (cli_password_read(prompt, a->password_stdin, &req.password, &pw_len) != 0)
        goto out;
    req.username = (char *)(uintptr_t)user;
    pr = cli_daemon_call(sock, &req, &resp);
    if (pr != PROTO_OK || !resp.ok) {
        rc = cli_daemon_failure(sock, "login", pr, &req, &resp);
        goto out;
    }
    if ((rc = login_store(&st, &resp)) != CLI_EXIT_OK)
        goto out;
    fprintf(stderr, "logged in as %s (scope: ", user);
    cli_print_escaped(stderr, resp.scope != NULL ? resp.scope : "");
    fprintf(stderr, ")\n");
out:
    secret_free(req.password, pw_len);
    proto_response_clear(&resp);
    cli_store_close(&st);
    return rc;
}

int
cli_login(int argc, char **argv)
{
    struct session_args a;
    const char *user;

    if (parse_session_args(argc, argv, "up", &a) != 0 || a.help) {
        fprintf(a.help ? stdout : stderr,
                "usage: jwt-helper login [-u USER] [--password-stdin] [--socket PATH]\n"
                "logs in to jwt-helperd and keeps the session (a refresh token) in\n"
                "$XDG_STATE_HOME/jwt-helper (default ~/.local/state/jwt-helper).\n"
                "--password-stdin reads exactly one line.\n"
                "exit: 0 ok; 1 refused (wrong password, locked, too many attempts);\n"
                "2 usage; 3 daemon unreachable; 4 unsafe state directory or daemon unusable\n");
        return a.help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    if ((user = session_user(a.user)) == NULL)
        return CLI_EXIT_USAGE;
    return login_run(&a, user);
}

/* ---- logout ---- */

/* What a failed logout leaves: plain logout always forgets the local copy
 * (the refresh token stays valid at the daemon until it expires, as it
 * would after a successful plain logout); --all keeps it unless it is
 * dead, so the user can try again. */
static int
logout_failed(const struct cli_store *st, bool all, const char *sock, proto_result pr,
              const struct proto_request *req, const struct proto_response *resp)
{
    bool dead = pr == PROTO_OK && resp->error == PROTO_E_INVALID_GRANT;

    if (!all) {
        (void)cli_store_remove_all(st);
        fprintf(stderr, "jwt-helper: logged out locally (%s)\n",
                dead ? "the session had already ended" : "jwt-helperd did not confirm");
        return CLI_EXIT_OK;
    }
    if (dead) {
        (void)cli_store_remove_all(st);
        fprintf(stderr, "jwt-helper: logout --all: the session had already ended; log in, "
                        "then run logout --all again\n");
        return CLI_EXIT_REJECTED;
    }
    return cli_daemon_failure(sock, "logout --all", pr, req, resp);
}

static int
logout_run(const struct session_args *a)
{
    struct cli_store st = {.dirfd = -1};
    struct proto_request req = {.op = PROTO_OP_LOGOUT, .all = a->all != 0};
    struct proto_response resp = {0};
    const char *sock = cli_socket_path(a->socket);
    size_t rt_len = 0;
    proto_result pr;
    int rc, r;

    if ((r = cli_store_open(&st, false)) != 0 ||
        (r = cli_store_read(&st, CLI_STORE_REFRESH, &req.refresh_token, &rt_len)) != 0) {
        /* Nothing to end (no session, or a damaged file: removed). */
        if (r == 2)
            (void)cli_store_remove_all(&st);
        cli_store_close(&st);
        if (r < 0)
            return CLI_EXIT_CONFIG;
        fprintf(stderr, "jwt-helper: not logged in\n");
        return a->all ? CLI_EXIT_REJECTED : CLI_EXIT_OK;
    }
    pr = cli_daemon_call(sock, &req, &resp);
    if (pr == PROTO_OK && resp.ok) {
        rc = cli_store_remove_all(&st) == 0 ? CLI_EXIT_OK : CLI_EXIT_CONFIG;
        fprintf(stderr, a->all ? "logged out everywhere\n" : "logged out\n");
    } else {
        rc = logout_failed(&st, a->all != 0, sock, pr, &req, &resp);
    }
    secret_free(req.refresh_token, rt_len);
    proto_response_clear(&resp);
    cli_store_close(&st);
    return rc;
}

int
cli_logout(int argc, char **argv)
{
    struct session_args a;

    if (parse_session_args(argc, argv, "A", &a) != 0 || a.help) {
        fprintf(a.help ? stdout : stderr,
                "usage: jwt-helper logout [--all] [--socket PATH]\n"
                "forgets the session kept here; --all also ends every session of the user\n"
                "everywhere (every refresh token; access tokens live on until they expire,\n"
                "unless hosts share the revocation list).\n"
                "exit: 0 ok (plain logout always forgets the local session); 1 --all refused\n"
                "or not logged in; 2 usage; 3 --all with the daemon unreachable (nothing\n"
                "removed); 4 unsafe state directory or daemon unusable\n");
        return a.help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    return logout_run(&a);
}

/* ---- passwd ---- */

/* True when argv holds an argument that is not an option or an option's
 * value: `passwd USER` is root's reset (cli_admin_passwd). */
static bool
has_positional(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--") == 0)
            return i + 1 < argc;
        if (s[0] != '-' || s[1] == '\0')
            return true;
        if (strcmp(s, "-u") == 0 || strcmp(s, "--user") == 0 || strcmp(s, "--socket") == 0 ||
            strcmp(s, "--config") == 0)
            i++;
    }
    return false;
}

/* After a password change the stored session of that user is dead (the
 * daemon bumped its generation); one of another user is not. */
static bool
forget_session_of(const char *user)
{
    struct cli_store st = {.dirfd = -1};
    char *tok = NULL, sub[JWT_USER_NAME_MAX + 1] = "";
    size_t len = 0;
    bool forgot = false;

    if (cli_store_open(&st, false) != 0)
        return false;
    if (cli_store_read(&st, CLI_STORE_REFRESH, &tok, &len) == 0 &&
        peek_subject(tok, len, sub, sizeof(sub)) == 0 && strcmp(sub, user) == 0)
        forgot = cli_store_remove_all(&st) == 0;
    secret_free(tok, len);
    cli_store_close(&st);
    return forgot;
}

static int
passwd_run(const struct session_args *a, const char *user)
{
    struct proto_request req = {.op = PROTO_OP_PASSWD};
    struct proto_response resp = {0};
    const char *sock = cli_socket_path(a->socket);
    size_t old_len = 0, new_len = 0;
    proto_result pr;
    int rc = CLI_EXIT_REJECTED;

    if (cli_password_read("Current password: ", a->password_stdin, &req.old_password, &old_len) !=
            0 ||
        cli_password_read_new(a->password_stdin, &req.new_password, &new_len) != 0)
        goto out;
    req.username = (char *)(uintptr_t)user;
    pr = cli_daemon_call(sock, &req, &resp);
    if (pr != PROTO_OK || !resp.ok) {
        rc = cli_daemon_failure(sock, "passwd", pr, &req, &resp);
        goto out;
    }
    rc = CLI_EXIT_OK;
    if (forget_session_of(user))
        fprintf(stderr, "password changed; run jwt-helper login\n");
    else
        fprintf(stderr, "password changed for %s; every session of it has ended\n", user);
out:
    secret_free(req.old_password, old_len);
    secret_free(req.new_password, new_len);
    proto_response_clear(&resp);
    return rc;
}

int
cli_passwd(int argc, char **argv)
{
    struct session_args a;
    const char *user;

    if (has_positional(argc, argv))
        return cli_admin_passwd(argc, argv);
    if (parse_session_args(argc, argv, "up", &a) != 0 || a.help) {
        fprintf(a.help ? stdout : stderr,
                "usage: jwt-helper passwd [-u USER] [--password-stdin] [--socket PATH]\n"
                "changes your password at jwt-helperd (every session ends). With\n"
                "--password-stdin: two lines, the current password, then the new one.\n"
                "root: jwt-helper passwd USER sets a password in the user records.\n"
                "exit: 0 ok; 1 refused (wrong password, too many attempts, mismatch);\n"
                "2 usage; 3 daemon unreachable; 4 daemon unusable\n");
        return a.help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    if ((user = session_user(a.user)) == NULL)
        return CLI_EXIT_USAGE;
    return passwd_run(&a, user);
}
