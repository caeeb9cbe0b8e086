/* SPDX-License-Identifier: MIT */
/* Unit tests for conf.c: defaults, every option good and bad, file then
 * arguments, list and duplicate rules, reports naming option and path:line. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "conf.h"
#include "proto.h"

static char tmpdir[PATH_MAX];
static char messages[16384]; /* every report of the last load, one per line */
static int n_messages;

static void
collect(void *ctx, const char *message)
{
    size_t used = strlen(messages);

    (void)ctx;
    n_messages++;
    snprintf(messages + used, sizeof messages - used, "%s\n", message);
}

static bool
reported(const char *needle)
{
    return strstr(messages, needle) != NULL;
}

/* Writes text to tmpdir/name with mode 0600 and returns its path (static). */
static const char *
write_file(const char *name, const char *text, size_t len)
{
    static char path[PATH_MAX * 2];
    int fd;

    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0 || write(fd, text, len) != (ssize_t)len) {
        perror(path);
        exit(1);
    }
    close(fd);
    return path;
}

static const char *
conf_file(const char *text)
{
    return write_file("pam_jwt.conf", text, strlen(text));
}

static const char *
missing_path(void)
{
    static char path[PATH_MAX * 2];

    snprintf(path, sizeof path, "%s/does-not-exist.conf", tmpdir);
    return path;
}

/* The PAM service conf_load is given (test_service_blocks changes it). */
static const char *service = "login";

static conf_result
load(struct conf *c, const char *path, int argc, const char **argv)
{
    messages[0] = '\0';
    n_messages = 0;
    return conf_load(c, path, service, argc, argv, collect, NULL);
}

#define N_ARGS(...) ((int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)))
#define LOAD(c, path, ...) load((c), (path), N_ARGS(__VA_ARGS__), (const char *[]){__VA_ARGS__})

static bool
conf_is_empty(const struct conf *c)
{
    static const struct conf zero;

    return memcmp(c, &zero, sizeof zero) == 0;
}

static void
host_names(char *full, char *shortname, size_t len)
{
    memset(full, 0, len);
    if (gethostname(full, len - 1) != 0) {
        perror("gethostname");
        exit(1);
    }
    snprintf(shortname, len, "%.*s", (int)strcspn(full, "."), full);
}

static void
test_parse_uint(void)
{
    uint64_t v = 7;

    CHECK(conf_parse_uint("0", 0, UINT64_MAX, &v) && v == 0, "uint: 0");
    CHECK(conf_parse_uint("18446744073709551615", 0, UINT64_MAX, &v) && v == UINT64_MAX,
          "uint: 2^64-1");
    v = 7;
    CHECK(!conf_parse_uint("18446744073709551616", 0, UINT64_MAX, &v) && v == 7,
          "uint: 2^64 overflows, out untouched");
    CHECK(!conf_parse_uint("99999999999999999999", 0, UINT64_MAX, &v), "uint: 20 nines");
    CHECK(!conf_parse_uint("01", 0, UINT64_MAX, &v), "uint: leading zero");
    CHECK(!conf_parse_uint("00", 0, UINT64_MAX, &v), "uint: 00");
    CHECK(!conf_parse_uint("+1", 0, UINT64_MAX, &v), "uint: sign");
    CHECK(!conf_parse_uint("-1", 0, UINT64_MAX, &v), "uint: minus");
    CHECK(!conf_parse_uint(" 1", 0, UINT64_MAX, &v), "uint: leading space");
    CHECK(!conf_parse_uint("1 ", 0, UINT64_MAX, &v), "uint: trailing space");
    CHECK(!conf_parse_uint("", 0, UINT64_MAX, &v), "uint: empty");
    CHECK(!conf_parse_uint("1a", 0, UINT64_MAX, &v), "uint: trailing letter");
    CHECK(!conf_parse_uint("0x10", 0, UINT64_MAX, &v), "uint: hex");
    CHECK(!conf_parse_uint(NULL, 0, UINT64_MAX, &v), "uint: NULL");
    CHECK(conf_parse_uint("10", 10, 20, &v) && v == 10, "uint: min is inclusive");
    CHECK(conf_parse_uint("20", 10, 20, &v) && v == 20, "uint: max is inclusive");
    CHECK(!conf_parse_uint("9", 10, 20, &v), "uint: below min");
    CHECK(!conf_parse_uint("21", 10, 20, &v), "uint: above max");
}

static void
test_hostname(void)
{
    char full[HOST_NAME_MAX + 1], shortname[HOST_NAME_MAX + 1], buf[HOST_NAME_MAX + 1];

    host_names(full, shortname, sizeof full);
    CHECK(conf_hostname(true, buf, sizeof buf), "hostname: full");
    CHECK_STR(buf, full, "hostname: full equals gethostname");
    CHECK(conf_hostname(false, buf, sizeof buf), "hostname: short");
    CHECK_STR(buf, shortname, "hostname: short is up to the first dot");
    CHECK(!conf_hostname(true, buf, strlen(full)), "hostname: no room for the NUL");
    CHECK(conf_hostname(true, buf, strlen(full) + 1), "hostname: exactly enough room");
}

static void
test_defaults(void)
{
    char full[HOST_NAME_MAX + 1], shortname[HOST_NAME_MAX + 1], issuer[HOST_NAME_MAX + 16];
    char audience[HOST_NAME_MAX + 8];
    struct conf c;

    host_names(full, shortname, sizeof full);
    snprintf(issuer, sizeof issuer, "jwt-helper@%s", full);
    CHECK_INT(load(&c, missing_path(), 0, NULL), CONF_OK, "defaults: missing default file is fine");
    CHECK_INT(n_messages, 0, "defaults: nothing reported");
    CHECK_STR(c.jwks, CONF_DEFAULT_JWKS, "default jwks");
    CHECK_STR(c.key, NULL, "default key");
    CHECK(c.n_issuers == 1 && strcmp(c.issuers[0], issuer) == 0, "default issuer jwt-helper@host");
    snprintf(audience, sizeof audience, "host:%s", shortname);
    CHECK(c.n_audiences >= 1 && strcmp(c.audiences[0], audience) == 0,
          "default audience host:%h first");
    snprintf(audience, sizeof audience, "host:%s", full);
    CHECK(c.n_audiences == (strcmp(full, shortname) != 0 ? 2u : 1u) &&
              strcmp(c.audiences[c.n_audiences - 1], audience) == 0,
          "default audience host:%H, once");
    CHECK_INT(c.algs, JWT_ALGS_ACCESS, "default algs: all nine asymmetric");
    CHECK_INT(c.algs & JWT_ALG_BIT(JWT_ALG_HS256), 0, "default algs: no HS256");
    CHECK_STR(c.user_claim, "sub", "default user_claim");
    CHECK_INT(c.n_scopes, 0, "default scope: none");
    CHECK_INT(c.max_auth_age, -1, "default max_auth_age unset");
    CHECK(!c.once, "default once off");
    CHECK_STR(c.once_dir, CONF_DEFAULT_ONCE_DIR, "default once_dir");
    CHECK_INT(c.leeway, 60, "default leeway");
    CHECK_INT(c.max_lifetime, 3600, "default max_lifetime");
    CHECK_INT(c.max_token_len, 8192, "default max_token_len");
    CHECK(c.n_typs == 2 && strcmp(c.typs[0], "at+jwt") == 0 && strcmp(c.typs[1], "JWT") == 0,
          "default typ at+jwt,JWT");
    CHECK_STR(c.revocation, NULL, "default revocation unset");
    CHECK_STR(c.prompt, "Token: ", "default prompt");
    CHECK_STR(c.socket, PROTO_DEFAULT_SOCKET, "default socket");
    CHECK(!c.use_first_pass && !c.try_first_pass && !c.debug && !c.quiet, "default flags off");
    conf_free(&c);
    CHECK(conf_is_empty(&c), "conf_free zeroes");
    conf_free(&c); /* twice is harmless */
    CHECK_INT(load(&c, NULL, 0, NULL), CONF_OK, "defaults: no default path at all");
    conf_free(&c);
}

