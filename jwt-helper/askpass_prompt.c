/* SPDX-License-Identifier: MIT */
/* jwt-askpass's prompt parser (askpass_prompt.h). */
#include "config.h"

#include <string.h>

#include "askpass_prompt.h"
#include "helperd_tokens.h"

#define AUDIENCE_PREFIX "host:"

/* One grammar: a host name the daemon would refuse for "host:*" is not
 * ours to ask for. */
bool
askpass_host_audience(const char *s, size_t len, char *aud)
{
    size_t pre = strlen(AUDIENCE_PREFIX);

    if (len == 0 || len > ASKPASS_HOST_MAX)
        return false;
    memcpy(aud, AUDIENCE_PREFIX, pre);
    for (size_t n = 0; n < len; n++) {
        char c = s[n];
        /* DNS names are case-insensitive: the audience is the lowercase form. */
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        aud[pre + n] = c;
    }
    aud[pre + len] = '\0';
    return helperd_tokens_audience_is_host(aud);
}

/* The audience for "host", "host:port" or "[host]:port" (s[0..len)). */
static bool
ssh_host_audience(const char *s, size_t len, char *aud)
{
    const char *colon;

    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (close == NULL)
            return false;
        s++;
        len = (size_t)(close - s);
    } else if ((colon = memchr(s, ':', len)) != NULL &&
               memchr(colon + 1, ':', len - (size_t)(colon + 1 - s)) == NULL) {
        len = (size_t)(colon - s); /* one colon: a port; more: an IPv6 literal */
    }
    return askpass_host_audience(s, len, aud);
}

/* The user part of "user@host" as OpenSSH prints it: visible ASCII, and
 * none of the characters that would let another prompt's text pass for
 * it (spaces, quotes, parentheses). */
static bool
ssh_user_ok(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] <= ' ' || s[i] > '~' || strchr("'\"()", s[i]) != NULL)
            return false;
    return true;
}

/* The audience for "user@host" (s[0..len)): the host is after the last
 * '@', since the user name may itself hold one (ssh 'a@b@host'). */
static bool
user_at_host_audience(const char *s, size_t len, char *aud)
{
    const char *at = NULL;

    for (const char *q = s; q < s + len; q++)
        if (*q == '@')
            at = q;
    if (at == NULL || !ssh_user_ok(s, (size_t)(at - s)))
        return false;
    return ssh_host_audience(at + 1, len - (size_t)(at + 1 - s), aud);
}

bool
askpass_ssh_prompt_audience(const char *p, char *aud)
{
    static const char suffix[] = "'s password:";
    size_t len = strlen(p), slen = sizeof(suffix) - 1;
    const char *close;

    if (p[0] == '(') {
        /* The first ')' closes the prefix: the host cannot hold one, and
         * whatever follows is the server's. */
        close = strchr(p, ')');
        if (close == NULL || close[1] != ' ')
            return false;
        return user_at_host_audience(p + 1, (size_t)(close - p - 1), aud);
    }
    if (len > 0 && p[len - 1] == ' ')
        len--;
    if (len <= slen || memcmp(p + len - slen, suffix, slen) != 0)
        return false;
    return user_at_host_audience(p, len - slen, aud);
}
