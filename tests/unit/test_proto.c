/* SPDX-License-Identifier: MIT */
/* Tests for the wire protocol v1: the line codec both ways, and the client against real sockets. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "proto.h"
#include "secret.h"

#define CHECK_PROTO(got, want, what)                                                               \
    do {                                                                                           \
        proto_result check_pg_ = (got), check_pw_ = (want);                                        \
        check_report(check_pg_ == check_pw_, __FILE__, __LINE__, (what));                          \
        if (check_pg_ != check_pw_)                                                                \
            printf("#   got \"%s\", want \"%s\"\n", proto_result_str(check_pg_),                   \
                   proto_result_str(check_pw_));                                                   \
    } while (0)

/* ---- helpers ---- */

static char last_detail[PROTO_DETAIL_LEN];

/* Decodes a request line of len bytes; keeps the detail; frees the request. */
static proto_result
req_len(const char *line, size_t len)
{
    struct proto_request req;
    proto_result r = proto_request_decode(line, len, &req);

    memcpy(last_detail, req.detail, sizeof last_detail);
    if (r != PROTO_OK && (req.username || req.password || req.refresh_token))
        r = PROTO_RESULT_COUNT; /* a failed decode must hold nothing */
    proto_request_clear(&req);
    return r;
}

static proto_result
req(const char *line)
{
    return req_len(line, strlen(line));
}

static proto_result
resp(const char *line, enum proto_op op)
{
    struct proto_response rs;
    proto_result r = proto_response_decode(line, strlen(line), op, &rs);

    memcpy(last_detail, rs.detail, sizeof last_detail);
    proto_response_clear(&rs);
    return r;
}

/* Returns a malloc'd JSON string value: n copies of c, quoted. */
static char *
filled(size_t n, char c)
{
    char *s = malloc(n + 3);

    s[0] = '"';
    memset(s + 1, c, n);
    s[n + 1] = '"';
    s[n + 2] = '\0';
    return s;
}

/* ---- systematic request checks ---- */

struct fspec {
    const char *name;
    const char *good; /* JSON text of a good value */
    size_t cap;       /* longest good string, 0 for the boolean */
    char fill;
    bool required;
};

struct opspec {
    const char *op;
    struct fspec f[4];
    size_t n;
};

static const struct opspec opspecs[] = {
    {"login",
     {{"username", "\"alice\"", JWT_USER_NAME_MAX, 'a', true},
      {"password", "\"pw\"", PROTO_MAX_PASSWORD, 'p', true},
      {"scope", "\"ssh sudo\"", PROTO_MAX_SCOPE, 's', false},
      {"audience", "\"host:example.org\"", PROTO_MAX_AUDIENCE, 'h', false}},
     4},
    {"refresh",
     {{"refresh_token", "\"aaa.bbb.ccc\"", PROTO_MAX_TOKEN, 't', true},
      {"scope", "\"ssh\"", PROTO_MAX_SCOPE, 's', false},
      {"audience", "\"pam\"", PROTO_MAX_AUDIENCE, 'h', false}},
     3},
    {"logout",
     {{"refresh_token", "\"aaa.bbb.ccc\"", PROTO_MAX_TOKEN, 't', true},
      {"all", "true", 0, 0, false}},
     2},
    {"passwd",
     {{"username", "\"bob\"", JWT_USER_NAME_MAX, 'b', true},
      {"old_password", "\"old\"", PROTO_MAX_PASSWORD, 'o', true},
      {"new_password", "\"new\"", PROTO_MAX_PASSWORD, 'n', true}},
     3},
    {"jwks", {{0}}, 0},
    {"status", {{0}}, 0},
};

/* Builds a request line of o: member omit left out (-1: none), member
 * swap given value instead, extra appended raw (",..."). */
static char *
line_of(const struct opspec *o, int omit, int swap, const char *value, const char *extra)
{
    size_t cap = 3 * PROTO_MAX_LINE;
    char *s = malloc(cap);
    size_t n = (size_t)snprintf(s, cap, "{\"op\":\"%s\"", o->op);

    for (size_t i = 0; i < o->n; i++) {
        if ((int)i == omit)
            continue;
        n += (size_t)snprintf(s + n, cap - n, ",\"%s\":%s", o->f[i].name,
                              (int)i == swap ? value : o->f[i].good);
    }
    snprintf(s + n, cap - n, "%s}\n", extra ? extra : "");
    return s;
}

static void
check_line(char *line, proto_result want, const char *what)
{
    CHECK_PROTO(req(line), want, what);
    free(line);
}

static void
test_request_fields(const struct opspec *o)
{
    static const char *const wrong[] = {"1", "null", "[]", "{}", "1.5", "true", "\"x\"", "false"};
    char what[160], *v;
    const char *foreign;

    snprintf(what, sizeof what, "%s: every member", o->op);
    check_line(line_of(o, -1, -1, NULL, NULL), PROTO_OK, what);
    snprintf(what, sizeof what, "%s: extra member refused", o->op);
    check_line(line_of(o, -1, -1, NULL, ",\"x\":1"), PROTO_ERR_INVALID, what);
    snprintf(what, sizeof what, "%s: a member of another op refused", o->op);
    foreign = strcmp(o->op, "logout") != 0 ? ",\"all\":true" : ",\"password\":\"p\"";
    check_line(line_of(o, -1, -1, NULL, foreign), PROTO_ERR_INVALID, what);
    for (size_t i = 0; i < o->n; i++) {
        const struct fspec *f = &o->f[i];
        snprintf(what, sizeof what, "%s: without %s", o->op, f->name);
        check_line(line_of(o, (int)i, -1, NULL, NULL), f->required ? PROTO_ERR_INVALID : PROTO_OK,
                   what);
        for (size_t k = 0; k < sizeof wrong / sizeof wrong[0]; k++) {
            bool is_bool = f->cap == 0;
            if ((is_bool && (k == 5 || k == 7)) || (!is_bool && k == 6))
                continue; /* the right type */
            snprintf(what, sizeof what, "%s: %s as %s refused", o->op, f->name, wrong[k]);
            check_line(line_of(o, -1, (int)i, wrong[k], NULL), PROTO_ERR_INVALID, what);
        }
        snprintf(what, sizeof what, "%s: %s twice refused", o->op, f->name);
        v = malloc(strlen(f->name) + strlen(f->good) + 8);
        sprintf(v, ",\"%s\":%s", f->name, f->good);
        check_line(line_of(o, -1, -1, NULL, v), PROTO_ERR_JSON, what);
        free(v);
        if (f->cap == 0)
            continue;
        v = filled(f->cap, f->fill);
        snprintf(what, sizeof what, "%s: %s of %zu bytes accepted", o->op, f->name, f->cap);
        check_line(line_of(o, -1, (int)i, v, NULL), PROTO_OK, what);
        free(v);
        v = filled(f->cap + 1, f->fill);
        snprintf(what, sizeof what, "%s: %s of %zu bytes refused", o->op, f->name, f->cap + 1);
        check_line(line_of(o, -1, (int)i, v, NULL), PROTO_ERR_INVALID, what);
        free(v);
        snprintf(what, sizeof what, "%s: %s empty refused", o->op, f->name);
        check_line(line_of(o, -1, (int)i, "\"\"", NULL), PROTO_ERR_INVALID, what);
    }
}