/* Every option set away from its default, as arguments or from a file. */
static void
check_all_set(const struct conf *c, const char *how)
{
    char what[128];

#define SAYS(x) (snprintf(what, sizeof what, "%s: %s", how, (x)), what)
    CHECK_STR(c->jwks, "/k/jwks.json", SAYS("jwks"));
    CHECK_STR(c->key, "/k/key.pem", SAYS("key"));
    CHECK(c->n_issuers == 1 && strcmp(c->issuers[0], "https://idp.example/") == 0, SAYS("issuer"));
    CHECK(c->n_audiences == 1 && strcmp(c->audiences[0], "ssh") == 0, SAYS("audience"));
    CHECK_INT(c->algs, JWT_ALG_BIT(JWT_ALG_EDDSA) | JWT_ALG_BIT(JWT_ALG_PS512), SAYS("algs"));
    CHECK_STR(c->user_claim, "preferred_username", SAYS("user_claim"));
    CHECK(c->n_scopes == 2 && strcmp(c->scopes[0], "sudo") == 0 &&
              strcmp(c->scopes[1], "User.Read") == 0,
          SAYS("scope"));
    CHECK_INT(c->max_auth_age, 300, SAYS("max_auth_age"));
    CHECK(c->once, SAYS("once"));
    CHECK_STR(c->once_dir, "/tmp/once", SAYS("once_dir"));
    CHECK_INT(c->leeway, 0, SAYS("leeway"));
    CHECK_INT(c->max_lifetime, 600, SAYS("max_lifetime"));
    CHECK_INT(c->max_token_len, 65536, SAYS("max_token_len"));
    CHECK(c->n_typs == 1 && strcmp(c->typs[0], "application/at+jwt") == 0, SAYS("typ"));
    CHECK_STR(c->revocation, "/var/lib/jwt-helper/revoked", SAYS("revocation"));
    CHECK_STR(c->prompt, "JWT # please: ", SAYS("prompt"));
    CHECK_STR(c->socket, "/tmp/sock", SAYS("socket"));
    CHECK(c->use_first_pass && c->try_first_pass && c->debug && c->quiet, SAYS("flags"));
#undef SAYS
}

static void
test_all_options(void)
{
    struct conf c;

    CHECK_INT(LOAD(&c, missing_path(), "jwks=/k/jwks.json", "key=/k/key.pem",
                   "issuer=https://idp.example/", "audience=ssh", "algs=EdDSA,PS512",
                   "user_claim=preferred_username", "scope=sudo,User.Read", "max_auth_age=300",
                   "once", "once_dir=/tmp/once", "leeway=0", "max_lifetime=600",
                   "max_token_len=65536", "typ=application/at+jwt",
                   "revocation=/var/lib/jwt-helper/revoked", "prompt=JWT # please: ",
                   "socket=/tmp/sock", "use_first_pass", "try_first_pass", "debug", "quiet"),
              CONF_OK, "all options as arguments");
    CHECK_INT(n_messages, 0, "all options as arguments: nothing reported");
    check_all_set(&c, "args");
    conf_free(&c);

    CHECK_INT(load(&c,
                   conf_file("# every option\n"
                             "jwks = /k/jwks.json\n"
                             "  key=/k/key.pem  \n"
                             "\n"
                             "issuer\t=\thttps://idp.example/\n"
                             "audience = ssh\r\n"
                             "algs = EdDSA , PS512\n"
                             "user_claim = preferred_username\n"
                             "scope = sudo, User.Read\n"
                             "max_auth_age = 300\n"
                             "once = yes\n"
                             "once_dir = /tmp/once\n"
                             "leeway = 0\n"
                             "   # indented comment = ignored\n"
                             "max_lifetime = 600\n"
                             "max_token_len = 65536\n"
                             "typ = application/at+jwt\n"
                             "revocation = /var/lib/jwt-helper/revoked\n"
                             "prompt = \"JWT # please: \"\n"
                             "socket = /tmp/sock\n"
                             "use_first_pass = yes\n"
                             "try_first_pass = yes\n"
                             "debug = yes\n"
                             "quiet = yes"),
                   0, NULL),
              CONF_OK, "all options from the file (last line without newline)");
    CHECK_INT(n_messages, 0, "all options from the file: nothing reported");
    check_all_set(&c, "file");
    conf_free(&c);
}

static const struct {
    const char *arg;
    const char *says; /* must appear in the report */
} bad_args[] = {
    {"jwks=etc/jwks.json", "jwks: \"etc/jwks.json\" is not an absolute path"},
    {"jwks=", "jwks: empty value"},
    {"jwks", "jwks: needs a value"},
    {"key=key.pem", "key: "},
    {"issuer=", "issuer: empty value"},
    {"issuer=a\x01z", "issuer: \"a\\x01z\""},
    {"audience=pam%x", "audience: \"pam%x\""},
    {"audience=pam%", "audience: "},
    {"audience=a\tb", "audience: "},
    {"algs=none", "algs: \"none\" can never be allowed"},
    {"algs=HS256", "algs: \"HS256\" can never be allowed"},
    {"algs=HS512", "algs: \"HS512\" can never be allowed"},
    {"algs=ES512", "algs: \"ES512\" is not a known algorithm"},
    {"algs=es256", "algs: \"es256\" is not a known algorithm"},
    {"algs=ES256,,RS256", "algs: empty item"},
    {"algs=ES256,", "algs: empty item"},
    {"user_claim=a b", "user_claim: "},
    {"user_claim=a,b", "user_claim: "},
    {"scope=sudo,", "scope: empty item"},
    {"scope=a\"b", "scope: "},
    {"scope=a\\b", "scope: "},
    {"max_auth_age=-1", "max_auth_age: \"-1\" is not a whole number from 0 to 31536000"},
    {"max_auth_age=31536001", "max_auth_age: "},
    {"max_auth_age=1e3", "max_auth_age: "},
    {"once=maybe", "once: \"maybe\" is not yes or no"},
    {"once=", "once: empty value"},
    {"once_dir=run/pam_jwt", "once_dir: "},
    {"leeway=3601", "leeway: \"3601\" is not a whole number from 0 to 3600"},
    {"leeway=+5", "leeway: "},
    {"leeway=060", "leeway: "},
    {"max_lifetime=0", "max_lifetime: "},
    {"max_lifetime=31536001", "max_lifetime: "},
    {"max_token_len=15", "max_token_len: \"15\" is not a whole number from 16 to 65536"},
    {"max_token_len=65537", "max_token_len: "},
    {"max_token_len=18446744073709551616", "max_token_len: "},
    {"typ=rt+jwt", "typ: \"rt+jwt\" can never be accepted"},
    {"typ=JWT,application/RT+JWT", "typ: \"application/RT+JWT\" can never be accepted"},
    {"typ=a b", "typ: "},
    {"revocation=revoked", "revocation: "},
    {"prompt=a\nb", "prompt: \"a\\x0ab\""},
    {"socket=socket", "socket: "},
    {"use_first_pass=1", "use_first_pass: "},
    {"try_first_pass=on", "try_first_pass: "},
    {"debug=true", "debug: "},
    {"quiet=YES", "quiet: "},
    {"config=relative.conf", "config: \"relative.conf\" is not an absolute path"},
    {"config=", "config: "},
    {"config", "config: needs a value"},
    {"verbose", "unknown option \"verbose\""},
    {"Debug", "unknown option \"Debug\""},
    {"=x", "unknown option \"\""},
    {"jwks =/a", "unknown option \"jwks \""},
};

