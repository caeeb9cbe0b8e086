/* SPDX-License-Identifier: MIT */
/* The wire protocol v1 line codec (jwt-helperd(8), PROTOCOL): requests and
 * responses to and from one line. */
#include "config.h"

#include <json-c/json.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "secret.h"

/*
 * Both directions go through one table per message shape, so the encoder
 * refuses exactly what the decoder would: a client learns of a bad request
 * before it reaches the socket, and the daemon cannot emit a line its own
 * clients refuse. Decoding is strict: the line's length first, the strict
 * scanner in jwt_json_parse_object (duplicates, UTF-8, trailing bytes), then
 * each member's type before its value, and no member the table does not
 * list for the op. The encoder writes JSON itself into a buffer sized in a
 * first pass, so a password never passes through json-c's growing print
 * buffers, whose old copies could not be wiped.
 */

static const char *const result_strs[PROTO_RESULT_COUNT] = {
    [PROTO_OK] = "ok",
    [PROTO_ERR_NOMEM] = "out of memory",
    [PROTO_ERR_TOO_LONG] = "line too long",
    [PROTO_ERR_NO_NEWLINE] = "line not terminated",
    [PROTO_ERR_JSON] = "malformed JSON",
    [PROTO_ERR_INVALID] = "invalid message",
    [PROTO_ERR_UNSUPPORTED_OP] = "unsupported op",
    [PROTO_ERR_UNREACHABLE] = "daemon unreachable",
    [PROTO_ERR_UNTRUSTED_PEER] = "untrusted peer",
    [PROTO_ERR_TIMEOUT] = "timed out",
    [PROTO_ERR_CLOSED] = "connection closed early",
    [PROTO_ERR_IO] = "I/O error",
};

static const char *const op_names[PROTO_OP_COUNT] = {
    [PROTO_OP_LOGIN] = "login",   [PROTO_OP_REFRESH] = "refresh", [PROTO_OP_LOGOUT] = "logout",
    [PROTO_OP_PASSWD] = "passwd", [PROTO_OP_JWKS] = "jwks",       [PROTO_OP_STATUS] = "status",
};

/* jwt-helperd(8), PROTOCOL: these strings are the public interface. */
static const char *const error_strs[PROTO_E_COUNT] = {
    [PROTO_E_INVALID_REQUEST] = "invalid_request", [PROTO_E_INVALID_GRANT] = "invalid_grant",
    [PROTO_E_UNSUPPORTED_OP] = "unsupported_op",   [PROTO_E_RATE_LIMITED] = "rate_limited",
    [PROTO_E_SERVER_ERROR] = "server_error",
};

const char *
proto_result_str(proto_result r)
{
    if ((unsigned)r >= PROTO_RESULT_COUNT || result_strs[r] == NULL)
        return "unknown result";
    return result_strs[r];
}

const char *
proto_op_name(enum proto_op op)
{
    return (unsigned)op < PROTO_OP_COUNT ? op_names[op] : NULL;
}

const char *
proto_error_str(enum proto_error e)
{
    return (unsigned)e < PROTO_E_COUNT ? error_strs[e] : NULL;
}

/* What a member holds, which decides its JSON type, its check and its storage. */
enum kind {
    K_USER,        /* char *: jwt-helperd(8) user name */
    K_SECRET,      /* char *: a password, 1..PROTO_MAX_PASSWORD bytes */
    K_SCOPE,       /* char *: RFC 6749 §3.3 scope, non-empty */
    K_SCOPE_ANY,   /* char *: the same, or empty (a user may hold no scope) */
    K_AUDIENCE,    /* char *: visible ASCII */
    K_TOKEN,       /* char *: JWS compact alphabet */
    K_DESCRIPTION, /* char *: RFC 6749 §5.2 error_description */
    K_KID,         /* char *: visible ASCII (a kid or an alg name) */
    K_VERSION,     /* char *: printable ASCII */
    K_BOOL,        /* bool */
    K_UINT,        /* int64_t >= 0 */
    K_BEARER,      /* no storage: the string "Bearer" */
    K_ERROR,       /* enum proto_error, by its wire string */
    K_KEYS,        /* struct json_object *: array of objects */
    K_COUNTERS,    /* struct proto_response's counters and n_counters */
};

