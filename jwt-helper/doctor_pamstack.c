/* SPDX-License-Identifier: MIT */
/* Reads one service's auth chain from PAM stack files (pam.d(5)) for
 * `jwt-helper doctor`. Every byte is hostile: a line it cannot read is
 * reported and left out, nesting and size are bounded. */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "doctor_pamstack.h"

#define ACT_INVALID INT_MIN
#define MAX_JUMP 1000

struct builder {
    const struct pamstack_source *src;
    struct pamstack_chain *root; /* owns every file name */
    size_t lines;                /* stack lines taken so far, PAMSTACK_MAX_LINES at most */
    size_t bytes;                /* bytes read so far: an include fan-out stays bounded */
    bool nomem;
};

static void complain(struct builder *b, const char *file, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
complain(struct builder *b, const char *file, size_t line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (b->src->report != NULL)
        b->src->report(b->src->ctx, file, line, msg);
}

/* The word quoted for a message, so a hostile file cannot forge lines. */
static const char *
quoted(const char *s, char *buf, size_t len)
{
    conf_quote(s, strlen(s), buf, len);
    return buf;
}

/* Cuts the next logical line out of *p: a '\n' ends it unless a '\' comes
 * right before it (Linux-PAM joins such lines). *used counts the physical
 * lines taken. Returns NULL at the end of the text. */
static char *
next_line(char **p, size_t *used)
{
    char *start = *p, *q = start;

    *used = 0;
    if (*start == '\0')
        return NULL;
    for (;;) {
        char *nl = strchr(q, '\n');

        (*used)++;
        if (nl == NULL) {
            *p = q + strlen(q);
            return start;
        }
        if (nl > start && nl[-1] == '\\') {
            nl[-1] = ' ';
            *nl = ' ';
            q = nl + 1;
            continue;
        }
        *nl = '\0';
        *p = nl + 1;
        return start;
    }
}

/* Cuts a "[...]" field out of *p (at its '['): "\]" stands for ']' inside,
 * as pam.d(5) says for module arguments. Returns its inside, or NULL when
 * the ']' is missing. */
static char *
next_bracketed(char **p)
{
    char *in = *p + 1, *out = in, *start = in;

    while (*in != '\0' && *in != ']') {
        if (in[0] == '\\' && in[1] == ']')
            in++;
        *out++ = *in++;
    }
    if (*in != ']')
        return NULL;
    *p = in + 1;
    *out = '\0';
    return start;
}

/* Cuts the next blank-separated field out of *p; with brackets a "[...]"
 * field is one (blanks included). Returns NULL at the end of the line, and
 * sets *bad for an unterminated bracket. */
static char *
next_field(char **p, bool brackets, bool *bad)
{
    char *s = *p + strspn(*p, " \t\r\f\v"), *end;

    *p = s;
    if (*s == '\0')
        return NULL;
    if (brackets && *s == '[') {
        char *inside = next_bracketed(p);

        if (inside == NULL)
            *bad = true;
        return inside;
    }
    end = s + strcspn(s, " \t\r\f\v");
    *p = *end != '\0' ? end + 1 : end;
    *end = '\0';
    return s;
}

/* pam.d(5)'s return value names in "[value=action]". */
static const char *const pam_value_names[] = {
    "success",
    "open_err",
    "symbol_err",
    "service_err",
    "system_err",
    "buf_err",
    "perm_denied",
    "auth_err",
    "cred_insufficient",
    "authinfo_unavail",
    "user_unknown",
    "maxtries",
    "new_authtok_reqd",
    "acct_expired",
    "session_err",
    "cred_unavail",
    "cred_expired",
    "cred_err",
    "no_module_data",
    "conv_err",
    "authtok_err",
    "authtok_recover_err",
    "authtok_lock_busy",
    "authtok_disable_aging",
    "try_again",
    "ignore",
    "abort",
    "authtok_expired",
    "module_unknown",
    "bad_item",
    "conv_again",
    "incomplete",
    "default",
};

static bool
is_pam_value_name(const char *s)
{
    for (size_t i = 0; i < sizeof(pam_value_names) / sizeof(pam_value_names[0]); i++)
        if (strcasecmp(s, pam_value_names[i]) == 0)
            return true;
    return false;
}

/* One action word: ignore, ok, done, bad, die, reset or a jump count. */
static int
parse_action(const char *s)
{
    static const struct {
        const char *name;
        int act;
    } words[] = {{"ignore", PAMSTACK_ACT_IGNORE}, {"ok", PAMSTACK_ACT_OK},
                 {"done", PAMSTACK_ACT_DONE},     {"bad", PAMSTACK_ACT_BAD},
                 {"die", PAMSTACK_ACT_DIE},       {"reset", PAMSTACK_ACT_RESET}};
    uint64_t jump;

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcasecmp(s, words[i].name) == 0)
            return words[i].act;
    if (conf_parse_uint(s, 1, MAX_JUMP, &jump))
        return (int)jump;
    return ACT_INVALID;
}