static void
test_bad_args(void)
{
    struct conf c;
    char what[256];

    for (size_t i = 0; i < sizeof bad_args / sizeof bad_args[0]; i++) {
        conf_result r = LOAD(&c, missing_path(), bad_args[i].arg);
        snprintf(what, sizeof what, "bad argument %zu refused", i);
        CHECK_INT(r, CONF_ERR_INVALID, what);
        snprintf(what, sizeof what, "bad argument %zu reported as '%s'", i, bad_args[i].says);
        CHECK(n_messages == 1 && reported(bad_args[i].says), what);
        if (n_messages != 1 || !reported(bad_args[i].says))
            printf("#   got: %s", messages);
        CHECK(conf_is_empty(&c), "refused conf is empty");
        conf_free(&c);
    }
}

static void
test_bounds(void)
{
    struct conf c;

    CHECK_INT(LOAD(&c, NULL, "leeway=3600", "max_lifetime=1", "max_auth_age=0", "max_token_len=16"),
              CONF_OK, "bounds: edges accepted");
    CHECK(c.leeway == 3600 && c.max_lifetime == 1 && c.max_auth_age == 0 && c.max_token_len == 16,
          "bounds: edge values stored");
    conf_free(&c);
    CHECK_INT(LOAD(&c, NULL, "max_lifetime=31536000", "max_auth_age=31536000"), CONF_OK,
              "bounds: a year accepted");
    CHECK_INT(c.max_lifetime, 31536000, "bounds: max_lifetime a year");
    conf_free(&c);
}

static void
test_all_problems_reported(void)
{
    struct conf c;
    const char *path = conf_file("leeway = -1\n"
                                 "bogus = 1\n"
                                 "jwks\n"
                                 "algs = none,HS256,ES512,ES256\n");

    CHECK_INT(LOAD(&c, path, "max_lifetime=0", "prompt=ok"), CONF_ERR_INVALID,
              "many problems: refused");
    CHECK_INT(n_messages, 7, "many problems: each reported");
    CHECK(reported("pam_jwt.conf:1: leeway: \"-1\""), "file problem names path:1 and option");
    CHECK(reported("pam_jwt.conf:2: unknown option \"bogus\""), "unknown option names path:2");
    CHECK(reported("pam_jwt.conf:3: \"jwks\" is not \"key = value\""), "line without =");
    CHECK(reported("pam_jwt.conf:4: algs: \"none\""), "none reported at line 4");
    CHECK(reported("pam_jwt.conf:4: algs: \"HS256\""), "HS256 reported at line 4");
    CHECK(reported("pam_jwt.conf:4: algs: \"ES512\""), "ES512 reported at line 4");
    CHECK(reported("\nmax_lifetime: \"0\""), "argument problem has no path");
    CHECK(conf_is_empty(&c), "many problems: conf is empty");
    conf_free(&c);

    CHECK_INT(conf_load(&c, path, service, 0, NULL, NULL, NULL), CONF_ERR_INVALID,
              "no report callback: still refused");
    conf_free(&c);
}

static void
test_file_syntax(void)
{
    struct conf c;
    static const char nul[] = "debug = yes\nprompt = a\0b\n";

    CHECK_INT(load(&c, conf_file("prompt = Token # here\n#debug = yes\n"), 0, NULL), CONF_OK,
              "'#' inside a value is kept");
    CHECK_STR(c.prompt, "Token # here", "value with '#'");
    CHECK(!c.debug, "commented-out line ignored");
    conf_free(&c);
    CHECK_INT(load(&c, conf_file("prompt = \"  Key: \"\nissuer = \"\n"), 0, NULL), CONF_OK,
              "quoted value");
    CHECK_STR(c.prompt, "  Key: ", "quotes keep inner blanks");
    CHECK_STR(c.issuers[0], "\"", "a lone quote is the value");
    conf_free(&c);
    CHECK_INT(load(&c, conf_file("prompt = Token:   \n"), 0, NULL), CONF_OK, "unquoted value");
    CHECK_STR(c.prompt, "Token:", "unquoted value is trimmed");
    conf_free(&c);
    CHECK_INT(load(&c, write_file("nul.conf", nul, sizeof nul - 1), 0, NULL), CONF_ERR_INVALID,
              "NUL byte refused");
    CHECK(reported("nul.conf:2: NUL byte"), "NUL byte reported with its line");
    conf_free(&c);
    CHECK_INT(load(&c, conf_file(""), 0, NULL), CONF_OK, "empty file");
    CHECK_STR(c.jwks, CONF_DEFAULT_JWKS, "empty file: defaults");
    conf_free(&c);
    CHECK_INT(load(&c, conf_file("config = /etc/other.conf\n"), 0, NULL), CONF_ERR_INVALID,
              "config= inside a file refused");
    CHECK(reported(":1: config: only meaningful as a module argument"), "config in file reported");
    conf_free(&c);
}

