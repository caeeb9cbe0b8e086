/* SPDX-License-Identifier: MIT */
/* The PAM entry points: gather input, call one core function, map its result. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "conf.h"
#include "jwt.h"
#include "module.h"

#define PAM_JWT_EXPORT __attribute__((visibility("default")))

/* The one place core results become PAM codes (STYLE "Errors"). A bad
 * configuration is PAM_SERVICE_ERR, an unreadable key set or revocation
 * list PAM_AUTHINFO_UNAVAIL, never the code of a wrong token. */
static int
pam_code_for(jwt_result r)
{
    switch (r) {
    case JWT_OK:
        return PAM_SUCCESS;
    case JWT_ERR_NOMEM:
        return PAM_BUF_ERR;
    case JWT_ERR_FILE_OPEN:
    case JWT_ERR_FILE_UNSAFE:
    case JWT_ERR_FILE_TOO_BIG:
    case JWT_ERR_KEY_INVALID:
    case JWT_ERR_KEY_UNSUPPORTED:
    case JWT_ERR_KEYSET_EMPTY:
    case JWT_ERR_REVOCATION_LIST:
        return PAM_AUTHINFO_UNAVAIL;
    default:
        return PAM_AUTH_ERR;
    }
}

PAM_JWT_EXPORT int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    const struct conf *c = NULL;
    struct jwt_verified v = {0};
    const char *user = NULL, *token = NULL;
    int rc;
    jwt_result r;

    (void)flags;
    if ((rc = module_conf_acquire(pamh, argc, argv, &c)) != PAM_SUCCESS)
        goto out;
    /* try_token: no prompt at all when no token could be verified. */
    if (c->try_token && (rc = module_token_keys_try(pamh, c)) != PAM_SUCCESS)
        goto out;
    if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL || *user == '\0') {
        pam_syslog(pamh, LOG_NOTICE, "cannot determine the user name");
        rc = PAM_USER_UNKNOWN;
        goto out;
    }
    if ((rc = module_token_get(pamh, c, &token)) != PAM_SUCCESS)
        goto out;
    /* try_token: a password is the next module's, and is not ours to log.
     * Without it, PAM_IGNORE where a failure is due would let a following
     * module decide alone (pam-u2f CVE-2025-23013). */
    if (c->try_token && !jwt_jws_is_compact(token, strlen(token))) {
        rc = PAM_IGNORE;
        goto out;
    }
    r = module_token_check(c, user, token, &v);
    module_log_decision(pamh, c, user, r, &v);
    rc = pam_code_for(r);
    if (rc == PAM_SUCCESS)
        rc = module_state_save(pamh, user, &v);
out:
    /* A failed attempt must not leave an earlier success on the handle
     * for account and session to find (an application may retry). */
    if (rc != PAM_SUCCESS)
        module_state_forget(pamh);
    jwt_verified_clear(&v);
    module_conf_release(c);
    return rc;
}

PAM_JWT_EXPORT int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)flags;
    (void)argc;
    (void)argv;
    return module_state_get(pamh) != NULL ? PAM_SUCCESS : PAM_IGNORE;
}

PAM_JWT_EXPORT int
pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    const struct module_state *st = module_state_get(pamh);
    const char *user = NULL;
    const struct conf *c = NULL;
    int rc;

    (void)flags;
    if (st == NULL)
        return PAM_IGNORE; /* someone else authenticated this handle */
    if ((rc = module_conf_acquire(pamh, argc, argv, &c)) != PAM_SUCCESS)
        goto out;
    /* The token was checked for the user of that moment; a module that
     * changed PAM_USER since does not inherit it. */
    if (pam_get_item(pamh, PAM_USER, (const void **)&user) != PAM_SUCCESS || user == NULL ||
        strcmp(user, st->user) != 0) {
        pam_syslog(pamh, LOG_NOTICE, "account: user changed since authentication");
        rc = PAM_PERM_DENIED;
    } else if (st->exp <= (int64_t)time(NULL) - c->leeway) {
        pam_syslog(pamh, LOG_NOTICE, "account: token expired since authentication");
        rc = PAM_AUTH_ERR;
    } else if (!jwt_scope_grants(st->scope, (const char *const *)c->scopes, c->n_scopes)) {
        pam_syslog(pamh, LOG_NOTICE, "account: scope not granted");
        rc = PAM_PERM_DENIED;
    }
out:
    module_conf_release(c);
    return rc;
}

/* Only this handle's own data proves a pam_jwt login: the PAM environment
 * is written by other modules too (pam_env, a user's ~/.pam_environment),
 * so JWT_SUBJECT there proves nothing. Under sshd, whose session runs in
 * another process than its auth, the session therefore ignores: harmless
 * with the shipped `optional` line (pam_jwt(8), MODULE TYPES: session). */
static bool
authenticated_by_us(pam_handle_t *pamh)
{
    return module_state_get(pamh) != NULL;
}

PAM_JWT_EXPORT int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)flags;
    (void)argc;
    (void)argv;
    return authenticated_by_us(pamh) ? PAM_SUCCESS : PAM_IGNORE;
}

PAM_JWT_EXPORT int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)flags;
    (void)argc;
    (void)argv;
    return authenticated_by_us(pamh) ? PAM_SUCCESS : PAM_IGNORE;
}

/* The password stack changes the jwt-helper password through jwt-helperd
 * (module_passwd.c); PAM_IGNORE when no daemon runs. */
PAM_JWT_EXPORT int
pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    const struct conf *c = NULL;
    const char *user = NULL;
    int rc;

    /* jwt-helper passwords never expire: a forced change at login is for
     * the module whose password did (pam_unix), not a reason to prompt. */
    if (flags & PAM_CHANGE_EXPIRED_AUTHTOK)
        return PAM_IGNORE;
    if ((rc = module_conf_acquire(pamh, argc, argv, &c)) != PAM_SUCCESS)
        goto out;
    if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL || *user == '\0') {
        pam_syslog(pamh, LOG_NOTICE, "cannot determine the user name");
        rc = PAM_USER_UNKNOWN;
        goto out;
    }
    rc = module_passwd_change(pamh, flags, c, user);
out:
    module_conf_release(c);
    return rc;
}
