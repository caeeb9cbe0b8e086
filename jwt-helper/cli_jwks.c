/* SPDX-License-Identifier: MIT */
/* `jwt-helper jwks`: prints the usable public keys of a key set file. */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "cli.h"
#include "conf.h"
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

    optind = 1;
    while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        if (opt == 'j')
            path = optarg;
        else if (opt != 'S') {
            fprintf(stderr, "usage: jwt-helper jwks [--jwks PATH]\n");
            return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "usage: jwt-helper jwks [--jwks PATH]\n");
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
