/* SPDX-License-Identifier: MIT */
/* The user records of /etc/jwt-helper/db/users (jwt-helperd(8), "User records"): parse, look up,
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
    USERDB_ERR_IO,        /* open, read, write, fsync, rename failed (errno kept) */
    USERDB_ERR_UNSAFE,    /* file or directory of wrong type, owner or mode */
    USERDB_ERR_MALFORMED, /* a line is malformed: every write is refused until fixed */
    USERDB_ERR_NOT_FOUND, /* no such user */
    USERDB_ERR_EXISTS,    /* useradd of an existing user */
    USERDB_ERR_INVALID,   /* a bad name, scope list or field value given by the caller */
    USERDB_ERR_TOO_BIG,   /* text or file over USERDB_MAX_BYTES (added by the userdb helper) */
} userdb_result;

/* Returns a static reason string for r. */
const char *userdb_result_str(userdb_result r);

/* One line: name:hash:gen:scopes:flags:changed. */
struct userdb_record {
    char name[JWT_USER_NAME_MAX + 1];
    char *hash;    /* crypto_pwhash_str argon2id string; a secret: wiped on free */
    uint64_t gen;  /* token generation */
    char **scopes; /* [a-z0-9_.-]+ words */
    size_t n_scopes;
    bool locked;
    int64_t changed; /* unix seconds of the last password change */
};

/* A parsed users file. A malformed line is remembered by number: its user
 * (if the name part can be read) cannot log in, and writes are refused.
 * Records keep the file's order; every valid line formats back to exactly
 * its bytes (the grammar has one spelling per value), which is how a write
 * reproduces every line it did not change.
 * (Refined by the userdb helper: bad_reasons added, parallel to bad_lines.) */
struct userdb {
    struct userdb_record *records;
    size_t n_records;
    size_t *bad_lines;        /* 1-based line numbers of malformed lines, ascending */
    const char **bad_reasons; /* static reason per bad line ("bad gen", "duplicate name") */
    size_t n_bad_lines;
    char **bad_names; /* names read from malformed lines, where readable (each once) */
    size_t n_bad_names;
};

/* Parses text[0..len) (which may hold NUL bytes: a line with one is
 * malformed). Lines end with "\n"; the last one may lack it. Never fails on
 * a malformed line (it is recorded: blank, comment, CR, 5 or 7 fields, any
 * field outside the records' grammar, a repeated flag, more than USERDB_MAX_SCOPES
 * scopes, and every line of a repeated name); returns USERDB_OK,
 * USERDB_ERR_TOO_BIG (len > USERDB_MAX_BYTES) or USERDB_ERR_NOMEM. *out is the
 * caller's (userdb_free). */
userdb_result userdb_parse(const char *text, size_t len, struct userdb **out) JWT_MUST_CHECK;
/* Reads path (O_NOFOLLOW, regular, owned by root, the euid or daemon_uid
 * (-1 for none), mode without group/other bits, <= USERDB_MAX_BYTES) and
 * parses it. A missing file is an empty database. Returns USERDB_OK,
 * USERDB_ERR_IO (errno kept; a symlink is USERDB_ERR_UNSAFE),
 * USERDB_ERR_UNSAFE, USERDB_ERR_TOO_BIG, USERDB_ERR_NOMEM. The file's bytes are wiped after
 * parsing. A malformed line is not an error here: see db->n_bad_lines. */
userdb_result userdb_load(const char *path, long daemon_uid, struct userdb **out) JWT_MUST_CHECK;
/* Frees db, wiping every hash; NULL is a no-op. */
void userdb_free(struct userdb *db);
/* Returns the record for name, or NULL (also for a user whose line is
 * malformed: such a user cannot log in). */
const struct userdb_record *userdb_find(const struct userdb *db, const char *name);
/* Returns true when name was read from a malformed line of the file (db
 * NULL: false): its user cannot log in and the file is not written. */
