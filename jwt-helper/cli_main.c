/* SPDX-License-Identifier: MIT */
/* jwt-helper's entry point: global options, then dispatch to one verb. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "cli.h"

struct verb {
    const char *name;
    int (*run)(int argc, char **argv);
};

static const struct verb verbs[] = {
    {"decode", cli_decode},   {"verify", cli_verify},   {"keygen", cli_keygen},
    {"jwks", cli_jwks},       {"login", cli_login},     {"token", cli_token},
    {"logout", cli_logout},   {"passwd", cli_passwd},   {"useradd", cli_useradd},
    {"usermod", cli_usermod}, {"userdel", cli_userdel}, {"revoke", cli_revoke},
    {"keys", cli_keys},       {"doctor", cli_doctor},
};

static void
usage(FILE *f)
{
    fputs("usage: jwt-helper [--config PATH] VERB [ARGS]\n"
          "  decode TOKEN|-                       print header and claims, no verification\n"
          "  verify [--config PATH] [--jwks PATH] [--user U] [--scope S] [--service S] TOKEN|-\n"
          "                                       verify as pam_jwt would for that service\n"
          "  keygen [--alg EdDSA|ES256|RS256] [--dir DIR] [--force|--if-absent]\n"
          "                                       create signing.jwk, refresh.key, jwks.json\n"
          "  jwks [--jwks PATH]                   print the public key set\n"
          "  jwks install FILE|- --to PATH        root: check a key set and install it at PATH\n"
          "  jwks sync NAME                       root: fetch, check and install a provider's set\n"
          "  login [-u USER] [--password-stdin]   log in: store a refresh token\n"
          "  token [--scope S] [--audience A]     print a valid access token\n"
          "  logout [--all]                       forget the refresh token; --all ends every "
          "session\n"
          "  passwd                               change your password\n"
          "  doctor                               check the PAM stacks, policy and files\n"
          "root, on the files of jwt-helperd.conf:\n"
          "  useradd|usermod|userdel|passwd USER [--scopes LIST] [--lock|--unlock] "
          "[--password-stdin]\n"
          "  revoke USER                          end every session of USER at once\n"
          "  keys rotate|activate|prune           publish the next key; sign with it; drop retired "
          "keys\n"
          "global: --socket PATH (or JWT_HELPER_SOCKET), --config PATH\n",
          f);
}

/* Global options may come before the verb (jwt-helper(1), GLOBAL OPTIONS); they are handed to
 * the verb as if written after it, so each verb parses one argument list. */
static int
move_globals_after_verb(int argc, char **argv, char ***out)
{
    char **v = calloc((size_t)argc + 1, sizeof(*v));
    int n = 0, i = 1, g;

    if (v == NULL)
        return -1;
    while (i < argc && (strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "--socket") == 0) &&
           i + 1 < argc)
        i += 2;
    if (i >= argc) {
        free(v);
        return 0;
    }
    v[n++] = argv[i];
    for (g = 1; g < i; g++)
        v[n++] = argv[g];
    for (g = i + 1; g < argc; g++)
        v[n++] = argv[g];
    *out = v;
    return n;
}

int
main(int argc, char **argv)
{
    char **args = NULL;
    int n, rc = CLI_EXIT_USAGE;

    /* It holds passwords, refresh tokens and access tokens: no core file
     * may keep them, and no other process of the user may read its memory
     * (ptrace, /proc/PID/mem) or environment. */
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

    /* jwt-askpass is this program under another name (jwt-helper(1), JWT-ASKPASS). */
    if (argc > 0 && argv[0] != NULL) {
        const char *slash = strrchr(argv[0], '/');
        if (strcmp(slash != NULL ? slash + 1 : argv[0], "jwt-askpass") == 0)
            return cli_askpass(argc, argv);
    }

    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        puts(PACKAGE_STRING);
        return CLI_EXIT_OK;
    }
    if ((n = move_globals_after_verb(argc, argv, &args)) <= 0) {
        usage(stderr);
        return n < 0 ? CLI_EXIT_CONFIG : CLI_EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        if (strcmp(args[0], verbs[i].name) == 0) {
            rc = verbs[i].run(n, args);
            free(args);
            return rc;
        }
    }
    fprintf(stderr, "jwt-helper: unknown verb \"");
    cli_print_escaped(stderr, args[0]);
    fprintf(stderr, "\"\n");
    usage(stderr);
    free(args);
    return rc;
}
