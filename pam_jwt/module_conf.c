/* SPDX-License-Identifier: MIT */
/* Keeps the module's resolved options while everything they came from stays
 * the same, so a warm login neither re-reads nor re-parses the config file.
 *
 * MUST (the key-set cache's rules, jwt_keycache.c, applied to conf_load):
 * 1. serve a cached configuration only for the very same inputs: the same
 *    PAM service (its block of the file and %s), the same
 *    module arguments, byte for byte (they are applied as on every call,
 *    since the result is conf_load's for exactly these arguments); a config
 *    file with the same identity (jwt_file_identity: device, inode, size,
 *    mode, owner, mtime and ctime with
 *    nanoseconds), or a default file still absent; the same euid when the
 *    file is not root's (jwt_file_read trusts files the euid owns); the same
 *    host name (%h, %H and the default issuer expand it: compared on every
 *    call, one gethostname, rather than tracking which options used it);
 * 2. take the identity before reading, so what is cached is never older
 *    than the identity recorded for it (a change in between costs one more
 *    load);
 * 3. never cache a failure: conf_load reports only failures, so each
 *    problem reaches syslog on every call, as without the cache;
 * 4. hand out read-only snapshots that stay valid until released, whatever
 *    another thread loads meanwhile.
 *
 * What it buys, measured with tests/bench/callgrind.sh (instructions, so the
 * figure does not move with the machine's load): a warm PAM round trip
 * (bench_pam's EdDSA key, revocation list and host-bound audience) costs
 * 745k instructions with it and 774k without (conf_load on every call;
 * medians of 3 and 4 runs), 4.0% more. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "module.h"

/* Stack lines differ in their arguments (auth with scope=sudo, account
 * without): one slot each for the few a process uses. */
#define CACHE_SLOTS 4

/* A resolved configuration and its holders: the cache slot and each caller
 * between acquire and release. conf comes first: the pointer callers get
 * is the snapshot's. */
struct snapshot {
    struct conf conf;
    unsigned refs;
};

