/* SPDX-License-Identifier: MIT */
/* Publishes a user's "not before" instant in the revocation list
 * (jwt-helperd(8), "Revocation list"). */
#ifndef PAM_JWT_REVOCATION_PUBLISH_H
#define PAM_JWT_REVOCATION_PUBLISH_H

#include <stdint.h>
#include <sys/types.h>

#include "jwt.h"

typedef enum {
    REVOCATION_PUBLISH_OK = 0,
    REVOCATION_PUBLISH_ERR_NOMEM,
    REVOCATION_PUBLISH_ERR_IO,        /* lock, read, write, fsync or rename failed (errno kept) */
    REVOCATION_PUBLISH_ERR_UNSAFE,    /* list of wrong type, owner or mode, or a symlink */
    REVOCATION_PUBLISH_ERR_MALFORMED, /* the existing list does not parse: nothing is written */
    REVOCATION_PUBLISH_ERR_TOO_BIG,   /* the list is or would grow over JWT_MAX_REVOCATION_BYTES */
    REVOCATION_PUBLISH_ERR_INVALID,   /* a bad user name or a negative instant */
    REVOCATION_PUBLISH_ERR_UNTRUSTED, /* the rewrite would make pam_jwt refuse the list */
} revocation_publish_result;

/* Returns a static reason string for r. */
const char *revocation_publish_result_str(revocation_publish_result r);

/* Under path's lock (atomic_file_lock, fchown'd to owner_uid/owner_gid),
 * reads the current list (jwt_file_read rules: owned by root, the euid or
 * daemon_uid (-1 for none), not group/other-writable; a missing list is
 * empty) and parses it with jwt_revocation_parse: a malformed list is never
 * overwritten. When name is listed at or after instant, nothing is written
 * (the later instant wins, and hosts sharing the list may be ahead).
 * Otherwise every line of name is dropped, "name:instant" appended, every
 * other line kept byte for byte, and the list replaced with
 * atomic_file_replace, mode 0644, owner owner_uid/owner_gid when not
 * (uid_t)-1. With owner_uid (uid_t)-1 the writer's euid becomes the owner:
 * when that is neither root nor JWT_DAEMON_USER and the list is owned by
 * one of them, nothing is written (ERR_UNTRUSTED): pam_jwt would refuse
 * the new list on every host. A line of another user whose instant is more than keep
 * seconds before now (jwt-helperd.conf's revocation_keep, which the caller
 * has checked to exceed every token's life plus leeway) is dropped too, so
 * the list stays small; REVOCATION_PUBLISH_KEEP_ALL drops none. The result
 * is at most JWT_MAX_REVOCATION_BYTES. Returns REVOCATION_PUBLISH_OK or an
 * error above. */
revocation_publish_result revocation_publish_keep(const char *path, long daemon_uid,
                                                  uid_t owner_uid, gid_t owner_gid,
                                                  const char *name, int64_t instant,
                                                  int64_t keep) JWT_MUST_CHECK;
#define REVOCATION_PUBLISH_KEEP_ALL 0

#endif
