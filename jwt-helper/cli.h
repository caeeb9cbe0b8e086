/* SPDX-License-Identifier: MIT */
/* The verbs of jwt-helper and the small shared pieces of its command line. */
#ifndef PAM_JWT_CLI_H
#define PAM_JWT_CLI_H

#include <stddef.h>
#include <stdio.h>

/* DESIGN §5 exit codes. */
enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_REJECTED = 1,
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_UNREACHABLE = 3,
    CLI_EXIT_CONFIG = 4,
};

/* Each verb takes argv with argv[0] = the verb's name and returns an exit code. */
int cli_decode(int argc, char **argv);
int cli_verify(int argc, char **argv);
int cli_keygen(int argc, char **argv);
int cli_jwks(int argc, char **argv);

/* stdin holding more than this is refused rather than read without end. */
#define CLI_MAX_STDIN (1024 * 1024)

/* Reads a token from arg, or from stdin when arg is "-" (a single trailing
 * "\n" is dropped and not counted, DESIGN §5). Returns 0 with *out malloc'd
 * and NUL-terminated, *len its length (the caller wipes and frees it with
 * secret_free(*out, *len)), or -1 after printing why to stderr. */
int cli_token_read(const char *arg, char **out, size_t *len);

/* Writes s to f with every byte outside printable ASCII shown as \xNN, so
 * text from a token cannot drive the terminal. */
void cli_print_escaped(FILE *f, const char *s);

#endif
