/* SPDX-License-Identifier: MIT */
/* The access-token lookup `token` and jwt-askpass share: cache first, then a refresh. */
#ifndef PAM_JWT_CLI_SESSION_H
#define PAM_JWT_CLI_SESSION_H

#include <stdbool.h>

/* A cached access token is reused while it has more than this left (DESIGN §5). */
#define CLI_TOKEN_MIN_LEFT 60

struct cli_token_request {
    const char *socket_path; /* cli_socket_path's answer */
    const char *scope;       /* NULL: the daemon's default (the refresh token's scope) */
    const char *audience;    /* NULL: the daemon's default audience */
    /* jwt-askpass: when the daemon refuses the audience or the scope
     * (invalid_request), ask again without it rather than fail. */
    bool audience_optional;
    bool scope_optional;
};

/* Prints an access token for r alone on one line of stdout: the cached one
 * for (scope, audience) while it has more than CLI_TOKEN_MIN_LEFT seconds
 * left (the daemon is not contacted), else a new one from a refresh with
 * the stored refresh token, which is then cached. A refresh token the
 * daemon calls invalid_grant is dead: it and every cache are removed.
 * Messages go to stderr. Returns the exit code (CLI_EXIT_*): 1 when not
 * logged in or the session ended, 3 when the daemon is unreachable. Every
 * token buffer is wiped. */
int cli_session_token(const struct cli_token_request *r);

#endif
