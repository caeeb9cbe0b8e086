/* SPDX-License-Identifier: MIT */
/* `jwt-helper doctor`: does sshd run its PAM stack and show pam_jwt's
 * prompt? Asks `sshd -T` (the configuration sshd itself would use, every
 * Include and default applied) with a time limit. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "doctor.h"

#define SSHD_PATH "/usr/sbin/sshd"
#define SSHD_CONFIG "/etc/ssh/sshd_config"
#define SSHD_T_MAX_BYTES (256 * 1024)
#define SSHD_T_TIMEOUT_MS 10000

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
        int ready = poll(&p, 1, SSHD_T_TIMEOUT_MS);

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

/* Runs `sshd -T` with stdout and stderr into one pipe. Returns its exit
 * status (-1: could not run or timed out, killed) with *out its output
 * (NUL-terminated, the caller frees). */
static int
run_sshd_t(char **out)
{
    char *argv[] = {SSHD_PATH, "-T", NULL}, *buf = malloc(SSHD_T_MAX_BYTES + 1);
    posix_spawn_file_actions_t fa;
    int fds[2] = {-1, -1}, status = 0, rc = -1;
    pid_t pid = -1;
    ssize_t n;

    *out = buf;
    if (buf == NULL || pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    buf[0] = '\0';
    if (posix_spawn_file_actions_init(&fa) != 0)
        goto out;
    if (posix_spawn_file_actions_adddup2(&fa, fds[1], 1) == 0 &&
        posix_spawn_file_actions_adddup2(&fa, fds[1], 2) == 0 &&
        posix_spawn(&pid, SSHD_PATH, &fa, NULL, argv, environ) != 0)
        pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    fds[1] = -1;
    if (pid < 0)
        goto out;
    if ((n = read_until(fds[0], buf, SSHD_T_MAX_BYTES)) < 0)
        kill(pid, SIGKILL); /* hung: the verdict is "could not run" */
    buf[n > 0 ? n : 0] = '\0';
    /* Closed before the wait: an sshd still writing past the cap gets
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

/* The value of key in sshd -T's output ("key value" lines, keys in lower
 * case), copied into val; false when absent. */
static bool
sshd_t_value(const char *text, const char *key, char *val, size_t len)
{
    size_t klen = strlen(key);

    for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p) {
        if (strncmp(p, key, klen) == 0 && p[klen] == ' ') {
            snprintf(val, len, "%.*s", (int)strcspn(p + klen + 1, "\n"), p + klen + 1);
            return true;
        }
    }
    return false;
}

/* The first line of sshd's complaint, for the message. */
static const char *
first_line(char *text)
{
    text[strcspn(text, "\n")] = '\0';
    return text[0] != '\0' ? text : "no answer";
}

void
doctor_sshd_check(struct doctor *d)
{
    char *text = NULL, use_pam[16] = "", kbd[16] = "", password[16] = "";

    if (access(SSHD_PATH, X_OK) != 0)
        return; /* no sshd: its stack file serves nothing */
    if (run_sshd_t(&text) != 0) {
        doctor_unreadable(d, SSHD_CONFIG, text != NULL ? first_line(text) : "out of memory",
                          "sshd's UsePAM and prompts (sshd -T failed)");
        goto out;
    }
    if (sshd_t_value(text, "usepam", use_pam, sizeof(use_pam)) && strcmp(use_pam, "no") == 0)
        doctor_finding(d, DOCTOR_ERROR, SSHD_CONFIG, 0,
                       "UsePAM no: sshd never runs its PAM stack, so no token logs in; set "
                       "UsePAM yes");
    if (sshd_t_value(text, "kbdinteractiveauthentication", kbd, sizeof(kbd)) &&
        sshd_t_value(text, "passwordauthentication", password, sizeof(password)) &&
        strcmp(kbd, "no") == 0 && strcmp(password, "no") == 0)
        doctor_finding(d, DOCTOR_ERROR, SSHD_CONFIG, 0,
                       "KbdInteractiveAuthentication and PasswordAuthentication are both off: "
                       "no prompt reaches pam_jwt; set KbdInteractiveAuthentication yes");
out:
    free(text);
}