struct member {
    const char *name;
    enum kind kind;
    size_t off;        /* of the storage within the message struct */
    unsigned allowed;  /* bits of the shapes that carry it */
    unsigned required; /* bits of the shapes that must */
};

#define BIT(op) (1u << (op))
#define REQ(f) offsetof(struct proto_request, f)
#define RESP(f) offsetof(struct proto_response, f)
/* The shape bit of a failure response: past every op's. */
#define FAILURE_BIT (1u << PROTO_OP_COUNT)

static const struct member request_members[] = {
    {"username", K_USER, REQ(username), BIT(PROTO_OP_LOGIN) | BIT(PROTO_OP_PASSWD),
     BIT(PROTO_OP_LOGIN) | BIT(PROTO_OP_PASSWD)},
    {"password", K_SECRET, REQ(password), BIT(PROTO_OP_LOGIN), BIT(PROTO_OP_LOGIN)},
    {"refresh_token", K_TOKEN, REQ(refresh_token), BIT(PROTO_OP_REFRESH) | BIT(PROTO_OP_LOGOUT),
     BIT(PROTO_OP_REFRESH) | BIT(PROTO_OP_LOGOUT)},
    {"old_password", K_SECRET, REQ(old_password), BIT(PROTO_OP_PASSWD), BIT(PROTO_OP_PASSWD)},
    {"new_password", K_SECRET, REQ(new_password), BIT(PROTO_OP_PASSWD), BIT(PROTO_OP_PASSWD)},
    {"scope", K_SCOPE, REQ(scope), BIT(PROTO_OP_LOGIN) | BIT(PROTO_OP_REFRESH), 0},
    {"audience", K_AUDIENCE, REQ(audience), BIT(PROTO_OP_LOGIN) | BIT(PROTO_OP_REFRESH), 0},
    {"all", K_BOOL, REQ(all), BIT(PROTO_OP_LOGOUT), 0},
};

/* Every member of a response is required where it is allowed. */
#define ANSWER(name, kind, field, bits)                                                            \
    {                                                                                              \
        name, kind, RESP(field), (bits), (bits)                                                    \
    }
