/* SPDX-License-Identifier: MIT */
/* Tells whether a file is still the one a cache read (pam_jwt(8), SECURITY NOTES). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "jwt.h"

void
jwt_file_identity_of(const char *path, struct jwt_file_identity *out)
{
    struct stat st;

    memset(out, 0, sizeof(*out));
    /* lstat: a symlink has its own identity, and every reader refuses it. */
    if (path == NULL || lstat(path, &st) != 0) {
        out->state = path != NULL && errno == ENOENT ? JWT_FILE_ABSENT : JWT_FILE_UNKNOWN;
        return;
    }
    out->state = JWT_FILE_PRESENT;
    out->dev = st.st_dev;
    out->ino = st.st_ino;
    out->size = st.st_size;
    /* ctime already moves on chmod and chown; mode and owner are compared
     * too so that a coarse clock cannot hide a permission change. */
    out->mode = st.st_mode;
    out->uid = st.st_uid;
    out->mtime = st.st_mtim;
    out->ctime = st.st_ctim;
}

static bool
same_time(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

bool
jwt_file_identity_same(const struct jwt_file_identity *a, const struct jwt_file_identity *b)
{
    if (a->state == JWT_FILE_UNKNOWN || a->state != b->state)
        return false;
    if (a->state == JWT_FILE_ABSENT)
        return true;
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mode == b->mode &&
           a->uid == b->uid && same_time(&a->mtime, &b->mtime) && same_time(&a->ctime, &b->ctime);
}