static void
test_request_good(void)
{
    struct proto_request r;
    const char *l = "{\"op\":\"login\",\"username\":\"alice\",\"password\":\"p\\\"w\\u00e9\","
                    "\"scope\":\"ssh\",\"audience\":\"host:a\"}\n";

    CHECK_PROTO(proto_request_decode(l, strlen(l), &r), PROTO_OK, "login decodes");
    CHECK_INT(r.op, PROTO_OP_LOGIN, "op is login");
    CHECK_STR(r.username, "alice", "username");
    CHECK_STR(r.password, "p\"w\xc3\xa9", "password unescaped");
    CHECK_STR(r.scope, "ssh", "scope");
    CHECK_STR(r.audience, "host:a", "audience");
    CHECK_STR(r.detail, "", "no detail on success");
    proto_request_clear(&r);
    CHECK(r.password == NULL && r.username == NULL, "clear frees everything");

    l = "{\"op\":\"logout\",\"refresh_token\":\"a.b.c\",\"all\":true}\n";
    CHECK_PROTO(proto_request_decode(l, strlen(l), &r), PROTO_OK, "logout all decodes");
    CHECK(r.all, "all is true");
    CHECK_STR(r.refresh_token, "a.b.c", "refresh_token");
    proto_request_clear(&r);
    l = "{\"op\":\"logout\",\"refresh_token\":\"a.b.c\",\"all\":false}\n";
    CHECK_PROTO(proto_request_decode(l, strlen(l), &r), PROTO_OK, "logout all:false decodes");
    CHECK(!r.all, "all is false");
    proto_request_clear(&r);
    l = " {\"op\" : \"status\"}\t\r\n";
    CHECK_PROTO(proto_request_decode(l, strlen(l), &r), PROTO_OK, "JSON whitespace around");
    CHECK_INT(r.op, PROTO_OP_STATUS, "op is status");
    proto_request_clear(&r);
    proto_request_clear(NULL);
}

static void
test_request_values(void)
{
    CHECK_PROTO(req("{\"op\":\"login\",\"username\":\"Alice\",\"password\":\"p\"}\n"),
                PROTO_ERR_INVALID, "upper-case user name refused");
    CHECK_STR(last_detail, "member \"username\" is invalid", "detail names the member");
    CHECK_PROTO(req("{\"op\":\"login\",\"username\":\"_a.b-c9\",\"password\":\"p\"}\n"), PROTO_OK,
                "user name with _ . - digits accepted");
    CHECK_PROTO(req("{\"op\":\"login\",\"username\":\"9a\",\"password\":\"p\"}\n"),
                PROTO_ERR_INVALID, "user name starting with a digit refused");
    static const char *const bad_scopes[] = {"a  b",   " a",    "a ",     "a\\\"b",
                                             "a\\\\b", "a\\tb", "\\u00e9"};
    char line[256];
    for (size_t i = 0; i < sizeof bad_scopes / sizeof bad_scopes[0]; i++) {
        snprintf(line, sizeof line,
                 "{\"op\":\"refresh\",\"refresh_token\":\"t\",\"scope\":\"%s\"}\n", bad_scopes[i]);
        CHECK_PROTO(req(line), PROTO_ERR_INVALID, bad_scopes[i]);
    }
    CHECK_PROTO(req("{\"op\":\"refresh\",\"refresh_token\":\"t\",\"scope\":\"a b,c !#[]~\"}\n"),
                PROTO_OK, "scope of NQCHAR tokens and single spaces accepted");
    CHECK_PROTO(req("{\"op\":\"refresh\",\"refresh_token\":\"t\",\"audience\":\"a b\"}\n"),
                PROTO_ERR_INVALID, "audience with a space refused");
    CHECK_PROTO(req("{\"op\":\"refresh\",\"refresh_token\":\"a+b\"}\n"), PROTO_ERR_INVALID,
                "refresh_token outside base64url refused");
    CHECK_PROTO(req("{\"op\":\"refresh\",\"refresh_token\":\"aZ09-_.x\"}\n"), PROTO_OK,
                "refresh_token of base64url and dots accepted");
    CHECK_PROTO(req("{\"op\":\"login\",\"username\":\"a\",\"password\":\"p\\u0000q\"}\n"),
                PROTO_ERR_JSON, "NUL inside a password refused");
    CHECK_PROTO(req("{\"op\":\"login\",\"username\":\"a\",\"password\":\"\\u0001\\n\"}\n"),
                PROTO_OK, "control characters in a password accepted (escaped)");
    CHECK_PROTO(req("{\"op\":\"login\",\"username\":\"a\",\"password\":\"hunter2\","
                    "\"pasword\":\"hunter2\"}\n"),
                PROTO_ERR_INVALID, "misspelt member refused");
    CHECK(strstr(last_detail, "hunter2") == NULL && strstr(last_detail, "pasword") == NULL,
          "detail echoes neither value nor unknown name");
}

