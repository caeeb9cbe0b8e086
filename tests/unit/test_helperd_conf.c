/* SPDX-License-Identifier: MIT */
/* Unit tests for helperd_conf.c: defaults, every key good and bad, bounds,
 * duplicates, unknown keys, comments, lists, file rules and the shipped file. */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "helperd.h" /* helperd_delay_seconds */
#include "helperd_conf.h"

#define SHIPPED_CONF VECTORS_DIR "/../../conf/jwt-helperd.conf"

static char tmpdir[PATH_MAX];
static char messages[65536]; /* every report of the last load, one per line */
static int n_messages, n_warnings;
static char full_host[HOST_NAME_MAX + 1], short_host[HOST_NAME_MAX + 1];

static void
collect(void *ctx, const char *message)
{
    size_t used = strlen(messages);

    (void)ctx;
    if (strncmp(message, "warning: ", 9) == 0)
        n_warnings++;
    else
        n_messages++;
    snprintf(messages + used, sizeof messages - used, "%s\n", message);
}

static bool
reported(const char *needle)
{
    return strstr(messages, needle) != NULL;
}

static void
reset_messages(void)
{
    messages[0] = '\0';
    n_messages = n_warnings = 0;
}

/* Writes text to tmpdir/name with the given mode and returns its path. */
static const char *
write_file(const char *name, const char *text, mode_t mode)
{
    static char path[PATH_MAX * 2];
    size_t len = strlen(text);
    int fd;

    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
    if (fd < 0 || fchmod(fd, mode) != 0 || write(fd, text, len) != (ssize_t)len) {
        perror(path);
        exit(1);
    }
    close(fd);
    return path;
}

/* Parses text as a file named "t.conf" in messages. */
static conf_result
parse(const char *text, struct helperd_conf **c)
{
    reset_messages();
    return helperd_conf_parse(text, strlen(text), "t.conf", collect, NULL, c);
}

/* Parses one "key = value" line; returns the config or NULL (freed by caller). */
static struct helperd_conf *
one(const char *key, const char *value)
{
    char text[16384];
    struct helperd_conf *c = NULL;

    snprintf(text, sizeof text, "%s = %s\n", key, value);
    if (parse(text, &c) != CONF_OK && c != NULL) {
        printf("# error result with a config\n");
        exit(1);
    }
    return c;
}

static bool
accepts(const char *key, const char *value)
{
    struct helperd_conf *c = one(key, value);
    bool ok = c != NULL && n_messages == 0;

    helperd_conf_free(c);
    return ok;
}

/* Refused, with a message naming the line and the key. */
static bool
refuses(const char *key, const char *value)
{
    struct helperd_conf *c = one(key, value);
    char where[128];

    snprintf(where, sizeof where, "t.conf:1: %s: ", key);
    helperd_conf_free(c);
    return c == NULL && n_messages >= 1 && reported(where);
}