static void
test_sources(void)
{
    struct conf c;
    const char *path = conf_file("leeway = 10\nprompt = File: \nissuer = a\nissuer = b\n"
                                 "audience = x\nscope = sudo\ndebug = yes\n");

    CHECK_INT(load(&c, path, 0, NULL), CONF_OK, "file alone");
    CHECK_INT(c.leeway, 10, "file sets leeway");
    CHECK(c.n_issuers == 2 && strcmp(c.issuers[0], "a") == 0 && strcmp(c.issuers[1], "b") == 0,
          "issuers add up within the file");
    CHECK(c.debug, "file sets debug");
    conf_free(&c);

    CHECK_INT(LOAD(&c, path, "leeway=20", "issuer=c", "debug=no"), CONF_OK, "file then args");
    CHECK_INT(c.leeway, 20, "argument wins over the file");
    CHECK_STR(c.prompt, "File:", "file value kept where no argument");
    CHECK(c.n_issuers == 1 && strcmp(c.issuers[0], "c") == 0,
          "argument issuer list replaces the file's");
    CHECK(c.n_audiences == 1 && strcmp(c.audiences[0], "x") == 0, "file audience kept");
    CHECK(c.n_scopes == 1 && strcmp(c.scopes[0], "sudo") == 0, "file scope kept");
    CHECK(!c.debug, "debug=no argument turns off the file's debug");
    conf_free(&c);

    CHECK_INT(LOAD(&c, path, "audience=y", "audience=z", "scope=ssh"), CONF_OK, "lists in args");
    CHECK(c.n_audiences == 2 && strcmp(c.audiences[0], "y") == 0 &&
              strcmp(c.audiences[1], "z") == 0,
          "audiences add up within the arguments, replacing the file's");
    CHECK(c.n_issuers == 2, "file issuers kept");
    CHECK(c.n_scopes == 1 && strcmp(c.scopes[0], "ssh") == 0, "scope argument replaces");
    conf_free(&c);
}

static void
test_duplicates(void)
{
    struct conf c;

    CHECK_INT(LOAD(&c, NULL, "leeway=1", "leeway=2"), CONF_ERR_INVALID, "duplicate argument");
    CHECK(reported("leeway: given twice"), "duplicate argument named");
    conf_free(&c);
    CHECK_INT(LOAD(&c, NULL, "debug", "debug"), CONF_ERR_INVALID, "duplicate flag argument");
    CHECK(reported("debug: given twice"), "duplicate flag named");
    conf_free(&c);
    CHECK_INT(LOAD(&c, NULL, "scope=a", "scope=b"), CONF_ERR_INVALID,
              "scope is not a repeatable list");
    conf_free(&c);
    CHECK_INT(load(&c, conf_file("typ = JWT\n\ntyp = at+jwt\n"), 0, NULL), CONF_ERR_INVALID,
              "duplicate in the file");
    CHECK(reported("pam_jwt.conf:3: typ: given twice"), "duplicate in the file: path:line");
    conf_free(&c);
    CHECK_INT(LOAD(&c, conf_file("typ = JWT\n"), "typ=at+jwt"), CONF_OK,
              "file and argument may both set one option");
    CHECK(c.n_typs == 1 && strcmp(c.typs[0], "at+jwt") == 0, "argument typ wins");
    conf_free(&c);
}

static void
test_config_file(void)
{
    struct conf c;
    char arg[PATH_MAX * 2 + 8], path[PATH_MAX * 2];

    snprintf(arg, sizeof arg, "config=%s", missing_path());
    CHECK_INT(LOAD(&c, NULL, arg), CONF_ERR_FILE, "config= names a missing file");
    CHECK(reported("config: ") && reported("does-not-exist.conf: cannot open file"),
          "missing config= file reported");
    CHECK(conf_is_empty(&c), "missing config= file: conf empty");
    conf_free(&c);

    snprintf(path, sizeof path, "%s", write_file("other.conf", "leeway = 7\n", 11));
    snprintf(arg, sizeof arg, "config=%s", path);
    CHECK_INT(LOAD(&c, conf_file("leeway = 9\n"), arg), CONF_OK, "config= names a file");
    CHECK_INT(c.leeway, 7, "config= replaces the default file");
    conf_free(&c);
    CHECK_INT(LOAD(&c, NULL, arg, arg), CONF_ERR_INVALID, "config= twice");
    CHECK(reported("config: given twice"), "config= twice reported");
    conf_free(&c);
    CHECK_INT(LOAD(&c, NULL, "config=rel.conf", arg), CONF_ERR_INVALID,
              "relative and good config=");
    CHECK(reported("config: \"rel.conf\" is not an absolute path"), "each config= checked");
    conf_free(&c);

    if (chmod(path, 0620) != 0)
        perror("chmod");
    CHECK_INT(LOAD(&c, NULL, arg), CONF_ERR_FILE, "group-writable config= file refused");
    CHECK(reported("unsafe file"), "unsafe file reported");
    conf_free(&c);
    CHECK_INT(load(&c, path, 0, NULL), CONF_ERR_FILE, "group-writable default file refused");
    conf_free(&c);
    CHECK_INT(LOAD(&c, path, "leeway=x"), CONF_ERR_FILE,
              "file problem wins, and arguments are still checked");
    CHECK_INT(n_messages, 2, "both the file and the argument reported");
    conf_free(&c);
}

static void
test_audience_expansion(void)
{
    char full[HOST_NAME_MAX + 1], shortname[HOST_NAME_MAX + 1], want[3 * HOST_NAME_MAX + 32];
    struct conf c;

    host_names(full, shortname, sizeof full);
    snprintf(want, sizeof want, "host:%s/%s/100%%", shortname, full);
    CHECK_INT(LOAD(&c, NULL, "audience=host:%h/%H/100%%", "audience=%h"), CONF_OK,
              "audience %h %H %%");
    CHECK(c.n_audiences == 2, "two audiences");
    CHECK_STR(c.audiences[0], want, "%h, %H and %% expanded");
    CHECK_STR(c.audiences[1], shortname, "%h alone");
    conf_free(&c);
    CHECK_INT(load(&c, conf_file("audience = %H\n"), 0, NULL), CONF_OK, "%H from the file");
    CHECK_STR(c.audiences[0], full, "%H from the file expanded");
    conf_free(&c);
    CHECK_INT(LOAD(&c, NULL, "issuer=%H"), CONF_OK, "issuer does not expand");
    CHECK_STR(c.issuers[0], "%H", "issuer kept literally");
    conf_free(&c);
}

static void
test_algs_typ(void)
{
    struct conf c;

    CHECK_INT(LOAD(&c, NULL, "algs=ES256"), CONF_OK, "algs=ES256");
    CHECK_INT(c.algs, JWT_ALG_BIT(JWT_ALG_ES256), "algs mask is ES256 only");
    conf_free(&c);
    CHECK_INT(LOAD(&c, NULL, "algs=ES256,none,HS256,ES512"), CONF_ERR_INVALID,
              "algs with none, HS256, ES512");
    CHECK_INT(n_messages, 3, "each bad alg reported");
    CHECK(reported("\"none\"") && reported("\"HS256\"") && reported("\"ES512\""), "bad algs named");
    conf_free(&c);
    CHECK_INT(LOAD(&c, NULL, "typ=JWT,at+jwt,application/JWT"), CONF_OK, "typ list");
    CHECK_INT(c.n_typs, 3, "three typs");
    conf_free(&c);
}

static void
test_key_without_jwks(void)
{
    struct conf c;

    CHECK_INT(LOAD(&c, NULL, "key=/k/key.pem"), CONF_OK, "key= alone");
    CHECK_STR(c.jwks, NULL, "key= without jwks=: no JWK Set");
    CHECK_STR(c.key, "/k/key.pem", "key= kept");
    conf_free(&c);
    CHECK_INT(LOAD(&c, NULL, "key=/k/key.pem", "jwks=/k/jwks.json"), CONF_OK, "key= and jwks=");
    CHECK_STR(c.jwks, "/k/jwks.json", "jwks= kept beside key=");
    conf_free(&c);
    CHECK_INT(LOAD(&c, conf_file("jwks = /f/jwks.json\n"), "key=/k/key.pem"), CONF_OK,
              "jwks= in file, key= argument");
    CHECK_STR(c.jwks, "/f/jwks.json", "file jwks= kept");
    conf_free(&c);
    CHECK_INT(LOAD(&c, conf_file("key = /f/key.pem\n"), "debug"), CONF_OK, "key= in the file");
    CHECK_STR(c.jwks, NULL, "key= in the file: no JWK Set either");
    conf_free(&c);
}

