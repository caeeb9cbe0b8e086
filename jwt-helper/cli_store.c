/* SPDX-License-Identifier: MIT */
/* The client's state directory: where the refresh token and cached access tokens live. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "atomic_file.h"
#include "cli.h"
#include "cli_store.h"
#include "proto.h"
#include "secret.h"

/*
 * MUST:
 * 1. Tokens are only read from and written to a directory that is the
 *    caller's own (owner = euid, no group/other bits, not a symlink), and
 *    only from files that are the same: a refresh token is a password for
 *    the session's lifetime.
 * 2. Every read, write and removal goes through the descriptor of the
 *    directory that was checked (openat, renameat, unlinkat, fsync of that
 *    descriptor), never through its path again: a path can be pointed
 *    elsewhere between the check and the write (a root `sudo -E
 *    jwt-helper token` in a directory its user controls).
 * 3. Writes are atomic (temporary file O_EXCL | O_NOFOLLOW mode 0600,
 *    fsync, renameat, fsync of the directory): a crash never leaves half a
 *    token that a later `token` would send.
 * 4. A file that does not hold a token is reported as such, never repaired
 *    by guessing; the caller decides (a cache is replaced, a refresh token
 *    means "log in again").
 */

#define STATE_SUBDIR "jwt-helper"
#define CACHE_HASH_BYTES 8

/* Returns a malloc'd absolute home directory: $HOME when absolute, else
 * the real uid's passwd entry; NULL when neither exists. */
static char *
home_dir(void)
{
    const char *home = secure_getenv("HOME");
    struct passwd *pw;

    if (home != NULL && home[0] == '/')
        return strdup(home);
    pw = getpwuid(getuid());
    if (pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/')
        return strdup(pw->pw_dir);
    return NULL;
}

/* Returns the malloc'd path of the state directory, or NULL. */
static char *
state_dir_path(void)
{
    const char *xdg = secure_getenv("XDG_STATE_HOME");
    char *home = NULL, *path = NULL;
    size_t len;

    /* The XDG Base Directory spec: a relative XDG_STATE_HOME is invalid
     * and must be ignored. */
    if (xdg != NULL && xdg[0] == '/') {
        len = strlen(xdg) + sizeof("/" STATE_SUBDIR);
        if ((path = malloc(len)) != NULL)
            snprintf(path, len, "%s/%s", xdg, STATE_SUBDIR);
        return path;
    }
    if ((home = home_dir()) == NULL)
        return NULL;
    len = strlen(home) + sizeof("/.local/state/" STATE_SUBDIR);
    if ((path = malloc(len)) != NULL)
        snprintf(path, len, "%s/.local/state/%s", home, STATE_SUBDIR);
    free(home);
    return path;
}

static void
print_path_problem(const char *path, const char *problem)
{
    fprintf(stderr, "jwt-helper: state directory ");
    cli_print_escaped(stderr, path);
    fprintf(stderr, ": %s\n", problem);
}

/* Opens directory name in parent; with create, a missing one is made mode
 * 0700 first. A component we made, and the last one (the state directory
 * itself), are opened with O_NOFOLLOW; ancestors that already exist are
 * the user's chosen location and may be symlinks (/home -> /var/home).
 * Returns the descriptor, or -1 with errno set. */
static int
open_component(int parent, const char *name, bool last, bool create)
{
    int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    int fd = openat(parent, name, flags | (last ? O_NOFOLLOW : 0));

    if (fd >= 0 || errno != ENOENT || !create)
        return fd;
    if (mkdirat(parent, name, 0700) != 0 && errno != EEXIST)
        return -1;
    return openat(parent, name, flags | O_NOFOLLOW);
}

/* Walks the absolute path from "/" one component at a time, each opened
 * relative to the one before (open_component). Returns 0 with *dirfd
 * open on the last, or -1 with errno set. */
static int
open_dir_walk(const char *path, bool create, int *dirfd)
{
    char *copy = strdup(path), *save = NULL, *comp, *next;
    int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC), child, saved = 0;

    if (copy == NULL || fd < 0) {
        saved = copy == NULL ? ENOMEM : errno;
        goto fail;
    }
    for (comp = strtok_r(copy, "/", &save); comp != NULL; comp = next) {
        next = strtok_r(NULL, "/", &save);
        child = open_component(fd, comp, next == NULL, create);
        saved = errno;
        close(fd);
        if ((fd = child) < 0)
            goto fail;
    }
    free(copy);
    *dirfd = fd;
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    free(copy);
    errno = saved;
    return -1;
}

