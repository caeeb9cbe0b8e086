/* SPDX-License-Identifier: MIT */
/* pam_jwt's options: built-in defaults, then one file, then module arguments
 * (pam_jwt.conf(5), FORMAT and SOURCES AND PRECEDENCE), all driven by one table.
 *
 * File syntax (pam_jwt.conf(5)): one "key = value" per line; blank lines;
 * comments are whole lines whose first non-blank byte is '#' (a '#' later
 * on a line is part of the value, so a prompt may contain one). Blanks
 * around key and value are dropped; a value wrapped in double quotes keeps
 * its inner blanks ("Token: "), without escapes. A flag is "debug = yes|no"
 * in the file and a bare word ("debug", or "debug=yes|no") as a module
 * argument. Module arguments are taken verbatim: no trimming, no quotes.
 * List values (algs, typ, scope, client_id) are comma-separated, blanks
 * around items dropped; issuer and audience may be repeated within one
 * source.
 *
 * Service blocks (pam_jwt.conf(5), FORMAT): a line "service NAME..."
 * starts a block that runs to the next such line or the end of the file.
 * The first block naming the PAM service is one more source, between the
 * file's global lines and the module arguments; every other block is
 * checked just as strictly (into a scratch struct conf) and dropped, so a
 * mistake in the sudo block fails sshd too rather than waiting for sudo.
 * "%s" in scope= is the PAM service name, as is. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "conf.h"
#include "proto.h" /* PROTO_DEFAULT_SOCKET */

#define MAX_SECONDS_OPTION 31536000 /* one year: longer is a typo, not a policy */

/* State of one conf_load call. */
struct loader {
    struct conf *c;            /* where values go: real, or scratch in a block
                                * for other services */
    struct conf *real;         /* conf_load's result */
    struct conf scratch;       /* a block for other services, checked and dropped */
    const char *service;       /* PAM_SERVICE, or NULL */
    const char *block_service; /* what %s is in the current block */
    bool block_applied;        /* the first block naming service was read */
    const char *block_names[CONF_MAX_SERVICES]; /* every name a block of
                                                 * this file named (pointers into its text) */
    size_t n_block_names;
    bool scope_unexpanded;    /* real's scope holds a %s kept for want of a
                               * service (a later source may replace it) */
    const char *scope_source; /* where that %s was written, for the report */
    size_t scope_line;
    struct conf_reporter rep; /* source: the file being read, NULL for
                               * arguments and defaults */
    bool seen[32];            /* set within the current source (duplicates) */
    bool set[32];             /* set by any source into real (defaults apply
                               * to the rest) */
    bool file_failed;
};

static bool check_text(const struct conf_target *t, const struct conf_row *o, char **item);
static bool check_name(const struct conf_target *t, const struct conf_row *o, char **item);
static bool check_audience(const struct conf_target *t, const struct conf_row *o, char **item);
static bool check_typ(const struct conf_target *t, const struct conf_row *o, char **item);
static bool check_scope(const struct conf_target *t, const struct conf_row *o, char **item);
static void set_algs(const struct conf_target *t, const struct conf_row *o, const char *value);
static void set_config(const struct conf_target *t, const struct conf_row *o, const char *value);

#define F(member) offsetof(struct conf, member)
#define DEFAULT_ALGS "EdDSA,ES256,ES384,RS256,RS384,RS512,PS256,PS384,PS512"

/* One row per option of pam_jwt(8), OPTIONS: the table drives parsing and defaults
 * (a default is parsed like a file value after %h / %H expansion). */