static void
test_flags(void)
{
    struct conf c;

    CHECK_INT(load(&c, conf_file("once = yes\ndebug = no\nquiet = yes\n"), 0, NULL), CONF_OK,
              "flags in the file");
    CHECK(c.once && !c.debug && c.quiet, "yes and no in the file");
    conf_free(&c);
    CHECK_INT(LOAD(&c, conf_file("once = no\n"), "once", "try_first_pass"), CONF_OK, "bare flags");
    CHECK(c.once && c.try_first_pass && !c.use_first_pass, "bare flags set");
    conf_free(&c);
    CHECK_INT(load(&c, conf_file("debug\n"), 0, NULL), CONF_ERR_INVALID,
              "bare flag in the file refused");
    CHECK(reported("pam_jwt.conf:1: \"debug\" is not \"key = value\""), "bare flag in file");
    conf_free(&c);
}

static void
test_limits(void)
{
    struct conf c;
    const char *args[CONF_MAX_LIST + 1];
    char *big = malloc(CONF_MAX_VALUE + 16);

    for (size_t i = 0; i < CONF_MAX_LIST + 1; i++)
        args[i] = "issuer=x";
    CHECK_INT(load(&c, NULL, CONF_MAX_LIST, args), CONF_OK, "CONF_MAX_LIST issuers");
    CHECK_INT(c.n_issuers, CONF_MAX_LIST, "all kept");
    conf_free(&c);
    CHECK_INT(load(&c, NULL, CONF_MAX_LIST + 1, args), CONF_ERR_INVALID, "one issuer too many");
    CHECK(reported("issuer: more than"), "too many values reported");
    conf_free(&c);

    if (big == NULL)
        exit(1);
    memcpy(big, "prompt=", 7);
    memset(big + 7, 'a', CONF_MAX_VALUE);
    big[7 + CONF_MAX_VALUE] = '\0';
    CHECK_INT(LOAD(&c, NULL, big), CONF_OK, "value of CONF_MAX_VALUE bytes");
    conf_free(&c);
    big[7 + CONF_MAX_VALUE] = 'a';
    big[8 + CONF_MAX_VALUE] = '\0';
    CHECK_INT(LOAD(&c, NULL, big), CONF_ERR_INVALID, "value one byte over the limit");
    CHECK(reported("prompt: value longer than"), "long value reported");
    conf_free(&c);
    free(big);
}

/* Loads the defaults under host name name (in our own UTS namespace) and
 * checks the audiences they give: want1, want2 (NULL: fewer), or a
 * refusal naming the loopback name when both are NULL. */
static void
check_default_audiences(const char *name, const char *want1, const char *want2)
{
    struct conf c;
    char what[160];
    conf_result r;

    if (sethostname(name, strlen(name)) != 0) {
        perror("sethostname");
        exit(1);
    }
    r = load(&c, missing_path(), 0, NULL);
    snprintf(what, sizeof what, "default audience on host %s", name);
    if (want1 == NULL) {
        CHECK_INT(r, CONF_ERR_INVALID, what);
        CHECK(reported("audience: this host's name is a loopback name"), "loopback host reported");
        return;
    }
    CHECK_INT(r, CONF_OK, what);
    CHECK(c.n_audiences == (want2 != NULL ? 2u : 1u), what);
    CHECK_STR(c.n_audiences > 0 ? c.audiences[0] : NULL, want1, what);
    CHECK_STR(c.n_audiences > 1 ? c.audiences[1] : NULL, want2, what);
    conf_free(&c);
}

/* A host name of HOST_NAME_MAX (64) bytes is legal (sethostname takes it):
 * %h and %H must expand for it, and the default audience follow it. */
static void
check_longest_host_name(void)
{
    static const char full[] = "a23456789b123456789c123456789.d123456789e123456789f123456789g123";
    char got[HOST_NAME_MAX + 1] = "";
    char *out = NULL;

    CHECK_INT(strlen(full), HOST_NAME_MAX, "longest host name: 64 bytes");
    if (sethostname(full, strlen(full)) != 0) {
        perror("sethostname");
        exit(1);
    }
    CHECK(conf_hostname(true, got, sizeof got), "longest host name: %H read");
    CHECK_STR(got, full, "longest host name: %H whole");
    CHECK(conf_hostname(false, got, sizeof got), "longest host name: %h read");
    CHECK_STR(got, "a23456789b123456789c123456789", "longest host name: %h to the first dot");
    CHECK(conf_hosts_expand("host:%h,host:%H", SIZE_MAX, &out) == CONF_EXPAND_OK,
          "longest host name: %h and %H expand");
    CHECK_STR(out,
              "host:a23456789b123456789c123456789,host:a23456789b123456789c123456789."
              "d123456789e123456789f123456789g123",
              "longest host name: expanded");
    free(out);
    check_default_audiences(
        full, "host:a23456789b123456789c123456789",
        "host:a23456789b123456789c123456789.d123456789e123456789f123456789g123");
}

/* pam_jwt(8) audience=: audience defaults to host:%h and host:%H, one when they are
 * the same, no loopback name; the host name is changed in a UTS namespace
 * of our own, which needs root. */
static void
test_default_audience_hosts(void)
{
    char saved[HOST_NAME_MAX + 1] = "", shortname[HOST_NAME_MAX + 1];
    struct conf c;

    if (geteuid() != 0 || unshare(CLONE_NEWUTS) != 0) {
        CHECK(1, "default audience per host name # SKIP needs root for a UTS namespace");
        return;
    }
    host_names(saved, shortname, sizeof saved);
    check_default_audiences("web1.example.org", "host:web1", "host:web1.example.org");
    check_default_audiences("web1", "host:web1", NULL);
    check_default_audiences("localhost.example.org", "host:localhost.example.org", NULL);
    check_default_audiences("localhost", NULL, NULL);
    check_default_audiences("LocalHost.LocalDomain", NULL, NULL);
    check_default_audiences("127.0.0.1", NULL, NULL);
    check_default_audiences("::1", NULL, NULL);
    check_longest_host_name();
    CHECK_INT(LOAD(&c, missing_path(), "audience=host:localhost"), CONF_OK,
              "loopback host: an explicit audience is fine");
    conf_free(&c);
    if (sethostname(saved, strlen(saved)) != 0)
        exit(1);
}

