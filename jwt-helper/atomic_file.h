/* SPDX-License-Identifier: MIT */
/* Locked, crash-safe replacement of the files the daemon and root's CLI both
 * write (user records, revocation list): jwt-helperd(8), "User records". */
#ifndef PAM_JWT_ATOMIC_FILE_H
#define PAM_JWT_ATOMIC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "jwt.h"

/* Temporary files are named "<dir>/.<base>.tmp-<16 hex>" (random), so a
 * writer killed mid-write leaves one that atomic_file_clean_stale finds. */
#define ATOMIC_FILE_TMP_INFIX ".tmp-"

/* Opens (creating it mode 0600, O_NOFOLLOW) "<path>.lock" and takes an
 * exclusive flock on it, waiting for other holders. When uid is not
 * (uid_t)-1 and the lock file is owned by someone else, it is fchown'd to
 * uid:gid, so root's CLI never leaves a lock file the daemon cannot open.
 * Returns the descriptor holding the lock (>= 0; give it to
 * atomic_file_unlock), or -1 with errno set (ELOOP for a symlink, EINVAL
 * for something not a regular file). */
int atomic_file_lock(const char *path, uid_t uid, gid_t gid) JWT_MUST_CHECK;
/* Releases the lock and closes fd; a negative fd is a no-op. */
void atomic_file_unlock(int fd);

/* Replaces path with data[0..len): a new file with a random name in path's
 * directory (O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, fchmod'd to exactly mode
 * whatever the umask, fchown'd to uid:gid unless both are -1), all of
 * data written, fsync, rename over path, fsync of the directory. A crash at
 * any instant leaves the old file or the new one at path; on any failure
 * the temporary file is removed and path is untouched (unless only the final
 * directory fsync failed: then the new file is in place but maybe not yet
 * durable). The caller holds atomic_file_lock(path) so writers do not
 * interleave. data is not wiped here (the caller owns it). Returns true, or
 * false with errno set. */
bool atomic_file_replace(const char *path, const void *data, size_t len, mode_t mode, uid_t uid,
                         gid_t gid) JWT_MUST_CHECK;
/* The first half of atomic_file_replace_at, for a caller that renames
 * several files itself (keygen: all written before any is renamed): writes
 * data[0..len) into a new temporary file for name (no '/') in the directory
 * open at dirfd, with exactly mode and, when uid or gid is not -1, that
 * owner (fchown), fsynced. Returns its malloc'd name, to renameat over name
 * (then fsync dirfd) or unlinkat, and free; or NULL with errno set and
 * nothing left behind. */
char *atomic_file_temp_write_at(int dirfd, const char *name, const void *data, size_t len,
                                mode_t mode, uid_t uid, gid_t gid);
/* As atomic_file_replace for the file name (no '/') in the directory open
 * at dirfd: every step is relative to that descriptor, so a caller that
 * checked the directory on it writes into that very directory, whatever
 * its path now leads to. */
bool atomic_file_replace_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                            uid_t uid, gid_t gid) JWT_MUST_CHECK;

/* Removes temporary files a killed writer of path left behind (names as
 * above, exactly). Only safe while holding atomic_file_lock(path): then no
 * live writer of path has a temporary file. Returns how many were removed,
 * or -1 with errno set when the directory cannot be read. Readers never
 * look at temporary files, so leaving them is harmless but untidy. */
int atomic_file_clean_stale(const char *path);

#endif
