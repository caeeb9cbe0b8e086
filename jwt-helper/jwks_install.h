/* SPDX-License-Identifier: MIT */
/* Checking a JWK Set and putting it where pam_jwt reads it (jwt-helper(1):
 * `jwks install`, and `jwks sync` after its fetch). */
#ifndef PAM_JWT_JWKS_INSTALL_H
#define PAM_JWT_JWKS_INSTALL_H

#include <stdbool.h>
#include <stddef.h>

#include "jwt.h"

/* Checks text[0..len) as a key set a verifier may be given: a strict JSON
 * object, no member of "keys" carrying a private or symmetric member (d,
 * p, q, dp, dq, qi, oth, k: such a file would hand out a signing secret at
 * mode 0644), and at least one key the module's own loader (jwt_jwks_parse)
 * accepts. Returns JWT_OK, JWT_ERR_KEY_INVALID with *why saying what is
 * wrong, JWT_ERR_KEYSET_EMPTY or JWT_ERR_NOMEM. *why is a static string
 * (NULL on JWT_OK); *usable, when not NULL, gets the number of usable keys. */
jwt_result jwks_install_check(const char *text, size_t len, const char **why,
                              size_t *usable) JWT_MUST_CHECK;

/* Replaces the file at path (absolute, or relative to the working
 * directory; not ending in '/') with data[0..len), owner root:root, mode
 * 0644, through atomic_file_replace_at in path's directory: a reader sees
 * the old file or the new one, never a part. Needs root (the chown).
 * Returns true, or false with errno set and path untouched. */
bool jwks_install_write(const char *path, const char *data, size_t len) JWT_MUST_CHECK;

/* Writes "<path>.stamp" as jwks_install_write does, holding the Unix time
 * now in decimal and "\n": the instant of the last successful check of the
 * key set at path, which `doctor` reads (a file's mtime says when it
 * changed, not when it was last found good). Returns true, or false with
 * errno set. */
bool jwks_stamp_write(const char *path, long long now) JWT_MUST_CHECK;

/* The stamp's file name for the key set at path ("<path>.stamp"), malloc'd
 * (the caller frees), or NULL when out of memory. */
char *jwks_stamp_path(const char *path);

/* True when path may be replaced by a key set: it does not exist, or it
 * is a regular file (not a symbolic link) holding a JWK Set already, or
 * nothing. Else
 * false with *why saying what it is. */
bool jwks_install_may_replace(const char *path, const char **why) JWT_MUST_CHECK;

/* Reads all of fd up to cap bytes into a new NUL-terminated buffer (the
 * caller frees). Returns 0 with *out and *len set; 1 when fd holds more
 * than cap bytes (nothing returned); -1 with errno set on a read error. */
int jwks_read_fd(int fd, size_t cap, char **out, size_t *len) JWT_MUST_CHECK;

#endif
