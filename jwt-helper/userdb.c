/* SPDX-License-Identifier: MIT */
/* Parses, looks up and rewrites the daemon's user records (jwt-helperd(8), "User records").
 *
 * MUST:
 * 1. parse each line exactly (six fields, the grammar of jwt-helperd(8), one spelling per
 *    value): a valid line formats back to its own bytes, so a write
 *    reproduces every line it did not change;
 * 2. never drop or repair a malformed line: record its number, lock its
 *    user out (every line naming that user is malformed too) and refuse
 *    every write until an administrator fixes it;
 * 3. never write a file that would not parse back whole: every record is
 *    checked on format, and the new text is re-parsed before it is written;
 * 4. write only under the lock, to the freshest file, through
 *    atomic_file_replace (old or new file after a crash, never torn);
 * 5. wipe hashes and every buffer that held the file before freeing it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "atomic_file.h"
#include "conf.h"
#include "secret.h"
#include "userdb.h"

#define USERDB_FIELDS 6
#define ARGON2ID_PREFIX "$argon2id$"
#define GEN_MAX_DIGITS 20     /* UINT64_MAX */
#define CHANGED_MAX_DIGITS 19 /* INT64_MAX */

/* A malformed line while parsing: its number and why. */
struct bad_line {
    size_t line;
    const char *reason;
};

/* Parser state: records keep their line numbers until duplicates are found. */
struct parse_state {
    struct userdb *db;
    size_t records_cap;
    size_t *rec_lines;
    size_t rec_lines_cap;
    struct bad_line *bad;
    size_t n_bad, bad_cap;
    size_t names_cap;
};

const char *
userdb_result_str(userdb_result r)
{
    switch (r) {
    case USERDB_OK:
        return "ok";
    case USERDB_ERR_NOMEM:
        return "out of memory";
    case USERDB_ERR_IO:
        return "cannot read or write the users file";
    case USERDB_ERR_UNSAFE:
        return "users file has an unsafe type, owner or mode";
    case USERDB_ERR_MALFORMED:
        return "users file has a malformed line";
    case USERDB_ERR_NOT_FOUND:
        return "no such user";
    case USERDB_ERR_EXISTS:
        return "user exists";
    case USERDB_ERR_INVALID:
        return "invalid user record";
    case USERDB_ERR_TOO_BIG:
        return "users file too big";
    }
    return "unknown userdb error";
}

/* ---- field grammar ---- */

bool
userdb_hash_is_valid(const char *hash)
{
    size_t len = strnlen(hash, crypto_pwhash_STRBYTES);

    if (len >= crypto_pwhash_STRBYTES ||
        strncmp(hash, ARGON2ID_PREFIX, strlen(ARGON2ID_PREFIX)) != 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (hash[i] < 0x21 || hash[i] > 0x7e || hash[i] == ':')
            return false;
    }
    /* libsodium's own decoder checks version, m/t/p and both base64 parts;
     * -1 means it could never verify against this string. */
    return crypto_pwhash_argon2id_str_needs_rehash(hash, crypto_pwhash_argon2id_OPSLIMIT_MIN,
                                                   crypto_pwhash_argon2id_MEMLIMIT_MIN) != -1;
}

/* Parses a decimal field of at most max_digits through conf_parse_uint. */
static bool
parse_number(const char *s, size_t len, size_t max_digits, uint64_t max, uint64_t *out)
{
    char buf[GEN_MAX_DIGITS + 1];

    if (len == 0 || len > max_digits || memchr(s, '\0', len) != NULL)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return conf_parse_uint(buf, 0, max, out);
}

