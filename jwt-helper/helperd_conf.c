/* SPDX-License-Identifier: MIT */
/* jwt-helperd's configuration file (jwt-helperd(8), CONFIGURATION), parsed by one table into a
 * fresh struct: defaults, then the file, then checks across keys.
 *
 * File syntax, as pam_jwt.conf's (pam_jwt/conf.c): one "key = value" per
 * line; blank lines; whole-line '#' comments (a '#' after a value belongs
 * to it); blanks around key and value dropped; a value in double quotes
 * keeps its inner blanks. Lists are comma-separated with blanks around
 * items dropped. Unlike pam_jwt's issuer and audience, no key may repeat:
 * the daemon has one source, and a second line is more likely a mistake
 * than an addition.
 *
 * MUST:
 * 1. Refuse the whole file on any problem, after reporting every one: a
 *    daemon that mints tokens never runs on a guessed configuration.
 * 2. Hand back a new struct or nothing: a reload that fails leaves the
 *    running configuration untouched (the caller swaps pointers).
 * 3. Quote values in messages with escapes, so a hostile file cannot forge
 *    log lines. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helperd_conf.h"
#include "helperd_tokens.h" /* HELPERD_TOKENS_ANY_HOST */
#include "proto.h"          /* PROTO_DEFAULT_SOCKET */

#define MESSAGE_MAX 1024          /* bytes of one message from the parser */
#define PAM_JWT_MAX_LIFETIME 3600 /* pam_jwt's default max_lifetime (pam_jwt(8)) */

/* State of one parse. */
struct loader {
    struct helperd_conf *c;
    struct conf_reporter rep; /* line: 0 for defaults and cross-checks */
    size_t seen[32];          /* line that set each key, 0 for none */
};

static bool check_issuer(const struct conf_target *t, const struct conf_row *k, char **item);
static bool check_audience(const struct conf_target *t, const struct conf_row *k, char **item);
static bool check_scope(const struct conf_target *t, const struct conf_row *k, char **item);
static bool check_user(const struct conf_target *t, const struct conf_row *k, char **item);
static bool check_socket(const struct conf_target *t, const struct conf_row *k, char **item);

#define F(member) offsetof(struct helperd_conf, member)
#define TEN_YEARS 315360000u

/* One row per key of jwt-helperd(8), CONFIGURATION, in the shipped file's order. */
static const struct conf_row keys[] = {
    {"issuer", CONF_STRING, F(issuer), 0, check_issuer, NULL, 0, 0, 0, NULL},
    /* Host-bound by default (jwt-helperd(8) audience): a token for this host, and on
     * request for any other one host; audience is always put first. */
    {"audience", CONF_STRING, F(audience), 0, check_audience, "host:%h", 0, 0, 0, NULL},
    {"audiences", CONF_LIST, F(audiences), F(n_audiences), check_audience, HELPERD_TOKENS_ANY_HOST,
     0, HELPERD_CONF_MAX_AUDIENCES - 1, CONF_ROW_UNIQUE, NULL},
    /* 60 s at least: the CLI refreshes a cached token with under a minute left. */
    {"access_ttl", CONF_INT64, F(access_ttl), 0, NULL, "600", 60, 86400, 0, NULL},
    {"refresh_ttl", CONF_INT64, F(refresh_ttl), 0, NULL, "2592000", 0, TEN_YEARS, 0, NULL},
    {"jwks", CONF_STRING, F(jwks), 0, conf_check_path, "/etc/jwt-helper/jwks.json", 0, 0, 0, NULL},
    {"signing_key", CONF_STRING, F(signing_key), 0, conf_check_path, "/etc/jwt-helper/signing.jwk",
     0, 0, 0, NULL},
    {"refresh_key", CONF_STRING, F(refresh_key), 0, conf_check_path, "/etc/jwt-helper/refresh.key",
     0, 0, 0, NULL},
    {"users", CONF_STRING, F(users), 0, conf_check_path, "/etc/jwt-helper/db/users", 0, 0, 0, NULL},
    {"revocation", CONF_STRING, F(revocation), 0, conf_check_path, "/var/lib/jwt-helper/revoked", 0,
     0, 0, NULL},
    /* A listed instant cuts short tokens issued up to it; once every such
     * token has expired at every verifier (max_lifetime + leeway) the line
     * does nothing, so less than pam_jwt's default max_lifetime plus the
     * largest leeway would let a revoked token live again. */
    {"revocation_keep", CONF_INT64, F(revocation_keep), 0, NULL, "86400",
     PAM_JWT_MAX_LIFETIME + CONF_MAX_LEEWAY, TEN_YEARS, 0, NULL},
    {"default_scope", CONF_LIST, F(default_scope), F(n_default_scope), check_scope, "ssh,sudo", 0,
     CONF_MAX_LIST, CONF_ROW_UNIQUE, NULL},
    {"max_clients", CONF_UINT, F(max_clients), 0, NULL, "64", 1, 4096, 0, NULL},
    {"max_clients_per_uid", CONF_UINT, F(max_clients_per_uid), 0, NULL, "8", 1, 4096, 0, NULL},
    {"idle_timeout", CONF_UINT, F(idle_timeout), 0, NULL, "10", 1, 3600, 0, NULL},
    {"login_delay", CONF_UINT, F(login_delay), 0, NULL, "1", 0, HELPERD_CONF_LOGIN_DELAY_CAP, 0,
     NULL},
    /* argon2id takes 64 MiB each: 16 is already a gigabyte. */
    {"max_hashes", CONF_UINT, F(max_hashes), 0, NULL, "1", 1, 16, 0, NULL},
    {"user", CONF_STRING, F(user), 0, check_user, JWT_DAEMON_USER, 0, 0, 0, NULL},
    {"socket", CONF_STRING, F(socket), 0, check_socket, PROTO_DEFAULT_SOCKET, 0, 0, 0, NULL},
};
#define N_KEYS (sizeof keys / sizeof keys[0])
_Static_assert(N_KEYS <= 32, "struct loader's seen array is too small");

