/* SPDX-License-Identifier: MIT */
/* jwt-helperd's password workers (jwt-helperd(8), LIMITS): helperd_job queued in one
 * FIFO per peer uid, the uids served in turn by at most max_hashes threads,
 * with results handed back to the loop thread through an eventfd. */
#ifndef PAM_JWT_HELPERD_WORKERS_H
#define PAM_JWT_HELPERD_WORKERS_H

#include <stdbool.h>
#include <stddef.h>

#include "helperd.h"

struct helperd_workers;

/* Creates the pool, its eventfd and limit (1..HELPERD_WORKERS_MAX)
 * threads: at most limit jobs run at once. The caller must have
 * blocked the signals the loop handles: threads inherit the mask. Returns
 * NULL on failure (errno set). Free with helperd_workers_free. */
#define HELPERD_WORKERS_MAX 16
struct helperd_workers *helperd_workers_new(unsigned limit);

/* Changes how many jobs may run at once (after a reload), starting
 * threads when it grows; jobs already running finish. Returns 0, or -1
 * when a thread could not be started (the limit then stays at the number
 * of threads there are). */
int helperd_workers_set_limit(struct helperd_workers *w, unsigned limit);

/* Readable (POLLIN) when finished jobs wait for helperd_workers_take. */
int helperd_workers_fd(const struct helperd_workers *w);

/* Queues job with the caller's tag (given back by helperd_workers_take)
 * behind the earlier jobs of its job->peer_uid; the next job run comes
 * from the uid after the last one served (round-robin), so one uid's
 * flood cannot starve the others. The pool owns job until it is taken back. Returns 0, or -1 when
 * memory ran out (job stays the caller's). */
int helperd_workers_submit(struct helperd_workers *w, struct helperd_job *job, void *tag);

/* Takes one finished job (the caller's again) and its tag; returns false
 * when none is left. Clears the eventfd when the last one is taken. */
bool helperd_workers_take(struct helperd_workers *w, struct helperd_job **job, void **tag);

/* Jobs waiting for a thread (not yet running), and jobs not yet taken
 * back (waiting, running or finished). */
size_t helperd_workers_queued(struct helperd_workers *w);
size_t helperd_workers_pending(struct helperd_workers *w);

/* Stops the threads: jobs still waiting are dropped (freed), jobs running
 * finish first, finished jobs not taken are freed. Then frees w; NULL is
 * a no-op. */
void helperd_workers_free(struct helperd_workers *w);

#endif
