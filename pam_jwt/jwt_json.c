/* SPDX-License-Identifier: MIT */
/* Strict JSON: an RFC 8259 / RFC 3629 scanner that runs before json-c, the
 * json-c parse itself, and type-checked getters for what json-c built. */
#include "config.h"

#include <json-c/json.h>
#include <json-c/printbuf.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "jwt.h"

/*
 * Why a scanner of our own: json-c 0.16 keeps the last of two members with
 * one name, does not insist on RFC 3629 UTF-8 and is lenient about numbers.
 * Another JWT library reading the same token could see a different claim
 * set; two parsers disagreeing about one token is how signature and claim
 * bypasses start. So anything json-c might read differently is refused here.
 *
 * The scanner is an explicit state machine (no recursion): its stack is the
 * JWT_JSON_MAX_DEPTH containers below. It keeps the decoded member names of
 * the objects still open; an object's names are sorted and checked for
 * duplicates when it closes, so a hostile object with many members costs
 * O(n log n), not O(n^2). Only names are copied, never values, so nothing
 * secret (a password in a protocol line) lands in its buffers.
 */

struct name {
    size_t off, len;        /* decoded bytes in scanner.buf */
    const unsigned char *p; /* buf + off, set just before sorting */
};

/* Room for the names of a typical token or key set without touching the
 * heap; larger texts move to malloc'd arrays (array_grow). */
#define LOCAL_NAMES 32
#define LOCAL_BUF 512

struct scanner {
    const unsigned char *p, *end;
    size_t depth;
    unsigned char kind[JWT_JSON_MAX_DEPTH]; /* '{' or '[' per open container */
    size_t first_name[JWT_JSON_MAX_DEPTH];  /* an object's first entry in names */
    size_t first_off[JWT_JSON_MAX_DEPTH];   /* ... and its first byte in buf */
    unsigned char *buf;                     /* buf_local until it outgrows it */
    size_t buf_len, buf_cap;
    struct name *names; /* names_local until they outgrow it */
    size_t n_names, names_cap;
    unsigned char buf_local[LOCAL_BUF];
    struct name names_local[LOCAL_NAMES];
};

enum step { STEP_VALUE, STEP_OBJ_FIRST, STEP_ARR_FIRST, STEP_NAME, STEP_AFTER, STEP_DONE };

/* Returns mem grown to hold need elements of size bytes (doubling), or NULL
 * with mem untouched. mem starts as local, the scanner's own array, which
 * is copied to the heap rather than realloc'd. */
static void *
array_grow(void *mem, const void *local, size_t *cap, size_t need, size_t size)
{
    size_t n = *cap;
    void *p;

    if (need <= *cap)
        return mem;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return NULL;
        n *= 2;
    }
    if (n > SIZE_MAX / size)
        return NULL;
    if (mem != local)
        p = realloc(mem, n * size);
    else if ((p = malloc(n * size)) != NULL)
        memcpy(p, mem, *cap * size);
    if (p == NULL)
        return NULL;
    *cap = n;
    return p;
}

static bool
at(const struct scanner *s, char c)
{
    return s->p < s->end && *s->p == (unsigned char)c;
}