static const struct conf_row options[] = {
    {"jwks", CONF_STRING, F(jwks), 0, conf_check_path, CONF_DEFAULT_JWKS, 0, 0, 0, NULL},
    {"key", CONF_STRING, F(key), 0, conf_check_path, NULL, 0, 0, 0, NULL},
    {"issuer", CONF_REPEAT, F(issuers), F(n_issuers), check_text, "jwt-helper@%H", 0, 0, 0, NULL},
    /* Default host:%h and host:%H, built by default_audiences. */
    {"audience", CONF_REPEAT, F(audiences), F(n_audiences), check_audience, NULL, 0, 0, 0, NULL},
    {"client_id", CONF_LIST, F(client_ids), F(n_client_ids), check_text, NULL, 0, 0, 0, NULL},
    {"algs", CONF_SPECIAL, F(algs), 0, NULL, DEFAULT_ALGS, 0, 0, 0, set_algs},
    {"user_claim", CONF_STRING, F(user_claim), 0, check_name, "sub", 0, 0, 0, NULL},
    {"scope", CONF_LIST, F(scopes), F(n_scopes), check_scope, NULL, 0, 0, 0, NULL},
    {"max_auth_age", CONF_INT64, F(max_auth_age), 0, NULL, NULL, 0, MAX_SECONDS_OPTION, 0, NULL},
    {"once", CONF_FLAG, F(once), 0, NULL, NULL, 0, 0, 0, NULL},
    {"once_dir", CONF_STRING, F(once_dir), 0, conf_check_path, CONF_DEFAULT_ONCE_DIR, 0, 0, 0,
     NULL},
    {"leeway", CONF_INT64, F(leeway), 0, NULL, "60", 0, CONF_MAX_LEEWAY, 0, NULL},
    {"max_lifetime", CONF_INT64, F(max_lifetime), 0, NULL, "3600", 1, MAX_SECONDS_OPTION, 0, NULL},
    {"max_token_len", CONF_SIZE, F(max_token_len), 0, NULL, "8192", 16, JWT_HARD_MAX_TOKEN_LEN, 0,
     NULL},
    {"typ", CONF_LIST, F(typs), F(n_typs), check_typ, "at+jwt,JWT", 0, 0, 0, NULL},
    {"revocation", CONF_STRING, F(revocation), 0, conf_check_path, NULL, 0, 0, 0, NULL},
    {"prompt", CONF_STRING, F(prompt), 0, check_text, CONF_DEFAULT_PROMPT, 0, 0, 0, NULL},
    {"socket", CONF_STRING, F(socket), 0, conf_check_path, PROTO_DEFAULT_SOCKET, 0, 0, 0, NULL},
    {"use_first_pass", CONF_FLAG, F(use_first_pass), 0, NULL, NULL, 0, 0, 0, NULL},
    {"try_first_pass", CONF_FLAG, F(try_first_pass), 0, NULL, NULL, 0, 0, 0, NULL},
    {"try_token", CONF_FLAG, F(try_token), 0, NULL, NULL, 0, 0, 0, NULL},
    {"debug", CONF_FLAG, F(debug), 0, NULL, NULL, 0, 0, 0, NULL},
    {"quiet", CONF_FLAG, F(quiet), 0, NULL, NULL, 0, 0, 0, NULL},
    /* config=PATH: a module argument only, read before the file */
    {"config", CONF_SPECIAL, 0, 0, conf_check_path, NULL, 0, 0, 0, set_config},
};
#define N_OPTIONS (sizeof options / sizeof options[0])
_Static_assert(N_OPTIONS <= 32, "struct loader's seen/set arrays are too small");

/* ---- value checks ---- */

static bool
check_text(const struct conf_target *t, const struct conf_row *o, char **item)
{
    if (conf_has_control(*item))
        return conf_refuse(t->rep, o->name, *item, "text without control characters");
    return true;
}

static bool
check_name(const struct conf_target *t, const struct conf_row *o, char **item)
{
    if (!conf_is_visible_word(*item))
        return conf_refuse(t->rep, o->name, *item, "a claim name (visible ASCII, no ',')");
    return true;
}

