/* SPDX-License-Identifier: MIT */
/* jwt-askpass: `jwt-helper token` for SSH_ASKPASS and SUDO_ASKPASS, for prompts it can trust. */
#include "config.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "askpass_prompt.h"
#include "cli.h"
#include "cli_session.h"
#include "conf.h"
#include "secret.h"

/*
 * MUST:
 * 1. A token goes only to a prompt whose host part the client itself wrote
 *    (OpenSSH's password prompt and keyboard-interactive prefix) or to sudo
 *    (our parent): any other prompt gets the terminal, or nothing.
 * 2. Never wider than the prompt calls for: scope "ssh" alone and
 *    audience host:<that host> for ssh; scope "sudo" and host:<%h> for
 *    sudo. A refusal by the daemon is final (cli_session_token never asks
 *    for less specific grants).
 * 3. The prompt is text from whoever runs us: never echoed back unescaped,
 *    never a usage error.
 * 4. stdout carries the token (or what the terminal answered) and "\n",
 *    nothing else: ssh and sudo send whatever we print as the password.
 *
 * What is trusted, and the residual risk. OpenSSH writes its password
 * prompt as "%.30s@%.128s's password: " from the user and host of its own
 * command line and configuration (sshconnect2.c, userauth_passwd), and
 * since 8.4 puts "(%s@%s) " built the same way before each
 * keyboard-interactive prompt, ahead of the server's text (which we never
 * parse). From such a client a server cannot choose the host: the token it
 * receives is bound to the name the user connected to. An OpenSSH client
 * before 8.4 shows keyboard-interactive text bare, so a hostile server can
 * send "alice@web2's password: " (or "(alice@web2) ") itself and receive a
 * token for host:web2 with scope ssh, replayable there until it expires
 * (access_ttl). The prompt alone cannot tell these apart; jwt-helper(1), JWT-ASKPASS, trusts
 * the shapes, and the damage stays one named host, scope ssh only, never
 * sudo. Do not use jwt-askpass as SSH_ASKPASS with an older client.
 */

/* Whether sudo ran us. sudo hands SUDO_ASKPASS the prompt of the PAM module
 * that asks (pam_jwt's "Token: "), not text of its own, so the prompt
 * cannot tell; sudo forks and execs the askpass itself, so its name is our
 * parent's. A remote server cannot name our parent; a local program of the
 * same user that names itself "sudo" gets a token the user could ask for
 * with `jwt-helper token --scope sudo` anyway. */
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

/* The audience for sudo: host:<%h>, this host's name up to its first dot,
 * the name pam_jwt's default audience checks. */
static bool
sudo_audience(char *aud)
{
    char host[ASKPASS_HOST_MAX + 1];

    if (!conf_hostname(false, host, sizeof(host))) {
        fprintf(stderr, "jwt-askpass: cannot read this host's name; no token\n");
        return false;
    }
    if (!askpass_host_audience(host, strlen(host), aud)) {
        fprintf(stderr, "jwt-askpass: this host's name is not a plain host name; no token\n");
        return false;
    }
    return true;
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

/* A prompt we cannot trust with a token (git's "Password for 'https://…'",
 * a server's own text): the person at the terminal answers it, echo off,
 * as any askpass would; without a terminal, nothing. */
static int
answer_from_terminal(const char *prompt)
{
    char *shown = NULL, *answer = NULL;
    size_t shown_len = 0, len = 0;
    FILE *m;
    int rc = CLI_EXIT_REJECTED, tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

    if (tty < 0) {
        fprintf(stderr, "jwt-askpass: not a prompt of ssh or sudo, and no terminal to ask on; "
                        "no answer\n");
        return rc;
    }
    close(tty);
    /* MUST 3: the prompt reaches the terminal escaped. */
    if ((m = open_memstream(&shown, &shown_len)) == NULL)
        return rc;
    cli_print_escaped(m, prompt);
    if (fclose(m) != 0)
        goto out;
    if (cli_password_read(shown, 0, &answer, &len) != 0)
        goto out;
    rc = cli_secret_print(answer, len);
out:
    secret_free(answer, len);
    free(shown);
    return rc;
}

int
cli_askpass(int argc, char **argv)
{
    const char *prompt = argc > 1 && argv[1] != NULL ? argv[1] : "";
    struct cli_token_request r = {0};
    char audience[ASKPASS_AUDIENCE_MAX];
    int rc;

    if ((rc = ssh_non_password_prompt()) >= 0)
        return rc;
    r.socket_path = cli_socket_path(NULL);
    r.audience = audience;
    if (askpass_ssh_prompt_audience(prompt, audience)) {
        /* A token typed into an ssh server grants nothing for sudo. */
        r.scope = "ssh";
    } else if (parent_is_sudo()) {
        if (!sudo_audience(audience))
            return CLI_EXIT_REJECTED;
        r.scope = "sudo";
    } else {
        return answer_from_terminal(prompt);
    }
    return cli_session_token(&r);
}
