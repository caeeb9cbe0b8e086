/* SPDX-License-Identifier: MIT */
/* pam_jwt's options: built-in defaults, then one file, then module arguments
 * (DESIGN §3 "Precise rules"), all driven by one table.
 *
 * File syntax (pam_jwt.conf(5)): one "key = value" per line; blank lines;
 * comments are whole lines whose first non-blank byte is '#' (a '#' later
 * on a line is part of the value, so a prompt may contain one). Blanks
 * around key and value are dropped; a value wrapped in double quotes keeps
 * its inner blanks ("Token: "), without escapes. A flag is "debug = yes|no"
 * in the file and a bare word ("debug", or "debug=yes|no") as a module
 * argument. Module arguments are taken verbatim: no trimming, no quotes.
 * List values (algs, typ, scope) are comma-separated, blanks around items
 * dropped; issuer and audience may be repeated within one source. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"

#define QUOTE_MAX 64               /* value bytes quoted in a message */
#define MESSAGE_MAX (CONF_MAX_VALUE + 512)
#define MAX_SECONDS_OPTION 31536000 /* one year: longer is a typo, not a policy */

struct loader;
struct option;

/* Validates one value or list item; may replace *item (audience expansion).
 * Reports and returns false when it is bad. */
typedef bool (*check_fn)(struct loader *l, const struct option *o, char **item);

enum opt_type {
    OPT_STRING, /* char *: one value */
    OPT_REPEAT, /* char ** list: each occurrence within one source adds a value */
    OPT_CSV,    /* char ** list: one comma-separated value per source */
    OPT_ALGS,   /* unsigned mask of JWT_ALG_BIT from a comma-separated list */
    OPT_INT64,  /* int64_t within [min, max]; -1 when unset */
    OPT_SIZE,   /* size_t within [min, max] */
    OPT_FLAG,   /* bool */
    OPT_CONFIG, /* config=PATH: a module argument only, read before the file */
};

/* One row per option of DESIGN §3: the table drives parsing and defaults. */
struct option {
    const char *name;
    enum opt_type type;
    size_t field;    /* offsetof the value in struct conf */
    size_t count;    /* lists: offsetof the entry count */
    check_fn check;  /* strings and list items */
    const char *def; /* the default, parsed like a file value after %h / %H
                      * expansion; NULL: unset */
    uint64_t min, max;
};

/* State of one conf_load call. */
struct loader {
    struct conf *c;
    conf_report_fn report;
    void *ctx;
    const char *path;  /* the file being read, NULL for arguments and defaults */
    size_t line;
    bool seen[32];     /* set within the current source (duplicates) */
    bool set[32];      /* set by any source (defaults apply to the rest) */
    bool invalid, file_failed, nomem;
};

static bool check_path(struct loader *l, const struct option *o, char **item);
static bool check_text(struct loader *l, const struct option *o, char **item);
static bool check_name(struct loader *l, const struct option *o, char **item);
static bool check_audience(struct loader *l, const struct option *o, char **item);
static bool check_typ(struct loader *l, const struct option *o, char **item);
static bool check_scope(struct loader *l, const struct option *o, char **item);

#define F(member) offsetof(struct conf, member)
#define DEFAULT_ALGS "EdDSA,ES256,ES384,RS256,RS384,RS512,PS256,PS384,PS512"

