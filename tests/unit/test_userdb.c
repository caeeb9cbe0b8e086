/* SPDX-License-Identifier: MIT */
/* Tests for the user records (grammar, malformed lines, locked atomic
 * updates), atomic_file and revocation_publish. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "atomic_file.h"
#include "check.h"
#include "jwt.h"
#include "revocation_publish.h"
#include "userdb.h"

#define CHECK_UDB(got, want, what)                                                                 \
    do {                                                                                           \
        userdb_result check_g_ = (got), check_w_ = (want);                                         \
        check_report(check_g_ == check_w_, __FILE__, __LINE__, (what));                            \
        if (check_g_ != check_w_)                                                                  \
            printf("#   got \"%s\", want \"%s\"\n", userdb_result_str(check_g_),                   \
                   userdb_result_str(check_w_));                                                   \
    } while (0)

static char hash_a[crypto_pwhash_STRBYTES]; /* argon2id, made at start */
static char hash_b[crypto_pwhash_STRBYTES];
static char hash_i[crypto_pwhash_STRBYTES]; /* argon2i: not accepted */
static char dir[64];
static char users[128];

/* ---- helpers ---- */

static char *
read_text(const char *path)
{
    static char buf[2 * 1024 * 1024];
    int fd = open(path, O_RDONLY);
    ssize_t n;

    if (fd < 0)
        return NULL;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 0)
        return NULL;
    buf[n] = '\0';
    return buf;
}

static void
write_text(const char *path, const char *text, mode_t mode)
{
    int fd;

    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fchmod(fd, mode) != 0)
        printf("# cannot write %s\n", path);
    if (fd >= 0)
        close(fd);
}