static bool
check_typ(const struct conf_target *t, const struct conf_row *o, char **item)
{
    const char *typ = *item;
    char q[CONF_QUOTED_SIZE];

    if (!conf_is_visible_word(typ))
        return conf_refuse(t->rep, o->name, typ, "a media type (visible ASCII, no ',')");
    if (strncasecmp(typ, "application/", 12) == 0)
        typ += 12;
    /* A refresh token must never pass as an access token (pam_jwt(8), SECURITY NOTES). */
    if (strcasecmp(typ, "rt+jwt") == 0) {
        conf_quote(*item, strlen(*item), q, sizeof q);
        conf_complain(t->rep, o->name, "%s can never be accepted (refresh tokens)", q);
        return false;
    }
    return true;
}

/* Expands %s (the PAM service, as is) and %% in in; any other '%' is
 * refused. Returns a new string, or NULL when reported. */
static char *
expand_service(struct loader *l, const struct conf_row *o, const char *in)
{
    const char *service = l->c == l->real ? l->service : l->block_service;
    size_t n = 0, size = strlen(in) + 1;
    char *out;

    for (const char *p = strstr(in, "%s"); p != NULL; p = strstr(p + 2, "%s"))
        size += service != NULL ? strlen(service) : 0;
    if ((out = malloc(size)) == NULL) {
        conf_complain_nomem(&l->rep);
        return NULL;
    }
    for (; *in != '\0'; in++) {
        if (*in != '%') {
            out[n++] = *in;
        } else if (in[1] == '%') {
            out[n++] = *++in;
        } else if (in[1] == 's' && service != NULL) {
            memcpy(out + n, service, strlen(service));
            n += strlen(service);
            in++;
        } else if (in[1] == 's' && l->c == l->real) {
            /* No service (jwt-helper verify without --service): a later
             * source (--scope) may still replace this list, so the %s is
             * kept and refused only if it survives (conf_load). */
            out[n++] = *in++;
            out[n++] = *in;
            l->scope_unexpanded = true;
            l->scope_source = l->rep.source;
            l->scope_line = l->rep.line;
        } else {
            conf_complain(&l->rep, o->name, "%s",
                          in[1] == 's' ? "%s needs a service name (jwt-helper verify --service)"
                                       : "only %s and %% may follow a '%'");
            free(out);
            return NULL;
        }
    }
    out[n] = '\0';
    return out;
}

/* RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E, less our ','; %s
 * first becomes the service name, which must make a scope word too. */
static bool
check_scope(const struct conf_target *t, const struct conf_row *o, char **item)
{
    struct loader *l = t->ctx;
    char *expanded = expand_service(l, o, *item);

    if (expanded == NULL)
        return false;
    free(*item);
    *item = expanded;
    if (!jwt_scope_token_is_valid(*item, strlen(*item)) || strchr(*item, ',') != NULL)
        return conf_refuse(t->rep, o->name, *item,
                           "a scope word (RFC 6749 scope-token without ',')");
    return true;
}

static bool
check_audience(const struct conf_target *t, const struct conf_row *o, char **item)
{
    char *expanded = NULL;
    enum conf_expand e;

    if (conf_has_control(*item))
        return conf_refuse(t->rep, o->name, *item, "text without control characters");
    /* Unbounded here: the whole result's length is what a user can act on. */
    if ((e = conf_hosts_expand(*item, SIZE_MAX, &expanded)) == CONF_EXPAND_NOMEM) {
        conf_complain_nomem(t->rep);
        return false;
    }
    if (e != CONF_EXPAND_OK)
        return conf_refuse(t->rep, o->name, *item, conf_expand_wanted(e));
    if (strlen(expanded) > CONF_MAX_VALUE) {
        free(expanded);
        conf_complain(t->rep, o->name, "value longer than %d bytes after expansion",
                      CONF_MAX_VALUE);
        return false;
    }
    free(*item);
    *item = expanded;
    return true;
}

/* ---- storing values ---- */

/* Adds one algorithm name (owned) to the mask. "none" and HMAC can never be
 * allowed: a symmetric key on a verifier could mint tokens (pam_jwt(8), SECURITY NOTES). */
