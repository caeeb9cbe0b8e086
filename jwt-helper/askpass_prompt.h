/* SPDX-License-Identifier: MIT */
/* jwt-askpass's prompt parser: which host's audience a prompt asks for
 * (cli_askpass.c says which prompts are trusted, and why). Pure: no I/O. */
#ifndef PAM_JWT_ASKPASS_PROMPT_H
#define PAM_JWT_ASKPASS_PROMPT_H

#include <stdbool.h>
#include <stddef.h>

/* OpenSSH prints at most 128 bytes of the host; anything longer is not
 * a host name of ours. */
#define ASKPASS_HOST_MAX 200
/* "host:", the host and the NUL. */
#define ASKPASS_AUDIENCE_MAX (sizeof("host:") + ASKPASS_HOST_MAX)

/* Writes "host:" and the lowercase host s[0..len) into aud
 * (ASKPASS_AUDIENCE_MAX bytes). Returns false for anything that is not a
 * plain host name or address by the daemon's own rule for "host:*". */
bool askpass_host_audience(const char *s, size_t len, char *aud);

/* The audience for an OpenSSH prompt (cli_askpass.c MUST 1): the whole
 * prompt "user@host's password: " (the final space optional), or the
 * prefix "(user@host) " of a keyboard-interactive prompt, into aud
 * (ASKPASS_AUDIENCE_MAX bytes). Returns false for any other prompt. */
bool askpass_ssh_prompt_audience(const char *prompt, char *aud);

#endif
