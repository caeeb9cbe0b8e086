/* SPDX-License-Identifier: MIT */
/* What the CLI prints that needs care: text from a token, escaped; a secret, with no stdio copy. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

void
cli_print_escaped(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p >= 0x20 && *p < 0x7f && *p != '\\')
            fputc(*p, f);
        else
            fprintf(f, "\\x%02x", *p);
    }
}

int
cli_secret_print(const char *s, size_t len)
{
    const char *parts[2] = {s, "\n"};
    size_t lens[2] = {len, 1};

    for (int i = 0; i < 2; i++) {
        const char *p = parts[i];
        size_t left = lens[i];
        while (left > 0) {
            ssize_t w = write(STDOUT_FILENO, p, left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                fprintf(stderr, "jwt-helper: cannot write to stdout: %s\n", strerror(errno));
                return CLI_EXIT_REJECTED;
            }
            p += w;
            left -= (size_t)w;
        }
    }
    return CLI_EXIT_OK;
}
