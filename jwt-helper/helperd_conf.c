/* SPDX-License-Identifier: MIT */
/* jwt-helperd's configuration file (DESIGN §4), parsed by one table into a
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

#define MESSAGE_MAX 1024 /* bytes of one message from the parser */
#define PAM_JWT_MAX_LIFETIME 3600 /* pam_jwt's default max_lifetime (DESIGN §3) */

struct loader;
struct key;

/* Validates one value or list item; may replace *item (host expansion).
 * Reports and returns false when it is bad. */
typedef bool (*check_fn)(struct loader *l, const struct key *k, char **item);

enum key_type {
    KEY_STRING, /* char * */
    KEY_LIST,   /* char ** and a size_t count, one comma-separated line */
    KEY_INT64,  /* int64_t within [min, max] */
    KEY_UINT,   /* unsigned within [min, max] */
};

/* One row per key of DESIGN §4, in the shipped file's order. */
struct key {
    const char *name;
    enum key_type type;
    size_t field;    /* offsetof the value in struct helperd_conf */
    size_t count;    /* lists: offsetof the entry count */
    check_fn check;  /* strings and list items */
    const char *def; /* parsed like a file value; NULL: computed after */
    uint64_t min, max; /* numbers: bounds; lists: max is the entry limit */
};

/* State of one parse. */
struct loader {
    struct helperd_conf *c;
    struct conf_reporter rep; /* line: 0 for defaults and cross-checks */
    size_t seen[32];          /* line that set each key, 0 for none */
};

static bool check_path(struct loader *l, const struct key *k, char **item);
static bool check_issuer(struct loader *l, const struct key *k, char **item);
static bool check_audience(struct loader *l, const struct key *k, char **item);
static bool check_scope(struct loader *l, const struct key *k, char **item);
static bool check_user(struct loader *l, const struct key *k, char **item);
static bool check_socket(struct loader *l, const struct key *k, char **item);

#define F(member) offsetof(struct helperd_conf, member)
#define TEN_YEARS 315360000u

static const struct key keys[] = {
    {"issuer", KEY_STRING, F(issuer), 0, check_issuer, NULL, 0, 0},
    /* Host-bound by default (DESIGN §4): a token for this host, and on
     * request for any other one host; audience is always put first. */
    {"audience", KEY_STRING, F(audience), 0, check_audience, "host:%h", 0, 0},
    {"audiences", KEY_LIST, F(audiences), F(n_audiences), check_audience, HELPERD_TOKENS_ANY_HOST,
     0, HELPERD_CONF_MAX_AUDIENCES - 1},
    /* 60 s at least: the CLI refreshes a cached token with under a minute left. */
    {"access_ttl", KEY_INT64, F(access_ttl), 0, NULL, "600", 60, 86400},
    {"refresh_ttl", KEY_INT64, F(refresh_ttl), 0, NULL, "2592000", 0, TEN_YEARS},
    {"jwks", KEY_STRING, F(jwks), 0, check_path, "/etc/jwt-helper/jwks.json", 0, 0},
    {"signing_key", KEY_STRING, F(signing_key), 0, check_path, "/etc/jwt-helper/signing.jwk",
     0, 0},
    {"refresh_key", KEY_STRING, F(refresh_key), 0, check_path, "/etc/jwt-helper/refresh.key",
     0, 0},
    {"users", KEY_STRING, F(users), 0, check_path, "/etc/jwt-helper/db/users", 0, 0},
    {"revocation", KEY_STRING, F(revocation), 0, check_path, "/var/lib/jwt-helper/revoked", 0,
     0},
    /* A listed instant cuts short tokens issued up to it; once every such
     * token has expired at every verifier (max_lifetime + leeway) the line
     * does nothing, so less than pam_jwt's default max_lifetime plus the
     * largest leeway would let a revoked token live again. */
    {"revocation_keep", KEY_INT64, F(revocation_keep), 0, NULL, "86400",
     PAM_JWT_MAX_LIFETIME + CONF_MAX_LEEWAY, TEN_YEARS},
    {"default_scope", KEY_LIST, F(default_scope), F(n_default_scope), check_scope, "ssh,sudo",
     0, CONF_MAX_LIST},
    {"max_clients", KEY_UINT, F(max_clients), 0, NULL, "64", 1, 4096},
    {"max_clients_per_uid", KEY_UINT, F(max_clients_per_uid), 0, NULL, "8", 1, 4096},
    {"idle_timeout", KEY_UINT, F(idle_timeout), 0, NULL, "10", 1, 3600},
    {"login_delay", KEY_UINT, F(login_delay), 0, NULL, "1", 0, HELPERD_CONF_LOGIN_DELAY_CAP},
    /* argon2id takes 64 MiB each: 16 is already a gigabyte. */
    {"max_hashes", KEY_UINT, F(max_hashes), 0, NULL, "1", 1, 16},
    {"user", KEY_STRING, F(user), 0, check_user, JWT_DAEMON_USER, 0, 0},
    {"socket", KEY_STRING, F(socket), 0, check_socket, PROTO_DEFAULT_SOCKET, 0, 0},
};
#define N_KEYS (sizeof keys / sizeof keys[0])
_Static_assert(N_KEYS <= 32, "struct loader's seen array is too small");

