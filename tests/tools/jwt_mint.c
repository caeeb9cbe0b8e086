/* SPDX-License-Identifier: MIT */
/* jwt-mint: a test helper (never installed) that signs any header and payload with a private JWK.
 *
 * usage: jwt-mint --key signing.jwk [--typ T] [--alg-header A] [--header JSON] PAYLOAD_JSON
 *
 * The payload bytes are taken verbatim. Without --header the header is
 * {"alg":A,"typ":T,"kid":KID}: A defaults to the key's alg, typ is left out
 * unless --typ is given, kid is the key's. With --header the header bytes are
 * taken verbatim (and --typ / --alg-header are refused). The signature always
 * uses the key's own alg, whatever the header claims, so tests can mint
 * tokens whose header lies. Prints the token and a newline; exit 0, 1 when
 * the key cannot be loaded or signing fails, 2 on usage. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jwt.h"
#include "secret.h"
#include "signer.h"

struct mint_opts {
    const char *key, *typ, *alg, *header, *payload;
};

static int
usage(void)
{
    fputs("usage: jwt-mint --key signing.jwk [--typ T] [--alg-header A] [--header JSON] "
          "PAYLOAD_JSON\n",
          stderr);
    return 2;
}

static int
parse_args(int argc, char **argv, struct mint_opts *o)
{
    static const struct option longopts[] = {
        {"key", required_argument, NULL, 'k'},
        {"typ", required_argument, NULL, 't'},
        {"alg-header", required_argument, NULL, 'a'},
        {"header", required_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        switch (c) {
        case 'k':
            o->key = optarg;
            break;
        case 't':
            o->typ = optarg;
            break;
        case 'a':
            o->alg = optarg;
            break;
        case 'H':
            o->header = optarg;
            break;
        default:
            return -1;
        }
    }
    if (o->key == NULL || optind != argc - 1 || (o->header != NULL && (o->typ || o->alg)))
        return -1;
    o->payload = argv[optind];
    return 0;
}

/* {"alg":...,"typ":...,"kid":...}, serialised into *out (malloc'd). */
static int
header_build(const struct signer *s, const struct mint_opts *o, char **out)
{
    struct json_object *h = json_object_new_object();
    const char *alg = o->alg != NULL ? o->alg : jwt_alg_name(signer_alg(s));
    const char *text;
    int rc = -1;

    if (h == NULL)
        return -1;
    json_object_object_add(h, "alg", json_object_new_string(alg));
    if (o->typ != NULL)
        json_object_object_add(h, "typ", json_object_new_string(o->typ));
    json_object_object_add(h, "kid", json_object_new_string(signer_kid(s)));
    text =
        json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (text != NULL && (*out = strdup(text)) != NULL)
        rc = 0;
    json_object_put(h);
    return rc;
}

int
main(int argc, char **argv)
{
    struct mint_opts o = {NULL};
    struct signer *s = NULL;
    char *header = NULL, *token = NULL;
    jwt_result r;
    int rc = 1;

    if (parse_args(argc, argv, &o) != 0)
        return usage();
    if ((r = signer_load(o.key, &s)) != JWT_OK) {
        fprintf(stderr, "jwt-mint: %s: %s\n", o.key, jwt_result_str(r));
        goto out;
    }
    if (o.header == NULL && header_build(s, &o, &header) != 0) {
        fputs("jwt-mint: out of memory\n", stderr);
        goto out;
    }
    if ((r = signer_sign(s, o.header != NULL ? o.header : header, o.payload, &token)) != JWT_OK) {
        fprintf(stderr, "jwt-mint: signing failed: %s\n", jwt_result_str(r));
        goto out;
    }
    printf("%s\n", token);
    rc = 0;
out:
    free(header);
    secret_free_str(token);
    signer_free(s);
    return rc;
}
