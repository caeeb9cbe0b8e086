/* SPDX-License-Identifier: MIT */
/* Tests for the "not before" revocation list: its grammar, lookups and loading. */
#include "config.h"

#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "jwt.h"
#include "proto.h"

static char dir[64];

/* Parses text[0..len) and returns the result; the list is freed. */
static jwt_result
parse_len(const char *text, size_t len)
{
    struct jwt_revocation *list = (struct jwt_revocation *)&len; /* must be cleared */
    jwt_result r = jwt_revocation_parse(text, len, &list);

    if (r != JWT_OK && list != NULL)
        return JWT_ERR_INTERNAL; /* *out left set on error: make the check fail */
    jwt_revocation_free(list);
    return r;
}

static jwt_result
parse(const char *text)
{
    return parse_len(text, strlen(text));
}

/* Returns the instant listed for name in text, -1 when not listed, -2 when
 * the text does not parse. */
static int64_t
instant_of(const char *text, const char *name)
{
    struct jwt_revocation *list = NULL;
    int64_t instant = -1;

    if (jwt_revocation_parse(text, strlen(text), &list) != JWT_OK)
        return -2;
    if (!jwt_revocation_lookup(list, name, &instant))
        instant = -1;
    jwt_revocation_free(list);
    return instant;
}

static int64_t
instant_of_len(const char *text, size_t len)
{
    struct jwt_revocation *list = NULL;
    int64_t instant = -1;

    if (jwt_revocation_parse(text, len, &list) != JWT_OK)
        return -2;
    if (!jwt_revocation_lookup(list, "a", &instant))
        instant = -1;
    jwt_revocation_free(list);
    return instant;
}

static void
test_well_formed(void)
{
    CHECK_RESULT(parse(""), JWT_OK, "empty list parses");
    CHECK_INT(instant_of("", "alice"), -1, "empty list names nobody");
    CHECK_INT(instant_of("alice:1\n", "alice"), 1, "one-line list names alice");

    CHECK_INT(instant_of("alice:100\nbob:200\n", "alice"), 100, "alice:100");
    CHECK_INT(instant_of("alice:100\nbob:200\n", "bob"), 200, "bob:200");
    CHECK_INT(instant_of("alice:100\nbob:200\n", "carol"), -1, "carol not listed");
    CHECK_INT(instant_of("alice:100\nbob:200\n", "alic"), -1, "a prefix of a name is not listed");
    CHECK_INT(instant_of("alice:100\nbob:200\n", "alicee"), -1, "an extension is not listed");
    CHECK_INT(instant_of("alice:100\nbob:200\n", ""), -1, "empty name not listed");

    CHECK_INT(instant_of("alice:100\nalice:50\n", "alice"), 100, "repeated name: later first");
    CHECK_INT(instant_of("alice:50\nalice:100\n", "alice"), 100, "repeated name: later last");
    CHECK_INT(instant_of("bob:7\nalice:50\nbob:3\nalice:100\nbob:5\n", "bob"), 7,
              "repeated name among others keeps the latest");
    CHECK_INT(instant_of("bob:7\nalice:50\nbob:3\nalice:100\nbob:5\n", "alice"), 100,
              "and the other name keeps its latest too");

    CHECK_INT(instant_of("alice:100\nbob:200", "bob"), 200, "last line without newline");
    CHECK_INT(instant_of("alice:0", "alice"), 0, "instant 0 is a plain zero");
    CHECK_INT(instant_of("alice:9223372036854775807\n", "alice"), INT64_MAX, "INT64_MAX");
    CHECK_INT(instant_of("_a.b-c_9:1\n", "_a.b-c_9"), 1, "name with every allowed character");
}