void
userdb_scopes_free(char **scopes, size_t n)
{
    if (scopes == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(scopes[i]);
    free(scopes);
}

/* Checks s[0..len) is a comma list of the daemon's scope words and counts
 * them; "" is none. */
static bool
scopes_check(const char *s, size_t len, size_t *n)
{
    size_t start = 0;

    *n = 0;
    for (size_t i = 0; i <= len && len > 0; i++) {
        if (i < len && s[i] != ',')
            continue;
        if (!jwt_scope_token_is_plain(s + start, i - start) || ++*n > USERDB_MAX_SCOPES)
            return false;
        start = i + 1;
    }
    return true;
}

/* Parses s[0..len) into a new array of words. */
static userdb_result
scopes_parse_len(const char *s, size_t len, char ***out, size_t *n_out)
{
    char **scopes = NULL;
    size_t n = 0, made = 0, start = 0;
    userdb_result r = USERDB_ERR_INVALID;

    *out = NULL;
    *n_out = 0;
    if (!scopes_check(s, len, &n))
        goto out;
    r = USERDB_ERR_NOMEM;
    if (n > 0 && (scopes = calloc(n, sizeof(*scopes))) == NULL)
        goto out;
    for (size_t i = 0; i <= len && n > 0; i++) {
        if (i < len && s[i] != ',')
            continue;
        if ((scopes[made] = strndup(s + start, i - start)) == NULL)
            goto out;
        made++;
        start = i + 1;
    }
    *out = scopes;
    *n_out = n;
    scopes = NULL;
    r = USERDB_OK;
out:
    userdb_scopes_free(scopes, made);
    return r;
}

userdb_result
userdb_scopes_parse(const char *list, char ***out, size_t *n_out)
{
    return scopes_parse_len(list, strlen(list), out, n_out);
}

/* Flags: a comma list from "locked", each at most once ("" is none). */
static bool
parse_flags(const char *s, size_t len, bool *locked)
{
    static const char name[] = "locked";
    size_t start = 0;

    *locked = false;
    for (size_t i = 0; i <= len && len > 0; i++) {
        if (i < len && s[i] != ',')
            continue;
        if (i - start != strlen(name) || memcmp(s + start, name, strlen(name)) != 0 || *locked)
            return false;
        *locked = true;
        start = i + 1;
    }
    return true;
}

/* ---- records ---- */

static void
record_clear(struct userdb_record *rec)
{
    secret_free_str(rec->hash);
    userdb_scopes_free(rec->scopes, rec->n_scopes);
    memset(rec, 0, sizeof(*rec));
}

userdb_result
userdb_record_set_hash(struct userdb_record *rec, const char *hash)
{
    char *copy;

    if (!userdb_hash_is_valid(hash))
        return USERDB_ERR_INVALID;
    if ((copy = strdup(hash)) == NULL)
        return USERDB_ERR_NOMEM;
    secret_free_str(rec->hash);
    rec->hash = copy;
    return USERDB_OK;
}

userdb_result
userdb_record_set_scopes(struct userdb_record *rec, const char *list)
{
    char **scopes = NULL;
    size_t n = 0;
    userdb_result r = userdb_scopes_parse(list, &scopes, &n);

    if (r != USERDB_OK)
        return r;
    userdb_scopes_free(rec->scopes, rec->n_scopes);
    rec->scopes = scopes;
    rec->n_scopes = n;
    return USERDB_OK;
}

/* Checks every field of a record built by a caller against the records' grammar. */
static bool
record_is_valid(const struct userdb_record *rec)
{
    size_t name_len = strnlen(rec->name, sizeof(rec->name));

    if (name_len == sizeof(rec->name) || !jwt_user_name_is_valid(rec->name, name_len) ||
        rec->hash == NULL || !userdb_hash_is_valid(rec->hash) || rec->changed < 0 ||
        rec->n_scopes > USERDB_MAX_SCOPES || (rec->n_scopes > 0 && rec->scopes == NULL))
        return false;
    for (size_t i = 0; i < rec->n_scopes; i++) {
        size_t n;
        if (rec->scopes[i] == NULL || !scopes_check(rec->scopes[i], strlen(rec->scopes[i]), &n) ||
            n != 1)
            return false;
    }
    return true;
}

userdb_result
userdb_record_format(const struct userdb_record *rec, char **out)
{
    size_t len, pos;
    char *line;

    *out = NULL;
    if (!record_is_valid(rec))
        return USERDB_ERR_INVALID;
    /* name, hash, two numbers of at most 20 digits, "locked", 5 colons, NUL */
    len = strlen(rec->name) + strlen(rec->hash) + 2 * GEN_MAX_DIGITS + 6 + 5 + 1;
    for (size_t i = 0; i < rec->n_scopes; i++)
        len += strlen(rec->scopes[i]) + 1;
    if ((line = malloc(len)) == NULL)
        return USERDB_ERR_NOMEM;
    pos = (size_t)snprintf(line, len, "%s:%s:%llu:", rec->name, rec->hash,
                           (unsigned long long)rec->gen);
    for (size_t i = 0; i < rec->n_scopes; i++)
        pos += (size_t)snprintf(line + pos, len - pos, "%s%s", i > 0 ? "," : "", rec->scopes[i]);
    snprintf(line + pos, len - pos, ":%s:%lld", rec->locked ? "locked" : "",
             (long long)rec->changed);
    *out = line;
    return USERDB_OK;
}

/* Copies the name field when it is a valid name (for bad_names). */
static bool
read_name(const char *line, size_t len, char name[JWT_USER_NAME_MAX + 1])
{
    const char *colon = memchr(line, ':', len);
    size_t name_len = colon != NULL ? (size_t)(colon - line) : len;

    if (!jwt_user_name_is_valid(line, name_len))
        return false;
    memcpy(name, line, name_len);
    name[name_len] = '\0';
    return true;
}

/* Splits a line at ':' into exactly six fields. */
static bool
split_fields(const char *line, size_t len, const char *f[USERDB_FIELDS], size_t flen[USERDB_FIELDS])
{
    size_t n = 0, start = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && line[i] != ':')
            continue;
        if (n == USERDB_FIELDS)
            return false;
        f[n] = line + start;
        flen[n++] = i - start;
        start = i + 1;
    }
    return n == USERDB_FIELDS;
}

