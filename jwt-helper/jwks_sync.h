/* SPDX-License-Identifier: MIT */
/* `jwt-helper jwks sync NAME` (jwt-helper(1), "Key sets from
 * an OpenID Provider"): one provider's key set, fetched without privilege, checked
 * and installed as root. */
#ifndef PAM_JWT_JWKS_SYNC_H
#define PAM_JWT_JWKS_SYNC_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "jwt.h"

/* One file per provider: JWKS_SYNC_DIR "/" NAME ".conf". */
#define JWKS_SYNC_DIR "/etc/jwt-helper/jwks-sync"
#define JWKS_SYNC_MAX_NAME 64
/* A sync file is two short lines and comments. */
#define JWKS_SYNC_MAX_CONF_BYTES 4096
/* curl's whole-transfer limit, in seconds: the timer comes back in an hour. */
#define JWKS_SYNC_FETCH_SECONDS 60

/* What a NAME.conf says (jwks_sync_conf.c). */
struct jwks_sync_conf {
    char *url; /* https://..., visible ASCII */
    char *out; /* absolute path of the key set to replace */
};

/* Returns true when name may name a sync file (and a systemd instance):
 * 1 to JWKS_SYNC_MAX_NAME bytes of [A-Za-z0-9_.-], not starting with '.'
 * or '-', so it can never leave JWKS_SYNC_DIR nor read as an option. */
bool jwks_sync_name_is_valid(const char *name);

/* Parses the text of a sync file, text[0..len] (NUL at text[len];
 * modified in place), with the shared line parser: exactly one URL=
 * (https:// only, visible ASCII) and one OUT= (an absolute path not ending
 * in '/'), any other key refused. Each problem goes to r. Returns true with
 * *c filled (free with jwks_sync_conf_free), or false with *c empty and
 * r->invalid set (r->nomem when out of memory). */
bool jwks_sync_conf_parse(char *text, size_t len, struct conf_reporter *r,
                          struct jwks_sync_conf *c) JWT_MUST_CHECK;
/* Reads the sync file at path (jwt_file_read's rules: root's, not group or
 * other writable, at most JWKS_SYNC_MAX_CONF_BYTES) and parses it with
 * jwks_sync_conf_parse, messages naming path and the line. Returns as that
 * does; *open_errno is errno when the file could not be opened (else 0). */
bool jwks_sync_conf_load(const char *path, struct conf_reporter *r, struct jwks_sync_conf *c,
                         int *open_errno) JWT_MUST_CHECK;
/* Frees what c holds; a zeroed c is a no-op. */
void jwks_sync_conf_free(struct jwks_sync_conf *c);

/* Fetches url with the curl program as a uid and gid no account or process
 * holds (a child that drops every privilege first), https only (redirects too), failing on an
 * HTTP error, at most JWT_MAX_JWKS_BYTES, within JWKS_SYNC_FETCH_SECONDS
 * (jwks_fetch.c). The body comes back over a pipe only this process reads:
 * nothing is written to disk. Returns 0 with *out malloc'd and
 * NUL-terminated (the caller frees), else -1 after saying why on stderr. */
int jwks_fetch(const char *url, char **out, size_t *len) JWT_MUST_CHECK;

#endif
