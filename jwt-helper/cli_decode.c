/* SPDX-License-Identifier: MIT */
/* `jwt-helper decode`: prints a token's header and claims without verifying. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cli.h"
#include "jwt.h"
#include "secret.h"

/* Decodes one base64url segment and parses it as a strict JSON object. */
static jwt_result
decode_segment(const char *b64, size_t len, struct json_object **out)
{
    unsigned char *text = NULL;
    size_t text_len = 0;
    jwt_result r;

    *out = NULL;
    if ((r = jwt_b64url_decode(b64, len, &text, &text_len)) != JWT_OK)
        return r;
    r = jwt_json_parse_object((const char *)text, text_len, out);
    free(text);
    return r;
}

/* One line per object. json-c escapes control characters; cli_print_escaped
 * also covers bytes above 0x7e, so nothing from the token reaches the
 * terminal raw. */
static void
print_object(const char *label, struct json_object *obj)
{
    printf("%s: ", label);
    cli_print_escaped(stdout, json_object_to_json_string_ext(obj, JSON_C_TO_STRING_NOSLASHESCAPE));
    printf("\n");
}

/* A readable line for each NumericDate claim present. */
static void
print_dates(const struct json_object *claims)
{
    static const char *const names[] = {"iat", "nbf", "exp", "auth_time"};
    int64_t now = (int64_t)time(NULL), t;
    char when[64];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        time_t tt;
        struct tm tm;

        if (jwt_json_get_int64(claims, names[i], &t) <= 0)
            continue;
        tt = (time_t)t;
        if (gmtime_r(&tt, &tm) == NULL ||
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
            snprintf(when, sizeof(when), "out of range");
        printf("%s: %s (%+" PRId64 " s from now)\n", names[i], when, t - now);
    }
}

static int
decode_token(const char *token, size_t len)
{
    struct json_object *header = NULL, *claims = NULL;
    const char *dot1 = memchr(token, '.', len), *dot2 = NULL;
    jwt_result r = JWT_ERR_SEGMENTS;

    if (dot1 != NULL)
        dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token));
    if (dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
        goto out;
    if ((r = decode_segment(token, (size_t)(dot1 - token), &header)) != JWT_OK)
        goto out;
    print_object("header", header);
    if ((r = decode_segment(dot1 + 1, (size_t)(dot2 - dot1 - 1), &claims)) != JWT_OK)
        goto out;
    print_object("claims", claims);
    print_dates(claims);
    printf("signature: %zu bytes (not verified)\n", len - (size_t)(dot2 + 1 - token));
out:
    if (r != JWT_OK)
        printf("cannot decode: %s\n", jwt_result_str(r));
    json_object_put(header);
    json_object_put(claims);
    return r == JWT_OK ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
}

int
cli_decode(int argc, char **argv)
{
    char *token = NULL;
    size_t len = 0;
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: jwt-helper decode TOKEN|-\n");
        return CLI_EXIT_USAGE;
    }
    if (cli_token_read(argv[1], &token, &len) != 0)
        return CLI_EXIT_REJECTED;
    rc = decode_token(token, len);
    secret_free(token, len);
    return rc;
}