/* ---- value checks ---- */

static bool
check_socket(const struct conf_target *t, const struct conf_row *k, char **item)
{
    if (!conf_check_path(t, k, item))
        return false;
    if (strlen(*item) > HELPERD_CONF_SOCKET_MAX)
        return conf_refuse(t->rep, k->name, *item, "a socket path (at most 107 bytes)");
    return true;
}

static bool
check_issuer(const struct conf_target *t, const struct conf_row *k, char **item)
{
    if (!conf_is_visible_word(*item))
        return conf_refuse(t->rep, k->name, *item, "an issuer (visible ASCII, no ',')");
    return true;
}

/* Host names expand as in pam_jwt's audience=, so "host:%H" names the same
 * audience on both sides. A '*' is refused except as the whole audiences
 * entry "host:*": an audience with a '*' in it would read like a pattern
 * that nothing implements. */
static bool
check_audience(const struct conf_target *t, const struct conf_row *k, char **item)
{
    enum conf_expand e;
    char *expanded;

    if (!conf_is_visible_word(*item))
        return conf_refuse(t->rep, k->name, *item, "an audience (visible ASCII, no ',')");
    if ((e = conf_hosts_expand(*item, CONF_MAX_VALUE, &expanded)) == CONF_EXPAND_NOMEM) {
        conf_complain_nomem(t->rep);
        return false;
    }
    if (e != CONF_EXPAND_OK)
        return conf_refuse(t->rep, k->name, *item, conf_expand_wanted(e));
    if (!conf_is_visible_word(expanded)) {
        free(expanded);
        return conf_refuse(t->rep, k->name, *item, "an audience after host name expansion");
    }
    if (strchr(expanded, '*') != NULL &&
        (k->field != F(audiences) || strcmp(expanded, HELPERD_TOKENS_ANY_HOST) != 0)) {
        free(expanded);
        return conf_refuse(t->rep, k->name, *item,
                           "an audience ('*' only as the audiences entry host:*)");
    }
    free(*item);
    *item = expanded;
    return true;
}

/* The scope grammar of user (jwt-helperd(8), "User records"): [a-z0-9_.-]+, so a default
 * scope can be compared with a record's scopes word for word. */
static bool
check_scope(const struct conf_target *t, const struct conf_row *k, char **item)
{
    if (!jwt_scope_token_is_plain(*item, strlen(*item)))
        return conf_refuse(t->rep, k->name, *item, "a scope word ([a-z0-9_.-]+)");
    return true;
}

