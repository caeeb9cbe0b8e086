/* SPDX-License-Identifier: MIT */
/* The password job of login and passwd (jwt-helperd(8), LIMITS): the argon2id work that
 * runs on a worker thread, touching nothing but its own job.
 *
 * MUST:
 * 1. verify the password against job->hash whether or not the user is known
 *    (the dummy hash stands in for a missing record), so an unknown user and
 *    a wrong password cost the same;
 * 2. never report success for an unknown or locked user (password_ok needs
 *    known), whatever the dummy's password might be;
 * 3. wipe every password and hash before its memory is freed. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "helperd.h"
#include "secret.h"

/* The password a job checks: passwd proves the old one. */
static const char *
password_of(const struct helperd_job *job)
{
    return job->req.op == PROTO_OP_PASSWD ? job->req.old_password : job->req.password;
}

/* Hashes passwd's new password with the limits every new password gets
 * (64 MiB argon2id, libsodium's INTERACTIVE). Returns false on failure. */
static bool
new_hash_make(struct helperd_job *job)
{
    char buf[crypto_pwhash_STRBYTES];
    const char *pw = job->req.new_password;
    bool ok = false;

    if (pw != NULL &&
        crypto_pwhash_str(buf, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0 &&
        (job->new_hash = strdup(buf)) != NULL)
        ok = true;
    sodium_memzero(buf, sizeof buf);
    return ok;
}

void
helperd_job_run(struct helperd_job *job)
{
    const char *pw = password_of(job);
    bool match;

    job->password_ok = false;
    job->failed = false;
    if (job->hash == NULL || pw == NULL) {
        job->failed = true;
        return;
    }
    /* libsodium answers a mismatch with -1 and errno EINVAL; an allocation
     * failure of argon2's 64 MiB leaves ENOMEM. The latter is our failure,
     * not the user's: server_error, and no delay charged to the name. */
    errno = 0;
    match = crypto_pwhash_str_verify(job->hash, pw, strlen(pw)) == 0;
    if (!match && errno == ENOMEM) {
        job->failed = true;
        return;
    }
    job->password_ok = match && job->known; /* MUST 2 */
    if (job->password_ok && job->req.op == PROTO_OP_PASSWD && !new_hash_make(job))
        job->failed = true;
}

void
helperd_job_free(struct helperd_job *job)
{
    if (job == NULL)
        return;
    if (job->claim != NULL)
        helperd_delay_release(job->claim, job->req.username, job->side);
    proto_request_clear(&job->req);
    secret_free_str(job->hash);
    secret_free_str(job->new_hash);
    sodium_memzero(job, sizeof *job);
    free(job);
}
