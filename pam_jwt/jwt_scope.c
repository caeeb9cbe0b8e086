/* SPDX-License-Identifier: MIT */
/* Scope words: the one grammar (RFC 6749 §3.3) and the one way to find a word in a scope. */
#include "config.h"

#include <string.h>

#include "jwt.h"

/* The daemon's words (user records, default_scope, what it issues): the
 * grammar of jwt-helperd(8), "User records", each a scope-token. */
static const char plain_chars[] = "abcdefghijklmnopqrstuvwxyz0123456789_.-";

bool
jwt_scope_char_is_valid(unsigned char c)
{
    /* NQCHAR less space: %x21 / %x23-5B / %x5D-7E ('"' and '\' are out). */
    return c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

bool
jwt_scope_token_is_valid(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!jwt_scope_char_is_valid((unsigned char)s[i]))
            return false;
    return true;
}

bool
jwt_scope_token_is_plain(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\0' || strchr(plain_chars, s[i]) == NULL)
            return false;
    return true;
}

bool
jwt_scope_is_valid(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ') {
            /* scope-token *( SP scope-token ): no leading, trailing or double space */
            if (i == 0 || i + 1 == len || s[i - 1] == ' ')
                return false;
        } else if (!jwt_scope_char_is_valid(c)) {
            return false;
        }
    }
    return len > 0;
}

size_t
jwt_scope_next(const char **pos, const char **word)
{
    const char *p = *pos;
    size_t n;

    while (*p == ' ')
        p++;
    n = strcspn(p, " ");
    *word = p;
    *pos = p + n;
    return n;
}

size_t
jwt_scope_count(const char *scope, const char *word, size_t len)
{
    const char *pos = scope != NULL ? scope : "", *w = NULL;
    size_t n, count = 0;

    while ((n = jwt_scope_next(&pos, &w)) != 0)
        if (n == len && memcmp(w, word, n) == 0)
            count++;
    return count;
}

bool
jwt_scope_grants(const char *scope, const char *const *want, size_t n_want)
{
    for (size_t i = 0; i < n_want; i++)
        if (jwt_scope_count(scope, want[i], strlen(want[i])) == 0)
            return false;
    return true;
}
