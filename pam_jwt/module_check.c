/* SPDX-License-Identifier: MIT */
/* The module's whole token check: core verification, revocation, once. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "module.h"

static void
set_reason(struct jwt_verified *out, jwt_result r, const char *what)
{
    if (what != NULL)
        snprintf(out->reason, sizeof(out->reason), "%s: %s", what, jwt_result_str(r));
    else
        snprintf(out->reason, sizeof(out->reason), "%s", jwt_result_str(r));
}

/* Some prompts cut long replies short without a word: the ssh client keeps
 * 1023 bytes, PAM_MAX_RESP_SIZE users such as pam_exec's expose_authtok
 * 511, Linux-PAM's text conversation (su, login) 4095. (sudo does not cut:
 * it fails the conversation, see module_token.c.) A token of exactly such a
 * length whose signature then fails was most likely cut, and saying so
 * spares an administrator a hunt for a key problem that is not there. */
static const struct {
    size_t len;
    const char *who;
} prompt_limits[] = {
    {511, "PAM_MAX_RESP_SIZE"},
    {1023, "ssh client"},
    {4095, "PAM text prompt"},
};

static void
note_truncation(size_t len, jwt_result r, struct jwt_verified *out)
{
    if (r != JWT_ERR_SIG_LENGTH && r != JWT_ERR_BAD_SIGNATURE && r != JWT_ERR_BASE64 &&
        r != JWT_ERR_SEGMENTS)
        return;
    for (size_t i = 0; i < sizeof(prompt_limits) / sizeof(prompt_limits[0]); i++)
        if (len == prompt_limits[i].len)
            snprintf(out->reason, sizeof(out->reason),
                     "token length %zu is the %s limit: probably cut short by the prompt (%s)",
                     len, prompt_limits[i].who, jwt_result_str(r));
}

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
module_token_check(pam_handle_t *pamh, const struct conf *c, const char *user, const char *token,
                   struct jwt_verified *out)
{
    struct jwt_jwks *keys = NULL;
    struct jwt_policy policy;
    size_t len = strnlen(token, c->max_token_len + 1);
    jwt_result r;

    (void)pamh;
    memset(out, 0, sizeof(*out));
    conf_policy(c, &policy);
    policy.user = user;
    /* Empty and oversize tokens are refused before any file is read. */
    if (len == 0 || len > c->max_token_len) {
        len = strlen(token);
        return jwt_verify(token, len, NULL, &policy, out);
    }
    if ((r = jwt_keycache_acquire(c->jwks, c->key, &keys)) != JWT_OK) {
        set_reason(out, r, "key set");
        return r;
    }
    r = jwt_verify(token, len, keys, &policy, out);
    jwt_keycache_release();
    if (r != JWT_OK) {
        note_truncation(len, r, out);
        return r;
    }
    /* The last checks of DESIGN §3's order, on a token already verified.
     * A file problem names the file's option, so the log tells an
     * administrator which file failed closed. */
    if (c->revocation != NULL && (r = jwt_revocation_check(c->revocation, user, out)) != JWT_OK)
        set_reason(out, r,
                   r == JWT_ERR_REVOKED || r == JWT_ERR_REVOCATION_LIST ? NULL : "revocation list");
    else if (c->once && (r = module_once_record(c, out)) != JWT_OK)
        set_reason(out, r, r == JWT_ERR_REPLAYED || r == JWT_ERR_JTI_MISSING ? NULL : "once_dir");
    return r;
}
