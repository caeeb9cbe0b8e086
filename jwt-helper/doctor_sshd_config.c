/* SPDX-License-Identifier: MIT */
/* `jwt-helper doctor`: sshd_config and its Includes read directly, for a
 * host where sshd itself cannot be asked (sshd_config(5)): keywords are
 * case-insensitive, "keyword value" or "keyword=value", the first value a
 * keyword gets wins, Include takes globs (relative ones under /etc/ssh) in
 * place, and a Match block (to the next "Match all" or its file's end)
 * is not the global configuration. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "doctor.h"

#define SSHD_DIR "/etc/ssh"
#define SSHD_CONFIG_MAX_BYTES (256 * 1024)
#define SSHD_INCLUDE_DEPTH 16 /* sshd's own READCONF_MAX_DEPTH */
/* Files read in one run: depth alone lets a file that includes itself
 * twice ask for 2^16 reads, which would hang doctor. */
#define SSHD_INCLUDE_FILES 256

struct sshd_read {
    struct doctor *d;
    struct doctor_sshd_value *usepam, *kbd, *password, *root;
    size_t files; /* read so far, at most SSHD_INCLUDE_FILES */
};

static void read_file(struct sshd_read *r, const char *path, int depth);

/* Sets v from the first value it gets. */
static void
take(struct doctor_sshd_value *v, const char *value, const char *path, size_t line)
{
    size_t i;

    if (v->line != 0)
        return;
    for (i = 0; value[i] != '\0' && i + 1 < sizeof(v->value); i++)
        v->value[i] = (char)tolower((unsigned char)value[i]);
    v->value[i] = '\0';
    snprintf(v->path, sizeof(v->path), "%s", path);
    v->line = line;
}

/* Follows "Include ARGS": blank-separated globs, each read in place. */
static void
include(struct sshd_read *r, const char *args, const char *path, size_t line, int depth)
{
    char pattern[4096];

    if (depth >= SSHD_INCLUDE_DEPTH) {
        doctor_finding(r->d, DOCTOR_ERROR, path, line,
                       "Includes nested more than %d deep (a loop?); sshd refuses this; fix "
                       "the line",
                       SSHD_INCLUDE_DEPTH);
        return;
    }
    for (const char *arg = args + strspn(args, " \t"); *arg != '\0'; arg += strspn(arg, " \t")) {
        int len = (int)strcspn(arg, " \t");
        glob_t g;

        snprintf(pattern, sizeof(pattern), "%s%.*s", arg[0] == '/' ? "" : SSHD_DIR "/", len, arg);
        arg += len;
        if (glob(pattern, 0, NULL, &g) == 0)
            for (size_t i = 0; i < g.gl_pathc; i++) {
                if (++r->files > SSHD_INCLUDE_FILES) {
                    doctor_finding(r->d, DOCTOR_ERROR, path, line,
                                   "Includes reach more than %d files (a loop?); fix the line",
                                   SSHD_INCLUDE_FILES);
                    break;
                }
                read_file(r, g.gl_pathv[i], depth + 1);
            }
        globfree(&g);
    }
}

/* One line of the global configuration, or a Match line. Returns false
 * when a Match block starts ("Match all" ends one). */
static bool
take_line(struct sshd_read *r, char *s, const char *path, size_t line, int depth)
{
    char *key, *value;

    s += strspn(s, " \t\r");
    if (*s == '\0' || *s == '#')
        return true;
    key = s;
    s += strcspn(s, " \t=");
    if (*s != '\0')
        *s++ = '\0';
    s += strspn(s, " \t");
    if (*s == '=')
        s += 1 + strspn(s + 1, " \t");
    value = s;
    value[strcspn(value, "\r")] = '\0';
    if (strcasecmp(key, "Match") == 0)
        return strncasecmp(value, "all", 3) == 0 && strspn(value + 3, " \t") == strlen(value + 3);
    if (strcasecmp(key, "Include") == 0)
        include(r, value, path, line, depth);
    else if (strcasecmp(key, "UsePAM") == 0)
        take(r->usepam, value, path, line);
    else if (strcasecmp(key, "KbdInteractiveAuthentication") == 0 ||
             strcasecmp(key, "ChallengeResponseAuthentication") == 0)
        take(r->kbd, value, path, line);
    else if (strcasecmp(key, "PasswordAuthentication") == 0)
        take(r->password, value, path, line);
    else if (strcasecmp(key, "PermitRootLogin") == 0)
        take(r->root, value, path, line);
    return true;
}

static void
read_file(struct sshd_read *r, const char *path, int depth)
{
    char *text = NULL, *p, *nl;
    size_t len = 0, line = 1;
    bool global = true;

    if (doctor_text_read(path, SSHD_CONFIG_MAX_BYTES, &text, &len) != 0) {
        if (errno == EACCES)
            doctor_unreadable(r->d, path, strerror(errno), "sshd's UsePAM and prompts");
        else
            doctor_finding(r->d, DOCTOR_ERROR, path, 0,
                           "sshd cannot read it (%s), so it does not start; fix or drop the "
                           "Include",
                           errno == EINVAL ? "not a regular file" : strerror(errno));
        return;
    }
    if (len > SSHD_CONFIG_MAX_BYTES)
        doctor_unreadable(r->d, path, "larger than 256 KiB", "sshd's UsePAM and prompts");
    for (p = text; len <= SSHD_CONFIG_MAX_BYTES && p != NULL; p = nl != NULL ? nl + 1 : NULL) {
        if ((nl = strchr(p, '\n')) != NULL)
            *nl = '\0';
        /* a Match block runs to the next Match line or the end of its file */
        if (global || strncasecmp(p + strspn(p, " \t"), "Match", 5) == 0)
            global = take_line(r, p, path, line, depth);
        line++;
    }
    free(text);
}

/* sshd's built-in default, where nothing set a value. */
static void
default_to(struct doctor_sshd_value *v, const char *value, const char *path)
{
    if (v->line == 0)
        take(v, value, path, 0);
}

int
doctor_sshd_config_read(struct doctor *d, const char *path, struct doctor_sshd_value *usepam,
                        struct doctor_sshd_value *kbd, struct doctor_sshd_value *password,
                        struct doctor_sshd_value *root)
{
    struct sshd_read r = {d, usepam, kbd, password, root, 0};
    size_t before = d->unreadable + d->errors;

    if (access(path, F_OK) != 0 && errno == ENOENT)
        return -1; /* neither sshd nor its configuration: nothing to judge */
    read_file(&r, path, 0);
    default_to(usepam, "no", path);
    default_to(kbd, "yes", path);
    default_to(password, "yes", path);
    default_to(root, "prohibit-password", path);
    return d->unreadable + d->errors > before ? -1 : 0;
}
