/* SPDX-License-Identifier: MIT */
/* `jwt-helper doctor` (jwt-helper(1), doctor): its findings and its checks. */
#ifndef PAM_JWT_DOCTOR_H
#define PAM_JWT_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "doctor_pamstack.h"

#define DOCTOR_PAMD_DIR "/etc/pam.d"

/* A service whose stack reaches pam_jwt, and the scope words (space-
 * separated) its policy requires: what a token for it must carry. */
struct doctor_need {
    char *service;
    char *scope;
};

/* One sshd setting as sshd would use it, and where it was set (line 0:
 * sshd -T's answer, or sshd's built-in default). */
struct doctor_sshd_value {
    char value[32];
    char path[256];
    size_t line;
};

/* What one run found so far. Zeroed before the first finding. */
struct doctor {
    size_t errors, warnings, unreadable;
    char **seen; /* every finding printed, so one said through many stacks shows once */
    size_t n_seen;
    struct doctor_need *needs; /* filled while the stacks are judged */
    size_t n_needs;
    struct doctor_sshd_value permit_root_login; /* value "" unless sshd's stack uses pam_jwt */
    char **reaching;                            /* the services whose auth stack reaches pam_jwt */
    size_t n_reaching;
};

enum doctor_level { DOCTOR_ERROR, DOCTOR_WARNING };

/* Prints "error|warning: PATH[:LINE]: MESSAGE" (LINE when not 0; path NULL
 * when MESSAGE starts with its own "PATH:LINE: "; bytes outside printable
 * ASCII escaped) unless that exact line was printed
 * before, and counts it. */
void doctor_finding(struct doctor *d, enum doctor_level level, const char *path, size_t line,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Returns true when an error about path was printed (so a second check of
 * the same file says nothing more). */
bool doctor_path_has_error(const struct doctor *d, const char *path);
/* Says on stderr that path could not be read (reason: strerror's, or the
 * tool's own words) and which check was not made; the run then exits 4. */
void doctor_unreadable(struct doctor *d, const char *path, const char *reason, const char *check);
/* Prints the summary line, frees what d holds and returns the exit code:
 * 4 when something could not be read, else 1 with an error, else 0. */
int doctor_finish(struct doctor *d);

/* Reads the regular file at path whole when it holds at most cap bytes
 * (a larger one comes back cut at cap + 1 bytes: the caller sees it is too
 * large). Returns 0 with *text malloc'd and NUL-terminated (the caller
 * frees), or -1 with errno set (EINVAL: not a regular file). */
int doctor_text_read(const char *path, size_t cap, char **text, size_t *len);

#define DOCTOR_RUN_MAX_BYTES (256 * 1024)
/* Runs argv[0] (an absolute path) with argv, stdout and stderr into one
 * pipe, killed after 10 seconds without output. Returns its exit status
 * (-1: could not run, or killed) with *out its output, at most
 * DOCTOR_RUN_MAX_BYTES (NUL-terminated, the caller frees; NULL when out of
 * memory). */
int doctor_run(char *const argv[], char **out);

/* Judges one service's auth chain: what a failed and a valid token make of
 * it (doctor_stack.c). Returns false, saying nothing, when the chain does
 * not reach pam_jwt. */
bool doctor_stack_check(struct doctor *d, const char *service, const struct pamstack_chain *chain);
/* Judges sshd's own configuration as `sshd -T` gives it, when sshd is
 * installed (doctor_sshd.c): UsePAM, and a prompt that reaches PAM. */
void doctor_sshd_check(struct doctor *d);
/* Judges the policy pam_jwt applies at line e of service: conf_load of
 * /etc/security/pam_jwt.conf with e's arguments, then the scope, the
 * audiences and the files it names (doctor_policy.c). */
void doctor_policy_check(struct doctor *d, const char *service, const struct pamstack_entry *e);
/* Judges sudo's credential cache (timestamp_timeout in the Defaults of
 * /etc/sudoers and /etc/sudoers.d) against service's max_auth_age in
 * seconds (doctor_sudo.c). */
void doctor_sudo_check(struct doctor *d, const char *service, long long max_auth_age);
/* Remembers that service's policy requires the scope words scopes[0..n)
 * (once per service and scope; out of memory: forgotten). */
void doctor_need_add(struct doctor *d, const char *service, char *const *scopes, size_t n);
/* Remembers that service's auth stack reaches pam_jwt (out of memory:
 * forgotten). */
void doctor_reaching_add(struct doctor *d, const char *service);
/* Returns true when service's auth stack was found to reach pam_jwt. */
bool doctor_is_reaching(const struct doctor *d, const char *service);
/* Asks `sudo -V` which PAM services sudo and sudo -i use, and warns when
 * only one of them reaches pam_jwt (doctor_sudo_services.c). */
void doctor_sudo_services_check(struct doctor *d);
/* Returns true for the PAM services of sudo (sudo -i runs as sudo-i). */
bool doctor_service_is_sudo(const char *service);
/* Judges the daemon's files, keys and token sizes when jwt-helperd is
 * configured on this host (doctor_daemon.c); after every stack was judged. */
void doctor_daemon_check(struct doctor *d);
/* Reads sshd_config and its Includes as sshd would, without sshd
 * (doctor_sshd_config.c): fills usepam, kbd, password and root with the
 * first value each gets outside a Match block, else sshd's default.
 * Returns 0, or -1 when there is no main file or a file could not be read
 * (said why). */
int doctor_sshd_config_read(struct doctor *d, const char *path, struct doctor_sshd_value *usepam,
                            struct doctor_sshd_value *kbd, struct doctor_sshd_value *password,
                            struct doctor_sshd_value *root);
/* Judges each provider key set /etc/jwt-helper/jwks-sync/NAME.conf keeps:
 * the file as `jwks sync` parses it, and a stamp over a day old
 * (doctor_jwks_sync.c). */
void doctor_jwks_sync_check(struct doctor *d);
/* Returns true when e is a pam_jwt line. */
bool doctor_is_pam_jwt(const struct pamstack_entry *e);

#endif