/* Which modelled return a value name sets, or -1 for one doctor does not model. */
static int
modelled_ret(const char *name)
{
    if (strcasecmp(name, "success") == 0)
        return PAMSTACK_SUCCESS;
    if (strcasecmp(name, "auth_err") == 0)
        return PAMSTACK_AUTH_ERR;
    if (strcasecmp(name, "ignore") == 0)
        return PAMSTACK_IGNORE;
    return -1;
}

/* "[value=action ...]": values doctor does not model only need to be
 * valid; one not named takes default's action, else bad (as libpam does).
 * Returns false after reporting the first bad pair. */
static bool
parse_bracket_control(struct builder *b, const char *file, size_t line, char *s, int act[])
{
    int set[PAMSTACK_N_RETS] = {ACT_INVALID, ACT_INVALID, ACT_INVALID};
    int def = PAMSTACK_ACT_BAD;
    char *pair, q[CONF_QUOTED_SIZE];
    bool unused = false;

    while ((pair = next_field(&s, false, &unused)) != NULL) {
        char *eq = strchr(pair, '=');
        int a;

        if (eq == NULL || (*eq = '\0', !is_pam_value_name(pair)) ||
            (a = parse_action(eq + 1)) == ACT_INVALID) {
            complain(b, file, line, "control %s is not value=action (pam.d(5))",
                     quoted(pair, q, sizeof(q)));
            return false;
        }
        if (strcasecmp(pair, "default") == 0)
            def = a;
        else if (modelled_ret(pair) >= 0)
            set[modelled_ret(pair)] = a;
    }
    for (int r = 0; r < PAMSTACK_N_RETS; r++)
        act[r] = set[r] != ACT_INVALID ? set[r] : def;
    return true;
}

/* The four keywords as pam.d(5) spells them out in brackets, or a bracket;
 * the inside of a bracket comes without its brackets (bracketed true). */
static bool
parse_control(struct builder *b, const char *file, size_t line, char *word, bool bracketed,
              int act[])
{
    static const struct {
        const char *name;
        int ok, fail;
    } words[] = {{"required", PAMSTACK_ACT_OK, PAMSTACK_ACT_BAD},
                 {"requisite", PAMSTACK_ACT_OK, PAMSTACK_ACT_DIE},
                 {"sufficient", PAMSTACK_ACT_DONE, PAMSTACK_ACT_IGNORE},
                 {"optional", PAMSTACK_ACT_OK, PAMSTACK_ACT_IGNORE}};
    char q[CONF_QUOTED_SIZE];

    if (bracketed)
        return parse_bracket_control(b, file, line, word, act);
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcasecmp(word, words[i].name) == 0) {
            act[PAMSTACK_SUCCESS] = words[i].ok;
            act[PAMSTACK_AUTH_ERR] = words[i].fail;
            act[PAMSTACK_IGNORE] = PAMSTACK_ACT_IGNORE;
            return true;
        }
    }
    complain(b, file, line, "unknown control %s", quoted(word, q, sizeof(q)));
    return false;
}

/* Appends a zeroed entry to chain. Returns it, or NULL when out of memory. */
static struct pamstack_entry *
add_entry(struct builder *b, struct pamstack_chain *chain, const char *file, size_t line)
{
    struct pamstack_entry *grown;

    grown = realloc(chain->entries, (chain->n + 1) * sizeof(*grown));
    if (grown == NULL) {
        b->nomem = true;
        return NULL;
    }
    chain->entries = grown;
    grown = &chain->entries[chain->n++];
    memset(grown, 0, sizeof(*grown));
    grown->file = file;
    grown->line = line;
    return grown;
}

/* Fills e's module (base name of path) and arguments from the rest of the
 * line. Returns false when out of memory or after reporting a bad line. */