static const struct member response_members[] = {
    ANSWER("error", K_ERROR, error, FAILURE_BIT),
    ANSWER("error_description", K_DESCRIPTION, error_description, FAILURE_BIT),
    ANSWER("access_token", K_TOKEN, access_token, BIT(PROTO_OP_LOGIN) | BIT(PROTO_OP_REFRESH)),
    ANSWER("refresh_token", K_TOKEN, refresh_token, BIT(PROTO_OP_LOGIN)),
    {"token_type", K_BEARER, 0, BIT(PROTO_OP_LOGIN), BIT(PROTO_OP_LOGIN)}, /* nothing stored */
    ANSWER("expires_in", K_UINT, expires_in, BIT(PROTO_OP_LOGIN) | BIT(PROTO_OP_REFRESH)),
    ANSWER("scope", K_SCOPE_ANY, scope, BIT(PROTO_OP_LOGIN) | BIT(PROTO_OP_REFRESH)),
    ANSWER("keys", K_KEYS, keys, BIT(PROTO_OP_JWKS)),
    ANSWER("version", K_VERSION, version, BIT(PROTO_OP_STATUS)),
    ANSWER("uptime", K_UINT, uptime, BIT(PROTO_OP_STATUS)),
    ANSWER("counters", K_COUNTERS, counters, BIT(PROTO_OP_STATUS)),
    ANSWER("signing_kid", K_KID, signing_kid, BIT(PROTO_OP_STATUS)),
    ANSWER("signing_alg", K_KID, signing_alg, BIT(PROTO_OP_STATUS)),
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

struct table {
    const struct member *m;
    size_t n;
    const char *head; /* the member that names the shape, read before the table */
};

static const struct table request_table = {request_members, N_ELEMS(request_members), "op"};
static const struct table response_table = {response_members, N_ELEMS(response_members), "ok"};

/* Writes "member \"name\" what" into detail, or just what when name is
 * NULL. name is always one of our tables' names, never input: the detail
 * may be sent as error_description and logged. Returns r for tail calls. */
static proto_result
fail(char *detail, proto_result r, const char *what, const char *name)
{
    if (name == NULL)
        snprintf(detail, PROTO_DETAIL_LEN, "%s", what);
    else
        snprintf(detail, PROTO_DETAIL_LEN, "member \"%s\" %s", name, what);
    return r;
}

static char **
str_at(void *base, const struct member *m)
{
    return (char **)(void *)((char *)base + m->off);
}

/* ---- value checks, shared by decode and encode ---- */

enum verdict { V_OK, V_LONG, V_BAD };

static bool
is_token_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

/* Returns true when every byte of s[0..len) passes ok. */
static bool
all_chars(const char *s, size_t len, bool (*ok)(unsigned char))
{
    for (size_t i = 0; i < len; i++)
        if (!ok((unsigned char)s[i]))
            return false;
    return true;
}

static bool
is_visible(unsigned char c)
{
    return c >= 0x21 && c <= 0x7e;
}

static bool
is_printable(unsigned char c)
{
    return c >= 0x20 && c <= 0x7e;
}

/* RFC 6749 §5.2 error_description: %x20-21 / %x23-5B / %x5D-7E, which is
 * a scope-token's characters and the space. */
static bool
is_description_char(unsigned char c)
{
    return c == 0x20 || jwt_scope_char_is_valid(c);
}

static bool
error_from_str(const char *s, size_t len, enum proto_error *out)
{
    for (size_t i = 0; i < PROTO_E_COUNT; i++) {
        if (strlen(error_strs[i]) == len && memcmp(error_strs[i], s, len) == 0) {
            *out = (enum proto_error)i;
            return true;
        }
    }
    return false;
}

/* Checks a string member's value; len is its whole length. */
static enum verdict
string_check(enum kind kind, const char *s, size_t len)
{
    static const size_t caps[] = {
        [K_USER] = JWT_USER_NAME_MAX,
        [K_SECRET] = PROTO_MAX_PASSWORD,
        [K_SCOPE] = PROTO_MAX_SCOPE,
        [K_SCOPE_ANY] = PROTO_MAX_SCOPE,
        [K_AUDIENCE] = PROTO_MAX_AUDIENCE,
        [K_TOKEN] = PROTO_MAX_TOKEN,
        [K_DESCRIPTION] = PROTO_MAX_DESCRIPTION,
        [K_KID] = PROTO_MAX_KID,
        [K_VERSION] = PROTO_MAX_VERSION,
    };

    if (kind > K_VERSION)
        return V_BAD;
    if (len > caps[kind])
        return V_LONG;
    if (memchr(s, '\0', len) != NULL || (len == 0 && kind != K_SCOPE_ANY))
        return V_BAD;
    switch (kind) {
    case K_USER:
        return jwt_user_name_is_valid(s, len) ? V_OK : V_BAD;
    case K_SECRET:
        return V_OK; /* UTF-8 is the scanner's (decode) or the self-check's (encode) */
    case K_SCOPE:
    case K_SCOPE_ANY:
        return len == 0 || jwt_scope_is_valid(s, len) ? V_OK : V_BAD;
    case K_AUDIENCE:
    case K_KID:
        return all_chars(s, len, is_visible) ? V_OK : V_BAD;
    case K_TOKEN:
        return all_chars(s, len, is_token_char) ? V_OK : V_BAD;
    case K_DESCRIPTION:
        return all_chars(s, len, is_description_char) ? V_OK : V_BAD;
    default:
        return all_chars(s, len, is_printable) ? V_OK : V_BAD;
    }
}

static bool
is_string_kind(enum kind kind)
{
    return kind <= K_VERSION;
}

static bool
is_counter_name(const char *s, size_t len)
{
    if (len == 0 || len > PROTO_COUNTER_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

/* A key set's "keys": an array of at most JWT_MAX_JWKS_KEYS objects. Their
 * members are jwt_jwks_parse's to judge. */
static bool
keys_are_valid(struct json_object *keys)
{
    size_t n;

    if (json_object_get_type(keys) != json_type_array)
        return false;
    if ((n = json_object_array_length(keys)) > JWT_MAX_JWKS_KEYS)
        return false;
    for (size_t i = 0; i < n; i++)
        if (json_object_get_type(json_object_array_get_idx(keys, i)) != json_type_object)
            return false;
    return true;
}

static bool
counters_are_valid(const struct proto_response *resp)
{
    if (resp->n_counters > PROTO_MAX_COUNTERS)
        return false;
    for (size_t i = 0; i < resp->n_counters; i++) {
        const struct proto_counter *c = &resp->counters[i];
        if (!is_counter_name(c->name, strnlen(c->name, sizeof c->name)) || c->value < 0)
            return false;
        for (size_t j = 0; j < i; j++)
            if (strcmp(resp->counters[j].name, c->name) == 0)
                return false;
    }
    return true;
}

/* ---- decoding ---- */

/* Wipes every string in v's tree except the subtree skip (the public key
 * set a response keeps). json-c hands out its own buffer as const char *;
 * the object is ours and about to be freed, so writing zeros through the
 * cast is sound. The depth is bounded by the scanner (JWT_JSON_MAX_DEPTH). */
static void
strings_wipe(struct json_object *v, const struct json_object *skip)
{
    size_t n;

    if (v == NULL || v == skip)
        return;
    switch (json_object_get_type(v)) {
    case json_type_string:
        sodium_memzero((void *)(uintptr_t)json_object_get_string(v),
                       (size_t)json_object_get_string_len(v));
        break;
    case json_type_array:
        n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++)
            strings_wipe(json_object_array_get_idx(v, i), skip);
        break;
    case json_type_object: {
        json_object_object_foreach(v, key, val)
        {
            (void)key;
            strings_wipe(val, skip);
        }
        break;
    }
    default:
        break;
    }
}

/* Checks the line's framing, then parses it strictly. */
static proto_result
line_parse(const char *line, size_t len, struct json_object **obj, char *detail)
{
    jwt_result jr;

    *obj = NULL;
    /* length first, before any look at the bytes (STYLE: parsing untrusted input) */
    if (len > PROTO_MAX_LINE)
        return fail(detail, PROTO_ERR_TOO_LONG, "line longer than 65536 bytes", NULL);
    if (line == NULL || len == 0 || line[len - 1] != '\n')
        return fail(detail, PROTO_ERR_NO_NEWLINE, "line does not end in a newline", NULL);
    if (memchr(line, '\n', len - 1) != NULL)
        return fail(detail, PROTO_ERR_NO_NEWLINE, "newline inside the line", NULL);
    jr = jwt_json_parse_object(line, len - 1, obj);
    if (jr == JWT_OK)
        return PROTO_OK;
    if (jr == JWT_ERR_NOMEM)
        return fail(detail, PROTO_ERR_NOMEM, "out of memory", NULL);
    if (jr == JWT_ERR_PAYLOAD)
        return fail(detail, PROTO_ERR_JSON, "not a JSON object", NULL);
    return fail(detail, PROTO_ERR_JSON, "malformed JSON", NULL);
}

static const struct member *
member_find(const struct table *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->m[i].name, name) == 0)
            return &t->m[i];
    return NULL;
}

