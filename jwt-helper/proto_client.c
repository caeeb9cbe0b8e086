/* SPDX-License-Identifier: MIT */
/* The client of jwt-helperd's socket: connect, check who listens, one request, one answer. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "secret.h"

/*
 * MUST:
 * 1. Nothing is written to a socket before SO_PEERCRED shows that the
 *    listener runs as root, as the daemon's user or as the uid the caller
 *    named: a socket path that someone else bound (a stale /run, a
 *    --socket typo) must not collect passwords or refresh tokens.
 * 2. One deadline bounds the whole exchange: a silent or trickling daemon
 *    cannot hold the PAM stack or the CLI past it.
 * 3. The response is read into a buffer of PROTO_MAX_LINE bytes and no
 *    more; a line without a newline by then is refused.
 * 4. Every buffer that held the request or the response is wiped.
 */

static proto_result
peer_check(int fd, const struct proto_client *c)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    uid_t daemon_uid;

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return PROTO_ERR_IO;
    if (len != sizeof cred)
        return PROTO_ERR_UNTRUSTED_PEER;
    if (cred.uid == 0)
        return PROTO_OK;
    if (c->extra_uid >= 0 && (long)cred.uid == c->extra_uid)
        return PROTO_OK;
    if (jwt_user_find(c->daemon_user != NULL ? c->daemon_user : JWT_DAEMON_USER, &daemon_uid,
                      NULL) == 0 &&
        daemon_uid == cred.uid)
        return PROTO_OK;
    return PROTO_ERR_UNTRUSTED_PEER;
}

proto_result
proto_client_connect(const struct proto_client *c, int *fd)
{
    const char *path = c->socket_path != NULL ? c->socket_path : PROTO_DEFAULT_SOCKET;
    struct sockaddr_un sa;
    size_t path_len = strlen(path);
    int s = -1, saved;
    proto_result r = PROTO_ERR_INVALID;

    *fd = -1;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    /* a path sun_path cannot hold whole would be truncated: another socket */
    if (path_len == 0 || path_len >= sizeof sa.sun_path)
        goto out;
    memcpy(sa.sun_path, path, path_len + 1);
    r = PROTO_ERR_IO;
    /* non-blocking: a full backlog is EAGAIN at once rather than a wait */
    if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
        goto out;
    if (connect(s, (const struct sockaddr *)&sa, sizeof sa) != 0) {
        if (errno == ENOENT || errno == ECONNREFUSED || errno == EAGAIN)
            r = PROTO_ERR_UNREACHABLE;
        goto out;
    }
    if ((r = peer_check(s, c)) != PROTO_OK)
        goto out;
    *fd = s;
    s = -1; /* the caller's now */
out:
    saved = errno;
    if (s >= 0)
        close(s);
    errno = saved;
    return r;
}

static void
deadline_set(struct timespec *deadline, int timeout_ms)
{
    clock_gettime(CLOCK_MONOTONIC, deadline);
    deadline->tv_sec += timeout_ms / 1000;
    deadline->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline->tv_nsec >= 1000000000L) {
        deadline->tv_sec++;
        deadline->tv_nsec -= 1000000000L;
    }
}

/* Milliseconds until deadline, rounded up; 0 once it has passed. */
static int
ms_left(const struct timespec *deadline)
{
    struct timespec now;
    long long ms;

    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
         (deadline->tv_nsec - now.tv_nsec + 999999L) / 1000000L;
    return ms <= 0 ? 0 : (int)ms;
}

/* Waits until fd is ready for events or the deadline passes. A hang-up or
 * error counts as ready: the following send or recv reports it. */
static proto_result
fd_wait(int fd, short events, const struct timespec *deadline)
{
    struct pollfd p = {.fd = fd, .events = events};
    int left, n;

    for (;;) {
        if ((left = ms_left(deadline)) == 0)
            return PROTO_ERR_TIMEOUT;
        n = poll(&p, 1, left);
        if (n > 0)
            return PROTO_OK;
        if (n < 0 && errno != EINTR)
            return PROTO_ERR_IO;
    }
}

static proto_result
line_send(int fd, const char *line, size_t len, const struct timespec *deadline)
{
    size_t done = 0;
    ssize_t n;
    proto_result r;

    while (done < len) {
        if ((r = fd_wait(fd, POLLOUT, deadline)) != PROTO_OK)
            return r;
        n = send(fd, line + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (n < 0)
            return errno == EPIPE || errno == ECONNRESET ? PROTO_ERR_CLOSED : PROTO_ERR_IO;
        done += (size_t)n;
    }
    return PROTO_OK;
}

/* Reads into buf[0..cap) until a newline; *len is the line's length with
 * it. Bytes after the newline are read along and ignored. */
static proto_result
line_recv(int fd, char *buf, size_t cap, size_t *len, const struct timespec *deadline)
{
    size_t have = 0;
    const char *nl;
    ssize_t n;
    proto_result r;

    *len = 0;
    while (have < cap) {
        if ((r = fd_wait(fd, POLLIN, deadline)) != PROTO_OK)
            return r;
        n = recv(fd, buf + have, cap - have, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (n < 0)
            return errno == ECONNRESET ? PROTO_ERR_CLOSED : PROTO_ERR_IO;
        if (n == 0)
            return PROTO_ERR_CLOSED;
        nl = memchr(buf + have, '\n', (size_t)n);
        have += (size_t)n;
        if (nl != NULL) {
            *len = (size_t)(nl - buf) + 1;
            return PROTO_OK;
        }
    }
    return PROTO_ERR_TOO_LONG;
}

proto_result
proto_client_exchange(int fd, struct proto_request *req, int timeout_ms,
                      struct proto_response *resp)
{
    struct timespec deadline;
    char *line = NULL, *buf = NULL;
    size_t line_len = 0, got = 0;
    int saved;
    proto_result r;

    memset(resp, 0, sizeof *resp);
    deadline_set(&deadline, timeout_ms > 0 ? timeout_ms : PROTO_DEFAULT_TIMEOUT_MS);
    if ((r = proto_request_encode(req, &line, &line_len)) != PROTO_OK)
        goto out;
    if ((r = line_send(fd, line, line_len, &deadline)) != PROTO_OK)
        goto out;
    r = PROTO_ERR_NOMEM;
    if ((buf = malloc(PROTO_MAX_LINE)) == NULL)
        goto out;
    if ((r = line_recv(fd, buf, PROTO_MAX_LINE, &got, &deadline)) != PROTO_OK)
        goto out;
    r = proto_response_decode(buf, got, req->op, resp);
out:
    saved = errno;
    secret_free(line, line_len);
    secret_free(buf, buf != NULL ? PROTO_MAX_LINE : 0); /* tokens, maybe past got */
    errno = saved;
    return r;
}

proto_result
proto_client_call(const struct proto_client *c, struct proto_request *req,
                  struct proto_response *resp)
{
    int fd = -1, saved;
    proto_result r;

    memset(resp, 0, sizeof *resp);
    if ((r = proto_client_connect(c, &fd)) != PROTO_OK)
        return r;
    r = proto_client_exchange(fd, req, c->timeout_ms, resp);
    saved = errno;
    close(fd);
    errno = saved;
    return r;
}
