/* SPDX-License-Identifier: MIT */
/* jwt-helperd's password workers: jobs queued per peer uid and taken
 * round-robin, threads, and an eventfd.
 *
 * argon2id takes 64 MiB and tens of milliseconds per check, so it runs off
 * the loop thread (refreshes keep being answered meanwhile) and at most
 * max_hashes at a time (memory stays bounded however many logins queue).
 * Waiting jobs form one FIFO lane per peer uid, and the threads serve the
 * lanes in turn (jwt-helperd(8), LIMITS): a uid that floods the daemon with
 * attempts waits behind itself, never in front of alice's one login.
 * A job touches nothing but itself (helperd.h), so the only shared data
 * here are the lanes and the done queue, guarded by one mutex. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "helperd_workers.h"

struct item {
    struct helperd_job *job;
    void *tag;
    struct item *next;
};

struct queue {
    struct item *head, *tail;
    size_t n;
};

/* The waiting jobs of one peer uid. */
struct lane {
    uid_t uid;
    struct queue q;
    uint64_t served; /* when a job of this lane last started (lanes.serial); 0: never */
    struct lane *next;
};

/* The lanes with waiting jobs, oldest first. */
struct lanes {
    struct lane *head, *tail;
    size_t n;        /* jobs in all lanes */
    uint64_t serial; /* counts jobs started */
};

struct helperd_workers {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* todo grew, a slot freed, or stop */
    struct lanes todo; /* waiting for a thread */
    struct queue done; /* finished, for the loop */
    unsigned running;  /* jobs being run now */
    unsigned limit;    /* at most this many run at once */
    bool stop;
    int efd; /* eventfd: non-zero while done is not empty */
    pthread_t threads[HELPERD_WORKERS_MAX];
    unsigned n_threads;
};

static void
queue_push(struct queue *q, struct item *it)
{
    it->next = NULL;
    if (q->tail != NULL)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    q->n++;
}

static struct item *
queue_pop(struct queue *q)
{
    struct item *it = q->head;

    if (it == NULL)
        return NULL;
    q->head = it->next;
    if (q->head == NULL)
        q->tail = NULL;
    q->n--;
    return it;
}

static void
queue_drop(struct queue *q)
{
    struct item *it;

    while ((it = queue_pop(q)) != NULL) {
        helperd_job_free(it->job);
        free(it);
    }
}

static void
lane_append(struct lanes *l, struct lane *lane)
{
    lane->next = NULL;
    if (l->tail != NULL)
        l->tail->next = lane;
    else
        l->head = lane;
    l->tail = lane;
}

/* Queues it in its uid's lane (a new lane goes last). -1 on memory. */
static int
lanes_push(struct lanes *l, struct item *it)
{
    uid_t uid = it->job->peer_uid;
    struct lane *lane = l->head;

    /* Linear: a lane per uid with a job waiting, at most max_clients. */
    while (lane != NULL && lane->uid != uid)
        lane = lane->next;
    if (lane == NULL) {
        if ((lane = calloc(1, sizeof(*lane))) == NULL)
            return -1;
        lane->uid = uid;
        lane_append(l, lane);
    }
    queue_push(&lane->q, it);
    l->n++;
    return 0;
}

/* Takes the next job of the lane served longest ago (a lane never served
 * first, oldest first among equals): each uid in turn, and a uid that has
 * just had a job started waits for every other uid with jobs. */
static struct item *
lanes_pop(struct lanes *l)
{
    struct lane *lane, *prev = NULL, *best = NULL, *best_prev = NULL;
    struct item *it;

    for (lane = l->head; lane != NULL; prev = lane, lane = lane->next) {
        if (best == NULL || lane->served < best->served) {
            best = lane;
            best_prev = prev;
        }
    }
    if (best == NULL)
        return NULL;
    it = queue_pop(&best->q);
    l->n--;
    best->served = ++l->serial;
    if (best->q.n > 0)
        return it;
    if (best_prev != NULL)
        best_prev->next = best->next;
    else
        l->head = best->next;
    if (l->tail == best)
        l->tail = best_prev;
    free(best);
    return it;
}