static void
test_request_ops(void)
{
    CHECK_PROTO(req("{\"op\":\"frobnicate\"}\n"), PROTO_ERR_UNSUPPORTED_OP, "unknown op");
    CHECK_PROTO(req("{\"op\":\"LOGIN\"}\n"), PROTO_ERR_UNSUPPORTED_OP, "op is case-sensitive");
    CHECK_PROTO(req("{\"op\":\"jwks\\u0000\"}\n"), PROTO_ERR_JSON, "op with NUL refused");
    CHECK_PROTO(req("{\"op\":1}\n"), PROTO_ERR_INVALID, "op of wrong type");
    CHECK_STR(last_detail, "member \"op\" has the wrong type", "detail for op type");
    CHECK_PROTO(req("{\"username\":\"a\"}\n"), PROTO_ERR_INVALID, "op missing");
    CHECK_PROTO(req("{}\n"), PROTO_ERR_INVALID, "empty object");
    CHECK_PROTO(req("{\"op\":\"jwks\"}\n"), PROTO_OK, "jwks");
    CHECK_PROTO(req("{\"op\":\"frobnicate\",\"x\":[1]}\n"), PROTO_ERR_UNSUPPORTED_OP,
                "unknown op wins over unknown members");
    struct proto_request r;
    CHECK_PROTO(proto_request_decode("{\"op\":\"passwd\"}\n", 16, &r), PROTO_ERR_INVALID,
                "passwd without members");
    CHECK_INT(r.op, PROTO_OP_PASSWD, "op is kept on failure for the daemon's log");
    CHECK_STR(r.detail, "member \"username\" is missing", "detail says which");
}

static void
test_request_framing(void)
{
    char *big = malloc(PROTO_MAX_LINE + 2);
    const char *head = "{\"op\":\"jwks\"";

    CHECK_PROTO(req("{\"op\":\"jwks\"}"), PROTO_ERR_NO_NEWLINE, "no newline");
    CHECK_PROTO(req_len("", 0), PROTO_ERR_NO_NEWLINE, "nothing at all");
    CHECK_PROTO(req_len(NULL, 0), PROTO_ERR_NO_NEWLINE, "NULL line");
    CHECK_PROTO(req("\n"), PROTO_ERR_JSON, "empty line");
    CHECK_PROTO(req("{\"op\":\n\"jwks\"}\n"), PROTO_ERR_NO_NEWLINE, "newline inside the line");
    CHECK_PROTO(req("{\"op\":\"jwks\"}\n\n"), PROTO_ERR_NO_NEWLINE, "two newlines");
    CHECK_PROTO(req("{\"op\":\"jwks\"} x\n"), PROTO_ERR_JSON, "trailing bytes");
    CHECK_PROTO(req("{\"op\":\"jwks\"}{}\n"), PROTO_ERR_JSON, "two objects");
    CHECK_PROTO(req("[{\"op\":\"jwks\"}]\n"), PROTO_ERR_JSON, "array");
    CHECK_PROTO(req("\"jwks\"\n"), PROTO_ERR_JSON, "string");
    CHECK_PROTO(req("{\"op\":\"jwks\"\n"), PROTO_ERR_JSON, "unterminated object");
    CHECK_PROTO(req_len("{\"op\":\"jwks\"}\0\n", 15), PROTO_ERR_JSON, "NUL byte after object");
    CHECK_PROTO(req("{\"op\":\"login\",\"username\":\"a\",\"password\":\"\xff\"}\n"),
                PROTO_ERR_JSON, "invalid UTF-8 refused");
    CHECK_PROTO(req("{\"op\":\"login\",\"username\":\"a\",\"password\":\"\xc0\xaf\"}\n"),
                PROTO_ERR_JSON, "overlong UTF-8 refused");
    CHECK_PROTO(req("{\"op\":\"login\",\"username\":\"a\",\"password\":\"p\xc3\xa4ss\"}\n"),
                PROTO_OK, "valid UTF-8 accepted");
    /* 65536 bytes with the newline: padding by JSON whitespace */
    memset(big, ' ', PROTO_MAX_LINE + 1);
    memcpy(big, head, strlen(head));
    big[PROTO_MAX_LINE - 2] = '}';
    big[PROTO_MAX_LINE - 1] = '\n';
    CHECK_PROTO(req_len(big, PROTO_MAX_LINE), PROTO_OK, "line of 65536 bytes accepted");
    big[PROTO_MAX_LINE - 1] = ' ';
    big[PROTO_MAX_LINE - 1] = '}';
    big[PROTO_MAX_LINE - 2] = ' ';
    big[PROTO_MAX_LINE] = '\n';
    CHECK_PROTO(req_len(big, PROTO_MAX_LINE + 1), PROTO_ERR_TOO_LONG,
                "line of 65537 bytes refused");
    memset(big, 0xff, PROTO_MAX_LINE + 1);
    CHECK_PROTO(req_len(big, PROTO_MAX_LINE + 1), PROTO_ERR_TOO_LONG, "length checked first");
    free(big);
}

/* ---- encoding ---- */

static proto_result
roundtrip(struct proto_request *in, struct proto_request *out, char **line, size_t *len)
{
    proto_result r = proto_request_encode(in, line, len);

    memset(out, 0, sizeof *out);
    if (r != PROTO_OK)
        return r;
    return proto_request_decode(*line, *len, out);
}

