/* SPDX-License-Identifier: MIT */
/* Unit tests for jwt_json.c: every rule of the strict scanner with a passing
 * and a failing twin, the json-c parse, and the typed getters. */
#include "config.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "jwt.h"

/* Every input goes through an exact-size heap copy with no NUL after it, so
 * valgrind and ASan catch any read past len. */
static jwt_result
scan_bytes(const char *text, size_t len)
{
    char *copy = malloc(len ? len : 1);
    jwt_result r;

    if (copy == NULL)
        return JWT_ERR_NOMEM;
    memcpy(copy, text, len);
    r = jwt_json_scan(copy, len);
    free(copy);
    return r;
}

static jwt_result
parse_bytes(const char *text, size_t len, struct json_object **out)
{
    char *copy = malloc(len ? len : 1);
    jwt_result r;

    *out = NULL;
    if (copy == NULL)
        return JWT_ERR_NOMEM;
    memcpy(copy, text, len);
    r = jwt_json_parse_object(copy, len, out);
    free(copy);
    return r;
}

/* sizeof, not strlen: literals may hold "\0" on purpose. */
#define SCAN_OK(lit) CHECK_RESULT(scan_bytes(lit, sizeof(lit) - 1), JWT_OK, "accepts " #lit)
#define SCAN_BAD(lit) CHECK_RESULT(scan_bytes(lit, sizeof(lit) - 1), JWT_ERR_JSON, "refuses " #lit)

/* n nested containers: "[[...]]" or {"a":{"a":...{}}} */
static char *
nested(size_t n, bool objects)
{
    char *s = malloc(n * 6 + 3), *p = s;
    size_t i;

    if (s == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        if (objects && i > 0) {
            memcpy(p, "\"a\":", 4);
            p += 4;
        }
        *p++ = objects ? '{' : '[';
    }
    for (i = 0; i < n; i++)
        *p++ = objects ? '}' : ']';
    *p = '\0';
    return s;
}

static void
test_depth(void)
{
    char *a16 = nested(JWT_JSON_MAX_DEPTH, false), *a17 = nested(JWT_JSON_MAX_DEPTH + 1, false);
    char *o16 = nested(JWT_JSON_MAX_DEPTH, true), *o17 = nested(JWT_JSON_MAX_DEPTH + 1, true);
    struct json_object *obj = NULL;

    CHECK(a16 && a17 && o16 && o17, "depth inputs allocated");
    if (!(a16 && a17 && o16 && o17))
        goto out;
    CHECK_RESULT(scan_bytes(a16, strlen(a16)), JWT_OK, "16 nested arrays accepted");
    CHECK_RESULT(scan_bytes(a17, strlen(a17)), JWT_ERR_JSON, "17 nested arrays refused");
    CHECK_RESULT(parse_bytes(o16, strlen(o16), &obj), JWT_OK, "16 nested objects parse");
    json_object_put(obj);
    CHECK_RESULT(parse_bytes(o17, strlen(o17), &obj), JWT_ERR_JSON, "17 nested objects refused");
    CHECK(obj == NULL, "nothing returned on refusal");
    SCAN_OK("{\"a\":[{\"b\":[[{\"c\":[]}]]}]}");
out:
    free(a16);
    free(a17);
    free(o16);
    free(o17);
}

static void
test_utf8(void)
{
    SCAN_OK("\"\xC3\xA9\"");                  /* é */
    SCAN_BAD("\"\xC0\xA9\"");                 /* overlong é-ish */
    SCAN_BAD("\"\xC1\xBF\"");                 /* overlong 2-byte */
    SCAN_BAD("\"\x80\"");                     /* lone continuation */
    SCAN_BAD("\"\xC3\"");                     /* lead byte, no continuation */
    SCAN_BAD("\"\xC3");                       /* lead byte at the end of the text */
    SCAN_OK("\"\xE0\xA0\x80\"");              /* U+0800 */
    SCAN_BAD("\"\xE0\x80\x80\"");             /* overlong 3-byte */
    SCAN_OK("\"\xED\x9F\xBF\"");              /* U+D7FF */
    SCAN_BAD("\"\xED\xA0\x80\"");             /* U+D800 as a raw surrogate */
    SCAN_OK("\"\xF0\x9F\x98\x80\"");          /* U+1F600 */
    SCAN_BAD("\"\xED\xA0\xBD\xED\xB8\x80\""); /* the same as CESU-8 surrogates */
    SCAN_BAD("\"\xF0\x8F\xBF\xBF\"");         /* overlong 4-byte */
    SCAN_OK("\"\xF4\x8F\xBF\xBF\"");          /* U+10FFFF */
    SCAN_BAD("\"\xF4\x90\x80\x80\"");         /* U+110000 */
    SCAN_BAD("\"\xF5\x80\x80\x80\"");         /* F5 lead */
    SCAN_BAD("\"\xFF\"");
    SCAN_BAD("\"\xF0\x9F\x98\""); /* truncated 4-byte */
    SCAN_BAD("\"\xE2\x82\"");
    SCAN_OK("{\"\xC3\xA9\":1}"); /* in a member name */
    SCAN_BAD("{\"\xC0\xA9\":1}");
    SCAN_BAD("\xEF\xBB\xBF{}"); /* a BOM is not whitespace */
    SCAN_OK("\"\x7F\"");        /* DEL needs no escape */
}