bool userdb_name_is_malformed(const struct userdb *db, const char *name);
/* Writes one record as its line (no newline) into a malloc'd string (the
 * caller wipes it: it holds the hash, secret_free_str). Returns
 * USERDB_ERR_INVALID when any field is outside the records' grammar, so no line is
 * ever written that would not parse back to the same record. */
userdb_result userdb_record_format(const struct userdb_record *rec, char **out) JWT_MUST_CHECK;
/* Returns true when hash is an argon2id crypto_pwhash_str string we accept:
 * "$argon2id$" prefix, at most crypto_pwhash_STRBYTES - 1 bytes, printable
 * ASCII without ':', and well-formed for libsodium's argon2id decoder. */
bool userdb_hash_is_valid(const char *hash);
/* Replaces rec's hash with a copy of hash (validated as above); the old one
 * is wiped. Returns USERDB_OK, USERDB_ERR_INVALID or USERDB_ERR_NOMEM. */
userdb_result userdb_record_set_hash(struct userdb_record *rec, const char *hash) JWT_MUST_CHECK;
/* Replaces rec's scopes with those parsed from list ("" for none). Returns
 * USERDB_OK, USERDB_ERR_INVALID (rec unchanged) or USERDB_ERR_NOMEM. */
userdb_result userdb_record_set_scopes(struct userdb_record *rec, const char *list) JWT_MUST_CHECK;

/* A change applied under the lock to the freshest file: returns
 * USERDB_OK to have the result written, anything else to abort with it. */
typedef userdb_result (*userdb_change_fn)(struct userdb *db, void *ctx);

/* Locks path's lock file (path ".lock", flock; atomic_file_lock, fchown'd
 * to owner_uid/owner_gid too), removes temporary files a killed writer left
 * (atomic_file_clean_stale), reloads the file (userdb_load rules), refuses
 * if it has a malformed line (USERDB_ERR_MALFORMED, and *bad_line, when
 * bad_line is not NULL, is the first malformed line's number; else 0),
 * applies change, checks the result parses back whole (USERDB_ERR_INVALID
 * otherwise, e.g. two records with one name), writes it with
 * atomic_file_replace (mode 0600, fchown to owner_uid/owner_gid when not
 * (uid_t)-1: root's CLI gives the daemon's user), unlocks. A crash at any
 * point leaves the old file or the new one; concurrent writers never lose an
 * update. Returns USERDB_OK, change's own result, or USERDB_ERR_IO (errno
 * kept), _UNSAFE, _MALFORMED, _INVALID, _NOMEM. Every buffer that held the
 * file is wiped. (Refined by the userdb helper: bad_line added.) */
userdb_result userdb_update(const char *path, long daemon_uid, uid_t owner_uid, gid_t owner_gid,
                            userdb_change_fn change, void *ctx, size_t *bad_line) JWT_MUST_CHECK;

/* Helpers for change functions. userdb_add appends a deep copy of rec (the
 * caller keeps rec) after checking every field (USERDB_ERR_INVALID) and that
 * the name is new (USERDB_ERR_EXISTS, also for a name of a malformed line).
 * userdb_remove frees and wipes the record (USERDB_ERR_NOT_FOUND).
 * userdb_find_mut returns the record to change in place (NULL as
 * userdb_find); change hash and scopes with the setters above. */
userdb_result userdb_add(struct userdb *db, const struct userdb_record *rec) JWT_MUST_CHECK;
userdb_result userdb_remove(struct userdb *db, const char *name) JWT_MUST_CHECK;
struct userdb_record *userdb_find_mut(struct userdb *db, const char *name);

/* Scope list helpers: parse "a,b,c" (each [a-z0-9_.-]+, at most
 * USERDB_MAX_SCOPES; "" is the empty list, with *out NULL) into a new array
 * the caller frees with userdb_scopes_free. Returns USERDB_OK,
 * USERDB_ERR_INVALID or USERDB_ERR_NOMEM. */
userdb_result userdb_scopes_parse(const char *list, char ***out, size_t *n_out) JWT_MUST_CHECK;
void userdb_scopes_free(char **scopes, size_t n);

#endif
