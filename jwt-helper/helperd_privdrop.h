/* SPDX-License-Identifier: MIT */
/* jwt-helperd's privilege drop (jwt-helperd(8), START-UP AND PRIVILEGES):
 * from root to `user =`, for good. */
#ifndef PAM_JWT_HELPERD_PRIVDROP_H
#define PAM_JWT_HELPERD_PRIVDROP_H

#include <sys/types.h>

#include "helperd.h"

/* Started as root (euid 0): drops to user for good — no supplementary
 * groups, real/effective/saved gid and uid all the user's — and then
 * proves it cannot get root back. A user that does not exist or has uid 0
 * or gid 0 is refused. Started as any other uid: nothing changes, unless
 * some real or saved id is root (a setuid start): refused. Returns 0 with
 * *uid the uid we run as, or -1 after reporting why (the daemon must not
 * start). */
int helperd_privdrop(const char *user, helperd_report_fn report, void *ctx,
                     uid_t *uid) JWT_MUST_CHECK;

#endif
