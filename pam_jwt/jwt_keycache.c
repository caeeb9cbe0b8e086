/* SPDX-License-Identifier: MIT */
/* Keeps the parsed key set in memory while its files stay the same.
 *
 * MUST:
 * 1. reuse a parsed set only while every file it came from has the same
 *    identity (device, inode, size, mode, owner, mtime and ctime with
 *    nanoseconds): a replaced, edited or chmod'ed file is read again at the
 *    next call;
 * 2. take the identity before reading, so what is cached is never older
 *    than the identity recorded for it (a change in between only costs one
 *    more reload);
 * 3. never cache a failure: a missing or unsafe file is reported every time;
 * 4. hand the set out only with the lock held: verification fills the
 *    set's header cache (jwt_jws.c), which is not thread-safe (the keys'
 *    prepared contexts, jwt_sig.c, are only read). */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jwt.h"

struct cache_entry {
    char *jwks_path, *pem_path;
    struct jwt_file_identity jwks_id, pem_id;
    uid_t euid; /* jwt_file_read trusts files the euid owns: who read them */
    struct jwt_jwks *set;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cache_entry cache;

static bool
same_path(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool
entry_is_current(const char *jwks_path, const char *pem_path,
                 const struct jwt_file_identity *jwks_id, const struct jwt_file_identity *pem_id)
{
    /* A file not owned by root was trusted for the euid of the load: a
     * process that changed euid since must have it checked again. */
    bool euid_matters =
        (jwks_path != NULL && jwks_id->uid != 0) || (pem_path != NULL && pem_id->uid != 0);

    if (euid_matters && cache.euid != geteuid())
        return false;
    if (cache.set == NULL || !same_path(cache.jwks_path, jwks_path) ||
        !same_path(cache.pem_path, pem_path))
        return false;
    if (jwks_path != NULL && !jwt_file_identity_same(&cache.jwks_id, jwks_id))
        return false;
    return pem_path == NULL || jwt_file_identity_same(&cache.pem_id, pem_id);
}

static void
entry_clear(void)
{
    jwt_jwks_free(cache.set);
    free(cache.jwks_path);
    free(cache.pem_path);
    memset(&cache, 0, sizeof(cache));
}

static jwt_result
load_set(const char *jwks_path, const char *pem_path, struct jwt_jwks **out)
{
    struct jwt_jwks *set = NULL;
    jwt_result r = JWT_OK;

    *out = NULL;
    if (jwks_path != NULL)
        r = jwt_jwks_load(jwks_path, &set);
    if (r == JWT_OK && pem_path != NULL)
        r = jwt_jwks_add_pem(pem_path, &set);
    if (r == JWT_OK && set == NULL)
        r = JWT_ERR_KEYSET_EMPTY;
    if (r != JWT_OK) {
        jwt_jwks_free(set);
        return r;
    }
    *out = set;
    return JWT_OK;
}

static jwt_result
entry_fill(const char *jwks_path, const char *pem_path, const struct jwt_file_identity *jwks_id,
           const struct jwt_file_identity *pem_id)
{
    struct jwt_jwks *set = NULL;
    jwt_result r;

    entry_clear();
    if ((r = load_set(jwks_path, pem_path, &set)) != JWT_OK)
        return r;
    cache.jwks_path = jwks_path != NULL ? strdup(jwks_path) : NULL;
    cache.pem_path = pem_path != NULL ? strdup(pem_path) : NULL;
    if ((jwks_path != NULL && cache.jwks_path == NULL) ||
        (pem_path != NULL && cache.pem_path == NULL)) {
        jwt_jwks_free(set);
        entry_clear();
        return JWT_ERR_NOMEM;
    }
    cache.jwks_id = *jwks_id;
    cache.pem_id = *pem_id;
    cache.euid = geteuid();
    cache.set = set;
    return JWT_OK;
}

jwt_result
jwt_keycache_acquire(const char *jwks_path, const char *pem_path, struct jwt_jwks **out)
{
    struct jwt_file_identity jwks_id, pem_id;
    jwt_result r = JWT_OK;

    jwt_file_identity_of(jwks_path, &jwks_id);
    jwt_file_identity_of(pem_path, &pem_id);
    *out = NULL;
    if (pthread_mutex_lock(&cache_lock) != 0)
        return JWT_ERR_INTERNAL;
    if (!entry_is_current(jwks_path, pem_path, &jwks_id, &pem_id))
        r = entry_fill(jwks_path, pem_path, &jwks_id, &pem_id);
    if (r != JWT_OK) {
        pthread_mutex_unlock(&cache_lock);
        return r;
    }
    *out = cache.set;
    return JWT_OK;
}

void
jwt_keycache_release(void)
{
    pthread_mutex_unlock(&cache_lock);
}