static const struct option options[] = {
    {"jwks", OPT_STRING, F(jwks), 0, check_path, CONF_DEFAULT_JWKS, 0, 0},
    {"key", OPT_STRING, F(key), 0, check_path, NULL, 0, 0},
    {"issuer", OPT_REPEAT, F(issuers), F(n_issuers), check_text, "jwt-helper@%H", 0, 0},
    {"audience", OPT_REPEAT, F(audiences), F(n_audiences), check_audience, "pam", 0, 0},
    {"algs", OPT_ALGS, F(algs), 0, NULL, DEFAULT_ALGS, 0, 0},
    {"user_claim", OPT_STRING, F(user_claim), 0, check_name, "sub", 0, 0},
    {"scope", OPT_CSV, F(scopes), F(n_scopes), check_scope, NULL, 0, 0},
    {"max_auth_age", OPT_INT64, F(max_auth_age), 0, NULL, NULL, 0, MAX_SECONDS_OPTION},
    {"once", OPT_FLAG, F(once), 0, NULL, NULL, 0, 0},
    {"once_dir", OPT_STRING, F(once_dir), 0, check_path, CONF_DEFAULT_ONCE_DIR, 0, 0},
    {"leeway", OPT_INT64, F(leeway), 0, NULL, "60", 0, 3600},
    {"max_lifetime", OPT_INT64, F(max_lifetime), 0, NULL, "3600", 1, MAX_SECONDS_OPTION},
    {"max_token_len", OPT_SIZE, F(max_token_len), 0, NULL, "8192", 16, JWT_HARD_MAX_TOKEN_LEN},
    {"typ", OPT_CSV, F(typs), F(n_typs), check_typ, "at+jwt,JWT", 0, 0},
    {"revocation", OPT_STRING, F(revocation), 0, check_path, NULL, 0, 0},
    {"prompt", OPT_STRING, F(prompt), 0, check_text, CONF_DEFAULT_PROMPT, 0, 0},
    {"socket", OPT_STRING, F(socket), 0, check_path, CONF_DEFAULT_SOCKET, 0, 0},
    {"use_first_pass", OPT_FLAG, F(use_first_pass), 0, NULL, NULL, 0, 0},
    {"try_first_pass", OPT_FLAG, F(try_first_pass), 0, NULL, NULL, 0, 0},
    {"debug", OPT_FLAG, F(debug), 0, NULL, NULL, 0, 0},
    {"quiet", OPT_FLAG, F(quiet), 0, NULL, NULL, 0, 0},
    {"config", OPT_CONFIG, 0, 0, check_path, NULL, 0, 0},
};
#define N_OPTIONS (sizeof options / sizeof options[0])
_Static_assert(N_OPTIONS <= 32, "struct loader's seen/set arrays are too small");

/* ---- messages ---- */

/* Writes s[0..len) as a double-quoted C-style string, cut to QUOTE_MAX bytes,
 * so that a hostile value cannot forge log lines. */
