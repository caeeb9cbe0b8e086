/* SPDX-License-Identifier: MIT */
/* Reads the token a verb is given: the argument itself, or one line of stdin. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "secret.h"

/* Reads all of stdin up to cap bytes into a new buffer; more is an error. */
static int
read_stdin(size_t cap, char **out, size_t *len)
{
    char *buf = calloc(1, cap + 1);
    size_t got = 0;
    int c;

    if (buf == NULL)
        return -1;
    while ((c = getchar()) != EOF) {
        if (got == cap) {
            secret_free(buf, cap + 1);
            return -1;
        }
        buf[got++] = (char)c;
    }
    if (ferror(stdin)) {
        secret_free(buf, cap + 1);
        return -1;
    }
    *out = buf;
    *len = got;
    return 0;
}

int
cli_token_read(const char *arg, char **out, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;

    *out = NULL;
    *len = 0;
    if (strcmp(arg, "-") != 0) {
        if ((buf = strdup(arg)) == NULL) {
            fprintf(stderr, "jwt-helper: out of memory\n");
            return -1;
        }
        n = strlen(buf);
    } else if (read_stdin(CLI_MAX_STDIN, &buf, &n) != 0) {
        fprintf(stderr, "jwt-helper: cannot read the token from stdin (at most %d bytes)\n",
                CLI_MAX_STDIN);
        return -1;
    } else if (n > 0 && buf[n - 1] == '\n') {
        buf[--n] = '\0'; /* one trailing newline is not part of the token */
    }
    *out = buf;
    *len = n;
    return 0;
}