static mode_t
mode_of(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

/* Counts directory entries other than ".", "..", and the names given. */
static int
count_other_files(const char *d, const char *keep1, const char *keep2)
{
    DIR *dp = opendir(d);
    struct dirent *e;
    int n = 0;

    if (dp == NULL)
        return -1;
    while ((e = readdir(dp)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            strcmp(e->d_name, keep1) != 0 && strcmp(e->d_name, keep2) != 0)
            n++;
    }
    closedir(dp);
    return n;
}

static const char *
line_of(const char *name, const char *hash, const char *rest)
{
    static char buf[8][512];
    static int next;
    char *b = buf[next++ % 8];

    snprintf(b, sizeof(buf[0]), "%s:%s:%s", name, hash, rest);
    return b;
}

static struct userdb *
parse_text(const char *text, size_t len)
{
    struct userdb *db = NULL;

    if (userdb_parse(text, len, &db) != USERDB_OK)
        return NULL;
    return db;
}

static bool
has_bad_name(const struct userdb *db, const char *name)
{
    for (size_t i = 0; i < db->n_bad_names; i++)
        if (strcmp(db->bad_names[i], name) == 0)
            return true;
    return false;
}

/* Formats every record of db as the file would hold it. */
static char *
format_all(const struct userdb *db)
{
    static char out[16384];
    size_t pos = 0;

    out[0] = '\0';
    for (size_t i = 0; i < db->n_records; i++) {
        char *line = NULL;
        if (userdb_record_format(&db->records[i], &line) != USERDB_OK)
            return NULL;
        pos += (size_t)snprintf(out + pos, sizeof(out) - pos, "%s\n", line);
        free(line);
    }
    return out;
}

/* ---- grammar ---- */

static void
test_round_trip(void)
{
    char text[2048];
    struct userdb *db;

    snprintf(text, sizeof(text), "%s\n%s\n%s\n", line_of("alice", hash_a, "0:ssh,sudo::1700000000"),
             line_of("_b.o-b9", hash_b, "18446744073709551615::locked:0"),
             line_of("carol", hash_a, "42:a_b.c-1::9223372036854775807"));
    db = parse_text(text, strlen(text));
    CHECK(db != NULL, "round trip: parses");
    if (db == NULL)
        return;
    CHECK_INT(db->n_bad_lines, 0, "round trip: no malformed line");
    CHECK_INT(db->n_records, 3, "round trip: three records");
    CHECK_STR(format_all(db), text, "round trip: formats back byte for byte");
    CHECK(db->records[1].gen == UINT64_MAX, "round trip: gen UINT64_MAX");
    CHECK(db->records[1].locked && !db->records[0].locked, "round trip: locked flag");
    CHECK_INT(db->records[0].n_scopes, 2, "round trip: two scopes");
    CHECK_STR(db->records[0].scopes[1], "sudo", "round trip: second scope");
    CHECK(db->records[2].changed == INT64_MAX, "round trip: changed INT64_MAX");
    CHECK_STR(userdb_find(db, "carol")->hash, hash_a, "round trip: hash kept");
    CHECK(userdb_find(db, "dave") == NULL, "round trip: unknown user not found");
    CHECK(userdb_find(db, "alicealicealicealicealicealicealice") == NULL, "long name not found");
    userdb_free(db);

    /* the last line may lack its newline: the record is the same */
    text[strlen(text) - 1] = '\0';
    db = parse_text(text, strlen(text));
    CHECK(db != NULL && db->n_bad_lines == 0 && db->n_records == 3, "no final newline accepted");
    userdb_free(db);
    db = parse_text("", 0);
    CHECK(db != NULL && db->n_records == 0 && db->n_bad_lines == 0, "empty text: no users");
    userdb_free(db);
}

struct variant {
    const char *what;
    const char *line; /* NULL: built from fields below */
    const char *name, *hash, *rest;
    bool name_readable;
};

/* Places line as line 2 between two good users and checks it is reported. */
static void
check_variant(const struct variant *v, const char *line, size_t line_len)
{
    char text[4096], what[160];
    size_t len = 0;
    const char *first = line_of("alice", hash_a, "1:ssh::5");
    const char *third = line_of("carol", hash_b, "2:::6");
    struct userdb *db;

    len = (size_t)snprintf(text, sizeof(text), "%s\n", first);
    memcpy(text + len, line, line_len);
    len += line_len;
    len += (size_t)snprintf(text + len, sizeof(text) - len, "\n%s\n", third);
    db = parse_text(text, len);
    snprintf(what, sizeof(what), "malformed %s: line 2 reported alone", v->what);
    CHECK(db != NULL && db->n_bad_lines == 1 && db->bad_lines[0] == 2, what);
    if (db == NULL)
        return;
    snprintf(what, sizeof(what), "malformed %s: other users still found", v->what);
    CHECK(userdb_find(db, "alice") != NULL && userdb_find(db, "carol") != NULL &&
              db->n_records == 2,
          what);
    snprintf(what, sizeof(what), "malformed %s: bob cannot log in", v->what);
    CHECK(userdb_find(db, "bob") == NULL, what);
    snprintf(what, sizeof(what), "malformed %s: name readable", v->what);
    CHECK(has_bad_name(db, "bob") == v->name_readable, what);
    if (db->n_bad_lines != 1)
        printf("#   %zu bad lines\n", db->n_bad_lines);
    userdb_free(db);
}

static void
test_malformed(void)
{
    char many[1024] = "0:", long_hash[200] = "$argon2id$", ctl_hash[200];
    char nul_line[300];
    size_t nul_len;

    for (int i = 0; i < 33; i++)
        strcat(many, i ? ",s" : "s");
    strcat(many, "::1");
    memset(long_hash + 10, 'A', 150);
    long_hash[160] = '\0';
    snprintf(ctl_hash, sizeof(ctl_hash), "%s", hash_a);
    ctl_hash[20] = '\t';
    const struct variant vs[] = {
        {"good twin (valid bob)", NULL, "bob", hash_a, "3:ssh::7", false},
        {"5 fields", NULL, "bob", hash_a, "3:ssh:7", true},
        {"7 fields", NULL, "bob", hash_a, "3:ssh:::7", true},
        {"blank line", "", NULL, NULL, NULL, false},
        {"comment line", "# bob", NULL, NULL, NULL, false},
        {"comment of a record", NULL, "#bob", hash_a, "3:ssh::7", false},
        {"CRLF", NULL, "bob", hash_a, "3:ssh::7\r", true},
        {"unknown flag", NULL, "bob", hash_a, "3:ssh:admin:7", true},
        {"flag repeated", NULL, "bob", hash_a, "3:ssh:locked,locked:7", true},
        {"flag empty item", NULL, "bob", hash_a, "3:ssh:locked,:7", true},
        {"flag uppercase", NULL, "bob", hash_a, "3:ssh:LOCKED:7", true},
        {"uppercase name", NULL, "Bob", hash_a, "3:ssh::7", false},
        {"name starts with digit", NULL, "9bob", hash_a, "3:ssh::7", false},
        {"name too long", NULL, "bobbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", hash_a, "3:ssh::7", false},
        {"empty name", NULL, "", hash_a, "3:ssh::7", false},
        {"leading zero gen", NULL, "bob", hash_a, "03:ssh::7", true},
        {"empty gen", NULL, "bob", hash_a, ":ssh::7", true},
        {"signed gen", NULL, "bob", hash_a, "+3:ssh::7", true},
        {"negative gen", NULL, "bob", hash_a, "-3:ssh::7", true},
        {"gen beyond uint64", NULL, "bob", hash_a, "18446744073709551616:ssh::7", true},
        {"gen with space", NULL, "bob", hash_a, " 3:ssh::7", true},
        {"gen hex", NULL, "bob", hash_a, "0x3:ssh::7", true},
        {"negative changed", NULL, "bob", hash_a, "3:ssh::-7", true},
        {"leading zero changed", NULL, "bob", hash_a, "3:ssh::07", true},
        {"changed beyond int64", NULL, "bob", hash_a, "3:ssh::9223372036854775808", true},
        {"empty changed", NULL, "bob", hash_a, "3:ssh::", true},
        {"hash argon2i", NULL, "bob", hash_i, "3:ssh::7", true},
        {"hash garbage argon2id", NULL, "bob", "$argon2id$garbage", "3:ssh::7", true},
        {"hash empty", NULL, "bob", "", "3:ssh::7", true},
        {"hash too long", NULL, "bob", long_hash, "3:ssh::7", true},
        {"hash control char", NULL, "bob", ctl_hash, "3:ssh::7", true},
        {"hash bcrypt", NULL, "bob", "$2y$10$abcdefghijklmnopqrstuv", "3:ssh::7", true},
        {"scope trailing comma", NULL, "bob", hash_a, "3:ssh,::7", true},
        {"scope leading comma", NULL, "bob", hash_a, "3:,ssh::7", true},
        {"scope empty item", NULL, "bob", hash_a, "3:ssh,,sudo::7", true},
        {"scope uppercase", NULL, "bob", hash_a, "3:SSH::7", true},
        {"scope with space", NULL, "bob", hash_a, "3:ssh sudo::7", true},
        {"33 scopes", NULL, "bob", hash_a, many, true},
    };
    for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
        const char *line =
            vs[i].line != NULL ? vs[i].line : line_of(vs[i].name, vs[i].hash, vs[i].rest);
        if (i == 0) {
            /* the failing twin of every case below: this line is fine */
            char text[1024];
            struct userdb *db;
            snprintf(text, sizeof(text), "%s\n", line);
            db = parse_text(text, strlen(text));
            CHECK(db != NULL && db->n_bad_lines == 0 && userdb_find(db, "bob") != NULL,
                  "twin: the valid bob line parses");
            userdb_free(db);
            continue;
        }
        check_variant(&vs[i], line, strlen(line));
    }
    /* a NUL inside the hash field: lengths, not C strings */
    snprintf(nul_line, sizeof(nul_line), "%s", line_of("bob", hash_a, "3:ssh::7"));
    nul_len = strlen(nul_line);
    nul_line[15] = '\0';
    check_variant(&(struct variant){"NUL byte", NULL, NULL, NULL, NULL, true}, nul_line, nul_len);
}