static void
quote(const char *s, size_t len, char *out, size_t out_len)
{
    size_t o = 0, i;

    out[o++] = '"';
    for (i = 0; i < len && i < QUOTE_MAX && o + 8 < out_len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            o += (size_t)snprintf(out + o, out_len - o, "\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7f)
            o += (size_t)snprintf(out + o, out_len - o, "\\x%02x", ch);
        else
            out[o++] = (char)ch;
    }
    if (i < len)
        o += (size_t)snprintf(out + o, out_len - o, "...");
    out[o++] = '"';
    out[o] = '\0';
}

/* Reports one problem as "[path:line: ][name: ]message" and marks the load
 * as failed (file access problems are marked by the caller instead). */
static void __attribute__((format(printf, 3, 4)))
complain(struct loader *l, const char *name, const char *fmt, ...)
{
    char msg[MESSAGE_MAX];
    size_t n = 0;
    va_list ap;

    l->invalid = true;
    if (l->report == NULL)
        return;
    if (l->path != NULL)
        n += (size_t)snprintf(msg, sizeof msg, "%s:%zu: ", l->path, l->line);
    if (name != NULL && n < sizeof msg)
        n += (size_t)snprintf(msg + n, sizeof msg - n, "%s: ", name);
    if (n < sizeof msg) {
        va_start(ap, fmt);
        vsnprintf(msg + n, sizeof msg - n, fmt, ap);
        va_end(ap);
    }
    l->report(l->ctx, msg);
}

static void
complain_nomem(struct loader *l)
{
    if (!l->nomem)
        complain(l, NULL, "out of memory");
    l->nomem = true;
}

/* ---- numbers and host names ---- */

bool
conf_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (s == NULL || s[0] < '0' || s[0] > '9')
        return false;
    if (s[0] == '0' && s[1] != '\0')
        return false; /* "01" might be read as octal elsewhere: refuse doubt */
    for (i = 0; s[i] != '\0'; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (s[i] < '0' || s[i] > '9')
            return false;
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool
conf_hostname(bool full, char *buf, size_t len)
{
    char name[HOST_NAME_MAX + 1];
    size_t n;

    if (buf == NULL || len == 0)
        return false;
    buf[0] = '\0';
    memset(name, 0, sizeof name);
    if (gethostname(name, sizeof name - 1) != 0)
        return false;
    n = full ? strlen(name) : strcspn(name, ".");
    if (n == 0 || n >= len)
        return false;
    memcpy(buf, name, n);
    buf[n] = '\0';
    return true;
}

/* ---- value checks ---- */

static bool
has_control(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            return true;
    return false;
}

/* Reports that item is not what option o wants ("an absolute path"). */
static bool
refuse(struct loader *l, const struct option *o, const char *item, const char *wanted)
{
    char q[QUOTE_MAX * 4 + 8];

    quote(item, strlen(item), q, sizeof q);
    complain(l, o->name, "%s is not %s", q, wanted);
    return false;
}

static bool
check_path(struct loader *l, const struct option *o, char **item)
{
    if ((*item)[0] != '/' || has_control(*item))
        return refuse(l, o, *item, "an absolute path");
    return true;
}

static bool
check_text(struct loader *l, const struct option *o, char **item)
{
    if (has_control(*item))
        return refuse(l, o, *item, "text without control characters");
    return true;
}

/* Visible ASCII (0x21..0x7e) except the list separator ','. */
static bool
is_visible_word(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || *s == ',')
            return false;
    return true;
}

static bool
check_name(struct loader *l, const struct option *o, char **item)
{
    if (!is_visible_word(*item))
        return refuse(l, o, *item, "a claim name (visible ASCII, no ',')");
    return true;
}

static bool
check_typ(struct loader *l, const struct option *o, char **item)
{
    const char *t = *item;
    char q[QUOTE_MAX * 4 + 8];

    if (!is_visible_word(t))
        return refuse(l, o, t, "a media type (visible ASCII, no ',')");
    if (strncasecmp(t, "application/", 12) == 0)
        t += 12;
    /* A refresh token must never pass as an access token (DESIGN §1). */
    if (strcasecmp(t, "rt+jwt") == 0) {
        quote(*item, strlen(*item), q, sizeof q);
        complain(l, o->name, "%s can never be accepted (refresh tokens)", q);
        return false;
    }
    return true;
}

/* RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E, less our ','. */
static bool
check_scope(struct loader *l, const struct option *o, char **item)
{
    if (!is_visible_word(*item) || strpbrk(*item, "\"\\") != NULL)
        return refuse(l, o, *item, "a scope word (RFC 6749 scope-token without ',')");
    return true;
}

enum expand_result { EXPAND_OK, EXPAND_NOMEM, EXPAND_BAD_ESCAPE, EXPAND_NO_HOST };

/* Expands %h (short host name), %H (full) and %% in in into a malloc'd *out;
 * any other '%' is refused: a typo must not silently match nothing. */
static enum expand_result
expand_hosts(const char *in, char **out)
{
    char host[HOST_NAME_MAX + 1], *buf;
    size_t n = 0, cap = strlen(in) + 1, add;
    const char *piece;
    enum expand_result r = EXPAND_OK;

    *out = NULL;
    for (const char *p = in; *p != '\0'; p++)
        if (*p == '%')
            cap += sizeof host;
    if ((buf = malloc(cap)) == NULL)
        return EXPAND_NOMEM;
    for (; *in != '\0'; in++) {
        piece = in;
        add = 1;
        if (*in == '%') {
            in++;
            if (*in != '%' && *in != 'h' && *in != 'H') {
                r = EXPAND_BAD_ESCAPE;
                goto out;
            }
            if (*in != '%' && !conf_hostname(*in == 'H', host, sizeof host)) {
                r = EXPAND_NO_HOST;
                goto out;
            }
            piece = *in == '%' ? "%" : host;
            add = strlen(piece);
        }
        memcpy(buf + n, piece, add);
        n += add;
    }
    buf[n] = '\0';
    *out = buf;
    buf = NULL;
out:
    free(buf);
    return r;
}

static bool
check_audience(struct loader *l, const struct option *o, char **item)
{
    char *expanded = NULL;

    if (has_control(*item))
        return refuse(l, o, *item, "text without control characters");
    switch (expand_hosts(*item, &expanded)) {
    case EXPAND_OK:
        break;
    case EXPAND_NOMEM:
        complain_nomem(l);
        return false;
    case EXPAND_BAD_ESCAPE:
        return refuse(l, o, *item, "valid: only %h, %H and %% may follow a '%'");
    default:
        return refuse(l, o, *item, "expandable: the host name is unknown");
    }
    if (strlen(expanded) > CONF_MAX_VALUE) {
        free(expanded);
        complain(l, o->name, "value longer than %d bytes after expansion", CONF_MAX_VALUE);
        return false;
    }
    free(*item);
    *item = expanded;
    return true;
}

/* ---- storing values ---- */

static char **
field_str(struct conf *c, const struct option *o)
{
    return (char **)(void *)((char *)c + o->field);
}

static char ***
field_list(struct conf *c, const struct option *o)
{
    return (char ***)(void *)((char *)c + o->field);
}

static size_t *
field_count(struct conf *c, const struct option *o)
{
    return (size_t *)(void *)((char *)c + o->count);
}

/* Resets the option's field to "unset": a later source replaces, never
 * merges with, an earlier one. */
static void
clear_field(struct conf *c, const struct option *o)
{
    char *base = (char *)c + o->field;

    switch (o->type) {
    case OPT_STRING:
        free(*field_str(c, o));
        *field_str(c, o) = NULL;
        break;
    case OPT_REPEAT:
    case OPT_CSV:
        for (size_t i = 0; i < *field_count(c, o); i++)
            free((*field_list(c, o))[i]);
        free(*field_list(c, o));
        *field_list(c, o) = NULL;
        *field_count(c, o) = 0;
        break;
    case OPT_ALGS:
        *(unsigned *)(void *)base = 0;
        break;
    case OPT_INT64:
        *(int64_t *)(void *)base = -1;
        break;
    case OPT_SIZE:
        *(size_t *)(void *)base = 0;
        break;
    case OPT_FLAG:
        *(bool *)(void *)base = false;
        break;
    case OPT_CONFIG:
        break;
    }
}

/* Checks item (owned: freed on failure) and appends it to o's list. */
static void
list_take(struct loader *l, const struct option *o, char *item)
{
    char ***list = field_list(l->c, o), **grown;
    size_t *n = field_count(l->c, o);

    if (!o->check(l, o, &item))
        goto out;
    if (*n >= CONF_MAX_LIST) {
        complain(l, o->name, "more than %d values", CONF_MAX_LIST);
        goto out;
    }
    if ((grown = realloc(*list, (*n + 1) * sizeof *grown)) == NULL) {
        complain_nomem(l);
        goto out;
    }
    *list = grown;
    grown[(*n)++] = item;
    item = NULL;
out:
    free(item);
}

/* Adds one algorithm name (owned) to the mask. "none" and HMAC can never be
 * allowed: a symmetric key on a verifier could mint tokens (DESIGN §3). */
static void
algs_take(struct loader *l, const struct option *o, char *item)
{
    char q[QUOTE_MAX * 4 + 8];
    enum jwt_alg alg;

    quote(item, strlen(item), q, sizeof q);
    if (strcasecmp(item, "none") == 0 || strncasecmp(item, "HS", 2) == 0)
        complain(l, o->name, "%s can never be allowed", q);
    else if (!jwt_alg_from_name(item, &alg) || (JWT_ALG_BIT(alg) & JWT_ALGS_ACCESS) == 0)
        complain(l, o->name, "%s is not a known algorithm (%s)", q, DEFAULT_ALGS);
    else
        *(unsigned *)(void *)((char *)l->c + o->field) |= JWT_ALG_BIT(alg);
    free(item);
}

/* Splits a comma-separated value, dropping blanks around each item, and
 * hands each item to the option's taker. An empty item is an error. */
static void
split_list(struct loader *l, const struct option *o, const char *value)
{
    const char *p = value, *end;
    size_t len;
    char *item;

    for (;;) {
        end = strchr(p, ',');
        len = end != NULL ? (size_t)(end - p) : strlen(p);
        while (len > 0 && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == 0) {
            complain(l, o->name, "empty item in the list");
        } else if ((item = strndup(p, len)) == NULL) {
            complain_nomem(l);
            return;
        } else if (o->type == OPT_ALGS) {
            algs_take(l, o, item);
        } else {
            list_take(l, o, item);
        }
        if (end == NULL)
            return;
        p = end + 1;
    }
}

static void
set_number(struct loader *l, const struct option *o, const char *value)
{
    char q[QUOTE_MAX * 4 + 8];
    char *base = (char *)l->c + o->field;
    uint64_t v;

    if (!conf_parse_uint(value, o->min, o->max, &v)) {
        quote(value, strlen(value), q, sizeof q);
        complain(l, o->name, "%s is not a whole number from %llu to %llu", q,
                 (unsigned long long)o->min, (unsigned long long)o->max);
        return;
    }
    if (o->type == OPT_INT64)
        *(int64_t *)(void *)base = (int64_t)v; /* max is at most a year */
    else
        *(size_t *)(void *)base = (size_t)v;
}

static void
set_flag(struct loader *l, const struct option *o, const char *value)
{
    char q[QUOTE_MAX * 4 + 8];
    bool *flag = (bool *)(void *)((char *)l->c + o->field);

    if (strcmp(value, "yes") == 0) {
        *flag = true;
    } else if (strcmp(value, "no") == 0) {
        *flag = false;
    } else {
        quote(value, strlen(value), q, sizeof q);
        complain(l, o->name, "%s is not yes or no", q);
    }
}

static void
set_string(struct loader *l, const struct option *o, const char *value)
{
    char *copy = strdup(value);

    if (copy == NULL) {
        complain_nomem(l);
        return;
    }
    if (o->type == OPT_REPEAT) {
        list_take(l, o, copy);
    } else if (o->check(l, o, &copy)) {
        *field_str(l->c, o) = copy;
    } else {
        free(copy);
    }
}

/* Parses value into o's field (which the caller cleared or is adding to). */
static void
set_value(struct loader *l, const struct option *o, const char *value)
{
    size_t len = strlen(value);

    if (len == 0) {
        complain(l, o->name, "empty value");
        return;
    }
    if (len > CONF_MAX_VALUE) {
        complain(l, o->name, "value longer than %d bytes", CONF_MAX_VALUE);
        return;
    }
    switch (o->type) {
    case OPT_STRING:
    case OPT_REPEAT:
        set_string(l, o, value);
        break;
    case OPT_CSV:
    case OPT_ALGS:
        split_list(l, o, value);
        break;
    case OPT_INT64:
    case OPT_SIZE:
        set_number(l, o, value);
        break;
    case OPT_FLAG:
        set_flag(l, o, value);
        break;
    case OPT_CONFIG:
        /* The file to read cannot be named from inside a file. */
        complain(l, o->name, "only meaningful as a module argument");
        break;
    }
}

/* ---- sources ---- */

static const struct option *
find_option(const char *name, size_t len)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (strlen(options[i].name) == len && memcmp(options[i].name, name, len) == 0)
            return &options[i];
    return NULL;
}

