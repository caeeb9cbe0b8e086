/* SPDX-License-Identifier: MIT */
/* Locks a file and replaces it crash-safely: temp file, fsync, rename, fsync dir.
 *
 * MUST:
 * 1. create the temporary file with O_EXCL|O_NOFOLLOW and a random name in
 *    the target's own directory, so nothing planted there is followed or
 *    reused and rename(2) stays atomic (one file system);
 * 2. give it its final owner and mode before the first byte is written, so
 *    no secret is ever readable by someone it should not be;
 * 3. fsync the data before rename and the directory after it: a crash at
 *    any instant leaves the old file or the new one, never a torn one;
 * 4. remove the temporary file on every failure and leave the target alone;
 * 5. take the lock on a separate "<path>.lock" file (flock follows the open
 *    file, and the target itself is replaced on every write). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "atomic_file.h"

#define TMP_RANDOM_HEX 16

/* Splits path into a malloc'd directory ("." when none) and a pointer to
 * its last component, which must not be empty. */
static bool
split_path(const char *path, char **dir, const char **base)
{
    const char *slash = strrchr(path, '/');

    *dir = NULL;
    *base = slash != NULL ? slash + 1 : path;
    if (**base == '\0') {
        errno = EINVAL;
        return false;
    }
    if (slash == NULL)
        *dir = strdup(".");
    else if (slash == path)
        *dir = strdup("/");
    else
        *dir = strndup(path, (size_t)(slash - path));
    return *dir != NULL;
}

/* Returns malloc'd ".<base>.tmp-<16 random hex>", a name in base's directory. */
static char *
temp_name_new(const char *base)
{
    unsigned char rnd[TMP_RANDOM_HEX / 2];
    char hex[TMP_RANDOM_HEX + 1];
    size_t len = strlen(base) + sizeof(ATOMIC_FILE_TMP_INFIX) + TMP_RANDOM_HEX + 2;
    char *name = malloc(len);

    if (name == NULL)
        return NULL;
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
    snprintf(name, len, ".%s%s%s", base, ATOMIC_FILE_TMP_INFIX, hex);
    return name;
}

static bool
write_all(int fd, const unsigned char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return false;
        }
        data += n;
        len -= (size_t)n;
    }
    return true;
}

/* Creates tmp in dirfd exclusively, sets owner and mode, writes data and
 * fsyncs. */
static bool
write_temp(int dirfd, const char *tmp, const void *data, size_t len, mode_t mode, uid_t uid,
           gid_t gid)
{
    int fd =
        openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
    bool ok = false;
    int saved = 0;

    if (fd < 0)
        return false;
    /* chown first: it may clear mode bits; fchmod then makes the mode exact
     * whatever the umask took away. */
    if (((uid == (uid_t)-1 && gid == (gid_t)-1) || fchown(fd, uid, gid) == 0) &&
        fchmod(fd, mode) == 0 && write_all(fd, data, len) && fsync(fd) == 0)
        ok = true;
    saved = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    errno = saved;
    return ok;
}

char *
atomic_file_temp_write_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                          uid_t uid, gid_t gid)
{
    char *tmp = NULL;
    int saved;

    if (*name == '\0' || strchr(name, '/') != NULL) {
        errno = EINVAL;
        return NULL;
    }
    if ((tmp = temp_name_new(name)) == NULL)
        return NULL;
    if (write_temp(dirfd, tmp, data, len, mode, uid, gid))
        return tmp;
    saved = errno; /* the first failure is the one worth reporting */
    (void)unlinkat(dirfd, tmp, 0);
    free(tmp);
    errno = saved;
    return NULL;
}

bool
atomic_file_replace_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                       uid_t uid, gid_t gid)
{
    char *tmp = atomic_file_temp_write_at(dirfd, name, data, len, mode, uid, gid);
    bool ok = false;
    int saved;

    if (tmp == NULL)
        return false;
    if (renameat(dirfd, tmp, dirfd, name) != 0) {
        saved = errno;
        (void)unlinkat(dirfd, tmp, 0);
        errno = saved;
    } else {
        ok = fsync(dirfd) == 0;
    }
    free(tmp);
    return ok;
}

bool
atomic_file_replace(const char *path, const void *data, size_t len, mode_t mode, uid_t uid,
                    gid_t gid)
{
    char *dir = NULL;
    const char *base = NULL;
    int dirfd = -1, saved;
    bool ok = false;

    if (split_path(path, &dir, &base) &&
        (dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
        ok = atomic_file_replace_at(dirfd, base, data, len, mode, uid, gid);
    saved = errno;
    if (dirfd >= 0)
        close(dirfd);
    free(dir);
    errno = saved;
    return ok;
}

/* Checks the open lock file: a regular file with no other name, owned by
 * uid when one is given (fchown'd to it otherwise). The link count matters
 * because root's CLI chowns the lock in a directory the daemon's user owns:
 * that user could hard-link /etc/shadow there as the lock (where
 * fs.protected_hardlinks is off), and O_NOFOLLOW does not see hard links. */
static bool
lock_file_check(int fd, uid_t uid, gid_t gid)
{
    struct stat st;

    if (fstat(fd, &st) != 0)
        return false;
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        return false;
    }
    if (st.st_nlink != 1) {
        errno = EMLINK;
        return false;
    }
    return uid == (uid_t)-1 || st.st_uid == uid || fchown(fd, uid, gid) == 0;
}

int
atomic_file_lock(const char *path, uid_t uid, gid_t gid)
{
    size_t len = strlen(path) + sizeof(".lock");
    char *name = malloc(len);
    int fd = -1, saved = 0;

    if (name == NULL)
        return -1;
    snprintf(name, len, "%s.lock", path);
    /* O_NONBLOCK only matters for open: a FIFO planted at the name must not
     * hang us (fstat then refuses it). flock works on a read-only descriptor. */
    fd = open(name, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
    free(name);
    if (fd < 0)
        return -1;
    if (!lock_file_check(fd, uid, gid))
        goto fail;
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR)
            goto fail;
    }
    return fd;
fail:
    saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

void
atomic_file_unlock(int fd)
{
    if (fd < 0)
        return;
    (void)flock(fd, LOCK_UN);
    close(fd);
}

/* True when name is exactly ".<base>.tmp-<16 lowercase hex>". */
static bool
is_stale_temp(const char *name, const char *base)
{
    size_t base_len = strlen(base), infix_len = strlen(ATOMIC_FILE_TMP_INFIX);
    const char *hex;

    if (name[0] != '.' || strncmp(name + 1, base, base_len) != 0 ||
        strncmp(name + 1 + base_len, ATOMIC_FILE_TMP_INFIX, infix_len) != 0)
        return false;
    hex = name + 1 + base_len + infix_len;
    if (strlen(hex) != TMP_RANDOM_HEX)
        return false;
    for (size_t i = 0; i < TMP_RANDOM_HEX; i++) {
        if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
            return false;
    }
    return true;
}

int
atomic_file_clean_stale(const char *path)
{
    char *dir = NULL;
    const char *base = NULL;
    DIR *d = NULL;
    struct dirent *e;
    int removed = -1, saved = 0;

    if (!split_path(path, &dir, &base) || (d = opendir(dir)) == NULL)
        goto out;
    removed = 0;
    while ((e = readdir(d)) != NULL) {
        /* unlinkat never follows: a planted symlink is removed, not its target. */
        if (is_stale_temp(e->d_name, base) && unlinkat(dirfd(d), e->d_name, 0) == 0)
            removed++;
    }
out:
    saved = errno;
    if (d != NULL)
        closedir(d);
    free(dir);
    errno = saved;
    return removed;
}
