/* SPDX-License-Identifier: MIT */
/* Raises one user's "not before" instant in the shared revocation list.
 *
 * MUST:
 * 1. change the list only under its lock, from the freshest copy, through
 *    atomic_file_replace: pam_jwt fails closed on a torn list;
 * 2. never overwrite a list that does not parse (someone else's data);
 * 3. never move an instant back: the later one wins (jwt-helperd(8),
 *    "Revocation list");
 * 4. keep every other user's line byte for byte, except a line older than
 *    the keep horizon (revocation_keep): by then every token it cut short
 *    has expired at every verifier, so dropping it changes no verdict. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "conf.h"
#include "revocation_publish.h"

#define INSTANT_MAX_DIGITS 19 /* INT64_MAX */

const char *
revocation_publish_result_str(revocation_publish_result r)
{
    switch (r) {
    case REVOCATION_PUBLISH_OK:
        return "ok";
    case REVOCATION_PUBLISH_ERR_NOMEM:
        return "out of memory";
    case REVOCATION_PUBLISH_ERR_IO:
        return "cannot read or write the revocation list";
    case REVOCATION_PUBLISH_ERR_UNSAFE:
        return "revocation list has an unsafe type, owner or mode";
    case REVOCATION_PUBLISH_ERR_MALFORMED:
        return "malformed revocation list";
    case REVOCATION_PUBLISH_ERR_TOO_BIG:
        return "revocation list too big";
    case REVOCATION_PUBLISH_ERR_UNTRUSTED:
        return "revocation list owned by root or " JWT_DAEMON_USER ", whom pam_jwt trusts: "
               "rewritten by this user, pam_jwt would refuse it (run as " JWT_DAEMON_USER ")";
    case REVOCATION_PUBLISH_ERR_INVALID:
        return "invalid user name or instant";
    }
    return "unknown revocation publish error";
}

/* Reads the list; a missing one is empty text. */
static revocation_publish_result
read_list(const char *path, long daemon_uid, char **text, size_t *len)
{
    jwt_result r = jwt_file_read(path, JWT_MAX_REVOCATION_BYTES, daemon_uid, text, len);

    if (r == JWT_ERR_FILE_OPEN && errno == ENOENT) {
        *len = 0;
        return (*text = strdup("")) != NULL ? REVOCATION_PUBLISH_OK : REVOCATION_PUBLISH_ERR_NOMEM;
    }
    switch (r) {
    case JWT_OK:
        return REVOCATION_PUBLISH_OK;
    case JWT_ERR_NOMEM:
        return REVOCATION_PUBLISH_ERR_NOMEM;
    case JWT_ERR_FILE_UNSAFE:
        return REVOCATION_PUBLISH_ERR_UNSAFE;
    case JWT_ERR_FILE_TOO_BIG:
        return REVOCATION_PUBLISH_ERR_TOO_BIG;
    case JWT_ERR_FILE_OPEN:
        return errno == ELOOP ? REVOCATION_PUBLISH_ERR_UNSAFE : REVOCATION_PUBLISH_ERR_IO;
    default:
        return REVOCATION_PUBLISH_ERR_IO;
    }
}

/* True when line is one of name's ("name:..."). */
static bool
line_is_for(const char *line, size_t len, const char *name)
{
    size_t n = strlen(name);

    return len > n && memcmp(line, name, n) == 0 && line[n] == ':';
}

/* True when line (one of a parsed list: "name:digits") lists an instant
 * before drop_before. */
static bool
line_is_old(const char *line, size_t len, int64_t drop_before)
{
    const char *colon = memchr(line, ':', len);
    char digits[INSTANT_MAX_DIGITS + 1];
    size_t n;
    uint64_t v;

    if (colon == NULL || (n = len - (size_t)(colon + 1 - line)) == 0 || n > INSTANT_MAX_DIGITS)
        return false; /* cannot be: the list parsed; keep what we do not understand */
    memcpy(digits, colon + 1, n);
    digits[n] = '\0';
    return conf_parse_uint(digits, 0, INT64_MAX, &v) && (int64_t)v < drop_before;
}

/* Builds the new list: text (already parsed, so well-formed) without name's
 * lines and lines older than drop_before, each line ended by "\n", then
 * "name:instant\n". */