/* Applies name (name_len bytes) with value, NULL for a bare word, from the
 * current source. */
static void
apply(struct loader *l, const char *name, size_t name_len, const char *value)
{
    const struct option *o = find_option(name, name_len);
    char q[QUOTE_MAX * 4 + 8];
    size_t i;

    if (o == NULL) {
        quote(name, name_len, q, sizeof q);
        complain(l, NULL, "unknown option %s", q);
        return;
    }
    i = (size_t)(o - options);
    if (value == NULL && o->type != OPT_FLAG) {
        complain(l, o->name, "needs a value (%s=...)", o->name);
        return;
    }
    if (l->seen[i] && o->type != OPT_REPEAT) {
        complain(l, o->name, "given twice");
        return;
    }
    if (!l->seen[i])
        clear_field(l->c, o);
    l->seen[i] = l->set[i] = true;
    set_value(l, o, value != NULL ? value : "yes");
}

static char *
trim(char *s)
{
    size_t len;

    while (*s == ' ' || *s == '\t' || *s == '\r')
        s++;
    len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        s[--len] = '\0';
    return s;
}

/* One line of the file: blank, "# comment" or "key = value". */
static void
parse_line(struct loader *l, char *line, size_t len)
{
    char q[QUOTE_MAX * 4 + 8];
    char *key, *value, *eq;
    size_t vlen;

    if (strlen(line) != len) {
        complain(l, NULL, "NUL byte in line");
        return;
    }
    key = trim(line);
    if (*key == '\0' || *key == '#')
        return;
    if ((eq = strchr(key, '=')) == NULL) {
        quote(key, strlen(key), q, sizeof q);
        complain(l, NULL, "%s is not \"key = value\"", q);
        return;
    }
    *eq = '\0';
    key = trim(key);
    value = trim(eq + 1);
    vlen = strlen(value);
    if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
        value[vlen - 1] = '\0';
        value++;
    }
    apply(l, key, strlen(key), value);
}

