/* SPDX-License-Identifier: MIT */
/* pam_jwt's options (pam_jwt(8), pam_jwt.conf(5)): /etc/security/pam_jwt.conf, then module
 * arguments; shared by the module and `jwt-helper verify --config`. */
#ifndef PAM_JWT_CONF_H
#define PAM_JWT_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jwt.h"

#define CONF_DEFAULT_PATH "/etc/security/pam_jwt.conf"
#define CONF_DEFAULT_JWKS "/etc/jwt-helper/jwks.json"
#define CONF_DEFAULT_ONCE_DIR "/run/pam_jwt"
#define CONF_DEFAULT_PROMPT "Token: "
#define CONF_MAX_FILE_BYTES (64 * 1024)
#define CONF_MAX_LIST 32      /* entries in one list option */
#define CONF_MAX_SERVICES 256 /* service names in all the blocks of a file */
#define CONF_MAX_VALUE 4096   /* bytes in one value */
#define CONF_MAX_LEEWAY 3600  /* the largest leeway= accepted */

typedef enum {
    CONF_OK = 0,
    CONF_ERR_NOMEM,
    CONF_ERR_FILE,    /* the config file is missing (when named), unreadable or unsafe */
    CONF_ERR_INVALID, /* unknown option, bad value, duplicate, syntax */
} conf_result;

/* Every option of pam_jwt(8), after defaults, file and arguments. Strings and
 * lists are owned by the struct (conf_free). Audiences have %h / %H
 * expanded already. */
struct conf {
    char *jwks; /* NULL when key= was given and jwks= was not */
    char *key;  /* PEM public key, or NULL */
    char **issuers;
    size_t n_issuers;
    char **audiences;
    size_t n_audiences;
    char **client_ids; /* empty: any client */
    size_t n_client_ids;
    unsigned algs; /* mask of JWT_ALG_BIT, never including HS256 */
    char *user_claim;
    char **scopes;
    size_t n_scopes;
    int64_t max_auth_age; /* -1 when unset */
    bool once;
    char *once_dir;
    int64_t leeway;
    int64_t max_lifetime;
    size_t max_token_len;
    char **typs;
    size_t n_typs;
    char *revocation; /* NULL when unset */
    char *prompt;
    char *socket;
    bool use_first_pass;
    bool try_first_pass;
    bool try_token; /* not a JWS, or no usable key set: PAM_IGNORE */
    bool debug;
    bool quiet;
};

/* Receives one human-readable message per problem, naming the option and,
 * for the file, "path:line". ctx is the caller's (a pam handle, a FILE *). */
typedef void (*conf_report_fn)(void *ctx, const char *message);

/* Loads options for the PAM service service (PAM_SERVICE as is; NULL: the
 * file's global lines only, and %s in scope= is an error): defaults, then
 * the file (config= among argv names another; the default file may be
 * missing, a named one may not) -- its global lines, then the first
 * "service" block naming service -- then argv (module arguments,
 * "name=value" or a bare flag), which win. Every problem of the whole file
 * (every block) is reported through report (when not NULL) before
 * returning; on error *c is left empty (conf_free-able). */
conf_result conf_load(struct conf *c, const char *default_path, const char *service, int argc,
                      const char **argv, conf_report_fn report, void *ctx) JWT_MUST_CHECK;
/* Frees everything c owns and zeroes it; safe on a zeroed struct. */
void conf_free(struct conf *c);
/* Fills policy from c (pointers into c: keep c alive) with now = time(NULL)
 * and user = NULL. */
void conf_policy(const struct conf *c, struct jwt_policy *policy);

/* ---- Text-level pieces shared by the option parsers (pam_jwt/conf_text.c):
 * pam_jwt's conf.c and jwt-helperd's helperd_conf.c read the same "key =
 * value" syntax and report problems the same way; each keeps its own table. */

#define CONF_QUOTE_MAX 64                         /* value bytes quoted in a message */
#define CONF_QUOTED_SIZE (CONF_QUOTE_MAX * 4 + 8) /* room for conf_quote of any value */
#define CONF_MESSAGE_MAX (CONF_MAX_VALUE + 512)   /* one message, with its NUL */

/* Where one parse sends its messages, and what it has reported so far. The
 * caller fills report, ctx, source, line and message_max; the conf_
 * functions below set invalid and nomem. A zeroed struct reports nothing. */
struct conf_reporter {
    conf_report_fn report; /* NULL: messages are dropped, the flags still set */
    void *ctx;             /* handed to report */
    const char *source;    /* the file named in messages, or NULL */
    size_t line;           /* the current line of source, 0 for none */
    size_t message_max;    /* messages are cut to this many bytes with the NUL;
                            * 0 or more than CONF_MESSAGE_MAX: CONF_MESSAGE_MAX */
    bool invalid;          /* a problem (not a warning) was reported */
    bool nomem;            /* "out of memory" was reported */
};