static void
algs_take(const struct conf_target *t, const struct conf_row *o, char *item)
{
    char q[CONF_QUOTED_SIZE];
    enum jwt_alg alg;

    conf_quote(item, strlen(item), q, sizeof q);
    if (strcasecmp(item, "none") == 0 || strncasecmp(item, "HS", 2) == 0)
        conf_complain(t->rep, o->name, "%s can never be allowed", q);
    else if (!jwt_alg_from_name(item, &alg) || (JWT_ALG_BIT(alg) & JWT_ALGS_ACCESS) == 0)
        conf_complain(t->rep, o->name, "%s is not a known algorithm (%s)", q, DEFAULT_ALGS);
    else
        ((struct conf *)t->base)->algs |= JWT_ALG_BIT(alg);
    free(item);
}

/* algs: a comma-separated list into a mask of JWT_ALG_BIT (NULL: none). */
static void
set_algs(const struct conf_target *t, const struct conf_row *o, const char *value)
{
    char *item;

    if (value == NULL)
        ((struct conf *)t->base)->algs = 0;
    for (const char *p = value; p != NULL;)
        if ((item = conf_list_next(t->rep, o->name, &p)) != NULL)
            algs_take(t, o, item);
}

/* config=: handled by find_config; the file to read cannot be named from
 * inside a file. Nothing to clear. */
static void
set_config(const struct conf_target *t, const struct conf_row *o, const char *value)
{
    if (value != NULL)
        conf_complain(t->rep, o->name, "only meaningful as a module argument");
}

/* Parses value into o's field (which the caller cleared or is adding to). */
static void
set_value(struct loader *l, const struct conf_row *o, const char *value)
{
    conf_row_set(&(struct conf_target){.rep = &l->rep, .base = l->c, .ctx = l}, o, value);
}

/* ---- sources ---- */

static const struct conf_row *
find_option(const char *name, size_t len)
{
    return conf_row_find(options, N_OPTIONS, name, len);
}

/* Applies name (name_len bytes) with value, NULL for a bare word, from the
 * current source. */
static void
apply(struct loader *l, const char *name, size_t name_len, const char *value)
{
    const struct conf_row *o = find_option(name, name_len);
    char q[CONF_QUOTED_SIZE];
    size_t i;

    if (o == NULL) {
        conf_quote(name, name_len, q, sizeof q);
        conf_complain(&l->rep, NULL, "unknown option %s", q);
        return;
    }
    i = (size_t)(o - options);
    if (value == NULL && o->kind != CONF_FLAG) {
        conf_complain(&l->rep, o->name, "needs a value (%s=...)", o->name);
        return;
    }
    if (l->seen[i] && o->kind != CONF_REPEAT) {
        conf_complain(&l->rep, o->name, "given twice");
        return;
    }
    if (!l->seen[i])
        conf_row_clear(l->c, o);
    l->seen[i] = true;
    l->set[i] = l->set[i] || l->c == l->real;
    set_value(l, o, value != NULL ? value : "yes");
}

/* A "key = value" line of the file. */
static void
apply_line(void *ctx, const char *key, const char *value)
{
    apply(ctx, key, strlen(key), value);
}

/* Drops the block being read, if it was for other services. */
static void
block_end(struct loader *l)
{
    conf_free(&l->scratch);
    l->c = l->real;
    l->block_service = NULL;
}

/* A PAM service name as a block may write it: the file name under
 * /etc/pam.d in lowercase letters, digits and "._+-". libpam lowercases
 * the name an application passes, so "SUDO" would never match, and a
 * '#' is a comment someone meant, never a name: either would leave a
 * service silently without its block. */
static bool
is_service_name(const char *s)
{
    return *s != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._+-") == strlen(s);
}

/* Records name as named by a block; false (reported) when an earlier
 * block named it already: only the first would apply, and the second
 * block's lines would be silently dead. */
