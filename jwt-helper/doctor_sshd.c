/* SPDX-License-Identifier: MIT */
/* `jwt-helper doctor`: does sshd run its PAM stack and show pam_jwt's
 * prompt? Asks `sshd -T` (the configuration sshd itself would use, every
 * Include and default applied) with a time limit where sshd is installed,
 * else reads sshd_config and its Includes (doctor_sshd_config.c). */
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

/* Sets v from key's line in sshd -T's output ("key value" lines, keys in
 * lower case); left empty when absent. */
static void
sshd_t_value(const char *text, const char *key, struct doctor_sshd_value *v)
{
    size_t klen = strlen(key);

    for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p) {
        if (strncmp(p, key, klen) == 0 && p[klen] == ' ') {
            snprintf(v->value, sizeof(v->value), "%.*s", (int)strcspn(p + klen + 1, "\n"),
                     p + klen + 1);
            snprintf(v->path, sizeof(v->path), "%s", SSHD_CONFIG);
            return;
        }
    }
}

/* The first line of sshd's complaint, for the message. */
static const char *
first_line(char *text)
{
    text[strcspn(text, "\n")] = '\0';
    return text[0] != '\0' ? text : "no answer";
}

/* Fills the values from sshd -T. Returns 0, or -1 when sshd failed (said). */
static int
ask_sshd(struct doctor *d, struct doctor_sshd_value *usepam, struct doctor_sshd_value *kbd,
         struct doctor_sshd_value *password, struct doctor_sshd_value *root)
{
    char *text = NULL;
    int rc = -1;

    if (run_sshd_t(&text) != 0) {
        doctor_unreadable(d, SSHD_CONFIG, text != NULL ? first_line(text) : "out of memory",
                          "sshd's UsePAM and prompts (sshd -T failed)");
        goto out;
    }
    sshd_t_value(text, "usepam", usepam);
    sshd_t_value(text, "kbdinteractiveauthentication", kbd);
    sshd_t_value(text, "passwordauthentication", password);
    sshd_t_value(text, "permitrootlogin", root);
    rc = 0;
out:
    free(text);
    return rc;
}

void
doctor_sshd_check(struct doctor *d)
{
    struct doctor_sshd_value use_pam = {0}, kbd = {0}, password = {0}, root = {0};
    int rc;

    /* without sshd its files may still be there (a removed package keeps
     * its conffiles), and a later install takes them as they are */
    if (access(SSHD_PATH, X_OK) == 0)
        rc = ask_sshd(d, &use_pam, &kbd, &password, &root);
    else
        rc = doctor_sshd_config_read(d, SSHD_CONFIG, &use_pam, &kbd, &password, &root);
    if (rc != 0)
        return;
    if (strcmp(use_pam.value, "no") == 0)
        doctor_finding(d, DOCTOR_ERROR, use_pam.path, use_pam.line,
                       "UsePAM no: sshd never runs its PAM stack, so no token logs in; set "
                       "UsePAM yes");
    if (strcmp(kbd.value, "no") == 0 && strcmp(password.value, "no") == 0)
        doctor_finding(d, DOCTOR_ERROR, kbd.line != 0 ? kbd.path : password.path,
                       kbd.line != 0 ? kbd.line : password.line,
                       "KbdInteractiveAuthentication and PasswordAuthentication are both off: "
                       "no prompt reaches pam_jwt; set KbdInteractiveAuthentication yes");
    d->permit_root_login = root;
}
