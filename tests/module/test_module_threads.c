/* SPDX-License-Identifier: MIT */
/* Runs pam_authenticate from several threads at once while the key set file is replaced. */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

#include "../unit/check.h"
#include "module_harness.h"

#define THREADS 8

static struct harness h;
static char *good, *bad_sig, *other_user, *decoy_signed;
static struct signer *decoy;
static int rounds = 100;
static atomic_int done_workers;

struct worker {
    int id;
    int ok, wrong;
    int last_bad_rc, last_bad_round;
};

/* Every token's fate is the same whichever set the rotator just wrote:
 * good is signed by the key in every set; the decoy key is in some sets
 * but its token names another user. */
static void *
worker_run(void *arg)
{
    struct worker *w = arg;

    for (int i = 0; i < rounds; i++) {
        const char *tok;
        int want, rc;
        switch ((i + w->id) % 4) {
        case 0:
            tok = good, want = PAM_SUCCESS;
            break;
        case 1:
            tok = bad_sig, want = PAM_AUTH_ERR;
            break;
        case 2:
            tok = other_user, want = PAM_AUTH_ERR;
            break;
        default:
            tok = decoy_signed, want = PAM_AUTH_ERR;
            break;
        }
        rc = harness_auth(&h, "threads", "alice", tok);
        if (rc == want) {
            w->ok++;
        } else {
            w->wrong++;
            w->last_bad_rc = rc;
            w->last_bad_round = i;
        }
    }
    atomic_fetch_add(&done_workers, 1);
    return NULL;
}

/* Replaces jwks.json (rename) with {key} or {key, decoy} until the workers finish. */
static void *
rotator_run(void *arg)
{
    int *writes = arg;
    struct signer *both[2] = {h.key, decoy};

    while (atomic_load(&done_workers) < THREADS) {
        bool ok = (*writes % 2 == 0) ? harness_jwks_write(h.jwks, both, 2, true)
                                     : harness_jwks_write(h.jwks, &h.key, 1, true);
        if (!ok)
            break;
        (*writes)++;
    }
    return NULL;
}

int
main(void)
{
    pthread_t tid[THREADS], rot;
    struct worker w[THREADS];
    int writes = 0;
    char revoked[PATH_MAX];
    const char *env = getenv("MODTEST_ROUNDS");

    if (env != NULL && atoi(env) > 0)
        rounds = atoi(env);
    if (!harness_init(&h) || signer_generate(JWT_ALG_EDDSA, 0, &decoy) != JWT_OK) {
        printf("Bail out! cannot set up the temp dir and keys\n");
        return 1;
    }
    /* The revocation list's cache is shared by the threads too (carol's
     * line changes no expected code). */
    harness_file_write(&h, "revoked", "carol:1\n", 0644, true, revoked);
    harness_service(&h, "threads", "auth required " MODULE_PATH " config=%s revocation=%s\n",
                    h.conf, revoked);
    good = harness_token(&h, "alice", "");
    bad_sig = strdup(good);
    char *s = strrchr(bad_sig, '.') + 3;
    *s = *s == 'A' ? 'B' : 'A';
    other_user = harness_token(&h, "bob", "");
    decoy_signed = harness_token_with(decoy, "bob", "");
    CHECK(good && bad_sig && other_user && decoy_signed, "tokens minted");
    CHECK_PAM(harness_auth(&h, "threads", "alice", good), PAM_SUCCESS, "single thread: good token");

    pthread_create(&rot, NULL, rotator_run, &writes);
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){.id = i};
        pthread_create(&tid[i], NULL, worker_run, &w[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(tid[i], NULL);
    pthread_join(rot, NULL);

    for (int i = 0; i < THREADS; i++) {
        char what[96];
        snprintf(what, sizeof(what), "thread %d: %d rounds each gave the expected code", i, rounds);
        CHECK_INT(w[i].ok, rounds, what);
        if (w[i].wrong != 0)
            printf("#   %d wrong, the last in round %d: %d \"%s\"\n", w[i].wrong,
                   w[i].last_bad_round, w[i].last_bad_rc, pam_strerror(NULL, w[i].last_bad_rc));
    }
    CHECK(writes > 0, "the key set was replaced while the threads ran");
    printf("# key set rewritten %d times\n", writes);
    /* And it still works after all that, with the set the rotator left. */
    CHECK_PAM(harness_auth(&h, "threads", "alice", good), PAM_SUCCESS, "after: good token");
    CHECK_PAM(harness_auth(&h, "threads", "alice", bad_sig), PAM_AUTH_ERR, "after: bad signature");
    free(good);
    free(bad_sig);
    free(other_user);
    free(decoy_signed);
    signer_free(decoy);
    harness_cleanup(&h);
    return check_done();
}