static void
test_duplicates(void)
{
    char text[2048];
    struct userdb *db;

    snprintf(text, sizeof(text), "%s\n%s\n%s\n", line_of("alice", hash_a, "1:::1"),
             line_of("bob", hash_a, "1:::1"), line_of("alice", hash_b, "2:::2"));
    db = parse_text(text, strlen(text));
    CHECK(db != NULL && db->n_bad_lines == 2 && db->bad_lines[0] == 1 && db->bad_lines[1] == 3,
          "duplicate name: both lines reported");
    if (db != NULL && db->n_bad_lines == 2) {
        CHECK_STR(db->bad_reasons[0], "duplicate name", "duplicate name: reason");
        CHECK(userdb_find(db, "alice") == NULL, "duplicate name: user cannot log in");
        CHECK(userdb_find(db, "bob") != NULL, "duplicate name: others found");
        CHECK(has_bad_name(db, "alice") && db->n_bad_names == 1, "duplicate name listed once");
    }
    userdb_free(db);

    /* a valid line and a malformed one of the same user: both malformed */
    snprintf(text, sizeof(text), "%s\n%s\n%s\n", line_of("bob", hash_a, "1:::1"),
             line_of("alice", hash_a, "1:::1"), line_of("alice", hash_b, "x:::2"));
    db = parse_text(text, strlen(text));
    CHECK(db != NULL && db->n_bad_lines == 2 && db->bad_lines[0] == 2 && db->bad_lines[1] == 3,
          "valid line shares name with malformed one: both reported");
    if (db != NULL && db->n_bad_lines == 2) {
        CHECK_STR(db->bad_reasons[0], "duplicate name", "valid line: duplicate name");
        CHECK_STR(db->bad_reasons[1], "bad gen", "malformed line keeps its own reason");
        CHECK(userdb_find(db, "alice") == NULL && userdb_find(db, "bob") != NULL,
              "user of a malformed line cannot log in");
    }
    userdb_free(db);
    db = parse_text("\n", 1);
    CHECK(db != NULL && db->n_bad_lines == 1 && db->bad_lines[0] == 1, "lone newline is line 1");
    userdb_free(db);
}