static void
test_request_encode(void)
{
    struct proto_request in = {.op = PROTO_OP_JWKS}, out;
    char *line = NULL;
    size_t len = 0;
    char pw[] = "q\"u\\o\x01t\xc3\xa9\n";

    CHECK_PROTO(proto_request_encode(&in, &line, &len), PROTO_OK, "jwks encodes");
    CHECK_STR(line, "{\"op\":\"jwks\"}\n", "jwks line exact");
    CHECK_INT(len, strlen("{\"op\":\"jwks\"}\n"), "length with newline");
    secret_free(line, len);

    in = (struct proto_request){.op = PROTO_OP_LOGIN, .username = "alice", .password = "p\"w"};
    CHECK_PROTO(proto_request_encode(&in, &line, &len), PROTO_OK, "login encodes");
    CHECK_STR(line, "{\"op\":\"login\",\"username\":\"alice\",\"password\":\"p\\\"w\"}\n",
              "login line exact");
    secret_free(line, len);

    in.password = pw;
    in.scope = "ssh sudo";
    in.audience = "host:x";
    CHECK_PROTO(roundtrip(&in, &out, &line, &len), PROTO_OK, "login round trip");
    CHECK_STR(out.password, pw, "password with quote, backslash, controls, UTF-8 survives");
    CHECK_STR(out.scope, "ssh sudo", "scope survives");
    CHECK_STR(out.audience, "host:x", "audience survives");
    secret_free(line, len);
    proto_request_clear(&out);

    in = (struct proto_request){
        .op = PROTO_OP_PASSWD, .username = "bob", .old_password = "o", .new_password = "n"};
    CHECK_PROTO(roundtrip(&in, &out, &line, &len), PROTO_OK, "passwd round trip");
    CHECK(out.op == PROTO_OP_PASSWD && strcmp(out.old_password, "o") == 0 &&
              strcmp(out.new_password, "n") == 0 && strcmp(out.username, "bob") == 0,
          "passwd members survive");
    secret_free(line, len);
    proto_request_clear(&out);

    in = (struct proto_request){.op = PROTO_OP_LOGOUT, .refresh_token = "a.b.c", .all = true};
    CHECK_PROTO(roundtrip(&in, &out, &line, &len), PROTO_OK, "logout round trip");
    CHECK(out.all && strcmp(out.refresh_token, "a.b.c") == 0, "logout members survive");
    CHECK_STR(line, "{\"op\":\"logout\",\"refresh_token\":\"a.b.c\",\"all\":true}\n",
              "logout line");
    secret_free(line, len);
    proto_request_clear(&out);

    /* the encoder refuses what the decoder would */
    in = (struct proto_request){.op = PROTO_OP_LOGIN, .username = "alice"};
    CHECK_PROTO(proto_request_encode(&in, &line, &len), PROTO_ERR_INVALID, "missing password");
    CHECK(line == NULL && len == 0, "no line on failure");
    CHECK_STR(in.detail, "member \"password\" is missing", "encode detail");
    in.password = "p";
    in.all = true;
    CHECK_PROTO(proto_request_encode(&in, &line, &len), PROTO_ERR_INVALID, "all on login");
    in.all = false;
    in.password = "p\xff";
    CHECK_PROTO(proto_request_encode(&in, &line, &len), PROTO_ERR_INVALID, "non-UTF-8 password");
    in.password = "";
    CHECK_PROTO(proto_request_encode(&in, &line, &len), PROTO_ERR_INVALID, "empty password");
    in.password = "p";
    in.username = "Alice";
    CHECK_PROTO(proto_request_encode(&in, &line, &len), PROTO_ERR_INVALID, "bad user name");
    in.username = "alice";
    CHECK_PROTO(proto_request_encode(&in, &line, &len), PROTO_OK, "fixed again");
    secret_free(line, len);
    in.op = PROTO_OP_COUNT;
    CHECK_PROTO(proto_request_encode(&in, &line, &len), PROTO_ERR_INVALID, "op out of range");
}

/* ---- responses ---- */

static void
test_error_strings(void)
{
    static const char *const want[PROTO_E_COUNT] = {
        "invalid_request", "invalid_grant", "unsupported_op", "rate_limited", "server_error"};
    static const char *const ops[PROTO_OP_COUNT] = {"login",  "refresh", "logout",
                                                    "passwd", "jwks",    "status"};

    for (int e = 0; e < PROTO_E_COUNT; e++)
        CHECK_STR(proto_error_str((enum proto_error)e), want[e], want[e]);
    CHECK(proto_error_str(PROTO_E_COUNT) == NULL, "error out of range is NULL");
    for (int o = 0; o < PROTO_OP_COUNT; o++)
        CHECK_STR(proto_op_name((enum proto_op)o), ops[o], ops[o]);
    CHECK(proto_op_name(PROTO_OP_COUNT) == NULL, "op out of range is NULL");
    for (int r = 0; r < PROTO_RESULT_COUNT; r++) {
        bool distinct = true;
        for (int q = 0; q < r; q++)
            distinct = distinct && strcmp(proto_result_str(r), proto_result_str(q)) != 0;
        CHECK(distinct, proto_result_str(r));
    }
    CHECK_STR(proto_result_str(PROTO_RESULT_COUNT), "unknown result", "result out of range");
    CHECK_STR(proto_result_str(PROTO_ERR_UNSUPPORTED_OP), "unsupported op", "a result string");
}

static void
test_response_failure(void)
{
    struct proto_response r = {0}, d;
    char *line;
    size_t len;

    for (int e = 0; e < PROTO_E_COUNT; e++) {
        CHECK_PROTO(proto_response_set_error(&r, (enum proto_error)e, "no such thing"), PROTO_OK,
                    "set_error");
        CHECK_PROTO(proto_response_encode(&r, PROTO_OP_LOGIN, &line, &len), PROTO_OK,
                    "failure encodes");
        CHECK_PROTO(proto_response_decode(line, len, PROTO_OP_STATUS, &d), PROTO_OK,
                    "failure decodes for any op");
        CHECK(!d.ok && d.error == (enum proto_error)e && d.error_description != NULL &&
                  strcmp(d.error_description, "no such thing") == 0,
              "failure round trip");
        if (e == PROTO_E_INVALID_GRANT)
            CHECK_STR(line,
                      "{\"ok\":false,\"error\":\"invalid_grant\",\"error_description\":\"no such "
                      "thing\"}\n",
                      "failure line exact");
        secret_free(line, len);
        proto_response_clear(&d);
    }
    CHECK_PROTO(proto_response_set_error(&r, PROTO_E_INVALID_GRANT, "say \"hi\""),
                PROTO_ERR_INVALID, "description with a quote refused");
    CHECK_PROTO(proto_response_set_error(&r, PROTO_E_INVALID_GRANT, ""), PROTO_ERR_INVALID,
                "empty description refused");
    CHECK_PROTO(proto_response_set_error(&r, PROTO_E_COUNT, "x"), PROTO_ERR_INVALID,
                "error out of range refused");
    proto_response_clear(&r);
    r.ok = false;
    r.error = PROTO_E_SERVER_ERROR;
    CHECK_PROTO(proto_response_encode(&r, PROTO_OP_LOGIN, &line, &len), PROTO_ERR_INVALID,
                "failure without description refused");
    CHECK_PROTO(resp("{\"ok\":false,\"error\":\"access_denied\",\"error_description\":\"x\"}\n",
                     PROTO_OP_LOGIN),
                PROTO_ERR_INVALID, "unknown error code refused");
    CHECK_PROTO(resp("{\"ok\":false,\"error\":\"invalid_grant\"}\n", PROTO_OP_LOGIN),
                PROTO_ERR_INVALID, "failure without description refused on decode");
    CHECK_PROTO(resp("{\"ok\":false,\"error\":\"invalid_grant\",\"error_description\":\"x\","
                     "\"access_token\":\"a.b.c\"}\n",
                     PROTO_OP_LOGIN),
                PROTO_ERR_INVALID, "failure with a token refused");
    CHECK_PROTO(resp("{\"ok\":false,\"error\":\"invalid_grant\",\"error_description\":\"x\"}\n",
                     PROTO_OP_LOGIN),
                PROTO_OK, "failure twin accepted");
}

