/* SPDX-License-Identifier: MIT */
/* What a successful auth leaves behind: handle data and the PAM environment. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "module.h"
#include "secret.h"

static void
state_free(struct module_state *st)
{
    if (st == NULL)
        return;
    secret_free_str(st->user);
    secret_free_str(st->subject);
    secret_free_str(st->jti);
    secret_free_str(st->scope);
    secret_free(st, sizeof(*st));
}

/* pam_set_data cleanup: wipes the facts when the handle ends. */
static void
state_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
    (void)pamh;
    (void)error_status;
    state_free(data);
}

static char *
dup_or_empty(const char *s)
{
    return strdup(s != NULL ? s : "");
}

/* Claims come from a verified token but are still the issuer's text: the
 * environment gets them only when they hold no control characters. */
static int
put_env(pam_handle_t *pamh, const char *name, const char *value)
{
    char buf[512];

    for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return PAM_SUCCESS;
    }
    if ((size_t)snprintf(buf, sizeof(buf), "%s=%s", name, value) >= sizeof(buf))
        return PAM_SUCCESS; /* too long to be a sensible value: left out */
    return pam_putenv(pamh, buf);
}

static int
export_env(pam_handle_t *pamh, const struct module_state *st)
{
    char exp[24];
    int rc;

    snprintf(exp, sizeof(exp), "%" PRId64, st->exp);
    if ((rc = put_env(pamh, "JWT_SUBJECT", st->subject)) != PAM_SUCCESS ||
        (rc = put_env(pamh, "JWT_ID", st->jti)) != PAM_SUCCESS)
        return rc;
    return put_env(pamh, "JWT_EXPIRES", exp);
}

int
module_state_save(pam_handle_t *pamh, const char *user, const struct jwt_verified *v)
{
    struct module_state *st = calloc(1, sizeof(*st));
    int rc;

    if (st == NULL || (st->user = dup_or_empty(user)) == NULL ||
        (st->subject = dup_or_empty(v->subject)) == NULL ||
        (st->jti = dup_or_empty(v->jti)) == NULL || (st->scope = dup_or_empty(v->scope)) == NULL) {
        state_free(st);
        return PAM_BUF_ERR;
    }
    st->exp = v->exp;
    /* sshd runs auth in a child process: only the PAM environment reaches
     * the session, so it is set now, not at open_session. */
    if ((rc = export_env(pamh, st)) != PAM_SUCCESS) {
        state_free(st);
        return rc;
    }
    if ((rc = pam_set_data(pamh, MODULE_STATE_NAME, st, state_cleanup)) != PAM_SUCCESS)
        state_free(st);
    return rc;
}

void
module_state_forget(pam_handle_t *pamh)
{
    static const char *const names[] = {"JWT_SUBJECT", "JWT_ID", "JWT_EXPIRES"};

    if (module_state_get(pamh) == NULL)
        return;
    /* NULL data runs the old cleanup, which wipes the facts. */
    pam_set_data(pamh, MODULE_STATE_NAME, NULL, NULL);
    /* pam_putenv with a bare name removes the variable. */
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (pam_getenv(pamh, names[i]) != NULL)
            pam_putenv(pamh, names[i]);
    }
}

const struct module_state *
module_state_get(pam_handle_t *pamh)
{
    const void *data = NULL;

    if (pam_get_data(pamh, MODULE_STATE_NAME, &data) != PAM_SUCCESS)
        return NULL;
    return data;
}
