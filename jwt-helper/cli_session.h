/* SPDX-License-Identifier: MIT */
/* The access-token lookup `token` and jwt-askpass share: cache first, then a refresh. */
#ifndef PAM_JWT_CLI_SESSION_H
#define PAM_JWT_CLI_SESSION_H

/* A cached access token is reused while it has more than this left (jwt-helper(1) token). */
#define CLI_TOKEN_MIN_LEFT 60

struct cli_token_request {
    const char *socket_path; /* cli_socket_path's answer */
    const char *scope;       /* NULL: the daemon's default (the refresh token's scope) */
    const char *audience;    /* NULL: the daemon's default audience */
};

/* Prints an access token for r alone on one line of stdout: the cached one
 * for (scope, audience) while it has more than CLI_TOKEN_MIN_LEFT seconds
 * left and its claims grant exactly the scope words and the one audience r
 * names (the daemon is not contacted), else a new one from a refresh with
 * the stored refresh token, which is then cached. Never anything broader:
 * when the daemon refuses r's scope or audience, stdout stays empty and
 * stderr says which was refused and what an administrator can change. A
 * refresh token the daemon calls invalid_grant is dead: it and every cache
 * are removed. Messages go to stderr. Returns the exit code (CLI_EXIT_*):
 * 1 when not logged in, the session ended or the request was refused, 3
 * when the daemon is unreachable. Every token buffer is wiped. */
int cli_session_token(const struct cli_token_request *r);

#endif