/* Reads the name, hash and numbers of a split line; NULL or a reason. */
static const char *
parse_scalars(const char *f[USERDB_FIELDS], const size_t flen[USERDB_FIELDS],
              struct userdb_record *rec, char hash[crypto_pwhash_STRBYTES])
{
    uint64_t changed = 0;

    if (!jwt_user_name_is_valid(f[0], flen[0]))
        return "bad name";
    memcpy(rec->name, f[0], flen[0]);
    rec->name[flen[0]] = '\0';
    if (flen[1] >= crypto_pwhash_STRBYTES || memchr(f[1], '\0', flen[1]) != NULL)
        return "bad hash";
    memcpy(hash, f[1], flen[1]);
    hash[flen[1]] = '\0';
    if (!userdb_hash_is_valid(hash))
        return "bad hash";
    if (!parse_number(f[2], flen[2], GEN_MAX_DIGITS, UINT64_MAX, &rec->gen))
        return "bad gen";
    if (!parse_flags(f[4], flen[4], &rec->locked))
        return "bad flags";
    if (!parse_number(f[5], flen[5], CHANGED_MAX_DIGITS, INT64_MAX, &changed))
        return "bad changed";
    rec->changed = (int64_t)changed;
    return NULL;
}

/* Parses one line into rec. Returns USERDB_OK with *reason NULL (rec
 * filled, the caller owns it) or set (rec empty), or USERDB_ERR_NOMEM. */
static userdb_result
parse_line(const char *line, size_t len, struct userdb_record *rec, const char **reason)
{
    const char *f[USERDB_FIELDS];
    size_t flen[USERDB_FIELDS];
    char hash[crypto_pwhash_STRBYTES];
    userdb_result r = USERDB_OK;

    memset(rec, 0, sizeof(*rec));
    *reason = NULL;
    if (len == 0)
        *reason = "blank line";
    else if (line[0] == '#')
        *reason = "comment line";
    else if (memchr(line, '\r', len) != NULL)
        *reason = "carriage return";
    else if (!split_fields(line, len, f, flen))
        *reason = "not six fields";
    else if ((*reason = parse_scalars(f, flen, rec, hash)) != NULL)
        ;
    else if ((r = scopes_parse_len(f[3], flen[3], &rec->scopes, &rec->n_scopes)) ==
             USERDB_ERR_INVALID) {
        *reason = "bad scopes";
        r = USERDB_OK;
    } else if (r == USERDB_OK && (rec->hash = strdup(hash)) == NULL) {
        r = USERDB_ERR_NOMEM;
    }
    sodium_memzero(hash, sizeof(hash));
    if (r != USERDB_OK || *reason != NULL)
        record_clear(rec);
    return r;
}

/* ---- parsing a file ---- */

/* Grows *arr (of elem bytes each) so that it holds at least need items. */
static bool
grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    size_t n = *cap;
    void *p;

    if (need <= n)
        return true;
    n = n == 0 ? 16 : n * 2;
    if (n < need)
        n = need;
    if ((p = realloc(*arr, n * elem)) == NULL)
        return false;
    *arr = p;
    *cap = n;
    return true;
}