static proto_result
string_read(const struct member *m, struct json_object *v, void *base, char *detail)
{
    const char *s = json_object_get_string(v);
    size_t len = (size_t)json_object_get_string_len(v);
    enum verdict verdict = string_check(m->kind, s, len);
    char *copy;

    if (verdict == V_LONG)
        return fail(detail, PROTO_ERR_INVALID, "is too long", m->name);
    if (verdict != V_OK)
        return fail(detail, PROTO_ERR_INVALID, "is invalid", m->name);
    if ((copy = malloc(len + 1)) == NULL)
        return fail(detail, PROTO_ERR_NOMEM, "out of memory", NULL);
    memcpy(copy, s, len);
    copy[len] = '\0';
    *str_at(base, m) = copy;
    return PROTO_OK;
}

static proto_result
counters_read(struct json_object *obj, struct proto_response *resp, char *detail)
{
    int64_t value;

    if (json_object_get_type(obj) != json_type_object)
        return fail(detail, PROTO_ERR_INVALID, "has the wrong type", "counters");
    if (json_object_object_length(obj) > PROTO_MAX_COUNTERS)
        return fail(detail, PROTO_ERR_INVALID, "is too long", "counters");
    json_object_object_foreach(obj, key, val)
    {
        struct proto_counter *c = &resp->counters[resp->n_counters];
        (void)val;
        /* duplicates are the scanner's: it refused the line */
        if (!is_counter_name(key, strlen(key)) || jwt_json_get_int64(obj, key, &value) != 1 ||
            value < 0)
            return fail(detail, PROTO_ERR_INVALID, "is invalid", "counters");
        memcpy(c->name, key, strlen(key) + 1);
        c->value = value;
        resp->n_counters++;
    }
    return PROTO_OK;
}

