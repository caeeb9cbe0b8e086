/* SPDX-License-Identifier: MIT */
/* The module's internal parts: token input, the auth flow, state, logging. */
#ifndef PAM_JWT_MODULE_H
#define PAM_JWT_MODULE_H

#include <security/pam_modules.h>

#include "conf.h"
#include "jwt.h"

/* pam_set_data name of the verified facts (struct module_state). */
#define MODULE_STATE_NAME "pam_jwt_verified"
/* The daemon's user, who may serve the password socket (pam_jwt(8), MODULE TYPES). */

/* What a successful auth leaves on the handle for account and session. */
struct module_state {
    char *user; /* the PAM user the token was verified for */
    char *subject;
    char *jti;
    char *scope;
    int64_t exp;
};

/* Resolves the options for these module arguments and the handle's
 * PAM_SERVICE (conf_load with the default file, every problem sent to
 * syslog), from the per-process cache while the service, the arguments,
 * the file and the host name are unchanged
 * (module_conf.c). Returns PAM_SUCCESS with *c read-only until
 * module_conf_release, PAM_BUF_ERR, or PAM_SERVICE_ERR for a bad or
 * unreadable configuration. */
int module_conf_acquire(pam_handle_t *pamh, int argc, const char **argv, const struct conf **c);
/* Gives back what module_conf_acquire handed out; NULL is a no-op. */
void module_conf_release(const struct conf *c);

/* Gets the token: PAM_AUTHTOK under use_first_pass / try_first_pass, else
 * the conversation (echo off, c->prompt), after which PAM_AUTHTOK is set so
 * a following try_first_pass module sees what the user typed. Returns a PAM
 * code; on PAM_SUCCESS *token points to libpam-owned memory (PAM_AUTHTOK). */
int module_token_get(pam_handle_t *pamh, const struct conf *c, const char **token);

/* try_token (pam_jwt(8)), before prompting: returns PAM_SUCCESS when the key
 * set can be used, else logs which file failed (never anything typed) and
 * returns PAM_IGNORE, so that the next module decides. */
int module_token_keys_try(pam_handle_t *pamh, const struct conf *c);

/* Decides token for user with jwt_decide (now), then, when accepted and c->once
 * is set, records its jti (module_once_record). out is filled as jwt_decide
 * does; the reason names once_dir when that file failed closed. */
jwt_result module_token_check(const struct conf *c, const char *user, const char *token,
                              struct jwt_verified *out) JWT_MUST_CHECK;

/* One-time use (module_once.c): records iss+jti until exp under once_dir;
 * JWT_ERR_JTI_MISSING, JWT_ERR_REPLAYED, JWT_ERR_FILE_* or JWT_OK. */
jwt_result module_once_record(const struct conf *c, const struct jwt_verified *v) JWT_MUST_CHECK;

/* Stores the facts of v on the handle (pam_set_data, wiped on cleanup) and
 * puts JWT_SUBJECT, JWT_ID, JWT_EXPIRES into the PAM environment. */
int module_state_save(pam_handle_t *pamh, const char *user, const struct jwt_verified *v);
/* Drops what an earlier successful auth left on the handle (data and the
 * JWT_* environment), after a failed one. */
void module_state_forget(pam_handle_t *pamh);
/* The facts of an earlier pam_jwt auth on this handle, or NULL. */
const struct module_state *module_state_get(pam_handle_t *pamh);

/* The password stack (module_passwd.c): changes user's jwt-helper password
 * through the daemon at c->socket (never from the environment), after
 * SO_PEERCRED shows root or JWT_DAEMON_USER listening. PAM_PRELIM_CHECK:
 * PAM_SUCCESS when a trusted daemon answers, PAM_IGNORE when none listens.
 * PAM_UPDATE_AUTHTOK: old and new password from PAM_OLDAUTHTOK/PAM_AUTHTOK
 * (use_first_pass, try_first_pass) or by asking (new twice; both then set
 * as items), then the "passwd" request. Returns PAM_SUCCESS, PAM_IGNORE (no
 * daemon, or a name that cannot be a jwt-helper user), PAM_AUTHTOK_ERR
 * (refused, mismatch, untrusted socket, daemon lost), PAM_AUTHTOK_LOCK_BUSY
 * (rate limited), PAM_AUTHTOK_RECOVERY_ERR (use_first_pass without an old
 * password), or the conversation's and libpam's codes. Wipes every copy
 * of a password it made. */
int module_passwd_change(pam_handle_t *pamh, int flags, const struct conf *c, const char *user);

/* Logs one decision line (LOG_AUTHPRIV): service, user, and, only once the
 * signature verified, jti and kid (escaped, at most 64 bytes); the reason on
 * rejection. Never the token. quiet drops successes; debug adds detail. */
void module_log_decision(pam_handle_t *pamh, const struct conf *c, const char *user, jwt_result r,
                         const struct jwt_verified *v);
/* conf_report_fn that sends each configuration problem to syslog. */
void module_log_conf_problem(void *pamh, const char *message);

#endif