/* Opens path as a directory and checks, on the descriptor, that it is the
 * caller's alone (MUST 1). */
static int
open_checked_dir(const char *path, bool create, int *dirfd)
{
    struct stat st;
    int fd = -1;

    if (open_dir_walk(path, create, &fd) != 0) {
        if (errno == ENOENT && !create)
            return 1;
        print_path_problem(path, errno == ELOOP || errno == ENOTDIR
                                     ? "not a directory (a symlink is refused)"
                                     : strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
        print_path_problem(path, "must be owned by you with mode 0700 (chmod 700 it)");
        close(fd);
        return -1;
    }
    *dirfd = fd;
    return 0;
}

int
cli_store_open(struct cli_store *s, bool create)
{
    char *path = state_dir_path();
    int rc;

    s->path = NULL;
    s->dirfd = -1;
    if (path == NULL) {
        fprintf(stderr, "jwt-helper: no home directory to keep the session in\n");
        return -1;
    }
    if ((rc = open_checked_dir(path, create, &s->dirfd)) != 0) {
        free(path);
        return rc;
    }
    s->path = path; /* for messages only (MUST 2) */
    return 0;
}

void
cli_store_close(struct cli_store *s)
{
    if (s->dirfd >= 0)
        close(s->dirfd);
    free(s->path);
    s->path = NULL;
    s->dirfd = -1;
}

void
cli_store_cache_name(const char *scope, const char *audience, char *name)
{
    unsigned char hash[crypto_generichash_BYTES_MIN];
    char hex[2 * CACHE_HASH_BYTES + 1];
    crypto_generichash_state st;

    if (scope == NULL && audience == NULL) {
        snprintf(name, CLI_STORE_NAME_MAX, "%s", CLI_STORE_ACCESS);
        return;
    }
    /* "\n" cannot occur in a scope, so (scope, audience) pairs never collide
     * by concatenation. */
    crypto_generichash_init(&st, NULL, 0, sizeof(hash));
    crypto_generichash_update(&st, (const unsigned char *)(scope ? scope : ""),
                              scope ? strlen(scope) : 0);
    crypto_generichash_update(&st, (const unsigned char *)"\n", 1);
    crypto_generichash_update(&st, (const unsigned char *)(audience ? audience : ""),
                              audience ? strlen(audience) : 0);
    crypto_generichash_final(&st, hash, sizeof(hash));
    sodium_bin2hex(hex, sizeof(hex), hash, CACHE_HASH_BYTES);
    snprintf(name, CLI_STORE_NAME_MAX, "%s-%s", CLI_STORE_ACCESS, hex);
}

static void
print_file_problem(const struct cli_store *s, const char *name, const char *problem)
{
    fprintf(stderr, "jwt-helper: ");
    cli_print_escaped(stderr, s->path);
    fprintf(stderr, "/%s: %s\n", name, problem);
}

/* True when t[0..len) has the shape of a JWS compact token. */
static bool
looks_like_token(const char *t, size_t len)
{
    size_t dots = 0;

    if (len == 0 || len > PROTO_MAX_TOKEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c == '.')
            dots++;
        else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_'))
            return false;
    }
    return dots == 2;
}