/* Reads one member's value after checking its JSON type. */
static proto_result
member_read(const struct member *m, struct json_object *obj, struct json_object *v, void *base,
            char *detail)
{
    enum json_type want = is_string_kind(m->kind) || m->kind == K_BEARER || m->kind == K_ERROR
                              ? json_type_string
                          : m->kind == K_BOOL ? json_type_boolean
                          : m->kind == K_UINT ? json_type_int
                          : m->kind == K_KEYS ? json_type_array
                                              : json_type_object;
    int64_t i;

    if (json_object_get_type(v) != want)
        return fail(detail, PROTO_ERR_INVALID, "has the wrong type", m->name);
    switch (m->kind) {
    case K_BOOL:
        *(bool *)(void *)((char *)base + m->off) = json_object_get_boolean(v);
        return PROTO_OK;
    case K_UINT:
        if (jwt_json_get_int64(obj, m->name, &i) != 1 || i < 0)
            break;
        *(int64_t *)(void *)((char *)base + m->off) = i;
        return PROTO_OK;
    case K_BEARER:
        if (strcmp(json_object_get_string(v), "Bearer") != 0)
            break;
        return PROTO_OK;
    case K_ERROR:
        if (!error_from_str(json_object_get_string(v), (size_t)json_object_get_string_len(v),
                            (enum proto_error *)(void *)((char *)base + m->off)))
            break;
        return PROTO_OK;
    case K_KEYS:
        if (!keys_are_valid(v))
            break;
        *(struct json_object **)(void *)((char *)base + m->off) = json_object_get(v);
        return PROTO_OK;
    case K_COUNTERS:
        return counters_read(v, base, detail);
    default:
        return string_read(m, v, base, detail);
    }
    return fail(detail, PROTO_ERR_INVALID, "is invalid", m->name);
}

/* Reads every member of obj by the table for shape bit: none outside the
 * table's members for bit (the head excepted), each required one present. */
static proto_result
members_read(struct json_object *obj, const struct table *t, unsigned bit, void *base, char *detail)
{
    struct json_object *v;
    proto_result r;

    json_object_object_foreach(obj, key, val)
    {
        const struct member *m = member_find(t, key);
        (void)val;
        if (strcmp(key, t->head) == 0)
            continue;
        if (m == NULL)
            return fail(detail, PROTO_ERR_INVALID, "unexpected member", NULL);
        if ((m->allowed & bit) == 0)
            return fail(detail, PROTO_ERR_INVALID, "does not belong to this op", m->name);
    }
    for (size_t i = 0; i < t->n; i++) {
        const struct member *m = &t->m[i];
        if ((m->allowed & bit) == 0)
            continue;
        if (!json_object_object_get_ex(obj, m->name, &v)) {
            if ((m->required & bit) != 0)
                return fail(detail, PROTO_ERR_INVALID, "is missing", m->name);
            continue;
        }
        if ((r = member_read(m, obj, v, base, detail)) != PROTO_OK)
            return r;
    }
    return PROTO_OK;
}

