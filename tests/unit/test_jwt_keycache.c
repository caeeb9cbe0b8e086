/* SPDX-License-Identifier: MIT */
/* Tests for the key set cache: reuse while the files stay the same, reload when they change. */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "check.h"
#include "jwt.h"

/* A value the parser never produces: while it stays on a key, the set was
 * not parsed again. */
#define SENTINEL 424242

static char dir[64];
static char keys_path[128], other_path[128], pem_path[128], tmp_path[128], tmp2_path[128];

static void
die(const char *what)
{
    perror(what);
    exit(99);
}

/* Writes a one-key JWK Set (Ed25519, kid) to path: by rename when
 * in_place is false, else by truncating and rewriting the same inode. */
static void
write_jwks(const char *path, const char *kid, const unsigned char pk[32], bool in_place)
{
    char *x = jwt_b64url_encode(pk, 32);
    char text[256];
    int fd, n;

    n = snprintf(text, sizeof(text),
                 "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"%s\",\"x\":\"%s\"}]}",
                 kid, x);
    free(x);
    fd = in_place ? open(path, O_WRONLY | O_TRUNC)
                  : open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, text, (size_t)n) != n || fchmod(fd, 0644) != 0 || close(fd) != 0)
        die(path);
    if (!in_place && rename(tmp_path, path) != 0)
        die("rename");
}

/* Writes a fresh Ed25519 public key as PEM (by rename) and returns its raw bytes in pk. */
static void
write_pem(const char *path, unsigned char pk[32])
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    size_t len = 32;
    FILE *f;

    if (key == NULL || EVP_PKEY_get_raw_public_key(key, pk, &len) != 1 || len != 32)
        die("keygen");
    if ((f = fopen(tmp_path, "w")) == NULL || PEM_write_PUBKEY(f, key) != 1 || fclose(f) != 0)
        die("pem");
    if (chmod(tmp_path, 0644) != 0 || rename(tmp_path, path) != 0)
        die("rename");
    EVP_PKEY_free(key);
}

/* Returns true when set has a key with kid whose x is pk. */
static bool
set_has(const struct jwt_jwks *set, const char *kid, const unsigned char pk[32])
{
    struct jwt_jwk *key = NULL;

    if (set == NULL || jwt_jwks_select(set, kid, JWT_ALG_EDDSA, &key) != JWT_OK)
        return false;
    return key->x_len == 32 && memcmp(key->x, pk, 32) == 0;
}

/* Acquires, reports whether the set has (kid, pk) and still carries the
 * sentinel (then marks it afresh), releases. Returns the result. */
static jwt_result
acquire_check(const char *jwks, const char *pem, const char *kid, const unsigned char pk[32],
              bool *has, bool *cached)
{
    struct jwt_jwks *set = (struct jwt_jwks *)&set; /* must be cleared on error */
    jwt_result r = jwt_keycache_acquire(jwks, pem, &set);

    *has = *cached = false;
    if (r != JWT_OK)
        return set == NULL ? r : JWT_ERR_INTERNAL;
    *has = set_has(set, kid, pk);
    *cached = set->n_keys > 0 && set->keys[0]->retired == SENTINEL;
    for (size_t i = 0; i < set->n_keys; i++)
        set->keys[i]->retired = SENTINEL;
    jwt_keycache_release();
    return r;
}

static volatile int thread_done;

static void *
acquire_in_thread(void *arg)
{
    struct jwt_jwks *set = NULL;

    (void)arg;
    if (jwt_keycache_acquire(keys_path, NULL, &set) == JWT_OK)
        jwt_keycache_release();
    thread_done = 1;
    return NULL;
}