/* Reads all of fd, at most cap bytes; *got = cap + 1 says "more". */
static int
read_capped(int fd, char *buf, size_t cap, size_t *got)
{
    size_t n = 0;

    while (n <= cap) {
        ssize_t r = read(fd, buf + n, cap + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *got = n;
    return 0;
}

/* Opens name for reading and checks it is the caller's private file. */
static int
open_private(const struct cli_store *s, const char *name, int *fd_out)
{
    struct stat st;
    /* O_NONBLOCK: a FIFO planted here must not hang us; it fails S_ISREG. */
    int fd = openat(s->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

    if (fd < 0 && errno == ENOENT)
        return 1;
    if (fd < 0) {
        print_file_problem(s, name, errno == ELOOP ? "a symlink: refused" : strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 077) != 0) {
        print_file_problem(s, name, "must be a regular file owned by you with mode 0600");
        close(fd);
        return -1;
    }
    *fd_out = fd;
    return 0;
}

int
cli_store_read(const struct cli_store *s, const char *name, char **out, size_t *len)
{
    size_t cap = PROTO_MAX_TOKEN + 1, got = 0; /* the token and its "\n" */
    char *buf = NULL;
    int fd = -1, rc;

    *out = NULL;
    *len = 0;
    if ((rc = open_private(s, name, &fd)) != 0)
        return rc;
    rc = -1;
    if ((buf = malloc(cap + 2)) == NULL || read_capped(fd, buf, cap, &got) != 0) {
        print_file_problem(s, name, buf == NULL ? "out of memory" : strerror(errno));
        goto out;
    }
    if (got > 0 && got <= cap && buf[got - 1] == '\n')
        got--;
    rc = 2;
    if (got > cap || !looks_like_token(buf, got))
        goto out;
    buf[got] = '\0';
    *out = buf;
    *len = got;
    buf = NULL;
    rc = 0;
out:
    secret_free(buf, cap + 2);
    close(fd);
    return rc;
}

int
cli_store_write(const struct cli_store *s, const char *name, const char *token, size_t len)
{
    /* Through the directory checked at open (MUST 3): mode exactly 0600
     * before the first byte, O_EXCL|O_NOFOLLOW, fsync of data and
     * directory; the temporary name is atomic_file's, so is_temp_name and
     * remove_all sweep what a killed writer left. */
    if (!atomic_file_replace_at(s->dirfd, name, token, len, 0600, (uid_t)-1, (gid_t)-1)) {
        print_file_problem(s, name, strerror(errno));
        return -1;
    }
    return 0;
}

int
cli_store_remove(const struct cli_store *s, const char *name)
{
    if (unlinkat(s->dirfd, name, 0) != 0 && errno != ENOENT) {
        print_file_problem(s, name, strerror(errno));
        return -1;
    }
    return 0;
}

/* True for "access-token" and "access-token-<16 hex>". */
static bool
is_cache_name(const char *n)
{
    size_t base = strlen(CLI_STORE_ACCESS);

    if (strncmp(n, CLI_STORE_ACCESS, base) != 0)
        return false;
    if (n[base] == '\0')
        return true;
    if (n[base] != '-' || strlen(n + base + 1) != 2 * CACHE_HASH_BYTES)
        return false;
    return strspn(n + base + 1, "0123456789abcdef") == 2 * CACHE_HASH_BYTES;
}

/* True for a temporary file atomic_file_replace left behind for one of ours. */
static bool
is_temp_name(const char *n)
{
    return n[0] == '.' && strstr(n, ATOMIC_FILE_TMP_INFIX) != NULL &&
           (strncmp(n + 1, CLI_STORE_ACCESS, strlen(CLI_STORE_ACCESS)) == 0 ||
            strncmp(n + 1, CLI_STORE_REFRESH, strlen(CLI_STORE_REFRESH)) == 0);
}

/* Removes the caches but keep, and with temps also leftover temporary files. */
static int
remove_matching(const struct cli_store *s, const char *keep, bool temps)
{
    int fd = dup(s->dirfd), rc = 0;
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;

    if (d == NULL) {
        print_path_problem(s->path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    rewinddir(d);
    while ((e = readdir(d)) != NULL) {
        if (!(is_cache_name(e->d_name) || (temps && is_temp_name(e->d_name))))
            continue;
        if (keep != NULL && strcmp(e->d_name, keep) == 0)
            continue;
        if (cli_store_remove(s, e->d_name) != 0)
            rc = -1;
    }
    closedir(d);
    return rc;
}

int
cli_store_remove_caches(const struct cli_store *s, const char *keep)
{
    return remove_matching(s, keep, false);
}

int
cli_store_remove_leftovers(const struct cli_store *s)
{
    return remove_matching(s, NULL, true);
}

int
cli_store_remove_all(const struct cli_store *s)
{
    int rc = cli_store_remove(s, CLI_STORE_REFRESH);

    /* Temporary files are only swept here and at login, which replace the
     * session: else a concurrent `token` may own one. */
    if (remove_matching(s, NULL, true) != 0)
        rc = -1;
    return rc;
}