static void
test_format_and_scopes(void)
{
    struct userdb_record rec;
    char *scopes[2] = {"ssh", "s,x"};
    char **parsed = NULL, *line = NULL, list[200] = "";
    size_t n = 0;

    memset(&rec, 0, sizeof(rec));
    strcpy(rec.name, "alice");
    rec.hash = hash_a;
    rec.scopes = scopes;
    rec.n_scopes = 1;
    CHECK_UDB(userdb_record_format(&rec, &line), USERDB_OK, "format: valid record");
    CHECK_STR(line, line_of("alice", hash_a, "0:ssh::0"), "format: line");
    free(line);
    rec.n_scopes = 2;
    CHECK_UDB(userdb_record_format(&rec, &line), USERDB_ERR_INVALID, "format: comma in scope");
    rec.n_scopes = 1;
    rec.changed = -1;
    CHECK_UDB(userdb_record_format(&rec, &line), USERDB_ERR_INVALID, "format: negative changed");
    rec.changed = 0;
    strcpy(rec.name, "Alice");
    CHECK_UDB(userdb_record_format(&rec, &line), USERDB_ERR_INVALID, "format: bad name");
    strcpy(rec.name, "alice");
    rec.hash = hash_i;
    CHECK_UDB(userdb_record_format(&rec, &line), USERDB_ERR_INVALID, "format: argon2i hash");
    CHECK(line == NULL, "format: no output on error");

    CHECK_UDB(userdb_scopes_parse("a,b.c", &parsed, &n), USERDB_OK, "scopes: two");
    CHECK(n == 2 && strcmp(parsed[1], "b.c") == 0, "scopes: values");
    userdb_scopes_free(parsed, n);
    CHECK_UDB(userdb_scopes_parse("", &parsed, &n), USERDB_OK, "scopes: empty list");
    CHECK(n == 0 && parsed == NULL, "scopes: none");
    CHECK_UDB(userdb_scopes_parse("a,,b", &parsed, &n), USERDB_ERR_INVALID, "scopes: empty item");
    for (int i = 0; i < 32; i++)
        strcat(list, i ? ",x" : "x");
    CHECK_UDB(userdb_scopes_parse(list, &parsed, &n), USERDB_OK, "scopes: 32 allowed");
    userdb_scopes_free(parsed, n);
    strcat(list, ",x");
    CHECK_UDB(userdb_scopes_parse(list, &parsed, &n), USERDB_ERR_INVALID, "scopes: 33 refused");
    CHECK(userdb_hash_is_valid(hash_a) && !userdb_hash_is_valid(hash_i), "hash validity");
}

/* ---- updates ---- */

struct change {
    const char *op; /* "add", "remove", "bump", "fail", "dup", "scopes", "hash" */
    const char *name;
    const char *arg;
};

static userdb_result
apply_change(struct userdb *db, void *ctx)
{
    const struct change *c = ctx;
    struct userdb_record rec, *found = userdb_find_mut(db, c->name);

    if (strcmp(c->op, "add") == 0) {
        memset(&rec, 0, sizeof(rec));
        snprintf(rec.name, sizeof(rec.name), "%s", c->name);
        rec.hash = (char *)(uintptr_t)c->arg;
        rec.changed = 77;
        return userdb_add(db, &rec);
    }
    if (strcmp(c->op, "remove") == 0)
        return userdb_remove(db, c->name);
    if (strcmp(c->op, "fail") == 0)
        return USERDB_ERR_INVALID;
    if (found == NULL)
        return USERDB_ERR_NOT_FOUND;
    if (strcmp(c->op, "bump") == 0)
        found->gen++;
    else if (strcmp(c->op, "dup") == 0)
        snprintf(found->name, sizeof(found->name), "%s", c->arg);
    else if (strcmp(c->op, "scopes") == 0)
        return userdb_record_set_scopes(found, c->arg);
    else if (strcmp(c->op, "hash") == 0)
        return userdb_record_set_hash(found, c->arg);
    return USERDB_OK;
}

static userdb_result
update(const char *op, const char *name, const char *arg, size_t *bad_line)
{
    struct change c = {op, name, arg};

    return userdb_update(users, -1, (uid_t)-1, (gid_t)-1, apply_change, &c, bad_line);
}