static proto_result
op_read(struct json_object *obj, enum proto_op *op, char *detail)
{
    struct json_object *v;
    const char *s;

    if (!json_object_object_get_ex(obj, "op", &v))
        return fail(detail, PROTO_ERR_INVALID, "is missing", "op");
    if (json_object_get_type(v) != json_type_string)
        return fail(detail, PROTO_ERR_INVALID, "has the wrong type", "op");
    s = json_object_get_string(v);
    for (size_t i = 0; i < PROTO_OP_COUNT; i++) {
        if ((size_t)json_object_get_string_len(v) == strlen(op_names[i]) &&
            strcmp(s, op_names[i]) == 0) {
            *op = (enum proto_op)i;
            return PROTO_OK;
        }
    }
    return fail(detail, PROTO_ERR_UNSUPPORTED_OP, "unsupported op", NULL);
}

void
proto_request_clear(struct proto_request *req)
{
    if (req == NULL)
        return;
    free(req->username);
    secret_free_str(req->password);
    free(req->scope);
    free(req->audience);
    secret_free_str(req->refresh_token);
    secret_free_str(req->old_password);
    secret_free_str(req->new_password);
    sodium_memzero(req, sizeof *req);
}

proto_result
proto_request_decode(const char *line, size_t len, struct proto_request *out)
{
    struct json_object *obj = NULL;
    char detail[PROTO_DETAIL_LEN] = "";
    enum proto_op op = PROTO_OP_COUNT;
    proto_result r;

    memset(out, 0, sizeof *out);
    out->op = PROTO_OP_COUNT; /* no op known yet */
    if ((r = line_parse(line, len, &obj, detail)) != PROTO_OK)
        goto out;
    if ((r = op_read(obj, &op, detail)) != PROTO_OK)
        goto out;
    out->op = op;
    r = members_read(obj, &request_table, BIT(op), out, detail);
out:
    strings_wipe(obj, NULL);
    json_object_put(obj);
    if (r != PROTO_OK) {
        proto_request_clear(out); /* a half-decoded request holds nothing */
        out->op = op;
    }
    memcpy(out->detail, detail, sizeof detail);
    return r;
}

void
proto_response_clear(struct proto_response *resp)
{
    if (resp == NULL)
        return;
    free(resp->error_description);
    secret_free_str(resp->access_token);
    secret_free_str(resp->refresh_token);
    free(resp->scope);
    json_object_put(resp->keys);
    free(resp->version);
    free(resp->signing_kid);
    free(resp->signing_alg);
    sodium_memzero(resp, sizeof *resp);
}

static proto_result
ok_read(struct json_object *obj, bool *ok, char *detail)
{
    struct json_object *v;

    if (!json_object_object_get_ex(obj, "ok", &v))
        return fail(detail, PROTO_ERR_INVALID, "is missing", "ok");
    if (json_object_get_type(v) != json_type_boolean)
        return fail(detail, PROTO_ERR_INVALID, "has the wrong type", "ok");
    *ok = json_object_get_boolean(v);
    return PROTO_OK;
}

proto_result
proto_response_decode(const char *line, size_t len, enum proto_op op, struct proto_response *out)
{
    struct json_object *obj = NULL;
    char detail[PROTO_DETAIL_LEN] = "";
    proto_result r;

    memset(out, 0, sizeof *out);
    if ((unsigned)op >= PROTO_OP_COUNT) {
        r = fail(detail, PROTO_ERR_INVALID, "no such op", NULL);
        goto out;
    }
    if ((r = line_parse(line, len, &obj, detail)) != PROTO_OK)
        goto out;
    if ((r = ok_read(obj, &out->ok, detail)) != PROTO_OK)
        goto out;
    r = members_read(obj, &response_table, out->ok ? BIT(op) : FAILURE_BIT, out, detail);
out:
    strings_wipe(obj, out->keys); /* the key set is public, and kept */
    json_object_put(obj);
    if (r != PROTO_OK)
        proto_response_clear(out);
    memcpy(out->detail, detail, sizeof detail);
    return r;
}

/* ---- encoding ---- */

/* Writes into buf, or only counts when buf is NULL (the sizing pass). */
struct writer {
    char *buf;
    size_t len;
};

