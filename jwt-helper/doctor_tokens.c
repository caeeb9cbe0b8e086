/* SPDX-License-Identifier: MIT */
/* `jwt-helper doctor`: how long a token from the local jwt-helperd is for
 * each scope a service needs, against that service's prompt budget
 * (jwt-helperd(8), Tokens). The length is measured,
 * not estimated: the daemon's own code (helperd_tokens_access_length) mints
 * the token with the daemon's signing key, its configuration and the
 * longest user name in its records, and wipes it. That token is dated in
 * 2001 (iat, auth_time and exp have as many digits as today's), so it was
 * dead before it was made; the key is read as the daemon reads it
 * (signer_load: locked memory, wiped). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "doctor_daemon.h"
#include "helperd_tokens.h"
#include "signer.h"

/* 2001-09-09: the first ten-digit unix time, and so as long as now. */
#define DEAD_INSTANT 1000000000

/* The longest user name among the records; a record's name can be up to
 * JWT_USER_NAME_MAX, so with none yet the longest allowed one. */
static void
longest_name(const struct userdb *users, char *out)
{
    size_t best = 0;

    memset(out, 'x', JWT_USER_NAME_MAX);
    out[JWT_USER_NAME_MAX] = '\0';
    for (size_t i = 0; users != NULL && i < users->n_records; i++)
        if (strlen(users->records[i].name) > best)
            best = strlen(users->records[i].name);
    if (best > 0)
        out[best] = '\0';
}

/* The smaller of the service's prompt and the daemon's own budget for the
 * scope: sudo answers at most 511 bytes whatever scope its policy names. */
static size_t
budget_of(const struct doctor_need *n)
{
    size_t daemon = helperd_tokens_budget(n->scope);

    return doctor_service_is_sudo(n->service) && daemon > HELPERD_TOKENS_SUDO_BUDGET
               ? HELPERD_TOKENS_SUDO_BUDGET
               : daemon;
}

static struct signer *
signer_open(struct doctor *d, const char *path)
{
    struct signer *s = NULL;
    jwt_result r;

    errno = 0;
    if ((r = signer_load(path, &s)) == JWT_OK)
        return s;
    if (r == JWT_ERR_FILE_OPEN && errno == EACCES)
        doctor_unreadable(d, path, strerror(errno), "token sizes against prompt budgets");
    else if (!(r == JWT_ERR_FILE_OPEN && errno == ENOENT) && r != JWT_ERR_FILE_UNSAFE)
        doctor_finding(d, DOCTOR_ERROR, path, 0,
                       "jwt-helperd cannot use this signing key (%s); make a new one with "
                       "jwt-helper keygen --force",
                       jwt_result_str(r));
    /* missing: the daemon makes its keys at its first start; unsafe: the
     * files check said so */
    return NULL;
}

/* Measures one need's token and says what is wrong with it. Appends
 * "SERVICE (scope S) N of B bytes" to said. */
static void
judge_need(struct doctor *d, const struct signer *s, const struct helperd_conf *conf,
           const struct helperd_tokens_params *p, struct helperd_tokens_grant *g,
           const struct doctor_need *n, char *said, size_t said_len)
{
    size_t len = 0, budget = budget_of(n), at = strlen(said);
    helperd_tokens_result r;

    g->scope = n->scope;
    r = helperd_tokens_access_length(s, p, g, NULL, DEAD_INSTANT, &len);
    g->scope = NULL;
    if (r != HELPERD_TOKENS_OK) {
        doctor_finding(d, DOCTOR_WARNING, conf->signing_key, 0,
                       "service %.64s needs scope \"%.64s\", which jwt-helperd cannot issue (%s); "
                       "fine when its tokens come from another issuer",
                       n->service, n->scope, helperd_tokens_result_str(r));
        return;
    }
    snprintf(said + at, said_len - at, "%s%s (scope %s) %zu of %zu bytes", at > 0 ? ", " : "",
             n->service, n->scope, len, budget);
    if (len <= budget)
        return;
    doctor_finding(d, DOCTOR_ERROR, conf->signing_key, 0,
                   "a token for service %.64s (scope %.64s) from this %s key is %zu bytes, over "
                   "the %zu its prompt takes: %s, so no token logs in there; sign with an "
                   "EdDSA key (jwt-helper keys rotate --alg EdDSA, then keys activate)",
                   n->service, n->scope, jwt_alg_name(signer_alg(s)), len, budget,
                   helperd_tokens_budget(n->scope) == budget ? "jwt-helperd refuses to issue it"
                                                             : "sudo refuses the answer");
}

void
doctor_tokens_check(struct doctor *d, const struct helperd_conf *conf, const struct userdb *users)
{
    struct helperd_tokens_params p = {
        .issuer = conf->issuer,
        .audience = conf->audience,
        .audiences = (const char *const *)conf->audiences,
        .n_audiences = conf->n_audiences,
        .default_scopes = (const char *const *)conf->default_scope,
        .n_default_scopes = conf->n_default_scope,
        .access_ttl = conf->access_ttl,
        .refresh_ttl = conf->refresh_ttl,
    };
    struct helperd_tokens_grant g = {.auth_time = DEAD_INSTANT};
    struct signer *s = NULL;
    char said[1024] = "", line[1280];

    if (d->n_needs == 0 || (s = signer_open(d, conf->signing_key)) == NULL)
        return; /* no service takes tokens, or no key to measure */
    longest_name(users, g.sub);
    for (size_t i = 0; i < d->n_needs; i++)
        judge_need(d, s, conf, &p, &g, &d->needs[i], said, sizeof(said));
    if (said[0] != '\0') {
        /* one statement, before the summary: it is no finding */
        snprintf(line, sizeof(line), "tokens: key %s (%s), a %zu-character user name: %s",
                 signer_kid(s), jwt_alg_name(signer_alg(s)), strlen(g.sub), said);
        cli_print_escaped(stdout, line); /* the kid is the key file's text */
        putchar('\n');
    }
    signer_free(s);
}
