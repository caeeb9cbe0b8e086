/* SPDX-License-Identifier: MIT */
/* `jwt-helper doctor` (jwt-helper(1), doctor): walks /etc/pam.d, and for each service
 * whose auth stack reaches pam_jwt judges the stack and its policy. Reads
 * only; changes nothing. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "doctor.h"
#include "jwt.h"

/* Says why the stack file at path could not be read (errno set). */
static void
report_unread(struct doctor *d, const char *path)
{
    if (errno == EACCES || errno == ENOMEM)
        doctor_unreadable(d, path, strerror(errno), "the PAM stacks that use it");
    else if (errno == EINVAL)
        doctor_finding(d, DOCTOR_ERROR, path, 0, "not a regular file; make it one");
    else
        doctor_finding(d, DOCTOR_ERROR, path, 0,
                       "cannot read it (%s), so libpam fails every stack that uses it; "
                       "create it or drop the include",
                       strerror(errno));
}

/* pamstack_read_fn. A stack file decides who logs in, so it is held to
 * the rules of the files that grant access (jwt_file_read: owner root,
 * not writable by group or others). libpam follows symlinks in /etc/pam.d,
 * which jwt_file_read refuses: those are read as they are. */
static int
read_stack_file(void *ctx, const char *path, char **text, size_t *len)
{
    struct doctor *d = ctx;
    jwt_result r;

    errno = 0;
    r = jwt_file_read(path, PAMSTACK_MAX_FILE_BYTES, -1, text, len);
    if (r == JWT_OK)
        return 0;
    if (r == JWT_ERR_FILE_OPEN && errno == ELOOP) {
        if (doctor_text_read(path, PAMSTACK_MAX_FILE_BYTES, text, len) == 0)
            return 0;
    } else if (r == JWT_ERR_FILE_UNSAFE || r == JWT_ERR_FILE_TOO_BIG) {
        doctor_finding(d, DOCTOR_ERROR, path, 0,
                       "%s: whoever can write it decides who logs in; make it a regular file "
                       "owned by root, not writable by group or others, under 256 KiB",
                       jwt_result_str(r));
        return -1;
    }
    report_unread(d, path);
    return -1;
}

/* pamstack_report_fn: a line libpam would not read as written. */
static void
report_stack(void *ctx, const char *path, size_t line, const char *message)
{
    doctor_finding(ctx, DOCTOR_ERROR, path, line, "%s; fix the line (pam.d(5))", message);
}

/* Files in /etc/pam.d that name no service: hidden files, editors' and
 * dpkg's or ucf's leftovers, and Debian's common-* files, which services
 * include (judged there, with each service's own policy). */
static int
is_service_file(const struct dirent *de)
{
    const char *name = de->d_name;
    size_t len = strlen(name);

    return name[0] != '.' && name[len - 1] != '~' && strstr(name, ".dpkg-") == NULL &&
           strstr(name, ".ucf-") == NULL && strncmp(name, "common-", 7) != 0;
}

struct policy_visit {
    struct doctor *d;
    const char *service;
};

static void
check_policy_at(void *ctx, const struct pamstack_entry *e)
{
    const struct policy_visit *v = ctx;

    if (doctor_is_pam_jwt(e))
        doctor_policy_check(v->d, v->service, e);
}

static void
judge_service(struct doctor *d, const char *service)
{
    struct pamstack_source src = {DOCTOR_PAMD_DIR, read_stack_file, report_stack, d};
    struct policy_visit visit = {d, service};
    struct pamstack_chain *chain = NULL;

    if (pamstack_build(&src, service, &chain) != 0)
        return; /* the reader said why */
    if (doctor_stack_check(d, service, chain)) {
        doctor_reaching_add(d, service);
        pamstack_each_module(chain, check_policy_at, &visit);
        if (strcmp(service, "sshd") == 0)
            doctor_sshd_check(d);
    }
    pamstack_chain_free(chain);
}

int
cli_doctor(int argc, char **argv)
{
    struct dirent **names = NULL;
    struct doctor d;
    int n;

    (void)argv;
    if (argc != 1) {
        fputs("usage: jwt-helper doctor\n", stderr);
        return CLI_EXIT_USAGE;
    }
    memset(&d, 0, sizeof(d));
    if ((n = scandir(DOCTOR_PAMD_DIR, &names, is_service_file, alphasort)) < 0)
        doctor_unreadable(&d, DOCTOR_PAMD_DIR, strerror(errno), "every PAM stack");
    for (int i = 0; i < n; i++) {
        judge_service(&d, names[i]->d_name);
        free(names[i]);
    }
    free(names);
    doctor_sudo_services_check(&d);
    doctor_daemon_check(&d);
    doctor_jwks_sync_check(&d);
    return doctor_finish(&d);
}