static void
test_lock_held(const unsigned char pk1[32])
{
    struct jwt_jwks *set = NULL, *again = NULL;
    pthread_t t;
    struct timespec pause = {0, 200 * 1000 * 1000};

    CHECK_RESULT(jwt_keycache_acquire(keys_path, NULL, &set), JWT_OK, "first acquire");
    CHECK(set_has(set, "k1", pk1), "set holds k1");
    if (pthread_create(&t, NULL, acquire_in_thread, NULL) != 0)
        die("pthread_create");
    nanosleep(&pause, NULL);
    CHECK(!thread_done, "another thread's acquire waits while the lock is held");
    jwt_keycache_release();
    pthread_join(t, NULL);
    CHECK(thread_done, "and goes through after release");

    CHECK_RESULT(jwt_keycache_acquire(keys_path, NULL, &set), JWT_OK, "acquire again");
    set->keys[0]->retired = SENTINEL;
    jwt_keycache_release();
    CHECK_RESULT(jwt_keycache_acquire(keys_path, NULL, &again), JWT_OK, "unchanged file");
    CHECK(again == set, "unchanged file: the very same set");
    CHECK(again != NULL && again->keys[0]->retired == SENTINEL, "unchanged file: not parsed again");
    jwt_keycache_release();
}

static void
test_file_changes(const unsigned char pk2[32], const unsigned char pk3[32])
{
    struct stat before, after;
    struct timespec times[2];
    struct timespec tick = {0, 20 * 1000 * 1000};
    bool has = false, cached = false;

    write_jwks(keys_path, "k2", pk2, false);
    CHECK_RESULT(acquire_check(keys_path, NULL, "k2", pk2, &has, &cached), JWT_OK,
                 "file replaced by rename");
    CHECK(has && !cached, "replaced file: reloaded, holds k2");
    CHECK_RESULT(acquire_check(keys_path, NULL, "k1", pk2, &has, &cached), JWT_OK, "again");
    CHECK(!has && cached, "k1 is gone from the cached set");

    if (stat(keys_path, &before) != 0)
        die("stat");
    write_jwks(keys_path, "k3", pk3, true);
    /* Pin mtime one nanosecond past the old one: only the nanoseconds differ. */
    times[0] = before.st_atim;
    times[1] = before.st_mtim;
    if (++times[1].tv_nsec == 1000000000L) {
        times[1].tv_nsec = 0;
        times[1].tv_sec++;
    }
    if (utimensat(AT_FDCWD, keys_path, times, 0) != 0 || stat(keys_path, &after) != 0)
        die("utimensat");
    CHECK(after.st_ino == before.st_ino && after.st_size == before.st_size,
          "(rewritten in place: same inode, same size)");
    CHECK_RESULT(acquire_check(keys_path, NULL, "k3", pk3, &has, &cached), JWT_OK,
                 "file rewritten in place");
    CHECK(has && !cached, "rewritten file: reloaded, holds k3");

    nanosleep(&tick, NULL); /* let the coarse file clock move: ctime must change */
    if (chmod(keys_path, 0666) != 0)
        die("chmod");
    CHECK_RESULT(acquire_check(keys_path, NULL, "k3", pk3, &has, &cached), JWT_ERR_FILE_UNSAFE,
                 "chmod 0666: refused");
    CHECK_RESULT(acquire_check(keys_path, NULL, "k3", pk3, &has, &cached), JWT_ERR_FILE_UNSAFE,
                 "chmod 0666: still refused (failure not cached as success)");
    if (chmod(keys_path, 0644) != 0)
        die("chmod");
    CHECK_RESULT(acquire_check(keys_path, NULL, "k3", pk3, &has, &cached), JWT_OK,
                 "chmod back 0644: works again");
    CHECK(has && !cached, "chmod back: reloaded, holds k3");
}

/* A chmod that lands within the same tick of the file clock leaves ctime
 * as it was; the mode must still be noticed. Tried a few times: it only
 * proves something when ctime indeed stayed the same. */