static void
lanes_drop(struct lanes *l)
{
    struct item *it;

    while ((it = lanes_pop(l)) != NULL) {
        helperd_job_free(it->job);
        free(it);
    }
}

/* Tells the loop a job finished; called with mu held so that the counter
 * and the done queue never disagree. */
static void
notify_loop(struct helperd_workers *w)
{
    uint64_t one = 1;

    /* Cannot overflow in practice (2^64-2); EAGAIN would mean it is set anyway. */
    (void)!write(w->efd, &one, sizeof(one));
}

static void *
worker_main(void *arg)
{
    struct helperd_workers *w = arg;
    struct item *it;

    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->stop && (w->todo.n == 0 || w->running >= w->limit))
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->stop)
            break;
        it = lanes_pop(&w->todo);
        w->running++;
        pthread_mutex_unlock(&w->mu);
        helperd_job_run(it->job);
        pthread_mutex_lock(&w->mu);
        w->running--;
        queue_push(&w->done, it);
        notify_loop(w);
        pthread_cond_broadcast(&w->cv); /* a slot is free: a waiting job may start */
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Starts threads up to limit; called with mu held (new threads block on it). */
static int
spawn_threads(struct helperd_workers *w, unsigned limit)
{
    int err;

    while (w->n_threads < limit) {
        err = pthread_create(&w->threads[w->n_threads], NULL, worker_main, w);
        if (err != 0) {
            errno = err;
            return -1;
        }
        w->n_threads++;
    }
    return 0;
}

struct helperd_workers *
helperd_workers_new(unsigned limit)
{
    struct helperd_workers *w;

    if (limit < 1 || limit > HELPERD_WORKERS_MAX) {
        errno = EINVAL;
        return NULL;
    }
    if ((w = calloc(1, sizeof(*w))) == NULL)
        return NULL;
    w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->efd < 0) {
        free(w);
        return NULL;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (helperd_workers_set_limit(w, limit) != 0 || w->n_threads == 0) {
        int err = errno;

        helperd_workers_free(w);
        errno = err;
        return NULL;
    }
    return w;
}

int
helperd_workers_set_limit(struct helperd_workers *w, unsigned limit)
{
    int rc;

    if (limit < 1 || limit > HELPERD_WORKERS_MAX) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&w->mu);
    rc = spawn_threads(w, limit);
    w->limit = rc == 0 ? limit : w->n_threads;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int
helperd_workers_fd(const struct helperd_workers *w)
{
    return w->efd;
}

int
helperd_workers_submit(struct helperd_workers *w, struct helperd_job *job, void *tag)
{
    struct item *it = malloc(sizeof(*it));

    if (it == NULL)
        return -1;
    it->job = job;
    it->tag = tag;
    pthread_mutex_lock(&w->mu);
    if (lanes_push(&w->todo, it) != 0) {
        pthread_mutex_unlock(&w->mu);
        free(it);
        return -1;
    }
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

bool
helperd_workers_take(struct helperd_workers *w, struct helperd_job **job, void **tag)
{
    struct item *it;
    uint64_t count;

    pthread_mutex_lock(&w->mu);
    it = queue_pop(&w->done);
    if (w->done.n == 0)
        (void)!read(w->efd, &count, sizeof(count)); /* EAGAIN when already clear */
    pthread_mutex_unlock(&w->mu);
    if (it == NULL)
        return false;
    *job = it->job;
    *tag = it->tag;
    free(it);
    return true;
}

size_t
helperd_workers_queued(struct helperd_workers *w)
{
    size_t n;

    pthread_mutex_lock(&w->mu);
    n = w->todo.n;
    pthread_mutex_unlock(&w->mu);
    return n;
}

size_t
helperd_workers_pending(struct helperd_workers *w)
{
    size_t n;

    pthread_mutex_lock(&w->mu);
    n = w->todo.n + w->running + w->done.n;
    pthread_mutex_unlock(&w->mu);
    return n;
}

void
helperd_workers_free(struct helperd_workers *w)
{
    unsigned i;

    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (i = 0; i < w->n_threads; i++)
        pthread_join(w->threads[i], NULL);
    lanes_drop(&w->todo);
    queue_drop(&w->done);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    close(w->efd);
    free(w);
}
