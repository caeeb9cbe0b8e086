/* SPDX-License-Identifier: MIT */
/* `jwt-helper doctor`: does sudo's credential cache outlive the sudo
 * block's max_auth_age? sudo reuses a login for timestamp_timeout minutes
 * (sudoers(5), 15 by default) without asking PAM again. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"

#define SUDOERS "/etc/sudoers"
#define SUDOERS_DIR "/etc/sudoers.d"
#define SUDOERS_MAX_BYTES (256 * 1024)
#define SUDO_DEFAULT_MINUTES 15.0

/* The longest cache a login may get, and where it was set. */
struct sudo_timeout {
    double generic; /* the last plain "Defaults" value: it wins (minutes; INFINITY: never) */
    char generic_at[512];
    size_t generic_line;
    double qualified; /* the longest "Defaults:user" (or @host, !cmd, >runas) value */
    char qualified_at[512];
    size_t qualified_line;
};

/* Parses the value after "timestamp_timeout" at p: blanks, '=', blanks, a
 * number of minutes (a fraction allowed; negative: never expires). */
static bool
parse_minutes(const char *p, double *out)
{
    char *end;
    double v;

    p += strspn(p, " \t");
    if (*p++ != '=')
        return false;
    p += strspn(p, " \t");
    errno = 0;
    v = strtod(p, &end);
    if (end == p || errno != 0 || !isfinite(v) || (*end != '\0' && strchr(", \t", *end) == NULL))
        return false;
    *out = v < 0 ? INFINITY : v;
    return true;
}

/* Returns true when s (blanks skipped) is a Defaults entry; *qualified
 * tells "Defaults:user" and the like from the plain one. */
static bool
is_defaults(const char *s, bool *qualified)
{
    if (strncmp(s, "Defaults", 8) != 0 || s[8] == '\0')
        return false;
    *qualified = strchr(":@!>", s[8]) != NULL;
    return *qualified || s[8] == ' ' || s[8] == '\t';
}

/* One sudoers line: a Defaults entry setting timestamp_timeout updates t. */
static void
take_line(struct doctor *d, struct sudo_timeout *t, const char *path, size_t line, const char *s)
{
    const char *setting;
    bool qualified = false;
    double v;

    s += strspn(s, " \t");
    if (!is_defaults(s, &qualified) || (setting = strstr(s, "timestamp_timeout")) == NULL)
        return;
    if (!parse_minutes(setting + strlen("timestamp_timeout"), &v)) {
        doctor_finding(d, DOCTOR_WARNING, path, line,
                       "a timestamp_timeout doctor cannot read; write timestamp_timeout=MINUTES");
        return;
    }
    if (!qualified) {
        t->generic = v;
        snprintf(t->generic_at, sizeof(t->generic_at), "%s", path);
        t->generic_line = line;
    } else if (v > t->qualified) {
        t->qualified = v;
        snprintf(t->qualified_at, sizeof(t->qualified_at), "%s", path);
        t->qualified_line = line;
    }
}

/* Reads one sudoers file's Defaults into t. A file we may not read makes
 * the check one not made. */
static void
read_sudoers(struct doctor *d, struct sudo_timeout *t, const char *path)
{
    char *text = NULL, *p, *nl;
    size_t len = 0, line = 1;

    if (doctor_text_read(path, SUDOERS_MAX_BYTES, &text, &len) != 0) {
        if (errno != ENOENT)
            doctor_unreadable(d, path, strerror(errno), "sudo's timestamp_timeout");
        return;
    }
    if (len > SUDOERS_MAX_BYTES) {
        doctor_unreadable(d, path, "larger than 256 KiB", "sudo's timestamp_timeout");
        free(text);
        return;
    }
    for (p = text; p != NULL; p = nl != NULL ? nl + 1 : NULL, line++) {
        if ((nl = strchr(p, '\n')) != NULL)
            *nl = '\0';
        take_line(d, t, path, line, p);
    }
    free(text);
}

/* sudo's @includedir skips names with a '.' and names ending in '~'. */
static int
is_sudoers_part(const struct dirent *de)
{
    size_t len = strlen(de->d_name);

    return strchr(de->d_name, '.') == NULL && len > 0 && de->d_name[len - 1] != '~';
}

/* Reads /etc/sudoers, then /etc/sudoers.d in sudo's (lexical) order. */
static void
read_all_sudoers(struct doctor *d, struct sudo_timeout *t)
{
    struct dirent **names = NULL;
    char path[4096];
    int n;

    read_sudoers(d, t, SUDOERS);
    if ((n = scandir(SUDOERS_DIR, &names, is_sudoers_part, alphasort)) < 0) {
        if (errno != ENOENT)
            doctor_unreadable(d, SUDOERS_DIR, strerror(errno), "sudo's timestamp_timeout");
        return;
    }
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", SUDOERS_DIR, names[i]->d_name);
        read_sudoers(d, t, path);
        free(names[i]);
    }
    free(names);
}

void
doctor_sudo_check(struct doctor *d, const char *service, long long max_auth_age)
{
    struct sudo_timeout t = {.generic = SUDO_DEFAULT_MINUTES, .qualified = -1.0};
    bool by_qualified;
    double minutes;

    read_all_sudoers(d, &t);
    by_qualified = t.qualified > t.generic;
    minutes = by_qualified ? t.qualified : t.generic;
    if (minutes * 60.0 <= (double)max_auth_age)
        return;
    if (!by_qualified && t.generic_line == 0)
        doctor_finding(d, DOCTOR_ERROR, SUDOERS, 0,
                       "sudo's default timestamp_timeout (15 minutes) outlives service %.64s's "
                       "max_auth_age (%lld s): sudo reuses a login without asking pam_jwt; add "
                       "Defaults timestamp_timeout=0 in %s",
                       service, max_auth_age, SUDOERS_DIR);
    else
        doctor_finding(d, DOCTOR_ERROR, by_qualified ? t.qualified_at : t.generic_at,
                       by_qualified ? t.qualified_line : t.generic_line,
                       "timestamp_timeout (%s%g minutes) outlives service %.64s's max_auth_age "
                       "(%lld s): sudo reuses a login without asking pam_jwt; set it to 0",
                       isinf(minutes) ? "never expires, " : "", isinf(minutes) ? 0.0 : minutes,
                       service, max_auth_age);
}
