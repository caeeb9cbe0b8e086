/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: hostile bytes as the prompt ssh (or a server) hands
 * jwt-askpass, up to the first NUL as argv would carry it. An accepted
 * prompt names a plain host the daemon would take as "host:*", written in
 * the prompt itself, and the two shapes OpenSSH prints for that host give
 * the same audience back. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "askpass_prompt.h"
#include "helperd_tokens.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether needle occurs in hay ignoring ASCII case. */
static bool
contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (const char *p = hay; *p != '\0'; p++)
        if (strncasecmp(p, needle, n) == 0)
            return true;
    return false;
}

static void
same_audience(const char *prompt, const char *aud)
{
    char again[ASKPASS_AUDIENCE_MAX];

    if (!askpass_ssh_prompt_audience(prompt, again) || strcmp(again, aud) != 0)
        abort();
}

/* Both OpenSSH shapes for the host of aud give aud again. */
static void
shapes_check(const char *aud)
{
    const char *host = aud + strlen("host:");
    char prompt[ASKPASS_AUDIENCE_MAX + 64];
    bool v6 = strchr(host, ':') != NULL;

    snprintf(prompt, sizeof prompt, "fuzz@%s%s%s's password: ", v6 ? "[" : "", host, v6 ? "]" : "");
    same_audience(prompt, aud);
    snprintf(prompt, sizeof prompt, "(fuzz@%s%s%s) Verification code: ", v6 ? "[" : "", host,
             v6 ? "]" : "");
    same_audience(prompt, aud);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *prompt = malloc(size + 1), aud[ASKPASS_AUDIENCE_MAX];

    if (prompt == NULL)
        abort();
    memcpy(prompt, data, size);
    prompt[size] = '\0';
    memset(aud, 0, sizeof aud);
    if (askpass_ssh_prompt_audience(prompt, aud)) {
        if (strncmp(aud, "host:", 5) != 0 || !helperd_tokens_audience_is_host(aud) ||
            !contains_nocase(prompt, aud + 5) || strchr(prompt, '@') == NULL)
            abort();
        for (const char *p = aud; *p != '\0'; p++)
            if (*p >= 'A' && *p <= 'Z')
                abort(); /* the audience is the lowercase form */
        shapes_check(aud);
    }
    free(prompt);
    return 0;
}
