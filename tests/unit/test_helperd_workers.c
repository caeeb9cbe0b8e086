/* SPDX-License-Identifier: MIT */
/* Tests for jwt-helperd's password workers: real jobs (argon2id) on real
 * threads, served round-robin by peer uid (jwt-helperd(8), LIMITS). */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "check.h"
#include "helperd_workers.h"

static char hash[crypto_pwhash_STRBYTES];

/* A login job of uid for a password that does not match: real work. */
static struct helperd_job *
job_new(uid_t uid)
{
    struct helperd_job *j = calloc(1, sizeof *j);

    if (j == NULL)
        return NULL;
    j->req.op = PROTO_OP_LOGIN;
    j->req.username = strdup("alice");
    j->req.password = strdup("wrong");
    j->hash = strdup(hash);
    j->peer_uid = uid;
    return j;
}

/* Takes the n jobs back in the order they finished; their tags into order. */
static void
take_all(struct helperd_workers *w, size_t n, uintptr_t *order)
{
    struct pollfd p = {.fd = helperd_workers_fd(w), .events = POLLIN};
    struct helperd_job *job;
    void *tag;
    size_t got = 0;

    while (got < n && poll(&p, 1, 30000) > 0) {
        while (got < n && helperd_workers_take(w, &job, &tag)) {
            order[got++] = (uintptr_t)tag;
            helperd_job_free(job);
        }
    }
    CHECK_INT(got, n, "every job came back");
}

/* uid 1000 queues eight jobs, then uid 1001 one: with one thread, 1001's
 * job runs second or third (after the job already running, and at most
 * one more of 1000's), never behind the whole flood. */
static void
test_round_robin(void)
{
    struct helperd_workers *w = helperd_workers_new(1);
    uintptr_t order[10] = {0};
    size_t pos = 0;

    CHECK(w != NULL, "pool made");
    if (w == NULL)
        return;
    for (uintptr_t i = 1; i <= 8; i++)
        CHECK_INT(helperd_workers_submit(w, job_new(1000), (void *)i), 0, "flood job queued");
    CHECK_INT(helperd_workers_submit(w, job_new(1001), (void *)99), 0, "other uid's job queued");
    take_all(w, 9, order);
    while (pos < 9 && order[pos] != 99)
        pos++;
    CHECK(pos <= 2, "round-robin: the other uid's job is not starved by the flood");
    if (pos > 2)
        printf("# it finished at position %zu of 9\n", pos + 1);
    for (size_t i = 0, want = 1; i < 9; i++) {
        if (order[i] == 99)
            continue;
        CHECK_INT(order[i], want++, "one uid's jobs keep their order");
    }
    helperd_workers_free(w);
}

int
main(void)
{
    if (sodium_init() < 0)
        return 1;
    /* 16 MiB: each job takes milliseconds, so the nine jobs are all queued
     * long before the flood could drain (the order is what is tested). */
    if (crypto_pwhash_str(hash, "right", 5, crypto_pwhash_OPSLIMIT_MIN, 16u << 20) != 0)
        return 1;
    test_round_robin();
    return check_done();
}
