/* SPDX-License-Identifier: MIT */
/* jwt-helperd's file confinement with Landlock (raw system calls: glibc
 * has no wrappers). Rules are on directories, never on files: the files
 * the daemon reads are replaced by rename (keys activate, its own user
 * record writes, adduser's /etc/passwd), and a rule follows an inode.
 *
 * The ABI is probed at run time: Debian 12's own kernel (6.1) has ABI 2,
 * newer kernels more. Each right the running kernel knows is handled (so
 * denied unless a rule grants it); rights it does not know cannot be
 * restricted and are left out rather than failing the start. */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helperd_confine.h"

/* Rights newer than Debian 12's <linux/landlock.h> (ABI 2): the kernel's
 * values, stable by its ABI promise. */
#define LL_FS_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#define LL_NET_BIND_TCP (1ULL << 0)  /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)

#define LL_FS_ABI1                                                                                 \
    (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |   \
     LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR |                                 \
     LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | \
     LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |   \
     LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)

/* What each directory grants. */
#define RIGHTS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
/* atomic_file: open the directory (fsync), lock file, temp file, rename
 * over the old name, remove stale temp files. */
#define RIGHTS_REPLACE                                                                             \
    (RIGHTS_READ | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG |                   \
     LANDLOCK_ACCESS_FS_REMOVE_FILE | LL_FS_TRUNCATE)

/* struct landlock_ruleset_attr as of ABI 6; the size passed says how much
 * of it the running kernel reads. */
struct ll_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};

int
helperd_landlock_abi(void)
{
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

    return abi < 0 ? 0 : (int)abi;
}

static uint64_t
handled_fs(int abi)
{
    uint64_t fs = LL_FS_ABI1;

    if (abi >= 2)
        fs |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        fs |= LL_FS_TRUNCATE;
    if (abi >= 5)
        fs |= LL_FS_IOCTL_DEV;
    return fs;
}

/* Grants rights beneath the directory open at dir_fd. */
static int
allow_fd(int ruleset, int dir_fd, uint64_t rights, uint64_t handled)
{
    struct landlock_path_beneath_attr pb;

    memset(&pb, 0, sizeof pb);
    pb.allowed_access = rights & handled;
    pb.parent_fd = dir_fd;
    return (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
}

/* Grants rights beneath the directory that holds path (path itself when
 * is_dir). A directory that does not exist is reported and skipped: the
 * daemon then cannot use it, as it could not unconfined. */
static int
allow_dir_of(int ruleset, const char *path, bool is_dir, uint64_t rights, uint64_t handled,
             helperd_report_fn report, void *ctx)
{
    char dir[4096];
    const char *slash = is_dir ? NULL : strrchr(path, '/');
    int fd, rc;

    if (is_dir)
        snprintf(dir, sizeof dir, "%s", path);
    else if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if ((fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
        helperd_reportf(report, ctx, "warning: confinement: %s: %s: not accessible while confined",
                        dir, strerror(errno));
        return 0;
    }
    rc = allow_fd(ruleset, fd, rights, handled);
    if (rc != 0)
        helperd_reportf(report, ctx, "error: confinement: Landlock rule for %s: %s", dir,
                        strerror(errno));
    close(fd);
    return rc;
}

static int
add_rules(int ruleset, const struct helperd_confine_paths *p, uint64_t handled,
          helperd_report_fn report, void *ctx)
{
    const char *readable[] = {p->conf_path, p->signing_key, p->jwks, p->refresh_key};
    const char *replaced[] = {p->users, p->revocation};
    size_t i;

    for (i = 0; i < sizeof readable / sizeof readable[0]; i++)
        if (allow_dir_of(ruleset, readable[i], false, RIGHTS_READ, handled, report, ctx) != 0)
            return -1;
    for (i = 0; i < sizeof replaced / sizeof replaced[0]; i++)
        if (allow_dir_of(ruleset, replaced[i], false, RIGHTS_REPLACE, handled, report, ctx) != 0)
            return -1;
    /* Account lookups per request (helperd_confine.c): read, never write. */
    if (allow_dir_of(ruleset, "/etc", true, LANDLOCK_ACCESS_FS_READ_FILE, handled, report, ctx) !=
        0)
        return -1;
#ifdef HELPERD_CONFINE_SANITIZERS
    /* LeakSanitizer lists /proc/self/task and reads /proc/self/maps at exit. */
    if (allow_dir_of(ruleset, "/proc/self", true, RIGHTS_READ, handled, report, ctx) != 0)
        return -1;
#endif
    /* The socket is removed at exit (helperd_listen_close). */
    if (p->socket_dir_fd >= 0 &&
        allow_fd(ruleset, p->socket_dir_fd, LANDLOCK_ACCESS_FS_REMOVE_FILE, handled) != 0) {
        helperd_reportf(report, ctx,
                        "error: confinement: Landlock rule for the socket's directory: %s",
                        strerror(errno));
        return -1;
    }
    return 0;
}

int
helperd_landlock_apply(const struct helperd_confine_paths *p, helperd_report_fn report, void *ctx)
{
    int abi = helperd_landlock_abi(), ruleset, rc = -1;
    struct ll_ruleset_attr attr;
    size_t size = sizeof attr.handled_access_fs;

    if (abi <= 0)
        return 0;
    memset(&attr, 0, sizeof attr);
    attr.handled_access_fs = handled_fs(abi);
    if (abi >= 4) { /* the daemon speaks no TCP at all */
        attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
        size = offsetof(struct ll_ruleset_attr, scoped);
    }
    if (abi >= 6) { /* nor signals out, nor abstract sockets */
        attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
        size = sizeof attr;
    }
    ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
    if (ruleset < 0) {
        helperd_reportf(report, ctx, "error: confinement: Landlock (ABI %d): %s", abi,
                        strerror(errno));
        return -1;
    }
    if (add_rules(ruleset, p, attr.handled_access_fs, report, ctx) == 0) {
        if (syscall(SYS_landlock_restrict_self, ruleset, 0) == 0)
            rc = 1;
        else
            helperd_reportf(report, ctx, "error: confinement: Landlock: %s", strerror(errno));
    }
    close(ruleset);
    return rc;
}
