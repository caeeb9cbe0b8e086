/* SPDX-License-Identifier: MIT */
/* `jwt-helper doctor`: the policy pam_jwt applies at one stack line, read
 * with the module's own conf_load, and the files that policy names. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "doctor.h"
#include "jwt.h"
#include "proto.h"

struct policy_report {
    struct doctor *d;
    const struct pamstack_entry *e;
};

/* conf_load's messages about a file name "file:line" themselves
 * (conf_complain); those about module arguments get the stack line's. */
static void
report_conf(void *ctx, const char *message)
{
    struct policy_report *pr = ctx;
    bool warning = strncmp(message, "warning: ", 9) == 0;
    const char *text = warning ? message + 9 : message;
    bool located = text[0] == '/';

    doctor_finding(pr->d, warning ? DOCTOR_WARNING : DOCTOR_ERROR, located ? NULL : pr->e->file,
                   located ? 0 : pr->e->line, "%s; see pam_jwt.conf(5)", text);
}

/* One file the policy names, judged with the reader pam_jwt uses (r is
 * what that reader returned, err its errno). */
static void
judge_file(struct doctor *d, const char *what, const char *path, jwt_result r, int err)
{
    if (r == JWT_OK)
        return;
    if (r == JWT_ERR_FILE_OPEN && err == EACCES) {
        doctor_unreadable(d, path, strerror(err), what);
        return;
    }
    if (r == JWT_ERR_FILE_OPEN && err == ENOENT)
        doctor_finding(d, DOCTOR_ERROR, path, 0,
                       "the %s pam_jwt.conf names is missing, so every token login fails; "
                       "create it or change the option",
                       what);
    else if (r == JWT_ERR_FILE_UNSAFE)
        doctor_finding(d, DOCTOR_ERROR, path, 0,
                       "the %s has an unsafe owner or mode, so pam_jwt refuses it; make it a "
                       "regular file owned by root (the revocation list: or %s), not writable "
                       "by group or others",
                       what, JWT_DAEMON_USER);
    else
        doctor_finding(d, DOCTOR_ERROR, path, 0, "the %s is not usable (%s); replace it", what,
                       jwt_result_str(r));
}

static void
check_files(struct doctor *d, const struct conf *c)
{
    struct jwt_jwks *keys = NULL;
    struct jwt_revocation *list = NULL;
    jwt_result r;

    if (c->jwks != NULL) {
        errno = 0;
        r = jwt_jwks_load(c->jwks, &keys);
        judge_file(d, "key set", c->jwks, r, errno);
        jwt_jwks_free(keys);
        keys = NULL;
    }
    if (c->key != NULL) {
        errno = 0;
        r = jwt_jwks_add_pem(c->key, &keys);
        judge_file(d, "public key", c->key, r, errno);
        jwt_jwks_free(keys);
    }
    if (c->revocation != NULL) {
        errno = 0;
        r = jwt_revocation_load(c->revocation, jwt_daemon_uid(), &list);
        judge_file(d, "revocation list", c->revocation, r, errno);
        jwt_revocation_free(list);
    }
}

/* No scope: a token issued for any service (a git server's, another
 * host's ssh) logs in here too. */
static void
check_scope(struct doctor *d, const char *service, const struct pamstack_entry *e,
            const struct conf *c)
{
    if (c->n_scopes > 0)
        return;
    doctor_finding(d, DOCTOR_ERROR, e->file, e->line,
                   "service %.64s: pam_jwt requires no scope, so a token issued for any service "
                   "logs in here; set scope (scope = %%s names the service) globally or in a "
                   "service block of %s",
                   service, CONF_DEFAULT_PATH);
}

/* An audience other than host:... is an OpenID Provider's or a typo: a
 * token for it is good on every host that accepts it. */
static void
check_audiences(struct doctor *d, const struct pamstack_entry *e, const struct conf *c)
{
    char q[CONF_QUOTED_SIZE];

    for (size_t i = 0; i < c->n_audiences; i++) {
        if (strncasecmp(c->audiences[i], "host:", 5) == 0)
            continue;
        conf_quote(c->audiences[i], strlen(c->audiences[i]), q, sizeof(q));
        doctor_finding(d, DOCTOR_WARNING, e->file, e->line,
                       "audience %s is not host-bound, so one token logs in on every host "
                       "that accepts it; fine for an OpenID Provider's audience, else use "
                       "host:%%h",
                       q);
    }
}

bool
doctor_service_is_sudo(const char *service)
{
    /* sudo -i runs as the service sudo-i (the shipped conf/pam_jwt.conf's block) */
    return strcmp(service, "sudo") == 0 || strcmp(service, "sudo-i") == 0;
}

void
doctor_policy_check(struct doctor *d, const char *service, const struct pamstack_entry *e)
{
    struct policy_report pr = {d, e};
    const char *args[PAMSTACK_MAX_ARGS];
    struct conf c;
    int fd;

    memset(&c, 0, sizeof(c));
    /* conf_load treats a missing default file as fine: only a file there
     * that we may not read makes this check impossible. */
    if ((fd = open(CONF_DEFAULT_PATH, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 && errno == EACCES) {
        doctor_unreadable(d, CONF_DEFAULT_PATH, strerror(errno),
                          "the policy of pam_jwt's services");
        return;
    }
    if (fd >= 0)
        close(fd);
    for (int i = 0; i < e->argc; i++)
        args[i] = e->argv[i];
    if (conf_load(&c, CONF_DEFAULT_PATH, service, e->argc, args, report_conf, &pr) != CONF_OK)
        return; /* every problem was reported */
    check_scope(d, service, e, &c);
    check_audiences(d, e, &c);
    check_files(d, &c);
    if (c.n_scopes > 0)
        doctor_need_add(d, service, c.scopes, c.n_scopes);
    if (c.max_auth_age >= 0 && doctor_service_is_sudo(service))
        doctor_sudo_check(d, service, (long long)c.max_auth_age);
    conf_free(&c);
}
