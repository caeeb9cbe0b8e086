/* SPDX-License-Identifier: MIT */
/* The user records of /etc/jwt-helper/db/users (DESIGN §4): parse, look up,
 * and change them with locked, atomic, crash-safe writes. */
#ifndef PAM_JWT_USERDB_H
#define PAM_JWT_USERDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "jwt.h"

#define USERDB_MAX_BYTES (4 * 1024 * 1024) /* a users file larger than this is refused */
#define USERDB_MAX_SCOPES 32

typedef enum {
    USERDB_OK = 0,
    USERDB_ERR_NOMEM,
    USERDB_ERR_IO,          /* open, read, write, fsync, rename failed (errno kept) */
    USERDB_ERR_UNSAFE,      /* file or directory of wrong type, owner or mode */
    USERDB_ERR_MALFORMED,   /* a line is malformed: every write is refused until fixed */
    USERDB_ERR_NOT_FOUND,   /* no such user */
    USERDB_ERR_EXISTS,      /* useradd of an existing user */
    USERDB_ERR_INVALID,     /* a bad name, scope list or field value given by the caller */
} userdb_result;

/* Returns a static reason string for r. */
const char *userdb_result_str(userdb_result r);

/* One line: name:hash:gen:scopes:flags:changed. */
struct userdb_record {
    char name[JWT_USER_NAME_MAX + 1];
    char *hash;            /* crypto_pwhash_str argon2id string; a secret: wiped on free */
    uint64_t gen;          /* token generation */
    char **scopes;         /* [a-z0-9_.-]+ words */
    size_t n_scopes;
    bool locked;
    int64_t changed;       /* unix seconds of the last password change */
};

/* A parsed users file. A malformed line is remembered by number: its user
 * (if the name part can be read) cannot log in, and writes are refused. */
struct userdb {
    struct userdb_record *records;
    size_t n_records;
    size_t *bad_lines;      /* 1-based line numbers of malformed lines */
    size_t n_bad_lines;
    char **bad_names;       /* names read from malformed lines, where readable */
    size_t n_bad_names;
};

/* Parses text[0..len). Never fails on a malformed line (it is recorded);
 * returns USERDB_OK or USERDB_ERR_NOMEM. *out is the caller's. */
userdb_result userdb_parse(const char *text, size_t len, struct userdb **out);
/* Reads path (O_NOFOLLOW, regular, owned by root, the euid or daemon_uid
 * (-1 for none), mode without group/other bits, <= USERDB_MAX_BYTES) and
 * parses it. A missing file is an empty database. */
userdb_result userdb_load(const char *path, long daemon_uid, struct userdb **out);
void userdb_free(struct userdb *db);
/* Returns the record for name, or NULL (also for a user whose line is
 * malformed: such a user cannot log in). */
const struct userdb_record *userdb_find(const struct userdb *db, const char *name);
/* Writes one record as its line (no newline) into a malloc'd string. */
userdb_result userdb_record_format(const struct userdb_record *rec, char **out);

/* A change applied under the lock to the freshest file: returns
 * USERDB_OK to have the result written, anything else to abort with it. */
typedef userdb_result (*userdb_change_fn)(struct userdb *db, void *ctx);

/* Locks path's lock file (path ".lock", flock), reloads the file, refuses
 * if it has a malformed line (USERDB_ERR_MALFORMED), applies change, writes
 * a temporary file in the same directory (random name, O_CREAT|O_EXCL|
 * O_NOFOLLOW, mode 0600, fchown to owner_uid/owner_gid when not (uid_t)-1),
 * fsyncs it, renames it over path, fsyncs the directory, unlocks. A crash at
 * any point leaves the old file or the new one. */
userdb_result userdb_update(const char *path, long daemon_uid, uid_t owner_uid, gid_t owner_gid,
                            userdb_change_fn change, void *ctx);

/* Helpers for change functions: add (USERDB_ERR_EXISTS), remove
 * (USERDB_ERR_NOT_FOUND) and find-for-writing. */
userdb_result userdb_add(struct userdb *db, const struct userdb_record *rec);
userdb_result userdb_remove(struct userdb *db, const char *name);
struct userdb_record *userdb_find_mut(struct userdb *db, const char *name);

/* Scope list helpers: parse "a,b,c" (each [a-z0-9_.-]+, at most
 * USERDB_MAX_SCOPES) into a new array; free it. */
userdb_result userdb_scopes_parse(const char *list, char ***out, size_t *n_out);
void userdb_scopes_free(char **scopes, size_t n);

#endif
