/* SPDX-License-Identifier: MIT */
/* Finds jwt-helperd's socket, asks it, and turns a failed answer into an exit code. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_client.h"
#include "proto.h"

const char *
cli_socket_path(const char *opt)
{
    const char *env;

    if (opt != NULL)
        return opt;
    /* secure_getenv: should this ever run with raised privileges, the
     * environment must not pick where a password is sent. */
    env = secure_getenv("JWT_HELPER_SOCKET");
    if (env != NULL && env[0] != '\0')
        return env;
    return PROTO_DEFAULT_SOCKET;
}

int
cli_exit_for_proto(int proto_result_value)
{
    switch ((proto_result)proto_result_value) {
    case PROTO_OK:
        return CLI_EXIT_OK;
    /* A daemon that cannot be reached, does not answer in time or hangs up
     * is "unreachable" to the caller: trying again later may work. */
    case PROTO_ERR_UNREACHABLE:
    case PROTO_ERR_TIMEOUT:
    case PROTO_ERR_CLOSED:
    case PROTO_ERR_IO:
        return CLI_EXIT_UNREACHABLE;
    /* Someone else listens on the socket: the setup is wrong, and nothing
     * was sent. */
    case PROTO_ERR_UNTRUSTED_PEER:
        return CLI_EXIT_CONFIG;
    /* Our own request breaks the protocol's rules: a --scope, --audience or
     * socket path the user gave. */
    case PROTO_ERR_INVALID:
        return CLI_EXIT_USAGE;
    default:
        return CLI_EXIT_REJECTED;
    }
}

proto_result
cli_daemon_call(const char *socket_path, struct proto_request *req, struct proto_response *resp)
{
    struct proto_client c = {
        .socket_path = socket_path,
        .daemon_user = JWT_DAEMON_USER,
        /* A daemon running as the caller (a test, a per-user setup) only
         * ever receives the caller's own password and tokens. */
        .extra_uid = (long)geteuid(),
        .timeout_ms = 0,
    };

    return proto_client_call(&c, req, resp);
}

static int
exit_for_refusal(enum proto_error e)
{
    switch (e) {
    case PROTO_E_INVALID_GRANT:
    case PROTO_E_RATE_LIMITED:
    case PROTO_E_INVALID_REQUEST:
        return CLI_EXIT_REJECTED;
    /* The daemon cannot serve (no usable key, too old for the op): an
     * administrator has to act, as for a broken configuration. */
    case PROTO_E_UNSUPPORTED_OP:
    case PROTO_E_SERVER_ERROR:
    default:
        return CLI_EXIT_CONFIG;
    }
}

static void
print_transport_failure(const char *socket_path, proto_result r, int saved_errno)
{
    fprintf(stderr, "%s", proto_result_str(r));
    if (r == PROTO_ERR_UNREACHABLE || r == PROTO_ERR_IO)
        fprintf(stderr, " (%s)", strerror(saved_errno));
    fprintf(stderr, " at ");
    cli_print_escaped(stderr, socket_path);
    if (r == PROTO_ERR_UNREACHABLE)
        fprintf(stderr, ": is jwt-helperd running?");
}

int
cli_daemon_failure(const char *socket_path, const char *what, proto_result r,
                   const struct proto_request *req, const struct proto_response *resp)
{
    int saved_errno = errno;
    /* PROTO_ERR_INVALID is either our request (req->detail set) or a
     * garbled answer (resp->detail set). */
    bool ours = r == PROTO_ERR_INVALID && req->detail[0] != '\0';
    const char *detail = ours ? req->detail : resp->detail;

    fprintf(stderr, "jwt-helper: %s: ", what);
    if (r != PROTO_OK) {
        if (ours)
            fprintf(stderr, "request refused before sending");
        else
            print_transport_failure(socket_path, r, saved_errno);
        if (detail[0] != '\0') {
            fprintf(stderr, " (");
            cli_print_escaped(stderr, detail);
            fprintf(stderr, ")");
        }
        fprintf(stderr, "\n");
        return r == PROTO_ERR_INVALID && !ours ? CLI_EXIT_REJECTED : cli_exit_for_proto(r);
    }
    if (resp->error == PROTO_E_RATE_LIMITED)
        fprintf(stderr, "too many attempts, wait and try again");
    else if (resp->error_description != NULL)
        cli_print_escaped(stderr, resp->error_description);
    else
        fprintf(stderr, "refused");
    if (proto_error_str(resp->error) != NULL)
        fprintf(stderr, " [%s]", proto_error_str(resp->error));
    fprintf(stderr, "\n");
    return exit_for_refusal(resp->error);
}