struct slot {
    struct snapshot *snap;
    char *service; /* NULL: PAM_SERVICE was unset */
    char **argv;
    int argc;
    char *path;
    struct jwt_file_identity id;
    uid_t euid;
    char host[HOST_NAME_MAX + 1];
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[CACHE_SLOTS];
static size_t next_victim;

/* The file conf_load reads for these arguments: the first config= (several
 * make conf_load fail, and failures are never cached), else the default. */
static const char *
file_of(int argc, const char **argv, bool *named)
{
    *named = true;
    for (int i = 0; i < argc; i++)
        if (argv[i] != NULL && strncmp(argv[i], "config=", 7) == 0)
            return argv[i] + 7;
    *named = false;
    return CONF_DEFAULT_PATH;
}

/* A missing named config= file is an error, never a cacheable state. */
static void
identity_of(const char *path, bool named, struct jwt_file_identity *id)
{
    jwt_file_identity_of(path, id);
    if (named && id->state == JWT_FILE_ABSENT)
        id->state = JWT_FILE_UNKNOWN;
}

static bool
same_string(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The same stack line of the same service: the inputs besides the file. */
static bool
same_args(const struct slot *s, const char *service, int argc, const char **argv)
{
    if (s->argc != argc || !same_string(s->service, service))
        return false;
    for (int i = 0; i < argc; i++)
        if (argv[i] == NULL || strcmp(s->argv[i], argv[i]) != 0)
            return false;
    return true;
}

/* The rest of rule 1 once arguments and file match: who reads, and where. */
static bool
same_reader(const struct slot *s)
{
    char host[HOST_NAME_MAX + 1];

    if (s->id.state == JWT_FILE_PRESENT && s->id.uid != 0 && s->euid != geteuid())
        return false;
    return conf_hostname(true, host, sizeof(host)) && strcmp(host, s->host) == 0;
}

static void
snapshot_put(struct snapshot *snap)
{
    if (snap != NULL && --snap->refs == 0) {
        conf_free(&snap->conf);
        free(snap);
    }
}

static void
slot_clear(struct slot *s)
{
    snapshot_put(s->snap);
    for (int i = 0; i < s->argc; i++)
        free(s->argv[i]);
    free(s->argv);
    free(s->path);
    free(s->service);
    memset(s, 0, sizeof(*s));
}

/* Returns a held snapshot for these inputs, or NULL. Called locked. */
static struct snapshot *
cache_find(const char *service, int argc, const char **argv, const char *path,
           const struct jwt_file_identity *id)
{
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        struct slot *s = &slots[i];
        if (s->snap != NULL && same_args(s, service, argc, argv) && strcmp(s->path, path) == 0 &&
            jwt_file_identity_same(&s->id, id) && same_reader(s)) {
            s->snap->refs++;
            return s->snap;
        }
    }
    return NULL;
}

/* Fills s's key for a configuration loaded under host (the full name taken
 * before and after the load, NULL when it changed or is unknown). Returns
 * false when the result cannot be cached. */
static bool
slot_fill(struct slot *s, const char *service, int argc, const char **argv, const char *path,
          const struct jwt_file_identity *id, const char *host)
{
    memset(s, 0, sizeof(*s));
    if (id->state == JWT_FILE_UNKNOWN || host == NULL)
        return false;
    memcpy(s->host, host, strlen(host) + 1);
    s->id = *id;
    s->euid = geteuid();
    if ((s->path = strdup(path)) == NULL ||
        (service != NULL && (s->service = strdup(service)) == NULL) ||
        (s->argv = calloc((size_t)argc + 1, sizeof(char *))) == NULL)
        return false;
    for (s->argc = 0; s->argc < argc; s->argc++)
        if (argv[s->argc] == NULL || (s->argv[s->argc] = strdup(argv[s->argc])) == NULL)
            return false;
    return true;
}

/* Puts a fresh snapshot (held once by the caller) into a slot: the one
 * these arguments had, else the next in turn. Called locked. */
static void
cache_store(struct slot *fresh, const char *service, int argc, const char **argv)
{
    struct slot *s = NULL;

    for (size_t i = 0; i < CACHE_SLOTS && s == NULL; i++)
        if (slots[i].snap != NULL && same_args(&slots[i], service, argc, argv))
            s = &slots[i];
    if (s == NULL) {
        s = &slots[next_victim];
        next_victim = (next_victim + 1) % CACHE_SLOTS;
    }
    slot_clear(s);
    *s = *fresh;
    s->snap->refs++;
    memset(fresh, 0, sizeof(*fresh));
}

/* conf_load into a new snapshot held by the caller, cached when it can be. */
static int
load_fresh(pam_handle_t *pamh, const char *service, int argc, const char **argv, const char *path,
           const struct jwt_file_identity *id, struct snapshot **out)
{
    char before[HOST_NAME_MAX + 1], after[HOST_NAME_MAX + 1];
    bool host_known = conf_hostname(true, before, sizeof(before));
    struct snapshot *snap = calloc(1, sizeof(*snap));
    struct slot fresh = {0};
    conf_result r = CONF_ERR_NOMEM;

    *out = NULL;
    if (snap == NULL || (r = conf_load(&snap->conf, CONF_DEFAULT_PATH, service, argc, argv,
                                       module_log_conf_problem, pamh)) != CONF_OK)
        goto out;
    snap->refs = 1;
    host_known =
        host_known && conf_hostname(true, after, sizeof(after)) && strcmp(before, after) == 0;
    if (slot_fill(&fresh, service, argc, argv, path, id, host_known ? before : NULL) &&
        pthread_mutex_lock(&cache_lock) == 0) {
        fresh.snap = snap;
        cache_store(&fresh, service, argc, argv);
        pthread_mutex_unlock(&cache_lock);
    }
    *out = snap;
    snap = NULL;
out:
    slot_clear(&fresh);
    free(snap);
    return r == CONF_OK ? PAM_SUCCESS : r == CONF_ERR_NOMEM ? PAM_BUF_ERR : PAM_SERVICE_ERR;
}

/* The service whose block of the file applies (pam_jwt.conf(5), FORMAT), as is. */
static const char *
service_of(pam_handle_t *pamh)
{
    const void *item = NULL;

    if (pam_get_item(pamh, PAM_SERVICE, &item) != PAM_SUCCESS)
        return NULL;
    return item;
}

int
module_conf_acquire(pam_handle_t *pamh, int argc, const char **argv, const struct conf **out)
{
    bool named = false;
    const char *path = file_of(argc, argv, &named), *service = service_of(pamh);
    struct jwt_file_identity id;
    struct snapshot *snap = NULL;
    int rc;

    *out = NULL;
    identity_of(path, named, &id);
    if (id.state != JWT_FILE_UNKNOWN && pthread_mutex_lock(&cache_lock) == 0) {
        snap = cache_find(service, argc, argv, path, &id);
        pthread_mutex_unlock(&cache_lock);
    }
    if (snap == NULL &&
        (rc = load_fresh(pamh, service, argc, argv, path, &id, &snap)) != PAM_SUCCESS)
        return rc;
    *out = &snap->conf;
    return PAM_SUCCESS;
}

void
module_conf_release(const struct conf *c)
{
    if (c == NULL || pthread_mutex_lock(&cache_lock) != 0)
        return;
    /* conf is the snapshot's first member */
    snapshot_put((struct snapshot *)(uintptr_t)c);
    pthread_mutex_unlock(&cache_lock);
}