static userdb_result
add_bad_line(struct parse_state *st, size_t line, const char *reason)
{
    if (!grow((void **)&st->bad, &st->bad_cap, st->n_bad + 1, sizeof(*st->bad)))
        return USERDB_ERR_NOMEM;
    st->bad[st->n_bad].line = line;
    st->bad[st->n_bad++].reason = reason;
    return USERDB_OK;
}

static userdb_result
add_bad_name(struct parse_state *st, const char *name)
{
    struct userdb *db = st->db;

    if (!grow((void **)&db->bad_names, &st->names_cap, db->n_bad_names + 1,
              sizeof(*db->bad_names)) ||
        (db->bad_names[db->n_bad_names] = strdup(name)) == NULL)
        return USERDB_ERR_NOMEM;
    db->n_bad_names++;
    return USERDB_OK;
}

static userdb_result
add_record(struct parse_state *st, struct userdb_record *rec, size_t line)
{
    struct userdb *db = st->db;

    if (!grow((void **)&db->records, &st->records_cap, db->n_records + 1, sizeof(*db->records)) ||
        !grow((void **)&st->rec_lines, &st->rec_lines_cap, db->n_records + 1,
              sizeof(*st->rec_lines)))
        return USERDB_ERR_NOMEM;
    db->records[db->n_records] = *rec;
    st->rec_lines[db->n_records++] = line;
    memset(rec, 0, sizeof(*rec)); /* moved */
    return USERDB_OK;
}

/* Parses one line and files it as a record or a malformed line. */
static userdb_result
file_line(struct parse_state *st, const char *line, size_t len, size_t number)
{
    struct userdb_record rec;
    const char *reason = NULL;
    char name[JWT_USER_NAME_MAX + 1];
    userdb_result r;

    if ((r = parse_line(line, len, &rec, &reason)) != USERDB_OK)
        return r;
    if (reason == NULL) {
        if ((r = add_record(st, &rec, number)) != USERDB_OK)
            record_clear(&rec);
        return r;
    }
    if ((r = add_bad_line(st, number, reason)) != USERDB_OK)
        return r;
    return read_name(line, len, name) ? add_bad_name(st, name) : USERDB_OK;
}

static int
compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
compare_record_ptrs(const void *a, const void *b)
{
    const struct userdb_record *x = *(const struct userdb_record *const *)a;
    const struct userdb_record *y = *(const struct userdb_record *const *)b;
    int c = strcmp(x->name, y->name);

    return c != 0 ? c : (x < y ? -1 : x > y);
}

static int
compare_bad_lines(const void *a, const void *b)
{
    size_t x = ((const struct bad_line *)a)->line, y = ((const struct bad_line *)b)->line;

    return x < y ? -1 : x > y;
}

/* Sorts bad_names and drops repeats. */
static void
unique_bad_names(struct userdb *db)
{
    size_t kept = 0;

    if (db->n_bad_names == 0)
        return;
    qsort(db->bad_names, db->n_bad_names, sizeof(*db->bad_names), compare_strings);
    for (size_t i = 1; i < db->n_bad_names; i++) {
        if (strcmp(db->bad_names[kept], db->bad_names[i]) == 0)
            free(db->bad_names[i]);
        else
            db->bad_names[++kept] = db->bad_names[i];
    }
    db->n_bad_names = kept + 1;
}

bool
userdb_name_is_malformed(const struct userdb *db, const char *name)
{
    return db != NULL && db->n_bad_names > 0 &&
           bsearch(&name, db->bad_names, db->n_bad_names, sizeof(*db->bad_names),
                   compare_strings) != NULL;
}

/* Marks records sharing a name with another record as malformed (their
 * names join bad_names); the records stay until drop_bad_records. */
