/* SPDX-License-Identifier: MIT */
/* `jwt-helper doctor`: runs a program that describes its own configuration
 * (sshd -T, sudo -V) and takes its output, with a time limit. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "doctor.h"

#define RUN_TIMEOUT_MS 10000 /* without output: killed */

extern char **environ;

/* Reads fd into buf until EOF, the cap or the deadline. Returns the bytes
 * read, or -1 on a timeout or read error. */
static ssize_t
read_until(int fd, char *buf, size_t cap)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    size_t n = 0;
    ssize_t got;

    while (n < cap) {
        int ready = poll(&p, 1, RUN_TIMEOUT_MS);

        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            return -1;
        if ((got = read(fd, buf + n, cap - n)) < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return got < 0 ? -1 : (ssize_t)n;
        n += (size_t)got;
    }
    return (ssize_t)n;
}

int
doctor_run(char *const argv[], char **out)
{
    char *buf = malloc(DOCTOR_RUN_MAX_BYTES + 1);
    posix_spawn_file_actions_t fa;
    int fds[2] = {-1, -1}, status = 0, rc = -1;
    pid_t pid = -1;
    ssize_t n;

    *out = buf;
    if (buf == NULL)
        return -1;
    buf[0] = '\0'; /* what a caller shows when nothing ran */
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    if (posix_spawn_file_actions_init(&fa) != 0)
        goto out;
    if (posix_spawn_file_actions_adddup2(&fa, fds[1], 1) == 0 &&
        posix_spawn_file_actions_adddup2(&fa, fds[1], 2) == 0 &&
        posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
        pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    fds[1] = -1;
    if (pid < 0)
        goto out;
    if ((n = read_until(fds[0], buf, DOCTOR_RUN_MAX_BYTES)) < 0)
        kill(pid, SIGKILL); /* hung: the verdict is "could not run" */
    buf[n > 0 ? n : 0] = '\0';
    /* Closed before the wait: a program still writing past the cap gets
     * EPIPE instead of blocking on a full pipe while we wait for it. */
    close(fds[0]);
    fds[0] = -1;
    if (waitpid(pid, &status, 0) == pid && n >= 0 && WIFEXITED(status))
        rc = WEXITSTATUS(status);
out:
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    return rc;
}