static revocation_publish_result
build_list(const char *text, size_t len, const char *name, int64_t instant, int64_t drop_before,
           char **out, size_t *out_len)
{
    size_t cap = len + 1 + strlen(name) + 1 + INSTANT_MAX_DIGITS + 2, pos = 0, at = 0;
    char *buf = malloc(cap);

    *out = NULL;
    if (buf == NULL)
        return REVOCATION_PUBLISH_ERR_NOMEM;
    while (at < len) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t line_len = nl != NULL ? (size_t)(nl - (text + at)) : len - at;
        if (!line_is_for(text + at, line_len, name) &&
            !line_is_old(text + at, line_len, drop_before)) {
            memcpy(buf + pos, text + at, line_len);
            pos += line_len;
            buf[pos++] = '\n';
        }
        at += line_len + 1;
    }
    pos += (size_t)snprintf(buf + pos, cap - pos, "%s:%lld\n", name, (long long)instant);
    if (pos > JWT_MAX_REVOCATION_BYTES) {
        free(buf);
        return REVOCATION_PUBLISH_ERR_TOO_BIG;
    }
    *out = buf;
    *out_len = pos;
    return REVOCATION_PUBLISH_OK;
}

/* Every pam_jwt trusts a list owned by root or JWT_DAEMON_USER (pam_jwt(8), SECURITY NOTES;
 * also one owned by its own euid, which only tests share with a daemon).
 * A writer that keeps its own euid as the owner and is neither (a daemon
 * whose user = names another account) would turn that list into one every
 * host refuses, failing each token login closed there: it must not. */
static bool
owner_loses_trust(const char *path, uid_t owner_uid)
{
    struct jwt_file_identity id;
    uid_t writer = geteuid();
    long daemon = jwt_daemon_uid();

    if (owner_uid != (uid_t)-1 || writer == 0 || (long)writer == daemon)
        return false;
    jwt_file_identity_of(path, &id);
    return id.state == JWT_FILE_PRESENT && (id.uid == 0 || (long)id.uid == daemon);
}

/* The locked part: read, parse, compare, rewrite. */
static revocation_publish_result
publish_locked(const char *path, long daemon_uid, uid_t owner_uid, gid_t owner_gid,
               const char *name, int64_t instant, int64_t drop_before)
{
    struct jwt_revocation *list = NULL;
    char *text = NULL, *next = NULL;
    size_t len = 0, next_len = 0;
    int64_t listed = 0;
    revocation_publish_result r;

    if ((r = read_list(path, daemon_uid, &text, &len)) != REVOCATION_PUBLISH_OK)
        goto out;
    r = REVOCATION_PUBLISH_ERR_MALFORMED;
    if (jwt_revocation_parse(text, len, &list) != JWT_OK)
        goto out; /* a list we cannot read is someone's to fix, not ours to replace */
    r = REVOCATION_PUBLISH_OK;
    if (jwt_revocation_lookup(list, name, &listed) && listed >= instant)
        goto out;
    if ((r = build_list(text, len, name, instant, drop_before, &next, &next_len)) !=
        REVOCATION_PUBLISH_OK)
        goto out;
    if (owner_loses_trust(path, owner_uid))
        r = REVOCATION_PUBLISH_ERR_UNTRUSTED;
    else if (!atomic_file_replace(path, next, next_len, 0644, owner_uid, owner_gid))
        r = REVOCATION_PUBLISH_ERR_IO;
out:
    jwt_revocation_free(list);
    free(text);
    free(next);
    return r;
}

revocation_publish_result
revocation_publish_keep(const char *path, long daemon_uid, uid_t owner_uid, gid_t owner_gid,
                        const char *name, int64_t instant, int64_t keep)
{
    int64_t now = (int64_t)time(NULL), drop_before;
    revocation_publish_result r;
    int lock, saved;

    if (!jwt_user_name_is_valid(name, strnlen(name, JWT_USER_NAME_MAX + 1)) || instant < 0 ||
        keep < 0)
        return REVOCATION_PUBLISH_ERR_INVALID;
    /* now - keep cannot overflow: both are non-negative. */
    drop_before = keep == REVOCATION_PUBLISH_KEEP_ALL ? 0 : now - keep;
    if ((lock = atomic_file_lock(path, owner_uid, owner_gid)) < 0)
        return errno == ELOOP ? REVOCATION_PUBLISH_ERR_UNSAFE : REVOCATION_PUBLISH_ERR_IO;
    (void)atomic_file_clean_stale(path); /* a killed writer's temporary files */
    r = publish_locked(path, daemon_uid, owner_uid, owner_gid, name, instant, drop_before);
    saved = errno;
    atomic_file_unlock(lock);
    errno = saved;
    return r;
}
