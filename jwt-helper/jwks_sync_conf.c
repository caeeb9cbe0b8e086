/* SPDX-License-Identifier: MIT */
/* Reads one provider's sync file, /etc/jwt-helper/jwks-sync/NAME.conf:
 * URL= and OUT=, for `jwks sync` and for doctor alike. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jwks_sync.h"

bool
jwks_sync_name_is_valid(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > JWKS_SYNC_MAX_NAME || name[0] == '.' || name[0] == '-')
        return false;
    for (const char *p = name; *p != '\0'; p++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == '.'))
            return false;
    }
    return true;
}

/* A URL curl is handed as one argument: https only (curl's --proto checks
 * it again), and only visible ASCII, so nothing in it reads as a second
 * argument, a header or a line of a log. */
static bool
url_is_acceptable(const char *url)
{
    if (strncmp(url, "https://", 8) != 0 || url[8] == '\0')
        return false;
    for (const char *p = url; *p != '\0'; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return false;
    return true;
}

struct parse_state {
    struct conf_reporter *r;
    struct jwks_sync_conf *c;
};

/* Sets *slot to a copy of value unless the key came before. */
static void
take_once(struct conf_reporter *r, const char *key, char **slot, const char *value)
{
    if (*slot != NULL) {
        conf_complain(r, key, "given twice");
        return;
    }
    if ((*slot = strdup(value)) == NULL)
        conf_complain_nomem(r);
}

static void
apply_pair(void *ctx, const char *key, const char *value)
{
    struct parse_state *st = ctx;
    size_t n = strlen(value);

    if (!conf_value_fits(st->r, key, value))
        return;
    if (strcmp(key, "URL") == 0) {
        if (!url_is_acceptable(value))
            (void)conf_refuse(st->r, key, value, "an https:// URL (visible ASCII only)");
        else
            take_once(st->r, key, &st->c->url, value);
    } else if (strcmp(key, "OUT") == 0) {
        if (!conf_is_absolute_path(value) || value[n - 1] == '/')
            (void)conf_refuse(st->r, key, value, "an absolute path of a file");
        else
            take_once(st->r, key, &st->c->out, value);
    } else {
        (void)conf_refuse(st->r, NULL, key, "a known key (URL, OUT)");
    }
}

void
jwks_sync_conf_free(struct jwks_sync_conf *c)
{
    free(c->url);
    free(c->out);
    c->url = c->out = NULL;
}

bool
jwks_sync_conf_parse(char *text, size_t len, struct conf_reporter *r, struct jwks_sync_conf *c)
{
    struct parse_state st = {r, c};

    memset(c, 0, sizeof(*c));
    conf_lines_parse(r, text, len, apply_pair, &st);
    if (!r->invalid && c->url == NULL)
        conf_complain(r, "URL", "missing");
    if (!r->invalid && c->out == NULL)
        conf_complain(r, "OUT", "missing");
    if (r->invalid) {
        jwks_sync_conf_free(c);
        return false;
    }
    return true;
}

bool
jwks_sync_conf_load(const char *path, struct conf_reporter *r, struct jwks_sync_conf *c,
                    int *open_errno)
{
    char *text = NULL;
    size_t len = 0;
    jwt_result jr;
    bool ok;

    memset(c, 0, sizeof(*c));
    *open_errno = 0;
    if ((jr = jwt_file_read(path, JWKS_SYNC_MAX_CONF_BYTES, -1, &text, &len)) != JWT_OK) {
        if (jr == JWT_ERR_FILE_OPEN)
            *open_errno = errno;
        conf_file_complain(r, NULL, path, jr, *open_errno);
        if (jr == JWT_ERR_NOMEM)
            r->nomem = true;
        return false;
    }
    r->source = path;
    ok = jwks_sync_conf_parse(text, len, r, c);
    r->source = NULL;
    free(text);
    return ok;
}
