/* SPDX-License-Identifier: MIT */
/* Reads a file that grants access (config, key set, revocation list) safely.
 *
 * MUST:
 * 1. open with O_NOFOLLOW so a symlink planted in place of the file is refused;
 * 2. check type, owner and mode on the open descriptor, never on the path
 *    (a check on the path races with a rename);
 * 3. refuse anything group- or other-writable: someone else could mint keys;
 * 4. check the size before reading and never read more than the cap. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "jwt.h"

static bool
owner_is_trusted(uid_t owner, long extra_owner)
{
    return owner == 0 || owner == geteuid() || (extra_owner >= 0 && owner == (uid_t)extra_owner);
}

static jwt_result
check_descriptor(int fd, size_t max_bytes, long extra_owner, mode_t forbidden, size_t *size)
{
    struct stat st;

    if (fstat(fd, &st) != 0)
        return JWT_ERR_FILE_OPEN;
    if (!S_ISREG(st.st_mode) || !owner_is_trusted(st.st_uid, extra_owner) ||
        (st.st_mode & forbidden) != 0)
        return JWT_ERR_FILE_UNSAFE;
    if (st.st_size < 0 || (unsigned long long)st.st_size > max_bytes)
        return JWT_ERR_FILE_TOO_BIG;
    *size = (size_t)st.st_size;
    return JWT_OK;
}

/* Reads the file, expecting cap bytes (its size at fstat); a file that grew
 * since is refused rather than silently cut. buf has room for cap + 1. */
static jwt_result
read_all(int fd, char *buf, size_t cap, size_t *len)
{
    size_t got = 0;

    for (;;) {
        ssize_t n = read(fd, buf + got, cap + 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return JWT_ERR_FILE_OPEN;
        if (n == 0)
            break;
        got += (size_t)n;
        if (got > cap)
            return JWT_ERR_FILE_OPEN;
    }
    *len = got;
    return JWT_OK;
}

static jwt_result
file_read(const char *path, size_t max_bytes, long extra_owner, mode_t forbidden, char **out,
          size_t *out_len)
{
    char *buf = NULL;
    size_t size = 0, len = 0, cap = 0;
    int fd = -1, saved_errno = 0;
    jwt_result r;

    *out = NULL;
    *out_len = 0;
    /* O_NONBLOCK: a FIFO planted at the path must not hang sshd in open();
     * fstat then refuses it as not a regular file. */
    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
        saved_errno = errno;
        r = JWT_ERR_FILE_OPEN;
        goto out;
    }
    if ((r = check_descriptor(fd, max_bytes, extra_owner, forbidden, &size)) != JWT_OK)
        goto out;
    cap = size;
    if ((buf = malloc(cap + 2)) == NULL) {
        r = JWT_ERR_NOMEM;
        goto out;
    }
    if ((r = read_all(fd, buf, cap, &len)) != JWT_OK)
        goto out;
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    buf = NULL;
out:
    if (buf != NULL)
        sodium_memzero(buf, cap + 2); /* key files are secrets for the daemon */
    free(buf);
    if (fd >= 0)
        close(fd);
    if (saved_errno != 0)
        errno = saved_errno;
    return r;
}

jwt_result
jwt_file_read(const char *path, size_t max_bytes, long extra_owner, char **out, size_t *out_len)
{
    return file_read(path, max_bytes, extra_owner, S_IWGRP | S_IWOTH, out, out_len);
}

/* A private key readable by every local user is no longer private: refused
 * even though nobody could have changed it (the group may read: DESIGN §4's
 * root:_jwt-helper 0640). */
jwt_result
jwt_file_read_secret(const char *path, size_t max_bytes, long extra_owner, char **out,
                     size_t *out_len)
{
    return file_read(path, max_bytes, extra_owner, S_IWGRP | S_IWOTH | S_IROTH, out, out_len);
}

/* The user records hold every password hash: no group or other bit at all
 * (DESIGN §4, _jwt-helper 0600). */
jwt_result
jwt_file_read_private(const char *path, size_t max_bytes, long extra_owner, char **out,
                      size_t *out_len)
{
    return file_read(path, max_bytes, extra_owner, S_IRWXG | S_IRWXO, out, out_len);
}