static userdb_result
mark_repeated_names(struct parse_state *st, bool *repeated)
{
    struct userdb *db = st->db;
    struct userdb_record **by_name = NULL;
    userdb_result r = USERDB_ERR_NOMEM;

    if (db->n_records < 2)
        return USERDB_OK;
    if ((by_name = malloc(db->n_records * sizeof(*by_name))) == NULL)
        goto out;
    for (size_t i = 0; i < db->n_records; i++)
        by_name[i] = &db->records[i];
    qsort(by_name, db->n_records, sizeof(*by_name), compare_record_ptrs);
    for (size_t i = 0; i < db->n_records; i++) {
        bool same_prev = i > 0 && strcmp(by_name[i]->name, by_name[i - 1]->name) == 0;
        bool same_next =
            i + 1 < db->n_records && strcmp(by_name[i]->name, by_name[i + 1]->name) == 0;
        repeated[by_name[i] - db->records] = same_prev || same_next;
        if (same_next && !same_prev && add_bad_name(st, by_name[i]->name) != USERDB_OK)
            goto out;
    }
    r = USERDB_OK;
out:
    free(by_name);
    return r;
}

/* Moves records whose name is repeated or also on a malformed line to the
 * malformed lines ("duplicate name"), keeping the others in file order. */
static userdb_result
drop_bad_records(struct parse_state *st)
{
    struct userdb *db = st->db;
    bool *repeated = calloc(db->n_records + 1, sizeof(*repeated));
    size_t kept = 0;
    userdb_result r = USERDB_ERR_NOMEM;

    /* room for every record to become a bad line, so the loop cannot fail
     * half way with records moved */
    if (repeated == NULL ||
        !grow((void **)&st->bad, &st->bad_cap, st->n_bad + db->n_records, sizeof(*st->bad)) ||
        (r = mark_repeated_names(st, repeated)) != USERDB_OK)
        goto out;
    unique_bad_names(db);
    for (size_t i = 0; i < db->n_records; i++) {
        if (repeated[i] || userdb_name_is_malformed(db, db->records[i].name)) {
            (void)add_bad_line(st, st->rec_lines[i], "duplicate name"); /* room made above */
            record_clear(&db->records[i]);
            continue;
        }
        db->records[kept] = db->records[i];
        st->rec_lines[kept++] = st->rec_lines[i];
    }
    db->n_records = kept;
out:
    free(repeated);
    return r;
}

/* Hands the malformed lines, sorted by number, to db. */
static userdb_result
publish_bad_lines(struct parse_state *st)
{
    struct userdb *db = st->db;

    if (st->n_bad == 0)
        return USERDB_OK;
    qsort(st->bad, st->n_bad, sizeof(*st->bad), compare_bad_lines);
    if ((db->bad_lines = calloc(st->n_bad, sizeof(*db->bad_lines))) == NULL ||
        (db->bad_reasons = calloc(st->n_bad, sizeof(*db->bad_reasons))) == NULL)
        return USERDB_ERR_NOMEM;
    for (size_t i = 0; i < st->n_bad; i++) {
        db->bad_lines[i] = st->bad[i].line;
        db->bad_reasons[i] = st->bad[i].reason;
    }
    db->n_bad_lines = st->n_bad;
    return USERDB_OK;
}

static userdb_result
parse_lines(struct parse_state *st, const char *text, size_t len)
{
    size_t pos = 0, number = 0;
    userdb_result r = USERDB_OK;

    while (pos < len && r == USERDB_OK) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t line_len = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
        r = file_line(st, text + pos, line_len, ++number);
        pos += line_len + 1;
    }
    return r;
}

userdb_result
userdb_parse(const char *text, size_t len, struct userdb **out)
{
    struct parse_state st;
    userdb_result r = USERDB_ERR_NOMEM;

    *out = NULL;
    memset(&st, 0, sizeof(st));
    if (len > USERDB_MAX_BYTES)
        return USERDB_ERR_TOO_BIG;
    if ((st.db = calloc(1, sizeof(*st.db))) == NULL)
        goto out;
    if ((r = parse_lines(&st, text, len)) != USERDB_OK ||
        (r = drop_bad_records(&st)) != USERDB_OK || (r = publish_bad_lines(&st)) != USERDB_OK)
        goto out;
    *out = st.db;
    st.db = NULL;
out:
    userdb_free(st.db);
    free(st.rec_lines);
    free(st.bad);
    return r;
}

void
userdb_free(struct userdb *db)
{
    if (db == NULL)
        return;
    for (size_t i = 0; i < db->n_records; i++)
        record_clear(&db->records[i]);
    free(db->records);
    for (size_t i = 0; i < db->n_bad_names; i++)
        free(db->bad_names[i]);
    free(db->bad_names);
    free(db->bad_lines);
    free(db->bad_reasons);
    free(db);
}

