/* SPDX-License-Identifier: MIT */
/* `jwt-helper doctor`: which PAM services sudo uses, as `sudo -V` tells
 * root ("PAM service name to use" and, for `sudo -i`, "...
 * for login shells": sudo-i where sudo was built --with-pam-login, as
 * Debian's is). When only one of the two reaches pam_jwt, the other way
 * in ignores tokens and asks for whatever its own stack asks. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doctor.h"

#define SUDO_PATH "/usr/bin/sudo"
#define SERVICE_LINE "PAM service name to use: "
#define LOGIN_LINE "PAM service name to use for login shells: "

/* Copies the rest of the line after label in text into val (a PAM service
 * name: letters, digits, '.', '_', '-'); false when absent or odd. */
static bool
line_value(const char *text, const char *label, char *val, size_t len)
{
    const char *p = strstr(text, label);
    size_t n;

    if (p == NULL)
        return false;
    p += strlen(label);
    n = strcspn(p, "\n");
    if (n == 0 || n >= len ||
        strspn(p, "abcdefghijklmnopqrstuvwxyz"
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
        return false;
    memcpy(val, p, n);
    val[n] = '\0';
    return true;
}

static void
warn_one_way(struct doctor *d, const char *with, const char *without, const char *how)
{
    char path[128];

    snprintf(path, sizeof(path), "%s/%s", DOCTOR_PAMD_DIR, without);
    if (doctor_path_has_error(d, path))
        return; /* it could not be judged: that error says enough */
    doctor_finding(d, DOCTOR_WARNING, path, 0,
                   "sudo runs %s as PAM service %s (sudo -V), whose auth stack does not reach "
                   "pam_jwt while %s's does: there sudo ignores tokens; give it the lines of "
                   "%s/%s, or fine when meant",
                   how, without, with, DOCTOR_PAMD_DIR, with);
}

void
doctor_sudo_services_check(struct doctor *d)
{
    char *argv[] = {SUDO_PATH, "-V", NULL}, *text = NULL;
    char service[64], login[64];

    if (access(SUDO_PATH, X_OK) != 0)
        return; /* no sudo */
    if (doctor_run(argv, &text) != 0 || text == NULL) {
        doctor_unreadable(d, SUDO_PATH, "sudo -V failed", "the PAM services sudo uses");
        goto out;
    }
    if (!line_value(text, SERVICE_LINE, service, sizeof(service)) ||
        !line_value(text, LOGIN_LINE, login, sizeof(login))) {
        /* sudo names its services to root only; a sudo without PAM has none */
        if (geteuid() != 0)
            doctor_unreadable(d, SUDO_PATH, "sudo -V names its PAM services to root only",
                              "the PAM services sudo uses");
        goto out;
    }
    if (strcmp(service, login) == 0)
        goto out;
    if (doctor_is_reaching(d, service) && !doctor_is_reaching(d, login))
        warn_one_way(d, service, login, "sudo -i");
    else if (doctor_is_reaching(d, login) && !doctor_is_reaching(d, service))
        warn_one_way(d, login, service, "plain sudo");
out:
    free(text);
}