static const char login_ok[] = "{\"ok\":true,\"access_token\":\"a.b.c\",\"refresh_token\":"
                               "\"r.s.t\",\"token_type\":\"Bearer\",\"expires_in\":600,"
                               "\"scope\":\"ssh sudo\"}\n";

static void
test_response_success(void)
{
    struct proto_response r = {0}, d;
    char *line;
    size_t len;

    CHECK_PROTO(proto_response_decode(login_ok, strlen(login_ok), PROTO_OP_LOGIN, &d), PROTO_OK,
                "login answer decodes");
    CHECK(d.ok && d.expires_in == 600, "ok and expires_in");
    CHECK_STR(d.access_token, "a.b.c", "access_token");
    CHECK_STR(d.refresh_token, "r.s.t", "refresh_token");
    CHECK_STR(d.scope, "ssh sudo", "scope");
    CHECK_PROTO(proto_response_encode(&d, PROTO_OP_LOGIN, &line, &len), PROTO_OK, "re-encodes");
    CHECK_STR(line, login_ok, "login answer line exact");
    secret_free(line, len);
    CHECK_PROTO(proto_response_encode(&d, PROTO_OP_REFRESH, &line, &len), PROTO_ERR_INVALID,
                "refresh answer must not carry a refresh token");
    proto_response_clear(&d);
    CHECK_PROTO(resp(login_ok, PROTO_OP_REFRESH), PROTO_ERR_INVALID,
                "login answer is not a refresh answer");
    CHECK_PROTO(resp("{\"ok\":true,\"access_token\":\"a.b.c\",\"expires_in\":5,\"scope\":\"\"}\n",
                     PROTO_OP_REFRESH),
                PROTO_OK, "refresh answer (empty scope granted)");
    CHECK_PROTO(resp("{\"ok\":true,\"access_token\":\"a.b.c\",\"expires_in\":-5,\"scope\":\"\"}\n",
                     PROTO_OP_REFRESH),
                PROTO_ERR_INVALID, "negative expires_in refused");
    CHECK_PROTO(resp("{\"ok\":true,\"access_token\":\"a.b.c\",\"expires_in\":5.0,\"scope\":\"\"}\n",
                     PROTO_OP_REFRESH),
                PROTO_ERR_INVALID, "fractional expires_in refused");
    CHECK_PROTO(resp("{\"ok\":true,\"access_token\":\"a.b.c\",\"refresh_token\":\"r\","
                     "\"token_type\":\"bearer\",\"expires_in\":1,\"scope\":\"s\"}\n",
                     PROTO_OP_LOGIN),
                PROTO_ERR_INVALID, "token_type other than Bearer refused");
    CHECK_PROTO(resp("{\"ok\":true,\"access_token\":\"a.b.c\",\"refresh_token\":\"r\","
                     "\"expires_in\":1,\"scope\":\"s\"}\n",
                     PROTO_OP_LOGIN),
                PROTO_ERR_INVALID, "token_type missing refused");
    CHECK_PROTO(resp("{\"ok\":true}\n", PROTO_OP_LOGOUT), PROTO_OK, "logout answer");
    CHECK_PROTO(resp("{\"ok\":true}\n", PROTO_OP_PASSWD), PROTO_OK, "passwd answer");
    CHECK_PROTO(resp("{\"ok\":true}\n", PROTO_OP_LOGIN), PROTO_ERR_INVALID, "bare ok for login");
    CHECK_PROTO(resp("{\"ok\":true,\"x\":1}\n", PROTO_OP_LOGOUT), PROTO_ERR_INVALID,
                "extra member");
    CHECK_PROTO(resp("{\"ok\":\"true\"}\n", PROTO_OP_LOGOUT), PROTO_ERR_INVALID, "ok as string");
    CHECK_PROTO(resp("{}\n", PROTO_OP_LOGOUT), PROTO_ERR_INVALID, "ok missing");
    CHECK_PROTO(resp("{\"ok\":true,\"ok\":true}\n", PROTO_OP_LOGOUT), PROTO_ERR_JSON, "ok twice");
    CHECK_PROTO(resp("{\"ok\":true}", PROTO_OP_LOGOUT), PROTO_ERR_NO_NEWLINE, "no newline");
    CHECK_PROTO(resp("{\"ok\":true}\n", PROTO_OP_COUNT), PROTO_ERR_INVALID, "op out of range");

    r.ok = true;
    CHECK_PROTO(proto_response_encode(&r, PROTO_OP_LOGOUT, &line, &len), PROTO_OK, "bare ok");
    CHECK_STR(line, "{\"ok\":true}\n", "bare ok line");
    secret_free(line, len);
    r.access_token = "a.b.c";
    CHECK_PROTO(proto_response_encode(&r, PROTO_OP_LOGOUT, &line, &len), PROTO_ERR_INVALID,
                "logout answer with a token refused");
}

