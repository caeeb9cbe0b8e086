/* SPDX-License-Identifier: MIT */
/* The option table walker shared by pam_jwt.conf and jwt-helperd.conf: one
 * row names an option's field, kind, check, default and bounds; these
 * functions find a row, store a value by it, clear and free its field.
 * What a source is, what may repeat and which defaults apply stay with
 * each program (pam_jwt/conf.c, jwt-helper/helperd_conf.c). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static void *
field(void *base, const struct conf_row *row)
{
    return (char *)base + row->field;
}

static char ***
field_list(void *base, const struct conf_row *row)
{
    return (char ***)field(base, row);
}

static size_t *
field_count(void *base, const struct conf_row *row)
{
    return (size_t *)(void *)((char *)base + row->count);
}

void
conf_row_clear(void *base, const struct conf_row *row)
{
    void *f = field(base, row);

    switch (row->kind) {
    case CONF_STRING:
        free(*(char **)f);
        *(char **)f = NULL;
        break;
    case CONF_LIST:
    case CONF_REPEAT:
        conf_list_free(*field_list(base, row), *field_count(base, row));
        *field_list(base, row) = NULL;
        *field_count(base, row) = 0;
        break;
    case CONF_INT64:
        *(int64_t *)f = -1; /* unset */
        break;
    case CONF_SIZE:
        *(size_t *)f = 0;
        break;
    case CONF_UINT:
        *(unsigned *)f = 0;
        break;
    case CONF_FLAG:
        *(bool *)f = false;
        break;
    case CONF_SPECIAL:
        row->special(&(struct conf_target){.base = base}, row, NULL);
        break;
    }
}

void
conf_rows_free(void *base, const struct conf_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        conf_row_clear(base, &rows[i]);
}

const struct conf_row *
conf_row_find(const struct conf_row *rows, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(rows[i].name) == len && memcmp(rows[i].name, name, len) == 0)
            return &rows[i];
    return NULL;
}

bool
conf_check_path(const struct conf_target *t, const struct conf_row *row, char **item)
{
    if (!conf_is_absolute_path(*item))
        return conf_refuse(t->rep, row->name, *item, "an absolute path");
    return true;
}

/* Checks item (owned: freed on failure) and appends it to row's list. */
static void
list_take(const struct conf_target *t, const struct conf_row *row, char *item)
{
    char ***list = field_list(t->base, row);
    size_t *n = field_count(t->base, row);
    uint64_t most = row->max != 0 ? row->max : CONF_MAX_LIST;

    if (!row->check(t, row, &item))
        goto out;
    for (size_t i = 0; (row->flags & CONF_ROW_UNIQUE) && i < *n; i++) {
        if (strcmp((*list)[i], item) == 0) {
            /* reject on doubt: a repeated entry is likely a typo */
            (void)conf_refuse(t->rep, row->name, item, "listed once only");
            goto out;
        }
    }
    if (*n >= most) {
        conf_complain(t->rep, row->name, "more than %llu values", (unsigned long long)most);
        goto out;
    }
    (void)conf_list_append(t->rep, list, n, item);
    item = NULL; /* the list's now, or freed */
out:
    free(item);
}

static void
split_list(const struct conf_target *t, const struct conf_row *row, const char *value)
{
    char *item;

    for (const char *p = value; p != NULL;)
        if ((item = conf_list_next(t->rep, row->name, &p)) != NULL)
            list_take(t, row, item);
}

static void
set_number(const struct conf_target *t, const struct conf_row *row, const char *value)
{
    void *f = field(t->base, row);
    uint64_t v;

    if (!conf_number_parse(t->rep, row->name, value, row->min, row->max, &v))
        return;
    /* Each table's bounds fit its field's type. */
    if (row->kind == CONF_INT64)
        *(int64_t *)f = (int64_t)v;
    else if (row->kind == CONF_SIZE)
        *(size_t *)f = (size_t)v;
    else
        *(unsigned *)f = (unsigned)v;
}

static void
set_flag(const struct conf_target *t, const struct conf_row *row, const char *value)
{
    char q[CONF_QUOTED_SIZE];

    if (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0) {
        *(bool *)field(t->base, row) = value[0] == 'y';
        return;
    }
    conf_quote(value, strlen(value), q, sizeof q);
    conf_complain(t->rep, row->name, "%s is not yes or no", q);
}

static void
set_string(const struct conf_target *t, const struct conf_row *row, const char *value)
{
    char *copy = strdup(value);

    if (copy == NULL) {
        conf_complain_nomem(t->rep);
        return;
    }
    if (row->kind == CONF_REPEAT)
        list_take(t, row, copy);
    else if (row->check(t, row, &copy))
        *(char **)field(t->base, row) = copy;
    else
        free(copy);
}

void
conf_row_set(const struct conf_target *t, const struct conf_row *row, const char *value)
{
    if (!conf_value_fits(t->rep, row->name, value))
        return;
    switch (row->kind) {
    case CONF_STRING:
    case CONF_REPEAT:
        set_string(t, row, value);
        break;
    case CONF_LIST:
        split_list(t, row, value);
        break;
    case CONF_INT64:
    case CONF_SIZE:
    case CONF_UINT:
        set_number(t, row, value);
        break;
    case CONF_FLAG:
        set_flag(t, row, value);
        break;
    case CONF_SPECIAL:
        row->special(t, row, value);
        break;
    }
}

int
conf_file_load(struct conf_reporter *r, const char *name, const char *path, bool must_exist,
               char **text, size_t *len)
{
    jwt_result jr;
    int err;

    errno = 0;
    jr = jwt_file_read(path, CONF_MAX_FILE_BYTES, -1, text, len);
    err = errno;
    if (jr == JWT_OK)
        return 1;
    if (jr == JWT_ERR_FILE_OPEN && err == ENOENT && !must_exist)
        return 0; /* no file is the same as an empty one */
    if (jr == JWT_ERR_NOMEM)
        conf_complain_nomem(r);
    else
        conf_file_complain(r, name, path, jr, err);
    return -1;
}