static bool
block_name_is_new(struct loader *l, const char *name)
{
    char q[CONF_QUOTED_SIZE];

    for (size_t i = 0; i < l->n_block_names; i++)
        if (strcmp(l->block_names[i], name) == 0) {
            conf_quote(name, strlen(name), q, sizeof q);
            conf_complain(&l->rep, "service",
                          "%s is named by an earlier block: one block a service", q);
            return false;
        }
    if (l->n_block_names == CONF_MAX_SERVICES) {
        conf_complain(&l->rep, "service", "more than %d service names in blocks",
                      CONF_MAX_SERVICES);
        return false;
    }
    l->block_names[l->n_block_names++] = name;
    return true;
}

/* Reads the names of a "service NAME..." line (names: after "service").
 * Returns whether the block applies to l->service; reports bad names and
 * sets *first to the first one (for %s in a block for others). */
static bool
block_names(struct loader *l, char *names, const char **first)
{
    char q[CONF_QUOTED_SIZE], *save = NULL;
    bool applies = false;
    size_t n = 0;

    *first = NULL;
    for (char *name = strtok_r(names, " \t", &save); name != NULL;
         name = strtok_r(NULL, " \t", &save)) {
        if (!is_service_name(name) || ++n > CONF_MAX_LIST) {
            conf_quote(name, strlen(name), q, sizeof q);
            conf_complain(&l->rep, "service",
                          "%s is not a PAM service name (lowercase letters, digits, \"._+-\"; "
                          "comments are whole lines) or one too many",
                          q);
            continue;
        }
        if (!block_name_is_new(l, name))
            continue;
        *first = *first != NULL ? *first : name;
        applies = applies || (l->service != NULL && strcmp(name, l->service) == 0);
    }
    if (n == 0)
        conf_complain(&l->rep, "service", "a block needs a service name: service NAME...");
    return applies;
}

/* take_line handler: a "service NAME..." line ends the block before it and
 * starts the next (pam_jwt.conf(5), FORMAT). Returns false for any other line. */
static bool
take_service_line(void *ctx, char *line)
{
    struct loader *l = ctx;
    size_t word = strcspn(line, " \t=");
    const char *first = NULL;
    bool applies;

    if (word != 7 || strncmp(line, "service", 7) != 0)
        return false;
    block_end(l);
    if (strchr(line, '=') != NULL) {
        conf_complain(&l->rep, "service", "a block starts with \"service NAME...\", without '='");
        return true;
    }
    applies = block_names(l, line + word, &first) && !l->block_applied;
    memset(l->seen, 0, sizeof l->seen); /* a block is a source of its own */
    if (applies) {
        l->block_applied = true;
        return true;
    }
    for (size_t i = 0; i < N_OPTIONS; i++)
        conf_row_clear(&l->scratch, &options[i]);
    l->c = &l->scratch;
    /* %s in a block for others is checked as the first service it names. */
    l->block_service = first != NULL ? first : "-";
    return true;
}

static const struct conf_line_handlers line_handlers = {apply_line, take_service_line};

/* Reads and applies path; named (by config=) files must exist. */
static void
load_file(struct loader *l, const char *path, bool named)
{
    char *text = NULL;
    size_t len = 0;
    int got = conf_file_load(&l->rep, named ? "config" : NULL, path, named, &text, &len);

    if (got < 0 && !l->rep.nomem) {
        l->file_failed = true;
    } else if (got > 0) {
        l->rep.source = path;
        l->n_block_names = 0;
        memset(l->seen, 0, sizeof l->seen);
        conf_lines_parse_with(&l->rep, text, len, &line_handlers, l);
        block_end(l);
        l->rep.source = NULL;
    }
    free(text);
}

/* Finds config=PATH among the arguments (it decides which file to read, so
 * it is looked at first). Returns the file to read, or NULL for none: a bad
 * or repeated config= reads no file at all rather than a guessed one. */
