/* SPDX-License-Identifier: MIT */
/* Finds a Unix account by name: the one lookup, and the daemon's account. */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>

#include "jwt.h"

/* getpwnam_r wants a buffer whose size sysconf only suggests (NSS modules
 * may need more); it is doubled on ERANGE up to this cap. */
#define PW_BUF_START 4096
#define PW_BUF_MAX (1024 * 1024)

int
jwt_user_find(const char *name, uid_t *uid, gid_t *gid)
{
    struct passwd pw, *found = NULL;
    size_t size = PW_BUF_START;
    char *buf = NULL;
    int e;

    if (name == NULL)
        return ENOENT;
    for (;;) {
        if ((buf = malloc(size)) == NULL)
            return ENOMEM;
        e = getpwnam_r(name, &pw, buf, size, &found);
        if (e != ERANGE || size >= PW_BUF_MAX)
            break;
        free(buf);
        size *= 2;
    }
    if (e == 0 && found == NULL)
        e = ENOENT;
    if (e == 0 && uid != NULL)
        *uid = pw.pw_uid;
    if (e == 0 && gid != NULL)
        *gid = pw.pw_gid;
    free(buf);
    return e;
}

long
jwt_daemon_uid(void)
{
    uid_t uid;

    return jwt_user_find(JWT_DAEMON_USER, &uid, NULL) == 0 ? (long)uid : -1;
}
