/* SPDX-License-Identifier: MIT */
/* `jwt-helper jwks`: prints the usable public keys of a key set file;
 * `jwks install` checks and installs one; `jwks sync` fetches one. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "conf.h"
#include "jwks_install.h"
#include "jwks_sync.h"
#include "jwt.h"

/* Re-serialises what the core accepted, so the output shows exactly the
 * keys pam_jwt would use (refused ones are named on stderr). */
static struct json_object *
usable_keys_json(const struct jwt_jwks *set)
{
    struct json_object *root = json_object_new_object(), *keys = json_object_new_array();

    if (root == NULL || keys == NULL || json_object_object_add(root, "keys", keys) != 0) {
        json_object_put(root);
        json_object_put(keys);
        return NULL;
    }
    for (size_t i = 0; i < set->n_keys; i++) {
        struct json_object *k = jwt_jwk_to_json(set->keys[i]);
        if (k == NULL || json_object_array_add(keys, k) != 0) {
            json_object_put(k);
            json_object_put(root);
            return NULL;
        }
    }
    return root;
}

#define JWKS_USAGE                                                                                 \
    "usage: jwt-helper jwks [--jwks PATH]\n"                                                       \
    "       jwt-helper jwks install FILE|- --to PATH\n"                                            \
    "       jwt-helper jwks sync NAME\n"

static int cli_jwks_install(int argc, char **argv);
static int cli_jwks_sync(int argc, char **argv);