/* ---- lookups and changes ---- */

/* Returns the index of name's record, or db->n_records when it has none or
 * its name is on a malformed line. */
static size_t
find_index(const struct userdb *db, const char *name)
{
    if (strnlen(name, JWT_USER_NAME_MAX + 1) > JWT_USER_NAME_MAX ||
        userdb_name_is_malformed(db, name))
        return db->n_records;
    for (size_t i = 0; i < db->n_records; i++) {
        if (strcmp(db->records[i].name, name) == 0)
            return i;
    }
    return db->n_records;
}

struct userdb_record *
userdb_find_mut(struct userdb *db, const char *name)
{
    size_t i = find_index(db, name);

    return i < db->n_records ? &db->records[i] : NULL;
}

const struct userdb_record *
userdb_find(const struct userdb *db, const char *name)
{
    size_t i = find_index(db, name);

    return i < db->n_records ? &db->records[i] : NULL;
}

/* Deep-copies src into dst (zeroed on failure). */
static userdb_result
record_copy(struct userdb_record *dst, const struct userdb_record *src)
{
    *dst = *src;
    dst->hash = NULL;
    dst->scopes = NULL;
    dst->n_scopes = 0;
    if ((dst->hash = strdup(src->hash)) == NULL)
        goto fail;
    if (src->n_scopes > 0 && (dst->scopes = calloc(src->n_scopes, sizeof(*dst->scopes))) == NULL)
        goto fail;
    for (; dst->n_scopes < src->n_scopes; dst->n_scopes++) {
        if ((dst->scopes[dst->n_scopes] = strdup(src->scopes[dst->n_scopes])) == NULL)
            goto fail;
    }
    return USERDB_OK;
fail:
    record_clear(dst);
    return USERDB_ERR_NOMEM;
}

userdb_result
userdb_add(struct userdb *db, const struct userdb_record *rec)
{
    struct userdb_record *grown;
    userdb_result r;

    if (!record_is_valid(rec))
        return USERDB_ERR_INVALID;
    if (userdb_name_is_malformed(db, rec->name) || userdb_find(db, rec->name) != NULL)
        return USERDB_ERR_EXISTS;
    if ((grown = realloc(db->records, (db->n_records + 1) * sizeof(*grown))) == NULL)
        return USERDB_ERR_NOMEM;
    db->records = grown;
    if ((r = record_copy(&db->records[db->n_records], rec)) != USERDB_OK)
        return r;
    db->n_records++;
    return USERDB_OK;
}

userdb_result
userdb_remove(struct userdb *db, const char *name)
{
    struct userdb_record *rec = userdb_find_mut(db, name);
    size_t i;

    if (rec == NULL)
        return USERDB_ERR_NOT_FOUND;
    i = (size_t)(rec - db->records);
    record_clear(rec);
    memmove(&db->records[i], &db->records[i + 1], (db->n_records - i - 1) * sizeof(*rec));
    db->n_records--;
    return USERDB_OK;
}

/* ---- reading and writing the file ---- */

/* The users file as jwt_file_read_private reads it (trusted owner, no
 * group/other bits, at most USERDB_MAX_BYTES); a missing file is empty. */
static userdb_result
read_users(const char *path, long daemon_uid, char **text, size_t *len)
{
    jwt_result r = jwt_file_read_private(path, USERDB_MAX_BYTES, daemon_uid, text, len);

    switch (r) {
    case JWT_OK:
        return USERDB_OK;
    case JWT_ERR_FILE_OPEN:
        if (errno == ENOENT)
            return USERDB_OK; /* *text stays NULL: no records yet */
        return errno == ELOOP ? USERDB_ERR_UNSAFE : USERDB_ERR_IO;
    case JWT_ERR_FILE_UNSAFE:
        return USERDB_ERR_UNSAFE;
    case JWT_ERR_FILE_TOO_BIG:
        return USERDB_ERR_TOO_BIG;
    case JWT_ERR_NOMEM:
        return USERDB_ERR_NOMEM;
    default:
        return USERDB_ERR_IO;
    }
}