static const char *
find_config(struct loader *l, int argc, const char **argv, const char *default_path, bool *named)
{
    const char *found = NULL, *v;
    bool bad = false;

    *named = false;
    for (int i = 0; i < argc; i++) {
        if (argv[i] == NULL || strncmp(argv[i], "config=", 7) != 0)
            continue;
        v = argv[i] + 7;
        if (found != NULL || *named) {
            conf_complain(&l->rep, "config", "given twice");
            bad = true;
        }
        *named = true;
        if (!conf_is_absolute_path(v) || strlen(v) > CONF_MAX_VALUE) {
            (void)conf_refuse(&l->rep, "config", v, "an absolute path");
            bad = true;
        } else if (found == NULL) {
            found = v;
        }
    }
    if (!*named)
        return default_path;
    return bad ? NULL : found;
}

static void
apply_args(struct loader *l, int argc, const char **argv)
{
    const char *eq;

    memset(l->seen, 0, sizeof l->seen);
    for (int i = 0; i < argc; i++) {
        if (argv[i] == NULL || strncmp(argv[i], "config=", 7) == 0)
            continue; /* config= was handled by find_config */
        if ((eq = strchr(argv[i], '=')) == NULL)
            apply(l, argv[i], strlen(argv[i]), NULL);
        else
            apply(l, argv[i], (size_t)(eq - argv[i]), eq + 1);
    }
}

static bool
option_is_set(const struct loader *l, const char *name)
{
    const struct conf_row *o = find_option(name, strlen(name));

    return o != NULL && l->set[o - options];
}

/* Loopback names every host answers to: a token bound to one is bound to
 * no host in particular, so only an administrator's explicit list accepts
 * it (pam_jwt(8) audience=). */
static bool
is_loopback_audience(const char *audience)
{
    static const char *const loopback[] = {"host:localhost", "host:localhost.localdomain",
                                           "host:127.0.0.1", "host:::1"};

    for (size_t i = 0; i < sizeof loopback / sizeof loopback[0]; i++)
        if (jwt_audience_matches(loopback[i], audience))
            return true;
    return false;
}

static bool
audience_listed(const struct conf *c, const char *audience)
{
    for (size_t i = 0; i < c->n_audiences; i++)
        if (jwt_audience_matches(c->audiences[i], audience))
            return true;
    return false;
}

/* Expands one default host audience into *out; reports and returns false
 * when there is no host name to expand. */
static bool
expand_default(struct loader *l, const char *def, char **out)
{
    enum conf_expand e = conf_hosts_expand(def, CONF_MAX_VALUE, out);

    if (e == CONF_EXPAND_NOMEM)
        conf_complain_nomem(&l->rep);
    else if (e != CONF_EXPAND_OK || conf_has_control(*out))
        conf_complain(&l->rep, "audience",
                      "no usable host name for the default %s: set audience=", def);
    return e == CONF_EXPAND_OK && !conf_has_control(*out);
}

/* The default audience binds a token to this host (pam_jwt(8) audience=): host:%h and
 * host:%H, once when they are the same, and neither that is a loopback
 * name. With none left, the configuration is refused: refusing every token
 * says what to do, while an empty list would accept any audience. */
static void
default_audiences(struct loader *l)
{
    static const char *const defaults[] = {"host:%H", "host:%h"};
    char *value = NULL;
    bool loopback_host = false;

    for (size_t i = 0; i < 2; i++) {
        if (!expand_default(l, defaults[i], &value))
            return;
        /* The full name first: a host named 127.0.0.1 has the short name
         * 127, which must go with it. */
        loopback_host = loopback_host || is_loopback_audience(value);
        if (!loopback_host && !is_loopback_audience(value) && !audience_listed(l->c, value)) {
            (void)conf_list_append(&l->rep, &l->c->audiences, &l->c->n_audiences, value);
            value = NULL; /* the list's now, or freed */
        }
        free(value);
        value = NULL;
    }
    /* Put the short name first, as an administrator would write them. */
    if (l->c->n_audiences == 2) {
        value = l->c->audiences[0];
        l->c->audiences[0] = l->c->audiences[1];
        l->c->audiences[1] = value;
    }
    if (l->c->n_audiences == 0 && !l->rep.nomem) {
        conf_complain(&l->rep, "audience",
                      "this host's name is a loopback name, which binds a token to no host: "
                      "set audience= (host:NAME for a name only this host has)");
    }
}