/* ---- value checks ---- */

static bool
check_path(struct loader *l, const struct key *k, char **item)
{
    if (!conf_is_absolute_path(*item))
        return conf_refuse(&l->rep, k->name, *item, "an absolute path");
    return true;
}

static bool
check_socket(struct loader *l, const struct key *k, char **item)
{
    if (!check_path(l, k, item))
        return false;
    if (strlen(*item) > HELPERD_CONF_SOCKET_MAX)
        return conf_refuse(&l->rep, k->name, *item, "a socket path (at most 107 bytes)");
    return true;
}

static bool
check_issuer(struct loader *l, const struct key *k, char **item)
{
    if (!conf_is_visible_word(*item))
        return conf_refuse(&l->rep, k->name, *item, "an issuer (visible ASCII, no ',')");
    return true;
}

/* Host names expand as in pam_jwt's audience=, so "host:%H" names the same
 * audience on both sides. A '*' is refused except as the whole audiences
 * entry "host:*": an audience with a '*' in it would read like a pattern
 * that nothing implements. */
static bool
check_audience(struct loader *l, const struct key *k, char **item)
{
    enum conf_expand e;
    char *expanded;

    if (!conf_is_visible_word(*item))
        return conf_refuse(&l->rep, k->name, *item, "an audience (visible ASCII, no ',')");
    if ((e = conf_hosts_expand(*item, CONF_MAX_VALUE, &expanded)) == CONF_EXPAND_NOMEM) {
        conf_complain_nomem(&l->rep);
        return false;
    }
    if (e != CONF_EXPAND_OK)
        return conf_refuse(&l->rep, k->name, *item, conf_expand_wanted(e));
    if (!conf_is_visible_word(expanded)) {
        free(expanded);
        return conf_refuse(&l->rep, k->name, *item, "an audience after host name expansion");
    }
    if (strchr(expanded, '*') != NULL &&
        (k->field != F(audiences) || strcmp(expanded, HELPERD_TOKENS_ANY_HOST) != 0)) {
        free(expanded);
        return conf_refuse(&l->rep, k->name, *item,
                           "an audience ('*' only as the audiences entry host:*)");
    }
    free(*item);
    *item = expanded;
    return true;
}

/* The scope grammar of user records (DESIGN §4): [a-z0-9_.-]+, so a default
 * scope can be compared with a record's scopes word for word. */
static bool
check_scope(struct loader *l, const struct key *k, char **item)
{
    if (!jwt_scope_token_is_plain(*item, strlen(*item)))
        return conf_refuse(&l->rep, k->name, *item, "a scope word ([a-z0-9_.-]+)");
    return true;
}

/* A system account name as useradd(8) accepts it: [A-Za-z_][A-Za-z0-9_.-]*
 * with an optional final '$', at most 32 bytes. "root" is refused here
 * because the daemon must never keep root; the daemon still checks the
 * uid it resolves, since another name may map to uid 0. */
