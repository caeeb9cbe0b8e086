/* SPDX-License-Identifier: MIT */
/* The verbs of jwt-helper and the small shared pieces of its command line. */
#ifndef PAM_JWT_CLI_H
#define PAM_JWT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* jwt-helper(1), EXIT STATUS. */
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
/* The session verbs (cli_session.c): they talk to jwt-helperd. */
int cli_login(int argc, char **argv);
int cli_token(int argc, char **argv);
int cli_logout(int argc, char **argv);
/* `passwd` alone changes one's own password through the daemon; `passwd
 * USER` is root's reset (cli_admin_passwd). */
int cli_passwd(int argc, char **argv);
/* The root verbs (cli_users.c): they edit the files directly. */
int cli_useradd(int argc, char **argv);
int cli_usermod(int argc, char **argv);
int cli_userdel(int argc, char **argv);
int cli_admin_passwd(int argc, char **argv);
int cli_revoke(int argc, char **argv);
/* jwt-askpass (cli_askpass.c): main() calls it when argv[0]'s base name is
 * "jwt-askpass", with argv as given (argv[1], if any, is the prompt). */
int cli_askpass(int argc, char **argv);
/* `keys rotate|prune` (cli_keys.c): root, on the daemon's key files. */
int cli_keys(int argc, char **argv);
/* `doctor` (cli_doctor.c): checks the setup, changes nothing. */
int cli_doctor(int argc, char **argv);

/* ---- passwords (cli_password.c) ---- */

/* Reads one password: from stdin when from_stdin (exactly one line; its
 * "\n" dropped; an empty line or one over CLI_MAX_PASSWORD refused), else
 * from the terminal (/dev/tty) with echo off after printing prompt to it.
 * Returns 0 with *out malloc'd, NUL-terminated, *len its length (the caller
 * frees with secret_free(*out, *len)), or -1 after printing why to stderr.
 * Every buffer that held the password is wiped. */
int cli_password_read(const char *prompt, int from_stdin, char **out, size_t *len);
/* Reads a new password: from stdin as above, or from the terminal twice
 * ("New password: ", "Retype new password: ") and refuses a mismatch. */
int cli_password_read_new(int from_stdin, char **out, size_t *len);
#define CLI_MAX_PASSWORD 1024

/* ---- talking to the daemon (cli_client.c) ---- */

/* The socket to use: opt (--socket) when not NULL, else JWT_HELPER_SOCKET
 * read with secure_getenv, else the default. */
const char *cli_socket_path(const char *opt);
/* Exit code for a client failure: unreachable, timed out or cut off ->
 * CLI_EXIT_UNREACHABLE; untrusted peer -> CLI_EXIT_CONFIG; our own request
 * refused by the codec -> CLI_EXIT_USAGE; others -> CLI_EXIT_REJECTED. */
int cli_exit_for_proto(int proto_result);

/* stdin holding more than this is refused rather than read without end. */
#define CLI_MAX_STDIN (1024 * 1024)

/* Reads a token from arg, or from stdin when arg is "-" (a single trailing
 * "\n" is dropped and not counted, jwt-helper(1), VERBS FOR EVERYONE). Returns 0 with *out malloc'd
 * and NUL-terminated, *len its length (the caller wipes and frees it with
 * secret_free(*out, *len)), or -1 after printing why to stderr. */
int cli_token_read(const char *arg, char **out, size_t *len);

/* Writes s to f with every byte outside printable ASCII shown as \xNN, so
 * text from a token cannot drive the terminal. */
void cli_print_escaped(FILE *f, const char *s);
/* Writes s[0..len) and "\n" to stdout with write(2), so no stdio buffer
 * keeps a copy of the secret (a token, an askpass answer). Returns
 * CLI_EXIT_OK, or CLI_EXIT_REJECTED after printing why to stderr. */
int cli_secret_print(const char *s, size_t len);
/* Whom a configuration message is from: the verb, or NULL for none. */
struct cli_report {
    const char *verb;
};
/* The CLI's conf_report_fn: prints "jwt-helper VERB: message" to stderr,
 * ctx being a struct cli_report, or "jwt-helper: message" when ctx or its
 * verb is NULL. */
void cli_report_stderr(void *ctx, const char *message);
/* Writes all of buf[0..len) to fd, retrying short writes and EINTR (no
 * stdio buffer keeps a copy). Returns true, or false with errno set. */
bool cli_write_all(int fd, const void *buf, size_t len);

#endif