static bool
same_list(char **a, size_t na, char **b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

static bool
same_str(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Field-by-field equality of two configurations. */
static bool
same_conf(const struct helperd_conf *a, const struct helperd_conf *b)
{
    return same_str(a->issuer, b->issuer) && same_str(a->audience, b->audience) &&
           same_list(a->audiences, a->n_audiences, b->audiences, b->n_audiences) &&
           a->access_ttl == b->access_ttl && a->refresh_ttl == b->refresh_ttl &&
           same_str(a->jwks, b->jwks) && same_str(a->signing_key, b->signing_key) &&
           same_str(a->refresh_key, b->refresh_key) && same_str(a->users, b->users) &&
           same_str(a->revocation, b->revocation) && a->revocation_keep == b->revocation_keep &&
           same_list(a->default_scope, a->n_default_scope, b->default_scope, b->n_default_scope) &&
           a->max_clients == b->max_clients && a->max_clients_per_uid == b->max_clients_per_uid &&
           a->idle_timeout == b->idle_timeout && a->login_delay == b->login_delay &&
           a->max_hashes == b->max_hashes && same_str(a->user, b->user) &&
           same_str(a->socket, b->socket);
}

static void
test_defaults(void)
{
    struct helperd_conf *c = NULL;
    char issuer[HOST_NAME_MAX + 16], short_aud[HOST_NAME_MAX + 8];

    snprintf(issuer, sizeof issuer, "jwt-helper@%s", full_host);
    snprintf(short_aud, sizeof short_aud, "host:%s", short_host);
    CHECK_INT(parse("", &c), CONF_OK, "defaults: empty text");
    CHECK(c != NULL, "defaults: a config");
    if (c == NULL)
        return;
    CHECK_INT(n_messages + n_warnings, 0, "defaults: no message");
    CHECK_STR(c->issuer, issuer, "defaults: issuer is pam_jwt's, with the full host name");
    CHECK_STR(c->audience, short_aud, "defaults: audience host:%h, this host's tokens");
    CHECK_INT(c->n_audiences, 2, "defaults: audiences is audience and host:*");
    CHECK_STR(c->audiences[0], short_aud, "defaults: audiences[0] is audience");
    CHECK_STR(c->audiences[1], "host:*", "defaults: audiences[1] is host:*");
    CHECK_INT(c->access_ttl, 600, "defaults: access_ttl");
    CHECK_INT(c->refresh_ttl, 2592000, "defaults: refresh_ttl");
    CHECK_STR(c->jwks, "/etc/jwt-helper/jwks.json", "defaults: jwks");
    CHECK_STR(c->signing_key, "/etc/jwt-helper/signing.jwk", "defaults: signing_key");
    CHECK_STR(c->refresh_key, "/etc/jwt-helper/refresh.key", "defaults: refresh_key");
    CHECK_STR(c->users, "/etc/jwt-helper/db/users", "defaults: users");
    CHECK_STR(c->revocation, "/var/lib/jwt-helper/revoked", "defaults: revocation");
    CHECK_INT(c->revocation_keep, 86400, "defaults: revocation_keep");
    CHECK_INT(c->n_default_scope, 2, "defaults: two default scopes");
    CHECK_STR(c->default_scope[0], "ssh", "defaults: default_scope[0]");
    CHECK_STR(c->default_scope[1], "sudo", "defaults: default_scope[1]");
    CHECK_INT(c->max_clients, 64, "defaults: max_clients");
    CHECK_INT(c->max_clients_per_uid, 8, "defaults: max_clients_per_uid");
    CHECK_INT(c->idle_timeout, 10, "defaults: idle_timeout");
    CHECK_INT(c->login_delay, 1, "defaults: login_delay");
    CHECK_INT(c->max_hashes, 1, "defaults: max_hashes");
    CHECK_STR(c->user, "_jwt-helper", "defaults: user");
    CHECK_STR(c->socket, "/run/jwt-helper/socket", "defaults: socket");
    helperd_conf_free(c);

    /* A comment-only file is the defaults too; a set key is not. */
    CHECK_INT(parse("# access_ttl = 5\n\n   # x\n", &c), CONF_OK, "defaults: comments only");
    CHECK(c != NULL && c->access_ttl == 600, "defaults: a commented key stays default");
    helperd_conf_free(c);
    CHECK_INT(parse("access_ttl = 900\n", &c), CONF_OK, "defaults: one key set");
    CHECK(c != NULL && c->access_ttl == 900 && c->refresh_ttl == 2592000,
          "defaults: the set key changes, the others keep defaults");
    helperd_conf_free(c);
}

static void
test_issuer(void)
{
    struct helperd_conf *c = one("issuer", "https://idp.example.org");

    CHECK(c != NULL && strcmp(c->issuer, "https://idp.example.org") == 0, "issuer: set");
    helperd_conf_free(c);
    c = one("issuer", "jwt-helper@%H");
    CHECK(c != NULL && strcmp(c->issuer, "jwt-helper@%H") == 0,
          "issuer: %H is literal, as in pam_jwt's issuer=");
    helperd_conf_free(c);
    CHECK(refuses("issuer", "\"a b\""), "issuer: a blank is refused");
    CHECK(refuses("issuer", "a,b"), "issuer: a comma is refused");
    CHECK(refuses("issuer", "caf\xc3\xa9"), "issuer: non-ASCII is refused");
    CHECK(refuses("issuer", "a\x01"), "issuer: a control byte is refused");
    CHECK(reported("\\x01"), "issuer: the control byte is escaped in the message");
}

static void
test_audience(void)
{
    struct helperd_conf *c = one("audience", "host:%h");
    char want[HOST_NAME_MAX + 8];

    snprintf(want, sizeof want, "host:%s", short_host);
    CHECK(c != NULL && strcmp(c->audience, want) == 0, "audience: %h is the short host name");
    CHECK(c != NULL && c->n_audiences == 2 && strcmp(c->audiences[0], want) == 0,
          "audience: it is also the first allowed audience");
    helperd_conf_free(c);
    snprintf(want, sizeof want, "host:%s", full_host);
    c = one("audience", "host:%H");
    CHECK(c != NULL && strcmp(c->audience, want) == 0, "audience: %H is the full host name");
    helperd_conf_free(c);
    c = one("audience", "100%%");
    CHECK(c != NULL && strcmp(c->audience, "100%") == 0, "audience: %% is one '%'");
    helperd_conf_free(c);
    CHECK(refuses("audience", "a%x"), "audience: %x is refused");
    CHECK(refuses("audience", "a%"), "audience: a trailing % is refused");
    CHECK(refuses("audience", "\"a b\""), "audience: a blank is refused");
    CHECK(refuses("audience", "a,b"), "audience: a comma is refused");
    CHECK(refuses("audience", "host:*"), "audience: host:* is no audience to issue");
    CHECK(reported("'*' only as the audiences entry host:*"), "audience: the message says so");
}

static void
test_audiences(void)
{
    struct helperd_conf *c = NULL;
    char want[HOST_NAME_MAX + 8];

    snprintf(want, sizeof want, "host:%s", short_host);
    CHECK_INT(parse("audience = pam\naudiences = host:web1 , host:web2,\thost:%h\n", &c), CONF_OK,
              "audiences: an explicit list");
    CHECK(c != NULL && c->n_audiences == 4, "audiences: audience plus three");
    if (c != NULL && c->n_audiences == 4) {
        CHECK_STR(c->audiences[0], "pam", "audiences: audience first");
        CHECK_STR(c->audiences[1], "host:web1", "audiences: blanks dropped");
        CHECK_STR(c->audiences[2], "host:web2", "audiences: second");
        CHECK_STR(c->audiences[3], want, "audiences: %h expanded");
    }
    helperd_conf_free(c);
    CHECK_INT(parse("audiences = host:web1,host:*\n", &c), CONF_OK,
              "audiences: host:* listed explicitly");
    CHECK(c != NULL && c->n_audiences == 3 && strcmp(c->audiences[2], "host:*") == 0,
          "audiences: host:* kept as listed");
    helperd_conf_free(c);
    c = NULL;
    CHECK(refuses("audiences", "host:web*"), "audiences: a '*' inside a name is refused");
    CHECK(refuses("audiences", "*"), "audiences: a bare '*' is refused");
    CHECK(refuses("audiences", "host:%h*"), "audiences: nor after expansion");

    CHECK_INT(parse("audience = a\naudiences = b, a\n", &c), CONF_OK,
              "audiences: listing audience too is fine");
    CHECK(c != NULL && c->n_audiences == 2 && strcmp(c->audiences[0], "a") == 0 &&
              strcmp(c->audiences[1], "b") == 0,
          "audiences: audience once, first");
    helperd_conf_free(c);

    CHECK(refuses("audiences", "a,,b"), "audiences: an empty item");
    CHECK(reported("empty item"), "audiences: the message says so");
    CHECK(refuses("audiences", "a,"), "audiences: a trailing comma");
    CHECK(refuses("audiences", "a, b, a"), "audiences: an entry twice");
    CHECK(reported("listed once only"), "audiences: the message says so");
    CHECK(refuses("audiences", "a b"), "audiences: a blank inside an entry");
    CHECK(refuses("audiences", "a,%q"), "audiences: a bad escape");
}

/* n distinct entries "h0,h1,..." in buf. */
static const char *
many(size_t n, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(buf + used, len - used, "%sh%zu", i ? "," : "", i);
    return buf;
}

static void
test_list_limits(void)
{
    char buf[8192];

    CHECK(accepts("audiences", many(HELPERD_CONF_MAX_AUDIENCES - 1, buf, sizeof buf)),
          "audiences: 255 entries and audience");
    CHECK(refuses("audiences", many(HELPERD_CONF_MAX_AUDIENCES, buf, sizeof buf)),
          "audiences: 256 entries and audience are too many");
    CHECK(accepts("default_scope", many(CONF_MAX_LIST, buf, sizeof buf)),
          "default_scope: 32 entries");
    CHECK(refuses("default_scope", many(CONF_MAX_LIST + 1, buf, sizeof buf)),
          "default_scope: 33 entries");
}

static void
test_default_scope(void)
{
    struct helperd_conf *c = one("default_scope", "ssh");

    CHECK(c != NULL && c->n_default_scope == 1 && strcmp(c->default_scope[0], "ssh") == 0,
          "default_scope: one word");
    helperd_conf_free(c);
    CHECK(accepts("default_scope", "a.b,c-d,e_f,0"), "default_scope: the record grammar");
    CHECK(refuses("default_scope", "SSH"), "default_scope: upper case");
    CHECK(refuses("default_scope", "ssh sudo"), "default_scope: blank-separated");
    CHECK(refuses("default_scope", "ssh,ssh"), "default_scope: twice");
    CHECK(refuses("default_scope", "ssh:x"), "default_scope: a colon");
}

struct bound {
    const char *key;
    const char *lo, *hi, *below, *above;
};

static void
test_numbers(void)
{
    static const struct bound bounds[] = {
        /* 86400 needs a longer revocation_keep than the default: test_across */
        {"access_ttl", "60", "82799", "59", "86401"},
        {"refresh_ttl", "0", "315360000", NULL, "315360001"},
        {"max_clients", "8", "4096", "0", "4097"}, /* 1 needs max_clients_per_uid = 1 */
        {"max_clients_per_uid", "1", "64", "0", "4097"},
        {"idle_timeout", "1", "3600", "0", "3601"},
        {"login_delay", "0", "60", NULL, "61"},
        /* pam_jwt's default max_lifetime plus the largest leeway, ten years */
        {"revocation_keep", "7200", "315360000", "7199", "315360001"},
        {"max_hashes", "1", "16", "0", "17"},
    };
    char what[160];

    for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
        const struct bound *b = &bounds[i];
        snprintf(what, sizeof what, "%s: lowest %s", b->key, b->lo);
        CHECK(accepts(b->key, b->lo), what);
        snprintf(what, sizeof what, "%s: highest %s", b->key, b->hi);
        CHECK(accepts(b->key, b->hi), what);
        if (b->below != NULL) {
            snprintf(what, sizeof what, "%s: %s is below the bound", b->key, b->below);
            CHECK(refuses(b->key, b->below), what);
        }
        snprintf(what, sizeof what, "%s: %s is above the bound", b->key, b->above);
        CHECK(refuses(b->key, b->above), what);
        snprintf(what, sizeof what, "%s: -1", b->key);
        CHECK(refuses(b->key, "-1"), what);
        snprintf(what, sizeof what, "%s: leading zero", b->key);
        CHECK(refuses(b->key, "010"), what);
        snprintf(what, sizeof what, "%s: not a number", b->key);
        CHECK(refuses(b->key, "ten"), what);
        snprintf(what, sizeof what, "%s: a unit", b->key);
        CHECK(refuses(b->key, "10s"), what);
        snprintf(what, sizeof what, "%s: 2^64", b->key);
        CHECK(refuses(b->key, "18446744073709551616"), what);
    }
}

static void
test_number_values(void)
{
    struct helperd_conf *c = NULL;

    CHECK_INT(parse("access_ttl = 61\nrefresh_ttl = 0\nmax_clients = 100\n"
                    "max_clients_per_uid = 99\nidle_timeout = 7\nlogin_delay = 3\n"
                    "max_hashes = 4\n",
                    &c),
              CONF_OK, "numbers: all set");
    CHECK(c != NULL && c->access_ttl == 61 && c->refresh_ttl == 0 && c->max_clients == 100 &&
              c->max_clients_per_uid == 99 && c->idle_timeout == 7 && c->login_delay == 3 &&
              c->max_hashes == 4,
          "numbers: every value stored");
    helperd_conf_free(c);
}

static void
test_across(void)
{
    struct helperd_conf *c = NULL;

    CHECK_INT(parse("refresh_ttl = 599\n", &c), CONF_ERR_INVALID,
              "across: refresh_ttl shorter than access_ttl");
    CHECK(c == NULL && reported("t.conf:1: refresh_ttl: 599 is shorter than access_ttl (600)"),
          "across: named with its line");
    CHECK_INT(parse("refresh_ttl = 600\n", &c), CONF_OK, "across: equal lifetimes");
    helperd_conf_free(c);
    CHECK_INT(parse("refresh_ttl = 0\naccess_ttl = 86400\nrevocation_keep = 90001\n", &c), CONF_OK,
              "across: refresh_ttl 0 never expires, so it is never shorter");
    helperd_conf_free(c);
    CHECK_INT(parse("access_ttl = 900\n\nrefresh_ttl = 899\n", &c), CONF_ERR_INVALID,
              "across: shorter than a set access_ttl");
    CHECK(reported("t.conf:3: refresh_ttl:"), "across: the refresh_ttl line is named");

    CHECK_INT(parse("max_clients_per_uid = 65\n", &c), CONF_ERR_INVALID,
              "across: more per uid than overall");
    CHECK(reported("max_clients_per_uid: 65 is more than max_clients (64)"), "across: message");
    CHECK_INT(parse("max_clients_per_uid = 64\n", &c), CONF_OK, "across: per uid = overall");
    helperd_conf_free(c);
    CHECK_INT(parse("max_clients = 4\nmax_clients_per_uid = 5\n", &c), CONF_ERR_INVALID,
              "across: against a set max_clients");
    CHECK_INT(parse("max_clients = 5\nmax_clients_per_uid = 5\n", &c), CONF_OK,
              "across: equal to a set max_clients");
    helperd_conf_free(c);
    CHECK_INT(parse("access_ttl = 7200\nrevocation_keep = 10800\n", &c), CONF_ERR_INVALID,
              "across: revocation_keep not past access_ttl + the largest leeway");
    CHECK(reported("t.conf:2: revocation_keep: 10800 is not more than access_ttl + the largest "
                   "leeway (10800)"),
          "across: revocation_keep named with its line");
    CHECK_INT(parse("access_ttl = 7200\nrevocation_keep = 10801\n", &c), CONF_OK,
              "across: revocation_keep a second longer");
    helperd_conf_free(c);
    CHECK_INT(parse("access_ttl = 86400\n", &c), CONF_ERR_INVALID,
              "across: the longest access_ttl needs more than the default revocation_keep");
    CHECK_INT(parse("max_clients = 1\nmax_clients_per_uid = 1\n", &c), CONF_OK,
              "across: one client in all");
    CHECK(c != NULL && c->max_clients == 1 && c->max_clients_per_uid == 1, "across: stored");
    helperd_conf_free(c);
}

static void
test_warnings(void)
{
    struct helperd_conf *c = NULL;

    CHECK_INT(parse("access_ttl = 3601\n", &c), CONF_OK, "warning: access_ttl over 3600 loads");
    CHECK(n_warnings == 1 && reported("warning: t.conf:1: access_ttl: 3601 s exceeds"),
          "warning: pam_jwt's max_lifetime named");
    helperd_conf_free(c);
    CHECK_INT(parse("access_ttl = 3600\n", &c), CONF_OK, "warning: 3600 loads");
    CHECK_INT(n_warnings, 0, "warning: none at 3600");
    helperd_conf_free(c);
    CHECK_INT(parse("login_delay = 0\n", &c), CONF_OK, "warning: login_delay 0 loads");
    CHECK(n_warnings == 1 && reported("login_delay: 0 turns off"), "warning: delay off");
    helperd_conf_free(c);
    CHECK_INT(parse("access_ttl = 7200\nrefresh_ttl = 10\n", &c), CONF_ERR_INVALID,
              "warning: none when the file is refused anyway");
    CHECK_INT(n_warnings, 0, "warning: errors only");
}

static void
test_paths(void)
{
    static const char *const path_keys[] = {"jwks",  "signing_key", "refresh_key",
                                            "users", "revocation",  "socket"};
    struct helperd_conf *c;
    char what[128], buf[256];

    for (size_t i = 0; i < sizeof path_keys / sizeof path_keys[0]; i++) {
        snprintf(what, sizeof what, "%s: an absolute path", path_keys[i]);
        CHECK(accepts(path_keys[i], "/srv/x/y"), what);
        snprintf(what, sizeof what, "%s: a relative path", path_keys[i]);
        CHECK(refuses(path_keys[i], "srv/x"), what);
        snprintf(what, sizeof what, "%s: an empty value", path_keys[i]);
        CHECK(refuses(path_keys[i], ""), what);
        snprintf(what, sizeof what, "%s: a control byte", path_keys[i]);
        CHECK(refuses(path_keys[i], "/a\tb"), what);
    }
    c = one("signing_key", "\"/srv/my keys/s.jwk\"");
    CHECK(c != NULL && strcmp(c->signing_key, "/srv/my keys/s.jwk") == 0,
          "paths: quotes keep inner blanks");
    helperd_conf_free(c);
    c = one("users", "/tmp/u");
    CHECK(c != NULL && strcmp(c->users, "/tmp/u") == 0 &&
              strcmp(c->jwks, "/etc/jwt-helper/jwks.json") == 0,
          "paths: stored in its own field only");
    helperd_conf_free(c);
    memset(buf, 'a', sizeof buf);
    buf[0] = '/';
    buf[HELPERD_CONF_SOCKET_MAX] = '\0';
    CHECK(accepts("socket", buf), "socket: 107 bytes fit sun_path");
    buf[HELPERD_CONF_SOCKET_MAX] = 'a';
    buf[HELPERD_CONF_SOCKET_MAX + 1] = '\0';
    CHECK(refuses("socket", buf), "socket: 108 bytes do not");
    CHECK(accepts("users", buf), "paths: 108 bytes are fine elsewhere");
}

static void
test_user(void)
{
    struct helperd_conf *c = one("user", "jwtd");

    CHECK(c != NULL && strcmp(c->user, "jwtd") == 0, "user: set");
    helperd_conf_free(c);
    CHECK(accepts("user", "_jwt-helper"), "user: the default spelled out");
    CHECK(accepts("user", "Svc.1$"), "user: dot, digit, final $");
    CHECK(accepts("user", "abcdefghijklmnopqrstuvwxyz012345"), "user: 32 bytes");
    CHECK(refuses("user", "abcdefghijklmnopqrstuvwxyz0123456"), "user: 33 bytes");
    CHECK(refuses("user", "root"), "user: never root");
    CHECK(reported("the daemon must drop root"), "user: says why");
    CHECK(accepts("user", "rooty"), "user: rooty is not root");
    CHECK(refuses("user", "1abc"), "user: a leading digit");
    CHECK(refuses("user", "-abc"), "user: a leading dash");
    CHECK(refuses("user", "$"), "user: only a $");
    CHECK(refuses("user", "a$b"), "user: a $ inside");
    CHECK(refuses("user", "a:b"), "user: a colon");
}

static void
test_syntax(void)
{
    struct helperd_conf *c = NULL;

    CHECK_INT(parse("  access_ttl\t=\t700  \r\n# comment\r\n\r\n", &c), CONF_OK,
              "syntax: blanks and CRLF");
    CHECK(c != NULL && c->access_ttl == 700, "syntax: value read");
    helperd_conf_free(c);
    CHECK_INT(parse("access_ttl=700", &c), CONF_OK, "syntax: no blanks, no final newline");
    CHECK(c != NULL && c->access_ttl == 700, "syntax: value read without newline");
    helperd_conf_free(c);
    CHECK_INT(parse("access_ttl = 700 # seven hundred\n", &c), CONF_ERR_INVALID,
              "syntax: a trailing comment is part of the value");
    CHECK(c == NULL && reported("t.conf:1: access_ttl: \"700 # seven hundred\""),
          "syntax: the value is quoted in the message");
    CHECK_INT(parse("\n\naccess_ttl\n", &c), CONF_ERR_INVALID, "syntax: no '='");
    CHECK(reported("t.conf:3: \"access_ttl\" is not \"key = value\""), "syntax: message");
    CHECK_INT(parse("= 5\n", &c), CONF_ERR_INVALID, "syntax: no key");
    CHECK(reported("unknown key \"\""), "syntax: empty key is unknown");
    CHECK_INT(parse("ACCESS_TTL = 700\n", &c), CONF_ERR_INVALID, "syntax: keys are lower case");
    CHECK_INT(helperd_conf_parse("access_ttl = 7\0000\n", 16, "t.conf", collect, NULL, &c),
              CONF_ERR_INVALID, "syntax: NUL byte");
    CHECK(c == NULL && reported("NUL byte"), "syntax: NUL reported");
    reset_messages();
    CHECK_INT(helperd_conf_parse("access_ttl = 700\nx", 17, "t.conf", collect, NULL, &c), CONF_OK,
              "syntax: length is respected, not the NUL");
    helperd_conf_free(c);
    reset_messages();
    CHECK_INT(helperd_conf_parse("bogus = 1\n", 10, NULL, collect, NULL, &c), CONF_ERR_INVALID,
              "syntax: no source name");
    CHECK(reported("line 1: unknown key \"bogus\""), "syntax: 'line N' without a source");
    CHECK_INT(parse("user = \"\"\n", &c), CONF_ERR_INVALID, "syntax: an empty quoted value");
    CHECK(reported("user: empty value"), "syntax: empty value reported");
    CHECK_INT(parse("user = \"\n", &c), CONF_ERR_INVALID, "syntax: a lone quote is kept, refused");
    CHECK_INT(helperd_conf_parse("", 0, "t.conf", NULL, NULL, &c), CONF_OK,
              "syntax: no report function");
    helperd_conf_free(c);
    CHECK_INT(helperd_conf_parse("bogus = 1", 9, "t.conf", NULL, NULL, &c), CONF_ERR_INVALID,
              "syntax: errors without a report function");
}

static void
test_long_value(void)
{
    static char text[CONF_MAX_VALUE + 64];
    struct helperd_conf *c = NULL;
    size_t n = (size_t)snprintf(text, sizeof text, "issuer = ");

    memset(text + n, 'i', CONF_MAX_VALUE);
    text[n + CONF_MAX_VALUE] = '\0';
    CHECK_INT(parse(text, &c), CONF_OK, "long: a value of CONF_MAX_VALUE bytes");
    helperd_conf_free(c);
    text[n + CONF_MAX_VALUE] = 'i';
    text[n + CONF_MAX_VALUE + 1] = '\0';
    CHECK_INT(parse(text, &c), CONF_ERR_INVALID, "long: one byte more");
    CHECK(reported("issuer: value longer than 4096 bytes"), "long: message");
}

static void
test_duplicates_and_unknown(void)
{
    struct helperd_conf *c = NULL;

    CHECK_INT(parse("access_ttl = 600\n# x\naccess_ttl = 600\n", &c), CONF_ERR_INVALID,
              "duplicate: same value twice");
    CHECK(c == NULL && reported("t.conf:3: access_ttl: given twice (first on line 1)"),
          "duplicate: both lines named");
    CHECK_INT(parse("audiences = a\naudiences = b\n", &c), CONF_ERR_INVALID,
              "duplicate: a list does not add up");
    CHECK_INT(parse("audiences = a,b\n", &c), CONF_OK, "duplicate: one line with two entries");
    helperd_conf_free(c);
    CHECK_INT(parse("access_ttl = 600\nrefresh_ttl = 600\n", &c), CONF_OK,
              "duplicate: two different keys");
    helperd_conf_free(c);
    CHECK_INT(parse("max_client = 4\n", &c), CONF_ERR_INVALID, "unknown: a misspelt key");
    CHECK(c == NULL && reported("t.conf:1: unknown key \"max_client\""), "unknown: named");
    CHECK_INT(parse("key\x1b[31m = 1\n", &c), CONF_ERR_INVALID, "unknown: escape bytes");
    CHECK(reported("\"key\\x1b[31m\"") && !reported("\x1b"), "unknown: quoted, not raw");
    CHECK_INT(parse("jwks = /etc/jwt-helper/jwks.json\n", &c), CONF_OK,
              "unknown: pam_jwt's own jwks is a daemon key too");
    helperd_conf_free(c);
    CHECK_INT(parse("leeway = 60\n", &c), CONF_ERR_INVALID, "unknown: a pam_jwt-only key");
}

static void
test_all_problems(void)
{
    struct helperd_conf *c = NULL;

    CHECK_INT(parse("bogus = 1\naccess_ttl = 1\nuser = root\naccess_ttl = 600\n"
                    "audiences = a,,a\n",
                    &c),
              CONF_ERR_INVALID, "all: a file with many problems");
    CHECK(c == NULL, "all: no config");
    CHECK(reported("t.conf:1: unknown key"), "all: line 1");
    CHECK(reported("t.conf:2: access_ttl:"), "all: line 2");
    CHECK(reported("t.conf:3: user:"), "all: line 3");
    CHECK(reported("t.conf:4: access_ttl: given twice"), "all: line 4");
    CHECK(reported("t.conf:5: audiences: empty item"), "all: line 5, empty item");
    CHECK(reported("t.conf:5: audiences: \"a\" is not listed once only"), "all: line 5, twice");
    CHECK_INT(n_messages, 6, "all: one message per problem");
}

static void
test_login_delay(void)
{
    struct helperd_conf *c = one("login_delay", "1");

    CHECK_INT(helperd_delay_seconds(c->login_delay, 0), 0, "delay: no failure, no delay");
    CHECK_INT(helperd_delay_seconds(c->login_delay, 1), 1, "delay: first failure, the base");
    CHECK_INT(helperd_delay_seconds(c->login_delay, 2), 2, "delay: doubles");
    CHECK_INT(helperd_delay_seconds(c->login_delay, 6), 32, "delay: 2^5");
    CHECK_INT(helperd_delay_seconds(c->login_delay, 7), 60, "delay: capped at 60");
    CHECK_INT(helperd_delay_seconds(c->login_delay, 4000000000u), 60,
              "delay: huge counts stay capped");
    helperd_conf_free(c);
    c = one("login_delay", "7");
    CHECK_INT(helperd_delay_seconds(c->login_delay, 3), 28, "delay: base 7, third failure");
    CHECK_INT(helperd_delay_seconds(c->login_delay, 4), 56, "delay: 56");
    CHECK_INT(helperd_delay_seconds(c->login_delay, 5), 60, "delay: 112 capped");
    helperd_conf_free(c);
    c = one("login_delay", "0");
    CHECK_INT(helperd_delay_seconds(c->login_delay, 9), 0, "delay: 0 turns it off");
    helperd_conf_free(c);
}

static void
test_files(void)
{
    struct helperd_conf *c = NULL, *d = NULL;
    char missing[PATH_MAX + 32];
    const char *path;

    snprintf(missing, sizeof missing, "%s/none.conf", tmpdir);
    reset_messages();
    CHECK_INT(helperd_conf_load(missing, false, collect, NULL, &c), CONF_OK,
              "file: a missing default file gives the defaults");
    CHECK_INT(parse("", &d), CONF_OK, "file: defaults to compare");
    CHECK(c != NULL && d != NULL && same_conf(c, d), "file: equal to the defaults");
    helperd_conf_free(c);
    reset_messages();
    CHECK_INT(helperd_conf_load(missing, true, collect, NULL, &c), CONF_ERR_FILE,
              "file: a missing named file is an error");
    CHECK(c == NULL && reported("none.conf: ") && reported("No such file"),
          "file: reported with path and errno");

    path = write_file("good.conf", "access_ttl = 120\n", 0644);
    reset_messages();
    CHECK_INT(helperd_conf_load(path, true, collect, NULL, &c), CONF_OK, "file: read");
    CHECK(c != NULL && c->access_ttl == 120, "file: value from the file");
    CHECK(c != NULL && !same_conf(c, d), "file: not the defaults");
    helperd_conf_free(c);

    path = write_file("bad.conf", "\naccess_ttl = 12\n", 0644);
    reset_messages();
    CHECK_INT(helperd_conf_load(path, false, collect, NULL, &c), CONF_ERR_INVALID,
              "file: a bad value");
    CHECK(c == NULL && reported("bad.conf:2: access_ttl:"), "file: path:line in the message");

    path = write_file("gw.conf", "access_ttl = 120\n", 0664);
    reset_messages();
    CHECK_INT(helperd_conf_load(path, false, collect, NULL, &c), CONF_ERR_FILE,
              "file: group-writable is refused even when not named");
    CHECK(c == NULL && reported("gw.conf: "), "file: unsafe file reported");
    path = write_file("ow.conf", "access_ttl = 120\n", 0646);
    CHECK_INT(helperd_conf_load(path, false, collect, NULL, &c), CONF_ERR_FILE,
              "file: other-writable is refused");

    snprintf(missing, sizeof missing, "%s/link.conf", tmpdir);
    unlink(missing);
    path = write_file("good.conf", "access_ttl = 120\n", 0644);
    if (symlink(path, missing) != 0)
        perror("symlink");
    CHECK_INT(helperd_conf_load(missing, false, collect, NULL, &c), CONF_ERR_FILE,
              "file: a symlink is refused (O_NOFOLLOW)");
    unlink(missing);
    CHECK_INT(helperd_conf_load(tmpdir, false, collect, NULL, &c), CONF_ERR_FILE,
              "file: a directory is refused");
    helperd_conf_free(d);
}

/* The keys of jwt-helperd.conf (jwt-helperd(8), CONFIGURATION, and socket): the
 * public interface the shipped file must document, one line each. */
static const char *const shipped_keys[] = {
    "issuer",          "audience",
    "audiences",       "access_ttl",
    "refresh_ttl",     "jwks",
    "signing_key",     "refresh_key",
    "users",           "revocation",
    "revocation_keep", "default_scope",
    "max_clients",     "max_clients_per_uid",
    "idle_timeout",    "login_delay",
    "max_hashes",      "user",
    "socket",
};

/* Writes the shipped file with every "# key = value" line of a listed key
 * uncommented; *n_keys counts them. */
static char *
uncomment_shipped(const char *text, size_t *n_keys)
{
    char *out = calloc(1, strlen(text) + 1), *o = out;
    const char *line = text, *nl;

    *n_keys = 0;
    for (; out != NULL && *line != '\0'; line = nl + 1) {
        nl = strchr(line, '\n');
        if (nl == NULL)
            nl = line + strlen(line);
        for (size_t i = 0; i < sizeof shipped_keys / sizeof shipped_keys[0]; i++) {
            size_t len = strlen(shipped_keys[i]);
            if (strncmp(line, "# ", 2) == 0 && strncmp(line + 2, shipped_keys[i], len) == 0 &&
                strncmp(line + 2 + len, " = ", 3) == 0) {
                line += 2;
                (*n_keys)++;
                break;
            }
        }
        memcpy(o, line, (size_t)(nl - line));
        o += nl - line;
        *o++ = '\n';
        if (*nl == '\0')
            break;
    }
    return out;
}

/* Reads a file of the source tree with stdio: a checkout's owner and mode
 * are not an installed file's, so jwt_file_read's rules do not apply. */
static char *
read_plain(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    char *text = f != NULL ? calloc(1, CONF_MAX_FILE_BYTES + 1) : NULL;

    *len = text != NULL ? fread(text, 1, CONF_MAX_FILE_BYTES, f) : 0;
    if (f != NULL)
        fclose(f);
    return text;
}

static void
test_shipped(void)
{
    struct helperd_conf *c = NULL, *d = NULL;
    char *text = NULL, *open_text = NULL;
    size_t len = 0, n_keys = 0, n_table = sizeof shipped_keys / sizeof shipped_keys[0];

    text = read_plain(SHIPPED_CONF, &len);
    CHECK(text != NULL, "shipped: conf/jwt-helperd.conf readable");
    if (text == NULL)
        return;
    CHECK_INT(parse("", &d), CONF_OK, "shipped: defaults");
    CHECK_INT(helperd_conf_parse(text, len, SHIPPED_CONF, collect, NULL, &c), CONF_OK,
              "shipped: as installed, it parses");
    CHECK(c != NULL && d != NULL && same_conf(c, d), "shipped: as installed, changes nothing");
    helperd_conf_free(c);
    c = NULL;

    open_text = uncomment_shipped(text, &n_keys);
    CHECK_INT(n_keys, n_table, "shipped: every key appears once, commented out");
    reset_messages();
    CHECK_INT(helperd_conf_parse(open_text, strlen(open_text), "uncommented", collect, NULL, &c),
              CONF_OK, "shipped: uncommented, it still parses");
    if (n_messages > 0)
        printf("# %s", messages);
    if (c != NULL && d != NULL) {
        /* issuer shows an example: the real default depends on the host. */
        free(c->issuer);
        c->issuer = strdup(d->issuer);
    }
    CHECK(c != NULL && d != NULL && c->issuer != NULL && same_conf(c, d),
          "shipped: uncommented, every value is the default");
    helperd_conf_free(c);
    helperd_conf_free(d);
    free(open_text);
    free(text);
}

static void
cleanup(void)
{
    static const char *const names[] = {"good.conf", "bad.conf", "gw.conf", "ow.conf"};
    char path[PATH_MAX + 32];

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
    rmdir(tmpdir);
}

int
main(void)
{
    const char *base = getenv("TMPDIR");

    snprintf(tmpdir, sizeof tmpdir, "%s/test_helperd_conf.XXXXXX", base ? base : "/tmp");
    if (mkdtemp(tmpdir) == NULL || !conf_hostname(true, full_host, sizeof full_host) ||
        !conf_hostname(false, short_host, sizeof short_host)) {
        perror("setup");
        return 1;
    }
    test_defaults();
    test_issuer();
    test_audience();
    test_audiences();
    test_list_limits();
    test_default_scope();
    test_numbers();
    test_number_values();
    test_across();
    test_warnings();
    test_paths();
    test_user();
    test_syntax();
    test_long_value();
    test_duplicates_and_unknown();
    test_all_problems();
    test_login_delay();
    test_files();
    test_shipped();
    cleanup();
    return check_done();
}
