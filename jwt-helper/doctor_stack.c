/* SPDX-License-Identifier: MIT */
/* `jwt-helper doctor`: what one service's auth stack returns when pam_jwt
 * fails and when it succeeds, the other modules taken at their worst for a
 * login without a password. */
#include "config.h"

#include <string.h>

#include "doctor.h"

enum module_kind { MODULE_JWT, MODULE_ASKS_SECRET, MODULE_FAILS, MODULE_PASSES, MODULE_UNKNOWN };

struct judged {
    struct doctor *d;
    bool token_valid; /* the case run: pam_jwt succeeds, or fails (PAM_AUTH_ERR) */
};

/* Returns true when module (a base name) is one of names[], with or
 * without ".so". */
static bool
module_in(const char *module, const char *const *names)
{
    size_t len = strcspn(module, ".");

    if (strcmp(module + len, ".so") != 0 && module[len] != '\0')
        return false;
    for (; *names != NULL; names++)
        if (strlen(*names) == len && strncmp(module, *names, len) == 0)
            return true;
    return false;
}

/* Modules that ask for a secret fail without one; modules that ask for
 * nothing may let anyone through, so they count as passing. */
static const char *const asks_secret[] = {
    "pam_unix",         "pam_sss",    "pam_krb5",        "pam_ldap",    "pam_winbind",
    "pam_systemd_home", "pam_userdb", "pam_pwdfile",     "pam_u2f",     "pam_google_authenticator",
    "pam_oath",         "pam_yubico", "pam_radius_auth", "pam_tacplus", "pam_fprintd",
    "pam_pkcs11",       "pam_p11",    "pam_duo",         NULL};
/* pam_rootok passes only for root, who needs no token */
static const char *const fails[] = {"pam_deny", "pam_rootok", NULL};
static const char *const passes[] = {"pam_permit",     "pam_env",       "pam_faildelay",
                                     "pam_nologin",    "pam_securetty", "pam_group",
                                     "pam_cap",        "pam_shells",    "pam_listfile",
                                     "pam_access",     "pam_time",      "pam_warn",
                                     "pam_echo",       "pam_motd",      "pam_mail",
                                     "pam_limits",     "pam_faillock",  "pam_tally2",
                                     "pam_succeed_if", "pam_wheel",     "pam_gnome_keyring",
                                     "pam_kwallet5",   "pam_ecryptfs",  "pam_mount",
                                     "pam_exec",       "pam_debug",     NULL};

/* What e is, for a login without a password. */
static enum module_kind
module_kind_of(const struct pamstack_entry *e)
{
    if (doctor_is_pam_jwt(e))
        return MODULE_JWT;
    if (module_in(e->module, asks_secret))
        return MODULE_ASKS_SECRET;
    if (module_in(e->module, fails))
        return MODULE_FAILS;
    return module_in(e->module, passes) ? MODULE_PASSES : MODULE_UNKNOWN;
}

bool
doctor_is_pam_jwt(const struct pamstack_entry *e)
{
    static const char *const jwt[] = {"pam_jwt", NULL};

    return e->module != NULL && module_in(e->module, jwt);
}

static enum pamstack_ret
module_ret(void *ctx, const struct pamstack_entry *e)
{
    const struct judged *j = ctx;

    switch (module_kind_of(e)) {
    case MODULE_JWT:
        return j->token_valid ? PAMSTACK_SUCCESS : PAMSTACK_AUTH_ERR;
    case MODULE_PASSES:
    case MODULE_UNKNOWN: /* the worst case; warned about in warn_unknown */
        return PAMSTACK_SUCCESS;
    default:
        return PAMSTACK_AUTH_ERR;
    }
}

struct first_jwt {
    const struct pamstack_entry *e;
};

static void
find_jwt(void *ctx, const struct pamstack_entry *e)
{
    struct first_jwt *f = ctx;

    if (f->e == NULL && doctor_is_pam_jwt(e))
        f->e = e;
}

/* A module doctor does not know was taken as passing: say so, since the
 * verdict on the stack rests on it. */
static void
warn_unknown(void *ctx, const struct pamstack_entry *e)
{
    if (module_kind_of(e) == MODULE_UNKNOWN)
        doctor_finding(ctx, DOCTOR_WARNING, e->file, e->line,
                       "doctor does not know %.64s and took it as asking for no secret; "
                       "check its verdict below by hand",
                       e->module);
}

bool
doctor_stack_check(struct doctor *d, const char *service, const struct pamstack_chain *chain)
{
    struct first_jwt first = {NULL};
    struct judged failed = {d, false}, valid = {d, true};

    pamstack_each_module(chain, find_jwt, &first);
    if (first.e == NULL)
        return false;
    pamstack_each_module(chain, warn_unknown, d);
    if (pamstack_succeeds(chain, module_ret, &failed))
        doctor_finding(d, DOCTOR_ERROR, first.e->file, first.e->line,
                       "service %.64s: a failed token still logs in, no other module asking for "
                       "a secret (optional, a jump or ignore past the modules that ask); make "
                       "pam_jwt's failure end the stack (required, requisite or auth_err=die)",
                       service);
    if (!pamstack_succeeds(chain, module_ret, &valid))
        doctor_finding(d, DOCTOR_WARNING, first.e->file, first.e->line,
                       "service %.64s: a valid token alone does not log in (another module "
                       "must also succeed); fine when meant as a second factor, else make "
                       "pam_jwt sufficient or jump to the end on success",
                       service);
    return true;
}