/* Parses the file's text (NUL-terminated at text[len], ours to modify). */
static void
parse_text(struct loader *l, char *text, size_t len)
{
    char *line = text, *end = text + len, *nl;

    l->line = 0;
    while (line < end) {
        if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
            nl = end;
        *nl = '\0';
        l->line++;
        parse_line(l, line, (size_t)(nl - line));
        line = nl + 1;
    }
}

/* Reads and applies path; named (by config=) files must exist. */
static void
load_file(struct loader *l, const char *path, bool named)
{
    char *text = NULL;
    size_t len = 0;
    jwt_result r;
    int err;

    errno = 0;
    r = jwt_file_read(path, CONF_MAX_FILE_BYTES, -1, &text, &len);
    err = errno;
    if (r == JWT_ERR_FILE_OPEN && err == ENOENT && !named)
        goto out; /* no file is the same as an empty one */
    if (r == JWT_ERR_NOMEM) {
        complain_nomem(l);
    } else if (r != JWT_OK) {
        complain(l, named ? "config" : NULL, "%s: %s%s%s", path, jwt_result_str(r),
                 r == JWT_ERR_FILE_OPEN ? ": " : "", r == JWT_ERR_FILE_OPEN ? strerror(err) : "");
        l->file_failed = true;
    } else {
        l->path = path;
        memset(l->seen, 0, sizeof l->seen);
        parse_text(l, text, len);
        l->path = NULL;
    }
out:
    free(text);
}