static void
test_response_jwks_status(void)
{
    struct proto_response r = {0}, d;
    char *line, name[16];
    size_t len;
    struct json_object *big;

    const char *jl = "{\"ok\":true,\"keys\":[{\"kty\":\"OKP\",\"x\":\"abc\"}]}\n";

    CHECK_PROTO(proto_response_decode(jl, strlen(jl), PROTO_OP_JWKS, &d), PROTO_OK, "jwks answer");
    if (d.keys == NULL) {
        CHECK(0, "jwks answer has keys");
        return;
    }
    CHECK_INT(json_object_array_length(d.keys), 1, "one key");
    CHECK_STR(
        json_object_get_string(json_object_object_get(json_object_array_get_idx(d.keys, 0), "x")),
        "abc", "key kept unwiped");
    CHECK_PROTO(proto_response_encode(&d, PROTO_OP_JWKS, &line, &len), PROTO_OK, "re-encodes");
    CHECK_STR(line, "{\"ok\":true,\"keys\":[{\"kty\":\"OKP\",\"x\":\"abc\"}]}\n", "jwks line");
    secret_free(line, len);
    proto_response_clear(&d);
    CHECK_PROTO(resp("{\"ok\":true,\"keys\":{}}\n", PROTO_OP_JWKS), PROTO_ERR_INVALID,
                "keys not an array");
    CHECK_PROTO(resp("{\"ok\":true,\"keys\":[1]}\n", PROTO_OP_JWKS), PROTO_ERR_INVALID,
                "key not an object");
    CHECK_PROTO(resp("{\"ok\":true,\"keys\":[]}\n", PROTO_OP_JWKS), PROTO_OK, "empty key list");

    /* a key set too large for one line */
    big = json_object_new_array();
    for (int i = 0; i < 60; i++) {
        struct json_object *k = json_object_new_object();
        char pad[1200];
        memset(pad, 'x', sizeof pad - 1);
        pad[sizeof pad - 1] = '\0';
        json_object_object_add(k, "n", json_object_new_string(pad));
        json_object_array_add(big, k);
    }
    r.ok = true;
    r.keys = big;
    CHECK_PROTO(proto_response_encode(&r, PROTO_OP_JWKS, &line, &len), PROTO_ERR_TOO_LONG,
                "answer over 65536 bytes refused");
    json_object_array_del_idx(big, 0, 10);
    CHECK_PROTO(proto_response_encode(&r, PROTO_OP_JWKS, &line, &len), PROTO_OK,
                "smaller key set fits");
    CHECK(len <= PROTO_MAX_LINE && line[len - 1] == '\n', "within the cap");
    secret_free(line, len);
    proto_response_clear(&r);

    r.ok = true;
    r.version = "0.1.0";
    r.uptime = 42;
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "c_%d", i);
        memcpy(r.counters[i].name, name, strlen(name) + 1);
        r.counters[i].value = i * 10;
    }
    r.n_counters = 3;
    CHECK_PROTO(proto_response_encode(&r, PROTO_OP_STATUS, &line, &len), PROTO_ERR_INVALID,
                "status without the signing key refused");
    r.signing_kid = "AbC-12_x";
    r.signing_alg = "EdDSA";
    CHECK_PROTO(proto_response_encode(&r, PROTO_OP_STATUS, &line, &len), PROTO_OK, "status");
    CHECK_STR(line,
              "{\"ok\":true,\"version\":\"0.1.0\",\"uptime\":42,\"counters\":{\"c_0\":0,"
              "\"c_1\":10,\"c_2\":20},\"signing_kid\":\"AbC-12_x\",\"signing_alg\":\"EdDSA\"}\n",
              "status line");
    CHECK_PROTO(proto_response_decode(line, len, PROTO_OP_STATUS, &d), PROTO_OK, "decodes");
    CHECK(d.signing_kid != NULL && strcmp(d.signing_kid, "AbC-12_x") == 0 &&
              d.signing_alg != NULL && strcmp(d.signing_alg, "EdDSA") == 0,
          "signing_kid and signing_alg survive");
    proto_response_clear(&d);
    secret_free(line, len);
    r.signing_kid = "a b";
    CHECK_PROTO(proto_response_encode(&r, PROTO_OP_STATUS, &line, &len), PROTO_ERR_INVALID,
                "a blank in signing_kid refused");
    r.signing_kid = "AbC-12_x";
    CHECK_PROTO(proto_response_encode(&r, PROTO_OP_STATUS, &line, &len), PROTO_OK, "status again");
    CHECK_PROTO(proto_response_decode(line, len, PROTO_OP_STATUS, &d), PROTO_OK, "decodes");
    CHECK(d.n_counters == 3 && d.counters[2].value == 20 && strcmp(d.counters[1].name, "c_1") == 0,
          "counters survive");
    CHECK(d.uptime == 42 && strcmp(d.version, "0.1.0") == 0, "version and uptime survive");
    secret_free(line, len);
    proto_response_clear(&d);
    memcpy(r.counters[2].name, "c_1", 4);
    CHECK_PROTO(proto_response_encode(&r, PROTO_OP_STATUS, &line, &len), PROTO_ERR_INVALID,
                "duplicate counter refused");
    memcpy(r.counters[2].name, "C", 2);
    CHECK_PROTO(proto_response_encode(&r, PROTO_OP_STATUS, &line, &len), PROTO_ERR_INVALID,
                "bad counter name refused");
    CHECK_PROTO(resp("{\"ok\":true,\"version\":\"1\",\"uptime\":1,\"counters\":{\"a\":-1},"
                     "\"signing_kid\":\"k\",\"signing_alg\":\"EdDSA\"}\n",
                     PROTO_OP_STATUS),
                PROTO_ERR_INVALID, "negative counter refused");
    CHECK_PROTO(resp("{\"ok\":true,\"version\":\"1\",\"uptime\":1,\"counters\":{\"A\":1},"
                     "\"signing_kid\":\"k\",\"signing_alg\":\"EdDSA\"}\n",
                     PROTO_OP_STATUS),
                PROTO_ERR_INVALID, "bad counter name refused on decode");
    CHECK_PROTO(resp("{\"ok\":true,\"version\":\"1\",\"uptime\":1,\"counters\":{\"a\":1},"
                     "\"signing_kid\":\"k\",\"signing_alg\":\"EdDSA\"}\n",
                     PROTO_OP_STATUS),
                PROTO_OK, "counter twin accepted");
    CHECK_PROTO(resp("{\"ok\":true,\"version\":\"1\",\"uptime\":1,\"counters\":{\"a\":1},"
                     "\"signing_alg\":\"EdDSA\"}\n",
                     PROTO_OP_STATUS),
                PROTO_ERR_INVALID, "status without signing_kid refused on decode");
}

/* ---- the client against real sockets ---- */

static char dir[64];

enum mode { SERVE_REPLY, SERVE_CLOSE, SERVE_SILENT };

