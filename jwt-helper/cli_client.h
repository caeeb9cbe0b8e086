/* SPDX-License-Identifier: MIT */
/* How the session verbs ask jwt-helperd, and how its answers become exit codes. */
#ifndef PAM_JWT_CLI_CLIENT_H
#define PAM_JWT_CLI_CLIENT_H

#include "proto.h"

/* Sends req to the daemon listening on socket_path (cli_socket_path's
 * answer). Trusted listeners are root, the daemon's user, and the caller
 * itself (a daemon running as the caller can only learn the caller's own
 * secrets). Returns what proto_client_call returns: PROTO_OK with *resp
 * filled (resp->ok says whether the daemon granted it; free it with
 * proto_response_clear), else a transport failure with nothing printed. */
proto_result cli_daemon_call(const char *socket_path, struct proto_request *req,
                             struct proto_response *resp) PROTO_MUST_CHECK;

/* Prints on stderr why a call failed, "jwt-helper: <what>: <why>": the
 * transport failure r, or (r == PROTO_OK) the daemon's refusal in resp,
 * its error_description escaped. Returns the exit code:
 *   transport: unreachable, timeout, closed, I/O  -> CLI_EXIT_UNREACHABLE
 *              untrusted listener                 -> CLI_EXIT_CONFIG
 *              our request refused by the codec   -> CLI_EXIT_USAGE
 *                (PROTO_ERR_INVALID with req->detail set)
 *              anything else (a garbled answer)   -> CLI_EXIT_REJECTED
 *   refusal:   invalid_grant, rate_limited,
 *              invalid_request                    -> CLI_EXIT_REJECTED
 *              unsupported_op, server_error       -> CLI_EXIT_CONFIG */
int cli_daemon_failure(const char *socket_path, const char *what, proto_result r,
                       const struct proto_request *req, const struct proto_response *resp);

#endif
