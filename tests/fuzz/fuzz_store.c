/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: hostile bytes as the CLI's state files (jwt-helper(1), FILES),
 * the cached access token and the refresh token, read the way `jwt-helper
 * token` reads them (cli_session_token, with no daemon listening). The
 * first byte picks the request (default, ssh to a host, sudo); the rest is
 * both files' content. Checked: stdout carries the cached token and "\n"
 * or nothing; stderr is escaped text; a token the store reads it writes
 * back and reads again unchanged. */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_session.h"
#include "cli_store.h"
#include "fuzz_support.h"
#include "proto.h"
#include "secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct cli_token_request requests[] = {
    {NULL, NULL, NULL},
    {NULL, "ssh", "host:web1"},
    {NULL, "sudo", "host:fuzz"},
};
#define N_REQUESTS (sizeof requests / sizeof requests[0])

static char socket_path[512];

static void
setup(void)
{
    char dir[512];

    if (socket_path[0] != '\0')
        return;
    fuzz_path("jwt-helper", dir, sizeof dir);
    /* XDG_STATE_HOME/jwt-helper is the store; nobody listens on the socket. */
    if (setenv("XDG_STATE_HOME", fuzz_dir(), 1) != 0 || mkdir(dir, 0700) != 0)
        abort();
    fuzz_path("no-daemon.sock", socket_path, sizeof socket_path);
}

/* Independently of cli_store.c: one JWS compact token, optional "\n". */
static bool
token_shaped(const uint8_t *t, size_t len)
{
    size_t dots = 0;

    if (len > 0 && t[len - 1] == '\n')
        len--;
    if (len == 0 || len > PROTO_MAX_TOKEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (t[i] == '.')
            dots++;
        else if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", t[i]) ==
                     NULL ||
                 t[i] == '\0')
            return false;
    }
    return dots == 2;
}

/* cli_session_token with stdout in a file and stderr checked. */
static int
token_run(const struct cli_token_request *r, char **out, size_t *out_len)
{
    char out_path[512], *err = NULL;
    size_t err_len = 0;
    int fd, saved_out = dup(STDOUT_FILENO), rc;
    FILE *saved_err;

    fuzz_path("stdout", out_path, sizeof out_path);
    if ((fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
        saved_out < 0 || dup2(fd, STDOUT_FILENO) < 0)
        abort();
    close(fd);
    saved_err = fuzz_stderr_begin(&err, &err_len);
    rc = cli_session_token(r);
    fuzz_stderr_end(saved_err, &err, &err_len);
    if (dup2(saved_out, STDOUT_FILENO) < 0)
        abort();
    close(saved_out);
    if ((*out = fuzz_file_get("stdout", out_len)) == NULL)
        abort();
    return rc;
}

/* cli_store_write then cli_store_read: the same token. */
static void
store_round_trip(void)
{
    struct cli_store st = {.dirfd = -1};
    char *tok = NULL, *again = NULL;
    size_t len = 0, again_len = 0, err_len = 0;
    char *err = NULL;
    FILE *saved_err = fuzz_stderr_begin(&err, &err_len);

    if (cli_store_open(&st, false) != 0)
        abort();
    if (cli_store_read(&st, CLI_STORE_REFRESH, &tok, &len) == 0) {
        if (cli_store_write(&st, "access-token-fuzz", tok, len) != 0 ||
            cli_store_read(&st, "access-token-fuzz", &again, &again_len) != 0 || again_len != len ||
            memcmp(tok, again, len) != 0 || strlen(again) != len)
            abort();
        secret_free(again, again_len);
        secret_free(tok, len);
    }
    cli_store_close(&st);
    fuzz_stderr_end(saved_err, &err, &err_len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cli_token_request r;
    char cache[CLI_STORE_NAME_MAX], name[CLI_STORE_NAME_MAX + 16], *out;
    size_t out_len = 0;
    int rc;

    if (size == 0)
        return 0;
    setup();
    r = requests[data[0] % N_REQUESTS];
    r.socket_path = socket_path;
    data++;
    size--;
    cli_store_cache_name(r.scope, r.audience, cache);
    snprintf(name, sizeof name, "jwt-helper/%s", cache);
    fuzz_file_put(name, data, size, 0600);
    fuzz_file_put("jwt-helper/" CLI_STORE_REFRESH, data, size, 0600);
    rc = token_run(&r, &out, &out_len);
    if (rc == CLI_EXIT_OK) {
        /* only the cached token itself, and only a well-formed one */
        size_t tok_len = size - (size > 0 && data[size - 1] == '\n');
        if (!token_shaped(data, size) || out_len != tok_len + 1 ||
            memcmp(out, data, tok_len) != 0 || out[tok_len] != '\n')
            abort();
    } else if (out_len != 0 || (rc != CLI_EXIT_REJECTED && rc != CLI_EXIT_UNREACHABLE)) {
        abort(); /* a refusal prints no token; no daemon: rejected or unreachable */
    }
    free(out);
    store_round_trip();
    return 0;
}
