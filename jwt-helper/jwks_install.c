/* SPDX-License-Identifier: MIT */
/* Checks a JWK Set and replaces a verifier's key set file with it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "atomic_file.h"
#include "jwks_install.h"

/* The members of "keys", parsed the module's strict way, must all be
 * public: the module skips an "oct" key as unsupported (RFC 7517 §5), but a
 * world-readable file is no place for its secret, nor for any private half. */
static jwt_result
check_public_only(const char *text, size_t len, const char **why)
{
    struct json_object *root = NULL, *keys = NULL;
    jwt_result r;
    size_t i, n;

    if ((r = jwt_json_parse_object(text, len, &root)) != JWT_OK) {
        *why = "not a strict JSON object";
        return r == JWT_ERR_NOMEM ? r : JWT_ERR_KEY_INVALID;
    }
    r = JWT_OK;
    if (!json_object_object_get_ex(root, "keys", &keys) ||
        !json_object_is_type(keys, json_type_array)) {
        *why = "no \"keys\" array";
        r = JWT_ERR_KEY_INVALID;
        goto out;
    }
    n = json_object_array_length(keys);
    for (i = 0; i < n; i++) {
        const struct json_object *k = json_object_array_get_idx(keys, i);
        if (json_object_is_type(k, json_type_object) && jwt_jwk_has_private_member(k)) {
            *why = "a key carries a private or secret member (d, p, q, dp, dq, qi, oth or k)";
            r = JWT_ERR_KEY_INVALID;
            goto out;
        }
    }
out:
    json_object_put(root);
    return r;
}

jwt_result
jwks_install_check(const char *text, size_t len, const char **why, size_t *usable)
{
    struct jwt_jwks *set = NULL;
    jwt_result r;

    *why = NULL;
    if (usable != NULL)
        *usable = 0;
    if ((r = check_public_only(text, len, why)) != JWT_OK)
        return r;
    /* The very loader the module runs: what passes here loads there. */
    if ((r = jwt_jwks_parse(text, len, &set)) != JWT_OK) {
        *why = jwt_result_str(r);
        return r;
    }
    if (usable != NULL)
        *usable = set->n_keys;
    jwt_jwks_free(set);
    return JWT_OK;
}

bool
jwks_install_may_replace(const char *path, const char **why)
{
    struct json_object *root = NULL, *keys = NULL;
    char *text = NULL;
    size_t len = 0;
    bool ok;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

    *why = NULL;
    if (fd < 0 && errno == ENOENT)
        return true; /* a new file */
    if (fd < 0) {
        *why = errno == ELOOP ? "it is a symbolic link" : strerror(errno);
        return false;
    }
    /* OUT= or --to naming the wrong file (sshd's stack, /etc/passwd) must
     * not turn it into a key set: only a key set, or an empty file (made
     * ready by hand), is replaced. */
    ok = jwks_read_fd(fd, JWT_MAX_JWKS_BYTES, &text, &len) == 0 &&
         (len == 0 || (jwt_json_parse_object(text, len, &root) == JWT_OK &&
                       json_object_object_get_ex(root, "keys", &keys) &&
                       json_object_is_type(keys, json_type_array)));
    if (!ok)
        *why = "it exists and is not a JWK Set";
    json_object_put(root);
    free(text);
    close(fd);
    return ok;
}

/* Opens path's directory (O_DIRECTORY, the last component not followed if
 * a symlink) and points *base at path's last component. */
static int
open_parent(const char *path, const char **base)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    int fd;

    *base = slash != NULL ? slash + 1 : path;
    if (**base == '\0' || strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0) {
        errno = EISDIR;
        return -1;
    }
    if (slash == NULL)
        return open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if ((dir = strndup(path, slash == path ? 1 : (size_t)(slash - path))) == NULL)
        return -1;
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    free(dir);
    return fd;
}

bool
jwks_install_write(const char *path, const char *data, size_t len)
{
    const char *base = NULL;
    int dirfd, saved;
    bool ok;

    if ((dirfd = open_parent(path, &base)) < 0)
        return false;
    /* jwt-helper(1) jwks install's file rules: what the module trusts is root's, 0644. */
    ok = atomic_file_replace_at(dirfd, base, data, len, 0644, 0, 0);
    saved = errno;
    close(dirfd);
    errno = saved;
    return ok;
}

char *
jwks_stamp_path(const char *path)
{
    size_t n = strlen(path) + sizeof(".stamp");
    char *p = malloc(n);

    if (p != NULL)
        snprintf(p, n, "%s.stamp", path);
    return p;
}

bool
jwks_stamp_write(const char *path, long long now)
{
    char text[32], *stamp = jwks_stamp_path(path);
    int n = snprintf(text, sizeof text, "%lld\n", now);
    bool ok;

    if (stamp == NULL)
        return false;
    ok = n > 0 && (size_t)n < sizeof text && jwks_install_write(stamp, text, (size_t)n);
    free(stamp);
    return ok;
}

int
jwks_read_fd(int fd, size_t cap, char **out, size_t *len)
{
    char *buf = malloc(cap + 2);
    size_t got = 0;
    ssize_t n;

    *out = NULL;
    *len = 0;
    if (buf == NULL)
        return -1;
    /* One byte past cap tells "exactly cap" from "more". */
    while (got <= cap) {
        n = read(fd, buf + got, cap + 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            free(buf);
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    if (got > cap) {
        free(buf);
        return 1;
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return 0;
}
