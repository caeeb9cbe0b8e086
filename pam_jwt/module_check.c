/* SPDX-License-Identifier: MIT */
/* The module's token check: the core's one decision, then once, which writes. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <security/pam_ext.h>

#include "module.h"

int
module_token_keys_try(pam_handle_t *pamh, const struct conf *c)
{
    struct jwt_jwks *keys = NULL;
    jwt_result r;

    if ((r = jwt_keycache_acquire(c->jwks, c->key, &keys)) != JWT_OK) {
        pam_syslog(pamh, LOG_NOTICE, "try_token: key set %s: %s; left to the next module",
                   c->jwks != NULL ? c->jwks : c->key, jwt_result_str(r));
        return PAM_IGNORE;
    }
    jwt_keycache_release();
    return PAM_SUCCESS;
}

jwt_result
module_token_check(const struct conf *c, const char *user, const char *token,
                   struct jwt_verified *out)
{
    jwt_result r;

    r = jwt_decide(c, user, token, strlen(token), (int64_t)time(NULL), out);
    if (r != JWT_OK || !c->once)
        return r;
    /* once writes, so it is applied here, after the decision; a file
     * problem names the option, as jwt_decide's reasons do. */
    if ((r = module_once_record(c, out)) == JWT_ERR_REPLAYED || r == JWT_ERR_JTI_MISSING)
        snprintf(out->reason, sizeof(out->reason), "%s", jwt_result_str(r));
    else if (r != JWT_OK)
        snprintf(out->reason, sizeof(out->reason), "once_dir: %s", jwt_result_str(r));
    return r;
}