static void
test_chmod_same_ctime(const unsigned char pk3[32])
{
    bool has = false, cached = false, seen = false;
    jwt_result r = JWT_OK;

    for (int i = 0; i < 50 && !seen; i++) {
        struct stat before, after;
        write_jwks(keys_path, "k3", pk3, true);
        if (acquire_check(keys_path, NULL, "k3", pk3, &has, &cached) != JWT_OK ||
            stat(keys_path, &before) != 0 || chmod(keys_path, 0666) != 0 ||
            stat(keys_path, &after) != 0)
            die("chmod loop");
        if (after.st_ctim.tv_sec == before.st_ctim.tv_sec &&
            after.st_ctim.tv_nsec == before.st_ctim.tv_nsec) {
            seen = true;
            r = acquire_check(keys_path, NULL, "k3", pk3, &has, &cached);
        }
        if (chmod(keys_path, 0644) != 0)
            die("chmod");
    }
    if (!seen) {
        printf("# ctime always moved with chmod here: same-ctime case not exercised\n");
        return;
    }
    CHECK_RESULT(r, JWT_ERR_FILE_UNSAFE, "chmod 0666 within one ctime tick: refused");
}

static void
test_errors_and_paths(const unsigned char pk3[32], const unsigned char pk9[32])
{
    char missing[160];
    bool has = false, cached = false;
    struct jwt_jwks *set = (struct jwt_jwks *)&set;

    snprintf(missing, sizeof(missing), "%s/missing.json", dir);
    CHECK_RESULT(acquire_check(missing, NULL, "k3", pk3, &has, &cached), JWT_ERR_FILE_OPEN,
                 "missing file: cannot open");
    CHECK_RESULT(acquire_check(keys_path, NULL, "k3", pk3, &has, &cached), JWT_OK,
                 "the existing file still loads after a failure");
    CHECK(has && !cached, "and is parsed afresh (the failure cleared the cache)");

    write_jwks(other_path, "k9", pk9, false);
    CHECK_RESULT(acquire_check(other_path, NULL, "k9", pk9, &has, &cached), JWT_OK,
                 "other path loads");
    CHECK(has && !cached, "other path: its own key k9");
    CHECK_RESULT(acquire_check(other_path, NULL, "k3", pk3, &has, &cached), JWT_OK, "other again");
    CHECK(!has && cached, "other path: k3 is not in it");
    CHECK_RESULT(acquire_check(keys_path, NULL, "k3", pk3, &has, &cached), JWT_OK,
                 "back to the first path");
    CHECK(has && !cached, "first path: k3 again, parsed afresh");

    if (symlink(keys_path, tmp_path) != 0)
        die("symlink");
    CHECK_RESULT(acquire_check(tmp_path, NULL, "k3", pk3, &has, &cached), JWT_ERR_FILE_OPEN,
                 "a symlink to the key set is refused");
    unlink(tmp_path);

    CHECK(jwt_keycache_acquire(NULL, NULL, &set) != JWT_OK, "no path at all is an error");
    CHECK(set == NULL, "and hands out nothing");
}

