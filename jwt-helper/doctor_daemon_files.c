/* SPDX-License-Identifier: MIT */
/* `jwt-helper doctor`: the owner and mode of jwt-helperd's files, held to
 * the table of jwt-helperd(8) FILES. A file with more permission bits than
 * the table's, or an owner or group outside it, is an error: whoever else
 * can write a key set or a policy grants logins, whoever else can read the
 * signing key or the refresh secret mints tokens. Fewer bits, or root
 * owning a file, are never unsafe (the daemon says so if it then cannot
 * use the file). */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "doctor_daemon.h"

/* One row of the table; owner/group NULL: the daemon's user (conf->user). */
struct file_rule {
    const char *path;
    bool dir;
    const char *owner, *group; /* group NULL too: any group, its bits must match the table */
    bool group_is_daemon;
    mode_t mode;
    const char *what;
};

/* The name of uid or gid, for the message. */
static void
name_of(bool group, unsigned id, char *buf, size_t len)
{
    const struct passwd *pw = group ? NULL : getpwuid(id);
    const struct group *gr = group ? getgrgid(id) : NULL;

    if (pw != NULL || gr != NULL)
        snprintf(buf, len, "%s", pw != NULL ? pw->pw_name : gr->gr_name);
    else
        snprintf(buf, len, "%u", id);
}

/* True when id is root or the account name names (a user, or a group). */
static bool
id_is(bool group, unsigned id, const char *name)
{
    const struct group *gr = group ? getgrnam(name) : NULL;
    uid_t uid;

    if (id == 0)
        return true;
    if (group)
        return gr != NULL && gr->gr_gid == id;
    return jwt_user_find(name, &uid, NULL) == 0 && uid == id;
}

static bool
is_unsafe(const struct file_rule *f, const struct stat *st, const char *daemon_user)
{
    const char *owner = f->owner != NULL ? f->owner : daemon_user;
    bool group_bits = (st->st_mode & 070 & f->mode) != 0;

    if ((bool)S_ISDIR(st->st_mode) != f->dir || (!f->dir && !S_ISREG(st->st_mode)))
        return true;
    if ((st->st_mode & 07777 & ~f->mode) != 0 || !id_is(false, st->st_uid, owner))
        return true;
    /* the group the table lets read: any other group reading is another reader */
    return f->group_is_daemon && group_bits && !id_is(true, st->st_gid, daemon_user);
}

static void
check_file(struct doctor *d, const struct file_rule *f, const char *daemon_user)
{
    char owner[64], group[64], want[160];
    struct stat st;

    if (lstat(f->path, &st) != 0) {
        if (errno == EACCES)
            doctor_unreadable(d, f->path, strerror(errno), "its owner and mode");
        return; /* a file not there yet: the daemon or its package makes it */
    }
    /* pam_jwt's own reader may have refused it already (the policy check) */
    if (!is_unsafe(f, &st, daemon_user) || doctor_path_has_error(d, f->path))
        return;
    name_of(false, st.st_uid, owner, sizeof(owner));
    name_of(true, st.st_gid, group, sizeof(group));
    snprintf(want, sizeof(want), "%s%s%s", f->owner != NULL ? f->owner : daemon_user,
             f->group != NULL || f->group_is_daemon ? ":" : "",
             f->group != NULL     ? f->group
             : f->group_is_daemon ? daemon_user
                                  : "");
    doctor_finding(d, DOCTOR_ERROR, f->path, 0,
                   "%s %s:%s %04o is unsafe (%s); make it %s %s %04o (jwt-helperd(8) FILES)",
                   S_ISDIR(st.st_mode)   ? "directory"
                   : S_ISREG(st.st_mode) ? "file"
                                         : "non-file",
                   owner, group, (unsigned)(st.st_mode & 07777), f->what,
                   f->dir ? "a directory" : "a regular file", want, (unsigned)f->mode);
}

void
doctor_daemon_files_check(struct doctor *d, const struct helperd_conf *conf)
{
    char conf_dir[] = HELPERD_CONF_DEFAULT_PATH, users_dir[4096];

    if (snprintf(users_dir, sizeof(users_dir), "%s", conf->users) >= (int)sizeof(users_dir))
        return; /* helperd_conf bounds paths well below PATH_MAX */
    const struct file_rule rules[] = {
        {dirname(conf_dir), true, "root", "root", false, 0755, "whoever writes it replaces keys"},
        {HELPERD_CONF_DEFAULT_PATH, false, "root", "root", false, 0644,
         "whoever writes it changes what tokens grant"},
        {conf->signing_key, false, "root", NULL, true, 0640,
         "whoever reads it mints tokens; whoever writes it signs with a key of theirs"},
        {conf->refresh_key, false, "root", NULL, true, 0640,
         "whoever reads it mints refresh tokens"},
        {conf->jwks, false, "root", "root", false, 0644, "whoever writes it grants logins"},
        {dirname(users_dir), true, NULL, NULL, true, 0700,
         "whoever writes in it replaces the user records"},
        {conf->users, false, NULL, NULL, false, 0600,
         "it holds password hashes and who may log in"},
        {conf->revocation, false, NULL, NULL, false, 0644, "whoever writes it un-revokes users"},
    };

    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
        check_file(d, &rules[i], conf->user);
}
