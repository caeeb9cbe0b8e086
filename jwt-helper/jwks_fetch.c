/* SPDX-License-Identifier: MIT */
/* Fetches a provider's key set with the curl program, without privilege.
 *
 * MUST:
 * 1. curl never runs as root, and never as an id another process has: the
 *    child drops for good to a uid and gid that no account and no running
 *    process holds (systemd's range for dynamic users), so no other
 *    process may ptrace curl or write its memory and change the body, as
 *    any other process of `nobody` could. Root cannot come back.
 * 2. https only, redirects included; an HTTP error is a failure, not a body.
 * 3. No more than JWT_MAX_JWKS_BYTES is ever taken, whatever curl does.
 * 4. The body reaches the root side over a pipe: no file an unprivileged
 *    user could swap between the fetch and the check. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "jwks_install.h"
#include "jwks_sync.h"

#define STR_(x) #x
#define STR(x) STR_(x)

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

/* systemd's range for dynamic users (61184-65519): no static account is
 * made there, and a running DynamicUser service is seen by the scan. */
#define FETCH_ID_FIRST 61184u
#define FETCH_ID_COUNT 4336u

/* True when a line "Uid:" or "Gid:" of a /proc status text names id. */
static bool
status_names(const char *text, unsigned id)
{
    const char *keys[] = {"\nUid:", "\nGid:"};

    for (size_t k = 0; k < 2; k++) {
        const char *p = strstr(text, keys[k]);
        char *end;

        if (p == NULL)
            return true; /* unreadable: count it as taken */
        p += strlen(keys[k]);
        for (int i = 0; i < 4; i++) {
            unsigned long v = strtoul(p, &end, 10);
            if (end == p)
                break;
            if (v == id)
                return true;
            p = end;
        }
    }
    return false;
}

/* True when an account, a group or a running process holds id. */
static bool
id_in_use(unsigned id)
{
    DIR *d;
    struct dirent *e;
    bool used = getpwuid((uid_t)id) != NULL || getgrgid((gid_t)id) != NULL;

    if (used || (d = opendir("/proc")) == NULL)
        return true;
    while (!used && (e = readdir(d)) != NULL) {
        char path[300], text[4096];
        ssize_t n;
        int fd;

        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
        if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
            continue; /* gone meanwhile */
        n = read(fd, text, sizeof text - 1);
        close(fd);
        if (n <= 0)
            continue;
        text[n] = '\0';
        used = status_names(text, id);
    }
    closedir(d);
    return used;
}

/* Drops root for good to uid = gid = id, no supplementary groups; false
 * (the child then exits) when any step fails or root could come back. */
static bool
drop_to_fetch_id(void)
{
    unsigned start, id = 0;
    uid_t r, e, s;
    gid_t rg, eg, sg;

    if (sodium_init() < 0)
        return false;
    start = randombytes_uniform(FETCH_ID_COUNT);
    for (unsigned i = 0; i < FETCH_ID_COUNT && id == 0; i++) {
        unsigned cand = FETCH_ID_FIRST + (start + i) % FETCH_ID_COUNT;
        if (!id_in_use(cand))
            id = cand;
    }
    if (id == 0) {
        fprintf(stderr, "jwt-helper: jwks sync: no free uid in %u-%u to fetch as\n", FETCH_ID_FIRST,
                FETCH_ID_FIRST + FETCH_ID_COUNT - 1);
        return false;
    }
    if (setgroups(0, NULL) != 0 || setresgid(id, id, id) != 0 || setresuid(id, id, id) != 0)
        return false;
    return getresuid(&r, &e, &s) == 0 && r == id && e == id && s == id &&
           getresgid(&rg, &eg, &sg) == 0 && rg == id && eg == id && sg == id && setuid(0) != 0;
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

    snprintf(max_bytes, sizeof max_bytes, "%d", JWT_MAX_JWKS_BYTES);
    if (url_arg == NULL || null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
        dup2(out_fd, STDOUT_FILENO) < 0)
        _exit(126);
    if (chdir("/") != 0 || !drop_to_fetch_id())
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