static void
put(struct writer *w, const char *s, size_t n)
{
    if (w->buf != NULL)
        memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void
put_str(struct writer *w, const char *s)
{
    /* clang-tidy walks a request's shape into K_KEYS, whose text is NULL
     * there; but K_KEYS is an answer member only (response_members), so no
     * request line reaches this with NULL. */
    put(w, s, strlen(s)); /* NOLINT(clang-analyzer-core.NonNullParamChecker) */
}

/* A JSON string (RFC 8259 §7): quote, backslash and control bytes escaped;
 * UTF-8 passes through (checked by the encoder's final scan). */
static void
put_json_string(struct writer *w, const char *s)
{
    char esc[8];

    put(w, "\"", 1);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(w, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(w, esc, 6);
        } else {
            put(w, s, 1);
        }
    }
    put(w, "\"", 1);
}

static void
put_int64(struct writer *w, int64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%lld", (long long)v);

    put(w, num, (size_t)n);
}

static void
put_name(struct writer *w, const char *name)
{
    put(w, ",", 1);
    put_json_string(w, name);
    put(w, ":", 1);
}

/* Whether base carries member m for shape bit: absent strings and keys are
 * NULL, all is written only when true; numbers, codes and counters are
 * there exactly where the shape has them (their values elsewhere unread). */
static bool
member_is_set(const struct member *m, void *base, unsigned bit)
{
    if (is_string_kind(m->kind))
        return *str_at(base, m) != NULL;
    if (m->kind == K_BOOL)
        return *(bool *)(void *)((char *)base + m->off);
    if (m->kind == K_KEYS)
        return *(struct json_object **)(void *)((char *)base + m->off) != NULL;
    return (m->allowed & bit) != 0;
}

/* The decoder's value rules, for a value about to be encoded. */
static bool
member_is_valid(const struct member *m, void *base)
{
    const char *s;

    switch (m->kind) {
    case K_UINT:
        return *(int64_t *)(void *)((char *)base + m->off) >= 0;
    case K_ERROR:
        return proto_error_str(*(enum proto_error *)(void *)((char *)base + m->off)) != NULL;
    case K_KEYS:
        return keys_are_valid(*(struct json_object **)(void *)((char *)base + m->off));
    case K_COUNTERS:
        return counters_are_valid(base);
    case K_BOOL:
    case K_BEARER:
        return true;
    default:
        s = *str_at(base, m);
        return string_check(m->kind, s, strlen(s)) == V_OK;
    }
}

static proto_result
members_check(const struct table *t, unsigned bit, void *base, char *detail)
{
    for (size_t i = 0; i < t->n; i++) {
        const struct member *m = &t->m[i];
        bool set = member_is_set(m, base, bit);
        if (set && (m->allowed & bit) == 0)
            return fail(detail, PROTO_ERR_INVALID, "does not belong to this op", m->name);
        if (!set && (m->required & bit) != 0)
            return fail(detail, PROTO_ERR_INVALID, "is missing", m->name);
        if (set && !member_is_valid(m, base))
            return fail(detail, PROTO_ERR_INVALID, "is invalid", m->name);
    }
    return PROTO_OK;
}

/* What one line is built from. */
struct shape {
    const struct table *t;
    unsigned bit;
    void *base;
    const char *head;      /* the line's start up to its first member */
    const char *keys_text; /* the key set, already JSON, for a jwks answer */
};

static void
counters_write(struct writer *w, const struct proto_response *resp)
{
    put(w, "{", 1);
    for (size_t i = 0; i < resp->n_counters; i++) {
        if (i > 0)
            put(w, ",", 1);
        put_json_string(w, resp->counters[i].name);
        put(w, ":", 1);
        put_int64(w, resp->counters[i].value);
    }
    put(w, "}", 1);
}

static void
line_write(struct writer *w, const struct shape *sh)
{
    put_str(w, sh->head);
    for (size_t i = 0; i < sh->t->n; i++) {
        const struct member *m = &sh->t->m[i];
        void *at = (char *)sh->base + m->off;
        if ((m->allowed & sh->bit) == 0 || !member_is_set(m, sh->base, sh->bit))
            continue;
        put_name(w, m->name);
        if (is_string_kind(m->kind))
            put_json_string(w, *str_at(sh->base, m));
        else if (m->kind == K_BOOL)
            put_str(w, "true");
        else if (m->kind == K_UINT)
            put_int64(w, *(int64_t *)at);
        else if (m->kind == K_BEARER)
            put_str(w, "\"Bearer\"");
        else if (m->kind == K_ERROR)
            put_json_string(w, proto_error_str(*(enum proto_error *)at));
        else if (m->kind == K_KEYS)
            put_str(w, sh->keys_text);
        else
            counters_write(w, sh->base);
    }
    put(w, "}\n", 2);
}