static void
test_update_basic(void)
{
    char want[2048], before[2048];
    size_t bad = 99;

    unlink(users);
    CHECK_UDB(update("add", "alice", hash_a, &bad), USERDB_OK, "update: add to missing file");
    CHECK_INT(bad, 0, "update: bad_line 0 on success");
    snprintf(want, sizeof(want), "%s\n", line_of("alice", hash_a, "0:::77"));
    CHECK_STR(read_text(users), want, "update: file holds the new line");
    CHECK_INT(mode_of(users), 0600, "update: users mode 0600");
    CHECK_INT(mode_of(strcat(strcpy(before, users), ".lock")), 0600, "update: lock mode 0600");
    CHECK_UDB(update("add", "alice", hash_b, NULL), USERDB_ERR_EXISTS, "update: add existing");
    CHECK_STR(read_text(users), want, "update: refused add leaves file");
    CHECK_UDB(update("remove", "zed", NULL, NULL), USERDB_ERR_NOT_FOUND, "update: remove missing");
    CHECK_UDB(update("fail", "alice", NULL, NULL), USERDB_ERR_INVALID, "update: change aborts");
    CHECK_STR(read_text(users), want, "update: aborted change leaves file");
    CHECK_UDB(update("add", "bob", hash_b, NULL), USERDB_OK, "update: add second");
    CHECK_UDB(update("dup", "bob", "alice", NULL), USERDB_ERR_INVALID,
              "update: change making a duplicate name refused");
    CHECK_UDB(update("scopes", "bob", "a,,b", NULL), USERDB_ERR_INVALID, "update: bad scopes");
    CHECK_UDB(update("hash", "bob", hash_i, NULL), USERDB_ERR_INVALID, "update: argon2i hash");
    CHECK_UDB(update("scopes", "bob", "ssh,sudo", NULL), USERDB_OK, "update: set scopes");
    CHECK_UDB(update("hash", "bob", hash_a, NULL), USERDB_OK, "update: set hash");
    snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s\n",
             line_of("bob", hash_a, "0:ssh,sudo::77"));
    CHECK_STR(read_text(users), want, "update: two users, changed in place");
    CHECK_UDB(update("remove", "alice", NULL, NULL), USERDB_OK, "update: remove");
    snprintf(want, sizeof(want), "%s\n", line_of("bob", hash_a, "0:ssh,sudo::77"));
    CHECK_STR(read_text(users), want, "update: removed line gone");
    CHECK_INT(count_other_files(dir, "users", "users.lock"), 0, "update: no temp files left");
}

static void
test_update_keeps_lines(void)
{
    char text[2048], want[2048];
    size_t bad = 0;

    /* hand-written lines (max numbers, locked, many scopes) stay byte for byte */
    snprintf(text, sizeof(text), "%s\n%s\n%s\n",
             line_of("zed", hash_b, "18446744073709551615:a,b,c:locked:9223372036854775807"),
             line_of("bob", hash_a, "41:ssh::1"), line_of("_x", hash_a, "0:::0"));
    write_text(users, text, 0600);
    CHECK_UDB(update("bump", "bob", NULL, &bad), USERDB_OK, "keep: bump middle user");
    snprintf(want, sizeof(want), "%s\n%s\n%s\n",
             line_of("zed", hash_b, "18446744073709551615:a,b,c:locked:9223372036854775807"),
             line_of("bob", hash_a, "42:ssh::1"), line_of("_x", hash_a, "0:::0"));
    CHECK_STR(read_text(users), want, "keep: other lines byte for byte, gen 42");

    /* a malformed line refuses every write and names the line */
    snprintf(text, sizeof(text), "%s\n%s\n%s\n", line_of("alice", hash_a, "1:::1"),
             line_of("bob", hash_a, "1:::1"), line_of("carol", hash_a, "1:::-1"));
    write_text(users, text, 0600);
    CHECK_UDB(update("bump", "alice", NULL, &bad), USERDB_ERR_MALFORMED,
              "malformed: write refused");
    CHECK_INT(bad, 3, "malformed: line 3 named");
    CHECK_UDB(update("add", "dave", hash_a, &bad), USERDB_ERR_MALFORMED, "malformed: add refused");
    CHECK_STR(read_text(users), text, "malformed: file untouched");
    CHECK_INT(count_other_files(dir, "users", "users.lock"), 0, "malformed: no temp files");
}

static void
test_update_unsafe(void)
{
    char target[160], text[1024], stale[160], other[160];
    struct userdb *db = NULL;

    snprintf(text, sizeof(text), "%s\n", line_of("alice", hash_a, "1:::1"));
    snprintf(target, sizeof(target), "%s/real", dir);
    write_text(target, text, 0600);
    unlink(users);
    CHECK(symlink(target, users) == 0, "unsafe: symlink made");
    CHECK_UDB(update("bump", "alice", NULL, NULL), USERDB_ERR_UNSAFE, "unsafe: symlink refused");
    CHECK_UDB(userdb_load(users, -1, &db), USERDB_ERR_UNSAFE, "unsafe: symlink load refused");
    CHECK_STR(read_text(target), text, "unsafe: symlink target untouched");
    unlink(users);
    unlink(target);

    write_text(users, text, 0640);
    CHECK_UDB(userdb_load(users, -1, &db), USERDB_ERR_UNSAFE, "unsafe: group-readable refused");
    CHECK_UDB(update("bump", "alice", NULL, NULL), USERDB_ERR_UNSAFE, "unsafe: no write either");
    CHECK(chmod(users, 0600) == 0, "unsafe: chmod");
    CHECK_UDB(userdb_load(users, -1, &db), USERDB_OK, "unsafe twin: mode 0600 loads");
    userdb_free(db);
    db = NULL;
    unlink(users);
    CHECK(mkfifo(users, 0600) == 0, "unsafe: fifo made");
    CHECK_UDB(userdb_load(users, -1, &db), USERDB_ERR_UNSAFE, "unsafe: fifo refused, no hang");
    unlink(users);

    /* a killed writer's temporary file is removed by the next write */
    write_text(users, text, 0600);
    snprintf(stale, sizeof(stale), "%s/.users.tmp-0123456789abcdef", dir);
    snprintf(other, sizeof(other), "%s/.users.tmp-0123456789abcdeg", dir);
    write_text(stale, "half", 0600);
    write_text(other, "not ours", 0600);
    CHECK_UDB(update("bump", "alice", NULL, NULL), USERDB_OK, "stale: update");
    CHECK(access(stale, F_OK) != 0, "stale: temp file removed");
    CHECK(access(other, F_OK) == 0, "stale twin: a non-matching name is kept");
    unlink(other);
}