static void
test_pem(const unsigned char pk3[32])
{
    unsigned char pem_pk[32], pem_pk2[32];
    bool has = false, cached = false;
    struct jwt_jwks *set = NULL;
    struct jwt_jwk *key = NULL;

    write_pem(pem_path, pem_pk);
    CHECK_RESULT(jwt_keycache_acquire(NULL, pem_path, &set), JWT_OK, "PEM path alone");
    CHECK(set != NULL && set->n_keys == 1, "PEM alone: one key");
    CHECK(set != NULL && jwt_jwks_select(set, NULL, JWT_ALG_EDDSA, &key) == JWT_OK &&
              key->x_len == 32 && memcmp(key->x, pem_pk, 32) == 0,
          "PEM alone: the PEM's key");
    if (set != NULL)
        jwt_keycache_release();

    write_pem(pem_path, pem_pk2);
    CHECK_RESULT(jwt_keycache_acquire(NULL, pem_path, &set), JWT_OK, "PEM replaced");
    CHECK(set != NULL && jwt_jwks_select(set, NULL, JWT_ALG_EDDSA, &key) == JWT_OK &&
              memcmp(key->x, pem_pk2, 32) == 0 && memcmp(pem_pk, pem_pk2, 32) != 0,
          "PEM replaced: the new key");
    if (set != NULL)
        jwt_keycache_release();

    write_pem(tmp2_path, pem_pk);
    CHECK_RESULT(jwt_keycache_acquire(NULL, tmp2_path, &set), JWT_OK, "another PEM path");
    CHECK(set != NULL && jwt_jwks_select(set, NULL, JWT_ALG_EDDSA, &key) == JWT_OK &&
              memcmp(key->x, pem_pk, 32) == 0 && memcmp(pem_pk, pem_pk2, 32) != 0,
          "another PEM path: its own key");
    if (set != NULL)
        jwt_keycache_release();

    CHECK_RESULT(acquire_check(keys_path, pem_path, "k3", pk3, &has, &cached), JWT_OK,
                 "key set and PEM together");
    CHECK(has && !cached, "together: k3 from the set");
    CHECK_RESULT(jwt_keycache_acquire(keys_path, pem_path, &set), JWT_OK, "together again");
    CHECK(set != NULL && set->n_keys == 2, "together: two keys");
    if (set != NULL)
        jwt_keycache_release();

    CHECK_RESULT(acquire_check(NULL, keys_path, "k3", pk3, &has, &cached), JWT_ERR_KEY_INVALID,
                 "a JWK Set given as a PEM path is refused");
}

/* A set from a file owned by a non-root uid U is trusted while the euid is
 * U (jwt_file_read); once the process has another euid it must be checked
 * again, and refused. Needs root for chown and seteuid. */
static void
test_euid_change(const unsigned char pk[32])
{
    bool has = false, cached = false;

    if (geteuid() != 0) {
        CHECK(1, "euid: cached set re-checked after seteuid # SKIP not root");
        return;
    }
    write_jwks(other_path, "e1", pk, false);
    if (chmod(dir, 0755) != 0 || chown(other_path, 1, 1) != 0)
        die("chown");
    if (seteuid(1) != 0)
        die("seteuid");
    CHECK_RESULT(acquire_check(other_path, NULL, "e1", pk, &has, &cached), JWT_OK,
                 "euid: a file the euid owns is trusted");
    if (seteuid(0) != 0)
        die("seteuid back");
    CHECK_RESULT(acquire_check(other_path, NULL, "e1", pk, &has, &cached), JWT_ERR_FILE_UNSAFE,
                 "euid: the same cached set is refused under another euid");
    chmod(dir, 0700);
}

static void
remove_dir(void)
{
    unlink(keys_path);
    unlink(other_path);
    unlink(pem_path);
    unlink(tmp_path);
    unlink(tmp2_path);
    rmdir(dir);
}

int
main(void)
{
    unsigned char pk[4][32], sk[64];

    alarm(120); /* a lock left held would hang the next acquire: fail instead */
    if (sodium_init() < 0)
        return 99;
    for (int i = 0; i < 4; i++)
        crypto_sign_keypair(pk[i], sk);
    snprintf(dir, sizeof(dir), "/tmp/test_jwt_keycache.XXXXXX");
    if (mkdtemp(dir) == NULL)
        die("mkdtemp");
    snprintf(keys_path, sizeof(keys_path), "%s/jwks.json", dir);
    snprintf(other_path, sizeof(other_path), "%s/other.json", dir);
    snprintf(pem_path, sizeof(pem_path), "%s/key.pem", dir);
    snprintf(tmp_path, sizeof(tmp_path), "%s/tmp", dir);
    snprintf(tmp2_path, sizeof(tmp2_path), "%s/key2.pem", dir);
    write_jwks(keys_path, "k1", pk[0], false);

    test_lock_held(pk[0]);
    test_file_changes(pk[1], pk[2]);
    test_chmod_same_ctime(pk[2]);
    test_errors_and_paths(pk[2], pk[3]);
    test_pem(pk[2]);
    test_euid_change(pk[3]);
    remove_dir();
    return check_done();
}