/* RFC 8259 §2: whitespace is space, tab, LF and CR, nothing else. */
static void
skip_ws(struct scanner *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static jwt_result
name_put(struct scanner *s, const unsigned char *bytes, size_t n)
{
    unsigned char *p = array_grow(s->buf, s->buf_local, &s->buf_cap, s->buf_len + n, 1);

    if (p == NULL)
        return JWT_ERR_NOMEM;
    s->buf = p;
    memcpy(s->buf + s->buf_len, bytes, n);
    s->buf_len += n;
    return JWT_OK;
}

/* Reads four hex digits; returns their value or -1. */
static long
read_hex4(struct scanner *s)
{
    long v = 0;
    int i;

    if (s->end - s->p < 4)
        return -1;
    for (i = 0; i < 4; i++) {
        unsigned char c = s->p[i];
        int d;

        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    s->p += 4;
    return v;
}

/* Writes cp (a scalar value, never a surrogate) as UTF-8; returns the length. */
static size_t
utf8_encode(uint32_t cp, unsigned char out[4])
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes a \uXXXX escape (s->p just past the 'u'), pairing surrogates
 * (RFC 8259 §7). "\u0000" is refused: a NUL inside a string would cut the
 * C string json-c hands out short of what a signer meant. */
static jwt_result
scan_unicode_escape(struct scanner *s, unsigned char out[4], size_t *out_len)
{
    long hi = read_hex4(s), lo;
    uint32_t cp = (uint32_t)hi;

    if (hi <= 0 || (hi >= 0xDC00 && hi <= 0xDFFF))
        return JWT_ERR_JSON;
    if (hi >= 0xD800 && hi <= 0xDBFF) {
        if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
            return JWT_ERR_JSON;
        s->p += 2;
        lo = read_hex4(s);
        if (lo < 0xDC00 || lo > 0xDFFF)
            return JWT_ERR_JSON;
        cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
    }
    *out_len = utf8_encode(cp, out);
    return JWT_OK;
}

/* Decodes the escape after a backslash (s->p just past it). */
static jwt_result
scan_escape(struct scanner *s, unsigned char out[4], size_t *out_len)
{
    static const char from[] = "\"\\/bfnrt";
    static const char to[] = "\"\\/\b\f\n\r\t";
    const char *hit;
    unsigned char c;

    if (s->p >= s->end)
        return JWT_ERR_JSON;
    c = *s->p++;
    if (c == 'u')
        return scan_unicode_escape(s, out, out_len);
    if (c == '\0' || (hit = strchr(from, c)) == NULL)
        return JWT_ERR_JSON;
    out[0] = (unsigned char)to[hit - from];
    *out_len = 1;
    return JWT_OK;
}

/* Returns the length (2..4) of the well-formed UTF-8 sequence at p, or 0.
 * The ranges are RFC 3629 §4's table: no overlong forms (C0, C1, E0 80..9F,
 * F0 80..8F), no surrogates (ED A0..BF), nothing above U+10FFFF (F4 90.., F5..). */
static size_t
utf8_seq_len(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    size_t n, i;

    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
        return 0;
    for (i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

/* Scans a string at s->p (its opening quote); with collect, appends the
 * decoded bytes to the name buffer. */
static jwt_result
scan_string(struct scanner *s, bool collect)
{
    unsigned char esc[4];
    const unsigned char *run;
    size_t n;
    jwt_result r;

    s->p++;
    for (;;) {
        /* The common case first: a run of printable ASCII other than the
         * quote and the backslash, taken (and collected) whole. */
        run = s->p;
        while (s->p < s->end && *s->p >= 0x20 && *s->p < 0x80 && *s->p != '"' && *s->p != '\\')
            s->p++;
        if (collect && s->p > run && (r = name_put(s, run, (size_t)(s->p - run))) != JWT_OK)
            return r;
        if (s->p >= s->end)
            return JWT_ERR_JSON;
        if (*s->p == '"') {
            s->p++;
            return JWT_OK;
        }
        if (*s->p < 0x20) /* RFC 8259 §7: control characters must be escaped */
            return JWT_ERR_JSON;
        run = s->p;
        if (*s->p == '\\') {
            s->p++;
            if ((r = scan_escape(s, esc, &n)) != JWT_OK)
                return r;
            run = esc;
        } else if ((n = *s->p < 0x80 ? 1 : utf8_seq_len(s->p, s->end)) == 0) {
            return JWT_ERR_JSON;
        } else {
            s->p += n;
        }
        if (collect && (r = name_put(s, run, n)) != JWT_OK)
            return r;
    }
}

static size_t
skip_digits(struct scanner *s)
{
    const unsigned char *start = s->p;

    while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
        s->p++;
    return (size_t)(s->p - start);
}

/* RFC 8259 §6: [ "-" ] ( "0" / 1-9 *DIGIT ) [ "." 1*DIGIT ] [ e [ +/- ] 1*DIGIT ].
 * So no '+', no leading zero ("01" stops after the "0" and fails in the
 * caller), no ".5", no "1.", no "1e". */
static jwt_result
scan_number(struct scanner *s)
{
    if (at(s, '-'))
        s->p++;
    if (at(s, '0'))
        s->p++;
    else if (skip_digits(s) == 0)
        return JWT_ERR_JSON;
    if (at(s, '.')) {
        s->p++;
        if (skip_digits(s) == 0)
            return JWT_ERR_JSON;
    }
    if (at(s, 'e') || at(s, 'E')) {
        s->p++;
        if (at(s, '+') || at(s, '-'))
            s->p++;
        if (skip_digits(s) == 0)
            return JWT_ERR_JSON;
    }
    return JWT_OK;
}

static jwt_result
scan_literal(struct scanner *s, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return JWT_ERR_JSON;
    s->p += n;
    return JWT_OK;
}

static jwt_result
container_open(struct scanner *s, unsigned char kind, enum step *step)
{
    /* json-c gets the same limit (json_tokener_new_ex), and it bounds our stack */
    if (s->depth >= JWT_JSON_MAX_DEPTH)
        return JWT_ERR_JSON;
    s->kind[s->depth] = kind;
    s->first_name[s->depth] = s->n_names;
    s->first_off[s->depth] = s->buf_len;
    s->depth++;
    s->p++;
    *step = kind == '{' ? STEP_OBJ_FIRST : STEP_ARR_FIRST;
    return JWT_OK;
}

/* Orders names by length, then bytes: any total order finds equal
 * neighbours, and this one rarely needs memcmp. */
static int
name_cmp(const void *a, const void *b)
{
    const struct name *x = a, *y = b;

    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(x->p, y->p, x->len);
}

/* Sorts v by name_cmp: insertion sort for the few members of a token's
 * objects (no call per comparison to qsort's callback), qsort beyond, so
 * a hostile object with many members still costs O(n log n). */
static void
names_sort(struct name *v, size_t n)
{
    struct name t;
    size_t i, j;

    if (n > 16) {
        qsort(v, n, sizeof(*v), name_cmp);
        return;
    }
    for (i = 1; i < n; i++) {
        t = v[i];
        for (j = i; j > 0 && name_cmp(&v[j - 1], &t) > 0; j--)
            v[j] = v[j - 1];
        v[j] = t;
    }
}

/* Closes the innermost container (s->p at its '}' or ']'). For an object,
 * refuses two members with one decoded name: "a" and "\u0061" are the same
 * name, and json-c would silently keep only the last. */
static jwt_result
container_close(struct scanner *s, enum step *step)
{
    size_t level = s->depth - 1, first = s->first_name[level];
    size_t n = s->n_names - first, i;
    struct name *v = s->names + first;

    if (s->kind[level] == '{' && n > 1) {
        for (i = 0; i < n; i++)
            v[i].p = s->buf + v[i].off;
        names_sort(v, n);
        for (i = 1; i < n; i++)
            if (name_cmp(&v[i - 1], &v[i]) == 0)
                return JWT_ERR_JSON;
    }
    /* its names are done with: they sit above the parent object's */
    s->n_names = first;
    s->buf_len = s->first_off[level];
    s->depth--;
    s->p++;
    *step = STEP_AFTER;
    return JWT_OK;
}

static jwt_result
step_value(struct scanner *s, enum step *step)
{
    if (s->p >= s->end)
        return JWT_ERR_JSON;
    *step = STEP_AFTER;
    switch (*s->p) {
    case '{':
    case '[':
        return container_open(s, *s->p, step);
    case '"':
        return scan_string(s, false);
    case 't':
        return scan_literal(s, "true");
    case 'f':
        return scan_literal(s, "false");
    case 'n':
        return scan_literal(s, "null");
    default:
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
            return scan_number(s);
        return JWT_ERR_JSON;
    }
}

/* A member name and its colon; the name is recorded for the duplicate check. */
static jwt_result
step_name(struct scanner *s, enum step *step)
{
    struct name *names;
    size_t idx = s->n_names;
    jwt_result r;

    if (!at(s, '"'))
        return JWT_ERR_JSON;
    names = array_grow(s->names, s->names_local, &s->names_cap, idx + 1, sizeof(*names));
    if (names == NULL)
        return JWT_ERR_NOMEM;
    s->names = names;
    s->names[idx].off = s->buf_len;
    s->n_names++;
    if ((r = scan_string(s, true)) != JWT_OK)
        return r;
    s->names[idx].len = s->buf_len - s->names[idx].off;
    skip_ws(s);
    if (!at(s, ':'))
        return JWT_ERR_JSON;
    s->p++;
    *step = STEP_VALUE;
    return JWT_OK;
}

/* After a value: a separator, the container's end, or, at the top level,
 * the end of the text (RFC 8259 §2: one value, whitespace around it). */
static jwt_result
step_after(struct scanner *s, enum step *step)
{
    unsigned char kind;

    if (s->depth == 0) {
        if (s->p != s->end)
            return JWT_ERR_JSON;
        *step = STEP_DONE;
        return JWT_OK;
    }
    kind = s->kind[s->depth - 1];
    if (at(s, ',')) {
        s->p++;
        *step = kind == '{' ? STEP_NAME : STEP_VALUE;
        return JWT_OK;
    }
    if (at(s, kind == '{' ? '}' : ']'))
        return container_close(s, step);
    return JWT_ERR_JSON;
}

static jwt_result
scan_run(struct scanner *s)
{
    enum step step = STEP_VALUE;
    jwt_result r = JWT_OK;

    while (r == JWT_OK && step != STEP_DONE) {
        skip_ws(s);
        switch (step) {
        case STEP_VALUE:
            r = step_value(s, &step);
            break;
        case STEP_OBJ_FIRST:
        case STEP_ARR_FIRST:
            /* an empty container, else its first member or element */
            if (at(s, step == STEP_OBJ_FIRST ? '}' : ']'))
                r = container_close(s, &step);
            else
                step = step == STEP_OBJ_FIRST ? STEP_NAME : STEP_VALUE;
            break;
        case STEP_NAME:
            r = step_name(s, &step);
            break;
        default:
            r = step_after(s, &step);
            break;
        }
    }
    return r;
}

jwt_result
jwt_json_scan(const char *text, size_t len)
{
    struct scanner s;
    jwt_result r;

    if (text == NULL)
        return JWT_ERR_JSON;
    /* Only the bookkeeping is cleared: the local arrays are written before
     * they are read, and zeroing them would cost more than the scan. */
    memset(&s, 0, offsetof(struct scanner, buf_local));
    s.p = (const unsigned char *)text;
    s.end = s.p + len;
    s.buf = s.buf_local;
    s.buf_cap = LOCAL_BUF;
    s.names = s.names_local;
    s.names_cap = LOCAL_NAMES;
    r = scan_run(&s);
    if (s.buf != s.buf_local)
        free(s.buf);
    if (s.names != s.names_local)
        free(s.names);
    return r;
}

static bool
is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Called on scanned text only: is the top-level value an object? Decided
 * here because json-c cannot finish a bare top-level number without more
 * input, and that would turn "valid but not an object" into "malformed". */
static bool
text_is_object(const char *text, size_t len)
{
    size_t i = 0;

    while (i < len && is_ws(text[i]))
        i++;
    return i < len && text[i] == '{';
}

/* json-c copies every string it parses through the tokener's printbuf and
 * frees that buffer without clearing it: a password from a protocol line
 * would linger in freed memory. The struct is public in json-c 0.16
 * (json_tokener.h, printbuf.h), so the buffer is wiped before it goes. */
static void
tokener_free_wiped(struct json_tokener *tok)
{
    if (tok == NULL)
        return;
    if (tok->pb != NULL && tok->pb->buf != NULL && tok->pb->size > 0)
        sodium_memzero(tok->pb->buf, (size_t)tok->pb->size);
    json_tokener_free(tok);
}

jwt_result
jwt_json_parse_object(const char *text, size_t len, struct json_object **out)
{
    struct json_tokener *tok = NULL;
    struct json_object *obj = NULL;
    size_t end;
    jwt_result r;

    *out = NULL;
    if ((r = jwt_json_scan(text, len)) != JWT_OK)
        goto out;
    r = JWT_ERR_PAYLOAD;
    if (!text_is_object(text, len))
        goto out;
    r = JWT_ERR_JSON;
    if (len > INT_MAX)
        goto out;
    r = JWT_ERR_NOMEM;
    if ((tok = json_tokener_new_ex(JWT_JSON_MAX_DEPTH)) == NULL)
        goto out;
    /* strict mode as a second fence; the scanner already refused what it
     * would. UTF-8 is not validated again: the scanner checked every byte
     * of every string (utf8_seq_len), and json-c's second check cost about
     * 1.4k instructions a token (make bench-callgrind). */
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    obj = json_tokener_parse_ex(tok, text, (int)len);
    r = JWT_ERR_JSON;
    if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success)
        goto out;
    /* json-c must have read the very value the scanner read: only whitespace may follow */
    for (end = json_tokener_get_parse_end(tok); end < len; end++)
        if (!is_ws(text[end]))
            goto out;
    r = JWT_ERR_PAYLOAD;
    if (json_object_get_type(obj) != json_type_object)
        goto out;
    *out = obj;
    obj = NULL; /* the caller owns it now */
    r = JWT_OK;
out:
    json_object_put(obj);
    tokener_free_wiped(tok);
    return r;
}

/* Finds member name of obj: 0 when absent, 1 with *v set (NULL for a JSON
 * null, whose type reads as json_type_null), -1 when obj is not an object. */
static int
member_find(const struct json_object *obj, const char *name, struct json_object **v)
{
    *v = NULL;
    if (obj == NULL || name == NULL || json_object_get_type(obj) != json_type_object)
        return -1;
    return json_object_object_get_ex(obj, name, v) ? 1 : 0;
}

/* json-c 0.16's json_object_get_string takes a non-const pointer though it
 * only reads; the cast through uintptr_t says so without -Wcast-qual noise. */
static const char *
string_of(const struct json_object *v)
{
    return json_object_get_string((struct json_object *)(uintptr_t)v);
}

/* A string with no NUL inside (possible in objects built without our
 * scanner): strcmp on it would see less than the value holds. */
static bool
is_clean_string(const struct json_object *v)
{
    return json_object_get_type(v) == json_type_string &&
           strlen(string_of(v)) == (size_t)json_object_get_string_len(v);
}

int
jwt_json_value_string(const struct json_object *v, const char **out)
{
    if (!is_clean_string(v))
        return -1;
    *out = string_of(v);
    return 1;
}

int
jwt_json_get_string(const struct json_object *obj, const char *name, const char **out)
{
    struct json_object *v;
    int found = member_find(obj, name, &v);

    return found != 1 ? found : jwt_json_value_string(v, out);
}

int
jwt_json_value_int64(const struct json_object *v, int64_t *out)
{
    int64_t i;

    /* json-c stores "1.0", "1e5" and "1e400" as doubles: not a NumericDate */
    if (json_object_get_type(v) != json_type_int)
        return -1;
    /* json-c clamps: 2^63 and above are kept as uint64 (get_int64 says
     * INT64_MAX), below -2^63 becomes INT64_MIN. Neither is the value the
     * signer wrote, and INT64_MIN cannot be told apart from a clamp, so it
     * counts as the wrong type too (no real date lies there). */
    i = json_object_get_int64(v);
    if (i == INT64_MIN || (i >= 0 && json_object_get_uint64(v) > (uint64_t)INT64_MAX))
        return -1;
    *out = i;
    return 1;
}

int
jwt_json_get_int64(const struct json_object *obj, const char *name, int64_t *out)
{
    struct json_object *v;
    int found = member_find(obj, name, &v);

    return found != 1 ? found : jwt_json_value_int64(v, out);
}

int
jwt_json_value_string_or_array(const struct json_object *v, const struct json_object **out)
{
    size_t i, n;

    if (json_object_get_type(v) == json_type_array) {
        n = json_object_array_length(v);
        for (i = 0; i < n; i++)
            if (!is_clean_string(json_object_array_get_idx(v, i)))
                return -1;
    } else if (!is_clean_string(v)) {
        return -1;
    }
    *out = v;
    return 1;
}

int
jwt_json_get_string_or_array(const struct json_object *obj, const char *name,
                             const struct json_object **out)
{
    struct json_object *v;
    int found = member_find(obj, name, &v);

    return found != 1 ? found : jwt_json_value_string_or_array(v, out);
}

static bool
string_matches(const struct json_object *v, const char *want,
               bool (*match)(const char *want, const char *have))
{
    return is_clean_string(v) && match(want, string_of(v));
}

bool
jwt_json_strings_match(const struct json_object *v, const char *want,
                       bool (*match)(const char *want, const char *have))
{
    size_t i, n;

    if (v == NULL || want == NULL)
        return false;
    if (json_object_get_type(v) != json_type_array)
        return string_matches(v, want, match);
    n = json_object_array_length(v);
    for (i = 0; i < n; i++)
        if (string_matches(json_object_array_get_idx(v, i), want, match))
            return true;
    return false;
}

static bool
strings_equal(const char *want, const char *have)
{
    return strcmp(want, have) == 0;
}

bool
jwt_json_strings_contain(const struct json_object *v, const char *want)
{
    return jwt_json_strings_match(v, want, strings_equal);
}
