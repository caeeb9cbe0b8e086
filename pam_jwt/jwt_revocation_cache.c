/* SPDX-License-Identifier: MIT */
/* Applies the "not before" list to a verified token, keeping the parsed list
 * in memory while its file stays the same.
 *
 * MUST (jwt_keycache.c's rules, for the revocation list):
 * 1. reuse a parsed list only while its file has the same identity (device,
 *    inode, size, mode, owner, mtime and ctime with nanoseconds) and is read
 *    by the same euid (which decides whether jwt_file_read trusts its
 *    owner): a list rewritten by the daemon is read again at the next call.
 *    The daemon's uid is looked up only when the list is (re)read and its
 *    owner is neither root nor the euid: an NSS lookup per login cost more
 *    than the whole signature check (bench_pam: 216 us a PAM round trip
 *    with it, 147 us without, raw Ed25519 verify 87 us), and bytes already
 *    accepted from that owner stay as trusted while they are unchanged;
 * 2. take the identity before reading, so what is cached is never older
 *    than the identity recorded for it (a change in between only costs one
 *    more reload);
 * 3. never cache a failure: a missing, unsafe or malformed list fails
 *    closed at every call (pam_jwt(8) revocation=);
 * 4. look names up with the lock held: another thread's reload frees the
 *    list it replaces. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jwt.h"

struct cache_entry {
    char *path;
    struct jwt_file_identity id;
    uid_t euid;
    struct jwt_revocation *list;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cache_entry cache;

/* The extra owner jwt_file_read may trust for a file of identity id: the
 * daemon's uid, looked up only when the owner is neither root nor the
 * euid (for those no lookup is needed); -1 for none. */
static long
extra_owner_for(const struct jwt_file_identity *id)
{
    if (id->state == JWT_FILE_PRESENT && (id->uid == 0 || id->uid == geteuid()))
        return -1;
    return jwt_daemon_uid(); /* the daemon writes the list (pam_jwt(8), FILES) */
}

static bool
entry_is_current(const char *path, const struct jwt_file_identity *id)
{
    return cache.list != NULL && strcmp(cache.path, path) == 0 &&
           jwt_file_identity_same(&cache.id, id) && cache.euid == geteuid();
}

static void
entry_clear(void)
{
    jwt_revocation_free(cache.list);
    free(cache.path);
    memset(&cache, 0, sizeof(cache));
}

/* Called locked: replaces the entry with path's list (rule 2: id was taken
 * before this read). */
static jwt_result
entry_fill(const char *path, const struct jwt_file_identity *id, long owner)
{
    struct jwt_revocation *list = NULL;
    jwt_result r;

    entry_clear();
    if ((r = jwt_revocation_load(path, owner, &list)) != JWT_OK)
        return r;
    if ((cache.path = strdup(path)) == NULL) {
        jwt_revocation_free(list);
        return JWT_ERR_NOMEM;
    }
    cache.id = *id;
    cache.euid = geteuid();
    cache.list = list;
    return JWT_OK;
}

jwt_result
jwt_revocation_check(const char *path, const char *user, const struct jwt_verified *v)
{
    struct jwt_file_identity id;
    int64_t instant = 0;
    jwt_result r = JWT_OK;

    jwt_file_identity_of(path, &id);
    if (pthread_mutex_lock(&cache_lock) != 0)
        return JWT_ERR_INTERNAL;
    if (!entry_is_current(path, &id))
        r = entry_fill(path, &id, extra_owner_for(&id));
    /* Tokens issued at or before the instant are dead; one without iat
     * cannot show it is newer. */
    if (r == JWT_OK && jwt_revocation_lookup(cache.list, user, &instant) &&
        (!v->has_iat || v->iat <= instant))
        r = JWT_ERR_REVOKED;
    pthread_mutex_unlock(&cache_lock);
    return r;
}