/* Sizes the line, writes it, and scans it once more with the strict
 * scanner: a password that is not UTF-8 (or a key set json-c printed
 * oddly) is refused here rather than by the peer. */
static proto_result
line_build(const struct shape *sh, char *detail, char **out, size_t *out_len)
{
    struct writer w = {NULL, 0};
    char *buf = NULL;
    proto_result r;

    *out = NULL;
    *out_len = 0;
    line_write(&w, sh);
    r = fail(detail, PROTO_ERR_TOO_LONG, "line longer than 65536 bytes", NULL);
    if (w.len > PROTO_MAX_LINE)
        goto out;
    r = fail(detail, PROTO_ERR_NOMEM, "out of memory", NULL);
    if ((buf = malloc(w.len + 1)) == NULL)
        goto out;
    w = (struct writer){buf, 0};
    line_write(&w, sh);
    buf[w.len] = '\0';
    r = fail(detail, PROTO_ERR_INVALID, "a value is not valid UTF-8", NULL);
    if (jwt_json_scan(buf, w.len - 1) != JWT_OK)
        goto out;
    detail[0] = '\0';
    *out = buf;
    *out_len = w.len;
    buf = NULL; /* the caller owns it now */
    r = PROTO_OK;
out:
    secret_free(buf, w.len);
    return r;
}

proto_result
proto_request_encode(struct proto_request *req, char **out, size_t *out_len)
{
    char head[32];
    struct shape sh = {&request_table, 0, req, head, NULL};
    proto_result r;

    *out = NULL;
    *out_len = 0;
    req->detail[0] = '\0';
    if ((unsigned)req->op >= PROTO_OP_COUNT)
        return fail(req->detail, PROTO_ERR_INVALID, "no such op", NULL);
    sh.bit = BIT(req->op);
    if ((r = members_check(&request_table, sh.bit, req, req->detail)) != PROTO_OK)
        return r;
    snprintf(head, sizeof head, "{\"op\":\"%s\"", op_names[req->op]);
    return line_build(&sh, req->detail, out, out_len);
}

proto_result
proto_response_encode(struct proto_response *resp, enum proto_op op, char **out, size_t *out_len)
{
    struct shape sh = {&response_table, FAILURE_BIT, resp, "{\"ok\":false", NULL};
    proto_result r;

    *out = NULL;
    *out_len = 0;
    resp->detail[0] = '\0';
    if (resp->ok) {
        if ((unsigned)op >= PROTO_OP_COUNT)
            return fail(resp->detail, PROTO_ERR_INVALID, "no such op", NULL);
        sh.bit = BIT(op);
        sh.head = "{\"ok\":true";
    }
    if ((r = members_check(&response_table, sh.bit, resp, resp->detail)) != PROTO_OK)
        return r;
    if (resp->keys != NULL && (sh.bit & BIT(PROTO_OP_JWKS)) != 0) {
        sh.keys_text = json_object_to_json_string_ext(
            resp->keys, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (sh.keys_text == NULL)
            return fail(resp->detail, PROTO_ERR_NOMEM, "out of memory", NULL);
    }
    return line_build(&sh, resp->detail, out, out_len);
}

proto_result
proto_response_set_error(struct proto_response *resp, enum proto_error e, const char *desc)
{
    proto_response_clear(resp);
    resp->ok = false;
    resp->error = e;
    if (proto_error_str(e) == NULL || desc == NULL ||
        string_check(K_DESCRIPTION, desc, strlen(desc)) != V_OK)
        return fail(resp->detail, PROTO_ERR_INVALID, "is invalid", "error_description");
    if ((resp->error_description = strdup(desc)) == NULL)
        return fail(resp->detail, PROTO_ERR_NOMEM, "out of memory", NULL);
    return PROTO_OK;
}
