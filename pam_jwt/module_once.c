/* SPDX-License-Identifier: MIT */
/* One-time tokens (pam_jwt(8) `once`): each iss+jti is accepted once until exp.
 *
 * MUST:
 * 1. record a token with O_CREAT|O_EXCL, so two logins racing with one
 *    token cannot both win;
 * 2. name the entry by a hash of iss and jti: the token chooses both, so
 *    neither may reach a path;
 * 3. keep the cache in a directory owned by root (or the euid) and closed to
 *    group and others, refusing anything else;
 * 4. drop an entry only after its token expired (leeway included). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "module.h"

static int
open_cache_dir(const char *path)
{
    struct stat st;
    int fd;

    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return -1;
    if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return -1;
    if (fstat(fd, &st) != 0 || (st.st_uid != 0 && st.st_uid != geteuid()) ||
        (st.st_mode & 077) != 0) {
        close(fd);
        errno = EPERM;
        return -1;
    }
    return fd;
}

/* Hex of BLAKE2b-256 over iss NUL jti. */
static void
entry_name(const struct jwt_verified *v, char name[65])
{
    unsigned char hash[32];
    crypto_generichash_state st;
    const char *iss = v->iss != NULL ? v->iss : "";

    crypto_generichash_init(&st, NULL, 0, sizeof(hash));
    crypto_generichash_update(&st, (const unsigned char *)iss, strlen(iss) + 1);
    crypto_generichash_update(&st, (const unsigned char *)v->jti, strlen(v->jti));
    crypto_generichash_final(&st, hash, sizeof(hash));
    sodium_bin2hex(name, 65, hash, sizeof(hash));
}

/* Entries carry their token's exp as mtime, so pruning needs no reads.
 * Stack lines sharing once_dir may differ in leeway: an entry is dropped
 * only once no line could accept its token any more, so the largest
 * leeway any line may set is used, never the caller's. */
static void
prune_expired(int dirfd)
{
    const int64_t leeway = CONF_MAX_LEEWAY;
    int fd = dup(dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;
    struct stat st;
    int64_t now = (int64_t)time(NULL);

    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (strlen(e->d_name) != 64)
            continue; /* not ours */
        if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            (int64_t)st.st_mtime < now - leeway)
            unlinkat(dirfd, e->d_name, 0);
    }
    closedir(d);
}

static jwt_result
create_entry(int dirfd, const char *name, int64_t exp)
{
    struct timespec times[2] = {{.tv_sec = (time_t)exp}, {.tv_sec = (time_t)exp}};
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd < 0)
        return errno == EEXIST ? JWT_ERR_REPLAYED : JWT_ERR_FILE_OPEN;
    if (futimens(fd, times) != 0) {
        /* Without its expiry the entry would be pruned at once. */
        unlinkat(dirfd, name, 0);
        close(fd);
        return JWT_ERR_FILE_OPEN;
    }
    close(fd);
    return JWT_OK;
}

jwt_result
module_once_record(const struct conf *c, const struct jwt_verified *v)
{
    char name[65];
    int dirfd;
    jwt_result r;

    if (v->jti == NULL || v->jti[0] == '\0')
        return JWT_ERR_JTI_MISSING;
    if ((dirfd = open_cache_dir(c->once_dir)) < 0)
        return JWT_ERR_FILE_UNSAFE;
    prune_expired(dirfd);
    entry_name(v, name);
    r = create_entry(dirfd, name, v->exp);
    close(dirfd);
    return r;
}