/* Each bad text is refused; its fixed twin parses. */
static void
test_malformed(void)
{
    static const struct {
        const char *bad, *good, *what;
    } cases[] = {
        {"alice100\n", "alice:100\n", "no colon"},
        {":100\n", "a:100\n", "empty name"},
        {"Alice:100\n", "alice:100\n", "uppercase name"},
        {"1alice:100\n", "alice1:100\n", "name starting with a digit"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:1\n", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:1\n",
         "name of 33 characters"},
        {"alice:-1\n", "alice:1\n", "negative instant"},
        {"alice:0100\n", "alice:100\n", "leading zero"},
        {"alice:00\n", "alice:0\n", "double zero"},
        {"alice:+100\n", "alice:100\n", "plus sign"},
        {"alice:100 \n", "alice:100\n", "trailing space"},
        {"alice: 100\n", "alice:100\n", "space after colon"},
        {" alice:100\n", "alice:100\n", "leading space"},
        {"alice :100\n", "alice:100\n", "space before colon"},
        {"alice:100\n\nbob:200\n", "alice:100\nbob:200\n", "blank line"},
        {"alice:100\n\n", "alice:100\n", "blank line at the end"},
        {"\n", "", "a lone newline"},
        {"alice:100\r\n", "alice:100\n", "CRLF"},
        {"alice:9223372036854775808\n", "alice:9223372036854775807\n", "beyond int64"},
        {"alice:10000000000000000000\n", "alice:1000000000000000000", "twenty digits"},
        {"# revoked\nalice:100\n", "alice:100\n", "comment line"},
        {"alice:\n", "alice:1\n", "empty instant"},
        {"alice:1:2\n", "alice:12\n", "second colon"},
        {"alice:1.5\n", "alice:15\n", "fraction"},
        {"alice:1e3\n", "alice:1000\n", "exponent"},
        {"alice:0x10\n", "alice:16\n", "hex"},
        {"al/ice:1\n", "alice:1\n", "slash in name"},
        {"alice:100\nbob\n", "alice:100\nbob:1\n", "second line bad"},
        {"\xc3\xa9:1\n", "e:1\n", "non-ASCII name"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char what[128];
        snprintf(what, sizeof(what), "%s refused", cases[i].what);
        CHECK_RESULT(parse(cases[i].bad), JWT_ERR_REVOCATION_LIST, what);
        snprintf(what, sizeof(what), "%s: fixed twin parses", cases[i].what);
        CHECK_RESULT(parse(cases[i].good), JWT_OK, what);
    }
    CHECK_RESULT(parse_len("alice:1\0\n", 9), JWT_ERR_REVOCATION_LIST, "NUL byte refused");
    CHECK_RESULT(parse_len("alice:1\n\0", 8), JWT_OK, "length bounds the text, not a NUL");
    CHECK_RESULT(parse_len("al\0ce:1\n", 8), JWT_ERR_REVOCATION_LIST, "NUL in name refused");
}

static void
test_user_names(void)
{
    static const struct {
        const char *name;
        bool valid;
    } cases[] = {
        {"a", true},           {"_", true},
        {"root", true},        {"a-b.c_9", true},
        {"_jwt-helper", true}, {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true},   /* 32 */
        {"", false},           {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false}, /* 33 */
        {"1abc", false},       {"-a", false},
        {".a", false},         {"aB", false},
        {"A", false},          {"a b", false},
        {"a/b", false},        {"a:b", false},
        {"a$", false},         {"a\n", false},
        {"\xc3\xa9", false},   {"a\xc3\xa9", false},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char what[96];
        char shown[40];
        size_t k;
        for (k = 0; cases[i].name[k] != '\0' && k < sizeof(shown) - 1; k++)
            shown[k] = cases[i].name[k] >= 0x20 && cases[i].name[k] < 0x7f ? cases[i].name[k] : '?';
        shown[k] = '\0';
        snprintf(what, sizeof(what), "user name \"%s\" %s", shown,
                 cases[i].valid ? "valid" : "invalid");
        CHECK(jwt_user_name_is_valid(cases[i].name, strlen(cases[i].name)) == cases[i].valid, what);
    }
    CHECK(!jwt_user_name_is_valid("a\0b", 3), "NUL inside the length invalid");
    CHECK(jwt_user_name_is_valid("alice!", 5), "only len bytes are looked at");
    CHECK(!jwt_user_name_is_valid("alice!", 6), "the sixth byte counts when len says so");
}

static void
test_lookup_long_name(void)
{
    char text[64], name[64];

    memset(name, 'a', 40);
    name[40] = '\0';
    snprintf(text, sizeof(text), "%.32s:5\n", name);
    CHECK_INT(instant_of(text, name + 8), 5, "32-character name found");
    CHECK_INT(instant_of(text, name), -1, "40-character name whose prefix is listed not found");
}

static const char *
write_file(const char *name, const char *text, size_t len, mode_t mode)
{
    static char path[128];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || (len > 0 && write(fd, text, len) != (ssize_t)len) || fchmod(fd, mode) != 0) {
        perror(path);
        exit(99);
    }
    close(fd);
    return path;
}

