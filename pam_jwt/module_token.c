/* SPDX-License-Identifier: MIT */
/* Gets the token: from an earlier module (PAM_AUTHTOK) or by prompting. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "module.h"
#include "secret.h"

/* A conversation that fails leaves no token to judge, but still deserves its
 * decision line: sudo answers a reply of 512 bytes or more (a token over its
 * budget) with a conversation error rather than cutting it, and without
 * this line the only trace would be libpam's generic one. */
static void
log_no_answer(pam_handle_t *pamh, const struct conf *c, int rc)
{
    struct jwt_verified v;
    const void *user = NULL;

    memset(&v, 0, sizeof(v));
    snprintf(v.reason, sizeof(v.reason),
             "no token: the prompt failed (%s); sudo fails it for answers of 512 bytes or more",
             pam_strerror(pamh, rc));
    if (pam_get_item(pamh, PAM_USER, &user) != PAM_SUCCESS)
        user = NULL;
    module_log_decision(pamh, c, user != NULL ? user : "-", JWT_ERR_EMPTY, &v);
}

static int
prompt_for_token(pam_handle_t *pamh, const struct conf *c, const char **token)
{
    char *resp = NULL;
    int rc;

    rc = pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &resp, "%s", c->prompt);
    if (rc != PAM_SUCCESS || resp == NULL) {
        secret_free_str(resp);
        rc = rc == PAM_SUCCESS ? PAM_CONV_ERR : rc;
        log_no_answer(pamh, c, rc);
        return rc;
    }
    /* So that a following try_first_pass module (pam_unix) sees what the
     * user typed: it may have been a password, not a token. */
    rc = pam_set_item(pamh, PAM_AUTHTOK, resp);
    secret_free_str(resp);
    if (rc != PAM_SUCCESS)
        return rc;
    return pam_get_item(pamh, PAM_AUTHTOK, (const void **)token);
}

int
module_token_get(pam_handle_t *pamh, const struct conf *c, const char **token)
{
    const void *item = NULL;

    *token = NULL;
    if (c->use_first_pass || c->try_first_pass) {
        if (pam_get_item(pamh, PAM_AUTHTOK, &item) == PAM_SUCCESS && item != NULL) {
            *token = item;
            return PAM_SUCCESS;
        }
        if (c->use_first_pass) {
            pam_syslog(pamh, LOG_NOTICE, "use_first_pass: no token from an earlier module");
            return PAM_AUTH_ERR;
        }
    }
    return prompt_for_token(pamh, c, token);
}
