/* SPDX-License-Identifier: MIT */
/* jwt-helperd's listening socket: systemd socket activation, or its own. */
#define _GNU_SOURCE 1 /* close_range */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "helperd_listen.h"

/* sd_listen_fds(3): passed descriptors start at 3. */
#define LISTEN_FDS_START 3
/* More passed descriptors than this is nonsense: keep none of them. */
#define LISTEN_FDS_MAX 64
/* Without close_range: descriptors probed one by one up to this. */
#define CLOSE_FALLBACK_MAX 65536
/* Connections waiting for accept; the loop's own limits do the real bounding. */
#define LISTEN_BACKLOG 128

static void
listener_init(struct helperd_listener *l)
{
    memset(l, 0, sizeof(*l));
    l->fd = -1;
    l->dir_fd = -1;
}

static bool
sockopt_is(int fd, int opt, int want)
{
    int v = 0;
    socklen_t len = sizeof(v);

    return getsockopt(fd, SOL_SOCKET, opt, &v, &len) == 0 && len == sizeof(v) && v == want;
}

/* The one descriptor systemd passed must be what we would have made
 * ourselves: a stream Unix socket already listening (Accept=no). */
static int
take_activated_fd(helperd_report_fn report, void *ctx, struct helperd_listener *out)
{
    int fd = LISTEN_FDS_START, fl;

    if (!sockopt_is(fd, SO_DOMAIN, AF_UNIX) || !sockopt_is(fd, SO_TYPE, SOCK_STREAM) ||
        !sockopt_is(fd, SO_ACCEPTCONN, 1)) {
        helperd_reportf(report, ctx,
                        "socket activation: fd %d is not a listening AF_UNIX stream socket", fd);
        return -1;
    }
    fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        helperd_reportf(report, ctx, "socket activation: fd %d: %s", fd, strerror(errno));
        return -1;
    }
    out->fd = fd;
    out->activated = true;
    return 0;
}

/* Returns 1 when systemd passed us sockets (then 0/-1 from taking them in
 * *rc), 0 when the variables are absent or meant for another process. The
 * variables are unset either way: nothing we start should inherit them. */
static int
try_activation(helperd_report_fn report, void *ctx, struct helperd_listener *out, int *rc)
{
    const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
    uint64_t pid = 0;
    int ours = 0;

    if (pid_s != NULL && fds_s != NULL && conf_parse_uint(pid_s, 1, INT32_MAX, &pid) &&
        (pid_t)pid == getpid()) {
        ours = 1;
        if (strcmp(fds_s, "1") != 0) {
            helperd_reportf(report, ctx,
                            "socket activation: LISTEN_FDS=%.16s: exactly one socket expected",
                            fds_s);
            *rc = -1;
        } else {
            *rc = take_activated_fd(report, ctx, out);
        }
    }
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    return ours;
}

/* Returns the number of descriptors systemd passed to this very process
 * (0 when LISTEN_PID is absent, another pid's, or LISTEN_FDS is not a count). */
static unsigned
passed_fd_count(void)
{
    const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
    uint64_t pid = 0, n = 0;

    if (pid_s == NULL || fds_s == NULL || !conf_parse_uint(pid_s, 1, INT32_MAX, &pid) ||
        (pid_t)pid != getpid() || !conf_parse_uint(fds_s, 0, LISTEN_FDS_MAX, &n))
        return 0;
    return (unsigned)n;
}

void
helperd_listen_close_inherited(void)
{
    unsigned first = LISTEN_FDS_START + passed_fd_count();
    long max = sysconf(_SC_OPEN_MAX);
    int fd;

    if (close_range(first, ~0U, 0) == 0)
        return;
    /* Kernels before 5.9: one by one, bounded. */
    if (max < 0 || max > CLOSE_FALLBACK_MAX)
        max = CLOSE_FALLBACK_MAX;
    for (fd = (int)first; fd < max; fd++)
        (void)close(fd);
}

/* Something exists at path. A socket nobody listens on is what a daemon
 * that died leaves behind: remove it. A socket that answers is a running
 * daemon; anything else is not ours to remove. Returns 0 when the way is
 * clear, -1 after reporting. */
static int
clear_stale(int dir_fd, const char *name, const char *path, const struct sockaddr_un *sa,
            helperd_report_fn report, void *ctx)
{
    struct stat st;
    int probe, r, err;

    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            return 0;
        helperd_reportf(report, ctx, "socket %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        helperd_reportf(report, ctx,
                        "socket %s: exists and is not a socket: refusing to replace it", path);
        return -1;
    }
    probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (probe < 0) {
        helperd_reportf(report, ctx, "socket: %s", strerror(errno));
        return -1;
    }
    r = connect(probe, (const struct sockaddr *)sa, sizeof(*sa));
    err = errno;
    close(probe);
    if (r != 0 && err == ECONNREFUSED) {
        if (unlinkat(dir_fd, name, 0) != 0 && errno != ENOENT) {
            helperd_reportf(report, ctx, "socket %s: removing stale socket: %s", path,
                            strerror(errno));
            return -1;
        }
        return 0;
    }
    if (r == 0 || err == EAGAIN || err == EINPROGRESS)
        helperd_reportf(report, ctx, "socket %s: a daemon answers there: already running", path);
    else
        helperd_reportf(report, ctx, "socket %s: %s", path, strerror(err));
    return -1;
}