struct server {
    int lfd;
    enum mode mode;
    const char *reply;
    size_t reply_len;
    char got[256];
    size_t got_len;
};

static int
listener_new(const char *path, bool listening)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    unlink(path);
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        (listening && listen(fd, 4) != 0)) {
        perror("listener");
        exit(99);
    }
    return fd;
}

/* Accepts one client, reads its line, then replies, closes or waits for EOF. */
static void *
server_run(void *arg)
{
    struct server *s = arg;
    int c = accept(s->lfd, NULL, NULL);
    ssize_t n;
    char sink[64];

    while (c >= 0 && s->got_len < sizeof s->got &&
           (n = recv(c, s->got + s->got_len, sizeof s->got - s->got_len, 0)) > 0) {
        s->got_len += (size_t)n;
        if (memchr(s->got, '\n', s->got_len) != NULL)
            break;
    }
    if (c >= 0 && s->mode == SERVE_REPLY) {
        for (size_t done = 0; done < s->reply_len; done += (size_t)n)
            if ((n = send(c, s->reply + done, s->reply_len - done, MSG_NOSIGNAL)) <= 0)
                break;
    }
    if (c >= 0 && s->mode == SERVE_SILENT)
        while (recv(c, sink, sizeof sink, 0) > 0)
            ;
    if (c >= 0)
        close(c);
    return NULL;
}

/* Runs one client call against a server thread in mode with reply. */
static proto_result
call_served(enum mode mode, const char *reply, size_t reply_len, int timeout_ms,
            struct proto_request *rq, struct proto_response *rs, struct server *s)
{
    char path[128];
    struct proto_client c = {.socket_path = path,
                             .daemon_user = "no-such-user-here",
                             .extra_uid = (long)geteuid(),
                             .timeout_ms = timeout_ms};
    pthread_t t;
    proto_result r;

    snprintf(path, sizeof path, "%s/sock", dir);
    memset(s, 0, sizeof *s);
    s->lfd = listener_new(path, true);
    s->mode = mode;
    s->reply = reply;
    s->reply_len = reply_len;
    pthread_create(&t, NULL, server_run, s);
    r = proto_client_call(&c, rq, rs);
    pthread_join(t, NULL);
    close(s->lfd);
    unlink(path);
    return r;
}

static void
test_client_exchange(void)
{
    struct proto_request rq = {.op = PROTO_OP_LOGIN, .username = "alice", .password = "hunter2"};
    struct proto_response rs;
    struct server s;
    char *big = malloc(PROTO_MAX_LINE + 1);
    const char *head = "{\"ok\":true";
    struct timespec t0, t1;
    long ms;

    CHECK_PROTO(call_served(SERVE_REPLY, login_ok, strlen(login_ok), 0, &rq, &rs, &s), PROTO_OK,
                "client: login answered");
    CHECK(rs.ok && strcmp(rs.access_token, "a.b.c") == 0, "client: token received");
    CHECK(s.got_len > 0 && strncmp(s.got,
                                   "{\"op\":\"login\",\"username\":\"alice\","
                                   "\"password\":\"hunter2\"}\n",
                                   s.got_len) == 0,
          "server received the encoded line");
    proto_response_clear(&rs);

    /* 65536 bytes with the newline: accepted; one more: refused */
    rq = (struct proto_request){.op = PROTO_OP_LOGOUT, .refresh_token = "a.b.c"};
    memset(big, ' ', PROTO_MAX_LINE + 1);
    memcpy(big, head, strlen(head));
    big[PROTO_MAX_LINE - 2] = '}';
    big[PROTO_MAX_LINE - 1] = '\n';
    CHECK_PROTO(call_served(SERVE_REPLY, big, PROTO_MAX_LINE, 0, &rq, &rs, &s), PROTO_OK,
                "client: answer of 65536 bytes accepted");
    CHECK(rs.ok, "client: ok read");
    proto_response_clear(&rs);
    big[PROTO_MAX_LINE - 2] = ' ';
    big[PROTO_MAX_LINE - 1] = '}';
    big[PROTO_MAX_LINE] = '\n';
    CHECK_PROTO(call_served(SERVE_REPLY, big, PROTO_MAX_LINE + 1, 0, &rq, &rs, &s),
                PROTO_ERR_TOO_LONG, "client: answer of 65537 bytes refused");
    free(big);

    CHECK_PROTO(call_served(SERVE_CLOSE, NULL, 0, 0, &rq, &rs, &s), PROTO_ERR_CLOSED,
                "client: server closing without answer");
    CHECK_PROTO(call_served(SERVE_REPLY, "{\"ok\":tr", 8, 0, &rq, &rs, &s), PROTO_ERR_CLOSED,
                "client: half an answer then close");
    CHECK_PROTO(call_served(SERVE_REPLY, "{\"ok\":true}\n{junk", 17, 0, &rq, &rs, &s), PROTO_OK,
                "client: bytes after the answer's newline ignored");
    proto_response_clear(&rs);
    CHECK_PROTO(call_served(SERVE_REPLY, "{\"ok\":yes}\n", 11, 0, &rq, &rs, &s), PROTO_ERR_JSON,
                "client: malformed answer");
    CHECK_PROTO(call_served(SERVE_REPLY, login_ok, strlen(login_ok), 0, &rq, &rs, &s),
                PROTO_ERR_INVALID, "client: answer of the wrong shape for the op");
    CHECK(rs.detail[0] != '\0', "client: detail set");

    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_PROTO(call_served(SERVE_SILENT, NULL, 0, 300, &rq, &rs, &s), PROTO_ERR_TIMEOUT,
                "client: silent server times out");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK(ms >= 290 && ms < 5000, "client: timeout took about 300 ms");

    rq.refresh_token = "a+b";
    CHECK_PROTO(call_served(SERVE_CLOSE, NULL, 0, 0, &rq, &rs, &s), PROTO_ERR_INVALID,
                "client: invalid request not sent");
    CHECK_INT(s.got_len, 0, "client: server got nothing");
}