/* The shipped file's shape (conf/pam_jwt.conf), with the other options around. */
static const char blocks_text[] = "revocation = /var/lib/jwt-helper/revoked\n"
                                  "# any service: a scope named after it\n"
                                  "scope = %s\n"
                                  "audience = host:a\n"
                                  "leeway = 30\n"
                                  "service sshd\n"
                                  "    scope = ssh\n"
                                  "service sudo sudo-i\n"
                                  "    scope = sudo\n"
                                  "    max_auth_age = 300\n"
                                  "    audience = host:b\n"
                                  "    audience = host:c\n"
                                  "service\tsu  su-l\n"
                                  "    scope = su\n"
                                  "    jwks = /etc/su-jwks.json\n";

/* Loads blocks_text for svc; returns the scope (one word) or "" and checks
 * the load succeeded. */
static const char *
scope_for(const char *svc, struct conf *c)
{
    char what[96];

    service = svc;
    snprintf(what, sizeof what, "blocks: load for %s", svc != NULL ? svc : "no service");
    CHECK_INT(load(c, conf_file(blocks_text), 0, NULL), CONF_OK, what);
    service = "login";
    return c->n_scopes == 1 ? c->scopes[0] : "";
}

static void
test_service_blocks(void)
{
    struct conf c;

    CHECK_STR(scope_for("sshd", &c), "ssh", "blocks: sshd's block sets its scope");
    CHECK_INT(c.max_auth_age, -1, "blocks: sshd has no step-up");
    CHECK(c.n_audiences == 1 && strcmp(c.audiences[0], "host:a") == 0,
          "blocks: global audience where the block sets none");
    CHECK_INT(c.leeway, 30, "blocks: global lines apply inside a block's service");
    conf_free(&c);
    CHECK_STR(scope_for("sudo-i", &c), "sudo", "blocks: a block names several services");
    CHECK_INT(c.max_auth_age, 300, "blocks: sudo-i gets the step-up");
    CHECK(c.n_audiences == 2 && strcmp(c.audiences[0], "host:b") == 0 &&
              strcmp(c.audiences[1], "host:c") == 0,
          "blocks: a list set in a block replaces the global list, repeats add up");
    conf_free(&c);
    CHECK_STR(scope_for("sudo", &c), "sudo", "blocks: sudo's block, named second on its line");
    conf_free(&c);
    CHECK_STR(scope_for("su-l", &c), "su", "blocks: tab and double blank between names");
    CHECK_STR(c.jwks, "/etc/su-jwks.json", "blocks: a key set per block");
    conf_free(&c);
    CHECK_STR(scope_for("login", &c), "login", "blocks: no block, scope=%s is the service");
    CHECK_INT(c.max_auth_age, -1, "blocks: no block, no step-up");
    CHECK_STR(c.jwks, CONF_DEFAULT_JWKS, "blocks: no block, the default key set");
    CHECK_STR(c.revocation, "/var/lib/jwt-helper/revoked", "blocks: global revocation");
    conf_free(&c);
    CHECK_STR(scope_for("SSHD", &c), "SSHD", "blocks: service names match exactly, case too");
    conf_free(&c);
    service = NULL;
    CHECK_INT(load(&c, conf_file(blocks_text), 0, NULL), CONF_ERR_INVALID,
              "blocks: no service, %s cannot expand");
    CHECK(reported("pam_jwt.conf:3: scope: %s needs a service name"),
          "blocks: %s without a service");
    service = "sshd";
    CHECK_INT(LOAD(&c, conf_file(blocks_text), "scope=x%s"), CONF_OK, "blocks: %s in an argument");
    CHECK(c.n_scopes == 1 && strcmp(c.scopes[0], "xsshd") == 0, "blocks: argument scope wins");
    conf_free(&c);
    CHECK_INT(LOAD(&c, conf_file(blocks_text), "scope=a%%b"), CONF_OK, "blocks: %% in a scope");
    CHECK(c.n_scopes == 1 && strcmp(c.scopes[0], "a%b") == 0, "blocks: %% is one %");
    conf_free(&c);
    service = "a\"b";
    CHECK_INT(load(&c, conf_file("scope = %s\n"), 0, NULL), CONF_ERR_INVALID,
              "blocks: a service name that is no scope word fails closed");
    service = "login";
}

/* Every mistake in any block is reported, whichever service loads. */
static void
test_service_block_errors(void)
{
    static const struct {
        const char *text, *report, *what;
    } cases[] = {
        {"service sudo\nleeway = 1\nleeway = 2\n", "pam_jwt.conf:3: leeway: given twice",
         "duplicate in a block for another service"},
        {"service login\nscope = a\nscope = b\n", "pam_jwt.conf:3: scope: given twice",
         "duplicate in the block that applies"},
        {"service\n", "pam_jwt.conf:1: service: a block needs a service name",
         "empty service line"},
        {"service   \n", "pam_jwt.conf:1: service: a block needs a service name",
         "service line of blanks"},
        {"service = sshd\n", "pam_jwt.conf:1: service: a block starts with", "service with '='"},
        {"service sshd, sudo\n", "pam_jwt.conf:1: service: \"sshd,\" is not a PAM service name",
         "comma between service names"},
        {"service ../sshd\n", "is not a PAM service name", "a path is no service name"},
        {"service sshd # ssh logins - sudo has its own block\nscope = ssh\n",
         "pam_jwt.conf:1: service: \"#\" is not a PAM service name",
         "a comment after service names is refused, not read as names"},
        {"service SUDO\n", "service: \"SUDO\" is not a PAM service name",
         "an uppercase service name (libpam lowercases the service) is refused"},
        {"service sudo sudo-i\nscope = sudo\nservice sudo\nmax_auth_age = 300\n",
         "pam_jwt.conf:3: service: \"sudo\" is named by an earlier block",
         "a second block for one service would be dead: refused"},
        {"services sshd\n", "pam_jwt.conf:1: \"services sshd\" is not \"key = value\"",
         "misspelt service"},
        {"service sudo\nfrobnicate = 1\n", "pam_jwt.conf:2: unknown option",
         "unknown option in a block"},
        {"service sudo\nscope = %x\n", "scope: only %s and %% may follow", "bad % in a block"},
        {"service sudo\nconfig = /x\n", "config: only meaningful as a module argument",
         "config= in a block"},
        {"service sudo\nmax_auth_age = soon\n", "pam_jwt.conf:2: max_auth_age",
         "bad value in a block"},
    };
    struct conf c;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_INT(load(&c, conf_file(cases[i].text), 0, NULL), CONF_ERR_INVALID, cases[i].what);
        CHECK(reported(cases[i].report), cases[i].what);
        if (!reported(cases[i].report))
            printf("#   reported: %s", messages);
        CHECK(conf_is_empty(&c), "a refused load leaves nothing");
    }
    /* Options before the first block are global; after a block's line,
     * everything is that block's until the next one. */
    CHECK_INT(load(&c, conf_file("leeway = 5\nservice sudo\nleeway = 6\nservice x\n"), 0, NULL),
              CONF_OK, "option before and after a block");
    CHECK_INT(c.leeway, 5, "an option after a block line belongs to the block, not to login");
    conf_free(&c);
    service = "sudo";
    CHECK_INT(load(&c, conf_file("leeway = 5\nservice sudo\nleeway = 6\nservice x\n"), 0, NULL),
              CONF_OK, "option in sudo's block");
    CHECK_INT(c.leeway, 6, "a block's option overrides the global one");
    conf_free(&c);
    service = "login";
}