/* Finds config=PATH among the arguments (it decides which file to read, so
 * it is looked at first). Returns the file to read, or NULL for none: a bad
 * or repeated config= reads no file at all rather than a guessed one. */
static const char *
find_config(struct loader *l, int argc, const char **argv, const char *default_path,
            bool *named)
{
    const char *found = NULL, *v;
    char q[QUOTE_MAX * 4 + 8];
    bool bad = false;

    *named = false;
    for (int i = 0; i < argc; i++) {
        if (argv[i] == NULL || strncmp(argv[i], "config=", 7) != 0)
            continue;
        v = argv[i] + 7;
        if (found != NULL || *named) {
            complain(l, "config", "given twice");
            bad = true;
        }
        *named = true;
        if (v[0] != '/' || has_control(v) || strlen(v) > CONF_MAX_VALUE) {
            quote(v, strlen(v), q, sizeof q);
            complain(l, "config", "%s is not an absolute path", q);
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
    const struct option *o = find_option(name, strlen(name));

    return o != NULL && l->set[o - options];
}

/* Gives every option no source set its default. */
static void
apply_defaults(struct loader *l)
{
    char *value = NULL;

    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option *o = &options[i];
        if (l->set[i] || o->def == NULL)
            continue;
        /* key= without jwks=: the PEM key is the whole key set (DESIGN §3). */
        if (o->field == offsetof(struct conf, jwks) && option_is_set(l, "key"))
            continue;
        switch (expand_hosts(o->def, &value)) {
        case EXPAND_OK:
            set_value(l, o, value);
            break;
        case EXPAND_NOMEM:
            complain_nomem(l);
            break;
        default:
            complain(l, o->name, "no host name for the default %s: set %s=", o->def, o->name);
            break;
        }
        free(value);
        value = NULL;
    }
}

conf_result
conf_load(struct conf *c, const char *default_path, int argc, const char **argv,
          conf_report_fn report, void *ctx)
{
    struct loader l;
    const char *path;
    bool named = false;
    conf_result r = CONF_OK;

    memset(c, 0, sizeof *c);
    memset(&l, 0, sizeof l);
    l.c = c;
    l.report = report;
    l.ctx = ctx;
    for (size_t i = 0; i < N_OPTIONS; i++)
        clear_field(c, &options[i]);
    if ((path = find_config(&l, argc, argv, default_path, &named)) != NULL)
        load_file(&l, path, named);
    apply_args(&l, argc, argv);
    apply_defaults(&l);
    if (l.nomem)
        r = CONF_ERR_NOMEM;
    else if (l.file_failed)
        r = CONF_ERR_FILE;
    else if (l.invalid)
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
    for (size_t i = 0; i < N_OPTIONS; i++)
        clear_field(c, &options[i]);
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