/* Called by conf_lines_parse for each "key = value" line with key and
 * value trimmed (and value's double quotes taken off); both point into the
 * text and last only for the call. r->line is the line's number. */
typedef void (*conf_pair_fn)(void *ctx, const char *key, const char *value);

/* Results of conf_hosts_expand. */
enum conf_expand {
    CONF_EXPAND_OK,
    CONF_EXPAND_NOMEM,
    CONF_EXPAND_BAD_ESCAPE, /* a '%' not followed by h, H or % */
    CONF_EXPAND_NO_HOST,    /* gethostname failed or gave a name too long */
    CONF_EXPAND_TOO_LONG,   /* the result would pass max bytes */
};

/* Writes s[0..len) into out (out_len bytes, at least 16) as a double-quoted
 * string with C-style escapes (\", \\, \xNN for control and non-ASCII
 * bytes), cut to CONF_QUOTE_MAX bytes of s and marked "..." when cut, so a
 * hostile value cannot forge log lines. out_len >= CONF_QUOTED_SIZE holds
 * any value; a smaller out is cut sooner. Always NUL-terminates out. */
void conf_quote(const char *s, size_t len, char *out, size_t out_len);

/* Returns true when s holds a control byte (below 0x20, or 0x7f). */
bool conf_has_control(const char *s);

/* Returns true when s is visible ASCII only (0x21..0x7e) and holds no ','
 * (the list separator); true for "". */
bool conf_is_visible_word(const char *s);

/* Returns true when s starts with '/' and holds no control byte. */
bool conf_is_absolute_path(const char *s);

/* Parses a decimal unsigned integer in [min, max]: digits only, no sign, no
 * spaces, no leading zeros except "0". Returns true and sets *out, else false. */
bool conf_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out) JWT_MUST_CHECK;

/* Writes the host name into buf: full (as gethostname gives it, the %H
 * expansion) or short (up to the first dot, %h). Returns false when it does
 * not fit or gethostname fails. */
bool conf_hostname(bool full, char *buf, size_t len) JWT_MUST_CHECK;

/* Expands %h (short host name), %H (full) and %% in in. Any other '%' is
 * refused: a typo must not silently match nothing. Problems are found in
 * the order of the text; max bounds the result's length (SIZE_MAX: none).
 * Returns CONF_EXPAND_OK with *out a new string (the caller's: free), else
 * the first problem with *out NULL. */
enum conf_expand conf_hosts_expand(const char *in, size_t max, char **out) JWT_MUST_CHECK;

/* Returns what a value that failed conf_hosts_expand with e is not, as the
 * end of "VALUE is not ..." ("valid: only %h, %H and %% may follow a '%'");
 * a static string, never NULL. */
const char *conf_expand_wanted(enum conf_expand e);

/* Reports "[source:line: |line N: |source: ][name: ]message" (the first part
 * from r->source and r->line, name when not NULL) and sets r->invalid. */