static void
test_duplicates(void)
{
    SCAN_OK("{\"a\":1,\"b\":2}");
    SCAN_BAD("{\"a\":1,\"a\":2}");
    SCAN_BAD("{\"a\":1,\"\\u0061\":2}");
    SCAN_BAD("{\"\\u0061\":1,\"a\":2}");
    SCAN_OK("{\"a\":1,\"\\u0062\":2}");
    SCAN_BAD("{\"\xC3\xA9\":1,\"\\u00e9\":2}");
    SCAN_BAD("{\"\xF0\x9F\x98\x80\":1,\"\\ud83d\\ude00\":2}");
    SCAN_BAD("{\"\\/\":1,\"/\":2}");
    SCAN_OK("{\"a\":1,\"ab\":2,\"\":3}"); /* prefixes are other names */
    SCAN_BAD("{\"\":1,\"\":2}");
    SCAN_OK("{\"a\":{\"a\":1}}"); /* one name in two objects */
    SCAN_OK("[{\"a\":1},{\"a\":1}]");
    SCAN_OK("{\"a\":{\"b\":1,\"c\":2},\"b\":3,\"c\":{}}");
    SCAN_BAD("{\"a\":{\"b\":1,\"b\":2},\"c\":3}");
    SCAN_BAD("{\"x\":{\"y\":{\"z\":1}},\"x\":2}");
    SCAN_BAD("{\"a\":1,\"b\":{\"q\":[{}]},\"a\":3}");
    SCAN_OK("{\"aa\":1,\"ab\":2}");
}

static void
test_trailing(void)
{
    SCAN_OK("{\"a\":1} \t\r\n");
    SCAN_OK(" \t\r\n{\"a\":1}");
    SCAN_BAD("{\"a\":1} x");
    SCAN_BAD("{\"a\":1}{}");
    SCAN_BAD("{\"a\":1}\v");
    SCAN_BAD("{\"a\":1}\f");
    SCAN_BAD("{\"a\":1}\xC2\xA0"); /* NBSP */
    SCAN_BAD("{\"a\":1}\0");
    SCAN_BAD("1 2");
    SCAN_OK("1 ");
}

struct number_case {
    const char *text;
    bool ok;
};

static void
test_numbers(void)
{
    static const struct number_case cases[] = {
        {"0", true},    {"-0", true},     {"1e5", true},       {"1.5e-3", true},
        {"1E+5", true}, {"123", true},    {"-12.5e10", true},  {"0.0", true},
        {"0e0", true},  {"-0.5", true},   {"01", false},       {"+1", false},
        {".5", false},  {"1.", false},    {"1e", false},       {"-", false},
        {"-01", false}, {"1e+", false},   {"0x1", false},      {"1.e5", false},
        {"--1", false}, {"NaN", false},   {"Infinity", false}, {"00", false},
        {"-.5", false}, {"1.5.5", false}, {"1e5e5", false},    {"- 1", false},
    };
    char buf[64];
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        jwt_result want = cases[i].ok ? JWT_OK : JWT_ERR_JSON;
        int n;

        CHECK_RESULT(scan_bytes(cases[i].text, strlen(cases[i].text)), want, cases[i].text);
        n = snprintf(buf, sizeof(buf), "{\"n\":%s}", cases[i].text);
        CHECK_RESULT(scan_bytes(buf, (size_t)n), want, buf);
        n = snprintf(buf, sizeof(buf), "[%s]", cases[i].text);
        CHECK_RESULT(scan_bytes(buf, (size_t)n), want, buf);
    }
}