static bool
take_module(struct builder *b, struct pamstack_entry *e, const char *path, char *rest)
{
    const char *slash = strrchr(path, '/');
    bool bad = false;
    char *arg;

    if ((e->module = strdup(slash != NULL ? slash + 1 : path)) == NULL ||
        (e->argv = calloc(PAMSTACK_MAX_ARGS + 1, sizeof(*e->argv))) == NULL) {
        b->nomem = true;
        return false;
    }
    while ((arg = next_field(&rest, true, &bad)) != NULL || bad) {
        if (bad || e->argc == PAMSTACK_MAX_ARGS) {
            complain(b, e->file, e->line,
                     bad ? "argument \"[\" without \"]\"" : "more than %d module arguments",
                     PAMSTACK_MAX_ARGS);
            return false;
        }
        if ((e->argv[e->argc] = strdup(arg)) == NULL) {
            b->nomem = true;
            return false;
        }
        e->argc++;
    }
    return true;
}

static void
entry_clear(struct pamstack_entry *e)
{
    for (int i = 0; i < e->argc; i++)
        free(e->argv[i]);
    free(e->argv);
    free(e->module);
    pamstack_chain_free(e->sub);
}

static int read_into(struct builder *b, struct pamstack_chain *chain, const char *name,
                     unsigned depth);

/* A module line: control, module path, arguments. A line it cannot read is
 * left out (reported). Returns -1 only when out of memory. */
static int
add_module_line(struct builder *b, struct pamstack_chain *chain, const char *file, size_t line,
                char *rest)
{
    bool bad = false, bracketed = rest[strspn(rest, " \t")] == '[';
    char *control = next_field(&rest, true, &bad), *path;
    struct pamstack_entry *e;
    int act[PAMSTACK_N_RETS];

    if (control == NULL) {
        complain(b, file, line, bad ? "control \"[\" without \"]\"" : "no control and module");
        return 0;
    }
    if (!parse_control(b, file, line, control, bracketed, act))
        return 0;
    if ((path = next_field(&rest, false, &bad)) == NULL) {
        complain(b, file, line, "no module");
        return 0;
    }
    if ((e = add_entry(b, chain, file, line)) == NULL)
        return -1;
    memcpy(e->act, act, sizeof(act));
    if (!take_module(b, e, path, rest)) {
        entry_clear(e);
        chain->n--;
    }
    return b->nomem ? -1 : 0;
}

/* "substack NAME": NAME's auth lines as one entry with required's actions
 * (pam.d(5): the substack counts as one module; done and die end only it). */
static int
add_substack(struct builder *b, struct pamstack_chain *chain, const char *file, size_t line,
             const char *name, unsigned depth)
{
    struct pamstack_entry *e;

    if ((e = add_entry(b, chain, file, line)) == NULL)
        return -1;
    e->act[PAMSTACK_SUCCESS] = PAMSTACK_ACT_OK;
    e->act[PAMSTACK_AUTH_ERR] = PAMSTACK_ACT_BAD;
    e->act[PAMSTACK_IGNORE] = PAMSTACK_ACT_IGNORE;
    if ((e->sub = calloc(1, sizeof(*e->sub))) == NULL) {
        b->nomem = true;
        return -1;
    }
    return read_into(b, e->sub, name, depth + 1);
}

/* "@include NAME", "include NAME" or "substack NAME" (substack true); rest
 * holds NAME. Returns -1 only when out of memory. */
static int
include_named(struct builder *b, struct pamstack_chain *chain, const char *file, size_t line,
              char *rest, unsigned depth, bool substack)
{
    bool bad = false;
    char *name = next_field(&rest, false, &bad);

    if (name == NULL || next_field(&rest, false, &bad) != NULL) {
        complain(b, file, line, "an include takes one file name");
        return 0;
    }
    if (depth >= PAMSTACK_MAX_DEPTH) {
        complain(b, file, line, "includes nested more than %d deep (a loop?); not followed",
                 PAMSTACK_MAX_DEPTH);
        return 0;
    }
    if (substack)
        return add_substack(b, chain, file, line, name, depth);
    return read_into(b, chain, name, depth + 1);
}

/* Returns true when word (not NUL-ended: len bytes) is keyword, any case. */
static bool
word_is(const char *word, size_t len, const char *keyword)
{
    return len == strlen(keyword) && strncasecmp(word, keyword, len) == 0;
}

static bool
is_stack_type(const char *type)
{
    return strcasecmp(type, "auth") == 0 || strcasecmp(type, "account") == 0 ||
           strcasecmp(type, "password") == 0 || strcasecmp(type, "session") == 0;
}

/* One logical line. Linux-PAM cuts a line at its first '#', even inside a
 * bracket; a leading '-' only hides a missing module. Returns -1 only when
 * out of memory. */