static void
test_client_connect(void)
{
    char path[256];
    struct proto_client c = {.socket_path = path, .extra_uid = -1};
    int fd = -1, lfd;

    snprintf(path, sizeof path, "%s/nothing", dir);
    errno = 0;
    CHECK_PROTO(proto_client_connect(&c, &fd), PROTO_ERR_UNREACHABLE, "no socket: unreachable");
    CHECK_INT(errno, ENOENT, "errno kept");
    CHECK_INT(fd, -1, "no fd");
    snprintf(path, sizeof path, "%s/bound", dir);
    lfd = listener_new(path, false);
    CHECK_PROTO(proto_client_connect(&c, &fd), PROTO_ERR_UNREACHABLE, "nobody listening");
    CHECK_INT(errno, ECONNREFUSED, "errno is ECONNREFUSED");
    close(lfd);
    unlink(path);
    memset(path, 'x', sizeof path);
    path[0] = '/';
    path[sizeof(((struct sockaddr_un *)0)->sun_path)] = '\0';
    CHECK_PROTO(proto_client_connect(&c, &fd), PROTO_ERR_INVALID, "path too long for sun_path");
    path[sizeof(((struct sockaddr_un *)0)->sun_path) - 1] = '\0';
    CHECK_PROTO(proto_client_connect(&c, &fd), PROTO_ERR_UNREACHABLE, "longest path tried");
    path[0] = '\0';
    CHECK_PROTO(proto_client_connect(&c, &fd), PROTO_ERR_INVALID, "empty path");
}

/* As ourselves: trusted only when we are root or named by extra_uid. */
static void
test_peer_self(void)
{
    char path[128];
    struct proto_client c = {
        .socket_path = path, .daemon_user = "no-such-user-here", .extra_uid = -1};
    int fd = -1, lfd;
    proto_result want = geteuid() == 0 ? PROTO_OK : PROTO_ERR_UNTRUSTED_PEER;

    snprintf(path, sizeof path, "%s/self", dir);
    lfd = listener_new(path, true);
    CHECK_PROTO(proto_client_connect(&c, &fd), want, "listener of our own uid, not named");
    if (fd >= 0)
        close(fd);
    fd = -1;
    c.extra_uid = (long)geteuid();
    CHECK_PROTO(proto_client_connect(&c, &fd), PROTO_OK, "listener of our own uid, named");
    CHECK(fd >= 0, "fd returned");
    if (fd >= 0)
        close(fd);
    close(lfd);
    unlink(path);
}

/* The child drops to nobody, listens, and reports how many bytes it got. */
static void
nobody_serve(int lfd, int ready, int report)
{
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    char buf[512];
    long total = 0;
    ssize_t n;
    int c = -1;

    if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0 || listen(lfd, 2))
        _exit(99);
    if (write(ready, "x", 1) != 1)
        _exit(99);
    if (poll(&p, 1, 5000) == 1 && (c = accept(lfd, NULL, NULL)) >= 0) {
        p.fd = c;
        while (poll(&p, 1, 5000) == 1 && (n = recv(c, buf, sizeof buf, 0)) > 0) {
            total += n;
            if (memchr(buf, '\n', (size_t)n) != NULL) {
                if (send(c, login_ok, strlen(login_ok), MSG_NOSIGNAL) != (ssize_t)strlen(login_ok))
                    _exit(98);
                break;
            }
        }
    }
    if (write(report, &total, sizeof total) != sizeof total)
        _exit(99);
    _exit(0);
}

/* Forks a listener running as nobody and calls it with c; returns the
 * bytes the listener received in *got. */
static proto_result
call_nobody(struct proto_client *c, long *got)
{
    char path[128];
    struct proto_request rq = {.op = PROTO_OP_LOGIN, .username = "alice", .password = "hunter2"};
    struct proto_response rs;
    int ready[2], report[2], lfd, status;
    pid_t pid;
    char x;
    proto_result r;

    snprintf(path, sizeof path, "%s/nobody", dir);
    c->socket_path = path;
    lfd = listener_new(path, false);
    if (pipe(ready) != 0 || pipe(report) != 0)
        exit(99);
    if ((pid = fork()) == 0)
        nobody_serve(lfd, ready[1], report[1]);
    if (read(ready[0], &x, 1) != 1)
        exit(99);
    r = proto_client_call(c, &rq, &rs);
    proto_response_clear(&rs);
    close(lfd); /* with ours gone the child's accept sees EOF of a refused client */
    if (read(report[0], got, sizeof *got) != sizeof *got)
        *got = -1;
    waitpid(pid, &status, 0);
    close(ready[0]);
    close(ready[1]);
    close(report[0]);
    close(report[1]);
    unlink(path);
    return r;
}

static void
test_peer_nobody(void)
{
    struct proto_client c = {.daemon_user = "no-such-user-here", .extra_uid = -1};
    long got = -1;

    if (geteuid() != 0) {
        printf("# skipping the setuid listener: not root\n");
        return;
    }
    CHECK_PROTO(call_nobody(&c, &got), PROTO_ERR_UNTRUSTED_PEER, "listener as nobody refused");
    CHECK_INT(got, 0, "nothing sent to the untrusted listener");
    c.extra_uid = 1234;
    CHECK_PROTO(call_nobody(&c, &got), PROTO_ERR_UNTRUSTED_PEER, "another extra uid: refused");
    CHECK_INT(got, 0, "still nothing sent");
    c.extra_uid = 65534;
    CHECK_PROTO(call_nobody(&c, &got), PROTO_OK, "nobody named by extra_uid: trusted");
    CHECK(got > 0, "the line was sent");
    c.extra_uid = -1;
    c.daemon_user = "nobody";
    CHECK_PROTO(call_nobody(&c, &got), PROTO_OK, "nobody as the daemon user: trusted");
    CHECK(got > 0, "the line was sent");
}

int
main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* a crash keeps the lines before it */
    snprintf(dir, sizeof dir, "/tmp/test_proto.XXXXXX");
    if (mkdtemp(dir) == NULL || chmod(dir, 0755) != 0) {
        perror("mkdtemp");
        return 99;
    }
    test_error_strings();
    for (size_t i = 0; i < sizeof opspecs / sizeof opspecs[0]; i++)
        test_request_fields(&opspecs[i]);
    test_request_good();
    test_request_values();
    test_request_ops();
    test_request_framing();
    test_request_encode();
    test_response_failure();
    test_response_success();
    test_response_jwks_status();
    test_client_exchange();
    test_client_connect();
    test_peer_self();
    test_peer_nobody();
    rmdir(dir);
    return check_done();
}
