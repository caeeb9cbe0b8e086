/* SPDX-License-Identifier: MIT */
/* confine_probe CONF ACTION [PATH]: confines itself exactly as jwt-helperd
 * does for the daemon config CONF (helperd_conf_load, helperd_confine_paths_of
 * and helperd_confine: the daemon's own functions and rule set, linked from
 * the daemon's sources), then does ACTION, so test_daemon_confine.sh can
 * try what a confined daemon must not be able to do without any trigger
 * in the daemon itself:
 *   read PATH    open PATH for reading; prints "ok" or the errno name
 *   create PATH  create PATH (O_CREAT|O_EXCL) for writing; the same
 *   exec         execve /bin/true (not on the filter's list)
 *   inet         socket(AF_INET) (sockets other than AF_UNIX are not)
 *   fork         fork (clone without CLONE_THREAD)
 *   unlisted     getpriority(2), on neither list: prints the errno name
 *                (EPERM) and exits 0, the process alive
 * Exit status: 0 after read/create whatever the outcome (the output says
 * it), 3 when a forbidden system call returned instead of ending the
 * process, 2 on a usage or confinement error. */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helperd_confine.h"

static void
to_stderr(void *ctx, const char *message)
{
    (void)ctx;
    fprintf(stderr, "confine_probe: %s\n", message);
}

/* A line on stdout with write(2) alone: stdio may make calls (isatty's
 * ioctl) the daemon never makes, which its filter would rightly kill. */
static void
say(const char *a, const char *b)
{
    char line[256];
    int n = snprintf(line, sizeof line, "%s%s\n", a, b);

    if (n > 0)
        (void)!write(STDOUT_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static int
try_open(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC, 0600);

    if (fd >= 0) {
        close(fd);
        say("ok", "");
    } else {
        say(strerrorname_np(errno), "");
    }
    return 0;
}

static int
forbidden(const char *action)
{
    char *const argv[] = {(char *)"true", NULL};
    pid_t pid;

    if (strcmp(action, "exec") == 0) {
        execv("/bin/true", argv);
    } else if (strcmp(action, "inet") == 0) {
        if (socket(AF_INET, SOCK_STREAM, 0) >= 0)
            say("socket(AF_INET) succeeded", "");
    } else if (strcmp(action, "fork") == 0) {
        if ((pid = fork()) == 0)
            _exit(0);
        if (pid > 0)
            waitpid(pid, NULL, 0);
    } else {
        fprintf(stderr, "confine_probe: unknown action %s\n", action);
        return 2;
    }
    say(action, " returned");
    return 3;
}

int
main(int argc, char **argv)
{
    struct helperd_conf *conf = NULL;
    struct helperd_confine_paths paths;
    int rc;

    if (argc < 3 ||
        ((strcmp(argv[2], "read") == 0 || strcmp(argv[2], "create") == 0) && argc != 4)) {
        fprintf(stderr, "usage: confine_probe CONF read|create PATH | exec|inet|fork|unlisted\n");
        return 2;
    }
    if (helperd_conf_load(argv[1], true, to_stderr, NULL, &conf) != CONF_OK)
        return 2;
    helperd_confine_paths_of(argv[1], conf, -1, &paths);
    rc = helperd_confine(&paths, to_stderr, NULL);
    helperd_conf_free(conf); /* paths pointed into it: confined by now */
    if (rc != 0)
        return 2;
    if (strcmp(argv[2], "read") == 0)
        return try_open(argv[3], O_RDONLY);
    if (strcmp(argv[2], "create") == 0)
        return try_open(argv[3], O_WRONLY | O_CREAT | O_EXCL);
    if (strcmp(argv[2], "unlisted") == 0) {
        errno = 0;
        if (getpriority(PRIO_PROCESS, 0) == -1 && errno != 0)
            say(strerrorname_np(errno), "");
        else
            say("getpriority succeeded", "");
        return 0;
    }
    return forbidden(argv[2]);
}
