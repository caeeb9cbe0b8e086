/* SPDX-License-Identifier: MIT */
/* `jwt-helper doctor`: when jwt-helperd is configured on this host (its
 * configuration file or its signing key is there), loads its configuration
 * and user records and runs the checks of its setup. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor_daemon.h"

#define DEFAULT_SIGNING_KEY "/etc/jwt-helper/signing.jwk"

/* helperd_conf_load's messages name "path:line" themselves. */
static void
report_conf(void *ctx, const char *message)
{
    bool warning = strncmp(message, "warning: ", 9) == 0;

    doctor_finding(ctx, warning ? DOCTOR_WARNING : DOCTOR_ERROR, NULL, 0, "%s; see jwt-helperd(8)",
                   warning ? message + 9 : message);
}

static bool
daemon_is_configured(void)
{
    struct stat st;

    return lstat(HELPERD_CONF_DEFAULT_PATH, &st) == 0 || lstat(DEFAULT_SIGNING_KEY, &st) == 0;
}

/* The user records, or NULL when there are none to read (said why). */
static struct userdb *
users_load(struct doctor *d, const struct helperd_conf *conf)
{
    uid_t uid;
    struct userdb *db = NULL;
    userdb_result r;
    bool known = jwt_user_find(conf->user, &uid, NULL) == 0;

    errno = 0;
    r = userdb_load(conf->users, known ? (long)uid : -1, &db);
    if (r == USERDB_OK)
        return db;
    if (r == USERDB_ERR_IO && errno == EACCES)
        doctor_unreadable(d, conf->users, strerror(errno),
                          "the user names in token sizes, root's token logins");
    /* an unsafe file is the files check's finding; others the daemon's own */
    return NULL;
}

/* sshd refuses root a PAM login unless PermitRootLogin yes (it hands PAM
 * a made-up password), so a root record's token logins to sshd fail. */
static void
check_root_login(struct doctor *d, const struct userdb *users)
{
    const struct doctor_sshd_value *v = &d->permit_root_login;
    const struct userdb_record *root;

    if (users == NULL || v->value[0] == '\0' || strcmp(v->value, "yes") == 0 ||
        (root = userdb_find(users, "root")) == NULL || root->locked)
        return;
    doctor_finding(d, DOCTOR_WARNING, v->path, v->line,
                   "PermitRootLogin %s: sshd gives PAM a made-up password for root, so the "
                   "token logins of jwt-helperd's user root fail at sshd; fine when meant",
                   v->value);
}

void
doctor_daemon_check(struct doctor *d)
{
    struct helperd_conf *conf = NULL;
    struct userdb *users = NULL;
    int fd;

    if (!daemon_is_configured())
        return; /* a host that only verifies tokens */
    if ((fd = open(HELPERD_CONF_DEFAULT_PATH, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 &&
        errno == EACCES) {
        doctor_unreadable(d, HELPERD_CONF_DEFAULT_PATH, strerror(errno),
                          "jwt-helperd's files, keys and token sizes");
        return;
    }
    if (fd >= 0)
        close(fd);
    if (helperd_conf_load(NULL, false, report_conf, d, &conf) != CONF_OK)
        return; /* every problem was reported */
    doctor_daemon_files_check(d, conf);
    doctor_keys_check(d, conf);
    users = users_load(d, conf);
    doctor_tokens_check(d, conf, users);
    check_root_login(d, users);
    userdb_free(users);
    helperd_conf_free(conf);
}
