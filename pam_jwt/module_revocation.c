/* SPDX-License-Identifier: MIT */
/* Applies the "not before" list to a verified token (DESIGN §3 revocation=). */
#include "config.h"

#include <pwd.h>

#include "module.h"

/* The list is written by the daemon, so its user may own it. */
static long
daemon_uid(void)
{
    struct passwd pw, *found = NULL;
    char buf[1024];

    if (getpwnam_r(MODULE_DAEMON_USER, &pw, buf, sizeof(buf), &found) != 0 || found == NULL)
        return -1;
    return (long)found->pw_uid;
}

jwt_result
module_revocation_check(const struct conf *c, const char *user, const struct jwt_verified *v)
{
    struct jwt_revocation *list = NULL;
    int64_t instant = 0;
    jwt_result r;

    /* Once configured, a missing, unreadable or malformed list fails
     * closed: tmpfiles ships an empty one. */
    if ((r = jwt_revocation_load(c->revocation, daemon_uid(), &list)) != JWT_OK)
        return r;
    /* Tokens issued at or before the instant are dead; one without iat
     * cannot show it is newer. */
    if (jwt_revocation_lookup(list, user, &instant) && (!v->has_iat || v->iat <= instant))
        r = JWT_ERR_REVOKED;
    jwt_revocation_free(list);
    return r;
}