static int
handle_line(struct builder *b, struct pamstack_chain *chain, const char *file, size_t line,
            char *text, unsigned depth)
{
    char *hash = strchr(text, '#'), *rest = text, *type, *word, q[CONF_QUOTED_SIZE];
    bool bad = false;
    size_t len;

    if (hash != NULL)
        *hash = '\0';
    if ((type = next_field(&rest, false, &bad)) == NULL)
        return 0;
    b->lines++;
    if (strcmp(type, "@include") == 0)
        return include_named(b, chain, file, line, rest, depth, false);
    if (!is_stack_type(type[0] == '-' ? type + 1 : type)) {
        complain(b, file, line, "unknown type %s", quoted(type, q, sizeof(q)));
        return 0;
    }
    if (strcasecmp(type[0] == '-' ? type + 1 : type, "auth") != 0)
        return 0;
    word = rest + strspn(rest, " \t\r\f\v");
    len = strcspn(word, " \t\r\f\v");
    if (word_is(word, len, "include") || word_is(word, len, "substack"))
        return include_named(b, chain, file, line, word + len, depth,
                             word_is(word, len, "substack"));
    return add_module_line(b, chain, file, line, rest);
}

/* Keeps name's path (dir/name, or name when absolute) in the root chain;
 * entries point at it. Returns NULL when out of memory. */
static const char *
keep_path(struct builder *b, const char *name)
{
    struct pamstack_chain *root = b->root;
    char **grown = realloc(root->files, (root->n_files + 1) * sizeof(*grown));
    char *path = NULL;

    if (grown != NULL)
        root->files = grown;
    if (grown != NULL && (path = malloc(strlen(b->src->dir) + strlen(name) + 2)) != NULL) {
        if (name[0] == '/')
            memcpy(path, name, strlen(name) + 1);
        else
            sprintf(path, "%s/%s", b->src->dir, name);
    }
    if (path == NULL) {
        b->nomem = true;
        return NULL;
    }
    grown[root->n_files] = path;
    return grown[root->n_files++];
}

/* Reads name's lines into chain (callers keep depth <= PAMSTACK_MAX_DEPTH).
 * Returns -1 when out of memory, or when name is the service's own file
 * (depth 0) and cannot be read; a missing include is the reader's finding
 * and adds nothing. */
static int
read_into(struct builder *b, struct pamstack_chain *chain, const char *name, unsigned depth)
{
    char *text = NULL, *p, *l;
    size_t len = 0, lineno = 1, used = 0;
    const char *file;
    int rc = 0;

    if ((file = keep_path(b, name)) == NULL)
        return -1;
    if (b->src->read(b->src->ctx, file, &text, &len) != 0)
        return depth == 0 ? -1 : 0;
    if ((b->bytes += len) > PAMSTACK_MAX_TOTAL_BYTES) {
        complain(b, file, 0, "more than %d bytes of stack files; not read",
                 PAMSTACK_MAX_TOTAL_BYTES);
        goto out;
    }
    if (len > PAMSTACK_MAX_FILE_BYTES || memchr(text, '\0', len) != NULL) {
        complain(b, file, 0, "larger than %d bytes or holding a NUL byte; not read",
                 PAMSTACK_MAX_FILE_BYTES);
        goto out;
    }
    p = text;
    while (rc == 0 && (l = next_line(&p, &used)) != NULL) {
        if (b->lines >= PAMSTACK_MAX_LINES) {
            complain(b, file, lineno, "more than %d stack lines; the rest is not read",
                     PAMSTACK_MAX_LINES);
            break;
        }
        rc = handle_line(b, chain, file, lineno, l, depth);
        lineno += used;
    }
out:
    free(text);
    return b->nomem ? -1 : rc;
}

int
pamstack_build(const struct pamstack_source *src, const char *service, struct pamstack_chain **out)
{
    struct builder b = {.src = src};
    struct pamstack_chain *chain = calloc(1, sizeof(*chain));

    *out = NULL;
    if (chain == NULL)
        return -1;
    b.root = chain;
    if (read_into(&b, chain, service, 0) != 0) {
        pamstack_chain_free(chain);
        return -1;
    }
    *out = chain;
    return 0;
}

void
pamstack_chain_free(struct pamstack_chain *chain)
{
    if (chain == NULL)
        return;
    for (size_t i = 0; i < chain->n; i++)
        entry_clear(&chain->entries[i]);
    free(chain->entries);
    for (size_t i = 0; i < chain->n_files; i++)
        free(chain->files[i]);
    free(chain->files);
    free(chain);
}