/* Opens the directory that holds path and splits off the file name. */
static int
open_parent(const char *path, helperd_report_fn report, void *ctx, struct helperd_listener *out)
{
    const char *slash = strrchr(path, '/');
    char dir[HELPERD_CONF_SOCKET_MAX + 1];

    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    if ((out->name = strdup(slash == NULL ? path : slash + 1)) == NULL) {
        helperd_reportf(report, ctx, "out of memory");
        return -1;
    }
    if (out->name[0] == '\0' || strcmp(out->name, ".") == 0 || strcmp(out->name, "..") == 0) {
        helperd_reportf(report, ctx, "socket %s: not a file name", path);
        return -1;
    }
    out->dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (out->dir_fd < 0) {
        if (errno == ENOENT)
            helperd_reportf(
                report, ctx,
                "socket %s: directory %s does not exist (systemd's RuntimeDirectory= or "
                "tmpfiles.d create it)",
                path, dir);
        else
            helperd_reportf(report, ctx, "socket %s: directory %s: %s", path, dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* bind, then note which file we made (before chmod, so a file swapped in
 * by someone else is never made world-writable), then open it to all. */
static int
bind_own(const char *path, const struct sockaddr_un *sa, helperd_report_fn report, void *ctx,
         struct helperd_listener *out)
{
    struct stat st;

    out->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (out->fd < 0) {
        helperd_reportf(report, ctx, "socket: %s", strerror(errno));
        return -1;
    }
    /* Every local user may ask; SO_PEERCRED tells the daemon who (jwt-helperd(8),
     * Socket). The mode comes from the umask at bind: a chmod by name later
     * would follow whatever a writer of the directory put there meanwhile. */
    mode_t old_umask = umask(0111);
    int bound = bind(out->fd, (const struct sockaddr *)sa, sizeof(*sa));
    int bind_errno = errno;
    umask(old_umask);
    if (bound != 0) {
        helperd_reportf(report, ctx, "socket %s: bind: %s", path, strerror(bind_errno));
        return -1;
    }
    if (fstatat(out->dir_fd, out->name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISSOCK(st.st_mode)) {
        helperd_reportf(report, ctx, "socket %s: vanished after bind", path);
        return -1;
    }
    out->dev = st.st_dev;
    out->ino = st.st_ino;
    if (listen(out->fd, LISTEN_BACKLOG) != 0) {
        helperd_reportf(report, ctx, "socket %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int
open_own(const char *path, helperd_report_fn report, void *ctx, struct helperd_listener *out)
{
    struct sockaddr_un sa;
    size_t len = path == NULL ? 0 : strlen(path);

    if (len == 0) {
        helperd_reportf(report, ctx, "socket path is empty");
        return -1;
    }
    if (len > HELPERD_CONF_SOCKET_MAX || len >= sizeof(sa.sun_path)) {
        helperd_reportf(report, ctx, "socket path %.64s...: longer than %d bytes", path,
                        HELPERD_CONF_SOCKET_MAX);
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, len);
    if (open_parent(path, report, ctx, out) != 0 ||
        clear_stale(out->dir_fd, out->name, path, &sa, report, ctx) != 0)
        return -1;
    /* On failure the caller's helperd_listen_close removes a file we made. */
    return bind_own(path, &sa, report, ctx, out);
}

int
helperd_listen_open(const char *path, helperd_report_fn report, void *ctx,
                    struct helperd_listener *out)
{
    int rc = -1;

    listener_init(out);
    if (try_activation(report, ctx, out, &rc))
        return rc;
    if (open_own(path, report, ctx, out) == 0)
        return 0;
    helperd_listen_close(out);
    return -1;
}

void
helperd_listen_describe(const struct helperd_listener *l, char *buf, size_t len)
{
    struct sockaddr_un sa;
    socklen_t sl = sizeof(sa);

    memset(&sa, 0, sizeof(sa));
    if (l->fd < 0 || getsockname(l->fd, (struct sockaddr *)&sa, &sl) != 0 ||
        sl <= offsetof(struct sockaddr_un, sun_path) || sa.sun_path[0] == '\0')
        snprintf(buf, len, "(unnamed)%s", l->activated ? " from systemd" : "");
    else
        snprintf(buf, len, "%.*s%s", (int)(sl - offsetof(struct sockaddr_un, sun_path)),
                 sa.sun_path, l->activated ? " from systemd" : "");
}

void
helperd_listen_close(struct helperd_listener *l)
{
    struct stat st;

    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    if (l->dir_fd >= 0 && l->name != NULL && (l->dev != 0 || l->ino != 0) &&
        fstatat(l->dir_fd, l->name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(st.st_mode) &&
        st.st_dev == l->dev && st.st_ino == l->ino)
        (void)unlinkat(l->dir_fd, l->name, 0); /* EACCES after the drop: harmless */
    if (l->dir_fd >= 0)
        close(l->dir_fd);
    l->dir_fd = -1;
    free(l->name);
    l->name = NULL;
    l->dev = 0;
    l->ino = 0;
}