/* As root: the file and the lock are handed to the daemon's user. */
static void
test_update_owner(void)
{
    char lock[160];
    struct stat st;
    struct change c = {"bump", "alice", NULL};

    if (geteuid() != 0) {
        CHECK(1, "owner # SKIP needs root to chown");
        return;
    }
    snprintf(lock, sizeof(lock), "%s.lock", users);
    CHECK_UDB(userdb_update(users, 65534, 65534, 65534, apply_change, &c, NULL), USERDB_OK,
              "owner: update as root for uid 65534");
    CHECK(stat(users, &st) == 0 && st.st_uid == 65534 && st.st_gid == 65534, "owner: users file");
    CHECK(stat(lock, &st) == 0 && st.st_uid == 65534, "owner: lock file");
    CHECK_UDB(userdb_update(users, -1, (uid_t)-1, (gid_t)-1, apply_change, &c, NULL),
              USERDB_ERR_UNSAFE, "owner twin: a file of another uid refused without daemon_uid");
}

/* ---- atomic_file ---- */

/* Runs atomic_file_replace in a child as uid 65534; returns its errno or 0. */
static int
replace_as_nobody(const char *path, uid_t owner)
{
    pid_t pid = fork();
    int status = 0;

    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(100);
        _exit(atomic_file_replace(path, "new\n", 4, 0600, owner, owner) ? 0 : errno);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

static void
test_atomic_file(void)
{
    char sub[160], path[200], inner[220];
    int fd, other;

    snprintf(sub, sizeof(sub), "%s/sub", dir);
    snprintf(path, sizeof(path), "%s/f", sub);
    CHECK(mkdir(sub, 0755) == 0, "atomic: dir made");
    write_text(path, "old\n", 0644);
    umask(077);
    CHECK(atomic_file_replace(path, "new\n", 4, 0644, (uid_t)-1, (gid_t)-1), "atomic: replace");
    CHECK_STR(read_text(path), "new\n", "atomic: new content");
    CHECK_INT(mode_of(path), 0644, "atomic: exact mode despite umask 077");
    umask(022);
    CHECK(!atomic_file_replace("/nonexistent-dir/f", "x", 1, 0600, (uid_t)-1, (gid_t)-1) &&
              errno == ENOENT,
          "atomic: missing directory fails with ENOENT");

    /* rename over a non-empty directory fails: the temporary file goes */
    snprintf(inner, sizeof(inner), "%s/d", sub);
    mkdir(inner, 0700);
    snprintf(inner, sizeof(inner), "%s/d/x", sub);
    write_text(inner, "x", 0600);
    snprintf(inner, sizeof(inner), "%s/d", sub);
    CHECK(!atomic_file_replace(inner, "y", 1, 0600, (uid_t)-1, (gid_t)-1), "atomic: rename fails");
    CHECK_INT(count_other_files(sub, "f", "d"), 0, "atomic: temp removed after rename failure");

    if (geteuid() == 0) {
        /* an unwritable directory, and an fchown we may not do */
        CHECK(chmod(dir, 0711) == 0, "atomic: test dir searchable by 65534");
        CHECK(chown(path, 65534, 65534) == 0, "atomic: file given to 65534");
        CHECK_INT(replace_as_nobody(path, (uid_t)-1), EACCES, "atomic: unwritable dir refused");
        CHECK(chown(sub, 65534, 65534) == 0, "atomic: dir given to 65534");
        CHECK_INT(replace_as_nobody(path, 0), EPERM, "atomic: fchown to root refused");
        CHECK_STR(read_text(path), "new\n", "atomic: old file kept after both failures");
        CHECK_INT(count_other_files(sub, "f", "d"), 0, "atomic: temp removed after fchown failure");
        CHECK_INT(replace_as_nobody(path, (uid_t)-1), 0, "atomic twin: writable dir works");
        CHECK_STR(read_text(path), "new\n", "atomic twin: content written by child");
    } else {
        chmod(sub, 0500);
        CHECK(!atomic_file_replace(path, "z", 1, 0600, (uid_t)-1, (gid_t)-1) && errno == EACCES,
              "atomic: unwritable dir refused");
        chmod(sub, 0755);
        CHECK_STR(read_text(path), "new\n", "atomic: old file kept");
    }

    /* the lock is exclusive across open file descriptions */
    fd = atomic_file_lock(path, (uid_t)-1, (gid_t)-1);
    CHECK(fd >= 0, "lock: taken");
    snprintf(inner, sizeof(inner), "%s.lock", path);
    other = open(inner, O_RDONLY);
    CHECK(other >= 0 && flock(other, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK,
          "lock: a second locker waits");
    atomic_file_unlock(fd);
    CHECK(other >= 0 && flock(other, LOCK_EX | LOCK_NB) == 0, "lock twin: free after unlock");
    if (other >= 0)
        close(other);
    unlink(inner);
    CHECK(symlink("/tmp", inner) == 0, "lock: symlink planted");
    CHECK(atomic_file_lock(path, (uid_t)-1, (gid_t)-1) < 0 && errno == ELOOP,
          "lock: symlinked lock file refused");
    unlink(inner);
    /* A hard link as the lock (another name of some other file, e.g.
     * /etc/shadow planted by the daemon's user) is refused, never chowned. */
    {
        char target[600];
        struct stat st;
        snprintf(target, sizeof(target), "%s.target", path);
        write_text(target, "secret\n", 0600);
        CHECK(link(target, inner) == 0, "lock: hard link planted");
        CHECK(atomic_file_lock(path, geteuid() == 0 ? 65534 : (uid_t)-1, 65534) < 0 &&
                  errno == EMLINK,
              "lock: hard-linked lock file refused");
        CHECK(stat(target, &st) == 0 && st.st_uid == geteuid(), "lock: its target not chowned");
        unlink(inner);
        unlink(target);
    }
}

/* ---- revocation_publish ---- */

static revocation_publish_result
publish(const char *path, const char *name, int64_t instant)
{
    return revocation_publish_keep(path, -1, (uid_t)-1, (gid_t)-1, name, instant,
                                   REVOCATION_PUBLISH_KEEP_ALL);
}

static void
test_revocation_publish(void)
{
    char list[160], *big;
    size_t big_len = JWT_MAX_REVOCATION_BYTES - 6, pos = 0;
    int n = 0;

    snprintf(list, sizeof(list), "%s/revoked", dir);
    umask(077);
    CHECK_INT(publish(list, "alice", 100), REVOCATION_PUBLISH_OK, "publish: missing list created");
    umask(022);
    CHECK_STR(read_text(list), "alice:100\n", "publish: one line");
    CHECK_INT(mode_of(list), 0644, "publish: mode 0644");
    CHECK_INT(publish(list, "alice", 50), REVOCATION_PUBLISH_OK, "publish: earlier instant");
    CHECK_STR(read_text(list), "alice:100\n", "publish: the later instant stays");
    CHECK_INT(publish(list, "bob", 7), REVOCATION_PUBLISH_OK, "publish: second user");
    CHECK_INT(publish(list, "alice", 200), REVOCATION_PUBLISH_OK, "publish: later instant");
    CHECK_STR(read_text(list), "bob:7\nalice:200\n", "publish: raised, bob kept");

    write_text(list, "alice:5\nbob:0007\n", 0644);
    CHECK_INT(publish(list, "carol", 1), REVOCATION_PUBLISH_ERR_MALFORMED,
              "publish: malformed list refused");
    CHECK_STR(read_text(list), "alice:5\nbob:0007\n", "publish: malformed list untouched");
    write_text(list, "alice:5\nbob:7\nalice:9\ncarol:1", 0644);
    CHECK_INT(publish(list, "alice", 9), REVOCATION_PUBLISH_OK, "publish: equal instant");
    CHECK_STR(read_text(list), "alice:5\nbob:7\nalice:9\ncarol:1", "publish: nothing written");
    CHECK_INT(publish(list, "alice", 10), REVOCATION_PUBLISH_OK, "publish: over repeated lines");
    CHECK_STR(read_text(list), "bob:7\ncarol:1\nalice:10\n", "publish: one line per user left");
    CHECK_INT(publish(list, "Alice", 10), REVOCATION_PUBLISH_ERR_INVALID, "publish: bad name");
    CHECK_INT(publish(list, "alice", -1), REVOCATION_PUBLISH_ERR_INVALID, "publish: negative");
    write_text(list, "bob:7\n", 0666);
    CHECK_INT(publish(list, "alice", 1), REVOCATION_PUBLISH_ERR_UNSAFE, "publish: writable list");
    unlink(list);
    CHECK(symlink("/etc/passwd", list) == 0, "publish: symlink planted");
    CHECK_INT(publish(list, "alice", 1), REVOCATION_PUBLISH_ERR_UNSAFE, "publish: symlink refused");
    unlink(list);

    /* the 1 MiB cap: fill to 6 bytes under it; "ab:1\n" fits, "abcd:1\n" not */
    big = malloc(JWT_MAX_REVOCATION_BYTES + 1);
    while (big_len - pos >= 24)
        pos += (size_t)snprintf(big + pos, 13, "u%08d:1\n", n++);
    big[pos++] = 'v'; /* a last line of 12..23 bytes fills it exactly */
    while (big_len - pos > 3)
        big[pos++] = 'x';
    memcpy(big + pos, ":1\n", 4);
    CHECK_INT(strlen(big), big_len, "publish: big list built");
    write_text(list, big, 0644);
    CHECK_INT(publish(list, "ab", 1), REVOCATION_PUBLISH_OK, "publish: up to the cap");
    CHECK_INT(publish(list, "abcd", 1), REVOCATION_PUBLISH_ERR_TOO_BIG, "publish: over the cap");
    free(big);
    unlink(list);
}

/* Publishes for alice in a child running as uid 65534 (nobody, not the
 * daemon's user), into a list owned by owner; returns the result, or -1. */
static int
publish_as_nobody(const char *list, uid_t owner)
{
    pid_t pid;
    int status = 0;

    write_text(list, "bob:7\n", 0644);
    if (chown(list, owner, owner) != 0)
        return -1;
    if ((pid = fork()) == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(100);
        _exit((int)publish(list, "alice", 9));
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

/* A daemon whose user = is not the daemon's user must not rewrite a list
 * every pam_jwt trusts (root's or _jwt-helper's) into one they refuse. */
static void
test_revocation_publish_owner(void)
{
    char sub[] = "/tmp/test_userdb-owner-XXXXXX", list[64];
    struct stat st;

    if (geteuid() != 0) {
        CHECK(1, "publish owner # SKIP needs root to run as another user");
        return;
    }
    CHECK(jwt_daemon_uid() != 65534, "publish owner: nobody is not the daemon's user");
    if (mkdtemp(sub) == NULL || chown(sub, 65534, 65534) != 0) {
        CHECK(0, "publish owner: a directory for nobody");
        return;
    }
    snprintf(list, sizeof list, "%s/revoked", sub);
    CHECK_INT(publish_as_nobody(list, 0), REVOCATION_PUBLISH_ERR_UNTRUSTED,
              "publish owner: root's list not rewritten as nobody's");
    CHECK(stat(list, &st) == 0 && st.st_uid == 0, "publish owner: still root's");
    CHECK_STR(read_text(list), "bob:7\n", "publish owner: untouched");
    CHECK_INT(publish_as_nobody(list, 65534), REVOCATION_PUBLISH_OK,
              "publish owner twin: nobody's own list (tests) is rewritten");
    CHECK_STR(read_text(list), "bob:7\nalice:9\n", "publish owner twin: alice listed");
    unlink(list);
    snprintf(list, sizeof list, "%s/revoked.lock", sub);
    unlink(list);
    rmdir(sub);
}

int
main(void)
{
    char tmpl[] = "/tmp/test_userdb-XXXXXX";

    if (sodium_init() < 0 || mkdtemp(tmpl) == NULL)
        return 99;
    snprintf(dir, sizeof(dir), "%s", tmpl);
    snprintf(users, sizeof(users), "%s/users", dir);
    /* the minimum limits: real argon2id strings, made in microseconds */
    if (crypto_pwhash_str(hash_a, "pw-a", 4, crypto_pwhash_OPSLIMIT_MIN,
                          crypto_pwhash_MEMLIMIT_MIN) ||
        crypto_pwhash_str(hash_b, "pw-b", 4, crypto_pwhash_OPSLIMIT_MIN,
                          crypto_pwhash_MEMLIMIT_MIN) ||
        crypto_pwhash_argon2i_str(hash_i, "pw-i", 4, crypto_pwhash_argon2i_OPSLIMIT_MIN,
                                  crypto_pwhash_argon2i_MEMLIMIT_MIN))
        return 99;
    test_round_trip();
    test_malformed();
    test_duplicates();
    test_format_and_scopes();
    test_update_basic();
    test_update_keeps_lines();
    test_update_unsafe();
    test_update_owner();
    test_atomic_file();
    test_revocation_publish();
    test_revocation_publish_owner();
    {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            printf("# could not remove %s\n", dir);
    }
    return check_done();
}