static void
test_policy(void)
{
    struct conf c;
    struct jwt_policy p;

    CHECK_INT(LOAD(&c, NULL, "scope=sudo", "max_auth_age=300", "leeway=5", "max_token_len=100",
                   "algs=ES384", "user_claim=email"),
              CONF_OK, "policy source");
    conf_policy(&c, &p);
    CHECK_INT(p.algs, JWT_ALG_BIT(JWT_ALG_ES384), "policy algs");
    CHECK(p.n_typs == 2 && p.typs[0] == c.typs[0], "policy typs point into conf");
    CHECK(p.n_issuers == 1 && p.issuers[0] == c.issuers[0], "policy issuers");
    CHECK(p.n_audiences == c.n_audiences && p.audiences[0] == c.audiences[0], "policy audiences");
    CHECK(p.n_client_ids == 0 && p.client_ids == NULL, "policy client_ids unset");
    CHECK(p.n_scopes == 1 && strcmp(p.scopes[0], "sudo") == 0, "policy scopes");
    CHECK_STR(p.user_claim, "email", "policy user_claim");
    CHECK_STR(p.user, NULL, "policy user unset");
    CHECK(p.max_auth_age == 300 && p.leeway == 5 && p.max_lifetime == 3600, "policy times");
    CHECK_INT(p.max_token_len, 100, "policy max_token_len");
    CHECK(p.now > 1700000000 && p.now <= (int64_t)time(NULL), "policy now is the clock");
    conf_free(&c);
}

/* ---- conf_text.c: the pieces pam_jwt and jwt-helperd share ---- */

static void
test_text_quote(void)
{
    char q[CONF_QUOTED_SIZE], small[16], long_value[CONF_QUOTE_MAX + 1];

    conf_quote("abc", 3, q, sizeof q);
    CHECK_STR(q, "\"abc\"", "quote: plain text only gains quotes");
    conf_quote("a\"b\\c\n\x7f\xc3", 8, q, sizeof q);
    CHECK_STR(q, "\"a\\\"b\\\\c\\x0a\\x7f\\xc3\"", "quote: quote, backslash, control, high");
    conf_quote("a\0b", 3, q, sizeof q);
    CHECK_STR(q, "\"a\\x00b\"", "quote: a NUL inside len is escaped, not an end");
    memset(long_value, 'x', sizeof long_value);
    conf_quote(long_value, CONF_QUOTE_MAX, q, sizeof q);
    CHECK(strlen(q) == CONF_QUOTE_MAX + 2 && strstr(q, "...") == NULL,
          "quote: exactly CONF_QUOTE_MAX bytes are not cut");
    conf_quote(long_value, CONF_QUOTE_MAX + 1, q, sizeof q);
    CHECK(strlen(q) == CONF_QUOTE_MAX + 5 && strcmp(q + CONF_QUOTE_MAX + 1, "...\"") == 0,
          "quote: one byte more is cut and marked");
    memset(small, 'Z', sizeof small);
    conf_quote("\x01\x02\x03\x04\x05", 5, small, sizeof small);
    CHECK(memchr(small, '\0', sizeof small) != NULL && strstr(small, "...\"") != NULL,
          "quote: a small buffer is cut, marked and terminated");
}

static void
test_text_checks(void)
{
    CHECK(!conf_has_control("plain text # with ,"), "has_control: printable text");
    CHECK(conf_has_control("tab\there"), "has_control: tab");
    CHECK(conf_has_control("del\x7f"), "has_control: DEL");
    CHECK(!conf_has_control("caf\xc3\xa9"), "has_control: UTF-8 is not control");
    CHECK(conf_is_visible_word("at+jwt"), "visible word: at+jwt");
    CHECK(!conf_is_visible_word("a b"), "visible word: a space");
    CHECK(!conf_is_visible_word("a,b"), "visible word: a comma");
    CHECK(!conf_is_visible_word("caf\xc3\xa9"), "visible word: non-ASCII");
    CHECK(conf_is_absolute_path("/etc/x"), "absolute path: /etc/x");
    CHECK(!conf_is_absolute_path("etc/x"), "absolute path: relative");
    CHECK(!conf_is_absolute_path(""), "absolute path: empty");
    CHECK(!conf_is_absolute_path("/etc/x\n"), "absolute path: a newline");
}

static void
test_text_expand(void)
{
    char full[HOST_NAME_MAX + 1], shortname[HOST_NAME_MAX + 1], want[3 * HOST_NAME_MAX + 8];
    char *out = (char *)1;

    host_names(full, shortname, sizeof full);
    CHECK(conf_hosts_expand("a%%b", SIZE_MAX, &out) == CONF_EXPAND_OK && out != NULL &&
              strcmp(out, "a%b") == 0,
          "expand: %% is one %");
    free(out);
    snprintf(want, sizeof want, "%s-%s", shortname, full);
    CHECK(conf_hosts_expand("%h-%H", SIZE_MAX, &out) == CONF_EXPAND_OK && out != NULL &&
              strcmp(out, want) == 0,
          "expand: %h short, %H full host name");
    free(out);
    CHECK(conf_hosts_expand("a%x", SIZE_MAX, &out) == CONF_EXPAND_BAD_ESCAPE && out == NULL,
          "expand: %x is refused");
    CHECK(conf_hosts_expand("a%", SIZE_MAX, &out) == CONF_EXPAND_BAD_ESCAPE && out == NULL,
          "expand: a last lone % is refused");
    CHECK(conf_hosts_expand("%H", strlen(full), &out) == CONF_EXPAND_OK && out != NULL,
          "expand: a result of exactly max bytes");
    free(out);
    CHECK(conf_hosts_expand("%H", strlen(full) - 1, &out) == CONF_EXPAND_TOO_LONG && out == NULL,
          "expand: one byte over max");
    CHECK(conf_hosts_expand("abc%x", 2, &out) == CONF_EXPAND_TOO_LONG,
          "expand: problems in text order (too long before the bad escape)");
    CHECK(conf_hosts_expand("a%xbc", 2, &out) == CONF_EXPAND_BAD_ESCAPE,
          "expand: problems in text order (bad escape first)");
    CHECK_STR(conf_expand_wanted(CONF_EXPAND_BAD_ESCAPE),
              "valid: only %h, %H and %% may follow a '%'", "expand: wording of a bad escape");
    CHECK_STR(conf_expand_wanted(CONF_EXPAND_TOO_LONG), "short enough after expansion",
              "expand: wording of too long");
}

/* A reporter into this file's collect(), with messages cleared. */
static struct conf_reporter
text_reporter(const char *source, size_t line)
{
    struct conf_reporter r = {.report = collect, .source = source, .line = line};

    messages[0] = '\0';
    n_messages = 0;
    return r;
}

