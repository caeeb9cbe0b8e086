/* SPDX-License-Identifier: MIT */
/* The module's syslog lines: one per decision, never the token itself. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "module.h"

/* pam_jwt(8), LOGGING: jti and kid are logged escaped and cut to 64 bytes. */
#define LOG_FIELD_MAX 64

/* Copies s into out (at least 4 * LOG_FIELD_MAX + 1 bytes) with bytes
 * outside printable ASCII as \xNN, after cutting s to LOG_FIELD_MAX. */
static const char *
escape_field(const char *s, char *out)
{
    size_t o = 0;

    if (s == NULL)
        return "-";
    for (size_t i = 0; i < LOG_FIELD_MAX && s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x21 && c < 0x7f && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
    }
    out[o] = '\0';
    return out;
}

static const char *
service_of(pam_handle_t *pamh)
{
    const void *item = NULL;

    if (pam_get_item(pamh, PAM_SERVICE, &item) != PAM_SUCCESS || item == NULL)
        return "-";
    return item;
}

void
module_log_decision(pam_handle_t *pamh, const struct conf *c, const char *user, jwt_result r,
                    const struct jwt_verified *v)
{
    char jti[4 * LOG_FIELD_MAX + 1], kid[4 * LOG_FIELD_MAX + 1], who[4 * LOG_FIELD_MAX + 1];
    /* Before the signature verified, jti and kid are the attacker's words. */
    const char *jti_s = v->sig_ok ? escape_field(v->jti, jti) : "-";
    const char *kid_s = v->sig_ok ? escape_field(v->kid, kid) : "-";

    if (r == JWT_OK && c->quiet)
        return;
    escape_field(user, who);
    if (r == JWT_OK)
        pam_syslog(pamh, LOG_INFO, "accepted: service=%s user=%s jti=%s kid=%s alg=%s",
                   service_of(pamh), who, jti_s, kid_s, jwt_alg_name(v->alg));
    else
        pam_syslog(pamh, LOG_NOTICE, "rejected: service=%s user=%s jti=%s kid=%s reason=%s",
                   service_of(pamh), who, jti_s, kid_s, v->reason);
    if (c->debug && v->sig_ok)
        pam_syslog(pamh, LOG_DEBUG, "token: exp=%lld iat=%lld auth_time=%lld", (long long)v->exp,
                   v->has_iat ? (long long)v->iat : -1LL,
                   v->has_auth_time ? (long long)v->auth_time : -1LL);
}

void
module_log_conf_problem(void *pamh, const char *message)
{
    pam_syslog(pamh, LOG_ERR, "configuration: %s", message);
}