/* A system account name as useradd(8) accepts it: [A-Za-z_][A-Za-z0-9_.-]*
 * with an optional final '$', at most 32 bytes. "root" is refused here
 * because the daemon must never keep root; the daemon still checks the
 * uid it resolves, since another name may map to uid 0. */
static bool
check_user(const struct conf_target *t, const struct conf_row *k, char **item)
{
    static const char first[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
    const char *s = *item;
    size_t len = strlen(s), body = len;

    if (len > 0 && s[len - 1] == '$')
        body--;
    if (len > 32 || body == 0 || strchr(first, s[0]) == NULL ||
        strspn(s + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
            body - 1)
        return conf_refuse(t->rep, k->name, s, "an account name");
    if (strcmp(s, "root") == 0)
        return conf_refuse(t->rep, k->name, s, "allowed: the daemon must drop root");
    return true;
}

/* ---- storing values ---- */

static void
set_value(struct loader *l, const struct conf_row *k, const char *value)
{
    conf_row_set(&(struct conf_target){.rep = &l->rep, .base = l->c, .ctx = l}, k, value);
}

/* ---- the file ---- */

static const struct conf_row *
find_key(const char *name)
{
    return conf_row_find(keys, N_KEYS, name, strlen(name));
}

/* Applies "key = value" (both trimmed) from the current line. */
static void
apply(void *ctx, const char *name, const char *value)
{
    struct loader *l = ctx;
    const struct conf_row *k = find_key(name);
    char q[CONF_QUOTED_SIZE];
    size_t i;

    if (k == NULL) {
        conf_quote(name, strlen(name), q, sizeof q);
        conf_complain(&l->rep, NULL, "unknown key %s", q);
        return;
    }
    i = (size_t)(k - keys);
    if (l->seen[i] != 0) {
        conf_complain(&l->rep, k->name, "given twice (first on line %zu)", l->seen[i]);
        return;
    }
    l->seen[i] = l->rep.line;
    set_value(l, k, value);
}

/* ---- defaults and checks across keys ---- */

/* The issuer default equals pam_jwt's ("jwt-helper@" and the full host
 * name, conf.c's "jwt-helper@%H"), so a fresh install verifies its own
 * tokens with neither file edited. */
static void
default_issuer(struct loader *l, const struct conf_row *k)
{
    char host[HOST_NAME_MAX + 1], value[HOST_NAME_MAX + 16];

    if (!conf_hostname(true, host, sizeof host)) {
        conf_complain(&l->rep, k->name, "no host name for the default: set issuer =");
        return;
    }
    snprintf(value, sizeof value, "jwt-helper@%s", host);
    set_value(l, k, value);
}

/* Puts audience first in audiences (it is what a client gets by not asking,
 * so asking for it by name is always allowed), once. */
static void
add_default_audience(struct loader *l)
{
    struct helperd_conf *c = l->c;
    char **list, *copy = NULL;
    size_t n = 0;

    if (c->audience == NULL)
        return; /* already reported */
    if ((list = calloc(c->n_audiences + 1, sizeof *list)) == NULL ||
        (copy = strdup(c->audience)) == NULL) {
        free(list);
        conf_complain_nomem(&l->rep);
        return;
    }
    list[n++] = copy;
    for (size_t i = 0; i < c->n_audiences; i++) {
        if (strcmp(c->audiences[i], c->audience) == 0)
            free(c->audiences[i]);
        else
            list[n++] = c->audiences[i];
    }
    free(c->audiences);
    c->audiences = list;
    c->n_audiences = n;
}

static void
apply_defaults(struct loader *l)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        if (l->seen[i] != 0)
            continue;
        if (keys[i].field == F(issuer))
            default_issuer(l, &keys[i]);
        else if (keys[i].def != NULL)
            set_value(l, &keys[i], keys[i].def);
    }
    add_default_audience(l);
}

/* Points messages at the line that set name, when the file did. */
static void
at_key(struct loader *l, const char *name)
{
    l->rep.line = l->seen[find_key(name) - keys];
}

