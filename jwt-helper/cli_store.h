/* SPDX-License-Identifier: MIT */
/* The client's state directory: the refresh token and cached access tokens
 * (jwt-helper(1), FILES). */
#ifndef PAM_JWT_CLI_STORE_H
#define PAM_JWT_CLI_STORE_H

#include <stdbool.h>
#include <stddef.h>

/* File names inside the directory. */
#define CLI_STORE_REFRESH "refresh-token"
#define CLI_STORE_ACCESS "access-token" /* the default request's cache */
/* "access-token-" and 16 hex digits, and the NUL. */
#define CLI_STORE_NAME_MAX 32

struct cli_store {
    char *path; /* the directory, malloc'd: for messages only */
    int dirfd;  /* open on it, O_DIRECTORY|O_NOFOLLOW: every file operation goes through it */
};

/* Opens the state directory: $XDG_STATE_HOME/jwt-helper when
 * XDG_STATE_HOME is set and absolute, else $HOME/.local/state/jwt-helper
 * ($HOME from the environment when absolute, else the passwd entry of the
 * real uid). The path is walked from "/" one component at a time, each
 * opened relative to the one before; with create, missing components are
 * made mode 0700 and opened O_NOFOLLOW. The directory itself must be a real
 * directory (not a symlink) owned by the euid with no group or other
 * permission bits, checked on its descriptor. Returns 0 with s
 * filled (cli_store_close), 1 when it does not exist and !create (nothing
 * printed), or -1 after printing why to stderr. */
int cli_store_open(struct cli_store *s, bool create);
/* Closes and frees s; a zeroed or closed store is a no-op. */
void cli_store_close(struct cli_store *s);

/* The cache file name for a token request into name (CLI_STORE_NAME_MAX
 * bytes): CLI_STORE_ACCESS when scope and audience are both NULL, else
 * "access-token-" and the hex of 8 bytes of BLAKE2b over
 * scope "\n" audience (an absent one as ""). */
void cli_store_cache_name(const char *scope, const char *audience, char *name);

/* Reads token file name: a regular file (not a symlink) owned by the euid,
 * no group or other permission bits, holding one token of the JWS compact
 * alphabet with an optional final "\n". Returns 0 with *out malloc'd and
 * NUL-terminated, *len its length (free with secret_free(*out, *len)); 1
 * when the file does not exist; 2 when it exists but does not hold a
 * token (a torn or foreign file: the caller may replace it); -1 after
 * printing why to stderr when it is unsafe or unreadable. */
int cli_store_read(const struct cli_store *s, const char *name, char **out, size_t *len);
/* Replaces file name with token (no newline), atomically, mode 0600: a
 * temporary file created O_EXCL|O_NOFOLLOW in s->dirfd, fsync, renameat,
 * fsync of s->dirfd. The token is not wiped (the caller's). Returns 0, or
 * -1 after printing why. */
int cli_store_write(const struct cli_store *s, const char *name, const char *token, size_t len);
/* Removes file name; a missing file is success. Returns 0, or -1 after
 * printing why. */
int cli_store_remove(const struct cli_store *s, const char *name);
/* Removes every cached access token except the one named keep (NULL:
 * all). Returns 0, or -1 after printing why. */
int cli_store_remove_caches(const struct cli_store *s, const char *keep);
/* Removes every cached access token and the temporary files a killed
 * writer left (a login, replacing the session). Returns 0, or -1 after
 * printing why. */
int cli_store_remove_leftovers(const struct cli_store *s);
/* Removes the refresh token, every cache and temporary files a killed
 * writer left. Returns 0, or -1 after printing why. */
int cli_store_remove_all(const struct cli_store *s);

#endif
