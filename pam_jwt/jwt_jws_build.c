/* SPDX-License-Identifier: MIT */
/* Assembles compact JWS text (RFC 7515 §7.1) for the signers; signing is theirs. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jwt.h"
#include "secret.h"

/* a "." b: a new string, or NULL. */
static char *
join_dot(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + 1 + lb + 1);

    if (s == NULL)
        return NULL;
    memcpy(s, a, la);
    s[la] = '.';
    memcpy(s + la + 1, b, lb);
    s[la + 1 + lb] = '\0';
    return s;
}

char *
jwt_jws_signing_input(const char *header_json, const char *payload_json)
{
    char *h = jwt_b64url_encode((const unsigned char *)header_json, strlen(header_json));
    char *p = jwt_b64url_encode((const unsigned char *)payload_json, strlen(payload_json));
    char *input = h != NULL && p != NULL ? join_dot(h, p) : NULL;

    /* the parts of a token are as secret as the token (STYLE "Secrets") */
    secret_free_str(h);
    secret_free_str(p);
    return input;
}

char *
jwt_jws_compact(const char *signing_input, const unsigned char *sig, size_t sig_len)
{
    char *s = jwt_b64url_encode(sig, sig_len);
    char *token = s != NULL ? join_dot(signing_input, s) : NULL;

    secret_free_str(s);
    return token;
}