static void
check_across(struct loader *l)
{
    const struct helperd_conf *c = l->c;

    at_key(l, "refresh_ttl");
    if (c->refresh_ttl != 0 && c->refresh_ttl < c->access_ttl)
        conf_complain(&l->rep, "refresh_ttl", "%lld is shorter than access_ttl (%lld)",
                      (long long)c->refresh_ttl, (long long)c->access_ttl);
    at_key(l, "revocation_keep");
    if (c->revocation_keep <= c->access_ttl + CONF_MAX_LEEWAY)
        conf_complain(&l->rep, "revocation_keep",
                      "%lld is not more than access_ttl + the largest leeway (%lld): a revoked "
                      "token could outlive its line",
                      (long long)c->revocation_keep, (long long)c->access_ttl + CONF_MAX_LEEWAY);
    at_key(l, "max_clients_per_uid");
    if (c->max_clients_per_uid > c->max_clients)
        conf_complain(&l->rep, "max_clients_per_uid", "%u is more than max_clients (%u)",
                      c->max_clients_per_uid, c->max_clients);
    l->rep.line = 0;
}

/* Warns about settings that load but are likely not what was meant. */
static void
advise(struct loader *l)
{
    const struct helperd_conf *c = l->c;

    at_key(l, "access_ttl");
    if (c->access_ttl > PAM_JWT_MAX_LIFETIME)
        conf_warn(&l->rep, "access_ttl",
                  "%lld s exceeds pam_jwt's default max_lifetime (%d s): raise max_lifetime "
                  "in pam_jwt.conf or its tokens are refused",
                  (long long)c->access_ttl, PAM_JWT_MAX_LIFETIME);
    at_key(l, "login_delay");
    if (c->login_delay == 0)
        conf_warn(&l->rep, "login_delay",
                  "0 turns off the delay after failed logins: "
                  "passwords can be guessed at full speed");
    l->rep.line = 0;
}

/* ---- public ---- */

conf_result
helperd_conf_parse(const char *text, size_t len, const char *source, conf_report_fn report,
                   void *ctx, struct helperd_conf **out)
{
    struct loader l;
    char *copy = NULL;
    conf_result r = CONF_OK;

    *out = NULL;
    memset(&l, 0, sizeof l);
    l.rep.report = report;
    l.rep.ctx = ctx;
    l.rep.source = source;
    l.rep.message_max = MESSAGE_MAX;
    if ((l.c = calloc(1, sizeof *l.c)) == NULL || (copy = malloc(len + 1)) == NULL) {
        r = CONF_ERR_NOMEM;
        goto out;
    }
    if (len > 0)
        memcpy(copy, text, len);
    copy[len] = '\0';
    conf_lines_parse(&l.rep, copy, len, apply, &l);
    apply_defaults(&l);
    if (!l.rep.invalid)
        check_across(&l); /* the values are all there only without errors */
    if (!l.rep.invalid)
        advise(&l); /* a refused file needs fixing first */
    if (l.rep.nomem)
        r = CONF_ERR_NOMEM;
    else if (l.rep.invalid)
        r = CONF_ERR_INVALID;
    if (r == CONF_OK) {
        *out = l.c;
        l.c = NULL;
    }
out:
    helperd_conf_free(l.c);
    free(copy);
    return r;
}

conf_result
helperd_conf_load(const char *path, bool must_exist, conf_report_fn report, void *ctx,
                  struct helperd_conf **out)
{
    /* The path is in the message itself, and may be long. */
    struct conf_reporter rep = {.report = report, .ctx = ctx, .message_max = PATH_MAX + 256};
    char *text = NULL;
    size_t len = 0;
    conf_result r;

    *out = NULL;
    if (path == NULL)
        path = HELPERD_CONF_DEFAULT_PATH;
    switch (conf_file_load(&rep, NULL, path, must_exist, &text, &len)) {
    case 1:
        r = helperd_conf_parse(text, len, path, report, ctx, out);
        break;
    case 0:
        r = helperd_conf_parse("", 0, path, report, ctx, out); /* the defaults */
        break;
    default:
        r = rep.nomem ? CONF_ERR_NOMEM : CONF_ERR_FILE;
        break;
    }
    free(text);
    return r;
}

void
helperd_conf_free(struct helperd_conf *c)
{
    if (c == NULL)
        return;
    conf_rows_free(c, keys, N_KEYS);
    free(c);
}