static void
test_strings(void)
{
    SCAN_OK("\"\\u0001\"");
    SCAN_BAD("\"\\u0000\"");
    SCAN_BAD("{\"a\\u0000\":1}");
    SCAN_BAD("\"a\0b\""); /* raw NUL */
    SCAN_OK("\"\\u001f\"");
    SCAN_BAD("\"\x1F\""); /* raw control character */
    SCAN_BAD("\"\t\"");
    SCAN_BAD("\"\n\"");
    SCAN_OK("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"");
    SCAN_BAD("\"\\x41\"");
    SCAN_BAD("\"\\'\"");
    SCAN_BAD("\"\\U0041\"");
    SCAN_BAD("\"\\u12\"");
    SCAN_BAD("\"\\u00G1\"");
    SCAN_BAD("\"\\");
    SCAN_BAD("\"\\u004");
    SCAN_BAD("\"abc");
    SCAN_OK("\"\\u00E9\\u00e9\"");
    /* surrogates must pair: high then low */
    SCAN_OK("\"\\ud83d\\ude00\"");
    SCAN_OK("\"\\uDBFF\\uDFFF\"");
    SCAN_BAD("\"\\ud800\"");
    SCAN_BAD("\"\\ud800x\"");
    SCAN_BAD("\"\\ud800\\u0041\"");
    SCAN_BAD("\"\\ud83d\\ud83d\"");
    SCAN_BAD("\"\\udc00\"");
    SCAN_BAD("\"\\ude00\\ud83d\"");
    SCAN_BAD("\"\\ud83d\\");
}

static void
test_grammar(void)
{
    SCAN_OK("{}");
    SCAN_OK("[]");
    SCAN_OK("{ \"a\" : [ true , false , null , \"x\" , 1 , { } , [ ] ] }");
    SCAN_BAD("");
    SCAN_BAD(" \n");
    SCAN_BAD("{");
    SCAN_BAD("}");
    SCAN_BAD("[1,]");
    SCAN_BAD("[,1]");
    SCAN_BAD("{\"a\":1,}");
    SCAN_BAD("{,}");
    SCAN_BAD("{\"a\" 1}");
    SCAN_BAD("{\"a\"x1}");
    SCAN_BAD("{\"a\",1}");
    SCAN_BAD("{\"a\":}");
    SCAN_BAD("{'a':1}");
    SCAN_BAD("{a:1}");
    SCAN_BAD("{1:1}");
    SCAN_BAD("[1 2]");
    SCAN_BAD("[1]]");
    SCAN_BAD("{\"a\":1]");
    SCAN_BAD("[1}");
    SCAN_BAD("/*c*/{}");
    SCAN_BAD("{}//c");
    SCAN_BAD("True");
    SCAN_BAD("nul");
    SCAN_BAD("tru");
    SCAN_BAD("truex");
    SCAN_OK("true");
    SCAN_OK("null");
    /* len, not the NUL, ends the text */
    CHECK_RESULT(jwt_json_scan("{\"a\":1}garbage", 7), JWT_OK, "a valid prefix by length");
    CHECK_RESULT(jwt_json_scan("{\"a\":1}", 6), JWT_ERR_JSON, "cut short by length");
    CHECK_RESULT(jwt_json_scan(NULL, 0), JWT_ERR_JSON, "NULL refused");
}

static void
test_parse(void)
{
    static const char doc[] = " {\"s\":\"p\\u00e9\\ud83d\\ude00\\n\",\"a\":[1,-0,1.5e-3,true,null],"
                              "\"o\":{\"\xC3\xA9\":\"\xF0\x9F\x98\x80\"}} \r\n";
    struct json_object *obj = NULL;
    const char *s = NULL;

    CHECK_RESULT(parse_bytes(doc, sizeof(doc) - 1, &obj), JWT_OK, "rich document parses");
    CHECK_INT(jwt_json_get_string(obj, "s", &s), 1, "decoded string present");
    CHECK_STR(s, "p\xC3\xA9\xF0\x9F\x98\x80\n", "escapes decoded by json-c as the scanner did");
    json_object_put(obj);
    CHECK_RESULT(parse_bytes("[1]", 3, &obj), JWT_ERR_PAYLOAD, "top-level array");
    CHECK(obj == NULL, "no object for an array");
    CHECK_RESULT(parse_bytes("1", 1, &obj), JWT_ERR_PAYLOAD, "top-level number");
    CHECK_RESULT(parse_bytes(" \"x\"", 4, &obj), JWT_ERR_PAYLOAD, "top-level string");
    CHECK_RESULT(parse_bytes("null", 4, &obj), JWT_ERR_PAYLOAD, "top-level null");
    CHECK_RESULT(parse_bytes("[1,]", 4, &obj), JWT_ERR_JSON, "malformed array is JSON error");
    CHECK_RESULT(parse_bytes("{\"a\":1,\"a\":2}", 13, &obj), JWT_ERR_JSON, "duplicate refused");
    CHECK_RESULT(parse_bytes("{\"a\":1} x", 9, &obj), JWT_ERR_JSON, "trailing garbage");
    CHECK_RESULT(parse_bytes("{\"a\":1} ", 8, &obj), JWT_OK, "trailing whitespace");
    json_object_put(obj);
    CHECK_RESULT(parse_bytes("\r\n\t {}", 6, &obj), JWT_OK, "leading whitespace");
    json_object_put(obj);
    CHECK_RESULT(parse_bytes("", 0, &obj), JWT_ERR_JSON, "empty");
    CHECK_RESULT(jwt_json_parse_object("{\"a\":1}{", 7, &obj), JWT_OK, "length bounds json-c");
    json_object_put(obj);
}

/* json-c no longer re-validates UTF-8 (jwt_json_parse_object): the
 * scanner in front of it is the only check, so the parse entry point
 * itself must refuse bad bytes in values and in names. */
static void
test_parse_utf8(void)
{
    static const char bad_value[] = "{\"a\":\"\xED\xA0\x80\"}";
    static const char bad_name[] = "{\"\xC0\xA9\":1}";
    static const char bad_array[] = "{\"a\":[\"x\",\"\xF4\x90\x80\x80\"]}";
    static const char good[] = "{\"\xC3\xA9\":\"\xF4\x8F\xBF\xBF\"}";
    struct json_object *obj = NULL;
    const char *s = NULL;

    CHECK_RESULT(parse_bytes(bad_value, sizeof(bad_value) - 1, &obj), JWT_ERR_JSON,
                 "surrogate bytes in a value refused");
    CHECK(obj == NULL, "no object for bad UTF-8");
    CHECK_RESULT(parse_bytes(bad_name, sizeof(bad_name) - 1, &obj), JWT_ERR_JSON,
                 "overlong bytes in a name refused");
    CHECK_RESULT(parse_bytes(bad_array, sizeof(bad_array) - 1, &obj), JWT_ERR_JSON,
                 "code point above U+10FFFF in an array refused");
    CHECK_RESULT(parse_bytes(good, sizeof(good) - 1, &obj), JWT_OK, "well-formed UTF-8 parses");
    CHECK_INT(jwt_json_get_string(obj, "\xC3\xA9", &s), 1, "multibyte name found");
    CHECK_STR(s, "\xF4\x8F\xBF\xBF", "U+10FFFF kept byte for byte");
    json_object_put(obj);
}

static void
test_get_string(const struct json_object *obj)
{
    const char *s = "untouched";

    CHECK_INT(jwt_json_get_string(obj, "missing", &s), 0, "absent string");
    CHECK_STR(s, "untouched", "absent leaves out alone");
    CHECK_INT(jwt_json_get_string(obj, "s", &s), 1, "string present");
    CHECK_STR(s, "pam", "string value");
    CHECK_INT(jwt_json_get_string(obj, "n", &s), -1, "number is not a string");
    CHECK_INT(jwt_json_get_string(obj, "nul", &s), -1, "null is not a string");
    CHECK_INT(jwt_json_get_string(obj, "arr", &s), -1, "array is not a string");
    CHECK_INT(jwt_json_get_string(obj, "t", &s), -1, "bool is not a string");
    CHECK_INT(jwt_json_get_string(json_object_object_get(obj, "arr"), "s", &s), -1,
              "getter on an array");
    CHECK_INT(jwt_json_get_string(NULL, "s", &s), -1, "getter on NULL");
}

static void
test_get_int64(const struct json_object *obj)
{
    int64_t v = 7;

    CHECK_INT(jwt_json_get_int64(obj, "missing", &v), 0, "absent int");
    CHECK_INT(v, 7, "absent leaves out alone");
    CHECK_INT(jwt_json_get_int64(obj, "n", &v), 1, "int present");
    CHECK_INT(v, 42, "int value");
    CHECK_INT(jwt_json_get_int64(obj, "neg", &v), 1, "negative int");
    CHECK_INT(v, -42, "negative value");
    CHECK_INT(jwt_json_get_int64(obj, "zero", &v), 1, "-0 is an integer");
    CHECK_INT(v, 0, "-0 value");
    CHECK_INT(jwt_json_get_int64(obj, "max", &v), 1, "INT64_MAX present");
    CHECK(v == INT64_MAX, "INT64_MAX value");
    CHECK_INT(jwt_json_get_int64(obj, "over", &v), -1, "2^63 is the wrong type");
    CHECK_INT(jwt_json_get_int64(obj, "u64max", &v), -1, "2^64-1 is the wrong type");
    CHECK_INT(jwt_json_get_int64(obj, "huge", &v), -1, "2^64 is the wrong type");
    CHECK_INT(jwt_json_get_int64(obj, "min1", &v), 1, "INT64_MIN+1 present");
    CHECK(v == INT64_MIN + 1, "INT64_MIN+1 value");
    CHECK_INT(jwt_json_get_int64(obj, "under", &v), -1, "below INT64_MIN is the wrong type");
    CHECK_INT(jwt_json_get_int64(obj, "fl", &v), -1, "1.0 is the wrong type");
    CHECK_INT(jwt_json_get_int64(obj, "big", &v), -1, "1e400 is the wrong type");
    CHECK_INT(jwt_json_get_int64(obj, "e5", &v), -1, "1e5 is the wrong type");
    CHECK_INT(jwt_json_get_int64(obj, "str5", &v), -1, "\"5\" is the wrong type");
    CHECK_INT(jwt_json_get_int64(obj, "nul", &v), -1, "null is the wrong type");
    CHECK_INT(jwt_json_get_int64(obj, "t", &v), -1, "true is the wrong type");
}

static void
test_get_string_or_array(const struct json_object *obj)
{
    const struct json_object *v = NULL;

    CHECK_INT(jwt_json_get_string_or_array(obj, "missing", &v), 0, "absent aud");
    CHECK(v == NULL, "absent leaves out alone");
    CHECK_INT(jwt_json_get_string_or_array(obj, "s", &v), 1, "string aud");
    CHECK(jwt_json_strings_contain(v, "pam"), "string contains exact");
    CHECK(!jwt_json_strings_contain(v, "pam2"), "string: longer is not equal");
    CHECK(!jwt_json_strings_contain(v, "pa"), "string: prefix is not equal");
    CHECK(!jwt_json_strings_contain(v, "PAM"), "string: case matters");
    CHECK_INT(jwt_json_get_string_or_array(obj, "arr", &v), 1, "array aud");
    CHECK(jwt_json_strings_contain(v, "x"), "array contains x");
    CHECK(jwt_json_strings_contain(v, "pam"), "array contains pam");
    CHECK(!jwt_json_strings_contain(v, "pam2"), "array lacks pam2");
    CHECK(!jwt_json_strings_contain(v, ""), "array lacks empty");
    CHECK_INT(jwt_json_get_string_or_array(obj, "empty", &v), 1, "empty array");
    CHECK(!jwt_json_strings_contain(v, "pam"), "empty array contains nothing");
    CHECK_INT(jwt_json_get_string_or_array(obj, "mixed", &v), -1, "array with a number");
    CHECK_INT(jwt_json_get_string_or_array(obj, "arrnull", &v), -1, "array with a null");
    CHECK_INT(jwt_json_get_string_or_array(obj, "nested", &v), -1, "array with an array");
    CHECK_INT(jwt_json_get_string_or_array(obj, "n", &v), -1, "number aud");
    CHECK_INT(jwt_json_get_string_or_array(obj, "o", &v), -1, "object aud");
    CHECK_INT(jwt_json_get_string_or_array(obj, "nul", &v), -1, "null aud");
    CHECK(!jwt_json_strings_contain(NULL, "pam"), "NULL contains nothing");
    CHECK(!jwt_json_strings_contain(json_object_object_get(obj, "mixed"), "1"),
          "a number never matches");
}

static void
test_getters(void)
{
    static const char doc[] =
        "{\"s\":\"pam\",\"n\":42,\"neg\":-42,\"zero\":-0,\"max\":9223372036854775807,"
        "\"over\":9223372036854775808,\"u64max\":18446744073709551615,"
        "\"huge\":18446744073709551616,\"min1\":-9223372036854775807,"
        "\"under\":-9223372036854775809,\"fl\":1.0,\"big\":1e400,\"e5\":1e5,"
        "\"str5\":\"5\",\"nul\":null,\"t\":true,\"arr\":[\"pam\",\"x\"],"
        "\"mixed\":[\"pam\",1],\"arrnull\":[\"pam\",null],\"nested\":[[\"pam\"]],"
        "\"empty\":[],\"o\":{}}";
    struct json_object *obj = NULL;

    CHECK_RESULT(parse_bytes(doc, sizeof(doc) - 1, &obj), JWT_OK, "getter document parses");
    if (obj == NULL)
        return;
    test_get_string(obj);
    test_get_int64(obj);
    test_get_string_or_array(obj);
    json_object_put(obj);
}

/* An object with n members named k0..k(n-1); dup adds "k0" once more. */
static char *
many_members(size_t n, bool dup, size_t *len)
{
    char *s = malloc(n * 24 + 32), *p = s;
    size_t i;

    if (s == NULL)
        return NULL;
    *p++ = '{';
    for (i = 0; i < n; i++)
        p += sprintf(p, "%s\"k%zu\":%zu", i ? "," : "", i, i);
    if (dup)
        p += sprintf(p, ",\"\\u006b0\":0");
    *p++ = '}';
    *len = (size_t)(p - s);
    *p = '\0';
    return s;
}

/* The same names as string elements of an array: the same bytes to scan,
 * with no duplicate check. */
static char *
many_strings(size_t n, size_t *len)
{
    char *s = malloc(n * 24 + 32), *p = s;
    size_t i;

    if (s == NULL)
        return NULL;
    *p++ = '[';
    for (i = 0; i < n; i++)
        p += sprintf(p, "%s\"k%zu\",%zu", i ? "," : "", i, i);
    *p++ = ']';
    *len = (size_t)(p - s);
    *p = '\0';
    return s;
}

/* The fastest of reps scans in CPU seconds (other processes add noise to
 * wall time, never to the minimum); -1 if a scan fails. */
static double
seconds_per_scan(const char *text, size_t len, int reps)
{
    struct timespec a, b;
    double best = -1, t;
    int i;

    for (i = 0; i < reps; i++) {
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
        if (jwt_json_scan(text, len) != JWT_OK)
            return -1;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
        t = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
        if (best < 0 || t < best)
            best = t;
    }
    return best;
}

static void
test_many_members(void)
{
    size_t ok_len = 0, bad_len = 0, len = 0, alen = 0;
    char *ok = many_members(5000, false, &ok_len), *bad = many_members(5000, true, &bad_len);
    char *big = many_members(20000, false, &len), *arr = many_strings(20000, &alen);
    struct json_object *obj = NULL;
    double t_obj, t_arr;

    if (!ok || !bad || !big || !arr) {
        CHECK(0, "many-member inputs allocated");
        goto out;
    }
    CHECK_RESULT(parse_bytes(ok, ok_len, &obj), JWT_OK, "5000 distinct members parse");
    CHECK_INT(obj ? json_object_object_length(obj) : 0, 5000, "all 5000 members kept");
    json_object_put(obj);
    CHECK_RESULT(parse_bytes(bad, bad_len, &obj), JWT_ERR_JSON,
                 "5000 members and one escaped duplicate refused");
    /* 20000 members (~230 KiB): a quadratic duplicate check would take
     * hundreds of times as long as scanning the same strings in an array;
     * sorting stays within a small factor. A ratio holds under valgrind too. */
    t_obj = seconds_per_scan(big, len, 5);
    t_arr = seconds_per_scan(arr, alen, 5);
    printf("# 20000 members: %.3f ms as an object, %.3f ms as an array\n", t_obj * 1e3,
           t_arr * 1e3);
    CHECK(t_obj > 0 && t_arr > 0, "both large inputs scan");
    CHECK(t_obj < 50 * t_arr + 0.002, "duplicate check is not quadratic");
out:
    free(ok);
    free(bad);
    free(big);
    free(arr);
}

int
main(void)
{
    test_depth();
    test_utf8();
    test_duplicates();
    test_trailing();
    test_numbers();
    test_strings();
    test_grammar();
    test_parse();
    test_parse_utf8();
    test_getters();
    test_many_members();
    return check_done();
}
