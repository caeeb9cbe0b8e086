/* SPDX-License-Identifier: MIT */
/* Reads the "not before" revocation list (jwt-helperd(8), "Revocation list"):
 * one "name:unix-time" a line. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jwt.h"

struct revocation_entry {
    char name[JWT_USER_NAME_MAX + 1];
    int64_t instant;
};

struct jwt_revocation {
    struct revocation_entry *entries; /* sorted by name, one per name */
    size_t n;
};

/* jwt-helperd(8) user names: [a-z_][a-z0-9_.-]{0,31}. */
bool
jwt_user_name_is_valid(const char *s, size_t len)
{
    if (len == 0 || len > JWT_USER_NAME_MAX || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return false;
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

/* Decimal, no sign, no leading zero, within int64. */
static bool
parse_instant(const char *s, size_t len, int64_t *out)
{
    int64_t v = 0;

    if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || __builtin_mul_overflow(v, 10, &v) ||
            __builtin_add_overflow(v, s[i] - '0', &v))
            return false;
    }
    *out = v;
    return true;
}

static bool
parse_line(const char *line, size_t len, struct revocation_entry *e)
{
    const char *colon = memchr(line, ':', len);
    size_t name_len;

    if (colon == NULL)
        return false;
    name_len = (size_t)(colon - line);
    if (!jwt_user_name_is_valid(line, name_len) ||
        !parse_instant(colon + 1, len - name_len - 1, &e->instant))
        return false;
    memcpy(e->name, line, name_len);
    e->name[name_len] = '\0';
    return true;
}

static int
compare_entries(const void *a, const void *b)
{
    return strcmp(((const struct revocation_entry *)a)->name,
                  ((const struct revocation_entry *)b)->name);
}

/* Sorts by name and folds repeated names: the later instant wins. */
static void
sort_and_merge(struct jwt_revocation *list)
{
    size_t kept = 0;

    if (list->n == 0)
        return;
    qsort(list->entries, list->n, sizeof(list->entries[0]), compare_entries);
    for (size_t i = 1; i < list->n; i++) {
        struct revocation_entry *last = &list->entries[kept];
        if (strcmp(last->name, list->entries[i].name) == 0) {
            if (list->entries[i].instant > last->instant)
                last->instant = list->entries[i].instant;
        } else {
            list->entries[++kept] = list->entries[i];
        }
    }
    list->n = kept + 1;
}

static size_t
count_lines(const char *text, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    return n + (len > 0 && text[len - 1] != '\n');
}

jwt_result
jwt_revocation_parse(const char *text, size_t len, struct jwt_revocation **out)
{
    struct jwt_revocation *list = NULL;
    size_t pos = 0;
    jwt_result r = JWT_ERR_NOMEM;

    *out = NULL;
    if ((list = calloc(1, sizeof(*list))) == NULL)
        goto out;
    if (len > 0 && (list->entries = calloc(count_lines(text, len), sizeof(*list->entries))) == NULL)
        goto out;
    r = JWT_ERR_REVOCATION_LIST;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t line_len = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
        if (!parse_line(text + pos, line_len, &list->entries[list->n]))
            goto out;
        list->n++;
        pos += line_len + 1;
    }
    sort_and_merge(list);
    *out = list;
    list = NULL;
    r = JWT_OK;
out:
    jwt_revocation_free(list);
    return r;
}

jwt_result
jwt_revocation_load(const char *path, long extra_owner, struct jwt_revocation **out)
{
    char *text = NULL;
    size_t len = 0;
    jwt_result r;

    *out = NULL;
    if ((r = jwt_file_read(path, JWT_MAX_REVOCATION_BYTES, extra_owner, &text, &len)) != JWT_OK)
        return r;
    r = jwt_revocation_parse(text, len, out);
    free(text);
    return r;
}

bool
jwt_revocation_lookup(const struct jwt_revocation *list, const char *name, int64_t *instant)
{
    struct revocation_entry key = {0};
    const struct revocation_entry *found;
    size_t len = strlen(name);

    if (list->n == 0 || len > JWT_USER_NAME_MAX)
        return false;
    memcpy(key.name, name, len + 1);
    found = bsearch(&key, list->entries, list->n, sizeof(key), compare_entries);
    if (found == NULL)
        return false;
    *instant = found->instant;
    return true;
}

void
jwt_revocation_free(struct jwt_revocation *list)
{
    if (list == NULL)
        return;
    free(list->entries);
    free(list);
}
