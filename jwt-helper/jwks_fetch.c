/* SPDX-License-Identifier: MIT */
/* Fetches a provider's key set with the curl program, without privilege.
 *
 * MUST:
 * 1. curl never runs as root: the child drops to JWKS_SYNC_FETCH_USER for
 *    good (helperd_privdrop proves root cannot come back) before exec.
 * 2. https only, redirects included; an HTTP error is a failure, not a body.
 * 3. No more than JWT_MAX_JWKS_BYTES is ever taken, whatever curl does.
 * 4. The body reaches the root side over a pipe: no file an unprivileged
 *    user could swap between the fetch and the check. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helperd_privdrop.h"
#include "jwks_install.h"
#include "jwks_sync.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static void
report_stderr(void *ctx, const char *message)
{
    (void)ctx;
    fprintf(stderr, "jwt-helper: jwks sync: %s\n", message);
}

/* The environment curl gets: a fixed PATH, and only the variables an
 * administrator uses to point curl at a CA bundle or a proxy. */
static char **
curl_environment(void)
{
    static const char *const kept[] = {"CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR",
                                       "https_proxy",    "HTTPS_PROXY",   "no_proxy",
                                       "NO_PROXY"};
    static char *env[sizeof(kept) / sizeof(kept[0]) + 2];
    size_t n = 0;

    env[n++] = (char *)"PATH=/usr/local/bin:/usr/bin:/bin";
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
        char *entry = NULL;
        for (char **e = environ; *e != NULL && entry == NULL; e++)
            if (strncmp(*e, kept[i], strlen(kept[i])) == 0 && (*e)[strlen(kept[i])] == '=')
                entry = *e;
        if (entry != NULL)
            env[n++] = entry;
    }
    env[n] = NULL;
    return env;
}

static void run_curl(const char *url, int out_fd) __attribute__((noreturn));

/* In the child: stdout is the pipe, stdin /dev/null; drop, then exec curl. */
static void
run_curl(const char *url, int out_fd)
{
    char max_bytes[24], *url_arg = strdup(url);
    /* -q first: no ~/.curlrc of any user changes what is fetched. Each
     * option stands beside its value. */
    /* clang-format off */
    char *argv[] = {
        "curl", "-q", "--silent", "--show-error", "--fail", "--location",
        "--max-redirs", "5",
        "--proto", "=https",
        "--proto-redir", "=https",
        "--max-filesize", max_bytes,
        "--connect-timeout", "15",
        "--max-time", STR(JWKS_SYNC_FETCH_SECONDS),
        "--output", "-",
        "--url", url_arg,
        NULL,
    };
    /* clang-format on */
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    uid_t uid;

    snprintf(max_bytes, sizeof max_bytes, "%d", JWT_MAX_JWKS_BYTES);
    if (url_arg == NULL || null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
        dup2(out_fd, STDOUT_FILENO) < 0)
        _exit(126);
    if (chdir("/") != 0 || helperd_privdrop(JWKS_SYNC_FETCH_USER, report_stderr, NULL, &uid) != 0)
        _exit(126);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        _exit(126);
    umask(077);
    setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
    execvpe("curl", argv, curl_environment());
    fprintf(stderr, "jwt-helper: jwks sync: cannot run curl: %s\n", strerror(errno));
    _exit(127);
}

/* Waits for the child; returns its wait status, or -1. */
static int
reap(pid_t pid)
{
    int status;

    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return status;
}

/* Waits for the child; true when curl exited 0, else says how it ended. */
static bool
curl_succeeded(pid_t pid)
{
    int status = reap(pid);

    if (status == -1)
        return false;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        fprintf(stderr, "jwt-helper: jwks sync: curl is not installed\n");
    else if (WIFEXITED(status))
        fprintf(stderr, "jwt-helper: jwks sync: the fetch failed (curl exit %d)\n",
                WEXITSTATUS(status));
    else
        fprintf(stderr, "jwt-helper: jwks sync: the fetch was killed\n");
    return false;
}

int
jwks_fetch(const char *url, char **out, size_t *len)
{
    char *body = NULL;
    size_t n = 0;
    int fds[2], got, err;
    pid_t pid;

    *out = NULL;
    *len = 0;
    if (pipe2(fds, O_CLOEXEC) != 0 || (pid = fork()) < 0) {
        fprintf(stderr, "jwt-helper: jwks sync: cannot start curl: %s\n", strerror(errno));
        return -1;
    }
    if (pid == 0)
        run_curl(url, fds[1]);
    close(fds[1]);
    got = jwks_read_fd(fds[0], JWT_MAX_JWKS_BYTES, &body, &n);
    err = errno;
    close(fds[0]);
    if (got != 0) {
        kill(pid, SIGKILL); /* our own child, which may still be sending */
        (void)reap(pid);
        if (got > 0)
            fprintf(stderr, "jwt-helper: jwks sync: the answer is larger than %d bytes\n",
                    JWT_MAX_JWKS_BYTES);
        else
            fprintf(stderr, "jwt-helper: jwks sync: reading from curl: %s\n", strerror(err));
        return -1;
    }
    if (!curl_succeeded(pid)) {
        free(body);
        return -1;
    }
    *out = body;
    *len = n;
    return 0;
}
