/* SPDX-License-Identifier: MIT */
/* `jwt-helper doctor`: does sshd run its PAM stack and show pam_jwt's
 * prompt? Asks `sshd -T` (the configuration sshd itself would use, every
 * Include and default applied) with a time limit where sshd is installed,
 * else reads sshd_config and its Includes (doctor_sshd_config.c). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doctor.h"

#define SSHD_PATH "/usr/sbin/sshd"
#define SSHD_CONFIG "/etc/ssh/sshd_config"

/* Sets v from key's line in sshd -T's output ("key value" lines, keys in
 * lower case); left empty when absent. */
static void
sshd_t_value(const char *text, const char *key, struct doctor_sshd_value *v)
{
    size_t klen = strlen(key);

    for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p) {
        if (strncmp(p, key, klen) == 0 && p[klen] == ' ') {
            snprintf(v->value, sizeof(v->value), "%.*s", (int)strcspn(p + klen + 1, "\n"),
                     p + klen + 1);
            snprintf(v->path, sizeof(v->path), "%s", SSHD_CONFIG);
            return;
        }
    }
}

/* The first line of sshd's complaint, for the message. */
static const char *
first_line(char *text)
{
    text[strcspn(text, "\n")] = '\0';
    return text[0] != '\0' ? text : "no answer";
}

/* Fills the values from sshd -T. Returns 0, or -1 when sshd failed (said). */
static int
ask_sshd(struct doctor *d, struct doctor_sshd_value *usepam, struct doctor_sshd_value *kbd,
         struct doctor_sshd_value *password, struct doctor_sshd_value *root)
{
    char *argv[] = {SSHD_PATH, "-T", NULL}, *text = NULL;
    int rc = -1;

    if (doctor_run(argv, &text) != 0) {
        doctor_unreadable(d, SSHD_CONFIG, text != NULL ? first_line(text) : "out of memory",
                          "sshd's UsePAM and prompts (sshd -T failed)");
        goto out;
    }
    sshd_t_value(text, "usepam", usepam);
    sshd_t_value(text, "kbdinteractiveauthentication", kbd);
    sshd_t_value(text, "passwordauthentication", password);
    sshd_t_value(text, "permitrootlogin", root);
    rc = 0;
out:
    free(text);
    return rc;
}

void
doctor_sshd_check(struct doctor *d)
{
    struct doctor_sshd_value use_pam = {0}, kbd = {0}, password = {0}, root = {0};
    int rc;

    /* without sshd its files may still be there (a removed package keeps
     * its conffiles), and a later install takes them as they are */
    if (access(SSHD_PATH, X_OK) == 0)
        rc = ask_sshd(d, &use_pam, &kbd, &password, &root);
    else
        rc = doctor_sshd_config_read(d, SSHD_CONFIG, &use_pam, &kbd, &password, &root);
    if (rc != 0)
        return;
    if (strcmp(use_pam.value, "no") == 0)
        doctor_finding(d, DOCTOR_ERROR, use_pam.path, use_pam.line,
                       "UsePAM no: sshd never runs its PAM stack, so no token logs in; set "
                       "UsePAM yes");
    if (strcmp(kbd.value, "no") == 0 && strcmp(password.value, "no") == 0)
        doctor_finding(d, DOCTOR_ERROR, kbd.line != 0 ? kbd.path : password.path,
                       kbd.line != 0 ? kbd.line : password.line,
                       "KbdInteractiveAuthentication and PasswordAuthentication are both off: "
                       "no prompt reaches pam_jwt; set KbdInteractiveAuthentication yes");
    d->permit_root_login = root;
}