int
cli_jwks(int argc, char **argv)
{
    static const struct option longopts[] = {{"jwks", required_argument, NULL, 'j'},
                                             {"socket", required_argument, NULL, 'S'},
                                             {NULL, 0, NULL, 0}};
    const char *path = CONF_DEFAULT_JWKS;
    struct jwt_jwks *set = NULL;
    struct json_object *out = NULL;
    jwt_result r;
    bool ok;
    int opt;

    /* main() puts global options right after the verb; neither sub-verb
     * uses them (install is told --to, sync reads its own file). */
    int sub = 1;
    while (sub + 1 < argc &&
           (strcmp(argv[sub], "--config") == 0 || strcmp(argv[sub], "--socket") == 0))
        sub += 2;
    if (sub < argc && strcmp(argv[sub], "install") == 0)
        return cli_jwks_install(argc - sub, argv + sub);
    if (sub < argc && strcmp(argv[sub], "sync") == 0)
        return cli_jwks_sync(argc - sub, argv + sub);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        if (opt == 'j')
            path = optarg;
        else if (opt != 'S') {
            fputs(JWKS_USAGE, stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fputs(JWKS_USAGE, stderr);
        return CLI_EXIT_USAGE;
    }
    if ((r = jwt_jwks_load(path, &set)) != JWT_OK) {
        fprintf(stderr, "jwt-helper: key set %s: %s\n", path, jwt_result_str(r));
        return CLI_EXIT_CONFIG;
    }
    for (size_t i = 0; i < set->n_unusable; i++) {
        fprintf(stderr, "jwt-helper: key ");
        cli_print_escaped(stderr, set->unusable_kids[i]);
        fprintf(stderr, " not usable, left out\n");
    }
    ok = (out = usable_keys_json(set)) != NULL;
    if (ok)
        puts(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY |
                                                     JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(out);
    jwt_jwks_free(set);
    return ok ? CLI_EXIT_OK : CLI_EXIT_CONFIG;
}

/* ---- jwks install, jwks sync (jwt-helper(1), "Key sets from an OpenID Provider") ---- */

/* Both install a file root owns: say so before doing any work. */
static bool
running_as_root(const char *verb)
{
    if (geteuid() == 0)
        return true;
    fprintf(stderr, "jwt-helper: jwks %s: run as root (the key set it writes is root's)\n", verb);
    return false;
}

/* The step both verbs end with: check text, then replace to with it.
 * Returns an exit code; on any failure to is left as it was. */
static int
check_and_install(const char *text, size_t len, const char *to, const char *from)
{
    const char *why = NULL;
    size_t usable = 0;

    if (jwks_install_check(text, len, &why, &usable) != JWT_OK) {
        fprintf(stderr, "jwt-helper: key set from %s refused: %s; %s left as it was\n", from, why,
                to);
        return CLI_EXIT_CONFIG;
    }
    if (!jwks_install_may_replace(to, &why)) {
        fprintf(stderr, "jwt-helper: will not replace %s: %s; left as it was\n", to, why);
        return CLI_EXIT_CONFIG;
    }
    if (!jwks_install_write(to, text, len)) {
        fprintf(stderr, "jwt-helper: cannot replace %s: %s; left as it was\n", to, strerror(errno));
        return CLI_EXIT_CONFIG;
    }
    printf("installed %s: %zu usable key%s\n", to, usable, usable == 1 ? "" : "s");
    return CLI_EXIT_OK;
}

static int
install_usage(void)
{
    fputs("usage: jwt-helper jwks install FILE|- --to PATH\n", stderr);
    return CLI_EXIT_USAGE;
}

/* jwks install FILE|- --to PATH: FILE is read by the rules of a file that
 * grants access (root's or ours, not writable by others): a key set anyone
 * else could have written is not one to trust. */
static int
cli_jwks_install(int argc, char **argv)
{
    static const struct option longopts[] = {{"to", required_argument, NULL, 't'},
                                             {NULL, 0, NULL, 0}};
    const char *to = NULL, *from;
    char *text = NULL;
    size_t len = 0;
    jwt_result r;
    int opt, rc;

    optind = 1;
    /* Options may follow FILE (the usage line puts --to last). */
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (opt != 't')
            return install_usage();
        to = optarg;
    }
    if (to == NULL || *to == '\0' || optind + 1 != argc)
        return install_usage();
    from = argv[optind];
    if (!running_as_root("install"))
        return CLI_EXIT_CONFIG;
    if (strcmp(from, "-") == 0) {
        if ((rc = jwks_read_fd(STDIN_FILENO, JWT_MAX_JWKS_BYTES, &text, &len)) != 0) {
            fprintf(stderr, "jwt-helper: cannot read the key set from stdin%s\n",
                    rc > 0 ? ": larger than 1 MiB" : "");
            return CLI_EXIT_CONFIG;
        }
        from = "stdin";
    } else if ((r = jwt_file_read(from, JWT_MAX_JWKS_BYTES, -1, &text, &len)) != JWT_OK) {
        fprintf(stderr, "jwt-helper: %s: %s%s%s\n", from, jwt_result_str(r),
                r == JWT_ERR_FILE_OPEN ? ": " : "", r == JWT_ERR_FILE_OPEN ? strerror(errno) : "");
        return CLI_EXIT_CONFIG;
    }
    rc = check_and_install(text, len, to, from);
    free(text);
    return rc;
}

static void
report_stderr(void *ctx, const char *message)
{
    (void)ctx;
    fprintf(stderr, "jwt-helper: %s\n", message);
}

/* jwks sync NAME: the fetched set is checked and installed exactly as
 * `jwks install` does; the stamp beside it records the successful check. */
static int
cli_jwks_sync(int argc, char **argv)
{
    struct conf_reporter rep = {.report = report_stderr};
    struct jwks_sync_conf c = {NULL, NULL};
    char path[sizeof(JWKS_SYNC_DIR) + JWKS_SYNC_MAX_NAME + 8], *body = NULL;
    size_t len = 0;
    int rc = CLI_EXIT_CONFIG, open_errno;

    if (argc != 2 || !jwks_sync_name_is_valid(argv[1])) {
        fprintf(stderr,
                "usage: jwt-helper jwks sync NAME (NAME: letters, digits, '_', '-', "
                "'.'; reads %s/NAME.conf)\n",
                JWKS_SYNC_DIR);
        return CLI_EXIT_USAGE;
    }
    if (!running_as_root("sync"))
        return CLI_EXIT_CONFIG;
    snprintf(path, sizeof path, "%s/%s.conf", JWKS_SYNC_DIR, argv[1]);
    if (!jwks_sync_conf_load(path, &rep, &c, &open_errno))
        return CLI_EXIT_CONFIG;
    if (jwks_fetch(c.url, &body, &len) != 0) {
        fprintf(stderr, "jwt-helper: jwks sync %s: %s left as it was\n", argv[1], c.out);
        rc = CLI_EXIT_REJECTED;
        goto out;
    }
    if ((rc = check_and_install(body, len, c.out, c.url)) != CLI_EXIT_OK)
        goto out;
    if (!jwks_stamp_write(c.out, (long long)time(NULL))) {
        fprintf(stderr, "jwt-helper: jwks sync %s: cannot write the stamp beside %s: %s\n", argv[1],
                c.out, strerror(errno));
        rc = CLI_EXIT_CONFIG;
    }
out:
    free(body);
    jwks_sync_conf_free(&c);
    return rc;
}
