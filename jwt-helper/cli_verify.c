/* SPDX-License-Identifier: MIT */
/* `jwt-helper verify`: checks a token exactly as pam_jwt would and says why. */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "conf.h"
#include "jwt.h"
#include "secret.h"

/* Options are handed to the module's own parser as module arguments, so
 * `verify` and pam_jwt can never read a setting differently. */
#define VERIFY_MAX_ARGS 8

struct verify_args {
    const char *conf_args[VERIFY_MAX_ARGS];
    char *owned[VERIFY_MAX_ARGS];
    int n;
    const char *user;
    const char *service; /* the PAM service whose block and %s apply, or NULL */
    const char *token;
};

static void
report_to_stderr(void *ctx, const char *message)
{
    (void)ctx;
    fprintf(stderr, "jwt-helper: %s\n", message);
}

static int
add_conf_arg(struct verify_args *a, const char *name, const char *value)
{
    size_t len = strlen(name) + strlen(value) + 2;
    char *arg;

    if (a->n == VERIFY_MAX_ARGS || (arg = malloc(len)) == NULL)
        return -1;
    snprintf(arg, len, "%s=%s", name, value);
    a->owned[a->n] = arg;
    a->conf_args[a->n++] = arg;
    return 0;
}

static void
free_args(struct verify_args *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->owned[i]);
}

static int
parse_args(int argc, char **argv, struct verify_args *a)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"jwks", required_argument, NULL, 'j'},
        {"user", required_argument, NULL, 'u'},
        {"scope", required_argument, NULL, 's'},
        {"socket", required_argument, NULL, 'S'},
        {"service", required_argument, NULL, 'v'},
        {NULL, 0, NULL, 0},
    };
    static const char *const conf_names[] = {['c'] = "config", ['j'] = "jwks", ['s'] = "scope"};
    int opt;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        if (opt == 'u')
            a->user = optarg;
        else if (opt == 'v')
            a->service = optarg;
        else if (opt == 'c' || opt == 'j' || opt == 's') {
            if (add_conf_arg(a, conf_names[opt], optarg) != 0)
                return -1;
        } else if (opt != 'S') /* the socket is not needed to verify */
            return -1;
    }
    if (optind != argc - 1)
        return -1;
    a->token = argv[optind];
    return 0;
}

/* Loads the key set and PEM key the options name. */
static int
load_keys(const struct conf *c, struct jwt_jwks **keys)
{
    jwt_result r = JWT_OK;
    const char *what = c->jwks;

    *keys = NULL;
    if (c->jwks != NULL)
        r = jwt_jwks_load(c->jwks, keys);
    if (r == JWT_OK && c->key != NULL) {
        what = c->key;
        r = jwt_jwks_add_pem(c->key, keys);
    }
    if (r != JWT_OK) {
        fprintf(stderr, "jwt-helper: key set %s: %s\n", what, jwt_result_str(r));
        jwt_jwks_free(*keys);
        *keys = NULL;
        return -1;
    }
    return 0;
}

/* The module's last check (DESIGN §3 order), so verify agrees with it: the
 * revocation list, for --user, else the token's subject. `once` is never
 * consumed here. */
static jwt_result
check_revocation(const struct conf *c, const char *user, struct jwt_verified *v)
{
    const char *who = user != NULL ? user : v->subject;
    jwt_result r;

    if (c->revocation == NULL || who == NULL)
        return JWT_OK;
    r = jwt_revocation_check(c->revocation, who, v);
    if (r == JWT_ERR_REVOKED)
        snprintf(v->reason, sizeof(v->reason), "%s", jwt_result_str(r));
    else if (r != JWT_OK)
        snprintf(v->reason, sizeof(v->reason), "revocation list %s: %s", c->revocation,
                 jwt_result_str(r));
    return r;
}

static void
print_verdict(jwt_result r, const struct jwt_verified *v)
{
    if (r != JWT_OK) {
        printf("rejected: %s\n", v->reason);
        return;
    }
    printf("accepted: sub=");
    cli_print_escaped(stdout, v->subject != NULL ? v->subject : "");
    printf(" exp=%" PRId64 " scope=", v->exp);
    cli_print_escaped(stdout, v->scope != NULL ? v->scope : "");
    printf("\n");
}

int
cli_verify(int argc, char **argv)
{
    struct verify_args a = {0};
    struct conf c = {0};
    struct jwt_jwks *keys = NULL;
    struct jwt_policy policy;
    struct jwt_verified v = {0};
    char *token = NULL;
    size_t len = 0;
    int rc = CLI_EXIT_USAGE;
    jwt_result r;

    if (parse_args(argc, argv, &a) != 0) {
        fprintf(stderr, "usage: jwt-helper verify [--config PATH] [--jwks PATH] [--user U] "
                        "[--scope S] [--service S] TOKEN|-\n");
        goto out;
    }
    rc = CLI_EXIT_CONFIG;
    if (conf_load(&c, CONF_DEFAULT_PATH, a.service, a.n, a.conf_args, report_to_stderr, NULL) !=
            CONF_OK ||
        load_keys(&c, &keys) != 0)
        goto out;
    rc = CLI_EXIT_REJECTED;
    if (cli_token_read(a.token, &token, &len) != 0)
        goto out;
    conf_policy(&c, &policy);
    policy.user = a.user;
    if ((r = jwt_verify(token, len, keys, &policy, &v)) == JWT_OK &&
        (r = check_revocation(&c, a.user, &v)) != JWT_OK && r != JWT_ERR_REVOKED) {
        /* An unusable list is the configuration's fault, not the token's. */
        fprintf(stderr, "jwt-helper: %s\n", v.reason);
        rc = CLI_EXIT_CONFIG;
        goto out;
    }
    print_verdict(r, &v);
    rc = r == JWT_OK ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
out:
    jwt_verified_clear(&v);
    secret_free(token, len);
    jwt_jwks_free(keys);
    conf_free(&c);
    free_args(&a);
    return rc;
}