static jwt_result
load(const char *path, int64_t *alice)
{
    struct jwt_revocation *list = NULL;
    jwt_result r = jwt_revocation_load(path, -1, &list);

    *alice = -1;
    if (r == JWT_OK && !jwt_revocation_lookup(list, "a", alice))
        *alice = -1;
    if (r != JWT_OK && list != NULL)
        r = JWT_ERR_INTERNAL;
    jwt_revocation_free(list);
    return r;
}

static void
test_load(void)
{
    size_t big = JWT_MAX_REVOCATION_BYTES + 1;
    char *text = malloc(big), missing[128];
    int64_t instant = 0;
    const char *path;

    if (text == NULL)
        exit(99);
    path = write_file("ok", "a:42\nb:7\n", 9, 0644);
    CHECK_RESULT(load(path, &instant), JWT_OK, "0644 list loads");
    CHECK_INT(instant, 42, "and names a");
    path = write_file("unsafe", "a:42\n", 5, 0666);
    CHECK_RESULT(load(path, &instant), JWT_ERR_FILE_UNSAFE, "0666 list refused");
    path = write_file("bad", "a:42\nB:1\n", 9, 0644);
    CHECK_RESULT(load(path, &instant), JWT_ERR_REVOCATION_LIST, "malformed file refused");
    snprintf(missing, sizeof(missing), "%s/missing", dir);
    CHECK_RESULT(load(missing, &instant), JWT_ERR_FILE_OPEN, "missing file is an open error");

    /* "a:9\n" repeated fills the cap exactly; one more byte is too big. */
    for (size_t i = 0; i + 4 <= JWT_MAX_REVOCATION_BYTES; i += 4)
        memcpy(text + i, "a:9\n", 4);
    path = write_file("full", text, JWT_MAX_REVOCATION_BYTES, 0644);
    CHECK_RESULT(load(path, &instant), JWT_OK, "list of exactly the cap loads");
    CHECK_INT(instant, 9, "and its repeated name is folded");
    memcpy(text, "a:10\n", 5); /* "a:10\n" then 262143 times "a:9\n": cap + 1 */
    for (size_t i = 5; i + 4 <= big; i += 4)
        memcpy(text + i, "a:9\n", 4);
    CHECK_INT(instant_of_len(text, big), 10, "cap + 1 text is itself a valid list");
    path = write_file("full", text, big, 0644);
    CHECK_RESULT(load(path, &instant), JWT_ERR_FILE_TOO_BIG, "list of cap + 1 bytes refused");
    free(text);
}

static jwt_result
check_user(const char *path, const char *user, bool has_iat, int64_t iat)
{
    struct jwt_verified v;

    memset(&v, 0, sizeof(v));
    v.has_iat = has_iat;
    v.iat = iat;
    return jwt_revocation_check(path, user, &v);
}

/* Rewrites path in place (same inode) with text. */
static void
rewrite(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_TRUNC);

    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        perror(path);
        exit(99);
    }
    close(fd);
}

/* jwt_revocation_check: the decision, and the per-process cache following
 * the file (its identity) without ever keeping a failure. */
