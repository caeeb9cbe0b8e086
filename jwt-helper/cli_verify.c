/* SPDX-License-Identifier: MIT */
/* `jwt-helper verify`: checks a token exactly as pam_jwt would and says why. */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "conf.h"
#include "helperd_tokens.h"
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

/* A configured file that failed closed is the configuration's fault, not
 * the token's: said on stderr, naming the file, for CLI_EXIT_CONFIG. */
static void
print_file_problem(const struct conf *c, jwt_result r, const struct jwt_verified *v)
{
    const char *what = v->failed_file == c->revocation ? "revocation list" : "key set";

    fprintf(stderr, "jwt-helper: %s %s: %s\n", what, v->failed_file, jwt_result_str(r));
}

static void
print_verdict(const struct conf *c, jwt_result r, const struct jwt_verified *v)
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
    /* pam_jwt records the jti only after this decision; verify never does. */
    if (c->once)
        printf("once: this jti would be recorded\n");
}

/* The token's length against the prompts it must pass (on stderr, so that
 * stdout stays the one verdict line scripts read): most prompts cut a
 * longer answer silently, which looks like a bad token. */
static void
print_length(size_t len)
{
    fprintf(stderr, "length: %zu bytes: %s ssh's %d-byte prompt, %s sudo's %d\n", len,
            len <= HELPERD_TOKENS_BUDGET ? "fits" : "over", HELPERD_TOKENS_BUDGET,
            len <= HELPERD_TOKENS_SUDO_BUDGET ? "fits" : "over", HELPERD_TOKENS_SUDO_BUDGET);
}

int
cli_verify(int argc, char **argv)
{
    struct verify_args a = {0};
    struct conf c = {0};
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
    if (conf_load(&c, CONF_DEFAULT_PATH, a.service, a.n, a.conf_args, cli_report_stderr, NULL) !=
        CONF_OK)
        goto out;
    rc = CLI_EXIT_REJECTED;
    if (cli_token_read(a.token, &token, &len) != 0)
        goto out;
    /* The module's own decision, so verify can never judge differently. */
    r = jwt_decide(&c, a.user, token, len, (int64_t)time(NULL), &v);
    if (v.failed_file != NULL) {
        print_file_problem(&c, r, &v);
        rc = CLI_EXIT_CONFIG;
        goto out;
    }
    print_verdict(&c, r, &v);
    print_length(len);
    rc = r == JWT_OK ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
out:
    jwt_verified_clear(&v);
    secret_free(token, len);
    conf_free(&c);
    free_args(&a);
    return rc;
}
