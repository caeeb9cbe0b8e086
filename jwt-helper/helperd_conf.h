/* SPDX-License-Identifier: MIT */
/* jwt-helperd's configuration (jwt-helperd(8), CONFIGURATION): /etc/jwt-helper/jwt-helperd.conf
 * parsed into a fresh struct, so a failed SIGHUP reload keeps the old one. */
#ifndef JWT_HELPERD_CONF_H
#define JWT_HELPERD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h" /* conf_result, conf_report_fn */

#define HELPERD_CONF_DEFAULT_PATH "/etc/jwt-helper/jwt-helperd.conf"
#define HELPERD_CONF_LOGIN_DELAY_CAP 60 /* seconds: jwt-helperd(8) login_delay */
#define HELPERD_CONF_MAX_AUDIENCES 256  /* one per host that takes host: tokens */
#define HELPERD_CONF_SOCKET_MAX 107     /* sun_path is 108 bytes with its NUL */

/* Every key of jwt-helperd(8), CONFIGURATION, after defaults and the file. All strings and
 * lists are owned by the struct (helperd_conf_free); none is secret. */
struct helperd_conf {
    char *issuer;     /* "iss" of every token, and "aud" of refresh tokens */
    char *audience;   /* "aud" of an access token when none is requested */
    char **audiences; /* requestable audiences; audiences[0] == audience;
                       * "host:*" allows any one host (helperd_tokens.h) */
    size_t n_audiences;
    int64_t access_ttl;  /* seconds, 60..86400 */
    int64_t refresh_ttl; /* seconds, 0 = no "exp"; else >= access_ttl */
    char *jwks;
    char *signing_key;
    char *refresh_key;
    char *users;
    char *revocation;
    int64_t revocation_keep; /* seconds a revocation line is kept: 7200..ten years, and
                              * more than access_ttl + CONF_MAX_LEEWAY */
    char **default_scope;    /* words of [a-z0-9_.-]+, the user record grammar */
    size_t n_default_scope;
    unsigned max_clients;         /* 1..4096 */
    unsigned max_clients_per_uid; /* 1..max_clients */
    unsigned idle_timeout;        /* seconds, 1..3600 */
    unsigned login_delay;         /* seconds, 0..60: base delay, 0 turns it off */
    unsigned max_hashes;          /* 1..16 concurrent argon2id (64 MiB each) */
    char *user;                   /* account to drop to; never "root" */
    char *socket;                 /* --socket on the command line wins */
};

/* Parses a config file's text[0..len) (need not be NUL-terminated; a NUL
 * byte inside is an error) on top of the built-in defaults. source names
 * the text in messages ("path:line: key: ..."; NULL gives "line N").
 *
 * Syntax: "key = value" per line, blank lines, whole-line '#' comments; a
 * value in double quotes keeps inner blanks; lists are comma-separated. An
 * unknown key, a bad value, a key given twice, or an inconsistent pair
 * (refresh_ttl < access_ttl, max_clients_per_uid > max_clients,
 * revocation_keep <= access_ttl + CONF_MAX_LEEWAY) is each
 * reported through report (when not NULL), then the whole text is refused.
 * A message starting with "warning: " is advice and does not fail the load
 * (access_ttl above pam_jwt's default max_lifetime, login_delay = 0).
 *
 * Returns CONF_OK with *out a new struct (the caller's: helperd_conf_free),
 * else CONF_ERR_INVALID or CONF_ERR_NOMEM with *out NULL. */
conf_result helperd_conf_parse(const char *text, size_t len, const char *source,
                               conf_report_fn report, void *ctx,
                               struct helperd_conf **out) JWT_MUST_CHECK;

/* Reads path (NULL: HELPERD_CONF_DEFAULT_PATH) with jwt_file_read (owned by
 * root or the euid, not group/other-writable, at most CONF_MAX_FILE_BYTES)
 * and parses it as helperd_conf_parse does. A missing file gives the
 * defaults unless must_exist (the daemon's -c names it). An unreadable or
 * unsafe file is CONF_ERR_FILE, reported with its path. *out as for
 * helperd_conf_parse: on any error it is NULL and nothing else changed, so
 * a SIGHUP handler swaps its pointer only on CONF_OK. */
conf_result helperd_conf_load(const char *path, bool must_exist, conf_report_fn report, void *ctx,
                              struct helperd_conf **out) JWT_MUST_CHECK;

/* Frees c and everything it owns; NULL is a no-op. */
void helperd_conf_free(struct helperd_conf *c);

#endif
