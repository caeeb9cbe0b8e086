/* SPDX-License-Identifier: MIT */
/* The text of option files, shared by pam_jwt's options (conf.c) and
 * jwt-helperd's (jwt-helper/helperd_conf.c): "key = value" lines, comma
 * lists, numbers, %h/%H expansion, value checks and the messages that name
 * a problem. The option tables, which differ, stay with each parser.
 *
 * Every input is hostile: values are quoted with escapes before they reach
 * a message, and every message is cut to a fixed buffer. */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

/* ---- messages ---- */

void
conf_quote(const char *s, size_t len, char *out, size_t out_len)
{
    size_t o = 0, i;

    out[o++] = '"';
    /* o + 8 leaves room for one escape, "...", the quote and the NUL. */
    for (i = 0; i < len && i < CONF_QUOTE_MAX && o + 8 < out_len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            o += (size_t)snprintf(out + o, out_len - o, "\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7f)
            o += (size_t)snprintf(out + o, out_len - o, "\\x%02x", ch);
        else
            out[o++] = (char)ch;
    }
    if (i < len)
        o += (size_t)snprintf(out + o, out_len - o, "...");
    out[o++] = '"';
    out[o] = '\0';
}

/* Sends "prefix[source:line: |line N: |source: ][name: ]message". */
static void __attribute__((format(printf, 4, 0)))
vsay(const struct conf_reporter *r, const char *prefix, const char *name, const char *fmt,
     va_list ap)
{
    char msg[CONF_MESSAGE_MAX];
    size_t size = sizeof msg, n;

    if (r->report == NULL)
        return;
    if (r->message_max != 0 && r->message_max < size)
        size = r->message_max;
    n = (size_t)snprintf(msg, size, "%s", prefix);
    if (r->line > 0 && n < size)
        n +=
            (size_t)snprintf(msg + n, size - n, "%s%s%zu: ", r->source != NULL ? r->source : "line",
                             r->source != NULL ? ":" : " ", r->line);
    else if (r->source != NULL && n < size)
        n += (size_t)snprintf(msg + n, size - n, "%s: ", r->source);
    if (name != NULL && n < size)
        n += (size_t)snprintf(msg + n, size - n, "%s: ", name);
    if (n < size)
        vsnprintf(msg + n, size - n, fmt, ap);
    r->report(r->ctx, msg);
}

void
conf_complain(struct conf_reporter *r, const char *name, const char *fmt, ...)
{
    va_list ap;

    r->invalid = true;
    va_start(ap, fmt);
    vsay(r, "", name, fmt, ap);
    va_end(ap);
}

void
conf_warn(struct conf_reporter *r, const char *name, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsay(r, "warning: ", name, fmt, ap);
    va_end(ap);
}

void
conf_complain_nomem(struct conf_reporter *r)
{
    if (!r->nomem)
        conf_complain(r, NULL, "out of memory");
    r->nomem = true;
}

bool
conf_refuse(struct conf_reporter *r, const char *name, const char *item, const char *wanted)
{
    char q[CONF_QUOTED_SIZE];

    conf_quote(item, strlen(item), q, sizeof q);
    conf_complain(r, name, "%s is not %s", q, wanted);
    return false;
}

void
conf_file_complain(struct conf_reporter *r, const char *name, const char *path, jwt_result jr,
                   int err)
{
    bool opening = jr == JWT_ERR_FILE_OPEN;

    conf_complain(r, name, "%s: %s%s%s", path, jwt_result_str(jr), opening ? ": " : "",
                  opening ? strerror(err) : "");
}

/* ---- value checks ---- */

bool
conf_has_control(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            return true;
    return false;
}

/* Names that go into tokens stay ASCII: every verifier reads them alike. */
bool
conf_is_visible_word(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || *s == ',')
            return false;
    return true;
}

bool
conf_is_absolute_path(const char *s)
{
    return s[0] == '/' && !conf_has_control(s);
}

bool
conf_value_fits(struct conf_reporter *r, const char *name, const char *value)
{
    size_t len = strlen(value);

    if (len == 0) {
        conf_complain(r, name, "empty value");
        return false;
    }
    if (len > CONF_MAX_VALUE) {
        conf_complain(r, name, "value longer than %d bytes", CONF_MAX_VALUE);
        return false;
    }
    return true;
}

/* ---- numbers and host names ---- */

