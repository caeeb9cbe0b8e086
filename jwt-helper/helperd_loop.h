/* SPDX-License-Identifier: MIT */
/* jwt-helperd's event loop (jwt-helperd(8), LIMITS): one thread owning every socket and
 * every clock, handing password jobs to helperd_workers. */
#ifndef PAM_JWT_HELPERD_LOOP_H
#define PAM_JWT_HELPERD_LOOP_H

#include <stdbool.h>

#include "helperd.h"
#include "helperd_listen.h"

/* What a SIGHUP reload needs to load the state again as at start. */
struct helperd_loop_opts {
    const char *conf_path; /* as given to helperd_state_load at start */
    bool conf_must_exist;
    const char *socket_override; /* --socket, or NULL */
};

/* Serves clients on lis until SIGTERM or SIGINT: blocks SIGHUP, SIGTERM
 * and SIGINT (they arrive through a signalfd), starts the workers, then
 * loops. On SIGHUP it loads a fresh state and swaps *st for it (a failed
 * load keeps the old one). On SIGTERM it closes lis, lets jobs in flight
 * finish and their replies go out for a few seconds at most, closes every
 * connection and returns 0. Returns -1 when it could not start (reported
 * to syslog). *st stays the caller's to free, lis the caller's to close. */
int helperd_loop_run(struct helperd_state **st, struct helperd_listener *lis,
                     const struct helperd_loop_opts *opts) JWT_MUST_CHECK;

/* The report callback for helperd.h calls and state loads: logs message
 * with syslog at LOG_ERR when it starts with "error: ", LOG_WARNING with
 * "warning: ", else at the priority ctx points to (an int), LOG_INFO when
 * ctx is NULL. */
void helperd_log_report(void *ctx, const char *message);

/* Fills *now from CLOCK_REALTIME (unix seconds) and CLOCK_MONOTONIC (ms). */
void helperd_now_get(struct helperd_now *now);

#endif
