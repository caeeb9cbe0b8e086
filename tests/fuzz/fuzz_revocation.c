/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: hostile bytes as the "not before" revocation list.
 * jwt_revocation_parse must answer each listed name with its latest
 * instant and nothing for a name it cannot hold; revocation_publish_keep,
 * given the same bytes as the list on disk, must leave a list it refuses
 * byte for byte, and otherwise write one that keeps every other user's
 * line and parses to the published instant. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"
#include "jwt.h"
#include "revocation_publish.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The lines checked one by one against the lookup: enough to catch a
 * wrong merge, few enough to stay fast on a list of thousands. */
#define LINES_CHECKED 64

struct line {
    const char *name, *instant; /* inside the input */
    size_t name_len, instant_len;
};

/* Splits at the first ':' (the list parsed, so every line has one). */
static struct line
line_at(const char *text, size_t len)
{
    const char *colon = memchr(text, ':', len);
    struct line l = {text, colon + 1, (size_t)(colon - text), len - (size_t)(colon + 1 - text)};
    return l;
}

static int64_t
instant_of(const struct line *l)
{
    int64_t v = 0;

    for (size_t i = 0; i < l->instant_len; i++)
        v = v * 10 + (l->instant[i] - '0');
    return v;
}

/* The line at *at, moving *at past it; false at the end. A final piece
 * without "\n" is a line; nothing after a final "\n" is. */
static bool
next_line(const char *text, size_t len, size_t *at, struct line *out)
{
    const char *nl;
    size_t line_len;

    if (*at >= len)
        return false;
    nl = memchr(text + *at, '\n', len - *at);
    line_len = nl != NULL ? (size_t)(nl - (text + *at)) : len - *at;
    *out = line_at(text + *at, line_len);
    *at += line_len + 1;
    return true;
}

/* The latest instant listed for name[0..name_len) in text, -1 if none. */
static int64_t
latest_of(const char *text, size_t len, const char *name, size_t name_len)
{
    struct line l;
    int64_t latest = -1;

    for (size_t at = 0; next_line(text, len, &at, &l);)
        if (l.name_len == name_len && memcmp(l.name, name, name_len) == 0 &&
            instant_of(&l) > latest)
            latest = instant_of(&l);
    return latest;
}

static void
lookup_check(const struct jwt_revocation *list, const char *text, size_t len)
{
    char name[JWT_USER_NAME_MAX + 1];
    struct line l;
    int64_t got;
    size_t at = 0;

    for (size_t i = 0; i < LINES_CHECKED && next_line(text, len, &at, &l); i++) {
        memcpy(name, l.name, l.name_len);
        name[l.name_len] = '\0';
        if (!jwt_revocation_lookup(list, name, &got) ||
            got != latest_of(text, len, l.name, l.name_len))
            abort();
    }
    /* Names the grammar refuses are never listed. */
    if (jwt_revocation_lookup(list, "Root", &got) || jwt_revocation_lookup(list, "", &got) ||
        jwt_revocation_lookup(list, "a23456789012345678901234567890123", &got))
        abort();
}

/* text without name's lines, each line ended by "\n". */
static char *
others_of(const char *text, size_t len, const char *name, size_t *out_len)
{
    char *out = malloc(len + 2);
    size_t pos = 0;
    struct line l;

    if (out == NULL)
        abort();
    for (size_t at = 0; next_line(text, len, &at, &l);) {
        size_t whole = l.name_len + 1 + l.instant_len;
        if (l.name_len == strlen(name) && memcmp(l.name, name, l.name_len) == 0)
            continue;
        memcpy(out + pos, l.name, whole);
        out[pos + whole] = '\n';
        pos += whole + 1;
    }
    *out_len = pos;
    return out;
}

/* Publishes name at instant over the list text[0..len) and checks what
 * is on disk afterwards. */
static void
publish_check(const char *text, size_t len, bool parsed, const char *name, int64_t instant)
{
    char path[512], *after, *others, *after_others;
    size_t after_len, others_len, after_others_len;
    int64_t before = parsed ? latest_of(text, len, name, strlen(name)) : -1;
    revocation_publish_result r;

    fuzz_file_put("revoked", text, len, 0644);
    fuzz_path("revoked", path, sizeof path);
    r = revocation_publish_keep(path, -1, (uid_t)-1, (gid_t)-1, name, instant,
                                REVOCATION_PUBLISH_KEEP_ALL);
    if ((after = fuzz_file_get("revoked", &after_len)) == NULL)
        abort();
    if (!parsed || before >= instant) {
        /* refused (malformed) or already listed at or after: untouched */
        if (r != (parsed ? REVOCATION_PUBLISH_OK : REVOCATION_PUBLISH_ERR_MALFORMED) ||
            after_len != len || memcmp(after, text, len) != 0)
            abort();
        free(after);
        return;
    }
    if (r == REVOCATION_PUBLISH_ERR_TOO_BIG) {
        if (len < JWT_MAX_REVOCATION_BYTES - 64 || after_len != len)
            abort();
        free(after);
        return;
    }
    if (r != REVOCATION_PUBLISH_OK || latest_of(after, after_len, name, strlen(name)) != instant)
        abort();
    others = others_of(text, len, name, &others_len);
    after_others = others_of(after, after_len, name, &after_others_len);
    if (others_len != after_others_len || memcmp(others, after_others, others_len) != 0)
        abort(); /* another user's line changed, moved or went */
    free(others);
    free(after_others);
    free(after);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct jwt_revocation *list = NULL;
    char name[JWT_USER_NAME_MAX + 1] = "fuzz";
    int64_t instant = 1700000000;
    struct line first;
    size_t at = 0;

    if (jwt_revocation_parse(text, size, &list) != JWT_OK) {
        if (list != NULL)
            abort();
        publish_check(text, size, false, name, instant);
        return 0;
    }
    lookup_check(list, text, size);
    jwt_revocation_free(list);
    /* Publish the first line's user one second later (replacing it unless
     * a later line is later still), or "fuzz" into an empty list. */
    if (next_line(text, size, &at, &first)) {
        memcpy(name, first.name, first.name_len);
        name[first.name_len] = '\0';
        instant = instant_of(&first) < INT64_MAX ? instant_of(&first) + 1 : INT64_MAX;
    }
    publish_check(text, size, true, name, instant);
    return 0;
}
