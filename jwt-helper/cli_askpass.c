/* SPDX-License-Identifier: MIT */
/* jwt-askpass: `jwt-helper token` for SSH_ASKPASS and SUDO_ASKPASS, chosen by the prompt. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_session.h"

/*
 * MUST:
 * 1. The prompt is text from whoever runs us and is never echoed back
 *    unescaped, never a usage error, and only ever picks among requests
 *    the user could make with `token` anyway.
 * 2. stdout carries the token and "\n", nothing else: ssh and sudo send
 *    whatever we print as the password.
 */

/* OpenSSH prints at most 128 bytes of the host; anything longer is not
 * a host name of ours. */
#define HOST_MAX 200
#define AUDIENCE_PREFIX "host:"

/* Host names, IPv4 and IPv6 literals: nothing else becomes an audience. */
static bool
host_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
           c == ':';
}

/* Turns "host", "host:port" or "[host]:port" (s[0..len)) into the
 * lowercase host in out (HOST_MAX + 1 bytes). Returns false for anything
 * that is not a plain host name or address. */
static bool
host_extract(const char *s, size_t len, char *out)
{
    const char *colon;
    size_t n;

    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (close == NULL)
            return false;
        s++;
        len = (size_t)(close - s);
    } else if ((colon = memchr(s, ':', len)) != NULL &&
               memchr(colon + 1, ':', len - (size_t)(colon + 1 - s)) == NULL) {
        len = (size_t)(colon - s); /* one colon: a port; more: an IPv6 literal */
    }
    if (len == 0 || len > HOST_MAX)
        return false;
    for (n = 0; n < len; n++) {
        char c = s[n];
        /* DNS names are case-insensitive: the audience is the lowercase form. */
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!host_char_ok(c))
            return false;
        out[n] = c;
    }
    out[n] = '\0';
    return true;
}

/* Finds the host of an ssh password prompt: "user@host's password: " (the
 * trailing space optional) or keyboard-interactive's "(user@host) ...".
 * Returns false when the prompt is neither. */
static bool
ssh_prompt_host(const char *p, char *host)
{
    static const char suffix[] = "'s password:";
    const char *end = NULL, *at;
    size_t len = strlen(p);

    if (p[0] == '(') {
        end = strchr(p, ')');
        p++;
        if (end == NULL || end[1] != ' ')
            return false;
    } else {
        if (len > 0 && p[len - 1] == ' ')
            len--;
        if (len < sizeof(suffix) - 1 ||
            memcmp(p + len - (sizeof(suffix) - 1), suffix, sizeof(suffix) - 1) != 0)
            return false;
        end = p + len - (sizeof(suffix) - 1);
    }
    /* The user name may itself hold '@' (ssh 'a@b@host'): the host is
     * after the last one. */
    at = NULL;
    for (const char *q = p; q < end; q++)
        if (*q == '@')
            at = q;
    if (at == NULL || at == p)
        return false;
    return host_extract(at + 1, (size_t)(end - at - 1), host);
}

/* sudo's default prompt, "[sudo] password for USER: ", which it hands to
 * SUDO_ASKPASS as the argument. */
static bool
is_sudo_prompt(const char *p)
{
    return strncmp(p, "[sudo] password for ", strlen("[sudo] password for ")) == 0;
}

/* Whether sudo ran us. sudo hands SUDO_ASKPASS the prompt of the PAM module
 * that asks (pam_jwt's "Token: "), not its own "[sudo] password for", so the
 * prompt alone cannot tell; sudo forks and execs the askpass itself, so its
 * name is our parent's. Only picks the sudo scope: a wrong guess yields a
 * token the user could have asked for anyway (MUST 1). */
static bool
parent_is_sudo(void)
{
    char path[64], comm[32];
    FILE *f;
    bool yes = false;

    snprintf(path, sizeof(path), "/proc/%ld/comm", (long)getppid());
    if ((f = fopen(path, "re")) == NULL)
        return false;
    if (fgets(comm, sizeof(comm), f) != NULL)
        yes = strcmp(comm, "sudo\n") == 0;
    fclose(f);
    return yes;
}

/* OpenSSH sets SSH_ASKPASS_PROMPT to "confirm" for yes/no questions and to
 * "none" for notices: neither wants a password, so neither gets a token. */
static int
ssh_non_password_prompt(void)
{
    const char *kind = getenv("SSH_ASKPASS_PROMPT");

    if (kind == NULL)
        return -1;
    if (strcmp(kind, "confirm") == 0) {
        fprintf(stderr, "jwt-askpass: not answering a confirmation prompt\n");
        return CLI_EXIT_REJECTED; /* ssh takes a failure as "no" */
    }
    if (strcmp(kind, "none") == 0)
        return CLI_EXIT_OK;
    return -1;
}

int
cli_askpass(int argc, char **argv)
{
    const char *prompt = argc > 1 && argv[1] != NULL ? argv[1] : "";
    struct cli_token_request r = {0};
    char host[HOST_MAX + 1];
    char audience[sizeof(AUDIENCE_PREFIX) + HOST_MAX];
    int rc;

    if ((rc = ssh_non_password_prompt()) >= 0)
        return rc;
    r.socket_path = cli_socket_path(NULL);
    if (ssh_prompt_host(prompt, host)) {
        snprintf(audience, sizeof(audience), "%s%s", AUDIENCE_PREFIX, host);
        r.audience = audience;
        /* Only hosts the daemon's `audiences` names get their own
         * audience; the others take the default one. */
        r.audience_optional = true;
        /* A token typed into an ssh server need not grant sudo: should that
         * server be hostile, it gets nothing it could use for sudo
         * elsewhere. A user without the "ssh" scope gets the default. */
        r.scope = "ssh";
        r.scope_optional = true;
    } else if (is_sudo_prompt(prompt) || parent_is_sudo()) {
        r.scope = "sudo";
    }
    return cli_session_token(&r);
}