void conf_complain(struct conf_reporter *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports as conf_complain does, after "warning: ", without setting
 * r->invalid: advice, not a problem. */
void conf_warn(struct conf_reporter *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports "out of memory" once per reporter; sets r->nomem and r->invalid. */
void conf_complain_nomem(struct conf_reporter *r);

/* Reports "name: "ITEM" is not WANTED" (ITEM quoted by conf_quote). Returns
 * false, so a check can end with return conf_refuse(...). */
bool conf_refuse(struct conf_reporter *r, const char *name, const char *item, const char *wanted);

/* Returns true when value is neither empty nor longer than CONF_MAX_VALUE
 * bytes; else reports "empty value" or "value longer than N bytes". */
bool conf_value_fits(struct conf_reporter *r, const char *name, const char *value);

/* Parses value as conf_parse_uint does. Returns true with *out set, else
 * reports ""VALUE" is not a whole number from MIN to MAX" and returns false. */
bool conf_number_parse(struct conf_reporter *r, const char *name, const char *value, uint64_t min,
                       uint64_t max, uint64_t *out);

/* Reports a failed jwt_file_read of path (result jr, errno err) as
 * "PATH: REASON", with ": strerror(err)" when the file could not be opened. */
void conf_file_complain(struct conf_reporter *r, const char *name, const char *path, jwt_result jr,
                        int err);

/* Parses text[0..len] (NUL at text[len]; modified in place) line by line:
 * blank lines and lines whose first non-blank byte is '#' are skipped; a
 * line with a NUL byte or without '=' is reported; every other line is
 * split at its first '=', key and value trimmed of blanks (space, tab, CR),
 * a value wrapped in double quotes unwrapped (no escapes), and handed to
 * apply. r->line counts the lines from 1 and is 0 again on return. */
void conf_lines_parse(struct conf_reporter *r, char *text, size_t len, conf_pair_fn apply,
                      void *ctx);

/* What conf_lines_parse_with does with a line: take_line (may be NULL) is
 * offered every line that is neither blank nor a comment, trimmed, first;
 * when it returns true the line is its, else the line is "key = value"
 * for apply. pam_jwt.conf's "service NAME..." lines go this way. */
struct conf_line_handlers {
    conf_pair_fn apply;
    bool (*take_line)(void *ctx, char *line);
};

/* conf_lines_parse with a take_line handler as well. */
void conf_lines_parse_with(struct conf_reporter *r, char *text, size_t len,
                           const struct conf_line_handlers *on, void *ctx);

/* Appends item to the list *list of *n entries (growing it) and takes it:
 * on out of memory it is freed and reported, and false returned. */
bool conf_list_append(struct conf_reporter *r, char ***list, size_t *n, char *item);

/* Frees list's n entries and list itself; NULL is a no-op. */
void conf_list_free(char **list, size_t n);

/* Takes the next item of the comma-separated list at *p (start with *p =
 * the value), blanks (space, tab) around it dropped, and moves *p past it;
 * *p becomes NULL after the last item, and on out of memory (the rest is
 * left unread). Returns the item as a new string (the caller's: free), or
 * NULL for an empty item or out of memory, both reported under name. */
char *conf_list_next(struct conf_reporter *r, const char *name, const char **p);

/* ---- The option table walker (pam_jwt/conf_table.c): each program keeps
 * one table of struct conf_row (its options, their fields, checks,
 * defaults and bounds) and its own rules of sources, repeats and defaults;
 * finding a row, storing a value by it and freeing its field are here. */

enum conf_kind {
    CONF_STRING,  /* char *: one value, checked */
    CONF_REPEAT,  /* char ** and a size_t count: each occurrence adds one value */
    CONF_LIST,    /* char ** and a size_t count: one comma-separated value */
    CONF_INT64,   /* int64_t within [min, max]; -1 when cleared (unset) */
    CONF_SIZE,    /* size_t within [min, max] */
    CONF_UINT,    /* unsigned within [min, max] */
    CONF_FLAG,    /* bool: "yes" or "no" */
    CONF_SPECIAL, /* the program's own: row->special stores and clears it */
};

#define CONF_ROW_UNIQUE 1u /* lists: an item given twice is refused */

struct conf_row;

/* Where one value goes: the struct the rows' offsets point into, the
 * reporter, and ctx (the program's parse state, for its checks). */
struct conf_target {
    struct conf_reporter *rep;
    void *base;
    void *ctx;
};

/* Validates one value or list item; may replace *item (an expansion).
 * Reports through t->rep and returns false when bad. */
typedef bool (*conf_check_fn)(const struct conf_target *t, const struct conf_row *row, char **item);
/* Stores value into row's field of t->base, or clears it when value is
 * NULL (then only t->base is set). */
typedef void (*conf_special_fn)(const struct conf_target *t, const struct conf_row *row,
                                const char *value);

struct conf_row {
    const char *name;
    enum conf_kind kind;
    size_t field;            /* offsetof the value */
    size_t count;            /* lists: offsetof the entry count */
    conf_check_fn check;     /* strings and list items */
    const char *def;         /* the default as a file would spell it; NULL: none */
    uint64_t min, max;       /* numbers: bounds; lists: most items (0: CONF_MAX_LIST) */
    unsigned flags;          /* CONF_ROW_UNIQUE */
    conf_special_fn special; /* CONF_SPECIAL only */
};

/* Returns the row named name[0..len) among rows[0..n), or NULL. */
const struct conf_row *conf_row_find(const struct conf_row *rows, size_t n, const char *name,
                                     size_t len);
/* Parses value (not empty, at most CONF_MAX_VALUE bytes, else reported)
 * into row's field of t->base by row's kind: a string is checked and
 * stored (the field must be empty), a list item checked and appended
 * (CONF_ROW_UNIQUE: once; at most max), a number parsed within [min, max],
 * a flag from yes|no. Every problem is reported through t->rep. */
void conf_row_set(const struct conf_target *t, const struct conf_row *row, const char *value);
/* Frees what row's field of base owns and resets it to unset. */
void conf_row_clear(void *base, const struct conf_row *row);
/* conf_row_clear for every row of rows[0..n). */
void conf_rows_free(void *base, const struct conf_row *rows, size_t n);
/* The check of a path option: absolute, no control byte. */
bool conf_check_path(const struct conf_target *t, const struct conf_row *row, char **item);

/* Reads a configuration file with jwt_file_read's rules (root or the euid
 * owns it, not group/other-writable, at most CONF_MAX_FILE_BYTES). Returns
 * 1 with *text (the caller's: free) and *len, 0 when it does not exist and
 * need not, -1 after reporting why under name (NULL: none) through r. */
int conf_file_load(struct conf_reporter *r, const char *name, const char *path, bool must_exist,
                   char **text, size_t *len) JWT_MUST_CHECK;

#endif
