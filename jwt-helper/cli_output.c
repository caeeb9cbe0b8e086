/* SPDX-License-Identifier: MIT */
/* Prints text that came from a token without letting it drive the terminal. */
#include "config.h"

#include <stdio.h>

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