/* Gives every option no source set its default. */
static void
apply_defaults(struct loader *l)
{
    char *value = NULL;

    if (!option_is_set(l, "audience"))
        default_audiences(l);

    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct conf_row *o = &options[i];
        if (l->set[i] || o->def == NULL)
            continue;
        /* key= without jwks=: the PEM key is the whole key set (pam_jwt(8) jwks=). */
        if (o->field == offsetof(struct conf, jwks) && option_is_set(l, "key"))
            continue;
        switch (conf_hosts_expand(o->def, SIZE_MAX, &value)) {
        case CONF_EXPAND_OK:
            set_value(l, o, value);
            break;
        case CONF_EXPAND_NOMEM:
            conf_complain_nomem(&l->rep);
            break;
        default:
            conf_complain(&l->rep, o->name, "no host name for the default %s: set %s=", o->def,
                          o->name);
            break;
        }
        free(value);
        value = NULL;
    }
}

/* A %s that no source replaced needs the service it stands for. */
static void
refuse_unexpanded_scope(struct loader *l)
{
    if (!l->scope_unexpanded)
        return;
    l->rep.source = l->scope_source;
    l->rep.line = l->scope_line;
    for (size_t i = 0; i < l->real->n_scopes; i++)
        if (strstr(l->real->scopes[i], "%s") != NULL) {
            conf_complain(&l->rep, "scope", "%s",
                          "%s needs a service name (jwt-helper verify --service)");
            return;
        }
}

conf_result
conf_load(struct conf *c, const char *default_path, const char *service, int argc,
          const char **argv, conf_report_fn report, void *ctx)
{
    struct loader l;
    const char *path;
    bool named = false;
    conf_result r = CONF_OK;

    memset(c, 0, sizeof *c);
    memset(&l, 0, sizeof l);
    l.c = l.real = c;
    l.service = service;
    l.rep.report = report;
    l.rep.ctx = ctx;
    for (size_t i = 0; i < N_OPTIONS; i++)
        conf_row_clear(c, &options[i]); /* "unset" is not always zero */
    if ((path = find_config(&l, argc, argv, default_path, &named)) != NULL)
        load_file(&l, path, named);
    apply_args(&l, argc, argv);
    refuse_unexpanded_scope(&l);
    apply_defaults(&l);
    if (l.rep.nomem)
        r = CONF_ERR_NOMEM;
    else if (l.file_failed)
        r = CONF_ERR_FILE;
    else if (l.rep.invalid)
        r = CONF_ERR_INVALID;
    if (r != CONF_OK)
        conf_free(c); /* never half a configuration */
    return r;
}

void
conf_free(struct conf *c)
{
    if (c == NULL)
        return;
    conf_rows_free(c, options, N_OPTIONS);
    memset(c, 0, sizeof *c);
}

void
conf_policy(const struct conf *c, struct jwt_policy *policy)
{
    memset(policy, 0, sizeof *policy);
    policy->algs = c->algs & JWT_ALGS_ACCESS;
    policy->typs = (const char *const *)c->typs;
    policy->n_typs = c->n_typs;
    policy->issuers = (const char *const *)c->issuers;
    policy->n_issuers = c->n_issuers;
    policy->audiences = (const char *const *)c->audiences;
    policy->n_audiences = c->n_audiences;
    policy->client_ids = (const char *const *)c->client_ids;
    policy->n_client_ids = c->n_client_ids;
    policy->user_claim = c->user_claim;
    policy->user = NULL;
    policy->scopes = (const char *const *)c->scopes;
    policy->n_scopes = c->n_scopes;
    policy->max_auth_age = c->max_auth_age;
    policy->leeway = c->leeway;
    policy->max_lifetime = c->max_lifetime;
    policy->max_token_len = c->max_token_len;
    policy->now = (int64_t)time(NULL);
}
