/* SPDX-License-Identifier: MIT */
/* `jwt-helper doctor`: the checks of jwt-helperd's own setup, each given
 * the daemon's configuration as doctor_daemon_check loaded it. */
#ifndef PAM_JWT_DOCTOR_DAEMON_H
#define PAM_JWT_DOCTOR_DAEMON_H

#include "doctor.h"
#include "helperd_conf.h"
#include "userdb.h"

/* Judges the owner and mode of each of the daemon's files that exists
 * against jwt-helperd(8)'s table (doctor_daemon_files.c). */
void doctor_daemon_files_check(struct doctor *d, const struct helperd_conf *conf);
/* Warns of retired keys in the daemon's key set that `jwt-helper keys
 * prune` would drop (doctor_keys.c). */
void doctor_keys_check(struct doctor *d, const struct helperd_conf *conf);
/* States how long a token from the daemon's signing key is for each
 * scope a service needs, and errs where that exceeds the service's prompt
 * budget (doctor_tokens.c). users may be NULL (not read). */
void doctor_tokens_check(struct doctor *d, const struct helperd_conf *conf,
                         const struct userdb *users);

#endif
