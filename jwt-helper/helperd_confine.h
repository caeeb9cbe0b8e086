/* SPDX-License-Identifier: MIT */
/* jwt-helperd confines itself after start-up, however it was started
 * (jwt-helperd(8) "CONFINEMENT"): Landlock limits which files it may read
 * and write, a seccomp filter which system calls it may make. Both hold
 * for the calling thread and every thread it starts later, so the daemon
 * calls helperd_confine before its worker threads exist. */
#ifndef PAM_JWT_HELPERD_CONFINE_H
#define PAM_JWT_HELPERD_CONFINE_H

#include <stdbool.h>

#include "helperd.h"

/* The files the confined daemon may touch, all taken from its config. */
struct helperd_confine_paths {
    const char *conf_path;   /* the config file (SIGHUP reads it again) */
    const char *signing_key; /* read: the key, the key set and the refresh key, */
    const char *jwks;        /* each anywhere in its directory, since keys */
    const char *refresh_key; /* activate replaces the file by rename */
    const char *users;       /* read and replaced (lock, temp file, rename) */
    const char *revocation;  /* read and replaced the same way */
    int socket_dir_fd;       /* the socket's directory (removed at exit), or -1 */
};

/* Fills *p from conf (conf_path NULL: HELPERD_CONF_DEFAULT_PATH). */
void helperd_confine_paths_of(const char *conf_path, const struct helperd_conf *conf,
                              int socket_dir_fd, struct helperd_confine_paths *p);

/* Confines the calling process for good: loads what NSS and the time zone
 * need while it still can, sets no_new_privs, restricts file access with
 * Landlock to p's directories (read-only beneath /etc for account
 * lookups), then installs the seccomp filter. A kernel without Landlock
 * or without seccomp is logged through report and the daemon goes on
 * with what there is (as the kernel's own choice, which no client can
 * cause); any other failure returns -1 (reported): the daemon then does
 * not start. */
int helperd_confine(const struct helperd_confine_paths *p, helperd_report_fn report,
                    void *ctx) JWT_MUST_CHECK;

/* Whether a SIGHUP reload to fresh stays within the confinement made for
 * current: every file's directory unchanged (or no Landlock in force).
 * Reports each path that would leave it. */
bool helperd_confine_covers(const struct helperd_conf *current, const struct helperd_conf *fresh,
                            helperd_report_fn report, void *ctx);

/* ---- the two halves (helperd_confine_landlock.c, helperd_confine_seccomp.c) ---- */

/* The Landlock ABI version of the running kernel, 0 when it has none (or
 * Landlock is off). */
int helperd_landlock_abi(void);
/* Restricts file access to p's directories (needs no_new_privs). Returns
 * 1 when in force, 0 when the kernel has no Landlock, -1 on error
 * (reported). */
int helperd_landlock_apply(const struct helperd_confine_paths *p, helperd_report_fn report,
                           void *ctx);
/* Whether the kernel filters system calls with seccomp and can kill the
 * process for one: 1 yes, 0 no (a kernel without it, or valgrind, which
 * emulates neither seccomp(2) nor Landlock), -1 unknown. */
int helperd_seccomp_available(void);
/* Installs the seccomp filter: the system calls the daemon makes after
 * start-up; any other kills the process (SIGSYS). Returns 0 or -1
 * (reported). */
int helperd_seccomp_apply(helperd_report_fn report, void *ctx);

#endif
