/* SPDX-License-Identifier: MIT */
/* jwt-helperd's listening socket (jwt-helperd(8), Socket): taken from systemd socket
 * activation, or bound by the daemon itself at conf->socket. */
#ifndef PAM_JWT_HELPERD_LISTEN_H
#define PAM_JWT_HELPERD_LISTEN_H

#include <stdbool.h>
#include <sys/types.h>

#include "helperd.h"

/* The listening socket and, when the daemon bound it itself, what it needs
 * to remove the file at exit: the directory (an O_PATH descriptor, so a
 * chdir or a relative path does not matter) and the name in it, and the
 * file's identity right after bind, so a socket some later daemon put at
 * the same path is never removed. */
struct helperd_listener {
    int fd;         /* listening, non-blocking, close-on-exec; -1 once closed */
    bool activated; /* passed in by systemd (LISTEN_FDS): never unlinked by us */
    int dir_fd;     /* -1 unless we created the socket file */
    char *name;     /* the socket file's name inside dir_fd */
    dev_t dev;
    ino_t ino;
};

/* Takes the socket: fd 3 when LISTEN_PID is our pid and LISTEN_FDS is "1"
 * (checked to be a listening AF_UNIX SOCK_STREAM socket; the LISTEN_*
 * variables are then unset), else binds path (mode 0666, backlog 128),
 * replacing a stale socket nobody listens on, refusing when a daemon
 * answers there or something else is in the way. Returns 0 with *out
 * filled (helperd_listen_close), or -1 after reporting the reason once. */
int helperd_listen_open(const char *path, helperd_report_fn report, void *ctx,
                        struct helperd_listener *out) JWT_MUST_CHECK;

/* Closes every descriptor above stderr that the daemon inherited, except
 * those systemd passed (LISTEN_PID is ours: fds 3.. 3+LISTEN_FDS-1): a
 * daemon started by root must not keep a stray descriptor of its starter
 * past the privilege drop. Call first thing in main. */
void helperd_listen_close_inherited(void);

/* Describes the socket for the "started" log line: its bound path (or
 * "(unnamed)") and whether systemd passed it; writes at most len bytes. */
void helperd_listen_describe(const struct helperd_listener *l, char *buf, size_t len);

/* Closes the listening descriptor (the daemon stops accepting) and removes
 * the socket file when we created it and it is still the same file. After
 * the privilege drop the directory may not let us: that is ignored, the
 * next start replaces the stale socket. Safe to call twice. */
void helperd_listen_close(struct helperd_listener *l);

#endif
