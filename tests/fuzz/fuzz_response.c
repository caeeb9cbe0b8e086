/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: hostile bytes as what the daemon answers, read the
 * way the CLI reads it: proto_client_exchange over a real socket pair,
 * then cli_daemon_failure's message and exit code. The first byte picks
 * the op asked; the rest is the daemon's side of the socket, then EOF.
 * Checked: the exchange succeeds exactly when the first line (within
 * PROTO_MAX_LINE) decodes; a granted login or refresh carries tokens;
 * every message is escaped text; every exit code is one the CLI
 * documents for that outcome. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "cli_client.h"
#include "fuzz_support.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A well-formed request of each op (what the CLI sends). */
static void
request_make(enum proto_op op, struct proto_request *req)
{
    static char user[] = "alice", pw[] = "fuzz-password", pw2[] = "fuzz-password-2",
                token[] = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln";

    memset(req, 0, sizeof *req);
    req->op = op;
    if (op == PROTO_OP_LOGIN || op == PROTO_OP_PASSWD)
        req->username = user;
    if (op == PROTO_OP_LOGIN)
        req->password = pw;
    if (op == PROTO_OP_PASSWD) {
        req->old_password = pw;
        req->new_password = pw2;
    }
    if (op == PROTO_OP_REFRESH || op == PROTO_OP_LOGOUT)
        req->refresh_token = token;
}

/* The daemon's side: the answer bytes, then EOF. The socket buffer holds
 * them all (a few hundred KiB against PROTO_MAX_LINE and -max_len). */
static proto_result
exchange(const uint8_t *data, size_t size, struct proto_request *req, struct proto_response *resp)
{
    int sv[2];
    size_t done = 0;
    proto_result r;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        abort();
    while (done < size) {
        ssize_t n = send(sv[1], data + done, size - done, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0)
            abort(); /* the harness's limit, not the client's */
        done += (size_t)n;
    }
    if (shutdown(sv[1], SHUT_WR) != 0)
        abort();
    r = proto_client_exchange(sv[0], req, 1000, resp);
    close(sv[0]);
    close(sv[1]);
    return r;
}

/* What the framing alone says: the first line, if it fits, decoded on its own. */
static proto_result
expected(const uint8_t *data, size_t size, enum proto_op op)
{
    const uint8_t *nl = memchr(data, '\n', size < PROTO_MAX_LINE ? size : PROTO_MAX_LINE);
    struct proto_response resp;
    proto_result r;

    if (nl == NULL)
        return size >= PROTO_MAX_LINE ? PROTO_ERR_TOO_LONG : PROTO_ERR_CLOSED;
    r = proto_response_decode((const char *)data, (size_t)(nl - data) + 1, op, &resp);
    if (r == PROTO_OK)
        proto_response_clear(&resp);
    return r;
}

static void
grant_check(enum proto_op op, const struct proto_response *resp)
{
    if (!resp->ok)
        return;
    if ((op == PROTO_OP_LOGIN || op == PROTO_OP_REFRESH) &&
        (resp->access_token == NULL || resp->access_token[0] == '\0'))
        abort();
    if (op == PROTO_OP_LOGIN && (resp->refresh_token == NULL || resp->refresh_token[0] == '\0'))
        abort();
}

/* The message and exit code the CLI gives for a refused or failed call. */
static void
failure_check(proto_result r, const struct proto_request *req, const struct proto_response *resp)
{
    char *err = NULL;
    size_t err_len = 0;
    FILE *saved = fuzz_stderr_begin(&err, &err_len);
    int code = cli_daemon_failure("/run/jwt-helper/fuzz.sock", "fuzz", r, req, resp);

    fuzz_stderr_end(saved, &err, &err_len);
    if (err_len == 0)
        abort(); /* every failure says why */
    if (r == PROTO_OK && code != CLI_EXIT_REJECTED && code != CLI_EXIT_CONFIG)
        abort();
    if (r == PROTO_ERR_CLOSED && code != CLI_EXIT_UNREACHABLE)
        abort();
    if ((r == PROTO_ERR_INVALID || r == PROTO_ERR_JSON || r == PROTO_ERR_TOO_LONG ||
         r == PROTO_ERR_NO_NEWLINE) &&
        code != CLI_EXIT_REJECTED)
        abort(); /* a garbled answer is the daemon's fault, not a usage error */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proto_request req;
    struct proto_response resp;
    enum proto_op op;
    proto_result r;

    if (size == 0)
        return 0;
    op = (enum proto_op)(data[0] % PROTO_OP_COUNT);
    data++;
    size--;
    request_make(op, &req);
    r = exchange(data, size, &req, &resp);
    if (r != expected(data, size, op))
        abort();
    if (r == PROTO_OK)
        grant_check(op, &resp);
    if (r != PROTO_OK || !resp.ok)
        failure_check(r, &req, &resp);
    if (r == PROTO_OK)
        proto_response_clear(&resp);
    return 0;
}