userdb_result
userdb_load(const char *path, long daemon_uid, struct userdb **out)
{
    char *text = NULL;
    size_t len = 0;
    int saved;
    userdb_result r;

    *out = NULL;
    if ((r = read_users(path, daemon_uid, &text, &len)) == USERDB_OK)
        r = userdb_parse(text != NULL ? text : "", len, out);
    saved = errno;
    if (text != NULL)
        secret_free(text, len + 1); /* it held every hash */
    errno = saved;
    return r;
}

/* Formats every record, one line each, into a malloc'd text (wipe it). */
static userdb_result
userdb_serialize(const struct userdb *db, char **out, size_t *out_len)
{
    char **lines = calloc(db->n_records + 1, sizeof(*lines));
    char *text = NULL;
    size_t total = 0, pos = 0;
    userdb_result r = USERDB_ERR_NOMEM;

    *out = NULL;
    *out_len = 0;
    if (lines == NULL)
        goto out;
    for (size_t i = 0; i < db->n_records; i++) {
        if ((r = userdb_record_format(&db->records[i], &lines[i])) != USERDB_OK)
            goto out;
        total += strlen(lines[i]) + 1;
    }
    r = USERDB_ERR_TOO_BIG;
    if (total > USERDB_MAX_BYTES)
        goto out;
    r = USERDB_ERR_NOMEM;
    if ((text = malloc(total + 1)) == NULL)
        goto out;
    for (size_t i = 0; i < db->n_records; i++) {
        size_t n = strlen(lines[i]);
        memcpy(text + pos, lines[i], n);
        text[pos + n] = '\n';
        pos += n + 1;
    }
    text[pos] = '\0';
    *out = text;
    *out_len = total;
    r = USERDB_OK;
out:
    for (size_t i = 0; lines != NULL && i < db->n_records; i++)
        secret_free_str(lines[i]);
    free(lines);
    return r;
}

/* MUST 3: the text we are about to write parses back whole, record for
 * record (this also catches two records given one name by a change). */
static userdb_result
check_parses_back(const struct userdb *db, const char *text, size_t len)
{
    struct userdb *again = NULL;
    userdb_result r = userdb_parse(text, len, &again);

    if (r == USERDB_OK && (again->n_bad_lines != 0 || again->n_records != db->n_records))
        r = USERDB_ERR_INVALID;
    userdb_free(again);
    return r;
}

/* The locked part of userdb_update: reload, refuse, change, write. */
static userdb_result
update_locked(const char *path, long daemon_uid, uid_t owner_uid, gid_t owner_gid,
              userdb_change_fn change, void *ctx, size_t *bad_line)
{
    struct userdb *db = NULL;
    char *text = NULL;
    size_t len = 0;
    int saved = 0;
    userdb_result r;

    if ((r = userdb_load(path, daemon_uid, &db)) != USERDB_OK)
        goto out;
    if (db->n_bad_lines > 0) {
        *bad_line = db->bad_lines[0];
        r = USERDB_ERR_MALFORMED;
        goto out;
    }
    if ((r = change(db, ctx)) != USERDB_OK ||
        (r = userdb_serialize(db, &text, &len)) != USERDB_OK ||
        (r = check_parses_back(db, text, len)) != USERDB_OK)
        goto out;
    if (!atomic_file_replace(path, text, len, 0600, owner_uid, owner_gid))
        r = USERDB_ERR_IO;
out:
    saved = errno;
    if (text != NULL)
        secret_free(text, len + 1);
    userdb_free(db);
    errno = saved;
    return r;
}

userdb_result
userdb_update(const char *path, long daemon_uid, uid_t owner_uid, gid_t owner_gid,
              userdb_change_fn change, void *ctx, size_t *bad_line)
{
    size_t ignored = 0;
    int lock, saved;
    userdb_result r;

    if (bad_line == NULL)
        bad_line = &ignored;
    *bad_line = 0;
    if ((lock = atomic_file_lock(path, owner_uid, owner_gid)) < 0)
        return errno == ELOOP ? USERDB_ERR_UNSAFE : USERDB_ERR_IO;
    /* Under the lock no live writer has a temporary file: any is a killed
     * writer's. Best effort: a failure here shows up again below. */
    (void)atomic_file_clean_stale(path);
    r = update_locked(path, daemon_uid, owner_uid, owner_gid, change, ctx, bad_line);
    saved = errno;
    atomic_file_unlock(lock);
    errno = saved;
    return r;
}