static void
test_check_cached(void)
{
    char path[128], other[128], tmp[160];

    snprintf(path, sizeof(path), "%s", write_file("cached", "alice:100\n", 10, 0644));
    snprintf(other, sizeof(other), "%s", write_file("other", "bob:100\n", 8, 0644));
    CHECK_RESULT(check_user(path, "alice", true, 100), JWT_ERR_REVOKED,
                 "check: iat at the instant");
    CHECK_RESULT(check_user(path, "alice", true, 99), JWT_ERR_REVOKED, "check: iat before");
    CHECK_RESULT(check_user(path, "alice", true, 101), JWT_OK, "check: iat after");
    CHECK_RESULT(check_user(path, "alice", false, 0), JWT_ERR_REVOKED, "check: no iat");
    CHECK_RESULT(check_user(path, "bob", true, 1), JWT_OK, "check: unlisted user");
    rewrite(path, "alice:200\n");
    CHECK_RESULT(check_user(path, "alice", true, 150), JWT_ERR_REVOKED,
                 "cache: an in-place rewrite of the same size is seen");
    snprintf(tmp, sizeof(tmp), "%s", write_file("cached.new", "bob:5\n", 6, 0644));
    CHECK(rename(tmp, path) == 0, "cache: a new list renamed over");
    CHECK_RESULT(check_user(path, "alice", true, 150), JWT_OK, "cache: the renamed list is seen");
    CHECK_RESULT(check_user(path, "bob", true, 5), JWT_ERR_REVOKED, "cache: its user is listed");
    CHECK_RESULT(check_user(other, "bob", true, 50), JWT_ERR_REVOKED, "cache: another path");
    CHECK_RESULT(check_user(path, "bob", true, 50), JWT_OK, "cache: and back");
    CHECK(chmod(path, 0666) == 0, "cache: list made world-writable");
    CHECK_RESULT(check_user(path, "bob", true, 50), JWT_ERR_FILE_UNSAFE,
                 "cache: a mode change is seen");
    CHECK(chmod(path, 0644) == 0, "cache: mode fixed");
    CHECK_RESULT(check_user(path, "bob", true, 50), JWT_OK, "cache: usable again");
    unlink(path);
    CHECK_RESULT(check_user(path, "bob", true, 50), JWT_ERR_FILE_OPEN, "cache: a missing list");
    CHECK_RESULT(check_user(path, "bob", true, 50), JWT_ERR_FILE_OPEN,
                 "cache: fails closed again, never cached");
    write_file("cached", "bob:x\n", 6, 0644);
    CHECK_RESULT(check_user(path, "bob", true, 50), JWT_ERR_REVOCATION_LIST,
                 "cache: a malformed list");
    write_file("cached", "", 0, 0644);
    CHECK_RESULT(check_user(path, "bob", true, 50), JWT_OK, "cache: an empty list");
}

/* The owner: root and the euid are trusted without an NSS lookup, anybody
 * else only when it is the daemon's user; an owner change is an identity
 * change, so a cached list never outlives the owner it was read from. */
static void
test_check_owner(void)
{
    char path[128];
    struct passwd *daemon = getpwnam(JWT_DAEMON_USER);
    uid_t other = 65534; /* nobody on Debian */

    if (geteuid() != 0 || (daemon != NULL && daemon->pw_uid == other)) {
        CHECK(1, "owner: # SKIP needs root, and nobody not being the daemon's user");
        return;
    }
    snprintf(path, sizeof(path), "%s", write_file("cached", "alice:100\n", 10, 0644));
    CHECK_RESULT(check_user(path, "alice", true, 200), JWT_OK, "owner: root's list is read");
    CHECK(chown(path, other, (gid_t)-1) == 0, "owner: list given to another user");
    CHECK_RESULT(check_user(path, "alice", true, 200), JWT_ERR_FILE_UNSAFE,
                 "owner: another user's list is refused, though the cached one was good");
    CHECK(chown(path, 0, (gid_t)-1) == 0, "owner: back to root");
    CHECK_RESULT(check_user(path, "alice", true, 50), JWT_ERR_REVOKED, "owner: read again");
}

static void
remove_dir(void)
{
    static const char *const names[] = {"ok", "unsafe", "bad", "full", "cached", "other"};
    char path[128];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

int
main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/test_jwt_revocation.XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 99;
    }
    test_well_formed();
    test_malformed();
    test_user_names();
    test_lookup_long_name();
    test_load();
    test_check_cached();
    test_check_owner();
    remove_dir();
    return check_done();
}
