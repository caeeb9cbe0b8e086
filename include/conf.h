/* SPDX-License-Identifier: MIT */
/* pam_jwt's options (DESIGN §3): /etc/security/pam_jwt.conf, then module
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
#define CONF_DEFAULT_SOCKET "/run/jwt-helper/socket"
#define CONF_DEFAULT_PROMPT "Token: "
#define CONF_MAX_FILE_BYTES (64 * 1024)
#define CONF_MAX_LIST 32           /* entries in one list option */
#define CONF_MAX_VALUE 4096        /* bytes in one value */

typedef enum {
    CONF_OK = 0,
    CONF_ERR_NOMEM,
    CONF_ERR_FILE,      /* the config file is missing (when named), unreadable or unsafe */
    CONF_ERR_INVALID,   /* unknown option, bad value, duplicate, syntax */
} conf_result;

/* Every option of DESIGN §3, after defaults, file and arguments. Strings and
 * lists are owned by the struct (conf_free). Audiences have %h / %H
 * expanded already. */
struct conf {
    char *jwks;                /* NULL when key= was given and jwks= was not */
    char *key;                 /* PEM public key, or NULL */
    char **issuers;
    size_t n_issuers;
    char **audiences;
    size_t n_audiences;
    unsigned algs;             /* mask of JWT_ALG_BIT, never including HS256 */
    char *user_claim;
    char **scopes;
    size_t n_scopes;
    int64_t max_auth_age;      /* -1 when unset */
    bool once;
    char *once_dir;
    int64_t leeway;
    int64_t max_lifetime;
    size_t max_token_len;
    char **typs;
    size_t n_typs;
    char *revocation;          /* NULL when unset */
    char *prompt;
    char *socket;
    bool use_first_pass;
    bool try_first_pass;
    bool debug;
    bool quiet;
};

/* Receives one human-readable message per problem, naming the option and,
 * for the file, "path:line". ctx is the caller's (a pam handle, a FILE *). */
typedef void (*conf_report_fn)(void *ctx, const char *message);

/* Loads options: defaults, then the file (config= among argv names another;
 * the default file may be missing, a named one may not), then argv (module
 * arguments, "name=value" or a bare flag), which win. Every problem is
 * reported through report (when not NULL) before returning; on error *c is
 * left empty (conf_free-able). */
conf_result conf_load(struct conf *c, const char *default_path, int argc, const char **argv,
                      conf_report_fn report, void *ctx) JWT_MUST_CHECK;
/* Frees everything c owns and zeroes it; safe on a zeroed struct. */
void conf_free(struct conf *c);
/* Fills policy from c (pointers into c: keep c alive) with now = time(NULL)
 * and user = NULL. */
void conf_policy(const struct conf *c, struct jwt_policy *policy);

/* Parses a decimal unsigned integer in [min, max]: digits only, no sign, no
 * spaces, no leading zeros except "0". Returns true and sets *out, else false. */
bool conf_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out) JWT_MUST_CHECK;

/* Writes the host name into buf: full (as gethostname gives it, the %H
 * expansion) or short (up to the first dot, %h). Returns false when it does
 * not fit or gethostname fails. */
bool conf_hostname(bool full, char *buf, size_t len) JWT_MUST_CHECK;

#endif