static bool
check_user(struct loader *l, const struct key *k, char **item)
{
    static const char first[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
    const char *s = *item;
    size_t len = strlen(s), body = len;

    if (len > 0 && s[len - 1] == '$')
        body--;
    if (len > 32 || body == 0 || strchr(first, s[0]) == NULL ||
        strspn(s + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
            body - 1)
        return conf_refuse(&l->rep, k->name, s, "an account name");
    if (strcmp(s, "root") == 0)
        return conf_refuse(&l->rep, k->name, s, "allowed: the daemon must drop root");
    return true;
}

/* ---- storing values ---- */

static void *
field(struct helperd_conf *c, const struct key *k)
{
    return (char *)c + k->field;
}

static size_t *
field_count(struct helperd_conf *c, const struct key *k)
{
    return (size_t *)(void *)((char *)c + k->count);
}

/* Checks item (owned: freed on failure) and appends it to k's list;
 * a repeated entry is refused (reject on doubt: likely a typo). */
static void
list_take(struct loader *l, const struct key *k, char *item)
{
    char ***list = field(l->c, k);
    size_t *n = field_count(l->c, k);

    if (!k->check(l, k, &item))
        goto out;
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*list)[i], item) == 0) {
            (void)conf_refuse(&l->rep, k->name, item, "listed once only");
            goto out;
        }
    }
    if (*n >= k->max) {
        conf_complain(&l->rep, k->name, "more than %llu entries", (unsigned long long)k->max);
        goto out;
    }
    (void)conf_list_append(&l->rep, list, n, item);
    item = NULL; /* the list's now, or freed */
out:
    free(item);
}

/* Splits a comma-separated value into k's list. */
static void
split_list(struct loader *l, const struct key *k, const char *value)
{
    char *item;

    for (const char *p = value; p != NULL;)
        if ((item = conf_list_next(&l->rep, k->name, &p)) != NULL)
            list_take(l, k, item);
}

static void
set_number(struct loader *l, const struct key *k, const char *value)
{
    uint64_t v;

    if (!conf_number_parse(&l->rep, k->name, value, k->min, k->max, &v))
        return;
    /* The table's bounds fit both types. */
    if (k->type == KEY_INT64)
        *(int64_t *)field(l->c, k) = (int64_t)v;
    else
        *(unsigned *)field(l->c, k) = (unsigned)v;
}

static void
set_string(struct loader *l, const struct key *k, const char *value)
{
    char *copy = strdup(value);

    if (copy == NULL) {
        conf_complain_nomem(&l->rep);
        return;
    }
    if (k->check(l, k, &copy))
        *(char **)field(l->c, k) = copy;
    else
        free(copy);
}

static void
set_value(struct loader *l, const struct key *k, const char *value)
{
    if (!conf_value_fits(&l->rep, k->name, value))
        return;
    switch (k->type) {
    case KEY_STRING:
        set_string(l, k, value);
        break;
    case KEY_LIST:
        split_list(l, k, value);
        break;
    case KEY_INT64:
    case KEY_UINT:
        set_number(l, k, value);
        break;
    }
}

/* ---- the file ---- */

static const struct key *
find_key(const char *name)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

/* Applies "key = value" (both trimmed) from the current line. */
static void
apply(void *ctx, const char *name, const char *value)
{
    struct loader *l = ctx;
    const struct key *k = find_key(name);
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
default_issuer(struct loader *l, const struct key *k)
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
    jwt_result jr;
    conf_result r;
    int err;

    *out = NULL;
    if (path == NULL)
        path = HELPERD_CONF_DEFAULT_PATH;
    errno = 0;
    jr = jwt_file_read(path, CONF_MAX_FILE_BYTES, -1, &text, &len);
    err = errno;
    if (jr == JWT_ERR_FILE_OPEN && err == ENOENT && !must_exist) {
        r = helperd_conf_parse("", 0, path, report, ctx, out); /* the defaults */
    } else if (jr == JWT_ERR_NOMEM) {
        r = CONF_ERR_NOMEM;
    } else if (jr != JWT_OK) {
        r = CONF_ERR_FILE;
        conf_file_complain(&rep, NULL, path, jr, err);
    } else {
        r = helperd_conf_parse(text, len, path, report, ctx, out);
    }
    free(text);
    return r;
}

void
helperd_conf_free(struct helperd_conf *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < N_KEYS; i++) {
        if (keys[i].type == KEY_STRING)
            free(*(char **)field(c, &keys[i]));
        else if (keys[i].type == KEY_LIST)
            conf_list_free(*(char ***)field(c, &keys[i]), *field_count(c, &keys[i]));
    }
    free(c);
}
