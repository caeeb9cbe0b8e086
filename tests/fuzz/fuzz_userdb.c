/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the users file parser: hostile text must parse
 * without crashing, and a text with no malformed line must format back to
 * exactly its own bytes and re-parse to the same records. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "userdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
records_equal(const struct userdb_record *a, const struct userdb_record *b)
{
    if (strcmp(a->name, b->name) != 0 || strcmp(a->hash, b->hash) != 0 || a->gen != b->gen ||
        a->locked != b->locked || a->changed != b->changed || a->n_scopes != b->n_scopes)
        return false;
    for (size_t i = 0; i < a->n_scopes; i++)
        if (strcmp(a->scopes[i], b->scopes[i]) != 0)
            return false;
    return true;
}

/* Formats every record, one per line ("\n" after each). */
static char *
join(const struct userdb *db, size_t *len)
{
    char *text = malloc(USERDB_MAX_BYTES + 1);
    size_t pos = 0;

    if (text == NULL)
        abort();
    for (size_t i = 0; i < db->n_records; i++) {
        char *line = NULL;
        size_t n;
        if (userdb_record_format(&db->records[i], &line) != USERDB_OK)
            abort(); /* a parsed record must always format */
        n = strlen(line);
        memcpy(text + pos, line, n);
        text[pos + n] = '\n';
        pos += n + 1;
        free(line);
    }
    *len = pos;
    return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct userdb *db = NULL, *again = NULL;
    const char *text = (const char *)data;
    char *joined;
    size_t len = 0;

    if (userdb_parse(text, size, &db) != USERDB_OK)
        return 0;
    if (db->n_bad_lines > 0 || db->n_bad_names > 0) {
        for (size_t i = 0; i < db->n_records; i++)
            if (userdb_find(db, db->records[i].name) != &db->records[i])
                abort(); /* every kept record is found, and only once */
        userdb_free(db);
        return 0;
    }
    joined = join(db, &len);
    /* byte for byte: the input, plus a final newline if it lacked one */
    if (len != size + (size > 0 && text[size - 1] != '\n') || memcmp(joined, text, size) != 0)
        abort();
    if (userdb_parse(joined, len, &again) != USERDB_OK || again->n_bad_lines != 0 ||
        again->n_records != db->n_records)
        abort();
    for (size_t i = 0; i < db->n_records; i++)
        if (!records_equal(&db->records[i], &again->records[i]))
            abort();
    userdb_free(again);
    userdb_free(db);
    free(joined);
    return 0;
}
