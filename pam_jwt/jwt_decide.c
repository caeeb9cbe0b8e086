/* SPDX-License-Identifier: MIT */
/* The one decision whether a token is accepted: keys, every check, revocation. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "jwt.h"

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
                     "token length %zu is the %s limit: probably cut short by the prompt (%s)", len,
                     prompt_limits[i].who, jwt_result_str(r));
}

/* Signature and claims with the key set from the per-process cache. */
static jwt_result
verify_with_keys(const struct conf *c, const char *token, size_t len,
                 const struct jwt_policy *policy, struct jwt_verified *out)
{
    struct jwt_jwks *keys = NULL;
    jwt_result r;

    if ((r = jwt_keycache_acquire(c->jwks, c->key, &keys)) != JWT_OK) {
        memset(out, 0, sizeof(*out));
        set_reason(out, r, "key set");
        out->failed_file = c->jwks != NULL ? c->jwks : c->key;
        return r;
    }
    r = jwt_verify(token, len, keys, policy, out);
    jwt_keycache_release();
    if (r != JWT_OK)
        note_truncation(len, r, out);
    return r;
}

/* The last checks of pam_jwt.conf(5)'s order, on a token already verified:
 * the revocation list for user (else the token's subject), and a jti where
 * once will need one. A file problem names the file's option, so the log
 * tells an administrator which file failed closed. */
static jwt_result
check_after_signature(const struct conf *c, const char *user, struct jwt_verified *out)
{
    const char *who = user != NULL ? user : out->subject;
    jwt_result r = JWT_OK;

    if (c->revocation != NULL && who != NULL &&
        (r = jwt_revocation_check(c->revocation, who, out)) != JWT_OK) {
        set_reason(out, r,
                   r == JWT_ERR_REVOKED || r == JWT_ERR_REVOCATION_LIST ? NULL : "revocation list");
        if (r != JWT_ERR_REVOKED)
            out->failed_file = c->revocation;
    } else if (c->once && out->jti == NULL) {
        r = JWT_ERR_JTI_MISSING;
        set_reason(out, r, NULL);
    }
    return r;
}

jwt_result
jwt_decide(const struct conf *c, const char *user, const char *token, size_t len, int64_t now,
           struct jwt_verified *out)
{
    struct jwt_policy policy;
    jwt_result r;

    conf_policy(c, &policy);
    policy.user = user;
    policy.now = now;
    /* Empty and oversize tokens are refused before any file is read. */
    if (len == 0 || len > c->max_token_len)
        return jwt_verify(token, len, NULL, &policy, out);
    if ((r = verify_with_keys(c, token, len, &policy, out)) != JWT_OK)
        return r;
    return check_after_signature(c, user, out);
}
