/* SPDX-License-Identifier: MIT */
/* What the CLI prints that needs care: text from a token, escaped; a secret, with no stdio copy. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
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

void
cli_report_stderr(void *ctx, const char *message)
{
    const struct cli_report *from = ctx;
    const char *verb = from != NULL ? from->verb : NULL;

    fprintf(stderr, "jwt-helper%s%s: %s\n", verb != NULL ? " " : "", verb != NULL ? verb : "",
            message);
}

bool
cli_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return false;
        }
        p += w;
        len -= (size_t)w;
    }
    return true;
}

int
cli_secret_print(const char *s, size_t len)
{
    if (!cli_write_all(STDOUT_FILENO, s, len) || !cli_write_all(STDOUT_FILENO, "\n", 1)) {
        fprintf(stderr, "jwt-helper: cannot write to stdout: %s\n", strerror(errno));
        return CLI_EXIT_REJECTED;
    }
    return CLI_EXIT_OK;
}