bool
conf_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (s == NULL || s[0] < '0' || s[0] > '9')
        return false;
    if (s[0] == '0' && s[1] != '\0')
        return false; /* "01" might be read as octal elsewhere: refuse doubt */
    for (i = 0; s[i] != '\0'; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (s[i] < '0' || s[i] > '9')
            return false;
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool
conf_number_parse(struct conf_reporter *r, const char *name, const char *value, uint64_t min,
                  uint64_t max, uint64_t *out)
{
    char q[CONF_QUOTED_SIZE];

    if (conf_parse_uint(value, min, max, out))
        return true;
    conf_quote(value, strlen(value), q, sizeof q);
    conf_complain(r, name, "%s is not a whole number from %llu to %llu", q, (unsigned long long)min,
                  (unsigned long long)max);
    return false;
}

bool
conf_hostname(bool full, char *buf, size_t len)
{
    char name[HOST_NAME_MAX + 1];
    size_t n;

    if (buf == NULL || len == 0)
        return false;
    buf[0] = '\0';
    /* A name of HOST_NAME_MAX bytes is legal and fills all but the last
     * byte; POSIX leaves a truncated name unterminated, so end it here. */
    if (gethostname(name, sizeof name) != 0)
        return false;
    name[sizeof name - 1] = '\0';
    n = full ? strlen(name) : strcspn(name, ".");
    if (n == 0 || n >= len)
        return false;
    memcpy(buf, name, n);
    buf[n] = '\0';
    return true;
}

/* Room for in expanded: every '%' may become a whole host name. */
static size_t
expanded_size(const char *in)
{
    size_t cap = strlen(in) + 1;

    for (; *in != '\0'; in++)
        if (*in == '%')
            cap += HOST_NAME_MAX + 1;
    return cap;
}

enum conf_expand
conf_hosts_expand(const char *in, size_t max, char **out)
{
    char host[HOST_NAME_MAX + 1], *buf;
    size_t n = 0, add;
    const char *piece;
    enum conf_expand r = CONF_EXPAND_OK;

    *out = NULL;
    if ((buf = malloc(expanded_size(in))) == NULL)
        return CONF_EXPAND_NOMEM;
    for (; *in != '\0'; in++) {
        piece = in;
        add = 1;
        if (*in == '%') {
            in++; /* '\0' after a last '%' is a bad escape, not read past */
            r = CONF_EXPAND_BAD_ESCAPE;
            if (*in != '%' && *in != 'h' && *in != 'H')
                goto out;
            r = CONF_EXPAND_NO_HOST;
            if (*in != '%' && !conf_hostname(*in == 'H', host, sizeof host))
                goto out;
            piece = *in == '%' ? "%" : host;
            add = strlen(piece);
        }
        r = CONF_EXPAND_TOO_LONG;
        if (add > max - n)
            goto out;
        memcpy(buf + n, piece, add);
        n += add;
    }
    buf[n] = '\0';
    *out = buf;
    buf = NULL;
    r = CONF_EXPAND_OK;
out:
    free(buf);
    return r;
}

const char *
conf_expand_wanted(enum conf_expand e)
{
    switch (e) {
    case CONF_EXPAND_OK:
        return "expanded"; /* not a failure: never part of a message */
    case CONF_EXPAND_NOMEM:
        return "expandable: out of memory";
    case CONF_EXPAND_BAD_ESCAPE:
        return "valid: only %h, %H and %% may follow a '%'";
    case CONF_EXPAND_NO_HOST:
        return "expandable: the host name is unknown";
    case CONF_EXPAND_TOO_LONG:
        return "short enough after expansion";
    }
    return "expandable";
}

/* ---- lines and lists ---- */

/* Drops blanks (space, tab, CR) at both ends of s, in place. */
static char *
trim(char *s)
{
    size_t len;

    while (*s == ' ' || *s == '\t' || *s == '\r')
        s++;
    len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        s[--len] = '\0';
    return s;
}

/* One line (NUL-terminated, len bytes before it): blank, "# comment", a
 * line take_line takes, or "key = value". */
static void
parse_line(struct conf_reporter *r, char *line, size_t len, const struct conf_line_handlers *on,
           void *ctx)
{
    char q[CONF_QUOTED_SIZE];
    char *key, *value, *eq;
    size_t vlen;

    if (strlen(line) != len) {
        conf_complain(r, NULL, "NUL byte in line");
        return;
    }
    key = trim(line);
    if (*key == '\0' || *key == '#')
        return;
    if (on->take_line != NULL && on->take_line(ctx, key))
        return;
    if ((eq = strchr(key, '=')) == NULL) {
        conf_quote(key, strlen(key), q, sizeof q);
        conf_complain(r, NULL, "%s is not \"key = value\"", q);
        return;
    }
    *eq = '\0';
    key = trim(key);
    value = trim(eq + 1);
    vlen = strlen(value);
    if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
        value[vlen - 1] = '\0';
        value++;
    }
    on->apply(ctx, key, value);
}

void
conf_lines_parse_with(struct conf_reporter *r, char *text, size_t len,
                      const struct conf_line_handlers *on, void *ctx)
{
    char *line = text, *end = text + len, *nl;

    r->line = 0;
    while (line < end) {
        if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
            nl = end;
        *nl = '\0';
        r->line++;
        parse_line(r, line, (size_t)(nl - line), on, ctx);
        line = nl + 1;
    }
    r->line = 0;
}

void
conf_lines_parse(struct conf_reporter *r, char *text, size_t len, conf_pair_fn apply, void *ctx)
{
    const struct conf_line_handlers on = {apply, NULL};

    conf_lines_parse_with(r, text, len, &on, ctx);
}

bool
conf_list_append(struct conf_reporter *r, char ***list, size_t *n, char *item)
{
    char **grown = realloc(*list, (*n + 1) * sizeof *grown);

    if (grown == NULL) {
        free(item);
        conf_complain_nomem(r);
        return false;
    }
    *list = grown;
    grown[(*n)++] = item;
    return true;
}

void
conf_list_free(char **list, size_t n)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

char *
conf_list_next(struct conf_reporter *r, const char *name, const char **p)
{
    const char *s = *p, *end = strchr(s, ',');
    size_t len = end != NULL ? (size_t)(end - s) : strlen(s);
    char *item = NULL;

    *p = end != NULL ? end + 1 : NULL;
    while (len > 0 && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0) {
        conf_complain(r, name, "empty item in the list");
    } else if ((item = strndup(s, len)) == NULL) {
        conf_complain_nomem(r);
        *p = NULL;
    }
    return item;
}
