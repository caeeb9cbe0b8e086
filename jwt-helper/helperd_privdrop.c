/* SPDX-License-Identifier: MIT */
/* jwt-helperd's privilege drop: from root to the configured user, for good.
 *
 * MUST:
 * 1. The daemon never serves a request with any root id: real, effective
 *    or saved uid or gid 0, or group 0 among its groups.
 * 2. Groups are dropped before the gid, the gid before the uid (after
 *    setuid we could no longer change them).
 * 3. The drop is proved, not assumed: setuid(0) and setgid(0) must fail
 *    afterwards, and every id is read back; any doubt stops the start.
 * 4. The target account must exist and not be root: a typo in `user =`
 *    must never leave the daemon running as root.
 * The keys are root:_jwt-helper 0640, so the user still reads them on
 * SIGHUP through its primary group, which is why that group is kept. */
#define _GNU_SOURCE 1 /* getresuid, getresgid */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helperd_privdrop.h"

/* Enough for any group list a sane daemon account has; more is suspicious. */
#define MAX_GROUPS 256

/* MUST 1 and 3: returns true only when no id of this process is root and
 * the kernel refuses to make one root again. */
static bool
cannot_regain_root(helperd_report_fn report, void *ctx)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg, groups[MAX_GROUPS];
    int n, i;

    if (setuid(0) == 0 || setgid(0) == 0) {
        helperd_reportf(report, ctx, "privilege drop: root could be regained");
        return false;
    }
    if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0) {
        helperd_reportf(report, ctx, "privilege drop: reading ids: %s", strerror(errno));
        return false;
    }
    if (ru == 0 || eu == 0 || su == 0 || rg == 0 || eg == 0 || sg == 0) {
        helperd_reportf(report, ctx, "privilege drop: a real, effective or saved id is still 0");
        return false;
    }
    if ((n = getgroups(MAX_GROUPS, groups)) < 0) {
        helperd_reportf(report, ctx, "privilege drop: getgroups: %s", strerror(errno));
        return false;
    }
    for (i = 0; i < n; i++) {
        if (groups[i] == 0) {
            helperd_reportf(report, ctx, "privilege drop: group 0 is still a supplementary group");
            return false;
        }
    }
    return true;
}

/* MUST 2 and 4. */
static int
drop_to(const char *user, helperd_report_fn report, void *ctx, uid_t *uid)
{
    uid_t pw_uid;
    gid_t pw_gid;
    int e = jwt_user_find(user, &pw_uid, &pw_gid);

    if (e != 0) {
        helperd_reportf(report, ctx, "refusing to run as root: user %s does not exist%s%s",
                        user == NULL ? "(none)" : user, e != ENOENT ? ": " : "",
                        e != ENOENT ? strerror(e) : "");
        return -1;
    }
    if (pw_uid == 0 || pw_gid == 0) {
        helperd_reportf(report, ctx, "refusing to run as root: user %s has uid or gid 0", user);
        return -1;
    }
    if (setgroups(0, NULL) != 0 || setresgid(pw_gid, pw_gid, pw_gid) != 0 ||
        setresuid(pw_uid, pw_uid, pw_uid) != 0) {
        helperd_reportf(report, ctx, "privilege drop to %s: %s", user, strerror(errno));
        return -1;
    }
    *uid = pw_uid;
    return 0;
}

int
helperd_privdrop(const char *user, helperd_report_fn report, void *ctx, uid_t *uid)
{
    *uid = geteuid();
    if (*uid == 0 && drop_to(user, report, ctx, uid) != 0)
        return -1;
    /* Also for a non-root start: a setuid-root start must not pass (MUST 1). */
    if (!cannot_regain_root(report, ctx))
        return -1;
    return 0;
}
