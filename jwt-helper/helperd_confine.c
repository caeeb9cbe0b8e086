/* SPDX-License-Identifier: MIT */
/* jwt-helperd's confinement: what it needs loaded first, then Landlock,
 * then seccomp (jwt-helperd(8) "CONFINEMENT").
 *
 * MUST:
 * 1. Run after the privilege drop and before any thread starts: both
 *    Landlock and seccomp hold for the caller and what it starts later,
 *    never for threads already running.
 * 2. Load NSS modules and the time zone before confining: getpwuid_r runs
 *    per request (the delay side, helperd_handler.c) and would otherwise
 *    dlopen a module nobody may open any more; syslog stamps local time.
 * 3. A missing Landlock or seccomp is logged, not fatal (older kernels,
 *    Landlock off at boot, valgrind, which emulates neither call): the
 *    kernel's make-up, which no client can change. Every other failure
 *    stops the start: a daemon that meant to be confined and is not must
 *    not serve.
 *
 * Account lookups stay live rather than frozen at start: the files below
 * /etc are readable (never writable), since /etc/passwd is replaced by
 * rename whenever an account is added, and a rule on the old file would
 * make every later lookup fail. */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "helperd_confine.h"

/* Set once Landlock is in force: from then on a reload must stay inside. */
static bool landlock_in_force;

void
helperd_confine_paths_of(const char *conf_path, const struct helperd_conf *conf, int socket_dir_fd,
                         struct helperd_confine_paths *p)
{
    p->conf_path = conf_path != NULL ? conf_path : HELPERD_CONF_DEFAULT_PATH;
    p->signing_key = conf->signing_key;
    p->jwks = conf->jwks;
    p->refresh_key = conf->refresh_key;
    p->users = conf->users;
    p->revocation = conf->revocation;
    p->socket_dir_fd = socket_dir_fd;
}

/* MUST 2: the first lookup dlopens the NSS modules nsswitch.conf names;
 * later ones only open the files (or sockets) those modules read. */
static void
load_before_confining(void)
{
    struct passwd pw, *found = NULL;
    char buf[16384];

    (void)getpwuid_r(getuid(), &pw, buf, sizeof buf, &found);
    (void)getpwnam_r("root", &pw, buf, sizeof buf, &found);
    /* Both above are answered by "files"; a name and a uid no module
     * knows walk the whole chain, so sss, ldap or systemd modules listed
     * after it are loaded now too, while they still may be: else every
     * account they hold would fall on the delay side of strangers. */
    (void)getpwnam_r("jwt-helperd-nss-preload.invalid", &pw, buf, sizeof buf, &found);
    (void)getpwuid_r((uid_t)0x7ffffffe, &pw, buf, sizeof buf, &found);
    tzset();
}

int
helperd_confine(const struct helperd_confine_paths *p, helperd_report_fn report, void *ctx)
{
    int ll, sc;

    load_before_confining();
    /* Needed by both without CAP_SYS_ADMIN, and right for a daemon that
     * runs nothing: no exec may gain privileges (setuid, file caps). */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        helperd_reportf(report, ctx, "error: confinement: no_new_privs: %s", strerror(errno));
        return -1;
    }
    if ((ll = helperd_landlock_apply(p, report, ctx)) < 0)
        return -1;
    landlock_in_force = ll > 0;
    if (ll == 0)
        helperd_reportf(
            report, ctx,
            "warning: confinement: this kernel has no Landlock (or a tool such as valgrind "
            "runs the daemon): file access is not restricted");
    if ((sc = helperd_seccomp_available()) == 0) {
        helperd_reportf(
            report, ctx,
            "warning: confinement: this kernel has no seccomp filter (or a tool such as "
            "valgrind runs the daemon): system calls are not restricted");
    } else if (helperd_seccomp_apply(report, ctx) != 0) {
        return -1;
    }
    if (sc != 0 && ll > 0)
        helperd_reportf(report, ctx, "confined: seccomp filter and Landlock");
    else if (sc != 0 || ll > 0)
        helperd_reportf(report, ctx, "confined: %s only", sc != 0 ? "seccomp filter" : "Landlock");
    else
        helperd_reportf(report, ctx,
                        "warning: not confined: neither seccomp nor Landlock available");
    return 0;
}

/* Whether a and b name files in the same directory (text up to the last
 * '/'): the Landlock rules are on directories. */
static bool
same_dir(const char *a, const char *b)
{
    const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
    size_t la = sa == NULL ? 0 : (size_t)(sa - a), lb = sb == NULL ? 0 : (size_t)(sb - b);

    return la == lb && memcmp(a, b, la) == 0;
}

bool
helperd_confine_covers(const struct helperd_conf *current, const struct helperd_conf *fresh,
                       helperd_report_fn report, void *ctx)
{
    const struct {
        const char *key, *now, *next;
    } files[] = {
        {"signing_key", current->signing_key, fresh->signing_key},
        {"jwks", current->jwks, fresh->jwks},
        {"refresh_key", current->refresh_key, fresh->refresh_key},
        {"users", current->users, fresh->users},
        {"revocation", current->revocation, fresh->revocation},
    };
    bool ok = true;

    if (!landlock_in_force)
        return true;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (same_dir(files[i].now, files[i].next))
            continue;
        helperd_reportf(
            report, ctx,
            "error: SIGHUP: %s %s is outside the directories the daemon confined itself to "
            "at start: restart jwt-helperd to use it",
            files[i].key, files[i].next);
        ok = false;
    }
    return ok;
}