static void
test_text_reports(void)
{
    struct conf_reporter r = text_reporter("/etc/f", 3);

    conf_complain(&r, "key", "bad %d", 7);
    CHECK_STR(messages, "/etc/f:3: key: bad 7\n", "complain: source:line: name: message");
    CHECK(r.invalid && !r.nomem, "complain: marks the parse invalid");
    r = text_reporter(NULL, 4);
    conf_complain(&r, NULL, "x");
    CHECK_STR(messages, "line 4: x\n", "complain: line N without a source");
    r = text_reporter("/etc/f", 0);
    conf_warn(&r, "k", "careful");
    CHECK_STR(messages, "warning: /etc/f: k: careful\n", "warn: prefix, source without line");
    CHECK(!r.invalid, "warn: does not mark the parse invalid");
    r = text_reporter(NULL, 0);
    conf_complain_nomem(&r);
    conf_complain_nomem(&r);
    CHECK(n_messages == 1 && r.nomem && r.invalid, "nomem: reported once, both flags set");
    r = text_reporter(NULL, 0);
    r.message_max = 8;
    conf_complain(&r, "name", "long message");
    CHECK_STR(messages, "name: l\n", "complain: cut to message_max with the NUL");
    r = text_reporter(NULL, 0);
    r.report = NULL;
    conf_complain(&r, NULL, "dropped");
    CHECK(n_messages == 0 && r.invalid, "complain: no callback still marks invalid");
    r = text_reporter(NULL, 0);
    CHECK(!conf_refuse(&r, "user", "ro\not", "an account name"), "refuse: returns false");
    CHECK_STR(messages, "user: \"ro\\x0aot\" is not an account name\n", "refuse: quoted item");
    r = text_reporter(NULL, 0);
    conf_file_complain(&r, "config", "/nonexistent", JWT_ERR_FILE_OPEN, ENOENT);
    CHECK(reported("config: /nonexistent: ") && reported(strerror(ENOENT)),
          "file complain: path, reason and errno text");
}

static void
test_text_values(void)
{
    struct conf_reporter r = text_reporter(NULL, 0);
    char *big = malloc(CONF_MAX_VALUE + 2);
    uint64_t v = 0;

    if (big == NULL)
        exit(1);
    memset(big, 'a', CONF_MAX_VALUE + 1);
    big[CONF_MAX_VALUE] = '\0';
    CHECK(conf_value_fits(&r, "k", big) && n_messages == 0, "value fits: CONF_MAX_VALUE bytes");
    big[CONF_MAX_VALUE] = 'a';
    big[CONF_MAX_VALUE + 1] = '\0';
    CHECK(!conf_value_fits(&r, "k", big) && reported("k: value longer than 4096 bytes"),
          "value fits: one byte more is refused");
    CHECK(!conf_value_fits(&r, "k", "") && reported("k: empty value"), "value fits: empty");
    free(big);
    r = text_reporter(NULL, 0);
    CHECK(conf_number_parse(&r, "n", "60", 60, 61, &v) && v == 60 && n_messages == 0,
          "number: in range");
    CHECK(!conf_number_parse(&r, "n", "59", 60, 61, &v) && v == 60 &&
              reported("n: \"59\" is not a whole number from 60 to 61"),
          "number: out of range is reported with the bounds");
}

struct text_pairs {
    char got[512];
};

static void
text_pair(void *ctx, const char *key, const char *value)
{
    struct text_pairs *p = ctx;
    size_t used = strlen(p->got);

    snprintf(p->got + used, sizeof p->got - used, "[%s]=[%s]", key, value);
}

static void
test_text_lines(void)
{
    char text[] = "# comment\n\n  a = 1 \r\nb=\" x \"\n  # indented\nc = v # not a comment\n"
                  "no equals\nd=\"\ne\0f=1\ng =";
    struct text_pairs pairs = {.got = ""};
    struct conf_reporter r = text_reporter("/f", 0);

    conf_lines_parse(&r, text, sizeof text - 1, text_pair, &pairs);
    CHECK_STR(pairs.got, "[a]=[1][b]=[ x ][c]=[v # not a comment][d]=[\"][g]=[]",
              "lines: trimmed pairs, quotes off, comments skipped");
    CHECK(reported("/f:7: \"no equals\" is not \"key = value\""), "lines: no '=' on line 7");
    CHECK(reported("/f:9: NUL byte in line"), "lines: NUL byte on line 9");
    CHECK(n_messages == 2 && r.line == 0, "lines: two problems, line back to 0");
}

static void
test_text_lists(void)
{
    struct conf_reporter r = text_reporter(NULL, 0);
    const char *p = " a\t, ,b ,";
    char *item;

    item = conf_list_next(&r, "typ", &p);
    CHECK(item != NULL && strcmp(item, "a") == 0 && p != NULL, "list: first item trimmed");
    free(item);
    item = conf_list_next(&r, "typ", &p);
    CHECK(item == NULL && p != NULL && reported("typ: empty item in the list"),
          "list: an empty item is reported, the rest still read");
    item = conf_list_next(&r, "typ", &p);
    CHECK(item != NULL && strcmp(item, "b") == 0 && p != NULL, "list: third item");
    free(item);
    item = conf_list_next(&r, "typ", &p);
    CHECK(item == NULL && p == NULL && n_messages == 2, "list: a trailing comma is empty, end");
    p = "only";
    item = conf_list_next(&r, "typ", &p);
    CHECK(item != NULL && strcmp(item, "only") == 0 && p == NULL, "list: one item, then end");
    free(item);
}

static void
test_text_list_append(void)
{
    struct conf_reporter r = text_reporter(NULL, 0);
    char **list = NULL, *a = strdup("a"), *b = strdup("b");
    size_t n = 0;

    if (a == NULL || b == NULL)
        exit(1);
    CHECK(conf_list_append(&r, &list, &n, a) && n == 1 && strcmp(list[0], "a") == 0,
          "list append: first entry");
    CHECK(conf_list_append(&r, &list, &n, b) && n == 2 && strcmp(list[1], "b") == 0 &&
              strcmp(list[0], "a") == 0,
          "list append: second entry, first kept");
    CHECK(n_messages == 0 && !r.invalid, "list append: nothing reported");
    conf_list_free(list, n); /* valgrind: both entries and the array freed */
    conf_list_free(NULL, 0);
}

static void
remove_tmpdir(void)
{
    static const char *const names[] = {"pam_jwt.conf", "nul.conf", "other.conf"};
    char path[PATH_MAX * 2];

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
    if (rmdir(tmpdir) != 0)
        printf("# could not remove %s\n", tmpdir);
}

int
main(void)
{
    const char *base = getenv("TMPDIR");

    snprintf(tmpdir, sizeof tmpdir, "%s/test_conf.XXXXXX", base != NULL ? base : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_parse_uint();
    test_hostname();
    test_defaults();
    test_all_options();
    test_bad_args();
    test_bounds();
    test_all_problems_reported();
    test_file_syntax();
    test_sources();
    test_duplicates();
    test_config_file();
    test_audience_expansion();
    test_algs_typ();
    test_key_without_jwks();
    test_flags();
    test_limits();
    test_policy();
    test_service_blocks();
    test_service_block_errors();
    test_default_audience_hosts();
    test_text_quote();
    test_text_checks();
    test_text_expand();
    test_text_reports();
    test_text_values();
    test_text_lines();
    test_text_lists();
    test_text_list_append();
    remove_tmpdir();
    return check_done();
}
